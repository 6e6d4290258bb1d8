/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests for handler/check.c: damage detection and repair, and the crash test.
 *
 * Crash test: for each seed a fixed random sequence of operations runs in a
 * forked child that dies at failpoint N (every failpoint between durable steps,
 * plus one between operations), N = 1, 2, ... until the sequence completes.
 * Three ways to die: _exit (kill -9: the page cache survives), a power cut that
 * loses every unsynced write, and a power cut that keeps a random subset of
 * unsynced 512-byte sectors (torn writes). The child keeps, in shared memory,
 * the set of values each block may hold after a crash: its value at the last
 * completed flush plus everything written since. The parent then runs check,
 * repair, check again (must be clean), and reads every block: it must be whole
 * (no mix of writes, no base data under a write) and one of the allowed values.
 * BLC_CRASH_SEEDS sets the number of seeds (default 4).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "blcow-internal.h"
#include "engine-util.h"

#define CL 4096u
#define BS 512u
#define NBLK (48 * CL / BS)
#define MAXC 16
#define NOPS 28

struct shared {
	uint32_t cand[NBLK][MAXC];
	uint8_t ncand[NBLK];
	uint32_t cur[NBLK], below[NBLK];
	int completed;           /* the child ran the whole sequence */
	int child_error;         /* line of a failed check inside the child */
};

static struct shared *sh;
static int crash_at, hits, crash_mode;
static uint64_t crash_seed;

static void hook(const char *name)
{
	(void)name;
	if (++hits != crash_at)
		return;
	if (crash_mode > 0)
		blc_sim_powercut(crash_mode - 1, crash_seed);
	_exit(0);
}

static void cand_add(uint64_t blk, uint32_t tag)
{
	for (int i = 0; i < sh->ncand[blk]; i++)
		if (sh->cand[blk][i] == tag)
			return;
	if (sh->ncand[blk] == MAXC)
		abort();         /* the generator flushes often enough */
	sh->cand[blk][sh->ncand[blk]++] = tag;
}

static void durable_now(void)
{
	for (uint64_t b = 0; b < NBLK; b++) {
		sh->cand[b][0] = sh->cur[b];
		sh->ncand[b] = 1;
	}
}

#define CHILD_CHECK(x) do { if (!(x)) { sh->child_error = __LINE__; _exit(1); } } while (0)

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void child(const char *dir, const char *ovl, uint64_t seed)
{
	uint64_t s = seed * 0x9e3779b97f4a7c15ull + 7;
	static uint8_t buf[4 * CL];
	struct blc_chain *c;
	char err[512], layer[400];
	int layers = 0, since_flush = 0;

	blc_sim_start();
	blc_failpoint_hook = hook;
	CHILD_CHECK(blc_open(ovl, NULL, &c, err, sizeof(err)) == 0);
	for (int op = 0; op < NOPS; op++) {
		uint64_t kind = rnd(&s) % 100, n = 1 + rnd(&s) % (3 * CL / BS);
		uint64_t first = rnd(&s) % NBLK;
		if (first + n > NBLK)
			n = NBLK - first;
		if (since_flush >= 5)
			kind = 60;   /* keep candidate sets small */
		hook("test:between-ops");
		if (kind < 45) {
			uint32_t tag = (uint32_t)(seed << 8) + 2 + (uint32_t)op;
			for (uint64_t i = 0; i < n; i++) {
				fill_block(buf + i * BS, BS, first + i, tag);
				cand_add(first + i, tag);
				sh->cur[first + i] = tag;
			}
			struct iovec v = { buf, n * BS };
			CHILD_CHECK(blc_writev(c, &v, 1, first * BS) == 0);
			since_flush++;
		} else if (kind < 60) {
			for (uint64_t i = 0; i < n; i++) {
				cand_add(first + i, TAG_ZERO);
				sh->cur[first + i] = TAG_ZERO;
			}
			CHILD_CHECK((kind < 55 ? blc_discard : blc_write_zeroes)(c, first * BS, n * BS) == 0);
			since_flush++;
		} else if (kind < 82) {
			CHILD_CHECK(blc_flush(c) == 0);
			durable_now();
			since_flush = 0;
		} else if (kind < 87) {
			for (uint64_t b = 0; b < NBLK; b++)
				cand_add(b, sh->below[b]);
			CHILD_CHECK(blc_reset(c) == 0);
			memcpy(sh->cur, sh->below, sizeof(sh->cur));
			durable_now();
			since_flush = 0;
		} else if (kind < 92 && layers < 2) {
			snprintf(layer, sizeof(layer), "%s/layer%d", dir, layers++);
			CHILD_CHECK(blc_commit(c, layer) == 0);
			memcpy(sh->below, sh->cur, sizeof(sh->cur));
			durable_now();
			since_flush = 0;
		} else {
			/* read back everything: the live chain must match exactly */
			for (uint64_t b = 0; b < NBLK; b++) {
				struct iovec v = { buf, BS };
				CHILD_CHECK(blc_readv(c, &v, 1, b * BS, 0) == 0);
				CHILD_CHECK(tag_of(buf, BS, b) == sh->cur[b]);
			}
		}
	}
	hook("test:end");
	sh->completed = 1;
	_exit(0);
}

static void count_line(void *ctx, const char *line)
{
	(*(int *)ctx)++;
	if (getenv("BLC_VERBOSE"))
		printf("  %s\n", line);
}

/* One crash run; returns false when the child finished before failpoint `at`. */
static bool crash_run(uint64_t seed, int mode, int at)
{
	char dir[256], base[300], ovl[300], err[512];
	struct blc_check_result r1, r2, r3;
	struct blc_chain *c;
	int status, lines = 0;

	make_fast_dir(dir, sizeof(dir), "crash");
	snprintf(base, sizeof(base), "%s/base", dir);
	snprintf(ovl, sizeof(ovl), "%s/ovl", dir);
	make_base(base, NBLK * BS, BS);
	/* odd seeds: one sub-block per cluster; even seeds: 16 KiB clusters of four
	 * 4 KiB sub-blocks, so writes that set some of a cluster's bits crash too */
	assert_int_equal(blc_create(ovl, "base", &(struct blc_create_opts){ seed % 2 ? CL : 4 * CL,
				    BS }, err, sizeof(err)), 0);
	memset(sh, 0, sizeof(*sh));
	for (uint64_t b = 0; b < NBLK; b++)
		sh->cur[b] = sh->below[b] = TAG_BASE;
	durable_now();

	crash_at = at;
	crash_mode = mode;
	crash_seed = seed * 1000 + (uint64_t)at;
	hits = 0;
	pid_t pid = fork();
	if (pid == 0)
		child(dir, ovl, seed);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (sh->child_error)
		fail_msg("seed %llu mode %d at %d: child check failed at line %d",
			 (unsigned long long)seed, mode, at, sh->child_error);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* Every other run: open first, as tcmu-runner would after the crash. The
	 * open frees what the crash left, so check must then find nothing at all. */
	bool open_first = at % 2;
	if (open_first) {
		if (blc_open(ovl, NULL, &c, err, sizeof(err)) < 0)
			fail_msg("seed %llu mode %d at %d: %s", (unsigned long long)seed, mode, at, err);
		blc_close(c);
		assert_int_equal(blc_check(ovl, false, &r1, count_line, &lines, err, sizeof(err)), 0);
		if (r1.problems || r1.leaked_bytes)
			fail_msg("seed %llu mode %d at %d: check after reopen: %u problems, %llu "
				 "bytes leaked", (unsigned long long)seed, mode, at, r1.problems,
				 (unsigned long long)r1.leaked_bytes);
	}
	assert_int_equal(blc_check(ovl, false, &r1, count_line, &lines, err, sizeof(err)), 0);
	assert_int_equal(blc_check(ovl, true, &r2, NULL, NULL, err, sizeof(err)), 0);
	if (r2.repaired != r1.problems || r2.problems != r1.problems)
		fail_msg("seed %llu mode %d at %d: check found %u, repair found %u fixed %u",
			 (unsigned long long)seed, mode, at, r1.problems, r2.problems, r2.repaired);
	assert_int_equal(r2.repaired, r2.problems);
	assert_int_equal(blc_check(ovl, false, &r3, NULL, NULL, err, sizeof(err)), 0);
	if (r3.problems || r3.leaked_bytes)
		fail_msg("seed %llu mode %d at %d: problems remain after repair",
			 (unsigned long long)seed, mode, at);

	if (blc_open(ovl, NULL, &c, err, sizeof(err)) < 0)
		fail_msg("seed %llu mode %d at %d: %s", (unsigned long long)seed, mode, at, err);
	for (uint64_t b = 0; b < NBLK; b++) {
		uint8_t buf[BS];
		struct iovec v = { buf, BS };
		bool ok = false;
		assert_int_equal(blc_readv(c, &v, 1, b * BS, 0), 0);
		uint32_t tag = tag_of(buf, BS, b);
		for (int i = 0; i < sh->ncand[b]; i++)
			ok |= sh->cand[b][i] == tag;
		if (!ok)
			fail_msg("seed %llu mode %d at %d: block %llu reads %s %u, not an allowed value",
				 (unsigned long long)seed, mode, at, (unsigned long long)b,
				 tag == TAG_MIXED ? "a MIX" : "tag", tag);
	}
	blc_close(c);
	remove_dir(dir);
	return !sh->completed;
}

static void test_crash(void **state)
{
	const char *env = getenv("BLC_CRASH_SEEDS");
	uint64_t seeds = env ? strtoull(env, NULL, 10) : 4, runs = 0;
	(void)state;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(sh != MAP_FAILED);
	for (uint64_t seed = 1; seed <= seeds; seed++)
		for (int mode = 0; mode < 3; mode++)
			for (int at = 1; crash_run(seed, mode, at); at++)
				runs++;
	printf("crash test: %llu seeds, %llu crash runs (every failpoint hit of each sequence, "
	       "each as exit, power cut and torn power cut)\n", (unsigned long long)seeds,
	       (unsigned long long)runs);
	munmap(sh, sizeof(*sh));
}

/* ---- damage from outside ---- */

struct fx {
	char dir[256], base[300], ovl[300];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[512];
	struct blc_chain *c;
	uint8_t buf[CL];

	make_dir(f->dir, sizeof(f->dir), "check");
	snprintf(f->base, sizeof(f->base), "%s/base", f->dir);
	snprintf(f->ovl, sizeof(f->ovl), "%s/ovl", f->dir);
	make_base(f->base, NBLK * BS, BS);
	assert_int_equal(blc_create(f->ovl, "base", &(struct blc_create_opts){ CL, BS }, err,
				    sizeof(err)), 0);
	assert_int_equal(blc_open(f->ovl, NULL, &c, err, sizeof(err)), 0);
	for (uint64_t b = 0; b < CL / BS; b++)
		fill_block(buf + b * BS, BS, CL / BS + b, 5);
	struct iovec v = { buf, CL };
	assert_int_equal(blc_writev(c, &v, 1, CL), 0);     /* cluster 1 */
	blc_close(c);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	remove_dir(f->dir);
	free(f);
	return 0;
}

static void poke(const char *path, uint64_t off, const void *bytes, size_t n)
{
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_true(pwrite(fd, bytes, n, (off_t)off) == (ssize_t)n);
	close(fd);
}

static void check_counts(const char *path, bool repair, unsigned problems, unsigned notes)
{
	struct blc_check_result r;
	char err[512];

	assert_int_equal(blc_check(path, repair, &r, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(r.problems, problems);
	assert_int_equal(r.notes, notes);
	if (repair)
		assert_int_equal(r.repaired, problems);
}

static uint32_t read_tag(const char *ovl, uint64_t blk)
{
	struct blc_chain *c;
	char err[512];
	uint8_t b[BS];
	struct iovec v = { b, BS };

	assert_int_equal(blc_open(ovl, NULL, &c, err, sizeof(err)), 0);
	assert_int_equal(blc_readv(c, &v, 1, blk * BS, 0), 0);
	blc_close(c);
	return tag_of(b, BS, blk);
}

static void test_clean(void **state)
{
	struct fx *f = *state;
	check_counts(f->ovl, false, 0, 0);
}

static void test_torn_header_slot(void **state)
{
	struct fx *f = *state;
	/* slot 0 holds the only header; a damaged slot 1 must not matter */
	poke(f->ovl, BLC_SLOT + 100, "garbage", 7);
	poke(f->ovl, BLC_SLOT, BLC_MAGIC, 8);
	check_counts(f->ovl, false, 0, 1);
	check_counts(f->ovl, true, 0, 1);
	check_counts(f->ovl, false, 0, 0);
	assert_int_equal(read_tag(f->ovl, CL / BS), 5);
}

static void test_both_header_slots_bad(void **state)
{
	struct fx *f = *state;
	struct blc_check_result r;
	char err[512];

	poke(f->ovl, 100, "garbage", 7);
	poke(f->ovl, BLC_SLOT + 100, "garbage", 7);
	assert_int_equal(blc_check(f->ovl, true, &r, NULL, NULL, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "checksum"));
	poke(f->ovl, 0, "NOTMAGIC", 8);
	poke(f->ovl, BLC_SLOT, "NOTMAGIC", 8);
	assert_int_equal(blc_check(f->ovl, false, &r, NULL, NULL, err, sizeof(err)), -ENOTBLC);
	assert_non_null(strstr(err, "not a bootlink layer file"));
}

static void test_map_page_destroyed(void **state)
{
	struct fx *f = *state;
	uint8_t junk[2 * BLC_SLOT];

	memset(junk, 0xa5, sizeof(junk));
	poke(f->ovl, 2 * BLC_SLOT, junk, sizeof(junk));   /* both slots of page 0 */
	check_counts(f->ovl, false, 1, 0);
	check_counts(f->ovl, true, 1, 0);
	check_counts(f->ovl, false, 0, 0);
	/* rebuilt from allocation: the written cluster is kept */
	assert_int_equal(read_tag(f->ovl, CL / BS + 3), 5);
	assert_int_equal(read_tag(f->ovl, 0), TAG_BASE);
}

static void test_leaked_data(void **state)
{
	struct fx *f = *state;
	struct blc_header h;
	uint8_t junk[CL];
	char err[512];
	int fd = open(f->ovl, O_RDONLY);

	assert_int_equal(blc_header_read(fd, &h, NULL, err, sizeof(err), f->ovl), 0);
	close(fd);
	memset(junk, 0x5a, sizeof(junk));
	poke(f->ovl, h.data_offset + 5 * CL, junk, sizeof(junk));  /* cluster 5: BELOW */
	check_counts(f->ovl, false, 1, 0);
	assert_int_equal(read_tag(f->ovl, 5 * CL / BS), TAG_BASE);
	check_counts(f->ovl, true, 1, 0);
	check_counts(f->ovl, false, 0, 0);
}

static void test_truncated(void **state)
{
	struct fx *f = *state;
	struct blc_chain *c;
	char err[512];

	assert_int_equal(truncate(f->ovl, 3 * BLC_SLOT + 10), 0);
	assert_int_equal(blc_open(f->ovl, NULL, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "truncated"));
	check_counts(f->ovl, false, 1, 0);
	check_counts(f->ovl, true, 1, 0);
	check_counts(f->ovl, false, 0, 0);
	assert_int_equal(read_tag(f->ovl, 0), TAG_BASE);
}

static void test_broken_chain_reported(void **state)
{
	struct fx *f = *state;
	assert_int_equal(unlink(f->base), 0);
	check_counts(f->ovl, false, 1, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_clean, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_header_slot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_both_header_slots_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_page_destroyed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leaked_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broken_chain_reported, setup, teardown),
		cmocka_unit_test(test_crash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
