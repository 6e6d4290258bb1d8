/* control-server.h - the daemon side of the control socket (protocol in control.h). */
#ifndef BL_CONTROL_SERVER_H
#define BL_CONTROL_SERVER_H

#include <stdbool.h>
#include <sys/types.h>

struct bl_ctl_server {
	int fd;
	char *path;
	char *group;
	gid_t gid;
	bool have_gid;		/* admin group exists; else root only */
};

/* Binds path (replacing a stale socket, never another kind of file), mode 0660, group
 * admin_group (0600 and root only if that group does not exist, with a message). */
int bl_ctl_listen(const char *path, const char *admin_group, struct bl_ctl_server *s);
void bl_ctl_close(struct bl_ctl_server *s);

/* Returns a malloc'd one-line JSON reply for an allowed request. */
typedef char *(*bl_ctl_handler)(void *ctx, const char *request);
/* Accepts one connection, checks the peer (uid 0, or admin group as primary or supplementary
 * group), reads one request line, writes the handler's reply. Returns 0, or a negative errno
 * for a failure of this connection only. */
int bl_ctl_serve_one(struct bl_ctl_server *s, bl_ctl_handler h, void *ctx);

/* {"ok":false,"error":"<msg>"} (malloc'd), for handlers. */
char *bl_ctl_error_reply(const char *msg);

#endif
