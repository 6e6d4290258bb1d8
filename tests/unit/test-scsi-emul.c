/* Tests for handler/scsi-emul.c: the SCSI rules handler_bootlink.so applies before tcmu-runner's
 * generic emulation sees a command. Each case is one of libiscsi's iscsi-test-cu expectations
 * that tcmu-runner 1.5.4 got wrong (doc/handler.md, Conformance), or a rule next to one. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "scsi-emul.h"

#define SERIAL "6b2fc3a4-0d51-4c55-9e3b-2f27f8d1a0b9"

static const struct bl_lu LU = {
	.num_lbas = 131072, /* 64 MiB */
	.block_size = 512,
	.unmap_granularity = 128,
	.max_unmap_blocks = 1024 * 1024,
	.max_xfer_blocks = 128,
	.write_cache = true,
	.serial = SERIAL,
};

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void put32(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }
static void put64(uint8_t *p, uint64_t v) { put32(p, v >> 32); put32(p + 4, (uint32_t)v); }

/* CDB builders for the 10- and 16-byte block commands */
static void cdb10(uint8_t *c, uint8_t op, uint8_t byte1, uint32_t lba, uint16_t n)
{
	memset(c, 0, 16);
	c[0] = op;
	c[1] = byte1;
	put32(c + 2, lba);
	c[7] = n >> 8;
	c[8] = (uint8_t)n;
}

static void cdb16(uint8_t *c, uint8_t op, uint8_t byte1, uint64_t lba, uint32_t n)
{
	memset(c, 0, 16);
	c[0] = op;
	c[1] = byte1;
	put64(c + 2, lba);
	put32(c + 10, n);
}

static void expect_sense(const uint8_t *cdb, uint16_t asc_ascq)
{
	struct bl_sense s = {0};
	struct bl_io io;

	assert_int_equal(bl_scsi_parse_io(cdb, &LU, &io, &s), -EINVAL);
	assert_int_equal(s.key, BL_SK_ILLEGAL_REQUEST);
	assert_int_equal(s.asc_ascq, asc_ascq);
}

static void expect_io(const uint8_t *cdb, struct bl_io *io)
{
	struct bl_sense s;

	assert_int_equal(bl_scsi_parse_io(cdb, &LU, io, &s), 0);
}

/* Read10.ReadProtect, Write10.WriteProtect, ...: no protection information, so any
 * RDPROTECT/WRPROTECT value is an invalid field (tcmu-runner ignored it and did the I/O). */
static void protect_fields_are_refused(void **state)
{
	static const uint8_t ops[] = {0x28, 0xa8, 0x88, 0x2a, 0xaa, 0x8a, 0x2e, 0x8e, 0x41, 0x93,
				      0x89, 0x2f, 0xaf, 0x8f};
	uint8_t c[16];

	(void)state;
	for (size_t i = 0; i < sizeof ops; i++)
		for (uint8_t p = 1; p < 8; p++) {
			cdb16(c, ops[i], (uint8_t)(p << 5), 0, 1);
			if (ops[i] == 0x28 || ops[i] == 0x2a || ops[i] == 0x2e || ops[i] == 0x41 ||
			    ops[i] == 0x2f)
				cdb10(c, ops[i], (uint8_t)(p << 5), 0, 1);
			if (ops[i] == 0xa8 || ops[i] == 0xaa || ops[i] == 0xaf) {
				memset(c, 0, 16);
				c[0] = ops[i];
				c[1] = (uint8_t)(p << 5);
				put32(c + 6, 1);
			}
			if (ops[i] == 0x89)
				c[13] = 1;
			expect_sense(c, BL_ASC_INVALID_FIELD_IN_CDB);
		}
}

/* Read10.DpoFua, Write10.DpoFua: DPO and FUA are accepted (MODE SENSE says DPOFUA); FUA marks
 * the write for a flush. */
static void dpo_fua_accepted(void **state)
{
	uint8_t c[16];
	struct bl_io io;

	(void)state;
	cdb10(c, 0x28, 0x18, 5, 2);
	expect_io(c, &io);
	assert_int_equal(io.kind, BL_IO_READ);
	assert_int_equal(io.lba, 5);
	assert_int_equal(io.blocks, 2);
	assert_int_equal(io.data_len, 1024);

	cdb10(c, 0x2a, 0x10, 0, 1); /* DPO only */
	expect_io(c, &io);
	assert_int_equal(io.kind, BL_IO_WRITE);
	assert_int_equal(io.flags & BL_IO_FUA, 0);
	cdb16(c, 0x8a, 0x08, 0, 1); /* FUA */
	expect_io(c, &io);
	assert_true(io.flags & BL_IO_FUA);

	/* WRITE AND VERIFY always flushes: it verifies what the medium holds */
	cdb10(c, 0x2e, 0x10, 0, 1);
	expect_io(c, &io);
	assert_int_equal(io.kind, BL_IO_WRITE_VERIFY);
	assert_true(io.flags & BL_IO_FUA);
	/* BYTCHK 11b (one block compared with every block) is not done by the generic path */
	cdb10(c, 0x2e, 0x06, 0, 1);
	expect_sense(c, BL_ASC_INVALID_FIELD_IN_CDB);
}

/* *.BeyondEol, *.ZeroBlocks: the range check of LIO's sbc_parse_cdb(). */
static void range_checks(void **state)
{
	uint8_t c[16];
	struct bl_io io;

	(void)state;
	cdb10(c, 0x28, 0, 131071, 1); /* the last block */
	expect_io(c, &io);
	cdb10(c, 0x28, 0, 131071, 2);
	expect_sense(c, BL_ASC_LBA_OUT_OF_RANGE);
	cdb10(c, 0x2a, 0, 0x80000000u, 142);
	expect_sense(c, BL_ASC_LBA_OUT_OF_RANGE);
	cdb16(c, 0x88, 0, UINT64_MAX, 2); /* wraps around */
	expect_sense(c, BL_ASC_LBA_OUT_OF_RANGE);
	cdb16(c, 0x88, 0, 1ull << 63, 0);
	expect_sense(c, BL_ASC_LBA_OUT_OF_RANGE);
	/* zero blocks at the end of the LU is fine, one past it is not */
	cdb16(c, 0x88, 0, 131072, 0);
	expect_io(c, &io);
	assert_int_equal(io.data_len, 0);
	cdb16(c, 0x88, 0, 131073, 0);
	expect_sense(c, BL_ASC_LBA_OUT_OF_RANGE);
	/* a malformed command is malformed wherever it points */
	cdb10(c, 0x28, 0x20, 0x80000000u, 1);
	expect_sense(c, BL_ASC_INVALID_FIELD_IN_CDB);
}

static void six_byte_commands(void **state)
{
	uint8_t c[16] = {0x08, 0x01, 0x02, 0x03, 0, 0};
	struct bl_io io;

	(void)state;
	expect_io(c, &io); /* 21-bit LBA, length 0 means 256 blocks */
	assert_int_equal(io.lba, 0x10203);
	assert_int_equal(io.blocks, 256);
	c[0] = 0x0a;
	c[1] = 0xe1; /* bits 7-5 are not a protect field in WRITE(6) */
	c[4] = 1;
	expect_io(c, &io);
	assert_int_equal(io.kind, BL_IO_WRITE);
	assert_int_equal(io.lba, 0x10203);
	c[1] = 0x1f;
	c[2] = c[3] = 0xff;
	expect_sense(c, BL_ASC_LBA_OUT_OF_RANGE);
}

/* WriteSame10.Unmap, WriteSame16.*: ANCHOR without ANC_SUP, obsolete bits, NDOB and zero
 * blocks (WSNZ) are invalid; UNMAP is a flag; the data-out is one block. */
static void write_same(void **state)
{
	uint8_t c[16];
	struct bl_io io;

	(void)state;
	cdb10(c, 0x41, 0x08, 8, 256);
	expect_io(c, &io);
	assert_int_equal(io.kind, BL_IO_WRITE_SAME);
	assert_true(io.flags & BL_IO_UNMAP);
	assert_int_equal(io.blocks, 256);
	assert_int_equal(io.data_len, 512);
	cdb10(c, 0x41, 0x10, 0, 1); /* ANCHOR */
	expect_sense(c, BL_ASC_INVALID_FIELD_IN_CDB);
	cdb10(c, 0x41, 0x18, 0, 1); /* ANCHOR + UNMAP */
	expect_sense(c, BL_ASC_INVALID_FIELD_IN_CDB);
	cdb10(c, 0x41, 0x02, 0, 1); /* LBDATA */
	expect_sense(c, BL_ASC_INVALID_FIELD_IN_CDB);
	cdb16(c, 0x93, 0x09, 0, 1); /* NDOB */
	expect_sense(c, BL_ASC_INVALID_FIELD_IN_CDB);
	cdb16(c, 0x93, 0x00, 0, 0); /* WSNZ */
	expect_sense(c, BL_ASC_INVALID_FIELD_IN_CDB);
	cdb16(c, 0x93, 0x00, 131072, 0); /* WSNZ comes first, as in LIO */
	expect_sense(c, BL_ASC_INVALID_FIELD_IN_CDB);
	cdb16(c, 0x93, 0x00, 131071, 2);
	expect_sense(c, BL_ASC_LBA_OUT_OF_RANGE);
}

static void compare_and_write(void **state)
{
	uint8_t c[16];
	struct bl_io io;

	(void)state;
	cdb16(c, 0x89, 0x18, 7, 0);
	c[10] = c[11] = c[12] = 0;
	c[13] = 1;
	expect_io(c, &io);
	assert_int_equal(io.kind, BL_IO_COMPARE_AND_WRITE);
	assert_int_equal(io.lba, 7);
	assert_int_equal(io.data_len, 1024); /* compare block + write block */
	assert_true(io.flags & BL_IO_FUA);
	c[13] = 2; /* beyond MAXIMUM COMPARE AND WRITE LENGTH */
	expect_sense(c, BL_ASC_INVALID_FIELD_IN_CDB);
	c[13] = 0;
	expect_io(c, &io);
	assert_int_equal(io.data_len, 0);
}

/* iSCSIResiduals.Write10Residuals etc.: a data-out length that disagrees with the CDB is
 * refused, as LIO does; CompareAndWrite.Simple: a COMPARE AND WRITE of 256 blocks wraps its
 * one-byte count to 0 and must still be refused as a bad CDB field. */
static void data_out_length(void **state)
{
	uint8_t c[16];
	struct bl_sense s = {0};
	struct bl_io io;

	(void)state;
	cdb10(c, 0x2a, 0, 0, 2);
	expect_io(c, &io);
	assert_int_equal(bl_scsi_check_data_out(&io, 1024, &s), 0);
	assert_int_equal(bl_scsi_check_data_out(&io, 512, &s), -EINVAL);
	assert_int_equal(s.asc_ascq, BL_ASC_INVALID_FIELD_IN_CMD_IU);
	assert_int_equal(bl_scsi_check_data_out(&io, 10000, &s), -EINVAL);
	cdb10(c, 0x41, 0, 0, 8); /* WRITE SAME: one block of data, whatever the count */
	expect_io(c, &io);
	assert_int_equal(bl_scsi_check_data_out(&io, 512, &s), 0);
	assert_int_equal(bl_scsi_check_data_out(&io, 4096, &s), -EINVAL);

	cdb16(c, 0x89, 0, 0, 0);
	c[13] = 0; /* 256 blocks, wrapped */
	expect_io(c, &io);
	assert_int_equal(bl_scsi_check_data_out(&io, 0, &s), 0);
	assert_int_equal(bl_scsi_check_data_out(&io, 2 * 256 * 512, &s), -EINVAL);
	assert_int_equal(s.key, BL_SK_ILLEGAL_REQUEST);
	assert_int_equal(s.asc_ascq, BL_ASC_INVALID_FIELD_IN_CDB);
}

/* Verify10.*, Verify16.*: tcmu-runner has no VERIFY; BYTCHK=1 compares, BYTCHK=0 only checks
 * the range, VRPROTECT is refused with the other protect fields. */
static void verify(void **state)
{
	uint8_t c[16], medium[1024], data[1024];
	struct bl_sense s = {0};
	struct bl_io io;

	(void)state;
	cdb10(c, 0x2f, 0x12, 10, 2); /* DPO, BYTCHK */
	expect_io(c, &io);
	assert_int_equal(io.kind, BL_IO_VERIFY);
	assert_true(io.flags & BL_IO_BYTCHK);
	assert_int_equal(io.data_len, 1024);
	cdb16(c, 0x8f, 0, 10, 2);
	expect_io(c, &io);
	assert_int_equal(io.flags & BL_IO_BYTCHK, 0);
	assert_int_equal(io.data_len, 0); /* no data-out without BYTCHK */
	cdb16(c, 0x8f, 0x06, 0, 1);
	expect_sense(c, BL_ASC_INVALID_FIELD_IN_CDB);
	cdb10(c, 0x2f, 0x02, 0x80000000u, 0);
	expect_sense(c, BL_ASC_LBA_OUT_OF_RANGE);

	memset(medium, 'A', sizeof medium);
	memcpy(data, medium, sizeof data);
	assert_int_equal(bl_scsi_verify_compare(medium, data, sizeof data, 0, &s), 0);
	data[1000] ^= 0x10;
	assert_int_equal(bl_scsi_verify_compare(medium, data, sizeof data, 1 << 20, &s), -EINVAL);
	assert_int_equal(s.key, BL_SK_MISCOMPARE);
	assert_int_equal(s.asc_ascq, BL_ASC_MISCOMPARE_DURING_VERIFY);
	assert_true(s.info_valid);
	assert_int_equal(s.info, (1 << 20) + 1000); /* offset in the whole data-out */

	uint8_t b[18];
	bl_scsi_sense_bytes(&s, b);
	assert_int_equal(b[0], 0xf0); /* VALID, fixed format, current */
	assert_int_equal(b[2], 0x0e);
	assert_int_equal(be32(b + 3), (1 << 20) + 1000);
	assert_int_equal(b[7], 10);
	assert_int_equal(b[12], 0x1d);
	assert_int_equal(b[13], 0x00);
	s = (struct bl_sense){.key = BL_SK_ILLEGAL_REQUEST, .asc_ascq = BL_ASC_INVALID_FIELD_IN_CDB};
	bl_scsi_sense_bytes(&s, b);
	assert_int_equal(b[0], 0x70);
	assert_int_equal(be32(b + 3), 0);
	assert_int_equal(b[12], 0x24);
}

static void other_opcodes_are_not_io(void **state)
{
	/* ...including WRITE AND VERIFY(12) (0xae), which tcmu-runner does not implement */
	static const uint8_t ops[] = {0x00, 0x12, 0x1a, 0x25, 0x35, 0x42, 0x83, 0x9e, 0xa0, 0xae};
	uint8_t c[16] = {0};
	struct bl_sense s;
	struct bl_io io;

	(void)state;
	for (size_t i = 0; i < sizeof ops; i++) {
		c[0] = ops[i];
		assert_int_equal(bl_scsi_parse_io(c, &LU, &io, &s), -ENOENT);
	}
}

static int respond(const uint8_t *cdb, uint8_t *buf)
{
	struct bl_sense s;

	memset(buf, 0xee, BL_SCSI_RESPONSE_MAX);
	return bl_scsi_respond(cdb, &LU, buf, BL_SCSI_RESPONSE_MAX, &s);
}

static void expect_respond_sense(const uint8_t *cdb, uint16_t asc_ascq)
{
	uint8_t buf[BL_SCSI_RESPONSE_MAX];
	struct bl_sense s = {0};

	assert_int_equal(bl_scsi_respond(cdb, &LU, buf, sizeof buf, &s), -EINVAL);
	assert_int_equal(s.key, BL_SK_ILLEGAL_REQUEST);
	assert_int_equal(s.asc_ascq, asc_ascq);
}

/* Inquiry.Standard, Inquiry.VersionDescriptors, Inquiry.BlockLimits (which needs SBC-3 claimed) */
static void standard_inquiry(void **state)
{
	uint8_t c[6] = {0x12, 0, 0, 0x01, 0x04, 0}; /* allocation length 260 */
	uint8_t b[BL_SCSI_RESPONSE_MAX];
	int n = respond(c, b);

	(void)state;
	assert_true(n >= 36);
	assert_int_equal(b[0], 0x00);     /* connected direct-access device */
	assert_int_equal(b[2], 0x06);     /* SPC-4 */
	assert_int_equal(b[3] & 0x0f, 2); /* response data format */
	assert_int_equal(b[4], n - 5);    /* additional length */
	assert_int_equal(b[5], 0x08);     /* 3PC (EXTENDED COPY), no TPGS, no PROTECT */
	assert_memory_equal(b + 8, "LIO-ORG TCMU device     0002", 28);
	bool spc4 = false, sbc3 = false;
	for (int i = 0; i < 8; i++) {
		spc4 |= be16(b + 58 + 2 * i) == 0x0460;
		sbc3 |= be16(b + 58 + 2 * i) == 0x04c0;
	}
	assert_true(spc4 && sbc3);
	/* no padding garbage: every byte of the response is defined */
	for (int i = 36; i < 58; i++)
		assert_int_equal(b[i], 0);
	assert_int_equal(bl_scsi_alloc_len(c), 260);

	c[2] = 0x80; /* a page code without EVPD */
	expect_respond_sense(c, BL_ASC_INVALID_FIELD_IN_CDB);
}

static void vpd_pages(void **state)
{
	uint8_t c[6] = {0x12, 0x01, 0x00, 0x00, 0xff, 0};
	uint8_t b[BL_SCSI_RESPONSE_MAX];
	int n;

	(void)state;
	n = respond(c, b);
	assert_int_equal(n, 10);
	assert_int_equal(be16(b + 2), 6);
	assert_memory_equal(b + 4, "\x00\x80\x83\xb0\xb1\xb2", 6);

	c[2] = 0x80;
	n = respond(c, b);
	assert_int_equal(b[1], 0x80);
	assert_int_equal(n, 4 + (int)strlen(SERIAL));
	assert_memory_equal(b + 4, SERIAL, strlen(SERIAL));

	c[2] = 0x83;
	n = respond(c, b);
	assert_int_equal(be16(b + 2), n - 4);
	const uint8_t *d = b + 4;
	assert_int_equal(d[1] & 0x0f, 1); /* T10 vendor ID */
	assert_memory_equal(d + 4, "LIO-ORG " SERIAL, 8 + strlen(SERIAL));
	d += 4 + d[3];
	assert_int_equal(d[1] & 0x0f, 3); /* NAA, as LIO derives it from the serial */
	assert_int_equal(d[3], 16);
	static const uint8_t naa[16] = {0x60, 0x01, 0x40, 0x56, 0xb2, 0xfc, 0x3a, 0x40, 0xd5,
					0x14, 0xc5, 0x59, 0xe3, 0xb2, 0xf2, 0x7f};
	assert_memory_equal(d + 4, naa, 16);
	assert_ptr_equal(d + 20, b + n); /* nothing else: no server path in the identifiers */

	c[2] = 0xb0;
	n = respond(c, b);
	assert_int_equal(n, 64);
	assert_int_equal(be16(b + 2), 0x3c);
	assert_int_equal(b[4] & 1, 1);  /* WSNZ */
	assert_int_equal(b[5], BL_MAX_COMPARE_AND_WRITE);
	assert_int_equal(be32(b + 8), 128);
	assert_int_equal(be32(b + 20), 1024 * 1024); /* MAXIMUM UNMAP LBA COUNT <= 2^20 */
	assert_true(be32(b + 24) > 0);
	assert_int_equal(be32(b + 28), 128);
	assert_int_equal(be32(b + 32), 0x80000000u);

	c[2] = 0xb1;
	n = respond(c, b);
	assert_int_equal(be16(b + 4), 1);

	c[2] = 0xb2;
	n = respond(c, b);
	assert_int_equal(n, 8);
	assert_int_equal(b[5] & 0xe0, 0xe0); /* LBPU, LBPWS, LBPWS10 */
	assert_int_equal(b[5] & 0x04, 0x04); /* LBPRZ */
	assert_int_equal(b[5] & 0x02, 0);    /* no ANC_SUP: ANCHOR is refused */

	c[2] = 0x86;
	expect_respond_sense(c, BL_ASC_INVALID_FIELD_IN_CDB);
}

/* The response is truncated to the buffer, but the full length is returned: the handler cuts
 * it to the allocation length and reports the rest of the expected length as a residual. */
static void truncation(void **state)
{
	uint8_t c[6] = {0x12, 0, 0, 0, 5, 0};
	uint8_t b[8];
	struct bl_sense s;

	(void)state;
	memset(b, 0xee, sizeof b);
	assert_int_equal(bl_scsi_respond(c, &LU, b, 5, &s), 74);
	assert_int_equal(b[5], 0xee);
	assert_int_equal(bl_scsi_alloc_len(c), 5);
}

/* ModeSense6.*, Read10.DpoFua (DPOFUA), the caching page (WCE) */
static void mode_sense(void **state)
{
	uint8_t c6[6] = {0x1a, 0, 0x3f, 0, 0xff, 0};
	uint8_t b[BL_SCSI_RESPONSE_MAX];
	int n;

	(void)state;
	n = respond(c6, b);
	assert_int_equal(b[0], n - 1);
	assert_int_equal(b[2], 0x10);   /* DPOFUA, not write protected */
	assert_int_equal(b[3], 8);      /* one short block descriptor */
	assert_int_equal(be32(b + 4), 131072);
	assert_int_equal(be32(b + 8), 512);
	/* the pages follow in ascending order and fill the rest exactly */
	int off = 12, seen = 0;
	while (off < n) {
		if ((b[off] & 0x3f) == 0x08)
			assert_int_equal(b[off + 2] & 0x04, 0x04); /* WCE */
		off += 2 + b[off + 1];
		seen++;
	}
	assert_int_equal(off, n);
	assert_int_equal(seen, 4);

	c6[2] = 0x08;
	n = respond(c6, b);
	assert_int_equal(n, 4 + 8 + 20);
	c6[2] = 0x48; /* changeable values: nothing can change */
	n = respond(c6, b);
	assert_int_equal(b[12 + 2] & 0x04, 0);
	c6[1] = 0x08; /* DBD */
	c6[2] = 0x0a;
	n = respond(c6, b);
	assert_int_equal(b[3], 0);
	assert_int_equal(n, 4 + 12);
	assert_int_equal(b[4], 0x0a);

	c6[1] = 0;
	c6[2] = 0x3f;
	c6[3] = 0x01; /* all pages of subpage 1: there are none */
	expect_respond_sense(c6, BL_ASC_INVALID_FIELD_IN_CDB);
	c6[2] = 0x05;
	c6[3] = 0;
	expect_respond_sense(c6, BL_ASC_INVALID_FIELD_IN_CDB);

	uint8_t c10[10] = {0x5a, 0x10, 0x3f, 0, 0, 0, 0, 0x01, 0x00, 0}; /* LLBAA */
	n = respond(c10, b);
	assert_int_equal(be16(b), n - 2);
	assert_int_equal(b[3], 0x10);
	assert_int_equal(b[4] & 1, 1); /* LONGLBA */
	assert_int_equal(be16(b + 6), 16);
	assert_int_equal(be32(b + 12), 131072);
	assert_int_equal(be32(b + 20), 512);
	assert_int_equal(bl_scsi_alloc_len(c10), 256);
}

static void read_capacity(void **state)
{
	uint8_t c16[16] = {0x9e, 0x10};
	uint8_t c10[10] = {0x25};
	uint8_t b[BL_SCSI_RESPONSE_MAX];
	struct bl_lu big = LU;
	struct bl_sense s;

	(void)state;
	put32(c16 + 10, 32);
	assert_int_equal(respond(c16, b), 32);
	assert_int_equal(be32(b + 4), 131071);
	assert_int_equal(be32(b + 8), 512);
	assert_int_equal(b[14] & 0xc0, 0xc0); /* LBPME, LBPRZ */
	assert_int_equal(bl_scsi_alloc_len(c16), 32);
	assert_int_equal(respond(c10, b), 8);
	assert_int_equal(be32(b), 131071);

	big.num_lbas = 1ull << 33;
	assert_int_equal(bl_scsi_respond(c10, &big, b, sizeof b, &s), 8);
	assert_int_equal(be32(b), 0xffffffffu);

	c16[1] = 0x12; /* GET LBA STATUS: tcmu-runner's (unsupported) answer stands */
	assert_int_equal(respond(c16, b), -ENOENT);
}

/* ExtendedCopy.ParamHdr, DescrLimits, DescrType */
static size_t xcopy_list(uint8_t *p, unsigned ntgt, uint8_t tgt_type, unsigned nseg,
			 uint8_t seg_type)
{
	size_t off = 16;

	memset(p, 0, 2048);
	for (unsigned i = 0; i < ntgt; i++, off += 32)
		p[off] = tgt_type;
	for (unsigned i = 0; i < nseg; i++, off += 28) {
		p[off] = seg_type;
		p[off + 3] = 24;
	}
	p[2] = (uint8_t)((ntgt * 32) >> 8);
	p[3] = (uint8_t)(ntgt * 32);
	put32(p + 8, nseg * 28);
	return off;
}

static void expect_xcopy(const uint8_t *p, size_t len, int r, uint16_t asc_ascq)
{
	struct bl_sense s = {0};

	assert_int_equal(bl_scsi_check_xcopy(p, len, &s), r);
	if (r)
		assert_int_equal(s.asc_ascq, asc_ascq);
}

static void extended_copy(void **state)
{
	uint8_t p[2048];
	size_t len;

	(void)state;
	memset(p, 0, sizeof p);
	expect_xcopy(p, 0, 0, 0); /* nothing to copy */
	len = xcopy_list(p, 1, 0xe4, 1, 0x02);
	assert_int_equal(len, 76);
	expect_xcopy(p, len, 0, 0);
	expect_xcopy(p, 16 + 32 - 1, -EINVAL, BL_ASC_PARAM_LIST_LENGTH_ERROR);
	expect_xcopy(p, len - 1, -EINVAL, BL_ASC_PARAM_LIST_LENGTH_ERROR);
	expect_xcopy(p, 15, -EINVAL, BL_ASC_PARAM_LIST_LENGTH_ERROR);

	len = xcopy_list(p, BL_XCOPY_MAX_TARGET_DESCS + 1, 0xe4, 1, 0x02);
	expect_xcopy(p, len, -EINVAL, BL_ASC_TOO_MANY_TARGET_DESCRIPTORS);
	len = xcopy_list(p, 1, 0xe4, BL_XCOPY_MAX_SEGMENT_DESCS + 1, 0x02);
	expect_xcopy(p, len, -EINVAL, BL_ASC_TOO_MANY_SEGMENT_DESCRIPTORS);
	/* past MAXIMUM DESCRIPTOR LIST LENGTH: a length error before any count */
	len = xcopy_list(p, 3, 0xe4, 35, 0x02);
	expect_xcopy(p, len, -EINVAL, BL_ASC_PARAM_LIST_LENGTH_ERROR);

	len = xcopy_list(p, 1, 0xe0, 1, 0x02); /* Fibre Channel N_Port_Name */
	expect_xcopy(p, len, -EINVAL, BL_ASC_UNSUPPORTED_TARGET_DESCRIPTOR);
	len = xcopy_list(p, 1, 0xe4, 1, 0x03); /* stream to stream */
	expect_xcopy(p, len, -EINVAL, BL_ASC_UNSUPPORTED_SEGMENT_DESCRIPTOR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(protect_fields_are_refused),
		cmocka_unit_test(dpo_fua_accepted),
		cmocka_unit_test(range_checks),
		cmocka_unit_test(six_byte_commands),
		cmocka_unit_test(write_same),
		cmocka_unit_test(compare_and_write),
		cmocka_unit_test(data_out_length),
		cmocka_unit_test(verify),
		cmocka_unit_test(other_opcodes_are_not_io),
		cmocka_unit_test(standard_inquiry),
		cmocka_unit_test(vpd_pages),
		cmocka_unit_test(truncation),
		cmocka_unit_test(mode_sense),
		cmocka_unit_test(read_capacity),
		cmocka_unit_test(extended_copy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
