/* Unit tests for linkmgr/configfs.c on a plain directory tree (configfs emulation):
 * plan -> apply -> read converges, foreign objects are never touched, one client's failure does
 * not stop the others, an emptied tree is rebuilt. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "configfs.h"
#include "error.h"
#include "fake-configfs.h"
#include "testutil.h"

#define PREFIX "iqn.2026-11.org.bootlink"

static const struct bl_plan_params params = {
	.iqn_prefix = PREFIX, .hba_index = 42, .max_data_area_mb = 8, .cmd_ring_size_mb = 1,
	.portal_ip = "127.0.0.1", .portal_port = 3260,
};

struct fx {
	char dir[64];
	struct bl_cfs cfs;
	struct bl_want w[3];
	int fails;
	char failed_key[32];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/test-configfs-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	/* production code takes only the kernel's configfs: a plain directory is refused */
	struct bl_cfs k;
	assert_int_equal(bl_cfs_open(f->dir, NULL, &k), -ENOTSUP);
	assert_non_null(strstr(bl_last_error(), "not a configfs mount"));
	assert_int_equal(bl_fake_cfs_prepare(f->dir), 0);
	assert_int_equal(bl_cfs_open(f->dir, &bl_fake_cfs_ops, &f->cfs), 0);
	const char *macs[3] = { "52:54:00:00:00:01", "52:54:00:00:00:02", "52:54:00:00:00:03" };
	static const char *cfgs[3] = { "bootlink//o/1.ovl", "bootlink//o/2.ovl;volatile",
				       "bootlink//o/3.ovl" };
	for (int i = 0; i < 3; i++) {
		f->w[i] = (struct bl_want){ .serve = true, .dev_config = cfgs[i], .dev_size = 4096 };
		strcpy(f->w[i].mac, macs[i]);
	}
	f->w[2].chap_user = "pc3";
	f->w[2].chap_secret = "0123456789abcd";
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	assert_int_equal(bl_t_rmrf(f->dir), 0);
	bl_cfs_close(&f->cfs);
	free(f);
	return 0;
}

static void on_fail(void *ctx, const struct bl_action *a, int err)
{
	struct fx *f = ctx;
	(void)err;
	f->fails++;
	snprintf(f->failed_key, sizeof(f->failed_key), "%s", a->key);
}

/* read, plan, apply; returns the number of actions the plan had */
static size_t reconcile(struct fx *f, size_t n_want)
{
	struct bl_lio_state st;
	struct bl_plan pl;
	assert_int_equal(bl_cfs_read(&f->cfs, &params, &st), 0);
	assert_int_equal(bl_plan_compute(&params, f->w, n_want, &st, &pl), 0);
	bl_cfs_apply(&f->cfs, &pl, on_fail, f);
	size_t n = pl.n;
	bl_plan_free(&pl);
	bl_lio_state_free(&st);
	return n;
}

static bool exists(struct fx *f, const char *rel)
{
	char p[1024];
	struct stat st;
	snprintf(p, sizeof(p), "%s/target/%s", f->dir, rel);
	return lstat(p, &st) == 0;
}

/* The first line of an emulated attribute, without its newline (static buffer). */
static const char *slurp(struct fx *f, const char *rel)
{
	static char buf[256];
	char p[1024];
	snprintf(p, sizeof(p), "%s/target/%s", f->dir, rel);
	FILE *fp = fopen(p, "r");
	if (!fp)
		fail_msg("%s: cannot open", p);
	if (!fgets(buf, sizeof(buf), fp))
		buf[0] = '\0';
	fclose(fp);
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static void put(struct fx *f, const char *rel, bool dir)
{
	char p[1024], cmd[1200];
	snprintf(p, sizeof(p), "%s/target/%s", f->dir, rel);
	snprintf(cmd, sizeof(cmd), dir ? "mkdir -p '%s'" : "mkdir -p \"$(dirname '%s')\"", p);
	assert_int_equal(system(cmd), 0);
	if (!dir) {
		FILE *fp = fopen(p, "w");
		assert_non_null(fp);
		fputs("x\n", fp);
		fclose(fp);
	}
}

static void test_apply_converges(void **state)
{
	struct fx *f = *state;
	assert_true(reconcile(f, 3) > 30);
	assert_int_equal(f->fails, 0);
	assert_int_equal(reconcile(f, 3), 0);	/* second run: nothing to do */

	struct bl_lio_state st;
	assert_int_equal(bl_cfs_read(&f->cfs, &params, &st), 0);
	assert_int_equal(st.n_bs, 3);
	assert_int_equal(st.n_targets, 3);
	for (size_t i = 0; i < st.n_targets; i++) {
		assert_true(st.targets[i].enabled);
		assert_int_equal(st.targets[i].n_luns, 1);
		assert_int_equal(st.targets[i].n_acls, 1);
		assert_string_equal(st.targets[i].acls[0].mapped[0].points_to, "lun_0");
	}
	bl_lio_state_free(&st);
	char p[512];
	snprintf(p, sizeof(p), "iscsi/" PREFIX ":target-525400000003/tpgt_1/acls/" PREFIX
		 ":client-525400000003/auth/password");
	assert_true(exists(f, p));
	/* the ring sizes reached the backstore (emulation shows control's keys in attrib/) */
	assert_string_equal(slurp(f, "core/user_42/bl-525400000001/attrib/max_data_area_mb"), "8");
	assert_string_equal(slurp(f, "core/user_42/bl-525400000001/attrib/cmd_ring_size_mb"), "1");

	/* a changed dev_config rebuilds only that backstore, then converges again */
	f->w[0].dev_config = "bootlink//o/1.ovl;volatile";
	size_t n = reconcile(f, 3);
	assert_int_equal(n, 12);	/* 4 unmap + rmdir + 3 create + 4 relink */
	assert_int_equal(f->fails, 0);
	assert_int_equal(reconcile(f, 3), 0);
}

static void test_foreign_objects_untouched(void **state)
{
	struct fx *f = *state;
	put(f, "core/user_42/other-disk/attrib/dev_config", false);
	put(f, "core/fileio_0/bl-525400000001/enable", false);
	put(f, "iscsi/iqn.2003-01.org.linux-iscsi.host:sn.1234/tpgt_1/enable", false);
	put(f, "iscsi/" PREFIX "x:target-525400000001", true);	/* prefix must end at ':' */
	assert_true(reconcile(f, 3) > 0);
	f->w[0].serve = f->w[1].serve = f->w[2].serve = false;
	assert_true(reconcile(f, 3) > 0);
	assert_int_equal(f->fails, 0);
	assert_false(exists(f, "core/user_42/bl-525400000001"));
	assert_false(exists(f, "iscsi/" PREFIX ":target-525400000001"));
	assert_true(exists(f, "core/user_42/other-disk/attrib/dev_config"));
	assert_true(exists(f, "core/fileio_0/bl-525400000001/enable"));
	assert_true(exists(f, "iscsi/iqn.2003-01.org.linux-iscsi.host:sn.1234/tpgt_1/enable"));
	assert_true(exists(f, "iscsi/" PREFIX "x:target-525400000001"));
	assert_int_equal(reconcile(f, 3), 0);
}

static void test_failure_isolated(void **state)
{
	struct fx *f = *state;
	/* a plain file where client 2's TPG directory must go: its mkdir fails */
	put(f, "iscsi/" PREFIX ":target-525400000002", false);
	reconcile(f, 3);
	assert_int_equal(f->fails, 1);
	assert_string_equal(f->failed_key, "525400000002");
	assert_true(exists(f, "iscsi/" PREFIX ":target-525400000001/tpgt_1/enable"));
	assert_true(exists(f, "iscsi/" PREFIX ":target-525400000003/tpgt_1/enable"));
	assert_false(exists(f, "iscsi/" PREFIX ":target-525400000002/tpgt_1"));

	/* fixed: the next run completes client 2 and touches nobody else */
	char p[512];
	snprintf(p, sizeof(p), "%s/target/iscsi/" PREFIX ":target-525400000002", f->dir);
	assert_int_equal(unlink(p), 0);
	f->fails = 0;
	struct bl_lio_state st;
	struct bl_plan pl;
	assert_int_equal(bl_cfs_read(&f->cfs, &params, &st), 0);
	assert_int_equal(bl_plan_compute(&params, f->w, 3, &st, &pl), 0);
	for (size_t i = 0; i < pl.n; i++)
		assert_string_equal(pl.a[i].key, "525400000002");
	assert_int_equal(bl_cfs_apply(&f->cfs, &pl, on_fail, f), 0);
	bl_plan_free(&pl);
	bl_lio_state_free(&st);
	assert_int_equal(reconcile(f, 3), 0);
}

static void test_rebuilt_after_reboot(void **state)
{
	struct fx *f = *state;
	size_t full = reconcile(f, 3);
	char p[256];
	snprintf(p, sizeof(p), "%s/target/core", f->dir);
	assert_int_equal(bl_t_rmrf(p), 0);
	snprintf(p, sizeof(p), "%s/target/iscsi", f->dir);
	assert_int_equal(bl_t_rmrf(p), 0);
	assert_int_equal(reconcile(f, 3), full);
	assert_int_equal(reconcile(f, 3), 0);
	assert_int_equal(f->fails, 0);
}

static void test_emulated_rmdir_refuses_links(void **state)
{
	struct fx *f = *state;
	reconcile(f, 1);
	struct bl_plan pl = { 0 };
	struct bl_action a = { .op = BL_OP_RMDIR, .key = "525400000001", .what = "test",
			       .path = "core/user_42/bl-525400000001" };
	a.path = "iscsi/" PREFIX ":target-525400000001/tpgt_1";	/* still has links inside */
	pl.a = &a;
	pl.n = 1;
	assert_int_equal(bl_cfs_apply(&f->cfs, &pl, on_fail, f), 1);
	assert_true(exists(f, "iscsi/" PREFIX ":target-525400000001/tpgt_1/lun/lun_0"));
}

static void test_status(void **state)
{
	struct fx *f = *state;
	reconcile(f, 3);
	put(f, "iscsi/" PREFIX ":target-525400000001/tpgt_1/acls/" PREFIX
	       ":client-525400000001/info", false);
	char p[512];
	snprintf(p, sizeof(p), "%s/target/iscsi/" PREFIX ":target-525400000001/tpgt_1/acls/" PREFIX
		 ":client-525400000001/info", f->dir);
	FILE *fp = fopen(p, "w");
	fputs("InitiatorName: " PREFIX ":client-525400000001\nInitiatorAlias:\n", fp);
	fclose(fp);
	snprintf(p, sizeof(p), "%s/target/iscsi/" PREFIX ":target-525400000001/tpgt_1/lun/lun_0/"
		 "statistics/scsi_tgt_port/read_mbytes", f->dir);
	put(f, p + strlen(f->dir) + strlen("/target/"), false);
	fp = fopen(p, "w");
	fputs("17\n", fp);
	fclose(fp);
	struct bl_cfs_status s;
	assert_int_equal(bl_cfs_client_status(&f->cfs, &params, "52:54:00:00:00:01", &s), 0);
	assert_true(s.present);
	assert_true(s.online);
	assert_int_equal(s.read_mb, 17);
	assert_int_equal(bl_cfs_client_status(&f->cfs, &params, "52:54:00:00:00:02", &s), 0);
	assert_true(s.present);
	assert_false(s.online);
	assert_int_equal(bl_cfs_client_status(&f->cfs, &params, "52:54:00:00:00:09", &s), 0);
	assert_false(s.present);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_apply_converges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_objects_untouched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_isolated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rebuilt_after_reboot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emulated_rmdir_refuses_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
