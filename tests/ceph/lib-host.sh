# Host-side helpers for the tests that need the Ceph test cluster (tests/ceph/test-*.sh, the rbd vm
# test and benchmark). Source it; ceph_test_start brings a cluster up in a work directory of its
# own and arranges that it is torn down however the script ends.
set -euo pipefail
CEPH_TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
_failures=0 _passes=0

step() { echo "== $* (at ${SECONDS}s)"; }
die() { echo "FAIL: $*" >&2; exit 1; }
ok() { _passes=$((_passes + 1)); echo "ok - $*"; }
not_ok() { _failures=$((_failures + 1)); echo "not ok - $*"; }
# expect DESCRIPTION COMMAND...: a check that counts and carries on.
expect() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
fails() { ! "$@" 2>/dev/null; } # COMMAND...: succeeds when COMMAND fails
quiet() { "$@" > /dev/null; } # COMMAND...: its status, without its output
# expect_rc DESCRIPTION STATUS TEXT COMMAND...: COMMAND fails with STATUS and its stderr (kept in
# $CEPH_WORK/err) holds TEXT.
expect_rc() {
    local d=$1 want=$2 text=$3 rc=0; shift 3
    "$@" > /dev/null 2> "$CEPH_WORK/err" || rc=$?
    cat "$CEPH_WORK/err" >> "$CEPH_WORK/err.all"
    if [ "$rc" = "$want" ] && grep -qF -- "$text" "$CEPH_WORK/err"; then
        ok "$d"
    else
        not_ok "$d (status $rc, wanted $want; stderr: $(head -c 300 "$CEPH_WORK/err"))"
    fi
}

# ceph_test_start NAME: a work directory, the cluster up in it (exported CEPH_* variables), and a
# trap that tears it down; the directory (logs) is kept when the script fails or
# BOOTLINK_CEPH_KEEP=1.
ceph_test_start() {
    CEPH_WORK=$(mktemp -d "/var/tmp/bootlink-ceph-$1.XXXXXX")
    export CEPH_WORK
    : > "$CEPH_WORK/err.all"
    trap ceph_test_cleanup EXIT
    # A test may first leave a crashed run behind in the same directory.
    if declare -F ceph_test_pre_up > /dev/null; then ceph_test_pre_up; fi
    step "Ceph test cluster in $CEPH_WORK/cluster"
    "$CEPH_TOOLS/ceph-cluster" up "$CEPH_WORK/cluster" > "$CEPH_WORK/cluster.env" ||
        die "the test cluster did not come up (logs in $CEPH_WORK/cluster/log)"
    set -a
    . "$CEPH_WORK/cluster.env"
    set +a
}
ceph_test_cleanup() {
    local rc=$?
    "$CEPH_TOOLS/ceph-cluster" down "$CEPH_WORK/cluster" || rc=1
    if [ "$rc" = 0 ] && [ -z "${BOOTLINK_CEPH_KEEP:-}" ]; then
        rm -rf "$CEPH_WORK"
    else
        echo "kept for a post-mortem: $CEPH_WORK (cluster logs in cluster/log)" >&2
    fi
    exit "$rc"
}
# finish: the plain summary line, and the exit status.
ceph_test_finish() { echo "$_passes passed, $_failures failed"; [ "$_failures" = 0 ]; }

in_ns_env() { ip netns exec "$CEPH_NETNS" "$@"; } # COMMAND... inside the cluster's namespace
rbd_() { in_ns_env timeout 120 rbd -c "$CEPH_ADMIN_CONF" "$@"; }   # the admin's rbd
ceph_() { in_ns_env timeout 120 ceph -c "$CEPH_ADMIN_CONF" "$@"; } # the admin's ceph
gw_cli() { in_ns_env "$CLI" -c "$CEPH_GW_CONF" -n "$CEPH_GW_ID" "$@"; } # blrbd-cli as the gateway

# ceph_run_guest IP MAC [run-in-guest options] SCRIPT ARGS...: run-in-guest inside the cluster's
# namespace with a tap on its bridge; the guest gets IP and finds the cluster through
# BOOTLINK_T_CEPH_* (tests/ceph/lib-guest.sh). The kernel is prepared outside the namespace first:
# the namespace has no route to the package mirror.
ceph_run_guest() {
    local ip=$1 mac=$2 tap=bltap${1##*.}; shift 2
    "$CEPH_TOOLS/../vm/prepare-kernel" > /dev/null || die "tests/vm/prepare-kernel failed"
    "$CEPH_TOOLS/ceph-cluster" tap "$CEPH_DIR" "$tap"
    BOOTLINK_T_CEPH_GUEST_IP=$ip BOOTLINK_T_CEPH_MON_IP=$CEPH_MON_IP BOOTLINK_T_CEPH_POOL=$CEPH_POOL \
    BOOTLINK_T_CEPH_GW_CONF=$CEPH_GW_CONF BOOTLINK_T_CEPH_GW_ID=$CEPH_GW_ID \
        in_ns_env "$CEPH_TOOLS/../vm/run-in-guest" --nic "tap,ifname=$tap,script=no,downscript=no@$mac" "$@"
}
