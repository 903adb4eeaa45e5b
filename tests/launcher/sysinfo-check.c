/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sysinfo(2) from inside a container, for test-sysinfo.sh and the
 * benchmark. Built static, so it runs in any rootfs.
 *
 *   show              sysinfo's fields, then /proc's figures, "key value" lines
 *   loop SECS HOSTRAM call for SECS seconds; count failures and host answers
 *   threads N HOSTRAM N threads call at once, 200 calls each
 *   badptr            pointers the kernel refuses must get EFAULT
 *   exitmid N         N processes whose threads call while the process exits
 *   storm N HOSTRAM   N forks at once (those past the pids limit fail), each
 *                     calling 20 times; then a call of the survivor's own
 *   bench N           ns per sysinfo() and per /proc/meminfo open+read+close
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The raw system call: glibc's wrapper is what a caller gets, but errno must be the kernel's. */
static long raw_sysinfo(void *p)
{
	return syscall(SYS_sysinfo, p);
}

static int show(void)
{
	struct sysinfo si;
	char buf[8192];
	ssize_t n;
	int fd;

	if (raw_sysinfo(&si) < 0) {
		printf("error %d\n", errno);
		return 1;
	}
	printf("uptime %ld\nload1 %lu\nload5 %lu\nload15 %lu\n", si.uptime, si.loads[0],
	       si.loads[1], si.loads[2]);
	printf("totalram %" PRIu64 "\nfreeram %" PRIu64 "\nsharedram %" PRIu64
	       "\nbufferram %" PRIu64 "\n",
	       (uint64_t)si.totalram * si.mem_unit, (uint64_t)si.freeram * si.mem_unit,
	       (uint64_t)si.sharedram * si.mem_unit, (uint64_t)si.bufferram * si.mem_unit);
	printf("totalswap %" PRIu64 "\nfreeswap %" PRIu64 "\nprocs %u\nmem_unit %u\n",
	       (uint64_t)si.totalswap * si.mem_unit, (uint64_t)si.freeswap * si.mem_unit,
	       (unsigned)si.procs, si.mem_unit);
	printf("phys_pages_bytes %" PRIu64 "\n",
	       (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE));
	fd = open("/proc/uptime", O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (n > 0) {
		buf[n] = '\0';
		printf("proc_uptime %s", buf);
	}
	if (fd >= 0)
		close(fd);
	fd = open("/proc/loadavg", O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (n > 0) {
		buf[n] = '\0';
		printf("proc_loadavg %s", buf);
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

static int loop(int secs, uint64_t host_ram)
{
	uint64_t end = now_ns() + (uint64_t)secs * 1000000000u, calls = 0, failed = 0, host = 0;

	while (now_ns() < end) {
		struct sysinfo si;

		calls++;
		if (raw_sysinfo(&si) < 0) {
			if (++failed <= 5)
				fprintf(stderr, "sysinfo failed: %s\n", strerror(errno));
			continue;
		}
		if ((uint64_t)si.totalram * si.mem_unit == host_ram)
			host++;
	}
	printf("calls %" PRIu64 "\nfailed %" PRIu64 "\nhost %" PRIu64 "\n", calls, failed, host);
	return 0;
}

static uint64_t want_ram;
static unsigned bad_answers;

static void *hammer(void *arg)
{
	(void)arg;
	for (int i = 0; i < 200; i++) {
		struct sysinfo si;

		if (raw_sysinfo(&si) < 0 || (uint64_t)si.totalram * si.mem_unit == want_ram)
			__atomic_add_fetch(&bad_answers, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static int threads(int n, uint64_t host_ram)
{
	pthread_t t[256];

	want_ram = host_ram;
	if (n > 256)
		n = 256;
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, hammer, NULL) != 0)
			return 2;
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("calls %d\nbad %u\n", n * 200, bad_answers);
	return 0;
}

static const char rodata[256] = "read-only";

static int badptr(void)
{
	long page = sysconf(_SC_PAGESIZE);
	char *two = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct {
		const char *what;
		void *p;
	} cases[] = {
		{ "null", NULL },
		{ "one", (void *)1 },
		{ "kernel", (void *)0xffffffffff600000ul },
		{ "rodata", (void *)rodata },
		{ "straddle", NULL },
	};
	int fails = 0;

	munmap(two + page, (size_t)page);
	cases[4].p = two + page - 16;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long r = raw_sysinfo(cases[i].p);

		printf("%s %s\n", cases[i].what,
		       r == 0		 ? "OK"
		       : errno == EFAULT ? "EFAULT"
					 : "other");
		fails += !(r < 0 && errno == EFAULT);
	}
	/* Writable memory right beside the refusals still gets its answer. */
	struct sysinfo *ok = (struct sysinfo *)(two + page - sizeof(struct sysinfo));
	long r = raw_sysinfo(ok);

	printf("edge %s %" PRIu64 "\n", r < 0 ? strerror(errno) : "OK",
	       (uint64_t)ok->totalram * ok->mem_unit);
	return fails ? 1 : 0;
}

static void *caller(void *arg)
{
	(void)arg;
	for (;;) {
		struct sysinfo si;

		raw_sysinfo(&si);
	}
	return NULL;
}

/* Processes that end (exit_group, or SIGKILL) while their threads wait on the agent. */
static int exitmid(int n)
{
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			pthread_t t[4];

			for (int k = 0; k < 4; k++)
				pthread_create(&t[k], NULL, caller, NULL);
			usleep((useconds_t)(rand() % 2000));
			_exit(0);
		}
		if (pid > 0 && i % 2)
			kill(pid, SIGKILL);
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	printf("exited %d\n", n);
	return 0;
}

static int storm(int n, uint64_t host_ram)
{
	unsigned forked = 0, refused = 0, bad = 0;
	struct sysinfo si;
	int status;

	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			refused++;
			continue;
		}
		if (pid == 0) {
			int b = 0;

			for (int k = 0; k < 20; k++)
				b += raw_sysinfo(&si) < 0 ||
				     (uint64_t)si.totalram * si.mem_unit == host_ram;
			_exit(b ? 1 : 0);
		}
		forked++;
	}
	while (wait(&status) > 0)
		bad += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	printf("forked %u\nrefused %u\nbad %u\n", forked, refused, bad);
	if (raw_sysinfo(&si) == 0)
		printf("totalram %" PRIu64 "\n", (uint64_t)si.totalram * si.mem_unit);
	return 0;
}

static int bench(int n)
{
	uint64_t t0, t1, t2;
	char buf[8192];

	for (int i = 0; i < 100; i++) {
		struct sysinfo si;

		raw_sysinfo(&si);
	}
	t0 = now_ns();
	for (int i = 0; i < n; i++) {
		struct sysinfo si;

		if (raw_sysinfo(&si) < 0)
			return 1;
	}
	t1 = now_ns();
	for (int i = 0; i < n; i++) {
		int fd = open("/proc/meminfo", O_RDONLY);

		if (fd < 0 || read(fd, buf, sizeof(buf)) <= 0)
			return 1;
		close(fd);
	}
	t2 = now_ns();
	printf("sysinfo_ns %" PRIu64 "\nmeminfo_ns %" PRIu64 "\n", (t1 - t0) / (uint64_t)n,
	       (t2 - t1) / (uint64_t)n);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "show";
	uint64_t arg2 = argc > 3 ? strtoull(argv[3], NULL, 10) : 0;
	int arg1 = argc > 2 ? atoi(argv[2]) : 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "show"))
		return show();
	if (!strcmp(cmd, "loop"))
		return loop(arg1, arg2);
	if (!strcmp(cmd, "threads"))
		return threads(arg1, arg2);
	if (!strcmp(cmd, "badptr"))
		return badptr();
	if (!strcmp(cmd, "exitmid"))
		return exitmid(arg1);
	if (!strcmp(cmd, "storm"))
		return storm(arg1, arg2);
	if (!strcmp(cmd, "bench"))
		return bench(arg1 > 0 ? arg1 : 10000);
	fprintf(stderr, "usage: sysinfo-check show|loop|threads|badptr|exitmid|bench\n");
	return 2;
}
