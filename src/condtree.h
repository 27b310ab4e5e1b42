/*-------------------------------------------------------------------------
 *
 * condtree.h
 *	  The condition trees of the API's tables: what deparse.c makes of the
 *	  WHERE clauses at plan time, and request.c turns into an arXiv request
 *	  once the values are known.  Private to those two files.
 *
 *	  A tree is a List whose first element is its CondTag; the values of its
 *	  leaves are expressions in ForeignScan.fdw_exprs, named by index, so
 *	  that the trees themselves can be copied into the plan.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CONDTREE_H
#define CONDTREE_H

#include "arxiv_fdw.h"

/* condition tree node tags (first element of each node's List) */
typedef enum CondTag
{
	CT_UNKNOWN,					/* not translatable: inexact TRUE */
	CT_AND,						/* children... */
	CT_OR,						/* children... */
	CT_NOT,						/* child */
	CT_ID,						/* id_list (top level only) */
	CT_VERSION,					/* vN suffix on the ids (top level only) */
	CT_CAT,						/* cat: */
	CT_AUTHOR,					/* au: */
	CT_TEXT,					/* ti:, abs:, co:, jr: words of a pattern */
	CT_RAW,						/* search filter column */
	CT_DATE,					/* published: submittedDate range */
	CT_UPDATED					/* updated: stop condition (top level only) */
} CondTag;

/* how a leaf's value is used */
typedef enum ValueMode
{
	VM_SCALAR,					/* one value */
	VM_ANY,						/* OR over the elements (= ANY, IN) */
	VM_ALL,						/* AND over the elements of an array (@>) */
	VM_OVERLAP,					/* OR over the elements of an array (&&) */
	VM_PREFIX,					/* LIKE 'archive.%' */
	VM_LIKE,					/* LIKE pattern: its complete words */
	VM_ILIKE,
	VM_REGEX					/* ~ / ~* pattern: its delimited words */
} ValueMode;

/* comparison of "published" or "updated" with a value */
typedef enum DateOp
{
	DOP_LT,
	DOP_LE,
	DOP_EQ,
	DOP_GE,
	DOP_GT
} DateOp;

/* leaf flags */
#define LF_EXACT	1			/* selects exactly the SQL rows */
#define LF_SOLID	2			/* never degrades to "everything" */

/*
 * A leaf is List (tag, expr index, mode, flags, extra): extra is the date
 * operator for CT_DATE/CT_UPDATED (with the value's type in the sixth
 * element) and the ArxivField for CT_TEXT.
 */
#define NODE_TAG(node)	 ((CondTag) intVal(linitial(node)))
#define LEAF_EXPR(node)	 intVal(lsecond(node))
#define LEAF_MODE(node)	 ((ValueMode) intVal(lthird(node)))
#define LEAF_FLAGS(node) intVal(lfourth(node))
#define LEAF_EXTRA(node) intVal(list_nth(node, 4))
#define LEAF_TYPE(node)	 ((Oid) intVal(list_nth(node, 5)))

/* deparse.c: the pattern rules both the judgement and the request follow */
extern List *arxiv_pattern_words(const char *pattern, ValueMode mode);
extern bool arxiv_category_prefix_pattern(const char *pattern);

/* request.c: the judgement of plan time for the best values (see there) */
extern bool arxiv_request_may_restrict(List *pushed, Datum *values,
									   bool *isnull, bool *known,
									   const char *table_query);

#endif							/* CONDTREE_H */
