#!/bin/bash
# The browser suite: bootlink's Cockpit page in headless Chromium against a server guest that runs
# cockpit-ws, linkmgr, tcmu-runner and real LIO (server-console.sh).
#
# LIO exists only in the guest kernel, and Chromium is far too slow under TCG, so the browser runs
# here and the guest's cockpit-ws is reached through QEMU user networking: `restrict=on` (the
# guest reaches nothing) with one hostfwd from 127.0.0.1:PORT on this machine to the guest's
# port 9090. The browser logs in with a password as bladmin (sudo) and blviewer (no admin) and
# drives the page with playwright-core (tests/browser/console.test.mjs); checks of what the page
# did are made in the guest with linkctl, through the shared output directory (request files,
# tests/e2e/lib-guest.sh's protocol).
#   test-console.sh NODE_MODULES       (playwright-core, from tests/browser/package-lock.json)
# Screenshots of each page: $BOOTLINK_T_SCREENSHOTS (default BUILD/console-screenshots);
# BOOTLINK_T_SCREENSHOTS=doc writes them to doc/console/ for the README.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
export BOOTLINK_BUILD_DIR=${BOOTLINK_BUILD_DIR:-$src/build}
node_modules=${1:?usage: test-console.sh NODE_MODULES}
[ -f "$BOOTLINK_BUILD_DIR/console/bootlink.css" ] || { echo "test-console.sh: the console is not built in $BOOTLINK_BUILD_DIR (meson -Dconsole=enabled)" >&2; exit 1; }
[ -x /usr/lib/cockpit/cockpit-ws ] || { echo "test-console.sh: cockpit-ws is missing (tests/deps.sh: console_packages)" >&2; exit 1; }
command -v chromium > /dev/null || { echo "test-console.sh: chromium is missing (tests/deps.sh: console_packages)" >&2; exit 1; }

port=$((20000 + RANDOM % 30000))
tmp=$(mktemp -d /var/tmp/bootlink-browser.XXXXXX)
shots=${BOOTLINK_T_SCREENSHOTS:-$BOOTLINK_BUILD_DIR/console-screenshots}
[ "$shots" = doc ] && shots=$src/doc/console
mkdir -p "$shots" "$tmp/jobs"
export BOOTLINK_T_PASSWORD="bl-$RANDOM-$RANDOM-pw"
export BOOTLINK_T_ORIGIN="http://127.0.0.1:$port"
guest=
out=
rc=1

cleanup() {
    if [ -n "$guest" ] && kill -0 "$guest" 2>/dev/null; then
        # run-in-guest's `timeout` child holds QEMU: stop it by its pid, then run-in-guest
        kill $(ps -o pid= --ppid "$guest") "$guest" 2>/dev/null || true
        wait "$guest" 2>/dev/null || true
    fi
    if [ "$rc" = 0 ]; then
        rm -rf "$tmp"
    else
        keep="$BOOTLINK_BUILD_DIR/meson-logs/browser/console-$(date +%Y%m%d-%H%M%S)"
        mkdir -p "$keep"
        cp "$tmp/server.out" "$keep/" 2>/dev/null || true
        [ -z "$out" ] || cp -r "$out" "$keep/server" 2>/dev/null || true
        echo "test-console.sh: failed; server logs kept in $keep" >&2
    fi
}
trap cleanup EXIT
trap 'exit 143' TERM INT

echo "== server guest (port 127.0.0.1:$port -> guest 9090)"
start=$(date +%s)
BOOTLINK_VM_KEEP=1 BOOTLINK_VM_JOBDIR=$tmp/jobs "$src/tests/vm/run-in-guest" --name browser-console \
    --mem 2048 --timeout 1500 --nic "user,restrict=on,hostfwd=tcp:127.0.0.1:$port-:9090@52:54:00:c0:ff:01" \
    "$here/server-console.sh" > "$tmp/server.out" 2>&1 &
guest=$!
for _ in $(seq 1 1200); do
    out=$(ls -d "$tmp"/jobs/bootlink-vm-*/out 2>/dev/null | head -1 || true)
    [ -n "$out" ] && [ -f "$out/ready" ] && break
    kill -0 "$guest" 2>/dev/null || break
    sleep 0.5
done
if [ -z "$out" ] || [ ! -f "$out/ready" ]; then
    echo "test-console.sh: the server guest did not get ready; its output:" >&2
    cat "$tmp/server.out" >&2
    exit 1
fi
echo "server ready after $(( $(date +%s) - start )) s"

set +e
BOOTLINK_T_URL="http://127.0.0.1:$port" BOOTLINK_T_SERVER_OUT=$out BOOTLINK_T_NODE_MODULES=$node_modules \
    BOOTLINK_T_SHOTS=$shots node --test --test-reporter=spec "$here/console.test.mjs"
rc=$?
set -e

# stop the server: the next request file is "stop"
n=$(find "$out" -maxdepth 1 -name 'req-*' ! -name '*.*' | wc -l)
echo stop > "$out/req-$n.tmp" && mv "$out/req-$n.tmp" "$out/req-$n"
for _ in $(seq 1 300); do [ -f "$out/req-$n.done" ] && break; kill -0 "$guest" 2>/dev/null || break; sleep 0.2; done
grc=0
wait "$guest" || grc=$?
guest=
sed 's/^/[server] /' "$tmp/server.out"
[ "$grc" = 0 ] || { echo "test-console.sh: the server guest ended with status $grc" >&2; [ "$rc" = 0 ] && rc=1; }
echo "screenshots in $shots"
exit "$rc"
