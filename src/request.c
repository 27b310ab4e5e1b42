/*-------------------------------------------------------------------------
 *
 * request.c
 *	  Building the arXiv request of a scan: the condition trees that
 *	  deparse.c made of the WHERE clauses (see condtree.h), with the values
 *	  of their expressions, become a search_query (through query.c, which
 *	  escapes every value), an id_list and the bounds a scan stops at; and
 *	  a page of it becomes a URL (search_query, id_list, sortBy, sortOrder,
 *	  start, max_results).
 *
 *	  The builder also judges: at plan time deparse.c runs it over the
 *	  values known then, to learn which trees are exact and whether the
 *	  request restricts the search, and the scan runs it again at execution
 *	  start with every value.  Having one builder for both keeps the plan's
 *	  judgement and the request sent from disagreeing.
 *
 *-------------------------------------------------------------------------
 */
#include "arxiv_fdw.h"
#include "condtree.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"

/* ---------------------------------------------------------------------
 * Condition trees and values to an arXiv request (at execution start,
 * and at plan time to judge the trees)
 * ---------------------------------------------------------------------
 */

typedef struct BuildContext
{
	AqArena    *arena;
	Datum	   *values;
	bool	   *isnull;
	bool	   *known;			/* NULL: every value is known (execution) */
	bool		optimistic;		/* placeholders take their best values */
	bool		has_ids;		/* a top-level id condition exists */
	AqNode	   *table_query;	/* the table option "query", or NULL */
	ArxivRequest *req;
} BuildContext;

typedef AqNode *(*TermFn) (BuildContext *bc, List *node, const char *value);

static AqNode *build_node(BuildContext *bc, List *node, bool negated);

static bool
value_known(BuildContext *bc, int idx)
{
	return bc->known == NULL || bc->known[idx];
}

/*
 * SQL's UNKNOWN (a NULL value) as a WHERE condition: FALSE where it stands
 * under an even number of NOTs, TRUE under an odd number.  Kleene logic is
 * monotone in each operand, so the whole selects the same rows: "x <> NULL"
 * and "x NOT IN ('a', NULL)" select nothing.
 */
static AqNode *
unknown_truth(BuildContext *bc, bool negated)
{
	return negated ? aq_true(bc->arena, true) : aq_false(bc->arena);
}

/*
 * A leaf whose value is only known at execution.  A NULL would make it TRUE
 * under NOT, and a leaf that is not solid may restrict nothing.
 */
static AqNode *
leaf_placeholder(BuildContext *bc, List *node, bool negated)
{
	int			flags = LEAF_FLAGS(node);
	bool		exact = (flags & LF_EXACT) != 0;

	/* a category that is not a valid one is rechecked (see category_term) */
	if (NODE_TAG(node) == CT_CAT && (flags & LF_SOLID) == 0)
		exact = false;
	if (bc->optimistic)
		return aq_placeholder(bc->arena, exact, false);
	return aq_placeholder(bc->arena, exact, negated || (flags & LF_SOLID) == 0);
}

/* A text value in UTF-8, as arXiv expects. */
static char *
text_value_utf8(Datum value)
{
	char	   *s = TextDatumGetCString(value);

	return pg_server_to_any(s, strlen(s), PG_UTF8);
}

/*
 * The condition of a leaf from its value: one term, or the terms of the
 * elements of an array, ORed (= ANY, &&) or ANDed (@>).  A NULL element is
 * UNKNOWN in = ANY, is never contained (@> is false) and never overlaps.
 */
static AqNode *
combine_values(BuildContext *bc, List *node, bool negated, TermFn term)
{
	int			idx = LEAF_EXPR(node);
	ValueMode	mode = LEAF_MODE(node);
	bool		all = mode == VM_ALL;
	AqNode	   *result;
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;

	if (!value_known(bc, idx))
		return leaf_placeholder(bc, node, negated);
	if (bc->isnull[idx])
		return unknown_truth(bc, negated);
	if (mode != VM_ANY && mode != VM_ALL && mode != VM_OVERLAP)
		return term(bc, node, text_value_utf8(bc->values[idx]));

	deconstruct_array(DatumGetArrayTypeP(bc->values[idx]), TEXTOID, -1,
					  false, TYPALIGN_INT, &elems, &nulls, &nelems);
	result = all ? aq_true(bc->arena, true) : aq_false(bc->arena);
	for (int i = 0; i < nelems; i++)
	{
		AqNode	   *t;

		if (!nulls[i])
			t = term(bc, node, text_value_utf8(elems[i]));
		else if (mode == VM_ANY)
			t = unknown_truth(bc, negated);
		else if (mode == VM_ALL)
			t = aq_false(bc->arena);
		else
			continue;
		result = all ? aq_and(bc->arena, result, t) : aq_or(bc->arena, result, t);
	}
	return result;
}

static AqNode *
category_term(BuildContext *bc, List *node, const char *value)
{
	bool		exact = (LEAF_FLAGS(node) & LF_EXACT) != 0;

	if (LEAF_MODE(node) == VM_PREFIX)
	{
		/* 'cs.%' -> cat:cs.* */
		char	   *prefix;
		AqNode	   *t;

		/* a pattern known only now may be any pattern: not sent */
		if (!arxiv_category_prefix_pattern(value))
			return aq_true(bc->arena, false);
		prefix = pnstrdup(value, strlen(value) - 1);
		t = aq_category(bc->arena, prefix, true);

		if (exact && t->kind == AQ_TERM)
			bc->req->category_prefixes = lappend(bc->req->category_prefixes, prefix);
		return exact ? t : aq_and(bc->arena, t, aq_true(bc->arena, false));
	}
	if (exact)
	{
		bc->req->category_values = lappend(bc->req->category_values,
										   pstrdup(value));

		/*
		 * A value outside arXiv's category grammar may still be listed among
		 * a paper's categories (ACM or MSC classes such as I.2.6 or 68T05),
		 * which cat: cannot find: not sent, checked by PostgreSQL.
		 */
		if (!aq_valid_category(value))
			return aq_true(bc->arena, false);
		return aq_category(bc->arena, value, false);
	}
	/* a real column may hold what arXiv cannot search for (ACM classes) */
	if (!aq_valid_category(value))
		return aq_true(bc->arena, false);
	return aq_and(bc->arena, aq_category(bc->arena, value, false),
				  aq_true(bc->arena, false));
}

static AqNode *
author_term(BuildContext *bc, List *node, const char *value)
{
	bool		exact = (LEAF_FLAGS(node) & LF_EXACT) != 0;

	/* a name without words names nobody arXiv can find */
	if (aq_count_words(value) == 0)
		return exact ? aq_false(bc->arena) : aq_true(bc->arena, false);
	return aq_words(bc->arena, "au", value, exact);
}

static const char *
text_prefix(ArxivField field)
{
	switch (field)
	{
		case AF_TITLE:
			return "ti";
		case AF_ABSTRACT:
			return "abs";
		case AF_COMMENT:
			return "co";
		default:
			return "jr";
	}
}

static AqNode *
text_term(BuildContext *bc, List *node, const char *pattern)
{
	AqNode	   *result = aq_true(bc->arena, false);
	ListCell   *lc;

	foreach(lc, arxiv_pattern_words(pattern, LEAF_MODE(node)))
		result = aq_and(bc->arena, result,
						aq_words(bc->arena, text_prefix(LEAF_EXTRA(node)),
								 lfirst(lc), false));
	return result;
}

static AqNode *
raw_term(BuildContext *bc, List *node pg_attribute_unused(), const char *value)
{
	const char *why;
	AqNode	   *result = aq_raw(bc->arena, value, &why);

	if (result == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid arXiv query in column \"search\": \"%s\"",
						value),
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

int64
arxiv_floor_minute(TimestampTz t)
{
	int64		m = t / USECS_PER_MINUTE;

	if (t < 0 && t % USECS_PER_MINUTE != 0)
		m--;
	return m;
}

static TimestampTz
timestamp_value(Datum value, Oid type)
{
	if (type == DATEOID)
		return DatumGetTimestampTz(DirectFunctionCall1(date_timestamptz, value));
	if (type == TIMESTAMPOID)
		return DatumGetTimestampTz(DirectFunctionCall1(timestamp_timestamptz,
													   value));
	return DatumGetTimestampTz(value);
}

/*
 * Narrow range by "published dop value", widened to whole minutes with a
 * minute of slack on each side: arXiv compares at minute precision and
 * whether its bounds are inclusive is not documented.
 */
static void
add_date_bound(DateRange *range, DateOp dop, Datum value, Oid type)
{
	TimestampTz t = timestamp_value(value, type);
	int64		m;

	range->present = true;
	if (TIMESTAMP_NOT_FINITE(t))
	{
		bool		pos = TIMESTAMP_IS_NOEND(t);

		/* published < infinity restricts nothing; > infinity matches none */
		if ((dop == DOP_LT || dop == DOP_LE) ? !pos :
			(dop == DOP_GT || dop == DOP_GE) ? pos : true)
			range->empty = true;
		return;
	}
	m = arxiv_floor_minute(t);
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

/*
 * YYYYMMDDHHMM (GMT) of a minute count (negative before 2000), clamped to
 * the years arXiv's dates can have.
 */
void
arxiv_format_minute(int64 minutes, char *buf)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (timestamp2tm(minutes * USECS_PER_MINUTE, NULL, &tm, &fsec, NULL, NULL) != 0 ||
		tm.tm_year > 9999)
		strcpy(buf, ARXIV_QUERY_OPEN_HIGH);
	else if (tm.tm_year < 1980)
		strcpy(buf, ARXIV_QUERY_OPEN_LOW);
	else
		snprintf(buf, 13, "%04d%02d%02d%02d%02d", tm.tm_year, tm.tm_mon,
				 tm.tm_mday, tm.tm_hour, tm.tm_min);
}

/* the day before arXiv's first paper, in minutes since 2000 */
#define ARXIV_EPOCH_MINUTE \
	((int64) (date2j(ARXIV_FIRST_YEAR, ARXIV_FIRST_MONTH, ARXIV_FIRST_DAY) - \
			  POSTGRES_EPOCH_JDATE) * MINS_PER_HOUR * HOURS_PER_DAY)

/*
 * The submittedDate range.  One from before arXiv began to beyond next year
 * restricts nothing: an inexact TRUE, so that it cannot pass for a
 * restriction of the search.
 */
static AqNode *
build_date_range(BuildContext *bc, DateRange *range)
{
	char		lo[13];
	char		hi[13];
	int64		next_year = arxiv_floor_minute(GetCurrentTransactionStartTimestamp()) +
		(int64) 366 * MINS_PER_HOUR * HOURS_PER_DAY;

	if (range->empty || (range->has_hi && range->has_lo && range->hi < range->lo))
		return aq_false(bc->arena);
	if ((!range->has_lo || range->lo < ARXIV_EPOCH_MINUTE) &&
		(!range->has_hi || range->hi > next_year))
		return aq_true(bc->arena, false);
	strcpy(lo, ARXIV_QUERY_OPEN_LOW);
	strcpy(hi, ARXIV_QUERY_OPEN_HIGH);
	if (range->has_lo)
		arxiv_format_minute(range->lo, lo);
	if (range->has_hi)
		arxiv_format_minute(range->hi, hi);
	return aq_date_range(bc->arena, lo, hi, false);
}

/* the bounds of top-level "updated" conditions: the scan's stop condition */
static void
add_updated_bound(BuildContext *bc, List *node)
{
	ArxivRequest *req = bc->req;
	DateOp		dop = (DateOp) LEAF_EXTRA(node);
	TimestampTz t;

	if (!value_known(bc, LEAF_EXPR(node)))
		return;
	if (bc->isnull[LEAF_EXPR(node)])
	{
		req->impossible = true;
		return;
	}
	t = timestamp_value(bc->values[LEAF_EXPR(node)], LEAF_TYPE(node));
	if (dop == DOP_GE || dop == DOP_GT || dop == DOP_EQ)
	{
		if (!req->has_updated_lo || t > req->updated_lo)
			req->updated_lo = t;
		req->has_updated_lo = true;
	}
	if (dop == DOP_LE || dop == DOP_LT || dop == DOP_EQ)
	{
		if (!req->has_updated_hi || t < req->updated_hi)
			req->updated_hi = t;
		req->has_updated_hi = true;
	}
}

/*
 * AND of children standing under an even (negated false) or odd number of
 * NOTs: positive children are ANDed, NOT children ORed and subtracted with
 * ANDNOT; date comparisons merge into one submittedDate range.
 *
 * With exact (the top level: the table's query ANDed in, ids and "updated"
 * allowed), each child's exactness is stored in exact[], and an inexact NOT
 * child is left out rather than making the others inexact.  This is the
 * only place that decides whether a pushed clause is exact.
 */
static AqNode *
build_and(BuildContext *bc, List *children, bool negated, bool *exact)
{
	AqNode	   *pos = aq_true(bc->arena, true);
	AqNode	   *neg = aq_false(bc->arena);
	List	   *subtracted = NIL;
	DateRange	range = {0};
	ListCell   *lc;

	if (exact != NULL && bc->table_query != NULL)
		pos = bc->table_query;
	foreach(lc, children)
	{
		List	   *child = lfirst(lc);
		bool		child_exact = false;
		AqNode	   *n;
		int			idx;

		switch (NODE_TAG(child))
		{
			case CT_DATE:
				idx = LEAF_EXPR(child);
				if (!value_known(bc, idx))
					pos = aq_and(bc->arena, pos,
								 aq_placeholder(bc->arena, false,
												negated && !bc->optimistic));
				else if (bc->isnull[idx])
				{
					/* UNKNOWN: FALSE, or TRUE (no bound) under NOT */
					if (!negated)
						range.present = range.empty = true;
					child_exact = true;
				}
				else
					add_date_bound(&range, (DateOp) LEAF_EXTRA(child),
								   bc->values[idx], LEAF_TYPE(child));
				break;
			case CT_NOT:
				n = build_node(bc, lsecond(child), !negated);
				if (n->kind == AQ_FALSE)
					child_exact = true; /* NOT FALSE: no restriction */
				else if (n->exact || exact == NULL)
				{
					neg = aq_or(bc->arena, neg, n);
					subtracted = lappend_int(subtracted, foreach_current_index(lc));
					child_exact = n->exact;
				}
				break;
			case CT_ID:
				child_exact = true; /* id_list, see collect_ids */
				break;
			case CT_VERSION:
				child_exact = bc->has_ids;	/* it only narrows the ids */
				break;
			case CT_UPDATED:
				add_updated_bound(bc, child);
				break;
			default:
				n = build_node(bc, child, negated);
				pos = aq_and(bc->arena, pos, n);
				child_exact = n->exact;
				break;
		}
		if (exact != NULL)
			exact[foreach_current_index(lc)] = child_exact;
	}
	if (range.present)
		pos = aq_and(bc->arena, pos, build_date_range(bc, &range));
	if (neg->kind == AQ_FALSE)
		return pos;
	/* NOT TRUE is FALSE; otherwise arXiv needs a positive side to subtract from */
	if (exact != NULL && neg->kind != AQ_TRUE &&
		(pos->kind == AQ_TRUE || pos->may_be_true))
	{
		foreach(lc, subtracted)
			exact[lfirst_int(lc)] = false;
	}
	return aq_andnot(bc->arena, pos, neg);
}

static AqNode *
build_node(BuildContext *bc, List *node, bool negated)
{
	AqNode	   *result;
	ListCell   *lc;

	switch (NODE_TAG(node))
	{
		case CT_CAT:
			return combine_values(bc, node, negated, category_term);
		case CT_AUTHOR:
			return combine_values(bc, node, negated, author_term);
		case CT_TEXT:
			return combine_values(bc, node, negated, text_term);
		case CT_RAW:
			return combine_values(bc, node, negated, raw_term);
		case CT_DATE:
		case CT_AND:
			return build_and(bc, NODE_TAG(node) == CT_AND
							 ? list_copy_tail(node, 1) : list_make1(node),
							 negated, NULL);
		case CT_OR:
			result = aq_false(bc->arena);
			for_each_from(lc, node, 1)
				result = aq_or(bc->arena, result,
							   build_node(bc, lfirst(lc), negated));
			return result;
		case CT_NOT:
			/* arXiv has no unary NOT: only NOT TRUE and NOT FALSE are known */
			result = build_node(bc, lsecond(node), !negated);
			if (result->kind == AQ_FALSE)
				return aq_true(bc->arena, true);
			if (result->kind == AQ_TRUE && result->exact)
				return aq_false(bc->arena);
			return aq_true(bc->arena, false);
		default:
			/* CT_UNKNOWN, nested ids */
			return aq_true(bc->arena, false);
	}
}

/* The version a top-level "version = N" asks for: 0 none, -1 NULL. */
static int
requested_version(BuildContext *bc, List *pushed)
{
	ListCell   *lc;
	int			version = 0;

	foreach(lc, pushed)
	{
		List	   *tree = lfirst(lc);
		int			v;

		if (NODE_TAG(tree) != CT_VERSION)
			continue;
		if (bc->isnull[LEAF_EXPR(tree)])
			return -1;
		v = DatumGetInt32(bc->values[LEAF_EXPR(tree)]);
		if (v <= 0 || (version != 0 && v != version))
			return -1;
		version = v;
	}
	return version;
}

/*
 * Intersect the id sets of the top-level id conditions into req->ids; a
 * "version = N" condition turns each into that version's id.  A NULL id (or
 * a NULL array) is UNKNOWN: no id.  Nothing is collected before execution.
 */
static void
collect_ids(BuildContext *bc, List *pushed)
{
	ListCell   *lc;
	List	   *ids = NIL;
	bool		first = true;
	int			version;

	foreach(lc, pushed)
		bc->has_ids |= NODE_TAG((List *) lfirst(lc)) == CT_ID;
	if (bc->known != NULL)
	{
		bc->req->has_ids = bc->has_ids;
		return;
	}
	version = requested_version(bc, pushed);
	foreach(lc, pushed)
	{
		List	   *tree = lfirst(lc);
		List	   *these = NIL;
		int			idx;
		Datum	   *elems;
		bool	   *nulls;
		int			nelems = 1;

		if (NODE_TAG(tree) != CT_ID)
			continue;
		idx = LEAF_EXPR(tree);
		elems = &bc->values[idx];
		nulls = &bc->isnull[idx];
		if (LEAF_MODE(tree) == VM_ANY && !bc->isnull[idx])
			deconstruct_array(DatumGetArrayTypeP(bc->values[idx]), TEXTOID, -1,
							  false, TYPALIGN_INT, &elems, &nulls, &nelems);
		/* ids outside arXiv's grammar match nothing and are not sent */
		for (int i = 0; i < nelems; i++)
		{
			char	   *id;

			if (nulls[i])
				continue;
			id = text_value_utf8(elems[i]);
			if (!aq_valid_id(id, true))
				continue;
			if (version > 0)
			{
				if (aq_valid_id(id, false))
					id = psprintf("%sv%d", id, version);
				else if (strcmp(strrchr(id, 'v') + 1, psprintf("%d", version)) != 0)
					continue;
			}
			if (!list_member(these, makeString(id)))
				these = lappend(these, makeString(id));
		}
		if (first)
			ids = these;
		else
		{
			List	   *both = NIL;
			ListCell   *lc2;

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
	if (bc->req->has_ids && (bc->req->ids == NIL || version < 0))
		bc->req->impossible = true;
}

/* the constant of a top-level "column = constant" on a filter column */
static char *
toplevel_value(BuildContext *bc, List *pushed, CondTag tag, int flags)
{
	ListCell   *lc;

	if (bc->known != NULL)
		return NULL;
	foreach(lc, pushed)
	{
		List	   *tree = lfirst(lc);

		if (NODE_TAG(tree) == tag && LEAF_MODE(tree) == VM_SCALAR &&
			(LEAF_FLAGS(tree) & flags) == flags && !bc->isnull[LEAF_EXPR(tree)])
			return TextDatumGetCString(bc->values[LEAF_EXPR(tree)]);
	}
	return NULL;
}

/*
 * Build the request of a scan from the pushed condition trees, the values
 * of their expressions and the table's query, and judge each tree: exact[i]
 * (when exact is not NULL) tells whether the request selects exactly the
 * rows of pushed tree i, so that PostgreSQL need not check it.  Returns
 * whether the request restricts the search (an id list, a search query, or
 * conditions that match nothing).
 *
 * At plan time known[] tells which values are known (Consts); the others
 * are placeholders, and the judgement then holds for every value (see
 * query.h).  At execution known is NULL.  Allocates in the current memory
 * context; throws for invalid raw queries.
 */
static bool
build_request(List *pushed, Datum *values, bool *isnull, bool *known,
			  bool optimistic, const char *table_query, ArxivRequest *req,
			  bool *exact)
{
	BuildContext bc;
	AqNode	   *root;
	const char *why;
	bool	   *ex = exact ? exact : palloc0(sizeof(bool) * (list_length(pushed) + 1));

	memset(req, 0, sizeof(ArxivRequest));
	memset(&bc, 0, sizeof(bc));
	bc.arena = arxiv_aq_arena();
	bc.values = values;
	bc.isnull = isnull;
	bc.known = known;
	bc.optimistic = optimistic;
	bc.req = req;
	if (table_query != NULL)
	{
		bc.table_query = aq_raw(bc.arena, table_query, &why);
		if (bc.table_query == NULL) /* the validator should have caught it */
			elog(ERROR, "invalid table query \"%s\": %s", table_query, why);
	}

	collect_ids(&bc, pushed);
	root = build_and(&bc, pushed, false, ex);
	if (root->kind == AQ_FALSE)
		req->impossible = true;
	else if (root->kind != AQ_TRUE && known == NULL)
		req->search_query = pstrdup(aq_serialize(bc.arena, root));

	req->author_value = toplevel_value(&bc, pushed, CT_AUTHOR, LF_EXACT);
	req->search_value = toplevel_value(&bc, pushed, CT_RAW, 0);
	return req->impossible || req->has_ids ||
		(root->kind != AQ_TRUE && !root->may_be_true);
}

bool
arxiv_build_request(List *pushed, Datum *values, bool *isnull, bool *known,
					const char *table_query, ArxivRequest *req, bool *exact)
{
	return build_request(pushed, values, isnull, known, false, table_query,
						 req, exact);
}

/*
 * Whether the request may restrict the search for some values of those not
 * known at plan time: the builder with every placeholder at its best.  A
 * plan whose request can restrict for no value is refused at plan time;
 * otherwise the values of an execution decide (see arxiv_classify_conditions).
 */
bool
arxiv_request_may_restrict(List *pushed, Datum *values, bool *isnull,
						   bool *known, const char *table_query)
{
	ArxivRequest req;

	return build_request(pushed, values, isnull, known, true, table_query,
						 &req, NULL);
}

/* ---------------------------------------------------------------------
 * The URL of a page
 * ---------------------------------------------------------------------
 */

static void
append_param(StringInfo buf, AqArena *arena, const char *name, const char *value)
{
	appendStringInfo(buf, "%s%s=%s", buf->len > 0 ? "&" : "", name,
					 aq_urlencode(arena, value));
}

/*
 * The URL of one page.  When the parameters would make the URL too long
 * (long id lists), they are returned in *postfields to be sent as a form
 * body and the bare base URL is returned.
 */
char *
arxiv_request_url(const char *base_url, const char *search_query, List *ids,
				  const char *sort_by, const char *sort_order, long start,
				  int max_results, char **postfields)
{
	AqArena    *arena = arxiv_aq_arena();
	StringInfoData params;
	StringInfoData url;

	initStringInfo(&params);
	if (search_query)
		append_param(&params, arena, "search_query", search_query);
	if (ids != NIL)
	{
		StringInfoData idbuf;
		ListCell   *lc;

		initStringInfo(&idbuf);
		foreach(lc, ids)
			appendStringInfo(&idbuf, "%s%s", idbuf.len > 0 ? "," : "",
							 (char *) lfirst(lc));
		append_param(&params, arena, "id_list", idbuf.data);
	}
	if (sort_by)
	{
		append_param(&params, arena, "sortBy", sort_by);
		append_param(&params, arena, "sortOrder", sort_order);
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
