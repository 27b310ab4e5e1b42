/*-------------------------------------------------------------------------
 *
 * arxiv_fdw.c
 *	  Foreign-data wrapper for the arXiv API: handler, planner and executor
 *	  callbacks, IMPORT FOREIGN SCHEMA.
 *
 * A scan fetches pages of an arXiv query one request at a time.  Each
 * response is parsed while it arrives (atom.c, fed from http.c) and its
 * entries converted to rows in a per-page memory context; the rows are
 * returned only once the page is complete and valid, so a page that fails
 * half way can be retried without returning anything twice, and memory
 * stays bounded by one page whatever the size of the result.
 *
 *-------------------------------------------------------------------------
 */
#include "arxiv_fdw.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_class.h"
#include "commands/explain.h"
#include "executor/spi.h"
#include "parser/parsetree.h"
#include "common/pg_prng.h"
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "optimizer/tlist.h"
#include "nodes/makefuncs.h"
#include "access/nbtree.h"
#include "catalog/pg_am.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "optimizer/paths.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/ruleutils.h"
#include "utils/memutils.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/rel.h"
#include "utils/fmgroids.h"

PG_MODULE_MAGIC;

/* count(*): its OID is the same in every release */
#if PG_VERSION_NUM >= 140000
#define COUNT_STAR_OID F_COUNT_
#else
#define COUNT_STAR_OID 2803
#endif

/* PostgreSQL 17 added the restriction clauses of the path */
#if PG_VERSION_NUM >= 170000
#define arxiv_upper_path(root, rel, target, rows, startup, total, pathkeys, private) \
	create_foreign_upper_path(root, rel, target, rows, startup, total, \
							  pathkeys, NULL, NIL, private)
#else
#define arxiv_upper_path(root, rel, target, rows, startup, total, pathkeys, private) \
	create_foreign_upper_path(root, rel, target, rows, startup, total, \
							  pathkeys, NULL, private)
#endif

/* arxiv_fdw.progress: a NOTICE per page fetched, for long scans */
bool		arxiv_progress = false;

/*
 * arxiv_fdw.response_cache: off makes scans ignore cached responses (fresh
 * responses are still stored).  A cache-table refresh turns it off, since
 * it exists to see what changed since the last look; scans that write what
 * they read ignore cached responses anyway (see scan_fresh_only).
 */
static bool arxiv_response_cache = true;

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomBoolVariable("arxiv_fdw.progress",
							 "Reports each page an arXiv scan fetches.",
							 "Emits a NOTICE per page: page n of m, entries so far, seconds waited for the rate limit.",
							 &arxiv_progress, false, PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomBoolVariable("arxiv_fdw.response_cache",
							 "Answers identical requests from the response cache.",
							 "When off, scans do not use cached responses (they still store fresh ones); the server option cache_ttl sets how long they stay fresh.",
							 &arxiv_response_cache, true, PGC_USERSET, 0,
							 NULL, NULL, NULL);
	arxiv_cache_init();
	MarkGUCPrefixReserved("arxiv_fdw");
}

/*
 * The one refusal of a scan that would page through all of arXiv: at plan
 * time when no condition can restrict the request, at execution when the
 * values of this execution (parameters) make the conditions restrict
 * nothing.
 */
static void report_fetch_all(Oid relid, bool at_execution) pg_attribute_noreturn();

static void
report_fetch_all(Oid relid, bool at_execution)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_ERROR),
			 errmsg("query on foreign table \"%s\" would fetch all of arXiv",
					get_rel_name(relid)),
			 at_execution
			 ? errdetail("The conditions sent to arXiv restrict nothing for these values.")
			 : errdetail("None of the WHERE conditions can be sent to arXiv, and arXiv allows one request every %g seconds.",
						 ARXIV_MIN_REQUEST_INTERVAL),
			 at_execution
			 ? errhint("Add a condition on \"id\", \"category\", \"author\", \"search\" or a \"published\" range.")
			 : errhint("Add a condition on \"id\", \"category\", \"author\", \"search\" or a \"published\" range, or set the table option \"query\".")));
}

/* planner state kept in baserel->fdw_private */
typedef struct ArxivPlanState
{
	ArxivOptions opts;
	ArxivField *fields;
	ArxivPushdown pd;			/* of the restriction clauses */
	bool		filter_join;	/* a filter column is a join key */
	int			id_count;		/* ids in the id condition, -1 if none */
	Oid			role;			/* whose response cache and estimates */
} ArxivPlanState;

/* what a path (and its plan) adds to the pushed conditions */
typedef enum ArxivSort
{
	SORT_NONE,
	SORT_PUBLISHED,
	SORT_UPDATED
} ArxivSort;

/* indexes into ForeignScan.fdw_private */
enum ArxivScanPrivate
{
	FSP_PUSHED,					/* List of condition trees */
	FSP_SORT,					/* Integer: ArxivSort */
	FSP_SORT_DESC,				/* Integer: descending */
	FSP_FETCH_LIMIT,			/* Integer: rows needed at most, -1 all */
	FSP_NEEDED_ATTRS,			/* List of Integer attnums to produce */
	FSP_ID_SOURCE,				/* NIL, or (table OID, column name): ids */
	FSP_KIND,					/* Integer: ArxivUpperKind */
	FSP_RELID,					/* Integer: the foreign table's OID */
	FSP_NVALUES,				/* Integer: value expressions in fdw_exprs */
	FSP_EXACT_TREES,			/* Integers: pushed trees planned exact */
	FSP_RECHECK_TREES			/* Integers: those whose expressions follow
								 * the values in fdw_exprs */
};

/*
 * What a ForeignScan computes besides the table's rows.  An upper scan
 * (scan_relid 0) replaces PostgreSQL's own node above the table scan:
 *
 *	UPPER_COUNT: count(*) with no GROUP BY over conditions that all went to
 *	arXiv exactly: the totalResults of one max_results=1 request.  Its
 *	fdw_scan_tlist is the count(*) Aggrefs.
 *
 *	UPPER_LIMIT: LIMIT/OFFSET over the scan in the order asked, when arXiv's
 *	start can skip the OFFSET rows.  Its fdw_scan_tlist is the table's
 *	columns the query uses; the scan checks the local conditions and
 *	enforces LIMIT and OFFSET itself (there is no Limit node above it).
 *
 * fdw_exprs holds the value expressions of the pushed conditions, then the
 * expressions of the pushed conditions planned exact (FSP_RECHECK_TREES:
 * evaluated only if the values of an execution make one inexact), then
 * (UPPER_LIMIT) the LIMIT and OFFSET expressions and the local conditions.
 */
typedef enum ArxivUpperKind
{
	UPPER_NONE,
	UPPER_COUNT,
	UPPER_LIMIT
} ArxivUpperKind;

/* planner state kept in an upper rel's fdw_private */
typedef struct ArxivUpperState
{
	ArxivUpperKind kind;
	RelOptInfo *baserel;		/* the foreign table's scan rel */
} ArxivUpperState;

/* indexes into ForeignPath.fdw_private; see make_path_private */
enum ArxivPathPrivate
{
	FPP_SORT,
	FPP_SORT_DESC,
	FPP_FETCH_LIMIT,
	FPP_ID_SOURCE				/* NIL, or (range table index, attno) */
};

static List *
make_path_private(ArxivSort sort, bool desc, int fetch_limit, List *id_source)
{
	return list_make4(makeInteger(sort), makeInteger(desc),
					  makeInteger(fetch_limit), id_source);
}

typedef struct ArxivRow
{
	Datum	   *values;
	bool	   *nulls;
} ArxivRow;

/* an id returned near a window boundary, to drop when seen again */
typedef struct TailEntry
{
	char	   *id;
	int64		minute;
} TailEntry;

typedef struct ArxivScanState
{
	ArxivStateKind state_kind;	/* STATE_API; see arxiv_fdw.h */
	ArxivOptions opts;
	List	   *pushed;
	List	   *exprstates;
	List	   *exprs;
	Datum	   *values;			/* of exprstates */
	bool	   *isnull;
	ArxivSort	sort;
	bool		sort_desc;
	long		fetch_limit;	/* -1: all */
	List	   *id_source;		/* NIL, or (table OID, column name) */
	ArxivUpperKind kind;
	Oid			relid;
	ExprState  *limit_count_state;	/* UPPER_LIMIT: LIMIT, OFFSET */
	ExprState  *limit_offset_state;
	ExprState  *local_qual;		/* UPPER_LIMIT: the local conditions */
	List	   *exact_trees;	/* pushed trees planned exact */
	List	   *recheck_trees;	/* those PostgreSQL can check, */
	List	   *recheck_exprs;	/* ... their expressions */
	List	   *recheck_quals;	/* ... and ExprStates */
	List	   *active_rechecks;	/* ExprStates of the trees this
									 * execution's values made inexact */
	List	   *active_recheck_exprs;	/* ... for EXPLAIN */
	int64		limit_count;	/* -1: no LIMIT */
	int64		limit_offset;
	bool		offset_here;	/* OFFSET is applied here, not by arXiv */
	int64		to_skip;		/* OFFSET rows still to skip here */
	int64		emitted;		/* rows returned, for LIMIT */
	ArxivRequest req;
	bool		req_valid;
	bool		total_learned;	/* this request's totalResults is stored */
	const char *sort_by;		/* arXiv's sortBy, NULL for id lists */
	const char *sort_order;
	ArxivConverter *conv;
	ArxivHttp  *http;
	char		host[300];		/* rate-limit key, see arxiv_url_key */
	int			natts;
	MemoryContext scan_cxt;		/* request, HTTP client: the whole scan */
	MemoryContext page_cxt;		/* rows of the current page */

	/* paging */
	bool		started;
	bool		eof;
	long		next_start;		/* within the current id batch or window */
	long		total;			/* totalResults of the current batch/window */
	long		returned;		/* rows handed to the executor */
	int			id_batch;		/* index in req.ids of the current batch */
	char	   *window_query;	/* search_query with a continuation bound */
	bool		has_window_bound;
	int64		window_bound;	/* minute of the continuation bound */
	List	   *tail;			/* TailEntry of rows near the window's end */
	List	   *skip;			/* TailEntry of the previous window's end */
	HTAB	   *prev_ids;		/* ids of the previous page */
	HTAB	   *cur_ids;		/* ids of the current page */
	MemoryContext ids_cxt[2];	/* alternating homes of the two sets */
	int			prev_ids_slot;	/* which one holds prev_ids */

	/* the current page */
	ArxivRow   *rows;
	int			nrows;
	int			maxrows;
	int			next_row;
	TimestampTz last_published;

	/* the response being parsed */
	AtomParser *parser;
	AtomStatus	parse_status;
	bool		sink_failed;
	bool		stop_seen;		/* a row past the "updated" bound */
	/* the response cache: a scan replays one listing or fetches it all */
	Oid			role;			/* whose cache: the role checked for the table */
	bool		fresh_only;		/* never replay (scan_fresh_only) */
	bool		has_filter;		/* the plan checks conditions on our rows */
	bool		cache_decided;	/* replay or fetch, chosen at the first page */
	ArxivCacheReader *cache_reader; /* the listing being replayed, or NULL */
	ArxivCacheWriter *cache_writer; /* the listing being cached, or NULL */
	bool		replayed;		/* a page of this listing came from the cache */
	struct BodyChunk *body;		/* a transfer's body, parsed after it */
	struct BodyChunk *body_last;
	bool		body_oom;		/* a chunk could not be kept */
	MemoryContext body_cxt;		/* the chunks; reset once parsed */
	ErrorData  *entry_error;
	const char *entry_id;		/* for the error context */
	MemoryContextCallback parser_cleanup;

	/* for EXPLAIN ANALYZE */
	long		requests;
	long		entries;
	long		retries;
	long		cache_hits;
	int64		bytes;
	double		waited;
	char	   *feed_title;	/* arXiv's echo of the query, for EXPLAIN */
} ArxivScanState;

PG_FUNCTION_INFO_V1(arxiv_fdw_handler);

static void arxivGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel,
								   Oid foreigntableid);
static void arxivGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel,
								 Oid foreigntableid);
static ForeignScan *arxivGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel,
										Oid foreigntableid, ForeignPath *best_path,
										List *tlist, List *scan_clauses,
										Plan *outer_plan);
static void arxivGetForeignUpperPaths(PlannerInfo *root,
									  UpperRelationKind stage,
									  RelOptInfo *input_rel,
									  RelOptInfo *output_rel, void *extra);
static ForeignScan *upper_plan(PlannerInfo *root, RelOptInfo *upper_rel,
							   ForeignPath *best_path, List *tlist);
static void arxivExplainForeignScan(ForeignScanState *node, ExplainState *es);
static void arxivBeginForeignScan(ForeignScanState *node, int eflags);
static TupleTableSlot *arxivIterateForeignScan(ForeignScanState *node);
static void arxivReScanForeignScan(ForeignScanState *node);
static void arxivEndForeignScan(ForeignScanState *node);
static List *arxivImportForeignSchema(ImportForeignSchemaStmt *stmt,
									  Oid serverOid);

Datum
arxiv_fdw_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *routine = makeNode(FdwRoutine);

	routine->GetForeignRelSize = arxivGetForeignRelSize;
	routine->GetForeignPaths = arxivGetForeignPaths;
	routine->GetForeignPlan = arxivGetForeignPlan;
	routine->GetForeignUpperPaths = arxivGetForeignUpperPaths;
	routine->ExplainForeignScan = arxivExplainForeignScan;
	routine->BeginForeignScan = arxivBeginForeignScan;
	routine->IterateForeignScan = arxivIterateForeignScan;
	routine->ReScanForeignScan = arxivReScanForeignScan;
	routine->EndForeignScan = arxivEndForeignScan;
	routine->ImportForeignSchema = arxivImportForeignSchema;
	PG_RETURN_POINTER(routine);
}

/* ---------------------------------------------------------------------
 * Planner
 * ---------------------------------------------------------------------
 */

static double remote_estimate(ArxivPlanState *ps);
static double learned_estimate(ArxivPlanState *ps);

static void
arxivGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel,
					   Oid foreigntableid)
{
	ArxivPlanState *ps;
	Relation	rel;
	List	   *local_clauses = NIL;
	ListCell   *lc;
	double		rows;

	if (arxiv_table_source(foreigntableid) != SOURCE_API)
	{
		oaiGetForeignRelSize(root, baserel, foreigntableid);
		return;
	}
	ps = palloc0(sizeof(ArxivPlanState));
	rel = table_open(foreigntableid, NoLock);

	arxiv_get_options(foreigntableid, &ps->opts);
	ps->fields = arxiv_column_fields(foreigntableid, RelationGetDescr(rel));
	table_close(rel, NoLock);

	arxiv_classify_conditions(baserel, ps->fields, baserel->baserestrictinfo,
							  NIL, ps->opts.query, &ps->pd);
	ps->id_count = arxiv_tree_id_count(ps->pd.pushed, ps->pd.exprs);
	ps->role = OidIsValid(baserel->userid) ? baserel->userid : GetUserId();
	baserel->fdw_private = ps;

	/*
	 * An id list bounds the rows; otherwise what arXiv said of this search
	 * (asked now, or learned from an earlier scan), or a typical listing.
	 */
	rows = ps->id_count >= 0 ? ps->id_count : ps->pd.restricts ? 500 : 1e6;
	if (ps->pd.restricts && ps->id_count < 0)
	{
		double		total = ps->opts.use_remote_estimate ? remote_estimate(ps)
			: learned_estimate(ps);

		if (total >= 0)
			rows = total;
	}
	foreach(lc, ps->pd.local)
		local_clauses = lappend(local_clauses, lfirst(lc));
	rows *= clauselist_selectivity(root, local_clauses, baserel->relid,
								   JOIN_INNER, NULL);
	baserel->tuples = rows;
	baserel->rows = clamp_row_est(rows);
}

/*
 * A request costs request_interval seconds of arXiv's budget; that dwarfs
 * any CPU cost, so cost is dominated by the number of requests.  One second
 * is priced at 1000 sequential page reads.
 */
static void
estimate_costs(ArxivPlanState *ps, double fetched, bool restricted,
			   Cost *startup, Cost *total)
{
	double		request_cost = 1000.0 * (Max(ps->opts.request_interval, 0.01) + 0.5);
	double		pages = Max(ceil(fetched / ps->opts.page_size), 1);

	*startup = request_cost;
	*total = *startup + (pages - 1) * request_cost +
		fetched * cpu_tuple_cost * 10;
	if (!restricted)
	{
		/* refused at plan time anyway: make any restricted plan win */
		*startup += disable_cost;
		*total += disable_cost;
	}
}

/*
 * The sort arXiv can do for pathkeys: exactly one key, on "published" or
 * "updated" with the type's default ordering.
 */
static ArxivSort
pathkeys_sort(RelOptInfo *baserel, ArxivPlanState *ps, List *pathkeys,
			  bool *desc)
{
	PathKey    *pk;
	ListCell   *lc;
	Oid			opfamily;

	if (list_length(pathkeys) != 1)
		return SORT_NONE;
	pk = linitial(pathkeys);
	opfamily = get_opclass_family(GetDefaultOpClass(TIMESTAMPTZOID, BTREE_AM_OID));
	if (pk->pk_opfamily != opfamily)
		return SORT_NONE;
	foreach(lc, pk->pk_eclass->ec_members)
	{
		EquivalenceMember *em = lfirst(lc);
		Var		   *var = (Var *) em->em_expr;

		if (!IsA(var, Var) || var->varno != baserel->relid ||
			var->varattno <= 0 || var->varlevelsup != 0 ||
			var->vartype != TIMESTAMPTZOID)
			continue;
		*desc = pk->pk_strategy == BTGreaterStrategyNumber;
		if (ps->fields[var->varattno - 1] == AF_PUBLISHED)
			return SORT_PUBLISHED;
		if (ps->fields[var->varattno - 1] == AF_UPDATED)
			return SORT_UPDATED;
	}
	return SORT_NONE;
}

/*
 * The number of rows the query can need from this scan, if the planner
 * knows a hard LIMIT (+ OFFSET) that applies to it directly: a one-table
 * query, in the order asked, whose conditions went to arXiv exactly or
 * widened only by date rounding.  It sizes the first request; the Limit
 * node stops asking for rows once it has enough.
 */
static double
path_fetch_limit(PlannerInfo *root, RelOptInfo *baserel, ArxivPlanState *ps,
				 bool ordered)
{
	ListCell   *lc;

	if (root->limit_tuples <= 0 || baserel->reloptkind != RELOPT_BASEREL ||
		bms_membership(root->all_baserels) != BMS_SINGLETON ||
		(root->query_pathkeys != NIL && !ordered))
		return -1;
	foreach(lc, ps->pd.local)
		if (arxiv_published_range_bounds(baserel, ps->fields,
										 lfirst_node(RestrictInfo, lc)->clause) == 0)
		return -1;
	return Min(root->limit_tuples, (double) PG_INT32_MAX);
}

static void
add_scan_path(PlannerInfo *root, RelOptInfo *baserel, ArxivPlanState *ps,
			  List *pathkeys, ArxivSort sort, bool desc)
{
	double		limit = path_fetch_limit(root, baserel, ps, pathkeys != NIL);
	double		fetched = baserel->tuples;
	Cost		startup;
	Cost		total;

	if (limit > 0)
		fetched = Min(fetched, limit);
	estimate_costs(ps, fetched, ps->pd.restricts && !ps->filter_join,
				   &startup, &total);
	add_path(baserel, (Path *)
			 create_foreignscan_path(root, baserel, NULL,
									 Min(baserel->rows, Max(fetched, 1)),
									 startup, total, pathkeys, NULL, NULL,
									 make_path_private(sort, desc, (int) limit, NIL)));
}

static bool
ec_member_is_id(PlannerInfo *root pg_attribute_unused(), RelOptInfo *rel,
				EquivalenceClass *ec pg_attribute_unused(),
				EquivalenceMember *em, void *arg)
{
	Var		   *var = (Var *) em->em_expr;
	ArxivField *fields = (ArxivField *) arg;

	while (var && IsA(var, RelabelType))
		var = (Var *) ((RelabelType *) var)->arg;
	return var != NULL && IsA(var, Var) && var->varno == rel->relid &&
		var->varlevelsup == 0 && var->varattno > 0 &&
		fields[var->varattno - 1] == AF_ID;
}

/* an equivalence member that is "id" or a filter column of rel */
static bool
ec_member_is_join_key(PlannerInfo *root pg_attribute_unused(), RelOptInfo *rel,
					  EquivalenceClass *ec pg_attribute_unused(),
					  EquivalenceMember *em, void *arg)
{
	Var		   *var = (Var *) em->em_expr;
	ArxivField *fields = (ArxivField *) arg;
	ArxivField	field;

	while (var && IsA(var, RelabelType))
		var = (Var *) ((RelabelType *) var)->arg;
	if (var == NULL || !IsA(var, Var) || var->varno != rel->relid ||
		var->varlevelsup != 0 || var->varattno <= 0)
		return false;
	field = fields[var->varattno - 1];
	return field == AF_ID || field == AF_CATEGORY || field == AF_AUTHOR ||
		field == AF_SEARCH;
}

/*
 * Whether a filter column ("category", "author", "search") is compared
 * with another table.  Its value in a row is the one the request asked
 * for, so only a scan that sends the other table's value (a parameterized
 * path) can evaluate such a join; a join node above the scan would compare
 * one value where the paper may be listed under several.
 */
static bool
filter_column_joined(PlannerInfo *root, RelOptInfo *baserel, ArxivPlanState *ps)
{
	ListCell   *lc;

	foreach(lc, generate_implied_equalities_for_column(root, baserel,
													   ec_member_is_join_key,
													   ps->fields,
													   baserel->lateral_referencers))
		if (arxiv_mentions_filter_column(baserel, ps->fields,
										 (Node *) lfirst_node(RestrictInfo, lc)->clause))
		return true;
	foreach(lc, baserel->joininfo)
		if (arxiv_mentions_filter_column(baserel, ps->fields,
										 (Node *) lfirst_node(RestrictInfo, lc)->clause))
		return true;
	return false;
}

/*
 * Parameterized paths for joins on "id": one request per outer row rather
 * than a scan of everything.  (For many outer rows, id = ANY(ARRAY(SELECT
 * ...)) sends them in batches; see README.)
 */
static void
add_id_join_paths(PlannerInfo *root, RelOptInfo *baserel, ArxivPlanState *ps)
{
	List	   *clauses;
	ListCell   *lc;

	clauses = generate_implied_equalities_for_column(root, baserel,
													 ec_member_is_join_key, ps->fields,
													 baserel->lateral_referencers);
	foreach(lc, baserel->joininfo)
		clauses = lappend(clauses, lfirst(lc));

	foreach(lc, clauses)
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);
		Relids		outer;
		ParamPathInfo *ppi;
		Cost		startup;
		Cost		total;

		if (!join_clause_is_movable_to(ri, baserel))
			continue;
		if (!arxiv_join_clause_pushable(baserel, ps->fields, ri, false))
			continue;
		outer = bms_difference(bms_union(ri->clause_relids, baserel->lateral_relids),
							   baserel->relids);
		if (bms_is_empty(outer))
			continue;
		ppi = get_baserel_parampathinfo(root, baserel, outer);
		estimate_costs(ps, 1, true, &startup, &total);
		add_path(baserel, (Path *)
				 create_foreignscan_path(root, baserel, NULL,
										 Max(ppi->ppi_rows, 1),
										 startup, total, NIL, outer, NULL,
										 make_path_private(SORT_NONE, false, -1, NIL)));
	}
}

/*
 * The local table column a join clause "id = t.col" compares with, if t is
 * a plain table of this query and col a text column: its distinct values
 * are a superset of the ids the join can match.
 */
static bool
join_id_source(PlannerInfo *root, RelOptInfo *baserel, RestrictInfo *ri,
			   Index *relid, AttrNumber *attno)
{
	OpExpr	   *op = (OpExpr *) ri->clause;
	RangeTblEntry *rte;

	if (!IsA(op, OpExpr) || list_length(op->args) != 2)
		return false;
	for (int side = 0; side < 2; side++)
	{
		Var		   *var = (Var *) list_nth(op->args, side);

		while (var && IsA(var, RelabelType))
			var = (Var *) ((RelabelType *) var)->arg;
		if (var == NULL || !IsA(var, Var) || var->varno == baserel->relid ||
			var->varlevelsup != 0 || var->varattno <= 0 ||
			(var->vartype != TEXTOID && var->vartype != VARCHAROID))
			continue;
		rte = planner_rt_fetch(var->varno, root);
		if (rte->rtekind != RTE_RELATION ||
			(rte->relkind != RELKIND_RELATION && rte->relkind != RELKIND_MATVIEW &&
			 rte->relkind != RELKIND_PARTITIONED_TABLE))
			return false;
		*relid = var->varno;
		*attno = var->varattno;
		return true;
	}
	return false;
}

/*
 * For a join with a local table on "id", an unparameterized scan whose ids
 * are the distinct values of the local column, read when the scan starts:
 * ceil(n / page_size) requests for the whole join instead of one per outer
 * row.  Offered when the local table is small enough for that to pay.
 */
static void
add_id_source_paths(PlannerInfo *root, RelOptInfo *baserel, ArxivPlanState *ps)
{
	List	   *clauses;
	ListCell   *lc;

	if (ps->id_count >= 0)
		return;
	clauses = generate_implied_equalities_for_column(root, baserel,
													 ec_member_is_id, ps->fields,
													 baserel->lateral_referencers);

	/*
	 * An outer join's clause is in no equivalence class.  Its ids bound the
	 * rows this table contributes when this table is the nullable side (LEFT
	 * JOIN papers): rows matching no outer row are not needed.
	 */
	foreach(lc, baserel->joininfo)
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);

		if (!bms_is_member(baserel->relid, ri->outer_relids) &&
			arxiv_join_clause_pushable(baserel, ps->fields, ri, true))
			clauses = lappend(clauses, ri);
	}
	foreach(lc, clauses)
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);
		Index		relid;
		AttrNumber	attno;
		RelOptInfo *other;
		double		ids;
		Cost		startup;
		Cost		total;

		if (!join_id_source(root, baserel, ri, &relid, &attno))
			continue;
		other = find_base_rel(root, relid);
		/* all of the table's rows: its own conditions are not applied */
		ids = Max(other->tuples, 1);
		if (ids > 100 * ARXIV_MAX_PAGE_SIZE)
			continue;
		estimate_costs(ps, ids, !ps->filter_join, &startup, &total);
		add_path(baserel, (Path *)
				 create_foreignscan_path(root, baserel, NULL,
										 Min(ids, baserel->rows), startup, total,
										 NIL, NULL, NULL,
										 make_path_private(SORT_NONE, false, -1,
														   list_make2(makeInteger(relid),
																	  makeInteger(attno)))));
	}
}

static void
arxivGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel,
					 Oid foreigntableid)
{
	ArxivPlanState *ps = baserel->fdw_private;
	ArxivSort	sort;
	bool		desc = false;

	if (arxiv_table_source(foreigntableid) != SOURCE_API)
	{
		oaiGetForeignPaths(root, baserel, foreigntableid);
		return;
	}

	ps->filter_join = filter_column_joined(root, baserel, ps);
	add_scan_path(root, baserel, ps, NIL, SORT_NONE, false);

	/* arXiv sorts, so no Sort node is needed (not across id batches) */
	sort = pathkeys_sort(baserel, ps, root->query_pathkeys, &desc);
	if (sort != SORT_NONE && ps->id_count < 0)
		add_scan_path(root, baserel, ps, root->query_pathkeys, sort, desc);

	add_id_join_paths(root, baserel, ps);
	add_id_source_paths(root, baserel, ps);
}

/* an integer List as a List of Integer nodes, which copyObject handles */
static List *
int_list_to_integers(List *ints)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, ints)
		result = lappend(result, makeInteger(lfirst_int(lc)));
	return result;
}

/*
 * The rechecks a scan carries: none when every value is a constant, since
 * the execution then judges exactly as the planner did.
 */
static void
scan_rechecks(ArxivPushdown *pd, List **rechecks, List **recheck_trees)
{
	ListCell   *lc;

	*rechecks = *recheck_trees = NIL;
	foreach(lc, pd->exprs)
		if (!IsA(lfirst(lc), Const))
		{
			*rechecks = pd->rechecks;
			*recheck_trees = pd->recheck_trees;
			return;
		}
}

/* ForeignScan.fdw_private; see ArxivScanPrivate */
static List *
make_scan_private(List *pushed, List *path_private, List *attrs,
				  List *id_source, ArxivUpperKind kind, Oid relid,
				  int nvalues, List *exact_trees, List *recheck_trees)
{
	List	   *result = list_make5(pushed,
									list_nth(path_private, FPP_SORT),
									list_nth(path_private, FPP_SORT_DESC),
									list_nth(path_private, FPP_FETCH_LIMIT),
									attrs);

	result = lappend(result, id_source);
	result = lappend(result, makeInteger(kind));
	/* an OID above INT_MAX comes back unchanged through the cast */
	result = lappend(result, makeInteger((int) relid));
	result = lappend(result, makeInteger(nvalues));
	result = lappend(result, int_list_to_integers(exact_trees));
	return lappend(result, int_list_to_integers(recheck_trees));
}

/* attnums the scan must produce: targetlist and local conditions */
static List *
needed_attrs(RelOptInfo *baserel, List *local_clauses, int natts)
{
	Bitmapset  *attrs = NULL;
	List	   *result = NIL;
	bool		whole_row;

	pull_varattnos((Node *) baserel->reltarget->exprs, baserel->relid, &attrs);
	pull_varattnos((Node *) local_clauses, baserel->relid, &attrs);
	whole_row = bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs);
	for (int attno = 1; attno <= natts; attno++)
		if (whole_row ||
			bms_is_member(attno - FirstLowInvalidHeapAttributeNumber, attrs))
			result = lappend(result, makeInteger(attno));
	return result;
}

/*
 * Whether a restriction is constant FALSE or NULL (two different constants
 * for one filter column): the plan's gating Result never runs the scan.
 */
static bool
constant_false(RelOptInfo *baserel)
{
	ListCell   *lc;

	foreach(lc, baserel->baserestrictinfo)
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);
		Const	   *c = (Const *) ri->clause;

		if (ri->pseudoconstant && IsA(c, Const) &&
			(c->constisnull || !DatumGetBool(c->constvalue)))
			return true;
	}
	return false;
}

static ForeignScan *
arxivGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel,
					Oid foreigntableid, ForeignPath *best_path,
					List *tlist, List *scan_clauses, Plan *outer_plan)
{
	ArxivPlanState *ps;
	ArxivPushdown pd;
	List	   *rechecks;
	List	   *recheck_trees;
	List	   *join_clauses = NIL;
	List	   *local_clauses = NIL;
	List	   *path_private = best_path->fdw_private;
	List	   *id_source;
	ListCell   *lc;
	Relation	rel;
	int			natts;

	if (!IS_UPPER_REL(baserel) && arxiv_table_source(foreigntableid) != SOURCE_API)
		return oaiGetForeignPlan(root, baserel, foreigntableid, best_path,
								 tlist, scan_clauses, outer_plan);
	if (IS_UPPER_REL(baserel))
		return upper_plan(root, baserel, best_path, tlist);
	ps = baserel->fdw_private;

	/* the join clauses of a parameterized path: ids from the outer row */
	foreach(lc, scan_clauses)
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);

		if (!ri->pseudoconstant && !list_member_ptr(baserel->baserestrictinfo, ri))
			join_clauses = lappend(join_clauses, ri);
	}
	/* judged together: a join clause can change what the others need */
	arxiv_classify_conditions(baserel, ps->fields, baserel->baserestrictinfo,
							  join_clauses, ps->opts.query, &pd);

	id_source = list_nth(path_private, FPP_ID_SOURCE);
	if (id_source != NIL)
	{
		RangeTblEntry *rte = planner_rt_fetch(intVal(linitial(id_source)), root);

		id_source = list_make2(makeInteger(rte->relid),
							   makeString(get_attname(rte->relid,
													  intVal(lsecond(id_source)),
													  false)));
	}
	if (ps->filter_join)
	{
		bool		sent = false;

		foreach(lc, join_clauses)
			sent |= arxiv_join_clause_pushable(baserel, ps->fields, lfirst(lc), false) &&
				arxiv_mentions_filter_column(baserel, ps->fields,
											 (Node *) lfirst_node(RestrictInfo, lc)->clause);
		if (!sent)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_COLUMN_NAME),
					 errmsg("join on an arXiv filter column cannot be sent to arXiv"),
					 errdetail("A join on \"category\", \"author\" or \"search\" needs one request per outer row, and this plan compares the column after the scan."),
					 errhint("Join on the real columns instead, e.g. t.cat = ANY (p.categories), or allow a nested loop.")));
	}
	if (id_source == NIL && !pd.may_restrict && !constant_false(baserel))
		report_fetch_all(foreigntableid, false);

	/* keep the clauses PostgreSQL must check; pushed exact ones are done */
	foreach(lc, scan_clauses)
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);
		ListCell   *lc2;
		ListCell   *lc3;

		if (ri->pseudoconstant)
			continue;
		forboth(lc2, pd.local, lc3, pd.local_exprs)
		{
			if (lfirst(lc2) == ri)
			{
				local_clauses = lappend(local_clauses, lfirst(lc3));
				break;
			}
		}
	}

	rel = table_open(foreigntableid, NoLock);
	natts = RelationGetDescr(rel)->natts;
	table_close(rel, NoLock);

	scan_rechecks(&pd, &rechecks, &recheck_trees);
	return make_foreignscan(tlist, local_clauses, baserel->relid,
							list_concat_copy(pd.exprs, rechecks),
							make_scan_private(pd.pushed, path_private,
											  needed_attrs(baserel,
														   list_concat_copy(local_clauses,
																			rechecks),
														   natts),
											  id_source, UPPER_NONE, foreigntableid,
											  list_length(pd.exprs), pd.exact_trees,
											  recheck_trees),
							NIL, NIL, outer_plan);
}

/* ---------------------------------------------------------------------
 * Upper paths: count(*) and LIMIT/OFFSET done by arXiv
 * ---------------------------------------------------------------------
 */

/* A path of ours, under any projections, or NULL. */
static ForeignPath *
own_scan_path(Path *path)
{
	while (IsA(path, ProjectionPath))
		path = ((ProjectionPath *) path)->subpath;
	/* an OAI-PMH table's path has no fdw_private */
	if (!IsA(path, ForeignPath) || path->parent->reloptkind != RELOPT_BASEREL ||
		((ForeignPath *) path)->fdw_private == NIL ||
		path->parent->fdwroutine == NULL ||
		path->parent->fdwroutine->GetForeignUpperPaths != arxivGetForeignUpperPaths)
		return NULL;
	return (ForeignPath *) path;
}

/* count(*), and nothing else that reads the rows */
static bool
is_plain_count(Node *node)
{
	Aggref	   *agg = (Aggref *) node;

	return IsA(agg, Aggref) && agg->aggfnoid == COUNT_STAR_OID &&
		agg->aggstar && agg->aggfilter == NULL && agg->aggdistinct == NIL &&
		agg->aggorder == NIL && agg->aggsplit == AGGSPLIT_SIMPLE;
}

/*
 * SELECT count(*) FROM t WHERE <conditions arXiv answers exactly>: one
 * request reads arXiv's totalResults, instead of fetching every entry.
 */
static void
add_count_path(PlannerInfo *root, RelOptInfo *input_rel,
			   RelOptInfo *grouped_rel, GroupPathExtraData *extra)
{
	Query	   *parse = root->parse;
	ArxivPlanState *ps = input_rel->fdw_private;
	ArxivUpperState *us;
	ListCell   *lc;
	Cost		startup;
	Cost		total;

	/* a rel proven empty (WHERE ... AND NULL) was never sized by us */
	if (ps == NULL || IS_DUMMY_REL(input_rel) ||
		input_rel->reloptkind != RELOPT_BASEREL || parse->groupClause != NIL ||
		parse->groupingSets != NIL || parse->havingQual != NULL ||
		extra->patype != PARTITIONWISE_AGGREGATE_NONE)
		return;
	/* every row arXiv counts must be a row of the result, and only once */
	if (ps->pd.local != NIL || ps->id_count >= 0 || !ps->pd.restricts)
		return;
	foreach(lc, pull_var_clause((Node *) grouped_rel->reltarget->exprs,
								PVC_INCLUDE_AGGREGATES))
		if (!is_plain_count(lfirst(lc)))
			return;

	us = palloc0(sizeof(ArxivUpperState));
	us->kind = UPPER_COUNT;
	us->baserel = input_rel;
	grouped_rel->fdw_private = us;
	estimate_costs(ps, 1, true, &startup, &total);
	add_path(grouped_rel, (Path *)
			 arxiv_upper_path(root, grouped_rel, grouped_rel->reltarget, 1,
							  startup, total, NIL,
							  make_path_private(SORT_NONE, false, -1, NIL)));
}

/*
 * Whether arXiv's start can skip the OFFSET rows of a scan in this order:
 * when PostgreSQL rechecks nothing, or only date bounds whose widening
 * adds rows at the far end of the order (a lower bound when newest come
 * first), so that the first rows arXiv returns are the first rows of the
 * result.
 */
static bool
offset_can_be_remote(RelOptInfo *baserel, ArxivPlanState *ps, ArxivSort sort,
					 bool desc)
{
	int			far_end;
	ListCell   *lc;

	if (sort == SORT_NONE)
	{
		/* without ORDER BY a search comes newest first (choose_sort) */
		sort = SORT_PUBLISHED;
		desc = true;
	}
	if (ps->pd.local == NIL)
		return true;
	if (sort != SORT_PUBLISHED)
		return false;
	far_end = desc ? ARXIV_BOUND_LOWER : ARXIV_BOUND_UPPER;
	foreach(lc, ps->pd.local)
		if (arxiv_published_range_bounds(baserel, ps->fields,
										 lfirst_node(RestrictInfo, lc)->clause) != far_end)
			return false;
	return true;
}

/* The scan path LIMIT/OFFSET can be pushed into, or NULL. */
static ForeignPath *
limit_input_path(PlannerInfo *root, RelOptInfo *input_rel)
{
	ListCell   *lc;

	foreach(lc, input_rel->pathlist)
	{
		ForeignPath *fpath = own_scan_path(lfirst(lc));

		if (fpath == NULL || fpath->path.param_info != NULL ||
			list_nth(fpath->fdw_private, FPP_ID_SOURCE) != NIL)
			continue;
		if (root->sort_pathkeys == NIL ||
			pathkeys_contained_in(root->sort_pathkeys, fpath->path.pathkeys))
			return fpath;
	}
	return NULL;
}

/*
 * Rows and costs of LIMIT/OFFSET done by arXiv over the scan path: those a
 * Limit node over the same path gets (see adjust_limit_rows_costs), less
 * the cost of reading the OFFSET rows, which arXiv skips.  The saving is
 * small in the estimate, which is dominated by the first request, but it
 * is real: fewer rows fetched, never more requests.
 */
static void
limit_costs(Path *scan, FinalPathExtraData *extra, double *rows,
			Cost *startup, Cost *total)
{
	double		input_rows = Max(scan->rows, 1);
	Cost		run_cost = scan->total_cost - scan->startup_cost;
	double		count_rows;

	*rows = input_rows;
	if (extra->offset_est != 0)
		*rows -= Min(extra->offset_est > 0 ? (double) extra->offset_est
					 : clamp_row_est(input_rows * 0.10), input_rows);
	*rows = Max(*rows, 1);
	count_rows = *rows;
	if (extra->count_est != 0)
		count_rows = Min(extra->count_est > 0 ? (double) extra->count_est
						 : clamp_row_est(input_rows * 0.10), *rows);
	*rows = Max(count_rows, 1);
	*startup = scan->startup_cost;
	*total = *startup + run_cost * count_rows / input_rows;
}

/*
 * SELECT ... FROM t WHERE ... [ORDER BY published|updated] LIMIT n OFFSET
 * m: a scan that asks arXiv for start=m instead of fetching and dropping m
 * rows.  Only offered with an OFFSET: for a bare LIMIT the table scan's
 * first request is already sized to it.
 */
static void
add_limit_path(PlannerInfo *root, RelOptInfo *input_rel,
			   RelOptInfo *final_rel, FinalPathExtraData *extra)
{
	Query	   *parse = root->parse;
	PathTarget *target = root->upper_targets[UPPERREL_FINAL];
	ForeignPath *base;
	RelOptInfo *baserel;
	ArxivPlanState *ps;
	ArxivUpperState *us;
	ListCell   *lc;
	double		rows;
	Cost		startup;
	Cost		total;

	if (!extra->limit_needed || parse->limitOffset == NULL ||
		(IsA(parse->limitOffset, Const) &&
		 (((Const *) parse->limitOffset)->constisnull ||
		  DatumGetInt64(((Const *) parse->limitOffset)->constvalue) == 0)) ||
		parse->limitOption != LIMIT_OPTION_COUNT || parse->rowMarks != NIL ||
		parse->hasTargetSRFs || parse->hasAggs || parse->groupClause != NIL ||
		parse->hasWindowFuncs || parse->distinctClause != NIL ||
		parse->setOperations != NULL)
		return;
	base = limit_input_path(root, input_rel);
	if (base == NULL)
		return;
	baserel = base->path.parent;
	ps = baserel->fdw_private;
	if (!ps->pd.restricts ||
		!offset_can_be_remote(baserel, ps,
							  intVal(list_nth(base->fdw_private, FPP_SORT)),
							  intVal(list_nth(base->fdw_private, FPP_SORT_DESC))))
		return;
	/* the scan produces plain columns; whole rows are not built here */
	foreach(lc, pull_var_clause((Node *) target->exprs, PVC_RECURSE_PLACEHOLDERS))
	{
		Var		   *var = lfirst(lc);

		if (!IsA(var, Var) || var->varno != baserel->relid || var->varattno <= 0)
			return;
	}

	us = palloc0(sizeof(ArxivUpperState));
	us->kind = UPPER_LIMIT;
	us->baserel = baserel;
	final_rel->fdw_private = us;
	limit_costs(&base->path, extra, &rows, &startup, &total);
	add_path(final_rel, (Path *)
			 arxiv_upper_path(root, final_rel, target, rows, startup, total,
							  base->path.pathkeys,
							  make_path_private(intVal(list_nth(base->fdw_private, FPP_SORT)),
												intVal(list_nth(base->fdw_private, FPP_SORT_DESC)),
												-1, NIL)));
}

static void
arxivGetForeignUpperPaths(PlannerInfo *root, UpperRelationKind stage,
						  RelOptInfo *input_rel, RelOptInfo *output_rel,
						  void *extra)
{
	if (output_rel->fdw_private != NULL)
		return;
	/* OAI-PMH can neither count nor limit; its paths are never ours here */
	if (input_rel->reloptkind == RELOPT_BASEREL &&
		arxiv_table_source(planner_rt_fetch(input_rel->relid, root)->relid) != SOURCE_API)
		return;
	if (stage == UPPERREL_GROUP_AGG)
		add_count_path(root, input_rel, output_rel, extra);
	else if (stage == UPPERREL_FINAL)
		add_limit_path(root, input_rel, output_rel, extra);
}

/*
 * The plan of an upper path.  Its scan tuple is fdw_scan_tlist: the
 * count(*) Aggrefs, or the table's columns used by the target list and by
 * the local conditions (which the scan checks itself, before counting rows
 * for LIMIT and OFFSET).
 */
static ForeignScan *
upper_plan(PlannerInfo *root, RelOptInfo *upper_rel, ForeignPath *best_path,
		   List *tlist)
{
	ArxivUpperState *us = upper_rel->fdw_private;
	ArxivPlanState *ps = us->baserel->fdw_private;
	Query	   *parse = root->parse;
	List	   *scan_tlist;
	List	   *attnos = NIL;
	List	   *exprs = list_copy(ps->pd.exprs);
	List	   *rechecks;
	List	   *recheck_trees;
	ListCell   *lc;

	scan_rechecks(&ps->pd, &rechecks, &recheck_trees);

	if (us->kind == UPPER_COUNT)
	{
		/* a count cannot check rows: judged exact for every value */
		recheck_trees = NIL;
		scan_tlist = add_to_flat_tlist(NIL, pull_var_clause((Node *) tlist,
															PVC_INCLUDE_AGGREGATES));
	}
	else
	{
		scan_tlist = add_to_flat_tlist(NIL,
									   pull_var_clause((Node *) list_make3(tlist, ps->pd.local_exprs,
																		   rechecks),
													   PVC_RECURSE_PLACEHOLDERS));
		exprs = list_concat(exprs, rechecks);
		exprs = lappend(exprs, parse->limitCount ? parse->limitCount
						: (Node *) makeNullConst(INT8OID, -1, InvalidOid));
		exprs = lappend(exprs, parse->limitOffset);
		exprs = list_concat(exprs, ps->pd.local_exprs);
	}
	foreach(lc, scan_tlist)
	{
		Var		   *var = (Var *) lfirst_node(TargetEntry, lc)->expr;

		attnos = lappend(attnos, makeInteger(IsA(var, Var) ? var->varattno : 0));
	}
	return make_foreignscan(tlist, NIL, 0, exprs,
							make_scan_private(ps->pd.pushed, best_path->fdw_private,
											  attnos, NIL, us->kind,
											  planner_rt_fetch(us->baserel->relid, root)->relid,
											  list_length(ps->pd.exprs),
											  ps->pd.exact_trees, recheck_trees),
							scan_tlist, NIL, NULL);
}

/* ---------------------------------------------------------------------
 * Executor
 * ---------------------------------------------------------------------
 */

static bool
contains_exec_param_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Param) && ((Param *) node)->paramkind == PARAM_EXEC)
		return true;
	return expression_tree_walker(node, contains_exec_param_walker, context);
}

static void
free_parser(void *arg)
{
	ArxivScanState *ss = (ArxivScanState *) arg;

	atom_parser_free(ss->parser);
	ss->parser = NULL;
}

/*
 * The converter from entries to scan tuples.  A table scan produces the
 * table's columns the query uses; an UPPER_LIMIT scan the columns of its
 * fdw_scan_tlist; an UPPER_COUNT scan converts no entries.
 */
static void
setup_converter(ForeignScanState *node, ArxivScanState *ss, List *attrs)
{
	Relation	rel = node->ss.ss_currentRelation;
	TupleDesc	tupdesc;
	ArxivField *fields;
	ListCell   *lc;

	if (ss->kind == UPPER_COUNT)
		return;
	if (rel != NULL)
	{
		bool	   *needed;

		tupdesc = RelationGetDescr(rel);
		fields = arxiv_column_fields(ss->relid, tupdesc);
		needed = palloc0(sizeof(bool) * (tupdesc->natts + 1));
		foreach(lc, attrs)
			needed[intVal(lfirst(lc))] = true;
		for (int i = 0; i < tupdesc->natts; i++)
			if (!needed[i + 1])
				fields[i] = AF_NONE;
	}
	else
	{
		Relation	table = table_open(ss->relid, NoLock);
		ArxivField *table_fields = arxiv_column_fields(ss->relid,
													   RelationGetDescr(table));
		int			i = 0;

		table_close(table, NoLock);
		tupdesc = node->ss.ss_ScanTupleSlot->tts_tupleDescriptor;
		fields = palloc(sizeof(ArxivField) * (tupdesc->natts + 1));
		foreach(lc, attrs)
			fields[i++] = table_fields[intVal(lfirst(lc)) - 1];
	}
	ss->natts = tupdesc->natts;
	ss->conv = arxiv_converter_create(tupdesc, fields);
}

/*
 * The role whose privileges the scan runs with (the owner of a view the
 * table is read through): the response cache and the learned estimates are
 * per role, so that no role sees what another searched for.
 */
static Oid
scan_role(ForeignScanState *node)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	Oid			userid;

#if PG_VERSION_NUM >= 160000
	userid = fsplan->checkAsUser;
#else
	int			rtindex = fsplan->scan.scanrelid > 0 ? fsplan->scan.scanrelid
		: bms_next_member(fsplan->fs_relids, -1);

	userid = exec_rt_fetch(rtindex, node->ss.ps.state)->checkAsUser;
#endif
	return OidIsValid(userid) ? userid : GetUserId();
}

/*
 * Scans whose rows are stored never replay cached responses: REFRESH and
 * CREATE MATERIALIZED VIEW (they run as security-restricted operations),
 * and statements that write (INSERT ... SELECT, as the cache refreshes run,
 * UPDATE, DELETE, MERGE, or a SELECT with a data-modifying WITH).  What
 * they keep must be arXiv as it is now, not as it was up to cache_ttl ago.
 * Their fresh responses are still cached for the queries that follow.
 * Plain SELECTs (CREATE TABLE AS included) may replay.
 */
static bool
scan_fresh_only(EState *estate)
{
	PlannedStmt *stmt = estate->es_plannedstmt;

	return InSecurityRestrictedOperation() ||
		(stmt != NULL &&
		 (stmt->commandType != CMD_SELECT || stmt->hasModifyingCTE));
}

static void
arxivBeginForeignScan(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	List	   *priv = fsplan->fdw_private;
	ArxivScanState *ss;
	int			nvalues;

	/* an upper scan (no relation) is always the API's */
	if (node->ss.ss_currentRelation != NULL &&
		arxiv_table_source(RelationGetRelid(node->ss.ss_currentRelation)) != SOURCE_API)
	{
		oaiBeginForeignScan(node, eflags);
		return;
	}
	ss = palloc0(sizeof(ArxivScanState));
	nvalues = intVal(list_nth(priv, FSP_NVALUES));

	node->fdw_state = ss;
	ss->kind = (ArxivUpperKind) intVal(list_nth(priv, FSP_KIND));
	ss->relid = (Oid) intVal(list_nth(priv, FSP_RELID));
	arxiv_get_options(ss->relid, &ss->opts);
	ss->pushed = list_nth(priv, FSP_PUSHED);
	ss->sort = (ArxivSort) intVal(list_nth(priv, FSP_SORT));
	ss->sort_desc = intVal(list_nth(priv, FSP_SORT_DESC)) != 0;
	ss->fetch_limit = intVal(list_nth(priv, FSP_FETCH_LIMIT));
	ss->id_source = list_nth(priv, FSP_ID_SOURCE);
	ss->exprs = list_copy_head(fsplan->fdw_exprs, nvalues);
	ss->exprstates = ExecInitExprList(ss->exprs, (PlanState *) node);
	ss->values = palloc0(sizeof(Datum) * (nvalues + 1));
	ss->isnull = palloc0(sizeof(bool) * (nvalues + 1));
	ss->exact_trees = list_nth(priv, FSP_EXACT_TREES);
	ss->recheck_trees = list_nth(priv, FSP_RECHECK_TREES);
	for (int i = 0; i < list_length(ss->recheck_trees); i++)
	{
		Expr	   *expr = list_nth(fsplan->fdw_exprs, nvalues + i);

		ss->recheck_exprs = lappend(ss->recheck_exprs, expr);
		ss->recheck_quals = lappend(ss->recheck_quals,
									ExecInitQual(list_make1(expr), (PlanState *) node));
	}
	nvalues += list_length(ss->recheck_trees);
	if (ss->kind == UPPER_LIMIT)
	{
		ss->limit_count_state = ExecInitExpr(list_nth(fsplan->fdw_exprs, nvalues),
											 (PlanState *) node);
		ss->limit_offset_state = ExecInitExpr(list_nth(fsplan->fdw_exprs, nvalues + 1),
											  (PlanState *) node);
		ss->local_qual = ExecInitQual(list_copy_tail(fsplan->fdw_exprs, nvalues + 2),
									  (PlanState *) node);
	}
	setup_converter(node, ss, list_nth(priv, FSP_NEEDED_ATTRS));
	(void) arxiv_url_key(ss->opts.base_url, ss->host, sizeof(ss->host));
	ss->role = scan_role(node);
	ss->fresh_only = scan_fresh_only(estate);
	ss->has_filter = fsplan->scan.plan.qual != NIL;

	ss->scan_cxt = AllocSetContextCreate(estate->es_query_cxt,
										 "arxiv_fdw scan",
										 ALLOCSET_DEFAULT_SIZES);
	ss->page_cxt = AllocSetContextCreate(ss->scan_cxt,
										 "arxiv_fdw page",
										 ALLOCSET_DEFAULT_SIZES);
}

/* The sortBy arXiv is asked for; see README ("Order of rows"). */
static void
choose_sort(ArxivScanState *ss)
{
	ArxivRequest *req = &ss->req;

	ss->sort_by = "submittedDate";
	ss->sort_order = "descending";
	if (req->ids != NIL)
		ss->sort_by = ss->sort_order = NULL;	/* id_list order */
	else if (ss->sort != SORT_NONE)
	{
		ss->sort_by = ss->sort == SORT_PUBLISHED ? "submittedDate" : "lastUpdatedDate";
		ss->sort_order = ss->sort_desc ? "descending" : "ascending";
	}
	else if (req->has_updated_lo || req->has_updated_hi)
	{
		/* newest updates first, so the scan can stop at the bound */
		ss->sort_by = "lastUpdatedDate";
		ss->sort_order = req->has_updated_lo ? "descending" : "ascending";
	}
}

/*
 * The distinct values of the id-source column, read with the statement's
 * snapshot (read-only SPI), as the join itself sees the table.  Values that
 * are not arXiv ids cannot match and are not sent.
 */
static List *
read_id_source(ArxivScanState *ss)
{
	Oid			relid = intVal(linitial(ss->id_source));
	char	   *column = strVal(lsecond(ss->id_source));
	char	   *sql;
	List	   *ids = NIL;
	MemoryContext outer = CurrentMemoryContext;

	sql = psprintf("SELECT DISTINCT %s::text FROM %s WHERE %s IS NOT NULL",
				   quote_identifier(column),
				   quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
											  get_rel_name(relid)),
				   quote_identifier(column));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute(sql, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the ids of %s", sql);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		char	   *id = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);

		/*
		 * The join compares this value with the "id" column, which has no
		 * version: a versioned id would find no row, where the same query
		 * with the literal finds that version.
		 */
		if (id != NULL && !aq_valid_id(id, false) && aq_valid_id(id, true))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("versioned arXiv ids cannot be joined with the \"id\" column"),
					 errdetail("The \"id\" column holds ids without a version, and this plan compares them after the scan, where the versioned id \"%s\" would match no row.", id),
					 errhint("To get that version, join one row at a time: CROSS JOIN LATERAL (SELECT * FROM papers p WHERE p.id = t.id OFFSET 0). To get the latest version, strip the version from the join key: ON p.id = regexp_replace(t.id, 'v[0-9]+$', '').")));
		if (id != NULL && aq_valid_id(id, true))
		{
			/* the list must outlive SPI_finish, as must its strings */
			MemoryContext spicxt = MemoryContextSwitchTo(outer);

			ids = lappend(ids, pstrdup(id));
			MemoryContextSwitchTo(spicxt);
		}
	}
	SPI_finish();
	return ids;
}

static int64
eval_row_count(ExprState *state, ExprContext *econtext, int64 if_null,
			   int sqlstate, const char *clause)
{
	bool		isnull;
	Datum		value = ExecEvalExprSwitchContext(state, econtext, &isnull);
	int64		count;

	if (isnull)
		return if_null;
	count = DatumGetInt64(value);
	if (count < 0)
		ereport(ERROR,
				(errcode(sqlstate),
				 errmsg("%s must not be negative", clause)));
	return count;
}

/*
 * LIMIT and OFFSET of an UPPER_LIMIT scan.  Its plan exists only where
 * arXiv's start may skip the OFFSET rows (add_limit_path), so OFFSET goes to
 * start when it falls inside arXiv's paging window of a search; otherwise
 * (an id list, or past the window) the scan skips the rows itself.
 */
static void
compute_limit(ArxivScanState *ss, ExprContext *econtext)
{
	ss->limit_count = eval_row_count(ss->limit_count_state, econtext, -1,
									 ERRCODE_INVALID_ROW_COUNT_IN_LIMIT_CLAUSE,
									 "LIMIT");
	ss->limit_offset = eval_row_count(ss->limit_offset_state, econtext, 0,
									  ERRCODE_INVALID_ROW_COUNT_IN_RESULT_OFFSET_CLAUSE,
									  "OFFSET");
	ss->emitted = 0;
	if (ss->req.ids == NIL && ss->active_rechecks == NIL &&
		ss->limit_offset < ARXIV_RESULT_WINDOW)
	{
		ss->next_start = ss->limit_offset;
		ss->offset_here = false;
		ss->to_skip = 0;
		ss->fetch_limit = ss->limit_count;
	}
	else
	{
		ss->next_start = 0;
		ss->offset_here = true;
		ss->to_skip = ss->limit_offset;
		ss->fetch_limit = ss->limit_count < 0 ? -1
			: Min(ss->limit_count + ss->limit_offset, PG_INT32_MAX);
	}
}

/*
 * The safety net of exactness: a pushed condition planned exact that these
 * values make inexact (the judgement at plan time is meant to hold for
 * every value, so this should not happen) is checked here after all.  A
 * filter-column condition whose exactness the plan left to execution
 * (ArxivPushdown.deferred) has no recheck: it is refused here if these
 * values make it inexact, as a plan with these values as constants would be.
 */
static void
activate_rechecks(ArxivScanState *ss, bool *exact)
{
	ListCell   *lc;

	bool		unrestricted = ss->req.search_query == NULL && ss->req.ids == NIL;

	ss->active_rechecks = ss->active_recheck_exprs = NIL;
	/* nothing is fetched: nothing to check */
	if (ss->req.impossible)
		return;
	foreach(lc, ss->exact_trees)
	{
		int			tree = intVal(lfirst(lc));
		int			i = 0;
		ListCell   *lc2;

		if (exact[tree])
			continue;
		foreach(lc2, ss->recheck_trees)
		{
			if (intVal(lfirst(lc2)) == tree)
				break;
			i++;
		}
		/* a filter column PostgreSQL cannot check: judged now, refused */
		if (lc2 == NULL)
			arxiv_report_inexact_filter();
		/* a request that restricts nothing is refused by compute_request */
		if (unrestricted)
			continue;
		if (ss->kind == UPPER_COUNT)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("arXiv cannot count the rows of this query exactly for these values"),
					 errhint("Count the rows of a subquery: SELECT count(*) FROM (SELECT * FROM ... OFFSET 0) s.")));
		ss->active_rechecks = lappend(ss->active_rechecks,
									  list_nth(ss->recheck_quals, i));
		ss->active_recheck_exprs = lappend(ss->active_recheck_exprs,
										   list_nth(ss->recheck_exprs, i));
	}
}

/* Whether the scan tuple passes the conditions activate_rechecks found. */
static bool
passes_rechecks(ForeignScanState *node, ArxivScanState *ss,
				TupleTableSlot *slot)
{
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	ListCell   *lc;

	if (ss->active_rechecks == NIL)
		return true;
	ResetExprContext(econtext);
	econtext->ecxt_scantuple = slot;
	foreach(lc, ss->active_rechecks)
		if (!ExecQual(lfirst(lc), econtext))
		return false;
	return true;
}

/* Evaluate the value expressions and build the request, in scan_cxt. */
static void
compute_request(ForeignScanState *node, ArxivScanState *ss)
{
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	MemoryContext oldcxt;
	ListCell   *lc;
	int			i = 0;
	bool	   *exact;

	MemoryContextReset(ss->scan_cxt);
	ss->http = NULL;
	ss->parser = NULL;
	ss->prev_ids = ss->cur_ids = NULL;
	ss->ids_cxt[0] = ss->ids_cxt[1] = NULL;
	ss->total_learned = false;
	ss->cache_decided = false;	/* their files went with scan_cxt */
	ss->cache_reader = NULL;
	ss->cache_writer = NULL;
	ss->replayed = false;
	ss->page_cxt = AllocSetContextCreate(ss->scan_cxt, "arxiv_fdw page",
										 ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(ss->scan_cxt);
	foreach(lc, ss->exprstates)
	{
		ss->values[i] = ExecEvalExpr(lfirst(lc), econtext, &ss->isnull[i]);
		i++;
	}
	exact = palloc0(sizeof(bool) * (list_length(ss->pushed) + 1));
	arxiv_build_request(ss->pushed, ss->values, ss->isnull, NULL,
						ss->opts.query, &ss->req, exact);
	if (ss->id_source != NIL && !ss->req.has_ids)
	{
		ss->req.ids = read_id_source(ss);
		ss->req.has_ids = true;
		ss->req.impossible |= ss->req.ids == NIL;
	}
	activate_rechecks(ss, exact);
	if (ss->conv)
		arxiv_converter_set_request(ss->conv, &ss->req);
	choose_sort(ss);
	MemoryContextSwitchTo(oldcxt);
	ss->req_valid = true;
	if (ss->kind == UPPER_LIMIT)
		compute_limit(ss, econtext);

	if (!ss->req.impossible && ss->req.search_query == NULL &&
		ss->req.ids == NIL)
		report_fetch_all(ss->relid, true);
}

static void
entry_error_context(void *arg)
{
	ArxivScanState *ss = (ArxivScanState *) arg;

	errcontext("arXiv entry \"%s\"", ss->entry_id ? ss->entry_id : "?");
}

/* Whether an entry is past the "updated" bound of a lastUpdatedDate scan. */
static bool
past_updated_bound(ArxivScanState *ss, const AtomEntry *entry)
{
	TimestampTz updated;

	if (ss->sort_by == NULL || strcmp(ss->sort_by, "lastUpdatedDate") != 0 ||
		entry->updated == NULL)
		return false;
	updated = arxiv_parse_timestamp(entry->updated);
	if (strcmp(ss->sort_order, "descending") == 0)
		return ss->req.has_updated_lo && updated < ss->req.updated_lo;
	return ss->req.has_updated_hi && updated > ss->req.updated_hi;
}

/*
 * Track the rows near the end of a submittedDate window (the last two
 * minutes), so that after continuing from a new date bound the rows seen
 * again are dropped.  Returns false if the row was returned before.
 */
static bool
note_window_row(ArxivScanState *ss, const AtomEntry *entry)
{
	char		idbuf[128];
	int			version;
	int64		minute;
	TailEntry  *te;
	ListCell   *lc;
	MemoryContext oldcxt;

	if (ss->sort_by == NULL || strcmp(ss->sort_by, "submittedDate") != 0 ||
		entry->published == NULL || entry->id_url == NULL ||
		!atom_split_id(entry->id_url, idbuf, sizeof(idbuf), &version))
		return true;
	ss->last_published = arxiv_parse_timestamp(entry->published);
	minute = arxiv_floor_minute(ss->last_published);
	foreach(lc, ss->skip)
	{
		te = lfirst(lc);
		if (strcmp(te->id, idbuf) == 0)
			return false;
	}
	/* drop tail entries more than a minute from this row */
	foreach(lc, ss->tail)
	{
		te = lfirst(lc);
		if (te->minute > minute + 1 || te->minute < minute - 1)
		{
			ss->tail = foreach_delete_current(ss->tail, lc);
			pfree(te->id);
			pfree(te);
		}
	}
	oldcxt = MemoryContextSwitchTo(ss->scan_cxt);
	te = palloc(sizeof(TailEntry));
	te->id = pstrdup(idbuf);
	te->minute = minute;
	ss->tail = lappend(ss->tail, te);
	MemoryContextSwitchTo(oldcxt);
	return true;
}

/*
 * Results can shift between two requests when arXiv announces new papers
 * during a scan: with newest-first order, the previous page's last rows come
 * again at the start of the next page.  Rows whose id the previous page
 * returned are dropped, so memory stays bounded by one page.
 */
typedef struct IdKey
{
	char		id[64];
} IdKey;

static HTAB *
make_id_set(ArxivScanState *ss)
{
	HASHCTL		ctl;
	MemoryContext cxt;

	if (ss->ids_cxt[0] == NULL)
	{
		ss->ids_cxt[0] = AllocSetContextCreate(ss->scan_cxt, "arxiv_fdw ids",
											   ALLOCSET_DEFAULT_SIZES);
		ss->ids_cxt[1] = AllocSetContextCreate(ss->scan_cxt, "arxiv_fdw ids",
											   ALLOCSET_DEFAULT_SIZES);
	}
	/* the slot prev_ids does not use; a retried page starts it afresh */
	cxt = ss->ids_cxt[1 - ss->prev_ids_slot];
	MemoryContextReset(cxt);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(IdKey);
	ctl.entrysize = sizeof(IdKey);
	ctl.hcxt = cxt;
	return hash_create("arxiv_fdw page ids", ss->opts.page_size, &ctl,
					   HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
}

/* false if the previous page returned this entry already */
static bool
note_page_id(ArxivScanState *ss, const AtomEntry *entry)
{
	IdKey		key;
	int			version;

	if (ss->sort_by == NULL || entry->id_url == NULL ||
		!atom_split_id(entry->id_url, key.id, sizeof(key.id), &version))
		return true;
	if (ss->prev_ids && hash_search(ss->prev_ids, &key, HASH_FIND, NULL))
		return false;
	if (ss->cur_ids == NULL)
		ss->cur_ids = make_id_set(ss);
	(void) hash_search(ss->cur_ids, &key, HASH_ENTER, NULL);
	return true;
}

/*
 * Parser callback: convert one entry to a row of the page.  Runs inside
 * libxml2 inside libcurl, so it must not longjmp: an ERROR is caught, kept,
 * and rethrown once control is back in our code.
 */
static int
on_entry(void *arg, const AtomEntry *entry)
{
	ArxivScanState *ss = (ArxivScanState *) arg;
	MemoryContext oldcxt = MemoryContextSwitchTo(ss->page_cxt);
	ErrorContextCallback errcallback;
	volatile bool failed = false;

	errcallback.callback = entry_error_context;
	errcallback.arg = ss;
	errcallback.previous = error_context_stack;
	PG_TRY();
	{
		error_context_stack = &errcallback;
		ss->entry_id = entry->id_url;
		if (ss->stop_seen || past_updated_bound(ss, entry))
			ss->stop_seen = true;
		else if (ss->conv == NULL)
			;					/* an estimate probe: rows are not wanted */
		else if (note_page_id(ss, entry) && note_window_row(ss, entry))
		{
			ArxivRow   *row;

			if (ss->nrows == ss->maxrows)
			{
				ss->maxrows = Max(ss->maxrows * 2, 64);
				ss->rows = ss->rows ? repalloc(ss->rows, sizeof(ArxivRow) * ss->maxrows)
					: palloc(sizeof(ArxivRow) * ss->maxrows);
			}
			row = &ss->rows[ss->nrows];
			row->values = palloc(sizeof(Datum) * ss->natts);
			row->nulls = palloc(sizeof(bool) * ss->natts);
			arxiv_entry_to_values(ss->conv, entry, row->values, row->nulls);
			ss->nrows++;
		}
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(ss->scan_cxt);
		ss->entry_error = CopyErrorData();
		FlushErrorState();
		failed = true;
	}
	PG_END_TRY();
	error_context_stack = errcallback.previous;
	MemoryContextSwitchTo(oldcxt);
	return failed ? 1 : 0;
}

static size_t
parse_sink(void *arg, const char *data, size_t len)
{
	ArxivScanState *ss = (ArxivScanState *) arg;

	arxiv_cache_write(ss->cache_writer, data, len);
	if (ss->parse_status != ATOM_OK)
		return 0;
	ss->parse_status = atom_parser_feed(ss->parser, data, len);
	if (ss->parse_status != ATOM_OK)
	{
		ss->sink_failed = true;
		return 0;
	}
	return len;
}

/* what one attempt at a page came to */
typedef enum FetchOutcome
{
	FETCH_OK,
	FETCH_RETRY,
	FETCH_FAIL
} FetchOutcome;

/* which counter a failed attempt goes to */
typedef enum FetchErrorKind
{
	FE_NONE,
	FE_HTTP,
	FE_TRANSPORT,
	FE_PARSE,
	FE_ARXIV,
	FE_EMPTY,
	FE_OTHER
} FetchErrorKind;

typedef struct FetchResult
{
	FetchOutcome outcome;
	FetchErrorKind kind;
	int			sqlstate;
	char	   *message;
	double		retry_after;
} FetchResult;

static FetchOutcome fetch_result(FetchResult *fr, FetchOutcome outcome,
								 FetchErrorKind kind, int sqlstate,
								 const char *fmt,...) pg_attribute_printf(5, 6);

static FetchOutcome
fetch_result(FetchResult *fr, FetchOutcome outcome, FetchErrorKind kind,
			 int sqlstate, const char *fmt,...)
{
	va_list		args;
	char		buf[1024];

	va_start(args, fmt);
	vsnprintf(buf, sizeof(buf), fmt, args);
	va_end(args);
	fr->outcome = outcome;
	fr->kind = kind;
	fr->sqlstate = sqlstate;
	fr->message = pstrdup(buf);
	return outcome;
}

/*
 * What a body that is not an Atom feed is, for messages.  Never its text:
 * base_url may point at a service whose replies the user must not read, and
 * libxml2's messages quote names from the document.
 */
static const char *
not_atom_reason(AtomStatus status)
{
	switch (status)
	{
		case ATOM_ERR_XML:
			return "not well-formed XML";
		case ATOM_ERR_NOT_ATOM:
			return "XML that is not an Atom feed";
		case ATOM_ERR_FORBIDDEN:
			return "XML with a DOCTYPE";
		case ATOM_ERR_LIMIT:
			return "a feed beyond the parser's size limits";
		case ATOM_ERR_OOM:
			return "too large for the memory available";
		default:
			return "not an Atom feed";
	}
}

/* Judge a completed transfer and its parse; see arxiv-api.md's failures. */
static FetchOutcome
judge_response(ArxivScanState *ss, ArxivHttpResult *hr, FetchResult *fr)
{
	const AtomFeedInfo *info = atom_parser_info(ss->parser);
	AtomStatus	status = ss->parse_status;

	if (ss->entry_error)
		ReThrowError(ss->entry_error);
	if (hr->too_large)
		return fetch_result(fr, FETCH_FAIL, FE_OTHER, ERRCODE_FDW_ERROR,
							"response larger than max_response_bytes (" INT64_FORMAT ")",
							ss->opts.max_response_bytes);
	if (!hr->transport_error && status == ATOM_OK)
		status = atom_parser_finish(ss->parser);
	if (status == ATOM_OK && info->is_error)
		return fetch_result(fr, FETCH_FAIL, FE_ARXIV, ERRCODE_FDW_ERROR,
							"arXiv API error (HTTP %ld): %s", hr->status,
							info->error_message ? info->error_message : "(no message)");
	if (hr->transport_error && !ss->sink_failed)
		return fetch_result(fr, FETCH_RETRY, FE_TRANSPORT,
							ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION,
							"%s", hr->error);
	if (hr->status == 429 || hr->status >= 500 || hr->status == 403)
	{
		fr->retry_after = hr->retry_after;
		return fetch_result(fr, FETCH_RETRY, FE_HTTP, ERRCODE_FDW_ERROR,
							"HTTP status %ld", hr->status);
	}
	if (hr->status != 200)
		return fetch_result(fr, FETCH_FAIL, FE_HTTP, ERRCODE_FDW_ERROR,
							"HTTP status %ld", hr->status);
	if (status != ATOM_OK && hr->bytes == 0)
		return fetch_result(fr, FETCH_RETRY, FE_PARSE, ERRCODE_INVALID_XML_DOCUMENT,
							"the response body is empty");
	if (status != ATOM_OK)
		return fetch_result(fr, FETCH_RETRY, FE_PARSE, ERRCODE_INVALID_XML_DOCUMENT,
							"the response is not a valid Atom feed: %s (HTTP status %ld, Content-Type \"%s\", " INT64_FORMAT " bytes)",
							not_atom_reason(status), hr->status,
							hr->content_type[0] ? hr->content_type : "none",
							hr->bytes);
	if (info->total_results < 0)
		return fetch_result(fr, FETCH_RETRY, FE_PARSE, ERRCODE_INVALID_XML_DOCUMENT,
							"the response has no opensearch:totalResults");
	if (info->nentries == 0 && info->total_results > ss->next_start)
		return fetch_result(fr, FETCH_RETRY, FE_EMPTY, ERRCODE_FDW_ERROR,
							"empty page at start %ld of %ld results",
							ss->next_start, info->total_results);
	fr->outcome = FETCH_OK;
	return FETCH_OK;
}

/* Reset the page and start a parser whose cleanup is tied to page_cxt. */
static void
start_page(ArxivScanState *ss)
{
	MemoryContextReset(ss->page_cxt);
	ss->rows = NULL;
	ss->nrows = ss->maxrows = ss->next_row = 0;
	ss->entry_error = NULL;
	ss->sink_failed = false;
	ss->stop_seen = false;
	ss->cur_ids = NULL;			/* its context is reset when re-created */
	ss->body = ss->body_last = NULL;
	ss->body_oom = false;
	ss->parse_status = ATOM_OK;
	ss->parser = atom_parser_create(on_entry, ss);
	if (ss->parser == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory creating the Atom parser")));
	ss->parser_cleanup.func = free_parser;
	ss->parser_cleanup.arg = ss;
	MemoryContextRegisterResetCallback(ss->page_cxt, &ss->parser_cleanup);
}

/* Count an attempt in this session's and the cluster's statistics. */
static void
count_attempt(ArxivScanState *ss, FetchResult *fr, bool network,
			  int64 bytes, double waited, bool retry)
{
	ArxivCounters delta = {0};

	delta.requests = network ? 1 : 0;
	delta.cache_hits = network ? 0 : 1;
	delta.bytes = bytes;
	delta.rate_limit_wait = waited;
	delta.retries = retry ? 1 : 0;
	if (fr->outcome == FETCH_OK)
		delta.entries = atom_parser_info(ss->parser)->nentries;
	delta.errors_http = fr->kind == FE_HTTP;
	delta.errors_transport = fr->kind == FE_TRANSPORT;
	delta.errors_parse = fr->kind == FE_PARSE;
	delta.errors_arxiv = fr->kind == FE_ARXIV;
	delta.errors_empty = fr->kind == FE_EMPTY;
	arxiv_stats_add(&delta);
}

/*
 * What decides the pages a scan asks for, given the pages it receives: the
 * key of its listing in the response cache (with the role).  A scan that
 * replays a listing written under the same key asks for exactly the pages
 * the writer asked for, in the same order, and stops where the writer
 * stopped (see finish_listing).
 */
static char *
listing_key(ArxivScanState *ss, const char *url, const char *postfields)
{
	StringInfoData key;
	ListCell   *lc;

	initStringInfo(&key);
	appendStringInfo(&key, "%s\n%s\n", url, postfields ? postfields : "");
	appendStringInfo(&key, "kind %d page_size %d fetch_limit %ld probe %d filter %d\n",
					 (int) ss->kind, ss->opts.page_size, ss->fetch_limit,
					 ss->conv == NULL, ss->has_filter);
	if (ss->kind == UPPER_LIMIT)
		appendStringInfo(&key, "limit " INT64_FORMAT " offset " INT64_FORMAT " local %d\n",
						 ss->limit_count, ss->limit_offset, ss->local_qual != NULL);
	if (ss->req.has_updated_lo)
		appendStringInfo(&key, "updated >= " INT64_FORMAT "\n",
						 (int64) ss->req.updated_lo);
	if (ss->req.has_updated_hi)
		appendStringInfo(&key, "updated <= " INT64_FORMAT "\n",
						 (int64) ss->req.updated_hi);
	foreach(lc, ss->req.ids)
		appendStringInfo(&key, "%s,", (char *) lfirst(lc));
	return key.data;
}

/*
 * At the scan's first page: replay a cached listing of it, if a fresh one
 * exists and the scan may; otherwise fetch every page and cache them as a
 * new listing.  Both live in scan_cxt, reset when the scan restarts.
 */
static void
decide_cache(ArxivScanState *ss, const char *url, const char *postfields)
{
	MemoryContext oldcxt;
	char	   *key;

	ss->cache_decided = true;
	if (ss->opts.cache_ttl <= 0)
		return;
	oldcxt = MemoryContextSwitchTo(ss->scan_cxt);
	key = listing_key(ss, url, postfields);
	if (arxiv_response_cache && !ss->fresh_only)
		ss->cache_reader = arxiv_cache_open(ss->scan_cxt, ss->role, key,
											ss->opts.cache_ttl);
	if (ss->cache_reader == NULL)
		ss->cache_writer = arxiv_cache_begin(ss->scan_cxt, ss->role, key,
											 ss->opts.cache_ttl);
	pfree(key);
	MemoryContextSwitchTo(oldcxt);
}

/*
 * The scan will ask for no more pages: keep the listing it fetched.  Only
 * then, so that a replay never runs out of pages and has to continue with
 * fresh ones (a listing captured at another time).
 */
static void
finish_listing(ArxivScanState *ss)
{
	arxiv_cache_commit(ss->cache_writer);
	ss->cache_writer = NULL;
}

/*
 * Answer the page from the listing being replayed.  At the first page, a
 * listing that does not answer it is dropped and the scan fetches every
 * page itself; later, it cannot be (the earlier pages came from the
 * listing), so the scan fails instead, and the listing is removed.
 */
static bool
fetch_from_cache(ArxivScanState *ss, const char *url, const char *postfields,
				 FetchResult *fr)
{
	ArxivHttpResult hr;
	List	   *tail_before = list_copy(ss->tail);
	ArxivReplayStatus status;
	bool		first = !ss->replayed;

	memset(&hr, 0, sizeof(hr));
	hr.retry_after = -1;
	start_page(ss);
	status = arxiv_cache_replay(ss->cache_reader, url, postfields,
								ss->opts.max_response_bytes, parse_sink, ss,
								&hr.bytes);
	hr.status = 200;
	hr.too_large = status == REPLAY_TOO_LARGE;
	if (status == REPLAY_OK && judge_response(ss, &hr, fr) == FETCH_OK)
	{
		ss->cache_hits++;
		ss->replayed = true;
		count_attempt(ss, fr, false, 0, 0, false);
		return true;
	}
	ss->tail = tail_before;
	if (!first)
	{
		if (status != REPLAY_TOO_LARGE)
			arxiv_cache_discard(ss->cache_reader);
		ereport(ERROR,
				(errcode(status == REPLAY_TOO_LARGE ? ERRCODE_FDW_ERROR
						 : ERRCODE_DATA_CORRUPTED),
				 status == REPLAY_TOO_LARGE
				 ? errmsg("cached response larger than max_response_bytes (" INT64_FORMAT ")",
						  ss->opts.max_response_bytes)
				 : errmsg("cached arXiv listing does not answer request %s", url),
				 errdetail("The earlier pages of this scan came from the response cache; a fresh page would not continue the same listing."),
				 errhint("Run the query again: the cached listing was removed, or set \"arxiv_fdw.response_cache\" to off.")));
	}
	/* nothing came from it yet: fetch every page fresh, and cache them */
	ss->cache_reader = NULL;
	ss->cache_writer = arxiv_cache_begin(ss->scan_cxt, ss->role,
										 listing_key(ss, url, postfields),
										 ss->opts.cache_ttl);
	memset(fr, 0, sizeof(*fr));
	fr->retry_after = -1;
	return false;
}

/*
 * Remember the totalResults of a search for later plans (learned
 * estimates, kept like responses for cache_ttl), once per scan: every page
 * of it says the same.  Not for id lists, whose size the planner knows,
 * nor for window continuations, which are not the search the planner sees.
 */
static void
learn_total(ArxivScanState *ss)
{
	if (ss->total_learned || ss->opts.cache_ttl <= 0 ||
		ss->req.search_query == NULL || ss->req.ids != NIL ||
		ss->window_query != NULL)
		return;
	arxiv_learned_store(ss->role, ss->opts.base_url, ss->req.search_query,
						atom_parser_info(ss->parser)->total_results);
	ss->total_learned = true;
}

/* one piece of a response body, as libcurl delivered it */
typedef struct BodyChunk
{
	struct BodyChunk *next;
	size_t		len;
	char		data[FLEXIBLE_ARRAY_MEMBER];
} BodyChunk;

/*
 * The sink of a network transfer: keep the body for parsing once the host
 * is released.  Runs inside libcurl, so it must not throw: a chunk that
 * cannot be allocated stops the transfer and is reported afterwards.
 */
static size_t
buffer_sink(void *arg, const char *data, size_t len)
{
	ArxivScanState *ss = (ArxivScanState *) arg;
	BodyChunk  *chunk;

	chunk = MemoryContextAllocExtended(ss->body_cxt,
									   offsetof(BodyChunk, data) + len,
									   MCXT_ALLOC_NO_OOM | MCXT_ALLOC_HUGE);
	if (chunk == NULL)
	{
		ss->body_oom = true;
		return 0;
	}
	chunk->next = NULL;
	chunk->len = len;
	memcpy(chunk->data, data, len);
	if (ss->body_last)
		ss->body_last->next = chunk;
	else
		ss->body = chunk;
	ss->body_last = chunk;
	return len;
}

/* Parse (and cache) the kept body, then free it. */
static void
parse_body(ArxivScanState *ss)
{
	for (BodyChunk *c = ss->body; c != NULL; c = c->next)
	{
		CHECK_FOR_INTERRUPTS();
		if (parse_sink(ss, c->data, c->len) != c->len)
			break;
	}
	ss->body = ss->body_last = NULL;
	MemoryContextReset(ss->body_cxt);
}

/*
 * One attempt at a page: wait for our turn, transfer, release the host,
 * then parse, convert and judge.  Nothing user-defined (domain checks,
 * input functions of the columns' types) runs while the host is held.
 */
static FetchOutcome
fetch_attempt(ArxivScanState *ss, const char *url, const char *postfields,
			  FetchResult *fr, int attempt)
{
	ArxivHttpResult hr;
	List	   *tail_before = list_copy(ss->tail);
	double		waited = 0;

	if (!ss->cache_decided)
		decide_cache(ss, url, postfields);
	if (ss->cache_reader != NULL && fetch_from_cache(ss, url, postfields, fr))
		return FETCH_OK;

	start_page(ss);
	if (ss->http == NULL)
		ss->http = arxiv_http_create(ss->scan_cxt, &ss->opts);
	if (ss->body_cxt == NULL)
		ss->body_cxt = AllocSetContextCreate(ss->scan_cxt, "arxiv_fdw body",
											 ALLOCSET_DEFAULT_SIZES);
	arxiv_cache_page_begin(ss->cache_writer, url, postfields);

	PG_TRY();
	{
		waited = arxiv_ratelimit_acquire(ss->host, ss->opts.request_interval);
		arxiv_http_perform(ss->http, url, postfields, buffer_sink, ss, &hr);
	}
	PG_FINALLY();
	{
		arxiv_ratelimit_release();
	}
	PG_END_TRY();

	if (ss->body_oom)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory receiving an arXiv response of " INT64_FORMAT " bytes",
						hr.bytes)));
	if (!hr.transport_error && !hr.too_large)
		parse_body(ss);
	else
	{
		ss->body = ss->body_last = NULL;
		MemoryContextReset(ss->body_cxt);
	}

	ss->requests++;
	ss->waited += waited;
	ss->bytes += hr.bytes;
	if (judge_response(ss, &hr, fr) == FETCH_OK)
	{
		arxiv_cache_page_end(ss->cache_writer, true);
		learn_total(ss);
	}
	else
	{
		arxiv_cache_page_end(ss->cache_writer, false);
		ss->tail = tail_before;	/* the retry will see these rows again */
	}
	count_attempt(ss, fr, true, hr.bytes, waited, attempt > 0);
	return fr->outcome;
}

/*
 * use_remote_estimate: ask arXiv for the number of results with one
 * max_results=1 request (answered from the response cache when fresh).
 * Only when every pushed value is a constant; -1 when unknown.
 */
/*
 * The request of the pushed conditions at plan time, when every value is a
 * constant.
 */
static bool
plan_time_request(ArxivPlanState *ps, ArxivRequest *req)
{
	int			n = list_length(ps->pd.exprs);
	Datum	   *values = palloc0(sizeof(Datum) * (n + 1));
	bool	   *isnull = palloc0(sizeof(bool) * (n + 1));
	ListCell   *lc;
	int			i = 0;

	foreach(lc, ps->pd.exprs)
	{
		Const	   *c = (Const *) lfirst(lc);

		if (!IsA(c, Const))
			return false;
		values[i] = c->constvalue;
		isnull[i++] = c->constisnull;
	}
	arxiv_build_request(ps->pd.pushed, values, isnull, NULL, ps->opts.query,
						req, NULL);
	return true;
}

/*
 * The totalResults an earlier scan of the same search received, within
 * cache_ttl (learned estimates are kept like responses); -1 if unknown.
 */
static double
learned_estimate(ArxivPlanState *ps)
{
	ArxivRequest req;
	int64		total;

	if (ps->opts.cache_ttl <= 0 || !plan_time_request(ps, &req))
		return -1;
	if (req.impossible)
		return 0;
	if (req.ids != NIL || req.search_query == NULL ||
		!arxiv_learned_lookup(ps->role, ps->opts.base_url, req.search_query,
							  ps->opts.cache_ttl, &total))
		return -1;
	return total;
}

static double
remote_estimate(ArxivPlanState *ps)
{
	ArxivScanState *ss = palloc0(sizeof(ArxivScanState));
	char	   *postfields;
	char	   *url;
	FetchResult fr;
	double		result;

	if (!plan_time_request(ps, &ss->req))
		return -1;
	if (ss->req.impossible)
		return 0;
	if (ss->req.ids != NIL)
		return list_length(ss->req.ids);

	ss->opts = ps->opts;
	ss->role = ps->role;
	ss->scan_cxt = AllocSetContextCreate(CurrentMemoryContext, "arxiv_fdw estimate",
										 ALLOCSET_DEFAULT_SIZES);
	ss->page_cxt = AllocSetContextCreate(ss->scan_cxt, "arxiv_fdw page",
										 ALLOCSET_DEFAULT_SIZES);
	ss->fetch_limit = -1;
	(void) arxiv_url_key(ss->opts.base_url, ss->host, sizeof(ss->host));
	url = arxiv_request_url(ss->opts.base_url, ss->req.search_query, NIL,
							NULL, NULL, 0, 1, &postfields);
	memset(&fr, 0, sizeof(fr));
	if (fetch_attempt(ss, url, postfields, &fr, 0) == FETCH_OK)
	{
		result = atom_parser_info(ss->parser)->total_results;
		finish_listing(ss);		/* a probe is one page */
	}
	else
		result = -1;
	MemoryContextDelete(ss->scan_cxt);
	return result;
}

/*
 * Retry backoff: the request interval doubled per attempt, with up to a
 * quarter more at random so that sessions failing together do not retry in
 * step; at least what Retry-After asked for, at most two minutes.
 */
static void
report_fetch_failure(FetchResult *fr, const char *url, int attempts)
{
	ereport(ERROR,
			(errcode(fr->sqlstate),
			 errmsg("could not fetch results from arXiv: %s", fr->message),
			 errdetail_plural("Request %s failed after %d attempt.",
							  "Request %s failed after %d attempts.",
							  attempts, arxiv_url_redact(url), attempts),
			 fr->outcome == FETCH_RETRY
			 ? errhint("arXiv may be busy; try again later, or raise the server option \"max_retries\".")
			 : 0));
}

/*
 * Continue a submittedDate-sorted scan past arXiv's paging window: restart
 * from start=0 with a date bound at the last row's minute (with a minute of
 * slack, as for every pushed date) and drop the rows seen again.
 */
static void
continue_window(ArxivScanState *ss)
{
	bool		desc = strcmp(ss->sort_order, "descending") == 0;
	int64		minute = arxiv_floor_minute(ss->last_published);
	int64		bound = desc ? minute + 1 : minute - 1;
	char		b[13];
	MemoryContext oldcxt;

	if (ss->sort_by == NULL || strcmp(ss->sort_by, "submittedDate") != 0 ||
		ss->req.search_query == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("arXiv query has %ld results, more than the %d arXiv can page through",
						ss->total, ARXIV_RESULT_WINDOW),
				 errdetail("Results sorted by %s cannot be continued past the window.",
						   ss->sort_by ? ss->sort_by : "id list"),
				 errhint("Narrow the query, for example with a range on \"published\".")));
	if (ss->has_window_bound && bound == ss->window_bound)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("more than %d arXiv results were submitted in the same minute",
						ARXIV_RESULT_WINDOW),
				 errhint("Narrow the query.")));
	arxiv_format_minute(bound, b);
	oldcxt = MemoryContextSwitchTo(ss->scan_cxt);
	ss->window_query = psprintf(desc ? "(%s) AND submittedDate:[198001010000 TO %s]"
								: "(%s) AND submittedDate:[%s TO 999912312359]",
								ss->req.search_query, b);
	MemoryContextSwitchTo(oldcxt);
	ss->has_window_bound = true;
	ss->window_bound = bound;
	ss->skip = ss->tail;
	ss->tail = NIL;
	ss->next_start = 0;
	ss->total = 0;
}

/* The URL of the next page, and how many entries it asks for. */
static char *
next_page_url(ArxivScanState *ss, char **postfields, int *max_results)
{
	List	   *batch = NIL;
	int			want = ss->opts.page_size;
	MemoryContext oldcxt = MemoryContextSwitchTo(ss->scan_cxt);
	char	   *url;

	if (ss->fetch_limit >= 0 && ss->returned < ss->fetch_limit)
		want = Min(want, ss->fetch_limit - ss->returned);
	if (ss->req.ids != NIL)
	{
		/* ids go in batches of page_size, each paged on its own */
		int			n = Min(list_length(ss->req.ids) - ss->id_batch,
							ss->opts.page_size);

		batch = list_copy_head(list_copy_tail(ss->req.ids, ss->id_batch), n);
		want = Min(want, n - ss->next_start);
	}
	else
		want = Min(want, ARXIV_RESULT_WINDOW - ss->next_start);
	*max_results = Max(want, 1);
	url = arxiv_request_url(ss->opts.base_url,
							ss->window_query ? ss->window_query : ss->req.search_query,
							batch, ss->sort_by, ss->sort_order, ss->next_start,
							*max_results, postfields);
	MemoryContextSwitchTo(oldcxt);
	return url;
}

/* After a page: advance, and decide what comes next. */
static void
advance_cursor(ArxivScanState *ss, const AtomFeedInfo *info)
{
	/* advance by what was received, not by what was asked */
	ss->next_start += info->nentries;
	ss->total = info->total_results;
	ss->returned += ss->nrows;

	if (ss->stop_seen)
		ss->eof = true;
	else if (ss->next_start >= ss->total || info->nentries == 0)
	{
		/* this batch or window is done */
		if (ss->req.ids != NIL &&
			ss->id_batch + ss->opts.page_size < list_length(ss->req.ids))
		{
			ss->id_batch += ss->opts.page_size;
			ss->next_start = 0;
		}
		else
			ss->eof = true;
	}
	else if (ss->req.ids == NIL && ss->next_start >= ARXIV_RESULT_WINDOW)
		continue_window(ss);
}

/* Fetch the next page into ss->rows, retrying what may pass. */
static void
fetch_next_page(ArxivScanState *ss)
{
	int			max_results;
	char	   *postfields;
	char	   *url;
	FetchResult fr;
	const AtomFeedInfo *info;

	CHECK_FOR_INTERRUPTS();
	if (ss->req.impossible)
	{
		ss->eof = true;
		return;
	}
	url = next_page_url(ss, &postfields, &max_results);
	for (int attempt = 0;; attempt++)
	{
		memset(&fr, 0, sizeof(fr));
		fr.retry_after = -1;
		if (fetch_attempt(ss, url, postfields, &fr, attempt) == FETCH_OK)
			break;
		if (fr.outcome == FETCH_FAIL || attempt >= ss->opts.max_retries)
			report_fetch_failure(&fr, url, attempt + 1);
		ss->retries++;
		arxiv_interruptible_sleep(arxiv_backoff_seconds(ss->opts.request_interval, attempt, fr.retry_after));
	}

	info = atom_parser_info(ss->parser);
	if (info->title)
		ss->feed_title = MemoryContextStrdup(ss->scan_cxt, info->title);
	ss->entries += info->nentries;
	if (ss->cur_ids)
	{
		ss->prev_ids = ss->cur_ids;
		ss->prev_ids_slot = 1 - ss->prev_ids_slot;
	}
	ss->cur_ids = NULL;
	advance_cursor(ss, info);
	if (ss->eof)
		finish_listing(ss);
	if (arxiv_progress)
		ereport(NOTICE,
				(errmsg("arXiv page %ld of %ld: %ld entries so far, %.1f s waited for the rate limit",
						ss->requests + ss->cache_hits,
						ss->requests + ss->cache_hits +
						(ss->eof || ss->kind == UPPER_COUNT ? 0 :
						 (long) ceil((double) Max(ss->total - ss->next_start, 0) / ss->opts.page_size)),
						ss->entries, ss->waited)));
	free_parser(ss);
}

/* The next entry of the result as a scan tuple; empty at the end. */
static TupleTableSlot *
next_entry_row(ArxivScanState *ss, TupleTableSlot *slot)
{
	ArxivRow   *row;

	while (ss->next_row >= ss->nrows)
	{
		if (ss->eof)
			return ExecClearTuple(slot);
		fetch_next_page(ss);
	}
	row = &ss->rows[ss->next_row++];
	ExecClearTuple(slot);
	memcpy(slot->tts_values, row->values, sizeof(Datum) * ss->natts);
	memcpy(slot->tts_isnull, row->nulls, sizeof(bool) * ss->natts);
	return ExecStoreVirtualTuple(slot);
}

/*
 * UPPER_COUNT: arXiv's totalResults for a search (one max_results=1
 * request); an id list, whose ids may not all exist, is counted entry by
 * entry.
 */
static TupleTableSlot *
count_row(ArxivScanState *ss, TupleTableSlot *slot)
{
	int64		count = 0;

	ExecClearTuple(slot);
	if (ss->eof)
		return slot;
	if (!ss->req.impossible && ss->req.ids == NIL)
	{
		ss->fetch_limit = 1;
		fetch_next_page(ss);
		count = ss->total;
		finish_listing(ss);		/* one page is all a count asks for */
	}
	else
	{
		long		before = ss->entries;

		while (!ss->eof)
			fetch_next_page(ss);
		count = ss->entries - before;
	}
	ss->eof = true;
	for (int i = 0; i < slot->tts_tupleDescriptor->natts; i++)
	{
		slot->tts_values[i] = Int64GetDatum(count);
		slot->tts_isnull[i] = false;
	}
	return ExecStoreVirtualTuple(slot);
}

/*
 * UPPER_LIMIT: check the local conditions, skip what OFFSET still asks to
 * skip here, and stop fetching once LIMIT rows are out.
 */
static TupleTableSlot *
limit_row(ForeignScanState *node, ArxivScanState *ss, TupleTableSlot *slot)
{
	ExprContext *econtext = node->ss.ps.ps_ExprContext;

	for (;;)
	{
		if (ss->limit_count >= 0 && ss->emitted >= ss->limit_count)
		{
			/* without local conditions, where it stops depends on the key */
			if (ss->local_qual == NULL)
				finish_listing(ss);
			return ExecClearTuple(slot);
		}
		slot = next_entry_row(ss, slot);	/* TupIsNull evaluates twice */
		if (TupIsNull(slot))
			return slot;
		if (ss->local_qual)
		{
			ResetExprContext(econtext);
			econtext->ecxt_scantuple = slot;
			if (!ExecQual(ss->local_qual, econtext))
				continue;
		}
		if (!passes_rechecks(node, ss, slot))
			continue;
		if (ss->to_skip > 0)
		{
			ss->to_skip--;
			continue;
		}
		ss->emitted++;
		return slot;
	}
}

static TupleTableSlot *
arxivIterateForeignScan(ForeignScanState *node)
{
	ArxivScanState *ss = node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;

	if (ss->state_kind == STATE_OAI)
		return oaiIterateForeignScan(node);

	if (!ss->started)
	{
		compute_request(node, ss);
		ss->started = true;
	}
	switch (ss->kind)
	{
		case UPPER_COUNT:
			return count_row(ss, slot);
		case UPPER_LIMIT:
			return limit_row(node, ss, slot);
		default:
			do
				slot = next_entry_row(ss, slot);
			while (!TupIsNull(slot) && !passes_rechecks(node, ss, slot));
			return slot;
	}
}

static void
arxivReScanForeignScan(ForeignScanState *node)
{
	ArxivScanState *ss = node->fdw_state;

	if (ss->state_kind == STATE_OAI)
	{
		oaiReScanForeignScan(node);
		return;
	}

	/* parameters may have changed: recompute the request on next fetch */
	ss->started = false;
	ss->eof = false;
	ss->next_start = ss->total = ss->returned = 0;
	ss->id_batch = 0;
	ss->window_query = NULL;
	ss->has_window_bound = false;
	ss->tail = ss->skip = NIL;
	ss->rows = NULL;
	ss->nrows = ss->next_row = ss->maxrows = 0;
}

static void
arxivEndForeignScan(ForeignScanState *node)
{
	ArxivScanState *ss = node->fdw_state;

	if (ss == NULL)
		return;
	if (ss->state_kind == STATE_OAI)
	{
		oaiEndForeignScan(node);
		return;
	}

	/*
	 * A scan under a LIMIT the planner knows (fetch_limit) ends once the
	 * Limit node has its rows.  Without a filter of ours above it, that is
	 * when fetch_limit rows were handed out: the pages up to there are
	 * all a scan with the same key ever asks for.
	 */
	if (ss->cache_writer != NULL && ss->kind == UPPER_NONE &&
		ss->fetch_limit >= 0 && !ss->has_filter &&
		ss->returned - (ss->nrows - ss->next_row) >= ss->fetch_limit)
		finish_listing(ss);
	MemoryContextDelete(ss->scan_cxt);
}

/* ---------------------------------------------------------------------
 * EXPLAIN
 * ---------------------------------------------------------------------
 */

/* How an UPPER_LIMIT scan applies LIMIT and OFFSET. */
static void
explain_limit(ArxivScanState *ss, ExplainState *es)
{
	StringInfoData buf;

	if (!ss->req_valid)
	{
		ExplainPropertyText("arXiv Limit", "computed at execution start", es);
		return;
	}
	initStringInfo(&buf);
	if (ss->limit_count >= 0)
		appendStringInfo(&buf, INT64_FORMAT " rows", ss->limit_count);
	else
		appendStringInfoString(&buf, "all rows");
	if (ss->offset_here)
		appendStringInfo(&buf, " after skipping " INT64_FORMAT " here",
						 ss->limit_offset);
	else
		appendStringInfo(&buf, " from start=" INT64_FORMAT, ss->limit_offset);
	ExplainPropertyText("arXiv Limit", buf.data, es);
}

static void
arxivExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	ArxivScanState *ss = node->fdw_state;
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;

	if (ss->state_kind == STATE_OAI)
	{
		oaiExplainForeignScan(node, es);
		return;
	}
	if (!ss->req_valid && ss->id_source == NIL &&
		!contains_exec_param_walker((Node *) fsplan->fdw_exprs, NULL))
		compute_request(node, ss);
	if (ss->kind != UPPER_NONE)
		ExplainPropertyText("Relations",
							psprintf("%s on %s",
									 ss->kind == UPPER_COUNT ? "Aggregate" : "Limit",
									 quote_identifier(get_rel_name(ss->relid))),
							es);
	if (ss->id_source != NIL)
		ExplainPropertyText("arXiv Id Source",
							psprintf("distinct %s of %s, read at execution start",
									 quote_identifier(strVal(lsecond(ss->id_source))),
									 get_rel_name(intVal(linitial(ss->id_source)))),
							es);

	if (ss->req_valid)
	{
		if (ss->req.impossible)
			ExplainPropertyText("arXiv Request", "none (conditions match nothing)", es);
		else
		{
			if (ss->req.search_query)
				ExplainPropertyText("arXiv Query", ss->req.search_query, es);
			if (ss->req.ids != NIL)
			{
				StringInfoData ids;
				ListCell   *lc;

				initStringInfo(&ids);
				foreach(lc, ss->req.ids)
					appendStringInfo(&ids, "%s%s", ids.len ? "," : "",
									 (char *) lfirst(lc));
				ExplainPropertyText("arXiv Id List", ids.data, es);
			}
		}
	}
	else
		ExplainPropertyText("arXiv Query", "computed at execution start", es);
	if (ss->req_valid && ss->sort_by)
		ExplainPropertyText("arXiv Sort", psprintf("%s %s", ss->sort_by, ss->sort_order), es);
	if (ss->kind == UPPER_COUNT)
		ExplainPropertyText("arXiv Count", "totalResults of one request", es);
	if (ss->kind == UPPER_LIMIT)
		explain_limit(ss, es);
	if (ss->fetch_limit > 0 && (ss->kind != UPPER_LIMIT || ss->req_valid))
		ExplainPropertyInteger("arXiv First Page", NULL,
							   Max(Min(ss->fetch_limit, ss->opts.page_size), 1), es);
	if (es->verbose || !ss->req_valid)
	{
		List	   *dpcontext = set_deparse_context_plan(es->deparse_cxt,
														 node->ss.ps.plan,
														 NIL);

		if (ss->exprs != NIL && !ss->req_valid)
			ExplainPropertyText("arXiv Values",
								arxiv_describe_tree(ss->exprs, dpcontext),
								es);
		if (ss->req_valid && ss->active_recheck_exprs != NIL)
			ExplainPropertyText("arXiv Recheck",
								arxiv_describe_tree(ss->active_recheck_exprs,
													dpcontext),
								es);
	}
	if (es->analyze)
	{
		ExplainPropertyInteger("arXiv Requests", NULL, ss->requests, es);
		ExplainPropertyInteger("arXiv Entries", NULL, ss->entries, es);
		if (ss->cache_hits > 0 || es->verbose)
			ExplainPropertyInteger("arXiv Cache Hits", NULL, ss->cache_hits, es);
		if (es->verbose)
		{
			ExplainPropertyInteger("arXiv Bytes", NULL, ss->bytes, es);
			ExplainPropertyInteger("arXiv Retries", NULL, ss->retries, es);
			ExplainPropertyFloat("arXiv Rate Limit Wait", "s", ss->waited, 3, es);
			if (ss->feed_title)
				ExplainPropertyText("arXiv Echo", ss->feed_title, es);
		}
	}
}

/* ---------------------------------------------------------------------
 * IMPORT FOREIGN SCHEMA arxiv
 * ---------------------------------------------------------------------
 */

static List *
arxivImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	ForeignServer *server = GetForeignServer(serverOid);
	StringInfoData buf;

	if (strcmp(stmt->remote_schema, "arxiv_oai") == 0)
		return oai_import_statements(stmt->local_schema, server->servername);
	if (strcmp(stmt->remote_schema, "arxiv") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_SCHEMA_NOT_FOUND),
				 errmsg("schema \"%s\" is not available on arXiv",
						stmt->remote_schema),
				 errhint("arXiv has two schemas: \"arxiv\", with the table \"papers\" (the search API), and \"arxiv_oai\", with \"oai_papers\" and \"oai_versions\" (OAI-PMH).")));

	/* PostgreSQL applies LIMIT TO and EXCEPT to what is returned */
	initStringInfo(&buf);
	appendStringInfo(&buf, "CREATE FOREIGN TABLE %s.papers (",
					 quote_identifier(stmt->local_schema));
	for (int i = 0; i < AF_NUM_FIELDS; i++)
		appendStringInfo(&buf, "%s\n  %s %s", i > 0 ? "," : "",
						 arxiv_fields[i].name, arxiv_fields[i].sqltype);
	appendStringInfo(&buf, "\n) SERVER %s", quote_identifier(server->servername));
	return list_make1(buf.data);
}
