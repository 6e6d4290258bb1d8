/* bootevent.c - the boot-event rules (see bootevent.h); table-tested in test-bootevent.c. */
#include "bootevent.h"

void bl_bootev_init(struct bl_bootev_client *c)
{
	*c = (struct bl_bootev_client){ .start_at = -1, .hold_at = -1 };
}

static bool in_window(const struct bl_bootev_client *c, const struct bl_bootev_params *p,
		      double now)
{
	return c->start_at >= 0 && now - c->start_at < p->same_boot_s;
}

static enum bl_bootev_verdict start(struct bl_bootev_client *c, double now, struct bl_sessions s)
{
	c->start_at = now;
	c->start_sid = s.sid;
	c->hold_at = -1;
	return BL_BOOTEV_START;
}

enum bl_bootev_verdict bl_bootev_poll(struct bl_bootev_client *c, const struct bl_bootev_params *p,
				      double now, struct bl_sessions s)
{
	if (!bl_bootev_held(c))
		return BL_BOOTEV_LIVE;
	if (!s.online)
		return start(c, now, s);
	/* Only the client holds its CHAP secret, and it logs in once per boot: a newer session
	 * is the rebooted client, whose login was under way before the portal went (dnsmasq runs
	 * its script after the reply, and an iPXE ROM logs in a second later). It reads its disk
	 * now, so the disk stays as it is for this boot, and its other events belong to it. */
	if (s.sid != c->hold_sid) {
		start(c, now, s);
		return BL_BOOTEV_LATE;
	}
	if (now - c->hold_at >= p->hold_s) {
		c->outlived_sid = s.sid;
		c->hold_at = -1;
		return BL_BOOTEV_LIVE;
	}
	return BL_BOOTEV_HOLD;
}

enum bl_bootev_verdict bl_bootev_event(struct bl_bootev_client *c, const struct bl_bootev_params *p,
				       double now, struct bl_sessions s)
{
	if (bl_bootev_held(c))
		return bl_bootev_poll(c, p, now, s);
	/* Events of one boot come within seconds of each other; by the time the last of them
	 * (iPXE's script download) is handled, its login may already be in. */
	if (in_window(c, p, now))
		return BL_BOOTEV_SAME;
	if (!s.online)
		return start(c, now, s);
	if (s.sid == c->outlived_sid)
		return BL_BOOTEV_LIVE;
	c->hold_at = now;
	c->hold_sid = s.sid;
	return BL_BOOTEV_HOLD;
}

const char *bl_bootev_name(enum bl_bootev_verdict v)
{
	switch (v) {
	case BL_BOOTEV_START: return "start";
	case BL_BOOTEV_SAME: return "same boot";
	case BL_BOOTEV_HOLD: return "hold";
	case BL_BOOTEV_LIVE: return "live";
	case BL_BOOTEV_LATE: return "late login";
	}
	return "?";
}
