#!/bin/bash
# Runs on the host: a guest whose kernel cannot load a target module must fail the run, quickly,
# with a message naming the module — not hang, not pass.
set -u
here=$(cd "$(dirname "$0")" && pwd)
out=$(BOOTLINK_VM_BREAK_MODULES=target_core_user "$here/run-in-guest" --name broken-guest --timeout 300 \
      "$here/test-harness.sh" 2>&1 </dev/null)
rc=$?
echo "$out" | tail -5
if [ "$rc" = 125 ] && echo "$out" | grep -q 'cannot load kernel module target_core_user'; then
    echo "ok - a guest without target_core_user fails with status 125 and names the module"
    exit 0
fi
echo "not ok - expected status 125 and a message naming target_core_user, got status $rc" >&2
exit 1
