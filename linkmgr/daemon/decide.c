/* decide.c - see decide.h. */
#include "decide.h"

static bool is_vol(const struct bl_decide_in *in)
{
	return in->mode == BL_MODE_VOLATILE && in->role != BL_ROLE_SUPER;
}

static bool needs_new(const struct bl_decide_in *in)
{
	return !in->disk_exists || in->booted_version < 0 || in->reset != BL_RESET_NONE
	       || (is_vol(in) && in->booted_version != in->current_version);
}

bool bl_decide_needs_online(const struct bl_decide_in *in)
{
	return needs_new(in) && in->disk_exists && !in->booting && !in->held;
}

struct bl_decide bl_decide(const struct bl_decide_in *in)
{
	struct bl_decide d = { 0 };
	bool need = needs_new(in);
	/* A forced reset no longer beats a session: nothing is renewed under one. */
	bool now = !in->disk_exists || in->booting || !in->online;
	if (in->held)
		return (struct bl_decide){ .waits = need };
	d.renew = need && now;
	d.waits = need && !now;
	d.recreate = in->booting && is_vol(in);
	return d;
}
