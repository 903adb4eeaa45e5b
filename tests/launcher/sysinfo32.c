/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An i386 caller of sysinfo(2), with no libc (Debian's gcc -m32 links
 * without multilib's crt files this way): prints what the kernel, or the
 * agent, wrote into the 32-bit struct, as "key value" lines.
 */
#include <stdint.h>

struct sysinfo32 {
	int32_t uptime;
	uint32_t loads[3];
	uint32_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	uint16_t procs, pad;
	uint32_t totalhigh, freehigh, mem_unit;
	char f[8];
};

static long sys3(long nr, long a, long b, long c)
{
	long r;

	__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	return r;
}

static char out[512];
static unsigned len;

static void put(const char *key, uint64_t v)
{
	char num[24];
	int n = 0;

	while (*key)
		out[len++] = *key++;
	out[len++] = ' ';
	do
		num[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < 24);
	while (n)
		out[len++] = num[--n];
	out[len++] = '\n';
}

void _start(void);
void _start(void)
{
	struct sysinfo32 si = { 0 };
	long r = sys3(116, (long)&si, 0, 0);

	put("error", (uint64_t)-r);
	put("totalram", (uint64_t)si.totalram * si.mem_unit);
	put("freeram", (uint64_t)si.freeram * si.mem_unit);
	put("mem_unit", si.mem_unit);
	put("uptime", (uint64_t)si.uptime);
	sys3(4, 1, (long)out, len);
	sys3(1, 0, 0, 0);
	for (;;)
		;
}
