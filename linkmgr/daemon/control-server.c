/* control.c - control socket server.
 *
 * Two gates: the file mode (0660 root:<admin_group>) keeps others from connecting at all, and
 * SO_PEERCRED is checked on every connection in case the mode was loosened. Supplementary
 * groups are read from /proc/<pid>/status of the connected peer, i.e. the groups the process
 * really has, not what /etc/group says now. One request per connection, served inline: requests
 * are short and the daemon has nothing else that must run meanwhile.
 */
#include "control-server.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "control-client.h"
#include "error.h"
#include "json.h"

int bl_ctl_listen(const char *path, const char *admin_group, struct bl_ctl_server *s)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return bl_fail(-ENAMETOOLONG, "control socket %s: path too long", path);
	strcpy(sa.sun_path, path);
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return bl_fail(-EEXIST, "control socket %s: exists and is not a socket", path);
		unlink(path);
	}
	struct group *g = getgrnam(admin_group);
	if (g) {
		s->gid = g->gr_gid;
		s->have_gid = true;
	} else {
		fprintf(stderr, "linkmgr: admin group '%s' does not exist: only root may use %s\n",
			admin_group, path);
	}
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return bl_fail(-errno, "control socket: %s", strerror(errno));
	mode_t old = umask(0177);
	int r = bind(s->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(s->fd, 16) < 0) {
		r = bl_fail(-errno, "control socket %s: %s", path, strerror(errno));
		bl_ctl_close(s);
		return r;
	}
	if (s->have_gid && (chown(path, 0, s->gid) < 0 || chmod(path, 0660) < 0))
		fprintf(stderr, "linkmgr: control socket %s: cannot give it to group %s: %s\n", path,
			admin_group, strerror(errno));
	s->path = strdup(path);
	s->group = strdup(admin_group);
	return 0;
}

void bl_ctl_close(struct bl_ctl_server *s)
{
	if (s->fd >= 0)
		close(s->fd);
	if (s->path)
		unlink(s->path);
	free(s->path);
	free(s->group);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

static bool in_proc_groups(pid_t pid, gid_t gid)
{
	char p[64], *line = NULL;
	size_t len = 0;
	bool found = false;
	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	FILE *f = fopen(p, "r");
	if (!f)
		return false;
	while (!found && getline(&line, &len, f) > 0) {
		if (strncmp(line, "Groups:", 7) != 0)
			continue;
		char *save = NULL;
		for (char *t = strtok_r(line + 7, " \t\n", &save); t && !found;
		     t = strtok_r(NULL, " \t\n", &save))
			found = strtoul(t, NULL, 10) == gid;
		break;
	}
	free(line);
	fclose(f);
	return found;
}

char *bl_ctl_error_reply(const char *msg)
{
	char *q = bl_json_quoted(msg), *out = NULL;
	if (q && asprintf(&out, "{\"ok\":false,\"error\":%s}", q) < 0)
		out = NULL;
	free(q);
	return out;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int bl_ctl_serve_one(struct bl_ctl_server *s, bl_ctl_handler h, void *ctx)
{
	int fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	struct ucred cr;
	socklen_t cl = sizeof(cr);
	char *reply = NULL;
	int r = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0) {
		r = -errno;
		goto out;
	}
	char req[BL_CTL_MAX_REQUEST + 1];
	size_t len = 0;
	while (len < BL_CTL_MAX_REQUEST && !memchr(req, '\n', len)) {
		ssize_t n = recv(fd, req + len, BL_CTL_MAX_REQUEST - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	req[len] = '\0';
	/* checked after reading the request: closing with unread data would reset the
	 * connection and the refused peer would never see why */
	if (cr.uid != 0 && !(s->have_gid && (cr.gid == s->gid || in_proc_groups(cr.pid, s->gid)))) {
		char msg[160];
		snprintf(msg, sizeof(msg), "permission denied: uid %u is neither root nor in group %s",
			 (unsigned)cr.uid, s->group ? s->group : "?");
		fprintf(stderr, "linkmgr: control socket: refused pid %d: %s\n", (int)cr.pid, msg);
		reply = bl_ctl_error_reply(msg);
		goto send;
	}
	char *nl = strchr(req, '\n');
	if (!nl && len >= BL_CTL_MAX_REQUEST)
		reply = bl_ctl_error_reply("request too long");
	else {
		if (nl)
			*nl = '\0';
		if (strlen(req) != (nl ? (size_t)(nl - req) : len))
			reply = bl_ctl_error_reply("request contains a NUL byte");
		else
			reply = h(ctx, req);
	}
send:
	if (!reply)
		reply = strdup("{\"ok\":false,\"error\":\"out of memory\"}");
	if (reply && strchr(reply, '\n')) {	/* one line, whatever the handler did */
		free(reply);
		reply = bl_ctl_error_reply("internal error: multi-line reply");
	}
	if (reply && (r = send_all(fd, reply, strlen(reply))) == 0)
		r = send_all(fd, "\n", 1);
out:
	free(reply);
	close(fd);
	return r;
}
