/* linkctl client ...: MAC links. Changes are operations of libblops (linkmgr/ops/ops.h);
 * this file parses their arguments and prints. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "ops.h"
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
	char secret[128];	/* read from --chap-secret-file */
};

/* A secret from a file ("-": standard input) rather than argv, which every local user sees
 * in ps. Its first line; a file others can read is refused (it would leak the same way). */
static int read_secret(const char *path, char *out, size_t len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	struct stat st;
	if (!f)
		return bl_fail(-errno, "CHAP secret file %s: %s", path, strerror(errno));
	int r = 0;
	if (f != stdin && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0007))
		r = bl_fail(-EPERM, "CHAP secret file %s: readable by every user (mode %04o); "
			    "chmod 0600 it", path, (unsigned)(st.st_mode & 07777));
	else if (!fgets(out, (int)len, f))
		r = bl_fail(-ENODATA, "CHAP secret file %s: empty", path);
	else
		out[strcspn(out, "\r\n")] = '\0';
	if (f != stdin)
		fclose(f);
	return r;
}

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
	case 'S':
		if (read_secret(arg, o->secret, sizeof(o->secret)) < 0) {
			fprintf(stderr, "linkctl: %s\n", bl_last_error());
			return -1;
		}
		o->chap_secret = o->secret;
		break;
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
	{ "chap-secret-file", required_argument, NULL, 'S' },
	{ "disabled", no_argument, NULL, 'd' },
	{ 0, 0, 0, 0 },
};

static int client_add(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "MAC --image NAME [--name HOST] [--ip ADDR] "
				    "[--mode volatile|persistent] [--chap-user U --chap-secret-file F|-] "
				    "[--disabled]";
	struct add_opts o = { 0 };
	enum bl_mode mode;
	int first, r;

	if ((r = parse_args(argc, argv, "client add", usage,
			    "Links a client's MAC (any spelling) to an image. Volatile clients start "
			    "clean at each boot;\npersistent ones keep their changes. CHAP credentials "
			    "are generated unless given: the secret\nfrom --chap-secret-file (its first line; \"-\" "
			    "reads standard input; --chap-secret S\nputs it where `ps` shows it).", add_options, add_opt, &o, 1, &first)) != ARGS_OK)
		return r;
	if (!o.image)
		return usage_error("client add", usage, "--image is required");
	if (o.mode && bl_mode_parse(o.mode, &mode) < 0)
		return usage_error("client add", usage, "--mode must be volatile or persistent");
	if (!o.chap_user != !o.chap_secret)
		return usage_error("client add", usage, "--chap-user and a CHAP secret go together");
	struct bl_client_fields f = { .hostname = o.name, .ip = o.ip, .chap_user = o.chap_user,
				      .chap_secret = o.chap_secret, .mode = o.mode ? &mode : NULL,
				      .disabled = o.disabled };
	if (cli_db(cli) || bl_op_client_add(&cli->ops, argv[first], o.image, &f) < 0)
		return fail_last(cli);
	return report_change(cli, NULL, NULL);
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
			       jv_int(st, "overlay_bytes", 0) : disk_bytes(cli, c->mac));
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

static int opt_flag(int c, const char *arg, void *ctx)
{
	(void)arg;
	(void)c;
	*(bool *)ctx = true;
	return 0;
}

static const struct option force_opts[] = { { "force", no_argument, NULL, 'f' }, { 0, 0, 0, 0 } };
static const struct option keep_opts[] = { { "keep-overlay", no_argument, NULL, 'k' },
					   { 0, 0, 0, 0 } };
static const struct option cancel_opts[] = { { "cancel", no_argument, NULL, 'c' }, { 0, 0, 0, 0 } };

/* Parses "MAC [one flag]" and runs op; prints the change. */
static int one_mac(struct cli *cli, int argc, char **argv, const char *cmd, const char *usage,
		   const char *help, const struct option *opts, int nargs,
		   int (*op)(struct bl_ops *o, const char *mac, bool flag, const char *arg))
{
	bool flag = false;
	int first;
	int r = parse_args(argc, argv, cmd, usage, help, opts, opts ? opt_flag : NULL, &flag,
			   nargs, &first);
	if (r != ARGS_OK)
		return r;
	if (cli_db(cli) || op(&cli->ops, argv[first], flag, nargs > 1 ? argv[first + 1] : NULL) < 0)
		return fail_last(cli);
	return report_change(cli, NULL, NULL);
}

static int do_link(struct bl_ops *o, const char *mac, bool flag, const char *image)
{
	(void)flag;
	return bl_op_client_link(o, mac, image);
}

static int do_reset(struct bl_ops *o, const char *mac, bool force, const char *arg)
{
	(void)arg;
	return bl_op_client_reset(o, mac, force);
}

static int do_remove(struct bl_ops *o, const char *mac, bool keep, const char *arg)
{
	(void)arg;
	return bl_op_client_remove(o, mac, keep);
}

static int do_enable(struct bl_ops *o, const char *mac, bool flag, const char *arg)
{
	(void)flag, (void)arg;
	return bl_op_client_enable(o, mac, true);
}

static int do_disable(struct bl_ops *o, const char *mac, bool flag, const char *arg)
{
	(void)flag, (void)arg;
	return bl_op_client_enable(o, mac, false);
}

static int do_super(struct bl_ops *o, const char *mac, bool cancel, const char *arg)
{
	(void)arg;
	return bl_op_client_super(o, mac, cancel);
}

static int client_link(struct cli *cli, int argc, char **argv)
{
	return one_mac(cli, argc, argv, "client link", "MAC IMAGE",
		       "Links a client to another image; it gets a fresh overlay at its next boot.",
		       NULL, 2, do_link);
}

static int client_reset(struct cli *cli, int argc, char **argv)
{
	return one_mac(cli, argc, argv, "client reset", "MAC [--force]",
		       "Discards a client's overlay: it boots the image's current version, clean. "
		       "Refused while\nthe client is online unless --force (then it is reset the moment "
		       "its session ends).", force_opts, 1, do_reset);
}

static int client_remove(struct cli *cli, int argc, char **argv)
{
	return one_mac(cli, argc, argv, "client remove", "MAC [--keep-overlay]",
		       "Removes a client: its target, boot entry and overlay go away (--keep-overlay "
		       "keeps the overlay file).", keep_opts, 1, do_remove);
}

static int client_enable(struct cli *cli, int argc, char **argv)
{
	return one_mac(cli, argc, argv, "client enable", "MAC", "Lets a client boot again.", NULL,
		       1, do_enable);
}

static int client_disable(struct cli *cli, int argc, char **argv)
{
	return one_mac(cli, argc, argv, "client disable", "MAC",
		       "Stops a client from booting (it sees a message saying so); running "
		       "sessions are ended by linkmgr.", NULL, 1, do_disable);
}

static int client_super(struct cli *cli, int argc, char **argv)
{
	return one_mac(cli, argc, argv, "client super", "MAC [--cancel]",
		       "Makes a client its image's super client: from its next boot it starts from "
		       "a clean copy of the\ncurrent version and writes into a new version layer; "
		       "`linkctl image commit IMAGE` then makes\nthat the current version. --cancel "
		       "discards the new version and makes it a normal client again.",
		       cancel_opts, 1, do_super);
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
		{ "chap-secret-file", required_argument, NULL, 'S' },
		{ 0, 0, 0, 0 },
	};
	static const char usage[] = "MAC [--name HOST|\"\"] [--ip ADDR|\"\"] "
				    "[--mode volatile|persistent] [--chap-user U] [--chap-secret-file F|-]";
	struct add_opts o = { 0 };
	enum bl_mode mode;
	int first, r;

	if ((r = parse_args(argc, argv, "client set", usage,
			    "Changes a client's host name, fixed IP (\"\" = from the DHCP range), mode "
			    "or CHAP credentials.", opts, add_opt, &o, 1, &first)) != ARGS_OK)
		return r;
	if (o.mode && bl_mode_parse(o.mode, &mode) < 0)
		return usage_error("client set", usage, "--mode must be volatile or persistent");
	struct bl_client_fields f = { .hostname = o.name, .ip = o.ip, .chap_user = o.chap_user,
				      .chap_secret = o.chap_secret, .mode = o.mode ? &mode : NULL };
	if (cli_db(cli) || bl_op_client_set(&cli->ops, argv[first], &f) < 0)
		return fail_last(cli);
	return report_change(cli, NULL, NULL);
}

const struct command client_commands[] = {
	{ "add", client_add, "MAC --image NAME [opts]", "link a MAC to an image" },
	{ "list", client_list, "", "list clients" },
	{ "show", client_show, "MAC", "show a client" },
	{ "set", client_set, "MAC [options]", "change name, ip, mode or CHAP" },
	{ "link", client_link, "MAC IMAGE", "link a client to another image" },
	{ "reset", client_reset, "MAC [--force]", "discard a client's overlay" },
	{ "remove", client_remove, "MAC [--keep-overlay]", "remove a client and its overlay" },
	{ "enable", client_enable, "MAC", "let a client boot" },
	{ "disable", client_disable, "MAC", "stop a client from booting" },
	{ "super", client_super, "MAC [--cancel]", "make a client build the next image version" },
	{ NULL, NULL, NULL, NULL },
};
