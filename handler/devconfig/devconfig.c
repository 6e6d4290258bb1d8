/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "devconfig.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *bad_char(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c == 0x7f || strchr(",'\"\\", c))
			return s + i;
	}
	return NULL;
}

/* Copy an absolute path of length n into dst, refusing what configfs or TCMU would mangle. */
static int take_path(const char *what, const char *s, size_t n, char *dst, char *err, size_t errlen)
{
	const char *bad;

	if (n == 0 || s[0] != '/') {
		snprintf(err, errlen, "%s '%.*s' is not an absolute path", what, (int)n, s);
		return -EINVAL;
	}
	if (n >= PATH_MAX) {
		snprintf(err, errlen, "%s is longer than %d bytes", what, PATH_MAX - 1);
		return -EINVAL;
	}
	if ((bad = bad_char(s, n))) {
		snprintf(err, errlen, "%s '%.*s' contains a forbidden character (0x%02x at byte %zu)",
			 what, (int)n, s, (unsigned char)*bad, (size_t)(bad - s));
		return -EINVAL;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

int bl_devconfig_parse(const char *s, struct bl_devconfig *out, char *err, size_t errlen)
{
	const char *prefix = BL_DEVCONFIG_SUBTYPE "/";
	char dummy[1];
	int r;

	if (!err) {
		err = dummy;
		errlen = sizeof dummy;
	}
	memset(out, 0, sizeof *out);
	if (!s) {
		snprintf(err, errlen, "no config string");
		return -EINVAL;
	}
	if (!strncmp(s, prefix, strlen(prefix)))
		s += strlen(prefix);

	size_t n = strcspn(s, ";");
	r = take_path("overlay path", s, n, out->overlay, err, errlen);
	if (r)
		return r;
	s += n;
	while (*s == ';') {
		s++;
		n = strcspn(s, ";");
		if (n == 8 && !strncmp(s, "volatile", 8)) {
			out->is_volatile = true;
		} else if (n > 8 && !strncmp(s, "backing=", 8)) {
			r = take_path("backing path", s + 8, n - 8, out->backing, err, errlen);
			if (r)
				return r;
		} else {
			snprintf(err, errlen, "unknown option '%.*s' (known: volatile, backing=PATH)", (int)n, s);
			return -EINVAL;
		}
		s += n;
	}
	return 0;
}

int bl_devconfig_format(const struct bl_devconfig *c, char *out, size_t len, char *err,
			size_t errlen)
{
	char dummy[1], tmp[PATH_MAX];
	if (!err) {
		err = dummy;
		errlen = sizeof dummy;
	}
	int r = take_path("overlay path", c->overlay, strlen(c->overlay), tmp, err, errlen);
	if (r == 0 && c->backing[0])
		r = take_path("backing path", c->backing, strlen(c->backing), tmp, err, errlen);
	if (r)
		return r;
	int n = snprintf(out, len, BL_DEVCONFIG_SUBTYPE "/%s%s%s%s", c->overlay,
			 c->is_volatile ? ";volatile" : "", c->backing[0] ? ";backing=" : "",
			 c->backing);
	if (n < 0 || n > BL_DEVCONFIG_MAX || (size_t)n >= len) {
		snprintf(err, errlen, "the TCMU config string would be %d bytes, the kernel keeps %d "
			 "and would cut off the rest (use a shorter directory): %s", n,
			 BL_DEVCONFIG_MAX, c->overlay);
		return -ENAMETOOLONG;
	}
	return 0;
}
