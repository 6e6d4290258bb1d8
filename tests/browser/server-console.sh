# The console's server: runs in the guest (run-in-guest with one user-mode --nic whose hostfwd
# forwards a host port on 127.0.0.1 to the guest's 9090), serves until the host asks it to stop.
#
# Real LIO and tcmu-runner with bootlink's handler, the build installed with `meson install`
# (so the Cockpit page is where Cockpit finds it: /usr/local/share/cockpit/bootlink, and
# linkctl is in root's PATH), its configuration at linkctl's default path, the linkmgr daemon,
# and Cockpit's web service (cockpit-ws --no-tls; logins through cockpit-session and PAM).
# Clients: pc01 persistent on win10 with a live iSCSI session (a QD1 read load, so it is online
# and its counters move), pc02 persistent and pc03 volatile on win10 (off), lab01 on ubuntu
# (disabled), lab02 the super client of ubuntu. Users: bladmin (sudo group) and blviewer (no admin rights), password
# $BOOTLINK_T_PASSWORD.
# Requests from the host (tests/e2e/lib-guest.sh's protocol):
#   linkctl ARGS...   "ok" or "failed N", then linkctl's output
#   write MAC MIB     the client logs in, writes MIB MiB at LBA 0, syncs and logs out
#   count PATTERN     "ok", then how many processes' command lines contain PATTERN
#   stop              stop everything, exit
. "$BOOTLINK_SOURCE_DIR/tests/e2e/lib-guest.sh"
PORTAL_IP=127.0.0.1
ST=/var/tmp/bl
P=iqn.2026-11.org.bootlink
A=52:54:00:c0:00:01 B=52:54:00:c0:00:02 C=52:54:00:c0:00:03 D=52:54:00:c0:00:04 E=52:54:00:c0:00:05
PASSWORD=${BOOTLINK_T_PASSWORD:?}

step "network: eth0 = 10.0.2.15/24 (QEMU user networking: only its port forward reaches it)"
ip link set eth0 up || die "the guest has no eth0 (run-in-guest --nic user,...)"
ip addr add 10.0.2.15/24 dev eth0
# sudo (Cockpit's administrative access) warns in the dialog when the host name does not resolve
echo "127.0.1.1 $(hostname)" >> /etc/hosts

step "meson install (the page, linkctl, linkmgr) into this throwaway root"
meson install -C "$BUILD" --no-rebuild --quiet > "$OUT/meson-install.log" 2>&1 || die "meson install failed: $(tail -5 "$OUT/meson-install.log")"
prefix=$(meson introspect "$BUILD" --buildoptions | jq -r '.[] | select(.name=="prefix") | .value')
datadir=$(meson introspect "$BUILD" --buildoptions | jq -r '.[] | select(.name=="datadir") | .value')
page=$prefix/$datadir/cockpit/bootlink
[ -f "$page/manifest.json" ] && [ -f "$page/bootlink.css" ] || die "meson install did not put the page in $page"
LINKCTL=$(command -v linkctl) || die "linkctl is not in PATH after meson install"
LINKMGR=$(command -v linkmgr) || die "linkmgr is not in PATH after meson install"
echo "page in $page; $LINKCTL, $LINKMGR"

step "configuration at linkctl's default path, tcmu-runner"
conf_dir=$("$LINKMGR" --help 2>&1 | sed -n 's/.*--config FILE .*(default \(.*\)\/linkmgr.conf).*/\1/p')
[ -n "$conf_dir" ] || die "cannot read linkmgr's default configuration path from its --help"
mkdir -p "$conf_dir" "$ST/images" /run/bootlink
cat > "$conf_dir/linkmgr.conf" <<CONF
state_dir = "$ST";
image_dir = "$ST/images";
server_address = "$PORTAL_IP";
chap = false;
handler_dir = "$BUILD/handler";
admin_group = "root";
dhcp = { mode = "full"; ranges = ( { start = "10.0.2.100"; end = "10.0.2.199"; netmask = "255.255.255.0"; } ); };
CONF
start_tcmu_runner

step "images and clients with linkctl"
head -c 33554432 /dev/urandom > "$ST/images/win10.img"
head -c 16777216 /dev/urandom > "$ST/images/ubuntu.img"
lc() { "$LINKCTL" "$@"; }
lc image add win10 "$ST/images/win10.img" > /dev/null || die "image add win10"
lc image add ubuntu "$ST/images/ubuntu.img" > /dev/null || die "image add ubuntu"
lc client add $A --image win10 --name pc01 --mode persistent > /dev/null || die "client add pc01"
lc client add $B --image win10 --name pc02 --mode persistent > /dev/null || die "client add pc02"
lc client add $E --image win10 --name pc03 --mode volatile > /dev/null || die "client add pc03"
lc client add $C --image ubuntu --name lab01 --disabled > /dev/null || die "client add lab01"
lc client add $D --image ubuntu --name lab02 --mode persistent > /dev/null || die "client add lab02"
lc client super $D > /dev/null || die "client super lab02"

step "linkmgr daemon; pc01 logs in and reads"
"$LINKMGR" --foreground 2>>"$OUT/linkmgr.log" &
LMPID=$!
A12=${A//:/}
for _ in $(seq 1 300); do [ -d "$CFS/iscsi/$P:target-$A12/tpgt_1/np/$PORTAL_IP:3260" ] && break; sleep 0.1; done
[ -d "$CFS/iscsi/$P:target-$A12/tpgt_1/np/$PORTAL_IP:3260" ] || die "linkmgr did not serve pc01: $(tail -5 "$OUT/linkmgr.log")"
# QD1 4 KiB random reads over the first 32 MiB for up to an hour: the running PC
"$BL_IO" -i "$P:client-$A12" "iscsi://$PORTAL_IP/$P:target-$A12/0" perf read rand 1 8 0 8192 1 3600 > "$OUT/pc01-load.json" 2>&1 &
LOADPID=$!
for _ in $(seq 1 100); do lc --json status | jq -e '.clients[] | select(.mac=="'$A'") | .online' > /dev/null && break; sleep 0.2; done
lc status

step "users: bladmin (sudo) and blviewer"
useradd -m -s /bin/bash -G sudo bladmin || die "useradd bladmin"
useradd -m -s /bin/bash blviewer || die "useradd blviewer"
# SHA-512 with few rounds: Debian's yescrypt costs tens of seconds per check under TCG, longer
# than cockpit-session waits for PAM (each login and each sudo checks the password)
printf 'bladmin:%s\nblviewer:%s\n' "$PASSWORD" "$PASSWORD" | chpasswd -c SHA512 -s 1000 || die "chpasswd"

step "cockpit-ws on :9090 (no TLS: the host reaches it through QEMU's port forward on 127.0.0.1)"
mkdir -p /etc/cockpit
cat > /etc/cockpit/cockpit.conf <<EOF
[WebService]
AllowUnencrypted = true
Origins = ${BOOTLINK_T_ORIGIN:-http://127.0.0.1:9090}

[basic]
timeout = 300
response-timeout = 300
EOF
/usr/lib/cockpit/cockpit-ws --no-tls --port 9090 > "$OUT/cockpit-ws.log" 2>&1 &
WSPID=$!
for _ in $(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:9090/ && break; sleep 0.2; done
curl -s -o /dev/null http://127.0.0.1:9090/ || die "cockpit-ws does not answer: $(tail -5 "$OUT/cockpit-ws.log")"

ready
step "serving; waiting for requests in $OUT"
request() {
    local rc=0
    case "$1" in
        linkctl) shift; lc "$@" > /tmp/req.out 2>&1 || rc=$?
                 [ "$rc" = 0 ] && echo ok || echo "failed $rc"; cat /tmp/req.out ;;
        write) local m12=${2//:/}
               head -c "$(( $3 * 1048576 ))" /dev/urandom > /tmp/req.data
               if "$BL_IO" -i "$P:client-$m12" "iscsi://$PORTAL_IP/$P:target-$m12/0" write 0 /tmp/req.data > /tmp/req.out 2>&1 &&
                  "$BL_IO" -i "$P:client-$m12" "iscsi://$PORTAL_IP/$P:target-$m12/0" sync >> /tmp/req.out 2>&1; then
                   echo ok
               else
                   echo failed; cat /tmp/req.out
               fi ;;
        count) shift; echo ok; pgrep -c -f -- "$*" || true ;;
        *) echo "unknown request '$1'" ;;
    esac
}
serve_requests request

step "stopping"
lc status || true
kill "$WSPID" "$LOADPID" 2>/dev/null || true
kill "$LMPID"; wait "$LMPID" || true
stop_tcmu_runner
answer_stop
