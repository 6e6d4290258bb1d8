#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "json-read.h"

static void parses_a_status_reply(void **state)
{
	(void)state;
	struct jv *v = jv_parse(" {\"ok\":true,\"server\":\"10.0.0.1\",\"n\":-12.5e1,\"clients\":"
				"[{\"mac\":\"52:54:00:00:00:01\",\"online\":false,\"read_mb\":7},"
				"null,[],{}],\"s\":\"a\\\"b\\\\c\\n\\u00e9\\ud83d\\ude00\"} ");
	assert_non_null(v);
	assert_true(jv_bool(v, "ok", false));
	assert_string_equal(jv_str(v, "server", ""), "10.0.0.1");
	assert_int_equal(jv_int(v, "n", 0), -125);
	const struct jv *cl = jv_get(v, "clients");
	assert_non_null(cl);
	assert_int_equal(cl->type, JV_ARR);
	assert_int_equal(cl->n, 4);
	assert_string_equal(jv_str(&cl->items[0], "mac", ""), "52:54:00:00:00:01");
	assert_false(jv_bool(&cl->items[0], "online", true));
	assert_int_equal(jv_int(&cl->items[0], "read_mb", 0), 7);
	assert_int_equal(cl->items[1].type, JV_NULL);
	assert_string_equal(jv_str(v, "s", ""), "a\"b\\c\n\xc3\xa9\xf0\x9f\x98\x80");
	/* defaults for missing or mistyped members */
	assert_string_equal(jv_str(v, "nope", "def"), "def");
	assert_int_equal(jv_int(v, "server", 42), 42);
	assert_true(jv_bool(NULL, "x", true));
	jv_free(v);
}

static void refuses_malformed(void **state)
{
	static const char *const bad[] = { "", "{", "}", "{\"a\"}", "{\"a\":}", "[1,]", "[1 2]",
		"{\"a\":1,}", "tru", "nul", "01", "-", "\"abc", "\"a\\x\"", "\"a\nb\"",
		"{\"a\":1} x", "\"\\u0000\"", "\"\\u12\"", "{1:2}", "[" };
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct jv *v = jv_parse(bad[i]);
		if (v)
			fail_msg("accepted '%s'", bad[i]);
	}
	assert_null(jv_parse(NULL));
	/* nesting bomb */
	char deep[300];
	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	assert_null(jv_parse(deep));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_a_status_reply),
		cmocka_unit_test(refuses_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
