/* log.c - see log.h. One fprintf per line, so lines of threads never interleave. */
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

void bl_log(const char *fmt, ...)
{
	char msg[1024], stamp[40] = "";
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!getenv("JOURNAL_STREAM")) {
		struct timeval tv;
		struct tm tm;
		gettimeofday(&tv, NULL);
		localtime_r(&tv.tv_sec, &tm);
		size_t n = strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
		snprintf(stamp + n, sizeof(stamp) - n, ".%03ld ", (long)(tv.tv_usec / 1000));
	}
	fprintf(stderr, "%slinkmgr: %s\n", stamp, msg);
}
