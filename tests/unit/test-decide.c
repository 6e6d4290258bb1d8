/* Unit tests for linkmgr/daemon/decide.c: every version move of every kind of client. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "decide.h"

#define V BL_MODE_VOLATILE
#define P BL_MODE_PERSISTENT
#define N BL_ROLE_NORMAL
#define S BL_ROLE_SUPER
#define R0 BL_RESET_NONE
#define R1 BL_RESET_OFFLINE
#define R2 BL_RESET_NOW

struct row {
	const char *what;
	struct bl_decide_in in;		/* mode role reset current | exists booted booting held online */
	bool needs_online, renew, recreate, waits;
};

#define IN(m, r, rs, cur, ex, bv, bt, h, on) \
	{ .mode = m, .role = r, .reset = rs, .current_version = cur, .disk_exists = ex, \
	  .booted_version = bv, .booting = bt, .held = h, .online = on }

static const struct row rows[] = {
	/* first link */
	{ "new client: a disk at once", IN(V, N, R0, 2, false, -1, false, false, false), false, true, false, false },
	{ "new persistent client", IN(P, N, R0, 0, false, -1, false, false, false), false, true, false, false },
	/* nothing to do */
	{ "volatile on current, offline", IN(V, N, R0, 2, true, 2, false, false, false), false, false, false, false },
	{ "persistent on current", IN(P, N, R0, 1, true, 1, false, false, true), false, false, false, false },
	/* volatile clients follow the current version, never under a session */
	{ "volatile on an older version, offline: moved", IN(V, N, R0, 3, true, 2, false, false, false), true, true, false, false },
	{ "volatile on an older version, online: waits", IN(V, N, R0, 3, true, 2, false, false, true), true, false, false, true },
	{ "volatile on an older version, at its boot: moved and rebuilt", IN(V, N, R0, 3, true, 2, true, false, false), false, true, true, false },
	{ "volatile on current, at its boot: rebuilt (clean disk)", IN(V, N, R0, 3, true, 3, true, false, false), false, false, true, false },
	{ "volatile after a rollback: moved back", IN(V, N, R0, 0, true, 2, false, false, false), true, true, false, false },
	/* persistent clients stay until reset */
	{ "persistent on an older version: stays (update pending)", IN(P, N, R0, 3, true, 1, false, false, false), false, false, false, false },
	{ "persistent on an older version, at its boot: stays", IN(P, N, R0, 3, true, 1, true, false, false), false, false, false, false },
	/* resets */
	{ "reset at next boot, offline: now", IN(P, N, R1, 3, true, 1, false, false, false), true, true, false, false },
	{ "reset at next boot, online: waits", IN(P, N, R1, 3, true, 1, false, false, true), true, false, false, true },
	{ "reset at next boot, at its boot", IN(P, N, R1, 3, true, 1, true, false, false), false, true, false, false },
	{ "forced reset, online: still waits (never under a session)", IN(P, N, R2, 3, true, 1, false, false, true), true, false, false, true },
	{ "forced reset, offline", IN(V, N, R2, 3, true, 3, false, false, false), true, true, false, false },
	/* relinked: its disk is for another image */
	{ "relinked, offline: a disk on the new image", IN(P, N, R0, 0, true, -1, false, false, false), true, true, false, false },
	{ "relinked, online: waits", IN(V, N, R0, 0, true, -1, false, false, true), true, false, false, true },
	/* the super client builds on current and keeps its disk, whatever its mode */
	{ "super, volatile mode: keeps its disk at boot", IN(V, S, R0, 2, true, 2, true, false, false), false, false, false, false },
	{ "super just made (reset): a fresh disk when offline", IN(V, S, R1, 2, true, 2, false, false, false), true, true, false, false },
	{ "super just made, at its boot", IN(P, S, R1, 2, true, 2, true, false, false), false, true, false, false },
	{ "former super after commit (reset, on the new version)", IN(P, N, R1, 3, true, 3, false, false, false), true, true, false, false },
	/* on hold: nothing, however much is due */
	{ "held: no renewal, no rebuild", IN(V, N, R1, 3, true, 2, true, true, false), false, false, false, true },
	{ "held, nothing due", IN(V, N, R0, 3, true, 3, false, true, true), false, false, false, false },
};

static void table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct bl_decide d = bl_decide(&r->in);
		bool no = bl_decide_needs_online(&r->in);
		if (no != r->needs_online || d.renew != r->renew || d.recreate != r->recreate ||
		    d.waits != r->waits)
			fail_msg("%s: needs_online %d renew %d recreate %d waits %d, want %d %d %d %d",
				 r->what, no, d.renew, d.recreate, d.waits, r->needs_online, r->renew,
				 r->recreate, r->waits);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
