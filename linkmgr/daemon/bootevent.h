/* bootevent.h - what a boot event from the wire may do to a client's disk.
 *
 * DHCP and TFTP are unauthenticated, and one real boot sends several events (the firmware's
 * DHCP, the boot file download, iPXE's own DHCP, its script download, retransmissions), so an
 * event is only a hint that a boot may be starting. The one rule that matters: a client's disk
 * is renewed or rebuilt only while none of its sessions is logged in. An event that comes while
 * a session is live is either a duplicate, a forged packet, or a real reboot whose old session
 * LIO has not dropped yet (a PC that powers off never logs out; LIO notices after its NOP-In
 * timeouts). The three look the same at that moment, so the client is put on *hold*: new logins
 * to its target are refused (its portal is taken away; running sessions are not touched) and
 * the session is watched. If it ends, the client really rebooted: the boot starts then, before
 * its new login can get in. If it stays alive for hold_s, the event is dropped. If a newer
 * session appears instead, the rebooted client's login was already under way when the portal
 * went (the event reaches linkmgr after dnsmasq's reply): that boot runs on the disk as it was,
 * never on one pulled from under it.
 *
 * Pure: the caller passes the clock and what configfs says about the client's sessions; the
 * caller does the gating and the reconcile. State is per client and in memory only: after a
 * linkmgr restart the next event of a client that is offline simply starts a boot, and a hold
 * that was in force is lifted by the first reconcile (its portal comes back).
 */
#ifndef BL_BOOTEVENT_H
#define BL_BOOTEVENT_H

#include <stdbool.h>
#include <stdint.h>

/* What configfs shows about a client's sessions. sid: LIO's session id of the newest session
 * (it grows with every login to the client's TPG), 0 when none. */
struct bl_sessions {
	bool online;
	uint32_t sid;
};

struct bl_bootev_params {
	double same_boot_s;	/* events this soon after a boot start belong to that boot */
	double hold_s;		/* how long a live session may keep a boot on hold */
};

/* Per-client memory; all times in the caller's monotonic seconds. */
struct bl_bootev_client {
	double start_at;	/* the last boot start; < 0: none seen */
	uint32_t start_sid;	/* newest session id at that start */
	double hold_at;		/* a hold in force since then; < 0: none */
	uint32_t hold_sid;	/* the live session that caused it */
	uint32_t outlived_sid;	/* a session that already outlived a hold: its events are dropped */
};

enum bl_bootev_verdict {
	BL_BOOTEV_START,	/* a new boot: the client's disk may be renewed now */
	BL_BOOTEV_SAME,		/* part of the boot that started at start_at */
	BL_BOOTEV_HOLD,		/* on hold: refuse new logins, watch the live session */
	BL_BOOTEV_LIVE,		/* a running client: the event is dropped, the hold (if any) ends */
	BL_BOOTEV_LATE,		/* on hold, the rebooted client logged in anyway (its login was
				 * under way): this boot runs on its disk as it was; the hold ends
				 * and its other events are SAME */
};

void bl_bootev_init(struct bl_bootev_client *c);
/* A boot event at `now`. */
enum bl_bootev_verdict bl_bootev_event(struct bl_bootev_client *c, const struct bl_bootev_params *p,
				       double now, struct bl_sessions s);
/* A client on hold, looked at again at `now`: START when its session ended, LIVE when the
 * session outlived the hold, LATE when a newer one got in anyway, HOLD to keep waiting. */
enum bl_bootev_verdict bl_bootev_poll(struct bl_bootev_client *c, const struct bl_bootev_params *p,
				      double now, struct bl_sessions s);
static inline bool bl_bootev_held(const struct bl_bootev_client *c)
{
	return c->hold_at >= 0;
}
const char *bl_bootev_name(enum bl_bootev_verdict v);

#endif
