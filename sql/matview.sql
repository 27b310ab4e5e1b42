-- A materialized view over the foreign table: the simplest local copy.
-- Every REFRESH runs the whole query again (cost: all matching rows, not the
-- changes); CONCURRENTLY, with a unique index, lets readers go on meanwhile.
\getenv mock_url ARXIV_MOCK_URL
SET timezone = 'UTC';
\! python3 test/mock/mockctl reset
CREATE EXTENSION arxiv_fdw;
CREATE SERVER arxiv FOREIGN DATA WRAPPER arxiv_fdw
  OPTIONS (base_url :'mock_url', request_interval '0', max_retries '1',
           cache_ttl '0');
IMPORT FOREIGN SCHEMA arxiv FROM SERVER arxiv INTO public;
-- pages of 50, to show what a refresh costs
ALTER FOREIGN TABLE papers OPTIONS (ADD page_size '50');

CREATE MATERIALIZED VIEW os_2026 AS
  SELECT id, version, title, authors, categories, published, updated
    FROM papers
   WHERE category = 'cs.OS' AND published >= '2026-01-01';
\! python3 test/mock/mockctl requests
SELECT count(*) FROM os_2026;

-- CONCURRENTLY needs a unique index on plain columns
REFRESH MATERIALIZED VIEW CONCURRENTLY os_2026;
CREATE UNIQUE INDEX ON os_2026 (id);
CREATE INDEX ON os_2026 USING gin (categories);

-- the corpus changes: the view does not, until refreshed
\! python3 test/mock/mockctl corpus '{"add_new": 2, "categories": ["cs.OS"]}' >/dev/null
\! python3 test/mock/mockctl corpus '{"new_version": ["2605.09735"], "title": "A revised title"}' >/dev/null
SELECT count(*) FROM os_2026;
SELECT id, version, title FROM os_2026 WHERE id = '2605.09735';
REFRESH MATERIALIZED VIEW CONCURRENTLY os_2026;
-- the whole query again: four pages for three changes
\! python3 test/mock/mockctl requests
SELECT count(*) FROM os_2026;
SELECT id, version, title FROM os_2026 WHERE id = '2605.09735';
SELECT count(*) AS new_today FROM os_2026 WHERE published > now() - interval '1 day';

-- a refresh that fails (here on its third page) leaves the view as it was
CREATE TEMP TABLE before AS
  SELECT count(*) AS n, md5(string_agg(id || 'v' || version, ',' ORDER BY id)) AS digest
    FROM os_2026;
\set VERBOSITY terse
\! python3 test/mock/mockctl fault '{"kind": "status", "status": 503, "count": 10, "skip": 2}'
REFRESH MATERIALIZED VIEW CONCURRENTLY os_2026;
\! python3 test/mock/mockctl requests
\! python3 test/mock/mockctl fault '{"kind": "non_xml", "count": 10, "skip": 2}'
REFRESH MATERIALIZED VIEW os_2026;
\! python3 test/mock/mockctl count
\set VERBOSITY default
SELECT b.n = count(*) AND b.digest = md5(string_agg(id || 'v' || version, ',' ORDER BY id))
       AS unchanged
  FROM os_2026, before b GROUP BY b.n, b.digest;

-- joins with local tables use the view's indexes and make no request
CREATE TABLE reading_list (arxiv_id text PRIMARY KEY, note text);
INSERT INTO reading_list VALUES ('2605.09735', 'reread'), ('2603.18030', 'cite');
SELECT r.arxiv_id, r.note, v.version, 'cs.DC' = ANY (v.categories) AS distributed
  FROM reading_list r JOIN os_2026 v ON v.id = r.arxiv_id
 ORDER BY r.arxiv_id;
\! python3 test/mock/mockctl count

DROP TABLE reading_list;
DROP EXTENSION arxiv_fdw CASCADE;
