/*-------------------------------------------------------------------------
 *
 * query.h
 *	  Building arXiv search_query strings safely.
 *
 * Like atom.c, this module has no PostgreSQL dependencies so that it can be
 * unit-tested and fuzzed on its own.  Memory comes from an arena whose block
 * allocator the caller supplies (palloc in the backend, malloc standalone).
 *
 * The safety model: user strings never reach the query text verbatim.  Word
 * fields are reduced to their words (letters and digits, any non-ASCII byte
 * counting as a letter) and quoted when more than one word or an operator
 * word remains; categories and ids must match their grammar or the term
 * becomes FALSE; raw queries (the "search" column and the table option
 * "query") must have balanced parentheses and quotes and are always
 * parenthesised.  So no constant can change the structure of the query.
 *
 * Every node carries an "exact" flag: true when the arXiv condition selects
 * exactly the rows the SQL condition does, so that PostgreSQL may skip the
 * local recheck.  TRUE nodes stand for "no restriction"; an inexact TRUE is
 * a condition that could not be pushed at all.
 *
 * At plan time some values are not known yet (parameters).  Such a leaf is a
 * PLACEHOLDER: its exactness is that of its kind of condition, and
 * may_be_true says whether some value could make it TRUE (a NULL under NOT,
 * a value without words).  Values can otherwise only make a leaf FALSE,
 * which never makes a combination less exact; a TRUE can, as the positive
 * side of an ANDNOT, so aq_andnot judges a side that may be TRUE inexact.
 * So the exactness computed over placeholders holds for every value.
 * Placeholders are never serialized.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ARXIV_QUERY_H
#define ARXIV_QUERY_H

#include <stdbool.h>
#include <stddef.h>

typedef enum AqKind
{
	AQ_TRUE,
	AQ_FALSE,
	AQ_TERM,					/* field:word or field:"w1 w2" */
	AQ_DATE,					/* submittedDate:[lo TO hi] */
	AQ_RAW,						/* validated user query, parenthesised */
	AQ_PLACEHOLDER,				/* a leaf whose value is not known yet */
	AQ_AND,
	AQ_OR,
	AQ_ANDNOT
} AqKind;

typedef struct AqNode
{
	AqKind		kind;
	bool		exact;
	bool		may_be_true;	/* PLACEHOLDER (and combinations): the
								 * value may turn it into TRUE */
	const char *text;			/* TERM, DATE, RAW: the rendered leaf */
	struct AqNode *left;		/* AND, OR, ANDNOT */
	struct AqNode *right;
} AqNode;

typedef void *(*AqAllocFn) (void *arg, size_t size);
typedef void (*AqFreeFn) (void *arg, void *ptr);

typedef struct AqArena AqArena;

/* Arena with the given block allocator; alloc may longjmp, never return NULL */
extern AqArena *aq_arena_create(AqAllocFn alloc, AqFreeFn free_fn, void *arg);
extern void aq_arena_destroy(AqArena *arena);
extern void *aq_alloc(AqArena *arena, size_t size);

/* leaves */
extern AqNode *aq_true(AqArena *arena, bool exact);
extern AqNode *aq_false(AqArena *arena);
extern AqNode *aq_placeholder(AqArena *arena, bool exact, bool may_be_true);
extern AqNode *aq_words(AqArena *arena, const char *field, const char *value,
						bool exact);
extern AqNode *aq_category(AqArena *arena, const char *value, bool prefix);
extern AqNode *aq_date_range(AqArena *arena, const char *lo12, const char *hi12,
							 bool exact);
extern AqNode *aq_raw(AqArena *arena, const char *query, const char **errmsg);

/* combinations, simplified as they are built */
extern AqNode *aq_and(AqArena *arena, AqNode *a, AqNode *b);
extern AqNode *aq_or(AqArena *arena, AqNode *a, AqNode *b);
extern AqNode *aq_andnot(AqArena *arena, AqNode *a, AqNode *b);

/* rendering */
extern char *aq_serialize(AqArena *arena, const AqNode *node);
extern char *aq_urlencode(AqArena *arena, const char *s);

/* grammar checks */
extern bool aq_valid_id(const char *id, bool allow_version);
extern bool aq_valid_category(const char *value);
extern int	aq_count_words(const char *value);

#endif							/* ARXIV_QUERY_H */
