/* linkmgr - keeps LIO and dnsmasq/iPXE in line with the bootlink database.
 *
 * Runs as a systemd Type=notify service: READY=1 after the first reconcile. Reconciles on
 * start, SIGHUP, control requests, server address changes, and every minute (so that clients
 * waiting for a new disk get it once they are offline). Stopping linkmgr leaves every LIO
 * object in place: running clients keep their disks.
 *
 * Also the dnsmasq --dhcp-script hook: dnsmasq runs `linkmgr add|old|del MAC IP [NAME]` and
 * `linkmgr tftp SIZE IP FILE`; a DHCP request from a PXE/iPXE firmware (vendor class
 * "PXEClient...") or the TFTP download of a client's iPXE script becomes `boot <mac>` on the
 * control socket. The hook never fails towards dnsmasq.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "bootlink-config.h"
#include "config.h"
#include "control-server.h"
#include "control.h"
#include "db.h"
#include "error.h"
#include "hook.h"
#include "json.h"
#include "netaddr.h"
#include "reconcile.h"
#include "validate.h"

#ifndef BL_LINKMGR_PATH
#define BL_LINKMGR_PATH "/usr/sbin/linkmgr"
#endif
#define PERIOD_MS 60000

static void usage(FILE *f)
{
	fprintf(f, "usage: linkmgr [--config FILE] [--db FILE] [--once | --dry-run] [--foreground]\n"
		   "       linkmgr [--config FILE] --notify-boot MAC\n"
		   "Keeps LIO targets and dnsmasq/iPXE boot files in line with the bootlink database.\n"
		   "  --config FILE   configuration (default " BL_CONFIG_DEFAULT_PATH ")\n"
		   "  --db FILE       database (default: db from the configuration)\n"
		   "  --once          reconcile once and exit (1 if a client failed)\n"
		   "  --dry-run       print what a reconcile would change, change nothing\n"
		   "  --foreground    run the daemon (it never forks; the option is for clarity)\n"
		   "  --notify-boot MAC  tell the running daemon that MAC is starting a boot\n");
}

/* systemd readiness, without libsystemd: one datagram to $NOTIFY_SOCKET. */
static void sd_notify_msg(const char *msg)
{
	const char *p = getenv("NOTIFY_SOCKET");
	if (!p || (p[0] != '/' && p[0] != '@'))
		return;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(p);
	if (len >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, p, len);
	if (p[0] == '@')
		sa.sun_path[0] = '\0';
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa,
	       (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
	close(fd);
}

static int send_boot(const struct bl_config *cfg, const char *mac_in, const char *how)
{
	char mac[BL_MAC_LEN], req[64], *reply = NULL;
	if (bl_mac_parse(mac_in, mac) < 0) {
		fprintf(stderr, "linkmgr: %s\n", bl_last_error());
		return 2;
	}
	snprintf(req, sizeof(req), "boot %s%s%s", mac, how ? " " : "", how ? how : "");
	int r = bl_ctl_call(cfg->control_socket, req, &reply);
	if (r < 0) {
		fprintf(stderr, "linkmgr: control socket %s: %s%s\n", cfg->control_socket,
			strerror(-r), r == -ENOENT || r == -ECONNREFUSED ? " (is linkmgr running?)" : "");
		return 1;
	}
	int ok = strncmp(reply, "{\"ok\":true", 10) == 0;
	if (!ok)
		fprintf(stderr, "linkmgr: %s\n", reply);
	free(reply);
	return ok ? 0 : 1;
}

/* dnsmasq --dhcp-script: always exits 0 so that dnsmasq never logs us as failing. */
static int dnsmasq_hook(const struct bl_config *cfg, int argc, char **argv)
{
	char mac[BL_MAC_LEN];
	switch (bl_hook_classify(argc, argv, getenv("DNSMASQ_VENDOR_CLASS"), "/proc/net/arp", mac)) {
	case BL_HOOK_BOOT: send_boot(cfg, mac, NULL); break;
	case BL_HOOK_BOOT_LATE: send_boot(cfg, mac, "tftp"); break;
	case BL_HOOK_NONE: break;
	}
	return 0;
}

/* One boot produces several events (firmware DHCP, boot file download, iPXE's DHCP, its
 * script download): the first rebuilds a volatile client's disk, the others, coming while the
 * iSCSI login may already be under way, must not. */
#define BOOT_DEBOUNCE_S 45

struct boot_mark {
	char mac[BL_MAC_LEN];
	time_t at;
};

struct daemon {
	struct bl_mgr mgr;
	struct bl_config *cfg;
	bool fixed_addr;
	struct boot_mark *marks;
	size_t n_marks;
};

static time_t mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Returns seconds since mac's last handled boot, or -1; records now if it is handled now. */
static long boot_seen(struct daemon *d, const char *mac, bool record)
{
	time_t now = mono_now();
	for (size_t i = 0; i < d->n_marks; i++) {
		if (strcmp(d->marks[i].mac, mac) != 0)
			continue;
		long ago = (long)(now - d->marks[i].at);
		if (record)
			d->marks[i].at = now;
		return ago;
	}
	if (record) {
		struct boot_mark *v = realloc(d->marks, (d->n_marks + 1) * sizeof(*v));
		if (v) {
			d->marks = v;
			snprintf(v[d->n_marks].mac, BL_MAC_LEN, "%s", mac);
			v[d->n_marks++].at = now;
		}
	}
	return -1;
}

static char *reply_stats(const struct bl_reconcile_stats *st, int r)
{
	struct bl_json j;
	bl_json_init(&j);
	bl_json_obj(&j);
	bl_json_kv_bool(&j, "ok", r >= 0);
	if (r < 0)
		bl_json_kv_str(&j, "error", bl_last_error()[0] ? bl_last_error() : strerror(-r));
	bl_json_kv_uint(&j, "clients", st->clients);
	bl_json_kv_uint(&j, "served", st->served);
	bl_json_kv_uint(&j, "changes", st->actions);
	bl_json_kv_uint(&j, "failures", st->failures);
	bl_json_kv_bool(&j, "dnsmasq_reloaded", st->dnsmasq_reloaded);
	bl_json_kv_bool(&j, "dnsmasq_restart_needed", st->dnsmasq_conf_changed);
	bl_json_end(&j);
	return bl_json_finish(&j);
}

static char *handle(void *ctx, const char *req)
{
	struct daemon *d = ctx;
	struct bl_reconcile_stats st;
	if (!strcmp(req, "ping"))
		return strdup("{\"ok\":true,\"version\":\"" BOOTLINK_VERSION "\"}");
	if (!strcmp(req, "reconcile")) {
		int r = bl_reconcile(&d->mgr, &st);
		return reply_stats(&st, r);
	}
	if (!strcmp(req, "status")) {
		char *out = NULL;
		int r = bl_mgr_status_json(&d->mgr, &out);
		return r < 0 ? bl_ctl_error_reply(bl_last_error()) : out;
	}
	if (!strncmp(req, "boot ", 5)) {
		char arg[64], mac[BL_MAC_LEN];
		snprintf(arg, sizeof(arg), "%s", req + 5);
		char *sp = strchr(arg, ' ');
		if (sp)
			*sp = '\0';
		if (bl_mac_parse(arg, mac) < 0)
			return bl_ctl_error_reply(bl_last_error());
		long ago = boot_seen(d, mac, false);
		bool tftp = sp && !strcmp(sp + 1, "tftp");
		bool same_window = ago >= 0 && ago < BOOT_DEBOUNCE_S;
		/* Sessions are read from configfs only when they decide something. */
		bool online = false;
		if (tftp || same_window) {
			struct bl_plan_params pp = { .iqn_prefix = d->cfg->iqn_prefix };
			struct bl_cfs_status s;
			online = bl_cfs_client_status(&d->mgr.cfs, &pp, mac, &s) == 0 && s.online;
		}
		/* From the TFTP hook (proxy mode) the iSCSI login may already be under way: a
		 * client with a live session is left alone then. See linkmgr(8), BOOT DETECTION. */
		if (tftp && online)
			return strdup("{\"ok\":true,\"ignored\":\"client has a live session\"}");
		/* Inside the window an event belongs to the same boot, unless the client has logged
		 * in since: a volatile client's boot removed its LUN and every session with it, so a
		 * session now means that boot got as far as the disk and this is the next one. */
		if (same_window && !online) {
			char msg[96];
			snprintf(msg, sizeof(msg), "{\"ok\":true,\"ignored\":\"same boot (%lds ago)\"}", ago);
			return strdup(msg);
		}
		boot_seen(d, mac, true);
		fprintf(stderr, "linkmgr: client %s starts a boot%s\n", mac,
			sp ? " (iPXE script download)" : "");
		if (bl_mgr_note_boot(&d->mgr, mac) < 0)
			return bl_ctl_error_reply("out of memory");
		int r = bl_reconcile(&d->mgr, &st);
		return reply_stats(&st, r);
	}
	return bl_ctl_error_reply("unknown request (expected ping, reconcile, status or boot MAC)");
}

/* Returns true if the address changed. */
static bool update_address(struct daemon *d)
{
	if (d->fixed_addr)
		return false;
	char addr[BL_ADDR_LEN];
	int plen = 24;
	if (bl_netaddr_detect(d->cfg->boot_interface, addr, &plen) < 0) {
		if (d->mgr.server[0])
			fprintf(stderr, "linkmgr: server address lost: %s\n", bl_last_error());
		addr[0] = '\0';
	}
	if (!strcmp(addr, d->mgr.server) && plen == d->mgr.prefixlen)
		return false;
	if (addr[0])
		fprintf(stderr, "linkmgr: server address is now %s/%d\n", addr, plen);
	snprintf(d->mgr.server, sizeof(d->mgr.server), "%s", addr);
	d->mgr.prefixlen = plen;
	return true;
}

static int run_daemon(struct daemon *d)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	struct bl_ctl_server srv;
	char *dir = strdup(d->cfg->control_socket);
	char *slash = dir ? strrchr(dir, '/') : NULL;
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
	free(dir);
	if (sfd < 0 || bl_ctl_listen(d->cfg->control_socket, d->cfg->admin_group, &srv) < 0) {
		fprintf(stderr, "linkmgr: %s\n", sfd < 0 ? strerror(errno) : bl_last_error());
		return 1;
	}
	struct bl_netwatch *nw = NULL;
	if (!d->fixed_addr && bl_netwatch_open(&nw) < 0)
		fprintf(stderr, "linkmgr: %s: address changes will only be seen every minute\n",
			bl_last_error());
	struct bl_reconcile_stats st;
	bl_reconcile(&d->mgr, &st);
	sd_notify_msg("READY=1\nSTATUS=serving");
	for (;;) {
		struct pollfd p[3] = { { sfd, POLLIN, 0 }, { srv.fd, POLLIN, 0 },
				       { nw ? bl_netwatch_fd(nw) : -1, POLLIN, 0 } };
		int n = poll(p, 3, PERIOD_MS);
		if (n < 0 && errno != EINTR)
			break;
		if (n == 0) {
			update_address(d);
			bl_reconcile(&d->mgr, &st);
			continue;
		}
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			bool stop = false, hup = false;
			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				stop |= si.ssi_signo != SIGHUP;
				hup |= si.ssi_signo == SIGHUP;
			}
			if (stop)
				break;
			if (hup) {
				fprintf(stderr, "linkmgr: SIGHUP: reconciling\n");
				update_address(d);
				bl_reconcile(&d->mgr, &st);
			}
		}
		if (p[1].revents & POLLIN) {
			int r = bl_ctl_serve_one(&srv, handle, d);
			if (r < 0 && r != -EAGAIN)
				fprintf(stderr, "linkmgr: control connection: %s\n", strerror(-r));
		}
		if (nw && (p[2].revents & POLLIN) && bl_netwatch_drain(nw) && update_address(d))
			bl_reconcile(&d->mgr, &st);
	}
	sd_notify_msg("STOPPING=1");
	fprintf(stderr, "linkmgr: stopping; LIO objects stay in place for running clients\n");
	bl_netwatch_close(nw);
	bl_ctl_close(&srv);
	close(sfd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'd' },
		{ "once", no_argument, NULL, 'o' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "notify-boot", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *cfg_path = NULL, *db_path = NULL, *boot_mac = NULL;
	bool once = false, dry = false;
	struct bl_config cfg;

	/* dnsmasq calls its script with a plain word first: "add", "old", "del", "tftp", ... */
	if (argc >= 2 && argv[1][0] != '-') {
		if (bl_config_load(getenv("BOOTLINK_CONFIG"), &cfg) < 0)
			return 0;
		int r = dnsmasq_hook(&cfg, argc, argv);
		bl_config_free(&cfg);
		return r;
	}
	int c;
	while ((c = getopt_long(argc, argv, "c:d:onfb:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cfg_path = optarg; break;
		case 'd': db_path = optarg; break;
		case 'o': once = true; break;
		case 'n': dry = true; break;
		case 'f': break;
		case 'b': boot_mac = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (bl_config_load(cfg_path, &cfg) < 0) {
		fprintf(stderr, "linkmgr: %s\n", bl_last_error());
		return 1;
	}
	if (boot_mac) {
		int r = send_boot(&cfg, boot_mac, NULL);
		bl_config_free(&cfg);
		return r;
	}
	int rc = 1;
	struct bl_db *db = NULL;
	struct daemon d = { .cfg = &cfg };
	/* without the admin group the database stays root-only (0600) rather than unusable */
	const char *group = dry ? NULL : cfg.admin_group;
	if (group && !getgrnam(group)) {
		fprintf(stderr, "linkmgr: admin group '%s' does not exist: database and control "
			"socket are for root only\n", group);
		group = NULL;
	}
	if (bl_db_open(db_path ? db_path : cfg.db_path, dry ? BL_DB_READONLY : BL_DB_CREATE,
		       group, &db) < 0) {
		fprintf(stderr, "linkmgr: %s\n", bl_last_error());
		goto out;
	}
	if (bl_mgr_init(&d.mgr, &cfg, db) < 0) {
		fprintf(stderr, "linkmgr: %s\n", bl_last_error());
		goto out;
	}
	d.mgr.dry_run = dry;
	d.mgr.hook = BL_LINKMGR_PATH;
	if (cfg.server_address[0]) {
		if (bl_ipv4_check(cfg.server_address) < 0) {
			fprintf(stderr, "linkmgr: server_address: %s\n", bl_last_error());
			goto out_mgr;
		}
		snprintf(d.mgr.server, sizeof(d.mgr.server), "%s", cfg.server_address);
		d.fixed_addr = true;
	} else {
		update_address(&d);
	}
	if (once || dry) {
		struct bl_reconcile_stats st;
		int r = bl_reconcile(&d.mgr, &st);
		if (dry)
			printf("# %zu clients, %zu served, %zu changes\n", st.clients, st.served,
			       st.actions);
		rc = r == 0 ? 0 : 1;
	} else {
		rc = run_daemon(&d);
	}
out_mgr:
	free(d.marks);
	bl_mgr_free(&d.mgr);
out:
	bl_db_close(db);
	bl_config_free(&cfg);
	return rc;
}
