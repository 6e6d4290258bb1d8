#!/bin/bash
# linkctl client ...: every subcommand, JSON read back, hostile input refused with no change,
# concurrent writers losing nothing, linkmgr notified.
. "$(dirname "$0")/lib.sh" "$@"

mkimage win10.img
mkimage linux.img
expect 0 image add win10 "$T/images/win10.img"
expect 0 image add linux "$T/images/linux.img"

# --- add in every MAC spelling, JSON read back ---
expect 0 client add 52:54:00:AA:00:01 --image win10 --name pc01 --ip 192.168.1.51
expect 0 client add 52-54-00-aa-00-02 --image win10 --mode persistent
expect 0 client add 5254.00aa.0003 --image linux --disabled
expect 0 client add 525400AA0004 --image linux --chap-user alice --chap-secret abcdefghijkl
expect 0 --json client list
eq "client count" "$(jq length <<<"$OUT")" 4
eq "macs normalized" "$(jq -r '[.[].mac] | join(" ")' <<<"$OUT")" \
    "52:54:00:aa:00:01 52:54:00:aa:00:02 52:54:00:aa:00:03 52:54:00:aa:00:04"
eq "mode" "$(jq -r '.[1].mode' <<<"$OUT")" persistent
eq "disabled" "$(jq -r '.[2].enabled' <<<"$OUT")" false
eq "image" "$(jq -r '.[3].image' <<<"$OUT")" linux
eq "online unknown without linkmgr" "$(jq -r '.[0].online' <<<"$OUT")" null

expect 0 --json client show 52:54:00:aa:00:01
eq "hostname" "$(jq -r .hostname <<<"$OUT")" pc01
eq "ip" "$(jq -r .ip <<<"$OUT")" 192.168.1.51
eq "target iqn" "$(jq -r .target_iqn <<<"$OUT")" iqn.2026-11.org.bootlink:target-525400aa0001
eq "initiator iqn" "$(jq -r .initiator_iqn <<<"$OUT")" iqn.2026-11.org.bootlink:client-525400aa0001
eq "overlay" "$(jq -r .overlay <<<"$OUT")" "$T/state/overlays/525400aa0001.ovl"
eq "chap user generated" "$(jq -r .chap_user <<<"$OUT")" client-525400aa0001
secret=$(sqlite3 "$T/state/bootlink.db" "SELECT chap_secret FROM clients WHERE mac='52:54:00:aa:00:01'")
eq "generated secret length" "${#secret}" 16
eq "given chap user" "$(sqlite3 "$T/state/bootlink.db" "SELECT chap_user FROM clients WHERE mac='52:54:00:aa:00:04'")" alice
expect 0 client show 525400aa0001
has "human show" "$OUT" "initiator IQN: iqn.2026-11.org.bootlink:client-525400aa0001"
eq "database mode" "$(stat -c %a "$T/state/bootlink.db")" 600

# --- changes ---
expect 0 --json client link 52:54:00:aa:00:01 linux
eq "link applied flag without linkmgr" "$(jq -r .applied <<<"$OUT")" false
expect 0 --json client show 52:54:00:aa:00:01
eq "relinked" "$(jq -r .image <<<"$OUT")" linux
expect 0 client disable 52:54:00:aa:00:01
has "saved message" "$OUT" "applies when linkmgr starts"
expect 0 --json client show 52:54:00:aa:00:01
eq "disabled" "$(jq -r .enabled <<<"$OUT")" false
expect 0 client enable 52:54:00:aa:00:01
expect 0 --json client show 52:54:00:aa:00:01
eq "enabled" "$(jq -r .enabled <<<"$OUT")" true
expect 0 client set 52:54:00:aa:00:01 --name pc99 --ip "" --mode persistent
expect 0 --json client show 52:54:00:aa:00:01
eq "set name" "$(jq -r .hostname <<<"$OUT")" pc99
eq "set ip cleared" "$(jq -r .ip <<<"$OUT")" null
eq "set mode" "$(jq -r .mode <<<"$OUT")" persistent
expect 0 client reset 52:54:00:aa:00:02
eq "reset requested" "$(reset_state 52:54:00:aa:00:02)" 1
expect 0 --json client show 52:54:00:aa:00:02
eq "reset pending shown" "$(jq -r .reset_pending <<<"$OUT")" next-boot
# remove takes the client's overlay with it (the help always said so); --keep-overlay keeps it
: > "$T/state/overlays/525400aa0003.ovl"
expect 0 client remove 52:54:00:aa:00:03
expect 1 client show 52:54:00:aa:00:03
has "removed" "$ERR" "not found"
eq "remove deletes the overlay" "$(test -e "$T/state/overlays/525400aa0003.ovl" && echo kept || echo gone)" gone
expect 0 client add 52:54:00:aa:00:03 --image linux
: > "$T/state/overlays/525400aa0003.ovl"
expect 0 client remove 52:54:00:aa:00:03 --keep-overlay
has "keep-overlay says so" "$OUT" "overlay is kept"
eq "--keep-overlay keeps it" "$(test -e "$T/state/overlays/525400aa0003.ovl" && echo kept || echo gone)" kept
expect 0 --json events --limit 3
eq "events logged" "$(jq -r '.[0].object' <<<"$OUT")" "client 52:54:00:aa:00:03"

# --- hostile input: refused with a clear message, nothing changes ---
before=$(dbsum)
hostile_names=('pc"01' "pc'01" 'pc 01' $'pc\n01' 'pc;reboot' 'pc$(id)' 'pc`id`' 'pc,tag:x' 'pc=1'
    'pc#1' 'PC01' '-pc' 'pc..lab' "$(printf 'a%.0s' {1..300})" 'pc\01' 'pc/../x')
for n in "${hostile_names[@]}"; do
    expect 1 client add 52:54:00:aa:00:09 --image win10 --name "$n"
    has "hostile name message" "$ERR" "host name"
    expect 1 client set 52:54:00:aa:00:01 --name "$n"
done
for m in '52:54:00:aa:00' '52:54:00:aa:00:0g' '52:54:00:aa:00:01:02' 'zz' '' $'52:54:00:aa:00:09\n' \
        '01:00:5e:00:00:01' '00:00:00:00:00:00' '52:54:00:aa:00:09;reboot' "$(printf '5%.0s' {1..5000})"; do
    expect 1 client add "$m" --image win10
    has "bad mac message" "$ERR" "MAC"
done
for ip in '192.168.1.256' '192.168.1' '1.2.3.4;x' '01.2.3.4' '1.2.3.4 ' '0.0.0.0'; do
    expect 1 client add 52:54:00:aa:00:09 --image win10 --ip "$ip"
    has "bad ip message" "$ERR" "IPv4 address"
done
expect 1 client add 52:54:00:aa:00:09 --image 'win10;rm' 
has "bad image name" "$ERR" "image name"
expect 1 client add 52:54:00:aa:00:09 --image nosuch
has "unknown image" "$ERR" "not found"
# a secret from a file or stdin, never in argv (ps shows argv to every user)
sdb() { sqlite3 "$T/state/bootlink.db" "SELECT chap_secret FROM clients WHERE mac='$1'"; }
printf 'Filed-secret-1\n' > "$T/secret" && chmod 0600 "$T/secret"
expect 0 client add 52:54:00:aa:00:0a --image win10 --chap-user filed --chap-secret-file "$T/secret"
eq "secret from a 0600 file" "$(sdb 52:54:00:aa:00:0a)" Filed-secret-1
OUT=$(printf 'Stdin-secret-22\n' | lc client set 52:54:00:aa:00:0a --chap-secret-file - 2>&1) && ok || bad "secret from stdin: $OUT"
eq "secret from stdin" "$(sdb 52:54:00:aa:00:0a)" Stdin-secret-22
chmod 0644 "$T/secret"
expect 2 client set 52:54:00:aa:00:0a --chap-secret-file "$T/secret"
has "a world-readable secret file is refused" "$ERR" "readable by every user (mode 0644); chmod 0600 it"
eq "...and the secret is unchanged" "$(sdb 52:54:00:aa:00:0a)" Stdin-secret-22
expect 1 client add 52:54:00:aa:00:09 --image win10 --chap-user u --chap-secret short
has "chap secret rule" "$ERR" "12 to 16"
expect 1 client add 52:54:00:aa:00:09 --image win10 --chap-user 'u"x' --chap-secret abcdefghijkl
expect 1 client add 52-54-00-AA-00-01 --image win10
has "duplicate mac" "$ERR" "already exists"
expect 1 client add 52:54:00:aa:00:09 --image win10 --name pc99
has "duplicate host name" "$ERR" "already used"
expect 0 client set 52:54:00:aa:00:02 --ip 10.9.9.9
expect 1 client add 52:54:00:aa:00:09 --image win10 --ip 10.9.9.9
has "duplicate ip" "$ERR" "already used"
before=$(dbsum)
expect 1 client add 52:54:00:aa:00:09 --image win10 --ip 10.9.9.9
expect 1 client link 52:54:00:aa:00:01 nosuch
expect 1 client remove 52:54:00:aa:00:77
eq "hostile input changed nothing" "$(dbsum)" "$before"
expect 1 --json client add zz --image win10
eq "json error" "$(jq -r .ok <<<"$OUT")" false

# --- usage errors exit 2 ---
expect 2 client add 52:54:00:aa:00:09
expect 2 client add 52:54:00:aa:00:09 --image win10 --mode sometimes
expect 2 client
expect 2 client frobnicate
expect 2 nosuchcommand
expect 2 client show
expect 0 client add --help
has "help" "$OUT" "usage: linkctl client add"

# --- concurrent linkctl processes lose nothing ---
pids=()
for i in $(seq 10 29); do
    lc client add "52:54:00:bb:00:$i" --image win10 --name "conc$i" >/dev/null 2>"$T/err.$i" &
    pids+=($!)
done
cfail=0
for p in "${pids[@]}"; do wait "$p" || cfail=$((cfail + 1)); done
eq "parallel adds failed" "$cfail" 0
[ "$cfail" -eq 0 ] || cat "$T"/err.* >&2
expect 0 --json client list
eq "all 20 parallel clients present" "$(jq '[.[] | select(.mac | startswith("52:54:00:bb"))] | length' <<<"$OUT")" 20
eq "integrity" "$(sqlite3 "$T/state/bootlink.db" 'PRAGMA integrity_check')" ok

# --- with linkmgr running: the change is applied, online state reported ---
fake_linkmgr '{"ok":true,"server":"10.0.0.1","clients":[{"mac":"52:54:00:aa:00:02","online":true,"read_mb":5,"write_mb":2,"overlay_bytes":4096}]}'
expect 0 client disable 52:54:00:aa:00:04
has "applied" "$OUT" "linkmgr applied it (3 configuration change(s))"
expect 0 --json client enable 52:54:00:aa:00:04
eq "applied json" "$(jq -r .applied <<<"$OUT")" true
expect 1 client reset 52:54:00:aa:00:02
has "reset refused while online" "$ERR" "is online"
expect 0 client reset 52:54:00:aa:00:02 --force
eq "forced reset" "$(reset_state 52:54:00:aa:00:02)" 2
expect 0 --json status
eq "status online" "$(jq -r '.clients[] | select(.mac=="52:54:00:aa:00:02") | .online' <<<"$OUT")" true
eq "status read bytes" "$(jq -r '.clients[] | select(.mac=="52:54:00:aa:00:02") | .read_bytes' <<<"$OUT")" 5242880
eq "status offline" "$(jq -r '.clients[] | select(.mac=="52:54:00:aa:00:04") | .online' <<<"$OUT")" false
expect 0 --json boot-options
eq "next-server" "$(jq -r .next_server <<<"$OUT")" 10.0.0.1
eq "bios file" "$(jq -r .boot_files.bios <<<"$OUT")" undionly.kpxe
eq "uefi file" "$(jq -r .boot_files.uefi <<<"$OUT")" ipxe.efi
expect 0 boot-options
has "option 66" "$OUT" "option 66 (next-server, TFTP server): 10.0.0.1"

finish
