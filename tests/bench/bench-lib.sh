# Helpers for the guest benchmarks (vm-bench-handler.sh, vm-boot-storm.sh, vm-ring-mix.sh);
# source after tests/vm/lib.sh. Figures are summed per (test, LUN) with bench_add and printed by
# bench_report as JSON lines plus a table, with ratios to two baselines measured in the same run.
export DM_DISABLE_UDEV=1 # no udev in the guest: dmsetup must not wait for it

# A handler directory for tcmu-runner (it takes one --handler-path): bootlink, the passthrough
# ceiling and Debian's qcow handler.
bench_handler_dir() {
    local h=/run/bench-handlers
    mkdir -p "$h"
    ln -sf "$BUILD/handler/tcmu/handler_bootlink.so" "$BUILD/tests/bench/handler_blpass.so" \
        /usr/lib/x86_64-linux-gnu/tcmu-runner/handler_qcow.so "$h/"
    echo "$h"
}

rotate() { # R ITEM...: the items, rotated left by R-1 (so each round starts with another one)
    local k=$(( ($1 - 1) % ($# - 1) )); shift
    local a=("$@")
    echo "${a[@]:k}" "${a[@]:0:k}"
}

# bench_hung WHAT: a load tool did not finish (libiscsi has no command timeout): say where every
# tcmu-runner thread waits, for the report. The figure counts as 0 and the run goes on.
bench_hung() {
    local t
    echo "HUNG: $1" >&2
    for t in /proc/"$(pgrep -x tcmu-runner | head -1)"/task/*; do
        echo "  $(cat "$t/comm") wchan=$(cat "$t/wchan" 2>/dev/null) state=$(awk '/^State/ {print $2}' "$t/status")" >&2
    done
    tail -5 "$OUT/tcmu-runner.log" >&2
    echo "$1" >> "$OUT/hung.txt"
}

# perf_read INITIATOR URL BLOCKS RANDOMFLAG SECONDS -> the average IOPS iscsi-perf reports (QD32).
perf_read() {
    local out iops rc=0
    out=$(timeout $(($5 + 120)) iscsi-perf -i "$1" -m 32 -b "$3" $4 -t "$5" "$2" 2>&1) || rc=$?
    if [ "$rc" = 124 ]; then bench_hung "iscsi-perf -b $3 $4 on $2"; echo 0; return; fi
    [ "$rc" = 0 ] || die "iscsi-perf on $2 failed: $out"
    iops=$(printf '%s\n' "$out" | tr '\r' '\n' | sed -n 's/.*iops average \([0-9]*\) .*/\1/p' | tail -1)
    [ -n "$iops" ] || die "iscsi-perf on $2 printed no average: $out"
    echo "$iops"
}

# Boot storms (vm-boot-storm.sh, vm-ring-mix.sh) -----------------------------------------------
# boot_client IQN URL BLOCKS: one client's boot on a LUN of BLOCKS 512-byte blocks, in three short
# sessions: the hot set (the first 8 MiB, 64 KiB reads in order, QD4: kernel, drivers), then 256
# scattered 4 KiB reads (QD4) over the disk, then 16 scattered 4 KiB writes (logs, registry).
# Every client reads the same blocks, as identical PCs do.
BOOT_BYTES=$(( 8 * 1048576 + 256 * 4096 + 16 * 4096 ))
boot_client() {
    "$BL_IO" -i "$1" "$2" perf read seq 4 128 0 128 128 0 &&
    "$BL_IO" -i "$1" "$2" perf read rand 4 8 0 256 $(($3 / 256)) 0 &&
    "$BL_IO" -i "$1" "$2" perf write rand 4 8 4 16 $(($3 / 16)) 0
} > /dev/null

# together N DIR FUNC: FUNC 1 ... FUNC N in parallel, started at the same moment; prints that
# moment (date +%s.%N). DIR/times gets "I STATUS END-TIME" for each; FUNC i's errors go to
# $OUT/FUNC-i.err, kept only when not empty. Starting N shells under TCG takes about a second for
# three, so all are started first and wait on a lock that is then released: otherwise the first
# clients would be done before the last ones start. FUNC should not fork before its real work.
together() {
    local n=$1 dir=$2 fn=$3 i lk t0 pids=()
    : > "$dir/times"
    : > "$dir/ready"
    exec {lk}> "$dir/lock"
    flock -x "$lk"
    for i in $(seq 1 "$n"); do
        (
            echo "$i" >> "$dir/ready"
            flock -s "$dir/lock" true
            rc=0
            "$fn" "$i" 2> "$OUT/$fn-$i.err" || rc=$?
            echo "$i $rc $(date +%s.%N)" >> "$dir/times"
        ) {lk}>&- & pids+=($!)
    done
    for i in $(seq 1 1200); do [ "$(wc -l < "$dir/ready")" -lt "$n" ] || break; sleep 0.5; done
    [ "$(wc -l < "$dir/ready")" = "$n" ] || die "$fn: only $(wc -l < "$dir/ready") of $n started in 10 minutes"
    sleep 1 # the last to say it is ready is then waiting on the lock
    t0=$(date +%s.%N)
    flock -u "$lk"
    exec {lk}>&-
    wait "${pids[@]}" || true
    find "$OUT" -maxdepth 1 -name "$fn-*.err" -empty -delete
    echo "$t0"
}

# dm-thin with an external origin: the in-kernel copy-on-write an admin could build by hand.
# thin_pool_setup DIR BASEFILE DATA_BYTES; thin_new ID -> /dev/dm-N; thin_drop ID.
thin_pool_setup() {
    local meta data
    THIN_ORIGIN=$(losetup -r -f --show "$2") || die "losetup of the base $2 failed"
    truncate -s 64M "$1/thin-meta.img"
    truncate -s "$3" "$1/thin-data.img"
    meta=$(losetup -f --show "$1/thin-meta.img")
    data=$(losetup -f --show "$1/thin-data.img")
    dd if=/dev/zero of="$meta" bs=4096 count=1 conv=notrunc status=none
    dmsetup create --noudevsync blbench-pool \
        --table "0 $(($3 / 512)) thin-pool $meta $data 128 0" || die "dm thin-pool creation failed"
    THIN_POOL=$(dmsetup info -c --noheadings -o major,minor blbench-pool | tr -d ' ')
    THIN_SECTORS=$(blockdev --getsz "$THIN_ORIGIN")
}
thin_new() {
    local minor
    dmsetup message blbench-pool 0 "create_thin $1" || die "dm-thin: create_thin $1 failed"
    dmsetup create --noudevsync "blbench-thin$1" \
        --table "0 $THIN_SECTORS thin $THIN_POOL $1 $THIN_ORIGIN" || die "dm-thin: thin $1 failed"
    minor=$(dmsetup info -c --noheadings -o minor "blbench-thin$1" | tr -d ' ')
    [ -b "/dev/dm-$minor" ] || mknod "/dev/dm-$minor" b "${THIN_POOL%%:*}" "$minor"
    echo "/dev/dm-$minor"
}
thin_drop() {
    dmsetup remove --noudevsync "blbench-thin$1" && dmsetup message blbench-pool 0 "delete $1"
}

# Results ---------------------------------------------------------------------------------------
declare -A BENCH_SUM=() BENCH_N=()
BENCH_TESTS=() BENCH_LUNS=()
bench_add() { # TEST LUN VALUE
    local k="$1|$2"
    [[ " ${BENCH_TESTS[*]} " == *" $1 "* ]] || BENCH_TESTS+=("$1")
    [[ " ${BENCH_LUNS[*]} " == *" $2 "* ]] || BENCH_LUNS+=("$2")
    BENCH_SUM[$k]=$(( ${BENCH_SUM[$k]:-0} + ${3%.*} ))
    BENCH_N[$k]=$(( ${BENCH_N[$k]:-0} + 1 ))
}
bench_progress() { # the sums so far, one line per test (a long run shows where it is)
    local t l line
    for t in "${BENCH_TESTS[@]}"; do
        line="   $t:"
        for l in "${BENCH_LUNS[@]}"; do [ -n "${BENCH_SUM[$t|$l]:-}" ] && line+=" $l=${BENCH_SUM[$t|$l]}"; done
        echo "$line"
    done
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "null" }'; }

# bench_report NAME BASE1 BASE2 PREFIX: JSON lines (PREFIX.json) and a table (PREFIX.txt), both
# printed; ratios of every LUN to BASE1 and BASE2 on the same test.
bench_report() {
    local name=$1 b1=$2 b2=$3 t l s
    : > "$4.json"
    {
        printf '| %-16s |' test
        for l in "${BENCH_LUNS[@]}"; do printf ' %-22s |' "$l"; done
        printf '\n|%s|' "------------------"
        for l in "${BENCH_LUNS[@]}"; do printf '%s|' "------------------------"; done
        echo
        for t in "${BENCH_TESTS[@]}"; do
            printf '| %-16s |' "$t"
            for l in "${BENCH_LUNS[@]}"; do
                s=${BENCH_SUM[$t|$l]:-}
                if [ -z "$s" ]; then printf ' %-22s |' "-"; continue; fi
                printf '{"bench":"%s","test":"%s","lun":"%s","iops_sum":%s,"rounds":%s,"vs_%s":%s,"vs_%s":%s}\n' \
                    "$name" "$t" "$l" "$s" "${BENCH_N[$t|$l]}" "$b1" "$(ratio "$s" "${BENCH_SUM[$t|$b1]:-0}")" \
                    "$b2" "$(ratio "$s" "${BENCH_SUM[$t|$b2]:-0}")" >> "$4.json"
                printf ' %-22s |' "$s ($(ratio "$s" "${BENCH_SUM[$t|$b1]:-0}")/$(ratio "$s" "${BENCH_SUM[$t|$b2]:-0}"))"
            done
            echo
        done
        echo "(IOPS summed over the rounds; in brackets the ratio to $b1 / to $b2)"
    } > "$4.txt"
    cat "$4.json" "$4.txt"
}
