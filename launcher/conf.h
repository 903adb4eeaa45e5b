/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LIMIT_NONE	 UINT64_MAX
#define IDMAP_MAX_RANGES 5 /* what newuidmap and the kernel both accept, kept small */

struct idmap_range {
	uint32_t inside, outside, count;
};

struct idmap {
	struct idmap_range r[IDMAP_MAX_RANGES];
	size_t n;
	bool is_auto; /* resolved from /etc/subuid or /etc/subgid by idmap_resolve() */
};

enum net_mode {
	NET_NONE,  /* a network namespace with loopback only */
	NET_HOST,  /* the host's (root only) */
	NET_VETH,  /* a bridge port from the setuid burrow-net, within root's quota */
	NET_PASTA, /* pasta (or slirp4netns) as the caller, no privilege */
	NET_AUTO,  /* veth, else pasta, else none: decided at each start (net.c) */
};

#define NET_FORWARD_MAX 32

/*
 * network-forward=: PROTO:HOSTPORT:PORT, a host port to the guest's port.
 * network-to-host=: PROTO:PORT:HOSTPORT, the guest's loopback port to the
 * host's loopback port.
 */
struct net_forward {
	bool udp;
	uint16_t host_port, guest_port;
};

enum tristate {
	TRI_AUTO,
	TRI_YES,
	TRI_NO,
};

struct bind_mount {
	char *source;
	char *dest;
	bool ro;
};

/* Where the container's /proc files come from (key burrowfs-mount=). */
enum burrowfs_mount {
	BURROWFS_MOUNT_SHARED,	      /* bound from the shared mount at burrowfs-path */
	BURROWFS_MOUNT_PER_CONTAINER, /* its own connection, from burrowfs-control */
};

/* How the container gets its /sys/fs/cgroup (key cgroup=). */
enum cgroup_mode {
	CGROUP_MODE_AUTO,
	CGROUP_MODE_NAMESPACE, /* a cgroup namespace, the real cgroupfs bound */
	CGROUP_MODE_BURROWFS,  /* no cgroup namespace: burrowfs's cgroup/ tree bound */
};

struct container_config {
	char *hostname; /* NULL: the container's name */
	char *init;
	char **command;	    /* arguments after init; NULL-terminated, never NULL */
	char **environment; /* KEY=VALUE; NULL-terminated, never NULL */
	enum net_mode network;
	char *net_bridge; /* network-bridge= */
	char *net_hwaddr; /* NULL: burrow-net picks one */
	struct net_forward forwards[NET_FORWARD_MAX];
	size_t n_forwards;
	struct net_forward to_host[NET_FORWARD_MAX];
	size_t n_to_host;
	bool net_host_loopback; /* network-host-loopback=: pasta/slirp4netns reach the host's lo */

	struct idmap uid_map, gid_map;

	uint64_t memory, memory_swap, pids; /* LIMIT_NONE: unset */
	char *cpus;			    /* NULL: unset */
	uint64_t cpu_quota_us;		    /* per 100 ms; LIMIT_NONE: unset */

	struct bind_mount *binds;
	size_t n_binds;

	uint64_t caps_drop; /* bit n: capability n */
	uint64_t caps_keep;
	bool caps_keep_set;
	char *seccomp;	     /* NULL: the built-in policy */
	bool notify_sysinfo; /* seccomp-notify=sysinfo: burrowfs's agent answers sysinfo(2) */
	char *seccomp_agent; /* its socket */

	enum tristate burrowfs;
	char *burrowfs_path;
	enum burrowfs_mount burrowfs_mount;
	char *burrowfs_control;	 /* its --control-socket; NULL: auto (burrow_ctl_socket_for()) */
	enum cgroup_mode cgroup; /* CGROUP_MODE_AUTO: namespace when the kernel has them */
};

/* Where a value came from, for error messages: a file, or "-c" for the command line. */
struct config_source {
	const char *file;
	bool cmdline;
};

void config_init(struct container_config *c);
void config_done(struct container_config *c);

/*
 * The built-in defaults, the site or user default.conf, then the container's
 * config file (may be NULL). Every key and value is checked; the first bad
 * one is logged with its file, key and reason, and the load fails -EINVAL.
 */
int config_load(const char *container_config, struct container_config *ret);

/* One "KEY=VALUE" or "GROUP.KEY=VALUE" from -c, checked like a file's. */
int config_apply_arg(struct container_config *c, const char *arg);
int config_apply_args(struct container_config *c, char **args);
/* Checks -c settings on their own, before anything is fetched or made. */
int config_check_args(char **args);

/* Adds the -c settings to a container's config file, creating it. */
int config_save_args(const char *path, char **args);

/* config-keys.c: the table of keys and the value parsers. */
struct config_key {
	const char *group;
	const char *name;
	int (*parse)(struct container_config *c, const char *value, char *why, size_t why_size);
};

const struct config_key *config_key_find(const char *group, const char *name);
const struct config_key *config_key_find_any(const char *name);
size_t config_keys_count(void);
const struct config_key *config_key_nth(size_t i);

int parse_size(const char *v, uint64_t *ret);
void config_binds_clear(struct container_config *c);
