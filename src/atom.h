/*-------------------------------------------------------------------------
 *
 * atom.h
 *	  Streaming parser for arXiv API Atom feeds.
 *
 * This module is deliberately free of PostgreSQL dependencies: it uses
 * malloc/free and never longjmps, so it can be unit-tested and fuzzed as a
 * standalone program.  The backend wraps it (see fetch.c) and frees the
 * parser from a memory-context reset callback when a scan ends in ERROR.
 *
 * Data is pushed in arbitrary chunks (as it arrives from libcurl); every
 * complete <entry> is handed to a callback as soon as its end tag is seen.
 * The strings of an AtomEntry are owned by the parser and valid only during
 * the callback.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ARXIV_ATOM_H
#define ARXIV_ATOM_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Result codes of atom_parser_feed / atom_parser_finish.  The first error is
 * sticky: every later call returns it again, and atom_parser_errmsg says
 * what happened (for ATOM_ERR_XML, libxml2's message and line).  What the
 * failures seen from arXiv come to:
 *	blank body, "Rate exceeded.", JSON, truncated feed	-> ATOM_ERR_XML
 *	well-formed non-Atom root (<html>, RSS, <feed> without the Atom
 *	namespace); HTML that is not well-formed may give ATOM_ERR_XML instead
 *														-> ATOM_ERR_NOT_ATOM
 *	any DOCTYPE (entity expansion, external entities)	-> ATOM_ERR_FORBIDDEN
 *	  except an HTML DOCTYPE (refused as early)			-> ATOM_ERR_NOT_ATOM
 *	nesting over 64 levels, a text field over 4 MiB, one entry's text over
 *	64 MiB, over 100000 authors or 1000 categories per entry, over 1000
 *	affiliations per author								-> ATOM_ERR_LIMIT
 * An arXiv error feed is not a parse error: it parses with ATOM_OK and sets
 * AtomFeedInfo.is_error.
 */
typedef enum AtomStatus
{
	ATOM_OK = 0,
	ATOM_ERR_XML,				/* not well-formed, or truncated at finish */
	ATOM_ERR_NOT_ATOM,			/* well-formed XML, but root is not an Atom feed */
	ATOM_ERR_FORBIDDEN,			/* DOCTYPE/entity declarations are refused */
	ATOM_ERR_LIMIT,				/* nesting depth, field size or count limit */
	ATOM_ERR_CALLBACK,			/* the entry callback asked to stop */
	ATOM_ERR_OOM
} AtomStatus;

typedef struct AtomAuthor
{
	char	   *name;			/* NULL if the author had no <name> */
	char	  **affiliations;
	int			naffiliations;
} AtomAuthor;

/*
 * One <entry>.  Text fields have runs of whitespace collapsed to one space
 * and are trimmed; entities and character references are decoded.  A field
 * absent from the entry is NULL; an empty element gives "".  Where a
 * single-valued element occurs twice, the first one counts.
 */
typedef struct AtomEntry
{
	char	   *id_url;			/* <id>, e.g. http://arxiv.org/abs/2605.09735v1 */
	char	   *title;
	char	   *summary;
	char	   *published;		/* timestamps as sent, e.g. 2026-05-10T20:10:26Z */
	char	   *updated;
	char	   *comment;		/* arxiv:comment */
	char	   *journal_ref;	/* arxiv:journal_ref */
	char	   *doi;			/* arxiv:doi */
	char	   *primary_category;	/* arxiv:primary_category/@term */
	char	   *abs_url;		/* link[@rel=alternate]/@href */
	char	   *pdf_url;		/* link[@title=pdf]/@href */
	AtomAuthor *authors;		/* in document order */
	int			nauthors;
	char	  **categories;		/* category/@term in document order */
	int			ncategories;
} AtomEntry;

/* Feed-level information; numbers are -1 when the element was absent. */
typedef struct AtomFeedInfo
{
	char	   *title;			/* feed <title>: arXiv's echo of the query */
	long		total_results;
	long		start_index;
	long		items_per_page;
	int			nentries;		/* entries passed to the callback so far */
	bool		is_error;		/* an arXiv error feed was recognised */
	char	   *error_message;	/* its <summary> */
} AtomFeedInfo;

/*
 * Return 0 to continue, nonzero to stop parsing (ATOM_ERR_CALLBACK).  The
 * callback is not called for an arXiv error entry, and must not free the
 * parser.
 */
typedef int (*AtomEntryCallback) (void *arg, const AtomEntry *entry);

typedef struct AtomParser AtomParser;

extern AtomParser *atom_parser_create(AtomEntryCallback callback, void *arg);
extern AtomStatus atom_parser_feed(AtomParser *parser, const char *data, size_t len);
extern AtomStatus atom_parser_finish(AtomParser *parser);
extern const AtomFeedInfo *atom_parser_info(const AtomParser *parser);
extern const char *atom_parser_errmsg(const AtomParser *parser);
extern void atom_parser_free(AtomParser *parser);

/*
 * Split an entry id URL ("http://arxiv.org/abs/hep-th/9901001v2") into the
 * bare id ("hep-th/9901001", written to idbuf) and version (2; 0 if the URL
 * carries none).  Returns false if the URL is not an arXiv abstract URL or
 * idbuf is too small.
 */
extern bool atom_split_id(const char *id_url, char *idbuf, size_t idbufsz,
						  int *version);

#endif							/* ARXIV_ATOM_H */
