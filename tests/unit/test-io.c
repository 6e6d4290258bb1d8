/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tests for handler/io.c, including the power-cut simulation the crash test
 * relies on: if it kept too much, the crash test would prove nothing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "blcow-internal.h"
#include "engine-util.h"

struct fx {
	char dir[256], path[300];
	int fd;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	uint8_t a[8192];

	make_dir(f->dir, sizeof(f->dir), "io");
	snprintf(f->path, sizeof(f->path), "%s/file", f->dir);
	f->fd = open(f->path, O_RDWR | O_CREAT, 0644);
	memset(a, 'a', sizeof(a));
	assert_int_equal(blc_io_pwrite_full(f->fd, a, sizeof(a), 0), 0);
	assert_int_equal(blc_io_datasync(f->fd), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	blc_sim_stop();
	blc_sim_fail_writes(-1, 0);
	close(f->fd);
	remove_dir(f->dir);
	free(f);
	return 0;
}

static char at(struct fx *f, uint64_t off)
{
	char ch = 0;
	assert_int_equal(blc_io_pread_full(f->fd, &ch, 1, off), 0);
	return ch;
}

static void test_powercut_loses_unsynced(void **state)
{
	struct fx *f = *state;
	uint8_t b[4096];

	blc_sim_start();
	memset(b, 'b', sizeof(b));
	assert_int_equal(blc_io_pwrite_full(f->fd, b, 4096, 0), 0);
	assert_int_equal(blc_io_datasync(f->fd), 0);
	memset(b, 'c', sizeof(b));
	assert_int_equal(blc_io_pwrite_full(f->fd, b, 4096, 2048), 0);
	assert_int_equal(blc_io_punch(f->fd, 6144, 1024), 0);
	assert_int_equal(blc_io_truncate(f->fd, 7000), 0);
	blc_sim_powercut(0, 1);
	struct stat st;
	assert_int_equal(fstat(f->fd, &st), 0);
	assert_int_equal(st.st_size, 8192);
	assert_int_equal(at(f, 0), 'b');
	assert_int_equal(at(f, 4095), 'b');
	assert_int_equal(at(f, 4096), 'a');
	assert_int_equal(at(f, 6500), 'a');
	assert_int_equal(at(f, 8191), 'a');
}

static void test_torn_powercut_keeps_whole_sectors(void **state)
{
	struct fx *f = *state;
	uint8_t b[8192];
	int kept = 0, lost = 0;

	blc_sim_start();
	memset(b, 'n', sizeof(b));
	assert_int_equal(blc_io_pwrite_full(f->fd, b, sizeof(b), 0), 0);
	blc_sim_powercut(1, 42);
	for (uint64_t s = 0; s < 16; s++) {
		char first = at(f, s * 512);
		for (uint64_t i = 1; i < 512; i++)
			assert_int_equal(at(f, s * 512 + i), first);
		kept += first == 'n';
		lost += first == 'a';
	}
	assert_int_equal(kept + lost, 16);
	assert_true(kept > 0 && lost > 0);   /* seed 42 tears this write */
}

static void test_injected_enospc(void **state)
{
	struct fx *f = *state;
	uint8_t b[4096];

	memset(b, 'x', sizeof(b));
	blc_sim_fail_writes(1, ENOSPC);
	assert_int_equal(blc_io_pwrite_full(f->fd, b, 512, 0), 0);
	assert_int_equal(blc_io_pwrite_full(f->fd, b, 4096, 4096), -ENOSPC);
	assert_int_equal(at(f, 4096), 'x');          /* the first half landed */
	assert_int_equal(at(f, 4096 + 2048), 'a');
	blc_sim_fail_writes(-1, 0);
	assert_int_equal(blc_io_pwrite_full(f->fd, b, 4096, 4096), 0);
}

static void test_short_reads_past_eof_fail(void **state)
{
	struct fx *f = *state;
	uint8_t b[1024];

	assert_int_equal(blc_io_pread_full(f->fd, b, sizeof(b), 8192 - 512), -EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_powercut_loses_unsynced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_powercut_keeps_whole_sectors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_injected_enospc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_reads_past_eof_fail, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
