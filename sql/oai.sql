-- The OAI-PMH tables against the mock's /oai endpoint: IMPORT, what each
-- condition sends, paging by resumption token, de-duplication, restarts,
-- errors in 200 bodies, 503s, and what each query cost in requests.
\getenv mock_url ARXIV_MOCK_URL
SET timezone = 'UTC';
SELECT replace(:'mock_url', '/api/query', '/oai') AS oai_url \gset
CREATE EXTENSION arxiv_fdw;
CREATE SERVER arxiv FOREIGN DATA WRAPPER arxiv_fdw
  OPTIONS (base_url :'mock_url', oai_url :'oai_url', request_interval '0',
           max_retries '2', timeout '5');
IMPORT FOREIGN SCHEMA arxiv_oai FROM SERVER arxiv INTO public;
\! python3 test/mock/mockctl reset
\d oai_papers
\d oai_versions
-- LIMIT TO applies, and an unknown remote schema is refused
CREATE SCHEMA only_versions;
IMPORT FOREIGN SCHEMA arxiv_oai LIMIT TO (oai_versions) FROM SERVER arxiv INTO only_versions;
SELECT relname FROM pg_class WHERE relnamespace = 'only_versions'::regnamespace;
IMPORT FOREIGN SCHEMA oai FROM SERVER arxiv INTO public;

-- options: the source, its values, and fields of either interface
CREATE FOREIGN TABLE bad_source (id text) SERVER arxiv OPTIONS (source 'oai');
CREATE FOREIGN TABLE bad_field (x text OPTIONS (field 'nope')) SERVER arxiv OPTIONS (source 'oai_papers');
CREATE FOREIGN TABLE wrong_map (id text, search text) SERVER arxiv OPTIONS (source 'oai_papers');
SELECT * FROM wrong_map WHERE id = '0705.0002';
ALTER SERVER arxiv OPTIONS (ADD oai_url 'ftp://example.org/oai');

-- what is sent: a set per category, from/until in whole days, GetRecord per id
EXPLAIN (COSTS OFF) SELECT id FROM oai_papers WHERE category = 'cs.OS';
EXPLAIN (COSTS OFF) SELECT id FROM oai_papers
 WHERE category IN ('cs.OS', 'cs.DC') AND datestamp BETWEEN '2020-01-01' AND '2020-12-31';
EXPLAIN (COSTS OFF) SELECT id FROM oai_versions WHERE id = '0706.1534' AND version > 1;
-- conditions on other columns are PostgreSQL's alone
EXPLAIN (COSTS OFF) SELECT id FROM oai_papers
 WHERE datestamp > '2026-06-01' AND doi IS NOT NULL AND 'cs.OS' = ANY (categories);
-- nothing that selects: refused before any request
SELECT count(*) FROM oai_papers WHERE doi IS NOT NULL;
-- the filter column only where it selects sets
SELECT count(*) FROM oai_papers WHERE category = 'cs.OS' OR datestamp > '2026-01-01';
SELECT count(*) FROM oai_papers WHERE category LIKE 'cs.%';
\! python3 test/mock/mockctl requests verb set from until identifier resumptionToken

-- a category's harvest follows every token, whatever the page size (50
-- here): N records cost ceil(N / 50) requests (one more for ListSets, once
-- per session), none made twice
\! curl -s -o /dev/null -X POST -d '{"records_limit": 50}' http://127.0.0.1:${MOCK_PORT:-18089}/oai/_mock/config
SELECT count(*) AS papers, count(DISTINCT id) AS distinct_ids,
       bool_and('cs.OS' = ANY (categories)) AS all_list_cs_os,
       bool_and(category = 'cs.OS') AS category_value,
       count(*) FILTER (WHERE primary_category = 'cs.OS') AS primary_cs_os
  FROM oai_papers WHERE category = 'cs.OS';
\! python3 test/mock/mockctl requests verb set resumptionToken | awk '{n++; c[$0]++} END {for (k in c) if (c[k] > 1) d++; printf "requests: %d, repeated: %d\n", n, d + 0}'
-- the same with arXiv's page size, 1300
SELECT count(*) FROM oai_papers WHERE category = 'cs.OS';
\! python3 test/mock/mockctl count

-- the rows of one paper, every column
\x on
SELECT * FROM oai_papers WHERE id = '0706.1534';
\x off
SELECT id, version, submitted, size_kb, source_type, datestamp
  FROM oai_versions WHERE id IN ('0706.1534', '0705.0002') ORDER BY id, version;
-- ids that cannot exist cost nothing; one that does not exist is no row
SELECT count(*) FROM oai_papers WHERE id IN ('0705.0002', 'not-an-id', '0799.00001', '2301.99999');
\! python3 test/mock/mockctl requests verb identifier

-- IN over two categories: one list per set, a paper in both returned once
SELECT count(*) AS papers, count(DISTINCT id) AS distinct_ids,
       count(*) FILTER (WHERE category = 'cs.OS') AS as_cs_os,
       count(*) FILTER (WHERE category = 'cs.DC') AS as_cs_dc
  FROM oai_papers WHERE category IN ('cs.OS', 'cs.DC') AND datestamp >= '2020-01-01';
SELECT count(*) AS papers FROM oai_papers
 WHERE ('cs.OS' = ANY (categories) OR 'cs.DC' = ANY (categories)) AND datestamp >= '2020-01-01';
\! python3 test/mock/mockctl requests verb set from | sort | uniq -c

-- windows: an early "from" is no bound, a late "until" is none either,
-- an empty window makes no request, NULL matches nothing
SELECT count(*) FROM oai_papers WHERE category = 'cs.OS' AND datestamp >= '1990-01-01' AND datestamp <= '2999-01-01';
SELECT count(*) FROM oai_papers WHERE category = 'cs.OS' AND datestamp > '2026-06-01' AND datestamp < '2026-06-01';
SELECT count(*) FROM oai_papers WHERE category = 'cs.OS' AND datestamp < '2005-09-16';
SELECT count(*) FROM oai_papers WHERE category = 'cs.OS' AND datestamp = NULL;
SELECT count(*) FROM oai_papers WHERE category = 'cs.OS' AND category = 'cs.DC';
\! python3 test/mock/mockctl requests verb set from until

-- an empty selection (noRecordsMatch) is zero rows
SELECT count(*) FROM oai_papers WHERE datestamp = '2026-11-30';
-- a category with no set: only within a window
SELECT count(*) FROM oai_papers WHERE category = 'cs.XX';
SELECT count(*) FROM oai_papers WHERE category = 'cs.XX' AND datestamp >= '2026-06-01';
\! python3 test/mock/mockctl requests verb set from until

-- generic plans: values at execution
PREPARE q(text, date) AS
  SELECT count(*) FROM oai_papers WHERE category = $1 AND datestamp >= $2;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (COSTS OFF) EXECUTE q('cs.OS', '2020-01-01');
EXECUTE q('cs.OS', '2020-01-01');
EXECUTE q('cs.OS', NULL);
EXECUTE q(NULL, '2020-01-01');
RESET plan_cache_mode;
DEALLOCATE q;
-- a parameter per outer row (ReScan)
SELECT c, (SELECT count(*) FROM oai_papers p WHERE p.category = c AND datestamp >= '2024-01-01')
  FROM (VALUES ('cs.OS'), ('cs.DC')) v(c) ORDER BY c;
\! python3 test/mock/mockctl reset

-- genuine arXiv responses (test/fixtures/oai-pmh), served by the mock as
-- they were recorded: every column as arXiv sent it
\! python3 test/mock/mockctl fault "{\"kind\": \"status\", \"status\": 200, \"match\": \"verb=GetRecord\", \"body\": $(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' test/fixtures/oai-pmh/04_old2015_GetRecord_arXivRaw_1302.2146_mikesaelim.xml)}"
\x on
SELECT * FROM oai_papers WHERE id = '1302.2146';
\x off
\! python3 test/mock/mockctl fault "{\"kind\": \"status\", \"status\": 200, \"match\": \"verb=GetRecord\", \"body\": $(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' test/fixtures/oai-pmh/04_old2015_GetRecord_arXivRaw_1302.2146_mikesaelim.xml)}"
SELECT * FROM oai_versions WHERE id = '1302.2146' ORDER BY version;
\! python3 test/mock/mockctl fault "{\"kind\": \"status\", \"status\": 200, \"match\": \"verb=GetRecord\", \"body\": $(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' test/fixtures/oai-pmh/25_old2014_GetRecord_arXivRaw_0804.2273_peerlibrary.xml)}"
SELECT id, datestamp, authors, categories, license, published, version, withdrawn
  FROM oai_papers WHERE id = '0804.2273';
\! python3 test/mock/mockctl reset

-- a table declaring its own types: values go through the types' input
CREATE FOREIGN TABLE my_oai (
  id varchar(12), datestamp text, version bigint, withdrawn text, paper_title text OPTIONS (field 'title')
) SERVER arxiv OPTIONS (source 'oai_papers');
SELECT * FROM my_oai WHERE id = '0706.1534';
CREATE FOREIGN TABLE tiny_oai (id varchar(3)) SERVER arxiv OPTIONS (source 'oai_papers');
SELECT * FROM tiny_oai WHERE id = '0706.1534';

-- errors in 200 bodies: noRecordsMatch aside, arXiv's text in the detail
\set oai_error '<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2026-06-20T00:00:00Z</responseDate><request verb=''ListRecords''>http://oaipmh.arxiv.org/oai</request><error code=''badArgument''>The request includes illegal arguments. Reason: something</error></OAI-PMH>'
\setenv OAI_ERROR :oai_error
\! python3 test/mock/mockctl fault "{\"kind\": \"status\", \"status\": 200, \"match\": \"verb=ListRecords\", \"body\": $(printf %s "$OAI_ERROR" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')}"
SELECT count(*) FROM oai_papers WHERE category = 'cs.OS';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\! python3 test/mock/mockctl reset

-- a rejected token restarts the list from its last datestamp: rows seen
-- again are dropped, none are lost
\setenv OAI_ERROR `echo "$OAI_ERROR" | sed "s/badArgument/badResumptionToken/; s/illegal arguments/an invalid resumption token/"`
\! curl -s -o /dev/null -X POST -d '{"records_limit": 50}' http://127.0.0.1:${MOCK_PORT:-18089}/oai/_mock/config
\! python3 test/mock/mockctl fault "{\"kind\": \"status\", \"status\": 200, \"match\": \"resumptionToken\", \"skip\": 3, \"count\": 1, \"body\": $(printf %s "$OAI_ERROR" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')}"
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT id FROM oai_papers WHERE category = 'cs.OS';
\! python3 test/mock/mockctl requests verb set from resumptionToken | sed 's/resumptionToken=[^ ]*/resumptionToken=.../' | grep -A1 fault
\! curl -s -o /dev/null -X POST -d '{"records_limit": 50}' http://127.0.0.1:${MOCK_PORT:-18089}/oai/_mock/config
SELECT count(*), count(DISTINCT id) FROM oai_papers WHERE category = 'cs.OS';
\! python3 test/mock/mockctl count
-- rejected again and again: the list restarts while "from" moves forward,
-- and fails when it cannot (20 cs.OS papers carry 2005-09-16, 5 a page)
\! curl -s -o /dev/null -X POST -d '{"records_limit": 5}' http://127.0.0.1:${MOCK_PORT:-18089}/oai/_mock/config
\! python3 test/mock/mockctl fault "{\"kind\": \"status\", \"status\": 200, \"match\": \"resumptionToken\", \"count\": 0, \"body\": $(printf %s "$OAI_ERROR" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')}"
SELECT count(*) FROM oai_papers WHERE category = 'cs.OS';
\! python3 test/mock/mockctl reset

-- the CDN's 503 with Retry-After: 0 is retried with backoff, then succeeds
\! python3 test/mock/mockctl fault '{"kind": "status", "status": 503, "retry_after": 0, "match": "verb=ListRecords", "count": 2}'
SELECT count(*) FROM oai_papers WHERE category = 'cs.OS' AND datestamp >= '2024-01-01';
\! python3 test/mock/mockctl requests verb set from
-- more 503s than max_retries allows: an error naming the request
\! python3 test/mock/mockctl fault '{"kind": "status", "status": 503, "retry_after": 0, "match": "verb=ListRecords", "count": 3}'
SELECT count(*) FROM oai_papers WHERE category = 'cs.OS' AND datestamp >= '2024-01-01';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\! python3 test/mock/mockctl reset
-- a truncated page and a page that is not XML are retried
\! python3 test/mock/mockctl fault '{"kind": "truncated", "match": "verb=ListRecords", "count": 1}'
SELECT count(*) FROM oai_papers WHERE category = 'cs.OS' AND datestamp >= '2024-01-01';
\! python3 test/mock/mockctl fault '{"kind": "non_xml", "match": "verb=ListRecords", "count": 3}'
SELECT count(*) FROM oai_papers WHERE category = 'cs.OS' AND datestamp >= '2024-01-01';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\! python3 test/mock/mockctl reset

-- an interrupted harvest resumes where it stopped when
-- arxiv_fdw.resume_harvests is on (cache creations and refreshes turn it
-- on): its pages are kept on disk; the next scan asks only from their last
-- datestamp on, then replays them, newest first, so that a paper changed
-- in between comes once, as it is now
SET arxiv_fdw.resume_harvests = on;
\! curl -s -o /dev/null -X POST -d '{"records_limit": 50}' http://127.0.0.1:${MOCK_PORT:-18089}/oai/_mock/config
CREATE TEMP TABLE os_whole AS SELECT * FROM oai_papers WHERE category = 'cs.OS';
SELECT count(*) AS journals FROM pg_ls_dir('arxiv_fdw/oai_journal');
\! python3 test/mock/mockctl reset
\! curl -s -o /dev/null -X POST -d '{"records_limit": 50}' http://127.0.0.1:${MOCK_PORT:-18089}/oai/_mock/config
-- the 11th page fails: 10 are kept
\! python3 test/mock/mockctl fault '{"kind": "status", "status": 503, "retry_after": 0, "match": "resumptionToken", "skip": 9, "count": 3}'
SELECT count(*) FROM oai_papers WHERE category = 'cs.OS';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) AS journaled_pages
  FROM pg_ls_dir('arxiv_fdw/oai_journal') d,
       LATERAL pg_ls_dir('arxiv_fdw/oai_journal/' || d) f
 WHERE f LIKE '%.xml';
-- a paper of the first page changes meanwhile
\! curl -s -o /dev/null -X POST -d '{"id": "0706.1534", "doi": "10.1234/resumed"}' http://127.0.0.1:${MOCK_PORT:-18089}/oai/_mock/touch
CREATE TEMP TABLE os_resumed AS SELECT * FROM oai_papers WHERE category = 'cs.OS';
\! python3 test/mock/mockctl requests verb set from resumptionToken | sed 's/resumptionToken=[^ ]*/resumptionToken=.../; /ListIdentifiers/s/from=[0-9-]*/from=(the day before the journal started)/' | uniq -c
SELECT (SELECT count(*) FROM os_whole) AS whole, (SELECT count(*) FROM os_resumed) AS resumed,
       (SELECT count(DISTINCT id) FROM os_resumed) AS ids,
       (SELECT array_agg(id) FROM (TABLE os_whole EXCEPT TABLE os_resumed) d) AS changed_from,
       (SELECT array_agg(id || ' ' || doi) FROM (TABLE os_resumed EXCEPT TABLE os_whole) d) AS changed_to;
-- complete: the journal is gone
SELECT count(*) AS journals FROM pg_ls_dir('arxiv_fdw/oai_journal');
-- a window in the past: a paper of a journaled page that changes meanwhile
-- leaves it (its datestamp moves to today), and the resumed scan leaves it
-- out too, as a fresh one does (arXiv is asked which papers changed since
-- the journal started)
\! python3 test/mock/mockctl reset
\! curl -s -o /dev/null -X POST -d '{"records_limit": 25}' http://127.0.0.1:${MOCK_PORT:-18089}/oai/_mock/config
SELECT count(*), count(*) FILTER (WHERE id = '2508.07948') AS the_paper
  FROM oai_papers WHERE datestamp BETWEEN '2026-06-10' AND '2026-06-12';
\! python3 test/mock/mockctl fault '{"kind": "status", "status": 503, "retry_after": 0, "match": "resumptionToken", "skip": 1, "count": 3}'
SELECT count(*) FROM oai_papers WHERE datestamp BETWEEN '2026-06-10' AND '2026-06-12';
\! curl -s -o /dev/null -X POST -d '{"id": "2508.07948", "doi": "10.1234/moved"}' http://127.0.0.1:${MOCK_PORT:-18089}/oai/_mock/touch
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT id FROM oai_papers WHERE datestamp BETWEEN '2026-06-10' AND '2026-06-12';
SELECT count(*), count(*) FILTER (WHERE id = '2508.07948') AS the_paper
  FROM oai_papers WHERE datestamp BETWEEN '2026-06-10' AND '2026-06-12';
SELECT count(*) AS journals FROM pg_ls_dir('arxiv_fdw/oai_journal');
-- a journal page that cannot be read (a disk that lost part of it) fails
-- the scan and the journal is removed: the next one starts afresh
\! curl -s -o /dev/null -X POST -d '{"records_limit": 50}' http://127.0.0.1:${MOCK_PORT:-18089}/oai/_mock/config
\! python3 test/mock/mockctl fault '{"kind": "status", "status": 503, "retry_after": 0, "match": "resumptionToken", "skip": 4, "count": 3}'
SELECT count(*) FROM oai_papers WHERE category = 'cs.OS';
-- (the server's own shell, in its data directory, so that this works
-- wherever psql runs)
COPY (SELECT 1) TO PROGRAM 'truncate -s 3000 arxiv_fdw/oai_journal/*/000003.*.xml';
SELECT count(*) FROM oai_papers WHERE category = 'cs.OS';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) AS journals FROM pg_ls_dir('arxiv_fdw/oai_journal');
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT id FROM oai_papers WHERE category = 'cs.OS';
-- off, nothing is kept
RESET arxiv_fdw.resume_harvests;
\! python3 test/mock/mockctl fault '{"kind": "status", "status": 503, "retry_after": 0, "match": "resumptionToken", "skip": 4, "count": 3}'
SELECT count(*) FROM oai_papers WHERE category = 'cs.OS';
SELECT count(*) AS journals FROM pg_ls_dir('arxiv_fdw/oai_journal');
DROP TABLE os_whole, os_resumed;
-- a journal nobody resumes is removed after 7 days, by the next session
-- that opens one
SET arxiv_fdw.resume_harvests = on;
\! curl -s -o /dev/null -X POST -d '{"records_limit": 50}' http://127.0.0.1:${MOCK_PORT:-18089}/oai/_mock/config
\! python3 test/mock/mockctl fault '{"kind": "status", "status": 503, "retry_after": 0, "match": "resumptionToken", "skip": 4, "count": 3}'
SELECT count(*) FROM oai_papers WHERE category = 'cs.OS';
SELECT count(*) AS journals FROM pg_ls_dir('arxiv_fdw/oai_journal');
COPY (SELECT 1) TO PROGRAM 'touch -d "8 days ago" arxiv_fdw/oai_journal/*/request';
\c -
SET timezone = 'UTC';
SET arxiv_fdw.resume_harvests = on;
SELECT count(*) FROM oai_papers WHERE category = 'cs.DL' AND datestamp >= '2026-01-01';
SELECT count(*) AS journals FROM pg_ls_dir('arxiv_fdw/oai_journal');
RESET arxiv_fdw.resume_harvests;
\! python3 test/mock/mockctl reset

-- the API and OAI-PMH tables join: the newest from one, history from the other
SELECT count(*) FROM oai_versions v
  JOIN oai_papers p USING (id)
 WHERE p.category = 'cs.OS' AND p.datestamp >= '2026-01-01'
   AND v.category = 'cs.OS' AND v.datestamp >= '2026-01-01';
\! python3 test/mock/mockctl reset

-- caches of OAI-PMH tables: keyed by id (and version), refreshed from the
-- last datestamp less the overlap, so metadata-only changes arrive
SELECT arxiv_fdw.create_cache('os_papers', 'oai_papers', $$category = 'cs.OS'$$, '1 day');
SELECT arxiv_fdw.create_cache('os_versions', 'oai_versions', $$category = 'cs.OS'$$);
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
 WHERE conrelid IN ('os_papers'::regclass, 'os_versions'::regclass) ORDER BY 1;
SELECT cache_table, high_water_mark, last_inserted FROM arxiv_fdw.caches ORDER BY 1;
\! python3 test/mock/mockctl reset
-- a DOI added to a paper of 2007: its datestamp moves, its versions do not
\! curl -s -o /dev/null -X POST -d '{"id": "0706.1534", "doi": "10.1234/oai.test", "time": "2026-06-25T10:00:00Z"}' http://127.0.0.1:${MOCK_PORT:-18089}/oai/_mock/touch
SELECT * FROM arxiv_fdw.refresh_cache('os_papers');
SELECT * FROM arxiv_fdw.refresh_cache('os_versions');
\! python3 test/mock/mockctl requests verb set from until
SELECT id, doi, datestamp, version FROM os_papers WHERE id = '0706.1534';
SELECT id, version, datestamp FROM os_versions WHERE id = '0706.1534' ORDER BY version;
SELECT cache_table, high_water_mark, last_refresh_kind, last_updated FROM arxiv_fdw.caches ORDER BY 1;
-- a refresh that fails leaves the cache as it was, and says so
\! python3 test/mock/mockctl fault '{"kind": "status", "status": 503, "retry_after": 0, "match": "verb=ListRecords", "count": 3}'
SELECT * FROM arxiv_fdw.refresh_cache('os_papers', full => true);
\! python3 test/mock/mockctl fault '{"kind": "status", "status": 503, "retry_after": 0, "match": "verb=ListRecords", "count": 3}'
SELECT * FROM arxiv_fdw.refresh_cache('os_papers', full => true, raise_errors => false);
SELECT count(*), count(*) FILTER (WHERE doi = '10.1234/oai.test') AS touched FROM os_papers;
SELECT cache_table, last_error_sqlstate, last_error FROM arxiv_fdw.caches ORDER BY 1;
\! python3 test/mock/mockctl reset
\! curl -s -o /dev/null -X POST -d '{"id": "0706.1534", "doi": "10.1234/oai.test", "time": "2026-06-25T10:00:00Z"}' http://127.0.0.1:${MOCK_PORT:-18089}/oai/_mock/touch
SELECT * FROM arxiv_fdw.refresh_cache('os_papers', full => true);
-- a full refresh that fails part-way resumes on the next refresh, which
-- makes only the requests the first did not; the cache is whole throughout
\! curl -s -o /dev/null -X POST -d '{"records_limit": 50}' http://127.0.0.1:${MOCK_PORT:-18089}/oai/_mock/config
\! python3 test/mock/mockctl fault '{"kind": "status", "status": 503, "retry_after": 0, "match": "resumptionToken", "skip": 15, "count": 3}'
SELECT * FROM arxiv_fdw.refresh_cache('os_papers', full => true, raise_errors => false);
SELECT count(*), count(*) FILTER (WHERE doi = '10.1234/oai.test') AS touched FROM os_papers;
SELECT * FROM arxiv_fdw.refresh_cache('os_papers', full => true);
SELECT count(*) AS journals FROM pg_ls_dir('arxiv_fdw/oai_journal');
SELECT count(*) AS differ FROM (
  (TABLE os_papers EXCEPT SELECT id, datestamp, sets, submitter, title, authors, authors_raw,
          categories, primary_category, comments, proxy, report_no, msc_class, acm_class,
          journal_ref, doi, license, abstract, published, updated, version, withdrawn
     FROM oai_papers WHERE category = 'cs.OS')
  UNION ALL
  (SELECT id, datestamp, sets, submitter, title, authors, authors_raw,
          categories, primary_category, comments, proxy, report_no, msc_class, acm_class,
          journal_ref, doi, license, abstract, published, updated, version, withdrawn
     FROM oai_papers WHERE category = 'cs.OS' EXCEPT TABLE os_papers)) d;
SELECT arxiv_fdw.drop_cache('os_papers');
SELECT arxiv_fdw.drop_cache('os_versions');
\! python3 test/mock/mockctl reset

-- only superusers point a server's OAI-PMH at another host
CREATE ROLE oai_user;
GRANT USAGE ON FOREIGN DATA WRAPPER arxiv_fdw TO oai_user;
SET ROLE oai_user;
CREATE SERVER own_oai FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (oai_url 'http://127.0.0.1:9/oai');
CREATE SERVER own_oai FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (request_interval '1');
RESET ROLE;
-- arXiv's interval holds for the OAI host too
CREATE SERVER fast_oai FOREIGN DATA WRAPPER arxiv_fdw
  OPTIONS (base_url :'mock_url', oai_url 'https://oaipmh.arxiv.org/oai', request_interval '1');
REVOKE USAGE ON FOREIGN DATA WRAPPER arxiv_fdw FROM oai_user;
DROP ROLE oai_user;

SET client_min_messages = warning;
DROP SCHEMA only_versions CASCADE;
DROP EXTENSION arxiv_fdw CASCADE;
RESET client_min_messages;
