/* hook.c - classification of dnsmasq script events (see hook.h). */
#include "hook.h"

#include "names.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* MAC of an IPv4 neighbour ("IP HWtype Flags HWaddr Mask Device" lines). */
static int neigh_lookup(const char *table, const char *ip, char mac[BL_MAC_LEN])
{
	FILE *f = fopen(table, "r");
	char line[256], a[64], hw[64];
	int r = -ENOENT;
	while (f && r < 0 && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %*s %*s %63s", a, hw) == 2 && !strcmp(a, ip)
		    && bl_mac_parse(hw, mac) == 0)
			r = 0;
	if (f)
		fclose(f);
	return r;
}

enum bl_hook_event bl_hook_classify(int argc, char **argv, const char *vendor_class,
				    const char *neigh, char mac[BL_MAC_LEN])
{
	if (argc < 2)
		return BL_HOOK_NONE;
	const char *act = argv[1];
	if ((!strcmp(act, "add") || !strcmp(act, "old")) && argc >= 3) {
		/* the OS's own DHCP client sends another vendor class (or none) */
		if (vendor_class && !strncmp(vendor_class, "PXEClient", 9)
		    && bl_mac_parse(argv[2], mac) == 0)
			return BL_HOOK_BOOT;
		return BL_HOOK_NONE;
	}
	if (strcmp(act, "tftp") != 0 || argc < 5)
		return BL_HOOK_NONE;
	/* The firmware's download of the iPXE boot file comes seconds before the iSCSI login;
	 * the client's own script comes right before it, so it is only a last resort. */
	const char *base = strrchr(argv[4], '/');
	base = base ? base + 1 : argv[4];
	if (bl_name_is_bootfile(base))
		return neigh_lookup(neigh, argv[3], mac) == 0 ? BL_HOOK_BOOT : BL_HOOK_NONE;
	char m12[BL_MAC12_LEN];
	if (bl_name_is_script(base, m12) && bl_mac_parse(m12, mac) == 0)
		return BL_HOOK_BOOT_LATE;
	return BL_HOOK_NONE;
}
