/*-------------------------------------------------------------------------
 *
 * cache_owner.c
 *	  The local caches' SQL, run as the role that owns what it touches,
 *	  never as whoever happens to call.
 *
 *	  The catalog of the caches, arxiv_fdw.caches, grants nothing to PUBLIC
 *	  and has no policy.  Its rows change only through catalog_insert(),
 *	  catalog_lock() and catalog_record() below (and the drop trigger): they
 *	  check that the calling role has the privileges of the owner of the
 *	  cache table (for a new cache, of the foreign table too), and then run
 *	  one fixed statement as the owner of the catalog.  This is SECURITY
 *	  DEFINER done in C, because a SECURITY DEFINER function in SQL cannot
 *	  know who called it, and that is exactly what must be checked.
 *
 *	  What a refresh runs (the stored filter, the writes into the cache
 *	  table, whose triggers and column types belong to its owner) and what
 *	  cache_status counts run through exec_as_owner(): as the owner of the
 *	  cache table, the way REFRESH MATERIALIZED VIEW runs a view's query,
 *	  with SetUserIdAndSecContext(owner, SECURITY_RESTRICTED_OPERATION), in
 *	  a GUC nest level that undoes every setting the owner's code changes,
 *	  and with search_path = pg_catalog, pg_temp.  The caller must have the
 *	  privileges of that owner already, so it gains nothing it could not do
 *	  with SET ROLE, and the owner's code can never act as the caller: it
 *	  can create no temporary object and leave no setting behind.
 *
 *	  Every function here may throw.  The user id, the security context and
 *	  the GUC nest level are restored by the abort of the (sub)transaction,
 *	  as for REFRESH MATERIALIZED VIEW.
 *
 *-------------------------------------------------------------------------
 */
#include "arxiv_fdw.h"

#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(arxiv_fdw_exec_as_owner);
PG_FUNCTION_INFO_V1(arxiv_fdw_catalog_insert);
PG_FUNCTION_INFO_V1(arxiv_fdw_catalog_lock);
PG_FUNCTION_INFO_V1(arxiv_fdw_catalog_record);

/* What run_as_begin() saved, for run_as_end(). */
typedef struct RunAs
{
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
	MemoryContext caller_cxt;
} RunAs;

/*
 * The owner, kind, persistence and name of a relation; ERROR if there is
 * none.  (The name is copied here: the relation may be dropped before it
 * is printed.)
 */
static Oid
relation_owner(Oid relid, char *relkind, char *relpersistence, char **relname)
{
	HeapTuple	tp;
	Form_pg_class rel;
	Oid			owner;

	tp = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tp))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	rel = (Form_pg_class) GETSTRUCT(tp);
	owner = rel->relowner;
	if (relkind)
		*relkind = rel->relkind;
	if (relpersistence)
		*relpersistence = rel->relpersistence;
	if (relname)
		*relname = pstrdup(NameStr(rel->relname));
	ReleaseSysCache(tp);
	return owner;
}

/*
 * ERROR unless the current user has the privileges of the owner of relid
 * (pg_has_role(owner, 'USAGE')); returns the owner, and the relation's
 * kind, persistence and name where asked.
 */
static Oid
check_owner(Oid relid, const char *what, char *relkind, char *relpersistence,
			char **relname)
{
	char	   *name;
	Oid			owner = relation_owner(relid, relkind, relpersistence, &name);

	if (!has_privs_of_role(GetUserId(), owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be owner of %s %s", what, quote_identifier(name)),
				 errdetail("Only roles with the privileges of role \"%s\", which owns it, can use it for an arxiv_fdw cache.",
						   GetUserNameFromId(owner, false))));
	if (relname)
		*relname = name;
	return owner;
}

/*
 * Become userid in a security-restricted operation, with a GUC nest level
 * whose settings run_as_end() discards and a fixed search_path, and
 * connect to SPI.
 */
static void
run_as_begin(RunAs *ra, Oid userid)
{
	ra->caller_cxt = CurrentMemoryContext;
	GetUserIdAndSecContext(&ra->save_userid, &ra->save_sec_context);
	SetUserIdAndSecContext(userid,
						   ra->save_sec_context |
						   SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	ra->save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
}

static void
run_as_end(RunAs *ra)
{
	SPI_finish();
	AtEOXact_GUC(false, ra->save_nestlevel);
	SetUserIdAndSecContext(ra->save_userid, ra->save_sec_context);
}

/*
 * The catalog arxiv_fdw.caches, in the schema of the calling function (the
 * extension's), and its owner (the extension's owner).
 */
static Oid
catalog_owner(FunctionCallInfo fcinfo, char **qualified)
{
	Oid			nsp = get_func_namespace(fcinfo->flinfo->fn_oid);
	Oid			relid = get_relname_relid("caches", nsp);

	if (!OidIsValid(relid))
		elog(ERROR, "arxiv_fdw's catalog of caches is missing");
	*qualified = quote_qualified_identifier(get_namespace_name(nsp), "caches");
	return relation_owner(relid, NULL, NULL, NULL);
}

/*
 * Run one statement as the owner of a relation (see the header).  Returns
 * the first row it returns as text[] (in the caller's settings' output
 * format, as the statement ends), or NULL if there is none.
 *
 * exec_as_owner(rel regclass, query text) RETURNS text[]
 */
Datum
arxiv_fdw_exec_as_owner(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char	   *query;
	Oid			owner;
	RunAs		ra;
	SPIPlanPtr	plan;
	ArrayType  *result = NULL;
	int			rc;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	relid = PG_GETARG_OID(0);
	query = text_to_cstring(PG_GETARG_TEXT_PP(1));
	owner = check_owner(relid, "relation", NULL, NULL, NULL);

	run_as_begin(&ra, owner);
	plan = SPI_prepare(query, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	/* one statement: what the caller built, never what a filter appended */
	if (list_length(SPI_plan_get_plan_sources(plan)) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("query must be a single SQL statement")));
	rc = SPI_execute_plan(plan, NULL, NULL, false, 0);
	if (rc < 0)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
	if (SPI_tuptable != NULL && SPI_processed > 0 &&
		SPI_tuptable->tupdesc->natts > 0)
	{
		TupleDesc	tupdesc = SPI_tuptable->tupdesc;
		HeapTuple	tuple = SPI_tuptable->vals[0];
		int			natts = tupdesc->natts;
		Datum	   *elems;
		bool	   *nulls;
		int			dims[1];
		int			lbs[1] = {1};
		MemoryContext oldcxt = MemoryContextSwitchTo(ra.caller_cxt);

		elems = palloc(sizeof(Datum) * natts);
		nulls = palloc(sizeof(bool) * natts);
		for (int i = 0; i < natts; i++)
		{
			char	   *v = SPI_getvalue(tuple, tupdesc, i + 1);

			nulls[i] = (v == NULL);
			elems[i] = v ? CStringGetTextDatum(v) : (Datum) 0;
		}
		dims[0] = natts;
		result = construct_md_array(elems, nulls, 1, dims, lbs,
									TEXTOID, -1, false, TYPALIGN_INT);
		MemoryContextSwitchTo(oldcxt);
	}
	run_as_end(&ra);

	if (result == NULL)
		PG_RETURN_NULL();
	PG_RETURN_ARRAYTYPE_P(result);
}

/*
 * Run a fixed statement on the catalog as its owner; returns SPI_processed.
 * If row is not NULL, the first row is returned there as a composite Datum
 * of rowdesc's type (whose columns must be the statement's), in the
 * caller's memory context.
 */
static uint64
catalog_exec(FunctionCallInfo fcinfo, const char *sql_fmt, int nargs,
			 Oid *argtypes, Datum *values, const char *nulls, Datum *row,
			 TupleDesc rowdesc)
{
	char	   *catalog;
	Oid			owner = catalog_owner(fcinfo, &catalog);
	RunAs		ra;
	int			rc;
	uint64		processed;

	run_as_begin(&ra, owner);
	rc = SPI_execute_with_args(psprintf(sql_fmt, catalog), nargs, argtypes,
							   values, nulls, false, 0);
	if (rc < 0)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
	processed = SPI_processed;
	if (row != NULL && processed > 0)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(ra.caller_cxt);

		*row = heap_copy_tuple_as_datum(SPI_tuptable->vals[0], rowdesc);
		MemoryContextSwitchTo(oldcxt);
	}
	run_as_end(&ra);
	return processed;
}

/* nulls for SPI from the function's arguments */
static void
args_to_spi(FunctionCallInfo fcinfo, int nargs, Datum *values, char *nulls)
{
	for (int i = 0; i < nargs; i++)
	{
		values[i] = PG_ARGISNULL(i) ? (Datum) 0 : PG_GETARG_DATUM(i);
		nulls[i] = PG_ARGISNULL(i) ? 'n' : ' ';
	}
}

/*
 * Register a new cache: its table must be a permanent table and both it and
 * the foreign table must be owned by (a role whose privileges the caller
 * has) the caller.
 *
 * catalog_insert(cache regclass, foreign_table regclass, filter text,
 *				  refresh_overlap interval, high_water_mark timestamptz,
 *				  duration interval, requests bigint, inserted bigint)
 */
Datum
arxiv_fdw_catalog_insert(PG_FUNCTION_ARGS)
{
	Oid			argtypes[8] = {
		REGCLASSOID, REGCLASSOID, TEXTOID, INTERVALOID,
		TIMESTAMPTZOID, INTERVALOID, INT8OID, INT8OID
	};
	Datum		values[8];
	char		nulls[8];
	char		relkind;
	char		relpersistence;
	char	   *relname;

	for (int i = 0; i < 4; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("cache table, foreign table, filter and refresh overlap must not be null")));
	check_owner(PG_GETARG_OID(0), "table", &relkind, &relpersistence, &relname);
	if (relkind != RELKIND_RELATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("cache \"%s\" is not a table", relname)));
	if (relpersistence == RELPERSISTENCE_TEMP)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("a cache cannot be a temporary table"),
				 errhint("Create the cache in a permanent schema.")));
	check_owner(PG_GETARG_OID(1), "foreign table", &relkind, NULL, &relname);
	if (relkind != RELKIND_FOREIGN_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a foreign table", relname)));

	args_to_spi(fcinfo, 8, values, nulls);
	catalog_exec(fcinfo,
				 "INSERT INTO %s (cache_table, foreign_table, filter, refresh_overlap,"
				 " high_water_mark, last_refresh, last_refresh_kind, last_duration,"
				 " last_requests, last_inserted, last_updated, last_deleted)"
				 " VALUES ($1, $2, $3, $4, $5, pg_catalog.now(), 'create', $6, $7, $8, 0, 0)",
				 8, argtypes, values, nulls, NULL, NULL);
	PG_RETURN_VOID();
}

/*
 * Start a refresh: lock the cache table (SHARE UPDATE EXCLUSIVE: one
 * refresh at a time, readers and writers go on), then its catalog row (FOR
 * UPDATE), in the order DROP TABLE takes them (the table, then the drop
 * trigger's DELETE), and return the row.  The privileges are checked
 * before the lock is taken, and again after waiting for it.
 *
 * catalog_lock(cache regclass) RETURNS caches
 */
Datum
arxiv_fdw_catalog_lock(PG_FUNCTION_ARGS)
{
	Oid			relid;
	Oid			argtypes[1] = {REGCLASSOID};
	Datum		values[1];
	char		relkind;
	char	   *relname;
	Datum		row = (Datum) 0;
	TupleDesc	rowdesc;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	relid = PG_GETARG_OID(0);
	check_owner(relid, "table", NULL, NULL, NULL);
	LockRelationOid(relid, ShareUpdateExclusiveLock);
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("cache table with OID %u was dropped", relid)));
	check_owner(relid, "table", &relkind, NULL, &relname);
	if (relkind != RELKIND_RELATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("cache \"%s\" is not a table any more", relname),
				 errhint("Drop the cache with arxiv_fdw.drop_cache().")));

	if (get_call_result_type(fcinfo, NULL, &rowdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	values[0] = ObjectIdGetDatum(relid);
	if (catalog_exec(fcinfo,
					 "SELECT * FROM %s WHERE cache_table = $1 FOR UPDATE",
					 1, argtypes, values, NULL, &row, rowdesc) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("table \"%s\" is not an arxiv_fdw cache", relname)));
	PG_RETURN_DATUM(row);
}

/*
 * Record the outcome of a refresh: a success when error_sqlstate is NULL,
 * else the error (and nothing else).
 *
 * catalog_record(cache regclass, full boolean, high_water_mark timestamptz,
 *				  duration interval, requests bigint, inserted bigint,
 *				  updated bigint, deleted bigint, error_sqlstate text,
 *				  error_message text)
 */
Datum
arxiv_fdw_catalog_record(PG_FUNCTION_ARGS)
{
	Oid			argtypes[10] = {
		REGCLASSOID, BOOLOID, TIMESTAMPTZOID, INTERVALOID,
		INT8OID, INT8OID, INT8OID, INT8OID, TEXTOID, TEXTOID
	};
	Datum		values[10];
	char		nulls[10];

	if (PG_ARGISNULL(0))
		PG_RETURN_VOID();
	check_owner(PG_GETARG_OID(0), "table", NULL, NULL, NULL);
	args_to_spi(fcinfo, 10, values, nulls);
	if (!PG_ARGISNULL(8))
		catalog_exec(fcinfo,
					 "UPDATE %s SET last_error = $10, last_error_sqlstate = $9,"
					 " last_error_time = pg_catalog.now()"
					 " WHERE cache_table = $1",
					 10, argtypes, values, nulls, NULL, NULL);
	else
		catalog_exec(fcinfo,
					 "UPDATE %s SET high_water_mark = $3, last_refresh = pg_catalog.now(),"
					 " last_refresh_kind = CASE WHEN $2 THEN 'full' ELSE 'incremental' END,"
					 " last_duration = $4, last_requests = $5, last_inserted = $6,"
					 " last_updated = $7, last_deleted = $8, last_error = NULL,"
					 " last_error_sqlstate = NULL, last_error_time = NULL"
					 " WHERE cache_table = $1",
					 10, argtypes, values, nulls, NULL, NULL);
	PG_RETURN_VOID();
}
