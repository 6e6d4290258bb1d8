/* opts.c - blrbd's checks and conversions that need no cluster: names, object sizes, features,
 * the error buffer, and the zero-run scan of the importer. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static _Thread_local char last_error[1024];

int blrbd_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return err;
}

void blrbd_clear_error(void)
{
	last_error[0] = '\0';
}

const char *blrbd_error(void)
{
	return last_error;
}

static const struct {
	const char *name;
	uint64_t bit;
} features[] = {
	{ "layering", BLRBD_FEAT_LAYERING },
	{ "exclusive-lock", BLRBD_FEAT_EXCLUSIVE_LOCK },
	{ "object-map", BLRBD_FEAT_OBJECT_MAP },
	{ "fast-diff", BLRBD_FEAT_FAST_DIFF },
	{ "deep-flatten", BLRBD_FEAT_DEEP_FLATTEN },
};
#define NFEATURES (sizeof(features) / sizeof(features[0]))
#define KNOWN (BLRBD_FEATURES_DEFAULT)

int blrbd_features_parse(const char *s, uint64_t *out)
{
	uint64_t bits = 0;
	const char *p = s;

	if (!s || !*s)
		return blrbd_fail(-EINVAL, "rbd features: empty list");
	if (strcmp(s, "default") == 0) {
		*out = BLRBD_FEATURES_DEFAULT;
		return 0;
	}
	while (*p) {
		size_t n = strcspn(p, ",");
		size_t i;

		for (i = 0; i < NFEATURES; i++)
			if (strlen(features[i].name) == n && strncmp(p, features[i].name, n) == 0)
				break;
		if (i == NFEATURES)
			return blrbd_fail(-EINVAL, "rbd features: '%.*s' is not one bootlink uses "
					  "(layering, exclusive-lock, object-map, fast-diff, deep-flatten)",
					  (int)n, p);
		bits |= features[i].bit;
		p += n;
		if (*p == ',' && *++p == '\0')
			return blrbd_fail(-EINVAL, "rbd features: '%s' ends with a comma", s);
	}
	*out = bits;
	return 0;
}

int blrbd_features_format(uint64_t bits, char *buf, size_t len)
{
	size_t used = 0;

	if (len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	for (size_t i = 0; i < NFEATURES; i++) {
		if (!(bits & features[i].bit))
			continue;
		int n = snprintf(buf + used, len - used, "%s%s", used ? "," : "", features[i].name);
		if (n < 0 || (size_t)n >= len - used)
			return -ENOSPC;
		used += (size_t)n;
	}
	return (int)used;
}

int blrbd_order(uint64_t object_size)
{
	int order = 0;

	while (object_size > 1) {
		object_size >>= 1;
		order++;
	}
	return order;
}

int blrbd_check_opts(const struct blrbd_image_opts *o)
{
	uint64_t f;

	if (!o)
		return 0;
	if (o->object_size) {
		if (o->object_size & (o->object_size - 1))
			return blrbd_fail(-EINVAL, "rbd object size %llu is not a power of two",
					  (unsigned long long)o->object_size);
		if (o->object_size < BLRBD_OBJECT_SIZE_MIN || o->object_size > BLRBD_OBJECT_SIZE_MAX)
			return blrbd_fail(-EINVAL, "rbd object size %llu is outside 4 KiB..32 MiB",
					  (unsigned long long)o->object_size);
	}
	f = o->features ? o->features : BLRBD_FEATURES_DEFAULT;
	if (f & ~KNOWN)
		return blrbd_fail(-EINVAL, "rbd features 0x%llx: bits bootlink does not use (0x%llx)",
				  (unsigned long long)f, (unsigned long long)(f & ~KNOWN));
	if (!(f & BLRBD_FEAT_LAYERING))
		return blrbd_fail(-EINVAL, "rbd features: layering is needed (client disks are clones)");
	if ((f & BLRBD_FEAT_FAST_DIFF) && !(f & BLRBD_FEAT_OBJECT_MAP))
		return blrbd_fail(-EINVAL, "rbd features: fast-diff needs object-map");
	if ((f & BLRBD_FEAT_OBJECT_MAP) && !(f & BLRBD_FEAT_EXCLUSIVE_LOCK))
		return blrbd_fail(-EINVAL, "rbd features: object-map needs exclusive-lock");
	return 0;
}

int blrbd_check_name(const char *what, const char *name)
{
	size_t n;

	if (!name || !*name)
		return blrbd_fail(-EINVAL, "rbd %s name is empty", what);
	n = strlen(name);
	if (n > BLRBD_NAME_MAX)
		return blrbd_fail(-ENAMETOOLONG, "rbd %s name '%.40s...' is longer than %d bytes",
				  what, name, BLRBD_NAME_MAX);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		/* '/' separates pool and namespace, '@' the snapshot, in every tool's image spec. */
		if (c == '/' || c == '@' || c < 0x20 || c == 0x7f)
			return blrbd_fail(-EINVAL, "rbd %s name '%s' holds '%s' (not allowed: '/', '@', "
					  "control characters)", what, name,
					  c == '/' ? "/" : c == '@' ? "@" : "a control character");
	}
	return 0;
}

bool blrbd_all_zero(const void *buf, size_t len)
{
	const unsigned char *p = buf;

	/* Compare the buffer with itself shifted by one: zero iff the first byte is and all equal. */
	return len == 0 || (p[0] == 0 && memcmp(p, p + 1, len - 1) == 0);
}

size_t blrbd_next_data_run(const unsigned char *buf, size_t len, size_t piece, size_t *off)
{
	size_t o = *off, end;

	while (o < len && blrbd_all_zero(buf + o, piece < len - o ? piece : len - o))
		o += piece < len - o ? piece : len - o;
	end = o;
	while (end < len && !blrbd_all_zero(buf + end, piece < len - end ? piece : len - end))
		end += piece < len - end ? piece : len - end;
	*off = o;
	return end - o;
}
