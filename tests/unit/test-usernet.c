/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* burrow-net's pure parsers (launcher/net/net-parse.c): the quota file and
 * every argument the setuid helper takes. */
#include <errno.h>
#include <string.h>

#include "fixture.h"
#include "net-parse.h"

static const char *const groups[] = { "users", "burrow" };

static int lookup(const char *text, const char *user, const char *bridge, struct usernet_rule *rule,
		  unsigned *bad)
{
	*rule = (struct usernet_rule){ 0, 0 };
	*bad = 0;
	return usernet_lookup(text, user, groups, 2, bridge, rule, bad);
}

START_TEST(test_quota_match)
{
	const char *text = "# burrow-net quotas\n"
			   "\n"
			   "alice veth burrowbr0 2\n"
			   "  bob\tveth burrowbr0 1   # one is enough\n"
			   "@burrow veth burrowbr0 4\n"
			   "alice veth br1 3\n";
	struct usernet_rule r;
	unsigned bad;

	/* alice is in @burrow too: the larger count (line 5) wins. */
	ck_assert_int_eq(lookup(text, "alice", "burrowbr0", &r, &bad), 0);
	ck_assert_uint_eq(r.count, 4);
	ck_assert_uint_eq(r.line, 5);
	ck_assert_int_eq(lookup(text, "alice", "br1", &r, &bad), 0);
	ck_assert_uint_eq(r.count, 3);
	ck_assert_uint_eq(r.line, 6);
	ck_assert_int_eq(usernet_lookup(text, "bob", NULL, 0, "burrowbr0", &r, &bad), 0);
	ck_assert_uint_eq(r.count, 1);
	ck_assert_uint_eq(r.line, 4);
	/* Neither a prefix of a name nor another bridge matches. */
	ck_assert_int_eq(usernet_lookup(text, "ali", NULL, 0, "burrowbr0", &r, &bad), -ENOENT);
	ck_assert_int_eq(usernet_lookup(text, "bob", NULL, 0, "br1", &r, &bad), -ENOENT);
	ck_assert_int_eq(usernet_lookup(text, "burrow", NULL, 0, "burrowbr0", &r, &bad), -ENOENT);
	ck_assert_int_eq(lookup("", "alice", "burrowbr0", &r, &bad), -ENOENT);
	/* A count of 0 is a rule: it names the line that refuses. */
	ck_assert_int_eq(lookup("carol veth burrowbr0 0", "carol", "burrowbr0", &r, &bad), 0);
	ck_assert_uint_eq(r.count, 0);
	ck_assert_uint_eq(r.line, 1);
	/* Equal counts: the first line. */
	ck_assert_int_eq(lookup("alice veth b 2\n@users veth b 2\n", "alice", "b", &r, &bad), 0);
	ck_assert_uint_eq(r.line, 1);
}
END_TEST

START_TEST(test_quota_malformed)
{
	static const struct {
		const char *text;
		unsigned line;
	} cases[] = {
		{ "alice veth burrowbr0\n", 1 },
		{ "alice veth burrowbr0 2 extra\n", 1 },
		{ "# ok\nalice macvlan burrowbr0 2\n", 2 },
		{ "alice veth burrowbr0 -1\n", 1 },
		{ "alice veth burrowbr0 2x\n", 1 },
		{ "alice veth burrowbr0 10000\n", 1 },
		{ "alice veth burrowbr0 99999999999999999999\n", 1 },
		{ "alice veth ../etc 2\n", 1 },
		{ "alice veth averyveryverylongbridge 2\n", 1 },
		{ "@ veth burrowbr0 2\n", 1 },
		{ "bob veth burrowbr0 1\n\nalice\n", 3 },
	};
	struct usernet_rule r;
	unsigned bad;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* Malformed anywhere refuses everyone, also users it does not name. */
		ck_assert_msg(lookup(cases[i].text, "bob", "burrowbr0", &r, &bad) == -EINVAL,
			      "case %zu accepted", i);
		ck_assert_uint_eq(bad, cases[i].line);
		ck_assert_uint_eq(r.line, 0);
	}
}
END_TEST

START_TEST(test_ifname)
{
	char longest[NET_IFNAME_MAX + 2];

	ck_assert(net_ifname_valid("burrowbr0"));
	ck_assert(net_ifname_valid("a.b-c_d"));
	memset(longest, 'a', NET_IFNAME_MAX);
	longest[NET_IFNAME_MAX] = '\0';
	ck_assert(net_ifname_valid(longest));
	longest[NET_IFNAME_MAX] = 'a';
	longest[NET_IFNAME_MAX + 1] = '\0';
	ck_assert(!net_ifname_valid(longest));
	ck_assert(!net_ifname_valid(""));
	ck_assert(!net_ifname_valid("."));
	ck_assert(!net_ifname_valid(".."));
	ck_assert(!net_ifname_valid("../x"));
	ck_assert(!net_ifname_valid("a/b"));
	ck_assert(!net_ifname_valid("a b"));
	ck_assert(!net_ifname_valid("a:b"));
}
END_TEST

START_TEST(test_pid)
{
	pid_t p = 0;

	ck_assert_int_eq(net_parse_pid("1", &p), 0);
	ck_assert_int_eq(p, 1);
	ck_assert_int_eq(net_parse_pid("2147483647", &p), 0);
	ck_assert_int_eq(p, 2147483647);
	ck_assert_int_eq(net_parse_pid("2147483648", &p), -ERANGE);
	ck_assert_int_eq(net_parse_pid("0", &p), -EINVAL);
	ck_assert_int_eq(net_parse_pid("012", &p), -EINVAL);
	ck_assert_int_eq(net_parse_pid("-1", &p), -EINVAL);
	ck_assert_int_eq(net_parse_pid("+1", &p), -EINVAL);
	ck_assert_int_eq(net_parse_pid(" 1", &p), -EINVAL);
	ck_assert_int_eq(net_parse_pid("", &p), -EINVAL);
	ck_assert_int_eq(net_parse_pid("/proc/1/ns/net", &p), -EINVAL);
	ck_assert_int_eq(net_parse_pid("99999999999", &p), -EINVAL);
}
END_TEST

START_TEST(test_hwaddr)
{
	uint8_t m[6];

	ck_assert_int_eq(net_parse_hwaddr("02:AB:cd:00:11:ff", m), 0);
	ck_assert_uint_eq(m[0], 0x02);
	ck_assert_uint_eq(m[1], 0xab);
	ck_assert_uint_eq(m[5], 0xff);
	ck_assert_int_eq(net_parse_hwaddr("01:00:5e:00:00:01", m), -EINVAL); /* multicast */
	ck_assert_int_eq(net_parse_hwaddr("00:00:00:00:00:00", m), -EINVAL);
	ck_assert_int_eq(net_parse_hwaddr("02:00:00:00:00", m), -EINVAL);
	ck_assert_int_eq(net_parse_hwaddr("02-00-00-00-00-01", m), -EINVAL);
	ck_assert_int_eq(net_parse_hwaddr("02:00:00:00:00:0g", m), -EINVAL);
	ck_assert_int_eq(net_parse_hwaddr("02:00:00:00:00:011", m), -EINVAL);
}
END_TEST

START_TEST(test_host_name)
{
	char n[NET_IFNAME_MAX + 1];

	ck_assert_int_eq(net_host_name(1000, 0, n), 0);
	ck_assert_str_eq(n, "bn1000-0");
	ck_assert_int_eq(net_host_name(4294967294u, 99, n), 0);
	ck_assert_str_eq(n, "bn4294967294-99");
	ck_assert(net_ifname_valid(n));
	ck_assert_int_eq(net_host_name(4294967294u, 100, n), -ENAMETOOLONG);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("usernet");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_quota_match);
	tcase_add_test(tc, test_quota_malformed);
	tcase_add_test(tc, test_ifname);
	tcase_add_test(tc, test_pid);
	tcase_add_test(tc, test_hwaddr);
	tcase_add_test(tc, test_host_name);
	suite_add_tcase(s, tc);
	return fixture_run_suite(s);
}
