#!/bin/bash
# Issue 7's scenarios on the stack as an admin runs it (server-linkmgr.sh: linkctl + linkmgr +
# dnsmasq on linkmgr's files, CHAP on): diskless QEMU clients PXE boot the test client image
# (boot/client-image) from their links.
#   round 1, at once: persistent A (BIOS), volatile B (UEFI), super client S (UEFI) writing
#            image version v2; each sees only its own writes;
#   `linkctl image commit`;
#   round 2, at once: A (UEFI) keeps its marker and its version; B (volatile) through OVMF's own PXE (chainload
#            of ipxe.efi) lost its marker and boots v2; an unknown MAC gets "not linked";
#   `linkctl image rollback base 0`; round 3: B (BIOS) boots base-v1 again, and S, persistent
#            on the version it built, reads that version and its own marker (its LUN was
#            rebuilt on a fresh overlay after the commit, not left to a stale tcmu-runner chain);
#   the base file is unchanged.
. "$(dirname "$0")/lib-host.sh"
A=52:54:00:77:01:0a     # persistent
B=52:54:00:77:01:0b     # volatile
S=52:54:00:77:01:05     # super client; its host name asks the client image to write version v2
U=52:54:00:77:01:ff     # not linked

img=$("$SRC/boot/client-image/build-client-image.sh")
start_server "$E2E/server-linkmgr.sh" "$img" "$A" "$B,volatile" "$S,name=bl-set-version-v2"
answer_ok() { [ "$(echo "$1" | head -1)" = ok ] || { echo "$1" | sed 's/^/    /'; return 1; }; }

echo "== round 1: A (BIOS), B (UEFI, volatile), S (UEFI, super client) at once"
r=$(request linkctl client super "$S"); expect "linkctl client super S" answer_ok "$r"
boot a1 bios "$A" & pa=$!
boot b1 uefi "$B" & pb=$!
boot s1 uefi "$S" & ps=$!
wait $pa && ra=0 || ra=$?; wait $pb && rb=0 || rb=$?; wait $ps && rs=0 || rs=$?
show a1; show b1; show s1
expect "A (BIOS) booted from its link and wrote its marker" [ "$ra" = 0 ]
expect "B (UEFI) booted from its link and wrote its marker" [ "$rb" = 0 ]
expect "S (UEFI) booted from its link" [ "$rs" = 0 ]
expect "A saw no marker: nobody else's writes" [ "$(client_line a1 previous-marker)" = none ]
expect "B saw no marker: nobody else's writes" [ "$(client_line b1 previous-marker)" = none ]
expect "S saw no marker: nobody else's writes" [ "$(client_line s1 previous-marker)" = none ]
expect "A booted the base version" [ "$(client_line a1 image-version)" = base-v1 ]
expect "S wrote image version v2" [ "$(client_line s1 new-image-version)" = v2 ]

# A client that powers off never logs out; LIO drops its session after the NOP-In timeouts
# (linkmgr's 10 + 10 s).
wait_offline() { # MAC
    for i in $(seq 1 40); do
        request linkctl client show --json "$1" | grep -q '"online": *false' && return 0
        sleep 3
    done
}

echo "== linkctl image commit (once LIO has noticed that S powered off)"
# commit rightly refuses while the super client looks online
wait_offline "$S"
r=$(request linkctl image commit base); expect "linkctl image commit base" answer_ok "$r"
request linkctl image versions base | sed 's/^/    /'

echo "== round 2: A again (UEFI), B again (OVMF firmware PXE -> ipxe.efi), unknown MAC, at once"
boot a2 uefi "$A" & pa=$!
boot b2 uefi-pxe "$B" & pb=$!
boot u1 bios "$U" --until 'is not linked to an image' --timeout 240 & pu=$!
wait $pa && ra=0 || ra=$?; wait $pb && rb=0 || rb=$?; wait $pu && ru=0 || ru=$?
show a2; show b2; show u1
expect "A booted again" [ "$ra" = 0 ]
expect "A kept its marker (persistent)" [ "$(client_line a2 previous-marker)" = "mac=$A count=1" ]
expect "A stays on its version (persistent clients move at \`client reset\`)" [ "$(client_line a2 image-version)" = base-v1 ]
expect "B booted through firmware PXE + chainloaded ipxe.efi" [ "$rb" = 0 ]
# v2 holds the super client's own marker (S wrote it while building v2), never B's.
expect "B's marker is gone (volatile)" bash -c "! grep -q 'mac=$B' <<< '$(client_line b2 previous-marker)'"
expect "B boots the committed version v2" [ "$(client_line b2 image-version)" = v2 ]
expect "the unknown MAC got the 'not linked' screen" [ "$ru" = 0 ]

# Version 0 is the base file (it says base-v1), version 1 the layer S built (it says v2).
echo "== linkctl image rollback base 0; round 3: B (BIOS) and S (UEFI) at once"
r=$(request linkctl image rollback base 0); expect "linkctl image rollback base 0" answer_ok "$r"
# B's old session must be gone first: an iPXE ROM logs in a second after its DHCP, and when
# that login is under way before the boot event takes effect linkmgr leaves the disk as it was
# for that boot (never pulls it from under the login; test-bootevent's late login). The hold
# on a live old session is vm-linkmgr-boot-events' case.
wait_offline "$B"
boot b3 bios "$B" & pb=$!
boot s3 uefi "$S" & ps=$!
wait $pb && rb=0 || rb=$?; wait $ps && rs=0 || rs=$?
show b3; show s3
expect "B booted after the rollback" [ "$rb" = 0 ]
expect "B boots base-v1 again" [ "$(client_line b3 image-version)" = base-v1 ]
expect "S, the former super client, booted again" [ "$rs" = 0 ]
expect "S stays on the version it built (persistent)" [ "$(client_line s3 image-version)" = v2 ]
expect "S reads its own marker from round 1, now in the v2 layer" \
    [ "$(client_line s3 previous-marker)" = "mac=$S count=1" ]

expect "the base image file is unchanged" [ "$(request base)" = "base unchanged" ]
expect "server stopped cleanly" stop_server
finish
