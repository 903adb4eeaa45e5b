/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The OCI state message the seccomp agent reads from its socket, which any
 * local user may connect to (bindings/ocistate.c). The whole input is the
 * message, unterminated, as it arrives. Where json-glib takes it for an
 * object and no escape or second "fds" key could make the two readings
 * differ, the index found must be json-glib's.
 */
#include <errno.h>
#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"
#include "ocistate.h"

static size_t count_fds_keys(const char *json, size_t len)
{
	size_t n = 0;

	for (const char *p = json; (p = memmem(p, len - (size_t)(p - json), "\"fds\"", 5)); p++)
		n++;
	return n;
}

/*
 * Whether anything but white space follows the first top-level value. The
 * parser refuses trailing bytes; json-glib 1.6 reads the first of several
 * top-level values and drops the rest ("{}{...}" is "{}" to it), so such
 * input has no reference answer. Called only without backslashes, so a '"'
 * always opens or closes a string.
 */
static bool has_trailing_value(const char *json, size_t len)
{
	size_t depth = 0, i = 0;
	bool in_str = false, started = false;

	for (; i < len && !(started && depth == 0); i++) {
		char c = json[i];

		if (c == '"')
			in_str = !in_str;
		else if (in_str)
			continue;
		else if (c == '{' || c == '[') {
			depth++;
			started = true;
		} else if (c == '}' || c == ']') {
			if (depth == 0)
				return true;
			depth--;
		}
	}
	for (; i < len; i++)
		if (!strchr(" \t\n\r", json[i]))
			return true;
	return false;
}

/*
 * The contract, read lazily as the parser reads it: the first index of
 * name, once every element before it is a string.
 */
static int ref_index(const char *json, size_t len, const char *name, bool *ret_comparable)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *o;
	JsonArray *a;
	JsonNode *n;

	*ret_comparable = false;
	if (memchr(json, '\\', len) || memchr(json, '\0', len) || count_fds_keys(json, len) > 1 ||
	    has_trailing_value(json, len))
		return 0;
	if (!json_parser_load_from_data(parser, json, (gssize)len, NULL))
		return 0;
	n = json_parser_get_root(parser);
	if (!n || !JSON_NODE_HOLDS_OBJECT(n))
		return 0;
	*ret_comparable = true;
	o = json_node_get_object(n);
	n = json_object_get_member(o, "fds");
	if (!n)
		return -ENOENT;
	if (!JSON_NODE_HOLDS_ARRAY(n))
		return -EBADMSG;
	a = json_node_get_array(n);
	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonNode *e = json_array_get_element(a, i);

		if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_STRING)
			return -EBADMSG;
		if (strcmp(json_node_get_string(e), name) == 0)
			return (int)i;
	}
	return -ENOENT;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes, so that ASan catches a read past the message. */
	char *json = malloc(size ? size : 1);
	bool comparable;
	int r, want;

	if (!json)
		return 0;
	memcpy(json, data, size);
	r = burrow_oci_state_fd_index(json, size, "seccompFd");
	fuzz_assert(r >= 0 || r == -ENOENT || r == -EBADMSG, "unexpected answer %d", r);
	want = ref_index(json, size, "seccompFd", &comparable);
	if (comparable)
		fuzz_assert(r == want, "index %d, json-glib reads %d", r, want);
	free(json);
	return 0;
}
