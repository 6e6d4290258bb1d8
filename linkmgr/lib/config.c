/* linkmgr.conf loading. Table-driven: each scalar key has one entry saying where it goes, its
 * type and its check, so the example file, the defaults and the checks cannot drift apart
 * silently (tests/unit/test-config.c loads the shipped example and compares to defaults). */
#include <ctype.h>
#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bootlink-config.h"
#include "config.h"
#include "devconfig.h"
#include "error.h"
#include "names.h"
#include "validate.h"

enum kind { K_PATH, K_PATH_OPT, K_STR, K_INT, K_BOOL };

struct key {
	const char *name;	/* as in the file; "dhcp.x" keys live in the dhcp group */
	enum kind kind;
	size_t off;
	int min, max;		/* K_INT */
	int (*check)(const char *);	/* K_STR: check of the value */
	const char *rule;		/* what check wants, for messages */
	bool may_be_empty;		/* "" = unset (detect / not sent) */
};

static int check_group(const char *s)
{
	if (strlen(s) > 32 || !(islower((unsigned char)s[0]) || s[0] == '_'))
		return -EINVAL;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_' || *s == '-'))
			return -EINVAL;
	return 0;
}

static int check_ifname(const char *s)
{
	if (strlen(s) > 15)
		return -EINVAL;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '.' || *s == '_' || *s == '-'))
			return -EINVAL;
	return 0;
}

static int check_lease(const char *s)
{
	if (!strcmp(s, "infinite"))
		return 0;
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	while (isdigit((unsigned char)*s))
		s++;
	if (*s && strchr("smhdw", *s))
		s++;
	return *s ? -EINVAL : 0;
}

static int check_netmask(const char *s)
{
	unsigned a, b, c, d;
	char tail;

	if (bl_ipv4_check(s) < 0 && strcmp(s, "255.255.255.255") != 0)
		return -EINVAL;
	if (sscanf(s, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4)
		return -EINVAL;
	unsigned long m = (unsigned long)a << 24 | b << 16 | c << 8 | d;
	unsigned long inv = ~m & 0xffffffffUL;
	return (inv & (inv + 1)) ? -EINVAL : 0;	/* ones then zeros */
}

static int check_ipv4(const char *s)
{
	return bl_ipv4_check(s);
}

static int check_iqn(const char *s)
{
	return bl_iqn_prefix_check(s);
}

#define O(f) offsetof(struct bl_config, f)
static const struct key keys[] = {
	{ "state_dir", K_PATH, O(state_dir), 0, 0, NULL, NULL, false },
	{ "db", K_PATH_OPT, O(db_path), 0, 0, NULL, NULL, false },
	{ "image_dir", K_PATH_OPT, O(image_dir), 0, 0, NULL, NULL, false },
	{ "overlay_dir", K_PATH_OPT, O(overlay_dir), 0, 0, NULL, NULL, false },
	{ "layer_dir", K_PATH_OPT, O(layer_dir), 0, 0, NULL, NULL, false },
	{ "control_socket", K_PATH, O(control_socket), 0, 0, NULL, NULL, false },
	{ "admin_group", K_STR, O(admin_group), 0, 0, check_group,
	  "a group name of lowercase letters, digits, '_' and '-'", false },
	{ "configfs_root", K_PATH, O(configfs_root), 0, 0, NULL, NULL, false },
	{ "hba_index", K_INT, O(hba_index), 0, 1 << 30, NULL, NULL, false },
	{ "max_data_area_mb", K_INT, O(max_data_area_mb), 1, 2048, NULL, NULL, false },
	/* the kernel clamps anything above 8 to 8 and says so only in its log */
	{ "cmd_ring_size_mb", K_INT, O(cmd_ring_size_mb), 1, 8, NULL, NULL, false },
	/* LIO's node attribute limits */
	{ "nopin_timeout", K_INT, O(nopin_timeout), 3, 60, NULL, NULL, false },
	{ "nopin_response_timeout", K_INT, O(nopin_response_timeout), 3, 60, NULL, NULL, false },
	{ "handler_dir", K_PATH, O(handler_dir), 0, 0, NULL, NULL, false },
	{ "iqn_prefix", K_STR, O(iqn_prefix), 0, 0, check_iqn,
	  "iqn.YYYY-MM.reversed.domain (lowercase)", false },
	{ "portal_port", K_INT, O(portal_port), 1, 65535, NULL, NULL, false },
	{ "chap", K_BOOL, O(chap), 0, 0, NULL, NULL, false },
	{ "boot_interface", K_STR, O(boot_interface), 0, 0, check_ifname,
	  "an interface name (at most 15 of letters, digits, '.', '_', '-')", true },
	{ "server_address", K_STR, O(server_address), 0, 0, check_ipv4,
	  "an IPv4 address a.b.c.d, or \"\" to detect", true },
	{ "tftp_root", K_PATH_OPT, O(tftp_root), 0, 0, NULL, NULL, false },
	{ "ipxe_dir", K_PATH, O(ipxe_dir), 0, 0, NULL, NULL, false },
	{ "dnsmasq_dir", K_PATH_OPT, O(dnsmasq_dir), 0, 0, NULL, NULL, false },
	{ "dnsmasq_pid_file", K_PATH, O(dnsmasq_pid_file), 0, 0, NULL, NULL, false },
	{ "dhcp.serve_unknown", K_BOOL, O(serve_unknown), 0, 0, NULL, NULL, false },
	{ "dhcp.lease_time", K_STR, O(lease_time), 0, 0, check_lease,
	  "seconds, optionally with s/m/h/d/w (\"12h\"), or \"infinite\"", false },
	{ "dhcp.router", K_STR, O(router), 0, 0, check_ipv4,
	  "an IPv4 address, or \"\" for none", true },
	{ "dhcp.dns", K_STR, O(dns), 0, 0, check_ipv4,
	  "an IPv4 address, or \"\" for none", true },
};
#undef O

static char **str_at(struct bl_config *cfg, size_t off)
{
	return (char **)((char *)cfg + off);
}

static int set_str(char **dst, const char *v)
{
	char *d = strdup(v);
	if (!d)
		return -ENOMEM;
	free(*dst);
	*dst = d;
	return 0;
}

int bl_config_defaults(struct bl_config *cfg)
{
	int r = 0;

	memset(cfg, 0, sizeof(*cfg));
	cfg->hba_index = 42;
	/* doc/handler.md, "Ring size": 8 MiB holds all a LUN's initiator can have in flight, and
	 * a 1 MiB command ring instead of the kernel's 8 saves 7 MB of vmalloc per device. */
	cfg->max_data_area_mb = 8;
	cfg->cmd_ring_size_mb = 1;
	/* A PC that powers off never logs out: its session is dropped after about the sum of
	 * these (linkmgr.conf). iPXE answers no NOP-In, so LIO drops its pre-OS session that long
	 * after its login, and iPXE logs in again at its next disk command. */
	cfg->nopin_timeout = 10;
	cfg->nopin_response_timeout = 10;
	cfg->portal_port = 3260;
	cfg->chap = true;
	cfg->dhcp_mode = BL_DHCP_FULL;
	r |= set_str(&cfg->state_dir, BOOTLINK_STATEDIR);
	r |= set_str(&cfg->control_socket, BOOTLINK_RUNDIR "/linkmgr.sock");
	r |= set_str(&cfg->admin_group, "bootlink");
	r |= set_str(&cfg->configfs_root, "/sys/kernel/config");
	r |= set_str(&cfg->handler_dir, BOOTLINK_HANDLER_DIR);
	r |= set_str(&cfg->iqn_prefix, "iqn.2026-11.org.bootlink");
	r |= set_str(&cfg->boot_interface, "");
	r |= set_str(&cfg->server_address, "");
	r |= set_str(&cfg->ipxe_dir, BOOTLINK_IPXE_DIR);
	r |= set_str(&cfg->dnsmasq_pid_file, BOOTLINK_RUNDIR "/dnsmasq.pid");
	r |= set_str(&cfg->lease_time, "12h");
	r |= set_str(&cfg->router, "");
	r |= set_str(&cfg->dns, "");
	/* the K_PATH_OPT keys stay NULL here and are derived from state_dir by derive() */
	if (r) {
		bl_config_free(cfg);
		return bl_fail(-ENOMEM, "configuration: out of memory");
	}
	return 0;
}

static int derive(struct bl_config *cfg)
{
	static const struct { size_t off; const char *leaf; } d[] = {
		{ offsetof(struct bl_config, db_path), "bootlink.db" },
		{ offsetof(struct bl_config, image_dir), "images" },
		{ offsetof(struct bl_config, overlay_dir), "overlays" },
		{ offsetof(struct bl_config, layer_dir), "layers" },
		{ offsetof(struct bl_config, tftp_root), "tftp" },
		{ offsetof(struct bl_config, dnsmasq_dir), "dnsmasq" },
	};
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		char **p = str_at(cfg, d[i].off);
		if (*p && **p)
			continue;
		free(*p);
		if (asprintf(p, "%s/%s", strcmp(cfg->state_dir, "/") ? cfg->state_dir : "",
			     d[i].leaf) < 0) {
			*p = NULL;
			return bl_fail(-ENOMEM, "configuration: out of memory");
		}
	}
	/* The kernel keeps only so much of a backstore's config string and cuts the rest without
	 * a word (";volatile" would fall off): refuse an overlay_dir too long for any client. */
	struct bl_devconfig dc = { .is_volatile = true };
	char buf[BL_DEVCONFIG_MAX + 1], err[512];
	/* every client's overlay name has the same length */
	int r = bl_name_overlay(cfg->overlay_dir, "02:00:00:00:00:00", dc.overlay,
				sizeof(dc.overlay));
	if (r == -ENAMETOOLONG)
		return bl_fail(r, "overlay_dir '%s': too long for an overlay path", cfg->overlay_dir);
	if (r < 0)
		return r;
	r = bl_devconfig_format(&dc, buf, sizeof(buf), err, sizeof(err));
	if (r < 0)
		return bl_fail(-EINVAL, "overlay_dir '%s': %s", cfg->overlay_dir, err);
	return 0;
}

static void free_ranges(struct bl_dhcp_range *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(r[i].start);
		free(r[i].end);
		free(r[i].netmask);
		free(r[i].lease_time);
	}
	free(r);
}

void bl_config_free(struct bl_config *cfg)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (keys[i].kind != K_INT && keys[i].kind != K_BOOL)
			free(*str_at(cfg, keys[i].off));
	free_ranges(cfg->ranges, cfg->n_ranges);
	free_ranges(cfg->relay_ranges, cfg->n_relay_ranges);
	for (size_t i = 0; i < cfg->n_proxy_subnets; i++)
		free(cfg->proxy_subnets[i]);
	free(cfg->proxy_subnets);
	free(cfg->path);
	memset(cfg, 0, sizeof(*cfg));
}

/* "file:line: key: " prefix for a setting */
static int bad(const char *file, const config_setting_t *s, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int bad(const char *file, const config_setting_t *s, const char *key, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return bl_fail(-EINVAL, "%s:%u: %s: %s", file, s ? config_setting_source_line(s) : 0u,
		       key, msg);
}

static int load_key(const char *file, const config_setting_t *s, const struct key *k,
		    struct bl_config *cfg)
{
	int type = config_setting_type(s);

	switch (k->kind) {
	case K_INT: {
		if (type != CONFIG_TYPE_INT)
			return bad(file, s, k->name, "expected an integer");
		int v = config_setting_get_int(s);
		if (v < k->min || v > k->max)
			return bad(file, s, k->name, "%d is out of range %d..%d", v, k->min, k->max);
		*(int *)((char *)cfg + k->off) = v;
		return 0;
	}
	case K_BOOL:
		if (type != CONFIG_TYPE_BOOL)
			return bad(file, s, k->name, "expected true or false");
		*(bool *)((char *)cfg + k->off) = config_setting_get_bool(s);
		return 0;
	default:
		break;
	}
	if (type != CONFIG_TYPE_STRING)
		return bad(file, s, k->name, "expected a string in double quotes");
	const char *v = config_setting_get_string(s);
	if (k->kind == K_PATH || (k->kind == K_PATH_OPT && *v)) {
		if (bl_path_check("path", v) < 0)
			return bad(file, s, k->name, "%s", bl_last_error());
	} else if (k->kind == K_STR && (*v || !k->may_be_empty) && k->check(v) < 0) {
		return bad(file, s, k->name, "invalid value '%.64s': expected %s", v, k->rule);
	}
	return set_str(str_at(cfg, k->off), v) ? bl_fail(-ENOMEM, "out of memory") : 0;
}

static int load_ranges(const char *file, const config_setting_t *list, const char *key,
		       struct bl_dhcp_range **out, size_t *n)
{
	if (!config_setting_is_list(list))
		return bad(file, list, key, "expected a list: ( { start = \"...\"; end = \"...\"; } )");
	int count = config_setting_length(list);
	*out = calloc((size_t)count + 1, sizeof(**out));
	if (!*out)
		return bl_fail(-ENOMEM, "out of memory");
	*n = (size_t)count;
	for (int i = 0; i < count; i++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		struct bl_dhcp_range *r = &(*out)[i];
		if (!config_setting_is_group(g))
			return bad(file, g, key, "element %d: expected a group { start = ...; end = ...; }", i + 1);
		for (int j = 0; j < config_setting_length(g); j++) {
			const config_setting_t *f = config_setting_get_elem(g, (unsigned)j);
			const char *name = config_setting_name(f), *v;
			char **dst;
			int (*check)(const char *);
			if (!strcmp(name, "start"))
				dst = &r->start, check = check_ipv4;
			else if (!strcmp(name, "end"))
				dst = &r->end, check = check_ipv4;
			else if (!strcmp(name, "netmask"))
				dst = &r->netmask, check = check_netmask;
			else if (!strcmp(name, "lease_time"))
				dst = &r->lease_time, check = check_lease;
			else
				return bad(file, f, key, "unknown key '%s' in a range (start, end, "
					   "netmask, lease_time)", name);
			if (config_setting_type(f) != CONFIG_TYPE_STRING)
				return bad(file, f, key, "%s: expected a string", name);
			v = config_setting_get_string(f);
			if (check(v) < 0)
				return bad(file, f, key, "%s: invalid value '%s'", name, v);
			if (set_str(dst, v))
				return bl_fail(-ENOMEM, "out of memory");
		}
		if (!r->start || !r->end)
			return bad(file, g, key, "element %d: start and end are required", i + 1);
	}
	return 0;
}

static int load_subnets(const char *file, const config_setting_t *a, struct bl_config *cfg)
{
	const char *key = "dhcp.proxy_subnets";

	if (!config_setting_is_array(a) && !config_setting_is_list(a))
		return bad(file, a, key, "expected an array of strings: [ \"192.168.1.0/24\" ]");
	int count = config_setting_length(a);
	cfg->proxy_subnets = calloc((size_t)count + 1, sizeof(char *));
	if (!cfg->proxy_subnets)
		return bl_fail(-ENOMEM, "out of memory");
	for (int i = 0; i < count; i++) {
		const config_setting_t *e = config_setting_get_elem(a, (unsigned)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return bad(file, e, key, "expected strings");
		const char *v = config_setting_get_string(e);
		if (bl_ipv4_cidr_check(v) < 0)
			return bad(file, e, key, "%s", bl_last_error());
		if (!(cfg->proxy_subnets[i] = strdup(v)))
			return bl_fail(-ENOMEM, "out of memory");
		cfg->n_proxy_subnets++;
	}
	return 0;
}

static int load_setting(const char *file, const char *prefix, const config_setting_t *s,
			struct bl_config *cfg)
{
	char full[128];
	const char *name = config_setting_name(s);

	snprintf(full, sizeof(full), "%s%s", prefix, name ? name : "?");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(keys[i].name, full))
			return load_key(file, s, &keys[i], cfg);
	if (!strcmp(full, "dhcp")) {
		if (!config_setting_is_group(s))
			return bad(file, s, full, "expected a group: dhcp = { ... };");
		for (int j = 0; j < config_setting_length(s); j++) {
			int r = load_setting(file, "dhcp.", config_setting_get_elem(s, (unsigned)j), cfg);
			if (r < 0)
				return r;
		}
		return 0;
	}
	if (!strcmp(full, "dhcp.mode")) {
		const char *v = config_setting_type(s) == CONFIG_TYPE_STRING ?
				config_setting_get_string(s) : "";
		if (!strcmp(v, "full"))
			cfg->dhcp_mode = BL_DHCP_FULL;
		else if (!strcmp(v, "proxy"))
			cfg->dhcp_mode = BL_DHCP_PROXY;
		else
			return bad(file, s, full, "expected \"full\" or \"proxy\"");
		return 0;
	}
	if (!strcmp(full, "dhcp.ranges"))
		return load_ranges(file, s, full, &cfg->ranges, &cfg->n_ranges);
	if (!strcmp(full, "dhcp.relay_ranges"))
		return load_ranges(file, s, full, &cfg->relay_ranges, &cfg->n_relay_ranges);
	if (!strcmp(full, "dhcp.proxy_subnets"))
		return load_subnets(file, s, cfg);
	return bad(file, s, full, "unknown key (the example linkmgr.conf lists every valid key)");
}

int bl_config_load(const char *path, struct bl_config *cfg)
{
	config_t c;
	int r;

	if (!path)
		path = BL_CONFIG_DEFAULT_PATH;
	r = bl_config_defaults(cfg);
	if (r < 0)
		return r;
	FILE *f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return derive(cfg);
		r = -errno;
		bl_config_free(cfg);
		return bl_fail(r, "%s: %s", path, strerror(-r));
	}
	struct stat sb;
	if (fstat(fileno(f), &sb) < 0 || !S_ISREG(sb.st_mode)) {
		fclose(f);
		bl_config_free(cfg);
		return bl_fail(-EINVAL, "%s: not a regular file", path);
	}
	config_init(&c);
	if (!config_read(&c, f)) {
		r = bl_fail(-EINVAL, "%s:%d: syntax error: %s", path, config_error_line(&c),
			    config_error_text(&c));
		goto out;
	}
	const config_setting_t *root = config_root_setting(&c);
	for (int i = 0; i < config_setting_length(root); i++) {
		r = load_setting(path, "", config_setting_get_elem(root, (unsigned)i), cfg);
		if (r < 0)
			goto out;
	}
	if (cfg->dhcp_mode == BL_DHCP_PROXY && (cfg->n_ranges || cfg->n_relay_ranges)) {
		const config_setting_t *s = config_lookup(&c, cfg->n_ranges ? "dhcp.ranges"
							  : "dhcp.relay_ranges");
		r = bad(path, s, cfg->n_ranges ? "dhcp.ranges" : "dhcp.relay_ranges",
			"address ranges need dhcp.mode = \"full\"; proxy mode uses dhcp.proxy_subnets");
		goto out;
	}
	for (size_t i = 0; i < cfg->n_relay_ranges; i++) {
		if (!cfg->relay_ranges[i].netmask) {
			const config_setting_t *s = config_lookup(&c, "dhcp.relay_ranges");
			r = bad(path, s, "dhcp.relay_ranges", "element %zu: netmask is required "
				"for a subnet behind a relay", i + 1);
			goto out;
		}
	}
	r = set_str(&cfg->path, path);
	if (r == 0)
		r = derive(cfg);
out:
	config_destroy(&c);
	fclose(f);
	if (r < 0)
		bl_config_free(cfg);
	return r;
}
