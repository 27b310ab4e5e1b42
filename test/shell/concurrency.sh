#!/usr/bin/env bash
# Concurrency: arXiv allows one request per request_interval for all sessions
# of a cluster together, one connection at a time (src/ratelimit.c queues
# them on a lock-manager lock per host and keeps the last start in a file).
#
# Phase 1: 10 sessions start together, each running 3 queries that page
# (page_size 50, 1-4 pages each), with request_interval 0.5 s.  The mock's
# detector is set to min_interval 0.45 s: a request starting less than 0.45 s
# after the previous one STARTED, or while another is in progress, is a
# violation.  The 0.05 s margin absorbs the delay between the backend taking
# its slot (its clock) and the mock seeing the request (its clock): connection
# set-up and thread scheduling on localhost, under 10 ms in practice (the
# extension adds 50 ms of its own on top of the interval).
# Asserts: interval_violations == 0, max_concurrent == 1, every session
# completes all its queries with the right number of rows (each session's
# queries, requests and longest rate-limit wait are printed), and the wall
# time is consistent with requests x interval: the first-to-last span is at
# least (requests - 1) x interval, the wall time at most
# 1.3 x requests x interval + 3 s (the slot is not left idle).
#
# Phase 2, fairness: one session runs a long paging scan (back-to-back
# requests) and another asks for one id a second later; that one-request
# query must finish within 6 intervals + 0.5 s, not after the whole scan.
#
# Phase 3: a connection reset on a reused keep-alive connection (libcurl
# resends such a request by itself) must not produce a request closer than
# the interval.
source "$(dirname "$0")/lib/common.bash"

SESSIONS=${SESSIONS:-10}
QUERIES=${QUERIES:-3}
INTERVAL=0.5
MIN_GAP=0.45

t_db arxiv_t_concurrency "request_interval '$INTERVAL', page_size '50', max_retries '0', cache_ttl '0'" ||
	{ t_fail "could not create the test database"; t_finish; }
# one request first, so that no session starts with an unlocked file to create
t_psql -c "SELECT count(*) FROM papers WHERE id = '2605.09735'" >/dev/null || t_fail "warm-up query"
sleep "$INTERVAL"

PYTHONPATH="$ARXIV_TOP/test/shell/lib" $PYTHON "$ARXIV_TOP/test/shell/lib/concurrency.py" \
	arxiv_t_concurrency "$SESSIONS" "$QUERIES" "$INTERVAL" "$MIN_GAP" ||
	t_fail "see the figures above"
t_finish
