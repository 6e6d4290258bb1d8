/* db-client.c - clients: what admins asked for, with what linkmgr observed (see db.h). */
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

/* ---- clients ---- */

/* A unique-constraint failure names the column; say which one in admin terms. */
static int client_conflict(struct bl_db *db, const struct bl_client *c, int r)
{
	if (r != -EEXIST)
		return r;
	/* fail_sql kept SQLite's "UNIQUE constraint failed: clients.<column>" */
	const char *m = bl_last_error();
	(void)db;
	if (strstr(m, "clients.ip"))
		return bl_fail(-EEXIST, "client %s: IP address %s is already used by another client",
			       c->mac, c->ip);
	if (strstr(m, "clients.hostname"))
		return bl_fail(-EEXIST, "client %s: host name '%s' is already used by another "
			       "client", c->mac, c->hostname);
	return bl_fail(-EEXIST, "client %s: already exists", c->mac);
}

int bl_db_client_add(struct bl_db *db, struct bl_client *c)
{
	sqlite3_stmt *st;
	int r;

	c->created = time(NULL);
	c->booted_version = -1;
	c->reset = BL_RESET_NONE;
	if ((r = db_tx_begin(db)) < 0)
		return r;
	if ((r = db_prep(db, &st, "INSERT INTO clients (mac, hostname, ip, image_id, mode, enabled, "
		      "chap_user, chap_secret, role, created) "
		      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) == 0) {
		db_bind_text(st, 1, c->mac);
		db_bind_text(st, 2, c->hostname);
		db_bind_text(st, 3, c->ip);
		sqlite3_bind_int64(st, 4, c->image_id);
		db_bind_text(st, 5, bl_mode_name(c->mode));
		sqlite3_bind_int(st, 6, c->enabled);
		db_bind_text(st, 7, c->chap_user);
		db_bind_text(st, 8, c->chap_secret);
		db_bind_text(st, 9, bl_role_name(c->role));
		sqlite3_bind_int64(st, 10, c->created);
		r = client_conflict(db, c, db_step_done(db, st, "adding a client"));
		if (r == -EBUSY)
			r = bl_fail(-ENOENT, "client %s: image #%lld does not exist", c->mac,
				    (long long)c->image_id);
		c->id = sqlite3_last_insert_rowid(db->h);
	}
	return db_tx_end(db, r < 0 ? r : 0);
}

int bl_db_client_get(struct bl_db *db, const char *mac, struct bl_client *out)
{
	char nf[80];

	snprintf(nf, sizeof(nf), "client %.20s: not found", mac);
	return db_get_row(db, "SELECT " CLIENT_COLS " FROM " CLIENTS " WHERE mac = ?", KEY_TEXT(mac),
		       db_client_row, db_client_clear, out, sizeof(*out), "reading a client", nf);
}

int bl_db_client_list(struct bl_db *db, struct bl_client **out, size_t *n)
{
	return db_list_rows(db, "SELECT " CLIENT_COLS " FROM " CLIENTS " ORDER BY mac", KEY_NONE,
			 sizeof(**out), db_client_row, db_client_clear, (void **)out, n,
			 "listing clients");
}

int bl_db_image_client_list(struct bl_db *db, int64_t image_id, struct bl_client **out,
			    size_t *n)
{
	return db_list_rows(db, "SELECT " CLIENT_COLS " FROM " CLIENTS " WHERE image_id = ? ORDER BY mac",
			 KEY_NUM(image_id), sizeof(**out), db_client_row, db_client_clear, (void **)out,
			 n, "listing an image's clients");
}

int bl_db_image_super(struct bl_db *db, int64_t image_id, struct bl_client *out)
{
	char nf[80];

	snprintf(nf, sizeof(nf), "image #%lld: has no super client", (long long)image_id);
	return db_get_row(db, "SELECT " CLIENT_COLS " FROM " CLIENTS " WHERE image_id = ? AND "
		       "role = 'super'", KEY_NUM(image_id), db_client_row, db_client_clear, out,
		       sizeof(*out), "reading a client", nf);
}

/* One-column client updates by MAC. */
static int client_set(struct bl_db *db, const char *mac, const char *sql, int64_t v,
		      const char *what)
{
	sqlite3_stmt *st;
	char nf[80];
	int r;

	if ((r = db_prep(db, &st, sql)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, v);
	db_bind_text(st, 2, mac);
	snprintf(nf, sizeof(nf), "client %.20s: not found", mac);
	return db_update_one(db, st, what, nf);
}

int bl_db_client_remove(struct bl_db *db, const char *mac)
{
	sqlite3_stmt *st;
	char nf[80];
	int r;

	if ((r = db_prep(db, &st, "DELETE FROM clients WHERE mac = ?")) < 0)
		return r;
	db_bind_text(st, 1, mac);
	snprintf(nf, sizeof(nf), "client %.20s: not found", mac);
	return db_update_one(db, st, "removing a client", nf);
}

int bl_db_client_link(struct bl_db *db, const char *mac, int64_t image_id)
{
	int r = client_set(db, mac, "UPDATE clients SET image_id = ?1 "
			   "WHERE mac = ?2 AND role = 'normal'", image_id, "linking a client");
	if (r == -EBUSY)
		return bl_fail(-ENOENT, "client %s: image #%lld does not exist", mac,
			       (long long)image_id);
	if (r == -ENOENT) {
		struct bl_client c;
		if (bl_db_client_get(db, mac, &c) == 0) {
			bl_client_clear(&c);
			return bl_fail(-EBUSY, "client %s: is its image's super client; commit or "
				       "cancel the new version first", mac);
		}
	}
	return r;
}

int bl_db_client_set_enabled(struct bl_db *db, const char *mac, bool enabled)
{
	return client_set(db, mac, "UPDATE clients SET enabled = ?1 WHERE mac = ?2", enabled,
			  "enabling/disabling a client");
}

int bl_db_client_set_role(struct bl_db *db, const char *mac, enum bl_role role)
{
	int r = client_set(db, mac, role == BL_ROLE_SUPER ?
			   "UPDATE clients SET role = 'super' WHERE mac = ?2 AND ?1 = ?1" :
			   "UPDATE clients SET role = 'normal' WHERE mac = ?2 AND ?1 = ?1",
			   0, "changing a client's role");
	if (r == -EEXIST)
		return bl_fail(-EBUSY, "client %s: its image already has a super client", mac);
	return r;
}

int bl_db_client_set_reset(struct bl_db *db, const char *mac, enum bl_reset reset)
{
	if (reset == BL_RESET_NONE)
		return client_set(db, mac, "UPDATE clients SET reset_seq = COALESCE((SELECT "
				  "reset_done FROM observed WHERE client_id = clients.id), 0) "
				  "WHERE mac = ?2 AND ?1 = ?1", 0, "cancelling a reset");
	return client_set(db, mac, "UPDATE clients SET reset_seq = reset_seq + 1, reset_now = ?1 "
			  "WHERE mac = ?2", reset == BL_RESET_NOW, "requesting a reset");
}

int bl_db_set_booted_version(struct bl_db *db, const char *mac, int version)
{
	/* the disk is new: made for the client's image, on version, after every request */
	return client_set(db, mac, "INSERT INTO observed (client_id, disk_image_id, booted_version, "
			  "reset_done, updated) SELECT id, image_id, ?1, reset_seq, strftime('%s') "
			  "FROM clients WHERE mac = ?2 ON CONFLICT (client_id) DO UPDATE SET "
			  "disk_image_id = excluded.disk_image_id, booted_version = "
			  "excluded.booted_version, reset_done = excluded.reset_done, updated = "
			  "excluded.updated", version, "recording the booted version");
}

int bl_db_set_rebuild_pending(struct bl_db *db, const char *mac, bool pending)
{
	return client_set(db, mac, "INSERT INTO observed (client_id, rebuild_pending, updated) "
			  "SELECT id, ?1, strftime('%s') FROM clients WHERE mac = ?2 "
			  "ON CONFLICT (client_id) DO UPDATE SET rebuild_pending = "
			  "excluded.rebuild_pending, updated = excluded.updated", pending,
			  "recording a pending rebuild");
}

int bl_db_client_update(struct bl_db *db, const struct bl_client *c)
{
	sqlite3_stmt *st;
	char nf[80];
	int r;

	if ((r = db_prep(db, &st, "UPDATE clients SET hostname = ?, ip = ?, mode = ?, "
		      "chap_user = ?, chap_secret = ? WHERE mac = ?")) < 0)
		return r;
	db_bind_text(st, 1, c->hostname);
	db_bind_text(st, 2, c->ip);
	db_bind_text(st, 3, bl_mode_name(c->mode));
	db_bind_text(st, 4, c->chap_user);
	db_bind_text(st, 5, c->chap_secret);
	db_bind_text(st, 6, c->mac);
	snprintf(nf, sizeof(nf), "client %.20s: not found", c->mac);
	return client_conflict(db, c, db_update_one(db, st, "updating a client", nf));
}
