/*-------------------------------------------------------------------------
 *
 * oai_scan.c
 *	  The executor side of the OAI-PMH tables: from the pushed conditions
 *	  to harvests (ListRecords of a set and a datestamp window, or
 *	  GetRecord), following resumption tokens, and arXivRaw records to rows.
 *
 * What arXiv's OAI-PMH server does that shapes this file (see README,
 * "OAI-PMH tables", and test/fixtures/oai-pmh):
 *
 * - Errors come in HTTP 200 bodies.  noRecordsMatch is an empty list;
 *   idDoesNotExist, for GetRecord, is a paper that does not exist.  Both
 *   are zero rows.  Every other OAI error fails the scan with arXiv's text
 *   in errdetail.
 * - Resumption tokens are offsets into a list ordered by modification
 *   time: records modified between pages move, so a page can repeat rows
 *   of an earlier one.  Rows are de-duplicated by id within a scan.  A
 *   token arXiv rejects restarts the list from the last datestamp seen,
 *   which repeats rows (dropped) but cannot lose any.
 * - The CDN answers 503 with "Retry-After: 0": retries back off
 *   exponentially, taking Retry-After as a minimum only.
 *
 * One request is in flight at a time, in arXiv's rate-limit slot, which the
 * API and OAI-PMH share (arxiv_url_key).  A page's body is kept while the
 * slot is held and parsed after it is released, so that nothing a user
 * defined (input functions of declared column types) runs while arXiv's
 * slot is held; a page's rows live in a page context reset for the next.
 *
 *-------------------------------------------------------------------------
 */
#include "arxiv_fdw.h"

#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/sysattr.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "optimizer/optimizer.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"

#include "arxiv_id.h"
#include "oai.h"
#include "oai_journal.h"
#include "oai_rows.h"

/* rejected resumption tokens a list may restart after, in a row */
#define OAI_MAX_RESTARTS	3
/* ListSets changes when arXiv adds a category: a day is fresh enough */
#define OAI_SETS_TTL_SECS	86400
#define OAI_METADATA_PREFIX "arXivRaw"

/* One list to harvest: ListRecords of a set and window, or GetRecord. */
typedef struct OaiListing
{
	char	   *id;				/* GetRecord of this paper, or NULL */
	char	   *set;			/* set spec, or NULL for every set */
	DateADT		from;			/* DATEVAL_NOBEGIN: no "from" */
	DateADT		until;			/* DATEVAL_NOEND: no "until" */
} OaiListing;

/* The rows one record gave on the current page. */
typedef struct PageRecord
{
	uint32		key;			/* packed id, see id_key */
	bool		has_key;
	int			first;			/* index of its first tuple */
	int			ntuples;
	DateADT		datestamp;
} PageRecord;

typedef struct BodyChunk
{
	struct BodyChunk *next;
	size_t		len;
	char		data[FLEXIBLE_ARRAY_MEMBER];
} BodyChunk;

/* How each column is produced; see column_datum. */
typedef struct OaiColumn
{
	OaiField	field;			/* OF_NONE: not needed, always NULL */
	bool		coerce;			/* declared type is not the native one */
	FmgrInfo	native_out;
	FmgrInfo	declared_in;
	Oid			declared_ioparam;
	int32		declared_typmod;
} OaiColumn;

/*
 * The ids a scan has returned, packed in 32 bits each (id_key), in one
 * sorted array: 4 bytes an id, so that 100 pages of 1300 records keep half
 * a megabyte, less than one page, and a harvest of all of arXiv (some 3
 * million papers) 12 MB.  Each page's new ids are merged in at once
 * (dedupe_page), so no hash table's slack is paid for.
 */
typedef struct IdSet
{
	uint32	   *keys;
	int64		n;
	int64		cap;
} IdSet;

/*
 * A packed id and a number: its index on the page (dedupe_page), or its
 * datestamp now (probe_changes).  Sorted by key, then number.
 */
typedef struct KeyValue
{
	uint32		key;
	int32		value;
} KeyValue;

/* old-style archives that can be packed (7 bits of the key) */
#define ID_MAX_ARCHIVES		128
#define ID_OLD_STYLE_FLAG	UINT64CONST(0x80000000)

typedef struct OaiScanState
{
	ArxivStateKind state_kind;	/* STATE_OAI */
	ArxivOptions opts;
	Oid			relid;
	bool		versions;		/* oai_versions: a row per version */
	int			natts;
	OaiColumn  *cols;
	List	   *kinds;			/* OaiCondKind of each value */
	List	   *args;
	List	   *value_states;	/* ExprStates of the values */
	char		host[300];		/* rate-limit key */

	MemoryContext scan_cxt;		/* lives until End */
	MemoryContext harvest_cxt;	/* the request and the ids seen: ReScan */
	MemoryContext page_cxt;		/* one page's rows, reset per page */
	MemoryContext body_cxt;		/* one response body */
	ArxivHttp  *http;

	/* the request, computed at the first row */
	bool		started;
	List	   *requirements;	/* per category condition, its values */
	List	   *listings;		/* OaiListing, harvested in order */
	int			next_listing;
	List	   *packed_archives;	/* old-style id prefixes, see id_key */
	IdSet		seen;			/* in harvest_cxt */

	/* the list being harvested */
	OaiListing *cur;
	char	   *token;			/* resumption token, NULL: first page */
	DateADT		last_datestamp; /* greatest datestamp of its pages */
	int			restarts;		/* in a row, without "from" moving */
	bool		eof;

	/* arxiv_fdw.resume_harvests: see oai_journal.c */
	OaiJournal *journal;		/* the list's, or NULL */
	int			replay_left;	/* its pages still to replay, from the last */
	bool		live_done;		/* the list's live part is over: replay */
	bool		probed;			/* what changed since it started is known */
	List	   *journals;		/* every list's, removed at the end */
	KeyValue  *changes;		/* sorted by key, in harvest_cxt */
	int64		nchanges;
	int64		maxchanges;
	DateADT		changes_from;	/* the day they are known from; NOBEGIN: none */
	bool		listing_changes;	/* the page is ListIdentifiers: ids only */

	/* the page: parser, body, rows */
	OaiParser  *parser;
	MemoryContextCallback parser_cleanup;
	OaiStatus	parse_status;
	ErrorData  *record_error;	/* thrown by a record callback */
	BodyChunk  *body;
	BodyChunk  *body_last;
	bool		body_oom;
	HeapTuple  *tuples;
	int			ntuples;
	int			maxtuples;
	PageRecord *recs;
	int			nrecs;
	int			maxrecs;
	int			next_rec;
	int			next_tuple;
	Datum	   *values;
	bool	   *nulls;
	bool		listing_sets;	/* the page is ListSets: records are ignored */
	List	   *sets_found;		/* ListSets: spec strings, page_cxt */

	/* for EXPLAIN ANALYZE and the statistics */
	char	   *first_url;
	int64		requests;
	int64		records;
	int64		duplicates;
	int64		retries;
	int64		total_restarts;
	int64		replayed;		/* pages taken from journals */
	int64		superseded;		/* journaled papers changed since: dropped */
	double		waited;
} OaiScanState;

/* ---------------------------------------------------------------------
 * Conditions to listings
 * ---------------------------------------------------------------------
 */

static DateADT
floor_date(void)
{
	return date2j(OAI_EARLIEST_YEAR, OAI_EARLIEST_MONTH, OAI_EARLIEST_DAY) -
		POSTGRES_EPOCH_JDATE;
}

/* The day of a moment in UTC, the zone of arXiv's datestamps. */
static DateADT
utc_day(TimestampTz t)
{
	return (DateADT) (t / USECS_PER_DAY - (t < 0 && t % USECS_PER_DAY != 0));
}

static DateADT
utc_today(void)
{
	return utc_day(GetCurrentTimestamp());
}

static void
format_day(DateADT d, char *buf)
{
	int			y,
				m,
				day;

	j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &day);
	snprintf(buf, 11, "%04d-%02d-%02d", y, m, day);
}

/* The text values of a category or id condition (NULLs match nothing). */
static List *
text_values(Datum value, bool isnull, bool array)
{
	List	   *out = NIL;
	Datum	   *elems;
	bool	   *enulls;
	int			n;

	if (isnull)
		return NIL;
	if (!array)
		return list_make1(makeString(TextDatumGetCString(value)));
	deconstruct_array(DatumGetArrayTypeP(value), TEXTOID, -1, false,
					  TYPALIGN_INT, &elems, &enulls, &n);
	for (int i = 0; i < n; i++)
		if (!enulls[i])
			out = list_append_unique(out, makeString(TextDatumGetCString(elems[i])));
	return out;
}

/* The String nodes of a that are also in b. */
static List *
intersect_values(List *a, List *b)
{
	List	   *out = NIL;
	ListCell   *lc;

	foreach(lc, a)
	{
		if (list_member(b, lfirst(lc)))
			out = lappend(out, lfirst(lc));
	}
	return out;
}

/*
 * What the conditions' values allow: a window, ids, and for each condition
 * on category the categories a paper must list one of.
 */
typedef struct OaiWanted
{
	DateADT		lo;				/* DATEVAL_NOBEGIN: unbounded */
	DateADT		hi;				/* DATEVAL_NOEND: unbounded */
	List	   *requirements;	/* Lists of String nodes */
	bool		has_ids;
	List	   *ids;
	bool		impossible;
} OaiWanted;

static void
apply_date_bound(OaiWanted *w, int strategy, DateADT d)
{
	switch (strategy)
	{
		case BTLessStrategyNumber:
			if (DATE_IS_NOBEGIN(d))
				w->impossible = true;
			else if (!DATE_IS_NOEND(d))
				w->hi = Min(w->hi, d - 1);
			break;
		case BTLessEqualStrategyNumber:
			w->hi = Min(w->hi, d);
			break;
		case BTEqualStrategyNumber:
			w->lo = Max(w->lo, d);
			w->hi = Min(w->hi, d);
			break;
		case BTGreaterEqualStrategyNumber:
			w->lo = Max(w->lo, d);
			break;
		case BTGreaterStrategyNumber:
			if (DATE_IS_NOEND(d))
				w->impossible = true;
			else if (!DATE_IS_NOBEGIN(d))
				w->lo = Max(w->lo, d + 1);
			break;
	}
}

static void
evaluate_conditions(ForeignScanState *node, OaiScanState *ss, OaiWanted *w)
{
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	ListCell   *lk,
			   *la,
			   *lv;

	memset(w, 0, sizeof(*w));
	DATE_NOBEGIN(w->lo);
	DATE_NOEND(w->hi);
	forthree(lk, ss->kinds, la, ss->args, lv, ss->value_states)
	{
		bool		isnull;
		Datum		value = ExecEvalExpr(lfirst(lv), econtext, &isnull);
		List	   *vals;

		if (lfirst_int(lk) == OC_DATESTAMP)
		{
			if (isnull)
				w->impossible = true;
			else
				apply_date_bound(w, lfirst_int(la), DatumGetDateADT(value));
			continue;
		}
		vals = text_values(value, isnull, lfirst_int(la) != 0);
		if (lfirst_int(lk) == OC_CATEGORY)
		{
			if (vals == NIL)
				w->impossible = true;
			w->requirements = lappend(w->requirements, vals);
		}
		else
		{
			w->ids = w->has_ids ? intersect_values(w->ids, vals) : vals;
			w->has_ids = true;
		}
	}
	if (w->lo > w->hi ||
		(w->has_ids && w->ids == NIL))
		w->impossible = true;
}

/*
 * Clamp the window to the days arXiv accepts: nothing carries a datestamp
 * before 2005-09-16 (older papers carry that day), so an earlier "from" is
 * no bound; nothing is dated after today (UTC), and arXiv refuses "until"
 * after tomorrow, so a later "until" is no bound either.  Returns false if
 * no datestamp can be in the window.
 */
static bool
clamp_window(OaiWanted *w, DateADT *from, DateADT *until)
{
	DateADT		tomorrow = utc_today() + 1;

	if (w->hi < floor_date() || w->lo > tomorrow)
		return false;
	*from = w->lo;
	*until = w->hi;
	if (*from <= floor_date())
		DATE_NOBEGIN(*from);
	if (*until >= tomorrow)
		DATE_NOEND(*until);
	return true;
}

static List *sets_of_server(ForeignScanState *node, OaiScanState *ss);

/*
 * The set of a category: the spec whose part after the group is the
 * category with '.' as ':' ("cs:cs:OS" for cs.OS, "physics:hep-th" for
 * hep-th), or a group spec equal to it.  NULL if ListSets has none.
 */
static const char *
category_set(List *specs, const char *category)
{
	char	   *want = pstrdup(category);
	ListCell   *lc;

	for (char *p = want; *p; p++)
		if (*p == '.')
			*p = ':';
	foreach(lc, specs)
	{
		const char *spec = lfirst(lc);
		const char *colon = strchr(spec, ':');

		if (strcmp(colon ? colon + 1 : spec, want) == 0)
			return spec;
	}
	return NULL;
}

static OaiListing *
make_listing(const char *id, const char *set, DateADT from, DateADT until)
{
	OaiListing *l = palloc0(sizeof(OaiListing));

	l->id = id ? pstrdup(id) : NULL;
	l->set = set ? pstrdup(set) : NULL;
	l->from = from;
	l->until = until;
	return l;
}

/* The requirement with the fewest categories: the fewest sets to harvest. */
static List *
narrowest_requirement(List *requirements)
{
	List	   *best = NIL;
	ListCell   *lc;

	foreach(lc, requirements)
		if (best == NIL || list_length(lfirst(lc)) < list_length(best))
			best = lfirst(lc);
	return best;
}

/*
 * The lists to harvest: GetRecord per requested id (ids outside arXiv's
 * grammar cannot exist and cost no request), else one ListRecords per set
 * of the narrowest category condition (every paper the conditions allow
 * lists one of its categories), else one ListRecords of the window.  A
 * category without a set is harvested through the window, if there is one.
 */
static void
plan_listings(ForeignScanState *node, OaiScanState *ss, OaiWanted *w)
{
	DateADT		from,
				until;
	bool		bounded = !DATE_IS_NOBEGIN(w->lo) || !DATE_IS_NOEND(w->hi);
	List	   *sets = NIL;
	ListCell   *lc;

	if (w->impossible || !clamp_window(w, &from, &until))
		return;
	foreach(lc, w->requirements)
	{
		List	   *values = NIL;
		ListCell   *lc2;

		foreach(lc2, (List *) lfirst(lc))
			values = lappend(values, pstrdup(strVal(lfirst(lc2))));
		ss->requirements = lappend(ss->requirements, values);
	}
	if (w->has_ids)
	{
		foreach(lc, w->ids)
		{
			const char *id = strVal(lfirst(lc));

			if (arxiv_id_scan(id) == strlen(id))
				ss->listings = lappend(ss->listings,
									   make_listing(id, NULL, from, until));
		}
		return;
	}
	if (ss->requirements != NIL)
	{
		List	   *specs = sets_of_server(node, ss);

		foreach(lc, narrowest_requirement(ss->requirements))
		{
			const char *set = category_set(specs, lfirst(lc));

			if (set == NULL)
			{
				if (!bounded)
					ereport(ERROR,
							(errcode(ERRCODE_FDW_UNABLE_TO_CREATE_EXECUTION),
							 errmsg("arXiv's OAI-PMH interface has no set for category \"%s\"",
									(char *) lfirst(lc)),
							 errdetail("Without a set, the category can only be found by harvesting every set."),
							 errhint("Check the category's name, or add a datestamp condition to look for it among the papers of those days.")));
				sets = NIL;
				break;
			}
			sets = list_append_unique(sets, makeString(pstrdup(set)));
		}
		foreach(lc, sets)
			ss->listings = lappend(ss->listings,
								   make_listing(NULL, strVal(lfirst(lc)), from, until));
		if (sets != NIL)
			return;
	}
	ss->listings = list_make1(make_listing(NULL, NULL, from, until));
}

/* ---------------------------------------------------------------------
 * URLs
 * ---------------------------------------------------------------------
 */

static void
append_param(StringInfo url, const char *name, const char *value)
{
	appendStringInfo(url, "&%s=%s", name, aq_urlencode(arxiv_aq_arena(), value));
}

static char *
listing_url(OaiScanState *ss, OaiListing *l, const char *token)
{
	StringInfoData url;
	char		day[11];

	initStringInfo(&url);
	appendStringInfo(&url, "%s?verb=%s", ss->opts.oai_url,
					 l->id ? "GetRecord" : "ListRecords");
	if (token != NULL)
	{
		append_param(&url, "resumptionToken", token);
		return url.data;
	}
	if (l->id)
	{
		append_param(&url, "identifier", psprintf("oai:arXiv.org:%s", l->id));
		append_param(&url, "metadataPrefix", OAI_METADATA_PREFIX);
		return url.data;
	}
	append_param(&url, "metadataPrefix", OAI_METADATA_PREFIX);
	if (l->set)
		append_param(&url, "set", l->set);
	if (!DATE_IS_NOBEGIN(l->from))
	{
		format_day(l->from, day);
		append_param(&url, "from", day);
	}
	if (!DATE_IS_NOEND(l->until))
	{
		format_day(l->until, day);
		append_param(&url, "until", day);
	}
	return url.data;
}

/* ---------------------------------------------------------------------
 * Records to rows (the fields' values: oai_rows.c)
 * ---------------------------------------------------------------------
 */

static HeapTuple
make_tuple(ForeignScanState *node, OaiScanState *ss, const OaiRowSource *src)
{
	TupleDesc	tupdesc = node->ss.ss_ScanTupleSlot->tts_tupleDescriptor;

	for (int i = 0; i < ss->natts; i++)
	{
		OaiColumn  *col = &ss->cols[i];
		Datum		d = (Datum) 0;

		ss->nulls[i] = col->field == OF_NONE || !oai_field_datum(src, col->field, &d);
		if (ss->nulls[i])
			continue;
		if (col->coerce)
			d = InputFunctionCall(&col->declared_in,
								  OutputFunctionCall(&col->native_out, d),
								  col->declared_ioparam, col->declared_typmod);
		ss->values[i] = d;
	}
	return heap_form_tuple(tupdesc, ss->values, ss->nulls);
}

static bool
lists_category(const OaiRecord *r, const char *category)
{
	for (int i = 0; i < r->ncategories; i++)
		if (strcmp(r->category_list[i], category) == 0)
			return true;
	return false;
}

/*
 * Whether the paper meets every category condition (lists one of each
 * condition's categories), and the value of its "category" column: the
 * first category asked for that it lists, as for the API's tables, or its
 * primary category when none was asked for.
 */
static bool
category_filter(OaiScanState *ss, const OaiRecord *r, const char **value)
{
	ListCell   *lc;

	*value = r->ncategories > 0 ? r->category_list[0] : NULL;
	foreach(lc, ss->requirements)
	{
		ListCell   *lc2;
		bool		met = false;

		foreach(lc2, (List *) lfirst(lc))
		{
			if (lists_category(r, lfirst(lc2)))
			{
				if (!met && foreach_current_index(lc) == 0)
					*value = lfirst(lc2);
				met = true;
				break;
			}
		}
		if (!met)
			return false;
	}
	return true;
}

/*
 * The id in 32 bits, exactly: new-style YYMM.NNNNN as YYMM * 100000 +
 * NNNNN (below 2^30); old-style archive/YYMMNNN as a flag bit, the
 * archive's index in packed_archives (7 bits) and YYMMNNN (24 bits).
 * False for an id outside the grammar or beyond 128 archives (there are
 * some 40), which is then never de-duplicated.
 */
static bool
id_key(OaiScanState *ss, const char *id, uint32 *key)
{
	const char *slash = strchr(id, '/');
	ListCell   *lc;
	int			index = 0;
	MemoryContext old;

	if (arxiv_id_scan(id) != strlen(id))
		return false;
	if (slash == NULL)
	{
		*key = (uint32) (strtoul(id, NULL, 10) * 100000 + strtoul(id + 5, NULL, 10));
		return true;
	}
	foreach(lc, ss->packed_archives)
	{
		if (strncmp(lfirst(lc), id, slash - id) == 0 &&
			((char *) lfirst(lc))[slash - id] == '\0')
			break;
		index++;
	}
	if (index >= ID_MAX_ARCHIVES)
		return false;
	if (lc == NULL)
	{
		old = MemoryContextSwitchTo(ss->harvest_cxt);
		ss->packed_archives = lappend(ss->packed_archives,
									  pnstrdup(id, slash - id));
		MemoryContextSwitchTo(old);
	}
	*key = (uint32) (ID_OLD_STYLE_FLAG | ((uint64) index << 24) |
					 strtoul(slash + 1, NULL, 10));
	return true;
}

static void
add_tuple(OaiScanState *ss, HeapTuple tuple)
{
	if (ss->ntuples == ss->maxtuples)
	{
		ss->maxtuples = Max(64, ss->maxtuples * 2);
		ss->tuples = ss->tuples
			? repalloc(ss->tuples, sizeof(HeapTuple) * ss->maxtuples)
			: palloc(sizeof(HeapTuple) * ss->maxtuples);
	}
	ss->tuples[ss->ntuples++] = tuple;
}

static PageRecord *
add_page_record(OaiScanState *ss)
{
	if (ss->nrecs == ss->maxrecs)
	{
		ss->maxrecs = Max(64, ss->maxrecs * 2);
		ss->recs = ss->recs
			? repalloc(ss->recs, sizeof(PageRecord) * ss->maxrecs)
			: palloc(sizeof(PageRecord) * ss->maxrecs);
	}
	return &ss->recs[ss->nrecs++];
}

/* The rows of one record, in the page context. */
static void
record_rows(ForeignScanState *node, OaiScanState *ss, const OaiRecord *r)
{
	OaiRowSource src;
	PageRecord *pr;

	src.rec = r;
	src.id = r->id ? r->id : oai_identifier_to_id(r->identifier);
	if (src.id == NULL)
		return;
	if (!category_filter(ss, r, &src.category))
		return;					/* an alias set's paper, or another's */
	pr = add_page_record(ss);
	pr->has_key = id_key(ss, src.id, &pr->key);
	pr->first = ss->ntuples;
	if (!oai_datestamp_date(r->datestamp, &pr->datestamp))
		DATE_NOBEGIN(pr->datestamp);
	if (!ss->versions)
	{
		src.version = oai_latest_version(r);
		add_tuple(ss, make_tuple(node, ss, &src));
	}
	else
		for (int i = 0; i < r->nversions; i++)
		{
			src.version = &r->versions[i];
			add_tuple(ss, make_tuple(node, ss, &src));
		}
	pr->ntuples = ss->ntuples - pr->first;
}

typedef struct RecordCallbackArg
{
	ForeignScanState *node;
	OaiScanState *ss;
} RecordCallbackArg;

/*
 * Run work(ss, arg) in the page context for a parser callback.  An error
 * (a declared type's input function, out of memory) must not unwind
 * through libxml2: it is caught and kept, the callback returns nonzero to
 * stop the parse, and fetch_attempt rethrows it.
 */
static int
guarded(OaiScanState *ss, void (*work) (OaiScanState *ss, const void *arg),
		const void *arg)
{
	MemoryContext old = MemoryContextSwitchTo(ss->page_cxt);
	volatile int rc = 0;

	PG_TRY();
	{
		work(ss, arg);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(ss->scan_cxt);
		ss->record_error = CopyErrorData();
		FlushErrorState();
		rc = 1;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old);
	return rc;
}

typedef struct RecordWork
{
	ForeignScanState *node;
	const OaiRecord *record;
} RecordWork;

/* A header of the ListIdentifiers that says what changed: keep id and day. */
static void
note_change(OaiScanState *ss, const OaiRecord *r)
{
	const char *id = r->id ? r->id : oai_identifier_to_id(r->identifier);
	KeyValue	c;

	if (id == NULL || !id_key(ss, id, &c.key))
		return;
	if (!oai_datestamp_date(r->datestamp, &c.value))
		DATE_NOEND(c.value);	/* no day: take it as changed */
	if (ss->nchanges == ss->maxchanges)
	{
		ss->maxchanges = Max(1024, ss->maxchanges * 2);
		ss->changes = ss->changes
			? repalloc_huge(ss->changes, sizeof(KeyValue) * ss->maxchanges)
			: MemoryContextAllocHuge(ss->harvest_cxt, sizeof(KeyValue) * ss->maxchanges);
	}
	ss->changes[ss->nchanges++] = c;
}

static void
record_work(OaiScanState *ss, const void *arg)
{
	const RecordWork *rw = arg;

	/* a ListSets page has no records: a server sending some is ignored */
	if (ss->listing_sets)
		return;
	if (ss->listing_changes)
	{
		note_change(ss, rw->record);
		return;
	}
	ss->records++;
	if (!rw->record->deleted)	/* arXiv never deletes; see README */
		record_rows(rw->node, ss, rw->record);
}

/* The parser's record callback. */
static int
on_record(void *arg, const OaiRecord *record)
{
	RecordCallbackArg *cb = arg;
	RecordWork	rw = {cb->node, record};

	return guarded(cb->ss, record_work, &rw);
}

static void
set_work(OaiScanState *ss, const void *arg)
{
	const OaiSet *set = arg;

	if (ss->listing_sets && set->spec != NULL)
		ss->sets_found = lappend(ss->sets_found, pstrdup(set->spec));
}

/* The ListSets callback. */
static int
on_set(void *arg, const OaiSet *set)
{
	return guarded(((RecordCallbackArg *) arg)->ss, set_work, set);
}

/* ---------------------------------------------------------------------
 * Fetching a page
 * ---------------------------------------------------------------------
 */

static void
free_parser(void *arg)
{
	OaiScanState *ss = arg;

	if (ss->parser)
		oai_parser_free(ss->parser);
	ss->parser = NULL;
}

static RecordCallbackArg *
callback_arg(ForeignScanState *node, OaiScanState *ss)
{
	RecordCallbackArg *cb = MemoryContextAlloc(ss->page_cxt, sizeof(RecordCallbackArg));

	cb->node = node;
	cb->ss = ss;
	return cb;
}

static void drop_body(OaiScanState *ss);

/*
 * Empty the page, and the body of the last one (kept until now for the
 * journal), and start a parser freed with the page context.
 */
static void
start_page(ForeignScanState *node, OaiScanState *ss)
{
	drop_body(ss);
	MemoryContextReset(ss->page_cxt);
	ss->tuples = NULL;
	ss->recs = NULL;
	ss->ntuples = ss->maxtuples = ss->next_tuple = 0;
	ss->nrecs = ss->maxrecs = ss->next_rec = 0;
	ss->sets_found = NIL;
	ss->record_error = NULL;
	ss->parse_status = OAI_OK;
	ss->parser = oai_parser_create(on_record, on_set, callback_arg(node, ss));
	if (ss->parser == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory creating the OAI-PMH parser")));
	ss->parser_cleanup.func = free_parser;
	ss->parser_cleanup.arg = ss;
	MemoryContextRegisterResetCallback(ss->page_cxt, &ss->parser_cleanup);
}

/* libcurl's sink: keep the body; must not throw (see fetch_attempt) */
static size_t
buffer_sink(void *arg, const char *data, size_t len)
{
	OaiScanState *ss = arg;
	BodyChunk  *chunk;

	chunk = MemoryContextAllocExtended(ss->body_cxt,
									   offsetof(BodyChunk, data) + len,
									   MCXT_ALLOC_NO_OOM | MCXT_ALLOC_HUGE);
	if (chunk == NULL)
	{
		ss->body_oom = true;
		return 0;
	}
	chunk->next = NULL;
	chunk->len = len;
	memcpy(chunk->data, data, len);
	if (ss->body_last)
		ss->body_last->next = chunk;
	else
		ss->body = chunk;
	ss->body_last = chunk;
	return len;
}

static void
parse_body(OaiScanState *ss)
{
	for (BodyChunk *c = ss->body; c != NULL && ss->parse_status == OAI_OK; c = c->next)
	{
		CHECK_FOR_INTERRUPTS();
		ss->parse_status = oai_parser_feed(ss->parser, c->data, c->len);
	}
	if (ss->parse_status == OAI_OK)
		ss->parse_status = oai_parser_finish(ss->parser);
}

static void
drop_body(OaiScanState *ss)
{
	ss->body = ss->body_last = NULL;
	ss->body_oom = false;
	MemoryContextReset(ss->body_cxt);
}

typedef enum AttemptOutcome
{
	ATTEMPT_OK,
	ATTEMPT_RETRY,
	ATTEMPT_FAIL
} AttemptOutcome;

/* Why an attempt failed, for the error after the last one. */
typedef struct AttemptResult
{
	AttemptOutcome outcome;
	int			sqlstate;
	const char *why;			/* errdetail */
	double		retry_after;
	ArxivCounters delta;
} AttemptResult;

static AttemptOutcome
attempt_result(AttemptResult *ar, AttemptOutcome outcome, int sqlstate,
			   const char *why)
{
	ar->outcome = outcome;
	ar->sqlstate = sqlstate;
	ar->why = why;
	return outcome;
}

static const char *
not_oai_reason(OaiStatus status)
{
	switch (status)
	{
		case OAI_ERR_XML:
			return "The response is not well-formed XML.";
		case OAI_ERR_NOT_OAI:
			return "The response is XML, but not an OAI-PMH 2.0 response.";
		case OAI_ERR_FORBIDDEN:
			return "The response has a DOCTYPE, which is refused.";
		case OAI_ERR_LIMIT:
			return "The response exceeds the parser's size limits.";
		case OAI_ERR_OOM:
			return "The response is too large for the memory available.";
		default:
			return "The response is not an OAI-PMH response.";
	}
}

/* Judge a transfer and its parse; see arxiv-api.md and oai-pmh.md. */
static AttemptOutcome
judge_attempt(OaiScanState *ss, ArxivHttpResult *hr, AttemptResult *ar)
{
	ar->retry_after = hr->retry_after;
	if (hr->too_large)
		return attempt_result(ar, ATTEMPT_FAIL, ERRCODE_FDW_UNABLE_TO_CREATE_REPLY,
							  psprintf("The response is larger than max_response_bytes (" INT64_FORMAT ").",
									   ss->opts.max_response_bytes));
	if (hr->transport_error)
	{
		ar->delta.errors_transport = 1;
		return attempt_result(ar, ATTEMPT_RETRY,
							  ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION,
							  pstrdup(hr->error));
	}
	if (hr->status == 429 || hr->status >= 500 || hr->status == 403)
	{
		ar->delta.errors_http = 1;
		return attempt_result(ar, ATTEMPT_RETRY,
							  ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION,
							  psprintf("The server answered with HTTP status %ld.",
									   hr->status));
	}
	if (hr->status != 200)
	{
		ar->delta.errors_http = 1;
		return attempt_result(ar, ATTEMPT_FAIL,
							  ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION,
							  psprintf("The server answered with HTTP status %ld.",
									   hr->status));
	}
	if (ss->parse_status != OAI_OK)
	{
		ar->delta.errors_parse = 1;
		return attempt_result(ar, ATTEMPT_RETRY, ERRCODE_FDW_UNABLE_TO_CREATE_REPLY,
							  hr->bytes == 0 ? "The response body is empty."
							  : not_oai_reason(ss->parse_status));
	}
	return attempt_result(ar, ATTEMPT_OK, 0, NULL);
}

/*
 * One attempt: our turn in arXiv's slot, the transfer, the slot released,
 * then the parse into rows and the judgement.
 */
static AttemptOutcome
fetch_attempt(ForeignScanState *node, OaiScanState *ss, const char *url,
			  AttemptResult *ar)
{
	ArxivHttpResult hr;
	volatile double waited = 0;

	start_page(node, ss);
	PG_TRY();
	{
		waited = arxiv_ratelimit_acquire(ss->host, ss->opts.request_interval);
		arxiv_http_perform(ss->http, url, NULL, buffer_sink, ss, &hr);
	}
	PG_FINALLY();
	{
		arxiv_ratelimit_release();
	}
	PG_END_TRY();

	if (ss->body_oom)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory receiving an OAI-PMH response of " INT64_FORMAT " bytes",
						hr.bytes)));
	if (!hr.transport_error && !hr.too_large)
		parse_body(ss);
	/* only a list being journaled needs the body after the parse */
	if (ss->journal == NULL)
		drop_body(ss);
	if (ss->record_error)
		ReThrowError(ss->record_error);

	ss->requests++;
	ss->waited += waited;
	memset(&ar->delta, 0, sizeof(ar->delta));
	judge_attempt(ss, &hr, ar);
	ar->delta.requests = 1;
	ar->delta.bytes = hr.bytes;
	ar->delta.rate_limit_wait = waited;
	if (ar->outcome == ATTEMPT_OK)
		ar->delta.entries = oai_parser_info(ss->parser)->nrecords;
	return ar->outcome;
}

/*
 * Fetch url into the page, retrying with backoff what may pass (transport
 * errors, 429/403/5xx, bodies that are not OAI-PMH, such as a truncated
 * one or a CDN's error page).
 */
static void
fetch_page(ForeignScanState *node, OaiScanState *ss, const char *url)
{
	AttemptResult ar;

	if (ss->first_url == NULL)
		ss->first_url = MemoryContextStrdup(ss->scan_cxt, url);
	for (int attempt = 0;; attempt++)
	{
		CHECK_FOR_INTERRUPTS();
		memset(&ar, 0, sizeof(ar));
		fetch_attempt(node, ss, url, &ar);
		ar.delta.retries = attempt > 0;
		arxiv_stats_add(&ar.delta);
		if (ar.outcome == ATTEMPT_OK)
			return;
		if (ar.outcome == ATTEMPT_FAIL || attempt >= ss->opts.max_retries)
			ereport(ERROR,
					(errcode(ar.sqlstate),
					 errmsg("could not harvest from arXiv's OAI-PMH interface"),
					 errdetail_internal("%s", ar.why),
					 errcontext("request %s, attempt %d", arxiv_url_redact(url),
								attempt + 1),
					 ar.outcome == ATTEMPT_RETRY
					 ? errhint("arXiv may be busy; try again later, or raise the server option \"max_retries\".")
					 : 0));
		ss->retries++;
		arxiv_interruptible_sleep(arxiv_backoff_seconds(ss->opts.request_interval,
														attempt, ar.retry_after));
	}
}

/* ---------------------------------------------------------------------
 * Sets
 * ---------------------------------------------------------------------
 */

/* ListSets of one server, kept for the session */
static MemoryContext sets_cxt = NULL;
static char *sets_url = NULL;
static List *sets_specs = NIL;
static TimestampTz sets_fetched = 0;

/*
 * The set specs of the server (ListSets), fetched once a day per session:
 * a category's set is looked up, never derived, since arXiv's naming of
 * sets changed before (archive-level specs until 2025).
 */
static List *
sets_of_server(ForeignScanState *node, OaiScanState *ss)
{
	char	   *url;
	char	   *token = NULL;
	List	   *specs = NIL;
	MemoryContext old;

	if (sets_url != NULL && strcmp(sets_url, ss->opts.oai_url) == 0 &&
		!TimestampDifferenceExceeds(sets_fetched, GetCurrentTimestamp(),
									OAI_SETS_TTL_SECS * 1000))
		return sets_specs;
	do
	{
		const OaiResponseInfo *info;
		ListCell   *lc;

		url = token
			? psprintf("%s?verb=ListSets&resumptionToken=%s", ss->opts.oai_url,
					   aq_urlencode(arxiv_aq_arena(), token))
			: psprintf("%s?verb=ListSets", ss->opts.oai_url);
		ss->listing_sets = true;
		fetch_page(node, ss, url);
		ss->listing_sets = false;
		info = oai_parser_info(ss->parser);
		if (info->error != OAI_ERROR_NONE)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("arXiv's OAI-PMH interface refused to list its sets"),
					 errdetail("arXiv said: %s: %s", info->error_code ? info->error_code : "?",
							   info->error_message ? info->error_message : ""),
					 errcontext("request %s", arxiv_url_redact(url))));
		foreach(lc, ss->sets_found)
			specs = lappend(specs, pstrdup(lfirst(lc)));
		token = info->has_token && info->token[0] ? pstrdup(info->token) : NULL;
	} while (token != NULL);

	if (sets_cxt == NULL)
		sets_cxt = AllocSetContextCreate(TopMemoryContext, "arxiv_fdw OAI sets",
										 ALLOCSET_SMALL_SIZES);
	MemoryContextReset(sets_cxt);
	sets_specs = NIL;
	sets_url = NULL;
	old = MemoryContextSwitchTo(sets_cxt);
	{
		ListCell   *lc;

		foreach(lc, specs)
			sets_specs = lappend(sets_specs, pstrdup(lfirst(lc)));
		sets_url = pstrdup(ss->opts.oai_url);
	}
	MemoryContextSwitchTo(old);
	sets_fetched = GetCurrentTimestamp();
	return sets_specs;
}

/* ---------------------------------------------------------------------
 * Harvesting
 * ---------------------------------------------------------------------
 */

/* An OAI error other than "nothing matched" ends the scan. */
static void
report_oai_error(const OaiResponseInfo *info, const char *url)
{
	ereport(ERROR,
			(errcode(info->error == OAI_ERROR_BAD_ARGUMENT ||
					 info->error == OAI_ERROR_CANNOT_DISSEMINATE_FORMAT
					 ? ERRCODE_FDW_UNABLE_TO_CREATE_EXECUTION : ERRCODE_FDW_ERROR),
			 errmsg("arXiv's OAI-PMH interface answered with error \"%s\"",
					info->error_code ? info->error_code : "?"),
			 errdetail("arXiv said: %s", info->error_message ? info->error_message : "(no message)"),
			 errcontext("request %s", arxiv_url_redact(url))));
}

/*
 * A rejected resumption token: start the list again from the greatest
 * datestamp it has shown (rows seen again are dropped as duplicates, and
 * none can be missed, since everything not yet shown is dated later).  A
 * restart that cannot move "from" forward (one day holds more than a page)
 * may meet the same rejection again: after OAI_MAX_RESTARTS of those in a
 * row the scan fails rather than loop.
 */
static void
restart_listing(OaiScanState *ss, const OaiResponseInfo *info, const char *url)
{
	if (DATE_IS_NOBEGIN(ss->last_datestamp) || ss->last_datestamp <= ss->cur->from)
		ss->restarts++;
	else
		ss->restarts = 1;
	if (ss->restarts > OAI_MAX_RESTARTS)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("arXiv's OAI-PMH interface keeps rejecting the resumption tokens of a list"),
				 errdetail_plural("The list was restarted %d time from %s without progress; arXiv said: %s",
								  "The list was restarted %d times from %s without progress; arXiv said: %s",
								  OAI_MAX_RESTARTS, OAI_MAX_RESTARTS,
								  DatumGetCString(DirectFunctionCall1(date_out,
																	  DateADTGetDatum(ss->cur->from))),
								  info->error_message ? info->error_message : "(no message)"),
				 errcontext("request %s", arxiv_url_redact(url))));
	ss->total_restarts++;
	if (!DATE_IS_NOBEGIN(ss->last_datestamp))
		ss->cur->from = Max(ss->cur->from, ss->last_datestamp);
	ss->token = NULL;
}

static bool
idset_contains(const IdSet *set, uint32 key)
{
	int64		lo = 0,
				hi = set->n;

	while (lo < hi)
	{
		int64		mid = lo + (hi - lo) / 2;

		if (set->keys[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < set->n && set->keys[lo] == key;
}

/* Merge m sorted keys, none in the set, into it (from the end: no copy). */
static void
idset_merge(IdSet *set, const uint32 *add, int64 m, MemoryContext cxt)
{
	int64		i = set->n - 1,
				j = m - 1,
				k = set->n + m - 1;

	if (set->n + m > set->cap)
	{
		set->cap = Max(set->n + m, set->cap + set->cap / 2);
		set->keys = set->keys
			? repalloc_huge(set->keys, sizeof(uint32) * set->cap)
			: MemoryContextAllocHuge(cxt, sizeof(uint32) * set->cap);
	}
	while (j >= 0)
	{
		if (i >= 0 && set->keys[i] > add[j])
			set->keys[k--] = set->keys[i--];
		else
			set->keys[k--] = add[j--];
	}
	set->n += m;
}

static int
key_value_cmp(const void *a, const void *b)
{
	const KeyValue *x = a;
	const KeyValue *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->value > y->value) - (x->value < y->value);
}

/*
 * Drop the page's records already returned (by an earlier page, or earlier
 * on this one), and add the new ids to the set.
 */
static void
dedupe_page(OaiScanState *ss)
{
	KeyValue   *pairs = MemoryContextAlloc(ss->page_cxt, sizeof(KeyValue) * Max(ss->nrecs, 1));
	uint32	   *fresh = MemoryContextAlloc(ss->page_cxt, sizeof(uint32) * Max(ss->nrecs, 1));
	int			m = 0;
	int			nfresh = 0;

	for (int i = 0; i < ss->nrecs; i++)
	{
		ss->last_datestamp = Max(ss->last_datestamp, ss->recs[i].datestamp);
		if (ss->recs[i].has_key)
		{
			pairs[m].key = ss->recs[i].key;
			pairs[m++].value = i;
		}
	}
	qsort(pairs, m, sizeof(KeyValue), key_value_cmp);
	for (int j = 0; j < m; j++)
	{
		if ((j > 0 && pairs[j].key == pairs[j - 1].key) ||
			idset_contains(&ss->seen, pairs[j].key))
		{
			ss->duplicates++;
			ss->recs[pairs[j].value].ntuples = 0;
		}
		else
			fresh[nfresh++] = pairs[j].key;
	}
	idset_merge(&ss->seen, fresh, nfresh, ss->harvest_cxt);
}

/* ---------------------------------------------------------------------
 * Journals (arxiv_fdw.resume_harvests; see oai_journal.c)
 * ---------------------------------------------------------------------
 */

/*
 * A list with pages journaled by an interrupted scan resumes.  Those pages
 * hold every paper of the list dated before their greatest datestamp, as
 * it was then, and a paper changed since has a later datestamp.  So the
 * list is asked for again from that datestamp on only (what was left, and
 * what changed), and the journal's pages are replayed after that, the
 * newest first, dropping papers already returned and those changed since
 * their page was fetched (probe_changes): every paper comes once, in the
 * latest version fetched, and only if it still belongs to the list, as in
 * a fresh harvest.  Going on from the journal's last token
 * instead could skip papers: tokens are offsets, which shift as papers
 * change (oai-pmh.md), and the journal may be days old.
 */
static void
resume_listing(OaiScanState *ss)
{
	int32		mark = oai_journal_mark(ss->journal);

	ss->replay_left = oai_journal_pages(ss->journal);
	if (ss->replay_left > 0 && mark != OAI_JOURNAL_NO_MARK)
		ss->cur->from = Max(ss->cur->from, (DateADT) mark);
}

/* Journal the list starting, a ListRecords, if resuming is asked for. */
static void
open_journal(OaiScanState *ss)
{
	MemoryContext old;

	ss->journal = NULL;
	ss->replay_left = 0;
	ss->live_done = false;
	ss->probed = false;
	if (!arxiv_resume_harvests || ss->cur->id != NULL)
		return;
	old = MemoryContextSwitchTo(ss->harvest_cxt);
	ss->journal = oai_journal_open(listing_url(ss, ss->cur, NULL), ss->harvest_cxt);
	if (ss->journal != NULL)
	{
		ss->journals = lappend(ss->journals, ss->journal);
		resume_listing(ss);
	}
	MemoryContextSwitchTo(old);
}

/* The harvest is complete: nothing is left to resume. */
static void
remove_journals(OaiScanState *ss)
{
	ListCell   *lc;

	foreach(lc, ss->journals)
		oai_journal_remove(lfirst(lc));
	ss->journals = NIL;
	ss->journal = NULL;
}

/* Keep a page just fetched, and taken, in the list's journal. */
static void
journal_page(OaiScanState *ss)
{
	if (ss->journal == NULL || !oai_journal_begin_page(ss->journal))
		return;
	for (BodyChunk *c = ss->body; c != NULL; c = c->next)
		if (!oai_journal_write(ss->journal, c->data, c->len))
			return;
	oai_journal_end_page(ss->journal, ss->last_datestamp);
}

static bool
replay_feed(void *arg, const char *data, size_t len)
{
	OaiScanState *ss = arg;

	ss->parse_status = oai_parser_feed(ss->parser, data, len);
	return ss->parse_status == OAI_OK;
}

/*
 * Learn which papers changed since "from", and their datestamps now: a
 * ListIdentifiers of every set, without "until".  A journaled paper whose
 * datestamp is now later than its journaled one changed after its page was
 * fetched, and only the live part of the list can say whether it still
 * belongs there: it may have moved past the list's "until" or out of its
 * set, and then a fresh harvest would not return it.  (A paper changed
 * after a page was fetched has a datestamp of that day or later, hence
 * "from" is the day the journal started.)  Known changes from an earlier
 * day serve as they are.
 */
static void
probe_changes(ForeignScanState *node, OaiScanState *ss, DateADT from)
{
	char		day[11];
	char	   *token = NULL;
	int			restarts = 0;

	if (!DATE_IS_NOBEGIN(ss->changes_from) && ss->changes_from <= from)
		return;
	ss->nchanges = 0;
	format_day(from, day);
	for (;;)
	{
		const OaiResponseInfo *info;
		char	   *url = token
			? psprintf("%s?verb=ListIdentifiers&resumptionToken=%s", ss->opts.oai_url,
					   aq_urlencode(arxiv_aq_arena(), token))
			: psprintf("%s?verb=ListIdentifiers&metadataPrefix=%s&from=%s",
					   ss->opts.oai_url, OAI_METADATA_PREFIX, day);

		ss->listing_changes = true;
		fetch_page(node, ss, url);
		ss->listing_changes = false;
		info = oai_parser_info(ss->parser);
		if ((info->error == OAI_ERROR_BAD_RESUMPTION_TOKEN ||
			 info->error == OAI_ERROR_NO_RECORDS_MATCH) && token != NULL &&
			++restarts <= OAI_MAX_RESTARTS)
		{
			/* not known to be complete: ask again from the start */
			ss->nchanges = 0;
			token = NULL;
			continue;
		}
		if (info->error == OAI_ERROR_NO_RECORDS_MATCH && token == NULL)
			break;
		if (info->error != OAI_ERROR_NONE)
			report_oai_error(info, url);
		if (!info->has_token || info->token[0] == '\0')
			break;
		token = MemoryContextStrdup(ss->harvest_cxt, info->token);
	}
	if (ss->nchanges > 0)
		qsort(ss->changes, ss->nchanges, sizeof(KeyValue), key_value_cmp);
	ss->changes_from = from;
}

/* A paper's datestamp now if it changed since changes_from, else false. */
static bool
changed_since(OaiScanState *ss, uint32 key, DateADT *now)
{
	int64		lo = 0,
				hi = ss->nchanges;

	/* the last entry of the key has its latest datestamp */
	while (lo < hi)
	{
		int64		mid = lo + (hi - lo) / 2;

		if (ss->changes[mid].key <= key)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || ss->changes[lo - 1].key != key)
		return false;
	*now = ss->changes[lo - 1].value;
	return true;
}

/* Drop the replayed page's papers that changed after it was fetched. */
static void
drop_superseded(OaiScanState *ss)
{
	for (int i = 0; i < ss->nrecs; i++)
	{
		PageRecord *pr = &ss->recs[i];
		DateADT		now;

		if (pr->has_key && pr->ntuples > 0 &&
			changed_since(ss, pr->key, &now) && now > pr->datestamp)
		{
			pr->ntuples = 0;
			ss->superseded++;
		}
	}
}

/*
 * The list's next journaled page, as if it had just been fetched.  A page
 * that cannot be read whole fails the scan, and the journal is removed so
 * that the next try starts the list afresh: the pages after it were written
 * later, and cannot stand in for it.
 */
static void
replay_page(ForeignScanState *node, OaiScanState *ss)
{
	int			page = ss->replay_left--;
	bool		read;

	start_page(node, ss);
	read = oai_journal_replay(ss->journal, page, replay_feed, ss);
	if (read && ss->parse_status == OAI_OK)
		ss->parse_status = oai_parser_finish(ss->parser);
	if (ss->record_error)
		ReThrowError(ss->record_error);
	if (!read || ss->parse_status != OAI_OK ||
		oai_parser_info(ss->parser)->error != OAI_ERROR_NONE)
	{
		oai_journal_remove(ss->journal);
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("could not resume an interrupted OAI-PMH harvest"),
				 errdetail("Page %d of the journal of its list could not be read: %s",
						   page, read ? oai_parser_errmsg(ss->parser) : "read error."),
				 errhint("Run the query again: the journal has been removed, and the list will be harvested from its start.")));
	}
	drop_superseded(ss);
	dedupe_page(ss);
	ss->replayed++;
	if (ss->replay_left == 0)
		ss->cur = NULL;
}

/* The live part of the list is over: replay its journal, if any, or end. */
static void
end_live(OaiScanState *ss)
{
	if (ss->replay_left > 0)
		ss->live_done = true;
	else
		ss->cur = NULL;
}

/* ---------------------------------------------------------------------
 * Lists
 * ---------------------------------------------------------------------
 */

static void
next_listing(OaiScanState *ss)
{
	if (ss->next_listing >= list_length(ss->listings))
	{
		ss->eof = true;
		ss->cur = NULL;
		remove_journals(ss);
		return;
	}
	ss->cur = list_nth(ss->listings, ss->next_listing++);
	ss->token = NULL;
	DATE_NOBEGIN(ss->last_datestamp);
	ss->restarts = 0;
	open_journal(ss);
}

/* Fetch the next page of the harvest into the page's rows. */
static void
harvest_page(ForeignScanState *node, OaiScanState *ss)
{
	const OaiResponseInfo *info;
	char	   *url;

	if (ss->cur == NULL)
	{
		next_listing(ss);
		if (ss->eof)
			return;
	}
	if (ss->live_done)
	{
		if (!ss->probed)
		{
			/*
			 * a day early: our clock and arXiv's, or the zone of its
			 * datestamps, may differ by hours
			 */
			probe_changes(node, ss,
						  utc_day(time_t_to_timestamptz(oai_journal_started(ss->journal))) - 1);
			ss->probed = true;
		}
		replay_page(node, ss);
		return;
	}
	url = listing_url(ss, ss->cur, ss->token);
	fetch_page(node, ss, url);
	info = oai_parser_info(ss->parser);
	/*
	 * A token rejected, or answered with noRecordsMatch (the list shrank
	 * under its offset, or the server lost track): the list is not known to
	 * be complete, so it starts again from its last datestamp.  Ending it
	 * there would return part of the rows as if they were all.
	 */
	if ((info->error == OAI_ERROR_BAD_RESUMPTION_TOKEN ||
		 info->error == OAI_ERROR_NO_RECORDS_MATCH) && ss->token != NULL)
	{
		restart_listing(ss, info, url);
		return;
	}
	if (info->error == OAI_ERROR_NO_RECORDS_MATCH ||
		(info->error == OAI_ERROR_ID_DOES_NOT_EXIST && ss->cur->id != NULL))
	{
		end_live(ss);
		return;
	}
	if (info->error != OAI_ERROR_NONE)
		report_oai_error(info, url);
	dedupe_page(ss);
	journal_page(ss);
	if (info->has_token && info->token[0] != '\0')
		ss->token = MemoryContextStrdup(ss->harvest_cxt, info->token);
	else
		end_live(ss);
	if (arxiv_progress)
		ereport(NOTICE,
				(errmsg("OAI-PMH page %lld: %lld records so far, %.1f s waited for the rate limit",
						(long long) ss->requests, (long long) ss->records,
						ss->waited)));
}

static void
start_harvest(ForeignScanState *node, OaiScanState *ss)
{
	OaiWanted	w;
	MemoryContext old = MemoryContextSwitchTo(ss->harvest_cxt);

	evaluate_conditions(node, ss, &w);
	if (ss->http == NULL)
		ss->http = arxiv_http_create(ss->scan_cxt, &ss->opts);
	plan_listings(node, ss, &w);
	MemoryContextSwitchTo(old);
	ss->started = true;
	if (ss->listings == NIL)
		ss->eof = true;
}

/* ---------------------------------------------------------------------
 * Executor callbacks
 * ---------------------------------------------------------------------
 */

/* The columns the plan reads: others stay NULL and cost nothing. */
static Bitmapset *
needed_columns(ForeignScan *plan)
{
	Bitmapset  *attrs = NULL;

	pull_varattnos((Node *) plan->scan.plan.targetlist, plan->scan.scanrelid, &attrs);
	pull_varattnos((Node *) plan->scan.plan.qual, plan->scan.scanrelid, &attrs);
	return attrs;
}

static void
setup_columns(ForeignScanState *node, OaiScanState *ss)
{
	ForeignScan *plan = (ForeignScan *) node->ss.ps.plan;
	TupleDesc	tupdesc = RelationGetDescr(node->ss.ss_currentRelation);
	OaiField   *fields = oai_column_fields(ss->relid, tupdesc);
	Bitmapset  *attrs = needed_columns(plan);
	bool		whole_row = bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs);

	ss->natts = tupdesc->natts;
	ss->cols = palloc0(sizeof(OaiColumn) * ss->natts);
	ss->values = palloc0(sizeof(Datum) * ss->natts);
	ss->nulls = palloc0(sizeof(bool) * ss->natts);
	for (int i = 0; i < ss->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(tupdesc, i);
		OaiColumn  *col = &ss->cols[i];
		Oid			func;
		bool		isvarlena;

		col->field = fields[i];
		if (attr->attisdropped || fields[i] == OF_NONE ||
			(!whole_row && !bms_is_member(i + 1 - FirstLowInvalidHeapAttributeNumber, attrs)))
		{
			col->field = OF_NONE;
			continue;
		}
		if (attr->atttypid == oai_fields[fields[i]].type)
			continue;
		col->coerce = true;
		getTypeOutputInfo(oai_fields[fields[i]].type, &func, &isvarlena);
		fmgr_info(func, &col->native_out);
		getTypeInputInfo(attr->atttypid, &func, &col->declared_ioparam);
		fmgr_info(func, &col->declared_in);
		col->declared_typmod = attr->atttypmod;
	}
}

void
oaiBeginForeignScan(ForeignScanState *node, int eflags pg_attribute_unused())
{
	ForeignScan *plan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	OaiScanState *ss = palloc0(sizeof(OaiScanState));

	node->fdw_state = ss;
	ss->state_kind = STATE_OAI;
	ss->relid = intVal(list_nth(plan->fdw_private, OSP_RELID));
	ss->kinds = list_nth(plan->fdw_private, OSP_KINDS);
	ss->args = list_nth(plan->fdw_private, OSP_ARGS);
	arxiv_get_options(ss->relid, &ss->opts);
	ss->versions = ss->opts.source == SOURCE_OAI_VERSIONS;
	DATE_NOBEGIN(ss->changes_from);
	ss->value_states = ExecInitExprList(plan->fdw_exprs, (PlanState *) node);
	(void) arxiv_url_key(ss->opts.oai_url, ss->host, sizeof(ss->host));
	setup_columns(node, ss);

	ss->scan_cxt = AllocSetContextCreate(estate->es_query_cxt,
										 "arxiv_fdw OAI scan",
										 ALLOCSET_DEFAULT_SIZES);
	ss->harvest_cxt = AllocSetContextCreate(ss->scan_cxt, "arxiv_fdw OAI harvest",
											ALLOCSET_DEFAULT_SIZES);
	ss->page_cxt = AllocSetContextCreate(ss->scan_cxt, "arxiv_fdw OAI page",
										 ALLOCSET_DEFAULT_SIZES);
	ss->body_cxt = AllocSetContextCreate(ss->scan_cxt, "arxiv_fdw OAI body",
										 ALLOCSET_DEFAULT_SIZES);
}

TupleTableSlot *
oaiIterateForeignScan(ForeignScanState *node)
{
	OaiScanState *ss = node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;

	ExecClearTuple(slot);
	if (!ss->started)
		start_harvest(node, ss);
	for (;;)
	{
		while (ss->next_rec < ss->nrecs)
		{
			PageRecord *pr = &ss->recs[ss->next_rec];

			if (ss->next_tuple < pr->ntuples)
			{
				ExecStoreHeapTuple(ss->tuples[pr->first + ss->next_tuple++],
								   slot, false);
				return slot;
			}
			ss->next_rec++;
			ss->next_tuple = 0;
		}
		if (ss->eof)
			return slot;
		harvest_page(node, ss);
	}
}

/*
 * Start again: the next scan evaluates its values again (they may be
 * parameters of the outer plan) and harvests from the first list, with a
 * new set of ids seen.  The connection is kept.
 */
void
oaiReScanForeignScan(ForeignScanState *node)
{
	OaiScanState *ss = node->fdw_state;

	MemoryContextReset(ss->page_cxt);
	drop_body(ss);
	MemoryContextReset(ss->harvest_cxt);
	ss->started = ss->eof = false;
	ss->requirements = ss->listings = ss->packed_archives = NIL;
	ss->next_listing = 0;
	memset(&ss->seen, 0, sizeof(ss->seen));
	ss->cur = NULL;
	ss->token = NULL;
	/* resetting harvest_cxt closed the journals; their pages stay */
	ss->journal = NULL;
	ss->journals = NIL;
	ss->replay_left = 0;
	ss->live_done = false;
	ss->changes = NULL;
	ss->nchanges = ss->maxchanges = 0;
	DATE_NOBEGIN(ss->changes_from);
	ss->tuples = NULL;
	ss->recs = NULL;
	ss->nrecs = ss->ntuples = ss->next_rec = ss->next_tuple = 0;
	ss->maxrecs = ss->maxtuples = 0;
}

void
oaiEndForeignScan(ForeignScanState *node)
{
	OaiScanState *ss = node->fdw_state;

	if (ss == NULL)
		return;
	/* frees the parser, the connection and every row */
	MemoryContextDelete(ss->scan_cxt);
	node->fdw_state = NULL;
}

static const char *
strategy_symbol(int strategy)
{
	switch (strategy)
	{
		case BTLessStrategyNumber:
			return "<";
		case BTLessEqualStrategyNumber:
			return "<=";
		case BTEqualStrategyNumber:
			return "=";
		case BTGreaterEqualStrategyNumber:
			return ">=";
		default:
			return ">";
	}
}

/* The conditions sent, as SQL: "category = 'cs.OS', datestamp >= ..." */
static char *
describe_conditions(ForeignScanState *node, OaiScanState *ss, ExplainState *es)
{
	ForeignScan *plan = (ForeignScan *) node->ss.ps.plan;
	List	   *dpcontext = set_deparse_context_plan(es->deparse_cxt,
													 node->ss.ps.plan, NIL);
	StringInfoData buf;
	ListCell   *lk,
			   *la,
			   *lv;

	initStringInfo(&buf);
	forthree(lk, ss->kinds, la, ss->args, lv, plan->fdw_exprs)
	{
		const char *value = deparse_expression(lfirst(lv), dpcontext, false, false);
		int			kind = lfirst_int(lk);

		if (buf.len > 0)
			appendStringInfoString(&buf, ", ");
		if (kind == OC_DATESTAMP)
			appendStringInfo(&buf, "datestamp %s %s",
							 strategy_symbol(lfirst_int(la)), value);
		else
			appendStringInfo(&buf, lfirst_int(la) ? "%s = ANY (%s)" : "%s = %s",
							 kind == OC_ID ? "id" : "category", value);
	}
	return buf.data;
}

void
oaiExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	OaiScanState *ss = node->fdw_state;

	ExplainPropertyText("OAI-PMH Harvest", describe_conditions(node, ss, es), es);
	if (!es->analyze)
		return;
	ExplainPropertyInteger("OAI-PMH Lists", NULL, list_length(ss->listings), es);
	ExplainPropertyInteger("OAI-PMH Requests", NULL, ss->requests, es);
	ExplainPropertyInteger("OAI-PMH Records", NULL, ss->records, es);
	if (ss->duplicates > 0 || es->verbose)
		ExplainPropertyInteger("OAI-PMH Duplicates Dropped", NULL, ss->duplicates, es);
	if (ss->total_restarts > 0 || es->verbose)
		ExplainPropertyInteger("OAI-PMH Restarts", NULL, ss->total_restarts, es);
	if (ss->retries > 0 || es->verbose)
		ExplainPropertyInteger("OAI-PMH Retries", NULL, ss->retries, es);
	if (ss->replayed > 0)
	{
		ExplainPropertyInteger("OAI-PMH Pages Resumed", NULL, ss->replayed, es);
		ExplainPropertyInteger("OAI-PMH Resumed Papers Changed Since", NULL,
							   ss->superseded, es);
	}
	if (es->verbose && ss->first_url)
		ExplainPropertyText("OAI-PMH First Request", arxiv_url_redact(ss->first_url), es);
}
