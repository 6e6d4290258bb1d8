#!/bin/bash
# vm test: RBD clones served through LIO in a guest, against the real test cluster. The host brings
# the cluster up, imports a base, snapshots v0 and clones pc1 and pc2 from it (blrbd, as the
# gateway); the guest (guest-rbd-lio.sh) serves pc1 by tcmu-runner's rbd handler and pc2 by the
# kernel's rbd driver, and a libiscsi client writes and reads each; back on the host, each clone
# holds exactly its own write, and the parent snapshot is byte for byte the base.
#   test-rbd-lio.sh BLRBD_CLI
set -euo pipefail
export CLI=$(readlink -f "${1:?usage: test-rbd-lio.sh BLRBD_CLI}")
here=$(cd "$(dirname "$0")" && pwd)
# The guest finds bl-iscsi-io in the build tree the CLI was built in (meson sets this too).
export BOOTLINK_BUILD_DIR=${BOOTLINK_BUILD_DIR:-$(cd "$(dirname "$CLI")/../.." && pwd)}
. "$here/lib-host.sh"
ceph_test_start rbd-lio
W=$CEPH_WORK
chmod 755 "$W" # the guest reads base.raw and the write files from here

step "base (32 MiB of data, 32 MiB of zeros), v0, two clones; 4 KiB-aligned writes of 1 MiB"
{ head -c 32M /dev/urandom; head -c 32M /dev/zero; } > "$W/base.raw"
head -c 1M /dev/urandom > "$W/w1.bin"
head -c 1M /dev/urandom > "$W/w2.bin"
gw_cli -o 1M import base "$W/base.raw" > /dev/null
gw_cli snap base v0 > /dev/null
gw_cli clone base v0 pc1 > /dev/null
gw_cli clone base v0 pc2 > /dev/null
gw_cli clone base v0 pc3 > /dev/null

step "the guest serves pc1 (user:rbd) and pc2 (krbd + iblock)"
rc=0
ceph_run_guest "$CEPH_NET.2" 52:54:00:99:00:02 --mem 1536 --timeout 600 \
    "$here/guest-rbd-lio.sh" "$W" || rc=$?
expect "the guest's checks passed (status $rc)" test "$rc" = 0

step "on the host: what the cluster holds"
for n in 1 2; do
    cp "$W/base.raw" "$W/expect$n.raw"
    dd if="$W/w$n.bin" of="$W/expect$n.raw" bs=1M seek=8 conv=notrunc status=none
    expect "pc$n holds the base with its own write, nothing else" \
        cmp "$W/expect$n.raw" <(rbd_ export rbd/pc$n - 2>/dev/null)
done
expect "pc3, never served, reads as the base" cmp "$W/base.raw" <(rbd_ export rbd/pc3 - 2>/dev/null)
expect "the parent snapshot base@v0 is unchanged" cmp "$W/base.raw" <(rbd_ export rbd/base@v0 - 2>/dev/null)
expect "the base image itself is unchanged" cmp "$W/base.raw" <(rbd_ export rbd/base - 2>/dev/null)
expect "pc1 holds one copied-up 1 MiB object" test "$(gw_cli du pc1 | jq .used)" = 1048576
expect "pc2 holds one copied-up 1 MiB object" test "$(gw_cli du pc2 | jq .used)" = 1048576
expect "no gateway holds a lock or a watch any more" \
    test "$(rbd_ status --format json rbd/pc1 | jq '.watchers | length')" = 0
expect "base@v0 still has its three clones" test "$(gw_cli children base v0 | jq .count)" = 3
ceph_test_finish
