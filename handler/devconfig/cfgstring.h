/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The handler's config string: what follows "dev_config=bootlink/" in a TCMU backstore's control
 * file (doc/handler.md). Form: an absolute overlay path, then options separated by ';':
 *   /var/lib/bootlink/overlays/525400123456.ovl;volatile;backing=/srv/images/win10.img
 *   volatile         reset the overlay (drop every write) each time the device opens
 *   backing=PATH     the layer below the overlay lives at PATH now (its identity must match)
 * configfs splits its control file on ',' and '=' and TCMU keeps at most 255 bytes, so paths
 * must not contain ',', ';', whitespace, quotes, backslashes or control characters.
 */
#ifndef BOOTLINK_CFGSTRING_H
#define BOOTLINK_CFGSTRING_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define BL_HANDLER_SUBTYPE "bootlink"

struct bl_cfg {
	char overlay[PATH_MAX];
	char backing[PATH_MAX]; /* empty: the path recorded in the overlay */
	bool is_volatile;
};

/* Parse `s`, with or without the "bootlink/" prefix. Returns 0 or -EINVAL with a message in
 * `err` that names the offending part. */
int bl_cfg_parse(const char *s, struct bl_cfg *out, char *err, size_t errlen);

#endif
