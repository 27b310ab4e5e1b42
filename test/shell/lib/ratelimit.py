"""Body of test/shell/ratelimit.sh: the shared rate limit is fair, leaves
nothing behind, keys hosts robustly, and is never held while user-defined
code runs.  Each case prints its figures; see ratelimit.sh for what is
asserted and why each case failed before.

usage: ratelimit.py DBNAME OTHER_DBNAME MOCK_PORT"""
import sys
import threading
import time

import psycopg2

from pgutil import connect, mock_log, mock_reset

db, other_db, port = sys.argv[1], sys.argv[2], sys.argv[3]
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, flush=True)


def say(msg):
    print(msg, flush=True)


admin = connect(db, application_name="ratelimit-admin")


def sql(conn, text, args=None):
    cur = conn.cursor()
    cur.execute(text, args)
    return cur.fetchall() if cur.description else None


def server(name, url, interval, conn=admin):
    sql(conn, "DROP SERVER IF EXISTS %s CASCADE" % name)
    sql(conn, "CREATE SERVER %s FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (base_url %%s, "
              "request_interval %%s, cache_ttl '0', max_retries '0', user_agent %%s)" % name,
        (url, str(interval), name))
    sql(conn, "CREATE FOREIGN TABLE %s_papers (id text, title text) SERVER %s" % (name, name))


def query(conn, table, paper="2605.09735"):
    """one request: a single id; returns the seconds it took"""
    t0 = time.monotonic()
    n = sql(conn, "SELECT count(title) FROM %s_papers WHERE id = %%s" % table, (paper,))[0][0]
    if n != 1:
        fail("%s: %s rows for one id" % (table, n))
    return time.monotonic() - t0


class Runner(object):
    def __init__(self, conn, fn):
        self.conn, self.fn = conn, fn
        self.error = None
        self.t_start = self.t_end = None
        self.thread = threading.Thread(target=self.run)

    def run(self):
        self.t_start = time.time()
        try:
            self.fn(self.conn)
        except psycopg2.Error as e:
            self.error = e
        self.t_end = time.time()

    def start(self):
        self.thread.start()
        return self


def starts(agent):
    return [r["t_start"] for r in mock_log() if r.get("user_agent") == agent]


mock_url = "http://127.0.0.1:%s/api/query" % port

# (1) a long interval on one server delays only that server's requests:
# fa (6 s) and fb (0.5 s) share the mock's host.  fa makes a request, then
# waits for its next; meanwhile fb's requests go every 0.55 s.  fa's own
# wait ends 6 s after it began, however busy fb keeps the host.
say("(1) fairness: request_interval 6 (fa) and 0.5 (fb) on one host")
mock_reset()
server("fa", mock_url, 6)
server("fb", mock_url, 0.5)
ca, cb = connect(db), connect(db)
query(ca, "fa")
time.sleep(0.6)
wa = Runner(connect(db), lambda c: query(c, "fa", "2603.11438")).start()
time.sleep(0.3)
took = [query(cb, "fb") for _ in range(4)]
say("    fb's 4 queries while fa waits: %s s" % ", ".join("%.2f" % t for t in took))
if max(took) > 1.5:
    fail("(1) fb waited %.2f s for one request while fa (interval 6) was waiting" % max(took))
wa.thread.join(30)
fa_starts = starts("fa")
if wa.error or len(fa_starts) != 2:
    fail("(1) fa's second query: %s, %d requests" % (wa.error, len(fa_starts)))
else:
    waited = fa_starts[1] - wa.t_start
    say("    fa's second request started %.2f s after it began waiting (interval 6)" % waited)
    if waited < 6.0 or waited > 7.5:
        fail("(1) fa's second request started %.2f s after it began waiting, not 6-7.5 s"
             % waited)
fb_starts = starts("fb")
gaps = [b - a for a, b in zip(fb_starts, fb_starts[1:])]
say("    gaps between fb's requests: %s s" % ", ".join("%.2f" % g for g in gaps))
if gaps and min(gaps) < 0.5:
    fail("(1) fb's requests %.2f s apart (interval 0.5)" % min(gaps))

# (2) cancelled waiters leave nothing behind: fc (4 s) makes a request; two
# sessions wait for their turn and are cancelled; the next query must go 4 s
# after the last real request, not after the cancelled waiters' turns.
say("(2) cancelled waiters: request_interval 4")
mock_reset()
server("fc", mock_url, 4)
query(connect(db), "fc")
t_req = time.time()
waiters = [connect(db, application_name="ratelimit-waiter") for _ in range(2)]
runs = [Runner(c, lambda c: query(c, "fc", "2603.11438")).start() for c in waiters]
time.sleep(0.8)
sql(admin, "SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
           "WHERE application_name = 'ratelimit-waiter'")
for r in runs:
    r.thread.join(10)
    if r.error is None or r.error.pgcode != "57014":
        fail("(2) a waiter was not cancelled: %s" % r.error)
took = query(connect(db), "fc", "0704.0036")
fc_starts = starts("fc")
say("    next query took %.2f s; its request started %.2f s after the last one"
    % (took, fc_starts[-1] - fc_starts[0] if len(fc_starts) == 2 else -1))
if len(fc_starts) != 2:
    fail("(2) %d requests, expected 2" % len(fc_starts))
elif not 3.95 <= fc_starts[1] - fc_starts[0] <= 5.0:
    fail("(2) the next request started %.2f s after the last one, not 4-5 s"
         % (fc_starts[1] - fc_starts[0]))

# (3) one host, however spelt: localhost, 127.0.0.1 and LOCALHOST share a
# budget (the key is the normalised host and port)
say("(3) host keys: localhost / 127.0.0.1 / LOCALHOST, request_interval 2")
mock_reset()
server("fl", "http://localhost:%s/api/query" % port, 2)
server("fn", mock_url, 2)
server("fu", "http://LOCALHOST:%s/api/query" % port, 2)
c = connect(db)
for t in ("fl", "fn", "fu"):
    query(c, t)
all_starts = sorted(r["t_start"] for r in mock_log())
gaps = [b - a for a, b in zip(all_starts, all_starts[1:])]
say("    gaps: %s s" % ", ".join("%.2f" % g for g in gaps))
if len(all_starts) != 3 or min(gaps) < 1.95:
    fail("(3) requests to one host under different names %s s apart (interval 2)"
         % ", ".join("%.2f" % g for g in gaps))

# (4) nothing user-defined runs while the host is held: a table whose
# column is a domain with a slow CHECK (0.2 s a row, 20 rows) converts its
# page after releasing the host; a request from another database 1 s later
# goes at once.
say("(4) a domain whose CHECK sleeps does not hold the host")
mock_reset()
server("fd", mock_url, 0)
sql(admin, "CREATE OR REPLACE FUNCTION slow_ok(text) RETURNS boolean LANGUAGE plpgsql "
           "AS $$BEGIN PERFORM pg_sleep(0.2); RETURN true; END$$")
sql(admin, "DROP DOMAIN IF EXISTS slow_text CASCADE")
sql(admin, "CREATE DOMAIN slow_text AS text CHECK (slow_ok(VALUE))")
sql(admin, "CREATE FOREIGN TABLE slow_papers (id text, title slow_text, category text) "
           "SERVER fd")
slow = Runner(connect(db), lambda c: sql(c, "SELECT title FROM slow_papers "
                                            "WHERE category = 'cs.OS' LIMIT 20")).start()
time.sleep(1.0)
oc = connect(other_db)
t0 = time.monotonic()
sql(oc, "SELECT count(title) FROM papers WHERE id = '2605.09735'")
took = time.monotonic() - t0
slow.thread.join(30)
say("    other database's query took %.2f s while the slow conversion ran (%.1f s in all)"
    % (took, slow.t_end - slow.t_start))
if slow.error:
    fail("(4) the slow query failed: %s" % slow.error)
if took > 1.0:
    fail("(4) a request in another database waited %.2f s for a conversion" % took)

sys.exit(1 if failures else 0)
