/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Acting for a caller. The daemon runs as root with the capabilities its
 * unit gives it; a worker thread that serves a cgroup write for an ordinary
 * user must look to the kernel like that user. Taking only the fsuid is not
 * enough: v1's pid moves compare the writer's (since Linux 5.16 the
 * opener's) effective uid with the target's, and capable() looks at the
 * effective set, neither of which setfsuid() touches. So the thread takes
 * the caller's real, effective and fs ids, its groups and an effective
 * capability set of no more than the caller holds over the host.
 *
 * Everything here is per thread: the raw syscalls change the calling
 * thread's credentials only, where glibc's wrappers would change every
 * thread of the daemon (they broadcast setresuid() and friends, as POSIX
 * asks). The saved uid stays the daemon's (0): with it the permitted set
 * survives the switch and the thread can come back without any saved state
 * in the kernel (no PR_SET_KEEPCAPS); no check the kernel makes for cgroup
 * files looks at it. A change of effective uid also makes the daemon
 * non-dumpable, which it then stays.
 */
#include "caller.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"

/* "Uid:\t0\t0\t0\t0": n ids after key, into v. */
static int parse_ids(const char *text, const char *key, uint32_t *v, size_t n)
{
	const char *p = strstr(text, key);

	if (!p)
		return -EIO;
	p += strlen(key);
	for (size_t i = 0; i < n; i++) {
		char *end;
		unsigned long x;

		errno = 0;
		x = strtoul(p, &end, 10);
		if (errno || end == p || x > UINT32_MAX)
			return -EIO;
		v[i] = (uint32_t)x;
		p = end;
	}
	return 0;
}

/* "Groups:\t0 4 24 \n": as many as fit; more are dropped, as fuse_req_getgroups() does. */
static int parse_groups(const char *text, gid_t *v, size_t *ret_n)
{
	const char *p = strstr(text, "\nGroups:");
	size_t n = 0;

	if (!p)
		return -EIO;
	p += strlen("\nGroups:");
	while (n < CALLER_MAX_GROUPS) {
		char *end;
		unsigned long x;

		p += strspn(p, " \t");
		if (*p == '\n' || !*p)
			break;
		errno = 0;
		x = strtoul(p, &end, 10);
		if (errno || end == p || x > UINT32_MAX)
			return -EIO;
		v[n++] = (gid_t)x;
		p = end;
	}
	*ret_n = n;
	return 0;
}

static int parse_cap(const char *text, const char *key, uint64_t *ret)
{
	const char *p = strstr(text, key);
	char *end;

	if (!p)
		return -EIO;
	errno = 0;
	*ret = strtoull(p + strlen(key), &end, 16);
	return errno || end == p + strlen(key) ? -EIO : 0;
}

static int read_status(int root_fd, pid_t pid, char **ret)
{
	char path[64];
	int r;

	if (pid <= 0)
		return -ESRCH;
	snprintf(path, sizeof(path), "proc/%d/status", (int)pid);
	r = read_full_at(root_fd, path, ret, NULL);
	return r == -ENOENT || r == -ENODATA ? -ESRCH : r;
}

static int userns_link(int root_fd, const char *pid, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "proc/%s/ns/user", pid);
	n = readlinkat(root_fd, path, buf, size - 1);
	if (n < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	buf[n] = '\0';
	return 0;
}

static int cap_get(struct __user_cap_data_struct *data)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };

	return syscall(SYS_capget, &h, data) < 0 ? -errno : 0;
}

static int cap_set(const struct __user_cap_data_struct *data)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };

	return syscall(SYS_capset, &h, data) < 0 ? -errno : 0;
}

static uint64_t cap_word(const struct __user_cap_data_struct *d, size_t off)
{
	const uint32_t *lo = (const uint32_t *)((const char *)&d[0] + off);
	const uint32_t *hi = (const uint32_t *)((const char *)&d[1] + off);

	return (uint64_t)*hi << 32 | *lo;
}

#define CAP_EFF(d)  cap_word(d, offsetof(struct __user_cap_data_struct, effective))
#define CAP_PERM(d) cap_word(d, offsetof(struct __user_cap_data_struct, permitted))

int caller_self_load(int root_fd, struct caller_self *ret)
{
	struct __user_cap_data_struct self[_LINUX_CAPABILITY_U32S_3];
	struct caller_self me;
	int r;

	r = userns_link(root_fd, "self", me.userns, sizeof(me.userns));
	if (r >= 0)
		r = cap_get(self);
	if (r < 0)
		return r;
	me.cap_eff = CAP_EFF(self);
	*ret = me;
	return 0;
}

int caller_read(int root_fd, const struct caller_self *self, pid_t pid, uid_t fsuid, gid_t fsgid,
		struct caller *ret)
{
	_cleanup_free_ char *text = NULL;
	struct caller c = { 0 };
	char userns[sizeof(self->userns)];
	char tid[16];
	int r;

	r = read_status(root_fd, pid, &text);
	if (r >= 0)
		r = parse_ids(text, "\nUid:", c.uid, 4);
	if (r >= 0)
		r = parse_ids(text, "\nGid:", c.gid, 4);
	if (r >= 0)
		r = parse_groups(text, c.groups, &c.n_groups);
	if (r >= 0)
		r = parse_cap(text, "\nCapEff:", &c.cap_eff);
	if (r >= 0) {
		snprintf(tid, sizeof(tid), "%d", (int)pid);
		r = userns_link(root_fd, tid, userns, sizeof(userns));
	}
	if (r < 0)
		return r;
	c.host_ns = strcmp(userns, self->userns) == 0;
	if (c.uid[3] != fsuid || c.gid[3] != fsgid)
		return -ESRCH;
	/*
	 * uid 0 alone is not root: a process may hold uid 0 with no capability
	 * (setpriv --reuid=0 --inh-caps=-all --bounding-set=-all), and root of
	 * another user namespace holds its capabilities over that namespace
	 * only. Only a caller that could do all the daemon can, itself, is
	 * served with the daemon's credentials.
	 */
	c.host_root = c.host_ns && c.uid[1] == 0 && c.uid[3] == 0 &&
		      (c.cap_eff & self->cap_eff) == self->cap_eff;
	*ret = c;
	return 0;
}

int caller_task_uids(int root_fd, pid_t pid, bool leader, uid_t ret[4])
{
	_cleanup_free_ char *text = NULL;
	uint32_t tgid = 0;
	int r;

	r = read_status(root_fd, pid, &text);
	if (r >= 0 && leader)
		r = parse_ids(text, "\nTgid:", &tgid, 1);
	if (r < 0)
		return r;
	if (leader && (pid_t)tgid != pid)
		return caller_task_uids(root_fd, (pid_t)tgid, false, ret);
	return parse_ids(text, "\nUid:", ret, 4);
}

int thread_cred_save(struct thread_cred *ret)
{
	struct thread_cred t = { 0 };
	int n;

	if (syscall(SYS_getresuid, &t.uid[0], &t.uid[1], &t.uid[2]) < 0 ||
	    syscall(SYS_getresgid, &t.gid[0], &t.gid[1], &t.gid[2]) < 0)
		return -errno;
	/* setfs*id(-1) changes nothing and gives the current id. */
	t.uid[3] = (uid_t)syscall(SYS_setfsuid, -1);
	t.gid[3] = (gid_t)syscall(SYS_setfsgid, -1);
	n = (int)syscall(SYS_getgroups, CALLER_MAX_GROUPS, t.groups);
	if (n < 0)
		return errno == EINVAL ? -E2BIG : -errno;
	t.n_groups = (size_t)n;
	n = cap_get(t.cap);
	if (n < 0)
		return n;
	*ret = t;
	return 0;
}

/* Whether the thread has exactly these ids and groups. */
static bool ids_are(const uid_t uid[4], const gid_t gid[4], const gid_t *groups, size_t n_groups)
{
	struct thread_cred now;

	if (thread_cred_save(&now) < 0)
		return false;
	return memcmp(now.uid, uid, sizeof(now.uid)) == 0 &&
	       memcmp(now.gid, gid, sizeof(now.gid)) == 0 && now.n_groups == n_groups &&
	       memcmp(now.groups, groups, n_groups * sizeof(*groups)) == 0;
}

/* The effective set we want, the rest of the thread's sets unchanged. */
static int cap_effective(const struct thread_cred *self, uint64_t eff)
{
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	memcpy(d, self->cap, sizeof(d));
	d[0].effective = (uint32_t)eff;
	d[1].effective = (uint32_t)(eff >> 32);
	return cap_set(d);
}

static int become(const struct caller *c, const struct thread_cred *self)
{
	uid_t want_uid[4] = { c->uid[0], c->uid[1], self->uid[2], c->uid[3] };
	/* Capabilities over another user namespace are none over ours. */
	uint64_t eff = c->host_ns ? c->cap_eff & CAP_PERM(self->cap) : 0;
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	/* Groups and gids first: changing them needs CAP_SETGID, which the uid change drops. */
	if (syscall(SYS_setgroups, c->n_groups, c->groups) < 0 ||
	    syscall(SYS_setresgid, c->gid[0], c->gid[1], c->gid[2]) < 0)
		return -errno;
	(void)syscall(SYS_setfsgid, c->gid[3]);
	if (syscall(SYS_setresuid, c->uid[0], c->uid[1], self->uid[2]) < 0)
		return -errno;
	/* A caller's fsuid may be none of its other ids: raise CAP_SETUID again for it. */
	if (cap_effective(self, CAP_PERM(self->cap)) < 0)
		return -errno;
	(void)syscall(SYS_setfsuid, c->uid[3]);
	/* Last: setfsuid() itself moves the file capabilities in and out of the effective set. */
	if (cap_effective(self, eff) < 0)
		return -errno;
	/* setfs*id() report the old id, never an error: check what took, and the rest with it. */
	if (!ids_are(want_uid, c->gid, c->groups, c->n_groups) || cap_get(d) < 0 ||
	    CAP_EFF(d) != eff)
		return -EPERM;
	return 0;
}

int thread_cred_become(const struct caller *c, const struct thread_cred *self)
{
	int r = become(c, self);

	if (r < 0 && thread_cred_restore(self) < 0)
		abort(); /* see cgcred_end(): never serve on with another's credentials */
	return r;
}

int thread_cred_restore(const struct thread_cred *self)
{
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	/*
	 * Capabilities first (the permitted set was kept), then the ids they
	 * allow, then the effective set again: a change of effective uid to 0
	 * fills it from the permitted set.
	 */
	(void)cap_set(self->cap);
	(void)syscall(SYS_setresuid, self->uid[0], self->uid[1], self->uid[2]);
	(void)syscall(SYS_setfsuid, self->uid[3]);
	(void)syscall(SYS_setresgid, self->gid[0], self->gid[1], self->gid[2]);
	(void)syscall(SYS_setfsgid, self->gid[3]);
	(void)syscall(SYS_setgroups, self->n_groups, self->groups);
	(void)cap_set(self->cap);
	if (!ids_are(self->uid, self->gid, self->groups, self->n_groups) || cap_get(d) < 0 ||
	    memcmp(d, self->cap, sizeof(d)) != 0)
		return -EPERM;
	return 0;
}
