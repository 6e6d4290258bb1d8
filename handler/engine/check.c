/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check / repair of one layer file.
 *
 * What a crash can leave (see the ordering notes in chain.c and maint.c):
 *  - a torn header or map slot next to an intact one: harmless, the intact slot
 *    is read; reported as a note, and repair rewrites the torn slot;
 *  - data in sub-blocks the map does not mark held (writes not covered by a
 *    durable map, reset or commit interrupted): leaked space. The header's OPEN
 *    flag says the overlay was not closed cleanly, which explains it: a note,
 *    and the next open frees it. Without the flag it is a problem. repair frees
 *    it and clears the flag;
 *  - nothing else. Other findings mean damage from outside (bad disk, editing):
 *    a map page with no readable slot or an impossible mask is rebuilt from the
 *    file's allocation (allocated sub-blocks are taken as held, which keeps
 *    every byte the overlay may own), a short file is extended (its lost tail then
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

#include "blcow-internal.h"

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

int blc_layer_reclaim(struct blc_layer *l, bool punch, const uint8_t *bad, bool adopt,
		      uint64_t *bytes)
{
	uint64_t off = l->data_off, end = l->data_off + blc_data_len(&l->hdr);
	uint64_t cs = l->hdr.cluster_size, sub = l->hdr.sub_size;
	uint16_t full = blc_full_mask(&l->hdr);

	*bytes = 0;
	while (off < end) {
		off_t d = lseek(l->fd, (off_t)off, SEEK_DATA);
		if (d < 0 || (uint64_t)d >= end)
			break;
		off_t h = lseek(l->fd, d, SEEK_HOLE);
		uint64_t stop = h < 0 || (uint64_t)h > end ? end : (uint64_t)h;
		for (off = (uint64_t)d; off < stop;) {
			uint64_t v = off - l->data_off, cl = v / cs;
			unsigned k = (unsigned)(v % cs / sub);
			uint64_t n = (l->data_off + (v / sub + 1) * sub < stop
				      ? l->data_off + (v / sub + 1) * sub : stop) - off;
			if (bad && bad[cl / BLC_PAGE_CLUSTERS]) {
				/* the map entry is lost: the data is what a rebuild keeps */
				if (adopt)
					l->map[cl] = l->committed ? full
								  : (uint16_t)(l->map[cl] | 1u << k);
			} else if (!((l->map[cl] >> k) & 1)) {
				*bytes += n;
				if (punch) {
					int r = blc_io_punch(l->fd, off, n);
					if (r < 0)
						return r;
				}
			}
			off += n;
		}
	}
	return 0;
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
	uint64_t leaked = 0;
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
	if (repair && (scan.bad_pages || scan.bad_states)) {
		r = blc_layer_reclaim(l, false, scan.bad, true, &leaked);
		/* twice: both slots of a rebuilt page must be readable again */
		for (uint64_t p = 0; r == 0 && p < 2 * l->hdr.map_pages; p++)
			r = blc_layer_write_page(l, p / 2, l->map + p / 2 * BLC_PAGE_CLUSTERS);
		if (r == 0)
			r = blc_io_datasync(l->fd);
		if (r < 0)
			goto out;
		x.res->repaired += (scan.bad_pages > 0) + (scan.bad_states > 0);
		memset(scan.bad, 0, l->hdr.map_pages);
	}
	r = blc_layer_reclaim(l, repair, scan.bad, false, &leaked);
	if (r < 0)
		goto out;
	x.res->leaked_bytes = leaked;
	bool open_flag = l->hdr.flags & BLC_F_OPEN;
	if (leaked && open_flag) {
		/* expected: writes after the last flush of a crashed or running user */
		finding(&x, &x.res->notes, "note: not closed cleanly (in use, or it crashed): %"
			PRIu64 " bytes of data written after the last flush are not in the map; "
			"the next open frees them%s", leaked, repair ? " (freed now)" : "");
	} else if (leaked) {
		finding(&x, &x.res->problems, "%" PRIu64 " bytes of data in sub-blocks the map "
			"does not use%s", leaked, repair ? " (freed)" : "");
		x.res->repaired += repair;
	}
	if (repair && open_flag && !l->committed) {
		l->hdr.flags &= ~BLC_F_OPEN;
		if ((r = blc_header_write(l->fd, &l->hdr, &l->hslot)) < 0)
			goto out;
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
