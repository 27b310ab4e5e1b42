/*-------------------------------------------------------------------------
 *
 * oai.c
 *	  Streaming parser for arXiv's OAI-PMH 2.0 responses, built on libxml2's
 *	  SAX2 push parser, plus the pure helpers that interpret arXivRaw's
 *	  fields (author strings, version dates, identifiers).
 *
 * The design follows atom.c, whose comments explain it at more length:
 *
 * - No PostgreSQL header, memory from malloc/free, no longjmp or abort:
 *	 every failure, out-of-memory included, becomes an OaiStatus.
 *
 * - The input is untrusted: no entity substitution, no network (see
 *	 sax_common.c, which sets libxml2 up for both parsers), any DOCTYPE
 *	 refused, and nesting depth, field and record sizes and the
 *	 per-record counts capped (OAI_ERR_LIMIT).
 *
 * - Elements are recognised by namespace URI and local name at the start
 *	 tag, never by prefix or position (the old and new arXiv servers differ
 *	 in layout, and OAI-PMH puts each metadata format in a namespace of its
 *	 own); what an open element is gets pushed as a small ElemKind.
 *
 * - Text goes straight into one string pool per record with whitespace
 *	 collapsed on the fly; fields are pool offsets until the record ends.
 *	 The pool and the arrays are reused, so a steady-state parse does not
 *	 call malloc.
 *
 * - Errors are sticky and the first one wins.  libxml2's messages arrive
 *	 through a structured handler on this parser's own context.
 *
 * IDENTIFICATION
 *	  src/oai.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oai.h"
#include "sax_common.h"

#define OAI_NS			"http://www.openarchives.org/OAI/2.0/"
#define ARXIVRAW_NS		"http://arxiv.org/OAI/arXivRaw/"
#define ARXIV_NS		"http://arxiv.org/OAI/arXiv/"

/*
 * Limits: far above anything arXiv sends (papers have a few dozen versions
 * at most, a handful of sets and categories), yet they bound memory.
 */
#define OAI_MAX_DEPTH			64	/* open elements, root included */
#define OAI_MAX_FIELD_BYTES		(4 * 1024 * 1024)	/* one text field */
#define OAI_MAX_RECORD_BYTES	(64 * 1024 * 1024)	/* all text of one record */
#define OAI_MAX_VERSIONS		10000	/* per record */
#define OAI_MAX_SET_SPECS		1000	/* per record */
#define OAI_MAX_CATEGORIES		1000	/* per record */

#define OAI_ERRMSG_SIZE			SAX_ERRMSG_SIZE

/* offset meaning "field absent" */
#define NO_STR					((size_t) -1)

/* What an open element was recognised as at its start tag. */
typedef enum ElemKind
{
	EK_IGNORED,					/* unknown element: its subtree is skipped */
	EK_ROOT,					/* <OAI-PMH> */
	EK_INFO_FIELD,				/* response-level text: see InfoField */
	EK_VERB,					/* <ListRecords>, <GetRecord>, ... */
	EK_RECORD,
	EK_HEADER,
	EK_RECORD_FIELD,			/* single-valued text: see RecField */
	EK_SET_SPEC,				/* header/setSpec, repeated */
	EK_METADATA,
	EK_FORMAT_ROOT,				/* <arXivRaw>, <arXiv>, other formats */
	EK_VERSION,
	EK_VERSION_FIELD,			/* see VersionField */
	EK_SET						/* ListSets/set */
} ElemKind;

/* Single-valued text fields of a record (or a set), as pool offsets. */
typedef enum RecField
{
	F_IDENTIFIER,
	F_DATESTAMP,
	F_ID,
	F_SUBMITTER,
	F_TITLE,
	F_AUTHORS,
	F_CATEGORIES,
	F_COMMENTS,
	F_PROXY,
	F_REPORT_NO,
	F_MSC_CLASS,
	F_ACM_CLASS,
	F_JOURNAL_REF,
	F_DOI,
	F_LICENSE,
	F_ABSTRACT,
	F_CREATED,
	F_UPDATED,
	F_SET_SPEC,					/* of a ListSets <set> */
	F_SET_NAME,
	NUM_REC_FIELDS
} RecField;

typedef enum VersionField
{
	VF_DATE,
	VF_SIZE,
	VF_SOURCE_TYPE,
	NUM_VERSION_FIELDS
} VersionField;

/* Response-level strings (copied out of the pool into OaiResponseInfo). */
typedef enum InfoField
{
	I_RESPONSE_DATE,
	I_REQUEST_URL,
	I_ERROR_MESSAGE,
	I_TOKEN,
	I_REPOSITORY_NAME,
	I_BASE_URL,
	I_EARLIEST_DATESTAMP,
	I_GRANULARITY,
	I_DELETED_RECORD
} InfoField;

typedef struct ElemFrame
{
	unsigned char kind;			/* ElemKind */
	unsigned char field;		/* RecField, VersionField or InfoField */
} ElemFrame;

typedef struct VersionRec
{
	size_t		label;
	size_t		fields[NUM_VERSION_FIELDS];
} VersionRec;

struct OaiParser
{
	xmlParserCtxtPtr ctxt;
	OaiRecordCallback record_callback;
	OaiSetCallback set_callback;
	void	   *arg;

	OaiStatus	status;			/* first error, sticky */
	bool		finished;
	bool		root_closed;
	bool		bad_root;
	bool		in_record;		/* a record (or ListIdentifiers header) is open */

	ElemFrame	stack[OAI_MAX_DEPTH];
	int			depth;

	/* text capture: at most one element at a time */

	/* the record (or set) being parsed */
	SaxTextPool pool;		/* strings, and the capture being filled */
	size_t		fields[NUM_REC_FIELDS];
	bool		deleted;
	OaiFormat	format;
	size_t	   *sets;
	int			nsets;
	int			maxsets;
	VersionRec *versions;
	int			nversions;
	int			maxversions;

	/* the pointer view handed to the callback */
	OaiRecord	record;
	char	  **out_sets;
	int			max_out_sets;
	char	  **out_cats;
	int			max_out_cats;
	size_t	   *cat_offs;
	int			max_cat_offs;
	OaiVersion *out_versions;
	int			max_out_versions;

	OaiResponseInfo info;
	char		errmsg[OAI_ERRMSG_SIZE];
	char		bad_root_msg[OAI_ERRMSG_SIZE];
};

static OaiStatus set_error(OaiParser *p, OaiStatus status, bool stop_parser,
						   const char *fmt,...)
#if defined(__GNUC__) || defined(__clang__)
			__attribute__((format(printf, 4, 5)))
#endif
			;

static OaiStatus
set_error(OaiParser *p, OaiStatus status, bool stop_parser,
		  const char *fmt,...)
{
	va_list		ap;

	if (p->status != OAI_OK)
		return p->status;

	p->status = status;
	va_start(ap, fmt);
	vsnprintf(p->errmsg, sizeof(p->errmsg), fmt, ap);
	va_end(ap);

	if (stop_parser && p->ctxt != NULL)
		xmlStopParser(p->ctxt);
	return status;
}

static void
set_oom(OaiParser *p)
{
	set_error(p, OAI_ERR_OOM, true, "out of memory");
}

/* Fold the text pool's verdict into the parser's status; true if OK. */
static bool
text_ok(OaiParser *p, SaxTextStatus st)
{
	char		msg[OAI_ERRMSG_SIZE];

	if (st == SAX_TEXT_OK)
		return true;
	set_error(p, st == SAX_TEXT_OOM ? OAI_ERR_OOM : OAI_ERR_LIMIT, true, "%s",
			  sax_text_message(st, &p->pool, "record", msg, sizeof(msg)));
	return false;
}

static bool
pool_reserve(OaiParser *p, size_t extra)
{
	return text_ok(p, sax_text_reserve(&p->pool, extra));
}

/* Start collecting the text of the element just pushed on the stack. */
static void
begin_capture(OaiParser *p)
{
	sax_text_begin(&p->pool, p->depth - 1);
}

static void
append_text(OaiParser *p, const char *s, size_t n)
{
	(void) text_ok(p, sax_text_append(&p->pool, s, n));
}

/* Finish the capture: its pool offset, or NO_STR after an error. */
static size_t
end_capture(OaiParser *p)
{
	size_t		off;

	return text_ok(p, sax_text_end(&p->pool, &off)) ? off : NO_STR;
}

/* Capture a whole attribute value; its pool offset, or NO_STR. */
static size_t
capture_attribute(OaiParser *p, const xmlChar *value, const xmlChar *end)
{
	/* after an error libxml2 may have freed what value points into */
	if (p->status != OAI_OK)
		return NO_STR;
	p->pool.cap_start = p->pool.len;
	p->pool.cap_space = false;
	if (!text_ok(p, sax_text_append_attribute(&p->pool, (const char *) value,
											  (const char *) end)))
		return NO_STR;
	return end_capture(p);
}

/* malloc'd copy of a string; NULL if no memory */
static char *
copy_string(const char *s)
{
	size_t		len = strlen(s) + 1;
	char	   *copy = malloc(len);

	if (copy != NULL)
		memcpy(copy, s, len);
	return copy;
}

/*
 * An attribute value as a malloc'd, whitespace-collapsed string, going
 * through the pool (which is rolled back).  NULL after an error.
 */
static char *
attribute_copy(OaiParser *p, const xmlChar *value, const xmlChar *end)
{
	size_t		saved = p->pool.len;
	size_t		off = capture_attribute(p, value, end);
	char	   *copy = NULL;

	if (off != NO_STR)
	{
		copy = copy_string(p->pool.data + off);
		if (copy == NULL)
			set_oom(p);
	}
	p->pool.len = saved;
	return copy;
}

/* Parse a non-negative decimal number; -1 if it is not one. */
static long
parse_count(const char *s)
{
	char	   *end;
	long		val;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	val = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	return val;
}

static long
attribute_count(OaiParser *p, int nb_attributes, const xmlChar **attributes,
				const char *name)
{
	const xmlChar *v;
	const xmlChar *v_end;
	char	   *s;
	long		n;

	if (!sax_find_attribute(nb_attributes, attributes, name, &v, &v_end))
		return -1;
	s = attribute_copy(p, v, v_end);
	n = parse_count(s);
	free(s);
	return n;
}

/* ---------- records ---------- */

static void
begin_record(OaiParser *p)
{
	int			i;

	p->in_record = true;
	p->pool.len = 0;
	for (i = 0; i < NUM_REC_FIELDS; i++)
		p->fields[i] = NO_STR;
	p->deleted = false;
	p->format = OAI_FORMAT_NONE;
	p->nsets = 0;
	p->nversions = 0;
}

static void
add_set_spec(OaiParser *p, size_t off)
{
	size_t	   *sets;

	if (p->nsets >= OAI_MAX_SET_SPECS)
	{
		set_error(p, OAI_ERR_LIMIT, true,
				  "record has more than %d setSpecs", OAI_MAX_SET_SPECS);
		return;
	}
	sets = sax_grow_array(p->sets, &p->maxsets, p->nsets + 1, sizeof(size_t));
	if (sets == NULL)
	{
		set_oom(p);
		return;
	}
	p->sets = sets;
	p->sets[p->nsets++] = off;
}

/* <version version="vN">: open a version record. */
static void
begin_version(OaiParser *p, int nb_attributes, const xmlChar **attributes)
{
	VersionRec *versions;
	VersionRec *v;
	const xmlChar *label;
	const xmlChar *label_end;
	int			i;

	if (p->nversions >= OAI_MAX_VERSIONS)
	{
		set_error(p, OAI_ERR_LIMIT, true,
				  "record has more than %d versions", OAI_MAX_VERSIONS);
		return;
	}
	versions = sax_grow_array(p->versions, &p->maxversions, p->nversions + 1,
						  sizeof(VersionRec));
	if (versions == NULL)
	{
		set_oom(p);
		return;
	}
	p->versions = versions;
	v = &p->versions[p->nversions++];
	v->label = NO_STR;
	for (i = 0; i < NUM_VERSION_FIELDS; i++)
		v->fields[i] = NO_STR;
	if (sax_find_attribute(nb_attributes, attributes, "version", &label, &label_end))
		v->label = capture_attribute(p, label, label_end);
}

/* Text elements of the metadata formats, by local name. */
static bool
metadata_field(OaiFormat format, const char *name, RecField *field)
{
	static const struct
	{
		const char *name;
		RecField	field;
		bool		raw_only;	/* arXivRaw only */
		bool		arxiv_only; /* arXiv format only */
	}			fields[] =
	{
		{"id", F_ID, false, false},
		{"submitter", F_SUBMITTER, true, false},
		{"title", F_TITLE, false, false},
		{"authors", F_AUTHORS, true, false},
		{"categories", F_CATEGORIES, false, false},
		{"comments", F_COMMENTS, false, false},
		{"proxy", F_PROXY, false, false},
		{"report-no", F_REPORT_NO, false, false},
		{"msc-class", F_MSC_CLASS, false, false},
		{"acm-class", F_ACM_CLASS, false, false},
		{"journal-ref", F_JOURNAL_REF, false, false},
		{"doi", F_DOI, false, false},
		{"license", F_LICENSE, false, false},
		{"abstract", F_ABSTRACT, false, false},
		{"created", F_CREATED, false, true},
		{"updated", F_UPDATED, false, true},
	};
	size_t		i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
	{
		if (strcmp(name, fields[i].name) != 0)
			continue;
		if (fields[i].raw_only && format != OAI_FORMAT_ARXIV_RAW)
			return false;
		if (fields[i].arxiv_only && format != OAI_FORMAT_ARXIV)
			return false;
		*field = fields[i].field;
		return true;
	}
	return false;
}

/* A child element's local name and the field it fills. */
typedef struct NamedField
{
	const char *name;
	unsigned char field;
} NamedField;

#define lengthof_table(t) (sizeof(t) / sizeof((t)[0]))

/* Look "name" up in a table; false if it is not there. */
static bool
named_field(const NamedField *table, size_t n, const char *name,
			unsigned char *field)
{
	for (size_t i = 0; i < n; i++)
	{
		if (strcmp(name, table[i].name) == 0)
		{
			*field = table[i].field;
			return true;
		}
	}
	return false;
}

static const NamedField verbs[] = {
	{"ListRecords", OAI_VERB_LIST_RECORDS},
	{"GetRecord", OAI_VERB_GET_RECORD},
	{"ListIdentifiers", OAI_VERB_LIST_IDENTIFIERS},
	{"ListSets", OAI_VERB_LIST_SETS},
	{"Identify", OAI_VERB_IDENTIFY},
	{"ListMetadataFormats", OAI_VERB_LIST_METADATA_FORMATS},
};

/* children of the root besides the verb's element */
static const NamedField root_info[] = {
	{"responseDate", I_RESPONSE_DATE},
	{"request", I_REQUEST_URL},
	{"error", I_ERROR_MESSAGE},
};

static const NamedField identify_info[] = {
	{"repositoryName", I_REPOSITORY_NAME},
	{"baseURL", I_BASE_URL},
	{"earliestDatestamp", I_EARLIEST_DATESTAMP},
	{"granularity", I_GRANULARITY},
	{"deletedRecord", I_DELETED_RECORD},
};

static const NamedField header_fields[] = {
	{"identifier", F_IDENTIFIER},
	{"datestamp", F_DATESTAMP},
};

static const NamedField version_fields[] = {
	{"date", VF_DATE},
	{"size", VF_SIZE},
	{"source_type", VF_SOURCE_TYPE},
};

static const NamedField set_fields[] = {
	{"setSpec", F_SET_SPEC},
	{"setName", F_SET_NAME},
};

/* A child of the root: the verb's element, or a field of the response. */
static ElemKind
classify_in_root(const char *name, unsigned char *field)
{
	if (named_field(root_info, lengthof_table(root_info), name, field))
		return EK_INFO_FIELD;
	if (named_field(verbs, lengthof_table(verbs), name, field))
		return EK_VERB;
	return EK_IGNORED;
}

/* A child of the verb's element: records, headers, sets, Identify's fields, the token. */
static ElemKind
classify_in_verb(OaiVerb verb, const char *name, unsigned char *field)
{
	if ((verb == OAI_VERB_LIST_RECORDS || verb == OAI_VERB_GET_RECORD) &&
		strcmp(name, "record") == 0)
		return EK_RECORD;
	if (verb == OAI_VERB_LIST_IDENTIFIERS && strcmp(name, "header") == 0)
		return EK_HEADER;
	if (verb == OAI_VERB_LIST_SETS && strcmp(name, "set") == 0)
		return EK_SET;
	if (verb == OAI_VERB_IDENTIFY)
		return named_field(identify_info, lengthof_table(identify_info), name, field)
			? EK_INFO_FIELD : EK_IGNORED;
	if (verb != OAI_VERB_GET_RECORD && strcmp(name, "resumptionToken") == 0)
	{
		*field = I_TOKEN;
		return EK_INFO_FIELD;
	}
	return EK_IGNORED;
}

static ElemKind
classify_in_header(const char *name, unsigned char *field)
{
	if (strcmp(name, "setSpec") == 0)
		return EK_SET_SPEC;
	return named_field(header_fields, lengthof_table(header_fields), name, field)
		? EK_RECORD_FIELD : EK_IGNORED;
}

/* The root of a record's metadata: its format.  Only the first counts. */
static ElemKind
classify_in_metadata(OaiParser *p, const char *uri, const char *name,
					 unsigned char *field)
{
	if (p->format != OAI_FORMAT_NONE)
		return EK_IGNORED;
	if (uri != NULL && strcmp(uri, ARXIVRAW_NS) == 0 &&
		strcmp(name, "arXivRaw") == 0)
		p->format = OAI_FORMAT_ARXIV_RAW;
	else if (uri != NULL && strcmp(uri, ARXIV_NS) == 0 &&
			 strcmp(name, "arXiv") == 0)
		p->format = OAI_FORMAT_ARXIV;
	else
		p->format = OAI_FORMAT_OTHER;
	*field = (unsigned char) p->format;
	return EK_FORMAT_ROOT;
}

/* A field of the metadata, in the format's own namespace. */
static ElemKind
classify_in_format_root(OaiFormat format, const char *uri, const char *name,
						unsigned char *field)
{
	const char *ns = format == OAI_FORMAT_ARXIV_RAW ? ARXIVRAW_NS :
		format == OAI_FORMAT_ARXIV ? ARXIV_NS : NULL;
	RecField	f;

	if (ns == NULL || uri == NULL || strcmp(uri, ns) != 0)
		return EK_IGNORED;
	if (format == OAI_FORMAT_ARXIV_RAW && strcmp(name, "version") == 0)
		return EK_VERSION;
	if (!metadata_field(format, name, &f))
		return EK_IGNORED;
	*field = (unsigned char) f;
	return EK_RECORD_FIELD;
}

/*
 * Classify a child of an element of kind "parent" (frame pf).  Elements
 * the parser does not extract are EK_IGNORED, and so are all children of
 * text fields, so captures never nest.  Below the root, only elements in
 * OAI-PMH's namespace count, except inside the metadata, where the
 * format's namespace does.
 */
static ElemKind
classify_element(OaiParser *p, const ElemFrame *pf, const char *uri,
				 const char *name, unsigned char *field)
{
	bool		oai = uri != NULL && strcmp(uri, OAI_NS) == 0;

	switch ((ElemKind) pf->kind)
	{
		case EK_ROOT:
			return oai ? classify_in_root(name, field) : EK_IGNORED;
		case EK_VERB:
			return oai ? classify_in_verb((OaiVerb) pf->field, name, field) : EK_IGNORED;
		case EK_RECORD:
			if (oai && strcmp(name, "header") == 0)
				return EK_HEADER;
			if (oai && strcmp(name, "metadata") == 0)
				return EK_METADATA;
			return EK_IGNORED;
		case EK_HEADER:
			return oai ? classify_in_header(name, field) : EK_IGNORED;
		case EK_METADATA:
			return classify_in_metadata(p, uri, name, field);
		case EK_FORMAT_ROOT:
			return classify_in_format_root((OaiFormat) pf->field, uri, name, field);
		case EK_VERSION:
			if (uri == NULL || strcmp(uri, ARXIVRAW_NS) != 0)
				return EK_IGNORED;
			return named_field(version_fields, lengthof_table(version_fields), name, field)
				? EK_VERSION_FIELD : EK_IGNORED;
		case EK_SET:
			if (!oai)
				return EK_IGNORED;
			return named_field(set_fields, lengthof_table(set_fields), name, field)
				? EK_RECORD_FIELD : EK_IGNORED;
		default:
			return EK_IGNORED;
	}
}

static char **
info_slot(OaiParser *p, InfoField f)
{
	OaiResponseInfo *i = &p->info;

	switch (f)
	{
		case I_RESPONSE_DATE:
			return &i->response_date;
		case I_REQUEST_URL:
			return &i->request_url;
		case I_ERROR_MESSAGE:
			return &i->error_message;
		case I_TOKEN:
			return &i->token;
		case I_REPOSITORY_NAME:
			return &i->repository_name;
		case I_BASE_URL:
			return &i->base_url;
		case I_EARLIEST_DATESTAMP:
			return &i->earliest_datestamp;
		case I_GRANULARITY:
			return &i->granularity;
		case I_DELETED_RECORD:
			return &i->deleted_record;
	}
	return NULL;
}

/* Attributes of response-level elements, read at their start tag. */
static void
begin_info_field(OaiParser *p, InfoField f, int nb_attributes,
				 const xmlChar **attributes)
{
	const xmlChar *v;
	const xmlChar *v_end;
	OaiResponseInfo *info = &p->info;

	switch (f)
	{
		case I_REQUEST_URL:
			if (info->request_verb == NULL &&
				sax_find_attribute(nb_attributes, attributes, "verb", &v, &v_end))
				info->request_verb = attribute_copy(p, v, v_end);
			break;
		case I_ERROR_MESSAGE:
			info->nerrors++;
			if (info->nerrors > 1)
				return;			/* the first error counts */
			if (sax_find_attribute(nb_attributes, attributes, "code", &v, &v_end))
				info->error_code = attribute_copy(p, v, v_end);
			info->error = oai_error_code_from_string(info->error_code);
			break;
		case I_TOKEN:
			if (info->has_token)
				return;			/* the first token counts */
			info->has_token = true;
			info->token_cursor =
				attribute_count(p, nb_attributes, attributes, "cursor");
			info->token_complete_list_size =
				attribute_count(p, nb_attributes, attributes, "completeListSize");
			if (sax_find_attribute(nb_attributes, attributes, "expirationDate",
								   &v, &v_end))
				info->token_expiration = attribute_copy(p, v, v_end);
			break;
		default:
			break;
	}
	if (p->status == OAI_OK && *info_slot(p, f) == NULL)
		begin_capture(p);
}

/* A response-level text ends: copy it out and roll the pool back. */
static void
end_info_field(OaiParser *p, InfoField f, size_t off)
{
	char	  **slot = info_slot(p, f);

	if (*slot == NULL)
	{
		*slot = copy_string(p->pool.data + off);
		if (*slot == NULL)
			set_oom(p);
	}
	p->pool.len = off;
}

static void
reject_root(OaiParser *p)
{
	set_error(p, OAI_ERR_NOT_OAI, true, "%s", p->bad_root_msg);
}

static bool
accept_root(OaiParser *p, const char *nsuri, const char *name)
{
	if (nsuri != NULL && strcmp(nsuri, OAI_NS) == 0 &&
		strcmp(name, "OAI-PMH") == 0)
		return true;

	p->bad_root = true;
	snprintf(p->bad_root_msg, sizeof(p->bad_root_msg),
			 "root element is \"%.64s\"%s%.80s%s, not an OAI-PMH 2.0 response",
			 name,
			 nsuri ? " in namespace \"" : "",
			 nsuri ? nsuri : "",
			 nsuri ? "\"" : "");
	return false;
}

/* A record's header; in ListIdentifiers the header is the record. */
static void
begin_header(OaiParser *p, int nb_attributes, const xmlChar **attributes)
{
	const xmlChar *v;
	const xmlChar *v_end;

	if (!p->in_record)
		begin_record(p);
	if (sax_find_attribute(nb_attributes, attributes, "status", &v, &v_end) &&
		v_end - v == 7 && memcmp(v, "deleted", 7) == 0)
		p->deleted = true;
}

/* What an element of "kind" starts: a record, a capture of its text... */
static void
begin_element(OaiParser *p, ElemKind kind, unsigned char field,
			  int nb_attributes, const xmlChar **attributes)
{
	switch (kind)
	{
		case EK_VERB:
			if (p->info.verb == OAI_VERB_NONE)
				p->info.verb = (OaiVerb) field;
			break;
		case EK_INFO_FIELD:
			begin_info_field(p, (InfoField) field, nb_attributes, attributes);
			break;
		case EK_RECORD:
			begin_record(p);
			break;
		case EK_HEADER:
			begin_header(p, nb_attributes, attributes);
			break;
		case EK_SET:
			begin_record(p);
			break;
		case EK_RECORD_FIELD:
			if (p->fields[field] == NO_STR)
				begin_capture(p);
			break;
		case EK_SET_SPEC:
			begin_capture(p);
			break;
		case EK_VERSION:
			begin_version(p, nb_attributes, attributes);
			break;
		case EK_VERSION_FIELD:
			if (p->versions[p->nversions - 1].fields[field] == NO_STR)
				begin_capture(p);
			break;
		default:
			break;
	}
}

static void
sax_start_element(void *ctx, const xmlChar *localname,
				  const xmlChar *prefix, const xmlChar *uri,
				  int nb_namespaces, const xmlChar **namespaces,
				  int nb_attributes, int nb_defaulted,
				  const xmlChar **attributes)
{
	OaiParser  *p = (OaiParser *) ctx;
	const char *name = (const char *) localname;
	const char *nsuri = (const char *) uri;
	unsigned char field = 0;
	ElemKind	kind;

	(void) prefix;
	(void) nb_namespaces;
	(void) namespaces;
	(void) nb_defaulted;

	if (p->status != OAI_OK)
		return;
	if (p->bad_root)
	{
		reject_root(p);
		return;
	}
	if (p->depth >= OAI_MAX_DEPTH)
	{
		set_error(p, OAI_ERR_LIMIT, true,
				  "elements are nested more than %d levels deep",
				  OAI_MAX_DEPTH);
		return;
	}

	if (p->depth == 0)
	{
		if (!accept_root(p, nsuri, name))
			return;
		kind = EK_ROOT;
	}
	else
		kind = classify_element(p, &p->stack[p->depth - 1], nsuri, name,
								&field);

	p->stack[p->depth].kind = (unsigned char) kind;
	p->stack[p->depth].field = field;
	p->depth++;

	begin_element(p, kind, field, nb_attributes, attributes);
}

#define POOL_STR(p, off) ((off) == NO_STR ? NULL : (p)->pool.data + (off))

/*
 * Split the categories string into the pool: a copy with spaces turned
 * into NULs.  Must precede building pointers, since it may move the pool.
 */
static bool
split_categories(OaiParser *p, int *ncats)
{
	size_t		off = p->fields[F_CATEGORIES];
	size_t		len;
	size_t		copy;
	size_t		i;
	int			n = 0;

	*ncats = 0;
	if (off == NO_STR)
		return true;
	len = strlen(p->pool.data + off);
	if (len == 0)
		return true;
	if (!pool_reserve(p, len + 1))
		return false;
	copy = p->pool.len;
	memcpy(p->pool.data + copy, p->pool.data + off, len + 1);
	p->pool.len += len + 1;

	/* collapsed and trimmed: words are separated by exactly one space */
	for (i = 0; i <= len; i++)
	{
		if (i == 0 || p->pool.data[copy + i - 1] == '\0')
		{
			size_t	   *offs;

			if (n >= OAI_MAX_CATEGORIES)
			{
				set_error(p, OAI_ERR_LIMIT, true,
						  "record has more than %d categories",
						  OAI_MAX_CATEGORIES);
				return false;
			}
			offs = sax_grow_array(p->cat_offs, &p->max_cat_offs, n + 1,
							  sizeof(size_t));
			if (offs == NULL)
			{
				set_oom(p);
				return false;
			}
			p->cat_offs = offs;
			p->cat_offs[n++] = copy + i;
		}
		if (p->pool.data[copy + i] == ' ')
			p->pool.data[copy + i] = '\0';
	}
	*ncats = n;
	return true;
}

/* "443kb" -> 443; -1 otherwise */
static long
parse_size_kb(const char *s)
{
	long		n = 0;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9')
	{
		if (n > (LONG_MAX - 9) / 10)
			return -1;
		n = n * 10 + (*s++ - '0');
	}
	return strcmp(s, "kb") == 0 ? n : -1;
}

/* "v12" -> 12; 0 otherwise */
static int
parse_version_label(const char *s)
{
	long		n = 0;

	if (s == NULL || s[0] != 'v' || s[1] < '1' || s[1] > '9')
		return 0;
	for (s++; *s >= '0' && *s <= '9'; s++)
	{
		n = n * 10 + (*s - '0');
		if (n > INT_MAX)
			return 0;
	}
	return *s == '\0' ? (int) n : 0;
}

/* Turn the offsets of the finished record into the callback's view. */
static bool
build_record(OaiParser *p)
{
	OaiRecord  *r = &p->record;
	void	   *tmp;
	int			ncats;
	int			i;

	if (!split_categories(p, &ncats))
		return false;
	if ((tmp = sax_grow_array(p->out_sets, &p->max_out_sets, p->nsets,
						  sizeof(char *))) == NULL)
		goto oom;
	p->out_sets = tmp;
	if ((tmp = sax_grow_array(p->out_cats, &p->max_out_cats, ncats,
						  sizeof(char *))) == NULL)
		goto oom;
	p->out_cats = tmp;
	if ((tmp = sax_grow_array(p->out_versions, &p->max_out_versions, p->nversions,
						  sizeof(OaiVersion))) == NULL)
		goto oom;
	p->out_versions = tmp;

	memset(r, 0, sizeof(*r));
	r->identifier = POOL_STR(p, p->fields[F_IDENTIFIER]);
	r->datestamp = POOL_STR(p, p->fields[F_DATESTAMP]);
	r->deleted = p->deleted;
	for (i = 0; i < p->nsets; i++)
		p->out_sets[i] = p->pool.data + p->sets[i];
	r->set_specs = p->nsets > 0 ? p->out_sets : NULL;
	r->nset_specs = p->nsets;

	r->format = p->format;
	r->id = POOL_STR(p, p->fields[F_ID]);
	r->submitter = POOL_STR(p, p->fields[F_SUBMITTER]);
	r->title = POOL_STR(p, p->fields[F_TITLE]);
	r->authors = POOL_STR(p, p->fields[F_AUTHORS]);
	r->categories = POOL_STR(p, p->fields[F_CATEGORIES]);
	for (i = 0; i < ncats; i++)
		p->out_cats[i] = p->pool.data + p->cat_offs[i];
	r->category_list = ncats > 0 ? p->out_cats : NULL;
	r->ncategories = ncats;
	r->comments = POOL_STR(p, p->fields[F_COMMENTS]);
	r->proxy = POOL_STR(p, p->fields[F_PROXY]);
	r->report_no = POOL_STR(p, p->fields[F_REPORT_NO]);
	r->msc_class = POOL_STR(p, p->fields[F_MSC_CLASS]);
	r->acm_class = POOL_STR(p, p->fields[F_ACM_CLASS]);
	r->journal_ref = POOL_STR(p, p->fields[F_JOURNAL_REF]);
	r->doi = POOL_STR(p, p->fields[F_DOI]);
	r->license = POOL_STR(p, p->fields[F_LICENSE]);
	r->abstract = POOL_STR(p, p->fields[F_ABSTRACT]);
	r->created = POOL_STR(p, p->fields[F_CREATED]);
	r->updated = POOL_STR(p, p->fields[F_UPDATED]);

	for (i = 0; i < p->nversions; i++)
	{
		const VersionRec *v = &p->versions[i];
		OaiVersion *o = &p->out_versions[i];

		o->label = POOL_STR(p, v->label);
		o->number = parse_version_label(o->label);
		o->date = POOL_STR(p, v->fields[VF_DATE]);
		o->date_unix = 0;
		o->date_valid = o->date != NULL &&
			oai_parse_version_date(o->date, &o->date_unix);
		o->size = POOL_STR(p, v->fields[VF_SIZE]);
		o->size_kb = parse_size_kb(o->size);
		o->source_type = POOL_STR(p, v->fields[VF_SOURCE_TYPE]);
	}
	r->versions = p->nversions > 0 ? p->out_versions : NULL;
	r->nversions = p->nversions;
	return true;

oom:
	set_oom(p);
	return false;
}

static void
end_record(OaiParser *p)
{
	p->in_record = false;
	if (!build_record(p))
		return;
	p->info.nrecords++;
	if (p->record_callback != NULL &&
		p->record_callback(p->arg, &p->record) != 0)
		set_error(p, OAI_ERR_CALLBACK, true,
				  "record callback stopped the parse");
}

static void
end_set(OaiParser *p)
{
	OaiSet		set;

	set.spec = POOL_STR(p, p->fields[F_SET_SPEC]);
	set.name = POOL_STR(p, p->fields[F_SET_NAME]);
	p->in_record = false;
	p->info.nsets++;
	if (p->set_callback != NULL && p->set_callback(p->arg, &set) != 0)
		set_error(p, OAI_ERR_CALLBACK, true, "set callback stopped the parse");
}

static void
sax_end_element(void *ctx, const xmlChar *localname,
				const xmlChar *prefix, const xmlChar *uri)
{
	OaiParser  *p = (OaiParser *) ctx;
	const ElemFrame *frame;

	(void) localname;
	(void) prefix;
	(void) uri;

	if (p->status != OAI_OK)
		return;
	if (p->bad_root)
	{
		reject_root(p);
		return;
	}
	if (p->depth <= 0)
		return;

	p->depth--;
	frame = &p->stack[p->depth];

	if (p->pool.capturing && p->pool.cap_depth == p->depth)
	{
		size_t		off = end_capture(p);

		if (off == NO_STR)
			return;
		switch ((ElemKind) frame->kind)
		{
			case EK_RECORD_FIELD:
				p->fields[frame->field] = off;
				break;
			case EK_SET_SPEC:
				add_set_spec(p, off);
				break;
			case EK_VERSION_FIELD:
				p->versions[p->nversions - 1].fields[frame->field] = off;
				break;
			case EK_INFO_FIELD:
				end_info_field(p, (InfoField) frame->field, off);
				break;
			default:
				break;
		}
		return;
	}

	switch ((ElemKind) frame->kind)
	{
		case EK_RECORD:
			end_record(p);
			break;
		case EK_HEADER:
			/* a ListIdentifiers header, not the header of a <record> */
			if (p->depth > 0 && p->stack[p->depth - 1].kind == EK_VERB)
				end_record(p);
			break;
		case EK_SET:
			end_set(p);
			break;
		case EK_ROOT:
			p->root_closed = true;
			break;
		default:
			break;
	}
}

static void
sax_characters(void *ctx, const xmlChar *ch, int len)
{
	OaiParser  *p = (OaiParser *) ctx;

	if (!p->pool.capturing)
	{
		if (p->bad_root && p->status == OAI_OK)
			reject_root(p);
		return;
	}
	if (p->status == OAI_OK && len > 0)
		append_text(p, (const char *) ch, (size_t) len);
}

/* A declared encoding other than UTF-8 is refused (see sax_common.c). */
static void
sax_start_document(void *ctx)
{
	OaiParser  *p = (OaiParser *) ctx;
	const char *encoding = sax_foreign_encoding(p->ctxt);

	if (encoding != NULL)
		set_error(p, OAI_ERR_XML, true,
				  "document declares encoding \"%s\", but arXiv's responses are UTF-8",
				  encoding);
}

/* Any DOCTYPE is refused before its internal subset is read (see atom.c). */
static void
sax_internal_subset(void *ctx, const xmlChar *name,
					const xmlChar *external_id, const xmlChar *system_id)
{
	OaiParser  *p = (OaiParser *) ctx;

	(void) external_id;
	(void) system_id;
	if (sax_is_html_doctype(name))
		set_error(p, OAI_ERR_NOT_OAI, true,
				  "document is HTML (DOCTYPE \"%s\"), not an OAI-PMH response",
				  (const char *) name);
	else
		set_error(p, OAI_ERR_FORBIDDEN, true,
				  "DOCTYPE declarations are not allowed in an OAI-PMH response");
}

static void
sax_entity_decl(void *ctx, const xmlChar *name, int type,
				const xmlChar *public_id, const xmlChar *system_id,
				xmlChar *content)
{
	OaiParser  *p = (OaiParser *) ctx;

	(void) name;
	(void) type;
	(void) public_id;
	(void) system_id;
	(void) content;
	set_error(p, OAI_ERR_FORBIDDEN, true,
			  "entity declarations are not allowed in an OAI-PMH response");
}

static void
sax_structured_error(void *ctx, SAX_XMLERROR_CONST xmlError *error)
{
	OaiParser  *p = (OaiParser *) ctx;
	char		msg[OAI_ERRMSG_SIZE];

	if (p != NULL && sax_error_message(error, msg, sizeof(msg)))
		set_error(p, OAI_ERR_XML, false, "%s", msg);
}

/*
 * Create a parser.  Returns NULL only when out of memory.  Either callback
 * may be NULL (records or sets are then only counted).
 */
OaiParser *
oai_parser_create(OaiRecordCallback record_callback,
				  OaiSetCallback set_callback, void *arg)
{
	static const SaxHandlers handlers = {
		.start_element = sax_start_element,
		.end_element = sax_end_element,
		.characters = sax_characters,
		.start_document = sax_start_document,
		.internal_subset = sax_internal_subset,
		.entity_decl = sax_entity_decl,
		.structured_error = sax_structured_error,
	};
	OaiParser  *p;

	p = calloc(1, sizeof(OaiParser));
	if (p == NULL)
		return NULL;
	p->record_callback = record_callback;
	p->set_callback = set_callback;
	p->arg = arg;
	p->status = OAI_OK;
	p->pool.max_bytes = OAI_MAX_RECORD_BYTES;
	p->pool.max_string = OAI_MAX_FIELD_BYTES;
	p->info.token_cursor = -1;
	p->info.token_complete_list_size = -1;

	p->ctxt = sax_create_push_parser(&handlers, p);
	if (p->ctxt == NULL)
	{
		free(p);
		return NULL;
	}
	return p;
}

/* Pass one piece to libxml2 and fold its verdict into our status. */
static void
parse_chunk(OaiParser *p, const char *data, int len, int terminate)
{
	char		msg[OAI_ERRMSG_SIZE];

	if (sax_parse_chunk(p->ctxt, data, len, terminate, msg, sizeof(msg)) !=
		XML_ERR_OK && p->status == OAI_OK)
		set_error(p, OAI_ERR_XML, false, "%s", msg);
}

/*
 * Push the next piece of the response; pieces may split it anywhere.
 * Records completed by this piece reach the callback before it returns.
 */
OaiStatus
oai_parser_feed(OaiParser *parser, const char *data, size_t len)
{
	if (parser == NULL)
		return OAI_ERR_OOM;
	if (parser->status != OAI_OK)
		return parser->status;
	if (parser->finished)
		return set_error(parser, OAI_ERR_XML, false,
						 "data after the end of the document");
	if (data == NULL && len > 0)
		return set_error(parser, OAI_ERR_XML, false, "no data buffer");

	while (len > 0 && parser->status == OAI_OK)
	{
		int			n = len > SAX_MAX_CHUNK ? SAX_MAX_CHUNK : (int) len;

		parse_chunk(parser, data, n, 0);
		data += n;
		len -= (size_t) n;
	}
	return parser->status;
}

/* Signal the end of the response; an incomplete document fails here. */
OaiStatus
oai_parser_finish(OaiParser *parser)
{
	if (parser == NULL)
		return OAI_ERR_OOM;
	if (parser->status != OAI_OK || parser->finished)
		return parser->status;

	parser->finished = true;
	parse_chunk(parser, NULL, 0, 1);

	if (parser->status == OAI_OK && parser->bad_root)
		reject_root(parser);
	if (parser->status == OAI_OK && !parser->root_closed)
		set_error(parser, OAI_ERR_XML, false,
				  "document ended before the end of the OAI-PMH response");
	return parser->status;
}

const OaiResponseInfo *
oai_parser_info(const OaiParser *parser)
{
	return parser ? &parser->info : NULL;
}

const char *
oai_parser_errmsg(const OaiParser *parser)
{
	return parser ? parser->errmsg : "out of memory";
}

/* Free everything; safe at any point except inside a callback. */
void
oai_parser_free(OaiParser *parser)
{
	OaiResponseInfo *i;

	if (parser == NULL)
		return;
	if (parser->ctxt != NULL)
		xmlFreeParserCtxt(parser->ctxt);
	free(parser->pool.data);
	free(parser->sets);
	free(parser->versions);
	free(parser->out_sets);
	free(parser->out_cats);
	free(parser->cat_offs);
	free(parser->out_versions);
	i = &parser->info;
	free(i->response_date);
	free(i->request_url);
	free(i->request_verb);
	free(i->token);
	free(i->token_expiration);
	free(i->error_code);
	free(i->error_message);
	free(i->repository_name);
	free(i->base_url);
	free(i->earliest_datestamp);
	free(i->granularity);
	free(i->deleted_record);
	free(parser);
}

/* ---------- error codes ---------- */

static const struct
{
	OaiErrorCode code;
	const char *name;
}			error_codes[] =
{
	{OAI_ERROR_BAD_ARGUMENT, "badArgument"},
	{OAI_ERROR_BAD_RESUMPTION_TOKEN, "badResumptionToken"},
	{OAI_ERROR_BAD_VERB, "badVerb"},
	{OAI_ERROR_CANNOT_DISSEMINATE_FORMAT, "cannotDisseminateFormat"},
	{OAI_ERROR_ID_DOES_NOT_EXIST, "idDoesNotExist"},
	{OAI_ERROR_NO_RECORDS_MATCH, "noRecordsMatch"},
	{OAI_ERROR_NO_METADATA_FORMATS, "noMetadataFormats"},
	{OAI_ERROR_NO_SET_HIERARCHY, "noSetHierarchy"},
};

OaiErrorCode
oai_error_code_from_string(const char *code)
{
	size_t		i;

	if (code == NULL)
		return OAI_ERROR_OTHER;
	for (i = 0; i < sizeof(error_codes) / sizeof(error_codes[0]); i++)
		if (strcmp(code, error_codes[i].name) == 0)
			return error_codes[i].code;
	return OAI_ERROR_OTHER;
}

const char *
oai_error_code_name(OaiErrorCode code)
{
	size_t		i;

	if (code == OAI_ERROR_NONE)
		return "none";
	for (i = 0; i < sizeof(error_codes) / sizeof(error_codes[0]); i++)
		if (error_codes[i].code == code)
			return error_codes[i].name;
	return "other";
}

/* ---------- author strings ---------- */

static bool
is_space(char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

/*
 * Whether a separator word (" and ", " & ") starts at s[i]: the word must
 * be preceded by whitespace (or the start) and followed by whitespace (or
 * the end).
 */
static size_t
separator_word_at(const char *s, size_t i)
{
	if (i > 0 && !is_space(s[i - 1]))
		return 0;
	if (strncmp(s + i, "and", 3) == 0 && (is_space(s[i + 3]) || s[i + 3] == '\0'))
		return 3;
	if (s[i] == '&' && (is_space(s[i + 1]) || s[i + 1] == '\0'))
		return 1;
	return 0;
}

/* Copy s[0..n) to *out collapsing whitespace and trimming; NUL-terminate. */
static char *
emit_collapsed(const char *s, size_t n, char **out)
{
	char	   *start = *out;
	char	   *o = start;
	bool		space = false;
	size_t		i;

	for (i = 0; i < n; i++)
	{
		if (is_space(s[i]))
		{
			space = true;
			continue;
		}
		if (space && o != start)
			*o++ = ' ';
		space = false;
		*o++ = s[i];
	}
	*o++ = '\0';
	*out = o;
	return start;
}

/* Whether the collapsed name is "et al" or "et al.", in any case. */
static bool
is_et_al(const char *s)
{
	return (s[0] == 'e' || s[0] == 'E') && (s[1] == 't' || s[1] == 'T') &&
		s[2] == ' ' && (s[3] == 'a' || s[3] == 'A') &&
		(s[4] == 'l' || s[4] == 'L') &&
		(s[5] == '\0' || (s[5] == '.' && s[6] == '\0'));
}

/* Cut a trailing " et al" / " et al." off a collapsed name. */
static void
strip_et_al(char *s)
{
	size_t		len = strlen(s);
	size_t		i;

	for (i = len; i-- > 0;)
	{
		if (s[i] == ' ' && is_et_al(s + i + 1))
		{
			s[i] = '\0';
			return;
		}
		if (len - i > 8)
			return;
	}
}

/* The state of oai_split_authors: where names go, and the last one. */
typedef struct AuthorSplit
{
	const char *raw;
	char	   *out;			/* next free byte of the caller's buffer */
	OaiAuthorName *names;
	int			maxnames;
	int			n;				/* names found so far */
	int			last;			/* the name a group would attach to, or -1 */
	bool		last_has_aff;
	size_t		name_start;		/* where the current name began */
} AuthorSplit;

/*
 * The current name ends at "end": collapse it into the buffer and, unless
 * it is empty or only "et al", count it (stored while there is room) and
 * make it the one a following parenthesised group attaches to.
 */
static void
end_name(AuthorSplit *sp, size_t end)
{
	char	   *name = emit_collapsed(sp->raw + sp->name_start,
									  end - sp->name_start, &sp->out);

	strip_et_al(name);
	if (name[0] == '\0' || is_et_al(name))
	{
		sp->out = name;			/* discard */
		return;
	}
	if (sp->n < sp->maxnames)
	{
		sp->names[sp->n].name = name;
		sp->names[sp->n].affiliation = NULL;
	}
	sp->last = sp->n++;
	sp->last_has_aff = false;
}

/*
 * The end of the group opened at raw[i] (by "open", closed by "close",
 * nesting): the index after its closing character, or of the string's end
 * if it is not closed (*closed false).
 */
static size_t
group_end(const char *raw, size_t i, char open, char close, bool *closed)
{
	size_t		depth = 1;
	size_t		j = i + 1;

	while (raw[j] != '\0' && depth > 0)
	{
		if (raw[j] == open)
			depth++;
		else if (raw[j] == close)
			depth--;
		j++;
	}
	*closed = depth == 0;
	return j;
}

/*
 * A parenthesised group from raw[i] to before raw[j]: it ends the name
 * before it, if any, and is the affiliation of the name just before it
 * unless that one has one already.
 */
static void
take_group(AuthorSplit *sp, size_t i, size_t j, bool closed)
{
	end_name(sp, i);
	if (sp->last >= 0 && !sp->last_has_aff)
	{
		size_t		inner_end = closed ? j - 1 : j;
		char	   *aff = emit_collapsed(sp->raw + i + 1, inner_end - (i + 1),
										 &sp->out);

		if (sp->last < sp->maxnames)
			sp->names[sp->last].affiliation = aff;
		sp->last_has_aff = true;
	}
	sp->name_start = j;
}

/* The length of the separator at raw[i] (",", ";", ":", " and "...), or 0. */
static size_t
separator_at(const char *raw, size_t i)
{
	char		c = raw[i];

	if (c == ',' || c == ';' || c == ':')
		return 1;
	return separator_word_at(raw, i);
}

int
oai_split_authors(const char *raw, char *buf, size_t bufsz,
				  OaiAuthorName *names, int maxnames)
{
	AuthorSplit sp;
	size_t		i = 0;

	if (raw == NULL || buf == NULL || (names == NULL && maxnames > 0))
		return -1;
	if (bufsz < 2 * strlen(raw) + 2)
		return -1;
	memset(&sp, 0, sizeof(sp));
	sp.raw = raw;
	sp.out = buf;
	sp.names = names;
	sp.maxnames = maxnames;
	sp.last = -1;
	sp.last_has_aff = true;

	while (raw[i] != '\0')
	{
		size_t		skip;
		bool		closed;

		if (raw[i] == '(')
		{
			size_t		j = group_end(raw, i, '(', ')', &closed);

			take_group(&sp, i, j, closed);
			i = j;
		}
		else if (raw[i] == '{')
			/* a TeX group: separators inside do not count */
			i = group_end(raw, i, '{', '}', &closed);
		else if ((skip = separator_at(raw, i)) > 0)
		{
			end_name(&sp, i);
			i += skip;
			sp.name_start = i;
		}
		else
			i++;
	}
	end_name(&sp, i);
	return sp.n;
}

/* ---------- dates ---------- */

static bool
is_leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(long y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t
days_from_civil(long y, int m, int d)
{
	int64_t		era;
	int64_t		yoe;
	int64_t		doy;
	int64_t		doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Exactly n digits at *s; advances *s. */
static bool
scan_digits(const char **s, int n, long *val)
{
	long		v = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		char		c = (*s)[i];

		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*s += n;
	*val = v;
	return true;
}

bool
oai_parse_datestamp(const char *s, int64_t *unix_seconds)
{
	long		y;
	long		m;
	long		d;

	if (s == NULL ||
		!scan_digits(&s, 4, &y) || *s++ != '-' ||
		!scan_digits(&s, 2, &m) || *s++ != '-' ||
		!scan_digits(&s, 2, &d) || *s != '\0')
		return false;
	if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, (int) m))
		return false;
	if (unix_seconds != NULL)
		*unix_seconds = days_from_civil(y, (int) m, (int) d) * 86400;
	return true;
}

bool
oai_parse_version_date(const char *s, int64_t *unix_seconds)
{
	static const char *const months[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
	};
	static const char *const weekdays[] = {
		"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"
	};
	long		day;
	long		year;
	long		hh;
	long		mi;
	long		ss;
	int			month = 0;
	int			i;

	if (s == NULL)
		return false;
	while (*s == ' ')
		s++;

	/* optional "Mon, " */
	if (s[0] != '\0' && (s[0] < '0' || s[0] > '9'))
	{
		bool		found = false;

		for (i = 0; i < 7; i++)
			if (strncmp(s, weekdays[i], 3) == 0)
				found = true;
		if (!found || s[3] != ',')
			return false;
		s += 4;
		while (*s == ' ')
			s++;
	}

	/* day: one or two digits */
	if (!scan_digits(&s, 1, &day))
		return false;
	if (*s >= '0' && *s <= '9')
		day = day * 10 + (*s++ - '0');
	if (*s++ != ' ')
		return false;

	for (i = 0; i < 12; i++)
		if (strncmp(s, months[i], 3) == 0)
			month = i + 1;
	if (month == 0 || s[3] != ' ')
		return false;
	s += 4;

	if (!scan_digits(&s, 4, &year) || *s++ != ' ' ||
		!scan_digits(&s, 2, &hh) || *s++ != ':' ||
		!scan_digits(&s, 2, &mi) || *s++ != ':' ||
		!scan_digits(&s, 2, &ss))
		return false;
	if (day < 1 || day > days_in_month(year, month) ||
		hh > 23 || mi > 59 || ss > 60)
		return false;

	while (*s == ' ')
		s++;
	if (strcmp(s, "GMT") != 0 && strcmp(s, "UTC") != 0 &&
		strcmp(s, "UT") != 0 && strcmp(s, "Z") != 0)
		return false;

	if (unix_seconds != NULL)
		*unix_seconds = days_from_civil(year, month, (int) day) * 86400 +
			hh * 3600 + mi * 60 + ss;
	return true;
}

const char *
oai_identifier_to_id(const char *identifier)
{
	static const char prefix[] = "oai:arXiv.org:";

	if (identifier == NULL ||
		strncmp(identifier, prefix, sizeof(prefix) - 1) != 0 ||
		identifier[sizeof(prefix) - 1] == '\0')
		return NULL;
	return identifier + sizeof(prefix) - 1;
}
