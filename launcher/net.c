/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "glib-macro.h"
#include "launcher.h"

const char *net_helper_path(void)
{
	/* burrow is not setuid: the variable only chooses what the caller runs as itself. */
	const char *env = getenv("BURROW_NET");

	return env && *env ? env : BURROW_NET_PATH;
}

void net_attach_init(struct net_attach *n)
{
	*n = (struct net_attach){ .mode = NET_NONE, .helper_pidfd = -1 };
}

int net_run_tool(char *const argv[], char *out, size_t out_size, bool quiet)
{
	g_autofd int rd = -1;
	int p[2], status, r;
	size_t len = 0;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(p[0]);
		close(p[1]);
		return r;
	}
	if (pid == 0) {
		sigset_t none;
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(p[1], STDOUT_FILENO) < 0 ||
		    (quiet && dup2(p[1], STDERR_FILENO) < 0))
			_exit(127);
		exec_sealed(argv);
		_exit(127);
	}
	close(p[1]);
	rd = p[0];
	for (;;) {
		char buf[256];
		ssize_t k = read(rd, buf, sizeof(buf));

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		for (ssize_t i = 0; out && i < k && len + 1 < out_size; i++)
			out[len++] = buf[i];
	}
	if (out && out_size)
		out[len] = '\0';
	r = wait_pid(pid, &status);
	if (r < 0)
		return r;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* pasta, else slirp4netns: the tool for network=pasta; NULL when neither is installed. */
static char *find_userspace_stack(bool *ret_slirp)
{
	char *p = g_find_program_in_path("pasta");

	*ret_slirp = false;
	if (p)
		return p;
	p = g_find_program_in_path("slirp4netns");
	*ret_slirp = p != NULL;
	return p;
}

static int resolve_auto(const struct container_config *c, struct net_attach *n)
{
	char why[256] = "";
	int r;

	r = net_veth_quota(c->net_bridge, why, sizeof(why));
	if (r == 0) {
		n->mode = NET_VETH;
		n->tool = g_strdup(net_helper_path());
		return 0;
	}
	n->tool = find_userspace_stack(&n->slirp);
	/* Hosts without udev may leave it 0600: then pasta would only fail. */
	if (n->tool && access("/dev/net/tun", R_OK | W_OK) == 0) {
		log_debug("network=auto: %s: using %s", why, n->tool);
		if (n->slirp && (c->n_forwards || c->n_to_host))
			log_info("network=auto: pasta is not installed, and slirp4netns forwards "
				 "no port: network-forward and network-to-host are ignored");
		n->mode = NET_PASTA;
		return 0;
	}
	if (n->tool)
		log_info("network=auto: no veth (%s), and /dev/net/tun, which %s needs, is not "
			 "readable and writable for you: the container gets loopback only",
			 why, n->tool);
	else
		log_info("network=auto: no veth (%s) and neither pasta nor slirp4netns is "
			 "installed: the container gets loopback only",
			 why);
	g_clear_pointer(&n->tool, g_free);
	n->mode = NET_NONE;
	return 0;
}

int net_resolve(const struct container_config *c, struct net_attach *ret)
{
	net_attach_init(ret);
	switch (c->network) {
	case NET_AUTO:
		return resolve_auto(c, ret);
	case NET_PASTA:
		ret->tool = find_userspace_stack(&ret->slirp);
		if (!ret->tool)
			return log_error_errno(-ENOENT, "network=pasta: neither pasta (package "
							"passt) nor slirp4netns is installed");
		break;
	case NET_VETH:
		ret->tool = g_strdup(net_helper_path());
		if (access(ret->tool, X_OK) < 0)
			return log_error_errno(-errno, "network=veth: cannot run %s: %m",
					       ret->tool);
		break;
	case NET_NONE:
	case NET_HOST:
	default:
		break;
	}
	ret->mode = c->network;
	if (ret->mode == NET_PASTA && ret->slirp && (c->n_forwards || c->n_to_host))
		return log_error_errno(-EOPNOTSUPP,
				       "%s: pasta (package passt) is not installed, "
				       "and burrow forwards ports only through pasta",
				       c->n_forwards ? "network-forward" : "network-to-host");
	return 0;
}

bool net_needs_attach(const struct net_attach *n)
{
	return n->mode == NET_VETH || n->mode == NET_PASTA;
}

int net_attach(struct net_attach *n, const struct container_config *c, pid_t pid)
{
	int r = 0;

	if (n->mode == NET_VETH)
		r = net_veth_add(n, c, pid);
	else if (n->mode == NET_PASTA)
		r = net_pasta_start(n, c, pid);
	if (r >= 0 || c->network != NET_AUTO)
		return r;
	/* auto promises a container, with the best network there is: at worst loopback. */
	log_info("network=auto: %s failed (said above): the container gets loopback only", n->tool);
	n->mode = NET_NONE;
	return 0;
}

/*
 * A veth pair goes when the kernel cleans up the dead netns, from a work
 * queue: a reboot that asked burrow-net at once could find its quota still
 * used by the old pair. Up to 2 s.
 */
static void wait_host_end_gone(struct net_attach *n)
{
	struct backoff b = { 5, 100, 2000 };

	if (!n->host_if[0])
		return;
	/* Asked of our netns (sysfs shows the one it was mounted in). */
	while (if_nametoindex(n->host_if) != 0 && backoff_sleep(&b))
		;
	n->host_if[0] = '\0';
}

/* SIGTERM, then SIGKILL if it has not gone within a second; reaped unless the monitor did. */
void net_detach(struct net_attach *n)
{
	struct pollfd p = { n->helper_pidfd, POLLIN, 0 };

	wait_host_end_gone(n);
	if (n->helper <= 0)
		return;
	/* Through the pidfd: the monitor may have reaped it already, and its pid been reused. */
	if (syscall(SYS_pidfd_send_signal, n->helper_pidfd, SIGTERM, NULL, 0) == 0 &&
	    poll(&p, 1, 1000) == 0)
		syscall(SYS_pidfd_send_signal, n->helper_pidfd, SIGKILL, NULL, 0);
	poll(&p, 1, 1000);
	waitid(P_PIDFD, (id_t)n->helper_pidfd, &(siginfo_t){ 0 }, WEXITED | WNOHANG);
	close(n->helper_pidfd);
	n->helper_pidfd = -1;
	n->helper = 0;
}

void net_attach_done(struct net_attach *n)
{
	net_detach(n);
	g_free(n->tool);
	n->tool = NULL;
}
