#!/bin/bash
# linkctl doctor on a planted tree (configfs, /proc, TFTP root, dnsmasq files, handler dir):
# healthy first, then each fault broken on its own and found with its fix hint.
. "$(dirname "$0")/lib.sh" "$@"

IQN=iqn.2026-11.org.bootlink:target-525400ee0001
P="$T/proc"
healthy() {
    rm -rf "$T/cfs" "$P" "$T/state/tftp" "$T/state/dnsmasq" "$T/handler"
    mkdir -p "$T/cfs/target/core" "$T/cfs/target/iscsi/$IQN/tpgt_1/np/10.0.0.1:3260"
    mkdir -p "$P/100" "$P/200" "$P/net" "$T/handler" "$T/state/tftp/bootlink" "$T/state/dnsmasq"
    echo tcmu-runner > "$P/100/comm"
    echo "7f00-7f10 r-xp 0 08:01 12 $T/handler/handler_bootlink.so" > "$P/100/maps"
    echo dnsmasq > "$P/200/comm"
    echo 200 > "$T/dnsmasq.pid"
    printf '  sl  local_address rem_address   st\n   0: 0100000A:0CBC 00000000:0000 0A 0\n' > "$P/net/tcp"
    : > "$T/handler/handler_bootlink.so"
    : > "$T/state/tftp/undionly.kpxe"
    : > "$T/state/tftp/ipxe.efi"
    : > "$T/state/tftp/bootlink/boot.ipxe"
    cat > "$T/state/dnsmasq/dnsmasq.conf" <<CONF
tftp-root=$T/state/tftp
dhcp-boot=tag:ipxe,bootlink/boot.ipxe
dhcp-boot=tag:!ipxe,tag:efi64,ipxe.efi
dhcp-boot=tag:!ipxe,tag:!efi64,undionly.kpxe
CONF
}

# result CHECK: the doctor's verdict for one check (from --json)
result() { jq -r --arg c "$1" '[.checks[] | select(.check == $c) | .result] | join(",")' <<<"$OUT"; }
fixhint() { jq -r --arg c "$1" '[.checks[] | select(.check == $c) | .fix] | join(",")' <<<"$OUT"; }

# broken CHECK FIX-SUBSTRING: doctor fails, on exactly that check, with a fix
broken() {
    expect 1 --json doctor --proc-root "$P"
    eq "$1 detected" "$(result "$1")" fail
    has "$1 fix" "$(fixhint "$1")" "$2"
    eq "only $1 failed" "$(jq -r '[.checks[] | select(.result == "fail") | .check] | unique | join(",")' <<<"$OUT")" "$1"
}

mkimage base.img
expect 0 image add base "$T/images/base.img"
expect 0 client add 52:54:00:ee:00:01 --image base
fake_linkmgr '{"ok":true,"server":"10.0.0.1","clients":[]}'

healthy
expect 0 --json doctor --proc-root "$P"
eq "healthy: nothing fails" "$(jq .failed <<<"$OUT")" 0
[ "$(jq .failed <<<"$OUT")" = 0 ] || jq -c '.checks[] | select(.result != "ok")' <<<"$OUT" >&2
expect 0 doctor --proc-root "$P"
has "human output" "$OUT" "0 check(s) failed"
BOOTLINK_PROC_ROOT="$P" expect 0 doctor

healthy; rm -rf "$T/cfs/target"
expect 1 --json doctor --proc-root "$P"
eq "lio detected" "$(result lio)" fail
has "lio fix" "$(fixhint lio)" "modprobe"
healthy; rm -rf "$T/cfs/target/iscsi"
expect 1 --json doctor --proc-root "$P"
eq "iscsi module detected" "$(result lio)" fail

healthy; rm -rf "$P/100"
broken tcmu-runner "start tcmu-runner"
healthy; : > "$P/100/maps"
broken tcmu-runner "restart tcmu-runner"
healthy; : > "$P/100/maps"; rm "$T/handler/handler_bootlink.so"
broken tcmu-runner "install"

healthy; kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=; rm -f "$T/linkmgr.sock"
broken linkmgr "start linkmgr"
fake_linkmgr '{"ok":true,"server":"10.0.0.1","clients":[]}'

healthy; rm "$T/dnsmasq.pid"
broken dnsmasq "start"
healthy; echo 100 > "$T/dnsmasq.pid"
broken dnsmasq "restart"

healthy; rm "$T/state/tftp/ipxe.efi"
expect 1 --json doctor --proc-root "$P"
eq "missing boot file" "$(result boot-files)" fail
eq "and the dhcp option naming it" "$(result dhcp-options)" fail
healthy; sed -i '/undionly/d' "$T/state/dnsmasq/dnsmasq.conf"
broken dhcp-options "linkmgr"
healthy; sed -i 's|^dhcp-boot=tag:!ipxe,tag:efi64,ipxe.efi$|dhcp-boot=tag:efi64,ipxe.efi,,10.9.9.9|' "$T/state/dnsmasq/dnsmasq.conf"
broken dhcp-options "reload linkmgr"
has "next-server mismatch named" "$(jq -r '.checks[] | select(.check=="dhcp-options") | .detail' <<<"$OUT")" "10.9.9.9"
healthy; sed -i "s|^tftp-root=.*|tftp-root=/elsewhere|" "$T/state/dnsmasq/dnsmasq.conf"
broken dhcp-options "reload linkmgr"
# proxy mode spelling
healthy; cat > "$T/state/dnsmasq/dnsmasq.conf" <<CONF
tftp-root=$T/state/tftp
pxe-service=tag:!ipxe,x86PC,"bootlink (BIOS)",undionly.kpxe
pxe-service=tag:!ipxe,X86-64_EFI,"bootlink (UEFI)",ipxe.efi
pxe-service=tag:ipxe,x86PC,"bootlink",bootlink/boot.ipxe
CONF
expect 0 --json doctor --proc-root "$P"
eq "proxy-mode configuration accepted" "$(result dhcp-options)" ok

healthy; rm -rf "$T/cfs/target/iscsi/$IQN/tpgt_1/np/10.0.0.1:3260"
broken portal "reload linkmgr"
healthy; printf '  sl  local_address rem_address   st\n   0: 0100000A:0CBC 00000000:0000 01 0\n' > "$P/net/tcp"
broken portal "portal_port"

healthy; mv "$T/images/base.img" "$T/images/moved.img"
broken "image base" "relocate"
mv "$T/images/moved.img" "$T/images/base.img"
healthy; rm -rf "$T/state/overlays"
broken overlay-space "mkdir"
mkdir -p "$T/state/overlays"

healthy; touch -d '2001-01-01' "$T/images/base.img"
broken "image base" "restore"

finish
