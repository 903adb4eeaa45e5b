/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The OCI hook. The runtime writes the container's state on stdin
 * ({ociVersion, id, status, pid, bundle, annotations}); the rootfs is the
 * bundle plus config.json's root.path. Where the hook runs depends on the stage:
 *
 *  - createRuntime / prestart: in the runtime's namespaces, with the
 *    container's host pid. The container's mount namespace is joined through
 *    /proc/PID/ns/mnt; its rootfs is mounted there at the same path, with its
 *    /proc and /sys, not yet pivoted into.
 *  - createContainer: already inside the container's mount namespace, before
 *    pivot_root. runc passes pid 1 (its own, as seen in the container's pid
 *    namespace) and crun pid 0: neither may be looked up in /proc, which may
 *    still be the host's. The rootfs path is used when it is visible, else "/".
 */

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <inttypes.h>
#include <json-glib/json-glib.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* glib has MIN/MAX of its own; macro.h's (same meaning) take over. */
#undef MIN
#undef MAX

#include "hook-util.h"
#include "hooks.h"
#include "macro.h"

/* Far above any real state or config.json; bounds what a broken runtime feeds. */
#define OCI_JSON_MAX (16u * 1024 * 1024)

struct oci_state {
	char *id;
	char *bundle;
	int64_t pid;
	bool disabled;
	bool required;
};

static void oci_state_done(struct oci_state *s)
{
	free(s->id);
	free(s->bundle);
}

struct oci_target {
	const struct oci_state *state;
	const char *rootfs;
	bool verbose;
};

static int parse_object(const char *what, const char *data, size_t len, JsonParser *parser,
			JsonObject **ret)
{
	g_autoptr(GError) error = NULL;
	JsonNode *root;

	if (!json_parser_load_from_data(parser, data, (gssize)len, &error)) {
		hook_log("%s is not valid JSON: %s", what, error->message);
		return -EBADMSG;
	}
	root = json_parser_get_root(parser);
	/* json-glib takes empty input as a valid document without a root. */
	if (!root) {
		hook_log("%s is empty", what);
		return -EBADMSG;
	}
	if (!JSON_NODE_HOLDS_OBJECT(root)) {
		hook_log("%s is not a JSON object", what);
		return -EBADMSG;
	}
	*ret = json_node_get_object(root);
	return 0;
}

/* A string member; absent gives NULL, any other type is an error. */
static int get_string(JsonObject *o, const char *what, const char *key, const char **ret)
{
	JsonNode *n = json_object_get_member(o, key);

	if (!n || JSON_NODE_HOLDS_NULL(n)) {
		*ret = NULL;
		return 0;
	}
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
		hook_log("%s: \"%s\" is not a string", what, key);
		return -EBADMSG;
	}
	*ret = json_node_get_string(n);
	return 0;
}

/* Whether the annotation key is set to a true value. */
static bool annotation_true(JsonObject *o, const char *what, const char *key)
{
	JsonNode *n = json_object_get_member(o, "annotations");
	const char *v = NULL;

	if (!n || !JSON_NODE_HOLDS_OBJECT(n))
		return false;
	/* A malformed annotation is the image's doing: note it, keep going. */
	if (get_string(json_node_get_object(n), what, key, &v) < 0)
		return false;
	return hook_truthy(v);
}

static int parse_pid(JsonObject *o, int64_t *ret)
{
	JsonNode *n = json_object_get_member(o, "pid");

	/* Absent before the runtime has a process, and 0 from crun's createContainer. */
	if (!n) {
		*ret = 0;
		return 0;
	}
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64 ||
	    json_node_get_int(n) < 0 || json_node_get_int(n) > INT32_MAX) {
		hook_log("OCI state: \"pid\" is not a process id");
		return -EBADMSG;
	}
	*ret = json_node_get_int(n);
	return 0;
}

static int oci_state_parse(const char *data, size_t len, struct oci_state *ret)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *o;
	const char *id, *bundle;
	int64_t pid;
	int r;

	r = parse_object("OCI state on stdin", data, len, parser, &o);
	if (r < 0)
		return r;
	if (get_string(o, "OCI state", "id", &id) < 0 ||
	    get_string(o, "OCI state", "bundle", &bundle) < 0 || parse_pid(o, &pid) < 0)
		return -EBADMSG;
	if (!bundle || bundle[0] != '/') {
		hook_log("OCI state: \"bundle\" is %s",
			 bundle ? "not an absolute path" : "missing");
		return -EBADMSG;
	}

	struct oci_state s = {
		.id = strdup(id ? id : "(no id)"),
		.bundle = strdup(bundle),
		.pid = pid,
		.disabled = annotation_true(o, "OCI state annotations", HOOK_ANNOTATION_DISABLE),
		.required = annotation_true(o, "OCI state annotations", HOOK_ANNOTATION_REQUIRE),
	};
	if (!s.id || !s.bundle) {
		oci_state_done(&s);
		return -ENOMEM;
	}
	*ret = s;
	return 0;
}

/* The rootfs path from bundle/config.json; also honours its annotations. */
static int read_config(const char *bundle, char **ret_rootfs, bool *ret_disabled,
		       bool *ret_required)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	_cleanup_free_ char *path = NULL, *data = NULL, *rootfs = NULL;
	_cleanup_close_ int fd = -1;
	const char *root_path;
	JsonObject *o;
	JsonNode *rn;
	size_t len;
	int r;

	if (asprintf(&path, "%s/config.json", bundle) < 0)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return hook_log_errno(-errno, "cannot open %s", path);
	r = hook_read_all(fd, OCI_JSON_MAX, &data, &len);
	if (r < 0)
		return hook_log_errno(r, "cannot read %s", path);
	r = parse_object(path, data, len, parser, &o);
	if (r < 0)
		return r;

	rn = json_object_get_member(o, "root");
	if (!rn || !JSON_NODE_HOLDS_OBJECT(rn) ||
	    get_string(json_node_get_object(rn), path, "path", &root_path) < 0 || !root_path ||
	    !*root_path) {
		hook_log("%s has no root.path", path);
		return -EBADMSG;
	}

	if (root_path[0] == '/')
		rootfs = strdup(root_path);
	else if (asprintf(&rootfs, "%s/%s", bundle, root_path) < 0)
		rootfs = NULL;
	if (!rootfs)
		return -ENOMEM;
	*ret_disabled = annotation_true(o, "config.json annotations", HOOK_ANNOTATION_DISABLE);
	*ret_required = annotation_true(o, "config.json annotations", HOOK_ANNOTATION_REQUIRE);
	*ret_rootfs = TAKE_PTR(rootfs);
	return 0;
}

static int join_mount_ns(int64_t pid)
{
	_cleanup_close_ int fd = -1;
	struct stat theirs, ours;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%" PRIi64 "/ns/mnt", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return hook_log_errno(-errno, "cannot open %s (is %" PRIi64 " the container?)",
				      path, pid);
	if (fstat(fd, &theirs) < 0 || stat("/proc/self/ns/mnt", &ours) < 0)
		return hook_log_errno(-errno, "cannot compare mount namespaces");
	/* A container without its own mount namespace needs no setns. */
	if (theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino)
		return 0;
	if (setns(fd, CLONE_NEWNS) < 0)
		return hook_log_errno(-errno, "cannot join the mount namespace of pid %" PRIi64,
				      pid);
	return 0;
}

static int oci_open_rootfs(void *userdata)
{
	const struct oci_target *t = userdata;
	int fd, r;

	if (t->state->pid > 1) {
		r = join_mount_ns(t->state->pid);
		if (r < 0)
			return r;
		fd = open(t->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return hook_log_errno(-errno, "cannot open rootfs %s", t->rootfs);
		return fd;
	}

	fd = open(t->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT) {
		if (fd < 0)
			return hook_log_errno(-errno, "cannot open rootfs %s", t->rootfs);
		return fd;
	}
	/* A runtime that runs createContainer after pivot_root: "/" is the rootfs. */
	if (t->verbose)
		hook_log("%s is not visible here; binding into / instead", t->rootfs);
	fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? hook_log_errno(-errno, "cannot open /") : fd;
}

int hook_run_oci(const struct hook_opts *o)
{
	_cleanup_free_ char *data = NULL, *rootfs = NULL;
	_cleanup_(oci_state_done) struct oci_state state = {};
	bool config_disabled = false, config_required = false;
	char what[256];
	size_t len;
	int r;

	if (isatty(STDIN_FILENO)) {
		hook_log("expects the OCI state JSON on stdin (see --help)");
		return HOOK_EXIT_INVOCATION;
	}
	r = hook_read_all(STDIN_FILENO, OCI_JSON_MAX, &data, &len);
	if (r < 0) {
		hook_log_errno(r, "cannot read the OCI state from stdin");
		return HOOK_EXIT_INVOCATION;
	}
	if (oci_state_parse(data, len, &state) < 0)
		return HOOK_EXIT_INVOCATION;

	snprintf(what, sizeof(what), "OCI container %s", state.id);
	if (state.disabled) {
		hook_log("%s: disabled by annotation %s", what, HOOK_ANNOTATION_DISABLE);
		return HOOK_EXIT_OK;
	}
	r = read_config(state.bundle, &rootfs, &config_disabled, &config_required);
	if (r < 0)
		return HOOK_EXIT_INVOCATION;
	if (config_disabled) {
		hook_log("%s: disabled by annotation %s in config.json", what,
			 HOOK_ANNOTATION_DISABLE);
		return HOOK_EXIT_OK;
	}

	struct oci_target t = { .state = &state, .rootfs = rootfs, .verbose = o->verbose };
	struct hook_opts eff = *o;

	eff.require = o->require || state.required || config_required;
	return hook_apply(&eff, state.pid, oci_open_rootfs, &t, what);
}
