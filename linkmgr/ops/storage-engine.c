/* storage-engine.c - the file backend's use of the copy-on-write engine (libblcow) for the
 * operations: identities, what a file sits on, commit, rebase, removal. Together with
 * storage-file.c the only place outside the engine that opens an overlay or a layer. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blcow.h"
#include "error.h"
#include "names.h"
#include "storage.h"

int bl_storage_identity(const char *path, char id[BL_IDENTITY_MAX], uint64_t *size)
{
	struct blc_identity ident;
	char err[512];
	int r = blc_identity_of(path, &ident, err, sizeof(err));

	if (r < 0)
		return bl_fail(r, "%s", err);
	r = blc_identity_format(&ident, id, BL_IDENTITY_MAX);
	if (r < 0)
		return bl_fail(r, "%s: identity does not fit", path);
	*size = ident.size;
	return 0;
}

int bl_storage_identity_matches(const char *path, const char *recorded)
{
	struct blc_identity now, then;
	char err[512];
	int r = blc_identity_of(path, &now, err, sizeof(err));

	if (r < 0)
		return bl_fail(r, "%s", err);
	if (blc_identity_parse(recorded, &then) < 0)
		return bl_fail(-EINVAL, "%s: recorded identity '%s' is malformed", path, recorded);
	return blc_identity_equal(&now, &then) ? 1 : 0;
}

int bl_storage_layer_backing(const char *file, char out[PATH_MAX])
{
	struct blc_chain *c;
	struct blc_layer_info li;
	char err[512];
	int r = blc_open(file, &(struct blc_open_opts){ .flags = BLC_OPEN_RDONLY }, &c, err,
			 sizeof(err));

	if (r < 0)
		return bl_fail(r, "%s", err);
	int n = blc_layer_count(c);
	r = n >= 2 ? blc_layer_info(c, n - 2, &li) : -EINVAL;
	if (r == 0 && !realpath(li.path, out))
		r = -errno;
	blc_close(c);
	return r < 0 ? bl_fail(r, "%s: cannot tell what it is based on: %s", file, strerror(-r)) : 0;
}

/* True if the chain topped by overlay sits directly on newlayer (a commit already done). */
static bool already_committed(const char *overlay, const char *newlayer)
{
	char a[PATH_MAX], b[PATH_MAX];

	return access(newlayer, F_OK) == 0 && bl_storage_layer_backing(overlay, a) == 0 &&
	       realpath(newlayer, b) && !strcmp(a, b);
}

static int commit_file(const char *overlay, const char *newlayer)
{
	struct blc_chain *c;
	char err[512];
	int r;

	if (already_committed(overlay, newlayer))
		return 0;
	r = blc_open(overlay, NULL, &c, err, sizeof(err));
	if (r < 0)
		return bl_fail(r, "%s", err);
	r = blc_commit(c, newlayer);
	if (r < 0) {
		blc_last_error(c, err, sizeof(err));
		bl_fail(r, "%s", err);
	}
	blc_close(c);
	return r;
}

int bl_storage_rebase_layer(const char *file, const char *newbacking, bool *done)
{
	char err[512];
	*done = false;
	if (access(file, F_OK) < 0)
		return 0;
	int r = blc_rebase(file, newbacking, err, sizeof(err));
	if (r < 0)
		return bl_fail(r, "%s", err);
	*done = true;
	return 0;
}

static int disk_path(const struct bl_config *cfg, const char *mac, char out[PATH_MAX])
{
	return bl_name_overlay(cfg->overlay_dir, mac, out, PATH_MAX);
}

bool bl_storage_disk_exists(const struct bl_config *cfg, const char *mac)
{
	char p[PATH_MAX];
	return disk_path(cfg, mac, p) == 0 && access(p, F_OK) == 0;
}

int bl_storage_disk_backing(const struct bl_config *cfg, const char *mac, char out[PATH_MAX])
{
	char p[PATH_MAX];
	int r = disk_path(cfg, mac, p);
	return r < 0 ? r : bl_storage_layer_backing(p, out);
}

int bl_storage_commit(const struct bl_config *cfg, const char *mac, const char *newlayer)
{
	char p[PATH_MAX];
	int r = disk_path(cfg, mac, p);
	return r < 0 ? r : commit_file(p, newlayer);
}

int bl_storage_rebase_disk(const struct bl_config *cfg, const char *mac, const char *newbacking,
			   bool *done)
{
	char p[PATH_MAX];
	int r = disk_path(cfg, mac, p);
	return r < 0 ? r : bl_storage_rebase_layer(p, newbacking, done);
}

int bl_storage_remove(const struct bl_config *cfg, const char *mac)
{
	char p[PATH_MAX];
	int r = disk_path(cfg, mac, p);
	if (r < 0)
		return r;
	if (unlink(p) < 0 && errno != ENOENT)
		return bl_fail(-errno, "client %s: cannot remove its overlay %s: %s", mac, p,
			       strerror(errno));
	return 0;
}
