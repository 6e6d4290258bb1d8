/* files.h - small helpers for the files linkmgr generates. */
#ifndef BL_FILES_H
#define BL_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* Replaces path with content only if it differs: writes "<path>.tmp" and renames it, so a
 * reader (dnsmasq, the TFTP server) sees the old or the new file, never a torn one. Not
 * fsync'ed: for regenerated files only (see files.c).
 * Returns 1 if the file was written, 0 if it already had this content, or a negative errno. */
int bl_write_if_changed(const char *path, const void *content, size_t len, mode_t mode);

/* Copies src over dst the same way (used for the iPXE boot files). */
int bl_copy_if_changed(const char *src, const char *dst, mode_t mode);

/* Makes dst a hard link of src (same inode), through "<dst>.tmp" and a rename; 1 if it
 * changed, 0 if it already was, or a negative errno. For the per-client TFTP roots: every
 * client's copy of the boot files costs a directory entry, not a megabyte. */
int bl_link_if_changed(const char *src, const char *dst);

/* True if every byte of s is an ASCII letter, digit or one of `extra` (and s is not empty).
 * The renderers use it as their last line of defence: text that reaches dnsmasq or iPXE files
 * has been validated already, and anything outside these sets is refused, never escaped. */
bool bl_chars_ok(const char *s, const char *extra);

/* Closes an open_memstream() FILE: 0 and *out = *buf, or -ENOMEM (buffer freed). */
int bl_text_finish(FILE *f, char **buf, char **out);

#endif
