/* netaddr.c - address detection and change events over rtnetlink (libnl-route). */
#include "netaddr.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <netlink/route/rtnl.h>

#include "error.h"

static int default_route_ifindex(struct nl_sock *sk)
{
	struct nl_cache *routes;
	if (rtnl_route_alloc_cache(sk, AF_INET, 0, &routes) < 0)
		return 0;
	int ifindex = 0;
	for (struct nl_object *o = nl_cache_get_first(routes); o && !ifindex;
	     o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;
		struct nl_addr *dst = rtnl_route_get_dst(r);
		if (rtnl_route_get_table(r) != RT_TABLE_MAIN || (dst && nl_addr_get_prefixlen(dst)))
			continue;
		if (rtnl_route_get_nnexthops(r) > 0)
			ifindex = rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(r, 0));
	}
	nl_cache_free(routes);
	return ifindex;
}

/* First IPv4 address on ifindex (0 = first on any non-loopback interface). */
static bool pick(struct nl_cache *addrs, struct nl_cache *links, int ifindex, char *out,
		 int *prefixlen)
{
	for (struct nl_object *o = nl_cache_get_first(addrs); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		if (rtnl_addr_get_family(a) != AF_INET)
			continue;
		int idx = rtnl_addr_get_ifindex(a);
		if (ifindex && idx != ifindex)
			continue;
		if (!ifindex) {
			struct rtnl_link *l = rtnl_link_get(links, idx);
			bool loop = !l || (rtnl_link_get_flags(l) & IFF_LOOPBACK);
			if (l)
				rtnl_link_put(l);
			if (loop)
				continue;
		}
		struct nl_addr *local = rtnl_addr_get_local(a);
		if (!local || nl_addr_get_len(local) != 4)
			continue;
		inet_ntop(AF_INET, nl_addr_get_binary_addr(local), out, BL_ADDR_LEN);
		*prefixlen = rtnl_addr_get_prefixlen(a);
		return true;
	}
	return false;
}

int bl_netaddr_detect(const char *ifname, char addr[BL_ADDR_LEN], int *prefixlen)
{
	addr[0] = '\0';
	struct nl_sock *sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	struct nl_cache *links = NULL, *addrs = NULL;
	int r = nl_connect(sk, NETLINK_ROUTE);
	if (r == 0)
		r = rtnl_link_alloc_cache(sk, AF_UNSPEC, &links);
	if (r == 0)
		r = rtnl_addr_alloc_cache(sk, &addrs);
	if (r < 0) {
		r = bl_fail(-EIO, "rtnetlink: %s", nl_geterror(r));
		goto out;
	}
	if (ifname && *ifname) {
		int idx = rtnl_link_name2i(links, ifname);
		if (!idx)
			r = bl_fail(-ENOENT, "boot interface %s: no such interface", ifname);
		else if (!pick(addrs, links, idx, addr, prefixlen))
			r = bl_fail(-ENOENT, "boot interface %s: has no IPv4 address", ifname);
		goto out;
	}
	int idx = default_route_ifindex(sk);
	if ((idx && pick(addrs, links, idx, addr, prefixlen)) || pick(addrs, links, 0, addr, prefixlen))
		r = 0;
	else
		r = bl_fail(-ENOENT, "no interface with an IPv4 address (set boot_interface or "
			    "server_address)");
out:
	if (addrs)
		nl_cache_free(addrs);
	if (links)
		nl_cache_free(links);
	nl_socket_free(sk);
	return r;
}

struct bl_netwatch {
	struct nl_sock *sk;
	bool changed;
};

static int on_event(struct nl_msg *msg, void *arg)
{
	struct bl_netwatch *w = arg;
	int type = nlmsg_hdr(msg)->nlmsg_type;
	if (type == RTM_NEWADDR || type == RTM_DELADDR)
		w->changed = true;
	return NL_OK;
}

int bl_netwatch_open(struct bl_netwatch **out)
{
	struct bl_netwatch *w = calloc(1, sizeof(*w));
	if (!w || !(w->sk = nl_socket_alloc())) {
		free(w);
		return -ENOMEM;
	}
	nl_socket_disable_seq_check(w->sk);
	nl_socket_modify_cb(w->sk, NL_CB_VALID, NL_CB_CUSTOM, on_event, w);
	int r = nl_connect(w->sk, NETLINK_ROUTE);
	if (r == 0)
		r = nl_socket_add_membership(w->sk, RTNLGRP_IPV4_IFADDR);
	if (r == 0)
		r = nl_socket_set_nonblocking(w->sk);
	if (r < 0) {
		r = bl_fail(-EIO, "rtnetlink address events: %s", nl_geterror(r));
		bl_netwatch_close(w);
		return r;
	}
	*out = w;
	return 0;
}

int bl_netwatch_fd(const struct bl_netwatch *w)
{
	return nl_socket_get_fd(w->sk);
}

int bl_netwatch_drain(struct bl_netwatch *w)
{
	w->changed = false;
	while (nl_recvmsgs_default(w->sk) >= 0)
		;
	return w->changed ? 1 : 0;
}

void bl_netwatch_close(struct bl_netwatch *w)
{
	if (!w)
		return;
	nl_socket_free(w->sk);
	free(w);
}
