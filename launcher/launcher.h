/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Logging for the launcher: one line on stderr, "burrow: ...", each failure
 * logged once. The function that meets a failure and can name what failed
 * (the path, the key, the container) logs it there, with log_error_errno(),
 * which sets errno from r so "%m" works and returns r; its callers pass r up
 * unlogged, and a verb's negative return means "already logged" (main exits
 * 1). Helpers that cannot name it (util.c, bindings/) log nothing and return
 * -errno, and their caller logs with its context. log_error() is for a
 * refusal with no errno, log_info() for a notice or "warning: ..." that
 * does not stop the verb, log_debug() only under BURROW_DEBUG. Between clone() and exec the
 * child logs nothing: it sends (phase, step, errno) to the parent, which
 * describes the step (container.c); a forked child about to exec (attach.c)
 * writes its last words to stderr itself. A detached monitor's stderr is
 * the container's monitor.log.
 */
int log_error_errno(int r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Each verb returns the process exit code, or a negative errno already logged. */
struct verb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
};

int verb_create(int argc, char **argv);
int verb_start(int argc, char **argv);
int verb_attach(int argc, char **argv);
int verb_console(int argc, char **argv);
int verb_stop(int argc, char **argv);
int verb_ls(int argc, char **argv);
int verb_info(int argc, char **argv);
int verb_destroy(int argc, char **argv);
int verb_run(int argc, char **argv);
int verb_image(int argc, char **argv);

/* util.c */
int write_file_at(int dir_fd, const char *path, const char *text, mode_t mode);
int write_file_atomic(const char *path, const char *text, mode_t mode);
int mkdir_p(const char *path, mode_t mode);
/* Whether a component of path is "..": it names a place outside what it seems to. */
bool path_has_dotdot(const char *path);
/* Empties and removes dir, which holds plain files only (a cache entry, a build's temp dir). */
void dir_remove_flat(const char *dir);
/*
 * Marks every fd above 2 close-on-exec, so that nothing but stdio reaches
 * the guest, or a host program acting on a guest's tree (runc's
 * CVE-2024-21626). Close-on-exec rather than closed: a failed exec must still
 * be able to report on its socket. Async-signal-safe.
 */
int fds_seal(void);
/*
 * uid and gid 0 of the user namespace we are in, and no supplementary
 * group: its root, with its capabilities. Async-signal-safe.
 */
int ns_become_root(void);
/* execvp() with fds_seal() first; returns only on failure, -errno. */
int exec_sealed(char *const argv[]);
int fork_exec_wait(char *const argv[], int stdin_fd, int *ret_status);
/*
 * One message of len bytes over a unix socket, carrying fd (SCM_RIGHTS)
 * unless it is negative. Async-signal-safe: forked children hand their fds
 * up with it.
 */
int send_with_fd(int sock, const void *buf, size_t len, int fd);
/*
 * One message into buf, retried on EINTR. The one fd it may carry goes to
 * *ret_fd, close-on-exec. Returns the bytes read, 0 at end of file, or
 * -errno: -EMSGSIZE for a message longer than size (on a seqpacket socket),
 * with more than one fd, or with one when ret_fd is NULL, its fds closed.
 */
ssize_t recv_with_fd(int sock, void *buf, size_t size, int *ret_fd);
int wait_pid(pid_t pid, int *ret_status);
uint64_t now_usec(int clock);

/*
 * Waiting for the kernel to let go of something (a cgroup's dying tasks,
 * a monitor's exit): sleeps of delay_ms, doubling up to max_ms, until
 * left_ms is spent. backoff_sleep() is false, without sleeping, once it is.
 */
struct backoff {
	long delay_ms, max_ms, left_ms;
};
bool backoff_sleep(struct backoff *b);
int pid_starttime(pid_t pid, uint64_t *ret);
bool pid_alive(pid_t pid, uint64_t starttime);
void format_bytes(uint64_t v, char *buf, size_t size);
void format_duration(uint64_t usec, char *buf, size_t size);
int read_text(const char *path, char **ret);

int parse_pid(const char *s, pid_t *ret);

/* main.c helpers for the verbs: GOptionContext with the verb's usage line. */
struct _GOptionEntry;
int parse_verb_options(int *argc, char ***argv, const char *verb, const char *params,
		       const struct _GOptionEntry *entries);
/*
 * rest, the operands left after the options, is exactly one NAME; else
 * "VERB: give one container NAME" and hint (NULL: none) is logged, -EINVAL.
 */
int verb_one_name(const char *verb, char **rest, const char *hint);
