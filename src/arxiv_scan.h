/*-------------------------------------------------------------------------
 *
 * arxiv_scan.h
 *	  What the planner (plan.c) and the executor (scan.c) of the API's
 *	  tables share: the layout of ForeignScan.fdw_private, the kinds of
 *	  scan, the key of a listing in the response cache (a scan's, and
 *	  use_remote_estimate's probe's), and the FDW callbacks the handler
 *	  (arxiv_fdw.c) returns.
 *
 *	  The planner's and the executor's states (ArxivPlanState,
 *	  ArxivScanState) are private to their files, as in postgres_fdw: no
 *	  other file reads them.  A request's fetching (fetch.c) has its own
 *	  state, ArxivFetch, declared in arxiv_fdw.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ARXIV_SCAN_H
#define ARXIV_SCAN_H

#include "arxiv_fdw.h"

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

/* plan.c */

/*
 * GetForeignRelSize: read the table's options and columns, decide which
 * restriction clauses go to arXiv (deparse.c), and estimate the rows: an
 * id list's length, what arXiv says of the search (use_remote_estimate) or
 * learned from an earlier scan, or a guess.  The costs of every path follow
 * from these rows, since a request is worth seconds of arXiv's budget.
 */
extern void arxivGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel,
								   Oid foreigntableid);

/*
 * GetForeignPaths: the paths arXiv can serve: the plain scan, the scan in
 * the order asked (arXiv sorts by published or updated), one request per
 * outer row for joins on "id" or a filter column (parameterized), and the
 * ids of a small local table read at execution start (id source).
 */
extern void arxivGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel,
								 Oid foreigntableid);

/*
 * GetForeignPlan: re-judge the conditions with the path's join clauses,
 * refuse a plan that would page through all of arXiv, and lay out
 * fdw_private (FSP_*) and fdw_exprs for the executor.  Upper rels (count,
 * LIMIT) are planned by upper_plan.
 */
extern ForeignScan *arxivGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel,
										Oid foreigntableid, ForeignPath *best_path,
										List *tlist, List *scan_clauses,
										Plan *outer_plan);

/*
 * GetForeignUpperPaths: count(*) answered by one request's totalResults,
 * and LIMIT/OFFSET answered by arXiv's start, where the rows arXiv returns
 * are exactly the rows of the result.
 */
extern void arxivGetForeignUpperPaths(PlannerInfo *root,
									  UpperRelationKind stage,
									  RelOptInfo *input_rel,
									  RelOptInfo *output_rel, void *extra);

/* the refusal of a scan that would page through all of arXiv */
extern void report_fetch_all(Oid relid, bool at_execution) pg_attribute_noreturn();

/* scan.c */

/*
 * What besides its URL and request decides the pages a listing asks for:
 * the parts of a scan's (or a probe's) key in the response cache.
 */
typedef struct ArxivListingShape
{
	ArxivUpperKind kind;
	int			page_size;
	long		fetch_limit;	/* -1: all */
	bool		probe;			/* no rows wanted (count, estimate) */
	bool		filter;			/* the plan checks conditions on the rows */
	int64		limit_count;	/* UPPER_LIMIT: LIMIT, -1 none */
	int64		limit_offset;	/* ... OFFSET */
	bool		local;			/* ... the scan checks local conditions */
} ArxivListingShape;

/*
 * The key of a listing in the response cache, the same for a scan and for
 * use_remote_estimate's probe of the same request.
 */
extern char *arxiv_listing_key(const char *url, const char *postfields,
							   const ArxivListingShape *shape,
							   const ArxivRequest *req);

/*
 * BeginForeignScan: unpack fdw_private and prepare the expressions; no
 * request yet, since parameter values are known only at the first Iterate
 * (and EXPLAIN without ANALYZE must not fetch).
 */
extern void arxivBeginForeignScan(ForeignScanState *node, int eflags);

/*
 * IterateForeignScan: at the first call, build the request from this
 * execution's values; then return rows page by page (one request each),
 * the count of an UPPER_COUNT scan, or the rows of an UPPER_LIMIT scan
 * after its local conditions, OFFSET and LIMIT.
 */
extern TupleTableSlot *arxivIterateForeignScan(ForeignScanState *node);

/*
 * ReScanForeignScan: parameters may have changed, so the request is built
 * again at the next Iterate; the statistics for EXPLAIN ANALYZE are kept.
 */
extern void arxivReScanForeignScan(ForeignScanState *node);

/*
 * EndForeignScan: keep the cached listing if the scan stopped where any
 * scan with the same key stops, and free the scan's memory (and with it
 * the HTTP client and the cache files).
 */
extern void arxivEndForeignScan(ForeignScanState *node);

/*
 * ExplainForeignScan: the request sent (or "computed at execution start"
 * when it depends on parameters), the sort, how LIMIT and count(*) are
 * done, and with ANALYZE the requests, entries and cache hits.
 */
extern void arxivExplainForeignScan(ForeignScanState *node, ExplainState *es);

#endif							/* ARXIV_SCAN_H */
