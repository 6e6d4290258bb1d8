/* Unit tests for linkmgr/files.c: write only on change, atomic replacement, character sets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"
#include "testutil.h"

static void test_write_if_changed(void **state)
{
	(void)state;
	char dir[] = "/tmp/test-files-XXXXXX", p[128], tmp[140];
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/hosts", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", p);
	assert_int_equal(bl_write_if_changed(p, "a\n", 2, 0644), 1);
	struct stat st1, st2;
	assert_int_equal(stat(p, &st1), 0);
	assert_int_equal(st1.st_mode & 0777, 0644);
	assert_int_equal(bl_write_if_changed(p, "a\n", 2, 0644), 0);	/* same: untouched */
	assert_int_equal(stat(p, &st2), 0);
	assert_int_equal(st1.st_ino, st2.st_ino);
	assert_int_equal(bl_write_if_changed(p, "ab\n", 3, 0600), 1);	/* changed: new inode */
	assert_int_equal(stat(p, &st2), 0);
	assert_int_not_equal(st1.st_ino, st2.st_ino);
	assert_int_equal(st2.st_size, 3);
	assert_int_equal(access(tmp, F_OK), -1);	/* no temporary left behind */
	/* a symlink left at the temporary name is replaced, not followed */
	char victim[140];
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	FILE *f = fopen(victim, "w");
	fputs("keep", f);
	fclose(f);
	assert_int_equal(symlink(victim, tmp), 0);
	assert_int_equal(bl_write_if_changed(p, "x", 1, 0644), 1);
	f = fopen(victim, "r");
	char buf[8] = "";
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "keep");
	/* copy */
	char dst[140];
	snprintf(dst, sizeof(dst), "%s/copy", dir);
	assert_int_equal(bl_copy_if_changed(victim, dst, 0644), 1);
	assert_int_equal(bl_copy_if_changed(victim, dst, 0644), 0);
	snprintf(dst, sizeof(dst), "%s/missing", dir);
	assert_int_equal(bl_copy_if_changed(dst, p, 0644), -ENOENT);
	assert_int_equal(bl_t_rmrf(dir), 0);
}

static void test_chars_ok(void **state)
{
	(void)state;
	assert_true(bl_chars_ok("pc-01.lab", ".-"));
	assert_false(bl_chars_ok("pc 01", ".-"));
	assert_false(bl_chars_ok("pc\n01", ".-"));
	assert_false(bl_chars_ok("", ".-"));
	assert_false(bl_chars_ok(NULL, ".-"));
	assert_false(bl_chars_ok("p\xc3\xa9", ".-"));	/* non-ASCII */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_if_changed),
		cmocka_unit_test(test_chars_ok),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
