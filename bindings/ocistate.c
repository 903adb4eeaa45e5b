/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ocistate.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

struct cursor {
	const char *p, *end;
};

static void skip_ws(struct cursor *c)
{
	while (c->p < c->end && strchr(" \t\r\n", *c->p) && *c->p)
		c->p++;
}

static bool eat(struct cursor *c, char ch)
{
	skip_ws(c);
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return true;
	}
	return false;
}

/* A JSON string at the cursor, compared with want (escapes never match a name we look for). */
static int string_eq(struct cursor *c, const char *want, bool *ret)
{
	const char *start;
	bool escaped = false;

	if (!eat(c, '"'))
		return -EBADMSG;
	start = c->p;
	for (; c->p < c->end && *c->p != '"'; c->p++)
		if (*c->p == '\\') {
			escaped = true;
			if (++c->p == c->end)
				return -EBADMSG;
		}
	if (c->p == c->end)
		return -EBADMSG;
	*ret = !escaped && (size_t)(c->p - start) == strlen(want) &&
	       memcmp(start, want, strlen(want)) == 0;
	c->p++;
	return 0;
}

/*
 * The value after `"fds":` at depth 1 of the top object. Strings are
 * skipped whole, so a "fds" inside one (a listenerMetadata) is no key.
 */
static int find_fds(struct cursor *c)
{
	unsigned depth = 0;

	while (c->p < c->end) {
		char ch = *c->p;

		if (ch == '"') {
			bool is_fds;
			int r = string_eq(c, "fds", &is_fds);

			if (r < 0)
				return r;
			if (is_fds && depth == 1 && eat(c, ':'))
				return 0;
			continue;
		}
		if (ch == '{' || ch == '[')
			depth++;
		else if ((ch == '}' || ch == ']') && depth > 0)
			depth--;
		c->p++;
	}
	return -ENOENT;
}

int burrow_oci_state_fd_index(const char *json, size_t len, const char *name)
{
	struct cursor c = { json, json + len };
	int r, i = 0;

	r = find_fds(&c);
	if (r < 0)
		return r;
	if (!eat(&c, '['))
		return -EBADMSG;
	if (eat(&c, ']'))
		return -ENOENT;
	do {
		bool match;

		r = string_eq(&c, name, &match);
		if (r < 0)
			return r;
		if (match)
			return i;
		i++;
	} while (eat(&c, ','));
	return eat(&c, ']') ? -ENOENT : -EBADMSG;
}
