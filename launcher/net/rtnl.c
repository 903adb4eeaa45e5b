/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rtnl.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <string.h>
#include <time.h>

/* MNL_SOCKET_BUFFER_SIZE is a sysconf() call, so a VLA: fixed sizes instead. */
#define REQ_SIZE  4096
#define RECV_SIZE 32768

int rtnl_open(struct mnl_socket **ret)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int r = -errno;

		mnl_socket_close(nl);
		return r;
	}
	*ret = nl;
	return 0;
}

void rtnl_closep(struct mnl_socket **nl)
{
	if (*nl)
		mnl_socket_close(*nl);
}

static struct nlmsghdr *msg_start(char *buf, uint16_t type, uint16_t flags, int ifindex)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return nlh;
}

/* Send one request and read to its ack; cb (may be NULL) sees data replies. */
static int transact(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[RECV_SIZE];
	unsigned portid = mnl_socket_get_portid(nl);
	uint32_t seq = nlh->nlmsg_seq;
	ssize_t n;
	int r;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		r = mnl_cb_run(buf, n, seq, portid, cb, data);
	} while (r > 0);
	return r < 0 ? -errno : 0;
}

static int linkinfo_cb(const struct nlattr *attr, void *data)
{
	struct rtnl_link *l = data;

	if (mnl_attr_get_type(attr) == IFLA_INFO_KIND &&
	    mnl_attr_validate(attr, MNL_TYPE_STRING) >= 0)
		l->is_bridge = strcmp(mnl_attr_get_str(attr), "bridge") == 0;
	return MNL_CB_OK;
}

static int link_attr_cb(const struct nlattr *attr, void *data)
{
	struct rtnl_link *l = data;

	switch (mnl_attr_get_type(attr)) {
	case IFLA_MASTER:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
			l->master = (int)mnl_attr_get_u32(attr);
		break;
	case IFLA_LINKINFO:
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) >= 0)
			mnl_attr_parse_nested(attr, linkinfo_cb, l);
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rtnl_link *l = data;
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	l->ifindex = ifi->ifi_index;
	return mnl_attr_parse(nlh, sizeof(*ifi), link_attr_cb, l);
}

int rtnl_link_get(struct mnl_socket *nl, const char *name, struct rtnl_link *ret)
{
	char buf[REQ_SIZE];
	struct nlmsghdr *nlh = msg_start(buf, RTM_GETLINK, 0, 0);
	struct rtnl_link l = { 0 };
	int r;

	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	r = transact(nl, nlh, link_cb, &l);
	if (r < 0)
		return r;
	if (l.ifindex <= 0)
		return -ENODEV;
	*ret = l;
	return 0;
}

int rtnl_veth_create(struct mnl_socket *nl, const char *host_name, const char *peer_name,
		     int netns_fd, const uint8_t mac[6])
{
	char buf[REQ_SIZE];
	struct nlmsghdr *nlh = msg_start(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	struct nlattr *info, *data, *peer;
	struct ifinfomsg *pifi;

	mnl_attr_put_strz(nlh, IFLA_IFNAME, host_name);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* The peer's attributes follow an ifinfomsg of its own. */
	pifi = mnl_nlmsg_get_payload_tail(nlh);
	memset(pifi, 0, sizeof(*pifi));
	pifi->ifi_family = AF_UNSPEC;
	nlh->nlmsg_len += MNL_ALIGN(sizeof(*pifi));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer_name);
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)netns_fd);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return transact(nl, nlh, NULL, NULL);
}

int rtnl_link_attach_up(struct mnl_socket *nl, int ifindex, int master)
{
	char buf[REQ_SIZE];
	struct nlmsghdr *nlh = msg_start(buf, RTM_NEWLINK, 0, ifindex);
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master);
	return transact(nl, nlh, NULL, NULL);
}

int rtnl_link_del(struct mnl_socket *nl, int ifindex)
{
	char buf[REQ_SIZE];
	struct nlmsghdr *nlh = msg_start(buf, RTM_DELLINK, 0, ifindex);

	return transact(nl, nlh, NULL, NULL);
}
