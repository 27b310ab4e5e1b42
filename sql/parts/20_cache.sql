
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
-- * Everything is SECURITY INVOKER and the filter is run with the privileges
--   of whoever refreshes, like the text of a query they typed.  The one
--   SECURITY DEFINER function (the drop trigger) runs no user text.
-- * Names are interpolated with format('%I') or as regclass (which quotes and
--   qualifies itself); the filter is checked to be one expression of one
--   SELECT before it is ever run, and is always followed by a newline so that
--   a trailing "--" comment cannot swallow what comes after it.

-- One row per cache.  Dumped by pg_dump (pg_extension_config_dump below);
-- regclass columns are dumped as names and survive pg_upgrade (pg_class OIDs
-- are preserved), and follow ALTER TABLE ... RENAME.
CREATE TABLE caches (
    cache_table regclass PRIMARY KEY,
    foreign_table regclass NOT NULL,
    filter text NOT NULL,
    refresh_overlap interval NOT NULL,
    -- max("updated") of the rows in the cache: where the next incremental
    -- refresh starts (less refresh_overlap)
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

-- Anyone may create caches; each role sees and changes the rows of the cache
-- tables it owns (or is a member of the owner of).  A row whose table is gone
-- is cleaned up by the drop trigger below.
ALTER TABLE caches ENABLE ROW LEVEL SECURITY;
CREATE POLICY caches_owner ON caches
    USING (pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c
                                   WHERE c.oid = cache_table), 'USAGE'));
GRANT SELECT, INSERT, UPDATE, DELETE ON caches TO PUBLIC;

-- The columns of a foreign table of arxiv_fdw and the arXiv field each maps
-- to (its "field" option, else its name), in column order.
CREATE FUNCTION foreign_table_fields(foreign_table regclass)
RETURNS TABLE(attname name, field text, attnum smallint, typid oid,
              coldef text)
LANGUAGE sql STABLE
AS $$
    SELECT a.attname,
           coalesce((SELECT substr(o, 7) FROM pg_catalog.unnest(a.attfdwoptions) o
                     WHERE o LIKE 'field=%' LIMIT 1), a.attname::text),
           a.attnum, a.atttypid,
           pg_catalog.format('%I %s', a.attname,
                             pg_catalog.format_type(a.atttypid, a.atttypmod)) ||
           coalesce((SELECT pg_catalog.format(' COLLATE %I.%I', n.nspname, co.collname)
                     FROM pg_catalog.pg_collation co
                     JOIN pg_catalog.pg_namespace n ON n.oid = co.collnamespace
                     JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
                     WHERE co.oid = a.attcollation AND a.attcollation <> t.typcollation), '')
    FROM pg_catalog.pg_attribute a
    WHERE a.attrelid = foreign_table AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY a.attnum
$$;

-- Check that a filter is one boolean expression over the foreign table that
-- arxiv_fdw can turn into a request, by planning it: no request is made.
-- A cursor, unlike EXECUTE, refuses a string of several statements before
-- running any of them.
CREATE FUNCTION check_cache_filter(foreign_table regclass, filter text)
RETURNS void
LANGUAGE plpgsql
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
            pg_catalog.format(E'EXPLAIN SELECT 1 FROM %s WHERE (%s\n)',
                              foreign_table, filter);
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
                  DETAIL = pg_catalog.concat_ws('  ',
                                                pg_catalog.format('The filter was %s.', pg_catalog.quote_literal(filter)),
                                                nullif(det, '')),
                  HINT = pg_catalog.format('The filter must be an SQL condition on the columns of foreign table %s that arxiv_fdw can send to arXiv, such as category = ''cs.OS'' AND published >= ''2026-01-01''.',
                                           foreign_table);
    END;
END;
$$;

-- The cache for a name as SQL resolves table names (search_path), or an error.
CREATE FUNCTION cache_by_name(cache_name text)
RETURNS regclass
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    rel regclass;
BEGIN
    IF cache_name IS NULL THEN
        RAISE EXCEPTION 'cache name must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    rel := pg_catalog.to_regclass(cache_name);
    IF rel IS NULL THEN
        RAISE EXCEPTION 'cache "%" does not exist', cache_name
            USING ERRCODE = 'undefined_table',
                  HINT = 'The view arxiv_fdw.cache_status lists the caches you own.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.caches c WHERE c.cache_table = rel) THEN
        RAISE EXCEPTION 'table "%" is not an arxiv_fdw cache', cache_name
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'Create caches with arxiv_fdw.create_cache(); arxiv_fdw.cache_status lists the caches you own.';
    END IF;
    RETURN rel;
END;
$$;

CREATE FUNCTION create_cache(cache_name text, foreign_table regclass, filter text,
                             refresh_overlap interval DEFAULT '1 hour')
RETURNS bigint
LANGUAGE plpgsql
-- a cache starts from what arXiv has now, not from a stored response
SET arxiv_fdw.response_cache = off
AS $$
DECLARE
    started timestamptz := pg_catalog.clock_timestamp();
    requests_before bigint := (@extschema@.session_stats()).requests;
    parts text[];
    qualified text;
    rel regclass;
    coldefs text;
    cols text;
    id_col name;
    updated_col name;
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
                   FROM pg_catalog.pg_foreign_table t
                   JOIN pg_catalog.pg_foreign_server s ON s.oid = t.ftserver
                   JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw
                   JOIN pg_catalog.pg_proc p ON p.oid = w.fdwhandler
                   WHERE t.ftrelid = foreign_table
                     AND p.proname = 'arxiv_fdw_handler'
                     AND p.pronamespace = '@extschema@'::regnamespace) THEN
        RAISE EXCEPTION '"%" is not a foreign table of arxiv_fdw', foreign_table
            USING ERRCODE = 'wrong_object_type';
    END IF;

    -- the cache keeps every column except the filter columns, whose values
    -- are the request's, not the paper's
    SELECT pg_catalog.string_agg(ff.coldef, ', ' ORDER BY ff.attnum),
           pg_catalog.string_agg(pg_catalog.quote_ident(ff.attname), ', ' ORDER BY ff.attnum),
           min(ff.attname) FILTER (WHERE ff.field = 'id'),
           min(ff.attname) FILTER (WHERE ff.field = 'updated')
      INTO coldefs, cols, id_col, updated_col
      FROM @extschema@.foreign_table_fields(foreign_table) ff
     WHERE ff.field NOT IN ('category', 'author', 'search');
    IF id_col IS NULL OR updated_col IS NULL THEN
        RAISE EXCEPTION 'foreign table % has no column for the arXiv field "%"',
                        foreign_table, CASE WHEN id_col IS NULL THEN 'id' ELSE 'updated' END
            USING ERRCODE = 'undefined_column',
                  DETAIL = 'A cache is keyed by "id" and refreshed by "updated".',
                  HINT = 'Add the column to the foreign table, or use one made by IMPORT FOREIGN SCHEMA arxiv.';
    END IF;

    PERFORM @extschema@.check_cache_filter(foreign_table, filter);

    -- the name as CREATE TABLE takes it; an unqualified one goes to the
    -- current schema, which is where CREATE TABLE would put it as well
    parts := pg_catalog.parse_ident(cache_name);
    IF pg_catalog.array_length(parts, 1) = 1 THEN
        IF pg_catalog.current_schema() IS NULL THEN
            RAISE EXCEPTION 'no schema has been selected to create the cache in'
                USING ERRCODE = 'invalid_schema_name',
                      HINT = 'Qualify the cache name with a schema, or set search_path.';
        END IF;
        qualified := pg_catalog.format('%I.%I', pg_catalog.current_schema(), parts[1]);
    ELSIF pg_catalog.array_length(parts, 1) = 2 THEN
        qualified := pg_catalog.format('%I.%I', parts[1], parts[2]);
    ELSE
        RAISE EXCEPTION 'invalid cache name "%"', cache_name
            USING ERRCODE = 'invalid_name',
                  HINT = 'Give a table name, optionally qualified with a schema.';
    END IF;

    EXECUTE pg_catalog.format('CREATE TABLE %s (%s, PRIMARY KEY (%I))',
                              qualified, coldefs, id_col);
    rel := qualified::regclass;
    -- arXiv should never return an id twice in one result; if it does, the
    -- first row wins rather than the creation failing
    EXECUTE pg_catalog.format(E'INSERT INTO %s (%s) SELECT %s FROM %s WHERE (%s\n) ON CONFLICT DO NOTHING',
                              rel, cols, cols, foreign_table, filter);
    GET DIAGNOSTICS loaded = ROW_COUNT;

    -- GIN indexes are built much faster in bulk than row by row
    FOR f IN SELECT ff.attname, ff.field, t.typcategory
               FROM @extschema@.foreign_table_fields(foreign_table) ff
               JOIN pg_catalog.pg_type t ON t.oid = ff.typid
              WHERE ff.field IN ('categories', 'authors') LOOP
        IF f.typcategory = 'A' THEN
            EXECUTE pg_catalog.format('CREATE INDEX ON %s USING gin (%I)', rel, f.attname);
        END IF;
    END LOOP;
    SELECT pg_catalog.string_agg(pg_catalog.format('coalesce(%I, '''')', ff.attname),
                                 ' || '' '' || ' ORDER BY ff.field DESC)
      INTO cols
      FROM @extschema@.foreign_table_fields(foreign_table) ff
     WHERE ff.field IN ('title', 'abstract');
    IF cols IS NOT NULL THEN
        EXECUTE pg_catalog.format('CREATE INDEX ON %s USING gin (to_tsvector(''english'', %s))',
                                  rel, cols);
    END IF;
    EXECUTE pg_catalog.format('ANALYZE %s', rel);

    EXECUTE pg_catalog.format('SELECT max(%I) FROM %s', updated_col, rel) INTO hwm;
    INSERT INTO @extschema@.caches
        (cache_table, foreign_table, filter, refresh_overlap, high_water_mark,
         last_refresh, last_refresh_kind, last_duration, last_requests,
         last_inserted, last_updated, last_deleted)
    VALUES (rel, foreign_table, filter, refresh_overlap, hwm,
            pg_catalog.now(), 'create', pg_catalog.clock_timestamp() - started,
            (@extschema@.session_stats()).requests - requests_before,
            loaded, 0, 0);
    RETURN loaded;
END;
$$;

COMMENT ON FUNCTION create_cache(text, regclass, text, interval) IS
    'create a local table caching the rows of an arxiv_fdw foreign table that match a filter';

-- One refresh attempt.  It never throws for a failure of the refresh itself:
-- it rolls the cache back to where it was (a subtransaction), records the
-- error in the catalog row, and returns it, so that each caller can decide
-- whether the recording is worth committing (see refresh_cache_job).
CREATE FUNCTION refresh_cache_attempt(cache regclass, full_refresh boolean,
    OUT inserted bigint, OUT updated bigint, OUT deleted bigint,
    OUT requests bigint, OUT error_sqlstate text, OUT error_message text,
    OUT error_detail text, OUT error_hint text)
LANGUAGE plpgsql
-- a refresh exists to see what changed: never answer it from stored
-- responses (an incremental refresh repeats its request exactly)
SET arxiv_fdw.response_cache = off
AS $$
DECLARE
    started timestamptz := pg_catalog.clock_timestamp();
    stats_before record := @extschema@.session_stats();
    c @extschema@.caches%ROWTYPE;
    cols text;
    set_list text;
    t_text text;
    ex_text text;
    id_col name;
    updated_col name;
    bound timestamptz;
    fetched bigint;
    cached bigint;
    hwm timestamptz;
BEGIN
    -- one refresh of a cache at a time: the next one waits for this one
    SELECT * INTO c FROM @extschema@.caches WHERE cache_table = cache FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'table "%" is not an arxiv_fdw cache', cache
            USING ERRCODE = 'wrong_object_type';
    END IF;

    BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class WHERE oid = c.foreign_table) THEN
            RAISE EXCEPTION 'foreign table of cache % does not exist any more', cache
                USING ERRCODE = 'undefined_table',
                      HINT = 'Create the foreign table again and set it in arxiv_fdw.caches.foreign_table, or drop the cache.';
        END IF;
        PERFORM @extschema@.check_cache_filter(c.foreign_table, c.filter);

        -- the columns the cache and the foreign table have in common; columns
        -- a user added to the cache table (notes, ...) are left alone
        SELECT pg_catalog.string_agg(pg_catalog.quote_ident(ff.attname), ', ' ORDER BY a.attnum),
               pg_catalog.string_agg(pg_catalog.format('%I = excluded.%I', ff.attname, ff.attname), ', ' ORDER BY a.attnum),
               pg_catalog.string_agg(pg_catalog.format('t.%I::text', ff.attname), ', ' ORDER BY a.attnum),
               pg_catalog.string_agg(pg_catalog.format('excluded.%I::text', ff.attname), ', ' ORDER BY a.attnum),
               min(ff.attname) FILTER (WHERE ff.field = 'id'),
               min(ff.attname) FILTER (WHERE ff.field = 'updated')
          INTO cols, set_list, t_text, ex_text, id_col, updated_col
          FROM @extschema@.foreign_table_fields(c.foreign_table) ff
          JOIN pg_catalog.pg_attribute a
            ON a.attrelid = cache AND a.attname = ff.attname
           AND NOT a.attisdropped AND a.attgenerated = ''
         WHERE ff.field NOT IN ('category', 'author', 'search');
        IF id_col IS NULL OR updated_col IS NULL THEN
            RAISE EXCEPTION 'cache % and foreign table % have no common column for the arXiv field "%"',
                            cache, c.foreign_table,
                            CASE WHEN id_col IS NULL THEN 'id' ELSE 'updated' END
                USING ERRCODE = 'undefined_column';
        END IF;

        -- 1. fetch, into a temporary table: nothing touches the cache yet
        EXECUTE pg_catalog.format('CREATE TEMP TABLE arxiv_fdw_refresh ON COMMIT DROP AS SELECT %s FROM %s WITH NO DATA',
                                  cols, cache);
        IF full_refresh OR c.high_water_mark IS NULL THEN
            EXECUTE pg_catalog.format(E'INSERT INTO pg_temp.arxiv_fdw_refresh SELECT %s FROM %s WHERE (%s\n)',
                                      cols, c.foreign_table, c.filter);
        ELSE
            -- arxiv_fdw sorts by lastUpdatedDate, newest first, and stops
            -- paging at the bound: the cost follows what changed, not the
            -- size of the cache
            bound := c.high_water_mark - c.refresh_overlap;
            EXECUTE pg_catalog.format(E'INSERT INTO pg_temp.arxiv_fdw_refresh SELECT %s FROM %s WHERE (%s\n) AND %I >= $1',
                                      cols, c.foreign_table, c.filter, updated_col)
                USING bound;
        END IF;
        GET DIAGNOSTICS fetched = ROW_COUNT;

        -- 2. apply
        deleted := 0;
        IF full_refresh THEN
            EXECUTE pg_catalog.format('SELECT count(*) FROM %s', cache) INTO cached;
            -- arXiv does not delete papers: an empty answer to a query that
            -- matched papers before is a failure of the API, not news.  (No
            -- request at all, as for an empty id list, is a real nothing.)
            IF fetched = 0 AND cached > 0 AND
               (SELECT s.requests + s.cache_hits FROM @extschema@.session_stats() s) >
               stats_before.requests + stats_before.cache_hits THEN
                RAISE EXCEPTION 'full refresh of cache % fetched no rows', cache
                    USING ERRCODE = 'fdw_error',
                          DETAIL = pg_catalog.format('The cache has %s rows; arXiv does not delete papers, so an empty result is taken for a failure of the arXiv API.', cached),
                          HINT = 'Try again later.  To empty the cache, use TRUNCATE.';
            END IF;
            ANALYZE pg_temp.arxiv_fdw_refresh;
            EXECUTE pg_catalog.format('DELETE FROM %s t WHERE NOT EXISTS (SELECT 1 FROM pg_temp.arxiv_fdw_refresh f WHERE f.%I = t.%I)',
                                      cache, id_col, id_col);
            GET DIAGNOSTICS deleted = ROW_COUNT;
        END IF;
        -- A row is rewritten only if it differs (compared as text, which
        -- every type has, json included); an incremental refresh also never
        -- goes back to an older "updated" than the cache has.  The xmax of
        -- a freshly inserted row is 0, of an updated one our xid.
        EXECUTE pg_catalog.format(
            'WITH applied AS ('
            '  INSERT INTO %1$s AS t (%2$s)'
            '  SELECT DISTINCT ON (%3$I) %2$s FROM pg_temp.arxiv_fdw_refresh'
            '   ORDER BY %3$I, %4$I DESC NULLS LAST'
            '  ON CONFLICT (%3$I) DO UPDATE SET %5$s'
            '  WHERE (%6$s) IS DISTINCT FROM (%7$s)%8$s'
            '  RETURNING t.xmax = 0 AS is_new)'
            ' SELECT count(*) FILTER (WHERE is_new), count(*) FILTER (WHERE NOT is_new) FROM applied',
            cache, cols, id_col, updated_col, set_list, t_text, ex_text,
            CASE WHEN full_refresh THEN ''
                 ELSE pg_catalog.format(' AND (t.%1$I IS NULL OR excluded.%1$I >= t.%1$I)', updated_col) END)
            INTO inserted, updated;
        DROP TABLE pg_temp.arxiv_fdw_refresh;

        EXECUTE pg_catalog.format('SELECT max(%I) FROM %s', updated_col, cache) INTO hwm;
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
        UPDATE @extschema@.caches
           SET last_error = error_message,
               last_error_sqlstate = error_sqlstate,
               last_error_time = pg_catalog.now()
         WHERE cache_table = cache;
        RETURN;
    END;

    requests := (@extschema@.session_stats()).requests - stats_before.requests;
    UPDATE @extschema@.caches
       SET high_water_mark = hwm,
           last_refresh = pg_catalog.now(),
           last_refresh_kind = CASE WHEN full_refresh THEN 'full' ELSE 'incremental' END,
           last_duration = pg_catalog.clock_timestamp() - started,
           last_requests = requests,
           last_inserted = inserted,
           last_updated = updated,
           last_deleted = deleted,
           last_error = NULL,
           last_error_sqlstate = NULL,
           last_error_time = NULL
     WHERE cache_table = cache;
END;
$$;

CREATE FUNCTION refresh_cache(cache_name text, full boolean DEFAULT false,
                              raise_errors boolean DEFAULT true)
RETURNS TABLE(inserted bigint, updated bigint, deleted bigint, requests bigint)
LANGUAGE plpgsql
AS $$
DECLARE
    r record;
BEGIN
    IF refresh_cache.full IS NULL OR raise_errors IS NULL THEN
        RAISE EXCEPTION 'full and raise_errors must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    r := @extschema@.refresh_cache_attempt(@extschema@.cache_by_name(cache_name),
                                           refresh_cache.full);
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
            USING DETAIL = 'The cache was left unchanged and the error was recorded in arxiv_fdw.cache_status.';
        RETURN;
    END IF;
    inserted := r.inserted;
    updated := r.updated;
    deleted := r.deleted;
    requests := r.requests;
    RETURN NEXT;
END;
$$;

COMMENT ON FUNCTION refresh_cache(text, boolean, boolean) IS
    'bring an arxiv_fdw cache up to date: incrementally, or in full';

-- What a scheduled refresh runs.  A procedure, so that it can commit the
-- recorded error before raising it: the job then both fails visibly (in
-- cron.job_run_details) and leaves last_error in cache_status.  Must be
-- CALLed outside a transaction block.
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
    r := @extschema@.refresh_cache_attempt(@extschema@.cache_by_name(cache_name),
                                           coalesce(refresh_cache_job.full, false));
    COMMIT;
    IF r.error_sqlstate IS NOT NULL THEN
        r.error_detail := concat_ws(' ', nullif(r.error_detail, ''),
                                    'The cache was left unchanged and the error was recorded in arxiv_fdw.cache_status.');
        IF nullif(r.error_hint, '') IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = r.error_sqlstate,
                MESSAGE = r.error_message, DETAIL = r.error_detail;
        END IF;
        RAISE EXCEPTION USING ERRCODE = r.error_sqlstate,
            MESSAGE = r.error_message, DETAIL = r.error_detail,
            HINT = r.error_hint;
    END IF;
END;
$$;

-- The schema-qualified name of a table, as pg_event_trigger_dropped_objects()
-- spells it (object_identity), whatever the search_path.
CREATE FUNCTION qualified_name(rel regclass)
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT pg_catalog.format('%I.%I', n.nspname, c.relname)
      FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid = rel
$$;

-- pg_cron's job name for a cache's refreshes
CREATE FUNCTION cache_job_name(cache regclass, full boolean)
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT CASE WHEN cache_job_name.full THEN 'arxiv_fdw full refresh ' ELSE 'arxiv_fdw refresh ' END
           || @extschema@.qualified_name(cache)
$$;

CREATE FUNCTION require_pg_cron()
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'extension "pg_cron" is not installed in this database'
            USING ERRCODE = 'undefined_object',
                  DETAIL = 'Scheduled refreshes are run by pg_cron.',
                  HINT = pg_catalog.format('Install the package postgresql-15-cron, add pg_cron to shared_preload_libraries, restart the server, and run CREATE EXTENSION pg_cron in the database named by cron.database_name (%s).  Caches in other databases can be refreshed from there with cron.schedule_in_database().',
                                           coalesce(pg_catalog.quote_literal(pg_catalog.current_setting('cron.database_name', true)),
                                                    'not set: pg_cron is not loaded'));
    END IF;
END;
$$;

CREATE FUNCTION schedule_refresh(cache_name text, schedule text DEFAULT '0 6 * * *',
                                 full boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    cache regclass := @extschema@.cache_by_name(cache_name);
    job bigint;
BEGIN
    PERFORM @extschema@.require_pg_cron();
    -- pg_cron replaces a job of the same name and user
    EXECUTE 'SELECT cron.schedule($1, $2, $3)'
        INTO job
        USING @extschema@.cache_job_name(cache, coalesce(schedule_refresh.full, false)), schedule,
              pg_catalog.format('CALL @extschema@.refresh_cache_job(%L%s)',
                                @extschema@.qualified_name(cache),
                                CASE WHEN schedule_refresh.full THEN ', full => true' ELSE '' END);
    RETURN job;
END;
$$;

-- Remove the cache's scheduled refreshes (both kinds unless full is given);
-- returns how many were removed.
CREATE FUNCTION unschedule_refresh(cache_name text, full boolean DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    cache regclass := @extschema@.cache_by_name(cache_name);
    removed bigint;
BEGIN
    PERFORM @extschema@.require_pg_cron();
    EXECUTE 'SELECT count(cron.unschedule(jobid)) FROM cron.job WHERE jobname = ANY ($1)'
        INTO removed
        USING CASE WHEN unschedule_refresh.full IS NULL
                   THEN ARRAY[@extschema@.cache_job_name(cache, false),
                              @extschema@.cache_job_name(cache, true)]
                   ELSE ARRAY[@extschema@.cache_job_name(cache, unschedule_refresh.full)] END;
    RETURN removed;
END;
$$;

CREATE FUNCTION drop_cache(cache_name text)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    cache regclass := @extschema@.cache_by_name(cache_name);
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
        PERFORM @extschema@.unschedule_refresh(cache_name);
    END IF;
    -- the drop trigger removes the catalog row
    EXECUTE pg_catalog.format('DROP TABLE %s', cache);
    DELETE FROM @extschema@.caches WHERE cache_table = cache;
END;
$$;

-- A cache table dropped by DROP TABLE (or DROP SCHEMA ... CASCADE) takes its
-- catalog row and its scheduled refreshes with it.  SECURITY DEFINER because
-- the row of a dropped table is no longer visible through the policy; it
-- runs no user-supplied text.
CREATE FUNCTION on_sql_drop()
RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    dropped oid[];
BEGIN
    SELECT array_agg(o.objid) INTO dropped
      FROM pg_event_trigger_dropped_objects() o
     WHERE o.classid = 'pg_class'::regclass AND o.objsubid = 0
       AND o.object_type = 'table';
    IF dropped IS NULL OR to_regclass('@extschema@.caches') IS NULL THEN
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        EXECUTE $q$
            SELECT count(cron.unschedule(j.jobid))
              FROM cron.job j, pg_event_trigger_dropped_objects() o
             WHERE o.objid = ANY ($1) AND o.objsubid = 0
               AND j.jobname IN ('arxiv_fdw refresh ' || o.object_identity,
                                 'arxiv_fdw full refresh ' || o.object_identity)
        $q$ USING dropped;
    END IF;
    DELETE FROM @extschema@.caches WHERE cache_table::oid = ANY (dropped);
END;
$$;
REVOKE ALL ON FUNCTION on_sql_drop() FROM PUBLIC;

CREATE EVENT TRIGGER arxiv_fdw_cache_drop ON sql_drop
    EXECUTE FUNCTION on_sql_drop();

-- Status of the caches the current role can see.  A function, so that the
-- view works with and without pg_cron (whose catalog it reads dynamically).
CREATE FUNCTION cache_status()
RETURNS TABLE(name text, foreign_table regclass, filter text, rows bigint,
              high_water_mark timestamptz, refresh_overlap interval,
              last_refresh timestamptz, last_refresh_kind text,
              last_duration interval, last_requests bigint,
              last_inserted bigint, last_updated bigint, last_deleted bigint,
              last_error text, last_error_time timestamptz, schedule text,
              created timestamptz)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    c record;
    has_cron boolean := EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_cron');
BEGIN
    FOR c IN SELECT * FROM @extschema@.caches ORDER BY cache_table::text LOOP
        name := c.cache_table::text;
        foreign_table := c.foreign_table;
        filter := c.filter;
        EXECUTE pg_catalog.format('SELECT count(*) FROM %s', c.cache_table) INTO rows;
        high_water_mark := c.high_water_mark;
        refresh_overlap := c.refresh_overlap;
        last_refresh := c.last_refresh;
        last_refresh_kind := c.last_refresh_kind;
        last_duration := c.last_duration;
        last_requests := c.last_requests;
        last_inserted := c.last_inserted;
        last_updated := c.last_updated;
        last_deleted := c.last_deleted;
        last_error := c.last_error;
        last_error_time := c.last_error_time;
        schedule := NULL;
        IF has_cron THEN
            EXECUTE $q$
                SELECT string_agg(j.schedule || CASE WHEN j.jobname = $2 THEN ' (full)' ELSE '' END
                                  || CASE WHEN j.active THEN '' ELSE ' (inactive)' END,
                                  ', ' ORDER BY j.jobname DESC)
                  FROM cron.job j WHERE j.jobname IN ($1, $2)
            $q$ INTO schedule
                USING @extschema@.cache_job_name(c.cache_table, false),
                      @extschema@.cache_job_name(c.cache_table, true);
        END IF;
        created := c.created;
        RETURN NEXT;
    END LOOP;
END;
$$;

CREATE VIEW cache_status AS SELECT * FROM @extschema@.cache_status();
GRANT SELECT ON cache_status TO PUBLIC;
