/* control.h - linkmgr's control socket: one request line in, one JSON reply line out.
 *
 * Socket: <rundir>/linkmgr.sock (Unix stream, mode 0660, group admin_group). The server checks
 * SO_PEERCRED: uid 0 or a member of admin_group, anything else gets {"ok":false,"error":...}.
 * Requests: "ping", "reconcile", "status", "boot <mac>". Replies: {"ok":true,...} or
 * {"ok":false,"error":"..."}, one line, at most BL_CTL_MAX_REPLY bytes.
 */
#ifndef BL_CONTROL_CLIENT_H
#define BL_CONTROL_CLIENT_H

#include <stddef.h>

#define BL_CTL_SOCK_NAME "linkmgr.sock"
#define BL_CTL_MAX_REQUEST 512
#define BL_CTL_MAX_REPLY (16u << 20)

/* Send one request (no newline needed) to the daemon at sock_path and wait for its reply.
 * On success *reply is a malloc'd NUL-terminated line without the trailing newline (the caller
 * frees it) and 0 is returned. Errors: -ENOENT/-ECONNREFUSED when linkmgr is not running,
 * -EACCES when the socket refuses us, -ETIMEDOUT after 60 s without a reply, -EPROTO for a
 * reply that is not one line, other negative errnos from the socket calls. */
int bl_ctl_call(const char *sock_path, const char *request, char **reply);

#endif
