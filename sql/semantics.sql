-- Semantics of WHERE-clause translation: for each case the rows of the
-- foreign table equal those of the same condition over a local copy of the
-- mock's corpus, in literal, custom-plan and generic-plan forms.
\getenv mock_url ARXIV_MOCK_URL
SET timezone = 'UTC';
CREATE EXTENSION arxiv_fdw;
CREATE SERVER arxiv FOREIGN DATA WRAPPER arxiv_fdw
  OPTIONS (base_url :'mock_url', request_interval '0', cache_ttl '0');
IMPORT FOREIGN SCHEMA arxiv FROM SERVER arxiv INTO public;
\! python3 test/mock/mockctl reset

CREATE TABLE corpus (id text PRIMARY KEY, version int, title text, abstract text,
  authors text[], author_details jsonb, primary_category text, categories text[],
  published timestamptz, updated timestamptz, comment text, journal_ref text,
  doi text, abs_url text, pdf_url text);
\copy corpus FROM PROGRAM 'python3 test/mock/mockctl dump'

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
\! python3 test/mock/mockctl reset

-- 1. a NULL constant or parameter is UNKNOWN: "x <> NULL" selects nothing
-- (this count(*) used to crash the backend)
SELECT count(*) FROM papers WHERE category = 'cs.OS' AND author <> NULL::text;
SELECT same_rows($$category = 'cs.OS' AND author <> NULL::text$$, 'false');
SELECT same_rows($$category = 'cs.OS' AND NOT (author = NULL::text)$$, 'false');
PREPARE not_author(text) AS
  SELECT count(*) FROM papers WHERE category = 'cs.OS' AND author <> $1;
SET plan_cache_mode = force_custom_plan;
EXECUTE not_author(NULL);
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE not_author(NULL);
EXECUTE not_author(NULL);
RESET plan_cache_mode;
DEALLOCATE not_author;
-- NOT IN with a NULL element selects nothing; IN with one ignores it
SELECT count(*) FROM papers WHERE category NOT IN ('cs.DC', NULL);
SELECT same_rows($$category = 'cs.OS' AND category NOT IN ('cs.DC', NULL)$$, 'false');
SELECT same_rows($$category = 'cs.OS' AND category IN ('cs.DC', NULL)$$,
                 $$categories @> '{cs.OS,cs.DC}'$$);
PREPARE not_in(text, text) AS
  SELECT count(*), md5(string_agg(id, ',' ORDER BY id))
    FROM papers WHERE category = 'cs.OS' AND category NOT IN ($1, $2);
SET plan_cache_mode = force_custom_plan;
EXECUTE not_in('cs.DC', NULL);
EXECUTE not_in('cs.DC', 'cs.CR');
SET plan_cache_mode = force_generic_plan;
EXECUTE not_in('cs.DC', NULL);
EXECUTE not_in('cs.DC', 'cs.CR');
RESET plan_cache_mode;
SELECT count(*), md5(string_agg(id, ',' ORDER BY id)) FROM corpus
 WHERE 'cs.OS' = ANY (categories) AND NOT categories && '{cs.DC,cs.CR}';
DEALLOCATE not_in;
-- NULL elements: UNKNOWN in = ANY, never contained by @>, never overlapping
PREPARE any_of(text[]) AS
  SELECT count(*) FROM papers WHERE category = 'cs.OS' AND NOT category = ANY ($1);
SET plan_cache_mode = force_generic_plan;
EXECUTE any_of('{cs.DC,NULL}');
EXECUTE any_of(NULL);
RESET plan_cache_mode;
DEALLOCATE any_of;
SELECT same_rows($$category = 'cs.OS' AND categories @> ARRAY['cs.DC', NULL]$$, 'false');
SELECT same_rows($$category = 'cs.OS' AND categories && ARRAY['cs.DC', NULL]$$,
                 $$categories @> '{cs.OS,cs.DC}'$$);
-- a NULL under two NOTs: NOT (NULL AND NOT cs.DC) holds for cs.DC only
-- (not written with a top-level category = x: to the planner, category
-- has one value, so category = x AND category = y is false)
PREPARE nested(text) AS
  SELECT count(*) FROM papers
   WHERE published >= '2026-05-01' AND NOT (category = $1 AND NOT category = 'cs.DC');
SET plan_cache_mode = force_generic_plan;
EXECUTE nested(NULL);
SET plan_cache_mode = force_custom_plan;
EXECUTE nested(NULL);
RESET plan_cache_mode;
SELECT count(*) FROM corpus
 WHERE published >= '2026-05-01' AND 'cs.DC' = ANY (categories);
DEALLOCATE nested;
-- a NULL date bound
PREPARE since(timestamptz) AS
  SELECT count(*) FROM papers WHERE category = 'cs.OS' AND NOT published < $1;
SET plan_cache_mode = force_generic_plan;
EXECUTE since(NULL);
SET plan_cache_mode = force_custom_plan;
EXECUTE since(NULL);
RESET plan_cache_mode;
DEALLOCATE since;

-- 2. a negation under OR cannot be sent: the condition is rechecked
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM papers
 WHERE category = 'cs.OS' AND (category = 'cs.CR' OR category <> 'cs.DC');
SELECT same_rows($$category = 'cs.OS' AND (category = 'cs.CR' OR category <> 'cs.DC')$$,
                 $$'cs.OS' = ANY (categories) AND ('cs.CR' = ANY (categories) OR NOT 'cs.DC' = ANY (categories))$$);
SELECT count(*) FROM papers
 WHERE category = 'cs.OS' AND (category = 'cs.CR' OR category <> 'cs.DC');
PREPARE or_not(text) AS
  SELECT count(*) FROM papers
   WHERE category = 'cs.OS' AND (category = 'cs.CR' OR category <> $1);
SET plan_cache_mode = force_generic_plan;
EXECUTE or_not('cs.DC');
RESET plan_cache_mode;
DEALLOCATE or_not;

-- 3. regular expressions send a word only when every match contains it
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM papers
 WHERE category = 'cs.OS' AND title ~* 'scalable| real-time ';
SELECT same_rows($$category = 'cs.OS' AND title ~* 'scalable| real-time '$$,
                 $$'cs.OS' = ANY (categories) AND title ~* 'scalable| real-time '$$);
-- an optional character is no word boundary
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM papers
 WHERE category = 'cs.OS' AND title ~* ' lock-?free';
SELECT same_rows($$category = 'cs.OS' AND title ~* ' lock-?free'$$,
                 $$'cs.OS' = ANY (categories) AND title ~* ' lock-?free'$$);
-- literal words between spaces are still sent
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM papers
 WHERE category = 'cs.OS' AND title ~* ' real-time ';
SELECT same_rows($$category = 'cs.OS' AND title ~* ' real-time '$$,
                 $$'cs.OS' = ANY (categories) AND title ~* ' real-time '$$);

-- 4. dates before 2000, and a range that restricts nothing
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM papers
 WHERE published BETWEEN '1995-01-01' AND '1998-01-01';
SELECT same_rows($$published BETWEEN '1995-01-01' AND '1998-01-01'$$,
                 $$published BETWEEN '1995-01-01' AND '1998-01-01'$$);
PREPARE between_dates(timestamptz, timestamptz) AS
  SELECT count(*) FROM papers WHERE published BETWEEN $1 AND $2;
SET plan_cache_mode = force_generic_plan;
EXECUTE between_dates('1995-01-01', '1998-01-01');
SET plan_cache_mode = force_custom_plan;
EXECUTE between_dates('1995-01-01', '1998-01-01');
RESET plan_cache_mode;
SELECT count(*) FROM corpus WHERE published BETWEEN '1995-01-01' AND '1998-01-01';
\! python3 test/mock/mockctl requests search_query
SELECT count(*) FROM papers WHERE published > '1900-01-01';
SET plan_cache_mode = force_generic_plan;
EXECUTE between_dates('1900-01-01', 'infinity');
RESET plan_cache_mode;
DEALLOCATE between_dates;
\! python3 test/mock/mockctl count

-- 5. joins: a LEFT JOIN to papers sends the ids in batches like an inner join
CREATE TABLE wanted AS SELECT id AS arxiv_id FROM corpus
 WHERE 'cs.LG' = ANY (categories) ORDER BY id LIMIT 2500;
INSERT INTO wanted VALUES ('9999.99999'), ('not-an-id'), (NULL);
ANALYZE wanted;
EXPLAIN (COSTS OFF) SELECT count(*), count(p.id)
  FROM wanted w LEFT JOIN papers p ON p.id = w.arxiv_id;
SELECT count(*), count(p.id) FROM wanted w LEFT JOIN papers p ON p.id = w.arxiv_id;
\! python3 test/mock/mockctl count
SELECT count(*), count(p.id) FROM wanted w LEFT JOIN corpus p ON p.id = w.arxiv_id;
-- papers on the preserved side: its rows are not bounded by the other table
EXPLAIN (COSTS OFF) SELECT count(*) FROM papers p LEFT JOIN wanted w ON p.id = w.arxiv_id
 WHERE p.category = 'cs.OS' AND p.published >= '2026-06-01';
SELECT count(*) FROM papers p LEFT JOIN wanted w ON p.id = w.arxiv_id
 WHERE p.category = 'cs.OS' AND p.published >= '2026-06-01';
SELECT count(*) FROM corpus p LEFT JOIN wanted w ON p.id = w.arxiv_id
 WHERE 'cs.OS' = ANY (p.categories) AND p.published >= '2026-06-01';
-- a join on a filter column is sent one outer row at a time, so that a paper
-- listed in several of the categories joins with each, as with literals
CREATE TABLE cats (cat text);
INSERT INTO cats VALUES ('cs.OS'), ('cs.DC');
ANALYZE cats;
EXPLAIN (COSTS OFF) SELECT count(*) FROM cats t JOIN papers p ON p.category = t.cat
 WHERE p.category IN ('cs.OS', 'cs.DC') AND p.published >= '2026-05-01';
SELECT count(*) FROM cats t JOIN papers p ON p.category = t.cat
 WHERE p.category IN ('cs.OS', 'cs.DC') AND p.published >= '2026-05-01';
SELECT (SELECT count(*) FROM papers p WHERE p.category = 'cs.OS' AND p.published >= '2026-05-01') +
       (SELECT count(*) FROM papers p WHERE p.category = 'cs.DC' AND p.published >= '2026-05-01') AS with_literals;
SELECT count(*) FROM cats t JOIN corpus p ON t.cat = ANY (p.categories)
 WHERE p.published >= '2026-05-01';
SELECT count(*), count(p.id) FROM cats t
  LEFT JOIN papers p ON p.category = t.cat AND p.published >= '2026-05-01';
SELECT count(*), count(p.id) FROM cats t
  LEFT JOIN corpus p ON t.cat = ANY (p.categories) AND p.published >= '2026-05-01';
-- compared after the scan, a paper would join with one of its categories only
SELECT count(*) FROM papers p LEFT JOIN cats t ON p.category = t.cat
 WHERE p.category IN ('cs.OS', 'cs.DC') AND p.published >= '2026-05-01';
-- an anti join keeps the rows of papers: no id source
EXPLAIN (COSTS OFF) SELECT count(*) FROM papers p
 WHERE p.category = 'cs.OS' AND p.published >= '2026-06-01'
   AND NOT EXISTS (SELECT FROM wanted w WHERE w.arxiv_id = p.id);
SELECT count(*) FROM papers p
 WHERE p.category = 'cs.OS' AND p.published >= '2026-06-01'
   AND NOT EXISTS (SELECT FROM wanted w WHERE w.arxiv_id = p.id);
SELECT count(*) FROM corpus p
 WHERE 'cs.OS' = ANY (p.categories) AND p.published >= '2026-06-01'
   AND NOT EXISTS (SELECT FROM wanted w WHERE w.arxiv_id = p.id);
-- a versioned id as a join parameter finds that version, as a literal does;
-- compared after the scan it would find nothing: refused
CREATE TABLE vids AS SELECT id || 'v' || version AS id FROM corpus
 WHERE version >= 2 ORDER BY id LIMIT 3;
SELECT s.id, s.version FROM vids t,
  LATERAL (SELECT * FROM papers p WHERE p.id = t.id OFFSET 0) s ORDER BY 1;
SELECT id, version FROM papers WHERE id IN (SELECT id FROM vids ORDER BY id LIMIT 1);
SELECT p.id, p.version FROM vids t JOIN papers p ON p.id = t.id;
\! python3 test/mock/mockctl reset

-- 6. the local check of "category" keeps SQL's NULLs: category IN (a, NULL)
-- is NULL, not FALSE, for a paper not listed in a, so NOT IN is not TRUE
SELECT same_rows($$category = 'cs.PL' AND (abstract NOT LIKE '% scalable %'
                   OR category NOT IN ('math.AP', 'cs.XX', NULL))$$,
                 $$'cs.PL' = ANY (categories) AND (abstract NOT LIKE '% scalable %'
                   OR NOT ('math.AP' = ANY (categories) OR 'cs.XX' = ANY (categories) OR NULL))$$);
SELECT same_rows($$category = 'cs.OS' AND (title LIKE '%a%' OR category = ANY (ARRAY['cs.DC', NULL]))$$,
                 $$'cs.OS' = ANY (categories) AND (title LIKE '%a%' OR 'cs.DC' = ANY (categories) OR NULL)$$);
CREATE TABLE jt (xid text);
INSERT INTO jt VALUES ('2411.14387');
ANALYZE jt;
SELECT p.id FROM jt JOIN papers p ON p.id = jt.xid
 WHERE (category <> ALL (ARRAY['CS.OS', 'cs.PF', 'cs.AI'])
        OR category NOT IN ('cs.DC', NULL, 'math.AP'));
PREPARE not_in_arr(text[], text[]) AS
  SELECT p.id FROM jt JOIN papers p ON p.id = jt.xid
   WHERE (category <> ALL ($1) OR category <> ALL ($2));
SET plan_cache_mode = force_generic_plan;
EXECUTE not_in_arr(ARRAY['CS.OS', 'cs.PF', 'cs.AI'], ARRAY['cs.DC', NULL, 'math.AP']);
EXECUTE not_in_arr(ARRAY['CS.OS'], NULL);
EXECUTE not_in_arr(ARRAY['CS.OS'], ARRAY['cs.DC']);
RESET plan_cache_mode;
DEALLOCATE not_in_arr;
DROP TABLE jt;

-- 7. ACM and MSC classes listed among a paper's categories: arXiv's cat:
-- cannot find them, so they are not sent and PostgreSQL checks them
SELECT same_rows($$category = 'cs.CR' AND NOT (category = 'I.2.6')$$,
                 $$'cs.CR' = ANY (categories) AND NOT 'I.2.6' = ANY (categories)$$);
SELECT same_rows($$category = ANY (ARRAY['D.4.1']) AND category IN ('cs.PF', 'cs.DB')$$,
                 $$'D.4.1' = ANY (categories) AND (categories && '{cs.PF,cs.DB}')$$);
EXPLAIN (COSTS OFF)
  SELECT id FROM papers WHERE category = ANY (ARRAY['D.4.1']) AND category IN ('cs.PF', 'cs.DB');
PREPARE acm(text, text) AS
  SELECT count(*) FROM papers WHERE category = $1 AND category = ANY (ARRAY['cs.PF', $2]);
SET plan_cache_mode = force_generic_plan;
EXECUTE acm('cs.PF', 'D.4.1');
EXECUTE acm('D.4.1', 'cs.DB');
RESET plan_cache_mode;
SELECT count(*) FROM corpus WHERE 'D.4.1' = ANY (categories) AND categories && '{cs.PF,cs.DB}';
DEALLOCATE acm;
-- alone, such a value restricts nothing
SELECT count(*) FROM papers WHERE category = 'I.2.6';

-- 8. generic plans: what depends on the values is decided at execution,
-- as for the same values in a custom plan
PREPARE any_cat(text) AS SELECT count(*) FROM papers WHERE $1 = ANY (categories);
SET plan_cache_mode = force_generic_plan;
EXECUTE any_cat('cs.OS');
EXECUTE any_cat('I.2.6');
RESET plan_cache_mode;
SELECT count(*) FROM corpus WHERE 'cs.OS' = ANY (categories);
DEALLOCATE any_cat;
PREPARE some_author(text, text) AS
  SELECT count(*) FROM papers WHERE category = 'cs.PL' AND (author = $1 OR author <> $2);
SET plan_cache_mode = force_custom_plan;
EXECUTE some_author('Jean-Pierre Bianchi', '');
EXECUTE some_author('Jean-Pierre Bianchi', 'Ada Lovelace');
SET plan_cache_mode = force_generic_plan;
EXECUTE some_author('Jean-Pierre Bianchi', '');
EXECUTE some_author('Jean-Pierre Bianchi', 'Ada Lovelace');
RESET plan_cache_mode;
DEALLOCATE some_author;
PREPARE not_in_null(text, text) AS
  SELECT count(*) FROM papers
   WHERE category = 'math.AP' AND (author NOT IN ($1) OR category NOT IN ($2));
SET plan_cache_mode = force_custom_plan;
EXECUTE not_in_null(NULL, NULL);
SET plan_cache_mode = force_generic_plan;
EXECUTE not_in_null(NULL, NULL);
EXECUTE not_in_null(NULL, 'cs.OS');
RESET plan_cache_mode;
DEALLOCATE not_in_null;
PREPARE cat_like(text) AS SELECT count(*) FROM papers WHERE category LIKE $1;
SET plan_cache_mode = force_custom_plan;
EXECUTE cat_like(NULL);
EXECUTE cat_like('cs.O%');
SET plan_cache_mode = force_generic_plan;
EXECUTE cat_like(NULL);
EXECUTE cat_like('math.%');
EXECUTE cat_like('cs.O%');
RESET plan_cache_mode;
SELECT count(*) FROM corpus WHERE EXISTS (SELECT FROM unnest(categories) c WHERE c LIKE 'math.%');
DEALLOCATE cat_like;
\! python3 test/mock/mockctl reset

-- 9. "category [NOT] [I]LIKE p" rechecked by PostgreSQL: some element of
-- categories matches p (categories_like), with SQL's NULLs
SELECT same_rows($$category = 'cs.OS' AND category LIKE 'cs.D%'$$,
                 $$'cs.OS' = ANY (categories) AND EXISTS (SELECT FROM unnest(categories) c WHERE c LIKE 'cs.D%')$$);
SELECT same_rows($$category = 'cs.OS' AND category NOT LIKE 'cs.%'$$,
                 $$'cs.OS' = ANY (categories) AND NOT EXISTS (SELECT FROM unnest(categories) c WHERE c LIKE 'cs.%')$$);
SELECT same_rows($$category = 'cs.OS' AND (category NOT LIKE 'cs.D%' OR title LIKE '%a%')$$,
                 $$'cs.OS' = ANY (categories) AND (NOT EXISTS (SELECT FROM unnest(categories) c WHERE c LIKE 'cs.D%') OR title LIKE '%a%')$$);
SELECT same_rows($$category = 'cs.OS' AND category ILIKE 'CS.d%'$$,
                 $$'cs.OS' = ANY (categories) AND EXISTS (SELECT FROM unnest(categories) c WHERE c ILIKE 'CS.d%')$$);
SELECT same_rows($$category = 'cs.OS' AND category NOT ILIKE 'CS.d%'$$,
                 $$'cs.OS' = ANY (categories) AND NOT EXISTS (SELECT FROM unnest(categories) c WHERE c ILIKE 'CS.d%')$$);
SELECT same_rows($$category = 'cs.OS' AND (category LIKE NULL OR title LIKE '%a%')$$,
                 $$'cs.OS' = ANY (categories) AND title LIKE '%a%'$$);
EXPLAIN (COSTS OFF)
  SELECT id FROM papers WHERE category = 'cs.OS' AND category NOT LIKE 'cs.D%';
PREPARE os_like(text, text) AS
  SELECT count(*) FROM papers
   WHERE category = 'cs.OS' AND category LIKE $1 AND category NOT ILIKE $2;
SET plan_cache_mode = force_custom_plan;
EXECUTE os_like('cs.D%', 'CS.PF');
EXECUTE os_like(NULL, '');
SET plan_cache_mode = force_generic_plan;
EXECUTE os_like('cs.D%', 'CS.PF');
EXECUTE os_like(NULL, '');
RESET plan_cache_mode;
SELECT count(*) FROM corpus
 WHERE 'cs.OS' = ANY (categories)
   AND EXISTS (SELECT FROM unnest(categories) c WHERE c LIKE 'cs.D%')
   AND NOT EXISTS (SELECT FROM unnest(categories) c WHERE c ILIKE 'CS.PF');
DEALLOCATE os_like;
-- the NULLs: TRUE if an element matches, else NULL if one is NULL
SELECT arxiv_fdw.categories_like('{cs.OS,NULL}', 'cs.%', false) AS t,
       arxiv_fdw.categories_like('{cs.OS,NULL}', 'math.%', false) AS n,
       arxiv_fdw.categories_like('{cs.OS}', 'math.%', false) AS f,
       arxiv_fdw.categories_like('{cs.OS}', NULL, false) AS n2,
       arxiv_fdw.categories_like(NULL, '%', false) AS n3,
       arxiv_fdw.categories_like('{}', '%', false) AS f2,
       arxiv_fdw.categories_like('{cs.OS}', 'CS.%', true) AS t2,
       arxiv_fdw.categories_like('{cs.OS}', 'CS.%' COLLATE "C", false) AS f3;
\! python3 test/mock/mockctl reset

DROP TABLE corpus, wanted, cats, vids;
DROP FUNCTION same_rows(text, text);
DROP EXTENSION arxiv_fdw CASCADE;
