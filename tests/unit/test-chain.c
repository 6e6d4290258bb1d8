/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tests for handler/chain.c (and the chain-level parts of maint.c): I/O
 * semantics, identity checks at open, concurrency, and a model check of random
 * operation sequences against a flat in-memory disk (BLC_MODEL_SEEDS seeds,
 * default 200). */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "blcow-internal.h"
#include "engine-util.h"

#define SIZE (1024 * 1024)

struct fx {
	char dir[256], base[300], ovl[300];
	struct blc_chain *c;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[512];

	make_dir(f->dir, sizeof(f->dir), "chain");
	snprintf(f->base, sizeof(f->base), "%s/base.img", f->dir);
	snprintf(f->ovl, sizeof(f->ovl), "%s/pc01.ovl", f->dir);
	make_base(f->base, SIZE, 512);
	assert_int_equal(blc_create(f->ovl, "base.img", &(struct blc_create_opts){ 4096, 512 },
				    err, sizeof(err)), 0);
	assert_int_equal(blc_open(f->ovl, NULL, &f->c, err, sizeof(err)), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	blc_close(f->c);
	remove_dir(f->dir);
	free(f);
	return 0;
}

static void write_tag(struct blc_chain *c, uint64_t blk, unsigned nblk, uint32_t tag)
{
	uint8_t *b = malloc(nblk * 512);
	for (unsigned i = 0; i < nblk; i++)
		fill_block(b + i * 512, 512, blk + i, tag);
	struct iovec v = { b, nblk * 512 };
	assert_int_equal(blc_writev(c, &v, 1, blk * 512), 0);
	free(b);
}

static uint32_t read_tag(struct blc_chain *c, uint64_t blk)
{
	uint8_t b[512];
	struct iovec v = { b, 512 };
	assert_int_equal(blc_readv(c, &v, 1, blk * 512, 0), 0);
	return tag_of(b, 512, blk);
}

static void test_reads_base(void **state)
{
	struct fx *f = *state;
	uint8_t *b = malloc(SIZE);
	struct iovec v = { b, SIZE };

	assert_int_equal(blc_readv(f->c, &v, 1, 0, 0), 0);
	for (uint64_t blk = 0; blk < SIZE / 512; blk++)
		assert_int_equal(tag_of(b + blk * 512, 512, blk), TAG_BASE);
	free(b);
}

static void test_partial_write_copies_up(void **state)
{
	struct fx *f = *state;

	write_tag(f->c, 9, 2, 7);                /* blocks 9-10 of cluster 1 (8..15) */
	for (uint64_t blk = 0; blk < 24; blk++)
		assert_int_equal(read_tag(f->c, blk), blk == 9 || blk == 10 ? 7u : TAG_BASE);
	write_tag(f->c, 10, 1, 8);               /* rewrite inside the top */
	assert_int_equal(read_tag(f->c, 10), 8);
	assert_int_equal(read_tag(f->c, 9), 7);
	/* a read spanning base, top and base clusters is split correctly */
	uint8_t b[24 * 512];
	struct iovec v[3] = { { b, 512 * 5 }, { b + 512 * 5, 512 * 11 }, { b + 512 * 16, 512 * 8 } };
	assert_int_equal(blc_readv(f->c, v, 3, 0, 0), 0);
	for (uint64_t blk = 0; blk < 24; blk++)
		assert_int_equal(tag_of(b + blk * 512, 512, blk),
				 blk == 9 ? 7u : blk == 10 ? 8u : TAG_BASE);
}

/* A fresh overlay with 64 KiB clusters (16 sub-blocks of 4 KiB) on f's base. */
static struct blc_chain *open_big(struct fx *f, const char *name)
{
	char path[400], err[512];
	struct blc_chain *c;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	assert_int_equal(blc_create(path, "base.img", &(struct blc_create_opts){ 65536, 512 },
				    err, sizeof(err)), 0);
	assert_int_equal(blc_open(path, NULL, &c, err, sizeof(err)), 0);
	return c;
}

static uint64_t top_allocated(struct blc_chain *c)
{
	struct blc_layer_info li;
	assert_int_equal(blc_layer_info(c, blc_layer_count(c) - 1, &li), 0);
	return li.allocated;
}

/* A first write stores the sub-blocks it touches, not its whole cluster: 4 KiB
 * random first writes cost about what they cost on a plain file. */
static void test_first_write_allocates_sub_blocks(void **state)
{
	struct fx *f = *state;
	struct blc_chain *c = open_big(f, "big.ovl");

	write_tag(c, 128 + 16, 8, 7);            /* sub-block 2 of cluster 1, whole */
	assert_int_equal(top_allocated(c), 4096);
	write_tag(c, 128 + 41, 1, 8);            /* 512 bytes in sub-block 5: copied up */
	assert_int_equal(top_allocated(c), 8192);
	for (uint64_t blk = 128; blk < 256; blk++)
		assert_int_equal(read_tag(c, blk), blk >= 144 && blk < 152 ? 7u
						   : blk == 169 ? 8u : TAG_BASE);
	/* one read across held and unheld sub-blocks and clusters */
	uint8_t *b = malloc(3 * 65536);
	struct iovec v = { b, 3 * 65536 };
	assert_int_equal(blc_readv(c, &v, 1, 0, 0), 0);
	for (uint64_t blk = 0; blk < 384; blk++)
		assert_int_equal(tag_of(b + blk * 512, 512, blk),
				 blk >= 144 && blk < 152 ? 7u : blk == 169 ? 8u : TAG_BASE);
	/* the rest of the cluster, then the cluster is whole: one run on read */
	write_tag(c, 128, 16, 9);
	write_tag(c, 152, 104, 9);
	write_tag(c, 169, 1, 10);
	assert_int_equal(top_allocated(c), 65536);
	assert_int_equal(blc_readv(c, &v, 1, 0, 0), 0);
	for (uint64_t blk = 0; blk < 384; blk++)
		assert_int_equal(tag_of(b + blk * 512, 512, blk),
				 blk == 169 ? 10u : blk >= 128 && blk < 256 ? (blk >= 144 && blk < 152
									      ? 7u : 9u)
				 : TAG_BASE);
	free(b);
	blc_close(c);
}

/* Writes of many new clusters lock the stripes of those clusters. Taken in cluster
 * order, runs whose stripe ranges wrap around at different points took stripes in
 * different orders, and three or more such writers could wait on each other in a
 * cycle for ever. */
struct runner {
	struct blc_chain *c;
	uint64_t first;          /* cluster of the first write */
	int fails;
};

static void *run_writes(void *arg)
{
	struct runner *r = arg;
	size_t len = (size_t)BLC_RUN * 4096;
	uint8_t *b = calloc(1, len);
	struct iovec v = { b, len };

	/* each round a fresh region (clusters not held yet), so every write locks */
	for (uint64_t round = 0; round < 8; round++)
		r->fails += blc_writev(r->c, &v, 1, (round * 4 * BLC_STRIPES + r->first) * 4096) < 0;
	free(b);
	return NULL;
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "deadlock: concurrent multi-cluster writes did not finish\n";
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(2);
}

static void test_multi_cluster_writes_do_not_deadlock(void **state)
{
	struct fx *f = *state;
	char path[400], err[512];
	struct blc_chain *c;
	(void)state;

	snprintf(path, sizeof(path), "%s/wide.img", f->dir);
	make_base(path, (32 * BLC_STRIPES + 4 * BLC_RUN) * 4096ull, 512);
	snprintf(path, sizeof(path), "%s/wide.ovl", f->dir);
	assert_int_equal(blc_create(path, "wide.img", &(struct blc_create_opts){ 4096, 512 },
				    err, sizeof(err)), 0);
	assert_int_equal(blc_open(path, NULL, &c, err, sizeof(err)), 0);
	signal(SIGALRM, on_alarm);
	for (int trial = 0; trial < 20; trial++) {
		struct runner r[4];
		pthread_t t[4];
		for (int i = 0; i < 4; i++) {
			/* runs starting at stripe offsets that wrap around differently */
			r[i] = (struct runner){ c, (uint64_t)(trial % 2) * BLC_STRIPES +
						       (uint64_t)i * (BLC_RUN - 8), 0 };
			pthread_create(&t[i], NULL, run_writes, &r[i]);
		}
		alarm(60);
		for (int i = 0; i < 4; i++) {
			pthread_join(t[i], NULL);
			assert_int_equal(r[i].fails, 0);
		}
		alarm(0);
		assert_int_equal(blc_reset(c), 0);
	}
	blc_close(c);
}

static void test_discard_reads_zeros_not_base(void **state)
{
	struct fx *f = *state;
	char err[512];

	write_tag(f->c, 16, 8, 5);                            /* cluster 2 in the top */
	assert_int_equal(blc_discard(f->c, 0, 8 * 512), 0);   /* cluster 0: base only */
	assert_int_equal(blc_discard(f->c, 16 * 512, 8 * 512), 0);
	assert_int_equal(blc_write_zeroes(f->c, 33 * 512, 2 * 512), 0); /* partial, base */
	assert_int_equal(blc_discard(f->c, 41 * 512, 512), 0);          /* partial */
	for (int pass = 0; pass < 2; pass++) {
		for (uint64_t blk = 0; blk < 48; blk++) {
			bool z = blk < 8 || (blk >= 16 && blk < 24) || blk == 33 || blk == 34 ||
				 blk == 41;
			assert_int_equal(read_tag(f->c, blk), z ? TAG_ZERO : TAG_BASE);
		}
		blc_close(f->c);
		assert_int_equal(blc_open(f->ovl, NULL, &f->c, err, sizeof(err)), 0);
	}
	/* a partial write into a zeroed cluster keeps the rest zero */
	write_tag(f->c, 2, 1, 9);
	assert_int_equal(read_tag(f->c, 1), TAG_ZERO);
	assert_int_equal(read_tag(f->c, 2), 9);
}

static void test_reset(void **state)
{
	struct fx *f = *state;
	char err[512];

	write_tag(f->c, 100, 20, 3);
	assert_int_equal(blc_discard(f->c, 0, 4096), 0);
	assert_int_equal(blc_flush(f->c), 0);
	assert_int_equal(blc_reset(f->c), 0);
	assert_int_equal(read_tag(f->c, 105), TAG_BASE);
	assert_int_equal(read_tag(f->c, 0), TAG_BASE);
	write_tag(f->c, 101, 1, 4);
	blc_close(f->c);
	assert_int_equal(blc_open(f->ovl, NULL, &f->c, err, sizeof(err)), 0);
	assert_int_equal(read_tag(f->c, 100), TAG_BASE);
	assert_int_equal(read_tag(f->c, 101), 4);
	struct stat st;
	assert_int_equal(stat(f->ovl, &st), 0);
	assert_true(st.st_blocks * 512 < 64 * 1024);   /* the data was punched */
}

static void test_commit_and_layers(void **state)
{
	struct fx *f = *state;
	char err[512], layer[400], ovl2[400];
	struct blc_chain *c2;

	write_tag(f->c, 50, 3, 11);
	assert_int_equal(blc_discard(f->c, 64 * 512, 8 * 512), 0);
	snprintf(layer, sizeof(layer), "%s/v1.layer", f->dir);
	assert_int_equal(blc_commit(f->c, layer), 0);
	assert_int_equal(blc_layer_count(f->c), 3);
	assert_int_equal(read_tag(f->c, 51), 11);
	assert_int_equal(read_tag(f->c, 64), TAG_ZERO);
	assert_int_equal(blc_commit(f->c, layer), -EEXIST);
	write_tag(f->c, 51, 1, 12);     /* copy-up from the layer */
	assert_int_equal(read_tag(f->c, 50), 11);
	assert_int_equal(read_tag(f->c, 51), 12);

	snprintf(ovl2, sizeof(ovl2), "%s/pc02.ovl", f->dir);
	assert_int_equal(blc_create(ovl2, layer, NULL, err, sizeof(err)), 0);
	assert_int_equal(blc_open(ovl2, NULL, &c2, err, sizeof(err)), 0);
	assert_int_equal(read_tag(c2, 51), 11);
	assert_int_equal(read_tag(c2, 64), TAG_ZERO);
	assert_int_equal(read_tag(c2, 0), TAG_BASE);
	blc_close(c2);
	/* a version layer cannot be opened for writing */
	assert_int_equal(blc_open(layer, NULL, &c2, err, sizeof(err)), -EROFS);
	assert_non_null(strstr(err, "committed"));
	/* a cluster size other than the layer's is refused */
	unlink(ovl2);
	assert_int_equal(blc_create(ovl2, layer, &(struct blc_create_opts){ 8192, 0 }, err,
				    sizeof(err)), -EINVAL);
}

/* A commit by another opener (linkctl while tcmu-runner still holds the overlay)
 * switches the overlay to the new layer. The first opener's copy of the header is
 * stale then: its reset fails with a message, and its close must not write that
 * copy back, which would undo the commit and point the overlay at the old base. */
static void test_stale_opener_does_not_undo_commit(void **state)
{
	struct fx *f = *state;
	char err[512], layer[400], msg[512];
	struct blc_chain *c2;

	write_tag(f->c, 50, 3, 11);
	assert_int_equal(blc_flush(f->c), 0);
	assert_int_equal(blc_open(f->ovl, NULL, &c2, err, sizeof(err)), 0);
	snprintf(layer, sizeof(layer), "%s/v1.layer", f->dir);
	assert_int_equal(blc_commit(c2, layer), 0);
	blc_close(c2);
	assert_int_equal(blc_reset(f->c), -ESTALE);
	blc_last_error(f->c, msg, sizeof(msg));
	assert_non_null(strstr(msg, "another process changed"));
	blc_close(f->c);
	assert_int_equal(blc_open(f->ovl, NULL, &f->c, err, sizeof(err)), 0);
	assert_int_equal(blc_layer_count(f->c), 3);
	assert_int_equal(read_tag(f->c, 51), 11);
	assert_int_equal(read_tag(f->c, 49), TAG_BASE);
}

static void test_base_identity(void **state)
{
	struct fx *f = *state;
	char err[512], moved[400];
	struct blc_chain *c2;
	struct timespec ts[2];
	struct stat st;

	write_tag(f->c, 3, 1, 2);
	blc_close(f->c);
	f->c = NULL;
	/* moved: missing, then found through the override, then rebased */
	snprintf(moved, sizeof(moved), "%s/moved.img", f->dir);
	assert_int_equal(rename(f->base, moved), 0);
	assert_int_equal(blc_open(f->ovl, NULL, &c2, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "is missing"));
	assert_non_null(strstr(err, f->base));
	assert_int_equal(blc_open(f->ovl, &(struct blc_open_opts){ 0, moved }, &c2, err,
				  sizeof(err)), 0);
	assert_int_equal(read_tag(c2, 3), 2);
	blc_close(c2);
	assert_int_equal(blc_rebase(f->ovl, "moved.img", err, sizeof(err)), 0);
	assert_int_equal(blc_open(f->ovl, NULL, &c2, err, sizeof(err)), 0);
	blc_close(c2);

	/* modified with the mtime put back: the fingerprint notices */
	assert_int_equal(stat(moved, &st), 0);
	int fd = open(moved, O_RDWR);
	assert_true(pwrite(fd, "x", 1, 100) == 1);
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	assert_int_equal(futimens(fd, ts), 0);
	close(fd);
	assert_int_equal(blc_open(f->ovl, NULL, &c2, err, sizeof(err)), -ESTALE);
	assert_non_null(strstr(err, "changed since the overlay was created (content fingerprint)"));
	/* rebase refuses a file that is not the recorded one */
	assert_int_equal(blc_rebase(f->ovl, moved, err, sizeof(err)), -ESTALE);
	/* truncated below the virtual size */
	assert_int_equal(truncate(moved, SIZE / 2), 0);
	assert_int_equal(blc_open(f->ovl, NULL, &c2, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "smaller than recorded"));
}

static void test_chain_loop(void **state)
{
	struct fx *f = *state;
	char err[512], layer[400], ovl2[400];
	struct blc_header h;
	struct blc_chain *c2;
	int slot, fd;

	snprintf(layer, sizeof(layer), "%s/v1.layer", f->dir);
	snprintf(ovl2, sizeof(ovl2), "%s/pc02.ovl", f->dir);
	assert_int_equal(blc_commit(f->c, layer), 0);
	assert_int_equal(blc_create(ovl2, layer, NULL, err, sizeof(err)), 0);
	/* point the layer at itself */
	fd = open(layer, O_RDWR);
	assert_int_equal(blc_header_read(fd, &h, &slot, err, sizeof(err), layer), 0);
	h.backing.kind = BLC_KIND_LAYER;
	h.backing.size = h.size;
	memcpy(h.backing.uuid, h.uuid, 16);
	strcpy(h.backing_path, layer);
	assert_int_equal(blc_header_write(fd, &h, &slot), 0);
	close(fd);
	assert_int_equal(blc_open(ovl2, NULL, &c2, err, sizeof(err)), -ELOOP);
	assert_non_null(strstr(err, "loop"));
}

static void test_alignment_and_range(void **state)
{
	struct fx *f = *state;
	uint8_t b[1024];
	struct iovec v = { b, 512 };

	assert_int_equal(blc_readv(f->c, &v, 1, 100, 0), -EINVAL);
	assert_int_equal(blc_writev(f->c, &v, 1, SIZE), -EINVAL);
	v.iov_len = 1000;
	assert_int_equal(blc_writev(f->c, &v, 1, 0), -EINVAL);
	assert_int_equal(blc_discard(f->c, SIZE - 512, 1024), -EINVAL);
	char msg[256];
	blc_last_error(f->c, msg, sizeof(msg));
	assert_non_null(strstr(msg, f->ovl));
}

static void test_nowait(void **state)
{
	struct fx *f = *state;
	uint8_t b[4096];
	struct iovec v = { b, sizeof(b) };
	int r;

	write_tag(f->c, 8, 8, 6);
	/* just written, hence cached: a NOWAIT read either succeeds or says EAGAIN */
	r = blc_readv(f->c, &v, 1, 4096, BLC_NOWAIT);
	assert_true(r == 0 || r == -EAGAIN);
	if (r == 0)
		assert_int_equal(tag_of(b + 512, 512, 9), 6);
	/* a closed gate (reset or commit running) is never waited for */
	blc_gate_close(f->c);
	assert_int_equal(blc_readv(f->c, &v, 1, 4096, BLC_NOWAIT), -EAGAIN);
	blc_gate_open(f->c);
	assert_int_equal(blc_readv(f->c, &v, 1, 4096, 0), 0);
}

static void test_nowait_tmpfs(void **state)
{
	char dir[] = "/dev/shm/blc-nowait-XXXXXX", base[64], ovl[64], err[512];
	struct blc_chain *c;
	uint8_t b[512];
	struct iovec v = { b, sizeof(b) };
	(void)state;

	if (!mkdtemp(dir))
		skip();
	snprintf(base, sizeof(base), "%s/base", dir);
	snprintf(ovl, sizeof(ovl), "%s/ovl", dir);
	make_base(base, 65536, 512);
	assert_int_equal(blc_create(ovl, base, NULL, err, sizeof(err)), 0);
	assert_int_equal(blc_open(ovl, NULL, &c, err, sizeof(err)), 0);
	/* tmpfs refuses RWF_NOWAIT on some kernels; either way it is resident */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(blc_readv(c, &v, 1, 512, BLC_NOWAIT), 0);
		assert_int_equal(tag_of(b, 512, 1), TAG_BASE);
	}
	blc_close(c);
	remove_dir(dir);
}

/* ---- concurrency: each thread owns every 4th block, all share clusters ---- */

struct worker {
	struct blc_chain *c;
	int id;
	uint32_t *last;          /* last tag written per block */
};

static void *work(void *arg)
{
	struct worker *w = arg;
	uint64_t s = (uint64_t)w->id * 7919 + 1;
	uint8_t b[512], rb[512];

	for (int i = 0; i < 3000; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		uint64_t blk = ((s >> 33) % (SIZE / 512 / 4)) * 4 + (uint64_t)w->id;
		uint32_t tag = 2 + (uint32_t)i * 4 + (uint32_t)w->id;
		struct iovec v = { b, 512 }, rv = { rb, 512 };
		if ((s >> 20) % 50 == 0) {
			if (blc_flush(w->c) < 0)
				return (void *)1;
			continue;
		}
		fill_block(b, 512, blk, tag);
		if (blc_writev(w->c, &v, 1, blk * 512) < 0)
			return (void *)1;
		w->last[blk] = tag;
		if (blc_readv(w->c, &rv, 1, blk * 512, 0) < 0 || tag_of(rb, 512, blk) != tag)
			return (void *)1;
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct fx *f = *state;
	uint32_t *last = calloc(SIZE / 512, sizeof(uint32_t));
	struct worker w[4];
	pthread_t t[4];
	char err[512];

	for (uint64_t i = 0; i < SIZE / 512; i++)
		last[i] = TAG_BASE;
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){ f->c, i, last };
		pthread_create(&t[i], NULL, work, &w[i]);
	}
	for (int i = 0; i < 4; i++) {
		void *ret;
		pthread_join(t[i], &ret);
		assert_null(ret);
	}
	blc_close(f->c);
	assert_int_equal(blc_open(f->ovl, NULL, &f->c, err, sizeof(err)), 0);
	for (uint64_t blk = 0; blk < SIZE / 512; blk++)
		assert_int_equal(read_tag(f->c, blk), last[blk]);
	free(last);
}

/* Reset and commit close the gate while other threads do I/O: nobody hangs, every
 * call succeeds, and a block reads either what its thread wrote or the layer
 * below (the reset may fall between the write and the read). */
struct gate_worker {
	struct blc_chain *c;
	int id;
	volatile int *stop;
	int bad;
};

static void *gate_io(void *arg)
{
	struct gate_worker *w = arg;
	uint8_t b[512], rb[512];

	for (uint32_t i = 0; !*w->stop; i++) {
		uint64_t blk = (i * 7 % (SIZE / 512 / 4)) * 4 + (uint64_t)w->id;
		struct iovec v = { b, 512 }, rv = { rb, 512 };
		fill_block(b, 512, blk, 100 + (uint32_t)w->id);
		w->bad += blc_writev(w->c, &v, 1, blk * 512) != 0;
		w->bad += blc_readv(w->c, &rv, 1, blk * 512, 0) != 0;
		uint32_t t = tag_of(rb, 512, blk);
		w->bad += t != 100u + (uint32_t)w->id && t != TAG_BASE;
	}
	return NULL;
}

static void test_reset_and_commit_during_io(void **state)
{
	struct fx *f = *state;
	struct gate_worker w[3];
	pthread_t t[3];
	volatile int stop = 0;
	char layer[400];

	for (int i = 0; i < 3; i++) {
		w[i] = (struct gate_worker){ f->c, i, &stop, 0 };
		pthread_create(&t[i], NULL, gate_io, &w[i]);
	}
	for (int round = 0; round < 30; round++) {
		usleep(2000);
		if (round % 10 == 9) {
			snprintf(layer, sizeof(layer), "%s/g%d.layer", f->dir, round);
			assert_int_equal(blc_commit(f->c, layer), 0);
		} else {
			assert_int_equal(blc_reset(f->c), 0);
		}
	}
	stop = 1;
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].bad, 0);
	}
}

static void test_two_overlays_one_base(void **state)
{
	struct fx *f = *state;
	char ovl2[400], err[512];
	struct blc_chain *c2;

	snprintf(ovl2, sizeof(ovl2), "%s/pc02.ovl", f->dir);
	assert_int_equal(blc_create(ovl2, f->base, NULL, err, sizeof(err)), 0);
	assert_int_equal(blc_open(ovl2, NULL, &c2, err, sizeof(err)), 0);
	write_tag(f->c, 20, 1, 30);
	write_tag(c2, 20, 1, 31);
	assert_int_equal(read_tag(f->c, 20), 30);
	assert_int_equal(read_tag(c2, 20), 31);
	assert_int_equal(read_tag(c2, 21), TAG_BASE);
	blc_close(c2);
}

/* ---- flush racing with writes ---- */

#define RACE_CLUSTERS 240
#define LATE_BLOCK (250 * 8 + 1)

static struct blc_chain *late_chain;

/* A copy-up issued while the flush runs, after its data fdatasync: the map
 * written by this flush must not mark it (its data is not durable). */
static void late_write(const char *name)
{
	uint8_t b[512];
	struct iovec v = { b, 512 };

	if (strcmp(name, "flush:data-synced") || !late_chain)
		return;
	fill_block(b, 512, LATE_BLOCK, 9999);
	struct blc_chain *c = late_chain;
	late_chain = NULL;
	if (blc_writev(c, &v, 1, LATE_BLOCK * 512) < 0)
		_exit(4);
}

struct race {
	struct blc_chain *c;
	volatile int acked;      /* writes 0..acked-1 have returned */
	int failed;
};

static void *race_writer(void *arg)
{
	struct race *x = arg;
	uint8_t b[512];

	for (int i = 0; i < RACE_CLUSTERS; i++) {
		uint64_t blk = (uint64_t)i * 8 + (uint64_t)(i % 8);    /* a copy-up each */
		struct iovec v = { b, 512 };
		fill_block(b, 512, blk, 2 + (uint32_t)i);
		if (blc_writev(x->c, &v, 1, blk * 512) < 0)
			x->failed = 1;
		__atomic_store_n(&x->acked, i + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* A write acknowledged before blc_flush was called survives a power cut right
 * after it returns, while another thread keeps copying clusters up, and a
 * copy-up that lands after the flush's data sync is not in its map. The crash
 * happens in a child (the power cut rewinds files under a live chain). */
static void test_flush_while_writing(void **state)
{
	struct fx *f = *state;
	char err[512];
	int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	blc_close(f->c);
	f->c = NULL;
	for (int at = 16; at <= 192; at += 88) {
		pid_t pid = fork();
		if (pid == 0) {
			struct race x = { 0 };
			pthread_t t;
			blc_sim_start();
			if (blc_open(f->ovl, NULL, &x.c, err, sizeof(err)) < 0)
				_exit(2);
			pthread_create(&t, NULL, race_writer, &x);
			while (__atomic_load_n(&x.acked, __ATOMIC_ACQUIRE) < at)
				sched_yield();
			shared[0] = __atomic_load_n(&x.acked, __ATOMIC_ACQUIRE);
			late_chain = x.c;
			blc_failpoint_hook = late_write;
			int r = blc_flush(x.c);
			pthread_join(t, NULL);
			blc_sim_powercut(0, 0);
			_exit(r < 0 || x.failed ? 3 : 0);
		}
		int st;
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		assert_int_equal(blc_open(f->ovl, NULL, &f->c, err, sizeof(err)), 0);
		uint32_t late = read_tag(f->c, LATE_BLOCK);
		assert_true(late == 9999 || late == TAG_BASE);
		for (int i = 0; i < RACE_CLUSTERS; i++) {
			uint64_t blk = (uint64_t)i * 8 + (uint64_t)(i % 8);
			uint32_t tag = read_tag(f->c, blk);
			if (i < shared[0])
				assert_int_equal(tag, 2 + (uint32_t)i);
			else
				assert_true(tag == 2 + (uint32_t)i || tag == TAG_BASE);
		}
		assert_int_equal(blc_reset(f->c), 0);
		blc_close(f->c);
		f->c = NULL;
	}
	assert_int_equal(blc_open(f->ovl, NULL, &f->c, err, sizeof(err)), 0);
	munmap(shared, 4096);
}

/* ---- ENOSPC ---- */

static void test_enospc_injected(void **state)
{
	struct fx *f = *state;
	struct blc_check_result res;
	char err[512];

	write_tag(f->c, 8, 1, 20);
	assert_int_equal(blc_flush(f->c), 0);
	/* the copy-up of cluster 3 hits a full disk after storing half its data */
	blc_sim_fail_writes(0, ENOSPC);
	uint8_t b[512];
	fill_block(b, 512, 25, 21);
	struct iovec v = { b, 512 };
	assert_int_equal(blc_writev(f->c, &v, 1, 25 * 512), -ENOSPC);
	char msg[512];
	blc_last_error(f->c, msg, sizeof(msg));
	assert_non_null(strstr(msg, f->ovl));
	/* a rewrite of a cluster the overlay holds fails the same way */
	assert_int_equal(blc_writev(f->c, &v, 1, 9 * 512), -ENOSPC);
	blc_sim_fail_writes(-1, 0);
	assert_int_equal(read_tag(f->c, 25), TAG_BASE);
	assert_int_equal(read_tag(f->c, 8), 20);
	assert_int_equal(blc_flush(f->c), 0);
	blc_close(f->c);
	assert_int_equal(blc_check(f->ovl, false, &res, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(res.problems, 0);
	assert_int_equal(blc_open(f->ovl, NULL, &f->c, err, sizeof(err)), 0);
	write_tag(f->c, 25, 1, 22);
	assert_int_equal(read_tag(f->c, 25), 22);
	assert_int_equal(read_tag(f->c, 24), TAG_BASE);
}

/* In a child with its own mount namespace: an overlay on a 512 KiB tmpfs.
 * Exit 0 = pass, 77 = cannot mount here (skip), else the failing line. */
#define CHECK(x) do { if (!(x)) _exit(__LINE__ % 76 + 1); } while (0)
static void enospc_child(const char *base, const char *mnt)
{
	char ovl[512], err[512];
	struct blc_chain *c;
	struct blc_check_result res;
	static uint8_t b[65536];
	uint64_t cl = 0;
	int r = 0;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", mnt, "tmpfs", 0, "size=512k") < 0)
		_exit(77);
	snprintf(ovl, sizeof(ovl), "%s/ovl", mnt);
	CHECK(blc_create(ovl, base, &(struct blc_create_opts){ 65536, 512 }, err, sizeof(err)) == 0);
	CHECK(blc_open(ovl, NULL, &c, err, sizeof(err)) == 0);
	memset(b, 0x77, sizeof(b));
	/* 512 bytes into each 4 KiB sub-block: every write copies up a sub-block,
	 * so 1 MiB of disk needs twice the file system's space */
	struct iovec v = { b, 512 };
	for (cl = 0; cl < SIZE / 4096; cl++) {
		r = blc_writev(c, &v, 1, cl * 4096);
		if (r < 0)
			break;
	}
	CHECK(r == -ENOSPC);
	CHECK(blc_flush(c) == 0);
	blc_close(c);
	CHECK(blc_check(ovl, false, &res, NULL, NULL, err, sizeof(err)) == 0);
	CHECK(res.problems == 0);
	CHECK(blc_open(ovl, NULL, &c, err, sizeof(err)) == 0);
	/* the failed sub-block still reads the base; freeing space makes writes work again */
	uint8_t rb[512];
	struct iovec rv = { rb, 512 };
	CHECK(blc_readv(c, &rv, 1, cl * 4096, 0) == 0 && tag_of(rb, 512, cl * 8) == TAG_BASE);
	CHECK(blc_discard(c, 0, 2 * 65536) == 0);
	CHECK(blc_writev(c, &v, 1, cl * 4096) == 0);
	CHECK(blc_flush(c) == 0);
	blc_close(c);
	_exit(0);
}

static void test_enospc_tmpfs(void **state)
{
	struct fx *f = *state;
	char mnt[400];
	int status;

	snprintf(mnt, sizeof(mnt), "%s/mnt", f->dir);
	assert_int_equal(mkdir(mnt, 0755), 0);
	pid_t pid = fork();
	if (pid == 0)
		enospc_child(f->base, mnt);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- model check ---- */

struct model {
	struct blc_chain *c;
	uint32_t *cur, *below;   /* what the chain reads; what it reads without the overlay */
	uint64_t nblk;
	size_t bsize;
	uint32_t cluster;
	uint64_t rng;
	uint32_t next_tag;
	int layers;
};

static uint64_t rnd(struct model *m, uint64_t n)
{
	m->rng ^= m->rng << 13;
	m->rng ^= m->rng >> 7;
	m->rng ^= m->rng << 17;
	return m->rng % n;
}

static void model_verify(struct model *m, uint64_t first, uint64_t n, uint64_t seed)
{
	uint8_t *b = malloc(n * m->bsize);
	struct iovec v = { b, n * m->bsize };

	assert_int_equal(blc_readv(m->c, &v, 1, first * m->bsize, 0), 0);
	for (uint64_t i = 0; i < n; i++) {
		uint32_t got = tag_of(b + i * m->bsize, m->bsize, first + i);
		if (got != m->cur[first + i])
			fail_msg("seed %llu: block %llu reads tag %u, model says %u",
				 (unsigned long long)seed, (unsigned long long)(first + i), got,
				 m->cur[first + i]);
	}
	free(b);
}

static void print_line(void *ctx, const char *line)
{
	(void)ctx;
	printf("%s\n", line);
}

static void model_run(uint64_t seed, size_t bsize, uint32_t cluster)
{
	char dir[256], base[300], ovl[300], err[512];
	uint64_t size = 64 * (uint64_t)cluster + (seed % 3) * bsize;  /* a short last cluster */
	struct model m = { .bsize = bsize, .cluster = cluster, .rng = seed * 2654435761u + 1,
			   .next_tag = 2 };

	make_fast_dir(dir, sizeof(dir), "model");
	snprintf(base, sizeof(base), "%s/base", dir);
	snprintf(ovl, sizeof(ovl), "%s/ovl", dir);
	make_base(base, size, bsize);
	assert_int_equal(blc_create(ovl, base, &(struct blc_create_opts){ cluster, (uint32_t)bsize },
				    err, sizeof(err)), 0);
	assert_int_equal(blc_open(ovl, NULL, &m.c, err, sizeof(err)), 0);
	m.nblk = size / bsize;
	m.cur = malloc(m.nblk * sizeof(uint32_t));
	m.below = malloc(m.nblk * sizeof(uint32_t));
	for (uint64_t i = 0; i < m.nblk; i++)
		m.cur[i] = m.below[i] = TAG_BASE;
	uint8_t *buf = malloc(4 * (size_t)cluster);

	for (int op = 0; op < 150; op++) {
		uint64_t kind = rnd(&m, 100);
		uint64_t n = 1 + rnd(&m, 3 * cluster / bsize);
		uint64_t first = rnd(&m, m.nblk);
		if (first + n > m.nblk)
			n = m.nblk - first;
		if (kind < 40) {
			uint32_t tag = m.next_tag++;
			struct iovec v[3];
			uint64_t cut1 = rnd(&m, n + 1), cut2 = cut1 + rnd(&m, n - cut1 + 1);
			for (uint64_t i = 0; i < n; i++) {
				fill_block(buf + i * bsize, bsize, first + i, tag);
				m.cur[first + i] = tag;
			}
			v[0] = (struct iovec){ buf, cut1 * bsize };
			v[1] = (struct iovec){ buf + cut1 * bsize, (cut2 - cut1) * bsize };
			v[2] = (struct iovec){ buf + cut2 * bsize, (n - cut2) * bsize };
			assert_int_equal(blc_writev(m.c, v, 3, first * bsize), 0);
		} else if (kind < 60) {
			model_verify(&m, first, n, seed);
		} else if (kind < 75) {
			int r = kind < 70 ? blc_discard(m.c, first * bsize, n * bsize)
					  : blc_write_zeroes(m.c, first * bsize, n * bsize);
			assert_int_equal(r, 0);
			for (uint64_t i = 0; i < n; i++)
				m.cur[first + i] = TAG_ZERO;
		} else if (kind < 85) {
			assert_int_equal(blc_flush(m.c), 0);
		} else if (kind < 88) {
			assert_int_equal(blc_reset(m.c), 0);
			memcpy(m.cur, m.below, m.nblk * sizeof(uint32_t));
		} else if (kind < 91 && m.layers < 4) {
			char layer[320];
			snprintf(layer, sizeof(layer), "%s/layer%d", dir, m.layers++);
			assert_int_equal(blc_commit(m.c, layer), 0);
			memcpy(m.below, m.cur, m.nblk * sizeof(uint32_t));
		} else if (kind < 96) {
			blc_close(m.c);
			assert_int_equal(blc_open(ovl, NULL, &m.c, err, sizeof(err)), 0);
		}
	}
	model_verify(&m, 0, m.nblk, seed);
	struct blc_check_result res;
	blc_close(m.c);
	assert_int_equal(blc_check(ovl, false, &res, print_line, NULL, err, sizeof(err)), 0);
	assert_int_equal(res.problems, 0);
	free(buf);
	free(m.cur);
	free(m.below);
	remove_dir(dir);
}

static void test_model(void **state)
{
	const char *env = getenv("BLC_MODEL_SEEDS");
	char *end = NULL;
	uint64_t seeds = env ? strtoull(env, &end, 10) : 200;
	(void)state;
	/* a check that ran no sequence would pass for the wrong reason */
	if (env && (!*env || *end || seeds == 0))
		fail_msg("BLC_MODEL_SEEDS='%s': needs a positive number of seeds", env);

	for (uint64_t s = 1; s <= seeds; s++)
		model_run(s, s % 4 == 0 ? 4096 : 512, s % 7 == 0 ? 65536 : s % 5 == 0 ? 16384
						       : s % 4 == 0 ? 8192 : 4096);
	printf("model check: %llu seeds passed\n", (unsigned long long)seeds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reads_base, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_write_copies_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_write_allocates_sub_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multi_cluster_writes_do_not_deadlock, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_discard_reads_zeros_not_base, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_and_layers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_opener_does_not_undo_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_base_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alignment_and_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nowait, setup, teardown),
		cmocka_unit_test(test_nowait_tmpfs),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_and_commit_during_io, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_overlays_one_base, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_while_writing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enospc_injected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enospc_tmpfs, setup, teardown),
		cmocka_unit_test(test_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
