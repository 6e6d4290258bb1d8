# Helpers for scripts that run inside the VM guest (see run-in-guest). Source it:
#   . "$BOOTLINK_SOURCE_DIR/tests/vm/lib.sh"
# Every helper fails the script (exit 1) with a message naming what broke; `step` prints progress.
set -euo pipefail

CFS=/sys/kernel/config/target
BUILD=${BOOTLINK_BUILD_DIR:?run this inside run-in-guest}
SRC=${BOOTLINK_SOURCE_DIR:?}
OUT=${BOOTLINK_VM_OUT:-/tmp}
PORTAL_IP=${PORTAL_IP:-127.0.0.1}
_failures=0 _passes=0

step() { echo "== $*"; }
die() { echo "FAIL: $*" >&2; exit 1; }
ok() { _passes=$((_passes + 1)); echo "ok - $*"; }
not_ok() { _failures=$((_failures + 1)); echo "not ok - $*"; }
# expect DESCRIPTION COMMAND...: a check that counts and carries on.
expect() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
# finish: the plain summary line, and the exit status.
# login_refused_with STATUS CMD...: CMD (an iSCSI client) fails, and because the target refused
# the login with STATUS as libiscsi names it ("Authentication failure": CHAP; "Authorization
# failure": no ACL for the initiator), not for any other reason (a portal that is down).
login_refused_with() {
    local want=$1 out; shift
    out=$("$@" 2>&1) && return 1
    echo "$out" >> "$OUT/refused-logins.txt"
    grep -q "Status: $want" <<< "$out"
}
finish() { echo "$_passes passed, $_failures failed"; [ "$_failures" = 0 ]; }

[ -d "$CFS/core" ] || die "LIO is not available in this guest: $CFS/core is missing"

# LIO backstores --------------------------------------------------------------------------------
lio_fileio() { # NAME FILE -> prints the backstore's configfs dir
    local name=$1 file=$2 size d
    size=$(stat -c %s "$file")
    d=$CFS/core/fileio_0/$name
    mkdir -p "$d" || die "fileio backstore $name: mkdir failed"
    echo "fd_dev_name=$file,fd_dev_size=$size" > "$d/control"
    echo 1 > "$d/attrib/emulate_write_cache" 2>/dev/null || true
    echo 1 > "$d/enable" || die "fileio backstore $name: enable failed for $file"
    echo "$d"
}

lio_user() { # NAME CFGSTRING SIZE [MAX_DATA_AREA_MB] -> prints dir (tcmu-runner must be running)
    local name=$1 cfg=$2 size=$3 mb=${4:-16} d
    d=$CFS/core/user_1/$name
    mkdir -p "$d" || die "user backstore $name: mkdir failed"
    echo "dev_config=$cfg,dev_size=$size,hw_block_size=512,max_data_area_mb=$mb" > "$d/control"
    echo 1 > "$d/enable" || die "user backstore $name: enable failed (dev_config=$cfg; see tcmu-runner log $OUT/tcmu-runner.log)"
    echo "$d"
}

lio_iblock() { # NAME DEVICE -> prints dir
    local name=$1 dev=$2 d
    d=$CFS/core/iblock_0/$name
    mkdir -p "$d"
    echo "udev_path=$dev" > "$d/control"
    echo 1 > "$d/enable" || die "iblock backstore $name: enable failed for $dev"
    echo "$d"
}

# iSCSI targets ---------------------------------------------------------------------------------
# iscsi_export TARGET_IQN BACKSTORE_DIR INITIATOR_IQN [PORT]: one TPG, LUN 0, portal, ACL for one
# initiator only (no demo mode), no authentication.
iscsi_export() {
    local tiqn=$1 bs=$2 iiqn=$3 port=${4:-3260} t
    t=$CFS/iscsi/$tiqn/tpgt_1
    mkdir -p "$t/lun/lun_0" || die "target $tiqn: cannot create TPG/LUN"
    ln -s "$bs" "$t/lun/lun_0/$(basename "$bs")" || die "target $tiqn: cannot map $bs to LUN 0"
    [ -d "$t/np/$PORTAL_IP:$port" ] || mkdir "$t/np/$PORTAL_IP:$port" || die "target $tiqn: portal $PORTAL_IP:$port"
    echo 0 > "$t/attrib/authentication"
    echo 0 > "$t/attrib/generate_node_acls"
    iscsi_acl "$tiqn" "$iiqn"
    echo 1 > "$t/enable" || die "target $tiqn: enable failed"
}

iscsi_acl() { # TARGET_IQN INITIATOR_IQN
    local t=$CFS/iscsi/$1/tpgt_1
    mkdir -p "$t/acls/$2/lun_0" || die "target $1: ACL for $2"
    [ -e "$t/acls/$2/lun_0/lun0" ] || ln -s "$t/lun/lun_0" "$t/acls/$2/lun_0/lun0" || die "target $1: ACL LUN mapping for $2"
}

iscsi_unexport() { # TARGET_IQN
    local t=$CFS/iscsi/$1/tpgt_1 a l
    [ -d "$t" ] || return 0
    echo 0 > "$t/enable" 2>/dev/null || true
    for a in "$t"/acls/*/; do
        [ -d "$a" ] || continue
        for l in "$a"lun_*/; do [ -d "$l" ] && { rm -f "$l"lun*; rmdir "$l"; }; done
        rmdir "$a"
    done
    for l in "$t"/lun/lun_*/; do [ -d "$l" ] && { find "$l" -maxdepth 1 -type l -delete; rmdir "$l"; }; done
    for l in "$t"/np/*/; do [ -d "$l" ] && rmdir "$l"; done
    rmdir "$t" "$CFS/iscsi/$1"
}

url() { echo "iscsi://$PORTAL_IP/$1/0"; } # URL for LUN 0 of TARGET_IQN

# tcmu-runner -----------------------------------------------------------------------------------
# start_tcmu_runner [HANDLER_DIR]: the daemon, with our build's handlers, logging to $OUT.
start_tcmu_runner() {
    local hdir=${1:-$BUILD/handler/tcmu} i
    mkdir -p /etc/tcmu
    [ -f /etc/tcmu/tcmu.conf ] || : > /etc/tcmu/tcmu.conf
    local seen
    seen=$(grep -c 'is registered' "$OUT/tcmu-runner.log" 2>/dev/null) || seen=0
    tcmu-runner --handler-path "$hdir" --tcmu-log-dir "$OUT" > "$OUT/tcmu-runner.stdout" 2>&1 &
    TCMU_PID=$!
    # tcmu-runner 1.5.4 logs nothing at its default level once it listens to the kernel; it
    # does so right after loading the handlers (and a device enabled before that is picked up
    # when it scans the kernel's devices at start), so "handlers registered" + 1 s is enough.
    # Tests that start it without any handler (doctor's planted faults) get 5 s.
    for i in $(seq 1 50); do
        if [ "$(grep -c 'is registered' "$OUT/tcmu-runner.log" 2>/dev/null)" -gt "$seen" ]; then
            sleep 1
            return 0
        fi
        kill -0 "$TCMU_PID" 2>/dev/null || die "tcmu-runner exited at start: $(tail -5 "$OUT/tcmu-runner.stdout" "$OUT/tcmu-runner.log" 2>/dev/null)"
        sleep 0.1
    done
    echo "note: tcmu-runner registered no handler from $hdir" >&2
}

stop_tcmu_runner() { # [SIGNAL]
    [ -n "${TCMU_PID:-}" ] || return 0
    kill "-${1:-TERM}" "$TCMU_PID" 2>/dev/null || true
    wait "$TCMU_PID" 2>/dev/null || true
    TCMU_PID=
}

# Data helpers ----------------------------------------------------------------------------------
pattern() { # FILE MIB: a file of random bytes
    head -c "$(( $2 * 1048576 ))" /dev/urandom > "$1"
}

# Handler tests (tests/vm/test-handler-*.sh) ------------------------------------------------------
BL_IMG=$BUILD/handler/img/bootlink-img
BL_IO=$BUILD/tests/tools/bl-iscsi-io

# lio_user_try NAME CFGSTRING SIZE [MB]: like lio_user, but an enable that fails is returned (1),
# not fatal, and the directory is left for lio_remove. Prints nothing.
lio_user_try() {
    local d=$CFS/core/user_1/$1
    mkdir -p "$d" || die "user backstore $1: mkdir failed"
    echo "dev_config=$2,dev_size=$3,hw_block_size=512,max_data_area_mb=${4:-16}" > "$d/control"
    echo 1 > "$d/enable" 2>/dev/null
}

lio_remove() { # BACKSTORE_DIR (unexported first): the device closes (tcmu-runner's close callout)
    rmdir "$1" || die "backstore $1: cannot remove it (still mapped to a LUN?)"
}

# bl_lun NAME OVERLAY [OPTS] [MB]: a user:bootlink backstore on OVERLAY (sized from the image),
# exported as target <prefix>:target-NAME for initiator <prefix>:client-NAME. Prints the URL.
BL_IQN=iqn.2026-11.org.bootlink
bl_lun() {
    local name=$1 ovl=$2 opts=${3:-} size bs
    size=$("$BL_IMG" info --json "$ovl" | jq -r .virtual_size) || die "overlay $ovl: bootlink-img info failed"
    bs=$(lio_user "bl-$name" "bootlink/$ovl$opts" "$size" "${4:-16}")
    iscsi_export "$BL_IQN:target-$name" "$bs" "$BL_IQN:client-$name"
    url "$BL_IQN:target-$name"
}

bl_lun_remove() { # NAME: unexport and remove what bl_lun made
    iscsi_unexport "$BL_IQN:target-$1"
    lio_remove "$CFS/core/user_1/bl-$1"
}

# bl_io NAME SUBCOMMAND...: bl-iscsi-io on NAME's LUN as NAME's initiator.
bl_io() { local n=$1; shift; "$BL_IO" -i "$BL_IQN:client-$n" "$(url "$BL_IQN:target-$n")" "$@"; }

ovl_allocated() { "$BL_IMG" info --json "$1" | jq -r .allocated; } # OVERLAY -> bytes of data held
ovl_clean() { "$BL_IMG" check "$1" > "$OUT/check-$(basename "$1").txt" 2>&1; } # OVERLAY: check finds nothing

blocks_of() { dd if="$1" bs=512 skip="$2" count="$3" status=none; } # FILE LBA N -> those blocks
zeros() { head -c "$(( $1 * 512 ))" /dev/zero; }                      # N -> N zero blocks

# tcmu_log_has TEXT: tcmu-runner's log mentions TEXT (fixed string).
tcmu_log_has() { grep -qF -- "$1" "$OUT/tcmu-runner.log"; }

# restart_tcmu_runner [SIGNAL]: stop it (TERM by default; KILL for a crash) and start it again with
# a fresh log (the old one is kept as tcmu-runner.log.N), so readiness is read from the new one.
restart_tcmu_runner() {
    local n=1
    stop_tcmu_runner "${1:-TERM}"
    while [ -e "$OUT/tcmu-runner.log.$n" ]; do n=$((n + 1)); done
    mv "$OUT/tcmu-runner.log" "$OUT/tcmu-runner.log.$n"
    start_tcmu_runner "${2:-$BUILD/handler/tcmu}"
}

