/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * scsi-emul: the SCSI block-device rules of handler_bootlink.so as pure functions: CDB checks
 * and the data-in responses the handler answers itself (INQUIRY, MODE SENSE, READ CAPACITY).
 * No TCMU, no I/O, no engine, so every rule has a unit test (tests/unit/test-scsi-emul.c).
 *
 * Why the handler has its own rules: tcmu-runner 1.5.4's generic SCSI emulation, which every
 * handler inherits, answers a number of commands differently from LIO's own block backstores
 * (doc/handler.md, "Conformance"): it accepts protection-information fields it cannot honour,
 * never advertises DPO/FUA, leaves stale ring memory in the padding of INQUIRY data, claims no
 * SBC-3, unmaps WRITE SAME data that is not zeros. The handler's handle_cmd sees every CDB
 * first: it refuses what is malformed, answers the emulated commands from here and passes only
 * well-formed I/O on to tcmu-runner's generic path and the engine.
 *
 * Conventions: a function returns 0 or a non-negative length when the command is fine, or
 * -EINVAL with *sense set to the CHECK CONDITION to report; -ENOENT means "not one of mine".
 */
#ifndef BL_SCSI_EMUL_H
#define BL_SCSI_EMUL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sense keys and additional sense codes (ASC << 8 | ASCQ) the handler reports. */
enum {
	BL_SK_ILLEGAL_REQUEST = 0x05,
	BL_SK_DATA_PROTECT = 0x07,
	BL_SK_MISCOMPARE = 0x0e,
};
enum {
	BL_ASC_PARAM_LIST_LENGTH_ERROR = 0x1a00,
	BL_ASC_INVALID_OPCODE = 0x2000,
	BL_ASC_LBA_OUT_OF_RANGE = 0x2100,
	BL_ASC_INVALID_FIELD_IN_CDB = 0x2400,
	BL_ASC_INVALID_FIELD_IN_PARAM_LIST = 0x2600,
	BL_ASC_TOO_MANY_TARGET_DESCRIPTORS = 0x2606,
	BL_ASC_UNSUPPORTED_TARGET_DESCRIPTOR = 0x2607,
	BL_ASC_TOO_MANY_SEGMENT_DESCRIPTORS = 0x2608,
	BL_ASC_UNSUPPORTED_SEGMENT_DESCRIPTOR = 0x2609,
	BL_ASC_SAVING_PARAMS_UNSUPPORTED = 0x3900,
	BL_ASC_MISCOMPARE_DURING_VERIFY = 0x1d00,
	/* what LIO answers when the iSCSI expected length of a WRITE differs from its CDB */
	BL_ASC_INVALID_FIELD_IN_CMD_IU = 0x0e03,
};

struct bl_sense {
	uint8_t key;
	uint16_t asc_ascq;
	bool info_valid; /* INFORMATION holds `info` (MISCOMPARE: offset of the first difference) */
	uint32_t info;
};

/* The sense as fixed-format sense data (18 bytes; buf must hold them). */
void bl_scsi_sense_bytes(const struct bl_sense *s, uint8_t buf[18]);

/* What the emulation needs to know about the logical unit. */
struct bl_lu {
	uint64_t num_lbas;
	uint32_t block_size;
	uint32_t unmap_granularity; /* blocks (the overlay's cluster) */
	uint32_t max_unmap_blocks;
	uint32_t max_xfer_blocks;   /* 0: no limit reported */
	bool write_cache;           /* advertise WCE: SYNCHRONIZE CACHE makes writes durable */
	const char *serial;         /* LIO's unit serial (configfs wwn/vpd_unit_serial), or "" */
};

/* ---- block I/O commands: checked here, executed by the handler ---- */

enum bl_io_kind {
	BL_IO_READ,
	BL_IO_WRITE,
	BL_IO_WRITE_VERIFY,
	BL_IO_WRITE_SAME,
	BL_IO_COMPARE_AND_WRITE,
	BL_IO_VERIFY,
};
#define BL_IO_FUA 0x1u    /* the data must be durable before GOOD (FUA, or WRITE AND VERIFY) */
#define BL_IO_UNMAP 0x2u  /* WRITE SAME with the UNMAP bit */
#define BL_IO_BYTCHK 0x4u /* VERIFY: compare the data-out with the medium */

struct bl_io {
	enum bl_io_kind kind;
	uint64_t lba;
	uint32_t blocks;   /* logical blocks the command covers */
	uint64_t data_len; /* bytes of data the CDB itself implies (in for READ, out otherwise) */
	unsigned flags;    /* BL_IO_* */
};

/* Checks a READ/WRITE (6/10/12/16), WRITE AND VERIFY (10/16), WRITE SAME (10/16), COMPARE AND
 * WRITE or VERIFY (10/12/16) against the logical unit and fills *io. -ENOENT for any other
 * opcode, including WRITE AND VERIFY(12), which tcmu-runner does not implement: it stays
 * unsupported. */
int bl_scsi_parse_io(const uint8_t *cdb, const struct bl_lu *lu, struct bl_io *io,
		     struct bl_sense *sense);

/* Checks the length of a data-out command's data (the iSCSI expected length) against what its
 * CDB implies. LIO's backstores refuse a mismatch rather than guess which of the two the
 * initiator meant; 0 when they agree. */
int bl_scsi_check_data_out(const struct bl_io *io, uint64_t len, struct bl_sense *sense);

/* VERIFY with BYTCHK: 0 when `len` bytes of the medium equal the data-out, else -EINVAL with a
 * MISCOMPARE sense whose INFORMATION is the offset of the first difference from the start of
 * the data-out (the bytes compared start at offset `base` of it). */
int bl_scsi_verify_compare(const uint8_t *medium, const uint8_t *data, size_t len, uint64_t base,
			   struct bl_sense *sense);

/* COMPARE AND WRITE is limited to this many blocks (Block Limits VPD; tcmu-runner 1.5.4's
 * implementation, which does the work, handles one). */
#define BL_MAX_COMPARE_AND_WRITE 1u

/* ---- commands answered with data (data-in) ---- */

/* INQUIRY, MODE SENSE (6/10), READ CAPACITY (10/16): writes the whole response (at most
 * `len` bytes of it) to buf and returns its full length, which may exceed both `len` and the
 * CDB's allocation length. -ENOENT for any other opcode. */
int bl_scsi_respond(const uint8_t *cdb, const struct bl_lu *lu, uint8_t *buf, size_t len,
		    struct bl_sense *sense);
/* The ALLOCATION LENGTH field of a CDB bl_scsi_respond() answers. */
uint32_t bl_scsi_alloc_len(const uint8_t *cdb);
/* Largest response bl_scsi_respond() builds. */
#define BL_SCSI_RESPONSE_MAX 512

/* ---- EXTENDED COPY ---- */

/* The limits tcmu-runner 1.5.4 reports in RECEIVE COPY RESULTS (OPERATING PARAMETERS) and
 * therefore the ones its EXTENDED COPY must be checked against. */
#define BL_XCOPY_MAX_TARGET_DESCS 2u
#define BL_XCOPY_MAX_SEGMENT_DESCS 1u
#define BL_XCOPY_MAX_DESC_LIST_LEN 1024u

/* Checks the framing of an EXTENDED COPY (LID1) parameter list of `len` bytes (the CDB's
 * PARAMETER LIST LENGTH): lengths, descriptor counts and descriptor types, the checks LIO's own
 * copy manager makes before it looks at the copy itself. 0 when the list may go on to
 * tcmu-runner's copy manager. */
int bl_scsi_check_xcopy(const uint8_t *par, size_t len, struct bl_sense *sense);

#endif
