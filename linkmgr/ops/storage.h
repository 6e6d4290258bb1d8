/* storage.h - where a client's disk lives, behind a backend so that the plan only ever sees a
 * locator (the TCMU dev_config string) and a size. The file backend (storage-file.c) keeps one
 * overlay file per client, <overlay_dir>/<mac12>.ovl, on top of its image's layer chain; an RBD
 * backend would map the same calls to clones of snapshots.
 */
#ifndef BL_STORAGE_H
#define BL_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "devconfig.h"
#include "db.h"


struct bl_storage_loc {
	char dev_config[BL_DEVCONFIG_MAX + 1];	/* "bootlink/<locator>[;volatile]" */
	uint64_t size;				/* bytes */
};

/* The locator for l's disk; no side effect. vol: the handler resets the disk when it opens. */
int bl_storage_locate(const struct bl_config *cfg, const struct bl_link *l, bool vol,
		      struct bl_storage_loc *out);
/* Does l's disk exist? */
bool bl_storage_exists(const struct bl_config *cfg, const struct bl_link *l);
/* Creates l's disk on the image's current version, replacing an existing one (its data is
 * discarded): first link, reset, move to a new version. On success *version is the version it
 * now sits on. Errors name the client and the cause (bl_last_error()). */
int bl_storage_renew(const struct bl_config *cfg, const struct bl_link *l, int *version);
/* Re-checks a link's rows before root acts on them (linkcheck.c): the client's fields, and the
 * base image and layers inside their directories, regular, with the recorded identity.
 * Disabled clients only have their fields checked. 0 or -errno with a message naming the
 * client and the cause. */
int bl_link_check(const struct bl_config *cfg, const struct bl_link *l);
/* Bytes the disk occupies; -ENOENT (and 0) if it does not exist. */
int bl_storage_usage(const struct bl_config *cfg, const char *mac, uint64_t *bytes);

/* ---- what the operations (ops.h) do to images, layers and disks ---- */

#define BL_IDENTITY_MAX 64
/* Identity text and size of a base image or layer file. */
int bl_storage_identity(const char *path, char id[BL_IDENTITY_MAX], uint64_t *size);
/* Does path have the recorded identity? 1 same, 0 different, <0 error. */
int bl_storage_identity_matches(const char *path, const char *recorded);
/* Is a client's disk there? (by MAC: for operations that have no link at hand) */
bool bl_storage_disk_exists(const struct bl_config *cfg, const char *mac);
/* The resolved path of what a client's disk (or a layer file) sits on. */
int bl_storage_disk_backing(const struct bl_config *cfg, const char *mac, char out[PATH_MAX]);
int bl_storage_layer_backing(const char *layer, char out[PATH_MAX]);
/* Turns mac's disk into the read-only layer newlayer (the disk stays, empty, on top of it).
 * Idempotent: a previous run that already committed into newlayer succeeds without work. */
int bl_storage_commit(const struct bl_config *cfg, const char *mac, const char *newlayer);
/* Points a layer file, or mac's disk, at newbacking (identity checked). A missing disk or
 * layer is no error: *done says whether anything was changed. */
int bl_storage_rebase_layer(const char *layer, const char *newbacking, bool *done);
int bl_storage_rebase_disk(const struct bl_config *cfg, const char *mac, const char *newbacking,
			   bool *done);
/* Removes mac's disk (no error if there is none). */
int bl_storage_remove(const struct bl_config *cfg, const char *mac);

#endif
