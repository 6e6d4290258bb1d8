#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bootlink-config.h"
#include "config.h"
#include "error.h"

static char tmpfile_[] = "/tmp/test-config-XXXXXX";

static const char *write_conf(const char *text)
{
	int fd = mkstemp(tmpfile_);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return tmpfile_;
}

static void drop_conf(void)
{
	unlink(tmpfile_);
	strcpy(tmpfile_, "/tmp/test-config-XXXXXX");
}

static void defaults_when_missing(void **state)
{
	struct bl_config c;
	(void)state;

	assert_int_equal(bl_config_load("/nonexistent/linkmgr.conf", &c), 0);
	assert_null(c.path);
	assert_string_equal(c.state_dir, BOOTLINK_STATEDIR);
	assert_string_equal(c.db_path, BOOTLINK_STATEDIR "/bootlink.db");
	assert_string_equal(c.overlay_dir, BOOTLINK_STATEDIR "/overlays");
	assert_string_equal(c.layer_dir, BOOTLINK_STATEDIR "/layers");
	assert_string_equal(c.image_dir, BOOTLINK_STATEDIR "/images");
	assert_string_equal(c.tftp_root, BOOTLINK_STATEDIR "/tftp");
	assert_string_equal(c.dnsmasq_dir, BOOTLINK_STATEDIR "/dnsmasq");
	assert_string_equal(c.configfs_root, "/sys/kernel/config");
	assert_string_equal(c.iqn_prefix, "iqn.2026-11.org.bootlink");
	assert_string_equal(c.control_socket, BOOTLINK_RUNDIR "/linkmgr.sock");
	assert_string_equal(c.handler_dir, BOOTLINK_HANDLER_DIR);
	assert_int_equal(c.hba_index, 42);
	assert_int_equal(c.portal_port, 3260);
	/* 8 MiB holds what the kernel can have in flight for a LUN (doc/handler.md, "Ring size") */
	assert_int_equal(c.max_data_area_mb, 8);
	/* the kernel's 8 MiB command ring is vmalloc'ed whole per device; 1 MiB is plenty */
	assert_int_equal(c.cmd_ring_size_mb, 1);
	/* a powered-off PC's session goes within about 20 s, not LIO's 45 */
	assert_int_equal(c.nopin_timeout, 10);
	assert_int_equal(c.nopin_response_timeout, 10);
	assert_true(c.chap);
	assert_int_equal(c.dhcp_mode, BL_DHCP_FULL);
	assert_int_equal(c.n_ranges, 0);
	assert_string_equal(c.server_address, "");
	assert_string_equal(c.lease_time, "12h");
	bl_config_free(&c);
}

/* The shipped example documents the defaults: loading it must give exactly them. */
static void shipped_example_is_the_defaults(void **state)
{
	struct bl_config c, d;
	(void)state;

	assert_int_equal(bl_config_load(BL_SOURCE_DIR "/linkmgr/linkmgr.conf", &c), 0);
	assert_non_null(c.path);
	assert_int_equal(bl_config_load("/nonexistent", &d), 0);
	assert_string_equal(c.state_dir, d.state_dir);
	assert_string_equal(c.db_path, d.db_path);
	assert_string_equal(c.image_dir, d.image_dir);
	assert_string_equal(c.overlay_dir, d.overlay_dir);
	assert_string_equal(c.layer_dir, d.layer_dir);
	assert_string_equal(c.control_socket, d.control_socket);
	assert_string_equal(c.admin_group, d.admin_group);
	assert_string_equal(c.configfs_root, d.configfs_root);
	assert_string_equal(c.handler_dir, d.handler_dir);
	assert_string_equal(c.iqn_prefix, d.iqn_prefix);
	assert_string_equal(c.boot_interface, d.boot_interface);
	assert_string_equal(c.server_address, d.server_address);
	assert_string_equal(c.tftp_root, d.tftp_root);
	assert_string_equal(c.ipxe_dir, d.ipxe_dir);
	assert_string_equal(c.dnsmasq_dir, d.dnsmasq_dir);
	assert_string_equal(c.dnsmasq_pid_file, d.dnsmasq_pid_file);
	assert_string_equal(c.lease_time, d.lease_time);
	assert_string_equal(c.router, d.router);
	assert_string_equal(c.dns, d.dns);
	assert_int_equal(c.hba_index, d.hba_index);
	assert_int_equal(c.portal_port, d.portal_port);
	assert_int_equal(c.max_data_area_mb, d.max_data_area_mb);
	assert_int_equal(c.cmd_ring_size_mb, d.cmd_ring_size_mb);
	assert_int_equal(c.chap, d.chap);
	assert_int_equal(c.dhcp_mode, d.dhcp_mode);
	assert_int_equal(c.n_ranges + c.n_relay_ranges + c.n_proxy_subnets, 0);
	bl_config_free(&c);
	bl_config_free(&d);
}

static void every_key(void **state)
{
	struct bl_config c;
	(void)state;

	const char *p = write_conf(
		"state_dir = \"/srv/bl\";\n"
		"db = \"/srv/db/x.db\";\n"
		"image_dir = \"/srv/images\";\n"
		"overlay_dir = \"/srv/ovl\";\n"
		"layer_dir = \"/srv/layers\";\n"
		"control_socket = \"/run/x.sock\";\n"
		"admin_group = \"wheel\";\n"
		"configfs_root = \"/tmp/cfs\";\n"
		"hba_index = 7;\n"
		"max_data_area_mb = 128;\n"
		"cmd_ring_size_mb = 4;\n"
		"handler_dir = \"/usr/lib/tcmu\";\n"
		"iqn_prefix = \"iqn.2020-01.com.example:lab\";\n"
		"portal_port = 3261;\n"
		"chap = false;\n"
		"boot_interface = \"eth1\";\n"
		"server_address = \"192.168.1.1\";\n"
		"tftp_root = \"/srv/tftp\";\n"
		"ipxe_dir = \"/opt/ipxe\";\n"
		"dnsmasq_dir = \"/etc/dnsmasq.d\";\n"
		"dnsmasq_pid_file = \"/run/dm.pid\";\n"
		"dhcp = {\n"
		"  mode = \"full\";\n"
		"  ranges = ( { start = \"192.168.1.100\"; end = \"192.168.1.200\";\n"
		"               netmask = \"255.255.255.0\"; lease_time = \"1h\"; } );\n"
		"  relay_ranges = ( { start = \"10.2.0.10\"; end = \"10.2.0.20\"; netmask = \"255.255.0.0\"; },\n"
		"                   { start = \"10.3.0.10\"; end = \"10.3.0.20\"; netmask = \"255.255.255.128\"; } );\n"
		"  lease_time = \"infinite\";\n"
		"  router = \"192.168.1.254\";\n"
		"  dns = \"192.168.1.53\";\n"
		"};\n");
	int r = bl_config_load(p, &c);
	if (r < 0)
		fail_msg("%s", bl_last_error());
	assert_string_equal(c.path, p);
	assert_string_equal(c.state_dir, "/srv/bl");
	assert_string_equal(c.db_path, "/srv/db/x.db");
	assert_string_equal(c.image_dir, "/srv/images");
	assert_string_equal(c.overlay_dir, "/srv/ovl");
	assert_string_equal(c.layer_dir, "/srv/layers");
	assert_string_equal(c.control_socket, "/run/x.sock");
	assert_string_equal(c.admin_group, "wheel");
	assert_string_equal(c.configfs_root, "/tmp/cfs");
	assert_int_equal(c.hba_index, 7);
	assert_int_equal(c.max_data_area_mb, 128);
	assert_int_equal(c.cmd_ring_size_mb, 4);
	assert_string_equal(c.handler_dir, "/usr/lib/tcmu");
	assert_string_equal(c.iqn_prefix, "iqn.2020-01.com.example:lab");
	assert_int_equal(c.portal_port, 3261);
	assert_false(c.chap);
	assert_string_equal(c.boot_interface, "eth1");
	assert_string_equal(c.server_address, "192.168.1.1");
	assert_string_equal(c.tftp_root, "/srv/tftp");
	assert_string_equal(c.ipxe_dir, "/opt/ipxe");
	assert_string_equal(c.dnsmasq_dir, "/etc/dnsmasq.d");
	assert_string_equal(c.dnsmasq_pid_file, "/run/dm.pid");
	assert_int_equal(c.dhcp_mode, BL_DHCP_FULL);
	assert_int_equal(c.n_ranges, 1);
	assert_string_equal(c.ranges[0].start, "192.168.1.100");
	assert_string_equal(c.ranges[0].end, "192.168.1.200");
	assert_string_equal(c.ranges[0].netmask, "255.255.255.0");
	assert_string_equal(c.ranges[0].lease_time, "1h");
	assert_int_equal(c.n_relay_ranges, 2);
	assert_string_equal(c.relay_ranges[1].netmask, "255.255.255.128");
	assert_null(c.relay_ranges[1].lease_time);
	assert_string_equal(c.lease_time, "infinite");
	assert_string_equal(c.router, "192.168.1.254");
	assert_string_equal(c.dns, "192.168.1.53");
	bl_config_free(&c);
	drop_conf();
}

static void state_dir_derives_paths(void **state)
{
	struct bl_config c;
	(void)state;

	const char *p = write_conf("state_dir = \"/data/bl\";\ndhcp = { mode = \"proxy\"; "
				   "proxy_subnets = [ \"192.168.7.0/24\" ]; };\n");
	assert_int_equal(bl_config_load(p, &c), 0);
	assert_string_equal(c.db_path, "/data/bl/bootlink.db");
	assert_string_equal(c.overlay_dir, "/data/bl/overlays");
	assert_int_equal(c.dhcp_mode, BL_DHCP_PROXY);
	assert_int_equal(c.n_proxy_subnets, 1);
	assert_string_equal(c.proxy_subnets[0], "192.168.7.0/24");
	bl_config_free(&c);
	drop_conf();
}

/* Each broken file names file:line and the key. */
static void broken_files(void **state)
{
	static const struct { const char *text; int line; const char *key; } cases[] = {
		{ "chap = true;\n\ndhcp = { mode = \"fast\"; };\n", 3, "dhcp.mode: expected \"full\" or \"proxy\"" },
		{ "\nportal_port = 70000;\n", 2, "portal_port: 70000 is out of range" },
		{ "portal_port = \"3260\";\n", 1, "portal_port: expected an integer" },
		{ "chap = 1;\n", 1, "chap: expected true or false" },
		{ "\n\n\nstate_dir = \"relative/dir\";\n", 4, "state_dir: " },
		{ "overlay_dir = \"/var/lib/a b\";\n", 1, "overlay_dir: " },
		{ "overlay_dir = \"/var/lib/a;b\";\n", 1, "overlay_dir: " },
		{ "layer_dir = \"/var/lib/../etc\";\n", 1, "layer_dir: " },
		{ "server_address = \"1.2.3\";\n", 1, "server_address: invalid value" },
		{ "iqn_prefix = \"iqn.bad\";\n", 1, "iqn_prefix: invalid value" },
		{ "iqn_prefix = \"\";\n", 1, "iqn_prefix: invalid value" },
		{ "admin_group = \"Bad Group\";\n", 1, "admin_group: invalid value" },
		{ "boot_interface = \"eth0;reboot\";\n", 1, "boot_interface: invalid value" },
		{ "\nstate_dirr = \"/x\";\n", 2, "state_dirr: unknown key" },
		{ "dhcp = { rangez = (); };\n", 1, "dhcp.rangez: unknown key" },
		{ "dhcp = {\n ranges = ( { start = \"1.2.3.4\"; } );\n};\n", 2, "dhcp.ranges: element 1: start and end are required" },
		{ "dhcp = {\n ranges = ( { start = \"1.2.3.4\"; end = \"1.2.3.400\"; } );\n};\n", 2, "dhcp.ranges: end: invalid value" },
		{ "dhcp = {\n ranges = ( { start = \"1.2.3.4\"; end = \"1.2.3.5\"; netmask = \"255.0.255.0\"; } );\n};\n", 2, "dhcp.ranges: netmask: invalid" },
		{ "dhcp = {\n relay_ranges = ( { start = \"1.2.3.4\"; end = \"1.2.3.5\"; } );\n};\n", 2, "netmask is required" },
		{ "dhcp = {\n mode = \"proxy\";\n ranges = ( { start = \"1.2.3.4\"; end = \"1.2.3.5\"; } );\n};\n", 3, "dhcp.ranges: address ranges need" },
		{ "dhcp = { proxy_subnets = [ \"1.2.3.0\" ]; };\n", 1, "dhcp.proxy_subnets: subnet" },
		{ "dhcp = { lease_time = \"12x\"; };\n", 1, "dhcp.lease_time: invalid value" },
		{ "dhcp = \"full\";\n", 1, "dhcp: expected a group" },
		{ "chap = true;\nportal_port = = 1;\n", 2, "syntax error" },
		{ "hba_index = -1;\n", 1, "hba_index: -1 is out of range" },
		{ "cmd_ring_size_mb = 0;\n", 1, "cmd_ring_size_mb: 0 is out of range 1..8" },
		/* the kernel would clamp it to 8 and say so only in its log */
		{ "\ncmd_ring_size_mb = 9;\n", 2, "cmd_ring_size_mb: 9 is out of range 1..8" },
		{ "cmd_ring_size_mb = \"1\";\n", 1, "cmd_ring_size_mb: expected an integer" },
		{ "max_data_area_mb = 0;\n", 1, "max_data_area_mb: 0 is out of range 1..2048" },
		/* LIO's own limits for node attributes */
		{ "nopin_timeout = 2;\n", 1, "nopin_timeout: 2 is out of range 3..60" },
		{ "nopin_response_timeout = 61;\n", 1, "nopin_response_timeout: 61 is out of range 3..60" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bl_config c;
		char want[256];
		const char *p = write_conf(cases[i].text);
		int r = bl_config_load(p, &c);
		if (r != -EINVAL)
			fail_msg("case %zu: expected -EINVAL, got %d", i, r);
		snprintf(want, sizeof(want), "%s:%d: ", p, cases[i].line);
		if (strncmp(bl_last_error(), want, strlen(want)) != 0 ||
		    !strstr(bl_last_error(), cases[i].key))
			fail_msg("case %zu: message '%s' lacks '%s' / '%s'", i, bl_last_error(), want,
				 cases[i].key);
		drop_conf();
	}
}

/* An overlay_dir so long that the kernel would cut a client's TCMU config string (and drop its
 * ";volatile") is refused when the configuration loads, naming the key. */
static void overlay_dir_too_long_for_tcmu(void **state)
{
	struct bl_config c;
	char text[512], dir[300];
	(void)state;
	memset(dir, 'o', sizeof(dir));
	dir[0] = '/';
	dir[230] = '\0';
	snprintf(text, sizeof(text), "overlay_dir = \"%s\";\n", dir);
	const char *p = write_conf(text);
	assert_int_equal(bl_config_load(p, &c), -EINVAL);
	assert_non_null(strstr(bl_last_error(), "overlay_dir"));
	assert_non_null(strstr(bl_last_error(), "the kernel keeps 255"));
	drop_conf();
	dir[200] = '\0';
	snprintf(text, sizeof(text), "overlay_dir = \"%s\";\n", dir);
	p = write_conf(text);
	assert_int_equal(bl_config_load(p, &c), 0);
	bl_config_free(&c);
	drop_conf();
}

static void unreadable_file(void **state)
{
	struct bl_config c;
	(void)state;

	/* a directory cannot be read as a file */
	assert_true(bl_config_load("/tmp", &c) < 0);
	assert_non_null(strstr(bl_last_error(), "/tmp"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_when_missing),
		cmocka_unit_test(shipped_example_is_the_defaults),
		cmocka_unit_test(every_key),
		cmocka_unit_test(state_dir_derives_paths),
		cmocka_unit_test(broken_files),
		cmocka_unit_test(unreadable_file),
		cmocka_unit_test(overlay_dir_too_long_for_tcmu),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
