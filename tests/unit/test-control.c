/* Unit tests for linkmgr/control.c + control-client.c: the request/reply protocol and the
 * peer-credential gate (children that drop to "nobody", with and without the admin group).
 * Needs root (setuid); skipped otherwise. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control-server.h"
#include "control-client.h"

#define NOBODY 65534
#define GROUP "daemon"	/* exists on every Debian system */

struct fx {
	char dir[64], sock[96];
	struct bl_ctl_server srv;
	int served;
};

static char *handler(void *ctx, const char *req)
{
	struct fx *f = ctx;
	f->served++;
	if (!strcmp(req, "ping"))
		return strdup("{\"ok\":true,\"pong\":1}");
	return bl_ctl_error_reply("unknown request");
}

static int setup(void **state)
{
	if (geteuid() != 0)
		skip();
	struct fx *f = calloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/test-control-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	chmod(f->dir, 0755);
	snprintf(f->sock, sizeof(f->sock), "%s/" BL_CTL_SOCK_NAME, f->dir);
	assert_int_equal(bl_ctl_listen(f->sock, GROUP, &f->srv), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	bl_ctl_close(&f->srv);
	rmdir(f->dir);
	free(f);
	return 0;
}

enum who { ROOT, NOBODY_PLAIN, NOBODY_IN_GROUP };

/* Child: become `who`, send req, exit 0 if the reply contains `expect` (or, with expect NULL,
 * if the call failed with -EACCES). */
static pid_t child(struct fx *f, enum who who, const char *req, const char *expect)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid)
		return pid;
	if (who != ROOT) {
		gid_t g = getgrnam(GROUP)->gr_gid;
		if (setgroups(who == NOBODY_IN_GROUP ? 1 : 0, &g) < 0 || setgid(NOBODY) < 0
		    || setuid(NOBODY) < 0)
			_exit(10);
	}
	char *reply = NULL;
	int r = bl_ctl_call(f->sock, req, &reply);
	if (!expect)
		_exit(r == -EACCES ? 0 : 11);
	_exit(r == 0 && strstr(reply, expect) ? 0 : 12);
}

static int wait_child(pid_t pid)
{
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100;
}

static void test_root_ping(void **state)
{
	struct fx *f = *state;
	pid_t pid = child(f, ROOT, "ping", "{\"ok\":true,\"pong\":1}");
	assert_int_equal(bl_ctl_serve_one(&f->srv, handler, f), 0);
	assert_int_equal(wait_child(pid), 0);
	pid = child(f, ROOT, "frobnicate", "\"ok\":false,\"error\":\"unknown request\"");
	assert_int_equal(bl_ctl_serve_one(&f->srv, handler, f), 0);
	assert_int_equal(wait_child(pid), 0);
	assert_int_equal(f->served, 2);
}

static void test_socket_mode_keeps_others_out(void **state)
{
	struct fx *f = *state;
	struct stat st;
	assert_int_equal(stat(f->sock, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);
	assert_int_equal(st.st_gid, getgrnam(GROUP)->gr_gid);
	pid_t pid = child(f, NOBODY_PLAIN, "ping", NULL);	/* connect() refused: EACCES */
	assert_int_equal(wait_child(pid), 0);
	assert_int_equal(f->served, 0);
}

static void test_peercred_refuses_outsider(void **state)
{
	struct fx *f = *state;
	chmod(f->sock, 0666);	/* an admin loosened the mode: SO_PEERCRED still refuses */
	pid_t pid = child(f, NOBODY_PLAIN, "ping", "permission denied");
	assert_int_equal(bl_ctl_serve_one(&f->srv, handler, f), 0);
	assert_int_equal(wait_child(pid), 0);
	assert_int_equal(f->served, 0);	/* the handler never saw the request */
}

static void test_admin_group_member_allowed(void **state)
{
	struct fx *f = *state;
	pid_t pid = child(f, NOBODY_IN_GROUP, "ping", "\"pong\":1");
	assert_int_equal(bl_ctl_serve_one(&f->srv, handler, f), 0);
	assert_int_equal(wait_child(pid), 0);
	assert_int_equal(f->served, 1);
}

static void test_client_errors(void **state)
{
	struct fx *f = *state;
	char *reply = NULL, path[128];
	assert_int_equal(bl_ctl_call(f->sock, "two\nlines", &reply), -EINVAL);
	char big[BL_CTL_MAX_REQUEST + 8];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(bl_ctl_call(f->sock, big, &reply), -EINVAL);
	snprintf(path, sizeof(path), "%s/absent.sock", f->dir);
	assert_int_equal(bl_ctl_call(path, "ping", &reply), -ENOENT);
	assert_null(reply);
	/* a stale socket file (daemon killed) is replaced, any other file is refused */
	close(f->srv.fd);
	f->srv.fd = -1;
	struct bl_ctl_server s2;
	assert_int_equal(bl_ctl_listen(f->sock, GROUP, &s2), 0);
	bl_ctl_close(&s2);
	bl_ctl_close(&f->srv);
	snprintf(path, sizeof(path), "%s/plain", f->dir);
	FILE *fp = fopen(path, "w");
	fclose(fp);
	assert_int_equal(bl_ctl_listen(path, GROUP, &s2), -EEXIST);
	unlink(path);
	assert_int_equal(bl_ctl_listen(f->sock, GROUP, &f->srv), 0);	/* re-listen for teardown */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_root_ping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_mode_keeps_others_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peercred_refuses_outsider, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admin_group_member_allowed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_errors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
