/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/*
 * One family of cleanup helpers for the whole tree. Every destructor accepts
 * NULL (or a negative fd) so a cleanup variable may be left unset on any path.
 */

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

static inline void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

#define _cleanup_free_	   _cleanup_(freep)
#define _cleanup_close_	   _cleanup_(closep)
#define _cleanup_fclose_   _cleanup_(fclosep)
#define _cleanup_closedir_ _cleanup_(closedirp)

/* Hand ownership out of a cleanup variable. */
#define TAKE_PTR(p)                       \
	({                                \
		__typeof__(p) _tp_ = (p); \
		(p) = NULL;               \
		_tp_;                     \
	})

#define TAKE_FD(fd)              \
	({                       \
		int _tf_ = (fd); \
		(fd) = -1;       \
		_tf_;            \
	})

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

#define MIN(a, b)                        \
	({                               \
		__typeof__(a) _a_ = (a); \
		__typeof__(b) _b_ = (b); \
		_a_ < _b_ ? _a_ : _b_;   \
	})

#define MAX(a, b)                        \
	({                               \
		__typeof__(a) _a_ = (a); \
		__typeof__(b) _b_ = (b); \
		_a_ > _b_ ? _a_ : _b_;   \
	})

/* Saturating subtraction: usage figures race each other, never wrap below 0. */
#define SUB_SAT(a, b) ((a) > (b) ? (a) - (b) : 0)

#define STRLEN(s) (sizeof(s) - 1)
