#!/bin/bash
# Host side of ./demo: a bootlink server guest set up the way an admin does it (linkctl image add,
# linkctl client add, the linkmgr daemon, dnsmasq on linkmgr's files, tcmu-runner with
# handler_bootlink.so, real LIO), and two diskless PCs that PXE-boot from their image links twice:
# pc-a (BIOS, persistent) keeps what it wrote, pc-b (UEFI, volatile) starts clean every boot.
# Output is for a person; the e2e suite checks the same things and more.
. "$(dirname "$0")/../e2e/lib-host.sh"
A=52:54:00:de:00:0a
B=52:54:00:de:00:0b
t0=$(date +%s)
say() { printf '\n\033[1m[%3ds] %s\033[0m\n' "$(( $(date +%s) - t0 ))" "$*"; }
# Progress of a booting client: the lines that tell where it is.
watch_client() {
    tail -n +1 -F "$E2E_TMP/$1.out" 2>/dev/null |
        grep --line-buffered -E 'iPXE [0-9]|Registered SAN|NBP filename|BOOTLINK-CLIENT (booted|mac=|image-version|previous-marker|wrote-marker)|error' |
        sed -u "s/^/   $1: /"
}
round() { # NAME_A NAME_B FIRMWARE_A FIRMWARE_B
    watch_client "$1" & local w1=$!
    watch_client "$2" & local w2=$!
    boot "$1" "$3" "$A" & local pa=$!
    boot "$2" "$4" "$B" & local pb=$!
    wait $pa && ra=0 || ra=$?
    wait $pb && rb=0 || rb=$?
    sleep 1; kill $w1 $w2 2>/dev/null || true
}

say "Building the test client's base image (syslinux for BIOS, GRUB for UEFI, a Debian kernel)"
img=$("$SRC/boot/client-image/build-client-image.sh")
echo "   $img"
say "Booting the bootlink server guest: linkctl links pc-a (persistent) and pc-b (volatile) to image 'base'"
start_server "$E2E/server-linkmgr.sh" "$img" "$A,name=pc-a" "$B,volatile,name=pc-b"
request linkctl client list | sed 1d | sed 's/^/   /'

say "Boot 1: pc-a (BIOS: PXE -> iPXE -> sanboot) and pc-b (UEFI) at the same time"
round a1 b1 bios uefi
say "Boot 2: both again"
round a2 b2 bios uefi
request linkctl status | sed 1d | sed 's/^/   /'
stop_server > "$E2E_TMP/server-final.txt" 2>&1 || true

say "Summary"
for c in a1 a2 b1 b2; do
    printf '   %s: %-14s image %-8s found %-28s wrote %s\n' "$c" \
        "$(sed -n 's/.*BOOTLINK-CLIENT mac=\([^ ]*\).*firmware=\([a-z]*\).*/\1 \2/p' "$E2E_TMP/$c.out" | head -1 | cut -d' ' -f2)" \
        "$(client_line $c image-version)" "$(client_line $c previous-marker)" "$(client_line $c wrote-marker)"
done
expect "pc-a and pc-b booted twice from image 'base' served by bootlink at 10.77.0.1" \
    test -n "$(client_line a2 wrote-marker)" -a -n "$(client_line b2 wrote-marker)"
expect "pc-a (persistent) found its write from boot 1: kept" grep -q "mac=$A count=1" <<< "$(client_line a2 previous-marker)"
expect "pc-b (volatile) found nothing at boot 2: discarded" [ "$(client_line b2 previous-marker)" = none ]
expect "the base image file on the server is unchanged" grep -q 'base unchanged' "$E2E_TMP/server-final.txt"
finish
