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

#include <ctype.h>
#include <math.h>

#include "access/htup_details.h"
#include "access/reloptions.h"
#include "catalog/pg_foreign_data_wrapper.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_user_mapping.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "commands/dbcommands.h"
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
	OPT_REAL,
	OPT_INT,
	OPT_STRING,
	OPT_BOOL,
	OPT_QUERY,
	OPT_FIELD,
	OPT_SOURCE
} OptionKind;

/*
 * Numeric options have a range; values above user_max (or, with
 * superuser_only, any value) may be set by superusers only: they let a
 * server reach hosts other than arXiv, or hold the host's shared connection
 * or a backend's memory longer than ordinary use needs.
 */
typedef struct ArxivOptionDef
{
	const char *name;
	Oid			context;		/* catalog it may appear in */
	OptionKind	kind;
	double		min;
	double		max;
	double		user_max;		/* above this, superusers only */
	bool		superuser_only;
} ArxivOptionDef;

#define MAX_RESPONSE_BYTES		(INT64CONST(1024) * 1024 * 1024)
#define USER_MAX_RESPONSE_BYTES (256.0 * 1024 * 1024)
#define USER_MAX_TIMEOUT		300.0

static const ArxivOptionDef option_defs[] = {
	{"base_url", ForeignServerRelationId, OPT_URL, 0, 0, 0, true},
	{"oai_url", ForeignServerRelationId, OPT_URL, 0, 0, 0, true},
	{"request_interval", ForeignServerRelationId, OPT_REAL, 0, 86400, 86400},
	{"page_size", ForeignServerRelationId, OPT_INT, 1, ARXIV_MAX_PAGE_SIZE, ARXIV_MAX_PAGE_SIZE},
	{"timeout", ForeignServerRelationId, OPT_REAL, 0.1, 86400, USER_MAX_TIMEOUT},
	{"max_retries", ForeignServerRelationId, OPT_INT, 0, 100, 100},
	{"user_agent", ForeignServerRelationId, OPT_STRING},
	{"max_response_bytes", ForeignServerRelationId, OPT_INT, 1024,
	MAX_RESPONSE_BYTES, USER_MAX_RESPONSE_BYTES},
	{"cache_ttl", ForeignServerRelationId, OPT_REAL, 0, 86400, 86400},
	{"use_remote_estimate", ForeignServerRelationId, OPT_BOOL},
	{"use_remote_estimate", ForeignTableRelationId, OPT_BOOL},
	{"query", ForeignTableRelationId, OPT_QUERY},
	{"source", ForeignTableRelationId, OPT_SOURCE},
	{"page_size", ForeignTableRelationId, OPT_INT, 1, ARXIV_MAX_PAGE_SIZE, ARXIV_MAX_PAGE_SIZE},
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

static const ArxivOptionDef *
find_option(const char *name, Oid context)
{
	for (int i = 0; i < lengthof(option_defs); i++)
		if (option_defs[i].context == context &&
			strcmp(option_defs[i].name, name) == 0)
			return &option_defs[i];
	return NULL;
}

/*
 * The number in value, or false: decimal only, as PostgreSQL's parse_real
 * reads it (strtod, surrounding spaces allowed) but without hexadecimal,
 * infinity or NaN, which no option means.
 */
static bool
parse_real_value(const char *value, double *result)
{
	char	   *end;

	if (strpbrk(value, "xXnNiI") != NULL)	/* hex, inf, nan */
		return false;
	errno = 0;
	*result = strtod(value, &end);
	if (end == value || errno != 0 || !isfinite(*result))
		return false;
	while (isspace((unsigned char) *end))
		end++;
	return *end == '\0';
}

/* A decimal integer, as parse_int reads one but without hex or octal. */
static bool
parse_int_value(const char *value, int64 *result)
{
	const char *p = value;
	char	   *end;
	long long	v;

	while (isspace((unsigned char) *p))
		p++;
	if (!(isdigit((unsigned char) *p) ||
		  ((*p == '-' || *p == '+') && isdigit((unsigned char) p[1]))))
		return false;
	errno = 0;
	v = strtoll(p, &end, 10);
	if (errno != 0)
		return false;
	while (isspace((unsigned char) *end))
		end++;
	if (*end != '\0')
		return false;
	*result = v;
	return true;
}

/*
 * The value of a numeric option, checked against its range: the one parser
 * of each type, used by the validator and by the scan alike, so a value means
 * at use what it meant when checked (and a catalog value that was never
 * checked, e.g. written by an older version, is refused, not misread).
 */
static double
option_number(const ArxivOptionDef *def, const char *value)
{
	double		d;
	int64		i = 0;
	bool		ok;

	if (def->kind == OPT_INT)
	{
		ok = parse_int_value(value, &i);
		d = (double) i;
	}
	else
		ok = parse_real_value(value, &d);
	if (!ok || d < def->min || d > def->max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for option \"%s\": \"%s\"", def->name, value),
				 def->kind == OPT_INT
				 ? errdetail("The value must be a decimal integer between %.0f and %.0f.",
							 def->min, def->max)
				 : errdetail("The value must be a decimal number between %g and %g.",
							 def->min, def->max)));
	return d;
}

static void
validate_url(const char *name, const char *value)
{
	if (pg_strncasecmp(value, "http://", 7) != 0 &&
		pg_strncasecmp(value, "https://", 8) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for option \"%s\": \"%s\"",
						name, arxiv_url_redact(value)),
				 errdetail("Only http:// and https:// URLs are allowed."),
				 errhint("The arXiv API is at \"%s\", its OAI-PMH interface at \"%s\".",
						 ARXIV_DEFAULT_BASE_URL, ARXIV_DEFAULT_OAI_URL)));
	for (const char *p = value; *p; p++)
	{
		if ((unsigned char) *p <= ' ' || *p == '?' || *p == '#' || *p == '\\')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value for option \"%s\": \"%s\"",
							name, arxiv_url_redact(value)),
					 errdetail("The URL must not contain spaces, control characters, backslashes, a query string or a fragment.")));
	}
	{
		char		key[300];

		if (!arxiv_url_key(value, key, sizeof(key)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value for option \"%s\": \"%s\"",
							name, arxiv_url_redact(value)),
					 errdetail("libcurl cannot parse the URL.")));
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
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for option \"query\": \"%s\"", value),
				 errdetail("The arXiv query is not usable: %s.", why),
				 errhint("Write a query in arXiv's search_query syntax, such as \"cat:cs.OS AND ti:kernel\".")));
}

static void
validate_string(const ArxivOptionDef *def, const char *value)
{
	for (const char *p = value; *p; p++)
		if ((unsigned char) *p < ' ' || (unsigned char) *p == 0x7f)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value for option \"%s\"", def->name),
					 errdetail("Control characters are not allowed.")));
}

static const char *const source_names[] = {
	[SOURCE_API] = "api",
	[SOURCE_OAI_PAPERS] = "oai_papers",
	[SOURCE_OAI_VERSIONS] = "oai_versions",
};

/* The table option "source": which interface and which rows. */
static ArxivSource
source_by_name(const char *value)
{
	for (int i = 0; i < lengthof(source_names); i++)
		if (strcmp(source_names[i], value) == 0)
			return (ArxivSource) i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for option \"source\": \"%s\"", value),
			 errhint("Valid values are \"api\" (arXiv's search API), \"oai_papers\" and \"oai_versions\" (its OAI-PMH interface).")));
	return SOURCE_API;			/* keep the compiler quiet */
}

/*
 * Check a value; the same checks run when options are written and when
 * they are used.
 */
static void
check_option_value(const ArxivOptionDef *def, DefElem *elem)
{
	const char *value = defGetString(elem);

	switch (def->kind)
	{
		case OPT_URL:
			validate_url(def->name, value);
			break;
		case OPT_REAL:
		case OPT_INT:
			(void) option_number(def, value);
			break;
		case OPT_STRING:
			validate_string(def, value);
			break;
		case OPT_BOOL:
			(void) defGetBoolean(elem);
			break;
		case OPT_QUERY:
			validate_query(value);
			break;
		case OPT_FIELD:
			/* the table's source is unknown here: either map will do */
			if (arxiv_field_by_name(value) == AF_NONE &&
				oai_field_by_name(value) == OF_NONE)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value for option \"field\": \"%s\"",
								value),
						 errhint("Use one of the columns of the tables created by IMPORT FOREIGN SCHEMA arxiv or arxiv_oai.")));
			break;
		case OPT_SOURCE:
			(void) source_by_name(value);
			break;
	}
}

/* Options only superusers may set, as file_fdw does for "filename". */
static void
check_option_privilege(const ArxivOptionDef *def, const char *value)
{
	if (superuser())
		return;
	if (def->superuser_only)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only superusers may set option \"%s\" of arxiv_fdw",
						def->name),
				 errdetail("The option makes the server send requests to any host and read its replies."),
				 strcmp(def->name, "oai_url") == 0
				 ? errhint("Drop the option to use arXiv's OAI-PMH interface, %s.",
						   ARXIV_DEFAULT_OAI_URL)
				 : errhint("Drop the option to use arXiv's API, %s.",
						   ARXIV_DEFAULT_BASE_URL)));
	if ((def->kind == OPT_INT || def->kind == OPT_REAL) &&
		option_number(def, value) > def->user_max)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only superusers may set option \"%s\" above %.*f",
						def->name, def->kind == OPT_INT ? 0 : 1, def->user_max),
				 errdetail("A larger value holds the host's shared connection or the backend's memory longer than ordinary use needs.")));
}

/*
 * arXiv's Terms of Use: no setting may make requests to arXiv closer than
 * ARXIV_MIN_REQUEST_INTERVAL.  Smaller intervals are for other hosts (a
 * mock, a mirror), which only superusers can point a server at.  A server
 * whose base_url is a mirror but whose oai_url is left at arXiv's default
 * passes: its OAI-PMH tables get arXiv's interval when scanned
 * (arxiv_get_options), and the rate limiter keeps it for arXiv's hosts
 * whatever the setting.
 */
static void
check_arxiv_interval(List *options)
{
	const char *base_url = ARXIV_DEFAULT_BASE_URL;
	const char *oai_url = NULL;
	const char *interval = NULL;
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "base_url") == 0)
			base_url = defGetString(def);
		else if (strcmp(def->defname, "oai_url") == 0)
			oai_url = defGetString(def);
		else if (strcmp(def->defname, "request_interval") == 0)
			interval = defGetString(def);
	}
	if (interval &&
		option_number(find_option("request_interval", ForeignServerRelationId),
					  interval) < ARXIV_MIN_REQUEST_INTERVAL &&
		(arxiv_url_is_arxiv(base_url) || (oai_url && arxiv_url_is_arxiv(oai_url))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for option \"request_interval\": \"%s\"",
						interval),
				 errdetail("arXiv allows one request every %g seconds; smaller intervals are only for hosts other than arXiv.",
						   ARXIV_MIN_REQUEST_INTERVAL)));
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
		const ArxivOptionDef *def = find_option(def_elem->defname, catalog);

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
		check_option_value(def, def_elem);
		check_option_privilege(def, defGetString(def_elem));
	}
	if (catalog == ForeignServerRelationId)
		check_arxiv_interval(options);
	PG_RETURN_VOID();
}

/*
 * The source of a foreign table, read without merging its other options:
 * the planner and executor callbacks ask it first, to choose between the
 * Atom API's code and OAI-PMH's.
 */
ArxivSource
arxiv_table_source(Oid foreigntableid)
{
	ListCell   *lc;

	foreach(lc, GetForeignTable(foreigntableid)->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "source") == 0)
			return source_by_name(defGetString(def));
	}
	return SOURCE_API;
}

ArxivField
arxiv_field_by_name(const char *name)
{
	for (int i = 0; i < AF_NUM_FIELDS; i++)
		if (strcmp(arxiv_fields[i].name, name) == 0)
			return (ArxivField) i;
	return AF_NONE;
}

/*
 * Apply one catalog option, parsed and checked by the validator's own
 * functions: a value the validator would refuse is refused here too.
 */
static void
apply_option(ArxivOptions *opts, DefElem *def, Oid context)
{
	const ArxivOptionDef *odef = find_option(def->defname, context);
	const char *name = def->defname;
	const char *value = defGetString(def);

	if (odef == NULL)
		report_unknown_option(name, context);
	check_option_value(odef, def);
	if (strcmp(name, "base_url") == 0)
		opts->base_url = pstrdup(value);
	else if (strcmp(name, "oai_url") == 0)
		opts->oai_url = pstrdup(value);
	else if (strcmp(name, "source") == 0)
		opts->source = source_by_name(value);
	else if (strcmp(name, "request_interval") == 0)
		opts->request_interval = option_number(odef, value);
	else if (strcmp(name, "page_size") == 0)
		opts->page_size = (int) option_number(odef, value);
	else if (strcmp(name, "timeout") == 0)
		opts->timeout = option_number(odef, value);
	else if (strcmp(name, "max_retries") == 0)
		opts->max_retries = (int) option_number(odef, value);
	else if (strcmp(name, "user_agent") == 0)
		opts->user_agent = pstrdup(value);
	else if (strcmp(name, "max_response_bytes") == 0)
		opts->max_response_bytes = (int64) option_number(odef, value);
	else if (strcmp(name, "use_remote_estimate") == 0)
		opts->use_remote_estimate = defGetBoolean(def);
	else if (strcmp(name, "cache_ttl") == 0)
		opts->cache_ttl = option_number(odef, value);
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
	opts->oai_url = ARXIV_DEFAULT_OAI_URL;
	opts->source = SOURCE_API;
	opts->request_interval = ARXIV_MIN_REQUEST_INTERVAL;
	opts->page_size = 1000;
	opts->timeout = 60.0;
	opts->max_retries = 3;
	opts->user_agent = NULL;
	opts->max_response_bytes = INT64CONST(64) * 1024 * 1024;
	/* arXiv changes once a day: an hour of staleness at most */
	opts->cache_ttl = 3600;
	opts->use_remote_estimate = false;
	opts->query = NULL;

	/*
	 * The API speaks UTF-8: the terms of a query in another encoding would
	 * be sent as other bytes than they mean.  Refuse before any request.
	 */
	if (GetDatabaseEncoding() != PG_UTF8)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("arxiv_fdw requires a database with encoding UTF8"),
				 errdetail("Database \"%s\" has encoding %s.",
						   get_database_name(MyDatabaseId),
						   GetDatabaseEncodingName()),
				 errhint("Create the database with ENCODING 'UTF8' (from template0) to use arXiv tables.")));

	foreach(lc, server->options)
		apply_option(opts, (DefElem *) lfirst(lc), ForeignServerRelationId);
	foreach(lc, table->options)
		apply_option(opts, (DefElem *) lfirst(lc), ForeignTableRelationId);

	/*
	 * Defense in depth: whatever the catalog says (options written before
	 * this check existed), requests to arXiv keep arXiv's interval.  The
	 * rate limiter enforces the same floor by host.
	 */
	if (opts->request_interval < ARXIV_MIN_REQUEST_INTERVAL &&
		arxiv_url_is_arxiv(opts->source == SOURCE_API ? opts->base_url : opts->oai_url))
		opts->request_interval = ARXIV_MIN_REQUEST_INTERVAL;
}

/*
 * The field a column holds: its "field" option, or else its name.  The one
 * map of columns to fields: the scans use it (arxiv_column_fields,
 * oai_column_fields), and so does the cache SQL (column_field()).
 */
const char *
arxiv_column_field_name(Oid foreigntableid, Form_pg_attribute attr)
{
	const char *fieldname = NameStr(attr->attname);
	ListCell   *lc;

	foreach(lc, GetForeignColumnOptions(foreigntableid, attr->attnum))
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "field") == 0)
			fieldname = defGetString(def);
	}
	return fieldname;
}

PG_FUNCTION_INFO_V1(arxiv_fdw_column_field);

/*
 * column_field(foreign_table, attnum): arxiv_column_field_name for SQL;
 * NULL for a dropped or missing column.
 */
Datum
arxiv_fdw_column_field(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	AttrNumber	attnum = PG_GETARG_INT16(1);
	HeapTuple	tuple;
	const char *name = NULL;

	tuple = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid), Int16GetDatum(attnum));
	if (!HeapTupleIsValid(tuple))
		PG_RETURN_NULL();
	if (!((Form_pg_attribute) GETSTRUCT(tuple))->attisdropped && attnum > 0)
		name = arxiv_column_field_name(relid, (Form_pg_attribute) GETSTRUCT(tuple));
	ReleaseSysCache(tuple);
	if (name == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(name));
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

		fields[i] = AF_NONE;
		if (attr->attisdropped)
			continue;
		fields[i] = arxiv_field_by_name(arxiv_column_field_name(foreigntableid, attr));
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
