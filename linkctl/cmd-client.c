/* linkctl client ...: MAC links. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "cli.h"
#include "error.h"
#include "names.h"
#include "validate.h"

static int client_arg(struct cli *cli, const char *in, struct bl_client *c)
{
	char mac[BL_MAC_LEN];

	if (arg_mac(cli, in, mac) || cli_db(cli))
		return EXIT_FAILED;
	if (bl_db_client_get(cli->db, mac, c) < 0)
		return fail_last(cli);
	return 0;
}

/* 16 characters from an alphabet every initiator and every generated file accepts. */
static int random_secret(char out[17])
{
	static const char abc[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	unsigned char b[16];

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		return -errno;
	for (int i = 0; i < 16; i++)
		out[i] = abc[b[i] % (sizeof(abc) - 1)];
	out[16] = '\0';
	return 0;
}

static const char *image_name(struct cli *cli, int64_t id, struct bl_image *img)
{
	if (bl_db_image_get_id(cli->db, id, img) < 0)
		return "?";
	return img->name;
}

/* ---- add ---- */

struct add_opts {
	const char *image, *name, *ip, *mode, *chap_user, *chap_secret;
	bool disabled;
};

static int add_opt(int c, const char *arg, void *ctx)
{
	struct add_opts *o = ctx;
	switch (c) {
	case 'i': o->image = arg; break;
	case 'n': o->name = arg; break;
	case 'a': o->ip = arg; break;
	case 'm': o->mode = arg; break;
	case 'u': o->chap_user = arg; break;
	case 's': o->chap_secret = arg; break;
	case 'd': o->disabled = true; break;
	}
	return 0;
}

static const struct option add_options[] = {
	{ "image", required_argument, NULL, 'i' },
	{ "name", required_argument, NULL, 'n' },
	{ "ip", required_argument, NULL, 'a' },
	{ "mode", required_argument, NULL, 'm' },
	{ "chap-user", required_argument, NULL, 'u' },
	{ "chap-secret", required_argument, NULL, 's' },
	{ "disabled", no_argument, NULL, 'd' },
	{ 0, 0, 0, 0 },
};

/* Validates the optional fields of a client (shared by add and set). */
static int check_fields(struct cli *cli, const struct add_opts *o)
{
	if ((o->name && bl_hostname_check(o->name) < 0) || (o->ip && bl_ipv4_check(o->ip) < 0) ||
	    (o->chap_user && bl_chap_user_check(o->chap_user) < 0) ||
	    (o->chap_secret && bl_chap_secret_check(o->chap_secret) < 0))
		return fail_last(cli);
	return 0;
}

static int client_add(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "MAC --image NAME [--name HOST] [--ip ADDR] "
				    "[--mode volatile|persistent] [--chap-user U --chap-secret S] "
				    "[--disabled]";
	struct add_opts o = { 0 };
	struct bl_client c = { 0 };
	struct bl_image img;
	char secret[17], user[32], m12[BL_MAC12_LEN], what[512];
	int first, r;

	if ((r = parse_args(argc, argv, "client add", usage,
			    "Links a client's MAC (any spelling) to an image. Volatile clients start "
			    "clean at each boot;\npersistent ones keep their changes. CHAP credentials "
			    "are generated unless given.", add_options, add_opt, &o, 1, &first)) != ARGS_OK)
		return r;
	if (!o.image)
		return usage_error("client add", usage, "--image is required");
	if (o.mode && bl_mode_parse(o.mode, &c.mode) < 0)
		return usage_error("client add", usage, "--mode must be volatile or persistent");
	if (!o.chap_user != !o.chap_secret)
		return usage_error("client add", usage, "--chap-user and --chap-secret go together");
	if (arg_mac(cli, argv[first], c.mac) || check_fields(cli, &o))
		return EXIT_FAILED;
	if (bl_image_name_check(o.image) < 0)
		return fail_last(cli);
	if (cli_db(cli))
		return EXIT_FAILED;
	if (bl_db_image_get(cli->db, o.image, &img) < 0)
		return fail(cli, "client %s: %s (see `linkctl image list`)", c.mac, bl_last_error());
	bl_mac12(c.mac, m12);
	snprintf(user, sizeof(user), "client-%s", m12);
	if (!o.chap_secret && random_secret(secret) < 0) {
		bl_image_clear(&img);
		return fail(cli, "client %s: cannot generate a CHAP secret: %s", c.mac,
			    strerror(errno));
	}
	c.image_id = img.id;
	c.hostname = (char *)o.name;
	c.ip = (char *)o.ip;
	c.enabled = !o.disabled;
	c.chap_user = (char *)(o.chap_user ? o.chap_user : user);
	c.chap_secret = (char *)(o.chap_secret ? o.chap_secret : secret);
	if (bl_db_client_add(cli->db, &c) < 0) {
		bl_image_clear(&img);
		return fail_last(cli);
	}
	snprintf(what, sizeof(what), "client %s added: image '%s', %s%s%s%s%s%s", c.mac, img.name,
		 bl_mode_name(c.mode), o.name ? ", name " : "", o.name ? o.name : "",
		 o.ip ? ", ip " : "", o.ip ? o.ip : "", o.disabled ? ", disabled" : "");
	bl_image_clear(&img);
	char obj[32];
	snprintf(obj, sizeof(obj), "client %s", c.mac);
	return report_change(cli, obj, what, NULL, NULL);
}

/* ---- list / show ---- */

static void client_json(struct cli *cli, struct bl_json *j, const struct bl_client *c,
			const char *image, int current, bool details)
{
	char iqn[BL_IQN_MAX], ovl[PATH_MAX];
	const struct jv *st = linkmgr_client(cli, c->mac);

	bl_json_obj(j);
	bl_json_kv_str(j, "mac", c->mac);
	bl_json_kv_str(j, "hostname", c->hostname);
	bl_json_kv_str(j, "ip", c->ip);
	bl_json_kv_str(j, "image", image);
	bl_json_kv_str(j, "mode", bl_mode_name(c->mode));
	bl_json_kv_bool(j, "enabled", c->enabled);
	bl_json_kv_str(j, "role", bl_role_name(c->role));
	bl_json_kv_int(j, "booted_version", c->booted_version);
	bl_json_kv_int(j, "current_version", current);
	bl_json_kv_bool(j, "update_pending", c->booted_version >= 0 && c->booted_version != current
			&& c->role != BL_ROLE_SUPER);
	bl_json_kv_str(j, "reset_pending", c->reset == BL_RESET_NONE ? NULL :
		       c->reset == BL_RESET_NOW ? "now" : "next-boot");
	int on = client_online(cli, c->mac);
	if (on < 0)
		bl_json_kv_str(j, "online", NULL);
	else
		bl_json_kv_bool(j, "online", on);
	if (details) {
		bl_target_iqn(cli->cfg.iqn_prefix, c->mac, iqn, sizeof(iqn));
		bl_json_kv_str(j, "target_iqn", iqn);
		bl_initiator_iqn(cli->cfg.iqn_prefix, c->mac, iqn, sizeof(iqn));
		bl_json_kv_str(j, "initiator_iqn", iqn);
		const char *srv = *cli->cfg.server_address ? cli->cfg.server_address :
				  jv_str(linkmgr_status(cli, NULL), "server", NULL);
		bl_json_kv_str(j, "portal_address", srv);
		bl_json_kv_int(j, "portal_port", cli->cfg.portal_port);
		overlay_path(cli, c->mac, ovl, sizeof(ovl));
		bl_json_kv_str(j, "overlay", ovl);
		bl_json_kv_int(j, "overlay_bytes", st && jv_get(st, "overlay_bytes") ?
			       jv_int(st, "overlay_bytes", 0) : file_allocated(ovl));
		bl_json_kv_bool(j, "chap", cli->cfg.chap);
		bl_json_kv_str(j, "chap_user", c->chap_user);
		if (st) {
			bl_json_kv_int(j, "read_bytes", jv_int(st, "read_mb", 0) << 20);
			bl_json_kv_int(j, "write_bytes", jv_int(st, "write_mb", 0) << 20);
		}
	}
	bl_json_end(j);
}

static int client_list(struct cli *cli, int argc, char **argv)
{
	struct bl_client *cl;
	struct bl_image *imgs;
	size_t n, ni;
	int first, r;

	if ((r = parse_args(argc, argv, "client list", "", "Lists clients.", NULL, NULL, NULL, 0,
			    &first)) != ARGS_OK)
		return r;
	if (cli_db(cli))
		return EXIT_FAILED;
	if (bl_db_client_list(cli->db, &cl, &n) < 0)
		return fail_last(cli);
	if (bl_db_image_list(cli->db, &imgs, &ni) < 0) {
		bl_clients_free(cl, n);
		return fail_last(cli);
	}
	struct bl_json j;
	bl_json_init(&j);
	bl_json_arr(&j);
	if (!cli->json) {
		if (n == 0)
			printf("No clients. Link one with: linkctl client add MAC --image NAME\n");
		else
			printf("%-17s %-16s %-15s %-16s %-10s %-8s %s\n", "MAC", "NAME", "IP", "IMAGE",
			       "MODE", "STATE", "ONLINE");
	}
	for (size_t i = 0; i < n; i++) {
		const struct bl_image *img = NULL;
		for (size_t k = 0; k < ni && !img; k++)
			if (imgs[k].id == cl[i].image_id)
				img = &imgs[k];
		const char *iname = img ? img->name : "?";
		int cur = img ? img->current_version : 0;
		if (cli->json) {
			client_json(cli, &j, &cl[i], iname, cur, false);
			continue;
		}
		int on = client_online(cli, cl[i].mac);
		printf("%-17s %-16s %-15s %-16s %-10s %-8s %s\n", cl[i].mac,
		       cl[i].hostname ? cl[i].hostname : "-", cl[i].ip ? cl[i].ip : "dhcp", iname,
		       bl_mode_name(cl[i].mode), !cl[i].enabled ? "disabled" :
		       cl[i].role == BL_ROLE_SUPER ? "super" : "enabled",
		       on < 0 ? "?" : on ? "yes" : "no");
	}
	bl_json_end(&j);
	bl_clients_free(cl, n);
	bl_images_free(imgs, ni);
	if (cli->json)
		return print_json(cli, &j);
	free(bl_json_finish(&j));
	return EXIT_OK;
}

static int client_show(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "MAC";
	struct bl_client c;
	struct bl_image img = { 0 };
	int first, r;

	if ((r = parse_args(argc, argv, "client show", usage,
			    "Shows a client: link, mode, IQNs, portal, overlay and whether it is online.",
			    NULL, NULL, NULL, 1, &first)) != ARGS_OK)
		return r;
	if (client_arg(cli, argv[first], &c))
		return EXIT_FAILED;
	const char *iname = image_name(cli, c.image_id, &img);
	struct bl_json j;
	bl_json_init(&j);
	client_json(cli, &j, &c, iname, img.current_version, true);
	if (cli->json) {
		r = print_json(cli, &j);
	} else {
		/* the human view is printed from the same JSON so both always agree */
		char *s = bl_json_finish(&j);
		struct jv *v = s ? jv_parse(s) : NULL;
		char sz[32];
		int64_t ob = jv_int(v, "overlay_bytes", -1);
		const struct jv *online = jv_get(v, "online");
		printf("client:        %s\nname:          %s\nip:            %s\nimage:         %s "
		       "(version %lld booted, %lld current%s)\nmode:          %s%s\nenabled:       "
		       "%s\ntarget IQN:    %s\ninitiator IQN: %s\nportal:        %s:%lld\n"
		       "overlay:       %s (%s)\nonline:        %s\n",
		       c.mac, c.hostname ? c.hostname : "-", c.ip ? c.ip : "from DHCP range",
		       iname, (long long)jv_int(v, "booted_version", -1),
		       (long long)jv_int(v, "current_version", 0),
		       jv_bool(v, "update_pending", false) ? ", update pending" : "",
		       bl_mode_name(c.mode), c.role == BL_ROLE_SUPER ? ", super client (writes the "
		       "next version)" : "", c.enabled ? "yes" : "no",
		       jv_str(v, "target_iqn", "?"), jv_str(v, "initiator_iqn", "?"),
		       jv_str(v, "portal_address", "(detected by linkmgr)"),
		       (long long)jv_int(v, "portal_port", 0), jv_str(v, "overlay", "?"),
		       ob < 0 ? "not created yet" : human_bytes((uint64_t)ob, sz, sizeof(sz)),
		       !online || online->type != JV_BOOL ? "unknown (linkmgr not running)" :
		       online->b ? "yes" : "no");
		if (jv_get(v, "reset_pending") && jv_get(v, "reset_pending")->type == JV_STR)
			printf("reset:         pending (%s)\n", jv_str(v, "reset_pending", ""));
		jv_free(v);
		free(s);
		r = EXIT_OK;
	}
	bl_client_clear(&c);
	bl_image_clear(&img);
	return r;
}

/* ---- single-MAC changes ---- */

static int one_mac(struct cli *cli, int argc, char **argv, const char *cmd, const char *usage,
		   const char *help, const struct option *opts,
		   int (*on_opt)(int, const char *, void *), void *ctx, int nargs,
		   struct bl_client *c, int *first)
{
	int r = parse_args(argc, argv, cmd, usage, help, opts, on_opt, ctx, nargs, first);
	if (r != ARGS_OK)
		return r;
	return client_arg(cli, argv[*first], c) ? EXIT_FAILED : ARGS_OK;
}

static int client_link(struct cli *cli, int argc, char **argv)
{
	struct bl_client c;
	struct bl_image img, old;
	char what[256];
	int first;
	int r = one_mac(cli, argc, argv, "client link", "MAC IMAGE",
			"Links a client to another image; it gets a fresh overlay at its next boot.",
			NULL, NULL, NULL, 2, &c, &first);
	if (r != ARGS_OK)
		return r;
	if (bl_image_name_check(argv[first + 1]) < 0 ||
	    bl_db_image_get(cli->db, argv[first + 1], &img) < 0) {
		bl_client_clear(&c);
		return fail_last(cli);
	}
	const char *oname = image_name(cli, c.image_id, &old);
	if (bl_db_client_link(cli->db, c.mac, img.id) < 0) {
		r = fail_last(cli);
	} else {
		snprintf(what, sizeof(what), "client %s linked to image '%s' (was '%s'); it boots "
			 "the new image with a fresh overlay at its next boot", c.mac, img.name,
			 oname);
		char obj[32];
		snprintf(obj, sizeof(obj), "client %s", c.mac);
		r = report_change(cli, obj, what, NULL, NULL);
	}
	bl_image_clear(&old);
	bl_image_clear(&img);
	bl_client_clear(&c);
	return r;
}

static int opt_flag(int c, const char *arg, void *ctx)
{
	(void)arg;
	(void)c;
	*(bool *)ctx = true;
	return 0;
}

static const struct option force_opts[] = { { "force", no_argument, NULL, 'f' }, { 0, 0, 0, 0 } };

static int client_reset(struct cli *cli, int argc, char **argv)
{
	struct bl_client c;
	bool force = false;
	char what[256];
	int first;
	int r = one_mac(cli, argc, argv, "client reset", "MAC [--force]",
			"Discards a client's overlay: it boots the image's current version, clean. "
			"Refused while\nthe client is online unless --force (which cuts its disk "
			"off under it).", force_opts, opt_flag, &force, 1, &c, &first);
	if (r != ARGS_OK)
		return r;
	int on = client_online(cli, c.mac);
	if (on == 1 && !force) {
		r = fail(cli, "client %s: is online; shut it down first, or --force to reset it under "
			 "the running system", c.mac);
		bl_client_clear(&c);
		return r;
	}
	enum bl_reset how = on == 1 ? BL_RESET_NOW : BL_RESET_OFFLINE;
	if (bl_db_client_set_reset(cli->db, c.mac, how) < 0) {
		bl_client_clear(&c);
		return fail_last(cli);
	}
	snprintf(what, sizeof(what), "client %s: overlay reset %s", c.mac, how == BL_RESET_NOW ?
		 "now (forced while online)" : on == 0 ? "requested (client is offline)" :
		 "requested (applies before its next boot)");
	char obj[32];
	snprintf(obj, sizeof(obj), "client %s", c.mac);
	r = report_change(cli, obj, what, NULL, NULL);
	bl_client_clear(&c);
	return r;
}

static int client_remove(struct cli *cli, int argc, char **argv)
{
	struct bl_client c;
	char what[128];
	int first;
	int r = one_mac(cli, argc, argv, "client remove", "MAC",
			"Removes a client: its target, boot entry and overlay go away.", NULL, NULL,
			NULL, 1, &c, &first);
	if (r != ARGS_OK)
		return r;
	if (c.role == BL_ROLE_SUPER) {
		r = fail(cli, "client %s: is the super client of its image; commit or cancel the "
			 "new version first (linkctl client super %s --cancel)", c.mac, c.mac);
	} else if (bl_db_client_remove(cli->db, c.mac) < 0) {
		r = fail_last(cli);
	} else {
		snprintf(what, sizeof(what), "client %s removed", c.mac);
		char obj[32];
		snprintf(obj, sizeof(obj), "client %s", c.mac);
		r = report_change(cli, obj, what, NULL, NULL);
	}
	bl_client_clear(&c);
	return r;
}

static int set_enabled(struct cli *cli, int argc, char **argv, bool on)
{
	struct bl_client c;
	char what[160];
	int first;
	int r = one_mac(cli, argc, argv, on ? "client enable" : "client disable", "MAC",
			on ? "Lets a client boot again." :
			"Stops a client from booting (it sees a message saying so); running "
			"sessions are ended by linkmgr.", NULL, NULL, NULL, 1, &c, &first);
	if (r != ARGS_OK)
		return r;
	if (bl_db_client_set_enabled(cli->db, c.mac, on) < 0) {
		r = fail_last(cli);
	} else {
		snprintf(what, sizeof(what), "client %s %s%s", c.mac, on ? "enabled" : "disabled",
			 c.enabled == on ? " (it already was)" : "");
		char obj[32];
		snprintf(obj, sizeof(obj), "client %s", c.mac);
		r = report_change(cli, obj, what, NULL, NULL);
	}
	bl_client_clear(&c);
	return r;
}

static int client_enable(struct cli *cli, int argc, char **argv)
{
	return set_enabled(cli, argc, argv, true);
}

static int client_disable(struct cli *cli, int argc, char **argv)
{
	return set_enabled(cli, argc, argv, false);
}

static const struct option cancel_opts[] = { { "cancel", no_argument, NULL, 'c' }, { 0, 0, 0, 0 } };

static int client_super(struct cli *cli, int argc, char **argv)
{
	struct bl_client c;
	struct bl_image img;
	struct bl_version v = { 0 };
	bool cancel = false;
	char what[PATH_MAX + 256];
	int first;
	int r = one_mac(cli, argc, argv, "client super", "MAC [--cancel]",
			"Makes a client its image's super client: from its next boot it starts from "
			"a clean copy of the\ncurrent version and writes into a new version layer; "
			"`linkctl image commit IMAGE` then makes\nthat the current version. --cancel "
			"discards the new version and makes it a normal client again.",
			cancel_opts, opt_flag, &cancel, 1, &c, &first);
	if (r != ARGS_OK)
		return r;
	if (bl_db_image_get_id(cli->db, c.image_id, &img) < 0) {
		bl_client_clear(&c);
		return fail_last(cli);
	}
	char obj[32];
	snprintf(obj, sizeof(obj), "client %s", c.mac);
	if (cancel) {
		if (c.role != BL_ROLE_SUPER) {
			r = fail(cli, "client %s: is not a super client", c.mac);
			goto out;
		}
		if (bl_db_begin(cli->db) < 0)
			goto db_fail;
		if (bl_db_version_building(cli->db, img.id, &v) == 0) {
			r = bl_db_version_delete(cli->db, v.id);
			bl_version_clear(&v);
			if (r < 0)
				goto db_fail;
		}
		if (bl_db_client_set_role(cli->db, c.mac, BL_ROLE_NORMAL) < 0 ||
		    bl_db_client_set_reset(cli->db, c.mac, BL_RESET_OFFLINE) < 0 ||
		    bl_db_commit(cli->db) < 0)
			goto db_fail;
		snprintf(what, sizeof(what), "client %s: no longer super client of image '%s'; the "
			 "new version is discarded and its overlay reset before its next boot",
			 c.mac, img.name);
		r = report_change(cli, obj, what, NULL, NULL);
		goto out;
	}
	if (c.role == BL_ROLE_SUPER) {
		r = fail(cli, "client %s: is already the super client of image '%s'", c.mac, img.name);
		goto out;
	}
	if (bl_db_begin(cli->db) < 0)
		goto db_fail;
	if (bl_db_client_set_role(cli->db, c.mac, BL_ROLE_SUPER) < 0 ||
	    bl_db_version_start(cli->db, img.id, cli->cfg.layer_dir, &v) < 0 ||
	    bl_db_client_set_reset(cli->db, c.mac, BL_RESET_OFFLINE) < 0 ||
	    bl_db_commit(cli->db) < 0)
		goto db_fail;
	snprintf(what, sizeof(what), "client %s: super client of image '%s'; from its next boot it "
		 "builds version %d on version %d (layer %s). Other clients are not affected; "
		 "finish with: linkctl image commit %s", c.mac, img.name, v.number, v.parent,
		 v.layer_path, img.name);
	r = report_change(cli, obj, what, NULL, NULL);
	goto out;
db_fail:
	r = fail_last(cli);
	bl_db_rollback(cli->db);
out:
	bl_version_clear(&v);
	bl_image_clear(&img);
	bl_client_clear(&c);
	return r;
}

/* ---- set: change name / ip / mode / chap of an existing client ---- */

static int client_set(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "ip", required_argument, NULL, 'a' },
		{ "mode", required_argument, NULL, 'm' },
		{ "chap-user", required_argument, NULL, 'u' },
		{ "chap-secret", required_argument, NULL, 's' },
		{ 0, 0, 0, 0 },
	};
	static const char usage[] = "MAC [--name HOST|\"\"] [--ip ADDR|\"\"] "
				    "[--mode volatile|persistent] [--chap-user U] [--chap-secret S]";
	struct add_opts o = { 0 };
	struct bl_client c;
	char what[256];
	int first;
	int r = one_mac(cli, argc, argv, "client set", usage,
			"Changes a client's host name, fixed IP (\"\" = from the DHCP range), mode "
			"or CHAP credentials.", opts, add_opt, &o, 1, &c, &first);
	if (r != ARGS_OK)
		return r;
	struct add_opts chk = o;
	if (chk.name && !*chk.name)
		chk.name = NULL;
	if (chk.ip && !*chk.ip)
		chk.ip = NULL;
	enum bl_mode mode = c.mode;
	if (o.mode && bl_mode_parse(o.mode, &mode) < 0) {
		bl_client_clear(&c);
		return usage_error("client set", usage, "--mode must be volatile or persistent");
	}
	if (check_fields(cli, &chk)) {
		bl_client_clear(&c);
		return EXIT_FAILED;
	}
#define REPLACE(field, val) \
	do { free(c.field); c.field = (val) && *(val) ? strdup(val) : NULL; } while (0)
	if (o.name)
		REPLACE(hostname, o.name);
	if (o.ip)
		REPLACE(ip, o.ip);
	if (o.chap_user)
		REPLACE(chap_user, o.chap_user);
	if (o.chap_secret)
		REPLACE(chap_secret, o.chap_secret);
#undef REPLACE
	c.mode = mode;
	if (bl_db_client_update(cli->db, &c) < 0) {
		r = fail_last(cli);
	} else {
		snprintf(what, sizeof(what), "client %s updated: name %s, ip %s, %s", c.mac,
			 c.hostname ? c.hostname : "-", c.ip ? c.ip : "dhcp", bl_mode_name(c.mode));
		char obj[32];
		snprintf(obj, sizeof(obj), "client %s", c.mac);
		r = report_change(cli, obj, what, NULL, NULL);
	}
	bl_client_clear(&c);
	return r;
}

const struct command client_commands[] = {
	{ "add", client_add, "MAC --image NAME [opts]", "link a MAC to an image" },
	{ "list", client_list, "", "list clients" },
	{ "show", client_show, "MAC", "show a client" },
	{ "set", client_set, "MAC [options]", "change name, ip, mode or CHAP" },
	{ "link", client_link, "MAC IMAGE", "link a client to another image" },
	{ "reset", client_reset, "MAC [--force]", "discard a client's overlay" },
	{ "remove", client_remove, "MAC", "remove a client" },
	{ "enable", client_enable, "MAC", "let a client boot" },
	{ "disable", client_disable, "MAC", "stop a client from booting" },
	{ "super", client_super, "MAC [--cancel]", "make a client build the next image version" },
	{ NULL, NULL, NULL, NULL },
};
