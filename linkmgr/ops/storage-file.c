/* storage-file.c - the file backend: one blcow overlay per client.
 *
 * Renewal writes the new overlay under a temporary name and renames it over the old one, so a
 * crash leaves either the old or the new overlay, never none. tcmu-runner may still hold the
 * old file open: the caller rebuilds the backstore afterwards (plan: recreate), which makes the
 * handler open the new file.
 */
#include "storage.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blcow.h"
#include "devconfig.h"
#include "error.h"
#include "names.h"
#include "validate.h"

static int overlay_path(const struct bl_config *cfg, const char *mac, char *out, size_t len)
{
	int r = bl_name_overlay(cfg->overlay_dir, mac, out, len);
	return r < 0 ? r : bl_path_check("overlay", out);
}

int bl_storage_locate(const struct bl_config *cfg, const struct bl_link *l, bool vol,
		      struct bl_storage_loc *out)
{
	char path[PATH_MAX];
	int r = overlay_path(cfg, l->client.mac, path, sizeof(path));
	if (r < 0)
		return r;
	struct bl_devconfig dc = { .is_volatile = vol };
	char err[512];
	snprintf(dc.overlay, sizeof(dc.overlay), "%s", path);
	if ((r = bl_devconfig_format(&dc, out->dev_config, sizeof(out->dev_config), err,
				     sizeof(err))) < 0)
		return bl_fail(r, "client %s: %s", l->client.mac, err);
	out->size = l->size;
	return 0;
}

bool bl_storage_exists(const struct bl_config *cfg, const struct bl_link *l)
{
	char path[PATH_MAX];
	struct stat st;
	return overlay_path(cfg, l->client.mac, path, sizeof(path)) == 0 && stat(path, &st) == 0;
}

int bl_storage_renew(const struct bl_config *cfg, const struct bl_link *l, int *version)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8], err[512] = "";
	int r = overlay_path(cfg, l->client.mac, path, sizeof(path));
	if (r < 0)
		return r;
	/* the top of the current version's chain: its newest layer, or the base file */
	const char *backing = l->n_chain ? l->chain[l->n_chain - 1].path : l->base_path;
	if (!backing)
		return bl_fail(-EINVAL, "client %s: image '%s' has no base file", l->client.mac,
			       l->image_name ? l->image_name : "?");
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	unlink(tmp);	/* left over by a crash during an earlier renewal */
	if (mkdir(cfg->overlay_dir, 0700) < 0 && errno != EEXIST)
		return bl_fail(-errno, "overlay directory %s: %s", cfg->overlay_dir, strerror(errno));
	r = blc_create(tmp, backing, NULL, err, sizeof(err));
	if (r < 0)
		return bl_fail(r, "client %s: cannot create its overlay on image '%s' version %d: %s",
			       l->client.mac, l->image_name ? l->image_name : "?",
			       l->current_version, err[0] ? err : strerror(-r));
	if (rename(tmp, path) < 0) {
		r = -errno;
		unlink(tmp);
		return bl_fail(r, "client %s: cannot install overlay %s: %s", l->client.mac, path,
			       strerror(-r));
	}
	*version = l->current_version;
	return 0;
}

int bl_storage_usage(const struct bl_config *cfg, const char *mac, uint64_t *bytes)
{
	char path[PATH_MAX];
	struct stat st;
	*bytes = 0;
	int r = overlay_path(cfg, mac, path, sizeof(path));
	if (r < 0)
		return r;
	if (stat(path, &st) < 0)
		return -errno;
	*bytes = (uint64_t)st.st_blocks * 512;
	return 0;
}
