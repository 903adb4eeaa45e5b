/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/*
 * The OCI seccomp agent protocol (runtime-spec config-linux.md, "seccomp",
 * listenerPath): the runtime sends the container process state as JSON,
 * and its "fds" array names, in order, the fds that come by SCM_RIGHTS
 * ("seccompFd" for the listener).
 *
 * Index of name in the top-level "fds" array of json (len bytes, need not
 * be terminated); -ENOENT when it is not there, -EBADMSG when "fds" is not
 * an array of strings.
 */
int burrow_oci_state_fd_index(const char *json, size_t len, const char *name);
