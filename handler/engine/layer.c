/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One file of a chain: a raw image or a layer file, with its header and map.
 *
 * Header and map pages each have two 4 KiB slots. A new version always goes to
 * the slot that does not hold the current one and carries the next generation
 * and a CRC32C, so a write torn by a power cut leaves the previous version
 * readable: the reader takes the valid slot with the higher generation. Map slots
 * also carry the header's epoch; reset and commit bump the epoch in one header
 * write, which empties every page at once without rewriting them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "blcow-internal.h"

int blc_err(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	if (err && errlen) {
		va_start(ap, fmt);
		errno = -code;           /* so %m in fmt names `code` */
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	errno = saved;
	return code;
}

int blc_header_read(int fd, struct blc_header *h, int *slot, char *err, size_t errlen,
		    const char *path)
{
	uint8_t *buf = calloc(2, BLC_SLOT);
	struct blc_header hs[2];
	char e[2][256];
	int r[2], best = -1;
	ssize_t got;

	if (!buf)
		return -ENOMEM;
	got = pread(fd, buf, 2 * BLC_SLOT, 0);
	if (got < 0) {
		free(buf);
		return blc_err(err, errlen, -errno, "%s: cannot read header: %m", path);
	}
	for (int i = 0; i < 2; i++) {
		r[i] = blc_header_parse(buf + i * BLC_SLOT, BLC_SLOT, &hs[i], e[i], sizeof(e[i]));
		if (r[i] == 0 && (best < 0 || hs[i].gen > hs[best].gen))
			best = i;
	}
	bool magic = memcmp(buf, BLC_MAGIC, 8) == 0 || memcmp(buf + BLC_SLOT, BLC_MAGIC, 8) == 0;
	free(buf);
	if (best >= 0) {
		*h = hs[best];
		if (slot)
			*slot = best;
		return 0;
	}
	if (!magic)
		return blc_err(err, errlen, -ENOTBLC, "%s: not a bootlink layer file", path);
	if (got < 2 * BLC_SLOT)
		return blc_err(err, errlen, -EINVAL, "%s: header truncated (file has %zd bytes)",
			       path, got);
	/* report the slot that got furthest: an empty second slot says nothing */
	int which = r[0] == -ENODATA ? 1 : 0;
	return blc_err(err, errlen, r[which] == -ENODATA ? -EINVAL : r[which],
		       "%s: %s", path, e[which]);
}

/* -ESTALE if the newest header on disk is not generation `gen`: another process
 * wrote it since we read it (e.g. `bootlink-img commit` while tcmu-runner still
 * holds the overlay open), and a write from our stale copy would undo that. */
static int header_unchanged(int fd, uint64_t gen)
{
	uint8_t *buf = malloc(2 * BLC_SLOT);
	struct blc_header cur;
	uint64_t newest = 0;
	int r = -ENOMEM;

	if (!buf)
		return r;
	r = blc_io_pread_full(fd, buf, 2 * BLC_SLOT, 0);
	for (int i = 0; r == 0 && i < 2; i++)
		if (blc_header_parse(buf + i * BLC_SLOT, BLC_SLOT, &cur, NULL, 0) == 0 &&
		    cur.gen > newest)
			newest = cur.gen;
	free(buf);
	return r < 0 ? r : newest == gen ? 0 : -ESTALE;
}

const char *blc_header_error(int r)
{
	return r == -ESTALE ? "another process changed the file since this one opened it"
			    : strerror(-r);
}

int blc_header_write(int fd, struct blc_header *h, int *slot)
{
	uint8_t *buf;
	int other = *slot ^ 1, r;

	if (h->gen && (r = header_unchanged(fd, h->gen)) < 0)
		return r;
	if (!(buf = malloc(BLC_SLOT)))
		return -ENOMEM;
	h->gen++;
	blc_header_encode(h, buf);
	r = blc_io_pwrite_full(fd, buf, BLC_SLOT, (uint64_t)other * BLC_SLOT);
	free(buf);
	if (r == 0)
		r = blc_io_datasync(fd);
	if (r == 0)
		*slot = other;
	else
		h->gen--;
	return r;
}

static bool fs_always_resident(int fd)
{
	struct statfs sf;

	return fstatfs(fd, &sf) == 0 &&
	       (sf.f_type == 0x01021994 /* tmpfs */ || sf.f_type == (typeof(sf.f_type))0x858458f6 /* ramfs */);
}

int blc_layer_open(const char *path, bool writable, struct blc_layer **out, char *err,
		   size_t errlen)
{
	struct blc_layer *l = calloc(1, sizeof(*l));
	struct stat st;
	int r;

	if (!l || !(l->path = strdup(path))) {
		free(l);
		return -ENOMEM;
	}
	l->fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (l->fd < 0) {
		r = blc_err(err, errlen, -errno, "%s: %m", path);
		goto fail;
	}
	if (fstat(l->fd, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))) {
		r = blc_err(err, errlen, -EINVAL, "%s: not a regular file or block device", path);
		goto fail;
	}
	l->nowait = 0;
	r = blc_header_read(l->fd, &l->hdr, &l->hslot, err, errlen, path);
	if (r == -ENOTBLC) {
		l->raw = true;
		*out = l;
		return 0;
	}
	if (r < 0)
		goto fail;
	l->committed = l->hdr.flags & BLC_F_COMMITTED;
	l->data_off = l->hdr.data_offset;
	if ((uint64_t)st.st_size < blc_file_size(&l->hdr)) {
		r = blc_err(err, errlen, -EINVAL,
			    "%s: file is truncated (%lld bytes, the header needs %llu)", path,
			    (long long)st.st_size, (unsigned long long)blc_file_size(&l->hdr));
		goto fail;
	}
	r = blc_layer_load_map(l, NULL);
	if (r < 0) {
		blc_err(err, errlen, r, "%s: cannot read map: %m", path);
		goto fail;
	}
	*out = l;
	return 0;
fail:
	blc_layer_free(l);
	return r;
}

int blc_layer_load_map(struct blc_layer *l, struct blc_map_scan *scan)
{
	uint64_t pages = l->hdr.map_pages;
	size_t area = 2 * BLC_SLOT * pages;
	uint8_t *buf = malloc(area);
	int r = -ENOMEM;

	free(l->map);
	free(l->page_gen);
	free(l->page_slot);
	l->map = calloc(pages * BLC_PAGE_CLUSTERS, sizeof(*l->map));
	l->page_gen = calloc(pages, sizeof(uint64_t));
	l->page_slot = calloc(pages, 1);
	if (!buf || !l->map || !l->page_gen || !l->page_slot)
		goto out;
	r = blc_io_pread_full(l->fd, buf, area, l->hdr.map_offset);
	if (r < 0)
		goto out;
	for (uint64_t p = 0; p < pages; p++) {
		const uint8_t *pl[2] = { NULL, NULL };
		uint64_t g[2] = { 0, 0 };
		int pr[2], best = -1;

		for (int s = 0; s < 2; s++) {
			pr[s] = blc_page_parse(buf + (2 * p + s) * BLC_SLOT, BLC_SLOT, p,
					       l->hdr.epoch, &g[s], &pl[s]);
			if (pr[s] == 0 && (best < 0 || g[s] > g[best]))
				best = s;
		}
		if (best >= 0) {
			blc_page_masks_get(pl[best], l->map + p * BLC_PAGE_CLUSTERS);
			l->page_gen[p] = g[best];
			l->page_slot[p] = (uint8_t)best;
		} else {
			/* next write goes to slot 0 with generation 1 */
			l->page_slot[p] = 1;
		}
		if (!scan)
			continue;
		int torn = (pr[0] == -EBADMSG) + (pr[1] == -EBADMSG);
		if (best >= 0 && torn)
			scan->torn_slots++;
		if (best < 0 && torn) {
			scan->bad_pages++;
			if (scan->bad)
				scan->bad[p] = 1;
		}
	}
	/* masks no writer produces are counted for check and dropped (read from
	 * below), so I/O never trusts them */
	for (uint64_t i = 0; i < pages * BLC_PAGE_CLUSTERS; i++) {
		if (blc_mask_valid(&l->hdr, i, l->map[i]))
			continue;
		if (scan) {
			scan->bad_states++;
			if (scan->bad)           /* check rebuilds the cluster from allocation */
				scan->bad[i / BLC_PAGE_CLUSTERS] = 1;
		}
		l->map[i] = 0;
	}
	r = 0;
out:
	free(buf);
	return r;
}

int blc_layer_write_page(struct blc_layer *l, uint64_t page, const uint16_t *masks)
{
	uint8_t *buf = malloc(BLC_SLOT);
	uint8_t *payload = malloc(BLC_PAGE_PAYLOAD);
	int slot = l->page_slot[page] ^ 1, r = -ENOMEM;

	if (!buf || !payload)
		goto out;
	blc_page_masks_put(payload, masks);
	blc_page_encode(buf, page, l->hdr.epoch, l->page_gen[page] + 1, payload);
	r = blc_io_pwrite_full(l->fd, buf, BLC_SLOT,
			       l->hdr.map_offset + (2 * page + (uint64_t)slot) * BLC_SLOT);
	if (r == 0) {
		l->page_gen[page]++;
		l->page_slot[page] = (uint8_t)slot;
	}
out:
	free(buf);
	free(payload);
	return r;
}

void blc_layer_free(struct blc_layer *l)
{
	if (!l)
		return;
	if (l->fd >= 0)
		close(l->fd);
	free(l->path);
	free(l->map);
	free(l->page_gen);
	free(l->page_slot);
	free(l);
}

int blc_layer_nowait_mode(struct blc_layer *l)
{
	return fs_always_resident(l->fd) ? 1 : 2;
}
