/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * burrow-net: the setuid-root helper behind network=veth. One job: a veth
 * pair from a bridge into a network namespace the caller owns, within the
 * quota root wrote in BURROW_USERNET. See burrow-net(8) for the checks.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "net.h"
#include "records.h"
#include "rtnl.h"
#include "target.h"

static int usage(void)
{
	fputs("usage: burrow-net add --pid PID [--bridge BRIDGE] [--hwaddr MAC]\n"
	      "       burrow-net del --pid PID\n"
	      "       burrow-net ls [--json]\n"
	      "       burrow-net quota [--bridge BRIDGE]\n",
	      stderr);
	return 2;
}

int net_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("burrow-net: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* --pid N, --bridge B, --hwaddr M, --json, each once; anything else is a usage error. */
static int parse_args(int argc, char **argv, struct net_args *a)
{
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(o, "--json") && !a->json) {
			a->json = true;
			continue;
		}
		if (!v)
			return -EINVAL;
		if (!strcmp(o, "--pid") && !a->pid) {
			if (net_parse_pid(v, &a->pid) < 0)
				return -EINVAL;
		} else if (!strcmp(o, "--bridge") && !a->bridge_set) {
			if (!net_ifname_valid(v))
				return -EINVAL;
			snprintf(a->bridge, sizeof(a->bridge), "%s", v);
			a->bridge_set = true;
		} else if (!strcmp(o, "--hwaddr") && !a->hwaddr_set) {
			if (net_parse_hwaddr(v, a->hwaddr) < 0)
				return -EINVAL;
			a->hwaddr_set = true;
		} else
			return -EINVAL;
		i++;
	}
	return 0;
}

/*
 * A setuid program starts in a state its caller chose: signal dispositions,
 * fds, umask, environment. Reset what could steer it.
 */
static int sanitize(void)
{
	sigset_t all;

	sigfillset(&all);
	if (sigprocmask(SIG_BLOCK, &all, NULL) < 0)
		return -errno;
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			return -EBADF;
	if (close_range(3, ~0U, 0) < 0)
		return -errno;
	umask(022);
	clearenv();
	return 0;
}

int main(int argc, char **argv)
{
	struct net_args a = { .bridge = NET_DEFAULT_BRIDGE };
	struct net_caller caller = { .uid = getuid(), .gid = getgid() };
	const char *verb;

	if (sanitize() < 0)
		return 1;
	/* argc can be 0 under execve(): never read past argv (CVE-2021-4034). */
	if (argc < 2)
		return usage();
	if (geteuid() != 0)
		return net_fail("not installed setuid root (chmod 4755, owned by root)");
	caller.n_groups = getgroups(ELEMENTSOF(caller.groups), caller.groups);
	if (caller.n_groups < 0)
		return net_fail("too many supplementary groups");
	/* All root from here: files come out root's, and the caller can no
	 * longer signal the helper halfway through (only SIGKILL remains, which
	 * the record-before-link order in make_pair() is for). */
	if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return net_fail("cannot take root's ids");
	verb = argv[1];
	if (parse_args(argc, argv, &a) < 0)
		return usage();
	if (!strcmp(verb, "add") && a.pid && !a.json)
		return cmd_add(&caller, &a);
	if (!strcmp(verb, "del") && a.pid && !a.json && !a.bridge_set && !a.hwaddr_set)
		return cmd_del(&caller, &a);
	if (!strcmp(verb, "ls") && !a.pid && !a.bridge_set && !a.hwaddr_set)
		return cmd_ls(&caller, &a);
	if (!strcmp(verb, "quota") && !a.pid && !a.json && !a.hwaddr_set)
		return cmd_quota(&caller, &a);
	return usage();
}
