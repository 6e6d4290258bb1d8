#!/bin/bash
# PXE boot end to end, server set up by hand (server-manual.sh): diskless QEMU clients on a private
# network DHCP from dnsmasq, get iPXE, sanboot their own bootlink LUN, boot the test client image
# (boot/client-image) and write a marker onto their disk.
#   - a BIOS client and a UEFI client boot at the same time, each from its own overlay;
#   - the persistent client sees its previous marker at its next boot (UEFI this time);
#   - the volatile client's marker is gone after its LUN reopens; that boot goes through OVMF's own
#     PXE (no iPXE ROM), which must chainload ipxe.efi like a real PC's firmware;
#   - an unknown MAC gets the "not linked" message;
#   - the base image is unchanged.
. "$(dirname "$0")/lib-host.sh"
A=52:54:00:77:00:0a     # persistent
B=52:54:00:77:00:0b     # volatile
U=52:54:00:77:00:ff     # not linked

img=$("$SRC/boot/client-image/build-client-image.sh")
start_server "$E2E/server-manual.sh" "$img" "$A" "$B,volatile"

echo "== a BIOS client and a UEFI client at once"
boot a1 bios "$A" & pa=$!
boot b1 uefi "$B" & pb=$!
wait $pa && ra=0 || ra=$?
wait $pb && rb=0 || rb=$?
show a1; show b1
expect "BIOS client booted from its LUN and wrote its marker" [ "$ra" = 0 ]
expect "UEFI client booted from its LUN and wrote its marker" [ "$rb" = 0 ]
expect "BIOS client found no marker on its fresh overlay" [ "$(client_line a1 previous-marker)" = none ]
expect "UEFI client found no marker on its fresh overlay" [ "$(client_line b1 previous-marker)" = none ]
expect "the image version is the base's" [ "$(client_line a1 image-version)" = base-v1 ]
expect "the clients booted under their own firmware" \
    bash -c "grep -q 'firmware=bios' '$E2E_TMP/a1.out' && grep -q 'firmware=uefi' '$E2E_TMP/b1.out'"

echo "== second boots: persistent A (UEFI), volatile B after its LUN reopens (OVMF PXE chainload), unknown MAC"
expect "server reopened B's LUN" [ "$(request reopen "$B")" = ok ]
boot a2 uefi "$A" & pa=$!
boot b2 uefi-pxe "$B" & pb=$!
boot u1 bios "$U" --until 'is not linked to an image' --timeout 240 & pu=$!
wait $pa && ra=0 || ra=$?
wait $pb && rb=0 || rb=$?
wait $pu && ru=0 || ru=$?
show a2; show b2; show u1
expect "A booted again" [ "$ra" = 0 ]
expect "A's marker from its first boot was kept (persistent)" \
    [ "$(client_line a2 previous-marker)" = "mac=$A count=1" ]
expect "A wrote its second marker" [ "$(client_line a2 wrote-marker)" = "mac=$A count=2" ]
expect "B booted through firmware PXE + chainloaded ipxe.efi" [ "$rb" = 0 ]
expect "B's marker was discarded (volatile)" [ "$(client_line b2 previous-marker)" = none ]
expect "the unknown MAC got the 'not linked' message" [ "$ru" = 0 ]

echo "== server summary"
expect "server stopped cleanly with the base unchanged" stop_server
finish
