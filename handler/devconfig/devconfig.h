/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devconfig.h - the TCMU dev_config string of a bootlink backstore, written by linkmgr's storage
 * backend and parsed by the tcmu-runner plugin with the same rules (doc/handler.md):
 *   bootlink/<overlay path>[;volatile][;backing=<path>]
 *   volatile         reset the overlay (drop every write) each time the device opens
 *   backing=PATH     the layer below the overlay lives at PATH now (its identity must match)
 * configfs splits a control file on ',' and '=', and the kernel keeps at most
 * BL_DEVCONFIG_MAX bytes of it (TCMU_CONFIG_LEN less its NUL), silently cutting the rest, so
 * paths must not contain ',', ';', whitespace, quotes, backslashes or control characters, and
 * the writer refuses a string the kernel would cut. No dependency but libc: the plugin links it.
 */
#ifndef BL_DEVCONFIG_H
#define BL_DEVCONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define BL_DEVCONFIG_SUBTYPE "bootlink"
#define BL_DEVCONFIG_MAX 255

struct bl_devconfig {
	char overlay[PATH_MAX];
	char backing[PATH_MAX]; /* empty: the path recorded in the overlay */
	bool is_volatile;
};

/* Parses s, with or without the "bootlink/" prefix. Returns 0 or -EINVAL with a message in
 * err that names the offending part. */
int bl_devconfig_parse(const char *s, struct bl_devconfig *out, char *err, size_t errlen);
/* Writes the whole string (with "bootlink/") into out. -EINVAL for a path the parser would
 * refuse, -ENAMETOOLONG for a string longer than BL_DEVCONFIG_MAX (the message names the
 * overlay path and the length), both with a message in err. */
int bl_devconfig_format(const struct bl_devconfig *c, char *out, size_t len, char *err,
			size_t errlen);

#endif
