/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * System call wrappers with full-length loops and negative-errno returns.
 *
 * In the test build (BLC_FAILPOINTS) this file also simulates a power cut: each
 * write first saves the bytes it overwrites in an undo log keyed by inode; an
 * fdatasync of that inode forgets its entries (they are durable now). A power cut
 * replays the log backwards, restoring all or a random subset of 512-byte sectors.
 * That is stricter than a real disk (which may keep unsynced data) and models
 * torn sector-granular writes, the case checksummed map slots exist for.
 * Directory operations (rename, create) are assumed durable once the directory
 * was fsync'ed, which is what the engine does.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "io.h"

#ifdef BLC_FAILPOINTS
void (*blc_failpoint_hook)(const char *name);
static void sim_log(int fd, uint64_t off, uint64_t len);
static int sim_fail(int fd, const void *buf, size_t len, uint64_t off);
static void sim_synced(int fd);
#else
static inline void sim_log(int fd, uint64_t off, uint64_t len) { (void)fd; (void)off; (void)len; }
static inline int sim_fail(int fd, const void *buf, size_t len, uint64_t off)
{ (void)fd; (void)buf; (void)len; (void)off; return 0; }
static inline void sim_synced(int fd) { (void)fd; }
#endif

/* Advance an iovec array by n bytes in place (it is the caller's copy). */
static int iov_advance(struct iovec **iov, int *cnt, size_t n)
{
	while (*cnt > 0 && n >= (*iov)->iov_len) {
		n -= (*iov)->iov_len;
		(*iov)++;
		(*cnt)--;
	}
	if (*cnt > 0) {
		(*iov)->iov_base = (char *)(*iov)->iov_base + n;
		(*iov)->iov_len -= n;
	}
	return *cnt;
}

static size_t iov_total(const struct iovec *iov, int cnt)
{
	size_t t = 0;

	for (int i = 0; i < cnt; i++)
		t += iov[i].iov_len;
	return t;
}

ssize_t blc_io_preadv(int fd, const struct iovec *iov, int cnt, uint64_t off, int rwf)
{
	ssize_t r;

	do
		/* pread for the common single buffer: no iovec import in the kernel */
		r = cnt == 1 && !rwf ? pread(fd, iov->iov_base, iov->iov_len, (off_t)off)
				     : preadv2(fd, iov, cnt, (off_t)off, rwf);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

static ssize_t pwritev_once(int fd, const struct iovec *iov, int cnt, uint64_t off)
{
	ssize_t r;

	sim_log(fd, off, iov_total(iov, cnt));
	r = sim_fail(fd, iov[0].iov_base, iov[0].iov_len, off);
	if (r < 0)
		return r;
	do
		r = cnt == 1 ? pwrite(fd, iov->iov_base, iov->iov_len, (off_t)off)
			     : pwritev(fd, iov, cnt, (off_t)off);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

/* Finish a transfer after a short first attempt (rare): on a private copy of
 * the iovec array, kept out of the fast path's stack frame. */
static __attribute__((noinline)) int finish(int fd, const struct iovec *iov, int cnt,
					    uint64_t off, size_t done, bool write)
{
	struct iovec copy[IOV_MAX], *v = copy;
	size_t want = iov_total(iov, cnt) - done;

	if (cnt > IOV_MAX)
		return -EINVAL;
	memcpy(copy, iov, sizeof(*iov) * (size_t)cnt);
	iov_advance(&v, &cnt, done);
	off += done;
	while (want > 0) {
		ssize_t r = write ? pwritev_once(fd, v, cnt, off) : blc_io_preadv(fd, v, cnt, off, 0);
		if (r < 0)
			return (int)r;
		if (r == 0)
			return -EIO;     /* the file ends before the data it must hold */
		want -= (size_t)r;
		off += (size_t)r;
		iov_advance(&v, &cnt, (size_t)r);
	}
	return 0;
}

int blc_io_preadv_full(int fd, const struct iovec *iov, int cnt, uint64_t off)
{
	ssize_t r = blc_io_preadv(fd, iov, cnt, off, 0);

	if (r < 0)
		return (int)r;
	return (size_t)r == iov_total(iov, cnt) ? 0 : finish(fd, iov, cnt, off, (size_t)r, false);
}

int blc_io_pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	struct iovec v = { buf, len };
	ssize_t r;

	do
		r = pread(fd, buf, len, (off_t)off);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return (size_t)r == len ? 0 : finish(fd, &v, 1, off, (size_t)r, false);
}

int blc_io_pwritev_full(int fd, const struct iovec *iov, int cnt, uint64_t off)
{
	ssize_t r = pwritev_once(fd, iov, cnt, off);

	if (r < 0)
		return (int)r;
	return (size_t)r == iov_total(iov, cnt) ? 0 : finish(fd, iov, cnt, off, (size_t)r, true);
}

int blc_io_pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	struct iovec v = { (void *)buf, len };
	return blc_io_pwritev_full(fd, &v, 1, off);
}

int blc_io_copy_range(int in, uint64_t in_off, int out, uint64_t out_off, size_t len)
{
	static const size_t chunk = 65536;
	loff_t a = (loff_t)in_off, b = (loff_t)out_off;
	uint8_t *buf = NULL;
	int r = 0;

	sim_log(out, out_off, len);
	while (len > 0) {
		ssize_t n = copy_file_range(in, &a, out, &b, len, 0);
		if (n > 0) {
			len -= (size_t)n;
			continue;
		}
		if (n == 0)
			return -EIO;
		if (errno == EINTR)
			continue;
		if (errno != EXDEV && errno != EINVAL && errno != EOPNOTSUPP && errno != ENOSYS)
			return -errno;
		break;           /* not between these files: copy through memory */
	}
	if (len > 0 && !(buf = malloc(chunk)))
		return -ENOMEM;
	while (r == 0 && len > 0) {
		size_t n = len < chunk ? len : chunk;
		r = blc_io_pread_full(in, buf, n, (uint64_t)a);
		if (r == 0)
			r = blc_io_pwrite_full(out, buf, n, (uint64_t)b);
		a += (loff_t)n;
		b += (loff_t)n;
		len -= n;
	}
	free(buf);
	return r;
}

int blc_io_datasync(int fd)
{
	if (fdatasync(fd) < 0)
		return -errno;
	sim_synced(fd);
	return 0;
}

int blc_io_punch(int fd, uint64_t off, uint64_t len)
{
	static const char zeros[65536];

	if (len == 0)
		return 0;
	sim_log(fd, off, len);
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) == 0)
		return 0;
	if (errno != EOPNOTSUPP && errno != ENOSYS)
		return -errno;
	while (len > 0) {
		size_t n = len < sizeof(zeros) ? len : sizeof(zeros);
		int r = blc_io_pwrite_full(fd, zeros, n, off);
		if (r < 0)
			return r;
		off += n;
		len -= n;
	}
	return 0;
}

int blc_io_truncate(int fd, uint64_t len)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && (uint64_t)st.st_size > len)
		sim_log(fd, len, (uint64_t)st.st_size - len);
	if (ftruncate(fd, (off_t)len) < 0)
		return -errno;
	return 0;
}

int blc_io_sync_dir(const char *path)
{
	char tmp[PATH_MAX];
	int fd, r = 0;

	if (strlen(path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	strcpy(tmp, path);
	fd = open(dirname(tmp), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

#ifdef BLC_FAILPOINTS
#include <pthread.h>

struct undo {
	int fd;                  /* our dup of the file, valid after the caller closed it */
	dev_t dev;
	ino_t ino;
	uint64_t off, len, old_size;
	uint8_t *old;
};

static pthread_mutex_t sim_lock = PTHREAD_MUTEX_INITIALIZER;
static struct undo *undos;
static size_t nundo, capundo;
static bool sim_on;
static long fail_after = -1;
static int fail_err;

void blc_sim_start(void)
{
	pthread_mutex_lock(&sim_lock);
	sim_on = true;
	pthread_mutex_unlock(&sim_lock);
}

static void undo_free(struct undo *u)
{
	free(u->old);
	close(u->fd);
}

void blc_sim_stop(void)
{
	pthread_mutex_lock(&sim_lock);
	for (size_t i = 0; i < nundo; i++)
		undo_free(&undos[i]);
	free(undos);
	undos = NULL;
	nundo = capundo = 0;
	sim_on = false;
	pthread_mutex_unlock(&sim_lock);
}

static void sim_log(int fd, uint64_t off, uint64_t len)
{
	struct stat st;
	struct undo u = { .off = off };

	pthread_mutex_lock(&sim_lock);
	if (!sim_on || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		goto out;
	u.dev = st.st_dev;
	u.ino = st.st_ino;
	u.old_size = (uint64_t)st.st_size;
	u.len = off < u.old_size ? (len < u.old_size - off ? len : u.old_size - off) : 0;
	u.old = calloc(1, u.len ? u.len : 1);
	u.fd = dup(fd);
	if (!u.old || u.fd < 0 || blc_io_pread_full(fd, u.old, u.len, off) < 0)
		abort();         /* test infrastructure: cannot go on meaningfully */
	if (nundo == capundo) {
		capundo = capundo ? capundo * 2 : 64;
		undos = realloc(undos, capundo * sizeof(*undos));
		if (!undos)
			abort();
	}
	undos[nundo++] = u;
out:
	pthread_mutex_unlock(&sim_lock);
}

static void sim_synced(int fd)
{
	struct stat st;
	size_t j = 0;

	pthread_mutex_lock(&sim_lock);
	if (sim_on && fstat(fd, &st) == 0) {
		for (size_t i = 0; i < nundo; i++) {
			if (undos[i].dev == st.st_dev && undos[i].ino == st.st_ino)
				undo_free(&undos[i]);
			else
				undos[j++] = undos[i];
		}
		nundo = j;
	}
	pthread_mutex_unlock(&sim_lock);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

void blc_sim_powercut(int torn, uint64_t seed)
{
	uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;

	pthread_mutex_lock(&sim_lock);
	for (size_t i = nundo; i-- > 0;) {
		struct undo *u = &undos[i];
		struct stat st;

		for (uint64_t o = 0; o < u->len; o += 512) {
			uint64_t n = u->len - o < 512 ? u->len - o : 512;
			if (!torn || (rnd(&s) & 1))
				if (pwrite(u->fd, u->old + o, n, (off_t)(u->off + o)) != (ssize_t)n)
					abort();
		}
		if (fstat(u->fd, &st) == 0 && (uint64_t)st.st_size != u->old_size &&
		    (!torn || (rnd(&s) & 1)))
			if (ftruncate(u->fd, (off_t)u->old_size) < 0)
				abort();
		undo_free(u);
	}
	nundo = 0;
	pthread_mutex_unlock(&sim_lock);
}

void blc_sim_fail_writes(long after, int err)
{
	pthread_mutex_lock(&sim_lock);
	fail_after = after;
	fail_err = err;
	pthread_mutex_unlock(&sim_lock);
}

static int sim_fail(int fd, const void *buf, size_t len, uint64_t off)
{
	int r = 0;

	pthread_mutex_lock(&sim_lock);
	if (fail_after == 0) {
		if (len / 2 && pwrite(fd, buf, len / 2, (off_t)off) < 0)
			abort();
		r = -fail_err;
	} else if (fail_after > 0) {
		fail_after--;
	}
	pthread_mutex_unlock(&sim_lock);
	return r;
}
#endif
