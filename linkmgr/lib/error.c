#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

static _Thread_local char last_error[1024];

int bl_fail(int err, const char *fmt, ...)
{
	char msg[sizeof(last_error)];
	va_list ap;

	/* through a copy: a message may quote the previous one ("...: %s", bl_last_error()) */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memcpy(last_error, msg, sizeof(msg));
	return err;
}

const char *bl_last_error(void)
{
	return last_error;
}
