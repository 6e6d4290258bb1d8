/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The tcmu-runner plugin interface, as bootlink uses it.
 *
 * Debian ships tcmu-runner 1.5.4 without development headers, so this file declares the
 * interface itself. It matches tcmu-runner v1.5.4 (tcmu-runner.h, libtcmu_common.h,
 * libtcmu_log.h); the handler structure and the symbols below are unchanged up to v1.6.2.
 * Only the layout of `struct tcmur_handler` and the leading fields of the command structures
 * matter for binary compatibility: keep their order exactly.
 *
 * Where the symbols come from at run time:
 *  - tcmur_* and tcmu_notify_*: the tcmu-runner executable (exported for plugins);
 *  - tcmu_dev_*, tcmu_cdb_*, tcmu_sense_*, tcmu_*_message: libtcmu.so.2, which tcmu-runner
 *    links; the plugin leaves them undefined and they resolve when tcmu-runner dlopen()s it.
 * tcmu-runner loads every handler_*.so in its handler directory and calls handler_init().
 */
#ifndef BL_TCMU_ABI_H
#define BL_TCMU_ABI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct tcmu_device; /* opaque: owned by libtcmu */
struct tcmulib_cfg_info;

/* Status codes a callout returns (TCMU_STS_*); anything else maps to a SCSI sense in libtcmu. */
enum {
	TCMU_STS_ASYNC_HANDLED = -2, /* the handler completes it later with tcmur_cmd_complete() */
	TCMU_STS_NOT_HANDLED = -1,   /* from handle_cmd: use tcmu-runner's generic path instead */
	TCMU_STS_OK = 0,
	TCMU_STS_NO_RESOURCE,        /* TASK SET FULL */
	TCMU_STS_PASSTHROUGH_ERR,    /* CHECK CONDITION with the sense the handler wrote */
	TCMU_STS_BUSY,
	TCMU_STS_WR_ERR,             /* MEDIUM ERROR, write error */
	TCMU_STS_RD_ERR,             /* MEDIUM ERROR, unrecovered read error */
	TCMU_STS_MISCOMPARE,
	TCMU_STS_INVALID_CMD,
	TCMU_STS_INVALID_CDB,
	TCMU_STS_INVALID_PARAM_LIST,
	TCMU_STS_INVALID_PARAM_LIST_LEN,
	TCMU_STS_TIMEOUT,
	TCMU_STS_FENCED,
	TCMU_STS_HW_ERR,             /* HARDWARE ERROR, internal target failure */
	TCMU_STS_RANGE,              /* ILLEGAL REQUEST, LBA out of range */
};

#define TCMU_SENSE_BUFFERSIZE 96

/* One command as libtcmu took it off the ring (leading fields of struct tcmulib_cmd). */
struct tcmulib_cmd {
	uint16_t cmd_id;
	uint8_t *cdb;
	struct iovec *iovec;
	size_t iov_cnt;
	uint8_t sense_buf[TCMU_SENSE_BUFFERSIZE];
	void *hm_private;
};

/* tcmu-runner's wrapper of a command; only its first field is part of the interface. */
struct tcmur_cmd {
	struct tcmulib_cmd *lib_cmd;
};

struct tcmur_handler {
	const char *name;     /* shown in logs */
	const char *subtype;  /* matched against the text before the first '/' of dev_config */
	const char *cfg_desc; /* help for the config string */
	void *opaque;

	/* Validate a config string (without the "subtype/" prefix) before a device is made;
	 * on false, *reason is a malloc()ed explanation that tcmu-runner frees. */
	bool (*check_config)(const char *cfgstring, char **reason);
	int (*reconfig)(struct tcmu_device *dev, struct tcmulib_cfg_info *cfg);

	int (*open)(struct tcmu_device *dev, bool reopen);
	void (*close)(struct tcmu_device *dev);

	/* > 0: the I/O callouts below run in that many worker threads per device and may block;
	 * they return a TCMU_STS code. 0: they run in the device's command thread. */
	int nr_threads;

	/* Called first for every command, in the device's command thread. A status returned here
	 * completes the command at once (batched with others); TCMU_STS_NOT_HANDLED falls through
	 * to tcmu-runner's SCSI emulation, which calls the callouts below. */
	int (*handle_cmd)(struct tcmu_device *dev, struct tcmur_cmd *cmd);

	int (*read)(struct tcmu_device *dev, struct tcmur_cmd *cmd, struct iovec *iov,
		    size_t iov_cnt, size_t len, off_t off);
	int (*write)(struct tcmu_device *dev, struct tcmur_cmd *cmd, struct iovec *iov,
		     size_t iov_cnt, size_t len, off_t off);
	int (*flush)(struct tcmu_device *dev, struct tcmur_cmd *cmd);
	int (*unmap)(struct tcmu_device *dev, struct tcmur_cmd *cmd, uint64_t off, uint64_t len);
	/* WRITE SAME: `iov` holds one logical block to repeat over [off, off+len). */
	int (*writesame)(struct tcmu_device *dev, struct tcmur_cmd *cmd, uint64_t off,
			 uint64_t len, struct iovec *iov, size_t iov_cnt);
	int (*caw)(struct tcmu_device *dev, struct tcmur_cmd *cmd, uint64_t off, uint64_t len,
		   struct iovec *iov, size_t iov_cnt);

	int (*report_event)(struct tcmu_device *dev);
	int (*lock)(struct tcmu_device *dev, uint16_t tag);
	int (*unlock)(struct tcmu_device *dev);
	int (*get_lock_tag)(struct tcmu_device *dev, uint16_t *tag);
	int (*get_lock_state)(struct tcmu_device *dev);

	bool _is_dbus_handler; /* tcmu-runner's own bookkeeping: leave false */
	bool (*update_logdir)(void);
	int (*init)(void);
	void (*destroy)(void);
};

/* From the tcmu-runner executable. */
int tcmur_register_handler(struct tcmur_handler *handler);
void tcmur_cmd_complete(struct tcmu_device *dev, void *cmd, int status);
void tcmur_dev_set_private(struct tcmu_device *dev, void *priv);
void *tcmur_dev_get_private(struct tcmu_device *dev);

/* From libtcmu.so.2. */
char *tcmu_dev_get_cfgstring(struct tcmu_device *dev);
uint64_t tcmu_dev_get_num_lbas(struct tcmu_device *dev);
void tcmu_dev_set_num_lbas(struct tcmu_device *dev, uint64_t num_lbas);
uint32_t tcmu_dev_get_block_size(struct tcmu_device *dev);
void tcmu_dev_set_block_size(struct tcmu_device *dev, uint32_t block_size);
void tcmu_dev_set_max_unmap_len(struct tcmu_device *dev, uint32_t len);
void tcmu_dev_set_opt_unmap_gran(struct tcmu_device *dev, uint32_t len, bool split);
void tcmu_dev_set_unmap_gran_align(struct tcmu_device *dev, uint32_t len);
void tcmu_dev_set_write_cache_enabled(struct tcmu_device *dev, bool enabled);
void tcmu_dev_set_solid_state_media(struct tcmu_device *dev, bool solid_state);
void tcmu_dev_set_unmap_enabled(struct tcmu_device *dev, bool enabled);
uint32_t tcmu_dev_get_max_xfer_len(struct tcmu_device *dev);
/* The device's shared memory (mailbox, command ring, data area): *base receives its address in
 * this process. Returns the malloc()ed name of the mapped file (to free), NULL on failure. */
char *tcmu_dev_get_memory_info(struct tcmu_device *dev, void **base, size_t *len, off_t *offset);
/* LIO's unit serial of the device (configfs wwn/vpd_unit_serial), malloc()ed, or NULL. */
char *tcmu_cfgfs_dev_get_wwn(struct tcmu_device *dev);
uint64_t tcmu_cdb_get_lba(uint8_t *cdb);
uint32_t tcmu_cdb_get_xfer_length(uint8_t *cdb);
size_t tcmu_iovec_length(struct iovec *iov, size_t iov_cnt);
/* Writes fixed-format sense data; returns TCMU_STS_PASSTHROUGH_ERR. */
int tcmu_sense_set_data(uint8_t *sense_buf, uint8_t key, uint16_t asc_ascq);
void tcmu_err_message(struct tcmu_device *dev, const char *func, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void tcmu_info_message(struct tcmu_device *dev, const char *func, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
