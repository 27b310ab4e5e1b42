/* arxiv_fdw 1.0 */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION arxiv_fdw" to load this file. \quit

CREATE FUNCTION arxiv_fdw_handler()
RETURNS fdw_handler
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FUNCTION arxiv_fdw_validator(text[], oid)
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FOREIGN DATA WRAPPER arxiv_fdw
  HANDLER arxiv_fdw_handler
  VALIDATOR arxiv_fdw_validator;
