/*
 * fuzz_query.c
 *	  libFuzzer harness for the query builder: the input is split into a
 *	  field selector, a combinator script and values; every value is pushed
 *	  through each leaf constructor and combination, and the rendered query
 *	  must keep its structure (balanced parentheses and quotes) whatever the
 *	  values are.
 */
#include "query.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void *
fz_alloc(void *arg __attribute__((unused)), size_t size)
{
	return malloc(size);
}

static void
fz_free(void *arg __attribute__((unused)), void *ptr)
{
	free(ptr);
}

static void
check_balanced(const char *q)
{
	int			depth = 0;
	int			quoted = 0;

	for (const char *p = q; *p; p++)
	{
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && *p == '(')
			depth++;
		else if (!quoted && *p == ')')
			depth--;
		if (depth < 0)
			abort();
	}
	if (depth != 0 || quoted)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *fields[] = {"ti", "au", "abs", "co", "jr", "all"};
	AqArena    *a;
	AqNode	   *acc;
	char	   *buf;
	char	   *save;
	char	   *tok;
	uint8_t		script = size > 0 ? data[0] : 0;
	const char *why;

	if (size > 4096)
		return 0;
	a = aq_arena_create(fz_alloc, fz_free, NULL);
	buf = malloc(size + 1);
	memcpy(buf, data, size);
	buf[size] = '\0';

	acc = aq_category(a, "cs.OS", false);
	for (tok = strtok_r(size > 0 ? buf + 1 : buf, "\x01", &save); tok;
		 tok = strtok_r(NULL, "\x01", &save))
	{
		AqNode	   *leaf;

		switch (script % 5)
		{
			case 0:
				leaf = aq_words(a, fields[(unsigned char) tok[0] % 6], tok, false);
				break;
			case 1:
				leaf = aq_category(a, tok, script & 8);
				break;
			case 2:
				leaf = aq_raw(a, tok, &why);
				if (leaf == NULL)
					leaf = aq_false(a);
				break;
			case 3:
				leaf = aq_date_range(a, tok, "202601010000", false);
				break;
			default:
				leaf = aq_true(a, script & 16);
				(void) aq_valid_id(tok, script & 32);
				break;
		}
		switch ((script >> 3) % 3)
		{
			case 0:
				acc = aq_and(a, acc, leaf);
				break;
			case 1:
				acc = aq_or(a, acc, leaf);
				break;
			default:
				acc = aq_andnot(a, acc, leaf);
				break;
		}
		script = script * 31 + 7;
	}
	if (acc->kind != AQ_TRUE && acc->kind != AQ_FALSE)
	{
		const char *q = aq_serialize(a, acc);

		check_balanced(q);
		(void) aq_urlencode(a, q);
	}
	free(buf);
	aq_arena_destroy(a);
	return 0;
}
