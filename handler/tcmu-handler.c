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
 * Crash guarantees are the engine's (doc/FORMAT.md): a SYNCHRONIZE CACHE is answered only after
 * blc_flush() made every acknowledged write durable, so the write cache is advertised as enabled.
 * A full overlay filesystem answers DATA PROTECT / SPACE ALLOCATION FAILED WRITE PROTECT (the
 * thin-provisioning sense) and leaves the overlay consistent; writes work again once space is
 * freed. Unmapped blocks read back as zeros (tcmu-runner reports LBPRZ=1).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blcow.h"
#include "cfgstring.h"
#include "tcmu-abi.h"

#define EXPORT __attribute__((visibility("default")))
#define dev_err(dev, ...) tcmu_err_message(dev, __func__, __LINE__, __VA_ARGS__)
#define dev_info(dev, ...) tcmu_info_message(dev, __func__, __LINE__, __VA_ARGS__)

/* Worker threads per device for commands that may block. Two cmdproc+worker sets per device
 * already exist in tcmu-runner; four workers keep a QD32 write load busy on 2-4 cores without
 * making 200 devices cost thousands of threads. */
#define BL_WORKERS 4
/* Largest UNMAP a client may send at once, in blocks (1 GiB at 512-byte blocks). */
#define BL_MAX_UNMAP_BLOCKS (2u * 1024 * 1024)

enum { SCSI_READ_6 = 0x08, SCSI_READ_10 = 0x28, SCSI_READ_12 = 0xa8, SCSI_READ_16 = 0x88 };
enum { SENSE_DATA_PROTECT = 0x07, ASC_SPACE_ALLOC_FAILED_WP = 0x2707 };

struct bl_dev {
	struct blc_chain *chain;
	uint32_t block_size;
	uint64_t num_lbas;
};

static bool bl_check_config(const char *cfgstring, char **reason)
{
	struct bl_cfg cfg;
	struct blc_open_opts opts = {.flags = BLC_OPEN_RDONLY};
	struct blc_chain *c;
	char err[512];

	if (bl_cfg_parse(cfgstring, &cfg, err, sizeof err) == 0) {
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
	struct bl_cfg cfg;
	struct bl_dev *d;
	char err[512];
	int r;

	(void)reopen;
	r = bl_cfg_parse(cfgstring, &cfg, err, sizeof err);
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

	uint32_t gran = blc_cluster_size(d->chain) / d->block_size;
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
	free(d);
}

/* The fast path: a READ served from the page cache in the command thread. Anything unusual
 * (out of range, odd buffers, a cache miss, an error) goes to the generic path, which checks
 * and reports it properly. */
static int bl_handle_cmd(struct tcmu_device *dev, struct tcmur_cmd *cmd)
{
	struct tcmulib_cmd *lc = cmd->lib_cmd;
	struct bl_dev *d = tcmur_dev_get_private(dev);
	uint8_t op = lc->cdb[0];

	if (op != SCSI_READ_10 && op != SCSI_READ_16 && op != SCSI_READ_12 && op != SCSI_READ_6)
		return TCMU_STS_NOT_HANDLED;
	uint64_t lba = tcmu_cdb_get_lba(lc->cdb);
	uint64_t n = tcmu_cdb_get_xfer_length(lc->cdb);
	if (n == 0 || lba >= d->num_lbas || n > d->num_lbas - lba ||
	    tcmu_iovec_length(lc->iovec, lc->iov_cnt) != n * d->block_size)
		return TCMU_STS_NOT_HANDLED;
	if (blc_readv(d->chain, lc->iovec, (int)lc->iov_cnt, lba * d->block_size, BLC_NOWAIT) != 0)
		return TCMU_STS_NOT_HANDLED;
	return TCMU_STS_OK;
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
		return tcmu_sense_set_data(cmd->lib_cmd->sense_buf, SENSE_DATA_PROTECT,
					   ASC_SPACE_ALLOC_FAILED_WP);
	return TCMU_STS_WR_ERR;
}

static int bl_write(struct tcmu_device *dev, struct tcmur_cmd *cmd, struct iovec *iov,
		    size_t iov_cnt, size_t len, off_t off)
{
	struct bl_dev *d = tcmur_dev_get_private(dev);

	(void)len;
	return write_status(dev, cmd, d, blc_writev(d->chain, iov, (int)iov_cnt, (uint64_t)off),
			    "write", (uint64_t)off);
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
	.subtype = BL_HANDLER_SUBTYPE,
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
