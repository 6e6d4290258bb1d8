/* linkctl doctor: checks each cause of a failed diskless boot, says how to fix it.
 *
 * Every root it looks at comes from the configuration (configfs_root, tftp_root, dnsmasq_dir,
 * handler_dir, overlay_dir) or, for /proc, from --proc-root / $BOOTLINK_PROC_ROOT, so tests can
 * plant each fault in a plain directory tree.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "cli.h"
#include "control-client.h"
#include "storage.h"
#include "error.h"
#include "names.h"

enum verdict { OK, WARN, FAIL };

struct doctor {
	struct cli *cli;
	const char *proc;
	struct bl_json j;
	int fails, warns;
};

static void report(struct doctor *d, const char *check, enum verdict v, const char *fix,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void report(struct doctor *d, const char *check, enum verdict v, const char *fix,
		   const char *fmt, ...)
{
	static const char *const names[] = { "ok", "warn", "fail" };
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d->fails += v == FAIL;
	d->warns += v == WARN;
	bl_json_obj(&d->j);
	bl_json_kv_str(&d->j, "check", check);
	bl_json_kv_str(&d->j, "result", names[v]);
	bl_json_kv_str(&d->j, "detail", msg);
	bl_json_kv_str(&d->j, "fix", v == OK ? NULL : fix);
	bl_json_end(&d->j);
	if (!d->cli->json) {
		printf("[%-4s] %-12s %s\n", names[v], check, msg);
		if (v != OK && fix)
			printf("       %-12s fix: %s\n", "", fix);
	}
}

static bool is_dir(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool is_dir(const char *fmt, ...)
{
	char p[PATH_MAX];
	struct stat st;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p, sizeof(p), fmt, ap);
	va_end(ap);
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool read_small(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	size_t n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	return true;
}

/* pid of the first process whose comm is name, 0 if none */
static long find_process(struct doctor *d, const char *name)
{
	DIR *dir = opendir(d->proc);
	struct dirent *e;
	long found = 0;

	if (!dir)
		return 0;
	while (!found && (e = readdir(dir))) {
		char p[PATH_MAX], comm[64];
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(p, sizeof(p), "%s/%s/comm", d->proc, e->d_name);
		if (read_small(p, comm, sizeof(comm))) {
			comm[strcspn(comm, "\n")] = '\0';
			if (!strcmp(comm, name))
				found = atol(e->d_name);
		}
	}
	closedir(dir);
	return found;
}

static bool file_contains(const char *path, const char *needle)
{
	FILE *f = fopen(path, "re");
	char line[4096];
	bool hit = false;

	if (!f)
		return false;
	while (!hit && fgets(line, sizeof(line), f))
		hit = strstr(line, needle) != NULL;
	fclose(f);
	return hit;
}

static void check_lio(struct doctor *d)
{
	const char *root = d->cli->cfg.configfs_root;

	if (!is_dir("%s/target", root))
		report(d, "lio", FAIL, "modprobe target_core_user iscsi_target_mod; mount -t configfs "
		       "none /sys/kernel/config", "%s/target missing: target modules not loaded or "
		       "configfs not mounted", root);
	else if (!is_dir("%s/target/iscsi", root))
		report(d, "lio", FAIL, "modprobe iscsi_target_mod", "%s/target/iscsi missing: the "
		       "iSCSI target module is not loaded", root);
	else
		report(d, "lio", OK, NULL, "configfs mounted, target modules loaded");
}

static void check_tcmu(struct doctor *d)
{
	char so[PATH_MAX], maps[PATH_MAX];
	long pid = find_process(d, "tcmu-runner");

	snprintf(so, sizeof(so), "%s/handler_bootlink.so", d->cli->cfg.handler_dir);
	bool installed = access(so, R_OK) == 0;
	if (!pid) {
		report(d, "tcmu-runner", FAIL, "systemctl start tcmu-runner", "tcmu-runner is not "
		       "running: no client disk can be served%s", installed ? "" :
		       " (and handler_bootlink.so is not installed either)");
		return;
	}
	snprintf(maps, sizeof(maps), "%s/%ld/maps", d->proc, pid);
	if (file_contains(maps, "handler_bootlink.so"))
		report(d, "tcmu-runner", OK, NULL, "running (pid %ld) with the bootlink handler", pid);
	else if (installed)
		report(d, "tcmu-runner", FAIL, "systemctl restart tcmu-runner", "running (pid %ld) "
		       "but without the bootlink handler, although %s is installed", pid, so);
	else
		report(d, "tcmu-runner", FAIL, "install bootlink's handler_bootlink.so into "
		       "handler_dir (or fix handler_dir in linkmgr.conf), then restart tcmu-runner",
		       "running (pid %ld) but %s is missing", pid, so);
}

static void check_linkmgr(struct doctor *d)
{
	char *reply = NULL;
	int r = bl_ctl_call(d->cli->cfg.control_socket, "ping", &reply);

	if (r < 0)
		report(d, "linkmgr", FAIL, "systemctl start linkmgr (see journalctl -u linkmgr)",
		       "not reachable at %s: %s", d->cli->cfg.control_socket, strerror(-r));
	else
		report(d, "linkmgr", OK, NULL, "answering on %s", d->cli->cfg.control_socket);
	free(reply);
}

static const char *server_address(struct doctor *d)
{
	if (*d->cli->cfg.server_address)
		return d->cli->cfg.server_address;
	return jv_str(linkmgr_status(d->cli, NULL), "server", NULL);
}

/* The generated dnsmasq configuration: boot files named by dhcp-boot (full DHCP mode:
 * "dhcp-boot=[tag:..,]FILE[,SERVERNAME[,ADDRESS]]") or pxe-service (proxy mode:
 * "pxe-service=[tag:..,]CSA,MENU,FILE[,ADDRESS]") must exist under tftp_root, any explicit
 * next-server must be the server address, tftp-root must be the configured one, and BIOS, UEFI
 * and iPXE clients must each get a file. */
struct boot_scan {
	bool bios, uefi, ipxe;
	int bad;
	char first_bad[PATH_MAX + 256];
};

static void boot_line(struct doctor *d, struct boot_scan *b, const char *fname, char *val,
		      bool pxe_service, const char *srv)
{
	char *fields[8];
	int n = 0;

	/* strsep, not strtok: "FILE,,ADDRESS" has an empty server-name field */
	for (char *t; n < 8 && (t = strsep(&val, ",")) != NULL;)
		if (strncmp(t, "tag:", 4) != 0)
			fields[n++] = t;
	int fi = pxe_service ? 2 : 0, si = pxe_service ? 3 : 2;
	if (n <= fi)
		return;
	const char *file = fields[fi];
	char fp[PATH_MAX + 300];
	snprintf(fp, sizeof(fp), "%s/%s", d->cli->cfg.tftp_root, file);
	b->bios |= !strcmp(file, BL_BOOTFILE_BIOS);
	b->uefi |= !strcmp(file, BL_BOOTFILE_UEFI);
	b->ipxe |= !strcmp(file, BL_SCRIPT_DISPATCH);
	if (access(fp, R_OK) < 0) {
		if (!b->bad++)
			snprintf(b->first_bad, sizeof(b->first_bad), "%s names boot file %s, missing "
				 "from %s", fname, file, d->cli->cfg.tftp_root);
	} else if (n > si && srv && strcmp(fields[si], srv) != 0) {
		if (!b->bad++)
			snprintf(b->first_bad, sizeof(b->first_bad), "%s sends next-server %s, but "
				 "the server address is %s", fname, fields[si], srv);
	}
}

static void check_dhcp_boot(struct doctor *d, const char *srv)
{
	DIR *dir = opendir(d->cli->cfg.dnsmasq_dir);
	struct dirent *e;
	struct boot_scan b = { 0 };

	if (!dir) {
		report(d, "dhcp-options", FAIL, "start linkmgr: it writes the dnsmasq files",
		       "%s: %s", d->cli->cfg.dnsmasq_dir, strerror(errno));
		return;
	}
	while ((e = readdir(dir))) {
		char p[PATH_MAX + 300], line[4096];
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", d->cli->cfg.dnsmasq_dir, e->d_name);
		FILE *f = fopen(p, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\r\n")] = '\0';
			if (!strncmp(line, "dhcp-boot=", 10)) {
				boot_line(d, &b, e->d_name, line + 10, false, srv);
			} else if (!strncmp(line, "pxe-service=", 12)) {
				boot_line(d, &b, e->d_name, line + 12, true, srv);
			} else if (!strncmp(line, "tftp-root=", 10) &&
				   strcmp(line + 10, d->cli->cfg.tftp_root) != 0 && !b.bad++) {
				snprintf(b.first_bad, sizeof(b.first_bad), "%s serves TFTP from %.200s, "
					 "but tftp_root is %.200s", e->d_name, line + 10,
					 d->cli->cfg.tftp_root);
			}
		}
		fclose(f);
	}
	closedir(dir);
	if (b.bad)
		report(d, "dhcp-options", FAIL, "systemctl reload linkmgr (it rewrites the dnsmasq "
		       "files), then restart dnsmasq; check ipxe_dir and tftp_root", "%s%s",
		       b.first_bad, b.bad > 1 ? " (and more)" : "");
	else if (!b.bios || !b.uefi || !b.ipxe)
		report(d, "dhcp-options", FAIL, "start linkmgr (it writes the dnsmasq configuration) "
		       "and check the dhcp settings", "the dnsmasq configuration in %s has no boot "
		       "file for%s%s%s", d->cli->cfg.dnsmasq_dir, b.bios ? "" : " BIOS (" BL_BOOTFILE_BIOS ")",
		       b.uefi ? "" : " UEFI (" BL_BOOTFILE_UEFI ")", b.ipxe ? "" : " iPXE (boot script)");
	else
		report(d, "dhcp-options", OK, NULL, "boot files for BIOS, UEFI and iPXE present%s%s",
		       srv ? ", next-server " : "", srv ? srv : "");
}

static void check_dnsmasq(struct doctor *d)
{
	char buf[64], comm[64], p[PATH_MAX];
	const char *pidf = d->cli->cfg.dnsmasq_pid_file;

	if (!read_small(pidf, buf, sizeof(buf))) {
		report(d, "dnsmasq", FAIL, "systemctl start bootlink-dnsmasq (or your dnsmasq unit "
		       "with linkmgr's configuration)", "no pid file %s: dnsmasq is not running, "
		       "clients get no boot information (\"No boot filename received\")", pidf);
	} else {
		long pid = atol(buf);
		snprintf(p, sizeof(p), "%s/%ld/comm", d->proc, pid);
		if (pid <= 0 || !read_small(p, comm, sizeof(comm)) || strncmp(comm, "dnsmasq", 7))
			report(d, "dnsmasq", FAIL, "systemctl restart bootlink-dnsmasq", "pid file %s "
			       "names pid %ld, which is not a running dnsmasq", pidf, pid);
		else
			report(d, "dnsmasq", OK, NULL, "running (pid %ld)", pid);
	}
	/* the boot files themselves */
	static const char *const files[] = { BL_BOOTFILE_BIOS, BL_BOOTFILE_UEFI,
					      BL_SCRIPT_DISPATCH };
	int missing = 0;
	char which[256] = "";
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", d->cli->cfg.tftp_root, files[i]);
		if (access(p, R_OK) < 0) {
			missing++;
			strncat(which, " ", sizeof(which) - strlen(which) - 1);
			strncat(which, files[i], sizeof(which) - strlen(which) - 1);
		}
	}
	if (missing)
		report(d, "boot-files", FAIL, "apt-get install ipxe, then restart linkmgr (it copies "
		       "them into tftp_root)", "missing in %s:%s", d->cli->cfg.tftp_root, which);
	else
		report(d, "boot-files", OK, NULL, "iPXE binaries and boot script in %s",
		       d->cli->cfg.tftp_root);
	check_dhcp_boot(d, server_address(d));
}

static void check_portal(struct doctor *d)
{
	char p[PATH_MAX], line[512];
	const char *root = d->cli->cfg.configfs_root;
	int port = d->cli->cfg.portal_port, portals = 0;
	bool listening = false;

	/* configfs: <root>/target/iscsi/<our iqn>/<TPG>/np/<addr>:<port> */
	snprintf(p, sizeof(p), "%s/target/iscsi", root);
	DIR *dir = opendir(p);
	struct dirent *e;
	while (dir && (e = readdir(dir))) {
		if (strncmp(e->d_name, d->cli->cfg.iqn_prefix, strlen(d->cli->cfg.iqn_prefix)))
			continue;
		char np[PATH_MAX + 300];
		snprintf(np, sizeof(np), "%s/%s/" BL_TPG "/np", p, e->d_name);
		DIR *nd = opendir(np);
		struct dirent *ne;
		while (nd && (ne = readdir(nd)))
			if (ne->d_name[0] != '.')
				portals++;
		if (nd)
			closedir(nd);
	}
	if (dir)
		closedir(dir);
	/* kernel sockets: /proc/net/tcp, local_address "HEX:PORT", st 0A = LISTEN */
	static const char *const tabs[] = { "net/tcp", "net/tcp6" };
	for (size_t t = 0; t < 2 && !listening; t++) {
		snprintf(p, sizeof(p), "%s/%s", d->proc, tabs[t]);
		FILE *f = fopen(p, "re");
		if (!f)
			continue;
		while (!listening && fgets(line, sizeof(line), f)) {
			char local[80], rem[80];
			unsigned st;
			if (sscanf(line, " %*d: %79s %79s %x", local, rem, &st) != 3)
				continue;
			char *colon = strrchr(local, ':');
			if (colon && st == 0x0A && strtol(colon + 1, NULL, 16) == port)
				listening = true;
		}
		fclose(f);
	}
	if (!portals)
		report(d, "portal", FAIL, "linkctl client list (are any clients enabled?); "
		       "systemctl reload linkmgr", "no bootlink target has a portal in configfs");
	else if (!listening)
		report(d, "portal", FAIL, "check server_address/portal_port and that the address is "
		       "up on this host; systemctl reload linkmgr", "configfs has %d portal(s) but "
		       "nothing listens on TCP port %d", portals, port);
	else
		report(d, "portal", OK, NULL, "listening on port %d (%d portal(s))", port, portals);
}

static void check_images(struct doctor *d)
{
	struct bl_image *imgs;
	size_t n;

	if (cli_db(d->cli)) {
		report(d, "images", FAIL, "check --db / db in linkmgr.conf", "cannot open the database");
		return;
	}
	if (bl_db_image_list(d->cli->db, &imgs, &n) < 0) {
		report(d, "images", FAIL, NULL, "%s", bl_last_error());
		return;
	}
	int bad = 0;
	for (size_t i = 0; i < n; i++) {
		char check[96];
		snprintf(check, sizeof(check), "image %s", imgs[i].name);
		int m = bl_storage_identity_matches(imgs[i].path, imgs[i].identity);
		if (m == 1) {
			report(d, check, OK, NULL, "%s present and unchanged", imgs[i].path);
		} else if (access(imgs[i].path, F_OK) < 0) {
			bad++;
			report(d, check, FAIL, "mount the disk holding it, or if it moved: linkctl "
			       "image relocate NAME NEWPATH", "base file %s is missing", imgs[i].path);
		} else {
			bad++;
			report(d, check, FAIL, "restore the original file (linkctl restore) - a "
			       "changed base corrupts every client overlay on it; to use the new "
			       "content add it as a new image", "base file %s %s", imgs[i].path,
			       m == 0 ? "was modified since it was added (identity differs)" :
			       bl_last_error());
		}
		struct bl_version *v;
		size_t nv;
		if (bl_db_versions(d->cli->db, imgs[i].id, &v, &nv) < 0)
			continue;
		for (size_t k = 0; k < nv; k++) {
			if (v[k].state != BL_VERSION_COMMITTED)
				continue;
			int lm = bl_storage_identity_matches(v[k].layer_path, v[k].identity);
			if (lm != 1)
				report(d, check, FAIL, "restore the layer from a backup (linkctl restore)",
				       "version %d layer %s is %s", v[k].number, v[k].layer_path,
				       access(v[k].layer_path, F_OK) ? "missing" : "changed");
		}
		bl_versions_free(v, nv);
	}
	if (n == 0)
		report(d, "images", WARN, "linkctl image add NAME FILE", "no images registered");
	bl_images_free(imgs, n);
}

static void check_space(struct doctor *d)
{
	struct statvfs sv;
	const char *dir = d->cli->cfg.overlay_dir;

	if (statvfs(dir, &sv) < 0) {
		report(d, "overlay-space", FAIL, "mkdir -p the overlay_dir (linkmgr creates it at "
		       "start)", "%s: %s", dir, strerror(errno));
		return;
	}
	uint64_t total = (uint64_t)sv.f_blocks * sv.f_frsize;
	uint64_t avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	double pct = total ? 100.0 * (double)avail / (double)total : 0;
	char a[32];
	human_bytes(avail, a, sizeof(a));
	if (pct < 5 || avail < (1ull << 30))
		report(d, "overlay-space", FAIL, "free space, or reset volatile clients' overlays "
		       "(linkctl client reset MAC)", "%s: only %s free (%.1f%%): clients writing "
		       "to their disks will get I/O errors", dir, a, pct);
	else if (pct < 15)
		report(d, "overlay-space", WARN, "plan more space for overlays", "%s: %s free "
		       "(%.1f%%)", dir, a, pct);
	else
		report(d, "overlay-space", OK, NULL, "%s: %s free (%.1f%%)", dir, a, pct);
}

static int proc_opt(int c, const char *arg, void *ctx)
{
	(void)c;
	*(const char **)ctx = arg;
	return 0;
}

int cmd_doctor(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "proc-root", required_argument, NULL, 'p' },
					      { 0, 0, 0, 0 } };
	struct doctor d = { .cli = cli };
	int first, r;

	d.proc = getenv("BOOTLINK_PROC_ROOT") ? getenv("BOOTLINK_PROC_ROOT") : "/proc";
	if ((r = parse_args(argc, argv, "doctor", "[--proc-root DIR]",
			    "Checks each cause of a failed diskless boot and says how to fix it. Exit "
			    "status 1 if any\ncheck fails. --proc-root (or $BOOTLINK_PROC_ROOT) replaces "
			    "/proc, for tests.", opts, proc_opt, &d.proc, 0, &first)) != ARGS_OK)
		return r;
	if (cli_config(cli))
		return EXIT_FAILED;
	bl_json_init(&d.j);
	bl_json_obj(&d.j);
	bl_json_key(&d.j, "checks");
	bl_json_arr(&d.j);
	check_lio(&d);
	check_tcmu(&d);
	check_linkmgr(&d);
	check_dnsmasq(&d);
	check_portal(&d);
	check_images(&d);
	check_space(&d);
	bl_json_end(&d.j);
	bl_json_kv_int(&d.j, "failed", d.fails);
	bl_json_kv_int(&d.j, "warnings", d.warns);
	bl_json_end(&d.j);
	if (cli->json)
		print_json(cli, &d.j);
	else {
		free(bl_json_finish(&d.j));
		printf("%d check(s) failed, %d warning(s)\n", d.fails, d.warns);
	}
	return d.fails ? EXIT_FAILED : EXIT_OK;
}
