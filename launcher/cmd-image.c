/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "glib-macro.h"
#include "image-build.h"
#include "image-cache.h"
#include "image-index.h"
#include "launcher.h"

static int image_keygen_verb(int argc, char **argv)
{
	g_autofree char *out = NULL;
	GOptionEntry entries[] = {
		{ "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "Write NAME.key and NAME.pub", "NAME" },
		{ NULL },
	};
	int r = parse_verb_options(&argc, &argv, "image keygen", "--out NAME", entries);

	if (r < 0)
		return r;
	if (!out || argc != 1) {
		log_error("image keygen: give --out NAME and nothing else");
		return -EINVAL;
	}
	return image_keygen(out);
}

static void build_args_done(struct image_build_args *a)
{
	g_free(a->from_dir);
	g_free(a->from_tar);
	g_free(a->debootstrap);
	g_free(a->dist);
	g_free(a->release);
	g_free(a->arch);
	g_free(a->variant);
	g_free(a->build);
	g_free(a->description);
	g_free(a->key);
	g_free(a->out);
	g_strfreev(a->settings);
}

static int image_build_verb(int argc, char **argv)
{
	struct image_build_args a = { .level = 6 };
	GOptionEntry entries[] = {
		{ "from-dir", 0, 0, G_OPTION_ARG_FILENAME, &a.from_dir, "Pack the rootfs in DIR",
		  "DIR" },
		{ "from-tar", 0, 0, G_OPTION_ARG_FILENAME, &a.from_tar,
		  "Repack the rootfs tarball FILE", "FILE" },
		{ "debootstrap", 0, 0, G_OPTION_ARG_STRING, &a.debootstrap,
		  "Debootstrap a Debian SUITE (root only)", "SUITE" },
		{ "dist", 0, 0, G_OPTION_ARG_STRING, &a.dist, "Distribution (debian)", "D" },
		{ "release", 0, 0, G_OPTION_ARG_STRING, &a.release, "Release (bookworm)", "R" },
		{ "arch", 0, 0, G_OPTION_ARG_STRING, &a.arch, "Architecture (the host's)", "A" },
		{ "variant", 0, 0, G_OPTION_ARG_STRING, &a.variant, "Variant (default)", "V" },
		{ "build", 0, 0, G_OPTION_ARG_STRING, &a.build, "Build id (now, YYYYMMDD_HH:MM)",
		  "ID" },
		{ "description", 0, 0, G_OPTION_ARG_STRING, &a.description, "One line", "TEXT" },
		{ "config", 'c', 0, G_OPTION_ARG_STRING_ARRAY, &a.settings,
		  "A default config key of the image", "KEY=VALUE" },
		{ "key", 0, 0, G_OPTION_ARG_FILENAME, &a.key, "minisign secret key", "NAME.key" },
		{ "out", 0, 0, G_OPTION_ARG_FILENAME, &a.out, "The served tree", "TREE" },
		{ "level", 0, 0, G_OPTION_ARG_INT, &a.level, "xz preset, 0-9 (6)", "N" },
		{ NULL },
	};
	int r = parse_verb_options(&argc, &argv, "image build",
				   "(--from-dir DIR | --from-tar FILE | --debootstrap SUITE) "
				   "--dist D --release R --key NAME.key --out TREE",
				   entries);

	if (r >= 0 && argc != 1) {
		log_error("image build: unexpected argument '%s'", argv[1]);
		r = -EINVAL;
	}
	if (r >= 0) {
		if (!a.arch)
			a.arch = g_strdup(image_host_arch());
		if (!a.variant)
			a.variant = g_strdup("default");
		if (!a.build) {
			g_autoptr(GDateTime) now = g_date_time_new_now_utc();

			a.build = g_date_time_format(now, "%Y%m%d_%H:%M");
		}
		r = image_build(&a);
	}
	build_args_done(&a);
	return r;
}

static void print_json(const char *server, const struct image_index *idx)
{
	printf("[");
	for (size_t i = 0; i < idx->n; i++) {
		const struct image_ref *r = &idx->images[i];

		/* Every field is of [A-Za-z0-9._:+/-] (image_index_parse): nothing to escape. */
		printf("%s\n  {\"dist\": \"%s\", \"release\": \"%s\", \"arch\": \"%s\", "
		       "\"variant\": \"%s\", \"build\": \"%s\", \"path\": \"%s\", \"cached\": %s}",
		       i ? "," : "", r->dist, r->release, r->arch, r->variant, r->build, r->path,
		       image_cache_has(server, r) ? "true" : "false");
	}
	printf("%s]\n", idx->n ? "\n" : "");
}

/*
 * How ls and prune begin: their options (entries, --server into *server_opt
 * among them), then the index of that server (else $BURROW_IMAGE_SERVER's,
 * else the default's) into ret_idx.
 */
static int index_verb_begin(int argc, char **argv, const char *verb, const char *usage,
			    const GOptionEntry *entries, char *const *server_opt,
			    const char **ret_server, struct image_index *ret_idx)
{
	const char *server;
	int r = parse_verb_options(&argc, &argv, verb, usage, entries);

	if (r < 0)
		return r;
	server = image_server(*server_opt);
	r = image_index_fetch(server, ret_idx);
	if (r < 0)
		return r;
	*ret_server = server;
	return 0;
}

static int image_ls_verb(int argc, char **argv)
{
	g_autofree char *server_opt = NULL;
	gboolean json = FALSE;
	GOptionEntry entries[] = {
		{ "server", 0, 0, G_OPTION_ARG_STRING, &server_opt, "Image server", "URL" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON output", NULL },
		{ NULL },
	};
	struct image_index idx;
	const char *server;
	int r = index_verb_begin(argc, argv, "image ls", "[--server URL] [--json]", entries,
				 &server_opt, &server, &idx);

	if (r < 0)
		return r;
	if (json)
		print_json(server, &idx);
	else {
		printf("%-12s %-12s %-8s %-10s %-16s %s\n", "DIST", "RELEASE", "ARCH", "VARIANT",
		       "BUILD", "CACHED");
		for (size_t i = 0; i < idx.n; i++) {
			const struct image_ref *x = &idx.images[i];

			printf("%-12s %-12s %-8s %-10s %-16s %s\n", x->dist, x->release, x->arch,
			       x->variant, x->build, image_cache_has(server, x) ? "yes" : "no");
		}
	}
	image_index_done(&idx);
	return 0;
}

static int image_prune_verb(int argc, char **argv)
{
	g_autofree char *server_opt = NULL;
	GOptionEntry entries[] = {
		{ "server", 0, 0, G_OPTION_ARG_STRING, &server_opt, "Image server", "URL" },
		{ NULL },
	};
	struct image_index idx;
	const char *server;
	unsigned n = 0;
	/* Without the index nothing is known to be stale: nothing is removed. */
	int r = index_verb_begin(argc, argv, "image prune", "[--server URL]", entries, &server_opt,
				 &server, &idx);

	if (r < 0)
		return r;
	r = image_cache_prune(server, &idx, &n);
	image_index_done(&idx);
	if (r >= 0)
		printf("removed %u cached image%s\n", n, n == 1 ? "" : "s");
	return r;
}

int verb_image(int argc, char **argv)
{
	static const struct verb subs[] = {
		{ "keygen", image_keygen_verb, "--out NAME" },
		{ "build", image_build_verb,
		  "(--from-dir DIR | --from-tar FILE | --debootstrap SUITE) --dist D --release R "
		  "[--arch A] [--variant V] [-c KEY=VALUE]... --key NAME.key --out TREE" },
		{ "ls", image_ls_verb, "[--server URL] [--json]" },
		{ "prune", image_prune_verb, "[--server URL]" },
	};

	for (size_t i = 0; argc > 1 && i < G_N_ELEMENTS(subs); i++)
		if (g_str_equal(argv[1], subs[i].name))
			return subs[i].run(argc - 1, argv + 1);
	fprintf(stderr, "Usage:\n");
	for (size_t i = 0; i < G_N_ELEMENTS(subs); i++)
		fprintf(stderr, "  burrow image %-7s %s\n", subs[i].name, subs[i].usage);
	return argc > 1 && !g_str_equal(argv[1], "--help") ? -EINVAL : 0;
}
