#!/bin/bash
# Boot storm: N bootlink LUNs on one base, each "booted" at the same moment by its own libiscsi
# sessions, against one LIO fileio LUN read by the same N clients; for each TCMU ring size asked for.
#
#   tests/bench/vm-boot-storm.sh [--luns N] [--ring-mb "4 8 16 8/1"] [--base-mib M] [--mem MB]
#                                [--timeout S]
#
# --ring-mb lists the TCMU ring sizes to try, each DATA[/CMD]: max_data_area_mb (the data area,
# allocated page by page as commands use it) and optionally cmd_ring_size_mb (the command ring,
# allocated whole when the device is enabled; the kernel's default is 8).
# Run on the host; it re-runs itself in a guest (tests/vm/run-in-guest). At 200 LUNs the guest's
# memory peaked at 1.0 GB during the storm with the 1 MiB command ring and 2.4 GB with the
# kernel's 8 MiB (its 200 initiators included): --mem 2048 for 8/1, --mem 4096 with 8 MiB rings.
# --timeout (guest seconds) defaults to 20 s per LUN and ring size plus 15 min, at least 90 min:
# under TCG 200 LUNs took 5 minutes a ring on a quiet host and 20 on a busy one.
# A client's boot: boot_client in bench-lib.sh (8 MiB hot set, scattered reads, a few writes).
# Printed per ring size, as one JSON line: time to create and export the N backstores, wall time
# of the storm and aggregate MiB/s against fileio's under the same load (how many clients failed,
# and how many connections the target dropped for an unanswered NOP-In), tcmu-runner's RSS,
# threads and file descriptors per device, guest memory per device after creation and after the
# storm (without the overlays' data, which sits in the guest's tmpfs here but on disk on a server)
# and the guest's peak during the storm, and QD32 iscsi-perf on one bootlink LUN (4 KiB and 64 KiB
# random reads) with that ring size. Then, on the host, one line with the host's load during the
# run: the figures mean little without it.
set -euo pipefail
luns=64 rings="4 8 16 8/1" base_mib=128 mem=2048 timeout=
while [ $# -gt 0 ]; do
    case "$1" in
        --luns) luns=$2; shift 2 ;;
        --ring-mb) rings=$2; shift 2 ;;
        --base-mib) base_mib=$2; shift 2 ;;
        --mem) mem=$2; shift 2 ;;
        --timeout) timeout=$2; shift 2 ;;
        *) echo "usage: $0 [--luns N] [--ring-mb \"4 8 16 8/1\"] [--base-mib M] [--mem MB] [--timeout S]" >&2; exit 2 ;;
    esac
done
if [ -z "${BOOTLINK_VM_NAME:-}" ]; then
    here=$(cd "$(dirname "$0")" && pwd)
    nrings=$(wc -w <<< "$rings")
    if [ -z "$timeout" ]; then
        timeout=$(( 900 + 20 * luns * nrings ))
        [ "$timeout" -ge 5400 ] || timeout=5400
    fi
    # The host's load, sampled while the guest runs: other guests on the same cores change every
    # figure, so it is printed with them.
    loadlog=$(mktemp)
    (while :; do cut -d' ' -f1 /proc/loadavg; sleep 30; done) > "$loadlog" &
    sampler=$!
    t0=$(date +%s) rc=0
    "$here/../vm/run-in-guest" --mem "$mem" --timeout "$timeout" "$0" \
        --luns "$luns" --ring-mb "$rings" --base-mib "$base_mib" || rc=$?
    kill "$sampler"
    awk -v cpus="$(nproc)" -v s=$(( $(date +%s) - t0 )) -v rc="$rc" \
        '{ n++; sum += $1; if ($1 > max) max = $1 }
         END { printf "{\"bench\":\"boot-storm-host\",\"cpus\":%d,\"load1_mean\":%.1f,\"load1_max\":%.1f,\"seconds\":%d,\"exit\":%d}\n", cpus, n ? sum / n : 0, max, s, rc }' "$loadlog"
    rm -f "$loadlog"
    exit "$rc"
fi

. "$BOOTLINK_SOURCE_DIR/tests/vm/lib.sh"
. "$BOOTLINK_SOURCE_DIR/tests/bench/bench-lib.sh"
D=/var/tmp/storm
mkdir -p "$D/ovl"
SIZE=$((base_mib * 1048576)) NBLK=$((base_mib * 2048))
FIQN=$BL_IQN:client-storm

step "base ${base_mib} MiB; fileio LUN on a copy; tcmu-runner"
pattern "$D/base.img" "$base_mib"
cp "$D/base.img" "$D/fileio.img"
iscsi_export "$BL_IQN:target-storm-fileio" "$(lio_fileio storm-fileio "$D/fileio.img")" "$FIQN"
# tcmu-runner holds three descriptors per device (its UIO device, the overlay, the base) and one
# more per image layer; guest-init's 1024 would stop it near 330 devices. The packaged unit
# (tcmu-runner.service) sets LimitNOFILE=1000000: measure with that.
ulimit -n 1000000
start_tcmu_runner
TCMU_MAIN=$TCMU_PID

# storm CLIENT-FUNC: N clients booting at the same moment (together, bench-lib.sh). Prints the
# seconds from the start to the last client done, how many clients failed (a failure is a figure
# too: the run goes on, each failed client's errors are in $OUT), and the median and slowest
# successful client's boot time. Times are the clients' own, not the bookkeeping after them.
storm() {
    local t0 t1
    t0=$(together "$luns" "$D" "$1")
    t1=$(date +%s.%N)
    awk -v t0="$t0" -v t1="$t1" -v what="$1" -v out="$OUT" '
        { end = $3 - t0; if (end > last) last = end }
        $2 != 0 { printf "storm: %s %d failed (see %s/%s-%d.err)\n", what, $1, out, what, $1 > "/dev/stderr" }
        END { printf "storm: %s: last client done %.1f s after the start, all reaped after %.1f s\n", what, last, t1 - t0 > "/dev/stderr" }' "$D/times"
    awk -v t0="$t0" '$3 - t0 > last { last = $3 - t0 } END { printf "%.2f ", last }' "$D/times"
    # a client that did not even say how it ended failed too
    echo -n "$(( luns - $(awk '$2 == 0' "$D/times" | wc -l) )) "
    awk -v t0="$t0" '$2 == 0 { print $3 - t0 }' "$D/times" | sort -n |
        awk '{ v[NR] = $1 } END { if (NR) printf "%.1f %.1f", v[int((NR + 1) / 2)], v[NR]; else printf "null null" }'
}
# Client i of each storm (no command substitution: they run once the storm has started).
bl_client() { boot_client "$BL_IQN:client-s$1" "iscsi://$PORTAL_IP/$BL_IQN:target-s$1/0" "$NBLK"; }
fileio_client() { boot_client "$FIQN" "iscsi://$PORTAL_IP/$BL_IQN:target-storm-fileio/0" "$NBLK"; }

vmalloc_kb() { awk '/^VmallocUsed/ {print $2}' /proc/meminfo; }
mem_used_kb() { awk '/^MemTotal/ {t=$2} /^MemAvailable/ {a=$2} END {print t - a}' /proc/meminfo; }
proc_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; } # PID FIELD
ovl_kb() { du -sk "$D/ovl" | cut -f1; } # the overlays' data, on the guest's tmpfs
fds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l; } # PID -> open descriptors
# Connections the target dropped because an initiator left its NOP-In unanswered for 30 s (LIO's
# nopin_response_timeout): libiscsi logs in again and retries, so the client does not fail, but
# its boot stalled. Under TCG the 2 vCPUs run initiators and target alike, so starved initiators
# are the likely cause.
nopin_drops() { dmesg | grep -c 'Did not receive response to NOPIN' || true; }
# The guest's memory high-water mark while a storm runs (its clients are gone when it ends).
peak_start() {
    (m=0; while :; do u=$(mem_used_kb); [ "$u" -le "$m" ] || { m=$u; echo "$m" > "$D/peak"; }; sleep 1; done) &
    PEAK_PID=$!
}
peak_stop() { kill "$PEAK_PID"; wait "$PEAK_PID" 2>/dev/null || true; awk '{printf "%d", $1 / 1024}' "$D/peak"; } # -> MB
per_dev() { awk -v a="$1" -v n="$luns" 'BEGIN { printf "%.0f", a / n }'; }

for ring in $rings; do
    mb=${ring%/*} cmdmb=8
    [ "$ring" = "$mb" ] || cmdmb=${ring#*/}
    step "$luns bootlink LUNs with max_data_area_mb=$mb cmd_ring_size_mb=$cmdmb"
    # Overlays first: they live on the guest's tmpfs, and the previous ring's, freed here, would
    # count against this ring's devices. Their data is taken out of the memory figures too.
    for i in $(seq 1 "$luns"); do rm -f "$D/ovl/s$i.ovl"; "$BL_IMG" create -b "$D/base.img" "$D/ovl/s$i.ovl"; done
    sync; echo 3 > /proc/sys/vm/drop_caches
    vm0=$(vmalloc_kb) mem0=$(mem_used_kb) rss0=$(proc_kb "$TCMU_MAIN" VmRSS) thr0=$(proc_kb "$TCMU_MAIN" Threads)
    fd0=$(fds "$TCMU_MAIN") ovl0=$(ovl_kb)
    t0=$(date +%s.%N)
    for i in $(seq 1 "$luns"); do
        b=$CFS/core/user_1/bl-s$i
        mkdir -p "$b"
        echo "dev_config=bootlink/$D/ovl/s$i.ovl,dev_size=$SIZE,hw_block_size=512,max_data_area_mb=$mb,cmd_ring_size_mb=$cmdmb" > "$b/control"
        echo 1 > "$b/enable" || die "backstore bl-s$i: enable failed (see $OUT/tcmu-runner.log)"
    done
    t1=$(date +%s.%N)
    for i in $(seq 1 "$luns"); do
        iscsi_export "$BL_IQN:target-s$i" "$CFS/core/user_1/bl-s$i" "$BL_IQN:client-s$i"
    done
    t2=$(date +%s.%N)
    vm1=$(vmalloc_kb) mem1=$(mem_used_kb) rss1=$(proc_kb "$TCMU_MAIN" VmRSS) thr1=$(proc_kb "$TCMU_MAIN" Threads)
    fd1=$(fds "$TCMU_MAIN")
    step "storm on the $luns bootlink LUNs"
    nop0=$(nopin_drops)
    peak_start
    read -r bl_s bl_bad bl_med bl_max <<< "$(storm bl_client)"
    peak=$(peak_stop) nop1=$(nopin_drops)
    mem2=$(( $(mem_used_kb) - ($(ovl_kb) - ovl0) )) rss2=$(proc_kb "$TCMU_MAIN" VmRSS)
    step "storm on the fileio LUN"
    read -r fio_s fio_bad fio_med fio_max <<< "$(storm fileio_client)"
    nop2=$(nopin_drops)
    step "QD32 on one of them"
    r4=$(perf_read "$BL_IQN:client-s1" "$(url "$BL_IQN:target-s1")" 8 -r 5)
    r64=$(perf_read "$BL_IQN:client-s1" "$(url "$BL_IQN:target-s1")" 128 -r 5)
    f4=$(perf_read "$FIQN" "$(url "$BL_IQN:target-storm-fileio")" 8 -r 5)
    f64=$(perf_read "$FIQN" "$(url "$BL_IQN:target-storm-fileio")" 128 -r 5)
    mib_s() { awk -v s="$1" -v b="$BOOT_BYTES" -v n=$((luns - $2)) 'BEGIN { printf "%.1f", n * b / s / 1048576 }'; } # SECONDS FAILED
    rate() { awk -v s="$1" -v n=$((luns - $2)) 'BEGIN { printf "%.6f", n / s }'; } # SECONDS FAILED -> clients/s
    span() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
    printf '{"bench":"boot-storm","luns":%s,"max_data_area_mb":%s,"cmd_ring_size_mb":%s,"base_mib":%s,"guest_mem_mb":%s,"create_backstores_s":%s,"export_targets_s":%s,' \
        "$luns" "$mb" "$cmdmb" "$base_mib" "$(awk '/^MemTotal/ {printf "%d", $2 / 1024}' /proc/meminfo)" \
        "$(span "$t0" "$t1")" "$(span "$t1" "$t2")" | tee -a "$OUT/boot-storm.json"
    printf '"storm_s":%s,"storm_mib_s":%s,"storm_client_s_median":%s,"storm_client_s_max":%s,"storm_failed_clients":%s,"storm_nopin_drops":%s,' \
        "$bl_s" "$(mib_s "$bl_s" "$bl_bad")" "$bl_med" "$bl_max" "$bl_bad" $((nop1 - nop0)) | tee -a "$OUT/boot-storm.json"
    printf '"fileio_storm_s":%s,"fileio_storm_mib_s":%s,"fileio_storm_client_s_median":%s,"fileio_storm_client_s_max":%s,"fileio_storm_failed_clients":%s,"fileio_storm_nopin_drops":%s,"vs_fileio":%s,' \
        "$fio_s" "$(mib_s "$fio_s" "$fio_bad")" "$fio_med" "$fio_max" "$fio_bad" $((nop2 - nop1)) \
        "$(ratio "$(rate "$bl_s" "$bl_bad")" "$(rate "$fio_s" "$fio_bad")")" | tee -a "$OUT/boot-storm.json"
    printf '"tcmu_rss_kb_per_dev_created":%s,"tcmu_rss_kb_per_dev_after_storm":%s,"tcmu_threads_per_dev":%s,"tcmu_fds_per_dev":%s,' \
        "$(per_dev $((rss1 - rss0)))" "$(per_dev $((rss2 - rss0)))" "$(per_dev $((thr1 - thr0)))" \
        "$(awk -v a=$((fd1 - fd0)) -v n="$luns" 'BEGIN { printf "%.1f", a / n }')" | tee -a "$OUT/boot-storm.json"
    printf '"guest_mem_kb_per_dev_created":%s,"guest_mem_kb_per_dev_after_storm":%s,"vmalloc_kb_per_dev":%s,"guest_used_mb_storm_peak":%s,' \
        "$(per_dev $((mem1 - mem0)))" "$(per_dev $((mem2 - mem0)))" "$(per_dev $((vm1 - vm0)))" "$peak" | tee -a "$OUT/boot-storm.json"
    printf '"qd32_4k_rand_iops":%s,"qd32_64k_rand_iops":%s,"fileio_qd32_4k_rand_iops":%s,"fileio_qd32_64k_rand_iops":%s}\n' \
        "$r4" "$r64" "$f4" "$f64" | tee -a "$OUT/boot-storm.json"

    step "removing the $luns LUNs"
    for i in $(seq 1 "$luns"); do bl_lun_remove "s$i"; done
done
stop_tcmu_runner
