#!/usr/bin/python3
"""Differential test of the OAI-PMH tables (see README.md in this directory).

The local copy is harvested from the mock's /oai endpoint by this script,
with lxml (not arxiv_fdw's parser): every record of arXivRaw, following the
resumption tokens.  Random WHERE conditions (deterministic seed) built from
the shapes the planner sends (category =, IN, = ANY(array); datestamp
ranges; id =, IN) and from shapes it leaves to PostgreSQL, each run on
oai_papers / oai_versions as a literal query, as count(*), and as a prepared
statement under force_generic_plan and force_custom_plan, must give the
rows the same condition gives on the local copy.

  oai_diff.py [--seed S] [-n N] [-v] [--no-setup]

Run with Debian's /usr/bin/python3 (psycopg2, lxml); needs the environment
of test/lib/env.sh and a running mock.  Exit status 1 on any difference or
unexpected error."""
import argparse
import os
import random
import re
import sys
import time
import urllib.parse
import urllib.request

import psycopg2
import psycopg2.extras
from lxml import etree

from diffconn import Conn

DB = "arxiv_oai_diff"
MOCK = "http://127.0.0.1:%s" % os.environ.get("MOCK_PORT", "18089")
OAI = MOCK + "/oai"
NS = {"o": "http://www.openarchives.org/OAI/2.0/", "r": "http://arxiv.org/OAI/arXivRaw/"}
# documented refusals: no condition selects, or a category condition the
# planner cannot send, or a category with no set and no window
REFUSAL_RE = re.compile(r"would harvest all of arXiv|cannot be sent to arXiv's OAI-PMH|has no set for category")

CATS = ["cs.OS", "cs.AR", "cs.PF", "math.AP", "hep-lat", "cs.DB", "cs.XX", "CS.OS", "", "hep-th",
        "astro-ph", "math.MP", "math-ph"]
DAYS = ["2005-09-16", "2005-09-15", "2007-05-01", "2013-11-21", "2020-01-01", "2024-06-30",
        "2026-06-01", "2026-06-14", "2026-06-20", "2026-06-21", "2999-01-01", "1990-01-01"]
VERSION_DAY_RE = re.compile(r"^\w{3}, (\d{1,2}) (\w{3}) (\d{4}) (\d\d:\d\d:\d\d) GMT$")
MONTHS = {m: i + 1 for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split())}


def quote(s):
    return "'" + s.replace("'", "''") + "'"


def text(el, path):
    r = el.find(path, NS)
    return None if r is None or r.text is None else " ".join(r.text.split())


def version_time(s):
    m = VERSION_DAY_RE.match(s or "")
    if not m:
        return None
    d, mon, y, t = m.groups()
    return "%s-%02d-%02d %s+00" % (y, MONTHS[mon], int(d), t)


def harvest():
    """Every record of the mock, as rows of papers and of versions."""
    papers, versions = [], []
    url = OAI + "?verb=ListRecords&metadataPrefix=arXivRaw"
    while url:
        with urllib.request.urlopen(url, timeout=120) as resp:
            root = etree.fromstring(resp.read())
        for rec in root.iterfind(".//o:ListRecords/o:record", NS):
            head = rec.find("o:header", NS)
            raw = rec.find("o:metadata/r:arXivRaw", NS)
            pid = text(raw, "r:id")
            day = text(head, "o:datestamp")
            cats = (text(raw, "r:categories") or "").split()
            vers = []
            for v in raw.iterfind("r:version", NS):
                label = v.get("version") or ""
                num = int(label[1:]) if re.fullmatch(r"v[1-9]\d*", label) else None
                size = text(v, "r:size") or ""
                vers.append((num, version_time(text(v, "r:date")),
                             int(size[:-2]) if re.fullmatch(r"\d+kb", size) else None,
                             text(v, "r:source_type")))
            latest = max(vers, key=lambda x: x[0] or 0) if vers else (None, None, None, None)
            papers.append((pid, day, cats, cats[0] if cats else None, text(raw, "r:doi"),
                           text(raw, "r:journal-ref"), text(raw, "r:license"), text(raw, "r:title"),
                           latest[0], bool(latest[3] and "I" in latest[3]) if vers else None))
            for num, t, size, st in vers:
                versions.append((pid, day, cats, num, t, size, st))
        tok = root.find(".//o:resumptionToken", NS)
        url = (OAI + "?verb=ListRecords&resumptionToken=" + urllib.parse.quote(tok.text, safe="")
               if tok is not None and tok.text else None)
    return papers, versions


def setup():
    admin = psycopg2.connect(host=os.environ["PGHOST"], port=os.environ["PGPORT"],
                             user=os.environ.get("PGUSER", "postgres"),
                             dbname=os.environ.get("PGDATABASE", "postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % DB)
        cur.execute("CREATE DATABASE %s" % DB)
    admin.close()
    urllib.request.urlopen(urllib.request.Request(MOCK + "/_mock/reset", data=b"{}", method="POST"),
                           timeout=60).read()
    papers, versions = harvest()
    c = Conn(DB, "oai_diff")
    with c.conn.cursor() as cur:
        cur.execute("CREATE EXTENSION arxiv_fdw")
        cur.execute("CREATE SERVER arxiv FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (base_url %s, oai_url %s, "
                    "request_interval '0')" % (quote(MOCK + "/api/query"), quote(OAI)))
        cur.execute("IMPORT FOREIGN SCHEMA arxiv_oai FROM SERVER arxiv INTO public")
        cur.execute("""CREATE TABLE local_papers (id text PRIMARY KEY, datestamp date,
          categories text[], primary_category text, doi text, journal_ref text, license text,
          title text, version int, withdrawn boolean)""")
        cur.execute("""CREATE TABLE local_versions (id text, datestamp date, categories text[],
          version int, submitted timestamptz, size_kb int, source_type text)""")
        psycopg2.extras.execute_values(cur, "INSERT INTO local_papers VALUES %s", papers, page_size=5000)
        psycopg2.extras.execute_values(cur, "INSERT INTO local_versions VALUES %s", versions,
                                       page_size=5000)
        cur.execute("ANALYZE local_papers")
        cur.execute("ANALYZE local_versions")
        cur.execute("SELECT id FROM local_papers ORDER BY id")
        ids = [r[0] for r in cur.fetchall()]
    return c, ids, len(papers), len(versions)


class Gen:
    """A condition: (remote SQL with {p} placeholders for parameters, local
    SQL, [(value, type)] of the parameters)."""

    def __init__(self, rng, ids):
        self.rng, self.ids = rng, ids

    def cat(self):
        return self.rng.choice(CATS)

    def day(self):
        return self.rng.choice(DAYS) if self.rng.random() < 0.9 else None

    def lit(self, v, typ):
        return "NULL::%s" % typ if v is None else "%s::%s" % (quote(v), typ)

    def param(self, params, v, typ):
        params.append((v, typ))
        return "${%d}" % len(params)

    def value(self, params, v, typ):
        """A value, as a literal or (half the time) a parameter."""
        if self.rng.random() < 0.5:
            return self.param(params, v, typ)
        return self.lit(v, typ)

    def selector(self, params):
        r = self.rng.random()
        if r < 0.35:
            c = self.cat()
            self.equalities.append(c)
            return ("category = %s" % self.value(params, c, "text"), "%s = ANY (categories)" % self.lit(c, "text"))
        if r < 0.5:
            cs = [self.cat() for _ in range(self.rng.randint(1, 3))]
            if self.rng.random() < 0.5:
                arr = "ARRAY[%s]::text[]" % ", ".join(quote(c) for c in cs)
                return ("category = ANY (%s)" % (self.param(params, "{%s}" % ",".join('"%s"' % c for c in cs), "text[]")
                                                 if self.rng.random() < 0.5 else arr),
                        "categories && %s" % arr)
            return ("category IN (%s)" % ", ".join(quote(c) for c in cs),
                    "categories && ARRAY[%s]::text[]" % ", ".join(quote(c) for c in cs))
        if r < 0.65:
            pool = self.rng.sample(self.ids, 3) + ["2301.99999", "not-an-id", "0799.00001", "hep-th/9901001"]
            chosen = self.rng.sample(pool, self.rng.randint(1, 3))
            if len(chosen) == 1:
                return ("id = %s" % self.value(params, chosen[0], "text"), "id = %s" % quote(chosen[0]))
            return ("id IN (%s)" % ", ".join(quote(i) for i in chosen),
                    "id IN (%s)" % ", ".join(quote(i) for i in chosen))
        return self.window(params, narrow=True)

    def window(self, params, narrow=False):
        op = self.rng.choice(["=", ">=", ">", "<=", "<", "between"])
        d = self.day()
        if narrow and op in ("<", "<="):
            op = "="
        if op == "between":
            d2 = self.day()
            if narrow:
                d, d2 = "2026-06-10", "2026-06-20"
            return ("datestamp BETWEEN %s AND %s" % (self.value(params, d, "date"), self.lit(d2, "date")),
                    "datestamp BETWEEN %s AND %s" % (self.lit(d, "date"), self.lit(d2, "date")))
        if narrow and op in (">=", ">") and (d is None or d < "2026-06-01"):
            d = "2026-06-14"
        return ("datestamp %s %s" % (op, self.value(params, d, "date")),
                "datestamp %s %s" % (op, self.lit(d, "date")))

    def extra(self, versions):
        """A condition PostgreSQL checks alone."""
        opts = [("datestamp >= '2026-06-15' OR datestamp IS NULL", None),
                ("NOT (datestamp < '2013-01-01')", None), ("version > 1", None), ("version = 1", None)]
        if versions:
            opts += [("size_kb > 1000", None), ("source_type IS NULL", None), ("submitted >= '2020-01-01'", None)]
        else:
            opts += [("'cs.LG' = ANY (categories)", None), ("doi IS NOT NULL", None), ("journal_ref IS NULL", None), ("withdrawn", None),
                     ("primary_category = 'cs.OS'", None), ("title ILIKE '%memory%'", None),
                     ("license LIKE '%creativecommons%' OR doi IS NULL", None)]
        return self.rng.choice(opts)[0]

    def condition(self, versions):
        params = []
        self.equalities = []
        parts = [self.selector(params)]
        if self.rng.random() < 0.5:
            parts.append(self.window(params) if self.rng.random() < 0.6 else self.selector(params))
        for _ in range(self.rng.randint(0, 2)):
            e = self.extra(versions)
            parts.append((e, e))
        self.rng.shuffle(parts)
        local = " AND ".join("(%s)" % l for _, l in parts)
        # PostgreSQL itself: "category = a AND category = b" puts both in one
        # equivalence class, and a != b makes the query empty before any scan
        if len(set(self.equalities)) > 1:
            local = "false"
        return (" AND ".join("(%s)" % r for r, _ in parts), local, params)


def statements(versions, remote, local, params):
    table = "oai_versions" if versions else "oai_papers"
    key = "id || 'v' || coalesce(version::text, '?')" if versions else "id"
    ltable = "local_versions" if versions else "local_papers"
    literal = remote
    for i, (v, typ) in enumerate(params, 1):
        literal = literal.replace("${%d}" % i, "NULL::%s" % typ if v is None else "%s::%s" % (quote(v), typ))
    out = {"local": ["SELECT %s FROM %s WHERE %s" % (key, ltable, local)],
           "literal": ["SELECT %s FROM %s WHERE %s" % (key, table, literal)],
           "count": ["SELECT count(*) FROM %s WHERE %s" % (table, literal)]}
    if params:
        types = ", ".join(t for _, t in params)
        args = ", ".join("NULL::%s" % t if v is None else "%s::%s" % (quote(v), t) for v, t in params)
        prepared = re.sub(r"\$\{(\d+)\}", r"$\1", remote)
        for mode in ("generic", "custom"):
            out[mode] = ["DEALLOCATE ALL", "SET plan_cache_mode = force_%s_plan" % mode,
                         "PREPARE d(%s) AS SELECT %s FROM %s WHERE %s" % (types, key, table, prepared),
                         "EXECUTE d(%s)" % args]
    return out


def judge(res):
    local = res.pop("local")
    if local[0] != "rows":
        return "error", ["local: %s" % (local,)]
    refusals = [lab for lab, o in res.items() if o[0] == "error" and REFUSAL_RE.search(o[2] or "")]
    if refusals and len(refusals) == len(res):
        return "refused", []
    bad = []
    for lab, o in res.items():
        if o[0] == "error":
            bad.append("%s: ERROR %s %s" % (lab, o[1], o[2]))
        elif o[0] == "count" and o[1] != len(local[1]):
            bad.append("%s: count %d, local %d" % (lab, o[1], len(local[1])))
        elif o[0] == "rows" and o[1] != local[1]:
            extra = sorted(set(o[1]) - set(local[1]))[:5]
            missing = sorted(set(local[1]) - set(o[1]))[:5]
            bad.append("%s: %d rows, local %d; extra %s, missing %s" % (lab, len(o[1]), len(local[1]), extra, missing))
    return ("difference" if bad else "ok"), bad


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=int(os.environ.get("DIFF_SEED", "11")))
    ap.add_argument("-n", type=int, default=int(os.environ.get("OAI_DIFF_N", "150")))
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    t0 = time.time()
    conn, ids, np_, nv = setup()
    print("seed %d: local copy of %d papers, %d versions harvested with lxml in %.1f s"
          % (a.seed, np_, nv, time.time() - t0), flush=True)
    rng = random.Random(a.seed)
    g = Gen(rng, ids)
    counts = {"ok": 0, "refused": 0, "difference": 0, "error": 0}
    reports = []
    for num in range(a.n):
        versions = rng.random() < 0.3
        remote, local, params = g.condition(versions)
        res = {lab: conn.run(sql) for lab, sql in statements(versions, remote, local, params).items()}
        verdict, det = judge(res)
        counts[verdict] += 1
        if a.verbose:
            print("#%d %s %s: %s" % (num, verdict, "versions" if versions else "papers", remote))
        if verdict in ("difference", "error"):
            reports.append((num, versions, remote, local, params, det))
    for num, versions, remote, local, params, det in reports:
        print("\n== condition %d on %s: WHERE %s" % (num, "oai_versions" if versions else "oai_papers", remote))
        print("   local: WHERE %s" % local)
        if params:
            print("   parameters: %s" % params)
        for d in det:
            print("   " + d)
    print("conditions: %d  differences: %d  errors: %d  refused: %d  (%.0f s)"
          % (a.n, counts["difference"], counts["error"], counts["refused"], time.time() - t0))
    return 1 if counts["difference"] or counts["error"] else 0


if __name__ == "__main__":
    sys.exit(main())
