/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A client of burrowfs's control socket for test-pconn (until burrowfs-ctl
 * does the same):
 *
 *   pconn-attach attach SOCK PID   ask for PID's container's connection and
 *                                  move each mount onto its path in PID's
 *                                  mount namespace (joining PID's user
 *                                  namespace first when it is not ours);
 *                                  prints "placed N"
 *   pconn-attach attach-cg SOCK PID DIR
 *                                  the same with the cgroup tree: each
 *                                  cgroup/NAME goes onto DIR/NAME (which
 *                                  must exist); prints "placed N cgroup M"
 *   pconn-attach ask SOCK PID      only ask: "ok N" or "error ERRNO TEXT"
 *   pconn-attach stats SOCK        the daemon's counters
 *   pconn-attach bad SOCK KIND     a malformed request (magic, fds, short,
 *                                  long, op): prints the reply's error or
 *                                  "closed"
 *
 * Errors go to stderr as "error ERRNO TEXT"; exit 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "fdpass.h"

static int ctl_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "error %s connect %s\n", strerrorname_np(errno), path);
		exit(1);
	}
	return fd;
}

struct reply {
	char buf[sizeof(struct burrow_ctl_reply) + BURROW_CTL_MAX + 1];
	struct burrow_ctl_reply h;
	const char *body;
	size_t len;
	int fds[FDPASS_MAX];
	size_t nfds;
};

/* 0: a reply; 1: the daemon closed without one. */
static int get_reply(int sock, struct reply *r)
{
	ssize_t n = fdpass_recv(sock, r->buf, sizeof(r->buf) - 1, r->fds, FDPASS_MAX, &r->nfds);

	if (n == 0 || n == -ECONNRESET)
		return 1;
	if (n < 0 ||
	    burrow_ctl_reply_check(r->buf, (size_t)n, r->nfds, &r->h, &r->body, &r->len) < 0) {
		fprintf(stderr, "error EPROTO bad reply (%zd)\n", n);
		exit(1);
	}
	return 0;
}

static int ask(const char *path, pid_t pid, uint32_t flags, struct reply *r)
{
	struct burrow_ctl_req q = { BURROW_CTL_MAGIC, BURROW_CTL_VERSION, BURROW_CTL_ATTACH,
				    flags };
	int sock = ctl_connect(path);
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (pidfd < 0) {
		fprintf(stderr, "error %s pidfd_open %d\n", strerrorname_np(errno), (int)pid);
		exit(1);
	}
	if (fdpass_send(sock, &q, sizeof(q), &pidfd, 1) < 0 || get_reply(sock, r) != 0) {
		fprintf(stderr, "error EPIPE no reply\n");
		exit(1);
	}
	close(pidfd);
	close(sock);
	return r->h.error;
}

static void join(pid_t pid, const char *type, int flag)
{
	char path[64], self[64];
	struct stat a, b;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, type);
	snprintf(self, sizeof(self), "/proc/self/ns/%s", type);
	if (stat(path, &a) < 0 || stat(self, &b) < 0) {
		fprintf(stderr, "error %s stat %s\n", strerrorname_np(errno), path);
		exit(1);
	}
	if (a.st_ino == b.st_ino && a.st_dev == b.st_dev)
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, flag) < 0) {
		fprintf(stderr, "error %s setns %s\n", strerrorname_np(errno), path);
		_exit(1);
	}
	close(fd);
}

static int attach(const char *path, pid_t pid, const char *cgdir)
{
	struct reply r;
	int placed = 0, cg = 0;

	if (ask(path, pid, cgdir ? BURROW_CTL_ATTACH_CGROUP : 0, &r) < 0) {
		fprintf(stderr, "error %s %s\n", strerrorname_np(-r.h.error), r.body);
		return 1;
	}
	join(pid, "user", CLONE_NEWUSER);
	join(pid, "mnt", CLONE_NEWNS);
	for (uint32_t i = 0; i < r.h.n; i++) {
		const char *p = burrow_ctl_path(r.body, r.len, r.h.n, i);
		char target[256];

		if (strncmp(p, "cgroup/", 7) == 0) {
			if (!cgdir)
				continue;
			snprintf(target, sizeof(target), "%s/%s", cgdir, p + 7);
			cg++;
		} else
			snprintf(target, sizeof(target), "/%s", p);
		if (access(target, F_OK) < 0)
			continue;
		if (move_mount(r.fds[i], "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
			fprintf(stderr, "error %s move_mount %s\n", strerrorname_np(errno), target);
			_exit(1);
		}
		placed++;
	}
	if (cgdir)
		printf("placed %d cgroup %d\n", placed - cg, cg);
	else
		printf("placed %d\n", placed);
	/*
	 * No exit handlers: in the container's user namespace a sanitizer
	 * build's LeakSanitizer cannot read our own /proc and would fail.
	 */
	fflush(stdout);
	_exit(0);
}

static int bad(const char *path, const char *kind)
{
	struct burrow_ctl_req q = { BURROW_CTL_MAGIC, BURROW_CTL_VERSION, BURROW_CTL_ATTACH, 0 };
	char big[256] = { 0 };
	int fds[2] = { 0, 1 }, sock = ctl_connect(path), rc;
	size_t len = sizeof(q), nfds = 1;
	const void *buf = &q;
	struct reply r;

	if (strcmp(kind, "magic") == 0)
		q.magic = 0x12345678;
	else if (strcmp(kind, "fds") == 0)
		nfds = 2;
	else if (strcmp(kind, "nofd") == 0)
		nfds = 0;
	else if (strcmp(kind, "short") == 0)
		len = sizeof(q) - 3;
	else if (strcmp(kind, "long") == 0) {
		memcpy(big, &q, sizeof(q));
		buf = big;
		len = sizeof(big);
	} else if (strcmp(kind, "op") == 0)
		q.op = 99;
	else if (strcmp(kind, "notpidfd") == 0)
		nfds = 1; /* fd 0: not a pidfd */
	if (fdpass_send(sock, buf, len, fds, nfds) < 0)
		return 1;
	rc = get_reply(sock, &r);
	if (rc == 1)
		printf("closed\n");
	else
		printf("error %s %s\n", r.h.error ? strerrorname_np(-r.h.error) : "0", r.body);
	return 0;
}

int main(int argc, char **argv)
{
	struct reply r;

	if (argc == 4 && strcmp(argv[1], "attach") == 0)
		return attach(argv[2], (pid_t)atoi(argv[3]), NULL);
	if (argc == 5 && strcmp(argv[1], "attach-cg") == 0)
		return attach(argv[2], (pid_t)atoi(argv[3]), argv[4]);
	if (argc == 4 && strcmp(argv[1], "ask") == 0) {
		if (ask(argv[2], (pid_t)atoi(argv[3]), 0, &r) < 0)
			printf("error %s %s\n", strerrorname_np(-r.h.error), r.body);
		else
			printf("ok %u\n", r.h.n);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "stats") == 0) {
		struct burrow_ctl_req q = { BURROW_CTL_MAGIC, BURROW_CTL_VERSION, BURROW_CTL_STATS,
					    0 };
		int sock = ctl_connect(argv[2]);

		if (fdpass_send(sock, &q, sizeof(q), NULL, 0) < 0 || get_reply(sock, &r) != 0 ||
		    r.h.error < 0) {
			fprintf(stderr, "error stats\n");
			return 1;
		}
		fwrite(r.body, 1, r.len, stdout);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "bad") == 0)
		return bad(argv[2], argv[3]);
	fprintf(stderr, "usage: pconn-attach attach|ask SOCK PID | attach-cg SOCK PID DIR | "
			"stats SOCK | bad SOCK KIND\n");
	return 2;
}
