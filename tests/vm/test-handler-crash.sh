# handler_bootlink.so across tcmu-runner restarts. tcmu-runner 1.5.4 re-opens, at start, every TCMU
# device the kernel still has (the LIO backstores outlive the daemon), so a restart needs no
# configfs action. A clean restart keeps flushed data; after kill -9 in the middle of a write
# load and a restart `bootlink-img check` is clean (the reopen freed the writes the crash lost,
# doc/FORMAT.md), every write acknowledged before the last completed SYNCHRONIZE CACHE reads back
# (bl-iscsi-io verify), and `check --repair` on the closed overlay changes nothing the LUN reads.
. "$BOOTLINK_SOURCE_DIR/tests/vm/lib.sh"
D=/var/tmp/bl-crash
mkdir -p "$D"
pattern "$D/base.img" 32
"$BL_IMG" create -b "$D/base.img" "$D/c.ovl"
start_tcmu_runner
bl_lun c "$D/c.ovl" > /dev/null

step "clean restart: flushed data stays, the LUN serves again without touching configfs"
pattern "$D/w1.bin" 1
bl_io c write 40000 "$D/w1.bin"
bl_io c sync
restart_tcmu_runner TERM
expect "tcmu-runner re-opened the existing device" grep -q 'bootlink: serving' "$OUT/tcmu-runner.log"
expect "flushed data reads back after the restart" cmp <(bl_io c read 40000 2048) "$D/w1.bin"
expect "the overlay is consistent after the restart" ovl_clean "$D/c.ovl"

step "kill -9 tcmu-runner during a write load, restart, check and verify"
bl_io c load "$D/load.log" 30 2048 7 > "$OUT/load.out" 2>&1 &
load=$!
syncs() { local n; n=$(grep -c '^S' "$D/load.log" 2>/dev/null) || true; echo "${n:-0}"; }
for i in $(seq 1 300); do [ "$(syncs)" -ge 4 ] && break; sleep 0.1; done
expect "the load had completed several SYNCHRONIZE CACHEs before the kill" \
    test "$(syncs)" -ge 4
restart_tcmu_runner KILL
expect "check is clean after the kill and restart (the reopen freed the crash's leftovers)" \
    ovl_clean "$D/c.ovl"
# The load either fails on the commands that were in flight or carries on once the device is
# back; either way it ends by itself within its 30 seconds.
wait "$load" || true
cat "$OUT/load.out"
expect "the load issued writes" test "$(grep -c '^I' "$D/load.log")" -gt 16
expect "every write acknowledged before the last SYNCHRONIZE CACHE reads back (verify)" \
    bl_io c verify "$D/load.log" "$D/base.img" 7
expect "the earlier flushed write is still there" cmp <(bl_io c read 40000 2048) "$D/w1.bin"
bl_io c sync
expect "check is clean after the reopen and more writes" ovl_clean "$D/c.ovl"

step "kill -9 twice more with no load: the device keeps serving"
restart_tcmu_runner KILL
restart_tcmu_runner KILL
expect "the LUN still reads its data after two more restarts" cmp <(bl_io c read 40000 2048) "$D/w1.bin"

step "close the device, check --repair, open again: clean, and the same data"
bl_io c read 0 2048 > "$D/before-repair.img"
bl_lun_remove c
"$BL_IMG" check --repair "$D/c.ovl" > "$OUT/repair.txt" 2>&1 || true
cat "$OUT/repair.txt"
expect "after check --repair the overlay is clean" ovl_clean "$D/c.ovl"
bl_lun c "$D/c.ovl" > /dev/null
expect "the repaired overlay reads exactly what it read before" cmp <(bl_io c read 0 2048) "$D/before-repair.img"
expect "the flushed write survives the repair" cmp <(bl_io c read 40000 2048) "$D/w1.bin"

bl_lun_remove c
stop_tcmu_runner
finish
