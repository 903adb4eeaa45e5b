/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct container_config;

/* "sys_module;cap_sys_rawio,AUDIT_READ": names as libcap knows them, with or without "cap_". */
int caps_parse_list(const char *v, uint64_t *ret, char *why, size_t why_size);

/* The capabilities to remove from the bounding set, from drop or keep. */
uint64_t caps_drop_mask(const struct container_config *c);

/*
 * Async-signal-safe: runs between clone() and exec. Drops every capability
 * in mask from the bounding set. Returns 0 or a negative errno.
 */
int caps_apply(uint64_t mask);

/* "sys_module,sys_rawio" for display. */
char *caps_format(uint64_t mask);
