#!/usr/bin/env bash
# Fault-injection campaign (GitHub issue 5, "Reliability and security"):
# every fault the mock can inject, at several counts around max_retries and
# on several kinds of query, then hostile strings in every pushed-down qual;
# the same for the OAI-PMH tables (faults at the first page, a later page,
# GetRecord and ListSets; hostile category and id values); and OAI-PMH
# harvests interrupted at random pages, with papers changed meanwhile, that
# must resume to exactly the rows of an uninterrupted harvest (part 6, fixed
# seed RESUME_SEED; also create_cache / refresh_cache failing part-way).
# Prints: faults injected, queries run, wrong results, crashes, unclear
# errors (and a few more figures); exits 1 if any of those is not 0.
# See test/fault/campaign.py for what is checked.  VERBOSE=1 prints each trial.
# About 7-9 minutes.
source "$(dirname "$0")/../shell/lib/common.bash"
T_NAME=fault-campaign

t_db arxiv_t_fault "request_interval '0', max_retries '2', timeout '2', cache_ttl '0'" ||
	{ t_fail "could not create the test database"; t_finish; }
t_psql >/dev/null <<SQL || { t_fail "could not set up the tables"; t_finish; }
-- big.papers: pages of 1000; small.papers: four pages of 50, id batches of 50;
-- cached_big / cached_small: the same with the response cache on
CREATE SERVER arxiv_cached FOREIGN DATA WRAPPER arxiv_fdw
  OPTIONS (base_url '$ARXIV_MOCK_URL', request_interval '0', max_retries '2', timeout '2',
           cache_ttl '3600');
CREATE SCHEMA big;
CREATE SCHEMA small;
CREATE SCHEMA cached_big;
CREATE SCHEMA cached_small;
IMPORT FOREIGN SCHEMA arxiv FROM SERVER arxiv INTO big;
IMPORT FOREIGN SCHEMA arxiv FROM SERVER arxiv INTO small;
IMPORT FOREIGN SCHEMA arxiv FROM SERVER arxiv_cached INTO cached_big;
IMPORT FOREIGN SCHEMA arxiv FROM SERVER arxiv_cached INTO cached_small;
ALTER FOREIGN TABLE small.papers OPTIONS (ADD page_size '50');
ALTER FOREIGN TABLE cached_small.papers OPTIONS (ADD page_size '50');
-- oai.oai_papers, oai.oai_versions: the mock's OAI-PMH endpoint (parts 4, 5)
CREATE SERVER arxiv_oai FOREIGN DATA WRAPPER arxiv_fdw
  OPTIONS (base_url '$ARXIV_MOCK_URL', oai_url '${ARXIV_MOCK_URL%/api/query}/oai',
           request_interval '0', max_retries '2', timeout '2', cache_ttl '0',
           max_response_bytes '4194304');
CREATE SCHEMA oai;
IMPORT FOREIGN SCHEMA arxiv_oai FROM SERVER arxiv_oai INTO oai;
-- the mock's corpus, for what PostgreSQL semantics require
CREATE TABLE corpus (id text PRIMARY KEY, version int, title text, abstract text,
  authors text[], author_details jsonb, primary_category text, categories text[],
  published timestamptz, updated timestamptz, comment text, journal_ref text, doi text,
  abs_url text, pdf_url text);
\copy corpus FROM PROGRAM 'python3 test/mock/mockctl dump'
ANALYZE corpus;
SQL

start=$(date +%s)
PYTHONPATH="$ARXIV_TOP/test/shell/lib" $PYTHON "$ARXIV_TOP/test/fault/campaign.py" \
	"$T_DB" "$ARXIV_WORK/postgres.log" || t_fail "see the figures above"
echo "campaign time: $(($(date +%s) - start)) s"
t_finish
