
-- Usage statistics: the cluster's counters since the last reset, and this
-- session's since it started.
CREATE FUNCTION stats(
    OUT requests bigint, OUT entries bigint, OUT bytes bigint,
    OUT retries bigint, OUT cache_hits bigint, OUT rate_limit_wait float8,
    OUT errors_http bigint, OUT errors_transport bigint,
    OUT errors_parse bigint, OUT errors_arxiv bigint, OUT errors_empty bigint,
    OUT stats_reset timestamptz)
RETURNS record
AS 'MODULE_PATHNAME', 'arxiv_fdw_stats'
LANGUAGE C STRICT VOLATILE;

CREATE VIEW stats AS SELECT * FROM @extschema@.stats();

CREATE FUNCTION session_stats(
    OUT requests bigint, OUT entries bigint, OUT bytes bigint,
    OUT retries bigint, OUT cache_hits bigint, OUT rate_limit_wait float8,
    OUT errors_http bigint, OUT errors_transport bigint,
    OUT errors_parse bigint, OUT errors_arxiv bigint, OUT errors_empty bigint,
    OUT stats_reset timestamptz)
RETURNS record
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
