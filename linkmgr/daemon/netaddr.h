/* netaddr.h - the server's IPv4 address (libnl-route) and notice of address changes. */
#ifndef BL_NETADDR_H
#define BL_NETADDR_H

#define BL_ADDR_LEN 16

/* First IPv4 address of ifname, or (ifname NULL/"") of the default route's interface, or else
 * of the first interface that is not loopback. 0, or -ENOENT with a message naming the
 * interface, or another negative errno. */
int bl_netaddr_detect(const char *ifname, char addr[BL_ADDR_LEN], int *prefixlen);

/* A netlink socket subscribed to IPv4 address changes. */
struct bl_netwatch;
int bl_netwatch_open(struct bl_netwatch **out);
int bl_netwatch_fd(const struct bl_netwatch *w);
/* Reads pending events without blocking; returns 1 if an address was added or removed. */
int bl_netwatch_drain(struct bl_netwatch *w);
void bl_netwatch_close(struct bl_netwatch *w);

#endif
