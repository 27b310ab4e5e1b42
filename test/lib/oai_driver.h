/*-------------------------------------------------------------------------
 *
 * oai_driver.h
 *	  The one place where tests feed a body to the OAI-PMH parser: the unit
 *	  test (test/unit/test_oai.c) and the fuzzer (test/fuzz/fuzz_oai.c)
 *	  both parse through oai_parse and check the invariants through
 *	  oai_check_input.
 *
 * IDENTIFICATION
 *	  test/lib/oai_driver.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef ARXIV_OAI_DRIVER_H
#define ARXIV_OAI_DRIVER_H

#include "parse_driver.h"
#include "../../src/oai.h"

#define OAI_MAX_KEPT 64

/* What one parse produced, owned; free with oai_result_free. */
typedef struct OaiResult
{
	OaiStatus	status;
	char	   *errmsg;
	int			nrecords;
	int			nsets;
	int			stop_after;		/* callbacks stop after N items (0: never) */
	int			seen;
	Buf			items;			/* dump of records and sets, in order */
	Buf			dump;			/* info, then items: the canonical dump */
	/* copies of a few fields of the first records, for direct checks */
	char	   *ids[OAI_MAX_KEPT];
	char	   *authors[OAI_MAX_KEPT];
	int			nversions[OAI_MAX_KEPT];
	char	   *set_names[OAI_MAX_KEPT];
	OaiResponseInfo info;		/* strings copied */
	OaiRecord	first;			/* scalars of the first record only */
	const char *broken;			/* first invariant broken (static), or NULL */
	size_t		text_bytes;		/* length of all strings delivered */
} OaiResult;

extern const char *oai_status_name(OaiStatus s);
extern void oai_parse(const char *data, size_t len, Chunking chunking,
					  int stop_after, OaiResult *r);
extern void oai_result_free(OaiResult *r);
extern bool oai_check_input(const char *data, size_t len, Chunking chunking,
							int stop_after);
extern bool oai_fuzz_input(const char *data, size_t len);

#endif							/* ARXIV_OAI_DRIVER_H */
