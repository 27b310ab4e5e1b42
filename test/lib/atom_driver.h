/*-------------------------------------------------------------------------
 *
 * atom_driver.h
 *	  The one place where tests feed a body to the Atom parser: the unit
 *	  test (test/unit/test_atom.c) and the fuzzer (test/fuzz/fuzz_atom.c)
 *	  both parse through atom_parse and check the chunking invariants
 *	  through atom_check_input.
 *
 * IDENTIFICATION
 *	  test/lib/atom_driver.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef ARXIV_ATOM_DRIVER_H
#define ARXIV_ATOM_DRIVER_H

#include "parse_driver.h"
#include "../../src/atom.h"

typedef struct CopyAuthor
{
	char	   *name;
	char	  **affs;
	int			naffs;
} CopyAuthor;

/* An AtomEntry copied out of the parser, to outlive the callback. */
typedef struct CopyEntry
{
	char	   *id_url;
	char	   *title;
	char	   *summary;
	char	   *published;
	char	   *updated;
	char	   *comment;
	char	   *journal_ref;
	char	   *doi;
	char	   *primary_category;
	char	   *abs_url;
	char	   *pdf_url;
	CopyAuthor *authors;
	int			nauthors;
	char	  **cats;
	int			ncats;
} CopyEntry;

/* Everything one parse produced, owned; free with atom_result_free. */
typedef struct AtomResult
{
	AtomStatus	status;			/* final status (of finish, or first error) */
	bool		failed_in_feed; /* the error came from atom_parser_feed */
	char	   *errmsg;
	char	   *feed_title;
	long		total_results;
	long		start_index;
	long		items_per_page;
	int			nentries;
	bool		is_error;
	char	   *error_message;
	CopyEntry  *entries;
	int			ncopied;
	int			maxcopied;
	int			stop_after;		/* callback asks to stop after N (0: never) */
	Buf			dump;			/* canonical text of everything above */
} AtomResult;

extern const char *atom_status_name(AtomStatus s);
extern int	atom_collect_entry(void *arg, const AtomEntry *e);
extern void atom_parse(const char *data, size_t len, Chunking chunking,
					   int stop_after, AtomResult *r);
extern void atom_result_free(AtomResult *r);
extern bool atom_check_input(const char *data, size_t len, Chunking chunking,
							 int stop_after);
extern bool atom_fuzz_input(const char *data, size_t len);

#endif							/* ARXIV_ATOM_DRIVER_H */
