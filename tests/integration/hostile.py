# SPDX-License-Identifier: LGPL-2.1-or-later
"""hostile.py COMMAND ...: the hostile readers of test-hostile.sh.

Containers here are a process that joins the given cgroup.procs files, then
unshares a pid namespace and forks its init, which reads the burrowfs mount
directly (no bind mounts are needed: burrowfs answers by the reader's pid
namespace and cgroups).

Every command prints "key value" lines for the shell test to check, and ends
on its own within its time budget.
"""

import ctypes
import errno
import os
import random
import signal
import sys
import threading
import time

CLONE_NEWPID = 0x20000000
libc = ctypes.CDLL(None, use_errno=True)


def join(procs_files):
    for f in procs_files:
        with open(f, "w") as fh:
            fh.write(str(os.getpid()))


def unshare_pid():
    if libc.unshare(CLONE_NEWPID) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def memtotal(mnt):
    """MemTotal in kB from the mount's meminfo, or an errno name."""
    try:
        with open(os.path.join(mnt, "proc/meminfo")) as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return line.split()[1]
        return "nomemtotal"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))


def container(procs_files, body):
    """Fork a container whose init runs body(); returns (pid of the outer
    child, read end of a pipe carrying what body wrote)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            join(procs_files)
            unshare_pid()
            init = os.fork()
            if init == 0:
                out = os.fdopen(w, "w")
                try:
                    body(out)
                finally:
                    out.flush()
                    os._exit(0)
            os.close(w)
            _, st = os.waitpid(init, 0)
            os._exit(os.waitstatus_to_exitcode(st) & 0xff)
        except BaseException as e:  # noqa: B036 - report anything, then leave
            os.write(w, ("error %r\n" % e).encode())
            os._exit(1)
    os.close(w)
    return pid, r


def collect(pid, r, timeout):
    """What the container wrote, and its exit code (None: killed at timeout)."""
    deadline = time.monotonic() + timeout
    data = b""
    os.set_blocking(r, False)
    code = None
    while True:
        try:
            chunk = os.read(r, 65536)
            if chunk:
                data += chunk
        except BlockingIOError:
            pass
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(st)
            try:
                data += os.read(r, 1 << 20)
            except BlockingIOError:
                pass
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            break
        time.sleep(0.01)
    os.close(r)
    return data.decode(errors="replace"), code


def cmd_many(mnt, n, workers, procs_files):
    """n containers, each reading meminfo once; prints the MemTotal values seen."""
    counts = {}
    lock = threading.Lock()
    left = [n]

    def one(out):
        out.write(memtotal(mnt) + "\n")

    def worker():
        while True:
            with lock:
                if left[0] == 0:
                    return
                left[0] -= 1
            pid, r = container(procs_files, one)
            data, code = collect(pid, r, 30)
            v = data.strip() or "nothing(exit %s)" % code
            with lock:
                counts[v] = counts.get(v, 0) + 1

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for v, c in sorted(counts.items()):
        print("memtotal %s %d" % (v, c))


def cmd_readers_exit(mnt, seconds):
    """Readers killed at random points of open/read/close, many times over."""
    files = ["proc/meminfo", "proc/stat", "proc/cpuinfo", "proc/diskstats", "proc/uptime",
             "proc/loadavg", "sys/devices/system/cpu/online"]
    rnd = random.Random(1)
    end = time.monotonic() + seconds
    killed = 0
    while time.monotonic() < end:
        kids = []
        for _ in range(8):
            pid = os.fork()
            if pid == 0:
                while True:
                    f = os.path.join(mnt, rnd.choice(files))
                    try:
                        fd = os.open(f, os.O_RDONLY)
                        os.read(fd, rnd.choice([1, 7, 4096]))
                        os.pread(fd, 65536, rnd.randrange(0, 8192))
                        os.close(fd)
                    except OSError:
                        pass
            kids.append(pid)
        time.sleep(rnd.uniform(0.001, 0.05))
        for pid in kids:
            os.kill(pid, signal.SIGKILL)
        for pid in kids:
            os.waitpid(pid, 0)
            killed += 1
    print("killed %d" % killed)


def zombies_of_parent():
    """Zombie children of our parent (the init), by the host's /proc, which
    this namespace still has mounted."""
    parent = open("/proc/self/stat").read().rsplit(")", 1)[1].split()[1]
    n = 0
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            f = open("/proc/%s/stat" % p).read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        n += f[0] == "Z" and f[1] == parent
    return n


def cmd_zombies(mnt, procs_files, seconds):
    """A container full of zombies (children nobody reaps) and a reader whose
    thread-group leader is a zombie (it called pthread_exit)."""

    def body(out):
        for _ in range(20):
            if os.fork() == 0:
                os._exit(0)  # stays a zombie: the init never waits for it
        results = []
        end = time.monotonic() + seconds

        def reader():
            while time.monotonic() < end:
                for f in ("proc/stat", "proc/loadavg", "proc/meminfo"):
                    try:
                        with open(os.path.join(mnt, f)) as fh:
                            fh.read()
                        results.append("ok")
                    except OSError as e:
                        results.append(errno.errorcode.get(e.errno, str(e.errno)))
            summary = {}
            for x in results:
                summary[x] = summary.get(x, 0) + 1
            for k, v in sorted(summary.items()):
                out.write("read %s %d\n" % (k, v))
            out.write("zombies %d\n" % zombies_of_parent())
            out.flush()
            os._exit(0)

        # The reading thread's leader exits: it stays a zombie while the thread reads.
        pid = os.fork()
        if pid == 0:
            threading.Thread(target=reader).start()
            libc.pthread_exit(None)
        # The init outlives the reader so the namespace stays.
        os.waitpid(pid, 0)

    pid, r = container(procs_files, body)
    data, code = collect(pid, r, seconds + 20)
    sys.stdout.write(data)
    print("exit %s" % code)


def cmd_init_dies(mnt, procs_files, rounds):
    """The init of a namespace dies while its readers are mid-loop; the kernel
    kills them, and any read in flight must end, with data or an error."""
    total = {}
    for _ in range(rounds):
        r, w = os.pipe()

        def body(out):
            for _ in range(6):
                if os.fork() == 0:
                    n = 0
                    while True:
                        v = memtotal(mnt)
                        if n == 0 or not v.isdigit():
                            os.write(w, ("%s\n" % v).encode())
                        n += 1
            time.sleep(random.uniform(0.05, 0.3))
            os._exit(9)  # the init dies; its namespace goes with it

        pid, rr = container(procs_files, body)
        _, code = collect(pid, rr, 20)
        os.close(w)
        data = b""
        # Readers still inside a FUSE request would keep the pipe open: bound the wait.
        deadline = time.monotonic() + 15
        os.set_blocking(r, False)
        while time.monotonic() < deadline:
            try:
                chunk = os.read(r, 65536)
            except BlockingIOError:
                time.sleep(0.01)
                continue
            if not chunk:
                break
            data += chunk
        else:
            total["hung"] = total.get("hung", 0) + 1
        os.close(r)
        for v in data.decode().split():
            total[v] = total.get(v, 0) + 1
        total["init_exit_%s" % code] = total.get("init_exit_%s" % code, 0) + 1
    for k, v in sorted(total.items()):
        print("result %s %d" % (k, v))


def set_last_pid(v):
    with open("/proc/sys/kernel/ns_last_pid", "w") as fh:
        fh.write(str(v))


def cmd_pid_reuse(mnt, procs_a, procs_b, rounds):
    """Container A's init dies; container B's init is made to get the same
    host pid (ns_last_pid), and often the same pid namespace inode, which the
    kernel recycles. B must see B's limits, never A's."""
    for i in range(rounds):
        out = {}
        for name, procs in (("a", procs_a), ("b", procs_b)):
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(r)
                join(procs)
                unshare_pid()
                if name == "b":
                    try:
                        # The very next fork, the init's, gets A's old pid.
                        set_last_pid(out["a_pid"] - 1)
                    except OSError:
                        pass
                if os.fork() == 0:
                    # /proc is still the host's: /proc/self names the host pid.
                    os.write(w, ("%s %s %s\n" % (
                        os.readlink("/proc/self/ns/pid")[5:-1], memtotal(mnt),
                        open("/proc/self/stat").read().split()[0])).encode())
                    os._exit(0)
                os.wait()
                os._exit(0)
            os.close(w)
            data, _ = collect(pid, r, 20)
            p = data.split()
            ok = len(p) == 3
            out[name + "_ns"] = p[0] if ok else "?"
            out[name + "_mem"] = p[1] if ok else "?"
            out[name + "_pid"] = int(p[2]) if ok else -1
        print("round %d a_mem %s b_mem %s same_pid %d same_ns %d" % (
            i, out["a_mem"], out["b_mem"], out["a_pid"] == out["b_pid"],
            out["a_ns"] == out["b_ns"]))


def cmd_absurd(mnt, files):
    """Reads at absurd offsets and sizes: nothing past the end, no error
    other than the kernel's own for an offset it cannot represent."""
    for f in files:
        path = os.path.join(mnt, f)
        fd = os.open(path, os.O_RDONLY)
        try:
            whole = b""
            while True:
                c = os.pread(fd, 1 << 16, len(whole))
                if not c:
                    break
                whole += c
            cases = [("off2^62", 1 << 62, 4096), ("size0", 0, 0), ("size0-mid", 3, 0),
                     ("off2^63-1", (1 << 63) - 1, 1), ("off2^63-4096", (1 << 63) - 4096, 8192),
                     ("size1GiB", 0, 1 << 30), ("size1GiB-mid", 5, 1 << 30)]
            for name, off, size in cases:
                try:
                    got = os.pread(fd, size, off)
                    want = whole[off:off + size]
                    res = "ok" if got == want else "got %d bytes want %d" % (len(got), len(want))
                except OSError as e:
                    # The kernel refuses offset + size past 2^63 - 1 itself.
                    res = "ok" if e.errno in (errno.EOVERFLOW, errno.EINVAL) and \
                        off + size >= (1 << 63) else "error %s" % errno.errorcode[e.errno]
                print("absurd %s %s %s" % (f, name, res))
            os.lseek(fd, 1 << 62, os.SEEK_SET)
            print("absurd %s seek2^62-read %s" % (f, "ok" if os.read(fd, 100) == b"" else "data"))
        finally:
            os.close(fd)


def cmd_writes(mnt, files):
    """Every way of writing to a read-only file fails with EACCES (or EBADF
    where the kernel itself refuses), and nothing crashes."""
    def expect(name, fn, ok=(errno.EACCES,)):
        try:
            fn()
            print("write %s succeeded" % name)
        except OSError as e:
            print("write %s %s" % (name, "ok" if e.errno in ok else
                                   "error " + errno.errorcode.get(e.errno, str(e.errno))))

    for f in files:
        path = os.path.join(mnt, f)
        for flags, fname in ((os.O_WRONLY, "O_WRONLY"), (os.O_RDWR, "O_RDWR"),
                             (os.O_WRONLY | os.O_TRUNC, "O_TRUNC"),
                             (os.O_WRONLY | os.O_APPEND, "O_APPEND"),
                             (os.O_RDONLY | os.O_TRUNC, "O_RDONLY|O_TRUNC")):
            expect("%s %s" % (f, fname), lambda: os.close(os.open(path, flags)))
        fd = os.open(path, os.O_RDONLY)
        expect("%s write-on-rdonly-fd" % f, lambda: os.write(fd, b"x"), (errno.EBADF,))
        os.close(fd)
        expect("%s truncate" % f, lambda: os.truncate(path, 0))
        expect("%s chmod" % f, lambda: os.chmod(path, 0o666))
        expect("%s unlink" % f, lambda: os.unlink(path))
    d = os.path.join(mnt, "proc")
    expect("create", lambda: os.close(os.open(os.path.join(d, "new"), os.O_CREAT | os.O_WRONLY)))
    expect("mkdir", lambda: os.mkdir(os.path.join(d, "newdir")))
    expect("rename", lambda: os.rename(os.path.join(d, "meminfo"), os.path.join(d, "x")))
    expect("symlink", lambda: os.symlink("meminfo", os.path.join(d, "lnk")))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "many":
        cmd_many(args[0], int(args[1]), int(args[2]), args[3:])
    elif cmd == "readers-exit":
        cmd_readers_exit(args[0], float(args[1]))
    elif cmd == "zombies":
        cmd_zombies(args[0], args[2:], float(args[1]))
    elif cmd == "init-dies":
        cmd_init_dies(args[0], args[2:], int(args[1]))
    elif cmd == "pid-reuse":
        n = int(args[1])
        half = args[2:]
        sep = half.index("--")
        cmd_pid_reuse(args[0], half[:sep], half[sep + 1:], n)
    elif cmd == "absurd":
        cmd_absurd(args[0], args[1:])
    elif cmd == "writes":
        cmd_writes(args[0], args[1:])
    else:
        sys.exit("unknown command " + cmd)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
