/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "net-parse.h"
#include "target.h"

#define NET_DEFAULT_BRIDGE "burrowbr0"

struct net_args {
	pid_t pid;
	char bridge[NET_IFNAME_MAX + 1];
	bool bridge_set;
	uint8_t hwaddr[6];
	bool hwaddr_set;
	bool json;
};

/* "burrow-net: ..." on stderr; returns 1, the exit status of a refusal. */
int net_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The caller's rule for bridge from BURROW_USERNET. Returns 0, or 1 after
 * printing why there is none (missing, malformed, not root's, no line).
 */
int quota_rule(const struct net_caller *caller, const char *bridge, struct usernet_rule *ret);

int cmd_add(const struct net_caller *caller, const struct net_args *a);
int cmd_del(const struct net_caller *caller, const struct net_args *a);
int cmd_ls(const struct net_caller *caller, const struct net_args *a);
int cmd_quota(const struct net_caller *caller, const struct net_args *a);
