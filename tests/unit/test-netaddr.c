/* Unit tests for linkmgr/netaddr.c: address detection over rtnetlink and change events
 * (the event test adds 127.0.0.9/8 to lo for a moment; it needs root and is skipped otherwise). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netaddr.h"

static void test_loopback(void **state)
{
	(void)state;
	char addr[BL_ADDR_LEN];
	int plen = 0;
	assert_int_equal(bl_netaddr_detect("lo", addr, &plen), 0);
	assert_string_equal(addr, "127.0.0.1");
	assert_int_equal(plen, 8);
}

static void test_missing_interface(void **state)
{
	(void)state;
	char addr[BL_ADDR_LEN];
	int plen = 0;
	assert_int_equal(bl_netaddr_detect("nosuchif0", addr, &plen), -ENOENT);
	assert_string_equal(addr, "");
}

static void test_default_is_not_loopback(void **state)
{
	(void)state;
	char addr[BL_ADDR_LEN];
	int plen = 0;
	int r = bl_netaddr_detect(NULL, addr, &plen);
	if (r == -ENOENT)	/* a machine with only lo */
		return;
	assert_int_equal(r, 0);
	assert_true(strncmp(addr, "127.", 4) != 0);
	assert_true(plen > 0 && plen <= 32);
}

static int drain_until_change(struct bl_netwatch *w)
{
	struct pollfd p = { bl_netwatch_fd(w), POLLIN, 0 };
	for (int i = 0; i < 50; i++) {
		if (poll(&p, 1, 100) > 0 && bl_netwatch_drain(w) == 1)
			return 1;
	}
	return 0;
}

static void test_address_event(void **state)
{
	(void)state;
	if (geteuid() != 0 || system("command -v ip >/dev/null") != 0)
		skip();
	struct bl_netwatch *w;
	assert_int_equal(bl_netwatch_open(&w), 0);
	assert_true(bl_netwatch_fd(w) >= 0);
	if (system("ip addr add 127.0.0.9/8 dev lo 2>/dev/null") != 0) {
		bl_netwatch_close(w);
		skip();
	}
	int added = drain_until_change(w);
	assert_int_equal(system("ip addr del 127.0.0.9/8 dev lo"), 0);
	int removed = drain_until_change(w);
	bl_netwatch_close(w);
	assert_int_equal(added, 1);
	assert_int_equal(removed, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_missing_interface),
		cmocka_unit_test(test_default_is_not_loopback),
		cmocka_unit_test(test_address_event),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
