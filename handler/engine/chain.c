/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A chain open for I/O: base, version layers, overlay, and the resolved table.
 *
 * Direct mapping: cluster i of the disk lives at data_offset + i * cluster in
 * every layer file, so no allocation table is searched. Inside a cluster the
 * overlay allocates by sub-block (4 KiB at the default 64 KiB cluster): its map
 * has a 16-bit mask per cluster, bit k set when the overlay holds sub-block k. A
 * first 4 KiB write therefore writes 4 KiB, not a cluster. At open the committed
 * layers' maps (whole clusters only: commit completes partial ones) are composed
 * into `table`, one byte per cluster naming the layer below the top that serves
 * it; a read looks at the top's mask, then at the table, and issues one preadv
 * per run of bytes with one source, whatever the depth of the chain.
 *
 * Write ordering, the crash guarantee: data goes to the file first, then its
 * bits are set in memory. blc_flush snapshots the dirty map pages, fdatasyncs the
 * data, writes the snapshots into their spare slots and fdatasyncs again. Every
 * bit in a snapshot was set after its data write returned, hence before that
 * first fdatasync: a durable map never points at data that is not durable. A
 * sub-block the write covers only in part is first copied up whole from the layer
 * below, so a held sub-block never mixes base data with data it was not given.
 * Writes to sub-blocks the top holds are a plain pwritev without locks; writes
 * that set bits hold the stripe locks of their clusters (BLC_RUN at most), and
 * bits are published with release ordering after the data write. Bits are only
 * ever set while I/O runs; reset and commit clear them with the gate closed.
 * A discarded range is held by the top as a hole: it reads as zeros, never as
 * the layer below.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blcow-internal.h"

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
	/* committed layers hold whole clusters only (partial masks are dropped at load) */
	for (int i = 1; i < c->n - 1; i++) {
		const uint16_t *m = c->layers[i]->map;
		for (uint64_t cl = 0; cl < c->nclusters; cl++)
			if (m[cl])
				c->table[cl] = (uint8_t)i;
	}
	c->mask = c->layers[c->n - 1]->map;
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
	c->sub = top->hdr.sub_size;
	c->sshift = (uint32_t)__builtin_ctz(c->sub);
	c->full = blc_full_mask(&top->hdr);
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
	c->mask = NULL;
	c->n = 0;
}

/* The OPEN flag tells the next open (and check) whether the overlay was closed
 * cleanly. If it was not, data written after the last flush sits in sub-blocks
 * its durable map does not use; it is freed here, before any new write, so a
 * crash costs no space for long and check finds nothing to repair. */
static int mark_open(struct blc_chain *c, char *err, size_t errlen)
{
	struct blc_layer *t = c->layers[c->n - 1];
	uint64_t leaked = 0;
	int r = 0;

	if (t->hdr.flags & BLC_F_OPEN)
		r = blc_layer_reclaim(t, true, NULL, false, &leaked);
	if (r == 0 && !(t->hdr.flags & BLC_F_OPEN)) {
		t->hdr.flags |= BLC_F_OPEN;
		r = blc_header_write(t->fd, &t->hdr, &t->hslot);
		if (r < 0)
			t->hdr.flags &= ~BLC_F_OPEN;
	}
	if (r < 0)
		return blc_err(err, errlen, r, "overlay %s: cannot mark it open: %m", c->top_path);
	return 0;
}

int blc_open(const char *path, const struct blc_open_opts *opts, struct blc_chain **out,
	     char *err, size_t errlen)
{
	struct blc_chain *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	r = blc_chain_load(c, path, opts, err, errlen);
	if (r == 0 && !c->readonly)
		r = mark_open(c, err, errlen);
	if (r < 0) {
		blc_chain_unload(c);
		free(c);
		return r;
	}
	pthread_mutex_init(&c->map_lock, NULL);
	pthread_mutex_init(&c->gate_lock, NULL);
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
	if (c->n && blc_flush(c) == 0 && !c->readonly) {
		struct blc_layer *t = c->layers[c->n - 1];
		t->hdr.flags &= ~BLC_F_OPEN;
		blc_header_write(t->fd, &t->hdr, &t->hslot);
	}
	blc_chain_unload(c);
	pthread_mutex_destroy(&c->map_lock);
	pthread_mutex_destroy(&c->gate_lock);
	pthread_mutex_destroy(&c->flush_lock);
	pthread_mutex_destroy(&c->err_lock);
	for (int i = 0; i < BLC_STRIPES; i++)
		pthread_mutex_destroy(&c->stripe[i]);
	free(c);
}

uint64_t blc_size(const struct blc_chain *c) { return c->size; }
uint32_t blc_block_size(const struct blc_chain *c) { return c->bsize; }
uint32_t blc_cluster_size(const struct blc_chain *c) { return c->cluster; }
uint32_t blc_sub_block_size(const struct blc_chain *c) { return c->sub; }
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

/* ---- the gate between I/O and reset/commit ---- */

bool blc_gate_enter(struct blc_chain *c, bool nowait)
{
	/* one word holds the count and the closed bit, so the add itself tells
	 * whether the gate was open when this I/O was counted */
	while (__atomic_add_fetch(&c->gate, 1, __ATOMIC_ACQUIRE) & BLC_GATE_CLOSED) {
		__atomic_sub_fetch(&c->gate, 1, __ATOMIC_RELEASE);
		if (nowait)
			return false;
		pthread_mutex_lock(&c->gate_lock);      /* until reset/commit is done */
		pthread_mutex_unlock(&c->gate_lock);
	}
	return true;
}

void blc_gate_leave(struct blc_chain *c)
{
	__atomic_sub_fetch(&c->gate, 1, __ATOMIC_RELEASE);
}

void blc_gate_close(struct blc_chain *c)
{
	pthread_mutex_lock(&c->gate_lock);
	__atomic_or_fetch(&c->gate, BLC_GATE_CLOSED, __ATOMIC_SEQ_CST);
	/* I/O that entered before keeps running; it is short, so wait for it */
	while (__atomic_load_n(&c->gate, __ATOMIC_ACQUIRE) & ~BLC_GATE_CLOSED)
		nanosleep(&(struct timespec){ 0, 20000 }, NULL);
}

void blc_gate_open(struct blc_chain *c)
{
	__atomic_and_fetch(&c->gate, ~BLC_GATE_CLOSED, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&c->gate_lock);
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

static int check_range(struct blc_chain *c, const char *op, uint64_t off, uint64_t len)
{
	if ((off | len) & (c->bsize - 1) || off > c->size || len > c->size - off)
		return blc_cerr(c, -EINVAL, "overlay %s: %s of %llu bytes at %llu is not aligned "
				"to %u or beyond the size %llu", c->top_path, op,
				(unsigned long long)len, (unsigned long long)off, c->bsize,
				(unsigned long long)c->size);
	return 0;
}

static inline uint16_t mask_of(struct blc_chain *c, uint64_t cl)
{
	return __atomic_load_n(&c->mask[cl], __ATOMIC_ACQUIRE);
}

uint8_t blc_source_run(struct blc_chain *c, uint64_t at, size_t left, size_t *n)
{
	uint8_t top = (uint8_t)(c->n - 1), src;
	uint64_t cl = at >> c->cshift, end;
	uint16_t m = mask_of(c, cl);

	if (m != 0 && m != c->full) {
		unsigned nsub = c->cluster >> c->sshift, k = (unsigned)(at >> c->sshift) & (nsub - 1);
		unsigned here = (m >> k) & 1;
		src = here ? top : c->table[cl];
		while (++k < nsub && ((m >> k) & 1) == here)
			;
		end = (cl << c->cshift) + ((uint64_t)k << c->sshift);
	} else {
		uint64_t last = (at + left - 1) >> c->cshift;
		src = m ? top : c->table[cl];
		for (; cl < last; cl++) {
			uint16_t next = mask_of(c, cl + 1);
			if (m ? next != c->full : next != 0 || c->table[cl + 1] != src)
				break;
		}
		end = (cl + 1) << c->cshift;
	}
	*n = end - at < left ? (size_t)(end - at) : left;
	return src;
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
	size_t len = iovcnt == 1 ? iov->iov_len : iov_len(iov, iovcnt), pos = 0;
	int r;

	if (iovcnt < 0 || iovcnt > IOV_MAX)
		return -EINVAL;
	if ((r = check_range(c, "read", off, len)) < 0)
		return r;
	if (!blc_gate_enter(c, flags & BLC_NOWAIT))
		return -EAGAIN;
	while (pos < len && r == 0) {
		size_t n;
		struct blc_layer *l = c->layers[blc_source_run(c, off + pos, len - pos, &n)];
		uint64_t at = l->data_off + off + pos;
		struct slice sl;
		sl.heap = NULL;
		if (iovcnt == 1 && !(flags & BLC_NOWAIT)) {
			/* the common case: no iovec array to build or to import */
			r = blc_io_pread_full(l->fd, (char *)iov->iov_base + pos, n, at);
		} else if ((r = slice_get(&sl, iov, iovcnt, pos, n, len)) == 0) {
			r = (flags & BLC_NOWAIT) ? read_nowait(l, sl.v, sl.cnt, at)
						 : blc_io_preadv_full(l->fd, sl.v, sl.cnt, at);
		}
		if (r < 0 && r != -EAGAIN)
			blc_cerr(c, r, "%s %s: read at %llu failed: %m", role(l), l->path,
				 (unsigned long long)at);
		free(sl.heap);
		pos += n;
	}
	blc_gate_leave(c);
	return r;
}

static struct blc_layer *top_of(struct blc_chain *c)
{
	return c->layers[c->n - 1];
}

/* Lock or unlock the stripes of clusters [cl, cl+k), k <= BLC_STRIPES, in
 * ascending stripe order (a run that wraps takes its low stripes first). */
static void stripes(struct blc_chain *c, uint64_t cl, uint64_t k, bool lock)
{
	unsigned s0 = (unsigned)(cl % BLC_STRIPES), wrap = 0;

	if (s0 + k > BLC_STRIPES)
		wrap = (unsigned)(s0 + k - BLC_STRIPES);
	for (unsigned i = 0; i < wrap; i++)
		(lock ? pthread_mutex_lock : pthread_mutex_unlock)(&c->stripe[i]);
	for (unsigned i = s0; i < s0 + k - wrap; i++)
		(lock ? pthread_mutex_lock : pthread_mutex_unlock)(&c->stripe[i]);
}

/* Mask of the sub-blocks of cluster cl that [from, to) touches (to at most the
 * cluster's end); a range reaching the end of the disk takes the rest of the last
 * cluster, which nothing can read, so that cluster can become whole. */
static uint16_t touched(struct blc_chain *c, uint64_t cl, uint64_t from, uint64_t to)
{
	uint64_t cstart = cl << c->cshift;
	unsigned a = (unsigned)((from - cstart) >> c->sshift);
	unsigned b = to >= c->size ? c->cluster >> c->sshift
				   : (unsigned)((to - cstart + c->sub - 1) >> c->sshift);
	return (uint16_t)(((1u << b) - 1) & ~((1u << a) - 1));
}

/* Of those, the ones [from, to) covers only in part: the first and the last. */
static uint16_t partial(struct blc_chain *c, uint64_t cl, uint64_t from, uint64_t to)
{
	uint64_t cstart = cl << c->cshift;
	uint16_t p = 0;

	if (from & (c->sub - 1))
		p |= (uint16_t)(1u << ((from - cstart) >> c->sshift));
	if ((to & (c->sub - 1)) && to < c->size)
		p |= (uint16_t)(1u << ((to - 1 - cstart) >> c->sshift));
	return p;
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Does the top hold every sub-block of cluster cl that [from, to) touches? */
static bool held(struct blc_chain *c, uint64_t cl, uint64_t from, uint64_t to)
{
	uint16_t t = touched(c, cl, from, min64(to, (cl + 1) << c->cshift));
	return (mask_of(c, cl) & t) == t;
}

/* Sub-block k of cluster cl, whole, from the layer serving it into the top,
 * without passing through user memory (a reflink on XFS/btrfs). */
static int copy_sub(struct blc_chain *c, uint64_t cl, unsigned k)
{
	struct blc_layer *t = top_of(c), *s = c->layers[c->table[cl]];
	uint64_t at = (cl << c->cshift) + ((uint64_t)k << c->sshift);
	size_t len = c->size - at < c->sub ? (size_t)(c->size - at) : c->sub;

	return blc_io_copy_range(s->fd, s->data_off + at, t->fd, t->data_off + at, len);
}

/* Bytes [pos, pos+n) of the request (at disk offset `at`) into the top file: the
 * caller's data, or a hole where `iov` is NULL (zeroing). */
static int put_data(struct blc_chain *c, const struct iovec *iov, int iovcnt, size_t pos,
		    size_t len, uint64_t at, size_t n)
{
	struct blc_layer *t = top_of(c);
	struct slice sl;
	int r;

	if (!iov)
		return blc_io_punch(t->fd, t->data_off + at, n);
	if (iovcnt == 1)
		return blc_io_pwrite_full(t->fd, (char *)iov->iov_base + pos, n, t->data_off + at);
	if ((r = slice_get(&sl, iov, iovcnt, pos, n, len)) < 0)
		return r;
	r = blc_io_pwritev_full(t->fd, sl.v, sl.cnt, t->data_off + at);
	free(sl.heap);
	return r;
}

/* Bytes [at, stop) over the k clusters from cl, which the top does not wholly
 * hold: under their stripe locks, copy up the sub-blocks the range covers in
 * part, write the data, then set the bits. On failure the sub-blocks that were
 * not held are punched again (the map never saw them). */
static int put_new(struct blc_chain *c, uint64_t cl, uint64_t k, const struct iovec *iov,
		   int iovcnt, size_t pos, size_t len, uint64_t at, uint64_t stop)
{
	struct blc_layer *t = top_of(c);
	int r = 0;

	stripes(c, cl, k, true);
	for (uint64_t i = 0; i < k && r == 0; i += k > 1 ? k - 1 : 1) {
		uint64_t cs = (cl + i) << c->cshift;
		uint16_t p = partial(c, cl + i, at > cs ? at : cs, min64(stop, cs + c->cluster)) &
			     ~mask_of(c, cl + i);
		for (unsigned b = 0; p && r == 0; b++, p >>= 1)
			if (p & 1)
				r = copy_sub(c, cl + i, b);
	}
	if (r == 0)
		r = put_data(c, iov, iovcnt, pos, len, at, stop - at);
	if (r == 0)
		BLC_FAILPOINT("copyup:data-written");
	pthread_mutex_lock(&c->map_lock);
	for (uint64_t i = 0; i < k; i++) {
		uint64_t cs = (cl + i) << c->cshift;
		uint16_t bits = touched(c, cl + i, at > cs ? at : cs, min64(stop, cs + c->cluster));
		uint16_t m = mask_of(c, cl + i);
		if (r == 0) {
			__atomic_store_n(&c->mask[cl + i], (uint16_t)(m | bits), __ATOMIC_RELEASE);
			c->dirty[(cl + i) / BLC_PAGE_CLUSTERS] = 1;
			continue;
		}
		bits &= (uint16_t)~m;
		for (unsigned b = 0; bits; b++, bits >>= 1)
			if (bits & 1)
				blc_io_punch(t->fd, t->data_off + cs + ((uint64_t)b << c->sshift),
					     c->sub);
	}
	pthread_mutex_unlock(&c->map_lock);
	stripes(c, cl, k, false);
	return r;
}

/* Write (iov) or zero (iov NULL) [off, off+len), in runs: bytes the top holds
 * already go out as one pwritev (or punch) without locks; bytes that need bits
 * set go through put_new, at most BLC_RUN clusters at a time. Whole clusters are
 * one pwritev for the run, so the page cache gets folios as large as the write. */
static int put_range(struct blc_chain *c, const char *op, const struct iovec *iov, int iovcnt,
		     uint64_t off, uint64_t len)
{
	uint64_t end = off + len;
	size_t pos = 0;
	int r;

	if (c->readonly)
		return blc_cerr(c, -EROFS, "overlay %s: opened read-only", c->top_path);
	if ((r = check_range(c, op, off, len)) < 0)
		return r;
	blc_gate_enter(c, false);
	while (pos < len && r == 0) {
		uint64_t at = off + pos, cl = at >> c->cshift, stop = at, k = 0;
		bool rewrite = held(c, cl, at, end);
		do {
			uint64_t to = min64(end, (cl + k + 1) << c->cshift);
			if (k > 0 && held(c, cl + k, stop, to) != rewrite)
				break;
			stop = to;
			k++;
		} while (stop < end && (rewrite || k < BLC_RUN));
		r = rewrite ? put_data(c, iov, iovcnt, pos, len, at, stop - at)
			    : put_new(c, cl, k, iov, iovcnt, pos, len, at, stop);
		if (r < 0)
			blc_cerr(c, r, "overlay %s: %s of %llu bytes at %llu failed: %m",
				 c->top_path, op, (unsigned long long)(stop - at),
				 (unsigned long long)at);
		pos += stop - at;
	}
	blc_gate_leave(c);
	return r;
}

int blc_writev(struct blc_chain *c, const struct iovec *iov, int iovcnt, uint64_t off)
{
	if (iovcnt < 0 || iovcnt > IOV_MAX)
		return -EINVAL;
	return put_range(c, "write", iov, iovcnt, off, iov_len(iov, iovcnt));
}

int blc_discard(struct blc_chain *c, uint64_t off, uint64_t len)
{
	return put_range(c, "discard", NULL, 0, off, len);
}

int blc_write_zeroes(struct blc_chain *c, uint64_t off, uint64_t len)
{
	return put_range(c, "write-zeroes", NULL, 0, off, len);
}

int blc_flush_locked(struct blc_chain *c)
{
	struct blc_layer *t = top_of(c);
	uint64_t pages = t->hdr.map_pages, ndirty = 0, k = 0;
	uint64_t *which = NULL;
	uint16_t *snap = NULL;
	int r = 0;

	if (c->readonly)
		return 0;
	pthread_mutex_lock(&c->flush_lock);
	pthread_mutex_lock(&c->map_lock);
	for (uint64_t p = 0; p < pages; p++)
		ndirty += c->dirty[p];
	if (ndirty) {
		which = malloc(ndirty * sizeof(*which));
		snap = malloc(ndirty * BLC_PAGE_CLUSTERS * sizeof(*snap));
	}
	if (ndirty && (!which || !snap)) {
		r = -ENOMEM;
	} else {
		for (uint64_t p = 0; p < pages; p++) {
			if (!c->dirty[p])
				continue;
			which[k] = p;
			memcpy(snap + k++ * BLC_PAGE_CLUSTERS, t->map + p * BLC_PAGE_CLUSTERS,
			       BLC_PAGE_CLUSTERS * sizeof(*snap));
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
		r = blc_layer_write_page(t, which[i], snap + i * BLC_PAGE_CLUSTERS);
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

	blc_gate_enter(c, false);
	r = blc_flush_locked(c);
	blc_gate_leave(c);
	return r;
}
