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
#include "control-client.h"
#include "db.h"
#include "error.h"
#include "hook.h"
#include "json.h"
#include "log.h"
#include "bootevent.h"
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

/* verbose: print the daemon's verdict ("started", "same boot", "on hold", ...) */
static int send_boot(const struct bl_config *cfg, const char *mac_in, const char *how, bool verbose)
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
	const char *v = strstr(reply, "\"boot\":\"");
	if (!ok)
		fprintf(stderr, "linkmgr: %s\n", reply);
	else if (verbose && v)
		printf("%s: %.*s\n", mac, (int)strcspn(v + 8, "\""), v + 8);
	free(reply);
	return ok ? 0 : 1;
}

/* dnsmasq --dhcp-script: always exits 0 so that dnsmasq never logs us as failing. */
static int dnsmasq_hook(const struct bl_config *cfg, int argc, char **argv)
{
	char mac[BL_MAC_LEN];
	switch (bl_hook_classify(argc, argv, getenv("DNSMASQ_VENDOR_CLASS"), "/proc/net/arp", mac)) {
	case BL_HOOK_BOOT: send_boot(cfg, mac, NULL, false); break;
	case BL_HOOK_BOOT_LATE: send_boot(cfg, mac, "tftp", false); break;
	case BL_HOOK_NONE: break;
	}
	return 0;
}

/* Boot events (see bootevent.h). A reconcile they ask for runs shortly after the reply, so
 * that dnsmasq's script helper, which runs one hook at a time, is never held up by it, and the
 * events of a room that powers on together share a few passes. */
#define SAME_BOOT_S 45
#define COALESCE_MS 200
#define HOLD_POLL_MS 1000

struct boot_client {
	char mac[BL_MAC_LEN];
	struct bl_bootev_client ev;
};

struct daemon {
	struct bl_mgr mgr;
	struct bl_config *cfg;
	bool fixed_addr;
	struct boot_client *clients;
	size_t n_clients;
	struct bl_bootev_params bootev;
	int64_t reconcile_at;		/* monotonic ms of a requested pass; 0: none */
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void want_reconcile(struct daemon *d, int64_t delay_ms)
{
	int64_t at = mono_ms() + delay_ms;
	if (!d->reconcile_at || at < d->reconcile_at)
		d->reconcile_at = at;
}

static struct boot_client *boot_client(struct daemon *d, const char *mac)
{
	for (size_t i = 0; i < d->n_clients; i++)
		if (strcmp(d->clients[i].mac, mac) == 0)
			return &d->clients[i];
	struct boot_client *v = realloc(d->clients, (d->n_clients + 1) * sizeof(*v));
	if (!v)
		return NULL;
	d->clients = v;
	struct boot_client *c = &v[d->n_clients++];
	snprintf(c->mac, sizeof(c->mac), "%s", mac);
	bl_bootev_init(&c->ev);
	return c;
}

static struct bl_sessions sessions_of(struct daemon *d, const char *mac)
{
	struct bl_plan_params pp = { .iqn_prefix = d->cfg->iqn_prefix };
	struct bl_cfs_status s;
	if (bl_cfs_client_status(&d->mgr.cfs, &pp, mac, &s) < 0)
		return (struct bl_sessions){ false, 0 };
	return (struct bl_sessions){ s.online, s.sid };
}

static void gate(struct daemon *d, const char *mac, bool on)
{
	bl_mgr_set_gated(&d->mgr, mac, on);
	if (!on)
		return;
	struct bl_plan_params pp = { .iqn_prefix = d->cfg->iqn_prefix };
	int r = bl_cfs_gate(&d->mgr.cfs, &pp, mac);
	if (r < 0)
		bl_log("client %s: cannot refuse new logins: %s", mac, strerror(-r));
}

/* Acts on a verdict; returns the reply's "boot" word. */
static const char *act(struct daemon *d, struct boot_client *c, enum bl_bootev_verdict v,
		       struct bl_sessions s, const char *how)
{
	bool was_gated = false;
	for (size_t i = 0; i < d->mgr.n_gated; i++)
		was_gated |= strcmp(d->mgr.gated[i], c->mac) == 0;
	switch (v) {
	case BL_BOOTEV_START:
		bl_log("client %s starts a boot%s%s", c->mac, how,
		       was_gated ? " (its old session has ended)" : "");
		if (bl_mgr_note_boot(&d->mgr, c->mac) < 0)
			return "error";
		/* A disk about to be renewed takes no login until it is; the reconcile puts the
		 * portal back once the disk is ready (or at once if nothing needs doing). */
		gate(d, c->mac, false);
		if (bl_mgr_boot_renews(&d->mgr, c->mac)) {
			struct bl_plan_params pp = { .iqn_prefix = d->cfg->iqn_prefix };
			bl_cfs_gate(&d->mgr.cfs, &pp, c->mac);
		}
		want_reconcile(d, COALESCE_MS);
		return "started";
	case BL_BOOTEV_SAME:
		bl_log("client %s: boot event%s ignored: part of the boot that started %.0f s ago",
		       c->mac, how, (double)mono_ms() / 1000 - c->ev.start_at);
		return "same boot";
	case BL_BOOTEV_HOLD:
		if (!was_gated) {
			bl_log("client %s: boot event%s while session %u is logged in: new logins wait "
			       "until that session ends (a rebooted PC's old session) or for %.0f s "
			       "(a running one)", c->mac, how, s.sid, d->bootev.hold_s);
			gate(d, c->mac, true);
		}
		return "on hold";
	case BL_BOOTEV_LIVE:
		if (was_gated) {
			bl_log("client %s: session %u stayed logged in: the boot event is dropped, "
			       "logins are accepted again", c->mac, s.sid);
			gate(d, c->mac, false);
			want_reconcile(d, 0);
		} else {
			bl_log("client %s: boot event%s ignored: session %u is live and outlived a hold "
			       "before", c->mac, how, s.sid);
		}
		return "ignored: the client is running";
	case BL_BOOTEV_LATE:
		bl_log("client %s: session %u logged in before its boot event could take effect "
		       "(its login was under way): this boot keeps its disk as it was%s; logins are "
		       "accepted again", c->mac, s.sid,
		       bl_mgr_boot_renews(&d->mgr, c->mac) ? ", not renewed" : "");
		gate(d, c->mac, false);
		want_reconcile(d, 0);
		return "ignored: the client logged in first";
	}
	return "?";
}

static char *boot_event(struct daemon *d, const char *arg)
{
	char word[64], mac[BL_MAC_LEN];
	snprintf(word, sizeof(word), "%s", arg);
	char *sp = strchr(word, ' ');
	if (sp)
		*sp = '\0';
	if (bl_mac_parse(word, mac) < 0)
		return bl_ctl_error_reply(bl_last_error());
	/* The wire says nothing about who sent it: only linked, enabled clients are tracked. */
	struct bl_client cl;
	if (bl_db_client_get(d->mgr.db, mac, &cl) < 0)
		return strdup("{\"ok\":true,\"boot\":\"ignored: not a linked client\"}");
	bool enabled = cl.enabled;
	bl_client_clear(&cl);
	if (!enabled)
		return strdup("{\"ok\":true,\"boot\":\"ignored: the client is disabled\"}");
	struct boot_client *c = boot_client(d, mac);
	if (!c)
		return bl_ctl_error_reply("out of memory");
	struct bl_sessions s = sessions_of(d, mac);
	const char *how = sp && !strcmp(sp + 1, "tftp") ? " (iPXE script download)" : "";
	enum bl_bootev_verdict v = bl_bootev_event(&c->ev, &d->bootev, (double)mono_ms() / 1000, s);
	const char *what = act(d, c, v, s, how);
	char msg[128];
	snprintf(msg, sizeof(msg), "{\"ok\":true,\"boot\":\"%s\"}", what);
	return strdup(msg);
}

/* Clients on hold, looked at again. */
static bool poll_holds(struct daemon *d)
{
	bool any = false;
	for (size_t i = 0; i < d->n_clients; i++) {
		struct boot_client *c = &d->clients[i];
		if (!bl_bootev_held(&c->ev))
			continue;
		struct bl_sessions s = sessions_of(d, c->mac);
		enum bl_bootev_verdict v = bl_bootev_poll(&c->ev, &d->bootev,
							  (double)mono_ms() / 1000, s);
		if (v != BL_BOOTEV_HOLD)
			act(d, c, v, s, "");
		any |= bl_bootev_held(&c->ev);
	}
	return any;
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
	if (!strncmp(req, "boot ", 5))
		return boot_event(d, req + 5);
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
			bl_log("server address lost: %s", bl_last_error());
		addr[0] = '\0';
	}
	if (!strcmp(addr, d->mgr.server) && plen == d->mgr.prefixlen)
		return false;
	if (addr[0])
		bl_log("server address is now %s/%d", addr, plen);
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
	int64_t next_period = mono_ms() + PERIOD_MS, next_hold = 0;
	bool holds = false;
	for (;;) {
		struct pollfd p[3] = { { sfd, POLLIN, 0 }, { srv.fd, POLLIN, 0 },
				       { nw ? bl_netwatch_fd(nw) : -1, POLLIN, 0 } };
		int64_t now = mono_ms(), wake = next_period;
		if (d->reconcile_at && d->reconcile_at < wake)
			wake = d->reconcile_at;
		if (holds && next_hold < wake)
			wake = next_hold;
		int n = poll(p, 3, wake > now ? (int)(wake - now) : 0);
		if (n < 0 && errno != EINTR)
			break;
		now = mono_ms();
		if (holds && now >= next_hold) {
			holds = poll_holds(d);
			next_hold = now + HOLD_POLL_MS;
		}
		if (now >= next_period) {
			update_address(d);
			want_reconcile(d, 0);
		}
		if (d->reconcile_at && mono_ms() >= d->reconcile_at) {
			d->reconcile_at = 0;
			next_period = mono_ms() + PERIOD_MS;
			bl_reconcile(&d->mgr, &st);
		}
		if (n <= 0)
			continue;
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
				bl_log("SIGHUP: reconciling");
				update_address(d);
				want_reconcile(d, 0);
			}
		}
		if (p[1].revents & POLLIN) {
			int r = bl_ctl_serve_one(&srv, handle, d);
			if (r < 0 && r != -EAGAIN)
				bl_log("control connection: %s", strerror(-r));
			if (!holds && d->mgr.n_gated) {
				holds = true;
				next_hold = mono_ms() + HOLD_POLL_MS;
			}
		}
		if (nw && (p[2].revents & POLLIN) && bl_netwatch_drain(nw) && update_address(d))
			want_reconcile(d, 0);
	}
	sd_notify_msg("STOPPING=1");
	bl_log("stopping; LIO objects stay in place for running clients");
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
		int r = send_boot(&cfg, boot_mac, NULL, true);
		bl_config_free(&cfg);
		return r;
	}
	int rc = 1;
	struct bl_db *db = NULL;
	/* A rebooted PC's old session lasts until LIO's NOP-In checks fail: up to nopin_timeout
	 * for the ping plus nopin_response_timeout for the answer; a hold lasts a little longer. */
	struct daemon d = { .cfg = &cfg,
			    .bootev = { .same_boot_s = SAME_BOOT_S,
					.hold_s = cfg.nopin_timeout + cfg.nopin_response_timeout + 10 } };
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
	if (bl_mgr_init(&d.mgr, &cfg, db, NULL) < 0) {
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
	free(d.clients);
	bl_mgr_free(&d.mgr);
out:
	bl_db_close(db);
	bl_config_free(&cfg);
	return rc;
}
