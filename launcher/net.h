/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf.h"

/*
 * A container's network for one boot. net_resolve() turns network=auto into
 * a mode before clone(); net_attach() runs once the child has unshared its
 * network namespace and before init runs; net_detach() after init is gone.
 */
struct net_attach {
	enum net_mode mode; /* resolved: never NET_AUTO */
	bool slirp;	    /* NET_PASTA with slirp4netns, pasta being missing */
	char *tool;	    /* pasta, slirp4netns or burrow-net: the path run */
	int helper_pidfd;   /* pasta or slirp4netns, kept for the container's life; -1: none */
	pid_t helper;
	char host_if[16]; /* veth: the host end burrow-net made */
};

void net_attach_init(struct net_attach *n);
/* Logs; for auto it says in one line why the container gets no network. */
int net_resolve(const struct container_config *c, struct net_attach *ret);
/* Whether the child must stop for net_attach() after unsharing its netns. */
bool net_needs_attach(const struct net_attach *n);
int net_attach(struct net_attach *n, const struct container_config *c, pid_t pid);
/* Ends pasta or slirp4netns; a veth pair goes with the netns (burrow-net drops its record). */
void net_detach(struct net_attach *n);
void net_attach_done(struct net_attach *n);

/*
 * net.c: runs argv with stdout (and with quiet, stderr too) into out, NUL-terminated (out
 * may be NULL); returns its exit status.
 */
int net_run_tool(char *const argv[], char *out, size_t out_size, bool quiet);
/* The burrow-net the launcher runs: $BURROW_NET, or the installed one. */
const char *net_helper_path(void);

/* net-pasta.c */
int net_pasta_start(struct net_attach *n, const struct container_config *c, pid_t pid);

/* net-veth.c */
/* 0 when burrow-net says the caller may add one more port on the bridge; why gets its line. */
int net_veth_quota(const char *bridge, char *why, size_t why_size);
int net_veth_add(struct net_attach *n, const struct container_config *c, pid_t pid);

/* net-addr.c: the addresses in the network namespace of a container's init, "eth0 10.0.2.15/24". */
int net_addresses(pid_t init, uint64_t init_start, char ***ret);
