/*-------------------------------------------------------------------------
 *
 * oai.h
 *	  Streaming parser for arXiv's OAI-PMH responses, and helpers for the
 *	  arXivRaw metadata format.
 *
 * Like atom.h, this module is free of PostgreSQL dependencies: it uses
 * malloc/free and never longjmps, so it can be unit-tested and fuzzed as a
 * standalone program.  The backend wraps it and frees the parser from a
 * memory-context reset callback when a scan ends in ERROR.
 *
 * Data is pushed in arbitrary chunks; every complete <record> (ListRecords,
 * GetRecord), <header> (ListIdentifiers) and <set> (ListSets) is handed to
 * a callback as soon as its end tag is seen.  The strings of an OaiRecord
 * or OaiSet are owned by the parser and valid only during the callback.
 * What concerns the response as a whole (the resumption token, an OAI
 * error, Identify's fields) is in OaiResponseInfo once the parse is done.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ARXIV_OAI_H
#define ARXIV_OAI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Result codes of oai_parser_feed / oai_parser_finish.  The first error is
 * sticky: every later call returns it again, and oai_parser_errmsg says
 * what happened.  What the failures come to:
 *	blank body, CDN text ("first byte timeout"), JSON, truncated XML
 *														-> OAI_ERR_XML
 *	well-formed XML whose root is not OAI-PMH 2.0 (<html>, an Atom feed, an
 *	OAI 1.x response)									-> OAI_ERR_NOT_OAI
 *	any DOCTYPE except an HTML one						-> OAI_ERR_FORBIDDEN
 *	nesting over 64 levels, a text field over 4 MiB, one record's text over
 *	64 MiB, over 10000 versions, 1000 setSpecs or 1000 categories per
 *	record												-> OAI_ERR_LIMIT
 * An OAI-PMH error response (<error code=...>, which arXiv sends with HTTP
 * 200) is not a parse error: it parses with OAI_OK and sets
 * OaiResponseInfo.error.
 */
typedef enum OaiStatus
{
	OAI_OK = 0,
	OAI_ERR_XML,				/* not well-formed, or truncated at finish */
	OAI_ERR_NOT_OAI,			/* well-formed XML, root is not OAI-PMH 2.0 */
	OAI_ERR_FORBIDDEN,			/* DOCTYPE/entity declarations are refused */
	OAI_ERR_LIMIT,				/* nesting depth, field size or count limit */
	OAI_ERR_CALLBACK,			/* a callback asked to stop */
	OAI_ERR_OOM
} OaiStatus;

/* The verb element of the response (the child of <OAI-PMH>). */
typedef enum OaiVerb
{
	OAI_VERB_NONE = 0,			/* none seen: an error response */
	OAI_VERB_IDENTIFY,
	OAI_VERB_LIST_METADATA_FORMATS,
	OAI_VERB_LIST_SETS,
	OAI_VERB_LIST_IDENTIFIERS,
	OAI_VERB_LIST_RECORDS,
	OAI_VERB_GET_RECORD
} OaiVerb;

/* OAI-PMH 2.0 error codes (section 3.6 of the protocol). */
typedef enum OaiErrorCode
{
	OAI_ERROR_NONE = 0,
	OAI_ERROR_BAD_ARGUMENT,
	OAI_ERROR_BAD_RESUMPTION_TOKEN,
	OAI_ERROR_BAD_VERB,
	OAI_ERROR_CANNOT_DISSEMINATE_FORMAT,
	OAI_ERROR_ID_DOES_NOT_EXIST,
	OAI_ERROR_NO_RECORDS_MATCH,
	OAI_ERROR_NO_METADATA_FORMATS,
	OAI_ERROR_NO_SET_HIERARCHY,
	OAI_ERROR_OTHER				/* a code this module does not know */
} OaiErrorCode;

/* Which metadata format a record's <metadata> holds. */
typedef enum OaiFormat
{
	OAI_FORMAT_NONE = 0,		/* no <metadata>: ListIdentifiers, deleted */
	OAI_FORMAT_ARXIV_RAW,		/* http://arxiv.org/OAI/arXivRaw/ */
	OAI_FORMAT_ARXIV,			/* http://arxiv.org/OAI/arXiv/ */
	OAI_FORMAT_OTHER			/* anything else: only the header is parsed */
} OaiFormat;

/* One arXivRaw <version version="vN">. */
typedef struct OaiVersion
{
	char	   *label;			/* the attribute as sent, e.g. "v2"; NULL if absent */
	int			number;			/* N of "vN"; 0 if the label is not of that form */
	char	   *date;			/* as sent, e.g. "Mon, 2 Apr 2007 19:18:42 GMT" */
	bool		date_valid;		/* date parsed (oai_parse_version_date) */
	int64_t		date_unix;		/* seconds since 1970-01-01 00:00:00 UTC */
	char	   *size;			/* as sent, e.g. "443kb" */
	long		size_kb;		/* the number of "<N>kb"; -1 if not of that form */
	char	   *source_type;	/* e.g. "D", "I" (withdrawn); NULL if absent */
} OaiVersion;

/*
 * One record (or, for ListIdentifiers, one header).  Text fields have runs
 * of whitespace collapsed to one space and are trimmed; entities and
 * character references are decoded, and nothing else is changed (TeX and
 * double-encoded UTF-8 are passed on as arXiv sends them).  A field absent
 * from the record is NULL; an empty element gives "".  Where a
 * single-valued element occurs twice, the first one counts.
 *
 * The metadata fields are filled from arXivRaw, and from the arXiv format
 * where it has an element of the same name (everything but submitter,
 * authors and versions, which that format structures differently).
 */
typedef struct OaiRecord
{
	/* header */
	char	   *identifier;		/* "oai:arXiv.org:0704.0001" */
	char	   *datestamp;		/* "YYYY-MM-DD" as sent */
	bool		deleted;		/* <header status="deleted"> */
	char	  **set_specs;		/* in document order */
	int			nset_specs;

	/* metadata */
	OaiFormat	format;
	char	   *id;				/* "0704.0001", "hep-th/9901001" */
	char	   *submitter;
	char	   *title;
	char	   *authors;		/* arXivRaw's raw author string */
	char	   *categories;		/* the space-separated string as sent */
	char	  **category_list;	/* the same, split; the first is primary */
	int			ncategories;
	char	   *comments;
	char	   *proxy;
	char	   *report_no;
	char	   *msc_class;
	char	   *acm_class;
	char	   *journal_ref;
	char	   *doi;
	char	   *license;
	char	   *abstract;
	char	   *created;		/* arXiv format only */
	char	   *updated;		/* arXiv format only */
	OaiVersion *versions;		/* arXivRaw, in document order */
	int			nversions;
} OaiRecord;

/* One <set> of ListSets. */
typedef struct OaiSet
{
	char	   *spec;			/* "physics:hep-th", "cs:cs:AI" */
	char	   *name;			/* "High Energy Physics - Theory" */
} OaiSet;

/*
 * Response-level information.  Strings are NULL when the element was
 * absent, numbers -1.  Valid until oai_parser_free.
 */
typedef struct OaiResponseInfo
{
	char	   *response_date;
	char	   *request_url;	/* <request>'s text: the base URL arXiv echoes */
	char	   *request_verb;	/* <request verb=...> */
	OaiVerb		verb;
	int			nrecords;		/* records/headers passed to the callback */
	int			nsets;			/* sets passed to the callback */

	/*
	 * <resumptionToken>: has_token says whether the element was present.
	 * An empty token (arXiv's new server ends a resumed list with one)
	 * gives token = "": the list is complete.
	 */
	bool		has_token;
	char	   *token;
	long		token_cursor;
	long		token_complete_list_size;
	char	   *token_expiration;	/* expirationDate attribute as sent */

	/* the first <error>; nerrors counts them all */
	int			nerrors;
	OaiErrorCode error;
	char	   *error_code;		/* the code attribute as sent */
	char	   *error_message;

	/* Identify */
	char	   *repository_name;
	char	   *base_url;
	char	   *earliest_datestamp;
	char	   *granularity;
	char	   *deleted_record;
} OaiResponseInfo;

/*
 * Callbacks return 0 to continue, nonzero to stop parsing
 * (OAI_ERR_CALLBACK).  They must not free the parser.
 */
typedef int (*OaiRecordCallback) (void *arg, const OaiRecord *record);
typedef int (*OaiSetCallback) (void *arg, const OaiSet *set);

typedef struct OaiParser OaiParser;

extern OaiParser *oai_parser_create(OaiRecordCallback record_callback,
									OaiSetCallback set_callback, void *arg);
extern OaiStatus oai_parser_feed(OaiParser *parser, const char *data, size_t len);
extern OaiStatus oai_parser_finish(OaiParser *parser);
extern const OaiResponseInfo *oai_parser_info(const OaiParser *parser);
extern const char *oai_parser_errmsg(const OaiParser *parser);
extern void oai_parser_free(OaiParser *parser);

/* "badArgument" -> OAI_ERROR_BAD_ARGUMENT; unknown or NULL -> OAI_ERROR_OTHER */
extern OaiErrorCode oai_error_code_from_string(const char *code);
extern const char *oai_error_code_name(OaiErrorCode code);

/*
 * Split arXiv's free-text author string into names.
 *
 * Names are separated by commas, semicolons, colons, " and " and " & "
 * (so "A, B, and C" and "A & B" work), but only outside parentheses and
 * TeX braces.  A parenthesised group after a name is that name's
 * affiliation ("A (MIT) and B (CERN)"); further groups, such as the
 * numbered footnote list of "A (1), B (2) ((1) MIT, (2) CERN)", are not
 * names and are skipped.  "et al" / "et al." standing alone is dropped, and
 * a trailing " et al." is cut from a name.  Whitespace (arXiv keeps the
 * submitter's line breaks) is collapsed; nothing else is changed, so TeX
 * accents stay as they are.  An unbalanced "(" runs to the end of the
 * string; a stray ")" is kept as text.
 *
 * The strings are written to buf, which needs at most 2 * strlen(raw) + 2
 * bytes, and described in names[0 .. maxnames-1].  Returns the number of
 * names found, which may exceed maxnames (then only maxnames are filled:
 * call again with more room), or -1 if buf is too small or an argument is
 * NULL.
 */
typedef struct OaiAuthorName
{
	const char *name;
	const char *affiliation;	/* NULL if none */
} OaiAuthorName;

extern int	oai_split_authors(const char *raw, char *buf, size_t bufsz,
							  OaiAuthorName *names, int maxnames);

/*
 * Parse an arXivRaw version date into seconds since the Unix epoch (UTC).
 * Both forms arXiv has used are accepted: the old unpadded day
 * ("Fri, 8 Feb 2013 21:00:01 GMT") and the new zero-padded one ("Sat, 19
 * Sep 2026 01:02:03 GMT"); the weekday is optional and, if present, must
 * be a weekday name (it is not cross-checked, since stored data may be
 * inconsistent); the zone must be GMT, UT, UTC or Z.  Returns false for
 * anything else, including impossible dates (31 Apr, 29 Feb 2023).
 */
extern bool oai_parse_version_date(const char *s, int64_t *unix_seconds);

/*
 * Parse a datestamp "YYYY-MM-DD" (OAI day granularity) into the Unix time
 * of that day's midnight UTC.  Returns false for anything else.
 */
extern bool oai_parse_datestamp(const char *s, int64_t *unix_seconds);

/*
 * The arXiv id of an OAI identifier: "oai:arXiv.org:hep-th/9901001" ->
 * "hep-th/9901001" (a pointer into the argument), NULL if the prefix is
 * not "oai:arXiv.org:" or nothing follows it.
 */
extern const char *oai_identifier_to_id(const char *identifier);

#endif							/* ARXIV_OAI_H */
