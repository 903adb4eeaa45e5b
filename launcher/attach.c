/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "attach.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#include "caps.h"
#include "cgtree.h"
#include "glib-macro.h"
#include "guest-stdio.h"
#include "launcher.h"
#include "seccomp-policy.h"

/* User first: the others are owned by it, and joining them needs its capabilities. */
static const struct {
	const char *name;
	int flag;
} namespaces[] = {
	{ "user", CLONE_NEWUSER }, { "cgroup", CLONE_NEWCGROUP }, { "ipc", CLONE_NEWIPC },
	{ "uts", CLONE_NEWUTS },   { "net", CLONE_NEWNET },	  { "pid", CLONE_NEWPID },
	{ "mnt", CLONE_NEWNS },
};

#define N_NS (sizeof(namespaces) / sizeof(namespaces[0]))

struct attach_plan {
	int ns[N_NS];
	char **procs; /* the container's cgroup.procs files, host paths */
	struct sock_fprog seccomp;
	struct seccomp_agent agent;
	uint64_t caps_drop;
	char **argv, **envp;
	unsigned tty_mask; /* the caller's fds 0-2 that are terminals: put on a pty */
};

static bool same_ns(int fd, const char *name)
{
	char path[64];
	struct stat a, b;

	snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/*
 * v2: a cgroup that enables controllers for its children takes no process
 * (EBUSY), and a systemd guest does so in its root at once. The cgroup of the
 * container's init (init.scope under systemd) lies within the container's own
 * DIR and takes one: its host path, or NULL to use DIR.
 */
static char *v2_init_cgroup(pid_t init, const char *dir)
{
	g_autofree char *file = g_strdup_printf("/proc/%d/cgroup", (int)init);
	g_autofree char *text = NULL;
	char rel[BURROW_CGTREE_PATH_MAX];

	if (!g_file_get_contents(file, &text, NULL, NULL) ||
	    burrow_cgtree_proc_path(text, "", true, rel, sizeof(rel)) < 0)
		return NULL;
	/* DIR is the hierarchy's mount and then a path that init's (rel) begins with. */
	for (const char *p = dir; p; p = strchr(p + 1, '/')) {
		size_t n = strlen(p + 1);

		if (strncmp(rel, p + 1, n) == 0 && (rel[n] == '\0' || rel[n] == '/'))
			return g_strdup_printf("%.*s/%s", (int)(p - dir), dir, rel);
	}
	return NULL;
}

static int plan_open(const struct ct_status *st, const struct container_config *c, char **argv,
		     struct attach_plan *p)
{
	GPtrArray *procs = g_ptr_array_new();
	int r;

	p->agent = (struct seccomp_agent){ .fd = -1 };
	for (size_t i = 0; i < N_NS; i++) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)st->init, namespaces[i].name);
		p->ns[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (p->ns[i] < 0) {
			g_ptr_array_free(procs, TRUE);
			return log_error_errno(-errno, "cannot open %s: %m", path);
		}
		/*
		 * A namespace the container shares with us (the cgroup one with
		 * cgroup=burrowfs) is not joined: from inside its user namespace,
		 * setns() to a namespace of the host's is EPERM.
		 */
		if (i > 0 && same_ns(p->ns[i], namespaces[i].name)) {
			close(p->ns[i]);
			p->ns[i] = -1;
		}
	}
	for (char **g = st->cgroups; g && *g; g++) {
		const char *eq = strstr(*g, "=/");
		g_autofree char *dir = NULL;

		if (!eq)
			continue;
		if (g_str_has_prefix(*g, "unified="))
			dir = v2_init_cgroup(st->init, eq + 1);
		g_ptr_array_add(procs, g_build_filename(dir ? dir : eq + 1, "cgroup.procs", NULL));
	}
	g_ptr_array_add(procs, NULL);
	p->procs = (char **)g_ptr_array_free(procs, FALSE);
	/* The command's own filter, so its own listener: init's does not cover it. */
	g_autofree char *meminfo = g_build_filename(c->burrowfs_path, "proc", "meminfo", NULL);
	seccomp_agent_find(
		c, c->burrowfs != TRI_NO && access(meminfo, R_OK) == 0 ? c->burrowfs_path : NULL,
		"attach", &p->agent);
	r = seccomp_compile(c->seccomp, p->agent.connected, &p->seccomp);
	if (r < 0)
		return r;
	p->caps_drop = caps_drop_mask(c);
	p->argv = g_strdupv(argv);
	p->tty_mask = guest_tty_mask();
	GPtrArray *env = g_ptr_array_new();
	const char *term = getenv("TERM");

	g_ptr_array_add(env, g_strdup("container=burrow"));
	g_ptr_array_add(env, g_strdup_printf("container_uuid=%s", st->uuid));
	g_ptr_array_add(
		env, g_strdup("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
	g_ptr_array_add(env, g_strdup("HOME=/root"));
	g_ptr_array_add(env, g_strdup("USER=root"));
	g_ptr_array_add(env, g_strdup("LOGNAME=root"));
	g_ptr_array_add(env, g_strdup_printf("TERM=%s", term ? term : "dumb"));
	for (char **e = c->environment; *e; e++)
		g_ptr_array_add(env, g_strdup(*e));
	g_ptr_array_add(env, NULL);
	p->envp = (char **)g_ptr_array_free(env, FALSE);
	return 0;
}

static void plan_close(struct attach_plan *p)
{
	for (size_t i = 0; i < N_NS; i++)
		if (p->ns[i] >= 0)
			close(p->ns[i]);
	g_strfreev(p->procs);
	seccomp_prog_free(&p->seccomp);
	seccomp_agent_close(&p->agent);
	g_strfreev(p->argv);
	g_strfreev(p->envp);
}

static int join_cgroups(char **procs)
{
	for (char **f = procs; *f; f++) {
		int fd = open(*f, O_WRONLY | O_CLOEXEC);

		/* "0" is the writer itself, in v1 and v2. */
		if (fd < 0 || write(fd, "0", 1) != 1) {
			int r = -errno;

			if (fd >= 0)
				close(fd);
			return r;
		}
		close(fd);
	}
	return 0;
}

static int exit_code(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The pty master from enter(), or -1 when it failed before making one. */
static int recv_master(int sock)
{
	char byte;
	int fd = -1;

	return recv_with_fd(sock, &byte, 1, &fd) > 0 ? fd : -1;
}

/* The grandchild: inside the pid namespace, already the container's root, about to exec. */
static _Noreturn void exec_inside(struct attach_plan *p, int master)
{
	int r;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	r = guest_stdio_take(p->tty_mask, master);
	if (r < 0) {
		fprintf(stderr, "burrow: attach: cannot give the command its terminal: %s\n",
			strerror(-r));
		_exit(126);
	}
	if (chdir("/root") < 0 && chdir("/") < 0)
		_exit(126);
	if (caps_apply(p->caps_drop) < 0 ||
	    (p->agent.connected ? seccomp_install_notify(&p->seccomp, &p->agent)
				: seccomp_install(&p->seccomp)) < 0 ||
	    fds_seal() < 0) {
		perror("burrow: attach: cannot restrict the command");
		_exit(126);
	}
	/* execvpe() would search the caller's PATH, not the container's. */
	environ = p->envp;
	execvp(p->argv[0], p->argv);
	fprintf(stderr, "burrow: attach: cannot execute %s: %m\n", p->argv[0]);
	_exit(127);
}

static _Noreturn void die(const char *what)
{
	fprintf(stderr, "burrow: attach: cannot %s: %m\n", what);
	_exit(126);
}

/*
 * The child: joins the container and forks the command into its pid
 * namespace. Once in the container's user namespace, guest root holds
 * CAP_SYS_PTRACE over any process whose credentials belong to it, and a
 * dumpable one it may ptrace (and read its /proc/PID/fd), taking the
 * caller's terminal, fds and the capabilities not dropped yet. So: not
 * dumpable before the first setns (the mm stays the host's, whose user
 * namespace guest root has no capability in), and the container's root
 * before the fork into the pid namespace, where guest root could name the
 * process; the command regains dumpability only with its exec.
 */
static _Noreturn void enter(struct attach_plan *p, int sock)
{
	int status, master = -1;
	pid_t pid;

	if (prctl(PR_SET_DUMPABLE, 0) < 0)
		die("make the attaching process non-dumpable");
	if (setns(p->ns[0], CLONE_NEWUSER) < 0 && errno != EINVAL)
		die("join the user namespace");
	/* With the userns's capabilities the container root's cgroup files open for us. */
	if (join_cgroups(p->procs) < 0)
		die("join the container's cgroups");
	if (ns_become_root() < 0)
		die("become the container's root");
	for (size_t i = 1; i < N_NS; i++)
		if (p->ns[i] >= 0 && setns(p->ns[i], namespaces[i].flag) < 0) {
			fprintf(stderr, "burrow: attach: cannot join the %s namespace: %m\n",
				namespaces[i].name);
			_exit(126);
		}
	if (p->tty_mask) {
		master = guest_pty_open(p->tty_mask);
		errno = master < 0 ? -master : -send_with_fd(sock, "", 1, master);
		if (errno > 0)
			die("open a pty in the container");
	}
	close(sock);
	pid = fork();
	if (pid < 0)
		_exit(126);
	if (pid == 0)
		exec_inside(p, master);
	/* Only the caller's relay holds it now: its close hangs the command up. */
	if (master >= 0)
		close(master);
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			_exit(126);
	_exit(exit_code(status));
}

int attach_run(const struct ct_status *st, const struct container_config *c, char **argv)
{
	struct attach_plan p;
	int status, sv[2], r;
	pid_t pid;

	p = (struct attach_plan){ .ns = { -1, -1, -1, -1, -1, -1, -1 } };
	r = plan_open(st, c, argv, &p);
	if (r < 0) {
		plan_close(&p);
		return r;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		plan_close(&p);
		return log_error_errno(-errno, "socketpair: %m");
	}
	pid = fork();
	if (pid < 0) {
		plan_close(&p);
		close(sv[0]);
		close(sv[1]);
		return log_error_errno(-errno, "fork: %m");
	}
	if (pid == 0) {
		close(sv[0]);
		enter(&p, sv[1]);
	}
	close(sv[1]);
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	if (p.tty_mask) {
		g_autofd int master = recv_master(sv[0]), pidfd = guest_pidfd(pid);

		if (master >= 0)
			guest_pty_relay(master, p.tty_mask, pidfd);
	}
	close(sv[0]);
	plan_close(&p);
	r = wait_pid(pid, &status);
	if (r < 0)
		return r;
	return exit_code(status);
}
