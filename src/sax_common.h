/*-------------------------------------------------------------------------
 *
 * sax_common.h
 *	  The libxml2 SAX2 push-parser setup shared by the Atom parser (atom.c)
 *	  and the OAI-PMH parser (oai.c).
 *
 * Like those two files, this module includes no PostgreSQL header and
 * never longjmps.  It holds what is the same in both: the hardened parser
 * context, the capture of libxml2's error messages, the lookup of an
 * attribute in SAX2's array and the recognition of an HTML DOCTYPE.  What each parser does with an event, and which status
 * an error becomes, stays with the parser.
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
