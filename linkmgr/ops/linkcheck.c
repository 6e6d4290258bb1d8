/* linkcheck.c - is a database row safe for root to act on? (see storage.h, bl_link_check)
 *
 * The database is writable by the admin group (linkctl runs as its members), and an edit with
 * sqlite3 bypasses every check linkctl makes. So linkmgr, which runs as root and hands these
 * paths to tcmu-runner and the engine, checks each row again before it acts on it: a client
 * row's fields (a MAC that is the canonical form, because it becomes configfs directory names;
 * host name and address, because they become dnsmasq text), and the files the row names: the
 * base image inside image_dir and each layer inside layer_dir, after resolving every symlink,
 * regular files, with the identity (device, inode, size, mtime) recorded when they were added.
 * A row that fails is skipped, with a reason that names it; the others are served.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "storage.h"
#include "validate.h"

static int file_check(const struct bl_link *l, const char *what, const char *path,
		      const char *dir, const char *identity)
{
	const char *mac = l->client.mac;
	char real[PATH_MAX];
	struct stat st;

	if (!path || !*path)
		return bl_fail(-EINVAL, "client %s: image '%s' has no %s", mac,
			       l->image_name ? l->image_name : "?", what);
	if (bl_path_within(what, path, dir, real) < 0)
		return bl_fail(-EPERM, "client %s: %s", mac, bl_last_error());
	if (stat(real, &st) < 0)
		return bl_fail(-errno, "client %s: %s %s: %s", mac, what, real, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return bl_fail(-EPERM, "client %s: %s %s is not a regular file", mac, what, real);
	if (!identity)
		return bl_fail(-EINVAL, "client %s: %s %s has no recorded identity", mac, what, real);
	int r = bl_storage_identity_matches(real, identity);
	if (r < 0)
		return bl_fail(r, "client %s: %s", mac, bl_last_error());
	if (r == 0)
		return bl_fail(-ESTALE, "client %s: %s %s is not the file that was recorded (it "
			       "changed since; `linkctl doctor` says more)", mac, what, real);
	return 0;
}

int bl_link_check(const struct bl_config *cfg, const struct bl_link *l)
{
	const struct bl_client *c = &l->client;
	char mac[BL_MAC_LEN];

	if (bl_mac_parse(c->mac, mac) < 0 || strcmp(mac, c->mac) != 0)
		return bl_fail(-EINVAL, "client row #%lld: MAC '%.40s' is malformed",
			       (long long)c->id, c->mac);
	if (c->hostname && bl_hostname_check(c->hostname) < 0)
		return bl_fail(-EINVAL, "client %s: %s", c->mac, bl_last_error());
	if (c->ip && bl_ipv4_check(c->ip) < 0)
		return bl_fail(-EINVAL, "client %s: %s", c->mac, bl_last_error());
	if (!c->enabled)
		return 0;	/* nothing of it is served: its files do not matter */
	int r = file_check(l, "base image", l->base_path, cfg->image_dir, l->base_identity);
	for (size_t i = 0; r == 0 && i < l->n_chain; i++) {
		char what[32];
		snprintf(what, sizeof(what), "layer v%d", l->chain[i].number);
		r = file_check(l, what, l->chain[i].path, cfg->layer_dir, l->chain[i].identity);
	}
	return r;
}
