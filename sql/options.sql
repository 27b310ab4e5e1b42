-- Option validation: every error one line, then the accepted forms.
CREATE EXTENSION arxiv_fdw;
\dx arxiv_fdw

-- unknown options, per catalog
CREATE SERVER s_bad FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (colour 'blue');
CREATE SERVER s_bad FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (query 'cat:cs.OS');
ALTER FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (base_url 'http://x');
-- bad values
CREATE SERVER s_bad FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (base_url 'ftp://export.arxiv.org/api/query');
CREATE SERVER s_bad FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (base_url 'file:///etc/passwd');
CREATE SERVER s_bad FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (base_url 'https://export.arxiv.org/api/query?x=1');
CREATE SERVER s_bad FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (request_interval '-1');
CREATE SERVER s_bad FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (request_interval 'soon');
CREATE SERVER s_bad FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (page_size '0');
CREATE SERVER s_bad FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (page_size '2001');
CREATE SERVER s_bad FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (page_size '10.5');
CREATE SERVER s_bad FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (timeout '0');
CREATE SERVER s_bad FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (max_retries '101');
CREATE SERVER s_bad FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (max_response_bytes '10');
CREATE SERVER s_bad FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (user_agent E'evil\r\nX-Injected: 1');
CREATE SERVER s_bad FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (page_size '10', page_size '20');
-- numbers are decimal: what the validator accepts is what the scan uses
-- (strtod read '0x10' as 16, atoi as 0; '1e1' was 10 and 1)
CREATE SERVER s_bad FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (page_size '0x10');
CREATE SERVER s_bad FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (max_retries '1e1');
CREATE SERVER s_bad FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (request_interval '0x10');
CREATE SERVER s_bad FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (timeout 'infinity');
CREATE SERVER s_bad FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (cache_ttl 'NaN');
CREATE SERVER s_bad FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (max_response_bytes '2e6');
CREATE SERVER s_bad FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (use_remote_estimate 'maybe');
CREATE SERVER s_bad FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (base_url 'http://export.arxiv.org\@127.0.0.1/api/query');
-- arXiv's 3 s hold for every arXiv host, however spelt
CREATE SERVER s_bad FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (request_interval '2.9');
CREATE SERVER s_bad FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (base_url 'https://ARXIV.org./api/query', request_interval '1');
CREATE SERVER s_bad FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (base_url 'http://oaipmh.arxiv.org:8080/oai', request_interval '0');
-- credentials in a URL are never echoed
CREATE SERVER s_bad FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (base_url 'gopher://admin:s3cret@mirror.example/api');

-- a good server: defaults, then every option
CREATE SERVER arxiv FOREIGN DATA WRAPPER arxiv_fdw;
CREATE SERVER arxiv_all FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (
  base_url 'https://export.arxiv.org/api/query', request_interval '3',
  page_size '2000', timeout '30', max_retries '5',
  user_agent 'library-bot/1.0 (mailto:librarian@example.org)',
  max_response_bytes '1000000');
ALTER SERVER arxiv_all OPTIONS (SET request_interval '0', SET page_size '1');

-- table options
CREATE FOREIGN TABLE t_bad (id text) SERVER arxiv OPTIONS (base_url 'http://x');
CREATE FOREIGN TABLE t_bad (id text) SERVER arxiv OPTIONS (query 'cat:cs.OS)');
CREATE FOREIGN TABLE t_bad (id text) SERVER arxiv OPTIONS (query 'cat:cs.OS) OR (all:x');
CREATE FOREIGN TABLE t_bad (id text) SERVER arxiv OPTIONS (query 'ti:"unclosed');
CREATE FOREIGN TABLE t_bad (id text) SERVER arxiv OPTIONS (query '   ');
CREATE FOREIGN TABLE os_papers (id text, title text) SERVER arxiv
  OPTIONS (query 'cat:cs.OS AND (ti:kernel OR abs:"file system")', page_size '100');
-- column options
CREATE FOREIGN TABLE t_bad (x text OPTIONS (colour 'red')) SERVER arxiv;
CREATE FOREIGN TABLE t_bad (x text OPTIONS (field 'nonsense')) SERVER arxiv;
CREATE FOREIGN TABLE renamed (arxiv_id text OPTIONS (field 'id'), headline text OPTIONS (field 'title')) SERVER arxiv;

-- IMPORT FOREIGN SCHEMA
CREATE SCHEMA imp;
IMPORT FOREIGN SCHEMA nosuch FROM SERVER arxiv INTO imp;
IMPORT FOREIGN SCHEMA arxiv LIMIT TO (other) FROM SERVER arxiv INTO imp;
\det imp.*
IMPORT FOREIGN SCHEMA arxiv EXCEPT (papers) FROM SERVER arxiv INTO imp;
\det imp.*
IMPORT FOREIGN SCHEMA arxiv LIMIT TO (papers) FROM SERVER arxiv INTO imp;
\d imp.papers

-- a column that is no arXiv field is refused when used
CREATE FOREIGN TABLE misspelt (id text, titel text) SERVER arxiv;
SELECT * FROM misspelt WHERE id = '2605.09735';

-- nothing restricts the scan: refused, with a hint, before any request
SELECT count(*) FROM imp.papers;
SELECT count(*) FROM imp.papers WHERE title ILIKE '%kernel%';
EXPLAIN (COSTS OFF) SELECT * FROM imp.papers WHERE version = 2;

-- a filter column under a condition that cannot go to arXiv
SELECT * FROM imp.papers WHERE category = 'cs.OS' AND author LIKE 'Kai%';
SELECT * FROM imp.papers WHERE category = 'cs.OS' OR title = 'x';

-- only the server's owner (or a superuser) may point it elsewhere
CREATE ROLE regress_arxiv_reader;
GRANT USAGE ON FOREIGN SERVER arxiv TO regress_arxiv_reader;
SET ROLE regress_arxiv_reader;
ALTER SERVER arxiv OPTIONS (ADD base_url 'http://attacker.example/api/query');
CREATE SERVER mine FOREIGN DATA WRAPPER arxiv_fdw;
RESET ROLE;
REVOKE USAGE ON FOREIGN SERVER arxiv FROM regress_arxiv_reader;
DROP ROLE regress_arxiv_reader;

-- a role with USAGE on the wrapper owns its servers, but some options need
-- a superuser: base_url (any host: internal services), timeout above 300 s,
-- max_response_bytes above 256 MB; and no one may go below arXiv's 3 s
CREATE ROLE regress_arxiv_owner;
GRANT USAGE ON FOREIGN DATA WRAPPER arxiv_fdw TO regress_arxiv_owner;
SET ROLE regress_arxiv_owner;
CREATE SERVER s_bad FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (base_url 'http://127.0.0.1:5432/');
CREATE SERVER s_bad FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (base_url 'https://export.arxiv.org/api/query');
CREATE SERVER s_bad FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (timeout '301');
CREATE SERVER s_bad FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (max_response_bytes '268435457');
CREATE SERVER s_bad FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (request_interval '0');
CREATE SERVER own FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (request_interval '10',
  timeout '300', max_response_bytes '268435456', user_agent 'bot (mailto:me@example.org)');
ALTER SERVER own OPTIONS (SET request_interval '1');
RESET ROLE;
-- a superuser may; the options stay when the server changes hands, and the
-- new owner can drop base_url but change nothing else while it is set
ALTER SERVER own OPTIONS (ADD base_url 'http://127.0.0.1:9/api/query', SET request_interval '0',
  SET timeout '3600');
ALTER SERVER own OWNER TO regress_arxiv_owner;
SET ROLE regress_arxiv_owner;
ALTER SERVER own OPTIONS (SET user_agent 'other');
ALTER SERVER own OPTIONS (DROP base_url, SET request_interval '3', SET timeout '60');
SELECT srvname, srvoptions FROM pg_foreign_server WHERE srvname = 'own';
DROP SERVER own;
RESET ROLE;
REVOKE USAGE ON FOREIGN DATA WRAPPER arxiv_fdw FROM regress_arxiv_owner;
DROP ROLE regress_arxiv_owner;

DROP SCHEMA imp CASCADE;
DROP SERVER arxiv_all;
DROP SERVER arxiv CASCADE;
DROP EXTENSION arxiv_fdw CASCADE;
