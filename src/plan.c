/*-------------------------------------------------------------------------
 *
 * plan.c
 *	  Planner callbacks of the API's tables: sizes and costs, the paths
 *	  arXiv can serve (sorted, parameterized, id source), the plans and
 *	  their fdw_private, and the upper paths (count(*), LIMIT/OFFSET).
 *
 * A request costs seconds of arXiv's budget, so the planner's aim is the
 * fewest requests.  use_remote_estimate asks arXiv for a search's size
 * through fetch.c, as a scan would fetch a page.
 *
 *-------------------------------------------------------------------------
 */
#include "arxiv_fdw.h"

#include <math.h>

#include "access/sysattr.h"
#include "access/table.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "foreign/fdwapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "optimizer/tlist.h"
#include "parser/parsetree.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "arxiv_scan.h"

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

/*
 * The one refusal of a scan that would page through all of arXiv: at plan
 * time when no condition can restrict the request, at execution when the
 * values of this execution (parameters) make the conditions restrict
 * nothing.
 */
void
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

/* ---------------------------------------------------------------------
 * Planner
 * ---------------------------------------------------------------------
 */

static double remote_estimate(ArxivPlanState *ps);
static double learned_estimate(ArxivPlanState *ps);
static ForeignScan *upper_plan(PlannerInfo *root, RelOptInfo *upper_rel,
							   ForeignPath *best_path, List *tlist);
static List *local_clause_exprs(List *scan_clauses, ArxivPushdown *pd);
static ForeignScan *table_scan_plan(RelOptInfo *baserel, Oid foreigntableid,
									ArxivPushdown *pd, List *path_private,
									List *id_source, List *tlist,
									List *local_clauses, Plan *outer_plan);

void
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

void
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

/*
 * The join clauses of a parameterized path (the scan clauses that are not
 * restrictions of the table): arXiv is asked for the outer row's ids.
 */
static List *
path_join_clauses(RelOptInfo *baserel, List *scan_clauses)
{
	List	   *join_clauses = NIL;
	ListCell   *lc;

	foreach(lc, scan_clauses)
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);

		if (!ri->pseudoconstant && !list_member_ptr(baserel->baserestrictinfo, ri))
			join_clauses = lappend(join_clauses, ri);
	}
	return join_clauses;
}

/*
 * An id source as the executor needs it, (table OID, column name): the
 * path's range table index and attno mean nothing outside this query.
 */
static List *
id_source_private(PlannerInfo *root, List *path_id_source)
{
	RangeTblEntry *rte;

	if (path_id_source == NIL)
		return NIL;
	rte = planner_rt_fetch(intVal(linitial(path_id_source)), root);
	return list_make2(makeInteger(rte->relid),
					  makeString(get_attname(rte->relid,
											 intVal(lsecond(path_id_source)),
											 false)));
}

/*
 * Whether a join clause on a filter column goes to arXiv in this plan: a
 * filter column has no value of its own, so comparing it after the scan
 * would be wrong.
 */
static bool
filter_join_sent(RelOptInfo *baserel, ArxivPlanState *ps, List *join_clauses)
{
	bool		sent = false;
	ListCell   *lc;

	foreach(lc, join_clauses)
		sent |= arxiv_join_clause_pushable(baserel, ps->fields, lfirst(lc), false) &&
			arxiv_mentions_filter_column(baserel, ps->fields,
										 (Node *) lfirst_node(RestrictInfo, lc)->clause);
	return sent;
}

ForeignScan *
arxivGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel,
					Oid foreigntableid, ForeignPath *best_path,
					List *tlist, List *scan_clauses, Plan *outer_plan)
{
	ArxivPlanState *ps;
	ArxivPushdown pd;
	List	   *join_clauses;
	List	   *path_private = best_path->fdw_private;
	List	   *id_source;

	if (!IS_UPPER_REL(baserel) && arxiv_table_source(foreigntableid) != SOURCE_API)
		return oaiGetForeignPlan(root, baserel, foreigntableid, best_path,
								 tlist, scan_clauses, outer_plan);
	if (IS_UPPER_REL(baserel))
		return upper_plan(root, baserel, best_path, tlist);
	ps = baserel->fdw_private;

	/* judged together: a join clause can change what the others need */
	join_clauses = path_join_clauses(baserel, scan_clauses);
	arxiv_classify_conditions(baserel, ps->fields, baserel->baserestrictinfo,
							  join_clauses, ps->opts.query, &pd);

	id_source = id_source_private(root, list_nth(path_private, FPP_ID_SOURCE));
	if (ps->filter_join)
	{
		bool		sent = filter_join_sent(baserel, ps, join_clauses);

		if (!sent)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_COLUMN_NAME),
					 errmsg("join on an arXiv filter column cannot be sent to arXiv"),
					 errdetail("A join on \"category\", \"author\" or \"search\" needs one request per outer row, and this plan compares the column after the scan."),
					 errhint("Join on the real columns instead, e.g. t.cat = ANY (p.categories), or allow a nested loop.")));
	}
	if (id_source == NIL && !pd.may_restrict && !constant_false(baserel))
		report_fetch_all(foreigntableid, false);

	return table_scan_plan(baserel, foreigntableid, &pd, path_private,
						   id_source, tlist,
						   local_clause_exprs(scan_clauses, &pd), outer_plan);
}

/*
 * The expressions of the scan clauses PostgreSQL must check (pd->local, in
 * the order of scan_clauses); the pushed exact ones are done by arXiv.
 */
static List *
local_clause_exprs(List *scan_clauses, ArxivPushdown *pd)
{
	List	   *local_clauses = NIL;
	ListCell   *lc;

	foreach(lc, scan_clauses)
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);
		ListCell   *lc2;
		ListCell   *lc3;

		if (ri->pseudoconstant)
			continue;
		forboth(lc2, pd->local, lc3, pd->local_exprs)
		{
			if (lfirst(lc2) == ri)
			{
				local_clauses = lappend(local_clauses, lfirst(lc3));
				break;
			}
		}
	}
	return local_clauses;
}

/*
 * The ForeignScan of a table scan path: its local quals, fdw_exprs (the
 * pushed values, then the rechecks) and fdw_private (ArxivScanPrivate).
 */
static ForeignScan *
table_scan_plan(RelOptInfo *baserel, Oid foreigntableid, ArxivPushdown *pd,
				List *path_private, List *id_source, List *tlist,
				List *local_clauses, Plan *outer_plan)
{
	List	   *rechecks;
	List	   *recheck_trees;
	List	   *attrs;

	scan_rechecks(pd, &rechecks, &recheck_trees);
	attrs = needed_attrs(baserel, list_concat_copy(local_clauses, rechecks),
						 baserel->max_attr);
	return make_foreignscan(tlist, local_clauses, baserel->relid,
							list_concat_copy(pd->exprs, rechecks),
							make_scan_private(pd->pushed, path_private, attrs,
											  id_source, UPPER_NONE, foreigntableid,
											  list_length(pd->exprs), pd->exact_trees,
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

void
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
 * The key of a probe's listing in the response cache: a scan's key
 * (arxiv_listing_key) as it was when the probe ran as a scan without rows,
 * so that probes cached before still answer.
 */
static char *
estimate_listing_key(void *arg, const char *url, const char *postfields)
{
	EstimateProbe *probe = (EstimateProbe *) arg;
	ArxivListingShape shape;

	memset(&shape, 0, sizeof(shape));
	shape.kind = UPPER_NONE;
	shape.page_size = probe->ps->opts.page_size;
	shape.fetch_limit = -1;
	shape.probe = true;
	shape.filter = false;
	return arxiv_listing_key(url, postfields, &shape, &probe->req);
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
