/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "net-parse.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The next blank-separated word of [*p, end) into word (bounded); false at the end. */
static bool next_word(const char **p, const char *end, char *word, size_t size, bool *too_long)
{
	const char *s = *p, *e;

	while (s < end && is_blank(*s))
		s++;
	if (s == end)
		return false;
	for (e = s; e < end && !is_blank(*e); e++)
		;
	*too_long = (size_t)(e - s) >= size;
	if (!*too_long) {
		memcpy(word, s, e - s);
		word[e - s] = '\0';
	}
	*p = e;
	return true;
}

static int parse_count(const char *s, unsigned *ret)
{
	unsigned long v = 0;

	if (!*s || strlen(s) > 4)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (v > NET_COUNT_MAX)
		return -ERANGE;
	*ret = v;
	return 0;
}

static bool name_matches(const char *who, const char *user, const char *const *groups, size_t n)
{
	if (who[0] != '@')
		return strcmp(who, user) == 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(who + 1, groups[i]) == 0)
			return true;
	return false;
}

/*
 * One line, without its '\n'. 0 and *ret_matches when it names the user (or
 * one of the groups) and bridge; 0 for a blank or comment line; -EINVAL.
 */
static int parse_line(const char *s, const char *end, const char *user, const char *const *groups,
		      size_t n_groups, const char *bridge, bool *ret_match, unsigned *ret_count)
{
	char who[256], type[8], br[NET_IFNAME_MAX + 1], count[8], extra[2];
	const char *hash = memchr(s, '#', end - s);
	bool too_long;
	unsigned n;

	*ret_match = false;
	if (hash)
		end = hash;
	if (!next_word(&s, end, who, sizeof(who), &too_long))
		return 0;
	if (too_long || (who[0] == '@' && !who[1]))
		return -EINVAL;
	if (!next_word(&s, end, type, sizeof(type), &too_long) || too_long || strcmp(type, "veth"))
		return -EINVAL;
	if (!next_word(&s, end, br, sizeof(br), &too_long) || too_long || !net_ifname_valid(br))
		return -EINVAL;
	if (!next_word(&s, end, count, sizeof(count), &too_long) || too_long ||
	    parse_count(count, &n) < 0)
		return -EINVAL;
	if (next_word(&s, end, extra, sizeof(extra), &too_long))
		return -EINVAL;
	*ret_match = strcmp(br, bridge) == 0 && name_matches(who, user, groups, n_groups);
	*ret_count = n;
	return 0;
}

int usernet_lookup(const char *text, const char *user, const char *const *groups, size_t n_groups,
		   const char *bridge, struct usernet_rule *ret, unsigned *ret_bad_line)
{
	struct usernet_rule best = { 0, 0 };
	unsigned lineno = 0;

	for (const char *s = text; *s;) {
		const char *nl = strchr(s, '\n'), *end = nl ? nl : s + strlen(s);
		unsigned count;
		bool match;

		lineno++;
		if (parse_line(s, end, user, groups, n_groups, bridge, &match, &count) < 0) {
			*ret_bad_line = lineno;
			return -EINVAL;
		}
		if (match && (best.line == 0 || count > best.count))
			best = (struct usernet_rule){ count, lineno };
		s = nl ? nl + 1 : end;
	}
	if (best.line == 0)
		return -ENOENT;
	*ret = best;
	return 0;
}

bool net_ifname_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > NET_IFNAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
			return false;
	return true;
}

int net_parse_pid(const char *s, pid_t *ret)
{
	unsigned long long v = 0;

	if (!*s || *s == '0' || strlen(s) > 10)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (v > INT_MAX)
		return -ERANGE;
	*ret = (pid_t)v;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int net_parse_hwaddr(const char *s, uint8_t ret[6])
{
	uint8_t a[6];
	unsigned any = 0;

	if (strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(s[3 * i]), lo = hexval(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -EINVAL;
		a[i] = (uint8_t)(hi << 4 | lo);
		any |= a[i];
	}
	/* A multicast or all-zero address is no address for a NIC. */
	if ((a[0] & 1) || !any)
		return -EINVAL;
	memcpy(ret, a, 6);
	return 0;
}

int net_host_name(uid_t uid, unsigned index, char ret[NET_IFNAME_MAX + 1])
{
	int n = snprintf(ret, NET_IFNAME_MAX + 1, "bn%u-%u", (unsigned)uid, index);

	return n < 0 || n > NET_IFNAME_MAX ? -ENAMETOOLONG : 0;
}
