/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whole string, decimal, optional trailing newline/space. -EINVAL, -ERANGE. */
int safe_atou64(const char *s, uint64_t *ret);

/*
 * Leading decimal number at *p; advances *p past it. Leading blanks skipped.
 * -EINVAL when there is no digit, -ERANGE on overflow.
 */
int parse_u64_prefix(const char **p, uint64_t *ret);

/*
 * "key value\n" lines (memory.stat, cpu.stat, blkio) and "Key:   value kB"
 * lines (/proc/meminfo): the value of the first line whose first word equals
 * key (a trailing ':' on the word is ignored). -ENODATA when no line has it.
 */
int keyval_u64(const char *text, const char *key, uint64_t *ret);

/* The line (without '\n') that starts with prefix; NULL if none. */
const char *find_line(const char *text, const char *prefix, size_t *ret_len);

/* Multiplication and addition that stick at UINT64_MAX instead of wrapping. */
uint64_t mul_sat(uint64_t a, uint64_t b);
uint64_t add_sat(uint64_t a, uint64_t b);

/*
 * CPU sets in the kernel's list format ("0-3,8,10-11"). Large enough for any
 * machine Debian's kernel supports (CONFIG_NR_CPUS=8192).
 */
#define BURROW_MAX_CPUS 8192

struct burrow_cpuset {
	uint64_t bits[BURROW_MAX_CPUS / 64];
};

/* Empty text (an unset v1 cpuset) gives an empty set. */
int cpuset_parse(const char *text, struct burrow_cpuset *ret);
void cpuset_clear(struct burrow_cpuset *s);
void cpuset_set(struct burrow_cpuset *s, unsigned cpu);
bool cpuset_isset(const struct burrow_cpuset *s, unsigned cpu);
unsigned cpuset_count(const struct burrow_cpuset *s);
/* The host number of the n-th (from 0) CPU of the set; -ENOENT past the end. */
int cpuset_nth(const struct burrow_cpuset *s, unsigned n);
/* Intersection into a. */
void cpuset_and(struct burrow_cpuset *a, const struct burrow_cpuset *b);
