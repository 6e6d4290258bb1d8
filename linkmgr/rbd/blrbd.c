/* blrbd.c - blrbd.h on librados/librbd.
 *
 * Every call opens the image it works on and closes it again: the library is for control
 * operations (a few per client boot or admin command), and an image left open would hold a watch,
 * which makes `rbd rm` by anyone else fail with EBUSY and, with exclusive-lock, could keep the
 * lock from the gateway that serves the image. Images are opened read-only wherever the
 * operation allows it, so that no call here ever takes a serving gateway's exclusive lock away;
 * operations that write metadata (snapshots, flatten) go to the lock owner by librbd's own
 * notifications when a gateway has the image open.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <rados/librados.h>
#include <rbd/librbd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

_Static_assert(BLRBD_FEAT_LAYERING == RBD_FEATURE_LAYERING, "feature bits match librbd");
_Static_assert(BLRBD_FEAT_EXCLUSIVE_LOCK == RBD_FEATURE_EXCLUSIVE_LOCK, "feature bits match librbd");
_Static_assert(BLRBD_FEAT_OBJECT_MAP == RBD_FEATURE_OBJECT_MAP, "feature bits match librbd");
_Static_assert(BLRBD_FEAT_FAST_DIFF == RBD_FEATURE_FAST_DIFF, "feature bits match librbd");
_Static_assert(BLRBD_FEAT_DEEP_FLATTEN == RBD_FEATURE_DEEP_FLATTEN, "feature bits match librbd");

/* Ceph reports a blocklisted client as ESHUTDOWN (its EBLOCKLISTED), not in the public headers. */
#ifndef EBLOCKLISTED
#define EBLOCKLISTED ESHUTDOWN
#endif

struct blrbd {
	rados_t cluster;
	rados_ioctx_t io;
	char pool[BLRBD_NAME_MAX + 1];
	char client[BLRBD_NAME_MAX + 8];
	unsigned timeout_s;
};

/* A hint after the errno's text for the causes an admin meets. */
static const char *hint(const struct blrbd *r, int err)
{
	static _Thread_local char buf[200];

	switch (err) {
	case -EACCES:
	case -EPERM:
		snprintf(buf, sizeof(buf), " (the key of %s lacks a capability for this)",
			 r ? r->client : "the client");
		return buf;
	case -ETIMEDOUT:
		snprintf(buf, sizeof(buf), " (the cluster did not answer within %u s)",
			 r ? r->timeout_s : 0);
		return buf;
	case -EBLOCKLISTED:
		return " (this client's address is blocklisted by the cluster)";
	default:
		return "";
	}
}

/* fail_img(r, err, image, "clone of '%s@%s' failed", ...): the message names pool and image. */
static int fail_img(const struct blrbd *r, int err, const char *image, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail_img(const struct blrbd *r, int err, const char *image, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return blrbd_fail(err, "rbd pool '%s' image '%s': %s: %s%s", r->pool, image, what,
			  strerror(-err), hint(r, err));
}

int blrbd_connect(const struct blrbd_conn *c, struct blrbd **out)
{
	struct blrbd *r;
	char tmo[16];
	int rc;

	*out = NULL;
	blrbd_clear_error();
	if ((rc = blrbd_check_name("pool", c->pool)) < 0)
		return rc;
	if (c->client_id && (rc = blrbd_check_name("client id", c->client_id)) < 0)
		return rc;
	r = calloc(1, sizeof(*r));
	if (!r)
		return blrbd_fail(-ENOMEM, "rbd pool '%s': out of memory", c->pool);
	snprintf(r->pool, sizeof(r->pool), "%s", c->pool);
	snprintf(r->client, sizeof(r->client), "client.%s", c->client_id ? c->client_id : "admin");
	r->timeout_s = c->timeout_s ? c->timeout_s : 30;

	rc = rados_create2(&r->cluster, "ceph", r->client, 0);
	if (rc < 0) {
		blrbd_fail(rc, "rbd pool '%s': cannot make a cluster handle for %s: %s", r->pool,
			   r->client, strerror(-rc));
		free(r);
		return rc;
	}
	rc = rados_conf_read_file(r->cluster, c->conf);
	if (rc < 0) {
		blrbd_fail(rc, "rbd pool '%s': cannot read the Ceph configuration %s: %s", r->pool,
			   c->conf ? c->conf : "(default search: $CEPH_CONF, /etc/ceph/ceph.conf)",
			   strerror(-rc));
		goto fail;
	}
	if (c->keyring && (rc = rados_conf_set(r->cluster, "keyring", c->keyring)) < 0) {
		blrbd_fail(rc, "rbd pool '%s': keyring %s: %s", r->pool, c->keyring, strerror(-rc));
		goto fail;
	}
	/* Without these, librados waits 300 s for monitors and forever for OSDs: a cluster that
	 * is down would hang whoever called us (linkmgr's reconcile, linkctl). */
	snprintf(tmo, sizeof(tmo), "%u", r->timeout_s);
	if ((rc = rados_conf_set(r->cluster, "client_mount_timeout", tmo)) < 0 ||
	    (rc = rados_conf_set(r->cluster, "rados_mon_op_timeout", tmo)) < 0 ||
	    (rc = rados_conf_set(r->cluster, "rados_osd_op_timeout", tmo)) < 0) {
		blrbd_fail(rc, "rbd pool '%s': cannot set the timeouts: %s", r->pool, strerror(-rc));
		goto fail;
	}
	rc = rados_connect(r->cluster);
	if (rc < 0) {
		blrbd_fail(rc, "rbd pool '%s': cannot connect to the cluster as %s (configuration %s): "
			   "%s%s", r->pool, r->client, c->conf ? c->conf : "default",
			   strerror(-rc), rc == -EACCES || rc == -EPERM ?
			   " (wrong key, or no key for this client in the keyring)" : hint(r, rc));
		goto fail;
	}
	rc = rados_ioctx_create(r->cluster, r->pool, &r->io);
	if (rc < 0) {
		blrbd_fail(rc, "rbd pool '%s': cannot open the pool: %s%s", r->pool, strerror(-rc),
			   rc == -ENOENT ? " (no such pool)" : hint(r, rc));
		goto fail;
	}
	*out = r;
	return 0;
fail:
	rados_shutdown(r->cluster);
	free(r);
	return rc;
}

void blrbd_close(struct blrbd *r)
{
	if (!r)
		return;
	rados_ioctx_destroy(r->io);
	rados_shutdown(r->cluster);
	free(r);
}

const char *blrbd_pool(const struct blrbd *r)
{
	return r->pool;
}

/* Opens image (at snap if not NULL); the message says what the image was opened for. */
static int open_image(struct blrbd *r, const char *image, const char *snap, bool ro,
		      rbd_image_t *img, const char *what)
{
	int rc;

	if ((rc = blrbd_check_name("image", image)) < 0)
		return rc;
	if (snap && (rc = blrbd_check_name("snapshot", snap)) < 0)
		return rc;
	rc = ro ? rbd_open_read_only(r->io, image, img, snap) : rbd_open(r->io, image, img, snap);
	if (rc == -ENOENT && snap && rbd_open_read_only(r->io, image, img, NULL) == 0) {
		rbd_close(*img);
		return fail_img(r, rc, image, "%s: there is no snapshot '%s'", what, snap);
	}
	if (rc == -ENOENT)
		return fail_img(r, rc, image, "%s: the image does not exist", what);
	if (rc < 0)
		return fail_img(r, rc, image, "%s: cannot open it", what);
	return 0;
}

int blrbd_exists(struct blrbd *r, const char *image)
{
	rbd_image_t img;
	int rc;

	blrbd_clear_error();
	if ((rc = blrbd_check_name("image", image)) < 0)
		return rc;
	rc = rbd_open_read_only(r->io, image, &img, NULL);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return fail_img(r, rc, image, "cannot tell whether it exists");
	rbd_close(img);
	return 1;
}

int blrbd_info(struct blrbd *r, const char *image, struct blrbd_info *out)
{
	rbd_linked_image_spec_t parent;
	rbd_snap_spec_t psnap;
	rbd_image_info_t st;
	rbd_image_t img;
	int rc;

	blrbd_clear_error();
	memset(out, 0, sizeof(*out));
	if ((rc = open_image(r, image, NULL, true, &img, "info")) < 0)
		return rc;
	if ((rc = rbd_stat(img, &st, sizeof(st))) < 0 ||
	    (rc = rbd_get_features(img, &out->features)) < 0) {
		fail_img(r, rc, image, "cannot read its header");
		goto out;
	}
	out->size = st.size;
	out->object_size = st.obj_size;
	rc = rbd_get_parent(img, &parent, &psnap);
	if (rc == 0) {
		out->has_parent = true;
		snprintf(out->parent_pool, sizeof(out->parent_pool), "%s", parent.pool_name);
		snprintf(out->parent_image, sizeof(out->parent_image), "%s", parent.image_name);
		snprintf(out->parent_snap, sizeof(out->parent_snap), "%s", psnap.name);
		rbd_linked_image_spec_cleanup(&parent);
		rbd_snap_spec_cleanup(&psnap);
	} else if (rc != -ENOENT) {
		fail_img(r, rc, image, "cannot read its parent");
		goto out;
	}
	rc = 0;
out:
	rbd_close(img);
	return rc;
}

static int create_opts(const struct blrbd_image_opts *o, bool clone, rbd_image_options_t *opts)
{
	uint64_t features = o && o->features ? o->features : BLRBD_FEATURES_DEFAULT;
	int rc;

	rbd_image_options_create(opts);
	if ((rc = rbd_image_options_set_uint64(*opts, RBD_IMAGE_OPTION_FORMAT, 2)) < 0 ||
	    (rc = rbd_image_options_set_uint64(*opts, RBD_IMAGE_OPTION_FEATURES, features)) < 0)
		goto fail;
	/* A clone without an object size takes the parent's (librbd's rule); an image, 4 MiB.
	 * A clone given another size must be given a matching stripe unit too: librbd would keep
	 * the parent's, and a stripe unit larger than the object is invalid. */
	if (o && o->object_size) {
		if ((rc = rbd_image_options_set_uint64(*opts, RBD_IMAGE_OPTION_ORDER,
						       (uint64_t)blrbd_order(o->object_size))) < 0 ||
		    (rc = rbd_image_options_set_uint64(*opts, RBD_IMAGE_OPTION_STRIPE_UNIT,
						       o->object_size)) < 0)
			goto fail;
		rc = rbd_image_options_set_uint64(*opts, RBD_IMAGE_OPTION_STRIPE_COUNT, 1);
	} else if (!clone)
		rc = rbd_image_options_set_uint64(*opts, RBD_IMAGE_OPTION_ORDER, 22);
	if (rc < 0)
		goto fail;
	return 0;
fail:
	rbd_image_options_destroy(*opts);
	return rc;
}

/* Import: a ring of buffers, each read from the file and written as aio writes of its runs of
 * non-zero objects, so reading the file and writing to the OSDs overlap. */
#define IMPORT_SLOTS 4
#define IMPORT_CHUNK (4u << 20)

struct import_slot {
	unsigned char *buf;
	rbd_completion_t *c;	/* up to chunk/object_size writes in flight from this buffer */
	size_t nc;
	uint64_t off;
};

static int slot_wait(struct import_slot *s)
{
	int rc = 0;

	for (size_t i = 0; i < s->nc; i++) {
		rbd_aio_wait_for_complete(s->c[i]);
		ssize_t ret = rbd_aio_get_return_value(s->c[i]);
		if (ret < 0 && rc == 0)
			rc = (int)ret;
		rbd_aio_release(s->c[i]);
	}
	s->nc = 0;
	return rc;
}

static int import_data(struct blrbd *r, const char *image, const char *path, int fd,
		       uint64_t fsize, uint64_t objsize, blrbd_progress_fn progress, void *arg)
{
	size_t chunk = objsize > IMPORT_CHUNK ? (size_t)objsize : IMPORT_CHUNK;
	struct import_slot slots[IMPORT_SLOTS] = { 0 };
	rbd_image_t img;
	uint64_t off;
	int rc, k = 0;

	if ((rc = open_image(r, image, NULL, false, &img, "import")) < 0)
		return rc;
	for (int i = 0; i < IMPORT_SLOTS; i++) {
		slots[i].buf = malloc(chunk);
		slots[i].c = calloc(chunk / objsize + 1, sizeof(rbd_completion_t));
		if (!slots[i].buf || !slots[i].c) {
			rc = fail_img(r, -ENOMEM, image, "import of %s", path);
			goto out;
		}
	}
	for (off = 0; off < fsize; off += chunk, k = (k + 1) % IMPORT_SLOTS) {
		struct import_slot *s = &slots[k];
		size_t len = fsize - off < chunk ? (size_t)(fsize - off) : chunk, got = 0, pos = 0, run;

		if ((rc = slot_wait(s)) < 0) {
			fail_img(r, rc, image, "import of %s: write at byte %llu failed", path,
				 (unsigned long long)s->off);
			goto out;
		}
		while (got < len) {
			ssize_t n = pread(fd, s->buf + got, len - got, (off_t)(off + got));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				rc = fail_img(r, n < 0 ? -errno : -EIO, image,
					      "import of %s: read at byte %llu failed%s", path,
					      (unsigned long long)(off + got), n == 0 ? " (file shrank)" : "");
				goto out;
			}
			got += (size_t)n;
		}
		s->off = off;
		/* The image's objects start at 0 and chunk is a multiple of objsize, so pieces of
		 * objsize here are whole objects: an all-zero one is left unwritten (it reads as
		 * zeros). */
		while ((run = blrbd_next_data_run(s->buf, len, (size_t)objsize, &pos)) > 0) {
			rbd_completion_t *c = &s->c[s->nc];
			if ((rc = rbd_aio_create_completion(NULL, NULL, c)) < 0) {
				fail_img(r, rc, image, "import of %s", path);
				goto out;
			}
			rc = rbd_aio_write(img, off + pos, run, (const char *)s->buf + pos, *c);
			if (rc < 0) {
				rbd_aio_release(*c);
				fail_img(r, rc, image, "import of %s: write at byte %llu failed", path,
					 (unsigned long long)(off + pos));
				goto out;
			}
			s->nc++;
			pos += run;
		}
		if (progress && progress(off + len, fsize, arg) != 0) {
			rc = fail_img(r, -ECANCELED, image, "import of %s: stopped by the caller", path);
			goto out;
		}
	}
	rc = 0;
out:
	for (int i = 0; i < IMPORT_SLOTS; i++) {
		int wrc = slot_wait(&slots[i]);
		if (wrc < 0 && rc == 0)
			rc = fail_img(r, wrc, image, "import of %s: a write failed", path);
		free(slots[i].buf);
		free(slots[i].c);
	}
	if (rc == 0 && (rc = rbd_flush(img)) < 0)
		fail_img(r, rc, image, "import of %s: flush failed", path);
	rbd_close(img);
	return rc;
}

int blrbd_import(struct blrbd *r, const char *image, const char *path,
		 const struct blrbd_image_opts *o, blrbd_progress_fn progress, void *arg)
{
	rbd_image_options_t opts;
	struct stat st;
	uint64_t size, objsize;
	int fd, rc;

	blrbd_clear_error();
	if ((rc = blrbd_check_name("image", image)) < 0 || (rc = blrbd_check_opts(o)) < 0)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail_img(r, -errno, image, "import: cannot open %s", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		rc = fail_img(r, -EINVAL, image, "import: %s is not a non-empty regular file", path);
		goto out;
	}
	size = ((uint64_t)st.st_size + 511) & ~511ULL;
	objsize = o && o->object_size ? o->object_size : 4ULL << 20;
	if ((rc = create_opts(o, false, &opts)) < 0) {
		fail_img(r, rc, image, "import: image options");
		goto out;
	}
	rc = rbd_create4(r->io, image, size, opts);
	rbd_image_options_destroy(opts);
	if (rc == -EEXIST) {
		rc = fail_img(r, rc, image, "import of %s: the image exists already", path);
		goto out;
	}
	if (rc < 0) {
		fail_img(r, rc, image, "import of %s: cannot create the image", path);
		goto out;
	}
	rc = import_data(r, image, path, fd, (uint64_t)st.st_size, objsize, progress, arg);
	if (rc < 0) {
		/* Keep the first failure's message: removing is only clean-up. */
		char msg[1024];
		snprintf(msg, sizeof(msg), "%s", blrbd_error());
		int rrc = rbd_remove(r->io, image);
		blrbd_fail(rc, "%s%s", msg, rrc < 0 ? "; the partial image could not be removed" :
			   "; the partial image was removed");
	}
out:
	close(fd);
	return rc;
}

int blrbd_snap_exists(struct blrbd *r, const char *image, const char *snap)
{
	rbd_image_t img;
	bool exists = false;
	int rc;

	blrbd_clear_error();
	if ((rc = blrbd_check_name("snapshot", snap)) < 0)
		return rc;
	if ((rc = open_image(r, image, NULL, true, &img, "snapshot lookup")) < 0)
		return rc;
	rc = rbd_snap_exists(img, snap, &exists);
	rbd_close(img);
	if (rc < 0)
		return fail_img(r, rc, image, "cannot look up snapshot '%s'", snap);
	return exists ? 1 : 0;
}

int blrbd_snap_create(struct blrbd *r, const char *image, const char *snap)
{
	rbd_image_t img;
	bool exists = false;
	int prot = 0, rc;

	blrbd_clear_error();
	if ((rc = blrbd_check_name("snapshot", snap)) < 0)
		return rc;
	if ((rc = open_image(r, image, NULL, false, &img, "snapshot")) < 0)
		return rc;
	if ((rc = rbd_snap_exists(img, snap, &exists)) < 0) {
		fail_img(r, rc, image, "cannot look up snapshot '%s'", snap);
		goto out;
	}
	/* No quiesce round: nothing that watches a bootlink image runs quiesce hooks, and the
	 * gateway's own writes are what the snapshot is meant to hold. */
	if (!exists && (rc = rbd_snap_create2(img, snap, RBD_SNAP_CREATE_SKIP_QUIESCE, NULL, NULL)) < 0) {
		fail_img(r, rc, image, "cannot create snapshot '%s'", snap);
		goto out;
	}
	if ((rc = rbd_snap_is_protected(img, snap, &prot)) < 0) {
		fail_img(r, rc, image, "snapshot '%s': cannot read its protection", snap);
		goto out;
	}
	if (!prot && (rc = rbd_snap_protect(img, snap)) < 0) {
		fail_img(r, rc, image, "cannot protect snapshot '%s'", snap);
		goto out;
	}
	rc = 0;
out:
	rbd_close(img);
	return rc;
}

int blrbd_snap_remove(struct blrbd *r, const char *image, const char *snap)
{
	rbd_image_t img;
	int prot = 0, rc;

	blrbd_clear_error();
	if ((rc = open_image(r, image, snap, true, &img, "snapshot removal")) < 0)
		return rc;
	/* The snapshot was opened to check it exists; the head is what changes its list. */
	rbd_close(img);
	if ((rc = open_image(r, image, NULL, false, &img, "snapshot removal")) < 0)
		return rc;
	if ((rc = rbd_snap_is_protected(img, snap, &prot)) < 0) {
		fail_img(r, rc, image, "snapshot '%s': cannot read its protection", snap);
		goto out;
	}
	if (prot && (rc = rbd_snap_unprotect(img, snap)) < 0) {
		fail_img(r, rc, image, "cannot unprotect snapshot '%s'%s", snap,
			 rc == -EBUSY ? " (clones of it exist)" : "");
		goto out;
	}
	if ((rc = rbd_snap_remove(img, snap)) < 0)
		fail_img(r, rc, image, "cannot remove snapshot '%s'", snap);
out:
	rbd_close(img);
	return rc;
}

static int by_id(const void *a, const void *b)
{
	const rbd_snap_info_t *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int blrbd_snap_list(struct blrbd *r, const char *image,
		    int (*fn)(const char *snap, void *arg), void *arg)
{
	rbd_snap_info_t *snaps = NULL;
	rbd_image_t img;
	int max = 16, n, rc;

	blrbd_clear_error();
	if ((rc = open_image(r, image, NULL, true, &img, "snapshot list")) < 0)
		return rc;
	for (;;) {
		rbd_snap_info_t *s = realloc(snaps, (size_t)max * sizeof(*snaps));
		if (!s) {
			rc = fail_img(r, -ENOMEM, image, "snapshot list");
			goto out;
		}
		snaps = s;
		n = rbd_snap_list(img, snaps, &max);
		if (n != -ERANGE)
			break;
	}
	if (n < 0) {
		rc = fail_img(r, n, image, "cannot list its snapshots");
		goto out;
	}
	qsort(snaps, (size_t)n, sizeof(*snaps), by_id);
	rc = n;
	for (int i = 0; i < n; i++) {
		int frc = fn(snaps[i].name, arg);
		if (frc != 0) {
			rc = frc;
			break;
		}
	}
	rbd_snap_list_end(snaps);
out:
	free(snaps);
	rbd_close(img);
	return rc;
}

int blrbd_clone(struct blrbd *r, const char *parent, const char *snap, const char *child,
		const struct blrbd_image_opts *o)
{
	rbd_image_options_t opts;
	int rc;

	blrbd_clear_error();
	if ((rc = blrbd_check_name("image", parent)) < 0 ||
	    (rc = blrbd_check_name("snapshot", snap)) < 0 ||
	    (rc = blrbd_check_name("image", child)) < 0 || (rc = blrbd_check_opts(o)) < 0)
		return rc;
	if ((rc = create_opts(o, true, &opts)) < 0)
		return fail_img(r, rc, child, "clone: image options");
	rc = rbd_clone3(r->io, parent, snap, r->io, child, opts);
	rbd_image_options_destroy(opts);
	if (rc == 0)
		return 0;
	if (rc == -EEXIST)
		return fail_img(r, rc, child, "clone of '%s@%s' failed: the image exists already",
				parent, snap);
	if (rc == -ENOENT) {
		int e = blrbd_exists(r, parent);
		return fail_img(r, rc, child, "clone of '%s@%s' failed (%s)", parent, snap,
				e == 0 ? "the parent image does not exist" :
				e == 1 ? "the parent has no such snapshot" : blrbd_error());
	}
	if (rc == -EINVAL)
		return fail_img(r, rc, child, "clone of '%s@%s' failed (is the snapshot protected, "
				"does the parent have layering?)", parent, snap);
	return fail_img(r, rc, child, "clone of '%s@%s' failed", parent, snap);
}

int blrbd_children(struct blrbd *r, const char *image, const char *snap,
		   int (*fn)(const char *pool, const char *child, void *arg), void *arg)
{
	rbd_linked_image_spec_t *kids = NULL;
	rbd_image_t img;
	size_t max = 16;
	int n, rc;

	blrbd_clear_error();
	if ((rc = open_image(r, image, snap, true, &img, "children list")) < 0)
		return rc;
	for (;;) {
		rbd_linked_image_spec_t *k = realloc(kids, max * sizeof(*kids));
		if (!k) {
			rc = fail_img(r, -ENOMEM, image, "children of '%s'", snap);
			goto out;
		}
		kids = k;
		n = rbd_list_children3(img, kids, &max);
		if (n != -ERANGE)
			break;
	}
	if (n < 0) {
		rc = fail_img(r, n, image, "cannot list the clones of snapshot '%s'", snap);
		goto out;
	}
	rc = 0;
	for (size_t i = 0; i < max; i++) {
		if (kids[i].trash)
			continue;	/* removed, only waiting for deferred deletion */
		int frc = fn(kids[i].pool_name, kids[i].image_name, arg);
		if (frc != 0) {
			rc = frc;
			break;
		}
		rc++;
	}
	rbd_linked_image_spec_list_cleanup(kids, max);
out:
	free(kids);
	rbd_close(img);
	return rc;
}

int blrbd_flatten(struct blrbd *r, const char *image, blrbd_progress_fn progress, void *arg)
{
	rbd_linked_image_spec_t parent;
	rbd_snap_spec_t psnap;
	rbd_image_t img;
	int rc;

	blrbd_clear_error();
	if ((rc = open_image(r, image, NULL, false, &img, "flatten")) < 0)
		return rc;
	rc = rbd_get_parent(img, &parent, &psnap);
	if (rc == -ENOENT) {
		rc = 0;	/* nothing to copy: it already stands alone */
		goto out;
	}
	if (rc < 0) {
		fail_img(r, rc, image, "flatten: cannot read its parent");
		goto out;
	}
	rbd_linked_image_spec_cleanup(&parent);
	rbd_snap_spec_cleanup(&psnap);
	rc = rbd_flatten_with_progress(img, progress, arg);
	if (rc < 0)
		fail_img(r, rc, image, "flatten failed%s",
			 rc == -ECANCELED ? " (stopped by the caller)" : "");
out:
	rbd_close(img);
	return rc;
}

int blrbd_remove(struct blrbd *r, const char *image)
{
	int rc;

	blrbd_clear_error();
	if ((rc = blrbd_check_name("image", image)) < 0)
		return rc;
	rc = rbd_remove(r->io, image);
	if (rc == 0)
		return 0;
	if (rc == -ENOENT)
		return fail_img(r, rc, image, "remove: the image does not exist");
	if (rc == -ENOTEMPTY)
		return fail_img(r, rc, image, "remove refused: it has snapshots (versions)");
	if (rc == -EBUSY)
		return fail_img(r, rc, image, "remove refused: a client has it open (a gateway "
				"serves it, or a crashed one's watch has not timed out yet)");
	return fail_img(r, rc, image, "remove failed");
}

static int add_extent(uint64_t off, size_t len, int exists, void *arg)
{
	(void)off;
	if (exists)
		*(uint64_t *)arg += len;
	return 0;
}

int blrbd_usage(struct blrbd *r, const char *image, struct blrbd_usage *out)
{
	rbd_image_t img;
	uint64_t size, used = 0;
	int rc;

	blrbd_clear_error();
	memset(out, 0, sizeof(*out));
	if ((rc = open_image(r, image, NULL, true, &img, "usage")) < 0)
		return rc;
	if ((rc = rbd_get_size(img, &size)) < 0) {
		fail_img(r, rc, image, "usage: cannot read its size");
		goto out;
	}
	/* Whole objects, the image's own (not its parent's): with fast-diff this reads the object
	 * map, one object, instead of asking the OSDs about every object. */
	rc = rbd_diff_iterate2(img, NULL, 0, size, 0, 1, add_extent, &used);
	if (rc < 0) {
		fail_img(r, rc, image, "usage: cannot walk its objects");
		goto out;
	}
	out->provisioned = size;
	out->used = used;
out:
	rbd_close(img);
	return rc;
}
