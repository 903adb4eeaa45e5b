/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdarg.h>
#include <stddef.h>

/*
 * A growable, always NUL-terminated text buffer. Renderers append to one; on
 * allocation failure the buffer remembers it and every later append is a
 * no-op, so a renderer checks once, at the end, via strbuf_error().
 */
struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
	int error; /* 0 or -ENOMEM */
};

#define STRBUF_INIT           \
	{                     \
		NULL, 0, 0, 0 \
	}

void strbuf_free(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
int strbuf_reserve(struct strbuf *sb, size_t extra);
void strbuf_append(struct strbuf *sb, const char *s, size_t n);
void strbuf_puts(struct strbuf *sb, const char *s);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Hands the text to the caller; the buffer is left empty. */
char *strbuf_steal(struct strbuf *sb, size_t *ret_len);

static inline int strbuf_error(const struct strbuf *sb)
{
	return sb->error;
}

static inline void strbuf_freep(struct strbuf *sb)
{
	strbuf_free(sb);
}

#define _cleanup_strbuf_ __attribute__((cleanup(strbuf_freep)))
