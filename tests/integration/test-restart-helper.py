#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Helpers of test-restart*.sh and test-races*.sh.

reader STOPFILE LOG MEMTOTAL_KB [FILE...]
    Runs inside a test container (pid 1 of its own pid namespace, burrowfs's
    files bound over /proc and /sys/devices/system/cpu). Threads read in a
    loop until STOPFILE exists:
      - "meminfo": open, read whole, close /proc/meminfo; MemTotal must be
        MEMTOTAL_KB, or with "any" each new value is logged ("VAL start_ns
        meminfo|held value");
      - "held": one /proc/meminfo and one sysfs file opened once, read again
        and again with pread (handles that outlive a daemon);
      - "files": every FILE in turn (whole reads, no value check);
      - "sysfs": stat and read of /sys/devices/system/cpu/cpu0/... (dynamic
        inodes), and a listing of /sys/devices/system/cpu.
    LOG gets, as they happen (flushed): "TICK now_ns reads" twice a second,
    "SLOW start_ns ms thread" for reads slower than 2 ms, "ERR start_ns thread errno what", "WRONG start_ns
    value", and at the end "COUNT thread n" per thread and "DONE".

journal FILE
    Prints how many requests the journal FILE holds unanswered, and their
    opcodes.

systemd UNIT_CGROUP_PROCS MOUNTPOINT BURROWFS CONTROL_FIFO STATUS [OPTION...]
    A stand-in for systemd running burrowfs.service (Type=notify, fd store,
    KillMode=control-group): starts burrowfs with NOTIFY_SOCKET, keeps what
    it stores with FDSTORE=1 (by FDNAME, FDSTOREREMOVE=1 drops a name), and
    reads commands from CONTROL_FIFO, one per line:
      restart   SIGTERM to every process of the unit's cgroup, wait, start
                again with the fd store as LISTEN_FDS/LISTEN_FDNAMES;
      crash     SIGKILL to the main process, then as after a failure: SIGTERM
                to the rest of the cgroup, start again;
      stop      the unit's ExecStop= for a stop job (burrowfs --stop
                MOUNTPOINT; on a restart or a crash it does nothing), then
                SIGTERM to the cgroup, wait, close the fd store; exit.
    STATUS gets "READY pid", "STORE name1,name2,..." after every change,
    "STOPPED" and errors, one per line.
"""

import errno
import os
import select
import signal
import socket
import sys
import threading
import time

SLOW_NS = 2 * 1000 * 1000


class Log:
    def __init__(self, path):
        self.f = open(path, "a", buffering=1)
        self.lock = threading.Lock()

    def put(self, line):
        with self.lock:
            self.f.write(line + "\n")


def read_whole(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        out = b""
        while True:
            c = os.read(fd, 65536)
            if not c:
                return out
            out += c
    finally:
        os.close(fd)


def memtotal(text):
    for line in text.decode().splitlines():
        if line.startswith("MemTotal:"):
            return line.split()[1]
    return None


def timed(log, name, fn):
    """Runs fn; logs slowness and errors. Returns fn's result or None."""
    t0 = time.time_ns()
    m0 = time.monotonic_ns()
    try:
        res = fn()
    except OSError as e:
        log.put("ERR %d %s %s %s" % (t0, name, errno.errorcode.get(e.errno, e.errno),
                                      getattr(e, "filename", "")))
        res = None
    dt = time.monotonic_ns() - m0
    if dt > SLOW_NS:
        log.put("SLOW %d %.1f %s" % (t0, dt / 1e6, name))
    return res


def reader(argv):
    stop, logpath, want = argv[0], argv[1], argv[2]
    files = argv[3:]
    log = Log(logpath)
    counts = {}

    seen = {}

    def check(what, got):
        # "any": the container moves between cgroups; log each value it sees.
        if want == "any":
            if seen.get(what) != got:
                seen[what] = got
                log.put("VAL %d %s %s" % (time.time_ns(), what, got))
        elif got != want:
            log.put("WRONG %d %s %s" % (time.time_ns(), what, got))

    def meminfo():
        n = 0
        tick = time.monotonic()
        while not os.path.exists(stop):
            text = timed(log, "meminfo", lambda: read_whole("/proc/meminfo"))
            if text is not None:
                check("meminfo", memtotal(text))
            n += 1
            # Proof of progress for the test, twice a second.
            if time.monotonic() - tick > 0.5:
                tick = time.monotonic()
                log.put("TICK %d %d" % (time.time_ns(), n))
        counts["meminfo"] = n

    def held():
        fds = [os.open("/proc/meminfo", os.O_RDONLY),
               os.open("/sys/devices/system/cpu/cpu0/topology/core_id", os.O_RDONLY)]
        n = 0
        while not os.path.exists(stop):
            text = timed(log, "held-meminfo", lambda: os.pread(fds[0], 65536, 0))
            if text is not None:
                check("held", memtotal(text))
            timed(log, "held-sysfs", lambda: os.pread(fds[1], 4096, 0))
            n += 1
            time.sleep(0.002)
        for fd in fds:
            os.close(fd)
        counts["held"] = n

    def many():
        n = 0
        while not os.path.exists(stop):
            for f in files:
                timed(log, "file:" + f, lambda: read_whole(f))
            n += 1
        counts["files"] = n

    def sysfs():
        n = 0
        base = "/sys/devices/system/cpu"
        while not os.path.exists(stop):
            timed(log, "sysfs-list", lambda: os.listdir(base))
            timed(log, "sysfs-stat", lambda: os.stat(base + "/cpu0/topology"))
            timed(log, "sysfs-read", lambda: read_whole(base + "/cpu0/topology/core_id"))
            timed(log, "sysfs-online", lambda: read_whole(base + "/online"))
            n += 1
            time.sleep(0.001)
        counts["sysfs"] = n

    threads = [threading.Thread(target=t) for t in (meminfo, held, many, sysfs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k, v in sorted(counts.items()):
        log.put("COUNT %s %d" % (k, v))
    log.put("DONE")


# ---- fake systemd ---------------------------------------------------------------

class Unit:
    def __init__(self, procs, mnt, burrowfs, status, options):
        self.procs, self.mnt, self.burrowfs, self.options = procs, mnt, burrowfs, options
        self.status = open(status, "a", buffering=1)
        self.store = []  # (name, fd)
        self.sock_path = os.path.join(os.path.dirname(status), "notify.sock")
        if os.path.exists(self.sock_path):
            os.unlink(self.sock_path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.sock_path)
        self.main = None

    def say(self, line):
        self.status.write(line + "\n")

    def start(self):
        names = [n for n, _ in self.store]
        fds = [fd for _, fd in self.store]
        pid = os.fork()
        if pid == 0:
            try:
                with open(self.procs, "w") as f:
                    f.write("0\n")
                # Above every number the target range may hold, then into 3...
                tmp = [os.dup(fd) for fd in fds]
                high = [os.dup2(t, 200 + i) for i, t in enumerate(tmp)]
                for i in range(len(high)):
                    os.dup2(200 + i, 3 + i)
                env = dict(os.environ, NOTIFY_SOCKET=self.sock_path)
                if fds:
                    env.update(LISTEN_FDS=str(len(fds)), LISTEN_PID=str(os.getpid()),
                               LISTEN_FDNAMES=":".join(names))
                os.closerange(3 + len(fds), 1024)
                os.execve(self.burrowfs, [self.burrowfs] + self.options + [self.mnt], env)
            finally:
                os._exit(127)
        self.main = pid
        self.wait_ready()

    def wait_ready(self, timeout=10):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not self.pump(0.1):
                continue
            if self.ready:
                self.say("READY %d" % self.main)
                return
        self.say("ERROR not ready")

    def pump(self, timeout):
        """One notify message, if any. True when one came."""
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            return False
        msg, fds, _, _ = socket.recv_fds(self.sock, 4096, 16)
        fields = dict(l.split("=", 1) for l in msg.decode().splitlines() if "=" in l)
        self.ready = getattr(self, "ready", False) or fields.get("READY") == "1"
        if fields.get("FDSTOREREMOVE") == "1":
            keep = []
            for n, fd in self.store:
                if n == fields.get("FDNAME"):
                    os.close(fd)
                else:
                    keep.append((n, fd))
            self.store = keep
        if fields.get("FDSTORE") == "1":
            name = fields.get("FDNAME", "stored")
            for fd in fds:
                # systemd keeps one copy of the same open file.
                if any(same_file(fd, other) for _, other in self.store):
                    os.close(fd)
                elif fields.get("FDPOLL") != "0" and not pollable(fd):
                    self.say("REJECTED %s (not pollable; send FDPOLL=0)" % name)
                    os.close(fd)
                else:
                    self.store.append((name, fd))
        else:
            for fd in fds:
                os.close(fd)
        self.say("STORE " + ",".join(sorted(n for n, _ in self.store)))
        return True

    def cgroup_pids(self):
        with open(self.procs) as f:
            return [int(p) for p in f.read().split()]

    def kill_cgroup(self, sig):
        for p in self.cgroup_pids():
            try:
                os.kill(p, sig)
            except ProcessLookupError:
                pass

    def wait_main(self, timeout=5):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.pump(0)
            pid, _ = os.waitpid(self.main, os.WNOHANG)
            if pid:
                return True
            time.sleep(0.005)
        return False

    def wait_cgroup_empty(self, timeout=5):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.pump(0)
            if not self.cgroup_pids():
                return True
            time.sleep(0.01)
        self.kill_cgroup(signal.SIGKILL)
        return False

    def drain(self):
        while self.pump(0):
            pass

    def stop_all(self, sig=signal.SIGTERM):
        self.ready = False
        self.kill_cgroup(sig)
        self.wait_main()
        self.wait_cgroup_empty()
        self.drain()

    def crash(self):
        self.ready = False
        os.kill(self.main, signal.SIGKILL)
        self.wait_main()
        self.kill_cgroup(signal.SIGTERM)
        self.wait_cgroup_empty()
        self.drain()


def same_file(a, b):
    """Whether two fds are one open file (systemd dedupes its store so)."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    pid = os.getpid()
    # kcmp(pid, pid, KCMP_FILE, a, b): x86_64 syscall 312.
    return libc.syscall(312, pid, pid, 0, a, b) == 0


def pollable(fd):
    """Whether systemd may keep fd in its store with polling on (the default):
    it watches each stored fd with epoll and refuses one epoll_ctl() rejects
    with EBADF (an O_PATH fd, such as open_tree()'s), while EPERM (a regular
    file, a memfd) only means "never signalled"."""
    ep = select.epoll()
    try:
        ep.register(fd, 0)
    except OSError as e:
        return e.errno != errno.EBADF
    finally:
        ep.close()
    return True


def systemd(argv):
    procs, mnt, burrowfs, fifo, status = argv[:5]
    unit = Unit(procs, mnt, burrowfs, status, argv[5:])
    unit.start()
    ctl = os.open(fifo, os.O_RDWR)
    buf = b""
    while True:
        r, _, _ = select.select([ctl, unit.sock], [], [], 1)
        if unit.sock in r:
            unit.pump(0)
        if ctl not in r:
            continue
        buf += os.read(ctl, 4096)
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            cmd = line.decode().strip()
            if cmd == "restart":
                unit.stop_all()
                unit.start()
            elif cmd == "crash":
                unit.crash()
                unit.start()
            elif cmd == "stop":
                import subprocess
                subprocess.run([unit.burrowfs, "--stop", unit.mnt], timeout=30,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                unit.stop_all()
                for _, fd in unit.store:
                    os.close(fd)
                unit.store = []
                unit.say("STOPPED")
                return 0
            unit.say("DID " + cmd)


# fs/persist/journal.h: JOURNAL_SLOTS, JOURNAL_SLOT_SIZE (JOURNAL_MAX_WRITE + 8192).
JOURNAL_SLOTS = 128
JOURNAL_SLOT_SIZE = (128 << 10) + 8192
NO_REPLY = {2, 36, 38, 41, 42}  # FORGET, INTERRUPT, DESTROY, NOTIFY_REPLY, BATCH_FORGET


def journal(argv):
    """Requests a daemon read and has not answered, from its journal (the
    layout of fs/persist/journal.c: a 4096-byte header, then the slots, each the
    request as read from /dev/fuse, its unique 0 once answered)."""
    import struct
    ops = []
    with open(argv[0], "rb") as f:
        for i in range(JOURNAL_SLOTS):
            f.seek(4096 + i * JOURNAL_SLOT_SIZE)
            length, opcode, unique = struct.unpack("<IIQ", f.read(16))
            if unique and opcode not in NO_REPLY:
                ops.append(str(opcode))
    print(len(ops), ",".join(ops))


if __name__ == "__main__":
    if sys.argv[1] == "reader":
        reader(sys.argv[2:])
    elif sys.argv[1] == "journal":
        journal(sys.argv[2:])
    elif sys.argv[1] == "systemd":
        sys.exit(systemd(sys.argv[2:]))
    else:
        sys.exit("unknown command " + sys.argv[1])
