#!/bin/bash
# Measures what a pre-OS client that does no disk I/O for a while (a boot menu) does to its
# iPXE session: a BIOS and a UEFI client log in with `sanhook`, sit idle for PAUSE seconds, then
# `sanboot` the test image; the server (server-manual.sh) sets the NOP-In timeouts of their ACLs.
# Prints, per client, whether it booted, and the server's kernel log lines about NOP-Ins and
# logins. Not part of a suite (about 4 minutes); the result is in tests/e2e/README.md.
#   measure-idle-session.sh [PAUSE [NOPIN_TIMEOUT NOPIN_RESPONSE_TIMEOUT]]
. "$(dirname "$0")/lib-host.sh"
pause=${1:-70}
export BOOTLINK_T_PAUSE=$pause BOOTLINK_T_NOPIN="${2:-15} ${3:-30}"
A=52:54:00:77:03:0a B=52:54:00:77:03:0b
img=$("$SRC/boot/client-image/build-client-image.sh")
start_server "$E2E/server-manual.sh" "$img" "$A" "$B"
echo "== idle $pause s after login, ACL NOP-In $BOOTLINK_T_NOPIN"
boot idle-bios bios "$A" --timeout $((pause + 240)) & pa=$!
boot idle-uefi uefi "$B" --timeout $((pause + 240)) & pb=$!
wait $pa && ra=0 || ra=$?; wait $pb && rb=0 || rb=$?
show idle-bios; show idle-uefi
expect "BIOS client booted after $pause s idle" [ "$ra" = 0 ]
expect "UEFI client booted after $pause s idle" [ "$rb" = 0 ]
stop_server > /dev/null || true
echo "== server kernel log"
grep -h "NOPIN\|iSCSI Login\|Login negotiation" "$SERVER_OUT/dmesg.txt" 2>/dev/null | sed 's/^/    /' || true
finish
