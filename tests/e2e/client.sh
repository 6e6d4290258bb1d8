#!/bin/bash
# Boot one diskless QEMU client from the network and wait for a line on its serial console.
#
#   client.sh --mac MAC --net NETDEV-OPTS [--firmware bios|uefi|uefi-pxe] [--until REGEX]
#             [--timeout SECS] [--log FILE] [--name NAME]
#
# Firmware: bios = SeaBIOS + the e1000's iPXE ROM; uefi = OVMF + the e1000's iPXE EFI ROM;
# uefi-pxe = OVMF's own UEFI PXE on a virtio-net NIC without option ROM, the path of a real PC:
# the firmware must download ipxe.efi over TFTP and chainload it. The e1000's ROM is Debian 13's
# iPXE from tests/e2e/prepare-ipxe (BOOTLINK_E2E_IPXE=DIR, or "system" for QEMU's own).
# The client's network traffic is kept as a pcap beside the console log when the boot fails.
# NETDEV-OPTS is a QEMU -netdev without id, e.g. socket,mcast=230.0.0.1:PORT,localaddr=127.0.0.1.
# Waits until REGEX (default: the client's last line, "BOOTLINK-CLIENT (done|error=)") appears, the
# client powers off, the boot hits a dead end (no bootable device, EFI shell), or the
# timeout; then stops QEMU. Prints the console's BOOTLINK-CLIENT lines,
# the iPXE/bootlink lines, and "client NAME: ... after N s" (start to REGEX, whole seconds).
# Exit 0 when REGEX appeared (and no "BOOTLINK-CLIENT error="), 1 otherwise; the console log is
# kept (and its path printed) on failure, removed on success unless BOOTLINK_VM_KEEP is set.
set -euo pipefail

mac= net= fw=bios until='BOOTLINK-CLIENT (done|error=)' timeout=300 log= name=
# Dead ends of the boot path: the firmware gave up, or iPXE could not reach the disk.
# (A refused SAN login is no dead end: the client's script retries, as it must while linkmgr
# rebuilds its disk.)
dead='No bootable device|EFI Shell version' 
while [ $# -gt 0 ]; do
    case "$1" in
        --mac) mac=$2 ;; --net) net=$2 ;; --firmware) fw=$2 ;; --until) until=$2 ;;
        --timeout) timeout=$2 ;; --log) log=$2 ;; --name) name=$2 ;;
        *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
    shift 2
done
[ -n "$mac" ] && [ -n "$net" ] || { echo "client.sh: --mac and --net are required" >&2; exit 2; }
name=${name:-$fw-$mac}
log=${log:-$(mktemp "/var/tmp/bootlink-client-${name//:/}.XXXXXX.log")}
ovmf=/usr/share/ovmf/OVMF.fd

args=(-accel tcg -machine pc -m 512 -smp 1 -nographic -no-reboot -monitor none -serial "file:$log"
      -netdev "$net,id=n0" -object "filter-dump,id=cap,netdev=n0,file=$log.pcap")
# The NIC's iPXE option ROM: Debian 13's (tests/e2e/prepare-ipxe says why), or QEMU's own with
# BOOTLINK_E2E_IPXE=system.
ipxe=${BOOTLINK_E2E_IPXE:-$("$(dirname "$0")/prepare-ipxe")}
rom=
[ "$ipxe" = system ] || rom=",romfile=$ipxe/qemu/$([ "$fw" = bios ] && echo pxe || echo efi)-e1000.rom"
case "$fw" in
    bios) args+=(-boot n -device "e1000,netdev=n0,mac=$mac,bootindex=1$rom") ;;
    uefi) args+=(-bios "$ovmf" -device "e1000,netdev=n0,mac=$mac,bootindex=1$rom") ;;
    uefi-pxe) args+=(-bios "$ovmf" -device "virtio-net-pci,netdev=n0,mac=$mac,romfile=,bootindex=1") ;;
    *) echo "client.sh: unknown firmware '$fw' (bios, uefi, uefi-pxe)" >&2; exit 2 ;;
esac
[ "$fw" = bios ] || [ -r "$ovmf" ] || { echo "client.sh: $ovmf is missing (apt-get install ovmf)" >&2; exit 2; }

: > "$log"
start=$(date +%s.%N)
qemu-system-x86_64 "${args[@]}" </dev/null >"$log.qemu" 2>&1 &
qpid=$!
trap 'kill "$qpid" 2>/dev/null || true' EXIT
trap 'exit 143' TERM INT
seen= secs= exited=
deadline=$(( $(date +%s) + timeout ))
while :; do
    if grep -aqE "$until" "$log"; then
        seen=1
        secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
        break
    fi
    grep -aqE "$dead" "$log" && break
    kill -0 "$qpid" 2>/dev/null || { exited=1; break; }
    [ "$(date +%s)" -lt "$deadline" ] || break
    sleep 0.5
done
# A client that printed its result powers itself off: give it a moment, then stop it.
for _ in 1 2 3 4 5 6; do kill -0 "$qpid" 2>/dev/null || break; sleep 0.5; done
kill "$qpid" 2>/dev/null || true
wait "$qpid" 2>/dev/null || true

# The console has terminal escapes and CRs; keep readable lines that tell the story.
tr -d '\r' < "$log" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g' |
    grep -aE 'BOOTLINK-CLIENT|bootlink|iPXE [0-9]|Registered SAN|NBP filename|Could not|No bootable|[Ee]rror' |
    grep -av '^$' | sed "s/^/[$name] /" || true
if [ -n "$seen" ] && ! grep -aq 'BOOTLINK-CLIENT error=' "$log"; then
    echo "client $name ($fw, $mac): \"$until\" after $secs s"
    [ -n "${BOOTLINK_VM_KEEP:-}" ] || rm -f "$log" "$log.qemu" "$log.pcap"
    exit 0
fi
why="no \"$until\" within ${timeout}s"
[ -z "$exited" ] || why="QEMU stopped before \"$until\" ($(tail -2 "$log.qemu" | tr '\n' ' '))"
grep -aq 'BOOTLINK-CLIENT error=' "$log" && why="the client reported an error"
grep -aqE "$dead" "$log" && why="the boot failed: $(grep -aoE "$dead" "$log" | head -1)"
echo "client $name ($fw, $mac): FAILED: $why; console log kept in $log" >&2
exit 1
