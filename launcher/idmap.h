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

/* m plus the caller's own id mapped just past m's ranges, as lxc-usernsexec does. */
void idmap_with_caller(const struct idmap *m, uint32_t caller, struct idmap *ret);

/*
 * Writes pid's maps: directly when root (no setgroups restriction then),
 * through newuidmap/newgidmap otherwise, which check /etc/subuid and
 * /etc/subgid for us.
 */
int idmap_write(pid_t pid, const struct idmap *uid, const struct idmap *gid);

/*
 * Runs argv as root of a new user namespace (plus the namespaces in flags)
 * that maps the container's ids and the caller's own, so the caller's files
 * stay reachable while everything created gets the container's ids. With
 * CLONE_NEWPID, argv runs as the namespace's PID 1. Returns argv's exit
 * status (0 on success) or a negative errno.
 */
int userns_exec(const struct idmap *uid, const struct idmap *gid, unsigned long flags,
		char *const argv[], int stdin_fd);
