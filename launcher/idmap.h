/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "conf.h"

/*
 * Replaces "auto" maps with the caller's first subordinate range (at most
 * 65536 ids) from /etc/subuid and /etc/subgid. Logs what to do when the
 * caller has none.
 */
int idmap_resolve(struct container_config *c);

/* The kernel's uid_map text, "0 100000 65536\n". */
int idmap_format(const struct idmap *m, char *buf, size_t size);

/* The host id that is root inside; (uid_t)-1 when 0 is not mapped. */
uid_t idmap_root(const struct idmap *m);

/*
 * m plus the caller's own id mapped just past m's ranges, as lxc-usernsexec
 * does. Only for userns_exec_with_caller() and userns_hand_over().
 */
void idmap_with_caller(const struct idmap *m, uint32_t caller, struct idmap *ret);

/*
 * Writes pid's maps: directly when root (no setgroups restriction then),
 * through newuidmap/newgidmap otherwise, which check /etc/subuid and
 * /etc/subgid for us.
 */
int idmap_write(pid_t pid, const struct idmap *uid, const struct idmap *gid);

/*
 * Helper user namespaces map the container's ids and nothing else: never the
 * caller's own uid. With it mapped, the helper's root would hold
 * CAP_DAC_OVERRIDE over the caller's files (over all of host root's files
 * when the caller is root), so a symlink planted in an image could make tar,
 * rm or a write of /etc/hostname land in the host's /etc. Without it, a
 * helper that is tricked can only touch what the container's root owns.
 *
 * userns_run() forks, unshares a user namespace (plus the namespaces in
 * flags), maps it, becomes its root and returns fn(arg) as an exit status
 * (0 on success), or a negative errno. fn runs in the forked child: syscalls
 * only. With CLONE_NEWPID, fn runs as the namespace's PID 1.
 */
int userns_run(const struct idmap *uid, const struct idmap *gid, unsigned long flags,
	       int (*fn)(void *), void *arg);
/*
 * The same, with early(arg) run before becoming root: in the new namespaces,
 * with their capabilities, but still with the caller's ids for the kernel's
 * permission checks, so it can walk the caller's 0700 directories. Only to
 * bind the caller's own paths in the helper's mount namespace.
 */
int userns_run_early(const struct idmap *uid, const struct idmap *gid, unsigned long flags,
		     int (*early)(void *), int (*fn)(void *), void *arg);

/*
 * Runs argv that way, with stdin_fd as its stdin and, unless -1, cwd_fd as
 * its working directory: the container's root reaches a rootfs through an fd
 * the caller opened, since it can't walk the caller's 0700 directories.
 */
int userns_exec_at(const struct idmap *uid, const struct idmap *gid, unsigned long flags,
		   char *const argv[], int stdin_fd, int cwd_fd);
int userns_exec(const struct idmap *uid, const struct idmap *gid, unsigned long flags,
		char *const argv[], int stdin_fd);

/*
 * The one exception, for what an ordinary caller can't do alone: give a
 * file it owns to the container's root. A chown needs both ids mapped.
 * userns_exec_with_caller() is for cgroupfs paths the launcher made (cgroupfs
 * holds no symlinks and the guest's mounts are not in this namespace), never
 * for a rootfs. userns_hand_over() runs no program: one fchown() of an fd
 * the caller opened on a file of its own, directly when the caller is root.
 */
int userns_exec_with_caller(const struct idmap *uid, const struct idmap *gid, char *const argv[]);
int userns_hand_over(const struct idmap *uid, const struct idmap *gid, int fd);
