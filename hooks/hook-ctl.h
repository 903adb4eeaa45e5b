/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "hook-mount.h"
#include "hooks.h"

/*
 * Asks burrowfs (o->control_socket) for the container's own connection,
 * naming the container by pid (> 1: the runtime's host pid; else the hook's
 * own process, which then runs inside the container), and puts each mount
 * it sends in src in place of the shared mount's clone of that path.
 * Returns how many were swapped, or -errno after one line saying why and
 * that the shared mount's files are bound instead.
 */
int hook_ctl_swap(const struct hook_opts *o, int64_t pid, struct hook_sources *src,
		  const char *what);
