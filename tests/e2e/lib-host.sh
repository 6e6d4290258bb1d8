# Host-side helpers for the e2e tests: start a server guest on a private network, boot clients
# against it, talk to the server through its shared output directory. Source it from a test.
# The network is a switch: a Linux bridge in a network namespace the test makes for itself, each
# guest (server and clients) on a tap of its own, so a client gets its own unicast frames only,
# as on a real LAN, and nothing leaves the namespace. (A QEMU multicast "hub", used before, handed
# every iPXE client every other client's iSCSI stream; iPXE runs its NICs promiscuous.)
# BOOTLINK_E2E_NET=hub brings the hub back, for comparison.
set -euo pipefail
E2E=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$E2E/../.." && pwd)
export BOOTLINK_BUILD_DIR=${BOOTLINK_BUILD_DIR:-$SRC/build}
E2E_SERVER_MAC=52:54:00:77:00:01
E2E_TMP=$(mktemp -d /var/tmp/bootlink-e2e.XXXXXX)
E2E_NS=
# In the namespace there is no way out: fetch the kernel first.
"$SRC/tests/vm/prepare-kernel" > /dev/null
if [ "${BOOTLINK_E2E_NET:-switch}" = hub ]; then
    E2E_PORT=${E2E_PORT:-$((20000 + RANDOM % 30000))}
else
    E2E_NS=bl-e2e-${E2E_TMP##*.}
    ip netns add "$E2E_NS"
    ip -n "$E2E_NS" link add br0 type bridge stp_state 0 forward_delay 0
    ip -n "$E2E_NS" link set br0 up
fi
# e2e_net NAME: the QEMU netdev options of a new port named NAME on the test's network.
e2e_net() {
    if [ -z "$E2E_NS" ]; then echo "socket,mcast=230.77.0.1:$E2E_PORT,localaddr=127.0.0.1"; return; fi
    local tap=t-${1//[^a-zA-Z0-9]/}
    tap=${tap:0:15}
    ip -n "$E2E_NS" tuntap add "$tap" mode tap
    ip -n "$E2E_NS" link set "$tap" master br0 up
    echo "tap,ifname=$tap,script=no,downscript=no"
}
# in_net COMMAND...: run it where the test's network is.
in_net() { if [ -n "$E2E_NS" ]; then ip netns exec "$E2E_NS" "$@"; else "$@"; fi; }
_passes=0 _failures=0 SERVER_PID= SERVER_OUT=
# Debian 13's iPXE for the clients' ROMs and the files the server hands out (see prepare-ipxe).
export BOOTLINK_E2E_IPXE=${BOOTLINK_E2E_IPXE:-$("$E2E/prepare-ipxe")}
[ "$BOOTLINK_E2E_IPXE" = system ] && export BOOTLINK_T_IPXE_LIB=/usr/lib/ipxe || export BOOTLINK_T_IPXE_LIB=$BOOTLINK_E2E_IPXE/lib

ok() { _passes=$((_passes + 1)); echo "ok - $*"; }
not_ok() { _failures=$((_failures + 1)); echo "not ok - $*"; }
expect() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
finish() { echo "$_passes passed, $_failures failed"; [ "$_failures" = 0 ]; }

# start_server SCRIPT ARGS...: the server guest in the background; returns once it wrote "ready".
start_server() {
    local i
    mkdir -p "$E2E_TMP/jobs"
    # The guest's files stay in $E2E_TMP (removed when the test passes) so that a failure keeps
    # the server's logs, whatever the guest's own result.
    local net
    net=$(e2e_net server)
    BOOTLINK_VM_KEEP=1 BOOTLINK_VM_JOBDIR=$E2E_TMP/jobs in_net "$SRC/tests/vm/run-in-guest" \
        --name "e2e-$(basename "$1" .sh)" --timeout 1200 --nic "$net@$E2E_SERVER_MAC" "$@" \
        > "$E2E_TMP/server.out" 2>&1 &
    SERVER_PID=$!
    for i in $(seq 1 600); do
        SERVER_OUT=$(ls -d "$E2E_TMP"/jobs/bootlink-vm-*/out 2>/dev/null | head -1 || true)
        [ -n "$SERVER_OUT" ] && [ -f "$SERVER_OUT/ready" ] && { echo "server ready after $((i / 2)) s"; return 0; }
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.5
    done
    echo "server did not get ready; its output:" >&2
    cat "$E2E_TMP/server.out" >&2
    return 1
}

# request WORDS...: one request to the server (see server-manual.sh); prints its answer.
# Numbered by the requests already there, so it also works from a subshell.
request() {
    local r i
    r=req-$(find "$SERVER_OUT" -maxdepth 1 -name 'req-*' ! -name '*.*' | wc -l)
    echo "$*" > "$SERVER_OUT/$r.tmp" && mv "$SERVER_OUT/$r.tmp" "$SERVER_OUT/$r"
    for i in $(seq 1 600); do
        [ -f "$SERVER_OUT/$r.done" ] && { cat "$SERVER_OUT/$r.done"; return 0; }
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.2
    done
    echo "no answer"
}

# stop_server: ask it to stop, wait for the guest; its status is the function's.
stop_server() {
    local rc=0
    [ -n "$SERVER_PID" ] || return 0
    kill -0 "$SERVER_PID" 2>/dev/null && request stop > /dev/null
    wait "$SERVER_PID" || rc=$?
    SERVER_PID=
    sed 's/^/[server] /' "$E2E_TMP/server.out"
    return "$rc"
}

_cleanup() {
    local rc=$? j
    # Clients still booting (a test stopped early): their client.sh stops its QEMU on exit.
    for j in $(jobs -p); do kill $(ps -o pid= --ppid "$j") "$j" 2>/dev/null || true; done
    if [ -n "$SERVER_PID" ]; then
        # run-in-guest's `timeout` child holds QEMU in its own process group: stop it by its pid.
        kill $(ps -o pid= --ppid "$SERVER_PID") "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    [ -z "$E2E_NS" ] || ip netns del "$E2E_NS" 2>/dev/null || true
    if [ "$rc" = 0 ] && [ "$_failures" = 0 ]; then
        [ -n "${BOOTLINK_VM_KEEP:-}" ] && echo "e2e: files kept in $E2E_TMP" >&2 || rm -rf "$E2E_TMP"
        return
    fi
    # A failure keeps, without any flag, what tells its story beside meson's logs: linkmgr's,
    # dnsmasq's and tcmu-runner's logs and the guest's dmesg, the clients' consoles and pcaps.
    keep="$BOOTLINK_BUILD_DIR/meson-logs/e2e/$(basename "$0" .sh)-$(date +%Y%m%d-%H%M%S)"
    mkdir -p "$keep"
    [ -z "$SERVER_OUT" ] || cp -r "$SERVER_OUT" "$keep/server" 2>/dev/null || true
    cp "$E2E_TMP"/*.out "$E2E_TMP"/*.log "$E2E_TMP"/*.pcap "$keep/" 2>/dev/null || true
    echo "e2e: failed; logs kept in $keep (all files in $E2E_TMP)" >&2
}
trap _cleanup EXIT
trap 'exit 143' TERM INT     # so that the EXIT trap runs when the test is stopped

# boot NAME FIRMWARE MAC [client.sh options]: one client, its output in $E2E_TMP/NAME.out.
boot() {
    local name=$1 fw=$2 mac=$3
    shift 3
    local net
    net=$(e2e_net "$name")
    in_net "$E2E/client.sh" --name "$name" --firmware "$fw" --mac "$mac" --net "$net" \
        --log "$E2E_TMP/$name.console.log" "$@" > "$E2E_TMP/$name.out" 2>&1
}
# client_line NAME KEY: the value of "BOOTLINK-CLIENT KEY=..." in NAME's output.
client_line() { sed -n "s/.*BOOTLINK-CLIENT $2=//p" "$E2E_TMP/$1.out" | tail -1; }
show() { cat "$E2E_TMP/$1.out"; }
