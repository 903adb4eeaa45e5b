/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "glib-macro.h"
#include "launcher.h"
#include "net.h"

/* Time pasta may take to open the tap and configure the namespace. */
#define READY_TIMEOUT_MS 10000
/* The fd the tool gets its readiness pipe on. */
#define READY_FD	 3

static void add(GPtrArray *a, const char *s)
{
	g_ptr_array_add(a, g_strdup(s));
}

/*
 * One of pasta's -t/-u/-T/-U specs: the forwards of one protocol, as
 * LISTEN:TARGET ports, or "none". network-forward listens on the host,
 * network-to-host in the guest.
 */
static char *port_spec(const struct net_forward *f, size_t n, bool udp, bool to_host)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < n; i++)
		if (f[i].udp == udp)
			g_string_append_printf(s, "%s%u:%u", s->len ? "," : "",
					       to_host ? f[i].guest_port : f[i].host_port,
					       to_host ? f[i].host_port : f[i].guest_port);
	if (!s->len)
		g_string_append(s, "none");
	return g_string_free(s, FALSE);
}

/*
 * pasta -f stays our child with its pid (no detached pid namespace), and
 * writes its pid to -P once the namespace is configured: the pipe is the
 * readiness signal. Only network-forward (-t/-u) and network-to-host
 * (-T/-U, pasta's splice between the two loopbacks) are forwarded: pasta's
 * default "auto" would publish every port the guest listens on, and let the
 * guest reach every port bound on the host's loopback. --no-map-gw unless
 * network-host-loopback=yes: the gateway's address would lead to the host's
 * loopback.
 */
static char **pasta_argv(const struct net_attach *n, const struct container_config *c, pid_t pid)
{
	GPtrArray *a = g_ptr_array_new();

	add(a, n->tool);
	/*
	 * Run as root, pasta switches to nobody before joining the namespaces,
	 * and nobody may not join a userns that root owns. It still sandboxes
	 * itself (a user namespace of its own, no capabilities) once attached.
	 */
	if (geteuid() == 0) {
		add(a, "--runas");
		add(a, "0:0");
	}
	add(a, "-f");
	add(a, "-q");
	add(a, "--config-net");
	add(a, "-I");
	add(a, "eth0");
	add(a, "-P");
	g_ptr_array_add(a, g_strdup_printf("/proc/self/fd/%d", READY_FD));
	if (!c->net_host_loopback)
		add(a, "--no-map-gw");
	add(a, "-t");
	g_ptr_array_add(a, port_spec(c->forwards, c->n_forwards, false, false));
	add(a, "-u");
	g_ptr_array_add(a, port_spec(c->forwards, c->n_forwards, true, false));
	add(a, "-T");
	g_ptr_array_add(a, port_spec(c->to_host, c->n_to_host, false, true));
	add(a, "-U");
	g_ptr_array_add(a, port_spec(c->to_host, c->n_to_host, true, true));
	g_ptr_array_add(a, g_strdup_printf("%d", (int)pid));
	g_ptr_array_add(a, NULL);
	return (char **)g_ptr_array_free(a, FALSE);
}

/*
 * slirp4netns joins the container's user namespace, then its network
 * namespace, as the caller; --ready-fd writes "1" once eth0 is configured.
 */
static char **slirp_argv(const struct net_attach *n, const struct container_config *c, pid_t pid)
{
	GPtrArray *a = g_ptr_array_new();

	add(a, n->tool);
	add(a, "--configure");
	if (!c->net_host_loopback)
		add(a, "--disable-host-loopback");
	add(a, "--mtu=65520");
	g_ptr_array_add(a, g_strdup_printf("--ready-fd=%d", READY_FD));
	g_ptr_array_add(a, g_strdup_printf("--userns-path=/proc/%d/ns/user", (int)pid));
	add(a, "--netns-type=path");
	g_ptr_array_add(a, g_strdup_printf("/proc/%d/ns/net", (int)pid));
	add(a, "eth0");
	g_ptr_array_add(a, NULL);
	return (char **)g_ptr_array_free(a, FALSE);
}

/* Our pid still the parent's: else the monitor died before the prctl and took the guest along. */
static _Noreturn void tool_child(char **argv, int ready, int log, pid_t parent)
{
	sigset_t none;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	/* A kill -9 of the monitor takes the guest (its init has the same) and the tool along. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0 ||
	    dup2(log, STDERR_FILENO) < 0 || dup2(ready, READY_FD) < 0)
		_exit(127);
	/* dup2 leaves the copy without close-on-exec; fds_seal() skips only 0-2. */
	if (fds_seal() < 0 || fcntl(READY_FD, F_SETFD, 0) < 0)
		_exit(127);
	execv(argv[0], argv);
	_exit(127);
}

/*
 * What the tool said while it started (warnings about a missing syslog or
 * IPv6 route on every run otherwise): shown only when it failed.
 */
static void show_log(int log, bool failed)
{
	char buf[2048];
	ssize_t k = pread(log, buf, sizeof(buf) - 1, 0);

	if (k <= 0)
		return;
	buf[k] = '\0';
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (failed)
			log_error("%s", line);
		else
			log_debug("%s", line);
}

/* Waits for the tool's first byte on the pipe; EOF or the timeout mean it failed. */
static int wait_ready(int rd, const char *tool)
{
	struct pollfd p = { rd, POLLIN, 0 };
	char c;
	int k;

	do
		k = poll(&p, 1, READY_TIMEOUT_MS);
	while (k < 0 && errno == EINTR);
	if (k == 0)
		return log_error_errno(-ETIMEDOUT,
				       "%s did not set up the container's network "
				       "within %d s",
				       tool, READY_TIMEOUT_MS / 1000);
	if (k < 0 || read(rd, &c, 1) != 1)
		return log_error_errno(-EPROTO, "%s could not set up the container's network",
				       tool);
	return 0;
}

int net_pasta_start(struct net_attach *n, const struct container_config *c, pid_t pid)
{
	g_auto(GStrv) argv = n->slirp ? slirp_argv(n, c, pid) : pasta_argv(n, c, pid);
	g_autofd int rd = -1, log = memfd_create("burrow-net-log", MFD_CLOEXEC);
	pid_t self = getpid(), child;
	int p[2], r;

	if (log < 0 || pipe2(p, O_CLOEXEC) < 0)
		return log_error_errno(-errno, "pipe: %m");
	child = fork();
	if (child == 0)
		tool_child(argv, p[1], log, self);
	r = child < 0 ? -errno : 0;
	close(p[1]);
	rd = p[0];
	if (r < 0)
		return log_error_errno(r, "cannot start %s: %m", n->tool);
	n->helper = child;
	n->helper_pidfd = (int)syscall(SYS_pidfd_open, child, 0);
	if (n->helper_pidfd < 0) {
		r = -errno;
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		n->helper = 0;
		return log_error_errno(r, "pidfd_open: %m");
	}
	r = wait_ready(rd, n->tool);
	show_log(log, r < 0);
	/* Hosts without udev (a bare VM, a container) may leave it 0600. */
	if (r < 0 && access("/dev/net/tun", R_OK | W_OK) < 0)
		log_error("/dev/net/tun is not readable and writable for you: pasta and "
			  "slirp4netns need it (udev makes it mode 0666)");
	if (r < 0)
		net_detach(n);
	else
		log_debug("%s %d serves the container's network", n->tool, (int)child);
	return r;
}
