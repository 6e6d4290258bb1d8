/* libbllink internals shared with the unit tests (not for linkctl/linkmgr). */
#ifndef BL_DB_INTERNAL_H
#define BL_DB_INTERNAL_H

#include <sqlite3.h>

/* Applies the schema migrations above the file's user_version up to target, in one
 * transaction. Lets tests build a database as an older release left it. */
int bl_db_migrate_to(sqlite3 *h, const char *path, int target);
/* The raw handle (tests only: nothing outside libbllink speaks SQL). */
struct bl_db;
struct sqlite3 *bl_db_handle(struct bl_db *db);

#endif
