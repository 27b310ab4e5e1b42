-- Failure paths: arXiv error feeds, HTTP errors, bodies that are not Atom,
-- timeouts and size limits.  Retryable faults are retried (max_retries) and
-- either recover or end in a clear ERROR; nothing returns partial rows.
\getenv mock_url ARXIV_MOCK_URL
SET timezone = 'UTC';
CREATE EXTENSION arxiv_fdw;
CREATE SERVER arxiv FOREIGN DATA WRAPPER arxiv_fdw
  OPTIONS (base_url :'mock_url', request_interval '0', max_retries '2', timeout '2', cache_ttl '0');
IMPORT FOREIGN SCHEMA arxiv FROM SERVER arxiv INTO public;
\! python3 test/mock/mockctl reset
\set q 'SELECT count(*) FROM papers WHERE category = ''cs.OS'' AND published >= ''2026-06-01'''

-- an arXiv error feed, with HTTP 400 (a query arXiv cannot parse) and with 200
SELECT count(*) FROM papers WHERE search = 'ti:AND OR';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\! python3 test/mock/mockctl fault '{"kind": "error_feed_200", "message": "something went wrong"}'
:q;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\! python3 test/mock/mockctl requests

-- 503 with Retry-After twice, then success: three requests, right answer
\! python3 test/mock/mockctl fault '{"kind": "status", "status": 503, "retry_after": 1, "count": 2}'
:q;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\! python3 test/mock/mockctl requests
-- 429 and 5xx until the retries are spent
\! python3 test/mock/mockctl fault '{"kind": "status", "status": 429, "count": 3}'
:q;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\! python3 test/mock/mockctl fault '{"kind": "status", "status": 502, "count": 3}'
:q;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\! python3 test/mock/mockctl count
-- other statuses are not retried
\! python3 test/mock/mockctl fault '{"kind": "status", "status": 404}'
:q;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\! python3 test/mock/mockctl count

-- bodies that are not a complete Atom feed: retried, then an error
\! python3 test/mock/mockctl fault '{"kind": "truncated", "count": 1}'
:q;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\! python3 test/mock/mockctl fault '{"kind": "truncated", "count": 3}'
:q;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\! python3 test/mock/mockctl fault '{"kind": "non_xml", "count": 3}'
:q;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\! python3 test/mock/mockctl fault '{"kind": "blank", "count": 3}'
:q;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\! python3 test/mock/mockctl fault '{"kind": "rate_exceeded", "count": 3}'
:q;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\! python3 test/mock/mockctl fault '{"kind": "html_denied", "count": 3}'
:q;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\! python3 test/mock/mockctl count

-- an empty page in the middle of paging is retried, never taken as the end
ALTER SERVER arxiv OPTIONS (ADD page_size '50');
\set q2 'SELECT count(*) FROM papers WHERE category = ''cs.OS'' AND published >= ''2026-01-01'''
\! python3 test/mock/mockctl fault '{"kind": "empty_page", "skip": 1, "count": 1}'
:q2;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\! python3 test/mock/mockctl requests start max_results
\! python3 test/mock/mockctl fault '{"kind": "empty_page", "skip": 1, "count": 3}'
:q2;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\! python3 test/mock/mockctl count
ALTER SERVER arxiv OPTIONS (DROP page_size);

-- a connection reset, then a stall beyond the timeout
\! python3 test/mock/mockctl fault '{"kind": "reset", "count": 1}'
:q;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\! python3 test/mock/mockctl fault '{"kind": "stall", "delay": 5, "count": 3}'
:q;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\! python3 test/mock/mockctl count

-- nothing listens there
ALTER SERVER arxiv OPTIONS (SET base_url 'http://127.0.0.1:9/api/query', SET max_retries '0');
:q;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ALTER SERVER arxiv OPTIONS (SET base_url :'mock_url', SET max_retries '2');

-- credentials in base_url appear in no message (errmsg or errdetail)
ALTER SERVER arxiv OPTIONS (SET base_url 'http://reader:s3cret@127.0.0.1:9/api/query', SET max_retries '0');
:q;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ALTER SERVER arxiv OPTIONS (SET base_url :'mock_url', SET max_retries '2');

-- an option value the validator never saw (written before it existed) is
-- parsed at use by the same function, and refused, before any request
\! python3 test/mock/mockctl reset
UPDATE pg_foreign_server SET srvoptions = array_append(srvoptions, 'page_size=0x10')
  WHERE srvname = 'arxiv';
SET statement_timeout = '10s';
SELECT count(*) FROM papers WHERE id IN ('2605.09735', '2603.11438');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET statement_timeout;
UPDATE pg_foreign_server SET srvoptions = array_remove(srvoptions, 'page_size=0x10')
  WHERE srvname = 'arxiv';
\! python3 test/mock/mockctl count

-- a response larger than max_response_bytes
ALTER SERVER arxiv OPTIONS (ADD max_response_bytes '2048');
:q;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ALTER SERVER arxiv OPTIONS (DROP max_response_bytes);

-- statement_timeout interrupts a slow transfer promptly
\! python3 test/mock/mockctl fault '{"kind": "slow", "delay": 10}'
SET statement_timeout = '500ms';
SELECT clock_timestamp() AS t0 \gset
:q;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET statement_timeout;
SELECT clock_timestamp() - :'t0' < interval '2 seconds' AS prompt;
\! python3 test/mock/mockctl reset

-- and a plain query still works afterwards
:q;
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- a database that is not UTF-8 is refused before any request
SELECT current_database() AS regress_db \gset
CREATE DATABASE regress_arxiv_latin1 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
\c regress_arxiv_latin1
CREATE EXTENSION arxiv_fdw;
CREATE SERVER arxiv FOREIGN DATA WRAPPER arxiv_fdw
  OPTIONS (base_url :'mock_url', request_interval '0', cache_ttl '0');
IMPORT FOREIGN SCHEMA arxiv FROM SERVER arxiv INTO public;
\! python3 test/mock/mockctl reset
SELECT count(*) FROM papers WHERE search = 'Gödel';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\! python3 test/mock/mockctl count
\c :regress_db
DROP DATABASE regress_arxiv_latin1;

DROP EXTENSION arxiv_fdw CASCADE;
