#!/bin/bash
# Does the TCMU command ring size change how fast a client boots? One boot storm over N bootlink
# LUNs whose command rings (cmd_ring_size_mb) take the given sizes in turn, so every size meets
# the same load at the same moment; repeated ROUNDS times on the same LUNs.
#
#   tests/bench/vm-ring-mix.sh [--luns N] [--cmd-mb "1 2 4 8"] [--rounds R] [--mem MB]
#
# Why a mixed storm: vm-boot-storm.sh measures one ring size after another, and on a shared host
# under TCG one phase can run twice as fast as the next for no reason of its own (see "Measured"
# in doc/handler.md). Within one storm the sizes share the host's luck.
# Prints per round and size one JSON line: the clients' boot times (median, mean, slowest), each
# a boot as in vm-boot-storm.sh (8 MiB hot set in 64 KiB reads, 256 scattered 4 KiB reads, 16
# scattered 4 KiB writes; QD4), with max_data_area_mb=8.
set -euo pipefail
luns=32 sizes="1 2 4 8" rounds=3 mem=2048 base_mib=128
while [ $# -gt 0 ]; do
    case "$1" in
        --luns) luns=$2; shift 2 ;;
        --cmd-mb) sizes=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --mem) mem=$2; shift 2 ;;
        *) echo "usage: $0 [--luns N] [--cmd-mb \"1 2 4 8\"] [--rounds R] [--mem MB]" >&2; exit 2 ;;
    esac
done
if [ -z "${BOOTLINK_VM_NAME:-}" ]; then
    here=$(cd "$(dirname "$0")" && pwd)
    exec "$here/../vm/run-in-guest" --mem "$mem" --timeout $(( 1800 + 60 * luns * rounds )) "$0" \
        --luns "$luns" --cmd-mb "$sizes" --rounds "$rounds"
fi

. "$BOOTLINK_SOURCE_DIR/tests/vm/lib.sh"
D=/var/tmp/ring-mix
mkdir -p "$D/ovl"
NBLK=$((base_mib * 2048))
read -ra size_of <<< "$sizes"
cmd_mb() { echo "${size_of[$(( ($1 - 1) % ${#size_of[@]} ))]}"; } # LUN i -> its ring size

step "$luns bootlink LUNs on one ${base_mib} MiB base, command rings of $sizes MiB in turn"
pattern "$D/base.img" "$base_mib"
ulimit -n 1000000 # as the packaged tcmu-runner.service
start_tcmu_runner
for i in $(seq 1 "$luns"); do
    "$BL_IMG" create -b "$D/base.img" "$D/ovl/m$i.ovl"
    b=$CFS/core/user_1/bl-m$i
    mkdir -p "$b"
    echo "dev_config=bootlink/$D/ovl/m$i.ovl,dev_size=$((base_mib * 1048576)),hw_block_size=512,max_data_area_mb=8,cmd_ring_size_mb=$(cmd_mb "$i")" > "$b/control"
    echo 1 > "$b/enable" || die "backstore bl-m$i: enable failed (see $OUT/tcmu-runner.log)"
    iscsi_export "$BL_IQN:target-m$i" "$b" "$BL_IQN:client-m$i"
done

boot_client() { # IQN URL
    "$BL_IO" -i "$1" "$2" perf read seq 4 128 0 128 128 0 &&
    "$BL_IO" -i "$1" "$2" perf read rand 4 8 0 256 $((NBLK / 256)) 0 &&
    "$BL_IO" -i "$1" "$2" perf write rand 4 8 4 16 $((NBLK / 16)) 0
} > /dev/null

for round in $(seq 1 "$rounds"); do
    step "round $round"
    : > "$D/times"
    : > "$D/ready"
    pids=()
    # All clients are started first and released together (see storm() in vm-boot-storm.sh).
    exec {lk}> "$D/lock"
    flock -x "$lk"
    for i in $(seq 1 "$luns"); do
        (
            echo "$i" >> "$D/ready"
            flock -s "$D/lock" true
            rc=0
            boot_client "$BL_IQN:client-m$i" "$(url "$BL_IQN:target-m$i")" 2> "$OUT/ring-mix-$i.err" || rc=$?
            echo "$(cmd_mb "$i") $rc $(date +%s.%N)" >> "$D/times"
        ) {lk}>&- & pids+=($!)
    done
    while [ "$(wc -l < "$D/ready")" -lt "$luns" ]; do sleep 0.5; done
    sleep 1
    t0=$(date +%s.%N)
    flock -u "$lk"
    exec {lk}>&-
    wait "${pids[@]}" || true
    failed=$(awk '$2 != 0' "$D/times" | wc -l)
    [ "$failed" = 0 ] || echo "round $round: $failed clients failed (errors in $OUT/ring-mix-*.err)" >&2
    for s in $sizes; do
        awk -v s="$s" -v t0="$t0" '$1 == s && $2 == 0 { print $3 - t0 }' "$D/times" | sort -n |
            awk -v s="$s" -v r="$round" '{ v[NR] = $1; sum += $1 }
                END { printf "{\"bench\":\"ring-mix\",\"round\":%d,\"cmd_ring_size_mb\":%d,\"clients\":%d,\"boot_s_median\":%.1f,\"boot_s_mean\":%.1f,\"boot_s_max\":%.1f}\n",
                      r, s, NR, NR ? v[int((NR + 1) / 2)] : 0, NR ? sum / NR : 0, NR ? v[NR] : 0 }'
    done | tee -a "$OUT/ring-mix.json"
done
find "$OUT" -maxdepth 1 -name 'ring-mix-*.err' -empty -delete
stop_tcmu_runner
