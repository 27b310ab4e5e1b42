#!/usr/bin/env python3
"""Serve pre-fetched arXiv API responses instantly, to time a client without
the mock server's time to generate them.

  replay_server.py --dir DIR --port PORT [--pidfile FILE]

DIR/index.json: [{"method": ..., "params": {...}, "file": "page-000.xml"}, ...]
A request (GET query string or POST form body) whose decoded parameters equal
an entry's is answered with that file (gzip-compressed in advance when the
client accepts gzip, as the mock does), HTTP/1.1 keep-alive with
Content-Length; anything else gets 404.  GET /_replay/stats gives
{"hits", "misses"}.  Bodies are held in memory; nothing is computed per
request but the lookup."""
import argparse
import gzip
import json
import os
import signal
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def key_of(params):
    return tuple(sorted((k, str(v)) for k, v in params.items()))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body go out in separate writes: without TCP_NODELAY the
    # body can wait for the client's delayed ACK (up to 40 ms a response)
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        pass

    def _answer(self, status, body, ctype, extra=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _query(self, body=b""):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/_replay/stats":
            with self.server.lock:
                stats = dict(self.server.stats)
            self._answer(200, json.dumps(stats).encode(), "application/json")
            return
        params = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        params.update(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
        entry = self.server.responses.get(key_of(params))
        with self.server.lock:
            self.server.stats["hits" if entry else "misses"] += 1
        if entry is None:
            self._answer(404, b"not in the replay set\n", "text/plain")
            return
        if "gzip" in (self.headers.get("Accept-Encoding") or ""):
            self._answer(200, entry[1], "application/atom+xml; charset=utf-8",
                         {"Content-Encoding": "gzip"})
        else:
            self._answer(200, entry[0], "application/atom+xml; charset=utf-8")

    def do_GET(self):
        self._query()

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self._query(self.rfile.read(n) if n else b"")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pidfile")
    args = ap.parse_args()
    with open(os.path.join(args.dir, "index.json")) as f:
        index = json.load(f)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.lock = threading.Lock()
    server.stats = {"hits": 0, "misses": 0}
    server.responses = {}
    for e in index:
        with open(os.path.join(args.dir, e["file"]), "rb") as f:
            raw = f.read()
        server.responses[key_of(e["params"])] = (raw, gzip.compress(raw, 6, mtime=0))
    if args.pidfile:
        with open(args.pidfile, "w") as f:
            f.write("%d\n" % os.getpid())

    def stop(*_):
        threading.Thread(target=server.shutdown).start()
    signal.signal(signal.SIGTERM, stop)
    print("replay_server listening on http://127.0.0.1:%d/api/query (%d responses)"
          % (args.port, len(index)), flush=True)
    try:
        server.serve_forever()
    finally:
        if args.pidfile and os.path.exists(args.pidfile):
            os.unlink(args.pidfile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
