/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "dev.h"

#include <glib.h>
#include <sys/mount.h>

/*
 * The devices every container may use, bound from the host (a user
 * namespace can't mknod). No /dev/kmsg: journald would read the host's
 * kernel log. No ttyN: systemd's container interface forbids them.
 */
static const char *const devices[] = { "null", "zero", "full", "random", "urandom", "tty" };

void dev_plan(struct mount_plan *pre, bool console)
{
	plan_mount(pre, "tmpfs", "dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=4m");
	for (size_t i = 0; i < G_N_ELEMENTS(devices); i++) {
		g_autofree char *src = g_build_filename("/dev", devices[i], NULL);
		g_autofree char *dst = g_build_filename("dev", devices[i], NULL);

		plan_touch(pre, dst, 0666);
		plan_bind(pre, src, dst, false, false);
	}
	plan_mkdir(pre, "dev/pts", 0755);
	plan_mount(pre, "devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		   "newinstance,ptmxmode=0666,mode=0620,gid=5");
	plan_symlink(pre, "pts/ptmx", "dev/ptmx");
	plan_mkdir(pre, "dev/shm", 01777);
	plan_mount(pre, "tmpfs", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	plan_mkdir(pre, "dev/mqueue", 0755);
	plan_mount(pre, "mqueue", "dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	plan_symlink(pre, "/proc/self/fd", "dev/fd");
	plan_symlink(pre, "/proc/self/fd/0", "dev/stdin");
	plan_symlink(pre, "/proc/self/fd/1", "dev/stdout");
	plan_symlink(pre, "/proc/self/fd/2", "dev/stderr");
	if (console)
		plan_touch(pre, "dev/console", 0600);
}
