/*-------------------------------------------------------------------------
 *
 * scan.c
 *	  Executor callbacks of the API's tables, and EXPLAIN: the request built
 *	  from this execution's values, paging through the listing (id
 *	  batches, continuing past arXiv's window, dropping rows seen again),
 *	  rows from entries, count(*) and LIMIT/OFFSET scans.
 *
 * A scan fetches pages of an arXiv query one request at a time, through
 * fetch.c.  Each response is parsed while it arrives and its entries
 * converted to rows in a per-page memory context; the rows are returned
 * only once the page is complete and valid, so a page that fails half way
 * can be retried without returning anything twice, and memory stays
 * bounded by one page whatever the size of the result.
 *
 *-------------------------------------------------------------------------
 */
#include "arxiv_fdw.h"

#include <math.h>

#include "access/table.h"
#include "commands/explain.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"

#include "arxiv_scan.h"

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

void
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

/*
 * The value of a LIMIT or OFFSET expression; if_null when it is NULL.  A
 * negative one fails with the executor's own error for that clause.
 */
static int64
eval_row_count(ExprState *state, ExprContext *econtext, int64 if_null,
			   bool is_limit)
{
	bool		isnull;
	Datum		value = ExecEvalExprSwitchContext(state, econtext, &isnull);
	int64		count;

	if (isnull)
		return if_null;
	count = DatumGetInt64(value);
	if (count < 0 && is_limit)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_ROW_COUNT_IN_LIMIT_CLAUSE),
				 errmsg("LIMIT must not be negative")));
	if (count < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_ROW_COUNT_IN_RESULT_OFFSET_CLAUSE),
				 errmsg("OFFSET must not be negative")));
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
	ss->limit_count = eval_row_count(ss->limit_count_state, econtext, -1, true);
	ss->limit_offset = eval_row_count(ss->limit_offset_state, econtext, 0, false);
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
		ss->feed_title = NULL;
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
		/* in scan_cxt, like the two above; left to its reset */
		ss->tail_before = NIL;
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

/*
 * A copy of the tail, entries included, in scan_cxt: note_window_row frees
 * the entries it drops, so a page that fails must get back copies, not
 * pointers to what it freed.
 */
static List *
copy_tail(ArxivScanState *ss, List *tail)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(ss->scan_cxt);
	List	   *copy = NIL;
	ListCell   *lc;

	foreach(lc, tail)
	{
		TailEntry  *te = lfirst(lc);
		TailEntry  *c = palloc(sizeof(TailEntry));

		c->id = pstrdup(te->id);
		c->minute = te->minute;
		copy = lappend(copy, c);
	}
	MemoryContextSwitchTo(oldcxt);
	return copy;
}

static void
free_tail(List *tail)
{
	ListCell   *lc;

	foreach(lc, tail)
	{
		TailEntry  *te = lfirst(lc);

		pfree(te->id);
		pfree(te);
	}
	list_free(tail);
}

/* The sink's begin_page callback: an attempt at a page starts. */
static void
scan_begin_page(void *arg)
{
	ArxivScanState *ss = (ArxivScanState *) arg;

	reset_scan(ss, RESET_PAGE);
	free_tail(ss->tail_before);
	ss->tail_before = copy_tail(ss, ss->tail);
}

/* The sink's page_failed callback: the retry will see these rows again. */
static void
scan_page_failed(void *arg)
{
	ArxivScanState *ss = (ArxivScanState *) arg;

	free_tail(ss->tail);
	ss->tail = ss->tail_before;
	ss->tail_before = NIL;
}

/*
 * What decides the pages a listing asks for, given the pages it receives:
 * its key in the response cache (with the role).  A scan that replays a
 * listing written under the same key asks for exactly the pages the writer
 * asked for, in the same order, and stops where the writer stopped (see
 * arxiv_fetch_finish_listing).  One function for the scans' keys and for
 * use_remote_estimate's probe (plan.c), which must equal a scan's key so
 * that each replays what the other cached.
 */
char *
arxiv_listing_key(const char *url, const char *postfields,
				  const ArxivListingShape *shape, const ArxivRequest *req)
{
	StringInfoData key;
	ListCell   *lc;

	initStringInfo(&key);
	appendStringInfo(&key, "%s\n%s\n", url, postfields ? postfields : "");
	appendStringInfo(&key, "kind %d page_size %d fetch_limit %ld probe %d filter %d\n",
					 (int) shape->kind, shape->page_size, shape->fetch_limit,
					 shape->probe, shape->filter);
	if (shape->kind == UPPER_LIMIT)
		appendStringInfo(&key, "limit " INT64_FORMAT " offset " INT64_FORMAT " local %d\n",
						 shape->limit_count, shape->limit_offset, shape->local);
	if (req->has_updated_lo)
		appendStringInfo(&key, "updated >= " INT64_FORMAT "\n",
						 (int64) req->updated_lo);
	if (req->has_updated_hi)
		appendStringInfo(&key, "updated <= " INT64_FORMAT "\n",
						 (int64) req->updated_hi);
	foreach(lc, req->ids)
		appendStringInfo(&key, "%s,", (char *) lfirst(lc));
	return key.data;
}

/* The sink's listing_key: the scan's shape and this execution's request. */
static char *
listing_key(void *arg, const char *url, const char *postfields)
{
	ArxivScanState *ss = (ArxivScanState *) arg;
	ArxivListingShape shape;

	memset(&shape, 0, sizeof(shape));
	shape.kind = ss->kind;
	shape.page_size = ss->opts.page_size;
	shape.fetch_limit = ss->fetch_limit;
	shape.probe = ss->conv == NULL;
	shape.filter = ss->has_filter;
	shape.limit_count = ss->limit_count;
	shape.limit_offset = ss->limit_offset;
	shape.local = ss->local_qual != NULL;
	return arxiv_listing_key(url, postfields, &shape, &ss->req);
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

TupleTableSlot *
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

void
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

void
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

/* What an upper scan replaces, and where an id source's ids come from. */
static void
explain_relations(ArxivScanState *ss, ExplainState *es)
{
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
}

/* The ids of a request, comma-separated as in arXiv's id_list. */
static char *
id_list_text(List *ids)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, ids)
		appendStringInfo(&buf, "%s%s", buf.len ? "," : "", (char *) lfirst(lc));
	return buf.data;
}

/*
 * The request sent and its sort, or that it is computed at execution
 * start: a request that depends on parameters is not known before.
 */
static void
explain_request(ArxivScanState *ss, ExplainState *es)
{
	if (!ss->req_valid)
	{
		ExplainPropertyText("arXiv Query", "computed at execution start", es);
		return;
	}
	if (ss->req.impossible)
		ExplainPropertyText("arXiv Request", "none (conditions match nothing)", es);
	else
	{
		if (ss->req.search_query)
			ExplainPropertyText("arXiv Query", ss->req.search_query, es);
		if (ss->req.ids != NIL)
			ExplainPropertyText("arXiv Id List", id_list_text(ss->req.ids), es);
	}
	if (ss->sort_by)
		ExplainPropertyText("arXiv Sort", psprintf("%s %s", ss->sort_by, ss->sort_order), es);
}

/* How count(*), LIMIT and OFFSET are done, and the first page's size. */
static void
explain_paging(ArxivScanState *ss, ExplainState *es)
{
	if (ss->kind == UPPER_COUNT)
		ExplainPropertyText("arXiv Count", "totalResults of one request", es);
	if (ss->kind == UPPER_LIMIT)
		explain_limit(ss, es);
	if (ss->fetch_limit > 0 && (ss->kind != UPPER_LIMIT || ss->req_valid))
		ExplainPropertyInteger("arXiv First Page", NULL,
							   Max(Min(ss->fetch_limit, ss->opts.page_size), 1), es);
}

/*
 * The expressions behind the request, deparsed: the values it waits for
 * (before execution start), or with VERBOSE the conditions PostgreSQL
 * rechecks because this execution's values made them inexact.
 */
static void
explain_expressions(ForeignScanState *node, ArxivScanState *ss,
					ExplainState *es)
{
	List	   *dpcontext;

	if (!es->verbose && ss->req_valid)
		return;
	dpcontext = set_deparse_context_plan(es->deparse_cxt, node->ss.ps.plan, NIL);
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

/* EXPLAIN ANALYZE: what the scan's requests came to. */
static void
explain_analyze(ArxivScanState *ss, ExplainState *es)
{
	ExplainPropertyInteger("arXiv Requests", NULL, ss->stats.requests, es);
	ExplainPropertyInteger("arXiv Entries", NULL, ss->stats.entries, es);
	if (ss->stats.cache_hits > 0 || es->verbose)
		ExplainPropertyInteger("arXiv Cache Hits", NULL, ss->stats.cache_hits, es);
	if (!es->verbose)
		return;
	ExplainPropertyInteger("arXiv Bytes", NULL, ss->stats.bytes, es);
	ExplainPropertyInteger("arXiv Retries", NULL, ss->stats.retries, es);
	ExplainPropertyFloat("arXiv Rate Limit Wait", "s", ss->stats.waited, 3, es);
	if (ss->feed_title)
		ExplainPropertyText("arXiv Echo", ss->feed_title, es);
}

void
arxivExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	ArxivScanState *ss = node->fdw_state;
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;

	if (ss->state_kind == STATE_OAI)
	{
		oaiExplainForeignScan(node, es);
		return;
	}
	/* a request whose values are known before execution is shown as sent */
	if (!ss->req_valid && ss->id_source == NIL &&
		!contains_exec_param_walker((Node *) fsplan->fdw_exprs, NULL))
		compute_request(node, ss);
	explain_relations(ss, es);
	explain_request(ss, es);
	explain_paging(ss, es);
	explain_expressions(node, ss, es);
	if (es->analyze)
		explain_analyze(ss, es);
}
