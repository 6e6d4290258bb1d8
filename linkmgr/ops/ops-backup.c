/* ops-backup.c - backup and restore (see ops.h).
 *
 * Backup runs while everything runs: the database is copied with SQLite's online backup API (a
 * consistent snapshot), and the file list comes from that snapshot. Base images and committed
 * layers never change once recorded, so copying them live is safe. Persistent overlays
 * (--overlays) are copied from a reflink snapshot, one instant like a disk after a power cut
 * (the engine's crash guarantees make that a valid overlay); where the filesystem has no
 * reflink, a running client's overlay is refused (see backup_overlay).
 *
 * Files are copied sparse (holes stay holes) with their mtime, which is part of a base
 * image's identity. Each file's checksum is SHA-256 (OpenSSL's libcrypto) over its size and
 * the SHA-256 of each 1 MiB chunk, with hole chunks hashed without being read: independent of
 * how a filesystem lays out holes, so the copy verifies against the original.
 *
 * MANIFEST is written last (tmp + fsync + rename): a backup without one is incomplete.
 * Restore verifies every checksum and every destination before it changes anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "error.h"
#include "names.h"
#include "ops.h"
#include "ops-internal.h"
#include "validate.h"

#define CHUNK (1u << 20)
#define MANIFEST_MAGIC "bootlink-backup 1"

#define entry bl_backup_file
#define manifest bl_backup

void bl_backup_free(struct bl_backup *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->e[i].rel);
		free(m->e[i].orig);
	}
	free(m->e);
	memset(m, 0, sizeof(*m));
}
#define manifest_free bl_backup_free

static struct entry *manifest_add(struct manifest *m)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		struct entry *e = realloc(m->e, cap * sizeof(*e));
		if (!e)
			return NULL;
		m->e = e;
		m->cap = cap;
	}
	memset(&m->e[m->n], 0, sizeof(m->e[0]));
	return &m->e[m->n++];
}

static void digest(const void *p, size_t n, uint8_t out[32])
{
	EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Checksums src and, if dst is not NULL, copies it there sparse (dst created 0600, must not
 * exist). Fills e->sum/size/mtime_ns. Returns 0 or -errno with a message. */
static int copy_sum(const char *src, const char *dst, struct entry *e)
{
	int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, r = 0;
	struct stat st;
	EVP_MD_CTX *all = EVP_MD_CTX_new();
	uint8_t d[32], zero_d[32], *buf = NULL;
	size_t zero_len = 0;

	if (in < 0 || !all) {
		r = in < 0 ? bl_fail(-errno, "%s: %s", src, strerror(errno)) :
			     bl_fail(-ENOMEM, "out of memory");
		EVP_MD_CTX_free(all);
		if (in >= 0)
			close(in);
		return r;
	}
	if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = bl_fail(-EINVAL, "%s: not a regular file", src);
		goto out;
	}
	if (!(buf = malloc(CHUNK))) {
		r = bl_fail(-ENOMEM, "out of memory");
		goto out;
	}
	if (dst && (out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		r = bl_fail(-errno, "%s: %s", dst, strerror(errno));
		goto out;
	}
	uint64_t size = (uint64_t)st.st_size;
	uint8_t sz[8];
	for (int i = 0; i < 8; i++)
		sz[i] = (uint8_t)(size >> (56 - 8 * i));
	EVP_DigestInit_ex(all, EVP_sha256(), NULL);
	EVP_DigestUpdate(all, sz, 8);
	for (uint64_t off = 0; off < size; off += CHUNK) {
		size_t len = size - off < CHUNK ? (size_t)(size - off) : CHUNK;
		off_t data = lseek(in, (off_t)off, SEEK_DATA);
		bool hole = (data < 0 && errno == ENXIO) || (data >= 0 && (uint64_t)data >= off + len);
		if (!hole) {
			ssize_t got = 0;
			for (size_t done = 0; done < len; done += (size_t)got) {
				got = pread(in, buf + done, len - done, (off_t)(off + done));
				if (got <= 0) {
					r = bl_fail(got < 0 ? -errno : -EIO, "%s: read at %" PRIu64
						    ": %s", src, off + done, got < 0 ? strerror(errno) :
						    "file shrank while being read");
					goto out;
				}
			}
			hole = all_zero(buf, len);
		}
		if (hole) {
			if (zero_len != len) {
				memset(buf, 0, len);
				digest(buf, len, zero_d);
				zero_len = len;
			}
			EVP_DigestUpdate(all, zero_d, 32);
			continue;
		}
		digest(buf, len, d);
		EVP_DigestUpdate(all, d, 32);
		if (out >= 0 && pwrite(out, buf, len, (off_t)off) != (ssize_t)len) {
			r = bl_fail(-errno, "%s: write: %s", dst, strerror(errno));
			goto out;
		}
	}
	EVP_DigestFinal_ex(all, d, NULL);
	for (int i = 0; i < 32; i++)
		snprintf(e->sum + 2 * i, 3, "%02x", d[i]);
	e->size = size;
	e->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	if (out >= 0) {
		struct timespec ts[2] = { st.st_atim, st.st_mtim };
		if (ftruncate(out, (off_t)size) < 0 || fsync(out) < 0 || futimens(out, ts) < 0)
			r = bl_fail(-errno, "%s: %s", dst, strerror(errno));
	}
out:
	EVP_MD_CTX_free(all);
	free(buf);
	close(in);
	if (out >= 0) {
		close(out);
		if (r < 0)
			unlink(dst);
	}
	return r;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return bl_fail(-errno, "%s: %s", tmp, strerror(errno));
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return bl_fail(-errno, "%s: %s", tmp, strerror(errno));
	return 0;
}

/* Adds src to the backup as rel (copying it). */
static int backup_file(const char *dir, const char *rel, const char *src, struct manifest *m)
{
	char dst[2 * PATH_MAX + 64];
	struct entry *e = manifest_add(m);

	if (!e)
		return bl_fail(-ENOMEM, "out of memory");
	snprintf(dst, sizeof(dst), "%s/%s", dir, rel);
	e->rel = strdup(rel);
	e->orig = strdup(src);
	if (!e->rel || !e->orig)
		return bl_fail(-ENOMEM, "out of memory");
	return copy_sum(src, dst, e);
}

/* A persistent overlay: copied from a reflink snapshot made next to it (one instant, like a
 * disk after a power cut, which the engine's crash guarantees make a valid overlay). Where
 * the filesystem cannot snapshot (ext4: no reflink), a running client's overlay copied front
 * to back could hold a later flushed write without an earlier one: refused unless the caller
 * allows it (force); *running is set when that happened. Returns 1 when skipped. */
static void tell(struct bl_ops *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tell(struct bl_ops *o, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (o->note)
		o->note(o->ctx, line);
}

static int backup_overlay(struct bl_ops *o, const char *dir, const char *rel, const char *ovl,
			  const char *mac, unsigned flags, struct manifest *m)
{
	char snap[PATH_MAX + 32];
	snprintf(snap, sizeof(snap), "%s.backup-%d", ovl, (int)getpid());
	unlink(snap);	/* ours from a crashed run (same pid); never followed: O_EXCL below */
	int in = open(ovl, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0)
		return bl_fail(-errno, "client %s: overlay %s: %s", mac, ovl, strerror(errno));
	int out = open(snap, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int r = out < 0 ? -errno : ioctl(out, FICLONE, in) < 0 ? -errno : 0;
	close(in);
	if (out >= 0)
		close(out);
	if (r == 0) {
		r = backup_file(dir, rel, snap, m);
		if (r == 0) {	/* the manifest names the overlay, not the snapshot */
			free(m->e[m->n - 1].orig);
			if (!(m->e[m->n - 1].orig = strdup(ovl)))
				r = bl_fail(-ENOMEM, "out of memory");
		}
		unlink(snap);
		return r;
	}
	if (out >= 0)
		unlink(snap);
	int on = ops_online(o, mac);
	if (on == 0 || (flags & BL_BACKUP_FORCE)) {
		if (on != 0)
			tell(o, "client %s %s: its overlay is copied as it changes (--force)", mac,
				on > 0 ? "is running" : "may be running (linkmgr cannot tell)");
		return backup_file(dir, rel, ovl, m);
	}
	if (flags & BL_BACKUP_OFFLINE_ONLY) {
		tell(o, "client %s %s: its overlay is not in the backup (--offline-only)", mac,
			on > 0 ? "is running" : "may be running");
		return 1;
	}
	return bl_fail(-EBUSY, "client %s %s and %s cannot snapshot its overlay (%s): a copy "
		       "now could hold a later write without an earlier one; stop the client, or "
		       "--offline-only to leave running clients out, or --force to copy anyway",
		       mac, on > 0 ? "is running" : "may be running (linkmgr is not there to say)",
		       o->cfg->overlay_dir, strerror(-r));
}

static int write_manifest(const char *dir, const struct manifest *m)
{
	char tmp[PATH_MAX + 32], fin[PATH_MAX + 32];

	snprintf(tmp, sizeof(tmp), "%s/MANIFEST.tmp", dir);
	snprintf(fin, sizeof(fin), "%s/MANIFEST", dir);
	FILE *f = fopen(tmp, "we");
	if (!f)
		return bl_fail(-errno, "%s: %s", tmp, strerror(errno));
	fprintf(f, "%s\nschema %d\n", MANIFEST_MAGIC, m->schema);
	for (size_t i = 0; i < m->n; i++)
		fprintf(f, "file %s %" PRIu64 " %" PRId64 " %s %s\n", m->e[i].sum, m->e[i].size,
			m->e[i].mtime_ns, m->e[i].rel, m->e[i].orig);
	if (fflush(f) || fsync(fileno(f)) || fclose(f))
		return bl_fail(-EIO, "%s: write failed", tmp);
	if (rename(tmp, fin) < 0)
		return bl_fail(-errno, "%s: %s", fin, strerror(errno));
	return 0;
}

int bl_op_backup(struct bl_ops *o, const char *in, bool overlays, unsigned flags,
		 struct bl_backup *m)
{
	char dir[PATH_MAX], p[2 * PATH_MAX + 64], rel[2 * PATH_MAX];
	struct bl_db *snap = NULL;
	int r;

	memset(m, 0, sizeof(*m));
	if ((r = bl_path_absolute(in, dir)) < 0 || (r = mkdir_p(dir, 0700)) < 0)
		return r;
	if (rmdir(dir) < 0 || mkdir(dir, 0700) < 0)	/* only an empty DIR can be removed */
		return bl_fail(errno == ENOTEMPTY || errno == EEXIST ? -ENOTEMPTY : -errno,
			       "backup directory %s: %s", dir, errno == ENOTEMPTY ||
			       errno == EEXIST ? "not empty" : strerror(errno));
	snprintf(m->dir, sizeof(m->dir), "%s", dir);
	/* 1. the database snapshot */
	snprintf(p, sizeof(p), "%s/bootlink.db", dir);
	if ((r = bl_db_backup_to(o->db, p)) < 0 || (r = bl_db_open(p, BL_DB_READONLY, NULL, &snap)) < 0)
		return r;
	m->schema = bl_db_schema_version(snap);
	struct entry *e = manifest_add(m);
	if (!e || (r = copy_sum(p, NULL, e)) < 0 || !(e->rel = strdup("bootlink.db")) ||
	    !(e->orig = strdup("-"))) {
		r = r < 0 ? r : bl_fail(-ENOMEM, "out of memory");
		goto out;
	}
	/* 2. files named by the snapshot */
	struct bl_image *imgs;
	size_t ni;
	if ((r = bl_db_image_list(snap, &imgs, &ni)) < 0)
		goto out;
	snprintf(p, sizeof(p), "%s/files/images", dir);
	r = mkdir_p(p, 0700);
	snprintf(p, sizeof(p), "%s/files/layers", dir);
	if (r == 0)
		r = mkdir_p(p, 0700);
	for (size_t i = 0; i < ni && r == 0; i++) {
		snprintf(rel, sizeof(rel), "files/images/%lld-%s", (long long)imgs[i].id,
			 strrchr(imgs[i].path, '/') + 1);
		r = backup_file(dir, rel, imgs[i].path, m);
		struct bl_version *v;
		size_t nv;
		if (r == 0 && bl_db_versions(snap, imgs[i].id, &v, &nv) >= 0) {
			for (size_t k = 0; k < nv && r == 0; k++) {
				if (v[k].state != BL_VERSION_COMMITTED)
					continue;
				snprintf(rel, sizeof(rel), "files/layers/%s",
					 strrchr(v[k].layer_path, '/') + 1);
				r = backup_file(dir, rel, v[k].layer_path, m);
			}
			bl_versions_free(v, nv);
		}
	}
	bl_images_free(imgs, ni);
	if (r == 0 && overlays) {
		struct bl_client *cl;
		size_t nc;
		snprintf(p, sizeof(p), "%s/files/overlays", dir);
		if ((r = mkdir_p(p, 0700)) == 0 && (r = bl_db_client_list(snap, &cl, &nc)) >= 0) {
			r = 0;
			for (size_t i = 0; i < nc && r == 0; i++) {
				char ovl[PATH_MAX];
				if (cl[i].mode != BL_MODE_PERSISTENT ||
				    bl_name_overlay(o->cfg->overlay_dir, cl[i].mac, ovl, sizeof(ovl)) < 0 ||
				    access(ovl, F_OK) < 0)
					continue;
				snprintf(rel, sizeof(rel), "files/overlays/%s", strrchr(ovl, '/') + 1);
				r = backup_overlay(o, dir, rel, ovl, cl[i].mac, flags, m);
				r = r > 0 ? 0 : r;
			}
			bl_clients_free(cl, nc);
		}
	}
	/* 3. the configuration, if there is a file */
	if (r == 0 && o->cfg->path)
		r = backup_file(dir, "linkmgr.conf", o->cfg->path, m);
	if (r == 0)
		r = write_manifest(dir, m);
	if (r < 0)
		r = bl_fail(r, "backup %s failed (incomplete, no MANIFEST): %s", dir, bl_last_error());
out:
	bl_db_close(snap);
	return r;
}

static int read_manifest(const char *dir, struct manifest *m)
{
	char p[2 * PATH_MAX + 64], line[PATH_MAX * 2 + 256];

	snprintf(p, sizeof(p), "%s/MANIFEST", dir);
	FILE *f = fopen(p, "re");
	if (!f)
		return bl_fail(-errno, "%s: %s (not a complete bootlink backup)", p, strerror(errno));
	int r = 0;
	if (!fgets(line, sizeof(line), f) || strncmp(line, MANIFEST_MAGIC "\n", sizeof(MANIFEST_MAGIC)))
		r = bl_fail(-EINVAL, "%s: not a bootlink backup manifest", p);
	if (r == 0 && (!fgets(line, sizeof(line), f) || sscanf(line, "schema %d", &m->schema) != 1))
		r = bl_fail(-EINVAL, "%s: no schema line", p);
	while (r == 0 && fgets(line, sizeof(line), f)) {
		char sum[65], rel[PATH_MAX], orig[PATH_MAX];
		uint64_t size;
		int64_t mt;
		if (sscanf(line, "file %64s %" SCNu64 " %" SCNd64 " %4095s %4095s", sum, &size, &mt,
			   rel, orig) != 5 || strstr(rel, "..") || rel[0] == '/' ||
		    (strcmp(orig, "-") && bl_path_check("restored file", orig) < 0)) {
			r = bl_fail(-EINVAL, "%s: malformed line: %.80s", p, line);
			break;
		}
		struct entry *e = manifest_add(m);
		if (!e || !(e->rel = strdup(rel)) || !(e->orig = strdup(orig))) {
			r = bl_fail(-ENOMEM, "out of memory");
			break;
		}
		memcpy(e->sum, sum, sizeof(sum));
		e->size = size;
		e->mtime_ns = mt;
	}
	fclose(f);
	return r;
}

/* Copies a verified backup file to its destination through a temporary name. */
static int restore_file(const char *src, const char *dst)
{
	char tmp[2 * PATH_MAX + 96];
	struct entry e;

	snprintf(tmp, sizeof(tmp), "%s.restoring", dst);
	unlink(tmp);
	char *slash = strrchr(tmp, '/');
	if (slash && slash != tmp) {
		*slash = '\0';
		int r = mkdir_p(tmp, 0755);
		*slash = '/';
		if (r < 0)
			return r;
	}
	int r = copy_sum(src, tmp, &e);
	if (r == 0 && rename(tmp, dst) < 0)
		r = bl_fail(-errno, "%s: %s", dst, strerror(errno));
	if (r < 0)
		unlink(tmp);
	return r;
}

/* Where a backup may put a file: its kind's directory (by its name in the backup), lexically
 * and after resolving what exists of the path, so that neither a forged MANIFEST line nor a
 * symlink planted in a directory sends root's write elsewhere. */
static int dest_allowed(const struct bl_config *cfg, const char *bk, const struct entry *e)
{
	static const struct { const char *prefix; size_t off; } kinds[] = {
		{ "files/images/", offsetof(struct bl_config, image_dir) },
		{ "files/layers/", offsetof(struct bl_config, layer_dir) },
		{ "files/overlays/", offsetof(struct bl_config, overlay_dir) },
	};
	const char *dir = NULL;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]) && !dir; i++)
		if (!strncmp(e->rel, kinds[i].prefix, strlen(kinds[i].prefix)))
			dir = *(char *const *)((const char *)cfg + kinds[i].off);
	if (!dir)
		return bl_fail(-EPERM, "backup %s: %s is no file bootlink restores; nothing was "
			       "restored", bk, e->rel);
	size_t n = strlen(dir);
	if (strncmp(e->orig, dir, n) || e->orig[n] != '/')
		return bl_fail(-EPERM, "backup %s: %s would be restored to %s, outside %s; nothing "
			       "was restored", bk, e->rel, e->orig, dir);
	char up[PATH_MAX], real[PATH_MAX];
	snprintf(up, sizeof(up), "%s", e->orig);
	for (char *s = strrchr(up, '/'); s && (size_t)(s - up) >= n; s = strrchr(up, '/')) {
		*s = '\0';
		if (access(up, F_OK) == 0) {
			if (bl_path_within("restored file's directory", up, dir, real) < 0)
				return bl_fail(-EPERM, "backup %s: %s; nothing was restored", bk,
					       bl_last_error());
			break;
		}
	}
	return 0;
}

int bl_op_restore(struct bl_ops *o, const char *in, bool force, const char *conf_dst,
		  struct bl_backup *m, struct bl_db **db)
{
	char dir[PATH_MAX], p[2 * PATH_MAX + 64];
	bool *skip = NULL;
	int r;

	memset(m, 0, sizeof(*m));
	if ((r = bl_path_absolute(in, dir)) < 0 || (r = read_manifest(dir, m)) < 0)
		return r;
	snprintf(m->dir, sizeof(m->dir), "%s", dir);
	if (m->schema > BL_DB_SCHEMA_VERSION)
		return bl_fail(-EPROTO, "backup %s has database schema %d, newer than this bootlink "
			       "understands (%d); restore it with a newer bootlink", dir, m->schema,
			       BL_DB_SCHEMA_VERSION);
	/* the database file itself must agree: it is what overwrites the live one */
	snprintf(p, sizeof(p), "%s/bootlink.db", dir);
	int schema = bl_db_file_schema(p);
	if (schema < 0)
		return -EIO;
	if (schema > BL_DB_SCHEMA_VERSION)
		return bl_fail(-EPROTO, "backup %s: its database has schema %d, newer than this "
			       "bootlink understands (%d); restore it with a newer bootlink", dir,
			       schema, BL_DB_SCHEMA_VERSION);
	/* 1. verify everything first */
	if (!(skip = calloc(m->n + 1, sizeof(bool))))
		return bl_fail(-ENOMEM, "out of memory");
	for (size_t i = 0; i < m->n; i++) {
		struct entry now;
		snprintf(p, sizeof(p), "%s/%s", dir, m->e[i].rel);
		if (copy_sum(p, NULL, &now) < 0 || strcmp(now.sum, m->e[i].sum) || now.size != m->e[i].size) {
			r = bl_fail(-EBADMSG, "backup %s: %s is damaged (%s); nothing was restored", dir,
				    m->e[i].rel, *bl_last_error() && access(p, F_OK) ? bl_last_error() :
				    "checksum mismatch");
			goto out;
		}
	}
	/* 2. destinations: only inside bootlink's directories; equal ones are skipped,
	 * differing ones need --force, the live database too */
	for (size_t i = 0; i < m->n; i++) {
		if (strcmp(m->e[i].rel, "linkmgr.conf") && strcmp(m->e[i].orig, "-") &&
		    (r = dest_allowed(o->cfg, dir, &m->e[i])) < 0)
			goto out;
	}
	snprintf(p, sizeof(p), "%s/bootlink.db", dir);
	if (!force && (r = bl_db_differs(*db, p)) != 0 && r != -ENODATA) {
		r = r < 0 ? r : bl_fail(-EEXIST, "database %s holds other images or clients than the "
					"backup's; nothing was restored (--force replaces it)",
					bl_db_path(*db));
		goto out;
	}
	for (size_t i = 0; i < m->n; i++) {
		struct entry now;
		const char *dst = !strcmp(m->e[i].rel, "linkmgr.conf") ? conf_dst : m->e[i].orig;
		if (!strcmp(dst, "-"))
			continue;
		if (access(dst, F_OK) < 0)
			continue;
		if (copy_sum(dst, NULL, &now) == 0 && !strcmp(now.sum, m->e[i].sum)) {
			skip[i] = true;
			m->same++;
			continue;
		}
		if (!force && strcmp(m->e[i].rel, "linkmgr.conf") != 0) {
			r = bl_fail(-EEXIST, "%s exists and differs from the backup; nothing was "
				    "restored (--force overwrites it, breaking clients that use it)", dst);
			goto out;
		}
	}
	/* 3. files */
	for (size_t i = 0; i < m->n; i++) {
		if (skip[i] || !strcmp(m->e[i].orig, "-"))
			continue;
		char dst[2 * PATH_MAX + 64];
		snprintf(p, sizeof(p), "%s/%s", dir, m->e[i].rel);
		if (!strcmp(m->e[i].rel, "linkmgr.conf"))
			snprintf(dst, sizeof(dst), "%s%s", conf_dst,
				 access(conf_dst, F_OK) == 0 ? ".restored" : "");
		else
			snprintf(dst, sizeof(dst), "%s", m->e[i].orig);
		if ((r = restore_file(p, dst)) < 0) {
			r = bl_fail(r, "%s (restore stopped; files restored so far are complete and "
				    "verified)", bl_last_error());
			goto out;
		}
		m->written++;
		if (o->note)
			o->note(o->ctx, dst);
	}
	/* 4. the database, last: it then names only files that are in place; reopened, which
	 * migrates an older backup's schema */
	snprintf(p, sizeof(p), "%s/bootlink.db", dir);
	char live[PATH_MAX];
	snprintf(live, sizeof(live), "%s", bl_db_path(*db));
	const char *group = bl_db_group(*db);
	char grp[64] = "";
	if (group)
		snprintf(grp, sizeof(grp), "%s", group);
	if ((r = bl_db_copy_file(p, live)) < 0)
		goto out;
	bl_db_close(*db);
	*db = NULL;
	if ((r = bl_db_open(live, BL_DB_CREATE, grp[0] ? grp : NULL, db)) < 0)
		goto out;
	o->db = *db;
	ops_done(o, "backup");
	ops_say(o, "restored backup %s: database, %d file(s) written, %d already in place", dir,
		m->written, m->same);
	r = ops_logged(o);
out:
	free(skip);
	return r;
}
