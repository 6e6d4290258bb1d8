/* configfs.h - reading and changing LIO's configfs tree (only bootlink-owned objects).
 *
 * The root is "<configfs_root>/target". On configfs the kernel creates default children
 * (attrib/, lun/, acls/, np/, auth/ ...) and reacts to writes. Every change goes through a
 * struct bl_cfs_ops: the kernel's by default; the unit tests and the benchmark pass a fake
 * that plays the kernel on a plain directory (tests/lib/fake-configfs.c).
 */
#ifndef BL_CONFIGFS_H
#define BL_CONFIGFS_H

#include <stdbool.h>
#include <stdint.h>

#include "plan.h"

/* The changes a plan is made of, on absolute paths; each returns 0 or a negative errno. */
struct bl_cfs_ops {
	int (*mkdir)(const char *path);
	int (*rmdir)(const char *path);
	int (*write)(const char *path, const char *value);
	int (*symlink)(const char *target, const char *path);
	int (*unlink)(const char *path);
};

struct bl_cfs {
	char *root;		/* ".../target" */
	const struct bl_cfs_ops *ops;
};

/* configfs_root: the configfs mount ("/sys/kernel/config"). ops NULL: the kernel's, and the
 * root must be a configfs mount (-ENOTSUP otherwise, with a message). */
int bl_cfs_open(const char *configfs_root, const struct bl_cfs_ops *ops, struct bl_cfs *out);
void bl_cfs_close(struct bl_cfs *cfs);

/* Reads the bootlink-owned objects (backstores "bl-*" in core/user_<hba>, targets whose IQN
 * starts with "<iqn_prefix>:"). Unreadable attributes are left unknown, not fatal. */
int bl_cfs_read(const struct bl_cfs *cfs, const struct bl_plan_params *p,
		struct bl_lio_state *out);

/* Called for each failed action; the remaining actions with the same key are skipped. */
typedef void (*bl_cfs_fail_fn)(void *ctx, const struct bl_action *a, int err);
/* Applies the plan in order. Returns the number of failed actions (0 = all done). */
int bl_cfs_apply(const struct bl_cfs *cfs, const struct bl_plan *plan, bl_cfs_fail_fn fail,
		 void *ctx);

struct bl_cfs_status {
	bool present;		/* the client's target exists */
	bool online;		/* its ACL has an active iSCSI session */
	uint32_t sid;		/* LIO's id of the newest session (0: none) */
	uint64_t read_mb, write_mb;	/* LUN 0 counters, MiB */
};
int bl_cfs_client_status(const struct bl_cfs *cfs, const struct bl_plan_params *p,
			 const char *mac, struct bl_cfs_status *out);

/* Refuses new logins to mac's target without touching its sessions: removes the TPG's network
 * portals (LIO then answers a login for that target with "not found"; a running session keeps
 * its connection). The next plan puts the portal back unless the client is still gated.
 * Returns the number of portals removed, or a negative errno. */
int bl_cfs_gate(const struct bl_cfs *cfs, const struct bl_plan_params *p, const char *mac);

#endif
