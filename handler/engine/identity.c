/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Identity of a layer: what an overlay remembers about the layer below so that a
 * replaced, modified or truncated base is refused instead of served.
 *
 * A raw image has no header we could stamp, so its identity is size + mtime +
 * a fingerprint of its content (first 1 MiB, where partition tables and boot
 * sectors live, plus 64 evenly spaced 4 KiB blocks). mtime catches ordinary
 * writes; the fingerprint catches a different image copied in with its mtime
 * preserved. Neither is proof against a deliberate forgery; that is not the goal.
 * A layer file carries a random UUID in its header; that is its identity.
 * The inode number is deliberately not part of it: a moved or copied image
 * (cp -a, rsync -t) keeps its identity, so `rebase` can accept the new path.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "blcow-internal.h"

#define FP_HEAD (1u << 20)
#define FP_BLOCKS 64
#define FP_BLOCK 4096u

static uint64_t mix(uint64_t h, uint64_t w)
{
	h ^= w * 0x87c37b91114253d5ull;
	h = (h << 31) | (h >> 33);
	return h * 0x4cf5ad432745937full + 0x52dce729;
}

static uint64_t hash_buf(uint64_t h, const uint8_t *p, size_t n)
{
	size_t i = 0;
	uint64_t w;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		h = mix(h, w);
	}
	w = 0;
	memcpy(&w, p + i, n - i);
	return mix(h, w ^ n);
}

static int fingerprint(int fd, uint64_t size, uint64_t *out)
{
	size_t head = size < FP_HEAD ? (size_t)size : FP_HEAD;
	uint8_t *buf = malloc(FP_HEAD);
	uint64_t h = 0x6c62272e07bb0142ull ^ size;
	int r;

	if (!buf)
		return -ENOMEM;
	r = blc_io_pread_full(fd, buf, head, 0);
	if (r == 0)
		h = hash_buf(h, buf, head);
	for (int i = 0; r == 0 && size >= FP_BLOCK && i < FP_BLOCKS; i++) {
		uint64_t off = (size - FP_BLOCK) * (uint64_t)i / (FP_BLOCKS - 1);   /* last = tail */
		off &= ~(uint64_t)(FP_BLOCK - 1);
		r = blc_io_pread_full(fd, buf, FP_BLOCK, off);
		h = hash_buf(h, buf, FP_BLOCK);
	}
	free(buf);
	*out = h;
	return r;
}

int blc_identity_of_fd(int fd, const char *path, struct blc_identity *id, char *err,
		       size_t errlen)
{
	struct blc_header h;
	struct stat st;
	int r;

	memset(id, 0, sizeof(*id));
	if (fstat(fd, &st) < 0)
		return blc_err(err, errlen, -errno, "%s: cannot stat: %m", path);
	r = blc_header_read(fd, &h, NULL, err, errlen, path);
	if (r == 0) {
		id->kind = BLC_KIND_LAYER;
		id->size = h.size;
		memcpy(id->uuid, h.uuid, 16);
		return 0;
	}
	if (r != -ENOTBLC)
		return r;        /* a damaged layer file must not pass for a raw image */
	id->kind = BLC_KIND_RAW;
	id->size = (uint64_t)st.st_size;
	id->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	r = fingerprint(fd, id->size, &id->fingerprint);
	if (r < 0)
		return blc_err(err, errlen, r, "%s: cannot read: %s", path, strerror(-r));
	return 0;
}

int blc_identity_of(const char *path, struct blc_identity *id, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return blc_err(err, errlen, -errno, "%s: %m", path);
	r = blc_identity_of_fd(fd, path, id, err, errlen);
	close(fd);
	return r;
}

const char *blc_identity_diff(const struct blc_identity *want, const struct blc_identity *got)
{
	if (want->kind != got->kind)
		return want->kind == BLC_KIND_RAW ? "it is now a layer file, was a raw image"
						   : "it is now a raw image, was a layer file";
	if (want->size != got->size)
		return "size";
	if (want->kind == BLC_KIND_LAYER)
		return memcmp(want->uuid, got->uuid, 16) ? "layer UUID" : NULL;
	if (want->mtime_ns != got->mtime_ns)
		return "mtime";
	if (want->fingerprint != got->fingerprint)
		return "content fingerprint";
	return NULL;
}

bool blc_identity_equal(const struct blc_identity *a, const struct blc_identity *b)
{
	return blc_identity_diff(a, b) == NULL;
}

int blc_identity_format(const struct blc_identity *id, char *buf, size_t len)
{
	int n;

	if (id->kind == BLC_KIND_RAW) {
		n = snprintf(buf, len, "raw:%" PRIu64 ":%" PRId64 ":%016" PRIx64, id->size,
			     id->mtime_ns, id->fingerprint);
	} else {
		char u[33];
		for (int i = 0; i < 16; i++)
			sprintf(u + 2 * i, "%02x", id->uuid[i]);
		n = snprintf(buf, len, "layer:%" PRIu64 ":%s", id->size, u);
	}
	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

int blc_identity_parse(const char *text, struct blc_identity *id)
{
	char u[33], tail;

	memset(id, 0, sizeof(*id));
	if (sscanf(text, "raw:%" SCNu64 ":%" SCNd64 ":%16" SCNx64 "%c", &id->size, &id->mtime_ns,
		   &id->fingerprint, &tail) == 3) {
		id->kind = BLC_KIND_RAW;
		return 0;
	}
	if (sscanf(text, "layer:%" SCNu64 ":%32[0-9a-f]%c", &id->size, u, &tail) == 2 &&
	    strlen(u) == 32) {
		for (int i = 0; i < 16; i++)
			sscanf(u + 2 * i, "%2hhx", &id->uuid[i]);
		id->kind = BLC_KIND_LAYER;
		return 0;
	}
	return -EINVAL;
}
