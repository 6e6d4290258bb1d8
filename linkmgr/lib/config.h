/* linkmgr.conf: the configuration shared by linkmgr and linkctl.
 *
 * libconfig syntax; every key, its meaning and default is documented in linkmgr/linkmgr.conf
 * (installed as the example). A missing file means built-in defaults. Unknown keys are refused
 * (a typo must not silently fall back to a default). Paths are validated on load: absolute,
 * normalized, and free of the characters the TCMU dev_config string cannot carry.
 * Errors name file:line and key: "linkmgr.conf:12: dhcp.mode: expected \"full\" or \"proxy\"".
 */
#ifndef BL_CONFIG_H
#define BL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "bootlink-config.h"

#define BL_CONFIG_DEFAULT_PATH BOOTLINK_SYSCONFDIR "/linkmgr.conf"

enum bl_dhcp_mode { BL_DHCP_FULL = 0, BL_DHCP_PROXY = 1 };

/* A DHCP address range (full mode). netmask NULL = dnsmasq derives it from the interface
 * (only valid for the local subnet; ranges reached through a relay need it). */
struct bl_dhcp_range {
	char *start, *end, *netmask;
	char *lease_time;	/* dnsmasq syntax: "12h", "infinite"; NULL = dhcp.lease_time */
};

struct bl_config {
	char *path;		/* file it was loaded from, NULL = built-in defaults */

	char *state_dir;	/* /var/lib/bootlink */
	char *db_path;		/* <state_dir>/bootlink.db */
	char *image_dir;	/* <state_dir>/images: where `image add` accepts base files */
	char *overlay_dir;	/* <state_dir>/overlays */
	char *layer_dir;	/* <state_dir>/layers */
	char *control_socket;	/* BOOTLINK_RUNDIR/linkmgr.sock */
	char *admin_group;	/* bootlink */

	/* LIO */
	char *configfs_root;	/* /sys/kernel/config */
	int hba_index;		/* 42: core/user_<hba_index> */
	int max_data_area_mb;	/* 8: TCMU data area, allocated as commands use it */
	int cmd_ring_size_mb;	/* 1: TCMU command ring, vmalloc'ed whole per device */
	int nopin_timeout;	/* 10: LIO's NOP-In interval per client ACL, seconds */
	int nopin_response_timeout;	/* 10: ...and how long an answer may take */
	char *handler_dir;	/* BOOTLINK_HANDLER_DIR: where handler_bootlink.so lives */
	char *iqn_prefix;	/* iqn.2026-11.org.bootlink */
	int portal_port;	/* 3260 */
	bool chap;		/* true */

	/* network */
	char *boot_interface;	/* "" = any / detect */
	char *server_address;	/* "" = detect on boot_interface (linkmgr, libnl) */

	/* DHCP / TFTP */
	enum bl_dhcp_mode dhcp_mode;	/* full */
	struct bl_dhcp_range *ranges;	/* full mode, local subnet */
	size_t n_ranges;
	struct bl_dhcp_range *relay_ranges;	/* full mode, subnets behind a DHCP relay */
	size_t n_relay_ranges;
	char **proxy_subnets;	/* proxy mode: "192.168.1.0/24"; none = boot interface's subnet */
	size_t n_proxy_subnets;
	char *lease_time;	/* 12h */
	bool serve_unknown;	/* false: PCs that are not linked get no lease (full mode) */
	char *router;		/* "" = not sent */
	char *dns;		/* "" = not sent */
	char *tftp_root;	/* <state_dir>/tftp */
	char *ipxe_dir;		/* BOOTLINK_IPXE_DIR */
	char *dnsmasq_dir;	/* <state_dir>/dnsmasq: generated hosts, options and conf */
	char *dnsmasq_pid_file;	/* BOOTLINK_RUNDIR/dnsmasq.pid */
};

/* Fills cfg with the built-in defaults. */
int bl_config_defaults(struct bl_config *cfg);
/* Loads path (NULL = BL_CONFIG_DEFAULT_PATH). A missing file gives the defaults and 0, with
 * cfg->path = NULL. Errors: -EINVAL (syntax, type, value, unknown key) with file:line: key:
 * reason in bl_last_error(); other negative errnos for I/O. cfg is freed on failure. */
int bl_config_load(const char *path, struct bl_config *cfg);
void bl_config_free(struct bl_config *cfg);

#endif
