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
#include "commands/explain.h"
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
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/ruleutils.h"
#include "utils/memutils.h"
#include "utils/rel.h"

PG_MODULE_MAGIC;

/* planner state kept in baserel->fdw_private */
typedef struct ArxivPlanState
{
	ArxivOptions opts;
	ArxivField *fields;
	List	   *pushed;			/* condition trees sent to arXiv */
	List	   *local;			/* RestrictInfos PostgreSQL checks */
	List	   *exprs;			/* value expressions of the trees */
	bool		restricts;		/* the request is not "all of arXiv" */
} ArxivPlanState;

/* indexes into ForeignScan.fdw_private */
enum ArxivScanPrivate
{
	FSP_PUSHED,					/* List of condition trees */
	FSP_LOCAL_DESC				/* String: how many quals stay local */
};

typedef struct ArxivRow
{
	Datum	   *values;
	bool	   *nulls;
} ArxivRow;

typedef struct ArxivScanState
{
	ArxivOptions opts;
	List	   *pushed;
	List	   *exprstates;
	List	   *exprs;
	Datum	   *values;			/* of exprstates */
	bool	   *isnull;
	ArxivRequest req;
	bool		req_valid;
	ArxivConverter *conv;
	ArxivHttp  *http;
	char		host[256];
	int			natts;
	MemoryContext scan_cxt;		/* request, HTTP client: the whole scan */
	MemoryContext page_cxt;		/* rows of the current page */

	/* paging */
	bool		started;
	bool		eof;
	long		next_start;
	long		total;

	/* the current page */
	ArxivRow   *rows;
	int			nrows;
	int			maxrows;
	int			next_row;

	/* the response being parsed */
	AtomParser *parser;
	AtomStatus	parse_status;
	bool		sink_failed;
	ErrorData  *entry_error;
	const char *entry_id;		/* for the error context */
	MemoryContextCallback parser_cleanup;

	/* for EXPLAIN ANALYZE */
	long		requests;
	long		entries;
	long		retries;
	int64		bytes;
	double		waited;
	char	   *echo;
} ArxivScanState;

PG_FUNCTION_INFO_V1(arxiv_fdw_handler);

static void arxivGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel,
								   Oid foreigntableid);
static void arxivGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel,
								 Oid foreigntableid);
static ForeignScan *arxivGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel,
										Oid foreigntableid, ForeignPath *best_path,
										List *tlist, List *scan_clauses,
										Plan *outer_plan);
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

/* Number of ids a top-level id condition lists, if known at plan time. */
static double
estimate_rows(ArxivPlanState *ps)
{
	ListCell   *lc;
	double		rows = ps->restricts ? 200 : 1e6;

	foreach(lc, ps->exprs)
	{
		Node	   *expr = lfirst(lc);

		/* an id list: as many rows as ids at most */
		if (IsA(expr, Const) && !((Const *) expr)->constisnull &&
			((Const *) expr)->consttype == TEXTARRAYOID)
		{
			ArrayType  *arr = DatumGetArrayTypeP(((Const *) expr)->constvalue);

			rows = Min(rows, ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr)));
		}
	}
	return Max(rows, 1);
}

static void
arxivGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel,
					   Oid foreigntableid)
{
	ArxivPlanState *ps = palloc0(sizeof(ArxivPlanState));
	Relation	rel = table_open(foreigntableid, NoLock);

	arxiv_get_options(foreigntableid, &ps->opts);
	ps->fields = arxiv_column_fields(foreigntableid, RelationGetDescr(rel));
	table_close(rel, NoLock);

	arxiv_classify_conditions(root, baserel, ps->fields, ps->opts.query,
							  &ps->pushed, &ps->local, &ps->exprs);
	ps->restricts = arxiv_tree_restricts(ps->pushed, ps->opts.query);
	baserel->fdw_private = ps;
	baserel->rows = estimate_rows(ps);
	baserel->tuples = baserel->rows;
}

/*
 * A request costs request_interval seconds of arXiv's budget; that dwarfs
 * any CPU cost, so cost is dominated by the number of requests.  One second
 * is priced at 1000 sequential page reads.
 */
static void
estimate_costs(ArxivPlanState *ps, double rows, Cost *startup, Cost *total)
{
	double		request_cost = 1000.0 * (Max(ps->opts.request_interval, 0.01) + 0.5);
	double		pages = ceil(rows / ps->opts.page_size);

	*startup = request_cost;
	*total = *startup + (Max(pages, 1) - 1) * request_cost +
		rows * cpu_tuple_cost * 10;
	if (!ps->restricts)
	{
		/* refused at plan time anyway: make any restricted plan win */
		*startup += disable_cost;
		*total += disable_cost;
	}
}

static void
arxivGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel,
					 Oid foreigntableid)
{
	ArxivPlanState *ps = baserel->fdw_private;
	Cost		startup;
	Cost		total;

	estimate_costs(ps, baserel->rows, &startup, &total);
	add_path(baserel, (Path *)
			 create_foreignscan_path(root, baserel, NULL, baserel->rows,
									 startup, total, NIL, NULL, NULL, NIL));
}

static ForeignScan *
arxivGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel,
					Oid foreigntableid, ForeignPath *best_path,
					List *tlist, List *scan_clauses, Plan *outer_plan)
{
	ArxivPlanState *ps = baserel->fdw_private;
	List	   *local_clauses = NIL;
	ListCell   *lc;

	if (!ps->restricts)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("query on foreign table \"%s\" would fetch all of arXiv",
						get_rel_name(foreigntableid)),
				 errdetail("None of the WHERE conditions can be sent to arXiv, and arXiv allows one request every 3 seconds."),
				 errhint("Add a condition on \"id\", \"category\", \"author\", \"search\" or a \"published\" range, or set the table option \"query\".")));

	/* keep the clauses PostgreSQL must check; pushed exact ones are done */
	foreach(lc, scan_clauses)
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);

		if (ri->pseudoconstant)
			continue;
		if (list_member_ptr(ps->local, ri))
			local_clauses = lappend(local_clauses, ri->clause);
	}

	return make_foreignscan(tlist, local_clauses, baserel->relid, ps->exprs,
							list_make1(ps->pushed), NIL, NIL, outer_plan);
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

static void
free_parser(void *arg)
{
	ArxivScanState *ss = (ArxivScanState *) arg;

	atom_parser_free(ss->parser);
	ss->parser = NULL;
}

static void
arxivBeginForeignScan(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	Relation	rel = node->ss.ss_currentRelation;
	TupleDesc	tupdesc = RelationGetDescr(rel);
	ArxivScanState *ss = palloc0(sizeof(ArxivScanState));

	node->fdw_state = ss;
	arxiv_get_options(RelationGetRelid(rel), &ss->opts);
	ss->pushed = linitial(fsplan->fdw_private);
	ss->exprs = fsplan->fdw_exprs;
	ss->exprstates = ExecInitExprList(fsplan->fdw_exprs, (PlanState *) node);
	ss->values = palloc0(sizeof(Datum) * (list_length(ss->exprs) + 1));
	ss->isnull = palloc0(sizeof(bool) * (list_length(ss->exprs) + 1));
	ss->natts = tupdesc->natts;
	ss->conv = arxiv_converter_create(tupdesc,
									  arxiv_column_fields(RelationGetRelid(rel),
														  tupdesc));
	arxiv_url_host(ss->opts.base_url, ss->host, sizeof(ss->host));

	ss->scan_cxt = AllocSetContextCreate(estate->es_query_cxt,
										 "arxiv_fdw scan",
										 ALLOCSET_DEFAULT_SIZES);
	ss->page_cxt = AllocSetContextCreate(ss->scan_cxt,
										 "arxiv_fdw page",
										 ALLOCSET_DEFAULT_SIZES);

	/* EXPLAIN shows the request when it needs no executor-computed value */
	if ((eflags & EXEC_FLAG_EXPLAIN_ONLY) &&
		!contains_exec_param_walker((Node *) ss->exprs, NULL))
		(void) 0;				/* built lazily by arxivExplainForeignScan */
}

/* Evaluate the value expressions and build the request, in scan_cxt. */
static void
compute_request(ForeignScanState *node, ArxivScanState *ss)
{
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	MemoryContext oldcxt;
	ListCell   *lc;
	int			i = 0;

	MemoryContextReset(ss->scan_cxt);
	ss->http = NULL;
	ss->page_cxt = AllocSetContextCreate(ss->scan_cxt, "arxiv_fdw page",
										 ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(ss->scan_cxt);
	foreach(lc, ss->exprstates)
	{
		ss->values[i] = ExecEvalExpr(lfirst(lc), econtext, &ss->isnull[i]);
		i++;
	}
	arxiv_build_request(ss->pushed, ss->values, ss->isnull, ss->opts.query,
						&ss->req);
	arxiv_converter_set_request(ss->conv, &ss->req);
	MemoryContextSwitchTo(oldcxt);
	ss->req_valid = true;

	if (!ss->req.impossible && ss->req.search_query == NULL &&
		ss->req.ids == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("query would fetch all of arXiv"),
				 errdetail("The conditions sent to arXiv restrict nothing for these values."),
				 errhint("Add a condition on \"id\", \"category\", \"author\", \"search\" or a \"published\" range.")));
}

static void
entry_error_context(void *arg)
{
	ArxivScanState *ss = (ArxivScanState *) arg;

	errcontext("arXiv entry \"%s\"", ss->entry_id ? ss->entry_id : "?");
}

/*
 * Parser callback: convert one entry to a row of the page.  Runs inside
 * libxml2 inside libcurl, so it must not longjmp: an ERROR is caught, kept,
 * and rethrown once control is back in our code.
 */
static int
on_entry(void *arg, const AtomEntry *entry)
{
	ArxivScanState *ss = (ArxivScanState *) arg;
	MemoryContext oldcxt = MemoryContextSwitchTo(ss->page_cxt);
	ErrorContextCallback errcallback;
	volatile bool failed = false;

	PG_TRY();
	{
		ArxivRow   *row;

		errcallback.callback = entry_error_context;
		errcallback.arg = ss;
		errcallback.previous = error_context_stack;
		error_context_stack = &errcallback;
		ss->entry_id = entry->id_url;

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
		error_context_stack = errcallback.previous;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(ss->scan_cxt);
		ss->entry_error = CopyErrorData();
		FlushErrorState();
		failed = true;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
	return failed ? 1 : 0;
}

static size_t
parse_sink(void *arg, const char *data, size_t len)
{
	ArxivScanState *ss = (ArxivScanState *) arg;

	if (ss->parse_status != ATOM_OK)
		return 0;
	ss->parse_status = atom_parser_feed(ss->parser, data, len);
	if (ss->parse_status != ATOM_OK)
	{
		ss->sink_failed = true;
		return 0;
	}
	return len;
}

/* what one attempt at a page came to */
typedef enum FetchOutcome
{
	FETCH_OK,
	FETCH_RETRY,
	FETCH_FAIL
} FetchOutcome;

typedef struct FetchResult
{
	FetchOutcome outcome;
	int			sqlstate;
	char	   *message;
	char	   *detail;
	double		retry_after;
} FetchResult;

static FetchOutcome
fetch_result(FetchResult *fr, FetchOutcome outcome, int sqlstate,
			 const char *detail_fmt,...) pg_attribute_printf(4, 5);

static FetchOutcome
fetch_result(FetchResult *fr, FetchOutcome outcome, int sqlstate,
			 const char *detail_fmt,...)
{
	va_list		args;
	char		buf[1024];

	va_start(args, detail_fmt);
	vsnprintf(buf, sizeof(buf), detail_fmt, args);
	va_end(args);
	fr->outcome = outcome;
	fr->sqlstate = sqlstate;
	fr->message = pstrdup(buf);
	return outcome;
}

/* Judge a completed transfer and its parse; see arxiv-api.md's failures. */
static FetchOutcome
judge_response(ArxivScanState *ss, ArxivHttpResult *hr, FetchResult *fr)
{
	const AtomFeedInfo *info = atom_parser_info(ss->parser);
	AtomStatus	status = ss->parse_status;

	if (ss->entry_error)
		ReThrowError(ss->entry_error);
	if (hr->too_large)
		return fetch_result(fr, FETCH_FAIL, ERRCODE_FDW_ERROR,
							"response larger than max_response_bytes (" INT64_FORMAT ")",
							ss->opts.max_response_bytes);
	if (!hr->transport_error && status == ATOM_OK)
		status = atom_parser_finish(ss->parser);
	if (status == ATOM_OK && info->is_error)
		return fetch_result(fr, FETCH_FAIL, ERRCODE_FDW_ERROR,
							"arXiv API error (HTTP %ld): %s", hr->status,
							info->error_message ? info->error_message : "(no message)");
	if (hr->transport_error && !ss->sink_failed)
		return fetch_result(fr, FETCH_RETRY,
							ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION,
							"%s%s", hr->timed_out ? "timed out: " : "", hr->error);
	if (hr->status == 429 || hr->status >= 500 || hr->status == 403)
	{
		fr->retry_after = hr->retry_after;
		return fetch_result(fr, FETCH_RETRY, ERRCODE_FDW_ERROR,
							"HTTP status %ld", hr->status);
	}
	if (hr->status != 200)
		return fetch_result(fr, FETCH_FAIL, ERRCODE_FDW_ERROR,
							"HTTP status %ld", hr->status);
	if (status != ATOM_OK)
		return fetch_result(fr, FETCH_RETRY, ERRCODE_INVALID_XML_DOCUMENT,
							"invalid Atom response: %s",
							atom_parser_errmsg(ss->parser));
	if (info->nentries == 0 && info->total_results > ss->next_start)
		return fetch_result(fr, FETCH_RETRY, ERRCODE_FDW_ERROR,
							"empty page at start %ld of %ld results",
							ss->next_start, info->total_results);
	fr->outcome = FETCH_OK;
	return FETCH_OK;
}

/* One attempt at a page: wait for our turn, transfer, parse, judge. */
static FetchOutcome
fetch_attempt(ArxivScanState *ss, const char *url, const char *postfields,
			  FetchResult *fr)
{
	ArxivHttpResult hr;

	MemoryContextReset(ss->page_cxt);
	ss->rows = NULL;
	ss->nrows = ss->maxrows = ss->next_row = 0;
	ss->entry_error = NULL;
	ss->sink_failed = false;
	ss->parse_status = ATOM_OK;
	ss->parser = atom_parser_create(on_entry, ss);
	if (ss->parser == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory creating the Atom parser")));
	ss->parser_cleanup.func = free_parser;
	ss->parser_cleanup.arg = ss;
	MemoryContextRegisterResetCallback(ss->page_cxt, &ss->parser_cleanup);
	if (ss->http == NULL)
		ss->http = arxiv_http_create(ss->scan_cxt, &ss->opts);

	PG_TRY();
	{
		ss->waited += arxiv_ratelimit_acquire(ss->host, ss->opts.request_interval);
		arxiv_http_perform(ss->http, url, postfields, parse_sink, ss, &hr);
	}
	PG_FINALLY();
	{
		arxiv_ratelimit_release(ss->opts.request_interval);
	}
	PG_END_TRY();

	ss->requests++;
	ss->bytes += hr.bytes;
	return judge_response(ss, &hr, fr);
}

static double
backoff_seconds(ArxivScanState *ss, int attempt, double retry_after)
{
	double		base = Max(ss->opts.request_interval, 0.5);
	double		delay = base * pow(2, attempt) *
		(1.0 + 0.25 * pg_prng_double(&pg_global_prng_state));

	if (retry_after >= 0)
		delay = Max(delay, retry_after);
	return Min(delay, 120.0);
}

static void
report_fetch_failure(ArxivScanState *ss, FetchResult *fr, const char *url,
					 int attempts)
{
	ereport(ERROR,
			(errcode(fr->sqlstate),
			 errmsg("could not fetch results from arXiv: %s", fr->message),
			 errdetail("%s %s failed after %d attempt%s.",
					   "Request", url, attempts, attempts == 1 ? "" : "s"),
			 fr->outcome == FETCH_RETRY
			 ? errhint("arXiv may be busy; try again later, or raise the server option \"max_retries\".")
			 : 0));
}

/* Fetch the next page into ss->rows, retrying what may pass. */
static void
fetch_next_page(ArxivScanState *ss)
{
	int			max_results;
	char	   *postfields;
	char	   *url;
	FetchResult fr;
	const AtomFeedInfo *info;
	MemoryContext oldcxt;

	if (ss->req.impossible)
	{
		ss->eof = true;
		return;
	}
	if (ss->next_start >= ARXIV_RESULT_WINDOW)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("arXiv query has %ld results, more than the %d arXiv can page through",
						ss->total, ARXIV_RESULT_WINDOW),
				 errdetail("Query: %s", ss->req.search_query ? ss->req.search_query : ""),
				 errhint("Narrow the query, for example with a range on \"published\".")));
	max_results = Min(ss->opts.page_size, ARXIV_RESULT_WINDOW - ss->next_start);

	oldcxt = MemoryContextSwitchTo(ss->scan_cxt);
	url = arxiv_request_url(&ss->req, ss->opts.base_url, ss->next_start,
							max_results, &postfields);
	MemoryContextSwitchTo(oldcxt);

	for (int attempt = 0;; attempt++)
	{
		memset(&fr, 0, sizeof(fr));
		fr.retry_after = -1;
		if (fetch_attempt(ss, url, postfields, &fr) == FETCH_OK)
			break;
		if (fr.outcome == FETCH_FAIL || attempt >= ss->opts.max_retries)
			report_fetch_failure(ss, &fr, url, attempt + 1);
		ss->retries++;
		arxiv_interruptible_sleep(backoff_seconds(ss, attempt, fr.retry_after));
	}

	info = atom_parser_info(ss->parser);
	if (info->title)
		ss->echo = MemoryContextStrdup(ss->scan_cxt, info->title);
	ss->entries += ss->nrows;
	/* advance by what was received, not by what was asked */
	ss->next_start += ss->nrows;
	ss->total = info->total_results >= 0 ? info->total_results :
		(ss->nrows < max_results ? ss->next_start : ss->next_start + 1);
	if (ss->next_start >= ss->total || ss->nrows == 0)
		ss->eof = true;
	free_parser(ss);
}

static TupleTableSlot *
arxivIterateForeignScan(ForeignScanState *node)
{
	ArxivScanState *ss = node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	ArxivRow   *row;

	if (!ss->started)
	{
		compute_request(node, ss);
		ss->started = true;
	}
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

static void
arxivReScanForeignScan(ForeignScanState *node)
{
	ArxivScanState *ss = node->fdw_state;

	/* parameters may have changed: recompute the request on next fetch */
	ss->started = false;
	ss->eof = false;
	ss->next_start = 0;
	ss->total = 0;
	ss->rows = NULL;
	ss->nrows = ss->next_row = ss->maxrows = 0;
}

static void
arxivEndForeignScan(ForeignScanState *node)
{
	ArxivScanState *ss = node->fdw_state;

	if (ss != NULL)
		MemoryContextDelete(ss->scan_cxt);
}

/* ---------------------------------------------------------------------
 * EXPLAIN
 * ---------------------------------------------------------------------
 */

static void
arxivExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	ArxivScanState *ss = node->fdw_state;

	if (!ss->req_valid && !contains_exec_param_walker((Node *) ss->exprs, NULL))
		compute_request(node, ss);

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
	if (es->verbose || !ss->req_valid)
	{
		List	   *dpcontext = set_deparse_context_plan(es->deparse_cxt,
														 node->ss.ps.plan,
														 NIL);

		if (ss->exprs != NIL && !ss->req_valid)
			ExplainPropertyText("arXiv Values",
								arxiv_describe_tree(ss->pushed, ss->exprs, dpcontext),
								es);
	}
	if (es->analyze)
	{
		ExplainPropertyInteger("arXiv Requests", NULL, ss->requests, es);
		ExplainPropertyInteger("arXiv Entries", NULL, ss->entries, es);
		if (es->verbose)
		{
			ExplainPropertyInteger("arXiv Bytes", NULL, ss->bytes, es);
			ExplainPropertyInteger("arXiv Retries", NULL, ss->retries, es);
			ExplainPropertyFloat("arXiv Rate Limit Wait", "s", ss->waited, 3, es);
			if (ss->echo)
				ExplainPropertyText("arXiv Echo", ss->echo, es);
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

	if (strcmp(stmt->remote_schema, "arxiv") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_SCHEMA_NOT_FOUND),
				 errmsg("schema \"%s\" is not available on arXiv",
						stmt->remote_schema),
				 errhint("arXiv has one schema, \"arxiv\", with one table, \"papers\".")));

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
