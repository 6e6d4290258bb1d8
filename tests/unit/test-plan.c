/* Unit tests for linkmgr/plan.c: the diff between wanted clients and LIO state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

#define PREFIX "iqn.2026-11.org.bootlink"

static const struct bl_plan_params params = {
	.iqn_prefix = PREFIX, .hba_index = 42, .max_data_area_mb = 8, .cmd_ring_size_mb = 1,
	.portal_ip = "10.0.0.1", .portal_port = 3260, .chap = false,
};

static struct bl_want mk(const char *mac, const char *cfg)
{
	struct bl_want w = { .serve = true, .dev_config = cfg, .dev_size = 1 << 30 };
	snprintf(w.mac, sizeof(w.mac), "%s", mac);
	return w;
}

static char *xstrdup(const char *s)
{
	char *r = strdup(s);
	assert_non_null(r);
	return r;
}

static struct bl_lio_lun lun(const char *name, const char *link, const char *to)
{
	return (struct bl_lio_lun){ xstrdup(name), xstrdup(link), xstrdup(to) };
}

/* The state the kernel would show after a correct apply of w (what configfs.c reads). */
static void add_converged(struct bl_lio_state *st, const struct bl_want *w, const char *np)
{
	char m12[13];
	int j = 0;
	for (const char *s = w->mac; *s; s++)
		if (*s != ':')
			m12[j++] = *s;
	m12[j] = '\0';
	st->hba = st->iscsi = true;
	st->bs = realloc(st->bs, (st->n_bs + 1) * sizeof(*st->bs));
	assert_non_null(st->bs);
	struct bl_lio_backstore *b = &st->bs[st->n_bs++];
	char buf[256];
	snprintf(buf, sizeof(buf), "bl-%s", m12);
	*b = (struct bl_lio_backstore){ xstrdup(buf), xstrdup(w->dev_config), w->dev_size, true };

	st->targets = realloc(st->targets, (st->n_targets + 1) * sizeof(*st->targets));
	assert_non_null(st->targets);
	struct bl_lio_target *t = &st->targets[st->n_targets++];
	memset(t, 0, sizeof(*t));
	snprintf(buf, sizeof(buf), PREFIX ":target-%s", m12);
	t->iqn = xstrdup(buf);
	t->tpg = t->enabled = true;
	t->authentication = w->chap_user ? 1 : 0;
	t->generate_node_acls = 0;
	t->demo_mode_discovery = 0;
	t->luns = calloc(1, sizeof(*t->luns));
	snprintf(buf, sizeof(buf), "bl-%s", m12);
	t->luns[0] = lun("lun_0", buf, buf);
	t->n_luns = 1;
	t->nps = calloc(1, sizeof(char *));
	t->nps[0] = xstrdup(np);
	t->n_nps = 1;
	t->acls = calloc(1, sizeof(*t->acls));
	snprintf(buf, sizeof(buf), PREFIX ":client-%s", m12);
	t->acls[0].iqn = xstrdup(buf);
	t->acls[0].mapped = calloc(1, sizeof(struct bl_lio_lun));
	t->acls[0].mapped[0] = lun("lun_0", "map", "lun_0");
	t->acls[0].n_mapped = 1;
	t->acls[0].userid = w->chap_user ? xstrdup(w->chap_user) : NULL;
	t->acls[0].password = w->chap_secret ? xstrdup(w->chap_secret) : NULL;
	t->n_acls = 1;
}

static size_t count_key(const struct bl_plan *pl, const char *key)
{
	size_t n = 0;
	for (size_t i = 0; i < pl->n; i++)
		n += strcmp(pl->a[i].key, key) == 0;
	return n;
}

static const struct bl_action *find(const struct bl_plan *pl, enum bl_op op, const char *path)
{
	for (size_t i = 0; i < pl->n; i++)
		if (pl->a[i].op == op && strcmp(pl->a[i].path, path) == 0)
			return &pl->a[i];
	return NULL;
}

static size_t index_of(const struct bl_plan *pl, const struct bl_action *a)
{
	return (size_t)(a - pl->a);
}

static void test_empty_to_full(void **state)
{
	(void)state;
	struct bl_want w[2] = { mk("52:54:00:12:34:56", "bootlink//o/525400123456.ovl"),
				mk("52:54:00:ab:cd:ef", "bootlink//o/525400abcdef.ovl;volatile") };
	struct bl_lio_state st = { 0 };
	struct bl_plan pl;
	assert_int_equal(bl_plan_compute(&params, w, 2, &st, &pl), 0);

	const char *T = "iscsi/" PREFIX ":target-525400123456/tpgt_1";
	char p[512];
	const struct bl_action *hba = find(&pl, BL_OP_MKDIR, "core/user_42");
	const struct bl_action *bs = find(&pl, BL_OP_MKDIR, "core/user_42/bl-525400123456");
	const struct bl_action *ctl = find(&pl, BL_OP_WRITE, "core/user_42/bl-525400123456/control");
	const struct bl_action *en = find(&pl, BL_OP_WRITE, "core/user_42/bl-525400123456/enable");
	snprintf(p, sizeof(p), "%s/lun/lun_0/bl-525400123456", T);
	const struct bl_action *lnk = find(&pl, BL_OP_SYMLINK, p);
	snprintf(p, sizeof(p), "%s/np/10.0.0.1:3260", T);
	const struct bl_action *np = find(&pl, BL_OP_MKDIR, p);
	snprintf(p, sizeof(p), "%s/acls/" PREFIX ":client-525400123456", T);
	const struct bl_action *acl = find(&pl, BL_OP_MKDIR, p);
	snprintf(p, sizeof(p), "%s/acls/" PREFIX ":client-525400123456/lun_0/map", T);
	const struct bl_action *map = find(&pl, BL_OP_SYMLINK, p);
	snprintf(p, sizeof(p), "%s/enable", T);
	const struct bl_action *tpgen = find(&pl, BL_OP_WRITE, p);
	assert_non_null(hba);
	assert_non_null(bs);
	assert_non_null(ctl);
	assert_non_null(en);
	assert_non_null(lnk);
	assert_non_null(np);
	assert_non_null(acl);
	assert_non_null(map);
	assert_non_null(tpgen);
	assert_string_equal(ctl->arg, "dev_config=bootlink//o/525400123456.ovl,dev_size=1073741824,"
				      "hw_block_size=512,max_data_area_mb=8,cmd_ring_size_mb=1");
	assert_string_equal(lnk->arg, "core/user_42/bl-525400123456");
	assert_string_equal(en->arg, "1");
	assert_string_equal(tpgen->arg, "1");
	/* parents before children; TPG enable after everything else of the client */
	assert_true(index_of(&pl, hba) < index_of(&pl, bs));
	assert_true(index_of(&pl, bs) < index_of(&pl, ctl));
	assert_true(index_of(&pl, ctl) < index_of(&pl, en));
	assert_true(index_of(&pl, en) < index_of(&pl, lnk));
	assert_true(index_of(&pl, acl) < index_of(&pl, map));
	assert_true(index_of(&pl, lnk) < index_of(&pl, map));
	assert_true(index_of(&pl, map) < index_of(&pl, tpgen));
	assert_true(index_of(&pl, np) < index_of(&pl, tpgen));
	/* no CHAP: authentication off, nothing written to auth/ */
	snprintf(p, sizeof(p), "%s/attrib/authentication", T);
	assert_string_equal(find(&pl, BL_OP_WRITE, p)->arg, "0");
	for (size_t i = 0; i < pl.n; i++)
		assert_null(strstr(pl.a[i].path, "/auth/"));
	/* ACL-only, and not listed in another initiator's SendTargets discovery, before the
	 * portal opens */
	snprintf(p, sizeof(p), "%s/attrib/generate_node_acls", T);
	assert_string_equal(find(&pl, BL_OP_WRITE, p)->arg, "0");
	snprintf(p, sizeof(p), "%s/attrib/demo_mode_discovery", T);
	const struct bl_action *disc = find(&pl, BL_OP_WRITE, p);
	assert_non_null(disc);
	assert_string_equal(disc->arg, "0");
	assert_true(index_of(&pl, disc) < index_of(&pl, np));
	/* both clients, equally many actions each */
	assert_true(count_key(&pl, "525400123456") > 10);
	assert_int_equal(count_key(&pl, "525400123456"), count_key(&pl, "525400abcdef"));
	bl_plan_free(&pl);
}

static void test_converged_is_idempotent(void **state)
{
	(void)state;
	struct bl_want w[3] = { mk("52:54:00:00:00:01", "bootlink//o/1.ovl"),
				mk("52:54:00:00:00:02", "bootlink//o/2.ovl"),
				mk("52:54:00:00:00:03", "bootlink//o/3.ovl") };
	w[1].chap_user = "user2";
	w[1].chap_secret = "secret-two-22";
	struct bl_lio_state st = { 0 };
	for (int i = 0; i < 3; i++)
		add_converged(&st, &w[i], "10.0.0.1:3260");
	struct bl_plan pl;
	assert_int_equal(bl_plan_compute(&params, w, 3, &st, &pl), 0);
	assert_int_equal(pl.n, 0);
	bl_plan_free(&pl);
	bl_lio_state_free(&st);
}

static void test_change_touches_only_its_client(void **state)
{
	(void)state;
	struct bl_want w[3] = { mk("52:54:00:00:00:01", "bootlink//o/1.ovl"),
				mk("52:54:00:00:00:02", "bootlink//o/2.ovl"),
				mk("52:54:00:00:00:03", "bootlink//o/3.ovl") };
	struct bl_lio_state st = { 0 };
	for (int i = 0; i < 3; i++)
		add_converged(&st, &w[i], "10.0.0.1:3260");
	w[1].dev_config = "bootlink//o/2.ovl;volatile";	/* e.g. mode changed */
	struct bl_plan pl;
	assert_int_equal(bl_plan_compute(&params, w, 3, &st, &pl), 0);
	assert_true(pl.n > 0);
	assert_int_equal(count_key(&pl, "525400000002"), pl.n);
	/* mapped LUN and LUN links go before the backstore is rebuilt; the target stays */
	const char *T = "iscsi/" PREFIX ":target-525400000002/tpgt_1";
	char p[512];
	snprintf(p, sizeof(p), "%s/acls/" PREFIX ":client-525400000002/lun_0/map", T);
	const struct bl_action *unmap = find(&pl, BL_OP_UNLINK, p);
	snprintf(p, sizeof(p), "%s/lun/lun_0/bl-525400000002", T);
	const struct bl_action *unlink = find(&pl, BL_OP_UNLINK, p);
	const struct bl_action *rm = find(&pl, BL_OP_RMDIR, "core/user_42/bl-525400000002");
	const struct bl_action *mk2 = find(&pl, BL_OP_MKDIR, "core/user_42/bl-525400000002");
	assert_non_null(unmap);
	assert_non_null(unlink);
	assert_non_null(rm);
	assert_non_null(mk2);
	assert_true(index_of(&pl, unmap) < index_of(&pl, unlink));
	assert_true(index_of(&pl, unlink) < index_of(&pl, rm));
	assert_true(index_of(&pl, rm) < index_of(&pl, mk2));
	assert_null(find(&pl, BL_OP_RMDIR, "iscsi/" PREFIX ":target-525400000002"));
	snprintf(p, sizeof(p), "%s/enable", T);
	assert_null(find(&pl, BL_OP_WRITE, p));	/* TPG stays enabled: session can resume */
	bl_plan_free(&pl);

	/* a boot of a volatile client rebuilds just its backstore the same way */
	w[1].dev_config = "bootlink//o/2.ovl";
	w[2].recreate = true;
	assert_int_equal(bl_plan_compute(&params, w, 3, &st, &pl), 0);
	assert_int_equal(count_key(&pl, "525400000003"), pl.n);
	assert_non_null(find(&pl, BL_OP_RMDIR, "core/user_42/bl-525400000003"));
	bl_plan_free(&pl);
	bl_lio_state_free(&st);
}

/* Both ring sizes come from the configuration and go into control before enable: the kernel
 * takes them only there (its attrib files are read-only once the device exists). A running
 * device keeps the sizes it was made with: changing them would mean taking the disk away from
 * a booted client, so the new sizes apply when the backstore is next rebuilt (a boot). */
static void test_ring_sizes_in_control(void **state)
{
	(void)state;
	struct bl_plan_params p = params;
	p.max_data_area_mb = 16;
	p.cmd_ring_size_mb = 2;
	struct bl_want w = mk("52:54:00:00:00:02", "bootlink//o/2.ovl");
	struct bl_lio_state st = { 0 };
	struct bl_plan pl;
	add_converged(&st, &w, "10.0.0.1:3260");	/* made with other sizes: left alone */
	assert_int_equal(bl_plan_compute(&p, &w, 1, &st, &pl), 0);
	assert_int_equal(pl.n, 0);
	bl_plan_free(&pl);

	w.recreate = true;
	assert_int_equal(bl_plan_compute(&p, &w, 1, &st, &pl), 0);
	const struct bl_action *ctl = find(&pl, BL_OP_WRITE, "core/user_42/bl-525400000002/control");
	const struct bl_action *en = find(&pl, BL_OP_WRITE, "core/user_42/bl-525400000002/enable");
	assert_non_null(ctl);
	assert_non_null(en);
	assert_string_equal(ctl->arg, "dev_config=bootlink//o/2.ovl,dev_size=1073741824,"
				      "hw_block_size=512,max_data_area_mb=16,cmd_ring_size_mb=2");
	assert_true(index_of(&pl, ctl) < index_of(&pl, en));
	assert_int_equal(count_key(&pl, "525400000002"), pl.n);
	bl_plan_free(&pl);
	bl_lio_state_free(&st);
}

static void test_unlink_removes_exactly_its_objects(void **state)
{
	(void)state;
	struct bl_want w[3] = { mk("52:54:00:00:00:01", "bootlink//o/1.ovl"),
				mk("52:54:00:00:00:02", "bootlink//o/2.ovl"),
				mk("52:54:00:00:00:03", "bootlink//o/3.ovl") };
	struct bl_lio_state st = { 0 };
	for (int i = 0; i < 3; i++)
		add_converged(&st, &w[i], "10.0.0.1:3260");
	w[2].serve = false;	/* disabled: same as unlinked for LIO */
	struct bl_want two[2] = { w[0], w[2] };	/* client 2 gone from the database */
	struct bl_plan pl;
	assert_int_equal(bl_plan_compute(&params, two, 2, &st, &pl), 0);
	assert_int_equal(count_key(&pl, "525400000001"), 0);
	assert_int_equal(count_key(&pl, "525400000002") + count_key(&pl, "525400000003"), pl.n);
	for (size_t i = 0; i < pl.n; i++)	/* nothing created, only removed or disabled */
		assert_true(pl.a[i].op == BL_OP_RMDIR || pl.a[i].op == BL_OP_UNLINK
			    || (pl.a[i].op == BL_OP_WRITE && strcmp(pl.a[i].arg, "0") == 0));
	const char *T = "iscsi/" PREFIX ":target-525400000002";
	const struct bl_action *rt = find(&pl, BL_OP_RMDIR, T);
	const struct bl_action *rb = find(&pl, BL_OP_RMDIR, "core/user_42/bl-525400000002");
	assert_non_null(rt);
	assert_non_null(rb);
	assert_true(index_of(&pl, rt) < index_of(&pl, rb));
	assert_non_null(find(&pl, BL_OP_RMDIR, "core/user_42/bl-525400000003"));
	/* 1 disable + 2 mapped + acl + 2 lun + np + tpg + target + backstore = 10 each */
	assert_int_equal(count_key(&pl, "525400000002"), 10);
	assert_int_equal(count_key(&pl, "525400000003"), 10);
	bl_plan_free(&pl);
	bl_lio_state_free(&st);
}

static void test_stray_owned_objects_removed(void **state)
{
	(void)state;
	struct bl_lio_state st = { .hba = true, .iscsi = true };
	st.bs = calloc(1, sizeof(*st.bs));
	st.bs[0] = (struct bl_lio_backstore){ xstrdup("bl-leftover"), NULL, 0, false };
	st.n_bs = 1;
	st.targets = calloc(1, sizeof(*st.targets));
	st.targets[0] = (struct bl_lio_target){ .iqn = xstrdup(PREFIX ":old-name"),
						.authentication = -1, .generate_node_acls = -1,
						.demo_mode_discovery = -1 };
	st.n_targets = 1;
	struct bl_plan pl;
	assert_int_equal(bl_plan_compute(&params, NULL, 0, &st, &pl), 0);
	assert_int_equal(pl.n, 2);
	assert_non_null(find(&pl, BL_OP_RMDIR, "iscsi/" PREFIX ":old-name"));
	assert_non_null(find(&pl, BL_OP_RMDIR, "core/user_42/bl-leftover"));
	bl_plan_free(&pl);
	bl_lio_state_free(&st);
}

static void test_chap_and_portal_changes(void **state)
{
	(void)state;
	struct bl_want w[2] = { mk("52:54:00:00:00:01", "bootlink//o/1.ovl"),
				mk("52:54:00:00:00:02", "bootlink//o/2.ovl") };
	w[0].chap_user = w[1].chap_user = "pc";
	w[0].chap_secret = w[1].chap_secret = "0123456789ab";
	struct bl_lio_state st = { 0 };
	add_converged(&st, &w[0], "10.0.0.1:3260");
	add_converged(&st, &w[1], "10.0.0.1:3260");
	w[1].chap_secret = "new-secret-99";
	struct bl_plan pl;
	assert_int_equal(bl_plan_compute(&params, w, 2, &st, &pl), 0);
	assert_int_equal(pl.n, 1);
	assert_true(pl.a[0].secret);
	assert_non_null(strstr(pl.a[0].path, "client-525400000002/auth/password"));
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	bl_plan_print(&pl, f);
	fclose(f);
	assert_null(strstr(buf, "new-secret-99"));
	assert_non_null(strstr(buf, "***"));
	free(buf);
	bl_plan_free(&pl);

	/* server address changed: each target swaps its portal, nothing else */
	w[1].chap_secret = "0123456789ab";
	struct bl_plan_params p2 = params;
	p2.portal_ip = "10.0.0.9";
	assert_int_equal(bl_plan_compute(&p2, w, 2, &st, &pl), 0);
	assert_int_equal(pl.n, 4);
	for (size_t i = 0; i < pl.n; i++)
		assert_non_null(strstr(pl.a[i].path, "/np/"));
	bl_plan_free(&pl);
	bl_lio_state_free(&st);
}

static void test_foreign_acl_in_owned_target_removed(void **state)
{
	(void)state;
	struct bl_want w[1] = { mk("52:54:00:00:00:01", "bootlink//o/1.ovl") };
	struct bl_lio_state st = { 0 };
	add_converged(&st, &w[0], "10.0.0.1:3260");
	struct bl_lio_target *t = &st.targets[0];
	t->acls = realloc(t->acls, 2 * sizeof(*t->acls));
	t->acls[1] = (struct bl_lio_acl){ .iqn = xstrdup(PREFIX ":client-525400000099") };
	t->n_acls = 2;
	struct bl_plan pl;
	assert_int_equal(bl_plan_compute(&params, w, 1, &st, &pl), 0);
	assert_int_equal(pl.n, 1);
	assert_int_equal(pl.a[0].op, BL_OP_RMDIR);
	assert_non_null(strstr(pl.a[0].path, "acls/" PREFIX ":client-525400000099"));
	bl_plan_free(&pl);
	bl_lio_state_free(&st);
}

/* A gated client loses only its portal (its sessions, LUN and ACL stay); a rebuild of a client
 * whose portal is gone puts the portal back only after its LUN is mapped again. */
/* The per-ACL NOP-In attributes are written when they differ, and only then. */
static void test_nopin_attributes(void **state)
{
	(void)state;
	struct bl_want w[1] = { mk("52:54:00:00:00:01", "bootlink//o/1.ovl") };
	struct bl_lio_state st = { 0 };
	add_converged(&st, &w[0], "10.0.0.1:3260");
	struct bl_plan_params p = params;
	p.nopin_timeout = 10;
	p.nopin_response_timeout = 12;
	st.targets[0].acls[0].nopin_timeout = 15;	/* LIO's defaults */
	st.targets[0].acls[0].nopin_response_timeout = 30;
	struct bl_plan pl;
	assert_int_equal(bl_plan_compute(&p, w, 1, &st, &pl), 0);
	assert_int_equal(pl.n, 2);
	const char *A = "iscsi/" PREFIX ":target-525400000001/tpgt_1/acls/" PREFIX ":client-525400000001";
	char path[256];
	snprintf(path, sizeof(path), "%s/attrib/nopin_timeout", A);
	assert_string_equal(find(&pl, BL_OP_WRITE, path)->arg, "10");
	snprintf(path, sizeof(path), "%s/attrib/nopin_response_timeout", A);
	assert_string_equal(find(&pl, BL_OP_WRITE, path)->arg, "12");
	bl_plan_free(&pl);
	st.targets[0].acls[0].nopin_timeout = 10;
	st.targets[0].acls[0].nopin_response_timeout = 12;
	assert_int_equal(bl_plan_compute(&p, w, 1, &st, &pl), 0);
	assert_int_equal(pl.n, 0);
	bl_plan_free(&pl);
	bl_lio_state_free(&st);
}

static void test_gate_and_rebuild_order(void **state)
{
	(void)state;
	struct bl_want w[1] = { mk("52:54:00:00:00:01", "bootlink//o/1.ovl;volatile") };
	struct bl_lio_state st = { 0 };
	add_converged(&st, &w[0], "10.0.0.1:3260");
	const char *T = "iscsi/" PREFIX ":target-525400000001/tpgt_1";
	char np[256], map[256];
	snprintf(np, sizeof(np), "%s/np/10.0.0.1:3260", T);
	snprintf(map, sizeof(map), "%s/acls/" PREFIX ":client-525400000001/lun_0/map", T);
	struct bl_plan pl;
	w[0].gate = true;
	assert_int_equal(bl_plan_compute(&params, w, 1, &st, &pl), 0);
	assert_int_equal(pl.n, 1);
	assert_non_null(find(&pl, BL_OP_RMDIR, np));
	bl_plan_free(&pl);
	/* gated and rebuilt: the portal goes first and does not come back */
	w[0].recreate = true;
	assert_int_equal(bl_plan_compute(&params, w, 1, &st, &pl), 0);
	assert_true(index_of(&pl, find(&pl, BL_OP_RMDIR, np)) <
		    index_of(&pl, find(&pl, BL_OP_RMDIR, "core/user_42/bl-525400000001")));
	assert_null(find(&pl, BL_OP_MKDIR, np));
	bl_plan_free(&pl);
	/* the gate lifted after the rebuild (the portal is gone from the state): back, last */
	free(st.targets[0].nps[0]);
	st.targets[0].n_nps = 0;
	w[0].gate = false;
	assert_int_equal(bl_plan_compute(&params, w, 1, &st, &pl), 0);
	assert_true(index_of(&pl, find(&pl, BL_OP_SYMLINK, map)) <
		    index_of(&pl, find(&pl, BL_OP_MKDIR, np)));
	assert_int_equal(index_of(&pl, find(&pl, BL_OP_MKDIR, np)), pl.n - 1);
	bl_plan_free(&pl);
	bl_lio_state_free(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_to_full),
		cmocka_unit_test(test_converged_is_idempotent),
		cmocka_unit_test(test_change_touches_only_its_client),
		cmocka_unit_test(test_ring_sizes_in_control),
		cmocka_unit_test(test_unlink_removes_exactly_its_objects),
		cmocka_unit_test(test_stray_owned_objects_removed),
		cmocka_unit_test(test_chap_and_portal_changes),
		cmocka_unit_test(test_foreign_acl_in_owned_target_removed),
		cmocka_unit_test(test_gate_and_rebuild_order),
		cmocka_unit_test(test_nopin_attributes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
