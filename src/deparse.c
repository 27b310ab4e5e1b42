/*-------------------------------------------------------------------------
 *
 * deparse.c
 *	  Which WHERE conditions go to arXiv, and building the request.
 *
 * Safety model.  What is sent to arXiv must select a superset of the rows
 * the SQL conditions select; a condition is left out of PostgreSQL's local
 * check only when its translation is exact.  Translation happens in two
 * steps:
 *
 *	 1. At plan time each restriction clause becomes a small condition tree
 *		(a List whose first element is a CondTag), with the value
 *		expressions moved to fdw_exprs so that Params, stable functions and
 *		InitPlan outputs are computed at execution start.  Whether a tree is
 *		exact depends only on its shape, never on values, so the plan stays
 *		valid for every parameter value.
 *	 2. At execution start the trees are turned into an arXiv query by
 *		query.c, which escapes every value (see query.h).
 *
 * The filter columns "category", "author" and "search" have no SQL meaning
 * of their own: a condition on them means what arXiv makes of it.  So such a
 * condition must be pushed exactly; one that cannot be is an error rather
 * than a silently different result.
 *
 *-------------------------------------------------------------------------
 */
#include "arxiv_fdw.h"

#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"

/* condition tree node tags (first element of each node's List) */
typedef enum CondTag
{
	CT_UNKNOWN,					/* not translatable: inexact TRUE */
	CT_AND,						/* children... */
	CT_OR,						/* children... */
	CT_NOT,						/* child */
	CT_ID,						/* expr, mode */
	CT_CAT,						/* expr, mode: category filter column */
	CT_PRIMARY,					/* expr, mode: primary_category (superset) */
	CT_AUTHOR,					/* expr, mode: author filter column */
	CT_RAW,						/* expr: search filter column */
	CT_DATE						/* expr, strategy, value type */
} CondTag;

/* how a leaf's value expression is used */
typedef enum ValueMode
{
	VM_SCALAR,					/* column = value */
	VM_ANY						/* column = ANY(array value) */
} ValueMode;

/* comparison of "published" with a value */
typedef enum DateOp
{
	DOP_LT,
	DOP_LE,
	DOP_EQ,
	DOP_GE,
	DOP_GT
} DateOp;

#define NODE_TAG(node)	((CondTag) intVal(linitial(node)))
#define LEAF_EXPR(node) intVal(lsecond(node))
#define LEAF_ARG(node)	intVal(lthird(node))
#define DATE_TYPE(node) ((Oid) intVal(lfourth(node)))

/* earliest and latest dates pushed; arXiv began in 1991 */
#define MIN_DATE "198001010000"
#define MAX_DATE "999912312359"

static void *
palloc_cb(void *arg, size_t size)
{
	return MemoryContextAlloc((MemoryContext) arg, size);
}

static void
pfree_cb(void *arg, void *ptr)
{
	pfree(ptr);
}

/*
 * A query.c arena allocating in the current memory context; it is freed with
 * that context, so errors thrown while it is in use leak nothing.
 */
AqArena *
arxiv_aq_arena(void)
{
	return aq_arena_create(palloc_cb, pfree_cb, CurrentMemoryContext);
}

/* ---------------------------------------------------------------------
 * Plan time: clauses to condition trees
 * ---------------------------------------------------------------------
 */

typedef struct ClassifyContext
{
	RelOptInfo *baserel;
	ArxivField *fields;
	List	   *exprs;			/* value expressions, become fdw_exprs */
} ClassifyContext;

static List *translate_clause(ClassifyContext *cx, Expr *clause, bool toplevel);

static List *
make_leaf(CondTag tag, int expr_index, int arg)
{
	return list_make3(makeInteger(tag), makeInteger(expr_index),
					  makeInteger(arg));
}

static List *
make_unknown(void)
{
	return list_make1(makeInteger(CT_UNKNOWN));
}

static Expr *
strip_relabel(Expr *expr)
{
	while (expr && IsA(expr, RelabelType))
		expr = ((RelabelType *) expr)->arg;
	return expr;
}

/* The arXiv field of expr if it is a plain column of the scanned table. */
static ArxivField
column_field(ClassifyContext *cx, Expr *expr)
{
	Var		   *var = (Var *) strip_relabel(expr);

	if (var == NULL || !IsA(var, Var) || var->varno != cx->baserel->relid ||
		var->varlevelsup != 0 || var->varattno <= 0)
		return AF_NONE;
	return cx->fields[var->varattno - 1];
}

/*
 * A value that can be computed once at execution start: no column of this
 * table, nothing volatile.  (Outer columns of a join would be fine too, but
 * they only appear in join clauses, which are not classified here.)
 */
static bool
is_runtime_constant(ClassifyContext *cx, Expr *expr)
{
	return !contain_var_clause((Node *) expr) &&
		!contain_volatile_functions((Node *) expr);
}

static int
add_expr(ClassifyContext *cx, Expr *expr)
{
	cx->exprs = lappend(cx->exprs, expr);
	return list_length(cx->exprs) - 1;
}

static bool
is_text_equality(Oid opno)
{
	return get_opcode(opno) == F_TEXTEQ;
}

/* "published" compared with a timestamptz, timestamp or date */
static bool
date_operator(Oid opno, Oid righttype, DateOp *dop)
{
	char	   *name;
	Oid			lefttype;

	if (opno >= FirstNormalObjectId)
		return false;
	op_input_types(opno, &lefttype, &righttype);
	if (lefttype != TIMESTAMPTZOID ||
		(righttype != TIMESTAMPTZOID && righttype != TIMESTAMPOID &&
		 righttype != DATEOID))
		return false;
	name = get_opname(opno);
	if (name == NULL)
		return false;
	if (strcmp(name, "<") == 0)
		*dop = DOP_LT;
	else if (strcmp(name, "<=") == 0)
		*dop = DOP_LE;
	else if (strcmp(name, "=") == 0)
		*dop = DOP_EQ;
	else if (strcmp(name, ">=") == 0)
		*dop = DOP_GE;
	else if (strcmp(name, ">") == 0)
		*dop = DOP_GT;
	else
		return false;
	return true;
}

static CondTag
equality_tag(ArxivField field, bool toplevel)
{
	switch (field)
	{
		case AF_ID:
			/* ids go to id_list, which only a top-level AND can use */
			return toplevel ? CT_ID : CT_UNKNOWN;
		case AF_CATEGORY:
			return CT_CAT;
		case AF_PRIMARY_CATEGORY:
			return CT_PRIMARY;
		case AF_AUTHOR:
			return CT_AUTHOR;
		case AF_SEARCH:
			return CT_RAW;
		default:
			return CT_UNKNOWN;
	}
}

static List *
translate_opexpr(ClassifyContext *cx, OpExpr *op, bool toplevel)
{
	Expr	   *left;
	Expr	   *right;
	Oid			opno = op->opno;
	ArxivField field;
	DateOp		dop;

	if (list_length(op->args) != 2)
		return make_unknown();
	left = linitial(op->args);
	right = lsecond(op->args);
	if (column_field(cx, left) == AF_NONE)
	{
		/* value op column: use the commutator */
		Expr	   *tmp = left;

		left = right;
		right = tmp;
		opno = get_commutator(opno);
		if (!OidIsValid(opno))
			return make_unknown();
	}
	field = column_field(cx, left);
	if (field == AF_NONE || !is_runtime_constant(cx, right))
		return make_unknown();

	if (is_text_equality(opno))
	{
		CondTag		tag = equality_tag(field, toplevel);

		if (tag == CT_UNKNOWN)
			return make_unknown();
		return make_leaf(tag, add_expr(cx, right), VM_SCALAR);
	}
	if (field == AF_PUBLISHED && date_operator(opno, exprType((Node *) right), &dop))
		return lappend(make_leaf(CT_DATE, add_expr(cx, right), dop),
					   makeInteger(exprType((Node *) right)));
	return make_unknown();
}

/* column = ANY(array) and column IN (...) */
static List *
translate_saop(ClassifyContext *cx, ScalarArrayOpExpr *saop, bool toplevel)
{
	Expr	   *left = linitial(saop->args);
	Expr	   *right = lsecond(saop->args);
	ArxivField field = column_field(cx, left);
	CondTag		tag;

	if (!saop->useOr || field == AF_NONE || !is_text_equality(saop->opno) ||
		!is_runtime_constant(cx, right))
		return make_unknown();
	tag = equality_tag(field, toplevel);
	if (tag == CT_UNKNOWN || tag == CT_RAW)
		return make_unknown();
	return make_leaf(tag, add_expr(cx, right), VM_ANY);
}

static List *
translate_bool(ClassifyContext *cx, BoolExpr *b)
{
	List	   *node = list_make1(makeInteger(b->boolop == AND_EXPR ? CT_AND :
										  b->boolop == OR_EXPR ? CT_OR : CT_NOT));
	ListCell   *lc;

	foreach(lc, b->args)
	{
		List	   *child = translate_clause(cx, lfirst(lc), false);

		/* an untranslatable disjunct or negand makes the whole unknown */
		if (NODE_TAG(child) == CT_UNKNOWN && b->boolop != AND_EXPR)
			return make_unknown();
		node = lappend(node, child);
	}
	return node;
}

static List *
translate_clause(ClassifyContext *cx, Expr *clause, bool toplevel)
{
	int			nexprs = list_length(cx->exprs);
	List	   *node;

	if (IsA(clause, OpExpr))
		node = translate_opexpr(cx, (OpExpr *) clause, toplevel);
	else if (IsA(clause, ScalarArrayOpExpr))
		node = translate_saop(cx, (ScalarArrayOpExpr *) clause, toplevel);
	else if (IsA(clause, BoolExpr))
		node = translate_bool(cx, (BoolExpr *) clause);
	else
		node = make_unknown();

	/* do not keep value expressions of untranslated conditions */
	if (NODE_TAG(node) == CT_UNKNOWN)
		cx->exprs = list_truncate(cx->exprs, nexprs);
	return node;
}

/*
 * A "solid" condition always restricts the search_query: it can never
 * degrade to "everything" whatever the values, so it can carry an ANDNOT.
 */
static bool
tree_solid(List *node)
{
	ListCell   *lc;

	switch (NODE_TAG(node))
	{
		case CT_CAT:
		case CT_PRIMARY:
		case CT_AUTHOR:
		case CT_RAW:
		case CT_DATE:
			return true;
		case CT_AND:
			for_each_from(lc, node, 1)
				if (tree_solid(lfirst(lc)))
				return true;
			return false;
		case CT_OR:
			for_each_from(lc, node, 1)
				if (!tree_solid(lfirst(lc)))
				return false;
			return true;
		default:
			return false;
	}
}

/* Whether the arXiv translation selects exactly the rows SQL does. */
static bool
tree_exact(List *node)
{
	ListCell   *lc;
	bool		has_not = false;
	bool		has_solid = false;

	switch (NODE_TAG(node))
	{
		case CT_ID:
		case CT_CAT:
		case CT_AUTHOR:
		case CT_RAW:
			return true;
		case CT_NOT:
			return tree_exact(lsecond(node));
		case CT_OR:
			for_each_from(lc, node, 1)
				if (!tree_exact(lfirst(lc)))
				return false;
			return true;
		case CT_AND:
			for_each_from(lc, node, 1)
			{
				List	   *child = lfirst(lc);

				if (!tree_exact(child))
					return false;
				has_not |= NODE_TAG(child) == CT_NOT;
				has_solid |= tree_solid(child);
			}
			return !has_not || has_solid;
		default:
			return false;
	}
}

/* does the clause mention one of the filter columns? */
static bool
mentions_filter_column_walker(Node *node, ClassifyContext *cx)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var))
	{
		ArxivField field = column_field(cx, (Expr *) node);

		return field == AF_CATEGORY || field == AF_AUTHOR || field == AF_SEARCH;
	}
	return expression_tree_walker(node, mentions_filter_column_walker, cx);
}

static void
report_inexact_filter(Expr *clause)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_COLUMN_NAME),
			 errmsg("condition on an arXiv filter column cannot be sent to arXiv"),
			 errdetail("The columns \"category\", \"author\" and \"search\" only support conditions arXiv evaluates: column = value or column IN (...), combined with AND, OR and NOT with other such conditions."),
			 errhint("To filter on categories or authors in PostgreSQL, use \"categories\" or \"authors\", e.g. 'cs.OS' = ANY(categories).")));
}

/*
 * Split the restriction clauses of baserel into those sent to arXiv (as
 * condition trees, *pushed) and those PostgreSQL must evaluate (*local, as
 * RestrictInfos; this includes pushed but inexact ones).  The value
 * expressions of the trees are returned in *exprs.
 */
void
arxiv_classify_conditions(PlannerInfo *root, RelOptInfo *baserel,
						  ArxivField *fields, const char *table_query,
						  List **pushed, List **local, List **exprs)
{
	ClassifyContext cx = {baserel, fields, NIL};
	List	   *trees = NIL;
	bool		has_solid = table_query != NULL;
	ListCell   *lc;
	ListCell   *lc2;

	*pushed = NIL;
	*local = NIL;
	foreach(lc, baserel->baserestrictinfo)
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);
		List	   *tree = translate_clause(&cx, ri->clause, true);

		trees = lappend(trees, tree);
		has_solid |= tree_solid(tree);
	}

	forboth(lc, baserel->baserestrictinfo, lc2, trees)
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);
		List	   *tree = lfirst(lc2);
		bool		exact = tree_exact(tree);

		/* a top-level NOT needs a positive side to be subtracted from */
		if (NODE_TAG(tree) == CT_NOT && !has_solid)
			exact = false;
		if (NODE_TAG(tree) != CT_UNKNOWN &&
			(NODE_TAG(tree) != CT_NOT || has_solid))
			*pushed = lappend(*pushed, tree);
		if (!exact)
		{
			if (mentions_filter_column_walker((Node *) ri->clause, &cx))
				report_inexact_filter(ri->clause);
			*local = lappend(*local, ri);
		}
	}
	*exprs = cx.exprs;
}

/*
 * Whether the pushed conditions restrict the search at all: an id list, a
 * solid condition or the table's query.  Scanning all of arXiv is refused.
 */
bool
arxiv_tree_restricts(List *pushed, const char *table_query)
{
	ListCell   *lc;

	if (table_query != NULL)
		return true;
	foreach(lc, pushed)
	{
		List	   *tree = lfirst(lc);

		if (NODE_TAG(tree) == CT_ID || tree_solid(tree))
			return true;
	}
	return false;
}

/* ---------------------------------------------------------------------
 * Execution time: condition trees and values to an arXiv request
 * ---------------------------------------------------------------------
 */

typedef struct BuildContext
{
	AqArena    *arena;
	Datum	   *values;
	bool	   *isnull;
	ArxivRequest *req;
} BuildContext;

static AqNode *build_node(BuildContext *bc, List *node);

/* A text value in UTF-8, as arXiv expects. */
static char *
text_value_utf8(Datum value)
{
	char	   *s = TextDatumGetCString(value);

	return pg_server_to_any(s, strlen(s), PG_UTF8);
}

/* The non-NULL text values of a leaf: one, or the elements of an array. */
static List *
leaf_values(BuildContext *bc, List *node)
{
	int			idx = LEAF_EXPR(node);
	List	   *result = NIL;
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;

	if (bc->isnull[idx])
		return NIL;
	if (LEAF_ARG(node) == VM_SCALAR)
		return list_make1(text_value_utf8(bc->values[idx]));
	deconstruct_array(DatumGetArrayTypeP(bc->values[idx]), TEXTOID, -1,
					  false, TYPALIGN_INT, &elems, &nulls, &nelems);
	for (int i = 0; i < nelems; i++)
		if (!nulls[i])
			result = lappend(result, text_value_utf8(elems[i]));
	return result;
}

static AqNode *
build_category(BuildContext *bc, List *node, bool exact)
{
	AqNode	   *result = aq_false(bc->arena);
	ListCell   *lc;

	foreach(lc, leaf_values(bc, node))
	{
		AqNode	   *term = aq_category(bc->arena, lfirst(lc), false);

		if (!exact)
			term = aq_and(bc->arena, term, aq_true(bc->arena, false));
		result = aq_or(bc->arena, result, term);
		if (exact)
			bc->req->category_values = lappend(bc->req->category_values,
											   lfirst(lc));
	}
	return result;
}

static AqNode *
build_author(BuildContext *bc, List *node)
{
	AqNode	   *result = aq_false(bc->arena);
	ListCell   *lc;

	foreach(lc, leaf_values(bc, node))
	{
		/* a name without words names nobody */
		if (aq_count_words(lfirst(lc)) > 0)
			result = aq_or(bc->arena, result,
						   aq_words(bc->arena, "au", lfirst(lc), true));
	}
	return result;
}

static AqNode *
build_raw(BuildContext *bc, List *node)
{
	List	   *values = leaf_values(bc, node);
	const char *why;
	AqNode	   *result;

	if (values == NIL)
		return aq_false(bc->arena);
	result = aq_raw(bc->arena, linitial(values), &why);
	if (result == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid arXiv query in column \"search\": \"%s\"",
						(char *) linitial(values)),
				 errdetail("The query is not usable: %s.", why)));
	return result;
}

/* Minute bounds [lo, hi] in minutes since the PostgreSQL epoch. */
typedef struct DateRange
{
	bool		present;
	bool		empty;
	bool		has_lo;
	bool		has_hi;
	int64		lo;
	int64		hi;
} DateRange;

static int64
floor_minute(TimestampTz t)
{
	int64		m = t / USECS_PER_MINUTE;

	if (t < 0 && t % USECS_PER_MINUTE != 0)
		m--;
	return m;
}

/*
 * Narrow range by "published dop value", widened to whole minutes with a
 * minute of slack on each side: arXiv compares at minute precision and
 * whether its bounds are inclusive is not documented.
 */
static void
add_date_bound(DateRange *range, DateOp dop, Datum value, Oid type)
{
	TimestampTz t;
	int64		m;

	range->present = true;
	if (type == DATEOID)
		t = DatumGetTimestampTz(DirectFunctionCall1(date_timestamptz, value));
	else if (type == TIMESTAMPOID)
		t = DatumGetTimestampTz(DirectFunctionCall1(timestamp_timestamptz,
													value));
	else
		t = DatumGetTimestampTz(value);

	if (TIMESTAMP_NOT_FINITE(t))
	{
		bool		pos = TIMESTAMP_IS_NOEND(t);

		/* published < infinity restricts nothing; > infinity matches none */
		if ((dop == DOP_LT || dop == DOP_LE) ? !pos :
			(dop == DOP_GT || dop == DOP_GE) ? pos : true)
			range->empty = true;
		return;
	}
	m = floor_minute(t);
	if (dop != DOP_LT && dop != DOP_LE)
	{
		if (!range->has_lo || m - 1 > range->lo)
			range->lo = m - 1;
		range->has_lo = true;
	}
	if (dop != DOP_GT && dop != DOP_GE)
	{
		if (!range->has_hi || m + 1 < range->hi)
			range->hi = m + 1;
		range->has_hi = true;
	}
}

static void
format_minute(int64 minutes, char *buf, const char *fallback)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (timestamp2tm(minutes * USECS_PER_MINUTE, NULL, &tm, &fsec, NULL, NULL) != 0 ||
		tm.tm_year < 1980 || tm.tm_year > 9999)
	{
		strcpy(buf, fallback);
		return;
	}
	snprintf(buf, 13, "%04d%02d%02d%02d%02d", tm.tm_year, tm.tm_mon,
			 tm.tm_mday, tm.tm_hour, tm.tm_min);
}

static AqNode *
build_date_range(BuildContext *bc, DateRange *range)
{
	char		lo[13];
	char		hi[13];

	if (range->empty)
		return aq_false(bc->arena);
	strcpy(lo, MIN_DATE);
	strcpy(hi, MAX_DATE);
	if (range->has_lo)
		format_minute(range->lo, lo, range->lo < 0 ? MIN_DATE : MAX_DATE);
	if (range->has_hi)
		format_minute(range->hi, hi, range->hi < 0 ? MIN_DATE : MAX_DATE);
	if (range->has_hi && range->has_lo && range->hi < range->lo)
		return aq_false(bc->arena);
	return aq_date_range(bc->arena, lo, hi, false);
}

/*
 * AND: positive children are ANDed, NOT children ORed and subtracted with
 * ANDNOT; date comparisons merge into one submittedDate range.
 */
static AqNode *
build_and(BuildContext *bc, List *children)
{
	AqNode	   *pos = aq_true(bc->arena, true);
	AqNode	   *neg = aq_false(bc->arena);
	bool		has_neg = false;
	DateRange	range = {0};
	ListCell   *lc;

	foreach(lc, children)
	{
		List	   *child = lfirst(lc);

		switch (NODE_TAG(child))
		{
			case CT_DATE:
				add_date_bound(&range, (DateOp) LEAF_ARG(child),
							   bc->values[LEAF_EXPR(child)], DATE_TYPE(child));
				if (bc->isnull[LEAF_EXPR(child)])
					range.empty = true;
				break;
			case CT_NOT:
				neg = aq_or(bc->arena, neg, build_node(bc, lsecond(child)));
				has_neg = true;
				break;
			case CT_ID:
				/* handled by the caller, in id_list */
				break;
			default:
				pos = aq_and(bc->arena, pos, build_node(bc, child));
				break;
		}
	}
	if (range.present)
		pos = aq_and(bc->arena, pos, build_date_range(bc, &range));
	return has_neg ? aq_andnot(bc->arena, pos, neg) : pos;
}

static AqNode *
build_node(BuildContext *bc, List *node)
{
	AqNode	   *result = NULL;
	ListCell   *lc;

	switch (NODE_TAG(node))
	{
		case CT_UNKNOWN:
		case CT_ID:
			return aq_true(bc->arena, false);
		case CT_CAT:
			return build_category(bc, node, true);
		case CT_PRIMARY:
			return build_category(bc, node, false);
		case CT_AUTHOR:
			return build_author(bc, node);
		case CT_RAW:
			return build_raw(bc, node);
		case CT_DATE:
		case CT_AND:
			return build_and(bc, NODE_TAG(node) == CT_AND
							 ? list_copy_tail(node, 1) : list_make1(node));
		case CT_OR:
			result = aq_false(bc->arena);
			for_each_from(lc, node, 1)
				result = aq_or(bc->arena, result, build_node(bc, lfirst(lc)));
			return result;
		case CT_NOT:
			/* NOT without a positive side: not expressible */
			return aq_true(bc->arena, false);
	}
	return result;
}

/* Intersect the id sets of the top-level id conditions into req->ids. */
static void
collect_ids(BuildContext *bc, List *pushed)
{
	ListCell   *lc;
	List	   *ids = NIL;
	bool		first = true;

	foreach(lc, pushed)
	{
		List	   *tree = lfirst(lc);
		List	   *these = NIL;
		ListCell   *lc2;

		if (NODE_TAG(tree) != CT_ID)
			continue;
		/* ids outside arXiv's grammar match nothing and are not sent */
		foreach(lc2, leaf_values(bc, tree))
			if (aq_valid_id(lfirst(lc2), true) &&
				!list_member(these, makeString(lfirst(lc2))))
				these = lappend(these, makeString(lfirst(lc2)));
		if (first)
			ids = these;
		else
		{
			List	   *both = NIL;

			foreach(lc2, ids)
				if (list_member(these, lfirst(lc2)))
				both = lappend(both, lfirst(lc2));
			ids = both;
		}
		first = false;
		bc->req->has_ids = true;
	}
	foreach(lc, ids)
		bc->req->ids = lappend(bc->req->ids, strVal(lfirst(lc)));
	if (bc->req->has_ids && bc->req->ids == NIL)
		bc->req->impossible = true;
}

/* the constant of a top-level "column = constant" on a filter column */
static char *
toplevel_value(BuildContext *bc, List *pushed, CondTag tag)
{
	ListCell   *lc;

	foreach(lc, pushed)
	{
		List	   *tree = lfirst(lc);

		if (NODE_TAG(tree) == tag && LEAF_ARG(tree) == VM_SCALAR &&
			!bc->isnull[LEAF_EXPR(tree)])
			return TextDatumGetCString(bc->values[LEAF_EXPR(tree)]);
	}
	return NULL;
}

/*
 * Build the request of a scan from the pushed condition trees, the values
 * of their expressions and the table's query.  Allocates in the current
 * memory context; throws for invalid raw queries.
 */
void
arxiv_build_request(List *pushed, Datum *values, bool *isnull,
					const char *table_query, ArxivRequest *req)
{
	BuildContext bc;
	AqNode	   *root;
	const char *why;

	memset(req, 0, sizeof(ArxivRequest));
	bc.arena = arxiv_aq_arena();
	bc.values = values;
	bc.isnull = isnull;
	bc.req = req;

	collect_ids(&bc, pushed);
	root = build_and(&bc, pushed);
	if (table_query != NULL)
	{
		AqNode	   *q = aq_raw(bc.arena, table_query, &why);

		if (q == NULL)			/* the validator should have caught it */
			elog(ERROR, "invalid table query \"%s\": %s", table_query, why);
		root = aq_and(bc.arena, q, root);
	}
	if (root->kind == AQ_FALSE)
		req->impossible = true;
	else if (root->kind != AQ_TRUE)
		req->search_query = pstrdup(aq_serialize(bc.arena, root));

	req->author_value = toplevel_value(&bc, pushed, CT_AUTHOR);
	req->search_value = toplevel_value(&bc, pushed, CT_RAW);
}

static void
append_param(StringInfo buf, AqArena *arena, const char *name, const char *value)
{
	appendStringInfo(buf, "%s%s=%s", buf->len > 0 ? "&" : "", name,
					 aq_urlencode(arena, value));
}

/*
 * The URL of one page of the request.  When the parameters would make the
 * URL too long (long id lists), they are returned in *postfields to be sent
 * as a form body and the bare base URL is returned.
 */
char *
arxiv_request_url(const ArxivRequest *req, const char *base_url, long start,
				  int max_results, char **postfields)
{
	AqArena    *arena = arxiv_aq_arena();
	StringInfoData params;
	StringInfoData url;

	initStringInfo(&params);
	if (req->search_query)
		append_param(&params, arena, "search_query", req->search_query);
	if (req->ids != NIL)
	{
		StringInfoData ids;
		ListCell   *lc;

		initStringInfo(&ids);
		foreach(lc, req->ids)
			appendStringInfo(&ids, "%s%s", ids.len > 0 ? "," : "",
							 (char *) lfirst(lc));
		append_param(&params, arena, "id_list", ids.data);
	}
	if (req->sort_by)
	{
		append_param(&params, arena, "sortBy", req->sort_by);
		append_param(&params, arena, "sortOrder", req->sort_order);
	}
	appendStringInfo(&params, "&start=%ld&max_results=%d", start, max_results);

	initStringInfo(&url);
	appendStringInfoString(&url, base_url);
	*postfields = NULL;
	if (strlen(base_url) + 1 + params.len > ARXIV_MAX_GET_URL)
		*postfields = params.data;
	else
		appendStringInfo(&url, "?%s", params.data);
	aq_arena_destroy(arena);
	return url.data;
}

/* ---------------------------------------------------------------------
 * EXPLAIN
 * ---------------------------------------------------------------------
 */

/*
 * The pushed conditions as SQL text, for EXPLAIN when the values are only
 * known at execution.
 */
char *
arxiv_describe_tree(List *pushed, List *exprs, List *dpcontext)
{
	StringInfoData buf;
	ListCell   *lc;
	int			i = 0;

	initStringInfo(&buf);
	foreach(lc, exprs)
	{
		appendStringInfo(&buf, "%s%s", i > 0 ? ", " : "",
						 deparse_expression(lfirst(lc), dpcontext, false, false));
		i++;
	}
	return buf.data;
}
