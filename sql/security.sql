-- Privileges of the local caches: an unprivileged role tries every way it
-- had to run its code as a superuser who creates, refreshes or reads caches,
-- or to disturb others' caches.  Each attempt must fail with a clear error
-- or be harmless: the attacker's code records who runs it in ran_as, and no
-- row there may name any role but the attacker.
\getenv mock_url ARXIV_MOCK_URL
SET timezone = 'UTC';
\! python3 test/mock/mockctl reset
CREATE EXTENSION arxiv_fdw;
CREATE SERVER arxiv FOREIGN DATA WRAPPER arxiv_fdw
  OPTIONS (base_url :'mock_url', request_interval '0', max_retries '1',
           cache_ttl '0');
IMPORT FOREIGN SCHEMA arxiv FROM SERVER arxiv INTO public;

CREATE ROLE regress_arxiv_attacker;
CREATE ROLE regress_arxiv_dumper IN ROLE pg_read_all_data;
GRANT USAGE ON FOREIGN SERVER arxiv TO regress_arxiv_attacker;
GRANT SELECT ON papers TO regress_arxiv_attacker;
CREATE SCHEMA evil AUTHORIZATION regress_arxiv_attacker;
-- as in a database upgraded from before PostgreSQL 15
GRANT CREATE ON SCHEMA public TO PUBLIC;
CREATE TABLE ran_as (what text, run_by name);
GRANT INSERT ON ran_as TO PUBLIC;

-- the attacker's tools
SET ROLE regress_arxiv_attacker;
CREATE FUNCTION evil.spy(what text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.ran_as VALUES (what, current_user);
  -- and try to leave a setting behind in the session it runs in
  PERFORM set_config('search_path', 'evil, public', false);
  RETURN true;
END $$;
-- planted where a function without a fixed search_path looks: min(name)
-- has no exact match in pg_catalog
CREATE FUNCTION public.spy_min(name, name) RETURNS name
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM evil.spy('public.min(name)');
  RETURN least($1, $2);
END $$;
CREATE AGGREGATE public.min(name) (sfunc = public.spy_min, stype = name);
CREATE FOREIGN TABLE evil.p (id text, updated timestamptz, category text)
  SERVER arxiv;
-- two caches of its own, one paper each: one to turn into a view, one with
-- a trigger and its code in the filter
SELECT arxiv_fdw.create_cache('evil.mine', 'evil.p', $$id = '2605.09735'$$);
SELECT arxiv_fdw.create_cache('evil.trig', 'evil.p',
  $$id = '2603.18030' AND evil.spy('filter')$$);
CREATE FUNCTION evil.trig() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM evil.spy('trigger');
  RETURN NULL;
END $$;
CREATE TRIGGER spy AFTER INSERT OR UPDATE OR DELETE ON evil.trig
  FOR EACH STATEMENT EXECUTE FUNCTION evil.trig();
CREATE TABLE evil.t (id text PRIMARY KEY, updated timestamptz);
RESET search_path;

-- 1. the catalog cannot be written, read or locked directly
CREATE TEMP VIEW tv AS SELECT NULL::text AS id, NULL::timestamptz AS updated
  WHERE evil.spy('temporary view');
CREATE TEMP VIEW tv2 AS SELECT NULL::text AS id, NULL::timestamptz AS updated
  WHERE evil.spy('repointed row');
INSERT INTO arxiv_fdw.caches (cache_table, foreign_table, filter, refresh_overlap)
  VALUES ('tv', 'evil.p', 'true', '1 hour');
UPDATE arxiv_fdw.caches SET cache_table = 'tv2' WHERE cache_table = 'tv'::regclass;
DELETE FROM arxiv_fdw.caches WHERE cache_table = 'evil.t'::regclass;
SELECT count(*) FROM arxiv_fdw.caches;
BEGIN;
LOCK TABLE arxiv_fdw.caches IN ACCESS EXCLUSIVE MODE;
ROLLBACK;
BEGIN;
LOCK TABLE arxiv_fdw.visible_caches IN ACCESS EXCLUSIVE MODE;
ROLLBACK;
BEGIN;
LOCK TABLE arxiv_fdw.cache_status IN ACCESS EXCLUSIVE MODE;
ROLLBACK;
-- 2. nor through the helpers: only a permanent table of one's own, and a
-- foreign table of one's own
SELECT arxiv_fdw.catalog_insert('tv', 'evil.p', 'true', '1 hour', NULL, NULL, NULL, NULL);
SELECT arxiv_fdw.catalog_insert('evil.t', 'papers', 'true', '1 hour', NULL, NULL, NULL, NULL);
SELECT arxiv_fdw.catalog_insert('ran_as', 'evil.p', 'true', '1 hour', NULL, NULL, NULL, NULL);
SELECT arxiv_fdw.create_cache('evil.of_papers', 'papers', $$id = '2605.09735'$$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- a temporary cache would leave its catalog row behind at the session's end
SELECT arxiv_fdw.create_cache('pg_temp.tc', 'evil.p', $$id = '2605.09735'$$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- 3. exec_as_owner runs as the owner of a relation one has the privileges
-- of, one statement, and never creates a temporary object
SELECT arxiv_fdw.exec_as_owner('ran_as', 'DELETE FROM public.ran_as');
SELECT arxiv_fdw.exec_as_owner('evil.t', 'SELECT 1; SELECT 2');
SELECT arxiv_fdw.exec_as_owner('evil.t', 'CREATE TEMP TABLE planted (x int)');
SELECT arxiv_fdw.exec_as_owner('evil.t', 'SELECT current_user');
RESET ROLE;
RESET search_path;

-- The victim, a superuser, has a cache of its own, and the attacker's
-- code must not run when it is created (public.min above).
SHOW search_path;
SELECT arxiv_fdw.create_cache('victim_cache', 'papers',
  $$category = 'cs.OS' AND published >= '2026-06-01'$$);
\! python3 test/mock/mockctl count

-- 4. The attacker's other role tools against the victim's cache: it is not
-- the attacker's to see, refresh, drop or record anything into, and a leaky
-- condition learns nothing of it.
SET ROLE regress_arxiv_attacker;
SELECT name FROM arxiv_fdw.cache_status ORDER BY name;
CREATE FUNCTION evil.leak(t text) RETURNS boolean
LANGUAGE plpgsql COST 0.0001 AS $$
BEGIN
  RAISE NOTICE 'leaked: %', t;
  RETURN true;
END $$;
SELECT count(*) FROM arxiv_fdw.visible_caches WHERE evil.leak(filter);
SELECT * FROM arxiv_fdw.refresh_cache('public.victim_cache');
SELECT arxiv_fdw.drop_cache('public.victim_cache');
SELECT arxiv_fdw.catalog_lock('victim_cache');
SELECT arxiv_fdw.catalog_record('victim_cache', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'XX000', 'planted');
-- 5. its cache table turned into a view (PostgreSQL 15 still converts an
-- empty table without indexes by CREATE RULE "_RETURN")
ALTER TABLE evil.mine DROP CONSTRAINT mine_pkey;
TRUNCATE evil.mine;
VACUUM evil.mine;  -- clears relhasindex
CREATE RULE "_RETURN" AS ON SELECT TO evil.mine DO INSTEAD
  SELECT NULL::text AS id, NULL::timestamptz AS updated WHERE evil.spy('view');
SELECT relkind FROM pg_class WHERE oid = 'evil.mine'::regclass;
RESET ROLE;
RESET search_path;

-- The victim reads the status of every cache, the attacker's included: the
-- rows are counted as each table's owner, and not at all for a view.
SELECT name, foreign_table, filter, rows, last_refresh_kind
  FROM arxiv_fdw.cache_status ORDER BY name;
-- and refreshes the attacker's caches: the trigger and the filter run as
-- the attacker, whose settings do not outlive the refresh
SELECT * FROM arxiv_fdw.refresh_cache('evil.trig', full => true);
SHOW search_path;
SELECT * FROM arxiv_fdw.refresh_cache('evil.mine');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\! python3 test/mock/mockctl count

-- A role with the privileges of the cache's owner manages it: it sees and
-- refreshes it (as the owner still).
CREATE ROLE regress_arxiv_member IN ROLE regress_arxiv_attacker;
SET ROLE regress_arxiv_member;
SELECT name, rows FROM arxiv_fdw.cache_status ORDER BY name;
SELECT * FROM arxiv_fdw.refresh_cache('evil.trig');
RESET ROLE;
RESET search_path;
SELECT arxiv_fdw.exec_as_owner('evil.t', 'SELECT');

-- 6. pg_dump reads the catalog with row_security off; a role that may read
-- all data can (there is no policy to make it fail)
SET ROLE regress_arxiv_dumper;
SET row_security = off;
SELECT count(*) FROM arxiv_fdw.caches;
RESET row_security;
RESET ROLE;

-- 7. A row whose table is gone (as a temporary cache's was after its
-- session): the status does not fail, and the next drop cleans it up.
INSERT INTO arxiv_fdw.caches (cache_table, foreign_table, filter, refresh_overlap)
  VALUES ('4000000000', 'papers', 'true', '1 hour');
SELECT count(*) FROM arxiv_fdw.cache_status;
CREATE TABLE scratch ();
DROP TABLE scratch;
SELECT count(*) FROM arxiv_fdw.caches WHERE cache_table = '4000000000';

-- the verdict: who ran the attacker's code
SELECT what, run_by, count(*) > 0 AS ran
  FROM ran_as GROUP BY 1, 2 ORDER BY 1, 2;
SELECT count(*) AS ran_as_someone_else FROM ran_as
 WHERE run_by <> 'regress_arxiv_attacker';

-- 8. every function of the extension has a fixed search_path, but the
-- entry points that resolve a name as the caller's SQL would (those are
-- LANGUAGE sql or the procedure, and qualify every name); SECURITY DEFINER
-- only the drop trigger
SELECT p.oid::regprocedure AS function, l.lanname, p.prosecdef
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace = 'arxiv_fdw'::regnamespace AND l.lanname <> 'c'
   AND (p.proconfig IS NULL OR NOT 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig)
        OR p.prosecdef)
 ORDER BY 1;

SET client_min_messages = warning;
DROP SCHEMA evil CASCADE;
DROP OWNED BY regress_arxiv_attacker;
DROP ROLE regress_arxiv_member, regress_arxiv_attacker, regress_arxiv_dumper;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
DROP TABLE ran_as;
DROP EXTENSION arxiv_fdw CASCADE;
RESET client_min_messages;
