/* Tests for handler/devconfig/devconfig.c: the config string LIO hands the bootlink handler,
 * written by linkmgr and parsed by the plugin with one set of rules. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "devconfig.h"

static void parses_path_with_and_without_subtype(void **state)
{
	struct bl_devconfig c;
	char err[256];

	(void)state;
	assert_int_equal(bl_devconfig_parse("bootlink//var/lib/bootlink/overlays/a.ovl", &c, err, sizeof err), 0);
	assert_string_equal(c.overlay, "/var/lib/bootlink/overlays/a.ovl");
	assert_false(c.is_volatile);
	assert_string_equal(c.backing, "");
	/* check_config receives the string without the subtype. */
	assert_int_equal(bl_devconfig_parse("/srv/o.ovl", &c, err, sizeof err), 0);
	assert_string_equal(c.overlay, "/srv/o.ovl");
}

static void parses_options(void **state)
{
	struct bl_devconfig c;
	char err[256];

	(void)state;
	assert_int_equal(bl_devconfig_parse("bootlink//o/x.ovl;volatile;backing=/srv/img/win10.img", &c, err,
				      sizeof err), 0);
	assert_string_equal(c.overlay, "/o/x.ovl");
	assert_true(c.is_volatile);
	assert_string_equal(c.backing, "/srv/img/win10.img");
}

static void expect_refused(const char *s, const char *needle)
{
	struct bl_devconfig c;
	char err[256] = "";

	assert_int_equal(bl_devconfig_parse(s, &c, err, sizeof err), -EINVAL);
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
	assert_int_equal(bl_devconfig_parse(NULL, &(struct bl_devconfig){0}, NULL, 0), -EINVAL);
}

static void refuses_overlong_path(void **state)
{
	static char s[PATH_MAX + 16];

	(void)state;
	s[0] = '/';
	memset(s + 1, 'a', PATH_MAX + 4);
	expect_refused(s, "longer than");
}

/* What the writer makes, the parser reads back; and the writer never makes what the kernel
 * would cut (a long overlay_dir used to drop ";volatile" off the end). */
static void writer_and_parser_agree(void **state)
{
	(void)state;
	char out[512], err[256];
	struct bl_devconfig c = { .overlay = "/var/lib/bootlink/overlays/525400abcdef.ovl",
				  .is_volatile = true }, back;
	assert_int_equal(bl_devconfig_format(&c, out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "bootlink//var/lib/bootlink/overlays/525400abcdef.ovl;volatile");
	assert_int_equal(bl_devconfig_parse(out, &back, err, sizeof(err)), 0);
	assert_string_equal(back.overlay, c.overlay);
	assert_true(back.is_volatile);
	snprintf(c.backing, sizeof(c.backing), "/srv/images/win10.img");
	assert_int_equal(bl_devconfig_format(&c, out, sizeof(out), err, sizeof(err)), 0);
	assert_int_equal(bl_devconfig_parse(out, &back, err, sizeof(err)), 0);
	assert_string_equal(back.backing, "/srv/images/win10.img");
	/* exactly the kernel's limit passes, one more byte is refused, naming the path */
	memset(&c, 0, sizeof(c));
	size_t room = BL_DEVCONFIG_MAX - strlen("bootlink/") - strlen(";volatile");
	c.overlay[0] = '/';
	memset(c.overlay + 1, 'd', room - 1);
	c.is_volatile = true;
	assert_int_equal(bl_devconfig_format(&c, out, sizeof(out), err, sizeof(err)), 0);
	assert_int_equal(strlen(out), BL_DEVCONFIG_MAX);
	c.overlay[room] = 'd';
	assert_int_equal(bl_devconfig_format(&c, out, sizeof(out), err, sizeof(err)), -ENAMETOOLONG);
	assert_non_null(strstr(err, "the kernel keeps 255"));
	assert_non_null(strstr(err, "/ddd"));
	/* and the same character rule as the parser */
	snprintf(c.overlay, sizeof(c.overlay), "/o,dev_size=1");
	assert_int_equal(bl_devconfig_format(&c, out, sizeof(out), err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "forbidden character"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_path_with_and_without_subtype),
		cmocka_unit_test(parses_options),
		cmocka_unit_test(refuses_bad_strings),
		cmocka_unit_test(refuses_overlong_path),
		cmocka_unit_test(writer_and_parser_agree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
