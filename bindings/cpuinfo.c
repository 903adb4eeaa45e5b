/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "burrow.h"
#include "macro.h"

/*
 * /proc/cpuinfo is a run of paragraphs separated by blank lines. On x86,
 * arm64, ppc and riscv each CPU has one paragraph keyed "processor : N";
 * arm32 and ppc add paragraphs of machine-wide lines after them. s390 keys
 * its per-CPU paragraphs "cpu number : N" and lists "processor N: ..." lines
 * in a machine-wide header. Machine-wide text is kept where it stands; the
 * CPU paragraphs are replaced, at the first one's place, by those of the
 * visible CPUs.
 */

struct para {
	const char *start;
	size_t len; /* including the lines' '\n', not the blank separator */
	size_t sep; /* empty lines after it, as the host has them */
	int cpu;    /* host CPU the paragraph describes; -1: machine-wide */
};

/* Length of the key of a "key<blanks>: value" line; 0 when the line has no ':'. */
static size_t line_key(const char *line, size_t len, size_t *ret_colon)
{
	const char *colon = memchr(line, ':', len);
	size_t k;

	if (!colon)
		return 0;
	*ret_colon = (size_t)(colon - line);
	for (k = *ret_colon; k > 0 && (line[k - 1] == ' ' || line[k - 1] == '\t'); k--)
		;
	return k;
}

static bool key_is(const char *line, size_t klen, const char *key)
{
	return klen == strlen(key) && memcmp(line, key, klen) == 0;
}

/* The value after "key : " as a CPU number; -1 when it is not one. */
static int line_number(const char *line, size_t len, size_t colon)
{
	const char *p = line + colon + 1;
	uint64_t v;

	if (parse_u64_prefix(&p, &v) < 0 || v >= BURROW_MAX_CPUS || p > line + len)
		return -1;
	return (int)v;
}

static int para_cpu(const char *start, size_t len)
{
	size_t nl = strcspn(start, "\n"), colon, klen;

	klen = line_key(start, MIN(nl, len), &colon);
	if (key_is(start, klen, "processor") || key_is(start, klen, "cpu number"))
		return line_number(start, MIN(nl, len), colon);
	return -1;
}

static int split_paras(const char *text, struct para **ret, size_t *ret_n)
{
	_cleanup_free_ struct para *v = NULL;
	size_t n = 0, cap = 0;

	const char *p = text;

	while (*p == '\n')
		p++;
	while (*p) {
		const char *q = p;

		/* A paragraph runs to the first empty line. */
		while (*q && !(q[0] == '\n' && (q[1] == '\n' || q[1] == '\0')))
			q++;
		if (*q == '\n')
			q++;
		if (n == cap) {
			struct para *nv;

			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				return -ENOMEM;
			v = nv;
		}
		v[n] = (struct para){ .start = p, .len = (size_t)(q - p) };
		v[n].cpu = para_cpu(p, v[n].len);
		for (p = q; *p == '\n'; p++)
			v[n].sep++;
		n++;
	}
	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}

/* One CPU's paragraph, renumbered, with the topology counts lscpu cross-checks. */
static void emit_cpu(const struct para *pa, unsigned number, unsigned nr_visible,
		     struct strbuf *out)
{
	const char *end = pa->start + pa->len;

	for (const char *l = pa->start; l < end;) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));
		size_t len = nl ? (size_t)(nl - l) : (size_t)(end - l), colon = 0, klen;

		klen = line_key(l, len, &colon);
		if (key_is(l, klen, "processor") || key_is(l, klen, "cpu number"))
			strbuf_printf(out, "%.*s %u\n", (int)(colon + 1), l, number);
		else if (key_is(l, klen, "siblings") || key_is(l, klen, "cpu cores"))
			strbuf_printf(out, "%.*s %u\n", (int)(colon + 1), l, nr_visible);
		else {
			strbuf_append(out, l, len);
			strbuf_puts(out, "\n");
		}
		l += len + 1;
	}
}

/* "processor N: version = ..." (s390): N, and where the text after N starts; -1 otherwise. */
static int s390_processor(const char *line, size_t len, const char **ret_rest)
{
	const char *p;
	uint64_t h;

	if (len <= STRLEN("processor ") || strncmp(line, "processor ", STRLEN("processor ")) != 0)
		return -1;
	p = line + STRLEN("processor ");
	if (parse_u64_prefix(&p, &h) < 0 || *p != ':' || h >= BURROW_MAX_CPUS)
		return -1;
	*ret_rest = p;
	return (int)h;
}

/*
 * Machine-wide paragraphs pass through, except the s390 header's
 * "processor N: ..." lines (only visible CPUs, renumbered) and its
 * "# processors" count.
 */
static void emit_machine(const struct para *pa, const struct burrow_cpu *cpu, struct strbuf *out)
{
	const char *end = pa->start + pa->len;

	for (const char *l = pa->start; l < end;) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));
		size_t len = nl ? (size_t)(nl - l) : (size_t)(end - l), colon = 0, klen;
		const char *rest;
		int h;

		klen = line_key(l, len, &colon);
		h = s390_processor(l, len, &rest);
		if (h >= 0) {
			int v = burrow_cpu_visible_index(cpu, (unsigned)h);

			if (v >= 0)
				strbuf_printf(out, "processor %d%.*s\n", v,
					      (int)(len - (size_t)(rest - l)), rest);
		} else if (key_is(l, klen, "# processors"))
			strbuf_printf(out, "%.*s %u\n", (int)(colon + 1), l, cpu->nr_visible);
		else {
			strbuf_append(out, l, len);
			strbuf_puts(out, "\n");
		}
		l += len + 1;
	}
}

static void emit_sep(size_t n, struct strbuf *out)
{
	while (n-- > 0)
		strbuf_puts(out, "\n");
}

/* The visible CPUs' paragraphs, renumbered densely, in place of the host's. */
static void emit_cpus(const struct para *paras, size_t n, const struct burrow_cpu *cpu,
		      const int *para_of, struct strbuf *out)
{
	unsigned shown = 0;

	/*
	 * A visible CPU without a paragraph (hotplugged between the two reads)
	 * is skipped, and the numbering stays dense: tools count "processor"
	 * lines and expect 0..n-1.
	 */
	for (unsigned v = 0; v < cpu->nr_visible; v++) {
		if (para_of[v] < 0 || (size_t)para_of[v] >= n)
			continue;
		emit_cpu(&paras[para_of[v]], shown++, cpu->nr_visible, out);
		emit_sep(paras[para_of[v]].sep, out);
	}
}

int burrow_render_cpuinfo(const struct burrow_cpu *cpu, const char *host_cpuinfo,
			  struct strbuf *out)
{
	_cleanup_free_ struct para *paras = NULL;
	_cleanup_free_ int *para_of = NULL; /* by visible CPU: its paragraph, or -1 */
	bool cpus_done = false;
	size_t n;
	int r;

	r = split_paras(host_cpuinfo, &paras, &n);
	if (r < 0)
		return r;
	para_of = malloc(MAX(cpu->nr_visible, 1u) * sizeof(int));
	if (!para_of)
		return -ENOMEM;
	for (unsigned v = 0; v < cpu->nr_visible; v++)
		para_of[v] = -1;
	for (size_t i = 0; i < n; i++) {
		int v = paras[i].cpu < 0 ? -ENOENT
					 : burrow_cpu_visible_index(cpu, (unsigned)paras[i].cpu);

		if (v >= 0 && para_of[v] < 0)
			para_of[v] = (int)i;
	}

	for (size_t i = 0; i < n; i++) {
		if (paras[i].cpu < 0) {
			emit_machine(&paras[i], cpu, out);
			emit_sep(paras[i].sep, out);
		} else if (!cpus_done) {
			emit_cpus(paras, n, cpu, para_of, out);
			cpus_done = true;
		}
	}
	return strbuf_error(out);
}
