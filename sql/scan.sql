-- Scans against the mock arXiv API: every column's mapping, the id forms,
-- paging, user-declared tables, and what each query cost in requests.
\getenv mock_url ARXIV_MOCK_URL
SET timezone = 'UTC';
CREATE EXTENSION arxiv_fdw;
CREATE SERVER arxiv FOREIGN DATA WRAPPER arxiv_fdw
  OPTIONS (base_url :'mock_url', request_interval '0', page_size '500', cache_ttl '0');
IMPORT FOREIGN SCHEMA arxiv FROM SERVER arxiv INTO public;
\! python3 test/mock/mockctl reset

-- one entry, every column (a seed paper with a comment and a second page of authors)
\x on
SELECT * FROM papers WHERE id = '2605.09735';
-- an old-style id
SELECT id, version, primary_category, categories, published, abs_url, pdf_url
  FROM papers WHERE id = 'astro-ph/0001001';
\x off
\! python3 test/mock/mockctl requests

-- affiliations and jsonb
SELECT id, jsonb_array_length(author_details) AS n_authors,
       author_details -> 0 ->> 'name' = authors[1] AS same_first_author,
       (SELECT count(*) FROM jsonb_array_elements(author_details) a
         WHERE jsonb_array_length(a -> 'affiliations') > 0) > 0 AS has_affiliations
  FROM papers WHERE id = '0704.2529';
-- titles and abstracts have no line breaks or double spaces left
SELECT count(*) AS entries,
       count(*) FILTER (WHERE title ~ '\s\s|\n' OR abstract ~ '\s\s|\n') AS unwrapped_badly,
       count(*) FILTER (WHERE updated < published) AS updated_before_published,
       count(*) FILTER (WHERE NOT (primary_category = ANY (categories))) AS primary_not_listed,
       count(*) FILTER (WHERE category <> 'cs.OS') AS wrong_category
  FROM papers WHERE category = 'cs.OS' AND published >= '2026-01-01';
\! python3 test/mock/mockctl requests

-- versions: the latest by default, an older one by versioned id or by version
SELECT id, version, updated FROM papers WHERE id = '2603.18030';
SELECT id, version, updated FROM papers WHERE id = '2603.18030v1';
SELECT id, version, updated FROM papers WHERE id = '2603.18030' AND version = 1;
\! python3 test/mock/mockctl requests

-- id lists: IN, ANY, duplicates, unknown and malformed ids
SELECT id, version FROM papers
 WHERE id IN ('2605.09735', '2603.11438', '2605.09735', '0000.00000', 'abc') ORDER BY id;
SELECT count(*) FROM papers WHERE id = ANY (ARRAY['2605.09735', NULL, '2603.11438']);
\! python3 test/mock/mockctl requests
-- conditions that match nothing make no request at all
SELECT count(*) FROM papers WHERE id = 'not an id';
SELECT count(*) FROM papers WHERE category = 'not a category';
SELECT count(*) FROM papers WHERE id = '2605.09735' AND id = '2603.11438';
SELECT count(*) FROM papers WHERE category = 'cs.OS' AND published > 'infinity';
SELECT count(*) FROM papers WHERE author = '--';
\! python3 test/mock/mockctl count

-- paging: advancing by entries received, until totalResults (count(title)
-- reads every entry; count(*) is answered by totalResults, below)
SELECT count(title) FROM papers WHERE category = 'cs.OS';
\! python3 test/mock/mockctl requests
-- the filter columns take arXiv's meaning
SELECT count(title) FROM papers WHERE author = 'Kaiser' AND category = 'cs.LG';
SELECT count(title) FROM papers WHERE search = 'cat:cs.OS AND ti:kernel';
SELECT DISTINCT category, author, search FROM papers
 WHERE author = 'Kaiser' AND category IN ('cs.LG', 'stat.ML') AND search = 'all:learning';
\! python3 test/mock/mockctl requests

-- a large id list goes as a POST form, in batches of page_size
CREATE TEMP TABLE many_ids AS
  SELECT id FROM papers WHERE category = 'cs.OS' AND published >= '2025-01-01';
SELECT count(*) > 300 AS enough FROM many_ids;
\! python3 test/mock/mockctl reset
SELECT count(*) = (SELECT count(*) FROM many_ids) AS all_found
  FROM papers WHERE id = ANY (ARRAY(SELECT id FROM many_ids));
\! python3 test/mock/mockctl requests search_query max_results

-- a table with its own query, and a user-declared table: a subset of the
-- columns, in another order, with other types and names
CREATE FOREIGN TABLE os_kernels (title text, id varchar(20))
  SERVER arxiv OPTIONS (query 'cat:cs.OS AND ti:kernel', page_size '50');
SELECT count(title) FROM os_kernels;
CREATE FOREIGN TABLE my_papers (
  day date OPTIONS (field 'published'),
  arxiv_id varchar(30) OPTIONS (field 'id'),
  n_version bigint OPTIONS (field 'version'),
  cats text OPTIONS (field 'categories'),
  published timestamp)
  SERVER arxiv;
SELECT * FROM my_papers WHERE arxiv_id = '2605.09735';
\! python3 test/mock/mockctl requests

-- EXPLAIN makes no request; EXPLAIN ANALYZE counts them
EXPLAIN (COSTS OFF) SELECT id FROM papers WHERE category = 'cs.OS';
\! python3 test/mock/mockctl count
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT id FROM papers WHERE category = 'cs.OS';
\! python3 test/mock/mockctl count


-- use_remote_estimate: one max_results=1 request at plan time gives the rows
ALTER SERVER arxiv OPTIONS (ADD use_remote_estimate 'true');
EXPLAIN SELECT id FROM papers WHERE category = 'cs.LG';
\! python3 test/mock/mockctl requests
ALTER SERVER arxiv OPTIONS (DROP use_remote_estimate);
EXPLAIN SELECT id FROM papers WHERE category = 'cs.LG';

-- count(*) over conditions arXiv answers exactly: the totalResults of one
-- max_results=1 request, whatever the number of results
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM papers WHERE category = 'cs.OS';
SELECT count(*) FROM papers WHERE category = 'cs.OS';
SELECT count(*), count(*) + 1 AS plus_one FROM papers WHERE category = 'cs.LG';
SELECT count(*) FROM (SELECT * FROM papers WHERE category = 'cs.LG' AND author = 'Kaiser') s;
SELECT count(*) FROM papers WHERE search = 'cat:cs.OS AND ti:kernel';
SELECT count(*) FROM papers WHERE category = 'no.such';
SELECT count(*) FROM os_kernels;
\! python3 test/mock/mockctl requests
-- not when PostgreSQL rechecks rows, for id lists, or for other aggregates
EXPLAIN (COSTS OFF) SELECT count(*) FROM papers WHERE category = 'cs.OS' AND title ILIKE '%kernel%';
EXPLAIN (COSTS OFF) SELECT count(*) FROM papers WHERE category = 'cs.OS' AND published >= '2026-01-01';
EXPLAIN (COSTS OFF) SELECT count(*) FROM papers WHERE id IN ('2605.09735', '2603.11438');
EXPLAIN (COSTS OFF) SELECT primary_category, count(*) FROM papers WHERE category = 'cs.OS' GROUP BY 1;
EXPLAIN (COSTS OFF) SELECT count(*) FROM papers WHERE category = 'cs.OS' HAVING count(*) > 1;
EXPLAIN (COSTS OFF) SELECT count(*), max(published) FROM papers WHERE category = 'cs.OS';
EXPLAIN (COSTS OFF) SELECT count(DISTINCT primary_category) FROM papers WHERE category = 'cs.OS';
\! python3 test/mock/mockctl count

-- progress of a long scan
SET arxiv_fdw.progress = on;
SELECT count(title) FROM papers WHERE category = 'cs.OS';
RESET arxiv_fdw.progress;
\! python3 test/mock/mockctl count

DROP EXTENSION arxiv_fdw CASCADE;
