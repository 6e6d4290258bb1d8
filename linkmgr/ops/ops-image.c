/* ops-image.c - base images and their versions (see ops.h).
 *
 * Files and database change together: rename with a file and relocate move/rebase files inside
 * a BEGIN IMMEDIATE transaction and undo the file step if the commit fails, so a failure leaves
 * both as they were. A crash between the file step and the commit leaves the file at its new
 * place with the old record: `image relocate NAME NEWPATH` repairs that (identity check).
 * Commit writes the layer first and records it after; a crash in between leaves a layer that
 * the next `image commit` recognises and records (the engine's commit is idempotent).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "names.h"
#include "ops.h"
#include "ops-internal.h"
#include "storage.h"
#include "validate.h"

static int image_get(struct bl_ops *o, const char *name, struct bl_image *img)
{
	if (bl_image_name_check(name) < 0)
		return -EINVAL;
	return bl_db_image_get(o->db, name, img);
}

/* FILE argument: absolute, resolved, inside image_dir, a regular file, safe characters. */
static int image_file(struct bl_ops *o, const char *in, char out[PATH_MAX])
{
	char abs[PATH_MAX];
	struct stat st;
	int r;

	if ((r = bl_path_absolute(in, abs)) < 0 || (r = bl_path_chars_check("image file", abs)) < 0)
		return r;
	if (stat(o->cfg->image_dir, &st) < 0)
		return bl_fail(-ENOENT, "image_dir %s: %s (create it, or set image_dir in the "
			       "configuration)", o->cfg->image_dir, strerror(errno));
	if ((r = bl_path_within("image file", abs, o->cfg->image_dir, out)) < 0) {
		if (access(abs, F_OK) < 0)
			return bl_fail(-ENOENT, "image file %s: does not exist", abs);
		return bl_fail(r, "%s (image files must be inside image_dir %s)", bl_last_error(),
			       o->cfg->image_dir);
	}
	if (stat(out, &st) < 0 || !S_ISREG(st.st_mode))
		return bl_fail(-EINVAL, "image file %s: not a regular file", out);
	if (st.st_size == 0 || st.st_size % 512)
		return bl_fail(-EINVAL, "image file %s: size %lld is not a positive multiple of 512 "
			       "bytes", out, (long long)st.st_size);
	return 0;
}

int bl_op_image_add(struct bl_ops *o, const char *name, const char *file, struct bl_image *out)
{
	char path[PATH_MAX], id[BL_IDENTITY_MAX], sz[32];
	struct bl_image img = { 0 };
	int r;

	if ((r = bl_image_name_check(name)) < 0 || (r = image_file(o, file, path)) < 0)
		return r;
	if ((r = bl_storage_identity(path, id, &img.size)) < 0)
		return r;
	if (strncmp(id, "raw:", 4) != 0)
		return bl_fail(-EINVAL, "image file %s: is a bootlink layer or overlay, not a raw "
			       "disk image", path);
	img.name = (char *)name;
	img.path = path;
	img.identity = id;
	if ((r = bl_db_image_add(o->db, &img)) < 0)
		return r;
	ops_done(o, "image %s", name);
	ops_say(o, "image '%s' added: %s (%s)", name, path, bl_human_bytes(img.size, sz, sizeof(sz)));
	if (out) {
		*out = img;
		out->name = strdup(name);
		out->path = strdup(path);
		out->identity = strdup(id);
		if (!out->name || !out->path || !out->identity) {
			bl_image_clear(out);
			return bl_fail(-ENOMEM, "out of memory");
		}
	}
	return 0;
}

int bl_op_image_remove(struct bl_ops *o, const char *name, bool force)
{
	struct bl_image img;
	struct bl_client *cl;
	size_t nc;
	int r;

	if ((r = image_get(o, name, &img)) < 0)
		return r;
	if ((r = bl_db_image_client_list(o->db, img.id, &cl, &nc)) < 0) {
		bl_image_clear(&img);
		return r;
	}
	if ((r = bl_db_image_remove(o->db, img.name, force)) == 0) {
		ops_done(o, "image %s", img.name);
		ops_say(o, "image '%s' removed; its files stay in place (%s)", img.name, img.path);
		if (nc)
			ops_add(o, "; %zu client(s) removed with it and no longer boot:", nc);
		for (size_t i = 0; i < nc; i++)
			ops_add(o, " %s", cl[i].mac);
	}
	bl_clients_free(cl, nc);
	bl_image_clear(&img);
	return r < 0 ? r : ops_logged(o);
}

/* Points every file that sits directly on the base (version layers built on version 0 and
 * disks of clients on version 0) at newpath. Missing files are skipped (not made yet).
 * Returns the number rebased or a negative errno. */
static int rebase_on_base(struct bl_ops *o, const struct bl_image *img, const char *newpath)
{
	struct bl_version *v;
	struct bl_client *cl;
	size_t nv, nc;
	int done = 0, r;
	bool did;

	if ((r = bl_db_versions(o->db, img->id, &v, &nv)) < 0)
		return r;
	if ((r = bl_db_image_client_list(o->db, img->id, &cl, &nc)) < 0) {
		bl_versions_free(v, nv);
		return r;
	}
	r = 0;
	for (size_t i = 0; i < nv && r == 0; i++)
		if (v[i].parent == 0 && (r = bl_storage_rebase_layer(v[i].layer_path, newpath, &did)) == 0)
			done += did;
	for (size_t i = 0; i < nc && r == 0; i++) {
		int on = cl[i].role == BL_ROLE_SUPER ? img->current_version : cl[i].booted_version;
		if (on == 0 && (r = bl_storage_rebase_disk(o->cfg, cl[i].mac, newpath, &did)) == 0)
			done += did;
	}
	bl_versions_free(v, nv);
	bl_clients_free(cl, nc);
	return r < 0 ? r : done;
}

/* Clients of the image that are (or may be, when nobody can tell and !unknown_ok) online:
 * their disks are open in tcmu-runner and must not be rebased under it. */
static int online_clients(struct bl_ops *o, int64_t image_id, char *list, size_t len)
{
	struct bl_client *cl;
	size_t nc, w = 0;
	int n = 0;

	list[0] = '\0';
	if (bl_db_image_client_list(o->db, image_id, &cl, &nc) < 0)
		return 0;
	for (size_t i = 0; i < nc; i++)
		if (ops_online(o, cl[i].mac) == 1) {
			n++;
			if (w + 20 < len)
				w += (size_t)snprintf(list + w, len - w, " %s", cl[i].mac);
		}
	bl_clients_free(cl, nc);
	return n;
}

int bl_op_image_rename(struct bl_ops *o, const char *name, const char *newname, bool file)
{
	struct bl_image img;
	char newpath[PATH_MAX], online[256];
	int r;

	if ((r = bl_image_name_check(newname)) < 0 || (r = image_get(o, name, &img)) < 0)
		return r;
	if (!file) {
		if ((r = bl_db_image_rename(o->db, img.name, newname)) == 0) {
			ops_done(o, "image %s", newname);
			ops_say(o, "image '%s' renamed to '%s'", img.name, newname);
		}
		bl_image_clear(&img);
		return r < 0 ? r : ops_logged(o);
	}
	/* new file name: same directory, NEW + the old extension */
	const char *base = strrchr(img.path, '/') + 1, *ext = strrchr(base, '.');
	if (!ext || ext == base)
		ext = "";
	size_t dirlen = (size_t)(base - img.path);
	if ((size_t)snprintf(newpath, sizeof(newpath), "%.*s%s%s", (int)dirlen, img.path, newname,
			     ext) >= sizeof(newpath)) {
		r = bl_fail(-ENAMETOOLONG, "image '%s': new path too long", img.name);
		goto out;
	}
	if (online_clients(o, img.id, online, sizeof(online)) > 0) {
		r = bl_fail(-EBUSY, "image '%s': clients are online (%s ): their disks are open, so "
			    "the file cannot move now; rename without --file, or retry when they are "
			    "off", img.name, online);
		goto out;
	}
	if ((r = bl_db_begin(o->db)) < 0)
		goto out;
	if ((r = bl_db_image_rename(o->db, img.name, newname)) < 0 ||
	    (r = bl_db_image_set_path(o->db, img.id, newpath, img.identity, img.size)) < 0)
		goto undo_db;
	/* RENAME_NOREPLACE: never overwrite a file that happens to have the new name */
	if (renameat2(AT_FDCWD, img.path, AT_FDCWD, newpath, RENAME_NOREPLACE) < 0) {
		r = bl_fail(-errno, "image '%s': cannot rename %s to %s: %s", img.name, img.path,
			    newpath, strerror(errno));
		goto undo_db;
	}
	if ((r = rebase_on_base(o, &img, newpath)) < 0 || (r = bl_db_commit(o->db)) < 0) {
		char why[1024];
		snprintf(why, sizeof(why), "%s", bl_last_error());
		/* put the file back and point any rebased file at it again */
		if (rename(newpath, img.path) == 0)
			rebase_on_base(o, &img, img.path);
		r = bl_fail(r, "image '%s': rename undone: %s", img.name, why);
		goto undo_db;
	}
	ops_done(o, "image %s", newname);
	ops_say(o, "image '%s' renamed to '%s', file %s -> %s", img.name, newname, img.path, newpath);
	bl_image_clear(&img);
	return ops_logged(o);
undo_db:
	bl_db_rollback(o->db);
out:
	bl_image_clear(&img);
	return r;
}

int bl_op_image_relocate(struct bl_ops *o, const char *name, const char *newpath, bool force)
{
	struct bl_image img;
	char path[PATH_MAX], online[256];
	int r;

	if ((r = image_get(o, name, &img)) < 0)
		return r;
	if ((r = image_file(o, newpath, path)) < 0)
		goto out;
	if ((r = bl_storage_identity_matches(path, img.identity)) <= 0) {
		if (r == 0)
			r = bl_fail(-EINVAL, "image '%s': %s is not the same image (identity differs "
				    "from the one recorded when it was added); refusing to relink "
				    "clients to it", img.name, path);
		goto out;
	}
	if (!force && online_clients(o, img.id, online, sizeof(online)) > 0) {
		r = bl_fail(-EBUSY, "image '%s': clients are online (%s ); relocate when they are "
			    "off, or --force", img.name, online);
		goto out;
	}
	if ((r = bl_db_begin(o->db)) < 0)
		goto out;
	int n = rebase_on_base(o, &img, path);
	if ((r = n) < 0 || (r = bl_db_image_set_path(o->db, img.id, path, img.identity, img.size)) < 0
	    || (r = bl_db_commit(o->db)) < 0) {
		bl_db_rollback(o->db);
		goto out;
	}
	ops_done(o, "image %s", img.name);
	ops_say(o, "image '%s' relocated: %s -> %s (same identity; %d layer/overlay file(s) "
		"repointed)", img.name, img.path, path, n);
	r = ops_logged(o);
out:
	bl_image_clear(&img);
	return r;
}

/* The super client's disk must sit on the version being built on (or, after a commit
 * interrupted before the database was updated, on the new layer itself): committing a disk
 * on anything else would make a layer whose content is not "parent + changes". */
static int check_super_base(struct bl_ops *o, const struct bl_image *img,
			    const struct bl_version *v, const char *mac)
{
	char below[PATH_MAX], want[PATH_MAX], done[PATH_MAX];
	struct bl_layer *chain;
	size_t n;
	int r;

	if ((r = bl_storage_disk_backing(o->cfg, mac, below)) < 0)
		return r;
	if ((r = bl_db_version_chain(o->db, img->id, v->parent, &chain, &n)) < 0)
		return r;
	const char *parent = n ? chain[n - 1].path : img->path;
	bool ok = (realpath(parent, want) && !strcmp(below, want)) ||
		  (realpath(v->layer_path, done) && !strcmp(below, done));
	if (!ok)
		r = bl_fail(-EINVAL, "image '%s': the super client's disk sits on %s, not on version "
			    "%d (%s) that version %d is built on; let it boot once more (linkmgr "
			    "prepares its disk) or cancel with `linkctl client super %s --cancel`",
			    img->name, below, v->parent, parent, v->number, mac);
	bl_layers_free(chain, n);
	return r;
}

int bl_op_image_commit(struct bl_ops *o, const char *name, bool force)
{
	struct bl_image img;
	struct bl_version v;
	struct bl_client super;
	char id[BL_IDENTITY_MAX];
	uint64_t size;
	int r;

	if ((r = image_get(o, name, &img)) < 0)
		return r;
	if (bl_db_version_building(o->db, img.id, &v) < 0) {
		r = bl_fail(-ENOENT, "image '%s': no version is being built (start one with: linkctl "
			    "client super MAC)", img.name);
		bl_image_clear(&img);
		return r;
	}
	if (bl_db_image_super(o->db, img.id, &super) < 0) {
		r = bl_fail(-ENOENT, "image '%s': version %d is being built but no client is its "
			    "super client", img.name, v.number);
		goto out_v;
	}
	int on = ops_online(o, super.mac);
	if (on == 1 || (on < 0 && !force)) {
		r = bl_fail(-EBUSY, "image '%s': super client %s %s; shut it down first so its disk "
			    "is consistent%s", img.name, super.mac, on == 1 ? "is online" :
			    "may be online (linkmgr is not running to tell)", on == 1 ? "" :
			    " (or --force if you know it is off)");
		goto out_c;
	}
	if (super.reset != BL_RESET_NONE || !bl_storage_disk_exists(o->cfg, super.mac)) {
		r = bl_fail(-ENOENT, "image '%s': super client %s has not booted since it became "
			    "super (linkmgr prepares its disk then): nothing to commit", img.name,
			    super.mac);
		goto out_c;
	}
	if ((r = check_super_base(o, &img, &v, super.mac)) < 0)
		goto out_c;
	/* linkmgr makes layer_dir at start; a commit before its first start must not fail */
	if (mkdir(o->cfg->layer_dir, 0755) < 0 && errno != EEXIST) {
		r = bl_fail(-errno, "layer directory %s: %s", o->cfg->layer_dir, strerror(errno));
		goto out_c;
	}
	if ((r = bl_storage_commit(o->cfg, super.mac, v.layer_path)) < 0 ||
	    (r = bl_storage_identity(v.layer_path, id, &size)) < 0)
		goto out_c;
	/* The disk now sits, empty, on the new layer: record that with the version. The super
	 * client's LUN may still be served by a tcmu-runner that opened the disk before the
	 * commit and holds a stale picture of it; a reset makes linkmgr give the client a fresh
	 * disk (empty on the new layer: nothing is lost) and rebuild its backstore while it is
	 * offline, before it boots again. */
	if ((r = bl_db_begin(o->db)) < 0)
		goto out_c;
	if ((r = bl_db_version_set_committed(o->db, v.id, id)) < 0 ||
	    (r = bl_db_image_set_current(o->db, img.id, v.number)) < 0 ||
	    (r = bl_db_client_set_role(o->db, super.mac, BL_ROLE_NORMAL)) < 0 ||
	    (r = bl_db_set_booted_version(o->db, super.mac, v.number)) < 0 ||
	    (r = bl_db_client_set_reset(o->db, super.mac, BL_RESET_OFFLINE)) < 0 ||
	    (r = bl_db_commit(o->db)) < 0) {
		bl_db_rollback(o->db);
		r = bl_fail(r, "%s (the layer %s is written; run `linkctl image commit %s` again to "
			    "record it)", bl_last_error(), v.layer_path, img.name);
		goto out_c;
	}
	ops_done(o, "image %s", img.name);
	ops_say(o, "image '%s': version %d committed (%s) and current; clients move to it at "
		"their next boot (persistent ones at `client reset`)", img.name, v.number,
		v.layer_path);
	r = ops_logged(o);
out_c:
	bl_client_clear(&super);
out_v:
	bl_version_clear(&v);
	bl_image_clear(&img);
	return r;
}

int bl_op_image_rollback(struct bl_ops *o, const char *name, int version)
{
	struct bl_image img;
	struct bl_version v;
	int r;

	if ((r = image_get(o, name, &img)) < 0)
		return r;
	if (bl_db_version_building(o->db, img.id, &v) == 0) {
		r = bl_fail(-EBUSY, "image '%s': version %d is being built on version %d; commit it "
			    "or cancel it (linkctl client super MAC --cancel) first", img.name,
			    v.number, v.parent);
		bl_version_clear(&v);
	} else if (bl_db_image_set_current(o->db, img.id, version) < 0) {
		r = bl_fail(-ENOENT, "image '%s': no committed version %d", img.name, version);
	} else {
		ops_done(o, "image %s", img.name);
		ops_say(o, "image '%s': current version %d -> %d; clients move to it at their next "
			"boot", img.name, img.current_version, version);
		r = ops_logged(o);
	}
	bl_image_clear(&img);
	return r;
}
