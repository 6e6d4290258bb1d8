#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "json-read.h"

#define MAX_DEPTH 64

struct p {
	const char *s;
	int depth;
};

static void ws(struct p *p)
{
	while (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r')
		p->s++;
}

static void clear(struct jv *v)
{
	free(v->str);
	free(v->key);
	for (size_t i = 0; i < v->n; i++)
		clear(&v->items[i]);
	free(v->items);
}

static int put_utf8(char **o, unsigned cp)
{
	char *d = *o;
	if (cp < 0x80) {
		*d++ = (char)cp;
	} else if (cp < 0x800) {
		*d++ = (char)(0xc0 | cp >> 6);
		*d++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*d++ = (char)(0xe0 | cp >> 12);
		*d++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*d++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*d++ = (char)(0xf0 | cp >> 18);
		*d++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*d++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*d++ = (char)(0x80 | (cp & 0x3f));
	}
	*o = d;
	return 0;
}

static int hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		int c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* The decoded string is never longer than its escaped form. */
static char *string(struct p *p)
{
	const char *s = p->s + 1;
	size_t max = 0;

	while (s[max] && s[max] != '"')
		max += s[max] == '\\' && s[max + 1] ? 2 : 1;
	if (s[max] != '"')
		return NULL;
	char *out = malloc(max + 1), *o = out;
	if (!out)
		return NULL;
	while (*s != '"') {
		unsigned char c = (unsigned char)*s++;
		if (c < 0x20)
			goto bad;
		if (c != '\\') {
			*o++ = (char)c;
			continue;
		}
		c = (unsigned char)*s++;
		switch (c) {
		case '"': case '\\': case '/': *o++ = (char)c; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			unsigned cp, lo;
			if (hex4(s, &cp) < 0)
				goto bad;
			s += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && s[0] == '\\' && s[1] == 'u' &&
			    hex4(s + 2, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				s += 6;
			}
			if (cp == 0)
				goto bad;	/* would truncate the C string */
			put_utf8(&o, cp);
			break;
		}
		default:
			goto bad;
		}
	}
	*o = '\0';
	p->s = s + 1;
	return out;
bad:
	free(out);
	return NULL;
}

static int value(struct p *p, struct jv *v);

static int members(struct p *p, struct jv *v, bool obj)
{
	char close = obj ? '}' : ']';
	size_t cap = 0;

	if (++p->depth > MAX_DEPTH)
		return -1;
	p->s++;
	ws(p);
	if (*p->s == close) {
		p->s++;
		p->depth--;
		return 0;
	}
	for (;;) {
		if (v->n == cap) {
			cap = cap ? cap * 2 : 8;
			struct jv *n = realloc(v->items, cap * sizeof(*n));
			if (!n)
				return -1;
			v->items = n;
		}
		struct jv *e = &v->items[v->n];
		memset(e, 0, sizeof(*e));
		v->n++;
		ws(p);
		if (obj) {
			if (*p->s != '"' || !(e->key = string(p)))
				return -1;
			ws(p);
			if (*p->s++ != ':')
				return -1;
		}
		if (value(p, e) < 0)
			return -1;
		ws(p);
		if (*p->s == ',') {
			p->s++;
			continue;
		}
		if (*p->s++ != close)
			return -1;
		p->depth--;
		return 0;
	}
}

static int value(struct p *p, struct jv *v)
{
	ws(p);
	switch (*p->s) {
	case '{':
		v->type = JV_OBJ;
		return members(p, v, true);
	case '[':
		v->type = JV_ARR;
		return members(p, v, false);
	case '"':
		v->type = JV_STR;
		return (v->str = string(p)) ? 0 : -1;
	case 't':
		v->type = JV_BOOL;
		v->b = true;
		return strncmp(p->s, "true", 4) ? -1 : (p->s += 4, 0);
	case 'f':
		v->type = JV_BOOL;
		return strncmp(p->s, "false", 5) ? -1 : (p->s += 5, 0);
	case 'n':
		v->type = JV_NULL;
		return strncmp(p->s, "null", 4) ? -1 : (p->s += 4, 0);
	default: {
		const char *s = p->s;
		if (*s == '-')
			s++;
		if (!isdigit((unsigned char)*s) || (s[0] == '0' && isdigit((unsigned char)s[1])))
			return -1;
		char *end;
		v->type = JV_NUM;
		v->num = strtod(p->s, &end);
		if (end == p->s)
			return -1;
		p->s = end;
		return 0;
	}
	}
}

struct jv *jv_parse(const char *text)
{
	struct p p = { .s = text };
	struct jv *v = calloc(1, sizeof(*v));

	if (!v || !text)
		goto bad;
	if (value(&p, v) < 0)
		goto bad;
	ws(&p);
	if (*p.s)
		goto bad;
	return v;
bad:
	jv_free(v);
	return NULL;
}

void jv_free(struct jv *v)
{
	if (!v)
		return;
	clear(v);
	free(v);
}

const struct jv *jv_get(const struct jv *v, const char *key)
{
	if (!v || v->type != JV_OBJ)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->items[i].key, key))
			return &v->items[i];
	return NULL;
}

const char *jv_str(const struct jv *v, const char *key, const char *def)
{
	const struct jv *m = jv_get(v, key);
	return m && m->type == JV_STR ? m->str : def;
}

int64_t jv_int(const struct jv *v, const char *key, int64_t def)
{
	const struct jv *m = jv_get(v, key);
	return m && m->type == JV_NUM ? (int64_t)m->num : def;
}

bool jv_bool(const struct jv *v, const char *key, bool def)
{
	const struct jv *m = jv_get(v, key);
	return m && m->type == JV_BOOL ? m->b : def;
}
