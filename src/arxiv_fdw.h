/*-------------------------------------------------------------------------
 *
 * arxiv_fdw.h
 *	  Shared types of arxiv_fdw, and the externs of each file, grouped by
 *	  the file that defines them so that this header reads as a map:
 *
 *	  option.c	  validator, option lookup (server < table < column)
 *	  deparse.c	  which quals go to arXiv (condition trees, condtree.h)
 *	  request.c	  the request and URLs of a scan, from the trees and values
 *	  http.c	  libcurl: timeouts, interrupts, retries' transport side
 *	  ratelimit.c the cluster-wide request spacing per host
 *	  cache.c	  the response cache and learned estimates
 *	  stats.c	  usage statistics, and arxiv_fdw's data-directory folder
 *	  convert.c	  Atom entries to Datums
 *	  arxiv_fdw.c _PG_init, GUCs, handler, IMPORT FOREIGN SCHEMA
 *	  plan.c	  Atom API tables: sizes, costs, paths, plans, upper paths
 *	  scan.c	  Atom API tables: executor callbacks, paging, EXPLAIN
 *	  fetch.c	  one request's life: rate limit, response cache, HTTP,
 *				  parse, judge, retries, statistics, learned totals
 *	  (plan.c and scan.c share arxiv_scan.h)
 *	  oai_plan.c  OAI-PMH tables: columns, conditions, planning, IMPORT
 *	  oai_scan.c  OAI-PMH tables: harvesting, paging, rows
 *
 *	  atom.c, query.c, arxiv_id.c, oai.c and sax_common.c (the libxml2 setup
 *	  of the two parsers) are PostgreSQL-free (see their headers).
 *
 *-------------------------------------------------------------------------
 */
#ifndef ARXIV_FDW_H
#define ARXIV_FDW_H

#include "postgres.h"

#include "access/tupdesc.h"
#include "commands/explain.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"
#include "utils/timestamp.h"

#include "atom.h"
#include "query.h"

#define ARXIV_FDW_VERSION "1.0"
#define ARXIV_DEFAULT_BASE_URL "https://export.arxiv.org/api/query"
#define ARXIV_DEFAULT_OAI_URL "https://oaipmh.arxiv.org/oai"
/*
 * arXiv's Terms of Use: no more than one request every three seconds, for
 * all of a user's connections together.  Every arXiv host shares one budget.
 */
#define ARXIV_MIN_REQUEST_INTERVAL 3.0
#define ARXIV_RATELIMIT_KEY "arxiv.org"
/* arXiv's current backend fails once start + max_results passes this */
#define ARXIV_RESULT_WINDOW 10000
#define ARXIV_MAX_PAGE_SIZE 2000
/* GET URLs longer than this send the parameters as a POST form instead */
#define ARXIV_MAX_GET_URL 2000

/*
 * The dates that bound arXiv's data, in one place:
 *
 * - arXiv's first paper came after 1991-07-01: a submittedDate range that
 *   starts before that day and ends after next year restricts nothing.
 * - The open ends of a submittedDate range as sent (submittedDate:[... TO
 *   ...], YYYYMMDDHHMM): before and after every paper.
 * - OAI-PMH: no record has a datestamp before 2005-09-16 (papers unchanged
 *   since carry that day), and arXiv refuses an earlier "from".
 */
#define ARXIV_FIRST_YEAR		1991
#define ARXIV_FIRST_MONTH		7
#define ARXIV_FIRST_DAY			1
#define ARXIV_QUERY_OPEN_LOW	"198001010000"
#define ARXIV_QUERY_OPEN_HIGH	"999912312359"
#define OAI_EARLIEST_YEAR		2005
#define OAI_EARLIEST_MONTH		9
#define OAI_EARLIEST_DAY		16

/* The arXiv fields a foreign table column can map to. */
typedef enum ArxivField
{
	AF_ID,
	AF_VERSION,
	AF_TITLE,
	AF_ABSTRACT,
	AF_AUTHORS,
	AF_AUTHOR_DETAILS,
	AF_PRIMARY_CATEGORY,
	AF_CATEGORIES,
	AF_PUBLISHED,
	AF_UPDATED,
	AF_COMMENT,
	AF_JOURNAL_REF,
	AF_DOI,
	AF_ABS_URL,
	AF_PDF_URL,
	/* filter columns: their conditions are arXiv's, not SQL's */
	AF_CATEGORY,
	AF_AUTHOR,
	AF_SEARCH,
	AF_NUM_FIELDS,
	AF_NONE = -1
} ArxivField;

typedef struct ArxivFieldInfo
{
	const char *name;
	Oid			type;			/* the type the field is produced as */
	const char *sqltype;		/* for IMPORT FOREIGN SCHEMA */
} ArxivFieldInfo;

extern const ArxivFieldInfo arxiv_fields[AF_NUM_FIELDS];

/* Which interface a foreign table reads (table option "source"). */
typedef enum ArxivSource
{
	SOURCE_API,					/* the Atom search API: papers */
	SOURCE_OAI_PAPERS,			/* OAI-PMH arXivRaw: one row per paper */
	SOURCE_OAI_VERSIONS			/* OAI-PMH arXivRaw: one row per version */
} ArxivSource;

/*
 * The fields an OAI-PMH table's column can map to.  In oai_papers the
 * version fields (version, submitted, size_kb, source_type) are the latest
 * version's; in oai_versions, the row's.
 */
typedef enum OaiField
{
	OF_ID,
	OF_DATESTAMP,
	OF_SETS,
	OF_SUBMITTER,
	OF_TITLE,
	OF_AUTHORS,
	OF_AUTHORS_RAW,
	OF_CATEGORIES,
	OF_PRIMARY_CATEGORY,
	OF_COMMENTS,
	OF_PROXY,
	OF_REPORT_NO,
	OF_MSC_CLASS,
	OF_ACM_CLASS,
	OF_JOURNAL_REF,
	OF_DOI,
	OF_LICENSE,
	OF_ABSTRACT,
	OF_PUBLISHED,
	OF_UPDATED,
	OF_VERSION,
	OF_WITHDRAWN,
	OF_SUBMITTED,
	OF_SIZE_KB,
	OF_SOURCE_TYPE,
	/* filter column: the first category asked for that the paper lists */
	/* (without a condition on it, the primary category) */
	OF_CATEGORY,
	OF_NUM_FIELDS,
	OF_NONE = -1
} OaiField;

/* Options in effect for one foreign table. */
typedef struct ArxivOptions
{
	char	   *base_url;
	char	   *oai_url;
	ArxivSource source;
	double		request_interval;	/* seconds */
	int			page_size;
	double		timeout;		/* seconds */
	int			max_retries;
	char	   *user_agent;
	int64		max_response_bytes;
	double		cache_ttl;		/* seconds; 0 disables the response cache */
	bool		use_remote_estimate;	/* probe totalResults when planning */
	char	   *query;			/* table option: raw query ANDed in */
} ArxivOptions;

/* option.c */
extern void arxiv_get_options(Oid foreigntableid, ArxivOptions *opts);
extern ArxivField arxiv_field_by_name(const char *name);
extern const char *arxiv_column_field_name(Oid foreigntableid,
										   Form_pg_attribute attr);
extern ArxivField *arxiv_column_fields(Oid foreigntableid, TupleDesc tupdesc);
extern ArxivSource arxiv_table_source(Oid foreigntableid);

/* arxiv_fdw.c */
extern bool arxiv_progress;		/* GUC arxiv_fdw.progress */
extern bool arxiv_response_cache;	/* GUC arxiv_fdw.response_cache */
extern bool arxiv_resume_harvests;	/* GUC arxiv_fdw.resume_harvests */

/* oai_plan.c */
typedef struct OaiFieldInfo
{
	const char *name;
	Oid			type;
	const char *sqltype;
	bool		in_papers;		/* columns IMPORT FOREIGN SCHEMA creates */
	bool		in_versions;
} OaiFieldInfo;

extern const OaiFieldInfo oai_fields[OF_NUM_FIELDS];
extern OaiField oai_field_by_name(const char *name);
extern OaiField *oai_column_fields(Oid foreigntableid, TupleDesc tupdesc);
extern void oaiGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel,
								 Oid foreigntableid);
extern void oaiGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel,
							   Oid foreigntableid);
extern ForeignScan *oaiGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel,
									  Oid foreigntableid, ForeignPath *best_path,
									  List *tlist, List *scan_clauses,
									  Plan *outer_plan);
extern List *oai_import_statements(const char *local_schema,
								   const char *server_name);

/*
 * The conditions an OAI-PMH scan sends, as the planner leaves them in
 * ForeignScan.fdw_private (OSP_*); their value expressions are fdw_exprs.
 */
typedef enum OaiCondKind
{
	OC_DATESTAMP,				/* datestamp <op> date; arg: btree strategy */
	OC_CATEGORY,				/* category = text, arg 1: = ANY(text[]) */
	OC_ID						/* id = text, arg 1: = ANY(text[]) */
} OaiCondKind;

enum OaiScanPrivate
{
	OSP_RELID,					/* Integer: the foreign table's OID */
	OSP_KINDS,					/* Integers: OaiCondKind of each value */
	OSP_ARGS					/* Integers: the strategy or array flag */
};

/*
 * The first member of both scan states (ForeignScanState.fdw_state), so
 * that the executor callbacks, which the API's and OAI-PMH's tables share,
 * know which code a scan belongs to.
 */
typedef enum ArxivStateKind
{
	STATE_API = 0,
	STATE_OAI
} ArxivStateKind;

/* oai_scan.c */
extern void oaiBeginForeignScan(ForeignScanState *node, int eflags);
extern TupleTableSlot *oaiIterateForeignScan(ForeignScanState *node);
extern void oaiReScanForeignScan(ForeignScanState *node);
extern void oaiEndForeignScan(ForeignScanState *node);
extern void oaiExplainForeignScan(ForeignScanState *node, ExplainState *es);

/*
 * The request a scan makes, as computed at execution start from the plan's
 * pushed conditions and the current parameter values.
 */
typedef struct ArxivRequest
{
	char	   *search_query;	/* NULL: none */
	List	   *ids;			/* id_list entries (char *), NIL: none */
	bool		has_ids;		/* an id condition exists (ids may be NIL) */
	bool		impossible;		/* conditions can match nothing: no request */
	/* bounds of "updated" conditions, to stop a lastUpdatedDate scan */
	bool		has_updated_lo;
	bool		has_updated_hi;
	TimestampTz updated_lo;
	TimestampTz updated_hi;
	/* values of the filter columns */
	List	   *category_values;	/* category = / IN constants */
	List	   *category_prefixes;	/* category LIKE 'cs.%' as "cs." */
	char	   *author_value;
	char	   *search_value;
} ArxivRequest;

/* deparse.c */

/* What goes to arXiv and what PostgreSQL checks, for a set of clauses. */
typedef struct ArxivPushdown
{
	List	   *pushed;			/* condition trees sent to arXiv */
	List	   *exprs;			/* their value expressions (fdw_exprs) */
	List	   *local;			/* RestrictInfos PostgreSQL checks */
	List	   *local_exprs;	/* ... and the expressions it checks for them */
	List	   *exact_trees;	/* indexes in pushed of those judged exact */
	List	   *recheck_trees;	/* those of them PostgreSQL could check, */
	List	   *rechecks;		/* ... with their expressions */
	bool		restricts;		/* the request is not "all of arXiv" */
	bool		deferred;		/* some value is computed at execution */
	bool		may_restrict;	/* ... and may make it restrict */
} ArxivPushdown;

extern AqArena *arxiv_aq_arena(void);
extern void arxiv_classify_conditions(RelOptInfo *baserel, ArxivField *fields,
									  List *clauses, List *join_clauses,
									  const char *table_query,
									  ArxivPushdown *pd);
extern void arxiv_report_inexact_filter(void) pg_attribute_noreturn();
extern bool arxiv_join_clause_pushable(RelOptInfo *baserel, ArxivField *fields,
									   RestrictInfo *ri, bool ids_only);
extern bool arxiv_mentions_filter_column(RelOptInfo *baserel,
										 ArxivField *fields, Node *clause);
#define ARXIV_BOUND_LOWER	1
#define ARXIV_BOUND_UPPER	2
extern int	arxiv_published_range_bounds(RelOptInfo *baserel,
										 ArxivField *fields, Expr *clause);
extern int	arxiv_tree_id_count(List *pushed, List *exprs);
extern char *arxiv_describe_tree(List *exprs, List *dpcontext);

/* request.c */
extern bool arxiv_build_request(List *pushed, Datum *values, bool *isnull,
								bool *known, const char *table_query,
								ArxivRequest *req, bool *exact);
extern char *arxiv_request_url(const char *base_url, const char *search_query,
							   List *ids, const char *sort_by,
							   const char *sort_order, long start,
							   int max_results, char **postfields);
extern int64 arxiv_floor_minute(TimestampTz t);
extern void arxiv_format_minute(int64 minutes, char *buf);

/* http.c */
typedef size_t (*ArxivSinkFn) (void *arg, const char *data, size_t len);

typedef struct ArxivHttpResult
{
	long		status;			/* HTTP status, 0 if none was received */
	char		content_type[64];	/* printable ASCII, "" if none */
	bool		transport_error;	/* connect failure, reset, timeout... */
	bool		too_large;		/* max_response_bytes was exceeded */
	double		retry_after;	/* seconds from Retry-After, or -1 */
	int64		bytes;			/* body bytes received */
	char		error[256];		/* libcurl's message for transport errors */
} ArxivHttpResult;

typedef struct ArxivHttp ArxivHttp;
extern ArxivHttp *arxiv_http_create(MemoryContext cxt, const ArxivOptions *opts);
extern void arxiv_http_perform(ArxivHttp *http, const char *url,
							   const char *postfields, ArxivSinkFn sink,
							   void *sink_arg, ArxivHttpResult *result);
extern const char *arxiv_url_host(const char *url, char *buf, size_t bufsize);
extern bool arxiv_url_key(const char *url, char *buf, size_t bufsize);
extern bool arxiv_url_is_arxiv(const char *url);
extern char *arxiv_url_redact(const char *url);
extern void arxiv_interruptible_sleep(double seconds);
extern double arxiv_backoff_seconds(double request_interval, int attempt,
									double retry_after);

/*
 * arxiv_fdw's files (rate-limit state, statistics, response cache) live in
 * this folder of the data directory.
 */
#define ARXIV_DATA_DIR "arxiv_fdw"

/* ratelimit.c */
extern double arxiv_ratelimit_acquire(const char *key, double interval);
extern void arxiv_ratelimit_release(void);

/* stats.c */
typedef struct ArxivCounters
{
	int64		requests;		/* HTTP requests made */
	int64		entries;		/* entries received */
	int64		bytes;			/* body bytes received */
	int64		retries;
	int64		cache_hits;		/* pages answered from the response cache */
	int64		errors_http;	/* 4xx/5xx statuses */
	int64		errors_transport;	/* connect, reset, timeout */
	int64		errors_parse;	/* not a complete Atom feed */
	int64		errors_arxiv;	/* arXiv error feeds */
	int64		errors_empty;	/* empty pages before the end */
	double		rate_limit_wait;	/* seconds */
} ArxivCounters;

extern bool arxiv_make_data_dir(const char *subdir, bool missing_ok);
extern int	arxiv_open_external(const char *path, int flags);
extern void arxiv_close_external(int fd);
extern void arxiv_stats_add(const ArxivCounters *delta);

/* cache.c */
typedef struct ArxivCacheReader ArxivCacheReader;
typedef struct ArxivCacheWriter ArxivCacheWriter;
typedef enum ArxivReplayStatus
{
	REPLAY_OK,					/* the page was passed to the sink */
	REPLAY_END,					/* the listing has no more pages */
	REPLAY_MISMATCH,			/* its next page answers another request */
	REPLAY_TOO_LARGE			/* its next page exceeds max_response_bytes */
} ArxivReplayStatus;

extern void arxiv_cache_init(void);
extern ArxivCacheReader *arxiv_cache_open(MemoryContext cxt, Oid role,
										  const char *key, double ttl);
extern ArxivReplayStatus arxiv_cache_replay(ArxivCacheReader *r, const char *url,
											const char *postfields,
											int64 max_bytes, ArxivSinkFn sink,
											void *sink_arg, int64 *bytes);
extern void arxiv_cache_discard(ArxivCacheReader *r);
extern ArxivCacheWriter *arxiv_cache_begin(MemoryContext cxt, Oid role,
										   const char *key, double ttl);
extern void arxiv_cache_page_begin(ArxivCacheWriter *w, const char *url,
								   const char *postfields);
extern void arxiv_cache_write(ArxivCacheWriter *w, const char *data, size_t len);
extern void arxiv_cache_page_end(ArxivCacheWriter *w, bool keep);
extern void arxiv_cache_commit(ArxivCacheWriter *w);
extern void arxiv_learned_store(Oid role, const char *base_url,
								const char *search_query, int64 total);
extern bool arxiv_learned_lookup(Oid role, const char *base_url,
								 const char *search_query, double ttl,
								 int64 *total);

/* fetch.c */

/* What a scan's requests came to, for EXPLAIN ANALYZE. */
typedef struct ArxivFetchStats
{
	long		requests;		/* HTTP requests made */
	long		entries;		/* entries received */
	long		retries;
	long		cache_hits;		/* pages answered from the response cache */
	int64		bytes;			/* body bytes received */
	double		waited;			/* seconds waited for the rate limit */
} ArxivFetchStats;

/*
 * Where the entries of a page go.  Each attempt at a page calls begin_page
 * (page_cxt was just reset), entry for each entry (in page_cxt; it may
 * throw: the error is kept and rethrown once the transfer is over), and
 * page_failed if the attempt did not bring the page, which will be tried
 * again or reported.  listing_key gives the key of the listing in the
 * response cache from its first request: what decides the pages the
 * caller asks for, given the pages it receives.  NULL callbacks (but
 * listing_key): the entries are not wanted.
 */
typedef struct ArxivAtomSink
{
	void		(*begin_page) (void *arg);
	void		(*entry) (void *arg, const AtomEntry *entry);
	void		(*page_failed) (void *arg);
	char	   *(*listing_key) (void *arg, const char *url,
								const char *postfields);
	void	   *arg;
} ArxivAtomSink;

/*
 * The fetching of one listing (the pages of one request, first to last),
 * owned by the caller: a scan, or use_remote_estimate's probe.  The caller
 * sets its fields, then arxiv_fetch_reset starts a listing.
 */
typedef struct ArxivFetch
{
	/* the caller's */
	const ArxivOptions *opts;
	Oid			role;			/* whose response cache and learned totals */
	bool		fresh_only;		/* never replay cached responses */
	ArxivAtomSink sink;
	ArxivFetchStats *stats;		/* the caller's: they outlive the listing */
	const char *learn_query;	/* the search whose totalResults later
								 * plans learn (learn_total), or NULL */

	/* fetch.c's, for the listing */
	MemoryContext cxt;			/* the caller's: HTTP client, cache files */
	MemoryContext page_cxt;		/* the current page; reset per attempt */
	char		host[300];		/* rate-limit key, see arxiv_url_key */
	ArxivHttp  *http;
	long		start;			/* the start of the page being fetched */
	bool		total_learned;	/* this listing's totalResults is stored */
	bool		cache_decided;	/* replay or fetch, chosen at the first page */
	ArxivCacheReader *cache_reader; /* the listing being replayed, or NULL */
	ArxivCacheWriter *cache_writer; /* the listing being cached, or NULL */
	bool		replayed;		/* a page of this listing came from the cache */

	/* the response being parsed */
	AtomParser *parser;
	AtomStatus	parse_status;
	bool		sink_failed;
	struct BodyChunk *body;		/* a transfer's body, parsed after it */
	struct BodyChunk *body_last;
	bool		body_oom;		/* a chunk could not be kept */
	MemoryContext body_cxt;		/* the chunks; reset once parsed */
	ErrorData  *entry_error;
	const char *entry_id;		/* for the error context */
	MemoryContextCallback parser_cleanup;
} ArxivFetch;

extern void arxiv_fetch_reset(ArxivFetch *f, MemoryContext cxt);
extern const AtomFeedInfo *arxiv_fetch_page(ArxivFetch *f, const char *url,
											const char *postfields, long start,
											int max_retries, bool missing_ok);
extern void arxiv_fetch_page_done(ArxivFetch *f);
extern void arxiv_fetch_finish_listing(ArxivFetch *f);

/* convert.c */
typedef struct ArxivConverter ArxivConverter;
extern ArxivConverter *arxiv_converter_create(TupleDesc tupdesc,
											  ArxivField *fields);
extern void arxiv_converter_set_request(ArxivConverter *conv,
										const ArxivRequest *req);
extern void arxiv_entry_to_values(ArxivConverter *conv, const AtomEntry *entry,
								  Datum *values, bool *nulls);
extern TimestampTz arxiv_parse_timestamp(const char *s);

#endif							/* ARXIV_FDW_H */
