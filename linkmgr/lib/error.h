/* Error messages for libbllink.
 *
 * Functions return 0 (or a count) or a negative errno; when they fail they also leave a
 * human-readable message naming the object and the cause in a per-thread buffer, read with
 * bl_last_error(). The message stays valid until the next failing call on the same thread.
 */
#ifndef BL_ERROR_H
#define BL_ERROR_H

/* Records a message and returns err (a negative errno), so callers write
 * `return bl_fail(-EINVAL, "image '%s': ...", name);`. */
int bl_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The message of the last failure on this thread ("" if none). */
const char *bl_last_error(void);

#endif
