/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Whole-file operations: create, reset, commit, rebase.
 *
 * Each one has a single durable step that decides which state a crash leaves:
 * - create builds the file under a temporary name and link()s it into place;
 * - reset writes a header with the next epoch (every map page then reads as
 *   empty), and only then punches the data, so a crash in between leaves
 *   harmless leaked blocks that `check --repair` frees;
 * - commit builds the new layer under a temporary name, renames it into place,
 *   and then switches the overlay to it with one header write that also bumps the
 *   epoch. Before that write the overlay holds its data on the old backing,
 *   after it an empty map on the new layer holding the same data: the chain reads
 *   the same at every point;
 * - rebase is a single header write.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "blcow-internal.h"

static int new_uuid(uint8_t uuid[16])
{
	if (getrandom(uuid, 16, 0) != 16)
		return -errno;
	uuid[6] = (uuid[6] & 0x0f) | 0x40;       /* RFC 4122 version 4 */
	uuid[8] = (uuid[8] & 0x3f) | 0x80;
	return 0;
}

/* Make `tmp` appear at `path` only if nothing is there yet, durably. */
static int publish(const char *tmp, const char *path)
{
	int r = 0;

	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) < 0) {
		if (errno != EINVAL && errno != ENOSYS)
			return -errno;
		if (link(tmp, path) < 0)
			return -errno;
		unlink(tmp);
	}
	r = blc_io_sync_dir(path);
	return r;
}

static char *tmp_name(const char *path)
{
	char *t;

	if (asprintf(&t, "%s.tmp-%d", path, (int)getpid()) < 0)
		return NULL;
	return t;
}

int blc_create(const char *path, const char *backing, const struct blc_create_opts *opts,
	       char *err, size_t errlen)
{
	struct blc_create_opts o = opts ? *opts : (struct blc_create_opts){ 0, 0 };
	struct blc_header h = { .gen = 0, .epoch = 1 };
	struct blc_layer *below = NULL;
	char e[384], *tmp = NULL, *resolved;
	int fd = -1, slot = 1, r;

	if (strlen(backing) > BLC_PATH_MAX)
		return blc_err(err, errlen, -ENAMETOOLONG, "backing path %s is too long", backing);
	if (access(path, F_OK) == 0)
		return blc_err(err, errlen, -EEXIST, "overlay %s: file exists", path);
	resolved = blc_resolve_backing(path, backing);
	if (!resolved)
		return -ENOMEM;
	r = blc_layer_open(resolved, false, &below, e, sizeof(e));
	if (r < 0) {
		r = blc_err(err, errlen, r, "overlay %s: backing %s", path, e);
		goto out;
	}
	r = blc_identity_of_fd(below->fd, resolved, &h.backing, e, sizeof(e));
	if (r < 0) {
		r = blc_err(err, errlen, r, "overlay %s: %s", path, e);
		goto out;
	}
	if (!below->raw) {
		if (!below->committed) {
			r = blc_err(err, errlen, -EINVAL, "overlay %s: backing %s is a writable "
				    "overlay; commit it into a layer first", path, resolved);
			goto out;
		}
		if (o.cluster_size && o.cluster_size != below->hdr.cluster_size) {
			r = blc_err(err, errlen, -EINVAL, "overlay %s: cluster size must be the "
				    "backing layer's (%u)", path, below->hdr.cluster_size);
			goto out;
		}
		o.cluster_size = below->hdr.cluster_size;
		if (!o.block_size)
			o.block_size = below->hdr.block_size;
	}
	h.cluster_size = o.cluster_size ? o.cluster_size : BLC_DEFAULT_CLUSTER;
	h.block_size = o.block_size ? o.block_size : 512;
	h.sub_size = blc_default_sub(h.cluster_size);
	h.size = h.backing.size;
	if ((h.block_size != 512 && h.block_size != 4096) || h.cluster_size < BLC_MIN_CLUSTER ||
	    h.cluster_size > BLC_MAX_CLUSTER || (h.cluster_size & (h.cluster_size - 1)) ||
	    h.cluster_size < h.block_size) {
		r = blc_err(err, errlen, -EINVAL, "overlay %s: block size %u / cluster size %u "
			    "invalid (512 or 4096; power of two 4 KiB..1 MiB)", path, h.block_size,
			    h.cluster_size);
		goto out;
	}
	if (h.size == 0 || h.size % h.block_size) {
		r = blc_err(err, errlen, -EINVAL, "overlay %s: base %s size %llu is not a multiple "
			    "of the block size %u", path, resolved, (unsigned long long)h.size,
			    h.block_size);
		goto out;
	}
	strcpy(h.backing_path, backing);
	blc_header_layout(&h);
	if ((r = new_uuid(h.uuid)) < 0)
		goto out;

	tmp = tmp_name(path);
	if (!tmp) {
		r = -ENOMEM;
		goto out;
	}
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = blc_err(err, errlen, -errno, "overlay %s: cannot create %s: %m", path, tmp);
		goto out;
	}
	/* header and map allocated now, so a flush never needs new space */
	r = blc_io_truncate(fd, blc_file_size(&h));
	if (r == 0 && fallocate(fd, 0, 0, (off_t)h.data_offset) < 0 && errno != EOPNOTSUPP)
		r = -errno;
	if (r == 0)
		r = blc_header_write(fd, &h, &slot);
	if (r == 0)
		BLC_FAILPOINT("create:file-written");
	if (r == 0)
		r = publish(tmp, path);
	if (r < 0) {
		unlink(tmp);
		r = blc_err(err, errlen, r, "overlay %s: cannot write: %m", path);
	}
out:
	if (fd >= 0)
		close(fd);
	free(tmp);
	free(resolved);
	blc_layer_free(below);
	return r;
}

int blc_reset(struct blc_chain *c)
{
	struct blc_layer *t;
	int r;

	if (c->readonly)
		return blc_cerr(c, -EROFS, "overlay %s: opened read-only", c->top_path);
	blc_gate_close(c);
	t = c->layers[c->n - 1];
	t->hdr.epoch++;
	r = blc_header_write(t->fd, &t->hdr, &t->hslot);
	if (r < 0) {
		t->hdr.epoch--;
		blc_cerr(c, r, "overlay %s: reset: cannot write header: %s", c->top_path,
			 blc_header_error(r));
		goto out;
	}
	BLC_FAILPOINT("reset:header-written");
	memset(c->dirty, 0, t->hdr.map_pages);
	r = blc_layer_load_map(t, NULL);
	if (r < 0) {
		blc_cerr(c, r, "overlay %s: reset: cannot reload map: %m", c->top_path);
		goto out;
	}
	blc_chain_build_table(c);
	/* failure only leaks space, which check --repair reclaims */
	blc_io_punch(t->fd, t->data_off, blc_data_len(&t->hdr));
out:
	blc_gate_open(c);
	return r;
}

/* Copy len bytes of src at soff to dst at doff, skipping holes in src (dst holds
 * holes there already). */
static int copy_data(int src, uint64_t soff, int dst, uint64_t doff, uint64_t len)
{
	uint64_t off = soff, end = soff + len;
	static __thread uint8_t buf[1 << 16];

	while (off < end) {
		off_t d = lseek(src, (off_t)off, SEEK_DATA);
		if (d < 0 || (uint64_t)d >= end)
			return d < 0 && errno != ENXIO ? -errno : 0;
		off_t h = lseek(src, d, SEEK_HOLE);
		uint64_t stop = h < 0 || (uint64_t)h > end ? end : (uint64_t)h;
		for (off = (uint64_t)d; off < stop;) {
			size_t n = stop - off < sizeof(buf) ? stop - off : sizeof(buf);
			int r = blc_io_pread_full(src, buf, n, off);
			if (r == 0)
				r = blc_io_pwrite_full(dst, buf, n, off - soff + doff);
			if (r < 0)
				return r;
			off += n;
		}
	}
	return 0;
}

/* The new layer's file: the top's header (committed, new UUID), a map of whole
 * clusters, and the data of every cluster the top holds any of. A cluster the top
 * holds in part is completed with the sub-blocks the chain reads there now, so a
 * version layer never has partial clusters and the table stays one byte per
 * cluster. Holes are skipped: a discarded range stays a hole, reading as zeros. */
static int build_layer(struct blc_chain *c, const char *tmp, struct blc_header *h)
{
	struct blc_layer *t = c->layers[c->n - 1];
	int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0444);
	uint8_t *slot = malloc(BLC_SLOT);
	uint16_t *masks = calloc(BLC_PAGE_CLUSTERS, sizeof(*masks));
	uint8_t *payload = malloc(BLC_PAGE_PAYLOAD);
	int r;

	if (fd < 0 || !slot || !masks || !payload) {
		r = fd < 0 ? -errno : -ENOMEM;
		goto out;
	}
	r = blc_io_truncate(fd, blc_file_size(h));
	if (r == 0 && fallocate(fd, 0, 0, (off_t)h->data_offset) < 0 && errno != EOPNOTSUPP)
		r = -errno;
	for (uint64_t cl = 0; r == 0 && cl < c->nclusters; cl++) {
		uint64_t pos = cl << c->cshift, end = pos + c->cluster;
		if (!t->map[cl])
			continue;
		if (end > c->size)
			end = c->size;
		/* the runs the chain reads now: the top's sub-blocks and what lies below */
		while (r == 0 && pos < end) {
			size_t n;
			struct blc_layer *src = c->layers[blc_source_run(c, pos, end - pos, &n)];
			r = copy_data(src->fd, src->data_off + pos, fd, h->data_offset + pos, n);
			pos += n;
		}
	}
	/* every cluster the top held any of is whole in the new layer; each page
	 * goes into slot 0 with generation 1 (slot 1 stays empty: never written) */
	for (uint64_t p = 0; r == 0 && p < h->map_pages; p++) {
		uint64_t first = p * BLC_PAGE_CLUSTERS;
		for (uint64_t i = 0; i < BLC_PAGE_CLUSTERS; i++)
			masks[i] = first + i < c->nclusters && t->map[first + i] ? c->full : 0;
		blc_page_masks_put(payload, masks);
		blc_page_encode(slot, p, h->epoch, 1, payload);
		r = blc_io_pwrite_full(fd, slot, BLC_SLOT, h->map_offset + 2 * BLC_SLOT * p);
	}
	blc_header_encode(h, slot);
	for (int i = 0; r == 0 && i < 2; i++)
		r = blc_io_pwrite_full(fd, slot, BLC_SLOT, (uint64_t)i * BLC_SLOT);
	if (r == 0)
		r = blc_io_datasync(fd);
out:
	free(slot);
	free(masks);
	free(payload);
	if (fd >= 0)
		close(fd);
	return r;
}

static char *absolute(const char *path)
{
	char cwd[PATH_MAX], *out;

	if (path[0] == '/')
		return strdup(path);
	if (!getcwd(cwd, sizeof(cwd)) || asprintf(&out, "%s/%s", cwd, path) < 0)
		return NULL;
	return out;
}

int blc_commit(struct blc_chain *c, const char *newlayer)
{
	struct blc_layer *t, *nl = NULL, **grown;
	struct blc_header h;
	char *tmp = NULL, *abs_new = NULL, *abs_below = NULL, e[384];
	int r;

	if (c->readonly)
		return blc_cerr(c, -EROFS, "overlay %s: opened read-only", c->top_path);
	blc_gate_close(c);
	t = c->layers[c->n - 1];
	tmp = tmp_name(newlayer);
	abs_new = absolute(newlayer);
	abs_below = absolute(c->layers[c->n - 2]->path);
	if (!tmp || !abs_new || !abs_below) {
		r = -ENOMEM;
		goto out;
	}
	if (c->n >= BLC_MAX_DEPTH) {
		r = blc_cerr(c, -ELOOP, "overlay %s: chain would exceed %d files", c->top_path,
			     BLC_MAX_DEPTH);
		goto out;
	}
	if (strlen(abs_new) > BLC_PATH_MAX || strlen(abs_below) > BLC_PATH_MAX) {
		r = blc_cerr(c, -ENAMETOOLONG, "overlay %s: path too long", c->top_path);
		goto out;
	}
	if (access(newlayer, F_OK) == 0) {
		r = blc_cerr(c, -EEXIST, "overlay %s: commit: %s exists", c->top_path, newlayer);
		goto out;
	}
	r = blc_flush_locked(c);
	if (r < 0)
		goto out;
	h = t->hdr;
	h.flags = (h.flags | BLC_F_COMMITTED) & ~BLC_F_OPEN;
	h.gen = 1;
	strcpy(h.backing_path, abs_below);
	if ((r = new_uuid(h.uuid)) < 0)
		goto out;
	r = build_layer(c, tmp, &h);
	if (r == 0)
		r = publish(tmp, newlayer);
	if (r < 0) {
		unlink(tmp);
		blc_cerr(c, r, "overlay %s: commit: cannot write %s: %m", c->top_path, newlayer);
		goto out;
	}
	BLC_FAILPOINT("commit:layer-published");
	r = blc_layer_open(newlayer, false, &nl, e, sizeof(e));
	if (r < 0) {
		blc_cerr(c, r, "overlay %s: commit: %s", c->top_path, e);
		goto out;
	}
	grown = realloc(c->layers, sizeof(*grown) * (size_t)(c->n + 1));
	if (!grown) {
		r = -ENOMEM;
		goto out;
	}
	c->layers = grown;

	struct blc_header old = t->hdr;
	t->hdr.backing = (struct blc_identity){ .kind = BLC_KIND_LAYER, .size = h.size };
	memcpy(t->hdr.backing.uuid, h.uuid, 16);
	strcpy(t->hdr.backing_path, abs_new);
	t->hdr.epoch++;
	r = blc_header_write(t->fd, &t->hdr, &t->hslot);
	if (r < 0) {
		t->hdr = old;
		blc_cerr(c, r, "overlay %s: commit: cannot switch to %s: %s", c->top_path, newlayer,
			 blc_header_error(r));
		goto out;
	}
	BLC_FAILPOINT("commit:overlay-switched");
	c->layers[c->n] = t;
	c->layers[c->n - 1] = nl;
	c->n++;
	nl = NULL;
	r = blc_layer_load_map(t, NULL);
	if (r < 0) {
		blc_cerr(c, r, "overlay %s: commit: cannot reload map: %m", c->top_path);
		goto out;
	}
	memset(c->dirty, 0, t->hdr.map_pages);
	blc_chain_build_table(c);
	blc_io_punch(t->fd, t->data_off, blc_data_len(&t->hdr));
out:
	blc_layer_free(nl);
	blc_gate_open(c);
	free(tmp);
	free(abs_new);
	free(abs_below);
	return r;
}

int blc_rebase(const char *path, const char *newbacking, char *err, size_t errlen)
{
	struct blc_layer *l = NULL;
	struct blc_identity got;
	char e[384], *resolved = NULL;
	const char *diff;
	int r;

	if (strlen(newbacking) > BLC_PATH_MAX)
		return blc_err(err, errlen, -ENAMETOOLONG, "backing path %s is too long",
			       newbacking);
	r = blc_layer_open(path, true, &l, err, errlen);
	if (r < 0)
		return r;
	if (l->raw) {
		r = blc_err(err, errlen, -EINVAL, "%s: not a bootlink layer file", path);
		goto out;
	}
	resolved = blc_resolve_backing(path, newbacking);
	if (!resolved) {
		r = -ENOMEM;
		goto out;
	}
	r = blc_identity_of(resolved, &got, e, sizeof(e));
	if (r < 0) {
		r = blc_err(err, errlen, r, "%s: rebase: %s", path, e);
		goto out;
	}
	diff = blc_identity_diff(&l->hdr.backing, &got);
	if (diff) {
		r = blc_err(err, errlen, -ESTALE, "%s: rebase: %s is not the recorded backing "
			    "(%s differs)", path, resolved, diff);
		goto out;
	}
	strcpy(l->hdr.backing_path, newbacking);
	r = blc_header_write(l->fd, &l->hdr, &l->hslot);
	if (r < 0)
		blc_err(err, errlen, r, "%s: rebase: cannot write header: %s", path,
			blc_header_error(r));
out:
	free(resolved);
	blc_layer_free(l);
	return r;
}
