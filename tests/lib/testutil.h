/* testutil.h - helpers every C test may use (one copy, here). */
#ifndef BL_TESTUTIL_H
#define BL_TESTUTIL_H

#include <stdbool.h>

/* A new directory /tmp/<prefix>-XXXXXX into dir (64 bytes); aborts the test on failure. */
void bl_t_tmpdir(const char *prefix, char dir[64]);
/* Removes a tree (nftw, no shell); 0 or -errno. */
int bl_t_rmrf(const char *dir);
/* The whole file as a string (malloc'd), NULL if it cannot be read. */
char *bl_t_slurp(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Does the path exist (lstat: a dangling symlink counts)? */
bool bl_t_exists(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
