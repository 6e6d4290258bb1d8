/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check / repair of one layer file.
 *
 * What a crash can leave (see the ordering notes in chain.c and maint.c):
 *  - a torn header or map slot next to an intact one: harmless, the intact slot
 *    is read; reported as a note, and repair rewrites the torn slot;
 *  - data blocks in clusters the map does not mark HERE (copy-up or punch not
 *    covered by a durable map, reset or commit interrupted): leaked space,
 *    reported as a problem, freed by repair;
 *  - nothing else. Other findings mean damage from outside (bad disk, editing):
 *    a map page with no readable slot or a reserved state is rebuilt from the
 *    file's allocation (allocated clusters are taken as HERE, which keeps every
 *    byte the overlay may own), a short file is extended (its lost tail then
 *    reads as zeros), a broken chain is reported (fix it with rebase).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "engine.h"

struct ctx {
	struct blc_check_result *res;
	void (*say)(void *ctx, const char *line);
	void *sctx;
	const char *path;
};

static void __attribute__((format(printf, 3, 4)))
finding(struct ctx *x, unsigned *counter, const char *fmt, ...)
{
	char line[768];
	int n;
	va_list ap;

	(*counter)++;
	if (!x->say)
		return;
	n = snprintf(line, sizeof(line), "%s: ", x->path);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	x->say(x->sctx, line);
}

/* For every data extent of the file in [from, to), call fn(cluster, off, len). */
static int for_each_extent(struct blc_layer *l, int (*fn)(struct blc_layer *, uint64_t,
							  uint64_t, uint64_t, void *),
			   void *arg)
{
	uint64_t off = l->data_off, end = l->data_off + blc_data_len(&l->hdr);
	uint64_t cs = l->hdr.cluster_size;

	while (off < end) {
		off_t d = lseek(l->fd, (off_t)off, SEEK_DATA);
		if (d < 0 || (uint64_t)d >= end)
			break;
		off_t h = lseek(l->fd, d, SEEK_HOLE);
		uint64_t stop = h < 0 || (uint64_t)h > end ? end : (uint64_t)h;
		for (off = (uint64_t)d; off < stop;) {
			uint64_t cl = (off - l->data_off) / cs;
			uint64_t cend = l->data_off + (cl + 1) * cs;
			uint64_t n = (cend < stop ? cend : stop) - off;
			int r = fn(l, cl, off, n, arg);
			if (r < 0)
				return r;
			off += n;
		}
	}
	return 0;
}

struct leak {
	uint64_t bytes;
	bool repair;
	bool rebuild;            /* mark allocated clusters of bad pages HERE */
	uint8_t *bad;            /* pages with no readable slot */
};

static int leak_one(struct blc_layer *l, uint64_t cl, uint64_t off, uint64_t n, void *arg)
{
	struct leak *k = arg;
	unsigned st = blc_map_get(l->map, cl);

	/* data under a lost map entry is what the rebuild keeps, not a leak */
	if (k->bad[cl / BLC_PAGE_CLUSTERS] || st == BLC_ST_BAD) {
		if (k->rebuild)
			blc_map_set(l->map, cl, BLC_ST_HERE);
		return 0;
	}
	if (st == BLC_ST_HERE)
		return 0;
	k->bytes += n;
	return k->repair ? blc_io_punch(l->fd, off, n) : 0;
}

static int check_header(struct ctx *x, int fd, bool repair, struct blc_header *h, int *slot)
{
	uint8_t *buf = calloc(2, BLC_SLOT);
	struct blc_header other;
	int r = 0;

	if (!buf)
		return -ENOMEM;
	if (blc_io_pread_full(fd, buf, 2 * BLC_SLOT, 0) == 0) {
		int o = *slot ^ 1;
		int pr = blc_header_parse(buf + o * BLC_SLOT, BLC_SLOT, &other, NULL, 0);
		if (pr < 0 && pr != -ENODATA) {
			finding(x, &x->res->notes, "note: header slot %d is torn or damaged, "
				"slot %d is intact%s", o, *slot, repair ? " (rewritten)" : "");
			/* writing the header again lands in the damaged slot */
			if (repair)
				r = blc_header_write(fd, h, slot);
		}
	}
	free(buf);
	return r;
}

int blc_check(const char *path, bool repair, struct blc_check_result *res,
	      void (*say)(void *ctx, const char *line), void *sctx, char *err, size_t errlen)
{
	struct blc_check_result dummy;
	struct ctx x = { res ? res : &dummy, say, sctx, path };
	struct blc_map_scan scan = { 0 };
	struct blc_layer *l = NULL;
	struct blc_chain *c = NULL;
	struct blc_header h;
	struct leak k = { 0 };
	struct stat st;
	char e[512];
	int r, fd;

	memset(x.res, 0, sizeof(*x.res));
	/* a short file keeps blc_layer_open from opening it: look first */
	fd = open(path, repair ? O_RDWR : O_RDONLY);
	if (fd < 0)
		return blc_err(err, errlen, -errno, "%s: %m", path);
	r = blc_header_read(fd, &h, NULL, err, errlen, path);
	if (r == 0 && fstat(fd, &st) == 0 && (uint64_t)st.st_size < blc_file_size(&h)) {
		finding(&x, &x.res->problems, "file is truncated to %lld bytes, expected %llu%s",
			(long long)st.st_size, (unsigned long long)blc_file_size(&h),
			repair ? " (extended; the lost part reads as zeros)" : "");
		if (repair && (r = blc_io_truncate(fd, blc_file_size(&h))) == 0)
			x.res->repaired++;
		if (!repair) {
			close(fd);
			return 0;        /* the rest cannot be read as it is */
		}
	}
	close(fd);
	if (r < 0)
		return r;        /* blc_header_read said why */
	r = blc_layer_open(path, repair, &l, err, errlen);
	if (r < 0)
		return r;
	if (l->raw) {
		blc_layer_free(l);
		return blc_err(err, errlen, -ENOTBLC, "%s: not a bootlink layer file", path);
	}
	r = check_header(&x, l->fd, repair, &l->hdr, &l->hslot);
	if (r < 0)
		goto out;

	scan.bad = calloc(l->hdr.map_pages, 1);
	if (!scan.bad) {
		r = -ENOMEM;
		goto out;
	}
	r = blc_layer_load_map(l, &scan);
	if (r < 0)
		goto out;
	if (scan.torn_slots)
		finding(&x, &x.res->notes, "note: %" PRIu64 " map page(s) have a torn spare slot "
			"(harmless, the other slot is intact)", scan.torn_slots);
	if (scan.bad_pages)
		finding(&x, &x.res->problems, "%" PRIu64 " map page(s) have no readable slot%s",
			scan.bad_pages, repair ? " (rebuilt from the file's allocation)" : "");
	if (scan.bad_states)
		finding(&x, &x.res->problems, "%" PRIu64 " cluster(s) have an invalid map state%s",
			scan.bad_states, repair ? " (rebuilt from the file's allocation)" : "");
	k.bad = scan.bad;
	if (repair && (scan.bad_pages || scan.bad_states)) {
		k.rebuild = true;
		r = for_each_extent(l, leak_one, &k);
		for (uint64_t cl = 0; r == 0 && cl < l->hdr.map_pages * BLC_PAGE_CLUSTERS; cl++)
			if (blc_map_get(l->map, cl) == BLC_ST_BAD)
				blc_map_set(l->map, cl, BLC_ST_BELOW);
		/* twice: both slots of a rebuilt page must be readable again */
		for (uint64_t p = 0; r == 0 && p < 2 * l->hdr.map_pages; p++)
			r = blc_layer_write_page(l, p / 2, l->map + p / 2 * BLC_PAGE_PAYLOAD);
		if (r == 0)
			r = blc_io_datasync(l->fd);
		if (r < 0)
			goto out;
		x.res->repaired += (scan.bad_pages > 0) + (scan.bad_states > 0);
		k.rebuild = false;
		memset(scan.bad, 0, l->hdr.map_pages);
	}
	k.repair = repair;
	r = for_each_extent(l, leak_one, &k);
	if (r < 0)
		goto out;
	x.res->leaked_bytes = k.bytes;
	if (k.bytes) {
		finding(&x, &x.res->problems, "%" PRIu64 " bytes of data in clusters the map does "
			"not use (left by a crash)%s", k.bytes, repair ? " (freed)" : "");
		x.res->repaired += repair;
	}
	if (blc_open(path, &(struct blc_open_opts){ .flags = BLC_OPEN_RDONLY }, &c, e,
		     sizeof(e)) < 0)
		finding(&x, &x.res->problems, "chain does not open: %s (if the backing moved, use "
			"rebase)", e);
	blc_close(c);
	r = 0;
out:
	if (r < 0)
		blc_err(err, errlen, r, "%s: check failed: %m", path);
	free(scan.bad);
	blc_layer_free(l);
	return r;
}
