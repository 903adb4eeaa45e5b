/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <linux/filter.h>
#include <stddef.h>

/* Checks a policy's syntax and syscall names; the reason goes to why. */
int seccomp_policy_check(const char *text, char *why, size_t why_size);

/*
 * Compiles the policy (path, or the built-in one when NULL) into classic BPF
 * now, in the parent, so the child only has to load it: libseccomp allocates.
 */
int seccomp_compile(const char *path, struct sock_fprog *ret);
void seccomp_prog_free(struct sock_fprog *prog);

/* Async-signal-safe: installs prog in the calling thread (needs CAP_SYS_ADMIN in its userns). */
int seccomp_install(const struct sock_fprog *prog);
