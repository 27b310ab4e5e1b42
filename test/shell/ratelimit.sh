#!/usr/bin/env bash
# The cluster-wide rate limit (src/ratelimit.c) against the mock, in four
# cases, each of which failed before the lock-manager queue:
#   (1) fairness: a server with request_interval 6 waiting for its turn
#       does not delay another server's requests (interval 0.5) to the same
#       host: each takes < 1.5 s (it took ~6 s: the long interval was
#       written into the shared slot file); its own request still starts
#       6-7.5 s after it began waiting, however busy the host.
#   (2) two waiters cancelled in their wait (interval 4) leave nothing
#       behind: the next request starts 4-5 s after the last real one (it
#       was 12 s: each cancelled waiter left its reserved slot).
#   (3) "localhost", "127.0.0.1" and "LOCALHOST" are one host: requests
#       through three servers are >= 1.95 s apart at interval 2 (they were
#       separate keys, and went back to back).
#   (4) a domain whose CHECK sleeps (0.2 s x 20 rows) does not hold the
#       host: a request from another database 1 s into the conversion takes
#       < 1 s (it waited for the whole conversion).
source "$(dirname "$0")/lib/common.bash"

t_db arxiv_t_ratelimit2 "request_interval '0', cache_ttl '0'" ||
	{ t_fail "could not create the test database"; t_finish; }
t_db arxiv_t_ratelimit ||
	{ t_fail "could not create the test database"; t_finish; }

PYTHONPATH="$ARXIV_TOP/test/shell/lib" $PYTHON "$ARXIV_TOP/test/shell/lib/ratelimit.py" \
	arxiv_t_ratelimit arxiv_t_ratelimit2 "$MOCK_PORT" || t_fail "see the figures above"
t_finish
