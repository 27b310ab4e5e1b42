"""Body of test/shell/oai_cancel.sh: cancellation and statement_timeout of
scans of the OAI-PMH tables, wherever they wait:
  (a1) a slow GetRecord transfer (mock fault "slow", 20 s before any byte)
  (a2) a slow transfer of a later page of a ListRecords harvest (the third
       request with a resumption token), rows of earlier pages already read
  (b1) a retry backoff after a 503 with Retry-After: 30 (GetRecord)
  (b2) the same in the middle of a harvest (a resumption-token page)
  (c1) a rate-limit wait: request_interval 30, another session has just
       made an OAI-PMH request, so this one sleeps for its turn
  (c3) a rate-limit wait after a request of the same session
each interrupted by pg_cancel_backend from another session, then by
statement_timeout (1.5 s).  Checks: < 1 s from the cancel (or the timeout's
expiry) to the error, SQLSTATE 57014 with "canceling statement due to user
request" / "... statement timeout"; then no leaked state: the same session
and a third one each answer a GetRecord query at once and a whole harvest
(several pages) with the right count; for (c1)/(c3), the cancelled wait did
not give away the turn (the next session must still wait).

usage: oai_cancel.py DBNAME"""
import sys
import threading
import time

import psycopg2

from pgutil import connect, mock, mock_clear_faults, mock_fault, mock_log, mock_reset, mock_stats

db = sys.argv[1]
LIMIT = 1.0					# seconds from cancel to error
TIMEOUT = 1.5				# statement_timeout of the timeout cases, seconds
PAGE = 25					# the mock's OAI-PMH page size here
Q_GET = "SELECT count(*) FROM oai_papers WHERE id = '0706.1534'"
Q_OTHER = "SELECT count(*) FROM oai_versions WHERE id = '2603.11438'"
Q_THIRD = "SELECT count(*) FROM oai_papers WHERE id = '0705.0002'"
Q_HARVEST = ("SELECT count(*), count(DISTINCT id) FROM oai_papers "
             "WHERE category = 'cs.OS' AND datestamp >= '2026-01-01'")

failures = []
rows = []
admin = connect(db, application_name="oai-cancel-admin")


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, flush=True)


def reset_mock():
    mock_reset()
    mock("/oai/_mock/config", {"records_limit": PAGE})


def set_interval(seconds):
    admin.cursor().execute("ALTER SERVER arxiv OPTIONS (SET request_interval %s)",
                           (str(seconds),))


def set_retries(n):
    admin.cursor().execute("ALTER SERVER arxiv OPTIONS (SET max_retries %s)", (str(n),))


def wait_until(pred, timeout=15.0, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    fail("timed out waiting for " + what)
    return False


class Runner(object):
    """Runs one statement in its own thread; records when it ended and how."""

    def __init__(self, conn, sql):
        self.conn, self.sql = conn, sql
        self.t_end = None
        self.error = None
        self.result = None
        self.thread = threading.Thread(target=self.run)

    def run(self):
        self.t_start = time.monotonic()
        try:
            cur = self.conn.cursor()
            cur.execute(self.sql)
            self.result = cur.fetchall()
        except psycopg2.Error as e:
            self.error = e
        self.t_end = time.monotonic()

    def start(self):
        self.thread.start()
        return self

    def join(self, timeout=60):
        self.thread.join(timeout)
        return not self.thread.is_alive()


def pid_of(conn):
    cur = conn.cursor()
    cur.execute("SELECT pg_backend_pid()")
    return cur.fetchone()[0]


def oai_requests(done_only=False):
    return [r for r in mock_log() if r.get("path") == "/oai" and (r.get("t_end") or not done_only)]


# the fault-free harvest, for the checks afterwards
reset_mock()
c0 = admin.cursor()
c0.execute(Q_HARVEST)
HARVEST = c0.fetchone()
n_pages = len([r for r in oai_requests() if r.get("verb") == "ListRecords"])
print("harvest: %d papers (%d distinct) in %d pages of %d" % (HARVEST[0], HARVEST[1], n_pages,
                                                              PAGE), flush=True)
if n_pages < 4:
    fail("the harvest has %d pages; the cases need at least 4" % n_pages)


def check_error(case, runner, t_ref, kind):
    """kind: 'cancel' or 'timeout'; t_ref: when the cancel was sent or the
    timeout expired (monotonic)."""
    if not runner.join(30):
        fail("%s: the statement did not end within 30 s" % case)
        return None
    if runner.error is None:
        fail("%s: the statement was not interrupted (result %s)" % (case, runner.result))
        return None
    latency = runner.t_end - t_ref
    msg = (runner.error.pgerror or str(runner.error)).strip().split("\n")[0]
    want = ("canceling statement due to user request" if kind == "cancel"
            else "canceling statement due to statement timeout")
    if runner.error.pgcode != "57014" or want not in msg:
        fail("%s: unexpected error %s %r" % (case, runner.error.pgcode, msg))
    if latency >= LIMIT:
        fail("%s: %.3f s from %s to the error (limit %.1f s)" % (case, latency, kind, LIMIT))
    return latency


def health(case, victim):
    """After a case: the victim session and a new session both answer a
    GetRecord query at once, and a harvest of several pages with the right
    count (request_interval 0): no lock, parser or list state was leaked."""
    set_interval(0)
    mock_clear_faults()
    mock("/oai/_mock/config", {"records_limit": PAGE})
    for who, conn in (("same session", victim), ("third session", None)):
        c = conn or connect(db, application_name="oai-cancel-third")
        try:
            cur = c.cursor()
            cur.execute("SET statement_timeout = '5s'")
            t0 = time.monotonic()
            cur.execute(Q_THIRD)
            n = cur.fetchone()[0]
            elapsed = time.monotonic() - t0
            if n != 1:
                fail("%s: %s: the query after the cancel returned %s rows" % (case, who, n))
            if elapsed >= LIMIT:
                fail("%s: %s: the query after the cancel took %.2f s" % (case, who, elapsed))
            cur.execute(Q_HARVEST)
            got = cur.fetchone()
            if tuple(got) != tuple(HARVEST):
                fail("%s: %s: the harvest after the cancel returned %s, expected %s"
                     % (case, who, got, HARVEST))
            cur.execute("RESET statement_timeout")
        except psycopg2.Error as e:
            fail("%s: %s: the query after the cancel failed: %s" % (case, who,
                                                                    str(e).strip()))
        finally:
            if conn is None:
                c.close()


pid_of_victim = [None]


def cancel_or_timeout(kind, victim, runner_sql, ready, case):
    cur = victim.cursor()
    if kind == "timeout":
        cur.execute("SET statement_timeout = '%dms'" % int(TIMEOUT * 1000))
    r = Runner(victim, runner_sql).start()
    if kind == "cancel":
        if not wait_until(lambda: ready(r), what=case + " to reach its wait"):
            admin.cursor().execute("SELECT pg_cancel_backend(%s)", (pid_of_victim[0],))
            r.join()
            return None
        t_ref = time.monotonic()
        admin.cursor().execute("SELECT pg_cancel_backend(%s)", (pid_of_victim[0],))
    else:
        if not r.join(30):
            fail("%s: statement_timeout did not end the statement" % case)
            return None
        t_ref = r.t_start + TIMEOUT
        if not ready(r, timed_out=True):
            fail("%s: the statement did not reach the wait before the timeout" % case)
    latency = check_error(case, r, t_ref, kind)
    if kind == "timeout":
        victim.cursor().execute("RESET statement_timeout")
    return latency


def run_case(name, kind, prepare, ready, cleanup=None, sql=Q_GET):
    case = "%s, %s" % (name, "pg_cancel_backend" if kind == "cancel" else
                       "statement_timeout %.1fs" % TIMEOUT)
    reset_mock()
    set_interval(0)
    set_retries(3)
    victim = connect(db, application_name="oai-cancel-victim")
    pid_of_victim[0] = pid_of(victim)
    # the session's ListSets, before the case (a harvest needs it)
    victim.cursor().execute("SELECT count(*) FROM oai_papers WHERE category = 'cs.OS' "
                            "AND datestamp = '2026-01-01'")
    reset_mock()
    ctx = prepare(victim) or {}
    latency = cancel_or_timeout(kind, victim, sql, lambda r, timed_out=False:
                                ready(r, ctx, timed_out), case)
    if cleanup:
        cleanup(ctx)
    health(case, victim)
    victim.close()
    rows.append((case, latency))
    print("%-66s %s" % (case, "%.3f s" % latency if latency is not None else "-"), flush=True)


# (a) slow transfers: the mock waits 20 s before answering
def prep_slow_get(victim):
    mock_fault({"kind": "slow", "delay": 20, "match": "verb=GetRecord"})


def prep_slow_page(victim):
    mock_fault({"kind": "slow", "delay": 20, "match": "resumptionToken", "skip": 2})


def ready_slow(r, ctx, timed_out):
    st = mock_stats()
    if timed_out:
        return st["pending_faults"] == 0
    return st["pending_faults"] == 0 and st["in_progress"] >= 1 and \
        time.monotonic() - r.t_start > 0.3


# (b) retry backoff: a 503 with Retry-After: 30
def prep_backoff_get(victim):
    mock_fault({"kind": "status", "status": 503, "retry_after": 30, "match": "verb=GetRecord"})


def prep_backoff_page(victim):
    mock_fault({"kind": "status", "status": 503, "retry_after": 30, "match": "resumptionToken",
                "skip": 2})


def ready_backoff(r, ctx, timed_out):
    done = [x for x in oai_requests(done_only=True) if x.get("fault") == "status"]
    if timed_out:
        return len(done) == 1 and not any(x.get("t_start", 0) > done[0].get("t_start", 0)
                                          for x in oai_requests())
    if not done:
        return False
    ctx.setdefault("t_done", time.monotonic())
    return time.monotonic() - ctx["t_done"] > 0.3


# (c) rate-limit waits: request_interval 30 after a request of another
# session (c1) or of the same session (c3)
def prep_interval(victim):
    # the request at interval 0, then the interval raised: the victim's
    # turn is 30 s after that request (the waiter applies its interval)
    other = connect(db, application_name="oai-cancel-other")
    other.cursor().execute(Q_OTHER)
    other.close()
    set_interval(30)
    return {"requests_before": len(mock_log())}


def prep_same(victim):
    victim.cursor().execute(Q_OTHER)
    set_interval(30)
    return {"requests_before": len(mock_log())}


def ready_interval(r, ctx, timed_out):
    if timed_out:
        return len(mock_log()) == ctx["requests_before"]
    return time.monotonic() - r.t_start > 0.5 and len(mock_log()) == ctx["requests_before"]


def after_interval(ctx):
    """The cancelled wait must not have given away the turn: with
    request_interval still 30, the next session must still wait (its
    statement_timeout of 2 s fires) and make no request."""
    before = len(mock_log())
    c = connect(db, application_name="oai-cancel-next")
    cur = c.cursor()
    cur.execute("SET statement_timeout = '2s'")
    t0 = time.monotonic()
    try:
        cur.execute(Q_THIRD)
        fail("rate-limit state lost by the cancelled wait: another session made a request "
             "%.2f s later, within request_interval 30 s of the previous one"
             % (time.monotonic() - t0))
    except psycopg2.Error as e:
        if e.pgcode != "57014":
            fail("the next session's query failed: %s" % str(e).strip())
    c.close()
    if len(mock_log()) != before:
        fail("rate-limit state lost: %d request(s) made within request_interval 30 s after "
             "the cancelled wait" % (len(mock_log()) - before))


print("%-66s %s" % ("case", "cancel -> error"), flush=True)
for kind in ("cancel", "timeout"):
    run_case("(a1) slow GetRecord (slow, delay 20)", kind, prep_slow_get, ready_slow)
    run_case("(a2) slow later page of a harvest", kind, prep_slow_page, ready_slow,
             sql=Q_HARVEST)
    run_case("(b1) backoff, GetRecord (503, Retry-After 30)", kind, prep_backoff_get,
             ready_backoff)
    run_case("(b2) backoff, later page of a harvest", kind, prep_backoff_page, ready_backoff,
             sql=Q_HARVEST)
    run_case("(c1) rate-limit wait, other session", kind, prep_interval, ready_interval,
             after_interval)
    run_case("(c3) rate-limit wait, same session", kind, prep_same, ready_interval,
             after_interval)

lat = [l for _, l in rows if l is not None]
print("max latency %.3f s over %d cases (limit %.1f s)" % (max(lat or [0]), len(rows), LIMIT))
sys.exit(1 if failures else 0)
