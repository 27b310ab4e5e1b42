-- Local caches: ordinary tables holding the rows of a foreign table that
-- match a filter, refreshed incrementally (only what changed on arXiv since
-- the last refresh) or in full, by hand or on a pg_cron schedule.
--
-- Rules kept throughout:
--
-- * A refresh is atomic: it fetches everything into a temporary table first
--   and only then applies it, in one transaction, so an error (HTTP error
--   after the retries, timeout, cancel, malformed page) leaves the cache
--   exactly as it was.  The failure is recorded in the catalog row only where
--   the recording can be committed: see refresh_cache_job() below.
-- * Names are interpolated with format('%I') or as regclass (which quotes and
--   qualifies itself); the filter is checked to be one expression of one
--   SELECT before it is ever run, and is always followed by a newline so that
--   a trailing "--" comment cannot swallow what comes after it.
--
-- Security (PostgreSQL's "Security Considerations for Extension Scripts",
-- and what REFRESH MATERIALIZED VIEW does):
--
-- * The catalog, arxiv_fdw.caches, grants nothing to PUBLIC and has no
--   policy.  Its rows are written only by catalog_insert(), catalog_lock()
--   and catalog_record() (C, src/cache_owner.c), which check that the
--   calling role has the privileges of the owner of the cache table (for a
--   new cache, of the foreign table too) and then run one fixed statement
--   as the catalog's owner, and by the drop trigger.  It is read through
--   the security-barrier view visible_caches, which shows a role only the
--   caches whose table's owner it has the privileges of.
-- * Whatever a refresh runs that a user wrote or owns (the filter, the
--   cache table with its triggers, its columns' types) runs as the owner of
--   the cache table in a security-restricted operation, through
--   exec_as_owner(), and so does the row count of cache_status: never as
--   whoever refreshes or reads, and without leaving a setting or a
--   temporary object behind in their session.  create_cache() runs the
--   filter as its caller, who becomes the cache table's owner.
-- * Every function has SET search_path = pg_catalog, pg_temp, but for the
--   entry points that take a table name: they must resolve it with the
--   caller's search_path, as SQL would, so they are LANGUAGE sql (one is a
--   procedure, which cannot COMMIT with a SET clause) and qualify every
--   name they use.  The filter is run with search_path = pg_catalog,
--   pg_temp too: at creation and at every refresh it means the same,
--   whoever runs it, and nobody can plant a function or operator for it.
-- * SECURITY DEFINER: only the drop trigger, argued there.
-- * Locks: a refresh takes the cache table (SHARE UPDATE EXCLUSIVE), then
--   its catalog row (FOR UPDATE), the order in which DROP TABLE takes them
--   (the table, then the drop trigger's DELETE), so the two cannot deadlock.
--
-- 1.0 has not been released, so this script is changed in place rather
-- than by an upgrade script.

-- One row per cache.  Dumped by pg_dump (pg_extension_config_dump below);
-- regclass columns are dumped as names and survive pg_upgrade (pg_class OIDs
-- are preserved), and follow ALTER TABLE ... RENAME.
CREATE TABLE caches (
    cache_table regclass PRIMARY KEY,
    foreign_table regclass NOT NULL,
    filter text NOT NULL,
    refresh_overlap interval NOT NULL,
    -- max("updated") of the rows in the cache (of an OAI-PMH table's cache,
    -- max("datestamp") as midnight UTC): where the next incremental refresh
    -- starts (less refresh_overlap)
    high_water_mark timestamptz,
    -- the last successful refresh (creation counts as one)
    last_refresh timestamptz,
    last_refresh_kind text CHECK (last_refresh_kind IN ('create', 'incremental', 'full')),
    last_duration interval,
    last_requests bigint,
    last_inserted bigint,
    last_updated bigint,
    last_deleted bigint,
    -- the last failed refresh, cleared by a successful one
    last_error text,
    last_error_sqlstate text,
    last_error_time timestamptz,
    created timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE caches IS 'arxiv_fdw local caches: definition and refresh status';
SELECT pg_catalog.pg_extension_config_dump('caches', '');

-- Nobody but the extension's owner reads or writes it directly (see above).
-- No policy either: pg_dump reads it with row_security off, which a policy
-- turns into an error for every role without BYPASSRLS.
REVOKE ALL ON caches FROM PUBLIC;

-- See src/cache_owner.c.  Each checks the caller's privileges itself.
CREATE FUNCTION exec_as_owner(rel regclass, query text)
RETURNS text[]
AS 'MODULE_PATHNAME', 'arxiv_fdw_exec_as_owner'
LANGUAGE C VOLATILE;

CREATE FUNCTION catalog_insert(cache regclass, foreign_table regclass,
                               filter text, refresh_overlap interval,
                               high_water_mark timestamptz, duration interval,
                               requests bigint, inserted bigint)
RETURNS void
AS 'MODULE_PATHNAME', 'arxiv_fdw_catalog_insert'
LANGUAGE C VOLATILE;

CREATE FUNCTION catalog_lock(cache regclass)
RETURNS caches
AS 'MODULE_PATHNAME', 'arxiv_fdw_catalog_lock'
LANGUAGE C VOLATILE;

CREATE FUNCTION catalog_record(cache regclass, full_refresh boolean,
                               high_water_mark timestamptz, duration interval,
                               requests bigint, inserted bigint,
                               updated bigint, deleted bigint,
                               error_sqlstate text, error_message text)
RETURNS void
AS 'MODULE_PATHNAME', 'arxiv_fdw_catalog_record'
LANGUAGE C VOLATILE;

-- The caches a role may see and manage: those whose table's owner it has
-- the privileges of.  pg_has_role() is evaluated as the querying role (a
-- view reads its tables with its owner's rights, but runs its functions as
-- the caller); security_barrier keeps a caller's own, leaky, conditions
-- from seeing the other rows.  A row whose table is gone (a temporary
-- table's, after its session) is nobody's.
CREATE VIEW visible_caches WITH (security_barrier) AS
    SELECT c.*
      FROM @extschema@.caches c
      JOIN pg_catalog.pg_class r ON r.oid OPERATOR(pg_catalog.=) c.cache_table::pg_catalog.oid
     WHERE pg_catalog.pg_has_role(r.relowner, 'USAGE');
GRANT SELECT ON visible_caches TO PUBLIC;

-- The field a column of a foreign table holds, as the scans map it (its
-- "field" option, else its name): see arxiv_column_field_name().
CREATE FUNCTION column_field(foreign_table regclass, attnum smallint)
RETURNS text
AS 'MODULE_PATHNAME', 'arxiv_fdw_column_field'
LANGUAGE C STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp;

-- The columns of a foreign table of arxiv_fdw and the arXiv field each maps
-- to, in column order.
CREATE FUNCTION foreign_table_fields(foreign_table regclass)
RETURNS TABLE(attname name, field text, attnum smallint, typid oid,
              coldef text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT a.attname,
           @extschema@.column_field(foreign_table, a.attnum),
           a.attnum, a.atttypid,
           format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod)) ||
           coalesce((SELECT format(' COLLATE %I.%I', n.nspname, co.collname)
                     FROM pg_collation co
                     JOIN pg_namespace n ON n.oid = co.collnamespace
                     JOIN pg_type t ON t.oid = a.atttypid
                     WHERE co.oid = a.attcollation AND a.attcollation <> t.typcollation), '')
    FROM pg_attribute a
    WHERE a.attrelid = foreign_table AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY a.attnum
$$;

-- How a cache of a foreign table is keyed and refreshed, by the table's
-- source (its "source" option): the fields of the primary key, and the
-- field an incremental refresh starts from.  The API's "updated" is a
-- timestamp; OAI-PMH's "datestamp", the day of a paper's last change
-- (metadata-only changes included), is a date in UTC.
CREATE FUNCTION refresh_spec(foreign_table regclass, OUT source text,
                             OUT key_fields text[], OUT cursor_field text,
                             OUT cursor_is_day boolean)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT src,
           CASE src WHEN 'oai_versions' THEN ARRAY['id', 'version'] ELSE ARRAY['id'] END,
           CASE src WHEN 'api' THEN 'updated' ELSE 'datestamp' END,
           src <> 'api'
      FROM (SELECT coalesce((SELECT substr(o, 8) FROM unnest(t.ftoptions) o
                             WHERE o LIKE 'source=%' LIMIT 1), 'api') AS src
              FROM pg_foreign_table t WHERE t.ftrelid = foreign_table) s
$$;

-- What a refresh copies: the columns the cache and the foreign table have
-- in common (columns a user added to the cache table, notes and the like,
-- are left alone), as lists for the statements, and the cache's definitions
-- of them for the temporary table.  Catalog reads only.
CREATE FUNCTION refresh_columns(cache regclass, foreign_table regclass,
    OUT cols text, OUT coldefs text, OUT set_list text, OUT t_text text,
    OUT ex_text text, OUT key_cols text, OUT key_match text,
    OUT updated_col name, OUT cursor_is_day boolean)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT string_agg(quote_ident(ff.attname), ', ' ORDER BY a.attnum),
           string_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod)) ||
                      coalesce((SELECT format(' COLLATE %I.%I', n.nspname, co.collname)
                                FROM pg_collation co
                                JOIN pg_namespace n ON n.oid = co.collnamespace
                                JOIN pg_type t ON t.oid = a.atttypid
                                WHERE co.oid = a.attcollation AND a.attcollation <> t.typcollation), ''),
                      ', ' ORDER BY a.attnum),
           string_agg(format('%I = excluded.%I', ff.attname, ff.attname), ', ' ORDER BY a.attnum),
           string_agg(format('t.%I::text', ff.attname), ', ' ORDER BY a.attnum),
           string_agg(format('excluded.%I::text', ff.attname), ', ' ORDER BY a.attnum),
           -- NULL unless every key field has a column
           CASE WHEN count(*) FILTER (WHERE ff.field = ANY (spec.key_fields))
                     = cardinality(spec.key_fields) THEN
               string_agg(quote_ident(ff.attname), ', ' ORDER BY array_position(spec.key_fields, ff.field))
                   FILTER (WHERE ff.field = ANY (spec.key_fields)) END,
           string_agg(format('f.%1$I = t.%1$I', ff.attname), ' AND ')
               FILTER (WHERE ff.field = ANY (spec.key_fields)),
           min(ff.attname::text) FILTER (WHERE ff.field = spec.cursor_field),
           spec.cursor_is_day
      FROM @extschema@.refresh_spec(foreign_table) spec,
           @extschema@.foreign_table_fields(foreign_table) ff
      JOIN pg_attribute a
        ON a.attrelid = cache AND a.attname = ff.attname
       AND NOT a.attisdropped AND a.attgenerated = ''
     WHERE ff.field NOT IN ('category', 'author', 'search')
     GROUP BY spec.key_fields, spec.cursor_is_day
$$;

-- Check that a filter is one boolean expression over the foreign table that
-- arxiv_fdw can turn into a request, by planning it: no request is made.
-- A cursor, unlike EXECUTE, refuses a string of several statements before
-- running any of them.  Runs as its caller, who is the cache's owner.
CREATE FUNCTION check_cache_filter(foreign_table regclass, filter text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    plan refcursor;
    state text;
    msg text;
    det text;
BEGIN
    IF filter IS NULL OR btrim(filter) = '' THEN
        RAISE EXCEPTION 'cache filter must not be empty'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Give a condition on the columns of the foreign table, such as category = ''cs.OS'' AND published >= ''2026-01-01''; a cache of all of arXiv is not possible.';
    END IF;
    BEGIN
        OPEN plan FOR EXECUTE
            format(E'EXPLAIN SELECT 1 FROM %s WHERE (%s\n)', foreign_table, filter);
        CLOSE plan;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                                det = PG_EXCEPTION_DETAIL;
        IF state = '42P11' THEN     -- invalid_cursor_definition: ";" in it
            state := '42601';
            msg := 'the filter contains more than one SQL statement';
        END IF;
        RAISE EXCEPTION 'invalid cache filter: %', msg
            USING ERRCODE = state,
                  DETAIL = concat_ws('  ', format('The filter was %s.', quote_literal(filter)),
                                     nullif(det, '')),
                  HINT = format('The filter must be an SQL condition on the columns of foreign table %s that arxiv_fdw can send to arXiv, such as category = ''cs.OS'' AND published >= ''2026-01-01''.',
                                foreign_table);
    END;
END;
$$;

-- The cache for a name as the caller's SQL resolved it (rel, which the entry
-- point got from to_regclass(cache_name)), or an error.
CREATE FUNCTION cache_by_name(rel regclass, cache_name text)
RETURNS regclass
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF cache_name IS NULL THEN
        RAISE EXCEPTION 'cache name must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF rel IS NULL THEN
        RAISE EXCEPTION 'cache "%" does not exist', cache_name
            USING ERRCODE = 'undefined_table',
                  HINT = 'The view arxiv_fdw.cache_status lists the caches you own.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.visible_caches c WHERE c.cache_table = rel) THEN
        RAISE EXCEPTION 'table "%" is not an arxiv_fdw cache', cache_name
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'Create caches with arxiv_fdw.create_cache(); arxiv_fdw.cache_status lists the caches you own.';
    END IF;
    RETURN rel;
END;
$$;

-- create_cache() proper; schema_name is the caller's current schema.
CREATE FUNCTION create_cache_in(schema_name name, cache_name text,
                                foreign_table regclass, filter text,
                                refresh_overlap interval)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
-- a cache starts from what arXiv has now, not from a stored response
SET arxiv_fdw.response_cache = off
-- an OAI-PMH harvest that fails part-way resumes on the next try, from
-- pages kept on disk (see oai_journal.c); the creation stays all or nothing
SET arxiv_fdw.resume_harvests = on
AS $$
DECLARE
    started timestamptz := clock_timestamp();
    requests_before bigint := (@extschema@.session_stats()).requests;
    parts text[];
    qualified text;
    rel regclass;
    coldefs text;
    cols text;
    key_cols text;
    updated_col name;
    spec record;
    loaded bigint;
    hwm timestamptz;
    f record;
BEGIN
    IF cache_name IS NULL OR foreign_table IS NULL OR refresh_overlap IS NULL THEN
        RAISE EXCEPTION 'cache name, foreign table and refresh overlap must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF refresh_overlap < interval '0' THEN
        RAISE EXCEPTION 'refresh overlap must not be negative'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT 1
                   FROM pg_foreign_table t
                   JOIN pg_foreign_server s ON s.oid = t.ftserver
                   JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw
                   JOIN pg_proc p ON p.oid = w.fdwhandler
                   WHERE t.ftrelid = foreign_table
                     AND p.proname = 'arxiv_fdw_handler'
                     AND p.pronamespace = '@extschema@'::regnamespace) THEN
        RAISE EXCEPTION '"%" is not a foreign table of arxiv_fdw', foreign_table
            USING ERRCODE = 'wrong_object_type';
    END IF;
    -- catalog_insert() checks it too, but only after the fetch
    IF NOT pg_has_role((SELECT c.relowner FROM pg_class c WHERE c.oid = foreign_table), 'USAGE') THEN
        RAISE EXCEPTION 'must be owner of foreign table %', foreign_table
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'A cache can only be made of a foreign table whose owner''s privileges you have.';
    END IF;

    -- the cache keeps every column except the filter columns, whose values
    -- are the request's, not the paper's
    spec := @extschema@.refresh_spec(foreign_table);
    SELECT string_agg(ff.coldef, ', ' ORDER BY ff.attnum),
           string_agg(quote_ident(ff.attname), ', ' ORDER BY ff.attnum),
           CASE WHEN count(*) FILTER (WHERE ff.field = ANY (spec.key_fields))
                     = cardinality(spec.key_fields) THEN
               string_agg(quote_ident(ff.attname), ', ' ORDER BY array_position(spec.key_fields, ff.field))
                   FILTER (WHERE ff.field = ANY (spec.key_fields)) END,
           min(ff.attname::text) FILTER (WHERE ff.field = spec.cursor_field)
      INTO coldefs, cols, key_cols, updated_col
      FROM @extschema@.foreign_table_fields(foreign_table) ff
     WHERE ff.field NOT IN ('category', 'author', 'search');
    IF key_cols IS NULL OR updated_col IS NULL THEN
        RAISE EXCEPTION 'foreign table % lacks a column the cache needs', foreign_table
            USING ERRCODE = 'undefined_column',
                  DETAIL = format('A cache of it is keyed by %s and refreshed by "%s".',
                                  array_to_string(spec.key_fields, ' and '), spec.cursor_field),
                  HINT = 'Add the column to the foreign table, or use one made by IMPORT FOREIGN SCHEMA.';
    END IF;

    PERFORM @extschema@.check_cache_filter(foreign_table, filter);

    -- the name as CREATE TABLE takes it; an unqualified one goes to the
    -- caller's current schema, which is where CREATE TABLE would put it
    parts := parse_ident(cache_name);
    IF array_length(parts, 1) = 1 THEN
        IF schema_name IS NULL THEN
            RAISE EXCEPTION 'no schema has been selected to create the cache in'
                USING ERRCODE = 'invalid_schema_name',
                      HINT = 'Qualify the cache name with a schema, or set search_path.';
        END IF;
        qualified := format('%I.%I', schema_name, parts[1]);
    ELSIF array_length(parts, 1) = 2 THEN
        qualified := format('%I.%I', parts[1], parts[2]);
    ELSE
        RAISE EXCEPTION 'invalid cache name "%"', cache_name
            USING ERRCODE = 'invalid_name',
                  HINT = 'Give a table name, optionally qualified with a schema.';
    END IF;

    EXECUTE format('CREATE TABLE %s (%s, PRIMARY KEY (%s))',
                   qualified, coldefs, key_cols);
    rel := qualified::regclass;
    -- its catalog row would outlive it, at the end of the session
    IF (SELECT c.relpersistence FROM pg_class c WHERE c.oid = rel) = 't' THEN
        RAISE EXCEPTION 'a cache cannot be a temporary table'
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'Create the cache in a permanent schema.';
    END IF;
    -- arXiv should never return an id twice in one result; if it does, the
    -- first row wins rather than the creation failing
    EXECUTE format(E'INSERT INTO %s (%s) SELECT %s FROM %s WHERE (%s\n) ON CONFLICT DO NOTHING',
                   rel, cols, cols, foreign_table, filter);
    GET DIAGNOSTICS loaded = ROW_COUNT;

    -- GIN indexes are built much faster in bulk than row by row
    FOR f IN SELECT ff.attname, ff.field, t.typcategory
               FROM @extschema@.foreign_table_fields(foreign_table) ff
               JOIN pg_type t ON t.oid = ff.typid
              WHERE ff.field IN ('categories', 'authors') LOOP
        IF f.typcategory = 'A' THEN
            EXECUTE format('CREATE INDEX ON %s USING gin (%I)', rel, f.attname);
        END IF;
    END LOOP;
    SELECT string_agg(format('coalesce(%I, '''')', ff.attname), ' || '' '' || ' ORDER BY ff.field DESC)
      INTO cols
      FROM @extschema@.foreign_table_fields(foreign_table) ff
     WHERE ff.field IN ('title', 'abstract');
    IF cols IS NOT NULL THEN
        EXECUTE format('CREATE INDEX ON %s USING gin (to_tsvector(''english'', %s))',
                       rel, cols);
    END IF;
    EXECUTE format('ANALYZE %s', rel);

    EXECUTE format(CASE WHEN spec.cursor_is_day
                        THEN 'SELECT max(%I)::timestamp AT TIME ZONE ''UTC'' FROM %s'
                        ELSE 'SELECT max(%I) FROM %s' END, updated_col, rel) INTO hwm;
    PERFORM @extschema@.catalog_insert(rel, foreign_table, filter, refresh_overlap, hwm,
                                       clock_timestamp() - started,
                                       (@extschema@.session_stats()).requests - requests_before,
                                       loaded);
    RETURN loaded;
END;
$$;

-- The entry point: no SET search_path, so that an unqualified cache name
-- goes to the caller's current schema (foreign_table was resolved by the
-- caller's query already); every name in it is qualified.
CREATE FUNCTION create_cache(cache_name text, foreign_table regclass, filter text,
                             refresh_overlap interval DEFAULT '1 hour')
RETURNS bigint
LANGUAGE sql
AS $$
    SELECT @extschema@.create_cache_in(pg_catalog.current_schema(), $1, $2, $3, $4)
$$;

COMMENT ON FUNCTION create_cache(text, regclass, text, interval) IS
    'create a local table caching the rows of an arxiv_fdw foreign table that match a filter';

-- The part of a refresh that touches what users own, run by
-- refresh_cache_attempt() through exec_as_owner(), as the owner of the cache
-- table: it fetches into pg_temp.arxiv_fdw_refresh (made for it by
-- refresh_cache_attempt(): no temporary table can be created here), applies,
-- and records the success.
CREATE FUNCTION refresh_apply(cache regclass, foreign_table regclass, filter text,
    full_refresh boolean, high_water_mark timestamptz, refresh_overlap interval,
    OUT inserted bigint, OUT updated bigint, OUT deleted bigint, OUT requests bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
-- a refresh exists to see what changed: never answer it from stored
-- responses (an incremental refresh repeats its request exactly)
SET arxiv_fdw.response_cache = off
-- but an OAI-PMH harvest interrupted part-way resumes from the pages it
-- had (see oai_journal.c), rather than asking for them again: a big set
-- takes hours at arXiv's rate, and the refresh is still all or nothing
SET arxiv_fdw.resume_harvests = on
AS $$
DECLARE
    started timestamptz := clock_timestamp();
    stats_before record := @extschema@.session_stats();
    rc record;
    bound timestamptz;
    fetched bigint;
    cached bigint;
    hwm timestamptz;
BEGIN
    PERFORM @extschema@.check_cache_filter(foreign_table, filter);
    rc := @extschema@.refresh_columns(cache, foreign_table);

    -- 1. fetch, into the temporary table: nothing touches the cache yet
    IF full_refresh OR high_water_mark IS NULL THEN
        EXECUTE format(E'INSERT INTO pg_temp.arxiv_fdw_refresh (%s) SELECT %s FROM %s WHERE (%s\n)',
                       rc.cols, rc.cols, foreign_table, filter);
    ELSE
        -- arxiv_fdw sorts by lastUpdatedDate, newest first, and stops
        -- paging at the bound: the cost follows what changed, not the
        -- size of the cache
        bound := high_water_mark - refresh_overlap;
        -- OAI-PMH: from the UTC day of the bound ("from" is a day)
        EXECUTE format(E'INSERT INTO pg_temp.arxiv_fdw_refresh (%s) SELECT %s FROM %s WHERE (%s\n) AND %I >= %s',
                       rc.cols, rc.cols, foreign_table, filter, rc.updated_col,
                       CASE WHEN rc.cursor_is_day THEN '($1 AT TIME ZONE ''UTC'')::pg_catalog.date'
                            ELSE '$1' END)
            USING bound;
    END IF;
    GET DIAGNOSTICS fetched = ROW_COUNT;

    -- 2. apply
    deleted := 0;
    IF full_refresh THEN
        EXECUTE format('SELECT count(*) FROM %s', cache) INTO cached;
        -- arXiv does not delete papers: an empty answer to a query that
        -- matched papers before is a failure of the API, not news.  (No
        -- request at all, as for an empty id list, is a real nothing.)
        IF fetched = 0 AND cached > 0 AND
           (SELECT s.requests + s.cache_hits FROM @extschema@.session_stats() s) >
           stats_before.requests + stats_before.cache_hits THEN
            RAISE EXCEPTION 'full refresh of cache % fetched no rows', cache
                USING ERRCODE = 'fdw_error',
                      DETAIL = format('The cache has %s rows; arXiv does not delete papers, so an empty result is taken for a failure of the arXiv API.', cached),
                      HINT = 'Try again later.  To empty the cache, use TRUNCATE.';
        END IF;
        ANALYZE pg_temp.arxiv_fdw_refresh;
        EXECUTE format('DELETE FROM %s t WHERE NOT EXISTS (SELECT 1 FROM pg_temp.arxiv_fdw_refresh f WHERE %s)',
                       cache, rc.key_match);
        GET DIAGNOSTICS deleted = ROW_COUNT;
    END IF;
    -- A row is rewritten only if it differs (compared as text, which
    -- every type has, json included); an incremental refresh also never
    -- goes back to an older "updated" than the cache has.  The xmax of
    -- a freshly inserted row is 0, of an updated one our xid.
    EXECUTE format(
        'WITH applied AS ('
        '  INSERT INTO %1$s AS t (%2$s)'
        '  SELECT DISTINCT ON (%3$s) %2$s FROM pg_temp.arxiv_fdw_refresh'
        '   ORDER BY %3$s, %4$I DESC NULLS LAST'
        '  ON CONFLICT (%3$s) DO UPDATE SET %5$s'
        '  WHERE (%6$s) IS DISTINCT FROM (%7$s)%8$s'
        '  RETURNING t.xmax = 0 AS is_new)'
        ' SELECT count(*) FILTER (WHERE is_new), count(*) FILTER (WHERE NOT is_new) FROM applied',
        cache, rc.cols, rc.key_cols, rc.updated_col, rc.set_list, rc.t_text, rc.ex_text,
        CASE WHEN full_refresh THEN ''
             ELSE format(' AND (t.%1$I IS NULL OR excluded.%1$I >= t.%1$I)', rc.updated_col) END)
        INTO inserted, updated;
    DROP TABLE pg_temp.arxiv_fdw_refresh;

    EXECUTE format(CASE WHEN rc.cursor_is_day
                        THEN 'SELECT max(%I)::timestamp AT TIME ZONE ''UTC'' FROM %s'
                        ELSE 'SELECT max(%I) FROM %s' END, rc.updated_col, cache) INTO hwm;
    requests := (@extschema@.session_stats()).requests - stats_before.requests;
    PERFORM @extschema@.catalog_record(cache, full_refresh, hwm, clock_timestamp() - started,
                                       requests, inserted, updated, deleted, NULL, NULL);
END;
$$;

-- One refresh attempt.  It never throws for a failure of the refresh itself:
-- it rolls the cache back to where it was (a subtransaction), records the
-- error in the catalog row, and returns it, so that each caller can decide
-- whether the recording is worth committing (see refresh_cache_job).
CREATE FUNCTION refresh_cache_attempt(cache regclass, full_refresh boolean,
    OUT inserted bigint, OUT updated bigint, OUT deleted bigint,
    OUT requests bigint, OUT error_sqlstate text, OUT error_message text,
    OUT error_detail text, OUT error_hint text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    stats_before record := @extschema@.session_stats();
    c @extschema@.caches;
    rc record;
    owner oid;
    r text[];
BEGIN
    full_refresh := coalesce(full_refresh, false);
    -- checks the caller, waits for a refresh of the same cache that is
    -- under way, and locks the table, then the row
    c := @extschema@.catalog_lock(cache);
    owner := (SELECT t.relowner FROM pg_class t WHERE t.oid = cache);

    BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_class t WHERE t.oid = c.foreign_table) THEN
            RAISE EXCEPTION 'foreign table of cache % does not exist any more', cache
                USING ERRCODE = 'undefined_table',
                      HINT = 'Drop the cache and create it again.';
        END IF;
        rc := @extschema@.refresh_columns(cache, c.foreign_table);
        IF rc.key_cols IS NULL OR rc.updated_col IS NULL THEN
            RAISE EXCEPTION 'cache % and foreign table % have no common column for the arXiv field "%"',
                            cache, c.foreign_table,
                            CASE WHEN rc.key_cols IS NULL THEN 'id'
                                 ELSE (@extschema@.refresh_spec(c.foreign_table)).cursor_field END
                USING ERRCODE = 'undefined_column';
        END IF;
        -- The owner's part cannot create a temporary table (in a
        -- security-restricted operation nothing may appear in front of the
        -- caller's search_path): it is made here, empty, and handed to the
        -- owner.  Inside the subtransaction, so that a failure takes it along.
        EXECUTE format('CREATE TEMP TABLE arxiv_fdw_refresh (%s) ON COMMIT DROP', rc.coldefs);
        IF owner <> (SELECT a.oid FROM pg_roles a WHERE a.rolname = current_user) THEN
            EXECUTE format('ALTER TABLE pg_temp.arxiv_fdw_refresh OWNER TO %I',
                           pg_get_userbyid(owner));
        END IF;
        r := @extschema@.exec_as_owner(cache, format(
            'SELECT * FROM @extschema@.refresh_apply(%L::pg_catalog.regclass, %L::pg_catalog.regclass, %L,'
            ' %L::pg_catalog.bool, %L::pg_catalog.timestamptz, %L::pg_catalog.interval)',
            cache::oid, c.foreign_table::oid, c.filter, full_refresh,
            c.high_water_mark, c.refresh_overlap));
        inserted := r[1]::bigint;
        updated := r[2]::bigint;
        deleted := r[3]::bigint;
        requests := r[4]::bigint;
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        -- the subtransaction is gone, and the cache is as it was
        GET STACKED DIAGNOSTICS error_sqlstate = RETURNED_SQLSTATE,
                                error_message = MESSAGE_TEXT,
                                error_detail = PG_EXCEPTION_DETAIL,
                                error_hint = PG_EXCEPTION_HINT;
        inserted := NULL;
        updated := NULL;
        deleted := NULL;
        requests := (@extschema@.session_stats()).requests - stats_before.requests;
        -- the message says what failed, the detail why: keep both
        PERFORM @extschema@.catalog_record(cache, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                                           error_sqlstate,
                                           concat_ws(': ', error_message, nullif(error_detail, '')));
    END;
END;
$$;

-- Raise the error of a failed refresh as it was, but saying what became of
-- the cache (RAISE cannot leave out an option conditionally): for
-- refresh_cache_job(), which has no SET search_path.
CREATE FUNCTION raise_refresh_error(error_sqlstate text, error_message text,
                                    error_detail text, error_hint text,
                                    outcome text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    error_detail := concat_ws(' ', nullif(error_detail, ''), outcome);
    IF nullif(error_hint, '') IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = error_sqlstate,
            MESSAGE = error_message, DETAIL = error_detail;
    END IF;
    RAISE EXCEPTION USING ERRCODE = error_sqlstate,
        MESSAGE = error_message, DETAIL = error_detail, HINT = error_hint;
END;
$$;

CREATE FUNCTION refresh_cache_in(cache regclass, cache_name text, full_refresh boolean,
                                 raise_errors boolean)
RETURNS TABLE(inserted bigint, updated bigint, deleted bigint, requests bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
BEGIN
    IF full_refresh IS NULL OR raise_errors IS NULL THEN
        RAISE EXCEPTION 'full and raise_errors must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    r := @extschema@.refresh_cache_attempt(cache, full_refresh);
    IF r.error_sqlstate IS NOT NULL THEN
        -- Raising rolls back the recording of the error with everything
        -- else; refresh_cache_job() commits it first.  A cancel is never
        -- turned into a warning.
        IF raise_errors OR r.error_sqlstate = '57014' THEN
            -- as it was, but saying what became of the cache (RAISE cannot
            -- leave out an option conditionally)
            r.error_detail := concat_ws(' ', nullif(r.error_detail, ''),
                                        'The cache was left unchanged.');
            IF nullif(r.error_hint, '') IS NULL THEN
                RAISE EXCEPTION USING ERRCODE = r.error_sqlstate,
                    MESSAGE = r.error_message, DETAIL = r.error_detail;
            END IF;
            RAISE EXCEPTION USING ERRCODE = r.error_sqlstate,
                MESSAGE = r.error_message, DETAIL = r.error_detail,
                HINT = r.error_hint;
        END IF;
        RAISE WARNING 'refresh of cache % failed: %', cache_name, r.error_message
            USING DETAIL = concat_ws(' ', nullif(r.error_detail, ''),
                                     'The cache was left unchanged and the error was recorded in arxiv_fdw.cache_status.');
        RETURN;
    END IF;
    inserted := r.inserted;
    updated := r.updated;
    deleted := r.deleted;
    requests := r.requests;
    RETURN NEXT;
END;
$$;

-- Entry point (no SET search_path: see create_cache).
CREATE FUNCTION refresh_cache(cache_name text, full boolean DEFAULT false,
                              raise_errors boolean DEFAULT true)
RETURNS TABLE(inserted bigint, updated bigint, deleted bigint, requests bigint)
LANGUAGE sql
AS $$
    SELECT * FROM @extschema@.refresh_cache_in(
        @extschema@.cache_by_name(pg_catalog.to_regclass($1), $1), $1, $2, $3)
$$;

COMMENT ON FUNCTION refresh_cache(text, boolean, boolean) IS
    'bring an arxiv_fdw cache up to date: incrementally, or in full';

-- What a scheduled refresh runs.  A procedure, so that it can commit the
-- recorded error before raising it: the job then both fails visibly (in
-- cron.job_run_details) and leaves last_error in cache_status.  Must be
-- CALLed outside a transaction block.  A procedure with a SET clause cannot
-- COMMIT, and the name must be resolved as the caller's SQL would anyway:
-- so there is no SET search_path, and every name below is qualified (there
-- is no operator).
CREATE PROCEDURE refresh_cache_job(cache_name text, full boolean DEFAULT false)
LANGUAGE plpgsql
AS $$
DECLARE
    r record;
BEGIN
    -- Nothing to commit yet: this only fails at once, before any request,
    -- where the COMMIT below would fail after the whole refresh (inside a
    -- transaction block, or when called from a function).
    COMMIT;
    r := @extschema@.refresh_cache_attempt(
        @extschema@.cache_by_name(pg_catalog.to_regclass(cache_name), cache_name),
        refresh_cache_job.full);
    COMMIT;
    IF r.error_sqlstate IS NOT NULL THEN
        PERFORM @extschema@.raise_refresh_error(r.error_sqlstate, r.error_message,
            r.error_detail, r.error_hint,
            'The cache was left unchanged and the error was recorded in arxiv_fdw.cache_status.');
    END IF;
END;
$$;

-- The schema-qualified name of a table, as pg_event_trigger_dropped_objects()
-- spells it (object_identity), whatever the search_path.
CREATE FUNCTION qualified_name(rel regclass)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT format('%I.%I', n.nspname, c.relname)
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid = rel
$$;

-- pg_cron's job name for a cache's refreshes
CREATE FUNCTION cache_job_name(cache regclass, full boolean)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN cache_job_name.full THEN 'arxiv_fdw full refresh ' ELSE 'arxiv_fdw refresh ' END
           || @extschema@.qualified_name(cache)
$$;

CREATE FUNCTION require_pg_cron()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'extension "pg_cron" is not installed in this database'
            USING ERRCODE = 'undefined_object',
                  DETAIL = 'Scheduled refreshes are run by pg_cron.',
                  HINT = format('Install the package postgresql-15-cron, add pg_cron to shared_preload_libraries, restart the server, and run CREATE EXTENSION pg_cron in the database named by cron.database_name (%s).  Caches in other databases can be refreshed from there with cron.schedule_in_database().',
                                coalesce(quote_literal(current_setting('cron.database_name', true)),
                                         'not set: pg_cron is not loaded'));
    END IF;
END;
$$;

CREATE FUNCTION schedule_refresh_in(cache regclass, schedule text, full_refresh boolean)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job bigint;
BEGIN
    PERFORM @extschema@.require_pg_cron();
    -- pg_cron replaces a job of the same name and user
    EXECUTE 'SELECT cron.schedule($1, $2, $3)'
        INTO job
        USING @extschema@.cache_job_name(cache, coalesce(full_refresh, false)), schedule,
              format('CALL @extschema@.refresh_cache_job(%L%s)',
                     @extschema@.qualified_name(cache),
                     CASE WHEN full_refresh THEN ', full => true' ELSE '' END);
    RETURN job;
END;
$$;

-- Entry point (no SET search_path: see create_cache).
CREATE FUNCTION schedule_refresh(cache_name text, schedule text DEFAULT '0 6 * * *',
                                 full boolean DEFAULT false)
RETURNS bigint
LANGUAGE sql
AS $$
    SELECT @extschema@.schedule_refresh_in(
        @extschema@.cache_by_name(pg_catalog.to_regclass($1), $1), $2, $3)
$$;

CREATE FUNCTION unschedule_refresh_in(cache regclass, full_refresh boolean)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    removed bigint;
BEGIN
    PERFORM @extschema@.require_pg_cron();
    EXECUTE 'SELECT count(cron.unschedule(jobid)) FROM cron.job WHERE jobname = ANY ($1)'
        INTO removed
        USING CASE WHEN full_refresh IS NULL
                   THEN ARRAY[@extschema@.cache_job_name(cache, false),
                              @extschema@.cache_job_name(cache, true)]
                   ELSE ARRAY[@extschema@.cache_job_name(cache, full_refresh)] END;
    RETURN removed;
END;
$$;

-- Remove the cache's scheduled refreshes (both kinds unless full is given);
-- returns how many were removed.  Entry point (see create_cache).
CREATE FUNCTION unschedule_refresh(cache_name text, full boolean DEFAULT NULL)
RETURNS bigint
LANGUAGE sql
AS $$
    SELECT @extschema@.unschedule_refresh_in(
        @extschema@.cache_by_name(pg_catalog.to_regclass($1), $1), $2)
$$;

-- The drop trigger removes the catalog row and the scheduled refreshes, so
-- the caller needs no access to pg_cron.
CREATE FUNCTION drop_cache_in(cache regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    qualified text := @extschema@.qualified_name(cache);
BEGIN
    IF qualified IS NULL THEN
        RAISE EXCEPTION 'cache table with OID % was dropped', cache::oid
            USING ERRCODE = 'undefined_table';
    END IF;
    EXECUTE format('DROP TABLE %s', qualified);
END;
$$;

-- Entry point (no SET search_path: see create_cache).
CREATE FUNCTION drop_cache(cache_name text)
RETURNS void
LANGUAGE sql
AS $$
    SELECT @extschema@.drop_cache_in(@extschema@.cache_by_name(pg_catalog.to_regclass($1), $1))
$$;

-- A cache table dropped by DROP TABLE (or DROP SCHEMA ... CASCADE) takes its
-- catalog row and its scheduled refreshes with it.
--
-- SECURITY DEFINER, because whoever drops the table may have no access to
-- the catalog (nobody has but its owner) nor to pg_cron's jobs, and the row
-- and the jobs must go all the same.  It is safe because it runs no user
-- text and touches nothing a user chose: it reads what the server reports
-- as dropped, deletes the catalog rows of exactly those tables (and of
-- tables that no longer exist at all), and unschedules only the jobs of
-- this database with the name and the command schedule_refresh() gave a
-- cache that was dropped.  search_path is fixed, pg_cron's names qualified.
CREATE FUNCTION on_sql_drop()
RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    dropped oid[];
    names text[];
    commands text[];
BEGIN
    IF to_regclass('@extschema@.caches') IS NULL THEN
        RETURN;
    END IF;
    SELECT array_agg(o.objid), array_agg(j.jobname), array_agg(j.command)
      INTO dropped, names, commands
      FROM pg_event_trigger_dropped_objects() o
      JOIN @extschema@.caches c ON c.cache_table::oid = o.objid
     CROSS JOIN LATERAL (VALUES
           ('arxiv_fdw refresh ' || o.object_identity,
            format('CALL @extschema@.refresh_cache_job(%L)', o.object_identity)),
           ('arxiv_fdw full refresh ' || o.object_identity,
            format('CALL @extschema@.refresh_cache_job(%L, full => true)', o.object_identity)))
           AS j(jobname, command)
     WHERE o.classid = 'pg_class'::regclass AND o.objsubid = 0
       AND o.object_type = 'table';
    IF dropped IS NOT NULL
       AND EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        EXECUTE $q$
            SELECT count(cron.unschedule(j.jobid))
              FROM cron.job j
              JOIN unnest($1, $2) AS d(jobname, command)
                ON j.jobname = d.jobname AND j.command = d.command
             WHERE j.database = current_database()
        $q$ USING names, commands;
    END IF;
    DELETE FROM @extschema@.caches c
     WHERE c.cache_table::oid = ANY (dropped)
        OR NOT EXISTS (SELECT 1 FROM pg_class r WHERE r.oid = c.cache_table::oid);
END;
$$;
REVOKE ALL ON FUNCTION on_sql_drop() FROM PUBLIC;

CREATE EVENT TRIGGER arxiv_fdw_cache_drop ON sql_drop
    EXECUTE FUNCTION on_sql_drop();

-- The number of rows of a cache, counted as the owner of its table (see
-- exec_as_owner), and only of a table: a relation turned into something
-- else, or another session's temporary table, has no count.
CREATE FUNCTION cache_rows(cache regclass)
RETURNS bigint
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT (@extschema@.exec_as_owner(r.oid, format('SELECT count(*) FROM %I.%I',
                                                    n.nspname, r.relname)))[1]::bigint
      FROM pg_class r
      JOIN pg_namespace n ON n.oid = r.relnamespace
     WHERE r.oid = cache AND r.relkind = 'r'
       AND (r.relpersistence <> 't' OR r.relnamespace = pg_my_temp_schema())
       AND pg_has_role(r.relowner, 'USAGE')
$$;

-- The cache's scheduled refreshes as pg_cron shows them to the caller;
-- NULL without pg_cron, or without access to it.
CREATE FUNCTION cache_schedule(cache regclass)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    schedule text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron')
       OR to_regnamespace('cron') IS NULL
       OR NOT has_schema_privilege('cron', 'USAGE')
       OR to_regclass('cron.job') IS NULL
       OR NOT has_table_privilege('cron.job', 'SELECT') THEN
        RETURN NULL;
    END IF;
    EXECUTE $q$
        SELECT string_agg(j.schedule || CASE WHEN j.jobname = $2 THEN ' (full)' ELSE '' END
                          || CASE WHEN j.active THEN '' ELSE ' (inactive)' END,
                          ', ' ORDER BY j.jobname DESC)
          FROM cron.job j WHERE j.jobname IN ($1, $2)
    $q$ INTO schedule
        USING @extschema@.cache_job_name(cache, false),
              @extschema@.cache_job_name(cache, true);
    RETURN schedule;
END;
$$;

-- Status of the caches the current role manages.  It runs nothing of
-- another role as the reader: rows is counted as the cache table's owner.
-- (name is the table's name as the reader's search_path spells it.)
CREATE VIEW cache_status AS
    SELECT c.cache_table::pg_catalog.text AS name, c.foreign_table, c.filter,
           @extschema@.cache_rows(c.cache_table) AS rows,
           c.high_water_mark, c.refresh_overlap, c.last_refresh,
           c.last_refresh_kind, c.last_duration, c.last_requests,
           c.last_inserted, c.last_updated, c.last_deleted, c.last_error,
           c.last_error_time,
           @extschema@.cache_schedule(c.cache_table) AS schedule, c.created
      FROM @extschema@.visible_caches c
     ORDER BY 1;
GRANT SELECT ON cache_status TO PUBLIC;
