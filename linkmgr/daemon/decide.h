/* decide.h - what one pass does with one client's disk: desired + observed -> action.
 *
 * Pure (no I/O), so every version move is table-tested (tests/unit/test-decide.c). The rule:
 * a client needs a new disk when it has none, was relinked (its disk is for another image),
 * has a reset pending, or is volatile and its image has a newer current version; it gets it
 * only when nothing runs on the old one: at a boot that starts (bootevent.h) or when it has no
 * session. A persistent client is never moved to a newer version by itself: `update pending`
 * until an admin resets it. A volatile client's backstore is also rebuilt at every boot start
 * (the handler discards a volatile disk's writes when it opens). A client on hold (its portal
 * taken away while an old session may still live) waits.
 */
#ifndef BL_DECIDE_H
#define BL_DECIDE_H

#include <stdbool.h>

#include "db.h"

struct bl_decide_in {
	/* desired */
	enum bl_mode mode;
	enum bl_role role;
	enum bl_reset reset;
	int current_version;	/* of the client's image */
	/* observed */
	bool disk_exists;
	int booted_version;	/* -1: no disk for its image */
	bool booting;		/* a boot started since the last pass */
	bool held;		/* logins refused while an old session may live */
	bool online;		/* a session is logged in (only read when bl_decide_needs_online) */
};

struct bl_decide {
	bool renew;		/* make a new disk now */
	bool recreate;		/* rebuild the backstore (the handler opens the disk again) */
	bool waits;		/* needs a new disk but a session runs on the old one */
};

/* Does the decision depend on whether the client is online? (saves a configfs read) */
bool bl_decide_needs_online(const struct bl_decide_in *in);
struct bl_decide bl_decide(const struct bl_decide_in *in);

#endif
