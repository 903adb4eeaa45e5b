/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "image-cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "glib-macro.h"
#include "image-fetch.h"
#include "image-meta.h"
#include "image-verify.h"
#include "launcher.h"

#define SUMS_MAX (64u << 10)
#define SIG_MAX	 4096u

char *image_cache_dir(void)
{
	const char *env = getenv("BURROW_CACHE_DIR");

	if (env && *env)
		return g_strdup(env);
	if (geteuid() == 0)
		return g_strdup("/var/cache/burrow/images");
	return g_build_filename(g_get_user_cache_dir(), "burrow", "images", NULL);
}

const char *image_server(const char *opt)
{
	const char *env = getenv("BURROW_IMAGE_SERVER");

	return opt ? opt : env && *env ? env : IMAGE_DEFAULT_SERVER;
}

/* "http://127.0.0.1:8080/x" -> "http_127.0.0.1_8080_x": one directory per server. */
static char *server_key(const char *server)
{
	g_autofree char *s = g_strdup(server);

	while (g_str_has_suffix(s, "/"))
		s[strlen(s) - 1] = 0;
	g_strcanon(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-", '_');
	return g_steal_pointer(&s);
}

static char *entry_dir(const char *server, const struct image_ref *r)
{
	g_autofree char *base = image_cache_dir(), *key = server_key(server);

	return g_build_filename(base, key, r->dist, r->release, r->arch, r->variant, r->build,
				NULL);
}

int image_index_fetch(const char *server, struct image_index *ret)
{
	g_autofree char *url = NULL, *text = NULL;
	size_t len;
	int r;

	if (fetch_url_join(server, IMAGE_INDEX_PATH, &url) < 0)
		return log_error_errno(-EINVAL, "'%s' is not an http:// or https:// URL", server);
	r = fetch_text(url, IMAGE_INDEX_MAX, &text, &len);
	if (r < 0)
		return r;
	if (strlen(text) != len)
		return log_error_errno(-EBADMSG, "%s: the index holds a NUL byte", url);
	return image_index_parse(url, text, ret);
}

void image_files_done(struct image_files *f)
{
	if (f->rootfs_fd >= 0)
		close(f->rootfs_fd);
	if (f->meta_fd >= 0)
		close(f->meta_fd);
	f->rootfs_fd = f->meta_fd = -1;
}

static int read_at(int dir_fd, const char *name, size_t max, char **ret, size_t *ret_len)
{
	g_autofd int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	g_autofree char *buf = NULL;
	struct stat st;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > max)
		return -EFBIG;
	buf = g_malloc((size_t)st.st_size + 1);
	n = pread(fd, buf, (size_t)st.st_size, 0);
	if (n != st.st_size)
		return -EIO;
	buf[n] = 0;
	*ret_len = (size_t)n;
	*ret = g_steal_pointer(&buf);
	return 0;
}

/* fd's digest against the one SHA256SUMS lists for name. */
static int check_digest(const char *what, const char *sums, const char *name, int fd)
{
	uint8_t want[SHA256_LEN], got[SHA256_LEN];
	char want_hex[2 * SHA256_LEN + 1], got_hex[2 * SHA256_LEN + 1];
	int r = image_sums_lookup(sums, name, want);

	if (r == -ENOENT)
		return log_error_errno(r, "%s: SHA256SUMS does not list %s", what, name);
	if (r < 0)
		return log_error_errno(r, "%s: SHA256SUMS is malformed", what);
	r = sha256_fd(fd, got);
	if (r < 0)
		return log_error_errno(r, "cannot read %s/%s: %m", what, name);
	if (memcmp(want, got, SHA256_LEN) == 0)
		return 0;
	sha256_hex(want, want_hex);
	sha256_hex(got, got_hex);
	return log_error_errno(-EBADMSG,
			       "%s/%s does not match SHA256SUMS (sha256 %s, signed %s): damaged "
			       "or tampered with",
			       what, name, got_hex, want_hex);
}

/* Signature, then both digests, of the four files in dir_fd; the two archives' fds. */
static int verify_dir(const char *what, int dir_fd, const char *image, struct image_files *ret)
{
	g_autofree char *sums = NULL, *sig = NULL;
	g_autofd int rootfs = -1, meta = -1;
	size_t len, sig_len;
	int r;

	r = read_at(dir_fd, "SHA256SUMS", SUMS_MAX, &sums, &len);
	if (r < 0)
		return log_error_errno(r, "%s/SHA256SUMS: %m", what);
	r = read_at(dir_fd, "SHA256SUMS.minisig", SIG_MAX, &sig, &sig_len);
	if (r < 0)
		return log_error_errno(r, "%s/SHA256SUMS.minisig: %m", what);
	r = image_verify_sums(what, sums, len, sig, image);
	if (r < 0)
		return r;
	rootfs = openat(dir_fd, "rootfs.tar.xz", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	meta = openat(dir_fd, "meta.tar.xz", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (rootfs < 0 || meta < 0)
		return log_error_errno(-errno, "%s: %m", what);
	r = check_digest(what, sums, "meta.tar.xz", meta);
	if (r >= 0)
		r = check_digest(what, sums, "rootfs.tar.xz", rootfs);
	if (r < 0)
		return r;
	*ret = (struct image_files){ g_steal_fd(&rootfs), g_steal_fd(&meta), false };
	return 0;
}

static int fetch_into(const char *base, int dir_fd, const char *name, uint64_t max,
		      const char *label)
{
	g_autofree char *url = g_strconcat(base, "/", name, NULL);
	g_autofd int fd =
		openat(dir_fd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);

	if (fd < 0)
		return log_error_errno(-errno, "cannot create %s in the cache: %m", name);
	return fetch_to_fd(url, fd, max, label);
}

/*
 * Signature first, so an unsigned image or one by an unknown key costs two
 * small requests; then meta and the rootfs, checked when verify_dir()
 * re-reads the whole directory.
 */
static int download(const char *server, const struct image_ref *r, const char *tmp, int tmp_fd,
		    const char *image, struct image_files *ret)
{
	g_autofree char *base = NULL, *sums = NULL;
	uint8_t d[SHA256_LEN];
	size_t len;
	int k;

	if (fetch_url_join(server, r->path, &base) < 0)
		return -EINVAL;
	while (g_str_has_suffix(base, "/"))
		base[strlen(base) - 1] = 0;
	k = fetch_into(base, tmp_fd, "SHA256SUMS", SUMS_MAX, NULL);
	if (k >= 0)
		k = fetch_into(base, tmp_fd, "SHA256SUMS.minisig", SIG_MAX, NULL);
	if (k >= 0 && (k = read_at(tmp_fd, "SHA256SUMS", SUMS_MAX, &sums, &len)) >= 0) {
		g_autofree char *sig = NULL;
		size_t sl;

		k = read_at(tmp_fd, "SHA256SUMS.minisig", SIG_MAX, &sig, &sl);
		if (k >= 0)
			k = image_verify_sums(base, sums, len, sig, image);
	}
	for (const char *const *f = (const char *const[]){ "meta.tar.xz", "rootfs.tar.xz", NULL };
	     k >= 0 && *f; f++)
		if ((k = image_sums_lookup(sums, *f, d)) < 0)
			log_error_errno(k, "%s/SHA256SUMS %s %s", base,
					k == -ENOENT ? "does not list" : "is malformed at", *f);
	if (k >= 0)
		k = fetch_into(base, tmp_fd, "meta.tar.xz", IMAGE_META_MAX, "meta.tar.xz");
	if (k >= 0)
		k = fetch_into(base, tmp_fd, "rootfs.tar.xz", IMAGE_ROOTFS_MAX, "rootfs.tar.xz");
	if (k >= 0)
		k = verify_dir(base, tmp_fd, image, ret);
	return k;
}

static int download_entry(const char *server, const struct image_ref *r, const char *dir,
			  const char *image, struct image_files *ret)
{
	g_autofree char *parent = g_path_get_dirname(dir);
	g_autofree char *tmp = g_build_filename(parent, ".tmp-XXXXXX", NULL);
	g_autofd int tmp_fd = -1;
	int k;

	k = mkdir_p(parent, 0755);
	if (k < 0)
		return log_error_errno(k, "cannot create the cache directory %s: %m", parent);
	if (!g_mkdtemp_full(tmp, 0755))
		return log_error_errno(-errno, "cannot create a directory in %s: %m", parent);
	tmp_fd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	k = tmp_fd < 0 ? log_error_errno(-errno, "cannot open %s: %m", tmp)
		       : download(server, r, tmp, tmp_fd, image, ret);
	if (k >= 0 && rename(tmp, dir) < 0) {
		k = log_error_errno(-errno, "cannot move the image into the cache at %s: %m", dir);
		image_files_done(ret);
	}
	if (k < 0)
		dir_remove_flat(tmp);
	return k;
}

int image_obtain(const char *server, const struct image_ref *want, struct image_files *ret)
{
	g_autofree char *dir = entry_dir(server, want), *image = image_ref_id(want);
	g_autofd int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int r;

	if (fd >= 0) {
		r = verify_dir(dir, fd, image, ret);
		if (r >= 0) {
			ret->from_cache = true;
			return 0;
		}
		log_info("warning: the cached image %s failed verification (above); downloading "
			 "it again",
			 dir);
		dir_remove_flat(dir);
	}
	return download_entry(server, want, dir, image, ret);
}

static bool listed(const struct image_index *idx, const char *const f[5])
{
	for (size_t i = 0; i < idx->n; i++) {
		const struct image_ref *r = &idx->images[i];

		if (g_str_equal(r->dist, f[0]) && g_str_equal(r->release, f[1]) &&
		    g_str_equal(r->arch, f[2]) && g_str_equal(r->variant, f[3]) &&
		    g_str_equal(r->build, f[4]))
			return true;
	}
	return false;
}

/* Walks the five levels below the server's directory; removes what idx lacks. */
static void prune_level(const char *dir, const struct image_index *idx, const char *f[5], int depth,
			unsigned *n)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		g_autofree char *p = g_build_filename(dir, name, NULL);

		if (g_str_has_prefix(name, ".tmp-")) {
			dir_remove_flat(p); /* left by a download that was killed */
			continue;
		}
		if (!g_file_test(p, G_FILE_TEST_IS_DIR) || g_file_test(p, G_FILE_TEST_IS_SYMLINK))
			continue;
		f[depth] = name;
		if (depth < 4)
			prune_level(p, idx, f, depth + 1, n);
		else if (!listed(idx, f)) {
			dir_remove_flat(p);
			(*n)++;
		}
	}
	if (depth > 0)
		rmdir(dir); /* only if empty */
}

int image_cache_prune(const char *server, const struct image_index *idx, unsigned *ret_n)
{
	g_autofree char *base = image_cache_dir(), *key = server_key(server);
	g_autofree char *dir = g_build_filename(base, key, NULL);
	const char *f[5];

	*ret_n = 0;
	prune_level(dir, idx, f, 0, ret_n);
	return 0;
}

bool image_cache_has(const char *server, const struct image_ref *r)
{
	g_autofree char *dir = entry_dir(server, r);

	return g_file_test(dir, G_FILE_TEST_IS_DIR);
}
