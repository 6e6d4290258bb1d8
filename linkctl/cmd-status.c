/* linkctl status, boot-options, events. */
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"
#include "names.h"

/* One status document (the JSON that `status --json` prints); with human != NULL the table is
 * printed there too. Reads the database and asks linkmgr afresh on every call, so that
 * --follow sees changes made by other processes. */
static int status_doc(struct cli *cli, char **out, FILE *human)
{
	struct bl_link *links;
	size_t n;
	const char *why;

	jv_free(cli->status);
	cli->status = NULL;
	cli->status_tried = false;
	if (bl_db_load_links(cli->db, &links, &n) < 0)
		return fail_last(cli);
	const struct jv *st = linkmgr_status(cli, &why);
	struct bl_json j;
	bl_json_init(&j);
	bl_json_obj(&j);
	bl_json_kv_bool(&j, "linkmgr_running", st != NULL);
	if (!st)
		bl_json_kv_str(&j, "linkmgr_error", why);
	bl_json_key(&j, "clients");
	bl_json_arr(&j);
	if (human) {
		if (!st)
			fprintf(human, "linkmgr: not running (%s); online state and I/O unknown\n", why);
		fprintf(human, "%-17s %-14s %-14s %-9s %-7s %12s %12s %10s\n", "MAC", "NAME", "IMAGE",
			"VERSION", "ONLINE", "READ", "WRITTEN", "OVERLAY");
	}
	for (size_t i = 0; i < n; i++) {
		const struct bl_link *l = &links[i];
		const struct bl_client *c = &l->client;
		const struct jv *cs = linkmgr_client(cli, c->mac);
		int64_t used = disk_bytes(cli, c->mac);
		bool pending = bl_update_pending(c, l->current_version);
		int on = st ? jv_bool(cs, "online", false) : -1;
		/* linkmgr counts LUN I/O in MiB (what LIO's statistics give) */
		int64_t rd = jv_int(cs, "read_mb", -1), wr = jv_int(cs, "write_mb", -1);
		rd = rd < 0 ? -1 : rd << 20;
		wr = wr < 0 ? -1 : wr << 20;
		if (cs && jv_get(cs, "overlay_bytes"))
			used = jv_int(cs, "overlay_bytes", used);
		bl_json_obj(&j);
		bl_json_kv_str(&j, "mac", c->mac);
		bl_json_kv_str(&j, "hostname", c->hostname);
		bl_json_kv_str(&j, "image", l->image_name);
		bl_json_kv_bool(&j, "enabled", c->enabled);
		bl_json_kv_str(&j, "mode", bl_mode_name(c->mode));
		bl_json_kv_str(&j, "role", bl_role_name(c->role));
		bl_json_kv_int(&j, "booted_version", c->booted_version);
		bl_json_kv_int(&j, "current_version", l->current_version);
		if (c->role == BL_ROLE_SUPER && l->building)
			bl_json_kv_int(&j, "building_version", l->building->number);
		else
			bl_json_kv_str(&j, "building_version", NULL);
		bl_json_kv_bool(&j, "update_pending", pending);
		bl_json_kv_str(&j, "reset_pending", c->reset == BL_RESET_NONE ? NULL :
			       c->reset == BL_RESET_NOW ? "now" : "next-boot");
		if (on < 0) {
			bl_json_kv_str(&j, "online", NULL);
			bl_json_kv_str(&j, "served", NULL);
		} else {
			bl_json_kv_bool(&j, "online", on);
			bl_json_kv_bool(&j, "served", jv_bool(cs, "served", false));
		}
		bl_json_kv_int(&j, "read_bytes", rd);
		bl_json_kv_int(&j, "write_bytes", wr);
		bl_json_kv_int(&j, "overlay_bytes", used);
		bl_json_end(&j);
		if (!human)
			continue;
		char ver[48], a[32], b[32], u[32];
		if (c->role == BL_ROLE_SUPER && l->building)
			snprintf(ver, sizeof(ver), "%d>%d", l->current_version, l->building->number);
		else if (c->booted_version < 0)
			snprintf(ver, sizeof(ver), "%d", l->current_version);
		else
			snprintf(ver, sizeof(ver), "%d%s", c->booted_version, pending ? "*" : "");
		fprintf(human, "%-17s %-14.14s %-14.14s %-9s %-7s %12s %12s %10s%s%s\n", c->mac,
			c->hostname ? c->hostname : "-", l->image_name, ver,
			!c->enabled ? "disabled" : on < 0 ? "?" : on ? "yes" : "no",
			rd < 0 ? "-" : human_bytes((uint64_t)rd, a, sizeof(a)),
			wr < 0 ? "-" : human_bytes((uint64_t)wr, b, sizeof(b)),
			used < 0 ? "-" : human_bytes((uint64_t)used, u, sizeof(u)),
			pending ? "  update pending" : "",
			c->role == BL_ROLE_SUPER ? "  super" : "");
	}
	bl_json_end(&j);
	bl_json_end(&j);
	bl_links_free(links, n);
	if (human) {
		if (n == 0)
			fprintf(human, "(no clients)\n");
		else
			fprintf(human, "(* update pending: the client runs an older version until its "
				"next boot, or for a persistent client until `linkctl client reset`)\n");
	}
	if (!(*out = bl_json_finish(&j)))
		return fail(cli, "out of memory building the status");
	return 0;
}

struct status_opts {
	bool follow;
	double interval;	/* seconds, 0 = not given */
};

static int status_opt(int c, const char *arg, void *ctx)
{
	struct status_opts *o = ctx;
	char *end;

	if (c == 'f') {
		o->follow = true;
		return 0;
	}
	o->interval = strtod(arg, &end);
	if (*end || end == arg || !(o->interval >= 0.1 && o->interval <= 3600))
		return usage_error("status", "[--follow [--interval SECONDS]]",
				   "--interval needs a number of seconds from 0.1 to 3600"), -1;
	return 0;
}

/* --follow: the document again whenever it differs from the last one printed. Polling the
 * database and linkmgr once per interval costs one query and one socket round trip; the
 * reader (the console) gets a line only when something moved, so an idle room sends nothing. */
static int status_follow(struct cli *cli, double interval)
{
	char *prev = NULL;
	/* the wait is a poll on stdout: a pipe whose reader closed reports POLLERR at once, so
	 * follow ends then even when nothing changed to write (a file or terminal never does) */
	struct pollfd out = { .fd = STDOUT_FILENO, .events = 0 };
	int ms = (int)(interval * 1000);

	for (;;) {
		char *doc = NULL, *hbuf = NULL;
		size_t hlen = 0;
		FILE *h = cli->json ? NULL : open_memstream(&hbuf, &hlen);
		if (!cli->json && !h)
			return fail(cli, "out of memory");
		int r = status_doc(cli, &doc, h);
		if (h)
			fclose(h);
		if (r) {
			free(hbuf);
			free(prev);
			return EXIT_FAILED;
		}
		if (!prev || strcmp(prev, doc) != 0) {
			if (cli->json) {
				printf("%s\n", doc);
			} else {
				char t[32];
				time_t now = time(NULL);
				strftime(t, sizeof(t), "%Y-%m-%d %H:%M:%S", localtime(&now));
				printf("%s-- %s\n%s", prev ? "\n" : "", t, hbuf);
			}
			free(prev);
			prev = doc;
			/* the reader went away: nothing left to do */
			if (fflush(stdout) == EOF || ferror(stdout)) {
				free(hbuf);
				free(prev);
				return EXIT_OK;
			}
		} else {
			free(doc);
		}
		free(hbuf);
		if (poll(&out, 1, ms) > 0 && (out.revents & (POLLERR | POLLHUP | POLLNVAL))) {
			free(prev);
			return EXIT_OK;
		}
	}
}

int cmd_status(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "follow", no_argument, NULL, 'f' },
					      { "interval", required_argument, NULL, 'i' },
					      { 0, 0, 0, 0 } };
	struct status_opts o = { 0 };
	char *doc;
	int first, r;

	if ((r = parse_args(argc, argv, "status", "[--follow [--interval SECONDS]]",
			    "Every client with online/offline, image and version, I/O counters and "
			    "overlay usage.\nOnline state and counters come from linkmgr.\n--follow "
			    "keeps running: it prints the status again whenever it changes (with "
			    "--json one\ndocument per line), checking every --interval seconds "
			    "(default 2).", opts, status_opt, &o, 0, &first)) != ARGS_OK)
		return r;
	if (o.interval > 0 && !o.follow)
		return usage_error("status", "[--follow [--interval SECONDS]]",
				   "--interval goes with --follow");
	if (cli_db(cli))
		return EXIT_FAILED;
	if (o.follow)
		return status_follow(cli, o.interval > 0 ? o.interval : 2.0);
	if (status_doc(cli, &doc, cli->json ? NULL : stdout))
		return EXIT_FAILED;
	if (cli->json)
		printf("%s\n", doc);
	free(doc);
	return EXIT_OK;
}

/* The boot file each firmware type needs; same names linkmgr's dnsmasq configuration uses. */
static const struct {
	const char *firmware, *arch, *file;
} boot_files[] = {
	{ "bios", "0 (x86 BIOS)", BL_BOOTFILE_BIOS },
	{ "uefi", "7, 9 (x64 UEFI)", BL_BOOTFILE_UEFI },
	{ "ipxe", "user-class \"iPXE\" (second stage)", BL_SCRIPT_DISPATCH },
};

int cmd_boot_options(struct cli *cli, int argc, char **argv)
{
	int first, r;

	if ((r = parse_args(argc, argv, "boot-options", "",
			    "Prints DHCP option 66 (next-server / TFTP server) and 67 (boot file name) "
			    "per firmware\ntype, for sites whose DHCP server is not bootlink's dnsmasq. "
			    "iPXE clients must get the\n\"ipxe\" file, others the file for their "
			    "firmware (match on option 93, client architecture).", NULL, NULL, NULL,
			    0, &first)) != ARGS_OK)
		return r;
	if (cli_config(cli))
		return EXIT_FAILED;
	const char *srv = *cli->cfg.server_address ? cli->cfg.server_address :
			  jv_str(linkmgr_status(cli, NULL), "server", NULL);
	if (!srv)
		return fail(cli, "the server address is not configured and linkmgr is not running to "
			    "report the detected one; set server_address in %s",
			    cli->cfg.path ? cli->cfg.path : BL_CONFIG_DEFAULT_PATH);
	struct bl_json j;
	bl_json_init(&j);
	bl_json_obj(&j);
	bl_json_kv_str(&j, "next_server", srv);
	bl_json_key(&j, "boot_files");
	bl_json_obj(&j);
	for (size_t i = 0; i < sizeof(boot_files) / sizeof(boot_files[0]); i++)
		bl_json_kv_str(&j, boot_files[i].firmware, boot_files[i].file);
	bl_json_end(&j);
	bl_json_end(&j);
	if (cli->json)
		return print_json(cli, &j);
	free(bl_json_finish(&j));
	printf("option 66 (next-server, TFTP server): %s\n", srv);
	for (size_t i = 0; i < sizeof(boot_files) / sizeof(boot_files[0]); i++)
		printf("option 67 (boot file) for %-4s [%s]: %s\n", boot_files[i].firmware,
		       boot_files[i].arch, boot_files[i].file);
	return EXIT_OK;
}

static int limit_opt(int c, const char *arg, void *ctx)
{
	char *end;
	(void)c;
	*(long *)ctx = strtol(arg, &end, 10);
	if (*end || end == arg || *(long *)ctx < 0)
		return usage_error("events", "[--limit N]", "--limit needs a number"), -1;
	return 0;
}

int cmd_events(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "limit", required_argument, NULL, 'l' },
					      { 0, 0, 0, 0 } };
	long limit = 50;
	struct bl_event *ev;
	size_t n;
	int first, r;

	if ((r = parse_args(argc, argv, "events", "[--limit N]",
			    "Recent changes (newest first); --limit 0 shows all.", opts, limit_opt,
			    &limit, 0, &first)) != ARGS_OK)
		return r;
	if (cli_db(cli))
		return EXIT_FAILED;
	if (bl_db_list_events(cli->db, (size_t)limit, &ev, &n) < 0)
		return fail_last(cli);
	struct bl_json j;
	bl_json_init(&j);
	bl_json_arr(&j);
	for (size_t i = 0; i < n; i++) {
		bl_json_obj(&j);
		bl_json_kv_int(&j, "ts", ev[i].ts);
		bl_json_kv_str(&j, "object", ev[i].object);
		bl_json_kv_str(&j, "message", ev[i].message);
		bl_json_end(&j);
		if (!cli->json) {
			char t[32];
			time_t ts = (time_t)ev[i].ts;
			strftime(t, sizeof(t), "%Y-%m-%d %H:%M:%S", localtime(&ts));
			printf("%s  %-26s %s\n", t, ev[i].object, ev[i].message);
		}
	}
	bl_json_end(&j);
	bl_events_free(ev, n);
	if (cli->json)
		return print_json(cli, &j);
	free(bl_json_finish(&j));
	return EXIT_OK;
}
