#!/usr/bin/env bash
# Command 1: set everything up on a fresh machine and run a demo query.
# Installs packages, builds and installs arxiv_fdw, starts a scratch
# PostgreSQL cluster and the bundled mock arXiv API, then queries it.
# With ARXIV_LIVE=1 the demo server points at the real export.arxiv.org.
source "$(dirname "$0")/lib/env.sh"
setup_all

url=$ARXIV_MOCK_URL
oai_url=${ARXIV_MOCK_URL%/api/query}/oai
interval=0
if [ "${ARXIV_LIVE:-0}" = 1 ]; then
	url=https://export.arxiv.org/api/query; oai_url=https://oaipmh.arxiv.org/oai; interval=3
fi

psql -X -v ON_ERROR_STOP=1 -d postgres <<SQL
DROP DATABASE IF EXISTS arxiv_demo;
CREATE DATABASE arxiv_demo;
\c arxiv_demo
CREATE EXTENSION arxiv_fdw;
CREATE SERVER arxiv FOREIGN DATA WRAPPER arxiv_fdw
  OPTIONS (base_url '$url', oai_url '$oai_url', request_interval '$interval');
IMPORT FOREIGN SCHEMA arxiv FROM SERVER arxiv INTO public;
IMPORT FOREIGN SCHEMA arxiv_oai FROM SERVER arxiv INTO public;
\echo
\echo '-- operating-systems papers of May 2026'
SELECT id, version, left(title, 60) AS title, authors[1:2] AS first_authors, published
  FROM papers
 WHERE category = 'cs.OS' AND published >= '2026-05-01' AND published < '2026-06-01'
 ORDER BY published DESC LIMIT 10;
\echo '-- one paper by id'
SELECT id, version, title, primary_category, categories, comment FROM papers WHERE id = '2605.09735';
\echo '-- what the scan sent to arXiv'
EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT title FROM papers WHERE author = 'Kaiser' AND category = 'cs.LG';
\echo '-- OAI-PMH: the version history and licence of the same paper'
SELECT v.id, v.version, v.submitted, v.size_kb, p.license
  FROM oai_versions v JOIN oai_papers p USING (id)
 WHERE v.id = '2605.09735' AND p.id = '2605.09735' ORDER BY v.version;
\echo '-- OAI-PMH: cs.OS papers whose metadata changed in June 2026, by day'
SELECT datestamp, count(*) AS papers, count(doi) AS with_doi
  FROM oai_papers
 WHERE category = 'cs.OS' AND datestamp BETWEEN '2026-06-01' AND '2026-06-30'
 GROUP BY datestamp ORDER BY datestamp DESC LIMIT 5;
SQL
log "demo done: the cluster is still running (psql -h $PGHOST -p $PGPORT -U postgres arxiv_demo)"
