/*-------------------------------------------------------------------------
 *
 * oai_plan.c
 *	  The planner side of the OAI-PMH tables (table option "source" =
 *	  'oai_papers' or 'oai_versions'): their columns, which conditions
 *	  become harvest arguments, paths and plans, and IMPORT FOREIGN SCHEMA
 *	  arxiv_oai.
 *
 * OAI-PMH selects by three things only: a set (a category), a window of
 * datestamps (whole days) and, with GetRecord, one paper.  So only
 * conditions on datestamp, id and the filter column category are sent.
 * What is exact is decided here, by one rule: a condition on the filter
 * column category (= value, IN, = ANY) means "the paper lists one of these
 * categories", as on the API's tables, and the scan enforces it on every
 * record (a set harvest alone is not exact: alias categories share sets).
 * Every other condition stays in the plan's qual and PostgreSQL rechecks
 * it on the rows harvested, which are a superset of the answer by
 * construction (see README, "OAI-PMH tables").
 *
 *-------------------------------------------------------------------------
 */
#include "arxiv_fdw.h"

#include <math.h>

#include "access/stratnum.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/typcache.h"

const OaiFieldInfo oai_fields[OF_NUM_FIELDS] = {
	[OF_ID] = {"id", TEXTOID, "text", true, true},
	[OF_DATESTAMP] = {"datestamp", DATEOID, "date", true, true},
	[OF_SETS] = {"sets", TEXTARRAYOID, "text[]", true, false},
	[OF_SUBMITTER] = {"submitter", TEXTOID, "text", true, false},
	[OF_TITLE] = {"title", TEXTOID, "text", true, false},
	[OF_AUTHORS] = {"authors", TEXTARRAYOID, "text[]", true, false},
	[OF_AUTHORS_RAW] = {"authors_raw", TEXTOID, "text", true, false},
	[OF_CATEGORIES] = {"categories", TEXTARRAYOID, "text[]", true, false},
	[OF_PRIMARY_CATEGORY] = {"primary_category", TEXTOID, "text", true, false},
	[OF_COMMENTS] = {"comments", TEXTOID, "text", true, false},
	[OF_PROXY] = {"proxy", TEXTOID, "text", true, false},
	[OF_REPORT_NO] = {"report_no", TEXTOID, "text", true, false},
	[OF_MSC_CLASS] = {"msc_class", TEXTOID, "text", true, false},
	[OF_ACM_CLASS] = {"acm_class", TEXTOID, "text", true, false},
	[OF_JOURNAL_REF] = {"journal_ref", TEXTOID, "text", true, false},
	[OF_DOI] = {"doi", TEXTOID, "text", true, false},
	[OF_LICENSE] = {"license", TEXTOID, "text", true, false},
	[OF_ABSTRACT] = {"abstract", TEXTOID, "text", true, false},
	[OF_PUBLISHED] = {"published", TIMESTAMPTZOID, "timestamp with time zone", true, false},
	[OF_UPDATED] = {"updated", TIMESTAMPTZOID, "timestamp with time zone", true, false},
	[OF_VERSION] = {"version", INT4OID, "integer", true, true},
	[OF_WITHDRAWN] = {"withdrawn", BOOLOID, "boolean", true, false},
	[OF_SUBMITTED] = {"submitted", TIMESTAMPTZOID, "timestamp with time zone", false, true},
	[OF_SIZE_KB] = {"size_kb", INT4OID, "integer", false, true},
	[OF_SOURCE_TYPE] = {"source_type", TEXTOID, "text", false, true},
	[OF_CATEGORY] = {"category", TEXTOID, "text", true, true},
};

/* rows arXiv holds, for estimates of harvests nothing bounds */
#define OAI_ALL_PAPERS		3.0e6
/* papers modified on a typical day, and listed in a typical category */
#define OAI_PAPERS_PER_DAY	3000.0
#define OAI_CATEGORY_SHARE	0.01

OaiField
oai_field_by_name(const char *name)
{
	for (int i = 0; i < OF_NUM_FIELDS; i++)
		if (strcmp(oai_fields[i].name, name) == 0)
			return (OaiField) i;
	return OF_NONE;
}

/*
 * Map each attribute to an OAI field, by its "field" option or its name;
 * unknown columns are an error, as for the API's tables.
 */
OaiField *
oai_column_fields(Oid foreigntableid, TupleDesc tupdesc)
{
	OaiField   *fields = palloc(sizeof(OaiField) * tupdesc->natts);

	for (int i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(tupdesc, i);

		fields[i] = OF_NONE;
		if (attr->attisdropped)
			continue;
		fields[i] = oai_field_by_name(arxiv_column_field_name(foreigntableid, attr));
		if (fields[i] == OF_NONE)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_COLUMN_NAME),
					 errmsg("column \"%s\" of foreign table \"%s\" does not match an OAI-PMH field",
							NameStr(attr->attname),
							get_rel_name(foreigntableid)),
					 errhint("Name the column after a column of the tables created by IMPORT FOREIGN SCHEMA arxiv_oai, or set its \"field\" option.")));
	}
	return fields;
}

/* One condition sent to OAI-PMH. */
typedef struct OaiCond
{
	OaiCondKind kind;
	int			arg;			/* strategy (datestamp) or array flag */
	Expr	   *value;
} OaiCond;

typedef struct OaiPlanState
{
	ArxivOptions opts;
	OaiField   *fields;
	List	   *conds;			/* OaiCond */
	List	   *enforced;		/* RestrictInfos the scan enforces */
} OaiPlanState;

/*
 * The field of a Var of this relation, or OF_NONE.  A binary-compatible
 * relabeling is looked through (a varchar column compared as text), since
 * callers check the type the comparison sees.
 */
static OaiField
var_field(RelOptInfo *baserel, OaiField *fields, Node *node)
{
	Var		   *var;

	while (node != NULL && IsA(node, RelabelType))
		node = (Node *) ((RelabelType *) node)->arg;
	var = (Var *) node;

	if (node == NULL || !IsA(node, Var) || var->varno != baserel->relid ||
		var->varlevelsup != 0 || var->varattno <= 0)
		return OF_NONE;
	return fields[var->varattno - 1];
}

/*
 * Whether expr can be computed once when the scan starts: no Vars, nothing
 * volatile, no subplans.  Consts, parameters of generic plans and stable
 * expressions such as current_date - 7 qualify.
 */
static bool
is_scan_value(Node *expr)
{
	return !contain_var_clause(expr) && !contain_volatile_functions(expr) &&
		!contain_subplans(expr);
}

/* A condition on the column of field wanted whose declared type is type. */
static bool
is_field_var(RelOptInfo *baserel, OaiField *fields, Node *node,
			 OaiField wanted, Oid type)
{
	return var_field(baserel, fields, node) == wanted &&
		exprType(node) == type;
}

static OaiCond *
make_cond(OaiCondKind kind, int arg, Node *value)
{
	OaiCond    *c = palloc(sizeof(OaiCond));

	c->kind = kind;
	c->arg = arg;
	c->value = (Expr *) value;
	return c;
}

/* the strategy of "b op a" for "a op b" */
static int
commute_strategy(int strategy)
{
	return BTMaxStrategyNumber + 1 - strategy;
}

/* datestamp <op> value (either way round) with one of date's own operators */
static OaiCond *
datestamp_cond(RelOptInfo *baserel, OaiField *fields, OpExpr *op)
{
	TypeCacheEntry *tce = lookup_type_cache(DATEOID, TYPECACHE_BTREE_OPFAMILY);
	Node	   *left = linitial(op->args);
	Node	   *right = lsecond(op->args);
	Oid			ltype;
	Oid			rtype;
	int			strategy;

	op_input_types(op->opno, &ltype, &rtype);
	if (ltype != DATEOID || rtype != DATEOID)
		return NULL;
	strategy = get_op_opfamily_strategy(op->opno, tce->btree_opf);
	if (strategy == 0)
		return NULL;
	if (is_field_var(baserel, fields, right, OF_DATESTAMP, DATEOID))
	{
		Node	   *tmp = left;

		left = right;
		right = tmp;
		strategy = commute_strategy(strategy);
	}
	if (!is_field_var(baserel, fields, left, OF_DATESTAMP, DATEOID) ||
		!is_scan_value(right))
		return NULL;
	return make_cond(OC_DATESTAMP, strategy, right);
}

/* id / category = value, or = ANY(array value) (which IN becomes) */
static OaiCond *
text_equality_cond(RelOptInfo *baserel, OaiField *fields, Node *clause)
{
	Node	   *left;
	Node	   *right;
	bool		array;
	OaiField	field;

	if (IsA(clause, OpExpr) && ((OpExpr *) clause)->opno == TextEqualOperator)
	{
		left = linitial(((OpExpr *) clause)->args);
		right = lsecond(((OpExpr *) clause)->args);
		if (var_field(baserel, fields, right) != OF_NONE)
		{
			Node	   *tmp = left;

			left = right;
			right = tmp;
		}
		array = false;
	}
	else if (IsA(clause, ScalarArrayOpExpr) &&
			 ((ScalarArrayOpExpr *) clause)->opno == TextEqualOperator &&
			 ((ScalarArrayOpExpr *) clause)->useOr)
	{
		left = linitial(((ScalarArrayOpExpr *) clause)->args);
		right = lsecond(((ScalarArrayOpExpr *) clause)->args);
		array = true;
	}
	else
		return NULL;
	field = var_field(baserel, fields, left);
	if ((field != OF_ID && field != OF_CATEGORY) ||
		exprType(left) != TEXTOID || !is_scan_value(right))
		return NULL;
	return make_cond(field == OF_ID ? OC_ID : OC_CATEGORY, array, right);
}

static bool
mentions_category(RelOptInfo *baserel, OaiField *fields, Node *clause)
{
	ListCell   *lc;

	foreach(lc, pull_var_clause(clause, PVC_RECURSE_AGGREGATES |
								PVC_RECURSE_WINDOWFUNCS |
								PVC_RECURSE_PLACEHOLDERS))
		if (var_field(baserel, fields, lfirst(lc)) == OF_CATEGORY)
			return true;
	return false;
}

/*
 * The condition a clause sends, or NULL.  A clause on the filter column
 * category that cannot be sent is an error: the column's value is "the
 * first category asked for that the paper lists", which has no meaning
 * without the categories asked for.
 */
static OaiCond *
classify_clause(RelOptInfo *baserel, OaiField *fields, RestrictInfo *ri)
{
	Node	   *clause = (Node *) ri->clause;
	OaiCond    *cond = NULL;

	if (IsA(clause, OpExpr) && list_length(((OpExpr *) clause)->args) == 2)
		cond = datestamp_cond(baserel, fields, (OpExpr *) clause);
	if (cond == NULL)
		cond = text_equality_cond(baserel, fields, clause);
	if (cond == NULL && mentions_category(baserel, fields, clause))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_CREATE_EXECUTION),
				 errmsg("condition on column \"category\" cannot be sent to arXiv's OAI-PMH interface"),
				 errdetail("\"category\" is a filter column: it selects the sets harvested, and only \"category = value\", \"category IN (...)\" and \"category = ANY(array)\" at the top level of WHERE can do that."),
				 errhint("To test the categories a paper lists, use the column \"categories\", e.g. 'cs.OS' = ANY(categories).")));
	return cond;
}

static int
count_conds(List *conds, OaiCondKind kind)
{
	ListCell   *lc;
	int			n = 0;

	foreach(lc, conds)
		n += ((OaiCond *) lfirst(lc))->kind == kind;
	return n;
}

/*
 * A full harvest of arXiv (millions of records, over an hour of requests)
 * is refused unless asked for in so many words: a datestamp bound such as
 * datestamp >= '2005-09-16' says it.
 */
static void
report_harvest_all(Oid relid)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_UNABLE_TO_CREATE_EXECUTION),
			 errmsg("query on \"%s\" would harvest all of arXiv",
					get_rel_name(relid)),
			 errdetail("Only conditions on datestamp, id or category select what arXiv's OAI-PMH interface sends."),
			 errhint("Add a condition such as category = 'cs.OS' or datestamp >= '2026-01-01'; datestamp >= '2005-09-16' asks for every paper.")));
}

/*
 * Rows a harvest is expected to return: papers modified a day, times the
 * days of the datestamp window (values the planner can estimate, such as
 * current_date - 7, count), a share of that per category, or ids.
 */
static double
estimate_rows(PlannerInfo *root, OaiPlanState *ps)
{
	DateADT		first = date2j(OAI_EARLIEST_YEAR, OAI_EARLIEST_MONTH,
							   OAI_EARLIEST_DAY) - POSTGRES_EPOCH_JDATE;
	DateADT		today = GetCurrentTransactionStartTimestamp() / USECS_PER_DAY;
	DateADT		lo = first;
	DateADT		hi = today;
	double		rows;
	ListCell   *lc;

	if (count_conds(ps->conds, OC_ID) > 0)
		return 10.0;
	foreach(lc, ps->conds)
	{
		OaiCond    *c = lfirst(lc);
		Const	   *k = (Const *) estimate_expression_value(root, (Node *) c->value);
		DateADT		d;

		if (c->kind != OC_DATESTAMP || !IsA(k, Const) || k->constisnull)
			continue;
		d = DatumGetDateADT(k->constvalue);
		if (DATE_NOT_FINITE(d))
			continue;
		if (c->arg != BTLessStrategyNumber && c->arg != BTLessEqualStrategyNumber)
			lo = Max(lo, d);
		if (c->arg != BTGreaterStrategyNumber && c->arg != BTGreaterEqualStrategyNumber)
			hi = Min(hi, d);
	}
	rows = Min(OAI_ALL_PAPERS, (double) (Max(hi - lo, 0) + 1) * OAI_PAPERS_PER_DAY);
	if (count_conds(ps->conds, OC_CATEGORY) > 0)
		rows *= OAI_CATEGORY_SHARE;
	return Max(rows, 1);
}

void
oaiGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel,
					 Oid foreigntableid)
{
	OaiPlanState *ps = palloc0(sizeof(OaiPlanState));
	Relation	rel = table_open(foreigntableid, NoLock);
	ListCell   *lc;
	double		rows;

	arxiv_get_options(foreigntableid, &ps->opts);
	ps->fields = oai_column_fields(foreigntableid, RelationGetDescr(rel));
	table_close(rel, NoLock);

	foreach(lc, baserel->baserestrictinfo)
	{
		OaiCond    *c = classify_clause(baserel, ps->fields, lfirst(lc));

		if (c != NULL)
			ps->conds = lappend(ps->conds, c);
		if (c != NULL && c->kind == OC_CATEGORY)
			ps->enforced = lappend(ps->enforced, lfirst(lc));
	}
	baserel->fdw_private = ps;

	rows = estimate_rows(root, ps);
	baserel->tuples = rows;
	baserel->rows = clamp_row_est(rows *
								  clauselist_selectivity(root, baserel->baserestrictinfo,
														 baserel->relid, JOIN_INNER, NULL));
}

/*
 * One path: OAI-PMH has no order to offer (lists come by modification
 * time, then id, and several sets are harvested one after another) and no
 * limit.  A request costs request_interval seconds of arXiv's budget,
 * priced like the API's (1000 page reads a second).
 */
void
oaiGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel,
				   Oid foreigntableid pg_attribute_unused())
{
	OaiPlanState *ps = baserel->fdw_private;
	double		request_cost = 1000.0 * (Max(ps->opts.request_interval, 0.01) + 0.5);
	double		pages = Max(ceil(baserel->tuples / 1000.0), 1);
	Cost		startup = request_cost;
	Cost		total = startup + (pages - 1) * request_cost +
		baserel->tuples * cpu_tuple_cost * 10;

	/* fdw_private NIL: the API's upper-path code ignores this path */
	add_path(baserel, (Path *)
			 create_foreignscan_path(root, baserel, NULL, baserel->rows,
									 startup, total, NIL, NULL, NULL, NIL));
}

ForeignScan *
oaiGetForeignPlan(PlannerInfo *root pg_attribute_unused(), RelOptInfo *baserel,
				  Oid foreigntableid, ForeignPath *best_path pg_attribute_unused(),
				  List *tlist, List *scan_clauses, Plan *outer_plan)
{
	OaiPlanState *ps = baserel->fdw_private;
	List	   *kinds = NIL;
	List	   *args = NIL;
	List	   *values = NIL;
	List	   *local = NIL;
	ListCell   *lc;

	if (ps->conds == NIL)
		report_harvest_all(foreigntableid);
	foreach(lc, ps->conds)
	{
		OaiCond    *c = lfirst(lc);

		kinds = lappend_int(kinds, c->kind);
		args = lappend_int(args, c->arg);
		values = lappend(values, c->value);
	}

	/* see the header comment for what the scan enforces */
	foreach(lc, scan_clauses)
		if (!list_member_ptr(ps->enforced, lfirst(lc)))
			local = lappend(local, lfirst(lc));
	return make_foreignscan(tlist, extract_actual_clauses(local, false),
							baserel->relid, values,
							list_make3(makeInteger(foreigntableid),
									   kinds, args),
							NIL, NIL, outer_plan);
}

/* IMPORT FOREIGN SCHEMA arxiv_oai: the two tables, on the same server. */
List *
oai_import_statements(const char *local_schema, const char *server_name)
{
	List	   *stmts = NIL;

	for (int t = 0; t < 2; t++)
	{
		bool		papers = t == 0;
		StringInfoData buf;
		bool		first = true;

		initStringInfo(&buf);
		appendStringInfo(&buf, "CREATE FOREIGN TABLE %s.%s (",
						 quote_identifier(local_schema),
						 papers ? "oai_papers" : "oai_versions");
		for (int i = 0; i < OF_NUM_FIELDS; i++)
		{
			if (!(papers ? oai_fields[i].in_papers : oai_fields[i].in_versions))
				continue;
			appendStringInfo(&buf, "%s\n  %s %s", first ? "" : ",",
							 oai_fields[i].name, oai_fields[i].sqltype);
			first = false;
		}
		appendStringInfo(&buf, "\n) SERVER %s OPTIONS (source %s)",
						 quote_identifier(server_name),
						 papers ? "'oai_papers'" : "'oai_versions'");
		stmts = lappend(stmts, buf.data);
	}
	return stmts;
}
