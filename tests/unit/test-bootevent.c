/* Unit tests for linkmgr/bootevent.c: which boot events may touch a client's disk.
 * Each case is a story of one client: a sequence of events and polls with the session state
 * configfs would show at that moment, and the verdict each step must get. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "bootevent.h"

static const struct bl_bootev_params P = { .same_boot_s = 45, .hold_s = 30 };

enum kind { EV, POLL, END };
struct step {
	enum kind kind;
	double t;
	bool online;
	uint32_t sid;
	enum bl_bootev_verdict want;
};

struct story {
	const char *name;
	struct step steps[12];
};

#define E(t, on, sid, v) { EV, t, on, sid, BL_BOOTEV_##v }
#define W(t, on, sid, v) { POLL, t, on, sid, BL_BOOTEV_##v }

static const struct story stories[] = {
	{ "first boot of an offline client starts a boot", { E(0, false, 0, START), { .kind = END } } },
	{ "the events of one boot are one event (firmware DHCP, iPXE DHCP, script download)",
	  { E(0, false, 0, START), E(2, false, 0, SAME), E(5, false, 0, SAME), { .kind = END } } },
	{ "the script download handled after the login is still the same boot",
	  { E(0, false, 0, START), E(8, true, 1, SAME), { .kind = END } } },
	/* The e2e hang's pattern: a late duplicate of a boot whose client is running must never
	 * start a boot (that rebuilt a volatile client's LUN under its live iPXE session). */
	{ "a late duplicate while the client runs (inside the window) changes nothing",
	  { E(0, false, 0, START), E(23, true, 1, SAME), E(44, true, 2, SAME), { .kind = END } } },
	{ "a forged DHCP packet at a running client holds, then is dropped: the session lives",
	  { E(0, false, 0, START), E(300, true, 3, HOLD), W(301, true, 3, HOLD),
	    W(329, true, 3, HOLD), W(330, true, 3, LIVE), { .kind = END } } },
	{ "a session that outlived a hold is not held again by the next forged packet",
	  { E(300, true, 3, HOLD), W(330, true, 3, LIVE), E(331, true, 3, LIVE),
	    E(400, true, 3, LIVE), { .kind = END } } },
	{ "...but a new session of it can be held again",
	  { E(300, true, 3, HOLD), W(330, true, 3, LIVE), E(500, true, 4, HOLD), { .kind = END } } },
	{ "a real reboot: the old session dies on hold, the boot starts before the new login",
	  { E(0, false, 0, START), E(200, true, 2, HOLD), W(201, true, 2, HOLD),
	    W(210, false, 2, START), E(212, false, 2, SAME), { .kind = END } } },
	{ "an event while on hold is a poll: the session ended, the boot starts",
	  { E(200, true, 2, HOLD), E(205, false, 0, START), { .kind = END } } },
	/* e2e round 3's race: the rebooted client's login was under way when its DHCP event put
	 * it on hold; its disk must not be pulled, and its script download is the same boot. */
	{ "a newer session while on hold is the rebooted client, in first: its disk stays",
	  { E(200, true, 6, HOLD), W(201, true, 7, LATE), E(203, true, 7, SAME),
	    W(204, true, 7, LIVE), { .kind = END } } },
	{ "an event that finds the newer session is a poll: the same late login",
	  { E(200, true, 6, HOLD), E(202, true, 7, LATE), E(230, true, 7, SAME), { .kind = END } } },
	{ "after a late login, the next boot is held and started as usual",
	  { E(200, true, 6, HOLD), W(201, true, 7, LATE), E(400, true, 7, HOLD),
	    W(410, false, 7, START), { .kind = END } } },
	{ "a poll of a client not on hold never starts anything",
	  { W(10, false, 0, LIVE), E(11, false, 0, START), W(12, false, 0, LIVE), { .kind = END } } },
	{ "offline inside the window: the same boot, even after a login and logout",
	  { E(0, false, 0, START), E(30, false, 1, SAME), { .kind = END } } },
	{ "offline after the window: a new boot", { E(0, false, 0, START), E(45, false, 1, START),
						     E(46, false, 1, SAME), { .kind = END } } },
	{ "a client that was held and rebooted gets a fresh window",
	  { E(100, true, 1, HOLD), W(110, false, 1, START), E(150, false, 1, SAME),
	    E(156, false, 2, START), { .kind = END } } },
};

static void test_stories(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(stories) / sizeof(stories[0]); i++) {
		struct bl_bootev_client c;
		bl_bootev_init(&c);
		for (const struct step *s = stories[i].steps; s->kind != END; s++) {
			struct bl_sessions ss = { s->online, s->sid };
			enum bl_bootev_verdict v = s->kind == EV ? bl_bootev_event(&c, &P, s->t, ss)
								 : bl_bootev_poll(&c, &P, s->t, ss);
			if (v != s->want)
				fail_msg("%s: %s at t=%g: got %s, want %s", stories[i].name,
					 s->kind == EV ? "event" : "poll", s->t, bl_bootev_name(v),
					 bl_bootev_name(s->want));
			assert_int_equal(bl_bootev_held(&c), v == BL_BOOTEV_HOLD);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stories),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
