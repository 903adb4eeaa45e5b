/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * seccomp.c: the guest's seccomp policy (checked, compiled, installed) and
 * the connection to burrowfs's notify agent. Not named seccomp.h, which
 * would shadow libseccomp's <seccomp.h> on the launcher's include path.
 */

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>

/* Checks a policy's syntax and syscall names; the reason goes to why. */
int seccomp_policy_check(const char *text, char *why, size_t why_size);

/*
 * Compiles the policy (path, or the built-in one when NULL) into classic BPF
 * now, in the parent, so the child only has to load it: libseccomp allocates.
 */
int seccomp_compile(const char *path, bool notify_sysinfo, struct sock_fprog *ret);
void seccomp_prog_free(struct sock_fprog *prog);

/* Async-signal-safe: installs prog in the calling thread (needs CAP_SYS_ADMIN in its userns). */
int seccomp_install(const struct sock_fprog *prog);

/*
 * burrowfs's seccomp agent (seccomp-notify=sysinfo): a connection made in
 * the parent, before clone(), so that the agent sees the launching user as
 * the sender (SO_PEERCRED is taken at connect()), and the OCI state message
 * that goes with the listener, ready-made so the child need not allocate.
 */
struct seccomp_agent {
	bool connected;
	int fd;
	char msg[256];
	size_t len;
};

/* -ENOENT (or another -errno) when no agent listens at path: then notify nothing. */
int seccomp_agent_connect(const char *path, const char *id, struct seccomp_agent *ret);
void seccomp_agent_close(struct seccomp_agent *a);
/*
 * The agent a container with config c uses, when seccomp-notify=sysinfo and
 * burrowfs is bound (burrowfs non-NULL); ret->connected false when none
 * (logged).
 */
struct container_config;
void seccomp_agent_find(const struct container_config *c, const char *burrowfs, const char *id,
			struct seccomp_agent *ret);

/*
 * Async-signal-safe, for the child: installs prog (compiled with
 * notify_sysinfo) with a new listener, sends the listener to the agent and
 * closes both, so nothing of them reaches the guest.
 */
int seccomp_install_notify(const struct sock_fprog *prog, struct seccomp_agent *a);
