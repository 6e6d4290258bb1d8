/* ops-internal.h - helpers shared by the operations (not part of ops.h). */
#ifndef BL_OPS_INTERNAL_H
#define BL_OPS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ops.h"

/* o->object, printf-style. */
void ops_done(struct bl_ops *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* o->what, printf-style; ops_add appends. */
void ops_say(struct bl_ops *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ops_add(struct bl_ops *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Records o->what about o->object in the event log; 0 (a failed log is only a warning). */
int ops_logged(struct bl_ops *o);
/* o->online, or -1 without one. */
int ops_online(struct bl_ops *o, const char *mac);

#endif
