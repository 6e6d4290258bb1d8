#!/bin/bash
# Build (once, then cached) the bootable base image the end-to-end tests serve to PXE clients.
#
#   build-client-image.sh            prints the path of the image (raw disk, 64 MiB)
#
# Everything comes from Debian packages: the kernel and modules that tests/vm/prepare-kernel caches,
# busybox-static, iscsistart (open-iscsi), syslinux (BIOS) and GRUB (UEFI). No loop mount, no root
# needed beyond writing the cache: the FAT file system is built in a file with mkfs.vfat + mtools.
# Layout (MBR):
#   partition 1  FAT, type 0xef, active, from 1 MiB: syslinux (ldlinux.sys + mbr.bin in sector 0)
#                for BIOS, EFI/BOOT/BOOTX64.EFI (a standalone GRUB with its config inside) for UEFI,
#                /vmlinuz, /initrd.gz (busybox + iscsistart + modules + boot/client-image/client-init)
#   partition 2  the last MiB, type 0xda (raw data): the test area client-init reads and writes;
#                sector 0 holds the image version "version=base-v1" written here.
# The cache file is named by a hash of every input (this script, client-init, the kernel version,
# the package versions), built under a temporary name and renamed into place, so concurrent or
# interrupted runs never leave a half-made image.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
cache=${BOOTLINK_VM_CACHE:-/var/cache/bootlink-vm}
version=base-v1

log() { echo "build-client-image: $*" >&2; }
die() { echo "build-client-image: error: $*" >&2; exit 1; }

need() { # TOOL PACKAGE
    command -v "$1" >/dev/null || die "$1 is missing (apt-get install $2)"
}
need syslinux syslinux
need mkfs.vfat dosfstools
need mcopy mtools
need sfdisk fdisk
need grub-mkstandalone grub-common
need iscsistart open-iscsi
need cpio cpio
[ -f /usr/lib/syslinux/mbr/mbr.bin ] || die "/usr/lib/syslinux/mbr/mbr.bin is missing (apt-get install syslinux-common)"
[ -f /usr/lib/syslinux/modules/bios/ldlinux.c32 ] || die "ldlinux.c32 is missing (apt-get install syslinux-common)"
[ -d /usr/lib/grub/x86_64-efi ] || die "/usr/lib/grub/x86_64-efi is missing (apt-get install grub-efi-amd64-bin)"
busybox=/bin/busybox
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' || [ -n "$(ldd "$busybox" 2>&1 | grep -i 'not a dynamic')" ] ||
    die "$busybox is not static (apt-get install busybox-static)"

kdir=$("$src/tests/vm/prepare-kernel")
kver=$(basename "$(readlink -f "$kdir")")
[ -f "$kdir/vmlinuz" ] && [ -d "$kdir/lib/modules/$kver" ] || die "prepare-kernel gave no kernel in $kdir"

pkgs=$(dpkg-query -W -f '${Package}=${Version} ' syslinux syslinux-common grub-efi-amd64-bin open-iscsi busybox-static 2>/dev/null)
hash=$( { cat "$0" "$here/client-init"; echo "$kver $pkgs $version"; } | sha256sum | cut -c1-16)
img=$cache/client-image-$hash.img
if [ -f "$img" ]; then echo "$img"; exit 0; fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/.client-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
log "building $img (kernel $kver)"

# initramfs --------------------------------------------------------------------------------------
ird=$work/initramfs
mkdir -p "$ird"/{bin,sbin,dev,proc,sys,tmp,etc,modules}
cp "$busybox" "$ird/bin/busybox"
for app in $("$busybox" --list); do [ -e "$ird/bin/$app" ] || ln -s busybox "$ird/bin/$app"; done
# iscsistart with the shared libraries it links (ldd), at the same paths.
copy_with_libs() {
    local bin=$1 dest=$2 lib
    cp "$bin" "$ird/$dest"
    for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
        mkdir -p "$ird$(dirname "$lib")"
        cp -L "$lib" "$ird$lib"
    done
}
rm -f "$ird/sbin/iscsistart"
copy_with_libs "$(command -v iscsistart)" sbin/iscsistart
: > "$ird/modules/load-order"
# NICs (e1000 for iPXE-ROM clients, virtio-net for the firmware-PXE one), the iSCSI initiator, iBFT.
for m in e1000 virtio_pci virtio_net crc32c_generic iscsi_tcp iscsi_ibft sd_mod; do
    deps=$(modprobe -d "$kdir" -S "$kver" --show-depends "$m") || die "module $m not found for $kver"
    while read -r kind path _; do
        [ "$kind" = insmod ] || continue
        base=$(basename "$path")
        grep -qx "$base" "$ird/modules/load-order" && continue
        cp "$path" "$ird/modules/$base"
        echo "$base" >> "$ird/modules/load-order"
    done <<< "$deps"
done
cp "$here/client-init" "$ird/init"
chmod 755 "$ird/init"
(cd "$ird" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -9) > "$work/initrd.gz"

# boot loaders -----------------------------------------------------------------------------------
cmdline="console=ttyS0,115200 loglevel=4 panic=-1 rdinit=/init"
cat > "$work/syslinux.cfg" <<EOF
SERIAL 0 115200
DEFAULT bootlink
PROMPT 0
TIMEOUT 0
LABEL bootlink
  LINUX /vmlinuz
  INITRD /initrd.gz
  APPEND $cmdline
EOF
# GRUB finds its partition by a file only this image has (the SAN disk is not GRUB's own device).
cat > "$work/grub.cfg" <<EOF
set timeout=0
search --no-floppy --set=root --file /bootlink-client
echo "bootlink client image: loading the kernel from (\$root)"
linux /vmlinuz $cmdline
initrd /initrd.gz
boot
EOF
grub-mkstandalone -O x86_64-efi -o "$work/BOOTX64.EFI" --locales= --fonts= --themes= \
    --install-modules="linux normal configfile search search_fs_file part_msdos fat echo test" \
    --modules="part_msdos fat" "boot/grub/grub.cfg=$work/grub.cfg" || die "grub-mkstandalone failed"
echo "bootlink test client $version" > "$work/bootlink-client"

# disk -------------------------------------------------------------------------------------------
total=131072                     # 64 MiB in 512-byte sectors
p1_start=2048 p2_size=2048
p2_start=$((total - p2_size))
p1_size=$((p2_start - p1_start))
fat=$work/fat.img
mkfs.vfat -C -n BOOTLINK -h "$p1_start" "$fat" $((p1_size / 2)) >/dev/null
export MTOOLS_SKIP_CHECK=1
mmd -i "$fat" ::/EFI ::/EFI/BOOT
mcopy -i "$fat" "$kdir/vmlinuz" ::/vmlinuz
mcopy -i "$fat" "$work/initrd.gz" ::/initrd.gz
mcopy -i "$fat" "$work/syslinux.cfg" ::/syslinux.cfg
mcopy -i "$fat" "$work/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$fat" "$work/bootlink-client" ::/bootlink-client
syslinux --install "$fat" || die "syslinux --install failed"
mdir -a -i "$fat" ::/ldlinux.sys >/dev/null 2>&1 || die "syslinux did not install ldlinux.sys"

disk=$work/disk.img
truncate -s $((total * 512)) "$disk"
sfdisk -q "$disk" <<EOF || die "sfdisk failed"
label: dos
start=$p1_start, size=$p1_size, type=ef, bootable
start=$p2_start, size=$p2_size, type=da
EOF
dd if=/usr/lib/syslinux/mbr/mbr.bin of="$disk" bs=440 count=1 conv=notrunc status=none
dd if="$fat" of="$disk" bs=512 seek="$p1_start" conv=notrunc status=none
{ printf 'version=%s\n' "$version"; head -c 511 /dev/zero; } | head -c 512 |
    dd of="$disk" bs=512 seek="$p2_start" conv=notrunc status=none
mv "$disk" "$img"
log "ready: $img ($(du -h "$work/initrd.gz" | cut -f1) initrd)"
echo "$img"
