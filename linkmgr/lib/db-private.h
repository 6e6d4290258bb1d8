/* db-private.h - what the files of the database (db*.c) share; not for anyone else. */
#ifndef BL_DB_PRIVATE_H
#define BL_DB_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "db.h"

struct bl_db {
	sqlite3 *h;
	char *path;
	char *group;		/* admin group given at open, NULL for none */
	int depth;		/* nesting of write transactions; BEGIN only at 0 */
};

#define FAIL(db, what) db_fail_sql((db)->h, (db)->path, what)

#define IMAGE_COLS "id, name, path, identity, size, current_version, created"
#define VERSION_COLS "id, image_id, number, parent, layer_path, identity, state, created, committed"

/* A client as both tables say: booted_version counts only for a disk made for the client's
 * image now, a reset is pending until linkmgr has carried out the latest request. */
#define CLIENT_COLS "c.id, c.mac, c.hostname, c.ip, c.image_id, c.mode, c.enabled, " \
		    "c.chap_user, c.chap_secret, c.role, " \
		    "CASE WHEN o.disk_image_id = c.image_id THEN o.booted_version ELSE -1 END, " \
		    "CASE WHEN c.reset_seq > COALESCE(o.reset_done, 0) THEN " \
		    "(CASE WHEN c.reset_now THEN 2 ELSE 1 END) ELSE 0 END, c.created, " \
		    "COALESCE(o.rebuild_pending, 0)"
#define CLIENTS "clients c LEFT JOIN observed o ON o.client_id = c.id"
#define CLIENT_NCOLS 14

typedef int (*row_fn)(sqlite3_stmt *st, void *elem);

struct key {
	const char *text;
	int64_t num;
	bool is_num;
};
#define KEY_TEXT(t) ((struct key){ .text = (t) })
#define KEY_NUM(n) ((struct key){ .num = (n), .is_num = true })
#define KEY_NONE ((struct key){ 0 })

void db_bind_text(sqlite3_stmt *st, int i, const char *s);
int db_chain_from(const struct bl_version *v, size_t nv, int top, const char *what,
		  struct bl_layer **out, size_t *n);
void db_client_clear(void *p);
int db_client_row(sqlite3_stmt *st, void *e);
char *db_col_str(sqlite3_stmt *st, int i);
int db_exec(struct bl_db *db, const char *sql, const char *what);
int db_fail_sql(sqlite3 *h, const char *path, const char *what);
int db_get_row(struct bl_db *db, const char *sql, struct key k, row_fn fn,
	       void (*clear)(void *), void *out, size_t size, const char *what,
	       const char *notfound);
void db_image_clear(void *p);
int db_image_row(sqlite3_stmt *st, void *e);
int db_list_rows(struct bl_db *db, const char *sql, struct key k, size_t elem, row_fn fn,
		 void (*clear)(void *), void **out, size_t *n, const char *what);
int db_prep(struct bl_db *db, sqlite3_stmt **st, const char *sql);
int db_step_done(struct bl_db *db, sqlite3_stmt *st, const char *what);
int db_tx_begin(struct bl_db *db);
int db_tx_end(struct bl_db *db, int r);
int db_update_one(struct bl_db *db, sqlite3_stmt *st, const char *what, const char *nf);
void db_version_clear(void *p);
int db_version_row(sqlite3_stmt *st, void *e);

#endif
