/* db-image.c - the images table (see db.h). */
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

/* ---- images ---- */

int bl_db_image_add(struct bl_db *db, struct bl_image *img)
{
	sqlite3_stmt *st;
	int r;

	img->created = time(NULL);
	if ((r = db_tx_begin(db)) < 0)
		return r;
	if ((r = db_prep(db, &st, "INSERT INTO images (name, path, identity, size, "
		      "current_version, created) VALUES (?, ?, ?, ?, 0, ?)")) == 0) {
		db_bind_text(st, 1, img->name);
		db_bind_text(st, 2, img->path);
		db_bind_text(st, 3, img->identity);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)img->size);
		sqlite3_bind_int64(st, 5, img->created);
		r = db_step_done(db, st, "adding an image");
		if (r == -EEXIST)
			r = bl_fail(-EEXIST, "image '%s': already exists", img->name);
		img->id = sqlite3_last_insert_rowid(db->h);
		img->current_version = 0;
	}
	return db_tx_end(db, r < 0 ? r : 0);
}

int bl_db_image_get(struct bl_db *db, const char *name, struct bl_image *out)
{
	char nf[160];

	snprintf(nf, sizeof(nf), "image '%.80s': not found", name);
	return db_get_row(db, "SELECT " IMAGE_COLS " FROM images WHERE name = ?", KEY_TEXT(name),
		       db_image_row, db_image_clear, out, sizeof(*out), "reading an image", nf);
}

int bl_db_image_get_id(struct bl_db *db, int64_t id, struct bl_image *out)
{
	char nf[80];

	snprintf(nf, sizeof(nf), "image #%lld: not found", (long long)id);
	return db_get_row(db, "SELECT " IMAGE_COLS " FROM images WHERE id = ?", KEY_NUM(id),
		       db_image_row, db_image_clear, out, sizeof(*out), "reading an image", nf);
}

int bl_db_image_list(struct bl_db *db, struct bl_image **out, size_t *n)
{
	return db_list_rows(db, "SELECT " IMAGE_COLS " FROM images ORDER BY name", KEY_NONE,
			 sizeof(**out), db_image_row, db_image_clear, (void **)out, n, "listing images");
}

int bl_db_image_clients(struct bl_db *db, int64_t image_id)
{
	sqlite3_stmt *st;
	int r;

	if ((r = db_prep(db, &st, "SELECT count(*) FROM clients WHERE image_id = ?")) < 0)
		return r;
	sqlite3_bind_int64(st, 1, image_id);
	r = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) :
	    FAIL(db, "counting an image's clients");
	sqlite3_finalize(st);
	return r;
}

int bl_db_image_remove(struct bl_db *db, const char *name, bool force)
{
	struct bl_image img;
	sqlite3_stmt *st;
	int r;

	if ((r = db_tx_begin(db)) < 0)
		return r;
	if ((r = bl_db_image_get(db, name, &img)) < 0)
		return db_tx_end(db, r);
	r = bl_db_image_clients(db, img.id);
	if (r > 0 && !force)
		r = bl_fail(-EBUSY, "image '%s': %d client(s) link to it (unlink them, or --force "
			    "to remove them with it)", name, r);
	if (r > 0 && (r = db_prep(db, &st, "DELETE FROM clients WHERE image_id = ?")) == 0) {
		sqlite3_bind_int64(st, 1, img.id);
		r = db_step_done(db, st, "removing an image's clients");
	}
	if (r >= 0 && (r = db_prep(db, &st, "DELETE FROM images WHERE id = ?")) == 0) {
		sqlite3_bind_int64(st, 1, img.id);
		r = db_step_done(db, st, "removing an image");
	}
	bl_image_clear(&img);
	return db_tx_end(db, r < 0 ? r : 0);
}

/* UPDATE ... WHERE <key> = ?; -ENOENT with message when no row matched. */
int db_update_one(struct bl_db *db, sqlite3_stmt *st, const char *what, const char *nf)
{
	int r, t = db_tx_begin(db);

	if (t < 0) {
		sqlite3_finalize(st);
		return t;
	}
	r = db_step_done(db, st, what);
	if (r == 0)
		r = bl_fail(-ENOENT, "%s", nf);
	return db_tx_end(db, r < 0 ? r : 0);
}

int bl_db_image_rename(struct bl_db *db, const char *old_name, const char *new_name)
{
	sqlite3_stmt *st;
	char nf[160];
	int r;

	if ((r = db_prep(db, &st, "UPDATE images SET name = ? WHERE name = ?")) < 0)
		return r;
	db_bind_text(st, 1, new_name);
	db_bind_text(st, 2, old_name);
	snprintf(nf, sizeof(nf), "image '%.80s': not found", old_name);
	r = db_update_one(db, st, "renaming an image", nf);
	if (r == -EEXIST)
		r = bl_fail(-EEXIST, "image '%s': already exists", new_name);
	return r;
}

int bl_db_image_set_path(struct bl_db *db, int64_t id, const char *path, const char *identity,
			 uint64_t size)
{
	sqlite3_stmt *st;
	char nf[80];
	int r;

	if ((r = db_prep(db, &st, "UPDATE images SET path = ?, identity = ?, size = ? WHERE id = ?")) < 0)
		return r;
	db_bind_text(st, 1, path);
	db_bind_text(st, 2, identity);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)size);
	sqlite3_bind_int64(st, 4, id);
	snprintf(nf, sizeof(nf), "image #%lld: not found", (long long)id);
	return db_update_one(db, st, "moving an image", nf);
}

int bl_db_image_set_current(struct bl_db *db, int64_t id, int version)
{
	sqlite3_stmt *st;
	char nf[120];
	int r;

	/* version 0 or a committed version of this image */
	if ((r = db_prep(db, &st, "UPDATE images SET current_version = ?1 WHERE id = ?2 AND "
		      "(?1 = 0 OR EXISTS (SELECT 1 FROM versions WHERE image_id = ?2 AND "
		      "number = ?1 AND state = 'committed'))")) < 0)
		return r;
	sqlite3_bind_int(st, 1, version);
	sqlite3_bind_int64(st, 2, id);
	snprintf(nf, sizeof(nf), "image #%lld: no committed version %d", (long long)id, version);
	return db_update_one(db, st, "setting the current version", nf);
}
