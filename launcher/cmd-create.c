/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "idmap.h"
#include "image-download.h"
#include "image-extract.h"
#include "launcher.h"
#include "rootfs.h"
#include "state.h"

struct create_args {
	char *from_dir, *from_tar, *debootstrap, *download, *server;
	char **settings;
	char **rest;
};

static void create_args_done(struct create_args *a)
{
	g_free(a->from_dir);
	g_free(a->from_tar);
	g_free(a->debootstrap);
	g_free(a->download);
	g_free(a->server);
	g_strfreev(a->settings);
	g_strfreev(a->rest);
}

/* Everything that can be checked is checked before the container's directory exists. */
static int check_source(const struct create_args *a)
{
	int sources = !!a->from_dir + !!a->from_tar + !!a->debootstrap + !!a->download;

	if (sources != 1) {
		log_error("create: give exactly one of --from-dir, --from-tar, --debootstrap and "
			  "--download");
		return -EINVAL;
	}
	if (a->server && !a->download) {
		log_error("create: --server goes with --download");
		return -EINVAL;
	}
	if (a->from_dir && !g_file_test(a->from_dir, G_FILE_TEST_IS_DIR))
		return log_error_errno(-ENOENT, "create: the rootfs directory %s does not exist",
				       a->from_dir);
	if (a->from_tar && access(a->from_tar, R_OK) < 0)
		return log_error_errno(-errno, "create: cannot read %s: %m", a->from_tar);
	if (a->debootstrap && !g_regex_match_simple("^[a-z0-9.-]+$", a->debootstrap, 0, 0)) {
		log_error("create: '%s' is not a suite name such as bookworm", a->debootstrap);
		return -EINVAL;
	}
	return 0;
}

static int make_rootfs(const struct create_args *a, const struct image_download *img,
		       const struct ct *ct, const struct container_config *c)
{
	if (mkdir(ct->rootfs, 0755) < 0)
		return log_error_errno(-errno, "cannot create %s: %m", ct->rootfs);
	if (a->download)
		return image_extract(img->files.rootfs_fd, ct->rootfs, c);
	if (a->from_dir)
		return rootfs_from_dir(a->from_dir, ct->rootfs, c);
	if (a->from_tar)
		return rootfs_from_tar(a->from_tar, ct->rootfs, c);
	return rootfs_debootstrap(a->debootstrap, ct->rootfs, c);
}

/* The image's default keys, then the command line's: both checked, both saved. */
static char **merged_settings(const struct create_args *a, const struct image_download *img)
{
	GStrvBuilder *b = g_strv_builder_new();
	char **v;

	if (img->meta.config)
		g_strv_builder_addv(b, (const char **)img->meta.config);
	if (a->settings)
		g_strv_builder_addv(b, (const char **)a->settings);
	v = g_strv_builder_end(b);
	g_strv_builder_unref(b);
	return v;
}

static int create(const struct create_args *a, const struct ct *ct)
{
	struct image_download img = { .files = { -1, -1, false } };
	g_auto(GStrv) settings = NULL;
	struct container_config c;
	g_autofree char *home = burrow_home();
	int r;

	r = config_load(NULL, &c);
	if (r < 0)
		return r;
	r = check_source(a);
	if (r >= 0 && a->download)
		r = config_check_args(a->settings);
	if (r >= 0 && access(ct->dir, F_OK) == 0)
		r = log_error_errno(-EEXIST, "a container named '%s' already exists (%s)", ct->name,
				    ct->dir);
	if (r >= 0 && a->download)
		r = image_download_prepare(a->download, a->server, &img);
	settings = merged_settings(a, &img);
	if (r >= 0)
		r = config_apply_args(&c, settings);
	if (r >= 0)
		r = idmap_resolve(&c);
	if (r >= 0 && access(ct->dir, F_OK) == 0)
		r = log_error_errno(-EEXIST, "a container named '%s' already exists (%s)", ct->name,
				    ct->dir);
	if (r >= 0 && (r = mkdir_p(home, 0755)) < 0)
		log_error_errno(r, "cannot create %s: %m", home);
	if (r >= 0 && mkdir(ct->dir, 0700) < 0)
		r = log_error_errno(-errno, "cannot create %s: %m", ct->dir);
	if (r < 0) {
		image_download_done(&img);
		config_done(&c);
		return r;
	}
	r = make_rootfs(a, &img, ct, &c);
	if (r >= 0)
		r = rootfs_set_hostname(ct->rootfs, c.hostname ? c.hostname : ct->name, &c);
	if (r >= 0)
		r = rootfs_set_network(ct->rootfs, &c);
	if (r >= 0)
		r = config_save_args(ct->config, settings);
	if (r < 0)
		rootfs_remove(ct->dir, ct->rootfs, &c);
	image_download_done(&img);
	config_done(&c);
	return r;
}

int verb_create(int argc, char **argv)
{
	struct create_args a = { 0 };
	GOptionEntry entries[] = {
		{ "from-dir", 0, 0, G_OPTION_ARG_FILENAME, &a.from_dir, "Copy the rootfs from DIR",
		  "DIR" },
		{ "from-tar", 0, 0, G_OPTION_ARG_FILENAME, &a.from_tar,
		  "Unpack the rootfs from FILE (.tar, .tar.gz, .tar.xz)", "FILE" },
		{ "debootstrap", 0, 0, G_OPTION_ARG_STRING, &a.debootstrap,
		  "Build a Debian SUITE rootfs with debootstrap", "SUITE" },
		{ "download", 0, 0, G_OPTION_ARG_STRING, &a.download,
		  "Download a signed image from the server's index",
		  "DIST:RELEASE[:ARCH[:VARIANT]]" },
		{ "server", 0, 0, G_OPTION_ARG_STRING, &a.server, "Image server for --download",
		  "URL" },
		{ "config", 'c', 0, G_OPTION_ARG_STRING_ARRAY, &a.settings,
		  "Set a config key (see default.conf)", "KEY=VALUE" },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &a.rest, NULL, NULL },
		{ NULL },
	};
	struct ct ct;
	int r;

	r = parse_verb_options(&argc, &argv, "create",
			       "NAME (--from-dir DIR | --from-tar FILE | --debootstrap SUITE | "
			       "--download DIST:RELEASE[:ARCH[:VARIANT]] [--server URL])",
			       entries);
	if (r >= 0)
		r = verb_one_name("create", a.rest, NULL);
	if (r >= 0)
		r = ct_init(a.rest[0], &ct);
	if (r >= 0) {
		r = create(&a, &ct);
		ct_done(&ct);
	}
	create_args_done(&a);
	return r < 0 ? r : 0;
}
