#!/bin/bash
# linkmgr/rbd (blrbd) against a real Ceph cluster (tests/ceph/ceph-cluster), on the host: librbd
# needs no guest. Every call goes through blrbd-cli as the gateway's least-capability key; the
# outcomes are checked with the admin's `rbd`/`ceph` tools, which know nothing of blrbd.
#   test-blrbd.sh BLRBD_CLI
set -euo pipefail
export CLI=$(readlink -f "${1:?usage: test-blrbd.sh BLRBD_CLI}")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib-host.sh"
none_alive() { # PID...: none runs (a zombie waiting for its parent counts as gone)
    local p
    for p in "$@"; do
        [ -e "/proc/$p" ] && [ "$(awk '/^State/ {print $2}' "/proc/$p/status" 2>/dev/null)" != Z ] && return 1
    done
    return 0
}
# An earlier run that crashed: `up` killed once the monitor runs, leaving it, the namespace and
# half a cluster behind; the real `up` in the same directory must clear them first.
ceph_test_pre_up() {
    step "a crashed run: ceph-cluster up killed (SIGKILL) once its monitor runs"
    "$CEPH_TOOLS/ceph-cluster" up "$CEPH_WORK/cluster" > /dev/null 2>&1 &
    local up=$! i
    for i in $(seq 1 240); do [ -s "$CEPH_WORK/cluster/run/mon.a.pid" ] && break; sleep 0.25; done
    kill -KILL "$up"
    wait "$up" 2>/dev/null || true
    CRASHED_MON=$(cat "$CEPH_WORK/cluster/run/mon.a.pid")
    expect "the crashed run left its monitor running (pid $CRASHED_MON)" kill -0 "$CRASHED_MON"
}
ceph_test_start blrbd
expect "up over the crashed run stopped the old monitor" none_alive "$CRASHED_MON"

W=$CEPH_WORK
step "a 40 MiB raw image: data, 16 MiB of zeros, data"
{ head -c 12M /dev/urandom; head -c 16M /dev/zero; head -c 12M /dev/urandom; } > "$W/base.raw"

step "import with 1 MiB objects, as the gateway"
out=$(gw_cli -o 1M import base "$W/base.raw")
echo "   $out"
expect "the progress callback ran and ended at the file's size" \
    test "$(jq .progress_last <<<"$out")" = $((40 << 20)) -a "$(jq .progress_calls <<<"$out")" -ge 2
info=$(rbd_ info --format json rbd/base)
expect "the image has 1 MiB objects (order 20)" test "$(jq .order <<<"$info")" = 20
expect "the image has bootlink's features" test "$(jq -c '.features | sort' <<<"$info")" = \
    '["deep-flatten","exclusive-lock","fast-diff","layering","object-map"]'
rbd_ export rbd/base "$W/base.out" >/dev/null 2>&1
expect "the image reads back byte for byte" cmp "$W/base.raw" "$W/base.out"
du=$(gw_cli du base)
expect "zero objects were not written: 24 of 40 MiB used ($du)" \
    test "$(jq .used <<<"$du")" = $((24 << 20)) -a "$(jq .provisioned <<<"$du")" = $((40 << 20))
expect_rc "a second import of the same name is refused (EEXIST)" 6 "image 'base'" \
    gw_cli import base "$W/base.raw"
expect "the refused import left the image alone" cmp "$W/base.raw" <(rbd_ export rbd/base - 2>/dev/null)

step "versions: protected snapshots"
gw_cli snap base v0 >/dev/null
expect "snapshot v0 exists and is protected" \
    test "$(rbd_ snap ls --format json rbd/base | jq -r '.[] | select(.name == "v0") | .protected')" = true
expect "creating it again is a no-op (a crashed version step can be redone)" quiet gw_cli snap base v0
expect "snap-exists says so" test "$(gw_cli snap-exists base v0 | jq .exists)" = true
expect "snap-exists of another is false" test "$(gw_cli snap-exists base v7 | jq .exists)" = false

step "clones: one with 64 KiB objects, one with the parent's"
c1=$(gw_cli -o 64K clone base v0 pc1)
c2=$(gw_cli clone base v0 pc2)
echo "   $c1 $c2"
expect "pc1's parent is rbd/base@v0, objects 64 KiB" \
    test "$(gw_cli info pc1 | jq -r '[.parent, .object_size] | @tsv')" = "rbd/base@v0	65536"
expect "pc2 took the parent's object size (1 MiB)" test "$(gw_cli info pc2 | jq .object_size)" = 1048576
ch=$(gw_cli children base v0)
expect "children of base@v0: pc1 and pc2 ($ch)" \
    test "$(jq -c '.children | sort' <<<"$ch")" = '["rbd/pc1","rbd/pc2"]' -a "$(jq .count <<<"$ch")" = 2
expect "a fresh clone holds nothing of its own" test "$(gw_cli du pc1 | jq .used)" = 0

step "a 4 KiB write copies up one object: 64 KiB in pc1, 1 MiB in pc2"
head -c 4096 /dev/urandom > "$W/w.bin"
write_at() { # IMAGE OFFSET FILE: through librbd, as the admin (blrbd itself has no data path)
    in_ns_env /usr/bin/python3 - "$@" <<'EOF'
import rados, rbd, sys, os
img, off, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with rados.Rados(conffile=os.environ["CEPH_GW_CONF"], name="client." + os.environ["CEPH_GW_ID"]) as c:
    with c.open_ioctx("rbd") as io:
        with rbd.Image(io, img) as i:
            i.write(open(path, "rb").read(), off)
EOF
}
write_at pc1 $((5 << 20)) "$W/w.bin"
write_at pc2 $((5 << 20)) "$W/w.bin"
expect "pc1 holds one 64 KiB object" test "$(gw_cli du pc1 | jq .used)" = 65536
expect "pc2 holds one 1 MiB object" test "$(gw_cli du pc2 | jq .used)" = 1048576
cp "$W/base.raw" "$W/expect.raw"
dd if="$W/w.bin" of="$W/expect.raw" bs=4096 seek=$((5 << 8)) conv=notrunc status=none
expect "pc1 reads back the base with the write in it" cmp "$W/expect.raw" <(rbd_ export rbd/pc1 - 2>/dev/null)
expect "the parent snapshot is unchanged" cmp "$W/base.raw" <(rbd_ export rbd/base@v0 - 2>/dev/null)

step "what is refused while clones or snapshots exist"
expect_rc "removing the image with versions is refused (ENOTEMPTY)" 5 "has snapshots" gw_cli rm base
expect_rc "removing a version with clones is refused (EBUSY)" 4 "clones of it exist" gw_cli snap-rm base v0
expect "the version is still protected" \
    test "$(rbd_ snap ls --format json rbd/base | jq -r '.[] | select(.name == "v0") | .protected')" = true

step "an image a gateway has open cannot be removed"
# A client that holds pc2 open until told to close it (a killed one's watch would linger 30 s).
: > "$W/hold"
in_ns_env /usr/bin/python3 - "$W/hold" <<'EOF' &
import rados, rbd, sys, os, time
with rados.Rados(conffile=os.environ["CEPH_GW_CONF"], name="client." + os.environ["CEPH_GW_ID"]) as c:
    with c.open_ioctx("rbd") as io:
        with rbd.Image(io, "pc2") as i:
            open(sys.argv[1] + ".open", "w").close()
            while os.path.exists(sys.argv[1]):
                time.sleep(0.1)
EOF
holder=$!
for i in $(seq 1 100); do [ -e "$W/hold.open" ] && break; sleep 0.2; done
expect "a client has pc2 open (rbd status shows a watcher)" \
    test "$(rbd_ status --format json rbd/pc2 | jq '.watchers | length')" -gt 0
expect_rc "remove of an open image is refused (EBUSY)" 4 "has it open" gw_cli rm pc2
rm "$W/hold"
wait "$holder"

step "reset of a volatile client: remove + clone"
r=$(gw_cli reclone base v0 pc2)
echo "   $r"
expect "the re-cloned pc2 holds nothing of its own" test "$(gw_cli du pc2 | jq .used)" = 0
expect "and reads as the base" cmp "$W/base.raw" <(rbd_ export rbd/pc2 - 2>/dev/null)

step "flatten: pc1 stands alone"
gw_cli flatten pc1 >/dev/null
expect "pc1 has no parent" test "$(gw_cli info pc1 | jq .parent)" = null
expect "pc1 still reads the base with its write" cmp "$W/expect.raw" <(rbd_ export rbd/pc1 - 2>/dev/null)
expect "base@v0 has one child left" test "$(gw_cli children base v0 | jq -c .children)" = '["rbd/pc2"]'
expect "flattening what has no parent is a no-op" quiet gw_cli flatten pc1

step "a second version and the snapshot list"
gw_cli snap pc1 v1 >/dev/null
expect "snapshots of pc1, oldest first" test "$(gw_cli snaps pc1 | jq -c .snaps)" = '["v1"]'
gw_cli snap base v1 >/dev/null
expect "snapshots of base, oldest first" test "$(gw_cli snaps base | jq -c .snaps)" = '["v0","v1"]'

step "errors name the pool, the image and the cause"
expect_rc "clone of a missing snapshot" 3 "rbd pool 'rbd' image 'x': clone of 'base@v9' failed" gw_cli clone base v9 x
expect "  ... and says the snapshot is missing" grep -q "no such snapshot" "$W/err"
expect_rc "clone of a missing parent" 3 "the parent image does not exist" gw_cli clone nosuch v0 x
expect_rc "info of a missing image" 3 "image 'nosuch'" gw_cli info nosuch
expect "exists of a missing image is false" test "$(gw_cli exists nosuch | jq .exists)" = false
expect "exists of pc2 is true" test "$(gw_cli exists pc2 | jq .exists)" = true
expect_rc "an image name with '@' is refused" 1 "holds '@'" gw_cli exists 'a@b'
expect_rc "an object size that is not a power of two is refused" 1 "power of two" gw_cli -o 3M import y "$W/base.raw"
expect_rc "a pool that does not exist" 3 "no such pool" gw_cli -p nopool exists base
bad=$W/bad.keyring
sed 's/key = .*/key = AQBbadbadbadbadbadbadbadbadbadbadbadbadb==/' "$CEPH_GW_KEYRING" > "$bad"
expect_rc "a wrong key" 1 "cannot connect to the cluster as client.$CEPH_GW_ID" gw_cli -k "$bad" exists base
sed "s/^mon_host = .*/mon_host = v1:$CEPH_MON_IP:6799/" "$CEPH_GW_CONF" > "$W/down.conf"
t0=$(date +%s)
expect_rc "a cluster that does not answer fails within the timeout" 1 "cannot connect to the cluster" \
    in_ns_env "$CLI" -c "$W/down.conf" -n "$CEPH_GW_ID" -t 3 exists base
expect "  ... in bounded time ($(( $(date +%s) - t0 )) s for a 3 s timeout)" test $(( $(date +%s) - t0 )) -le 20
expect "no message shows the key" bash -c "! grep -qF '$(awk '/key =/ {print $3}' "$CEPH_GW_KEYRING")' '$W/err.all'"

step "the gateway's key: what it may do, what it may not"
gwceph() { in_ns_env timeout 30 ceph -c "$CEPH_GW_CONF" --id "$CEPH_GW_ID" "$@"; }
expect "it may blocklist a dead gateway's address (failover fencing)" \
    gwceph osd blocklist add "$CEPH_NET.99:0/1" 60
expect "  ... but not lift it (blocklist entries expire, or the admin lifts them)" \
    fails quiet gwceph osd blocklist rm "$CEPH_NET.99:0/1"
ceph_ osd blocklist rm "$CEPH_NET.99:0/1" 2>/dev/null
expect "it may not create pools" fails quiet gwceph osd pool create other 8
expect "it may not read other keys" fails quiet gwceph auth get client.admin
expect "it may not write to another pool" fails quiet in_ns_env rbd -c "$CEPH_GW_CONF" \
    --id "$CEPH_GW_ID" create --size 1M "$(ceph_ osd pool ls | grep -v '^rbd$' | head -1)/x"

step "clean-up through the library"
gw_cli rm pc2 >/dev/null
gw_cli snap-rm base v0 >/dev/null
gw_cli snap-rm base v1 >/dev/null
expect "base has no snapshots left" test "$(gw_cli snaps base | jq .count)" = 0
gw_cli rm base >/dev/null
gw_cli snap-rm pc1 v1 >/dev/null
gw_cli rm pc1 >/dev/null
expect "the pool is empty" test "$(rbd_ ls rbd | wc -l)" = 0

step "down finds every daemon by the namespace, even with its pid files gone"
pids=$(ip netns pids "$CEPH_NETNS")
expect "three daemons run in the namespace" test "$(echo "$pids" | wc -w)" = 3
rm -f "$CEPH_DIR"/run/*.pid
"$CEPH_TOOLS/ceph-cluster" down "$CEPH_DIR"
# shellcheck disable=SC2086
expect "they are gone" none_alive $pids
expect "the namespace is gone" fails bash -c "ip netns list | grep -qw '$CEPH_NETNS'"
expect "the OSD's 8 GiB file and the data are gone, the logs stay" \
    test ! -e "$CEPH_DIR/osd" -a ! -e "$CEPH_DIR/mon" -a -s "$CEPH_DIR/log/ceph-mon.a.log"
ceph_test_finish
