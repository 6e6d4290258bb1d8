/* ipxe.h - the iPXE scripts linkmgr serves over TFTP (<tftp_root>/bootlink/).
 *
 * boot.ipxe is what every iPXE client gets from DHCP: it chains <mac12>.ipxe and, if there is
 * none, prints why this PC cannot boot. <mac12>.ipxe either sanboots the client's LUN with its
 * initiator IQN (and CHAP) and retries with a readable message on failure, or, for a disabled
 * or unavailable client, explains that. Every string from the database is validated upstream
 * and checked again here against a strict character set; CHAP credentials are written as hex
 * bytes (`set username:hex 61:62`), which no content can break out of.
 */
#ifndef BL_IPXE_H
#define BL_IPXE_H

#include <stdbool.h>


struct bl_ipxe_params {
	const char *server;		/* portal / TFTP address, dotted quad */
	int port;			/* iSCSI port */
	const char *iqn_prefix;
};

enum bl_ipxe_kind {
	BL_IPXE_BOOT,			/* sanboot its LUN */
	BL_IPXE_DISABLED,		/* linked but disabled by the admin */
	BL_IPXE_UNAVAILABLE,		/* linked, but its disk cannot be served now (see logs) */
};

struct bl_ipxe_client {
	const char *mac;		/* normalized */
	const char *hostname;		/* NULL = none */
	const char *image;		/* image name, for messages; NULL = none */
	enum bl_ipxe_kind kind;
	const char *chap_user, *chap_secret;	/* NULL = no CHAP */
};

/* Each returns 0 and a malloc'd script in *out, or -EINVAL (unsafe input, message in
 * bl_last_error()) / -ENOMEM. */
int bl_ipxe_dispatch_script(const struct bl_ipxe_params *p, char **out);
int bl_ipxe_client_script(const struct bl_ipxe_params *p, const struct bl_ipxe_client *c,
			  char **out);

#endif
