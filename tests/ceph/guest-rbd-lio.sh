# Inside the guest (tests/ceph/test-rbd-lio.sh runs it): two clones of one snapshot served through
# LIO, pc1 by tcmu-runner's rbd handler (user:rbd), pc2 by the kernel's rbd driver + iblock; a
# libiscsi client writes each its own data at the same place and reads both back.
#   guest-rbd-lio.sh WORKDIR   (the host's work dir: base.raw, w1.bin, w2.bin; read-only here)
. "$BOOTLINK_SOURCE_DIR/tests/vm/lib.sh"
. "$BOOTLINK_SOURCE_DIR/tests/ceph/lib-guest.sh"
W=$1
tstep() { step "$* (guest at ${SECONDS}s)"; }
IQN=iqn.2026-11.org.bootlink
LBA=$((8 << 11)) # 8 MiB in: inside the base's data, away from block 0
NB=$(( $(stat -c %s "$W/w1.bin") / 512 ))

tstep "network to the cluster"
ceph_guest_net
tstep "pc1 through tcmu-runner's rbd handler, pc2 through krbd + iblock"
start_tcmu_runner "$(rbd_handler_dir)"
iscsi_export "$IQN:target-pc1" "$(rbd_user_bs pc1 pc1)" "$IQN:client-pc1"
iscsi_export "$IQN:target-pc2" "$(rbd_krbd_bs pc2 pc2)" "$IQN:client-pc2"
io() { local n=$1; shift; "$BL_IO" -i "$IQN:client-$n" "$(url "$IQN:target-$n")" "$@"; }

for n in pc1 pc2; do
    expect "$n: READ CAPACITY gives the image's size" \
        test "$(io "$n" capacity | awk '{print $1 * $2}')" = "$(stat -c %s "$W/base.raw")"
    expect "$n: unwritten blocks read the parent snapshot's data" \
        cmp <(io "$n" read $LBA "$NB") <(blocks_of "$W/base.raw" $LBA "$NB")
done
tstep "each client writes its own data at the same place"
io pc1 write $LBA "$W/w1.bin"
io pc2 write $LBA "$W/w2.bin"
io pc1 sync
io pc2 sync
expect "pc1 reads back what pc1 wrote" cmp <(io pc1 read $LBA "$NB") "$W/w1.bin"
expect "pc2 reads back what pc2 wrote (the clones stay apart)" cmp <(io pc2 read $LBA "$NB") "$W/w2.bin"
expect "pc1 around the write is still the parent's" \
    cmp <(io pc1 read $((LBA + NB)) 2048) <(blocks_of "$W/base.raw" $((LBA + NB)) 2048)

tstep "close both: the backstores go, the kernel unmaps, tcmu-runner stops"
iscsi_unexport "$IQN:target-pc1"
lio_remove "$CFS/core/user_1/pc1"
iscsi_unexport "$IQN:target-pc2"
lio_remove "$CFS/core/iblock_0/pc2"
rbd_krbd_unmap pc2
stop_tcmu_runner
# The one error expected: on close, handler_rbd asks to lift a blocklist entry for its own old
# address, which the gateway's key may not do (doc/rbd.md, cephx capabilities); nothing else.
expect "tcmu-runner's log has no rbd error but the refused blocklist removal" bash -c \
    "! grep -E 'ERROR|Could not|failed' '$OUT/tcmu-runner.log' | grep -v 'Could not rm blacklist entry .*(Err -13)'"
finish
