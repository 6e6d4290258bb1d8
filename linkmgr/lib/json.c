#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static void put(struct bl_json *j, const char *s, size_t n)
{
	if (j->failed)
		return;
	if (j->len + n + 1 > j->cap) {
		size_t cap = j->cap ? j->cap : 256;
		while (cap < j->len + n + 1)
			cap *= 2;
		char *b = realloc(j->buf, cap);
		if (!b) {
			j->failed = true;
			return;
		}
		j->buf = b;
		j->cap = cap;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static void puts_(struct bl_json *j, const char *s)
{
	put(j, s, strlen(s));
}

/* Escapes s into j (with quotes). */
static void put_string(struct bl_json *j, const char *s)
{
	put(j, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[8];
		switch (*p) {
		case '"': puts_(j, "\\\""); break;
		case '\\': puts_(j, "\\\\"); break;
		case '\n': puts_(j, "\\n"); break;
		case '\r': puts_(j, "\\r"); break;
		case '\t': puts_(j, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				snprintf(esc, sizeof(esc), "\\u%04x", *p);
				puts_(j, esc);
			} else {
				put(j, (const char *)p, 1);
			}
		}
	}
	put(j, "\"", 1);
}

/* Separator before a value (or a key) at the current level. */
static void before_value(struct bl_json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth > 0) {
		if (!j->first[j->depth - 1])
			put(j, ",", 1);
		j->first[j->depth - 1] = false;
	} else if (j->len > 0) {
		j->failed = true;	/* a second top-level value */
	}
}

void bl_json_init(struct bl_json *j)
{
	memset(j, 0, sizeof(*j));
}

char *bl_json_finish(struct bl_json *j)
{
	char *out = NULL;

	if (!j->failed && j->depth == 0 && !j->after_key && j->buf)
		out = j->buf;
	else
		free(j->buf);
	memset(j, 0, sizeof(*j));
	return out;
}

static void open_(struct bl_json *j, const char *c, char closer)
{
	before_value(j);
	if (j->depth >= BL_JSON_MAX_DEPTH) {
		j->failed = true;
		return;
	}
	puts_(j, c);
	j->closer[j->depth] = closer;
	j->first[j->depth++] = true;
}

void bl_json_obj(struct bl_json *j) { open_(j, "{", '}'); }
void bl_json_arr(struct bl_json *j) { open_(j, "[", ']'); }

void bl_json_end(struct bl_json *j)
{
	if (j->depth == 0 || j->after_key) {
		j->failed = true;
		return;
	}
	j->depth--;
	put(j, &j->closer[j->depth], 1);
}

void bl_json_key(struct bl_json *j, const char *key)
{
	if (j->depth == 0 || j->closer[j->depth - 1] != '}' || j->after_key) {
		j->failed = true;
		return;
	}
	before_value(j);
	put_string(j, key);
	put(j, ":", 1);
	j->after_key = true;
}

void bl_json_str(struct bl_json *j, const char *s)
{
	if (!s) {
		bl_json_null(j);
		return;
	}
	before_value(j);
	put_string(j, s);
}

void bl_json_int(struct bl_json *j, int64_t v)
{
	char b[32];

	before_value(j);
	snprintf(b, sizeof(b), "%" PRId64, v);
	puts_(j, b);
}

void bl_json_uint(struct bl_json *j, uint64_t v)
{
	char b[32];

	before_value(j);
	snprintf(b, sizeof(b), "%" PRIu64, v);
	puts_(j, b);
}

void bl_json_bool(struct bl_json *j, bool v)
{
	before_value(j);
	puts_(j, v ? "true" : "false");
}

void bl_json_null(struct bl_json *j)
{
	before_value(j);
	puts_(j, "null");
}

void bl_json_raw(struct bl_json *j, const char *json)
{
	before_value(j);
	puts_(j, json);
}

void bl_json_kv_str(struct bl_json *j, const char *key, const char *s)
{
	bl_json_key(j, key);
	bl_json_str(j, s);
}

void bl_json_kv_int(struct bl_json *j, const char *key, int64_t v)
{
	bl_json_key(j, key);
	bl_json_int(j, v);
}

void bl_json_kv_uint(struct bl_json *j, const char *key, uint64_t v)
{
	bl_json_key(j, key);
	bl_json_uint(j, v);
}

void bl_json_kv_bool(struct bl_json *j, const char *key, bool v)
{
	bl_json_key(j, key);
	bl_json_bool(j, v);
}

char *bl_json_quoted(const char *s)
{
	struct bl_json j;

	bl_json_init(&j);
	bl_json_str(&j, s);
	return bl_json_finish(&j);
}
