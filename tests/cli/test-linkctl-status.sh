#!/bin/bash
# linkctl status and status --follow: the fields the console reads, a line per change (and none
# while nothing moves), counters from linkmgr, linkmgr going away and coming back, usage errors.
. "$(dirname "$0")/lib.sh" "$@"
A=52:54:00:f0:00:01 B=52:54:00:f0:00:02

mkimage win10.img
expect 0 image add win10 "$T/images/win10.img"
expect 0 client add $A --image win10 --name pc01

# --- one-shot: the fields, without linkmgr ---
expect 0 --json status
eq "linkmgr not running" "$(jq -r .linkmgr_running <<<"$OUT")" false
eq "online unknown" "$(jq -r '.clients[0].online' <<<"$OUT")" null
eq "served unknown" "$(jq -r '.clients[0].served' <<<"$OUT")" null
eq "no reset pending" "$(jq -r '.clients[0].reset_pending' <<<"$OUT")" null
eq "not building" "$(jq -r '.clients[0].building_version' <<<"$OUT")" null
eq "one line" "$(wc -l <<<"$OUT")" 1
expect 0 client reset $A
expect 0 client super $A
expect 0 --json status
eq "reset pending (next boot)" "$(jq -r '.clients[0].reset_pending' <<<"$OUT")" next-boot
eq "super client builds version 1" "$(jq -r '.clients[0].building_version' <<<"$OUT")" 1
expect 0 status
has "human table" "$OUT" "0>1"
expect 0 client super $A --cancel

# --- usage ---
expect 2 status --interval 1
has "interval without follow" "$ERR" "--interval goes with --follow"
expect 2 status --follow --interval 0
has "interval too small" "$ERR" "from 0.1 to 3600"
expect 2 status --follow --interval abc
expect 2 status --follow extra
expect 0 status --help
has "help names --follow" "$OUT" "--follow"

# --- follow ---
# follow_start ARGS...: linkctl status --follow in the background, output in $T/follow.out
follow_start() {
    "$LINKCTL" --config "$T/linkmgr.conf" "$@" status --follow --interval 0.2 \
        > "$T/follow.out" 2>"$T/follow.err" &
    FOLLOW_PID=$!
}
follow_stop() { kill "$FOLLOW_PID" 2>/dev/null; wait "$FOLLOW_PID" 2>/dev/null; }
lines() { if [ -s "$T/follow.out" ]; then wc -l < "$T/follow.out"; else echo 0; fi; }
# wait_lines N: until the output has at least N lines (10 s at most)
wait_lines() { local i; for i in $(seq 100); do [ "$(lines)" -ge "$1" ] && return 0; sleep 0.1; done; return 1; }
last() { tail -1 "$T/follow.out"; }

follow_start --json
if wait_lines 1; then ok; else bad "follow printed no first line: $(cat "$T/follow.err")"; fi
eq "first line is the status" "$(last | jq -r '.clients[0].mac')" $A
# Ten intervals with no change: still one line (a line is a change, not a tick).
sleep 2
eq "no line while nothing changes" "$(lines)" 1
expect 0 client add $B --image win10 --mode persistent
if wait_lines 2; then ok; else bad "no line after client add"; fi
eq "the new client is in the next line" "$(last | jq -r '[.clients[].mac] | join(" ")')" "$A $B"
eq "its mode" "$(last | jq -r '.clients[1].mode')" persistent
expect 0 client disable $A
if wait_lines 3; then ok; else bad "no line after client disable"; fi
eq "disabled in the next line" "$(last | jq -r '.clients[0].enabled')" false

# linkmgr comes up: online state and counters appear; counters moving give lines
fake_linkmgr "{\"ok\":true,\"clients\":[{\"mac\":\"$A\",\"online\":true,\"served\":true,\"read_mb\":1,\"write_mb\":0,\"overlay_bytes\":8192}]}"
if wait_lines 4; then ok; else bad "no line when linkmgr came up"; fi
eq "linkmgr running" "$(last | jq -r .linkmgr_running)" true
eq "A online" "$(last | jq -r '.clients[0].online')" true
eq "A served" "$(last | jq -r '.clients[0].served')" true
eq "B offline (linkmgr does not list it)" "$(last | jq -r '.clients[1].online')" false
eq "A read bytes" "$(last | jq -r '.clients[0].read_bytes')" 1048576
eq "A overlay bytes from linkmgr" "$(last | jq -r '.clients[0].overlay_bytes')" 8192
n=$(lines)
printf '%s' "{\"ok\":true,\"clients\":[{\"mac\":\"$A\",\"online\":true,\"served\":true,\"read_mb\":7,\"write_mb\":3,\"overlay_bytes\":8192}]}" > "$T/status.json.tmp"
mv "$T/status.json.tmp" "$T/status.json"
if wait_lines $((n + 1)); then ok; else bad "no line when the counters moved"; fi
eq "read counter moved" "$(last | jq -r '.clients[0].read_bytes')" 7340032
eq "write counter moved" "$(last | jq -r '.clients[0].write_bytes')" 3145728
sleep 1
eq "still no line while the counters stand" "$(lines)" $((n + 1))

# linkmgr goes away: a line saying so, online unknown again
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=
rm -f "$T/linkmgr.sock"
if wait_lines $((n + 2)); then ok; else bad "no line when linkmgr went away"; fi
eq "linkmgr gone" "$(last | jq -r .linkmgr_running)" false
eq "online unknown again" "$(last | jq -r '.clients[0].online')" null
has "why" "$(last | jq -r .linkmgr_error)" "not reachable"
eq "every line is one JSON document" "$(jq -c . "$T/follow.out" | wc -l)" "$(lines)"
follow_stop

# a reader that goes away ends follow at once, though nothing changed to write
timeout 10 bash -c "\"$LINKCTL\" --config \"$T/linkmgr.conf\" --json status --follow --interval 0.1 | head -1 > /dev/null"
eq "follow ends when its reader does" "$?" 0

# human follow: a timestamped table per change
follow_start
wait_lines 1 || true
expect 0 client enable $A
sleep 1
follow_stop
has "human follow has the table" "$(cat "$T/follow.out")" "MAC               NAME"
eq "two tables (start, enable)" "$(grep -c '^-- ' "$T/follow.out")" 2

finish
