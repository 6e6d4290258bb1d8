/* plan.h - desired LIO state + actual LIO state -> ordered configfs actions.
 *
 * Pure: no filesystem, no database. The caller (reconcile.c) turns database rows into
 * struct bl_want, configfs.c reads struct bl_lio_state, and configfs.c applies the actions.
 * Paths in actions are relative to the configfs target root (".../config/target").
 *
 * Ownership: the plan only ever names backstores "bl-*" in core/user_<hba> and iSCSI targets
 * whose IQN starts with "<iqn_prefix>:"; configfs.c only reads those, so nothing else can be
 * touched. Every action carries the key (MAC12, or the object name for stray objects) of the
 * client it belongs to so that a failure stops only that client's remaining actions.
 */
#ifndef BL_PLAN_H
#define BL_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One client as the plan wants it. Strings are borrowed from the caller. */
struct bl_want {
	char mac[18];			/* aa:bb:cc:dd:ee:ff */
	bool serve;			/* false: no LIO objects (disabled, or an error below) */
	const char *dev_config;		/* storage locator for TCMU: "bootlink/<path>[;opts]" */
	uint64_t dev_size;		/* bytes */
	const char *chap_user, *chap_secret;	/* NULL: no CHAP for this client */
	bool recreate;			/* rebuild its backstore even if it looks right (new boot) */
	bool gate;			/* no portal: logins are refused while linkmgr waits for a
					 * session to end or rebuilds the disk (sessions stay) */
};

struct bl_plan_params {
	const char *iqn_prefix;
	int hba_index;
	int max_data_area_mb;		/* TCMU ring sizes, written into control before enable */
	int cmd_ring_size_mb;
	int nopin_timeout;		/* per-ACL NOP-In interval and answer timeout, s; 0: */
	int nopin_response_timeout;	/* leave LIO's default */
	const char *portal_ip;		/* NULL: no portal (address unknown yet) */
	int portal_port;
	bool chap;
};

/* ---- actual state, as read from configfs (only bootlink-owned objects) ---- */

struct bl_lio_backstore {
	char *name;			/* "bl-<mac12>" */
	char *dev_config;		/* NULL if unreadable */
	uint64_t dev_size;
	bool enabled;
};

/* A LUN of a TPG (link -> backstore) or a mapped LUN of an ACL (link -> TPG LUN). */
struct bl_lio_lun {
	char *name;			/* "lun_0" */
	char *link;			/* symlink name inside, NULL if none */
	char *points_to;		/* basename of the link's target, NULL if none */
};

struct bl_lio_acl {
	char *iqn;
	struct bl_lio_lun *mapped;
	size_t n_mapped;
	char *userid, *password;	/* NULL if unreadable */
	int nopin_timeout, nopin_response_timeout;	/* seconds, -1 unknown */
};

struct bl_lio_target {
	char *iqn;
	bool tpg;			/* its TPG (BL_TPG) exists */
	bool enabled;
	int authentication, generate_node_acls, demo_mode_discovery;	/* -1 unknown */
	struct bl_lio_lun *luns;
	size_t n_luns;
	char **nps;			/* "IP:PORT" */
	size_t n_nps;
	struct bl_lio_acl *acls;
	size_t n_acls;
};

struct bl_lio_state {
	bool hba;			/* core/user_<hba> exists */
	bool iscsi;			/* iscsi/ exists */
	struct bl_lio_backstore *bs;
	size_t n_bs;
	struct bl_lio_target *targets;
	size_t n_targets;
};

void bl_lio_state_free(struct bl_lio_state *st);

/* ---- actions ---- */

enum bl_op { BL_OP_MKDIR, BL_OP_RMDIR, BL_OP_WRITE, BL_OP_SYMLINK, BL_OP_UNLINK };

struct bl_action {
	enum bl_op op;
	char *path;			/* relative to the configfs target root */
	char *arg;			/* WRITE: value; SYMLINK: link target (relative to the root) */
	char *key;			/* client MAC12 or stray object name; "" = shared object */
	const char *what;		/* for logs: "create backstore", ... */
	bool secret;			/* arg must not be printed */
};

struct bl_plan {
	struct bl_action *a;
	size_t n, cap;
};

/* Computes the actions that turn `actual` into `want` (n_want clients). Returns 0 or -ENOMEM.
 * A second call on the state produced by applying the result gives 0 actions. */
int bl_plan_compute(const struct bl_plan_params *p, const struct bl_want *want, size_t n_want,
		    const struct bl_lio_state *actual, struct bl_plan *out);
void bl_plan_free(struct bl_plan *plan);
/* One line per action ("mkdir core/user_42/bl-525400123456  # create backstore"),
 * secrets replaced by "***". */
void bl_plan_print(const struct bl_plan *plan, FILE *f);


#endif
