/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "glib-macro.h"
#include "idmap.h"
#include "launcher.h"

#define DEFAULT_MIRROR "http://deb.debian.org/debian"

/*
 * tar runs as the container's root in a user namespace that maps only the
 * container's ids, in the directory the caller opened: it can't reach a
 * file of the caller or of host root even if the archive tricks it.
 */
static int unpack(int in_fd, const char *dst, const char *compress,
		  const struct container_config *c)
{
	g_autofd int dst_fd = open(dst, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	char *argv[16];
	size_t n = 0;
	int r;

	if (dst_fd < 0)
		return log_error_errno(-errno, "cannot open %s: %m", dst);
	/* Ours and empty: the container's root must own it to unpack into it. */
	r = userns_hand_over(&c->uid_map, &c->gid_map, dst_fd);
	if (r < 0)
		return log_error_errno(r, "cannot hand %s to the container's root: %m", dst);
	argv[n++] = "tar";
	argv[n++] = "--numeric-owner";
	argv[n++] = "-xp";
	if (compress)
		argv[n++] = (char *)compress;
	argv[n++] = "-f";
	argv[n++] = "-";
	/* Device nodes can't be made in a user namespace; the container gets a tmpfs /dev anyway.
	 */
	argv[n++] = "--exclude=./dev/*";
	argv[n++] = "--exclude=dev/*";
	argv[n] = NULL;
	r = userns_exec_at(&c->uid_map, &c->gid_map, 0, argv, in_fd, dst_fd);
	if (r != 0)
		return log_error_errno(r < 0 ? r : -EPROTO, "unpacking into %s failed%s", dst,
				       r > 0 ? " (see tar's message above)" : ": %m");
	return 0;
}

int rootfs_from_dir(const char *src, const char *dst, const struct container_config *c)
{
	char *const argv[] = { "tar", "--numeric-owner", "-cf", "-", "-C", (char *)src, ".", NULL };
	int p[2], status, r;
	pid_t pid;

	if (!g_file_test(src, G_FILE_TEST_IS_DIR))
		return log_error_errno(-ENOTDIR, "%s is not a directory", src);
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pid == 0) {
		/* Packs with our own permissions, which are the source's. */
		if (dup2(p[1], STDOUT_FILENO) < 0)
			_exit(127);
		exec_sealed(argv);
		_exit(127);
	}
	close(p[1]);
	r = unpack(p[0], dst, NULL, c);
	close(p[0]);
	if (wait_pid(pid, &status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		/* tar exits 1 when a file changed while it read it; anything else failed. */
		if (!(WIFEXITED(status) && WEXITSTATUS(status) == 1))
			return r < 0 ? r
				     : log_error_errno(
					       -EIO, "reading %s failed (see tar's message)", src);
	}
	return r;
}

static const char *compression_of(int fd)
{
	unsigned char magic[6] = { 0 };

	if (pread(fd, magic, sizeof(magic), 0) < 2)
		return NULL;
	if (magic[0] == 0x1f && magic[1] == 0x8b)
		return "-z";
	if (!memcmp(magic,
		    "\xfd"
		    "7zXZ",
		    5))
		return "-J";
	if (!memcmp(magic, "BZh", 3))
		return "-j";
	if (!memcmp(magic, "\x28\xb5\x2f\xfd", 4))
		return "--zstd";
	return NULL;
}

int rootfs_from_tar(const char *file, const char *dst, const struct container_config *c)
{
	g_autofd int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return log_error_errno(-errno, "cannot open %s: %m", file);
	return unpack(fd, dst, compression_of(fd), c);
}

/*
 * The rootfs is emptied by the container's root (find does not follow
 * symlinks, and as that root it could not harm the host's files if it did);
 * what is left, the caller's own files, by the caller.
 */
int rootfs_remove(const char *dir, const char *rootfs, const struct container_config *c)
{
	char *const find[] = { "find", ".", "-xdev", "-mindepth", "1", "-delete", NULL };
	char *const rm[] = { "rm", "-rf", "--one-file-system", (char *)dir, NULL };
	g_autofd int fd = -1;
	int r;

	if (rootfs)
		fd = open(rootfs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		r = userns_exec_at(&c->uid_map, &c->gid_map, 0, find, -1, fd);
		if (r != 0 && geteuid() != 0)
			return log_error_errno(r < 0 ? r : -EIO, "cannot empty %s", rootfs);
	}
	r = fork_exec_wait(rm, -1, NULL);
	if (r != 0)
		return log_error_errno(r < 0 ? r : -EIO, "cannot remove %s", dir);
	return 0;
}

/*
 * Ordinary users run debootstrap as root of a user namespace with its own
 * mounts and pids (it mounts /proc in the target), so files land with the
 * container's ids directly. container=lxc makes it skip its mknod test and
 * bind the /dev nodes it can't make. Its arch-test copies a helper with
 * "cp -p" of host-root ownership, which no user namespace of ours maps: the
 * target is this machine's own architecture, so a private /bin/true
 * answers for it.
 */
struct debootstrap_args {
	char *const *argv;
	const char *target, *mnt;
};

/*
 * Still with the caller's ids for the kernel's checks: the container's root
 * could not walk the caller's 0700 directories to the target, so the target
 * is bound, in the helper's own mount namespace, on an empty directory
 * anyone can reach.
 */
static int debootstrap_early(void *arg)
{
	const struct debootstrap_args *a = arg;

	(void)!mount("/bin/true", "/usr/bin/arch-test", NULL, MS_BIND, NULL);
	return mount(a->target, a->mnt, NULL, MS_BIND, NULL) < 0 ? errno : 0;
}

static int debootstrap_exec(void *arg)
{
	const struct debootstrap_args *a = arg;

	if (chdir("/") < 0)
		return 126;
	exec_sealed(a->argv);
	return 127;
}

static int debootstrap_userns(char *const argv[], const char *mnt, const char *target,
			      const struct container_config *c)
{
	g_autofd int fd = open(target, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct debootstrap_args a = { argv, target, mnt };
	int r;

	if (fd < 0)
		return -errno;
	r = userns_hand_over(&c->uid_map, &c->gid_map, fd);
	if (r < 0)
		return r;
	g_setenv("container", "lxc", TRUE);
	return userns_run_early(&c->uid_map, &c->gid_map, CLONE_NEWNS | CLONE_NEWPID,
				debootstrap_early, debootstrap_exec, &a);
}

static int debootstrap_into(const char *suite, const char *target, const struct container_config *c)
{
	const char *mirror = g_getenv("BURROW_MIRROR");
	/* It lives in /usr/sbin, which an ordinary user's PATH lacks. */
	g_autofree char *prog = g_find_program_in_path("debootstrap");
	g_autofree char *mnt = geteuid() == 0 ? NULL : g_dir_make_tmp("burrow-target-XXXXXX", NULL);
	char *const argv[] = { prog ? prog : "/usr/sbin/debootstrap",
			       "--variant=minbase",
			       "--include=systemd,systemd-sysv,dbus,procps",
			       (char *)suite,
			       (char *)(mnt ? mnt : target),
			       (char *)(mirror ? mirror : DEFAULT_MIRROR),
			       NULL };
	int r;

	if (access(argv[0], X_OK) < 0)
		return log_error_errno(-ENOENT, "debootstrap is missing: install it");
	if (geteuid() == 0) {
		int status;

		r = fork_exec_wait(argv, -1, &status);
		if (r == -EPROTO)
			r = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	} else if (!mnt || chmod(mnt, 0755) < 0)
		r = -errno;
	else
		r = debootstrap_userns(argv, mnt, target, c);
	if (mnt)
		rmdir(mnt);
	if (r < 0)
		return log_error_errno(r, "cannot run debootstrap: %m");
	if (r != 0)
		return log_error_errno(
			-EIO, "debootstrap %s failed with status %d (see its messages)", suite, r);
	return 0;
}

int rootfs_debootstrap(const char *suite, const char *dst, const struct container_config *c)
{
	g_autofree char *tmp = NULL;
	int r;

	if (geteuid() != 0)
		return debootstrap_into(suite, dst, c);
	/* As root, debootstrap makes host-root files: build aside, then shift them like a dir. */
	tmp = g_strconcat(dst, ".debootstrap", NULL);
	if (mkdir(tmp, 0755) < 0)
		return log_error_errno(-errno, "cannot create %s: %m", tmp);
	r = debootstrap_into(suite, tmp, c);
	if (r >= 0)
		r = rootfs_from_dir(tmp, dst, c);
	rootfs_remove(tmp, NULL, c);
	return r;
}

struct hostname_args {
	int root_fd;
	const char *text;
	size_t len;
};

/*
 * As the container's root, in the forked helper: syscalls only. A symlink,
 * absolute or full of "..", resolves inside the rootfs; one at etc/hostname
 * itself is replaced by a file, and the file is written only if regular.
 * Returns 0 or a positive errno as the helper's exit status.
 */
static int write_hostname(void *arg)
{
	const struct hostname_args *a = arg;
	const int fl = O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	struct stat st;
	int etc, fd;

	etc = open_in_root(a->root_fd, "etc", O_PATH | O_DIRECTORY);
	if (etc < 0)
		return etc == -ENOENT || etc == -ENOTDIR ? 0 : -etc;
	fd = openat(etc, "hostname", fl, 0644);
	if (fd < 0 && errno == ELOOP) {
		if (unlinkat(etc, "hostname", 0) < 0)
			return errno;
		fd = openat(etc, "hostname", fl | O_EXCL, 0644);
	}
	if (fd < 0)
		return errno;
	if (fstat(fd, &st) < 0)
		return errno;
	if (!S_ISREG(st.st_mode))
		return EINVAL;
	if (ftruncate(fd, 0) < 0)
		return errno;
	if (write(fd, a->text, a->len) != (ssize_t)a->len)
		return EIO;
	return close(fd) < 0 ? errno : 0;
}

int rootfs_set_hostname(const char *rootfs, const char *hostname, const struct container_config *c)
{
	g_autofree char *text = g_strconcat(hostname, "\n", NULL);
	g_autofd int fd = open(rootfs, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct hostname_args a = { fd, text, strlen(text) };
	int r;

	if (fd < 0)
		return log_error_errno(-errno, "cannot open %s: %m", rootfs);
	r = userns_run(&c->uid_map, &c->gid_map, 0, write_hostname, &a);
	if (r > 0)
		r = -r;
	if (r < 0)
		return log_error_errno(r, "cannot write /etc/hostname in %s: %m", rootfs);
	return 0;
}

int rootfs_check_init(const char *rootfs, const char *init)
{
	g_autofd int root = -1, fd = -1;
	struct stat st;

	root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return log_error_errno(-errno, "the rootfs %s is missing: %m", rootfs);
	fd = open_in_root(root, init, O_PATH);
	if (fd < 0)
		return log_error_errno(fd, "the rootfs %s has no %s (init): %m", rootfs, init);
	if (fstat(fd, &st) < 0)
		return log_error_errno(-errno, "cannot stat %s in %s: %m", init, rootfs);
	if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
		return log_error_errno(-ENOEXEC, "%s in the rootfs %s is not an executable file",
				       init, rootfs);
	return 0;
}
