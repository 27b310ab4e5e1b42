/*-------------------------------------------------------------------------
 *
 * convert.c
 *	  Atom entries to Datums of the foreign table's columns.
 *
 * Each column is produced as its field's native type (arxiv_fields[]); when
 * the table declares another type (users may declare their own tables, e.g.
 * "published date"), the native value goes through its output function and
 * the declared type's input function.  Values are built in the current
 * memory context, the caller's per-page context.
 *
 *-------------------------------------------------------------------------
 */
#include "arxiv_fdw.h"

#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/memutils.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

typedef struct ColumnConv
{
	ArxivField	field;
	bool		coerce;			/* declared type differs from the native one */
	FmgrInfo	native_out;
	FmgrInfo	declared_in;
	Oid			declared_ioparam;
	int32		declared_typmod;
} ColumnConv;

struct ArxivConverter
{
	MemoryContext scratch;		/* temporaries of one value, reset after it */
	int			natts;
	ColumnConv *cols;
	bool		convert_to_server;	/* server encoding is not UTF-8 */
	const ArxivRequest *req;
};

ArxivConverter *
arxiv_converter_create(TupleDesc tupdesc, ArxivField *fields)
{
	ArxivConverter *conv = palloc0(sizeof(ArxivConverter));

	conv->scratch = AllocSetContextCreate(CurrentMemoryContext,
										  "arxiv_fdw conversion",
										  ALLOCSET_SMALL_SIZES);
	conv->natts = tupdesc->natts;
	conv->cols = palloc0(sizeof(ColumnConv) * tupdesc->natts);
	conv->convert_to_server = GetDatabaseEncoding() != PG_UTF8;
	for (int i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(tupdesc, i);
		ColumnConv *col = &conv->cols[i];
		Oid			func;
		bool		isvarlena;

		col->field = fields[i];
		if (attr->attisdropped || fields[i] == AF_NONE)
		{
			col->field = AF_NONE;
			continue;
		}
		if (attr->atttypid == arxiv_fields[fields[i]].type)
			continue;
		col->coerce = true;
		getTypeOutputInfo(arxiv_fields[fields[i]].type, &func, &isvarlena);
		fmgr_info(func, &col->native_out);
		getTypeInputInfo(attr->atttypid, &func, &col->declared_ioparam);
		fmgr_info(func, &col->declared_in);
		col->declared_typmod = attr->atttypmod;
	}
	return conv;
}

void
arxiv_converter_set_request(ArxivConverter *conv, const ArxivRequest *req)
{
	conv->req = req;
}

/* A text Datum from UTF-8 (libxml2 guarantees valid UTF-8). */
static Datum
text_datum(ArxivConverter *conv, const char *s)
{
	if (conv->convert_to_server)
		s = pg_any_to_server(s, strlen(s), PG_UTF8);
	return PointerGetDatum(cstring_to_text(s));
}

static Datum
text_array_datum(ArxivConverter *conv, char **strs, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		elems[i] = text_datum(conv, strs[i]);
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false,
										   TYPALIGN_INT));
}

static Datum
author_names_datum(ArxivConverter *conv, const AtomEntry *e)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(e->nauthors, 1));

	for (int i = 0; i < e->nauthors; i++)
		elems[i] = text_datum(conv, e->authors[i].name ? e->authors[i].name : "");
	return PointerGetDatum(construct_array(elems, e->nauthors, TEXTOID, -1,
										   false, TYPALIGN_INT));
}

static void
append_json_string(StringInfo buf, ArxivConverter *conv, const char *s)
{
	if (conv->convert_to_server)
		s = pg_any_to_server(s, strlen(s), PG_UTF8);
	escape_json(buf, s);
}

/*
 * [{"name": ..., "affiliations": [...]}, ...].  The JSON text and jsonb_in's
 * temporaries (several kilobytes for a long author list) go to the scratch
 * context; only the jsonb value is kept in the caller's context.
 */
static Datum
author_details_datum(ArxivConverter *conv, const AtomEntry *e)
{
	MemoryContext keep = MemoryContextSwitchTo(conv->scratch);
	StringInfoData buf;
	Datum		result;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	for (int i = 0; i < e->nauthors; i++)
	{
		const AtomAuthor *a = &e->authors[i];

		appendStringInfoString(&buf, i > 0 ? ", {\"name\": " : "{\"name\": ");
		append_json_string(&buf, conv, a->name ? a->name : "");
		appendStringInfoString(&buf, ", \"affiliations\": [");
		for (int j = 0; j < a->naffiliations; j++)
		{
			if (j > 0)
				appendStringInfoString(&buf, ", ");
			append_json_string(&buf, conv, a->affiliations[j]);
		}
		appendStringInfoString(&buf, "]}");
	}
	appendStringInfoChar(&buf, ']');
	result = DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
	MemoryContextSwitchTo(keep);
	result = datumCopy(result, false, -1);
	MemoryContextReset(conv->scratch);
	return result;
}

static bool
digits(const char *s, int n, int *out)
{
	int			v = 0;

	for (int i = 0; i < n; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/*
 * Parse arXiv's timestamps: YYYY-MM-DDTHH:MM:SS followed by Z or +hh:mm /
 * -hh:mm (the old backend sent local offsets).  Anything else goes through
 * timestamptz_in, which throws for garbage.
 */
TimestampTz
arxiv_parse_timestamp(const char *s)
{
	struct pg_tm tm = {0};
	int			offset_min = 0;
	int			oh;
	int			om;
	TimestampTz result;

	if (strlen(s) >= 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' &&
		s[13] == ':' && s[16] == ':' &&
		digits(s, 4, &tm.tm_year) && digits(s + 5, 2, &tm.tm_mon) &&
		digits(s + 8, 2, &tm.tm_mday) && digits(s + 11, 2, &tm.tm_hour) &&
		digits(s + 14, 2, &tm.tm_min) && digits(s + 17, 2, &tm.tm_sec) &&
		tm.tm_mon >= 1 && tm.tm_mon <= 12 && tm.tm_mday >= 1 &&
		tm.tm_mday <= day_tab[isleap(tm.tm_year)][tm.tm_mon - 1] &&
		tm.tm_hour < 24 && tm.tm_min < 60 && tm.tm_sec < 60)
	{
		const char *z = s + 19;
		bool		ok = false;

		if (z[0] == 'Z' && z[1] == '\0')
			ok = true;
		else if ((z[0] == '+' || z[0] == '-') && strlen(z) == 6 && z[3] == ':' &&
				 digits(z + 1, 2, &oh) && digits(z + 4, 2, &om))
		{
			offset_min = (oh * 60 + om) * (z[0] == '-' ? -1 : 1);
			ok = true;
		}
		if (ok && tm2timestamp(&tm, 0, NULL, &result) == 0)
			return result - (TimestampTz) offset_min * USECS_PER_MINUTE;
	}
	return DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in,
												   CStringGetDatum(s),
												   ObjectIdGetDatum(InvalidOid),
												   Int32GetDatum(-1)));
}

/*
 * The "category" column: the first category the request asked for that the
 * entry is listed in, so that "category = X" holds for the rows it returned;
 * otherwise the primary category.
 */
static const char *
category_value(ArxivConverter *conv, const AtomEntry *e)
{
	ListCell   *lc;

	if (conv->req)
	{
		foreach(lc, conv->req->category_values)
		{
			for (int i = 0; i < e->ncategories; i++)
				if (strcmp(e->categories[i], lfirst(lc)) == 0)
					return lfirst(lc);
		}
		/* category LIKE 'cs.%': the first category in that archive */
		foreach(lc, conv->req->category_prefixes)
		{
			for (int i = 0; i < e->ncategories; i++)
				if (strncmp(e->categories[i], lfirst(lc), strlen(lfirst(lc))) == 0)
					return e->categories[i];
		}
	}
	return e->primary_category;
}

/*
 * The entry's own text for a text field: true with *s (NULL for NULL) if
 * the field is one, false if it is not a text field of the entry.
 */
static bool
entry_text(ArxivConverter *conv, ArxivField field, const AtomEntry *e,
		   const char **s)
{
	switch (field)
	{
		case AF_TITLE: *s = e->title; break;
		case AF_ABSTRACT: *s = e->summary; break;
		case AF_PRIMARY_CATEGORY: *s = e->primary_category; break;
		case AF_COMMENT: *s = e->comment; break;
		case AF_JOURNAL_REF: *s = e->journal_ref; break;
		case AF_DOI: *s = e->doi; break;
		case AF_ABS_URL: *s = e->abs_url; break;
		case AF_PDF_URL: *s = e->pdf_url; break;
		case AF_CATEGORY: *s = category_value(conv, e); break;
		default:
			return false;
	}
	return true;
}

/* The id (without version) or the version of the entry's id URL. */
static bool
id_value(ArxivConverter *conv, ArxivField field, const AtomEntry *e,
		 Datum *value)
{
	char		idbuf[128];
	int			version;

	if (!e->id_url || !atom_split_id(e->id_url, idbuf, sizeof(idbuf), &version))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
				 errmsg("arXiv entry has an unexpected id \"%s\"",
						e->id_url ? e->id_url : "")));
	if (field == AF_VERSION)
	{
		*value = Int32GetDatum(version);
		return version > 0;
	}
	*value = text_datum(conv, idbuf);
	return true;
}

static bool
native_value(ArxivConverter *conv, ArxivField field, const AtomEntry *e,
			 Datum *value)
{
	const char *s = NULL;

	if (entry_text(conv, field, e, &s))
	{
		if (s == NULL)
			return false;
		*value = text_datum(conv, s);
		return true;
	}
	switch (field)
	{
		case AF_ID:
		case AF_VERSION:
			return id_value(conv, field, e, value);
		case AF_AUTHORS:
			*value = author_names_datum(conv, e);
			return true;
		case AF_AUTHOR_DETAILS:
			*value = author_details_datum(conv, e);
			return true;
		case AF_CATEGORIES:
			*value = text_array_datum(conv, e->categories, e->ncategories);
			return true;
		case AF_PUBLISHED:
		case AF_UPDATED:
			s = field == AF_PUBLISHED ? e->published : e->updated;
			if (s == NULL)
				return false;
			*value = TimestampTzGetDatum(arxiv_parse_timestamp(s));
			return true;
		case AF_AUTHOR:
		case AF_SEARCH:
			/* the query's own constant, already in the server encoding */
			s = !conv->req ? NULL : field == AF_AUTHOR ?
				conv->req->author_value : conv->req->search_value;
			if (s == NULL)
				return false;
			*value = PointerGetDatum(cstring_to_text(s));
			return true;
		default:
			return false;
	}
}

/* Fill values/nulls for every column of the table from one entry. */
void
arxiv_entry_to_values(ArxivConverter *conv, const AtomEntry *entry,
					  Datum *values, bool *nulls)
{
	for (int i = 0; i < conv->natts; i++)
	{
		ColumnConv *col = &conv->cols[i];

		nulls[i] = col->field == AF_NONE ||
			!native_value(conv, col->field, entry, &values[i]);
		if (!nulls[i] && col->coerce)
		{
			char	   *str = OutputFunctionCall(&col->native_out, values[i]);

			values[i] = InputFunctionCall(&col->declared_in, str,
										  col->declared_ioparam,
										  col->declared_typmod);
		}
	}
}
