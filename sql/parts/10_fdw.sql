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

-- local form of "category LIKE pattern" (ILIKE if the third argument is
-- true) in conditions PostgreSQL rechecks: does some element of categories
-- match, with SQL's NULLs (NULL if none matches and an element is NULL)
CREATE FUNCTION categories_like(categories text[], pattern text, ilike boolean)
RETURNS boolean
AS 'MODULE_PATHNAME', 'arxiv_fdw_categories_like'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FOREIGN DATA WRAPPER arxiv_fdw
  HANDLER arxiv_fdw_handler
  VALIDATOR arxiv_fdw_validator;
