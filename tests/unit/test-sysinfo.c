/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>

#include "fixture.h"
#include "macro.h"
#include "ocistate.h"
#include "sysinfo.h"

static const struct burrow_opts swap_on = { .swap = true };
static const unsigned long no_load[3] = { 0, 0, 0 };

/* The figures of the container's /proc/meminfo as burrowfs renders it from the fixture. */
static void meminfo_of(const char *name, struct burrow_meminfo *ret)
{
	_cleanup_close_ int root = fixture_root(name);
	_cleanup_free_ char *host = fixture_read(name, "proc/meminfo");
	struct burrow_container c;
	struct burrow_mem m;

	_cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
	const char *keys[] = { "MemTotal", "MemFree", "Shmem", "Buffers", "SwapTotal", "SwapFree" };
	uint64_t kb;

	fixture_container(root, &c);
	ck_assert_int_eq(burrow_gather_mem(root, &c, &m), 0);
	burrow_container_done(&c);
	ck_assert_int_eq(burrow_meminfo_figures(&m, host, &swap_on, ret), 0);
	/* Each figure is what the rendered file says on its line, to the kB. */
	ck_assert_int_eq(burrow_render_meminfo(&m, host, &swap_on, &out), 0);
	for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
		const uint64_t got[] = { ret->total,   ret->free,	ret->shared,
					 ret->buffers, ret->swap_total, ret->swap_free };

		ck_assert_int_eq(keyval_u64(out.buf, keys[i], &kb), 0);
		ck_assert_uint_eq(got[i], kb * 1024);
	}
	/* Without MemTotal there is nothing to answer; a missing Shmem reads as 0. */
	ck_assert_int_eq(burrow_meminfo_figures(&m, "MemFree: 1 kB\n", &swap_on, ret), -EINVAL);
}

/* A line of the fixture's hand-checked expected/meminfo, in bytes. */
static uint64_t expected_bytes(const char *name, const char *key)
{
	_cleanup_free_ char *text = fixture_expected(name, "meminfo");
	uint64_t kb;

	ck_assert_msg(keyval_u64(text, key, &kb) == 0, "%s: no %s", name, key);
	return kb * 1024;
}

static void check_fixture(const char *name, uint64_t total, uint64_t free_bytes)
{
	struct burrow_meminfo mem;
	struct burrow_sysinfo s;

	meminfo_of(name, &mem);
	ck_assert_int_eq(burrow_sysinfo_fill(&mem, "12.00 3.00\n", no_load, 7, &s), 0);
	/* The README's arithmetic from the cgroup files, then the rest of expected/. */
	ck_assert_uint_eq(s.totalram, total);
	ck_assert_uint_eq(s.freeram, free_bytes);
	ck_assert_uint_eq(s.sharedram, expected_bytes(name, "Shmem"));
	ck_assert_uint_eq(s.bufferram, expected_bytes(name, "Buffers"));
	ck_assert_uint_eq(s.totalswap, expected_bytes(name, "SwapTotal"));
	ck_assert_uint_eq(s.freeswap, expected_bytes(name, "SwapFree"));
	ck_assert_uint_eq(s.uptime, 12);
	ck_assert_uint_eq(s.procs, 7);
}

START_TEST(test_v2)
{
	/* sample/child/memory.max 200 MiB, memory.current 380928: MemFree to the kB. */
	check_fixture("mem-v2-sample", 209715200, (209715200 - 380928) / 1024 * 1024);
}
END_TEST

START_TEST(test_v1)
{
	/* The parent lxc's 512 MiB wins over c1's 1 GiB; usage 400 MiB. */
	check_fixture("mem-v1-nested", 536870912, 536870912 - 419430400);
}
END_TEST

START_TEST(test_uptime_rounds_up)
{
	const struct burrow_meminfo mi = { .total = 4096, .free = 1024 };
	struct burrow_sysinfo s;

	ck_assert_int_eq(burrow_sysinfo_fill(&mi, "41.01 0.00\n", no_load, 0, &s), 0);
	ck_assert_uint_eq(s.uptime, 42);
	ck_assert_int_eq(burrow_sysinfo_fill(&mi, "41.00 0.00\n", no_load, 0, &s), 0);
	ck_assert_uint_eq(s.uptime, 41);
	ck_assert_int_eq(burrow_sysinfo_fill(&mi, "x\n", no_load, 0, &s), -EINVAL);
}
END_TEST

START_TEST(test_loads)
{
	/* 1.50 in FSHIFT 11 is 3072; sysinfo's SI_LOAD_SHIFT 16 makes it 98304. */
	const unsigned long avenrun[3] = { 3072, 2048, 1 };
	struct burrow_sysinfo s;

	const struct burrow_meminfo mi = { .total = 4096, .free = 1024 };

	ck_assert_int_eq(burrow_sysinfo_fill(&mi, "1\n", avenrun, 0, &s), 0);
	ck_assert_uint_eq(s.loads[0], 98304);
	ck_assert_uint_eq(s.loads[1], 65536);
	ck_assert_uint_eq(s.loads[2], 32);
}
END_TEST

static const struct burrow_sysinfo sample = {
	.uptime = 77,
	.loads = { 98304, 65536, 32 },
	.totalram = 314572800,
	.freeram = 300000000,
	.sharedram = 4096,
	.bufferram = 0,
	.totalswap = 104857600,
	.freeswap = 104857000,
	.procs = 70000, /* wraps in the u16 as the kernel's does */
};

/* The 64-bit layout is glibc's struct sysinfo on this (LP64) build. */
START_TEST(test_encode_native)
{
	unsigned char buf[BURROW_SYSINFO_SIZE_64];
	struct sysinfo si;

	ck_assert_uint_eq(sizeof(si), BURROW_SYSINFO_SIZE_64);
	ck_assert_uint_eq(burrow_sysinfo_encode(&sample, false, buf), sizeof(si));
	memcpy(&si, buf, sizeof(si));
	ck_assert_int_eq(si.uptime, 77);
	ck_assert_uint_eq(si.loads[0], 98304);
	ck_assert_uint_eq(si.loads[2], 32);
	ck_assert_uint_eq(si.totalram, 314572800);
	ck_assert_uint_eq(si.freeram, 300000000);
	ck_assert_uint_eq(si.sharedram, 4096);
	ck_assert_uint_eq(si.bufferram, 0);
	ck_assert_uint_eq(si.totalswap, 104857600);
	ck_assert_uint_eq(si.freeswap, 104857000);
	ck_assert_uint_eq(si.procs, (uint16_t)70000);
	ck_assert_uint_eq(si.totalhigh, 0);
	ck_assert_uint_eq(si.mem_unit, 1);
}
END_TEST

/* i386's struct sysinfo (and the kernel's compat_sysinfo): every field 32 bits. */
struct sysinfo32 {
	int32_t uptime;
	uint32_t loads[3];
	uint32_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	uint16_t procs, pad;
	uint32_t totalhigh, freehigh, mem_unit;
	char f[8];
};

static struct sysinfo32 encode32(const struct burrow_sysinfo *s)
{
	unsigned char buf[BURROW_SYSINFO_SIZE_64];
	struct sysinfo32 si;

	_Static_assert(sizeof(si) == BURROW_SYSINFO_SIZE_32, "i386 layout");
	_Static_assert(offsetof(struct sysinfo32, mem_unit) == 52, "i386 layout");
	ck_assert_uint_eq(burrow_sysinfo_encode(s, true, buf), BURROW_SYSINFO_SIZE_32);
	memcpy(&si, buf, sizeof(si));
	return si;
}

START_TEST(test_encode_compat_fits)
{
	struct sysinfo32 si = encode32(&sample);

	ck_assert_int_eq(si.uptime, 77);
	ck_assert_uint_eq(si.loads[0], 98304);
	ck_assert_uint_eq(si.mem_unit, 1);
	ck_assert_uint_eq(si.totalram, 314572800);
	ck_assert_uint_eq(si.freeram, 300000000);
	ck_assert_uint_eq(si.totalswap, 104857600);
	ck_assert_uint_eq(si.procs, (uint16_t)70000);
}
END_TEST

START_TEST(test_encode_compat_scaled)
{
	struct burrow_sysinfo big = sample;
	struct sysinfo32 si;

	/* 24 GiB of RAM does not fit 32 bits of bytes: pages do (as an i386 caller sees here). */
	big.totalram = 24ull << 30;
	big.freeram = (20ull << 30) + 7;
	si = encode32(&big);
	ck_assert_uint_eq(si.mem_unit, 4096);
	ck_assert_uint_eq((uint64_t)si.totalram * si.mem_unit, big.totalram);
	ck_assert_uint_eq((uint64_t)si.freeram * si.mem_unit, 20ull << 30);
	ck_assert_uint_eq((uint64_t)si.sharedram * si.mem_unit, 4096);
	ck_assert_uint_eq((uint64_t)si.totalswap * si.mem_unit, 104857600);
	/* Exactly 4 GiB is one past UINT32_MAX. */
	big.totalram = 4ull << 30;
	big.freeram = 0;
	si = encode32(&big);
	ck_assert_uint_eq(si.mem_unit, 4096);
	ck_assert_uint_eq(si.totalram, 1u << 20);
	/* Swap alone can make the switch; 32 TiB saturates rather than wraps. */
	big.totalram = 300ull << 20;
	big.totalswap = 32ull << 40;
	si = encode32(&big);
	ck_assert_uint_eq(si.mem_unit, 4096);
	ck_assert_uint_eq(si.totalram, 76800);
	ck_assert_uint_eq(si.totalswap, UINT32_MAX);
}
END_TEST

/* What runc sends (libcontainer/seccomp's ContainerProcessState), and worse. */
START_TEST(test_oci_state)
{
	static const char runc[] =
		"{\"ociVersion\":\"1.0.2\",\"fds\":[\"seccompFd\"],\"pid\":4242,"
		"\"metadata\":\"x\",\"state\":{\"ociVersion\":\"1.0.2\",\"id\":\"c1\","
		"\"status\":\"creating\",\"pid\":4242,\"bundle\":\"/b\"}}";
	static const char two[] = "{ \"fds\" : [ \"pidFd\" , \"seccompFd\" ] }";
	/* A "fds" key nested, or inside a string, is not the state's. */
	static const char nested[] =
		"{\"metadata\":\"\\\"fds\\\":[\\\"seccompFd\\\"]\","
		"\"state\":{\"fds\":[\"seccompFd\"]},\"fds\":[\"other\",\"seccompFd\"]}";

	ck_assert_int_eq(burrow_oci_state_fd_index(runc, strlen(runc), "seccompFd"), 0);
	ck_assert_int_eq(burrow_oci_state_fd_index(two, strlen(two), "seccompFd"), 1);
	ck_assert_int_eq(burrow_oci_state_fd_index(nested, strlen(nested), "seccompFd"), 1);
	ck_assert_int_eq(burrow_oci_state_fd_index("{\"fds\":[]}", 10, "seccompFd"), -ENOENT);
	ck_assert_int_eq(burrow_oci_state_fd_index("{\"pid\":1}", 9, "seccompFd"), -ENOENT);
	ck_assert_int_eq(burrow_oci_state_fd_index("{\"fds\":[1]}", 11, "seccompFd"), -EBADMSG);
	ck_assert_int_eq(burrow_oci_state_fd_index("{\"fds\":[\"seccompFd", 18, "seccompFd"),
			 -EBADMSG);
	/* Not terminated: the length bounds the scan. */
	ck_assert_int_eq(burrow_oci_state_fd_index(two, 10, "seccompFd"), -EBADMSG);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sysinfo");
	TCase *tc = tcase_create("sysinfo");

	tcase_add_test(tc, test_v2);
	tcase_add_test(tc, test_v1);
	tcase_add_test(tc, test_uptime_rounds_up);
	tcase_add_test(tc, test_loads);
	tcase_add_test(tc, test_encode_native);
	tcase_add_test(tc, test_encode_compat_fits);
	tcase_add_test(tc, test_encode_compat_scaled);
	tcase_add_test(tc, test_oci_state);
	suite_add_tcase(s, tc);
	return fixture_run_suite(s);
}
