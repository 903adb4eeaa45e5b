#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# burrow console NAME on a pty: wait for the login prompt, then detach with
# the documented escape (Ctrl-a q). Prints what the console showed and exits
# with burrow's status.
import os
import pty
import select
import sys
import time

pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "console", sys.argv[2]])
out = b""


def pump(seconds, until=None):
    global out
    end = time.time() + seconds
    while time.time() < end:
        if until and until in out:
            return
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                out += os.read(fd, 4096)
            except OSError:
                return


pump(2, b"Ctrl-a q")
os.write(fd, b"\r")
pump(5, b"login:")
os.write(fd, b"\x01q")
pump(5, b"Detached")
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
