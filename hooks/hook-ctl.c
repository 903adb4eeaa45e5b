/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Per-container (the default; --shared turns it off): the container's own
 * burrowfs connection (issue 14) in place of the shared mount's clones, for
 * the files burrowfs serves that way. Asked before the hook joins the
 * container's mount namespace: the control socket's path is the host's.
 * Whatever goes wrong here, the container still starts, with the shared
 * mount's files and one line saying why.
 */

#include "hook-ctl.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ctlclient.h"
#include "hook-util.h"
#include "macro.h"

/* The served row of path, bound on its own; -1 for none. */
static int served_row(const char *path)
{
	for (int i = 0; i < BURROW_SERVED_N; i++)
		if (strcmp(burrow_served[i].path, path) == 0 &&
		    burrow_served_bound(&burrow_served[i]))
			return i;
	return -1;
}

int hook_ctl_swap(const struct hook_opts *o, int64_t pid, struct hook_sources *src,
		  const char *what)
{
	const char *sock = burrow_ctl_socket_for(o->burrowfs_dir, o->control_socket);
	struct burrow_ctl_mounts m;
	_cleanup_close_ int pidfd = -1;
	char err[512];
	int r, n = 0;

	if (!sock) {
		hook_log("%s: per-container: no control socket is known for the burrowfs at %s "
			 "(give --control-socket, or --shared); binding from the shared mount",
			 what, o->burrowfs_dir);
		return -ENOENT;
	}

	/*
	 * createRuntime and prestart give the container's host pid. At
	 * createContainer (pid 0 or 1) the hook itself runs in the container's
	 * namespaces, before pivot_root: its own pid names the container, and
	 * the host's socket path is still reachable.
	 */
	pidfd = (int)syscall(SYS_pidfd_open, pid > 1 ? (pid_t)pid : getpid(), 0);
	if (pidfd < 0) {
		r = -errno;
		snprintf(err, sizeof(err), "cannot open the container's process: %s", strerror(-r));
	} else
		r = burrow_ctl_attach(sock, pidfd, &m, err, sizeof(err));
	if (r < 0) {
		hook_log("%s: per-container: %s; binding from the shared mount %s", what, err,
			 o->burrowfs_dir);
		return r;
	}
	for (uint32_t i = 0; i < m.n; i++) {
		int row = served_row(burrow_ctl_mounts_path(&m, i));

		if (row < 0) {
			if (o->verbose)
				hook_log("%s: burrowfs sent /%s, which is not a file it serves; "
					 "left alone",
					 what, burrow_ctl_mounts_path(&m, i));
			continue;
		}
		closep(&src->tree_fd[row]);
		src->tree_fd[row] = TAKE_FD(m.fd[i]);
		n++;
	}
	if (o->verbose)
		hook_log("%s: %d of burrowfs's files come from the container's own connection",
			 what, n);
	burrow_ctl_mounts_close(&m);
	return n;
}
