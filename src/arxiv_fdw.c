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
bool		arxiv_response_cache = true;

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
	const char *sort_by;		/* arXiv's sortBy, NULL for id lists */
	const char *sort_order;
	ArxivConverter *conv;
	int			natts;
	MemoryContext scan_cxt;		/* request, HTTP client: the whole scan */
	ArxivFetch	fetch;			/* its requests; rows in fetch.page_cxt */

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
	bool		stop_seen;		/* a row past the "updated" bound */
	List	   *tail_before;	/* tail before the page, for its retry */

	/* the response cache: a scan replays one listing or fetches it all */
	bool		has_filter;		/* the plan checks conditions on our rows */

	/* for EXPLAIN ANALYZE: kept across ReScan */
	ArxivFetchStats stats;
	char	   *feed_title;	/* arXiv's echo of the query, for EXPLAIN */
} ArxivScanState;

static void scan_begin_page(void *arg);
static void scan_entry(void *arg, const AtomEntry *entry);
static void scan_page_failed(void *arg);
static char *listing_key(void *arg, const char *url, const char *postfields);

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

/*
 * The scan's requests (fetch.c): with its options, as its role, into its
 * statistics, and its entries to the scan's sink.  A listing starts in
 * scan_cxt, again at each compute_request.
 */
static void
setup_fetch(ForeignScanState *node, ArxivScanState *ss)
{
	ss->fetch.opts = &ss->opts;
	ss->fetch.role = scan_role(node);
	ss->fetch.fresh_only = scan_fresh_only(node->ss.ps.state);
	ss->fetch.stats = &ss->stats;
	ss->fetch.sink.begin_page = scan_begin_page;
	ss->fetch.sink.entry = scan_entry;
	ss->fetch.sink.page_failed = scan_page_failed;
	ss->fetch.sink.listing_key = listing_key;
	ss->fetch.sink.arg = ss;
	arxiv_fetch_reset(&ss->fetch, ss->scan_cxt);
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
	ss->has_filter = fsplan->scan.plan.qual != NIL;

	ss->scan_cxt = AllocSetContextCreate(estate->es_query_cxt,
										 "arxiv_fdw scan",
										 ALLOCSET_DEFAULT_SIZES);
	setup_fetch(node, ss);
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

/*
 * How much of the scan state reset_scan forgets.  Each level includes the
 * ones above it: a new request starts a new listing at its first page.
 */
typedef enum ScanReset
{
	RESET_PAGE,					/* an attempt at a page starts */
	RESET_CURSOR,				/* ReScan: back to the listing's start */
	RESET_REQUEST				/* compute_request: a new request */
} ScanReset;

/*
 * The one reset of the scan state.  The three callers used to reset
 * overlapping sets of fields; what differs between them is kept:
 *
 *	RESET_PAGE (start_page in fetch.c, through the sink): the rows of the
 *	last attempt, which page_cxt took with it; only those, since a retried
 *	page continues the same cursor.
 *
 *	RESET_CURSOR (ReScan): also where the scan is in its listing.  The
 *	request itself is kept until the next Iterate rebuilds it (EXPLAIN and
 *	EndForeignScan may still read it); the statistics are kept for EXPLAIN
 *	ANALYZE.
 *
 *	RESET_REQUEST (compute_request): also everything in scan_cxt: the
 *	previous request, the page-id sets, and the listing's fetch state (HTTP
 *	client, cache files, parser), whose pointers would dangle.
 */
static void
reset_scan(ArxivScanState *ss, ScanReset level)
{
	if (level >= RESET_REQUEST)
	{
		MemoryContextReset(ss->scan_cxt);
		ss->prev_ids = NULL;
		ss->ids_cxt[0] = ss->ids_cxt[1] = NULL;
		arxiv_fetch_reset(&ss->fetch, ss->scan_cxt);
	}
	if (level >= RESET_CURSOR)
	{
		/* parameters may have changed: recompute the request on next fetch */
		ss->started = false;
		ss->eof = false;
		ss->next_start = ss->total = ss->returned = 0;
		ss->id_batch = 0;
		ss->window_query = NULL;
		ss->has_window_bound = false;
		ss->tail = ss->skip = NIL;
	}
	ss->rows = NULL;
	ss->nrows = ss->maxrows = ss->next_row = 0;
	ss->stop_seen = false;
	ss->cur_ids = NULL;			/* its context is reset when re-created */
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

	reset_scan(ss, RESET_REQUEST);
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
 * The sink's entry callback: convert one entry to a row of the page (in
 * page_cxt; fetch.c keeps what this throws until the transfer is over).
 */
static void
scan_entry(void *arg, const AtomEntry *entry)
{
	ArxivScanState *ss = (ArxivScanState *) arg;

	if (ss->stop_seen || past_updated_bound(ss, entry))
		ss->stop_seen = true;
	else if (ss->conv == NULL)
		;						/* a count: rows are not wanted */
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

/* The sink's begin_page callback: an attempt at a page starts. */
static void
scan_begin_page(void *arg)
{
	ArxivScanState *ss = (ArxivScanState *) arg;

	reset_scan(ss, RESET_PAGE);
	ss->tail_before = list_copy(ss->tail);
}

/* The sink's page_failed callback: the retry will see these rows again. */
static void
scan_page_failed(void *arg)
{
	ArxivScanState *ss = (ArxivScanState *) arg;

	ss->tail = ss->tail_before;
}

/*
 * What decides the pages a scan asks for, given the pages it receives: the
 * key of its listing in the response cache (with the role).  A scan that
 * replays a listing written under the same key asks for exactly the pages
 * the writer asked for, in the same order, and stops where the writer
 * stopped (see arxiv_fetch_finish_listing).  The sink's listing_key.
 */
static char *
listing_key(void *arg, const char *url, const char *postfields)
{
	ArxivScanState *ss = (ArxivScanState *) arg;
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

/* what remote_estimate's probe needs */
typedef struct EstimateProbe
{
	ArxivPlanState *ps;
	ArxivRequest req;
} EstimateProbe;

/*
 * The key of a probe's listing in the response cache: the one listing_key
 * (scan.c) gave the probe when it ran as a scan without rows (probe 1), so
 * that probes cached before still answer.
 */
static char *
estimate_listing_key(void *arg, const char *url, const char *postfields)
{
	EstimateProbe *probe = (EstimateProbe *) arg;
	StringInfoData key;

	initStringInfo(&key);
	appendStringInfo(&key, "%s\n%s\n", url, postfields ? postfields : "");
	appendStringInfo(&key, "kind %d page_size %d fetch_limit %ld probe %d filter %d\n",
					 (int) UPPER_NONE, probe->ps->opts.page_size, -1L, 1, 0);
	if (probe->req.has_updated_lo)
		appendStringInfo(&key, "updated >= " INT64_FORMAT "\n",
						 (int64) probe->req.updated_lo);
	if (probe->req.has_updated_hi)
		appendStringInfo(&key, "updated <= " INT64_FORMAT "\n",
						 (int64) probe->req.updated_hi);
	return key.data;
}

/*
 * use_remote_estimate: ask arXiv for the number of results with one
 * max_results=1 request (answered from the response cache when fresh),
 * fetched like a scan's page but with no rows wanted and no retry.  Only
 * when every pushed value is a constant; -1 when unknown.
 */
static double
remote_estimate(ArxivPlanState *ps)
{
	EstimateProbe probe;
	ArxivFetch	f;
	ArxivFetchStats stats;
	MemoryContext cxt;
	const AtomFeedInfo *info;
	char	   *postfields;
	char	   *url;
	double		result = -1;

	memset(&probe, 0, sizeof(probe));
	probe.ps = ps;
	if (!plan_time_request(ps, &probe.req))
		return -1;
	if (probe.req.impossible)
		return 0;
	if (probe.req.ids != NIL)
		return list_length(probe.req.ids);

	memset(&f, 0, sizeof(f));
	memset(&stats, 0, sizeof(stats));
	f.opts = &ps->opts;
	f.role = ps->role;
	f.stats = &stats;
	f.learn_query = probe.req.search_query;
	f.sink.listing_key = estimate_listing_key;
	f.sink.arg = &probe;
	cxt = AllocSetContextCreate(CurrentMemoryContext, "arxiv_fdw estimate",
								ALLOCSET_DEFAULT_SIZES);
	arxiv_fetch_reset(&f, cxt);
	url = arxiv_request_url(ps->opts.base_url, probe.req.search_query, NIL,
							NULL, NULL, 0, 1, &postfields);
	info = arxiv_fetch_page(&f, url, postfields, 0, 0, true);
	if (info != NULL)
	{
		result = info->total_results;
		arxiv_fetch_finish_listing(&f); /* a probe is one page */
	}
	MemoryContextDelete(cxt);
	return result;
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
	const AtomFeedInfo *info;

	CHECK_FOR_INTERRUPTS();
	if (ss->req.impossible)
	{
		ss->eof = true;
		return;
	}
	url = next_page_url(ss, &postfields, &max_results);
	/* id lists and window continuations are not the planner's search */
	ss->fetch.learn_query = ss->req.ids == NIL && ss->window_query == NULL
		? ss->req.search_query : NULL;
	info = arxiv_fetch_page(&ss->fetch, url, postfields, ss->next_start,
							ss->opts.max_retries, false);
	if (info->title)
		ss->feed_title = MemoryContextStrdup(ss->scan_cxt, info->title);
	if (ss->cur_ids)
	{
		ss->prev_ids = ss->cur_ids;
		ss->prev_ids_slot = 1 - ss->prev_ids_slot;
	}
	ss->cur_ids = NULL;
	advance_cursor(ss, info);
	if (ss->eof)
		arxiv_fetch_finish_listing(&ss->fetch);
	if (arxiv_progress)
		ereport(NOTICE,
				(errmsg("arXiv page %ld of %ld: %ld entries so far, %.1f s waited for the rate limit",
						ss->stats.requests + ss->stats.cache_hits,
						ss->stats.requests + ss->stats.cache_hits +
						(ss->eof || ss->kind == UPPER_COUNT ? 0 :
						 (long) ceil((double) Max(ss->total - ss->next_start, 0) / ss->opts.page_size)),
						ss->stats.entries, ss->stats.waited)));
	arxiv_fetch_page_done(&ss->fetch);
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
		/* one page is all a count asks for */
		arxiv_fetch_finish_listing(&ss->fetch);
	}
	else
	{
		long		before = ss->stats.entries;

		while (!ss->eof)
			fetch_next_page(ss);
		count = ss->stats.entries - before;
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
				arxiv_fetch_finish_listing(&ss->fetch);
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

	reset_scan(ss, RESET_CURSOR);
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
	if (ss->fetch.cache_writer != NULL && ss->kind == UPPER_NONE &&
		ss->fetch_limit >= 0 && !ss->has_filter &&
		ss->returned - (ss->nrows - ss->next_row) >= ss->fetch_limit)
		arxiv_fetch_finish_listing(&ss->fetch);
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
		ExplainPropertyInteger("arXiv Requests", NULL, ss->stats.requests, es);
		ExplainPropertyInteger("arXiv Entries", NULL, ss->stats.entries, es);
		if (ss->stats.cache_hits > 0 || es->verbose)
			ExplainPropertyInteger("arXiv Cache Hits", NULL, ss->stats.cache_hits, es);
		if (es->verbose)
		{
			ExplainPropertyInteger("arXiv Bytes", NULL, ss->stats.bytes, es);
			ExplainPropertyInteger("arXiv Retries", NULL, ss->stats.retries, es);
			ExplainPropertyFloat("arXiv Rate Limit Wait", "s", ss->stats.waited, 3, es);
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
