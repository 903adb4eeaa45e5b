/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The number parsers every cgroup and /proc reader goes through:
 * safe_atou64, parse_u64_prefix, keyval_u64 (memory.stat, cpu.stat, blkio,
 * meminfo, status) and find_line. Part 0 is the key, part 1 the text.
 *
 * Each is checked against a slow reference written from its contract in
 * parse.h, so a wrong answer is caught as well as a crash.
 */
#include <errno.h>
#include <string.h>

#include "fuzz-common.h"
#include "parse.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Digits at s: 0, -ERANGE past UINT64_MAX, -EINVAL when there are none. */
static int ref_digits(const char *s, const char **ret_end, uint64_t *ret)
{
	unsigned __int128 v = 0;
	bool over = false;

	if (!is_digit(*s))
		return -EINVAL;
	for (; is_digit(*s); s++) {
		v = v * 10 + (unsigned)(*s - '0');
		if (v > UINT64_MAX) {
			over = true;
			v = UINT64_MAX;
		}
	}
	if (over)
		return -ERANGE;
	*ret_end = s;
	*ret = (uint64_t)v;
	return 0;
}

static int ref_atou64(const char *s, uint64_t *ret)
{
	const char *end;
	uint64_t v;
	int r;

	r = ref_digits(s, &end, &v);
	if (r < 0)
		return r;
	end += strspn(end, "\n ");
	if (*end)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* keyval_u64's contract: the first line that is key, ':' optionally, then a blank. */
static int ref_keyval(const char *text, const char *key, uint64_t *ret)
{
	size_t klen = strlen(key);

	for (const char *l = text; *l;) {
		const char *nl = strchr(l, '\n'), *v = l + klen, *end;

		if (strncmp(l, key, klen) == 0) {
			if (*v == ':')
				v++;
			if (*v == ' ' || *v == '\t')
				return ref_digits(v + strspn(v, " \t"), &end, ret);
		}
		if (!nl)
			break;
		l = nl + 1;
	}
	return -ENODATA;
}

static void check_atou64(const char *s)
{
	uint64_t a = 0, b = 0;
	int r = safe_atou64(s, &a), ref = ref_atou64(s, &b);

	fuzz_assert(r == ref, "safe_atou64(\"%s\") = %d, reference %d", s, r, ref);
	fuzz_assert(r < 0 || a == b, "safe_atou64(\"%s\") = %lu, reference %lu", s,
		    (unsigned long)a, (unsigned long)b);
}

static void check_prefix_walk(const char *text)
{
	/* Every number of the text, as cpu.stat's and usage_percpu's readers walk it. */
	for (const char *p = text; *p;) {
		const char *before = p;
		uint64_t v;

		if (parse_u64_prefix(&p, &v) < 0) {
			fuzz_assert(p == before, "a failed parse moved the cursor");
			p++;
			continue;
		}
		fuzz_assert(p > before, "a parse that consumed nothing");
	}
}

static void check_keyval(const char *text, const char *key)
{
	uint64_t a = 0, b = 0;
	int r, ref;
	size_t len = 0;
	const char *line;

	/* An empty key matches any line starting with a blank: the contract allows it. */
	r = keyval_u64(text, key, &a);
	ref = ref_keyval(text, key, &b);
	fuzz_assert(r == ref, "keyval_u64(\"%s\") = %d, reference %d", key, r, ref);
	fuzz_assert(r < 0 || a == b, "keyval_u64(\"%s\") = %lu, reference %lu", key,
		    (unsigned long)a, (unsigned long)b);

	line = find_line(text, key, &len);
	if (line) {
		fuzz_assert(line >= text && line + len <= text + strlen(text), "line out of text");
		fuzz_assert(strncmp(line, key, strlen(key)) == 0, "line does not start with key");
		fuzz_assert(memchr(line, '\n', len) == NULL, "line holds a newline");
		fuzz_assert(line == text || line[-1] == '\n', "line starts mid-line");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_parts p;

	fuzz_split(data, size, &p);
	check_atou64(p.part[0]);
	check_prefix_walk(p.part[0]);
	if (p.n > 1) {
		uint64_t a, b;

		check_atou64(p.part[1]);
		check_prefix_walk(p.part[1]);
		check_keyval(p.part[1], p.part[0]);
		if (safe_atou64(p.part[0], &a) == 0 && safe_atou64(p.part[1], &b) == 0) {
			unsigned __int128 m = (unsigned __int128)a * b,
					  s = (unsigned __int128)a + b;

			fuzz_assert(mul_sat(a, b) == (m > UINT64_MAX ? UINT64_MAX : (uint64_t)m),
				    "mul_sat");
			fuzz_assert(add_sat(a, b) == (s > UINT64_MAX ? UINT64_MAX : (uint64_t)s),
				    "add_sat");
		}
	}
	fuzz_parts_done(&p);
	return 0;
}
