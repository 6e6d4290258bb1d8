/* files.c - write-if-changed with tmp + rename.
 *
 * No fsync: every file written here is derived data (dnsmasq and iPXE files regenerated from
 * the database by each reconcile, and linkmgr reconciles when it starts), so after a power cut
 * a stale or empty file lives only until the next start. The rename still guarantees that a
 * running reader sees the old or the new content, never a torn one. Skipping one fsync per
 * client script is what keeps a reconcile of 1,000 clients within seconds on slow disks.
 */
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int same_content(const char *path, const void *content, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct stat st;
	int same = 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == len) {
		char *buf = malloc(len ? len : 1);
		if (buf && pread(fd, buf, len, 0) == (ssize_t)len)
			same = memcmp(buf, content, len) == 0;
		free(buf);
	}
	close(fd);
	return same;
}

int bl_write_if_changed(const char *path, const void *content, size_t len, mode_t mode)
{
	if (same_content(path, content, len))
		return 0;
	char tmp[4096];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	unlink(tmp);	/* left by a crash, or planted: never written through */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	const char *p = content;
	size_t left = len;
	int r = 0;
	while (left && r == 0) {
		ssize_t n = write(fd, p, left);
		if (n < 0 && errno != EINTR)
			r = -errno;
		else if (n > 0) {
			p += n;
			left -= (size_t)n;
		}
	}
	if (r == 0 && fchmod(fd, mode) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r < 0 ? r : 1;
}

int bl_copy_if_changed(const char *src, const char *dst, mode_t mode)
{
	int fd = open(src, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	int r = 0;
	char *buf = NULL;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (!(buf = malloc(st.st_size ? (size_t)st.st_size : 1)))
		r = -ENOMEM;
	else if (pread(fd, buf, (size_t)st.st_size, 0) != st.st_size)
		r = -EIO;
	close(fd);
	if (r == 0)
		r = bl_write_if_changed(dst, buf, (size_t)st.st_size, mode);
	free(buf);
	return r;
}

bool bl_chars_ok(const char *s, const char *extra)
{
	if (!s || !*s)
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && !strchr(extra, c))
			return false;
	}
	return true;
}

int bl_text_finish(FILE *f, char **buf, char **out)
{
	if (fclose(f) != 0) {
		free(*buf);
		*buf = NULL;
		return -ENOMEM;
	}
	*out = *buf;
	return 0;
}

int bl_link_if_changed(const char *src, const char *dst)
{
	struct stat a, b;
	if (stat(src, &a) < 0)
		return -errno;
	if (lstat(dst, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return 0;
	char tmp[4096];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", dst) >= sizeof(tmp))
		return -ENAMETOOLONG;
	unlink(tmp);
	if (link(src, tmp) < 0)
		return -errno;
	if (rename(tmp, dst) < 0) {
		int r = -errno;
		unlink(tmp);
		return r;
	}
	return 1;
}
