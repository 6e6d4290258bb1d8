/* names.c - see names.h. */
#include "names.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

static int put(char *out, size_t len, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int put(char *out, size_t len, const char *what, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		return bl_fail(-ENAMETOOLONG, "%s: the name is longer than %zu bytes", what,
			       len ? len - 1 : 0);
	return 0;
}

static int mac12_of(const char *mac, char m12[BL_MAC12_LEN])
{
	char norm[BL_MAC_LEN];
	int r = bl_mac_parse(mac, norm);
	if (r < 0)
		return r;
	bl_mac12(norm, m12);
	return 0;
}

int bl_name_script(const char *mac, char *out, size_t len)
{
	char m12[BL_MAC12_LEN];
	int r = mac12_of(mac, m12);
	return r < 0 ? r : put(out, len, mac, "%s" BL_SCRIPT_SUFFIX, m12);
}

static bool is_hex12(const char *s)
{
	for (int i = 0; i < 12; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

bool bl_name_is_script(const char *name, char mac12[BL_MAC12_LEN])
{
	if (strlen(name) != 12 + strlen(BL_SCRIPT_SUFFIX) || strcmp(name + 12, BL_SCRIPT_SUFFIX)
	    || !is_hex12(name))
		return false;
	if (mac12) {
		memcpy(mac12, name, 12);
		mac12[12] = '\0';
	}
	return true;
}

int bl_name_tftp_dir(const char *mac, char *out, size_t len)
{
	char norm[BL_MAC_LEN];
	int r = bl_mac_parse(mac, norm);
	if (r < 0)
		return r;
	for (char *p = norm; *p; p++)
		if (*p == ':')
			*p = '-';
	return put(out, len, mac, "%s", norm);
}

bool bl_name_is_tftp_dir(const char *name)
{
	if (strlen(name) != 17)
		return false;
	for (int i = 0; i < 17; i++) {
		char c = name[i];
		if (i % 3 == 2 ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

bool bl_name_is_bootfile(const char *base)
{
	return !strcmp(base, BL_BOOTFILE_BIOS) || !strcmp(base, BL_BOOTFILE_UEFI);
}

int bl_name_overlay(const char *overlay_dir, const char *mac, char *out, size_t len)
{
	char m12[BL_MAC12_LEN];
	int r = mac12_of(mac, m12);
	return r < 0 ? r : put(out, len, mac, "%s/%s.ovl", overlay_dir, m12);
}

int bl_name_layer(const char *layer_dir, int64_t image_id, int version, char *out, size_t len)
{
	char what[48];
	snprintf(what, sizeof(what), "layer of image #%" PRId64 " version %d", image_id, version);
	return put(out, len, what, "%s/%" PRId64 "-v%d.layer", layer_dir, image_id, version);
}

int bl_name_backstore(const char *mac, char *out, size_t len)
{
	char m12[BL_MAC12_LEN];
	int r = mac12_of(mac, m12);
	return r < 0 ? r : put(out, len, mac, BL_BACKSTORE_PREFIX "%s", m12);
}

static int iqn(const char *prefix, const char *kind, const char *mac, char *out, size_t len)
{
	char m12[BL_MAC12_LEN];
	int r = mac12_of(mac, m12);
	return r < 0 ? r : put(out, len, mac, "%s:%s-%s", prefix, kind, m12);
}

int bl_target_iqn(const char *prefix, const char *mac, char *out, size_t len)
{
	return iqn(prefix, "target", mac, out, len);
}

int bl_initiator_iqn(const char *prefix, const char *mac, char *out, size_t len)
{
	return iqn(prefix, "client", mac, out, len);
}

int bl_name_tpg(const char *target_iqn, char *out, size_t len)
{
	return put(out, len, target_iqn, "iscsi/%s/" BL_TPG, target_iqn);
}

static const char *const modes[] = { [BL_MODE_VOLATILE] = "volatile",
				     [BL_MODE_PERSISTENT] = "persistent" };
static const char *const roles[] = { [BL_ROLE_NORMAL] = "normal", [BL_ROLE_SUPER] = "super" };

const char *bl_mode_name(enum bl_mode m)
{
	return (size_t)m < 2 ? modes[m] : "?";
}

int bl_mode_parse(const char *s, enum bl_mode *out)
{
	for (size_t i = 0; i < 2; i++)
		if (s && !strcmp(s, modes[i])) {
			*out = (enum bl_mode)i;
			return 0;
		}
	return bl_fail(-EINVAL, "mode '%s': expected volatile or persistent", s ? s : "");
}

const char *bl_role_name(enum bl_role r)
{
	return (size_t)r < 2 ? roles[r] : "?";
}

int bl_role_parse(const char *s, enum bl_role *out)
{
	for (size_t i = 0; i < 2; i++)
		if (s && !strcmp(s, roles[i])) {
			*out = (enum bl_role)i;
			return 0;
		}
	return bl_fail(-EINVAL, "role '%s': expected normal or super", s ? s : "");
}

bool bl_update_pending(const struct bl_client *c, int current_version)
{
	return c->booted_version >= 0 && c->booted_version != current_version
	       && c->role != BL_ROLE_SUPER;
}

const char *bl_human_bytes(uint64_t v, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double d = (double)v;
	int u = 0;
	while (d >= 1024 && u < 5) {
		d /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)v);
	else
		snprintf(buf, len, "%.1f %s", d, unit[u]);
	return buf;
}
