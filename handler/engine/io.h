/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The engine's only path to the file system, so tests can fail and crash it. */
#ifndef BL_IO_H
#define BL_IO_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/* All return 0 (or a byte count for blc_io_preadv) or a negative errno. */
ssize_t blc_io_preadv(int fd, const struct iovec *iov, int cnt, uint64_t off, int rwf);
int blc_io_preadv_full(int fd, const struct iovec *iov, int cnt, uint64_t off);
int blc_io_pread_full(int fd, void *buf, size_t len, uint64_t off);
int blc_io_pwritev_full(int fd, const struct iovec *iov, int cnt, uint64_t off);
int blc_io_pwrite_full(int fd, const void *buf, size_t len, uint64_t off);
/* Copy file data in the kernel (a reflink on file systems that share extents),
 * through memory where copy_file_range cannot be used. */
int blc_io_copy_range(int in, uint64_t in_off, int out, uint64_t out_off, size_t len);
int blc_io_datasync(int fd);
/* Deallocate a range; it reads as zeros afterwards (writes zeros where the file
 * system cannot punch holes). */
int blc_io_punch(int fd, uint64_t off, uint64_t len);
int blc_io_truncate(int fd, uint64_t len);
/* fsync the directory holding `path` so a create or rename in it is durable. */
int blc_io_sync_dir(const char *path);

/* Failpoints name the gaps between durable steps. Only the test build of the
 * library (blcow_test, -DBLC_FAILPOINTS) has them. */
#ifdef BLC_FAILPOINTS
extern void (*blc_failpoint_hook)(const char *name);
#define BLC_FAILPOINT(name) do { if (blc_failpoint_hook) blc_failpoint_hook(name); } while (0)

/* Crash simulation: while on, every write keeps what it overwrote until the file
 * is fdatasync'ed, so blc_sim_powercut() can throw away what a power cut would. */
void blc_sim_start(void);
void blc_sim_stop(void);
/* torn = 0: every unsynced write is lost; torn = 1: each unsynced 512-byte sector
 * is lost or kept at random (seeded), which also tears map slots. */
void blc_sim_powercut(int torn, uint64_t seed);
/* Make writes fail with -err once `after` more writes succeeded (-1: never);
 * the failing write stores its first half, as a full disk might. */
void blc_sim_fail_writes(long after, int err);
#else
#define BLC_FAILPOINT(name) do { } while (0)
#endif

#endif
