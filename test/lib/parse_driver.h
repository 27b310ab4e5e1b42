/*-------------------------------------------------------------------------
 *
 * parse_driver.h
 *	  What the unit tests and the fuzzers of the streaming parsers share,
 *	  whichever parser they drive: growable text buffers, the schedule of
 *	  piece sizes a document is fed in, and the rule by which a chunked
 *	  parse must agree with a one-piece parse.
 *
 * The parser-specific halves are atom_driver.h and oai_driver.h.  Nothing
 * here knows about PostgreSQL or libxml2.
 *
 * IDENTIFICATION
 *	  test/lib/parse_driver.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef ARXIV_PARSE_DRIVER_H
#define ARXIV_PARSE_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define DRIVER_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define DRIVER_PRINTF(f, a)
#endif

/* A NUL-terminated, growable string; all-zero is empty. */
typedef struct Buf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} Buf;

/* These exit(2) when out of memory: a test cannot go on without memory. */
extern void *xmalloc(size_t n);
extern char *xstrdup(const char *s);
extern void buf_append(Buf *b, const char *s, size_t n);
extern void buf_puts(Buf *b, const char *s);
extern void buf_printf(Buf *b, const char *fmt,...) DRIVER_PRINTF(2, 3);
extern void buf_line(Buf *b, const char *key, const char *sep,
					 const char *val);
extern void buf_repeat(Buf *b, const char *s, size_t times);
extern const char *buf_str(const Buf *b);
extern void buf_free(Buf *b);

/*
 * How a document is cut into pieces for the parser's feed function: all of
 * it at once (both fields 0), pieces of a fixed size, or, when seed is
 * nonzero, pieces of 1 byte to 4 KiB drawn from a generator seeded with
 * it, so that a fuzz input exercises split points inside tags, entities
 * and UTF-8 sequences, yet reproducibly.
 */
typedef struct Chunking
{
	size_t		size;			/* fixed piece size; 0: the whole rest */
	uint32_t	seed;			/* nonzero: random piece sizes */
} Chunking;

#define CHUNK_WHOLE			((Chunking) {0, 0})
#define CHUNK_FIXED(n)		((Chunking) {(n), 0})

extern size_t chunking_next(Chunking *c, size_t left);
extern uint32_t input_seed(const char *data, size_t len);
extern bool outcomes_agree(const char *data, size_t len,
						   bool ok_a, const char *dump_a,
						   bool ok_b, const char *dump_b);

#endif							/* ARXIV_PARSE_DRIVER_H */
