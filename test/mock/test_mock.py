#!/usr/bin/env python3
"""Self-test of the mock arXiv server (stdlib unittest).

    python3 test/mock/test_mock.py [-v]

Starts arxiv_mock.py on free ports of 127.0.0.1 (a 60000-paper instance,
a small one with the 30000 window, and a throw-away one for SIGTERM) and
checks the query grammar, id_list handling, paging, limits, every fault
kind, the request log, the rate detector, the corpus dump and --replay.
Expected result sets are computed independently from the corpus dump.
"""

import contextlib
import gc
import gzip
import http.client
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
import unittest
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
MOCK = os.path.join(HERE, "arxiv_mock.py")
A = "{http://www.w3.org/2005/Atom}"
OS_ = "{http://a9.com/-/spec/opensearch/1.1/}"
AX = "{http://arxiv.org/schemas/atom}"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def stop_process(proc):
    """SIGTERM, then SIGKILL after 10 s; close the pipes."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for f in (proc.stdout, proc.stderr):
        if f is not None:
            f.close()


class MockProcess(object):
    def __init__(self, *extra, size=60000):
        self.port = free_port()
        self.tmp = tempfile.mkdtemp(prefix="arxiv_mock_test_")
        self.logpath = os.path.join(self.tmp, "requests.jsonl")
        self.pidfile = os.path.join(self.tmp, "mock.pid")
        cmd = [sys.executable, MOCK, "--port", str(self.port), "--host", "127.0.0.1",
               "--corpus-size", str(size), "--log", self.logpath,
               "--pidfile", self.pidfile] + list(extra)
        t0 = time.time()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.proc.stdout.readline().decode()
        if "listening" not in line:
            raise RuntimeError("mock did not start: %r %r" % (line, self.proc.stderr.read()))
        self.startup = time.time() - t0
        self.base = "http://127.0.0.1:%d" % self.port

    def stop(self):
        stop_process(self.proc)


M = None      # the 60000-paper server
M30 = None    # window 30000


def setUpModule():
    global M, M30
    M = MockProcess()
    M30 = MockProcess("--window", "30000", size=3000)


def tearDownModule():
    for m in (M, M30):
        if m:
            m.stop()


# -- HTTP helpers -------------------------------------------------------------

def hreq(method, url, body=None, headers=None, timeout=60):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def ctl(path, payload=None, m=None, method=None):
    m = m or M
    if payload is None and method is None:
        st, _, body = hreq("GET", m.base + "/_mock/" + path)
    else:
        st, _, body = hreq(method or "POST", m.base + "/_mock/" + path,
                           json.dumps(payload if payload is not None else {}).encode(),
                           {"Content-Type": "application/json"})
    return st, json.loads(body.decode()) if body.strip().startswith((b"{", b"[")) else body


def api(m=None, **params):
    m = m or M
    return hreq("GET", m.base + "/api/query?" + urllib.parse.urlencode(params))


def feed(m=None, **params):
    st, hdr, body = api(m, **params)
    return st, ET.fromstring(body), body


def entries(root):
    return root.findall(A + "entry")


def entry_ids(root):
    return [e.find(A + "id").text.rsplit("/abs/", 1)[1] for e in entries(root)]


def strip_v(vid):
    return re.sub(r"v\d+$", "", vid)


def total(root):
    return int(root.find(OS_ + "totalResults").text)


def all_ids(query, m=None, **extra):
    """Every id matching a query (paging with 2000)."""
    out = []
    start = 0
    while True:
        st, root, _ = feed(m, search_query=query, start=start, max_results=2000, **extra)
        assert st == 200, (st, query)
        ids = [strip_v(x) for x in entry_ids(root)]
        out += ids
        start += len(ids)
        if not ids or start >= total(root):
            return out


def is_error_feed(root):
    es = entries(root)
    return len(es) == 1 and es[0].find(A + "title").text == "Error"


def error_message(root):
    return entries(root)[0].find(A + "summary").text


# -- an independent reading of the corpus (from the COPY dump) -----------------

def unescape_copy(s):
    if s == "\\N":
        return None
    return re.sub(r"\\(.)", lambda m: {"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}.get(m.group(1), m.group(1)), s)


def parse_pg_array(s):
    assert s.startswith("{") and s.endswith("}"), s
    out, i, inner = [], 0, s[1:-1]
    while i < len(inner):
        assert inner[i] == '"', inner
        i += 1
        buf = []
        while inner[i] != '"':
            if inner[i] == "\\":
                i += 1
            buf.append(inner[i])
            i += 1
        out.append("".join(buf))
        i += 2  # closing quote and comma
    return out


FOLD = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ı": "i", "ß": "ss", "æ": "ae", "œ": "oe", "þ": "th", "ð": "d"})


def toks(text):
    out = []
    for t in re.findall(r"[^\W_]+", text or ""):
        t = t.lower().translate(FOLD)
        t = "".join(c for c in unicodedata.normalize("NFKD", t) if not unicodedata.combining(c))
        out.append(t)
    return out


_DUMP = {}


def dump(fields="id,title,authors,categories,published,updated,version", m=None):
    m = m or M
    key = (m.port, fields)
    if key not in _DUMP:
        st, hdr, body = hreq("GET", m.base + "/_mock/corpus.tsv?fields=" + fields)
        assert st == 200
        names = fields.split(",")
        rows = []
        for line in body.decode("utf-8").split("\n"):
            if line:
                rows.append(dict(zip(names, [unescape_copy(x) for x in line.split("\t")])))
        _DUMP[key] = rows
    return _DUMP[key]


def title_set(word):
    return {r["id"] for r in dump() if word in toks(r["title"])}


class T01Startup(unittest.TestCase):
    def test_port_opens_before_index(self):
        """main() opens the port before the word index is built and renders
        no entry in advance (the work that made a 60000-paper start slow).
        Counted, not timed: test/bench/mock_startup.py measures the time."""
        sys.path.insert(0, HERE)
        import arxiv_mock as am
        seen = {}
        release = threading.Event()
        orig_build = am.Corpus.build_index

        def build_index(corpus):
            release.wait(30)           # not before the port is open
            orig_build(corpus)

        class FakeServer(object):
            def __init__(self, addr, handler):
                self.server_address = (addr[0], 0)

            def serve_forever(self, poll_interval=0.5):
                c = am.Handler.state.corpus
                seen["open"] = (c.ready.is_set(), sum(len(x) for x in c.idx.values()),
                                len(c.sent_xml), c.xml_bytes, len(c.papers))
                release.set()
                seen["built"] = c.ready.wait(120)
                seen["after"] = sum(len(x) for x in c.idx.values())

            def server_close(self):
                pass

        saved = (am.Server, signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT))
        am.Corpus.build_index, am.Server = build_index, FakeServer
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                am.main(["--port", "0", "--corpus-size", "3000"])
            for t in threading.enumerate():
                if t.name == "index":
                    t.join(120)
        finally:
            release.set()
            am.Corpus.build_index, am.Server = orig_build, saved[0]
            signal.signal(signal.SIGTERM, saved[1])
            signal.signal(signal.SIGINT, saved[2])
            gc.enable()
        self.assertIn("listening", out.getvalue())
        self.assertEqual(seen["open"], (False, 0, 0, 0, 3000))
        self.assertTrue(seen["built"])
        self.assertGreater(seen["after"], 0)

    def test_info_and_counts(self):
        st, info = ctl("info")
        self.assertEqual(info["papers"], 60000)
        cc = info["category_counts"]
        self.assertTrue(1000 <= cc["cs.OS"] <= 2000, cc["cs.OS"])
        self.assertGreater(cc["cs.LG"], 10000)
        self.assertGreaterEqual(info["old_style_ids"], 200)
        st, root, _ = feed(search_query="cat:cs.LG", max_results=1)
        self.assertGreater(total(root), 10000)

    def test_seed_papers_present(self):
        st, root, _ = feed(id_list="2605.09735,2604.09559")
        es = entries(root)
        self.assertEqual(len(es), 2)
        self.assertEqual(es[0].find(A + "title").text,
                         "KV-RM: Regularizing KV-Cache Movement for Static-Graph LLM Serving")
        affs = [a.text for a in es[1].iter(AX + "affiliation")]
        self.assertIn("TU Dresden", affs)


class T02Format(unittest.TestCase):
    ORDER = re.compile(r"id title updated link link summary (category )+published "
                       r"(comment )?primary_category (journal_ref )?(author )+(doi link )?$")

    def test_declaration_and_root(self):
        st, hdr, body = api(search_query="all:memory", max_results=5)
        self.assertEqual(st, 200)
        self.assertTrue(hdr["Content-Type"].startswith("application/atom+xml"))
        text = body.decode("utf-8")
        self.assertTrue(text.startswith("<?xml version='1.0' encoding='UTF-8'?>\n<feed xmlns:opensearch="))
        self.assertIn('xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">', text)
        root = ET.fromstring(body)
        self.assertEqual([c.tag.split("}")[1] for c in root][:8],
                         ["id", "title", "updated", "link", "itemsPerPage", "totalResults",
                          "startIndex", "entry"])
        self.assertEqual(root.find(A + "title").text,
                         "arXiv Query: search_query=all:memory&id_list=&start=0&max_results=5")

    def test_entry_element_order(self):
        seen_optional = set()
        for q in ("cat:cs.OS", "cat:hep-th", "all:memory"):
            st, root, _ = feed(search_query=q, max_results=300)
            for e in entries(root):
                seq = " ".join(c.tag.split("}")[1] for c in e) + " "
                self.assertRegex(seq, self.ORDER)
                for opt in ("comment", "journal_ref", "doi"):
                    if opt in seq:
                        seen_optional.add(opt)
                links = e.findall(A + "link")
                self.assertEqual(links[0].get("rel"), "alternate")
                self.assertEqual(links[1].get("title"), "pdf")
                vid = e.find(A + "id").text.rsplit("/abs/", 1)[1]
                self.assertEqual(links[0].get("href"), "https://arxiv.org/abs/" + vid)
                self.assertEqual(links[1].get("href"), "https://arxiv.org/pdf/" + vid)
                self.assertTrue(e.find(A + "id").text.startswith("http://arxiv.org/abs/"))
                prim = e.find(AX + "primary_category").get("term")
                cats = [c.get("term") for c in e.findall(A + "category")]
                self.assertEqual(cats[0], prim)
                self.assertLessEqual(e.find(A + "published").text, e.find(A + "updated").text)
        self.assertEqual(seen_optional, {"comment", "journal_ref", "doi"})

    def test_bare_word_echo(self):
        st, root, _ = feed(search_query="testing")
        self.assertIn("search_query=all:testing&", root.find(A + "title").text)

    def test_escaping_and_wrapping(self):
        # whole pages parse; & and < occur in text; some entries are wrapped
        amp = lt = wrapped = 0
        for start in (0, 2000, 4000):
            st, root, body = feed(search_query="cat:cs.*", start=start, max_results=2000)
            amp += body.count(b"&amp;")
            lt += body.count(b"&lt;")
            for e in entries(root):
                if "\n" in e.find(A + "title").text:
                    wrapped += 1
        self.assertGreater(amp, 10)
        self.assertGreater(lt, 10)
        self.assertGreater(wrapped, 10)

    def test_non_ascii_and_latex(self):
        st, root, body = feed(search_query='au:"Łukasz Kaiser"', max_results=50)
        self.assertGreater(total(root), 5)
        self.assertIn("Łukasz Kaiser".encode("utf-8"), body)
        self.assertIn(b"$", body)


class T03Grammar(unittest.TestCase):
    def ids(self, q, **kw):
        r = all_ids(q, **kw)
        self.assertEqual(len(r), len(set(r)), "duplicates for %s" % q)
        return set(r)

    def test_word_sets_match_dump(self):
        for w in ("memory", "cache", "quantum", "bounds"):
            self.assertEqual(self.ids("ti:" + w), title_set(w), w)

    def test_precedence_right_grouping(self):
        a, b, c = "memory", "efficient", "quantum"
        A_, B_, C_ = title_set(a), title_set(b), title_set(c)
        right = A_ & (B_ | C_)
        left = (A_ & B_) | C_
        self.assertNotEqual(right, left)
        got = self.ids("ti:%s AND ti:%s OR ti:%s" % (a, b, c))
        self.assertEqual(got, right)
        self.assertEqual(self.ids("(ti:%s AND ti:%s) OR ti:%s" % (a, b, c)), left)
        # OR then AND: a OR b AND c = a OR (b AND c)
        self.assertEqual(self.ids("ti:%s OR ti:%s AND ti:%s" % (a, b, c)), A_ | (B_ & C_))

    def test_andnot(self):
        A_, B_, C_ = title_set("memory"), title_set("efficient"), title_set("scalable")
        self.assertEqual(self.ids("ti:memory ANDNOT ti:efficient"), A_ - B_)
        # a ANDNOT b OR c = a ANDNOT (b OR c)
        self.assertEqual(self.ids("ti:memory ANDNOT ti:efficient OR ti:scalable"), A_ - (B_ | C_))
        self.assertEqual(self.ids("(ti:memory ANDNOT ti:efficient) OR ti:scalable"), (A_ - B_) | C_)
        st, root, _ = feed(search_query="ANDNOT ti:memory", raw=1)
        self.assertEqual(st, 400)

    def test_case_insensitive(self):
        self.assertEqual(self.ids("ti:MEMORY"), self.ids("ti:memory"))
        self.assertEqual(self.ids("TI:Memory"), self.ids("ti:memory"))

    def test_word_not_substring(self):
        ml = title_set("memoryless")
        self.assertTrue(ml)
        mem = self.ids("ti:memory")
        for r in dump():
            if r["id"] in ml and "memory" not in toks(r["title"]):
                self.assertNotIn(r["id"], mem)
        self.assertTrue(any(r["id"] in ml and "memory" not in toks(r["title"]) for r in dump()))
        self.assertEqual(self.ids("ti:memoryless"), ml)
        self.assertEqual(self.ids("ti:memor"), set())

    def test_phrases(self):
        phrase = self.ids('ti:"tail latency"')
        both = self.ids("ti:tail AND ti:latency")
        self.assertTrue(phrase)
        self.assertTrue(phrase <= both)
        for r in dump():
            if r["id"] in phrase:
                self.assertIn("tail latency", " ".join(toks(r["title"])))
        # underscore and hyphen forms are phrases too
        dm = self.ids("au:del_maestro")
        self.assertTrue(dm)
        self.assertEqual(dm, self.ids('au:"del maestro"'))
        self.assertEqual(dm, self.ids('au:"Adrian Del Maestro"'))
        self.assertEqual(self.ids("ti:KV-Cache"), self.ids('ti:"kv cache"'))
        # au:del_maestro ANDNOT (ti:checkerboard OR ti:pyrochlore) works
        st, root, _ = feed(search_query="au:del_maestro ANDNOT (ti:checkerboard OR ti:Pyrochlore)")
        self.assertEqual(st, 200)
        self.assertEqual(total(root), len(dm))

    def test_abstract_phrase(self):
        st, hdr, body = hreq("GET", M.base + "/_mock/corpus.tsv?fields=id,abstract&search_query="
                             + urllib.parse.quote("abs:tail AND abs:latency"))
        want = set()
        n = 0
        for line in body.decode().splitlines():
            pid, abstract = line.split("\t")
            n += 1
            if "tail latency" in " ".join(toks(unescape_copy(abstract))):
                want.add(pid)
        self.assertTrue(want)
        self.assertLess(len(want), n)
        self.assertEqual(self.ids('abs:"tail latency"'), want)
        self.assertEqual(self.ids('abs:"latency tail"') & want, set())

    def test_author_phrase_does_not_cross_authors(self):
        ctl("reset", {})
        try:
            st, r = ctl("corpus", {"add": [{"id": "2606.99001", "title": "Crossing test",
                                             "summary": "x", "published": "2026-06-10T10:00:00Z",
                                             "authors": ["Quintus Smithers", "Hallam Zygmund"],
                                             "categories": ["cs.OS"]}]})
            self.assertEqual(st, 200)
            self.assertIn("2606.99001", self.ids('au:"Quintus Smithers"'))
            self.assertNotIn("2606.99001", self.ids('au:"Smithers Hallam"'))
            self.assertIn("2606.99001", self.ids("au:smithers AND au:hallam"))
        finally:
            ctl("reset", {})

    def test_kaiser(self):
        k = self.ids("au:kaiser")
        cats = set()
        for r in dump():
            if r["id"] in k:
                names = parse_pg_array(r["authors"])
                self.assertTrue(any("kaiser" in toks(n) for n in names))
                cats.update(parse_pg_array(r["categories"]))
        self.assertIn("cs.LG", cats)
        self.assertTrue({"cs.OS", "hep-th"} & cats or len(cats) > 5)
        self.assertEqual(self.ids("au:lukasz AND au:kaiser"), self.ids("au:łukasz AND au:kaiser"))
        self.assertEqual(self.ids("au:P*"), set())

    def test_categories(self):
        want = {r["id"] for r in dump() if "cs.OS" in parse_pg_array(r["categories"])}
        self.assertEqual(self.ids("cat:cs.OS"), want)
        want_cs = {r["id"] for r in dump() if any(c.startswith("cs.") for c in parse_pg_array(r["categories"]))}
        st, root, _ = feed(search_query="cat:cs.*", max_results=1)
        self.assertEqual(total(root), len(want_cs))
        want_hep = {r["id"] for r in dump() if "hep-th" in parse_pg_array(r["categories"])}
        self.assertEqual(self.ids("cat:hep-th"), want_hep)
        # primary or cross-list
        prim_other = [r for r in dump() if "cs.OS" in parse_pg_array(r["categories"])[1:]]
        self.assertTrue(prim_other)

    def test_date_ranges(self):
        rows = dump()

        def ts(s):
            return time.strptime(s[:19], "%Y-%m-%d %H:%M:%S")

        def between(lo, hi):
            return {r["id"] for r in rows if lo <= r["published"][:19] <= hi}
        got = self.ids("submittedDate:[202605310000 TO 202605312359]")
        self.assertEqual(got, between("2026-05-31 00:00:00", "2026-05-31 23:59:00"))
        late = [r["id"] for r in rows if r["published"].startswith("2026-05-31 23:59:30")]
        exact = [r["id"] for r in rows if r["published"].startswith("2026-05-31 23:59:00")]
        self.assertTrue(late and exact)
        self.assertNotIn(late[0], got)
        self.assertIn(exact[0], got)
        # partial dates: lower bound = start of the period, upper = its last minute
        self.assertEqual(self.ids("submittedDate:[202605 TO 202605]"),
                         between("2026-05-01 00:00:00", "2026-05-31 23:59:00"))
        y2010 = self.ids("submittedDate:[2010 TO 2010]")
        self.assertEqual(y2010, between("2010-01-01 00:00:00", "2010-12-31 23:59:00"))
        # lastUpdatedDate behaves like submittedDate
        self.assertEqual(self.ids("lastUpdatedDate:[2010 TO 2010]"), y2010)
        # inclusive lower bound at 00:00:00
        first = [r["id"] for r in rows if r["published"].startswith("2026-06-01 00:00:00")]
        self.assertTrue(first)
        self.assertIn(first[0], self.ids("submittedDate:[202606010000 TO 202606010000]"))
        # combined with other terms
        self.assertEqual(self.ids("cat:cs.OS AND submittedDate:[2010 TO 2010]"),
                         y2010 & self.ids("cat:cs.OS"))
        for bad in ("submittedDate:[2026 TO]", "submittedDate:[20261 TO 2027]",
                    "submittedDate:[202613 TO 2027]", "submittedDate:2026"):
            st, root, _ = feed(search_query=bad)
            self.assertEqual(st, 400, bad)
            self.assertTrue(is_error_feed(root))

    def test_invalid_queries(self):
        for q in ("ti:(", "ti:memory AND", "(ti:memory", "ti:memory)", 'ti:"memory',
                  "xx:memory", "ti:", "AND", "ti:memory OR OR ti:cache"):
            st, root, body = feed(search_query=q, raw=1)
            self.assertEqual(st, 400, q)
            self.assertTrue(is_error_feed(root), q)
            self.assertEqual(error_message(root), "Invalid query string: '%s'" % q)
            self.assertEqual(entries(root)[0].find(A + "id").text, "https://arxiv.org/api/errors")
            self.assertEqual(root.find(A + "title").text, "arXiv Search Results")
        # juxtaposition: an error with raw=1, AND otherwise
        st, root, _ = feed(search_query="ti:memory ti:cache", raw=1)
        self.assertEqual(st, 400)
        self.assertEqual(self.ids("ti:memory ti:cache"), self.ids("ti:memory AND ti:cache"))

    def test_field_group_and_all(self):
        self.assertEqual(self.ids("ti:(memory OR quantum)"), title_set("memory") | title_set("quantum"))
        every = self.ids("all:hypervisor")
        self.assertTrue(self.ids("ti:hypervisor") <= every)
        self.assertTrue(self.ids("abs:hypervisor") <= every)
        self.assertEqual(self.ids("ti:hypervisor OR abs:hypervisor OR co:hypervisor OR "
                                  "jr:hypervisor OR au:hypervisor"), every)
        self.assertTrue(self.ids("au:kaiser") <= self.ids("kaiser"))
        for q in ("co:pages", "jr:phys", "rn:cern", 'co:"code available"'):
            st, root, _ = feed(search_query=q, max_results=1)
            self.assertGreater(total(root), 0, q)
        self.assertEqual(self.ids("id:2605.09735"), {"2605.09735"})


class T04IdList(unittest.TestCase):
    def test_versions(self):
        st, root, _ = feed(id_list="2603.18030")
        self.assertEqual(entry_ids(root), ["2603.18030v2"])
        st, root, _ = feed(id_list="2603.18030v1,2603.18030v2,2603.18030v3")
        self.assertEqual(entry_ids(root), ["2603.18030v1", "2603.18030v2"])
        es = entries(root)
        self.assertEqual(es[0].find(A + "updated").text, "2026-03-08T05:32:46Z")
        self.assertNotEqual(es[1].find(A + "updated").text, es[0].find(A + "updated").text)
        self.assertEqual(es[0].find(A + "published").text, es[1].find(A + "published").text)
        self.assertIn("github", es[0].find(AX + "comment").text)
        self.assertEqual(es[1].find(AX + "comment").text, "Minor revision clarifying exec semantics")
        # an unobserved middle version of a v5 seed paper
        st, root, _ = feed(id_list="2512.01594v3")
        e = entries(root)[0]
        self.assertEqual(entry_ids(root), ["2512.01594v3"])
        self.assertLess(e.find(A + "published").text, e.find(A + "updated").text)

    def test_order_and_unknown(self):
        ids = ["2605.09735", "0000.0000", "2604.09559", "9912.99999", "2602.11476"]
        st, root, _ = feed(id_list=",".join(ids))
        self.assertEqual(st, 200)
        self.assertEqual([strip_v(x) for x in entry_ids(root)], ["2605.09735", "2604.09559", "2602.11476"])
        self.assertEqual(total(root), 3)
        st, root, body = feed(id_list="0000.0000", max_results=100)
        self.assertEqual(st, 200)
        self.assertEqual(total(root), 0)
        self.assertEqual(entries(root), [])
        self.assertIn(b"<title>arXiv Query: search_query=&amp;id_list=0000.0000&amp;start=0&amp;max_results=100</title>", body)

    def test_malformed(self):
        for bad in ("abc", "1234.12345", "2301.1", "hep-th/99", "2301.00001v0"):
            st, root, body = feed(id_list="2605.09735," + bad)
            self.assertEqual(st, 400, bad)
            self.assertTrue(is_error_feed(root))
            self.assertEqual(error_message(root), "incorrect id format for %s" % bad)
        st, root, _ = feed(id_list="abc")
        self.assertEqual(entries(root)[0].find(A + "id").text,
                         "https://arxiv.org/api/errors#incorrect_id_format_for_abc")

    def test_old_style(self):
        rows = [r for r in dump() if "/" in r["id"]]
        some = [r["id"] for r in rows[:5]]
        self.assertTrue(any(re.match(r"[a-z\-]+\.[A-Za-z\-]+/\d{7}$", r["id"]) for r in rows))
        st, root, _ = feed(id_list=",".join(some))
        self.assertEqual([strip_v(x) for x in entry_ids(root)], some)
        for r in rows:
            self.assertLess(r["published"], "2007-04-01")

    def test_old_style_subject_class(self):
        # archive.subject/YYMMNNN with a subject class longer than two
        # letters (cond-mat.mes-hall/0101001) is a valid id, as math.AP/... is
        subj = [r["id"] for r in dump() if re.match(r"[a-z\-]+\.[a-z]{3,}", r["id"])]
        two = [r["id"] for r in dump() if re.match(r"[a-z\-]+\.[A-Z]{2}/", r["id"])]
        self.assertTrue(subj and two)
        some = subj[:3] + two[:2]
        st, root, _ = feed(id_list=",".join(some))
        self.assertEqual(st, 200)
        self.assertEqual(sorted(strip_v(x) for x in entry_ids(root)), sorted(some))
        st, root, _ = feed(id_list=subj[0] + "v1")
        self.assertEqual(entry_ids(root), [subj[0] + "v1"])
        for bad in ("cond-mat.mes-hall/01010", "cond-mat.mes-hall/0101001v0", "cond-mat./0101001"):
            st, root, _ = feed(id_list=bad)
            self.assertEqual(st, 400, bad)

    def test_with_query(self):
        ids = [r["id"] for r in dump()[:400]]
        os_ids = {r["id"] for r in dump()[:400] if "cs.OS" in parse_pg_array(r["categories"])}
        st, hdr, body = hreq("POST", M.base + "/api/query",
                             urllib.parse.urlencode({"id_list": ",".join(ids),
                                                     "search_query": "cat:cs.OS",
                                                     "max_results": 500}).encode(),
                             {"Content-Type": "application/x-www-form-urlencoded"})
        root = ET.fromstring(body)
        got = [strip_v(x) for x in entry_ids(root)]
        self.assertEqual(set(got), os_ids)
        self.assertEqual(got, [i for i in ids if i in os_ids])

    def test_paging_id_list(self):
        ids = [r["id"] for r in dump()[1000:1025]]
        st, root, _ = feed(id_list=",".join(ids), start=10, max_results=10)
        self.assertEqual([strip_v(x) for x in entry_ids(root)], ids[10:20])
        self.assertEqual(total(root), 25)


class T05Paging(unittest.TestCase):
    def test_stable_pages(self):
        for sort in ("relevance", "submittedDate", "lastUpdatedDate"):
            for order in ("descending", "ascending"):
                st, root, _ = feed(search_query="cat:cs.OS", sortBy=sort, sortOrder=order,
                                   max_results=1000)
                whole = entry_ids(root)
                pieced = []
                for start in range(0, 1000, 100):
                    st, root, _ = feed(search_query="cat:cs.OS", sortBy=sort, sortOrder=order,
                                       start=start, max_results=100)
                    pieced += entry_ids(root)
                self.assertEqual(whole, pieced, (sort, order))
                self.assertEqual(len(set(whole)), 1000)

    def test_sort_orders(self):
        st, root, _ = feed(search_query="cat:cs.OS", sortBy="submittedDate",
                           sortOrder="descending", max_results=500)
        pubs = [e.find(A + "published").text for e in entries(root)]
        self.assertEqual(pubs, sorted(pubs, reverse=True))
        st, root, _ = feed(search_query="cat:cs.OS", sortBy="lastUpdatedDate",
                           sortOrder="ascending", max_results=500)
        ups = [e.find(A + "updated").text for e in entries(root)]
        self.assertEqual(ups, sorted(ups))
        st, root, _ = feed(search_query="cat:cs.OS", sortBy="bogus")
        self.assertEqual(st, 400)

    def test_beyond_total(self):
        st, root, _ = feed(search_query="cat:cs.OS", start=5000, max_results=10)
        self.assertEqual(st, 200)
        self.assertEqual(entries(root), [])
        self.assertGreater(total(root), 1000)


class T06Limits(unittest.TestCase):
    def test_window_10000(self):
        st, root, _ = feed(search_query="cat:cs.LG", start=9990, max_results=10)
        self.assertEqual(st, 200)
        self.assertEqual(len(entries(root)), 10)
        st, hdr, body = api(search_query="cat:cs.LG", start=9991, max_results=10)
        self.assertEqual(st, 500)
        st, hdr, body = api(search_query="cat:cs.LG", max_results=0)
        self.assertEqual(st, 500)

    def test_cap_2000(self):
        st, root, _ = feed(search_query="cat:cs.LG", max_results=5000)
        self.assertEqual(st, 200)
        self.assertEqual(len(entries(root)), 2000)
        self.assertEqual(root.find(OS_ + "itemsPerPage").text, "5000")

    def test_window_30000(self):
        st, root, _ = feed(M30, search_query="cat:cs.*", start=20000, max_results=100)
        self.assertEqual(st, 200)
        st, root, _ = feed(M30, search_query="cat:cs.*", start=29000, max_results=2000)
        self.assertEqual(st, 400)
        self.assertTrue(is_error_feed(root))
        st, hdr, body = api(M30, search_query="cat:cs.*", max_results=0)
        self.assertEqual(st, 500)

    def test_bad_numbers(self):
        for kw in ({"start": "x"}, {"max_results": "ten"}, {"start": "-1"}):
            st, root, _ = feed(search_query="cat:cs.OS", **kw)
            self.assertEqual(st, 400, kw)
            self.assertTrue(is_error_feed(root))


def raw_request(path, timeout=10, headers=""):
    """Send a GET by hand; returns (bytes received, exception or None)."""
    s = socket.create_connection(("127.0.0.1", M.port), timeout=timeout)
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s\r\n" % (path, headers)).encode())
    data = b""
    err = None
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except Exception as e:  # noqa: BLE001
        err = e
    s.close()
    return data, err


class T07Faults(unittest.TestCase):
    Q = "/api/query?search_query=cat:cs.OS&max_results=20"

    def setUp(self):
        ctl("reset", {})

    def fault(self, **spec):
        st, r = ctl("fault", spec)
        self.assertEqual(st, 200, r)

    def get(self, timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", M.port, timeout=timeout)
        try:
            conn.request("GET", self.Q)
            r = conn.getresponse()
            body = r.read()
        finally:
            conn.close()
        return r, body

    def last_log(self):
        st, log = ctl("log")
        return log[-1]

    def test_status(self):
        self.fault(kind="status", status=503, retry_after=7)
        r, body = self.get()
        self.assertEqual(r.status, 503)
        self.assertEqual(r.getheader("Retry-After"), "7")
        self.assertIn(b"Service Unavailable", body)
        self.fault(kind="status", status=429)
        r, body = self.get()
        self.assertEqual(r.status, 429)
        self.assertIsNone(r.getheader("Retry-After"))
        self.assertEqual(self.last_log()["fault"], "status")
        r, body = self.get()
        self.assertEqual(r.status, 200)
        self.assertIsNone(self.last_log()["fault"])

    def test_empty_page(self):
        self.fault(kind="empty_page")
        r, body = self.get()
        root = ET.fromstring(body)
        self.assertEqual(r.status, 200)
        self.assertEqual(entries(root), [])
        self.assertGreater(total(root), 1000)
        log = self.last_log()
        self.assertEqual((log["fault"], log["entries"]), ("empty_page", 0))

    def test_slow(self):
        self.fault(kind="slow", delay=1.0)
        t = time.time()
        r, body = self.get()
        self.assertGreaterEqual(time.time() - t, 1.0)
        self.assertEqual(len(entries(ET.fromstring(body))), 20)

    def test_stall(self):
        self.fault(kind="stall", delay=1.5, bytes=300)
        with self.assertRaises(socket.timeout):
            self.get(timeout=0.5)
        time.sleep(1.5)
        self.fault(kind="stall", delay=1.0)
        t = time.time()
        r, body = self.get()
        self.assertGreaterEqual(time.time() - t, 1.0)
        ET.fromstring(body)

    def test_truncated(self):
        self.fault(kind="truncated", bytes=500)
        with self.assertRaises(http.client.IncompleteRead) as cm:
            self.get()
        self.assertEqual(len(cm.exception.partial), 500)
        self.fault(kind="truncated")
        data, err = raw_request(self.Q)
        head, _, body = data.partition(b"\r\n\r\n")
        clen = int(re.search(rb"Content-Length: (\d+)", head).group(1))
        self.assertEqual(len(body), clen // 2)
        self.assertEqual(self.last_log()["bytes"], clen // 2)

    def test_non_xml_blank_rate(self):
        self.fault(kind="non_xml")
        r, body = self.get()
        self.assertEqual(r.status, 200)
        self.assertTrue(r.getheader("Content-Type").startswith("text/plain"))
        self.assertRaises(ET.ParseError, ET.fromstring, body)
        self.fault(kind="blank")
        r, body = self.get()
        self.assertEqual((r.status, body), (200, b""))
        self.fault(kind="rate_exceeded")
        r, body = self.get()
        self.assertEqual((r.status, body), (200, b"Rate exceeded."))
        self.assertEqual(r.getheader("Content-Type"), "text/plain")

    def test_html_denied(self):
        self.fault(kind="html_denied")
        r, body = self.get()
        self.assertEqual(r.status, 403)
        self.assertIn(b"Access Denied", body)
        self.fault(kind="html_denied", status=200)
        r, body = self.get()
        self.assertEqual(r.status, 200)
        self.assertTrue(r.getheader("Content-Type").startswith("text/html"))

    def test_error_feed_200(self):
        self.fault(kind="error_feed_200")
        r, body = self.get()
        root = ET.fromstring(body)
        self.assertEqual(r.status, 200)
        self.assertTrue(is_error_feed(root))
        self.assertEqual(error_message(root), "Invalid query string: 'cat:cs.OS'")

    def test_reset(self):
        self.fault(kind="reset")
        with self.assertRaises((ConnectionResetError, http.client.RemoteDisconnected, ConnectionAbortedError)):
            self.get()
        log = self.last_log()
        self.assertEqual(log["fault"], "reset")
        self.assertIsNone(log["status"])
        r, body = self.get()
        self.assertEqual(r.status, 200)

    def test_skip_match_count(self):
        self.fault(kind="status", status=502, match="cat:hep-th", skip=1, count=2)
        seq = []
        for q in ("cat:cs.OS", "cat:hep-th", "cat:hep-th", "cat:cs.OS", "cat:hep-th", "cat:hep-th"):
            st, hdr, body = api(search_query=q, max_results=1)
            seq.append(st)
        self.assertEqual(seq, [200, 200, 502, 200, 502, 200])
        st, pending = ctl("fault")
        self.assertEqual(pending, [])

    def test_gzip(self):
        st, hdr, body = hreq("GET", M.base + self.Q, headers={"Accept-Encoding": "gzip"})
        self.assertEqual(hdr.get("Content-Encoding"), "gzip")
        self.assertEqual(len(entries(ET.fromstring(gzip.decompress(body)))), 20)
        st, hdr, body = hreq("GET", M.base + self.Q)
        self.assertNotIn("Content-Encoding", hdr)

    def test_keep_alive(self):
        conn = http.client.HTTPConnection("127.0.0.1", M.port, timeout=10)
        for _ in range(3):
            conn.request("GET", self.Q)
            r = conn.getresponse()
            self.assertEqual(r.status, 200)
            r.read()
        conn.close()


class T08LogAndDetector(unittest.TestCase):
    def setUp(self):
        ctl("reset", {})

    def test_log_records(self):
        api(search_query="ti:memory AND cat:cs.OS", max_results=3)
        hreq("POST", M.base + "/api/query", b"id_list=2605.09735&max_results=5",
             {"Content-Type": "application/x-www-form-urlencoded"})
        api(id_list="abc")
        st, log = ctl("log")
        self.assertEqual([r["seq"] for r in log], [1, 2, 3])
        r1, r2, r3 = log
        self.assertEqual(r1["params"], {"search_query": "ti:memory AND cat:cs.OS", "max_results": "3"})
        self.assertEqual(r1["method"], "GET")
        self.assertEqual(r1["status"], 200)
        self.assertLessEqual(r1["entries"], 3)
        self.assertIsInstance(r1["total"], int)
        self.assertGreater(r1["bytes"], 0)
        self.assertLessEqual(r1["t_start"], r1["t_end"])
        self.assertIsNone(r1["fault"])
        self.assertEqual(r2["method"], "POST")
        self.assertEqual(r2["params"]["id_list"], "2605.09735")
        self.assertEqual((r2["entries"], r2["total"]), (1, 1))
        self.assertEqual(r3["status"], 400)
        with open(M.logpath, encoding="utf-8") as fh:
            lines = [json.loads(x) for x in fh if x.strip()]
        # the file is written in completion order
        self.assertEqual(sorted(lines[-3:], key=lambda r: r["seq"]), log)
        st, log = ctl("log?since=2")
        self.assertEqual([r["seq"] for r in log], [3])

    def test_detector(self):
        ctl("config", {"min_interval": 0.5})
        try:
            api(search_query="cat:cs.OS", max_results=1)
            api(search_query="cat:cs.OS", max_results=1)          # too soon
            time.sleep(0.6)
            api(search_query="cat:cs.OS", max_results=1)          # fine
            st, s = ctl("stats")
            self.assertEqual(s["requests"], 3)
            self.assertEqual(s["interval_violations"], 1)
            self.assertEqual(s["max_concurrent"], 1)
            self.assertLess(s["min_gap_seen"], 0.5)
            # two at once
            ctl("fault", {"kind": "slow", "delay": 0.8})
            th = threading.Thread(target=api, kwargs={"search_query": "cat:cs.OS"})
            th.start()
            time.sleep(0.3)
            api(search_query="cat:cs.OS", max_results=1)
            th.join()
            st, s = ctl("stats")
            self.assertEqual(s["max_concurrent"], 2)
            self.assertGreaterEqual(s["interval_violations"], 2)
            st, log = ctl("log")
            self.assertTrue(any(r["concurrent"] for r in log))
        finally:
            ctl("reset", {})
        st, s = ctl("stats")
        self.assertEqual((s["requests"], s["interval_violations"], s["min_interval"]), (0, 0, 0.0))


class T09Corpus(unittest.TestCase):
    def setUp(self):
        ctl("reset", {})

    def tearDown(self):
        ctl("reset", {})

    def test_add_new_and_reset(self):
        st, r = ctl("corpus", {"add_new": 3, "categories": ["cs.OS", "cs.DC"]})
        self.assertEqual(st, 200)
        new = r["ids"]
        self.assertEqual(len(new), 3)
        st, root, _ = feed(search_query="cat:cs.OS", sortBy="submittedDate", max_results=3)
        self.assertEqual(set(strip_v(x) for x in entry_ids(root)), set(new))
        e = entries(root)[0]
        self.assertEqual([c.get("term") for c in e.findall(A + "category")], ["cs.OS", "cs.DC"])
        st, root, _ = feed(search_query="cat:cs.DC", id_list=",".join(new))
        self.assertEqual(total(root), 3)
        api(search_query="cat:cs.OS")
        ctl("reset", {"corpus": False})          # keeps the corpus
        st, log = ctl("log")
        self.assertEqual(log, [])
        st, root, _ = feed(id_list=",".join(new))
        self.assertEqual(total(root), 3)
        ctl("reset", {})
        st, root, _ = feed(id_list=",".join(new))
        self.assertEqual(total(root), 0)

    def test_new_version(self):
        pid = "2605.07008"
        st, root, _ = feed(id_list=pid)
        old_title = entries(root)[0].find(A + "title").text
        st, r = ctl("corpus", {"new_version": [{"id": pid, "title": "Zanzibarian Compartments Revisited"}]})
        self.assertEqual(r["new_versions"], [{"id": pid, "version": 2}])
        st, root, _ = feed(id_list=pid)
        e = entries(root)[0]
        self.assertEqual(entry_ids(root), [pid + "v2"])
        self.assertEqual(e.find(A + "title").text, "Zanzibarian Compartments Revisited")
        self.assertGreater(e.find(A + "updated").text, e.find(A + "published").text)
        st, root, _ = feed(id_list=pid + "v1")
        self.assertEqual(entries(root)[0].find(A + "title").text, old_title)
        self.assertEqual(set(all_ids("ti:zanzibarian")), {pid})
        self.assertNotIn(pid, all_ids("ti:pomegranate"))
        st, root, _ = feed(search_query="cat:cs.OS", sortBy="lastUpdatedDate", max_results=1)
        self.assertEqual(entry_ids(root), [pid + "v2"])
        # a plain id bumps the version without changes
        st, r = ctl("corpus", {"new_version": [pid]})
        self.assertEqual(r["new_versions"][0]["version"], 3)
        ctl("reset", {})
        st, root, _ = feed(id_list=pid)
        self.assertEqual(entry_ids(root), [pid + "v1"])
        self.assertEqual(entries(root)[0].find(A + "title").text, old_title)
        st, r = ctl("corpus", {"new_version": ["9999.99999"]})
        self.assertEqual(st, 404)

    def test_add_and_tsv_escaping(self):
        weird = {"id": "2606.99002", "version": 2,
                 "title": "Tabs\there and\nnewlines & <brackets> \\ backslash",
                 "summary": "  Wrapped\n  abstract   text  ",
                 "published": "2026-06-11T10:00:00Z", "updated": "2026-06-12T11:00:00Z",
                 "authors": [{"name": 'Zoë "Q" O\'Neil', "affiliations": ["AT&T Labs", "ETH Zürich"]},
                             "Adrian Del Maestro"],
                 "categories": ["cs.OS", "I.2.6"], "comment": None, "doi": "10.1145/1234567.7654321"}
        st, r = ctl("corpus", {"add": [weird]})
        self.assertEqual((st, r["ids"]), (200, ["2606.99002"]))
        st, hdr, body = hreq("GET", M.base + "/_mock/corpus.tsv?id_list=2606.99002")
        self.assertTrue(hdr["Content-Type"].startswith("text/tab-separated-values"))
        line = body.decode("utf-8")
        self.assertTrue(line.endswith("\n") and line.count("\n") == 1)
        cols = line[:-1].split("\t")
        self.assertEqual(len(cols), 15)
        (pid, ver, title, abstract, authors, details, prim, cats, pub, upd,
         comment, jr, doi, abs_url, pdf_url) = cols
        self.assertEqual((pid, ver, prim), ("2606.99002", "2", "cs.OS"))
        self.assertEqual(title, "Tabs here and newlines & <brackets> \\\\ backslash")
        self.assertEqual(abstract, "Wrapped abstract text")
        self.assertEqual(authors, '{"Zoë \\\\"Q\\\\" O\'Neil","Adrian Del Maestro"}')
        self.assertEqual(parse_pg_array(unescape_copy(authors)), ['Zoë "Q" O\'Neil', "Adrian Del Maestro"])
        self.assertEqual(json.loads(unescape_copy(details))[0]["affiliations"], ["AT&T Labs", "ETH Zürich"])
        self.assertEqual(cats, '{"cs.OS","I.2.6"}')
        self.assertEqual((pub, upd), ("2026-06-11 10:00:00+00", "2026-06-12 11:00:00+00"))
        self.assertEqual((comment, jr, doi), ("\\N", "\\N", "10.1145/1234567.7654321"))
        self.assertEqual((abs_url, pdf_url), ("https://arxiv.org/abs/2606.99002v2",
                                              "https://arxiv.org/pdf/2606.99002v2"))
        # the feed for it: escaped, parseable, two versions
        st, root, body = feed(id_list="2606.99002")
        self.assertIn(b"&amp; &lt;brackets&gt;", body)
        e = entries(root)[0]
        self.assertEqual(e.find(A + "id").text, "http://arxiv.org/abs/2606.99002v2")
        self.assertEqual(e.find(A + "link[@title='doi']").get("href"), "https://doi.org/10.1145/1234567.7654321")
        st, root, _ = feed(id_list="2606.99002v1")
        self.assertEqual(entries(root)[0].find(A + "updated").text, "2026-06-11T10:00:00Z")
        self.assertIn("2606.99002", all_ids("cat:I.2.6"))
        self.assertIn("2606.99002", all_ids("au:del_maestro"))

    def test_tsv_matches_feed(self):
        rows = {r["id"]: r for r in dump("id,title,authors,published,updated,version,abs_url")}
        self.assertEqual(len(rows), 60000)
        st, root, _ = feed(search_query="cat:cs.OS", max_results=2000)
        wrapped = 0
        for e in entries(root):
            vid = e.find(A + "id").text.rsplit("/abs/", 1)[1]
            r = rows[strip_v(vid)]
            t = e.find(A + "title").text
            wrapped += "\n" in t
            self.assertEqual(" ".join(t.split()), r["title"])
            self.assertEqual([a.find(A + "name").text for a in e.findall(A + "author")],
                             parse_pg_array(r["authors"]))
            self.assertEqual(r["abs_url"], "https://arxiv.org/abs/" + vid)
            self.assertEqual(e.find(A + "published").text.replace("T", " ").replace("Z", "+00"),
                             r["published"])
        self.assertGreater(wrapped, 0)

    def test_tsv_filter_and_header(self):
        st, hdr, body = hreq("GET", M.base + "/_mock/corpus.tsv?fields=id,primary_category&header=1"
                             "&search_query=" + urllib.parse.quote("cat:cs.OS"))
        lines = body.decode().splitlines()
        self.assertEqual(lines[0], "id\tprimary_category")
        self.assertEqual(len(lines) - 1, len(all_ids("cat:cs.OS")))
        st, r = ctl("corpus.tsv?fields=nope")
        self.assertEqual(st, 400)


class T10Shutdown(unittest.TestCase):
    def test_sigterm(self):
        m = MockProcess(size=500)
        self.assertTrue(os.path.exists(m.pidfile))
        with open(m.pidfile) as fh:
            self.assertEqual(int(fh.read()), m.proc.pid)
        st, root, _ = feed(m, search_query="cat:cs.OS")
        self.assertEqual(st, 200)
        m.proc.send_signal(signal.SIGTERM)
        self.assertEqual(m.proc.wait(10), 0)
        self.assertFalse(os.path.exists(m.pidfile))
        m.stop()


class T11Replay(unittest.TestCase):
    """--replay DIR, the benchmark's server of saved responses."""

    def test_replay(self):
        tmp = tempfile.mkdtemp(prefix="arxiv_mock_replay_")
        pages = {"p0.xml": b"<feed>zero</feed>\n", "p1.xml": b"<feed>one</feed>\n" * 50}
        for name, body in pages.items():
            with open(os.path.join(tmp, name), "wb") as fh:
                fh.write(body)
        index = [{"method": "GET", "params": {"search_query": "cat:cs.OS", "start": 0},
                  "file": "p0.xml"},
                 {"method": "POST", "params": {"id_list": "2301.00001", "start": "1"},
                  "file": "p1.xml"}]
        with open(os.path.join(tmp, "index.json"), "w") as fh:
            json.dump(index, fh)
        port = free_port()
        proc = subprocess.Popen([sys.executable, MOCK, "--port", str(port), "--replay", tmp],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            self.assertIn("replaying", proc.stdout.readline().decode())
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            # one keep-alive connection for all the requests
            c.request("GET", "/api/query?start=0&search_query=cat%3Acs.OS")
            r = c.getresponse()
            self.assertEqual((r.status, r.read()), (200, pages["p0.xml"]))
            self.assertEqual(r.getheader("Content-Type"), "application/atom+xml; charset=utf-8")
            c.request("POST", "/api/query", body="id_list=2301.00001&start=1",
                      headers={"Content-Type": "application/x-www-form-urlencoded",
                               "Accept-Encoding": "deflate, gzip"})
            r = c.getresponse()
            self.assertEqual(r.getheader("Content-Encoding"), "gzip")
            self.assertEqual(gzip.decompress(r.read()), pages["p1.xml"])
            c.request("GET", "/api/query?search_query=cat%3Acs.OS&start=1")
            r = c.getresponse()
            self.assertEqual(r.status, 404)
            r.read()
            c.request("GET", "/_replay/stats")
            r = c.getresponse()
            self.assertEqual(json.loads(r.read()), {"hits": 2, "misses": 1})
            c.close()
        finally:
            stop_process(proc)


if __name__ == "__main__":
    unittest.main()
