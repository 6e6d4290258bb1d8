/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A chain open for I/O: base, version layers, overlay, and the resolved table.
 *
 * Direct mapping: cluster i of the disk lives at data_offset + i * cluster in
 * every layer file, so no allocation table is searched. At open the layers' maps
 * are composed into `table`, one byte per cluster naming the layer that serves it
 * (or BLC_SRC_ZERO), so a read costs one lookup and one preadv whatever the depth.
 *
 * Write ordering, the crash guarantee: a cluster's first write (copy-up) writes
 * the whole cluster's data, then marks it HERE in memory. blc_flush snapshots the
 * dirty map pages first, then fdatasyncs the data, then writes the snapshots into
 * their spare slots and fdatasyncs again. Every HERE in a snapshot was set after
 * its data write returned, hence before that first fdatasync: a durable map never
 * points at data that is not durable. Rewrites of HERE clusters are a plain
 * pwritev and need no lock. Copy-up of one cluster is serialised by a striped
 * mutex; the table byte is published with release ordering after the data write.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"

int blc_cerr(struct blc_chain *c, int code, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	pthread_mutex_lock(&c->err_lock);
	va_start(ap, fmt);
	errno = -code;
	vsnprintf(c->errmsg, sizeof(c->errmsg), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&c->err_lock);
	errno = saved;
	return code;
}

void blc_last_error(struct blc_chain *c, char *buf, size_t len)
{
	pthread_mutex_lock(&c->err_lock);
	snprintf(buf, len, "%s", c->errmsg);
	pthread_mutex_unlock(&c->err_lock);
}

char *blc_resolve_backing(const char *owner, const char *backing)
{
	char dir[PATH_MAX], *out;

	if (backing[0] == '/' || strlen(owner) >= sizeof(dir))
		return strdup(backing);
	strcpy(dir, owner);
	if (asprintf(&out, "%s/%s", dirname(dir), backing) < 0)
		return NULL;
	return out;
}

uint64_t blc_allocated(int fd, uint64_t off, uint64_t len)
{
	uint64_t total = 0, end = off + len;

	while (off < end) {
		off_t d = lseek(fd, (off_t)off, SEEK_DATA);
		if (d < 0 || (uint64_t)d >= end)
			break;
		off_t h = lseek(fd, d, SEEK_HOLE);
		if (h < 0 || (uint64_t)h > end)
			h = (off_t)end;
		total += (uint64_t)(h - d);
		off = (uint64_t)h;
	}
	return total;
}

static const char *role(const struct blc_layer *l)
{
	return l->raw ? "base" : l->committed ? "layer" : "overlay";
}

/* Open the file below `owner` and prove it is the one owner was built on. */
static int open_below(struct blc_layer *owner, const char *override, struct blc_layer **out,
		      char *err, size_t errlen)
{
	const struct blc_identity *want = &owner->hdr.backing;
	const char *what = want->kind == BLC_KIND_RAW ? "base" : "layer";
	char *path = override ? strdup(override)
			      : blc_resolve_backing(owner->path, owner->hdr.backing_path);
	char e[384];
	struct blc_identity got;
	struct blc_layer *l = NULL;
	const char *diff;
	int r;

	if (!path)
		return -ENOMEM;
	r = blc_layer_open(path, false, &l, e, sizeof(e));
	if (r == -ENOENT) {
		r = blc_err(err, errlen, r, "%s %s: %s file %s is missing", role(owner),
			    owner->path, what, path);
		goto out;
	}
	if (r < 0) {
		r = blc_err(err, errlen, r, "%s %s: %s", role(owner), owner->path, e);
		goto out;
	}
	r = blc_identity_of_fd(l->fd, path, &got, e, sizeof(e));
	if (r < 0) {
		r = blc_err(err, errlen, r, "%s %s: %s", role(owner), owner->path, e);
		goto out;
	}
	diff = blc_identity_diff(want, &got);
	if (diff && want->kind == BLC_KIND_RAW && got.kind == BLC_KIND_RAW && got.size < want->size)
		r = blc_err(err, errlen, -EINVAL,
			    "%s %s: base %s is smaller than recorded (%llu < %llu bytes)",
			    role(owner), owner->path, path, (unsigned long long)got.size,
			    (unsigned long long)want->size);
	else if (diff)
		r = blc_err(err, errlen, -ESTALE,
			    "%s %s: %s %s changed since the %s was created (%s)", role(owner),
			    owner->path, what, path, role(owner), diff);
	else if (!l->raw && (l->hdr.cluster_size != owner->hdr.cluster_size ||
			     l->hdr.size != owner->hdr.size))
		r = blc_err(err, errlen, -EINVAL,
			    "%s %s: layer %s has another size or cluster size", role(owner),
			    owner->path, path);
	else if (!l->raw && !l->committed)
		r = blc_err(err, errlen, -EINVAL,
			    "%s %s: %s is a writable overlay, not a committed layer", role(owner),
			    owner->path, path);
out:
	free(path);
	if (r < 0)
		blc_layer_free(l);
	else
		*out = l;
	return r;
}

void blc_chain_build_table(struct blc_chain *c)
{
	memset(c->table, 0, c->nclusters);
	for (int i = 1; i < c->n; i++) {
		const uint8_t *m = c->layers[i]->map;
		for (uint64_t b = 0; b < (c->nclusters + 3) / 4; b++) {
			if (!m[b])
				continue;        /* four clusters served from below */
			for (uint64_t cl = b * 4; cl < b * 4 + 4 && cl < c->nclusters; cl++) {
				unsigned st = blc_map_get(m, cl);
				if (st == BLC_ST_HERE)
					c->table[cl] = (uint8_t)i;
				else if (st == BLC_ST_ZERO)
					c->table[cl] = BLC_SRC_ZERO;
			}
		}
	}
}

int blc_chain_load(struct blc_chain *c, const char *path, const struct blc_open_opts *o,
		   char *err, size_t errlen)
{
	struct blc_layer *stack[BLC_MAX_DEPTH], *top = NULL;
	bool writable = !(o && (o->flags & BLC_OPEN_RDONLY));
	int n = 0, r;

	r = blc_layer_open(path, writable, &top, err, errlen);
	if (r < 0)
		return r;
	if (top->raw) {
		blc_layer_free(top);
		return blc_err(err, errlen, -EINVAL, "%s: not a bootlink layer file", path);
	}
	if (writable && top->committed) {
		blc_layer_free(top);
		return blc_err(err, errlen, -EROFS,
			       "layer %s is a committed version layer: create an overlay on it", path);
	}
	stack[n++] = top;
	while (!stack[n - 1]->raw) {
		struct blc_layer *below;
		if (n == BLC_MAX_DEPTH) {
			r = blc_err(err, errlen, -ELOOP, "overlay %s: chain deeper than %d files",
				    path, BLC_MAX_DEPTH);
			goto fail;
		}
		r = open_below(stack[n - 1], n == 1 && o ? o->backing_override : NULL, &below,
			       err, errlen);
		if (r < 0)
			goto fail;
		stack[n++] = below;
		for (int i = 0; !below->raw && i < n - 1; i++) {
			if (!memcmp(stack[i]->hdr.uuid, below->hdr.uuid, 16)) {
				r = blc_err(err, errlen, -ELOOP, "overlay %s: loop in chain: %s is %s again",
					    path, below->path, stack[i]->path);
				goto fail;
			}
		}
	}
	c->n = n;
	c->layers = calloc((size_t)n, sizeof(*c->layers));
	c->top_path = strdup(path);
	c->readonly = !writable;
	c->size = top->hdr.size;
	c->cluster = top->hdr.cluster_size;
	c->cshift = (uint32_t)__builtin_ctz(c->cluster);
	c->bsize = top->hdr.block_size;
	c->nclusters = (c->size + c->cluster - 1) / c->cluster;
	c->table = malloc(c->nclusters);
	c->dirty = calloc(top->hdr.map_pages, 1);
	if (!c->layers || !c->top_path || !c->table || !c->dirty) {
		r = -ENOMEM;
		goto fail;
	}
	for (int i = 0; i < n; i++)
		c->layers[i] = stack[n - 1 - i];
	blc_chain_build_table(c);
	return 0;
fail:
	while (n > 0)
		blc_layer_free(stack[--n]);
	c->n = 0;                /* the layers were not handed over yet */
	blc_chain_unload(c);
	return r;
}

void blc_chain_unload(struct blc_chain *c)
{
	for (int i = 0; i < c->n; i++)
		blc_layer_free(c->layers[i]);
	free(c->layers);
	free(c->top_path);
	free(c->table);
	free(c->dirty);
	c->layers = NULL;
	c->top_path = NULL;
	c->table = c->dirty = NULL;
	c->n = 0;
}

int blc_open(const char *path, const struct blc_open_opts *opts, struct blc_chain **out,
	     char *err, size_t errlen)
{
	struct blc_chain *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	r = blc_chain_load(c, path, opts, err, errlen);
	if (r < 0) {
		free(c);
		return r;
	}
	pthread_mutex_init(&c->map_lock, NULL);
	/* reset and commit must not starve behind a steady stream of I/O */
	pthread_rwlockattr_t ra;
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&c->rw, &ra);
	pthread_rwlockattr_destroy(&ra);
	pthread_mutex_init(&c->flush_lock, NULL);
	pthread_mutex_init(&c->err_lock, NULL);
	for (int i = 0; i < BLC_STRIPES; i++)
		pthread_mutex_init(&c->stripe[i], NULL);
	*out = c;
	return 0;
}

void blc_close(struct blc_chain *c)
{
	if (!c)
		return;
	/* a clean close must not lose acknowledged writes; a failure here leaves
	 * the overlay as a crash would, which it is built to survive */
	if (c->n)
		blc_flush(c);
	blc_chain_unload(c);
	pthread_mutex_destroy(&c->map_lock);
	pthread_rwlock_destroy(&c->rw);
	pthread_mutex_destroy(&c->flush_lock);
	pthread_mutex_destroy(&c->err_lock);
	for (int i = 0; i < BLC_STRIPES; i++)
		pthread_mutex_destroy(&c->stripe[i]);
	free(c);
}

uint64_t blc_size(const struct blc_chain *c) { return c->size; }
uint32_t blc_block_size(const struct blc_chain *c) { return c->bsize; }
uint32_t blc_cluster_size(const struct blc_chain *c) { return c->cluster; }
int blc_layer_count(const struct blc_chain *c) { return c->n; }

int blc_layer_info(struct blc_chain *c, int i, struct blc_layer_info *out)
{
	struct blc_layer *l;
	char e[256];

	if (i < 0 || i >= c->n)
		return -EINVAL;
	l = c->layers[i];
	memset(out, 0, sizeof(*out));
	out->path = l->path;
	out->is_raw = l->raw;
	out->committed = l->committed;
	if (!l->raw)
		out->allocated = blc_allocated(l->fd, l->data_off, blc_data_len(&l->hdr));
	/* what the layer above recorded, which open proved equal to the file */
	if (i + 1 < c->n)
		out->id = c->layers[i + 1]->hdr.backing;
	else if (blc_identity_of_fd(l->fd, l->path, &out->id, e, sizeof(e)) < 0)
		return blc_cerr(c, -EIO, "%s", e);
	return 0;
}

/* ---- I/O ---- */

static size_t iov_len(const struct iovec *iov, int cnt)
{
	size_t t = 0;
	for (int i = 0; i < cnt; i++)
		t += iov[i].iov_len;
	return t;
}

/* Describe bytes [skip, skip+len) of iov in out[] (at most IOV_MAX entries). */
static int iov_slice(const struct iovec *iov, int cnt, size_t skip, size_t len,
		     struct iovec *out)
{
	int n = 0;

	for (int i = 0; i < cnt && len > 0; i++) {
		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		size_t take = iov[i].iov_len - skip;
		if (take > len)
			take = len;
		out[n].iov_base = (char *)iov[i].iov_base + skip;
		out[n++].iov_len = take;
		len -= take;
		skip = 0;
	}
	return n;
}

/* A view of part of the caller's iovec array: the array itself when the part is
 * the whole, else a slice (on the stack for up to 8 entries). */
struct slice {
	const struct iovec *v;
	int cnt;
	struct iovec *heap;
	struct iovec small[8];
};

static int slice_get(struct slice *s, const struct iovec *iov, int cnt, size_t skip, size_t len,
		     size_t total)
{
	s->heap = NULL;
	if (skip == 0 && len == total) {
		s->v = iov;
		s->cnt = cnt;
		return 0;
	}
	struct iovec *out = s->small;
	if (cnt > 8 && !(out = s->heap = malloc(sizeof(*out) * (size_t)cnt)))
		return -ENOMEM;
	s->cnt = iov_slice(iov, cnt, skip, len, out);
	s->v = out;
	return 0;
}

static void iov_zero(const struct iovec *v, int cnt)
{
	for (int i = 0; i < cnt; i++)
		memset(v[i].iov_base, 0, v[i].iov_len);
}

static int check_range(struct blc_chain *c, const char *op, uint64_t off, uint64_t len)
{
	if ((off | len) & (c->bsize - 1) || off > c->size || len > c->size - off)
		return blc_cerr(c, -EINVAL, "overlay %s: %s of %llu bytes at %llu is not aligned "
				"to %u or beyond the size %llu", c->top_path, op,
				(unsigned long long)len, (unsigned long long)off, c->bsize,
				(unsigned long long)c->size);
	return 0;
}

static inline uint8_t src_of(struct blc_chain *c, uint64_t cl)
{
	return __atomic_load_n(&c->table[cl], __ATOMIC_ACQUIRE);
}

/* Extend cluster *cl over the following clusters with the same source, up to
 * `last`; the bytes from `at` to the end of that run, at most `left`. */
static size_t same_source_run(struct blc_chain *c, uint64_t *cl, uint64_t last, uint8_t src,
			      uint64_t at, size_t left)
{
	while (*cl < last && src_of(c, *cl + 1) == src)
		(*cl)++;
	size_t n = ((*cl + 1) << c->cshift) - at;
	return n < left ? n : left;
}

static int read_nowait(struct blc_layer *l, const struct iovec *v, int cnt, uint64_t off)
{
	int mode = __atomic_load_n(&l->nowait, __ATOMIC_RELAXED);
	size_t want = iov_len(v, cnt);
	ssize_t r;

	if (mode == 0) {
		r = blc_io_preadv(l->fd, v, cnt, off, RWF_NOWAIT);
		if (r != -EOPNOTSUPP)
			return r < 0 ? (int)r : (size_t)r == want ? 0 : -EAGAIN;
		mode = blc_layer_nowait_mode(l);
		__atomic_store_n(&l->nowait, mode, __ATOMIC_RELAXED);
	}
	return mode == 1 ? blc_io_preadv_full(l->fd, v, cnt, off) : -EAGAIN;
}

int blc_readv(struct blc_chain *c, const struct iovec *iov, int iovcnt, uint64_t off,
	      unsigned flags)
{
	size_t len = iov_len(iov, iovcnt), pos = 0;
	int r;

	if (iovcnt < 0 || iovcnt > IOV_MAX)
		return -EINVAL;
	if ((r = check_range(c, "read", off, len)) < 0)
		return r;
	if (flags & BLC_NOWAIT) {
		if (pthread_rwlock_tryrdlock(&c->rw))
			return -EAGAIN;
	} else {
		pthread_rwlock_rdlock(&c->rw);
	}
	while (pos < len && r == 0) {
		uint64_t cl = (off + pos) >> c->cshift, last = (off + len - 1) >> c->cshift;
		uint8_t src = src_of(c, cl);
		size_t n = same_source_run(c, &cl, last, src, off + pos, len - pos);
		struct slice sl;
		if ((r = slice_get(&sl, iov, iovcnt, pos, n, len)) < 0)
			break;
		if (src == BLC_SRC_ZERO) {
			iov_zero(sl.v, sl.cnt);
		} else {
			struct blc_layer *l = c->layers[src];
			uint64_t at = l->data_off + off + pos;
			r = (flags & BLC_NOWAIT) ? read_nowait(l, sl.v, sl.cnt, at)
						 : blc_io_preadv_full(l->fd, sl.v, sl.cnt, at);
			if (r < 0 && r != -EAGAIN)
				blc_cerr(c, r, "%s %s: read at %llu failed: %m", role(l), l->path,
					 (unsigned long long)at);
		}
		free(sl.heap);
		pos += n;
	}
	pthread_rwlock_unlock(&c->rw);
	return r;
}

static struct blc_layer *top_of(struct blc_chain *c)
{
	return c->layers[c->n - 1];
}

/* Record a cluster's new state in the top's map and the table. */
static void set_state(struct blc_chain *c, uint64_t cl, unsigned st)
{
	struct blc_layer *t = top_of(c);

	pthread_mutex_lock(&c->map_lock);
	blc_map_set(t->map, cl, st);
	c->dirty[cl / BLC_PAGE_CLUSTERS] = 1;
	__atomic_store_n(&c->table[cl], st == BLC_ST_HERE ? (uint8_t)(c->n - 1) : BLC_SRC_ZERO,
			 __ATOMIC_RELEASE);
	pthread_mutex_unlock(&c->map_lock);
}

/* First partial write to a cluster not in the top: the whole cluster goes to the
 * top, made of what the chain read there before and `v` (NULL: zeros) at `inoff`.
 * Called with the cluster's stripe lock held and src != top. */
static int copy_up(struct blc_chain *c, uint64_t cl, uint8_t src, const struct iovec *v,
		   int cnt, size_t inoff, size_t n)
{
	struct blc_layer *t = top_of(c);
	uint64_t cstart = cl << c->cshift, at = t->data_off + cstart;
	size_t clen = c->size - cstart < c->cluster ? (size_t)(c->size - cstart) : c->cluster;
	int r;

	/* The cluster's old content goes in first without passing through user
	 * memory: a hole where it was zeros (this also drops anything a crash left
	 * there), else a kernel copy, which file systems with shared extents turn
	 * into a reflink. Then the new data over it. */
	if (src == BLC_SRC_ZERO)
		r = blc_io_punch(t->fd, at, c->cluster);
	else
		r = blc_io_copy_range(c->layers[src]->fd, c->layers[src]->data_off + cstart, t->fd,
				      at, clen);
	if (r == 0)
		r = v ? blc_io_pwritev_full(t->fd, v, cnt, at + inoff)
		      : src == BLC_SRC_ZERO ? 0 : blc_io_punch(t->fd, at + inoff, n);
	if (r < 0) {
		/* give back what a partial write allocated; the map never saw it */
		blc_io_punch(t->fd, at, c->cluster);
		return r;
	}
	BLC_FAILPOINT("copyup:data-written");
	set_state(c, cl, BLC_ST_HERE);
	return 0;
}

static pthread_mutex_t *stripe_of(struct blc_chain *c, uint64_t cl)
{
	return &c->stripe[cl % BLC_STRIPES];
}

/* How many clusters from `cl` on the range [from, to) covers completely while the
 * top does not hold them (at most BLC_STRIPES, so their stripe locks differ). */
static uint64_t full_run(struct blc_chain *c, uint64_t cl, uint64_t from, uint64_t to)
{
	uint8_t top = (uint8_t)(c->n - 1);
	uint64_t k = 0;

	if (from != cl << c->cshift)
		return 0;
	while (k < BLC_STRIPES && cl + k < c->nclusters && src_of(c, cl + k) != top) {
		uint64_t end = (cl + k + 1) << c->cshift;
		if (end > to && !(end > c->size && to == c->size))
			break;
		k++;
	}
	return k;
}

/* Whole clusters the top does not hold yet: no copy-up read, and one pwritev for
 * the run, so the page cache gets folios as large as the write (reads of them
 * later are as cheap as on a plain file). If another thread took a cluster
 * meanwhile, the run stops before it. Returns the clusters written (0 if the
 * first one was taken) or a negative errno. */
static int64_t write_new_clusters(struct blc_chain *c, uint64_t cl, uint64_t k,
				  const struct iovec *v, int cnt)
{
	struct blc_layer *t = top_of(c);
	uint8_t top = (uint8_t)(c->n - 1);
	uint64_t got = 0, cstart = cl << c->cshift;
	struct slice sl = { .heap = NULL };
	int r;

	for (; got < k; got++) {
		pthread_mutex_lock(stripe_of(c, cl + got));
		if (src_of(c, cl + got) == top) {
			pthread_mutex_unlock(stripe_of(c, cl + got));
			break;
		}
	}
	if (got == 0)
		return 0;
	r = got == k ? 0 : slice_get(&sl, v, cnt, 0, got << c->cshift, SIZE_MAX);
	if (r == 0)
		r = got == k ? blc_io_pwritev_full(t->fd, v, cnt, t->data_off + cstart)
			     : blc_io_pwritev_full(t->fd, sl.v, sl.cnt, t->data_off + cstart);
	free(sl.heap);
	if (r < 0)
		blc_io_punch(t->fd, t->data_off + cstart, got << c->cshift);
	else
		BLC_FAILPOINT("copyup:data-written");
	for (uint64_t i = 0; i < got; i++) {
		if (r == 0)
			set_state(c, cl + i, BLC_ST_HERE);
		pthread_mutex_unlock(stripe_of(c, cl + i));
	}
	return r < 0 ? r : (int64_t)got;
}

int blc_writev(struct blc_chain *c, const struct iovec *iov, int iovcnt, uint64_t off)
{
	size_t len = iov_len(iov, iovcnt), pos = 0;
	struct blc_layer *t;
	uint8_t top;
	int r;

	if (iovcnt < 0 || iovcnt > IOV_MAX)
		return -EINVAL;
	if (c->readonly)
		return blc_cerr(c, -EROFS, "overlay %s: opened read-only", c->top_path);
	if ((r = check_range(c, "write", off, len)) < 0)
		return r;
	pthread_rwlock_rdlock(&c->rw);
	t = top_of(c);
	top = (uint8_t)(c->n - 1);
	while (pos < len && r == 0) {
		uint64_t cl = (off + pos) >> c->cshift, last = (off + len - 1) >> c->cshift;
		uint8_t src = src_of(c, cl);
		uint64_t k = src == top ? 0 : full_run(c, cl, off + pos, off + len);
		if (k) {
			size_t n = (k << c->cshift) < len - pos ? (k << c->cshift) : len - pos;
			struct slice sl;
			int64_t done;
			if ((r = slice_get(&sl, iov, iovcnt, pos, n, len)) < 0)
				break;
			done = write_new_clusters(c, cl, k, sl.v, sl.cnt);
			free(sl.heap);
			if (done > 0) {
				n = (size_t)done << c->cshift;
				pos += n < len - pos ? n : len - pos;
				continue;
			}
			r = (int)done;
			if (r < 0) {
				blc_cerr(c, r, "overlay %s: write at %llu failed: %m", c->top_path,
					 (unsigned long long)(off + pos));
				break;
			}
			src = src_of(c, cl);     /* taken meanwhile: it is a rewrite now */
		}
		/* rewrites of a run of clusters the top holds go out as one pwritev */
		size_t n = same_source_run(c, &cl, src == top ? last : cl, src, off + pos, len - pos);
		struct slice sl;
		if ((r = slice_get(&sl, iov, iovcnt, pos, n, len)) < 0)
			break;
		if (src != top) {
			pthread_mutex_lock(stripe_of(c, cl));
			src = src_of(c, cl);
			if (src != top)
				r = copy_up(c, cl, src, sl.v, sl.cnt, (off + pos) & (c->cluster - 1), n);
			pthread_mutex_unlock(stripe_of(c, cl));
		}
		if (src == top)
			r = blc_io_pwritev_full(t->fd, sl.v, sl.cnt, t->data_off + off + pos);
		free(sl.heap);
		if (r < 0)
			blc_cerr(c, r, "overlay %s: write of %zu bytes at %llu failed: %m",
				 c->top_path, n, (unsigned long long)(off + pos));
		pos += n;
	}
	pthread_rwlock_unlock(&c->rw);
	return r;
}

static int zero_range(struct blc_chain *c, const char *op, uint64_t off, uint64_t len)
{
	struct blc_layer *t;
	uint64_t pos = off, end = off + len;
	uint8_t top;
	int r;

	if (c->readonly)
		return blc_cerr(c, -EROFS, "overlay %s: opened read-only", c->top_path);
	if ((r = check_range(c, op, off, len)) < 0)
		return r;
	pthread_rwlock_rdlock(&c->rw);
	t = top_of(c);
	top = (uint8_t)(c->n - 1);
	while (pos < end && r == 0) {
		uint64_t cl = pos >> c->cshift, cstart = cl << c->cshift;
		uint64_t cend = cstart + c->cluster < c->size ? cstart + c->cluster : c->size;
		uint64_t n = (end < cend ? end : cend) - pos;
		pthread_mutex_lock(stripe_of(c, cl));
		uint8_t src = src_of(c, cl);
		if (src == BLC_SRC_ZERO) {
			/* reads zeros already */
		} else if (n == cend - cstart) {
			if (src == top)
				r = blc_io_punch(t->fd, t->data_off + cstart, c->cluster);
			if (r == 0)
				set_state(c, cl, BLC_ST_ZERO);
		} else if (src == top) {
			r = blc_io_punch(t->fd, t->data_off + pos, n);
		} else {
			r = copy_up(c, cl, src, NULL, 0, pos - cstart, n);
		}
		pthread_mutex_unlock(stripe_of(c, cl));
		if (r < 0)
			blc_cerr(c, r, "overlay %s: %s at %llu failed: %m", c->top_path, op,
				 (unsigned long long)pos);
		pos += n;
	}
	pthread_rwlock_unlock(&c->rw);
	return r;
}

int blc_discard(struct blc_chain *c, uint64_t off, uint64_t len)
{
	return zero_range(c, "discard", off, len);
}

int blc_write_zeroes(struct blc_chain *c, uint64_t off, uint64_t len)
{
	return zero_range(c, "write-zeroes", off, len);
}

int blc_flush_locked(struct blc_chain *c)
{
	struct blc_layer *t = top_of(c);
	uint64_t pages = t->hdr.map_pages, ndirty = 0, k = 0;
	uint64_t *which = NULL;
	uint8_t *snap = NULL;
	int r = 0;

	if (c->readonly)
		return 0;
	pthread_mutex_lock(&c->flush_lock);
	pthread_mutex_lock(&c->map_lock);
	for (uint64_t p = 0; p < pages; p++)
		ndirty += c->dirty[p];
	if (ndirty) {
		which = malloc(ndirty * sizeof(*which));
		snap = malloc(ndirty * BLC_PAGE_PAYLOAD);
	}
	if (ndirty && (!which || !snap)) {
		r = -ENOMEM;
	} else {
		for (uint64_t p = 0; p < pages; p++) {
			if (!c->dirty[p])
				continue;
			which[k] = p;
			memcpy(snap + k++ * BLC_PAGE_PAYLOAD, t->map + p * BLC_PAGE_PAYLOAD,
			       BLC_PAGE_PAYLOAD);
			c->dirty[p] = 0;
		}
	}
	pthread_mutex_unlock(&c->map_lock);
	if (r == 0) {
		BLC_FAILPOINT("flush:before-data-sync");
		r = blc_io_datasync(t->fd);
	}
	BLC_FAILPOINT("flush:data-synced");
	for (uint64_t i = 0; r == 0 && i < ndirty; i++) {
		r = blc_layer_write_page(t, which[i], snap + i * BLC_PAGE_PAYLOAD);
		BLC_FAILPOINT("flush:page-written");
	}
	if (r == 0 && ndirty)
		r = blc_io_datasync(t->fd);
	BLC_FAILPOINT("flush:map-synced");
	if (r < 0) {
		/* the pages are not durable: the next flush must write them again */
		pthread_mutex_lock(&c->map_lock);
		for (uint64_t i = 0; i < k; i++)
			c->dirty[which[i]] = 1;
		pthread_mutex_unlock(&c->map_lock);
		blc_cerr(c, r, "overlay %s: flush failed: %m", c->top_path);
	}
	pthread_mutex_unlock(&c->flush_lock);
	free(which);
	free(snap);
	return r;
}

int blc_flush(struct blc_chain *c)
{
	int r;

	pthread_rwlock_rdlock(&c->rw);
	r = blc_flush_locked(c);
	pthread_rwlock_unlock(&c->rw);
	return r;
}
