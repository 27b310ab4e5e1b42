/*-------------------------------------------------------------------------
 *
 * test_atom.c
 *	  Standalone unit tests for the Atom parser (src/atom.c).
 *
 * No framework and no PostgreSQL: the program parses every recorded arXiv
 * response in the fixture directory and checks concrete values, checks that
 * chunking never changes the result and that truncation never passes,
 * throws hostile and broken documents at the parser, makes each of its
 * allocations fail in turn, and replays the fuzz regression inputs.  Each
 * check group prints one line; the exit status is nonzero if any check
 * failed.  Build with ASan/UBSan (see Makefile) so that memory errors and
 * leaks fail the run too.  Documents reach the parser through
 * test/lib/atom_driver.c, which the fuzzer shares.
 *
 * Usage: test_atom [FIXTURE_DIR [REGRESSION_DIR]]
 *	  FIXTURE_DIR defaults to test/fixtures/arxiv-atom of this repository,
 *	  found from the repository root or from test/unit.
 *
 *		  test_atom --bench FILE REPEAT [OUTFILE]
 *	  builds one feed holding FILE's entries REPEAT times (optionally
 *	  writing it to OUTFILE, for comparison with xmllint), and reports the
 *	  parse speed.
 *
 * IDENTIFICATION
 *	  test/unit/test_atom.c
 *
 *-------------------------------------------------------------------------
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/atom_driver.h"

#define NS_DECLS \
	"xmlns=\"http://www.w3.org/2005/Atom\" " \
	"xmlns:opensearch=\"http://a9.com/-/spec/opensearch/1.1/\" " \
	"xmlns:arxiv=\"http://arxiv.org/schemas/atom\""
#define FEED_OPEN	"<?xml version='1.0' encoding='UTF-8'?>\n<feed " NS_DECLS ">\n"
#define FEED_CLOSE	"</feed>\n"

/* ---------- allocation failure injection ---------- */

/*
 * The Makefile links this program with -Wl,--wrap=malloc (and calloc,
 * realloc) and defines ATOM_TEST_WRAP_ALLOC, so the allocations made by
 * atom.c and by this file, though not libxml2's, go through these
 * wrappers.  While fail_countdown is positive, the allocation that brings
 * it to zero fails.
 */
static long fail_countdown;
static long nallocs;

#ifdef ATOM_TEST_WRAP_ALLOC
extern void *__real_malloc(size_t size);
extern void *__real_calloc(size_t nmemb, size_t size);
extern void *__real_realloc(void *ptr, size_t size);
extern void *__wrap_malloc(size_t size);
extern void *__wrap_calloc(size_t nmemb, size_t size);
extern void *__wrap_realloc(void *ptr, size_t size);

static bool
injected_failure(void)
{
	nallocs++;
	return fail_countdown > 0 && --fail_countdown == 0;
}

void *
__wrap_malloc(size_t size)
{
	return injected_failure() ? NULL : __real_malloc(size);
}

void *
__wrap_calloc(size_t nmemb, size_t size)
{
	return injected_failure() ? NULL : __real_calloc(nmemb, size);
}

void *
__wrap_realloc(void *ptr, size_t size)
{
	return injected_failure() ? NULL : __real_realloc(ptr, size);
}
#endif

/* ---------- checks ---------- */

static int	nchecks;
static int	nfailures;

static void
check_true(int ok, const char *what, const char *file, int line)
{
	nchecks++;
	if (!ok)
	{
		nfailures++;
		fprintf(stdout, "  FAILED %s:%d: %s\n", file, line, what);
	}
}

static void
check_str(const char *actual, const char *expected, const char *what,
		  const char *file, int line)
{
	int			ok;

	if (expected == NULL || actual == NULL)
		ok = (expected == actual);
	else
		ok = strcmp(actual, expected) == 0;
	nchecks++;
	if (!ok)
	{
		nfailures++;
		fprintf(stdout, "  FAILED %s:%d: %s\n    got:      %s%.300s%s\n    expected: %s%.300s%s\n",
				file, line, what,
				actual ? "\"" : "", actual ? actual : "NULL", actual ? "\"" : "",
				expected ? "\"" : "", expected ? expected : "NULL", expected ? "\"" : "");
	}
}

static void
check_prefix(const char *actual, const char *prefix, const char *what,
			 const char *file, int line)
{
	nchecks++;
	if (actual == NULL || strncmp(actual, prefix, strlen(prefix)) != 0)
	{
		nfailures++;
		fprintf(stdout, "  FAILED %s:%d: %s\n    got:      %.300s\n    expected: \"%s...\"\n",
				file, line, what, actual ? actual : "NULL", prefix);
	}
}

static void
check_long(long actual, long expected, const char *what,
		   const char *file, int line)
{
	nchecks++;
	if (actual != expected)
	{
		nfailures++;
		fprintf(stdout, "  FAILED %s:%d: %s: got %ld, expected %ld\n",
				file, line, what, actual, expected);
	}
}

#define CHECK(cond)			check_true((cond) ? 1 : 0, #cond, __FILE__, __LINE__)
#define CHECK_STR(a, e)		check_str((a), (e), #a, __FILE__, __LINE__)
#define CHECK_PREFIX(a, e)	check_prefix((a), (e), #a, __FILE__, __LINE__)
#define CHECK_INT(a, e)		check_long((long) (a), (long) (e), #a, __FILE__, __LINE__)

#define CHECK_STATUS(a, e) \
	check_str(atom_status_name(a), atom_status_name(e), #a, __FILE__, __LINE__)

/* ---------- parsing (test/lib/atom_driver.c) ---------- */

typedef AtomResult Result;

/* Parse, feeding "chunk" bytes at a time (0: all at once). */
static void
parse_doc_ex(const char *data, size_t len, size_t chunk, int stop_after,
			 Result *r)
{
	atom_parse(data, len, CHUNK_FIXED(chunk), stop_after, r);
}

static void
parse_doc(const char *data, size_t len, size_t chunk, Result *r)
{
	parse_doc_ex(data, len, chunk, 0, r);
}

static void
parse_str(const char *doc, Result *r)
{
	parse_doc(doc, strlen(doc), 0, r);
}

/* Status of parsing a literal document; for one-line error checks. */
static AtomStatus
status_of(const char *doc, size_t len)
{
	Result		r;
	AtomStatus	st;

	parse_doc(doc, len, 0, &r);
	st = r.status;
	atom_result_free(&r);
	return st;
}

#define STATUS_OF(s) status_of((s), strlen(s))

/* ---------- fixtures ---------- */

typedef struct Fixture
{
	char	   *name;
	char	   *data;
	size_t		len;
} Fixture;

static Fixture *fixtures;
static int	nfixtures;
static const char *fixture_dir;
static const char *regression_dir;

static char *
read_file(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	Buf			b = {0};
	char		chunk[65536];
	size_t		n;

	if (f == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	if (b.data == NULL)
		buf_append(&b, "", 0);
	*len = b.len;
	return b.data;
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * Names of the regular files in dir ending in suffix (NULL: any but
 * dotfiles), sorted.  Returns -1 if the directory cannot be read.
 */
static int
list_dir(const char *dir, const char *suffix, char ***names)
{
	DIR		   *d = opendir(dir);
	struct dirent *de;
	int			n = 0;
	int			max = 16;

	*names = NULL;
	if (d == NULL)
		return -1;
	*names = xmalloc(sizeof(char *) * (size_t) max);
	while ((de = readdir(d)) != NULL)
	{
		size_t		len = strlen(de->d_name);

		if (de->d_name[0] == '.')
			continue;
		if (suffix != NULL &&
			(len < strlen(suffix) ||
			 strcmp(de->d_name + len - strlen(suffix), suffix) != 0))
			continue;
		if (n == max)
		{
			max *= 2;
			*names = realloc(*names, sizeof(char *) * (size_t) max);
			if (*names == NULL)
				exit(2);
		}
		(*names)[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(*names, (size_t) n, sizeof(char *), compare_names);
	return n;
}

static bool
load_fixtures(const char *dir)
{
	char	  **names;
	int			n = list_dir(dir, ".xml", &names);
	int			i;

	if (n < 0)
		return false;
	fixtures = xmalloc(sizeof(Fixture) * (size_t) (n > 0 ? n : 1));
	for (i = 0; i < n; i++)
	{
		Buf			path = {0};

		buf_printf(&path, "%s/%s", dir, names[i]);
		fixtures[i].name = names[i];
		fixtures[i].data = read_file(path.data, &fixtures[i].len);
		if (fixtures[i].data == NULL)
		{
			fprintf(stderr, "test_atom: cannot read %s\n", path.data);
			exit(2);
		}
		buf_free(&path);
	}
	free(names);
	nfixtures = n;
	return true;
}

static const Fixture *
fixture(const char *prefix)
{
	int			i;

	for (i = 0; i < nfixtures; i++)
		if (strncmp(fixtures[i].name, prefix, strlen(prefix)) == 0)
			return &fixtures[i];
	fprintf(stdout, "  missing fixture %s*\n", prefix);
	return NULL;
}

/* Parse a fixture in one go; false (and a failed check) if it is missing. */
static bool
parse_fixture(const char *prefix, Result *r)
{
	const Fixture *f = fixture(prefix);

	CHECK(f != NULL);
	if (f == NULL)
		return false;
	parse_doc(f->data, f->len, 0, r);
	return true;
}

static void
check_split(const char *url, const char *id, int version)
{
	char		idbuf[64];
	int			v = -1;

	CHECK(atom_split_id(url, idbuf, sizeof(idbuf), &v));
	CHECK_STR(idbuf, id);
	CHECK_INT(v, version);
}

/* ---------- fixture checks ---------- */

static void
test_fixture_01(void)
{
	Result		r;
	const CopyEntry *e;

	if (!parse_fixture("01_", &r))
		return;
	CHECK_STATUS(r.status, ATOM_OK);
	CHECK_STR(r.feed_title,
			  "ArXiv Query: search_query=&id_list=1111.2011v2&start=0&max_results=10");
	CHECK_INT(r.total_results, 1);
	CHECK_INT(r.start_index, 0);
	CHECK_INT(r.items_per_page, 10);
	CHECK(!r.is_error);
	CHECK_INT(r.nentries, 1);
	CHECK_INT(r.ncopied, 1);
	if (r.ncopied == 1)
	{
		e = &r.entries[0];
		CHECK_STR(e->id_url, "http://arxiv.org/abs/1111.2011v2");
		check_split(e->id_url, "1111.2011", 2);
		CHECK_STR(e->title,
				  "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit");
		CHECK_PREFIX(e->summary, "Theoretical description of anisotropic systems, such as layered superconductors and coupled");
		CHECK(strstr(e->summary, "a model of such a system, we present an analytical study of d-dimensional \"nodes\" arranged as the vertices") != NULL);
		CHECK(strlen(e->summary) > 12 &&
			  strcmp(e->summary + strlen(e->summary) - 12, "single node.") == 0);
		CHECK_STR(e->published, "2011-11-08T18:48:36Z");
		CHECK_STR(e->updated, "2012-04-02T12:38:54Z");
		CHECK_STR(e->doi, "10.1103/PhysRevB.85.115117");
		CHECK_STR(e->journal_ref, "Phys. Rev. B 85, 115117 (2012)");
		CHECK_STR(e->comment, "8 pages, 3 figures. Published version");
		CHECK_STR(e->primary_category, "cond-mat.str-el");
		CHECK_STR(e->abs_url, "http://arxiv.org/abs/1111.2011v2");
		CHECK_STR(e->pdf_url, "http://arxiv.org/pdf/1111.2011v2");
		CHECK_INT(e->nauthors, 3);
		if (e->nauthors == 3)
		{
			CHECK_STR(e->authors[0].name, "James M. Murray");
			CHECK_STR(e->authors[1].name, "Adrian Del Maestro");
			CHECK_STR(e->authors[2].name, "Zlatko Tesanovic");
			CHECK_INT(e->authors[0].naffs, 0);
		}
		CHECK_INT(e->ncats, 2);
		if (e->ncats == 2)
		{
			CHECK_STR(e->cats[0], "cond-mat.str-el");
			CHECK_STR(e->cats[1], "cond-mat.stat-mech");
		}
	}
	atom_result_free(&r);
}

static void
test_fixture_04(void)
{
	Result		r;

	if (!parse_fixture("04_", &r))
		return;
	CHECK_STATUS(r.status, ATOM_OK);
	CHECK_STR(r.feed_title,
			  "ArXiv Query: search_query=au:del_maestro ANDNOT (ti:checkerboard OR ti:Pyrochlore)&id_list=&start=0&max_results=10");
	CHECK_INT(r.total_results, 24);
	CHECK_INT(r.start_index, 0);
	CHECK_INT(r.items_per_page, 10);
	CHECK_INT(r.nentries, 10);
	CHECK_INT(r.ncopied, 10);
	if (r.ncopied == 10)
	{
		CHECK_STR(r.entries[0].id_url, "http://arxiv.org/abs/1201.4869v1");
		CHECK_STR(r.entries[0].doi, "10.1142/S021797921244002X");
		/* an old-style id, and an entity in the summary */
		check_split(r.entries[1].id_url, "cond-mat/0412498", 1);
		CHECK(strstr(r.entries[1].summary,
					 "\"p x p\" density wave ordering on the square lattice (p >= 3, integer).") != NULL);
		CHECK_STR(r.entries[6].title,
				  "A striped supersolid phase and the search for deconfined quantum criticality in hard-core bosons on the triangular lattice");
		check_split(r.entries[6].id_url, "cond-mat/0607501", 2);
		CHECK_STR(r.entries[9].id_url, "http://arxiv.org/abs/1111.2011v2");
	}
	atom_result_free(&r);
}

static void
check_error_feed(const char *prefix, const char *message, long per_page)
{
	Result		r;

	if (!parse_fixture(prefix, &r))
		return;
	CHECK_STATUS(r.status, ATOM_OK);
	CHECK(r.is_error);
	CHECK_STR(r.error_message, message);
	CHECK_INT(r.nentries, 0);
	CHECK_INT(r.ncopied, 0);
	CHECK_INT(r.total_results, 1);
	CHECK_INT(r.items_per_page, per_page);
	atom_result_free(&r);
}

static void
test_fixture_06(void)
{
	Result		r;

	check_error_feed("06_", "incorrect id format for abc", 1);
	if (parse_fixture("06_", &r))
	{
		CHECK_STR(r.feed_title, "arXiv Search Results");
		atom_result_free(&r);
	}
}

static void
test_fixture_07(void)
{
	Result		r;

	if (!parse_fixture("07_", &r))
		return;
	CHECK_STATUS(r.status, ATOM_OK);
	CHECK(!r.is_error);
	CHECK_STR(r.error_message, NULL);
	CHECK_INT(r.nentries, 0);
	CHECK_INT(r.total_results, 0);
	CHECK_INT(r.start_index, 0);
	CHECK_INT(r.items_per_page, 100);
	CHECK_STR(r.feed_title,
			  "arXiv Query: search_query=&id_list=0000.0000&start=0&max_results=100");
	atom_result_free(&r);
}

static void
test_fixture_10(void)
{
	Result		r;
	const CopyEntry *e;

	if (!parse_fixture("10_", &r))
		return;
	CHECK_STATUS(r.status, ATOM_OK);
	CHECK_INT(r.nentries, 1);
	if (r.ncopied == 1)
	{
		e = &r.entries[0];
		check_split(e->id_url, "1707.08567", 1);
		CHECK_INT(e->nauthors, 34);
		if (e->nauthors == 34)
		{
			CHECK_STR(e->authors[0].name, "Kees A. Schouhamer Immink");
			CHECK_STR(e->authors[4].name, "Peter H. N. de With");
			CHECK_STR(e->authors[32].name, "Dirk W\xc3\xbc" "bben");
			CHECK_STR(e->authors[33].name, "Hirosuke Yamamoto");
		}
		CHECK_STR(e->comment,
				  "44 pages, editors for the proceedings: Yanling Chen and A. J. Han Vinck");
		CHECK_STR(e->primary_category, "cs.IT");
		CHECK_INT(e->ncats, 1);
		CHECK_STR(e->doi, NULL);
		CHECK_STR(e->journal_ref, NULL);
		CHECK_STR(e->abs_url, "https://arxiv.org/abs/1707.08567v1");
		CHECK_STR(e->pdf_url, "https://arxiv.org/pdf/1707.08567v1");
		CHECK_STR(e->published, "2017-07-27T08:18:33Z");
	}
	atom_result_free(&r);
}

static void
test_fixture_13(void)
{
	Result		r;
	const CopyEntry *e;

	if (!parse_fixture("13_", &r))
		return;
	CHECK_STATUS(r.status, ATOM_OK);
	CHECK_INT(r.nentries, 1);
	if (r.ncopied == 1)
	{
		e = &r.entries[0];
		CHECK_STR(e->id_url, "http://arxiv.org/abs/astro-ph/0601001v1");
		check_split(e->id_url, "astro-ph/0601001", 1);
		/* the summary starts with two spaces in the feed */
		CHECK_PREFIX(e->summary, "We derive the frequencies of hot Jupiters");
		CHECK(strstr(e->summary, "limit of V_max<17.5.") != NULL);
		CHECK(strstr(e->summary, "following Gould & Morgan (2003)") != NULL);
		CHECK_STR(e->journal_ref, "ActaAstron.56:1-50,2006");
		CHECK_STR(e->doi, NULL);
		CHECK_STR(e->primary_category, "astro-ph");
		CHECK_INT(e->nauthors, 4);
		if (e->nauthors == 4)
		{
			static const char *const names[] = {
				"Andrew Gould", "Susan Dorsher", "B. Scott Gaudi", "Andrzej Udalski"
			};
			static const char *const affs[] = {
				"Ohio State", "Ohio State", "CfA", "Warsaw University Observatory"
			};
			int			i;

			for (i = 0; i < 4; i++)
			{
				CHECK_STR(e->authors[i].name, names[i]);
				CHECK_INT(e->authors[i].naffs, 1);
				if (e->authors[i].naffs == 1)
					CHECK_STR(e->authors[i].affs[0], affs[i]);
			}
		}
	}
	atom_result_free(&r);
}

static void
test_fixture_16(void)
{
	Result		r;

	if (!parse_fixture("16_", &r))
		return;
	CHECK_STATUS(r.status, ATOM_OK);
	CHECK_INT(r.total_results, 214881);
	CHECK_INT(r.items_per_page, 10);
	CHECK_STR(r.feed_title,
			  "arXiv Query: search_query=all:testing&id_list=&start=0&max_results=10");
	CHECK_INT(r.nentries, 10);
	if (r.ncopied == 10)
	{
		const CopyEntry *e = &r.entries[0];

		CHECK_STR(e->id_url, "http://arxiv.org/abs/2202.12139v1");
		CHECK_STR(e->doi, "10.1109/ICSTW55395.2022.00035");
		CHECK_STR(e->journal_ref,
				  "Artificial Intelligence in Software Testing @ 2022 IEEE International Conference on Software Testing, Verification and Validation Workshops (ICSTW)");
		/* the doi link is neither the abstract nor the pdf link */
		CHECK_STR(e->abs_url, "https://arxiv.org/abs/2202.12139v1");
		CHECK_STR(e->pdf_url, "https://arxiv.org/pdf/2202.12139v1");
		CHECK_INT(e->ncats, 2);
		if (e->ncats == 2)
		{
			CHECK_STR(e->cats[0], "cs.SE");
			CHECK_STR(e->cats[1], "cs.LG");
		}
		CHECK_STR(r.entries[1].authors[0].name, "Aurora Ram\xc3\xadrez");
		CHECK_STR(r.entries[4].title,
				  "ChatGPT and Software Testing Education: Promises & Perils");
		check_split(r.entries[9].id_url, "1812.11470", 1);
		/* multi-paragraph summary: "\n  " between paragraphs */
		CHECK(strstr(r.entries[9].summary,
					 "and community as a whole. Objective. In this systematic review") != NULL);
	}
	atom_result_free(&r);
}

static void
test_fixture_21(void)
{
	check_error_feed("21_", "incorrect id format for INVALIDID", 1);
}

static void
test_fixture_26(void)
{
	Result		r;

	if (!parse_fixture("26_", &r))
		return;
	CHECK_STATUS(r.status, ATOM_OK);
	CHECK_INT(r.total_results, 5619);
	CHECK_INT(r.items_per_page, 2);
	CHECK_INT(r.nentries, 2);
	if (r.ncopied == 2)
	{
		static const char *const cats[] = {
			"cs.RO", "cs.AI", "cs.CV", "cs.LG", "cs.SY", "eess.SY"
		};
		const CopyEntry *e = &r.entries[0];
		int			i;

		CHECK_STR(e->title,
				  "RDD: Retrieval-Based Demonstration Decomposer for Planner Alignment in Long-Horizon Tasks");
		CHECK_STR(e->comment,
				  "39th Conference on Neural Information Processing Systems (NeurIPS 2025); Project Website: rdd-neurips.github.io");
		CHECK_INT(e->ncats, 6);
		for (i = 0; i < 6 && i < e->ncats; i++)
			CHECK_STR(e->cats[i], cats[i]);
		CHECK_INT(r.entries[1].nauthors, 6);
		CHECK_STR(r.entries[1].comment, NULL);
		CHECK_INT(r.entries[1].ncats, 1);
	}
	atom_result_free(&r);
}

static void
test_fixture_31(void)
{
	check_error_feed("31_", "Invalid query string: '( ( )'", 1);
}

/* Whitespace rules that hold for every string of every entry. */
static bool
well_collapsed(const char *s)
{
	size_t		i;

	if (s == NULL)
		return true;
	for (i = 0; s[i]; i++)
	{
		if (s[i] == '\n' || s[i] == '\t' || s[i] == '\r')
			return false;
		if (s[i] == ' ' && (i == 0 || s[i + 1] == ' ' || s[i + 1] == '\0'))
			return false;
	}
	return true;
}

static void
check_entry_invariants(const CopyEntry *e)
{
	const char *const fields[] = {
		e->id_url, e->title, e->summary, e->published, e->updated, e->comment,
		e->journal_ref, e->doi, e->primary_category, e->abs_url, e->pdf_url
	};
	char		idbuf[64];
	int			version;
	size_t		i;
	int			j;
	bool		ok = true;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		ok = ok && well_collapsed(fields[i]);
	for (j = 0; j < e->nauthors; j++)
	{
		int			k;

		ok = ok && e->authors[j].name != NULL && well_collapsed(e->authors[j].name);
		for (k = 0; k < e->authors[j].naffs; k++)
			ok = ok && well_collapsed(e->authors[j].affs[k]);
	}
	for (j = 0; j < e->ncats; j++)
		ok = ok && well_collapsed(e->cats[j]);
	CHECK(ok);
	CHECK(e->title != NULL && e->summary != NULL && e->published != NULL &&
		  e->updated != NULL && e->abs_url != NULL && e->pdf_url != NULL &&
		  e->primary_category != NULL && e->nauthors > 0 && e->ncats > 0);
	CHECK(atom_split_id(e->id_url, idbuf, sizeof(idbuf), &version) && version > 0);
}

/* Every fixture: parses, and every entry is complete and normalised. */
static void
test_all_fixtures(void)
{
	int			i;

	CHECK(nfixtures >= 10);
	for (i = 0; i < nfixtures; i++)
	{
		Result		r;
		int			j;

		parse_doc(fixtures[i].data, fixtures[i].len, 0, &r);
		if (r.status != ATOM_OK)
			fprintf(stdout, "  %s: %s\n", fixtures[i].name, r.errmsg);
		CHECK_STATUS(r.status, ATOM_OK);
		CHECK_STR(r.errmsg, "");
		CHECK(r.feed_title != NULL && well_collapsed(r.feed_title));
		CHECK(r.total_results >= 0 && r.start_index == 0 && r.items_per_page > 0);
		CHECK(r.is_error == (strstr(fixtures[i].name, "error") != NULL));
		CHECK_INT(r.nentries, r.ncopied);
		for (j = 0; j < r.ncopied; j++)
			check_entry_invariants(&r.entries[j]);
		atom_result_free(&r);
	}
}

/* ---------- chunking and truncation ---------- */

static void
test_chunking(void)
{
	static const size_t chunks[] = {1, 2, 3, 7, 13, 64, 4096};
	int			i;

	for (i = 0; i < nfixtures; i++)
	{
		Result		whole;
		size_t		c;

		parse_doc(fixtures[i].data, fixtures[i].len, 0, &whole);
		for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++)
		{
			Result		r;

			parse_doc(fixtures[i].data, fixtures[i].len, chunks[c], &r);
			if (strcmp(r.dump.data, whole.dump.data) != 0)
				fprintf(stdout, "  %s differs with %zu-byte chunks\n",
						fixtures[i].name, chunks[c]);
			CHECK_STR(r.dump.data, whole.dump.data);
			atom_result_free(&r);
		}
		atom_result_free(&whole);
	}
}

/* Offset just past the last "</feed>", or 0. */
static size_t
document_end(const char *data, size_t len)
{
	size_t		i;

	for (i = len; i >= 7; i--)
		if (memcmp(data + i - 7, "</feed>", 7) == 0)
			return i;
	return 0;
}

static void
check_cut(const Fixture *f, size_t cut, size_t chunk, size_t docend,
		  const char *whole_dump)
{
	Result		r;

	parse_doc(f->data, cut, chunk, &r);
	if (cut < docend)
	{
		if (r.status != ATOM_ERR_XML)
			fprintf(stdout, "  %s cut at %zu (chunk %zu): %s\n",
					f->name, cut, chunk, atom_status_name(r.status));
		CHECK_STATUS(r.status, ATOM_ERR_XML);
		CHECK(r.errmsg[0] != '\0');
	}
	else
		CHECK_STR(r.dump.data, whole_dump);
	atom_result_free(&r);
}

/*
 * A cut anywhere before the final "</feed>" must fail; a cut after it
 * (only whitespace left) must give the full result.  Every offset near the
 * ends and inside the first/last entries is tried, plus a stride through
 * the middle.
 */
static void
test_truncation(void)
{
	int			i;

	for (i = 0; i < nfixtures; i++)
	{
		const Fixture *f = &fixtures[i];
		size_t		docend = document_end(f->data, f->len);
		size_t		cut;
		Result		whole;

		CHECK(docend > 0);
		parse_doc(f->data, f->len, 0, &whole);
		for (cut = 0; cut <= f->len; cut++)
		{
			bool		near_end = cut < 400 || f->len - cut < 400;

			if (!near_end && cut % 31 != 0)
				continue;
			check_cut(f, cut, 0, docend, whole.dump.data);
			if (cut % 5 == 0)
				check_cut(f, cut, 7, docend, whole.dump.data);
		}
		atom_result_free(&whole);
	}
}

/* ---------- hostile input ---------- */

static const char billion_laughs[] =
"<?xml version=\"1.0\"?>\n"
"<!DOCTYPE lolz [\n"
" <!ENTITY lol \"lol\">\n"
" <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
" <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
" <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
" <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
" <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
" <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
" <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
" <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
" <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
"]>\n"
"<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><title>&lol9;</title></entry></feed>\n";

static const char xxe[] =
"<?xml version=\"1.0\"?>\n"
"<!DOCTYPE feed [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n"
"<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><id>http://arxiv.org/abs/1204.5678v1</id>"
"<title>&xxe;</title></entry></feed>\n";

static void
test_doctype_refused(void)
{
	static const char *const docs[] = {
		billion_laughs,
		xxe,
		"<?xml version=\"1.0\"?><!DOCTYPE feed SYSTEM \"http://127.0.0.1:1/atom.dtd\">"
		"<feed xmlns=\"http://www.w3.org/2005/Atom\"/>",
		"<!DOCTYPE feed [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]>"
		"<feed xmlns=\"http://www.w3.org/2005/Atom\"/>",
		"<!DOCTYPE feed><feed xmlns=\"http://www.w3.org/2005/Atom\"/>",
		"<!DOCTYPE htmlx><feed xmlns=\"http://www.w3.org/2005/Atom\"/>",
	};
	static const char *const html_docs[] = {
		"<!DOCTYPE html>\n<html><body>Access Denied</body></html>",
		("<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\" \"http://www.w3.org/TR/html4/strict.dtd\">"
		 "<HTML><BODY>Access Denied</BODY></HTML>"),
		"<!DOCTYPE html [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><html>&xxe;</html>",
	};
	size_t		i;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
	{
		Result		r;

		parse_doc(docs[i], strlen(docs[i]), 0, &r);
		CHECK_STATUS(r.status, ATOM_ERR_FORBIDDEN);
		CHECK(strstr(r.errmsg, "DOCTYPE") != NULL);
		CHECK_INT(r.nentries, 0);
		atom_result_free(&r);

		/* the same byte by byte: refused as early, whatever the split */
		parse_doc(docs[i], strlen(docs[i]), 1, &r);
		CHECK_STATUS(r.status, ATOM_ERR_FORBIDDEN);
		CHECK(r.failed_in_feed);
		atom_result_free(&r);
	}

	/* an HTML DOCTYPE is refused just as early, but said to be HTML */
	for (i = 0; i < sizeof(html_docs) / sizeof(html_docs[0]); i++)
	{
		Result		r;

		parse_doc(html_docs[i], strlen(html_docs[i]), 1, &r);
		CHECK_STATUS(r.status, ATOM_ERR_NOT_ATOM);
		CHECK(strstr(r.errmsg, "HTML") != NULL);
		CHECK(r.failed_in_feed);
		atom_result_free(&r);
	}

	/* an entity reference without any declaration is simply ill-formed */
	CHECK_STATUS(STATUS_OF(FEED_OPEN "<entry><title>&xxe;</title></entry>" FEED_CLOSE),
				 ATOM_ERR_XML);
}

static char *
nested_doc(int levels, bool inside_entry)
{
	Buf			b = {0};
	int			i;

	buf_puts(&b, FEED_OPEN);
	if (inside_entry)
		buf_puts(&b, "<entry><summary>");
	for (i = 0; i < levels; i++)
		buf_puts(&b, "<x>");
	buf_puts(&b, "deep");
	for (i = 0; i < levels; i++)
		buf_puts(&b, "</x>");
	if (inside_entry)
		buf_puts(&b, "</summary></entry>");
	buf_puts(&b, FEED_CLOSE);
	return b.data;
}

static void
test_depth_limit(void)
{
	char	   *doc;
	Result		r;

	/* feed + 63 levels = 64 open elements: allowed */
	doc = nested_doc(63, false);
	CHECK_STATUS(STATUS_OF(doc), ATOM_OK);
	free(doc);

	doc = nested_doc(64, false);
	parse_str(doc, &r);
	CHECK_STATUS(r.status, ATOM_ERR_LIMIT);
	CHECK(strstr(r.errmsg, "nested") != NULL);
	atom_result_free(&r);
	free(doc);

	doc = nested_doc(100000, true);
	CHECK_STATUS(STATUS_OF(doc), ATOM_ERR_LIMIT);
	free(doc);

	/* text of nested elements counts as text of the field */
	doc = nested_doc(3, true);
	parse_str(doc, &r);
	CHECK_STATUS(r.status, ATOM_OK);
	CHECK(r.ncopied == 1 && r.entries[0].summary &&
		  strcmp(r.entries[0].summary, "deep") == 0);
	atom_result_free(&r);
	free(doc);
}

/* One entry whose <summary> holds n bytes of "a". */
static char *
big_field_doc(size_t n)
{
	Buf			b = {0};
	char	   *as = xmalloc(n + 1);

	memset(as, 'a', n);
	as[n] = '\0';
	buf_puts(&b, FEED_OPEN "<entry><id>http://arxiv.org/abs/1204.5678v1</id><summary>");
	buf_append(&b, as, n);
	buf_puts(&b, "</summary></entry>" FEED_CLOSE);
	free(as);
	return b.data;
}

static void
test_size_limits(void)
{
	Buf			b = {0};
	char	   *doc;
	Result		r;

	/* field size: 4 MiB allowed, one byte more refused */
	doc = big_field_doc(4 * 1024 * 1024);
	parse_str(doc, &r);
	CHECK_STATUS(r.status, ATOM_OK);
	CHECK(r.ncopied == 1 && strlen(r.entries[0].summary) == 4 * 1024 * 1024);
	atom_result_free(&r);
	free(doc);
	doc = big_field_doc(4 * 1024 * 1024 + 1);
	parse_str(doc, &r);
	CHECK_STATUS(r.status, ATOM_ERR_LIMIT);
	CHECK_INT(r.ncopied, 0);
	atom_result_free(&r);
	free(doc);

	/* whitespace collapses before it counts */
	buf_puts(&b, FEED_OPEN "<title>a");
	buf_repeat(&b, " \n\t", 2 * 1024 * 1024);
	buf_puts(&b, "b</title>" FEED_CLOSE);
	parse_str(b.data, &r);
	CHECK_STATUS(r.status, ATOM_OK);
	CHECK_STR(r.feed_title, "a b");
	atom_result_free(&r);
	buf_free(&b);

	/* 17 affiliations of 4,000,000 bytes exceed the 64 MiB per entry */
	buf_puts(&b, FEED_OPEN "<entry>");
	{
		char	   *as = xmalloc(4000001);
		int			i;

		memset(as, 'a', 4000000);
		as[4000000] = '\0';
		for (i = 0; i < 17; i++)
		{
			buf_puts(&b, "<author><name>x</name><arxiv:affiliation>");
			buf_puts(&b, as);
			buf_puts(&b, "</arxiv:affiliation></author>");
		}
		free(as);
	}
	buf_puts(&b, "</entry>" FEED_CLOSE);
	parse_doc(b.data, b.len, 65536, &r);
	CHECK_STATUS(r.status, ATOM_ERR_LIMIT);
	CHECK(strstr(r.errmsg, "entry") != NULL);
	atom_result_free(&r);
	buf_free(&b);
}

/* An entry with n copies of item inside it. */
static char *
repeated_doc(const char *before, const char *item, size_t n, const char *after)
{
	Buf			b = {0};

	buf_puts(&b, FEED_OPEN "<entry><id>http://arxiv.org/abs/1204.5678v1</id>");
	buf_puts(&b, before);
	buf_repeat(&b, item, n);
	buf_puts(&b, after);
	buf_puts(&b, "</entry>" FEED_CLOSE);
	return b.data;
}

static void
check_count_limit(const char *before, const char *item, size_t limit,
				  const char *after)
{
	char	   *doc;
	Result		r;

	doc = repeated_doc(before, item, limit, after);
	parse_str(doc, &r);
	CHECK_STATUS(r.status, ATOM_OK);
	CHECK_INT(r.nentries, 1);
	atom_result_free(&r);
	free(doc);

	doc = repeated_doc(before, item, limit + 1, after);
	parse_str(doc, &r);
	CHECK_STATUS(r.status, ATOM_ERR_LIMIT);
	CHECK_INT(r.nentries, 0);
	atom_result_free(&r);
	free(doc);
}

static void
test_count_limits(void)
{
	Result		r;
	char	   *doc;

	check_count_limit("", "<category term=\"cs.AI\"/>", 1000, "");
	check_count_limit("<author><name>n</name>",
					  "<arxiv:affiliation>a</arxiv:affiliation>", 1000,
					  "</author>");
	check_count_limit("", "<author><name>n</name></author>", 100000, "");

	/* the affiliation cap is per author: 1000 each for two authors is fine */
	doc = repeated_doc("<author><name>a</name>",
					   "<arxiv:affiliation>x</arxiv:affiliation>", 1000,
					   "</author><author><name>b</name>"
					   "<arxiv:affiliation>y</arxiv:affiliation></author>");
	parse_str(doc, &r);
	CHECK_STATUS(r.status, ATOM_OK);
	CHECK(r.ncopied == 1 && r.entries[0].nauthors == 2 &&
		  r.entries[0].authors[0].naffs == 1000 &&
		  r.entries[0].authors[1].naffs == 1 &&
		  strcmp(r.entries[0].authors[1].affs[0], "y") == 0);
	atom_result_free(&r);
	free(doc);
}

/* ---------- bad responses ---------- */

static const char akamai_page[] =
"<HTML><HEAD>\n<TITLE>Access Denied</TITLE>\n</HEAD><BODY>\n"
"<H1>Access Denied</H1>\n \nYou don't have permission to access "
"\"http&#58;&#47;&#47;export&#46;arxiv&#46;org&#47;api&#47;query&#63;\" on this server.<P>\n"
"Reference&#32;&#35;18&#46;8f6a3e17&#46;1700000000&#46;1a2b3c4d\n</BODY>\n</HTML>\n";

static void
test_bad_responses(void)
{
	Result		r;
	AtomStatus	st;

	CHECK_STATUS(status_of("", 0), ATOM_ERR_XML);
	CHECK_STATUS(STATUS_OF(" \r\n\t\n"), ATOM_ERR_XML);
	CHECK_STATUS(STATUS_OF("Rate exceeded."), ATOM_ERR_XML);
	CHECK_STATUS(STATUS_OF("Rate exceeded.\n"), ATOM_ERR_XML);
	CHECK_STATUS(STATUS_OF("{\"error\": \"rate limited\"}"), ATOM_ERR_XML);
	CHECK_STATUS(STATUS_OF("<?xml version='1.0' encoding='UTF-8'?>\n"), ATOM_ERR_XML);

	/* HTML: not Atom if the root is seen first, else not XML at all */
	st = STATUS_OF(akamai_page);
	CHECK(st == ATOM_ERR_NOT_ATOM || st == ATOM_ERR_XML);
	CHECK_STATUS(STATUS_OF("<html><head><title>Access Denied</title></head>"
						   "<body><h1>Access Denied</h1></body></html>"),
				 ATOM_ERR_NOT_ATOM);
	parse_str("<html><body><p>unclosed</body></html>", &r);
	CHECK_STATUS(r.status, ATOM_ERR_NOT_ATOM);
	CHECK(strstr(r.errmsg, "\"html\"") != NULL);
	atom_result_free(&r);

	/* well-formed, but not an Atom feed */
	CHECK_STATUS(STATUS_OF("<rss version=\"2.0\"><channel/></rss>"), ATOM_ERR_NOT_ATOM);
	CHECK_STATUS(STATUS_OF("<feed><entry/></feed>"), ATOM_ERR_NOT_ATOM);
	CHECK_STATUS(STATUS_OF("<feed xmlns=\"http://purl.org/atom/ns#\"/>"), ATOM_ERR_NOT_ATOM);
	CHECK_STATUS(STATUS_OF("<entry xmlns=\"http://www.w3.org/2005/Atom\"/>"), ATOM_ERR_NOT_ATOM);

	/* not well-formed */
	CHECK_STATUS(STATUS_OF(FEED_OPEN "<entry></feed>"), ATOM_ERR_XML);
	CHECK_STATUS(STATUS_OF(FEED_OPEN FEED_CLOSE "<feed/>"), ATOM_ERR_XML);
	CHECK_STATUS(STATUS_OF(FEED_OPEN FEED_CLOSE "trailing garbage"), ATOM_ERR_XML);
	CHECK_STATUS(STATUS_OF(FEED_OPEN "<title>bad \xc3\x28 utf-8</title>" FEED_CLOSE),
				 ATOM_ERR_XML);
	CHECK_STATUS(status_of(FEED_OPEN "<title>nul \0 byte</title>" FEED_CLOSE,
						   sizeof(FEED_OPEN "<title>nul \0 byte</title>" FEED_CLOSE) - 1),
				 ATOM_ERR_XML);
	CHECK_STATUS(STATUS_OF("<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry>"
						   "<undeclared:doi>x</undeclared:doi></entry></feed>"),
				 ATOM_ERR_XML);
	CHECK_STATUS(STATUS_OF(FEED_OPEN "<link href=\"a\" href=\"b\"/>" FEED_CLOSE),
				 ATOM_ERR_XML);

	/*
	 * Encoding errors: libxml2 2.9 raises some without a parser context;
	 * they must become our status and message, not text on stderr (the
	 * server log, in a backend).
	 */
	{
		static const char bad_encoding[] =
			"<?xml version=\"1.0\" encoding=\"ISO-2022-JP\"?>"
			"<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>\x1b$B\xff\xff</title></feed>";
		FILE	   *capture = tmpfile();
		int			saved_stderr = dup(2);
		size_t		chunk;

		CHECK(capture != NULL && saved_stderr >= 0);
		if (capture != NULL && saved_stderr >= 0)
		{
			fflush(stderr);
			dup2(fileno(capture), 2);
			for (chunk = 0; chunk <= 1; chunk++)
			{
				parse_doc(bad_encoding, sizeof(bad_encoding) - 1, chunk, &r);
				CHECK_STATUS(r.status, ATOM_ERR_XML);
				CHECK(r.errmsg[0] != '\0');
				atom_result_free(&r);
			}
			fflush(stderr);
			dup2(saved_stderr, 2);
			close(saved_stderr);
			CHECK_INT(ftell(capture), 0);
			fclose(capture);
		}
	}
	CHECK_STATUS(STATUS_OF("<?xml version=\"1.0\" encoding=\"UTF-16\"?>"
						   "<feed xmlns=\"http://www.w3.org/2005/Atom\"/>"),
				 ATOM_ERR_XML);

	/*
	 * A declared encoding other than UTF-8 is refused at every piece size,
	 * even when the bytes would decode: libxml2 2.9's push parser decodes
	 * stateful encodings differently depending on where the pieces fall.
	 */
	{
		static const char *const declared[] = {"UTF-7", "UT-F7", "ISO-8859-1"};
		static const char *const accepted[] = {"UTF-8", "utf-8", "US-ASCII"};
		size_t		i;
		size_t		chunk;

		for (i = 0; i < sizeof(declared) / sizeof(declared[0]); i++)
			for (chunk = 0; chunk <= 41; chunk++)
			{
				Buf			doc = {0};

				buf_printf(&doc, "<?xml version='1.0' encoding='%s'?>\n"
						   "<feed " NS_DECLS "><title>\"x\"/>+-</title></feed>",
						   declared[i]);
				parse_doc(doc.data, doc.len, chunk, &r);
				CHECK_STATUS(r.status, ATOM_ERR_XML);
				CHECK(strstr(r.errmsg, "declares encoding") != NULL);
				atom_result_free(&r);
				buf_free(&doc);
			}
		for (i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++)
		{
			Buf			doc = {0};

			buf_printf(&doc, "<?xml version='1.0' encoding='%s'?>\n"
					   "<feed " NS_DECLS "><title>x</title></feed>", accepted[i]);
			CHECK_STATUS(status_of(doc.data, doc.len), ATOM_OK);
			buf_free(&doc);
		}
	}

	/* libxml2's message and line number are passed on */
	parse_str(FEED_OPEN "<entry>\n<title>x</titel>\n</entry>" FEED_CLOSE, &r);
	CHECK_STATUS(r.status, ATOM_ERR_XML);
	CHECK(strstr(r.errmsg, "line 4") != NULL);
	CHECK(strstr(r.errmsg, "titel") != NULL || strstr(r.errmsg, "mismatch") != NULL);
	atom_result_free(&r);

	/* what may follow the root element */
	CHECK_STATUS(STATUS_OF(FEED_OPEN FEED_CLOSE "\n\n  \n"), ATOM_OK);
	CHECK_STATUS(STATUS_OF(FEED_OPEN FEED_CLOSE "<!-- cached -->\n<?pi x?>"), ATOM_OK);
}

/* ---------- parsing details ---------- */

static void
test_namespaces(void)
{
	Result		r;
	const char *doc =
		"<?xml version=\"1.0\"?>\n"
		"<a:feed xmlns:a=\"http://www.w3.org/2005/Atom\""
		" xmlns:os=\"http://a9.com/-/spec/opensearch/1.1/\""
		" xmlns:x=\"http://arxiv.org/schemas/atom\""
		" xmlns:arxiv=\"urn:not-arxiv\" xmlns:opensearch=\"urn:not-opensearch\">"
		"<opensearch:totalResults>99</opensearch:totalResults>"
		"<os:totalResults>5</os:totalResults>"
		"<title>not Atom: no default namespace</title>"
		"<a:entry>"
		"<arxiv:doi>10.1/fake</arxiv:doi>"
		"<x:doi>10.1/real</x:doi>"
		"<title>fake</title>"
		"<a:author><x:affiliation>Aff</x:affiliation><a:name>Name</a:name></a:author>"
		"<a:title>Real</a:title>"
		"<x:primary_category term=\"hep-th\"/>"
		"<a:category term=\"hep-th\"/><category term=\"fake\"/>"
		"<a:id>http://arxiv.org/abs/2605.09735v1</a:id>"
		"<entry xmlns=\"http://www.w3.org/2005/Atom\"><id>nested entry id</id></entry>"
		"<foo xmlns=\"http://www.w3.org/2005/Atom\"><id>nested id</id></foo>"
		"</a:entry>"
		"</a:feed>";

	parse_str(doc, &r);
	CHECK_STATUS(r.status, ATOM_OK);
	CHECK_INT(r.total_results, 5);
	CHECK_STR(r.feed_title, NULL);
	CHECK_INT(r.ncopied, 1);
	if (r.ncopied == 1)
	{
		const CopyEntry *e = &r.entries[0];

		CHECK_STR(e->doi, "10.1/real");
		CHECK_STR(e->title, "Real");
		CHECK_STR(e->id_url, "http://arxiv.org/abs/2605.09735v1");
		CHECK_STR(e->primary_category, "hep-th");
		CHECK(e->ncats == 1 && strcmp(e->cats[0], "hep-th") == 0);
		CHECK(e->nauthors == 1 && e->authors[0].naffs == 1);
		if (e->nauthors == 1 && e->authors[0].naffs == 1)
		{
			CHECK_STR(e->authors[0].name, "Name");
			CHECK_STR(e->authors[0].affs[0], "Aff");
		}
	}
	atom_result_free(&r);
}

static void
test_text_decoding(void)
{
	Result		r;
	const char *doc =
		FEED_OPEN
		"<title>  Feed \t title\r\n </title>"
		"<opensearch:totalResults> 12 </opensearch:totalResults>"
		"<opensearch:startIndex>abc</opensearch:startIndex>"
		"<entry>"
		"<summary>\t a&#10;&#9;b <![CDATA[ <c>  d ]]>&#x20;e&#xE9;&lt;&amp;&gt;&quot;&apos;\r\n</summary>"
		"<title>a<b xmlns=\"http://www.w3.org/1999/xhtml\">bold</b> <i>c</i></title>"
		"<link href=\"http://x/a?b=1&amp;c=2&#38;d=3&amp;#38;&lt;&#x41;\" rel=\"alternate\"/>"
		"<link href=\" http://x/pdf \n\" title=\"pdf\" rel=\"related\"/>"
		"<category term=\" a&amp;b \"/>"
		"<author><name>\n   Jos&#xE9;\n   Ra\xc3\xbal\n </name></author>"
		"<arxiv:comment/>"
		"<arxiv:journal_ref>   </arxiv:journal_ref>"
		"</entry>"
		FEED_CLOSE;

	parse_str(doc, &r);
	CHECK_STATUS(r.status, ATOM_OK);
	CHECK_STR(r.feed_title, "Feed title");
	CHECK_INT(r.total_results, 12);
	CHECK_INT(r.start_index, -1);	/* not a number: as if absent */
	CHECK_INT(r.items_per_page, -1);
	CHECK_INT(r.ncopied, 1);
	if (r.ncopied == 1)
	{
		const CopyEntry *e = &r.entries[0];

		CHECK_STR(e->summary, "a b <c> d e\xc3\xa9<&>\"'");
		CHECK_STR(e->title, "abold c");
		CHECK_STR(e->abs_url, "http://x/a?b=1&c=2&d=3&#38;<A");
		CHECK_STR(e->pdf_url, "http://x/pdf");
		CHECK(e->ncats == 1 && strcmp(e->cats[0], "a&b") == 0);
		CHECK(e->nauthors == 1 && e->authors[0].name &&
			  strcmp(e->authors[0].name, "Jos\xc3\xa9 Ra\xc3\xbal") == 0);
		CHECK_STR(e->comment, "");	/* present but empty */
		CHECK_STR(e->journal_ref, "");
		CHECK_STR(e->doi, NULL);	/* absent */
		CHECK_STR(e->id_url, NULL);
	}
	atom_result_free(&r);
}

static void
test_entry_details(void)
{
	Result		r;
	const char *doc =
		FEED_OPEN
		"<entry>"
		"<title>first</title><title>second</title>"
		"<link href=\"http://x/abs1\"/>"	/* no rel: alternate */
		"<link href=\"http://x/abs2\" rel=\"alternate\"/>"
		"<link href=\"http://x/doi\" rel=\"related\" title=\"doi\"/>"
		"<link href=\"http://x/pdf1\" rel=\"related\" title=\"pdf\"/>"
		"<link href=\"http://x/pdf2\" title=\"pdf\"/>"
		"<link rel=\"alternate\"/>"
		"<arxiv:primary_category/>"
		"<arxiv:primary_category term=\"math.AP\"/>"
		"<category scheme=\"no term\"/>"
		"<author><arxiv:affiliation>no name</arxiv:affiliation></author>"
		"<author><name>one</name><name>two</name></author>"
		"</entry>"
		"<entry><id>http://arxiv.org/abs/math.AP/0301001</id></entry>"
		FEED_CLOSE;

	parse_str(doc, &r);
	CHECK_STATUS(r.status, ATOM_OK);
	CHECK_INT(r.ncopied, 2);
	if (r.ncopied == 2)
	{
		const CopyEntry *e = &r.entries[0];

		CHECK_STR(e->title, "first");
		CHECK_STR(e->abs_url, "http://x/abs1");
		CHECK_STR(e->pdf_url, "http://x/pdf1");
		CHECK_STR(e->primary_category, "math.AP");
		CHECK_INT(e->ncats, 0);
		CHECK_INT(e->nauthors, 2);
		if (e->nauthors == 2)
		{
			CHECK_STR(e->authors[0].name, NULL);
			CHECK(e->authors[0].naffs == 1 &&
				  strcmp(e->authors[0].affs[0], "no name") == 0);
			CHECK_STR(e->authors[1].name, "one");
			CHECK_INT(e->authors[1].naffs, 0);
		}
		/* the second entry starts from scratch */
		e = &r.entries[1];
		CHECK_STR(e->title, NULL);
		CHECK_STR(e->abs_url, NULL);
		CHECK_INT(e->nauthors, 0);
		check_split(e->id_url, "math.AP/0301001", 0);
	}
	atom_result_free(&r);
}

static void
test_error_entries(void)
{
	Result		r;
	const char *doc =
		FEED_OPEN
		"<entry><id>http://arxiv.org/abs/1204.5678v1</id><title>Error</title>"
		"<author><name>Someone Else</name></author></entry>"
		"<entry><id>https://arxiv.org/api/1</id><title>Error</title>"
		"<summary>found by title and author</summary>"
		"<author><name>arXiv api core</name></author></entry>"
		"<entry><id>http://arxiv.org/api/errors#second</id>"
		"<summary>second message</summary></entry>"
		"<entry><id>http://arxiv.org/abs/1234.5679v1</id><title>Fine</title></entry>"
		FEED_CLOSE;

	parse_str(doc, &r);
	CHECK_STATUS(r.status, ATOM_OK);
	CHECK(r.is_error);
	CHECK_STR(r.error_message, "found by title and author");	/* first wins */
	CHECK_INT(r.nentries, 2);
	CHECK(r.ncopied == 2 && strcmp(r.entries[0].title, "Error") == 0 &&
		  strcmp(r.entries[1].title, "Fine") == 0);
	atom_result_free(&r);

	/* an error entry without summary still yields a message */
	parse_str(FEED_OPEN "<entry><id>https://arxiv.org/api/errors</id></entry>" FEED_CLOSE, &r);
	CHECK(r.is_error && r.error_message != NULL && r.error_message[0] != '\0');
	atom_result_free(&r);
}

static void
test_callback_and_lifecycle(void)
{
	const Fixture *f = fixture("16_");
	Result		r;
	AtomParser *p;
	AtomStatus	st;

	CHECK(f != NULL);
	if (f == NULL)
		return;

	/* the callback stops the parse: sticky ATOM_ERR_CALLBACK */
	parse_doc_ex(f->data, f->len, 0, 3, &r);
	CHECK_STATUS(r.status, ATOM_ERR_CALLBACK);
	CHECK_INT(r.nentries, 3);
	CHECK_INT(r.ncopied, 3);
	atom_result_free(&r);

	memset(&r, 0, sizeof(r));
	r.stop_after = 1;
	p = atom_parser_create(atom_collect_entry, &r);
	st = atom_parser_feed(p, f->data, f->len);
	CHECK_STATUS(st, ATOM_ERR_CALLBACK);
	CHECK_STATUS(atom_parser_feed(p, f->data, 10), ATOM_ERR_CALLBACK);
	CHECK_STATUS(atom_parser_finish(p), ATOM_ERR_CALLBACK);
	CHECK_INT(atom_parser_info(p)->nentries, 1);
	CHECK(atom_parser_errmsg(p)[0] != '\0');
	atom_parser_free(p);
	atom_result_free(&r);

	/* an XML error is sticky too */
	p = atom_parser_create(NULL, NULL);
	CHECK_STATUS(atom_parser_feed(p, "<feed xmlns=\"http://www.w3.org/2005/Atom\"><a></b>", 49),
				 ATOM_ERR_XML);
	CHECK_STATUS(atom_parser_feed(p, "</feed>", 7), ATOM_ERR_XML);
	CHECK_STATUS(atom_parser_finish(p), ATOM_ERR_XML);
	CHECK_STATUS(atom_parser_finish(p), ATOM_ERR_XML);
	atom_parser_free(p);

	/* a NULL callback only counts; feeding after finish is an error */
	p = atom_parser_create(NULL, NULL);
	CHECK_STATUS(atom_parser_feed(p, f->data, f->len), ATOM_OK);
	CHECK_STATUS(atom_parser_feed(p, NULL, 0), ATOM_OK);
	CHECK_STATUS(atom_parser_finish(p), ATOM_OK);
	CHECK_STATUS(atom_parser_finish(p), ATOM_OK);
	CHECK_STR(atom_parser_errmsg(p), "");
	CHECK_INT(atom_parser_info(p)->nentries, 10);
	CHECK_STATUS(atom_parser_feed(p, " ", 1), ATOM_ERR_XML);
	atom_parser_free(p);

	/* free at any point: before feeding, mid-entry, mid-tag, NULL */
	atom_parser_free(atom_parser_create(NULL, NULL));
	p = atom_parser_create(NULL, NULL);
	CHECK_STATUS(atom_parser_feed(p, f->data, f->len / 2), ATOM_OK);
	atom_parser_free(p);
	p = atom_parser_create(NULL, NULL);
	CHECK_STATUS(atom_parser_feed(p, FEED_OPEN "<entry><title>abc</ti", sizeof(FEED_OPEN) + 20), ATOM_OK);
	atom_parser_free(p);
	atom_parser_free(NULL);

	/* NULL parser (what a failed create returns) */
	CHECK_STATUS(atom_parser_feed(NULL, "x", 1), ATOM_ERR_OOM);
	CHECK_STATUS(atom_parser_finish(NULL), ATOM_ERR_OOM);
	CHECK(atom_parser_info(NULL) == NULL);
	CHECK(atom_parser_errmsg(NULL) != NULL);
}

/*
 * Make each allocation of atom.c fail in turn while parsing fixture 16:
 * every failure must surface as NULL from create or ATOM_ERR_OOM, never as
 * a crash, a leak (ASan checks at exit) or a wrong success.
 */
static void
test_allocation_failures(void)
{
	const Fixture *f = fixture("16_");
	long		n;
	bool		completed = false;
	int			nfailed_runs = 0;

	CHECK(f != NULL);
#ifndef ATOM_TEST_WRAP_ALLOC
	printf("  (skipped: not built with ATOM_TEST_WRAP_ALLOC)\n");
	return;
#endif
	if (f == NULL)
		return;

	for (n = 1; n < 1000 && !completed; n++)
	{
		AtomParser *p;
		AtomStatus	st = ATOM_OK;
		size_t		off;
		const AtomFeedInfo *info;

		nallocs = 0;
		fail_countdown = n;
		p = atom_parser_create(NULL, NULL);
		if (p == NULL)
		{
			nfailed_runs++;
			continue;
		}
		for (off = 0; off < f->len && st == ATOM_OK; off += 4096)
			st = atom_parser_feed(p, f->data + off,
								  f->len - off < 4096 ? f->len - off : 4096);
		if (st == ATOM_OK)
			st = atom_parser_finish(p);
		info = atom_parser_info(p);
		if (fail_countdown > 0)
		{
			/* no failure was injected: this run went through */
			completed = true;
			CHECK_STATUS(st, ATOM_OK);
			CHECK_INT(info->nentries, 10);
		}
		else
		{
			nfailed_runs++;
			CHECK_STATUS(st, ATOM_ERR_OOM);
			CHECK_STR(atom_parser_errmsg(p), "out of memory");
		}
		fail_countdown = 0;
		atom_parser_free(p);
	}
	fail_countdown = 0;
	CHECK(completed);
	CHECK(nfailed_runs > 3);
}

static void
test_split_id(void)
{
	static const char *const bad[] = {
		"",
		"http://arxiv.org/api/errors#incorrect_id_format_for_abc",
		"https://arxiv.org/api/errors",
		"ftp://arxiv.org/abs/1204.5678",
		"arxiv.org/abs/1204.5678",
		"http:///abs/1204.5678",
		"http://arxiv.org/abs/",
		"http://arxiv.org/abs/abc",
		"http://arxiv.org/pdf/1204.5678v1",
		"http://arxiv.org/abs/1234.567",
		"http://arxiv.org/abs/1204.567890",
		"http://arxiv.org/abs/12345.6789",
		"http://arxiv.org/abs/1234-5678",
		"http://arxiv.org/abs/1204.5678v",
		"http://arxiv.org/abs/1204.5678v0",
		"http://arxiv.org/abs/1204.5678v01",
		"http://arxiv.org/abs/1204.5678v1x",
		"http://arxiv.org/abs/1204.5678v99999999999",
		"http://arxiv.org/abs/1204.5678/",
		"http://arxiv.org/abs/1204.5678?x=1",
		"http://arxiv.org/abs/hep-th/990100",
		"http://arxiv.org/abs/hep-th/99010012",
		"http://arxiv.org/abs/Hep-th/9901001",
		"http://arxiv.org/abs/hep-/9901001",
		"http://arxiv.org/abs/-th/9901001",
		"http://arxiv.org/abs/math./0301001",
		"http://arxiv.org/abs/math.AP0301001",
		"http://arxiv.org/abs/hep_th/9901001",
		"http://arxiv.org/abs/ 1204.5678",
		"http://arxiv.org/x/abs/1204.5678",
		/* outside arxiv_id.h's grammar, which the query builder shares */
		"http://arxiv.org/abs/2613.00001",	/* month 13 */
		"http://arxiv.org/abs/0704.00001",	/* 5 digits before 1501 */
		"http://arxiv.org/abs/1501.0001",	/* 4 digits from 1501 */
		"http://arxiv.org/abs/hep-th/9913001",	/* month 13 */
		"http://arxiv.org/abs/1204.5678v1234567890",	/* 10 digits */
	};
	char		idbuf[64];
	int			version;
	size_t		i;

	check_split("http://arxiv.org/abs/2605.09735v1", "2605.09735", 1);
	check_split("https://arxiv.org/abs/0704.0001", "0704.0001", 0);
	check_split("http://export.arxiv.org/abs/hep-th/9901001v2", "hep-th/9901001", 2);
	check_split("https://arxiv.org/abs/math.AP/0301001v12", "math.AP/0301001", 12);
	check_split("http://arxiv.org/abs/cond-mat.str-el/0101001", "cond-mat.str-el/0101001", 0);
	check_split("http://arxiv.org/abs/astro-ph/0601001v1", "astro-ph/0601001", 1);
	check_split("http://localhost:8080/abs/1111.2011v2", "1111.2011", 2);
	check_split("http://arxiv.org/abs/1204.5678v999999999", "1204.5678", 999999999);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		bool		ok = atom_split_id(bad[i], idbuf, sizeof(idbuf), &version);

		if (ok)
			fprintf(stdout, "  accepted bad id URL \"%s\"\n", bad[i]);
		CHECK(!ok);
	}
	CHECK(!atom_split_id(NULL, idbuf, sizeof(idbuf), &version));
	CHECK(!atom_split_id("http://arxiv.org/abs/1204.5678", NULL, 10, &version));

	/* buffer size: the id and its terminator must fit */
	CHECK(!atom_split_id("http://arxiv.org/abs/1204.5678v1", idbuf, 9, &version));
	CHECK(atom_split_id("http://arxiv.org/abs/1204.5678v1", idbuf, 10, &version));
	CHECK(!atom_split_id("http://arxiv.org/abs/1204.5678v1", idbuf, 0, &version));
	CHECK(atom_split_id("http://arxiv.org/abs/1204.5678v3", idbuf, sizeof(idbuf), NULL));
}

/* ---------- fuzz regressions ---------- */

/*
 * Inputs the fuzzer once crashed on or found a discrepancy with, put
 * through the fuzzer's own checks (atom_fuzz_input) and through the same
 * chunking rule with fixed piece sizes.
 */
static void
test_regressions(void)
{
	static const size_t chunks[] = {1, 7, 4096};
	char	  **names;
	int			n;
	int			i;

	if (regression_dir == NULL)
		return;
	n = list_dir(regression_dir, NULL, &names);
	if (n < 0)
	{
		fprintf(stdout, "  cannot read %s\n", regression_dir);
		CHECK(n >= 0);
		return;
	}
	for (i = 0; i < n; i++)
	{
		Buf			path = {0};
		char	   *data;
		size_t		len;
		size_t		c;

		buf_printf(&path, "%s/%s", regression_dir, names[i]);
		data = read_file(path.data, &len);
		CHECK(data != NULL);
		if (data != NULL)
		{
			CHECK(atom_fuzz_input(data, len));
			for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++)
			{
				bool		ok = atom_check_input(data, len,
												 CHUNK_FIXED(chunks[c]), 0);

				if (!ok)
					fprintf(stdout, "  %s: %zu-byte chunks change the outcome\n",
							names[i], chunks[c]);
				CHECK(ok);
			}
		}
		free(data);
		buf_free(&path);
		free(names[i]);
	}
	free(names);
}

/* ---------- benchmark ---------- */

static int
bench_callback(void *arg, const AtomEntry *e)
{
	size_t	   *sum = arg;

	/* touch the strings, as a real consumer would */
	*sum += strlen(e->title ? e->title : "") + strlen(e->summary ? e->summary : "") +
		(size_t) e->nauthors;
	return 0;
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int
run_bench(const char *file, long repeat, const char *outfile)
{
	size_t		len;
	char	   *data = read_file(file, &len);
	const char *first;
	const char *last;
	Buf			doc = {0};
	double		best = 1e9;
	size_t		sum = 0;
	long		i;
	int			round;

	if (data == NULL || repeat < 1)
	{
		fprintf(stderr, "test_atom: cannot read %s\n", file);
		return 2;
	}
	first = strstr(data, "<entry>");
	last = NULL;
	for (const char *s = first; s && (s = strstr(s, "</entry>")) != NULL; s += 8)
		last = s + 8;
	if (first == NULL || last == NULL)
	{
		fprintf(stderr, "test_atom: %s has no entries\n", file);
		return 2;
	}
	buf_append(&doc, data, (size_t) (first - data));
	for (i = 0; i < repeat; i++)
		buf_append(&doc, first, (size_t) (last - first));
	buf_puts(&doc, last);

	if (outfile != NULL)
	{
		FILE	   *f = fopen(outfile, "wb");

		if (f == NULL || fwrite(doc.data, 1, doc.len, f) != doc.len || fclose(f) != 0)
		{
			fprintf(stderr, "test_atom: cannot write %s\n", outfile);
			return 2;
		}
	}

	for (round = 0; round < 5; round++)
	{
		AtomParser *p = atom_parser_create(bench_callback, &sum);
		double		t0 = now_seconds();
		size_t		off;
		AtomStatus	st = ATOM_OK;

		/* 16 KiB pieces, as libcurl delivers them */
		for (off = 0; off < doc.len && st == ATOM_OK; off += 16384)
			st = atom_parser_feed(p, doc.data + off,
								  doc.len - off < 16384 ? doc.len - off : 16384);
		if (st == ATOM_OK)
			st = atom_parser_finish(p);
		if (st != ATOM_OK)
		{
			fprintf(stderr, "test_atom: bench parse failed: %s\n", atom_parser_errmsg(p));
			return 1;
		}
		if (now_seconds() - t0 < best)
			best = now_seconds() - t0;
		atom_parser_free(p);
	}
	printf("atom_parser: %.1f MB in %.3f s = %.1f MB/s (%ld entries, checksum %zu)\n",
		   (double) doc.len / 1e6, best, (double) doc.len / 1e6 / best,
		   repeat * 10, sum);
	buf_free(&doc);
	free(data);
	return 0;
}

/* ---------- main ---------- */

static void
run_group(const char *name, void (*fn) (void))
{
	int			failures_before = nfailures;
	int			checks_before = nchecks;

	fn();
	printf("%s %-28s %6d checks\n",
		   nfailures == failures_before ? "ok  " : "FAIL",
		   name, nchecks - checks_before);
	fflush(stdout);
}

static const char *
default_fixture_dir(void)
{
	static const char *const candidates[] = {
		"test/fixtures/arxiv-atom", /* from the repository root */
		"../fixtures/arxiv-atom",	/* from test/unit */
	};
	size_t		i;

	for (i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
	{
		DIR		   *d = opendir(candidates[i]);

		if (d != NULL)
		{
			closedir(d);
			return candidates[i];
		}
	}
	return candidates[0];
}

int
main(int argc, char **argv)
{
	int			i;

	if (argc >= 4 && strcmp(argv[1], "--bench") == 0)
		return run_bench(argv[2], atol(argv[3]), argc >= 5 ? argv[4] : NULL);

	fixture_dir = argc >= 2 ? argv[1] : default_fixture_dir();
	regression_dir = argc >= 3 ? argv[2] : NULL;
	if (!load_fixtures(fixture_dir))
	{
		fprintf(stderr, "test_atom: cannot read fixture directory \"%s\"\n"
				"Pass it as the first argument.\n",
				fixture_dir);
		return 2;
	}
	printf("fixtures: %s (%d files)\n", fixture_dir, nfixtures);

	run_group("fixture 01 (old, doi)", test_fixture_01);
	run_group("fixture 04 (old, paging)", test_fixture_04);
	run_group("fixture 06 (new, error)", test_fixture_06);
	run_group("fixture 07 (new, empty)", test_fixture_07);
	run_group("fixture 10 (34 authors)", test_fixture_10);
	run_group("fixture 13 (affiliations)", test_fixture_13);
	run_group("fixture 16 (new, search)", test_fixture_16);
	run_group("fixture 21 (old, error)", test_fixture_21);
	run_group("fixture 26 (old, 2025)", test_fixture_26);
	run_group("fixture 31 (query error)", test_fixture_31);
	run_group("all fixtures: invariants", test_all_fixtures);
	run_group("chunking = one-shot", test_chunking);
	run_group("truncation fails", test_truncation);
	run_group("DOCTYPE/entities refused", test_doctype_refused);
	run_group("depth limit", test_depth_limit);
	run_group("size limits", test_size_limits);
	run_group("count limits", test_count_limits);
	run_group("bad responses", test_bad_responses);
	run_group("namespaces, not prefixes", test_namespaces);
	run_group("text decoding", test_text_decoding);
	run_group("entry details", test_entry_details);
	run_group("error entries", test_error_entries);
	run_group("callback and lifecycle", test_callback_and_lifecycle);
	run_group("allocation failures", test_allocation_failures);
	run_group("atom_split_id", test_split_id);
	if (regression_dir != NULL)
		run_group("fuzz regressions", test_regressions);

	for (i = 0; i < nfixtures; i++)
	{
		free(fixtures[i].name);
		free(fixtures[i].data);
	}
	free(fixtures);

	printf("%s: %d checks, %d failed\n",
		   nfailures == 0 ? "PASS" : "FAIL", nchecks, nfailures);
	return nfailures == 0 ? 0 : 1;
}
