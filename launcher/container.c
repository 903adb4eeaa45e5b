/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "caps.h"
#include "fileio.h"
#include "glib-macro.h"
#include "guest-stdio.h"
#include "idmap.h"
#include "launcher.h"
#include "seccomp-policy.h"

#define CHILD_STACK (256 * 1024)

/* The child's phases; a report names the phase, the step within it and errno. */
enum child_phase {
	PH_SYNC,
	PH_CTL,
	PH_IDS,
	PH_ROOTFS,
	PH_TREES,
	PH_UNSHARE,
	PH_NET,
	PH_HOSTNAME,
	PH_PRE,
	PH_CONSOLE,
	PH_POST,
	PH_STDIO,
	PH_CAPS,
	PH_SECCOMP,
	PH_FDS,
	PH_EXEC,
};

static const char *const phase_names[] = {
	[PH_SYNC] = "wait for the parent",
	[PH_CTL] = "receive the container's own burrowfs mounts",
	[PH_IDS] = "become root of the user namespace",
	[PH_ROOTFS] = "make the rootfs a mount point",
	[PH_TREES] = "clone a host directory for the container",
	[PH_UNSHARE] = "create the network and cgroup namespaces",
	[PH_NET] = "wait for the network",
	[PH_HOSTNAME] = "set the host name",
	[PH_PRE] = "set up the mounts",
	[PH_CONSOLE] = "set up /dev/console",
	[PH_POST] = "mask /proc and /sys",
	[PH_STDIO] = "give init its terminal and session",
	[PH_CAPS] = "drop capabilities",
	[PH_SECCOMP] = "load the seccomp filter",
	[PH_FDS] = "keep the caller's fds from init",
	[PH_EXEC] = "execute init",
};

struct report {
	int phase;
	int step;
	int err; /* positive errno */
};

struct child_args {
	struct launch *l;
	int sock;
};

static _Noreturn void fail(int sock, int phase, int step, int err)
{
	struct report rep = { phase, step, err < 0 ? -err : err };

	(void)!send(sock, &rep, sizeof(rep), MSG_NOSIGNAL);
	_exit(127);
}

/* A report of phase REP_NET_READY: the netns exists, attach the network and say go. */
#define REP_FD	      -1
#define REP_NET_READY -2

static int send_fd(int sock, int fd)
{
	struct report rep = { REP_FD, 0, 0 };

	return send_with_fd(sock, &rep, sizeof(rep), fd);
}

/* A pty of the container's own devpts becomes /dev/console; its master goes to the monitor. */
static int setup_console(int sock)
{
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	char path[64];
	unsigned int n;
	int master, unlock = 0, r;

	master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return -errno;
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &n) < 0) {
		r = -errno;
		close(master);
		return r;
	}
	ioctl(master, TIOCSWINSZ, &ws);
	snprintf(path, sizeof(path), "/dev/pts/%u", n);
	if (mount(path, "/dev/console", NULL, MS_BIND, NULL) < 0) {
		r = -errno;
		close(master);
		return r;
	}
	r = send_fd(sock, master);
	close(master);
	return r;
}

static int console_stdio(void)
{
	int fd = open("/dev/console", O_RDWR | O_NOCTTY);

	if (fd < 0)
		return -errno;
	if (setsid() < 0 || ioctl(fd, TIOCSCTTY, 0) < 0)
		return -errno;
	if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		return -errno;
	if (fd > 2)
		close(fd);
	return 0;
}

/* run: a pty of the guest's devpts for the caller's terminal, its master to the parent. */
static int run_stdio(int sock, unsigned mask)
{
	int master = -1, r;

	if (mask) {
		master = guest_pty_open(mask);
		if (master < 0)
			return master;
		r = send_fd(sock, master);
		if (r < 0) {
			close(master);
			return r;
		}
	}
	r = guest_stdio_take(mask, master);
	if (master >= 0)
		close(master);
	return r;
}

/*
 * Runs as the container's PID 1 until exec. No allocation, no stdio, no
 * glib: only syscalls on what the parent prepared.
 */
static int child_main(void *arg)
{
	struct child_args *a = arg;
	struct launch *l = a->l;
	int sock = a->sock, r;
	size_t step = 0;
	char go = 0;

	/* Always one message before "go" with per-container: the mounts, or none. */
	if (l->trees.ctl && (r = burrow_ctl_recv(sock, l->trees.ctl, NULL, 0)) < 0)
		fail(sock, PH_CTL, 0, r);
	if (read(sock, &go, 1) != 1 || go != 1)
		_exit(127);
	/*
	 * Still with the caller's fsuid: its home may be 0700, which the
	 * container's root could not walk through to reach the rootfs.
	 */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		fail(sock, PH_ROOTFS, 0, errno);
	if (mount(l->rootfs, l->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		fail(sock, PH_ROOTFS, 1, errno);
	if (chdir(l->rootfs) < 0)
		fail(sock, PH_ROOTFS, 2, errno);
	r = trees_open(&l->trees, &step);
	if (r < 0)
		fail(sock, PH_TREES, (int)step, r);
	/*
	 * Owned by the new userns, whose maps the parent wrote before "go"
	 * (a netns belongs to its creator's userns): the guest's root must
	 * own its netns, or the kernel refuses it a sysfs mount. Made while
	 * we still have the caller's ids and are dumpable: a tool the caller
	 * runs (pasta, burrow-net) may then open our /proc/PID/ns entries
	 * with the kernel's ptrace check, and burrow-net sees a process the
	 * caller owns. Becoming root of the userns would make us the
	 * container's subordinate uid, undumpable.
	 */
	if (l->net.mode != NET_HOST && unshare(CLONE_NEWNET) < 0)
		fail(sock, PH_UNSHARE, 0, errno);
	if (net_needs_attach(&l->net)) {
		struct report rep = { REP_NET_READY, 0, 0 };

		if (send(sock, &rep, sizeof(rep), MSG_NOSIGNAL) != sizeof(rep))
			fail(sock, PH_NET, 0, errno);
		/* The parent closes the socket instead when it cannot attach the network. */
		if (read(sock, &go, 1) != 1 || go != 2)
			_exit(127);
	}
	r = ns_become_root();
	if (r < 0)
		fail(sock, PH_IDS, 0, r);
	umask(022);
	/* Reset by the credential change above, so armed only now. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (l->cg && l->cgroup_ns && unshare(CLONE_NEWCGROUP) < 0)
		fail(sock, PH_UNSHARE, 1, errno);
	if (sethostname(l->hostname, strlen(l->hostname)) < 0)
		fail(sock, PH_HOSTNAME, 0, errno);
	r = plan_run(&l->pre, &l->trees, &step);
	if (r < 0)
		fail(sock, PH_PRE, (int)step, r);
	if (l->console && (r = setup_console(sock)) < 0)
		fail(sock, PH_CONSOLE, 0, r);
	r = plan_run(&l->post, &l->trees, &step);
	if (r < 0)
		fail(sock, PH_POST, (int)step, r);
	r = l->console ? console_stdio() : run_stdio(sock, l->tty_mask);
	if (r < 0)
		fail(sock, PH_STDIO, 0, r);
	r = caps_apply(l->caps_drop);
	if (r < 0)
		fail(sock, PH_CAPS, 0, r);
	r = l->agent.connected ? seccomp_install_notify(&l->seccomp, &l->agent)
			       : seccomp_install(&l->seccomp);
	if (r < 0)
		fail(sock, PH_SECCOMP, 0, r);
	r = fds_seal();
	if (r < 0)
		fail(sock, PH_FDS, 0, r);
	execve(l->argv[0], l->argv, l->envp);
	fail(sock, PH_EXEC, 0, errno);
}

static void log_report(const struct launch *l, const struct report *rep)
{
	g_autofree char *what = NULL;

	if (rep->phase == PH_PRE)
		what = plan_describe(&l->pre, (size_t)rep->step);
	else if (rep->phase == PH_POST)
		what = plan_describe(&l->post, (size_t)rep->step);
	else if (rep->phase == PH_TREES && (size_t)rep->step < l->trees.n)
		what = g_strdup_printf("clone %s for the container", l->trees.src[rep->step]);
	else if (rep->phase == PH_EXEC)
		what = g_strdup_printf("execute %s", l->argv[0]);
	else if (rep->phase >= 0 && (size_t)rep->phase < G_N_ELEMENTS(phase_names))
		what = g_strdup(phase_names[rep->phase]);
	else
		what = g_strdup("set up the container");
	log_error_errno(-rep->err, "container setup failed: cannot %s: %m", what);
}

static int recv_report(int sock, struct report *rep, int *ret_fd)
{
	ssize_t n = recv_with_fd(sock, rep, sizeof(*rep), ret_fd);

	if (n <= 0)
		return (int)n;
	return (size_t)n == sizeof(*rep) ? 1 : -EPROTO;
}

/*
 * burrowfs-mount=per-container (the default): ask burrowfs for the
 * container's own connection, naming it by init's pidfd, and relay the
 * mounts to the child, which places them once its /proc is mounted. Asked
 * here, in the caller's user namespace with the caller's ids, after the
 * cgroups are set: burrowfs lets the user that created the container's user
 * namespace ask, and takes the container's cgroups once. When burrowfs
 * refuses (past --max-containers, say), has no control socket or is too old
 * to have one, the child gets no mounts and binds the shared ones: one
 * warning, and the container starts.
 */
static int ctl_handoff(struct launch *l, pid_t pid, int sock)
{
	struct burrow_ctl_mounts m;
	g_autofd int pidfd = -1;
	char err[512];
	int r;

	burrow_ctl_mounts_init(&m);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		r = -errno;
		snprintf(err, sizeof(err), "cannot open the container's init: %s", g_strerror(-r));
	} else {
		/* cgroup=burrowfs: its cgroup tree too, placed over sys/fs/cgroup/NAME. */
		uint32_t flags = l->cg && !l->cgroup_ns ? BURROW_CTL_ATTACH_CGROUP : 0;

		r = burrow_ctl_attach_flags(l->ctl_socket, pidfd, flags, &m, err, sizeof(err));
		/* A burrowfs older than the flag: its files, and the shared mount's cgroup tree. */
		if (r == -EPROTO && flags)
			r = burrow_ctl_attach(l->ctl_socket, pidfd, &m, err, sizeof(err));
	}
	if (r < 0)
		log_info("warning: burrowfs-mount=per-container: %s; the container's /proc files "
			 "come from the shared mount at %s",
			 err, l->burrowfs);
	r = burrow_ctl_send(sock, &m);
	l->ctl_used = r >= 0 && m.n > 0;
	burrow_ctl_mounts_close(&m);
	if (r < 0)
		return log_error_errno(r, "cannot hand the container its burrowfs mounts: %m");
	return 0;
}

/* After the maps: the cgroups, then let the child go and collect its reports. */
static int parent_side(struct launch *l, pid_t pid, int sock, int *ret_console)
{
	g_autofd int console = -1;
	struct report rep;
	char go = 1;
	int r;

	r = idmap_write(pid, &l->config->uid_map, &l->config->gid_map);
	if (r >= 0 && l->cg) {
		/* Before the child changes uid: v1 only lets us move tasks of our own uid. */
		r = cg_attach(l->cg, pid);
		if (r >= 0)
			r = cg_delegate(l->cg, l->config);
	}
	if (r >= 0 && l->trees.ctl)
		r = ctl_handoff(l, pid, sock);
	if (r < 0)
		return r;
	/* The child may have failed before "go" (PH_CTL): its report follows, not SIGPIPE. */
	if (send(sock, &go, 1, MSG_NOSIGNAL) != 1 && errno != EPIPE)
		return log_error_errno(-errno, "cannot start the container's init: %m");
	for (;;) {
		int fd = -1;

		r = recv_report(sock, &rep, &fd);
		if (r < 0)
			return log_error_errno(r, "lost the container's init during setup: %m");
		if (r == 0)
			break;
		if (rep.phase == REP_NET_READY) {
			char net_go = 2;

			if (fd >= 0)
				close(fd);
			r = net_attach(&l->net, l->config, pid);
			if (r < 0)
				return r;
			if (write(sock, &net_go, 1) != 1)
				return log_error_errno(-errno, "cannot resume the container: %m");
			continue;
		}
		if (rep.phase == REP_FD && fd >= 0) {
			if (console >= 0)
				close(console);
			console = fd;
			continue;
		}
		log_report(l, &rep);
		l->exec_failed = rep.phase == PH_EXEC;
		return -rep.err;
	}
	if ((l->console || l->tty_mask) && console < 0)
		return log_error_errno(-EPROTO, "the container's console never arrived");
	if (ret_console)
		*ret_console = g_steal_fd(&console);
	return 0;
}

int launch_spawn(struct launch *l, pid_t *ret_pid, int *ret_console)
{
	const int flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC;
	struct child_args args = { l, -1 };
	int sv[2], r, status;
	void *stack;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return log_error_errno(-errno, "socketpair: %m");
	stack = mmap(NULL, CHILD_STACK, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED) {
		close(sv[0]);
		close(sv[1]);
		return log_error_errno(-errno, "cannot allocate the child's stack: %m");
	}
	args.sock = sv[1];
	pid = clone(child_main, (char *)stack + CHILD_STACK, flags | SIGCHLD, &args);
	r = pid < 0 ? -errno : 0;
	close(sv[1]);
	/* The child's copy alone must stay: the agent reads the message to its end. */
	seccomp_agent_close(&l->agent);
	if (r < 0) {
		close(sv[0]);
		munmap(stack, CHILD_STACK);
		return log_error_errno(r, "cannot create the container's namespaces: %m");
	}
	r = parent_side(l, pid, sv[0], ret_console);
	close(sv[0]);
	munmap(stack, CHILD_STACK);
	if (r < 0) {
		kill(pid, SIGKILL);
		wait_pid(pid, &status);
		return r;
	}
	*ret_pid = pid;
	return 0;
}

static char **build_env(const struct launch *l)
{
	GPtrArray *env = g_ptr_array_new();
	const char *term = getenv("TERM");

	g_ptr_array_add(env, g_strdup("container=burrow"));
	g_ptr_array_add(env, g_strdup_printf("container_uuid=%s", l->uuid));
	g_ptr_array_add(
		env, g_strdup("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
	if (l->console)
		g_ptr_array_add(env, g_strdup("TERM=vt220"));
	else {
		g_ptr_array_add(env, g_strdup_printf("TERM=%s", term ? term : "dumb"));
		g_ptr_array_add(env, g_strdup("HOME=/root"));
	}
	if (l->notify)
		g_ptr_array_add(env, g_strdup("NOTIFY_SOCKET=/run/host/notify"));
	for (char **e = l->config->environment; *e; e++)
		g_ptr_array_add(env, g_strdup(*e));
	g_ptr_array_add(env, NULL);
	return (char **)g_ptr_array_free(env, FALSE);
}

static char **build_argv(const struct launch *l)
{
	GPtrArray *argv = g_ptr_array_new();

	g_ptr_array_add(argv, g_strdup(l->config->init));
	for (char **a = l->config->command; *a; a++)
		g_ptr_array_add(argv, g_strdup(*a));
	g_ptr_array_add(argv, NULL);
	return (char **)g_ptr_array_free(argv, FALSE);
}

/*
 * While burrowfs restarts, its keeper holds the mount: this access() waits in
 * the kernel for the next daemon (up to its --restart-timeout), and the
 * container gets the files. Only a mountpoint with nothing behind it, or a
 * connection that ended (ENOTCONN), counts as no burrowfs.
 */
static int find_burrowfs(const struct container_config *c, char **ret)
{
	g_autofree char *probe = g_build_filename(c->burrowfs_path, "proc", "meminfo", NULL);
	int r;

	*ret = NULL;
	if (c->burrowfs == TRI_NO)
		return 0;
	if (access(probe, R_OK) == 0) {
		*ret = g_strdup(c->burrowfs_path);
		return 0;
	}
	r = -errno;
	if (c->burrowfs == TRI_AUTO) {
		log_debug("burrowfs is not usable at %s (%s): the container sees the host's /proc "
			  "files",
			  c->burrowfs_path, g_strerror(-r));
		return 0;
	}
	if (r == -ENOENT)
		return log_error_errno(r,
				       "burrowfs is not mounted at %s (burrowfs=yes): start it "
				       "with 'burrowfs %s', or set burrowfs=no",
				       c->burrowfs_path, c->burrowfs_path);
	return log_error_errno(r,
			       "burrowfs at %s is not usable (burrowfs=yes): %s reads fail: %m; "
			       "restart burrowfs, or set burrowfs=no",
			       c->burrowfs_path, probe);
}

/*
 * cgroup=: a cgroup namespace when the kernel has them, unless told
 * otherwise; burrowfs's cgroup tree needs burrowfs, and v1 hierarchies:
 * without a cgroup namespace a guest's systemd takes the legacy layout
 * (name=systemd), or the unified one only on a real cgroup2 filesystem,
 * which a FUSE tree is not.
 */
static int cgroup_mode(const struct container_config *c, const char *fs, const struct cg_set *cg,
		       bool *ret_burrowfs)
{
	bool burrowfs = c->cgroup == CGROUP_MODE_BURROWFS ||
			(c->cgroup == CGROUP_MODE_AUTO && access("/proc/self/ns/cgroup", F_OK) < 0);
	g_autofree char *tree = fs ? g_build_filename(fs, "cgroup", NULL) : NULL;

	if (burrowfs && cg_pure_v2(cg))
		return log_error_errno(
			-EOPNOTSUPP, "cgroup=burrowfs: this host has cgroup v2 only, and without a "
				     "cgroup namespace a guest's systemd needs a real cgroup2 "
				     "filesystem at /sys/fs/cgroup, which burrowfs's tree is not; "
				     "use cgroup=namespace");
	if (burrowfs && (!tree || access(tree, F_OK) < 0))
		return log_error_errno(-ENOENT,
				       "cgroup=burrowfs needs a burrowfs with a cgroup tree at %s "
				       "(and burrowfs=yes or auto)",
				       c->burrowfs_path);
	*ret_burrowfs = burrowfs;
	return 0;
}

int launch_prepare(struct launch *l)
{
	const struct container_config *c = l->config;
	struct mount_inputs in = {
		.config = c, .cg = l->cg, .console = l->console, .host_tree = -1
	};
	int r;

	r = find_burrowfs(c, &l->burrowfs);
	if (r >= 0)
		r = net_resolve(c, &l->net);
	if (r < 0)
		return r;
	if (l->host_dir)
		in.host_tree = trees_add(&l->trees, l->host_dir, false);
	in.bind_tree = (int)l->trees.n;
	for (size_t i = 0; i < c->n_binds; i++) {
		if (access(c->binds[i].source, F_OK) < 0)
			return log_error_errno(-errno, "bind: the source %s: %m",
					       c->binds[i].source);
		if (trees_add(&l->trees, c->binds[i].source, true) < 0)
			return log_error_errno(-E2BIG, "bind: too many bind mounts");
	}
	in.burrowfs = l->burrowfs;
	/* Placed beside the shared mount's other binds: without it, there is no burrowfs. */
	l->ctl_socket = NULL;
	if (c->burrowfs_mount == BURROWFS_MOUNT_PER_CONTAINER && l->burrowfs) {
		l->ctl_socket = burrow_ctl_socket_for(l->burrowfs, c->burrowfs_control);
		if (!l->ctl_socket)
			log_info(
				"warning: burrowfs-mount=per-container: no control socket is known "
				"for the burrowfs at %s (set burrowfs-control=, or "
				"burrowfs-mount=shared); the container's /proc files come from the "
				"shared mount",
				l->burrowfs);
	}
	if (l->ctl_socket) {
		burrow_ctl_mounts_init(&l->ctl);
		l->trees.ctl = &l->ctl;
		in.ctl = true;
	}
	r = cgroup_mode(c, l->burrowfs, l->cg, &in.cg_burrowfs);
	if (r < 0)
		return r;
	l->cgroup_ns = !in.cg_burrowfs;
	mounts_plan(&in, &l->pre, &l->post);
	seccomp_agent_find(c, l->burrowfs, l->hostname, &l->agent);
	r = seccomp_compile(c->seccomp, l->agent.connected, &l->seccomp);
	if (r < 0)
		return r;
	l->caps_drop = caps_drop_mask(c);
	l->argv = build_argv(l);
	l->envp = build_env(l);
	return 0;
}

void launch_done(struct launch *l)
{
	net_attach_done(&l->net);
	plan_done(&l->pre);
	plan_done(&l->post);
	seccomp_prog_free(&l->seccomp);
	seccomp_agent_close(&l->agent);
	g_strfreev(l->argv);
	g_strfreev(l->envp);
	g_free(l->burrowfs);
	trees_done(&l->trees);
	burrow_ctl_mounts_close(&l->ctl);
	l->trees.ctl = NULL;
	l->ctl_socket = NULL;
	l->argv = l->envp = NULL;
	l->burrowfs = NULL;
}
