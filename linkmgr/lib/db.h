/* The bootlink database: images, their version layers, clients (MAC links) and an event log.
 *
 * One SQLite file, written by linkctl (many processes at once) and by linkmgr (booted_version,
 * reset requests, events). WAL mode, foreign keys on, a busy timeout, and every write in a
 * BEGIN IMMEDIATE transaction: concurrent writers queue instead of failing or losing changes.
 * The file is created 0600 (0640 root:<admin_group> when bl_db_open is given a group) because it
 * holds CHAP secrets.
 *
 * Model (the contract between linkctl and linkmgr):
 * - An image is a read-only base file plus an ordered chain of version layers. Clients refer to
 *   the image id, never to a path or name, so renames and relocations never break a link.
 * - Versions are numbered 1, 2, ... per image; version 0 is the base file alone. Each version has
 *   a parent (the version it was built on), so after a rollback a new version can branch off an
 *   older one. images.current_version is what clients boot next.
 * - A super client (role BL_ROLE_SUPER, at most one per image) writes into a version in state
 *   BL_VERSION_BUILDING whose parent is the image's current version. linkmgr gives it an overlay
 *   on that parent chain and keeps it across boots (whatever its mode). `linkctl image commit`
 *   turns the super client's overlay into the read-only layer file <layer_dir>/<id>-v<N>.layer,
 *   marks the version committed, sets current_version = N and the client back to normal.
 * - booted_version is the version a client's existing overlay sits on (-1: no overlay yet); only
 *   linkmgr writes it, when it (re)creates the overlay. A volatile client whose booted_version
 *   differs from current_version is moved by linkmgr at a moment it is offline (never under a
 *   running session). A persistent client stays on booted_version until `linkctl client reset`;
 *   status shows "update pending".
 * - reset is a request from linkctl that linkmgr carries out: BL_RESET_OFFLINE when the client
 *   is next offline, BL_RESET_NOW even if it is online (admin said --force). linkmgr clears it
 *   with bl_db_set_booted_version() after recreating the overlay.
 *
 * Errors: functions return 0 (or a count) or a negative errno and leave a message in
 * bl_last_error() (error.h). -ENOENT: no such object; -EEXIST: unique name/MAC taken;
 * -EBUSY: refused because of dependent objects or state; -EPROTO: schema newer than this build.
 */
#ifndef BL_DB_H
#define BL_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BL_DB_SCHEMA_VERSION 4

struct bl_db;

enum bl_mode { BL_MODE_VOLATILE = 0, BL_MODE_PERSISTENT = 1 };
enum bl_role { BL_ROLE_NORMAL = 0, BL_ROLE_SUPER = 1 };
enum bl_version_state { BL_VERSION_BUILDING = 0, BL_VERSION_COMMITTED = 1 };
enum bl_reset { BL_RESET_NONE = 0, BL_RESET_OFFLINE = 1, BL_RESET_NOW = 2 };

struct bl_image {
	int64_t id;
	char *name;
	char *path;		/* base file, absolute */
	char *identity;		/* engine identity string of the base file (opaque here) */
	uint64_t size;		/* bytes */
	int current_version;	/* 0 = base file only */
	int64_t created;	/* unix seconds */
};

struct bl_version {
	int64_t id;
	int64_t image_id;
	int number;		/* 1, 2, ... */
	int parent;		/* version it was built on, 0 = base file */
	char *layer_path;	/* <layer_dir>/<image-id>-v<N>.layer */
	char *identity;		/* of the committed layer file; NULL while building */
	enum bl_version_state state;
	int64_t created, committed;	/* unix seconds; committed = 0 while building */
};

struct bl_client {
	int64_t id;
	char mac[18];		/* aa:bb:cc:dd:ee:ff */
	char *hostname;		/* NULL = none */
	char *ip;		/* dotted quad, NULL = dynamic */
	int64_t image_id;
	enum bl_mode mode;
	bool enabled;
	char *chap_user, *chap_secret;	/* both NULL = no CHAP credentials */
	enum bl_role role;
	int booted_version;	/* -1 = no overlay yet */
	enum bl_reset reset;
	int64_t created;
	bool rebuild_pending;	/* observed: a backstore rebuild not yet confirmed by configfs */
};

/* One step of a layer chain, bottom (oldest) first. */
struct bl_layer {
	int number;
	char *path;
	char *identity;
};

/* Everything the planner needs for one client. */
struct bl_link {
	struct bl_client client;
	char *image_name;
	char *base_path;
	char *base_identity;	/* as recorded at `image add` */
	uint64_t size;
	int current_version;
	/* chain for current_version (layers 1..current following parents), bottom first */
	struct bl_layer *chain;
	size_t n_chain;
	/* super client only: the version it is building (parent = current_version); else NULL */
	struct bl_version *building;
	/* set when the rows behind this link are damaged (a broken version chain): why it cannot
	 * be served. The other links load regardless. */
	char *problem;
};

struct bl_event {
	int64_t id;
	int64_t ts;
	char *object;
	char *message;
};

/* ---- opening ---- */

enum {
	BL_DB_CREATE = 1,	/* create the file (0600, or 0640 with group) if missing */
	BL_DB_READONLY = 2,	/* open read-only; never migrates */
};

/* Opens (and with BL_DB_CREATE creates) the database and migrates the schema to
 * BL_DB_SCHEMA_VERSION. group: admin group name for a 0640 root:group file, NULL for 0600.
 * Refuses (-EPROTO) a file whose schema is newer than this build. */
int bl_db_open(const char *path, int flags, const char *group, struct bl_db **out);
void bl_db_close(struct bl_db *db);
/* The path and admin group the database was opened with (group: NULL for none). */
const char *bl_db_path(const struct bl_db *db);
const char *bl_db_group(const struct bl_db *db);
/* The schema version stored in the file (PRAGMA user_version). */
int bl_db_schema_version(struct bl_db *db);
/* A consistent snapshot of the open database into a new standalone file (SQLite's online
 * backup: writers keep going). */
int bl_db_backup_to(struct bl_db *db, const char *path);
/* Replaces the database file dst with a copy of the database file src (restore), through
 * SQLite so that a live dst's WAL and readers stay consistent. */
int bl_db_copy_file(const char *src, const char *dst);
/* The schema version of a database file, read without changing it; <0 if unreadable. */
int bl_db_file_schema(const char *path);
/* Does the database file `other` hold other images, versions or clients than db? 1 yes (also
 * for another schema), 0 no, -ENODATA when db has no image and no client (a fresh server). */
int bl_db_differs(struct bl_db *db, const char *other);

/* Explicit transactions for multi-step changes (linkctl's image commit/rename). begin takes the
 * write lock at once (BEGIN IMMEDIATE). The single-call writers below each run in their own
 * transaction unless one is open. */
int bl_db_begin(struct bl_db *db);
int bl_db_commit(struct bl_db *db);
void bl_db_rollback(struct bl_db *db);

/* ---- what linkmgr consumes ---- */

/* All clients (enabled or not) with their image and layer chains, ordered by MAC.
 * Free with bl_links_free. */
int bl_db_load_links(struct bl_db *db, struct bl_link **out, size_t *n);
void bl_links_free(struct bl_link *links, size_t n);
/* linkmgr (re)created mac's overlay on `version`: records it and clears any reset request. */
int bl_db_set_booted_version(struct bl_db *db, const char *mac, int version);
/* linkmgr decided to rebuild mac's backstore (pending = true, before it applies it) or
 * configfs confirmed the rebuild (false). */
int bl_db_set_rebuild_pending(struct bl_db *db, const char *mac, bool pending);
int bl_db_log_event(struct bl_db *db, const char *object, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Newest first; limit 0 = all. */
int bl_db_list_events(struct bl_db *db, size_t limit, struct bl_event **out, size_t *n);
void bl_events_free(struct bl_event *ev, size_t n);

/* Chain of layers for `version` of an image (0 = empty chain), bottom first. */
int bl_db_version_chain(struct bl_db *db, int64_t image_id, int version,
			struct bl_layer **out, size_t *n);
void bl_layers_free(struct bl_layer *l, size_t n);

/* ---- images ---- */

/* Adds an image; fills img->id and created. Name/path must already be validated. */
int bl_db_image_add(struct bl_db *db, struct bl_image *img);
int bl_db_image_get(struct bl_db *db, const char *name, struct bl_image *out);
int bl_db_image_get_id(struct bl_db *db, int64_t id, struct bl_image *out);
int bl_db_image_list(struct bl_db *db, struct bl_image **out, size_t *n);
/* Clients linked to the image. */
int bl_db_image_clients(struct bl_db *db, int64_t image_id);
/* -EBUSY while clients link to it unless force, which removes those clients too. */
int bl_db_image_remove(struct bl_db *db, const char *name, bool force);
int bl_db_image_rename(struct bl_db *db, const char *old_name, const char *new_name);
/* New base path (and identity/size as found there). */
int bl_db_image_set_path(struct bl_db *db, int64_t id, const char *path,
			 const char *identity, uint64_t size);
int bl_db_image_set_current(struct bl_db *db, int64_t id, int version);
void bl_image_clear(struct bl_image *img);
void bl_images_free(struct bl_image *imgs, size_t n);

/* ---- versions ---- */

int bl_db_versions(struct bl_db *db, int64_t image_id, struct bl_version **out, size_t *n);
/* The version in state building, -ENOENT if none. */
int bl_db_version_building(struct bl_db *db, int64_t image_id, struct bl_version *out);
/* Adds a building version numbered max+1 on top of current_version; layer path computed from
 * layer_dir. Fills out. -EBUSY if one is already building. */
int bl_db_version_start(struct bl_db *db, int64_t image_id, const char *layer_dir,
			struct bl_version *out);
int bl_db_version_set_committed(struct bl_db *db, int64_t version_id, const char *identity);
int bl_db_version_delete(struct bl_db *db, int64_t version_id);
/* Updates a layer's path (relocation of the layer dir). */
int bl_db_version_set_path(struct bl_db *db, int64_t version_id, const char *path);
void bl_version_clear(struct bl_version *v);
void bl_versions_free(struct bl_version *v, size_t n);

/* ---- clients ---- */

/* Adds a client (mac normalized, other fields validated); fills c->id and created. */
int bl_db_client_add(struct bl_db *db, struct bl_client *c);
int bl_db_client_get(struct bl_db *db, const char *mac, struct bl_client *out);
int bl_db_client_list(struct bl_db *db, struct bl_client **out, size_t *n);
int bl_db_client_remove(struct bl_db *db, const char *mac);
/* Links to another image: booted_version becomes -1 (new overlay on the new image). */
int bl_db_client_link(struct bl_db *db, const char *mac, int64_t image_id);
int bl_db_client_set_enabled(struct bl_db *db, const char *mac, bool enabled);
int bl_db_client_set_role(struct bl_db *db, const char *mac, enum bl_role role);
int bl_db_client_set_reset(struct bl_db *db, const char *mac, enum bl_reset reset);
/* Updates hostname, ip, mode, chap (all fields of c except id/mac/image/role/booted). */
int bl_db_client_update(struct bl_db *db, const struct bl_client *c);
/* The clients linked to an image, ordered by MAC. */
int bl_db_image_client_list(struct bl_db *db, int64_t image_id, struct bl_client **out,
			    size_t *n);
/* The super client of an image, -ENOENT if none. */
int bl_db_image_super(struct bl_db *db, int64_t image_id, struct bl_client *out);
void bl_client_clear(struct bl_client *c);
void bl_clients_free(struct bl_client *c, size_t n);

#endif
