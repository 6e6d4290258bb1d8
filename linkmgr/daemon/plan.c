/* plan.c - the diff between wanted and actual LIO objects.
 *
 * Per client the object tree is: backstore core/user_<hba>/bl-<mac12> (control, enable) <-
 * target iscsi/<prefix>:target-<mac12>/<TPG> with lun/lun_0 (symlink to the backstore),
 * np/<ip>:<port>, acls/<prefix>:client-<mac12>/lun_0 (symlink to the TPG's lun_0),
 * attrib/authentication, generate_node_acls and demo_mode_discovery (ACL only, also for
 * discovery) + acl auth/userid,password (CHAP), enable. configfs refuses to remove a
 * directory that still has links or user-made children, so teardown runs leaf first and a
 * backstore whose dev_config/size must change is rebuilt only after its LUN links are gone.
 *
 * Order of the output: shared parents, then targets of clients that are gone, then each wanted
 * client (teardown of what is wrong, then creation; the portal and the TPG enable last, so an
 * initiator never logs in to a half-built target), then backstores of clients that are gone.
 * A gated client (bl_want.gate) has no portal: LIO refuses logins to it while its sessions
 * run on, which is how a rebuild is kept from racing a login.
 */
#include "plan.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "validate.h"

#define BL_MAP_LINK "map"

struct ctx {
	const struct bl_plan_params *p;
	struct bl_plan *out;
	int err;
};

static void emit(struct ctx *c, enum bl_op op, const char *key, const char *what,
		 const char *arg, bool secret, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

static void emit(struct ctx *c, enum bl_op op, const char *key, const char *what,
		 const char *arg, bool secret, const char *fmt, ...)
{
	if (c->err)
		return;
	struct bl_plan *pl = c->out;
	if (pl->n == pl->cap) {
		size_t cap = pl->cap ? pl->cap * 2 : 64;
		struct bl_action *a = realloc(pl->a, cap * sizeof(*a));
		if (!a) {
			c->err = -ENOMEM;
			return;
		}
		pl->a = a;
		pl->cap = cap;
	}
	struct bl_action *a = &pl->a[pl->n];
	memset(a, 0, sizeof(*a));
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&a->path, fmt, ap);
	va_end(ap);
	a->key = strdup(key);
	a->arg = arg ? strdup(arg) : NULL;
	if (r < 0 || !a->key || (arg && !a->arg)) {
		if (r >= 0)
			free(a->path);
		free(a->key);
		free(a->arg);
		c->err = -ENOMEM;
		return;
	}
	a->op = op;
	a->what = what;
	a->secret = secret;
	pl->n++;
}

static bool is_mac12(const char *s)
{
	if (strlen(s) != 12)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

/* Key of an owned object: the MAC12 for objects named after a client, else the whole name. */
static const char *bs_key(const struct bl_lio_backstore *b)
{
	const char *k = b->name + strlen(BL_BACKSTORE_PREFIX);
	return is_mac12(k) ? k : b->name;
}

static const char *target_key(const struct bl_plan_params *p, const struct bl_lio_target *t)
{
	size_t pl = strlen(p->iqn_prefix);
	static const char mid[] = ":target-";
	if (strncmp(t->iqn, p->iqn_prefix, pl) == 0 && strncmp(t->iqn + pl, mid, sizeof(mid) - 1) == 0
	    && is_mac12(t->iqn + pl + sizeof(mid) - 1))
		return t->iqn + pl + sizeof(mid) - 1;
	return t->iqn;
}

struct keyed {
	const char *key;
	size_t idx;
};

static int keyed_cmp(const void *a, const void *b)
{
	return strcmp(((const struct keyed *)a)->key, ((const struct keyed *)b)->key);
}

static const struct keyed *keyed_find(const struct keyed *v, size_t n, const char *key)
{
	struct keyed k = { key, 0 };
	return n ? bsearch(&k, v, n, sizeof(*v), keyed_cmp) : NULL;
}

static const struct bl_lio_lun *find_lun(const struct bl_lio_lun *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

static void rm_lun(struct ctx *c, const char *key, const char *dir, const struct bl_lio_lun *l,
		   const char *what)
{
	if (l->link)
		emit(c, BL_OP_UNLINK, key, what, NULL, false, "%s/%s/%s", dir, l->name, l->link);
	emit(c, BL_OP_RMDIR, key, what, NULL, false, "%s/%s", dir, l->name);
}

static void rm_acl(struct ctx *c, const char *key, const char *tpg, const struct bl_lio_acl *a)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/acls/%s", tpg, a->iqn);
	for (size_t i = 0; i < a->n_mapped; i++)
		rm_lun(c, key, dir, &a->mapped[i], "remove mapped LUN");
	emit(c, BL_OP_RMDIR, key, "remove ACL", NULL, false, "%s", dir);
}

static void rm_target(struct ctx *c, const char *key, const struct bl_lio_target *t)
{
	char tpg[512];
	bl_name_tpg(t->iqn, tpg, sizeof(tpg));
	if (t->tpg) {
		if (t->enabled)
			emit(c, BL_OP_WRITE, key, "disable TPG", "0", false, "%s/enable", tpg);
		for (size_t i = 0; i < t->n_acls; i++)
			rm_acl(c, key, tpg, &t->acls[i]);
		char dir[540];
		snprintf(dir, sizeof(dir), "%s/lun", tpg);
		for (size_t i = 0; i < t->n_luns; i++)
			rm_lun(c, key, dir, &t->luns[i], "remove LUN");
		for (size_t i = 0; i < t->n_nps; i++)
			emit(c, BL_OP_RMDIR, key, "remove portal", NULL, false, "%s/np/%s", tpg,
			     t->nps[i]);
		emit(c, BL_OP_RMDIR, key, "remove TPG", NULL, false, "%s", tpg);
	}
	emit(c, BL_OP_RMDIR, key, "remove target", NULL, false, "iscsi/%s", t->iqn);
}

static bool str_eq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* One wanted client: tear down what is wrong, then create what is missing. */
static void plan_client(struct ctx *c, const struct bl_want *w, const char *key,
			const struct bl_lio_backstore *b, const struct bl_lio_target *t)
{
	const struct bl_plan_params *p = c->p;
	char bsname[32], tiqn[BL_IQN_MAX], iiqn[BL_IQN_MAX], bspath[64], tpg[BL_IQN_MAX + 32];
	if (bl_name_backstore(w->mac, bsname, sizeof(bsname)) < 0
	    || bl_target_iqn(p->iqn_prefix, w->mac, tiqn, sizeof(tiqn)) < 0
	    || bl_initiator_iqn(p->iqn_prefix, w->mac, iiqn, sizeof(iiqn)) < 0) {
		c->err = -EINVAL;
		return;
	}
	snprintf(bspath, sizeof(bspath), "core/user_%d/%s", p->hba_index, bsname);
	if (bl_name_tpg(tiqn, tpg, sizeof(tpg)) < 0) {
		c->err = -ENAMETOOLONG;
		return;
	}

	bool bs_rebuild = b && (!b->enabled || !str_eq(b->dev_config, w->dev_config)
				|| b->dev_size != w->dev_size || w->recreate);
	bool has_tpg = t && t->tpg;
	const struct bl_lio_lun *lun0 = has_tpg ? find_lun(t->luns, t->n_luns, BL_LUN0) : NULL;
	bool lun_ok = lun0 && !bs_rebuild && str_eq(lun0->points_to, bsname);
	bool tpg_needs_enable = !has_tpg || !t->enabled;

	/* Teardown: mapped LUNs that are wrong or about to dangle, ACLs of other initiators,
	 * LUNs other than a good lun_0, portals other than the wanted one. */
	bool acl_present = false;
	const struct bl_lio_acl *acl = NULL;
	for (size_t i = 0; has_tpg && i < t->n_acls; i++) {
		const struct bl_lio_acl *a = &t->acls[i];
		if (strcmp(a->iqn, iiqn) != 0) {
			rm_acl(c, key, tpg, a);
			continue;
		}
		acl = a;
		acl_present = true;
	}
	bool map_ok = false;
	if (acl) {
		char dir[BL_IQN_MAX * 2 + 48];
		snprintf(dir, sizeof(dir), "%s/acls/%s", tpg, acl->iqn);
		for (size_t i = 0; i < acl->n_mapped; i++) {
			const struct bl_lio_lun *m = &acl->mapped[i];
			if (lun_ok && strcmp(m->name, BL_LUN0) == 0 && str_eq(m->points_to, BL_LUN0)) {
				map_ok = true;
				continue;
			}
			rm_lun(c, key, dir, m, "remove mapped LUN");
		}
	}
	if (has_tpg) {
		char dir[sizeof(tpg) + 8];
		snprintf(dir, sizeof(dir), "%s/lun", tpg);
		for (size_t i = 0; i < t->n_luns; i++)
			if (!(lun_ok && &t->luns[i] == lun0))
				rm_lun(c, key, dir, &t->luns[i], "remove LUN");
	}
	char np[80] = "";
	if (p->portal_ip)
		snprintf(np, sizeof(np), "%s:%d", p->portal_ip, p->portal_port);
	bool np_ok = false;
	for (size_t i = 0; has_tpg && i < t->n_nps; i++) {
		if (np[0] && !w->gate && strcmp(t->nps[i], np) == 0)
			np_ok = true;
		else
			emit(c, BL_OP_RMDIR, key, "remove portal", NULL, false, "%s/np/%s", tpg,
			     t->nps[i]);
	}
	if (bs_rebuild)
		emit(c, BL_OP_RMDIR, key, "rebuild backstore", NULL, false, "%s", bspath);

	/* Creation. */
	if (!b || bs_rebuild) {
		char ctl[1024];
		int n = snprintf(ctl, sizeof(ctl),
				 "dev_config=%s,dev_size=%" PRIu64 ",hw_block_size=512,"
				 "max_data_area_mb=%d,cmd_ring_size_mb=%d",
				 w->dev_config, w->dev_size, p->max_data_area_mb, p->cmd_ring_size_mb);
		if (n < 0 || (size_t)n >= sizeof(ctl)) {
			c->err = -ENAMETOOLONG;
			return;
		}
		emit(c, BL_OP_MKDIR, key, "create backstore", NULL, false, "%s", bspath);
		emit(c, BL_OP_WRITE, key, "configure backstore", ctl, false, "%s/control", bspath);
		emit(c, BL_OP_WRITE, key, "enable backstore", "1", false, "%s/enable", bspath);
	}
	if (!t)
		emit(c, BL_OP_MKDIR, key, "create target", NULL, false, "iscsi/%s", tiqn);
	if (!has_tpg)
		emit(c, BL_OP_MKDIR, key, "create TPG", NULL, false, "%s", tpg);
	int auth = w->chap_user ? 1 : 0;
	if (!has_tpg || t->authentication != auth)
		emit(c, BL_OP_WRITE, key, "set TPG authentication", auth ? "1" : "0", false,
		     "%s/attrib/authentication", tpg);
	if (!has_tpg || t->generate_node_acls != 0)
		emit(c, BL_OP_WRITE, key, "require ACLs", "0", false,
		     "%s/attrib/generate_node_acls", tpg);
	/* SendTargets discovery lists a target only to an initiator its ACL names (LIO lists
	 * every target by default): a client cannot enumerate the room's disks */
	if (!has_tpg || t->demo_mode_discovery != 0)
		emit(c, BL_OP_WRITE, key, "hide from other initiators' discovery", "0", false,
		     "%s/attrib/demo_mode_discovery", tpg);
	if (!lun_ok) {
		emit(c, BL_OP_MKDIR, key, "create LUN", NULL, false, "%s/lun/" BL_LUN0, tpg);
		char target[96];
		snprintf(target, sizeof(target), "%s", bspath);
		emit(c, BL_OP_SYMLINK, key, "link LUN to backstore", target, false,
		     "%s/lun/" BL_LUN0 "/%s", tpg, bsname);
	}
	if (!acl_present)
		emit(c, BL_OP_MKDIR, key, "create ACL", NULL, false, "%s/acls/%s", tpg, iiqn);
	if (!map_ok) {
		char target[sizeof(tpg) + 16];
		snprintf(target, sizeof(target), "%s/lun/" BL_LUN0, tpg);
		emit(c, BL_OP_MKDIR, key, "map LUN 0 for the client", NULL, false,
		     "%s/acls/%s/" BL_LUN0, tpg, iiqn);
		emit(c, BL_OP_SYMLINK, key, "map LUN 0 for the client", target, false,
		     "%s/acls/%s/" BL_LUN0 "/" BL_MAP_LINK, tpg, iiqn);
	}
	if (w->chap_user) {
		if (!acl || !str_eq(acl->userid, w->chap_user))
			emit(c, BL_OP_WRITE, key, "set CHAP user", w->chap_user, false,
			     "%s/acls/%s/auth/userid", tpg, iiqn);
		if (!acl || !str_eq(acl->password, w->chap_secret))
			emit(c, BL_OP_WRITE, key, "set CHAP secret", w->chap_secret, true,
			     "%s/acls/%s/auth/password", tpg, iiqn);
	}
	/* How soon LIO notices a PC that went away without logging out (see linkmgr.conf) */
	char v[16];
	if (p->nopin_timeout && (!acl || acl->nopin_timeout != p->nopin_timeout)) {
		snprintf(v, sizeof(v), "%d", p->nopin_timeout);
		emit(c, BL_OP_WRITE, key, "set NOP-In interval", v, false,
		     "%s/acls/%s/attrib/nopin_timeout", tpg, iiqn);
	}
	if (p->nopin_response_timeout
	    && (!acl || acl->nopin_response_timeout != p->nopin_response_timeout)) {
		snprintf(v, sizeof(v), "%d", p->nopin_response_timeout);
		emit(c, BL_OP_WRITE, key, "set NOP-In answer timeout", v, false,
		     "%s/acls/%s/attrib/nopin_response_timeout", tpg, iiqn);
	}
	/* The portal after the LUN, its mapping and CHAP: a TPG that stays enabled through a
	 * rebuild is logged in to only once its disk is whole. */
	if (np[0] && !np_ok && !w->gate)
		emit(c, BL_OP_MKDIR, key, "create portal", NULL, false, "%s/np/%s", tpg, np);
	if (tpg_needs_enable)
		emit(c, BL_OP_WRITE, key, "enable TPG", "1", false, "%s/enable", tpg);
}

int bl_plan_compute(const struct bl_plan_params *p, const struct bl_want *want, size_t n_want,
		    const struct bl_lio_state *actual, struct bl_plan *out)
{
	memset(out, 0, sizeof(*out));
	struct ctx c = { .p = p, .out = out };
	struct keyed *wk = calloc(n_want + 1, sizeof(*wk));
	struct keyed *bk = calloc(actual->n_bs + 1, sizeof(*bk));
	struct keyed *tk = calloc(actual->n_targets + 1, sizeof(*tk));
	char (*m12)[BL_MAC12_LEN] = calloc(n_want + 1, sizeof(*m12));
	if (!wk || !bk || !tk || !m12) {
		c.err = -ENOMEM;
		goto out;
	}
	size_t nw = 0;
	for (size_t i = 0; i < n_want; i++) {
		bl_mac12(want[i].mac, m12[i]);
		if (want[i].serve)
			wk[nw++] = (struct keyed){ m12[i], i };
	}
	for (size_t i = 0; i < actual->n_bs; i++)
		bk[i] = (struct keyed){ bs_key(&actual->bs[i]), i };
	for (size_t i = 0; i < actual->n_targets; i++)
		tk[i] = (struct keyed){ target_key(p, &actual->targets[i]), i };
	qsort(wk, nw, sizeof(*wk), keyed_cmp);
	qsort(bk, actual->n_bs, sizeof(*bk), keyed_cmp);
	qsort(tk, actual->n_targets, sizeof(*tk), keyed_cmp);

	if (nw && !actual->hba)
		emit(&c, BL_OP_MKDIR, "", "create bootlink HBA", NULL, false, "core/user_%d",
		     p->hba_index);
	if (nw && !actual->iscsi)
		emit(&c, BL_OP_MKDIR, "", "load iSCSI fabric", NULL, false, "iscsi");

	for (size_t i = 0; i < actual->n_targets; i++)
		if (!keyed_find(wk, nw, tk[i].key))
			rm_target(&c, tk[i].key, &actual->targets[tk[i].idx]);

	for (size_t i = 0; i < n_want; i++) {
		if (!want[i].serve)
			continue;
		const struct keyed *b = keyed_find(bk, actual->n_bs, m12[i]);
		const struct keyed *t = keyed_find(tk, actual->n_targets, m12[i]);
		plan_client(&c, &want[i], m12[i], b ? &actual->bs[b->idx] : NULL,
			    t ? &actual->targets[t->idx] : NULL);
	}

	for (size_t i = 0; i < actual->n_bs; i++)
		if (!keyed_find(wk, nw, bk[i].key))
			emit(&c, BL_OP_RMDIR, bk[i].key, "remove backstore", NULL, false,
			     "core/user_%d/%s", p->hba_index, actual->bs[bk[i].idx].name);
out:
	free(wk);
	free(bk);
	free(tk);
	free(m12);
	if (c.err)
		bl_plan_free(out);
	return c.err;
}

void bl_plan_free(struct bl_plan *plan)
{
	for (size_t i = 0; i < plan->n; i++) {
		free(plan->a[i].path);
		free(plan->a[i].arg);
		free(plan->a[i].key);
	}
	free(plan->a);
	memset(plan, 0, sizeof(*plan));
}

static const char *op_name(enum bl_op op)
{
	switch (op) {
	case BL_OP_MKDIR: return "mkdir";
	case BL_OP_RMDIR: return "rmdir";
	case BL_OP_WRITE: return "write";
	case BL_OP_SYMLINK: return "symlink";
	case BL_OP_UNLINK: return "unlink";
	}
	return "?";
}

void bl_plan_print(const struct bl_plan *plan, FILE *f)
{
	for (size_t i = 0; i < plan->n; i++) {
		const struct bl_action *a = &plan->a[i];
		fprintf(f, "%-7s %s", op_name(a->op), a->path);
		if (a->op == BL_OP_WRITE)
			fprintf(f, " = %s", a->secret ? "***" : a->arg);
		else if (a->op == BL_OP_SYMLINK)
			fprintf(f, " -> %s", a->arg);
		fprintf(f, "  # %s%s%s\n", a->what, a->key[0] ? " " : "", a->key);
	}
}

static void free_luns(struct bl_lio_lun *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(l[i].name);
		free(l[i].link);
		free(l[i].points_to);
	}
	free(l);
}

void bl_lio_state_free(struct bl_lio_state *st)
{
	for (size_t i = 0; i < st->n_bs; i++) {
		free(st->bs[i].name);
		free(st->bs[i].dev_config);
	}
	free(st->bs);
	for (size_t i = 0; i < st->n_targets; i++) {
		struct bl_lio_target *t = &st->targets[i];
		free(t->iqn);
		free_luns(t->luns, t->n_luns);
		for (size_t j = 0; j < t->n_nps; j++)
			free(t->nps[j]);
		free(t->nps);
		for (size_t j = 0; j < t->n_acls; j++) {
			free(t->acls[j].iqn);
			free_luns(t->acls[j].mapped, t->acls[j].n_mapped);
			free(t->acls[j].userid);
			free(t->acls[j].password);
		}
		free(t->acls);
	}
	free(st->targets);
	memset(st, 0, sizeof(*st));
}
