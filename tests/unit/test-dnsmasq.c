/* Unit tests for linkmgr/dnsmasq.c: configuration per DHCP mode, hosts and options files,
 * hostile fields that must never reach dnsmasq. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dnsmasq.h"

static void set(char **field, const char *v)
{
	free(*field);
	*field = strdup(v);
}

static int setup(void **state)
{
	struct bl_config *c = calloc(1, sizeof(*c));
	assert_int_equal(bl_config_load("/nonexistent/linkmgr.conf", c), 0);	/* defaults */
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	bl_config_free(*state);
	free(*state);
	return 0;
}

/* dnsmasq itself checks the syntax: conf as is, hosts and opts lines as dhcp-host= and
 * dhcp-option= lines. Returns false if dnsmasq rejects them; skips without dnsmasq. */
static bool dnsmasq_accepts(const char *conf, const char *hosts, const char *opts)
{
	const char *bin = access("/usr/sbin/dnsmasq", X_OK) == 0 ? "/usr/sbin/dnsmasq" : NULL;
	if (!bin)
		skip();
	char path[] = "/tmp/test-dnsmasq-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs(conf ? conf : "", f);
	const char *src[2] = { hosts, opts }, *key[2] = { "dhcp-host=", "dhcp-option=" };
	for (int k = 0; k < 2; k++)
		for (const char *l = src[k]; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : "")
			if (*l != '#' && *l != '\n')
				fprintf(f, "%s%.*s\n", key[k], (int)strcspn(l, "\n"), l);
	fclose(f);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "%s --test --conf-file=%s >/dev/null 2>&1", bin, path);
	int r = system(cmd);
	unlink(path);
	return r == 0;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_full_mode_conf(void **state)
{
	struct bl_config *c = *state;
	struct bl_dhcp_range r[1] = { { "10.0.0.100", "10.0.0.200", NULL, NULL } };
	struct bl_dhcp_range relay[1] = { { "10.2.0.10", "10.2.0.99", "255.255.255.0", "1h" } };
	c->ranges = r;
	c->n_ranges = 1;
	c->relay_ranges = relay;
	c->n_relay_ranges = 1;
	set(&c->boot_interface, "eth1");
	struct bl_dnsmasq_params p = { c, "10.0.0.1", 24, "/usr/sbin/linkmgr", NULL };
	char *s;
	assert_int_equal(bl_dnsmasq_conf(&p, &s), 0);
	c->ranges = c->relay_ranges = NULL;
	c->n_ranges = c->n_relay_ranges = 0;
	assert_non_null(strstr(s, "\ninterface=eth1\n"));
	assert_non_null(strstr(s, "\ndhcp-range=10.0.0.100,10.0.0.200,12h\n"));
	assert_non_null(strstr(s, "\ndhcp-range=10.2.0.10,10.2.0.99,255.255.255.0,1h\n"));
	assert_non_null(strstr(s, "\ndhcp-userclass=set:ipxe,iPXE\n"));
	assert_non_null(strstr(s, "\ndhcp-match=set:efi64,option:client-arch,7\n"));
	assert_non_null(strstr(s, "\ndhcp-match=set:efi64,option:client-arch,9\n"));
	assert_non_null(strstr(s, "\ndhcp-boot=tag:ipxe,bootlink/boot.ipxe\n"));
	assert_non_null(strstr(s, "\ndhcp-boot=tag:!ipxe,tag:efi64,ipxe.efi\n"));
	assert_non_null(strstr(s, "\ndhcp-boot=tag:!ipxe,tag:!efi64,undionly.kpxe\n"));
	assert_non_null(strstr(s, "\ndhcp-script=/usr/sbin/linkmgr\nscript-on-renewal\n"));
	assert_null(strstr(s, "proxy"));
	/* isolation: each client's TFTP root is its own (tftp_root/aa-bb-..), unknown PCs get
	 * nothing unless dhcp.serve_unknown says so */
	assert_non_null(strstr(s, "\ntftp-unique-root=mac\n"));
	assert_null(strstr(s, "group="));
	assert_non_null(strstr(s, "\ndhcp-ignore=tag:!bl-known\n"));
	assert_true(dnsmasq_accepts(s, NULL, NULL));
	free(s);
	c->serve_unknown = true;
	p.tftp_group = "bootlink-tftp";
	assert_int_equal(bl_dnsmasq_conf(&p, &s), 0);
	assert_null(strstr(s, "dhcp-ignore"));
	assert_non_null(strstr(s, "\ngroup=bootlink-tftp\n"));
	assert_true(dnsmasq_accepts(s, NULL, NULL));
	free(s);
}

static void test_proxy_mode_conf(void **state)
{
	struct bl_config *c = *state;
	c->dhcp_mode = BL_DHCP_PROXY;
	struct bl_dnsmasq_params p = { c, "192.168.7.23", 24, "/usr/sbin/linkmgr", NULL };
	char *s;
	assert_int_equal(bl_dnsmasq_conf(&p, &s), 0);
	assert_non_null(strstr(s, "\ndhcp-range=192.168.7.0,proxy,255.255.255.0\n"));
	assert_non_null(strstr(s, "pxe-service=tag:!ipxe,x86PC,\"bootlink (BIOS)\",undionly.kpxe\n"));
	assert_non_null(strstr(s, "pxe-service=tag:!ipxe,X86-64_EFI,\"bootlink (UEFI)\",ipxe.efi\n"));
	assert_non_null(strstr(s, "pxe-service=tag:ipxe,x86PC,\"bootlink\",bootlink/boot.ipxe\n"));
	assert_null(strstr(s, "dhcp-boot"));
	assert_true(dnsmasq_accepts(s, NULL, NULL));
	free(s);
	char *subnets[1] = { "10.9.8.0/23" };
	c->proxy_subnets = subnets;
	c->n_proxy_subnets = 1;
	assert_int_equal(bl_dnsmasq_conf(&p, &s), 0);
	c->proxy_subnets = NULL;
	c->n_proxy_subnets = 0;
	assert_non_null(strstr(s, "\ndhcp-range=10.9.8.0,proxy,255.255.254.0\n"));
	free(s);
}

static void test_hostile_conf_refused(void **state)
{
	struct bl_config *c = *state;
	char *s = NULL;
	struct bl_dnsmasq_params p = { c, "10.0.0.1\ndhcp-script=/tmp/x", 24, "/usr/sbin/linkmgr", NULL };
	assert_int_equal(bl_dnsmasq_conf(&p, &s), -EINVAL);
	p.server = "10.0.0.1";
	set(&c->boot_interface, "eth0\nconf-file=/tmp/evil");
	assert_int_equal(bl_dnsmasq_conf(&p, &s), -EINVAL);
	set(&c->boot_interface, "");
	set(&c->tftp_root, "/srv/tftp\ndhcp-script=/tmp/x");
	assert_int_equal(bl_dnsmasq_conf(&p, &s), -EINVAL);
	set(&c->tftp_root, "/srv/tftp");
	struct bl_dhcp_range r[1] = { { "10.0.0.100", "10.0.0.200\ndhcp-script=/x", NULL, NULL } };
	c->ranges = r;
	c->n_ranges = 1;
	assert_int_equal(bl_dnsmasq_conf(&p, &s), -EINVAL);
	c->ranges = NULL;
	c->n_ranges = 0;
	set(&c->router, "10.0.0.254,6,6.6.6.6\ndhcp-option=3");
	assert_int_equal(bl_dnsmasq_opts(&p, NULL, 0, &s), -EINVAL);
	assert_null(s);
}

struct warns {
	int n;
};

static void count_warn(void *ctx, const char *mac, const char *why)
{
	(void)mac;
	(void)why;
	((struct warns *)ctx)->n++;
}

static void test_hosts_file(void **state)
{
	(void)state;
	const struct bl_dhcp_host h[] = {
		{ "52:54:00:00:00:01", "10.0.0.51", "pc01", true },
		{ "52:54:00:00:00:02", NULL, NULL, true },
		{ "52:54:00:00:00:03", "10.0.0.53,set:evil", "pc03\ndhcp-option=3,6.6.6.6", true },
		{ "52:54:00:00:00:04", NULL, "pc,04", false },
		{ "52:54:00:00:00:05\n", NULL, NULL, true },
		{ "52:54:00:00:00:06", "10.0.0.056", "-pc06", true },
	};
	struct warns w = { 0 };
	char *s;
	assert_int_equal(bl_dnsmasq_hosts(h, 6, count_warn, &w, &s), 0);
	assert_int_equal(w.n, 6);	/* ip+name of 3, name of 4, MAC of 5, ip+name of 6 */
	assert_int_equal(count_lines(s), 1 + 5);	/* header + clients 1-4 and 6 */
	assert_non_null(strstr(s, "\n52:54:00:00:00:01,set:bl-known,set:bl-525400000001,10.0.0.51,pc01\n"));
	assert_non_null(strstr(s, "\n52:54:00:00:00:02,set:bl-known,set:bl-525400000002\n"));
	assert_non_null(strstr(s, "\n52:54:00:00:00:03,set:bl-known,set:bl-525400000003\n"));
	assert_non_null(strstr(s, "\n52:54:00:00:00:04,set:bl-known,set:bl-525400000004\n"));
	assert_null(strstr(s, "evil"));
	assert_null(strstr(s, "6.6.6.6"));
	assert_null(strstr(s, "525400000005"));
	assert_true(dnsmasq_accepts(NULL, s, NULL));
	free(s);
}

static void test_opts_file(void **state)
{
	struct bl_config *c = *state;
	set(&c->router, "10.0.0.254");
	set(&c->dns, "10.0.0.254,1.1.1.1");
	const struct bl_dhcp_host h[] = {
		{ "52:54:00:00:00:01", NULL, NULL, true },
		{ "52:54:00:00:00:02", NULL, NULL, false },
	};
	struct bl_dnsmasq_params p = { c, "10.0.0.1", 24, "/usr/sbin/linkmgr", NULL };
	char *s;
	assert_int_equal(bl_dnsmasq_opts(&p, h, 2, &s), 0);
	assert_non_null(strstr(s, "\noption:router,10.0.0.254\n"));
	assert_non_null(strstr(s, "\noption:dns-server,10.0.0.254,1.1.1.1\n"));
	/* iPXE hooks a root-path SAN before it runs its script, with its default initiator name
	 * and no CHAP, so the ACL refuses it and the boot fails: root-path is for the rest only. */
	assert_non_null(strstr(s, "\ntag:bl-525400000001,tag:!ipxe,option:root-path,\"iscsi:10.0.0.1::3260:0:"
				  "iqn.2026-11.org.bootlink:target-525400000001\"\n"));
	assert_null(strstr(s, "525400000002"));
	assert_true(dnsmasq_accepts(NULL, NULL, s));
	assert_false(dnsmasq_accepts(NULL, NULL, "tag:x,option:router,\"unterminated\n"));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_mode_conf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_proxy_mode_conf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_conf_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hosts_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_opts_file, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
