/* A small JSON reader for linkmgr's control-socket replies: parses one document into a tree.
 * Strict (RFC 8259 syntax, depth limit); numbers kept as double and as text. */
#ifndef BL_JSON_READ_H
#define BL_JSON_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum jv_type { JV_NULL, JV_BOOL, JV_NUM, JV_STR, JV_ARR, JV_OBJ };

struct jv {
	enum jv_type type;
	bool b;
	double num;
	char *str;		/* JV_STR value */
	char *key;		/* member name when inside an object */
	struct jv *items;	/* JV_ARR / JV_OBJ children */
	size_t n;
};

/* Returns NULL on a syntax error or allocation failure. */
struct jv *jv_parse(const char *text);
void jv_free(struct jv *v);
/* Member of an object (NULL if v is not an object or has no such key). */
const struct jv *jv_get(const struct jv *v, const char *key);
/* Typed accessors with a default when missing or of another type. */
const char *jv_str(const struct jv *v, const char *key, const char *def);
int64_t jv_int(const struct jv *v, const char *key, int64_t def);
bool jv_bool(const struct jv *v, const char *key, bool def);

#endif
