/* Unit tests for linkmgr/reconcile.c: database + configuration -> configfs (plain directory),
 * overlays, dnsmasq and iPXE files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "blcow.h"
#include "fake-configfs.h"
#include "reconcile.h"
#include "testutil.h"

#define PREFIX "iqn.2026-11.org.bootlink"
#define M1 "52:54:00:00:00:01"
#define M2 "52:54:00:00:00:02"

struct fx {
	char dir[64];
	struct bl_config cfg;
	struct bl_db *db;
	struct bl_mgr m;
	int64_t image_id;
};

#define slurp bl_t_slurp
#define exists bl_t_exists

static void add_client(struct fx *f, const char *mac, const char *host, enum bl_mode mode)
{
	struct bl_client c = { .image_id = f->image_id, .mode = mode, .enabled = true,
			       .hostname = (char *)host, .chap_user = "pc-user",
			       .chap_secret = "s3cret-Pass#1" };
	strcpy(c.mac, mac);
	assert_int_equal(bl_db_client_add(f->db, &c), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/test-reconcile-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	char p[256], base[256];
	snprintf(p, sizeof(p), "%s/cfs", f->dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/linkmgr.conf", f->dir);
	FILE *c = fopen(p, "w");
	fprintf(c, "state_dir = \"%s\";\nconfigfs_root = \"%s/cfs\";\nserver_address = \"10.0.0.1\";\n"
		   "dnsmasq_pid_file = \"%s/dnsmasq.pid\";\ncontrol_socket = \"%s/ctl.sock\";\n"
		   "dhcp = { mode = \"full\"; ranges = ( { start = \"10.0.0.100\"; end = \"10.0.0.200\"; } ); };\n",
		f->dir, f->dir, f->dir, f->dir);
	fclose(c);
	assert_int_equal(bl_config_load(p, &f->cfg), 0);
	assert_int_equal(bl_db_open(f->cfg.db_path, BL_DB_CREATE, NULL, &f->db), 0);

	snprintf(base, sizeof(base), "%s/images", f->dir);
	mkdir(base, 0755);
	snprintf(base, sizeof(base), "%s/images/base.img", f->dir);
	int fd = open(base, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 16 << 20), 0);
	close(fd);
	struct blc_identity id;
	char ids[80];
	assert_int_equal(blc_identity_of(base, &id, NULL, 0), 0);
	assert_true(blc_identity_format(&id, ids, sizeof(ids)) > 0);
	struct bl_image img = { .name = "win10", .path = base, .identity = ids, .size = 16 << 20 };
	assert_int_equal(bl_db_image_add(f->db, &img), 0);
	f->image_id = img.id;
	add_client(f, M1, "pc01", BL_MODE_VOLATILE);
	add_client(f, M2, "pc02", BL_MODE_PERSISTENT);

	assert_int_equal(bl_fake_cfs_prepare(f->cfg.configfs_root), 0);
	assert_int_equal(bl_mgr_init(&f->m, &f->cfg, f->db, &bl_fake_cfs_ops), 0);
	strcpy(f->m.server, "10.0.0.1");
	f->m.hook = "/usr/sbin/linkmgr";
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	bl_mgr_free(&f->m);
	bl_db_close(f->db);
	bl_config_free(&f->cfg);
	assert_int_equal(bl_t_rmrf(f->dir), 0);
	free(f);
	return 0;
}

static void test_full_cycle(void **state)
{
	struct fx *f = *state;
	struct bl_reconcile_stats st;
	assert_int_equal(bl_reconcile(&f->m, &st), 0);
	assert_int_equal(st.clients, 2);
	assert_int_equal(st.served, 2);
	assert_true(st.actions > 20);
	const char *T = "cfs/target/iscsi/" PREFIX;
	assert_true(exists("%s/%s:target-525400000001/tpgt_1/lun/lun_0/bl-525400000001", f->dir, T));
	assert_true(exists("%s/overlays/525400000001.ovl", f->dir));
	assert_true(exists("%s/overlays/525400000002.ovl", f->dir));
	char *cfg = slurp("%s/cfs/target/core/user_42/bl-525400000001/control", f->dir);
	assert_non_null(cfg);
	assert_non_null(strstr(cfg, "dev_config=bootlink/"));
	assert_non_null(strstr(cfg, "/overlays/525400000001.ovl;volatile,dev_size=16777216"));
	free(cfg);
	cfg = slurp("%s/cfs/target/core/user_42/bl-525400000002/control", f->dir);
	assert_null(strstr(cfg, "volatile"));
	free(cfg);

	char *hosts = slurp("%s/dnsmasq/hosts", f->dir);
	assert_non_null(strstr(hosts, M1 ",set:bl-known,set:bl-525400000001,pc01\n"));
	free(hosts);
	char *conf = slurp("%s/dnsmasq/dnsmasq.conf", f->dir);
	assert_non_null(strstr(conf, "dhcp-range=10.0.0.100,10.0.0.200,12h\n"));
	assert_non_null(strstr(conf, "dhcp-boot=tag:!ipxe,tag:efi64,ipxe.efi\n"));
	free(conf);
	char *script = slurp("%s/tftp/52-54-00-00-00-01/bootlink/525400000001.ipxe", f->dir);
	assert_non_null(script);
	assert_non_null(strstr(script, "set initiator-iqn " PREFIX ":client-525400000001\n"));
	assert_non_null(strstr(script, "sanboot iscsi:10.0.0.1::3260:0:" PREFIX ":target-525400000001"));
	assert_null(strstr(script, "s3cret"));	/* hex-encoded, never literal */
	free(script);
	assert_true(exists("%s/tftp/bootlink/boot.ipxe", f->dir));
	/* a client's script (with its CHAP secret) lives only in its own TFTP root, which dnsmasq
	 * serves to that MAC alone; the shared root (what an unknown PC gets) has none */
	assert_false(exists("%s/tftp/bootlink/525400000001.ipxe", f->dir));
	assert_true(exists("%s/tftp/52-54-00-00-00-01/bootlink/boot.ipxe", f->dir));
	struct stat a, b;
	char pa[256], pb[256];
	snprintf(pa, sizeof(pa), "%s/tftp/bootlink/boot.ipxe", f->dir);
	snprintf(pb, sizeof(pb), "%s/tftp/52-54-00-00-00-01/bootlink/boot.ipxe", f->dir);
	assert_int_equal(stat(pa, &a), 0);
	assert_int_equal(stat(pb, &b), 0);
	assert_true(a.st_ino == b.st_ino);	/* a hard link, not a copy */
	conf = slurp("%s/dnsmasq/dnsmasq.conf", f->dir);
	assert_non_null(strstr(conf, "tftp-unique-root=mac\n"));
	assert_non_null(strstr(conf, "dhcp-ignore=tag:!bl-known\n"));	/* unknown PCs: no lease */
	free(conf);

	/* the database knows which version each disk sits on now */
	struct bl_client c;
	assert_int_equal(bl_db_client_get(f->db, M1, &c), 0);
	assert_int_equal(c.booted_version, 0);
	bl_client_clear(&c);

	/* second pass: nothing to do */
	assert_int_equal(bl_reconcile(&f->m, &st), 0);
	assert_int_equal(st.actions, 0);
	assert_false(st.dnsmasq_reloaded);

	/* a boot of the volatile client rebuilds its backstore only: 12 actions, and its portal,
	 * taken away while the disk was rebuilt (no login may race the rebuild), comes back */
	assert_int_equal(bl_mgr_note_boot(&f->m, M1), 0);
	assert_int_equal(bl_reconcile(&f->m, &st), 0);
	assert_int_equal(st.actions, 12 + 1);
	assert_true(exists("%s/cfs/target/iscsi/" PREFIX ":target-525400000001/tpgt_1/np/10.0.0.1:3260",
			   f->dir));
	assert_int_equal(bl_reconcile(&f->m, &st), 0);
	assert_int_equal(st.actions, 0);
	/* ...a persistent one keeps its backstore */
	assert_int_equal(bl_mgr_note_boot(&f->m, M2), 0);
	assert_int_equal(bl_reconcile(&f->m, &st), 0);
	assert_int_equal(st.actions, 0);
}

/* The ACL's info file as LIO shows it for a logged-in initiator (configfs emulation: a file). */
static void fake_session(struct fx *f, const char *m12, unsigned sid)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/cfs/target/iscsi/" PREFIX ":target-%s/tpgt_1/acls/" PREFIX
		 ":client-%s/info", f->dir, m12, m12);
	FILE *fp = fopen(p, "w");
	assert_non_null(fp);
	fprintf(fp, "InitiatorName: " PREFIX ":client-%s\nInitiatorAlias: \nLIO Session ID: %u   "
		    "ISID: 0x80 12 34 56 00 00  TSIH: 1  SessionType: Normal\n", m12, sid);
	fclose(fp);
}

/* A disk is never rebuilt under a session, whatever asked for it; a gated client has no portal
 * until the gate is lifted, and keeps its disk meanwhile. */
static void test_no_rebuild_under_a_session(void **state)
{
	struct fx *f = *state;
	struct bl_reconcile_stats st;
	const char *np = "%s/cfs/target/iscsi/" PREFIX ":target-525400000001/tpgt_1/np/10.0.0.1:3260";
	assert_int_equal(bl_reconcile(&f->m, &st), 0);
	fake_session(f, "525400000001", 7);
	char *before = slurp("%s/cfs/target/core/user_42/bl-525400000001/control", f->dir);
	assert_int_equal(bl_mgr_note_boot(&f->m, M1), 0);
	assert_int_equal(bl_reconcile(&f->m, &st), 0);
	/* no backstore action: only the portal went (the gate) and came back */
	assert_int_equal(st.actions, 1);
	assert_true(exists(np, f->dir));
	char *after = slurp("%s/cfs/target/core/user_42/bl-525400000001/control", f->dir);
	assert_string_equal(before, after);
	free(before);
	free(after);
	/* on hold: the portal goes and stays gone, the disk stays */
	assert_int_equal(bl_mgr_set_gated(&f->m, M1, true), 0);
	assert_int_equal(bl_mgr_note_boot(&f->m, M1), 0);
	assert_int_equal(bl_reconcile(&f->m, &st), 0);
	assert_int_equal(st.actions, 1);
	assert_false(exists(np, f->dir));
	assert_int_equal(bl_reconcile(&f->m, &st), 0);
	assert_int_equal(st.actions, 0);
	/* the session ended and the gate is lifted: the boot rebuilds the disk, portal last */
	char p[512];
	snprintf(p, sizeof(p), "%s/cfs/target/iscsi/" PREFIX ":target-525400000001/tpgt_1/acls/" PREFIX
		 ":client-525400000001/info", f->dir);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(bl_mgr_set_gated(&f->m, M1, false), 0);
	assert_int_equal(bl_mgr_note_boot(&f->m, M1), 0);
	assert_int_equal(bl_reconcile(&f->m, &st), 0);
	assert_int_equal(st.actions, 12 + 1);
	assert_true(exists(np, f->dir));
	/* persistent M2 needs nothing at a boot: its portal is never touched */
	assert_false(bl_mgr_boot_renews(&f->m, M2));
	assert_true(bl_mgr_boot_renews(&f->m, M1));
}

static void test_disable_and_remove(void **state)
{
	struct fx *f = *state;
	struct bl_reconcile_stats st;
	assert_int_equal(bl_reconcile(&f->m, &st), 0);
	assert_int_equal(bl_db_client_set_enabled(f->db, M2, false), 0);
	assert_int_equal(bl_reconcile(&f->m, &st), 0);
	assert_false(exists("%s/cfs/target/iscsi/" PREFIX ":target-525400000002", f->dir));
	assert_false(exists("%s/cfs/target/core/user_42/bl-525400000002", f->dir));
	assert_true(exists("%s/cfs/target/iscsi/" PREFIX ":target-525400000001/tpgt_1", f->dir));
	assert_true(exists("%s/overlays/525400000002.ovl", f->dir));	/* its data is kept */
	char *script = slurp("%s/tftp/52-54-00-00-00-02/bootlink/525400000002.ipxe", f->dir);
	assert_non_null(strstr(script, "is disabled on bootlink server 10.0.0.1"));
	assert_null(strstr(script, "sanboot"));
	free(script);

	assert_int_equal(bl_db_client_remove(f->db, M2), 0);
	assert_int_equal(bl_reconcile(&f->m, &st), 0);
	assert_false(exists("%s/tftp/52-54-00-00-00-02/bootlink/525400000002.ipxe", f->dir));
	assert_false(exists("%s/tftp/52-54-00-00-00-02", f->dir));	/* its whole TFTP root */
	char *hosts = slurp("%s/dnsmasq/hosts", f->dir);
	assert_null(strstr(hosts, M2));
	free(hosts);
}

static void test_dry_run_changes_nothing(void **state)
{
	struct fx *f = *state;
	char *buf = NULL;
	size_t len = 0;
	f->m.out = open_memstream(&buf, &len);
	f->m.dry_run = true;
	struct bl_reconcile_stats st;
	assert_int_equal(bl_reconcile(&f->m, &st), 0);
	fclose(f->m.out);
	assert_true(st.actions > 20);
	assert_non_null(strstr(buf, "mkdir   core/user_42/bl-525400000001"));
	assert_non_null(strstr(buf, "auth/password = ***"));
	assert_null(strstr(buf, "s3cret"));
	free(buf);
	assert_false(exists("%s/cfs/target/core", f->dir));
	assert_false(exists("%s/overlays/525400000001.ovl", f->dir));
	assert_false(exists("%s/dnsmasq/hosts", f->dir));
}

static void test_unavailable_client_does_not_stop_others(void **state)
{
	struct fx *f = *state;
	/* client 2 has no CHAP credentials while CHAP is on: it is refused, client 1 served */
	struct bl_client c;
	assert_int_equal(bl_db_client_get(f->db, M2, &c), 0);
	free(c.chap_user);
	free(c.chap_secret);
	c.chap_user = c.chap_secret = NULL;
	assert_int_equal(bl_db_client_update(f->db, &c), 0);
	bl_client_clear(&c);
	struct bl_reconcile_stats st;
	assert_int_equal(bl_reconcile(&f->m, &st), 0);
	assert_int_equal(st.served, 1);
	assert_true(exists("%s/cfs/target/iscsi/" PREFIX ":target-525400000001/tpgt_1", f->dir));
	assert_false(exists("%s/cfs/target/iscsi/" PREFIX ":target-525400000002", f->dir));
	char *script = slurp("%s/tftp/52-54-00-00-00-02/bootlink/525400000002.ipxe", f->dir);
	assert_non_null(strstr(script, "cannot be served"));
	free(script);
}

/* Adds image `name` on path (recorded with its identity as found) and client mac on it. */
static void add_image_client(struct fx *f, const char *name, const char *path, const char *mac)
{
	struct blc_identity id;
	char ids[80];
	assert_int_equal(blc_identity_of(path, &id, NULL, 0), 0);
	assert_true(blc_identity_format(&id, ids, sizeof(ids)) > 0);
	struct bl_image img = { .name = (char *)name, .path = (char *)path, .identity = ids,
				.size = 16 << 20 };
	assert_int_equal(bl_db_image_add(f->db, &img), 0);
	struct bl_client c = { .image_id = img.id, .mode = BL_MODE_PERSISTENT, .enabled = true,
			       .chap_user = "pc-user", .chap_secret = "s3cret-Pass#1" };
	strcpy(c.mac, mac);
	assert_int_equal(bl_db_client_add(f->db, &c), 0);
}

static void make_file(const char *path)
{
	int fd = open(path, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 16 << 20), 0);
	close(fd);
}

static bool served(struct fx *f, const char *m12)
{
	return exists("%s/cfs/target/iscsi/" PREFIX ":target-%s/tpgt_1", f->dir, m12);
}

static bool has_event(struct fx *f, const char *needle)
{
	struct bl_event *ev;
	size_t n;
	bool found = false;
	assert_true(bl_db_list_events(f->db, 0, &ev, &n) >= 0);
	for (size_t i = 0; i < n; i++)
		found |= strstr(ev[i].message, needle) != NULL;
	bl_events_free(ev, n);
	return found;
}

/* The admin group can write the database: root re-checks every row and serves none that
 * names a file outside bootlink's directories, a non-regular or changed file, or a malformed
 * MAC; it skips that row with an event and serves the others. */
static void test_hostile_rows_are_skipped(void **state)
{
	struct fx *f = *state;
	char p[512], q[512];
	/* a file outside image_dir, registered directly (what sqlite3 would do) */
	snprintf(p, sizeof(p), "%s/secret.img", f->dir);
	make_file(p);
	add_image_client(f, "outside", p, "52:54:00:00:00:03");
	/* a symlink inside image_dir that points outside it */
	snprintf(q, sizeof(q), "%s/images/link.img", f->dir);
	assert_int_equal(symlink(p, q), 0);
	add_image_client(f, "via-link", q, "52:54:00:00:00:04");
	/* a file inside that changed after it was recorded */
	snprintf(q, sizeof(q), "%s/images/changed.img", f->dir);
	make_file(q);
	add_image_client(f, "changed", q, "52:54:00:00:00:05");
	assert_int_equal(truncate(q, 32 << 20), 0);
	/* a row with a malformed MAC that would name configfs and TFTP paths */
	snprintf(p, sizeof(p), "%s/bootlink.db", f->dir);
	sqlite3 *h;
	assert_int_equal(sqlite3_open(p, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "INSERT INTO clients (mac, image_id, mode, created) "
				      "SELECT '../../../x', id, 'volatile', 0 FROM images "
				      "WHERE name = 'win10'", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);

	struct bl_reconcile_stats st;
	assert_int_equal(bl_reconcile(&f->m, &st), 0);
	assert_int_equal(st.skipped, 4);
	assert_int_equal(st.served, 2);
	assert_true(served(f, "525400000001"));
	assert_true(served(f, "525400000002"));
	assert_false(served(f, "525400000003"));
	assert_false(exists("%s/overlays/525400000003.ovl", f->dir));
	assert_false(served(f, "525400000004"));
	assert_false(served(f, "525400000005"));
	assert_false(exists("%s/overlays/525400000004.ovl", f->dir));
	/* each named, with the cause */
	assert_true(has_event(f, "outside"));
	assert_true(has_event(f, "not the file that was recorded"));
	assert_true(has_event(f, "MAC '../../../x' is malformed"));
	char *script = slurp("%s/tftp/52-54-00-00-00-03/bootlink/525400000003.ipxe", f->dir);
	assert_non_null(script);
	assert_non_null(strstr(script, "cannot be served"));
	free(script);
	assert_false(exists("%s/x", f->dir));
	char *hosts = slurp("%s/dnsmasq/hosts", f->dir);
	assert_null(strstr(hosts, "../"));
	free(hosts);
	/* a second pass logs no second event for the same rows */
	struct bl_event *ev;
	size_t n1, n2;
	assert_true(bl_db_list_events(f->db, 0, &ev, &n1) >= 0);
	bl_events_free(ev, n1);
	assert_int_equal(bl_reconcile(&f->m, &st), 0);
	assert_int_equal(st.skipped, 4);
	assert_true(bl_db_list_events(f->db, 0, &ev, &n2) >= 0);
	bl_events_free(ev, n2);
	assert_int_equal(n1, n2);
}

/* A rebuild that configfs did not confirm stays pending in the database and is done by a
 * later pass without a new boot event, also by a new linkmgr process (after a crash). */
static void test_failed_rebuild_is_retried(void **state)
{
	struct fx *f = *state;
	struct bl_reconcile_stats st;
	assert_int_equal(bl_reconcile(&f->m, &st), 0);
	/* a symlink left inside the backstore makes its rmdir fail, as configfs would */
	char p[512];
	snprintf(p, sizeof(p), "%s/cfs/target/core/user_42/bl-525400000001/stuck", f->dir);
	assert_int_equal(symlink("/", p), 0);
	assert_int_equal(bl_mgr_note_boot(&f->m, M1), 0);	/* volatile: rebuild at boot */
	assert_int_equal(bl_reconcile(&f->m, &st), 1);
	assert_true(st.failures > 0);
	struct bl_client c;
	assert_int_equal(bl_db_client_get(f->db, M1, &c), 0);
	assert_true(c.rebuild_pending);
	bl_client_clear(&c);
	/* linkmgr restarts; the obstacle is gone; no boot event: the rebuild happens now (a
	 * rebuild removes the backstore's directory: the marker goes with it) */
	assert_int_equal(unlink(p), 0);
	char mark[512];
	snprintf(mark, sizeof(mark), "%s/cfs/target/core/user_42/bl-525400000001/was-here", f->dir);
	FILE *mf = fopen(mark, "w");
	assert_non_null(mf);
	fclose(mf);
	bl_mgr_free(&f->m);
	assert_int_equal(bl_mgr_init(&f->m, &f->cfg, f->db, &bl_fake_cfs_ops), 0);
	strcpy(f->m.server, "10.0.0.1");
	f->m.hook = "/usr/sbin/linkmgr";
	assert_int_equal(bl_reconcile(&f->m, &st), 0);
	assert_int_equal(st.failures, 0);
	assert_false(exists("%s", mark));
	assert_int_equal(bl_db_client_get(f->db, M1, &c), 0);
	assert_false(c.rebuild_pending);
	bl_client_clear(&c);
	assert_true(served(f, "525400000001"));
	/* confirmed: the next pass has nothing to do */
	assert_int_equal(bl_reconcile(&f->m, &st), 0);
	assert_int_equal(st.actions, 0);
}

static void test_status_json(void **state)
{
	struct fx *f = *state;
	struct bl_reconcile_stats st;
	assert_int_equal(bl_reconcile(&f->m, &st), 0);
	char *js = NULL;
	assert_int_equal(bl_mgr_status_json(&f->m, &js), 0);
	assert_non_null(strstr(js, "\"ok\":true"));
	assert_non_null(strstr(js, "\"mac\":\"" M1 "\""));
	assert_non_null(strstr(js, "\"online\":false"));
	assert_non_null(strstr(js, "\"served\":true"));
	assert_null(strchr(js, '\n'));
	free(js);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_cycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_rebuild_under_a_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disable_and_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dry_run_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unavailable_client_does_not_stop_others, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_status_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_rows_are_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_rebuild_is_retried, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
