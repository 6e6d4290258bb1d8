#!/bin/bash
# handler_bootlink.so against what an admin could use instead, all in one guest run:
#   (a) LIO fileio on the base          (b) blpass: a bare passthrough TCMU handler (the ceiling)
#   (c) tcmu-runner's qcow handler, qcow2 overlay on the base
#   (d) LIO iblock on dm-thin with the base as external origin
#   (e) bootlink: unwritten blocks, overlay blocks, first writes, rewrites
#
#   tests/bench/vm-bench-handler.sh [--rounds N] [--seconds S] [--base-mib M] [--mem MB]
#
# Run on the host (needs a build: BOOTLINK_BUILD_DIR, default ./build); it re-runs itself in a
# guest (tests/vm/run-in-guest). Reads: iscsi-perf QD32, 4 KiB sequential, 4 KiB random, 64 KiB
# random. Writes: bl-iscsi-io perf QD32 4 KiB random: "first" = one write per 64 KiB cluster of a
# LUN made fresh for the round (every write allocates: a 4 KiB sub-block in bootlink, a 64 KiB
# chunk copied from the base in dm-thin),
# "rewrite" = S seconds of 4 KiB writes all over that LUN right after (every cluster allocated).
# The LUNs alternate within a round and their order rotates between rounds; the figures are IOPS
# summed over the rounds. Absolute IOPS under TCG vary 5x between machines and with load: only the
# ratios of one run mean anything. Output: one JSON line per (test, LUN) with vs_fileio and
# vs_ceiling, then a table; both are also left in $BOOTLINK_VM_OUT/bench-handler.{json,txt}.
# Never run tcmu-runner with -d here: it logs every command and runs ~30x slower.
set -euo pipefail
rounds=3 secs=5 base_mib=128 mem=3072
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds=$2; shift 2 ;;
        --seconds) secs=$2; shift 2 ;;
        --base-mib) base_mib=$2; shift 2 ;;
        --mem) mem=$2; shift 2 ;;
        *) echo "usage: $0 [--rounds N] [--seconds S] [--base-mib M] [--mem MB]" >&2; exit 2 ;;
    esac
done
if [ -z "${BOOTLINK_VM_NAME:-}" ]; then
    here=$(cd "$(dirname "$0")" && pwd)
    exec "$here/../vm/run-in-guest" --mem "$mem" --timeout 5400 "$0" \
        --rounds "$rounds" --seconds "$secs" --base-mib "$base_mib"
fi

. "$BOOTLINK_SOURCE_DIR/tests/vm/lib.sh"
. "$BOOTLINK_SOURCE_DIR/tests/bench/bench-lib.sh"
D=/var/tmp/bench
mkdir -p "$D"
# The guest's root is an overlayfs, which refuses RWF_NOWAIT and whose files the engine cannot
# know to be resident: every bootlink READ would go to a worker thread there. Servers keep images
# on ext4/XFS (RWF_NOWAIT works) or tmpfs (always resident); the files live on a tmpfs here.
mount -t tmpfs -o size=$((base_mib * 8 + 512))m tmpfs "$D"
SIZE=$((base_mib * 1048576))
NBLK=$((SIZE / 512)) NCL=$((SIZE / 65536))
I=$BL_IQN:client-bench

step "base ${base_mib} MiB, copies, overlays; tcmu-runner with bootlink, blpass and qcow"
pattern "$D/base.img" "$base_mib"
cp "$D/base.img" "$D/pass.img"
cp "$D/base.img" "$D/fileio-w.img"
start_tcmu_runner "$(bench_handler_dir)"

export_as() { iscsi_export "$BL_IQN:target-$1" "$2" "$I"; } # LUN-NAME BACKSTORE-DIR
unexport() { iscsi_unexport "$BL_IQN:target-$1"; }
lun_url() { url "$BL_IQN:target-$1"; }

export_as fileio "$(lio_fileio bench-base "$D/base.img")"
export_as fileio-w "$(lio_fileio bench-w "$D/fileio-w.img")"
export_as pass "$(lio_user bench-pass "blpass/$D/pass.img" "$SIZE")"
qemu-img create -q -f qcow2 -b "$D/base.img" -F raw "$D/q.qcow2"
export_as qcow "$(lio_user bench-qcow "qcow/$D/q.qcow2" "$SIZE")"
thin_pool_setup "$D" "$D/base.img" $((SIZE * 2))
export_as thin "$(lio_iblock bench-thin "$(thin_new 0)")"
"$BL_IMG" create -b "$D/base.img" "$D/unwritten.ovl"
export_as bl-unwritten "$(lio_user bench-blu "bootlink/$D/unwritten.ovl" "$SIZE")"
"$BL_IMG" create -b "$D/base.img" "$D/overlay.ovl"
export_as bl-overlay "$(lio_user bench-blo "bootlink/$D/overlay.ovl" "$SIZE")"
step "pre-writing every cluster of the bl-overlay LUN"
"$BL_IO" -i "$I" "$(lun_url bl-overlay)" perf write seq 32 128 0 "$NCL" 128 0
echo "   bl-overlay holds $(ovl_allocated "$D/overlay.ovl") bytes"

# A fresh LUN for the write tests of one round, per kind; prints the LUN name.
fresh_w() { # KIND ROUND
    case "$1" in
        fileio) echo fileio-w ;;
        pass) echo pass ;;
        qcow) qemu-img create -q -f qcow2 -b "$D/base.img" -F raw "$D/qw$2.qcow2"
              export_as "qcow-w$2" "$(lio_user "bench-qw$2" "qcow/$D/qw$2.qcow2" "$SIZE")"; echo "qcow-w$2" ;;
        thin) export_as "thin-w$2" "$(lio_iblock "bench-tw$2" "$(thin_new "$2")")"; echo "thin-w$2" ;;
        bootlink) "$BL_IMG" create -b "$D/base.img" "$D/w$2.ovl"
                  export_as "bl-w$2" "$(lio_user "bench-blw$2" "bootlink/$D/w$2.ovl" "$SIZE")"; echo "bl-w$2" ;;
    esac
}
drop_w() { # KIND ROUND
    case "$1" in
        qcow) unexport "qcow-w$2"; lio_remove "$CFS/core/user_1/bench-qw$2"; rm "$D/qw$2.qcow2" ;;
        thin) unexport "thin-w$2"; lio_remove "$CFS/core/iblock_0/bench-tw$2"; thin_drop "$2" ;;
        bootlink) unexport "bl-w$2"; lio_remove "$CFS/core/user_1/bench-blw$2"; rm "$D/w$2.ovl" ;;
    esac
}

# perf_write URL ARGS...: bl-iscsi-io perf write, IOPS only (0 when commands failed: qcow).
perf_write() {
    local u=$1 out rc=0; shift
    out=$(timeout 600 "$BL_IO" -i "$I" "$u" perf write "$@") || rc=$?
    if [ "$rc" = 124 ]; then bench_hung "bl-iscsi-io perf write $* on $u"; echo 0; return; fi
    echo "$out" | jq .iops
}

READ_LUNS=(fileio pass qcow thin bl-unwritten bl-overlay)
# qcow is left out of the write tests: tcmu-runner 1.5.4's qcow handler fails every allocating
# write on the guest's tmpfs (fallocate: Operation not supported -> MEDIUM ERROR 03/0C00).
WRITE_KINDS=(fileio pass thin bootlink)
for r in $(seq 1 "$rounds"); do
    step "round $r of $rounds"
    for lun in $(rotate "$r" "${READ_LUNS[@]}"); do
        bench_add 4k-seq-read "$lun" "$(perf_read "$I" "$(lun_url "$lun")" 8 "" "$secs")"
        bench_add 4k-rand-read "$lun" "$(perf_read "$I" "$(lun_url "$lun")" 8 -r "$secs")"
        bench_add 64k-rand-read "$lun" "$(perf_read "$I" "$(lun_url "$lun")" 128 -r "$secs")"
    done
    for kind in $(rotate "$r" "${WRITE_KINDS[@]}"); do
        lun=$(fresh_w "$kind" "$r")
        bench_add 4k-first-write "$kind" "$(perf_write "$(lun_url "$lun")" rand 32 8 0 "$NCL" 128 0)"
        bench_add 4k-rewrite "$kind" "$(perf_write "$(lun_url "$lun")" rand 32 8 0 $((NBLK / 8)) 8 "$secs")"
        drop_w "$kind" "$r"
    done
    bench_progress
done

step "results: IOPS summed over $rounds rounds of ${secs}s (first writes: one pass of $NCL writes)"
bench_report handler fileio pass "$OUT/bench-handler"
[ ! -s "$OUT/hung.txt" ] || { echo "commands that never completed (counted as 0):"; cat "$OUT/hung.txt"; }
