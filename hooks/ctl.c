/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * burrowfs-ctl: the control socket by hand. "attach PID" gives a running
 * container its own burrowfs connection, for a runtime that has no hook for
 * it (or an admin trying it); "stats" prints the daemon's counters.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ctlclient.h"
#include "macro.h"

enum { EXIT_USAGE = 2 };

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [--socket PATH] attach PID\n"
		"       %s [--socket PATH] stats\n"
		"\n"
		"attach  ask burrowfs for PID's container's own FUSE connection, and place\n"
		"        its /proc files over those of PID's mount namespace (as root)\n"
		"stats   print burrowfs's counters\n"
		"\n"
		"  -s, --socket PATH  burrowfs's control socket (default " BURROW_CTL_SOCKET ")\n"
		"  -h, --help         show this help\n"
		"      --version      show the version\n"
		"\n"
		"Exit status: 0 done, 1 failed (one line says why), 2 usage. See burrowfs(8).\n",
		program_invocation_short_name, program_invocation_short_name);
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAILURE;
}

static int parse_pid(const char *s, pid_t *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > INT32_MAX)
		return -EINVAL;
	*ret = (pid_t)v;
	return 0;
}

/*
 * Joins only the container's mount namespace (its user namespace would take
 * our capabilities over the host's daemon socket and files; we need none of
 * it). Undumpable first, as anything that enters a guest's namespaces: its
 * root must not ptrace us and reach the host's fds we hold.
 */
static int place_in(int pidfd, pid_t pid, struct burrow_ctl_mounts *m)
{
	_cleanup_close_ int root = -1;
	uint32_t placed = 0, failed = 0;
	uint32_t n = m->n;
	int r;

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return fail("cannot make this process undumpable: %m");
	if (setns(pidfd, CLONE_NEWNS) < 0)
		return fail("cannot enter the mount namespace of PID %d: %m", (int)pid);
	root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return fail("cannot open / in the mount namespace of PID %d: %m", (int)pid);
	r = burrow_ctl_place(m, root, &placed, &failed);
	if (r < 0) {
		errno = -r;
		return fail("cannot place burrowfs's /%s in the mount namespace of PID %d: %m%s",
			    burrow_ctl_mounts_path(m, failed), (int)pid,
			    r == -ELOOP ? " (a symlink on the way: refused)" : "");
	}
	printf("PID %d: %u of burrowfs's %u files placed\n", (int)pid, placed, n);
	return EXIT_SUCCESS;
}

static int cmd_attach(const char *sock, const char *arg)
{
	struct burrow_ctl_mounts m;
	_cleanup_close_ int pidfd = -1;
	char err[512];
	pid_t pid;
	int r;

	if (parse_pid(arg, &pid) < 0) {
		fprintf(stderr, "%s: '%s' is not a PID\n", program_invocation_short_name, arg);
		return EXIT_USAGE;
	}
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return fail("cannot open PID %d: %m", (int)pid);
	r = burrow_ctl_attach(sock, pidfd, &m, err, sizeof(err));
	if (r < 0)
		return fail("%s", err);
	r = place_in(pidfd, pid, &m);
	burrow_ctl_mounts_close(&m);
	return r;
}

static int cmd_stats(const char *sock)
{
	char text[BURROW_CTL_MAX + 1], err[512];
	int r = burrow_ctl_stats(sock, text, sizeof(text), err, sizeof(err));

	if (r < 0)
		return fail("%s", err);
	fputs(text, stdout);
	return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int main(int argc, char *argv[])
{
	enum { ARG_VERSION = 0x100 };
	static const struct option options[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, ARG_VERSION },
		{},
	};
	const char *sock = BURROW_CTL_SOCKET;
	int c;

	while ((c = getopt_long(argc, argv, "+s:h", options, NULL)) >= 0) {
		switch (c) {
		case 's':
			sock = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		case ARG_VERSION:
			printf("%s %s\n", program_invocation_short_name, PACKAGE_VERSION);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind + 2 == argc && strcmp(argv[optind], "attach") == 0)
		return cmd_attach(sock, argv[optind + 1]);
	if (optind + 1 == argc && strcmp(argv[optind], "stats") == 0)
		return cmd_stats(sock);
	usage(stderr);
	return EXIT_USAGE;
}
