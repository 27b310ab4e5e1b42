-- The response cache: an identical request within cache_ttl is answered
-- without the network, from any session of the cluster; failed or partial
-- responses are never cached.  And the usage statistics.
\getenv mock_url ARXIV_MOCK_URL
SET timezone = 'UTC';
CREATE EXTENSION arxiv_fdw;
CREATE SERVER arxiv FOREIGN DATA WRAPPER arxiv_fdw
  OPTIONS (base_url :'mock_url', request_interval '0', page_size '100', max_retries '1');
IMPORT FOREIGN SCHEMA arxiv FROM SERVER arxiv INTO public;
SELECT arxiv_fdw.clear_cache() >= 0 AS cleared;
SELECT arxiv_fdw.reset_stats();
\! python3 test/mock/mockctl reset
\set q 'SELECT count(*), max(published) FROM papers WHERE category = ''cs.OS'' AND published >= ''2026-01-01'''

-- first time: two pages from the network; then none
:q;
\! python3 test/mock/mockctl count
:q;
\! python3 test/mock/mockctl count
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) :q;

-- another session of the cluster uses the same cache
\c
SET timezone = 'UTC';
:q;
\! python3 test/mock/mockctl count
SELECT requests, cache_hits, entries FROM arxiv_fdw.session_stats();

-- different parameters are a different request
SELECT count(*) FROM papers WHERE category = 'cs.OS' AND published >= '2026-02-01';
\! python3 test/mock/mockctl count

-- a response that failed is not cached: the next attempt goes to the network
SELECT arxiv_fdw.clear_cache() > 0 AS removed_some;
\! python3 test/mock/mockctl fault '{"kind": "truncated", "count": 2}'
:q;
\! python3 test/mock/mockctl count
:q;
:q;
\! python3 test/mock/mockctl count

-- estimates learned from earlier scans: the rows of a search that arXiv
-- counted before (kept like responses, and cleared with them)
EXPLAIN SELECT id FROM papers WHERE category = 'cs.PF';
SELECT count(*) FROM papers WHERE category = 'cs.PF';
EXPLAIN SELECT id FROM papers WHERE category = 'cs.PF';
EXPLAIN SELECT id FROM papers WHERE category = 'cs.PF' AND title ILIKE '%performance%';
EXPLAIN SELECT id FROM papers WHERE category = 'cs.PF' AND published >= '2026-01-01';
SELECT arxiv_fdw.clear_cache() > 0 AS removed_some;
EXPLAIN SELECT id FROM papers WHERE category = 'cs.PF';
\! python3 test/mock/mockctl count

-- cache_ttl 0 turns the cache off
ALTER SERVER arxiv OPTIONS (ADD cache_ttl '0');
:q;
:q;
\! python3 test/mock/mockctl count

-- the cluster's counters since the reset (requests: 2 + 2 + 2 + 2 + 1 + 4)
SELECT requests, cache_hits, retries, errors_transport, errors_http,
       entries > 0 AS some_entries, bytes > 0 AS some_bytes, stats_reset IS NOT NULL AS was_reset
  FROM arxiv_fdw.stats;
-- only superusers may clear the cache or reset counters by default
CREATE ROLE regress_arxiv_user;
SET ROLE regress_arxiv_user;
SELECT arxiv_fdw.clear_cache();
SELECT arxiv_fdw.reset_stats();
SELECT requests >= 0 AS readable FROM arxiv_fdw.stats;
RESET ROLE;
DROP ROLE regress_arxiv_user;
DROP EXTENSION arxiv_fdw CASCADE;
