/* Unit tests of linkmgr/rbd/opts.c: blrbd's checks that need no cluster (names, object sizes,
 * features, the error buffer) and the importer's scan for all-zero objects. The calls that reach
 * a cluster are tested against a real one (tests/ceph/test-blrbd.sh). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "internal.h"

static void features_round_trip(void **state)
{
	uint64_t f = 0;
	char buf[128];

	(void)state;
	assert_int_equal(blrbd_features_parse("default", &f), 0);
	assert_int_equal(f, BLRBD_FEATURES_DEFAULT);
	assert_int_equal(blrbd_features_parse("layering,exclusive-lock", &f), 0);
	assert_int_equal(f, BLRBD_FEAT_LAYERING | BLRBD_FEAT_EXCLUSIVE_LOCK);
	assert_int_equal(blrbd_features_format(BLRBD_FEATURES_DEFAULT, buf, sizeof(buf)),
			 (int)strlen("layering,exclusive-lock,object-map,fast-diff,deep-flatten"));
	assert_string_equal(buf, "layering,exclusive-lock,object-map,fast-diff,deep-flatten");
	assert_int_equal(blrbd_features_parse(buf, &f), 0);
	assert_int_equal(f, BLRBD_FEATURES_DEFAULT);
	/* A buffer too short is an error, not a silently cut list. */
	assert_int_equal(blrbd_features_format(BLRBD_FEATURES_DEFAULT, buf, 10), -ENOSPC);
}

static void features_refused(void **state)
{
	uint64_t f = 7;

	(void)state;
	assert_int_equal(blrbd_features_parse("layering,journaling", &f), -EINVAL);
	assert_non_null(strstr(blrbd_error(), "'journaling'"));
	assert_int_equal(f, 7); /* untouched on failure */
	assert_int_equal(blrbd_features_parse("layering,", &f), -EINVAL);
	assert_non_null(strstr(blrbd_error(), "comma"));
	assert_int_equal(blrbd_features_parse("", &f), -EINVAL);
	assert_int_equal(blrbd_features_parse("layer", &f), -EINVAL); /* no prefix matches */
}

static void opts_checked(void **state)
{
	struct blrbd_image_opts o = { 0 };

	(void)state;
	assert_int_equal(blrbd_check_opts(NULL), 0);
	assert_int_equal(blrbd_check_opts(&o), 0); /* defaults */
	o.object_size = 64 << 10;
	assert_int_equal(blrbd_check_opts(&o), 0);
	o.object_size = 3 << 20;
	assert_int_equal(blrbd_check_opts(&o), -EINVAL);
	assert_non_null(strstr(blrbd_error(), "power of two"));
	o.object_size = 2048;
	assert_int_equal(blrbd_check_opts(&o), -EINVAL);
	o.object_size = 64ULL << 20;
	assert_int_equal(blrbd_check_opts(&o), -EINVAL);
	assert_non_null(strstr(blrbd_error(), "outside"));
	o.object_size = BLRBD_OBJECT_SIZE_MIN;
	assert_int_equal(blrbd_check_opts(&o), 0);
	o.object_size = BLRBD_OBJECT_SIZE_MAX;
	assert_int_equal(blrbd_check_opts(&o), 0);

	o.features = BLRBD_FEAT_EXCLUSIVE_LOCK;
	assert_int_equal(blrbd_check_opts(&o), -EINVAL);
	assert_non_null(strstr(blrbd_error(), "layering"));
	o.features = BLRBD_FEAT_LAYERING | BLRBD_FEAT_EXCLUSIVE_LOCK | BLRBD_FEAT_FAST_DIFF;
	assert_int_equal(blrbd_check_opts(&o), -EINVAL);
	assert_non_null(strstr(blrbd_error(), "fast-diff needs object-map"));
	o.features = BLRBD_FEAT_LAYERING | BLRBD_FEAT_OBJECT_MAP;
	assert_int_equal(blrbd_check_opts(&o), -EINVAL);
	assert_non_null(strstr(blrbd_error(), "object-map needs exclusive-lock"));
	o.features = BLRBD_FEAT_LAYERING | (1ULL << 6); /* journaling */
	assert_int_equal(blrbd_check_opts(&o), -EINVAL);
	o.features = BLRBD_FEAT_LAYERING;
	assert_int_equal(blrbd_check_opts(&o), 0);
}

static void names_checked(void **state)
{
	char longname[BLRBD_NAME_MAX + 2];

	(void)state;
	assert_int_equal(blrbd_check_name("image", "win10"), 0);
	assert_int_equal(blrbd_check_name("image", "pc-52:54:00:12:34:56"), 0);
	assert_int_equal(blrbd_check_name("image", ""), -EINVAL);
	assert_int_equal(blrbd_check_name("image", NULL), -EINVAL);
	assert_int_equal(blrbd_check_name("image", "a/b"), -EINVAL);
	assert_non_null(strstr(blrbd_error(), "image name 'a/b'"));
	assert_int_equal(blrbd_check_name("snapshot", "v1@x"), -EINVAL);
	assert_non_null(strstr(blrbd_error(), "snapshot name"));
	assert_int_equal(blrbd_check_name("image", "a\nb"), -EINVAL);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(blrbd_check_name("image", longname), -ENAMETOOLONG);
	longname[BLRBD_NAME_MAX] = '\0';
	assert_int_equal(blrbd_check_name("image", longname), 0);
}

static void error_buffer(void **state)
{
	(void)state;
	assert_int_equal(blrbd_fail(-EIO, "rbd pool '%s' image '%s': %s", "rbd", "pc01", "boom"), -EIO);
	assert_string_equal(blrbd_error(), "rbd pool 'rbd' image 'pc01': boom");
	blrbd_clear_error();
	assert_string_equal(blrbd_error(), "");
}

static void order_of(void **state)
{
	(void)state;
	assert_int_equal(blrbd_order(4096), 12);
	assert_int_equal(blrbd_order(64 << 10), 16);
	assert_int_equal(blrbd_order(4 << 20), 22);
	assert_int_equal(blrbd_order(32 << 20), 25);
}

/* The importer writes runs of non-zero objects and skips all-zero ones. */
static void data_runs(void **state)
{
	enum { P = 16, N = 8 };
	unsigned char buf[P * N - 5]; /* the last piece is short */
	size_t off = 0, run;

	(void)state;
	memset(buf, 0, sizeof(buf));
	assert_true(blrbd_all_zero(buf, sizeof(buf)));
	assert_true(blrbd_all_zero(buf, 0));
	assert_int_equal(blrbd_next_data_run(buf, sizeof(buf), P, &off), 0);

	/* pieces 1, 2 (one byte each, at the very ends), 5, and the short last one */
	buf[1 * P] = 1;
	buf[3 * P - 1] = 2;
	buf[5 * P + 7] = 3;
	buf[sizeof(buf) - 1] = 4;
	assert_false(blrbd_all_zero(buf, sizeof(buf)));
	off = 0;
	run = blrbd_next_data_run(buf, sizeof(buf), P, &off);
	assert_int_equal(off, 1 * P);
	assert_int_equal(run, 2 * P);
	off += run;
	run = blrbd_next_data_run(buf, sizeof(buf), P, &off);
	assert_int_equal(off, 5 * P);
	assert_int_equal(run, P);
	off += run;
	run = blrbd_next_data_run(buf, sizeof(buf), P, &off);
	assert_int_equal(off, 7 * P);
	assert_int_equal(run, sizeof(buf) - 7 * P);
	off += run;
	assert_int_equal(blrbd_next_data_run(buf, sizeof(buf), P, &off), 0);
	assert_int_equal(off, sizeof(buf));

	/* a non-zero first byte only */
	memset(buf, 0, sizeof(buf));
	buf[0] = 9;
	off = 0;
	assert_int_equal(blrbd_next_data_run(buf, sizeof(buf), P, &off), P);
	assert_int_equal(off, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(features_round_trip),
		cmocka_unit_test(features_refused),
		cmocka_unit_test(opts_checked),
		cmocka_unit_test(names_checked),
		cmocka_unit_test(error_buffer),
		cmocka_unit_test(order_of),
		cmocka_unit_test(data_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
