#!/usr/bin/env bash
# Cancellation within one second, wherever a query waits:
#   (a)  during a slow transfer (mock fault "slow", 20 s before any byte)
#   (b)  during a retry backoff (503 with Retry-After: 30, max_retries 3)
#   (c1) during a rate-limit wait (request_interval 30; another session has
#        just made a request, so this one sleeps for its turn)
#   (c2) while blocked on the host's lock, held by a session in a slow transfer
#   (c3) during a rate-limit wait after a request of the same session
# each interrupted by pg_cancel_backend from another session, then by
# statement_timeout (1.5 s).  Measures the time from the cancel (or from the
# timeout's expiry) to the error, which must be < 1 s; checks SQLSTATE 57014
# with "canceling statement due to user request" / "... statement timeout";
# then that the session answers the next query at once, that a third session
# can make a request at once (no leaked lock), and, for (c1)/(c3), that the
# cancelled wait did not give away the turn: with request_interval still 30 s
# the next session must wait rather than send a request.
source "$(dirname "$0")/lib/common.bash"

t_db arxiv_t_cancel "request_interval '0', max_retries '3', timeout '60', cache_ttl '0'" ||
	{ t_fail "could not create the test database"; t_finish; }

PYTHONPATH="$ARXIV_TOP/test/shell/lib" $PYTHON "$ARXIV_TOP/test/shell/lib/cancel.py" \
	arxiv_t_cancel || t_fail "see the figures above"
t_finish
