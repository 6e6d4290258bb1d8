# Guest-side helpers for the e2e server scripts (server-*.sh), on top of tests/vm/lib.sh.
# The host talks to a server guest through the shared $BOOTLINK_VM_OUT: the server writes "ready"
# once it serves; the host drops requests there as req-<N> (one line, renamed into place) and the
# server answers each in req-<N>.done (first line "ok" or the failure, then any output).
. "$BOOTLINK_SOURCE_DIR/tests/vm/lib.sh"
PORTAL_IP=10.77.0.1

# net_up: eth0 = $PORTAL_IP/24, a link between the guests only.
net_up() {
    ip link set eth0 up || die "the guest has no eth0 (run-in-guest --nic ...)"
    ip addr add "$PORTAL_IP/24" dev eth0
}

ready() { echo "$PORTAL_IP" > "$OUT/ready.tmp" && mv "$OUT/ready.tmp" "$OUT/ready"; }

_answer() { cat > "$OUT/$1.done.tmp"; mv "$OUT/$1.done.tmp" "$OUT/$1.done"; }
# serve_requests HANDLER: runs `HANDLER WORDS...` for each request until one is "stop" (left for
# the caller to answer with answer_stop once it has cleaned up). HANDLER prints its answer.
serve_requests() {
    local n=0 r line
    while :; do
        r=req-$n
        if [ ! -f "$OUT/$r" ]; then sleep 0.3; continue; fi
        line=$(head -1 "$OUT/$r")
        echo "request $n: $line"
        [ "$line" = stop ] && { _STOP_REQ=$r; return 0; }
        # shellcheck disable=SC2086
        "$1" $line 2>&1 | _answer "$r" || true
        n=$((n + 1))
    done
}
answer_stop() { echo ok | _answer "$_STOP_REQ"; }

# base_check BASE SUM: "base unchanged" (status 0) or "base CHANGED".
base_check() {
    if [ "$(sha256sum < "$1")" = "$2" ]; then echo "base unchanged"; else echo "base CHANGED"; return 1; fi
}
