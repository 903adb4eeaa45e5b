/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One read or write through Linux AIO (io_submit), on a file opened with
 * O_DIRECT, for the tests of how burrowfs serves asynchronous direct I/O.
 * Raw syscalls: libaio is not a dependency.
 *
 *   aio-io read PATH         prints what one 4 KiB read at offset 0 gave
 *   aio-io read-wait PATH    the same, but once PATH is open prints "opened"
 *                            and waits for a line on stdin; prints
 *                            "submitted" as soon as io_submit() returns
 *   aio-io write PATH DATA   writes DATA at offset 0
 *
 * Exit 0 on success; otherwise "aio-io: <step>: <strerror>" on stderr, exit 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BUF_SIZE 4096

static int fail(const char *step, int err)
{
	fprintf(stderr, "aio-io: %s: %s\n", step, strerror(err));
	return 1;
}

int main(int argc, char **argv)
{
	aio_context_t ctx = 0;
	struct iocb cb = { 0 }, *cbs[1] = { &cb };
	struct io_event ev;
	/* O_DIRECT wants an aligned buffer; a static one is never leaked on an early return. */
	static char buf[BUF_SIZE] __attribute__((aligned(BUF_SIZE)));
	bool writing, wait;
	size_t len = BUF_SIZE;
	int fd;

	if (argc < 3 ||
	    (strcmp(argv[1], "read") != 0 && strcmp(argv[1], "read-wait") != 0 &&
	     strcmp(argv[1], "write") != 0) ||
	    (strcmp(argv[1], "write") == 0) != (argc == 4)) {
		fprintf(stderr, "usage: aio-io read|read-wait PATH | aio-io write PATH DATA\n");
		return 2;
	}
	writing = strcmp(argv[1], "write") == 0;
	wait = strcmp(argv[1], "read-wait") == 0;
	if (writing) {
		len = strlen(argv[3]);
		if (len > BUF_SIZE)
			return fail("data", E2BIG);
		memcpy(buf, argv[3], len);
	}
	fd = open(argv[2], (writing ? O_WRONLY : O_RDONLY) | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		return fail("open", errno);
	if (syscall(SYS_io_setup, 1, &ctx) < 0)
		return fail("io_setup", errno);
	cb.aio_fildes = (uint32_t)fd;
	cb.aio_lio_opcode = writing ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
	cb.aio_buf = (uint64_t)(uintptr_t)buf;
	cb.aio_nbytes = len;
	cb.aio_offset = 0;
	if (wait) {
		char line[16];

		printf("opened\n");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return fail("stdin", EIO);
	}
	if (syscall(SYS_io_submit, ctx, 1, cbs) != 1)
		return fail("io_submit", errno);
	if (wait) {
		printf("submitted\n");
		fflush(stdout);
	}
	if (syscall(SYS_io_getevents, ctx, 1, 1, &ev, NULL) != 1)
		return fail("io_getevents", errno);
	if (ev.res < 0)
		return fail(writing ? "write" : "read", (int)-ev.res);
	if (!writing)
		fwrite(buf, 1, (size_t)ev.res, stdout);
	syscall(SYS_io_destroy, ctx);
	close(fd);
	return 0;
}
