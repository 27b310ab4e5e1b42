#!/usr/bin/python3
"""arxiv_fdw performance benchmark (GitHub issue 6).  Started by run.sh, which
sets up the cluster, the mock and the environment; run with Debian's
/usr/bin/python3 (psycopg2, feedparser).

Six measurements, printed as Markdown and written to $BENCH_RESULTS:
  1. requests made vs the minimum, for a fixed suite of typical queries
  2. hidden waits: a 15-page scan at request_interval 3 vs the ideal
  3. backend CPU per entry of a 30,000-entry INSERT ... SELECT, and the
     Atom parser alone vs xmllint --stream on the same responses
  4. peak memory (VmHWM) of a fresh backend scanning 30,000 vs 1,000 entries
  5. the same ingest done as Python users do it (urllib + feedparser +
     psycopg2), end to end and without the mock's time
  6. the OAI-PMH tables (issue 13): requests per harvest vs ceil(N / page
     size), oai.c's records/s vs xmllint --stream and the backend's, peak
     memory of a 100-page vs a 1-page harvest, wall time at interval 3

BENCH_PARTS (default "1 2 3 4 5 6") runs only some parts (5 brings 3).
"""
import datetime
import gzip
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import psycopg2
import psycopg2.extras

ENV = os.environ
TOP = ENV["ARXIV_TOP"]
MOCK_BASE = "http://127.0.0.1:%s" % ENV["MOCK_PORT"]
MOCK_URL = MOCK_BASE + "/api/query"
WORK = ENV["BENCH_WORK"]
REPLAY_PORT = int(ENV["BENCH_REPLAY_PORT"])
REPLAY_URL = "http://127.0.0.1:%d/api/query" % REPLAY_PORT
PARSE_BENCH = ENV["BENCH_PARSE_BIN"]
RESULTS = ENV["BENCH_RESULTS"]
DB = ENV.get("BENCH_DB", "arxiv_bench")
PAGE_SIZE = 1000                # the server's default page_size (option.c)
WINDOW = 10000                  # the mock's --window, arXiv's current backend
CLK_TCK = os.sysconf("SC_CLK_TCK")
DATA_COLS = ("id, version, title, abstract, authors, author_details, primary_category, "
             "categories, published, updated, comment, journal_ref, doi, abs_url, pdf_url")
DATA_DDL = """(id text, version int, title text, abstract text, authors text[],
  author_details jsonb, primary_category text, categories text[],
  published timestamptz, updated timestamptz, comment text, journal_ref text,
  doi text, abs_url text, pdf_url text)"""

out_lines = []


def say(s=""):
    print(s, flush=True)
    out_lines.append(s)


def progress(s):
    print("== bench: " + s, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- mock


def http(url, body=None, timeout=300):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="GET" if data is None else "POST")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.read()


def mock(path, body=None):
    return json.loads(http(MOCK_BASE + path, body).decode() or "null")


def mock_idle():
    """Wait until the mock has logged every request it answered: it appends
    a request's record only after sending the response, so a client can
    have its answer (and ask for the log) before the record exists."""
    for _ in range(200):
        if mock("/_mock/stats")["in_progress"] == 0:
            return
        time.sleep(0.01)


def mock_reset():
    mock_idle()
    mock("/_mock/reset", {"corpus": False})


def mock_log():
    mock_idle()
    return [r for r in mock("/_mock/log") if r.get("user_agent") != PROBE_AGENT]


PROBE_AGENT = "arxiv_fdw-bench-probe"


def probe_total(search_query):
    """totalResults of a query, asked of the mock directly (max_results=1)."""
    qs = urllib.parse.urlencode({"search_query": search_query, "start": 0, "max_results": 1})
    req = urllib.request.Request(MOCK_URL + "?" + qs, headers={"User-Agent": PROBE_AGENT})
    with urllib.request.urlopen(req, timeout=300) as resp:
        body = resp.read().decode()
    return int(re.search(r"<opensearch:totalResults>(\d+)<", body).group(1))


def corpus_json(search_query):
    qs = urllib.parse.urlencode({"search_query": search_query})
    return json.loads(http(MOCK_BASE + "/_mock/corpus.json?" + qs).decode())


def corpus_column(fields):
    text = http(MOCK_BASE + "/_mock/corpus.tsv?" + urllib.parse.urlencode({"fields": fields})).decode()
    return [line.split("\t") for line in text.splitlines() if line]


def mock_seconds(log):
    """Time the mock spent on these requests (t_start to t_end)."""
    return sum(r["t_end"] - r["t_start"] for r in log)


# ---------------------------------------------------------------- PostgreSQL


def connect(dbname=DB):
    conn = psycopg2.connect(host=ENV["PGHOST"], port=ENV["PGPORT"], user=ENV.get("PGUSER", "postgres"),
                            dbname=dbname)
    conn.autocommit = True
    return conn


def one(conn, sql, args=None):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchone()[0] if cur.description else None


def run(conn, sql, args=None):
    """Execute and fetch everything; returns (rows fetched, seconds)."""
    t = time.perf_counter()
    with conn.cursor() as cur:
        cur.execute(sql, args)
        rows = cur.fetchall() if cur.description else []
    return rows, time.perf_counter() - t


def backend_cpu(pid):
    with open("/proc/%d/stat" % pid) as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return (int(rest[11]) + int(rest[12])) / CLK_TCK      # utime + stime


def backend_hwm_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


def setup_db():
    c = connect("postgres")
    one(c, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % DB)
    one(c, "CREATE DATABASE %s" % DB)
    c.close()
    conn = connect()
    one(conn, "CREATE EXTENSION arxiv_fdw")
    one(conn, "CREATE SERVER arxiv FOREIGN DATA WRAPPER arxiv_fdw "
              "OPTIONS (base_url %s, request_interval '0')", (MOCK_URL,))
    # the response cache (if this build has one) would answer repeated
    # requests: the measurements below want every request to reach the mock
    has_cache = True
    try:
        one(conn, "ALTER SERVER arxiv OPTIONS (ADD cache_ttl '0')")
    except psycopg2.Error:
        has_cache = False
    one(conn, "IMPORT FOREIGN SCHEMA arxiv FROM SERVER arxiv INTO public")
    one(conn, "CREATE TABLE reading_list (arxiv_id text PRIMARY KEY)")
    # no autovacuum worker competing with the timed inserts
    one(conn, "CREATE TABLE ingest_ext " + DATA_DDL + " WITH (autovacuum_enabled = off)")
    one(conn, "CREATE TABLE ingest_py " + DATA_DDL + " WITH (autovacuum_enabled = off)")
    return conn, has_cache


def add_server(conn, name, url, interval, has_cache, page_size=None):
    opts = "base_url %s, request_interval '%s'" % ("%s", interval)
    if has_cache:
        opts += ", cache_ttl '0'"
    one(conn, "CREATE SERVER %s FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (%s)" % (name, opts), (url,))
    one(conn, "CREATE SCHEMA %s" % name)
    one(conn, "IMPORT FOREIGN SCHEMA arxiv FROM SERVER %s INTO %s" % (name, name))
    if page_size:
        one(conn, "ALTER FOREIGN TABLE %s.papers OPTIONS (ADD page_size '%d')" % (name, page_size))


# ---------------------------------------------------------------- minimums


def pages(n, ps=PAGE_SIZE):
    return max(1, math.ceil(n / ps))


def min_search_requests(n, ps=PAGE_SIZE, window=WINDOW):
    """Fewest requests to page through n results of one search.  Past the
    window a client must restart with a submittedDate bound; at minute
    precision the restarted window includes the previous window's last row
    again (at least one entry re-fetched per restart)."""
    return min_search_windows(n, ps, window)[0]


def min_search_windows(n, ps=PAGE_SIZE, window=WINDOW):
    """(requests, windows) of min_search_requests."""
    if n <= window:
        return pages(n, ps), 1
    reqs = math.ceil(window / ps)
    windows = 1
    remaining = n - window
    while remaining > window - 1:
        reqs += math.ceil(window / ps)
        windows += 1
        remaining -= window - 1
    return reqs + math.ceil((remaining + 1) / ps), windows + 1


def minimum(spec):
    """(minimum requests, rows arXiv must return, explanation)."""
    kind = spec["kind"]
    if kind == "ids":
        n = spec["n"]
        return pages(n), n, "%d ids: ceil(%d/%d) id_list batch(es)" % (n, n, PAGE_SIZE)
    if kind == "search":
        total = probe_total(spec["q"])
        limit = spec.get("limit")
        offset = spec.get("offset", 0)
        if limit is not None:
            need = max(0, min(limit, total - offset))
            why = "%s: %d results, %d needed%s" % (spec["q"], total, need,
                                                   " (start=%d)" % offset if offset else "")
            return pages(need), need, why
        m, windows = min_search_windows(total)
        why = "%s: %d results" % (spec["q"], total)
        if total > WINDOW:
            why += ("; > %d window: %d windows, each restart re-fetching at least the previous "
                    "window's last entry (minute-precision bound); ceil(%d/%d)=%d ignoring the window" % (
                        WINDOW, windows, total, PAGE_SIZE, pages(total)))
        return m, total, why
    if kind == "count":
        total = probe_total(spec["q"])
        return 1, 0, "%s: %d results; totalResults of one request answers count(*)" % (spec["q"], total)
    if kind == "updated":
        papers = corpus_json(spec["q"])
        k = sum(1 for p in papers if p["updated"] >= spec["bound"])
        need = k + 1 if k < len(papers) else k
        return pages(need), need, ("%s sorted by lastUpdatedDate: %d of %d updated >= %s, "
                                   "+1 entry to see the bound" % (spec["q"], k, len(papers), spec["bound"]))
    raise ValueError(kind)


# ---------------------------------------------------------------- 1. requests


def part1(conn, ids_all):
    progress("1. requests")
    ids300 = ids_all[::200][:300]
    reading = ids_all[7::1200][:50]
    five = [ids_all[i] for i in (100, 15000, 30000, 45000, 59000)]
    with conn.cursor() as cur:
        psycopg2.extras.execute_values(cur, "INSERT INTO reading_list VALUES %s", [(i,) for i in reading])
        cur.execute("ANALYZE reading_list")

    big_date = "2015-01-01"
    Q = [
        ("category + date window (cs.LG, 2026 Q1)",
         "SELECT * FROM papers WHERE category = 'cs.LG' AND published >= '2026-01-01' AND published < '2026-04-01'",
         {"kind": "search", "q": "cat:cs.LG AND submittedDate:[202601010000 TO 202604010000]"}),
        ("category + date window (cs.OS, 2025)",
         "SELECT * FROM papers WHERE category = 'cs.OS' AND published >= '2025-01-01' AND published < '2026-01-01'",
         {"kind": "search", "q": "cat:cs.OS AND submittedDate:[202501010000 TO 202601010000]"}),
        ("category + date window, several pages (cs.LG, 2024-2025)",
         "SELECT * FROM papers WHERE category = 'cs.LG' AND published >= '2024-01-01' AND published < '2026-01-01'",
         {"kind": "search", "q": "cat:cs.LG AND submittedDate:[202401010000 TO 202601010000]"}),
        ("category LIKE 'cs.%' + published >=",
         "SELECT * FROM papers WHERE category LIKE 'cs.%' AND published >= '2026-06-01'",
         {"kind": "search", "q": "cat:cs.* AND submittedDate:[202606010000 TO 999912312359]"}),
        ("'cs.OS' = ANY(categories) + published >=",
         "SELECT * FROM papers WHERE 'cs.OS' = ANY (categories) AND published >= '2026-01-01'",
         {"kind": "search", "q": "cat:cs.OS AND submittedDate:[202601010000 TO 999912312359]"}),
        ("published range alone",
         "SELECT * FROM papers WHERE published >= '2026-06-15'",
         {"kind": "search", "q": "submittedDate:[202606150000 TO 999912312359]"}),
        ("author",
         "SELECT * FROM papers WHERE author = 'Kaiser'",
         {"kind": "search", "q": "au:Kaiser"}),
        ("author, full name",
         "SELECT * FROM papers WHERE author = 'Peter Hall'",
         {"kind": "search", "q": "au:\"Peter Hall\""}),
        ("author + category",
         "SELECT * FROM papers WHERE author = 'Kaiser' AND category = 'cs.LG'",
         {"kind": "search", "q": "au:Kaiser AND cat:cs.LG"}),
        ("search column (arXiv query syntax)",
         "SELECT * FROM papers WHERE search = 'ti:transformer AND cat:cs.CL'",
         {"kind": "search", "q": "ti:transformer AND cat:cs.CL"}),
        ("id = one id",
         "SELECT * FROM papers WHERE id = '%s'" % ids_all[123],
         {"kind": "ids", "n": 1}),
        ("id = with version = 1",
         "SELECT * FROM papers WHERE id = '2603.18030' AND version = 1",
         {"kind": "ids", "n": 1}),
        ("id IN (5 ids)",
         "SELECT * FROM papers WHERE id IN (%s)" % ", ".join("'%s'" % i for i in five),
         {"kind": "ids", "n": 5}),
        ("id = ANY(array of 300 ids)",
         "SELECT * FROM papers WHERE id = ANY (ARRAY[%s])" % ", ".join("'%s'" % i for i in ids300),
         {"kind": "ids", "n": 300}),
        ("ORDER BY published DESC LIMIT 20 (category)",
         "SELECT * FROM papers WHERE category = 'cs.LG' ORDER BY published DESC LIMIT 20",
         {"kind": "search", "q": "cat:cs.LG", "limit": 20}),
        ("ORDER BY updated DESC LIMIT 50 (category)",
         "SELECT * FROM papers WHERE category = 'cs.DC' ORDER BY updated DESC LIMIT 50",
         {"kind": "search", "q": "cat:cs.DC", "limit": 50}),
        ("ORDER BY updated LIMIT 10 (category)",
         "SELECT * FROM papers WHERE category = 'cs.DC' ORDER BY updated LIMIT 10",
         {"kind": "search", "q": "cat:cs.DC", "limit": 10}),
        ("ORDER BY published DESC LIMIT 20 OFFSET 2000 (page 101)",
         "SELECT * FROM papers WHERE category = 'cs.LG' ORDER BY published DESC LIMIT 20 OFFSET 2000",
         {"kind": "search", "q": "cat:cs.LG", "limit": 20, "offset": 2000}),
        ("title ILIKE '%memory%' + category",
         "SELECT * FROM papers WHERE category = 'cs.OS' AND title ILIKE '%memory%'",
         {"kind": "search", "q": "cat:cs.OS"}),
        ("title ILIKE '%tail latency%' + category",
         "SELECT * FROM papers WHERE category = 'cs.DC' AND title ILIKE '%tail latency%'",
         {"kind": "search", "q": "cat:cs.DC"}),
        ("updated >= X + category (incremental refresh, 1 page)",
         "SELECT * FROM papers WHERE category = 'cs.LG' AND updated >= '2026-06-01'",
         {"kind": "updated", "q": "cat:cs.LG", "bound": "2026-06-01T00:00:00Z"}),
        ("updated >= X + category (incremental refresh, several pages)",
         "SELECT * FROM papers WHERE category = 'cs.LG' AND updated >= '2025-10-01'",
         {"kind": "updated", "q": "cat:cs.LG", "bound": "2025-10-01T00:00:00Z"}),
        ("count(*) of a category",
         "SELECT count(*) FROM papers WHERE category = 'cs.OS'",
         {"kind": "count", "q": "cat:cs.OS"}),
        ("join, recommended: id = ANY(ARRAY(SELECT ... 50 ids))",
         "SELECT * FROM papers WHERE id = ANY (ARRAY(SELECT arxiv_id FROM reading_list))",
         {"kind": "ids", "n": 50}),
        ("join, plain: reading_list r JOIN papers p ON p.id = r.arxiv_id (50)",
         "SELECT p.* FROM reading_list r JOIN papers p ON p.id = r.arxiv_id",
         {"kind": "ids", "n": 50},
         "nested loop over the parameterized path: one id_list request per outer row, by design "
         "(the recommended `id = ANY(ARRAY(SELECT ...))` form above sends one batch)"),
        ("semi-join: id IN (SELECT arxiv_id FROM reading_list) (50)",
         "SELECT * FROM papers WHERE id IN (SELECT arxiv_id FROM reading_list)",
         {"kind": "ids", "n": 50},
         "planned like the plain join: one request per reading_list row"),
        ("category IN (4) scan, > 10000 results (count(*) of all rows; OFFSET 0 keeps the scan)",
         "SELECT count(*) FROM (SELECT * FROM papers WHERE category IN ('cs.LG','cs.AI','stat.ML','quant-ph') OFFSET 0) s",
         {"kind": "search", "q": "cat:cs.LG OR cat:cs.AI OR cat:stat.ML OR cat:quant-ph"}),
        ("50,000-result scan: published >= '%s' (count(*))" % big_date,
         "SELECT count(*) FROM (SELECT * FROM papers WHERE published >= '%s' OFFSET 0) s" % big_date,
         {"kind": "search", "q": "submittedDate:[%s0000 TO 999912312359]" % big_date.replace("-", "")}),
    ]

    results = []
    for i, q in enumerate(Q, 1):
        name, sql, spec = q[:3]
        note = q[3] if len(q) > 3 else ""
        m, need, why = minimum(spec)
        mock_reset()
        rows, secs = run(conn, sql)
        log = mock_log()
        nrows = rows[0][0] if sql_is_count(sql) else len(rows)
        made = len(log)
        sent = sent_summary(log)
        results.append(dict(n=i, name=name, sql=str(sql), rows=nrows, made=made, min=m,
                            ratio=made / m, entries=sum(r["entries"] or 0 for r in log),
                            need=need, why=why, sent=sent, secs=secs,
                            note=note, ok=all(r["status"] == 200 for r in log)))
        progress("  %2d %-60s %3d requests (min %d)" % (i, name[:60], made, m))

    say("## 1. Requests made vs the minimum")
    say()
    say("request_interval 0, page_size %d (the server default), arXiv window %d (mock `--window`). "
        "Minimum = ceil(rows arXiv must return / page_size) per id batch or result window, "
        "with rows counted by a `max_results=1` probe sent directly to the mock (or, for `updated`, "
        "from its corpus dump); requests made = the mock's request log for that query alone. "
        "The response cache (if any) is off (`cache_ttl 0`)." % (PAGE_SIZE, WINDOW))
    say()
    say("| # | query | rows | entries fetched | requests | minimum | made/min | why above 1.00 |")
    say("|---|---|---:|---:|---:|---:|---:|---|")
    for r in results:
        above = r["ratio"] > 1.0001
        say("| %d | %s | %d | %d | %d | %d | %s | %s |" % (
            r["n"], r["name"], r["rows"], r["entries"], r["made"], r["min"],
            "**%.2f**" % r["ratio"] if above else "%.2f" % r["ratio"],
            (r["note"] or "see the details below") if above else ""))
    tot_made = sum(r["made"] for r in results)
    tot_min = sum(r["min"] for r in results)
    say("| | **total** | | | **%d** | **%d** | **%.2f** | |" % (tot_made, tot_min, tot_made / tot_min))
    if any(not r["ok"] for r in results):
        say()
        say("**Some requests did not answer 200**: see the details.")
    say()
    say("<details><summary>SQL, what was sent, how the minimum was computed</summary>")
    say()
    for r in results:
        say("%d. `%s`  " % (r["n"], shorten(r["sql"], 240)))
        say("   sent: %s  " % r["sent"])
        say("   minimum: %s" % r["why"])
    say()
    say("</details>")
    say()
    return results


def sql_is_count(sql):
    return str(sql).startswith("SELECT count(*)")


def shorten(s, n):
    return s if len(s) <= n else s[:n] + "... (%d chars)" % len(s)


def sent_summary(log):
    if not log:
        return "no request"
    first = log[0]["params"]
    parts = []
    if first.get("search_query"):
        parts.append("search_query=`%s`" % shorten(first["search_query"], 100))
    if first.get("id_list"):
        parts.append("id_list=%d ids" % len(first["id_list"].split(",")))
    if first.get("sortBy"):
        parts.append("%s %s" % (first["sortBy"], first.get("sortOrder", "")))
    s = ", ".join(parts) + "; max_results=%s" % first.get("max_results")
    if log[0].get("method") == "POST":
        s = "POST " + s
    queries = {r["params"].get("search_query") for r in log}
    if len(log) > 1:
        s += "; %d requests, %d distinct search_query" % (len(log), len(queries))
    if any(r["status"] != 200 for r in log):
        s += "; statuses %s" % sorted({r["status"] for r in log})
    return s


# ---------------------------------------------------------------- 2. hidden waits


def part2(conn, has_cache):
    progress("2. hidden waits (about 45 s)")
    interval = 3.0
    n = probe_total("cat:cs.OS")
    ps = math.ceil(n / 15)
    npages = math.ceil(n / ps)
    add_server(conn, "slow", MOCK_URL, "3", has_cache, ps)
    add_server(conn, "fast15", MOCK_URL, "0", has_cache, ps)
    # OFFSET 0 keeps the scan: count(*) alone would be one totalResults request
    scan = "SELECT count(*) FROM (SELECT * FROM %s.papers WHERE category = 'cs.OS' OFFSET 0) s"

    # one page's transfer time: the same server, one request of page_size entries
    one_page = []
    for _ in range(5):
        mock_reset()
        _, secs = run(conn, "SELECT count(*) FROM (SELECT * FROM fast15.papers WHERE category = 'cs.OS' "
                            "ORDER BY published DESC LIMIT %d) s" % ps)
        assert len(mock_log()) == 1
        one_page.append(secs)
    t_page = statistics.median(one_page)
    # the whole scan without waits, for reference
    fast = []
    for _ in range(3):
        mock_reset()
        _, secs = run(conn, scan % "fast15")
        fast.append(secs)
    t_fast = statistics.median(fast)

    mock_reset()
    mock("/_mock/config", {"min_interval": interval})
    # the limiter spaces request starts per host for the whole cluster: let
    # the interval since the reference scans' last request pass, so the
    # timed scan's first request is not held back by them
    time.sleep(interval)
    rows, wall = run(conn, scan % "slow")
    log = mock_log()
    stats = mock("/_mock/stats")
    mock_reset()                  # restores the command-line min_interval

    log.sort(key=lambda r: r["t_start"])
    starts = [r["t_start"] for r in log]
    s2s = [b - a for a, b in zip(starts, starts[1:])]
    e2s = [b["t_start"] - a["t_end"] for a, b in zip(log, log[1:])]
    ideal = (len(log) - 1) * interval + t_page
    ratio = wall / ideal
    say("## 2. Hidden waits")
    say()
    say("request_interval %g s; `category = 'cs.OS'` has %d results; table option page_size %d "
        "gives %d pages." % (interval, n, ps, npages))
    say()
    say("| measure | value |")
    say("|---|---:|")
    say("| requests made (mock log) | %d |" % len(log))
    say("| rows | %d |" % rows[0][0])
    say("| one page's transfer time (1 request of %d entries, request_interval 0, median of 5) | %.3f s |" % (ps, t_page))
    say("| the whole scan at request_interval 0 (median of 3) | %.3f s |" % t_fast)
    say("| ideal = (%d - 1) x %g s + one page | %.3f s |" % (len(log), interval, ideal))
    say("| **measured wall time** | **%.3f s** |" % wall)
    say("| **measured / ideal** | **%.4f** (%+.2f%%) |" % (ratio, (ratio - 1) * 100))
    say("| gaps between request starts (mock clock): min / mean / max | %.3f / %.3f / %.3f s |" % (
        min(s2s), statistics.mean(s2s), max(s2s)))
    say("| gaps from a response's end to the next start: min / max | %.3f / %.3f s |" % (min(e2s), max(e2s)))
    say("| mock rate detector at threshold %g s: violations, max concurrent, min gap it saw | %d, %d, %.3f s |" % (
        interval, stats["interval_violations"], stats["max_concurrent"], stats["min_gap_seen"] or 0))
    say()
    if stats["interval_violations"]:
        say("The detector's violations are gaps between request starts of %.1f to %.1f ms under %g s "
            "(%d of %d gaps): the rate limiter spaces starts by exactly request_interval on the backend's "
            "clock, with no margin, so the jitter of sending a request (a few ms here; more over the "
            "internet) puts about half the starts the server sees just under the interval." % (
                min((interval - g) * 1000 for g in s2s if g < interval),
                max((interval - g) * 1000 for g in s2s if g < interval), interval,
                sum(1 for g in s2s if g < interval), len(s2s)))
        say()
    return dict(ratio=ratio, wall=wall, ideal=ideal, violations=stats["interval_violations"],
                requests=len(log), pages=npages)


# ---------------------------------------------------------------- 3. CPU


def date_of_nth_newest(pub, n):
    return pub[n - 1][1]


def insert_sql(schema, cond):
    return "INSERT INTO ingest_ext SELECT %s FROM %s.papers WHERE %s" % (DATA_COLS, schema, cond)


def timed_ingest(conn, schema, cond):
    """TRUNCATE + INSERT ... SELECT; (wall s, backend CPU s, rows)."""
    one(conn, "TRUNCATE ingest_ext")
    pid = one(conn, "SELECT pg_backend_pid()")
    c0 = backend_cpu(pid)
    t = time.perf_counter()
    with conn.cursor() as cur:
        cur.execute(insert_sql(schema, cond))
        nrows = cur.rowcount
    wall = time.perf_counter() - t
    return wall, backend_cpu(pid) - c0, nrows


def part3(conn, cond30, n30):
    progress("3. CPU")
    runs = []
    for i in range(3):
        mock_reset()
        wall, cpu, nrows = timed_ingest(conn, "public", cond30)
        log = mock_log()
        runs.append(dict(wall=wall, cpu=cpu, rows=nrows, log=log, entries=sum(r["entries"] for r in log),
                         mock_s=mock_seconds(log)))
    best = sorted(runs, key=lambda r: r["cpu"])[1]      # the median run
    # scan only: every column converted, rows discarded (EXPLAIN ANALYZE)
    pid = one(conn, "SELECT pg_backend_pid()")
    scan_cpu = []
    for _ in range(3):
        c0 = backend_cpu(pid)
        run(conn, "EXPLAIN (ANALYZE, TIMING OFF) SELECT %s FROM papers WHERE %s" % (DATA_COLS, cond30))
        scan_cpu.append(backend_cpu(pid) - c0)
    scan_cpu = statistics.median(scan_cpu)

    # the responses, fetched again directly from the mock with the same parameters
    reqs = runs[0]["log"]
    respdir = os.path.join(WORK, "responses")
    os.makedirs(respdir, exist_ok=True)
    for f in os.listdir(respdir):
        os.unlink(os.path.join(respdir, f))
    index = []
    for i, r in enumerate(reqs):
        data = urllib.parse.urlencode(r["params"])
        if r.get("method") == "POST":
            body = http_raw(MOCK_URL, data.encode())
        else:
            body = http_raw(MOCK_URL + "?" + data)
        name = "page-%03d.xml" % i
        with open(os.path.join(respdir, name), "wb") as f:
            f.write(body)
        index.append({"method": r.get("method", "GET"), "params": r["params"], "file": name})
    with open(os.path.join(respdir, "index.json"), "w") as f:
        json.dump(index, f)
    files = [os.path.join(respdir, e["file"]) for e in index]
    nbytes = sum(os.path.getsize(f) for f in files)
    gz_bytes = sum(r["bytes"] for r in reqs)

    out = subprocess.run([PARSE_BENCH, "5"] + files, check=True, capture_output=True, text=True).stdout
    pb = dict(kv.split("=") for kv in out.split())
    atom_mbs = float(pb["mb_per_s"])
    xl = []
    for _ in range(5):
        t = time.perf_counter()
        subprocess.run(["xmllint", "--stream", "--noout"] + files, check=True)
        xl.append(time.perf_counter() - t)
    xl_best = min(xl)
    xl_mbs = nbytes / 1e6 / xl_best
    unit_bench = unit_bench_line()

    eps = best["entries"] / best["cpu"]
    say("## 3. CPU")
    say()
    say("`INSERT INTO ingest_ext SELECT <the 15 data columns> FROM papers WHERE %s` "
        "(%d results: %d requests, the window continued automatically), request_interval 0; "
        "backend CPU = utime + stime of /proc/<pg_backend_pid()>/stat (CLK_TCK %d) around the statement. "
        "3 runs, the median shown." % (cond30, n30, len(best["log"]), CLK_TCK))
    say()
    say("| measure | value |")
    say("|---|---:|")
    say("| rows inserted / entries fetched | %d / %d |" % (best["rows"], best["entries"]))
    say("| backend CPU, INSERT ... SELECT (3 runs) | %s s |" % " / ".join("%.2f" % r["cpu"] for r in runs))
    say("| **entries per second of backend CPU (INSERT ... SELECT)** | **%.0f /s** |" % eps)
    say("| backend CPU of the scan alone (EXPLAIN ANALYZE, all 15 columns converted, median of 3) | %.2f s = %.0f entries/s |"
        % (scan_cpu, best["entries"] / scan_cpu))
    say("| wall time of the INSERT, 3 runs (of which the mock generating responses) | %s |"
        % " / ".join("%.2f s (%.2f s)" % (r["wall"], r["mock_s"]) for r in runs))
    say("| response bytes: XML / on the wire (gzip) | %.1f MB / %.1f MB |" % (nbytes / 1e6, gz_bytes / 1e6))
    say()
    say("Atom parsing alone, on the same %d responses saved to files (fetched from the mock with the "
        "parameters the extension sent, uncompressed): `test/bench/parse_bench` (src/atom.c, -O2, "
        "16 KiB pieces, best of 5) vs `xmllint --stream --noout` on the same files (best of 5)." % len(files))
    say()
    say("| parser | MB/s |")
    say("|---|---:|")
    say("| atom.c (%d entries, %.1f MB in %.3f s) | %.1f |" % (int(pb["entries"]), nbytes / 1e6,
                                                              float(pb["best_s"]), atom_mbs))
    say("| xmllint --stream --noout (%.3f s) | %.1f |" % (xl_best, xl_mbs))
    say("| **ratio atom.c / xmllint** | **%.2f** |" % (atom_mbs / xl_mbs))
    if unit_bench:
        say("| (cross-check: `make -C test/unit bench`, fixture 16 repeated) | %s |" % unit_bench)
    say()
    return dict(eps=eps, scan_eps=best["entries"] / scan_cpu, parse_ratio=atom_mbs / xl_mbs,
                atom_mbs=atom_mbs, xl_mbs=xl_mbs, ext_wall=[r["wall"] for r in runs],
                ext_mock_s=[r["mock_s"] for r in runs], ext_cpu=[r["cpu"] for r in runs], index=index, respdir=respdir, rows=best["rows"])


def http_raw(url, data=None):
    req = urllib.request.Request(url, data=data)
    if data is not None:
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    with urllib.request.urlopen(req, timeout=300) as resp:
        return resp.read()


def unit_bench_line():
    """test/unit's own bench target, if this checkout has one (not required)."""
    mk = os.path.join(TOP, "test/unit/Makefile")
    if not os.path.exists(mk) or "bench:" not in open(mk).read():
        return None
    try:
        p = subprocess.run(["make", "-s", "-C", os.path.join(TOP, "test/unit"), "bench",
                            "WORKDIR=" + os.path.join(WORK, "unit")],
                           capture_output=True, text=True, timeout=300)
    except Exception:
        return None
    if p.returncode != 0:
        return "failed"
    m1 = re.search(r"atom_parser: .*?= ([\d.]+) MB/s", p.stdout)
    m2 = re.search(r"xmllint --stream --noout: .*?= ([\d.]+) MB/s", p.stdout)
    if not (m1 and m2):
        return None
    return "%s vs %s MB/s = %.2f" % (m1.group(1), m2.group(1), float(m1.group(1)) / float(m2.group(1)))


# ---------------------------------------------------------------- 4. memory


def part4(sizes):
    """sizes: [(label, condition)], the first two compared against the target."""
    progress("4. memory")

    def hwm(sql):
        c = connect()
        pid = one(c, "SELECT pg_backend_pid()")
        mock_reset()
        run(c, sql)
        kb = backend_hwm_kb(pid)
        entries = sum(r["entries"] for r in mock_log())
        c.close()
        return kb / 1024, entries

    forms = (("count(*)", "SELECT count(*) FROM (SELECT * FROM papers WHERE {} OFFSET 0) s"),
             ("all columns", "EXPLAIN (ANALYZE, TIMING OFF) SELECT " + DATA_COLS + " FROM papers WHERE {}"))
    base = hwm("SELECT 1")[0]
    r = {}
    for form, sql in forms:
        for label, cond in sizes:
            r[form, label] = hwm(sql.format(cond))
    say("## 4. Memory")
    say()
    say("Peak resident memory (VmHWM of /proc/<pid>/status) of a fresh backend after one scan; "
        "rows are not accumulated.  `count(*)` form: `SELECT count(*) FROM (SELECT * FROM papers WHERE ... OFFSET 0) s` "
        "(PostgreSQL asks the scan for no column); all-columns form: `EXPLAIN ANALYZE SELECT <15 columns> "
        "FROM papers WHERE ...` (every column converted, rows discarded).  A fresh backend after `SELECT 1`: "
        "%.1f MB." % base)
    say()
    say("| scan | form | entries fetched | VmHWM |")
    say("|---|---|---:|---:|")
    for form, _ in forms:
        for label, cond in sizes:
            mb, entries = r[form, label]
            say("| `%s` | %s | %d | %.1f MB |" % (cond, form, entries, mb))
    small, big = sizes[0][0], sizes[1][0]
    diffs = {}
    for form, _ in forms:
        diffs[form] = r[form, big][0] - r[form, small][0]
        say("| **difference %s - %s entries** | %s | | **%+.1f MB** |" % (
            "{:,}".format(r[form, big][1]), "{:,}".format(r[form, small][1]), form, diffs[form]))
    if len(sizes) > 2:
        last = sizes[-1][0]
        for form, _ in forms:
            de = r[form, last][1] - r[form, big][1]
            dm = r[form, last][0] - r[form, big][0]
            say("| growth from %s to %s entries | %s | | %+.1f MB (%.0f bytes per entry) |" % (
                "{:,}".format(r[form, big][1]), "{:,}".format(r[form, last][1]), form, dm,
                dm * 1024 * 1024 / de if de else 0))
    say()
    return dict(d_count=diffs["count(*)"], d_explain=diffs["all columns"], base=base)


# ---------------------------------------------------------------- 5. Python


def py_ingest(reqfile, source_args):
    dsn = "host=%s port=%s user=%s dbname=%s" % (ENV["PGHOST"], ENV["PGPORT"], ENV.get("PGUSER", "postgres"), DB)
    cmd = ["/usr/bin/python3", os.path.join(TOP, "test/bench/py_ingest.py"), "--requests", reqfile,
           "--dsn", dsn, "--table", "ingest_py"] + source_args
    t = time.perf_counter()
    p = subprocess.run(cmd, check=True, capture_output=True, text=True)
    res = json.loads(p.stdout.strip().splitlines()[-1])
    res["process_s"] = time.perf_counter() - t
    return res


def replay_stats():
    return json.loads(http("http://127.0.0.1:%d/_replay/stats" % REPLAY_PORT).decode())


def start_replay(respdir):
    logf = open(os.path.join(WORK, "replay.log"), "w")
    p = subprocess.Popen([sys.executable, os.path.join(TOP, "test/mock/arxiv_mock.py"), "--replay", respdir,
                          "--port", str(REPLAY_PORT), "--pidfile", os.path.join(WORK, "replay.pid")],
                         stdout=logf, stderr=subprocess.STDOUT)
    for _ in range(100):
        try:
            replay_stats()
            return p
        except Exception:
            if p.poll() is not None:
                raise RuntimeError("the mock (--replay) did not start: see %s/replay.log" % WORK)
            time.sleep(0.1)
    raise RuntimeError("the mock (--replay) did not start")


def part5(conn, p3, cond30, has_cache):
    progress("5. Python users (about 2 minutes)")
    reqfile = os.path.join(p3["respdir"], "index.json")
    ext_wall = statistics.median(p3["ext_wall"])
    ext_mock = statistics.median(p3["ext_mock_s"])

    # Python, against the mock
    mock_reset()
    py_mock = py_ingest(reqfile, ["--base-url", MOCK_URL])
    py_mock_log = mock_log()
    py_mock["mock_s"] = mock_seconds(py_mock_log)
    assert len(py_mock_log) == len(p3["index"]), "Python made %d requests" % len(py_mock_log)
    # the same, asking for gzip as the extension (libcurl) does: the mock then
    # spends the same time compressing for both
    mock_reset()
    py_gzip = py_ingest(reqfile, ["--base-url", MOCK_URL, "--gzip"])
    py_gzip["mock_s"] = mock_seconds(mock_log())
    # the extension again, right after, as the load of the machine changes
    again = []
    for _ in range(3):
        mock_reset()
        wall = timed_ingest(conn, "public", cond30)[0]
        again.append((wall, mock_seconds(mock_log())))
    ext_again, ext_again_mock = sorted(again)[1]

    # without the mock: pre-fetched responses
    # the better of two runs (Python's runs are long and the machine is shared)
    py_files = min((py_ingest(reqfile, ["--from-dir", p3["respdir"]]) for _ in range(2)),
                   key=lambda r: r["total_s"])
    replay = start_replay(p3["respdir"])
    try:
        add_server(conn, "replay", REPLAY_URL, "0", has_cache)
        ext_replay = []
        ext_replay_cpu = []
        for _ in range(3):
            wall, cpu, nrows = timed_ingest(conn, "replay", cond30)
            ext_replay.append(wall)
            ext_replay_cpu.append(cpu)
        rs = replay_stats()
    finally:
        replay.terminate()
        replay.wait()
    assert rs["misses"] == 0, "the mock (--replay) missed %d requests" % rs["misses"]
    ext_replay_t = statistics.median(ext_replay)
    ext_cpu = statistics.median(p3["ext_cpu"])
    py_cpu = py_files["cpu_s"] + py_files["backend_cpu_s"]

    # the extension's own response cache, if this build has one
    ext_cache_t = None
    if has_cache:
        try:
            one(conn, "SELECT clear_cache()")
        except psycopg2.Error:
            pass
        one(conn, "ALTER SERVER arxiv OPTIONS (SET cache_ttl '86400')")
        try:
            timed_ingest(conn, "public", cond30)          # fills the cache
            mock_reset()
            ts = []
            for _ in range(3):
                ts.append(timed_ingest(conn, "public", cond30)[0])
            if len(mock_log()) == 0:
                ext_cache_t = statistics.median(ts)
        finally:
            one(conn, "ALTER SERVER arxiv OPTIONS (SET cache_ttl '0')")
            try:
                one(conn, "SELECT clear_cache()")
            except psycopg2.Error:
                pass

    rows_ok = py_mock["rows"] == p3["rows"] == py_files["rows"]
    say("## 5. Against Python users")
    say()
    say("The same %d-entry ingest (%d pages, the URLs the extension requested, taken from the mock's log) done "
        "as Python users do it: `/usr/bin/python3` with urllib (one GET per page), feedparser %s and psycopg2 %s "
        "`execute_values` into a table with the same 15 columns, one commit; `test/bench/py_ingest.py`.  "
        "Python's time excludes interpreter start-up and imports (%.2f s).  Both with request_interval 0 against "
        "the same mock; the extension's figure is the median INSERT of part 3, Python's one run each.  Python does not ask for gzip, so "
        "its pages come uncompressed (the mock's gzip time is spared, the extension pays for inflating)."
        % (p3["rows"], len(p3["index"]), py_mock["feedparser"], py_mock["psycopg2"], py_mock["import_s"]))
    say()
    say("| run | extension | Python | Python / extension |")
    say("|---|---:|---:|---:|")
    say("| **end to end, against the mock** | **%.2f s** | **%.2f s** | **%.1fx** |" % (
        ext_wall, py_mock["total_s"], py_mock["total_s"] / ext_wall))
    say("| of which the mock generating responses (its log, t_start to t_end) | %.2f s | %.2f s | |" % (
        ext_mock, py_mock["mock_s"]))
    say("| end to end against the mock, Python asking for gzip as the extension does; "
        "the extension run again right after (median of 3) | %.2f s | %.2f s | %.1fx |" % (
            ext_again, py_gzip["total_s"], py_gzip["total_s"] / ext_again))
    say("| of which the mock generating (and gzipping) responses | %.2f s | %.2f s | |" % (
        ext_again_mock, py_gzip["mock_s"]))
    say("| end to end minus the mock's time | %.2f s | %.2f s | %.1fx |" % (
        ext_wall - ext_mock, py_mock["total_s"] - py_mock["mock_s"],
        (py_mock["total_s"] - py_mock["mock_s"]) / (ext_wall - ext_mock)))
    say("| **without the mock's generation: extension against the mock replaying the saved responses "
        "(`arxiv_mock.py --replay`, median of 3); "
        "Python parse + insert from the saved files (better of 2)** | **%.2f s** | **%.2f s** | **%.1fx** |" % (
            ext_replay_t, py_files["total_s"], py_files["total_s"] / ext_replay_t))
    say("| CPU seconds: the extension's backend (part 3, median) vs the Python process + its backend "
        "(from files) | %.2f s | %.2f + %.2f s | %.1fx |" % (
            ext_cpu, py_files["cpu_s"], py_files["backend_cpu_s"], py_cpu / ext_cpu))
    if ext_cache_t is not None:
        say("| extension answered from its own response cache (cache_ttl, 0 requests, median of 3) vs Python from files "
            "| %.2f s | %.2f s | %.1fx |" % (ext_cache_t, py_files["total_s"], py_files["total_s"] / ext_cache_t))
    say()
    say("Python's time, from files: parse %.2f s, insert + commit %.2f s, reading files %.2f s; "
        "against the mock: fetch %.2f s, parse %.2f s, insert %.2f s.  Rows: extension %d, Python %d%s." % (
            py_files["parse_s"], py_files["insert_s"], py_files["fetch_s"], py_mock["fetch_s"],
            py_mock["parse_s"], py_mock["insert_s"], p3["rows"], py_mock["rows"],
            "" if rows_ok else " (DIFFERENT)"))
    say()
    return dict(e2e=py_mock["total_s"] / ext_wall, e2e_gzip=py_gzip["total_s"] / ext_again,
                ext_mock_share=ext_mock / ext_wall, nomock=py_files["total_s"] / ext_replay_t,
                ext_wall=ext_wall, py_wall=py_mock["total_s"], ext_replay=ext_replay_t, cpu=py_cpu / ext_cpu,
                py_files=py_files["total_s"], ext_cache=ext_cache_t)


# ---------------------------------------------------------------- 6. OAI-PMH


OAI_URL = MOCK_BASE + "/oai"
OAI_FLOOR = "2005-09-16"        # datestamp >= this: every record, no "from" sent
OAI_REQ_FIELDS = "verb set from until resumptionToken identifier"


def oai_config(records_limit=None, identifiers_limit=None):
    body = {}
    if records_limit:
        body["records_limit"] = records_limit
    if identifiers_limit:
        body["identifiers_limit"] = identifiers_limit
    return mock("/oai/_mock/config", body)


def oai_get(params):
    """One OAI-PMH request sent straight to the mock (left out of the counts)."""
    req = urllib.request.Request(OAI_URL + "?" + urllib.parse.urlencode(params),
                                 headers={"User-Agent": PROBE_AGENT})
    with urllib.request.urlopen(req, timeout=300) as resp:
        return resp.read()


def oai_token(body):
    m = re.search(rb"<resumptionToken[^>]*>([^<]+)</resumptionToken>", body)
    return urllib.parse.unquote(m.group(1).decode()) if m else None


def oai_headers(params):
    """(id, datestamp) of every record of a list, by ListIdentifiers in one
    request: the mock selects the same records for both verbs."""
    oai_config(identifiers_limit=1000000)
    q = dict(params, verb="ListIdentifiers", metadataPrefix="arXivRaw")
    body = oai_get(q)
    if b"noRecordsMatch" in body:
        return []
    assert oai_token(body) is None, "ListIdentifiers was paged"
    return re.findall(rb"<identifier>oai:arXiv.org:([^<]+)</identifier>\s*<datestamp>([^<]+)</datestamp>", body)


def oai_connect(sets=False):
    """A fresh session; sets=True: its ListSets fetched already (by a
    one-request harvest on the server oai_fast, which shares the URL)."""
    c = connect()
    if sets:
        one(c, "SELECT count(*) FROM (SELECT id FROM oai_fast.oai_papers WHERE category = 'cs.OS' LIMIT 1) s")
    return c


def add_oai_server(conn, name, interval, has_cache):
    opts = "base_url %s, oai_url %s, request_interval '%s'" % ("%s", "%s", interval)
    if has_cache:
        opts += ", cache_ttl '0'"
    one(conn, "CREATE SERVER %s FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (%s)" % (name, opts), (MOCK_URL, OAI_URL))
    one(conn, "CREATE SCHEMA %s" % name)
    one(conn, "IMPORT FOREIGN SCHEMA arxiv_oai FROM SERVER %s INTO %s" % (name, name))


def nth_newest_day(heads, n):
    days = sorted((d.decode() for _, d in heads), reverse=True)
    return days[n - 1]


def oai_window_days(heads, most):
    """The earliest day D with at most `most` records dated D or later."""
    days = sorted((d.decode() for _, d in heads), reverse=True)
    d = days[most]                  # the (most+1)th newest: one day too early
    later = [x for x in days if x > d]
    return min(later), len(later)


def part6(conn, has_cache):
    progress("6. OAI-PMH (about 4 minutes)")
    mock_reset()
    add_oai_server(conn, "oai_fast", "0", has_cache)
    add_oai_server(conn, "oai_slow", "3", has_cache)
    one(conn, "CREATE TABLE oai_ingest (LIKE oai_fast.oai_papers) WITH (autovacuum_enabled = off)")
    mp = ENV["MOCK_PORT"]
    say("## 6. OAI-PMH (`oai_papers`)")
    say()
    say("The OAI-PMH tables (`IMPORT FOREIGN SCHEMA arxiv_oai`) against the mock's `/oai` endpoint "
        "(`test/mock/oai_mock.py`, the same %s papers), metadataPrefix arXivRaw.  The page size is the "
        "server's (`POST /oai/_mock/config {\"records_limit\": N}`; arXiv's is 1300 at present).  "
        "To run this part alone: `BENCH_PARTS=6 bash test/bench/run.sh` (with `BENCH_KEEP=1` the cluster "
        "(`psql -h %s -p %s -U postgres %s`) and the mock stay up for the commands below, with "
        "`MOCK_PORT=%s`)." % ("{:,}".format(mock("/_mock/health").get("papers") or 0),
                              ENV["PGHOST"], ENV["PGPORT"], DB, mp))
    say()

    everything = oai_headers({})
    n_all = len(everything)
    win_day = nth_newest_day(everything, 5000)
    r6a = part6a(conn, win_day)
    r6b = part6b(conn, n_all)
    r6c = part6c(everything)
    r6d = part6d(conn)
    r6e = part6e(conn)
    return dict(a=r6a, b=r6b, c=r6c, d=r6d, e=r6e)


def part6a(conn, win_day):
    """Requests made vs ceil(N / page size) (+1 ListSets per session)."""
    progress("6a. OAI requests")
    ids = [i.decode() for i, _ in oai_headers({"set": "cs:cs:DC"})[::97][:5]]
    cases = []
    for ps in (50, 500, 1300):
        cases.append(("category = 'cs.OS'", {"set": "cs:cs:OS"}, ps, True))
        cases.append(("datestamp >= '%s' (no set)" % win_day, {"from": win_day}, ps, False))
    cases.append(("category = 'cs.LG'", {"set": "cs:cs:LG"}, 1300, True))
    cases.append(("category = 'cs.LG' AND datestamp >= '%s'" % win_day,
                  {"set": "cs:cs:LG", "from": win_day}, 500, True))
    cases.append(("datestamp >= '%s' (all records, no set, no from)" % OAI_FLOOR, {}, 1300, False))
    cases.append(("id IN (5 ids): GetRecord each", None, 1300, False))

    results = []
    for cond, params, ps, lists_sets in cases:
        if params is None:
            n = 5
            sql_cond = "id IN (%s)" % ", ".join("'%s'" % i for i in ids)
            minimum = 5
        else:
            n = len(oai_headers(params))
            sql_cond = cond.split(" (")[0]
            minimum = pages(n, ps) + (1 if lists_sets else 0)
        mock_reset()
        oai_config(records_limit=ps)
        c = oai_connect()
        sql = "SELECT count(*) FROM (SELECT * FROM oai_fast.oai_papers WHERE %s OFFSET 0) s" % sql_cond
        rows, secs = run(c, sql)
        c.close()
        log = mock_log()
        keys = [json.dumps(r["params"], sort_keys=True) for r in log]
        repeated = len(keys) - len(set(keys))
        made = len(log)
        verbs = {}
        for r in log:
            verbs[r["params"].get("verb")] = verbs.get(r["params"].get("verb"), 0) + 1
        results.append(dict(cond=cond, sql=sql, ps=ps, n=n, rows=rows[0][0], made=made, min=minimum,
                            repeated=repeated, records=sum(r["entries"] or 0 for r in log),
                            verbs=verbs, secs=secs, ok=all(r["status"] == 200 for r in log),
                            ratio=made / minimum))
        progress("  %-60s page %4d: %3d requests (min %d)" % (cond[:60], ps, made, minimum))

    say("### 6a. Requests")
    say()
    say("Each query in a fresh session (so each harvest by category pays its session's one `ListSets`), "
        "request_interval 0, in the `count(*) ... OFFSET 0` form.  N = the records of the list, counted by a "
        "`ListIdentifiers` of the same set and window sent straight to the mock in one request (left out of "
        "the counts).  Minimum = ceil(N / page size), + 1 ListSets for a category; requests made = the "
        "mock's log; *repeated* = requests whose parameters (token included) equal an earlier one's.")
    say()
    say("| condition | page size | N | rows | records fetched | requests (ListSets + ListRecords / GetRecord) "
        "| minimum | made/min | repeated |")
    say("|---|---:|---:|---:|---:|---|---:|---:|---:|")
    for r in results:
        v = r["verbs"]
        say("| `%s` | %d | %d | %d | %d | %d (%s) | %d | %s | %d |" % (
            r["cond"], r["ps"], r["n"], r["rows"], r["records"], r["made"],
            " + ".join("%d %s" % (v[k], k) for k in ("ListSets", "ListRecords", "GetRecord") if k in v),
            r["min"], "%.2f" % r["ratio"] if abs(r["ratio"] - 1) < 1e-9 else "**%.2f**" % r["ratio"],
            r["repeated"]))
    tot_made = sum(r["made"] for r in results)
    tot_min = sum(r["min"] for r in results)
    say("| **total** | | | | | **%d** | **%d** | **%.2f** | **%d** |" % (
        tot_made, tot_min, tot_made / tot_min, sum(r["repeated"] for r in results)))
    if any(not r["ok"] for r in results):
        say()
        say("**Some requests did not answer 200.**")
    say()
    say("Reproduce one row (here page size 500, cs.OS), with the cluster and mock kept (`BENCH_KEEP=1`):")
    say()
    say("    curl -s -XPOST -d '{}' 127.0.0.1:%s/_mock/reset; "
        "curl -s -XPOST -d '{\"records_limit\": 500}' 127.0.0.1:%s/oai/_mock/config" % (ENV["MOCK_PORT"], ENV["MOCK_PORT"]))
    say("    psql -h %s -p %s -U postgres %s -c \"SELECT count(*) FROM (SELECT * FROM oai_fast.oai_papers "
        "WHERE category = 'cs.OS' OFFSET 0) s\"" % (ENV["PGHOST"], ENV["PGPORT"], DB))
    say("    MOCK_PORT=%s python3 test/mock/mockctl requests %s" % (ENV["MOCK_PORT"], OAI_REQ_FIELDS))
    say()
    return dict(made=tot_made, min=tot_min, repeated=sum(r["repeated"] for r in results),
                at_min=sum(1 for r in results if r["made"] == r["min"]), n=len(results))


def part6b(conn, n_all):
    """oai.c alone vs xmllint --stream on saved 1000-record pages; the
    backend's rate on an INSERT ... SELECT of every record."""
    progress("6b. OAI parse and CPU")
    pagedir = os.path.join(WORK, "oai-pages")
    os.makedirs(pagedir, exist_ok=True)
    for f in os.listdir(pagedir):
        os.unlink(os.path.join(pagedir, f))
    mock_reset()
    oai_config(records_limit=1000)
    files = []
    params = {"verb": "ListRecords", "metadataPrefix": "arXivRaw"}
    for i in range(10):
        body = oai_get(params)
        name = os.path.join(pagedir, "page-%02d.xml" % i)
        with open(name, "wb") as f:
            f.write(body)
        files.append(name)
        token = oai_token(body)
        if token is None:
            break
        params = {"verb": "ListRecords", "resumptionToken": token}
    nbytes = sum(os.path.getsize(f) for f in files)
    nrec = sum(open(f, "rb").read().count(b"<record>") for f in files)
    out = subprocess.run([PARSE_BENCH, "--oai", "5"] + files, check=True, capture_output=True, text=True).stdout
    pb = dict(kv.split("=") for kv in out.split())
    oai_rps = float(pb["records_per_s"])
    xl = []
    for _ in range(5):
        t = time.perf_counter()
        subprocess.run(["xmllint", "--stream", "--noout"] + files, check=True)
        xl.append(time.perf_counter() - t)
    xl_best = min(xl)
    xl_rps = nrec / xl_best

    # the backend end to end: every record, page size 1000
    sql = "INSERT INTO oai_ingest SELECT * FROM oai_fast.oai_papers WHERE datestamp >= '%s'" % OAI_FLOOR
    def ingest(jit):
        runs = []
        for _ in range(3):
            mock_reset()
            oai_config(records_limit=1000)
            one(conn, "TRUNCATE oai_ingest")
            one(conn, "SET jit = %s" % jit)
            pid = one(conn, "SELECT pg_backend_pid()")
            c0 = backend_cpu(pid)
            t = time.perf_counter()
            with conn.cursor() as cur:
                cur.execute(sql)
                nrows = cur.rowcount
            wall = time.perf_counter() - t
            cpu = backend_cpu(pid) - c0
            one(conn, "RESET jit")
            log = mock_log()
            runs.append(dict(wall=wall, cpu=cpu, rows=nrows, requests=len(log),
                             records=sum(r["entries"] for r in log), mock_s=mock_seconds(log),
                             bytes=sum(r["bytes"] for r in log)))
        return runs, sorted(runs, key=lambda r: r["cpu"])[1]

    runs, med = ingest("on")
    runs_nojit, med_nojit = ingest("off")
    backend_rps = med["records"] / med["cpu"]
    backend_rps_nojit = med_nojit["records"] / med_nojit["cpu"]
    plan = "\n".join(r[0] for r in run(conn, "EXPLAIN " + sql)[0])
    jit_planned = "JIT:" in plan
    est = re.search(r"Foreign Scan on oai_papers .*rows=(\d+)", plan)

    say("### 6b. Parsing and backend CPU")
    say()
    say("%d arXivRaw ListRecords pages of 1,000 records (the first pages of the whole list, `records_limit` "
        "1000), fetched from the mock and saved to `%s`; `parse_bench --oai` (src/oai.c, -O2, 16 KiB pieces, "
        "a callback touching every field, best of 5) vs `xmllint --stream --noout` on the same files (best of 5, "
        "one process for all files)." % (len(files), pagedir))
    say()
    say("| parser | records/s | MB/s |")
    say("|---|---:|---:|")
    say("| **oai.c** (%d records, %.1f MB in %.3f s) | **%.0f** | %.1f |" % (
        int(pb["records"]), nbytes / 1e6, float(pb["best_s"]), oai_rps, float(pb["mb_per_s"])))
    say("| xmllint --stream --noout (%.3f s) | %.0f | %.1f |" % (xl_best, xl_rps, nbytes / 1e6 / xl_best))
    say("| ratio oai.c / xmllint | %.2f | |" % (oai_rps / xl_rps))
    say()
    say("    %s --oai 5 %s/page-*.xml" % (PARSE_BENCH, pagedir))
    say("    time xmllint --stream --noout %s/page-*.xml" % pagedir)
    say()
    say("The backend end to end: `%s` (every record of the mock, %d requests of 1,000 records, "
        "request_interval 0), backend CPU = utime + stime of /proc/<pg_backend_pid()>/stat around the "
        "statement; 3 runs, the median shown." % (sql, med["requests"]))
    say()
    say("| measure | value |")
    say("|---|---:|")
    say("| rows inserted / records fetched | %d / %d |" % (med["rows"], med["records"]))
    say("| backend CPU, 3 runs | %s s |" % " / ".join("%.2f" % r["cpu"] for r in runs))
    say("| **records per second of backend CPU** | **%.0f /s** |" % backend_rps)
    say("| the same with `SET jit = off`: backend CPU, 3 runs; records/s | %s s; %.0f /s |" % (
        " / ".join("%.2f" % r["cpu"] for r in runs_nojit), backend_rps_nojit))
    say("| wall time, 3 runs (of which the mock generating responses) | %s |" % " / ".join(
        "%.2f s (%.2f s)" % (r["wall"], r["mock_s"]) for r in runs))
    say("| response bytes (not compressed: the endpoint never gzips) | %.1f MB |" % (med["bytes"] / 1e6))
    say()
    say("The plan estimates %s rows for the scan%s." % (
        est.group(1) if est else "?",
        "; PostgreSQL's default jit settings compile it (with inlining and optimization)" if jit_planned else ""))
    say()
    say("    %s" % sql)
    say()
    return dict(oai_rps=oai_rps, xl_rps=xl_rps, backend_rps=backend_rps, backend_rps_nojit=backend_rps_nojit,
                files=len(files), records=nrec)


def part6c(everything):
    """VmHWM of a fresh backend: a 100-page harvest vs a 1-page one, at the
    same page size."""
    progress("6c. OAI memory")
    n_all = len(everything)
    ps = math.ceil(n_all / 100)
    one_day, n_one = oai_window_days(everything, ps)

    def hwm(sql):
        mock_reset()
        oai_config(records_limit=ps)
        c = connect()
        pid = one(c, "SELECT pg_backend_pid()")
        if sql.startswith("SET "):
            setting, sql = sql.split("; ", 1)
            one(c, setting)
        run(c, sql)
        kb = backend_hwm_kb(pid)
        c.close()
        log = mock_log()
        return dict(mb=kb / 1024, requests=len(log), records=sum(r["entries"] for r in log),
                    max_bytes=max([r["bytes"] for r in log] or [0]), bytes=sum(r["bytes"] for r in log))

    count_sql = "SELECT count(*) FROM (SELECT * FROM oai_fast.oai_papers WHERE {} OFFSET 0) s"
    # JIT is off for the verdict: LLVM's memory is not the scan's, and it
    # grows with the plan's cost (more inlining above jit_inline_above_cost),
    # which grows with the harvest; the JIT form is shown for information
    forms = (("count(*)", "SET jit = off; " + count_sql),
             ("all columns", "SET jit = off; EXPLAIN (ANALYZE, TIMING OFF) SELECT * FROM oai_fast.oai_papers WHERE {}"),
             ("count(*), jit = on", count_sql))
    half_day, n_half = oai_window_days(everything, 50 * ps)
    sizes = (("1 page", "datestamp >= '%s'" % one_day), ("50 pages", "datestamp >= '%s'" % half_day),
             ("100 pages", "datestamp >= '%s'" % OAI_FLOOR))
    base = hwm("SELECT 1")["mb"]
    r = {}
    for form, sql in forms:
        for label, cond in sizes:
            r[form, label] = hwm(sql.format(cond))
    page_mb = max(x["max_bytes"] for x in r.values()) / 1024 / 1024
    say("### 6c. Memory")
    say()
    say("VmHWM (/proc/<pid>/status) of a fresh backend after one harvest, page size %d (`records_limit`), "
        "request_interval 0; rows not accumulated.  The 100-page harvest is every record (`datestamp >= '%s'`), "
        "the 1-page one the newest days that fit one page, the 50-page one those that fit 50.  "
        "A fresh backend after `SELECT 1`: %.1f MB." % (ps, OAI_FLOOR, base))
    say()
    say("| form | harvest | requests | records | largest page | VmHWM |")
    say("|---|---|---:|---:|---:|---:|")
    for form, _ in forms:
        for label, cond in sizes:
            x = r[form, label]
            say("| %s | `%s` | %d | %d | %.2f MB | %.1f MB |" % (form, cond, x["requests"], x["records"],
                                                                 x["max_bytes"] / 1024 / 1024, x["mb"]))
    diffs = {}
    for form, _ in forms:
        diffs[form] = r[form, "100 pages"]["mb"] - r[form, "1 page"]["mb"]
        say("| **%s: 100 pages - 1 page** | | | | (one page: %.2f MB) | **%+.1f MB** |" % (
            form, page_mb, diffs[form]))
    for form, _ in forms:
        de = r[form, "100 pages"]["records"] - r[form, "50 pages"]["records"]
        dm = r[form, "100 pages"]["mb"] - r[form, "50 pages"]["mb"]
        say("| %s: growth from 50 to 100 pages | | | | | %+.1f MB (%.0f bytes per record) |" % (
            form, dm, dm * 1024 * 1024 / de if de else 0))
    say()
    say("    curl -s -XPOST -d '{\"records_limit\": %d}' 127.0.0.1:%s/oai/_mock/config" % (ps, ENV["MOCK_PORT"]))
    say("    printf '%%s\\n' 'SELECT pg_backend_pid() AS pid \\gset' '\\setenv P :pid' \"%s;\" "
        "'\\! grep VmHWM /proc/$P/status' | psql -h %s -p %s -U postgres %s" % (
            forms[0][1].format(sizes[-1][1]), ENV["PGHOST"], ENV["PGPORT"], DB))
    say()
    return dict(d_count=diffs["count(*)"], d_all=diffs["all columns"], d_jit=diffs["count(*), jit = on"],
                page_mb=page_mb, ps=ps, one=r["count(*)", "1 page"]["mb"],
                one_jit=r["count(*), jit = on", "1 page"]["mb"], base=base)


def part6d(conn):
    """Wall time of a P-page harvest at request_interval 3 vs (P - 1) x 3 s
    + one page's transfer."""
    progress("6d. OAI hidden waits (about 40 s)")
    interval = 3.0
    npages = 6
    n = len(oai_headers({"set": "cs:cs:OS"}))
    ps = math.ceil(n / npages)
    scan = "SELECT count(*) FROM (SELECT * FROM %s.oai_papers WHERE category = 'cs.OS' OFFSET 0) s"
    mock_reset()
    oai_config(records_limit=ps)
    c = oai_connect(sets=True)          # ListSets done: the harvest is P ListRecords
    one_page = []
    for _ in range(5):
        mock_reset()
        oai_config(records_limit=ps)
        _, secs = run(c, "SELECT count(*) FROM (SELECT * FROM oai_fast.oai_papers WHERE category = 'cs.OS' "
                         "LIMIT %d) s" % (ps // 2))
        assert len(mock_log()) == 1
        one_page.append(secs)
    t_page = statistics.median(one_page)
    fast = []
    for _ in range(3):
        mock_reset()
        oai_config(records_limit=ps)
        _, secs = run(c, scan % "oai_fast")
        fast.append(secs)
    t_fast = statistics.median(fast)

    mock_reset()
    oai_config(records_limit=ps)
    mock("/_mock/config", {"min_interval": interval})
    time.sleep(interval)
    rows, wall = run(c, scan % "oai_slow")
    log = mock_log()
    stats = mock("/_mock/stats")
    mock_reset()
    c.close()
    log.sort(key=lambda r: r["t_start"])
    starts = [r["t_start"] for r in log]
    s2s = [b - a for a, b in zip(starts, starts[1:])] or [0]
    ideal = (len(log) - 1) * interval + t_page
    ratio = wall / ideal
    say("### 6d. Hidden waits")
    say()
    say("request_interval %g s; `category = 'cs.OS'` (%d records) with page size %d (`records_limit`): %d "
        "ListRecords pages, in a session that has its ListSets already.  Ideal = (requests - 1) x %g s + one "
        "page's transfer (a `LIMIT %d` harvest of the first page at request_interval 0, median of 5)." % (
            interval, n, ps, pages(n, ps), interval, ps // 2))
    say()
    say("| measure | value |")
    say("|---|---:|")
    say("| requests made (mock log) | %d (%s) |" % (len(log), ", ".join(sorted({r["params"].get("verb") for r in log}))))
    say("| rows | %d |" % rows[0][0])
    say("| one page's transfer time (median of 5) | %.3f s |" % t_page)
    say("| the whole harvest at request_interval 0 (median of 3) | %.3f s |" % t_fast)
    say("| ideal = (%d - 1) x %g s + one page | %.3f s |" % (len(log), interval, ideal))
    say("| **measured wall time** | **%.3f s** |" % wall)
    say("| **measured / ideal** | **%.4f** (%+.2f%%) |" % (ratio, (ratio - 1) * 100))
    say("| gaps between request starts (mock clock): min / max | %.3f / %.3f s |" % (min(s2s), max(s2s)))
    say("| mock rate detector at threshold %g s: violations, max concurrent | %d, %d |" % (
        interval, stats["interval_violations"], stats["max_concurrent"]))
    say()
    say("    curl -s -XPOST -d '{\"records_limit\": %d}' 127.0.0.1:%s/oai/_mock/config" % (ps, ENV["MOCK_PORT"]))
    say("    psql -h %s -p %s -U postgres %s -c '\\timing on' -c \"%s\"" % (
        ENV["PGHOST"], ENV["PGPORT"], DB, scan % "oai_slow"))
    say()
    return dict(ratio=ratio, wall=wall, ideal=ideal, requests=len(log), violations=stats["interval_violations"])


def part6e(conn):
    """A harvest interrupted half-way, then resumed (arxiv_fdw.resume_harvests):
    requests of the resumed scan vs the pages not journaled, its rows vs an
    uninterrupted harvest's, the journal's size, and what journaling costs
    an uninterrupted harvest."""
    progress("6e. OAI resumed harvest (about 30 s)")
    ps = 500
    params = {"set": "cs:cs:LG"}
    n = len(oai_headers(params))
    npages = pages(n, ps)
    scan = "SELECT count(*) FROM (SELECT * FROM oai_fast.oai_papers WHERE category = 'cs.LG' OFFSET 0) s"
    digest = ("SELECT count(*), md5(string_agg(t::text, '' ORDER BY id)) "
              "FROM oai_fast.oai_papers t WHERE category = 'cs.LG'")
    journal_bytes = ("SELECT coalesce(sum((pg_stat_file('arxiv_fdw/oai_journal/' || d || '/' || f)).size), 0) "
                     "FROM pg_ls_dir('arxiv_fdw/oai_journal') d, "
                     "LATERAL pg_ls_dir('arxiv_fdw/oai_journal/' || d) f")

    def session(resume):
        c = oai_connect(sets=True)
        one(c, "SET arxiv_fdw.resume_harvests = %s" % ("on" if resume else "off"))
        one(c, "SET jit = off")
        return c

    def timed(resume):
        c = session(resume)
        mock_reset()
        oai_config(records_limit=ps)
        secs = run(c, scan)[1]
        c.close()
        return secs

    # alternated, so that a change of the machine's load hits both alike
    pairs = [(timed(False), timed(True)) for _ in range(5)]
    t_off = statistics.median(p[0] for p in pairs)
    t_on = statistics.median(p[1] for p in pairs)

    c = session(True)
    mock_reset()
    oai_config(records_limit=ps)
    whole = run(c, digest)[0][0]
    full_requests = len(mock_log())

    # interrupted: the (k + 1)th resumption token fails past every retry
    k = npages // 2 - 1
    mock_reset()
    oai_config(records_limit=ps)
    mock("/_mock/fault", {"kind": "status", "status": 503, "retry_after": 0,
                          "match": "resumptionToken", "skip": k, "count": 20})
    try:
        run(c, scan)
        failed = False
    except psycopg2.Error:
        failed = True
    journaled = k + 1
    before = len([r for r in mock_log() if r.get("status") == 200])
    size = float(one(c, journal_bytes))
    mock_reset()
    oai_config(records_limit=ps)
    t0 = time.perf_counter()
    resumed = run(c, digest)[0][0]
    t_res = time.perf_counter() - t0
    res_requests = len(mock_log())
    left = npages - journaled
    gone = one(c, "SELECT count(*) FROM pg_ls_dir('arxiv_fdw/oai_journal')")
    c.close()
    mock_reset()

    say("### 6e. Resuming an interrupted harvest")
    say()
    say("`category = 'cs.LG'` (%d records), page size %d: %d pages, request_interval 0, jit off, "
        "`arxiv_fdw.resume_harvests = on` (what cache creations and refreshes use).  The harvest is "
        "interrupted by 503s past the retries on page %d, then run again." % (n, ps, npages, journaled + 1))
    say()
    say("| measure | value |")
    say("|---|---:|")
    say("| uninterrupted harvest: requests | %d |" % full_requests)
    say("| interrupted harvest failed | %s, after %d pages (%d requests answered 200) |" % (
        "yes" if failed else "**no**", journaled, before))
    say("| journal on disk after the interruption | %.2f MB (%.2f MB a page) |" % (
        size / 1e6, size / 1e6 / max(journaled, 1)))
    say("| **resumed harvest: requests** | **%d** (pages not journaled: %d) |" % (res_requests, left))
    say("| resumed harvest: wall time | %.3f s |" % t_res)
    say("| **resumed rows = uninterrupted rows** (count, md5 of every row) | **%s** (%d rows) |" % (
        "yes" if resumed == whole else "NO", resumed[0]))
    say("| journals left after the resumed harvest | %d |" % gone)
    say("| uninterrupted harvest wall time, journal off / on (median of 5, alternated) | %.3f / %.3f s (%+.1f%%) |" % (
        t_off, t_on, (t_on / t_off - 1) * 100))
    say()
    say("Each journaled page is written and flushed once (the test cluster runs with fsync = off, so the "
        "flush is not in these times).  The resumed scan asks for the list from the journal's last "
        "datestamp (repeating at most that day's records), then makes one ListIdentifiers request per page "
        "of the papers changed anywhere on arXiv since the day before the journal started (here one), then "
        "replays the journal: hence a target of the pages not journaled + 1.")
    say()
    return dict(requests=res_requests, left=left, same=resumed == whole and failed, gone=gone,
                overhead=t_on / t_off - 1, mb_page=size / 1e6 / max(journaled, 1))


# ---------------------------------------------------------------- environment


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception:
        return "?"


def environment(conn):
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    commit = sh("git -C %s rev-parse --short HEAD" % TOP)
    dirty = sh("git -C %s status --porcelain -- src sql Makefile | wc -l" % TOP)
    return [
        ("date", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
        ("machine", "%s CPUs (nproc), %s, %.1f GiB RAM, Linux %s" % (
            os.cpu_count() and sh("nproc"), cpu, mem_kb / 1024 / 1024, platform.release())),
        ("load average at start", sh("cut -d' ' -f1-3 /proc/loadavg")),
        ("arxiv_fdw", "git %s%s" % (commit, " + %s uncommitted changes in src/ sql/ Makefile" % dirty
                                     if dirty not in ("0", "?") else "")),
        ("PostgreSQL", one(conn, "SELECT version()").split(" on ")[0]),
        ("libcurl / libxml2 / xmllint", "%s / %s / %s" % (
            sh("curl-config --version").replace("libcurl ", ""), sh("xml2-config --version"),
            sh("xmllint --version 2>&1 | head -1").replace("xmllint: using libxml version ", ""))),
        ("Python (ingest)", sh("/usr/bin/python3 --version").replace("Python ", "")),
        ("compiler (parse_bench)", sh("cc --version | head -1")),
        ("mock", "%s, corpus %s papers, window %d, seed default" % (MOCK_URL, mock("/_mock/health").get("papers"), WINDOW)),
    ]


# ---------------------------------------------------------------- main


def main():
    t_start = time.perf_counter()
    os.makedirs(WORK, exist_ok=True)
    conn, has_cache = setup_db()
    env = environment(conn)

    ids_all = sorted(r[0] for r in corpus_column("id"))
    pub = sorted(((r[0], r[1]) for r in corpus_column("id,published")), key=lambda r: r[1], reverse=True)
    d30 = date_of_nth_newest(pub, 30000)
    d1k = date_of_nth_newest(pub, 1000)
    cond30 = "published >= '%s'" % d30
    cond1k = "published >= '%s'" % d1k
    n30 = sum(1 for p in pub if p[1] >= d30)
    n1k = sum(1 for p in pub if p[1] >= d1k)

    say("# arxiv_fdw benchmark")
    say()
    say("`bash test/bench/run.sh` (test/bench/bench.py).  Measured against the bundled mock arXiv API "
        "(`test/mock/arxiv_mock.py`, 60000 papers) on a scratch PostgreSQL cluster.")
    say()
    say("| | |")
    say("|---|---|")
    for k, v in env:
        say("| %s | %s |" % (k, v))
    say("| response cache | %s |" % ("present: cache_ttl 0 except where said" if has_cache else "none in this build"))
    say()
    body_start = len(out_lines)

    parts = set(ENV.get("BENCH_PARTS", "1 2 3 4 5 6").replace(",", " ").split())
    if "5" in parts:
        parts.add("3")              # part 5 replays part 3's responses
    p1 = part1(conn, ids_all) if "1" in parts else None
    p2 = part2(conn, has_cache) if "2" in parts else None
    p3 = part3(conn, cond30, n30) if "3" in parts else None
    p4 = part4([("1k", cond1k), ("30k", cond30), ("50k", "published >= '2015-01-01'")]) if "4" in parts else None
    p5 = part5(conn, p3, cond30, has_cache) if "5" in parts else None
    p6 = part6(conn, has_cache) if "6" in parts else None

    summary = []
    if p1:
        worst = [r for r in p1 if r["ratio"] > 1.0001]
        summary += [
            ("1. requests made / minimum (suite of %d queries)" % len(p1),
             "%.2f overall; %d of %d queries at 1.00%s" % (
                 sum(r["made"] for r in p1) / sum(r["min"] for r in p1), len(p1) - len(worst), len(p1),
                 "; above: " + ", ".join("#%d %.2f" % (r["n"], r["ratio"]) for r in worst) if worst else ""),
             "1.00", not worst),
        ]
    if p2:
        summary += [
            ("2. wall time / ideal, 15 pages at request_interval 3",
             "%.4f (%+.2f%%), %d violations at 3 s" % (p2["ratio"], (p2["ratio"] - 1) * 100, p2["violations"]),
             "within 5%", abs(p2["ratio"] - 1) <= 0.05),
        ]
    if p3:
        summary += [
            ("3a. entries per second of backend CPU (INSERT ... SELECT)", "%.0f /s (%.1fx the target)" % (
                p3["eps"], p3["eps"] / 30000), ">= 30,000 /s", p3["eps"] >= 30000),
            ("3b. atom.c MB/s / xmllint --stream MB/s", "%.2f (%.0f vs %.0f MB/s)" % (
                p3["parse_ratio"], p3["atom_mbs"], p3["xl_mbs"]), ">= 0.5", p3["parse_ratio"] >= 0.5),
        ]
    if p4:
        summary += [
            ("4. VmHWM difference 30,000 - 1,000 entries", "%+.1f MB (count(*)), %+.1f MB (all columns)" % (
                p4["d_count"], p4["d_explain"]), "< 10 MB", max(p4["d_count"], p4["d_explain"]) < 10),
        ]
    if p5:
        summary += [
            ("5a. Python / extension, end to end against the mock", "%.1fx (%.1f s vs %.2f s; the mock's own time "
             "is %.0f%% of the extension's); %.1fx with Python also asking for gzip" % (
                p5["e2e"], p5["py_wall"], p5["ext_wall"], p5["ext_mock_share"] * 100, p5["e2e_gzip"]),
             ">= 20x", p5["e2e"] >= 20),
            ("5b. Python / extension, without the mock", "%.1fx (%.1f s vs %.2f s)" % (
                p5["nomock"], p5["py_files"], p5["ext_replay"]), ">= 20x", p5["nomock"] >= 20),
            ("5c. Python / extension, CPU seconds (client + backend vs backend)", "%.1fx" % p5["cpu"],
             "(no target)", None),
        ]
    if p6:
        a, b, c, d = p6["a"], p6["b"], p6["c"], p6["d"]
        summary += [
            ("6a. OAI-PMH requests made / ceil(N / page size) (+1 ListSets per session), %d harvests, "
             "page sizes 50-1300" % a["n"],
             "%.2f (%d / %d); %d of %d at the minimum; %d repeated requests" % (
                 a["made"] / a["min"], a["made"], a["min"], a["at_min"], a["n"], a["repeated"]),
             "1.00, none repeated", a["made"] == a["min"] and a["repeated"] == 0),
            ("6b. oai.c records/s on 1,000-record arXivRaw pages (xmllint --stream: %.0f /s)" % b["xl_rps"],
             "%.0f /s (%.2fx xmllint)" % (b["oai_rps"], b["oai_rps"] / b["xl_rps"]), ">= 50,000 /s",
             b["oai_rps"] >= 50000),
            ("6b. OAI-PMH records per second of backend CPU (INSERT ... SELECT of every record)",
             "%.0f /s (%.0f /s with jit = off)" % (b["backend_rps"], b["backend_rps_nojit"]), "(no target)", None),
            ("6c. VmHWM difference, 100-page - 1-page harvest (page size %d, jit = off)" % c["ps"],
             "%+.1f MB (count(*)), %+.1f MB (all columns); one page %.2f MB; with JIT %+.1f MB "
             "(LLVM's, growing with plan cost)" % (c["d_count"], c["d_all"], c["page_mb"], c["d_jit"]),
             "<= one page", max(c["d_count"], c["d_all"]) <= c["page_mb"]),
            ("6c. VmHWM after a 1-page harvest (fresh backend: %.1f MB)" % c["base"],
             "%.1f MB (%.1f MB with JIT)" % (c["one"], c["one_jit"]), "(no target)", None),
            ("6d. OAI-PMH wall time / ideal, %d pages at request_interval 3" % d["requests"],
             "%.4f (%+.2f%%), %d violations at 3 s" % (d["ratio"], (d["ratio"] - 1) * 100, d["violations"]),
             "within 5%", abs(d["ratio"] - 1) <= 0.05),
            ("6e. OAI-PMH harvest resumed after an interruption: requests / pages not journaled",
             "%d / %d; rows identical to an uninterrupted harvest: %s; %d journals left; journaling "
             "costs %+.1f%% wall time, %.2f MB of disk a page" % (
                 p6["e"]["requests"], p6["e"]["left"], "yes" if p6["e"]["same"] else "NO",
                 p6["e"]["gone"], p6["e"]["overhead"] * 100, p6["e"]["mb_page"]),
             "<= pages left + 1, identical rows", p6["e"]["same"] and p6["e"]["gone"] == 0 and
             p6["e"]["requests"] <= p6["e"]["left"] + 1),
        ]
    summ = ["## Summary", "",
            "| measurement | result | target | met |", "|---|---|---|---|"]
    for name, res, target, ok in summary:
        summ.append("| %s | %s | %s | %s |" % (name, res, target,
                                                 "" if ok is None else "yes" if ok else "**NO**"))
    summ.append("")
    summ.append("Total benchmark time %.0f s; load average at the end %s." % (
        time.perf_counter() - t_start, sh("cut -d' ' -f1-3 /proc/loadavg")))
    summ.append("")
    for s in summ:
        print(s)
    out_lines[body_start:body_start] = summ
    with open(RESULTS, "w") as f:
        f.write("\n".join(out_lines) + "\n")
    progress("results written to %s" % RESULTS)


if __name__ == "__main__":
    main()
