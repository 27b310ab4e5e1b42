/*-------------------------------------------------------------------------
 *
 * fuzz_atom.c
 *	  libFuzzer harness for the Atom parser (src/atom.c).
 *
 * The checks live in test/lib/atom_driver.c (atom_fuzz_input), which the
 * unit test also runs on test/fuzz/regressions/atom: each input is parsed
 * in one piece and in pieces whose sizes come from a generator seeded with
 * the input, the two runs must agree, every error must come with a
 * message, and a third run frees the parser halfway through.  Crashes,
 * leaks and undefined behaviour are the sanitizers' job; a broken
 * invariant aborts here.
 *
 * Build and run: make -C test/unit fuzz (see the Makefile there).
 *
 * IDENTIFICATION
 *	  test/fuzz/fuzz_atom.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdlib.h>

#include "../lib/atom_driver.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!atom_fuzz_input((const char *) data, size))
		abort();
	return 0;
}
