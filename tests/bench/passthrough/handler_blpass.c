/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * handler_blpass.so: the benchmark ceiling for a TCMU handler in this guest (tests/bench only,
 * never installed). A bare passthrough to a raw file: config string `blpass/PATH`.
 * READs are answered in handle_cmd, in tcmu-runner's command thread, with one preadv and the
 * status returned straight back (so tcmu-runner completes them in batches); every other command
 * goes through tcmu-runner's generic SCSI path to nr_threads = 4 workers. No copy-on-write, no
 * checks beyond what keeps the benchmark honest: whatever bootlink does costs at least this.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tcmu-abi.h"

#define EXPORT __attribute__((visibility("default")))

enum { SCSI_READ_6 = 0x08, SCSI_READ_10 = 0x28, SCSI_READ_12 = 0xa8, SCSI_READ_16 = 0x88 };

struct pass_dev {
	int fd;
	uint32_t block_size;
	uint64_t num_lbas;
};

static const char *path_of(const char *cfgstring)
{
	const char *slash = strchr(cfgstring, '/');
	/* tcmu-runner may hand over "blpass/PATH" or just "PATH" (absolute either way). */
	return slash && slash != cfgstring ? slash : cfgstring;
}

static bool pass_check_config(const char *cfgstring, char **reason)
{
	const char *path = path_of(cfgstring);

	if (access(path, R_OK | W_OK) == 0)
		return true;
	if (asprintf(reason, "blpass: %s: %s", path, strerror(errno)) < 0)
		*reason = NULL;
	return false;
}

static int pass_open(struct tcmu_device *dev, bool reopen)
{
	const char *path = path_of(tcmu_dev_get_cfgstring(dev));
	struct pass_dev *p = calloc(1, sizeof *p);
	struct stat st;

	(void)reopen;
	if (!p)
		return -ENOMEM;
	p->fd = open(path, O_RDWR | O_CLOEXEC);
	if (p->fd < 0 || fstat(p->fd, &st) != 0) {
		int r = -errno;
		tcmu_err_message(dev, __func__, __LINE__, "blpass: %s: %s\n", path, strerror(errno));
		if (p->fd >= 0)
			close(p->fd);
		free(p);
		return r;
	}
	p->block_size = tcmu_dev_get_block_size(dev);
	p->num_lbas = (uint64_t)st.st_size / p->block_size;
	tcmu_dev_set_num_lbas(dev, p->num_lbas);
	tcmu_dev_set_write_cache_enabled(dev, true);
	tcmur_dev_set_private(dev, p);
	return 0;
}

static void pass_close(struct tcmu_device *dev)
{
	struct pass_dev *p = tcmur_dev_get_private(dev);

	close(p->fd);
	free(p);
}

static int pass_handle_cmd(struct tcmu_device *dev, struct tcmur_cmd *cmd)
{
	struct tcmulib_cmd *lc = cmd->lib_cmd;
	struct pass_dev *p = tcmur_dev_get_private(dev);
	uint8_t op = lc->cdb[0];

	if (op != SCSI_READ_10 && op != SCSI_READ_16 && op != SCSI_READ_12 && op != SCSI_READ_6)
		return TCMU_STS_NOT_HANDLED;
	uint64_t lba = tcmu_cdb_get_lba(lc->cdb), n = tcmu_cdb_get_xfer_length(lc->cdb);
	if (lba >= p->num_lbas || n > p->num_lbas - lba)
		return TCMU_STS_NOT_HANDLED; /* the generic path reports the range error */
	size_t len = tcmu_iovec_length(lc->iovec, lc->iov_cnt);
	ssize_t got = preadv(p->fd, lc->iovec, (int)lc->iov_cnt, (off_t)(lba * p->block_size));
	return got == (ssize_t)len ? TCMU_STS_OK : TCMU_STS_RD_ERR;
}

static int pass_read(struct tcmu_device *dev, struct tcmur_cmd *cmd, struct iovec *iov,
		     size_t iov_cnt, size_t len, off_t off)
{
	struct pass_dev *p = tcmur_dev_get_private(dev);

	(void)cmd;
	return preadv(p->fd, iov, (int)iov_cnt, off) == (ssize_t)len ? TCMU_STS_OK : TCMU_STS_RD_ERR;
}

static int pass_write(struct tcmu_device *dev, struct tcmur_cmd *cmd, struct iovec *iov,
		      size_t iov_cnt, size_t len, off_t off)
{
	struct pass_dev *p = tcmur_dev_get_private(dev);

	(void)cmd;
	return pwritev(p->fd, iov, (int)iov_cnt, off) == (ssize_t)len ? TCMU_STS_OK : TCMU_STS_WR_ERR;
}

static int pass_flush(struct tcmu_device *dev, struct tcmur_cmd *cmd)
{
	struct pass_dev *p = tcmur_dev_get_private(dev);

	(void)cmd;
	return fdatasync(p->fd) == 0 ? TCMU_STS_OK : TCMU_STS_WR_ERR;
}

static struct tcmur_handler pass_handler = {
	.name = "bootlink benchmark passthrough",
	.subtype = "blpass",
	.cfg_desc = "PATH: a raw file served as is (benchmark ceiling)",
	.check_config = pass_check_config,
	.open = pass_open,
	.close = pass_close,
	.nr_threads = 4,
	.handle_cmd = pass_handle_cmd,
	.read = pass_read,
	.write = pass_write,
	.flush = pass_flush,
};

EXPORT int handler_init(void)
{
	return tcmur_register_handler(&pass_handler);
}
