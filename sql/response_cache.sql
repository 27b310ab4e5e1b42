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

-- a listing is the cache of one scan: cached and replayed per role, so no
-- role sees what another searched for, neither in its plans' estimates
-- nor in its requests.  A view's scan runs as (and caches for) its owner.
ALTER SERVER arxiv OPTIONS (SET cache_ttl '3600');
SELECT arxiv_fdw.clear_cache() >= 0 AS cleared;
\! python3 test/mock/mockctl reset
CREATE ROLE regress_arxiv_a;
CREATE ROLE regress_arxiv_b;
GRANT SELECT ON papers TO regress_arxiv_a, regress_arxiv_b;
CREATE VIEW ni_papers AS SELECT id FROM papers WHERE category = 'cs.NI';
ALTER VIEW ni_papers OWNER TO regress_arxiv_a;
GRANT SELECT ON ni_papers TO regress_arxiv_b;
SET ROLE regress_arxiv_a;
SELECT count(*) FROM papers WHERE category = 'cs.NI';
EXPLAIN (COSTS OFF) SELECT count(*) FROM papers WHERE category = 'cs.NI';
EXPLAIN SELECT id FROM papers WHERE category = 'cs.NI';
\! python3 test/mock/mockctl count
SET ROLE regress_arxiv_b;
-- nothing learned, nothing cached for b: its own request
EXPLAIN SELECT id FROM papers WHERE category = 'cs.NI';
SELECT count(*) FROM papers WHERE category = 'cs.NI';
\! python3 test/mock/mockctl count
-- through a's view: a's estimate and a's cached listing
EXPLAIN SELECT id FROM ni_papers;
SELECT count(*) FROM ni_papers;
\! python3 test/mock/mockctl count
RESET ROLE;
SELECT count(*) FROM papers WHERE category = 'cs.NI';
\! python3 test/mock/mockctl count
DROP VIEW ni_papers;
REVOKE ALL ON papers FROM regress_arxiv_a, regress_arxiv_b;
DROP ROLE regress_arxiv_a, regress_arxiv_b;

-- what a refresh stores is arXiv as it is now: REFRESH and CREATE
-- MATERIALIZED VIEW and statements that write (INSERT ... SELECT, as the
-- cache refreshes) never replay cached pages; they still cache theirs
\set ar 'SELECT count(*) FROM (SELECT id FROM papers WHERE category = ''cs.AR'' AND published >= ''2026-06-01'' OFFSET 0) s'
:ar;
\! python3 test/mock/mockctl count
CREATE MATERIALIZED VIEW ar_recent AS
  SELECT id FROM papers WHERE category = 'cs.AR' AND published >= '2026-06-01';
\! python3 test/mock/mockctl count
:ar;
\! python3 test/mock/mockctl count
\! python3 test/mock/mockctl corpus '{"add_new": 1, "categories": ["cs.AR"]}' >/dev/null
-- a plain query may answer from the cache, up to cache_ttl old
:ar;
SELECT count(*) FROM ar_recent;
REFRESH MATERIALIZED VIEW ar_recent;
\! python3 test/mock/mockctl count
SELECT count(*) FROM ar_recent;
CREATE TEMP TABLE ar_copy (id text);
\! python3 test/mock/mockctl corpus '{"add_new": 1, "categories": ["cs.AR"]}' >/dev/null
INSERT INTO ar_copy SELECT id FROM papers WHERE category = 'cs.AR' AND published >= '2026-06-01';
\! python3 test/mock/mockctl count
SELECT count(*) FROM ar_copy;
DROP MATERIALIZED VIEW ar_recent;
\! python3 test/mock/mockctl reset

-- a listing is kept once its scan asked for every page it will ask for:
-- under a LIMIT, the pages that gave the Limit its rows; a scan stopped
-- earlier (a cursor closed after two rows) keeps nothing
BEGIN;
DECLARE c CURSOR FOR SELECT id FROM papers WHERE category = 'cs.OS' LIMIT 5;
FETCH 2 FROM c;
CLOSE c;
COMMIT;
SELECT count(*) FROM (SELECT id FROM papers WHERE category = 'cs.OS' LIMIT 5) s;
SELECT count(*) FROM (SELECT id FROM papers WHERE category = 'cs.OS' LIMIT 5) s;
\! python3 test/mock/mockctl count

-- replays are held to max_response_bytes as responses are: a cached page
-- larger than it is not replayed
:q;
:q;
\! python3 test/mock/mockctl count
ALTER SERVER arxiv OPTIONS (ADD max_response_bytes '20000');
:q;
\! python3 test/mock/mockctl count
ALTER SERVER arxiv OPTIONS (DROP max_response_bytes);

-- the cache is bounded by arxiv_fdw.response_cache_size: a listing larger
-- than it is not kept, and the oldest listings make room for new ones
SET arxiv_fdw.response_cache_size = '16kB';
SELECT arxiv_fdw.clear_cache() >= 0 AS cleared;
:q;
:q;
\! python3 test/mock/mockctl count
DO $$
BEGIN
  FOR i IN 1..40 LOOP
    PERFORM count(*) FROM papers WHERE id = '2601.' || lpad(i::text, 5, '0');
  END LOOP;
END $$;
\! python3 test/mock/mockctl count
SELECT sum(size) <= 16 * 1024 AS bounded,
       count(*) FILTER (WHERE f LIKE '%.atom') BETWEEN 10 AND 39 AS some_evicted
  FROM pg_ls_dir('arxiv_fdw/cache') f, pg_stat_file('arxiv_fdw/cache/' || f) s
 WHERE f NOT LIKE 'tmp.%';
RESET arxiv_fdw.response_cache_size;
-- only superusers change it
CREATE ROLE regress_arxiv_user;
SET ROLE regress_arxiv_user;
SET arxiv_fdw.response_cache_size = '1GB';
RESET ROLE;
DROP ROLE regress_arxiv_user;

-- only superusers may clear the cache or reset counters by default
CREATE ROLE regress_arxiv_user;
SET ROLE regress_arxiv_user;
SELECT arxiv_fdw.clear_cache();
SELECT arxiv_fdw.reset_stats();
SELECT requests >= 0 AS readable FROM arxiv_fdw.stats;
RESET ROLE;
DROP ROLE regress_arxiv_user;
DROP EXTENSION arxiv_fdw CASCADE;
