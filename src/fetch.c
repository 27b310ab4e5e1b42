/*-------------------------------------------------------------------------
 *
 * fetch.c
 *	  One request's life, for the API's tables: the URL a scan built, its
 *	  turn under the rate limit, the response cache (replay of a listing,
 *	  or recording a new one), the HTTP transfer, parsing, judging the
 *	  response, retries with backoff, the statistics, and the totals later
 *	  plans learn.
 *
 * The caller owns an ArxivFetch (see arxiv_fdw.h): a scan keeps one and
 * starts a listing in it at each request (arxiv_fetch_reset);
 * use_remote_estimate makes one for its probe.  Entries go to the
 * caller's sink in a per-page memory context; a page that fails half way
 * is tried again after the sink forgets what it made of it, so nothing is
 * returned twice, and memory stays bounded by one page.
 *
 *-------------------------------------------------------------------------
 */
#include "arxiv_fdw.h"

#include "miscadmin.h"
#include "utils/memutils.h"

/* Free the page's parser (also page_cxt's reset callback). */
static void
free_parser(void *arg)
{
	ArxivFetch *f = (ArxivFetch *) arg;

	atom_parser_free(f->parser);
	f->parser = NULL;
}

static void
entry_error_context(void *arg)
{
	ArxivFetch *f = (ArxivFetch *) arg;

	errcontext("arXiv entry \"%s\"", f->entry_id ? f->entry_id : "?");
}

/*
 * Parser callback: pass one entry to the caller's sink, in page_cxt (an
 * estimate probe has none: its rows are not wanted).  Runs inside
 * libxml2 inside libcurl, so it must not longjmp: an ERROR is caught, kept,
 * and rethrown once control is back in our code.
 */
static int
on_entry(void *arg, const AtomEntry *entry)
{
	ArxivFetch *f = (ArxivFetch *) arg;
	MemoryContext oldcxt = MemoryContextSwitchTo(f->page_cxt);
	ErrorContextCallback errcallback;
	volatile bool failed = false;

	errcallback.callback = entry_error_context;
	errcallback.arg = f;
	errcallback.previous = error_context_stack;
	PG_TRY();
	{
		error_context_stack = &errcallback;
		f->entry_id = entry->id_url;
		if (f->sink.entry != NULL)
			f->sink.entry(f->sink.arg, entry);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(f->cxt);
		f->entry_error = CopyErrorData();
		FlushErrorState();
		failed = true;
	}
	PG_END_TRY();
	error_context_stack = errcallback.previous;
	MemoryContextSwitchTo(oldcxt);
	return failed ? 1 : 0;
}

static size_t
parse_sink(void *arg, const char *data, size_t len)
{
	ArxivFetch *f = (ArxivFetch *) arg;

	arxiv_cache_write(f->cache_writer, data, len);
	if (f->parse_status != ATOM_OK)
		return 0;
	f->parse_status = atom_parser_feed(f->parser, data, len);
	if (f->parse_status != ATOM_OK)
	{
		f->sink_failed = true;
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

/* which counter a failed attempt goes to */
typedef enum FetchErrorKind
{
	FE_NONE,
	FE_HTTP,
	FE_TRANSPORT,
	FE_PARSE,
	FE_ARXIV,
	FE_EMPTY,
	FE_OTHER
} FetchErrorKind;

typedef struct FetchResult
{
	FetchOutcome outcome;
	FetchErrorKind kind;
	int			sqlstate;
	char	   *detail;			/* the cause, a sentence for errdetail */
	double		retry_after;
} FetchResult;

static FetchOutcome fetch_result(FetchResult *fr, FetchOutcome outcome,
								 FetchErrorKind kind, int sqlstate,
								 const char *fmt,...) pg_attribute_printf(5, 6);

static FetchOutcome
fetch_result(FetchResult *fr, FetchOutcome outcome, FetchErrorKind kind,
			 int sqlstate, const char *fmt,...)
{
	va_list		args;
	char		buf[1024];

	va_start(args, fmt);
	vsnprintf(buf, sizeof(buf), fmt, args);
	va_end(args);
	fr->outcome = outcome;
	fr->kind = kind;
	fr->sqlstate = sqlstate;
	fr->detail = pstrdup(buf);
	return outcome;
}

/* The full stop a sentence quoting text from elsewhere needs, if any. */
static const char *
full_stop(const char *s)
{
	size_t		len = strlen(s);

	return len > 0 && strchr(".!?", s[len - 1]) != NULL ? "" : ".";
}

/*
 * What a body that is not an Atom feed is, for messages.  Never its text:
 * base_url may point at a service whose replies the user must not read, and
 * libxml2's messages quote names from the document.
 */
static const char *
not_atom_reason(AtomStatus status)
{
	switch (status)
	{
		case ATOM_ERR_XML:
			return "not well-formed XML";
		case ATOM_ERR_NOT_ATOM:
			return "XML that is not an Atom feed";
		case ATOM_ERR_FORBIDDEN:
			return "XML with a DOCTYPE";
		case ATOM_ERR_LIMIT:
			return "a feed beyond the parser's size limits";
		case ATOM_ERR_OOM:
			return "too large for the memory available";
		default:
			return "not an Atom feed";
	}
}

/* Judge a completed transfer and its parse; see arxiv-api.md's failures. */
static FetchOutcome
judge_response(ArxivFetch *f, ArxivHttpResult *hr, FetchResult *fr)
{
	const AtomFeedInfo *info = atom_parser_info(f->parser);
	AtomStatus	status = f->parse_status;

	if (f->entry_error)
		ReThrowError(f->entry_error);
	if (hr->too_large)
		return fetch_result(fr, FETCH_FAIL, FE_OTHER,
							ERRCODE_FDW_UNABLE_TO_CREATE_REPLY,
							"The response is larger than max_response_bytes (" INT64_FORMAT ").",
							f->opts->max_response_bytes);
	if (!hr->transport_error && status == ATOM_OK)
		status = atom_parser_finish(f->parser);
	if (status == ATOM_OK && info->is_error)
	{
		const char *said = info->error_message ? info->error_message : "(no message)";

		/*
		 * arXiv answers a request it cannot parse (in practice a value of
		 * the "search" column or the table's query, which only arXiv fully
		 * checks) with 400; an error feed with 200 is arXiv failing.
		 */
		return fetch_result(fr, FETCH_FAIL, FE_ARXIV,
							hr->status >= 400 && hr->status < 500
							? ERRCODE_INVALID_PARAMETER_VALUE
							: ERRCODE_FDW_UNABLE_TO_CREATE_REPLY,
							"arXiv answered with an error (HTTP status %ld): %s%s",
							hr->status, said, full_stop(said));
	}
	if (hr->transport_error && !f->sink_failed)
		return fetch_result(fr, FETCH_RETRY, FE_TRANSPORT,
							ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION,
							"The transfer failed: %s.", hr->error);
	if (hr->status == 429 || hr->status >= 500 || hr->status == 403)
	{
		fr->retry_after = hr->retry_after;
		return fetch_result(fr, FETCH_RETRY, FE_HTTP,
							ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION,
							"The server answered with HTTP status %ld.", hr->status);
	}
	if (hr->status != 200)
		return fetch_result(fr, FETCH_FAIL, FE_HTTP,
							ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION,
							"The server answered with HTTP status %ld.", hr->status);
	if (status != ATOM_OK && hr->bytes == 0)
		return fetch_result(fr, FETCH_RETRY, FE_PARSE,
							ERRCODE_FDW_UNABLE_TO_CREATE_REPLY,
							"The response body is empty.");
	if (status != ATOM_OK)
		return fetch_result(fr, FETCH_RETRY, FE_PARSE,
							ERRCODE_FDW_UNABLE_TO_CREATE_REPLY,
							"The response is not a valid Atom feed: %s (HTTP status %ld, Content-Type \"%s\", " INT64_FORMAT " bytes).",
							not_atom_reason(status), hr->status,
							hr->content_type[0] ? hr->content_type : "none",
							hr->bytes);
	if (info->total_results < 0)
		return fetch_result(fr, FETCH_RETRY, FE_PARSE,
							ERRCODE_FDW_UNABLE_TO_CREATE_REPLY,
							"The response has no opensearch:totalResults.");
	if (info->nentries == 0 && info->total_results > f->start)
		return fetch_result(fr, FETCH_RETRY, FE_EMPTY,
							ERRCODE_FDW_UNABLE_TO_CREATE_REPLY,
							"The page at start %ld is empty, though totalResults is %ld.",
							f->start, info->total_results);
	fr->outcome = FETCH_OK;
	return FETCH_OK;
}

/*
 * Reset the page (the sink forgets the rows it made of the last attempt)
 * and start a parser whose cleanup is tied to page_cxt.
 */
static void
start_page(ArxivFetch *f)
{
	MemoryContextReset(f->page_cxt);
	if (f->sink.begin_page != NULL)
		f->sink.begin_page(f->sink.arg);
	f->entry_error = NULL;
	f->sink_failed = false;
	f->body = f->body_last = NULL;
	f->body_oom = false;
	f->parse_status = ATOM_OK;
	f->parser = atom_parser_create(on_entry, f);
	if (f->parser == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Failed while creating the Atom parser.")));
	f->parser_cleanup.func = free_parser;
	f->parser_cleanup.arg = f;
	MemoryContextRegisterResetCallback(f->page_cxt, &f->parser_cleanup);
}

/* An attempt was not the page: the sink undoes what its entries noted. */
static void
page_failed(ArxivFetch *f)
{
	if (f->sink.page_failed != NULL)
		f->sink.page_failed(f->sink.arg);
}

/* Count an attempt in this session's and the cluster's statistics. */
static void
count_attempt(ArxivFetch *f, FetchResult *fr, bool network,
			  int64 bytes, double waited, bool retry)
{
	ArxivCounters delta = {0};

	delta.requests = network ? 1 : 0;
	delta.cache_hits = network ? 0 : 1;
	delta.bytes = bytes;
	delta.rate_limit_wait = waited;
	delta.retries = retry ? 1 : 0;
	if (fr->outcome == FETCH_OK)
		delta.entries = atom_parser_info(f->parser)->nentries;
	delta.errors_http = fr->kind == FE_HTTP;
	delta.errors_transport = fr->kind == FE_TRANSPORT;
	delta.errors_parse = fr->kind == FE_PARSE;
	delta.errors_arxiv = fr->kind == FE_ARXIV;
	delta.errors_empty = fr->kind == FE_EMPTY;
	arxiv_stats_add(&delta);
}

/*
 * At the scan's first page: replay a cached listing of it, if a fresh one
 * exists and the scan may; otherwise fetch every page and cache them as a
 * new listing.  Both live in cxt, reset when the caller starts a new
 * listing.
 */
static void
decide_cache(ArxivFetch *f, const char *url, const char *postfields)
{
	MemoryContext oldcxt;
	char	   *key;

	f->cache_decided = true;
	if (f->opts->cache_ttl <= 0)
		return;
	oldcxt = MemoryContextSwitchTo(f->cxt);
	key = f->sink.listing_key(f->sink.arg, url, postfields);
	if (arxiv_response_cache && !f->fresh_only)
		f->cache_reader = arxiv_cache_open(f->cxt, f->role, key,
											f->opts->cache_ttl);
	if (f->cache_reader == NULL)
		f->cache_writer = arxiv_cache_begin(f->cxt, f->role, key,
											 f->opts->cache_ttl);
	pfree(key);
	MemoryContextSwitchTo(oldcxt);
}

/*
 * The scan will ask for no more pages: keep the listing it fetched.  Only
 * then, so that a replay never runs out of pages and has to continue with
 * fresh ones (a listing captured at another time).
 */
void
arxiv_fetch_finish_listing(ArxivFetch *f)
{
	arxiv_cache_commit(f->cache_writer);
	f->cache_writer = NULL;
}

/*
 * Answer the page from the listing being replayed.  At the first page, a
 * listing that does not answer it is dropped and the scan fetches every
 * page itself; later, it cannot be (the earlier pages came from the
 * listing), so the scan fails instead, and the listing is removed.
 */
static bool
fetch_from_cache(ArxivFetch *f, const char *url, const char *postfields,
				 FetchResult *fr)
{
	ArxivHttpResult hr;
	ArxivReplayStatus status;
	bool		first = !f->replayed;

	memset(&hr, 0, sizeof(hr));
	hr.retry_after = -1;
	start_page(f);
	status = arxiv_cache_replay(f->cache_reader, url, postfields,
								f->opts->max_response_bytes, parse_sink, f,
								&hr.bytes);
	hr.status = 200;
	hr.too_large = status == REPLAY_TOO_LARGE;
	if (status == REPLAY_OK && judge_response(f, &hr, fr) == FETCH_OK)
	{
		f->stats->cache_hits++;
		f->replayed = true;
		count_attempt(f, fr, false, 0, 0, false);
		return true;
	}
	page_failed(f);
	if (!first)
	{
		if (status != REPLAY_TOO_LARGE)
			arxiv_cache_discard(f->cache_reader);
		ereport(ERROR,
				(errcode(status == REPLAY_TOO_LARGE
						 ? ERRCODE_FDW_UNABLE_TO_CREATE_REPLY
						 : ERRCODE_DATA_CORRUPTED),
				 status == REPLAY_TOO_LARGE
				 ? errmsg("cached arXiv response is larger than max_response_bytes")
				 : errmsg("cached arXiv listing does not answer the request"),
				 status == REPLAY_TOO_LARGE
				 ? errdetail("The limit is " INT64_FORMAT " bytes. The earlier pages of this scan came from the response cache; a fresh page would not continue the same listing.",
							 f->opts->max_response_bytes)
				 : errdetail("The earlier pages of this scan came from the response cache; a fresh page would not continue the same listing."),
				 errhint("Run the query again: the cached listing was removed, or set \"arxiv_fdw.response_cache\" to off.")));
	}
	/* nothing came from it yet: fetch every page fresh, and cache them */
	f->cache_reader = NULL;
	f->cache_writer = arxiv_cache_begin(f->cxt, f->role,
										 f->sink.listing_key(f->sink.arg, url, postfields),
										 f->opts->cache_ttl);
	memset(fr, 0, sizeof(*fr));
	fr->retry_after = -1;
	return false;
}

/*
 * Remember the totalResults of a search for later plans (learned
 * estimates, kept like responses for cache_ttl), once per scan: every page
 * of it says the same.  Not for id lists, whose size the planner knows,
 * nor for window continuations, which are not the search the planner sees:
 * for those the caller leaves learn_query NULL.
 */
static void
learn_total(ArxivFetch *f)
{
	if (f->total_learned || f->opts->cache_ttl <= 0 || f->learn_query == NULL)
		return;
	arxiv_learned_store(f->role, f->opts->base_url, f->learn_query,
						atom_parser_info(f->parser)->total_results);
	f->total_learned = true;
}

/* one piece of a response body, as libcurl delivered it */
typedef struct BodyChunk
{
	struct BodyChunk *next;
	size_t		len;
	char		data[FLEXIBLE_ARRAY_MEMBER];
} BodyChunk;

/*
 * The sink of a network transfer: keep the body for parsing once the host
 * is released.  Runs inside libcurl, so it must not throw: a chunk that
 * cannot be allocated stops the transfer and is reported afterwards.
 */
static size_t
buffer_sink(void *arg, const char *data, size_t len)
{
	ArxivFetch *f = (ArxivFetch *) arg;
	BodyChunk  *chunk;

	chunk = MemoryContextAllocExtended(f->body_cxt,
									   offsetof(BodyChunk, data) + len,
									   MCXT_ALLOC_NO_OOM | MCXT_ALLOC_HUGE);
	if (chunk == NULL)
	{
		f->body_oom = true;
		return 0;
	}
	chunk->next = NULL;
	chunk->len = len;
	memcpy(chunk->data, data, len);
	if (f->body_last)
		f->body_last->next = chunk;
	else
		f->body = chunk;
	f->body_last = chunk;
	return len;
}

/* Parse (and cache) the kept body, then free it. */
static void
parse_body(ArxivFetch *f)
{
	for (BodyChunk *c = f->body; c != NULL; c = c->next)
	{
		CHECK_FOR_INTERRUPTS();
		if (parse_sink(f, c->data, c->len) != c->len)
			break;
	}
	f->body = f->body_last = NULL;
	MemoryContextReset(f->body_cxt);
}

/*
 * One attempt at a page: wait for our turn, transfer, release the host,
 * then parse, convert and judge.  Nothing user-defined (domain checks,
 * input functions of the columns' types) runs while the host is held.
 */
static FetchOutcome
fetch_attempt(ArxivFetch *f, const char *url, const char *postfields,
			  FetchResult *fr, int attempt)
{
	ArxivHttpResult hr;
	volatile double waited = 0;	/* set in PG_TRY */

	if (!f->cache_decided)
		decide_cache(f, url, postfields);
	if (f->cache_reader != NULL && fetch_from_cache(f, url, postfields, fr))
		return FETCH_OK;

	start_page(f);
	if (f->http == NULL)
		f->http = arxiv_http_create(f->cxt, f->opts);
	if (f->body_cxt == NULL)
		f->body_cxt = AllocSetContextCreate(f->cxt, "arxiv_fdw body",
											 ALLOCSET_DEFAULT_SIZES);
	arxiv_cache_page_begin(f->cache_writer, url, postfields);

	PG_TRY();
	{
		waited = arxiv_ratelimit_acquire(f->host, f->opts->request_interval);
		arxiv_http_perform(f->http, url, postfields, buffer_sink, f, &hr);
	}
	PG_FINALLY();
	{
		arxiv_ratelimit_release();
	}
	PG_END_TRY();

	if (f->body_oom)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Failed while keeping an arXiv response of " INT64_FORMAT " bytes.",
						   hr.bytes)));
	if (!hr.transport_error && !hr.too_large)
		parse_body(f);
	else
	{
		f->body = f->body_last = NULL;
		MemoryContextReset(f->body_cxt);
	}

	f->stats->requests++;
	f->stats->waited += waited;
	f->stats->bytes += hr.bytes;
	if (judge_response(f, &hr, fr) == FETCH_OK)
	{
		arxiv_cache_page_end(f->cache_writer, true);
		learn_total(f);
	}
	else
	{
		arxiv_cache_page_end(f->cache_writer, false);
		page_failed(f);			/* the retry will see these rows again */
	}
	count_attempt(f, fr, true, hr.bytes, waited, attempt > 0);
	return fr->outcome;
}

/*
 * A page that could not be fetched, after its attempts.  (The backoff
 * between them is arxiv_backoff_seconds', in http.c.)  The request and the
 * attempt are in the error context (request_error_context).
 */
static void
report_fetch_failure(FetchResult *fr)
{
	ereport(ERROR,
			(errcode(fr->sqlstate),
			 errmsg("could not fetch results from arXiv"),
			 errdetail_internal("%s", fr->detail),
			 fr->outcome == FETCH_RETRY
			 ? errhint("arXiv may be busy; try again later, or raise the server option \"max_retries\".")
			 : 0));
}

/* The request being fetched, for the context of its errors. */
typedef struct RequestErrorContext
{
	const char *url;
	int			attempt;		/* from 0 */
} RequestErrorContext;

/*
 * The context of any error while a page is fetched (the transfer, the
 * parse, an entry's conversion, the cache, a cancel): the request, as in
 * the OAI-PMH scans, with the credentials of its URL removed.
 */
static void
request_error_context(void *arg)
{
	RequestErrorContext *rc = (RequestErrorContext *) arg;

	errcontext("request %s, attempt %d", arxiv_url_redact(rc->url),
			   rc->attempt + 1);
}

/*
 * Start a listing (the pages of one request, from the first to the last)
 * in cxt, which the caller owns and resets or deletes once the listing is
 * over: the HTTP client, the cache files, the parser and the pages live in
 * it.  The caller's fields of f must be set.
 */
void
arxiv_fetch_reset(ArxivFetch *f, MemoryContext cxt)
{
	f->cxt = cxt;
	f->page_cxt = AllocSetContextCreate(cxt, "arxiv_fdw page",
										ALLOCSET_DEFAULT_SIZES);
	(void) arxiv_url_key(f->opts->base_url, f->host, sizeof(f->host));
	f->http = NULL;
	f->parser = NULL;
	f->total_learned = false;
	f->cache_decided = false;	/* their files went with cxt */
	f->cache_reader = NULL;
	f->cache_writer = NULL;
	f->replayed = false;
	f->body = f->body_last = NULL;
	f->body_cxt = NULL;			/* went with cxt: made again when needed */
}

/*
 * Fetch one page of the listing: its entries go to the sink, and its feed
 * information is returned, valid until arxiv_fetch_page_done or the next
 * page.  What may pass (see judge_response) is tried again, up to
 * max_retries times, after a backoff; then the failure is reported or, if
 * missing_ok, NULL returned.  start is the page's start, to judge an empty
 * page by.
 */
const AtomFeedInfo *
arxiv_fetch_page(ArxivFetch *f, const char *url, const char *postfields,
				 long start, int max_retries, bool missing_ok)
{
	FetchResult fr;
	const AtomFeedInfo *info;
	RequestErrorContext rc = {url, 0};
	ErrorContextCallback errcallback;

	errcallback.callback = request_error_context;
	errcallback.arg = &rc;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	f->start = start;
	for (;; rc.attempt++)
	{
		memset(&fr, 0, sizeof(fr));
		fr.retry_after = -1;
		if (fetch_attempt(f, url, postfields, &fr, rc.attempt) == FETCH_OK)
			break;
		if (fr.outcome == FETCH_FAIL || rc.attempt >= max_retries)
		{
			if (!missing_ok)
				report_fetch_failure(&fr);
			error_context_stack = errcallback.previous;
			return NULL;
		}
		f->stats->retries++;
		arxiv_interruptible_sleep(arxiv_backoff_seconds(f->opts->request_interval, rc.attempt, fr.retry_after));
	}
	error_context_stack = errcallback.previous;
	info = atom_parser_info(f->parser);
	f->stats->entries += info->nentries;
	return info;
}

/* The caller is done with the page's feed information: free the parser. */
void
arxiv_fetch_page_done(ArxivFetch *f)
{
	free_parser(f);
}
