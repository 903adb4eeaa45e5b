/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* A container's files: a root's under /var/lib/burrow, a user's under ~/.local/share/burrow. */
struct ct {
	char *name;
	char *dir;
	char *config;
	char *rootfs;
	char *state;	   /* the monitor's state file, present while it runs */
	char *ctl;	   /* the monitor's control socket */
	char *host;	   /* bound read-only at /run/host inside */
	char *console_log; /* what the console printed while nobody was attached */
};

char *burrow_home(void);
bool ct_name_valid(const char *name);
/* Logs a bad name. Does not check that the container exists. */
int ct_init(const char *name, struct ct *ret);
/* ct_init() plus "does not exist" as a logged -ENOENT. */
int ct_open(const char *name, struct ct *ret);
void ct_done(struct ct *ct);
/* Sorted names of the existing containers. */
char **ct_list(void);

enum ct_state {
	CT_STOPPED,
	CT_STARTING,
	CT_RUNNING,
	CT_STOPPING,
	CT_REBOOTING,
};

struct ct_status {
	enum ct_state state;
	bool ready; /* the guest's init sent READY=1 */
	pid_t monitor;
	uint64_t monitor_start;
	pid_t init; /* host pid */
	uint64_t init_start;
	uint64_t started_usec; /* CLOCK_REALTIME of the current boot */
	unsigned boots;
	bool burrowfs_bound; /* this boot has burrowfs's files (from a mount of either kind) */
	bool burrowfs_own;   /* this boot's /proc files come from its own burrowfs connection */
	char uuid[37];
	char **cgroups; /* "memory=/sys/fs/cgroup/memory/burrow/c1", NULL-terminated */
	char *uid_map, *gid_map;
};

const char *ct_state_name(enum ct_state s);
int status_write(const struct ct *ct, const struct ct_status *s);
/* A missing file, or a monitor that is gone, reads as CT_STOPPED. */
int status_read(const struct ct *ct, struct ct_status *ret);
void status_done(struct ct_status *s);
