/* db-event.c - the event log (see db.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "db-private.h"
#include "error.h"
#include "names.h"

/* ---- events ---- */

int bl_db_log_event(struct bl_db *db, const char *object, const char *fmt, ...)
{
	sqlite3_stmt *st;
	char *msg;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		return bl_fail(-ENOMEM, "out of memory");
	if ((r = db_tx_begin(db)) < 0) {
		free(msg);
		return r;
	}
	if ((r = db_prep(db, &st, "INSERT INTO events (ts, object, message) VALUES (?, ?, ?)")) == 0) {
		sqlite3_bind_int64(st, 1, time(NULL));
		db_bind_text(st, 2, object);
		db_bind_text(st, 3, msg);
		r = db_step_done(db, st, "logging an event");
	}
	free(msg);
	return db_tx_end(db, r < 0 ? r : 0);
}

static int event_row(sqlite3_stmt *st, void *e)
{
	struct bl_event *ev = e;

	ev->id = sqlite3_column_int64(st, 0);
	ev->ts = sqlite3_column_int64(st, 1);
	ev->object = db_col_str(st, 2);
	ev->message = db_col_str(st, 3);
	return ev->object && ev->message ? 0 : -ENOMEM;
}

static void event_clear(void *p)
{
	struct bl_event *ev = p;
	free(ev->object);
	free(ev->message);
}

void bl_events_free(struct bl_event *ev, size_t n)
{
	for (size_t i = 0; i < n; i++)
		event_clear(&ev[i]);
	free(ev);
}

int bl_db_list_events(struct bl_db *db, size_t limit, struct bl_event **out, size_t *n)
{
	return db_list_rows(db, "SELECT id, ts, object, message FROM events ORDER BY id DESC LIMIT ?",
			 KEY_NUM(limit ? (int64_t)limit : -1), sizeof(**out), event_row,
			 event_clear, (void **)out, n, "listing events");
}
