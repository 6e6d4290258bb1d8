#!/bin/bash
# linkctl backup / restore: consistent copy while the database is in use, sparse copies with
# checksums, restore verifies before touching anything, refuses a newer schema, a destination
# outside bootlink's directories and, without --force, a live database that differs.
. "$(dirname "$0")/lib.sh" "$@"
[ -x "$BLIMG" ] || { echo "needs bootlink-img as second argument" >&2; exit 1; }

truncate -s 256M "$T/images/big.img"          # mostly a hole
head -c 1000000 /dev/urandom | dd of="$T/images/big.img" bs=1M seek=100 conv=notrunc status=none
expect 0 image add big "$T/images/big.img"
expect 0 client add 52:54:00:ff:00:01 --image big --mode persistent
expect 0 client add 52:54:00:ff:00:02 --image big
# a committed version layer, through the super-client workflow
expect 0 client super 52:54:00:ff:00:02
"$BLIMG" create -b "$T/images/big.img" "$T/state/overlays/525400ff0002.ovl" >/dev/null
linkmgr_booted 52:54:00:ff:00:02 0
expect 0 image commit big --force
layer="$T/state/layers/1-v1.layer"
"$BLIMG" create -b "$T/images/big.img" "$T/state/overlays/525400ff0001.ovl" >/dev/null

# linkmgr says nobody is online: overlays go in even where the filesystem has no reflink
fake_linkmgr
# backup while other linkctl processes write
( for i in $(seq 10 19); do lc client add "52:54:00:ff:01:$i" --image big >/dev/null; done ) &
writer=$!
expect 0 --json backup "$T/bk" --overlays
wait "$writer" && ok || bad "concurrent writer failed"
eq "backup ok" "$(jq -r .ok <<<"$OUT")" true
[ -f "$T/bk/MANIFEST" ] && ok || bad "manifest written"
eq "files" "$(jq -r '[.files[].path] | map(split("/")[0:2] | join("/")) | unique | join(" ")' <<<"$OUT")" \
    "bootlink.db files/images files/layers files/overlays linkmgr.conf"
copy=$(ls "$T"/bk/files/images/*)
eq "sparse copy is small" "$(( $(stat -c %b "$copy") * 512 < 8 * 1048576 ))" 1
eq "same content" "$(cmp "$copy" "$T/images/big.img" && echo same)" same
eq "mtime kept (part of the identity)" "$(stat -c %Y "$copy")" "$(stat -c %Y "$T/images/big.img")"
eq "backup database consistent" "$(sqlite3 "$T/bk/bootlink.db" 'PRAGMA integrity_check')" ok
expect 1 backup "$T/bk"
has "refuses a non-empty dir" "$ERR" "not empty"

# --- a running client's overlay without a snapshot (no reflink here) is refused ---
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; rm -f "$T/linkmgr.sock"
fake_linkmgr '{"ok":true,"server":"10.0.0.1","clients":[{"mac":"52:54:00:ff:00:01","online":true}]}'
snap_or_skip() { # DIR ARGS: reflink works here (btrfs, XFS) -> the refusal cannot happen
    if cp --reflink=always "$T/state/overlays/525400ff0001.ovl" "$T/reflink.probe" 2>/dev/null; then
        rm -f "$T/reflink.probe"; return 1; fi
}
if snap_or_skip; then
    expect 1 backup "$T/bk7" --overlays
    has "names the running client" "$ERR" "client 52:54:00:ff:00:01 is running"
    has "says why" "$ERR" "cannot snapshot its overlay"
    [ ! -e "$T/bk7/MANIFEST" ] && ok || bad "no complete backup left behind"
    rm -rf "$T/bk7"
    expect 0 --json backup "$T/bk7" --overlays --offline-only
    eq "--offline-only leaves it out" "$(jq -r '[.files[].path | select(startswith("files/overlays/"))] | length' <<<"$OUT")" 0
    has "and says so" "$ERR$OUT" "not in the backup (--offline-only)"
    expect 0 --json backup "$T/bk8" --overlays --force
    eq "--force copies it" "$(jq -r '[.files[].path | select(startswith("files/overlays/"))] | length' <<<"$OUT")" 1
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; rm -f "$T/linkmgr.sock"; SERVER_PID=
    expect 1 backup "$T/bk9" --overlays
    has "without linkmgr nobody can tell" "$ERR" "may be running (linkmgr is not there to say)"
else
    echo "# reflink works on $T: overlays are snapshotted, the refusal cannot be shown here"
    expect 0 backup "$T/bk7" --overlays
fi
expect 2 backup "$T/bk10" --overlays --offline-only --force
has "the two exclude each other" "$ERR" "exclude each other"

# --- disaster: database and files lost ---
before=$(sqlite3 "$T/state/bootlink.db" "SELECT mac FROM clients ORDER BY mac" | head -2)
rm -f "$T/state/bootlink.db"* "$T/images/big.img" "$layer"
expect 0 restore "$T/bk"
has "restored base" "$OUT" "restored $T/images/big.img"
expect 0 --json image show big
eq "base back with its identity" "$(jq -r .file_state <<<"$OUT")" ok
eq "clients back" "$(sqlite3 "$T/state/bootlink.db" "SELECT mac FROM clients ORDER BY mac" | head -2)" "$before"
eq "layer verifies" "$("$BLIMG" info --json "$T/state/overlays/525400ff0002.ovl" | jq -r '.chain[1].path')" "$layer"
expect 0 restore "$T/bk"
has "second restore writes nothing" "$OUT" "0 file(s) written"

# --- a damaged backup is refused before anything changes ---
cp -a "$T/bk" "$T/bk2"
f=$(ls "$T"/bk2/files/layers/*)
printf 'X' | dd of="$f" bs=1 seek=70000 conv=notrunc status=none
rm -f "$T/images/big.img"
expect 1 restore "$T/bk2"
has "damage named" "$ERR" "damaged"
[ ! -e "$T/images/big.img" ] && ok || bad "nothing restored from a damaged backup"
expect 0 restore "$T/bk"

# --- a differing destination needs --force ---
cp "$T/state/overlays/525400ff0001.ovl" "$T/ovl.keep"
"$BLIMG" reset "$T/state/overlays/525400ff0001.ovl" >/dev/null
echo junk >> "$T/state/overlays/525400ff0001.ovl"
expect 1 restore "$T/bk"
has "refuses to overwrite" "$ERR" "differs"
expect 0 restore "$T/bk" --force
eq "overlay restored" "$(cmp "$T/state/overlays/525400ff0001.ovl" "$T/ovl.keep" && echo same)" same

# --- newer schema refused ---
cp -a "$T/bk" "$T/bk3"
sed -i 's/^schema .*/schema 99/' "$T/bk3/MANIFEST"
expect 1 restore "$T/bk3"
has "newer schema" "$ERR" "newer"
# the database itself says newer (manifest line and checksum made to match): refused before
# the live database is overwritten
cp -a "$T/bk" "$T/bk5"
sqlite3 "$T/bk5/bootlink.db" "PRAGMA user_version = 99"
bksum() { # FILE: the backup's checksum (ops-backup.c): SHA-256 over size and 1 MiB chunk digests
    python3 - "$1" <<'PY'
import hashlib, sys
data = open(sys.argv[1], "rb").read()
h = hashlib.sha256(len(data).to_bytes(8, "big"))
for i in range(0, len(data), 1 << 20):
    h.update(hashlib.sha256(data[i:i + (1 << 20)]).digest())
print(h.hexdigest())
PY
}
sum=$(bksum "$T/bk5/bootlink.db")
sed -i "s|^file [0-9a-f]* \([0-9]* [0-9-]* bootlink.db -\)$|file $sum \1|" "$T/bk5/MANIFEST"
expect 0 client add 52:54:00:ff:02:01 --image big     # only in the live database
before=$(dbsum)
expect 1 restore "$T/bk5"
has "newer database refused" "$ERR" "newer"
eq "live database untouched" "$(dbsum)" "$before"
eq "live schema unchanged" "$(sqlite3 "$T/state/bootlink.db" 'PRAGMA user_version')" 4
expect 1 restore "$T/nosuch"
has "not a backup" "$ERR" "MANIFEST"
# a manifest line trying to write outside
cp -a "$T/bk" "$T/bk4"
echo "file 0000000000000000000000000000000000000000000000000000000000000000 1 0 ../../etc/x /etc/x" >> "$T/bk4/MANIFEST"
expect 1 restore "$T/bk4"
has "malformed line" "$ERR" "malformed"
# a well-formed line (its checksum matches) naming a destination outside bootlink's directories
cp -a "$T/bk" "$T/bk6"
printf 'x\n' > "$T/bk6/files/images/evil"
echo "file $(bksum "$T/bk6/files/images/evil") 2 0 files/images/evil $T/outside-evil" >> "$T/bk6/MANIFEST"
expect 1 restore "$T/bk6" --force
has "a destination outside image_dir is refused" "$ERR" "would be restored to $T/outside-evil, outside $T/images"
[ ! -e "$T/outside-evil" ] && ok || bad "nothing written outside"
# ...or inside it lexically, through a symlink planted in the directory
mkdir -p "$T/elsewhere" && ln -s "$T/elsewhere" "$T/images/sub"
sed -i '$d' "$T/bk6/MANIFEST"
echo "file $(bksum "$T/bk6/files/images/evil") 2 0 files/images/evil $T/images/sub/evil" >> "$T/bk6/MANIFEST"
expect 1 restore "$T/bk6" --force
has "a symlinked directory is refused" "$ERR" "outside"
[ ! -e "$T/elsewhere/evil" ] && ok || bad "nothing written through the symlink"

# --- a live database that differs from the backup's needs --force ---
before=$(dbsum)
expect 1 restore "$T/bk"
has "live database refused" "$ERR" "holds other images or clients than the backup's"
eq "live database untouched" "$(dbsum)" "$before"
expect 0 restore "$T/bk" --force
eq "--force replaces it" "$(sqlite3 "$T/state/bootlink.db" "SELECT count(*) FROM clients WHERE mac = '52:54:00:ff:02:01'")" 0

finish
