#!/usr/bin/env python3
"""Self-test of the mock's OAI-PMH endpoint, /oai (stdlib unittest).

    python3 test/mock/test_oai_mock.py [-v]

Starts arxiv_mock.py on a free port of 127.0.0.1 (60000 papers) and checks
the verbs, paging by stateless tokens, the errors, the set hierarchy, the
2005-09-16 floor, records that change between pages and the CDN faults
against what oai_mock.py promises (see its docstring); expectations come from the corpus dump and from
other requests, not from the mock's code.  The SHAPE test compares the
element and attribute structure of the mock's responses with the recorded
responses in test/fixtures/oai-pmh/; the last test runs the C parser
(test/unit/test_oai --dump, built if missing) on the mock's pages and
compares its reading with an independent one (gen_oai_expected.py).
"""

import json
import os
import re
import subprocess
import sys
import time
import unittest
import urllib.parse
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
FIXTURES = os.path.join(TOP, "test", "fixtures", "oai-pmh")
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(TOP, "test", "unit"))

from test_mock import MockProcess, hreq  # noqa: E402
import gen_oai_expected  # noqa: E402

O = "{http://www.openarchives.org/OAI/2.0/}"
R = "{http://arxiv.org/OAI/arXivRaw/}"
FLOOR = "2005-09-16"

M = None


def setUpModule():
    global M
    M = MockProcess()


def tearDownModule():
    if M:
        M.stop()


def oai(method="GET", **params):
    """(status, headers, body bytes) of one /oai request."""
    q = urllib.parse.urlencode(params)
    if method == "POST":
        return hreq("POST", M.base + "/oai", q.encode(),
                    {"Content-Type": "application/x-www-form-urlencoded"})
    return hreq("GET", M.base + "/oai?" + q)


def oai_raw(qs):
    return hreq("GET", M.base + "/oai?" + qs)


def xml(**params):
    st, hdr, body = oai(**params)
    return st, ET.fromstring(body), body


def ctl(path, payload=None):
    if payload is None:
        st, _, body = hreq("GET", M.base + path)
    else:
        st, _, body = hreq("POST", M.base + path, json.dumps(payload).encode(),
                           {"Content-Type": "application/json"})
    return st, json.loads(body.decode())


def config(**kw):
    st, body = ctl("/oai/_mock/config", kw)
    assert st == 200, body
    return body


def reset():
    st, _ = ctl("/_mock/reset", {})
    assert st == 200


def error_of(root):
    e = root.find(O + "error")
    return (e.get("code"), e.text) if e is not None else None


def records(root, verb="ListRecords"):
    v = root.find(O + verb)
    if v is None:
        return []
    if verb == "ListIdentifiers":
        return v.findall(O + "header")
    return v.findall(O + "record")


def rec_id(r):
    h = r if r.tag == O + "header" else r.find(O + "header")
    return h.find(O + "identifier").text[len("oai:arXiv.org:"):]


def rec_day(r):
    h = r if r.tag == O + "header" else r.find(O + "header")
    return h.find(O + "datestamp").text


def token_of(root, verb="ListRecords"):
    v = root.find(O + verb)
    return v.find(O + "resumptionToken") if v is not None else None


def harvest(verb="ListRecords", between=None, **params):
    """Follow tokens to the end: (ids in order, pages, tokens)."""
    ids, tokens, pages = [], [], 0
    st, root, _ = xml(verb=verb, **params)
    while True:
        pages += 1
        assert st == 200
        if error_of(root):
            assert error_of(root)[0] == "noRecordsMatch", error_of(root)
            break
        ids += [rec_id(r) for r in records(root, verb)]
        t = token_of(root, verb)
        if t is None or not (t.text or "").strip():
            tokens.append(t)
            break
        tokens.append(t)
        if between:
            between(pages, root)
        st, root, _ = xml(verb=verb, resumptionToken=t.text)
    return ids, pages, tokens


_DUMP = None


def corpus_dump():
    """{id: paper} from /_mock/corpus.json."""
    global _DUMP
    if _DUMP is None:
        st, _, body = hreq("GET", M.base + "/_mock/corpus.json")
        assert st == 200, body[:200]
        _DUMP = {d["id"]: d for d in json.loads(body.decode())}
    return _DUMP


def ts_day(iso_ts):
    return iso_ts[:10]


class T01Basics(unittest.TestCase):
    def setUp(self):
        reset()

    def test_identify_and_content_type(self):
        st, hdr, body = oai(verb="Identify")
        self.assertEqual(st, 200)
        self.assertEqual(hdr["Content-Type"], "text/xml")      # no charset
        root = ET.fromstring(body)
        i = root.find(O + "Identify")
        self.assertEqual(i.find(O + "earliestDatestamp").text, FLOOR)
        self.assertEqual(i.find(O + "granularity").text, "YYYY-MM-DD")
        self.assertEqual(i.find(O + "deletedRecord").text, "persistent")
        self.assertEqual(i.find(O + "baseURL").text, "https://oaipmh.arxiv.org/oai")
        self.assertEqual(root.find(O + "request").text, "http://oaipmh.arxiv.org/oai")
        self.assertEqual(root.find(O + "request").get("verb"), "Identify")

    def test_post_equals_get(self):
        a = oai(verb="ListRecords", metadataPrefix="arXivRaw", set="cs:cs:OS", **{"from": "2026-06-01"})
        b = oai("POST", verb="ListRecords", metadataPrefix="arXivRaw", set="cs:cs:OS", **{"from": "2026-06-01"})
        strip = lambda b: re.sub(rb"<responseDate>[^<]*", b"", b)  # noqa: E731
        self.assertEqual(a[0], 200)
        self.assertEqual(strip(a[2]), strip(b[2]))

    def test_metadata_formats(self):
        st, root, _ = xml(verb="ListMetadataFormats")
        prefixes = [e.text for e in root.iter(O + "metadataPrefix")]
        self.assertEqual(sorted(prefixes), ["arXivRaw", "oai_dc"])
        st, root, _ = xml(verb="ListMetadataFormats", identifier="oai:arXiv.org:9999.99999")
        self.assertEqual(error_of(root)[0], "idDoesNotExist")

    def test_sets(self):
        st, root, _ = xml(verb="ListSets")
        sets = {s.find(O + "setSpec").text: s.find(O + "setName").text
                for s in root.iter(O + "set")}
        self.assertEqual(sets["cs:cs:OS"], "Operating Systems")
        self.assertEqual(sets["physics:hep-th"], "High Energy Physics - Theory")
        self.assertEqual(sets["physics:astro-ph:HE"], "High Energy Astrophysical Phenomena")
        self.assertEqual(sets["math:math:MP"], "Mathematical Physics")
        self.assertEqual(sets["cs"], "Computer Science")
        for spec in sets:
            self.assertRegex(spec, r"^[a-z-]+(:[a-z-]+(:[A-Za-z-]+)?)?$")
        # every category of the corpus has its set
        cats = {c for d in corpus_dump().values() for c in d["categories"]
                if re.fullmatch(r"[a-z]+(-[a-z]+)?(\.[A-Za-z-]+)?", c)}
        for c in cats:
            a, _, s = c.partition(".")
            found = [k for k in sets if k.endswith(":" + a + (":" + s if s else "")) or k == a]
            self.assertTrue(found, c)

    def test_get_record_fields(self):
        d = corpus_dump()
        pid = next(k for k, v in d.items() if v["doi"] and v["version"] >= 2)
        st, root, body = xml(verb="GetRecord", identifier="oai:arXiv.org:" + pid,
                             metadataPrefix="arXivRaw")
        raw = root.find(".//" + R + "arXivRaw")
        self.assertEqual(raw.find(R + "id").text, pid)
        self.assertEqual(raw.find(R + "doi").text, d[pid]["doi"])
        self.assertEqual(len(raw.findall(R + "version")), d[pid]["version"])
        cats = raw.find(R + "categories").text.split()
        self.assertEqual(cats, [c for c in d[pid]["categories"] if c in cats])
        self.assertEqual(cats[0], d[pid]["categories"][0])
        v1 = raw.find(R + "version").find(R + "date").text
        self.assertRegex(v1, r"^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$")
        t = time.strptime(v1, "%a, %d %b %Y %H:%M:%S GMT")
        self.assertEqual(time.strftime("%Y-%m-%dT%H:%M:%SZ", t), d[pid]["published"])
        # the datestamp is a day, never before the modification of the last version
        day = root.find(".//" + O + "datestamp").text
        self.assertGreaterEqual(day, max(ts_day(d[pid]["updated"]), FLOOR))
        # oai_dc too
        st, root, _ = xml(verb="GetRecord", identifier="oai:arXiv.org:" + pid, metadataPrefix="oai_dc")
        self.assertIsNotNone(root.find(".//{http://purl.org/dc/elements/1.1/}title"))


class T02Paging(unittest.TestCase):
    def setUp(self):
        reset()

    def test_harvest_follows_tokens(self):
        config(records_limit=40)
        frm = "2025-06-01"
        ids, pages, tokens = harvest(metadataPrefix="arXivRaw", set="cs:cs:OS", **{"from": frm})
        self.assertEqual(len(ids), len(set(ids)))
        self.assertEqual(pages, -(-len(ids) // 40))
        self.assertGreater(pages, 3)
        # the same list in one page of identifiers
        all_ids, p2, _ = harvest("ListIdentifiers", metadataPrefix="arXivRaw", set="cs:cs:OS",
                                 **{"from": frm})
        self.assertEqual(p2, 1)
        self.assertEqual(sorted(ids), sorted(all_ids))
        # independently: in cs.OS (or alias), and every paper updated since is there
        d = corpus_dump()
        for i in ids:
            self.assertIn("cs.OS", d[i]["categories"])
        must = {k for k, v in d.items() if "cs.OS" in v["categories"] and ts_day(v["updated"]) >= frm}
        self.assertTrue(must <= set(ids), sorted(must - set(ids))[:5])
        # tokens: expirationDate at a UTC midnight, no cursor/size, from moves forward
        froms = []
        for t in tokens[:-1]:
            self.assertRegex(t.get("expirationDate"), r"^\d{4}-\d\d-\d\dT00:00:00Z$")
            self.assertIsNone(t.get("cursor"))
            self.assertIsNone(t.get("completeListSize"))
            q = dict(urllib.parse.parse_qsl(urllib.parse.unquote(t.text)))
            self.assertEqual(q["verb"], "ListRecords")
            self.assertEqual(q["set"], "cs:cs:OS")
            froms.append(q["from"])
        self.assertEqual(froms, sorted(froms))
        self.assertGreater(froms[-1], frm)
        # the final token is empty
        self.assertEqual((tokens[-1].text or "").strip(), "")
        self.assertEqual(tokens[-1].attrib, {})

    def test_one_page_has_no_token(self):
        config(records_limit=100000)
        st, root, _ = xml(verb="ListRecords", metadataPrefix="arXivRaw", set="cs:cs:OS",
                          **{"from": "2026-01-01"})
        self.assertGreater(len(records(root)), 1)
        self.assertIsNone(token_of(root))

    def test_requests_counted_once(self):
        config(records_limit=25)
        st, before = ctl("/_mock/stats")
        ids, pages, _ = harvest(metadataPrefix="arXivRaw", set="cs:cs:PF", **{"from": "2024-01-01"})
        st, after = ctl("/_mock/stats")
        self.assertEqual(after["requests"] - before["requests"], pages)
        self.assertEqual(pages, -(-len(ids) // 25))

    def test_day_order_and_window(self):
        config(records_limit=30)
        frm, until = "2026-03-01", "2026-03-31"
        days = []
        st, root, _ = xml(verb="ListIdentifiers", metadataPrefix="arXivRaw",
                          **{"from": frm, "until": until})
        for h in records(root, "ListIdentifiers"):
            days.append(rec_day(h))
        self.assertTrue(all(frm <= x <= until for x in days))
        self.assertEqual(days, sorted(days))

    def test_records_change_between_pages(self):
        """A paper modified during a harvest moves to the end of the list:
        the offsets of the next page shift, one record is skipped and the
        modified one is seen twice (so harvesters must de-duplicate)."""
        config(records_limit=20)
        params = {"metadataPrefix": "arXivRaw", "set": "cs:cs:DC", "from": "2026-01-01"}
        baseline, _, _ = harvest(**params)
        touched = []

        def touch(page, root):
            if page == 1:
                recs = records(root)
                last_day = rec_day(recs[-1])
                same = [r for r in recs if rec_day(r) == last_day]
                pid = rec_id(same[0])
                st, body = ctl("/oai/_mock/touch", {"id": pid, "doi": "10.9999/touched"})
                self.assertEqual(st, 200, body)
                touched.append(pid)

        ids, _, _ = harvest(between=touch, **params)
        pid = touched[0]
        self.assertEqual(ids.count(pid), 2)
        self.assertEqual(len(set(baseline) - set(ids)), 1)
        # the touched paper now carries today's datestamp and the new DOI
        st, root, _ = xml(verb="GetRecord", identifier="oai:arXiv.org:" + pid, metadataPrefix="arXivRaw")
        self.assertEqual(root.find(".//" + O + "datestamp").text, time.strftime("%Y-%m-%d", time.gmtime()))
        self.assertEqual(root.find(".//" + R + "doi").text, "10.9999/touched")
        # a reset forgets the touch
        reset()
        st, root, _ = xml(verb="GetRecord", identifier="oai:arXiv.org:" + pid, metadataPrefix="arXivRaw")
        self.assertNotEqual(root.find(".//" + O + "datestamp").text, time.strftime("%Y-%m-%d", time.gmtime()))

    def test_floor(self):
        config(identifiers_limit=100000)
        st, root, _ = xml(verb="ListIdentifiers", metadataPrefix="arXivRaw", until=FLOOR)
        hs = records(root, "ListIdentifiers")
        self.assertGreater(len(hs), 100)
        self.assertEqual({rec_day(h) for h in hs}, {FLOOR})
        d = corpus_dump()
        old = {k for k, v in d.items() if ts_day(v["updated"]) <= FLOOR}
        self.assertTrue(old <= {rec_id(h) for h in hs})
        # ids are in order within the day
        ids = [rec_id(h) for h in hs]
        self.assertEqual(ids, sorted(ids))

    def test_set_levels_and_alias(self):
        config(identifiers_limit=100000)
        sets = {}
        for spec in ("physics", "physics:astro-ph", "physics:astro-ph:HE", "math:math:MP",
                     "physics:math-ph"):
            st, root, _ = xml(verb="ListIdentifiers", metadataPrefix="arXivRaw", set=spec,
                              **{"from": "2020-01-01"})
            sets[spec] = {rec_id(h) for h in records(root, "ListIdentifiers")}
            self.assertTrue(sets[spec], spec)
        self.assertTrue(sets["physics:astro-ph:HE"] < sets["physics:astro-ph"] < sets["physics"])
        # alias categories are in both sets
        self.assertEqual(sets["math:math:MP"], sets["physics:math-ph"])


class T03Errors(unittest.TestCase):
    def check(self, code, qs=None, reason=None, **params):
        st, hdr, body = oai_raw(qs) if qs is not None else oai(**params)
        self.assertEqual(st, 200)
        self.assertEqual(hdr["Content-Type"], "text/xml")
        self.assertIn(("<error code='%s'>" % code).encode(), body)   # single quotes
        root = ET.fromstring(body)
        c, text = error_of(root)
        self.assertEqual(c, code)
        if reason:
            self.assertIn("Reason: " + reason, text)
        return root

    def test_errors(self):
        lr = {"verb": "ListRecords", "metadataPrefix": "arXivRaw"}
        self.check("badVerb", qs="")
        self.check("badVerb", verb="wah")
        self.check("badArgument", qs="verb=Identify&verb=Identify",
                   reason="Duplicate parameters not allowed")
        self.check("badArgument", verb="Identify", metadataPrefix="arXivRaw")
        self.check("badArgument", verb="ListRecords")
        self.check("badArgument", reason="from date format must be YYYY-MM-DD",
                   **dict(lr, **{"from": "2026-01-01T00:00:00Z"}))
        self.check("badArgument", reason="start date too early", **dict(lr, **{"from": "2005-09-15"}))
        self.check("badArgument", reason="until date too late", **dict(lr, until="2099-01-01"))
        self.check("badArgument", **dict(lr, **{"from": "2026-02-01", "until": "2026-01-01"}))
        self.check("badArgument", reason="Set does not exist", **dict(lr, set="moo"))
        self.check("badArgument", reason="Set has too many levels", **dict(lr, set="a:b:c:d"))
        self.check("badArgument", reason="Invalid token", verb="ListSets", resumptionToken="x")
        self.check("badArgument", verb="ListRecords", metadataPrefix="arXivRaw", resumptionToken="x")
        self.check("badResumptionToken", verb="ListRecords", resumptionToken="3")
        tok = urllib.parse.quote("verb=ListIdentifiers&metadataPrefix=arXivRaw&skip=10", safe="")
        self.check("badResumptionToken", verb="ListRecords", resumptionToken=tok)
        self.check("cannotDisseminateFormat", verb="ListRecords", metadataPrefix="arXivOld")
        self.check("cannotDisseminateFormat", verb="GetRecord", metadataPrefix="marc",
                   identifier="oai:arXiv.org:0704.0001")
        for ident in ("oai:arXiv.org:9912.99999", "oai:arXiv.org:is-malformed",
                      "oai:arXiv.org:2301.00001v1", "arXiv:2301.00001"):
            self.check("idDoesNotExist", verb="GetRecord", metadataPrefix="arXivRaw", identifier=ident)
        # an empty window
        st, root, _ = xml(verb="ListRecords", metadataPrefix="arXivRaw", set="q-fin:q-fin:ST",
                          **{"from": FLOOR, "until": "2005-09-17"})
        self.assertEqual(error_of(root)[0], "noRecordsMatch")

    def test_expired_token_still_works(self):
        """Expiry is not enforced: an old token with a past from works."""
        reset()
        config(records_limit=5)
        tok = urllib.parse.quote("verb=ListRecords&metadataPrefix=arXivRaw&set=cs:cs:OS"
                                 "&from=2026-01-01&skip=5", safe="")
        st, root, _ = xml(verb="ListRecords", resumptionToken=tok)
        self.assertIsNone(error_of(root))
        self.assertEqual(len(records(root)), 5)


class T04Faults(unittest.TestCase):
    def setUp(self):
        reset()

    def test_cdn_503_retry_after_zero(self):
        st, _ = ctl("/_mock/fault", {"kind": "status", "retry_after": 0,
                                     "match": "verb=ListRecords", "count": 2})
        self.assertEqual(st, 200)
        for _ in range(2):
            st, hdr, body = oai(verb="ListRecords", metadataPrefix="arXivRaw", set="cs:cs:OS")
            self.assertEqual(st, 503)
            self.assertEqual(hdr["Retry-After"], "0")
            self.assertIn(b"first byte timeout", body)
        st, hdr, body = oai(verb="ListRecords", metadataPrefix="arXivRaw", set="cs:cs:OS",
                            **{"from": "2026-06-01"})
        self.assertEqual(st, 200)
        st, log = ctl("/_mock/log")
        oai_recs = [r for r in log if r.get("path") == "/oai"]
        self.assertEqual([r.get("fault") for r in oai_recs], ["status", "status", None])
        self.assertEqual([r["status"] for r in oai_recs], [503, 503, 200])

    def test_status_and_truncated(self):
        ctl("/_mock/fault", {"kind": "status", "status": 503, "retry_after": 7, "match": "verb=GetRecord"})
        st, hdr, _ = oai(verb="GetRecord", metadataPrefix="arXivRaw", identifier="oai:arXiv.org:0704.0001")
        self.assertEqual((st, hdr.get("Retry-After")), (503, "7"))
        ctl("/_mock/fault", {"kind": "truncated", "bytes": 300, "match": "verb=Identify"})
        try:
            st, hdr, body = oai(verb="Identify")
            self.assertLess(len(body), int(hdr["Content-Length"]))
        except Exception:
            pass                # the client may report the short read itself


# -- the shape of the responses ------------------------------------------------

def signature(root):
    """{(element path, attribute names)}: names include namespaces."""
    out = set()

    def walk(e, path):
        p = path + (e.tag,)
        out.add((p, tuple(sorted(e.attrib))))
        for k in e:
            walk(k, p)
    walk(root, ())
    return out


def fixture_sig(*prefixes):
    s = set()
    for name in sorted(os.listdir(FIXTURES)):
        if name.startswith(prefixes) and name.endswith(".xml"):
            s |= signature(ET.parse(os.path.join(FIXTURES, name)).getroot())
    return s


def without_request(sig):
    """The <request> echo differs with the arguments sent; compare it apart."""
    return {x for x in sig if x[0][-1] != O + "request"}


def child_order(root, parent_tag):
    """Tags of the children of each parent_tag element, in order."""
    return [[k.tag for k in e] for e in root.iter(parent_tag)]


XSI = "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation"


class T05Shape(unittest.TestCase):
    def setUp(self):
        reset()

    def test_list_records_shape(self):
        """A mock ListRecords page has exactly the structure of the recorded
        arXivRaw pages (#05, #30), except the token's attributes, which the
        new server changed (cursor/completeListSize -> expirationDate)."""
        config(records_limit=1300)
        st, root, _ = xml(verb="ListRecords", metadataPrefix="arXivRaw", **{"from": "2010-01-01"})
        mock = without_request(signature(root))
        fix = without_request(fixture_sig("05_", "30_"))
        tok = (O + "OAI-PMH", O + "ListRecords", O + "resumptionToken")
        self.assertIn(((tok), ("completeListSize", "cursor")), fix)
        self.assertIn(((tok), ("expirationDate",)), mock)
        mock.discard((tok, ("expirationDate",)))
        fix.discard((tok, ("completeListSize", "cursor")))
        self.assertEqual(sorted(mock - fix), [])
        self.assertEqual(sorted(fix - mock), [])

    def test_arxivraw_element_order(self):
        """Children of arXivRaw follow the order seen in the recordings (the
        XSD's sequence)."""
        rank = {}
        for name in ("05_", "30_", "04_", "25_"):
            f = [n for n in os.listdir(FIXTURES) if n.startswith(name)][0]
            for kids in child_order(ET.parse(os.path.join(FIXTURES, f)).getroot(), R + "arXivRaw"):
                for i, t in enumerate(dict.fromkeys(kids)):
                    rank.setdefault(t, set()).add(i)
        seen_order = []
        for name in ("05_", "30_"):
            f = [n for n in os.listdir(FIXTURES) if n.startswith(name)][0]
            for kids in child_order(ET.parse(os.path.join(FIXTURES, f)).getroot(), R + "arXivRaw"):
                seen_order.append(list(dict.fromkeys(kids)))
        before = set()
        for kids in seen_order:
            for i, a in enumerate(kids):
                for b in kids[i + 1:]:
                    before.add((a, b))
        config(records_limit=1300)
        st, root, _ = xml(verb="ListRecords", metadataPrefix="arXivRaw", **{"from": "2010-01-01"})
        n = 0
        for kids in child_order(root, R + "arXivRaw"):
            kids = list(dict.fromkeys(kids))
            for i, a in enumerate(kids):
                for b in kids[i + 1:]:
                    self.assertNotIn((b, a), before, (a, b))
                    n += 1
        self.assertGreater(n, 1000)

    def test_get_record_shape(self):
        """GetRecord arXivRaw: the structure of #04/#25 (old) with the
        envelope of #32 (new server: root, responseDate, request)."""
        d = corpus_dump()
        pid = next(k for k, v in d.items() if v["version"] >= 2)
        st, root, _ = xml(verb="GetRecord", identifier="oai:arXiv.org:" + pid, metadataPrefix="arXivRaw")
        mock = without_request(signature(root))
        fix = without_request(fixture_sig("04_", "25_"))
        self.assertEqual(sorted(mock - fix), [])
        # what #25 and #04 both have, the mock has (optional fields aside)
        common = without_request(fixture_sig("04_")) & without_request(fixture_sig("25_"))
        self.assertEqual(sorted(common - mock), [])
        env = {x for x in fixture_sig("32_") if len(x[0]) <= 2}
        self.assertEqual(sorted(env - signature(root) -
                                {((O + "OAI-PMH", O + "request"), ("identifier", "metadataPrefix", "verb"))}), [])
        req = root.find(O + "request")
        self.assertEqual(sorted(req.attrib), ["identifier", "metadataPrefix", "verb"])

    def test_error_identify_sets_shape(self):
        st, root, _ = xml(verb="ListRecords", metadataPrefix="arXivRaw", set="moo")
        self.assertEqual(without_request(signature(root)),
                         without_request(fixture_sig("06_", "07_", "08_", "09_")))
        st, root, _ = xml(verb="Identify")
        fix = without_request(fixture_sig("20_"))
        branding = {x for x in fix if "{http://www.openarchives.org/OAI/2.0/branding/}branding" in x[0]}
        self.assertTrue(branding)        # the old server had it; the new one dropped it
        self.assertEqual(sorted(without_request(signature(root)) ^ (fix - branding)), [])
        st, root, _ = xml(verb="ListSets")
        self.assertEqual(without_request(signature(root)), without_request(fixture_sig("22_")))
        # root element attributes as in every recording
        self.assertEqual(root.attrib, {XSI: "http://www.openarchives.org/OAI/2.0/ "
                                       "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"})


# -- the C parser on the mock's pages ------------------------------------------

TEST_OAI = os.path.join(TOP, "test", "unit", "test_oai")


class T06CParser(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(TEST_OAI):
            subprocess.run(["make", "-C", os.path.join(TOP, "test", "unit"), "-s", TEST_OAI],
                           check=True)

    def parse_c(self, body):
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1")
        p = subprocess.run([TEST_OAI, "--dump", "-"], input=body, capture_output=True, env=env)
        self.assertEqual(p.returncode, 0, p.stderr.decode()[:2000])
        return p.stdout.decode()

    def check_page(self, body):
        want = "\n".join(gen_oai_expected.dump_bytes(body)) + "\n"
        got = self.parse_c(body)
        if got != want:
            for i, (a, b) in enumerate(zip(got.splitlines(), want.splitlines())):
                if a != b:
                    self.fail("line %d: C %r, independent %r" % (i + 1, a, b))
            self.fail("dumps differ in length")

    def test_mock_pages(self):
        reset()
        config(records_limit=300, identifiers_limit=500)
        st, _, body = oai(verb="ListRecords", metadataPrefix="arXivRaw", **{"from": "2007-01-01"})
        self.check_page(body)
        tok = token_of(ET.fromstring(body)).text
        st, _, body2 = oai(verb="ListRecords", resumptionToken=tok)
        self.check_page(body2)
        self.assertIn(b"expirationDate='", body)
        for params in ({"verb": "ListIdentifiers", "metadataPrefix": "arXivRaw", "set": "physics"},
                       {"verb": "ListSets"}, {"verb": "Identify"},
                       {"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "cs:cs:OS"},
                       {"verb": "GetRecord", "metadataPrefix": "arXivRaw",
                        "identifier": "oai:arXiv.org:0704.0001"},
                       {"verb": "ListRecords", "metadataPrefix": "arXivRaw", "set": "nope"},
                       {"verb": "nope"}):
            st, _, body = oai(**params)
            self.assertEqual(st, 200)
            self.check_page(body)
        # the final empty token
        config(records_limit=10)
        ids, pages, tokens = harvest(metadataPrefix="arXivRaw", set="cs:cs:PF", **{"from": "2026-01-01"})
        last = tokens[-2].text
        st, _, body = oai(verb="ListRecords", resumptionToken=last)
        self.assertIn(b"<resumptionToken/>", body)
        self.check_page(body)
        self.assertIn(" has_token=1\n token=\n", self.parse_c(body))


if __name__ == "__main__":
    unittest.main()
