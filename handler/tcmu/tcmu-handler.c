/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * handler_bootlink.so: serves a bootlink copy-on-write chain as a TCMU device in tcmu-runner.
 *
 * Where the time goes (measured in the guest before this was written): at 4 KiB the cost of a
 * TCMU command is per command — ring wake-ups and thread hand-offs — not per byte. So READs are
 * answered in handle_cmd, in the device's command thread, when the engine can serve them without
 * blocking (every byte in the page cache, no busy lock); the status goes straight back to
 * tcmu-runner, which completes such commands in batches with one kernel wake-up. Everything that
 * may block (a cache miss, a write, a flush, an unmap) falls through to tcmu-runner's generic SCSI
 * path and its worker threads (nr_threads), so a queue depth above one gives real parallelism.
 *
 * handle_cmd also sees every other CDB first. It applies the SBC rules of scsi-emul.h (protection
 * fields, LBA range, lengths, WRITE SAME flags, EXTENDED COPY framing), answers INQUIRY, MODE
 * SENSE and READ CAPACITY itself, zero-filling what a response leaves of the buffer and reporting
 * the rest as a residual (tcmu-ring.h), and hands only well-formed commands on: tcmu-runner
 * 1.5.4's own emulation got these wrong (doc/handler.md, Conformance).
 *
 * Crash guarantees are the engine's (doc/FORMAT.md): a SYNCHRONIZE CACHE is answered only after
 * blc_flush() made every acknowledged write durable, so the write cache is advertised as enabled;
 * a FUA write is flushed before GOOD. A full overlay filesystem answers DATA PROTECT / SPACE
 * ALLOCATION FAILED WRITE PROTECT (the thin-provisioning sense) and leaves the overlay
 * consistent; writes work again once space is freed. Unmapped blocks read back as zeros (LBPRZ).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blcow.h"
#include "devconfig.h"
#include "scsi-emul.h"
#include "tcmu-abi.h"
#include "tcmu-ring.h"

#define EXPORT __attribute__((visibility("default")))
#define dev_err(dev, ...) tcmu_err_message(dev, __func__, __LINE__, __VA_ARGS__)
#define dev_info(dev, ...) tcmu_info_message(dev, __func__, __LINE__, __VA_ARGS__)

/* Worker threads per device for commands that may block. Two cmdproc+worker sets per device
 * already exist in tcmu-runner; four workers keep a QD32 write load busy on 2-4 cores without
 * making 200 devices cost thousands of threads. */
#define BL_WORKERS 4
/* Largest UNMAP a client may send at once, in blocks (512 MiB at 512-byte blocks): initiators
 * and test suites read a larger MAXIMUM UNMAP LBA COUNT than 2^20 as a bogus value. */
#define BL_MAX_UNMAP_BLOCKS (1024u * 1024)
/* How long the command thread waits for older commands to complete before it answers a
 * data-in command with a residual (tcmu-ring.h). Only INQUIRY-type commands and READs whose
 * iSCSI length disagrees with their CDB get here, so the wait is rare and short. */
#define BL_RESIDUAL_WAIT_MS 1000

enum {
	SCSI_EXTENDED_COPY = 0x83,
	SCSI_RECEIVE_COPY_RESULTS = 0x84,
	SCSI_MAINTENANCE_IN = 0xa3,
};
enum { ASC_SPACE_ALLOC_FAILED_WP = 0x2707 };

struct bl_dev {
	struct blc_chain *chain;
	uint32_t block_size;
	uint64_t num_lbas;
	struct bl_lu lu;  /* what scsi-emul reports about the LU */
	char *serial;     /* lu.serial's storage */
	void *mailbox;    /* the ring, to report residuals (tcmu-ring.h); NULL: no residuals */
};

static bool bl_check_config(const char *cfgstring, char **reason)
{
	struct bl_devconfig cfg;
	struct blc_open_opts opts = {.flags = BLC_OPEN_RDONLY};
	struct blc_chain *c;
	char err[512];

	if (bl_devconfig_parse(cfgstring, &cfg, err, sizeof err) == 0) {
		opts.backing_override = cfg.backing[0] ? cfg.backing : NULL;
		if (blc_open(cfg.overlay, &opts, &c, err, sizeof err) == 0) {
			blc_close(c);
			return true;
		}
	}
	if (reason && asprintf(reason, "%s", err) < 0)
		*reason = NULL;
	return false;
}

static int bl_open(struct tcmu_device *dev, bool reopen)
{
	const char *cfgstring = tcmu_dev_get_cfgstring(dev);
	struct blc_open_opts opts = {0};
	struct bl_devconfig cfg;
	struct bl_dev *d;
	char err[512];
	int r;

	(void)reopen;
	r = bl_devconfig_parse(cfgstring, &cfg, err, sizeof err);
	if (r) {
		dev_err(dev, "bootlink: config '%s': %s\n", cfgstring, err);
		return r;
	}
	d = calloc(1, sizeof *d);
	if (!d)
		return -ENOMEM;
	opts.backing_override = cfg.backing[0] ? cfg.backing : NULL;
	r = blc_open(cfg.overlay, &opts, &d->chain, err, sizeof err);
	if (r) {
		dev_err(dev, "bootlink: %s\n", err);
		goto fail;
	}
	d->block_size = blc_block_size(d->chain);
	d->num_lbas = blc_size(d->chain) / d->block_size;

	/* LIO sized the device from dev_size and hw_block_size; a mismatch would make the client
	 * see a disk of the wrong shape, so it is refused rather than corrected. */
	uint32_t want_bs = tcmu_dev_get_block_size(dev);
	uint64_t want_bytes = tcmu_dev_get_num_lbas(dev) * want_bs;
	if (want_bs != d->block_size || want_bytes != blc_size(d->chain)) {
		dev_err(dev, "bootlink: overlay %s: the device was created with dev_size=%" PRIu64
			" hw_block_size=%u but the image is %" PRIu64 " bytes in %u-byte blocks\n",
			cfg.overlay, want_bytes, want_bs, blc_size(d->chain), d->block_size);
		r = -EINVAL;
		goto fail;
	}
	if (cfg.is_volatile) {
		r = blc_reset(d->chain);
		if (r) {
			blc_last_error(d->chain, err, sizeof err);
			dev_err(dev, "bootlink: overlay %s: volatile reset failed: %s\n", cfg.overlay, err);
			goto fail;
		}
	}

	/* the overlay frees space by sub-block (4 KiB by default), so an UNMAP of one gives it
	 * back; initiators round their UNMAPs to this granularity */
	uint32_t gran = blc_sub_block_size(d->chain) / d->block_size;
	/* LIO's unit serial, from which the VPD pages derive the LU's identifiers: the same
	 * ones LIO and tcmu-runner report, so clients keep recognising their disk */
	d->serial = tcmu_cfgfs_dev_get_wwn(dev);
	d->lu = (struct bl_lu){
		.num_lbas = d->num_lbas,
		.block_size = d->block_size,
		.unmap_granularity = gran,
		.max_unmap_blocks = BL_MAX_UNMAP_BLOCKS,
		.max_xfer_blocks = tcmu_dev_get_max_xfer_len(dev),
		.write_cache = true,
		.serial = d->serial ? d->serial : "",
	};
	char *map_name = tcmu_dev_get_memory_info(dev, &d->mailbox, NULL, NULL);
	if (!map_name)
		d->mailbox = NULL;
	free(map_name);
	tcmu_dev_set_block_size(dev, d->block_size);
	tcmu_dev_set_num_lbas(dev, d->num_lbas);
	tcmu_dev_set_write_cache_enabled(dev, true);
	tcmu_dev_set_solid_state_media(dev, true);
	tcmu_dev_set_unmap_enabled(dev, true);
	/* tcmu-runner divides by the alignment for WRITE SAME with UNMAP: it must not be 0. */
	tcmu_dev_set_opt_unmap_gran(dev, gran, false);
	tcmu_dev_set_unmap_gran_align(dev, gran);
	tcmu_dev_set_max_unmap_len(dev, BL_MAX_UNMAP_BLOCKS);
	tcmur_dev_set_private(dev, d);
	dev_info(dev, "bootlink: serving %s (%" PRIu64 " bytes, %u-byte blocks, %u-byte clusters%s)\n",
		 cfg.overlay, blc_size(d->chain), d->block_size, blc_cluster_size(d->chain),
		 cfg.is_volatile ? ", volatile" : "");
	return 0;
fail:
	if (d->chain)
		blc_close(d->chain);
	free(d->serial);
	free(d);
	return r;
}

static void bl_close(struct tcmu_device *dev)
{
	struct bl_dev *d = tcmur_dev_get_private(dev);

	if (!d)
		return;
	/* Clients flush what they need durable; a clean close still leaves nothing half-written. */
	blc_flush(d->chain);
	blc_close(d->chain);
	tcmur_dev_set_private(dev, NULL);
	free(d->serial);
	free(d);
}

/* ---- iovec helpers (the ring's buffers; never modified, unlike libtcmu's helpers) ---- */

/* Copies len bytes of src into the iovec at byte offset off (truncated at its end). */
static void iov_copy_in(const struct iovec *iov, size_t cnt, size_t off, const void *src,
			size_t len)
{
	const char *p = src;

	for (size_t i = 0; i < cnt && len; i++) {
		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		size_t k = iov[i].iov_len - off < len ? iov[i].iov_len - off : len;
		memcpy((char *)iov[i].iov_base + off, p, k);
		p += k;
		len -= k;
		off = 0;
	}
}

/* Zeros the iovec from byte offset off to its end. The ring's data area is reused from
 * command to command: whatever a response does not cover would reach the initiator as
 * another command's stale data. */
static void iov_zero_from(const struct iovec *iov, size_t cnt, size_t off)
{
	for (size_t i = 0; i < cnt; i++) {
		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		memset((char *)iov[i].iov_base + off, 0, iov[i].iov_len - off);
		off = 0;
	}
}

/* Copies len bytes of the iovec from byte offset off into dst. */
static void iov_copy_out(const struct iovec *iov, size_t cnt, size_t off, void *dst, size_t len)
{
	char *p = dst;

	for (size_t i = 0; i < cnt && len; i++) {
		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		size_t k = iov[i].iov_len - off < len ? iov[i].iov_len - off : len;
		memcpy(p, (char *)iov[i].iov_base + off, k);
		p += k;
		len -= k;
		off = 0;
	}
}

/* The first len bytes of iov as a new iovec array in out (at most cnt entries); returns the
 * number of entries used. */
static size_t iov_head(const struct iovec *iov, size_t cnt, size_t len, struct iovec *out)
{
	size_t n = 0;

	for (size_t i = 0; i < cnt && len; i++) {
		out[n] = iov[i];
		if (out[n].iov_len > len)
			out[n].iov_len = len;
		len -= out[n].iov_len;
		n++;
	}
	return n;
}

/* ---- handle_cmd: every CDB comes here first (see scsi-emul.h for why) ---- */

static int sense(struct tcmulib_cmd *lc, const struct bl_sense *s)
{
	memset(lc->sense_buf, 0, sizeof lc->sense_buf);
	bl_scsi_sense_bytes(s, lc->sense_buf);
	return TCMU_STS_PASSTHROUGH_ERR;
}

/* Completes a data-in command that returns `len` bytes of the initiator's expected length:
 * the rest of the buffer is zeroed and, where the kernel takes it, reported as a residual. */
static void report_len(struct bl_dev *d, struct tcmulib_cmd *lc, size_t len, size_t expected)
{
	iov_zero_from(lc->iovec, lc->iov_cnt, len);
	/* read_len 0 means "not set" to the kernel: an empty response keeps its zeroed padding */
	if (len < expected && len > 0 && d->mailbox)
		bl_ring_set_read_len(d->mailbox, lc->cmd_id, (uint32_t)len, BL_RESIDUAL_WAIT_MS);
}

/* INQUIRY, MODE SENSE, READ CAPACITY from scsi-emul: false for any other command. */
static bool respond(struct bl_dev *d, struct tcmulib_cmd *lc, int *status)
{
	uint8_t buf[BL_SCSI_RESPONSE_MAX];
	struct bl_sense s;
	int n = bl_scsi_respond(lc->cdb, &d->lu, buf, sizeof buf, &s);

	if (n == -ENOENT)
		return false;
	if (n < 0) {
		*status = sense(lc, &s);
		return true;
	}
	size_t expected = tcmu_iovec_length(lc->iovec, lc->iov_cnt);
	size_t len = (size_t)n;
	if (len > bl_scsi_alloc_len(lc->cdb))
		len = bl_scsi_alloc_len(lc->cdb);
	if (len > expected)
		len = expected;
	iov_copy_in(lc->iovec, lc->iov_cnt, 0, buf, len);
	report_len(d, lc, len, expected);
	*status = TCMU_STS_OK;
	return true;
}

/* A READ whose iSCSI expected length differs from what its CDB asks for (LIO's backstores
 * transfer min(both) and report the difference as a residual). Rare, so it is done here,
 * blocking, rather than taught to the generic path, which refuses it ("iov len mismatch"). */
static int read_mismatched(struct tcmu_device *dev, struct bl_dev *d, struct tcmulib_cmd *lc,
			   const struct bl_io *io, size_t expected)
{
	uint64_t off = io->lba * d->block_size;
	size_t len = expected < io->data_len ? expected : (size_t)io->data_len;
	int r = 0;

	if (len == 0)
		return TCMU_STS_OK;
	if (len % d->block_size == 0) {
		struct iovec *v = calloc(lc->iov_cnt, sizeof *v);
		if (!v)
			return TCMU_STS_NO_RESOURCE;
		size_t n = iov_head(lc->iovec, lc->iov_cnt, len, v);
		r = blc_readv(d->chain, v, (int)n, off, 0);
		free(v);
	} else {
		/* a partial block: read the blocks that cover it, hand over the bytes asked for */
		size_t whole = (len + d->block_size - 1) / d->block_size * d->block_size;
		void *buf = malloc(whole);
		if (!buf)
			return TCMU_STS_NO_RESOURCE;
		struct iovec v = {buf, whole};
		r = blc_readv(d->chain, &v, 1, off, 0);
		if (r == 0)
			iov_copy_in(lc->iovec, lc->iov_cnt, 0, buf, len);
		free(buf);
	}
	if (r != 0) {
		char err[256];
		blc_last_error(d->chain, err, sizeof err);
		dev_err(dev, "bootlink: read at %" PRIu64 ": %s\n", off, err);
		return TCMU_STS_RD_ERR;
	}
	/* more expected than the CDB asked for: an underflow residual. Less: LIO would set an
	 * overflow residual, which TCMU cannot express; the initiator gets what it expected. */
	report_len(d, lc, len, expected);
	return TCMU_STS_OK;
}

/* VERIFY with BYTCHK: the data-out against the medium, 1 MiB at a time. tcmu-runner has no
 * VERIFY; it is rare (a disk check, chkdsk /r), so it is done here, in the command thread. */
static int verify(struct tcmu_device *dev, struct bl_dev *d, struct tcmulib_cmd *lc,
		  const struct bl_io *io)
{
	size_t chunk = io->data_len < (1u << 20) ? (size_t)io->data_len : (1u << 20);
	uint8_t *medium = malloc(chunk), *data = malloc(chunk);
	uint64_t start = io->lba * d->block_size;
	struct bl_sense s;
	int r = TCMU_STS_OK;

	if (!medium || !data) {
		r = TCMU_STS_NO_RESOURCE;
		goto out;
	}
	for (uint64_t off = 0; off < io->data_len; off += chunk) {
		size_t k = io->data_len - off < chunk ? (size_t)(io->data_len - off) : chunk;
		struct iovec v = {medium, k};
		if (blc_readv(d->chain, &v, 1, start + off, 0) != 0) {
			char err[256];
			blc_last_error(d->chain, err, sizeof err);
			dev_err(dev, "bootlink: verify at %" PRIu64 ": %s\n", start + off, err);
			r = TCMU_STS_RD_ERR;
			break;
		}
		iov_copy_out(lc->iovec, lc->iov_cnt, (size_t)off, data, k);
		if (bl_scsi_verify_compare(medium, data, k, off, &s)) {
			r = sense(lc, &s);
			break;
		}
	}
out:
	free(medium);
	free(data);
	return r;
}

static int handle_io(struct tcmu_device *dev, struct bl_dev *d, struct tcmulib_cmd *lc,
		     struct bl_io *io)
{
	size_t expected = tcmu_iovec_length(lc->iovec, lc->iov_cnt);

	if (io->kind == BL_IO_READ) {
		if (expected != io->data_len)
			return read_mismatched(dev, d, lc, io, expected);
		if (io->blocks == 0)
			return TCMU_STS_OK;
		/* The fast path: a READ served from the page cache in the command thread. A miss
		 * or an error goes to the generic path and its worker threads. */
		if (blc_readv(d->chain, lc->iovec, (int)lc->iov_cnt, io->lba * d->block_size,
			      BLC_NOWAIT) == 0)
			return TCMU_STS_OK;
		return TCMU_STS_NOT_HANDLED;
	}
	struct bl_sense s;
	if (bl_scsi_check_data_out(io, expected, &s))
		return sense(lc, &s);
	/* zero blocks: nothing to transfer, which SBC-3 does not count as an error */
	if (io->blocks == 0)
		return TCMU_STS_OK;
	if (io->kind == BL_IO_VERIFY)
		return (io->flags & BL_IO_BYTCHK) ? verify(dev, d, lc, io) : TCMU_STS_OK;
	/* tcmu-runner turns an aligned WRITE SAME with UNMAP into an UNMAP whatever the data
	 * block holds; our writesame callout deallocates only when the block is zeros and writes
	 * the pattern otherwise, so the generic path gets the command without the bit. */
	if (io->kind == BL_IO_WRITE_SAME)
		lc->cdb[1] &= (uint8_t)~0x08;
	return TCMU_STS_NOT_HANDLED;
}

/* EXTENDED COPY: the framing checks LIO's copy manager makes (scsi-emul), then tcmu-runner's
 * copy manager, whose own checks start with the list ID and answer everything with INVALID
 * FIELD IN PARAMETER LIST. */
static int handle_xcopy(struct tcmulib_cmd *lc)
{
	uint32_t len = (uint32_t)lc->cdb[10] << 24 | (uint32_t)lc->cdb[11] << 16 |
		       (uint32_t)lc->cdb[12] << 8 | lc->cdb[13];
	size_t got = tcmu_iovec_length(lc->iovec, lc->iov_cnt);
	struct bl_sense s;

	/* other service actions than LID1 are tcmu-runner's to refuse */
	if (lc->cdb[1] & 0x1f)
		return TCMU_STS_NOT_HANDLED;
	if (len == 0)
		return TCMU_STS_OK;
	if (got < len) {
		s = (struct bl_sense){.key = BL_SK_ILLEGAL_REQUEST,
				      .asc_ascq = BL_ASC_PARAM_LIST_LENGTH_ERROR};
		return sense(lc, &s);
	}
	uint8_t *par = malloc(len);
	if (!par)
		return TCMU_STS_NO_RESOURCE;
	size_t off = 0;
	for (size_t i = 0; i < lc->iov_cnt && off < len; i++) {
		size_t k = lc->iovec[i].iov_len < len - off ? lc->iovec[i].iov_len : len - off;
		memcpy(par + off, lc->iovec[i].iov_base, k);
		off += k;
	}
	int r = bl_scsi_check_xcopy(par, len, &s);
	free(par);
	return r ? sense(lc, &s) : TCMU_STS_NOT_HANDLED;
}

static int bl_handle_cmd(struct tcmu_device *dev, struct tcmur_cmd *cmd)
{
	struct tcmulib_cmd *lc = cmd->lib_cmd;
	struct bl_dev *d = tcmur_dev_get_private(dev);
	struct bl_sense s;
	struct bl_io io;
	int r;

	r = bl_scsi_parse_io(lc->cdb, &d->lu, &io, &s);
	if (r == 0)
		return handle_io(dev, d, lc, &io);
	if (r != -ENOENT)
		return sense(lc, &s);
	if (respond(d, lc, &r))
		return r;
	switch (lc->cdb[0]) {
	case SCSI_EXTENDED_COPY:
		return handle_xcopy(lc);
	case SCSI_RECEIVE_COPY_RESULTS:
	case SCSI_MAINTENANCE_IN:
		/* data-in commands tcmu-runner answers with fewer bytes than the buffer: clear
		 * the buffer so that its padding is not stale ring data */
		iov_zero_from(lc->iovec, lc->iov_cnt, 0);
		break;
	}
	return TCMU_STS_NOT_HANDLED;
}

static int bl_read(struct tcmu_device *dev, struct tcmur_cmd *cmd, struct iovec *iov,
		   size_t iov_cnt, size_t len, off_t off)
{
	struct bl_dev *d = tcmur_dev_get_private(dev);
	char err[256];

	(void)cmd;
	(void)len;
	int r = blc_readv(d->chain, iov, (int)iov_cnt, (uint64_t)off, 0);
	if (r == 0)
		return TCMU_STS_OK;
	blc_last_error(d->chain, err, sizeof err);
	dev_err(dev, "bootlink: read at %jd: %s\n", (intmax_t)off, err);
	return TCMU_STS_RD_ERR;
}

/* Map an engine write error to SCSI: out of space is the thin-provisioning condition, so
 * initiators that know it (Windows, Linux) pause or report "disk full" instead of medium error. */
static int write_status(struct tcmu_device *dev, struct tcmur_cmd *cmd, struct bl_dev *d, int r,
			const char *what, uint64_t off)
{
	char err[256];

	if (r == 0)
		return TCMU_STS_OK;
	blc_last_error(d->chain, err, sizeof err);
	dev_err(dev, "bootlink: %s at %" PRIu64 ": %s\n", what, off, err);
	if (r == -ENOSPC || r == -EDQUOT)
		return tcmu_sense_set_data(cmd->lib_cmd->sense_buf, BL_SK_DATA_PROTECT,
					   ASC_SPACE_ALLOC_FAILED_WP);
	return TCMU_STS_WR_ERR;
}

static int bl_write(struct tcmu_device *dev, struct tcmur_cmd *cmd, struct iovec *iov,
		    size_t iov_cnt, size_t len, off_t off)
{
	struct bl_dev *d = tcmur_dev_get_private(dev);
	struct bl_sense s;
	struct bl_io io;

	(void)len;
	int r = blc_writev(d->chain, iov, (int)iov_cnt, (uint64_t)off);
	/* FUA (and WRITE AND VERIFY, COMPARE AND WRITE with FUA): GOOD only once the data is
	 * durable. The engine flushes the whole overlay; FUA writes are rare enough for that. */
	if (r == 0 && bl_scsi_parse_io(cmd->lib_cmd->cdb, &d->lu, &io, &s) == 0 &&
	    (io.flags & BL_IO_FUA))
		r = blc_flush(d->chain);
	return write_status(dev, cmd, d, r, "write", (uint64_t)off);
}

static int bl_flush(struct tcmu_device *dev, struct tcmur_cmd *cmd)
{
	struct bl_dev *d = tcmur_dev_get_private(dev);

	return write_status(dev, cmd, d, blc_flush(d->chain), "flush", 0);
}

static int bl_unmap(struct tcmu_device *dev, struct tcmur_cmd *cmd, uint64_t off, uint64_t len)
{
	struct bl_dev *d = tcmur_dev_get_private(dev);

	return write_status(dev, cmd, d, blc_discard(d->chain, off, len), "unmap", off);
}

static bool all_zero(const struct iovec *iov, size_t iov_cnt)
{
	for (size_t i = 0; i < iov_cnt; i++) {
		const unsigned char *p = iov[i].iov_base;
		for (size_t j = 0; j < iov[i].iov_len; j++)
			if (p[j])
				return false;
	}
	return true;
}

/* WRITE SAME: zeros become a zero range in the engine (no data written); any other pattern is
 * written out in chunks of up to 1 MiB. */
static int bl_writesame(struct tcmu_device *dev, struct tcmur_cmd *cmd, uint64_t off, uint64_t len,
			struct iovec *iov, size_t iov_cnt)
{
	struct bl_dev *d = tcmur_dev_get_private(dev);
	uint32_t bs = d->block_size;

	if (all_zero(iov, iov_cnt))
		return write_status(dev, cmd, d, blc_write_zeroes(d->chain, off, len), "write same", off);

	size_t chunk = len < (1u << 20) ? (size_t)len : (1u << 20);
	unsigned char *buf = malloc(chunk);
	if (!buf)
		return TCMU_STS_NO_RESOURCE;
	size_t got = 0;
	for (size_t i = 0; i < iov_cnt && got < bs; i++) {
		size_t k = iov[i].iov_len < bs - got ? iov[i].iov_len : bs - got;
		memcpy(buf + got, iov[i].iov_base, k);
		got += k;
	}
	for (size_t o = bs; o < chunk; o += bs)
		memcpy(buf + o, buf, bs);
	int r = 0;
	for (uint64_t done = 0; done < len && r == 0;) {
		size_t k = len - done < chunk ? (size_t)(len - done) : chunk;
		struct iovec v = {buf, k};
		r = blc_writev(d->chain, &v, 1, off + done);
		done += k;
	}
	free(buf);
	return write_status(dev, cmd, d, r, "write same", off);
}

static struct tcmur_handler bootlink_handler = {
	.name = "bootlink copy-on-write overlay",
	.subtype = BL_DEVCONFIG_SUBTYPE,
	.cfg_desc = "OVERLAY[;volatile][;backing=PATH]: absolute path of a bootlink overlay "
		    "(bootlink-img create -b BASE OVERLAY); volatile drops its writes at every open",
	.check_config = bl_check_config,
	.open = bl_open,
	.close = bl_close,
	.nr_threads = BL_WORKERS,
	.handle_cmd = bl_handle_cmd,
	.read = bl_read,
	.write = bl_write,
	.flush = bl_flush,
	.unmap = bl_unmap,
	.writesame = bl_writesame,
};

EXPORT int handler_init(void)
{
	return tcmur_register_handler(&bootlink_handler);
}
