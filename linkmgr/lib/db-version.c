/* db-version.c - an image's versions and their layer chains (see db.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "db-private.h"
#include "error.h"
#include "names.h"

/* ---- versions ---- */

int bl_db_versions(struct bl_db *db, int64_t image_id, struct bl_version **out, size_t *n)
{
	return db_list_rows(db, "SELECT " VERSION_COLS " FROM versions WHERE image_id = ? ORDER BY "
			 "number", KEY_NUM(image_id), sizeof(**out), db_version_row, db_version_clear,
			 (void **)out, n, "listing versions");
}

int bl_db_version_building(struct bl_db *db, int64_t image_id, struct bl_version *out)
{
	char nf[120];

	snprintf(nf, sizeof(nf), "image #%lld: no version is being built", (long long)image_id);
	return db_get_row(db, "SELECT " VERSION_COLS " FROM versions WHERE image_id = ? AND "
		       "state = 'building'", KEY_NUM(image_id), db_version_row, db_version_clear, out,
		       sizeof(*out), "reading a version", nf);
}

int bl_db_version_start(struct bl_db *db, int64_t image_id, const char *layer_dir,
			struct bl_version *out)
{
	struct bl_image img;
	sqlite3_stmt *st;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = db_tx_begin(db)) < 0)
		return r;
	if ((r = bl_db_image_get_id(db, image_id, &img)) < 0)
		return db_tx_end(db, r);
	r = bl_db_version_building(db, image_id, out);
	if (r == 0) {
		r = bl_fail(-EBUSY, "image '%s': version %d is already being built", img.name,
			    out->number);
		bl_version_clear(out);
		goto out;
	}
	if (r != -ENOENT)
		goto out;
	if ((r = db_prep(db, &st, "SELECT coalesce(max(number), 0) FROM versions WHERE image_id = ?")) < 0)
		goto out;
	sqlite3_bind_int64(st, 1, image_id);
	r = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : FAIL(db, "numbering a version");
	sqlite3_finalize(st);
	if (r < 0)
		goto out;
	out->image_id = image_id;
	out->number = r + 1;
	out->parent = img.current_version;
	out->state = BL_VERSION_BUILDING;
	out->created = time(NULL);
	char lp[PATH_MAX];
	if ((r = bl_name_layer(layer_dir, image_id, out->number, lp, sizeof(lp))) < 0)
		goto out;
	if (!(out->layer_path = strdup(lp))) {
		r = bl_fail(-ENOMEM, "out of memory");
		goto out;
	}
	if ((r = db_prep(db, &st, "INSERT INTO versions (image_id, number, parent, layer_path, "
		      "state, created) VALUES (?, ?, ?, ?, 'building', ?)")) < 0)
		goto out;
	sqlite3_bind_int64(st, 1, image_id);
	sqlite3_bind_int(st, 2, out->number);
	sqlite3_bind_int(st, 3, out->parent);
	db_bind_text(st, 4, out->layer_path);
	sqlite3_bind_int64(st, 5, out->created);
	r = db_step_done(db, st, "adding a version");
	out->id = sqlite3_last_insert_rowid(db->h);
out:
	bl_image_clear(&img);
	if (r < 0)
		bl_version_clear(out);
	return db_tx_end(db, r < 0 ? r : 0);
}

int bl_db_version_set_committed(struct bl_db *db, int64_t version_id, const char *identity)
{
	sqlite3_stmt *st;
	char nf[80];
	int r;

	if ((r = db_prep(db, &st, "UPDATE versions SET state = 'committed', identity = ?, "
		      "committed = ? WHERE id = ? AND state = 'building'")) < 0)
		return r;
	db_bind_text(st, 1, identity);
	sqlite3_bind_int64(st, 2, time(NULL));
	sqlite3_bind_int64(st, 3, version_id);
	snprintf(nf, sizeof(nf), "version #%lld: not found or not building", (long long)version_id);
	return db_update_one(db, st, "committing a version", nf);
}

int bl_db_version_delete(struct bl_db *db, int64_t version_id)
{
	sqlite3_stmt *st;
	char nf[80];
	int r;

	if ((r = db_prep(db, &st, "DELETE FROM versions WHERE id = ?")) < 0)
		return r;
	sqlite3_bind_int64(st, 1, version_id);
	snprintf(nf, sizeof(nf), "version #%lld: not found", (long long)version_id);
	return db_update_one(db, st, "deleting a version", nf);
}

int bl_db_version_set_path(struct bl_db *db, int64_t version_id, const char *path)
{
	sqlite3_stmt *st;
	char nf[80];
	int r;

	if ((r = db_prep(db, &st, "UPDATE versions SET layer_path = ? WHERE id = ?")) < 0)
		return r;
	db_bind_text(st, 1, path);
	sqlite3_bind_int64(st, 2, version_id);
	snprintf(nf, sizeof(nf), "version #%lld: not found", (long long)version_id);
	return db_update_one(db, st, "moving a layer", nf);
}

void bl_layers_free(struct bl_layer *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(l[i].path);
		free(l[i].identity);
	}
	free(l);
}

/* Chain of committed layers for version `top`, from an image's version list. Follows parents
 * downwards; a missing or uncommitted link is a broken database and reported. */
int db_chain_from(const struct bl_version *v, size_t nv, int top, const char *what,
		      struct bl_layer **out, size_t *n)
{
	size_t len = 0;
	int num = top;

	*out = NULL;
	*n = 0;
	/* length first, bounded by nv so a parent cycle cannot loop */
	while (num > 0) {
		size_t i;
		for (i = 0; i < nv && v[i].number != num; i++)
			;
		if (i == nv || v[i].state != BL_VERSION_COMMITTED || len >= nv)
			return bl_fail(-EBADMSG, "%s: version %d is %s", what, num,
				       i == nv ? "missing" : len >= nv ? "in a parent cycle" :
				       "not committed");
		len++;
		num = v[i].parent;
	}
	if (len == 0)
		return 0;
	struct bl_layer *l = calloc(len, sizeof(*l));
	if (!l)
		return bl_fail(-ENOMEM, "out of memory");
	num = top;
	for (size_t k = len; k-- > 0;) {
		size_t i;
		for (i = 0; v[i].number != num; i++)
			;
		l[k].number = num;
		l[k].path = strdup(v[i].layer_path);
		l[k].identity = v[i].identity ? strdup(v[i].identity) : NULL;
		if (!l[k].path || (v[i].identity && !l[k].identity)) {
			bl_layers_free(l, len);
			return bl_fail(-ENOMEM, "out of memory");
		}
		num = v[i].parent;
	}
	*out = l;
	*n = len;
	return 0;
}

int bl_db_version_chain(struct bl_db *db, int64_t image_id, int version, struct bl_layer **out,
			size_t *n)
{
	struct bl_version *v;
	size_t nv;
	char what[64];
	int r = bl_db_versions(db, image_id, &v, &nv);

	*out = NULL;
	*n = 0;
	if (r < 0)
		return r;
	snprintf(what, sizeof(what), "image #%lld", (long long)image_id);
	r = db_chain_from(v, nv, version, what, out, n);
	bl_versions_free(v, nv);
	return r;
}
