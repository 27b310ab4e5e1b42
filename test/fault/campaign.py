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

At the end, postmaster crashes are looked for in the server log and in
pg_postmaster_start_time().

usage: campaign.py DBNAME POSTMASTER_LOG"""
import os
import re
import sys
import time
import unicodedata

import psycopg2

from pgutil import connect, mock_log, mock_reset, mock_fault

DB = sys.argv[1]
PMLOG = sys.argv[2]
MAX_RETRIES = 2
VERBOSE = os.environ.get("VERBOSE") == "1"
PARTS = os.environ.get("PARTS", "123")     # for development: which parts to run

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
               hostile_wrong=0, mock_limit=0)
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
STATUS_MSG = r"HTTP status %d"
# kind name: (fault spec, behaviour, message pattern of the error)
FAULTS = []
for st in (429, 500, 502, 503):
    FAULTS.append(("status %d" % st, {"kind": "status", "status": st}, RETRY, STATUS_MSG % st))
    FAULTS.append(("status %d Retry-After 1" % st,
                   {"kind": "status", "status": st, "retry_after": 1}, RETRY, STATUS_MSG % st))
FAULTS += [
    ("status 404", {"kind": "status", "status": 404}, FAIL, STATUS_MSG % 404),
    ("status 400 (html)", {"kind": "status", "status": 400}, FAIL, STATUS_MSG % 400),
    ("empty_page", {"kind": "empty_page"}, RETRY, r"empty page at start \d+ of \d+ results"),
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
    ("blank", {"kind": "blank"}, RETRY, r"the response body is empty"),
    ("rate_exceeded", {"kind": "rate_exceeded"}, RETRY,
     r'not a valid Atom feed: not well-formed XML \(HTTP status 200, Content-Type "text/plain", 14 bytes\)'),
    ("html_denied 403", {"kind": "html_denied", "status": 403}, RETRY, STATUS_MSG % 403),
    ("html_denied 200", {"kind": "html_denied", "status": 200}, RETRY,
     r'not a valid Atom feed: XML that is not an Atom feed \(HTTP status 200, Content-Type "text/html'),
    ("error_feed_200", {"kind": "error_feed_200", "message": "something went wrong"}, FAIL,
     r"arXiv API error \(HTTP 200\): something went wrong"),
    ("reset", {"kind": "reset"}, RETRY, r"connection to \S+ (failed|closed|was reset)"),
]
SLOW_KINDS = ("slow 4 s (> timeout)", "stall 4 s (> timeout)")

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
            detail = "%s %s" % (err.pgcode, msg)
            if err.pgcode is None or err.pgcode.startswith("XX"):
                problem("unclear", "%s on %s: SQLSTATE %s: %s" % (label, qname, err.pgcode, msg))
            elif not msg.startswith("could not fetch results from arXiv: ") or \
                    (pattern and not re.search(pattern, msg)):
                problem("unclear", "%s on %s: message %r does not name the problem"
                        % (label, qname, msg))
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
        msg = err.diag.message_primary or ""
        # refused locally (nothing to send) or by arXiv as invalid: both clear
        if err.pgcode.startswith("XX") or not re.search(
                r"invalid arXiv query|Invalid query string|arXiv API error", msg):
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
print("\nper fault kind (part 1 and 2):")
print("  %-34s %6s %6s %6s %6s %5s" % ("fault", "trials", "faults", "ok", "error", "bad"))
for kname, k in per_kind.items():
    print("  %-34s %6d %6d %6d %6d %5d" % (kname, k["trials"], k["faults"], k["ok"], k["error"],
                                          k["bad"]))
print()
print("faults injected          %6d" % figures["faults"])
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
print("fault-free vs corpus     %6d mismatches" % figures["ref_mismatch"])
print("skipped: mock failed     %6d  (requests the mock itself could not handle)"
      % figures["mock_limit"])
bad = sum(figures[k] for k in ("wrong", "crashes", "unclear", "partial", "unexpected_fail",
                               "structure", "hostile_wrong", "ref_mismatch"))
if problems:
    print("\nproblems:")
    for p in problems:
        print("  " + p[:400])
sys.exit(1 if bad else 0)
