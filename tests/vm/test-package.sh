# The .deb in a throwaway guest: install, upgrade over itself (a modified conffile is kept), serve
# a link from the installed files only (linkctl, linkmgr with the unit's capability bounding set,
# tcmu-runner loading the installed handler, dnsmasq started as bootlink-dnsmasq.service starts
# it), then remove (config kept) and purge (config gone; state kept only while it holds data).
# systemd is not PID 1 here: units are checked with systemd-analyze verify, and their command
# lines are run by hand.
. "$BOOTLINK_SOURCE_DIR/tests/vm/lib.sh"
DEB=${BOOTLINK_T_DEB:?set by package-vm-test}
BL_IO=$BUILD/tests/tools/bl-iscsi-io
HDIR=/usr/lib/x86_64-linux-gnu/tcmu-runner
UNITS=/lib/systemd/system
CONF=/etc/bootlink/linkmgr.conf
STATE=/var/lib/bootlink
PREFIX=iqn.2026-11.org.bootlink
M1=52:54:00:00:00:01 M1_12=525400000001
M2=52:54:00:00:00:02
export DEBIAN_FRONTEND=noninteractive
# man-db's trigger rebuilds its whole cache: minutes under TCG, and nothing this test checks.
rm -f /var/lib/man-db/auto-update
unset BOOTLINK_CONFIG
# Only the installed programs: nothing from the build tree on PATH.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

mode_of() { stat -c '%a %U:%G' "$1"; }
dpkg_status() { dpkg-query -W -f='${db:Status-Abbrev}' bootlink 2>/dev/null | tr -d ' '; }

step "install $(basename "$DEB")"
[ -z "$(dpkg_status)" ] || die "bootlink is already known to dpkg in this guest ($(dpkg_status))"
dpkg -i "$DEB" < /dev/null > "$OUT/dpkg-install.txt" 2>&1 || die "dpkg -i failed: $(tail -5 "$OUT/dpkg-install.txt")"
expect "dpkg says installed" [ "$(dpkg_status)" = ii ]
for f in /usr/sbin/linkctl /usr/sbin/linkmgr /usr/bin/bootlink-img; do
    expect "$f installed and executable" [ -x "$f" ]
done
expect "handler in tcmu-runner's handler directory" [ -f "$HDIR/handler_bootlink.so" ]
expect "tcmu-runner's default handler directory is that one" \
    bash -c "tcmu-runner --help 2>&1 | grep -qF 'default is $HDIR'"
expect "linkmgr.conf is a conffile" grep -qx "$CONF" /var/lib/dpkg/info/bootlink.conffiles
for f in $UNITS/linkmgr.service $UNITS/bootlink-dnsmasq.service /usr/lib/tmpfiles.d/bootlink.conf \
         /usr/lib/sysusers.d/bootlink.conf /usr/lib/modules-load.d/bootlink.conf \
         /usr/share/bash-completion/completions/linkctl /usr/share/man/man8/linkctl.8.gz; do
    expect "$f installed" [ -s "$f" ]
done
expect "group bootlink created" getent group bootlink
expect "/run/bootlink is 0750 root:bootlink" [ "$(mode_of /run/bootlink)" = "750 root:bootlink" ]
expect "$STATE/overlays is 0700 root:root" [ "$(mode_of $STATE/overlays)" = "700 root:root" ]
for d in images layers tftp dnsmasq; do expect "$STATE/$d exists" [ -d "$STATE/$d" ]; done
expect "linkmgr.service enabled" [ -L /etc/systemd/system/multi-user.target.wants/linkmgr.service ]
expect "bootlink-dnsmasq.service NOT enabled" \
    bash -c "! ls /etc/systemd/system/*.wants/bootlink-dnsmasq.service 2>/dev/null"
systemd-analyze verify --man=no $UNITS/linkmgr.service $UNITS/bootlink-dnsmasq.service \
    > "$OUT/verify.txt" 2>&1
expect "systemd-analyze verify accepts both units" [ ! -s "$OUT/verify.txt" ]
expect "linkmgr.service is Type=notify" grep -qx 'Type=notify' $UNITS/linkmgr.service

step "upgrade over itself with a modified conffile"
sed -i -e 's|^server_address = "";|server_address = "127.0.0.1";|' \
    -e 's|^  ranges = ( );|  ranges = ( { start = "127.0.0.100"; end = "127.0.0.200"; netmask = "255.0.0.0"; } );|' "$CONF"
grep -q '^server_address = "127.0.0.1";' "$CONF" || die "could not edit $CONF"
dpkg -i "$DEB" < /dev/null > "$OUT/dpkg-upgrade.txt" 2>&1 || die "reinstall failed: $(tail -5 "$OUT/dpkg-upgrade.txt")"
expect "still installed after the upgrade" [ "$(dpkg_status)" = ii ]
expect "the admin's change to linkmgr.conf is kept" grep -q '^server_address = "127.0.0.1";' "$CONF"
expect "no .dpkg-new/.dpkg-dist left" bash -c "! ls /etc/bootlink/*.dpkg-* 2>/dev/null"

step "serve a link from the installed files"
# linkmgr runs with exactly the capability bounding set of its unit (and NoNewPrivileges).
caps=$(sed -n 's/^CapabilityBoundingSet=//p' $UNITS/linkmgr.service)
[ -n "$caps" ] || die "linkmgr.service has no CapabilityBoundingSet="
bset=-all
for c in $caps; do c=${c#CAP_}; bset="$bset,+${c,,}"; done
# Group= (no User=): uid 0, that primary group, no supplementary groups.
group=$(sed -n 's/^Group=//p' $UNITS/linkmgr.service)
gopts=()
[ -n "$group" ] && gopts=(--regid "$group" --clear-groups)
as_unit() { setpriv --bounding-set="$bset" --no-new-privs "${gopts[@]}" "$@"; }
as_unit grep -E 'CapEff|Gid|Groups' /proc/self/status > "$OUT/caps.txt"
echo "as the unit runs it: $caps, Group=$group:" $(cat "$OUT/caps.txt")
start_tcmu_runner "$HDIR"
mkdir -p "$STATE/images"
pattern "$STATE/images/pkg.img" 16
linkctl image add pkg "$STATE/images/pkg.img" > "$OUT/image-add.txt" 2>&1 ||
    die "linkctl image add: $(cat "$OUT/image-add.txt")"
linkctl client add "$M1" --image pkg --chap-user pkguser1 --chap-secret pkgsecret123 \
    > "$OUT/client-add.txt" 2>&1 || die "linkctl client add: $(cat "$OUT/client-add.txt")"
rc=0; as_unit linkmgr --once > "$OUT/linkmgr-once.txt" 2>&1 || rc=$?
expect "linkmgr --once (unit capabilities: $caps) succeeds" [ $rc = 0 ]
expect "backstore core/user_42/bl-$M1_12 enabled" \
    grep -qx 1 "$CFS/core/user_42/bl-$M1_12/enable"
expect "the backstore runs on the installed handler" \
    bash -c "grep -q 'bootlink/$STATE/overlays/$M1_12.ovl' $CFS/core/user_42/bl-$M1_12/info"
T1=$PREFIX:target-$M1_12 I1=$PREFIX:client-$M1_12
U1="iscsi://pkguser1%pkgsecret123@$PORTAL_IP/$T1/0"
"$BL_IO" -i "$I1" "$U1" read 0 2048 > "$OUT/read.bin" 2> "$OUT/read.err" || true
expect "the client reads the base image over iSCSI (CHAP, its initiator IQN)" \
    cmp "$OUT/read.bin" <(head -c 1048576 "$STATE/images/pkg.img")
pattern "$OUT/new.bin" 1
"$BL_IO" -i "$I1" "$U1" write 4096 "$OUT/new.bin" && "$BL_IO" -i "$I1" "$U1" sync
expect "its write reads back" cmp <("$BL_IO" -i "$I1" "$U1" read 4096 2048) "$OUT/new.bin"
expect "the base image is untouched" \
    bash -c "! cmp -s <(dd if=$STATE/images/pkg.img bs=512 skip=4096 count=2048 status=none) $OUT/new.bin"
expect "another initiator is refused (no ACL: authorization failure)" \
    login_refused_with "Authorization failure" "$BL_IO" -i $PREFIX:client-525400000099 "$U1" capacity
expect "a wrong CHAP secret is refused (authentication failure)" \
    login_refused_with "Authentication failure" "$BL_IO" -i $I1 "iscsi://pkguser1%wrongsecret12@$PORTAL_IP/$T1/0" capacity

step "bootlink-dnsmasq.service's command line serves the boot files"
pre=$(sed -n 's/^ExecStartPre=//p' $UNITS/bootlink-dnsmasq.service)
cmd=$(sed -n 's/^ExecStart=//p' $UNITS/bootlink-dnsmasq.service)
conf=$(sed -n 's/^AssertPathExists=//p' $UNITS/bootlink-dnsmasq.service)
expect "linkmgr wrote the configuration the unit asserts ($conf)" [ -s "$conf" ]
rc=0; $pre > "$OUT/dnsmasq-test.txt" 2>&1 || rc=$?
expect "ExecStartPre (dnsmasq --test) accepts it" [ $rc = 0 ]
# dnsmasq logs to syslog when in the foreground; the journal would have it, here stderr does.
# The DHCP range set above (on lo) turns DHCP on, so that SIGHUP rereads the hosts file.
$cmd --log-facility=- > "$OUT/dnsmasq.log" 2>&1 &
DNSMASQ_PID=$!
pidfile=$(sed -n 's/^#\{0,1\}dnsmasq_pid_file = "\(.*\)";/\1/p' "$CONF")
for i in $(seq 1 100); do [ -s "$pidfile" ] && break; sleep 0.1; done
expect "dnsmasq wrote its pid where linkmgr looks ($pidfile)" [ "$(cat "$pidfile" 2>/dev/null)" = "$DNSMASQ_PID" ]
expect "dnsmasq runs as user dnsmasq" [ "$(ps -o user= -p "$DNSMASQ_PID")" = dnsmasq ]
curl -s -o "$OUT/undionly.kpxe" tftp://127.0.0.1/undionly.kpxe || true
expect "TFTP serves ipxe's undionly.kpxe" cmp "$OUT/undionly.kpxe" /usr/lib/ipxe/undionly.kpxe
# A client's script (its target and CHAP secret) lives in its own TFTP root, which dnsmasq
# picks by the asker's MAC; a fetch from here has no MAC and must not find it.
own="$STATE/tftp/${M1//:/-}/bootlink/$M1_12.ipxe"
expect "the client's script in its own root sanboots its target" grep -qF "$T1" "$own"
expect "the package created group bootlink-tftp" getent group bootlink-tftp
expect "dnsmasq.conf runs dnsmasq as that group" grep -qx "group=bootlink-tftp" "$conf"
expect "the script is root:bootlink-tftp 0640" [ "$(stat -c %U:%G:%a "$own")" = root:bootlink-tftp:640 ]
expect "user dnsmasq in group bootlink-tftp can read it" \
    setpriv --reuid=dnsmasq --regid=bootlink-tftp --clear-groups grep -qF "$T1" "$own"
denied() { local out; if out=$("$@" 2>&1 >/dev/null); then return 1; fi; [[ $out == *"Permission denied"* ]]; }
expect "user dnsmasq in its own group is denied" \
    denied setpriv --reuid=dnsmasq --regid=nogroup --clear-groups cat "$own"
rm -f "$OUT/client.ipxe"
curl -s -o "$OUT/client.ipxe" "tftp://127.0.0.1/bootlink/$M1_12.ipxe" || true
expect "TFTP does not serve a client's script to another asker" [ ! -s "$OUT/client.ipxe" ]
expect "dnsmasq logs the refused name" grep -q "$M1_12.ipxe not found" "$OUT/dnsmasq.log"
reads() { grep -c "read $STATE/dnsmasq/hosts" "$OUT/dnsmasq.log" || true; }
before=$(reads)
linkctl client add "$M2" --image pkg > "$OUT/client-add2.txt" 2>&1 || die "linkctl client add $M2: $(cat "$OUT/client-add2.txt")"
as_unit linkmgr --once > "$OUT/linkmgr-once2.txt" 2>&1 || true
expect "linkmgr signals dnsmasq with the unit's capabilities" \
    bash -c "! grep -q 'cannot signal' $OUT/linkmgr-once2.txt"
for i in $(seq 1 50); do [ "$(reads)" -gt "$before" ] && break; sleep 0.1; done
expect "dnsmasq rereads the hosts file after linkmgr's SIGHUP" [ "$(reads)" -gt "$before" ]
kill "$DNSMASQ_PID"; wait "$DNSMASQ_PID" 2>/dev/null || true

step "linkmgr as the unit runs it: Type=notify readiness, control socket, clean stop"
exec_start=$(sed -n 's/^ExecStart=//p' $UNITS/linkmgr.service)
python3 - /run/bl-notify.sock > "$OUT/notify.txt" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(300)
print(s.recv(4096).decode(), flush=True)
PY
NOTIFY_PID=$!
for i in $(seq 1 100); do [ -S /run/bl-notify.sock ] && break; sleep 0.1; done
NOTIFY_SOCKET=/run/bl-notify.sock setpriv --bounding-set="$bset" --no-new-privs "${gopts[@]}" $exec_start \
    > "$OUT/linkmgr-daemon.txt" 2>&1 &
LINKMGR_PID=$!
wait "$NOTIFY_PID" || true
expect "linkmgr sends READY=1" grep -q '^READY=1' "$OUT/notify.txt"
expect "control socket is 0660 root:bootlink" [ "$(mode_of /run/bootlink/linkmgr.sock)" = "660 root:bootlink" ]
expect "linkctl status talks to the daemon" bash -c "linkctl status > $OUT/status.txt 2>&1"
kill -TERM "$LINKMGR_PID"
rc=0; wait "$LINKMGR_PID" || rc=$?
expect "linkmgr exits 0 on SIGTERM" [ $rc = 0 ]
expect "LIO objects stay after linkmgr stops" [ -d "$CFS/core/user_42/bl-$M1_12" ]
stop_tcmu_runner

step "remove: config kept"
dpkg -r bootlink < /dev/null > "$OUT/dpkg-remove.txt" 2>&1 || die "dpkg -r failed: $(tail -5 "$OUT/dpkg-remove.txt")"
expect "dpkg says config-files remain" [ "$(dpkg_status)" = rc ]
expect "programs are gone" bash -c "[ ! -e /usr/sbin/linkmgr ] && [ ! -e $HDIR/handler_bootlink.so ]"
expect "the modified linkmgr.conf is kept" grep -q '^server_address = "127.0.0.1";' "$CONF"
expect "the database is kept" [ -s "$STATE/bootlink.db" ]

step "purge with images and overlays present: config gone, data kept"
# Kept for the no-data case below: a third dpkg run costs minutes under TCG.
cp /var/lib/dpkg/info/bootlink.postrm "$OUT/bootlink.postrm"
dpkg -P bootlink < /dev/null > "$OUT/dpkg-purge.txt" 2>&1 || die "dpkg -P failed: $(tail -5 "$OUT/dpkg-purge.txt")"
expect "dpkg no longer knows bootlink" [ -z "$(dpkg_status)" ]
expect "/etc/bootlink is gone" [ ! -e /etc/bootlink ]
expect "unit enablement is gone" [ ! -e /etc/systemd/system/multi-user.target.wants/linkmgr.service ]
expect "images, overlays and database are kept" \
    bash -c "[ -s $STATE/images/pkg.img ] && [ -s $STATE/overlays/$M1_12.ovl ] && [ -s $STATE/bootlink.db ]"
expect "regenerated files are gone" bash -c "[ ! -e $STATE/tftp ] && [ ! -e $STATE/dnsmasq ]"
expect "purge says why it kept $STATE" grep -q "kept $STATE" "$OUT/dpkg-purge.txt"

step "purge with no data left (the package's postrm purge): state gone"
rm -rf "$STATE/images"/* "$STATE/overlays"/* "$STATE/layers"/*
sh "$OUT/bootlink.postrm" purge > "$OUT/postrm-purge2.txt" 2>&1 || die "postrm purge failed: $(cat "$OUT/postrm-purge2.txt")"
expect "$STATE is gone" [ ! -e "$STATE" ]
finish
