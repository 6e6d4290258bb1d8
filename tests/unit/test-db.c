#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "db-internal.h"
#include "db.h"
#include "error.h"
#include "testutil.h"

struct fx {
	char dir[64];
	char path[128];
	struct bl_db *db;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/test-db-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/bootlink.db", f->dir);
	if (bl_db_open(f->path, BL_DB_CREATE, NULL, &f->db) < 0) {
		fprintf(stderr, "%s\n", bl_last_error());
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	bl_db_close(f->db);
	if (bl_t_rmrf(f->dir) < 0)
		return -1;
	free(f);
	return 0;
}

static int64_t add_image(struct bl_db *db, const char *name)
{
	char path[64];
	struct bl_image img = { .name = (char *)name, .path = path, .identity = "raw:1:2:3",
				.size = 1 << 20 };
	snprintf(path, sizeof(path), "/srv/images/%s.img", name);
	int r = bl_db_image_add(db, &img);
	if (r < 0)
		fail_msg("%s", bl_last_error());
	return img.id;
}

static void add_client(struct bl_db *db, const char *mac, int64_t image, enum bl_mode mode)
{
	struct bl_client c = { .image_id = image, .mode = mode, .enabled = true };
	snprintf(c.mac, sizeof(c.mac), "%s", mac);
	int r = bl_db_client_add(db, &c);
	if (r < 0)
		fail_msg("%s", bl_last_error());
}

static void schema_and_mode(void **state)
{
	struct fx *f = *state;
	struct stat st;

	assert_int_equal(bl_db_schema_version(f->db), BL_DB_SCHEMA_VERSION);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);	/* holds CHAP secrets */
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(bl_db_handle(f->db), "PRAGMA journal_mode", -1, &s,
					    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_prepare_v2(bl_db_handle(f->db), "PRAGMA foreign_keys", -1, &s,
					    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 1);
	sqlite3_finalize(s);
}

/* With an admin group the database is the group's to use: linkctl runs as an admin and
 * writes it, and in WAL mode even a reader needs to write the -shm file. Others get nothing. */
static void admin_group_mode(void **state)
{
	struct fx *f = *state;
	struct bl_db *db;
	struct stat st;
	char path[160];

	snprintf(path, sizeof(path), "%s/admin.db", f->dir);
	assert_int_equal(bl_db_open(path, BL_DB_CREATE, "root", &db), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);
	assert_int_equal(st.st_gid, 0);
	bl_db_close(db);
	snprintf(path, sizeof(path), "%s/nogroup.db", f->dir);
	assert_true(bl_db_open(path, BL_DB_CREATE, "no-such-group-bootlink", &db) < 0);
	assert_int_equal(access(path, F_OK), -1);	/* nothing left behind */
}

/* An existing database that others can read (copied with cp, made by sqlite3 under umask
 * 022) is tightened by its owner at open; anyone else is refused, naming the mode. */
static void readable_database_tightened(void **state)
{
	struct fx *f = *state;
	struct bl_db *db;
	struct stat st;
	bl_db_close(f->db);
	f->db = NULL;
	assert_int_equal(chmod(f->path, 0644), 0);
	assert_int_equal(bl_db_open(f->path, 0, NULL, &db), 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	bl_db_close(db);
	/* not ours: refused */
	assert_int_equal(chmod(f->path, 0604), 0);
	assert_int_equal(chown(f->path, 65534, (gid_t)-1), 0);
	assert_int_equal(bl_db_open(f->path, 0, NULL, &db), -EPERM);
	assert_non_null(strstr(bl_last_error(), "other users can read it (mode 0604)"));
	assert_int_equal(chown(f->path, 0, (gid_t)-1), 0);
	assert_int_equal(bl_db_open(f->path, 0, NULL, &f->db), 0);
}

static void images_crud(void **state)
{
	struct fx *f = *state;
	struct bl_image img, *list;
	size_t n;

	int64_t id = add_image(f->db, "win10");
	add_image(f->db, "ubuntu");
	struct bl_image dup = { .name = "win10", .path = "/x", .identity = "i", .size = 1 };
	assert_int_equal(bl_db_image_add(f->db, &dup), -EEXIST);
	assert_non_null(strstr(bl_last_error(), "win10"));
	assert_int_equal(bl_db_image_list(f->db, &list, &n), 2);
	assert_string_equal(list[0].name, "ubuntu");	/* by name */
	bl_images_free(list, n);
	assert_int_equal(bl_db_image_rename(f->db, "win10", "win11"), 0);
	assert_int_equal(bl_db_image_get(f->db, "win10", &img), -ENOENT);
	assert_int_equal(bl_db_image_rename(f->db, "win11", "ubuntu"), -EEXIST);
	assert_int_equal(bl_db_image_get(f->db, "win11", &img), 0);
	assert_int_equal(img.id, id);
	bl_image_clear(&img);
	assert_int_equal(bl_db_image_set_path(f->db, id, "/mnt/new.img", "raw:9", 42), 0);
	assert_int_equal(bl_db_image_get_id(f->db, id, &img), 0);
	assert_string_equal(img.path, "/mnt/new.img");
	assert_string_equal(img.identity, "raw:9");
	assert_int_equal(img.size, 42);
	bl_image_clear(&img);
	assert_int_equal(bl_db_image_rename(f->db, "nope", "x"), -ENOENT);
}

static void clients_and_links(void **state)
{
	struct fx *f = *state;
	struct bl_client c;

	int64_t win = add_image(f->db, "win10");
	int64_t lin = add_image(f->db, "linux");
	add_client(f->db, "52:54:00:00:00:01", win, BL_MODE_VOLATILE);
	add_client(f->db, "52:54:00:00:00:02", win, BL_MODE_PERSISTENT);
	struct bl_client dup = { .image_id = win };
	strcpy(dup.mac, "52:54:00:00:00:01");
	assert_int_equal(bl_db_client_add(f->db, &dup), -EEXIST);
	/* unknown image refused by the foreign key */
	struct bl_client orphan = { .image_id = 999 };
	strcpy(orphan.mac, "52:54:00:00:00:09");
	assert_int_equal(bl_db_client_add(f->db, &orphan), -ENOENT);
	/* ip and hostname unique */
	assert_int_equal(bl_db_client_get(f->db, "52:54:00:00:00:01", &c), 0);
	c.ip = strdup("10.0.0.5");
	c.hostname = strdup("pc01");
	c.chap_user = strdup("u");
	c.chap_secret = strdup("secretsecret");
	assert_int_equal(bl_db_client_update(f->db, &c), 0);
	bl_client_clear(&c);
	assert_int_equal(bl_db_client_get(f->db, "52:54:00:00:00:02", &c), 0);
	c.ip = strdup("10.0.0.5");
	assert_int_equal(bl_db_client_update(f->db, &c), -EEXIST);
	assert_non_null(strstr(bl_last_error(), "10.0.0.5"));
	free(c.ip);
	c.ip = NULL;
	c.hostname = strdup("pc01");
	assert_int_equal(bl_db_client_update(f->db, &c), -EEXIST);
	assert_non_null(strstr(bl_last_error(), "pc01"));
	bl_client_clear(&c);

	/* removal refused while linked, forced removal takes clients along */
	assert_int_equal(bl_db_image_remove(f->db, "win10", false), -EBUSY);
	assert_int_equal(bl_db_image_clients(f->db, win), 2);
	/* relink: booted version forgotten */
	assert_int_equal(bl_db_set_booted_version(f->db, "52:54:00:00:00:02", 0), 0);
	assert_int_equal(bl_db_client_link(f->db, "52:54:00:00:00:02", lin), 0);
	assert_int_equal(bl_db_client_get(f->db, "52:54:00:00:00:02", &c), 0);
	assert_int_equal(c.image_id, lin);
	assert_int_equal(c.booted_version, -1);
	bl_client_clear(&c);
	assert_int_equal(bl_db_client_link(f->db, "52:54:00:00:00:02", 999), -ENOENT);
	assert_int_equal(bl_db_client_set_enabled(f->db, "52:54:00:00:00:01", false), 0);
	assert_int_equal(bl_db_client_get(f->db, "52:54:00:00:00:01", &c), 0);
	assert_false(c.enabled);
	assert_string_equal(c.chap_secret, "secretsecret");
	bl_client_clear(&c);
	assert_int_equal(bl_db_image_remove(f->db, "win10", true), 0);
	assert_int_equal(bl_db_client_get(f->db, "52:54:00:00:00:01", &c), -ENOENT);
	assert_int_equal(bl_db_client_remove(f->db, "52:54:00:00:00:02"), 0);
	assert_int_equal(bl_db_client_remove(f->db, "52:54:00:00:00:02"), -ENOENT);
	assert_int_equal(bl_db_image_remove(f->db, "linux", false), 0);
}

/* super client -> version building -> commit -> rollback -> branch */
static void versions_workflow(void **state)
{
	struct fx *f = *state;
	struct bl_version v, *vs;
	struct bl_link *links;
	size_t n, nv;

	int64_t id = add_image(f->db, "win10");
	add_client(f->db, "52:54:00:00:00:01", id, BL_MODE_VOLATILE);
	add_client(f->db, "52:54:00:00:00:02", id, BL_MODE_PERSISTENT);
	assert_int_equal(bl_db_client_set_role(f->db, "52:54:00:00:00:01", BL_ROLE_SUPER), 0);
	/* one super per image */
	assert_int_equal(bl_db_client_set_role(f->db, "52:54:00:00:00:02", BL_ROLE_SUPER), -EBUSY);
	assert_int_equal(bl_db_version_start(f->db, id, "/l", &v), 0);
	assert_int_equal(v.number, 1);
	assert_int_equal(v.parent, 0);
	char want[64];
	snprintf(want, sizeof(want), "/l/%lld-v1.layer", (long long)id);
	assert_string_equal(v.layer_path, want);
	struct bl_version v2;
	assert_int_equal(bl_db_version_start(f->db, id, "/l", &v2), -EBUSY);
	/* a building version is not a valid current version */
	assert_int_equal(bl_db_image_set_current(f->db, id, 1), -ENOENT);
	assert_int_equal(bl_db_load_links(f->db, &links, &n), 2);
	assert_non_null(links[0].building);
	assert_int_equal(links[0].building->number, 1);
	assert_int_equal(links[0].n_chain, 0);
	assert_null(links[1].building);
	bl_links_free(links, n);

	assert_int_equal(bl_db_version_set_committed(f->db, v.id, "layer:1:abcd"), 0);
	assert_int_equal(bl_db_version_set_committed(f->db, v.id, "layer:1:abcd"), -ENOENT);
	assert_int_equal(bl_db_image_set_current(f->db, id, 1), 0);
	assert_int_equal(bl_db_client_set_role(f->db, "52:54:00:00:00:01", BL_ROLE_NORMAL), 0);
	bl_version_clear(&v);
	/* the persistent client still sits on version 0 */
	assert_int_equal(bl_db_set_booted_version(f->db, "52:54:00:00:00:02", 0), 0);
	/* version 2 on top of 1 */
	assert_int_equal(bl_db_version_start(f->db, id, "/l", &v), 0);
	assert_int_equal(v.parent, 1);
	assert_int_equal(bl_db_version_set_committed(f->db, v.id, "layer:2"), 0);
	assert_int_equal(bl_db_image_set_current(f->db, id, 2), 0);
	bl_version_clear(&v);
	assert_int_equal(bl_db_set_booted_version(f->db, "52:54:00:00:00:01", 1), 0);
	assert_int_equal(bl_db_load_links(f->db, &links, &n), 2);
	assert_int_equal(links[0].current_version, 2);
	assert_int_equal(links[0].n_chain, 2);
	assert_int_equal(links[0].chain[0].number, 1);
	assert_int_equal(links[0].chain[1].number, 2);
	assert_string_equal(links[0].chain[1].identity, "layer:2");
	assert_int_equal(links[0].client.booted_version, 1);
	assert_int_equal(links[1].client.booted_version, 0);
	assert_string_equal(links[1].base_path, "/srv/images/win10.img");
	bl_links_free(links, n);

	/* rollback to 1 and branch: version 3 has parent 1 */
	assert_int_equal(bl_db_image_set_current(f->db, id, 1), 0);
	assert_int_equal(bl_db_version_start(f->db, id, "/l", &v), 0);
	assert_int_equal(v.number, 3);
	assert_int_equal(v.parent, 1);
	assert_int_equal(bl_db_version_set_committed(f->db, v.id, "layer:3"), 0);
	assert_int_equal(bl_db_image_set_current(f->db, id, 3), 0);
	bl_version_clear(&v);
	struct bl_layer *chain;
	size_t nc;
	assert_int_equal(bl_db_version_chain(f->db, id, 3, &chain, &nc), 0);
	assert_int_equal(nc, 2);
	assert_int_equal(chain[0].number, 1);
	assert_int_equal(chain[1].number, 3);
	bl_layers_free(chain, nc);
	assert_int_equal(bl_db_versions(f->db, id, &vs, &nv), 3);
	bl_versions_free(vs, nv);
	/* reset request cleared when linkmgr records the new overlay */
	assert_int_equal(bl_db_client_set_reset(f->db, "52:54:00:00:00:02", BL_RESET_OFFLINE), 0);
	struct bl_client c;
	assert_int_equal(bl_db_client_get(f->db, "52:54:00:00:00:02", &c), 0);
	assert_int_equal(c.reset, BL_RESET_OFFLINE);
	bl_client_clear(&c);
	assert_int_equal(bl_db_set_booted_version(f->db, "52:54:00:00:00:02", 3), 0);
	assert_int_equal(bl_db_client_get(f->db, "52:54:00:00:00:02", &c), 0);
	assert_int_equal(c.reset, BL_RESET_NONE);
	assert_int_equal(c.booted_version, 3);
	bl_client_clear(&c);
	/* versions vanish with their image */
	assert_int_equal(bl_db_image_remove(f->db, "win10", true), 0);
	assert_int_equal(bl_db_versions(f->db, id, &vs, &nv), 0);
}

static void explicit_transaction_rolls_back(void **state)
{
	struct fx *f = *state;
	struct bl_image img;

	assert_int_equal(bl_db_begin(f->db), 0);
	add_image(f->db, "tmp");
	assert_int_equal(bl_db_image_get(f->db, "tmp", &img), 0);
	bl_image_clear(&img);
	bl_db_rollback(f->db);
	assert_int_equal(bl_db_image_get(f->db, "tmp", &img), -ENOENT);
	assert_int_equal(bl_db_begin(f->db), 0);
	add_image(f->db, "kept");
	assert_int_equal(bl_db_commit(f->db), 0);
	assert_int_equal(bl_db_image_get(f->db, "kept", &img), 0);
	bl_image_clear(&img);
}

static void events(void **state)
{
	struct fx *f = *state;
	struct bl_event *ev;
	size_t n;

	for (int i = 0; i < 5; i++)
		assert_int_equal(bl_db_log_event(f->db, "client 52:54:00:00:00:01", "step %d", i), 0);
	assert_int_equal(bl_db_list_events(f->db, 3, &ev, &n), 3);
	assert_string_equal(ev[0].message, "step 4");
	assert_string_equal(ev[0].object, "client 52:54:00:00:00:01");
	bl_events_free(ev, n);
	assert_int_equal(bl_db_list_events(f->db, 0, &ev, &n), 5);
	bl_events_free(ev, n);
}

/* A database as schema version 1 left it is migrated on open, keeping its rows. */
static void migration_from_v1(void **state)
{
	struct fx *f = *state;
	char path[160];
	sqlite3 *h;

	snprintf(path, sizeof(path), "%s/old.db", f->dir);
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(bl_db_migrate_to(h, path, 1), 0);
	assert_int_equal(sqlite3_exec(h, "INSERT INTO images (name, path, identity, size, created)"
				      " VALUES ('old', '/x.img', 'raw:1', 1, 0)", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(h);
	struct bl_db *db;
	struct bl_image img;
	assert_int_equal(bl_db_open(path, 0, NULL, &db), 0);
	assert_int_equal(bl_db_schema_version(db), BL_DB_SCHEMA_VERSION);
	assert_int_equal(bl_db_image_get(db, "old", &img), 0);
	bl_image_clear(&img);
	/* the v2 index exists */
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(bl_db_handle(db), "SELECT 1 FROM sqlite_master WHERE "
					    "name = 'events_object'", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	sqlite3_finalize(s);
	bl_db_close(db);
}

/* Schema 3 splits desired from observed state: a v2 client's disk version and pending reset
 * survive the move, and from then on linkmgr's record clears a request, a relink makes the disk
 * stale, and neither touches the other table. */
static void migration_v2_desired_and_observed(void **state)
{
	struct fx *f = *state;
	char path[160];
	sqlite3 *h;

	snprintf(path, sizeof(path), "%s/v2.db", f->dir);
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(bl_db_migrate_to(h, path, 2), 0);
	assert_int_equal(sqlite3_exec(h,
		"INSERT INTO images (id, name, path, identity, size, created) VALUES "
		"(1, 'a', '/a.img', 'raw:1', 1, 0), (2, 'b', '/b.img', 'raw:2', 1, 0);"
		"INSERT INTO clients (mac, image_id, mode, booted_version, reset, created) VALUES "
		"('52:54:00:00:00:01', 1, 'persistent', 3, 0, 0),"
		"('52:54:00:00:00:02', 1, 'volatile', 1, 2, 0),"
		"('52:54:00:00:00:03', 1, 'volatile', -1, 1, 0);", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	struct bl_db *db;
	struct bl_client c;
	assert_int_equal(bl_db_open(path, 0, NULL, &db), 0);
	assert_int_equal(bl_db_client_get(db, "52:54:00:00:00:01", &c), 0);
	assert_int_equal(c.booted_version, 3);
	assert_int_equal(c.reset, BL_RESET_NONE);
	bl_client_clear(&c);
	assert_int_equal(bl_db_client_get(db, "52:54:00:00:00:02", &c), 0);
	assert_int_equal(c.booted_version, 1);
	assert_int_equal(c.reset, BL_RESET_NOW);
	bl_client_clear(&c);
	assert_int_equal(bl_db_client_get(db, "52:54:00:00:00:03", &c), 0);
	assert_int_equal(c.booted_version, -1);
	assert_int_equal(c.reset, BL_RESET_OFFLINE);
	bl_client_clear(&c);
	/* linkmgr makes client 3's disk: the request is done */
	assert_int_equal(bl_db_set_booted_version(db, "52:54:00:00:00:03", 4), 0);
	assert_int_equal(bl_db_client_get(db, "52:54:00:00:00:03", &c), 0);
	assert_int_equal(c.booted_version, 4);
	assert_int_equal(c.reset, BL_RESET_NONE);
	bl_client_clear(&c);
	/* a new request after that is pending again; a relink makes the disk stale */
	assert_int_equal(bl_db_client_set_reset(db, "52:54:00:00:00:03", BL_RESET_OFFLINE), 0);
	assert_int_equal(bl_db_client_link(db, "52:54:00:00:00:01", 2), 0);
	assert_int_equal(bl_db_client_get(db, "52:54:00:00:00:03", &c), 0);
	assert_int_equal(c.reset, BL_RESET_OFFLINE);
	bl_client_clear(&c);
	assert_int_equal(bl_db_client_get(db, "52:54:00:00:00:01", &c), 0);
	assert_int_equal(c.booted_version, -1);
	bl_client_clear(&c);
	/* desired writes never touch observed rows, and the other way round */
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(bl_db_handle(db), "SELECT disk_image_id, booted_version "
					    "FROM observed o JOIN clients c ON c.id = o.client_id "
					    "WHERE c.mac = '52:54:00:00:00:01'", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 1);
	assert_int_equal(sqlite3_column_int(s, 1), 3);
	sqlite3_finalize(s);
	/* removing a client removes what was observed of it */
	assert_int_equal(bl_db_client_remove(db, "52:54:00:00:00:02"), 0);
	assert_int_equal(sqlite3_prepare_v2(bl_db_handle(db), "SELECT count(*) FROM observed", -1,
					    &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 2);
	sqlite3_finalize(s);
	bl_db_close(db);
}

static void newer_schema_refused(void **state)
{
	struct fx *f = *state;
	struct bl_db *db;

	assert_int_equal(sqlite3_exec(bl_db_handle(f->db), "PRAGMA user_version = 99", NULL, NULL,
				      NULL), SQLITE_OK);
	assert_int_equal(bl_db_open(f->path, 0, NULL, &db), -EPROTO);
	assert_non_null(strstr(bl_last_error(), "newer"));
	assert_int_equal(bl_db_open(f->path, BL_DB_READONLY, NULL, &db), -EPROTO);
	assert_int_equal(sqlite3_exec(bl_db_handle(f->db), "PRAGMA user_version = 2", NULL, NULL,
				      NULL), SQLITE_OK);
}

static void missing_file(void **state)
{
	struct fx *f = *state;
	struct bl_db *db;
	char path[160];

	snprintf(path, sizeof(path), "%s/none.db", f->dir);
	assert_int_equal(bl_db_open(path, 0, NULL, &db), -ENOENT);
	assert_non_null(strstr(bl_last_error(), path));
	assert_int_equal(access(path, F_OK), -1);	/* not created */
}

/* Many processes writing at once: every change lands. */
static void concurrent_writers(void **state)
{
	struct fx *f = *state;
	enum { PROCS = 8, EACH = 25 };

	int64_t id = add_image(f->db, "shared");
	for (int p = 0; p < PROCS; p++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct bl_db *db;
			if (bl_db_open(f->path, 0, NULL, &db) < 0)
				_exit(10);
			for (int i = 0; i < EACH; i++) {
				struct bl_client c = { .image_id = id, .enabled = true };
				snprintf(c.mac, sizeof(c.mac), "52:54:00:00:%02x:%02x", p, i);
				if (bl_db_client_add(db, &c) < 0 ||
				    bl_db_log_event(db, c.mac, "added") < 0) {
					fprintf(stderr, "%s\n", bl_last_error());
					_exit(11);
				}
			}
			bl_db_close(db);
			_exit(0);
		}
	}
	for (int p = 0; p < PROCS; p++) {
		int st;
		assert_true(wait(&st) > 0);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	assert_int_equal(bl_db_image_clients(f->db, id), PROCS * EACH);
	struct bl_event *ev;
	size_t n;
	assert_int_equal(bl_db_list_events(f->db, 0, &ev, &n), PROCS * EACH);
	bl_events_free(ev, n);
}

/* Processes opening one fresh file at once: it is created and migrated exactly once. */
static void concurrent_first_open(void **state)
{
	struct fx *f = *state;
	char path[160];
	enum { PROCS = 8 };

	snprintf(path, sizeof(path), "%s/fresh.db", f->dir);
	for (int p = 0; p < PROCS; p++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct bl_db *db;
			if (bl_db_open(path, BL_DB_CREATE, NULL, &db) < 0) {
				fprintf(stderr, "%s\n", bl_last_error());
				_exit(10);
			}
			int ok = bl_db_schema_version(db) == BL_DB_SCHEMA_VERSION;
			bl_db_close(db);
			_exit(ok ? 0 : 11);
		}
	}
	for (int p = 0; p < PROCS; p++) {
		int st;
		assert_true(wait(&st) > 0);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	struct bl_db *db;
	struct bl_image *imgs;
	size_t n;
	assert_int_equal(bl_db_open(path, 0, NULL, &db), 0);
	assert_int_equal(bl_db_image_list(db, &imgs, &n), 0);
	bl_db_close(db);
}

/* Values are bound, never spliced into SQL: hostile text is stored and read back as is. */
static void hostile_text_round_trips(void **state)
{
	struct fx *f = *state;
	static const char evil[] = "x'); DROP TABLE clients; --\n\"quoted\" \\ %s %n";
	struct bl_client c = { .enabled = true }, back;

	c.image_id = add_image(f->db, "img");
	strcpy(c.mac, "52:54:00:00:00:42");
	c.hostname = (char *)evil;
	assert_int_equal(bl_db_client_add(f->db, &c), 0);
	assert_int_equal(bl_db_client_get(f->db, c.mac, &back), 0);
	assert_string_equal(back.hostname, evil);
	bl_client_clear(&back);
	assert_int_equal(bl_db_log_event(f->db, evil, "%s", evil), 0);
	assert_int_equal(bl_db_image_clients(f->db, c.image_id), 1);	/* table still there */
	assert_int_equal(bl_db_client_get(f->db, evil, &back), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(schema_and_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(admin_group_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(readable_database_tightened, setup, teardown),
		cmocka_unit_test_setup_teardown(images_crud, setup, teardown),
		cmocka_unit_test_setup_teardown(clients_and_links, setup, teardown),
		cmocka_unit_test_setup_teardown(versions_workflow, setup, teardown),
		cmocka_unit_test_setup_teardown(explicit_transaction_rolls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(events, setup, teardown),
		cmocka_unit_test_setup_teardown(migration_from_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(migration_v2_desired_and_observed, setup, teardown),
		cmocka_unit_test_setup_teardown(newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(concurrent_writers, setup, teardown),
		cmocka_unit_test_setup_teardown(concurrent_first_open, setup, teardown),
		cmocka_unit_test_setup_teardown(hostile_text_round_trips, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
