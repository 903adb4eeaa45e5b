/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf.h"
#include "embedded.h"
#include "fileio.h"
#include "glib-macro.h"
#include "launcher.h"
#include "seccomp-policy.h"

#define MAX_CONDS 6 /* one per syscall argument */

struct rule {
	char name[64];
	uint32_t action;
	unsigned n_conds;
	struct scmp_arg_cmp conds[MAX_CONDS];
};

static int errno_from_name(const char *name)
{
	static const struct {
		const char *name;
		int value;
	} table[] = {
		{ "EPERM", EPERM },	      { "ENOSYS", ENOSYS }, { "EACCES", EACCES },
		{ "EINVAL", EINVAL },	      { "ENOENT", ENOENT }, { "EBUSY", EBUSY },
		{ "EOPNOTSUPP", EOPNOTSUPP },
	};

	for (size_t i = 0; i < ELEMENTSOF(table); i++)
		if (g_str_equal(table[i].name, name))
			return table[i].value;
	return -EINVAL;
}

static bool parse_u64(const char *s, const char *end, uint64_t *ret)
{
	char buf[32], *e;

	if (end <= s || (size_t)(end - s) >= sizeof(buf) || *s == '-')
		return false;
	memcpy(buf, s, (size_t)(end - s));
	buf[end - s] = '\0';
	errno = 0;
	*ret = strtoull(buf, &e, 0);
	return errno == 0 && *e == '\0';
}

/*
 * argN==VALUE or argN&MASK==VALUE: the syscall's argument N (0-5) equals
 * VALUE, or does after AND with MASK. Numbers in C notation (0x..., 0...).
 */
static int parse_cond(const char *tok, struct rule *rule)
{
	const char *p = tok + 3, *eq;
	uint64_t mask = UINT64_MAX, value;
	unsigned arg;

	if (!g_str_has_prefix(tok, "arg") || *p < '0' || *p > '5')
		return -EINVAL;
	arg = (unsigned)(*p++ - '0');
	eq = strstr(p, "==");
	if (!eq || !parse_u64(eq + 2, eq + 2 + strlen(eq + 2), &value))
		return -EINVAL;
	if (*p == '&' && !parse_u64(p + 1, eq, &mask))
		return -EINVAL;
	if (*p != '&' && p != eq)
		return -EINVAL;
	for (unsigned i = 0; i < rule->n_conds; i++)
		if (rule->conds[i].arg == arg)
			return -EINVAL; /* libseccomp takes one comparison per argument */
	if (rule->n_conds == MAX_CONDS)
		return -EINVAL;
	rule->conds[rule->n_conds++] = mask == UINT64_MAX
					       ? SCMP_CMP(arg, SCMP_CMP_EQ, value)
					       : SCMP_CMP(arg, SCMP_CMP_MASKED_EQ, mask, value);
	return 0;
}

static int parse_action(const char *name, const char *action, struct rule *ret, char *why,
			size_t why_size)
{
	if (!action || g_str_equal(action, "errno"))
		ret->action = SCMP_ACT_ERRNO(EPERM);
	else if (g_str_has_prefix(action, "errno:") && errno_from_name(action + 6) > 0)
		ret->action = SCMP_ACT_ERRNO((uint32_t)errno_from_name(action + 6));
	else if (g_str_equal(action, "kill"))
		ret->action = SCMP_ACT_KILL_PROCESS;
	else if (g_str_equal(action, "allow"))
		ret->action = SCMP_ACT_ALLOW;
	else {
		snprintf(why, why_size,
			 "'%s %s': the action is not errno, errno:ENAME, kill or allow", name,
			 action);
		return -EINVAL;
	}
	return 0;
}

/* One line; returns 1 with *ret filled, 0 for a blank or comment line. */
static int parse_line(char *line, struct rule *ret, char *why, size_t why_size)
{
	char *hash = strchr(line, '#'), *name, *action, *tok, *save = NULL;

	if (hash)
		*hash = '\0';
	name = strtok_r(line, " \t", &save);
	if (!name)
		return 0;
	*ret = (struct rule){ 0 };
	if (strlen(name) >= sizeof(ret->name) ||
	    (seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name) == __NR_SCMP_ERROR &&
	     seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86, name) == __NR_SCMP_ERROR &&
	     seccomp_syscall_resolve_name(name) == __NR_SCMP_ERROR)) {
		snprintf(why, why_size, "'%s' is not a system call libseccomp knows", name);
		return -EINVAL;
	}
	snprintf(ret->name, sizeof(ret->name), "%s", name);
	tok = strtok_r(NULL, " \t", &save);
	action = tok && !g_str_has_prefix(tok, "arg") ? tok : NULL;
	if (action)
		tok = strtok_r(NULL, " \t", &save);
	if (parse_action(name, action, ret, why, why_size) < 0)
		return -EINVAL;
	for (; tok; tok = strtok_r(NULL, " \t", &save))
		if (parse_cond(tok, ret) < 0) {
			snprintf(why, why_size,
				 "'%s ... %s': not argN==VALUE or argN&MASK==VALUE (N 0-5, "
				 "each N once)",
				 name, tok);
			return -EINVAL;
		}
	return 1;
}

static int parse_policy(const char *text, GArray *rules, char *why, size_t why_size)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	unsigned lineno = 0;

	for (char **l = lines; *l; l++) {
		struct rule rule;
		char buf[256];
		int r;

		lineno++;
		r = parse_line(*l, &rule, buf, sizeof(buf));
		if (r < 0) {
			snprintf(why, why_size, "line %u: %s", lineno, buf);
			return r;
		}
		if (r > 0 && rules)
			g_array_append_val(rules, rule);
	}
	return 0;
}

int seccomp_policy_check(const char *text, char *why, size_t why_size)
{
	return parse_policy(text, NULL, why, why_size);
}

static bool policy_has(GArray *rules, const char *name)
{
	for (guint i = 0; i < rules->len; i++)
		if (g_str_equal(g_array_index(rules, struct rule, i).name, name))
			return true;
	return false;
}

static int add_rules(scmp_filter_ctx ctx, GArray *rules)
{
	for (guint i = 0; i < rules->len; i++) {
		const struct rule *rule = &g_array_index(rules, struct rule, i);
		int nr = seccomp_syscall_resolve_name(rule->name), r;

		/* Unknown on every architecture in the filter: nothing to block. */
		if (nr == __NR_SCMP_ERROR)
			continue;
		if (rule->action == SCMP_ACT_ALLOW)
			continue;
		r = seccomp_rule_add_array(ctx, rule->action, nr, rule->n_conds, rule->conds);
		if (r < 0 && r != -EDOM)
			return log_error_errno(r, "seccomp: cannot add a rule for %s: %m",
					       rule->name);
	}
	return 0;
}

static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *ret)
{
	g_autofd int fd = -1;
	struct stat st;
	void *buf;
	int r;

	fd = memfd_create("burrow-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return r;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) != 0)
		return -EINVAL;
	buf = malloc((size_t)st.st_size);
	if (!buf)
		return -ENOMEM;
	if (pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
		free(buf);
		return -EIO;
	}
	ret->filter = buf;
	ret->len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
	return 0;
}

int seccomp_compile(const char *path, bool notify_sysinfo, struct sock_fprog *ret)
{
	g_autoptr(GArray) rules = g_array_new(FALSE, FALSE, sizeof(struct rule));
	g_autofree char *text = NULL;
	scmp_filter_ctx ctx;
	char why[512];
	int r;

	if (path) {
		r = read_full_at(AT_FDCWD, path, &text, NULL);
		if (r < 0)
			return log_error_errno(r, "seccomp policy %s: cannot read it: %m", path);
	}
	r = parse_policy(text ? text : BURROW_DEFAULT_SECCOMP, rules, why, sizeof(why));
	if (r < 0)
		return log_error_errno(r, "seccomp policy %s: %s", path ? path : "(built-in)", why);
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return log_error_errno(-ENOMEM, "seccomp: cannot create a filter");
	/* Without these, the i386 and x32 syscall tables would bypass every rule. */
	if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
		seccomp_arch_add(ctx, SCMP_ARCH_X86);
		seccomp_arch_add(ctx, SCMP_ARCH_X32);
	}
	/* The guest needs setuid programs (su, sudo): no_new_privs would break them. */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	r = add_rules(ctx, rules);
	/* A policy that names sysinfo itself has the last word on it. */
	if (r >= 0 && notify_sysinfo && !policy_has(rules, "sysinfo")) {
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(sysinfo), 0);
		if (r < 0)
			log_error_errno(r, "seccomp: cannot add the sysinfo notify rule: %m");
	}
	if (r >= 0) {
		r = export_bpf(ctx, ret);
		if (r < 0)
			log_error_errno(r, "seccomp: cannot compile the filter: %m");
	}
	seccomp_release(ctx);
	return r;
}

void seccomp_prog_free(struct sock_fprog *prog)
{
	free(prog->filter);
	prog->filter = NULL;
	prog->len = 0;
}

int seccomp_install(const struct sock_fprog *prog)
{
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog, 0, 0) < 0)
		return -errno;
	return 0;
}

int seccomp_agent_connect(const char *path, const char *id, struct seccomp_agent *ret)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char safe[64];
	size_t n = 0;
	int fd, len;

	*ret = (struct seccomp_agent){ .fd = -1 };
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	/* Non-blocking: an agent whose backlog is full is an agent absent, not a hang. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	/* The id is informative; keep to characters JSON needs no escape for. */
	for (const char *p = id; *p && n < sizeof(safe) - 1; p++)
		if (g_ascii_isalnum(*p) || strchr("-_.", *p))
			safe[n++] = *p;
	safe[n] = '\0';
	/*
	 * The OCI state the runtime-spec asks for. The agent uses only "fds";
	 * the pid is the kernel's business (each notification names its caller).
	 */
	len = snprintf(ret->msg, sizeof(ret->msg),
		       "{\"ociVersion\":\"1.0.2\",\"fds\":[\"seccompFd\"],\"pid\":0,"
		       "\"metadata\":\"burrow\",\"state\":{\"ociVersion\":\"1.0.2\","
		       "\"id\":\"%s\",\"status\":\"creating\",\"pid\":0,\"bundle\":\"\"}}",
		       safe);
	ret->len = (size_t)len;
	ret->fd = fd;
	ret->connected = true;
	return 0;
}

void seccomp_agent_find(const struct container_config *c, const char *burrowfs, const char *id,
			struct seccomp_agent *ret)
{
	int r;

	*ret = (struct seccomp_agent){ .fd = -1 };
	/* Without burrowfs's files, free would show the host and busybox free the container. */
	if (!c->notify_sysinfo || !burrowfs)
		return;
	r = seccomp_agent_connect(c->seccomp_agent, id, ret);
	/*
	 * A notify rule with no agent behind it would fail every sysinfo
	 * (ENOSYS): rather none, and the host's figures, as without burrowfs.
	 */
	if (r < 0)
		log_info("burrowfs's seccomp agent is not at %s (%s): sysinfo(2) in the container "
			 "shows the host's memory and uptime",
			 c->seccomp_agent, g_strerror(-r));
}

void seccomp_agent_close(struct seccomp_agent *a)
{
	if (a->connected)
		close(a->fd);
	a->connected = false;
	a->fd = -1;
}

int seccomp_install_notify(const struct sock_fprog *prog, struct seccomp_agent *a)
{
	int listener, r;

	listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
				SECCOMP_FILTER_FLAG_NEW_LISTENER, prog);
	if (listener < 0)
		return -errno;
	/* Until the agent holds it, a sysinfo call waits; so it must get there. */
	r = send_with_fd(a->fd, a->msg, a->len, listener);
	close(listener);
	close(a->fd);
	a->connected = false;
	a->fd = -1;
	return r;
}
