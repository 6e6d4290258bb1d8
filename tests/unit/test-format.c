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
				.block_size = 512, .sub_size = 4096, .flags = BLC_F_COMMITTED };
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
	assert_int_equal(out.sub_size, 4096);
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
	h = sample(); h.sub_size = 2048; expect_parse(h, -EINVAL, "sub-block size");
	h = sample(); h.sub_size = 12288; expect_parse(h, -EINVAL, "sub-block size");
	h = sample(); h.sub_size = 131072; expect_parse(h, -EINVAL, "sub-block size");
	/* more than 16 sub-blocks do not fit a mask */
	h = sample(); h.cluster_size = 1u << 20; h.sub_size = 4096; blc_header_layout(&h);
	expect_parse(h, -EINVAL, "sub-block size");
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
	slot[8] = 1;             /* version 1 files (whole-cluster maps) are not read */
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

static void test_default_sub_block(void **state)
{
	(void)state;
	assert_int_equal(blc_default_sub(4096), 4096);
	assert_int_equal(blc_default_sub(65536), 4096);
	assert_int_equal(blc_default_sub(1u << 20), 65536);
}

static void test_mask_valid(void **state)
{
	struct blc_header h = sample();      /* 10 MiB: 160 clusters of 16 sub-blocks */
	(void)state;

	h.flags = 0;
	assert_true(blc_mask_valid(&h, 0, 0));
	assert_true(blc_mask_valid(&h, 0, 0xffff));
	assert_true(blc_mask_valid(&h, 159, 0x0101));        /* an overlay may hold part */
	assert_false(blc_mask_valid(&h, 160, 0x0001));       /* past the end */
	assert_true(blc_mask_valid(&h, 160, 0));
	h.flags = BLC_F_COMMITTED;
	assert_true(blc_mask_valid(&h, 3, 0xffff));
	assert_false(blc_mask_valid(&h, 3, 0x00ff));         /* a layer holds whole clusters */
	h.cluster_size = 16384;                              /* 4 sub-blocks: bits 4.. invalid */
	blc_header_layout(&h);
	assert_true(blc_mask_valid(&h, 3, 0x000f));
	assert_false(blc_mask_valid(&h, 3, 0x001f));
}

static void test_page_roundtrip_and_damage(void **state)
{
	uint8_t payload[BLC_PAGE_PAYLOAD] = { 0 }, slot[BLC_SLOT];
	uint16_t masks[BLC_PAGE_CLUSTERS] = { 0 }, back[BLC_PAGE_CLUSTERS];
	const uint8_t *got;
	uint64_t gen;
	(void)state;

	masks[0] = 0xffff;
	masks[5] = 0x8001;
	masks[BLC_PAGE_CLUSTERS - 1] = 0x0100;
	blc_page_masks_put(payload, masks);
	/* little-endian on disk whatever the host */
	assert_int_equal(payload[10], 0x01);
	assert_int_equal(payload[11], 0x80);
	blc_page_encode(slot, 7, 4, 9, payload);
	assert_int_equal(blc_page_parse(slot, sizeof(slot), 7, 4, &gen, &got), 0);
	assert_int_equal(gen, 9);
	blc_page_masks_get(got, back);
	assert_memory_equal(back, masks, sizeof(masks));
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
		cmocka_unit_test(test_default_sub_block),
		cmocka_unit_test(test_mask_valid),
		cmocka_unit_test(test_page_roundtrip_and_damage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
