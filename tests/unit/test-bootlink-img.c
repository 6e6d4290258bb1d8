/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tests for handler/bootlink-img.c: runs the built tool ($BOOTLINK_IMG) and checks
 * exit codes (0 ok, 1 problem, 2 usage) and output. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "blcow-internal.h"
#include "engine-util.h"

static char dir[256], out[16384];

/* Run bootlink-img with printf-style arguments (shell words) in `dir`; returns
 * its exit code, stdout+stderr in `out`. */
static int __attribute__((format(printf, 1, 2))) img(const char *fmt, ...)
{
	char args[2048], cmd[4096];
	va_list ap;
	FILE *p;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' %s 2>&1", dir, getenv("BOOTLINK_IMG"), args);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	int st = pclose(p);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static int setup(void **state)
{
	char base[300];
	(void)state;
	if (!getenv("BOOTLINK_IMG"))
		return -1;
	make_dir(dir, sizeof(dir), "img");
	snprintf(base, sizeof(base), "%s/base \"q\\.img", dir);
	make_base(base, 1 << 20, 512);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	remove_dir(dir);
	return 0;
}

static void test_usage_errors(void **state)
{
	(void)state;
	assert_int_equal(img(" "), 2);
	assert_int_equal(img("frobnicate x"), 2);
	assert_int_equal(img("create ovl"), 2);
	assert_int_equal(img("create -b x -c banana ovl"), 2);
	assert_int_equal(img("check"), 2);
	assert_int_equal(img("commit ovl"), 2);
}

static void test_lifecycle(void **state)
{
	(void)state;
	assert_int_equal(img("create -b 'base \"q\\.img' -c 16k ovl"), 0);
	assert_int_equal(img("create -b 'base \"q\\.img' ovl"), 1);
	assert_non_null(strstr(out, "exists"));
	assert_int_equal(img("create -b missing.img ovl2"), 1);
	assert_non_null(strstr(out, "missing.img"));

	assert_int_equal(img("info --json ovl"), 0);
	/* the quote and backslash in the base's name are escaped */
	assert_non_null(strstr(out, "base \\\"q\\\\.img\""));
	assert_non_null(strstr(out, "\"cluster_size\":16384"));
	assert_non_null(strstr(out, "\"sub_block_size\":4096"));
	assert_non_null(strstr(out, "\"virtual_size\":1048576"));
	assert_int_equal(img("info ovl"), 0);
	assert_non_null(strstr(out, "identity raw:1048576:"));

	assert_int_equal(img("check ovl"), 0);
	assert_non_null(strstr(out, "no problems"));
	assert_int_equal(img("check /nonexistent"), 1);

	assert_int_equal(img("commit ovl v1.layer"), 0);
	assert_int_equal(img("info ovl"), 0);
	assert_non_null(strstr(out, "[2] overlay"));
	assert_non_null(strstr(out, "[1] layer"));
	assert_int_equal(img("commit ovl v1.layer"), 1);
	assert_int_equal(img("reset ovl"), 0);
	assert_int_equal(img("check v1.layer"), 0);

	/* the base moved: the layer no longer opens, rebase fixes it, identity checked */
	char from[400], to[400];
	snprintf(from, sizeof(from), "%s/base \"q\\.img", dir);
	snprintf(to, sizeof(to), "%s/moved.img", dir);
	assert_int_equal(rename(from, to), 0);
	assert_int_equal(img("info ovl"), 1);
	assert_non_null(strstr(out, "is missing"));
	assert_int_equal(img("check ovl"), 1);
	assert_int_equal(img("rebase -b moved.img v1.layer"), 0);
	assert_int_equal(img("info ovl"), 0);
	make_base(from, 1 << 20, 512);      /* same content, new mtime: not the same file */
	assert_int_equal(img("rebase -b 'base \"q\\.img' v1.layer"), 1);
	assert_non_null(strstr(out, "mtime"));
}

static void test_check_repair_exit_codes(void **state)
{
	struct blc_header h;
	char ovl[400], err[256];
	(void)state;

	assert_int_equal(img("create -b 'base \"q\\.img' ovl"), 0);
	snprintf(ovl, sizeof(ovl), "%s/ovl", dir);
	int fd = open(ovl, O_RDWR);
	assert_int_equal(blc_header_read(fd, &h, NULL, err, sizeof(err), ovl), 0);
	assert_true(pwrite(fd, "leak", 4, (off_t)h.data_offset + 3 * h.cluster_size) == 4);
	close(fd);
	assert_int_equal(img("check ovl"), 1);
	assert_non_null(strstr(out, "1 problem(s) found"));
	assert_int_equal(img("check --repair ovl"), 0);
	assert_int_equal(img("check ovl"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_usage_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_repair_exit_codes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
