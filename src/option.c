/*-------------------------------------------------------------------------
 *
 * option.c
 *	  Validation and lookup of arxiv_fdw options.
 *
 * Each setting has one source of truth: a server option, which some tables
 * may override.  The validator checks names and values when the options are
 * written, so scans can trust them; arxiv_get_options only merges.
 *
 *-------------------------------------------------------------------------
 */
#include "arxiv_fdw.h"

#include <math.h>

#include "access/reloptions.h"
#include "catalog/pg_foreign_data_wrapper.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_user_mapping.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

const ArxivFieldInfo arxiv_fields[AF_NUM_FIELDS] = {
	[AF_ID] = {"id", TEXTOID, "text"},
	[AF_VERSION] = {"version", INT4OID, "integer"},
	[AF_TITLE] = {"title", TEXTOID, "text"},
	[AF_ABSTRACT] = {"abstract", TEXTOID, "text"},
	[AF_AUTHORS] = {"authors", TEXTARRAYOID, "text[]"},
	[AF_AUTHOR_DETAILS] = {"author_details", JSONBOID, "jsonb"},
	[AF_PRIMARY_CATEGORY] = {"primary_category", TEXTOID, "text"},
	[AF_CATEGORIES] = {"categories", TEXTARRAYOID, "text[]"},
	[AF_PUBLISHED] = {"published", TIMESTAMPTZOID, "timestamp with time zone"},
	[AF_UPDATED] = {"updated", TIMESTAMPTZOID, "timestamp with time zone"},
	[AF_COMMENT] = {"comment", TEXTOID, "text"},
	[AF_JOURNAL_REF] = {"journal_ref", TEXTOID, "text"},
	[AF_DOI] = {"doi", TEXTOID, "text"},
	[AF_ABS_URL] = {"abs_url", TEXTOID, "text"},
	[AF_PDF_URL] = {"pdf_url", TEXTOID, "text"},
	[AF_CATEGORY] = {"category", TEXTOID, "text"},
	[AF_AUTHOR] = {"author", TEXTOID, "text"},
	[AF_SEARCH] = {"search", TEXTOID, "text"},
};

typedef enum OptionKind
{
	OPT_URL,
	OPT_SECONDS,
	OPT_PAGE_SIZE,
	OPT_COUNT,
	OPT_BYTES,
	OPT_STRING,
	OPT_BOOL,
	OPT_QUERY,
	OPT_FIELD
} OptionKind;

typedef struct ArxivOptionDef
{
	const char *name;
	Oid			context;		/* catalog it may appear in */
	OptionKind	kind;
} ArxivOptionDef;

static const ArxivOptionDef option_defs[] = {
	{"base_url", ForeignServerRelationId, OPT_URL},
	{"request_interval", ForeignServerRelationId, OPT_SECONDS},
	{"page_size", ForeignServerRelationId, OPT_PAGE_SIZE},
	{"timeout", ForeignServerRelationId, OPT_SECONDS},
	{"max_retries", ForeignServerRelationId, OPT_COUNT},
	{"user_agent", ForeignServerRelationId, OPT_STRING},
	{"max_response_bytes", ForeignServerRelationId, OPT_BYTES},
	{"cache_ttl", ForeignServerRelationId, OPT_SECONDS},
	{"use_remote_estimate", ForeignServerRelationId, OPT_BOOL},
	{"use_remote_estimate", ForeignTableRelationId, OPT_BOOL},
	{"query", ForeignTableRelationId, OPT_QUERY},
	{"page_size", ForeignTableRelationId, OPT_PAGE_SIZE},
	{"field", AttributeRelationId, OPT_FIELD},
};

static const char *
context_name(Oid context)
{
	switch (context)
	{
		case ForeignServerRelationId:
			return "foreign server";
		case ForeignTableRelationId:
			return "foreign table";
		case AttributeRelationId:
			return "column";
		case ForeignDataWrapperRelationId:
			return "foreign-data wrapper";
		case UserMappingRelationId:
			return "user mapping";
	}
	return "object";
}

static void
report_unknown_option(const char *name, Oid context)
{
	StringInfoData valid;

	initStringInfo(&valid);
	for (int i = 0; i < lengthof(option_defs); i++)
	{
		if (option_defs[i].context != context)
			continue;
		appendStringInfo(&valid, "%s%s", valid.len > 0 ? ", " : "",
						 option_defs[i].name);
	}
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
			 errmsg("invalid option \"%s\" for %s of arxiv_fdw", name,
					context_name(context)),
			 valid.len > 0
			 ? errhint("Valid options in this context are: %s.", valid.data)
			 : errhint("arxiv_fdw accepts no options in this context.")));
}

static double
parse_number(const char *name, const char *value, double min, double max)
{
	char	   *end;
	double		result;

	errno = 0;
	result = strtod(value, &end);
	while (*end == ' ')
		end++;
	if (errno != 0 || end == value || *end != '\0' || isnan(result) ||
		result < min || result > max)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"%s\": \"%s\"", name, value),
				 errdetail("The value must be a number between %g and %g.",
						   min, max)));
	return result;
}

static int
parse_integer(const char *name, const char *value, int min, int max)
{
	double		d = parse_number(name, value, min, max);

	if (d != floor(d))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"%s\": \"%s\"", name, value),
				 errdetail("The value must be an integer between %d and %d.",
						   min, max)));
	return (int) d;
}

static void
validate_url(const char *value)
{
	if (pg_strncasecmp(value, "http://", 7) != 0 &&
		pg_strncasecmp(value, "https://", 8) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"base_url\": \"%s\"", value),
				 errdetail("Only http:// and https:// URLs are allowed."),
				 errhint("The arXiv API is at \"%s\".", ARXIV_DEFAULT_BASE_URL)));
	for (const char *p = value; *p; p++)
	{
		if ((unsigned char) *p <= ' ' || *p == '?' || *p == '#')
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("invalid value for option \"base_url\": \"%s\"",
							value),
					 errdetail("The URL must not contain spaces, control characters, a query string or a fragment.")));
	}
}

/*
 * The table option "query" is a raw arXiv query ANDed into every scan: it
 * must be one balanced expression (see aq_raw) so it cannot absorb the
 * conditions it is combined with.
 */
static void
validate_query(const char *value)
{
	const char *why;

	if (aq_raw(arxiv_aq_arena(), value, &why) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"query\": \"%s\"", value),
				 errdetail("The arXiv query is not usable: %s.", why),
				 errhint("Write a query in arXiv's search_query syntax, such as \"cat:cs.OS AND ti:kernel\".")));
}

static void
validate_option(const ArxivOptionDef *def, DefElem *def_elem)
{
	const char *value = defGetString(def_elem);

	switch (def->kind)
	{
		case OPT_URL:
			validate_url(value);
			break;
		case OPT_SECONDS:
			(void) parse_number(def->name, value, 0, 86400);
			if (strcmp(def->name, "timeout") == 0 &&
				parse_number(def->name, value, 0, 86400) < 0.1)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"timeout\": \"%s\"",
								value),
						 errdetail("The timeout must be at least 0.1 seconds.")));
			break;
		case OPT_PAGE_SIZE:
			(void) parse_integer(def->name, value, 1, ARXIV_MAX_PAGE_SIZE);
			break;
		case OPT_COUNT:
			(void) parse_integer(def->name, value, 0, 100);
			break;
		case OPT_BYTES:
			(void) parse_number(def->name, value, 1024, 1e12);
			break;
		case OPT_STRING:
			for (const char *p = value; *p; p++)
				if ((unsigned char) *p < ' ')
					ereport(ERROR,
							(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
							 errmsg("invalid value for option \"%s\"", def->name),
							 errdetail("Control characters are not allowed.")));
			break;
		case OPT_BOOL:
			(void) defGetBoolean(def_elem);
			break;
		case OPT_QUERY:
			validate_query(value);
			break;
		case OPT_FIELD:
			if (arxiv_field_by_name(value) == AF_NONE)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"field\": \"%s\"",
								value),
						 errhint("Use one of the columns of the table created by IMPORT FOREIGN SCHEMA arxiv.")));
			break;
	}
}

PG_FUNCTION_INFO_V1(arxiv_fdw_validator);

/*
 * Validate the options given to an arxiv_fdw object: the name must be known
 * for the catalog, the value well-formed, and no option given twice.
 */
Datum
arxiv_fdw_validator(PG_FUNCTION_ARGS)
{
	List	   *options = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid			catalog = PG_GETARG_OID(1);
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def_elem = (DefElem *) lfirst(lc);
		const ArxivOptionDef *def = NULL;

		for (int i = 0; i < lengthof(option_defs); i++)
		{
			if (option_defs[i].context == catalog &&
				strcmp(option_defs[i].name, def_elem->defname) == 0)
				def = &option_defs[i];
		}
		if (def == NULL)
			report_unknown_option(def_elem->defname, catalog);
		for (ListCell *lc2 = list_head(options); lfirst(lc2) != def_elem;
			 lc2 = lnext(options, lc2))
		{
			if (strcmp(((DefElem *) lfirst(lc2))->defname,
					   def_elem->defname) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_SYNTAX_ERROR),
						 errmsg("option \"%s\" provided more than once",
								def_elem->defname)));
		}
		validate_option(def, def_elem);
	}
	PG_RETURN_VOID();
}

ArxivField
arxiv_field_by_name(const char *name)
{
	for (int i = 0; i < AF_NUM_FIELDS; i++)
		if (strcmp(arxiv_fields[i].name, name) == 0)
			return (ArxivField) i;
	return AF_NONE;
}

static void
apply_option(ArxivOptions *opts, DefElem *def)
{
	const char *name = def->defname;
	const char *value = defGetString(def);

	if (strcmp(name, "base_url") == 0)
		opts->base_url = pstrdup(value);
	else if (strcmp(name, "request_interval") == 0)
		opts->request_interval = strtod(value, NULL);
	else if (strcmp(name, "page_size") == 0)
		opts->page_size = atoi(value);
	else if (strcmp(name, "timeout") == 0)
		opts->timeout = strtod(value, NULL);
	else if (strcmp(name, "max_retries") == 0)
		opts->max_retries = atoi(value);
	else if (strcmp(name, "user_agent") == 0)
		opts->user_agent = pstrdup(value);
	else if (strcmp(name, "max_response_bytes") == 0)
		opts->max_response_bytes = (int64) strtod(value, NULL);
	else if (strcmp(name, "use_remote_estimate") == 0)
		opts->use_remote_estimate = defGetBoolean(def);
	else if (strcmp(name, "cache_ttl") == 0)
		opts->cache_ttl = strtod(value, NULL);
	else if (strcmp(name, "query") == 0)
		opts->query = pstrdup(value);
}

/*
 * The options in effect for a foreign table: defaults, then the server's,
 * then the table's.  Values were checked by the validator.
 */
void
arxiv_get_options(Oid foreigntableid, ArxivOptions *opts)
{
	ForeignTable *table = GetForeignTable(foreigntableid);
	ForeignServer *server = GetForeignServer(table->serverid);
	ListCell   *lc;

	opts->base_url = ARXIV_DEFAULT_BASE_URL;
	opts->request_interval = 3.0;
	opts->page_size = 1000;
	opts->timeout = 60.0;
	opts->max_retries = 3;
	opts->user_agent = NULL;
	opts->max_response_bytes = INT64CONST(64) * 1024 * 1024;
	/* arXiv changes once a day: an hour of staleness at most */
	opts->cache_ttl = 3600;
	opts->use_remote_estimate = false;
	opts->query = NULL;

	foreach(lc, server->options)
		apply_option(opts, (DefElem *) lfirst(lc));
	foreach(lc, table->options)
		apply_option(opts, (DefElem *) lfirst(lc));
}

/*
 * Map each attribute of the foreign table to an arXiv field, by its "field"
 * option or else its name.  Unknown columns are an error: returning NULLs
 * for a misspelt column would hide the mistake.
 */
ArxivField *
arxiv_column_fields(Oid foreigntableid, TupleDesc tupdesc)
{
	ArxivField *fields = palloc(sizeof(ArxivField) * tupdesc->natts);

	for (int i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(tupdesc, i);
		const char *fieldname = NameStr(attr->attname);
		ListCell   *lc;

		fields[i] = AF_NONE;
		if (attr->attisdropped)
			continue;
		foreach(lc, GetForeignColumnOptions(foreigntableid, i + 1))
		{
			DefElem    *def = (DefElem *) lfirst(lc);

			if (strcmp(def->defname, "field") == 0)
				fieldname = defGetString(def);
		}
		fields[i] = arxiv_field_by_name(fieldname);
		if (fields[i] == AF_NONE)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_COLUMN_NAME),
					 errmsg("column \"%s\" of foreign table \"%s\" does not match an arXiv field",
							NameStr(attr->attname),
							get_rel_name(foreigntableid)),
					 errhint("Name the column after a column of the table created by IMPORT FOREIGN SCHEMA arxiv, or set its \"field\" option.")));
	}
	return fields;
}
