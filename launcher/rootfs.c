/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "glib-macro.h"
#include "idmap.h"
#include "launcher.h"

#define DEFAULT_MIRROR "http://deb.debian.org/debian"

static int unpack(int in_fd, const char *dst, const char *compress,
		  const struct container_config *c)
{
	char *const chown_root[] = { "chown", "0:0", (char *)dst, NULL };
	char *argv[16];
	size_t n = 0;
	int r;

	argv[n++] = "tar";
	argv[n++] = "--numeric-owner";
	argv[n++] = "-xp";
	if (compress)
		argv[n++] = (char *)compress;
	argv[n++] = "-f";
	argv[n++] = "-";
	argv[n++] = "-C";
	argv[n++] = (char *)dst;
	/* Device nodes can't be made in a user namespace; the container gets a tmpfs /dev anyway.
	 */
	argv[n++] = "--exclude=./dev/*";
	argv[n++] = "--exclude=dev/*";
	argv[n] = NULL;
	r = userns_exec(&c->uid_map, &c->gid_map, 0, argv, in_fd);
	if (r != 0)
		return log_error_errno(r < 0 ? r : -EPROTO, "unpacking into %s failed%s", dst,
				       r > 0 ? " (see tar's message above)" : ": %m");
	/* An archive without a "./" entry leaves the top directory ours: hand it over too. */
	r = userns_exec(&c->uid_map, &c->gid_map, 0, chown_root, -1);
	if (r != 0)
		return log_error_errno(r < 0 ? r : -EPROTO, "cannot hand %s to the container", dst);
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
		execvp(argv[0], argv);
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
	_cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return log_error_errno(-errno, "cannot open %s: %m", file);
	return unpack(fd, dst, compression_of(fd), c);
}

int rootfs_remove(const char *path, const struct container_config *c)
{
	char *const argv[] = { "rm", "-rf", "--one-file-system", (char *)path, NULL };
	int r;

	if (geteuid() == 0)
		r = fork_exec_wait(argv, -1, NULL);
	else
		r = userns_exec(&c->uid_map, &c->gid_map, 0, argv, -1);
	if (r != 0)
		return log_error_errno(r < 0 ? r : -EIO, "cannot remove %s", path);
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
static int debootstrap_userns(char *const argv[], const struct container_config *c)
{
	g_autoptr(GPtrArray) sh = g_ptr_array_new();

	g_ptr_array_add(sh, "sh");
	g_ptr_array_add(sh, "-c");
	g_ptr_array_add(sh, "mount --bind /bin/true /usr/bin/arch-test 2>/dev/null; exec \"$@\"");
	g_ptr_array_add(sh, "sh");
	for (char *const *a = argv; *a; a++)
		g_ptr_array_add(sh, *a);
	g_ptr_array_add(sh, NULL);
	g_setenv("container", "lxc", TRUE);
	return userns_exec(&c->uid_map, &c->gid_map, CLONE_NEWNS | CLONE_NEWPID,
			   (char *const *)sh->pdata, -1);
}

static int debootstrap_into(const char *suite, const char *target, const struct container_config *c)
{
	const char *mirror = g_getenv("BURROW_MIRROR");
	/* It lives in /usr/sbin, which an ordinary user's PATH lacks. */
	g_autofree char *prog = g_find_program_in_path("debootstrap");
	char *const argv[] = { prog ? prog : "/usr/sbin/debootstrap",
			       "--variant=minbase",
			       "--include=systemd,systemd-sysv,dbus,procps",
			       (char *)suite,
			       (char *)target,
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
	} else
		r = debootstrap_userns(argv, c);
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
	rootfs_remove(tmp, c);
	return r;
}

int rootfs_set_hostname(const char *rootfs, const char *hostname, const struct container_config *c)
{
	g_autofree char *etc = g_build_filename(rootfs, "etc", NULL);
	/* As the container's root, so the file gets its ids and a symlink can't point out. */
	char *const argv[] = {
		"sh",
		"-c",
		"[ -d \"$1\" ] && [ ! -L \"$1/hostname\" ] && printf '%s\\n' \"$2\" > "
		"\"$1/hostname\"",
		"sh",
		etc,
		(char *)hostname,
		NULL
	};
	int r;

	if (!g_file_test(etc, G_FILE_TEST_IS_DIR))
		return 0;
	r = userns_exec(&c->uid_map, &c->gid_map, 0, argv, -1);
	if (r != 0)
		return log_error_errno(r < 0 ? r : -EIO, "cannot write %s/hostname", etc);
	return 0;
}
