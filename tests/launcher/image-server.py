#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The image tests' HTTP server, on 127.0.0.1 only.

image-server.py ROOT PORTFILE LOG [FAULTS]

Serves the files of ROOT (GET and HEAD, "Range: bytes=N-" answered 206),
writes the port it got to PORTFILE, and logs one line per request to LOG:
"GET /path range=N status". FAULTS, re-read on every request, holds lines
"SUFFIX MODE": a request whose path ends with SUFFIX misbehaves:

  404, 500        that status, with an HTML body
  loop            a redirect to itself, forever
  stall           headers and half the body, then nothing (the socket stays open)
  truncate        the full Content-Length, half the body, then close
  truncate-once   like truncate for a request without Range; ranges are served
  ctype           Content-Type text/html (the body is right)
  short-length    Content-Length one less than the body (the body is cut)
  long-length     Content-Length 1000 more than the body, then close
  huge            100 MB of 'x' without Content-Length (chunked by closing)
  huge-length     Content-Length of 100 MB, then 'x' until the client leaves

With IMG_TLS_CERT and IMG_TLS_KEY in the environment it speaks HTTPS.
"""
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT, PORTFILE, LOG = sys.argv[1:4]
FAULTS = sys.argv[4] if len(sys.argv) > 4 else None
LOCK = threading.Lock()


def faults():
    try:
        with open(FAULTS) as f:
            return [l.split() for l in f if len(l.split()) == 2]
    except (OSError, TypeError):
        return []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def log(self, status, start):
        with LOCK, open(LOG, "a") as f:
            f.write(f"{self.command} {self.path} range={start} {status}\n")

    def send_body(self, status, body, ctype="application/octet-stream", length=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def fault(self, mode, data, start):
        if mode in ("404", "500"):
            return self.send_body(int(mode), b"<html>error</html>\n", "text/html")
        if mode == "loop":
            self.send_response(302)
            self.send_header("Location", self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if mode == "stall":
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            time.sleep(3600)
            return
        if mode in ("truncate", "truncate-once"):
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            return
        if mode == "ctype":
            return self.send_body(200, data, "text/html")
        if mode == "short-length":
            return self.send_body(200, data, length=len(data) - 1)
        if mode == "long-length":
            return self.send_body(200, data, length=len(data) + 1000)
        if mode in ("huge", "huge-length"):
            self.send_response(200)
            if mode == "huge-length":
                self.send_header("Content-Length", str(100 << 20))
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for _ in range(100 << 4):
                    self.wfile.write(b"x" * (64 << 10))
            except OSError:
                pass
            return

    def do_GET(self):
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        rng = self.headers.get("Range")
        start = int(rng[6:].split("-")[0]) if rng and rng.startswith("bytes=") else None
        full = os.path.realpath(os.path.join(ROOT, path.lstrip("/")))
        data = None
        if full.startswith(os.path.realpath(ROOT)) and os.path.isfile(full):
            with open(full, "rb") as f:
                data = f.read()
        for suffix, mode in faults():
            if path.endswith(suffix) and not (mode == "truncate-once" and start is not None):
                self.log(mode, start)
                self.close_connection = True
                self.fault(mode, data or b"", start)
                return
        if data is None:
            self.log(404, start)
            return self.send_body(404, b"not found\n", "text/plain")
        if start is not None and start < len(data):
            self.log(206, start)
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.send_header("Content-Length", str(len(data) - start))
            self.end_headers()
            self.wfile.write(data[start:])
            return
        self.log(200, start)
        self.send_body(200, data)

    do_HEAD = do_GET


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that gives up mid-body (a size limit, a stall timeout) is expected.
        if not isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError)):
            super().handle_error(request, client_address)


server = Server(("127.0.0.1", 0), Handler)
if os.environ.get("IMG_TLS_CERT"):
    # HTTPS for LXC's download template, which knows no other scheme (the benchmark).
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.environ["IMG_TLS_CERT"], os.environ["IMG_TLS_KEY"])
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
server.serve_forever()
