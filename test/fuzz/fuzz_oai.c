/*-------------------------------------------------------------------------
 *
 * fuzz_oai.c
 *	  libFuzzer harness for the OAI-PMH parser and the arXivRaw helpers
 *	  (src/oai.c).
 *
 * The checks live in test/lib/oai_driver.c (oai_fuzz_input), which the
 * unit test also runs on test/fuzz/regressions/oai: each input is parsed
 * in one piece and in pieces whose sizes come from a generator seeded with
 * the input, and the two runs must agree; every error must come with a
 * message; every author string and version date the parser delivers also
 * goes through oai_split_authors and oai_parse_version_date, whose
 * promises are checked, and so does the input itself; a last run frees
 * the parser halfway through.  A broken invariant aborts here.
 *
 * Build and run: make -C test/unit fuzz (see the Makefile there).
 *
 * IDENTIFICATION
 *	  test/fuzz/fuzz_oai.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdlib.h>

#include "../lib/oai_driver.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!oai_fuzz_input((const char *) data, size))
		abort();
	return 0;
}
