/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct mnl_socket;

struct rtnl_link {
	int ifindex;
	int master; /* 0 when enslaved to nothing */
	bool is_bridge;
};

/* rtnetlink, in the helper's (the host's) network namespace. */
int rtnl_open(struct mnl_socket **ret);
void rtnl_closep(struct mnl_socket **nl);
#define _cleanup_rtnl_ __attribute__((cleanup(rtnl_closep)))

/* The link called name: -ENODEV when there is none. */
int rtnl_link_get(struct mnl_socket *nl, const char *name, struct rtnl_link *ret);

/*
 * A veth pair: host_name here, its peer created directly in the netns of
 * netns_fd as peer_name with address mac (so no guest-side name ever exists
 * in the host's namespace to race on). -EEXIST when either name is taken.
 */
int rtnl_veth_create(struct mnl_socket *nl, const char *host_name, const char *peer_name,
		     int netns_fd, const uint8_t mac[6]);

/* Enslave ifindex to master and bring it up. */
int rtnl_link_attach_up(struct mnl_socket *nl, int ifindex, int master);

int rtnl_link_del(struct mnl_socket *nl, int ifindex);
