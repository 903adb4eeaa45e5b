/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "conf.h"
#include "state.h"

/*
 * Runs argv in a running container: its user, mount, pid, uts, ipc, net and
 * cgroup namespaces, its cgroups, as its root, with the same bounding set
 * and seccomp filter as its init. Returns argv's exit code (128+signal when
 * killed) or a negative errno.
 */
int attach_run(const struct ct_status *st, const struct container_config *c, char **argv);
