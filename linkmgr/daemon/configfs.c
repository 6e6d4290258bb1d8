/* configfs.c - LIO configfs reader and action runner.
 *
 * Real configfs semantics this relies on: mkdir creates an object together with its default
 * groups; rmdir removes it only when no user-made child or link is left; symlink targets are
 * resolved like any path (so we pass absolute ones); attribute writes are single write()s
 * without O_CREAT. readlink on a configfs link gives a relative path whose basename is the
 * target object's name.
 *
 * Changes go through a table of operations (struct bl_cfs_ops): the kernel's here, a fake that
 * plays the kernel on a plain directory for the unit tests and the benchmark in
 * tests/lib/fake-configfs.c. Reading is plain file reading either way.
 */
#include "configfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "names.h"
#include "error.h"
#include "validate.h"

#define CONFIGFS_MAGIC 0x62656570

/* snprintf for paths; configfs names are short, so truncation only yields a missing path. */
static int pathf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int pathf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n;
}

static const struct bl_cfs_ops kernel_ops;

int bl_cfs_open(const char *configfs_root, const struct bl_cfs_ops *ops, struct bl_cfs *out)
{
	memset(out, 0, sizeof(*out));
	struct statfs sf;
	if (statfs(configfs_root, &sf) < 0)
		return bl_fail(-errno, "configfs %s: %s (is configfs mounted?)", configfs_root,
			       strerror(errno));
	if (!ops && sf.f_type != CONFIGFS_MAGIC)
		return bl_fail(-ENOTSUP, "configfs %s: not a configfs mount (mount -t configfs "
			       "none %s)", configfs_root, configfs_root);
	out->ops = ops ? ops : &kernel_ops;
	if (asprintf(&out->root, "%s/target", configfs_root) < 0) {
		out->root = NULL;
		return -ENOMEM;
	}
	return 0;
}

void bl_cfs_close(struct bl_cfs *cfs)
{
	free(cfs->root);
	cfs->root = NULL;
}

/* Reads a small attribute, trailing newline removed. NULL if unreadable. */
static char *read_attr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *read_attr(const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\0'))
		buf[--n] = '\0';
	return strdup(buf);
}

static int read_int(const char *path_a, const char *path_b)
{
	char *s = read_attr("%s/%s", path_a, path_b);
	if (!s)
		return -1;
	char *end;
	long v = strtol(s, &end, 10);
	int r = (end == s || *end) ? -1 : (int)v;
	free(s);
	return r;
}

static bool is_dir(const char *dir, const char *name)
{
	char p[PATH_MAX];
	struct stat st;
	pathf(p, sizeof(p), "%s/%s", dir, name);
	return lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Sub-directory names of dir (optionally only those starting with prefix). */
static int list_dirs(const char *dir, const char *prefix, char ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	size_t cap = 0;
	struct dirent *e;
	int r = 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || (prefix && strncmp(e->d_name, prefix, strlen(prefix))))
			continue;
		if (!is_dir(dir, e->d_name))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			char **v = realloc(*out, cap * sizeof(*v));
			if (!v) {
				r = -ENOMEM;
				break;
			}
			*out = v;
		}
		if (!((*out)[*n] = strdup(e->d_name))) {
			r = -ENOMEM;
			break;
		}
		(*n)++;
	}
	closedir(d);
	if (r < 0) {
		for (size_t i = 0; i < *n; i++)
			free((*out)[i]);
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return r;
}

static void free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* A LUN-like dir: the first symlink inside and the basename of what it points to. */
static int read_lun(const char *dir, const char *name, struct bl_lio_lun *l)
{
	char p[PATH_MAX];
	pathf(p, sizeof(p), "%s/%s", dir, name);
	l->name = strdup(name);
	if (!l->name)
		return -ENOMEM;
	DIR *d = opendir(p);
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		char lp[PATH_MAX], target[PATH_MAX];
		struct stat st;
		pathf(lp, sizeof(lp), "%s/%s", p, e->d_name);
		if (e->d_name[0] == '.' || lstat(lp, &st) < 0 || !S_ISLNK(st.st_mode))
			continue;
		ssize_t n = readlink(lp, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		while (n > 1 && target[n - 1] == '/')
			target[--n] = '\0';
		const char *base = strrchr(target, '/');
		l->link = strdup(e->d_name);
		l->points_to = strdup(base ? base + 1 : target);
		break;
	}
	closedir(d);
	return 0;
}

static int read_luns(const char *dir, const char *prefix, struct bl_lio_lun **out, size_t *n)
{
	char **names;
	size_t nn;
	int r = list_dirs(dir, prefix, &names, &nn);
	*out = NULL;
	*n = 0;
	if (r < 0 || nn == 0)
		return r;
	*out = calloc(nn, sizeof(**out));
	if (!*out) {
		free_names(names, nn);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nn && r == 0; i++) {
		r = read_lun(dir, names[i], &(*out)[i]);
		*n = i + 1;
	}
	free_names(names, nn);
	return r;
}

static int read_target(const char *iscsi, const char *iqn, struct bl_lio_target *t)
{
	char tpg[PATH_MAX], dir[PATH_MAX];
	t->iqn = strdup(iqn);
	t->authentication = t->generate_node_acls = t->demo_mode_discovery = -1;
	if (!t->iqn)
		return -ENOMEM;
	pathf(tpg, sizeof(tpg), "%s/%s/" BL_TPG, iscsi, iqn);
	struct stat st;
	if (stat(tpg, &st) < 0)
		return 0;
	t->tpg = true;
	t->enabled = read_int(tpg, "enable") == 1;
	t->authentication = read_int(tpg, "attrib/authentication");
	t->generate_node_acls = read_int(tpg, "attrib/generate_node_acls");
	t->demo_mode_discovery = read_int(tpg, "attrib/demo_mode_discovery");
	pathf(dir, sizeof(dir), "%s/lun", tpg);
	int r = read_luns(dir, NULL, &t->luns, &t->n_luns);
	if (r < 0)
		return r;
	pathf(dir, sizeof(dir), "%s/np", tpg);
	if ((r = list_dirs(dir, NULL, &t->nps, &t->n_nps)) < 0)
		return r;
	char **acls;
	size_t na;
	pathf(dir, sizeof(dir), "%s/acls", tpg);
	if ((r = list_dirs(dir, NULL, &acls, &na)) < 0)
		return r;
	if (na && !(t->acls = calloc(na, sizeof(*t->acls)))) {
		free_names(acls, na);
		return -ENOMEM;
	}
	for (size_t i = 0; i < na; i++) {
		struct bl_lio_acl *a = &t->acls[i];
		char ad[PATH_MAX];
		t->n_acls = i + 1;
		a->iqn = acls[i];
		acls[i] = NULL;
		pathf(ad, sizeof(ad), "%s/%s", dir, a->iqn);
		if ((r = read_luns(ad, "lun_", &a->mapped, &a->n_mapped)) < 0)
			break;
		a->userid = read_attr("%s/auth/userid", ad);
		a->password = read_attr("%s/auth/password", ad);
		a->nopin_timeout = read_int(ad, "attrib/nopin_timeout");
		a->nopin_response_timeout = read_int(ad, "attrib/nopin_response_timeout");
	}
	free_names(acls, na);
	return r;
}

int bl_cfs_read(const struct bl_cfs *cfs, const struct bl_plan_params *p,
		struct bl_lio_state *out)
{
	memset(out, 0, sizeof(*out));
	char dir[PATH_MAX], prefix[BL_IQN_MAX];
	struct stat st;
	pathf(dir, sizeof(dir), "%s/core/user_%d", cfs->root, p->hba_index);
	out->hba = stat(dir, &st) == 0;
	char **names = NULL;
	size_t nn = 0;
	int r = list_dirs(dir, BL_BACKSTORE_PREFIX, &names, &nn);
	if (r < 0)
		return r;
	if (nn && !(out->bs = calloc(nn, sizeof(*out->bs))))
		r = -ENOMEM;
	for (size_t i = 0; i < nn && r == 0; i++) {
		struct bl_lio_backstore *b = &out->bs[i];
		out->n_bs = i + 1;
		b->name = names[i];
		names[i] = NULL;
		char bs[PATH_MAX];
		pathf(bs, sizeof(bs), "%s/%s", dir, b->name);
		b->dev_config = read_attr("%s/attrib/dev_config", bs);
		char *sz = read_attr("%s/attrib/dev_size", bs);
		b->dev_size = sz ? strtoull(sz, NULL, 10) : 0;
		free(sz);
		b->enabled = read_int(bs, "enable") == 1;
	}
	free_names(names, nn);
	if (r < 0)
		goto fail;

	pathf(dir, sizeof(dir), "%s/iscsi", cfs->root);
	out->iscsi = stat(dir, &st) == 0;
	pathf(prefix, sizeof(prefix), "%s:", p->iqn_prefix);
	if ((r = list_dirs(dir, prefix, &names, &nn)) < 0)
		goto fail;
	if (nn && !(out->targets = calloc(nn, sizeof(*out->targets))))
		r = -ENOMEM;
	for (size_t i = 0; i < nn && r == 0; i++) {
		out->n_targets = i + 1;
		r = read_target(dir, names[i], &out->targets[i]);
	}
	free_names(names, nn);
	if (r == 0)
		return 0;
fail:
	bl_lio_state_free(out);
	return r;
}

/* ---- applying ---- */

static int write_attr(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t len = strlen(val);
	ssize_t n = write(fd, val, len);
	int r = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

static int k_mkdir(const char *path)
{
	return mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

static int k_rmdir(const char *path)
{
	return rmdir(path) < 0 ? -errno : 0;
}

static int k_symlink(const char *target, const char *path)
{
	return symlink(target, path) < 0 ? -errno : 0;
}

static int k_unlink(const char *path)
{
	return unlink(path) < 0 ? -errno : 0;
}

static const struct bl_cfs_ops kernel_ops = {
	.mkdir = k_mkdir, .rmdir = k_rmdir, .write = write_attr, .symlink = k_symlink,
	.unlink = k_unlink,
};

static int apply_one(const struct bl_cfs *cfs, const struct bl_action *a)
{
	char path[PATH_MAX], arg[PATH_MAX];
	int n = pathf(path, sizeof(path), "%s/%s", cfs->root, a->path);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	switch (a->op) {
	case BL_OP_MKDIR:
		return cfs->ops->mkdir(path);
	case BL_OP_RMDIR:
		return cfs->ops->rmdir(path);
	case BL_OP_WRITE:
		return cfs->ops->write(path, a->arg);
	case BL_OP_SYMLINK:
		n = pathf(arg, sizeof(arg), "%s/%s", cfs->root, a->arg);
		if (n < 0 || (size_t)n >= sizeof(arg))
			return -ENAMETOOLONG;
		return cfs->ops->symlink(arg, path);
	case BL_OP_UNLINK:
		return cfs->ops->unlink(path);
	}
	return -EINVAL;
}

int bl_cfs_apply(const struct bl_cfs *cfs, const struct bl_plan *plan, bl_cfs_fail_fn fail,
		 void *ctx)
{
	/* Failed keys: few, so a short list searched linearly. A failed shared action ("")
	 * blocks nothing: each client then fails on its own with its own message. */
	const char **bad = NULL;
	size_t n_bad = 0;
	int failed = 0;
	for (size_t i = 0; i < plan->n; i++) {
		const struct bl_action *a = &plan->a[i];
		bool skip = false;
		for (size_t j = 0; j < n_bad && !skip; j++)
			skip = strcmp(bad[j], a->key) == 0;
		if (skip)
			continue;
		int r = apply_one(cfs, a);
		if (r == 0)
			continue;
		failed++;
		if (fail)
			fail(ctx, a, r);
		if (a->key[0]) {
			const char **v = realloc(bad, (n_bad + 1) * sizeof(*v));
			if (v) {
				bad = v;
				bad[n_bad++] = a->key;
			}
		}
	}
	free(bad);
	return failed;
}

/* <root>/iscsi/<target iqn>/<TPG> */
static int tpg_path(const struct bl_cfs *cfs, const char *tiqn, char *out, size_t len)
{
	char rel[BL_IQN_MAX + 32];
	int r = bl_name_tpg(tiqn, rel, sizeof(rel));
	if (r == 0)
		pathf(out, len, "%s/%s", cfs->root, rel);
	return r;
}

int bl_cfs_client_status(const struct bl_cfs *cfs, const struct bl_plan_params *p,
			 const char *mac, struct bl_cfs_status *out)
{
	memset(out, 0, sizeof(*out));
	char tiqn[BL_IQN_MAX], iiqn[BL_IQN_MAX], tpg[PATH_MAX];
	int r = bl_target_iqn(p->iqn_prefix, mac, tiqn, sizeof(tiqn));
	if (r < 0 || (r = bl_initiator_iqn(p->iqn_prefix, mac, iiqn, sizeof(iiqn))) < 0)
		return r;
	if ((r = tpg_path(cfs, tiqn, tpg, sizeof(tpg))) < 0)
		return r;
	struct stat st;
	out->present = stat(tpg, &st) == 0;
	if (!out->present)
		return 0;
	/* The ACL's info file says "No active iSCSI Session" unless the initiator is logged in. */
	char *info = read_attr("%s/acls/%s/info", tpg, iiqn);
	out->online = info && strstr(info, "InitiatorName") && !strstr(info, "No active");
	/* the newest session (the kernel shows one): its id grows with every login to the TPG */
	const char *sid = out->online ? strstr(info, "LIO Session ID:") : NULL;
	if (sid)
		out->sid = (uint32_t)strtoul(sid + strlen("LIO Session ID:"), NULL, 10);
	free(info);
	char *s = read_attr("%s/lun/lun_0/statistics/scsi_tgt_port/read_mbytes", tpg);
	out->read_mb = s ? strtoull(s, NULL, 10) : 0;
	free(s);
	s = read_attr("%s/lun/lun_0/statistics/scsi_tgt_port/write_mbytes", tpg);
	out->write_mb = s ? strtoull(s, NULL, 10) : 0;
	free(s);
	return 0;
}

int bl_cfs_gate(const struct bl_cfs *cfs, const struct bl_plan_params *p, const char *mac)
{
	char tiqn[BL_IQN_MAX], dir[PATH_MAX], rel[PATH_MAX];
	int r = bl_target_iqn(p->iqn_prefix, mac, tiqn, sizeof(tiqn));
	if (r < 0)
		return r;
	char tpg[PATH_MAX];
	if ((r = tpg_path(cfs, tiqn, tpg, sizeof(tpg))) < 0)
		return r;
	pathf(dir, sizeof(dir), "%s/np", tpg);
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	struct dirent *e;
	int n = 0;
	while (r == 0 && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		pathf(rel, sizeof(rel), "%s/np/%s", tpg + strlen(cfs->root) + 1, e->d_name);
		struct bl_action a = { .op = BL_OP_RMDIR, .path = rel, .key = "", .what = "gate" };
		if ((r = apply_one(cfs, &a)) == 0 || r == -ENOENT)
			r = 0, n++;
	}
	closedir(d);
	return r < 0 ? r : n;
}
