/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image-extract.h"
#include "launcher.h"

static const struct verb verbs[] = {
	{ "create", verb_create,
	  "NAME (--from-dir DIR | --from-tar FILE | --debootstrap SUITE |\n"
	  "                  --download DIST:RELEASE[:ARCH[:VARIANT]] [--server URL]) "
	  "[-c KEY=VALUE]..." },
	{ "start", verb_start, "NAME [--foreground] [--wait]" },
	{ "attach", verb_attach, "NAME [-- CMD ARGS...]" },
	{ "console", verb_console, "NAME" },
	{ "stop", verb_stop, "NAME [--timeout S] [--kill]" },
	{ "ls", verb_ls, "[--fancy | --json]" },
	{ "info", verb_info, "NAME" },
	{ "destroy", verb_destroy, "NAME [--force]" },
	{ "run", verb_run, "--rootfs DIR [-c KEY=VALUE]... -- CMD ARGS..." },
	{ "image", verb_image, "(keygen | build | ls | prune) ..." },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: burrow VERB [OPTIONS]\n\nSystem containers for ordinary users.\n\n");
	for (size_t i = 0; i < G_N_ELEMENTS(verbs); i++)
		fprintf(f, "  burrow %-8s %s\n", verbs[i].name, verbs[i].usage);
	fprintf(f, "\n'burrow VERB --help' describes a verb's options. Configuration keys are "
		   "documented in default.conf.\n");
}

int main(int argc, char **argv)
{
	int r;

	if (argc < 2) {
		usage(stderr);
		return EXIT_FAILURE;
	}
	if (g_str_equal(argv[1], "--help") || g_str_equal(argv[1], "-h")) {
		usage(stdout);
		return EXIT_SUCCESS;
	}
	/* Not a verb: the unpacking helper image_extract() runs, as the container's root. */
	if (g_str_equal(argv[1], IMAGE_EXTRACT_VERB) && argc == 2)
		return image_extract_helper();
	if (g_str_equal(argv[1], "--version")) {
		printf("burrow %s\n", PACKAGE_VERSION);
		return EXIT_SUCCESS;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(verbs); i++) {
		if (!g_str_equal(argv[1], verbs[i].name))
			continue;
		r = verbs[i].run(argc - 1, argv + 1);
		return r < 0 ? EXIT_FAILURE : r;
	}
	log_error("unknown verb '%s'; 'burrow --help' lists them", argv[1]);
	return EXIT_FAILURE;
}

int parse_verb_options(int *argc, char ***argv, const char *verb, const char *params,
		       const GOptionEntry *entries)
{
	g_autofree char *summary = g_strdup_printf("%s %s", verb, params);
	g_autoptr(GOptionContext) ctx = g_option_context_new(summary);
	g_autoptr(GError) err = NULL;

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_summary(ctx, "burrow: system containers for ordinary users");
	if (!g_option_context_parse(ctx, argc, argv, &err)) {
		log_error("%s: %s ('burrow %s --help' lists the options)", verb, err->message,
			  verb);
		return -EINVAL;
	}
	return 0;
}

int verb_one_name(const char *verb, char **rest, const char *hint)
{
	if (rest && g_strv_length(rest) == 1)
		return 0;
	log_error("%s: give one container NAME%s", verb, hint ? hint : "");
	return -EINVAL;
}
