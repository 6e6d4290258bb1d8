#!/bin/bash
# linkctl image ...: add/list/show/rename (--file, atomic)/relocate (identity)/remove, path
# escapes refused.
. "$(dirname "$0")/lib.sh" "$@"

mkimage win10.img
mkimage other.img
expect 0 image add win10 "$T/images/win10.img"
has "add message" "$OUT" "image 'win10' added"
expect 0 --json image list
eq "one image" "$(jq length <<<"$OUT")" 1
eq "size" "$(jq -r '.[0].size' <<<"$OUT")" $((16 << 20))
eq "path" "$(jq -r '.[0].path' <<<"$OUT")" "$T/images/win10.img"
has "identity recorded" "$(jq -r '.[0].identity' <<<"$OUT")" "raw:"
expect 0 --json image show win10
eq "file ok" "$(jq -r .file_state <<<"$OUT")" ok
eq "no versions" "$(jq '.versions | length' <<<"$OUT")" 0
# relative path accepted, resolved
(cd "$T/images" && "$LINKCTL" --config "$T/linkmgr.conf" image add rel other.img >/dev/null) && ok || bad "relative path"
expect 0 --json image show rel
eq "relative resolved" "$(jq -r .image.path <<<"$OUT")" "$T/images/other.img"
expect 0 image remove rel

# --- hostile names and paths refused, nothing changes ---
before=$(dbsum)
for n in 'win 10' 'win"10' $'win\n10' 'win;10' '../win' '.win' 'win/10' "$(printf 'w%.0s' {1..65})" '' 'w$x'; do
    expect 1 image add "$n" "$T/images/other.img"
    has "name rule" "$ERR" "image name"
done
mkdir -p "$T/outside"
truncate -s 1M "$T/outside/secret.img"
ln -s "$T/outside/secret.img" "$T/images/link.img"
expect 1 image add evil "$T/images/link.img"
has "symlink escape" "$ERR" "outside"
expect 1 image add evil "$T/images/../outside/secret.img"
has "dotdot escape" "$ERR" "outside"
expect 1 image add evil "$T/outside/secret.img"
expect 1 image add evil "$T/images/nosuch.img"
has "missing file" "$ERR" "does not exist"
touch "$T/images/bad,name.img"
expect 1 image add evil "$T/images/bad,name.img"
has "dev_config chars" "$ERR" "not allowed"
truncate -s 1000 "$T/images/odd.img"
expect 1 image add odd "$T/images/odd.img"
has "size rule" "$ERR" "multiple of 512"
mkdir "$T/images/dir.img"
expect 1 image add d "$T/images/dir.img"
expect 1 image add win10 "$T/images/other.img"
has "duplicate" "$ERR" "already exists"
if [ -x "$BLIMG" ]; then
    "$BLIMG" create -b "$T/images/other.img" "$T/images/an.ovl" >/dev/null
    expect 1 image add ovl "$T/images/an.ovl"
    has "an overlay is not a base image" "$ERR" "not a raw disk image"
fi
expect 1 image add long "$T/images/$(printf 'x%.0s' {1..5000})"
eq "refusals changed nothing" "$(dbsum)" "$before"

# --- rename: record only, then with the file ---
expect 0 client add 52:54:00:cc:00:01 --image win10
expect 0 image rename win10 win11
expect 0 --json client show 52:54:00:cc:00:01
eq "link follows rename" "$(jq -r .image <<<"$OUT")" win11
expect 1 image rename win11 'bad name'
expect 1 image rename nosuch x
expect 0 image add other "$T/images/other.img"
expect 1 image rename win11 other
has "rename onto existing" "$ERR" "already exists"
expect 0 image rename win11 win12 --file
[ -f "$T/images/win12.img" ] && [ ! -e "$T/images/win11.img" ] && [ ! -e "$T/images/win10.img" ] && ok || bad "file renamed"
expect 0 --json image show win12
eq "path updated" "$(jq -r .image.path <<<"$OUT")" "$T/images/win12.img"
eq "identity still matches" "$(jq -r .file_state <<<"$OUT")" ok
# atomic: the target file name is taken -> nothing changes
cp --sparse=always "$T/images/other.img" "$T/images/win13.img"
before=$(dbsum)
expect 1 image rename win12 win13 --file
has "no overwrite" "$ERR" "cannot rename"
eq "record unchanged after failed file rename" "$(dbsum)" "$before"
[ -f "$T/images/win12.img" ] && ok || bad "file kept after failed rename"

# --- relocate: after a "disk change" the file is elsewhere; identity must match ---
mkdir -p "$T/images/newdisk"
mv "$T/images/win12.img" "$T/images/newdisk/win12.img"   # mv keeps mtime: same identity
expect 0 --json image show win12
eq "missing detected" "$(jq -r .file_state <<<"$OUT")" missing
expect 1 image relocate win12 "$T/images/win13.img"
has "different image refused" "$ERR" "not the same image"
expect 0 image relocate win12 "$T/images/newdisk/win12.img"
has "relocated" "$OUT" "relocated"
expect 0 --json image show win12
eq "relocated path" "$(jq -r .image.path <<<"$OUT")" "$T/images/newdisk/win12.img"
eq "client still linked" "$(jq -r '.clients[0]' <<<"$OUT")" 52:54:00:cc:00:01
touch -d '2001-01-01' "$T/images/newdisk/win12.img"
expect 0 --json image show win12
eq "modified base detected" "$(jq -r .file_state <<<"$OUT")" changed

# --- remove ---
expect 1 image remove win12
has "refused while linked" "$ERR" "client(s) link to it"
expect 0 image remove win12 --force
has "force names the clients" "$OUT" "52:54:00:cc:00:01"
expect 1 client show 52:54:00:cc:00:01
[ -f "$T/images/newdisk/win12.img" ] && ok || bad "remove keeps the file"
expect 0 --json image list
eq "one image left" "$(jq -r '[.[].name] | join(",")' <<<"$OUT")" other
expect 1 image show win12

finish
