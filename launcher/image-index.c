/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "image-index.h"

#include <errno.h>
#include <string.h>
#include <sys/utsname.h>

#include "glib-macro.h"
#include "launcher.h"

#define FIELD_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:+-"

int image_field_check(const char *name, const char *v)
{
	size_t len = strlen(v);

	if (len == 0 || len > 64 || strspn(v, FIELD_CHARS) != len || g_str_equal(v, ".") ||
	    g_str_equal(v, ".."))
		return -EINVAL;
	return 0;
}

/* Relative to the server's root; one leading '/' allowed, as LXC writes it. */
static int path_check(const char *p)
{
	g_auto(GStrv) parts = NULL;
	size_t len = strlen(p);

	if (len == 0 || len > 512 || strspn(p, FIELD_CHARS "/") != len)
		return -EINVAL;
	parts = g_strsplit(p[0] == '/' ? p + 1 : p, "/", -1);
	for (char **c = parts; *c; c++)
		if (g_str_equal(*c, ".") || g_str_equal(*c, "..") ||
		    (!**c && c[1])) /* "a//b"; a trailing '/' is fine */
			return -EINVAL;
	return 0;
}

void image_ref_done(struct image_ref *r)
{
	g_free(r->dist);
	g_free(r->release);
	g_free(r->arch);
	g_free(r->variant);
	g_free(r->build);
	g_free(r->path);
	*r = (struct image_ref){ 0 };
}

void image_index_done(struct image_index *idx)
{
	for (size_t i = 0; i < idx->n; i++)
		image_ref_done(&idx->images[i]);
	g_free(idx->images);
	*idx = (struct image_index){ 0 };
}

static const char *const field_names[] = { "dist", "release", "arch", "variant", "build", "path" };

static int parse_line(const char *line, struct image_ref *ret, char *why, size_t why_size)
{
	g_auto(GStrv) f = g_strsplit(line, ";", -1);

	if (g_strv_length(f) != 6) {
		snprintf(why, why_size, "%u fields, not 6 (dist;release;arch;variant;build;path)",
			 g_strv_length(f));
		return -EBADMSG;
	}
	for (size_t i = 0; i < 5; i++)
		if (image_field_check(field_names[i], f[i]) < 0) {
			snprintf(why, why_size, "bad %s field", field_names[i]);
			return -EBADMSG;
		}
	if (path_check(f[5]) < 0) {
		snprintf(why, why_size, "bad path field");
		return -EBADMSG;
	}
	*ret = (struct image_ref){ g_strdup(f[0]), g_strdup(f[1]), g_strdup(f[2]),
				   g_strdup(f[3]), g_strdup(f[4]), g_strdup(f[5]) };
	return 0;
}

int image_index_parse(const char *what, const char *text, struct image_index *ret)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	struct image_index idx = { 0 };
	unsigned n = 0;

	idx.images = g_new0(struct image_ref, g_strv_length(lines) + 1);
	for (char **l = lines; *l; l++) {
		char why[128];
		g_autofree char *cut = NULL, *shown = NULL;

		n++;
		g_strchomp(*l);
		if (!**l)
			continue;
		if (parse_line(*l, &idx.images[idx.n], why, sizeof(why)) >= 0) {
			idx.n++;
			continue;
		}
		cut = g_strndup(*l, 80);
		shown = g_strescape(cut, NULL);
		log_error("%s: line %u is malformed (%s): \"%s\"", what, n, why, shown);
		image_index_done(&idx);
		return -EBADMSG;
	}
	*ret = idx;
	return 0;
}

const char *image_host_arch(void)
{
	static const char *const names[][2] = {
		{ "x86_64", "amd64" },	  { "aarch64", "arm64" }, { "i686", "i386" },
		{ "i586", "i386" },	  { "armv7l", "armhf" },  { "ppc64le", "ppc64el" },
		{ "riscv64", "riscv64" }, { "s390x", "s390x" },
	};
	static struct utsname u;

	if (uname(&u) < 0)
		return "unknown";
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
		if (g_str_equal(u.machine, names[i][0]))
			return names[i][1];
	return u.machine;
}

int image_spec_parse(const char *spec, struct image_ref *ret)
{
	g_auto(GStrv) f = g_strsplit(spec, ":", -1);
	guint n = g_strv_length(f);

	if (n < 2 || n > 4)
		return -EINVAL;
	for (guint i = 0; i < n; i++)
		if (image_field_check(field_names[i], f[i]) < 0)
			return -EINVAL;
	*ret = (struct image_ref){
		.dist = g_strdup(f[0]),
		.release = g_strdup(f[1]),
		.arch = g_strdup(n > 2 ? f[2] : image_host_arch()),
		.variant = g_strdup(n > 3 ? f[3] : "default"),
	};
	return 0;
}

const struct image_ref *image_index_find(const struct image_index *idx,
					 const struct image_ref *want)
{
	const struct image_ref *best = NULL;

	for (size_t i = 0; i < idx->n; i++) {
		const struct image_ref *r = &idx->images[i];

		if (!g_str_equal(r->dist, want->dist) || !g_str_equal(r->release, want->release) ||
		    !g_str_equal(r->arch, want->arch) || !g_str_equal(r->variant, want->variant))
			continue;
		if (!best || strcmp(r->build, best->build) > 0)
			best = r;
	}
	return best;
}

char *image_ref_id(const struct image_ref *r)
{
	return g_strjoin(";", r->dist, r->release, r->arch, r->variant, r->build, NULL);
}

char *image_index_render(const struct image_index *idx)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < idx->n; i++) {
		const struct image_ref *r = &idx->images[i];

		g_string_append_printf(s, "%s;%s;%s;%s;%s;%s\n", r->dist, r->release, r->arch,
				       r->variant, r->build, r->path);
	}
	return g_string_free(s, FALSE);
}
