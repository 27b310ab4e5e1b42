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
import time

from interrupt import InterruptTest, Runner
from pgutil import mock_fault, mock_log, mock_reset, mock_stats

VICTIM_ID = "2605.09735"
OTHER_ID = "2603.11438"
Q_VICTIM = "SELECT count(*) FROM papers WHERE id = '%s'" % VICTIM_ID
Q_OTHER = "SELECT count(*) FROM papers WHERE id = '%s'" % OTHER_ID
Q_THIRD = "SELECT count(*) FROM papers WHERE id = '0704.0036'"

t = InterruptTest(sys.argv[1], "cancel", mock_reset, Q_VICTIM, Q_THIRD)


def requests_done():
    return [r for r in mock_log() if r.get("t_end")]


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
    t.set_interval(30)
    other = t.connect("other")
    other.cursor().execute(Q_OTHER)
    other.close()
    return {"requests_before": len(mock_log())}


def ready_interval(r, ctx, timed_out):
    if timed_out:
        return len(mock_log()) == ctx["requests_before"]
    return time.monotonic() - r.t_start > 0.5 and len(mock_log()) == ctx["requests_before"]


# (c2) blocked on the lock: another session is in a 20 s slow transfer
def prep_locked(victim):
    mock_fault({"kind": "slow", "delay": 20, "match": OTHER_ID})
    holder = t.connect("holder")
    r = Runner(holder, Q_OTHER).start()
    t.wait_until(lambda: mock_stats()["in_progress"] == 1, what="the holder's request")
    return {"holder": holder, "holder_runner": r}


def ready_locked(r, ctx, timed_out):
    if timed_out:
        return ctx["holder_runner"].t_end is None or ctx["holder_runner"].t_end > r.t_end
    return time.monotonic() - r.t_start > 0.5


def cleanup_locked(ctx):
    t.admin.cursor().execute("SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
                             "WHERE application_name = 'cancel-holder'")
    ctx["holder_runner"].join(10)
    ctx["holder"].close()


# (c3) a rate-limit wait in the same session as the previous request
def prep_same(victim):
    t.set_interval(30)
    victim.cursor().execute(Q_OTHER)
    return {"requests_before": len(mock_log())}


t.header()
for kind in ("cancel", "timeout"):
    t.run_case("(a) slow transfer (slow, delay 20)", kind, prep_slow, ready_slow)
    t.run_case("(b) retry backoff (503, Retry-After 30)", kind, prep_backoff, ready_backoff)
    t.run_case("(c1) rate-limit wait, other session", kind, prep_interval, ready_interval,
               t.after_interval)
    t.run_case("(c2) waiting for the lock held by a transfer", kind, prep_locked,
               ready_locked, cleanup_locked)
    t.run_case("(c3) rate-limit wait, same session", kind, prep_same, ready_interval,
               t.after_interval)
t.finish()
