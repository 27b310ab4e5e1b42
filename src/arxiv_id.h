/*-------------------------------------------------------------------------
 *
 * arxiv_id.h
 *	  The one grammar of arXiv identifiers, used by the Atom parser (ids of
 *	  entries) and the query builder (ids sent in id_list).
 *
 * New style: YYMM.NNNN for 0704 to 1412, YYMM.NNNNN from 1501, with a month
 * 01-12.  Old style: archive[.SUBJ]/YYMMNNN, archive and subject class
 * letters and inner hyphens (the archive lowercase), e.g. "hep-th/9901001",
 * "math.AP/0301001", "cond-mat.str-el/0101001".  A version is "v" and a
 * number without leading zeros.  Strict on purpose: one malformed id in an
 * id_list makes arXiv fail the whole request, and an id outside the grammar
 * cannot exist.
 *
 * Free of PostgreSQL dependencies, like atom.h and query.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ARXIV_ID_H
#define ARXIV_ID_H

#include <stdbool.h>
#include <stddef.h>

/* versions have at most this many digits (fits an int) */
#define ARXIV_ID_MAX_VERSION_DIGITS 9

/* Length of the well-formed bare id at the start of s, or 0. */
extern size_t arxiv_id_scan(const char *s);

/*
 * Length of the version suffix ("v2") at the start of s, storing its number
 * in *version (if not NULL); 0 if s does not start with a well-formed one.
 */
extern size_t arxiv_id_scan_version(const char *s, int *version);

#endif							/* ARXIV_ID_H */
