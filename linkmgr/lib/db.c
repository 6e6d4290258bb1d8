/* The bootlink database (see db.h for the model).
 *
 * Crash and concurrency guarantees come from SQLite: WAL journal, synchronous=NORMAL (a power
 * cut may lose the last committed transaction, never corrupt), and every write inside
 * BEGIN IMMEDIATE so that concurrent linkctl processes queue on the busy timeout instead of
 * failing mid-way (a deferred transaction that reads first and then writes can get SQLITE_BUSY
 * with no retry possible). Migrations run inside the same kind of transaction and re-read
 * user_version there, so two processes opening a fresh file at once migrate it once.
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db-internal.h"
#include "db.h"
#include "error.h"
#include "names.h"

#define BUSY_TIMEOUT_MS 30000

struct bl_db {
	sqlite3 *h;
	char *path;
	char *group;		/* admin group given at open, NULL for none */
	int depth;		/* nesting of write transactions; BEGIN only at 0 */
};

/* ---- schema ---- */

static const char *const migrations[] = {
	/* 1: initial schema */
	"CREATE TABLE images ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  path TEXT NOT NULL,"
	"  identity TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  current_version INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE versions ("
	"  id INTEGER PRIMARY KEY,"
	"  image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
	"  number INTEGER NOT NULL CHECK (number > 0),"
	"  parent INTEGER NOT NULL CHECK (parent >= 0),"
	"  layer_path TEXT NOT NULL,"
	"  identity TEXT,"
	"  state TEXT NOT NULL CHECK (state IN ('building', 'committed')),"
	"  created INTEGER NOT NULL,"
	"  committed INTEGER NOT NULL DEFAULT 0,"
	"  UNIQUE (image_id, number));"
	"CREATE TABLE clients ("
	"  id INTEGER PRIMARY KEY,"
	"  mac TEXT NOT NULL UNIQUE,"
	"  hostname TEXT UNIQUE,"
	"  ip TEXT UNIQUE,"
	"  image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE RESTRICT,"
	"  mode TEXT NOT NULL CHECK (mode IN ('volatile', 'persistent')),"
	"  enabled INTEGER NOT NULL DEFAULT 1,"
	"  chap_user TEXT,"
	"  chap_secret TEXT,"
	"  role TEXT NOT NULL DEFAULT 'normal' CHECK (role IN ('normal', 'super')),"
	"  booted_version INTEGER NOT NULL DEFAULT -1,"
	"  reset INTEGER NOT NULL DEFAULT 0 CHECK (reset IN (0, 1, 2)),"
	"  created INTEGER NOT NULL);"
	"CREATE UNIQUE INDEX clients_one_super ON clients(image_id) WHERE role = 'super';"
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY,"
	"  ts INTEGER NOT NULL,"
	"  object TEXT NOT NULL,"
	"  message TEXT NOT NULL);",
	/* 2: `linkctl client show` lists one object's recent events */
	"CREATE INDEX events_object ON events(object, ts);",
	/* 3: desired state and observed state apart. clients holds what admins asked for (a
	 * reset is a request number, reset_seq); observed holds what linkmgr did and saw (the
	 * disk it made: for which image and on which version; the last request it carried out),
	 * and only linkmgr writes it. A relink or a reset is pending while the two disagree. */
	"CREATE TABLE observed ("
	"  client_id INTEGER PRIMARY KEY REFERENCES clients(id) ON DELETE CASCADE,"
	"  disk_image_id INTEGER,"
	"  booted_version INTEGER NOT NULL DEFAULT -1,"
	"  reset_done INTEGER NOT NULL DEFAULT 0,"
	"  updated INTEGER NOT NULL DEFAULT 0);"
	"INSERT INTO observed (client_id, disk_image_id, booted_version)"
	"  SELECT id, CASE WHEN booted_version >= 0 THEN image_id END, booted_version FROM clients;"
	"ALTER TABLE clients ADD COLUMN reset_seq INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE clients ADD COLUMN reset_now INTEGER NOT NULL DEFAULT 0;"
	"UPDATE clients SET reset_seq = (reset > 0), reset_now = (reset = 2);"
	"ALTER TABLE clients DROP COLUMN booted_version;"
	"ALTER TABLE clients DROP COLUMN reset;",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == BL_DB_SCHEMA_VERSION,
	       "one migration per schema version");

/* ---- errors ---- */

static int fail_sql(sqlite3 *h, const char *path, const char *what)
{
	int ext = sqlite3_extended_errcode(h), err;

	switch (ext & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		err = -EAGAIN;
		break;
	case SQLITE_CONSTRAINT:
		err = ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY ?
		      -EEXIST : -EBUSY;
		break;
	case SQLITE_NOMEM:
		err = -ENOMEM;
		break;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		err = -EACCES;
		break;
	case SQLITE_CANTOPEN:
		err = -ENOENT;
		break;
	default:
		err = -EIO;
	}
	return bl_fail(err, "database %s: %s: %s", path, what, sqlite3_errmsg(h));
}

#define FAIL(db, what) fail_sql((db)->h, (db)->path, what)

/* ---- small statement helpers ---- */

static int prep(struct bl_db *db, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v2(db->h, sql, -1, st, NULL) != SQLITE_OK)
		return FAIL(db, "preparing a statement");
	return 0;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static char *col_str(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? strdup((const char *)t) : NULL;
}

/* Runs a write statement to completion; returns changed rows or -errno. */
static int step_done(struct bl_db *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	int r = rc == SQLITE_DONE ? sqlite3_changes(db->h) : FAIL(db, what);
	sqlite3_finalize(st);
	return r;
}

static int exec(struct bl_db *db, const char *sql, const char *what)
{
	if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK)
		return FAIL(db, what);
	return 0;
}

/* Write transactions nest: only the outermost one issues BEGIN IMMEDIATE / COMMIT, so the
 * single-call writers compose inside bl_db_begin() or inside each other. */
static int tx_begin(struct bl_db *db)
{
	if (db->depth++ > 0)
		return 0;
	int r = exec(db, "BEGIN IMMEDIATE", "starting a write transaction");
	if (r < 0)
		db->depth = 0;
	return r;
}

static int tx_end(struct bl_db *db, int r)
{
	if (db->depth == 0 || --db->depth > 0)
		return r;
	if (r < 0) {
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
		return r;
	}
	int c = exec(db, "COMMIT", "committing");
	if (c < 0) {
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
		return c;
	}
	return r;
}

int bl_db_begin(struct bl_db *db)
{
	if (db->depth)
		return bl_fail(-EINVAL, "database %s: transaction already open", db->path);
	return tx_begin(db);
}

int bl_db_commit(struct bl_db *db)
{
	return tx_end(db, 0);
}

void bl_db_rollback(struct bl_db *db)
{
	db->depth = 0;
	sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- opening and migration ---- */

static int user_version(sqlite3 *h)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

int bl_db_migrate_to(sqlite3 *h, const char *path, int target)
{
	char sql[64];

	if (sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return fail_sql(h, path, "starting the schema migration");
	int v = user_version(h);
	if (v < 0) {
		sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
		return fail_sql(h, path, "reading the schema version");
	}
	if (v > BL_DB_SCHEMA_VERSION) {
		sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
		return bl_fail(-EPROTO, "database %s: schema version %d is newer than this build "
			       "understands (%d); use a newer bootlink", path, v,
			       BL_DB_SCHEMA_VERSION);
	}
	for (; v < target; v++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (sqlite3_exec(h, migrations[v], NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(h, sql, NULL, NULL, NULL) != SQLITE_OK) {
			int r = fail_sql(h, path, "migrating the schema");
			sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
			return r;
		}
	}
	if (sqlite3_exec(h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		int r = fail_sql(h, path, "committing the schema migration");
		sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
		return r;
	}
	return 0;
}

/* Creates the file with restrictive permissions before SQLite does (SQLite would use 0644
 * minus umask; the -wal and -shm files copy the main file's mode and owner). Root only, or
 * root and the admin group: admins run linkctl, which writes, and in WAL mode even a reader
 * writes the -shm file; nobody else may read it (it holds CHAP secrets). */
static int precreate(const char *path, const char *group)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0)
		return errno == EEXIST ? 0 : bl_fail(-errno, "database %s: cannot create: %s", path,
						     strerror(errno));
	if (group) {
		struct group *g = getgrnam(group);
		if (!g || fchown(fd, (uid_t)-1, g->gr_gid) < 0 || fchmod(fd, 0660) < 0) {
			int e = g ? errno : ENOENT;
			close(fd);
			unlink(path);
			return bl_fail(-e, "database %s: cannot give it to group '%s': %s", path,
				       group, g ? strerror(e) : "no such group");
		}
	}
	close(fd);
	return 0;
}

int bl_db_open(const char *path, int flags, const char *group, struct bl_db **out)
{
	struct bl_db *db = calloc(1, sizeof(*db));
	int r, oflags = SQLITE_OPEN_FULLMUTEX;

	*out = NULL;
	if (!db || !(db->path = strdup(path)) || (group && !(db->group = strdup(group)))) {
		free(db);
		return bl_fail(-ENOMEM, "database %s: out of memory", path);
	}
	if (flags & BL_DB_READONLY) {
		oflags |= SQLITE_OPEN_READONLY;
	} else {
		oflags |= SQLITE_OPEN_READWRITE;
		if (flags & BL_DB_CREATE) {
			r = precreate(path, group);
			if (r < 0)
				goto fail;
		}
	}
	if (sqlite3_open_v2(path, &db->h, oflags, NULL) != SQLITE_OK) {
		r = db->h ? FAIL(db, "opening") : bl_fail(-ENOMEM, "database %s: out of memory",
							  path);
		if (r == -ENOENT || access(path, F_OK) < 0)
			r = bl_fail(-ENOENT, "database %s: does not exist (run linkctl as root, or "
				    "pass --db)", path);
		goto fail;
	}
	sqlite3_busy_timeout(db->h, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(db->h, 1);
	if ((r = exec(db, "PRAGMA foreign_keys = ON", "enabling foreign keys")) < 0)
		goto fail;
	if (!(flags & BL_DB_READONLY)) {
		if ((r = exec(db, "PRAGMA journal_mode = WAL", "enabling WAL")) < 0 ||
		    (r = exec(db, "PRAGMA synchronous = NORMAL", "setting synchronous")) < 0)
			goto fail;
		if ((r = bl_db_migrate_to(db->h, path, BL_DB_SCHEMA_VERSION)) < 0)
			goto fail;
	} else {
		int v = user_version(db->h);
		if (v < 0) {
			r = FAIL(db, "reading the schema version");
			goto fail;
		}
		if (v != BL_DB_SCHEMA_VERSION) {
			r = bl_fail(v > BL_DB_SCHEMA_VERSION ? -EPROTO : -ESTALE,
				    "database %s: schema version %d, this build needs %d%s", path, v,
				    BL_DB_SCHEMA_VERSION, v > BL_DB_SCHEMA_VERSION ? "" :
				    " (open it read-write once to migrate)");
			goto fail;
		}
	}
	*out = db;
	return 0;
fail:
	bl_db_close(db);
	return r;
}

void bl_db_close(struct bl_db *db)
{
	if (!db)
		return;
	sqlite3_close(db->h);
	free(db->path);
	free(db->group);
	free(db);
}

const char *bl_db_path(const struct bl_db *db)
{
	return db->path;
}

const char *bl_db_group(const struct bl_db *db)
{
	return db->group;
}

int bl_db_schema_version(struct bl_db *db)
{
	int v = user_version(db->h);
	return v < 0 ? FAIL(db, "reading the schema version") : v;
}

struct sqlite3 *bl_db_handle(struct bl_db *db)
{
	return db->h;
}

/* SQLite online backup of one open database into a file path. */
static int copy_into(sqlite3 *from, const char *to_path, bool standalone)
{
	sqlite3 *to;
	int rc;

	if (sqlite3_open_v2(to_path, &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL)) {
		int r = bl_fail(-EIO, "%s: %s", to_path, sqlite3_errmsg(to));
		sqlite3_close(to);
		return r;
	}
	sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
	if (!b) {
		int r = bl_fail(-EIO, "%s: backup: %s", to_path, sqlite3_errmsg(to));
		sqlite3_close(to);
		return r;
	}
	/* all pages in one step, retrying while a writer holds the lock */
	while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED)
		sqlite3_sleep(50);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		int r = bl_fail(-EIO, "%s: backup: %s", to_path, sqlite3_errstr(rc));
		sqlite3_close(to);
		return r;
	}
	/* a backup file must be one self-contained file; a live database keeps its WAL mode */
	rc = standalone ? sqlite3_exec(to, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL) :
	     SQLITE_OK;
	sqlite3_close(to);
	return rc == SQLITE_OK ? 0 : bl_fail(-EIO, "%s: cannot finish the copy", to_path);
}

int bl_db_backup_to(struct bl_db *db, const char *path)
{
	return copy_into(db->h, path, true);
}

int bl_db_copy_file(const char *src, const char *dst)
{
	sqlite3 *h;
	int r;
	if (sqlite3_open_v2(src, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		r = bl_fail(-EIO, "%s: %s", src, sqlite3_errmsg(h));
	else
		r = copy_into(h, dst, false);
	sqlite3_close(h);
	return r;
}

int bl_db_file_schema(const char *path)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	if (v < 0)
		bl_fail(-EIO, "%s: not a readable database: %s", path, sqlite3_errmsg(h));
	sqlite3_close(h);
	return v;
}

/* ---- row readers ---- */

#define IMAGE_COLS "id, name, path, identity, size, current_version, created"

static int read_image(sqlite3_stmt *st, struct bl_image *img)
{
	img->id = sqlite3_column_int64(st, 0);
	img->name = col_str(st, 1);
	img->path = col_str(st, 2);
	img->identity = col_str(st, 3);
	img->size = (uint64_t)sqlite3_column_int64(st, 4);
	img->current_version = sqlite3_column_int(st, 5);
	img->created = sqlite3_column_int64(st, 6);
	return img->name && img->path && img->identity ? 0 : -ENOMEM;
}

void bl_image_clear(struct bl_image *img)
{
	free(img->name);
	free(img->path);
	free(img->identity);
	memset(img, 0, sizeof(*img));
}

void bl_images_free(struct bl_image *imgs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bl_image_clear(&imgs[i]);
	free(imgs);
}

#define VERSION_COLS "id, image_id, number, parent, layer_path, identity, state, created, committed"

static int read_version(sqlite3_stmt *st, struct bl_version *v)
{
	const unsigned char *state = sqlite3_column_text(st, 6);

	v->id = sqlite3_column_int64(st, 0);
	v->image_id = sqlite3_column_int64(st, 1);
	v->number = sqlite3_column_int(st, 2);
	v->parent = sqlite3_column_int(st, 3);
	v->layer_path = col_str(st, 4);
	v->identity = col_str(st, 5);
	v->state = state && !strcmp((const char *)state, "committed") ? BL_VERSION_COMMITTED :
		   BL_VERSION_BUILDING;
	v->created = sqlite3_column_int64(st, 7);
	v->committed = sqlite3_column_int64(st, 8);
	return v->layer_path ? 0 : -ENOMEM;
}

void bl_version_clear(struct bl_version *v)
{
	free(v->layer_path);
	free(v->identity);
	memset(v, 0, sizeof(*v));
}

void bl_versions_free(struct bl_version *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bl_version_clear(&v[i]);
	free(v);
}

/* A client as both tables say: booted_version counts only for a disk made for the client's
 * image now, a reset is pending until linkmgr has carried out the latest request. */
#define CLIENT_COLS "c.id, c.mac, c.hostname, c.ip, c.image_id, c.mode, c.enabled, " \
		    "c.chap_user, c.chap_secret, c.role, " \
		    "CASE WHEN o.disk_image_id = c.image_id THEN o.booted_version ELSE -1 END, " \
		    "CASE WHEN c.reset_seq > COALESCE(o.reset_done, 0) THEN " \
		    "(CASE WHEN c.reset_now THEN 2 ELSE 1 END) ELSE 0 END, c.created"
#define CLIENTS "clients c LEFT JOIN observed o ON o.client_id = c.id"
#define CLIENT_NCOLS 13

static int read_client(sqlite3_stmt *st, int base, struct bl_client *c)
{
	const unsigned char *mac = sqlite3_column_text(st, base + 1);
	const unsigned char *mode = sqlite3_column_text(st, base + 5);
	const unsigned char *role = sqlite3_column_text(st, base + 9);

	c->id = sqlite3_column_int64(st, base);
	snprintf(c->mac, sizeof(c->mac), "%s", mac ? (const char *)mac : "");
	c->hostname = col_str(st, base + 2);
	c->ip = col_str(st, base + 3);
	c->image_id = sqlite3_column_int64(st, base + 4);
	if (bl_mode_parse((const char *)mode, &c->mode) < 0)
		c->mode = BL_MODE_VOLATILE;
	c->enabled = sqlite3_column_int(st, base + 6) != 0;
	c->chap_user = col_str(st, base + 7);
	c->chap_secret = col_str(st, base + 8);
	if (bl_role_parse((const char *)role, &c->role) < 0)
		c->role = BL_ROLE_NORMAL;
	c->booted_version = sqlite3_column_int(st, base + 10);
	c->reset = (enum bl_reset)sqlite3_column_int(st, base + 11);
	c->created = sqlite3_column_int64(st, base + 12);
	return 0;
}

void bl_client_clear(struct bl_client *c)
{
	free(c->hostname);
	free(c->ip);
	free(c->chap_user);
	free(c->chap_secret);
	memset(c, 0, sizeof(*c));
}

void bl_clients_free(struct bl_client *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bl_client_clear(&c[i]);
	free(c);
}

typedef int (*row_fn)(sqlite3_stmt *st, void *elem);

/* A query key: text, integer, or none. */
struct key {
	const char *text;
	int64_t num;
	bool is_num;
};
#define KEY_TEXT(t) ((struct key){ .text = (t) })
#define KEY_NUM(n) ((struct key){ .num = (n), .is_num = true })
#define KEY_NONE ((struct key){ 0 })

static int prep_key(struct bl_db *db, sqlite3_stmt **st, const char *sql, struct key k)
{
	int r = prep(db, st, sql);
	if (r == 0 && k.is_num)
		sqlite3_bind_int64(*st, 1, k.num);
	else if (r == 0 && k.text)
		bind_text(*st, 1, k.text);
	return r;
}

/* Runs sql (one optional key) and collects every row into a new array of elem-sized elements
 * read by fn; on failure releases what was read with clear. Returns the count. */
static int list_rows(struct bl_db *db, const char *sql, struct key k, size_t elem, row_fn fn,
		     void (*clear)(void *), void **out, size_t *n, const char *what)
{
	sqlite3_stmt *st;
	char *arr = NULL;
	size_t cap = 0, cnt = 0;
	int rc = SQLITE_DONE, r;

	*out = NULL;
	*n = 0;
	if ((r = prep_key(db, &st, sql, k)) < 0)
		return r;
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 16;
			char *na = realloc(arr, nc * elem);
			if (!na) {
				r = bl_fail(-ENOMEM, "database %s: %s: out of memory", db->path, what);
				break;
			}
			arr = na;
			cap = nc;
		}
		memset(arr + cnt * elem, 0, elem);
		if (fn(st, arr + cnt++ * elem) < 0)
			r = bl_fail(-ENOMEM, "database %s: %s: out of memory", db->path, what);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = FAIL(db, what);
	sqlite3_finalize(st);
	if (r < 0) {
		for (size_t i = 0; i < cnt; i++)
			clear(arr + i * elem);
		free(arr);
		return r;
	}
	*out = arr;
	*n = cnt;
	return (int)cnt;
}

/* Fetches exactly one row with fn into out (zeroed first); -ENOENT with notfound if none. */
static int get_row(struct bl_db *db, const char *sql, struct key k, row_fn fn,
		   void (*clear)(void *), void *out, size_t size, const char *what,
		   const char *notfound)
{
	sqlite3_stmt *st;
	int r;

	memset(out, 0, size);
	if ((r = prep_key(db, &st, sql, k)) < 0)
		return r;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		r = fn(st, out) < 0 ? bl_fail(-ENOMEM, "%s: out of memory", what) : 0;
	else if (rc == SQLITE_DONE)
		r = bl_fail(-ENOENT, "%s", notfound);
	else
		r = FAIL(db, what);
	sqlite3_finalize(st);
	if (r < 0)
		clear(out);
	return r;
}

static int image_row(sqlite3_stmt *st, void *e) { return read_image(st, e); }
static int version_row(sqlite3_stmt *st, void *e) { return read_version(st, e); }
static int client_row(sqlite3_stmt *st, void *e) { return read_client(st, 0, e); }
static void image_clear(void *p) { bl_image_clear(p); }
static void version_clear(void *p) { bl_version_clear(p); }
static void client_clear(void *p) { bl_client_clear(p); }

/* ---- images ---- */

int bl_db_image_add(struct bl_db *db, struct bl_image *img)
{
	sqlite3_stmt *st;
	int r;

	img->created = time(NULL);
	if ((r = tx_begin(db)) < 0)
		return r;
	if ((r = prep(db, &st, "INSERT INTO images (name, path, identity, size, "
		      "current_version, created) VALUES (?, ?, ?, ?, 0, ?)")) == 0) {
		bind_text(st, 1, img->name);
		bind_text(st, 2, img->path);
		bind_text(st, 3, img->identity);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)img->size);
		sqlite3_bind_int64(st, 5, img->created);
		r = step_done(db, st, "adding an image");
		if (r == -EEXIST)
			r = bl_fail(-EEXIST, "image '%s': already exists", img->name);
		img->id = sqlite3_last_insert_rowid(db->h);
		img->current_version = 0;
	}
	return tx_end(db, r < 0 ? r : 0);
}

int bl_db_image_get(struct bl_db *db, const char *name, struct bl_image *out)
{
	char nf[160];

	snprintf(nf, sizeof(nf), "image '%.80s': not found", name);
	return get_row(db, "SELECT " IMAGE_COLS " FROM images WHERE name = ?", KEY_TEXT(name),
		       image_row, image_clear, out, sizeof(*out), "reading an image", nf);
}

int bl_db_image_get_id(struct bl_db *db, int64_t id, struct bl_image *out)
{
	char nf[80];

	snprintf(nf, sizeof(nf), "image #%lld: not found", (long long)id);
	return get_row(db, "SELECT " IMAGE_COLS " FROM images WHERE id = ?", KEY_NUM(id),
		       image_row, image_clear, out, sizeof(*out), "reading an image", nf);
}

int bl_db_image_list(struct bl_db *db, struct bl_image **out, size_t *n)
{
	return list_rows(db, "SELECT " IMAGE_COLS " FROM images ORDER BY name", KEY_NONE,
			 sizeof(**out), image_row, image_clear, (void **)out, n, "listing images");
}

int bl_db_image_clients(struct bl_db *db, int64_t image_id)
{
	sqlite3_stmt *st;
	int r;

	if ((r = prep(db, &st, "SELECT count(*) FROM clients WHERE image_id = ?")) < 0)
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

	if ((r = tx_begin(db)) < 0)
		return r;
	if ((r = bl_db_image_get(db, name, &img)) < 0)
		return tx_end(db, r);
	r = bl_db_image_clients(db, img.id);
	if (r > 0 && !force)
		r = bl_fail(-EBUSY, "image '%s': %d client(s) link to it (unlink them, or --force "
			    "to remove them with it)", name, r);
	if (r > 0 && (r = prep(db, &st, "DELETE FROM clients WHERE image_id = ?")) == 0) {
		sqlite3_bind_int64(st, 1, img.id);
		r = step_done(db, st, "removing an image's clients");
	}
	if (r >= 0 && (r = prep(db, &st, "DELETE FROM images WHERE id = ?")) == 0) {
		sqlite3_bind_int64(st, 1, img.id);
		r = step_done(db, st, "removing an image");
	}
	bl_image_clear(&img);
	return tx_end(db, r < 0 ? r : 0);
}

/* UPDATE ... WHERE <key> = ?; -ENOENT with message when no row matched. */
static int update_one(struct bl_db *db, sqlite3_stmt *st, const char *what, const char *nf)
{
	int r, t = tx_begin(db);

	if (t < 0) {
		sqlite3_finalize(st);
		return t;
	}
	r = step_done(db, st, what);
	if (r == 0)
		r = bl_fail(-ENOENT, "%s", nf);
	return tx_end(db, r < 0 ? r : 0);
}

int bl_db_image_rename(struct bl_db *db, const char *old_name, const char *new_name)
{
	sqlite3_stmt *st;
	char nf[160];
	int r;

	if ((r = prep(db, &st, "UPDATE images SET name = ? WHERE name = ?")) < 0)
		return r;
	bind_text(st, 1, new_name);
	bind_text(st, 2, old_name);
	snprintf(nf, sizeof(nf), "image '%.80s': not found", old_name);
	r = update_one(db, st, "renaming an image", nf);
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

	if ((r = prep(db, &st, "UPDATE images SET path = ?, identity = ?, size = ? WHERE id = ?")) < 0)
		return r;
	bind_text(st, 1, path);
	bind_text(st, 2, identity);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)size);
	sqlite3_bind_int64(st, 4, id);
	snprintf(nf, sizeof(nf), "image #%lld: not found", (long long)id);
	return update_one(db, st, "moving an image", nf);
}

int bl_db_image_set_current(struct bl_db *db, int64_t id, int version)
{
	sqlite3_stmt *st;
	char nf[120];
	int r;

	/* version 0 or a committed version of this image */
	if ((r = prep(db, &st, "UPDATE images SET current_version = ?1 WHERE id = ?2 AND "
		      "(?1 = 0 OR EXISTS (SELECT 1 FROM versions WHERE image_id = ?2 AND "
		      "number = ?1 AND state = 'committed'))")) < 0)
		return r;
	sqlite3_bind_int(st, 1, version);
	sqlite3_bind_int64(st, 2, id);
	snprintf(nf, sizeof(nf), "image #%lld: no committed version %d", (long long)id, version);
	return update_one(db, st, "setting the current version", nf);
}

/* ---- versions ---- */

int bl_db_versions(struct bl_db *db, int64_t image_id, struct bl_version **out, size_t *n)
{
	return list_rows(db, "SELECT " VERSION_COLS " FROM versions WHERE image_id = ? ORDER BY "
			 "number", KEY_NUM(image_id), sizeof(**out), version_row, version_clear,
			 (void **)out, n, "listing versions");
}

int bl_db_version_building(struct bl_db *db, int64_t image_id, struct bl_version *out)
{
	char nf[120];

	snprintf(nf, sizeof(nf), "image #%lld: no version is being built", (long long)image_id);
	return get_row(db, "SELECT " VERSION_COLS " FROM versions WHERE image_id = ? AND "
		       "state = 'building'", KEY_NUM(image_id), version_row, version_clear, out,
		       sizeof(*out), "reading a version", nf);
}

int bl_db_version_start(struct bl_db *db, int64_t image_id, const char *layer_dir,
			struct bl_version *out)
{
	struct bl_image img;
	sqlite3_stmt *st;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = tx_begin(db)) < 0)
		return r;
	if ((r = bl_db_image_get_id(db, image_id, &img)) < 0)
		return tx_end(db, r);
	r = bl_db_version_building(db, image_id, out);
	if (r == 0) {
		r = bl_fail(-EBUSY, "image '%s': version %d is already being built", img.name,
			    out->number);
		bl_version_clear(out);
		goto out;
	}
	if (r != -ENOENT)
		goto out;
	if ((r = prep(db, &st, "SELECT coalesce(max(number), 0) FROM versions WHERE image_id = ?")) < 0)
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
	if ((r = prep(db, &st, "INSERT INTO versions (image_id, number, parent, layer_path, "
		      "state, created) VALUES (?, ?, ?, ?, 'building', ?)")) < 0)
		goto out;
	sqlite3_bind_int64(st, 1, image_id);
	sqlite3_bind_int(st, 2, out->number);
	sqlite3_bind_int(st, 3, out->parent);
	bind_text(st, 4, out->layer_path);
	sqlite3_bind_int64(st, 5, out->created);
	r = step_done(db, st, "adding a version");
	out->id = sqlite3_last_insert_rowid(db->h);
out:
	bl_image_clear(&img);
	if (r < 0)
		bl_version_clear(out);
	return tx_end(db, r < 0 ? r : 0);
}

int bl_db_version_set_committed(struct bl_db *db, int64_t version_id, const char *identity)
{
	sqlite3_stmt *st;
	char nf[80];
	int r;

	if ((r = prep(db, &st, "UPDATE versions SET state = 'committed', identity = ?, "
		      "committed = ? WHERE id = ? AND state = 'building'")) < 0)
		return r;
	bind_text(st, 1, identity);
	sqlite3_bind_int64(st, 2, time(NULL));
	sqlite3_bind_int64(st, 3, version_id);
	snprintf(nf, sizeof(nf), "version #%lld: not found or not building", (long long)version_id);
	return update_one(db, st, "committing a version", nf);
}

int bl_db_version_delete(struct bl_db *db, int64_t version_id)
{
	sqlite3_stmt *st;
	char nf[80];
	int r;

	if ((r = prep(db, &st, "DELETE FROM versions WHERE id = ?")) < 0)
		return r;
	sqlite3_bind_int64(st, 1, version_id);
	snprintf(nf, sizeof(nf), "version #%lld: not found", (long long)version_id);
	return update_one(db, st, "deleting a version", nf);
}

int bl_db_version_set_path(struct bl_db *db, int64_t version_id, const char *path)
{
	sqlite3_stmt *st;
	char nf[80];
	int r;

	if ((r = prep(db, &st, "UPDATE versions SET layer_path = ? WHERE id = ?")) < 0)
		return r;
	bind_text(st, 1, path);
	sqlite3_bind_int64(st, 2, version_id);
	snprintf(nf, sizeof(nf), "version #%lld: not found", (long long)version_id);
	return update_one(db, st, "moving a layer", nf);
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
static int chain_from(const struct bl_version *v, size_t nv, int top, const char *what,
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
	r = chain_from(v, nv, version, what, out, n);
	bl_versions_free(v, nv);
	return r;
}

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
	if ((r = tx_begin(db)) < 0)
		return r;
	if ((r = prep(db, &st, "INSERT INTO clients (mac, hostname, ip, image_id, mode, enabled, "
		      "chap_user, chap_secret, role, created) "
		      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) == 0) {
		bind_text(st, 1, c->mac);
		bind_text(st, 2, c->hostname);
		bind_text(st, 3, c->ip);
		sqlite3_bind_int64(st, 4, c->image_id);
		bind_text(st, 5, bl_mode_name(c->mode));
		sqlite3_bind_int(st, 6, c->enabled);
		bind_text(st, 7, c->chap_user);
		bind_text(st, 8, c->chap_secret);
		bind_text(st, 9, bl_role_name(c->role));
		sqlite3_bind_int64(st, 10, c->created);
		r = client_conflict(db, c, step_done(db, st, "adding a client"));
		if (r == -EBUSY)
			r = bl_fail(-ENOENT, "client %s: image #%lld does not exist", c->mac,
				    (long long)c->image_id);
		c->id = sqlite3_last_insert_rowid(db->h);
	}
	return tx_end(db, r < 0 ? r : 0);
}

int bl_db_client_get(struct bl_db *db, const char *mac, struct bl_client *out)
{
	char nf[80];

	snprintf(nf, sizeof(nf), "client %.20s: not found", mac);
	return get_row(db, "SELECT " CLIENT_COLS " FROM " CLIENTS " WHERE mac = ?", KEY_TEXT(mac),
		       client_row, client_clear, out, sizeof(*out), "reading a client", nf);
}

int bl_db_client_list(struct bl_db *db, struct bl_client **out, size_t *n)
{
	return list_rows(db, "SELECT " CLIENT_COLS " FROM " CLIENTS " ORDER BY mac", KEY_NONE,
			 sizeof(**out), client_row, client_clear, (void **)out, n,
			 "listing clients");
}

int bl_db_image_client_list(struct bl_db *db, int64_t image_id, struct bl_client **out,
			    size_t *n)
{
	return list_rows(db, "SELECT " CLIENT_COLS " FROM " CLIENTS " WHERE image_id = ? ORDER BY mac",
			 KEY_NUM(image_id), sizeof(**out), client_row, client_clear, (void **)out,
			 n, "listing an image's clients");
}

int bl_db_image_super(struct bl_db *db, int64_t image_id, struct bl_client *out)
{
	char nf[80];

	snprintf(nf, sizeof(nf), "image #%lld: has no super client", (long long)image_id);
	return get_row(db, "SELECT " CLIENT_COLS " FROM " CLIENTS " WHERE image_id = ? AND "
		       "role = 'super'", KEY_NUM(image_id), client_row, client_clear, out,
		       sizeof(*out), "reading a client", nf);
}

/* One-column client updates by MAC. */
static int client_set(struct bl_db *db, const char *mac, const char *sql, int64_t v,
		      const char *what)
{
	sqlite3_stmt *st;
	char nf[80];
	int r;

	if ((r = prep(db, &st, sql)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, v);
	bind_text(st, 2, mac);
	snprintf(nf, sizeof(nf), "client %.20s: not found", mac);
	return update_one(db, st, what, nf);
}

int bl_db_client_remove(struct bl_db *db, const char *mac)
{
	sqlite3_stmt *st;
	char nf[80];
	int r;

	if ((r = prep(db, &st, "DELETE FROM clients WHERE mac = ?")) < 0)
		return r;
	bind_text(st, 1, mac);
	snprintf(nf, sizeof(nf), "client %.20s: not found", mac);
	return update_one(db, st, "removing a client", nf);
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

int bl_db_client_update(struct bl_db *db, const struct bl_client *c)
{
	sqlite3_stmt *st;
	char nf[80];
	int r;

	if ((r = prep(db, &st, "UPDATE clients SET hostname = ?, ip = ?, mode = ?, "
		      "chap_user = ?, chap_secret = ? WHERE mac = ?")) < 0)
		return r;
	bind_text(st, 1, c->hostname);
	bind_text(st, 2, c->ip);
	bind_text(st, 3, bl_mode_name(c->mode));
	bind_text(st, 4, c->chap_user);
	bind_text(st, 5, c->chap_secret);
	bind_text(st, 6, c->mac);
	snprintf(nf, sizeof(nf), "client %.20s: not found", c->mac);
	return client_conflict(db, c, update_one(db, st, "updating a client", nf));
}

/* ---- links (for linkmgr) ---- */

void bl_links_free(struct bl_link *links, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct bl_link *l = &links[i];
		bl_client_clear(&l->client);
		free(l->image_name);
		free(l->base_path);
		bl_layers_free(l->chain, l->n_chain);
		if (l->building) {
			bl_version_clear(l->building);
			free(l->building);
		}
	}
	free(links);
}

static int fill_link(struct bl_link *l, const struct bl_image *img, const struct bl_version *v,
		     size_t nv)
{
	char what[128];
	int r;

	l->image_name = strdup(img->name);
	l->base_path = strdup(img->path);
	l->size = img->size;
	l->current_version = img->current_version;
	if (!l->image_name || !l->base_path)
		return bl_fail(-ENOMEM, "out of memory");
	snprintf(what, sizeof(what), "image '%.80s'", img->name);
	if ((r = chain_from(v, nv, img->current_version, what, &l->chain, &l->n_chain)) < 0)
		return r;
	if (l->client.role == BL_ROLE_SUPER) {
		for (size_t i = 0; i < nv; i++) {
			if (v[i].state != BL_VERSION_BUILDING)
				continue;
			l->building = calloc(1, sizeof(*l->building));
			if (!l->building)
				return bl_fail(-ENOMEM, "out of memory");
			*l->building = v[i];
			l->building->layer_path = strdup(v[i].layer_path);
			l->building->identity = NULL;
			if (!l->building->layer_path)
				return bl_fail(-ENOMEM, "out of memory");
		}
	}
	return 0;
}

int bl_db_load_links(struct bl_db *db, struct bl_link **out, size_t *n)
{
	struct bl_image *imgs = NULL;
	struct bl_client *cl = NULL;
	size_t ni = 0, nc = 0;
	struct bl_link *links = NULL;
	int r;

	*out = NULL;
	*n = 0;
	/* one read transaction: a consistent snapshot even while linkctl writes */
	if ((r = exec(db, "BEGIN", "starting a read transaction")) < 0)
		return r;
	if ((r = bl_db_image_list(db, &imgs, &ni)) < 0 ||
	    (r = bl_db_client_list(db, &cl, &nc)) < 0)
		goto out;
	links = calloc(nc ? nc : 1, sizeof(*links));
	if (!links) {
		r = bl_fail(-ENOMEM, "out of memory");
		goto out;
	}
	/* clients are few per image; versions are loaded once per image */
	for (size_t i = 0; i < ni && r >= 0; i++) {
		struct bl_version *v = NULL;
		size_t nv = 0;
		bool any = false;
		for (size_t k = 0; k < nc && !any; k++)
			any = cl[k].image_id == imgs[i].id;
		if (!any)
			continue;
		if ((r = bl_db_versions(db, imgs[i].id, &v, &nv)) < 0)
			break;
		for (size_t k = 0; k < nc; k++) {
			if (cl[k].image_id != imgs[i].id)
				continue;
			links[k].client = cl[k];
			memset(&cl[k], 0, sizeof(cl[k]));
			if ((r = fill_link(&links[k], &imgs[i], v, nv)) < 0)
				break;
		}
		bl_versions_free(v, nv);
	}
	if (r >= 0) {
		*out = links;
		*n = nc;
		links = NULL;
		r = (int)nc;
	}
out:
	sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL);
	if (links)
		bl_links_free(links, nc);
	bl_clients_free(cl, nc);
	bl_images_free(imgs, ni);
	return r;
}

/* ---- events ---- */

int bl_db_log_event(struct bl_db *db, const char *object, const char *fmt, ...)
{
	sqlite3_stmt *st;
	char *msg;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		return bl_fail(-ENOMEM, "out of memory");
	if ((r = tx_begin(db)) < 0) {
		free(msg);
		return r;
	}
	if ((r = prep(db, &st, "INSERT INTO events (ts, object, message) VALUES (?, ?, ?)")) == 0) {
		sqlite3_bind_int64(st, 1, time(NULL));
		bind_text(st, 2, object);
		bind_text(st, 3, msg);
		r = step_done(db, st, "logging an event");
	}
	free(msg);
	return tx_end(db, r < 0 ? r : 0);
}

static int event_row(sqlite3_stmt *st, void *e)
{
	struct bl_event *ev = e;

	ev->id = sqlite3_column_int64(st, 0);
	ev->ts = sqlite3_column_int64(st, 1);
	ev->object = col_str(st, 2);
	ev->message = col_str(st, 3);
	return ev->object && ev->message ? 0 : -ENOMEM;
}

static void event_clear(void *p)
{
	struct bl_event *ev = p;
	free(ev->object);
	free(ev->message);
}

void bl_events_free(struct bl_event *ev, size_t n)
{
	for (size_t i = 0; i < n; i++)
		event_clear(&ev[i]);
	free(ev);
}

int bl_db_list_events(struct bl_db *db, size_t limit, struct bl_event **out, size_t *n)
{
	return list_rows(db, "SELECT id, ts, object, message FROM events ORDER BY id DESC LIMIT ?",
			 KEY_NUM(limit ? (int64_t)limit : -1), sizeof(**out), event_row,
			 event_clear, (void **)out, n, "listing events");
}
