# Guest-side helpers for serving RBD images through LIO (tests/ceph/guest-*.sh, the rbd benchmark);
# source after tests/vm/lib.sh. The guest runs under `ip netns exec` in the test cluster's
# namespace with a tap on its bridge (tests/ceph/lib-host.sh: ceph_run_guest); the cluster's
# settings arrive as BOOTLINK_T_CEPH_* variables.
CEPH_GW_CONF=${BOOTLINK_T_CEPH_GW_CONF:?run through ceph_run_guest}
CEPH_GW_ID=${BOOTLINK_T_CEPH_GW_ID:?}
CEPH_POOL=${BOOTLINK_T_CEPH_POOL:-rbd}

# ceph_guest_net: eth0 on the cluster's bridge, and the monitors answer the gateway's key.
ceph_guest_net() {
    local i
    ip addr add "${BOOTLINK_T_CEPH_GUEST_IP:?}/24" dev eth0 || die "eth0: cannot set ${BOOTLINK_T_CEPH_GUEST_IP}"
    ip link set eth0 up
    for i in $(seq 1 30); do
        timeout 20 rbd -c "$CEPH_GW_CONF" --id "$CEPH_GW_ID" ls "$CEPH_POOL" > /dev/null 2>&1 && return 0
        sleep 1
    done
    die "the cluster at ${BOOTLINK_T_CEPH_MON_IP:-?} does not answer from the guest (rbd ls $CEPH_POOL as client.$CEPH_GW_ID)"
}

# A handler directory with only Debian's tcmu-runner rbd handler in it.
rbd_handler_dir() {
    local h=/run/rbd-handlers
    mkdir -p "$h"
    ln -sf /usr/lib/x86_64-linux-gnu/tcmu-runner/handler_rbd.so "$h/"
    echo "$h"
}

image_size() { # IMAGE -> bytes
    rbd -c "$CEPH_GW_CONF" --id "$CEPH_GW_ID" info --format json "$CEPH_POOL/$1" | jq .size
}

# rbd_user_bs NAME IMAGE -> backstore dir: tcmu-runner's rbd handler (librbd in user space).
# osd_op_timeout: a request the cluster does not answer fails after 30 s instead of never.
rbd_user_bs() {
    lio_user "$1" "rbd/$CEPH_POOL/$2;conf=$CEPH_GW_CONF;id=$CEPH_GW_ID;osd_op_timeout=30" "$(image_size "$2")"
}

# rbd_krbd_bs NAME IMAGE -> backstore dir: the guest kernel's rbd driver + an iblock backstore.
# noudev: there is no udevd in the guest (devtmpfs makes /dev/rbdN).
rbd_krbd_bs() {
    local dev
    modprobe rbd || die "cannot load the rbd kernel module"
    dev=$(rbd -c "$CEPH_GW_CONF" --id "$CEPH_GW_ID" device map -o noudev "$CEPH_POOL/$2") ||
        die "rbd device map $CEPH_POOL/$2 failed"
    [ -b "$dev" ] || die "rbd device map $CEPH_POOL/$2 gave '$dev', not a block device"
    lio_iblock "$1" "$dev"
}
rbd_krbd_unmap() { # IMAGE
    rbd -c "$CEPH_GW_CONF" --id "$CEPH_GW_ID" device unmap -o noudev "$CEPH_POOL/$1"
}
