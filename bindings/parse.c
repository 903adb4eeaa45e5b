/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "parse.h"

#include <errno.h>
#include <string.h>

int parse_u64_prefix(const char **p, uint64_t *ret)
{
	const char *s = *p;
	uint64_t v = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*p = s;
	*ret = v;
	return 0;
}

int safe_atou64(const char *s, uint64_t *ret)
{
	uint64_t v;
	int r;

	if (*s == ' ' || *s == '\t')
		return -EINVAL;
	r = parse_u64_prefix(&s, &v);
	if (r < 0)
		return r;
	while (*s == '\n' || *s == ' ')
		s++;
	if (*s != '\0')
		return -EINVAL;
	*ret = v;
	return 0;
}

const char *find_line(const char *text, const char *prefix, size_t *ret_len)
{
	size_t plen = strlen(prefix);
	const char *p = text;

	while (p && *p) {
		const char *nl = strchr(p, '\n');

		if (strncmp(p, prefix, plen) == 0) {
			if (ret_len)
				*ret_len = nl ? (size_t)(nl - p) : strlen(p);
			return p;
		}
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

int keyval_u64(const char *text, const char *key, uint64_t *ret)
{
	size_t klen = strlen(key);
	const char *p = text;

	while (p && *p) {
		const char *nl = strchr(p, '\n');

		if (strncmp(p, key, klen) == 0) {
			const char *v = p + klen;

			if (*v == ':')
				v++;
			if (*v == ' ' || *v == '\t')
				return parse_u64_prefix(&v, ret);
		}
		p = nl ? nl + 1 : NULL;
	}
	return -ENODATA;
}

uint64_t mul_sat(uint64_t a, uint64_t b)
{
	if (a != 0 && b > UINT64_MAX / a)
		return UINT64_MAX;
	return a * b;
}

uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

void cpuset_clear(struct burrow_cpuset *s)
{
	memset(s, 0, sizeof(*s));
}

void cpuset_set(struct burrow_cpuset *s, unsigned cpu)
{
	if (cpu < BURROW_MAX_CPUS)
		s->bits[cpu / 64] |= UINT64_C(1) << (cpu % 64);
}

bool cpuset_isset(const struct burrow_cpuset *s, unsigned cpu)
{
	return cpu < BURROW_MAX_CPUS && (s->bits[cpu / 64] >> (cpu % 64)) & 1;
}

unsigned cpuset_count(const struct burrow_cpuset *s)
{
	unsigned n = 0;

	for (size_t i = 0; i < BURROW_MAX_CPUS / 64; i++)
		n += (unsigned)__builtin_popcountll(s->bits[i]);
	return n;
}

int cpuset_nth(const struct burrow_cpuset *s, unsigned n)
{
	for (size_t i = 0; i < BURROW_MAX_CPUS / 64; i++) {
		uint64_t w = s->bits[i];
		unsigned c = (unsigned)__builtin_popcountll(w);

		if (n >= c) {
			n -= c;
			continue;
		}
		while (n--)
			w &= w - 1;
		return (int)(i * 64 + (unsigned)__builtin_ctzll(w));
	}
	return -ENOENT;
}

void cpuset_and(struct burrow_cpuset *a, const struct burrow_cpuset *b)
{
	for (size_t i = 0; i < BURROW_MAX_CPUS / 64; i++)
		a->bits[i] &= b->bits[i];
}

int cpuset_parse(const char *text, struct burrow_cpuset *ret)
{
	struct burrow_cpuset s;
	const char *p = text;

	cpuset_clear(&s);
	while (*p == ' ' || *p == '\n')
		p++;
	while (*p) {
		uint64_t a, b;
		int r;

		r = parse_u64_prefix(&p, &a);
		if (r < 0)
			return -EINVAL;
		b = a;
		if (*p == '-') {
			p++;
			r = parse_u64_prefix(&p, &b);
			if (r < 0)
				return -EINVAL;
		}
		if (b < a || b >= BURROW_MAX_CPUS)
			return -ERANGE;
		for (uint64_t c = a; c <= b; c++)
			cpuset_set(&s, (unsigned)c);
		if (*p == ',')
			p++;
		else if (*p == '\n' || *p == ' ')
			break;
		else if (*p != '\0')
			return -EINVAL;
	}
	while (*p == '\n' || *p == ' ')
		p++;
	if (*p != '\0')
		return -EINVAL;
	*ret = s;
	return 0;
}
