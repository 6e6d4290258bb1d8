# The harness's own proof: real LIO in the guest serves a fileio LUN over iSCSI on 127.0.0.1, and
# libiscsi reads and writes known data through it. Fails when LIO is not there.
. "$BOOTLINK_SOURCE_DIR/tests/vm/lib.sh"
IO=$BUILD/tests/tools/bl-iscsi-io
TIQN=iqn.2026-11.org.bootlink:target-harness
IIQN=iqn.2026-11.org.bootlink:client-harness

step "LIO fileio LUN on a 32 MiB file, exported on $PORTAL_IP:3260 for one initiator"
pattern /var/tmp/disk.img 32
cp /var/tmp/disk.img /var/tmp/orig.img
bs=$(lio_fileio harness /var/tmp/disk.img)
iscsi_export "$TIQN" "$bs" "$IIQN"

step "iscsi-inq and iscsi-readcapacity16"
expect "iscsi-inq sees the LIO LUN" bash -c "iscsi-inq -i $IIQN $(url $TIQN) | tee $OUT/inq.txt | grep -q 'Vendor.*LIO-ORG'"
expect "READ CAPACITY(16) reports 65536 blocks of 512 bytes" \
    bash -c "iscsi-readcapacity16 -i $IIQN $(url $TIQN) | tee $OUT/cap.txt | grep -q 'Total size:33554432'"
expect "another initiator is refused" bash -c "! iscsi-inq -i iqn.2026-11.org.bootlink:client-other $(url $TIQN) 2>/dev/null"

step "read known data, write known data, read it back"
$IO -i "$IIQN" "$(url $TIQN)" read 0 65536 > /var/tmp/read.img
expect "data read over iSCSI equals the file's" cmp /var/tmp/read.img /var/tmp/orig.img
pattern /var/tmp/new.bin 1
$IO -i "$IIQN" "$(url $TIQN)" write 2048 /var/tmp/new.bin
$IO -i "$IIQN" "$(url $TIQN)" sync
expect "written data reaches the backing file" cmp <(dd if=/var/tmp/disk.img bs=512 skip=2048 count=2048 status=none) /var/tmp/new.bin
expect "written data reads back over iSCSI" cmp <($IO -i "$IIQN" "$(url $TIQN)" read 2048 2048) /var/tmp/new.bin
expect "the rest of the disk is unchanged" cmp <(dd if=/var/tmp/disk.img bs=512 count=2048 status=none) <(head -c 1048576 /var/tmp/orig.img)
iscsi_unexport "$TIQN"
finish
