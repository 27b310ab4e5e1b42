
-- Usage statistics: the cluster's counters since the last reset, and this
-- session's since it started (stats_reset is NULL for a session).
CREATE TYPE counters AS (
    requests bigint, entries bigint, bytes bigint, retries bigint,
    cache_hits bigint, rate_limit_wait float8,
    errors_http bigint, errors_transport bigint, errors_parse bigint,
    errors_arxiv bigint, errors_empty bigint, stats_reset timestamptz);

CREATE FUNCTION stats()
RETURNS counters
AS 'MODULE_PATHNAME', 'arxiv_fdw_stats'
LANGUAGE C STRICT VOLATILE;

CREATE VIEW stats AS SELECT * FROM @extschema@.stats();

CREATE FUNCTION session_stats()
RETURNS counters
AS 'MODULE_PATHNAME', 'arxiv_fdw_session_stats'
LANGUAGE C STRICT VOLATILE;

CREATE FUNCTION reset_stats()
RETURNS void
AS 'MODULE_PATHNAME', 'arxiv_fdw_reset_stats'
LANGUAGE C STRICT VOLATILE;
REVOKE ALL ON FUNCTION reset_stats() FROM PUBLIC;

-- The response cache: remove every cached response.
CREATE FUNCTION clear_cache()
RETURNS bigint
AS 'MODULE_PATHNAME', 'arxiv_fdw_clear_cache'
LANGUAGE C STRICT VOLATILE;
REVOKE ALL ON FUNCTION clear_cache() FROM PUBLIC;

-- Everyone may read the statistics; clearing and resetting stay with
-- superusers unless granted.
GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;
GRANT SELECT ON stats TO PUBLIC;
