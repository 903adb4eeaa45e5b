/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "strbuf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void strbuf_free(struct strbuf *sb)
{
	free(sb->buf);
	*sb = (struct strbuf)STRBUF_INIT;
}

void strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	sb->error = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

int strbuf_reserve(struct strbuf *sb, size_t extra)
{
	size_t want, cap;
	char *p;

	if (sb->error)
		return sb->error;
	if (extra > SIZE_MAX / 2 - sb->len - 1)
		return sb->error = -ENOMEM;
	want = sb->len + extra + 1;
	if (want <= sb->cap)
		return 0;
	cap = sb->cap ? sb->cap : 256;
	while (cap < want)
		cap *= 2;
	p = realloc(sb->buf, cap);
	if (!p)
		return sb->error = -ENOMEM;
	sb->buf = p;
	sb->cap = cap;
	return 0;
}

void strbuf_append(struct strbuf *sb, const char *s, size_t n)
{
	if (strbuf_reserve(sb, n) < 0)
		return;
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void strbuf_puts(struct strbuf *sb, const char *s)
{
	strbuf_append(sb, s, strlen(s));
}

void strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list aq;
	int n;

	if (strbuf_reserve(sb, 64) < 0)
		return;
	va_copy(aq, ap);
	n = vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, aq);
	va_end(aq);
	if (n < 0) {
		sb->error = -EINVAL;
		return;
	}
	if ((size_t)n >= sb->cap - sb->len) {
		if (strbuf_reserve(sb, (size_t)n) < 0)
			return;
		n = vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
	}
	sb->len += (size_t)n;
}

void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vprintf(sb, fmt, ap);
	va_end(ap);
}

char *strbuf_steal(struct strbuf *sb, size_t *ret_len)
{
	char *p = sb->buf;

	if (ret_len)
		*ret_len = sb->len;
	*sb = (struct strbuf)STRBUF_INIT;
	return p;
}
