# SPDX-License-Identifier: LGPL-2.1-or-later
"""reads.py FILE...: reads at any offset and with any buffer size return the
bytes a whole read returns, within one open (the content may change between
opens: uptime moves). Also: writes are refused with EACCES.

Prints one line per check: "PASS name detail" or "FAIL name detail".
"""

import errno
import os
import random
import sys


def whole(fd):
    data = b""
    while True:
        chunk = os.pread(fd, 1 << 20, len(data))
        if not chunk:
            return data
        data += chunk


def check_reads(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        ref = whole(fd)
        # A container that touched no block device has an empty diskstats.
        if not ref and not path.endswith("/diskstats"):
            return "empty file"
        for size in (1, 3, 7, 100, 4095, 4096, 65536):
            os.lseek(fd, 0, os.SEEK_SET)
            got = b""
            while True:
                chunk = os.read(fd, size)
                if not chunk:
                    break
                got += chunk
            if got != ref:
                return "sequential reads of %d bytes gave %d bytes, whole %d" % (
                    size, len(got), len(ref))
        rnd = random.Random(len(ref))
        offsets = list(range(0, len(ref) + 16, max(1, len(ref) // 97)))
        offsets += [rnd.randrange(0, len(ref) + 8) for _ in range(200)]
        for off in offsets:
            for size in (1, 5, 64, 1000, len(ref)):
                got = os.pread(fd, size, off)
                if got != ref[off:off + size]:
                    return "pread(%d, %d) = %r, whole has %r" % (
                        size, off, got[:40], ref[off:off + size][:40])
        if os.pread(fd, 100, len(ref) + 4096) != b"":
            return "pread past the end returned data"
        return "ok %d bytes, %d offsets" % (len(ref), len(offsets))
    finally:
        os.close(fd)


def check_write(path, flags, name):
    try:
        fd = os.open(path, flags)
    except OSError as e:
        return "ok" if e.errno == errno.EACCES else "%s: %s" % (name, errno.errorcode[e.errno])
    os.close(fd)
    return "%s open succeeded" % name


def main():
    failed = 0
    for path in sys.argv[1:]:
        for what, fn in (("reads", lambda: check_reads(path)),
                         ("O_WRONLY", lambda: check_write(path, os.O_WRONLY, "O_WRONLY")),
                         ("O_RDWR", lambda: check_write(path, os.O_RDWR, "O_RDWR"))):
            try:
                res = fn()
            except OSError as e:
                res = "error %s" % e
            ok = res.startswith("ok")
            failed += not ok
            print("%s %s %s %s" % ("PASS" if ok else "FAIL", what, path, res))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
