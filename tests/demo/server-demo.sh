# Guest side of ./demo: an image, two linked clients, their LUNs served by bootlink through real
# LIO, and what each client sees. Output is meant for a person.
. "$BOOTLINK_SOURCE_DIR/tests/vm/lib.sh"
IO=$BUILD/tests/tools/bl-iscsi-io
IMG=$BUILD/handler/img/bootlink-img
PREFIX=iqn.2026-11.org.bootlink
say() { printf '\n\033[1m%s\033[0m\n' "$*"; }

say "1. A base image (64 MiB) and one copy-on-write overlay per client"
mkdir -p /srv/images /var/lib/bootlink/overlays
head -c $((64 << 20)) /dev/urandom > /srv/images/demo.img
base_sum=$(md5sum < /srv/images/demo.img)
for mac12 in 525400000001 525400000002; do
    $IMG create -b /srv/images/demo.img /var/lib/bootlink/overlays/$mac12.ovl
done
$IMG info /var/lib/bootlink/overlays/525400000001.ovl | sed 's/^/   /'

say "2. tcmu-runner with handler_bootlink.so; one LIO target per client, ACL for that client only"
start_tcmu_runner
for mac12 in 525400000001 525400000002; do
    bs=$(lio_user "bl-$mac12" "bootlink//var/lib/bootlink/overlays/$mac12.ovl" $((64 << 20)) 8)
    iscsi_export "$PREFIX:target-$mac12" "$bs" "$PREFIX:client-$mac12"
    echo "   $PREFIX:target-$mac12  ->  $(sed -n 's/.*Config: \([^ ]*\).*/\1/p' "$bs/info")"
done

c1() { $IO -i "$PREFIX:client-525400000001" "$(url $PREFIX:target-525400000001)" "$@"; }
c2() { $IO -i "$PREFIX:client-525400000002" "$(url $PREFIX:target-525400000002)" "$@"; }

say "3. Client 1 writes 1 MiB at block 2048 and flushes; client 2 reads the same place"
head -c $((1 << 20)) /dev/urandom > /tmp/data.bin
c1 write 2048 /tmp/data.bin && c1 sync
if c1 read 2048 2048 | cmp -s - /tmp/data.bin; then echo "   client 1 reads back its own data"; else die "client 1 lost its write"; fi
if c2 read 2048 2048 | cmp -s - <(dd if=/srv/images/demo.img bs=512 skip=2048 count=2048 status=none); then
    echo "   client 2 still sees the base image there"; else die "client 2 sees client 1's write"; fi
if iscsi-inq -i "$PREFIX:client-525400000002" "$(url $PREFIX:target-525400000001)" >/dev/null 2>&1; then
    die "client 2 reached client 1's LUN"; else echo "   client 2 is refused on client 1's LUN (ACL)"; fi

say "4. The base image is untouched; the write lives in client 1's overlay"
[ "$(md5sum < /srv/images/demo.img)" = "$base_sum" ] && echo "   base checksum unchanged"
for mac12 in 525400000001 525400000002; do
    echo "   overlay $mac12: $($IMG info --json /var/lib/bootlink/overlays/$mac12.ovl | jq -r .allocated) bytes allocated"
done
$IMG check /var/lib/bootlink/overlays/525400000001.ovl | sed 's/^/   /'

say "5. Read speed of client 1's disk (iscsi-perf, 4 KiB random reads, QD32, 5 s)"
iscsi-perf -i "$PREFIX:client-525400000001" -t 5 -r "$(url $PREFIX:target-525400000001)" 2>&1 |
    tr '\r' '\n' | grep 'iops average' | tail -1 | sed 's/^ */   /'

say "Summary: image 'demo' served to 2 linked clients by bootlink from this server guest;"
echo "client 1's writes kept in its own overlay, client 2 unaffected, base unchanged."
stop_tcmu_runner
