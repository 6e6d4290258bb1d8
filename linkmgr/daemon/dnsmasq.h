/* dnsmasq.h - the files that make dnsmasq hand out addresses and iPXE to bootlink clients.
 *
 * <dnsmasq_dir>/dnsmasq.conf  static part (mode, ranges, boot files by architecture, TFTP,
 *                             hook); dnsmasq reads it only at start.
 * <dnsmasq_dir>/hosts         --dhcp-hostsfile: one line per client (MAC, tags, IP, name)
 * <dnsmasq_dir>/opts          --dhcp-optsfile: router/DNS and per-client root-path
 * hosts and opts are reread by dnsmasq on SIGHUP. Nothing is escaped: a field with characters
 * outside a strict set is refused (the client's line is left out with a message).
 */
#ifndef BL_DNSMASQ_H
#define BL_DNSMASQ_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

struct bl_dhcp_host {
	const char *mac;		/* normalized */
	const char *ip;			/* NULL = from the range */
	const char *hostname;		/* NULL = none */
	bool serve;			/* its LUN is served (adds the root-path option) */
};

struct bl_dnsmasq_params {
	const struct bl_config *cfg;
	const char *server;		/* our address (dotted quad) */
	int prefixlen;			/* of the server's subnet, for proxy mode */
	const char *hook;		/* dhcp-script: linkmgr's path */
	const char *tftp_group;		/* group=, or NULL for dnsmasq's default */
};

/* Called for each client left out (or partly left out) of a file, with the reason. */
typedef void (*bl_dnsmasq_warn_fn)(void *ctx, const char *mac, const char *why);

int bl_dnsmasq_conf(const struct bl_dnsmasq_params *p, char **out);
int bl_dnsmasq_hosts(const struct bl_dhcp_host *h, size_t n, bl_dnsmasq_warn_fn warn, void *ctx,
		     char **out);
int bl_dnsmasq_opts(const struct bl_dnsmasq_params *p, const struct bl_dhcp_host *h, size_t n,
		    char **out);

#endif
