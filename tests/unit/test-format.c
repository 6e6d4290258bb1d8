/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tests for handler/format.c: header and map page encoding and parsing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "format.h"

static struct blc_header sample(void)
{
	struct blc_header h = { .gen = 3, .epoch = 2, .size = 10u << 20, .cluster_size = 65536,
				.block_size = 512, .flags = BLC_F_COMMITTED };
	h.backing = (struct blc_identity){ .kind = BLC_KIND_RAW, .size = 10u << 20,
					   .mtime_ns = 123456789, .fingerprint = 0xfeedbeef };
	memset(h.uuid, 0xab, 16);
	strcpy(h.backing_path, "../images/base.img");
	blc_header_layout(&h);
	return h;
}

static void test_crc32c_known_value(void **state)
{
	(void)state;
	/* the standard check value of CRC-32C */
	assert_int_equal(blc_crc32c(0, "123456789", 9), 0xe3069283);
}

static void test_header_roundtrip(void **state)
{
	struct blc_header h = sample(), out;
	uint8_t slot[BLC_SLOT];
	char err[256];
	(void)state;

	assert_int_equal(h.map_offset, 8192);
	assert_int_equal(h.map_pages, 1);
	assert_int_equal(h.data_offset, 65536);
	blc_header_encode(&h, slot);
	assert_int_equal(blc_header_parse(slot, sizeof(slot), &out, err, sizeof(err)), 0);
	assert_int_equal(out.gen, 3);
	assert_int_equal(out.epoch, 2);
	assert_int_equal(out.size, h.size);
	assert_int_equal(out.flags, BLC_F_COMMITTED);
	assert_int_equal(out.backing.mtime_ns, 123456789);
	assert_int_equal(out.backing.fingerprint, 0xfeedbeef);
	assert_memory_equal(out.uuid, h.uuid, 16);
	assert_string_equal(out.backing_path, "../images/base.img");
}

static void expect_parse(struct blc_header h, int code, const char *words)
{
	uint8_t slot[BLC_SLOT];
	struct blc_header out;
	char err[256] = "";

	blc_header_encode(&h, slot);
	assert_int_equal(blc_header_parse(slot, sizeof(slot), &out, err, sizeof(err)), code);
	assert_non_null(strstr(err, words));
}

static void test_header_rejects_bad_values(void **state)
{
	struct blc_header h;
	(void)state;

	h = sample(); h.cluster_size = 3000; expect_parse(h, -EINVAL, "cluster size");
	h = sample(); h.cluster_size = 1u << 21; expect_parse(h, -EINVAL, "cluster size");
	h = sample(); h.block_size = 1024; expect_parse(h, -EINVAL, "block size");
	h = sample(); h.size = 1000; expect_parse(h, -EINVAL, "virtual size");
	h = sample(); h.flags = 0x10; expect_parse(h, -EINVAL, "flags");
	h = sample(); h.backing.kind = 9; expect_parse(h, -EINVAL, "backing kind");
	h = sample(); h.backing_path[0] = 0; expect_parse(h, -EINVAL, "path length");
	h = sample(); h.data_offset += 4096; expect_parse(h, -EINVAL, "layout");
}

static void test_header_rejects_damage(void **state)
{
	struct blc_header h = sample(), out;
	uint8_t slot[BLC_SLOT];
	char err[256];
	(void)state;

	blc_header_encode(&h, slot);
	slot[200] ^= 1;
	assert_int_equal(blc_header_parse(slot, sizeof(slot), &out, err, sizeof(err)), -EBADMSG);
	blc_header_encode(&h, slot);
	slot[8] = 2;             /* version */
	assert_int_equal(blc_header_parse(slot, sizeof(slot), &out, err, sizeof(err)),
			 -EPROTONOSUPPORT);
	slot[0] = 'X';
	assert_int_equal(blc_header_parse(slot, sizeof(slot), &out, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "magic"));
	memset(slot, 0, sizeof(slot));
	assert_int_equal(blc_header_parse(slot, sizeof(slot), &out, err, sizeof(err)), -ENODATA);
	assert_int_equal(blc_header_parse(slot, 100, &out, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "truncated"));
}

static void test_page_roundtrip_and_damage(void **state)
{
	uint8_t payload[BLC_PAGE_PAYLOAD] = { 0 }, slot[BLC_SLOT];
	const uint8_t *got;
	uint64_t gen;
	(void)state;

	blc_map_set(payload, 0, BLC_ST_HERE);
	blc_map_set(payload, 5, BLC_ST_ZERO);
	blc_map_set(payload, BLC_PAGE_CLUSTERS - 1, BLC_ST_HERE);
	blc_page_encode(slot, 7, 4, 9, payload);
	assert_int_equal(blc_page_parse(slot, sizeof(slot), 7, 4, &gen, &got), 0);
	assert_int_equal(gen, 9);
	assert_int_equal(blc_map_get(got, 0), BLC_ST_HERE);
	assert_int_equal(blc_map_get(got, 1), BLC_ST_BELOW);
	assert_int_equal(blc_map_get(got, 5), BLC_ST_ZERO);
	assert_int_equal(blc_map_get(got, BLC_PAGE_CLUSTERS - 1), BLC_ST_HERE);
	/* another epoch: stale, reads as empty; another page: misplaced */
	assert_int_equal(blc_page_parse(slot, sizeof(slot), 7, 5, &gen, &got), -ESTALE);
	assert_int_equal(blc_page_parse(slot, sizeof(slot), 6, 4, &gen, &got), -EBADMSG);
	slot[BLC_SLOT - 1] ^= 0x40;      /* torn tail */
	assert_int_equal(blc_page_parse(slot, sizeof(slot), 7, 4, &gen, &got), -EBADMSG);
	memset(slot, 0, sizeof(slot));
	assert_int_equal(blc_page_parse(slot, sizeof(slot), 7, 4, &gen, &got), -ENODATA);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c_known_value),
		cmocka_unit_test(test_header_roundtrip),
		cmocka_unit_test(test_header_rejects_bad_values),
		cmocka_unit_test(test_header_rejects_damage),
		cmocka_unit_test(test_page_roundtrip_and_damage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
