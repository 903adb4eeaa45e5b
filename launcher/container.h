/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <linux/filter.h>
#include <stdbool.h>
#include <sys/types.h>

#include "cgroups.h"
#include "conf.h"
#include "ctlclient.h"
#include "mounts.h"
#include "net.h"
#include "seccomp-policy.h"

/*
 * One boot of a container: what the parent prepares, then clone() and the
 * child's setup up to exec of init. Used by the monitor (start) and by run.
 */
struct launch {
	const struct container_config *config;
	const char *rootfs;
	const char *hostname;
	const char *uuid;
	const struct cg_set *cg; /* NULL: no cgroups */
	const char *host_dir;	 /* NULL: no /run/host */
	bool console;		 /* a pty console for the monitor; otherwise stdio is inherited */
	bool notify;		 /* NOTIFY_SOCKET=/run/host/notify */
	unsigned tty_mask;	 /* without console: fds 0-2 to put on a pty (guest_tty_mask()) */

	/* Filled by launch_prepare(). */
	struct mount_plan pre, post;
	struct sock_fprog seccomp;
	struct seccomp_agent agent; /* connected: the filter notifies sysinfo to it */
	uint64_t caps_drop;
	char **argv, **envp;
	char *burrowfs;
	bool cgroup_ns; /* unshare a cgroup namespace (not with cgroup=burrowfs) */
	struct trees trees;
	struct net_attach net; /* network= resolved; pasta runs as long as the launch */
	/* burrowfs-mount=per-container: the child's copy of what the parent relayed (trees.ctl). */
	struct burrow_ctl_mounts ctl;
	const char *ctl_socket; /* burrowfs's control socket to ask; NULL: none (shared) */
	bool ctl_used;		/* set by launch_spawn(): the container got its own connection */
	bool exec_failed;	/* set by launch_spawn(): init itself could not be executed */
};

/* Resolves burrowfs, builds the mount plan, compiles seccomp: all before clone(). */
int launch_prepare(struct launch *l);
void launch_done(struct launch *l);

/*
 * Clones the container's init in new user, mount, pid, uts, ipc (then net
 * and cgroup) namespaces, maps its ids, puts it in its cgroups and waits
 * until it has exec'd init. *ret_console gets the console's pty master when
 * l->console, or the pty master of init's stdio when l->tty_mask. Init
 * inherits no fd but 0-2, and runs in a session of its own. Everything
 * that fails is logged.
 */
int launch_spawn(struct launch *l, pid_t *ret_pid, int *ret_console);
