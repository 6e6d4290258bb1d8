#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "control-client.h"
#include "error.h"
#include "names.h"
#include "storage.h"
#include "validate.h"

int fail(struct cli *cli, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "linkctl: %s\n", msg);
	if (cli && cli->json) {
		struct bl_json j;
		bl_json_init(&j);
		bl_json_obj(&j);
		bl_json_kv_bool(&j, "ok", false);
		bl_json_kv_str(&j, "error", msg);
		bl_json_end(&j);
		char *s = bl_json_finish(&j);
		if (s)
			printf("%s\n", s);
		free(s);
	}
	return EXIT_FAILED;
}

int fail_last(struct cli *cli)
{
	return fail(cli, "%s", bl_last_error());
}

int usage_error(const char *cmd, const char *usage, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "linkctl %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: linkctl %s %s\n", cmd, usage);
	return EXIT_USAGE;
}

int parse_args(int argc, char **argv, const char *cmd, const char *usage, const char *help,
	       const struct option *opts, int (*on_opt)(int c, const char *arg, void *ctx),
	       void *ctx, int nargs, int *optind_out)
{
	static const struct option none[] = { { 0, 0, 0, 0 } };
	struct option all[32];
	char shortopts[64] = "h";
	size_t n = 0;

	for (const struct option *o = opts ? opts : none; o->name && n < 30; o++)
		all[n++] = *o;
	all[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	all[n] = (struct option){ 0, 0, 0, 0 };
	optind = 1;
	opterr = 0;
	for (;;) {
		int c = getopt_long(argc, argv, shortopts, all, NULL);
		if (c == -1)
			break;
		if (c == 'h') {
			printf("usage: linkctl %s %s\n\n%s\n", cmd, usage, help);
			return EXIT_OK;
		}
		if (c == '?' || c == ':')
			return usage_error(cmd, usage, "unknown option or missing value: %s",
					   argv[optind - 1]);
		if (!on_opt || on_opt(c, optarg, ctx) < 0)
			return EXIT_USAGE;
	}
	*optind_out = optind;
	if (nargs >= 0 && argc - optind != nargs)
		return nargs ? usage_error(cmd, usage, "expected %d argument(s), got %d", nargs,
					   argc - optind) :
			       usage_error(cmd, usage, "no arguments expected");
	return ARGS_OK;
}

int cli_config(struct cli *cli)
{
	if (cli->cfg_loaded)
		return 0;
	if (bl_config_load(cli->config_path, &cli->cfg) < 0)
		return fail_last(cli);
	cli->cfg_loaded = true;
	return 0;
}

static int ops_online(void *ctx, const char *mac)
{
	return client_online(ctx, mac);
}

int cli_db(struct cli *cli)
{
	if (cli->db)
		return 0;
	if (cli_config(cli))
		return EXIT_FAILED;
	const char *path = cli->db_path ? cli->db_path : cli->cfg.db_path;
	/* the admin group gets read access only if it exists on this system */
	const char *group = getgrnam(cli->cfg.admin_group) ? cli->cfg.admin_group : NULL;
	if (bl_db_open(path, BL_DB_CREATE, group, &cli->db) < 0)
		return fail_last(cli);
	cli->ops = (struct bl_ops){ .cfg = &cli->cfg, .db = cli->db, .online = ops_online,
				    .ctx = cli };
	return 0;
}

int arg_mac(struct cli *cli, const char *in, char out[18])
{
	if (bl_mac_parse(in, out) < 0)
		return fail_last(cli);
	return 0;
}

const struct jv *linkmgr_status(struct cli *cli, const char **why)
{
	static char reason[256];

	if (!cli->status_tried) {
		char *reply = NULL;
		cli->status_tried = true;
		reason[0] = '\0';
		if (cli_config(cli) == 0) {
			int r = bl_ctl_call(cli->cfg.control_socket, "status", &reply);
			if (r < 0) {
				snprintf(reason, sizeof(reason), "linkmgr is not reachable at %s: %s",
					 cli->cfg.control_socket, strerror(-r));
			} else if (!(cli->status = jv_parse(reply)) ||
				   !jv_bool(cli->status, "ok", false)) {
				snprintf(reason, sizeof(reason), "linkmgr answered status with %s",
					 cli->status ? jv_str(cli->status, "error", "an error") :
					 "malformed JSON");
				jv_free(cli->status);
				cli->status = NULL;
			}
		}
		free(reply);
	}
	if (why)
		*why = reason;
	return cli->status;
}

const struct jv *linkmgr_client(struct cli *cli, const char *mac)
{
	const struct jv *st = linkmgr_status(cli, NULL), *list = jv_get(st, "clients");

	if (!list || list->type != JV_ARR)
		return NULL;
	for (size_t i = 0; i < list->n; i++)
		if (!strcmp(jv_str(&list->items[i], "mac", ""), mac))
			return &list->items[i];
	return NULL;
}

int client_online(struct cli *cli, const char *mac)
{
	if (!linkmgr_status(cli, NULL))
		return -1;
	return jv_bool(linkmgr_client(cli, mac), "online", false) ? 1 : 0;
}

int report_change(struct cli *cli, void (*extra)(struct bl_json *j, void *ctx), void *ctx)
{
	char *reply = NULL;
	struct jv *rv = NULL;
	bool applied = false;
	const char *err = NULL, *what = cli->ops.what;
	int r = bl_ctl_call(cli->cfg.control_socket, "reconcile", &reply);
	if (r == 0) {
		rv = jv_parse(reply);
		applied = jv_bool(rv, "ok", false);
		if (!applied)
			err = rv ? jv_str(rv, "error", "unknown error") : "malformed reply";
	}
	if (cli->json) {
		struct bl_json j;
		bl_json_init(&j);
		bl_json_obj(&j);
		bl_json_kv_bool(&j, "ok", true);
		bl_json_kv_str(&j, "change", what);
		bl_json_kv_bool(&j, "applied", applied);
		bl_json_kv_bool(&j, "linkmgr_running", r == 0);
		if (err)
			bl_json_kv_str(&j, "linkmgr_error", err);
		if (rv) {
			bl_json_key(&j, "linkmgr");
			bl_json_raw(&j, reply);
		}
		if (extra)
			extra(&j, ctx);
		bl_json_end(&j);
		print_json(cli, &j);
	} else {
		printf("%s\n", what);
		if (applied) {
			const struct jv *ch = jv_get(rv, "changes");
			if (ch && ch->type == JV_NUM)
				printf("linkmgr applied it (%lld configuration change(s)).\n",
				       (long long)ch->num);
			else
				printf("linkmgr applied it.\n");
		} else if (r == 0) {
			printf("The change is saved, but linkmgr could not apply it: %s\n"
			       "(see `journalctl -u linkmgr`; it retries at the next reconcile)\n", err);
		} else {
			printf("The change is saved; linkmgr is not running (%s), so it applies when "
			       "linkmgr starts.\n", strerror(-r));
		}
	}
	jv_free(rv);
	free(reply);
	return EXIT_OK;
}

int print_json(struct cli *cli, struct bl_json *j)
{
	char *s = bl_json_finish(j);

	if (!s)
		return fail(cli, "out of memory building the JSON output");
	printf("%s\n", s);
	free(s);
	return EXIT_OK;
}

void overlay_path(struct cli *cli, const char *mac, char *out, size_t len)
{
	if (bl_name_overlay(cli->cfg.overlay_dir, mac, out, len) < 0)
		out[0] = '\0';
}

int64_t disk_bytes(struct cli *cli, const char *mac)
{
	uint64_t b;
	return bl_storage_usage(&cli->cfg, mac, &b) < 0 ? -1 : (int64_t)b;
}


