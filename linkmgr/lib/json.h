/* A small JSON writer (no parser): builds one document in a growing buffer.
 *
 * Commas and key/value separators are placed automatically, strings are escaped (control
 * characters as \uXXXX, '"' and '\\' escaped, bytes >= 0x80 passed through as UTF-8).
 * Allocation failures are sticky: bl_json_finish() then returns NULL.
 *
 *	struct bl_json j; bl_json_init(&j);
 *	bl_json_obj(&j); bl_json_kv_str(&j, "name", name); bl_json_end(&j);
 *	char *text = bl_json_finish(&j);	// caller frees
 */
#ifndef BL_JSON_H
#define BL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BL_JSON_MAX_DEPTH 32

struct bl_json {
	char *buf;
	size_t len, cap;
	int depth;
	bool first[BL_JSON_MAX_DEPTH];	/* nothing written yet at this level */
	char closer[BL_JSON_MAX_DEPTH];	/* '}' or ']' */
	bool after_key;
	bool failed;
};

void bl_json_init(struct bl_json *j);
/* Returns the document (NUL-terminated, caller frees) or NULL after a failure/misuse. */
char *bl_json_finish(struct bl_json *j);

void bl_json_obj(struct bl_json *j);	/* { */
void bl_json_arr(struct bl_json *j);	/* [ */
void bl_json_end(struct bl_json *j);	/* closes the innermost { or [ */
void bl_json_key(struct bl_json *j, const char *key);
void bl_json_str(struct bl_json *j, const char *s);	/* NULL -> null */
void bl_json_int(struct bl_json *j, int64_t v);
void bl_json_uint(struct bl_json *j, uint64_t v);
void bl_json_bool(struct bl_json *j, bool v);
void bl_json_null(struct bl_json *j);
/* Inserts already-valid JSON text as one value (e.g. a reply from linkmgr). */
void bl_json_raw(struct bl_json *j, const char *json);

/* key + value shorthands */
void bl_json_kv_str(struct bl_json *j, const char *key, const char *s);
void bl_json_kv_int(struct bl_json *j, const char *key, int64_t v);
void bl_json_kv_uint(struct bl_json *j, const char *key, uint64_t v);
void bl_json_kv_bool(struct bl_json *j, const char *key, bool v);

/* s as a quoted, escaped JSON string (caller frees), NULL on allocation failure.
 * For code that formats lines itself (e.g. the control socket's replies). */
char *bl_json_quoted(const char *s);

#endif
