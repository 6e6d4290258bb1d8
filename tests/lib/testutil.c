/* testutil.c - see testutil.h. */
#define _XOPEN_SOURCE 700
#include "testutil.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void bl_t_tmpdir(const char *prefix, char dir[64])
{
	snprintf(dir, 64, "/tmp/%s-XXXXXX", prefix);
	if (!mkdtemp(dir)) {
		perror(dir);
		abort();
	}
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

int bl_t_rmrf(const char *dir)
{
	return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0 ? -errno : 0;
}

static void vpath(char *p, size_t len, const char *fmt, va_list ap)
{
	vsnprintf(p, len, fmt, ap);
}

char *bl_t_slurp(const char *fmt, ...)
{
	char p[PATH_MAX];
	va_list ap;
	va_start(ap, fmt);
	vpath(p, sizeof(p), fmt, ap);
	va_end(ap);
	FILE *f = fopen(p, "r");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t len = 0;
	if (getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = strdup("");
	}
	fclose(f);
	return buf;
}

bool bl_t_exists(const char *fmt, ...)
{
	char p[PATH_MAX];
	struct stat st;
	va_list ap;
	va_start(ap, fmt);
	vpath(p, sizeof(p), fmt, ap);
	va_end(ap);
	return lstat(p, &st) == 0;
}
