/* Tests for handler/cfgstring.c: the config string LIO hands the bootlink handler. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cfgstring.h"

static void parses_path_with_and_without_subtype(void **state)
{
	struct bl_cfg c;
	char err[256];

	(void)state;
	assert_int_equal(bl_cfg_parse("bootlink//var/lib/bootlink/overlays/a.ovl", &c, err, sizeof err), 0);
	assert_string_equal(c.overlay, "/var/lib/bootlink/overlays/a.ovl");
	assert_false(c.is_volatile);
	assert_string_equal(c.backing, "");
	/* check_config receives the string without the subtype. */
	assert_int_equal(bl_cfg_parse("/srv/o.ovl", &c, err, sizeof err), 0);
	assert_string_equal(c.overlay, "/srv/o.ovl");
}

static void parses_options(void **state)
{
	struct bl_cfg c;
	char err[256];

	(void)state;
	assert_int_equal(bl_cfg_parse("bootlink//o/x.ovl;volatile;backing=/srv/img/win10.img", &c, err,
				      sizeof err), 0);
	assert_string_equal(c.overlay, "/o/x.ovl");
	assert_true(c.is_volatile);
	assert_string_equal(c.backing, "/srv/img/win10.img");
}

static void expect_refused(const char *s, const char *needle)
{
	struct bl_cfg c;
	char err[256] = "";

	assert_int_equal(bl_cfg_parse(s, &c, err, sizeof err), -EINVAL);
	if (!strstr(err, needle))
		fail_msg("config '%s': message '%s' does not mention '%s'", s, err, needle);
}

static void refuses_bad_strings(void **state)
{
	(void)state;
	expect_refused("bootlink/relative.ovl", "not an absolute path");
	expect_refused("bootlink/", "not an absolute path");
	expect_refused("", "not an absolute path");
	expect_refused("bootlink//a b.ovl", "forbidden character");
	expect_refused("bootlink//a\nb.ovl", "forbidden character");
	expect_refused("bootlink//a,dev_size=1", "forbidden character");
	expect_refused("bootlink//a\"b", "forbidden character");
	expect_refused("bootlink//o.ovl;volatil", "unknown option 'volatil'");
	expect_refused("bootlink//o.ovl;backing=rel", "backing path 'rel' is not an absolute path");
	expect_refused("bootlink//o.ovl;", "unknown option ''");
	assert_int_equal(bl_cfg_parse(NULL, &(struct bl_cfg){0}, NULL, 0), -EINVAL);
}

static void refuses_overlong_path(void **state)
{
	static char s[PATH_MAX + 16];

	(void)state;
	s[0] = '/';
	memset(s + 1, 'a', PATH_MAX + 4);
	expect_refused(s, "longer than");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_path_with_and_without_subtype),
		cmocka_unit_test(parses_options),
		cmocka_unit_test(refuses_bad_strings),
		cmocka_unit_test(refuses_overlong_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
