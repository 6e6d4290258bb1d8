# Shared helpers for the linkctl shell tests. Usage in a test:
#   . "$(dirname "$0")/lib.sh" "$@"      (arguments: LINKCTL [BOOTLINK_IMG])
# gives a scratch setup in $T (config, database, image dir) and the function `lc` that runs
# linkctl on it. Nothing outside $T is touched.
set -u
LINKCTL=$(realpath "${1:?usage: $0 LINKCTL [BOOTLINK_IMG]}")
BLIMG=${2:+$(realpath "$2")}
T=$(mktemp -d /tmp/test-linkctl.XXXXXX)
trap 'cleanup' EXIT
FAILS=0
CHECKS=0
SERVER_PID=

cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
    rm -rf "$T"
}

mkdir -p "$T/images" "$T/state/overlays"
cat > "$T/linkmgr.conf" <<CONF
state_dir = "$T/state";
image_dir = "$T/images";
control_socket = "$T/linkmgr.sock";
configfs_root = "$T/cfs";
dnsmasq_pid_file = "$T/dnsmasq.pid";
handler_dir = "$T/handler";
CONF

lc() { "$LINKCTL" --config "$T/linkmgr.conf" "$@"; }

ok() { CHECKS=$((CHECKS + 1)); }
bad() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); echo "FAIL: $*" >&2; }

# expect RC CMD... : runs lc with the args, checks the exit status; output in $OUT, $ERR
expect() {
    local want=$1; shift
    OUT=$(lc "$@" 2>"$T/err"); local rc=$?
    ERR=$(cat "$T/err")
    if [ "$rc" -eq "$want" ]; then ok; else bad "linkctl $* -> exit $rc, expected $want; stderr: $ERR"; fi
}

# eq WHAT GOT WANT
eq() { if [ "$2" = "$3" ]; then ok; else bad "$1: got '$2', expected '$3'"; fi; }
# has WHAT HAYSTACK NEEDLE
has() { case $2 in *"$3"*) ok ;; *) bad "$1: '$3' not in '$2'" ;; esac; }

# A database fingerprint: every row of every table but the event log.
dbsum() { sqlite3 "$T/state/bootlink.db" \
    "SELECT * FROM images; SELECT * FROM versions; SELECT * FROM clients;" | md5sum; }

# Image file with some data (size in MiB)
mkimage() {
    truncate -s "${2:-16}M" "$T/images/$1"
    head -c 300000 /dev/urandom | dd of="$T/images/$1" conv=notrunc status=none
}

# A fake linkmgr on the control socket: answers ping/reconcile/status from a JSON file.
fake_linkmgr() {
    local status_json=${1:-'{"ok":true,"server":"10.0.0.1","clients":[]}'}
    printf '%s' "$status_json" > "$T/status.json"
    python3 - "$T/linkmgr.sock" "$T/status.json" <<'PY' &
import os, socket, sys
path, status = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path); s.listen(16)
while True:
    c, _ = s.accept()
    req = b""
    while not req.endswith(b"\n"):
        d = c.recv(512)
        if not d: break
        req += d
    req = req.decode().strip()
    if req == "status":
        reply = open(status).read()
    elif req == "reconcile":
        reply = '{"ok":true,"changes":3}'
    else:
        reply = '{"ok":true}'
    c.sendall(reply.encode() + b"\n"); c.close()
PY
    SERVER_PID=$!
    for _ in $(seq 50); do [ -S "$T/linkmgr.sock" ] && return 0; sleep 0.1; done
    echo "fake linkmgr did not start" >&2; exit 1
}

finish() {
    echo "$CHECKS checks, $FAILS failed"
    [ "$FAILS" -eq 0 ]
    exit $?
}

# linkmgr_booted MAC VERSION: what linkmgr records (observed state) after making a client's disk
# on VERSION of its image: the disk is for that image, and every reset request is done.
linkmgr_booted() {
    sqlite3 "$T/state/bootlink.db" "INSERT INTO observed (client_id, disk_image_id, booted_version,
        reset_done) SELECT id, image_id, $2, reset_seq FROM clients WHERE mac = '$1'
        ON CONFLICT (client_id) DO UPDATE SET disk_image_id = excluded.disk_image_id,
        booted_version = excluded.booted_version, reset_done = excluded.reset_done"
}
# reset_state MAC: 0 none pending, 1 at the next offline moment, 2 forced (as bl_client.reset)
reset_state() {
    sqlite3 "$T/state/bootlink.db" "SELECT CASE WHEN c.reset_seq > COALESCE(o.reset_done, 0)
        THEN (CASE WHEN c.reset_now THEN 2 ELSE 1 END) ELSE 0 END FROM clients c
        LEFT JOIN observed o ON o.client_id = c.id WHERE c.mac = '$1'"
}
