#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "error.h"
#include "validate.h"
#include "testutil.h"

/* Inputs that must never pass any name/host/path check: they would break out of dnsmasq
 * lines, iPXE scripts, shell commands or configfs strings. */
static const char *const hostile[] = {
	"a\nb", "a\rb", "a b", "a\tb", "a\"b", "a'b", "a`b", "a$b", "a;b", "a,b", "a=b",
	"a\\b", "a|b", "a&b", "a>b", "a<b", "a#b", "a/b", "a*b", "$(reboot)", "`id`", "a\x01",
	"a\x7f", "\xc3\xa9", "set x=1", "tag:foo", "",
};

static void mac_spellings(void **state)
{
	char out[BL_MAC_LEN];
	static const char *const ok[] = { "52:54:00:12:34:56", "52-54-00-12-34-56",
		"5254.0012.3456", "525400123456", "52:54:00:12:34:5A", "52:54:00:12:34:5a",
		"5254.0012.345A" };
	(void)state;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(bl_mac_parse(ok[i], out), 0);
		assert_true(!strncmp(out, "52:54:00:12:34:5", 16));
	}
	assert_int_equal(bl_mac_parse("AB:BB:CC:DD:EE:FF", out), -EINVAL);	/* multicast bit */
	assert_int_equal(bl_mac_parse("AC:BB:CC:DD:EE:FF", out), 0);
	assert_string_equal(out, "ac:bb:cc:dd:ee:ff");
	char m12[BL_MAC12_LEN];
	bl_mac12(out, m12);
	assert_string_equal(m12, "acbbccddeeff");
}

static void mac_refusals(void **state)
{
	char out[BL_MAC_LEN];
	static const char *const bad[] = { "", "52:54:00:12:34", "52:54:00:12:34:56:78",
		"52:54-00:12:34:56", "52:54:00:12:34:5g", "5254.0012.34567", "5254-0012-3456",
		"52540012345", "5254001234567", "00:00:00:00:00:00", "01:00:5e:00:00:01",
		"52:54:00:12:34:56\n", " 52:54:00:12:34:56", "52::54:00:12:34:56", "52:54:00:12:3:456",
		"52.54.00.12.34.56", "g2:54:00:12:34:56", "525400123456;reboot" };
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(bl_mac_parse(bad[i], out), -EINVAL);
		assert_non_null(strstr(bl_last_error(), "MAC"));
		assert_null(strchr(bl_last_error(), '\n'));	/* shown escaped */
	}
	assert_int_equal(bl_mac_parse(NULL, out), -EINVAL);
}

static void hostnames(void **state)
{
	char big[300];
	(void)state;

	assert_int_equal(bl_hostname_check("pc01"), 0);
	assert_int_equal(bl_hostname_check("pc-01.lab.example"), 0);
	assert_int_equal(bl_hostname_check("1pc"), 0);
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
		assert_int_equal(bl_hostname_check(hostile[i]), -EINVAL);
	static const char *const bad[] = { "-pc", "pc-", "pc..lab", ".pc", "pc.", "PC01", "pc_01" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(bl_hostname_check(bad[i]), -EINVAL);
	memset(big, 'a', 64);
	big[64] = '\0';
	assert_int_equal(bl_hostname_check(big), -EINVAL);	/* label of 64 */
	big[63] = '\0';
	assert_int_equal(bl_hostname_check(big), 0);
	for (int i = 0; i < 299; i++)
		big[i] = i % 2 ? '.' : 'a';
	big[299] = '\0';
	assert_int_equal(bl_hostname_check(big), -EINVAL);	/* > 253 */
	assert_true(strlen(bl_last_error()) < 200);	/* long input truncated in message */
}

static void image_names(void **state)
{
	char big[80];
	(void)state;

	assert_int_equal(bl_image_name_check("win10"), 0);
	assert_int_equal(bl_image_name_check("Win10_22H2-x64.v2"), 0);
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
		assert_int_equal(bl_image_name_check(hostile[i]), -EINVAL);
	assert_int_equal(bl_image_name_check(".hidden"), -EINVAL);
	assert_int_equal(bl_image_name_check("-x"), -EINVAL);
	assert_int_equal(bl_image_name_check(".."), -EINVAL);
	memset(big, 'a', 65);
	big[65] = '\0';
	assert_int_equal(bl_image_name_check(big), -EINVAL);
	big[64] = '\0';
	assert_int_equal(bl_image_name_check(big), 0);
}

static void ipv4(void **state)
{
	(void)state;
	assert_int_equal(bl_ipv4_check("192.168.1.10"), 0);
	assert_int_equal(bl_ipv4_check("10.0.0.1"), 0);
	static const char *const bad[] = { "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4",
		"1.2.3.4 ", "1.2.3.4\n", "a.b.c.d", "0.0.0.0", "255.255.255.255", "1..2.3",
		"1.2.3.-4", "1.2.3.4/24", "1234.1.1.1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(bl_ipv4_check(bad[i]), -EINVAL);
	assert_int_equal(bl_ipv4_cidr_check("192.168.1.0/24"), 0);
	assert_int_equal(bl_ipv4_cidr_check("192.168.1.0/33"), -EINVAL);
	assert_int_equal(bl_ipv4_cidr_check("192.168.1.0/"), -EINVAL);
	assert_int_equal(bl_ipv4_cidr_check("192.168.1.0/024"), -EINVAL);
	assert_int_equal(bl_ipv4_cidr_check("192.168.1.0"), -EINVAL);
}

static void paths_lexical(void **state)
{
	(void)state;
	assert_int_equal(bl_path_check("image file", "/srv/img/win10.img"), 0);
	assert_int_equal(bl_path_check("image file", "/"), 0);
	static const char *const bad[] = { "", "rel/path", "/a/../b", "/a/./b", "/a//b", "/a/",
		"/a/..", "/a b", "/a,b", "/a;b", "/a=b", "/a\"b", "/a'b", "/a\\b", "/a\nb",
		"/a$b", "/a`b", "/a\x01" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(bl_path_check("image file", bad[i]), -EINVAL);
		assert_non_null(strstr(bl_last_error(), "image file"));
	}
	char out[PATH_MAX];
	assert_int_equal(bl_path_absolute("/a/./b/../c//d/", out), 0);
	assert_string_equal(out, "/a/c/d");
	assert_int_equal(bl_path_absolute("/../..", out), 0);
	assert_string_equal(out, "/");
	char *big = malloc(PATH_MAX + 10);
	memset(big, 'a', PATH_MAX + 9);
	big[0] = '/';
	big[PATH_MAX + 9] = '\0';
	assert_int_equal(bl_path_check("image file", big), -EINVAL);
	free(big);
}

static void paths_within(void **state)
{
	char tmpl[] = "/tmp/test-validate-XXXXXX", p[PATH_MAX], out[PATH_MAX];
	(void)state;

	assert_non_null(mkdtemp(tmpl));
	snprintf(p, sizeof(p), "%s/images", tmpl);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/images/a.img", tmpl);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/secret", tmpl);
	f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);
	char dir[PATH_MAX], link[PATH_MAX], dotdot[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/images", tmpl);
	snprintf(link, sizeof(link), "%s/images/evil.img", tmpl);
	assert_int_equal(symlink(p, link), 0);
	snprintf(p, sizeof(p), "%s/images/a.img", tmpl);
	assert_int_equal(bl_path_within("image file", p, dir, out), 0);
	assert_string_equal(out, p);
	/* symlink pointing outside */
	assert_int_equal(bl_path_within("image file", link, dir, out), -EINVAL);
	assert_non_null(strstr(bl_last_error(), "outside"));
	/* ../ escape */
	snprintf(dotdot, sizeof(dotdot), "%s/images/../secret", tmpl);
	assert_int_equal(bl_path_within("image file", dotdot, dir, out), -EINVAL);
	/* prefix trick: /x/images-evil is not inside /x/images */
	snprintf(p, sizeof(p), "%s/images-evil", tmpl);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/images-evil/b.img", tmpl);
	f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(bl_path_within("image file", p, dir, out), -EINVAL);
	assert_int_equal(unlink(p), 0);
	/* missing */
	snprintf(p, sizeof(p), "%s/images/none.img", tmpl);
	assert_int_equal(bl_path_within("image file", p, dir, out), -ENOENT);
	assert_int_equal(bl_t_rmrf(tmpl), 0);
}

static void chap(void **state)
{
	(void)state;
	assert_int_equal(bl_chap_user_check("client-525400123456"), 0);
	assert_int_equal(bl_chap_user_check(""), -EINVAL);
	assert_int_equal(bl_chap_user_check("a b"), -EINVAL);
	assert_int_equal(bl_chap_user_check("a\"b"), -EINVAL);
	assert_int_equal(bl_chap_secret_check("abcdefghijkl"), 0);
	assert_int_equal(bl_chap_secret_check("abcdefghijklmnop"), 0);
	assert_int_equal(bl_chap_secret_check("abcdefghijk"), -EINVAL);
	assert_int_equal(bl_chap_secret_check("abcdefghijklmnopq"), -EINVAL);
	assert_int_equal(bl_chap_secret_check("abcdefgh\nijkl"), -EINVAL);
	assert_int_equal(bl_chap_secret_check("abcdefgh'ijkl"), -EINVAL);
	/* the secret never appears in the message */
	assert_int_equal(bl_chap_secret_check("topsecret\"pwd"), -EINVAL);
	assert_null(strstr(bl_last_error(), "topsecret"));
}

static void iqn_prefixes(void **state)
{
	(void)state;

	assert_int_equal(bl_iqn_prefix_check("iqn.2026-11.org.bootlink"), 0);
	assert_int_equal(bl_iqn_prefix_check("iqn.2026-11.org.bootlink:lab1"), 0);
	assert_int_equal(bl_iqn_prefix_check("iqn.26-11.org.bootlink"), -EINVAL);
	assert_int_equal(bl_iqn_prefix_check("eui.2026-11.org"), -EINVAL);
	assert_int_equal(bl_iqn_prefix_check("iqn.2026-11.Org.bootlink"), -EINVAL);
	assert_int_equal(bl_iqn_prefix_check("iqn.2026-11.org boot"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mac_spellings),
		cmocka_unit_test(mac_refusals),
		cmocka_unit_test(hostnames),
		cmocka_unit_test(image_names),
		cmocka_unit_test(ipv4),
		cmocka_unit_test(paths_lexical),
		cmocka_unit_test(paths_within),
		cmocka_unit_test(chap),
		cmocka_unit_test(iqn_prefixes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
