# The PXE boot server as an admin sets it up: runs in the server guest (run-in-guest with one
# --nic), serves until the host asks it to stop.
#
#   server-linkmgr.sh BASE_IMAGE CLIENT...     CLIENT = MAC[,volatile][,name=HOST]
#
# eth0 = 10.77.0.1/24 (a link between the guests only); the configuration at linkmgr's default path
# (the guest's root is a throwaway overlay), tcmu-runner with the build's handler, `linkctl image
# add` + `linkctl client add` per client (CHAP unless BOOTLINK_T_E2E_CHAP=false), the linkmgr daemon, and dnsmasq on the files linkmgr
# generated (its --dhcp-script hook is linkmgr at its installed path, linked to the build's).
# Requests from the host (see lib-guest.sh):
#   linkctl ARGS...   run linkctl; the answer is "ok" or "failed N", then its output
#   base              "base unchanged" or "base CHANGED"
#   stop              stop dnsmasq and linkmgr, check the base is unchanged, exit
. "$BOOTLINK_SOURCE_DIR/tests/e2e/lib-guest.sh"
LINKMGR=$BUILD/linkmgr/daemon/linkmgr
LINKCTL=$BUILD/linkctl/linkctl
ST=/var/tmp/bl
base_src=${1:?usage: server-linkmgr.sh BASE_IMAGE CLIENT...}
shift
[ -x "$LINKMGR" ] && [ -x "$LINKCTL" ] || die "linkmgr/linkctl are not built in $BUILD"

step "network: eth0 = $PORTAL_IP/24"
net_up

step "configuration, tcmu-runner"
conf_dir=$("$LINKMGR" --help 2>&1 | sed -n 's/.*--config FILE .*(default \(.*\)\/linkmgr.conf).*/\1/p')
[ -n "$conf_dir" ] || die "cannot read linkmgr's default configuration path from its --help"
mkdir -p "$conf_dir" "$ST/images" /run/bootlink
cat > "$conf_dir/linkmgr.conf" <<CONF
state_dir = "$ST";
server_address = "$PORTAL_IP";
boot_interface = "eth0";
chap = ${BOOTLINK_T_E2E_CHAP:-true};
handler_dir = "$BUILD/handler/tcmu";
ipxe_dir = "${BOOTLINK_T_IPXE_LIB:-/usr/lib/ipxe}";
admin_group = "root";
# the test boots an unknown MAC and expects the "not linked" screen
dhcp = { mode = "full"; serve_unknown = true; ranges = ( { start = "10.77.0.100"; end = "10.77.0.199"; netmask = "255.255.255.0"; } ); lease_time = "1h"; };
CONF
start_tcmu_runner

step "linkctl: image and clients"
lc() { "$LINKCTL" "$@"; }
cp "$base_src" "$ST/images/base.img"
base_sum=$(sha256sum < "$ST/images/base.img")
lc image add base "$ST/images/base.img" || die "linkctl image add failed"
for c in "$@"; do
    mac=${c%%,*} mode=persistent name=
    case ",$c," in *,volatile,*) mode=volatile ;; esac
    case "$c" in *,name=*) name=${c##*,name=}; name=${name%%,*} ;; esac
    lc client add "$mac" --image base --mode "$mode" ${name:+--name "$name"} || die "linkctl client add $c failed"
done
lc client list

step "linkmgr daemon, dnsmasq on its files"
# as the packages do: client scripts readable by dnsmasq's group only (it runs as nobody here)
getent group bootlink-tftp >/dev/null || groupadd -r bootlink-tftp
"$LINKMGR" --foreground 2>>"$OUT/linkmgr.log" &
LMPID=$!
for _ in $(seq 1 300); do [ -S /run/bootlink/linkmgr.sock ] && [ -f "$ST/dnsmasq/dnsmasq.conf" ] && break; sleep 0.1; done
[ -f "$ST/dnsmasq/dnsmasq.conf" ] || die "linkmgr wrote no dnsmasq configuration: $(tail -5 "$OUT/linkmgr.log")"
cp "$ST/dnsmasq/dnsmasq.conf" "$ST/dnsmasq/opts" "$ST/tftp/bootlink/boot.ipxe" "$OUT/" 2>/dev/null || true
# dnsmasq's --dhcp-script hook is linkmgr at its installed path: link the build's there.
hook=$(sed -n 's/^dhcp-script=//p' "$ST/dnsmasq/dnsmasq.conf")
[ -n "$hook" ] && mkdir -p "$(dirname "$hook")" && ln -sf "$LINKMGR" "$hook"
dnsmasq --conf-file="$ST/dnsmasq/dnsmasq.conf" --pid-file=/run/bootlink/dnsmasq.pid \
    --log-facility="$OUT/dnsmasq.log" || die "dnsmasq did not start: $(tail -3 "$OUT/dnsmasq.log" 2>/dev/null)"
lc status || true
for d in "$ST"/tftp/??-??-??-??-??-??; do
    [ "$(stat -c %G:%a "$d")" = bootlink-tftp:750 ] || die "$d: not bootlink-tftp 0750: $(stat -c %G:%a "$d")"
done

ready
step "serving; waiting for requests in $OUT"
request() {
    local rc=0
    case "$1" in
        linkctl) shift; lc "$@" > /tmp/req.out 2>&1 || rc=$?
                 [ "$rc" = 0 ] && echo ok || echo "failed $rc"; cat /tmp/req.out ;;
        base) base_check "$ST/images/base.img" "$base_sum" ;;
        *) echo "unknown request '$1'" ;;
    esac
}
serve_requests request

step "stopping"
kill "$(cat /run/bootlink/dnsmasq.pid)" 2>/dev/null || true
lc status || true
kill "$LMPID"; wait "$LMPID" || true
base_check "$ST/images/base.img" "$base_sum" | tee "$OUT/summary"
answer_stop
grep -q '^base unchanged' "$OUT/summary"
