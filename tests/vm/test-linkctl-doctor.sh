# linkctl doctor on real LIO: healthy first (configfs, tcmu-runner with the handler, linkmgr,
# dnsmasq, boot files, portal listening, image unchanged), then each fault planted in turn is
# found with a fix hint, and found healthy again once repaired.
. "$BOOTLINK_SOURCE_DIR/tests/vm/lib.sh"
LINKMGR=$BUILD/linkmgr/daemon/linkmgr
LINKCTL=$BUILD/linkctl/linkctl
P=iqn.2026-11.org.bootlink
A=52:54:00:d0:00:01 A12=525400d00001
ST=/var/tmp/bld
CONF=$ST/linkmgr.conf

mkdir -p "$ST/images"
cat > "$CONF" <<CONF
state_dir = "$ST";
image_dir = "$ST/images";
server_address = "$PORTAL_IP";
chap = false;
handler_dir = "$BUILD/handler/tcmu";
dnsmasq_pid_file = "$ST/dnsmasq.pid";
control_socket = "$ST/linkmgr.sock";
dhcp = { mode = "full"; ranges = ( { start = "10.0.2.100"; end = "10.0.2.200"; } ); };
CONF
lc() { "$LINKCTL" --config "$CONF" "$@" 2>>"$OUT/linkctl.log"; }
doctor_json() { lc --json doctor > "$OUT/doctor.json" || true; }
verdict() { jq -r --arg c "$1" '[.checks[] | select(.check == $c) | .result] | join(",")' "$OUT/doctor.json"; }
fix_of() { jq -r --arg c "$1" '[.checks[] | select(.check == $c) | .fix] | join(",")' "$OUT/doctor.json"; }
is() { [ "$(verdict "$1")" = "$2" ]; }                 # CHECK RESULT
fix_says() { fix_of "$1" | grep -q -- "$2"; }        # CHECK TEXT
start_linkmgr() {
    "$LINKMGR" --config "$CONF" --foreground 2>>"$OUT/linkmgr.log" &
    LMPID=$!
    for _ in $(seq 1 100); do [ -S "$ST/linkmgr.sock" ] && return 0; sleep 0.1; done
    die "linkmgr did not open its control socket: $(tail -5 "$OUT/linkmgr.log")"
}
stop_linkmgr() { kill -TERM "$LMPID" 2>/dev/null; wait "$LMPID" 2>/dev/null || true; }
start_dnsmasq() {
    dnsmasq --conf-file="$ST/dnsmasq/dnsmasq.conf" --pid-file="$ST/dnsmasq.pid" \
        --log-facility="$OUT/dnsmasq.log" 2>>"$OUT/dnsmasq.stderr" || true
    for _ in $(seq 1 50); do [ -s "$ST/dnsmasq.pid" ] && return 0; sleep 0.1; done
    return 1
}
stop_dnsmasq() { [ -s "$ST/dnsmasq.pid" ] && kill "$(cat "$ST/dnsmasq.pid")" 2>/dev/null; sleep 0.3; }

step "a working setup"
start_tcmu_runner
head -c 16777216 /dev/urandom > "$ST/images/base.img"
lc image add base "$ST/images/base.img" > /dev/null || die "image add: $(tail -3 "$OUT/linkctl.log")"
lc client add $A --image base --name pc01 > /dev/null || die "client add: $(tail -3 "$OUT/linkctl.log")"
start_linkmgr
lc client enable $A > /dev/null     # any change: linkmgr reconciles on request
for _ in $(seq 1 50); do [ -d "$CFS/iscsi/$P:target-$A12/tpgt_1/np/$PORTAL_IP:3260" ] && break; sleep 0.1; done
DNSMASQ=yes
start_dnsmasq || DNSMASQ=no

doctor_json
expect "real configfs and target modules found" is lio ok
expect "tcmu-runner with the bootlink handler found" is tcmu-runner ok
expect "linkmgr found" is linkmgr ok
expect "boot files in tftp_root found" is boot-files ok
expect "generated DHCP boot options coherent" is dhcp-options ok
expect "the kernel's iSCSI portal found listening" is portal ok
expect "the image is present and unchanged" is "image base" ok
if [ $DNSMASQ = yes ]; then
    expect "dnsmasq found" is dnsmasq ok
else
    echo "# dnsmasq did not start in this guest ($(tail -2 "$OUT/dnsmasq.stderr" 2>/dev/null)): its fault is not planted"
fi

step "faults, one at a time"
stop_tcmu_runner
doctor_json
expect "tcmu-runner stopped: found" is tcmu-runner fail
expect "tcmu-runner stopped: fix given" fix_says tcmu-runner "start tcmu-runner"
start_tcmu_runner "$ST"        # a handler directory without handler_bootlink.so
doctor_json
expect "tcmu-runner without the handler: found" is tcmu-runner fail
expect "tcmu-runner without the handler: restart advised" fix_says tcmu-runner "restart tcmu-runner"
stop_tcmu_runner
start_tcmu_runner
doctor_json
expect "tcmu-runner repaired" is tcmu-runner ok

stop_linkmgr
doctor_json
expect "linkmgr stopped: found" is linkmgr fail
expect "linkmgr stopped: fix given" fix_says linkmgr "start linkmgr"

rmdir "$CFS/iscsi/$P:target-$A12/tpgt_1/np/$PORTAL_IP:3260"
doctor_json
expect "portal removed: found" is portal fail
start_linkmgr
lc client enable $A > /dev/null
doctor_json
expect "linkmgr repaired" is linkmgr ok
expect "portal rebuilt by linkmgr" is portal ok

if [ $DNSMASQ = yes ]; then
    stop_dnsmasq
    doctor_json
    expect "dnsmasq stopped: found" is dnsmasq fail
fi

mv "$ST/tftp/undionly.kpxe" "$ST/undionly.kpxe.away"
doctor_json
expect "BIOS boot file missing: found" is boot-files fail
expect "and the DHCP option naming it" is dhcp-options fail
mv "$ST/undionly.kpxe.away" "$ST/tftp/undionly.kpxe"

touch -d '2001-01-01' "$ST/images/base.img"
doctor_json
expect "modified base image: found" is "image base" fail
mv "$ST/images/base.img" "$ST/images/gone.img"
doctor_json
expect "missing base image: found" is "image base" fail
expect "missing base image: relocate advised" fix_says "image base" "relocate"

stop_linkmgr
stop_tcmu_runner
cp "$OUT/doctor.json" "$OUT/doctor-last.json" 2>/dev/null || true
finish
