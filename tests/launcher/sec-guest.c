/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A hostile guest program for the launcher's security tests, built static
 * at test time and bind-mounted into the guest (the Debian rootfs has no
 * python). One line of results per probe, "NAME ok" or "NAME ERRNAME".
 *
 *   sti TEXT        TIOCSTI TEXT and a newline into fds 0, 1, 2 and /dev/tty:
 *                   what the caller's shell reads next, if it is its terminal
 *   seccomp         on a pty of its own, as its controlling tty: TCGETS,
 *                   TIOCSTI, TIOCSTI with the upper 32 request bits set,
 *                   TIOCLINUX, io_uring_setup
 *   ptrace-race N   for N seconds, PTRACE_SEIZE each next pid of the pid
 *                   namespace as early as it exists: reports every process
 *                   caught before it exec'd (comm "burrow": the launcher's
 *                   own process, with the caller's fds)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static const char *err_name(int e)
{
	switch (e) {
	case 0:
		return "ok";
	case EPERM:
		return "EPERM";
	case EIO:
		return "EIO";
	case ENOTTY:
		return "ENOTTY";
	case EINVAL:
		return "EINVAL";
	case ENXIO:
		return "ENXIO";
	case EBADF:
		return "EBADF";
	case ENOSYS:
		return "ENOSYS";
	case EACCES:
		return "EACCES";
	default:
		return strerror(e);
	}
}

static int sti(int fd, const char *text, unsigned long high)
{
	for (const char *p = text; *p; p++)
		if (syscall(SYS_ioctl, fd, high | (unsigned long)TIOCSTI, p) < 0)
			return errno;
	return 0;
}

static int cmd_sti(const char *arg)
{
	char text[512];
	int tty;

	snprintf(text, sizeof(text), "%s\n", arg);
	for (int fd = 0; fd <= 2; fd++)
		printf("sti-fd%d %s\n", fd, err_name(sti(fd, text, 0)));
	tty = open("/dev/tty", O_RDWR | O_NOCTTY);
	printf("sti-devtty %s\n", err_name(tty < 0 ? errno : sti(tty, text, 0)));
	return 0;
}

static void probe_seccomp(void)
{
	struct io_uring_params params = { 0 };
	char sub = 6; /* TIOCL_GETSHIFTSTATE */
	struct termios t;
	int master, slave, unlock = 0, fd;
	unsigned n;
	char path[32];

	master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY);
	if (master < 0 || ioctl(master, TIOCSPTLCK, &unlock) < 0 ||
	    ioctl(master, TIOCGPTN, &n) < 0) {
		printf("pty %s\n", err_name(errno));
		return;
	}
	snprintf(path, sizeof(path), "/dev/pts/%u", n);
	slave = open(path, O_RDWR | O_NOCTTY);
	if (slave < 0 || setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0) {
		printf("ctty %s\n", err_name(errno));
		return;
	}
	printf("tcgets %s\n", err_name(ioctl(slave, TCGETS, &t) < 0 ? errno : 0));
	printf("tiocsti %s\n", err_name(sti(slave, "x", 0)));
	printf("tiocsti-high %s\n", err_name(sti(slave, "x", 1UL << 32)));
	printf("tioclinux %s\n", err_name(ioctl(slave, TIOCLINUX, &sub) < 0 ? errno : 0));
	fd = (int)syscall(SYS_io_uring_setup, 1, &params);
	printf("io_uring_setup %s\n", err_name(fd < 0 ? errno : 0));
}

/* In a child: setsid() needs a process that leads no process group. */
static int cmd_seccomp(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		probe_seccomp();
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* /proc/PID/FILE's first line starting with PREFIX (or the first line), without newline. */
static void read_line(pid_t pid, const char *file, const char *prefix, char *buf, size_t size)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	buf[0] = '\0';
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(buf, (int)size, f))
		if (strncmp(buf, prefix, strlen(prefix)) == 0)
			break;
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

/* Seized: stop it, look at what it is, let it go. */
static void inspect(pid_t pid, unsigned *caught)
{
	char comm[32], uid[128];
	int status;

	ptrace(PTRACE_INTERRUPT, pid, 0, 0);
	if (waitpid(pid, &status, __WALL) != pid || !WIFSTOPPED(status))
		return;
	read_line(pid, "comm", "", comm, sizeof(comm));
	if (strcmp(comm, "burrow") == 0) {
		/* 65534: a host uid the guest's map lacks, the caller's. */
		read_line(pid, "status", "Uid:", uid, sizeof(uid));
		printf("caught pid %d comm %s %s\n", (int)pid, comm, uid);
		fflush(stdout);
		(*caught)++;
	}
	ptrace(PTRACE_DETACH, pid, 0, 0);
}

static int cmd_ptrace_race(double seconds)
{
	double end = now() + seconds;
	unsigned caught = 0, seized = 0, denied = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("racing\n");
	while (now() < end) {
		pid_t probe = fork(), next;
		char path[64];

		if (probe == 0)
			_exit(0);
		waitpid(probe, NULL, 0);
		next = probe + 1;
		snprintf(path, sizeof(path), "/proc/%d", (int)next);
		while (now() < end) {
			if (ptrace(PTRACE_SEIZE, next, 0, 0) == 0) {
				seized++;
				inspect(next, &caught);
				break;
			}
			if (errno == EPERM)
				denied++;
			else if (errno != ESRCH)
				break;
		}
		/* Until the process is gone, so that the next probe follows it. */
		while (now() < end && access(path, F_OK) == 0)
			usleep(1000);
	}
	printf("done caught %u seized %u denied %u\n", caught, seized, denied);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "sti") == 0)
		return cmd_sti(argv[2]);
	if (argc == 2 && strcmp(argv[1], "seccomp") == 0)
		return cmd_seccomp();
	if (argc == 3 && strcmp(argv[1], "ptrace-race") == 0)
		return cmd_ptrace_race(atof(argv[2]));
	fprintf(stderr, "usage: sec-guest sti TEXT | seccomp | ptrace-race SECONDS\n");
	return 2;
}
