/* reconcile.h - one pass: database + configuration -> LIO objects and boot files.
 *
 * Used by the daemon (on start, SIGHUP, control requests, address changes), by --once and
 * --dry-run, and by the benchmark. Never stops at one client's failure: each is logged with the
 * object and the cause, counted, and the others proceed.
 */
#ifndef BL_RECONCILE_H
#define BL_RECONCILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "configfs.h"
#include "db.h"

struct bl_mgr {
	const struct bl_config *cfg;
	struct bl_db *db;
	struct bl_cfs cfs;
	char server[16];	/* our IPv4 address, "" while unknown */
	int prefixlen;
	const char *hook;	/* dhcp-script path written into dnsmasq.conf */
	bool dry_run;		/* print the plan on `out`, change nothing */
	FILE *out;
	/* MACs that started a boot since the last pass (from `boot <mac>`) */
	char (*boots)[18];
	size_t n_boots;
	/* MACs whose logins stay refused (a boot on hold, see bootevent.h): no portal */
	char (*gated)[18];
	size_t n_gated;
	/* why rows were skipped in the last pass, one per line: each is logged as an event once,
	 * when it first appears */
	char *skipped;
};

struct bl_reconcile_stats {
	size_t clients, served, actions, failures;
	size_t skipped;		/* rows that failed their re-check (bl_link_check) */
	bool dnsmasq_reloaded, dnsmasq_conf_changed;
};

/* cfs_ops: NULL for the kernel's configfs (tests pass a fake, see configfs.h). */
int bl_mgr_init(struct bl_mgr *m, const struct bl_config *cfg, struct bl_db *db,
		const struct bl_cfs_ops *cfs_ops);
void bl_mgr_free(struct bl_mgr *m);
/* Records a boot of mac (normalized) for the next pass. */
int bl_mgr_note_boot(struct bl_mgr *m, const char *mac);
/* Gating: the daemon keeps this set in line with its boots on hold. */
int bl_mgr_set_gated(struct bl_mgr *m, const char *mac, bool gated);
/* Would a boot of mac starting now renew or rebuild its disk? (volatile clients, and clients
 * with a reset, relink or new overlay pending). Reads the database; false on any error. */
bool bl_mgr_boot_renews(struct bl_mgr *m, const char *mac);
/* Returns 0 when every client is served as wanted, 1 when some failed (logged), <0 on a
 * failure that stopped the whole pass (database unreadable, configfs missing...). */
int bl_reconcile(struct bl_mgr *m, struct bl_reconcile_stats *st);
/* The `status` reply: {"ok":true,"server":...,"clients":[...]}; caller frees. */
int bl_mgr_status_json(struct bl_mgr *m, char **out);

#endif
