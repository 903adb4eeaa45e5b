/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * burrowfs [OPTIONS] MOUNTPOINT: options, setup, the FUSE loop, teardown.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "daemon.h"
#include "keeper.h"
#include "macro.h"
#include "notify.h"
#include "ops.h"
#include "print-binds.h"
#include "resolve.h"

#define DEFAULT_THREADS		   4
/* lxcfs's unbounded pool is what we avoid; more than this only adds contention. */
#define MAX_THREADS		   64
/*
 * The seccomp agent's socket is machine-wide, so only the daemon of the
 * standard mountpoint takes it unasked: a second burrowfs (a test's, a
 * private one) must not take it over from the first.
 */
#define DEFAULT_MOUNTPOINT	   "/var/lib/burrowfs"
#define DEFAULT_SECCOMP_SOCKET	   "/run/burrowfs/seccomp.sock"
#define DEFAULT_SECCOMP_LXC_SOCKET "/run/burrowfs/seccomp-lxc.sock"
#define DEFAULT_CONTROL_SOCKET	   "/run/burrowfs/control.sock"

struct config {
	const char *mountpoint;
	const char *pidfile;
	const char *mount_opts;
	unsigned threads;
	unsigned cache_ms;
	unsigned max_containers;
	unsigned restart_timeout;
	const char *seccomp_socket;	/* NULL: no seccomp agent */
	const char *seccomp_lxc_socket; /* NULL: no LXC seccomp proxy */
	const char *control_socket;	/* NULL: no per-container connections */
	bool debug;
	bool stop;
	bool print_binds;
	struct burrow_opts opts;
};

static void help(void)
{
	printf("Usage: burrowfs [OPTIONS] MOUNTPOINT\n"
	       "       burrowfs --stop MOUNTPOINT\n"
	       "       burrowfs --print-binds MOUNTPOINT\n"
	       "\n"
	       "Serves /proc and /sys/devices/system/cpu files rendered for the container\n"
	       "of each process that reads them. Runs in the foreground until unmounted\n"
	       "or sent SIGTERM.\n"
	       "\n"
	       "  -p, --pidfile FILE        write the daemon's pid to FILE\n"
	       "  -u, --disable-swap        show no swap in meminfo and swaps\n"
	       "  -l, --enable-loadavg      each container's own load average (the default)\n"
	       "      --disable-loadavg     the host's load average for every reader\n"
	       "      --enable-cfs          cut the visible CPUs to the CFS quota\n"
	       "  -d, --debug               log debug messages to stderr\n"
	       "      --threads N           worker threads (default %d, at most %d)\n"
	       "  -s                        one worker thread, as --threads 1\n"
	       "      --cache-ms MS         reuse a render for MS milliseconds (default %d;\n"
	       "                            0 renders on every open)\n"
	       "      --max-containers N    containers cached at once (default %d)\n"
	       "      --restart-timeout S   how long containers' files wait for the next\n"
	       "                            burrowfs after this one ends (default %d s)\n"
	       "      --seccomp-socket PATH answer sysinfo(2) for containers whose runtime\n"
	       "                            sends its seccomp listener to PATH (default\n"
	       "                            %s when MOUNTPOINT is %s;\n"
	       "                            none: no agent)\n"
	       "      --seccomp-lxc-socket PATH  the same for LXC's lxc.seccomp.notify.proxy\n"
	       "                            (default %s\n"
	       "                            on that MOUNTPOINT; none: no proxy)\n"
	       "      --control-socket PATH where runtimes ask for a container's own\n"
	       "                            connection (default %s\n"
	       "                            on that MOUNTPOINT; none: no such connections)\n"
	       "      --stop                end the burrowfs of MOUNTPOINT for good\n"
	       "      --print-binds         print the systemd-nspawn --bind-ro= arguments\n"
	       "                            that give a container MOUNTPOINT's files\n"
	       "  -o OPTION[,OPTION...]     more FUSE mount options (allow_other is\n"
	       "                            always set)\n"
	       "  -f                        accepted for lxcfs compatibility (always foreground)\n"
	       "  -h, --help                show this help\n"
	       "  -v, --version             show the version\n"
	       "\n"
	       "Restarts: containers keep their bind-mounted files across any restart.\n"
	       "A burrowfs started on a MOUNTPOINT that another one serves takes over\n"
	       "from it (an upgrade). SIGTERM ends this process at once, but\n"
	       "MOUNTPOINT and the connection behind it stay with a keeper process\n"
	       "(and systemd's fd store): containers' reads, and the binds of\n"
	       "containers that start meanwhile, wait for the next burrowfs on\n"
	       "MOUNTPOINT; after a crash, likewise. Only when none comes within\n"
	       "--restart-timeout do the connection and the mount end, and reads get\n"
	       "ENOTCONN. --stop, or unmounting MOUNTPOINT, ends it all at once.\n",
	       DEFAULT_THREADS, MAX_THREADS, DEFAULT_CACHE_MS, DEFAULT_MAX_CONTAINERS,
	       DEFAULT_RESTART_TIMEOUT, DEFAULT_SECCOMP_SOCKET, DEFAULT_MOUNTPOINT,
	       DEFAULT_SECCOMP_LXC_SOCKET, DEFAULT_CONTROL_SOCKET);
}

static int parse_unsigned(const char *s, unsigned min, unsigned max, unsigned *ret)
{
	uint64_t v;

	if (safe_atou64(s, &v) < 0 || v < min || v > max)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

enum {
	ARG_ENABLE_CFS = 0x100,
	ARG_THREADS,
	ARG_CACHE_MS,
	ARG_MAX_CONTAINERS,
	ARG_RESTART_TIMEOUT,
	ARG_STOP,
	ARG_DISABLE_LOADAVG,
	ARG_SECCOMP_SOCKET,
	ARG_SECCOMP_LXC_SOCKET,
	ARG_PRINT_BINDS,
	ARG_CONTROL_SOCKET,
};

static const struct option longopts[] = {
	{ "pidfile", required_argument, NULL, 'p' },
	{ "disable-swap", no_argument, NULL, 'u' },
	{ "enable-loadavg", no_argument, NULL, 'l' },
	{ "disable-loadavg", no_argument, NULL, ARG_DISABLE_LOADAVG },
	{ "enable-cfs", no_argument, NULL, ARG_ENABLE_CFS },
	{ "debug", no_argument, NULL, 'd' },
	{ "threads", required_argument, NULL, ARG_THREADS },
	{ "cache-ms", required_argument, NULL, ARG_CACHE_MS },
	{ "max-containers", required_argument, NULL, ARG_MAX_CONTAINERS },
	{ "restart-timeout", required_argument, NULL, ARG_RESTART_TIMEOUT },
	{ "stop", no_argument, NULL, ARG_STOP },
	{ "print-binds", no_argument, NULL, ARG_PRINT_BINDS },
	{ "seccomp-socket", required_argument, NULL, ARG_SECCOMP_SOCKET },
	{ "seccomp-lxc-socket", required_argument, NULL, ARG_SECCOMP_LXC_SOCKET },
	{ "control-socket", required_argument, NULL, ARG_CONTROL_SOCKET },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'v' },
	{},
};

/* 1: done (help, version), 0: run, <0: usage error. */
static int parse_args(int argc, char **argv, struct config *cfg)
{
	bool seccomp_set = false, lxc_set = false, control_set = false;
	int c;

	*cfg = (struct config){
		.threads = DEFAULT_THREADS,
		.cache_ms = DEFAULT_CACHE_MS,
		.max_containers = DEFAULT_MAX_CONTAINERS,
		.restart_timeout = DEFAULT_RESTART_TIMEOUT,
		/*
		 * Per-container loadavg costs one taskstats call per container
		 * cgroup and 5 s tick (see fs/serve/sampler.c): cheap enough to be on.
		 */
		.opts = { .swap = true, .loadavg = true },
	};
	while ((c = getopt_long(argc, argv, "p:uldso:fhv", longopts, NULL)) >= 0) {
		switch (c) {
		case 'p':
			cfg->pidfile = optarg;
			break;
		case 'u':
			cfg->opts.swap = false;
			break;
		case 'l':
			cfg->opts.loadavg = true;
			break;
		case ARG_DISABLE_LOADAVG:
			cfg->opts.loadavg = false;
			break;
		case ARG_ENABLE_CFS:
			cfg->opts.cfs = true;
			break;
		case 'd':
			cfg->debug = true;
			break;
		case 's':
			cfg->threads = 1;
			break;
		case ARG_THREADS:
			if (parse_unsigned(optarg, 1, MAX_THREADS, &cfg->threads) < 0) {
				fprintf(stderr, "burrowfs: --threads takes 1 to %d\n", MAX_THREADS);
				return -EINVAL;
			}
			break;
		case ARG_CACHE_MS:
			if (parse_unsigned(optarg, 0, 60000, &cfg->cache_ms) < 0) {
				fprintf(stderr, "burrowfs: --cache-ms takes 0 to 60000\n");
				return -EINVAL;
			}
			break;
		case ARG_MAX_CONTAINERS:
			if (parse_unsigned(optarg, 1, 1u << 20, &cfg->max_containers) < 0) {
				fprintf(stderr, "burrowfs: --max-containers takes 1 to %u\n",
					1u << 20);
				return -EINVAL;
			}
			break;
		case ARG_RESTART_TIMEOUT:
			if (parse_unsigned(optarg, 0, 86400, &cfg->restart_timeout) < 0) {
				fprintf(stderr, "burrowfs: --restart-timeout takes 0 to 86400\n");
				return -EINVAL;
			}
			break;
		case ARG_STOP:
			cfg->stop = true;
			break;
		case ARG_PRINT_BINDS:
			cfg->print_binds = true;
			break;
		case ARG_SECCOMP_SOCKET:
			if (optarg[0] != '/' && strcmp(optarg, "none") != 0) {
				fprintf(stderr, "burrowfs: --seccomp-socket takes an absolute path "
						"or none\n");
				return -EINVAL;
			}
			cfg->seccomp_socket = optarg;
			seccomp_set = true;
			break;
		case ARG_SECCOMP_LXC_SOCKET:
			if (optarg[0] != '/' && strcmp(optarg, "none") != 0) {
				fprintf(stderr, "burrowfs: --seccomp-lxc-socket takes an absolute "
						"path or none\n");
				return -EINVAL;
			}
			cfg->seccomp_lxc_socket = optarg;
			lxc_set = true;
			break;
		case ARG_CONTROL_SOCKET:
			/* "" as the design's "none": either turns it off. */
			if (optarg[0] && optarg[0] != '/' && strcmp(optarg, "none") != 0) {
				fprintf(stderr, "burrowfs: --control-socket takes an absolute path "
						"or none\n");
				return -EINVAL;
			}
			cfg->control_socket = optarg;
			control_set = true;
			break;
		case 'o':
			cfg->mount_opts = optarg;
			break;
		case 'f':
			break;
		case 'h':
			help();
			return 1;
		case 'v':
			printf("burrowfs %s\n", PACKAGE_VERSION);
			return 1;
		default:
			fprintf(stderr, "Try 'burrowfs --help'.\n");
			return -EINVAL;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "burrowfs: expected one MOUNTPOINT. Try 'burrowfs --help'.\n");
		return -EINVAL;
	}
	cfg->mountpoint = argv[optind];
	if (!seccomp_set && strcmp(cfg->mountpoint, DEFAULT_MOUNTPOINT) == 0)
		cfg->seccomp_socket = DEFAULT_SECCOMP_SOCKET;
	if (cfg->seccomp_socket && strcmp(cfg->seccomp_socket, "none") == 0)
		cfg->seccomp_socket = NULL;
	if (!lxc_set && strcmp(cfg->mountpoint, DEFAULT_MOUNTPOINT) == 0)
		cfg->seccomp_lxc_socket = DEFAULT_SECCOMP_LXC_SOCKET;
	if (cfg->seccomp_lxc_socket && strcmp(cfg->seccomp_lxc_socket, "none") == 0)
		cfg->seccomp_lxc_socket = NULL;
	/* Machine-wide like the agent's: a private burrowfs takes it only when told. */
	if (!control_set && strcmp(cfg->mountpoint, DEFAULT_MOUNTPOINT) == 0)
		cfg->control_socket = DEFAULT_CONTROL_SOCKET;
	if (cfg->control_socket &&
	    (!cfg->control_socket[0] || strcmp(cfg->control_socket, "none") == 0))
		cfg->control_socket = NULL;
	return 0;
}

static int daemon_init(struct daemon *d, const struct config *cfg)
{
	long tck;
	int r;

	*d = (struct daemon){ .root_fd = -1, .opts = cfg->opts, .watcher = { .kick_fd = -1 } };
	log_init(&d->log, cfg->debug);
	handles_init(&d->handles);
	/* Each container the table keeps holds its init's pidfd; each own connection a few more. */
	d->handles.quota.reserve = FDQUOTA_RESERVE_MIN + cfg->max_containers;
	if (cfg->control_socket)
		d->handles.quota.reserve += PCONN_FDS * MIN(cfg->max_containers, PCONN_HARD_MAX);
	d->cache_ns = (uint64_t)cfg->cache_ms * NSEC_PER_MSEC;
	d->start_sec = (uint64_t)time(NULL);
	tck = sysconf(_SC_CLK_TCK);
	d->clk_tck = tck > 0 ? (uint64_t)tck : 100;
	tck = sysconf(_SC_PAGESIZE);
	d->page_size = tck > 0 ? (uint64_t)tck : 4096;

	d->root_fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->root_fd < 0)
		return log_errno(&d->log, LOG_ERR, -errno, "Failed to open /: %m");
	r = burrow_layout_load(d->root_fd, &d->layout);
	if (r < 0)
		return log_errno(&d->log, LOG_ERR, r, "Failed to find the cgroup hierarchies: %m");
	r = burrow_pidns_inode(d->root_fd, getpid(), &d->self_pidns);
	if (r < 0)
		return log_errno(&d->log, LOG_ERR, r, "Failed to read our pid namespace: %m");
	/* Read once: the daemon never changes its cgroup namespace. */
	r = burrow_read_ns_link(d->root_fd, "proc/self", "cgroup", &d->self_cgns);
	if (r < 0 && r != -ESRCH)
		return log_errno(&d->log, LOG_ERR, r, "Failed to read our cgroup namespace: %m");
	r = ctr_table_init(&d->table, cfg->max_containers);
	if (r < 0)
		return log_errno(&d->log, LOG_ERR, r, "Failed to set up the cache: %m");
	r = caller_self_load(d->root_fd, &d->self_cred);
	if (r < 0)
		return log_errno(&d->log, LOG_ERR, r, "Failed to read our own credentials: %m");
	r = snodes_init();
	if (r < 0)
		return log_errno(&d->log, LOG_ERR, r, "The served table does not fit the tree: %m");
	vfile_attrs_load(d);
	r = nodes_init(&d->nodes);
	if (r < 0)
		return log_errno(&d->log, LOG_ERR, r, "Failed to set up the inode table: %m");
	r = ctr_new_host(d, &d->host);
	if (r < 0)
		return log_errno(&d->log, LOG_ERR, r, "Failed to set up the host entry: %m");
	return 0;
}

static void daemon_done(struct daemon *d)
{
	handles_done(&d->handles);
	if (d->host)
		ctr_unref(d->host);
	if (d->nodes.by_ino)
		nodes_done(&d->nodes);
	if (d->table.buckets)
		ctr_table_done(&d->table);
	burrow_layout_free(d->layout);
	if (d->root_fd >= 0)
		close(d->root_fd);
}

static int write_pidfile(struct daemon *d, const char *path)
{
	_cleanup_close_ int fd = -1;
	char buf[32];
	int n;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return log_errno(&d->log, LOG_ERR, -errno, "Failed to create %s: %m", path);
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (write(fd, buf, (size_t)n) != n)
		return log_errno(&d->log, LOG_ERR, -EIO, "Failed to write %s: %m", path);
	return 0;
}

static int fuse_args_build(const struct config *cfg, const char *argv0, struct fuse_args *args)
{
	/*
	 * allow_other: readers are containers' users. No default_permissions:
	 * with it the kernel asks for fresh attributes before every open, and
	 * rendered files' attributes are never cached (their size is the
	 * reader's), which would add a round trip per open. ops.c checks modes.
	 */
	if (fuse_opt_add_arg(args, argv0) < 0 || fuse_opt_add_arg(args, "-o") < 0 ||
	    fuse_opt_add_arg(args, "allow_other,fsname=burrowfs,subtype=burrowfs") < 0)
		return -ENOMEM;
	if (cfg->mount_opts &&
	    (fuse_opt_add_arg(args, "-o") < 0 || fuse_opt_add_arg(args, cfg->mount_opts) < 0))
		return -ENOMEM;
	return 0;
}

static int loop(struct daemon *d, struct fuse_session *se, const struct config *cfg)
{
	struct fuse_loop_config *lc = fuse_loop_cfg_create();
	int r;

	if (!lc)
		return -ENOMEM;
	/* A fixed ceiling; threads start on demand up to it and then stay. */
	fuse_loop_cfg_set_max_threads(lc, cfg->threads);
	/*
	 * One device fd for all workers, shared with the keeper: a cloned fd
	 * would take the requests it holds down with it when a crash closes it
	 * (ECONNABORTED to their readers), where the shared one keeps them for
	 * the next daemon to recover.
	 */
	fuse_loop_cfg_set_clone_fd(lc, 0);
	r = fuse_session_loop_mt(se, lc);
	__atomic_store_n(&d->loop_done, true, __ATOMIC_RELEASE);
	fuse_loop_cfg_destroy(lc);
	/* Positive: the signal that ended it, a clean shutdown. */
	return r < 0 ? log_errno(&d->log, LOG_ERR, r, "FUSE loop failed: %m") : 0;
}

/* What the connection's earlier daemons left: nodeids, handles' generation, lost requests. */
static int serve_connection(struct daemon *d, struct fuse_session *se)
{
	struct conn *c = &d->conn;
	uint32_t gen = journal_next_generation(&c->journal);
	int recovered = 0, r;

	handles_set_generation(&d->handles, gen);
	d->start_sec = journal_mount_time(&c->journal);
	r = nodes_attach(&d->nodes, &c->journal);
	if (r < 0)
		return log_errno(&d->log, LOG_ERR, r, "Failed to restore the inode table: %m");
	r = sessio_init(&d->sio, &c->journal, &d->log);
	if (r < 0)
		return log_errno(&d->log, LOG_ERR, r, "Failed to set up the journal: %m");
	if (c->attached) {
		/* For tests of the journal path on kernels that have FUSE_NOTIFY_RESEND. */
		r = sessio_attach(&d->sio, c->fuse_fd, !getenv("BURROWFS_NO_RESEND"), &recovered);
		if (r < 0)
			return log_errno(&d->log, LOG_ERR, r,
					 "Failed to take over the connection: %m");
		const char *from = c->from_keeper ? "its keeper" : "systemd's fd store";

		if (recovered < 0)
			log_full(&d->log, LOG_INFO,
				 "Took over %s from %s (generation %u); the kernel resends what "
				 "was in flight",
				 c->mountpoint, from, gen);
		else
			log_full(&d->log, LOG_INFO,
				 "Took over %s from %s (generation %u); %d request(s) replayed",
				 c->mountpoint, from, gen, recovered);
	}
	if (fuse_session_custom_io(se, &sessio_io, c->fuse_fd) < 0)
		return log_errno(&d->log, LOG_ERR, -EINVAL, "Failed to set up the FUSE device");
	return 0;
}

static int serve(struct daemon *d, const struct config *cfg)
{
	int r = 0;

	if (cfg->pidfile)
		r = write_pidfile(d, cfg->pidfile);
	if (r >= 0)
		r = sampler_start(d);
	if (r >= 0)
		r = watcher_start(d);
	/*
	 * Without the agent the files are still served: say so, and go on. A
	 * keeper's listeners are served even unasked: their callers wait.
	 */
	if (r >= 0 && (cfg->seccomp_socket || d->conn.agent.sock_fd >= 0 || d->conn.agent.n)) {
		int a = agent_start(d, cfg->seccomp_socket);

		if (a < 0)
			log_errno(&d->log, LOG_ERR, a,
				  "Failed to start the seccomp agent on %s, containers' sysinfo "
				  "shows the host: %m",
				  cfg->seccomp_socket ? cfg->seccomp_socket : "the kept socket");
	}
	if (r >= 0 && cfg->seccomp_lxc_socket) {
		int a = lxcp_start(d, cfg->seccomp_lxc_socket);

		if (a < 0)
			log_errno(&d->log, LOG_ERR, a,
				  "Failed to start the LXC seccomp proxy on %s, LXC containers' "
				  "sysinfo calls fail with ENOSYS: %m",
				  cfg->seccomp_lxc_socket);
	}
	/* Like the agent: the shared mount is served without it, with one line saying so. */
	if (r >= 0 && cfg->control_socket) {
		int a = pconns_start(d, cfg->threads, cfg->max_containers);

		/* An earlier daemon's first: an attach then finds its container's. */
		if (a >= 0)
			pconns_adopt(d);
		if (a >= 0)
			a = ctlsock_start(d, cfg->control_socket);
		if (a < 0)
			log_errno(&d->log, LOG_ERR, a,
				  "Failed to start the control socket on %s, containers use the "
				  "shared mount: %m",
				  cfg->control_socket);
	}
	/* Kept connections that nothing here serves end now, rather than hang their readers. */
	if (r >= 0)
		pconns_adopt(d);
	if (r >= 0) {
		log_full(&d->log, LOG_DEBUG, "serving %s, %u threads, cache %u ms",
			 d->conn.mountpoint, cfg->threads, cfg->cache_ms);
		(void)notify_send("READY=1");
		r = loop(d, d->se, cfg);
		(void)notify_send("STOPPING=1");
	}
	ctlsock_stop(d);
	pconns_stop(d);
	lxcp_stop(d);
	agent_stop(d);
	watcher_stop(d);
	return r;
}

static int run(struct daemon *d, const struct config *cfg, const char *argv0)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	int r, mode;

	r = fuse_args_build(cfg, argv0, &args);
	if (r < 0) {
		fuse_opt_free_args(&args);
		return log_errno(&d->log, LOG_ERR, r, "Failed to build mount options: %m");
	}
	d->se = fuse_session_new(&args, &burrowfs_ops, sizeof(burrowfs_ops), d);
	fuse_opt_free_args(&args);
	if (!d->se)
		return log_errno(&d->log, LOG_ERR, -EINVAL, "Failed to create the FUSE session");
	d->main_thread = pthread_self();
	r = signals_install(d);
	if (r < 0)
		log_errno(&d->log, LOG_ERR, r, "Failed to set up signals: %m");
	if (r >= 0)
		r = conn_open(&d->conn, &d->log, d->se, cfg->mountpoint, cfg->restart_timeout);
	if (r >= 0) {
		r = serve_connection(d, d->se);
		if (r >= 0)
			r = serve(d, cfg);
		mode = __atomic_load_n(&d->stop_mode, __ATOMIC_ACQUIRE);
		/* A failure to start keeps the connection for the next try. */
		conn_close(&d->conn, &d->log, r < 0 && mode == STOP_NONE ? STOP_DETACH : mode);
		sampler_stop(d);
		if (cfg->pidfile)
			unlink(cfg->pidfile);
		sessio_done(&d->sio);
	}
	signals_remove();
	fuse_session_destroy(d->se);
	return r;
}

/*
 * The soft RLIMIT_NOFILE (often 1024) exists for select() users; nothing
 * here selects. Every open cgroup or sysfs file pins one of our fds, and the
 * containers' shares of them are cut from this limit (fdquota.h).
 */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct daemon d;
	int r;

	/* The keeper is this binary too, started by a daemon, never by hand. */
	if (argc > 1 && strcmp(argv[1], "--keeper") == 0)
		return keeper_main(argc, argv);
	r = parse_args(argc, argv, &cfg);
	if (r != 0)
		return r > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
	if (cfg.stop) {
		struct log l;

		log_init(&l, cfg.debug);
		return conn_stop(cfg.mountpoint, &l) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
	}
	if (cfg.print_binds)
		return print_binds(cfg.mountpoint) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
	/*
	 * Opening and reading a cached file allocates nothing; only renders do,
	 * under their container's lock. Per-thread arenas would buy no speed and
	 * keep each worker's freed renders resident.
	 */
	mallopt(M_ARENA_MAX, 1);
	raise_nofile();
	r = daemon_init(&d, &cfg);
	if (r >= 0)
		r = run(&d, &cfg, argv[0]);
	daemon_done(&d);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
