# linkmgr on real LIO: links in the database become configfs objects that serve each client its
# own LUN (and nobody else's), CHAP is enforced when on, unlinking removes exactly that client's
# objects, a restart changes nothing, an emptied configfs is rebuilt, foreign objects survive.
. "$BOOTLINK_SOURCE_DIR/tests/vm/lib.sh"
LINKMGR=$BUILD/linkmgr/daemon/linkmgr
LINKCTL=$BUILD/linkctl/linkctl
P=iqn.2026-11.org.bootlink
A=52:54:00:aa:00:01 A12=525400aa0001
B=52:54:00:aa:00:02 B12=525400aa0002
C=52:54:00:aa:00:03 C12=525400aa0003
ST=/var/tmp/bl
CONF=$ST/linkmgr.conf

write_conf() { # CHAP(true|false)
    cat > "$CONF" <<EOF
state_dir = "$ST";
server_address = "$PORTAL_IP";
chap = $1;
dnsmasq_pid_file = "$ST/dnsmasq.pid";
control_socket = "$ST/linkmgr.sock";
dhcp = { mode = "full"; ranges = ( { start = "10.0.2.100"; end = "10.0.2.200"; } ); };
EOF
}
lm() { "$LINKMGR" --config "$CONF" "$@" 2>>"$OUT/linkmgr.log"; }
lc() { "$LINKCTL" --config "$CONF" "$@" 2>>"$OUT/linkctl.log"; }
changes() { lm --dry-run | sed -n 's/^# .* served, \([0-9]*\) changes$/\1/p'; }
bl_objects() { # everything linkmgr owns, one path per line, sorted
    { ls -d "$CFS"/core/user_42/bl-* 2>/dev/null; ls -d "$CFS"/iscsi/$P:* 2>/dev/null
      find "$CFS"/iscsi/$P:* -mindepth 1 \( -path '*/tpgt_1/lun/*' -o -path '*/tpgt_1/np/*' \
          -o -path '*/tpgt_1/acls/*' \) -maxdepth 4 2>/dev/null; } | sort
}
inq() { iscsi-inq -i "$P:client-$1" "iscsi://${3:-}$PORTAL_IP/$P:target-$2/0" >/dev/null 2>&1; }
inq_v() { iscsi-inq -i "$P:client-$1" "iscsi://${3:-}$PORTAL_IP/$P:target-$2/0"; } # with its errors
# Checks run in this shell (not bash -c), so a missing helper fails instead of passing.
refused() { if "$@"; then return 1; fi; }
zero_changes() { local c; c=$(changes); [ "$c" = 0 ]; }
objects_are() { [ "$(bl_objects)" = "$1" ]; }
only_b_removed() { # BEFORE AFTER
    [ -z "$(comm -13 <(echo "$1") <(echo "$2"))" ] &&                 # nothing added
    [ -z "$(comm -23 <(echo "$1") <(echo "$2") | grep -v "$B12")" ] && # all removed are B's
    [ -n "$(comm -23 <(echo "$1") <(echo "$2"))" ] &&                 # something was removed
    ! echo "$2" | grep -q "$B12"                                      # nothing of B is left
}
status_lists() { lc --json status | grep -q "$1"; }

step "tcmu-runner with the bootlink handler; a foreign fileio LUN that must survive"
start_tcmu_runner
mkdir -p "$ST/images"
write_conf false
head -c 33554432 /dev/urandom > "$ST/images/base.img"
head -c 1048576 /dev/zero > /var/tmp/foreign.img
fbs=$(lio_fileio foreign /var/tmp/foreign.img)
iscsi_export iqn.2003-01.org.example:foreign "$fbs" iqn.2003-01.org.example:init

step "two clients linked with linkctl; linkmgr --once"
lc image add win10 "$ST/images/base.img" > /dev/null || die "linkctl image add failed: $(tail -3 "$OUT/linkctl.log")"
lc client add $A --image win10 --name pc01 --mode persistent --chap-user pc01 --chap-secret Secret-pc01-xy > /dev/null || die "client add A"
lc client add $B --image win10 --name pc02 --mode volatile --chap-user pc02 --chap-secret Secret-pc02-xy > /dev/null || die "client add B"
expect "first reconcile succeeds" lm --once
expect "backstore of A is a user:bootlink device on its overlay" \
    grep -q "bootlink/$ST/overlays/$A12.ovl" "$CFS/core/user_42/bl-$A12/attrib/dev_config"
expect "B's backstore is volatile" grep -q "$B12.ovl;volatile" "$CFS/core/user_42/bl-$B12/attrib/dev_config"
# The kernel takes the ring sizes only in control before enable, and shows them read-only here.
expect "A's backstore has linkmgr's default rings (data area 8 MiB, command ring 1 MiB)" \
    bash -c "[ \$(cat $CFS/core/user_42/bl-$A12/attrib/max_data_area_mb) = 8 ] && [ \$(cat $CFS/core/user_42/bl-$A12/attrib/cmd_ring_size_mb) = 1 ]"
expect "A's TPG is enabled with a portal on $PORTAL_IP:3260" \
    bash -c "[ \$(cat $CFS/iscsi/$P:target-$A12/tpgt_1/enable) = 1 ] && [ -d $CFS/iscsi/$P:target-$A12/tpgt_1/np/$PORTAL_IP:3260 ]"
expect "A's ACL is only its own initiator" \
    bash -c "[ \"\$(ls $CFS/iscsi/$P:target-$A12/tpgt_1/acls)\" = $P:client-$A12 ]"
expect "iPXE script for A written" grep -q "sanboot iscsi:$PORTAL_IP::3260:0:$P:target-$A12" "$ST/tftp/${A//:/-}/bootlink/$A12.ipxe"

step "each initiator sees its own LUN and only it"
expect "A's initiator sees A's LUN" inq $A12 $A12
expect "B's initiator sees B's LUN" inq $B12 $B12
expect "B's initiator is refused on A's target (no ACL)" login_refused_with "Authorization failure" inq_v $B12 $A12
expect "an unknown initiator is refused (no ACL)" login_refused_with "Authorization failure" inq_v 000000000000 $A12
# SendTargets discovery names a bootlink target only to the initiator of its ACL.
targets() { iscsi-ls -i "$P:client-$1" "iscsi://$PORTAL_IP" 2>&1 | sed -n "s/^Target:\($P:target-[0-9a-f]*\) .*/\1/p" | sort | tr '\n' ' '; }
expect "discovery as A lists A's target only" [ "$(targets $A12)" = "$P:target-$A12 " ]
expect "discovery as B lists B's target only" [ "$(targets $B12)" = "$P:target-$B12 " ]
expect "discovery as an unknown initiator lists no bootlink target" [ -z "$(targets 000000000000)" ]
expect "A reads its image's data through the overlay" \
    cmp <("$BL_IO" -i "$P:client-$A12" "iscsi://$PORTAL_IP/$P:target-$A12/0" read 0 2048) <(head -c 1048576 "$ST/images/base.img")

step "restart: nothing changes"
before=$(bl_objects)
expect "a second run plans 0 changes" zero_changes
expect "a second --once succeeds" lm --once
expect "the objects are the same after it" objects_are "$before"

step "CHAP on"
write_conf true
expect "reconcile with CHAP" lm --once
expect "TPG authentication is on" bash -c "[ \$(cat $CFS/iscsi/$P:target-$A12/tpgt_1/attrib/authentication) = 1 ]"
expect "A without CHAP is refused (authentication failure)" login_refused_with "Authentication failure" inq_v $A12 $A12
expect "A with a wrong secret is refused (authentication failure)" login_refused_with "Authentication failure" inq_v $A12 $A12 'pc01%Wrong-secret-1@'
expect "A with its CHAP credentials gets in" inq $A12 $A12 'pc01%Secret-pc01-xy@'
expect "the iPXE script carries CHAP (hex)" grep -q '^set password:hex ' "$ST/tftp/${A//:/-}/bootlink/$A12.ipxe"

step "unlinking B removes exactly B's objects"
before=$(bl_objects)
lc client remove $B > /dev/null || die "client remove B"
expect "reconcile after removal" lm --once
after=$(bl_objects)
expect "exactly B's objects were removed, nothing added" only_b_removed "$before" "$after"
expect "A still serves" inq $A12 $A12 'pc01%Secret-pc01-xy@'
expect "B's iPXE script is gone" test ! -e "$ST/tftp/${B//:/-}"

step "an admin-group member who edits the database cannot make root serve a file elsewhere"
# The packaged model: the database is root:bootlink 0660 (admins run linkctl); while the daemon
# has it open, its -wal and -shm files exist with the same owner and mode, so a member of the
# group can write any row with sqlite3. linkmgr (root) re-checks every row before acting.
DB=$ST/bootlink.db
getent group bootlink >/dev/null || groupadd -r bootlink
id pupil >/dev/null 2>&1 || useradd -M -N -g nogroup -G bootlink pupil
chgrp bootlink "$DB" && chmod 0660 "$DB"
sqlite3 "$DB" "SELECT count(*) FROM clients" ".system sleep 120" >/dev/null & holder=$!   # as the daemon would
for _ in $(seq 50); do [ -e "$DB-shm" ] && break; sleep 0.1; done
chgrp bootlink "$DB"-* && chmod 0660 "$DB"-*
head -c 33554432 /dev/urandom > /root/secret.img
as_pupil() { setpriv --reuid=pupil --regid=nogroup --init-groups "$@"; }
expect "the group member can write the database (the threat is real)" \
    as_pupil sqlite3 "$DB" "UPDATE images SET path = '/root/secret.img' WHERE name = 'win10'"
expect "linkmgr --once still succeeds" lm --once
expect "linkmgr refused A's row, naming the path outside the image directory" \
    grep -q "client $A: base image '/root/secret.img'.*outside $ST/images: skipped" "$OUT/linkmgr.log"
expect "the refusal is in the event log" bash -c "'$LINKCTL' --config '$CONF' events | grep -q 'outside $ST/images'"
expect "A is not served on it" test ! -e "$CFS/iscsi/$P:target-$A12"
expect "no backstore names the file" refused grep -rqs secret.img "$CFS"/core/user_42/
expect "the script tells A's PC it cannot be served" grep -q "cannot be served" "$ST/tftp/${A//:/-}/bootlink/$A12.ipxe"
as_pupil sqlite3 "$DB" "UPDATE images SET path = '$ST/images/base.img' WHERE name = 'win10'"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null || true
expect "the row put back: A is served again" lm --once
expect "A reads through its overlay again" inq $A12 $A12 'pc01%Secret-pc01-xy@'

step "a fresh configfs (server reboot) is rebuilt"
t=$CFS/iscsi/$P:target-$A12/tpgt_1
echo 0 > "$t/enable"
rm "$t/acls/$P:client-$A12/lun_0/map"; rmdir "$t/acls/$P:client-$A12/lun_0" "$t/acls/$P:client-$A12"
rm "$t/lun/lun_0/bl-$A12"; rmdir "$t/lun/lun_0" "$t/np/$PORTAL_IP:3260" "$t" "$CFS/iscsi/$P:target-$A12"
rmdir "$CFS/core/user_42/bl-$A12" "$CFS/core/user_42"
expect "configfs has no bootlink object left" objects_are ""
expect "reconcile rebuilds" lm --once
expect "A serves again" inq $A12 $A12 'pc01%Secret-pc01-xy@'
expect "and a further run plans 0 changes" zero_changes

step "foreign objects untouched"
expect "the foreign fileio backstore is there" test -d "$fbs"
expect "the foreign target is there" test -d "$CFS/iscsi/iqn.2003-01.org.example:foreign/tpgt_1/lun/lun_0"

step "the daemon: control socket, SIGTERM leaves LIO in place"
lm --foreground &
LMPID=$!
for i in $(seq 1 50); do [ -S "$ST/linkmgr.sock" ] && break; sleep 0.1; done
expect "the control socket is 0660 or stricter" bash -c "[ \$(( 0\$(stat -c %a $ST/linkmgr.sock) & 07 )) = 0 ]"
expect "a boot request over the control socket is served" lm --notify-boot $A
expect "linkctl status reports A" status_lists $A

step "a volatile client's boot (DHCP hook -> boot request) gives it a fresh disk"
lc client add $C --image win10 --name pc03 --mode volatile --chap-user pc03 --chap-secret Secret-pc03-xy > /dev/null || die "client add C"
served() { [ -d "$CFS/iscsi/$P:target-$C12/tpgt_1/lun/lun_0" ]; }
for i in $(seq 1 50); do served && break; sleep 0.2; done
expect "linkctl's change reached the daemon: C is served" served
CURL="iscsi://pc03%Secret-pc03-xy@$PORTAL_IP/$P:target-$C12/0"
head -c 65536 /dev/urandom > /var/tmp/cdata
"$BL_IO" -i "$P:client-$C12" "$CURL" write 0 /var/tmp/cdata && "$BL_IO" -i "$P:client-$C12" "$CURL" sync
expect "C's write reads back" cmp <("$BL_IO" -i "$P:client-$C12" "$CURL" read 0 128) /var/tmp/cdata
# dnsmasq runs its script with a plain environment plus DNSMASQ_*; BOOTLINK_CONFIG points the
# hook at this test's configuration.
DNSMASQ_VENDOR_CLASS=PXEClient:Arch:00000:UNDI:002001 BOOTLINK_CONFIG="$CONF" "$LINKMGR" old $C 10.0.2.150
# The hook returns at once; the daemon renews the disk right after (and refuses logins till then).
c_is_image() { cmp -s <("$BL_IO" -i "$P:client-$C12" "$CURL" read 0 128 2>/dev/null) <(head -c 65536 "$ST/images/base.img"); }
for i in $(seq 1 50); do c_is_image && break; sleep 0.2; done
expect "after its boot (PXE DHCP event through the dnsmasq hook) C reads the image again" c_is_image
"$BL_IO" -i "$P:client-$C12" "$CURL" write 0 /var/tmp/cdata && "$BL_IO" -i "$P:client-$C12" "$CURL" sync
expect "a second event of the same boot is taken as the same boot" \
    bash -c "'$LINKMGR' --config '$CONF' --notify-boot $C | grep -q 'same boot'"
expect "...and ignored (within 45 s): C keeps its new data" \
    cmp <("$BL_IO" -i "$P:client-$C12" "$CURL" read 0 128) /var/tmp/cdata
kill -TERM $LMPID; wait $LMPID || true
expect "A's target survives the daemon stopping" test -d "$CFS/iscsi/$P:target-$A12/tpgt_1"

iscsi_unexport iqn.2003-01.org.example:foreign
cp "$OUT/linkmgr.log" "$OUT/linkmgr.log.keep" 2>/dev/null || true
finish
