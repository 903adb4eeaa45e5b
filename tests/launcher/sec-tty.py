#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# A terminal with a shell on it, as a user has: runs CMD on a fresh pty of
# 33x101, then, on the same terminal, an interactive sh that reads whatever
# is left in the terminal's input queue (what a guest pushed there with
# TIOCSTI runs there, as in the host shell after `burrow attach`), and exits.
#
#   sec-tty.py [--resize-after TEXT] -- CMD ARGS...
#
# --resize-after: once TEXT appears in the output, the terminal becomes
# 40x120 (the kernel sends SIGWINCH to CMD). Prints all the terminal showed.
import fcntl
import os
import pty
import select
import struct
import sys
import termios
import time

args = sys.argv[1:]
resize_after = None
if args[:1] == ["--resize-after"]:
    resize_after = args[1].encode()
    args = args[2:]
if args[:1] == ["--"]:
    args = args[1:]


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


pid, fd = pty.fork()
if pid == 0:
    set_size(0, 33, 101)
    os.execv("/bin/sh", ["sh", "-c", '"$@"; echo "@@exited $?"; exec sh -i', "sh"] + args)
out = b""


def pump(seconds, until=None):
    global out, resize_after
    end = time.time() + seconds
    while time.time() < end:
        if until and until in out:
            return True
        if resize_after and resize_after in out:
            set_size(fd, 40, 120)
            resize_after = None
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                data = os.read(fd, 4096)
            except OSError:
                return False
            if not data:
                return False
            out += data
    return False


pump(120, b"@@exited")
# The shell now reads the terminal: an injected line runs, then our exit.
pump(1)
os.write(fd, b"exit\n")
pump(5)
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
sys.exit(0)
