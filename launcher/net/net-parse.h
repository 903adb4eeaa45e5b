/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Pure parsers of burrow-net: everything a caller or the quota file hands the
 * setuid helper goes through one of these before it is used. No I/O here, so
 * tests/unit/test-usernet.c covers every rule.
 */

/* IFNAMSIZ - 1: the kernel's limit on an interface name. */
#define NET_IFNAME_MAX 15
#define NET_COUNT_MAX  9999

struct usernet_rule {
	unsigned count; /* the interfaces the rule allows on its bridge */
	unsigned line;	/* its line in the quota file, from 1 */
};

/*
 * The rule of the quota file (lines "USER|@GROUP veth BRIDGE COUNT", '#'
 * comments) that applies to user, a member of groups, on bridge: the one with
 * the largest COUNT among those naming the user or one of the groups (the
 * first of equals). -ENOENT when none does. Any malformed line makes the whole
 * file -EINVAL, with its number in *ret_bad_line: a root-written file that
 * does not parse is refused rather than half-read.
 */
int usernet_lookup(const char *text, const char *user, const char *const *groups, size_t n_groups,
		   const char *bridge, struct usernet_rule *ret, unsigned *ret_bad_line);

/* 1-15 bytes of [A-Za-z0-9_.-], not "." or "..": never a path, never a '/'. */
bool net_ifname_valid(const char *s);

/* A decimal pid, 1..INT_MAX, nothing else (no sign, blank or path). */
int net_parse_pid(const char *s, pid_t *ret);

/* "xx:xx:xx:xx:xx:xx", unicast and not all zero. */
int net_parse_hwaddr(const char *s, uint8_t ret[6]);

/* The host end's name: "bn<uid>-<index>", so `ip link` shows whose it is. */
int net_host_name(uid_t uid, unsigned index, char ret[NET_IFNAME_MAX + 1]);
