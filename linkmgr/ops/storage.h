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
/* Bytes the disk occupies (0 if it does not exist). */
int bl_storage_usage(const struct bl_config *cfg, const char *mac, uint64_t *bytes);

#endif
