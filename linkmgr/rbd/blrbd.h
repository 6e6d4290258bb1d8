/* blrbd.h - what bootlink needs from Ceph RBD, and nothing else: one connection to one pool, raw
 * images imported once, a protected snapshot per version, a clone per client disk.
 *
 * Model: an image "win10" holds the base; its versions are snapshots "v0", "v1", ... created and
 * protected by blrbd_snap_create; a client's disk is a clone of one of them. The library knows no
 * clients, links, SCSI or database: names are the caller's.
 *
 * Errors: every int function returns 0 (or a non-negative count) or a negative errno, and on
 * failure leaves a message in a per-thread buffer (blrbd_error()) that names the pool, the image
 * and the cause: "rbd pool 'rbd' image 'pc01': clone of 'win10@v1' failed: No such file or
 * directory (the snapshot does not exist)". Keys are never part of a message.
 *
 * Threads: a struct blrbd may be used from several threads at once (librados and librbd are
 * thread-safe per cluster handle); the error buffer is per thread.
 *
 * Time: every call is bounded by the connection's timeout (struct blrbd_conn.timeout_s), so a
 * cluster that is down gives -ETIMEDOUT (or -ENOTCONN, -ECONNREFUSED) instead of hanging a daemon.
 */
#ifndef BLRBD_H
#define BLRBD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Image features, the same bits as librbd's RBD_FEATURE_* (checked at build time). */
#define BLRBD_FEAT_LAYERING       (1ULL << 0)
#define BLRBD_FEAT_EXCLUSIVE_LOCK (1ULL << 2)
#define BLRBD_FEAT_OBJECT_MAP     (1ULL << 3)
#define BLRBD_FEAT_FAST_DIFF      (1ULL << 4)
#define BLRBD_FEAT_DEEP_FLATTEN   (1ULL << 5)
/* The features bootlink gives its images and clones: layering (clones), exclusive-lock (one
 * writer; a dead gateway's lock is broken and its address blocklisted at failover), object-map and
 * fast-diff (reads of never-written objects of a clone go straight to the parent, usage is read
 * from the map instead of probing every object), deep-flatten (a clone with snapshots of its own,
 * the super client's next version, can be flattened). All of them are understood by the kernel's
 * rbd driver (5.3 and later) as well as by librbd. */
#define BLRBD_FEATURES_DEFAULT                                                                    \
	(BLRBD_FEAT_LAYERING | BLRBD_FEAT_EXCLUSIVE_LOCK | BLRBD_FEAT_OBJECT_MAP |               \
	 BLRBD_FEAT_FAST_DIFF | BLRBD_FEAT_DEEP_FLATTEN)

#define BLRBD_OBJECT_SIZE_MIN (4ULL << 10)
#define BLRBD_OBJECT_SIZE_MAX (32ULL << 20)
#define BLRBD_NAME_MAX 128	/* bootlink's own limit on image and snapshot names */

struct blrbd;

struct blrbd_conn {
	const char *conf;	/* ceph.conf path; NULL: librados' search (CEPH_CONF, /etc/ceph) */
	const char *client_id;	/* cephx user without "client.", e.g. "bootlink-gw"; NULL: admin */
	const char *keyring;	/* NULL: what the configuration names */
	const char *pool;	/* the pool every image lives in */
	unsigned timeout_s;	/* bound on connecting and on each cluster operation; 0: 30 s */
};

struct blrbd_image_opts {
	uint64_t object_size;	/* bytes, a power of two in [MIN, MAX]; 0: 4 MiB (a clone: the parent's) */
	uint64_t features;	/* BLRBD_FEAT_* bits; 0: BLRBD_FEATURES_DEFAULT */
};

struct blrbd_info {
	uint64_t size;		/* bytes */
	uint64_t object_size;	/* bytes */
	uint64_t features;	/* librbd's feature bits as the image has them */
	bool has_parent;
	char parent_pool[BLRBD_NAME_MAX + 1];
	char parent_image[BLRBD_NAME_MAX + 1];
	char parent_snap[BLRBD_NAME_MAX + 1];
};

struct blrbd_usage {
	uint64_t provisioned;	/* the image's size */
	uint64_t used;		/* bytes of objects the image itself holds (for a clone: copied up or
				 * written), not counting its parent; whole objects, as `rbd du` */
};

/* Called with the bytes done and the total; a non-zero return stops the operation (-ECANCELED). */
typedef int (*blrbd_progress_fn)(uint64_t done, uint64_t total, void *arg);

/* The message of the last failure on this thread ("" if none). */
const char *blrbd_error(void);

/* Connects to the cluster and opens the pool. *out is NULL on failure. */
int blrbd_connect(const struct blrbd_conn *c, struct blrbd **out);
void blrbd_close(struct blrbd *r);
const char *blrbd_pool(const struct blrbd *r);

/* 1 if the image exists, 0 if not. */
int blrbd_exists(struct blrbd *r, const char *image);
int blrbd_info(struct blrbd *r, const char *image, struct blrbd_info *out);

/* A new image holding the raw file at path (its size, rounded up to 512 bytes). Runs of
 * all-zero objects are not written, so the image is as sparse as the file's data allows. An image
 * that cannot be completed is removed again. -EEXIST if the image exists. */
int blrbd_import(struct blrbd *r, const char *image, const char *path,
		 const struct blrbd_image_opts *o, blrbd_progress_fn progress, void *arg);

/* Creates snapshot snap of image and protects it (so it can be cloned and cannot be removed
 * while clones exist). A snapshot that exists already is protected if it is not, and 0 returned:
 * a version step that crashed between the two can be redone. */
int blrbd_snap_create(struct blrbd *r, const char *image, const char *snap);
/* Unprotects and removes a snapshot; -EBUSY while clones of it exist. */
int blrbd_snap_remove(struct blrbd *r, const char *image, const char *snap);
/* 1 if the snapshot exists, 0 if not. */
int blrbd_snap_exists(struct blrbd *r, const char *image, const char *snap);
/* Calls fn for each snapshot of image, oldest first; returns the count (fn's non-zero return
 * stops the walk and is returned). */
int blrbd_snap_list(struct blrbd *r, const char *image,
		    int (*fn)(const char *snap, void *arg), void *arg);

/* A clone of parent@snap named child, in the same pool. */
int blrbd_clone(struct blrbd *r, const char *parent, const char *snap, const char *child,
		const struct blrbd_image_opts *o);
/* Calls fn for every clone of image@snap (any pool the key may read); returns the count. */
int blrbd_children(struct blrbd *r, const char *image, const char *snap,
		   int (*fn)(const char *pool, const char *child, void *arg), void *arg);
/* Copies the parent's data into a clone so it no longer depends on the parent's snapshot. */
int blrbd_flatten(struct blrbd *r, const char *image, blrbd_progress_fn progress, void *arg);
/* Removes an image. -ENOTEMPTY while it has snapshots, -EBUSY while a gateway has it open. */
int blrbd_remove(struct blrbd *r, const char *image);
int blrbd_usage(struct blrbd *r, const char *image, struct blrbd_usage *out);

/* Configuration helpers (no cluster needed). */
/* "layering,exclusive-lock,..." (librbd's names, comma-separated; "default") -> bits. */
int blrbd_features_parse(const char *s, uint64_t *out);
/* bits -> "layering,exclusive-lock,..."; returns the length or -ENOSPC. */
int blrbd_features_format(uint64_t features, char *buf, size_t len);
/* Checks an image's options: object size a power of two within the limits, features known and
 * consistent (fast-diff needs object-map, which needs exclusive-lock). */
int blrbd_check_opts(const struct blrbd_image_opts *o);
/* Checks an image or snapshot name: 1..BLRBD_NAME_MAX bytes, no '/', '@' or control bytes. */
int blrbd_check_name(const char *what, const char *name);

#endif
