"""Fault-injection campaign against arxiv_fdw (run by test/fault/run.sh).

Part 1, faults: for each fault kind the mock can inject, several counts
(below, at and above max_retries = 2) and several queries (one page, four
pages of 50, an id list, three id batches of 50, a raw search), the query
runs as CREATE TABLE trial AS ...; then
  - success: the rows must equal the fault-free result (md5 of the ordered
    rows, every column), else a WRONG RESULT;
  - error: SQLSTATE not XX000, a message naming the problem (a pattern per
    fault kind), and the table must not exist, else an UNCLEAR ERROR (or
    PARTIAL ROWS);
  - the connection dying is a CRASH.
The fault-free results are themselves checked against the mock's corpus
(loaded into the table "corpus").

Part 2, the response cache (cache_ttl on): after each faulty attempt, the
same query without faults must return the fault-free result: nothing bad was
cached.

Part 3, hostile strings in quals (title ILIKE, author =, category =, id =,
search =): the request the mock received must keep the query's structure
(operators and parentheses outside quotes), and the rows must be what
PostgreSQL semantics require (title, id, category: the local corpus); search
values that are unbalanced must be rejected with a clear error.

Part 4, the OAI-PMH tables (oai.oai_papers, oai.oai_versions; pages of 25
records): every fault the mock's /oai endpoint can inject (statuses with and
without Retry-After, reset, slow, truncated, non_xml, blank, and 200s whose
body is an OAI-PMH error, an HTML page, an Atom feed, a DOCTYPE or more than
max_response_bytes) at the first page of a list, a later page (a resumption
token), the second list of a query, GetRecord and ListSets; the same checks
as part 1, plus: the SQLSTATE and detail expected of the fault, and the
request named in the context.  An OAI-PMH error means what it says where it
is legitimate (noRecordsMatch for a list's first request: no rows;
idDoesNotExist for GetRecord: no row for that id; badResumptionToken for a
token: the list restarts) and is an error elsewhere; it must never yield a
prefix of the rows as if complete.

Part 5, hostile category and id values on the OAI-PMH tables: every request
must carry exactly its verb's parameters, with a set from ListSets, days for
from/until and identifier=oai:arXiv.org:ID only for the query's own ids; the
rows must be what PostgreSQL semantics require.

Part 6, interrupted OAI-PMH harvests resume (arxiv_fdw.resume_harvests):
randomized trials with a fixed seed (RESUME_SEED, RESUME_TRIALS); see the
comment above the part.  A resumed harvest must return exactly the rows of
an uninterrupted one taken right after, leave no journal and make no more
requests; a cache whose create_cache or full refresh_cache failed part-way
must be absent or unchanged, and equal to the foreign table once resumed.

At the end, postmaster crashes are looked for in the server log and in
pg_postmaster_start_time().

usage: campaign.py DBNAME POSTMASTER_LOG"""
import os
import re
import sys
import time
import unicodedata
import urllib.request

import psycopg2

from pgutil import MOCK, connect, mock, mock_log, mock_reset, mock_fault, mock_clear_faults

DB = sys.argv[1]
PMLOG = sys.argv[2]
MAX_RETRIES = 2
VERBOSE = os.environ.get("VERBOSE") == "1"
PARTS = os.environ.get("PARTS", "123456")     # for development: which parts to run

conn = None
cur = None


def reconnect():
    global conn, cur
    try:
        if conn is not None:
            conn.close()
    except Exception:
        pass
    for _ in range(50):
        try:
            conn = connect(DB, application_name="fault-campaign")
            cur = conn.cursor()
            cur.execute("SET timezone = 'UTC'")
            return
        except psycopg2.OperationalError:
            time.sleep(0.2)
    raise SystemExit("cannot reconnect to the database")


reconnect()


def q1(sql, args=None):
    cur.execute(sql, args)
    return cur.fetchone()


figures = dict(faults=0, queries=0, wrong=0, crashes=0, unclear=0, partial=0,
               unexpected_fail=0, unexpected_ok=0, ref_mismatch=0, structure=0,
               hostile_wrong=0, mock_limit=0, oai_faults=0, oai_trials=0, oai_hostile=0,
               resume_leftover=0, resume_requests=0)
problems = []


def problem(kind, text):
    figures[kind] += 1
    problems.append("%s: %s" % (kind, text))
    print("  !! %s: %s" % (kind, text), flush=True)


start_time = q1("SELECT pg_postmaster_start_time()")[0]
log_offset = os.path.getsize(PMLOG) if os.path.exists(PMLOG) else 0

# ---------------------------------------------------------------------------
# Queries and their fault-free results
# ---------------------------------------------------------------------------
ids_5 = ["2605.09735", "2603.11438", "hep-th/9201001", "0704.0159", "2601.99999"]
ids_120 = [r[0] for r in (cur.execute(
    "SELECT id FROM corpus WHERE 'cs.DC' = ANY (categories) ORDER BY id LIMIT 120") or
    cur.fetchall())]
assert len(ids_120) == 120


def arr(ids):
    return "ARRAY[%s]" % ",".join("'%s'" % i for i in ids)


# name: (query, pages, the same rows from the corpus)
QUERIES = {
    "single": ("SELECT * FROM {s}big.papers WHERE category = 'cs.OS' AND published >= '2026-06-01'",
               1, "'cs.OS' = ANY (categories) AND published >= '2026-06-01'"),
    "multi": ("SELECT * FROM {s}small.papers WHERE category = 'cs.OS' AND published >= '2026-01-01'",
              4, "'cs.OS' = ANY (categories) AND published >= '2026-01-01'"),
    "ids": ("SELECT * FROM {s}big.papers WHERE id IN (%s)" % ",".join("'%s'" % i for i in ids_5),
            1, "id IN (%s)" % ",".join("'%s'" % i for i in ids_5)),
    "ids_multi": ("SELECT * FROM {s}small.papers WHERE id = ANY (%s)" % arr(ids_120),
                  3, "id = ANY (%s)" % arr(ids_120)),
    "search": ("SELECT * FROM {s}big.papers WHERE search = 'ti:kernel' AND category = 'cs.OS'",
               1, "'cs.OS' = ANY (categories) AND title ~* '(^|[^[:alnum:]])kernel([^[:alnum:]]|$)'"),
}
DATA_COLS = ("id, version, title, abstract, authors, author_details, primary_category, "
             "categories, published, updated, comment, journal_ref, doi, abs_url, pdf_url")
MD5_ALL = ("SELECT count(*), md5(coalesce(string_agg(x, E'\\n' ORDER BY x), '')) "
           "FROM (SELECT t::text AS x FROM {t} t) s")
MD5_DATA = ("SELECT count(*), md5(coalesce(string_agg(x, E'\\n' ORDER BY x), '')) "
            "FROM (SELECT ROW(" + DATA_COLS + ")::text AS x FROM {t} {w}) s")

reference = {}
print("fault-free results:", flush=True)
for name, (sql, pages, corpus_where) in QUERIES.items():
    mock_reset()
    cur.execute("DROP TABLE IF EXISTS ref_%s" % name)
    cur.execute("CREATE TABLE ref_%s AS %s" % (name, sql.format(s="")))
    figures["queries"] += 1
    n_req = len(mock_log())
    reference[name] = q1(MD5_ALL.format(t="ref_" + name))
    mine = q1(MD5_DATA.format(t="ref_" + name, w=""))
    theirs = q1(MD5_DATA.format(t="corpus", w="WHERE " + corpus_where))
    print("  %-10s %4d rows, %d request(s), %s" % (name, reference[name][0], n_req,
                                                   "= corpus" if mine == theirs else
                                                   "DIFFERS from the corpus (%d rows)" % theirs[0]))
    if mine != theirs:
        problem("ref_mismatch", "%s: %d rows, the corpus has %d" % (name, mine[0], theirs[0]))
    if n_req != pages:
        problem("ref_mismatch", "%s: %d requests, expected %d pages" % (name, n_req, pages))

# ---------------------------------------------------------------------------
# Part 1: faults
# ---------------------------------------------------------------------------
RETRY, FAIL, OK = "retry", "fail", "ok"     # what the extension should do with the fault
# every failed fetch: this message, the cause in the detail (the patterns
# below), the request in the context
FETCH_MSG = "could not fetch results from arXiv"
FETCH_CONTEXT = re.compile(r"^request https?://\S+, attempt \d+$", re.M)
STATUS_MSG = r"^The server answered with HTTP status %d\.$"
# kind name: (fault spec, behaviour, detail pattern of the error)
FAULTS = []
for st in (429, 500, 502, 503):
    FAULTS.append(("status %d" % st, {"kind": "status", "status": st}, RETRY, STATUS_MSG % st))
    FAULTS.append(("status %d Retry-After 1" % st,
                   {"kind": "status", "status": st, "retry_after": 1}, RETRY, STATUS_MSG % st))
FAULTS += [
    ("status 404", {"kind": "status", "status": 404}, FAIL, STATUS_MSG % 404),
    ("status 400 (html)", {"kind": "status", "status": 400}, FAIL, STATUS_MSG % 400),
    ("empty_page", {"kind": "empty_page"}, RETRY,
     r"^The page at start \d+ is empty, though totalResults is \d+\.$"),
    ("slow 0.5 s (< timeout)", {"kind": "slow", "delay": 0.5}, OK, None),
    ("slow 4 s (> timeout)", {"kind": "slow", "delay": 4}, RETRY,
     r"no complete response from \S+ within 2 seconds"),
    ("stall 0.5 s (< timeout)", {"kind": "stall", "delay": 0.5}, OK, None),
    ("stall 4 s (> timeout)", {"kind": "stall", "delay": 4}, RETRY,
     r"no complete response from \S+ within 2 seconds"),
]
for b in (0, 1, 10, 100, 1000, None):
    spec = {"kind": "truncated"}
    if b is not None:
        spec["bytes"] = b
    FAULTS.append(("truncated at %s" % ("half" if b is None else "byte %d" % b), spec, RETRY,
                   r"closed before the response was complete"))
FAULTS += [
    ("non_xml", {"kind": "non_xml"}, RETRY,
     # the body is never echoed (it may come from anywhere): status, type, size
     r'not a valid Atom feed: not well-formed XML \(HTTP status 200, Content-Type "text/plain.*", \d+ bytes\)'),
    ("blank", {"kind": "blank"}, RETRY, r"^The response body is empty\.$"),
    ("rate_exceeded", {"kind": "rate_exceeded"}, RETRY,
     r'not a valid Atom feed: not well-formed XML \(HTTP status 200, Content-Type "text/plain", 14 bytes\)'),
    ("html_denied 403", {"kind": "html_denied", "status": 403}, RETRY, STATUS_MSG % 403),
    ("html_denied 200", {"kind": "html_denied", "status": 200}, RETRY,
     r'not a valid Atom feed: XML that is not an Atom feed \(HTTP status 200, Content-Type "text/html'),
    ("error_feed_200", {"kind": "error_feed_200", "message": "something went wrong"}, FAIL,
     r"^arXiv answered with an error \(HTTP status 200\): something went wrong\.$"),
    ("reset", {"kind": "reset"}, RETRY, r"connection to \S+ (failed|closed|was reset)"),
]
SLOW_KINDS = ("slow 4 s (> timeout)", "stall 4 s (> timeout)")


def fault_sqlstate(kname):
    """The SQLSTATE of a fault's error: HV00N when no response came (transport,
    HTTP statuses), HV00M when the response cannot be made into rows."""
    kname = kname.replace("cache: ", "")
    if kname.startswith(("status", "html_denied 403", "reset", "slow", "stall", "truncated")):
        return "HV00N"
    if kname in ("non_xml", "blank", "rate_exceeded", "html_denied 200", "error_feed_200",
                 "empty_page"):
        return "HV00M"
    return None

# Where the faults go: (query, skip, counts).  Every retryable kind gets
# fewer than, exactly and more than max_retries faults on the one-page query;
# faults mid-paging (third page of four) and in the second id batch; the first
# page of a multi-page query, the short id list and the raw search get a
# subset (the time goes into backoff sleeps: 0.5-0.6 s, then 1-1.25 s).
PLACES_RETRY = [("single", 0, (1, 2, 3)), ("multi", 2, (1, 3)), ("ids_multi", 1, (3,)),
                ("ids", 0, (1,))]
PLACES_EXTRA = {"status 503": [("multi", 0, (1, 3)), ("search", 0, (3,)), ("ids", 0, (3,))],
                "empty_page": [("multi", 0, (1, 3)), ("search", 0, (3,)), ("ids", 0, (3,))],
                "truncated at half": [("multi", 0, (1, 3)), ("search", 0, (3,)),
                                      ("ids_multi", 0, (1,))],
                "non_xml": [("search", 0, (3,))],
                "reset": [("multi", 0, (1, 3)), ("ids", 0, (3,))]}
PLACES_SHORT = [("single", 0, (1, 3))]                          # Retry-After variants
PLACES_SLOW = [("single", 0, (1, 3)), ("multi", 2, (1,))]      # beyond the timeout
PLACES_ONCE = [("single", 0, (1,)), ("multi", 0, (1,)), ("multi", 2, (1,)), ("ids", 0, (1,)),
               ("ids_multi", 1, (1,)), ("search", 0, (1,))]    # no retry involved


def places(kname, behaviour):
    if behaviour != RETRY:
        return PLACES_ONCE
    if kname in SLOW_KINDS:
        return PLACES_SLOW
    if "Retry-After" in kname:
        return PLACES_SHORT
    return PLACES_RETRY + PLACES_EXTRA.get(kname, [])


per_kind = {}
trial_no = [0]


def is_crash(e):
    return conn.closed or isinstance(e, (psycopg2.OperationalError, psycopg2.InterfaceError)) \
        and ("server closed the connection" in str(e) or "terminat" in str(e)
             or "connection" in str(e) and conn.closed)


def run_trial(label, qname, schema, faults, expect, pattern, kind_key):
    """expect: 'ok', 'error' or 'either'."""
    trial_no[0] += 1
    sql = QUERIES[qname][0].format(s=schema)
    mock_reset()
    for f in faults:
        mock_fault(f)
    t0 = time.monotonic()
    outcome, detail, err = None, "", None
    try:
        cur.execute("DROP TABLE IF EXISTS trial")
        cur.execute("CREATE TABLE trial AS " + sql)
        outcome = "ok"
    except psycopg2.Error as e:
        err = e
        outcome = "error"
    elapsed = time.monotonic() - t0
    log = mock_log()
    injected = sum(1 for r in log if r.get("fault"))
    figures["queries"] += 1
    figures["faults"] += injected
    k = per_kind.setdefault(kind_key, dict(trials=0, faults=0, ok=0, error=0, bad=0))
    k["trials"] += 1
    k["faults"] += injected
    k[outcome] += 1
    bad_before = sum(figures[x] for x in ("wrong", "crashes", "unclear", "partial"))

    if outcome == "ok":
        got = q1(MD5_ALL.format(t="trial"))
        detail = "%d rows" % got[0]
        if got != reference[qname]:
            problem("wrong", "%s on %s: %d rows, md5 %s; fault-free %d rows, md5 %s"
                    % (label, qname, got[0], got[1], reference[qname][0], reference[qname][1]))
        if expect == "error":
            figures["unexpected_ok"] += 1
            detail += " (expected an error)"
    else:
        if is_crash(err):
            problem("crashes", "%s on %s: %s" % (label, qname, str(err).strip()))
            reconnect()
        else:
            msg = (err.diag.message_primary or "")
            det = (err.diag.message_detail or "")
            detail = "%s %s / %s" % (err.pgcode, msg, det)
            want = fault_sqlstate(kind_key)
            if err.pgcode is None or err.pgcode.startswith("XX"):
                problem("unclear", "%s on %s: SQLSTATE %s: %s" % (label, qname, err.pgcode, msg))
            elif msg != FETCH_MSG or (pattern and not re.search(pattern, det)):
                problem("unclear", "%s on %s: message %r, detail %r do not name the problem"
                        % (label, qname, msg, det))
            elif want and err.pgcode != want:
                problem("unclear", "%s on %s: SQLSTATE %s, expected %s"
                        % (label, qname, err.pgcode, want))
            elif not FETCH_CONTEXT.search(err.diag.context or ""):
                problem("unclear", "%s on %s: the context %r does not name the request"
                        % (label, qname, err.diag.context))
            if q1("SELECT to_regclass('trial') IS NOT NULL")[0]:
                problem("partial", "%s on %s: the table exists after the error" % (label, qname))
            if expect == "ok":
                figures["unexpected_fail"] += 1
                problems.append("unexpected_fail: %s on %s: %s" % (label, qname, detail))
                print("  !! unexpected failure: %s on %s: %s" % (label, qname, detail))
    if sum(figures[x] for x in ("wrong", "crashes", "unclear", "partial")) > bad_before:
        k["bad"] += 1
    if VERBOSE:
        print("  %-34s %-10s %-6s %d fault(s) %5.2fs %s" % (label, qname, outcome, injected,
                                                            elapsed, detail[:100]), flush=True)
    return outcome


print("\npart 1: faults (max_retries %d, request_interval 0, timeout 2 s)" % MAX_RETRIES,
      flush=True)
t_part = time.monotonic()
for kname, spec, behaviour, pattern in (FAULTS if "1" in PARTS else []):
    for qname, skip, counts in places(kname, behaviour):
        for count in counts:
            f = dict(spec, count=count, skip=skip)
            if behaviour == OK:
                expect = "ok"
            elif behaviour == FAIL:
                expect = "error"
            else:
                expect = "ok" if count <= MAX_RETRIES else "error"
            label = "%s x%d%s" % (kname, count, " skip %d" % skip if skip else "")
            run_trial(label, qname, "", [f], expect, pattern, kname)

# every page failing once, in a different way each: per-page retries suffice
spread = [{"kind": "status", "status": 503, "match": "start=0&"},
          {"kind": "truncated", "match": "start=50&"},
          {"kind": "empty_page", "match": "start=100&"},
          {"kind": "reset", "match": "start=150&"}]
if "1" in PARTS:
    run_trial("every page fails once", "multi", "", spread, "ok", None, "mixed, one per page")
    spread2 = [dict(s, count=2) for s in spread]
    run_trial("every page fails twice", "multi", "", spread2, "ok", None, "mixed, one per page")
print("  %d trials in %.0f s" % (trial_no[0], time.monotonic() - t_part), flush=True)

# ---------------------------------------------------------------------------
# Part 2: the response cache must not keep what failed
# ---------------------------------------------------------------------------
print("\npart 2: faults with the response cache on (cache_ttl 3600)", flush=True)
# the extension's clear_cache(), in whatever schema the extension is in
CLEAR_CACHE = q1("SELECT p.oid::regproc FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid "
                 "JOIN pg_extension e ON e.oid = d.refobjid AND d.deptype = 'e' "
                 "WHERE e.extname = 'arxiv_fdw' AND p.proname = 'clear_cache'")[0] + "()"
t_part = time.monotonic()
cache_trials = 0
for kname, spec, behaviour, pattern in (FAULTS if "2" in PARTS else []):
    if kname in SLOW_KINDS or kname.startswith("status 4") or "Retry-After" in kname:
        continue
    for qname, skip in (("single", 0), ("multi", 2)):
        if qname == "multi" and kname not in ("status 503", "empty_page", "truncated at half",
                                               "non_xml", "html_denied 200", "error_feed_200"):
            continue
        for count in ((1, 3) if behaviour == RETRY else (1,)):
            expect = ("ok" if behaviour == OK or (behaviour == RETRY and count <= MAX_RETRIES)
                      else "error")
            label = "cached: %s x%d%s" % (kname, count, " skip %d" % skip if skip else "")
            cur.execute("SELECT %s" % CLEAR_CACHE)
            run_trial(label, qname, "cached_", [dict(spec, count=count, skip=skip)], expect,
                      pattern, "cache: " + kname)
            # and again without faults: from the cache where it was kept
            mock_reset()
            cur.execute("DROP TABLE IF EXISTS trial")
            try:
                cur.execute("CREATE TABLE trial AS " + QUERIES[qname][0].format(s="cached_"))
                got = q1(MD5_ALL.format(t="trial"))
                if got != reference[qname]:
                    problem("wrong", "%s, then without faults on %s: %d rows; fault-free %d "
                            "(a bad response was cached)" % (label, qname, got[0],
                                                              reference[qname][0]))
            except psycopg2.Error as e:
                if is_crash(e):
                    problem("crashes", "%s, rerun: %s" % (label, str(e).strip()))
                    reconnect()
                else:
                    problem("wrong", "%s, then without faults on %s: error %s"
                            % (label, qname, str(e).strip().split("\n")[0]))
            figures["queries"] += 1
            cache_trials += 1
print("  %d trials (x2 queries) in %.0f s" % (cache_trials, time.monotonic() - t_part),
      flush=True)

# ---------------------------------------------------------------------------
# Part 3: hostile strings in quals
# ---------------------------------------------------------------------------
print("\npart 3: hostile strings in quals", flush=True)
t_part = time.monotonic()
HOSTILE = [
    "'", "''", '"', '""', "O'Brien", '"kernel"', "(", ")", ")(", "()", "((kernel))",
    "kernel) OR (ti:memory", 'kernel" OR "x', "\") OR (\"", "AND", "OR", "ANDNOT",
    "kernel AND memory", "kernel ANDNOT memory", "memory OR kernel", "kernel OR",
    "ti:kernel", "cat:cs.LG", "au:Kaiser", "id:2605.09735", "all:*", ":", "::", "cs.OS:",
    "%", "%%", "_", "\\%", "\\", "a\\", "&", "&id_list=2605.09735", "&start=0&max_results=1",
    "#", "#fragment", "?", "?search_query=all:x", "+", "%2B", "%22%29", "%28", "=", ";",
    "--", "/* */", "<script>", "]]>", "&amp;", "[2020 TO 2021]",
    "submittedDate:[202001010000 TO 202612312359]", "*", "cs.*", "{}", "|",
    "memory\nOR\nkernel", "a\nb", "\r\n", "\t", "kernel\tmemory", " kernel ",
    "\u200b", "\u202e)RO(\u202c", "\ufeff", "\ufffd", "\U0001F418", "e\u0301",
    "\u00a0kernel\u00a0", "\uff08\uff2f\uff32\uff09", "\uff02", "\x7f", "\x01", "\x1b[31m",
    "\u0141ukasz", "stra\u00dfe", "\u0130", "\u2028",
    # Unicode whitespace between words: a server splitting there sees operators
    "Kaiser\u00a0OR\u00a0Hall", "kernel\u3000ANDNOT\u3000memory", "x\u2028OR\u2028y",
    "\u3000", "memory\u2003AND\u2003kernel", "a\u0085OR\u0085b",
    "kernel " * 1429, "kernel memory " * 50 + "z" * 9300, "(" * 10240, '"' * 10240, ("a" * 99 + " ") * 100,
    "\U0001F418" * 2560,
]
# id values that embed a valid id: PostgreSQL says none of them is an id
HOSTILE_IDS = ["2605.09735,2603.11438", " 2605.09735", "2605.09735 ", "2605.09735\n",
               "2605.09735&id_list=2603.11438", "2605.09735#", "2605.09735)", "(2605.09735",
               "2605.09735 OR 2603.11438", "2605.09735%2C2603.11438", "2605.09735;",
               "id:2605.09735", "2605.09735v1,2603.11438", "2605.09735\u200b", "2605.O9735"]
OPS = ("AND", "OR", "ANDNOT")
FIELD_TERM = re.compile(r'^(ti|au|abs|co|jr|cat|rn|id|all):(.*)$', re.S)
DATE_TERM = re.compile(r'^submittedDate:\[\d{12} TO \d{12}\]$')


def tokens(q):
    """The top-level tokens of a search_query as a server sees them: '(',
    ')', operators and operands.  Whitespace is any Unicode whitespace (the
    mock splits with str.isspace, Lucene's classic parser on U+3000 too);
    quoted phrases and [date ranges] stay inside their operand."""
    out, cur_t, inq, inbr = [], "", False, False
    for ch in q:
        if inq:
            cur_t += ch
            if ch == '"':
                inq = False
        elif inbr:
            cur_t += ch
            if ch == "]":
                inbr = False
        elif ch == '"':
            cur_t += ch
            inq = True
        elif ch == "[":
            cur_t += ch
            inbr = True
        elif ch in "()":
            if cur_t:
                out.append(cur_t)
                cur_t = ""
            out.append(ch)
        elif ch.isspace():
            if cur_t:
                out.append(cur_t)
                cur_t = ""
        else:
            cur_t += ch
    if inq:
        return out, "unterminated quote"
    if inbr:
        return out, "unterminated ["
    if cur_t:
        out.append(cur_t)
    return out, None


def structure(q):
    """(operators outside quotes by depth, operands, error)"""
    toks, err = tokens(q)
    depth, ops, operands = 0, [], []
    for t in toks:
        if t == "(":
            depth += 1
        elif t == ")":
            depth -= 1
            if depth < 0:
                return ops, operands, "')' without '('"
        elif t in OPS:
            ops.append((depth, t))
        else:
            operands.append(t)
    if depth != 0:
        err = err or "unbalanced parentheses"
    return ops, operands, err


def check_term(t):
    """A generated operand: field:word, field:"words", a category, a date."""
    if DATE_TERM.match(t):
        return True
    m = FIELD_TERM.match(t)
    if not m:
        return False
    field, val = m.groups()
    if field == "cat":
        return re.match(r'^[A-Za-z-]+(\.[A-Za-z-]+)?(\*)?$', val) is not None
    if val.startswith('"'):
        if not (val.endswith('"') and len(val) >= 3 and '"' not in val[1:-1]):
            return False
        val = val[1:-1]
        words = val.split(" ")
    else:
        words = [val]
    # words are letters and digits (any non-ASCII character but whitespace
    # may count as a letter); a phrase's words are separated by one space
    return all(w and all(c.isalnum() or (ord(c) > 127 and not c.isspace()) for c in w)
               for w in words)


def fold(s):
    s = unicodedata.normalize("NFKD", s.casefold())
    return "".join(c for c in s if not unicodedata.combining(c))


def mock_choked(log):
    """The mock itself failed on the request (e.g. its parser's recursion
    limit on ~1000 terms): no status, no injected fault."""
    return any(r.get("status") is None and not r.get("fault") for r in log)


def run_hostile(label, sql, args, corpus_sql, corpus_args, extra_terms, raw=None,
                subset=False):
    """Runs sql; checks the request's structure: exactly extra_terms + 1
    operands joined by AND at top level besides the raw part; compares the
    ids with corpus_sql when given."""
    mock_reset()
    figures["queries"] += 1
    try:
        cur.execute(sql, args)
        got = sorted(r[0] for r in cur.fetchall())
        err = None
    except psycopg2.Error as e:
        got, err = None, e
    log = mock_log()
    if err is not None:
        if is_crash(err):
            problem("crashes", "%s: %s" % (label, str(err).strip()))
            reconnect()
            return "crash"
        msg = err.diag.message_primary or ""
        if mock_choked(log):
            figures["mock_limit"] += 1
            print("  (skipped: the mock failed on %s: %s)" % (label, msg))
            return "mock failed"
        if err.pgcode is None or err.pgcode.startswith("XX"):
            problem("unclear", "%s: SQLSTATE %s %s" % (label, err.pgcode, msg))
        if raw is None:
            # only a raw search may be refused; other values are just values,
            # unless PostgreSQL itself refuses them (a LIKE pattern ending
            # with the escape character) the same way on the local corpus
            same = False
            if corpus_sql is not None:
                try:
                    cur.execute(corpus_sql, corpus_args)
                    cur.fetchall()
                except psycopg2.Error as e2:
                    same = e2.pgcode == err.pgcode
            if not same:
                problem("hostile_wrong", "%s: error %s %s" % (label, err.pgcode, msg))
        return "error %s" % err.pgcode
    for rec in log:
        p = rec.get("params", {})
        if "id_list" in p:
            if not all(re.match(r'^([a-z-]+(\.[A-Z]{2})?/\d{7}|\d{4}\.\d{4,5})(v\d+)?$', i)
                       for i in p["id_list"].split(",")):
                problem("structure", "%s: id_list %r" % (label, p["id_list"][:200]))
        q = p.get("search_query")
        if q is None:
            continue
        if raw is not None:
            # the raw value is sent verbatim, parenthesised
            if "(" + raw + ")" not in q:
                problem("structure", "%s: the raw query is not sent as (value): %r"
                        % (label, q[:200]))
                continue
            q = q.replace("(" + raw + ")", "RAWPART", 1)
        ops, operands, serr = structure(q)
        bad = serr
        if not bad and any(o != "AND" for _, o in ops):
            bad = "operators %s" % [o for _, o in ops]
        if not bad and len(ops) != len(operands) - 1:
            bad = "%d operators for %d operands" % (len(ops), len(operands))
        if not bad:
            for t in operands:
                if t != "RAWPART" and not check_term(t):
                    bad = "operand %r" % t[:80]
                    break
        if not bad and raw is not None and "RAWPART" not in operands:
            bad = "no raw part"
        if bad:
            problem("structure", "%s: %s in %r" % (label, bad, q[:200]))
            break
    if corpus_sql is not None and subset:
        cur.execute(corpus_sql, corpus_args)
        allowed = set(r[0] for r in cur.fetchall())
        extra = sorted(set(got) - allowed)
        if extra:
            problem("hostile_wrong", "%s: %d of %d rows do not satisfy the other conditions "
                    "(e.g. %s)" % (label, len(extra), len(got), extra[:3]))
    elif corpus_sql is not None:
        cur.execute(corpus_sql, corpus_args)
        want = sorted(r[0] for r in cur.fetchall())
        if got != want:
            problem("hostile_wrong", "%s: %d rows, PostgreSQL semantics give %d (%s)"
                    % (label, len(got), len(want),
                       sorted(set(got) ^ set(want))[:5]))
    return "%d rows, %d request(s)" % (len(got), len(log))


def show(h):
    r = repr(h)
    return r if len(r) <= 40 else r[:30] + "...(%d chars)" % len(h)


COND = "category = 'cs.OS' AND published >= '2026-01-01'"
CCOND = "'cs.OS' = ANY (categories) AND published >= '2026-01-01'"
n_hostile = 0
if "3" not in PARTS:
    HOSTILE, HOSTILE_IDS = [], []
for h in HOSTILE:
    for pat in ("%" + h + "%", "%Memory " + h + "%", h):
        n_hostile += 1
        r = run_hostile("title ILIKE %s" % show(pat),
                        "SELECT id FROM papers WHERE %s AND title ILIKE %%s" % COND, (pat,),
                        "SELECT id FROM corpus WHERE %s AND title ILIKE %%s" % CCOND, (pat,), 2)
        if VERBOSE:
            print("  title ILIKE %-44s %s" % (show(pat), r))
    n_hostile += 1
    # author: arXiv's meaning; the structure is what matters, and no error
    r = run_hostile("author = %s" % show(h),
                    "SELECT id FROM papers WHERE author = %s AND category = 'cs.OS'", (h,),
                    "SELECT id FROM corpus WHERE 'cs.OS' = ANY (categories)", None, 1,
                    subset=True)
    if VERBOSE:
        print("  author = %-47s %s" % (show(h), r))
    n_hostile += 1
    r = run_hostile("category = %s" % show(h),
                    "SELECT id FROM papers WHERE category = %s AND published >= '2026-06-01'",
                    (h,), "SELECT id FROM corpus WHERE %s = ANY (categories) "
                    "AND published >= '2026-06-01'", (h,), 1)
    if VERBOSE:
        print("  category = %-45s %s" % (show(h), r))
for h in HOSTILE + HOSTILE_IDS:
    n_hostile += 1
    r = run_hostile("id = %s" % show(h), "SELECT id FROM papers WHERE id = %s", (h,),
                    "SELECT id FROM corpus WHERE id = %s", (h,), 0)
    if VERBOSE:
        print("  id = %-51s %s" % (show(h), r))
    n_hostile += 1
    r = run_hostile("id IN (x, %s)" % show(h),
                    "SELECT id FROM papers WHERE id IN ('2603.11438', %s)", (h,),
                    "SELECT id FROM corpus WHERE id IN ('2603.11438', %s)", (h,), 0)


def balanced(s):
    """arXiv's view: parentheses nest outside quotes, quotes pair up."""
    depth, inq = 0, False
    for ch in s:
        if ch == '"':
            inq = not inq
        elif not inq and ch == "(":
            depth += 1
        elif not inq and ch == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0 and not inq


search_refused = search_sent = 0
for h in HOSTILE + ["ti:kernel OR cat:cs.OS) AND (ti:x", "ti:kernel) OR (ti:x",
                    'ti:"kernel) OR (x"', "(ti:kernel", "ti:(kernel OR memory)",
                    "au:del_maestro ANDNOT (ti:checkerboard OR ti:pyrochlore)"]:
    n_hostile += 1
    mock_reset()
    figures["queries"] += 1
    label = "search = %s" % show(h)
    try:
        cur.execute("SELECT count(*) FROM papers WHERE search = %s AND category = 'cs.OS'", (h,))
        cur.fetchall()
        err = None
    except psycopg2.Error as e:
        err = e
    log = mock_log()
    if err is not None and is_crash(err):
        problem("crashes", "%s: %s" % (label, str(err).strip()))
        reconnect()
        continue
    if err is not None and mock_choked(log):
        figures["mock_limit"] += 1
        print("  (skipped: the mock failed on %s)" % label)
        continue
    if not balanced(h):
        search_refused += 1
        # must be refused before any request, with a clear error
        if err is None or log:
            problem("structure", "%s: an unbalanced search was %s" %
                    (label, "sent to arXiv" if log else "accepted"))
        elif err.pgcode.startswith("XX") or "invalid arXiv query" not in \
                (err.diag.message_primary or ""):
            problem("unclear", "%s: %s %s" % (label, err.pgcode, err.diag.message_primary))
        continue
    if err is not None:
        msg = "%s / %s" % (err.diag.message_primary or "", err.diag.message_detail or "")
        # refused locally (nothing to send) or by arXiv as invalid: both clear
        if err.pgcode.startswith("XX") or not re.search(
                r"invalid arXiv query|Invalid query string|arXiv answered with an error", msg):
            problem("unclear", "%s: %s %s" % (label, err.pgcode, msg))
        search_refused += 1
        continue
    search_sent += 1
    for rec in log:
        q = rec.get("params", {}).get("search_query", "")
        if "(" + h + ")" not in q and h.strip():
            # the value may be normalised (whitespace); its structure must stay
            inner = q[:-len(" AND cat:cs.OS")] if q.endswith(" AND cat:cs.OS") else None
            if inner is None or not (inner.startswith("(") and inner.endswith(")")) \
                    or not balanced(inner[1:-1]) or structure(inner)[2]:
                problem("structure", "%s: sent as %r" % (label, q[:200]))
                continue
        ops, operands, serr = structure(q.replace("(" + h + ")", "RAWPART", 1))
        top = [o for d, o in ops if d == 0]
        if serr or top != ["AND"]:
            problem("structure", "%s: top level %s %s in %r" % (label, top, serr or "", q[:200]))
print("  %d hostile queries in %.0f s (search: %d sent, %d refused)"
      % (n_hostile, time.monotonic() - t_part, search_sent, search_refused), flush=True)

# ---------------------------------------------------------------------------
# Part 4: faults on the OAI-PMH tables (oai.oai_papers, oai.oai_versions;
# server arxiv_oai: the mock's /oai, max_retries 2, timeout 2 s,
# max_response_bytes 4 MB; pages of OAI_PAGE records, so that lists have
# several pages and resumption tokens)
# ---------------------------------------------------------------------------
OAI_PAGE = 25
OAI_MAX_BYTES = 4194304
OAI_MSG = re.compile(r"^(could not harvest from arXiv's OAI-PMH interface|"
                     r"arXiv's OAI-PMH interface (answered with error \"\w+\"|"
                     r"keeps rejecting the resumption tokens of a list|"
                     r"refused to list its sets))$")
OAI_IDS = ["0706.1534", "0705.0002", "astro-ph/0103001", "2605.09735", "2603.11438", "2601.99999"]
OAI_QUERIES = {
    # 196 papers, 8 pages of 25 (plus ListSets once per session)
    "o_cat": "SELECT * FROM oai.oai_papers WHERE category = 'cs.OS' AND datestamp >= '2026-01-01'",
    # the versions of the same papers: 299 rows, 8 pages
    "o_ver": "SELECT * FROM oai.oai_versions WHERE category = 'cs.OS' AND datestamp >= '2026-01-01'",
    # two sets, one list each
    "o_in": "SELECT * FROM oai.oai_papers WHERE category IN ('cs.OS', 'cs.DC') "
            "AND datestamp >= '2026-06-01'",
    # a window of days without a set
    "o_win": "SELECT * FROM oai.oai_papers WHERE datestamp BETWEEN '2026-06-10' AND '2026-06-12'",
    # GetRecord per id (one id does not exist)
    "o_ids": "SELECT * FROM oai.oai_papers WHERE id IN (%s)" % ",".join("'%s'" % i for i in OAI_IDS),
    "o_vids": "SELECT * FROM oai.oai_versions WHERE id = ANY (%s)" % arr(OAI_IDS[:5]),
}


def oai_setup():
    mock_reset()
    mock("/oai/_mock/config", {"records_limit": OAI_PAGE})


def oai_body(code, reason="something is wrong"):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<OAI-PMH xmlns="http://www.openarchives.org/'
            'OAI/2.0/">\n<responseDate>2026-06-20T00:00:00Z</responseDate>\n<request verb='
            '\'ListRecords\'>http://oaipmh.arxiv.org/oai</request>\n<error code=\'%s\'>The request '
            'was refused. Reason: %s</error>\n</OAI-PMH>\n' % (code, reason))


oai_reference = {}
if "4" in PARTS or "5" in PARTS:
    print("\nOAI-PMH fault-free results (pages of %d records):" % OAI_PAGE, flush=True)
    for name, sql in OAI_QUERIES.items():
        oai_setup()
        cur.execute("DROP TABLE IF EXISTS oref_%s" % name)
        cur.execute("CREATE TABLE oref_%s AS %s" % (name, sql))
        figures["queries"] += 1
        log = mock_log()
        oai_reference[name] = q1(MD5_ALL.format(t="oref_" + name))
        verbs = {}
        for r in log:
            verbs[r.get("verb")] = verbs.get(r.get("verb"), 0) + 1
        print("  %-7s %4d rows, requests %s" % (name, oai_reference[name][0],
                                              ", ".join("%s %d" % kv for kv in sorted(verbs.items()))))
        if oai_reference[name][0] == 0 or any(r.get("status") != 200 for r in log):
            problem("ref_mismatch", "%s: %d rows, statuses %s" % (
                name, oai_reference[name][0], sorted(set(r.get("status") for r in log))))
    # the lists must have several pages, or "a later page" means nothing
    for name in ("o_cat", "o_ver", "o_win"):
        if oai_reference[name][0] <= 2 * OAI_PAGE:
            problem("ref_mismatch", "%s: only %d rows, not several pages" %
                    (name, oai_reference[name][0]))

# an Atom feed (the API's answer) and an HTML page, as bodies of a 200
ATOM_FEED = urllib.request.urlopen(MOCK + "/api/query?search_query=cat:cs.OS&max_results=2",
                                   timeout=30).read().decode() if "4" in PARTS else ""
HTML_PAGE = ("<html><head><title>arXiv</title></head><body><h1>Service Unavailable</h1>"
             "<p>Please try again later.</p></body></html>\n")
DOCTYPE_BODY = ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE OAI-PMH [\n'
                '<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">\n'
                '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n'
                '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">\n]>\n'
                '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>'
                '2026-06-20T00:00:00Z</responseDate><request verb="ListRecords">&c;</request>'
                '<ListRecords/></OAI-PMH>\n')
DOCTYPE_SYSTEM = ('<?xml version="1.0"?>\n<!DOCTYPE x SYSTEM "file:///etc/passwd">\n'
                  '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>'
                  '2026-06-20T00:00:00Z</responseDate><request>x</request><ListRecords/>'
                  '</OAI-PMH>\n')
GIANT_BODY = ('<?xml version="1.0" encoding="UTF-8"?>\n<OAI-PMH xmlns="http://www.openarchives.'
              'org/OAI/2.0/"><responseDate>2026-06-20T00:00:00Z</responseDate><request>x'
              '</request><ListRecords>' + "<!-- padding -->" * (OAI_MAX_BYTES // 16 + 4096) +
              '</ListRecords></OAI-PMH>\n') if "4" in PARTS else ""


def body200(body, ctype="text/xml"):
    return {"kind": "status", "status": 200, "body": body, "content_type": ctype}


HTTP_DETAIL = r"^The server answered with HTTP status %d\.$"
PARSE_DETAIL = r"^The response (is not well-formed XML|is XML, but not an OAI-PMH 2\.0 response)\.$"
# kind: (fault spec, behaviour, SQLSTATE, detail pattern, error message pattern or None)
# behaviour: RETRY, FAIL, OK, or "oai" (an OAI-PMH error: what it means
# depends on where it comes, see oai_expect)
OAI_FAULTS = [
    ("503 Retry-After 0 (CDN)", {"kind": "status", "status": 503, "retry_after": 0}, RETRY,
     "HV00N", HTTP_DETAIL % 503),
    ("503", {"kind": "status", "status": 503}, RETRY, "HV00N", HTTP_DETAIL % 503),
    ("503 Retry-After 1", {"kind": "status", "status": 503, "retry_after": 1}, RETRY, "HV00N",
     HTTP_DETAIL % 503),
    ("429", {"kind": "status", "status": 429}, RETRY, "HV00N", HTTP_DETAIL % 429),
    ("500", {"kind": "status", "status": 500}, RETRY, "HV00N", HTTP_DETAIL % 500),
    ("502", {"kind": "status", "status": 502}, RETRY, "HV00N", HTTP_DETAIL % 502),
    ("403", {"kind": "status", "status": 403}, RETRY, "HV00N", HTTP_DETAIL % 403),
    ("404", {"kind": "status", "status": 404}, FAIL, "HV00N", HTTP_DETAIL % 404),
    ("400", {"kind": "status", "status": 400}, FAIL, "HV00N", HTTP_DETAIL % 400),
    ("reset", {"kind": "reset"}, RETRY, "HV00N", r"connection to \S+ (failed|closed|was reset)"),
    ("slow 0.5 s (< timeout)", {"kind": "slow", "delay": 0.5}, OK, None, None),
    ("slow 4 s (> timeout)", {"kind": "slow", "delay": 4}, RETRY, "HV00N",
     r"no complete response from \S+ within 2 seconds"),
    ("truncated at half", {"kind": "truncated"}, RETRY, "HV00N",
     r"closed before the response was complete"),
    ("truncated at byte 0", {"kind": "truncated", "bytes": 0}, RETRY, "HV00N",
     r"closed before the response was complete"),
    ("truncated at byte 100", {"kind": "truncated", "bytes": 100}, RETRY, "HV00N",
     r"closed before the response was complete"),
    ("non_xml", {"kind": "non_xml"}, RETRY, "HV00M", r"^The response is not well-formed XML\.$"),
    ("blank", {"kind": "blank"}, RETRY, "HV00M", r"^The response body is empty\.$"),
    ("200 CDN HTML page", {"kind": "status", "status": 200}, RETRY, "HV00M", PARSE_DETAIL),
    ("200 HTML page", body200(HTML_PAGE, "text/html; charset=utf-8"), RETRY, "HV00M",
     PARSE_DETAIL),
    ("200 Atom feed", body200(ATOM_FEED, "application/atom+xml; charset=UTF-8"), RETRY,
     "HV00M", r"^The response is XML, but not an OAI-PMH 2\.0 response\.$"),
    ("200 DOCTYPE, entities", body200(DOCTYPE_BODY), RETRY, "HV00M",
     r"^The response has a DOCTYPE, which is refused\.$"),
    ("200 DOCTYPE SYSTEM", body200(DOCTYPE_SYSTEM), RETRY, "HV00M",
     r"^The response has a DOCTYPE, which is refused\.$"),
    ("200 > max_response_bytes", body200(GIANT_BODY), FAIL, "HV00M",
     r"^The response is larger than max_response_bytes \(%d\)\.$" % OAI_MAX_BYTES),
]
for code in ("badArgument", "badResumptionToken", "cannotDisseminateFormat", "idDoesNotExist",
             "noRecordsMatch", "badVerb"):
    OAI_FAULTS.append(("200 OAI error " + code, dict(body200(oai_body(code)), oai=code), "oai",
                       "HV00L" if code in ("badArgument", "cannotDisseminateFormat") else "HV000",
                       r"^arXiv said: The request was refused\. Reason: something is wrong$"))

FIRST, LATER, SECOND, GET, SETS = ("first page", "later page", "second list", "GetRecord",
                                   "ListSets")
# places: (query, where, match, skip, counts)
P_FULL = [("o_cat", FIRST, "verb=ListRecords", 0, (1, 3)),
          ("o_cat", LATER, "resumptionToken", 2, (1, 3)),
          ("o_ver", LATER, "resumptionToken", 5, (2,)),
          ("o_in", SECOND, "verb=ListRecords", 1, (1,)),
          ("o_win", LATER, "resumptionToken", 0, (1,)),
          ("o_ids", GET, "verb=GetRecord", 0, (1,)),
          ("o_vids", GET, "verb=GetRecord", 3, (3,)),
          ("o_cat", SETS, "verb=ListSets", 0, (1,))]
P_SHORT = [("o_cat", FIRST, "verb=ListRecords", 0, (3,)),
           ("o_ver", LATER, "resumptionToken", 3, (1,))]
P_TINY = [("o_ver", LATER, "resumptionToken", 3, (3,))]
P_ONCE = [("o_cat", FIRST, "verb=ListRecords", 0, (1,)),
          ("o_cat", LATER, "resumptionToken", 2, (1,)),
          ("o_ver", LATER, "resumptionToken", 6, (1,)),
          ("o_in", SECOND, "verb=ListRecords", 1, (1,)),
          ("o_win", FIRST, "verb=ListRecords", 0, (1,)),
          ("o_ids", GET, "verb=GetRecord", 2, (1,)),
          ("o_vids", GET, "verb=GetRecord", 0, (1,)),
          ("o_cat", SETS, "verb=ListSets", 0, (1,))]
P_SLOW = [("o_cat", LATER, "resumptionToken", 3, (1,)),
          ("o_ids", GET, "verb=GetRecord", 1, (3,))]
FULL_KINDS = ("503 Retry-After 0 (CDN)", "reset", "truncated at half")
SHORT_KINDS = ("non_xml", "blank", "200 CDN HTML page", "200 Atom feed", "200 DOCTYPE, entities")


def oai_places(kname, behaviour):
    if behaviour == OK:
        return P_ONCE[:2] + P_ONCE[5:6]
    if behaviour in (FAIL, "oai"):
        once = [p for p in P_ONCE if not (kname.endswith("noRecordsMatch") and p[0] == "o_in")]
        return once + ([("o_ver", FIRST, "verb=ListRecords", 0, (1,)),
                          ("o_cat", LATER, "resumptionToken", 2, (4,))]
                         if kname.endswith("badResumptionToken") else [])
    if kname.startswith("slow 4"):
        return P_SLOW
    if kname in FULL_KINDS:
        return P_FULL
    if kname in SHORT_KINDS:
        return P_SHORT
    return P_TINY


def oai_expect(behaviour, code, where, count):
    """('ok' | 'error' | 'either', what the rows must be: None = the
    reference, 'faulted id' = the reference without the paper the faulted
    GetRecord asked for, 'none' = no rows)."""
    if behaviour == OK:
        return "ok", None
    if behaviour == FAIL:
        return "error", None
    if behaviour == RETRY:
        return ("ok" if count <= MAX_RETRIES else "error"), None
    # an OAI-PMH error in a 200 body
    if where == SETS:
        return "error", None
    if code == "noRecordsMatch":
        if where == FIRST:
            return "ok", "none"             # arXiv says the (only) list is empty
        if where == GET:
            return "ok", "faulted id"
        # in answer to a resumption token: the list had records; its end
        # cannot be known, so an error, never the rows so far as if complete
        return "either", None
    if code == "idDoesNotExist" and where == GET:
        return "ok", "faulted id"           # that paper is not there: no row
    if code == "badResumptionToken" and where == LATER:
        # the list restarts from its last datestamp: all rows; rejected
        # again and again without progress it may fail instead
        return ("ok" if count == 1 else "either"), None
    return "error", None


def oai_trial(label, qname, spec, expect, rows, sqlstate, detail_pat, kind_key, sets=False):
    trial_no[0] += 1
    if sets:
        reconnect()         # a new session fetches ListSets
    oai_setup()
    mock_fault(spec)
    t0 = time.monotonic()
    err = None
    try:
        cur.execute("DROP TABLE IF EXISTS trial")
        cur.execute("CREATE TABLE trial AS " + OAI_QUERIES[qname])
        outcome = "ok"
    except psycopg2.Error as e:
        err, outcome = e, "error"
    elapsed = time.monotonic() - t0
    log = mock_log()
    injected = [r for r in log if r.get("fault")]
    figures["queries"] += 1
    figures["faults"] += len(injected)
    figures["oai_faults"] += len(injected)
    figures["oai_trials"] += 1
    k = per_kind.setdefault(kind_key, dict(trials=0, faults=0, ok=0, error=0, bad=0))
    k["trials"] += 1
    k["faults"] += len(injected)
    k[outcome] += 1
    bad_before = sum(figures[x] for x in ("wrong", "crashes", "unclear", "partial"))
    detail = ""
    if not injected:
        problem("ref_mismatch", "%s on %s: the fault was never injected" % (label, qname))
    if outcome == "ok":
        got = q1(MD5_ALL.format(t="trial"))
        want, what = oai_reference[qname], "fault-free"
        if rows == "none":
            want, what = (0, q1("SELECT md5('')")[0]), "no rows"
        elif rows == "faulted id":
            ident = injected[0]["params"].get("identifier", "") if injected else ""
            fid = ident[len("oai:arXiv.org:"):] if ident.startswith("oai:arXiv.org:") else ident
            want = q1("SELECT count(*), md5(coalesce(string_agg(x, E'\\n' ORDER BY x), '')) "
                      "FROM (SELECT t::text AS x FROM oref_%s t WHERE id <> %%s) s" % qname, (fid,))
            what = "fault-free without %s" % fid
        detail = "%d rows" % got[0]
        if got != want:
            problem("wrong", "%s on %s: %d rows, md5 %s; %s %d rows, md5 %s"
                    % (label, qname, got[0], got[1], what, want[0], want[1]))
        if expect == "error":
            figures["unexpected_ok"] += 1
            detail += " (expected an error)"
    elif is_crash(err):
        problem("crashes", "%s on %s: %s" % (label, qname, str(err).strip()))
        reconnect()
    else:
        msg = err.diag.message_primary or ""
        det = err.diag.message_detail or ""
        ctx = err.diag.context or ""
        detail = "%s %s / %s" % (err.pgcode, msg, det)
        if err.pgcode is None or err.pgcode.startswith("XX"):
            problem("unclear", "%s on %s: SQLSTATE %s: %s" % (label, qname, err.pgcode, msg))
        elif not OAI_MSG.match(msg):
            problem("unclear", "%s on %s: message %r does not name the problem"
                    % (label, qname, msg))
        elif "keeps rejecting" in msg:
            if "badResumptionToken" not in kind_key:
                problem("unclear", "%s on %s: %r" % (label, qname, msg))
        elif "refused to list its sets" in msg:
            if "OAI error" not in kind_key:
                problem("unclear", "%s on %s: %r" % (label, qname, msg))
        elif (sqlstate and err.pgcode != sqlstate) or \
                (detail_pat and not re.search(detail_pat, det)):
            problem("unclear", "%s on %s: SQLSTATE %s, detail %r (expected %s, %s)"
                    % (label, qname, err.pgcode, det, sqlstate, detail_pat))
        if "request http://127.0.0.1:" not in ctx:
            problem("unclear", "%s on %s: the context does not name the request: %r"
                    % (label, qname, ctx))
        if q1("SELECT to_regclass('trial') IS NOT NULL")[0]:
            problem("partial", "%s on %s: the table exists after the error" % (label, qname))
        if expect == "ok":
            figures["unexpected_fail"] += 1
            problems.append("unexpected_fail: %s on %s: %s" % (label, qname, detail))
            print("  !! unexpected failure: %s on %s: %s" % (label, qname, detail))
    if sum(figures[x] for x in ("wrong", "crashes", "unclear", "partial")) > bad_before:
        k["bad"] += 1
    if VERBOSE:
        print("  %-40s %-6s %-6s %d fault(s) %5.2fs %s" % (label, qname, outcome, len(injected),
                                                           elapsed, detail[:110]), flush=True)


print("\npart 4: faults on the OAI-PMH tables (max_retries %d, timeout 2 s, pages of %d)"
      % (MAX_RETRIES, OAI_PAGE), flush=True)
t_part = time.monotonic()
trials_before = trial_no[0]
for kname, spec, behaviour, sqlstate, detail_pat in (OAI_FAULTS if "4" in PARTS else []):
    code = spec.get("oai")
    spec = {k: v for k, v in spec.items() if k != "oai"}
    for qname, where, match, skip, counts in oai_places(kname, behaviour):
        for count in counts:
            expect, rows = oai_expect(behaviour, code, where, count)
            label = "oai %s x%d, %s%s" % (kname, count, where, " skip %d" % skip if skip else "")
            oai_trial(label, qname, dict(spec, match=match, skip=skip, count=count), expect, rows,
                      sqlstate, detail_pat, "oai: " + kname, sets=(where == SETS))
print("  %d trials in %.0f s" % (trial_no[0] - trials_before, time.monotonic() - t_part),
      flush=True)

# ---------------------------------------------------------------------------
# Part 5: hostile strings in the OAI-PMH tables' category and id values.
# A category is never sent (its set comes from ListSets), an id only as
# identifier=oai:arXiv.org:ID when it is an arXiv id: every request must
# have exactly the parameters of its verb, each value one of the query's
# own; the rows must be what PostgreSQL semantics require.
# ---------------------------------------------------------------------------
print("\npart 5: hostile strings in the OAI-PMH tables' category and id", flush=True)
t_part = time.monotonic()
OAI_PARAMS = {"ListSets": {"verb"}, "GetRecord": {"verb", "identifier", "metadataPrefix"},
              "ListRecords": {"verb", "metadataPrefix", "from", "until", "set"}}
OAI_ID_RE = re.compile(r"^oai:arXiv\.org:([a-z-]+(\.[A-Z]{2})?/\d{7}|\d{4}\.\d{4,5})$")
OAI_HOSTILE = [
    "'", "''", '"', "O'Brien", "&", "&&", "=", "==", "%", "%%", "%25", "%26", "%3D", "%2B", "+",
    "#", "?", ";", "/", "\\", "cs.OS&set=cs:cs:DC", "cs.OS&verb=ListSets", "&verb=GetRecord",
    "cs.OS&metadataPrefix=oai_dc", "cs:cs:OS", "cs:cs:OS&from=2005-09-16", "set=cs:cs:OS",
    "identifier=oai:arXiv.org:0706.1534", "0706.1534&verb=ListRecords&set=cs",
    "0706.1534&metadataPrefix=oai_dc", "oai:arXiv.org:0706.1534", "0706.1534%26x=1",
    "0706.1534\n", "0706.1534\r\nX-Injected: 1", "cs.OS\nverb=ListSets", "\r\n\r\n", "\t",
    " cs.OS", "cs.OS ", "CS.OS", "cs.os", "cs.*", "cs.%", "cs._S", "cs", "physics:hep-th",
    "%C3%28", "%FF%FE", "%C0%AF", "%E2%80%AE", "%00", "\\x00", "\\xff\\xfe", "\\u0000",
    "\u00e9", "e\u0301", "\u202e", "\ufffd", "\U0001F418", "\u200b", "\uff03", "\x7f", "\x01",
    "<script>", "]]>", "&amp;", "&lt;", "&#39;", "<error code='badArgument'/>",
    "resumptionToken=x", "x" * 10000, "&" * 3000, "%" * 3000, "'" * 2000, "\U0001F418" * 2000,
    ("cs.OS&" * 500),
]
OAI_HOSTILE_IDS = ["0706.1534", "astro-ph/0103001", "0706.1534v1", "0706.1534V2", "0706.15340",
                   "0706.153", "ASTRO-PH/0103001", "astro-ph/0103001v1", "0706.1534,0705.0002",
                   "0706.1534 ", " 0706.1534", "0706.1534&identifier=oai:arXiv.org:0705.0002",
                   "0706.1534%26verb%3DListSets", "0706.1534#x", "0706.1534?x", "0706.1534/",
                   "astro-ph/0103001/../9201002", "astro-ph%2F0103001", "0706\uff0e1534", "\u0660\u0667\u0660\u0666.1534", "0706.1534\u200b"]


def oai_hostile(label, sql, args, values, local_sql, local_args):
    """values: the strings that may appear (as ids) in an identifier."""
    # the mock's log since the last reset, without a reset per query (a
    # reset drops the mock's list cache, and rebuilding it costs 0.1 s)
    if hostile_log[0] > 200:
        mock_reset()
        hostile_log[0] = 0
    figures["queries"] += 1
    figures["oai_hostile"] += 1
    t0 = time.monotonic()
    try:
        cur.execute(sql, args)
        got = sorted(r[0] for r in cur.fetchall())
        err = None
    except psycopg2.Error as e:
        got, err = None, e
    log = mock_log()
    log, hostile_log[0] = log[hostile_log[0]:], len(log)
    if err is not None:
        if is_crash(err):
            problem("crashes", "%s: %s" % (label, str(err).strip()))
            reconnect()
            return "crash"
        msg = err.diag.message_primary or ""
        # PostgreSQL's own refusals are fine if the same happens locally
        same = False
        try:
            cur.execute(local_sql, local_args)
            cur.fetchall()
        except psycopg2.Error as e2:
            same = e2.pgcode == err.pgcode
        if err.pgcode is None or err.pgcode.startswith("XX"):
            problem("unclear", "%s: SQLSTATE %s %s" % (label, err.pgcode, msg))
        elif not same:
            problem("hostile_wrong", "%s: error %s %s" % (label, err.pgcode, msg))
        return "error %s" % err.pgcode
    for rec in log:
        p = rec.get("params", {})
        verb = p.get("verb")
        allowed = OAI_PARAMS.get(verb)
        bad = None
        if allowed is None:
            bad = "verb %r" % verb
        elif not set(p) <= allowed:
            bad = "parameters %s" % sorted(set(p) - allowed)
        elif p.get("metadataPrefix", "arXivRaw") != "arXivRaw":
            bad = "metadataPrefix %r" % p["metadataPrefix"]
        elif "set" in p and not re.match(r"^[a-z-]+(:[a-z-]+)?(:[A-Za-z-]+)?$", p["set"]):
            bad = "set %r" % p["set"]
        elif any(k in p and not re.match(r"^\d{4}-\d\d-\d\d$", p[k]) for k in ("from", "until")):
            bad = "from/until %r %r" % (p.get("from"), p.get("until"))
        elif "identifier" in p and (not OAI_ID_RE.match(p["identifier"]) or
                                    p["identifier"][len("oai:arXiv.org:"):] not in values):
            bad = "identifier %r" % p["identifier"][:100]
        elif rec.get("error") == "badArgument":
            bad = "the mock answered badArgument"
        if bad:
            problem("structure", "%s: %s request: %s" % (label, verb, bad))
            break
    cur.execute(local_sql, local_args)
    want = sorted(r[0] for r in cur.fetchall())
    if got != want:
        problem("hostile_wrong", "%s: %d rows, PostgreSQL semantics give %d (%s)"
                % (label, len(got), len(want), sorted(set(got) ^ set(want))[:5]))
    return "%d rows, %d request(s), %.2f s" % (len(got), len(log), time.monotonic() - t0)


n_oai_hostile = 0
hostile_log = [0]
if "5" in PARTS:
    WIN = "datestamp BETWEEN '2026-06-10' AND '2026-06-12'"
    mock_reset()
    cur.execute("DROP TABLE IF EXISTS oai_win")
    cur.execute("CREATE TABLE oai_win AS SELECT id, categories FROM oai.oai_papers WHERE " + WIN)
    cur.execute("DROP TABLE IF EXISTS oai_known")
    cur.execute("CREATE TABLE oai_known AS SELECT id FROM oai.oai_papers WHERE id = ANY (%s)",
                (["0706.1534", "0705.0002", "astro-ph/0103001"],))
    if q1("SELECT count(*) FROM oai_known")[0] != 3:
        problem("ref_mismatch", "oai: the three known ids do not all exist")
    hostile_log[0] = len(mock_log())
    for h in (OAI_HOSTILE if "5" in PARTS else []):
        n_oai_hostile += 1
        r = oai_hostile("oai category = %s" % show(h),
                        "SELECT id FROM oai.oai_papers WHERE category = %%s AND %s" % WIN, (h,),
                        (), "SELECT id FROM oai_win WHERE %s = ANY (categories)", (h,))
        if VERBOSE:
            print("  oai category = %-41s %s" % (show(h), r))
        n_oai_hostile += 1
        r = oai_hostile("oai category IN (cs.OS, %s)" % show(h),
                        "SELECT id FROM oai.oai_versions WHERE category IN ('cs.OS', %%s) AND %s "
                        "AND version = 1" % WIN, (h,), (),
                        "SELECT id FROM oai_win WHERE categories && ARRAY['cs.OS', %s]", (h,))
        if VERBOSE:
            print("  oai category IN (cs.OS, %-31s %s" % (show(h) + ")", r))
    for h in OAI_HOSTILE + OAI_HOSTILE_IDS:
        n_oai_hostile += 1
        r = oai_hostile("oai id = %s" % show(h), "SELECT id FROM oai.oai_papers WHERE id = %s",
                        (h,), (h,), "SELECT id FROM oai_known WHERE id = %s", (h,))
        if VERBOSE:
            print("  oai id = %-47s %s" % (show(h), r))
        n_oai_hostile += 1
        r = oai_hostile("oai id IN (x, %s)" % show(h),
                        "SELECT id FROM oai.oai_versions WHERE id = ANY (ARRAY['0705.0002', %s]) "
                        "AND version = 1", (h,), ("0705.0002", h),
                        "SELECT id FROM oai_known WHERE id IN ('0705.0002', %s)", (h,))
        if VERBOSE:
            print("  oai id IN (x, %-42s %s" % (show(h) + ")", r))
print("  %d hostile queries in %.0f s" % (n_oai_hostile, time.monotonic() - t_part), flush=True)

# ---------------------------------------------------------------------------
# Part 6: interrupted OAI-PMH harvests resume (arxiv_fdw.resume_harvests).
# Randomized trials with a fixed seed (RESUME_SEED, RESUME_TRIALS): a list
# (category and/or datestamp window, oai_papers or oai_versions) and a page
# size are drawn; the harvest is interrupted at a random page (503s beyond
# max_retries, truncated bodies beyond max_retries, statement_timeout or
# pg_cancel_backend during a slow page); a few papers are touched (their
# datestamp moves forward, to now or to a day after the corpus, as arXiv's
# does), some of them on journaled pages, some on pages not yet fetched;
# sometimes the resumed scan is interrupted again (and papers touched
# again); then the list is resumed to its end.  Its rows must equal, row by
# row and column by column, those of an uninterrupted scan taken right
# after (resume_harvests off), the journal directory must be empty, and the
# resumed scan may not make more requests than the uninterrupted one.  The
# mock is reset only at the start of a trial: a reset would move touched
# papers' datestamps backward, which arXiv never does.
# Then a cache trial per OAI-PMH table: create_cache failing mid-harvest
# (nothing created), again (it resumes), a full refresh failing mid-harvest
# (the cache unchanged), again (it resumes); each time the cache must equal
# the foreign table's rows.
# ---------------------------------------------------------------------------
import random
import threading

RESUME_SEED = int(os.environ.get("RESUME_SEED", "6"))
RESUME_TRIALS = int(os.environ.get("RESUME_TRIALS", "30"))
RESUME_LISTS = [
    # (table, conditions, the papers of the corpus that a touch can bring
    # into the list, the category of new papers); the lists with an "until" are those a touch (to now,
    # or to a day after the corpus) moves papers out of
    ("oai_papers", "category = 'cs.OS' AND datestamp >= '2026-01-01'", "'cs.OS' = ANY (categories)",
     "cs.OS"),
    ("oai_versions", "category = 'cs.OS' AND datestamp >= '2026-01-01'", "'cs.OS' = ANY (categories)",
     "cs.OS"),
    ("oai_papers", "category IN ('cs.OS', 'cs.DC') AND datestamp >= '2026-05-01'",
     "categories && '{cs.OS,cs.DC}'", "cs.DC"),
    ("oai_papers", "datestamp >= '2026-06-16'", "true", "math.AP"),
    ("oai_versions", "category = 'cs.CR' AND datestamp >= '2026-03-01'", "'cs.CR' = ANY (categories)",
     "cs.CR"),
    ("oai_papers", "category = 'hep-th' AND datestamp >= '2026-04-01'", "'hep-th' = ANY (categories)",
     "hep-th"),
    ("oai_papers", "datestamp BETWEEN '2026-06-10' AND '2026-06-12'", "true", "cs.OS"),
    ("oai_versions", "category = 'quant-ph' AND datestamp BETWEEN '2026-05-01' AND '2026-05-31'",
     "'quant-ph' = ANY (categories)", "quant-ph"),
]
RESUME_PAGES = [10, 20, 25, 40]
RESUME_HOW = ["503", "truncated", "timeout", "cancel"]
resume = dict(trials=0, interruptions=0, missed=0, journaled=0, touched=0, wrong=0,
              leftover=0, more_requests=0, failed=0, full_requests=0, resumed_requests=0,
              cache_trials=0, cache_wrong=0)


def resume_problem(kind, text):
    """kind: wrong (counted in the wrong results too), leftover, more_requests"""
    resume[kind] += 1
    problem({"wrong": "wrong", "leftover": "resume_leftover",
             "more_requests": "resume_requests"}[kind], "resume: " + text)


def journal_files():
    """{journal: number of page files} under arxiv_fdw/oai_journal."""
    out = {}
    for (d,) in qall("SELECT d FROM pg_ls_dir('arxiv_fdw/oai_journal', true, false) d"):
        out[d] = q1("SELECT count(*) FROM pg_ls_dir(%s, true, false) f WHERE f LIKE '%%.xml'",
                    ("arxiv_fdw/oai_journal/" + d,))[0]
    return out


def qall(sql, args=None):
    cur.execute(sql, args)
    return cur.fetchall()


def rows_of(sql):
    """The rows of a query as a sorted list of their text forms."""
    return sorted(r[0] for r in qall("SELECT t::text FROM (%s) t" % sql))


def listrecords_since(n):
    return [r for r in mock_log()[n:] if r.get("verb") == "ListRecords"]


def interrupt(sql, how, skip, per_page):
    """Runs sql with resume_harvests on, interrupted by how at the
    ListRecords request skip + 1; True if it failed as meant."""
    match = "verb=ListRecords"
    timer = None
    if how == "503":
        mock_fault({"kind": "status", "status": 503, "retry_after": 0, "match": match,
                    "skip": skip, "count": MAX_RETRIES + 1})
    elif how == "truncated":
        mock_fault({"kind": "truncated", "match": match, "skip": skip,
                    "count": MAX_RETRIES + 1})
    elif how == "timeout":
        # every page from there on is slow: the timeout falls in one of them
        mock_fault({"kind": "slow", "delay": 1.5, "match": match, "skip": skip, "count": 0})
        cur.execute("SET statement_timeout = %d" % int(1000 * (skip * per_page + 0.8)))
    else:
        mock_fault({"kind": "slow", "delay": 1.5, "match": match, "skip": skip, "count": 1})
        pid = q1("SELECT pg_backend_pid()")[0]

        def canceller():
            c2 = connect(DB, application_name="fault-campaign-cancel")
            try:
                deadline = time.monotonic() + 60
                while mock("/_mock/fault") and time.monotonic() < deadline:
                    time.sleep(0.02)
                time.sleep(0.4)     # inside the slow page (or the scan is over)
                c2.cursor().execute("SELECT pg_cancel_backend(%s)", (pid,))
            finally:
                c2.close()
        timer = threading.Thread(target=canceller)
        timer.start()
    failed = None
    try:
        cur.execute(sql)
        cur.fetchall()
    except psycopg2.Error as e:
        failed = e
    if timer is not None:
        timer.join()
    cur.execute("SET statement_timeout = 0")
    mock_clear_faults()
    if failed is not None and is_crash(failed):
        problem("crashes", "resume: %s: %s" % (how, str(failed).strip()))
        reconnect()
        cur.execute("SET arxiv_fdw.resume_harvests = on")
    return failed is not None


def touch_some(rng, ref_ids, journaled_records, label, outsiders=(), category="cs.OS"):
    """Changes a few papers: touches 1-4 of the list, from the part already
    fetched and from the rest, and sometimes one outside it (which the touch
    may bring in); sometimes a new version of one of the list, a new paper
    of its category.  Every change is dated now, as on arXiv: a change made
    after a page was fetched carries a datestamp of that day or later, which
    is what a resumed scan relies on to tell a journaled paper changed since
    (a touch dated 2026-06-2x, after the corpus but before today, would be a
    change arXiv cannot make)."""
    n = rng.randint(1, 4)
    early = ref_ids[:journaled_records] or ref_ids
    late = ref_ids[journaled_records:] or ref_ids
    picks = [rng.choice(early)] + [rng.choice(late if i % 2 == 0 else ref_ids)
                                    for i in range(n - 1)]
    if outsiders and rng.random() < 0.5:
        picks.append(rng.choice(outsiders))
    for pid in picks:
        spec = {"id": pid, "doi": "10.9999/%s.%d" % (label, rng.randint(0, 10 ** 6))}
        if rng.random() < 0.3:
            spec["license"] = "http://creativecommons.org/licenses/by/4.0/"
        mock("/oai/_mock/touch", spec)
    resume["touched"] += len(picks)
    done = list(picks)
    if rng.random() < 0.3:
        pid = rng.choice(ref_ids)
        mock("/_mock/corpus", {"new_version": [{"id": pid, "comment": "revised " + label}]})
        done.append("v:" + pid)
        resume["touched"] += 1
    if rng.random() < 0.3:
        r = mock("/_mock/corpus", {"add_new": 1, "categories": [category]})
        done.append("new:" + ",".join(r.get("ids", [])))
        resume["touched"] += 1
    return done


def ordered_ids(table, where):
    """The list's ids in harvest order (datestamp, then id), once each."""
    seen, out = set(), []
    for (pid,) in qall("SELECT id FROM oai.%s WHERE %s ORDER BY datestamp, id" % (table, where)):
        if pid not in seen:
            seen.add(pid)
            out.append(pid)
    return out


def resume_trial(rng, n):
    table, where, corpus_where, category = rng.choice(RESUME_LISTS)
    page = rng.choice(RESUME_PAGES)
    sql = "SELECT * FROM oai.%s WHERE %s" % (table, where)
    mock_reset(corpus=True)
    mock("/oai/_mock/config", {"records_limit": page})
    cur.execute("SET arxiv_fdw.resume_harvests = off")
    n0 = len(mock_log())
    t0 = time.monotonic()
    ids = ordered_ids(table, where)
    full_pages = len(listrecords_since(n0))
    per_page = (time.monotonic() - t0) / max(full_pages, 1)
    idset = set(ids)
    outsiders = sorted(r[0] for r in qall("SELECT id FROM corpus WHERE " + corpus_where)
                       if r[0] not in idset)
    resume["trials"] += 1
    label = "resume %d: %s WHERE %s, pages of %d (%d pages)" % (n, table, where, page, full_pages)
    if journal_files():
        resume_problem("leftover", "%s: journals before the trial: %s" % (label, journal_files()))
    cur.execute("SET arxiv_fdw.resume_harvests = on")
    steps = []
    # first interruption: any page, mostly not the first
    how = rng.choice(RESUME_HOW)
    skip = rng.randint(0, max(full_pages - 1, 0)) if rng.random() < 0.15 else \
        rng.randint(1, max(full_pages - 1, 1))
    n1 = len(mock_log())
    hit = interrupt(sql, how, skip, per_page)
    got_pages = len([r for r in listrecords_since(n1) if not r.get("fault")])
    resume["interruptions"] += hit
    resume["missed"] += not hit
    jf = journal_files()
    resume["journaled"] += sum(jf.values())
    steps.append("%s at page %d: %s, %d journaled" % (how, skip + 1, "interrupted" if hit else
                                                       "finished", sum(jf.values())))
    if not hit and jf:
        resume_problem("leftover", "%s: a complete harvest left journals %s" % (label, jf))
    if rng.random() < 0.8:
        picks = touch_some(rng, ids, got_pages * page, "t%d" % n, outsiders, category)
        steps.append("touched %s" % ",".join(picks))
    # sometimes the resumed scan is interrupted too
    if hit and rng.random() < 0.35:
        how2 = rng.choice(RESUME_HOW)
        skip2 = rng.randint(0, 2)
        hit2 = interrupt(sql, how2, skip2, per_page)
        resume["interruptions"] += hit2
        resume["missed"] += not hit2
        jf2 = journal_files()
        steps.append("then %s at page %d: %s, %d journaled" % (how2, skip2 + 1, "interrupted" if hit2
                                                               else "finished", sum(jf2.values())))
        if rng.random() < 0.6:
            picks = touch_some(rng, ids, got_pages * page, "u%d" % n, outsiders, category)
            steps.append("touched %s" % ",".join(picks))
    if rng.random() < 0.3:
        # another session of the same role resumes (and fetches ListSets)
        reconnect()
        cur.execute("SET arxiv_fdw.resume_harvests = on")
        steps.append("new session")
    n2 = len(mock_log())
    try:
        resumed = rows_of(sql)
    except psycopg2.Error as e:
        if is_crash(e):
            problem("crashes", "%s: %s" % (label, str(e).strip()))
            reconnect()
        resume["failed"] += 1
        problem("unexpected_fail", "%s: the resumed scan failed: %s [%s]"
                % (label, str(e).strip(), "; ".join(steps)))
        cur.execute("SET arxiv_fdw.resume_harvests = on")
        rows_of(sql)        # let a good scan remove the journal
        return
    resumed_requests = len(listrecords_since(n2))
    leftover = journal_files()
    cur.execute("SET arxiv_fdw.resume_harvests = off")
    n3 = len(mock_log())
    fresh = rows_of(sql)
    fresh_requests = len(listrecords_since(n3))
    resume["full_requests"] += fresh_requests
    resume["resumed_requests"] += resumed_requests
    bad = []
    if resumed != fresh:
        a, b = set(resumed), set(fresh)
        bad.append("%d rows, uninterrupted %d; only resumed: %s; only uninterrupted: %s"
                   % (len(resumed), len(fresh),
                      [x[:60] for x in sorted(a - b)][:4], [x[:60] for x in sorted(b - a)][:4]))
        if len(set(resumed)) != len(resumed):
            bad.append("duplicate rows")
        resume_problem("wrong", "%s: %s [%s]" % (label, "; ".join(bad), "; ".join(steps)))
    if leftover:
        resume_problem("leftover", "%s: journals left after the resumed scan: %s" % (label, leftover))
    if resumed_requests > fresh_requests:
        resume_problem("more_requests", "%s: the resumed scan made %d ListRecords requests, an "
                       "uninterrupted one %d [%s]" % (label, resumed_requests, fresh_requests,
                                                       "; ".join(steps)))
    if VERBOSE or bad:
        print("  %-100s %s; resumed %d rows in %d requests, uninterrupted %d in %d"
              % (label, "; ".join(steps), len(resumed), resumed_requests, len(fresh),
                 fresh_requests), flush=True)


def cache_snapshot(name, cols):
    return sorted(r[0] for r in qall("SELECT ROW(%s)::text FROM %s" % (cols, name)))


def cache_trial(table):
    """create_cache / refresh_cache of an OAI-PMH table failing mid-harvest,
    then resuming."""
    where = "category = 'cs.OS' AND datestamp >= '2026-01-01'"
    name = "resume_cache_" + table
    cols = q1("SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute "
              "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped "
              "AND attname <> 'category'",       # a filter: not a column of the cache
              ("oai." + table,))[0]
    src = "SELECT %s FROM oai.%s WHERE %s" % (cols, table, where)
    label = "resume cache of %s" % table
    ext = q1("SELECT extnamespace::regnamespace::text FROM pg_extension "
             "WHERE extname = 'arxiv_fdw'")[0]
    resume["cache_trials"] += 1
    mock_reset(corpus=True)
    mock("/oai/_mock/config", {"records_limit": 25})
    cur.execute("SET arxiv_fdw.resume_harvests = off")
    if q1("SELECT to_regclass(%s) IS NOT NULL", (name,))[0]:
        cur.execute("SELECT %s.drop_cache(%%s)" % ext, (name,))
    ids = ordered_ids(table, where)
    n0 = len(mock_log())
    fresh = sorted(r[0] for r in qall("SELECT ROW(%s)::text FROM (%s) t" % (cols, src)))
    full_requests = len(listrecords_since(n0))

    def failing(call, skip):
        mock_fault({"kind": "status", "status": 503, "retry_after": 0,
                    "match": "verb=ListRecords", "skip": skip, "count": MAX_RETRIES + 1})
        try:
            cur.execute(call, (name,))
            ok = True
        except psycopg2.Error as e:
            ok = False
            if is_crash(e):
                problem("crashes", "%s: %s" % (label, str(e).strip()))
                reconnect()
        mock_clear_faults()
        return ok

    def check(what, want):
        got = cache_snapshot(name, cols)
        if got != want:
            a, b = set(got), set(want)
            resume["cache_wrong"] += 1
            resume["wrong"] += 1
            problem("wrong", "%s, %s: %d rows, expected %d; only in the cache: %s; missing: %s"
                    % (label, what, len(got), len(want), [x[:60] for x in sorted(a - b)][:4],
                       [x[:60] for x in sorted(b - a)][:4]))

    create = "SELECT %s.create_cache(%%s, 'oai.%s', $$%s$$)" % (ext, table, where)
    refresh = "SELECT * FROM %s.refresh_cache(%%s, true)" % ext
    if failing(create, 3):
        problem("wrong", "%s: create_cache succeeded despite the faults" % label)
    if q1("SELECT to_regclass(%s) IS NOT NULL", (name,))[0]:
        problem("partial", "%s: the cache exists after a failed create_cache" % label)
    journaled = sum(journal_files().values())
    picks = touch_some(random.Random(1), ids, 3 * 25, "c1")
    n1 = len(mock_log())
    cur.execute(create, (name,))
    created_requests = len(listrecords_since(n1))
    fresh = sorted(r[0] for r in qall("SELECT ROW(%s)::text FROM (%s) t" % (cols, src)))
    check("created after an interrupted create", fresh)
    before = cache_snapshot(name, cols)
    touch_some(random.Random(2), ids, 4 * 25, "c2")
    if failing(refresh, 4):
        problem("wrong", "%s: refresh_cache succeeded despite the faults" % label)
    check("after a failed full refresh", before)
    touch_some(random.Random(3), ids, 2 * 25, "c3")
    n2 = len(mock_log())
    cur.execute(refresh, (name,))
    refreshed_requests = len(listrecords_since(n2))
    fresh = sorted(r[0] for r in qall("SELECT ROW(%s)::text FROM (%s) t" % (cols, src)))
    check("refreshed after an interrupted refresh", fresh)
    if journal_files():
        resume_problem("leftover", "%s: journals left: %s" % (label, journal_files()))
    for what, n in (("create", created_requests), ("refresh", refreshed_requests)):
        if n >= full_requests:
            resume_problem("more_requests", "%s: the resumed %s made %d ListRecords requests, a "
                           "full harvest %d" % (label, what, n, full_requests))
    resume["full_requests"] += 2 * full_requests
    resume["resumed_requests"] += created_requests + refreshed_requests
    print("  %s: %d journaled pages, resumed create %d requests, resumed full refresh %d, "
          "a full harvest %d" % (label, journaled, created_requests, refreshed_requests,
                                 full_requests), flush=True)
    cur.execute("SELECT %s.drop_cache(%%s)" % ext, (name,))


if "6" in PARTS:
    print("\npart 6: interrupted OAI-PMH harvests resume (seed %d, %d trials)"
          % (RESUME_SEED, RESUME_TRIALS), flush=True)
    t_part = time.monotonic()
    rng = random.Random(RESUME_SEED)
    for n in range(1, RESUME_TRIALS + 1):
        resume_trial(rng, n)
    for table in ("oai_papers", "oai_versions"):
        cache_trial(table)
    cur.execute("RESET arxiv_fdw.resume_harvests")
    mock_reset(corpus=True)
    print("  %d trials, %d interruptions (%d missed: the scan finished first), %d pages "
          "journaled, %d papers changed, in %.0f s"
          % (resume["trials"], resume["interruptions"], resume["missed"], resume["journaled"],
             resume["touched"], time.monotonic() - t_part), flush=True)

# ---------------------------------------------------------------------------
# Crashes
# ---------------------------------------------------------------------------
try:
    now_start = q1("SELECT pg_postmaster_start_time()")[0]
except psycopg2.Error:
    reconnect()
    now_start = q1("SELECT pg_postmaster_start_time()")[0]
if now_start != start_time:
    problem("crashes", "the postmaster restarted (%s -> %s)" % (start_time, now_start))
with open(PMLOG, errors="replace") as f:
    f.seek(log_offset)
    for line in f:
        if "terminated by signal" in line or "was terminated" in line or "PANIC" in line:
            problem("crashes", "server log: " + line.strip())

# ---------------------------------------------------------------------------
print("\nper fault kind (parts 1, 2 and 4):")
print("  %-34s %6s %6s %6s %6s %5s" % ("fault", "trials", "faults", "ok", "error", "bad"))
for kname, k in per_kind.items():
    print("  %-34s %6d %6d %6d %6d %5d" % (kname, k["trials"], k["faults"], k["ok"], k["error"],
                                          k["bad"]))
print()
print("faults injected          %6d" % figures["faults"])
print("faults injected on OAI-PMH %5d  (in %d queries of oai_papers / oai_versions)"
      % (figures["oai_faults"], figures["oai_trials"]))
print("queries run              %6d" % figures["queries"])
print("wrong results            %6d" % figures["wrong"])
print("crashes                  %6d" % figures["crashes"])
print("unclear errors           %6d" % figures["unclear"])
print("partial rows after error %6d" % figures["partial"])
print("unexpected failures      %6d  (recoverable fault count, yet an error)"
      % figures["unexpected_fail"])
print("unexpected successes     %6d  (more faults than retries, yet rows: not wrong if equal)"
      % figures["unexpected_ok"])
print("hostile: structure broken%6d" % figures["structure"])
print("hostile: wrong rows      %6d" % figures["hostile_wrong"])
print("hostile: OAI-PMH queries %6d  (category and id values; counted in the two lines above)"
      % figures["oai_hostile"])
if "6" in PARTS:
    print("resume: trials           %6d  (%d interruptions, %d paper changes; + %d cache trials)"
          % (resume["trials"], resume["interruptions"], resume["touched"], resume["cache_trials"]))
    print("resume: wrong results    %6d  (counted in wrong results above)" % resume["wrong"])
    print("resume: journals left    %6d" % resume["leftover"])
    print("resume: more requests    %6d  (resumed scans asking more than an uninterrupted one)"
          % resume["more_requests"])
    print("resume: requests         %6d  resumed vs %d uninterrupted (%d saved)"
          % (resume["resumed_requests"], resume["full_requests"],
             resume["full_requests"] - resume["resumed_requests"]))
print("fault-free vs corpus     %6d mismatches" % figures["ref_mismatch"])
print("skipped: mock failed     %6d  (requests the mock itself could not handle)"
      % figures["mock_limit"])
bad = sum(figures[k] for k in ("wrong", "crashes", "unclear", "partial", "unexpected_fail",
                               "structure", "hostile_wrong", "ref_mismatch", "resume_leftover",
                               "resume_requests"))
if problems:
    print("\nproblems:")
    for p in problems:
        print("  " + p[:400])
sys.exit(1 if bad else 0)
