/* Unit tests for linkmgr/hook.c: which dnsmasq script events are boots, and whose. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hook.h"

#define PXE "PXEClient:Arch:00000:UNDI:002001"
static char neigh[] = "/tmp/test-hook-XXXXXX";

static int setup(void **state)
{
	(void)state;
	int fd = mkstemp(neigh);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs("IP address       HW type     Flags       HW address            Mask     Device\n"
	      "10.0.0.50        0x1         0x2         52:54:00:00:00:50     *        eth0\n"
	      "10.0.0.5         0x1         0x2         52:54:00:00:00:05     *        eth0\n"
	      "10.0.0.66        0x1         0x0         00:00:00:00:00:00     *        eth0\n", f);
	fclose(f);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(neigh);
	return 0;
}

static enum bl_hook_event run(const char *vc, char *mac, int argc, ...)
{
	char *argv[8] = { "linkmgr" };
	va_list ap;
	va_start(ap, argc);
	for (int i = 1; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	mac[0] = '\0';
	return bl_hook_classify(argc, argv, vc, neigh, mac);
}

static void test_dhcp_events(void **state)
{
	(void)state;
	char mac[BL_MAC_LEN];
	assert_int_equal(run(PXE, mac, 4, "add", "52-54-00-AA-BB-CC", "10.0.0.9"), BL_HOOK_BOOT);
	assert_string_equal(mac, "52:54:00:aa:bb:cc");
	assert_int_equal(run("PXEClient:Arch:00007:UNDI:003016", mac, 5, "old", "52:54:00:aa:bb:cc",
			     "10.0.0.9", "pc01"), BL_HOOK_BOOT);
	/* the booted OS renewing its lease is no boot */
	assert_int_equal(run("MSFT 5.0", mac, 4, "old", "52:54:00:aa:bb:cc", "10.0.0.9"), BL_HOOK_NONE);
	assert_int_equal(run(NULL, mac, 4, "add", "52:54:00:aa:bb:cc", "10.0.0.9"), BL_HOOK_NONE);
	assert_int_equal(run(PXE, mac, 4, "del", "52:54:00:aa:bb:cc", "10.0.0.9"), BL_HOOK_NONE);
	assert_int_equal(run(PXE, mac, 4, "add", "not-a-mac;reboot", "10.0.0.9"), BL_HOOK_NONE);
	assert_int_equal(run(PXE, mac, 2, "init"), BL_HOOK_NONE);
	assert_int_equal(run(PXE, mac, 1), BL_HOOK_NONE);
}

static void test_tftp_events(void **state)
{
	(void)state;
	char mac[BL_MAC_LEN];
	assert_int_equal(run(NULL, mac, 5, "tftp", "70000", "10.0.0.5", "/srv/tftp/undionly.kpxe"),
			 BL_HOOK_BOOT);
	assert_string_equal(mac, "52:54:00:00:00:05");	/* 10.0.0.5, not 10.0.0.50 */
	assert_int_equal(run(NULL, mac, 5, "tftp", "1000000", "10.0.0.50", "/srv/tftp/ipxe.efi"),
			 BL_HOOK_BOOT);
	assert_string_equal(mac, "52:54:00:00:00:50");
	/* unknown or incomplete neighbour: no boot */
	assert_int_equal(run(NULL, mac, 5, "tftp", "1", "10.0.0.77", "/srv/tftp/ipxe.efi"), BL_HOOK_NONE);
	assert_int_equal(run(NULL, mac, 5, "tftp", "1", "10.0.0.66", "/srv/tftp/ipxe.efi"), BL_HOOK_NONE);
	assert_int_equal(run(NULL, mac, 5, "tftp", "1", "10.0.0.", "/srv/tftp/ipxe.efi"), BL_HOOK_NONE);
	/* the client's own script: late */
	assert_int_equal(run(NULL, mac, 5, "tftp", "900", "10.0.0.5",
			     "/srv/tftp/bootlink/525400aabbcc.ipxe"), BL_HOOK_BOOT_LATE);
	assert_string_equal(mac, "52:54:00:aa:bb:cc");
	assert_int_equal(run(NULL, mac, 5, "tftp", "900", "10.0.0.5", "/srv/tftp/bootlink/boot.ipxe"),
			 BL_HOOK_NONE);
	assert_int_equal(run(NULL, mac, 5, "tftp", "900", "10.0.0.5",
			     "/srv/tftp/bootlink/zz5400aabbcc.ipxe"), BL_HOOK_NONE);
	assert_int_equal(run(NULL, mac, 4, "tftp", "900", "10.0.0.5"), BL_HOOK_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dhcp_events),
		cmocka_unit_test(test_tftp_events),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
