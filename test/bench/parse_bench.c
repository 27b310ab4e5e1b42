/*-------------------------------------------------------------------------
 *
 * parse_bench.c
 *	  Parse speed of src/atom.c over saved arXiv API responses, and of
 *	  src/oai.c over saved OAI-PMH (arXivRaw) responses.
 *
 *	  parse_bench REPEAT FILE...
 *	  parse_bench --oai REPEAT FILE...
 *
 * Reads every FILE into memory, then REPEAT times parses each file with a
 * fresh parser, fed in 16 KiB pieces as libcurl delivers them, with an
 * entry (record) callback that touches the strings (as the backend's
 * converter would).  Prints one line of key=value pairs for the best round:
 *
 *	  files=N bytes=B entries=E best_s=T mb_per_s=R checksum=C
 *	  files=N bytes=B records=E best_s=T mb_per_s=R records_per_s=S checksum=C
 *
 * Built by test/bench/run.sh with -O2 and xml2-config; no PostgreSQL.
 *
 *-------------------------------------------------------------------------
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "atom.h"
#include "oai.h"

typedef struct Input
{
	char	   *data;
	size_t		len;
} Input;

static size_t checksum;
static long entries;

static size_t
slen(const char *s)
{
	return s ? strlen(s) : 0;
}

static int
on_entry(void *arg, const AtomEntry *e)
{
	size_t		sum;

	(void) arg;
	sum = slen(e->id_url) + slen(e->title) + slen(e->summary) +
		slen(e->published) + slen(e->updated) + slen(e->comment) +
		slen(e->journal_ref) + slen(e->doi) + slen(e->primary_category) +
		slen(e->abs_url) + slen(e->pdf_url);

	for (int i = 0; i < e->nauthors; i++)
	{
		sum += slen(e->authors[i].name);
		for (int j = 0; j < e->authors[i].naffiliations; j++)
			sum += slen(e->authors[i].affiliations[j]);
	}
	for (int i = 0; i < e->ncategories; i++)
		sum += slen(e->categories[i]);
	checksum += sum;
	entries++;
	return 0;
}

static int
on_record(void *arg, const OaiRecord *r)
{
	size_t		sum;

	(void) arg;
	sum = slen(r->identifier) + slen(r->datestamp) + slen(r->id) +
		slen(r->submitter) + slen(r->title) + slen(r->authors) +
		slen(r->comments) + slen(r->journal_ref) + slen(r->doi) +
		slen(r->license) + slen(r->abstract);

	for (int i = 0; i < r->nset_specs; i++)
		sum += slen(r->set_specs[i]);
	for (int i = 0; i < r->ncategories; i++)
		sum += slen(r->category_list[i]);
	for (int i = 0; i < r->nversions; i++)
		sum += slen(r->versions[i].date) + (size_t) r->versions[i].date_unix +
			(size_t) r->versions[i].size_kb;
	checksum += sum;
	entries++;
	return 0;
}

/* One OAI-PMH response, parsed as the backend does; false on failure. */
static bool
parse_oai(const char *name, const Input *in)
{
	OaiParser  *p = oai_parser_create(on_record, NULL, NULL);
	OaiStatus	st = OAI_OK;

	if (p == NULL)
	{
		fprintf(stderr, "parse_bench: out of memory\n");
		return false;
	}
	for (size_t off = 0; off < in->len && st == OAI_OK; off += 16384)
		st = oai_parser_feed(p, in->data + off,
							 in->len - off < 16384 ? in->len - off : 16384);
	if (st == OAI_OK)
		st = oai_parser_finish(p);
	if (st != OAI_OK)
	{
		fprintf(stderr, "parse_bench: %s: %s\n", name, oai_parser_errmsg(p));
		return false;
	}
	oai_parser_free(p);
	return true;
}

/* One Atom response; false on failure. */
static bool
parse_atom(const char *name, const Input *in)
{
	AtomParser *p = atom_parser_create(on_entry, NULL);
	AtomStatus	st = ATOM_OK;

	if (p == NULL)
	{
		fprintf(stderr, "parse_bench: out of memory\n");
		return false;
	}
	for (size_t off = 0; off < in->len && st == ATOM_OK; off += 16384)
		st = atom_parser_feed(p, in->data + off,
							  in->len - off < 16384 ? in->len - off : 16384);
	if (st == ATOM_OK)
		st = atom_parser_finish(p);
	if (st != ATOM_OK)
	{
		fprintf(stderr, "parse_bench: %s: %s\n", name, atom_parser_errmsg(p));
		return false;
	}
	atom_parser_free(p);
	return true;
}

static int
read_input(const char *path, Input *in)
{
	FILE	   *f = fopen(path, "rb");
	long		n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
		fseek(f, 0, SEEK_SET) != 0)
		return -1;
	in->data = malloc(n > 0 ? n : 1);
	in->len = n;
	if (in->data == NULL || fread(in->data, 1, n, f) != (size_t) n)
		return -1;
	fclose(f);
	return 0;
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	bool		oai = argc > 1 && strcmp(argv[1], "--oai") == 0;
	int			argi = oai ? 2 : 1;
	int			repeat;
	int			nfiles = argc - argi - 1;
	Input	   *inputs;
	size_t		total = 0;
	double		best = 1e30;
	long		round_entries = 0;

	if (nfiles < 1 || (repeat = atoi(argv[argi])) < 1)
	{
		fprintf(stderr, "usage: parse_bench [--oai] REPEAT FILE...\n");
		return 2;
	}
	inputs = calloc(nfiles, sizeof(Input));
	for (int i = 0; i < nfiles; i++)
	{
		if (read_input(argv[argi + 1 + i], &inputs[i]) != 0)
		{
			fprintf(stderr, "parse_bench: cannot read %s\n", argv[argi + 1 + i]);
			return 2;
		}
		total += inputs[i].len;
	}

	for (int r = 0; r < repeat; r++)
	{
		double		t0 = now_seconds();
		double		t;

		entries = 0;
		for (int i = 0; i < nfiles; i++)
		{
			const char *name = argv[argi + 1 + i];

			if (!(oai ? parse_oai(name, &inputs[i]) : parse_atom(name, &inputs[i])))
				return 1;
		}
		t = now_seconds() - t0;
		if (t < best)
			best = t;
		round_entries = entries;
	}
	if (oai)
		printf("files=%d bytes=%zu records=%ld best_s=%.6f mb_per_s=%.2f records_per_s=%.0f checksum=%zu\n",
			   nfiles, total, round_entries, best, (double) total / 1e6 / best,
			   round_entries / best, checksum);
	else
		printf("files=%d bytes=%zu entries=%ld best_s=%.6f mb_per_s=%.2f checksum=%zu\n",
			   nfiles, total, round_entries, best, (double) total / 1e6 / best,
			   checksum);
	return 0;
}
