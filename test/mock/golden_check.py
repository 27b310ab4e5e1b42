#!/usr/bin/env python3
"""Byte-for-byte comparison of two versions of the mock arXiv server.

    python3 test/mock/golden_check.py [--ref REV | --ref-file PATH] [-v]

Starts the mock of the working tree and a reference mock (the file at git
revision REV, default HEAD, or PATH), each on a free port of 127.0.0.1 with
the default 60000-paper corpus, sends both the same sequence of requests
(search queries of every shape, sort orders, paging up to and past the
window, id_list forms, POST, errors, gzip, faults, corpus edits) over raw
sockets, and compares status lines, headers and bodies byte for byte, and
the request logs field by field.  Only what depends on the clock is
normalised: timestamps at or after the start of this script (the feed
<updated>, dates of papers added now), the Date header, and for gzip
responses the compressed length (the body is compared after inflating, and
each side's gzip bytes must equal gzip.compress(body, 6, mtime=0)).

Exit status 0 when everything matches.  For checking a speed-up of
arxiv_mock.py that must not change its output.
"""

import argparse
import calendar
import gzip
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = time.time()
ISO_RE = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
AGENT = "golden-check/1.0"

sys.path.insert(0, HERE)
from test_mock import free_port, stop_process  # noqa: E402


class Mock(object):
    def __init__(self, script, tmp, name):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, script, "--port", str(self.port),
             "--seed-corpus", os.path.join(HERE, "seed_corpus.json"),
             "--log", os.path.join(tmp, name + ".jsonl")],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        line = self.proc.stdout.readline().decode()
        if "listening" not in line:
            raise RuntimeError("%s mock did not start: %r" % (name, line))

    def stop(self):
        stop_process(self.proc)


def exchange(port, method, target, body=b"", headers=()):
    """One request with Connection: close; the raw bytes received."""
    s = socket.create_connection(("127.0.0.1", port), timeout=120)
    lines = ["%s %s HTTP/1.1" % (method, target), "Host: 127.0.0.1",
             "User-Agent: " + AGENT, "Connection: close"]
    lines += list(headers)
    if body or method == "POST":
        lines.append("Content-Type: application/x-www-form-urlencoded")
        lines.append("Content-Length: %d" % len(body))
    s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body)
    chunks = []
    note = None
    while True:
        try:
            b = s.recv(1 << 16)
        except ConnectionResetError:
            note = "connection reset"
            break
        if not b:
            break
        chunks.append(b)
    s.close()
    return b"".join(chunks), note


def normalise(raw, note):
    """A comparable form of a response: (status line, headers, body, notes)."""
    if not raw:
        return {"empty": True, "note": note}
    head, sep, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    headers = []
    clen = None
    gz = False
    for h in lines[1:]:
        k, _, v = h.partition(b":")
        k = k.strip().lower()
        v = v.strip()
        if k == b"date":
            v = b"<date>"
        if k == b"content-length":
            clen = int(v)
        if k == b"content-encoding" and v == b"gzip":
            gz = True
        headers.append((k, v))
    out = {"status": lines[0].decode("latin-1"), "note": note}
    if gz:
        complete = clen == len(body)
        out["gzip_complete"] = complete
        if complete:
            plain = gzip.decompress(body)
            out["gzip_as_expected"] = gzip.compress(plain, 6, mtime=0) == body
            body = plain
            headers = [(k, b"<gzip length>" if k == b"content-length" else v) for k, v in headers]
        else:
            # the compressed length depends on the clock: compare the share
            # sent and the start of what it inflates to
            out["gzip_prefix_share"] = round(len(body) / float(clen), 2)
            body = zlib.decompressobj(31).decompress(body)[:4000]
            headers = [(k, b"<gzip length>" if k == b"content-length" else v) for k, v in headers]
    out["headers"] = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers]
    out["body"] = ISO_RE.sub(_now_ts, body)
    return out


def _now_ts(m):
    t = calendar.timegm(time.strptime(m.group(0).decode(), "%Y-%m-%dT%H:%M:%SZ"))
    return b"<now>" if t >= int(T0) - 1 else m.group(0)


def q(**params):
    return "/api/query?" + urllib.parse.urlencode(params)


def requests(port):
    """The request sequence: (label, method, target, body, headers)."""
    # ids to list, taken from the corpus dump (the same on both sides)
    raw, _ = exchange(port, "GET", "/_mock/corpus.tsv?fields=id,version&search_query=cat:cs.OS")
    rows = [ln.split("\t") for ln in raw.partition(b"\r\n\r\n")[2].decode().split("\n") if ln]
    many = [r[0] for r in rows[::4]][:400]
    multi = [r for r in rows if int(r[1]) > 1][:20]
    versioned = ["%sv%d" % (i, v) for i, n in multi for v in range(1, int(n) + 1)]
    gz = ("Accept-Encoding: gzip",)
    R = []

    def add(label, target, method="GET", body=b"", headers=()):
        R.append((label, method, target, body, headers))

    # search queries
    add("cat page 0", q(search_query="cat:cs.LG", max_results=1000, start=0))
    add("cat page 3000", q(search_query="cat:cs.LG", max_results=1000, start=3000))
    add("cat asc submitted", q(search_query="cat:cs.LG", start=5000, max_results=1000,
                               sortBy="submittedDate", sortOrder="ascending"))
    add("cat lastUpdated desc", q(search_query="cat:cs.OS", max_results=500, sortBy="lastUpdatedDate"))
    add("cat lastUpdated asc", q(search_query="cat:cs.OS", max_results=500,
                                 sortBy="lastUpdatedDate", sortOrder="ascending"))
    add("cat relevance asc", q(search_query="cat:cs.OS", max_results=100, sortBy="relevance",
                               sortOrder="ascending"))
    add("cat wildcard", q(search_query="cat:cs.*", max_results=2000, start=2000))
    add("author word", q(search_query="au:kaiser", max_results=300))
    add("author phrase", q(search_query='au:"Peter Hall"', max_results=100))
    add("author underscore ANDNOT", q(search_query="au:del_maestro ANDNOT (ti:checkerboard OR ti:pyrochlore)",
                                      max_results=200))
    add("author non-ascii", q(search_query='au:"Łukasz Kaiser"', max_results=100))
    add("accent folding", q(search_query="au:muller AND cat:cs.LG", max_results=100))
    add("title phrase", q(search_query='ti:"tail latency"', max_results=100))
    add("title hyphen", q(search_query="ti:KV-cache", max_results=100))
    add("abs AND cat", q(search_query="abs:memory AND cat:cs.OS", max_results=200))
    add("OR lastUpdated", q(search_query="ti:memory OR abs:scheduler", max_results=400,
                            sortBy="lastUpdatedDate"))
    add("all field", q(search_query="all:transformer", max_results=50, start=10))
    add("bare word", q(search_query="scheduler", max_results=20))
    add("bare phrase", q(search_query='"tail latency"', max_results=20))
    add("juxtaposed lenient", q(search_query="ti:kernel cat:cs.OS", max_results=20))
    add("juxtaposed raw", q(search_query="ti:kernel cat:cs.OS", max_results=20, raw=1))
    add("field group", q(search_query="ti:(memory OR cache) AND cat:cs.DC", max_results=100))
    add("submittedDate range", q(search_query="submittedDate:[202605010000 TO 202606010000] AND cat:cs.OS",
                                 max_results=200))
    add("submittedDate edge", q(search_query="submittedDate:[202605312359 TO 202606010000]", max_results=50))
    add("partial dates", q(search_query="cat:hep-th AND submittedDate:[2007 TO 2008]", max_results=100))
    add("lastUpdatedDate range", q(search_query="lastUpdatedDate:[202601 TO 202602] AND cat:cs.AI",
                                   max_results=100, sortBy="submittedDate"))
    add("comment jr rn", q(search_query="co:pages OR jr:JHEP OR rn:CERN", max_results=150))
    add("id field", q(search_query="id:2603.18030"))
    add("special characters", q(search_query='ti:"a&b" OR abs:x<y', max_results=5))
    add("no match", q(search_query="ti:zzzzqqq"))
    add("au wildcard fails", q(search_query="au:P*"))
    add("defaults", q(search_query="cat:math.AP"))
    add("trailing slash", "/api/query/?" + urllib.parse.urlencode({"search_query": "cat:cs.PF"}))
    # paging and the window
    add("window last page", q(search_query="cat:cs.LG", start=9000, max_results=1000))
    add("window passed", q(search_query="cat:cs.LG", start=9001, max_results=1000))
    add("window one", q(search_query="cat:cs.LG", start=9999, max_results=1))
    add("capped 2000", q(search_query="cat:cs.LG", start=4000, max_results=3000))
    add("start past total", q(search_query="cat:cs.OS", start=5000, max_results=10))
    add("max_results 0", q(search_query="cat:cs.OS", max_results=0))
    add("start negative", q(search_query="cat:cs.OS", start=-1))
    add("start not int", q(search_query="cat:cs.OS", start="abc"))
    add("max_results not int", q(search_query="cat:cs.OS", max_results="1.5"))
    add("max_results negative", q(search_query="cat:cs.OS", max_results=-3))
    add("bad sortBy", q(search_query="cat:cs.OS", sortBy="date"))
    add("bad sortOrder", q(search_query="cat:cs.OS", sortOrder="up"))
    # bad queries
    for i, bad in enumerate(["(ti:memory", "foo:bar", "ti:", "ti:memory AND", "AND ti:x",
                             "submittedDate:[2026 TO]", 'ti:"open', "submittedDate:[20261301 TO 2027]"]):
        add("bad query %d" % i, q(search_query=bad))
    # id_list
    add("id single", q(id_list="2603.18030"))
    add("id versioned", q(id_list="2603.18030v1,2603.18030v2,2603.11438v1"))
    add("id old style", q(id_list="hep-th/9901001,cs/0101001"))
    add("id many GET", q(id_list=",".join(many[:50]), max_results=100))
    add("id versions", q(id_list=",".join(versioned), max_results=200))
    add("id nonexistent", q(id_list="2301.99999,2603.18030v9"))
    add("id duplicates", q(id_list="2603.18030,2603.18030, 2603.11438"))
    add("id paging", q(id_list=",".join(many[:50]), start=20, max_results=10))
    add("id with query", q(id_list=",".join(many[:200]), search_query="ti:memory", max_results=200))
    for bad in ("abc", "2301.1", "1234.12345", "2301.00001v0"):
        add("id malformed " + bad, q(id_list="2603.18030," + bad))
    add("POST id_list", "/api/query", "POST",
        urllib.parse.urlencode({"id_list": ",".join(many), "max_results": 500}).encode())
    add("POST body wins", "/api/query?max_results=3&search_query=cat:cs.OS", "POST",
        urllib.parse.urlencode({"max_results": 7, "sortBy": "submittedDate"}).encode())
    add("POST empty", "/api/query", "POST")
    add("empty query", "/api/query")
    add("other method", "/api/query", "DELETE")
    add("not found", "/nothing")
    # gzip
    add("gzip page", q(search_query="cat:cs.LG", max_results=1000, start=1000), headers=gz)
    add("gzip ids", q(id_list=",".join(versioned)), headers=gz)
    add("gzip error feed", q(id_list="abc"), headers=gz)
    add("gzip 500", q(search_query="cat:cs.LG", max_results=0), headers=gz)
    add("gzip empty", "/api/query", headers=gz)
    # faults (each applies to the next request)
    fault = lambda spec: add("fault " + json.dumps(spec), "/_mock/fault", "POST", json.dumps(spec).encode())  # noqa: E731
    fault({"kind": "empty_page", "match": "cs.DC"})
    add("empty_page", q(search_query="cat:cs.DC", start=100, max_results=50))
    fault({"kind": "error_feed_200"})
    add("error_feed_200", q(search_query="cat:cs.DC"))
    fault({"kind": "status", "status": 503, "retry_after": 7})
    add("status 503", q(search_query="cat:cs.DC"), headers=gz)
    fault({"kind": "status", "status": 429, "body": "slow down", "content_type": "text/plain"})
    add("status 429", q(search_query="cat:cs.DC"))
    fault({"kind": "truncated", "bytes": 3000})
    add("truncated", q(search_query="cat:cs.DC", max_results=100))
    fault({"kind": "truncated"})
    add("truncated gzip", q(search_query="cat:cs.DC", max_results=100), headers=gz)
    fault({"kind": "stall", "delay": 0.3, "bytes": 500})
    add("stall", q(search_query="cat:cs.DC", max_results=20))
    fault({"kind": "slow", "delay": 0.2})
    add("slow", q(search_query="cat:cs.DC", max_results=20), headers=gz)
    for kind in ("non_xml", "blank", "rate_exceeded", "html_denied"):
        fault({"kind": kind})
        add(kind, q(search_query="cat:cs.DC"))
    fault({"kind": "reset"})
    add("reset", q(search_query="cat:cs.DC"))
    fault({"kind": "status", "match": "never-matches"})
    add("unmatched fault", q(search_query="cat:cs.DC", max_results=5))
    add("fault list", "/_mock/fault")
    add("fault clear", "/_mock/fault", "DELETE")
    # paging as clients do it (the mock may render the next page in advance)
    for gzh in ((), gz):
        for start in range(0, 4000, 1000):
            add("paging %s%d" % ("gzip " if gzh else "", start),
                q(search_query="cat:cs.AI", start=start, max_results=1000, sortBy="submittedDate"), headers=gzh)
    add("paging 2000s 0", q(search_query="cat:cs.*", start=0, max_results=2000))
    add("paging 2000s 2000", q(search_query="cat:cs.*", start=2000, max_results=2000))
    add("paging ids 0", "/api/query", "POST", urllib.parse.urlencode(
        {"id_list": ",".join(many), "start": 0, "max_results": 200}).encode())
    add("paging ids 200", "/api/query", "POST", urllib.parse.urlencode(
        {"id_list": ",".join(many), "start": 200, "max_results": 200}).encode())
    add("paging to the window 0", q(search_query="cat:cs.LG", start=8000, max_results=1000), headers=gz)
    add("paging to the window 1", q(search_query="cat:cs.LG", start=9000, max_results=1000), headers=gz)
    add("paging past the window", q(search_query="cat:cs.LG", start=10000, max_results=1000), headers=gz)
    add("paging to the end 0", q(search_query="cat:cs.OS", start=0, max_results=1000))
    add("paging to the end 1", q(search_query="cat:cs.OS", start=1000, max_results=1000))
    add("paging to the end 2", q(search_query="cat:cs.OS", start=2000, max_results=1000))
    add("fault paging 0", q(search_query="cat:cs.CV", start=0, max_results=1000), headers=gz)
    fault({"kind": "truncated", "match": "cs.CV", "bytes": 2000})
    add("fault paging 1 truncated", q(search_query="cat:cs.CV", start=1000, max_results=1000), headers=gz)
    add("fault paging 1 again", q(search_query="cat:cs.CV", start=1000, max_results=1000), headers=gz)
    fault({"kind": "empty_page", "match": "cs.CV"})
    add("fault paging 2 empty", q(search_query="cat:cs.CV", start=2000, max_results=1000), headers=gz)
    add("fault paging 2 again", q(search_query="cat:cs.CV", start=2000, max_results=1000), headers=gz)
    add("edit paging 0", q(search_query="cat:cs.CL", start=0, max_results=1000, sortBy="lastUpdatedDate"))
    add("edit paging new version", "/_mock/corpus", "POST", b'{"new_version": ["2605.09735"]}')
    add("edit paging 1", q(search_query="cat:cs.CL", start=1000, max_results=1000, sortBy="lastUpdatedDate"))
    add("config paging 0", q(search_query="cat:cs.CL", start=0, max_results=1000))
    add("config paging window", "/_mock/config", "POST", b'{"window": 1500}')
    add("config paging 1", q(search_query="cat:cs.CL", start=1000, max_results=1000))
    add("config paging window back", "/_mock/config", "POST", b'{"window": 10000}')
    add("log 0", "/_mock/log")
    add("reset 0", "/_mock/reset", "POST", b"{}")
    # window 30000
    add("config window", "/_mock/config", "POST", b'{"window": 30000}')
    add("window 30000 ok", q(search_query="cat:cs.LG", start=9500, max_results=1000))
    add("window 30000 passed", q(search_query="cat:cs.LG", start=29000, max_results=2000))
    add("log 1", "/_mock/log")
    add("reset 1", "/_mock/reset", "POST", b"{}")
    # corpus edits, then what they change
    add("pages before edits", q(search_query="cat:cs.OS", max_results=30, sortBy="lastUpdatedDate"))
    add("ids before edits", q(id_list="2603.18030,2603.18030v1,2604.09559"))
    edit = {"add": [
        {"id": "2606.99990", "version": 3, "title": "Golden <Check> & Paper",
         "summary": "We test memory schedulers.\n  Twice.", "published": "2026-06-19T10:00:00Z",
         "updated": "2026-06-20T11:00:00Z",
         "authors": ["Zoë Golden", {"name": "A. B. Tester", "affiliations": ["X & Y Lab"]}],
         "categories": ["cs.OS", "cs.DC"], "comment": "5 pages", "journal_ref": "J. Test 1",
         "doi": "10.1/xyz"},
        {"id": "2604.09559", "title": "Replaced title", "summary": "Replaced.",
         "published": "2026-04-01T00:00:00Z", "categories": ["cs.OS"]}]}
    add("corpus add", "/_mock/corpus", "POST", json.dumps(edit).encode())
    add("new version", "/_mock/corpus", "POST",
        json.dumps({"new_version": [{"id": "2603.18030", "title": "A new title v3"}, "2605.09735"]}).encode())
    add("add_new", "/_mock/corpus", "POST", b'{"add_new": 2, "categories": ["cs.OS", "cs.PF"]}')
    add("ids after edits", q(id_list="2606.99990,2606.99990v1,2603.18030,2603.18030v1,2603.18030v2,"
                                     "2603.18030v3,2604.09559,2605.09735,2605.09735v1"))
    add("pages after edits", q(search_query="cat:cs.OS", max_results=30, sortBy="lastUpdatedDate"))
    add("search after edits", q(search_query="ti:golden OR ti:replaced OR ti:new", max_results=30))
    add("log 2", "/_mock/log")
    add("reset 2", "/_mock/reset", "POST", b"{}")
    add("pages after reset", q(search_query="cat:cs.OS", max_results=30, sortBy="lastUpdatedDate"))
    add("ids after reset", q(id_list="2603.18030,2603.18030v1,2604.09559,2606.99990"))
    add("search after reset", q(search_query="ti:golden OR ti:replaced OR ti:new", max_results=30))
    add("dump tsv", "/_mock/corpus.tsv?search_query=cat:cs.PF")
    add("dump json", "/_mock/corpus.json?id_list=2603.18030,2605.09735")
    add("info", "/_mock/info")
    add("log 3", "/_mock/log")
    return R


TIMING = ("t_start", "t_end", "gap", "min_gap_seen")


def norm_log(body):
    recs = json.loads(body.decode("utf-8"))
    for r in recs:
        for k in TIMING:
            r.pop(k, None)
        if r.get("gzip") and r.get("bytes"):
            r["bytes"] = "<gzip>"
    return json.dumps(recs, indent=1, sort_keys=True).encode()


def run(mock):
    out = []
    for label, method, target, body, headers in requests(mock.port):
        raw, note = exchange(mock.port, method, target, body, headers)
        r = normalise(raw, note)
        if label.startswith("log ") and raw:
            r["body"] = norm_log(r["body"])
            r["headers"] = [(k, v) for k, v in r["headers"] if k != "content-length"]
        out.append((label, r))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ref", default="HEAD", help="git revision of the reference arxiv_mock.py")
    ap.add_argument("--ref-file", help="path of the reference arxiv_mock.py (instead of --ref)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="arxiv_mock_golden_")
    ref = os.path.join(tmp, "arxiv_mock_ref.py")
    if args.ref_file:
        shutil.copyfile(args.ref_file, ref)
    else:
        top = subprocess.check_output(["git", "-C", HERE, "rev-parse", "--show-toplevel"]).decode().strip()
        rel = os.path.relpath(os.path.join(HERE, "arxiv_mock.py"), top)
        with open(ref, "wb") as fh:
            fh.write(subprocess.check_output(["git", "-C", top, "show", "%s:%s" % (args.ref, rel)]))
    mocks = []
    try:
        mocks.append(Mock(ref, tmp, "ref"))
        mocks.append(Mock(os.path.join(HERE, "arxiv_mock.py"), tmp, "new"))
        results = []
        for m in mocks:
            t = time.time()
            results.append(run(m))
            if args.verbose:
                print("%s: %d requests in %.2f s" % ("ref" if m is mocks[0] else "new",
                                                     len(results[-1]), time.time() - t))
    finally:
        for m in mocks:
            m.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    bad = 0
    nbytes = 0
    for (label, a), (_, b) in zip(*results):
        nbytes += len(a.get("body", b""))
        same = a == b
        for side in (a, b):
            if side.get("gzip_as_expected") is False:
                same = False
        if not same:
            bad += 1
            print("DIFFERENT: %s" % label)
            for k in sorted(set(a) | set(b)):
                if a.get(k) != b.get(k):
                    va, vb = a.get(k), b.get(k)
                    if k == "body":
                        i = next((j for j in range(min(len(va), len(vb))) if va[j] != vb[j]),
                                 min(len(va), len(vb)))
                        va, vb = va[max(0, i - 80):i + 80], vb[max(0, i - 80):i + 80]
                    print("  %s:\n    ref %r\n    new %r" % (k, va, vb))
        elif args.verbose:
            print("same: %-28s %s %d bytes" % (label, a.get("status", a.get("note")), len(a.get("body", b""))))
    print("%d requests, %d different, %.1f MB compared" % (len(results[0]), bad, nbytes / 1e6))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
