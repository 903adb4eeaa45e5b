/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "glib-macro.h"
#include "launcher.h"
#include "net.h"

/* Guest root may make as many addresses as it likes: we print no more than this. */
#define ADDR_MAX   32
#define ADDR_BYTES 4096

static int prefix_len(const struct sockaddr *mask)
{
	const unsigned char *b;
	size_t len;
	int n = 0;

	if (!mask)
		return 0;
	if (mask->sa_family == AF_INET) {
		b = (const unsigned char *)&((const struct sockaddr_in *)mask)->sin_addr;
		len = 4;
	} else {
		b = (const unsigned char *)&((const struct sockaddr_in6 *)mask)->sin6_addr;
		len = 16;
	}
	for (size_t i = 0; i < len; i++)
		n += __builtin_popcount(b[i]);
	return n;
}

/* In the forked child, inside the container's network namespace. */
static int list_addresses(int out)
{
	struct ifaddrs *ifa, *i;
	int n = 0;

	if (getifaddrs(&ifa) < 0)
		return errno;
	for (i = ifa; i && n < ADDR_MAX; i = i->ifa_next) {
		char text[INET6_ADDRSTRLEN], line[IF_NAMESIZE + INET6_ADDRSTRLEN + 16];
		const void *a;
		int len;

		if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK))
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			a = &((const struct sockaddr_in *)i->ifa_addr)->sin_addr;
		else if (i->ifa_addr->sa_family == AF_INET6) {
			a = &((const struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
			if (IN6_IS_ADDR_LINKLOCAL(a))
				continue;
		} else
			continue;
		if (!inet_ntop(i->ifa_addr->sa_family, a, text, sizeof(text)))
			continue;
		/* The kernel's dev_valid_name() keeps spaces and newlines out of the name. */
		len = snprintf(line, sizeof(line), "%.*s %s/%d\n", IF_NAMESIZE - 1, i->ifa_name,
			       text, prefix_len(i->ifa_netmask));
		if (len > 0 && (size_t)len < sizeof(line) && write(out, line, (size_t)len) < 0)
			break;
		n++;
	}
	freeifaddrs(ifa);
	return 0;
}

static _Noreturn void addr_child(int pidfd, int out)
{
	/* Inside a namespace guest root controls: no ptrace, no /proc/PID/mem of us. */
	if (prctl(PR_SET_DUMPABLE, 0) < 0)
		_exit(1);
	/* Through the pidfd: the user namespace, then the network namespace, of that very init. */
	if (setns(pidfd, CLONE_NEWUSER | CLONE_NEWNET) < 0 &&
	    (geteuid() != 0 || setns(pidfd, CLONE_NEWNET) < 0))
		_exit(1);
	_exit(list_addresses(out));
}

int net_addresses(pid_t init, uint64_t init_start, char ***ret)
{
	g_autofd int pidfd = -1, rd = -1;
	GPtrArray *list;
	char buf[ADDR_BYTES];
	size_t len = 0;
	int p[2], status, r;
	pid_t pid;

	*ret = NULL;
	pidfd = (int)syscall(SYS_pidfd_open, init, 0);
	if (pidfd < 0)
		return -errno;
	/* Checked after the pidfd is held: it names the init that started then, or nothing. */
	if (!pid_alive(init, init_start))
		return -ESRCH;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		addr_child(pidfd, p[1]);
	}
	r = pid < 0 ? -errno : 0;
	close(p[1]);
	rd = p[0];
	if (r < 0)
		return r;
	for (;;) {
		ssize_t k = read(rd, buf + len, sizeof(buf) - 1 - len);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		len += (size_t)k;
	}
	buf[len] = '\0';
	r = wait_pid(pid, &status);
	if (r < 0)
		return r;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -EPERM;
	list = g_ptr_array_new();
	for (char *line = buf, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
		*nl = '\0';
		g_ptr_array_add(list, g_strdup(line));
	}
	g_ptr_array_add(list, NULL);
	*ret = (char **)g_ptr_array_free(list, FALSE);
	return 0;
}
