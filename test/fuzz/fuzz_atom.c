/*-------------------------------------------------------------------------
 *
 * fuzz_atom.c
 *	  libFuzzer harness for the Atom parser (src/atom.c).
 *
 * Each input is parsed twice: in one piece, and in pieces whose sizes come
 * from a generator seeded with the input itself, so every split point
 * (inside tags, entities, UTF-8 sequences) gets exercised.  Besides
 * crashes, leaks and undefined behaviour (the sanitizers' job), the harness
 * checks one property itself: chunking never changes the outcome.  Both
 * runs must give the same status and the same entries, else it aborts.
 * A third run frees the parser halfway through, without finishing.
 *
 * Build and run: make -C test/unit fuzz (see the Makefile there).
 *
 * IDENTIFICATION
 *	  test/fuzz/fuzz_atom.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/atom.h"

typedef struct Dump
{
	char	   *data;
	size_t		len;
	size_t		cap;
	int			stop_after;		/* callback stops after N entries (0: never) */
	int			seen;
} Dump;

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
dump_append(Dump *d, const char *s, size_t n)
{
	if (d->len + n + 1 > d->cap)
	{
		size_t		newcap = d->cap ? d->cap : 1024;

		while (newcap < d->len + n + 1)
			newcap *= 2;
		d->data = realloc(d->data, newcap);
		if (d->data == NULL)
			abort();
		d->cap = newcap;
	}
	memcpy(d->data + d->len, s, n);
	d->len += n;
	d->data[d->len] = '\0';
}

/* Append a field; reading every byte lets ASan check the pointers. */
static void
dump_str(Dump *d, char tag, const char *s)
{
	char		t[2] = {tag, s ? '=' : '-'};

	dump_append(d, t, 2);
	if (s != NULL)
		dump_append(d, s, strlen(s));
	dump_append(d, "\n", 1);
}

static int
collect(void *arg, const AtomEntry *e)
{
	Dump	   *d = arg;
	int			i;
	int			j;

	dump_str(d, 'i', e->id_url);
	dump_str(d, 't', e->title);
	dump_str(d, 's', e->summary);
	dump_str(d, 'p', e->published);
	dump_str(d, 'u', e->updated);
	dump_str(d, 'c', e->comment);
	dump_str(d, 'j', e->journal_ref);
	dump_str(d, 'd', e->doi);
	dump_str(d, 'P', e->primary_category);
	dump_str(d, 'a', e->abs_url);
	dump_str(d, 'f', e->pdf_url);
	for (i = 0; i < e->nauthors; i++)
	{
		dump_str(d, 'A', e->authors[i].name);
		for (j = 0; j < e->authors[i].naffiliations; j++)
			dump_str(d, 'F', e->authors[i].affiliations[j]);
	}
	for (i = 0; i < e->ncategories; i++)
		dump_str(d, 'C', e->categories[i]);

	d->seen++;
	return (d->stop_after > 0 && d->seen >= d->stop_after) ? 1 : 0;
}

/* xorshift32: chunk sizes that are a pure function of the input */
static uint32_t
next_random(uint32_t *state)
{
	uint32_t	x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

/*
 * Parse data, in one piece if seed is 0, else in random pieces of 1 byte up
 * to 4 KiB.  Returns the status; the dump collects entries and feed info.
 */
static AtomStatus
run(const uint8_t *data, size_t size, uint32_t seed, Dump *d)
{
	AtomParser *p = atom_parser_create(collect, d);
	const AtomFeedInfo *info;
	AtomStatus	st = ATOM_OK;
	size_t		off = 0;
	char		line[128];

	if (p == NULL)
		abort();
	while (off < size && st == ATOM_OK)
	{
		size_t		n = size - off;

		if (seed != 0)
		{
			size_t		max = (size_t) 1 << (next_random(&seed) % 13);
			size_t		want = 1 + next_random(&seed) % max;

			if (want < n)
				n = want;
		}
		st = atom_parser_feed(p, (const char *) data + off, n);
		off += n;
	}
	if (st == ATOM_OK)
		st = atom_parser_finish(p);

	info = atom_parser_info(p);
	snprintf(line, sizeof(line), "status=%d n=%d total=%ld start=%ld pp=%ld err=%d\n",
			 (int) st, info->nentries, info->total_results, info->start_index,
			 info->items_per_page, (int) info->is_error);
	dump_append(d, line, strlen(line));
	dump_str(d, 'T', info->title);
	dump_str(d, 'E', info->error_message);
	if (strlen(atom_parser_errmsg(p)) == 0 && st != ATOM_OK)
		abort();				/* every error must come with a message */

	atom_parser_free(p);
	return st;
}

static bool
contains(const uint8_t *data, size_t size, const char *s)
{
	size_t		n = strlen(s);
	size_t		i;

	for (i = 0; i + n <= size; i++)
		if (memcmp(data + i, s, n) == 0)
			return true;
	return false;
}

/*
 * Whether the one-piece and the chunked run agree.  A document accepted by
 * either run must be accepted by both, with identical results.  When both
 * fail, the entries delivered before the error may differ, because
 * libxml2's push parser does not always detect an error at the same byte
 * whatever the chunking; that is not ours to check.
 *
 * One known libxml2 (2.9.x) push-parser bug is tolerated: "]]>" in
 * character data is only flagged when the three bytes arrive in one chunk,
 * so a split one may be accepted.
 */
static bool
same_outcome(const uint8_t *data, size_t size,
			 AtomStatus st1, const Dump *d1, AtomStatus st2, const Dump *d2)
{
	if (st1 != ATOM_OK && st2 != ATOM_OK)
		return true;
	if (st1 != st2)
		return contains(data, size, "]]>");
	return d1->len == d2->len &&
		(d1->len == 0 || memcmp(d1->data, d2->data, d1->len) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Dump		whole = {0};
	Dump		pieces = {0};
	uint32_t	seed = 2166136261u;
	size_t		i;
	AtomStatus	st_whole;
	AtomStatus	st_pieces;

	/* FNV-1a of the input seeds the chunking, and the stop point */
	for (i = 0; i < size; i++)
		seed = (seed ^ data[i]) * 16777619u;
	if (seed == 0)
		seed = 1;
	whole.stop_after = pieces.stop_after = (int) (seed % 8);	/* 0: never */

	st_whole = run(data, size, 0, &whole);
	st_pieces = run(data, size, seed, &pieces);

	if (!same_outcome(data, size, st_whole, &whole, st_pieces, &pieces))
	{
		fprintf(stderr, "chunking changed the result:\n--- whole (%d)\n%s\n--- pieces (%d)\n%s\n",
				(int) st_whole, whole.data ? whole.data : "",
				(int) st_pieces, pieces.data ? pieces.data : "");
		abort();
	}
	free(whole.data);
	free(pieces.data);

	/* abandon a parse halfway: free must release everything */
	{
		AtomParser *p = atom_parser_create(NULL, NULL);

		if (p == NULL)
			abort();
		(void) atom_parser_feed(p, (const char *) data, size / 2);
		atom_parser_free(p);
	}
	return 0;
}
