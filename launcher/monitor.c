/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cgroups.h"
#include "conf.h"
#include "container.h"
#include "glib-macro.h"
#include "idmap.h"
#include "launcher.h"
#include "rootfs.h"

#define MAX_CLIENTS	32
#define CONSOLE_LOG_MAX (1u << 20)

struct monitor {
	struct ct *ct;
	const struct container_config *config; /* the caller's, loaded once by start */
	struct cg_set cg;
	struct launch launch;
	struct ct_status st;
	bool foreground, wait_ready, stopping;
	int status_fd;
	pid_t init;
	int console, console_client, log_fd;
	int dir_fd, ctl, notify, sig, timer;
	int clients[MAX_CLIENTS];
	size_t n_clients;
	struct termios saved_tty;
	bool tty_raw;
};

static void report_status(struct monitor *m, char byte)
{
	if (m->status_fd < 0)
		return;
	(void)!write(m->status_fd, &byte, 1);
	close(m->status_fd);
	m->status_fd = -1;
}

static void save_state(struct monitor *m)
{
	int r = status_write(m->ct, &m->st);

	if (r < 0)
		log_error_errno(r, "cannot write %s: %m", m->ct->state);
}

/* /run/host inside: os-release, container-manager and the notify socket. */
static int prepare_host_dir(struct monitor *m)
{
	g_autofree char *osr = NULL;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int r;

	if (mkdir(m->ct->host, 0755) < 0 && errno != EEXIST)
		return log_error_errno(-errno, "cannot create %s: %m", m->ct->host);
	chmod(m->ct->host, 0755);
	if (read_text("/etc/os-release", &osr) < 0 && read_text("/usr/lib/os-release", &osr) < 0)
		osr = strdup("");
	r = write_file_at(m->dir_fd, "host/os-release", osr ? osr : "", 0644);
	if (r >= 0)
		r = write_file_at(m->dir_fd, "host/container-manager", "burrow\n", 0644);
	if (r < 0)
		return log_error_errno(r, "cannot fill %s: %m", m->ct->host);
	m->notify = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (m->notify < 0)
		return log_error_errno(-errno, "socket: %m");
	/* Relative to the container's directory: sun_path is short and $HOME may be long. */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "host/notify");
	unlinkat(m->dir_fd, "host/notify", 0);
	if (bind(m->notify, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return log_error_errno(-errno, "cannot bind %s/notify: %m", m->ct->host);
	/* The guest's init runs as the container's root, not as us. */
	fchmodat(m->dir_fd, "host/notify", 0666, 0);
	return 0;
}

static int prepare_ctl(struct monitor *m)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	m->ctl = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (m->ctl < 0)
		return log_error_errno(-errno, "socket: %m");
	snprintf(sa.sun_path, sizeof(sa.sun_path), "ctl");
	unlinkat(m->dir_fd, "ctl", 0);
	if (bind(m->ctl, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(m->ctl, 8) < 0)
		return log_error_errno(-errno, "cannot listen on %s: %m", m->ct->ctl);
	fchmodat(m->dir_fd, "ctl", 0600, 0);
	return 0;
}

static void teardown(struct monitor *m)
{
	if (m->console >= 0)
		close(m->console);
	m->console = -1;
	if (m->cg.n)
		cg_destroy(&m->cg, m->config);
	cg_set_done(&m->cg);
	launch_done(&m->launch);
	g_strfreev(m->st.cgroups);
	m->st.cgroups = NULL;
	m->init = 0;
	log_debug("container cleaned up");
}

static int boot(struct monitor *m)
{
	char map[512];
	int r;

	r = rootfs_check_init(m->ct->rootfs, m->config->init);
	if (r < 0)
		return r;
	r = cg_discover(m->ct->name, m->config, &m->cg);
	if (r >= 0)
		r = cg_create(&m->cg, m->config);
	if (r < 0) {
		cg_set_done(&m->cg);
		return r;
	}
	g_strlcpy(m->st.uuid, g_uuid_string_random(), sizeof(m->st.uuid));
	m->launch = (struct launch){
		.config = m->config,
		.rootfs = m->ct->rootfs,
		.hostname = m->config->hostname ? m->config->hostname : m->ct->name,
		.uuid = m->st.uuid,
		.cg = &m->cg,
		.host_dir = m->ct->host,
		.console = true,
		.notify = true,
	};
	r = launch_prepare(&m->launch);
	if (r >= 0)
		r = launch_spawn(&m->launch, &m->init, &m->console);
	if (r < 0) {
		teardown(m);
		return r;
	}
	fcntl(m->console, F_SETFL, fcntl(m->console, F_GETFL) | O_NONBLOCK);
	m->st.state = CT_RUNNING;
	m->st.ready = false;
	m->st.init = m->init;
	pid_starttime(m->init, &m->st.init_start);
	m->st.started_usec = now_usec(CLOCK_REALTIME);
	m->st.boots++;
	m->st.burrowfs_bound = m->launch.burrowfs != NULL;
	m->st.burrowfs_own = m->launch.ctl_used;
	m->st.cgroups = cg_strv(&m->cg);
	idmap_format(&m->config->uid_map, map, sizeof(map));
	g_free(m->st.uid_map);
	m->st.uid_map = g_strdup(g_strstrip(map));
	idmap_format(&m->config->gid_map, map, sizeof(map));
	g_free(m->st.gid_map);
	m->st.gid_map = g_strdup(g_strstrip(map));
	save_state(m);
	log_debug("init %d started", (int)m->init);
	return 0;
}

static void drop_client(struct monitor *m, size_t i)
{
	if (m->clients[i] == m->console_client)
		m->console_client = -1;
	close(m->clients[i]);
	m->clients[i] = m->clients[--m->n_clients];
}

static int send_answer(int fd, const char *text, int pass_fd)
{
	return send_with_fd(fd, text, strlen(text), pass_fd);
}

static void request_stop(struct monitor *m, unsigned timeout_ms, bool force)
{
	struct itimerspec its = { 0 };

	if (!m->init)
		return;
	if (force || m->stopping) {
		kill(m->init, SIGKILL);
		return;
	}
	log_debug("stopping init %d", (int)m->init);
	m->stopping = true;
	m->st.state = CT_STOPPING;
	save_state(m);
	/* systemd halts on SIGRTMIN+3; SIGTERM would only make it re-execute. */
	kill(m->init, SIGRTMIN + 3);
	its.it_value.tv_sec = timeout_ms / 1000;
	its.it_value.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
	if (timeout_ms == 0)
		its.it_value.tv_nsec = 1;
	timerfd_settime(m->timer, 0, &its, NULL);
}

static void handle_client(struct monitor *m, size_t i)
{
	char buf[128];
	unsigned timeout = 10000, force = 0;
	ssize_t n = recv(m->clients[i], buf, sizeof(buf) - 1, MSG_DONTWAIT);

	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			drop_client(m, i);
		return;
	}
	buf[n] = '\0';
	if (g_str_has_prefix(buf, CTL_STOP)) {
		sscanf(buf + strlen(CTL_STOP), "%u %u", &timeout, &force);
		send_answer(m->clients[i], "ok", -1);
		request_stop(m, timeout, force != 0);
	} else if (g_str_equal(buf, CTL_CONSOLE)) {
		if (m->console_client >= 0 || m->foreground || m->console < 0) {
			send_answer(m->clients[i], "busy", -1);
			return;
		}
		if (send_answer(m->clients[i], "ok", m->console) >= 0)
			m->console_client = m->clients[i];
	} else
		send_answer(m->clients[i], "unknown request", -1);
}

static void accept_client(struct monitor *m)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd = accept4(m->ctl, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	/* The socket's 0600 mode already says so; check anyway, it costs nothing. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    (cred.uid != geteuid() && cred.uid != 0) || m->n_clients == MAX_CLIENTS) {
		close(fd);
		return;
	}
	m->clients[m->n_clients++] = fd;
}

static void handle_notify(struct monitor *m)
{
	char buf[4096];
	ssize_t n;

	while ((n = recv(m->notify, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
		buf[n] = '\0';
		if (!m->st.ready &&
		    (g_str_has_prefix(buf, "READY=1") || strstr(buf, "\nREADY=1"))) {
			m->st.ready = true;
			log_debug("the guest is ready");
			save_state(m);
			if (m->wait_ready)
				report_status(m, 0);
		}
	}
}

/*
 * Keeps the last MiB of what the console printed while nobody watched.
 * Returns true when nobody in the guest holds the console (EIO).
 */
static bool drain_console(struct monitor *m)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(m->console, buf, sizeof(buf))) > 0) {
		if (m->foreground) {
			(void)!write(STDOUT_FILENO, buf, (size_t)n);
			continue;
		}
		if (m->log_fd >= 0) {
			struct stat st;

			if (fstat(m->log_fd, &st) == 0 && st.st_size > CONSOLE_LOG_MAX)
				(void)!ftruncate(m->log_fd, 0);
			(void)!write(m->log_fd, buf, (size_t)n);
		}
	}
	return n < 0 && errno == EIO;
}

/* Returns true once the container is gone for good. */
static bool handle_sigchld(struct monitor *m)
{
	struct itimerspec off = { 0 };
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		bool reboot;

		if (pid != m->init)
			continue;
		/* The kernel ends init with SIGHUP when the guest asked for a reboot. */
		reboot = !m->stopping && WIFSIGNALED(status) && WTERMSIG(status) == SIGHUP;
		log_debug("init %d ended (status 0x%x)%s", (int)pid, status,
			  reboot ? ": rebooting" : "");
		teardown(m);
		timerfd_settime(m->timer, 0, &off, NULL);
		for (size_t i = 0; i < m->n_clients; i++)
			if (m->clients[i] == m->console_client) {
				drop_client(m, i);
				break;
			}
		if (!reboot)
			return true;
		m->st.state = CT_REBOOTING;
		save_state(m);
		if (boot(m) < 0)
			return true;
	}
	return false;
}

static bool handle_signal(struct monitor *m)
{
	struct signalfd_siginfo si;

	while (read(m->sig, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			if (handle_sigchld(m))
				return true;
		} else
			request_stop(m, 10000, false);
	}
	return false;
}

static void handle_timer(struct monitor *m)
{
	uint64_t ticks;

	(void)!read(m->timer, &ticks, sizeof(ticks));
	if (m->init) {
		log_debug("stop timeout: killing init %d", (int)m->init);
		kill(m->init, SIGKILL);
	}
}

static void forward_stdin(struct monitor *m)
{
	char buf[4096];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

	if (n > 0 && m->console >= 0)
		(void)!write(m->console, buf, (size_t)n);
}

enum { P_SIG, P_CTL, P_NOTIFY, P_TIMER, P_CONSOLE, P_STDIN, P_CLIENTS };

static void loop(struct monitor *m)
{
	bool idle = false;

	for (;;) {
		struct pollfd p[P_CLIENTS + MAX_CLIENTS];
		size_t n = m->n_clients;
		int k;

		p[P_SIG] = (struct pollfd){ m->sig, POLLIN, 0 };
		p[P_CTL] = (struct pollfd){ m->ctl, POLLIN, 0 };
		p[P_NOTIFY] = (struct pollfd){ m->notify, POLLIN, 0 };
		p[P_TIMER] = (struct pollfd){ m->timer, POLLIN, 0 };
		p[P_CONSOLE] = (struct pollfd){ m->console >= 0 && m->console_client < 0 && !idle
							? m->console
							: -1,
						POLLIN, 0 };
		p[P_STDIN] = (struct pollfd){ m->foreground ? STDIN_FILENO : -1, POLLIN, 0 };
		for (size_t i = 0; i < n; i++)
			p[P_CLIENTS + i] = (struct pollfd){ m->clients[i], POLLIN, 0 };
		k = poll(p, P_CLIENTS + n, idle ? 100 : -1);
		idle = false;
		if (k < 0 && errno != EINTR)
			return;
		if (k <= 0)
			continue;
		if (p[P_SIG].revents && handle_signal(m))
			return;
		if (p[P_CTL].revents)
			accept_client(m);
		if (p[P_NOTIFY].revents)
			handle_notify(m);
		if (p[P_TIMER].revents)
			handle_timer(m);
		/* On EIO, don't spin on the hangup: look again in a moment. */
		if (p[P_CONSOLE].revents)
			idle = drain_console(m);
		if (p[P_STDIN].revents)
			forward_stdin(m);
		/* Backwards: drop_client() moves the last client into the freed slot. */
		for (size_t i = n; i-- > 0;)
			if (p[P_CLIENTS + i].revents)
				handle_client(m, i);
	}
}

/*
 * The state file last: once it is gone the container reads as stopped, and a
 * new start must not find this monitor still removing its host/ files.
 */
static void remove_files(struct monitor *m)
{
	unlinkat(m->dir_fd, "ctl", 0);
	unlinkat(m->dir_fd, "host/notify", 0);
	unlinkat(m->dir_fd, "host/os-release", 0);
	unlinkat(m->dir_fd, "host/container-manager", 0);
	unlinkat(m->dir_fd, "host", AT_REMOVEDIR);
	unlinkat(m->dir_fd, "state", 0);
}

static int setup(struct monitor *m)
{
	sigset_t mask;
	int r;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	m->sig = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	m->timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (m->sig < 0 || m->timer < 0)
		return log_error_errno(-errno, "cannot set up the monitor: %m");
	m->dir_fd = open(m->ct->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (m->dir_fd < 0 || fchdir(m->dir_fd) < 0)
		return log_error_errno(-errno, "cannot open %s: %m", m->ct->dir);
	r = prepare_host_dir(m);
	if (r >= 0)
		r = prepare_ctl(m);
	if (r < 0)
		return r;
	m->log_fd =
		open(m->ct->console_log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	m->st.monitor = getpid();
	pid_starttime(m->st.monitor, &m->st.monitor_start);
	return 0;
}

static void detach_stdio(const struct ct *ct)
{
	g_autofree char *log = g_build_filename(ct->dir, "monitor.log", NULL);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		close(null);
	}
	if (fd >= 0) {
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
}

int monitor_run(struct ct *ct, const struct container_config *c, bool foreground, int status_fd,
		bool wait_ready)
{
	struct monitor m = {
		.ct = ct,
		.config = c,
		.foreground = foreground,
		.wait_ready = wait_ready,
		.status_fd = status_fd,
		.console = -1,
		.console_client = -1,
		.log_fd = -1,
		.dir_fd = -1,
		.ctl = -1,
		.notify = -1,
		.sig = -1,
		.timer = -1,
	};
	int r;

	log_debug("monitor %d setting up", (int)getpid());
	r = setup(&m);
	if (r >= 0)
		r = boot(&m);
	if (r < 0) {
		report_status(&m, 1);
		if (m.dir_fd >= 0)
			remove_files(&m);
		return r;
	}
	if (!wait_ready)
		report_status(&m, 0);
	if (foreground && tcgetattr(STDIN_FILENO, &m.saved_tty) == 0) {
		struct termios raw = m.saved_tty;

		cfmakeraw(&raw);
		m.tty_raw = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
	} else if (!foreground)
		detach_stdio(ct);
	loop(&m);
	if (m.init) {
		kill(m.init, SIGKILL);
		wait_pid(m.init, NULL);
		teardown(&m);
	}
	report_status(&m, 1);
	if (m.tty_raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &m.saved_tty);
	remove_files(&m);
	return 0;
}

int ctl_connect(const struct ct *ct)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	g_autofd int dir = open(ct->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int fd;

	if (dir < 0)
		return -errno;
	/* Through the directory's fd: sun_path holds 108 bytes, $HOME may be longer. */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/ctl", dir);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = errno == ENOENT ? -ECONNREFUSED : -errno;

		close(fd);
		return r;
	}
	return fd;
}

int ctl_request(int fd, const char *req, char *answer, size_t size, int *ret_fd)
{
	ssize_t n;

	if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0)
		return -errno;
	n = recv_with_fd(fd, answer, size - 1, ret_fd);
	if (n < 0)
		return (int)n;
	if (n == 0)
		return -ECONNRESET;
	answer[n] = '\0';
	return 0;
}
