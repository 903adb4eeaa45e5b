/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "control.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

int burrow_ctl_req_check(const void *buf, size_t len, size_t nfds, struct burrow_ctl_req *ret)
{
	struct burrow_ctl_req q;

	if (len != sizeof(q))
		return -EPROTO;
	memcpy(&q, buf, sizeof(q));
	if (q.magic != BURROW_CTL_MAGIC || q.version != BURROW_CTL_VERSION)
		return -EPROTO;
	switch (q.op) {
	case BURROW_CTL_ATTACH:
		if (nfds != 1 || (q.flags & ~BURROW_CTL_ATTACH_CGROUP))
			return -EPROTO;
		break;
	case BURROW_CTL_STATS:
		if (nfds != 0 || q.flags != 0)
			return -EPROTO;
		break;
	default:
		return -EOPNOTSUPP;
	}
	*ret = q;
	return 0;
}

/* Relative, no empty, "." or ".." component, no doubled or trailing '/'. */
static bool path_ok(const char *p)
{
	if (!*p || *p == '/')
		return false;
	for (;;) {
		size_t k = strcspn(p, "/");

		if (k == 0 || (k == 1 && p[0] == '.') || (k == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (!p[k])
			return true;
		p += k + 1;
	}
}

const char *burrow_ctl_path(const char *body, size_t len, uint32_t n, uint32_t i)
{
	const char *p = body, *end = body + len;

	if (i >= n)
		return NULL;
	for (uint32_t k = 0;; k++) {
		const char *z = memchr(p, '\0', (size_t)(end - p));

		if (!z || !path_ok(p))
			return NULL;
		if (k == i)
			return p;
		p = z + 1;
		if (p >= end)
			return NULL;
	}
}

int burrow_ctl_reply_check(void *buf, size_t len, size_t nfds, struct burrow_ctl_reply *ret,
			   const char **ret_body, size_t *ret_body_len)
{
	struct burrow_ctl_reply h;
	char *body = (char *)buf + sizeof(h);
	size_t blen;

	if (len < sizeof(h) || len > sizeof(h) + BURROW_CTL_MAX)
		return -EPROTO;
	memcpy(&h, buf, sizeof(h));
	blen = len - sizeof(h);
	if (h.magic != BURROW_CTL_MAGIC || h.version != BURROW_CTL_VERSION || h.n != nfds ||
	    h.error > 0)
		return -EPROTO;
	if (h.error < 0) {
		if (h.n != 0)
			return -EPROTO;
		body[blen] = '\0';
	} else if (h.n > 0) {
		/* Every path must parse, and nothing may follow the last. */
		const char *last = burrow_ctl_path(body, blen, h.n, h.n - 1);

		if (!last || last + strlen(last) + 1 != body + blen)
			return -EPROTO;
	}
	*ret = h;
	*ret_body = body;
	*ret_body_len = blen;
	return 0;
}
