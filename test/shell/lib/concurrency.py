"""Body of test/shell/concurrency.sh: N concurrent sessions, each running
several paging queries, against a mock whose detector flags any request that
starts less than MIN_GAP seconds after the previous one started, or while
another is in progress.

usage: concurrency.py DBNAME SESSIONS QUERIES_PER_SESSION INTERVAL MIN_GAP"""
import sys
import threading
import time
import traceback

from pgutil import connect, corpus_tsv, mock_log, mock_reset, mock_stats, mock_config, pg_array

db = sys.argv[1]
n_sessions = int(sys.argv[2])
n_queries = int(sys.argv[3])
interval = float(sys.argv[4])
min_gap = float(sys.argv[5])
SINCE = "2026-03-01 00:00:00+00"

# categories with 40-170 papers since SINCE: 1-4 pages of 50 each
CATEGORIES = ["cs.DC", "hep-ph", "quant-ph", "stat.ML", "hep-th", "cs.CR", "cs.OS",
              "astro-ph.CO", "math.OC", "astro-ph.GA", "cond-mat.str-el", "cs.IR",
              "gr-qc", "cond-mat.mes-hall", "cs.IT", "cs.SE", "cs.NI", "cs.RO",
              "eess.SY", "math.AP", "cond-mat.mtrl-sci", "eess.IV", "physics.comp-ph",
              "math.PR", "stat.ME", "astro-ph.SR", "eess.SP", "physics.optics", "cs.PF",
              "cs.AR", "astro-ph.HE", "math.CO", "math.ST", "hep-ex", "math.NA",
              "cond-mat.stat-mech"]

# expected counts, from the corpus itself
expected = {}
for row in corpus_tsv(["id", "categories", "published"]):
    if row["published"] >= SINCE:
        for c in pg_array(row["categories"]):
            expected[c] = expected.get(c, 0) + 1

plan = []
for s in range(n_sessions):
    plan.append([CATEGORIES[(s * n_queries + q) % len(CATEGORIES)] for q in range(n_queries)])

results = [dict(done=0, requests=0, waits=[], latencies=[], errors=[], wrong=[])
           for _ in range(n_sessions)]
barrier = threading.Barrier(n_sessions)


def session(s):
    r = results[s]
    try:
        conn = connect(db, application_name="concurrency-%d" % s)
        cur = conn.cursor()
        cur.execute("SET timezone = 'UTC'")
        barrier.wait(timeout=60)
        for cat in plan[s]:
            t0 = time.monotonic()
            cur.execute("EXPLAIN (ANALYZE, VERBOSE, FORMAT JSON) "
                        "SELECT id FROM papers WHERE category = %s AND published >= %s",
                        (cat, SINCE))
            r["latencies"].append(time.monotonic() - t0)
            plan_json = cur.fetchone()[0][0]["Plan"]
            r["requests"] += plan_json["arXiv Requests"]
            r["waits"].append(plan_json["arXiv Rate Limit Wait"])
            if plan_json["Actual Rows"] != expected.get(cat, 0):
                r["wrong"].append("%s: %s rows, expected %s" % (cat, plan_json["Actual Rows"],
                                                                 expected.get(cat, 0)))
            r["done"] += 1
        conn.close()
    except Exception as e:
        r["errors"].append("".join(traceback.format_exception_only(type(e), e)).strip())


mock_reset()
mock_config(min_interval=min_gap)
threads = [threading.Thread(target=session, args=(s,)) for s in range(n_sessions)]
t0 = time.monotonic()
for t in threads:
    t.start()
for t in threads:
    t.join(timeout=300)
wall = time.monotonic() - t0
stats = mock_stats()
log = mock_log()

failures = []
print("%-8s %7s %8s %10s %10s %11s" % ("session", "queries", "requests", "max wait", "sum wait",
                                        "max latency"))
for s, r in enumerate(results):
    print("%-8d %4d/%-2d %8d %9.2fs %9.2fs %10.2fs" % (
        s, r["done"], n_queries, r["requests"], max(r["waits"] or [0]), sum(r["waits"]),
        max(r["latencies"] or [0])))
    if r["done"] != n_queries:
        failures.append("session %d finished %d of %d queries %s" % (s, r["done"], n_queries,
                                                                     r["errors"]))
    failures.extend("session %d: wrong row count for %s" % (s, w) for w in r["wrong"])
if any(t.is_alive() for t in threads):
    failures.append("sessions still running after 300 s (starvation or a hang)")

n_req = stats["requests"]
client_requests = sum(r["requests"] for r in results)
starts = sorted(rec["t_start"] for rec in log)
span = (starts[-1] - starts[0]) if starts else 0.0
gaps = [b - a for a, b in zip(starts, starts[1:])]
lower = (n_req - 1) * interval
upper = 1.3 * n_req * interval + 3.0
print()
print("sessions              %d (x %d queries, page_size 50)" % (n_sessions, n_queries))
print("requests              %d (the sessions counted %d)" % (n_req, client_requests))
print("interval_violations   %d (detector min_interval %.2f s, request_interval %.2f s)"
      % (stats["interval_violations"], stats["min_interval"], interval))
print("max_concurrent        %d" % stats["max_concurrent"])
print("min_gap_seen          %.3f s (start to start)" % (stats["min_gap_seen"] or 0))
print("median gap            %.3f s" % (sorted(gaps)[len(gaps) // 2] if gaps else 0))
print("first..last start     %.2f s; wall %.2f s; requests x interval %.2f s"
      % (span, wall, n_req * interval))
print("max wait of a query   %.2f s (session %d)" % max(
    (max(r["waits"] or [0]), s) for s, r in enumerate(results)))

if stats["interval_violations"] != 0:
    bad = [rec for rec in log if rec.get("violation")][:5]
    failures.append("%d interval violations, e.g. %s" % (
        stats["interval_violations"],
        ["seq %s gap %s concurrent %s" % (b["seq"], b.get("gap"), b.get("concurrent")) for b in bad]))
if stats["max_concurrent"] != 1:
    failures.append("max_concurrent is %s, not 1" % stats["max_concurrent"])
if n_req != client_requests:
    failures.append("the mock saw %d requests, the sessions report %d" % (n_req, client_requests))
if n_req < n_sessions * n_queries:
    failures.append("only %d requests for %d queries" % (n_req, n_sessions * n_queries))
if span < lower - 0.05:
    failures.append("the requests took %.2f s, less than (requests - 1) x interval = %.2f s"
                    % (span, lower))
if wall > upper:
    failures.append("wall time %.2f s is more than 1.3 x requests x interval + 3 s = %.2f s: "
                    "the slot stays idle" % (wall, upper))

# Phase 2: fairness.  One session runs a long paging scan (back-to-back
# requests); another asks for one id a second later.  With a fair turn order
# the latecomer's request goes out within a couple of intervals; the bound
# allowed here is 6 intervals + 0.5 s.
GREEDY = ("SELECT count(*) FROM papers WHERE category = 'cs.OS' "
          "AND published >= '2023-01-01'")
greedy_out = {}


def greedy():
    conn = connect(db, application_name="concurrency-greedy")
    t0 = time.monotonic()
    cur = conn.cursor()
    cur.execute(GREEDY)
    greedy_out["rows"] = cur.fetchone()[0]
    greedy_out["elapsed"] = time.monotonic() - t0
    conn.close()


mock_reset()
mock_config(min_interval=min_gap)
late = connect(db, application_name="concurrency-latecomer")
g = threading.Thread(target=greedy)
g.start()
time.sleep(1.0)
t0 = time.monotonic()
late.cursor().execute("SELECT count(*) FROM papers WHERE id = '2605.09735'")
late_wait = time.monotonic() - t0
g.join(timeout=120)
late.close()
stats = mock_stats()
bound = 6 * interval + 0.5
print()
print("fairness: a %d-request scan (%.2f s) and, 1 s after it started, a one-request query "
      "by another session: that query took %.2f s (bound %.2f s); violations %d"
      % (stats["requests"] - 1, greedy_out.get("elapsed", -1), late_wait, bound,
         stats["interval_violations"]))
if late_wait > bound:
    failures.append("starvation: a one-request query waited %.2f s behind another session's "
                    "back-to-back requests (bound %.2f s)" % (late_wait, bound))
if stats["interval_violations"] != 0:
    failures.append("phase 2: %d interval violations" % stats["interval_violations"])

# Phase 3: a connection reset.  On a reused keep-alive connection libcurl
# would resend the request by itself, behind the rate limiter's back; the
# extension uses a new connection per request, so the reset is retried by
# the extension (max_retries 1 here), through the rate limiter.
from pgutil import mock_fault  # noqa: E402

mock_reset()
mock_config(min_interval=min_gap)
mock_fault({"kind": "reset", "skip": 1, "count": 1})
c = connect(db, application_name="concurrency-reset")
c.autocommit = True
c.cursor().execute("ALTER SERVER arxiv OPTIONS (SET max_retries '1')")
c.cursor().execute("SELECT count(*) FROM papers WHERE category = 'cs.OS' "
                   "AND published >= '2026-03-01'")
c.cursor().execute("ALTER SERVER arxiv OPTIONS (SET max_retries '0')")
c.close()
stats = mock_stats()
log = mock_log()
print()
print("reset on a reused connection: %d requests, %d violations, min gap %.3f s"
      % (stats["requests"], stats["interval_violations"], stats["min_gap_seen"] or 0))
if stats["interval_violations"]:
    failures.append("a connection reset on a reused connection was followed by a request "
                    "%.3f s later (request_interval %.2f s): %s"
                    % (stats["min_gap_seen"], interval,
                       ["start=%s fault=%s gap=%.3f" % (r["params"].get("start"), r.get("fault"),
                                                        r.get("gap") or 0) for r in log]))

for f in failures:
    print("FAIL: " + f)
sys.exit(1 if failures else 0)
