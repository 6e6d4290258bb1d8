#!/bin/bash
# RBD clones served through LIO, both ways bootlink could serve them, in one guest run:
#   user  = tcmu-runner's packaged rbd handler (librbd in user space), a `user:rbd` backstore
#   krbd  = the guest kernel's rbd driver (`rbd device map -o noudev`) + an iblock backstore
#   fileio = LIO fileio on a copy of the base in the guest's tmpfs: the ceiling of any LUN here
# and the first-write cost of fresh clones by object size.
#
#   tests/bench/vm-rbd-serving.sh [--rounds N] [--seconds S] [--base-mib M] [--object-size SZ]
#                                 [--sizes "4M 1M 256K 64K"] [--mem MB]
#
# Run on the host as root after a build (BOOTLINK_BUILD_DIR, default ./build/vm: blrbd-cli,
# bl-iscsi-io). It brings the test cluster up (tests/ceph/ceph-cluster), imports one base per
# object size of --sizes (256 MiB of random data: every parent object holds data, as an OS image's
# used part does), snapshots v0 and makes the clones, then re-runs itself in a guest on the
# cluster's bridge. Clones: "cu" = copied-up (a clone flattened on the host: every object its
# own), "fresh" = never written (reads go to the parent). Serving clones are of the
# --object-size base (default 1M).
# Tests, in rounds whose LUN order rotates: iscsi-perf QD32 4 KiB and 64 KiB random reads, S s each;
# bl-iscsi-io perf QD32 4 KiB and 64 KiB random writes for S s (on fresh clones: a new clone per
# round, so every round starts fresh); first writes: one 4 KiB write per object, QD8, on a fresh
# clone of each object size (at most 256 writes, spread over the image), against the same writes on
# a copied-up clone ("rewrite").
# Output: JSON lines (prefix {"bench":...}) with IOPS summed over the rounds and ratios to fileio
# and to krbd on the same test; first-write lines with ms per write and bytes copied per write
# (from the clone's usage afterwards); cluster bring-up time, daemons' RSS and CPU seconds during
# the guest run, host load. Figures under TCG on a shared host: only ratios within one run mean
# anything.
set -euo pipefail
rounds=3 secs=5 base_mib=256 objsize=1M sizes="4M 1M 256K 64K" mem=2048 in_guest=
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds=$2; shift 2 ;;
        --seconds) secs=$2; shift 2 ;;
        --base-mib) base_mib=$2; shift 2 ;;
        --object-size) objsize=$2; shift 2 ;;
        --sizes) sizes=$2; shift 2 ;;
        --mem) mem=$2; shift 2 ;;
        --in-guest) in_guest=$2; shift 2 ;;
        *) sed -n '8,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
done
case " $sizes " in *" $objsize "*) ;; *) echo "--object-size $objsize must be one of --sizes" >&2; exit 2 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
bytes() { case "$1" in *K) echo $(( ${1%K} << 10 )) ;; *M) echo $(( ${1%M} << 20 )) ;; *) echo "$1" ;; esac; }
SIZE=$((base_mib << 20))
paths=(user krbd)

# ----------------------------------------------------------------------------------------------
# In the guest.
if [ -n "$in_guest" ]; then
    W=$in_guest
    . "$BOOTLINK_SOURCE_DIR/tests/vm/lib.sh"
    . "$BOOTLINK_SOURCE_DIR/tests/bench/bench-lib.sh"
    . "$BOOTLINK_SOURCE_DIR/tests/ceph/lib-guest.sh"
    I=$BL_IQN:client-bench
    NBLK=$((SIZE / 512))
    ceph_guest_net
    start_tcmu_runner "$(rbd_handler_dir)"
    mkdir -p /var/tmp/fileio
    mount -t tmpfs -o size=$((base_mib + 64))m tmpfs /var/tmp/fileio
    cp "$W/base.raw" /var/tmp/fileio/base.raw

    # lun LABEL PATH IMAGE: a backstore on IMAGE by PATH, exported as target-LABEL.
    lun() {
        local bs
        case "$2" in
            user) bs=$(rbd_user_bs "b-$1" "$3") ;;
            krbd) bs=$(rbd_krbd_bs "b-$1" "$3") ;;
            fileio) bs=$(lio_fileio "b-$1" "$3") ;;
        esac
        iscsi_export "$BL_IQN:target-$1" "$bs" "$I"
    }
    unlun() { # LABEL PATH IMAGE
        iscsi_unexport "$BL_IQN:target-$1"
        case "$2" in
            user) lio_remove "$CFS/core/user_1/b-$1" ;;
            krbd) lio_remove "$CFS/core/iblock_0/b-$1"; rbd_krbd_unmap "$3" ;;
        esac
    }
    lun_url() { url "$BL_IQN:target-$1"; }
    perf_write() { # LABEL ARGS... -> IOPS (0 when it hung)
        local u out rc=0
        u=$(lun_url "$1"); shift
        out=$(timeout 900 "$BL_IO" -i "$I" "$u" perf write "$@") || rc=$?
        if [ "$rc" = 124 ]; then bench_hung "bl-iscsi-io perf write $* on $u"; echo 0; return; fi
        [ "$rc" = 0 ] || die "bl-iscsi-io perf write $* on $u failed: $out"
        echo "$out" | jq .iops
    }

    # tcmu-runner's memory and threads per open rbd device: handler_rbd makes a cluster
    # connection of its own for every device (rados_create per open).
    runner_stat() { # DEVICES-OPEN
        echo "{\"bench\":\"rbd-tcmu-runner\",\"user_devices\":$1,\"rss_mb\":$(( $(awk '/^VmRSS/ {print $2}' "/proc/$TCMU_PID/status") / 1024 )),\"threads\":$(awk '/^Threads/ {print $2}' "/proc/$TCMU_PID/status"),\"guest_mem_used_mb\":$(free -m | awk '/^Mem/ {print $3}')}"
    }
    runner_stat 0
    step "LUNs: fileio, copied-up and fresh clones by both paths"
    lun fileio fileio /var/tmp/fileio/base.raw
    for p in "${paths[@]}"; do
        lun "$p-cu" "$p" "cu-$p"
        lun "$p-fresh" "$p" "fr-$p"
    done
    runner_stat 2
    READ_LUNS=(fileio user-cu krbd-cu user-fresh krbd-fresh)
    for r in $(seq 1 "$rounds"); do
        step "round $r of $rounds: reads"
        for l in $(rotate "$r" "${READ_LUNS[@]}"); do
            bench_add 4k-rand-read "$l" "$(perf_read "$I" "$(lun_url "$l")" 8 -r "$secs")"
            bench_add 64k-rand-read "$l" "$(perf_read "$I" "$(lun_url "$l")" 128 -r "$secs")"
        done
        step "round $r: writes on copied-up clones"
        for l in $(rotate "$r" fileio user-cu krbd-cu); do
            bench_add 4k-rand-write "$l" "$(perf_write "$l" rand 32 8 0 $((NBLK / 8)) 8 "$secs")"
            bench_add 64k-rand-write "$l" "$(perf_write "$l" rand 32 128 0 $((NBLK / 128)) 128 "$secs")"
        done
        step "round $r: writes on fresh clones (a new one per test and round)"
        for p in $(rotate "$r" "${paths[@]}"); do
            lun "fw4k-$p-$r" "$p" "fw4k-$p-$r"
            bench_add 4k-rand-write "$p-fresh" "$(perf_write "fw4k-$p-$r" rand 32 8 0 $((NBLK / 8)) 8 "$secs")"
            unlun "fw4k-$p-$r" "$p" "fw4k-$p-$r"
            lun "fw64k-$p-$r" "$p" "fw64k-$p-$r"
            bench_add 64k-rand-write "$p-fresh" "$(perf_write "fw64k-$p-$r" rand 32 128 0 $((NBLK / 128)) 128 "$secs")"
            unlun "fw64k-$p-$r" "$p" "fw64k-$p-$r"
        done
        step "round $r: first writes by object size"
        for s in $sizes; do
            ob=$(( $(bytes "$s") / 512 ))
            n=$(( NBLK / ob )); stride=$ob
            # At most 256 writes, spread evenly: stride a whole number of objects.
            while [ "$n" -gt 256 ]; do n=$((n / 2)); stride=$((stride * 2)); done
            for p in $(rotate "$r" "${paths[@]}"); do
                lun "fst-$s-$p-$r" "$p" "first-$s-$p-$r"
                bench_add "first-write-$s" "$p" "$(perf_write "fst-$s-$p-$r" rand 8 8 0 "$n" "$stride" 0)"
                unlun "fst-$s-$p-$r" "$p" "first-$s-$p-$r"
                bench_add "first-write-$s" "$p-rewrite" "$(perf_write "$p-cu" rand 8 8 0 "$n" "$stride" 0)"
                echo "{\"bench\":\"rbd-first-write-count\",\"object_size\":\"$s\",\"path\":\"$p\",\"round\":$r,\"writes\":$n}"
            done
        done
        bench_progress
    done
    step "results: IOPS summed over $rounds rounds of ${secs}s"
    bench_report rbd-serving fileio krbd-cu "$OUT/bench-rbd"
    [ ! -s "$OUT/hung.txt" ] || { echo "commands that never completed (counted as 0):"; cat "$OUT/hung.txt"; }
    stop_tcmu_runner
    exit 0
fi

# ----------------------------------------------------------------------------------------------
# On the host.
export BOOTLINK_BUILD_DIR=${BOOTLINK_BUILD_DIR:-$(cd "$here/../.." && pwd)/build/vm}
export CLI=$BOOTLINK_BUILD_DIR/tests/vm/blrbd-cli
[ -x "$CLI" ] && [ -x "$BOOTLINK_BUILD_DIR/tests/tools/bl-iscsi-io" ] ||
    { echo "build first: meson compile -C $BOOTLINK_BUILD_DIR (blrbd-cli, bl-iscsi-io)" >&2; exit 2; }
. "$here/../ceph/lib-host.sh"
json() { echo "$*" | tee -a "$CEPH_WORK/results.json"; }
load() { cut -d' ' -f1-3 /proc/loadavg | tr ' ' ','; }
load_start=$(load)
t0=$SECONDS
ceph_test_start bench
W=$CEPH_WORK
chmod 755 "$W"
json "{\"bench\":\"rbd-cluster\",\"bring_up_s\":$((SECONDS - t0)),\"load\":[$load_start]}"

step "base: $base_mib MiB of random data; one image per object size ($sizes), v0 each"
head -c "$SIZE" /dev/urandom > "$W/base.raw"
for s in $sizes; do
    out=$(gw_cli -o "$s" import "base-$s" "$W/base.raw")
    json "{\"bench\":\"rbd-control\",\"op\":\"import\",\"object_size\":\"$s\",\"mib\":$base_mib,\"ms\":$(jq .ms <<<"$out")}"
    gw_cli snap "base-$s" v0 > /dev/null
done
step "clones"
for p in "${paths[@]}"; do
    out=$(gw_cli clone "base-$objsize" v0 "cu-$p")
    json "{\"bench\":\"rbd-control\",\"op\":\"clone\",\"object_size\":\"$objsize\",\"ms\":$(jq .ms <<<"$out")}"
    out=$(gw_cli flatten "cu-$p")
    json "{\"bench\":\"rbd-control\",\"op\":\"flatten\",\"object_size\":\"$objsize\",\"mib\":$base_mib,\"ms\":$(jq .ms <<<"$out")}"
    gw_cli clone "base-$objsize" v0 "fr-$p" > /dev/null
    for r in $(seq 1 "$rounds"); do
        gw_cli clone "base-$objsize" v0 "fw4k-$p-$r" > /dev/null
        gw_cli clone "base-$objsize" v0 "fw64k-$p-$r" > /dev/null
        for s in $sizes; do gw_cli clone "base-$s" v0 "first-$s-$p-$r" > /dev/null; done
    done
done
for s in $sizes; do
    out=$(gw_cli reclone "base-$s" v0 "first-$s-user-1")
    json "{\"bench\":\"rbd-control\",\"op\":\"reset\",\"object_size\":\"$s\",\"remove_ms\":$(jq .remove_ms <<<"$out"),\"ms\":$(jq .ms <<<"$out")}"
done

# Daemons' memory and CPU: RSS now and at the end, CPU seconds spent during the guest run.
daemon_cpu() { # PID -> CPU seconds
    awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"
}
declare -A cpu0=()
for pid in $(ip netns pids "$CEPH_NETNS"); do cpu0[$pid]=$(daemon_cpu "$pid"); done
g0=$SECONDS
step "the guest (load before: $(load))"
rc=0
ceph_run_guest "$CEPH_NET.2" 52:54:00:99:00:03 --mem "$mem" --timeout 5400 "$0" --rounds "$rounds" \
    --seconds "$secs" --base-mib "$base_mib" --object-size "$objsize" --sizes "$sizes" --in-guest "$W" \
    | tee "$W/guest.log" || rc=$?
[ "$rc" = 0 ] || die "the guest run failed (status $rc); its output is in $W/guest.log"
gsecs=$((SECONDS - g0))
for pid in "${!cpu0[@]}"; do
    [ -e "/proc/$pid" ] || continue
    json "{\"bench\":\"rbd-daemon\",\"daemon\":\"$(cat "/proc/$pid/comm")\",\"rss_mb\":$(( $(awk '/^VmRSS/ {print $2}' "/proc/$pid/status") / 1024 )),\"hwm_mb\":$(( $(awk '/^VmHWM/ {print $2}' "/proc/$pid/status") / 1024 )),\"cpu_s_during_guest\":$(awk -v a="$(daemon_cpu "$pid")" -v b="${cpu0[$pid]}" 'BEGIN {printf "%.1f", a - b}'),\"guest_s\":$gsecs}"
done
json "{\"bench\":\"rbd-host\",\"load_start\":[$load_start],\"load_end\":[$(load)],\"guest_s\":$gsecs}"

step "bytes copied per first write (usage of the first-write clones)"
for s in $sizes; do
    for p in "${paths[@]}"; do
        used=0 writes=0
        for r in $(seq 1 "$rounds"); do
            used=$((used + $(gw_cli du "first-$s-$p-$r" | jq .used)))
            writes=$((writes + $(grep "^{\"bench\":\"rbd-first-write-count\",\"object_size\":\"$s\",\"path\":\"$p\",\"round\":$r," "$W/guest.log" | jq .writes)))
        done
        first=$(grep "\"test\":\"first-write-$s\",\"lun\":\"$p\"," "$W/guest.log" | jq .iops_sum)
        rew=$(grep "\"test\":\"first-write-$s\",\"lun\":\"$p-rewrite\"," "$W/guest.log" | jq .iops_sum)
        json "{\"bench\":\"rbd-first-write\",\"object_size\":\"$s\",\"path\":\"$p\",\"objects_in_image\":$((SIZE / $(bytes "$s"))),\"writes\":$writes,\"iops_sum\":$first,\"rewrite_iops_sum\":$rew,\"vs_rewrite\":$(awk -v a="$first" -v b="$rew" 'BEGIN {printf "%.3f", a / b}'),\"copied_bytes_per_write\":$((used / writes))}"
    done
done
grep -E '^\{"bench":"rbd-(serving|tcmu-runner)"' "$W/guest.log" | tr -d '\r' >> "$W/results.json"
out=${BOOTLINK_BENCH_OUT:-/var/tmp}/bench-rbd-serving-$(date +%Y%m%d-%H%M%S).json
cp "$W/results.json" "$out"
echo "all figures: $out"
