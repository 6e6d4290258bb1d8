# The PXE boot server for the e2e tests, set up by hand (no linkmgr/linkctl): runs in the server
# guest (run-in-guest with one --nic), serves until the host asks it to stop.
#
#   server-manual.sh BASE_IMAGE CLIENT...      CLIENT = MAC or MAC,volatile
#
# Builds, on eth0 = 10.77.0.1/24 (a link between the guests only): a bootlink overlay on the base
# image per client, exported as LUN 0 of target <prefix>:target-<mac12> for initiator
# <prefix>:client-<mac12> only; dnsmasq for DHCP + TFTP (undionly.kpxe to BIOS PXE ROMs, ipxe.efi to
# UEFI PXE, and to iPXE a script that chains <mac12>.ipxe or says the machine is not linked).
# Talks to the host through $BOOTLINK_VM_OUT (shared): writes "ready" once serving; executes
# requests the host drops there as req-<N> (renamed into place), answering in req-<N>.done:
#   reopen MAC      recreate MAC's backstore (the handler opens the overlay again: volatile resets)
#   plant MAC TEXT  write TEXT into sector 2 of MAC's test area, as MAC's initiator (a request the
#                   client's next boot acts on; see boot/client-image/client-init)
#   stop            check the base is unchanged, write "summary", exit
. "$BOOTLINK_SOURCE_DIR/tests/vm/lib.sh"
PORTAL_IP=10.77.0.1
base_src=${1:?usage: server-manual.sh BASE_IMAGE CLIENT...}
shift
[ $# -ge 1 ] || die "no clients given"

step "network: eth0 = $PORTAL_IP/24"
ip link set eth0 up || die "the guest has no eth0 (run-in-guest --nic ...)"
ip addr add "$PORTAL_IP/24" dev eth0

step "base image and one overlay per client"
mkdir -p /var/tmp/bl/overlays /var/tmp/tftp
base=/var/tmp/bl/base.img
cp "$base_src" "$base"
base_sum=$(sha256sum < "$base")
start_tcmu_runner
declare -A opts
for c in "$@"; do
    mac=${c%%,*}
    m12=$(echo "$mac" | tr -d : | tr A-F a-f)
    case "$m12" in *[!0-9a-f]*|"") die "client '$c': bad MAC" ;; esac
    [ ${#m12} = 12 ] || die "client '$c': bad MAC"
    opts[$m12]=
    [ "$c" != "${c#*,volatile}" ] && opts[$m12]=";volatile"
    "$BL_IMG" create -b "$base" "/var/tmp/bl/overlays/$m12.ovl" >/dev/null || die "overlay for $mac"
    bl_lun "$m12" "/var/tmp/bl/overlays/$m12.ovl" "${opts[$m12]}" >/dev/null
    cat > "/var/tmp/tftp/$m12.ipxe" <<EOF
#!ipxe
echo bootlink: ${mac} boots its link (manual server)
set initiator-iqn $BL_IQN:client-$m12
sanboot iscsi:$PORTAL_IP::::$BL_IQN:target-$m12
EOF
    echo "client $mac: LUN $BL_IQN:target-$m12${opts[$m12]:+ (volatile)}"
done

step "dnsmasq: DHCP + TFTP on eth0"
cp /usr/lib/ipxe/undionly.kpxe /usr/lib/ipxe/ipxe.efi /var/tmp/tftp/
cat > /var/tmp/tftp/boot.ipxe <<'EOF'
#!ipxe
chain ${mac:hexraw}.ipxe || goto notlinked
:notlinked
echo bootlink: this machine (${mac}) is not linked to an image. Ask the admin to run: linkctl client add ${mac} IMAGE
sleep 3600
EOF
dnsmasq --port=0 --bind-interfaces --interface=eth0 --except-interface=lo \
    --dhcp-range=10.77.0.100,10.77.0.199,255.255.255.0,1h --dhcp-authoritative \
    --enable-tftp --tftp-root=/var/tmp/tftp \
    --dhcp-match=set:ipxe,175 \
    --dhcp-match=set:efi64,option:client-arch,7 --dhcp-match=set:efi64,option:client-arch,9 \
    --dhcp-boot=tag:!ipxe,tag:!efi64,undionly.kpxe --dhcp-boot=tag:!ipxe,tag:efi64,ipxe.efi \
    --dhcp-boot=tag:ipxe,boot.ipxe \
    --log-dhcp --log-facility="$OUT/dnsmasq.log" --pid-file=/run/dnsmasq.pid ||
    die "dnsmasq did not start: $(tail -3 "$OUT/dnsmasq.log" 2>/dev/null)"

echo "$PORTAL_IP" > "$OUT/ready.tmp" && mv "$OUT/ready.tmp" "$OUT/ready"
step "serving; waiting for requests in $OUT"

reply() { echo "$2" > "$OUT/$1.done.tmp"; mv "$OUT/$1.done.tmp" "$OUT/$1.done"; }
n=0
while :; do
    r=req-$n
    if [ ! -f "$OUT/$r" ]; then sleep 0.3; continue; fi
    read -r cmd mac text < "$OUT/$r"
    m12=$(echo "${mac:-x}" | tr -d : | tr A-F a-f)
    echo "request $n: $cmd $mac $text"
    case "$cmd" in
        reopen)
            if bl_lun_remove "$m12" && bl_lun "$m12" "/var/tmp/bl/overlays/$m12.ovl" "${opts[$m12]-}" >/dev/null
            then reply "$r" ok; else reply "$r" "failed"; fi ;;
        plant)
            printf '%s\n' "$text" | head -c 512 > /tmp/plant.bin
            truncate -s 512 /tmp/plant.bin
            # Sector 2 of partition 2: the partition starts 1 MiB before the end of the disk.
            sz=$(( $("$BL_IMG" info --json "/var/tmp/bl/overlays/$m12.ovl" | jq -r .virtual_size) / 512 ))
            if bl_io "$m12" write $((sz - 2048 + 2)) /tmp/plant.bin && bl_io "$m12" sync
            then reply "$r" ok; else reply "$r" failed; fi ;;
        stop)
            break ;;
        *) reply "$r" "unknown request '$cmd'" ;;
    esac
    n=$((n + 1))
done

step "stopping"
kill "$(cat /run/dnsmasq.pid)" 2>/dev/null || true
{
    if [ "$(sha256sum < "$base")" = "$base_sum" ]; then echo "base unchanged"; else echo "base CHANGED"; fi
    for o in /var/tmp/bl/overlays/*.ovl; do
        echo "overlay $(basename "$o" .ovl) allocated=$(ovl_allocated "$o")"
    done
} | tee "$OUT/summary"
reply "req-$n" ok
grep -q '^base unchanged' "$OUT/summary"
