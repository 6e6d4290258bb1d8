/* bench-reconcile: linkmgr reconciling N clients (default 1000) into a plain-directory configfs
 * plus the dnsmasq and iPXE files. Prints JSON lines: the first pass (creates every overlay,
 * LIO object and file), an idempotent second pass, a pass after one client changed, and the
 * process's peak RSS. Usage: bench-reconcile [N]
 *
 * The configfs stand-in lives on /dev/shm (tmpfs) when there is one: configfs is in memory,
 * and 16,000 mkdirs on a disk filesystem would measure its inode allocator instead of linkmgr.
 * Overlays, database and boot files stay on disk (under /tmp), as on a server. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "blcow.h"
#include "error.h"
#include "fake-configfs.h"
#include "reconcile.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU seconds of the process (all threads): wall time depends on what else the machine runs. */
static double cpu_now(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec
	       + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static long peak_rss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static int die(const char *what)
{
	fprintf(stderr, "bench-reconcile: %s: %s\n", what, bl_last_error());
	return 1;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000;
	char dir[] = "/tmp/bench-reconcile-XXXXXX", cfs[] = "/dev/shm/bench-reconcile-cfs-XXXXXX";
	char p[512], base[512], ids[80];
	if (!mkdtemp(dir))
		return 1;
	if (!mkdtemp(cfs)) {	/* no /dev/shm: next to the rest */
		snprintf(cfs, sizeof(cfs), "%s/cfs", dir);
		mkdir(cfs, 0755);
	}
	snprintf(p, sizeof(p), "%s/linkmgr.conf", dir);
	FILE *f = fopen(p, "w");
	fprintf(f, "state_dir = \"%s\";\nconfigfs_root = \"%s\";\nserver_address = \"10.0.0.1\";\n"
		   "dnsmasq_pid_file = \"%s/none.pid\";\n"
		   "dhcp = { ranges = ( { start = \"10.0.0.10\"; end = \"10.0.250.250\"; "
		   "netmask = \"255.255.0.0\"; } ); };\n", dir, cfs, dir);
	fclose(f);
	struct bl_config cfg;
	struct bl_db *db;
	if (bl_config_load(p, &cfg) < 0 || bl_db_open(cfg.db_path, BL_DB_CREATE, NULL, &db) < 0)
		return die("setup");
	snprintf(base, sizeof(base), "%s/base.img", dir);
	int fd = open(base, O_CREAT | O_WRONLY, 0644);
	if (fd < 0 || ftruncate(fd, 1LL << 34) < 0)	/* 16 GiB sparse "Windows image" */
		return 1;
	close(fd);
	struct blc_identity id;
	if (blc_identity_of(base, &id, NULL, 0) < 0 || blc_identity_format(&id, ids, sizeof(ids)) < 0)
		return 1;
	struct bl_image img = { .name = "win10", .path = base, .identity = ids, .size = 1ULL << 34 };
	if (bl_db_image_add(db, &img) < 0 || bl_db_begin(db) < 0)
		return die("image");
	for (int i = 0; i < n; i++) {
		char host[32];
		struct bl_client c = { .image_id = img.id, .enabled = true, .hostname = host,
				       .mode = i % 2 ? BL_MODE_PERSISTENT : BL_MODE_VOLATILE,
				       .chap_user = "pc", .chap_secret = "0123456789abcd" };
		snprintf(c.mac, sizeof(c.mac), "52:54:00:%02x:%02x:%02x", (i >> 16) & 255,
			 (i >> 8) & 255, i & 255);
		snprintf(host, sizeof(host), "pc%04d", i);
		if (bl_db_client_add(db, &c) < 0)
			return die("client");
	}
	if (bl_db_commit(db) < 0)
		return die("commit");
	long rss_setup = peak_rss_kb();

	struct bl_mgr m;
	if (bl_fake_cfs_prepare(cfg.configfs_root) < 0 ||
	    bl_mgr_init(&m, &cfg, db, &bl_fake_cfs_ops) < 0)
		return die("init");
	strcpy(m.server, "10.0.0.1");
	m.hook = "/usr/sbin/linkmgr";
	struct bl_reconcile_stats st;
	const char *names[3] = { "first", "idempotent", "one_change" };
	for (int pass = 0; pass < 3; pass++) {
		if (pass == 2)	/* a boot of one volatile client */
			bl_mgr_note_boot(&m, "52:54:00:00:00:00");
		double t0 = now(), c0 = cpu_now();
		int r = bl_reconcile(&m, &st);
		double t = now() - t0, cpu = cpu_now() - c0;
		printf("{\"bench\":\"reconcile\",\"pass\":\"%s\",\"clients\":%d,\"served\":%zu,"
		       "\"changes\":%zu,\"failures\":%zu,\"rc\":%d,\"seconds\":%.3f,"
		       "\"cpu_seconds\":%.3f,\"clients_per_second\":%.0f}\n", names[pass], n,
		       st.served, st.actions, st.failures, r, t, cpu, n / t);
	}
	printf("{\"bench\":\"reconcile\",\"peak_rss_kb\":%ld,\"peak_rss_kb_before_reconcile\":%ld}\n",
	       peak_rss_kb(), rss_setup);
	bl_mgr_free(&m);
	bl_db_close(db);
	bl_config_free(&cfg);
	printf("{\"bench\":\"reconcile\",\"configfs_stand_in\":\"%s\"}\n", cfs);
	snprintf(p, sizeof(p), "rm -rf %s %s", dir, cfs);
	return system(p) == 0 ? 0 : 1;
}
