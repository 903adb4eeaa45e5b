/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cgstats.h"

#include <errno.h>
#include <linux/cgroupstats.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/taskstats.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "macro.h"

/*
 * taskstats' CGROUPSTATS_CMD_GET: the kernel walks the tasks of the cgroup
 * whose directory fd we pass (cgroupstats_build(), kernel/cgroup/cgroup-v1.c)
 * and counts them by state, in one call, where a scan reads a stat file per
 * task. It answers only for v1 hierarchies (a cgroup2 directory gets
 * EINVAL), counts the cgroup's own tasks and not its children's, and needs
 * CONFIG_TASKSTATS. The fd is looked up in the sender's table: the request
 * is served in the sending thread's context.
 */

#define NLA_ALIGN_LEN(n) (((n) + NLA_ALIGNTO - 1) & ~(NLA_ALIGNTO - 1))
#define GENL_HDRLEN_ALL	 (NLMSG_HDRLEN + GENL_HDRLEN)

struct burrow_cgstats {
	int fd;
	uint16_t family;
	uint32_t seq;
};

struct request {
	struct nlmsghdr n;
	struct genlmsghdr g;
	char attrs[64];
};

static void put_attr(struct request *r, uint16_t type, const void *data, uint16_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)r + NLMSG_ALIGN(r->n.nlmsg_len));

	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	memcpy((char *)a + NLA_HDRLEN, data, len);
	r->n.nlmsg_len = NLMSG_ALIGN(r->n.nlmsg_len) + NLA_ALIGN_LEN(a->nla_len);
}

static int send_request(struct burrow_cgstats *s, uint16_t type, uint8_t cmd, uint16_t attr,
			const void *data, uint16_t len)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct request r = {
		.n = { .nlmsg_len = GENL_HDRLEN_ALL,
		       .nlmsg_type = type,
		       .nlmsg_flags = NLM_F_REQUEST,
		       .nlmsg_seq = ++s->seq },
		.g = { .cmd = cmd, .version = 1 },
	};
	ssize_t n;

	put_attr(&r, attr, data, len);
	n = sendto(s->fd, &r, r.n.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel));
	if (n < 0)
		return -errno;
	return n == (ssize_t)r.n.nlmsg_len ? 0 : -EIO;
}

/*
 * The answer to our last request: the attribute `want` of its payload
 * copied into buf (at most size bytes). Answers to older requests (a
 * reply that came after we gave up on it) are skipped.
 */
static int recv_reply(struct burrow_cgstats *s, uint16_t want, void *buf, size_t size)
{
	char msg[1024] __attribute__((aligned(NLMSG_ALIGNTO)));

	for (;;) {
		const struct nlmsghdr *h = (const struct nlmsghdr *)msg;
		ssize_t n = recv(s->fd, msg, sizeof(msg), 0);
		size_t off;

		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		if (!NLMSG_OK(h, (size_t)n))
			return -EIO;
		if (h->nlmsg_seq != s->seq)
			continue;
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return -EIO;
			return e->error < 0 ? e->error : -ENODATA;
		}
		for (off = GENL_HDRLEN_ALL; off + NLA_HDRLEN <= h->nlmsg_len;) {
			const struct nlattr *a = (const struct nlattr *)(msg + off);

			if (a->nla_len < NLA_HDRLEN || off + a->nla_len > h->nlmsg_len)
				return -EIO;
			if ((a->nla_type & NLA_TYPE_MASK) == want) {
				if ((size_t)(a->nla_len - NLA_HDRLEN) < size)
					return -EIO;
				memcpy(buf, (const char *)a + NLA_HDRLEN, size);
				return 0;
			}
			off += NLA_ALIGN_LEN(a->nla_len);
		}
		return -ENODATA;
	}
}

static int resolve_family(struct burrow_cgstats *s)
{
	static const char name[] = TASKSTATS_GENL_NAME;
	int r;

	r = send_request(s, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, CTRL_ATTR_FAMILY_NAME, name,
			 sizeof(name));
	if (r < 0)
		return r;
	r = recv_reply(s, CTRL_ATTR_FAMILY_ID, &s->family, sizeof(s->family));
	/* No such family: a kernel without CONFIG_TASKSTATS. */
	return r == -ENOENT || r == -ENODATA ? -EOPNOTSUPP : r;
}

void burrow_cgstats_free(struct burrow_cgstats *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

int burrow_cgstats_new(struct burrow_cgstats **ret)
{
	/* The kernel answers at once; a bound keeps a lost reply from stalling the sampler. */
	const struct timeval timeout = { .tv_sec = 1 };
	struct burrow_cgstats *s;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (s->fd < 0) {
		r = -errno;
		free(s);
		return r;
	}
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) < 0)
		r = -errno;
	else
		r = resolve_family(s);
	if (r < 0) {
		burrow_cgstats_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

int burrow_cgstats_get(struct burrow_cgstats *s, int dir_fd, struct burrow_cgcount *ret)
{
	struct cgroupstats st;
	uint32_t fd = (uint32_t)dir_fd;
	int r;

	if (dir_fd < 0)
		return -EBADF;
	r = send_request(s, s->family, CGROUPSTATS_CMD_GET, CGROUPSTATS_CMD_ATTR_FD, &fd,
			 sizeof(fd));
	if (r < 0)
		return r;
	r = recv_reply(s, CGROUPSTATS_TYPE_CGROUP_STATS, &st, sizeof(st));
	/* Not a v1 cgroup directory (a cgroup2 one): the caller scans instead. */
	if (r == -EINVAL)
		return -EOPNOTSUPP;
	if (r < 0)
		return r;
	/*
	 * The kernel sorts by the exact state: a killable sleep
	 * (TASK_UNINTERRUPTIBLE | TASK_WAKEKILL: a page cache read's folio
	 * lock) lands among the others, and counts only as nr_io_wait when it
	 * waits for I/O. loadavg and a 'D' in /proc count it either way: add
	 * the I/O waiters, the bulk of them. Killable waits without I/O (a
	 * vfork parent) are not counted here.
	 */
	*ret = (struct burrow_cgcount){ .running = st.nr_running,
					.uninterruptible = st.nr_uninterruptible + st.nr_io_wait };
	return 0;
}
