/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hook-util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "macro.h"

__attribute__((format(printf, 2, 0))) static void hook_vlog(const char *suffix, const char *fmt,
							    va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	/* One write per line, so concurrent hooks never interleave mid-line. */
	fprintf(stderr, "%s: %s%s\n", program_invocation_short_name, line, suffix);
	fflush(stderr);
}

void hook_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hook_vlog("", fmt, ap);
	va_end(ap);
}

int hook_log_errno(int r, const char *fmt, ...)
{
	char suffix[128];
	va_list ap;

	snprintf(suffix, sizeof(suffix), ": %s", strerror(r < 0 ? -r : r));
	va_start(ap, fmt);
	hook_vlog(suffix, fmt, ap);
	va_end(ap);
	return r;
}

int hook_read_all(int fd, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, size = 0;

	for (;;) {
		if (len + 1 >= size) {
			size_t n = size ? size * 2 : 4096;
			char *p;

			if (size > max)
				return -EFBIG;
			p = realloc(buf, n);
			if (!p)
				return -ENOMEM;
			buf = p;
			size = n;
		}
		ssize_t k = read(fd, buf + len, size - len - 1);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			break;
		len += (size_t)k;
		if (len > max)
			return -EFBIG;
	}
	if (!buf) {
		buf = strdup("");
		if (!buf)
			return -ENOMEM;
	}
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = len;
	return 0;
}

bool hook_truthy(const char *s)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };

	if (!s)
		return false;
	for (size_t i = 0; i < ELEMENTSOF(yes); i++)
		if (strcasecmp(s, yes[i]) == 0)
			return true;
	return false;
}
