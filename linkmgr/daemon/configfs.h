/* configfs.h - reading and changing LIO's configfs tree (only bootlink-owned objects).
 *
 * The root is "<configfs_root>/target". On the real configfs the kernel creates default
 * children (attrib/, lun/, acls/, np/, auth/ ...) and reacts to writes; on a plain directory
 * (unit tests, benchmark, --dry-run on a copy) bl_cfs emulates the few kernel effects the
 * reader depends on, so the same plan/apply/read cycle converges in both.
 */
#ifndef BL_CONFIGFS_H
#define BL_CONFIGFS_H

#include <stdbool.h>
#include <stdint.h>

#include "plan.h"

struct bl_cfs {
	char *root;		/* ".../target" */
	bool emulate;		/* plain directory: emulate configfs side effects */
};

/* configfs_root: the configfs mount ("/sys/kernel/config"). Detects a plain directory by the
 * filesystem magic; creates "<root>/target" only in emulation. */
int bl_cfs_open(const char *configfs_root, struct bl_cfs *out);
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
