/*-------------------------------------------------------------------------
 *
 * deparse.c
 *	  Which WHERE conditions go to arXiv: the plan-time analysis of the
 *	  quals into condition trees (condtree.h), and which of them PostgreSQL
 *	  must still check.  request.c builds the request from the trees.
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
 *		exact is judged by the request builder over the values known then
 *		(the others being placeholders that assume the least exact outcome);
 *		what only the values can decide (does the request restrict the
 *		search, is an unrecheckable filter-column condition exact) is decided
 *		again at execution start, with the same builder and the same errors.
 *	 2. At execution start the trees are turned into an arXiv query by
 *		request.c, through query.c, which escapes every value (see query.h).
 *
 * The filter columns "category", "author" and "search" have no SQL meaning
 * of their own: a condition on them means what arXiv makes of it.  So such a
 * condition must be pushed exactly; one that cannot be is an error rather
 * than a silently different result.  The exception is "category", which
 * PostgreSQL can check as "x = ANY (categories)" (with SQL's NULLs), and
 * LIKE/ILIKE with the extension's categories_like(): values arXiv's cat:
 * cannot search (ACM/MSC classes) are checked that way.
 *
 *-------------------------------------------------------------------------
 */
#include "arxiv_fdw.h"
#include "condtree.h"

#include <ctype.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_proc.h"
#include "commands/extension.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"

/* text ~>~ text (text_pattern_gt), a pinned catalog OID */
#define TEXT_PATTERN_GT_OP 2318

static void *
palloc_cb(void *arg, size_t size)
{
	return MemoryContextAlloc((MemoryContext) arg, size);
}

static void
pfree_cb(void *arg pg_attribute_unused(), void *ptr)
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
 * Words of LIKE and regular-expression patterns
 * ---------------------------------------------------------------------
 */

/*
 * Words arXiv is likely to drop from its index: searching for one could
 * match nothing, so they are never pushed.
 */
static bool
is_stop_word(const char *w, int len)
{
	static const char *const stop[] = {
		"a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if",
		"in", "into", "is", "it", "no", "not", "of", "on", "or", "such",
		"that", "the", "their", "then", "there", "these", "they", "this",
		"to", "was", "will", "with", NULL
	};

	if (len < 2)
		return true;
	for (int i = 0; stop[i]; i++)
		if ((int) strlen(stop[i]) == len && pg_strncasecmp(stop[i], w, len) == 0)
			return true;
	return false;
}

static bool
is_word_char(unsigned char c)
{
	return isalnum(c) || c >= 0x80;
}

/*
 * The words of a pattern that must appear whole in every matching string.
 * The pattern is first reduced to a string of literal characters, with
 * '\x01' standing for any wildcard (which may extend a word, so it is not a
 * word boundary) and '\x02' for a certain boundary.  LIKE is anchored, so
 * its ends are boundaries; a regular expression is not, except for \m \M \y
 * and literal spaces.  Conservative: whatever is not understood is a
 * wildcard.  A regular expression gives words only when every match must
 * contain each literal character: no alternation, groups, brackets, bounds
 * or director prefix ("***="), and a quantified character is a wildcard.
 */
List *
arxiv_pattern_words(const char *pattern, ValueMode mode)
{
	StringInfoData lit;
	List	   *words = NIL;
	bool		like = (mode == VM_LIKE || mode == VM_ILIKE);

	if (!like && (strpbrk(pattern, "|()[]{}") != NULL ||
				  strncmp(pattern, "***", 3) == 0))
		return NIL;
	initStringInfo(&lit);
	appendStringInfoChar(&lit, like ? '\x02' : '\x01');
	for (const char *p = pattern; *p; p++)
	{
		if (like)
		{
			if (*p == '%' || *p == '_')
				appendStringInfoChar(&lit, '\x01');
			else if (*p == '\\' && p[1])
				appendStringInfoChar(&lit, *++p);
			else
				appendStringInfoChar(&lit, *p);
		}
		else if (*p == '\\' && p[1])
		{
			p++;
			if (*p == 'm' || *p == 'M' || *p == 'y' || *p == 's')
				appendStringInfoChar(&lit, '\x02');
			else if (isalnum((unsigned char) *p))
				appendStringInfoChar(&lit, '\x01');	/* \d, \w... */
			else
				appendStringInfoChar(&lit, *p);
		}
		else if (strchr("*+?", *p))
		{
			/* the quantified character may be absent or repeated */
			lit.data[lit.len - 1] = '\x01';
			appendStringInfoChar(&lit, '\x01');
		}
		else if (strchr(".^$", *p))
			appendStringInfoChar(&lit, '\x01');
		else
			appendStringInfoChar(&lit, *p);
	}
	appendStringInfoChar(&lit, like ? '\x02' : '\x01');

	/* a word counts when a non-wildcard non-word character bounds it */
	for (int i = 1; i < lit.len;)
	{
		int			start = i;

		if (!is_word_char((unsigned char) lit.data[i]))
		{
			i++;
			continue;
		}
		while (i < lit.len && is_word_char((unsigned char) lit.data[i]))
			i++;
		if (lit.data[start - 1] != '\x01' && lit.data[i] != '\x01' &&
			!is_stop_word(lit.data + start, i - start))
			words = lappend(words, pnstrdup(lit.data + start, i - start));
	}
	return words;
}

/* ---------------------------------------------------------------------
 * Plan time: clauses to condition trees
 * ---------------------------------------------------------------------
 */

typedef struct ClassifyContext
{
	RelOptInfo *baserel;
	ArxivField *fields;
	bool		allow_outer;	/* join clauses: outer columns are values */
	List	   *exprs;			/* value expressions, become fdw_exprs */
} ClassifyContext;

static List *translate_clause(ClassifyContext *cx, Expr *clause, bool toplevel);
static List *translate_opexpr(ClassifyContext *cx, OpExpr *op, bool toplevel);

static List *
make_leaf(ClassifyContext *cx, CondTag tag, Expr *value, ValueMode mode,
		  int flags, int extra)
{
	cx->exprs = lappend(cx->exprs, value);
	return list_make5(makeInteger(tag), makeInteger(list_length(cx->exprs) - 1),
					  makeInteger(mode), makeInteger(flags), makeInteger(extra));
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
 * A value that can be computed once at execution start (or, for join
 * clauses, once per outer row): no column of this table, nothing volatile.
 */
static bool
is_runtime_constant(ClassifyContext *cx, Expr *expr)
{
	if (contain_volatile_functions((Node *) expr))
		return false;
	if (cx->allow_outer)
		return !bms_is_member(cx->baserel->relid, pull_varnos(NULL, (Node *) expr));
	return !contain_var_clause((Node *) expr);
}

/* the text value of a Const, or NULL */
static char *
const_text(Expr *expr)
{
	Const	   *c = (Const *) strip_relabel(expr);

	if (c == NULL || !IsA(c, Const) || c->constisnull ||
		(c->consttype != TEXTOID && c->consttype != VARCHAROID &&
		 c->consttype != BPCHAROID))
		return NULL;
	return TextDatumGetCString(c->constvalue);
}

/* the non-NULL text elements of a Const array, or NIL (not a Const) */
static List *
const_text_array(Expr *expr, bool *is_const)
{
	Const	   *c = (Const *) strip_relabel(expr);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	List	   *result = NIL;

	*is_const = false;
	if (c == NULL || !IsA(c, Const) || c->constisnull || c->consttype != TEXTARRAYOID)
		return NIL;
	*is_const = true;
	deconstruct_array(DatumGetArrayTypeP(c->constvalue), TEXTOID, -1, false,
					  TYPALIGN_INT, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
		if (!nulls[i])
			result = lappend(result, TextDatumGetCString(elems[i]));
	return result;
}

/*
 * Whether a leaf's value is known at plan time to produce a real
 * restriction: a Const whose values all pass the test (a valid category, a
 * name with words).  Such a leaf is "solid" (see tree_solid).
 */
static bool
values_known_and(Expr *value, ValueMode mode, bool (*test) (const char *))
{
	List	   *vals;
	bool		is_const;
	ListCell   *lc;

	if (mode == VM_SCALAR)
	{
		char	   *v = const_text(value);

		return v != NULL && test(v);
	}
	vals = const_text_array(value, &is_const);
	if (!is_const || vals == NIL)
		return false;
	foreach(lc, vals)
		if (!test(lfirst(lc)))
		return false;
	return true;
}

static bool
has_words(const char *value)
{
	return aq_count_words(value) > 0;
}

static bool
categories_solid(Expr *value, ValueMode mode)
{
	return values_known_and(value, mode, aq_valid_category);
}

static bool
authors_solid(Expr *value, ValueMode mode)
{
	return values_known_and(value, mode, has_words);
}

/* 'archive.%': the only LIKE the category filter column takes */
bool
arxiv_category_prefix_pattern(const char *pattern)
{
	size_t		len = strlen(pattern);
	char	   *archive;

	if (len < 3 || pattern[len - 1] != '%' || pattern[len - 2] != '.')
		return false;
	archive = pnstrdup(pattern, len - 2);
	return aq_valid_category(archive) && strchr(archive, '.') == NULL;
}

static bool
is_text_equality(Oid opno)
{
	return get_opcode(opno) == F_TEXTEQ;
}

/* "published" or "updated" compared with a timestamptz, timestamp or date */
static bool
date_operator(Oid opno, DateOp *dop)
{
	char	   *name;
	Oid			lefttype;
	Oid			righttype;

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

/* LIKE, ILIKE, ~, ~* on text: the pattern mode, or -1 */
static int
pattern_mode(Oid opno)
{
	switch (get_opcode(opno))
	{
		case F_TEXTLIKE:
			return VM_LIKE;
		case F_TEXTICLIKE:
			return VM_ILIKE;
		case F_TEXTREGEXEQ:
		case F_TEXTICREGEXEQ:
			return VM_REGEX;
	}
	return -1;
}

/* column = value */
static List *
translate_equality(ClassifyContext *cx, ArxivField field, Expr *value,
				   bool toplevel)
{
	switch (field)
	{
		case AF_ID:
			/* ids go to id_list, which only the top-level AND can use */
			if (toplevel)
				return make_leaf(cx, CT_ID, value, VM_SCALAR, LF_EXACT, 0);
			break;
		case AF_CATEGORY:
			return make_leaf(cx, CT_CAT, value, VM_SCALAR,
							 LF_EXACT | (categories_solid(value, VM_SCALAR) ? LF_SOLID : 0), 0);
		case AF_PRIMARY_CATEGORY:
			return make_leaf(cx, CT_CAT, value, VM_SCALAR,
							 categories_solid(value, VM_SCALAR) ? LF_SOLID : 0, 0);
		case AF_AUTHOR:
			return make_leaf(cx, CT_AUTHOR, value, VM_SCALAR,
							 LF_EXACT | LF_SOLID, 0);
		case AF_SEARCH:
			return make_leaf(cx, CT_RAW, value, VM_SCALAR, LF_EXACT | LF_SOLID, 0);
		default:
			break;
	}
	return make_unknown();
}

/*
 * The operands of a binary operator as column op value, with the
 * commutator if it was written value op column; false unless one side is
 * a column with a field and the other a value known when the scan starts.
 */
static bool
column_first(ClassifyContext *cx, OpExpr *op, Expr **left, Expr **right,
			 Oid *opno)
{
	if (list_length(op->args) != 2)
		return false;
	*left = linitial(op->args);
	*right = lsecond(op->args);
	*opno = op->opno;
	if (column_field(cx, *left) == AF_NONE)
	{
		Expr	   *tmp = *left;

		*left = *right;
		*right = tmp;
		*opno = get_commutator(*opno);
		if (!OidIsValid(*opno))
			return false;
	}
	return column_field(cx, *left) != AF_NONE && is_runtime_constant(cx, *right);
}

/* column LIKE/ILIKE/~/~* value (and category NOT LIKE), as arXiv can take them */
static List *
translate_pattern(ClassifyContext *cx, OpExpr *op, ArxivField field, Oid opno,
				  Expr *left, Expr *right)
{
	int			pmode;

	if (field == AF_CATEGORY && get_opcode(opno) == F_TEXTNLIKE &&
		OidIsValid(get_negator(opno)))
	{
		/* category NOT LIKE p: NOT (category LIKE p) */
		OpExpr		pos = *op;
		List	   *like;

		pos.opno = get_negator(opno);
		pos.opfuncid = InvalidOid;
		pos.args = list_make2(left, right);
		like = translate_opexpr(cx, &pos, false);
		if (NODE_TAG(like) == CT_UNKNOWN)
			return like;
		return list_make2(makeInteger(CT_NOT), like);
	}
	pmode = pattern_mode(opno);
	if (pmode < 0)
		return make_unknown();
	if (field == AF_CATEGORY || field == AF_PRIMARY_CATEGORY)
	{
		/*
		 * Only 'archive.%'.  A pattern known only at execution is judged then
		 * (see category_term in request.c): it is not solid, and a
		 * "category" LIKE is refused then unless the pattern is 'archive.%'
		 * (or NULL).
		 */
		char	   *pattern = const_text(right);
		bool		is_const = IsA(strip_relabel(right), Const);

		if (pmode != VM_LIKE ||
			(is_const && (pattern == NULL || !arxiv_category_prefix_pattern(pattern))) ||
			(!is_const && field != AF_CATEGORY))
			return make_unknown();
		return make_leaf(cx, CT_CAT, right, VM_PREFIX,
						 (field == AF_CATEGORY ? LF_EXACT : 0) |
						 (is_const ? LF_SOLID : 0), 0);
	}
	if (field == AF_TITLE || field == AF_ABSTRACT || field == AF_COMMENT ||
		field == AF_JOURNAL_REF)
	{
		char	   *pattern = const_text(right);
		bool		solid = pattern != NULL &&
			arxiv_pattern_words(pattern, (ValueMode) pmode) != NIL;

		return make_leaf(cx, CT_TEXT, right, (ValueMode) pmode,
						 solid ? LF_SOLID : 0, field);
	}
	return make_unknown();
}

static List *
translate_opexpr(ClassifyContext *cx, OpExpr *op, bool toplevel)
{
	Expr	   *left;
	Expr	   *right;
	Oid			opno;
	ArxivField field;
	DateOp		dop;

	if (!column_first(cx, op, &left, &right, &opno))
		return make_unknown();
	field = column_field(cx, left);

	if (is_text_equality(opno))
		return translate_equality(cx, field, right, toplevel);
	if (get_opcode(opno) == F_TEXTNE)
	{
		/* the planner writes NOT (a = b) as a <> b */
		List	   *eq = translate_equality(cx, field, right, false);

		if (NODE_TAG(eq) == CT_UNKNOWN)
			return eq;
		return list_make2(makeInteger(CT_NOT), eq);
	}

	if ((field == AF_PUBLISHED || (field == AF_UPDATED && toplevel)) &&
		date_operator(opno, &dop))
		return lappend(make_leaf(cx, field == AF_PUBLISHED ? CT_DATE : CT_UPDATED,
								 right, VM_SCALAR,
								 field == AF_PUBLISHED ? LF_SOLID : 0, dop),
					   makeInteger(exprType((Node *) right)));

	if (field == AF_VERSION && toplevel && get_opcode(opno) == F_INT4EQ)
		return make_leaf(cx, CT_VERSION, right, VM_SCALAR, LF_EXACT, 0);

	return translate_pattern(cx, op, field, opno, left, right);
}

/*
 * value = ANY(column) for the array columns; column = ANY(array) and
 * column IN (...) for the scalar ones.
 */
static List *
translate_saop(ClassifyContext *cx, ScalarArrayOpExpr *saop, bool toplevel)
{
	Expr	   *left = linitial(saop->args);
	Expr	   *right = lsecond(saop->args);
	ArxivField field = column_field(cx, left);
	List	   *leaf;

	/* x <> ALL (...), the planner's NOT (x = ANY (...)) */
	if (!saop->useOr && get_opcode(saop->opno) == F_TEXTNE)
	{
		ScalarArrayOpExpr pos = *saop;

		pos.opno = get_negator(saop->opno);
		pos.useOr = true;
		leaf = translate_saop(cx, &pos, false);
		if (NODE_TAG(leaf) == CT_UNKNOWN)
			return leaf;
		return list_make2(makeInteger(CT_NOT), leaf);
	}
	if (!saop->useOr || !is_text_equality(saop->opno))
		return make_unknown();
	if (field == AF_NONE)
	{
		/* 'x' = ANY(categories) / 'Name' = ANY(authors) */
		field = column_field(cx, right);
		if (!is_runtime_constant(cx, left))
			return make_unknown();
		if (field == AF_CATEGORIES)
			return make_leaf(cx, CT_CAT, left, VM_SCALAR,
							 categories_solid(left, VM_SCALAR) ? LF_SOLID : 0, 0);
		if (field == AF_AUTHORS)
			return make_leaf(cx, CT_AUTHOR, left, VM_SCALAR,
							 authors_solid(left, VM_SCALAR) ? LF_SOLID : 0, 0);
		return make_unknown();
	}
	if (!is_runtime_constant(cx, right))
		return make_unknown();
	switch (field)
	{
		case AF_ID:
			if (toplevel)
				return make_leaf(cx, CT_ID, right, VM_ANY, LF_EXACT, 0);
			break;
		case AF_CATEGORY:
			return make_leaf(cx, CT_CAT, right, VM_ANY,
							 LF_EXACT | (categories_solid(right, VM_ANY) ? LF_SOLID : 0), 0);
		case AF_PRIMARY_CATEGORY:
			return make_leaf(cx, CT_CAT, right, VM_ANY,
							 categories_solid(right, VM_ANY) ? LF_SOLID : 0, 0);
		case AF_AUTHOR:
			return make_leaf(cx, CT_AUTHOR, right, VM_ANY, LF_EXACT | LF_SOLID, 0);
		default:
			break;
	}
	return make_unknown();
}

/* categories @> / && array, authors @> array */
static List *
translate_array_op(ClassifyContext *cx, OpExpr *op)
{
	Expr	   *left = linitial(op->args);
	Expr	   *right = lsecond(op->args);
	ArxivField field = column_field(cx, left);
	Oid			func = get_opcode(op->opno);
	ValueMode	mode;

	if (func == F_ARRAYCONTAINS)
		mode = VM_ALL;
	else if (func == F_ARRAYOVERLAP)
		mode = VM_OVERLAP;
	else
		return NULL;
	if (field == AF_NONE || !is_runtime_constant(cx, right) ||
		exprType((Node *) right) != TEXTARRAYOID)
		return make_unknown();
	if (field == AF_CATEGORIES)
		return make_leaf(cx, CT_CAT, right, mode,
						 categories_solid(right, mode) ? LF_SOLID : 0, 0);
	if (field == AF_AUTHORS && mode == VM_ALL)
		return make_leaf(cx, CT_AUTHOR, right, mode,
						 authors_solid(right, mode) ? LF_SOLID : 0, 0);
	return make_unknown();
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
	List	   *node = NULL;

	if (IsA(clause, OpExpr))
	{
		node = translate_array_op(cx, (OpExpr *) clause);
		if (node == NULL)
			node = translate_opexpr(cx, (OpExpr *) clause, toplevel);
	}
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

/*
 * Local rechecks of the "category" filter column: "category = x" means
 * "x = ANY (categories)" and "category LIKE p" means "some element of
 * categories is LIKE p" (categories_like), so a clause PostgreSQL must
 * evaluate is rewritten in terms of the real column.  Other uses of a
 * filter column cannot be evaluated locally: *failed is set.
 */
typedef struct RewriteContext
{
	ClassifyContext *cx;
	AttrNumber	categories_attno;
	bool		failed;
} RewriteContext;

static Node *rewrite_filter_mutator(Node *node, RewriteContext *rc);

static Var *
categories_var(RewriteContext *rc)
{
	return makeVar(rc->cx->baserel->relid, rc->categories_attno, TEXTARRAYOID,
				   -1, DEFAULT_COLLATION_OID, 0);
}

/* arg IS NULL */
static Expr *
null_test(Expr *arg)
{
	NullTest   *nt = makeNode(NullTest);

	nt->arg = arg;
	nt->nulltesttype = IS_NULL;
	nt->argisrow = false;
	nt->location = -1;
	return (Expr *) nt;
}

/*
 * "category = ANY (arr)" for PostgreSQL, with SQL's NULL semantics: each
 * element e means "e = ANY (categories)", so the whole is TRUE if some
 * non-NULL element is listed in categories, else NULL if arr has a NULL
 * element (or arr or categories is NULL), else FALSE:
 *
 *	 CASE WHEN categories && arr THEN true
 *		  WHEN categories IS NULL OR ('' ~>~ ANY (arr)) IS NULL THEN NULL
 *		  ELSE false END
 *
 * arr appears three times, so a volatile one is refused (NULL).
 */
static Node *
category_any_expr(RewriteContext *rc, Expr *arr)
{
	Expr	   *overlap;
	Expr	   *has_null;
	Expr	   *unknown;
	ScalarArrayOpExpr *probe;
	CaseExpr   *ce = makeNode(CaseExpr);
	CaseWhen   *w1 = makeNode(CaseWhen);
	CaseWhen   *w2 = makeNode(CaseWhen);

	if (contain_volatile_functions((Node *) arr) ||
		exprType((Node *) arr) != TEXTARRAYOID)
		return NULL;
	overlap = make_opclause(OID_ARRAY_OVERLAP_OP, BOOLOID, false,
							(Expr *) categories_var(rc), copyObject(arr),
							InvalidOid, DEFAULT_COLLATION_OID);
	set_opfuncid((OpExpr *) overlap);

	/* '' ~>~ ANY (arr) is never true: NULL iff arr is NULL or has a NULL */
	probe = makeNode(ScalarArrayOpExpr);
	probe->opno = TEXT_PATTERN_GT_OP;
	probe->opfuncid = F_TEXT_PATTERN_GT;
	probe->useOr = true;
	probe->inputcollid = DEFAULT_COLLATION_OID;
	probe->args = list_make2(makeConst(TEXTOID, -1, DEFAULT_COLLATION_OID, -1,
									   CStringGetTextDatum(""), false, false),
							 copyObject(arr));
	probe->location = -1;
	has_null = null_test((Expr *) probe);

	unknown = makeBoolExpr(OR_EXPR,
						   list_make2(null_test((Expr *) categories_var(rc)),
									  has_null), -1);

	w1->expr = overlap;
	w1->result = (Expr *) makeBoolConst(true, false);
	w1->location = -1;
	w2->expr = unknown;
	w2->result = (Expr *) makeBoolConst(false, true);
	w2->location = -1;
	ce->casetype = BOOLOID;
	ce->casecollid = InvalidOid;
	ce->arg = NULL;
	ce->args = list_make2(w1, w2);
	ce->defresult = (Expr *) makeBoolConst(false, false);
	ce->location = -1;
	return (Node *) ce;
}

/*
 * The extension's categories_like(text[], text, boolean), looked up in the
 * extension's own schema (never through search_path); InvalidOid if absent.
 * The catalog is read directly: a name lookup would require USAGE on the
 * schema from the user running the query.
 */
static Oid
categories_like_oid(void)
{
	Oid			extoid = get_extension_oid("arxiv_fdw", true);
	Oid			nsp = InvalidOid;
	Oid			argtypes[3] = {TEXTARRAYOID, TEXTOID, BOOLOID};
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;

	if (!OidIsValid(extoid))
		return InvalidOid;
	/* the extension's schema (get_extension_schema is static before 16) */
	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(extoid));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
		nsp = ((Form_pg_extension) GETSTRUCT(tuple))->extnamespace;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (!OidIsValid(nsp))
		return InvalidOid;
	return GetSysCacheOid3(PROCNAMEARGSNSP, Anum_pg_proc_oid,
						   CStringGetDatum("categories_like"),
						   PointerGetDatum(buildoidvector(argtypes, 3)),
						   ObjectIdGetDatum(nsp));
}

/*
 * "category [NOT] [I]LIKE pattern": categories_like(categories, pattern,
 * ilike) with the operator's collation, negated for NOT LIKE.  NULL when
 * the function cannot be found.
 */
static Node *
category_like_expr(RewriteContext *rc, OpExpr *op, Oid func)
{
	bool		ilike = (func == F_TEXTICLIKE || func == F_TEXTICNLIKE);
	bool		negated = (func == F_TEXTNLIKE || func == F_TEXTICNLIKE);
	Oid			funcoid = categories_like_oid();
	Expr	   *call;

	if (!OidIsValid(funcoid))
		return NULL;
	call = (Expr *) makeFuncExpr(funcoid, BOOLOID,
								 list_make3(categories_var(rc),
											rewrite_filter_mutator(lsecond(op->args), rc),
											makeBoolConst(ilike, false)),
								 InvalidOid, op->inputcollid,
								 COERCE_EXPLICIT_CALL);
	return negated ? (Node *) makeBoolExpr(NOT_EXPR, list_make1(call), -1) :
		(Node *) call;
}

static Node *
rewrite_filter_mutator(Node *node, RewriteContext *rc)
{
	if (node == NULL)
		return NULL;
	if (IsA(node, OpExpr) && list_length(((OpExpr *) node)->args) == 2)
	{
		OpExpr	   *op = (OpExpr *) node;
		Oid			func = get_opcode(op->opno);
		Expr	   *l = linitial(op->args);
		Expr	   *r = lsecond(op->args);

		/* category LIKE pattern (the column must be the string matched) */
		if ((func == F_TEXTLIKE || func == F_TEXTNLIKE ||
			 func == F_TEXTICLIKE || func == F_TEXTICNLIKE) &&
			column_field(rc->cx, l) == AF_CATEGORY && rc->categories_attno > 0)
		{
			Node	   *like = category_like_expr(rc, op, func);

			if (like == NULL)
			{
				rc->failed = true;
				return node;
			}
			return like;
		}
		if (column_field(rc->cx, r) == AF_CATEGORY)
		{
			Expr	   *tmp = l;

			l = r;
			r = tmp;
		}
		if ((func == F_TEXTEQ || func == F_TEXTNE) &&
			column_field(rc->cx, l) == AF_CATEGORY && rc->categories_attno > 0)
		{
			ScalarArrayOpExpr *saop = makeNode(ScalarArrayOpExpr);

			saop->opno = TextEqualOperator;
			saop->opfuncid = F_TEXTEQ;
			saop->useOr = true;
			saop->inputcollid = DEFAULT_COLLATION_OID;
			saop->args = list_make2(rewrite_filter_mutator((Node *) r, rc),
									categories_var(rc));
			saop->location = -1;
			return func == F_TEXTEQ ? (Node *) saop :
				(Node *) makeBoolExpr(NOT_EXPR, list_make1(saop), -1);
		}
	}
	if (IsA(node, ScalarArrayOpExpr))
	{
		ScalarArrayOpExpr *saop = (ScalarArrayOpExpr *) node;
		Oid			func = get_opcode(saop->opno);

		if (column_field(rc->cx, linitial(saop->args)) == AF_CATEGORY &&
			rc->categories_attno > 0 &&
			((saop->useOr && func == F_TEXTEQ) || (!saop->useOr && func == F_TEXTNE)))
		{
			Node	   *any = category_any_expr(rc, (Expr *) rewrite_filter_mutator(lsecond(saop->args), rc));

			if (any == NULL)
			{
				rc->failed = true;
				return node;
			}
			return saop->useOr ? any : (Node *) makeBoolExpr(NOT_EXPR, list_make1(any), -1);
		}
	}
	if (IsA(node, Var))
	{
		ArxivField field = column_field(rc->cx, (Expr *) node);

		if (field == AF_CATEGORY || field == AF_AUTHOR || field == AF_SEARCH)
			rc->failed = true;
		return node;
	}
	return expression_tree_mutator(node, rewrite_filter_mutator, rc);
}

/*
 * categories_like(categories text[], pattern text, ilike boolean): the local
 * form of "category LIKE pattern" (ILIKE if ilike), with SQL's NULLs as for
 * pattern LIKE ANY over the elements: TRUE if some element matches, else
 * NULL if an element is NULL, else FALSE.  STRICT: NULL for a NULL array
 * or pattern.  The collation is the caller's (the LIKE's).
 */
PG_FUNCTION_INFO_V1(arxiv_fdw_categories_like);

Datum
arxiv_fdw_categories_like(PG_FUNCTION_ARGS)
{
	ArrayType  *cats = PG_GETARG_ARRAYTYPE_P(0);
	Datum		pattern = PointerGetDatum(PG_GETARG_TEXT_PP(1));
	bool		ilike = PG_GETARG_BOOL(2);
	Oid			collid = PG_GET_COLLATION();
	ArrayIterator it;
	Datum		elem;
	bool		isnull;
	bool		found = false;
	bool		saw_null = false;

	if (ARR_ELEMTYPE(cats) != TEXTOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("categories_like expects a text array")));
	it = array_create_iterator(cats, 0, NULL);
	while (!found && array_iterate(it, &elem, &isnull))
	{
		if (isnull)
			saw_null = true;
		else
			found = DatumGetBool(DirectFunctionCall2Coll(ilike ? texticlike : textlike,
														 collid, elem, pattern));
	}
	array_free_iterator(it);
	if (!found && saw_null)
		PG_RETURN_NULL();
	PG_RETURN_BOOL(found);
}

void
arxiv_report_inexact_filter(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_COLUMN_NAME),
			 errmsg("condition on an arXiv filter column cannot be sent to arXiv"),
			 errdetail("The columns \"category\", \"author\" and \"search\" only support conditions arXiv evaluates: column = value, column IN (...) or category LIKE 'archive.%%', combined with AND, OR and NOT with other such conditions."),
			 errhint("To filter on categories or authors in PostgreSQL, use \"categories\" or \"authors\", e.g. 'cs.OS' = ANY(categories).")));
}

/*
 * A join clause a parameterized scan sends: id = outer value (one request
 * per outer row, or batches of ids), or, unless ids_only, an exact
 * "category", "author" or "search" = outer value, which only the scan can
 * evaluate: the filter column of each row it returns then holds the outer
 * value, as for the same query with a literal.
 */
static bool
is_join_key(List *tree, bool ids_only)
{
	CondTag		tag = NODE_TAG(tree);

	if (tag == CT_ID)
		return true;
	return !ids_only && (tag == CT_CAT || tag == CT_AUTHOR || tag == CT_RAW) &&
		LEAF_MODE(tree) == VM_SCALAR && (LEAF_FLAGS(tree) & LF_EXACT) != 0;
}

/* Whether clause uses "category", "author" or "search". */
bool
arxiv_mentions_filter_column(RelOptInfo *baserel, ArxivField *fields,
							 Node *clause)
{
	ClassifyContext cx = {baserel, fields, true, NIL};

	return mentions_filter_column_walker(clause, &cx);
}

/*
 * The expression PostgreSQL evaluates for clause: filter columns rewritten
 * in terms of real columns.  NULL when a filter column is used in a way
 * that cannot be rewritten.
 */
static Expr *
local_expression(ClassifyContext *cx, Expr *clause)
{
	RewriteContext rc = {cx, 0, false};

	if (!mentions_filter_column_walker((Node *) clause, cx))
		return clause;
	for (int i = 0; i < cx->baserel->max_attr; i++)
		if (cx->fields[i] == AF_CATEGORIES)
			rc.categories_attno = i + 1;
	clause = (Expr *) rewrite_filter_mutator((Node *) clause, &rc);
	if (rc.failed)
		return NULL;
	/* simplify what the rewrite built around constants */
	return (Expr *) eval_const_expressions(NULL, (Node *) clause);
}

/*
 * Translate each clause into a condition tree; CT_UNKNOWN for those arXiv
 * cannot take (and for join clauses other than join keys).  Returns the
 * trees, one a clause of "all", and appends the others to pd->pushed.
 */
static List *
translate_clauses(ClassifyContext *cx, List *all, int nrestrictions,
				  ArxivPushdown *pd)
{
	List	   *trees = NIL;
	ListCell   *lc;

	foreach(lc, all)
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);
		int			nexprs = list_length(cx->exprs);
		List	   *tree;

		cx->allow_outer = foreach_current_index(lc) >= nrestrictions;
		tree = translate_clause(cx, ri->clause, true);
		if (cx->allow_outer && !is_join_key(tree, false))
		{
			cx->exprs = list_truncate(cx->exprs, nexprs);
			tree = make_unknown();
		}
		trees = lappend(trees, tree);
		if (NODE_TAG(tree) != CT_UNKNOWN)
			pd->pushed = lappend(pd->pushed, tree);
	}
	pd->exprs = cx->exprs;
	return trees;
}

/*
 * Run the request builder over the values known at plan time (the Consts;
 * the others are placeholders): which pushed trees are exact, whether the
 * request restricts the search, and what is left for execution to judge.
 * Returns exact[], one a pushed tree.
 */
static bool *
judge_pushed(ClassifyContext *cx, const char *table_query, ArxivRequest *req,
			 ArxivPushdown *pd)
{
	int			nvalues = list_length(cx->exprs);
	Datum	   *values = palloc0(sizeof(Datum) * (nvalues + 1));
	bool	   *isnull = palloc0(sizeof(bool) * (nvalues + 1));
	bool	   *known = palloc0(sizeof(bool) * (nvalues + 1));
	bool	   *exact = palloc0(sizeof(bool) * (list_length(pd->pushed) + 1));
	ListCell   *lc;

	foreach(lc, cx->exprs)
	{
		Const	   *c = (Const *) lfirst(lc);
		int			i = foreach_current_index(lc);

		if (IsA(c, Const))
		{
			known[i] = true;
			values[i] = c->constvalue;
			isnull[i] = c->constisnull;
		}
	}
	pd->restricts = arxiv_build_request(pd->pushed, values, isnull, known,
										table_query, req, exact);

	/*
	 * With values computed at execution, what the plan cannot judge for every
	 * value is decided at execution start, by the same builder with the
	 * values known (see scan.c, compute_request): the plan is allowed
	 * when the request may restrict the search for some values, and a
	 * filter-column condition that is inexact for some values and cannot be
	 * checked by PostgreSQL is refused then, for the values that make it so.
	 */
	for (int i = 0; i < nvalues; i++)
		pd->deferred |= !known[i];
	if (pd->deferred)
		pd->may_restrict = pd->restricts ||
			arxiv_request_may_restrict(pd->pushed, values, isnull, known,
									   table_query);
	else
		pd->may_restrict = pd->restricts;
	return exact;
}

/*
 * A clause PostgreSQL cannot check (a filter column's condition) and that
 * is not known to be exact: refused now when the constants make it inexact
 * (unless the request matches nothing, when there is nothing to check), or
 * judged at execution, with no recheck: refused then unless the values make
 * it exact or the request match nothing.  A condition that cannot be sent
 * at all is pushed as an inexact TRUE for that purpose.
 */
static void
place_uncheckable(ArxivPushdown *pd, List *tree, int idx, bool impossible)
{
	if (!pd->deferred && !impossible)
		arxiv_report_inexact_filter();
	if (idx < 0)
	{
		idx = list_length(pd->pushed);
		pd->pushed = lappend(pd->pushed, tree);
	}
	pd->exact_trees = lappend_int(pd->exact_trees, idx);
}

/*
 * Split the restriction clauses and the join clauses of a parameterized
 * path (RestrictInfos) into those sent to arXiv (as condition trees) and
 * those PostgreSQL must evaluate (pushed but inexact ones included), with
 * the expressions it evaluates for them (filter columns rewritten).  Only
 * "id", "category", "author" or "search" = outer value are taken from the
 * join clauses (see is_join_key).
 *
 * Whether a pushed clause is exact is decided by the request builder
 * itself (arxiv_build_request), run here over the values known at plan
 * time, the others being placeholders whose exactness holds for every
 * value (see query.h).  The expressions of the clauses judged exact are
 * kept in pd->rechecks, so that the scan can still evaluate one if the
 * values of an execution make it inexact after all.
 */
void
arxiv_classify_conditions(RelOptInfo *baserel, ArxivField *fields,
						  List *clauses, List *join_clauses,
						  const char *table_query, ArxivPushdown *pd)
{
	ClassifyContext cx = {baserel, fields, false, NIL};
	List	   *all = list_concat_copy(clauses, join_clauses);
	List	   *trees;
	bool	   *exact;
	ArxivRequest req;
	ListCell   *lc;
	ListCell   *lc2;
	int			i = 0;

	memset(pd, 0, sizeof(ArxivPushdown));
	trees = translate_clauses(&cx, all, list_length(clauses), pd);
	exact = judge_pushed(&cx, table_query, &req, pd);

	forboth(lc, all, lc2, trees)
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);
		List	   *tree = lfirst(lc2);
		Expr	   *expr = local_expression(&cx, ri->clause);
		bool		is_pushed = NODE_TAG(tree) != CT_UNKNOWN;
		int			idx = is_pushed ? i++ : -1;

		if (is_pushed && exact[idx])
		{
			if (expr != NULL)
			{
				pd->rechecks = lappend(pd->rechecks, expr);
				pd->recheck_trees = lappend_int(pd->recheck_trees, idx);
			}
			pd->exact_trees = lappend_int(pd->exact_trees, idx);
		}
		else if (expr == NULL)
			place_uncheckable(pd, tree, idx, req.impossible);
		else
		{
			pd->local = lappend(pd->local, ri);
			pd->local_exprs = lappend(pd->local_exprs, expr);
		}
	}
}

/*
 * Whether the join clause of a parameterized path can be sent to arXiv
 * (see is_join_key).
 */
bool
arxiv_join_clause_pushable(RelOptInfo *baserel, ArxivField *fields,
						   RestrictInfo *ri, bool ids_only)
{
	ClassifyContext cx = {baserel, fields, true, NIL};

	return is_join_key(translate_clause(&cx, ri->clause, true), ids_only);
}

/*
 * Whether clause is a "published" comparison, pushed and widened to whole
 * minutes (so rejecting at most the few rows of the widening), and which
 * bounds it sets: ARXIV_BOUND_LOWER and/or ARXIV_BOUND_UPPER, 0 if it is
 * not such a comparison.  The widened rows of a lower bound are the oldest
 * of the result, those of an upper bound the newest.
 */
int
arxiv_published_range_bounds(RelOptInfo *baserel, ArxivField *fields,
							 Expr *clause)
{
	ClassifyContext cx = {baserel, fields, false, NIL};
	List	   *tree = translate_clause(&cx, clause, true);

	if (NODE_TAG(tree) != CT_DATE)
		return 0;
	switch ((DateOp) LEAF_EXTRA(tree))
	{
		case DOP_GE:
		case DOP_GT:
			return ARXIV_BOUND_LOWER;
		case DOP_LE:
		case DOP_LT:
			return ARXIV_BOUND_UPPER;
		default:
			return ARXIV_BOUND_LOWER | ARXIV_BOUND_UPPER;
	}
}

/* Whether some pushed condition is an id list (for estimates). */
int
arxiv_tree_id_count(List *pushed, List *exprs)
{
	ListCell   *lc;
	int			best = -1;

	foreach(lc, pushed)
	{
		List	   *tree = lfirst(lc);
		Expr	   *value;
		bool		is_const;
		int			n;

		if (NODE_TAG(tree) != CT_ID)
			continue;
		value = list_nth(exprs, LEAF_EXPR(tree));
		if (LEAF_MODE(tree) == VM_SCALAR)
			n = 1;
		else
		{
			List	   *vals = const_text_array(value, &is_const);

			n = is_const ? list_length(vals) : 50;
		}
		if (best < 0 || n < best)
			best = n;
	}
	return best;
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
arxiv_describe_tree(List *exprs, List *dpcontext)
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
