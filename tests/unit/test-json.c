#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"

static void nested_document(void **state)
{
	struct bl_json j;
	(void)state;

	bl_json_init(&j);
	bl_json_obj(&j);
	bl_json_kv_str(&j, "name", "win10");
	bl_json_kv_int(&j, "n", -3);
	bl_json_kv_uint(&j, "size", UINT64_MAX);
	bl_json_kv_bool(&j, "ok", true);
	bl_json_key(&j, "list");
	bl_json_arr(&j);
	bl_json_int(&j, 1);
	bl_json_str(&j, NULL);
	bl_json_obj(&j);
	bl_json_end(&j);
	bl_json_arr(&j);
	bl_json_end(&j);
	bl_json_end(&j);
	bl_json_key(&j, "raw");
	bl_json_raw(&j, "{\"a\":1}");
	bl_json_end(&j);
	char *s = bl_json_finish(&j);
	assert_non_null(s);
	assert_string_equal(s, "{\"name\":\"win10\",\"n\":-3,\"size\":18446744073709551615,"
			    "\"ok\":true,\"list\":[1,null,{},[]],\"raw\":{\"a\":1}}");
	free(s);
}

static void escaping(void **state)
{
	(void)state;
	char *s = bl_json_quoted("a\"b\\c\nd\re\tf\x01g\x7fh\xc3\xa9");
	assert_non_null(s);
	assert_string_equal(s, "\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u007fh\xc3\xa9\"");
	free(s);
}

static void misuse_fails(void **state)
{
	struct bl_json j;
	(void)state;

	/* unclosed */
	bl_json_init(&j);
	bl_json_obj(&j);
	assert_null(bl_json_finish(&j));
	/* value without key inside an object */
	bl_json_init(&j);
	bl_json_arr(&j);
	bl_json_key(&j, "x");
	bl_json_end(&j);
	assert_null(bl_json_finish(&j));
	/* key with no value */
	bl_json_init(&j);
	bl_json_obj(&j);
	bl_json_key(&j, "x");
	bl_json_end(&j);
	assert_null(bl_json_finish(&j));
	/* two top-level values */
	bl_json_init(&j);
	bl_json_int(&j, 1);
	bl_json_int(&j, 2);
	assert_null(bl_json_finish(&j));
	/* too deep */
	bl_json_init(&j);
	for (int i = 0; i <= BL_JSON_MAX_DEPTH; i++)
		bl_json_arr(&j);
	assert_null(bl_json_finish(&j));
	/* end with nothing open */
	bl_json_init(&j);
	bl_json_end(&j);
	assert_null(bl_json_finish(&j));
}

static void large_document(void **state)
{
	struct bl_json j;
	(void)state;

	bl_json_init(&j);
	bl_json_arr(&j);
	for (int i = 0; i < 10000; i++)
		bl_json_int(&j, i);
	bl_json_end(&j);
	char *s = bl_json_finish(&j);
	assert_non_null(s);
	assert_true(strncmp(s, "[0,1,2,", 7) == 0);
	assert_non_null(strstr(s, ",9999]"));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nested_document),
		cmocka_unit_test(escaping),
		cmocka_unit_test(misuse_fails),
		cmocka_unit_test(large_document),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
