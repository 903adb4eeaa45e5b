/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "image-meta.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "glib-macro.h"
#include "launcher.h"

void image_meta_done(struct image_meta *m)
{
	g_strfreev(m->config);
	g_free(m->description);
	*m = (struct image_meta){ 0 };
}

static int read_entry(struct archive *a, struct archive_entry *e, char **ret)
{
	int64_t size = archive_entry_size(e);
	g_autofree char *buf = NULL;

	if (size < 0 || size > IMAGE_META_ENTRY_MAX)
		return -EFBIG;
	buf = g_malloc((size_t)size + 1);
	if (archive_read_data(a, buf, (size_t)size) != (la_ssize_t)size)
		return -EBADMSG;
	buf[size] = 0;
	if (strlen(buf) != (size_t)size || !g_utf8_validate(buf, -1, NULL))
		return -EBADMSG;
	*ret = g_steal_pointer(&buf);
	return 0;
}

static char **config_lines(const char *text)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	GPtrArray *out = g_ptr_array_new();

	for (char **l = lines; *l; l++) {
		g_strstrip(*l);
		if (**l && **l != '#')
			g_ptr_array_add(out, g_strdup(*l));
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

int image_meta_read(const char *what, int fd, struct image_meta *ret)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	g_autofree char *config = NULL, *desc = NULL;
	int r = 0, ar;

	archive_read_support_format_tar(a);
	archive_read_support_filter_xz(a);
	if (lseek(fd, 0, SEEK_SET) < 0 || archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK)
		r = -EBADMSG;
	while (r >= 0 && (ar = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);

		name = name && g_str_has_prefix(name, "./") ? name + 2 : name;
		if (name && g_str_equal(name, "config") && !config)
			r = read_entry(a, e, &config);
		else if (name && g_str_equal(name, "description") && !desc)
			r = read_entry(a, e, &desc);
	}
	if (r >= 0 && ar != ARCHIVE_EOF)
		r = -EBADMSG;
	if (r < 0)
		log_error("%s: not a valid meta.tar.xz (%s)", what,
			  r == -EFBIG ? "an entry is too large" : archive_error_string(a) ?: "bad entry");
	archive_read_free(a);
	if (r < 0)
		return r;
	*ret = (struct image_meta){
		.config = config_lines(config ? config : ""),
		.description = desc ? g_strstrip(g_strdup(desc)) : g_strdup(""),
	};
	return 0;
}

static int add_text(struct archive *a, const char *name, const char *text)
{
	struct archive_entry *e = archive_entry_new();
	size_t len = strlen(text);
	int r = 0;

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, time(NULL), 0);
	if (archive_write_header(a, e) != ARCHIVE_OK ||
	    archive_write_data(a, text, len) != (la_ssize_t)len)
		r = -EIO;
	archive_entry_free(e);
	return r;
}

int image_meta_write(int fd, char **config, const char *description)
{
	struct archive *a = archive_write_new();
	g_autofree char *conf = NULL, *desc = g_strconcat(description, "\n", NULL);
	int r;

	conf = config && *config ? g_strjoinv("\n", config) : g_strdup("");
	if (*conf) {
		char *t = g_strconcat(conf, "\n", NULL);

		g_free(conf);
		conf = t;
	}
	archive_write_set_format_pax_restricted(a);
	archive_write_add_filter_xz(a);
	r = archive_write_open_fd(a, fd) == ARCHIVE_OK ? 0 : -EIO;
	if (r >= 0)
		r = add_text(a, "config", conf);
	if (r >= 0)
		r = add_text(a, "description", desc);
	if (archive_write_close(a) != ARCHIVE_OK)
		r = -EIO;
	archive_write_free(a);
	return r;
}
