/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/*
 * Exit statuses, the same for both hooks. Anything the container's image
 * controls (its rootfs, its annotations) and a burrowfs that is not running
 * end in HOOK_EXIT_OK: the container starts, perhaps without burrowfs files.
 * Only a broken invocation (no LXC environment, a state document that is not
 * OCI state, a pid or bundle that does not exist) gives HOOK_EXIT_INVOCATION,
 * which the runtime reports and which stops the start. With --require (or
 * the annotation below), a burrowfs that is not there, or a file of it that
 * cannot be bound, gives HOOK_EXIT_REQUIRED: that container does not start.
 */
enum {
	HOOK_EXIT_OK = 0,
	HOOK_EXIT_INVOCATION = 1,
	HOOK_EXIT_REQUIRED = 2,
};

/* The OCI annotation (also read from config.json) that turns the hook off. */
#define HOOK_ANNOTATION_DISABLE "io.burrow.disable"
/* The OCI annotation that makes burrowfs's files required, as --require does. */
#define HOOK_ANNOTATION_REQUIRE "io.burrow.require"

struct hook_opts {
	const char *burrowfs_dir;
	bool verbose;
	bool require;
	bool per_container;	    /* the container's own connection (default); --shared: not */
	const char *control_socket; /* NULL: burrow_ctl_socket_for(burrowfs_dir) */
};

int hook_run_lxc(const struct hook_opts *o);
int hook_run_oci(const struct hook_opts *o);

/*
 * Clone the burrowfs files from o->burrowfs_dir, then call open_rootfs, which
 * returns the rootfs fd or a negative errno it has logged (the OCI hook joins
 * the container's mount namespace there, after the clones are taken), then
 * bind. With o->per_container (the default), the container's own burrowfs
 * connection is asked for first (hook-ctl.h), naming the container by pid.
 * Returns the exit status; logs one summary line naming what.
 */
int hook_apply(const struct hook_opts *o, int64_t pid, int (*open_rootfs)(void *userdata),
	       void *userdata, const char *what);
