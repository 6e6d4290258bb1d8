/* ops.c - what the operations share (ops-internal.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "ops-internal.h"

void ops_done(struct bl_ops *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(o->object, sizeof(o->object), fmt, ap);
	va_end(ap);
}

void ops_say(struct bl_ops *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(o->what, sizeof(o->what), fmt, ap);
	va_end(ap);
}

void ops_add(struct bl_ops *o, const char *fmt, ...)
{
	size_t n = strlen(o->what);
	va_list ap;
	va_start(ap, fmt);
	if (n < sizeof(o->what) - 1)
		vsnprintf(o->what + n, sizeof(o->what) - n, fmt, ap);
	va_end(ap);
}

int ops_logged(struct bl_ops *o)
{
	if (bl_db_log_event(o->db, o->object, "%s", o->what) < 0)
		fprintf(stderr, "warning: event log: %s\n", bl_last_error());
	return 0;
}

int ops_online(struct bl_ops *o, const char *mac)
{
	return o->online ? o->online(o->ctx, mac) : -1;
}

