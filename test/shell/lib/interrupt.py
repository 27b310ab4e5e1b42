"""What the cancellation tests share (cancel.py for the API's tables,
oai_cancel.py for the OAI-PMH ones): a statement run in its own thread,
interrupted by pg_cancel_backend or by statement_timeout once it has
reached the wait a case is about, and the checks that follow: SQLSTATE
57014 with the right message, under LIMIT seconds from the cancel (or the
timeout's expiry) to the error, then the health of the session and of a new
one, and, after a rate-limit wait, that the wait did not give its turn
away."""
import sys
import threading
import time

import psycopg2

from pgutil import connect, mock_clear_faults, mock_log

LIMIT = 1.0					# seconds from cancel to error
TIMEOUT = 1.5				# statement_timeout of the timeout cases, seconds


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


class InterruptTest(object):
    """One test script's cases.  name prefixes the sessions'
    application_name; reset() puts the mock back before each case;
    q_victim is the statement a case interrupts unless it says otherwise;
    q_quick is a query returning 1 at once when nothing leaked, and
    q_full/full_expected, if given, a longer one checked after each case;
    before_health() runs before those checks."""

    def __init__(self, db, name, reset, q_victim, q_quick, q_full=None, full_expected=None,
                 before_health=None, width=62):
        self.db, self.name, self.reset = db, name, reset
        self.q_victim = q_victim
        self.q_quick, self.q_full, self.full_expected = q_quick, q_full, full_expected
        self.before_health = before_health
        self.width = width
        self.failures = []
        self.rows = []
        self.victim_pid = None
        self.admin = connect(db, application_name=name + "-admin")

    def fail(self, msg):
        self.failures.append(msg)
        print("FAIL: " + msg, flush=True)

    def connect(self, role):
        return connect(self.db, application_name="%s-%s" % (self.name, role))

    def set_interval(self, seconds):
        self.admin.cursor().execute("ALTER SERVER arxiv OPTIONS (SET request_interval %s)",
                                    (str(seconds),))

    def set_retries(self, n):
        self.admin.cursor().execute("ALTER SERVER arxiv OPTIONS (SET max_retries %s)",
                                    (str(n),))

    def wait_until(self, pred, timeout=15.0, what="condition"):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if pred():
                return True
            time.sleep(0.05)
        self.fail("timed out waiting for " + what)
        return False

    def check_error(self, case, runner, t_ref, kind):
        """kind: 'cancel' or 'timeout'; t_ref: when the cancel was sent or
        the timeout expired (monotonic)."""
        if not runner.join(30):
            self.fail("%s: the statement did not end within 30 s" % case)
            return None
        if runner.error is None:
            self.fail("%s: the statement was not interrupted (result %s)"
                      % (case, runner.result))
            return None
        latency = runner.t_end - t_ref
        msg = (runner.error.pgerror or str(runner.error)).strip().split("\n")[0]
        want = ("canceling statement due to user request" if kind == "cancel"
                else "canceling statement due to statement timeout")
        if runner.error.pgcode != "57014" or want not in msg:
            self.fail("%s: unexpected error %s %r" % (case, runner.error.pgcode, msg))
        if latency >= LIMIT:
            self.fail("%s: %.3f s from %s to the error (limit %.1f s)"
                      % (case, latency, kind, LIMIT))
        return latency

    def check_session(self, case, who, cur):
        cur.execute("SET statement_timeout = '5s'")
        t0 = time.monotonic()
        cur.execute(self.q_quick)
        n = cur.fetchone()[0]
        elapsed = time.monotonic() - t0
        if n != 1:
            self.fail("%s: %s: the query after the cancel returned %s rows" % (case, who, n))
        if elapsed >= LIMIT:
            self.fail("%s: %s: the query after the cancel took %.2f s" % (case, who, elapsed))
        if self.q_full:
            cur.execute(self.q_full)
            got = cur.fetchone()
            if tuple(got) != tuple(self.full_expected):
                self.fail("%s: %s: %s after the cancel returned %s, expected %s"
                          % (case, who, self.q_full, got, self.full_expected))
        cur.execute("RESET statement_timeout")

    def health(self, case, victim):
        """After a case: the victim session and a new session both answer at
        once (request_interval 0): no lock or state was leaked."""
        self.set_interval(0)
        mock_clear_faults()
        if self.before_health:
            self.before_health()
        for who, conn in (("same session", victim), ("third session", None)):
            c = conn or self.connect("third")
            try:
                self.check_session(case, who, c.cursor())
            except psycopg2.Error as e:
                self.fail("%s: %s: the query after the cancel failed: %s"
                          % (case, who, str(e).strip()))
            finally:
                if conn is None:
                    c.close()

    def cancel_or_timeout(self, kind, victim, sql, ready, case):
        """Start sql in victim; once ready() holds, cancel it (kind
        'cancel') or let statement_timeout (TIMEOUT s) fire."""
        cur = victim.cursor()
        if kind == "timeout":
            cur.execute("SET statement_timeout = '%dms'" % int(TIMEOUT * 1000))
        r = Runner(victim, sql).start()
        if kind == "cancel":
            if not self.wait_until(lambda: ready(r), what=case + " to reach its wait"):
                self.admin.cursor().execute("SELECT pg_cancel_backend(%s)", (self.victim_pid,))
                r.join()
                return None
            t_ref = time.monotonic()
            self.admin.cursor().execute("SELECT pg_cancel_backend(%s)", (self.victim_pid,))
        else:
            if not r.join(30):
                self.fail("%s: statement_timeout did not end the statement" % case)
                return None
            t_ref = r.t_start + TIMEOUT
            # the wait must really have been reached before the timeout fired
            if not ready(r, timed_out=True):
                self.fail("%s: the statement did not reach the wait before the timeout"
                          % case)
        latency = self.check_error(case, r, t_ref, kind)
        if kind == "timeout":
            victim.cursor().execute("RESET statement_timeout")
        return latency

    def run_case(self, name, kind, prepare, ready, cleanup=None, sql=None, warm_up=None):
        """prepare(victim) sets the case up and returns its context;
        ready(runner, ctx, timed_out) says the statement has reached the
        wait; cleanup(ctx) runs after the interruption; warm_up(victim),
        before prepare, runs what the session needs before the case."""
        case = "%s, %s" % (name, "pg_cancel_backend" if kind == "cancel" else
                           "statement_timeout %.1fs" % TIMEOUT)
        self.reset()
        self.set_interval(0)
        self.set_retries(3)
        victim = self.connect("victim")
        self.victim_pid = pid_of(victim)
        if warm_up:
            warm_up(victim)
            self.reset()
        ctx = prepare(victim) or {}
        latency = self.cancel_or_timeout(kind, victim, sql or self.q_victim,
                                         lambda r, timed_out=False: ready(r, ctx, timed_out),
                                         case)
        if cleanup:
            cleanup(ctx)
        self.health(case, victim)
        victim.close()
        self.rows.append((case, latency))
        print("%-*s %s" % (self.width, case, "%.3f s" % latency if latency is not None else "-"),
              flush=True)

    def after_interval(self, ctx):
        """The cancelled wait must not have given away the turn: with
        request_interval still 30, the next session must still wait (its
        statement_timeout of 2 s fires) and make no request."""
        before = len(mock_log())
        c = self.connect("next")
        cur = c.cursor()
        cur.execute("SET statement_timeout = '2s'")
        t0 = time.monotonic()
        try:
            cur.execute(self.q_quick)
            self.fail("rate-limit state lost by the cancelled wait: another session made a "
                      "request %.2f s later, within request_interval 30 s of the previous one"
                      % (time.monotonic() - t0))
        except psycopg2.Error as e:
            if e.pgcode != "57014":
                self.fail("the next session's query failed: %s" % str(e).strip())
        c.close()
        if len(mock_log()) != before:
            self.fail("rate-limit state lost: %d request(s) made within request_interval 30 s "
                      "after the cancelled wait" % (len(mock_log()) - before))

    def header(self):
        print("%-*s %s" % (self.width, "case", "cancel -> error"), flush=True)

    def finish(self):
        lat = [l for _, l in self.rows if l is not None]
        print("max latency %.3f s over %d cases (limit %.1f s)"
              % (max(lat or [0]), len(self.rows), LIMIT))
        sys.exit(1 if self.failures else 0)
