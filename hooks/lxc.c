/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * lxc.hook.mount: LXC runs it inside the container's mount namespace (and, for
 * an unprivileged container, its user namespace) after the rootfs and its
 * /proc and /sys are mounted under LXC_ROOTFS_MOUNT, before pivot_root. The
 * mounts made here therefore stay private to the container.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hook-util.h"
#include "hooks.h"

static int lxc_open_rootfs(void *userdata)
{
	const char *rootfs = userdata;
	int fd;

	fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return hook_log_errno(-errno, "cannot open LXC_ROOTFS_MOUNT '%s'", rootfs);
	return fd;
}

int hook_run_lxc(const struct hook_opts *o)
{
	const char *type = getenv("LXC_HOOK_TYPE");
	const char *rootfs = getenv("LXC_ROOTFS_MOUNT");
	const char *name = getenv("LXC_NAME");
	char what[256];

	if (!rootfs || rootfs[0] != '/') {
		hook_log("LXC_ROOTFS_MOUNT is %s; this must run as lxc.hook.mount",
			 rootfs ? "not an absolute path" : "not set");
		return HOOK_EXIT_INVOCATION;
	}
	/*
	 * Earlier hooks (pre-start) run in the host's mount namespace, where
	 * binding into the rootfs would leak mounts onto the host. Refuse them.
	 */
	if (type && strcmp(type, "mount") != 0) {
		hook_log("run as lxc.hook.%s; it must be lxc.hook.mount", type);
		return HOOK_EXIT_INVOCATION;
	}

	snprintf(what, sizeof(what), "LXC container %s", name ? name : "(unnamed)");
	return hook_apply(o, 0, lxc_open_rootfs, (void *)rootfs, what);
}
