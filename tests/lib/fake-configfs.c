/* fake-configfs.c - LIO's configfs played on a plain directory, for the unit tests and the
 * benchmark (production code talks only to the kernel's: linkmgr/daemon/configfs.c).
 *
 * What the kernel does that the reader and the plan depend on: mkdir and write create missing
 * parents (the kernel's default groups); writing a TCMU backstore's "control" fills
 * attrib/dev_config, dev_size and the ring sizes; rmdir removes the plain files below but, like
 * configfs, refuses while a symlink is left anywhere inside (that is how an ordering bug in a
 * plan shows up in the tests).
 */
#include "fake-configfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int pathf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int pathf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n;
}

static int mkdir_p(char *path)
{
	for (char *s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		int r = mkdir(path, 0755);
		*s = '/';
		if (r < 0 && errno != EEXIST)
			return -errno;
	}
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int mkdir_parent(const char *path)
{
	char buf[PATH_MAX];
	pathf(buf, sizeof(buf), "%s", path);
	char *s = strrchr(buf, '/');
	if (!s || s == buf)
		return 0;
	*s = '\0';
	return mkdir_p(buf);
}

/* Plain-directory rmdir in two walks: check (refuse if a link is left anywhere inside, as
 * configfs would), then remove the plain files and directories below. */
static int emu_walk(const char *path, bool remove)
{
	DIR *d = opendir(path);
	if (!d)
		return -errno;
	struct dirent *e;
	int r = 0;
	while (r == 0 && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char p[PATH_MAX];
		struct stat st;
		pathf(p, sizeof(p), "%s/%s", path, e->d_name);
		if (lstat(p, &st) < 0)
			r = -errno;
		else if (S_ISDIR(st.st_mode))
			r = emu_walk(p, remove);
		else if (!remove)
			r = S_ISLNK(st.st_mode) ? -ENOTEMPTY : 0;
		else if (unlink(p) < 0)
			r = -errno;
	}
	closedir(d);
	if (r == 0 && remove && rmdir(path) < 0)
		r = -errno;
	return r;
}

static int write_file(const char *path, const char *val, bool create)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0), 0600);
	if (fd < 0)
		return -errno;
	size_t len = strlen(val);
	ssize_t n = write(fd, val, len);
	int r = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

/* What the kernel shows in attrib/ after a TCMU control write (the keys linkmgr writes). */
static int emu_control(const char *ctl_path, const char *val)
{
	char dir[PATH_MAX], p[PATH_MAX];
	pathf(dir, sizeof(dir), "%s", ctl_path);
	*strrchr(dir, '/') = '\0';
	char *copy = strdup(val), *save = NULL;
	if (!copy)
		return -ENOMEM;
	int r = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok && r == 0; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		if (!eq)
			continue;
		*eq = '\0';
		if (strcmp(tok, "dev_config") && strcmp(tok, "dev_size") &&
		    strcmp(tok, "max_data_area_mb") && strcmp(tok, "cmd_ring_size_mb"))
			continue;
		pathf(p, sizeof(p), "%s/attrib/%s", dir, tok);
		if ((r = mkdir_parent(p)) == 0)
			r = write_file(p, eq + 1, true);
	}
	free(copy);
	return r;
}


static int f_mkdir(const char *path)
{
	char buf[PATH_MAX];
	pathf(buf, sizeof(buf), "%s", path);
	return mkdir_p(buf);
}

static int f_rmdir(const char *path)
{
	int r = emu_walk(path, false);
	return r < 0 ? r : emu_walk(path, true);
}

static int f_write(const char *path, const char *val)
{
	int r;
	if ((r = mkdir_parent(path)) < 0 || (r = write_file(path, val, true)) < 0)
		return r;
	size_t n = strlen(path);
	return n > 8 && !strcmp(path + n - 8, "/control") ? emu_control(path, val) : 0;
}

static int f_symlink(const char *target, const char *path)
{
	int r = mkdir_parent(path);
	return r < 0 ? r : symlink(target, path) < 0 ? -errno : 0;
}

static int f_unlink(const char *path)
{
	return unlink(path) < 0 ? -errno : 0;
}

const struct bl_cfs_ops bl_fake_cfs_ops = {
	.mkdir = f_mkdir, .rmdir = f_rmdir, .write = f_write, .symlink = f_symlink,
	.unlink = f_unlink,
};

int bl_fake_cfs_prepare(const char *configfs_root)
{
	char p[PATH_MAX];
	pathf(p, sizeof(p), "%s/target", configfs_root);
	return mkdir_p(p);
}
