/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "image-build.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "glib-macro.h"
#include "image-index.h"
#include "image-meta.h"
#include "image-rootfs.h"
#include "image-verify.h"
#include "launcher.h"
#include "minisign.h"

static int write_new(const char *path, const char *text, mode_t mode)
{
	g_autofd int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	size_t len = strlen(text);

	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0)
		return errno ? -errno : -EIO;
	return 0;
}

int image_keygen(const char *name)
{
	g_autofree char *pub = NULL, *sec = NULL;
	g_autofree char *pub_path = g_strconcat(name, ".pub", NULL);
	g_autofree char *sec_path = g_strconcat(name, ".key", NULL);
	int r;

	r = minisign_init();
	if (r >= 0)
		r = minisign_keygen(&pub, &sec);
	if (r < 0)
		return log_error_errno(r, "cannot make a key pair: %m");
	r = write_new(sec_path, sec, 0600);
	sodium_memzero(sec, strlen(sec));
	if (r < 0)
		return log_error_errno(r, "cannot create %s: %m", sec_path);
	r = write_new(pub_path, pub, 0644);
	if (r < 0) {
		unlink(sec_path);
		return log_error_errno(r, "cannot create %s: %m", pub_path);
	}
	printf("%s: secret key (keep it; no password)\n%s: public key; trust it with\n"
	       "  cp %s /etc/burrow/keys.d/  or  ~/.config/burrow/keys.d/\n",
	       sec_path, pub_path, pub_path);
	return 0;
}

/* As minisign asks: echo off on a terminal, else one line of stdin. */
static char *read_password(void)
{
	struct termios old, quiet;
	bool tty = tcgetattr(STDIN_FILENO, &old) == 0;
	char buf[1024];
	char *ok;

	if (tty) {
		fprintf(stderr, "Password: ");
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	ok = fgets(buf, sizeof(buf), stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	if (!ok)
		return NULL;
	buf[strcspn(buf, "\r\n")] = 0;
	ok = g_strdup(buf);
	sodium_memzero(buf, sizeof(buf));
	return ok;
}

static int load_seckey(const char *path, struct minisign_seckey *ret)
{
	g_autofree char *text = NULL, *pw = NULL;
	int r;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return log_error_errno(-ENOENT, "cannot read the secret key %s", path);
	r = minisign_init();
	if (r < 0)
		return log_error_errno(r, "cannot initialise libsodium");
	if (minisign_seckey_encrypted(text) && !(pw = read_password()))
		return log_error_errno(-ENOKEY, "%s is protected by a password: none given", path);
	r = minisign_seckey_parse(text, pw, ret);
	sodium_memzero(text, strlen(text));
	if (pw)
		sodium_memzero(pw, strlen(pw));
	if (r == -EKEYREJECTED)
		return log_error_errno(r, "wrong password for %s", path);
	if (r == -E2BIG)
		return log_error_errno(r, "%s asks for more scrypt memory than 2 GiB", path);
	if (r < 0)
		return log_error_errno(-EBADMSG, "%s is not a minisign secret key", path);
	return 0;
}

static int check_fields(const struct image_build_args *a)
{
	const char *f[][2] = { { "--dist", a->dist },
			       { "--release", a->release },
			       { "--arch", a->arch },
			       { "--variant", a->variant },
			       { "--build", a->build } };

	for (size_t i = 0; i < G_N_ELEMENTS(f); i++)
		if (!f[i][1] || image_field_check(f[i][0], f[i][1]) < 0) {
			log_error("image build: %s '%s' is not 1 to 64 of A-Z a-z 0-9 . _ : + -",
				  f[i][0], f[i][1] ? f[i][1] : "");
			return -EINVAL;
		}
	if (!!a->from_dir + !!a->from_tar + !!a->debootstrap != 1) {
		log_error("image build: give exactly one of --from-dir, --from-tar and "
			  "--debootstrap");
		return -EINVAL;
	}
	if (!a->key || !a->out) {
		log_error("image build: --key and --out are required");
		return -EINVAL;
	}
	if (a->level < 0 || a->level > 9) {
		log_error("image build: --level is an xz preset, 0 to 9");
		return -EINVAL;
	}
	return 0;
}

static int write_sums(int dir_fd, const char *tree_dir, const struct image_build_args *a,
		      const struct minisign_seckey *k)
{
	uint8_t d[SHA256_LEN];
	char hex[2][2 * SHA256_LEN + 1];
	const char *names[] = { "meta.tar.xz", "rootfs.tar.xz" };
	g_autofree char *sums = NULL, *sig = NULL, *comment = NULL;
	g_autofree char *sums_path = g_build_filename(tree_dir, "SHA256SUMS", NULL);
	g_autofree char *sig_path = g_build_filename(tree_dir, "SHA256SUMS.minisig", NULL);
	int r;

	for (int i = 0; i < 2; i++) {
		g_autofd int fd = openat(dir_fd, names[i], O_RDONLY | O_CLOEXEC);

		if (fd < 0 || (r = sha256_fd(fd, d)) < 0)
			return log_error_errno(fd < 0 ? -errno : r, "cannot read %s: %m", names[i]);
		sha256_hex(d, hex[i]);
	}
	sums = g_strdup_printf("%s  %s\n%s  %s\n", hex[0], names[0], hex[1], names[1]);
	comment = g_strdup_printf("timestamp:%lld\tfile:SHA256SUMS\thashed\timage:%s;%s;%s;%s;%s",
				  (long long)time(NULL), a->dist, a->release, a->arch, a->variant,
				  a->build);
	r = minisign_sign(k, sums, strlen(sums), comment, &sig);
	if (r < 0)
		return log_error_errno(r, "cannot sign SHA256SUMS: %m");
	if ((r = write_new(sums_path, sums, 0644)) < 0 || (r = write_new(sig_path, sig, 0644)) < 0)
		return log_error_errno(r, "cannot write %s: %m", tree_dir);
	return 0;
}

/* As root only: debootstrap makes root-owned files, which a user could not pack as they are. */
static int rootfs_debootstrap_xz(const char *suite, int fd, int level)
{
	const char *mirror = g_getenv("BURROW_MIRROR");
	g_autofree char *tmp = g_dir_make_tmp("burrow-image-XXXXXX", NULL);
	char *argv[] = { "debootstrap",
			 "--variant=minbase",
			 "--include=systemd,systemd-sysv,dbus,procps",
			 (char *)suite,
			 tmp,
			 (char *)(mirror ? mirror : "http://deb.debian.org/debian"),
			 NULL };
	char *rm[] = { "rm", "-rf", "--one-file-system", tmp, NULL };
	int r;

	if (geteuid() != 0)
		return log_error_errno(-EPERM, "image build --debootstrap needs root; as a user, "
					       "build from --from-dir or --from-tar");
	if (!tmp)
		return log_error_errno(-errno, "cannot make a temporary directory: %m");
	r = fork_exec_wait(argv, -1, NULL);
	if (r != 0)
		r = log_error_errno(r < 0 ? r : -EIO, "debootstrap %s failed (see its messages)",
				    suite);
	else
		r = image_rootfs_from_dir(tmp, fd, level);
	fork_exec_wait(rm, -1, NULL);
	return r;
}

static int write_archives(const struct image_build_args *a, int dir_fd)
{
	g_autofd int rootfs =
		openat(dir_fd, "rootfs.tar.xz", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	g_autofd int meta =
		openat(dir_fd, "meta.tar.xz", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	g_autofree char *desc = NULL, *src = NULL;
	int r;

	if (rootfs < 0 || meta < 0)
		return log_error_errno(-errno, "cannot create the image's files: %m");
	if (a->from_dir) {
		src = g_strdup(a->from_dir);
		while (strlen(src) > 1 && g_str_has_suffix(src, "/"))
			src[strlen(src) - 1] = 0;
		r = image_rootfs_from_dir(src, rootfs, a->level);
	} else if (a->from_tar)
		r = image_rootfs_from_tar(a->from_tar, rootfs, a->level);
	else
		r = rootfs_debootstrap_xz(a->debootstrap, rootfs, a->level);
	if (r < 0)
		return r;
	desc = a->description ? g_strdup(a->description)
			      : g_strdup_printf("%s %s %s (%s), build %s", a->dist, a->release,
						a->arch, a->variant, a->build);
	r = image_meta_write(meta, a->settings, desc);
	if (r >= 0 && (fsync(rootfs) < 0 || fsync(meta) < 0))
		r = -errno;
	if (r < 0)
		return log_error_errno(r, "cannot write meta.tar.xz: %m");
	return 0;
}

/* The index with a's image in place of any build of the same dist, release, arch and variant. */
static int update_index(const struct image_build_args *a, const char *rel)
{
	g_autofree char *meta_dir = g_build_filename(a->out, "meta", "1.0", NULL);
	g_autofree char *path = g_build_filename(meta_dir, "index-system", NULL);
	g_autofree char *text = NULL, *out = NULL;
	struct image_index idx = { 0 }, next = { 0 };
	int r;

	r = mkdir_p(meta_dir, 0755);
	if (r < 0)
		return log_error_errno(r, "cannot create %s: %m", meta_dir);
	if (g_file_get_contents(path, &text, NULL, NULL) &&
	    (r = image_index_parse(path, text, &idx)) < 0)
		return r;
	next.images = g_new0(struct image_ref, idx.n + 1);
	for (size_t i = 0; i < idx.n; i++) {
		struct image_ref *o = &idx.images[i];

		if (g_str_equal(o->dist, a->dist) && g_str_equal(o->release, a->release) &&
		    g_str_equal(o->arch, a->arch) && g_str_equal(o->variant, a->variant))
			continue;
		next.images[next.n++] = *o;
		*o = (struct image_ref){ 0 };
	}
	next.images[next.n++] =
		(struct image_ref){ g_strdup(a->dist),	  g_strdup(a->release), g_strdup(a->arch),
				    g_strdup(a->variant), g_strdup(a->build),	g_strdup(rel) };
	out = image_index_render(&next);
	r = write_file_atomic(path, out, 0644);
	image_index_done(&idx);
	image_index_done(&next);
	if (r < 0)
		return log_error_errno(r, "cannot write %s: %m", path);
	return 0;
}

int image_build(const struct image_build_args *a)
{
	g_autofree char *rel = NULL, *dir = NULL, *parent = NULL, *tmp = NULL;
	g_autofd int tmp_fd = -1;
	struct minisign_seckey k;
	int r;

	r = check_fields(a);
	if (r >= 0)
		r = config_check_args(a->settings); /* as create will check them */
	if (r >= 0)
		r = load_seckey(a->key, &k);
	if (r < 0)
		return r;
	rel = g_strdup_printf("/images/%s/%s/%s/%s/%s/", a->dist, a->release, a->arch, a->variant,
			      a->build);
	dir = g_build_filename(a->out, "images", a->dist, a->release, a->arch, a->variant, a->build,
			       NULL);
	parent = g_path_get_dirname(dir);
	tmp = g_build_filename(parent, ".tmp-XXXXXX", NULL);
	r = mkdir_p(parent, 0755);
	if (r < 0 || !g_mkdtemp_full(tmp, 0755)) {
		sodium_memzero(&k, sizeof(k));
		return log_error_errno(r < 0 ? r : -errno, "cannot create a directory in %s: %m",
				       parent);
	}
	tmp_fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = tmp_fd < 0 ? -errno : write_archives(a, tmp_fd);
	if (r >= 0)
		r = write_sums(tmp_fd, tmp, a, &k);
	sodium_memzero(&k, sizeof(k));
	if (r >= 0) {
		dir_remove_flat(dir); /* the same build again replaces it */
		if (rename(tmp, dir) < 0)
			r = log_error_errno(-errno, "cannot move the image to %s: %m", dir);
	}
	if (r < 0) {
		dir_remove_flat(tmp);
		return r;
	}
	return update_index(a, rel);
}
