/*-------------------------------------------------------------------------
 *
 * sax_common.c
 *	  The libxml2 SAX2 push-parser setup shared by atom.c and oai.c.
 *
 * The input of both parsers is untrusted.  Entities are never substituted
 * (no XML_PARSE_NOENT), nothing is fetched (XML_PARSE_NONET, no DTD
 * loading), and libxml2's own size limits stay in force (no
 * XML_PARSE_HUGE).  Each parser refuses any DOCTYPE from its
 * internalSubset handler, which is what makes entity-expansion and
 * external-entity attacks fail cleanly instead of merely slowly.
 *
 * libxml2's messages arrive through a structured handler installed on the
 * parser's own context, never the process-wide one (the backend may use
 * libxml2 for the xml type at the same time); the few that bypass it are
 * caught around each call into libxml2 (see sax_parse_chunk).
 *
 * IDENTIFICATION
 *	  src/sax_common.c
 *
 *-------------------------------------------------------------------------
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sax_common.h"

/*
 * Create a push-parser context that sends its events to "handlers" with
 * user_data as their context.  Returns NULL only when out of memory.
 */
xmlParserCtxtPtr
sax_create_push_parser(const SaxHandlers *handlers, void *user_data)
{
	xmlSAXHandler sax;
	xmlParserCtxtPtr ctxt;

	/* libxml2 copies the handler into the context */
	memset(&sax, 0, sizeof(sax));
	sax.initialized = XML_SAX2_MAGIC;
	sax.startElementNs = handlers->start_element;
	sax.endElementNs = handlers->end_element;
	sax.startDocument = handlers->start_document;
	sax.characters = handlers->characters;
	sax.cdataBlock = handlers->characters;
	sax.ignorableWhitespace = handlers->characters;
	sax.internalSubset = handlers->internal_subset;
	sax.entityDecl = handlers->entity_decl;
	sax.serror = handlers->structured_error;

	xmlInitParser();
	ctxt = xmlCreatePushParserCtxt(&sax, user_data, NULL, 0, NULL);
	if (ctxt == NULL)
		return NULL;

	/*
	 * Only NONET: in particular neither NOENT (entity substitution) nor
	 * DTDLOAD/DTDATTR, and not HUGE, so libxml2's own limits stay in force.
	 */
	xmlCtxtUseOptions(ctxt, XML_PARSE_NONET);
	return ctxt;
}

/*
 * The encoding the document's XML declaration names, if it is neither
 * UTF-8 nor its subset US-ASCII; NULL otherwise (also when there is no
 * declaration, which means UTF-8).  Call it from the startDocument
 * handler, which libxml2 calls once the declaration has been read and
 * before any element.
 *
 * arXiv's interfaces send UTF-8, and each parser refuses a document that
 * declares another encoding.  Besides being something arXiv never sends,
 * such a document does not parse reliably: libxml2 2.9's push parser
 * converts the bytes it already holds when it meets the declaration, so
 * whether a stateful encoding (UTF-7, ISO-2022-*) decodes cleanly depends
 * on where the network split the body.  The fuzzer found a body declaring
 * "UT-F7" that parsed whole and failed when fed in pieces.  Refusing the
 * declaration makes the outcome independent of the pieces.
 */
const char *
sax_foreign_encoding(xmlParserCtxtPtr ctxt)
{
	const xmlChar *name = NULL;

	if (ctxt == NULL)
		return NULL;
	if (ctxt->encoding != NULL)
		name = ctxt->encoding;
	else if (ctxt->input != NULL && ctxt->input->encoding != NULL)
		name = ctxt->input->encoding;
	if (name == NULL ||
		xmlStrcasecmp(name, BAD_CAST "UTF-8") == 0 ||
		xmlStrcasecmp(name, BAD_CAST "UTF8") == 0 ||
		xmlStrcasecmp(name, BAD_CAST "US-ASCII") == 0 ||
		xmlStrcasecmp(name, BAD_CAST "ASCII") == 0)
		return NULL;
	return (const char *) name;
}

/* Drop trailing newlines and spaces, which libxml2's messages end with. */
static void
trim_message(char *msg)
{
	size_t		len = strlen(msg);

	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		msg[--len] = '\0';
}

/*
 * libxml2 before 2.12 raises a few errors (input encoding conversion, I/O)
 * without a parser context, so they bypass the structured handler and
 * reach the thread's generic error handler, which prints to stderr: the
 * server log, in a backend.  sax_parse_chunk routes them here instead, for
 * the duration of each call into libxml2, and keeps the first line.
 */
static void generic_error(void *ctx, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

static void
generic_error(void *ctx, const char *fmt,...)
{
	char	   *buf = (char *) ctx;
	size_t		len = strlen(buf);
	char	   *newline;
	va_list		ap;

	if (len + 1 >= SAX_ERRMSG_SIZE || memchr(buf, '\n', len))
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, SAX_ERRMSG_SIZE - len, fmt, ap);
	va_end(ap);
	newline = strchr(buf, '\n');
	if (newline != NULL)
		newline[1] = '\0';
}

/*
 * Pass one piece to libxml2 and return its verdict.  When that is not
 * XML_ERR_OK, errmsg says why in case the structured handler did not: the
 * first line of a context-less error, else libxml2's code.
 */
int
sax_parse_chunk(xmlParserCtxtPtr ctxt, const char *data, int len,
				int terminate, char *errmsg, size_t errmsg_size)
{
	xmlGenericErrorFunc saved_handler = xmlGenericError;
	void	   *saved_context = xmlGenericErrorContext;
	char		generic_msg[SAX_ERRMSG_SIZE];
	int			rc;

	/* nothing in between can longjmp, so the handler is always restored */
	generic_msg[0] = '\0';
	xmlSetGenericErrorFunc(generic_msg, generic_error);
	rc = xmlParseChunk(ctxt, data, len, terminate);
	xmlSetGenericErrorFunc(saved_context, saved_handler);

	if (rc != XML_ERR_OK)
	{
		trim_message(generic_msg);
		if (generic_msg[0] != '\0')
			snprintf(errmsg, errmsg_size, "%s", generic_msg);
		else
			snprintf(errmsg, errmsg_size,
					 "XML parse error (libxml2 code %d)", rc);
	}
	return rc;
}

/*
 * Turn what libxml2 passed to a structured error handler into
 * "line N: message".  Returns false for a warning, which the parsers
 * ignore; they keep the first error as their status.
 */
bool
sax_error_message(SAX_XMLERROR_CONST xmlError *error, char *buf, size_t size)
{
	char		msg[SAX_ERRMSG_SIZE];

	if (error == NULL || error->level < XML_ERR_ERROR)
		return false;

	snprintf(msg, sizeof(msg), "%s",
			 error->message ? error->message : "unknown XML error");
	trim_message(msg);
	snprintf(buf, size, "line %d: %s", error->line, msg);
	return true;
}

/*
 * Find an unqualified attribute by local name in SAX2's attribute array
 * (five pointers per attribute: localname, prefix, URI, value, end).
 */
bool
sax_find_attribute(int nb_attributes, const xmlChar **attributes,
				   const char *name, const xmlChar **value, const xmlChar **end)
{
	int			i;

	for (i = 0; i < nb_attributes; i++)
	{
		const xmlChar **a = attributes + i * 5;

		if (a[2] == NULL && strcmp((const char *) a[0], name) == 0)
		{
			*value = a[3];
			*end = a[4];
			return true;
		}
	}
	return false;
}

/*
 * Whether a DOCTYPE names an HTML document.  It is how the "Access Denied"
 * pages of proxies and CDNs begin, so the parsers report it as "not a
 * feed" rather than as a forbidden DOCTYPE: the more useful diagnosis.
 */
bool
sax_is_html_doctype(const xmlChar *name)
{
	const char *n = (const char *) name;

	return n != NULL && (n[0] == 'h' || n[0] == 'H') &&
		(n[1] == 't' || n[1] == 'T') && (n[2] == 'm' || n[2] == 'M') &&
		(n[3] == 'l' || n[3] == 'L') && n[4] == '\0';
}

/* ---------------------------------------------------------------------
 * The text pool
 * ---------------------------------------------------------------------
 */

/*
 * Grow an array to hold at least "needed" elements, doubling its capacity.
 * Returns the (possibly moved) array, or NULL with the old one intact.
 */
void *
sax_grow_array(void *array, int *capacity, int needed, size_t elemsize)
{
	size_t		newcap;
	void	   *newarray;

	/* allocate even for zero elements, so that NULL always means failure */
	if (needed <= *capacity && array != NULL)
		return array;

	newcap = *capacity > 0 ? (size_t) *capacity : 16;
	while (newcap < (size_t) needed)
		newcap *= 2;
	if (newcap > INT_MAX)
		newcap = INT_MAX;

	newarray = realloc(array, newcap * elemsize);
	if (newarray == NULL)
		return NULL;
	*capacity = (int) newcap;
	return newarray;
}

/*
 * Make room for "extra" more bytes.  The bound on the pool holds whatever
 * the input looks like.
 */
SaxTextStatus
sax_text_reserve(SaxTextPool *pool, size_t extra)
{
	size_t		need;
	size_t		newcap;
	char	   *newdata;

	if (extra > pool->max_bytes || pool->len > pool->max_bytes - extra)
		return SAX_TEXT_POOL_FULL;
	need = pool->len + extra;
	if (need <= pool->cap)
		return SAX_TEXT_OK;

	newcap = pool->cap > 0 ? pool->cap : 4096;
	while (newcap < need)
		newcap *= 2;

	newdata = realloc(pool->data, newcap);
	if (newdata == NULL)
		return SAX_TEXT_OOM;
	pool->data = newdata;
	pool->cap = newcap;
	return SAX_TEXT_OK;
}

/* Start collecting the text of the element at stack index "depth". */
void
sax_text_begin(SaxTextPool *pool, int depth)
{
	pool->capturing = true;
	pool->cap_depth = depth;
	pool->cap_start = pool->len;
	pool->cap_space = false;
}

/*
 * Append text to the capture, collapsing every run of XML whitespace into
 * one space.  Leading whitespace is dropped, and trailing whitespace only
 * ever sets cap_space, so the result comes out trimmed without a second
 * pass.  Piece boundaries don't matter since cap_space carries over.
 */
SaxTextStatus
sax_text_append(SaxTextPool *pool, const char *s, size_t n)
{
	SaxTextStatus st;
	char	   *start;
	char	   *out;

	/* one byte more than n: a pending space may be flushed first */
	if ((st = sax_text_reserve(pool, n + 1)) != SAX_TEXT_OK)
		return st;

	start = pool->data + pool->cap_start;
	out = pool->data + pool->len;
	for (size_t i = 0; i < n; i++)
	{
		char		c = s[i];

		if (c == ' ' || c == '\n' || c == '\t' || c == '\r')
		{
			pool->cap_space = true;
			continue;
		}
		if (pool->cap_space)
		{
			if (out != start)
				*out++ = ' ';
			pool->cap_space = false;
		}
		*out++ = c;
	}
	pool->len = (size_t) (out - pool->data);
	if (pool->len - pool->cap_start > pool->max_string)
		return SAX_TEXT_STRING_TOO_LONG;
	return SAX_TEXT_OK;
}

/*
 * Append an attribute value.  Without entity substitution libxml2's SAX2
 * interface hands "&amp;" and "&#38;" in attribute values over as the five
 * characters "&#38;", expecting the consumer to re-parse them (2.9 through
 * 2.15 at least).  A bare '&' cannot occur in a well-formed attribute
 * value, so every "&#38;" seen here stands for one '&'; a bare '&', should
 * a later libxml2 pass one through, is kept as it is.
 */
SaxTextStatus
sax_text_append_attribute(SaxTextPool *pool, const char *s, const char *end)
{
	SaxTextStatus st = SAX_TEXT_OK;

	while (s < end && st == SAX_TEXT_OK)
	{
		const char *amp = memchr(s, '&', (size_t) (end - s));

		if (amp == NULL)
			return sax_text_append(pool, s, (size_t) (end - s));
		st = sax_text_append(pool, s, (size_t) (amp - s));
		if (st == SAX_TEXT_OK)
			st = sax_text_append(pool, "&", 1);
		if (end - amp >= 5 && memcmp(amp, "&#38;", 5) == 0)
			s = amp + 5;
		else
			s = amp + 1;
	}
	return st;
}

/* Finish the capture: NUL-terminate it; *offset is where it starts. */
SaxTextStatus
sax_text_end(SaxTextPool *pool, size_t *offset)
{
	SaxTextStatus st;

	pool->capturing = false;
	if ((st = sax_text_reserve(pool, 1)) != SAX_TEXT_OK)
		return st;
	pool->data[pool->len++] = '\0';
	*offset = pool->cap_start;
	return SAX_TEXT_OK;
}

/*
 * The message for a failure of the pool: "what" names what its bound is
 * for ("entry", "record").  Returns buf.
 */
const char *
sax_text_message(SaxTextStatus st, const SaxTextPool *pool, const char *what,
				 char *buf, size_t size)
{
	switch (st)
	{
		case SAX_TEXT_OK:
			buf[0] = '\0';
			break;
		case SAX_TEXT_POOL_FULL:
			snprintf(buf, size, "%s text exceeds %zu bytes", what, pool->max_bytes);
			break;
		case SAX_TEXT_STRING_TOO_LONG:
			snprintf(buf, size, "text field exceeds %zu bytes", pool->max_string);
			break;
		case SAX_TEXT_OOM:
			snprintf(buf, size, "out of memory");
			break;
	}
	return buf;
}
