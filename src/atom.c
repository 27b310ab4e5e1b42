/*-------------------------------------------------------------------------
 *
 * atom.c
 *	  Streaming parser for arXiv API Atom feeds, built on libxml2's SAX2
 *	  push parser.
 *
 * Design rules:
 *
 * - Like sax_common.c, which sets libxml2 up for it and for oai.c, this
 *	 file includes no PostgreSQL header: memory comes from malloc/free, and
 *	 no path longjmps or aborts.  Every failure, including out-of-memory,
 *	 turns into an AtomStatus that the caller maps to an ereport.
 *
 * - The input is untrusted.  Entities are never substituted, nothing is
 *	 fetched (see sax_common.c), and any DOCTYPE stops the parse with
 *	 ATOM_ERR_FORBIDDEN: arXiv never sends one, and refusing it up front is
 *	 what makes entity-expansion and external-entity attacks fail cleanly
 *	 instead of merely slowly.  Nesting depth, the length of each text
 *	 field, the bytes of one entry and the number of authors, affiliations
 *	 and categories are capped (ATOM_ERR_LIMIT), so memory stays bounded
 *	 whatever the server sends.
 *
 * - Elements are recognised by namespace URI and local name, never by
 *	 prefix, and never by position among their siblings: the two generations
 *	 of the arXiv backend differ in both.  The string comparisons happen
 *	 once, at the start tag; what the element turned out to be is pushed as
 *	 a small ElemKind on a fixed-size stack, so end tags and character data
 *	 cost no comparisons at all.
 *
 * - Text is appended straight into one string pool per entry, collapsing
 *	 whitespace on the fly; fields are remembered as offsets into the pool
 *	 because the pool may move when it grows.  The pool and all arrays are
 *	 reused from entry to entry, so a steady-state parse does not call
 *	 malloc at all.  The AtomEntry handed to the callback points into them.
 *
 * - Errors are sticky and the first one wins: once a status other than
 *	 ATOM_OK is recorded, libxml2 is never called again except to free the
 *	 context, and every later call returns the same status.  libxml2's
 *	 messages arrive through a structured handler installed on this
 *	 parser's own context, never the process-wide one (the backend may use
 *	 libxml2 for the xml type at the same time).
 *
 * IDENTIFICATION
 *	  src/atom.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atom.h"
#include "arxiv_id.h"
#include "sax_common.h"

#define ATOM_NS			"http://www.w3.org/2005/Atom"
#define OPENSEARCH_NS	"http://a9.com/-/spec/opensearch/1.1/"
#define ARXIV_NS		"http://arxiv.org/schemas/atom"

/*
 * Limits.  They are far above anything arXiv sends (the largest author lists
 * have a few thousand names) yet keep a hostile or broken response from
 * exhausting memory.
 */
#define ATOM_MAX_DEPTH			64	/* open elements, root included */
#define ATOM_MAX_FIELD_BYTES	(4 * 1024 * 1024)	/* one text field */
#define ATOM_MAX_ENTRY_BYTES	(64 * 1024 * 1024)	/* all text of one entry */
#define ATOM_MAX_AUTHORS		100000	/* per entry */
#define ATOM_MAX_CATEGORIES		1000	/* per entry */
#define ATOM_MAX_AFFILIATIONS	1000	/* per author */

#define ATOM_ERRMSG_SIZE		SAX_ERRMSG_SIZE

/* offset meaning "field absent" */
#define NO_STR					((size_t) -1)

/* What an open element was recognised as at its start tag. */
typedef enum ElemKind
{
	EK_IGNORED,					/* unknown element: its subtree is skipped */
	EK_FEED,
	EK_FEED_TITLE,
	EK_TOTAL_RESULTS,
	EK_START_INDEX,
	EK_ITEMS_PER_PAGE,
	EK_ENTRY,
	EK_ENTRY_FIELD,				/* single-valued text field of an entry */
	EK_AUTHOR,
	EK_AUTHOR_NAME,
	EK_AFFILIATION
} ElemKind;

/* Single-valued string fields of an entry, stored as pool offsets. */
typedef enum EntryField
{
	F_ID,
	F_TITLE,
	F_SUMMARY,
	F_PUBLISHED,
	F_UPDATED,
	F_COMMENT,
	F_JOURNAL_REF,
	F_DOI,
	F_PRIMARY_CATEGORY,
	F_ABS_URL,
	F_PDF_URL,
	NUM_ENTRY_FIELDS
} EntryField;

typedef struct ElemFrame
{
	unsigned char kind;			/* ElemKind */
	unsigned char field;		/* EntryField, for EK_ENTRY_FIELD */
} ElemFrame;

typedef struct AuthorRec
{
	size_t		name;			/* pool offset or NO_STR */
	int			first_aff;		/* index of its first affiliation in affs */
	int			naffs;
} AuthorRec;

struct AtomParser
{
	xmlParserCtxtPtr ctxt;
	AtomEntryCallback callback;
	void	   *arg;

	AtomStatus	status;			/* first error, sticky */
	bool		finished;		/* atom_parser_finish was called */
	bool		root_closed;	/* </feed> was seen */
	bool		bad_root;		/* root is not an Atom feed: see reject_root */

	ElemFrame	stack[ATOM_MAX_DEPTH];
	int			depth;			/* number of open elements */

	/* text capture: at most one element at a time collects its text */

	/* the entry being parsed, as pool offsets and indexes */
	SaxTextPool pool;		/* strings, and the capture being filled */
	size_t		fields[NUM_ENTRY_FIELDS];
	AuthorRec  *authors;
	int			nauthors;
	int			maxauthors;
	size_t	   *affs;
	int			naffs;
	int			maxaffs;
	size_t	   *cats;
	int			ncats;
	int			maxcats;

	/* the same entry as pointers, rebuilt for each callback */
	AtomEntry	entry;
	AtomAuthor *out_authors;
	int			max_out_authors;
	char	  **out_affs;
	int			max_out_affs;
	char	  **out_cats;
	int			max_out_cats;

	AtomFeedInfo info;
	char		errmsg[ATOM_ERRMSG_SIZE];
	char		bad_root_msg[ATOM_ERRMSG_SIZE];
};

static void sax_start_element(void *ctx, const xmlChar *localname,
							  const xmlChar *prefix, const xmlChar *uri,
							  int nb_namespaces, const xmlChar **namespaces,
							  int nb_attributes, int nb_defaulted,
							  const xmlChar **attributes);
static void sax_end_element(void *ctx, const xmlChar *localname,
							const xmlChar *prefix, const xmlChar *uri);
static void sax_characters(void *ctx, const xmlChar *ch, int len);
static void sax_start_document(void *ctx);
static void sax_internal_subset(void *ctx, const xmlChar *name,
								const xmlChar *external_id,
								const xmlChar *system_id);
static void sax_entity_decl(void *ctx, const xmlChar *name, int type,
							const xmlChar *public_id,
							const xmlChar *system_id, xmlChar *content);
static void sax_structured_error(void *ctx,
								 SAX_XMLERROR_CONST xmlError *error);
static AtomStatus set_error(AtomParser *p, AtomStatus status,
							bool stop_parser, const char *fmt,...)
#if defined(__GNUC__) || defined(__clang__)
			__attribute__((format(printf, 4, 5)))
#endif
			;


/*
 * Record the first error.  stop_parser asks libxml2 to stop at once; it is
 * only safe from a SAX content callback, not from libxml2's error handler,
 * which libxml2 calls in the middle of its own bookkeeping.  Returns the
 * status now in force.
 */
static AtomStatus
set_error(AtomParser *p, AtomStatus status, bool stop_parser,
		  const char *fmt,...)
{
	va_list		ap;

	if (p->status != ATOM_OK)
		return p->status;

	p->status = status;
	va_start(ap, fmt);
	vsnprintf(p->errmsg, sizeof(p->errmsg), fmt, ap);
	va_end(ap);

	if (stop_parser && p->ctxt != NULL)
		xmlStopParser(p->ctxt);
	return status;
}

/* Fold the text pool's verdict into the parser's status; true if OK. */
static bool
text_ok(AtomParser *p, SaxTextStatus st)
{
	char		msg[ATOM_ERRMSG_SIZE];

	if (st == SAX_TEXT_OK)
		return true;
	set_error(p, st == SAX_TEXT_OOM ? ATOM_ERR_OOM : ATOM_ERR_LIMIT, true, "%s",
			  sax_text_message(st, &p->pool, "entry", msg, sizeof(msg)));
	return false;
}

/* Start collecting the text of the element just pushed on the stack. */
static void
begin_capture(AtomParser *p)
{
	sax_text_begin(&p->pool, p->depth - 1);
}

static void
append_text(AtomParser *p, const char *s, size_t n)
{
	(void) text_ok(p, sax_text_append(&p->pool, s, n));
}

/* Finish the capture: its pool offset, or NO_STR after an error. */
static size_t
end_capture(AtomParser *p)
{
	size_t		off;

	return text_ok(p, sax_text_end(&p->pool, &off)) ? off : NO_STR;
}

/* Capture a whole attribute value; its pool offset, or NO_STR. */
static size_t
capture_attribute(AtomParser *p, const xmlChar *value, const xmlChar *end)
{
	/* after an error libxml2 may have freed what value points into */
	if (p->status != ATOM_OK)
		return NO_STR;
	p->pool.cap_start = p->pool.len;
	p->pool.cap_space = false;
	if (!text_ok(p, sax_text_append_attribute(&p->pool, (const char *) value,
											  (const char *) end)))
		return NO_STR;
	return end_capture(p);
}

static bool
attribute_equals(const xmlChar *value, const xmlChar *end, const char *s)
{
	size_t		len = strlen(s);

	return (size_t) (end - value) == len && memcmp(value, s, len) == 0;
}

/* Reset the per-entry state at <entry>; the buffers are kept. */
static void
begin_entry(AtomParser *p)
{
	int			i;

	p->pool.len = 0;
	for (i = 0; i < NUM_ENTRY_FIELDS; i++)
		p->fields[i] = NO_STR;
	p->nauthors = 0;
	p->naffs = 0;
	p->ncats = 0;
}

/*
 * <link>: rel="alternate" (the default when rel is absent, RFC 4287
 * 4.2.7.2) is the abstract page, title="pdf" the PDF.  Other links, such as
 * the DOI link, are ignored.  The first of each kind wins.
 */
static void
handle_link(AtomParser *p, int nb_attributes, const xmlChar **attributes)
{
	const xmlChar *href;
	const xmlChar *href_end;
	const xmlChar *v;
	const xmlChar *v_end;
	EntryField	field;

	if (!sax_find_attribute(nb_attributes, attributes, "href", &href, &href_end))
		return;

	if (sax_find_attribute(nb_attributes, attributes, "title", &v, &v_end) &&
		attribute_equals(v, v_end, "pdf"))
		field = F_PDF_URL;
	else if (!sax_find_attribute(nb_attributes, attributes, "rel", &v, &v_end) ||
			 attribute_equals(v, v_end, "alternate"))
		field = F_ABS_URL;
	else
		return;

	if (p->fields[field] == NO_STR)
		p->fields[field] = capture_attribute(p, href, href_end);
}

/* <category term=...>, in document order. */
static void
handle_category(AtomParser *p, int nb_attributes, const xmlChar **attributes)
{
	const xmlChar *term;
	const xmlChar *term_end;
	size_t		off;
	size_t	   *cats;

	if (!sax_find_attribute(nb_attributes, attributes, "term", &term, &term_end))
		return;
	if (p->ncats >= ATOM_MAX_CATEGORIES)
	{
		set_error(p, ATOM_ERR_LIMIT, true,
				  "entry has more than %d categories", ATOM_MAX_CATEGORIES);
		return;
	}
	cats = sax_grow_array(p->cats, &p->maxcats, p->ncats + 1, sizeof(size_t));
	if (cats == NULL)
	{
		set_error(p, ATOM_ERR_OOM, true, "out of memory");
		return;
	}
	p->cats = cats;

	off = capture_attribute(p, term, term_end);
	if (off != NO_STR)
		p->cats[p->ncats++] = off;
}

/* <arxiv:primary_category term=...>; the first one wins. */
static void
handle_primary_category(AtomParser *p, int nb_attributes,
						const xmlChar **attributes)
{
	const xmlChar *term;
	const xmlChar *term_end;

	if (p->fields[F_PRIMARY_CATEGORY] == NO_STR &&
		sax_find_attribute(nb_attributes, attributes, "term", &term, &term_end))
		p->fields[F_PRIMARY_CATEGORY] = capture_attribute(p, term, term_end);
}

/* <author>: open a new author record. */
static void
begin_author(AtomParser *p)
{
	AuthorRec  *authors;

	if (p->nauthors >= ATOM_MAX_AUTHORS)
	{
		set_error(p, ATOM_ERR_LIMIT, true,
				  "entry has more than %d authors", ATOM_MAX_AUTHORS);
		return;
	}
	authors = sax_grow_array(p->authors, &p->maxauthors, p->nauthors + 1,
						 sizeof(AuthorRec));
	if (authors == NULL)
	{
		set_error(p, ATOM_ERR_OOM, true, "out of memory");
		return;
	}
	p->authors = authors;
	p->authors[p->nauthors].name = NO_STR;
	p->authors[p->nauthors].first_aff = p->naffs;
	p->authors[p->nauthors].naffs = 0;
	p->nauthors++;
}

/*
 * <arxiv:affiliation> ends: add it to the current author.  An author's
 * affiliations are contiguous in affs because they are only ever appended
 * while that author is open.
 */
static void
add_affiliation(AtomParser *p, size_t off)
{
	AuthorRec  *author = &p->authors[p->nauthors - 1];
	size_t	   *affs;

	if (author->naffs >= ATOM_MAX_AFFILIATIONS)
	{
		set_error(p, ATOM_ERR_LIMIT, true,
				  "author has more than %d affiliations",
				  ATOM_MAX_AFFILIATIONS);
		return;
	}
	affs = sax_grow_array(p->affs, &p->maxaffs, p->naffs + 1, sizeof(size_t));
	if (affs == NULL)
	{
		set_error(p, ATOM_ERR_OOM, true, "out of memory");
		return;
	}
	p->affs = affs;
	p->affs[p->naffs++] = off;
	author->naffs++;
}

/*
 * The elements the parser extracts, as children of which parent, in which
 * namespace; field says which field of the entry a text element fills.
 */
typedef struct ChildRule
{
	ElemKind	parent;
	const char *ns;
	const char *name;
	ElemKind	kind;
	EntryField	field;			/* for EK_ENTRY_FIELD, else NUM_ENTRY_FIELDS */
} ChildRule;

static const ChildRule child_rules[] = {
	{EK_FEED, ATOM_NS, "entry", EK_ENTRY, NUM_ENTRY_FIELDS},
	{EK_FEED, ATOM_NS, "title", EK_FEED_TITLE, NUM_ENTRY_FIELDS},
	{EK_FEED, OPENSEARCH_NS, "totalResults", EK_TOTAL_RESULTS, NUM_ENTRY_FIELDS},
	{EK_FEED, OPENSEARCH_NS, "startIndex", EK_START_INDEX, NUM_ENTRY_FIELDS},
	{EK_FEED, OPENSEARCH_NS, "itemsPerPage", EK_ITEMS_PER_PAGE, NUM_ENTRY_FIELDS},
	{EK_ENTRY, ATOM_NS, "author", EK_AUTHOR, NUM_ENTRY_FIELDS},
	{EK_ENTRY, ATOM_NS, "id", EK_ENTRY_FIELD, F_ID},
	{EK_ENTRY, ATOM_NS, "title", EK_ENTRY_FIELD, F_TITLE},
	{EK_ENTRY, ATOM_NS, "summary", EK_ENTRY_FIELD, F_SUMMARY},
	{EK_ENTRY, ATOM_NS, "published", EK_ENTRY_FIELD, F_PUBLISHED},
	{EK_ENTRY, ATOM_NS, "updated", EK_ENTRY_FIELD, F_UPDATED},
	{EK_ENTRY, ARXIV_NS, "comment", EK_ENTRY_FIELD, F_COMMENT},
	{EK_ENTRY, ARXIV_NS, "journal_ref", EK_ENTRY_FIELD, F_JOURNAL_REF},
	{EK_ENTRY, ARXIV_NS, "doi", EK_ENTRY_FIELD, F_DOI},
	{EK_AUTHOR, ATOM_NS, "name", EK_AUTHOR_NAME, NUM_ENTRY_FIELDS},
	{EK_AUTHOR, ARXIV_NS, "affiliation", EK_AFFILIATION, NUM_ENTRY_FIELDS},
};

/*
 * Classify a child of an element of kind "parent".  Only the elements in
 * child_rules get a kind of their own; everything else, including children
 * of text fields, is EK_IGNORED, so captures never nest.
 */
static ElemKind
classify_element(ElemKind parent, const char *uri, const char *name,
				 EntryField *field)
{
	if (uri == NULL)
		return EK_IGNORED;
	for (size_t i = 0; i < sizeof(child_rules) / sizeof(child_rules[0]); i++)
	{
		const ChildRule *r = &child_rules[i];

		if (r->parent == parent && strcmp(name, r->name) == 0 &&
			strcmp(uri, r->ns) == 0)
		{
			if (r->kind == EK_ENTRY_FIELD)
				*field = r->field;
			return r->kind;
		}
	}
	return EK_IGNORED;
}

/*
 * Empty elements that carry their data in attributes.  They are handled
 * entirely at the start tag and their subtree is ignored.
 */
static void
handle_attribute_element(AtomParser *p, const char *uri, const char *name,
						 int nb_attributes, const xmlChar **attributes)
{
	if (strcmp(uri, ATOM_NS) == 0)
	{
		if (strcmp(name, "link") == 0)
			handle_link(p, nb_attributes, attributes);
		else if (strcmp(name, "category") == 0)
			handle_category(p, nb_attributes, attributes);
	}
	else if (strcmp(uri, ARXIV_NS) == 0 &&
			 strcmp(name, "primary_category") == 0)
		handle_primary_category(p, nb_attributes, attributes);
}

/*
 * The root element is not an Atom feed (an "Access Denied" page, RSS, ...).
 * libxml2 reports a root start tag even when the document ends inside it,
 * so the verdict waits for the next SAX event, which proves the tag was
 * complete: "<fe" cut off at the end is then reported as the truncated XML
 * it is, not as an element named "fe".
 */
static void
reject_root(AtomParser *p)
{
	set_error(p, ATOM_ERR_NOT_ATOM, true, "%s", p->bad_root_msg);
}

/*
 * Check the root element.  Anything but an Atom <feed> is remembered for
 * reject_root, and the rest of the document is ignored.
 */
static bool
accept_root(AtomParser *p, const char *nsuri, const char *name)
{
	if (nsuri != NULL && strcmp(nsuri, ATOM_NS) == 0 &&
		strcmp(name, "feed") == 0)
		return true;

	p->bad_root = true;
	snprintf(p->bad_root_msg, sizeof(p->bad_root_msg),
			 "root element is \"%.64s\"%s%.80s%s, not an Atom feed",
			 name,
			 nsuri ? " in namespace \"" : "",
			 nsuri ? nsuri : "",
			 nsuri ? "\"" : "");
	return false;
}

/* Act on the start of an element just pushed with the given kind. */
static void
begin_element(AtomParser *p, ElemKind kind, EntryField field)
{
	switch (kind)
	{
		case EK_ENTRY:
			begin_entry(p);
			break;
		case EK_ENTRY_FIELD:
			/* the first occurrence of a field wins */
			if (p->fields[field] == NO_STR)
				begin_capture(p);
			break;
		case EK_AUTHOR:
			begin_author(p);
			break;
		case EK_AUTHOR_NAME:
			if (p->authors[p->nauthors - 1].name == NO_STR)
				begin_capture(p);
			break;
		case EK_FEED_TITLE:
			if (p->info.title == NULL)
				begin_capture(p);
			break;
		case EK_TOTAL_RESULTS:
		case EK_START_INDEX:
		case EK_ITEMS_PER_PAGE:
		case EK_AFFILIATION:
			begin_capture(p);
			break;
		case EK_IGNORED:
		case EK_FEED:
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
	AtomParser *p = (AtomParser *) ctx;
	const char *name = (const char *) localname;
	const char *nsuri = (const char *) uri;
	EntryField	field = F_ID;
	ElemKind	kind;

	(void) prefix;
	(void) nb_namespaces;
	(void) namespaces;
	(void) nb_defaulted;

	if (p->status != ATOM_OK)
		return;
	if (p->bad_root)
	{
		reject_root(p);
		return;
	}
	if (p->depth >= ATOM_MAX_DEPTH)
	{
		set_error(p, ATOM_ERR_LIMIT, true,
				  "elements are nested more than %d levels deep",
				  ATOM_MAX_DEPTH);
		return;
	}

	if (p->depth == 0)
	{
		if (!accept_root(p, nsuri, name))
			return;
		kind = EK_FEED;
	}
	else
	{
		ElemKind	parent = (ElemKind) p->stack[p->depth - 1].kind;

		kind = classify_element(parent, nsuri, name, &field);
		if (kind == EK_IGNORED && parent == EK_ENTRY && nsuri != NULL)
			handle_attribute_element(p, nsuri, name,
									 nb_attributes, attributes);
	}

	p->stack[p->depth].kind = (unsigned char) kind;
	p->stack[p->depth].field = (unsigned char) field;
	p->depth++;
	begin_element(p, kind, field);
}

/* malloc'd copy of a string (strdup is POSIX, not C99); NULL if no memory */
static char *
copy_string(const char *s)
{
	size_t		len = strlen(s) + 1;
	char	   *copy = malloc(len);

	if (copy != NULL)
		memcpy(copy, s, len);
	return copy;
}

/* Parse an opensearch number; -1 if it is not a plain decimal integer. */
static long
parse_count(const char *s)
{
	char	   *end;
	long		val;

	if (*s == '\0')
		return -1;
	errno = 0;
	val = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	return val;
}

/*
 * Feed-level text is copied out of the pool (which belongs to the entries)
 * and the pool is rolled back.
 */
static void
end_feed_field(AtomParser *p, ElemKind kind, size_t off)
{
	const char *s = p->pool.data + off;

	switch (kind)
	{
		case EK_FEED_TITLE:
			p->info.title = copy_string(s);
			if (p->info.title == NULL)
				set_error(p, ATOM_ERR_OOM, true, "out of memory");
			break;
		case EK_TOTAL_RESULTS:
			if (p->info.total_results < 0)
				p->info.total_results = parse_count(s);
			break;
		case EK_START_INDEX:
			if (p->info.start_index < 0)
				p->info.start_index = parse_count(s);
			break;
		case EK_ITEMS_PER_PAGE:
			if (p->info.items_per_page < 0)
				p->info.items_per_page = parse_count(s);
			break;
		default:
			break;
	}
	p->pool.len = off;
}

/* A captured element ended: store its text where it belongs. */
static void
end_capture_element(AtomParser *p, const ElemFrame *frame)
{
	size_t		off = end_capture(p);

	if (off == NO_STR)
		return;

	switch ((ElemKind) frame->kind)
	{
		case EK_ENTRY_FIELD:
			p->fields[frame->field] = off;
			break;
		case EK_AUTHOR_NAME:
			p->authors[p->nauthors - 1].name = off;
			break;
		case EK_AFFILIATION:
			add_affiliation(p, off);
			break;
		default:
			end_feed_field(p, (ElemKind) frame->kind, off);
			break;
	}
}

#define POOL_STR(p, off) ((off) == NO_STR ? NULL : (p)->pool.data + (off))

/*
 * Turn the offsets of the finished entry into the pointer view handed to
 * the callback.  Must run after the last pool append of the entry, since
 * appending may move the pool.
 */
static bool
build_entry(AtomParser *p)
{
	AtomEntry  *e = &p->entry;
	void	   *tmp;
	int			i;

	if ((tmp = sax_grow_array(p->out_authors, &p->max_out_authors, p->nauthors,
						  sizeof(AtomAuthor))) == NULL)
		return false;
	p->out_authors = tmp;
	if ((tmp = sax_grow_array(p->out_affs, &p->max_out_affs, p->naffs,
						  sizeof(char *))) == NULL)
		return false;
	p->out_affs = tmp;
	if ((tmp = sax_grow_array(p->out_cats, &p->max_out_cats, p->ncats,
						  sizeof(char *))) == NULL)
		return false;
	p->out_cats = tmp;

	e->id_url = POOL_STR(p, p->fields[F_ID]);
	e->title = POOL_STR(p, p->fields[F_TITLE]);
	e->summary = POOL_STR(p, p->fields[F_SUMMARY]);
	e->published = POOL_STR(p, p->fields[F_PUBLISHED]);
	e->updated = POOL_STR(p, p->fields[F_UPDATED]);
	e->comment = POOL_STR(p, p->fields[F_COMMENT]);
	e->journal_ref = POOL_STR(p, p->fields[F_JOURNAL_REF]);
	e->doi = POOL_STR(p, p->fields[F_DOI]);
	e->primary_category = POOL_STR(p, p->fields[F_PRIMARY_CATEGORY]);
	e->abs_url = POOL_STR(p, p->fields[F_ABS_URL]);
	e->pdf_url = POOL_STR(p, p->fields[F_PDF_URL]);

	for (i = 0; i < p->naffs; i++)
		p->out_affs[i] = p->pool.data + p->affs[i];
	for (i = 0; i < p->nauthors; i++)
	{
		const AuthorRec *a = &p->authors[i];

		p->out_authors[i].name = POOL_STR(p, a->name);
		p->out_authors[i].affiliations =
			a->naffs > 0 ? p->out_affs + a->first_aff : NULL;
		p->out_authors[i].naffiliations = a->naffs;
	}
	e->authors = p->nauthors > 0 ? p->out_authors : NULL;
	e->nauthors = p->nauthors;

	for (i = 0; i < p->ncats; i++)
		p->out_cats[i] = p->pool.data + p->cats[i];
	e->categories = p->ncats > 0 ? p->out_cats : NULL;
	e->ncategories = p->ncats;
	return true;
}

static bool
has_prefix(const char *s, const char *prefix)
{
	return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * arXiv reports a failed request as a feed with one pseudo-entry, with
 * either HTTP 400 or 200, so it has to be recognised by content.  Both
 * backends use an id under /api/errors; the title/author test is a fallback
 * in case that ever changes.
 */
static bool
is_error_entry(const AtomEntry *e)
{
	if (has_prefix(e->id_url, "http://arxiv.org/api/errors") ||
		has_prefix(e->id_url, "https://arxiv.org/api/errors") ||
		has_prefix(e->id_url, "http://export.arxiv.org/api/errors") ||
		has_prefix(e->id_url, "https://export.arxiv.org/api/errors"))
		return true;

	return e->title != NULL && strcmp(e->title, "Error") == 0 &&
		e->nauthors == 1 && e->authors[0].name != NULL &&
		strcmp(e->authors[0].name, "arXiv api core") == 0;
}

/* </entry>: report the error pseudo-entry, or hand the entry over. */
static void
end_entry(AtomParser *p)
{
	const AtomEntry *e = &p->entry;

	if (!build_entry(p))
	{
		set_error(p, ATOM_ERR_OOM, true, "out of memory");
		return;
	}

	if (is_error_entry(e))
	{
		p->info.is_error = true;
		if (p->info.error_message == NULL)
		{
			const char *msg = e->summary ? e->summary :
				e->title ? e->title : "unknown arXiv API error";

			p->info.error_message = copy_string(msg);
			if (p->info.error_message == NULL)
				set_error(p, ATOM_ERR_OOM, true, "out of memory");
		}
		return;
	}

	p->info.nentries++;
	if (p->callback != NULL && p->callback(p->arg, e) != 0)
		set_error(p, ATOM_ERR_CALLBACK, true,
				  "entry callback stopped the parse");
}

static void
sax_end_element(void *ctx, const xmlChar *localname,
				const xmlChar *prefix, const xmlChar *uri)
{
	AtomParser *p = (AtomParser *) ctx;
	const ElemFrame *frame;

	(void) localname;
	(void) prefix;
	(void) uri;

	if (p->status != ATOM_OK)
		return;
	if (p->bad_root)
	{
		reject_root(p);
		return;
	}
	/* libxml2 checks that end tags match; this test is just defensive */
	if (p->depth <= 0)
		return;

	p->depth--;
	frame = &p->stack[p->depth];

	if (p->pool.capturing && p->pool.cap_depth == p->depth)
		end_capture_element(p, frame);
	else if (frame->kind == EK_ENTRY)
		end_entry(p);
	else if (frame->kind == EK_FEED)
		p->root_closed = true;
}

static void
sax_characters(void *ctx, const xmlChar *ch, int len)
{
	AtomParser *p = (AtomParser *) ctx;

	if (!p->pool.capturing)
	{
		/* text outside the fields we extract is skipped */
		if (p->bad_root && p->status == ATOM_OK)
			reject_root(p);
		return;
	}
	if (p->status == ATOM_OK && len > 0)
		append_text(p, (const char *) ch, (size_t) len);
}

/* A declared encoding other than UTF-8 is refused (see sax_common.c). */
static void
sax_start_document(void *ctx)
{
	AtomParser *p = (AtomParser *) ctx;
	const char *encoding = sax_foreign_encoding(p->ctxt);

	if (encoding != NULL)
		set_error(p, ATOM_ERR_XML, true,
				  "document declares encoding \"%s\", but arXiv's feeds are UTF-8",
				  encoding);
}

/*
 * Any DOCTYPE is refused.  libxml2 calls this as soon as it has read the
 * DOCTYPE's name, before the internal subset, so no declaration is ever
 * processed.  An HTML DOCTYPE gets ATOM_ERR_NOT_ATOM rather than
 * ATOM_ERR_FORBIDDEN: it is how the "Access Denied" pages of proxies and
 * CDNs begin, and saying so is the more useful diagnosis.
 */
static void
sax_internal_subset(void *ctx, const xmlChar *name,
					const xmlChar *external_id, const xmlChar *system_id)
{
	AtomParser *p = (AtomParser *) ctx;

	(void) external_id;
	(void) system_id;
	if (sax_is_html_doctype(name))
		set_error(p, ATOM_ERR_NOT_ATOM, true,
				  "document is HTML (DOCTYPE \"%s\"), not an Atom feed",
				  (const char *) name);
	else
		set_error(p, ATOM_ERR_FORBIDDEN, true,
				  "DOCTYPE declarations are not allowed in an Atom feed");
}

/* Unreachable while DOCTYPEs are refused; kept as a second line of defence. */
static void
sax_entity_decl(void *ctx, const xmlChar *name, int type,
				const xmlChar *public_id, const xmlChar *system_id,
				xmlChar *content)
{
	AtomParser *p = (AtomParser *) ctx;

	(void) name;
	(void) type;
	(void) public_id;
	(void) system_id;
	(void) content;
	set_error(p, ATOM_ERR_FORBIDDEN, true,
			  "entity declarations are not allowed in an Atom feed");
}

/*
 * libxml2's structured error handler for this context.  Warnings are
 * ignored; the first error becomes the parser's status and message.
 * libxml2 disables SAX itself after a fatal error, and our callbacks ignore
 * events once a status is set, so the parser is not stopped from here.
 */
static void
sax_structured_error(void *ctx, SAX_XMLERROR_CONST xmlError *error)
{
	AtomParser *p = (AtomParser *) ctx;
	char		msg[ATOM_ERRMSG_SIZE];

	if (p != NULL && sax_error_message(error, msg, sizeof(msg)))
		set_error(p, ATOM_ERR_XML, false, "%s", msg);
}

/*
 * Create a parser.  Returns NULL only when out of memory.  The callback
 * may be NULL (entries are then only counted).
 */
AtomParser *
atom_parser_create(AtomEntryCallback callback, void *arg)
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
	AtomParser *p;

	p = calloc(1, sizeof(AtomParser));
	if (p == NULL)
		return NULL;
	p->callback = callback;
	p->arg = arg;
	p->status = ATOM_OK;
	p->pool.max_bytes = ATOM_MAX_ENTRY_BYTES;
	p->pool.max_string = ATOM_MAX_FIELD_BYTES;
	p->info.total_results = -1;
	p->info.start_index = -1;
	p->info.items_per_page = -1;

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
parse_chunk(AtomParser *p, const char *data, int len, int terminate)
{
	char		msg[ATOM_ERRMSG_SIZE];

	/* errors that bypassed sax_structured_error show in the return code */
	if (sax_parse_chunk(p->ctxt, data, len, terminate, msg, sizeof(msg)) !=
		XML_ERR_OK && p->status == ATOM_OK)
		set_error(p, ATOM_ERR_XML, false, "%s", msg);
}

/*
 * Push the next piece of the response.  Chunks may split the document
 * anywhere.  Entries completed by this piece are passed to the callback
 * before it returns.
 */
AtomStatus
atom_parser_feed(AtomParser *parser, const char *data, size_t len)
{
	if (parser == NULL)
		return ATOM_ERR_OOM;
	if (parser->status != ATOM_OK)
		return parser->status;
	if (parser->finished)
		return set_error(parser, ATOM_ERR_XML, false,
						 "data after the end of the document");
	if (data == NULL && len > 0)
		return set_error(parser, ATOM_ERR_XML, false, "no data buffer");

	while (len > 0 && parser->status == ATOM_OK)
	{
		int			n = len > SAX_MAX_CHUNK ? SAX_MAX_CHUNK : (int) len;

		parse_chunk(parser, data, n, 0);
		data += n;
		len -= (size_t) n;
	}
	return parser->status;
}

/*
 * Signal the end of the response.  A document that is blank, truncated or
 * otherwise incomplete fails here even if every piece so far was fine.
 */
AtomStatus
atom_parser_finish(AtomParser *parser)
{
	if (parser == NULL)
		return ATOM_ERR_OOM;
	if (parser->status != ATOM_OK || parser->finished)
		return parser->status;

	parser->finished = true;
	parse_chunk(parser, NULL, 0, 1);

	/* a complete document whose root is not Atom: "<html/>" */
	if (parser->status == ATOM_OK && parser->bad_root)
		reject_root(parser);
	/* libxml2 should have complained already; don't depend on it */
	if (parser->status == ATOM_OK && !parser->root_closed)
		set_error(parser, ATOM_ERR_XML, false,
				  "document ended before the end of the Atom feed");
	return parser->status;
}

/* Feed-level information; valid until atom_parser_free. */
const AtomFeedInfo *
atom_parser_info(const AtomParser *parser)
{
	return parser ? &parser->info : NULL;
}

/* Message for the current status; "" while the status is ATOM_OK. */
const char *
atom_parser_errmsg(const AtomParser *parser)
{
	return parser ? parser->errmsg : "out of memory";
}

/*
 * Free the parser and everything it owns.  Safe at any point (mid-parse,
 * after an error, NULL), except from inside the entry callback.
 */
void
atom_parser_free(AtomParser *parser)
{
	if (parser == NULL)
		return;
	if (parser->ctxt != NULL)
		xmlFreeParserCtxt(parser->ctxt);
	free(parser->pool.data);
	free(parser->authors);
	free(parser->affs);
	free(parser->cats);
	free(parser->out_authors);
	free(parser->out_affs);
	free(parser->out_cats);
	free(parser->info.title);
	free(parser->info.error_message);
	free(parser);
}

/*
 * Split "http(s)://<host>/abs/<id>[v<N>]" into id and version.  Any host is
 * accepted (arxiv.org, export.arxiv.org, a mock server); the path must be
 * exactly /abs/ followed by a well-formed id.
 */
bool
atom_split_id(const char *id_url, char *idbuf, size_t idbufsz, int *version)
{
	const char *s;
	const char *slash;
	const char *id;
	size_t		idlen;
	int			ver = 0;

	if (version != NULL)
		*version = 0;
	if (idbuf != NULL && idbufsz > 0)
		idbuf[0] = '\0';
	if (id_url == NULL || idbuf == NULL)
		return false;

	if (strncmp(id_url, "http://", 7) == 0)
		s = id_url + 7;
	else if (strncmp(id_url, "https://", 8) == 0)
		s = id_url + 8;
	else
		return false;

	slash = strchr(s, '/');
	if (slash == NULL || slash == s || strncmp(slash, "/abs/", 5) != 0)
		return false;

	id = slash + 5;
	idlen = arxiv_id_scan(id);
	if (idlen == 0)
		return false;

	s = id + idlen;
	if (*s == 'v')
	{
		size_t		vlen = arxiv_id_scan_version(s, &ver);

		if (vlen == 0)
			return false;
		s += vlen;
	}
	if (*s != '\0' || idlen >= idbufsz)
		return false;

	memcpy(idbuf, id, idlen);
	idbuf[idlen] = '\0';
	if (version != NULL)
		*version = ver;
	return true;
}
