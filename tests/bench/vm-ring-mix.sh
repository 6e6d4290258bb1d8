#!/bin/bash
# Does the TCMU command ring size change how fast a client boots? One boot storm over LUNS
# bootlink LUNs whose command rings (cmd_ring_size_mb) take the SIZES in turn, so every size meets
# the same load at the same moment; ROUNDS storms on the same LUNs.
#
#   tests/bench/vm-ring-mix.sh [LUNS [ROUNDS [SIZES]]]      (default: 32 3 "1 2 4 8")
#
# Why a mixed storm: vm-boot-storm.sh measures one ring size after another, and on a shared host
# under TCG one phase can run twice as fast as the next for no reason of its own (see "Boot
# storm" in doc/handler.md). Within one storm the sizes share the host's luck.
# Prints per round and size one JSON line: the clients' boot times (median, mean, slowest), each
# a boot_client (bench-lib.sh) on a 128 MiB base with max_data_area_mb=8.
set -euo pipefail
luns=${1:-32} rounds=${2:-3} sizes=${3:-1 2 4 8}
if [ -z "${BOOTLINK_VM_NAME:-}" ]; then
    here=$(cd "$(dirname "$0")" && pwd)
    exec "$here/../vm/run-in-guest" --timeout $(( 1800 + 60 * luns * rounds )) "$0" "$luns" "$rounds" "$sizes"
fi

. "$BOOTLINK_SOURCE_DIR/tests/vm/lib.sh"
. "$BOOTLINK_SOURCE_DIR/tests/bench/bench-lib.sh"
D=/var/tmp/ring-mix NBLK=$((128 * 2048))
mkdir -p "$D/ovl"
read -ra size_of <<< "$sizes"
cmd_mb() { echo "${size_of[$(( ($1 - 1) % ${#size_of[@]} ))]}"; } # LUN i -> its ring size
mix_client() { boot_client "$BL_IQN:client-m$1" "iscsi://$PORTAL_IP/$BL_IQN:target-m$1/0" "$NBLK"; }

step "$luns bootlink LUNs on one 128 MiB base, command rings of $sizes MiB in turn"
pattern "$D/base.img" 128
ulimit -n 1000000 # as the packaged tcmu-runner.service
start_tcmu_runner
for i in $(seq 1 "$luns"); do
    "$BL_IMG" create -b "$D/base.img" "$D/ovl/m$i.ovl"
    b=$CFS/core/user_1/bl-m$i
    mkdir -p "$b"
    echo "dev_config=bootlink/$D/ovl/m$i.ovl,dev_size=$((NBLK * 512)),hw_block_size=512,max_data_area_mb=8,cmd_ring_size_mb=$(cmd_mb "$i")" > "$b/control"
    echo 1 > "$b/enable" || die "backstore bl-m$i: enable failed (see $OUT/tcmu-runner.log)"
    iscsi_export "$BL_IQN:target-m$i" "$b" "$BL_IQN:client-m$i"
done

for round in $(seq 1 "$rounds"); do
    step "round $round"
    t0=$(together "$luns" "$D" mix_client)
    failed=$(awk '$2 != 0' "$D/times" | wc -l)
    [ "$failed" = 0 ] || echo "round $round: $failed clients failed (errors in $OUT/mix_client-*.err)" >&2
    while read -r i rc end; do echo "$(cmd_mb "$i") $rc $end"; done < "$D/times" > "$D/by-size"
    for s in $sizes; do
        awk -v s="$s" -v t0="$t0" '$1 == s && $2 == 0 { print $3 - t0 }' "$D/by-size" | sort -n |
            awk -v s="$s" -v r="$round" '{ v[NR] = $1; sum += $1 }
                END { printf "{\"bench\":\"ring-mix\",\"round\":%d,\"cmd_ring_size_mb\":%d,\"clients\":%d,\"boot_s_median\":%.1f,\"boot_s_mean\":%.1f,\"boot_s_max\":%.1f}\n",
                      r, s, NR, NR ? v[int((NR + 1) / 2)] : 0, NR ? sum / NR : 0, NR ? v[NR] : 0 }'
    done | tee -a "$OUT/ring-mix.json"
done
stop_tcmu_runner
