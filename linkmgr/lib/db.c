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
#include "db-private.h"
#include "error.h"
#include "names.h"

#define BUSY_TIMEOUT_MS 30000


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
	/* 4: a rebuild of the client's backstore that linkmgr decided (a new disk, a volatile
	 * client's boot) stays pending until configfs confirms it: a failed or interrupted apply
	 * is retried by the next pass, also after a crash */
	"ALTER TABLE observed ADD COLUMN rebuild_pending INTEGER NOT NULL DEFAULT 0;",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == BL_DB_SCHEMA_VERSION,
	       "one migration per schema version");

/* ---- errors ---- */

int db_fail_sql(sqlite3 *h, const char *path, const char *what)
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


/* ---- small statement helpers ---- */

int db_prep(struct bl_db *db, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v2(db->h, sql, -1, st, NULL) != SQLITE_OK)
		return FAIL(db, "preparing a statement");
	return 0;
}

void db_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

char *db_col_str(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? strdup((const char *)t) : NULL;
}

/* Runs a write statement to completion; returns changed rows or -errno. */
int db_step_done(struct bl_db *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	int r = rc == SQLITE_DONE ? sqlite3_changes(db->h) : FAIL(db, what);
	sqlite3_finalize(st);
	return r;
}

int db_exec(struct bl_db *db, const char *sql, const char *what)
{
	if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK)
		return FAIL(db, what);
	return 0;
}

/* Write transactions nest: only the outermost one issues BEGIN IMMEDIATE / COMMIT, so the
 * single-call writers compose inside bl_db_begin() or inside each other. */
int db_tx_begin(struct bl_db *db)
{
	if (db->depth++ > 0)
		return 0;
	int r = db_exec(db, "BEGIN IMMEDIATE", "starting a write transaction");
	if (r < 0)
		db->depth = 0;
	return r;
}

int db_tx_end(struct bl_db *db, int r)
{
	if (db->depth == 0 || --db->depth > 0)
		return r;
	if (r < 0) {
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
		return r;
	}
	int c = db_exec(db, "COMMIT", "committing");
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
	return db_tx_begin(db);
}

int bl_db_commit(struct bl_db *db)
{
	return db_tx_end(db, 0);
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
		return db_fail_sql(h, path, "starting the schema migration");
	int v = user_version(h);
	if (v < 0) {
		sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
		return db_fail_sql(h, path, "reading the schema version");
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
			int r = db_fail_sql(h, path, "migrating the schema");
			sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
			return r;
		}
	}
	if (sqlite3_exec(h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		int r = db_fail_sql(h, path, "committing the schema migration");
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

/* An existing file that others can read exposes every CHAP secret: its owner tightens it
 * (with its -wal and -shm, which SQLite makes with the same mode); anyone else is refused. */
static int check_mode(const char *path)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	for (size_t i = 0; i < 3; i++) {
		char p[PATH_MAX + 8];
		struct stat st;
		snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
		if (lstat(p, &st) < 0 || !(st.st_mode & 0007))
			continue;
		if (!S_ISREG(st.st_mode))
			return bl_fail(-EPERM, "database %s: not a regular file", p);
		if (st.st_uid != geteuid() || chmod(p, st.st_mode & 0770) < 0)
			return bl_fail(-EPERM, "database %s: other users can read it (mode %04o), and "
				       "with it every CHAP secret; chmod o-rwx %s", p,
				       (unsigned)(st.st_mode & 07777), p);
	}
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
	if ((r = check_mode(path)) < 0)
		goto fail;
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
	if ((r = db_exec(db, "PRAGMA foreign_keys = ON", "enabling foreign keys")) < 0)
		goto fail;
	if (!(flags & BL_DB_READONLY)) {
		if ((r = db_exec(db, "PRAGMA journal_mode = WAL", "enabling WAL")) < 0 ||
		    (r = db_exec(db, "PRAGMA synchronous = NORMAL", "setting synchronous")) < 0)
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

int bl_db_differs(struct bl_db *db, const char *other)
{
	/* what admins asked for, compared row by row; observed state and events may differ */
	static const char *const tables[] = { "images", "versions", "clients" };
	sqlite3_stmt *st;
	char sql[512];
	int r = 0;

	if (bl_db_file_schema(other) != user_version(db->h))
		return 1;
	if ((r = db_prep(db, &st, "SELECT (SELECT count(*) FROM images) + "
			 "(SELECT count(*) FROM clients)")) < 0)
		return r;
	r = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	if (r < 0)
		return FAIL(db, "counting rows");
	if (r == 0)
		return -ENODATA;	/* nothing in it: a fresh server */
	if ((r = db_prep(db, &st, "ATTACH DATABASE ? AS other")) < 0)
		return r;
	db_bind_text(st, 1, other);
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : FAIL(db, "reading the other database");
	sqlite3_finalize(st);
	for (size_t i = 0; r == 0 && i < sizeof(tables) / sizeof(tables[0]); i++) {
		snprintf(sql, sizeof(sql), "SELECT EXISTS (SELECT * FROM main.%1$s EXCEPT SELECT * "
			 "FROM other.%1$s) OR EXISTS (SELECT * FROM other.%1$s EXCEPT SELECT * "
			 "FROM main.%1$s)", tables[i]);
		if ((r = db_prep(db, &st, sql)) < 0)
			break;
		r = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) != 0 :
			FAIL(db, "comparing with the other database");
		sqlite3_finalize(st);
		if (r == 1)
			break;
	}
	sqlite3_exec(db->h, "DETACH DATABASE other", NULL, NULL, NULL);
	return r;
}

/* ---- row readers ---- */


static int read_image(sqlite3_stmt *st, struct bl_image *img)
{
	img->id = sqlite3_column_int64(st, 0);
	img->name = db_col_str(st, 1);
	img->path = db_col_str(st, 2);
	img->identity = db_col_str(st, 3);
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


static int read_version(sqlite3_stmt *st, struct bl_version *v)
{
	const unsigned char *state = sqlite3_column_text(st, 6);

	v->id = sqlite3_column_int64(st, 0);
	v->image_id = sqlite3_column_int64(st, 1);
	v->number = sqlite3_column_int(st, 2);
	v->parent = sqlite3_column_int(st, 3);
	v->layer_path = db_col_str(st, 4);
	v->identity = db_col_str(st, 5);
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


static int read_client(sqlite3_stmt *st, int base, struct bl_client *c)
{
	const unsigned char *mac = sqlite3_column_text(st, base + 1);
	const unsigned char *mode = sqlite3_column_text(st, base + 5);
	const unsigned char *role = sqlite3_column_text(st, base + 9);

	c->id = sqlite3_column_int64(st, base);
	snprintf(c->mac, sizeof(c->mac), "%s", mac ? (const char *)mac : "");
	c->hostname = db_col_str(st, base + 2);
	c->ip = db_col_str(st, base + 3);
	c->image_id = sqlite3_column_int64(st, base + 4);
	if (bl_mode_parse((const char *)mode, &c->mode) < 0)
		c->mode = BL_MODE_VOLATILE;
	c->enabled = sqlite3_column_int(st, base + 6) != 0;
	c->chap_user = db_col_str(st, base + 7);
	c->chap_secret = db_col_str(st, base + 8);
	if (bl_role_parse((const char *)role, &c->role) < 0)
		c->role = BL_ROLE_NORMAL;
	c->booted_version = sqlite3_column_int(st, base + 10);
	c->reset = (enum bl_reset)sqlite3_column_int(st, base + 11);
	c->created = sqlite3_column_int64(st, base + 12);
	c->rebuild_pending = sqlite3_column_int(st, base + 13) != 0;
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


/* A query key: text, integer, or none. */

static int prep_key(struct bl_db *db, sqlite3_stmt **st, const char *sql, struct key k)
{
	int r = db_prep(db, st, sql);
	if (r == 0 && k.is_num)
		sqlite3_bind_int64(*st, 1, k.num);
	else if (r == 0 && k.text)
		db_bind_text(*st, 1, k.text);
	return r;
}

/* Runs sql (one optional key) and collects every row into a new array of elem-sized elements
 * read by fn; on failure releases what was read with clear. Returns the count. */
int db_list_rows(struct bl_db *db, const char *sql, struct key k, size_t elem, row_fn fn,
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
int db_get_row(struct bl_db *db, const char *sql, struct key k, row_fn fn,
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

int db_image_row(sqlite3_stmt *st, void *e) { return read_image(st, e); }
int db_version_row(sqlite3_stmt *st, void *e) { return read_version(st, e); }
int db_client_row(sqlite3_stmt *st, void *e) { return read_client(st, 0, e); }
void db_image_clear(void *p) { bl_image_clear(p); }
void db_version_clear(void *p) { bl_version_clear(p); }
void db_client_clear(void *p) { bl_client_clear(p); }
