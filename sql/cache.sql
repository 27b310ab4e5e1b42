-- Local caches: creation, incremental and full refresh against a changing
-- corpus, what each refresh costs in requests, atomicity under faults, the
-- status view, joins with local tables, and dropping.
\getenv mock_url ARXIV_MOCK_URL
SET timezone = 'UTC';
\! python3 test/mock/mockctl reset
CREATE EXTENSION arxiv_fdw;
-- cache_ttl 0: every refresh must really ask the mock
CREATE SERVER arxiv FOREIGN DATA WRAPPER arxiv_fdw
  OPTIONS (base_url :'mock_url', request_interval '0', max_retries '1',
           cache_ttl '0');
IMPORT FOREIGN SCHEMA arxiv FROM SERVER arxiv INTO public;

-- what a cache's content is checked with: its size and a digest of every
-- row's identity and version, so "unchanged" means unchanged
CREATE FUNCTION cache_digest(c regclass, OUT n bigint, OUT digest text)
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('SELECT count(*), md5(string_agg(id || ''v'' || version || '' '' || updated || '' '' || title, '','' ORDER BY id)) FROM %s', c)
    INTO n, digest;
END $$;

-- creation: one request, the filter columns are left out, indexes for the
-- usual searches
SELECT arxiv_fdw.create_cache('os_papers', 'papers',
  $$category = 'cs.OS' AND published >= '2026-01-01'$$);
-- its status, without what depends on the clock
CREATE VIEW status AS
  SELECT name, foreign_table, filter, rows, last_refresh_kind,
         last_requests AS requests, last_inserted AS inserted,
         last_updated AS updated, last_deleted AS deleted,
         regexp_replace(last_error, '127\.0\.0\.1:[0-9]+', 'MOCK') AS last_error,
         high_water_mark = (SELECT max(updated) FROM os_papers) AS hwm_ok,
         last_error_time IS NOT NULL AS error_time_set
    FROM arxiv_fdw.cache_status WHERE name = 'os_papers';
\! python3 test/mock/mockctl requests
\d os_papers
SELECT count(*) = (SELECT count(*) FROM papers
                    WHERE category = 'cs.OS' AND published >= '2026-01-01') AS same_rows
  FROM os_papers;
\! python3 test/mock/mockctl count
\x on
SELECT * FROM status;
\x off

-- the catalog is part of the extension's dump
SELECT extconfig::regclass[] FROM pg_extension WHERE extname = 'arxiv_fdw';

-- three new papers and new versions of two cached ones: an incremental
-- refresh asks for the newest updates first and stops at the high-water
-- mark: one request
\! python3 test/mock/mockctl corpus '{"add_new": 3, "categories": ["cs.OS"]}' >/dev/null
\! python3 test/mock/mockctl corpus '{"new_version": ["2605.09735", "2603.18030"], "title": "A revised title"}' >/dev/null
SELECT id, version, title FROM os_papers WHERE id IN ('2605.09735', '2603.18030') ORDER BY id;
SELECT * FROM arxiv_fdw.refresh_cache('os_papers');
\! python3 test/mock/mockctl requests
SELECT id, version, title FROM os_papers WHERE id IN ('2605.09735', '2603.18030') ORDER BY id;
SELECT count(*) AS new_today FROM os_papers WHERE published > now() - interval '1 day';
SELECT n = (SELECT count(*) FROM papers WHERE category = 'cs.OS' AND published >= '2026-01-01')
       AS same_rows
  FROM cache_digest('os_papers');
\! python3 test/mock/mockctl count
SELECT * FROM status;

-- nothing changed: one request, nothing written
SELECT * FROM arxiv_fdw.refresh_cache('os_papers');
\! python3 test/mock/mockctl count

-- The cost follows the number of changes, not the size of the cache: with
-- pages of two entries, three more new papers (and the overlap with the
-- previous refresh) take five requests for a cache of 169.
ALTER FOREIGN TABLE papers OPTIONS (ADD page_size '2');
\! python3 test/mock/mockctl corpus '{"add_new": 3, "categories": ["cs.OS", "cs.DC"]}' >/dev/null

-- Atomicity: the second page fails (503 until the retries are spent).  The
-- first page was fetched, but the cache is exactly as it was.  (Terse: the
-- errors' details name the mock's port.)
CREATE TEMP TABLE before AS SELECT * FROM cache_digest('os_papers');
\set VERBOSITY terse
\! python3 test/mock/mockctl fault '{"kind": "status", "status": 503, "count": 10, "skip": 1}'
SELECT * FROM arxiv_fdw.refresh_cache('os_papers');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\! python3 test/mock/mockctl requests
SELECT d = b AS unchanged FROM cache_digest('os_papers') d, before b;
-- a refresh that raises leaves no trace in the status: the error rolled back
-- the recording of it too
SELECT last_error, error_time_set FROM status;
-- the procedure the scheduled jobs run commits the error, then raises it;
-- here the second page is not Atom
\! python3 test/mock/mockctl fault '{"kind": "non_xml", "count": 10, "skip": 1}'
CALL arxiv_fdw.refresh_cache_job('os_papers');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\set VERBOSITY default
\! python3 test/mock/mockctl requests
SELECT d = b AS unchanged FROM cache_digest('os_papers') d, before b;
SELECT last_error, error_time_set, rows, requests, inserted FROM status;
-- raise_errors => false makes the failure a warning, records it, and
-- returns no row; here the second page is arXiv's "Rate exceeded."
\! python3 test/mock/mockctl fault '{"kind": "rate_exceeded", "count": 10, "skip": 1}'
SELECT * FROM arxiv_fdw.refresh_cache('os_papers', raise_errors => false);
\! python3 test/mock/mockctl requests
SELECT d = b AS unchanged FROM cache_digest('os_papers') d, before b;
SELECT last_error, error_time_set FROM status;
-- a body cut short on the second page (the warning, which names the mock's
-- port, is not shown)
\! python3 test/mock/mockctl fault '{"kind": "truncated", "count": 10, "skip": 1}'
SET client_min_messages = error;
SELECT * FROM arxiv_fdw.refresh_cache('os_papers', raise_errors => false);
RESET client_min_messages;
\! python3 test/mock/mockctl requests
SELECT d = b AS unchanged FROM cache_digest('os_papers') d, before b;
SELECT last_error, error_time_set FROM status;
-- a cancel (statement_timeout) in the middle of the refresh: the mock
-- answers the second page after 5 s
\! python3 test/mock/mockctl fault '{"kind": "slow", "delay": 5, "skip": 1}'
SET statement_timeout = '2s';
SELECT * FROM arxiv_fdw.refresh_cache('os_papers', raise_errors => false);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET statement_timeout;
SELECT pg_sleep(0.5);  -- until the mock has seen the hang-up
\! python3 test/mock/mockctl requests
SELECT d = b AS unchanged FROM cache_digest('os_papers') d, before b;

-- without the fault: the three new papers, in five requests
SELECT * FROM arxiv_fdw.refresh_cache('os_papers');
\! python3 test/mock/mockctl requests
SELECT last_error, rows, requests, inserted, updated FROM status;
ALTER FOREIGN TABLE papers OPTIONS (DROP page_size);

-- A full refresh replaces the content: a row missing from the cache comes
-- back, an edited one is restored, one arXiv does not have goes.  Columns
-- added to the cache table are kept (and not compared).
DELETE FROM os_papers WHERE id = '2603.11438';
UPDATE os_papers SET title = 'edited locally' WHERE id = '2605.09735';
INSERT INTO os_papers (id, version, title, updated) VALUES ('2601.99999', 1, 'not on arXiv', '2026-01-02');
ALTER TABLE os_papers ADD COLUMN starred boolean DEFAULT false;
UPDATE os_papers SET starred = true WHERE id IN ('2603.18030', '2605.09735');
SELECT * FROM arxiv_fdw.refresh_cache('os_papers', full => true);
\! python3 test/mock/mockctl requests
SELECT id, version, title, starred FROM os_papers
 WHERE id IN ('2603.11438', '2605.09735', '2601.99999', '2603.18030') ORDER BY id;
SELECT n = (SELECT count(*) FROM papers WHERE category = 'cs.OS' AND published >= '2026-01-01')
       AS same_rows
  FROM cache_digest('os_papers');
\! python3 test/mock/mockctl count
SELECT last_refresh_kind, requests, inserted, updated, deleted, hwm_ok FROM status;
-- a full refresh that fails on its only page changes nothing either
CREATE TEMP TABLE before_full AS SELECT * FROM cache_digest('os_papers');
\! python3 test/mock/mockctl fault '{"kind": "non_xml", "count": 10}'
\set VERBOSITY terse
SELECT * FROM arxiv_fdw.refresh_cache('os_papers', full => true);
\! python3 test/mock/mockctl count
SELECT d = b AS unchanged FROM cache_digest('os_papers') d, before_full b;
-- nor does an answer with no entries, which arXiv gives by mistake at times
\! python3 test/mock/mockctl fault '{"kind": "empty_page", "count": 10}'
SELECT * FROM arxiv_fdw.refresh_cache('os_papers', full => true);
\! python3 test/mock/mockctl count
\set VERBOSITY default
SELECT d = b AS unchanged FROM cache_digest('os_papers') d, before_full b;

-- With the response cache on, a refresh soon after another still asks arXiv:
-- refreshes exist to see what changed (arxiv_fdw.response_cache is off in them).
ALTER SERVER arxiv OPTIONS (SET cache_ttl '3600');
SELECT arxiv_fdw.clear_cache() >= 0 AS cleared;
SELECT * FROM arxiv_fdw.refresh_cache('os_papers');
SELECT * FROM arxiv_fdw.refresh_cache('os_papers');
\! python3 test/mock/mockctl count
ALTER SERVER arxiv OPTIONS (SET cache_ttl '0');

-- searches the indexes serve
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM os_papers WHERE categories @> '{cs.DC}';
EXPLAIN (COSTS OFF) SELECT id FROM os_papers WHERE authors @> '{Jan Kaiser-Nowak}';
EXPLAIN (COSTS OFF) SELECT id FROM os_papers
 WHERE to_tsvector('english', coalesce(title, '') || ' ' || coalesce(abstract, ''))
       @@ websearch_to_tsquery('english', 'kernel scheduling');
RESET enable_seqscan;
SELECT count(*) > 0 AS found FROM os_papers
 WHERE to_tsvector('english', coalesce(title, '') || ' ' || coalesce(abstract, ''))
       @@ websearch_to_tsquery('english', 'kernel');

-- joins: a local reading list with the cache (no request), and with the
-- foreign table for what the cache does not hold
CREATE TABLE reading_list (arxiv_id text PRIMARY KEY, note text);
INSERT INTO reading_list VALUES
  ('2605.09735', 'revised: reread'),
  ('2603.18030', 'cite in chapter 2'),
  ('2512.01594', 'from 2025: not cached');
SELECT r.arxiv_id, r.note, p.version, p.primary_category
  FROM reading_list r JOIN os_papers p ON p.id = r.arxiv_id
 ORDER BY r.arxiv_id;
\! python3 test/mock/mockctl count
-- (the ids as an array: one request for exactly the missing ones, whatever
-- plan the join would get)
SELECT id, version, primary_category FROM papers
 WHERE id = ANY (ARRAY(SELECT r.arxiv_id FROM reading_list r
                        WHERE NOT EXISTS (SELECT 1 FROM os_papers c WHERE c.id = r.arxiv_id)));
\! python3 test/mock/mockctl requests
-- a cache of exactly the papers on the list: one request for all the ids
SELECT arxiv_fdw.create_cache('reading_papers', 'papers',
  'id = ANY (ARRAY(SELECT arxiv_id FROM public.reading_list))');
SELECT * FROM arxiv_fdw.refresh_cache('reading_papers');
\! python3 test/mock/mockctl requests
SELECT id, version FROM reading_papers ORDER BY id;

-- a user-declared foreign table: other names, fewer columns
CREATE FOREIGN TABLE my_papers (
  arxiv_id text OPTIONS (field 'id'),
  changed timestamptz OPTIONS (field 'updated'),
  submitted timestamptz OPTIONS (field 'published'),
  cat text OPTIONS (field 'category'),
  title varchar(500),
  tags text[] OPTIONS (field 'categories'))
  SERVER arxiv;
SELECT arxiv_fdw.create_cache('public.kernel_titles', 'my_papers',
  $$cat = 'cs.OS' AND title ~* 'kernel' AND submitted < '2026-06-21'$$,
  refresh_overlap => '1 day');
\d kernel_titles
SELECT * FROM arxiv_fdw.refresh_cache('kernel_titles');
\! python3 test/mock/mockctl requests
SELECT name, foreign_table, filter, rows > 0 AS has_rows, refresh_overlap,
       last_refresh_kind
  FROM arxiv_fdw.cache_status ORDER BY name;

-- errors
\set VERBOSITY default
SELECT arxiv_fdw.create_cache('c1', 'papers', 'category = ');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT arxiv_fdw.create_cache('c1', 'papers', 'colour = ''blue''');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT arxiv_fdw.create_cache('c1', 'papers', 'true; DROP TABLE reading_list');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT arxiv_fdw.create_cache('c1', 'papers', 'true); DROP TABLE reading_list; SELECT (1');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT arxiv_fdw.create_cache('c1', 'papers', $$true$$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT arxiv_fdw.create_cache('c1', 'papers', ' ');
SELECT arxiv_fdw.create_cache('c1', 'reading_list', 'true');
SELECT arxiv_fdw.create_cache('os_papers', 'papers', $$category = 'cs.OS'$$);
SELECT arxiv_fdw.create_cache('a.b.c', 'papers', $$category = 'cs.OS'$$);
SELECT arxiv_fdw.create_cache('c1', 'papers', $$category = 'cs.OS'$$, '-1 hour');
CREATE FOREIGN TABLE no_updated (id text, category text) SERVER arxiv;
SELECT arxiv_fdw.create_cache('c1', 'no_updated', $$category = 'cs.OS'$$);
SELECT * FROM arxiv_fdw.refresh_cache('no_such_cache');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM arxiv_fdw.refresh_cache('reading_list');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- the procedure commits, so it cannot run inside a transaction block; it
-- says so before making any request
BEGIN;
CALL arxiv_fdw.refresh_cache_job('os_papers');
ROLLBACK;
-- pg_cron lives in the database named by cron.database_name, not this one.
-- The hint names that setting's value, which differs between clusters
-- (make installcheck runs on any cluster): it is shown with the value masked.
\set VERBOSITY terse
SELECT arxiv_fdw.schedule_refresh('os_papers', '0 6 * * *');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\set VERBOSITY default
DO $$
DECLARE
    d text;
    h text;
BEGIN
    PERFORM arxiv_fdw.require_pg_cron();
EXCEPTION WHEN undefined_object THEN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
    RAISE NOTICE 'detail: %', d;
    RAISE NOTICE 'hint: %', regexp_replace(h,
        'cron\.database_name \((''[^'']*''|not set: pg_cron is not loaded)\)',
        'cron.database_name (<value>)');
END
$$;
SELECT to_regclass('reading_list') IS NOT NULL AS reading_list_kept;
\! python3 test/mock/mockctl count

-- another role sees and refreshes only the caches it owns
CREATE ROLE regress_arxiv_reader;
GRANT USAGE ON SCHEMA arxiv_fdw TO regress_arxiv_reader;
SET ROLE regress_arxiv_reader;
SELECT count(*) FROM arxiv_fdw.cache_status;
SELECT * FROM arxiv_fdw.refresh_cache('os_papers');
RESET ROLE;

-- arXiv does not delete papers: a full refresh that finds none where the
-- cache has some is taken for an API failure.  (The mock's reset takes the
-- papers added above away again.)
SELECT arxiv_fdw.create_cache('recent', 'papers', $$category = 'cs.OS' AND published > '2026-06-21'$$);
\! python3 test/mock/mockctl reset
SELECT * FROM arxiv_fdw.refresh_cache('recent', full => true);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) FROM recent;
-- an incremental refresh simply finds nothing new
SELECT * FROM arxiv_fdw.refresh_cache('recent');
\! python3 test/mock/mockctl count

-- dropping: drop_cache, or a plain DROP TABLE, takes the catalog row along
DROP VIEW status;
SELECT arxiv_fdw.drop_cache('os_papers');
DROP TABLE kernel_titles, recent, reading_papers;
SELECT count(*) FROM arxiv_fdw.caches;
SELECT to_regclass('os_papers');
\! python3 test/mock/mockctl count

REVOKE USAGE ON SCHEMA arxiv_fdw FROM regress_arxiv_reader;
DROP ROLE regress_arxiv_reader;
DROP TABLE reading_list;
DROP EXTENSION arxiv_fdw CASCADE;
