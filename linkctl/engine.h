/* linkctl's uses of the copy-on-write engine (libblcow), in one place. Each returns 0 or a
 * negative errno with the engine's message in bl_last_error(). */
#ifndef LC_ENGINE_H
#define LC_ENGINE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define ENG_IDENTITY_MAX 64

/* Identity text and size of a base image or layer file. */
int eng_identity(const char *path, char id[ENG_IDENTITY_MAX], uint64_t *size);
/* Identity of path equals the recorded text: 1 same, 0 different, <0 error. */
int eng_identity_matches(const char *path, const char *recorded);
/* Resolved path of the file directly below file in its chain (its backing). */
int eng_backing(const char *file, char out[PATH_MAX]);
/* Turns overlay into the read-only layer newlayer (the overlay stays, empty, on top of it).
 * Idempotent: if a previous run already committed into newlayer, succeeds without work. */
int eng_commit(const char *overlay, const char *newlayer);
/* Points file at newbacking if newbacking has the identity file recorded for its backing. */
int eng_rebase(const char *file, const char *newbacking);

#endif
