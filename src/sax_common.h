/*-------------------------------------------------------------------------
 *
 * sax_common.h
 *	  The libxml2 SAX2 push-parser setup shared by the Atom parser (atom.c)
 *	  and the OAI-PMH parser (oai.c).
 *
 * Like those two files, this module includes no PostgreSQL header and
 * never longjmps.  It holds what is the same in both: the hardened parser
 * context, the capture of libxml2's error messages, the lookup of an
 * attribute in SAX2's array, the recognition of an HTML DOCTYPE, and the
 * text pool both keep their strings in.  What each parser does with an
 * event, and which status an error becomes, stays with the parser.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ARXIV_SAX_COMMON_H
#define ARXIV_SAX_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlversion.h>

/* libxml2 2.12 made the structured error handler take a const pointer */
#if LIBXML_VERSION >= 21200
#define SAX_XMLERROR_CONST const
#else
#define SAX_XMLERROR_CONST
#endif

/* room for one error message, as the parsers keep it */
#define SAX_ERRMSG_SIZE			256

/* xmlParseChunk takes an int length; larger inputs are passed in pieces */
#define SAX_MAX_CHUNK			(1024 * 1024 * 1024)

/*
 * The handlers a parser supplies.  start_document is where the declared
 * encoding must be checked (see sax_foreign_encoding).  characters also
 * receives CDATA and
 * whitespace-only text (which may separate words); internal_subset is
 * where a DOCTYPE must be refused, and entity_decl is a second line of
 * defence behind it.
 */
typedef struct SaxHandlers
{
	startElementNsSAX2Func start_element;
	endElementNsSAX2Func end_element;
	charactersSAXFunc characters;
	startDocumentSAXFunc start_document;
	internalSubsetSAXFunc internal_subset;
	entityDeclSAXFunc entity_decl;
	xmlStructuredErrorFunc structured_error;
} SaxHandlers;

/*
 * A parser's text: NUL-terminated strings in one buffer that grows (so
 * strings are kept as offsets), each bounded, and the capture being
 * filled.  Text is appended with every run of XML whitespace collapsed into
 * one space, leading and trailing whitespace dropped, whatever the pieces.
 */
typedef struct SaxTextPool
{
	char	   *data;
	size_t		len;
	size_t		cap;
	size_t		max_bytes;		/* bound on len: one entry's or record's text */
	size_t		max_string;		/* bound on one string */
	bool		capturing;
	int			cap_depth;		/* stack index of the capturing element */
	size_t		cap_start;		/* where its text starts */
	bool		cap_space;		/* whitespace seen since the last character */
} SaxTextPool;

typedef enum SaxTextStatus
{
	SAX_TEXT_OK,
	SAX_TEXT_POOL_FULL,			/* more than max_bytes */
	SAX_TEXT_STRING_TOO_LONG,	/* a string of more than max_string */
	SAX_TEXT_OOM
} SaxTextStatus;

extern SaxTextStatus sax_text_reserve(SaxTextPool *pool, size_t extra);
extern void sax_text_begin(SaxTextPool *pool, int depth);
extern SaxTextStatus sax_text_append(SaxTextPool *pool, const char *s, size_t n);
extern SaxTextStatus sax_text_append_attribute(SaxTextPool *pool,
											   const char *s, const char *end);
extern SaxTextStatus sax_text_end(SaxTextPool *pool, size_t *offset);
extern const char *sax_text_message(SaxTextStatus st, const SaxTextPool *pool,
									const char *what, char *buf, size_t size);
extern void *sax_grow_array(void *array, int *capacity, int needed,
							size_t elemsize);

extern xmlParserCtxtPtr sax_create_push_parser(const SaxHandlers *handlers,
											   void *user_data);
extern int	sax_parse_chunk(xmlParserCtxtPtr ctxt, const char *data, int len,
							int terminate, char *errmsg, size_t errmsg_size);
extern bool sax_error_message(SAX_XMLERROR_CONST xmlError *error,
							  char *buf, size_t size);
extern bool sax_find_attribute(int nb_attributes, const xmlChar **attributes,
							   const char *name, const xmlChar **value,
							   const xmlChar **end);
extern bool sax_is_html_doctype(const xmlChar *name);
extern const char *sax_foreign_encoding(xmlParserCtxtPtr ctxt);

#endif							/* ARXIV_SAX_COMMON_H */
