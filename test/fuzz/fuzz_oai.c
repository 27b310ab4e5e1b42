/*-------------------------------------------------------------------------
 *
 * fuzz_oai.c
 *	  libFuzzer harness for the OAI-PMH parser and the arXivRaw helpers
 *	  (src/oai.c).
 *
 * As fuzz_atom.c: each input is parsed in one piece and in pieces whose
 * sizes come from a generator seeded with the input, and the two runs must
 * agree (else abort); a third run frees the parser halfway through.  Every
 * author string and version date the parser delivers also goes through
 * oai_split_authors and oai_parse_version_date, and the input itself is
 * split as an author string, with the splitter's invariants checked:
 * names non-empty, inside the buffer, count within bounds.
 *
 * Build and run: make -C test/unit fuzz (see the Makefile there).
 *
 * IDENTIFICATION
 *	  test/fuzz/fuzz_oai.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/oai.h"

typedef struct Dump
{
	char	   *data;
	size_t		len;
	size_t		cap;
	int			stop_after;		/* callbacks stop after N items (0: never) */
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

static void
dump_str(Dump *d, char tag, const char *s)
{
	char		t[2] = {tag, s ? '=' : '-'};

	dump_append(d, t, 2);
	if (s != NULL)
		dump_append(d, s, strlen(s));
	dump_append(d, "\n", 1);
}

/* Split an author string and check the splitter's promises. */
static void
check_authors(const char *raw, size_t len)
{
	size_t		bufsz = 2 * len + 2;
	char	   *buf = malloc(bufsz);
	OaiAuthorName names[16];
	int			n;
	int			i;

	if (buf == NULL)
		abort();
	n = oai_split_authors(raw, buf, bufsz, names, 16);
	if (n < 0 || (size_t) n > len)
		abort();
	for (i = 0; i < n && i < 16; i++)
	{
		size_t		l = strlen(names[i].name);

		if (l == 0 || names[i].name < buf || names[i].name + l >= buf + bufsz)
			abort();
		if (names[i].affiliation != NULL &&
			(names[i].affiliation < buf ||
			 names[i].affiliation + strlen(names[i].affiliation) >= buf + bufsz))
			abort();
	}
	/* one byte less than the documented size is refused, never overrun */
	if (oai_split_authors(raw, buf, bufsz - 1, names, 16) != -1)
		abort();
	free(buf);
}

static int
collect_record(void *arg, const OaiRecord *r)
{
	Dump	   *d = arg;
	char		line[96];
	int			i;

	dump_str(d, 'I', r->identifier);
	dump_str(d, 'D', r->datestamp);
	dump_str(d, 'i', r->id);
	dump_str(d, 's', r->submitter);
	dump_str(d, 't', r->title);
	dump_str(d, 'a', r->authors);
	dump_str(d, 'c', r->categories);
	dump_str(d, 'm', r->comments);
	dump_str(d, 'p', r->proxy);
	dump_str(d, 'r', r->report_no);
	dump_str(d, 'M', r->msc_class);
	dump_str(d, 'A', r->acm_class);
	dump_str(d, 'j', r->journal_ref);
	dump_str(d, 'o', r->doi);
	dump_str(d, 'l', r->license);
	dump_str(d, 'b', r->abstract);
	dump_str(d, 'C', r->created);
	dump_str(d, 'U', r->updated);
	snprintf(line, sizeof(line), "del=%d fmt=%d\n", (int) r->deleted, (int) r->format);
	dump_append(d, line, strlen(line));
	for (i = 0; i < r->nset_specs; i++)
		dump_str(d, 'S', r->set_specs[i]);
	for (i = 0; i < r->ncategories; i++)
	{
		if (r->category_list[i][0] == '\0' || strchr(r->category_list[i], ' '))
			abort();
		dump_str(d, 'K', r->category_list[i]);
	}
	for (i = 0; i < r->nversions; i++)
	{
		const OaiVersion *v = &r->versions[i];
		int64_t		t;

		dump_str(d, 'V', v->label);
		dump_str(d, 'T', v->date);
		dump_str(d, 'Z', v->size);
		dump_str(d, 'Y', v->source_type);
		snprintf(line, sizeof(line), "n=%d ok=%d t=%lld kb=%ld\n", v->number,
				 (int) v->date_valid, (long long) v->date_unix, v->size_kb);
		dump_append(d, line, strlen(line));
		if (v->date != NULL &&
			oai_parse_version_date(v->date, &t) != v->date_valid)
			abort();
	}
	if (r->authors != NULL)
		check_authors(r->authors, strlen(r->authors));
	if (r->datestamp != NULL)
		(void) oai_parse_datestamp(r->datestamp, NULL);
	(void) oai_identifier_to_id(r->identifier);

	d->seen++;
	return (d->stop_after > 0 && d->seen >= d->stop_after) ? 1 : 0;
}

static int
collect_set(void *arg, const OaiSet *s)
{
	Dump	   *d = arg;

	dump_str(d, 'x', s->spec);
	dump_str(d, 'y', s->name);
	d->seen++;
	return (d->stop_after > 0 && d->seen >= d->stop_after) ? 1 : 0;
}

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

static OaiStatus
run(const uint8_t *data, size_t size, uint32_t seed, Dump *d)
{
	OaiParser  *p = oai_parser_create(collect_record, collect_set, d);
	const OaiResponseInfo *info;
	OaiStatus	st = OAI_OK;
	size_t		off = 0;
	char		line[160];

	if (p == NULL)
		abort();
	while (off < size && st == OAI_OK)
	{
		size_t		n = size - off;

		if (seed != 0)
		{
			size_t		max = (size_t) 1 << (next_random(&seed) % 13);
			size_t		want = 1 + next_random(&seed) % max;

			if (want < n)
				n = want;
		}
		st = oai_parser_feed(p, (const char *) data + off, n);
		off += n;
	}
	if (st == OAI_OK)
		st = oai_parser_finish(p);

	info = oai_parser_info(p);
	snprintf(line, sizeof(line), "status=%d verb=%d n=%d sets=%d tok=%d cur=%ld size=%ld nerr=%d err=%d\n",
			 (int) st, (int) info->verb, info->nrecords, info->nsets,
			 (int) info->has_token, info->token_cursor,
			 info->token_complete_list_size, info->nerrors, (int) info->error);
	dump_append(d, line, strlen(line));
	dump_str(d, '1', info->response_date);
	dump_str(d, '2', info->request_url);
	dump_str(d, '3', info->request_verb);
	dump_str(d, '4', info->token);
	dump_str(d, '5', info->token_expiration);
	dump_str(d, '6', info->error_code);
	dump_str(d, '7', info->error_message);
	dump_str(d, '8', info->repository_name);
	dump_str(d, '9', info->earliest_datestamp);
	if (strlen(oai_parser_errmsg(p)) == 0 && st != OAI_OK)
		abort();				/* every error must come with a message */
	if (info->has_token != (info->token != NULL) && st == OAI_OK)
		abort();
	oai_parser_free(p);
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

/* See fuzz_atom.c: both must agree unless both fail ("]]>": libxml2 bug). */
static bool
same_outcome(const uint8_t *data, size_t size,
			 OaiStatus st1, const Dump *d1, OaiStatus st2, const Dump *d2)
{
	if (st1 != OAI_OK && st2 != OAI_OK)
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
	OaiStatus	st_whole;
	OaiStatus	st_pieces;

	for (i = 0; i < size; i++)
		seed = (seed ^ data[i]) * 16777619u;
	if (seed == 0)
		seed = 1;
	whole.stop_after = pieces.stop_after = (int) (seed % 8);

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

	/* the input as an author string and as a date (NUL-terminated copy) */
	if (size <= 65536)
	{
		char	   *s = malloc(size + 1);
		int64_t		t;

		if (s == NULL)
			abort();
		memcpy(s, data, size);
		s[size] = '\0';
		check_authors(s, strlen(s));
		(void) oai_parse_version_date(s, &t);
		(void) oai_parse_datestamp(s, &t);
		free(s);
	}

	/* abandon a parse halfway */
	{
		OaiParser  *p = oai_parser_create(NULL, NULL, NULL);

		if (p == NULL)
			abort();
		(void) oai_parser_feed(p, (const char *) data, size / 2);
		oai_parser_free(p);
	}
	return 0;
}
