-- Pushdown: for each query the plan (what goes to arXiv, what stays
-- local), the rows compared with the same query over a local copy of the
-- mock's corpus, and the requests it cost (default page_size 1000).
\getenv mock_url ARXIV_MOCK_URL
SET timezone = 'UTC';
CREATE EXTENSION arxiv_fdw;
CREATE SERVER arxiv FOREIGN DATA WRAPPER arxiv_fdw
  OPTIONS (base_url :'mock_url', request_interval '0', cache_ttl '0');
IMPORT FOREIGN SCHEMA arxiv FROM SERVER arxiv INTO public;
\! python3 test/mock/mockctl reset

-- the corpus as it should come out of papers
CREATE TABLE corpus (id text PRIMARY KEY, version int, title text, abstract text,
  authors text[], author_details jsonb, primary_category text, categories text[],
  published timestamptz, updated timestamptz, comment text, journal_ref text,
  doi text, abs_url text, pdf_url text);
\copy corpus FROM PROGRAM 'python3 test/mock/mockctl dump'
SELECT count(*) AS corpus_papers FROM corpus;

CREATE FUNCTION same_rows(remote text, local text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  r text[];
  l text[];
BEGIN
  EXECUTE format('SELECT array_agg(id ORDER BY id) FROM papers WHERE %s', remote) INTO r;
  EXECUTE format('SELECT array_agg(id ORDER BY id) FROM corpus WHERE %s', local) INTO l;
  IF r IS NOT DISTINCT FROM l THEN
    RETURN format('same %s rows', coalesce(cardinality(r), 0));
  END IF;
  RETURN format('DIFFERENT: %s rows from arXiv, %s expected',
                coalesce(cardinality(r), 0), coalesce(cardinality(l), 0));
END $$;

CREATE FUNCTION same_order(w text, o text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  r timestamptz[];
  l timestamptz[];
BEGIN
  EXECUTE format('SELECT array_agg(published) FROM (SELECT published FROM papers WHERE %s %s) s', w, o) INTO r;
  EXECUTE format('SELECT array_agg(published) FROM (SELECT published FROM corpus WHERE %s %s) s',
                 replace(w, 'category = ''cs.OS''', '''cs.OS'' = ANY (categories)'), o) INTO l;
  IF r IS NOT DISTINCT FROM l THEN
    RETURN format('same %s rows in the same order', coalesce(cardinality(r), 0));
  END IF;
  RETURN format('DIFFERENT: %s rows from arXiv, %s expected',
                coalesce(cardinality(r), 0), coalesce(cardinality(l), 0));
END $$;
\! python3 test/mock/mockctl reset


-- categories
\set w 'category = ''cs.OS'''
\set l '''cs.OS'' = ANY(categories)'
\i test/regress/case.inc
\set w 'category IN (''cs.AR'', ''cs.PF'')'
\set l 'categories && ARRAY[''cs.AR'', ''cs.PF'']'
\i test/regress/case.inc
\set w 'category = ANY (ARRAY[''cs.AR'', NULL, ''cs.PF''])'
\set l 'categories && ARRAY[''cs.AR'', ''cs.PF'']'
\i test/regress/case.inc
\set w 'category LIKE ''cs.%'' AND published >= ''2026-06-15'''
\set l 'EXISTS (SELECT FROM unnest(categories) c WHERE c LIKE ''cs.%'') AND published >= ''2026-06-15'''
\i test/regress/case.inc
\set w 'primary_category = ''cs.OS'''
\set l 'primary_category = ''cs.OS'''
\i test/regress/case.inc
\set w '''cs.OS'' = ANY (categories) AND published >= ''2026-01-01'''
\set l '''cs.OS'' = ANY (categories) AND published >= ''2026-01-01'''
\i test/regress/case.inc
\set w 'categories @> ARRAY[''cs.OS'', ''cs.LG'']'
\set l 'categories @> ARRAY[''cs.OS'', ''cs.LG'']'
\i test/regress/case.inc
\set w 'categories && ARRAY[''cs.AR'', ''cs.PF''] AND published >= ''2026-01-01'''
\set l 'categories && ARRAY[''cs.AR'', ''cs.PF''] AND published >= ''2026-01-01'''
\i test/regress/case.inc
\set w '''I.2.6'' = ANY (categories) AND category = ''cs.LG'''
\set l '''I.2.6'' = ANY (categories) AND ''cs.LG'' = ANY (categories)'
\i test/regress/case.inc

-- authors and text
\set w '''Adrian Del Maestro'' = ANY (authors)'
\set l '''Adrian Del Maestro'' = ANY (authors)'
\i test/regress/case.inc
\set w 'authors @> ARRAY[''Adrian Del Maestro''] AND published >= ''2015-01-01'''
\set l 'authors @> ARRAY[''Adrian Del Maestro''] AND published >= ''2015-01-01'''
\i test/regress/case.inc
\set w 'title ILIKE ''% kernel %'' AND category = ''cs.OS'''
\set l 'title ILIKE ''% kernel %'' AND ''cs.OS'' = ANY (categories)'
\i test/regress/case.inc
\set w 'title ILIKE ''%kernel%'' AND category = ''cs.OS'''
\set l 'title ILIKE ''%kernel%'' AND ''cs.OS'' = ANY (categories)'
\i test/regress/case.inc
\set w 'title ~* ''\\mcache\\M'' AND published >= ''2026-03-01'''
\set l 'title ~* ''\\mcache\\M'' AND published >= ''2026-03-01'''
\i test/regress/case.inc
\set w 'abstract ILIKE ''% the scheduler %'' AND category = ''cs.OS'''
\set l 'abstract ILIKE ''% the scheduler %'' AND ''cs.OS'' = ANY (categories)'
\i test/regress/case.inc
\set w 'comment LIKE ''% pages, %'' AND category = ''cs.OS'' AND published >= ''2026-03-01'''
\set l 'comment LIKE ''% pages, %'' AND ''cs.OS'' = ANY (categories) AND published >= ''2026-03-01'''
\i test/regress/case.inc
\set w 'journal_ref ILIKE ''%Proceedings%'' AND category = ''cs.OS'''
\set l 'journal_ref ILIKE ''%Proceedings%'' AND ''cs.OS'' = ANY (categories)'
\i test/regress/case.inc

-- dates
\set w 'category = ''cs.OS'' AND published BETWEEN ''2026-05-01'' AND ''2026-05-31 23:59:00'''
\set l '''cs.OS'' = ANY (categories) AND published BETWEEN ''2026-05-01'' AND ''2026-05-31 23:59:00'''
\i test/regress/case.inc
\set w 'published >= ''2026-05-31 23:59:00+00'' AND published < ''2026-06-01 00:00:01+00'''
\set l 'published >= ''2026-05-31 23:59:00+00'' AND published < ''2026-06-01 00:00:01+00'''
\i test/regress/case.inc
\set w 'published > ''2026-05-31 23:59:30+00'' AND published <= ''2026-06-01'''
\set l 'published > ''2026-05-31 23:59:30+00'' AND published <= ''2026-06-01'''
\i test/regress/case.inc
\set w 'published = ''2026-05-10 20:10:26+00'''
\set l 'published = ''2026-05-10 20:10:26+00'''
\i test/regress/case.inc
\set w 'published >= date ''2026-06-19'''
\set l 'published >= date ''2026-06-19'''
\i test/regress/case.inc
\set w 'published >= timestamp ''2026-06-19 12:00'''
\set l 'published >= timestamp ''2026-06-19 12:00'''
\i test/regress/case.inc
\set w 'published >= make_timestamptz(2026, 6, 19, 0, 0, 0, ''UTC'')'
\set l 'published >= make_timestamptz(2026, 6, 19, 0, 0, 0, ''UTC'')'
\i test/regress/case.inc
\set w 'updated >= ''2026-06-19'' AND category = ''cs.LG'''
\set l 'updated >= ''2026-06-19'' AND ''cs.LG'' = ANY (categories)'
\i test/regress/case.inc

-- ids
\set w 'id = ''2605.09735'''
\set l 'id = ''2605.09735'''
\i test/regress/case.inc
\set w 'id IN (''2605.09735'', ''2603.11438'', ''abc'', ''0000.00000'', ''2603.11438'')'
\set l 'id IN (''2605.09735'', ''2603.11438'', ''abc'', ''0000.00000'', ''2603.11438'')'
\i test/regress/case.inc
\set w 'id = ''2603.18030'' AND version = 1'
\set l 'id = ''2603.18030'''
\i test/regress/case.inc
\set w 'id = ANY (ARRAY(SELECT id FROM corpus WHERE ''cs.AR'' = ANY (categories) ORDER BY id LIMIT 40))'
\set l 'id = ANY (ARRAY(SELECT id FROM corpus WHERE ''cs.AR'' = ANY (categories) ORDER BY id LIMIT 40))'
\i test/regress/case.inc
\set w 'id = ''2605.09735'' AND category = ''cs.OS'''
\set l 'id = ''2605.09735'''
\i test/regress/case.inc

-- boolean structure
\set w 'category = ''cs.AR'' OR category = ''cs.PF'''
\set l 'categories && ARRAY[''cs.AR'', ''cs.PF'']'
\i test/regress/case.inc
\set w '(category = ''cs.OS'' AND published >= ''2026-06-01'') OR (category = ''cs.AR'' AND published >= ''2026-06-10'')'
\set l '(''cs.OS'' = ANY (categories) AND published >= ''2026-06-01'') OR (''cs.AR'' = ANY (categories) AND published >= ''2026-06-10'')'
\i test/regress/case.inc
\set w 'category = ''cs.OS'' AND NOT category = ''cs.LG'''
\set l '''cs.OS'' = ANY (categories) AND NOT ''cs.LG'' = ANY (categories)'
\i test/regress/case.inc
\set w 'category = ''cs.OS'' AND NOT (category = ''cs.LG'' OR category = ''cs.DC'')'
\set l '''cs.OS'' = ANY (categories) AND NOT categories && ARRAY[''cs.LG'', ''cs.DC'']'
\i test/regress/case.inc
\set w 'category = ''cs.OS'' AND NOT (title ILIKE ''% kernel %'')'
\set l '''cs.OS'' = ANY (categories) AND NOT (title ILIKE ''% kernel %'')'
\i test/regress/case.inc
\set w 'category = ''cs.OS'' AND (title ILIKE ''% kernel %'' OR abstract ILIKE ''% kernel %'')'
\set l '''cs.OS'' = ANY (categories) AND (title ILIKE ''% kernel %'' OR abstract ILIKE ''% kernel %'')'
\i test/regress/case.inc
\set w 'category = ''cs.AR'' OR published >= ''2026-06-19'''
\set l '''cs.AR'' = ANY (categories) OR published >= ''2026-06-19'''
\i test/regress/case.inc

-- hostile constants (a value outside the category grammar is not sent but
-- checked here, like an ACM class)
\set w '''cs.OS'' = ANY (categories) AND category = ''cs.OS) OR (cat:math.AP'''
\set l 'false'
\i test/regress/case.inc
\set w 'title ILIKE ''% kernel") OR (cat:math %'' AND category = ''cs.OS'''
\set l 'title ILIKE ''% kernel") OR (cat:math %'' AND ''cs.OS'' = ANY (categories)'
\i test/regress/case.inc
\set w 'title = E''x AND y OR z ANDNOT w: %&#\n'' AND category = ''cs.OS'''
\set l 'title = E''x AND y OR z ANDNOT w: %&#\n'' AND ''cs.OS'' = ANY (categories)'
\i test/regress/case.inc
\set w 'id = ''2605.09735,2603.11438'''
\set l 'id = ''2605.09735,2603.11438'''
\i test/regress/case.inc

-- ORDER BY and LIMIT: arXiv sorts; one request of exactly what is needed
\set w 'category = ''cs.OS'''
\set o 'ORDER BY published DESC LIMIT 20'
\i test/regress/ordered.inc
\set o 'ORDER BY published LIMIT 5 OFFSET 10'
\i test/regress/ordered.inc
-- OFFSET goes to arXiv's start: one request, whatever the offset
\set o 'ORDER BY published DESC LIMIT 10 OFFSET 1500'
\i test/regress/ordered.inc
\set o 'ORDER BY published DESC LIMIT 10 OFFSET 1600'
\i test/regress/ordered.inc
\set o 'ORDER BY published DESC OFFSET 1590'
\i test/regress/ordered.inc
\set o 'ORDER BY published DESC LIMIT 0 OFFSET 5'
\i test/regress/ordered.inc
-- a widened lower date bound drops rows only at the end of a newest-first
-- order, so start can skip them; oldest first, the scan skips rows itself
\set w 'category = ''cs.OS'' AND published >= ''2025-06-01 12:00:30'''
\set o 'ORDER BY published DESC LIMIT 5 OFFSET 100'
\i test/regress/ordered.inc
\set o 'ORDER BY published LIMIT 5 OFFSET 100'
\i test/regress/ordered.inc
-- LIMIT and OFFSET from parameters, in a generic plan
PREPARE page_of(bigint, bigint) AS
  SELECT id FROM papers WHERE category = 'cs.OS' ORDER BY published DESC LIMIT $1 OFFSET $2;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE page_of(3, 1000);
EXECUTE page_of(3, 1000);
SELECT id FROM corpus WHERE 'cs.OS' = ANY (categories) ORDER BY published DESC LIMIT 3 OFFSET 1000;
RESET plan_cache_mode;
\! python3 test/mock/mockctl requests
EXECUTE page_of(-1, 0);
EXECUTE page_of(1, -1);
DEALLOCATE page_of;
\set w 'category = ''cs.OS'' AND published >= ''2026-03-01'''
\set o 'ORDER BY updated DESC LIMIT 10'
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM papers WHERE :w :o;
SELECT count(*) FROM (SELECT id FROM papers WHERE :w :o) s;
\! python3 test/mock/mockctl requests
-- a local Filter that is not a date range keeps the page size
EXPLAIN (COSTS OFF) SELECT id FROM papers WHERE category = 'cs.OS' AND title ILIKE '%a%' LIMIT 3;
-- no ORDER BY: any rows will do, still one small request
SELECT count(*) FROM (SELECT id FROM papers WHERE category = 'cs.OS' LIMIT 7) s;
\! python3 test/mock/mockctl requests

-- parameters, generic plans and stable expressions are computed at execution start
PREPARE by_cat(text, timestamptz) AS
  SELECT count(*) FROM papers WHERE category = $1 AND published >= $2;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE by_cat('cs.AR', '2026-05-01');
EXECUTE by_cat('cs.AR', '2026-05-01');
EXECUTE by_cat('cs.PF', '2026-05-01');
RESET plan_cache_mode;
\! python3 test/mock/mockctl requests

-- joins with a local table
CREATE TABLE reading_list (arxiv_id text, note text);
INSERT INTO reading_list
  SELECT id, 'note ' || row_number() OVER (ORDER BY id) FROM corpus
   WHERE 'cs.PF' = ANY (categories) AND published >= '2026-05-01' ORDER BY id LIMIT 5;
ANALYZE reading_list;
-- the ids of a small local table go to arXiv in batches: one request here
EXPLAIN (COSTS OFF) SELECT r.note, p.title FROM reading_list r JOIN papers p ON p.id = r.arxiv_id;
SELECT count(*) FROM reading_list r JOIN papers p ON p.id = r.arxiv_id;
\! python3 test/mock/mockctl requests max_results
SELECT count(*) FROM papers p WHERE p.id IN (SELECT arxiv_id FROM reading_list);
\! python3 test/mock/mockctl count
-- a large table with a selective filter: one request per matching outer row
-- is cheaper than sending all of the table's ids
CREATE TABLE big_list AS SELECT id AS arxiv_id, 'note ' || id AS note FROM corpus
 WHERE 'cs.LG' = ANY (categories) ORDER BY id LIMIT 3000;
ANALYZE big_list;
EXPLAIN (COSTS OFF) SELECT b.note, p.title FROM big_list b JOIN papers p ON p.id = b.arxiv_id
 WHERE b.note = 'note 2605.09735';
SELECT count(*) FROM big_list b JOIN papers p ON p.id = b.arxiv_id
 WHERE b.note IN (SELECT 'note ' || arxiv_id FROM big_list ORDER BY arxiv_id LIMIT 2);
\! python3 test/mock/mockctl count
-- without the filter, 3000 ids in batches of page_size
SELECT count(*) FROM big_list b JOIN papers p ON p.id = b.arxiv_id;
\! python3 test/mock/mockctl requests max_results
-- the recommended form: the ids go in one request
EXPLAIN (COSTS OFF) SELECT r.note, p.title FROM reading_list r JOIN papers p ON p.id = r.arxiv_id
 WHERE p.id = ANY (ARRAY(SELECT arxiv_id FROM reading_list));
SELECT count(*) FROM reading_list r JOIN papers p ON p.id = r.arxiv_id
 WHERE p.id = ANY (ARRAY(SELECT arxiv_id FROM reading_list));
\! python3 test/mock/mockctl requests max_results

-- more results than arXiv pages through (10000): continued by date, complete
SELECT same_rows('category = ''cs.LG''', '''cs.LG'' = ANY (categories)');
\! python3 test/mock/mockctl requests search_query start max_results

-- what cannot be sent restricts nothing: refused before any request
SELECT count(*) FROM papers WHERE NOT category = 'cs.OS';
SELECT count(*) FROM papers WHERE title ILIKE '%kernel%';
SELECT count(*) FROM papers WHERE category = 'cs.OS' OR title ILIKE '% kernel %';
\! python3 test/mock/mockctl count
DROP TABLE corpus, reading_list, big_list;
DROP FUNCTION same_rows(text, text), same_order(text, text);
DROP EXTENSION arxiv_fdw CASCADE;
