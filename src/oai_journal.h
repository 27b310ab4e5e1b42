/*-------------------------------------------------------------------------
 *
 * oai_journal.h
 *	  The journal that lets an interrupted OAI-PMH harvest resume (see
 *	  oai_journal.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef ARXIV_OAI_JOURNAL_H
#define ARXIV_OAI_JOURNAL_H

#include <time.h>

typedef struct OaiJournal OaiJournal;

/* what each page carries: the greatest datestamp so far (a DateADT) */
#define OAI_JOURNAL_NO_MARK PG_INT32_MIN

extern OaiJournal *oai_journal_open(const char *first_url, MemoryContext cxt);
extern int	oai_journal_pages(const OaiJournal *j);
extern int32 oai_journal_mark(const OaiJournal *j);
extern time_t oai_journal_started(const OaiJournal *j);
extern bool oai_journal_replay(OaiJournal *j, int page,
							   bool (*feed) (void *arg, const char *data, size_t len),
							   void *arg);
extern bool oai_journal_begin_page(OaiJournal *j);
extern bool oai_journal_write(OaiJournal *j, const char *data, size_t len);
extern void oai_journal_end_page(OaiJournal *j, int32 mark);
extern void oai_journal_remove(OaiJournal *j);

#endif							/* ARXIV_OAI_JOURNAL_H */
