/* control-client.c - bl_ctl_call(), the client side of the control socket (see control.h). */
#include "control-client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

int bl_ctl_call(const char *sock_path, const char *request, char **reply)
{
	*reply = NULL;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t rl = strlen(request);
	if (strlen(sock_path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	if (rl > BL_CTL_MAX_REQUEST - 1 || memchr(request, '\n', rl))
		return -EINVAL;
	strcpy(sa.sun_path, sock_path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct timeval tv = { .tv_sec = 60 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	int r = 0;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		goto out;
	}
	char line[BL_CTL_MAX_REQUEST + 1];
	memcpy(line, request, rl);
	line[rl] = '\n';
	for (size_t off = 0; off < rl + 1;) {
		ssize_t n = send(fd, line + off, rl + 1 - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EPROTO;
			goto out;
		}
		off += (size_t)n;
	}
	for (;;) {
		if (len + 4096 + 1 > cap) {
			if (cap >= BL_CTL_MAX_REPLY) {
				r = -EPROTO;
				goto out;
			}
			cap = cap ? cap * 2 : 8192;
			char *nb = realloc(buf, cap);
			if (!nb) {
				r = -ENOMEM;
				goto out;
			}
			buf = nb;
		}
		ssize_t n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (memchr(buf + len - n, '\n', (size_t)n))
			break;
	}
	if (!buf || !len) {
		r = -EPROTO;
		goto out;
	}
	buf[len] = '\0';
	char *nl = strchr(buf, '\n');
	if (!nl || nl[1] != '\0' || strlen(buf) != len) {
		r = -EPROTO;
		goto out;
	}
	*nl = '\0';
	*reply = buf;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return r;
}
