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
import time

from interrupt import InterruptTest
from pgutil import mock, mock_fault, mock_log, mock_reset, mock_stats

PAGE = 25					# the mock's OAI-PMH page size here
Q_GET = "SELECT count(*) FROM oai_papers WHERE id = '0706.1534'"
Q_OTHER = "SELECT count(*) FROM oai_versions WHERE id = '2603.11438'"
Q_THIRD = "SELECT count(*) FROM oai_papers WHERE id = '0705.0002'"
Q_HARVEST = ("SELECT count(*), count(DISTINCT id) FROM oai_papers "
             "WHERE category = 'cs.OS' AND datestamp >= '2026-01-01'")


def set_page_size():
    mock("/oai/_mock/config", {"records_limit": PAGE})


def reset_mock():
    mock_reset()
    set_page_size()


def oai_requests(done_only=False):
    return [r for r in mock_log() if r.get("path") == "/oai" and (r.get("t_end") or not done_only)]


t = InterruptTest(sys.argv[1], "oai-cancel", reset_mock, Q_GET, Q_THIRD,
                  before_health=set_page_size, width=66)

# the fault-free harvest, for the checks afterwards
reset_mock()
c0 = t.admin.cursor()
c0.execute(Q_HARVEST)
t.q_full, t.full_expected = Q_HARVEST, c0.fetchone()
n_pages = len([r for r in oai_requests() if r.get("verb") == "ListRecords"])
print("harvest: %d papers (%d distinct) in %d pages of %d"
      % (t.full_expected[0], t.full_expected[1], n_pages, PAGE), flush=True)
if n_pages < 4:
    t.fail("the harvest has %d pages; the cases need at least 4" % n_pages)


def warm_up(victim):
    """the session's ListSets, before the case (a harvest needs it)"""
    victim.cursor().execute("SELECT count(*) FROM oai_papers WHERE category = 'cs.OS' "
                            "AND datestamp = '2026-01-01'")


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
    other = t.connect("other")
    other.cursor().execute(Q_OTHER)
    other.close()
    t.set_interval(30)
    return {"requests_before": len(mock_log())}


def prep_same(victim):
    victim.cursor().execute(Q_OTHER)
    t.set_interval(30)
    return {"requests_before": len(mock_log())}


def ready_interval(r, ctx, timed_out):
    if timed_out:
        return len(mock_log()) == ctx["requests_before"]
    return time.monotonic() - r.t_start > 0.5 and len(mock_log()) == ctx["requests_before"]


t.header()
for kind in ("cancel", "timeout"):
    t.run_case("(a1) slow GetRecord (slow, delay 20)", kind, prep_slow_get, ready_slow,
               warm_up=warm_up)
    t.run_case("(a2) slow later page of a harvest", kind, prep_slow_page, ready_slow,
               sql=Q_HARVEST, warm_up=warm_up)
    t.run_case("(b1) backoff, GetRecord (503, Retry-After 30)", kind, prep_backoff_get,
               ready_backoff, warm_up=warm_up)
    t.run_case("(b2) backoff, later page of a harvest", kind, prep_backoff_page, ready_backoff,
               sql=Q_HARVEST, warm_up=warm_up)
    t.run_case("(c1) rate-limit wait, other session", kind, prep_interval, ready_interval,
               t.after_interval, warm_up=warm_up)
    t.run_case("(c3) rate-limit wait, same session", kind, prep_same, ready_interval,
               t.after_interval, warm_up=warm_up)
t.finish()
