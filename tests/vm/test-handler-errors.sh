# handler_bootlink.so refuses devices it cannot serve correctly, with a reason in tcmu-runner's log
# (missing base, base changed since the overlay was made, dev_size that does not match, bad config
# string), and a full overlay filesystem answers DATA PROTECT / SPACE ALLOCATION FAILED WRITE
# PROTECT, keeps the overlay consistent and accepts writes again once space is freed.
. "$BOOTLINK_SOURCE_DIR/tests/vm/lib.sh"
D=/var/tmp/bl-errors
mkdir -p "$D"
SIZE=$((32 * 1048576))
pattern "$D/base.img" 32
start_tcmu_runner

# refused NAME CFGSTRING SIZE LOGTEXT: enabling the backstore fails and the log gives the reason.
refused() {
    local rc=0
    lio_user_try "$1" "$2" "$3" || rc=$?
    lio_remove "$CFS/core/user_1/$1"
    [ "$rc" != 0 ] || { echo "enable of $1 ($2) succeeded"; return 1; }
    tcmu_log_has "$4" || { echo "tcmu-runner's log lacks '$4':"; tail -5 "$OUT/tcmu-runner.log"; return 1; }
    grep -F -- "$4" "$OUT/tcmu-runner.log" | tail -1
}

step "refusals: each enable fails and tcmu-runner's log says why"
cp "$D/base.img" "$D/gone.img"
"$BL_IMG" create -b "$D/gone.img" "$D/gone.ovl"
rm "$D/gone.img"
expect "missing base: refused, the log names the base" refused r1 "bootlink/$D/gone.ovl" $SIZE "$D/gone.img"

cp -p "$D/base.img" "$D/touched.img"
"$BL_IMG" create -b "$D/touched.img" "$D/touched.ovl"
touch -d '+1 minute' "$D/touched.img"
expect "base touched after the overlay was made: refused as changed" \
    refused r2 "bootlink/$D/touched.ovl" $SIZE "changed since the overlay was created"

cp -p "$D/base.img" "$D/edited.img"
"$BL_IMG" create -b "$D/edited.img" "$D/edited.ovl"
mtime=$(stat -c %y "$D/edited.img")
printf 'X' | dd of="$D/edited.img" bs=1 seek=100 conv=notrunc status=none
touch -d "$mtime" "$D/edited.img"   # same size and mtime: only the content fingerprint differs
expect "base content edited, mtime restored: refused as changed" \
    refused r3 "bootlink/$D/edited.ovl" $SIZE "changed since the overlay was created"

"$BL_IMG" create -b "$D/base.img" "$D/ok.ovl"
expect "dev_size smaller than the image: refused, the log gives both sizes" \
    refused r4 "bootlink/$D/ok.ovl" $((SIZE - 1048576)) "dev_size=$((SIZE - 1048576))"
expect "dev_size larger than the image: refused" \
    refused r5 "bootlink/$D/ok.ovl" $((SIZE + 512)) "dev_size=$((SIZE + 512))"
expect "a relative overlay path: refused" refused r6 "bootlink/relative.ovl" $SIZE "relative.ovl"
expect "a missing overlay: refused, the log names it" refused r7 "bootlink/$D/nothere.ovl" $SIZE "$D/nothere.ovl"
expect "an unknown option: refused, the log names it" refused r8 "bootlink/$D/ok.ovl;fast" $SIZE "fast"

mkdir -p "$D/moved"
cp -p "$D/base.img" "$D/moved/base.img"
"$BL_IMG" create -b "$D/moved/base.img" "$D/moved.ovl"
mv "$D/moved/base.img" "$D/moved/base-new.img"
expect "a base moved unchanged opens with backing=NEWPATH" \
    lio_user_try r9 "bootlink/$D/moved.ovl;backing=$D/moved/base-new.img" $SIZE
lio_remove "$CFS/core/user_1/r9"
expect "the same config string with the correct dev_size works after all the refusals" \
    lio_user_try r10 "bootlink/$D/ok.ovl" $SIZE
lio_remove "$CFS/core/user_1/r10"

step "a full overlay filesystem: DATA PROTECT on write, consistent overlay, writes again after freeing space"
mkdir -p "$D/small"
mount -t tmpfs -o size=8m tmpfs "$D/small"
"$BL_IMG" create -b "$D/base.img" "$D/small/full.ovl"
head -c $((5 * 1048576)) /dev/zero > "$D/small/filler"
bl_lun full "$D/small/full.ovl" > /dev/null
pattern "$D/chunks.bin" 8
written=0 err=
for i in $(seq 0 31); do   # 256 KiB chunks until the filesystem is full (it holds less than 3 MiB)
    if ! blocks_of "$D/chunks.bin" $((i * 512)) 512 | bl_io full write $((i * 512)) - 2> "$D/werr.txt"; then
        err=$(cat "$D/werr.txt"); break
    fi
    written=$((i + 1))
done
echo "   $written chunks written before: $err"
expect "a write fails once the overlay filesystem is full" test -n "$err"
expect "the failure is CHECK CONDITION, DATA PROTECT, asc/ascq 0x2707" \
    grep -q 'SCSI status 0x2, sense key 0x7 asc/ascq 0x2707' "$D/werr.txt"
expect "the log says the overlay is out of space" grep -qiE 'no space|ENOSPC' "$OUT/tcmu-runner.log"
expect "SYNCHRONIZE CACHE still succeeds on the full filesystem" bl_io full sync
expect "every acknowledged chunk reads back" \
    cmp <(bl_io full read 0 $((written * 512))) <(blocks_of "$D/chunks.bin" 0 $((written * 512)))
expect "the overlay is consistent while full (bootlink-img check)" ovl_clean "$D/small/full.ovl"
rm "$D/small/filler"
ok_after=1
for i in $(seq "$written" $((written + 3))); do
    blocks_of "$D/chunks.bin" $((i * 512)) 512 | bl_io full write $((i * 512)) - || ok_after=0
done
expect "after the filler is deleted the next writes succeed" test "$ok_after" = 1
bl_io full sync
expect "all chunks read back after space was freed" \
    cmp <(bl_io full read 0 $(((written + 4) * 512))) <(blocks_of "$D/chunks.bin" 0 $(((written + 4) * 512)))
bl_lun_remove full
expect "the overlay is consistent after the device closed" ovl_clean "$D/small/full.ovl"
umount "$D/small"

stop_tcmu_runner
finish
