/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tests for handler/identity.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "blcow-internal.h"
#include "engine-util.h"

static void test_raw_identity_and_text(void **state)
{
	char dir[256], path[300], text[128], err[256];
	struct blc_identity a, b;
	(void)state;

	make_dir(dir, sizeof(dir), "identity");
	snprintf(path, sizeof(path), "%s/base", dir);
	make_base(path, 3 << 20, 512);
	assert_int_equal(blc_identity_of(path, &a, err, sizeof(err)), 0);
	assert_int_equal(a.kind, BLC_KIND_RAW);
	assert_int_equal(a.size, 3 << 20);
	assert_true(a.mtime_ns > 0);
	assert_true(blc_identity_format(&a, text, sizeof(text)) > 0);
	assert_int_equal(blc_identity_parse(text, &b), 0);
	assert_true(blc_identity_equal(&a, &b));
	assert_int_equal(blc_identity_format(&a, text, 10), -ENOSPC);

	/* a byte changed in one of the sampled blocks far from the start, mtime restored */
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	int fd = open(path, O_RDWR);
	assert_true(pwrite(fd, "z", 1, (3 << 20) - 4096) == 1);
	struct timespec ts[2] = { st.st_atim, st.st_mtim };
	assert_int_equal(futimens(fd, ts), 0);
	close(fd);
	assert_int_equal(blc_identity_of(path, &b, err, sizeof(err)), 0);
	assert_string_equal(blc_identity_diff(&a, &b), "content fingerprint");
	/* touched: mtime */
	assert_int_equal(utimensat(AT_FDCWD, path, NULL, 0), 0);
	assert_int_equal(blc_identity_of(path, &b, err, sizeof(err)), 0);
	assert_string_equal(blc_identity_diff(&a, &b), "mtime");

	assert_int_equal(blc_identity_of("/nonexistent/x", &b, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/x"));
	remove_dir(dir);
}

static void test_layer_identity(void **state)
{
	char dir[256], base[300], ovl[300], text[128], err[256];
	struct blc_identity id, back;
	struct blc_header h;
	(void)state;

	make_dir(dir, sizeof(dir), "identity");
	snprintf(base, sizeof(base), "%s/base", dir);
	snprintf(ovl, sizeof(ovl), "%s/ovl", dir);
	make_base(base, 1 << 20, 512);
	assert_int_equal(blc_create(ovl, base, NULL, err, sizeof(err)), 0);
	assert_int_equal(blc_identity_of(ovl, &id, err, sizeof(err)), 0);
	assert_int_equal(id.kind, BLC_KIND_LAYER);
	int fd = open(ovl, O_RDONLY);
	assert_int_equal(blc_header_read(fd, &h, NULL, err, sizeof(err), ovl), 0);
	close(fd);
	assert_memory_equal(id.uuid, h.uuid, 16);
	assert_int_equal(blc_identity_format(&id, text, sizeof(text)), 6 + 8 + 32);
	assert_int_equal(blc_identity_parse(text, &back), 0);
	assert_true(blc_identity_equal(&id, &back));
	back.uuid[3] ^= 1;
	assert_string_equal(blc_identity_diff(&id, &back), "layer UUID");
	remove_dir(dir);
}

static void test_parse_rejects_garbage(void **state)
{
	struct blc_identity id;
	(void)state;

	assert_int_equal(blc_identity_parse("", &id), -EINVAL);
	assert_int_equal(blc_identity_parse("raw:1:2", &id), -EINVAL);
	assert_int_equal(blc_identity_parse("raw:1:2:3x", &id), -EINVAL);
	assert_int_equal(blc_identity_parse("layer:5:0011", &id), -EINVAL);
	assert_int_equal(blc_identity_parse("disk:1:2:3", &id), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raw_identity_and_text),
		cmocka_unit_test(test_layer_identity),
		cmocka_unit_test(test_parse_rejects_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
