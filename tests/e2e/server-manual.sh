# The PXE boot server for the e2e tests, set up by hand (no linkmgr/linkctl): runs in the server
# guest (run-in-guest with one --nic), serves until the host asks it to stop.
#
#   server-manual.sh BASE_IMAGE CLIENT...      CLIENT = MAC or MAC,volatile
#
# Builds, on eth0 = 10.77.0.1/24 (a link between the guests only): a bootlink overlay on the base
# image per client, exported as LUN 0 of target <prefix>:target-<mac12> for initiator
# <prefix>:client-<mac12> only; dnsmasq for DHCP + TFTP (undionly.kpxe to BIOS PXE ROMs, ipxe.efi to
# UEFI PXE, and to iPXE a script that chains <mac12>.ipxe or says the machine is not linked).
# Requests from the host (see lib-guest.sh):
#   reopen MAC      recreate MAC's backstore (the handler opens the overlay again: volatile resets)
#   plant MAC TEXT  write TEXT into sector 2 of MAC's test area, as MAC's initiator (a request the
#                   client's next boot acts on; see boot/client-image/client-init)
#   stop            check the base is unchanged, write "summary", exit
. "$BOOTLINK_SOURCE_DIR/tests/e2e/lib-guest.sh"
base_src=${1:?usage: server-manual.sh BASE_IMAGE CLIENT...}
shift
[ $# -ge 1 ] || die "no clients given"

step "network: eth0 = $PORTAL_IP/24"
net_up

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
    # BOOTLINK_T_NOPIN="T R": LIO's NOP-In interval and answer timeout for the client's ACL.
    if [ -n "${BOOTLINK_T_NOPIN:-}" ]; then
        a=$CFS/iscsi/$BL_IQN:target-$m12/tpgt_1/acls/$BL_IQN:client-$m12/attrib
        echo "${BOOTLINK_T_NOPIN% *}" > "$a/nopin_timeout"
        echo "${BOOTLINK_T_NOPIN#* }" > "$a/nopin_response_timeout"
    fi
    # BOOTLINK_T_PAUSE=S: iPXE logs in, then waits S seconds without disk I/O (a boot menu).
    san="sanboot iscsi:$PORTAL_IP::::$BL_IQN:target-$m12"
    [ -z "${BOOTLINK_T_PAUSE:-}" ] ||
        san="sanhook --drive 0x80 iscsi:$PORTAL_IP::::$BL_IQN:target-$m12
echo bootlink: logged in, idle for $BOOTLINK_T_PAUSE s
sleep $BOOTLINK_T_PAUSE
sanboot --drive 0x80"
    cat > "/var/tmp/tftp/$m12.ipxe" <<EOF
#!ipxe
echo bootlink: ${mac} boots its link (manual server)
set initiator-iqn $BL_IQN:client-$m12
$san
EOF
    echo "client $mac: LUN $BL_IQN:target-$m12${opts[$m12]:+ (volatile)}"
done

step "dnsmasq: DHCP + TFTP on eth0"
cp "${BOOTLINK_T_IPXE_LIB:-/usr/lib/ipxe}"/undionly.kpxe /var/tmp/tftp/
# BOOTLINK_T_EFI_BOOT=snponly.efi hands UEFI firmware iPXE's SNP-only build instead.
cp "${BOOTLINK_T_IPXE_LIB:-/usr/lib/ipxe}/${BOOTLINK_T_EFI_BOOT:-ipxe.efi}" /var/tmp/tftp/ipxe.efi
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

ready
step "serving; waiting for requests in $OUT"
request() { # reopen MAC | plant MAC TEXT
    local cmd=$1 m12 sz
    m12=$(echo "${2:-x}" | tr -d : | tr A-F a-f)
    shift 2
    case "$cmd" in
        reopen)
            bl_lun_remove "$m12" && bl_lun "$m12" "/var/tmp/bl/overlays/$m12.ovl" "${opts[$m12]-}" >/dev/null &&
                echo ok || echo failed ;;
        plant)
            printf '%s\n' "$*" | head -c 512 > /tmp/plant.bin
            truncate -s 512 /tmp/plant.bin
            # Sector 2 of partition 2: the partition starts 1 MiB before the end of the disk.
            sz=$(( $("$BL_IMG" info --json "/var/tmp/bl/overlays/$m12.ovl" | jq -r .virtual_size) / 512 ))
            bl_io "$m12" write $((sz - 2048 + 2)) /tmp/plant.bin && bl_io "$m12" sync && echo ok || echo failed ;;
        *) echo "unknown request '$cmd'" ;;
    esac
}
serve_requests request

step "stopping"
kill "$(cat /run/dnsmasq.pid)" 2>/dev/null || true
{
    base_check "$base" "$base_sum"
    for o in /var/tmp/bl/overlays/*.ovl; do
        echo "overlay $(basename "$o" .ovl) allocated=$(ovl_allocated "$o")"
    done
} | tee "$OUT/summary"
answer_stop
grep -q '^base unchanged' "$OUT/summary"
