# Boot events never pull a disk from under a logged-in client (issue: the e2e suite's UEFI
# clients stalled in GRUB; a forged DHCP packet could wipe a running volatile client), on real
# LIO with the linkmgr daemon and the dnsmasq hook:
#   - a volatile client with a live session gets a second (and third) DHCP exchange for its MAC:
#     its backstore is not rebuilt, its running I/O sees no error, its data stays; new logins
#     are refused while linkmgr waits (a login failure naming the target), and accepted again
#     once the session has outlived the hold;
#   - a rebooted PC whose old session is still in LIO (it stopped answering): the boot waits
#     until LIO drops that session, then the disk is renewed before the new login gets in;
#   - an unknown MAC's event touches nothing.
. "$BOOTLINK_SOURCE_DIR/tests/vm/lib.sh"
LINKMGR=$BUILD/linkmgr/daemon/linkmgr
LINKCTL=$BUILD/linkctl/linkctl
P=iqn.2026-11.org.bootlink
V=52:54:00:bb:00:01 V12=525400bb0001
W=52:54:00:bb:00:02     # another client: its target keeps the shared portal open
ST=/var/tmp/bl
CONF=$ST/linkmgr.conf
URL="iscsi://$PORTAL_IP/$P:target-$V12/0"
INI=$P:client-$V12
PXE=PXEClient:Arch:00000:UNDI:002001

mkdir -p "$ST/images"
# NOP-In 5 + 5 s: LIO drops a silent session within about 10 s; a hold lasts 5 + 5 + 10 s.
cat > "$CONF" <<EOF
state_dir = "$ST";
server_address = "$PORTAL_IP";
chap = false;
nopin_timeout = 5;
nopin_response_timeout = 5;
dnsmasq_pid_file = "$ST/dnsmasq.pid";
control_socket = "$ST/linkmgr.sock";
dhcp = { mode = "full"; ranges = ( { start = "10.0.2.100"; end = "10.0.2.200"; } ); };
EOF
lc() { "$LINKCTL" --config "$CONF" "$@" 2>>"$OUT/linkctl.log"; }
# dnsmasq runs its script with DNSMASQ_* in the environment; BOOTLINK_CONFIG points the hook here.
dhcp_event() { DNSMASQ_VENDOR_CLASS=$PXE BOOTLINK_CONFIG="$CONF" "$LINKMGR" "${2:-old}" "$1" 10.0.2.150; }
opens() { grep -c "bl-$V12: bootlink: serving" "$OUT/tcmu-runner.log" || true; }
logged() { grep -q "$1" "$OUT/linkmgr.log"; }
wait_for() { # SECONDS COMMAND...
    local n=$(( $1 * 5 )); shift
    while [ "$n" -gt 0 ]; do "$@" && return 0; sleep 0.2; n=$((n - 1)); done
    return 1
}
reads_base() { cmp -s <("$BL_IO" -i "$INI" "$URL" read 0 128 2>/dev/null) <(head -c 65536 "$ST/images/base.img"); }
reads_mark() { cmp -s <("$BL_IO" -i "$INI" "$URL" read 0 128 2>/dev/null) /var/tmp/mark; }
# A login refused because the target has no portal on the (shared) address: LIO answers the
# login with "service unavailable" (status 0x0301: the target is not on that portal), never
# an authentication or authorization failure.
login_refused() {
    local out
    out=$(iscsi-inq -i "$INI" "$URL" 2>&1) && return 1
    echo "$out" > "$OUT/refused-login.txt"
    grep -q "Failed to log in to target. Status: Service unavailable" <<< "$out"
}

step "tcmu-runner, a volatile client V linked with linkctl, the linkmgr daemon"
start_tcmu_runner
head -c 33554432 /dev/urandom > "$ST/images/base.img"
lc image add win10 "$ST/images/base.img" > /dev/null || die "image add: $(tail -2 "$OUT/linkctl.log")"
lc client add $V --image win10 --name pc01 --mode volatile > /dev/null || die "client add"
lc client add $W --image win10 --name pc02 --mode persistent > /dev/null || die "client add W"
"$LINKMGR" --config "$CONF" --foreground 2>>"$OUT/linkmgr.log" &
LMPID=$!
wait_for 20 test -d "$CFS/iscsi/$P:target-$V12/tpgt_1/np/$PORTAL_IP:3260" || die "linkmgr did not serve V"
expect "the ACL has linkmgr's NOP-In timeouts (5 s, 5 s)" \
    bash -c "[ \$(cat $CFS/iscsi/$P:target-$V12/tpgt_1/acls/$INI/attrib/nopin_timeout) = 5 ] && [ \$(cat $CFS/iscsi/$P:target-$V12/tpgt_1/acls/$INI/attrib/nopin_response_timeout) = 5 ]"
head -c 65536 /dev/urandom > /var/tmp/mark
"$BL_IO" -i "$INI" "$URL" write 0 /var/tmp/mark && "$BL_IO" -i "$INI" "$URL" sync
expect "V's write reads back" reads_mark

step "a running V gets DHCP exchanges for its MAC: nothing happens to its disk"
n0=$(opens)
# QD1 4 KiB random reads for 30 s on one session: the running OS.
"$BL_IO" -i "$INI" "$URL" perf read rand 1 8 0 60000 1 30 > "$OUT/perf-live.json" 2>&1 &
PERF=$!
wait_for 10 grep -q "LIO Session ID" "$CFS/iscsi/$P:target-$V12/tpgt_1/acls/$INI/info" || die "no session"
expect "a DHCP exchange from V's MAC (hook 'add')" dhcp_event $V add
expect "...and another one (hook 'old')" dhcp_event $V old
expect "linkmgr holds the boot: a session is logged in" logged "client $V: boot event while session [0-9]* is logged in"
expect "new logins to V are refused while it waits (service unavailable)" login_refused
expect "V's portal is gone meanwhile (its session keeps running)" test ! -e "$CFS/iscsi/$P:target-$V12/tpgt_1/np/$PORTAL_IP:3260"
wait $PERF && prc=0 || prc=$?
expect "the running I/O finished without an error" bash -c "[ $prc = 0 ] && grep -q '\"errors\":0' $OUT/perf-live.json"
expect "the session outlived the hold: linkmgr drops the event" wait_for 30 logged "client $V: session [0-9]* stayed logged in"
expect "V's backstore was never rebuilt" [ "$(opens)" = "$n0" ]
expect "V's portal is back" wait_for 10 test -d "$CFS/iscsi/$P:target-$V12/tpgt_1/np/$PORTAL_IP:3260"
expect "V still reads its own write (nothing was reset)" reads_mark

step "a rebooted V whose old session LIO still holds: the disk is renewed only when it is gone"
"$BL_IO" -i "$INI" "$URL" perf read rand 1 8 0 60000 1 60 > /dev/null 2>&1 &
PERF=$!
wait_for 10 grep -q "LIO Session ID" "$CFS/iscsi/$P:target-$V12/tpgt_1/acls/$INI/info" || die "no session"
# The PC "powers off": its initiator stops answering, its TCP connection stays open.
kill -STOP $PERF
expect "V's boot event while the dead session is still there is taken" dhcp_event $V old
expect "linkmgr waited for the old session, then started the boot" \
    wait_for 30 logged "client $V starts a boot (its old session has ended)"
expect "V's disk was renewed: it reads the image again" wait_for 20 reads_base
expect "V's backstore was rebuilt once" [ "$(opens)" = "$((n0 + 1))" ]
kill -KILL $PERF 2>/dev/null || true

step "an unknown MAC's event"
n1=$(opens)
expect "linkmgr --notify-boot of an unknown MAC says it is ignored" \
    bash -c "'$LINKMGR' --config '$CONF' --notify-boot 52:54:00:bb:00:99 | grep -q 'ignored: not a linked client'"
expect "nothing was rebuilt" [ "$(opens)" = "$n1" ]

kill -TERM $LMPID; wait $LMPID || true
finish
