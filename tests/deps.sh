# The Debian 12 packages bootlink needs to build, test and run its demo; sourced by the README's
# commands (tests/run-all, ./demo). Installs only what is missing.
bootlink_packages=(
    meson ninja-build pkg-config gcc libc6-dev
    libsqlite3-dev libssl-dev libnl-3-dev libnl-route-3-dev libconfig-dev libcmocka-dev libiscsi-dev
    sqlite3 jq python3 openssl kmod cpio busybox-static iproute2 util-linux dmsetup
    qemu-system-x86 qemu-utils ovmf ipxe dnsmasq-base
    tcmu-runner libtcmu2 libiscsi-bin
    clang libclang-rt-14-dev
    debhelper dpkg-dev build-essential lintian rpm curl
    syslinux syslinux-common mtools dosfstools fdisk grub-efi-amd64-bin grub-common open-iscsi
)
# The console (console/, tests/browser): Cockpit's web service and Debian's Chromium for the
# browser suite; node and npm (the machine's, or Debian's nodejs and npm) build the page.
console_packages=(cockpit-ws cockpit-bridge cockpit-system sudo chromium)
install_deps() {
    local missing=() p
    for p in "${bootlink_packages[@]}" "${console_packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "installing: ${missing[*]}"
    [ "$(id -u)" = 0 ] || { echo "need root to install packages (run with sudo)" >&2; return 1; }
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}
# The RBD backend's test cluster and library (tests/ceph/ceph-cluster, linkmgr/rbd): Ceph 16 daemons
# run in a network namespace the tests make; tcmu-runner's rbd handler comes with tcmu-runner.
bootlink_ceph_packages=(ceph-mon ceph-mgr ceph-osd ceph-common librbd-dev librados-dev python3-rbd python3-rados)
install_ceph_deps() { local bootlink_packages=("${bootlink_ceph_packages[@]}"); install_deps; }
