# libiscsi's SCSI conformance suite (iscsi-test-cu, destructive tests included) on a bootlink LUN
# and on an LIO fileio LUN holding the same base content, in the same guest: bootlink must pass at
# least as many tests, and every test fileio passes. The counts and both failure lists are saved in
# $BOOTLINK_VM_OUT (conformance-*.txt) and printed.
# The fileio LUN gets a copy of the base: the suite writes all over its LUN, and fileio writes
# straight into its file, which would change the base under the bootlink overlay.
. "$BOOTLINK_SOURCE_DIR/tests/vm/lib.sh"
D=/var/tmp/bl-conf
mkdir -p "$D"
pattern "$D/base.img" 64
cp "$D/base.img" "$D/fileio.img"
"$BL_IMG" create -b "$D/base.img" "$D/conf.ovl"
start_tcmu_runner

# The suite logs in as two initiators (-i, -I: reservations, multi-session tests): both get ACLs.
I1=$BL_IQN:client-conf I2=$BL_IQN:client-conf-2
# linkmgr's default ring size (max_data_area_mb = 64 in linkmgr.conf).
bl_lun conf "$D/conf.ovl" "" 64 > /dev/null
iscsi_acl "$BL_IQN:target-conf" "$I2"
fbs=$(lio_fileio conf-fileio "$D/fileio.img")
iscsi_export "$BL_IQN:target-conf-fileio" "$fbs" "$I1"
iscsi_acl "$BL_IQN:target-conf-fileio" "$I2"

# suite NAME TARGET: run it, save the output, write NAME's failed tests (sorted) and counts.
suite() {
    local log=$OUT/conformance-$1.log
    step "iscsi-test-cu on the $1 LUN"
    # libiscsi has no command timeout: a LUN that stops answering would hang the suite for ever.
    local rc=0
    timeout 1200 iscsi-test-cu --dataloss -i "$I1" -I "$I2" "$(url "$2")" > "$log" 2>&1 || rc=$?
    [ "$rc" = 0 ] || { echo "   iscsi-test-cu exited with $rc (124: timed out); its last lines:"; tail -3 "$log"; }
    # CUnit's run summary: "tests TOTAL RAN PASSED FAILED INACTIVE".
    awk '$1 == "tests" && NF >= 5 {print $2, $3, $4, $5}' "$log" | tail -1 > "$OUT/conformance-$1.counts"
    # Failed tests: CUnit ends a test with "passed" or "FAILED", at the end of its "Test: NAME ..."
    # line or, after the test's own messages, alone on a line.
    awk '/^Suite: /{s=$2} /^  Test: /{t=$2} /^FAILED$/ || /^  Test: .*\.\.\.FAILED$/ {print s "." t}' \
        "$log" | sort -u > "$OUT/conformance-$1.failed"
    echo "   $1 (total ran passed failed): $(cat "$OUT/conformance-$1.counts")"
}
count() { local c; c=$(cut -d' ' -f"$2" "$OUT/conformance-$1.counts"); echo "${c:-0}"; } # NAME FIELD
base_sum=$(sha256sum < "$D/base.img")
suite bootlink "$BL_IQN:target-conf"
suite fileio "$BL_IQN:target-conf-fileio"
bootlink_ran=$(count bootlink 2) bootlink_passed=$(count bootlink 3)
fileio_ran=$(count fileio 2) fileio_passed=$(count fileio 3)

step "failures on fileio"
sed 's/^/   /' "$OUT/conformance-fileio.failed"
step "failures on bootlink"
sed 's/^/   /' "$OUT/conformance-bootlink.failed"
comm -23 "$OUT/conformance-bootlink.failed" "$OUT/conformance-fileio.failed" > "$OUT/conformance-bootlink-only.failed"
step "failing on bootlink only"
sed 's/^/   /' "$OUT/conformance-bootlink-only.failed"

expect "the suite ran on both LUNs (fileio ran $fileio_ran tests)" test "$fileio_ran" -gt 500
expect "both LUNs ran the same tests ($bootlink_ran vs $fileio_ran)" test "$bootlink_ran" = "$fileio_ran"
expect "bootlink passes at least as many tests as fileio ($bootlink_passed vs $fileio_passed)" \
    test "$bootlink_passed" -ge "$fileio_passed"
expect "bootlink fails no test that fileio passes" test ! -s "$OUT/conformance-bootlink-only.failed"
expect "the bootlink overlay is consistent after the suite" ovl_clean "$D/conf.ovl"
expect "the base is untouched by the suite on bootlink" test "$(sha256sum < "$D/base.img")" = "$base_sum"

iscsi_unexport "$BL_IQN:target-conf-fileio"
lio_remove "$fbs"
bl_lun_remove conf
stop_tcmu_runner
finish
