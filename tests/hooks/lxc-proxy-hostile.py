#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A hostile sender on burrowfs's LXC seccomp proxy socket (argv[1]).

A victim process of our own holds a zeroed buffer. Messages in LXC's format
name the victim as the caller of sysinfo with that buffer, but with fds that
are not the victim's, or with a listener that is no seccomp listener; a
message with made-up sizes. Prints "key value" lines: the error each reply
carries, whether the connection was closed, and whether the victim's buffer
is still all zeros (nothing may be written).
"""
import ctypes
import os
import socket
import struct
import subprocess
import sys

VICTIM = r'''
import ctypes, sys
buf = ctypes.create_string_buffer(256)
print(ctypes.addressof(buf), flush=True)
sys.stdin.readline()
print("zero" if buf.raw == bytes(256) else "written", flush=True)
'''

libc = ctypes.CDLL(None, use_errno=True)
sizes = (ctypes.c_uint16 * 3)()
if libc.syscall(317, 3, 0, sizes) != 0:  # seccomp(SECCOMP_GET_NOTIF_SIZES)
    sys.exit("SECCOMP_GET_NOTIF_SIZES failed")
NOTIF, RESP = sizes[0], sizes[1]


def message(pid, addr, notif_size=NOTIF, resp_size=RESP):
    hdr = struct.pack("<QiiHHHHQ", 0, os.getpid(), pid, notif_size, resp_size, sizes[2], 0, 0)
    data = struct.pack("<iIQ6Q", 99, 0xC000003E, 0, addr, 0, 0, 0, 0, 0)  # x86_64 sysinfo
    notif = struct.pack("<QII", 12345, pid, 0) + data
    return hdr + notif.ljust(notif_size, b"\0") + bytes(resp_size)


def ask(path, msg, fds):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(10)
    s.connect(path)
    s.sendmsg([msg], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("%di" % len(fds), *fds))])
    reply = s.recv(4096)
    s.close()
    if not reply:
        return "closed"
    return str(struct.unpack_from("<i", reply, 32 + NOTIF + 16)[0])


victim = subprocess.Popen([sys.executable, "-c", VICTIM], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True)
addr = int(victim.stdout.readline())
vpid = victim.pid
self_dir = os.open("/proc/self", os.O_RDONLY | os.O_DIRECTORY)
self_mem = os.open("/proc/self/mem", os.O_RDWR)
v_dir = os.open("/proc/%d" % vpid, os.O_RDONLY | os.O_DIRECTORY)
v_mem = os.open("/proc/%d/mem" % vpid, os.O_RDWR)
v_mem_ro = os.open("/proc/%d/mem" % vpid, os.O_RDONLY)
null = os.open("/dev/null", os.O_RDWR)
path = sys.argv[1]

print("foreign_fds", ask(path, message(vpid, addr), [self_dir, self_mem, null]))
print("foreign_mem", ask(path, message(vpid, addr), [v_dir, self_mem, null]))
print("readonly_mem", ask(path, message(vpid, addr), [v_dir, v_mem_ro, null]))
print("no_listener", ask(path, message(vpid, addr), [v_dir, v_mem, null]))
print("two_fds", ask(path, message(vpid, addr), [v_dir, v_mem]))
print("bad_sizes", ask(path, message(vpid, addr, NOTIF + 8), [v_dir, v_mem, null]))
victim.stdin.write("\n")
victim.stdin.flush()
print("victim", victim.stdout.readline().strip())
victim.wait()
