"""Body of test/shell/cancel.sh: cancellation and statement_timeout during
a slow transfer, a retry backoff and a rate-limit wait (sleeping for the
interval, and blocked on the lock another session holds).  For each case:
the time from the cancel (or from the timeout's expiry) to the error, which
must be < 1 s; the error (SQLSTATE 57014, the right message); and the health
afterwards: the same session runs a query at once, a third session can make
a request at once (no leaked lock), and a wait that was cancelled did not
lose the rate-limit state (the next session still waits its turn).

usage: cancel.py DBNAME"""
import sys
import threading
import time

import psycopg2

from pgutil import connect, mock_clear_faults, mock_fault, mock_log, mock_reset, mock_stats

db = sys.argv[1]
LIMIT = 1.0					# seconds from cancel to error
TIMEOUT = 1.5				# statement_timeout of the (d) cases, seconds
VICTIM_ID = "2605.09735"
OTHER_ID = "2603.11438"
Q_VICTIM = "SELECT count(*) FROM papers WHERE id = '%s'" % VICTIM_ID
Q_OTHER = "SELECT count(*) FROM papers WHERE id = '%s'" % OTHER_ID
Q_THIRD = "SELECT count(*) FROM papers WHERE id = '0704.0036'"

failures = []
rows = []
admin = connect(db, application_name="cancel-admin")


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, flush=True)


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


def requests_done():
    return [r for r in mock_log() if r.get("t_end")]


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
    """After a case: the victim session and a new session both get an answer
    at once (request_interval 0), so no lock or state was leaked."""
    set_interval(0)
    mock_clear_faults()
    for who, conn in (("same session", victim), ("third session", None)):
        c = conn or connect(db, application_name="cancel-third")
        try:
            cur = c.cursor()
            cur.execute("SET statement_timeout = '5s'")
            t0 = time.monotonic()
            cur.execute(Q_THIRD)
            n = cur.fetchone()[0]
            elapsed = time.monotonic() - t0
            cur.execute("RESET statement_timeout")
            if n != 1:
                fail("%s: %s: the query after the cancel returned %s rows" % (case, who, n))
            if elapsed >= LIMIT:
                fail("%s: %s: the query after the cancel took %.2f s" % (case, who, elapsed))
        except psycopg2.Error as e:
            fail("%s: %s: the query after the cancel failed: %s" % (case, who,
                                                                    str(e).strip()))
        finally:
            if conn is None:
                c.close()


def cancel_or_timeout(kind, victim, runner_sql, ready, case, setup=None):
    """Start runner_sql in victim; once ready() holds, cancel it (kind
    'cancel') or let statement_timeout (TIMEOUT s, set before) fire."""
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
        # the wait must really have been reached before the timeout fired
        if not ready(r, timed_out=True):
            fail("%s: the statement did not reach the wait before the timeout" % case)
    latency = check_error(case, r, t_ref, kind)
    if kind == "timeout":
        victim.cursor().execute("RESET statement_timeout")
    return latency


pid_of_victim = [None]


def run_case(name, kind, prepare, ready, cleanup=None, sql=Q_VICTIM):
    case = "%s, %s" % (name, "pg_cancel_backend" if kind == "cancel" else
                       "statement_timeout %.1fs" % TIMEOUT)
    mock_reset()
    set_interval(0)
    set_retries(3)
    victim = connect(db, application_name="cancel-victim")
    pid_of_victim[0] = pid_of(victim)
    ctx = prepare(victim) or {}
    latency = cancel_or_timeout(kind, victim, sql, lambda r, timed_out=False:
                                ready(r, ctx, timed_out), case)
    if cleanup:
        cleanup(ctx)
    health(case, victim)
    victim.close()
    rows.append((case, latency))
    print("%-62s %s" % (case, "%.3f s" % latency if latency is not None else "-"), flush=True)


# (a) a slow transfer: the mock waits 20 s before answering
def prep_slow(victim):
    mock_fault({"kind": "slow", "delay": 20, "match": VICTIM_ID})


def ready_slow(r, ctx, timed_out):
    """the victim's request took the slow fault and is in progress"""
    st = mock_stats()
    if timed_out:
        return st["pending_faults"] == 0
    return st["pending_faults"] == 0 and st["in_progress"] >= 1 and \
        time.monotonic() - r.t_start > 0.3


# (b) retry backoff: a 503 with Retry-After: 30, max_retries 3
def prep_backoff(victim):
    mock_fault({"kind": "status", "status": 503, "retry_after": 30, "match": VICTIM_ID})


def ready_backoff(r, ctx, timed_out):
    done = requests_done()
    if timed_out:
        return len(mock_log()) == 1 and done and done[0].get("fault") == "status"
    if not done:
        return False
    ctx.setdefault("t_done", time.monotonic())
    return time.monotonic() - ctx["t_done"] > 0.3


# (c1) a rate-limit wait: request_interval 30, another session just made a
# request, so the victim sleeps (holding the host's lock) for ~30 s
def prep_interval(victim):
    set_interval(30)
    other = connect(db, application_name="cancel-other")
    other.cursor().execute(Q_OTHER)
    other.close()
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
    c = connect(db, application_name="cancel-next")
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


# (c2) blocked on the lock: another session is in a 20 s slow transfer
def prep_locked(victim):
    mock_fault({"kind": "slow", "delay": 20, "match": OTHER_ID})
    holder = connect(db, application_name="cancel-holder")
    r = Runner(holder, Q_OTHER).start()
    wait_until(lambda: mock_stats()["in_progress"] == 1, what="the holder's request")
    return {"holder": holder, "holder_runner": r}


def ready_locked(r, ctx, timed_out):
    if timed_out:
        return ctx["holder_runner"].t_end is None or ctx["holder_runner"].t_end > r.t_end
    return time.monotonic() - r.t_start > 0.5


def cleanup_locked(ctx):
    admin.cursor().execute("SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
                           "WHERE application_name = 'cancel-holder'")
    ctx["holder_runner"].join(10)
    ctx["holder"].close()


# (c3) a rate-limit wait in the same session as the previous request
def prep_same(victim):
    set_interval(30)
    victim.cursor().execute(Q_OTHER)
    return {"requests_before": len(mock_log())}


print("%-62s %s" % ("case", "cancel -> error"), flush=True)
for kind in ("cancel", "timeout"):
    run_case("(a) slow transfer (slow, delay 20)", kind, prep_slow, ready_slow)
    run_case("(b) retry backoff (503, Retry-After 30)", kind, prep_backoff, ready_backoff)
    run_case("(c1) rate-limit wait, other session", kind, prep_interval, ready_interval,
             after_interval)
    run_case("(c2) waiting for the lock held by a transfer", kind, prep_locked, ready_locked,
             cleanup_locked)
    run_case("(c3) rate-limit wait, same session", kind, prep_same, ready_interval,
             after_interval)

lat = [l for _, l in rows if l is not None]
print("max latency %.3f s over %d cases (limit %.1f s)" % (max(lat or [0]), len(rows), LIMIT))
sys.exit(1 if failures else 0)
