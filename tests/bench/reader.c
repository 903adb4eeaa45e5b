/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * reader: open, read to EOF and close one file in a loop, as fast as it goes.
 *
 *   reader START_NS SECONDS FILE
 *
 * Waits until START_NS (CLOCK_REALTIME, nanoseconds; 0: now) so that
 * concurrent readers measure the same window, loops for SECONDS, then prints
 * "COUNT BYTES": the number of whole reads and the size of the last one. One
 * process per reader, so that a per-process resolver sees distinct readers and
 * no process spawn lands inside the measurement.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "parse.h"

static char buf[1 << 16];

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One open+read+close; the bytes read, or -errno. */
static long long read_whole(const char *path)
{
	long long total = 0;
	ssize_t n;
	int fd, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	saved = errno;
	close(fd);
	return n < 0 ? -saved : total;
}

int main(int argc, char **argv)
{
	uint64_t start_ns, seconds, end, count = 0;
	long long last = 0;

	if (argc != 4 || safe_atou64(argv[1], &start_ns) < 0 ||
	    safe_atou64(argv[2], &seconds) < 0 || seconds == 0) {
		fprintf(stderr, "Usage: %s START_NS SECONDS FILE\n", argv[0]);
		return 2;
	}
	if (start_ns > 0) {
		struct timespec ts = { .tv_sec = (time_t)(start_ns / 1000000000u),
				       .tv_nsec = (long)(start_ns % 1000000000u) };

		while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
	}
	end = now_ns(CLOCK_MONOTONIC) + seconds * 1000000000u;
	do {
		/* Empty is a valid answer: diskstats of a container that did no I/O. */
		last = read_whole(argv[3]);
		if (last < 0) {
			fprintf(stderr, "reader: %s: %s\n", argv[3], strerror((int)-last));
			return 1;
		}
		count++;
	} while (now_ns(CLOCK_MONOTONIC) < end);
	printf("%llu %lld\n", (unsigned long long)count, last);
	return 0;
}
