/* Input validation. Messages quote the input through show() so that a hostile string (newline,
 * escape sequence, megabytes of text) cannot garble the admin's terminal or the journal. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "validate.h"

/* A printable, bounded rendering of s for error messages (per-thread, reused by each call;
 * four slots so one message can show several inputs). */
static const char *show(const char *s)
{
	static _Thread_local char bufs[4][96];
	static _Thread_local int next;
	char *b = bufs[next++ & 3];
	size_t o = 0;

	if (!s)
		return "(null)";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (o + 5 >= sizeof(bufs[0]) - 4) {
			strcpy(b + o, "...");
			return b;
		}
		if (*p < 0x20 || *p >= 0x7f || *p == '\\')
			o += (size_t)sprintf(b + o, "\\x%02x", *p);
		else
			b[o++] = (char)*p;
	}
	b[o] = '\0';
	return b;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int bl_mac_parse(const char *in, char out[BL_MAC_LEN])
{
	unsigned char b[6];
	size_t len = in ? strlen(in) : 0;
	const char *p = in;
	int n = 0;

	/* Accepted layouts, by length: 17 "xx:xx:.." or "xx-xx-..", 14 "xxxx.xxxx.xxxx", 12 bare. */
	if (len == 17) {
		char sep = in[2];
		if (sep != ':' && sep != '-')
			goto bad;
		for (int i = 0; i < 6; i++) {
			if (i > 0 && p[-1] != sep)
				goto bad;
			int h = hexval(p[0]), l = hexval(p[1]);
			if (h < 0 || l < 0)
				goto bad;
			b[n++] = (unsigned char)(h << 4 | l);
			p += 3;
		}
	} else if (len == 14 || len == 12) {
		for (size_t i = 0; i < len; i++) {
			if (len == 14 && (i == 4 || i == 9)) {
				if (in[i] != '.')
					goto bad;
				continue;
			}
			int v = hexval(in[i]);
			if (v < 0)
				goto bad;
			if (n / 2 >= 6)
				goto bad;
			if ((n & 1) == 0)
				b[n / 2] = (unsigned char)(v << 4);
			else
				b[n / 2] |= (unsigned char)v;
			n++;
		}
		if (n != 12)
			goto bad;
	} else {
		goto bad;
	}
	if (b[0] & 1)
		return bl_fail(-EINVAL, "MAC '%s': multicast address, not a network card", show(in));
	if (!(b[0] | b[1] | b[2] | b[3] | b[4] | b[5]))
		return bl_fail(-EINVAL, "MAC '%s': all-zero address", show(in));
	snprintf(out, BL_MAC_LEN, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
	return 0;
bad:
	return bl_fail(-EINVAL, "MAC '%s': expected 6 hex bytes as aa:bb:cc:dd:ee:ff, "
		       "aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff or aabbccddeeff", show(in));
}

void bl_mac12(const char *mac, char out[BL_MAC12_LEN])
{
	size_t o = 0;

	for (const char *p = mac; *p && o < BL_MAC12_LEN - 1; p++)
		if (*p != ':')
			out[o++] = *p;
	out[o] = '\0';
}

int bl_hostname_check(const char *name)
{
	size_t len = name ? strlen(name) : 0, label = 0;

	if (len == 0 || len > BL_HOSTNAME_MAX)
		return bl_fail(-EINVAL, "host name '%s': must be 1 to %d characters", show(name),
			       BL_HOSTNAME_MAX);
	for (size_t i = 0; i <= len; i++) {
		char c = name[i];
		if (c == '.' || c == '\0') {
			if (label == 0)
				return bl_fail(-EINVAL, "host name '%s': empty label", show(name));
			if (name[i - 1] == '-')
				return bl_fail(-EINVAL, "host name '%s': a label may not end with '-'",
					       show(name));
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return bl_fail(-EINVAL, "host name '%s': only lowercase letters, digits, '-' "
				       "and '.' are allowed (RFC 1123)", show(name));
		if (c == '-' && label == 0)
			return bl_fail(-EINVAL, "host name '%s': a label may not start with '-'",
				       show(name));
		if (++label > 63)
			return bl_fail(-EINVAL, "host name '%s': a label is longer than 63 characters",
				       show(name));
	}
	return 0;
}

int bl_image_name_check(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len > BL_IMAGE_NAME_MAX)
		return bl_fail(-EINVAL, "image name '%s': must be 1 to %d characters", show(name),
			       BL_IMAGE_NAME_MAX);
	if (!isalnum((unsigned char)name[0]))
		return bl_fail(-EINVAL, "image name '%s': must start with a letter or digit",
			       show(name));
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
			return bl_fail(-EINVAL, "image name '%s': only letters, digits, '.', '_' "
				       "and '-' are allowed", show(name));
	return 0;
}

/* Parses a dotted quad strictly; returns the address in host order or -1. */
static long long parse_ipv4(const char *s, const char **end)
{
	unsigned long long v = 0;
	const char *p = s;

	for (int i = 0; i < 4; i++) {
		if (i > 0) {
			if (*p != '.')
				return -1;
			p++;
		}
		if (!isdigit((unsigned char)*p))
			return -1;
		if (p[0] == '0' && isdigit((unsigned char)p[1]))
			return -1;	/* leading zeros read as octal by some tools */
		unsigned o = 0;
		int digits = 0;
		while (isdigit((unsigned char)*p) && digits < 4) {
			o = o * 10 + (unsigned)(*p++ - '0');
			digits++;
		}
		if (o > 255 || digits > 3)
			return -1;
		v = v << 8 | o;
	}
	*end = p;
	return (long long)v;
}

int bl_ipv4_check(const char *addr)
{
	const char *end = NULL;
	long long v = addr ? parse_ipv4(addr, &end) : -1;

	if (v < 0 || *end)
		return bl_fail(-EINVAL, "IPv4 address '%s': expected a.b.c.d with each part 0-255 "
			       "and no leading zeros", show(addr));
	if (v == 0 || v == 0xffffffffLL)
		return bl_fail(-EINVAL, "IPv4 address '%s': not a host address", show(addr));
	return 0;
}

int bl_ipv4_cidr_check(const char *cidr)
{
	const char *end = NULL;
	long long v = cidr ? parse_ipv4(cidr, &end) : -1;
	char *e2;

	if (v < 0 || *end != '/' || !isdigit((unsigned char)end[1]))
		goto bad;
	long len = strtol(end + 1, &e2, 10);
	if (*e2 || len < 0 || len > 32 || (end[1] == '0' && end[2]))
		goto bad;
	return 0;
bad:
	return bl_fail(-EINVAL, "subnet '%s': expected a.b.c.d/prefix-length", show(cidr));
}

int bl_path_chars_check(const char *what, const char *path)
{
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		if (*p <= ' ' || *p == 0x7f || strchr(",;=\"'`\\$", *p))
			return bl_fail(-EINVAL, "%s '%s': character '%s' is not allowed in bootlink "
				       "paths (no whitespace, control characters, quotes, "
				       "backslash, $, ',', ';' or '=')", what, show(path),
				       *p <= ' ' || *p == 0x7f ? "control/space" :
				       (char[2]){ (char)*p, 0 });
	return 0;
}

int bl_path_check(const char *what, const char *path)
{
	size_t len = path ? strlen(path) : 0;

	if (len == 0 || path[0] != '/')
		return bl_fail(-EINVAL, "%s '%s': must be an absolute path", what, show(path));
	if (len >= PATH_MAX)
		return bl_fail(-EINVAL, "%s '%s': longer than %d bytes", what, show(path),
			       PATH_MAX - 1);
	int r = bl_path_chars_check(what, path);
	if (r < 0)
		return r;
	if (len > 1 && path[len - 1] == '/')
		return bl_fail(-EINVAL, "%s '%s': must not end with '/'", what, show(path));
	for (const char *p = path; *p; p++) {
		if (*p != '/')
			continue;
		const char *c = p + 1;
		size_t n = strcspn(c, "/");
		if ((n == 0 && *c) || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return bl_fail(-EINVAL, "%s '%s': must be normalized (no '//', '.' or '..' "
				       "components)", what, show(path));
	}
	return 0;
}

int bl_path_absolute(const char *path, char *out)
{
	char tmp[PATH_MAX];
	size_t o = 0;

	if (!path || !*path)
		return bl_fail(-EINVAL, "path '': empty");
	if (path[0] == '/') {
		if (strlen(path) >= sizeof(tmp))
			return bl_fail(-ENAMETOOLONG, "path '%s': too long", show(path));
		strcpy(tmp, path);
	} else {
		if (!getcwd(tmp, sizeof(tmp)))
			return bl_fail(-errno, "path '%s': cannot get the current directory: %s",
				       show(path), strerror(errno));
		if (strlen(tmp) + 1 + strlen(path) >= sizeof(tmp))
			return bl_fail(-ENAMETOOLONG, "path '%s': too long", show(path));
		strcat(tmp, "/");
		strcat(tmp, path);
	}
	/* lexical normalization into out */
	out[0] = '\0';
	for (char *save = NULL, *c = strtok_r(tmp, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..")) {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			out[o] = '\0';
			continue;
		}
		out[o++] = '/';
		size_t n = strlen(c);
		memcpy(out + o, c, n);
		o += n;
		out[o] = '\0';
	}
	if (o == 0)
		strcpy(out, "/");
	return 0;
}

int bl_path_within(const char *what, const char *path, const char *dir, char *out)
{
	char rdir[PATH_MAX];

	if (!realpath(dir, rdir))
		return bl_fail(-errno, "%s directory %s: %s", what, show(dir), strerror(errno));
	if (!realpath(path, out)) {
		int e = errno;
		return bl_fail(-e, "%s '%s': %s", what, show(path), strerror(e));
	}
	size_t n = strlen(rdir);
	if (strcmp(rdir, "/") != 0 &&
	    (strncmp(out, rdir, n) != 0 || (out[n] != '/' && out[n] != '\0')))
		return bl_fail(-EINVAL, "%s '%s': resolves to %s, outside %s", what, show(path),
			       show(out), show(rdir));
	return bl_path_check(what, out);
}

static int chap_chars(const char *what, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || strchr("\"'`\\$;,=", *p))
			return bl_fail(-EINVAL, "CHAP %s: only printable ASCII without spaces, "
				       "quotes, backslash, $ ; , = is allowed", what);
	return 0;
}

int bl_chap_user_check(const char *user)
{
	size_t len = user ? strlen(user) : 0;

	if (len == 0 || len > 255)
		return bl_fail(-EINVAL, "CHAP user '%s': must be 1 to 255 characters", show(user));
	return chap_chars("user", user);
}

int bl_chap_secret_check(const char *secret)
{
	size_t len = secret ? strlen(secret) : 0;

	/* the secret itself is never echoed */
	if (len < 12 || len > 16)
		return bl_fail(-EINVAL, "CHAP secret: must be 12 to 16 characters (Windows "
			       "initiators refuse others), got %zu", len);
	return chap_chars("secret", secret);
}

int bl_iqn_prefix_check(const char *prefix)
{
	size_t len = prefix ? strlen(prefix) : 0;
	const char *p = prefix;

	if (len < 12 || len > 200 || strncmp(p, "iqn.", 4) != 0)
		goto bad;
	for (int i = 4; i < 11; i++)
		if (i == 8 ? p[i] != '-' : !isdigit((unsigned char)p[i]))
			goto bad;
	if (p[11] != '.' || !p[12])
		goto bad;
	for (p += 12; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || isdigit((unsigned char)*p) || strchr(".-:", *p)))
			goto bad;
	return 0;
bad:
	return bl_fail(-EINVAL, "IQN prefix '%s': expected iqn.YYYY-MM.reversed.domain of "
		       "lowercase letters, digits, '.', '-' and ':' (at most 200 characters)",
		       show(prefix));
}

