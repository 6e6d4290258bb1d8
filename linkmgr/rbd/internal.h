/* internal.h - what blrbd.c and opts.c share; not part of the library's interface (the unit tests
 * use it too). */
#ifndef BLRBD_INTERNAL_H
#define BLRBD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "blrbd.h"

/* Records a message for blrbd_error() and returns err (a negative errno). */
int blrbd_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Clears the message: a call that succeeds leaves "" behind. */
void blrbd_clear_error(void);
/* log2 of a valid object size. */
int blrbd_order(uint64_t object_size);
/* Is the buffer all zero bytes? */
bool blrbd_all_zero(const void *buf, size_t len);
/* The next run of pieces to write in buf[0, len), pieces being `piece` bytes long (the last may be
 * shorter): skips pieces that are all zero from *off, then returns the length of the run of
 * non-zero pieces that follows (0 when none is left), with *off at its start. */
size_t blrbd_next_data_run(const unsigned char *buf, size_t len, size_t piece, size_t *off);

#endif
