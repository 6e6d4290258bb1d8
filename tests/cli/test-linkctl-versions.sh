#!/bin/bash
# The super-client workflow: client super -> image commit -> versions/rollback, and moving a
# base file with layers on it (rename --file rebases them).
. "$(dirname "$0")/lib.sh" "$@"
[ -x "$BLIMG" ] || { echo "needs bootlink-img as second argument" >&2; exit 1; }

mkimage win10.img
expect 0 image add win10 "$T/images/win10.img"
expect 0 client add 52:54:00:dd:00:01 --image win10
expect 0 client add 52:54:00:dd:00:02 --image win10 --mode persistent
ovl="$T/state/overlays/525400dd0001.ovl"

expect 1 image commit win10
has "nothing building" "$ERR" "no version is being built"
expect 0 client super 52:54:00:dd:00:01
has "super message" "$OUT" "builds version 1 on version 0"
expect 0 --json image versions win10
eq "building version" "$(jq -r '.versions[0] | "\(.number) \(.state) \(.parent)"' <<<"$OUT")" "1 building 0"
eq "still on 0" "$(jq -r .current_version <<<"$OUT")" 0
expect 1 client super 52:54:00:dd:00:02
has "one super per image" "$ERR" "already has a super client"
expect 1 client super 52:54:00:dd:00:01
expect 1 image rollback win10 0
has "no rollback while building" "$ERR" "being built"
expect 1 client remove 52:54:00:dd:00:01
has "super cannot be removed" "$ERR" "super client"
expect 1 client link 52:54:00:dd:00:01 win10
expect 1 image commit win10
has "needs proof the super client is off" "$ERR" "may be online"
expect 1 image commit win10 --force
has "no overlay yet" "$ERR" "has not booted"

# linkmgr creates the super client's overlay on the current top at its next boot and records
# it; until then there is nothing to commit
"$BLIMG" create -b "$T/images/win10.img" "$ovl" || bad "create overlay"
expect 1 image commit win10 --force
has "not booted since super" "$ERR" "has not booted"
linkmgr_booted 52:54:00:dd:00:01 0
fake_linkmgr '{"ok":true,"clients":[{"mac":"52:54:00:dd:00:01","online":true}]}'
expect 1 image commit win10
has "refused while online" "$ERR" "is online"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=; rm -f "$T/linkmgr.sock"

expect 0 image commit win10 --force
has "commit message" "$OUT" "version 1 committed"
layer="$T/state/layers/1-v1.layer"
[ -f "$layer" ] && ok || bad "layer file $layer"
eq "overlay now on the layer" "$("$BLIMG" info --json "$ovl" | jq -r '.chain[1].path')" "$layer"
eq "layer on the base" "$("$BLIMG" info --json "$layer" | jq -r '.chain[1].path')" "$T/images/win10.img"
expect 0 --json image versions win10
eq "committed" "$(jq -r '.versions[0].state' <<<"$OUT")" committed
eq "current" "$(jq -r .current_version <<<"$OUT")" 1
has "identity of layer" "$(jq -r '.versions[0].identity' <<<"$OUT")" "layer:"
eq "super back to normal" "$(jq -r '.clients[] | select(.mac=="52:54:00:dd:00:01") | .role' <<<"$OUT")" normal
eq "super booted on 1" "$(jq -r '.clients[] | select(.mac=="52:54:00:dd:00:01") | .booted_version' <<<"$OUT")" 1
# tcmu-runner may still hold the old super client's overlay open, with a chain from before the
# commit: linkmgr must give it a fresh overlay (empty on the new layer, so nothing is lost) and
# rebuild its backstore before it boots again
expect 0 --json client show 52:54:00:dd:00:01
eq "ex-super gets a fresh overlay when offline" "$(jq -r .reset_pending <<<"$OUT")" next-boot

# the persistent client still runs version 0 (linkmgr recorded it): update pending
linkmgr_booted 52:54:00:dd:00:02 0
expect 0 --json status
eq "update pending" "$(jq -r '.clients[] | select(.mac=="52:54:00:dd:00:02") | .update_pending' <<<"$OUT")" true
eq "no update pending for the super" "$(jq -r '.clients[] | select(.mac=="52:54:00:dd:00:01") | .update_pending' <<<"$OUT")" false
expect 0 status
has "human status" "$OUT" "update pending"

# rollback and back
expect 0 image rollback win10 0
expect 0 --json image show win10
eq "rolled back" "$(jq -r .image.current_version <<<"$OUT")" 0
expect 1 image rollback win10 7
has "unknown version" "$ERR" "no committed version 7"
expect 2 image rollback win10 x
expect 0 image rollback win10 1

# a second round: an overlay that is not on the version being built on is refused
ovl2="$T/state/overlays/525400dd0002.ovl"
expect 0 client super 52:54:00:dd:00:02
expect 0 --json image versions win10
eq "v2 on v1" "$(jq -r '.versions[1] | "\(.number) \(.parent)"' <<<"$OUT")" "2 1"
"$BLIMG" create -b "$T/images/win10.img" "$ovl2" >/dev/null
linkmgr_booted 52:54:00:dd:00:02 0
expect 1 image commit win10 --force
has "overlay on the wrong version" "$ERR" "not on version 1"
[ ! -e "$T/state/layers/1-v2.layer" ] && ok || bad "no layer written from the wrong overlay"
rm "$ovl2"
"$BLIMG" create -b "$layer" "$ovl2" >/dev/null
linkmgr_booted 52:54:00:dd:00:02 1
expect 0 image commit win10 --force
eq "v2 layer on v1" "$("$BLIMG" info --json "$T/state/layers/1-v2.layer" | jq -r '.chain[1].path')" "$layer"
expect 0 --json image versions win10
eq "v2 current" "$(jq -r .current_version <<<"$OUT")" 2
expect 0 image rollback win10 1
# a third, cancelled
expect 0 client super 52:54:00:dd:00:02
expect 0 client super 52:54:00:dd:00:02 --cancel
expect 0 --json image versions win10
eq "cancelled version gone" "$(jq '.versions | length' <<<"$OUT")" 2
eq "reset requested after cancel" "$(reset_state 52:54:00:dd:00:02)" 1
expect 1 client super 52:54:00:dd:00:02 --cancel

# moving the base file repoints the layer that sits on it
expect 0 image rename win10 win11 --file
eq "layer follows the renamed base" "$("$BLIMG" info --json "$layer" | jq -r '.chain[1].path')" "$T/images/win11.img"
eq "overlay chain intact" "$("$BLIMG" info --json "$ovl" | jq -r '.chain[2].path')" "$T/images/win11.img"

finish
