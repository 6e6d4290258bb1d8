/* Unit tests for linkmgr/lib/names.c: every derived name, and the words of the model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "names.h"

#define PREFIX "iqn.2026-11.org.bootlink"

static void iqns(void **state)
{
	char out[BL_IQN_MAX];
	(void)state;
	assert_int_equal(bl_target_iqn(PREFIX, "52-54-00-12-34-56", out, sizeof(out)), 0);
	assert_string_equal(out, PREFIX ":target-525400123456");
	assert_int_equal(bl_initiator_iqn(PREFIX, "525400123456", out, sizeof(out)), 0);
	assert_string_equal(out, PREFIX ":client-525400123456");
	assert_int_equal(bl_initiator_iqn(PREFIX, "nonsense", out, sizeof(out)), -EINVAL);
	assert_int_equal(bl_initiator_iqn(PREFIX, "525400123456", out, 20), -ENAMETOOLONG);
	assert_int_equal(bl_name_tpg(PREFIX ":target-525400123456", out, sizeof(out)), 0);
	assert_string_equal(out, "iscsi/" PREFIX ":target-525400123456/tpgt_1");
	assert_int_equal(bl_name_backstore("52:54:00:12:34:56", out, sizeof(out)), 0);
	assert_string_equal(out, "bl-525400123456");
}

static void files(void **state)
{
	char out[256], m12[BL_MAC12_LEN];
	(void)state;
	assert_int_equal(bl_name_overlay("/var/lib/bootlink/overlays", "52:54:00:AB:CD:EF", out,
					 sizeof(out)), 0);
	assert_string_equal(out, "/var/lib/bootlink/overlays/525400abcdef.ovl");
	assert_int_equal(bl_name_overlay("/o", "52:54:00:ab:cd:ef", out, 10), -ENAMETOOLONG);
	assert_int_equal(bl_name_layer("/l", 7, 3, out, sizeof(out)), 0);
	assert_string_equal(out, "/l/7-v3.layer");
	assert_int_equal(bl_name_script("52:54:00:ab:cd:ef", out, sizeof(out)), 0);
	assert_string_equal(out, "525400abcdef.ipxe");
	assert_true(bl_name_is_script("525400abcdef.ipxe", m12));
	assert_string_equal(m12, "525400abcdef");
	assert_false(bl_name_is_script("525400ABCDEF.ipxe", NULL));
	assert_false(bl_name_is_script("boot.ipxe", NULL));
	assert_false(bl_name_is_script("525400abcdef.ipxe.tmp", NULL));
	assert_true(bl_name_is_bootfile("undionly.kpxe"));
	assert_true(bl_name_is_bootfile("ipxe.efi"));
	assert_false(bl_name_is_bootfile("snponly.efi"));
	assert_string_equal(BL_SCRIPT_DISPATCH, "bootlink/boot.ipxe");
}

static void words(void **state)
{
	enum bl_mode m;
	enum bl_role r;
	(void)state;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(bl_mode_parse(bl_mode_name((enum bl_mode)i), &m), 0);
		assert_int_equal(m, i);
		assert_int_equal(bl_role_parse(bl_role_name((enum bl_role)i), &r), 0);
		assert_int_equal(r, i);
	}
	assert_string_equal(bl_mode_name(BL_MODE_VOLATILE), "volatile");
	assert_string_equal(bl_mode_name(BL_MODE_PERSISTENT), "persistent");
	assert_int_equal(bl_mode_parse("Volatile", &m), -EINVAL);
	assert_int_equal(bl_mode_parse(NULL, &m), -EINVAL);
	assert_int_equal(bl_role_parse("admin", &r), -EINVAL);
}

static void update_pending(void **state)
{
	(void)state;
	struct bl_client c = { .booted_version = 1, .role = BL_ROLE_NORMAL };
	assert_true(bl_update_pending(&c, 2));
	assert_false(bl_update_pending(&c, 1));
	c.booted_version = -1;		/* no disk yet: nothing to be behind */
	assert_false(bl_update_pending(&c, 2));
	c.booted_version = 1;
	c.role = BL_ROLE_SUPER;		/* builds the next version, never lags */
	assert_false(bl_update_pending(&c, 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(iqns),
		cmocka_unit_test(files),
		cmocka_unit_test(words),
		cmocka_unit_test(update_pending),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
