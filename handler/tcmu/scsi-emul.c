/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * scsi-emul: CDB checks and emulated responses of handler_bootlink.so (see scsi-emul.h).
 * References: SBC-3/SBC-4 (block commands), SPC-4 (INQUIRY, MODE SENSE, EXTENDED COPY).
 * Where the standard leaves a choice, the choice is LIO's own block backstores' (fileio,
 * iblock), so that a client sees the same disk whichever backstore serves it.
 */
#include <errno.h>
#include <string.h>

#include "scsi-emul.h"

enum {
	OP_READ_6 = 0x08,
	OP_WRITE_6 = 0x0a,
	OP_INQUIRY = 0x12,
	OP_MODE_SENSE_6 = 0x1a,
	OP_READ_CAPACITY_10 = 0x25,
	OP_READ_10 = 0x28,
	OP_WRITE_10 = 0x2a,
	OP_WRITE_VERIFY_10 = 0x2e,
	OP_VERIFY_10 = 0x2f,
	OP_WRITE_SAME_10 = 0x41,
	OP_MODE_SENSE_10 = 0x5a,
	OP_READ_16 = 0x88,
	OP_COMPARE_AND_WRITE = 0x89,
	OP_WRITE_16 = 0x8a,
	OP_WRITE_VERIFY_16 = 0x8e,
	OP_VERIFY_16 = 0x8f,
	OP_WRITE_SAME_16 = 0x93,
	OP_SERVICE_ACTION_IN_16 = 0x9e,
	OP_READ_12 = 0xa8,
	OP_WRITE_12 = 0xaa,
	OP_VERIFY_12 = 0xaf,
};
enum { SAI_READ_CAPACITY_16 = 0x10 };

/* Identity strings: the ones tcmu-runner 1.5.4 reports for every TCMU device. Clients that
 * were installed against them (Windows keys the disk's hardware ID on vendor and product)
 * must keep seeing the same disk. */
#define BL_VENDOR "LIO-ORG "
#define BL_PRODUCT "TCMU device     "
#define BL_REVISION "0002"

static int fail(struct bl_sense *sense, uint16_t asc_ascq)
{
	*sense = (struct bl_sense){.key = BL_SK_ILLEGAL_REQUEST, .asc_ascq = asc_ascq};
	return -EINVAL;
}

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static uint64_t be64(const uint8_t *p) { return (uint64_t)be32(p) << 32 | be32(p + 4); }
static void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, (uint16_t)v); }
static void put64(uint8_t *p, uint64_t v) { put32(p, v >> 32); put32(p + 4, (uint32_t)v); }

void bl_scsi_sense_bytes(const struct bl_sense *s, uint8_t buf[18])
{
	memset(buf, 0, 18);
	buf[0] = 0x70; /* fixed format, current error */
	buf[2] = s->key;
	buf[7] = 10;   /* additional sense length */
	buf[12] = s->asc_ascq >> 8;
	buf[13] = (uint8_t)s->asc_ascq;
	if (s->info_valid) {
		buf[0] |= 0x80;
		put32(buf + 3, s->info);
	}
}

/* ---- block I/O ---- */

int bl_scsi_parse_io(const uint8_t *cdb, const struct bl_lu *lu, struct bl_io *io,
		     struct bl_sense *sense)
{
	uint8_t op = cdb[0];
	/* protection bits (RDPROTECT/WRPROTECT/VRPROTECT) sit in byte 1, bits 7-5, of every
	 * 10/12/16-byte block command; the LU has no protection information, so any nonzero
	 * value is a field it cannot honour (SBC-3 4.22.2) */
	uint8_t protect = cdb[1] >> 5;

	memset(io, 0, sizeof *io);
	switch (op) {
	case OP_READ_6:
	case OP_WRITE_6:
		io->kind = op == OP_READ_6 ? BL_IO_READ : BL_IO_WRITE;
		io->lba = (uint64_t)(cdb[1] & 0x1f) << 16 | be16(cdb + 2);
		/* a transfer length of 0 means 256 blocks in the 6-byte commands */
		io->blocks = cdb[4] ? cdb[4] : 256;
		protect = 0;
		break;
	case OP_READ_10:
	case OP_WRITE_10:
	case OP_WRITE_VERIFY_10:
	case OP_VERIFY_10:
	case OP_WRITE_SAME_10:
		io->lba = be32(cdb + 2);
		io->blocks = be16(cdb + 7);
		break;
	case OP_READ_12:
	case OP_WRITE_12:
	case OP_VERIFY_12:
		io->lba = be32(cdb + 2);
		io->blocks = be32(cdb + 6);
		break;
	case OP_READ_16:
	case OP_WRITE_16:
	case OP_WRITE_VERIFY_16:
	case OP_VERIFY_16:
	case OP_WRITE_SAME_16:
		io->lba = be64(cdb + 2);
		io->blocks = be32(cdb + 10);
		break;
	case OP_COMPARE_AND_WRITE:
		io->lba = be64(cdb + 2);
		io->blocks = cdb[13];
		break;
	default:
		return -ENOENT;
	}

	switch (op) {
	case OP_READ_6:
	case OP_READ_10:
	case OP_READ_12:
	case OP_READ_16:
		io->kind = BL_IO_READ;
		io->data_len = (uint64_t)io->blocks * lu->block_size;
		break;
	case OP_WRITE_6:
	case OP_WRITE_10:
	case OP_WRITE_12:
	case OP_WRITE_16:
		io->kind = BL_IO_WRITE;
		io->data_len = (uint64_t)io->blocks * lu->block_size;
		if (op != OP_WRITE_6 && (cdb[1] & 0x08))
			io->flags |= BL_IO_FUA;
		break;
	case OP_WRITE_VERIFY_10:
	case OP_WRITE_VERIFY_16:
		io->kind = BL_IO_WRITE_VERIFY;
		/* BYTCHK 00b/01b only: 11b would compare every block with a single data-out block,
		 * which tcmu-runner's verify does not do, and 10b is reserved (SBC-4 5.41) */
		if (cdb[1] & 0x04)
			return fail(sense, BL_ASC_INVALID_FIELD_IN_CDB);
		io->data_len = (uint64_t)io->blocks * lu->block_size;
		/* verifying what the medium holds only means something once it holds it */
		io->flags |= BL_IO_FUA;
		break;
	case OP_VERIFY_10:
	case OP_VERIFY_12:
	case OP_VERIFY_16:
		io->kind = BL_IO_VERIFY;
		/* BYTCHK (bits 2-1): 00b checks the medium only, which has nothing to check that
		 * a READ would not report (LIO's backstores answer GOOD too); 01b compares the
		 * data-out with it; 11b (one block for all) and 10b are refused as for WRITE AND
		 * VERIFY */
		if (cdb[1] & 0x04)
			return fail(sense, BL_ASC_INVALID_FIELD_IN_CDB);
		if (cdb[1] & 0x02) {
			io->flags |= BL_IO_BYTCHK;
			io->data_len = (uint64_t)io->blocks * lu->block_size;
		}
		break;
	case OP_WRITE_SAME_10:
	case OP_WRITE_SAME_16:
		io->kind = BL_IO_WRITE_SAME;
		/* ANCHOR needs ANC_SUP (not offered); PBDATA/LBDATA (bits 2-1) are obsolete;
		 * NDOB (WRITE SAME(16) bit 0) would come without the data block we require */
		if (cdb[1] & 0x16)
			return fail(sense, BL_ASC_INVALID_FIELD_IN_CDB);
		if (op == OP_WRITE_SAME_16 && (cdb[1] & 0x01))
			return fail(sense, BL_ASC_INVALID_FIELD_IN_CDB);
		/* WSNZ is set in the Block Limits page: zero blocks does not mean "to the end" */
		if (io->blocks == 0)
			return fail(sense, BL_ASC_INVALID_FIELD_IN_CDB);
		if (cdb[1] & 0x08)
			io->flags |= BL_IO_UNMAP;
		io->data_len = lu->block_size;
		break;
	case OP_COMPARE_AND_WRITE:
		io->kind = BL_IO_COMPARE_AND_WRITE;
		if (io->blocks > BL_MAX_COMPARE_AND_WRITE)
			return fail(sense, BL_ASC_INVALID_FIELD_IN_CDB);
		if (cdb[1] & 0x08)
			io->flags |= BL_IO_FUA;
		io->data_len = 2ull * io->blocks * lu->block_size;
		break;
	}
	if (protect)
		return fail(sense, BL_ASC_INVALID_FIELD_IN_CDB);
	/* the range check comes after the field checks, as in LIO's sbc_parse_cdb(): a command
	 * that is malformed is malformed wherever it points */
	if (io->lba > lu->num_lbas || io->blocks > lu->num_lbas - io->lba)
		return fail(sense, BL_ASC_LBA_OUT_OF_RANGE);
	return 0;
}

int bl_scsi_check_data_out(const struct bl_io *io, uint64_t len, struct bl_sense *sense)
{
	if (len == io->data_len)
		return 0;
	/* COMPARE AND WRITE counts blocks in one byte: an initiator that wants 256 or more wraps
	 * the count (256 becomes 0, a no-op) and sends the data anyway. The field that is wrong
	 * is the CDB's, and the answer is the one for a count beyond the maximum. */
	if (io->kind == BL_IO_COMPARE_AND_WRITE)
		return fail(sense, BL_ASC_INVALID_FIELD_IN_CDB);
	return fail(sense, BL_ASC_INVALID_FIELD_IN_CMD_IU);
}

int bl_scsi_verify_compare(const uint8_t *medium, const uint8_t *data, size_t len, uint64_t base,
			   struct bl_sense *sense)
{
	for (size_t i = 0; i < len; i++)
		if (medium[i] != data[i]) {
			*sense = (struct bl_sense){
				.key = BL_SK_MISCOMPARE,
				.asc_ascq = BL_ASC_MISCOMPARE_DURING_VERIFY,
				.info_valid = true,
				.info = (uint32_t)(base + i),
			};
			return -EINVAL;
		}
	return 0;
}

/* ---- INQUIRY ---- */

static bool hex_digit(char c, uint8_t *v)
{
	if (c >= '0' && c <= '9')
		*v = (uint8_t)(c - '0');
	else if (c >= 'a' && c <= 'f')
		*v = (uint8_t)(c - 'a' + 10);
	else if (c >= 'A' && c <= 'F')
		*v = (uint8_t)(c - 'A' + 10);
	else
		return false;
	return true;
}

/* The NAA IEEE Registered Extended designator LIO derives from the unit serial: NAA 6, the
 * OpenFabrics company ID 00-14-05, then the serial's hex digits, one nibble each. LIO's own
 * backstores and tcmu-runner compute the same 16 bytes, so a client keeps its disk identity. */
static void naa_from_serial(const char *serial, uint8_t naa[16])
{
	unsigned nib = 7; /* nibble index: 0x6 0x00140 5 are nibbles 0-6 */
	uint8_t v;

	memset(naa, 0, 16);
	naa[0] = 0x60;
	naa[1] = 0x01;
	naa[2] = 0x40;
	naa[3] = 0x50;
	for (const char *p = serial; *p && nib < 32; p++) {
		if (!hex_digit(*p, &v))
			continue;
		naa[nib / 2] |= (nib % 2) ? v : (uint8_t)(v << 4);
		nib++;
	}
}

static size_t put_str(uint8_t *p, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	memcpy(p, s, n);
	return n;
}

/* Builds into b (BL_SCSI_RESPONSE_MAX bytes, zeroed); returns the length. */
static int inquiry(const uint8_t *cdb, const struct bl_lu *lu, uint8_t *b, struct bl_sense *sense)
{
	const char *serial = lu->serial ? lu->serial : "";
	size_t n;

	if (!(cdb[1] & 0x01)) {
		if (cdb[2])
			return fail(sense, BL_ASC_INVALID_FIELD_IN_CDB);
		b[2] = 0x06;          /* SPC-4 */
		b[3] = 0x02;          /* response data format 2 */
		/* 3PC: EXTENDED COPY is accepted (tcmu-runner's copy manager, LIST ID USAGE 11b), as
		 * tcmu-runner said before. No TPGS: one path, no ALUA to report. */
		b[5] = 0x08;
		b[7] = 0x02;          /* CmdQue */
		memcpy(b + 8, BL_VENDOR, 8);
		memcpy(b + 16, BL_PRODUCT, 16);
		memcpy(b + 32, BL_REVISION, 4);
		/* version descriptors: SAM-5, SPC-4, SBC-3 (initiators and test suites read the
		 * SBC-3 one as "READ CAPACITY(16), Block Limits etc. are there") */
		put16(b + 58, 0x00a0);
		put16(b + 60, 0x0460);
		put16(b + 62, 0x04c0);
		b[4] = 74 - 5;        /* all eight descriptor slots, the unused ones zero */
		return 74;
	}

	b[1] = cdb[2];
	switch (cdb[2]) {
	case 0x00: { /* supported VPD pages, ascending */
		static const uint8_t pages[] = {0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2};
		memcpy(b + 4, pages, sizeof pages);
		n = 4 + sizeof pages;
		break;
	}
	case 0x80: /* unit serial number */
		n = 4 + put_str(b + 4, serial, 254);
		break;
	case 0x83: { /* device identification */
		uint8_t *d = b + 4;
		/* T10 vendor ID: "LIO-ORG " + serial, ASCII, associated with the LU */
		d[0] = 0x02;
		d[1] = 0x01;
		d[3] = (uint8_t)(8 + put_str(d + 12, serial, 200));
		memcpy(d + 4, BL_VENDOR, 8);
		d += 4 + d[3];
		/* NAA, binary. (tcmu-runner also listed its config string here, i.e. the overlay's
		 * path on the server: clients have no business knowing it.) */
		d[0] = 0x01;
		d[1] = 0x03;
		d[3] = 16;
		naa_from_serial(serial, d + 4);
		d += 4 + 16;
		n = (size_t)(d - b);
		break;
	}
	case 0xb0: /* Block Limits */
		b[4] = 0x01; /* WSNZ */
		b[5] = BL_MAX_COMPARE_AND_WRITE;
		/* writes below a cluster cost a copy-up: the cluster is the optimal granularity */
		put16(b + 6, (uint16_t)(lu->unmap_granularity > 0xffff ? 0 : lu->unmap_granularity));
		put32(b + 8, lu->max_xfer_blocks);
		put32(b + 12, lu->max_xfer_blocks);
		put32(b + 20, lu->max_unmap_blocks);
		/* tcmu-runner's UNMAP, which does the work, takes at most 4 descriptors */
		put32(b + 24, 4);
		put32(b + 28, lu->unmap_granularity);
		put32(b + 32, 0x80000000u); /* UGAVALID, alignment 0: clusters start at LBA 0 */
		put64(b + 36, 0xffffffffu); /* MAXIMUM WRITE SAME LENGTH */
		n = 64;
		break;
	case 0xb1: /* Block Device Characteristics */
		put16(b + 4, 0x0001); /* non-rotating medium */
		n = 64;
		break;
	case 0xb2: /* Logical Block Provisioning */
		/* LBPU, LBPWS, LBPWS10; LBPRZ: unmapped blocks read as zeros */
		b[5] = 0x80 | 0x40 | 0x20 | 0x04;
		b[6] = 0x02; /* thin provisioned */
		n = 8;
		break;
	default:
		return fail(sense, BL_ASC_INVALID_FIELD_IN_CDB);
	}
	put16(b + 2, (uint16_t)(n - 4));
	return (int)n;
}

/* ---- MODE SENSE ---- */

/* One mode page (page code, page length, then the current values); with changeable (PC=1)
 * only the header: nothing can be changed. Returns the page's size. */
static size_t mode_page(uint8_t page, bool changeable, const struct bl_lu *lu, uint8_t *p)
{
	switch (page) {
	case 0x01: /* read-write error recovery: all defaults */
		p[0] = 0x01;
		p[1] = 0x0a;
		return 12;
	case 0x08: /* caching */
		p[0] = 0x08;
		p[1] = 0x12;
		if (!changeable && lu->write_cache)
			p[2] = 0x04; /* WCE */
		return 20;
	case 0x0a: /* control */
		p[0] = 0x0a;
		p[1] = 0x0a;
		if (changeable)
			return 12;
		p[2] = 0x02; /* GLTSD; D_SENSE 0: fixed-format sense, which is what we send */
		p[3] = 0x10; /* QUEUE ALGORITHM MODIFIER 1: unrestricted reordering */
		p[5] = 0x40; /* TAS */
		put16(p + 8, 0xffff); /* BUSY TIMEOUT PERIOD: unlimited */
		return 12;
	case 0x1c: /* informational exceptions control: none reported */
		p[0] = 0x1c;
		p[1] = 0x0a;
		return 12;
	}
	return 0;
}

static int mode_sense(const uint8_t *cdb, const struct bl_lu *lu, uint8_t *b,
		      struct bl_sense *sense)
{
	static const uint8_t pages[] = {0x01, 0x08, 0x0a, 0x1c};
	bool ten = cdb[0] == OP_MODE_SENSE_10;
	bool dbd = cdb[1] & 0x08;
	bool llba = ten && (cdb[1] & 0x10);
	bool changeable = (cdb[2] >> 6) == 1;
	uint8_t page = cdb[2] & 0x3f, subpage = cdb[3];
	size_t hdr = ten ? 8 : 4, n = hdr;

	/* device-specific parameter: DPOFUA (FUA writes are flushed; DPO is only a hint) */
	b[ten ? 3 : 2] = 0x10;
	if (!dbd) {
		uint8_t *d = b + hdr;
		if (llba) {
			b[4] = 0x01; /* LONGLBA */
			put64(d, lu->num_lbas);
			put32(d + 12, lu->block_size);
			n += 16;
		} else {
			put32(d, lu->num_lbas > 0xffffffffu ? 0xffffffffu : (uint32_t)lu->num_lbas);
			put32(d + 4, lu->block_size & 0xffffff);
			n += 8;
		}
		if (ten)
			put16(b + 6, (uint16_t)(n - hdr));
		else
			b[3] = (uint8_t)(n - hdr);
	}
	if (page == 0x3f) {
		/* all pages: subpage 00h (pages without subpages) or FFh (and all subpages);
		 * we have no subpages, so both list the same */
		if (subpage != 0x00 && subpage != 0xff)
			return fail(sense, BL_ASC_INVALID_FIELD_IN_CDB);
		for (size_t i = 0; i < sizeof pages; i++)
			n += mode_page(pages[i], changeable, lu, b + n);
	} else {
		size_t k = subpage ? 0 : mode_page(page, changeable, lu, b + n);
		if (!k)
			return fail(sense, BL_ASC_INVALID_FIELD_IN_CDB);
		n += k;
	}
	if (ten)
		put16(b, (uint16_t)(n - 2));
	else
		b[0] = (uint8_t)(n - 1);
	return (int)n;
}

/* ---- READ CAPACITY ---- */

static int read_capacity(const uint8_t *cdb, const struct bl_lu *lu, uint8_t *b)
{
	uint64_t last = lu->num_lbas ? lu->num_lbas - 1 : 0;

	if (cdb[0] == OP_READ_CAPACITY_10) {
		/* a LU too large for 32 bits says so, and the initiator asks READ CAPACITY(16) */
		put32(b, last > 0xffffffffu ? 0xffffffffu : (uint32_t)last);
		put32(b + 4, lu->block_size);
		return 8;
	}
	put64(b, last);
	put32(b + 8, lu->block_size);
	b[14] = 0x80 | 0x40; /* LBPME (thin provisioned: UNMAP works), LBPRZ */
	return 32;
}

int bl_scsi_respond(const uint8_t *cdb, const struct bl_lu *lu, uint8_t *buf, size_t len,
		    struct bl_sense *sense)
{
	uint8_t b[BL_SCSI_RESPONSE_MAX];
	int n;

	memset(b, 0, sizeof b);
	switch (cdb[0]) {
	case OP_INQUIRY:
		n = inquiry(cdb, lu, b, sense);
		break;
	case OP_MODE_SENSE_6:
	case OP_MODE_SENSE_10:
		n = mode_sense(cdb, lu, b, sense);
		break;
	case OP_READ_CAPACITY_10:
		n = read_capacity(cdb, lu, b);
		break;
	case OP_SERVICE_ACTION_IN_16:
		if ((cdb[1] & 0x1f) != SAI_READ_CAPACITY_16)
			return -ENOENT;
		n = read_capacity(cdb, lu, b);
		break;
	default:
		return -ENOENT;
	}
	if (n > 0)
		memcpy(buf, b, (size_t)n < len ? (size_t)n : len);
	return n;
}

uint32_t bl_scsi_alloc_len(const uint8_t *cdb)
{
	switch (cdb[0]) {
	case OP_INQUIRY:
		return be16(cdb + 3);
	case OP_MODE_SENSE_6:
		return cdb[4];
	case OP_MODE_SENSE_10:
		return be16(cdb + 7);
	case OP_READ_CAPACITY_10:
		return 8; /* no allocation length: the response is always 8 bytes */
	case OP_SERVICE_ACTION_IN_16:
		return be32(cdb + 10);
	}
	return 0;
}

/* ---- EXTENDED COPY ---- */

/* Length of a target descriptor (type codes E0h-E9h are 32 bytes, EAh-EBh 64; SPC-4 6.4.5)
 * or a segment descriptor (its own length field plus the 4-byte header; SPC-4 6.4.6). */
static bool is_target_desc(uint8_t type) { return type >= 0xe0; }

int bl_scsi_check_xcopy(const uint8_t *par, size_t len, struct bl_sense *sense)
{
	/* no parameter list: nothing to copy, which is not an error (SPC-4 6.4.1) */
	if (len == 0)
		return 0;
	if (len < 16)
		return fail(sense, BL_ASC_PARAM_LIST_LENGTH_ERROR);
	uint32_t tdll = be16(par + 2), sdll = be32(par + 8), inline_len = be32(par + 12);
	/* the descriptor lists must fit in what was sent... */
	if ((uint64_t)16 + tdll + sdll + inline_len > len)
		return fail(sense, BL_ASC_PARAM_LIST_LENGTH_ERROR);
	/* ...and in what the copy manager said it accepts (RECEIVE COPY RESULTS) */
	if ((uint64_t)tdll + sdll > BL_XCOPY_MAX_DESC_LIST_LEN)
		return fail(sense, BL_ASC_PARAM_LIST_LENGTH_ERROR);
	if (tdll % 32)
		return fail(sense, BL_ASC_PARAM_LIST_LENGTH_ERROR);
	if (tdll / 32 > BL_XCOPY_MAX_TARGET_DESCS)
		return fail(sense, BL_ASC_TOO_MANY_TARGET_DESCRIPTORS);

	/* target descriptors: only the identification descriptor (E4h) is implemented */
	for (uint32_t off = 16; off < 16 + tdll; off += 32) {
		if (!is_target_desc(par[off]) || par[off] != 0xe4)
			return fail(sense, BL_ASC_UNSUPPORTED_TARGET_DESCRIPTOR);
	}
	/* segment descriptors: only block to block (02h) */
	unsigned nseg = 0;
	for (uint64_t off = 16 + (uint64_t)tdll; off < 16 + (uint64_t)tdll + sdll;) {
		if (off + 4 > 16 + (uint64_t)tdll + sdll)
			return fail(sense, BL_ASC_PARAM_LIST_LENGTH_ERROR);
		if (++nseg > BL_XCOPY_MAX_SEGMENT_DESCS)
			return fail(sense, BL_ASC_TOO_MANY_SEGMENT_DESCRIPTORS);
		if (par[off] != 0x02)
			return fail(sense, BL_ASC_UNSUPPORTED_SEGMENT_DESCRIPTOR);
		off += 4 + (uint64_t)be16(par + off + 2);
	}
	return 0;
}
