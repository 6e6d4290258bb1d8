/* ops.h - every operation an admin can ask of bootlink, in one library (libblops).
 *
 * Who executes a change: this library, in the process of whoever asks (linkctl, run as root;
 * the web console runs linkctl). It is the one code path that changes the desired state in the
 * database, and with the storage backend (storage.h) the only one that touches images, layers
 * and client disks. The daemon never changes what an admin asked for: it reads the desired
 * state, records what it observed (booted versions, events) and makes LIO and the boot files
 * match; a caller asks it to do so now with the control socket's "reconcile" (linkctl does).
 *
 * Every operation returns 0 or a negative errno with a message naming the object and the
 * cause in bl_last_error(). On success it has logged the change in the event log and left its
 * one-sentence description in o->what (about o->object) for the caller to print.
 *
 * Crash safety: operations that change files and rows together (rename --file, relocate,
 * commit) change the files first in a way the next run completes or undoes, then the rows in
 * one transaction; each says what a crash in between leaves.
 */
#ifndef BL_OPS_H
#define BL_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "db.h"

struct bl_ops {
	const struct bl_config *cfg;
	struct bl_db *db;
	/* Is a client online? 1 yes, 0 no, -1 nobody can tell (linkmgr is not running). */
	int (*online)(void *ctx, const char *mac);
	void *ctx;
	/* Progress of long operations: one line ("restored /srv/images/win10.img"); may be NULL. */
	void (*note)(void *ctx, const char *line);
	/* filled by a successful operation */
	char object[96];	/* "image win10", "client 52:54:00:12:34:56" */
	char what[2048];	/* "image 'win10' added: /srv/images/win10.img (20.0 GiB)" */
};

/* ---- images ---- */
/* Registers file (inside image_dir, a raw disk image) as image name; out (may be NULL) gets
 * the new record (free with bl_image_clear). */
int bl_op_image_add(struct bl_ops *o, const char *name, const char *file, struct bl_image *out);
/* Removes the record (the files stay); -EBUSY while clients link to it unless force, which
 * removes them too. */
int bl_op_image_remove(struct bl_ops *o, const char *name, bool force);
/* Renames; with file also renames the base file (NEW plus the old extension, same directory)
 * together with the record, refused while a client of the image is online. */
int bl_op_image_rename(struct bl_ops *o, const char *name, const char *newname, bool file);
/* Points the image at newpath after a disk or mount change, if the file there has the recorded
 * identity; refused while clients are online unless force. */
int bl_op_image_relocate(struct bl_ops *o, const char *name, const char *newpath, bool force);
/* Makes what the super client wrote the image's new current version; refused while the super
 * client may be online (unless force, when nobody can tell). */
int bl_op_image_commit(struct bl_ops *o, const char *name, bool force);
/* Makes an earlier committed version (0 = the base file) current again. */
int bl_op_image_rollback(struct bl_ops *o, const char *name, int version);

/* ---- clients ---- */
struct bl_client_fields {
	const char *hostname, *ip;		/* NULL: unchanged (set) / none (add); "": none */
	const char *chap_user, *chap_secret;	/* add: NULL for both generates them */
	const enum bl_mode *mode;		/* NULL: unchanged / volatile */
	bool disabled;				/* add only */
};
/* Links mac (any spelling) to image; CHAP credentials generated unless given. */
int bl_op_client_add(struct bl_ops *o, const char *mac, const char *image,
		     const struct bl_client_fields *f);
int bl_op_client_set(struct bl_ops *o, const char *mac, const struct bl_client_fields *f);
/* Links to another image: a fresh disk at its next boot. */
int bl_op_client_link(struct bl_ops *o, const char *mac, const char *image);
/* Discards the client's disk. Refused (-EBUSY) while the client is online unless force. */
int bl_op_client_reset(struct bl_ops *o, const char *mac, bool force);
/* Removes the client and its disk (keep_disk: the disk stays). Refused for a super client. */
int bl_op_client_remove(struct bl_ops *o, const char *mac, bool keep_disk);
int bl_op_client_enable(struct bl_ops *o, const char *mac, bool enabled);
/* Makes mac the super client of its image (it builds the next version), or with cancel
 * discards that version and makes it a normal client again. */
int bl_op_client_super(struct bl_ops *o, const char *mac, bool cancel);

/* ---- backup and restore ---- */
struct bl_backup_file {
	char sum[65];		/* SHA-256, hex */
	uint64_t size;
	int64_t mtime_ns;
	char *rel;		/* path inside the backup */
	char *orig;		/* where it lives on the server ("-" for the database) */
};
struct bl_backup {
	char dir[4096];
	int schema;
	struct bl_backup_file *e;
	size_t n, cap;
	int written, same;	/* restore: files written, files already in place */
};
/* Backs up, while everything runs, the database (a consistent snapshot), every image file and
 * version layer, the configuration and, with overlays, the persistent clients' overlays into
 * dir (which must not exist or be empty); MANIFEST last. out lists the files. */
/* Overlays are snapshotted (reflink); where that is impossible a running client's overlay is
 * refused (-EBUSY, naming it) unless one of: */
enum {
	BL_BACKUP_OFFLINE_ONLY = 1,	/* leave running clients' overlays out (said in ops_say) */
	BL_BACKUP_FORCE = 2,		/* copy them anyway, as they change */
};
int bl_op_backup(struct bl_ops *o, const char *dir, bool overlays, unsigned flags,
		 struct bl_backup *out);
/* Restores: verifies every checksum first, refuses a newer schema, puts back files that are
 * missing (and differing ones with force), the configuration (conf_dst, or conf_dst.restored
 * if one exists and differs), then the database, which *db is reopened on. */
int bl_op_restore(struct bl_ops *o, const char *dir, bool force, const char *conf_dst,
		  struct bl_backup *out, struct bl_db **db);
void bl_backup_free(struct bl_backup *b);

/* Normalizes mac and loads its client (helper for callers and operations). */
int bl_op_client_get(struct bl_ops *o, const char *mac, struct bl_client *out);

#endif
