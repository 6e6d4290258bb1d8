/* reconcile.c - database rows -> wanted clients -> plan -> configfs, then the boot files.
 *
 * When a client's disk is (re)made (storage renew):
 * - it has none yet (first link), or the admin asked `client reset --force` (BL_RESET_NOW);
 * - it needs a new one (relinked: booted_version -1; reset requested; a volatile client whose
 *   image has a newer current version) and is not running: it is starting a boot (a `boot`
 *   request from the DHCP hook) or has no iSCSI session. A running client is never moved.
 * A volatile client's backstore is also rebuilt at each boot: the handler discards a volatile
 * overlay's data when its device opens, so every boot starts from the image.
 *
 * No disk is renewed or rebuilt under a session. Before a client's disk is touched, its logins
 * are refused (its portal is removed; sessions keep running) and its sessions are read again: a
 * client that logged in meanwhile is left as it is and renewed at a later pass, once offline.
 * The plan then builds the disk and puts the portal back last. A crash in between leaves a
 * client without a portal, which the next pass (at start) puts back.
 */
#include "reconcile.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <grp.h>
#include <unistd.h>

#include "decide.h"
#include "dnsmasq.h"
#include "error.h"
#include "files.h"
#include "ipxe.h"
#include "json.h"
#include "log.h"
#include "plan.h"
#include "storage.h"
#include "names.h"
#include "validate.h"

#define RENEW_THREADS 8

#define say bl_log

int bl_mgr_init(struct bl_mgr *m, const struct bl_config *cfg, struct bl_db *db,
		const struct bl_cfs_ops *cfs_ops)
{
	memset(m, 0, sizeof(*m));
	m->cfg = cfg;
	m->db = db;
	m->out = stdout;
	m->prefixlen = 24;
	return bl_cfs_open(cfg->configfs_root, cfs_ops, &m->cfs);
}

void bl_mgr_free(struct bl_mgr *m)
{
	bl_cfs_close(&m->cfs);
	free(m->boots);
	m->boots = NULL;
	m->n_boots = 0;
	free(m->gated);
	m->gated = NULL;
	m->n_gated = 0;
	free(m->skipped);
	m->skipped = NULL;
}

static ssize_t mac_index(char (*v)[18], size_t n, const char *mac)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], mac) == 0)
			return (ssize_t)i;
	return -1;
}

int bl_mgr_set_gated(struct bl_mgr *m, const char *mac, bool gated)
{
	ssize_t i = mac_index(m->gated, m->n_gated, mac);
	if (!gated) {
		if (i >= 0)
			memmove(&m->gated[i], &m->gated[i + 1], (m->n_gated - (size_t)i - 1) * 18);
		m->n_gated -= i >= 0;
		return 0;
	}
	if (i >= 0)
		return 0;
	char (*v)[18] = realloc(m->gated, (m->n_gated + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	m->gated = v;
	snprintf(m->gated[m->n_gated++], 18, "%s", mac);
	return 0;
}

static bool is_vol(const struct bl_client *c)
{
	return c->mode == BL_MODE_VOLATILE && c->role != BL_ROLE_SUPER;
}

bool bl_mgr_boot_renews(struct bl_mgr *m, const char *mac)
{
	struct bl_client c;
	struct bl_image img;
	if (bl_db_client_get(m->db, mac, &c) < 0)
		return false;
	bool r = false;
	if (c.enabled && bl_db_image_get_id(m->db, c.image_id, &img) == 0) {
		struct bl_decide_in in = {
			.mode = c.mode, .role = c.role, .reset = c.reset,
			.current_version = img.current_version, .disk_exists = true,
			.booted_version = c.booted_version, .booting = true,
		};
		struct bl_decide d = bl_decide(&in);
		r = d.renew || d.recreate;
		bl_image_clear(&img);
	}
	bl_client_clear(&c);
	return r;
}

int bl_mgr_note_boot(struct bl_mgr *m, const char *mac)
{
	for (size_t i = 0; i < m->n_boots; i++)
		if (strcmp(m->boots[i], mac) == 0)
			return 0;
	char (*v)[18] = realloc(m->boots, (m->n_boots + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	m->boots = v;
	snprintf(m->boots[m->n_boots++], 18, "%s", mac);
	return 0;
}

static bool booting(const struct bl_mgr *m, const char *mac)
{
	return mac_index(m->boots, m->n_boots, mac) >= 0;
}

static struct bl_plan_params plan_params(const struct bl_mgr *m)
{
	return (struct bl_plan_params){
		.iqn_prefix = m->cfg->iqn_prefix, .hba_index = m->cfg->hba_index,
		.max_data_area_mb = m->cfg->max_data_area_mb,
		.cmd_ring_size_mb = m->cfg->cmd_ring_size_mb,
		.nopin_timeout = m->cfg->nopin_timeout,
		.nopin_response_timeout = m->cfg->nopin_response_timeout,
		.portal_ip = m->server[0] ? m->server : NULL, .portal_port = m->cfg->portal_port,
		.chap = m->cfg->chap,
	};
}

struct fail_ctx {
	char (*keys)[32];
	size_t n;
	size_t failures;
};

static void on_fail(void *ctx, const struct bl_action *a, int err)
{
	struct fail_ctx *f = ctx;
	f->failures++;
	say("%s%s: %s failed: %s %s: %s", a->key[0] ? "client " : "LIO", a->key, a->what,
	    a->op == BL_OP_WRITE ? "writing" : a->op == BL_OP_SYMLINK ? "linking" : "changing",
	    a->path, strerror(-err));
	char (*v)[32] = realloc(f->keys, (f->n + 1) * sizeof(*v));
	if (v) {
		f->keys = v;
		snprintf(f->keys[f->n++], 32, "%s", a->key);
	}
}

static bool key_failed(const struct fail_ctx *f, const char *mac)
{
	char m12[BL_MAC12_LEN];
	bl_mac12(mac, m12);
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->keys[i], m12) == 0)
			return true;
	return false;
}

/* Per-client working state of one pass. */
struct item {
	enum bl_ipxe_kind kind;
	bool skip;			/* its rows failed their re-check: not served */
	bool pending;			/* its backstore rebuild is recorded as pending */
	bool vol, exists, renew;
	int renew_rc, version;		/* result of the renewal */
	char renew_err[256];
};

/* Decides about l's disk (step 1, no side effects): fills w's CHAP and it->renew. */
static enum bl_ipxe_kind decide(struct bl_mgr *m, const struct bl_link *l, struct bl_want *w,
				struct item *it)
{
	const struct bl_client *c = &l->client;
	const struct bl_config *cfg = m->cfg;
	snprintf(w->mac, sizeof(w->mac), "%s", c->mac);
	if (it->skip)
		return BL_IPXE_UNAVAILABLE;
	if (!c->enabled)
		return BL_IPXE_DISABLED;
	if (cfg->chap) {
		if (!c->chap_user || !c->chap_secret) {
			say("client %s: CHAP is on but the client has no credentials: not served "
			    "(linkctl client add/update sets them)", c->mac);
			return BL_IPXE_UNAVAILABLE;
		}
		if (bl_chap_user_check(c->chap_user) < 0 || bl_chap_secret_check(c->chap_secret) < 0) {
			say("client %s: %s: not served", c->mac, bl_last_error());
			return BL_IPXE_UNAVAILABLE;
		}
		w->chap_user = c->chap_user;
		w->chap_secret = c->chap_secret;
	}
	it->vol = is_vol(c);
	w->gate = mac_index(m->gated, m->n_gated, c->mac) >= 0;
	it->exists = bl_storage_exists(cfg, l);
	struct bl_decide_in in = {
		.mode = c->mode, .role = c->role, .reset = c->reset,
		.current_version = l->current_version, .disk_exists = it->exists,
		.booted_version = c->booted_version, .booting = booting(m, c->mac),
		.held = w->gate,
	};
	if (bl_decide_needs_online(&in)) {
		struct bl_plan_params pp = plan_params(m);
		struct bl_cfs_status s;
		in.online = bl_cfs_client_status(&m->cfs, &pp, c->mac, &s) < 0 || s.online;
	}
	struct bl_decide d = bl_decide(&in);
	it->renew = d.renew;
	/* a rebuild decided earlier that configfs never confirmed (failed, or linkmgr died):
	 * tcmu-runner may still serve the replaced disk */
	w->recreate = d.recreate || (c->rebuild_pending && it->exists);
	return BL_IPXE_BOOT;
}

/* Step 1b: clients whose disk this pass renews or rebuilds stop accepting logins first, and
 * are looked at once more: one that logged in meanwhile keeps its disk for now. */
static void gate_renewals(struct bl_mgr *m, const struct bl_link *links, struct bl_want *want,
			  struct item *items, size_t n)
{
	struct bl_plan_params pp = plan_params(m);
	for (size_t i = 0; i < n; i++) {
		struct item *it = &items[i];
		struct bl_want *w = &want[i];
		if (it->kind != BL_IPXE_BOOT || !(it->renew || w->recreate))
			continue;
		const char *mac = links[i].client.mac;
		struct bl_cfs_status s;
		if (bl_cfs_client_status(&m->cfs, &pp, mac, &s) < 0 || !s.present)
			continue;	/* nothing is served yet: nothing to log in to */
		int r = bl_cfs_gate(&m->cfs, &pp, mac);
		if (r < 0)
			say("client %s: cannot refuse logins while its disk is rebuilt: %s", mac,
			    strerror(-r));
		if (r < 0 || (bl_cfs_client_status(&m->cfs, &pp, mac, &s) == 0 && s.online)) {
			if (s.online)
				say("client %s: logged in (session %u) as its disk was about to be %s: "
				    "left as it is; it is renewed once it is offline", mac, s.sid,
				    it->renew ? "renewed" : "rebuilt");
			it->renew = false;
			w->recreate = false;
		}
	}
}

/* Step 2: renewals run on a few threads: creating an overlay is mostly waiting for its
 * fsyncs, which overlap well (a first pass over a new room of PCs creates them all). */
struct renew_job {
	struct bl_mgr *m;
	const struct bl_link *links;
	struct item *items;
	size_t n, next;
	pthread_mutex_t lock;
};

static void *renew_worker(void *arg)
{
	struct renew_job *j = arg;
	for (;;) {
		pthread_mutex_lock(&j->lock);
		while (j->next < j->n && !j->items[j->next].renew)
			j->next++;
		size_t i = j->next++;
		pthread_mutex_unlock(&j->lock);
		if (i >= j->n)
			return NULL;
		struct item *it = &j->items[i];
		it->renew_rc = bl_storage_renew(j->m->cfg, &j->links[i], &it->version);
		if (it->renew_rc < 0)
			snprintf(it->renew_err, sizeof(it->renew_err), "%s", bl_last_error());
	}
}

static void renew_all(struct bl_mgr *m, const struct bl_link *links, struct item *items,
		      size_t n)
{
	struct renew_job j = { m, links, items, n, 0, PTHREAD_MUTEX_INITIALIZER };
	size_t todo = 0;
	for (size_t i = 0; i < n; i++)
		todo += items[i].renew;
	pthread_t t[RENEW_THREADS];
	size_t nt = 0;
	while (todo > 1 && nt < RENEW_THREADS && nt < todo
	       && pthread_create(&t[nt], NULL, renew_worker, &j) == 0)
		nt++;
	renew_worker(&j);	/* also the fallback when no thread could start */
	for (size_t i = 0; i < nt; i++)
		pthread_join(t[i], NULL);
}

/* Step 3: results into the wanted state and the database (one transaction for all). */
static void finish_client(struct bl_mgr *m, const struct bl_link *l, struct bl_want *w,
			  struct item *it, struct bl_storage_loc *loc)
{
	const struct bl_client *c = &l->client;
	if (it->kind != BL_IPXE_BOOT)
		return;
	if (it->renew && m->dry_run) {
		fprintf(m->out, "# would create a new disk for %s on image '%s' version %d\n",
			c->mac, l->image_name, l->current_version);
		w->recreate |= it->exists;
	} else if (it->renew && it->renew_rc < 0) {
		say("%s", it->renew_err);
		if (!it->exists) {
			it->kind = BL_IPXE_UNAVAILABLE;
			return;
		}
	} else if (it->renew) {
		w->recreate |= it->exists;	/* the handler must open the new file */
		if (bl_db_set_booted_version(m->db, c->mac, it->version) < 0)
			say("client %s: cannot record its version: %s", c->mac, bl_last_error());
		bl_db_log_event(m->db, c->mac, "new disk on image '%s' version %d", l->image_name,
				it->version);
	}
	if (bl_storage_locate(m->cfg, l, it->vol, loc) < 0) {
		say("client %s: %s", c->mac, bl_last_error());
		it->kind = BL_IPXE_UNAVAILABLE;
		return;
	}
	w->serve = true;
	w->dev_config = loc->dev_config;
	w->dev_size = loc->size;
	/* durable before configfs is touched: cleared only when the apply confirms it */
	if (w->recreate && !m->dry_run) {
		it->pending = true;
		if (!c->rebuild_pending && bl_db_set_rebuild_pending(m->db, c->mac, true) < 0)
			say("client %s: cannot record its pending rebuild: %s", c->mac,
			    bl_last_error());
	}
}

static void warn_host(void *ctx, const char *mac, const char *why)
{
	(void)ctx;
	say("client %s: dnsmasq hosts file: %s", mac, why);
}

/* Writes one generated file; returns 1 if it changed. In dry-run only reports. */
static int put_file(struct bl_mgr *m, const char *path, const char *text, mode_t mode)
{
	if (m->dry_run) {
		FILE *f = fopen(path, "r");
		char *old = NULL;
		size_t len = 0;
		bool same = false;
		if (f) {
			ssize_t n = getdelim(&old, &len, '\0', f);
			same = n >= 0 && strcmp(old, text) == 0;
			fclose(f);
		}
		free(old);
		if (!same)
			fprintf(m->out, "# would write %s\n", path);
		return 0;
	}
	int r = bl_write_if_changed(path, text, strlen(text), mode);
	if (r < 0)
		say("%s: cannot write: %s", path, strerror(-r));
	return r;
}

static void signal_dnsmasq(const struct bl_config *cfg, struct bl_reconcile_stats *st)
{
	FILE *f = fopen(cfg->dnsmasq_pid_file, "r");
	long pid = 0;
	if (!f || fscanf(f, "%ld", &pid) != 1 || pid <= 1) {
		if (f)
			fclose(f);
		say("dnsmasq: no pid in %s: it will read the new files when it starts",
		    cfg->dnsmasq_pid_file);
		return;
	}
	fclose(f);
	if (kill((pid_t)pid, SIGHUP) < 0)
		say("dnsmasq (pid %ld from %s): cannot signal it: %s", pid, cfg->dnsmasq_pid_file,
		    strerror(errno));
	else
		st->dnsmasq_reloaded = true;
}

/* Removes a client's TFTP root: only the names linkmgr puts there. */
static void remove_tftp_root(const char *dir)
{
	char p[PATH_MAX + 64];
	static const char *const names[] = { BL_BOOTFILE_BIOS, BL_BOOTFILE_UEFI, BL_SCRIPT_DISPATCH };
	for (size_t k = 0; k < 3; k++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[k]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/" BL_SCRIPT_DIR, dir);
	DIR *d = opendir(p);
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (bl_name_is_script(e->d_name, NULL))
			unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
	if (rmdir(p) < 0 && errno != ENOENT)
		say("%s: cannot remove: %s", p, strerror(errno));
	if (rmdir(dir) < 0)
		say("%s: cannot remove: %s", dir, strerror(errno));
}

static void boot_files(struct bl_mgr *m, const struct bl_link *links, size_t n,
		       const enum bl_ipxe_kind *kind, struct bl_reconcile_stats *st)
{
	const struct bl_config *cfg = m->cfg;
	if (!m->server[0]) {
		say("server address unknown (no IPv4 address on %s): boot files not written",
		    cfg->boot_interface[0] ? cfg->boot_interface : "the default route's interface");
		return;
	}
	char path[PATH_MAX];
	if (!m->dry_run) {
		mkdir(cfg->dnsmasq_dir, 0755);
		mkdir(cfg->tftp_root, 0755);
		snprintf(path, sizeof(path), "%s/" BL_SCRIPT_DIR, cfg->tftp_root);
		mkdir(path, 0755);
	}
	struct bl_dhcp_host *hosts = calloc(n + 1, sizeof(*hosts));
	if (!hosts) {
		say("boot files: out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++)
		hosts[i] = (struct bl_dhcp_host){ links[i].client.mac, links[i].client.ip,
						  links[i].client.hostname, kind[i] == BL_IPXE_BOOT };
	/* Client scripts (CHAP secrets) readable by dnsmasq's group only, where it has one */
	struct group *gr = getgrnam(BL_TFTP_GROUP);
	gid_t gid = gr ? gr->gr_gid : (gid_t)-1;
	if (!gr && n)
		say("group " BL_TFTP_GROUP " does not exist (the package creates it): client "
		    "scripts are world-readable");
	struct bl_dnsmasq_params dp = { cfg, m->server, m->prefixlen,
					m->hook ? m->hook : "/usr/sbin/linkmgr",
					gr ? BL_TFTP_GROUP : NULL };
	char *text = NULL;
	int changed = 0, r;
	if ((r = bl_dnsmasq_conf(&dp, &text)) < 0)
		say("%s", r == -EINVAL ? bl_last_error() : strerror(-r));
	else {
		snprintf(path, sizeof(path), "%s/dnsmasq.conf", cfg->dnsmasq_dir);
		bool existed = access(path, F_OK) == 0;
		if (put_file(m, path, text, 0644) > 0 && existed) {
			st->dnsmasq_conf_changed = true;
			say("%s changed: restart dnsmasq to apply it (SIGHUP does not reread it)", path);
		}
	}
	free(text);
	if ((r = bl_dnsmasq_hosts(hosts, n, warn_host, NULL, &text)) == 0) {
		snprintf(path, sizeof(path), "%s/hosts", cfg->dnsmasq_dir);
		changed += put_file(m, path, text, 0644) > 0;
		free(text);
	}
	if ((r = bl_dnsmasq_opts(&dp, hosts, n, &text)) < 0)
		say("%s", r == -EINVAL ? bl_last_error() : strerror(-r));
	else {
		snprintf(path, sizeof(path), "%s/opts", cfg->dnsmasq_dir);
		changed += put_file(m, path, text, 0644) > 0;
		free(text);
	}
	free(hosts);

	static const char *bootfiles[] = { BL_BOOTFILE_BIOS, BL_BOOTFILE_UEFI };
	for (size_t i = 0; i < 2 && !m->dry_run; i++) {
		char src[PATH_MAX];
		snprintf(src, sizeof(src), "%s/%s", cfg->ipxe_dir, bootfiles[i]);
		snprintf(path, sizeof(path), "%s/%s", cfg->tftp_root, bootfiles[i]);
		if ((r = bl_copy_if_changed(src, path, 0644)) < 0)
			say("boot file %s: %s (is the ipxe package installed?)", src, strerror(-r));
	}

	/* iPXE scripts. The dispatcher, which every iPXE runs first, is in the shared root. A
	 * client's own script (with its CHAP secret) is only in that client's own TFTP root, with
	 * links to the boot files: dnsmasq (tftp-unique-root=mac) serves a client from there, by
	 * the MAC of the address asking, and an unknown PC from the shared root, where no
	 * client's script is. Readable by the TFTP server's user only, where it has one. */
	struct bl_ipxe_params ip = { m->server, cfg->portal_port, cfg->iqn_prefix };
	if (bl_ipxe_dispatch_script(&ip, &text) == 0) {
		snprintf(path, sizeof(path), "%s/" BL_SCRIPT_DISPATCH, cfg->tftp_root);
		put_file(m, path, text, 0644);
		free(text);
	}
	mode_t fmode = gr ? 0640 : 0644, dmode = gr ? 0750 : 0755;
	for (size_t i = 0; i < n; i++) {
		const struct bl_client *c = &links[i].client;
		struct bl_ipxe_client ic = { c->mac, c->hostname, links[i].image_name, kind[i],
					     NULL, NULL };
		if (kind[i] == BL_IPXE_BOOT && cfg->chap) {
			ic.chap_user = c->chap_user;
			ic.chap_secret = c->chap_secret;
		}
		if (ic.hostname && bl_hostname_check(ic.hostname) < 0)
			ic.hostname = NULL;
		if (ic.image && bl_image_name_check(ic.image) < 0)
			ic.image = NULL;
		char name[BL_MAC12_LEN + 8], dir[32];
		if ((r = bl_name_script(c->mac, name, sizeof(name))) < 0
		    || (r = bl_name_tftp_dir(c->mac, dir, sizeof(dir))) < 0
		    || (r = bl_ipxe_client_script(&ip, &ic, &text)) < 0) {
			say("client %s: iPXE script not written: %s", c->mac, bl_last_error());
			continue;
		}
		if (!m->dry_run) {
			snprintf(path, sizeof(path), "%s/%s", cfg->tftp_root, dir);
			mkdir(path, dmode);
			if (chown(path, 0, gid) < 0 || chmod(path, dmode) < 0)
				say("%s: %s", path, strerror(errno));
			snprintf(path, sizeof(path), "%s/%s/" BL_SCRIPT_DIR, cfg->tftp_root, dir);
			mkdir(path, dmode);
			if (chown(path, 0, gid) < 0 || chmod(path, dmode) < 0)
				say("%s: %s", path, strerror(errno));
			static const char *const shared[] = { BL_BOOTFILE_BIOS, BL_BOOTFILE_UEFI,
							       BL_SCRIPT_DISPATCH };
			for (size_t k = 0; k < 3; k++) {
				char src[PATH_MAX], dst[PATH_MAX + 64];
				snprintf(src, sizeof(src), "%s/%s", cfg->tftp_root, shared[k]);
				snprintf(dst, sizeof(dst), "%s/%s/%s", cfg->tftp_root, dir, shared[k]);
				if (access(src, F_OK) == 0 && (r = bl_link_if_changed(src, dst)) < 0)
					say("%s: %s", dst, strerror(-r));
			}
		}
		snprintf(path, sizeof(path), "%s/%s/" BL_SCRIPT_DIR "/%s", cfg->tftp_root, dir, name);
		if (put_file(m, path, text, fmode) >= 0 && !m->dry_run &&
		    (chown(path, 0, gid) < 0 || chmod(path, fmode) < 0))
			say("%s: %s", path, strerror(errno));
		free(text);
	}
	/* what is gone: scripts in the shared root (no client's script belongs there), and the
	 * TFTP roots of clients no longer linked */
	snprintf(path, sizeof(path), "%s/" BL_SCRIPT_DIR, cfg->tftp_root);
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (!bl_name_is_script(e->d_name, NULL))
			continue;
		if (m->dry_run)
			fprintf(m->out, "# would remove %s/%s\n", path, e->d_name);
		else if (unlinkat(dirfd(d), e->d_name, 0) < 0)
			say("%s/%s: cannot remove: %s", path, e->d_name, strerror(errno));
	}
	if (d)
		closedir(d);
	d = opendir(cfg->tftp_root);
	while (d && (e = readdir(d))) {
		if (!bl_name_is_tftp_dir(e->d_name))
			continue;
		bool known = false;
		for (size_t i = 0; i < n && !known; i++) {
			char dir[32];
			known = bl_name_tftp_dir(links[i].client.mac, dir, sizeof(dir)) == 0 &&
				!strcmp(dir, e->d_name);
		}
		if (known)
			continue;
		snprintf(path, sizeof(path), "%s/%s", cfg->tftp_root, e->d_name);
		if (m->dry_run)
			fprintf(m->out, "# would remove %s\n", path);
		else
			remove_tftp_root(path);
	}
	if (d)
		closedir(d);
	if (changed && !m->dry_run)
		signal_dnsmasq(cfg, st);
}

/* Step 0: root acts only on rows that pass their re-check (bl_link_check: the database is
 * the admin group's to write). A row whose MAC is malformed cannot even be named in configfs
 * or the boot files: it is moved past the returned count (freed with the others) and nothing
 * of it exists in this pass. Other bad rows stay, marked, and get the "cannot be served"
 * script. Each reason is logged every pass, and an event the first time. */
static size_t check_rows(struct bl_mgr *m, struct bl_link *links, size_t n, size_t *nbad,
			 struct item *items, struct bl_reconcile_stats *st)
{
	char *now = NULL;
	size_t len = 0, kept = 0;
	FILE *f = open_memstream(&now, &len);
	struct bl_link *bad = calloc(n + 1, sizeof(*bad));
	size_t nb = 0;
	for (size_t i = 0; i < n; i++) {
		const struct bl_client *c = &links[i].client;
		char mac[BL_MAC_LEN];
		bool named = bl_mac_parse(c->mac, mac) == 0 && strcmp(mac, c->mac) == 0;
		int r = links[i].problem ? bl_fail(-EBADMSG, "client %s: %s", c->mac,
						   links[i].problem)
					 : bl_link_check(m->cfg, &links[i]);
		if (r < 0) {
			char why[1024];
			snprintf(why, sizeof(why), "%s: skipped", bl_last_error());
			say("%s", why);
			if (f)
				fprintf(f, "%s\n", why);
			if (!m->dry_run && !(m->skipped && strstr(m->skipped, why)))
				bl_db_log_event(m->db, named ? c->mac : "database", "%s", why);
			st->skipped++;
		}
		if (!named && bad) {
			bad[nb++] = links[i];
			continue;
		}
		if (kept != i)
			links[kept] = links[i];
		items[kept++].skip = r < 0;
	}
	for (size_t i = 0; i < nb; i++)
		links[kept + i] = bad[i];
	free(bad);
	if (f && fclose(f) == 0) {
		free(m->skipped);
		m->skipped = now;
	}
	*nbad = nb;
	return kept;
}

int bl_reconcile(struct bl_mgr *m, struct bl_reconcile_stats *st)
{
	memset(st, 0, sizeof(*st));
	struct bl_link *links = NULL;
	size_t n = 0, nbad = 0;
	int r = bl_db_load_links(m->db, &links, &n);
	if (r < 0) {
		say("database: %s", bl_last_error());
		return r;
	}
	struct bl_plan_params pp = plan_params(m);
	struct bl_lio_state actual = { 0 };
	struct stat sb;
	if (stat(m->cfs.root, &sb) < 0) {
		say("LIO is not loaded: %s is missing (modprobe target_core_user iscsi_target_mod)",
		    m->cfs.root);
		bl_links_free(links, n);
		return -ENOENT;
	}
	struct bl_want *want = calloc(n + 1, sizeof(*want));
	struct bl_storage_loc *loc = calloc(n + 1, sizeof(*loc));
	enum bl_ipxe_kind *kind = calloc(n + 1, sizeof(*kind));
	struct item *items = calloc(n + 1, sizeof(*items));
	struct bl_plan plan = { 0 };
	struct fail_ctx fc = { 0 };
	if (!want || !loc || !kind || !items) {
		r = -ENOMEM;
		goto out;
	}
	n = check_rows(m, links, n, &nbad, items, st);
	for (size_t i = 0; i < n; i++)
		items[i].kind = decide(m, &links[i], &want[i], &items[i]);
	if (!m->dry_run) {
		gate_renewals(m, links, want, items, n);
		renew_all(m, links, items, n);
	}
	/* read after the gates, so that the plan puts the portals back */
	if ((r = bl_cfs_read(&m->cfs, &pp, &actual)) < 0) {
		say("configfs %s: cannot read: %s", m->cfs.root, strerror(-r));
		goto out;
	}
	bool tx = !m->dry_run && bl_db_begin(m->db) == 0;
	for (size_t i = 0; i < n; i++) {
		finish_client(m, &links[i], &want[i], &items[i], &loc[i]);
		kind[i] = items[i].kind;
		st->served += want[i].serve;
	}
	if (tx && bl_db_commit(m->db) < 0)
		say("database: cannot record disk versions: %s", bl_last_error());
	st->clients = n;
	if ((r = bl_plan_compute(&pp, want, n, &actual, &plan)) < 0) {
		say("plan: %s", strerror(-r));
		goto out;
	}
	st->actions = plan.n;
	if (m->dry_run) {
		bl_plan_print(&plan, m->out);
	} else {
		bl_cfs_apply(&m->cfs, &plan, on_fail, &fc);
		st->failures = fc.failures;
		for (size_t i = 0; i < n; i++) {
			const struct bl_client *c = &links[i].client;
			if (kind[i] == BL_IPXE_BOOT && key_failed(&fc, c->mac))
				kind[i] = BL_IPXE_UNAVAILABLE;
			else if (kind[i] == BL_IPXE_BOOT && items[i].pending
				 && bl_db_set_rebuild_pending(m->db, c->mac, false) < 0)
				say("client %s: cannot record its rebuild: %s", c->mac,
				    bl_last_error());
		}
	}
	boot_files(m, links, n, kind, st);
	if (!m->dry_run) {
		m->n_boots = 0;
		if (plan.n)
			say("reconciled %zu clients (%zu served): %zu changes, %zu failed", n,
			    st->served, plan.n, st->failures);
	}
	r = st->failures ? 1 : 0;
out:
	bl_plan_free(&plan);
	bl_lio_state_free(&actual);
	free(fc.keys);
	free(want);
	free(loc);
	free(kind);
	free(items);
	bl_links_free(links, n + nbad);
	return r;
}

int bl_mgr_status_json(struct bl_mgr *m, char **out)
{
	struct bl_link *links = NULL;
	size_t n = 0;
	int r = bl_db_load_links(m->db, &links, &n);
	if (r < 0)
		return r;
	struct bl_plan_params pp = plan_params(m);
	struct bl_json j;
	bl_json_init(&j);
	bl_json_obj(&j);
	bl_json_kv_bool(&j, "ok", true);
	bl_json_kv_str(&j, "server", m->server[0] ? m->server : NULL);
	bl_json_kv_int(&j, "portal_port", m->cfg->portal_port);
	bl_json_key(&j, "clients");
	bl_json_arr(&j);
	for (size_t i = 0; i < n; i++) {
		const struct bl_client *c = &links[i].client;
		struct bl_cfs_status s;
		uint64_t used = 0;
		char canon[BL_MAC_LEN];
		if (bl_mac_parse(c->mac, canon) < 0 || strcmp(canon, c->mac) != 0)
			continue;	/* a damaged row names no configfs path (check_rows) */
		char tiqn[BL_IQN_MAX] = "", iiqn[BL_IQN_MAX] = "";
		bl_cfs_client_status(&m->cfs, &pp, c->mac, &s);
		bl_storage_usage(m->cfg, c->mac, &used);
		bl_target_iqn(m->cfg->iqn_prefix, c->mac, tiqn, sizeof(tiqn));
		bl_initiator_iqn(m->cfg->iqn_prefix, c->mac, iiqn, sizeof(iiqn));
		bl_json_obj(&j);
		bl_json_kv_str(&j, "mac", c->mac);
		bl_json_kv_str(&j, "hostname", c->hostname);
		bl_json_kv_str(&j, "image", links[i].image_name);
		bl_json_kv_bool(&j, "enabled", c->enabled);
		bl_json_kv_str(&j, "mode", bl_mode_name(c->mode));
		bl_json_kv_bool(&j, "super", c->role == BL_ROLE_SUPER);
		bl_json_kv_bool(&j, "served", s.present);
		bl_json_kv_bool(&j, "online", s.online);
		bl_json_kv_uint(&j, "read_mb", s.read_mb);
		bl_json_kv_uint(&j, "write_mb", s.write_mb);
		bl_json_kv_uint(&j, "overlay_bytes", used);
		bl_json_kv_int(&j, "booted_version", c->booted_version);
		bl_json_kv_int(&j, "current_version", links[i].current_version);
		bl_json_kv_str(&j, "target_iqn", tiqn);
		bl_json_kv_str(&j, "initiator_iqn", iiqn);
		bl_json_end(&j);
	}
	bl_json_end(&j);
	bl_json_end(&j);
	bl_links_free(links, n);
	*out = bl_json_finish(&j);
	return *out ? 0 : -ENOMEM;
}
