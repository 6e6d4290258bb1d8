# handler_bootlink.so in real LIO: what a client writes lands in its own overlay only, never in the
# base or another client's view; UNMAP and WRITE SAME(zero) read back zeros over base data; the
# volatile option drops writes at every device open, and without it they stay.
. "$BOOTLINK_SOURCE_DIR/tests/vm/lib.sh"
D=/var/tmp/bl-data
mkdir -p "$D"
reads_base() { cmp <(bl_io "$1" read "$2" "$3") <(blocks_of "$D/base.img" "$2" "$3"); } # LUN LBA N
reads_zeros() { cmp <(bl_io "$1" read "$2" "$3") <(zeros "$3"); }                        # LUN LBA N

step "16 MiB random base, overlays a and b on it, tcmu-runner with the build's handler"
pattern "$D/base.img" 16
base_sum=$(sha256sum < "$D/base.img")
for n in a b; do "$BL_IMG" create -b "$D/base.img" "$D/$n.ovl" || die "bootlink-img create $n failed"; done
start_tcmu_runner
bl_lun a "$D/a.ovl" > /dev/null
bl_lun b "$D/b.ovl" > /dev/null

step "an unwritten overlay reads the base"
expect "READ CAPACITY: 32768 blocks of 512 bytes" test "$(bl_io a capacity)" = "32768 512"
expect "the whole LUN a reads as the base" cmp <(bl_io a read 0 32768) "$D/base.img"

step "a write through iSCSI reads back, lands in a's overlay only"
pattern "$D/w1.bin" 1
bl_io a write 2048 "$D/w1.bin"
bl_io a sync
expect "a reads back the 1 MiB it wrote" cmp <(bl_io a read 2048 2048) "$D/w1.bin"
expect "a's blocks before the write still read the base" reads_base a 1024 1024
expect "a's blocks after the write still read the base" reads_base a 4096 1024
expect "b does not see a's write" reads_base b 2048 2048
expect "the base file is unchanged" test "$(sha256sum < "$D/base.img")" = "$base_sum"
a_alloc=$(ovl_allocated "$D/a.ovl")
expect "a's overlay holds the write ($a_alloc bytes allocated, at least 1 MiB)" test "$a_alloc" -ge 1048576
expect "b's overlay holds nothing" test "$(ovl_allocated "$D/b.ovl")" = 0

step "two LUNs on one base write the same blocks: each reads only its own"
pattern "$D/w2.bin" 1
bl_io b write 2560 "$D/w2.bin"   # overlaps the second half of a's write
bl_io b sync
expect "b reads its own write" cmp <(bl_io b read 2560 2048) "$D/w2.bin"
expect "a still reads its own write over the overlap" cmp <(bl_io a read 2048 2048) "$D/w1.bin"
expect "b reads the base where only a wrote" reads_base b 2048 512
expect "a reads the base where only b wrote" reads_base a 4096 512
expect "the base file is still unchanged" test "$(sha256sum < "$D/base.img")" = "$base_sum"

step "UNMAP and WRITE SAME(zero) read back zeros, over base data and over overlay data"
bl_io a unmap 8192 2048                                   # whole clusters of base data
expect "UNMAP of whole clusters over the base reads zeros" reads_zeros a 8192 2048
bl_io a unmap 20001 300                                   # partial clusters
expect "UNMAP of a partial cluster reads zeros" reads_zeros a 20001 300
expect "blocks before a partial UNMAP keep the base data" reads_base a 19901 100
expect "blocks after a partial UNMAP keep the base data" reads_base a 20301 200
bl_io a unmap 2100 64                                     # inside a's own write
expect "UNMAP over overlay data reads zeros" reads_zeros a 2100 64
expect "the overlay write before the UNMAP is intact" cmp <(bl_io a read 2048 52) <(blocks_of "$D/w1.bin" 0 52)
expect "the overlay write after the UNMAP is intact" cmp <(bl_io a read 2164 1932) <(blocks_of "$D/w1.bin" 116 1932)
# the LUN advertises the overlay's 4 KiB sub-block as its unmap granularity: an UNMAP of one
# frees that much of the overlay
pattern "$D/w4k.bin" 1
bl_io a write 24576 <(head -c 4096 "$D/w4k.bin")
bl_io a sync
held=$(ovl_allocated "$D/a.ovl")
bl_io a unmap 24576 8
bl_io a sync
expect "UNMAP of one 4 KiB sub-block frees 4 KiB of the overlay ($held -> $(ovl_allocated "$D/a.ovl"))" \
    test "$(ovl_allocated "$D/a.ovl")" = "$((held - 4096))"
gran=$(iscsi-inq -i "$BL_IQN:client-a" -e 1 -c 176 "$(url "$BL_IQN:target-a")" 2>&1 |
    grep -i 'unmap granularity' | grep -vi alignment | grep -o '[0-9]\+' | head -1)
expect "the LUN reports 4 KiB as its unmap granularity (Block Limits VPD: ${gran:-?} blocks)" \
    test "${gran:-}" = 8
bl_io a zero 12289 1000
expect "WRITE SAME(16) zero without UNMAP reads zeros" reads_zeros a 12289 1000
bl_io a zero 14000 777 unmap
expect "WRITE SAME(16) zero with UNMAP reads zeros" reads_zeros a 14000 777
expect "blocks before the first WRITE SAME keep the base data" reads_base a 12189 100
expect "blocks between the WRITE SAME ranges keep the base data" reads_base a 13289 711
expect "blocks after the second WRITE SAME keep the base data" reads_base a 14777 100
bl_io a zero 2600 50 unmap                                # over a's data again
expect "WRITE SAME(zero) over overlay data reads zeros" reads_zeros a 2600 50
bl_io a sync
expect "b saw none of a's UNMAP or WRITE SAME" reads_base b 8192 8192
expect "the base file is unchanged after UNMAP and WRITE SAME" test "$(sha256sum < "$D/base.img")" = "$base_sum"
expect "a's overlay is consistent (bootlink-img check)" ovl_clean "$D/a.ovl"
expect "b's overlay is consistent (bootlink-img check)" ovl_clean "$D/b.ovl"

step "volatile: a device open resets the overlay; without the option writes stay"
"$BL_IMG" create -b "$D/base.img" "$D/v.ovl"
bl_lun v "$D/v.ovl" ";volatile" > /dev/null
pattern "$D/w3.bin" 1
bl_io v write 0 "$D/w3.bin"
bl_io v sync
expect "the volatile LUN reads back its write while open" cmp <(bl_io v read 0 2048) "$D/w3.bin"
bl_io a read 0 32768 > "$D/a-before.img"
bl_lun_remove v
bl_lun_remove a
bl_lun v "$D/v.ovl" ";volatile" > /dev/null
bl_lun a "$D/a.ovl" > /dev/null
expect "after the backstore is re-created the volatile LUN reads the base again" reads_base v 0 2048
expect "the volatile overlay holds nothing after the reopen" test "$(ovl_allocated "$D/v.ovl")" = 0
expect "the non-volatile LUN a reads exactly what it held before the reopen" cmp <(bl_io a read 0 32768) "$D/a-before.img"
expect "the base file is unchanged at the end" test "$(sha256sum < "$D/base.img")" = "$base_sum"

bl_lun_remove v
bl_lun_remove a
bl_lun_remove b
stop_tcmu_runner
finish
