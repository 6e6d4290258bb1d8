/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers for the engine's tests: scratch directories, a patterned base image,
 * and self-describing block contents. A block written with tag T holds words
 * derived from (T, block number), so a read tells which write it came from and
 * whether it is whole: a block mixing two writes, or base data and a write,
 * fails tag_of(). Tag 0 is an all-zero block, tag 1 the base's content.
 */
#ifndef BL_ENGINE_UTIL_H
#define BL_ENGINE_UTIL_H

#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TAG_ZERO 0u
#define TAG_BASE 1u
#define TAG_MIXED UINT32_MAX

static inline uint64_t word_of(uint32_t tag, uint64_t blk, uint64_t i)
{
	uint64_t x = ((uint64_t)tag << 32 | (blk & 0xffffffffu)) + i * 0x9e3779b97f4a7c15ull;
	return i == 0 ? (uint64_t)tag << 32 | (blk & 0xffffffffu) : x ^ (x >> 29);
}

static inline void fill_block(void *buf, size_t bsize, uint64_t blk, uint32_t tag)
{
	uint64_t *w = buf;

	for (size_t i = 0; i < bsize / 8; i++)
		w[i] = tag == TAG_ZERO ? 0 : word_of(tag, blk, i);
}

/* The tag a block was written with, or TAG_MIXED. */
static inline uint32_t tag_of(const void *buf, size_t bsize, uint64_t blk)
{
	const uint64_t *w = buf;
	uint32_t tag = (uint32_t)(w[0] >> 32);

	if (w[0] == 0)
		tag = TAG_ZERO;
	else if ((w[0] & 0xffffffffu) != (blk & 0xffffffffu))
		return TAG_MIXED;
	for (size_t i = 0; i < bsize / 8; i++)
		if (w[i] != (tag == TAG_ZERO ? 0 : word_of(tag, blk, i)))
			return TAG_MIXED;
	return tag;
}

/* mkdtemp under $TMPDIR, else /var/tmp (a real disk file system: holes, SEEK_DATA). */
static inline void make_dir(char *buf, size_t len, const char *name)
{
	const char *t = getenv("TMPDIR");
	snprintf(buf, len, "%s/blc-%s-XXXXXX", t ? t : "/var/tmp", name);
	if (!mkdtemp(buf))
		abort();
}

/* For the long randomized tests: under $TMPDIR, else /dev/shm when it exists.
 * Their crashes are simulated by io.c, so a real fsync only costs time (a lot
 * of it on a busy disk). */
static inline void make_fast_dir(char *buf, size_t len, const char *name)
{
	if (!getenv("TMPDIR") && access("/dev/shm", W_OK) == 0) {
		snprintf(buf, len, "/dev/shm/blc-%s-XXXXXX", name);
		if (mkdtemp(buf))
			return;
	}
	make_dir(buf, len, name);
}

static inline int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void remove_dir(const char *dir)
{
	if (nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		abort();
}

/* A base image of `size` bytes, every block tagged TAG_BASE. */
static inline void make_base(const char *path, uint64_t size, size_t bsize)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	uint8_t *b = malloc(bsize);

	if (fd < 0 || !b)
		abort();
	for (uint64_t blk = 0; blk < size / bsize; blk++) {
		fill_block(b, bsize, blk, TAG_BASE);
		if (pwrite(fd, b, bsize, (off_t)(blk * bsize)) != (ssize_t)bsize)
			abort();
	}
	free(b);
	close(fd);
}

#endif
