/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>

struct net_caller {
	uid_t uid; /* the real ids of whoever ran the setuid helper */
	gid_t gid;
	gid_t groups[256];
	int n_groups;
};

struct net_target {
	int fd; /* the netns, opened as the caller */
	uint64_t dev, ino;
};

/*
 * The network namespace of pid, opened by a child that has dropped to the
 * caller's real ids, so the kernel's own checks decide (CVE-2018-6556: root
 * must never open what a caller names). Refused unless the caller owns pid
 * and holds CAP_SYS_ADMIN, so every capability, over the netns's owning user
 * namespace (CVE-2017-5985). One error, -EPERM, whatever the reason, so a
 * refusal tells nothing about other users' processes.
 */
int target_open(const struct net_caller *caller, pid_t pid, struct net_target *ret);
