/* hook.h - which dnsmasq --dhcp-script events mean "this PC is starting a boot".
 *
 * dnsmasq runs `linkmgr ACTION ARGS...` with DNSMASQ_* variables in the environment:
 *   add|old MAC IP [NAME]   a lease (DNSMASQ_VENDOR_CLASS "PXEClient..." = PXE ROM or iPXE)
 *   tftp SIZE IP FILE       a finished TFTP download (also in proxy mode, which has no leases)
 */
#ifndef BL_HOOK_H
#define BL_HOOK_H

#include <stdbool.h>

#include "validate.h"

enum bl_hook_event {
	BL_HOOK_NONE,		/* not a boot */
	BL_HOOK_BOOT,		/* a boot: firmware DHCP or boot-file download */
	BL_HOOK_BOOT_LATE,	/* the client's own iPXE script: its login may be under way */
};

/* Classifies one invocation; for a boot, mac gets the client's normalized MAC.
 * vendor_class: $DNSMASQ_VENDOR_CLASS (NULL if unset); neigh: the neighbour table in
 * /proc/net/arp format ("/proc/net/arp"), used to find the MAC behind a TFTP client's IP. */
enum bl_hook_event bl_hook_classify(int argc, char **argv, const char *vendor_class,
				    const char *neigh, char mac[BL_MAC_LEN]);

#endif
