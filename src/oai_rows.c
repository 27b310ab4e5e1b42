/*-------------------------------------------------------------------------
 *
 * oai_rows.c
 *	  The values of the OAI-PMH tables' fields, from a parsed arXivRaw
 *	  record (oai.h) and the version a row stands for.
 *
 * The row itself (which columns are needed, coercion to a declared type)
 * is made in oai_scan.c; this file only says what each field is: the
 * latest version's date for "updated", v1's for "published", the author
 * string split into names, a withdrawal from the source type, and so on.
 *
 * IDENTIFICATION
 *	  src/oai_rows.c
 *
 *-------------------------------------------------------------------------
 */
#include "arxiv_fdw.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"

#include "oai_rows.h"

/* days between 1970-01-01 and 2000-01-01, PostgreSQL's epoch */
#define UNIX_TO_PG_DAYS		(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE)

/* A datestamp ("2026-06-20") as a date; false if absent or invalid. */
bool
oai_datestamp_date(const char *datestamp, DateADT *day)
{
	int64		secs;

	if (datestamp == NULL || !oai_parse_datestamp(datestamp, &secs))
		return false;
	*day = (DateADT) (secs / SECS_PER_DAY - UNIX_TO_PG_DAYS);
	return true;
}

static Datum
text_datum(const char *s)
{
	return PointerGetDatum(cstring_to_text(s));
}

static Datum
text_array_datum(char **strs, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		elems[i] = text_datum(strs[i]);
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false,
										   TYPALIGN_INT));
}

/* arXiv's author string as names (affiliations dropped: see authors_raw) */
static Datum
authors_datum(const char *raw)
{
	size_t		len = strlen(raw);
	size_t		bufsz = 2 * len + 2;
	char	   *buf = palloc(bufsz);
	int			max = 16;
	OaiAuthorName *names = palloc(sizeof(OaiAuthorName) * max);
	int			n = oai_split_authors(raw, buf, bufsz, names, max);
	Datum	   *elems;

	if (n > max)
	{
		max = n;
		names = repalloc(names, sizeof(OaiAuthorName) * max);
		n = oai_split_authors(raw, buf, bufsz, names, max);
	}
	if (n < 0)
		elog(ERROR, "could not split an author string of %zu bytes", len);
	elems = palloc(sizeof(Datum) * Max(n, 1));
	for (int i = 0; i < n; i++)
		elems[i] = text_datum(names[i].name);
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false,
										   TYPALIGN_INT));
}

static Datum
unix_timestamptz(int64 secs)
{
	return TimestampTzGetDatum((secs - (int64) UNIX_TO_PG_DAYS * SECS_PER_DAY) *
							   USECS_PER_SEC);
}

/* The version arXiv counts as latest (highest number). */
const OaiVersion *
oai_latest_version(const OaiRecord *r)
{
	const OaiVersion *best = NULL;

	for (int i = 0; i < r->nversions; i++)
		if (best == NULL || r->versions[i].number >= best->number)
			best = &r->versions[i];
	return best;
}

/* Version 1, or the first listed if none is numbered 1. */
static const OaiVersion *
first_version(const OaiRecord *r)
{
	for (int i = 0; i < r->nversions; i++)
		if (r->versions[i].number == 1)
			return &r->versions[i];
	return r->nversions > 0 ? &r->versions[0] : NULL;
}

static bool
string_field(const OaiRowSource *src, OaiField f, const char **s)
{
	const OaiRecord *r = src->rec;

	switch (f)
	{
		case OF_ID: *s = src->id; break;
		case OF_SUBMITTER: *s = r->submitter; break;
		case OF_TITLE: *s = r->title; break;
		case OF_AUTHORS_RAW: *s = r->authors; break;
		case OF_PRIMARY_CATEGORY: *s = r->ncategories > 0 ? r->category_list[0] : NULL; break;
		case OF_COMMENTS: *s = r->comments; break;
		case OF_PROXY: *s = r->proxy; break;
		case OF_REPORT_NO: *s = r->report_no; break;
		case OF_MSC_CLASS: *s = r->msc_class; break;
		case OF_ACM_CLASS: *s = r->acm_class; break;
		case OF_JOURNAL_REF: *s = r->journal_ref; break;
		case OF_DOI: *s = r->doi; break;
		case OF_LICENSE: *s = r->license; break;
		case OF_ABSTRACT: *s = r->abstract; break;
		case OF_CATEGORY: *s = src->category; break;
		case OF_SOURCE_TYPE: *s = src->version ? src->version->source_type : NULL; break;
		default:
			return false;
	}
	return true;
}

/*
 * The native Datum of a field (the type oai_fields gives), in the current
 * memory context; false for NULL.
 */
bool
oai_field_datum(const OaiRowSource *src, OaiField f, Datum *d)
{
	const OaiRecord *r = src->rec;
	const OaiVersion *v = src->version;
	const OaiVersion *v1;
	const char *s;

	if (string_field(src, f, &s))
	{
		if (s == NULL)
			return false;
		*d = text_datum(s);
		return true;
	}
	switch (f)
	{
		case OF_DATESTAMP:
			{
				DateADT		day;

				if (!oai_datestamp_date(r->datestamp, &day))
					return false;
				*d = DateADTGetDatum(day);
				return true;
			}
		case OF_SETS:
			*d = text_array_datum(r->set_specs, r->nset_specs);
			return true;
		case OF_CATEGORIES:
			if (r->categories == NULL)
				return false;
			*d = text_array_datum(r->category_list, r->ncategories);
			return true;
		case OF_AUTHORS:
			if (r->authors == NULL)
				return false;
			*d = authors_datum(r->authors);
			return true;
		case OF_PUBLISHED:
			v1 = first_version(r);
			if (v1 == NULL || !v1->date_valid)
				return false;
			*d = unix_timestamptz(v1->date_unix);
			return true;
		case OF_UPDATED:
		case OF_SUBMITTED:
			if (v == NULL || !v->date_valid)
				return false;
			*d = unix_timestamptz(v->date_unix);
			return true;
		case OF_VERSION:
			if (v == NULL || v->number <= 0)
				return false;
			*d = Int32GetDatum(v->number);
			return true;
		case OF_SIZE_KB:
			if (v == NULL || v->size_kb < 0 || v->size_kb > PG_INT32_MAX)
				return false;
			*d = Int32GetDatum((int32) v->size_kb);
			return true;
		case OF_WITHDRAWN:
			if (v == NULL)
				return false;
			/* arXiv's format letter for a withdrawal is I */
			*d = BoolGetDatum(v->source_type != NULL &&
							  strchr(v->source_type, 'I') != NULL);
			return true;
		default:
			return false;
	}
}
