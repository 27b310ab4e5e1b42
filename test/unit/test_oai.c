/*-------------------------------------------------------------------------
 *
 * test_oai.c
 *	  Standalone unit tests for the OAI-PMH parser and the arXivRaw helpers
 *	  (src/oai.c).
 *
 * No framework and no PostgreSQL.  The program parses every recorded
 * response in the OAI fixture directory and compares a canonical dump of
 * everything the parser reports with oai_expected.txt, which
 * gen_oai_expected.py wrote from the same files with lxml's tree API (an
 * independent reading); checks concrete values by hand on top; checks that
 * chunking never changes the result and truncation never passes; throws
 * hostile and broken documents and the shapes of arXiv's new server at the
 * parser; makes each of its allocations fail in turn; and tests the author
 * splitter and date parsers.  Build with ASan/UBSan (see Makefile).
 * Documents reach the parser through test/lib/oai_driver.c, which the
 * fuzzer shares, so the chunking rule and the record invariants it checks
 * hold here on every parse as well.
 *
 * Usage: test_oai FIXTURE_DIR EXPECTED_FILE [REGRESSION_DIR]
 *		  test_oai --dump FILE		canonical dump of one response ("-":
 *									stdin), in oai_expected.txt's format
 *		  test_oai --bench FILE REPEAT
 *									parse speed and peak memory
 *
 * IDENTIFICATION
 *	  test/unit/test_oai.c
 *
 *-------------------------------------------------------------------------
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "../lib/oai_driver.h"

#define OAI_OPEN \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
	"<OAI-PMH xmlns=\"http://www.openarchives.org/OAI/2.0/\">\n" \
	"<responseDate>2026-09-20T10:00:00Z</responseDate>\n"
#define OAI_CLOSE	"</OAI-PMH>\n"
#define RAW_OPEN	"<arXivRaw xmlns=\"http://arxiv.org/OAI/arXivRaw/\">"

/* ---------- allocation failure injection (as in test_atom.c) ---------- */

static long fail_countdown;

#ifdef OAI_TEST_WRAP_ALLOC
extern void *__real_malloc(size_t size);
extern void *__real_calloc(size_t nmemb, size_t size);
extern void *__real_realloc(void *ptr, size_t size);
extern void *__wrap_malloc(size_t size);
extern void *__wrap_calloc(size_t nmemb, size_t size);
extern void *__wrap_realloc(void *ptr, size_t size);

static bool
injected_failure(void)
{
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
#define CHECK_INT(a, e)		check_long((long) (a), (long) (e), #a, __FILE__, __LINE__)

#define CHECK_STATUS(a, e) \
	check_str(oai_status_name(a), oai_status_name(e), #a, __FILE__, __LINE__)

/* ---------- parsing (test/lib/oai_driver.c) ---------- */

typedef OaiResult Result;

/*
 * Parse, feeding "chunk" bytes at a time (0: all at once).  An invariant
 * the driver checks on every parse (see record_problem there) only counts
 * as a check when it breaks.
 */
static void
parse_doc_ex(const char *data, size_t len, size_t chunk, int stop_after,
			 Result *r)
{
	oai_parse(data, len, CHUNK_FIXED(chunk), stop_after, r);
	if (r->broken != NULL)
	{
		fprintf(stdout, "  invariant broken: %s\n", r->broken);
		CHECK(r->broken == NULL);
	}
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

static OaiStatus
status_of(const char *doc, size_t len)
{
	Result		r;
	OaiStatus	st;

	parse_doc(doc, len, 0, &r);
	st = r.status;
	if (st != OAI_OK)
		CHECK(r.errmsg[0] != '\0');
	oai_result_free(&r);
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
static const char *expected_file;
static const char *regression_dir;

static char *
read_stream(FILE *f, size_t *len)
{
	Buf			b = {0};
	char		chunk[65536];
	size_t		n;

	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	if (b.data == NULL)
		buf_append(&b, "", 0);
	*len = b.len;
	return b.data;
}

static char *
read_file(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	char	   *data;

	if (f == NULL)
		return NULL;
	data = read_stream(f, len);
	fclose(f);
	return data;
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

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
			fprintf(stderr, "test_oai: cannot read %s\n", path.data);
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

static bool
parse_fixture(const char *prefix, Result *r)
{
	const Fixture *f = fixture(prefix);

	CHECK(f != NULL);
	if (f == NULL)
		return false;
	parse_doc(f->data, f->len, 0, r);
	CHECK_STATUS(r->status, OAI_OK);
	return true;
}

/* ---------- every fixture against the independent reading ---------- */

/* The section of the expected file for one fixture; malloc'd, or NULL. */
static char *
expected_section(const char *expected, const char *name)
{
	Buf			head = {0};
	const char *start;
	const char *end;
	char	   *out;

	buf_printf(&head, "file %s\n", name);
	start = strstr(expected, head.data);
	if (start == NULL || (start != expected && start[-1] != '\n'))
	{
		buf_free(&head);
		return NULL;
	}
	start += head.len;
	end = start;
	while (*end != '\0' && strncmp(end, "file ", 5) != 0 &&
		   strncmp(end, "end\n", 4) != 0)
	{
		const char *nl = strchr(end, '\n');

		end = nl ? nl + 1 : end + strlen(end);
	}
	out = xmalloc((size_t) (end - start) + 1);
	memcpy(out, start, (size_t) (end - start));
	out[end - start] = '\0';
	buf_free(&head);
	return out;
}

/* Print the first line where two dumps differ. */
static void
show_difference(const char *name, const char *got, const char *want)
{
	int			line = 1;
	const char *g = got;
	const char *w = want;

	while (*g && *g == *w)
	{
		if (*g == '\n')
			line++;
		g++;
		w++;
	}
	while (g > got && g[-1] != '\n')
		g--;
	while (w > want && w[-1] != '\n')
		w--;
	fprintf(stdout, "  %s: first difference at dump line %d\n    got:      %.*s\n    expected: %.*s\n",
			name, line,
			(int) (strchr(g, '\n') ? strchr(g, '\n') - g : (long) strlen(g)), g,
			(int) (strchr(w, '\n') ? strchr(w, '\n') - w : (long) strlen(w)), w);
}

static void
test_all_fixtures_expected(void)
{
	size_t		len;
	char	   *expected = read_file(expected_file, &len);
	int			i;
	int			nsections = 0;
	const char *s;

	CHECK(expected != NULL);
	if (expected == NULL)
	{
		fprintf(stdout, "  cannot read %s\n", expected_file);
		return;
	}
	/* the expected file covers exactly the fixture files */
	for (s = expected; (s = strstr(s, "file ")) != NULL; s += 5)
		if (s == expected || s[-1] == '\n')
			nsections++;
	CHECK_INT(nsections, nfixtures);
	CHECK(nfixtures >= 14);

	for (i = 0; i < nfixtures; i++)
	{
		char	   *want = expected_section(expected, fixtures[i].name);
		Result		r;

		if (want == NULL)
			fprintf(stdout, "  %s is not in %s\n", fixtures[i].name, expected_file);
		CHECK(want != NULL);
		if (want == NULL)
			continue;
		parse_doc(fixtures[i].data, fixtures[i].len, 0, &r);
		CHECK_STATUS(r.status, OAI_OK);
		if (strcmp(buf_str(&r.dump), want) != 0)
			show_difference(fixtures[i].name, buf_str(&r.dump), want);
		CHECK(strcmp(buf_str(&r.dump), want) == 0);
		oai_result_free(&r);
		free(want);
	}
	free(expected);
}

/* ---------- fixture checks by hand ---------- */

static void
test_fixture_04(void)
{
	Result		r;

	if (!parse_fixture("04_", &r))
		return;
	CHECK_INT(r.info.verb, OAI_VERB_GET_RECORD);
	CHECK_INT(r.nrecords, 1);
	CHECK_STR(r.ids[0], "1302.2146");
	CHECK_STR(r.authors[0], "Joshua Berger, Maxim Perelstein, Michael Saelim and Philip Tanedo");
	CHECK_INT(r.nversions[0], 2);
	CHECK_INT(r.first.format, OAI_FORMAT_ARXIV_RAW);
	CHECK_INT(r.first.nset_specs, 2);
	CHECK_INT(r.first.ncategories, 2);
	CHECK(!r.info.has_token);
	CHECK(r.info.token == NULL);
	CHECK_INT(r.info.nerrors, 0);
	CHECK(strstr(buf_str(&r.dump), " abstract=#") != NULL);
	/* v1 "Fri, 8 Feb 2013 21:00:01 GMT": old unpadded day */
	CHECK(strstr(buf_str(&r.dump), "  unix=1360357201\n") != NULL);
	CHECK(strstr(buf_str(&r.dump), " datestamp=2013-04-03\n") != NULL);
	oai_result_free(&r);
}

static void
test_fixture_05(void)
{
	Result		r;

	if (!parse_fixture("05_", &r))
		return;
	CHECK_INT(r.info.verb, OAI_VERB_LIST_RECORDS);
	CHECK_INT(r.nrecords, 6);
	CHECK_STR(r.ids[0], "0704.0471");
	/* Oxford comma, and the submitter's line break */
	CHECK_STR(r.authors[0], "D.V. Shetty, S.J. Yennello, and G.A. Souliotis");
	CHECK_INT(r.nversions[1], 4);
	CHECK(r.info.has_token);
	CHECK_STR(r.info.token, "726959|1001");
	CHECK_INT(r.info.token_cursor, 0);
	CHECK_INT(r.info.token_complete_list_size, 58011);
	CHECK(r.info.token_expiration == NULL);
	CHECK_STR(r.info.request_verb, "ListRecords");
	/* two DOIs in one element are passed on as sent */
	CHECK(strstr(buf_str(&r.dump),
				 " doi=10.1103/PhysRevC.76.024606 10.1103/PhysRevC.76.039902\n") != NULL);
	CHECK(strstr(buf_str(&r.dump), " msc-class=05A15, 05A16\n") != NULL);
	oai_result_free(&r);
}

static void
check_error_fixture(const char *prefix, OaiErrorCode code, const char *name,
					const char *message)
{
	Result		r;

	if (!parse_fixture(prefix, &r))
		return;
	CHECK_INT(r.info.verb, OAI_VERB_NONE);
	CHECK_INT(r.nrecords, 0);
	CHECK_INT(r.info.nerrors, 1);
	CHECK_INT(r.info.error, code);
	CHECK_STR(r.info.error_code, name);
	CHECK_STR(r.info.error_message, message);
	CHECK(!r.info.has_token);
	oai_result_free(&r);
}

static void
test_fixture_errors(void)
{
	check_error_fixture("06_", OAI_ERROR_BAD_ARGUMENT, "badArgument",
						"Verb 'ListRecords', illegal argument 'identifier'.");
	check_error_fixture("07_", OAI_ERROR_BAD_RESUMPTION_TOKEN, "badResumptionToken",
						"The resumptionToken supplied is illegal for this repository");
	check_error_fixture("08_", OAI_ERROR_ID_DOES_NOT_EXIST, "idDoesNotExist",
						"Identifier 'oai:arXiv.org:0813.2274' has correct form but does not correspond to an item in this repository");
	check_error_fixture("09_", OAI_ERROR_NO_RECORDS_MATCH, "noRecordsMatch",
						"Set argument doesn't match any sets. The setSpec was 'moo'");
}

static void
test_fixture_identify_sets(void)
{
	Result		r;

	if (parse_fixture("20_", &r))
	{
		CHECK_INT(r.info.verb, OAI_VERB_IDENTIFY);
		CHECK_STR(r.info.repository_name, "arXiv");
		CHECK_STR(r.info.base_url, "http://export.arxiv.org/oai2");
		CHECK_STR(r.info.earliest_datestamp, "2007-05-23");
		CHECK_STR(r.info.granularity, "YYYY-MM-DD");
		CHECK_STR(r.info.deleted_record, "persistent");
		CHECK_INT(r.nrecords, 0);
		oai_result_free(&r);
	}
	if (parse_fixture("22_", &r))
	{
		CHECK_INT(r.info.verb, OAI_VERB_LIST_SETS);
		CHECK_INT(r.nsets, 19);
		CHECK_STR(r.set_names[0], "Computer Science");
		CHECK_STR(r.set_names[18], "Statistics");
		CHECK(strstr(buf_str(&r.dump), "set\n spec=physics:hep-th\n name=High Energy Physics - Theory\n") != NULL);
		CHECK(!r.info.has_token);
		oai_result_free(&r);
	}
}

static void
test_fixture_30(void)
{
	Result		r;
	int			i;
	int			n = 0;
	const char *s;

	if (!parse_fixture("30_", &r))
		return;
	CHECK_INT(r.nrecords, 1000);
	CHECK_STR(r.ids[0], "0704.0001");
	CHECK_STR(r.ids[1], "0704.0002");
	CHECK_STR(r.authors[0], "C. Bal\\'azs, E. L. Berger, P. M. Nadolsky, C.-P. Yuan");
	CHECK_INT(r.nversions[0], 2);
	CHECK_STR(r.info.token, "598709|1001");
	CHECK_INT(r.info.token_cursor, 0);
	CHECK_INT(r.info.token_complete_list_size, 947129);
	/* the fixture's README: 54 of 1000 records carry a license */
	for (s = buf_str(&r.dump); (s = strstr(s, "\n license=")) != NULL; s++)
		n++;
	CHECK_INT(n, 54);
	/* ten withdrawn versions (source_type I), as grep counts them */
	n = 0;
	for (s = buf_str(&r.dump); (s = strstr(s, "  source_type=I\n")) != NULL; s++)
		n++;
	CHECK_INT(n, 10);
	/* every version date parsed */
	CHECK(strstr(buf_str(&r.dump), "unix=-") == NULL);
	for (i = 0; i < OAI_MAX_KEPT; i++)
		CHECK(r.ids[i] != NULL);
	oai_result_free(&r);
}

static void
test_fixture_32(void)
{
	Result		r;

	if (!parse_fixture("32_", &r))
		return;
	CHECK_INT(r.nrecords, 1);
	CHECK_INT(r.first.format, OAI_FORMAT_ARXIV);
	CHECK_STR(r.ids[0], "2511.23462");
	/* the new server echoes http, not https */
	CHECK_STR(r.info.request_url, "http://oaipmh.arxiv.org/oai");
	CHECK(strstr(buf_str(&r.dump), " set=physics:physics:atom-ph\n set=physics:quant-ph\n") != NULL);
	CHECK(strstr(buf_str(&r.dump), " created=2025-11-28\n updated=2025-12-01\n") != NULL);
	/* arXiv format: no raw author string, no versions */
	CHECK(r.authors[0] == NULL);
	CHECK_INT(r.nversions[0], 0);
	oai_result_free(&r);
}

/* ---------- chunking and truncation ---------- */

static void
test_chunking(void)
{
	static const size_t chunks[] = {1, 3, 7, 64, 4096};
	int			i;

	for (i = 0; i < nfixtures; i++)
	{
		Result		whole;
		size_t		c;

		parse_doc(fixtures[i].data, fixtures[i].len, 0, &whole);
		for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++)
		{
			Result		r;

			/* one-byte pieces of the 1.7 MB page take too long under ASan */
			if (fixtures[i].len > 100000 && chunks[c] < 64)
				continue;
			parse_doc(fixtures[i].data, fixtures[i].len, chunks[c], &r);
			if (strcmp(buf_str(&r.dump), buf_str(&whole.dump)) != 0)
				fprintf(stdout, "  %s differs with %zu-byte chunks\n",
						fixtures[i].name, chunks[c]);
			CHECK(strcmp(buf_str(&r.dump), buf_str(&whole.dump)) == 0);
			oai_result_free(&r);
		}
		oai_result_free(&whole);
	}
}

static size_t
document_end(const char *data, size_t len)
{
	size_t		i;

	for (i = len; i >= 10; i--)
		if (memcmp(data + i - 10, "</OAI-PMH>", 10) == 0)
			return i;
	return 0;
}

/*
 * A cut before the final "</OAI-PMH>" must fail (with a message); a cut
 * after it must give the full result.
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
		/* about 40 cuts of the 1.7 MB page: each one parses up to it */
		size_t		stride = f->len > 100000 ? f->len / 40 : 1;
		Result		whole;

		CHECK(docend > 0);
		parse_doc(f->data, f->len, 0, &whole);
		for (cut = 0; cut <= f->len; cut++)
		{
			Result		r;
			bool		near_end = f->len - cut < 300 ||
				(f->len > 100000 && cut < 3000);

			if (!near_end && cut % stride != 0)
				continue;
			parse_doc(f->data, cut, cut % 3 == 0 ? 7 : 0, &r);
			if (cut < docend)
			{
				if (r.status != OAI_ERR_XML)
					fprintf(stdout, "  %s cut at %zu: %s\n", f->name, cut,
							oai_status_name(r.status));
				CHECK_STATUS(r.status, OAI_ERR_XML);
				CHECK(r.errmsg[0] != '\0');
			}
			else
				CHECK(strcmp(buf_str(&r.dump), buf_str(&whole.dump)) == 0);
			oai_result_free(&r);
		}
		oai_result_free(&whole);
	}
}

/* ---------- the new server's shapes ---------- */

static void
test_new_server_shapes(void)
{
	Result		r;

	/* single-quoted attributes; error with the spec's sentence + Reason */
	parse_str("<?xml version='1.0' encoding='UTF-8'?>\n"
			  "<OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'>"
			  "<responseDate>2026-09-20T10:00:00Z</responseDate>"
			  "<request verb='ListRecords'>http://oaipmh.arxiv.org/oai</request>"
			  "<error code='badArgument'>The request includes illegal arguments. Reason: start date too early</error>"
			  "</OAI-PMH>", &r);
	CHECK_STATUS(r.status, OAI_OK);
	CHECK_INT(r.info.error, OAI_ERROR_BAD_ARGUMENT);
	CHECK_STR(r.info.error_message, "The request includes illegal arguments. Reason: start date too early");
	oai_result_free(&r);

	/* every error code; only the first of several counts */
	{
		static const struct
		{
			const char *name;
			OaiErrorCode code;
		}			codes[] =
		{
			{"badArgument", OAI_ERROR_BAD_ARGUMENT},
			{"badResumptionToken", OAI_ERROR_BAD_RESUMPTION_TOKEN},
			{"badVerb", OAI_ERROR_BAD_VERB},
			{"cannotDisseminateFormat", OAI_ERROR_CANNOT_DISSEMINATE_FORMAT},
			{"idDoesNotExist", OAI_ERROR_ID_DOES_NOT_EXIST},
			{"noRecordsMatch", OAI_ERROR_NO_RECORDS_MATCH},
			{"noMetadataFormats", OAI_ERROR_NO_METADATA_FORMATS},
			{"noSetHierarchy", OAI_ERROR_NO_SET_HIERARCHY},
			{"somethingNew", OAI_ERROR_OTHER},
		};
		size_t		i;

		for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		{
			Buf			doc = {0};

			buf_printf(&doc, OAI_OPEN "<error code='%s'>first</error>"
					   "<error code='badVerb'>second</error>" OAI_CLOSE,
					   codes[i].name);
			parse_str(doc.data, &r);
			CHECK_STATUS(r.status, OAI_OK);
			CHECK_INT(r.info.error, codes[i].code);
			CHECK_STR(r.info.error_code, codes[i].name);
			CHECK_STR(r.info.error_message, "first");
			CHECK_INT(r.info.nerrors, 2);
			CHECK_INT(oai_error_code_from_string(codes[i].name), codes[i].code);
			if (codes[i].code != OAI_ERROR_OTHER)
				CHECK_STR(oai_error_code_name(codes[i].code), codes[i].name);
			oai_result_free(&r);
			buf_free(&doc);
		}
		CHECK_INT(oai_error_code_from_string(NULL), OAI_ERROR_OTHER);
		CHECK_STR(oai_error_code_name(OAI_ERROR_NONE), "none");
		/* an error without a code attribute */
		parse_str(OAI_OPEN "<error>no code</error>" OAI_CLOSE, &r);
		CHECK_INT(r.info.error, OAI_ERROR_OTHER);
		CHECK(r.info.error_code == NULL);
		CHECK_STR(r.info.error_message, "no code");
		oai_result_free(&r);
	}

	/* new token: expirationDate, no cursor or size; zero-padded dates */
	parse_str(OAI_OPEN "<ListRecords><record><header>"
			  "<identifier>oai:arXiv.org:2609.00001</identifier>"
			  "<datestamp>2026-09-19</datestamp>"
			  "<setSpec>cs:cs:OS</setSpec><setSpec>cs:cs:DC</setSpec>"
			  "</header><metadata>" RAW_OPEN
			  "<id>2609.00001</id><submitter>A B</submitter>"
			  "<version version='v1'><date>Sat, 05 Sep 2026 01:02:03 GMT</date><size>0kb</size><source_type>AS</source_type></version>"
			  "<version version='v2'><date>Sat, 19 Sep 2026 23:59:59 GMT</date><size>12kb</size><source_type>I</source_type></version>"
			  "<title>T</title><authors>A B</authors><categories>cs.OS cs.DC</categories>"
			  "<acm-class>D.4</acm-class><proxy>ccsd</proxy><report-no>R-1</report-no>"
			  "</arXivRaw></metadata></record>"
			  "<resumptionToken expirationDate='2026-09-21T00:00:00Z'>"
			  "verb%3DListRecords%26metadataPrefix%3DarXivRaw%26from%3D2026-09-19%26skip%3D1300"
			  "</resumptionToken></ListRecords>" OAI_CLOSE, &r);
	CHECK_STATUS(r.status, OAI_OK);
	CHECK(r.info.has_token);
	CHECK_STR(r.info.token, "verb%3DListRecords%26metadataPrefix%3DarXivRaw%26from%3D2026-09-19%26skip%3D1300");
	CHECK_STR(r.info.token_expiration, "2026-09-21T00:00:00Z");
	CHECK_INT(r.info.token_cursor, -1);
	CHECK_INT(r.info.token_complete_list_size, -1);
	CHECK(strstr(buf_str(&r.dump),
				 " version\n   label=v1\n  number=1\n   date=Sat, 05 Sep 2026 01:02:03 GMT\n  unix=1788570123\n   size=0kb\n  kb=0\n   source_type=AS\n") != NULL);
	CHECK(strstr(buf_str(&r.dump), "  unix=1789862399\n") != NULL);
	CHECK(strstr(buf_str(&r.dump), " proxy=ccsd\n report-no=R-1\n") != NULL);
	CHECK(strstr(buf_str(&r.dump), " category=cs.OS\n category=cs.DC\n") != NULL);
	oai_result_free(&r);

	/* the empty final token, both spellings: the list is complete */
	parse_str(OAI_OPEN "<ListRecords><resumptionToken/></ListRecords>" OAI_CLOSE, &r);
	CHECK(r.info.has_token);
	CHECK_STR(r.info.token, "");
	oai_result_free(&r);
	parse_str(OAI_OPEN "<ListRecords><resumptionToken completeListSize='5' cursor='5'>  </resumptionToken></ListRecords>" OAI_CLOSE, &r);
	CHECK(r.info.has_token);
	CHECK_STR(r.info.token, "");
	CHECK_INT(r.info.token_cursor, 5);
	oai_result_free(&r);
	/* a bad number in an attribute is -1, not a failure */
	parse_str(OAI_OPEN "<ListRecords><resumptionToken cursor='x1' completeListSize='-3'>t</resumptionToken></ListRecords>" OAI_CLOSE, &r);
	CHECK_STATUS(r.status, OAI_OK);
	CHECK_INT(r.info.token_cursor, -1);
	CHECK_INT(r.info.token_complete_list_size, -1);
	oai_result_free(&r);

	/* deleted header (declared persistent; arXiv has never sent one) */
	parse_str(OAI_OPEN "<GetRecord><record><header status='deleted'>"
			  "<identifier>oai:arXiv.org:hep-th/9901001</identifier>"
			  "<datestamp>2005-09-16</datestamp><setSpec>physics:hep-th</setSpec>"
			  "</header></record></GetRecord>" OAI_CLOSE, &r);
	CHECK_INT(r.nrecords, 1);
	CHECK(r.first.deleted);
	CHECK_INT(r.first.format, OAI_FORMAT_NONE);
	CHECK_STR(r.ids[0], "oai:arXiv.org:hep-th/9901001");
	oai_result_free(&r);
	/* status other than "deleted" is not deleted */
	parse_str(OAI_OPEN "<GetRecord><record><header status='deletedX'><identifier>x</identifier>"
			  "</header></record></GetRecord>" OAI_CLOSE, &r);
	CHECK(!r.first.deleted);
	oai_result_free(&r);

	/* ListIdentifiers: each header is a record */
	parse_str(OAI_OPEN "<ListIdentifiers>"
			  "<header><identifier>oai:arXiv.org:0704.0001</identifier><datestamp>2008-11-26</datestamp><setSpec>physics:hep-ph</setSpec></header>"
			  "<header status='deleted'><identifier>oai:arXiv.org:0704.0002</identifier><datestamp>2008-12-13</datestamp></header>"
			  "<resumptionToken expirationDate='2026-09-21T00:00:00Z'>t</resumptionToken>"
			  "</ListIdentifiers>" OAI_CLOSE, &r);
	CHECK_INT(r.info.verb, OAI_VERB_LIST_IDENTIFIERS);
	CHECK_INT(r.nrecords, 2);
	CHECK_STR(r.ids[1], "oai:arXiv.org:0704.0002");
	CHECK(strstr(buf_str(&r.dump), "oai:arXiv.org:0704.0002\n datestamp=2008-12-13\n deleted=1\n format=none\n") != NULL);
	CHECK_STR(r.info.token, "t");
	oai_result_free(&r);

	/* ListSets of the new server: group:archive:SUBJ */
	parse_str(OAI_OPEN "<ListSets>"
			  "<set><setSpec>cs</setSpec><setName>Computer Science</setName></set>"
			  "<set><setSpec>cs:cs:OS</setSpec><setName>Operating Systems</setName>"
			  "<setDescription><x>ignored</x></setDescription></set>"
			  "<set><setSpec>physics:astro-ph:HE</setSpec></set>"
			  "</ListSets>" OAI_CLOSE, &r);
	CHECK_INT(r.nsets, 3);
	CHECK_STR(r.set_names[1], "Operating Systems");
	CHECK(r.set_names[2] == NULL);
	CHECK(strstr(buf_str(&r.dump), "set\n spec=cs:cs:OS\n name=Operating Systems\n") != NULL);
	oai_result_free(&r);

	/* ListMetadataFormats parses; nothing is extracted */
	parse_str(OAI_OPEN "<ListMetadataFormats><metadataFormat><metadataPrefix>arXivRaw</metadataPrefix>"
			  "</metadataFormat></ListMetadataFormats>" OAI_CLOSE, &r);
	CHECK_STATUS(r.status, OAI_OK);
	CHECK_INT(r.info.verb, OAI_VERB_LIST_METADATA_FORMATS);
	CHECK_INT(r.nrecords + r.nsets, 0);
	oai_result_free(&r);

	/* a format the parser does not know: header only */
	parse_str(OAI_OPEN "<ListRecords><record><header><identifier>i</identifier></header>"
			  "<metadata><oai_dc:dc xmlns:oai_dc='http://www.openarchives.org/OAI/2.0/oai_dc/' "
			  "xmlns:dc='http://purl.org/dc/elements/1.1/'><dc:title>T</dc:title></oai_dc:dc>"
			  "</metadata></record></ListRecords>" OAI_CLOSE, &r);
	CHECK_INT(r.first.format, OAI_FORMAT_OTHER);
	CHECK(strstr(buf_str(&r.dump), "title") == NULL);
	oai_result_free(&r);
}

/* ---------- namespaces, decoding, details ---------- */

static void
test_namespaces_and_text(void)
{
	Result		r;

	/* prefixes instead of default namespaces; order of elements changed */
	parse_str("<o:OAI-PMH xmlns:o='http://www.openarchives.org/OAI/2.0/'>"
			  "<o:ListRecords><o:record><o:metadata>"
			  "<r:arXivRaw xmlns:r='http://arxiv.org/OAI/arXivRaw/'>"
			  "<r:abstract>abs</r:abstract><r:id>1234.5678</r:id>"
			  "<r:version version='v3'><r:size>1kb</r:size></r:version>"
			  "</r:arXivRaw></o:metadata>"
			  "<o:header><o:identifier>oai:arXiv.org:1234.5678</o:identifier></o:header>"
			  "</o:record></o:ListRecords></o:OAI-PMH>", &r);
	CHECK_STATUS(r.status, OAI_OK);
	CHECK_INT(r.nrecords, 1);
	CHECK(strstr(buf_str(&r.dump), " identifier=oai:arXiv.org:1234.5678\n") != NULL);
	CHECK(strstr(buf_str(&r.dump), " id=1234.5678\n") != NULL);
	CHECK(strstr(buf_str(&r.dump), "   label=v3\n  number=3\n  unix=-\n   size=1kb\n  kb=1\n") != NULL);
	oai_result_free(&r);

	/* same local names in a foreign namespace are ignored */
	parse_str(OAI_OPEN "<ListRecords><record><header><identifier>i</identifier></header>"
			  "<metadata>" RAW_OPEN "<id>1</id><x:title xmlns:x='urn:x'>wrong</x:title>"
			  "<title>right</title><version><x:date xmlns:x='urn:x'>wrong</x:date></version>"
			  "</arXivRaw></metadata></record></ListRecords>" OAI_CLOSE, &r);
	CHECK(strstr(buf_str(&r.dump), " title=right\n") != NULL);
	CHECK(strstr(buf_str(&r.dump), "wrong") == NULL);
	/* a version without its attribute */
	CHECK(strstr(buf_str(&r.dump), " version\n  number=0\n  unix=-\n  kb=-1\n") != NULL);
	oai_result_free(&r);

	/* a root in the wrong namespace, or the OAI 1.1 one */
	CHECK_STATUS(STATUS_OF("<OAI-PMH/>"), OAI_ERR_NOT_OAI);
	CHECK_STATUS(STATUS_OF("<OAI-PMH xmlns='http://www.openarchives.org/OAI/1.1/'/>"), OAI_ERR_NOT_OAI);
	CHECK_STATUS(STATUS_OF("<feed xmlns='http://www.w3.org/2005/Atom'><entry/></feed>"), OAI_ERR_NOT_OAI);

	/* entities, character references, CDATA, whitespace, UTF-8 */
	parse_str(OAI_OPEN "<ListRecords><record><header><identifier>i</identifier></header>"
			  "<metadata>" RAW_OPEN
			  "<title>  A &amp; B &lt;C&gt; &#233;&#x e9; </title>"
			  "</arXivRaw></metadata></record></ListRecords>" OAI_CLOSE, &r);
	CHECK_STATUS(r.status, OAI_ERR_XML); /* "&#x e9;" is malformed */
	oai_result_free(&r);
	parse_str(OAI_OPEN "<ListRecords><record><header><identifier>i</identifier></header>"
			  "<metadata>" RAW_OPEN
			  "<title>\n  A &amp; B &lt;C&gt; &#233;&#xe9; <![CDATA[x <y>]]>\tz\r\n </title>"
			  "<authors>Jos\xc3\xa9 \xc3\x89pijournal, Ren{\\'e} Fournet</authors>"
			  "<journal-ref>\xc3\x83\xe2\x80\xb0pijournal</journal-ref>"
			  "<comments></comments><doi/>"
			  "<version version='v1'><date>Mon, 2 Apr 2007 19:18:42 GMT</date></version>"
			  "</arXivRaw></metadata></record>"
			  "<resumptionToken expirationDate='a&amp;b'>x&amp;y</resumptionToken>"
			  "</ListRecords>" OAI_CLOSE, &r);
	CHECK_STATUS(r.status, OAI_OK);
	CHECK(strstr(buf_str(&r.dump), " title=A & B <C> \xc3\xa9\xc3\xa9 x <y> z\n") != NULL);
	CHECK_STR(r.authors[0], "Jos\xc3\xa9 \xc3\x89pijournal, Ren{\\'e} Fournet");
	/* double-encoded UTF-8 is passed on untouched */
	CHECK(strstr(buf_str(&r.dump), " journal-ref=\xc3\x83\xe2\x80\xb0pijournal\n") != NULL);
	/* empty elements give "", not NULL */
	CHECK(strstr(buf_str(&r.dump), " comments=\n") != NULL);
	CHECK(strstr(buf_str(&r.dump), " doi=\n") != NULL);
	CHECK(strstr(buf_str(&r.dump), " categories=") == NULL);
	CHECK_STR(r.info.token, "x&y");
	CHECK_STR(r.info.token_expiration, "a&b");
	CHECK(strstr(buf_str(&r.dump), "  unix=1175541522\n") != NULL);
	oai_result_free(&r);

	/* first occurrence of a single-valued field wins; text of children kept */
	parse_str(OAI_OPEN "<GetRecord><record><header><identifier>first</identifier>"
			  "<identifier>second</identifier></header><metadata>" RAW_OPEN
			  "<id>1</id><id>2</id><title>a <b>bold</b> c</title>"
			  "</arXivRaw>" RAW_OPEN "<id>3</id></arXivRaw>"
			  "</metadata></record></GetRecord>" OAI_CLOSE, &r);
	CHECK(strstr(buf_str(&r.dump), " identifier=first\n") != NULL);
	CHECK(strstr(buf_str(&r.dump), " id=1\n") != NULL);
	CHECK(strstr(buf_str(&r.dump), " title=a bold c\n") != NULL);
	oai_result_free(&r);

	/* the next record starts clean */
	parse_str(OAI_OPEN "<ListRecords>"
			  "<record><header><identifier>a</identifier><setSpec>s</setSpec></header><metadata>" RAW_OPEN
			  "<id>1</id><doi>d</doi><categories>x y</categories><version version='v1'/></arXivRaw></metadata></record>"
			  "<record><header><identifier>b</identifier></header><metadata>" RAW_OPEN
			  "<id>2</id></arXivRaw></metadata></record>"
			  "</ListRecords>" OAI_CLOSE, &r);
	CHECK_INT(r.nrecords, 2);
	CHECK_INT(r.nversions[1], 0);
	CHECK(strstr(buf_str(&r.dump), "record\n identifier=b\n deleted=0\n format=arXivRaw\n id=2\nend") == NULL);
	CHECK(strstr(buf_str(&r.dump), "record\n identifier=b\n deleted=0\n format=arXivRaw\n id=2\n") != NULL);
	{
		const char *second = strstr(buf_str(&r.dump), "identifier=b");

		CHECK(second != NULL && strstr(second, "doi") == NULL &&
			  strstr(second, "category") == NULL && strstr(second, "set=") == NULL);
	}
	oai_result_free(&r);
}

/* ---------- hostile input ---------- */

static const char billion_laughs[] =
"<?xml version=\"1.0\"?>\n"
"<!DOCTYPE lolz [\n"
" <!ENTITY lol \"lol\">\n"
" <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
" <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
" <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
"]>\n"
"<OAI-PMH xmlns=\"http://www.openarchives.org/OAI/2.0/\"><error code='x'>&lol3;</error></OAI-PMH>\n";

static void
test_hostile(void)
{
	static const char *const forbidden[] = {
		billion_laughs,
		"<?xml version=\"1.0\"?>\n<!DOCTYPE OAI-PMH [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n"
		"<OAI-PMH xmlns=\"http://www.openarchives.org/OAI/2.0/\"><error>&xxe;</error></OAI-PMH>",
		"<!DOCTYPE OAI-PMH SYSTEM \"http://127.0.0.1:1/x.dtd\"><OAI-PMH xmlns=\"http://www.openarchives.org/OAI/2.0/\"/>",
	};
	static const struct
	{
		const char *doc;
		OaiStatus	status;
	}			bad[] =
	{
		{"", OAI_ERR_XML},
		{"   \n", OAI_ERR_XML},
		{"first byte timeout", OAI_ERR_XML},
		{"Rate exceeded.", OAI_ERR_XML},
		{"{\"error\": \"503\"}", OAI_ERR_XML},
		{"<html><body>503 Service Unavailable</body></html>", OAI_ERR_NOT_OAI},
		{"<!DOCTYPE html><html><body>Access Denied</body></html>", OAI_ERR_NOT_OAI},
		{"<OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'>", OAI_ERR_XML},
		{"<OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'></OAI-PMH><x/>", OAI_ERR_XML},
		{"<OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'><a></b></OAI-PMH>", OAI_ERR_XML},
		{"\xff\xfe<\x00O\x00", OAI_ERR_XML},
		{"<?xml version='1.0' encoding='UTF-8'?><OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'><error>\xc3\x28</error></OAI-PMH>", OAI_ERR_XML},
		{"<?xml version='1.0' encoding='x-no-such-charset'?><OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'/>", OAI_ERR_XML},
		/* declared encodings other than UTF-8 are refused (sax_common.c) */
		{"<?xml version='1.0' encoding='UTF-7'?><OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'/>", OAI_ERR_XML},
		{"<?xml version='1.0' encoding='ISO-8859-1'?><OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'/>", OAI_ERR_XML},
	};
	size_t		i;

	for (i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++)
		CHECK_STATUS(STATUS_OF(forbidden[i]), OAI_ERR_FORBIDDEN);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		OaiStatus	st = status_of(bad[i].doc, strlen(bad[i].doc));

		if (st != bad[i].status)
			fprintf(stdout, "  bad[%zu]: %s\n", i, oai_status_name(st));
		CHECK_STATUS(st, bad[i].status);
	}
	/* a NUL byte inside the document */
	CHECK_STATUS(status_of("<OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'>\0</OAI-PMH>", 62),
				 OAI_ERR_XML);
}

static void
test_limits(void)
{
	Buf			doc = {0};
	Result		r;
	int			i;

	/* depth: 63 open elements is fine, 65 is not */
	buf_puts(&doc, OAI_OPEN "<ListRecords><record><metadata>" RAW_OPEN "<title>");
	for (i = 0; i < 58; i++)
		buf_puts(&doc, "<x>");
	buf_puts(&doc, "deep");
	for (i = 0; i < 58; i++)
		buf_puts(&doc, "</x>");
	buf_puts(&doc, "</title></arXivRaw></metadata></record></ListRecords>" OAI_CLOSE);
	parse_str(doc.data, &r);
	CHECK_STATUS(r.status, OAI_OK);
	CHECK(strstr(buf_str(&r.dump), " title=deep\n") != NULL);
	oai_result_free(&r);
	buf_free(&doc);

	buf_puts(&doc, OAI_OPEN);
	for (i = 0; i < 70; i++)
		buf_puts(&doc, "<x>");
	CHECK_STATUS(STATUS_OF(doc.data), OAI_ERR_LIMIT);
	buf_free(&doc);

	/* one field over 4 MiB */
	buf_puts(&doc, OAI_OPEN "<ListRecords><record><metadata>" RAW_OPEN "<abstract>");
	buf_repeat(&doc, "abcdefgh ", 4 * 1024 * 1024 / 9 + 10);
	buf_puts(&doc, "</abstract></arXivRaw></metadata></record></ListRecords>" OAI_CLOSE);
	parse_str(doc.data, &r);
	CHECK_STATUS(r.status, OAI_ERR_LIMIT);
	CHECK(strstr(r.errmsg, "text field") != NULL);
	oai_result_free(&r);
	buf_free(&doc);

	/* just under 4 MiB is fine */
	buf_puts(&doc, OAI_OPEN "<ListRecords><record><metadata>" RAW_OPEN "<abstract>");
	buf_repeat(&doc, "abcdefgh ", 4 * 1024 * 1024 / 9 - 10);
	buf_puts(&doc, "</abstract></arXivRaw></metadata></record></ListRecords>" OAI_CLOSE);
	CHECK_STATUS(STATUS_OF(doc.data), OAI_OK);
	buf_free(&doc);

	/* counts: versions, setSpecs, categories */
	buf_puts(&doc, OAI_OPEN "<ListRecords><record><metadata>" RAW_OPEN);
	buf_repeat(&doc, "<version version='v1'/>", 10001);
	buf_puts(&doc, "</arXivRaw></metadata></record></ListRecords>" OAI_CLOSE);
	CHECK_STATUS(STATUS_OF(doc.data), OAI_ERR_LIMIT);
	buf_free(&doc);
	buf_puts(&doc, OAI_OPEN "<ListRecords><record><metadata>" RAW_OPEN);
	buf_repeat(&doc, "<version version='v1'/>", 10000);
	buf_puts(&doc, "</arXivRaw></metadata></record></ListRecords>" OAI_CLOSE);
	parse_str(doc.data, &r);
	CHECK_STATUS(r.status, OAI_OK);
	CHECK_INT(r.nversions[0], 10000);
	oai_result_free(&r);
	buf_free(&doc);

	buf_puts(&doc, OAI_OPEN "<ListRecords><record><header>");
	buf_repeat(&doc, "<setSpec>s</setSpec>", 1001);
	buf_puts(&doc, "</header></record></ListRecords>" OAI_CLOSE);
	CHECK_STATUS(STATUS_OF(doc.data), OAI_ERR_LIMIT);
	buf_free(&doc);

	buf_puts(&doc, OAI_OPEN "<ListRecords><record><metadata>" RAW_OPEN "<categories>");
	buf_repeat(&doc, "c ", 1001);
	buf_puts(&doc, "</categories></arXivRaw></metadata></record></ListRecords>" OAI_CLOSE);
	CHECK_STATUS(STATUS_OF(doc.data), OAI_ERR_LIMIT);
	buf_free(&doc);
	buf_puts(&doc, OAI_OPEN "<ListRecords><record><metadata>" RAW_OPEN "<categories>");
	buf_repeat(&doc, "c ", 1000);
	buf_puts(&doc, "</categories></arXivRaw></metadata></record></ListRecords>" OAI_CLOSE);
	parse_str(doc.data, &r);
	CHECK_STATUS(r.status, OAI_OK);
	CHECK_INT(r.first.ncategories, 1000);
	oai_result_free(&r);
	buf_free(&doc);

	/* many records in one page: memory is reused, not accumulated */
	buf_puts(&doc, OAI_OPEN "<ListRecords>");
	buf_repeat(&doc, "<record><header><identifier>oai:arXiv.org:1</identifier></header></record>", 20000);
	buf_puts(&doc, "</ListRecords>" OAI_CLOSE);
	parse_str(doc.data, &r);
	CHECK_INT(r.nrecords, 20000);
	oai_result_free(&r);
	buf_free(&doc);
}

/* ---------- callbacks, lifecycle, allocation failures ---------- */

static void
test_callback_and_lifecycle(void)
{
	const Fixture *f = fixture("05_");
	Result		r;
	OaiParser  *p;

	CHECK(f != NULL);
	if (f != NULL)
	{
		parse_doc_ex(f->data, f->len, 100, 2, &r);
		CHECK_STATUS(r.status, OAI_ERR_CALLBACK);
		CHECK_INT(r.nrecords, 2);
		oai_result_free(&r);
	}
	f = fixture("22_");
	if (f != NULL)
	{
		parse_doc_ex(f->data, f->len, 0, 3, &r);
		CHECK_STATUS(r.status, OAI_ERR_CALLBACK);
		CHECK_INT(r.nsets, 3);
		oai_result_free(&r);
	}

	/* NULL callbacks: counted only */
	p = oai_parser_create(NULL, NULL, NULL);
	CHECK(p != NULL);
	f = fixture("30_");
	if (p != NULL && f != NULL)
	{
		CHECK_STATUS(oai_parser_feed(p, f->data, f->len), OAI_OK);
		CHECK_STATUS(oai_parser_finish(p), OAI_OK);
		CHECK_INT(oai_parser_info(p)->nrecords, 1000);
		CHECK_STR(oai_parser_errmsg(p), "");
		/* finish twice is harmless; feed after finish is an error */
		CHECK_STATUS(oai_parser_finish(p), OAI_OK);
		CHECK_STATUS(oai_parser_feed(p, "x", 1), OAI_ERR_XML);
		CHECK_STATUS(oai_parser_finish(p), OAI_ERR_XML);
	}
	oai_parser_free(p);

	/* free mid-parse, and NULL */
	p = oai_parser_create(NULL, NULL, NULL);
	if (p != NULL && f != NULL)
		CHECK_STATUS(oai_parser_feed(p, f->data, f->len / 2), OAI_OK);
	oai_parser_free(p);
	oai_parser_free(NULL);
	CHECK_STATUS(oai_parser_feed(NULL, "x", 1), OAI_ERR_OOM);
	CHECK_STATUS(oai_parser_finish(NULL), OAI_ERR_OOM);
	CHECK(oai_parser_info(NULL) == NULL);
	CHECK(oai_parser_errmsg(NULL) != NULL);

	/* zero-length feeds and a NULL buffer */
	p = oai_parser_create(NULL, NULL, NULL);
	if (p != NULL)
	{
		CHECK_STATUS(oai_parser_feed(p, NULL, 0), OAI_OK);
		CHECK_STATUS(oai_parser_feed(p, "", 0), OAI_OK);
		CHECK_STATUS(oai_parser_feed(p, NULL, 5), OAI_ERR_XML);
	}
	oai_parser_free(p);
}

static void
test_allocation_failures(void)
{
	const Fixture *f = fixture("05_");
	long		n;
	bool		completed = false;
	int			nfailed_runs = 0;

	CHECK(f != NULL);
#ifndef OAI_TEST_WRAP_ALLOC
	printf("  (skipped: not built with OAI_TEST_WRAP_ALLOC)\n");
	return;
#endif
	if (f == NULL)
		return;

	for (n = 1; n < 2000 && !completed; n++)
	{
		OaiParser  *p;
		OaiStatus	st = OAI_OK;
		size_t		off;

		fail_countdown = n;
		p = oai_parser_create(NULL, NULL, NULL);
		if (p == NULL)
		{
			nfailed_runs++;
			continue;
		}
		for (off = 0; off < f->len && st == OAI_OK; off += 1024)
			st = oai_parser_feed(p, f->data + off,
								 f->len - off < 1024 ? f->len - off : 1024);
		if (st == OAI_OK)
			st = oai_parser_finish(p);
		if (fail_countdown > 0)
		{
			completed = true;
			CHECK_STATUS(st, OAI_OK);
			CHECK_INT(oai_parser_info(p)->nrecords, 6);
		}
		else
		{
			/* libxml2's own allocations are not wrapped, so ours fail */
			nfailed_runs++;
			CHECK_STATUS(st, OAI_ERR_OOM);
			CHECK_STR(oai_parser_errmsg(p), "out of memory");
		}
		fail_countdown = 0;
		oai_parser_free(p);
	}
	fail_countdown = 0;
	CHECK(completed);
	CHECK(nfailed_runs > 5);
}

/* ---------- author strings ---------- */

/*
 * Split raw and compare with the expected "name[|affiliation]" strings;
 * expected is NULL-terminated.
 */
static void
check_authors(const char *raw, const char *const *expected)
{
	size_t		bufsz = 2 * strlen(raw) + 2;
	char	   *buf = xmalloc(bufsz);
	OaiAuthorName names[64];
	int			n = oai_split_authors(raw, buf, bufsz, names, 64);
	int			nexp = 0;
	int			i;

	while (expected[nexp] != NULL)
		nexp++;
	if (n != nexp)
		fprintf(stdout, "  \"%s\": %d names, expected %d\n", raw, n, nexp);
	CHECK_INT(n, nexp);
	for (i = 0; i < n && i < nexp && i < 64; i++)
	{
		Buf			got = {0};

		buf_puts(&got, names[i].name);
		if (names[i].affiliation != NULL)
			buf_printf(&got, "|%s", names[i].affiliation);
		CHECK_STR(got.data, expected[i]);
		buf_free(&got);
	}
	free(buf);
}

#define AUTHORS(raw, ...) \
	do { \
		static const char *const e_[] = {__VA_ARGS__, NULL}; \
		check_authors((raw), e_); \
	} while (0)
#define NO_AUTHORS(raw) \
	do { \
		static const char *const e_[] = {NULL}; \
		check_authors((raw), e_); \
	} while (0)

static void
test_split_authors(void)
{
	/* the fixtures' strings (04, 05, 25, 30) */
	AUTHORS("Joshua Berger, Maxim Perelstein, Michael Saelim and Philip Tanedo",
			"Joshua Berger", "Maxim Perelstein", "Michael Saelim", "Philip Tanedo");
	AUTHORS("D.V. Shetty, S.J. Yennello, and G.A. Souliotis",
			"D.V. Shetty", "S.J. Yennello", "G.A. Souliotis");
	AUTHORS("Carl Lagoze, Herbert Van de Sompel, Michael L. Nelson, Simeon Warner,\n  Robert Sanderson, Pete Johnston",
			"Carl Lagoze", "Herbert Van de Sompel", "Michael L. Nelson",
			"Simeon Warner", "Robert Sanderson", "Pete Johnston");
	AUTHORS("C. Bal\\'azs, E. L. Berger, P. M. Nadolsky, C.-P. Yuan",
			"C. Bal\\'azs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan");
	AUTHORS("A. S. Mishchenko (1 and 2) and N. Nagaosa (1 and 3) ((1) CREST, Japan\n  Science and Technology Agency, (2) Russian Research Centre ``Kurchatov\n  Institute'', (3) The University of Tokyo)",
			"A. S. Mishchenko|1 and 2", "N. Nagaosa|1 and 3");
	AUTHORS("A. A. Schekochihin (Oxford), S. C. Cowley (Culham), W. Dorland\n  (Maryland), G. W. Hammett (Princeton)",
			"A. A. Schekochihin|Oxford", "S. C. Cowley|Culham",
			"W. Dorland|Maryland", "G. W. Hammett|Princeton");
	AUTHORS("Bozhidar Z. Iliev (Institute for Nuclear Research and Nuclear Energy,\n  Bulgarian Academy of Sciences, Sofia, Bulgaria)",
			"Bozhidar Z. Iliev|Institute for Nuclear Research and Nuclear Energy, Bulgarian Academy of Sciences, Sofia, Bulgaria");
	AUTHORS("Sung-Chul Yoon, Philipp Podsiadlowski & Stephan Rosswog",
			"Sung-Chul Yoon", "Philipp Podsiadlowski", "Stephan Rosswog");
	AUTHORS("The BABAR Collaboration, B. Aubert, et al",
			"The BABAR Collaboration", "B. Aubert");
	AUTHORS("CLEO Collaboration: T. K. Pedlar, et al",
			"CLEO Collaboration", "T. K. Pedlar");
	AUTHORS("A. Abulencia et al. (CDF Collaboration)",
			"A. Abulencia|CDF Collaboration");
	AUTHORS("L.M. Zhang, et al, for the Belle Collaboration",
			"L.M. Zhang", "for the Belle Collaboration");
	AUTHORS("Antonio Pipino (1,3), Thomas H. Puzia (2,4), & Francesca Matteucci (3) ((1) Oxford, UK (2) HIA)",
			"Antonio Pipino|1,3", "Thomas H. Puzia|2,4", "Francesca Matteucci|3");
	AUTHORS("Eric L. N. Jensen (1), Gibor Basri (6); (1 - Swarthmore College; 2 - Vanderbilt)",
			"Eric L. N. Jensen|1", "Gibor Basri|6");
	AUTHORS("Yu-Qing Lou (1,2,3) and Wei-Gang Wang (1), ((1) Tsinghua, (2)The University of Chicago)",
			"Yu-Qing Lou|1,2,3", "Wei-Gang Wang|1");
	/* TeX braces protect separators */
	AUTHORS("Mikkel {\\O}bro", "Mikkel {\\O}bro");
	AUTHORS("J. {Smith, Jr.} and {A and B} C", "J. {Smith, Jr.}", "{A and B} C");
	AUTHORS("Zbigniew Pucha{\\l}a and Tomasz Rolski", "Zbigniew Pucha{\\l}a", "Tomasz Rolski");
	/* "and" only as a word; names containing it stay whole */
	AUTHORS("Anders Andersen, Rand Land and Sandra Brandt",
			"Anders Andersen", "Rand Land", "Sandra Brandt");
	AUTHORS("A B&C, D", "A B&C", "D");
	/* edge cases */
	NO_AUTHORS("");
	NO_AUTHORS("  ,, ; and ");
	NO_AUTHORS("et al.");
	NO_AUTHORS("(only an affiliation)");
	AUTHORS("A (unclosed, B", "A|unclosed, B");
	AUTHORS("A ) B, C", "A ) B", "C");
	AUTHORS("A (x) (y), B", "A|x", "B");
	AUTHORS("A ()", "A|");
	AUTHORS("A {unclosed, B", "A {unclosed, B");
	AUTHORS("and A and and B and", "A", "B");
	AUTHORS("\xc3\x89mile Borel and Ren\xc3\xa9 Thom", "\xc3\x89mile Borel", "Ren\xc3\xa9 Thom");

	/* the buffer contract, and maxnames smaller than the count */
	{
		const char *raw = "A, B, C (x), D";
		char		buf[64];
		OaiAuthorName names[2];

		CHECK_INT(oai_split_authors(raw, buf, 2 * strlen(raw) + 1, names, 2), -1);
		CHECK_INT(oai_split_authors(raw, buf, 2 * strlen(raw) + 2, names, 2), 4);
		CHECK_STR(names[0].name, "A");
		CHECK_STR(names[1].name, "B");
		CHECK_INT(oai_split_authors(raw, buf, sizeof(buf), NULL, 0), 4);
		CHECK_INT(oai_split_authors(NULL, buf, sizeof(buf), names, 2), -1);
		CHECK_INT(oai_split_authors(raw, NULL, 0, names, 2), -1);
		CHECK_INT(oai_split_authors(raw, buf, sizeof(buf), NULL, 2), -1);
	}
}

/*
 * Every author string of the 1000-record fixture: names are non-empty,
 * trimmed, and none contains a separator outside parentheses and braces;
 * the worst case of the buffer size holds.
 */
static void
test_split_authors_fixture(void)
{
	const Fixture *f = fixture("30_");
	const char *s;
	int			nstrings = 0;
	long		nnames = 0;
	int			bad = 0;

	if (f == NULL)
		return;
	for (s = f->data; (s = strstr(s, "<authors>")) != NULL;)
	{
		const char *end = strstr(s, "</authors>");
		char	   *raw;
		char	   *buf;
		OaiAuthorName names[512];
		int			n;
		int			i;
		size_t		len;

		if (end == NULL)
			break;
		s += 9;
		len = (size_t) (end - s);
		raw = xmalloc(len + 1);
		memcpy(raw, s, len);
		raw[len] = '\0';
		buf = xmalloc(2 * len + 2);
		n = oai_split_authors(raw, buf, 2 * len + 2, names, 512);
		nstrings++;
		if (n < 1 || n > 512)
		{
			fprintf(stdout, "  %d names in \"%.80s\"\n", n, raw);
			bad++;
		}
		for (i = 0; i < n && i < 512; i++)
		{
			const char *nm = names[i].name;
			size_t		l = strlen(nm);
			int			depth = 0;
			const char *c;

			nnames++;
			if (l == 0 || nm[0] == ' ' || nm[l - 1] == ' ' || strstr(nm, "  ") ||
				strchr(nm, '\n') || strstr(nm, " and ") != NULL ||
				strncmp(nm, "and ", 4) == 0 || strstr(nm, "et al") != NULL)
			{
				/* " and " inside braces is allowed */
				if (strchr(nm, '{') == NULL)
				{
					fprintf(stdout, "  bad name \"%s\" in \"%.80s\"\n", nm, raw);
					bad++;
				}
			}
			for (c = nm; *c; c++)
			{
				if (*c == '{')
					depth++;
				else if (*c == '}')
					depth--;
				else if (depth == 0 && (*c == ',' || *c == ';' || *c == '('))
				{
					fprintf(stdout, "  separator in name \"%s\"\n", nm);
					bad++;
					break;
				}
			}
		}
		free(buf);
		free(raw);
		s = end;
	}
	CHECK_INT(nstrings, 1000);
	CHECK_INT(bad, 0);
	/* papers have at least one author each, most several */
	CHECK(nnames > 3000);
}

/* ---------- dates and identifiers ---------- */

static void
check_date(const char *s, long long expected)
{
	int64_t		t = -1;

	if (!oai_parse_version_date(s, &t))
		fprintf(stdout, "  not parsed: \"%s\"\n", s);
	CHECK(oai_parse_version_date(s, &t));
	CHECK_INT(t, expected);
}

static void
test_dates(void)
{
	static const char *const bad_dates[] = {
		"", "Mon,", "Mon, 2 Apr 2007", "Mon, 2 Apr 2007 19:18:42",
		"Mon, 2 Apr 2007 19:18:42 PST", "Mon, 2 Apr 2007 19:18:42 +0200",
		"Xyz, 2 Apr 2007 19:18:42 GMT", "Mon 2 Apr 2007 19:18:42 GMT",
		"Mon, 31 Apr 2007 19:18:42 GMT", "Mon, 29 Feb 2023 00:00:00 GMT",
		"Mon, 0 Apr 2007 19:18:42 GMT", "Mon, 123 Apr 2007 19:18:42 GMT",
		"Mon, 2 April 2007 19:18:42 GMT", "Mon, 2 Apr 07 19:18:42 GMT",
		"Mon, 2 Apr 2007 24:00:00 GMT", "Mon, 2 Apr 2007 19:60:00 GMT",
		"Mon, 2 Apr 2007 19:18:42 GMT x", "2007-04-02T19:18:42Z",
		"Mon, 2 Apr 2007 9:18:42 GMT",
	};
	int64_t		t;
	size_t		i;

	/* old unpadded day (fixtures 04, 30) and the new zero-padded one */
	check_date("Fri, 8 Feb 2013 21:00:01 GMT", 1360357201LL);
	check_date("Mon, 2 Apr 2007 19:18:42 GMT", 1175541522LL);
	check_date("Mon, 02 Apr 2007 19:18:42 GMT", 1175541522LL);
	check_date("Sat, 19 Sep 2026 00:00:00 GMT", 1789776000LL);
	/* no weekday; other spellings of UTC; leap day; epoch; leap second */
	check_date("2 Apr 2007 19:18:42 GMT", 1175541522LL);
	check_date("Mon, 2 Apr 2007 19:18:42 UTC", 1175541522LL);
	check_date("Thu, 29 Feb 2024 12:00:00 UT", 1709208000LL);
	check_date("Thu, 1 Jan 1970 00:00:00 GMT", 0);
	check_date("Wed, 31 Dec 1969 23:59:59 GMT", -1);
	check_date("Tue, 29 Feb 2000 00:00:00 GMT", 951782400LL);
	/* the weekday is not cross-checked (stored data may disagree) */
	check_date("Sun, 2 Apr 2007 19:18:42 GMT", 1175541522LL);
	for (i = 0; i < sizeof(bad_dates) / sizeof(bad_dates[0]); i++)
	{
		if (oai_parse_version_date(bad_dates[i], &t))
			fprintf(stdout, "  accepted: \"%s\"\n", bad_dates[i]);
		CHECK(!oai_parse_version_date(bad_dates[i], &t));
	}
	CHECK(!oai_parse_version_date(NULL, &t));
	CHECK(oai_parse_version_date("Mon, 2 Apr 2007 19:18:42 GMT", NULL));

	CHECK(oai_parse_datestamp("2005-09-16", &t));
	CHECK_INT(t, 1126828800LL);
	CHECK(oai_parse_datestamp("2024-02-29", &t));
	CHECK(!oai_parse_datestamp("2023-02-29", &t));
	CHECK(!oai_parse_datestamp("2005-9-16", &t));
	CHECK(!oai_parse_datestamp("2005-09-16T00:00:00Z", &t));
	CHECK(!oai_parse_datestamp("2005-13-01", &t));
	CHECK(!oai_parse_datestamp("", &t));
	CHECK(!oai_parse_datestamp(NULL, &t));

	CHECK_STR(oai_identifier_to_id("oai:arXiv.org:0704.0001"), "0704.0001");
	CHECK_STR(oai_identifier_to_id("oai:arXiv.org:hep-th/9901001"), "hep-th/9901001");
	CHECK(oai_identifier_to_id("oai:arXiv.org:") == NULL);
	CHECK(oai_identifier_to_id("oai:arxiv.org:0704.0001") == NULL);
	CHECK(oai_identifier_to_id("0704.0001") == NULL);
	CHECK(oai_identifier_to_id(NULL) == NULL);
}

/* ---------- fuzz regressions ---------- */

/*
 * Inputs the fuzzer once crashed on or found a discrepancy with, put
 * through the fuzzer's own checks and through 7-byte pieces.
 */
static void
test_regressions(void)
{
	char	  **names;
	int			n;
	int			i;

	n = list_dir(regression_dir, NULL, &names);
	CHECK(n >= 0);
	if (n < 0)
		return;
	for (i = 0; i < n; i++)
	{
		Buf			path = {0};
		char	   *data;
		size_t		len;

		buf_printf(&path, "%s/%s", regression_dir, names[i]);
		data = read_file(path.data, &len);
		CHECK(data != NULL);
		if (data != NULL)
		{
			CHECK(oai_fuzz_input(data, len));
			CHECK(oai_check_input(data, len, CHUNK_FIXED(7), 0));
		}
		free(data);
		buf_free(&path);
		free(names[i]);
	}
	free(names);
}

/* ---------- --dump and --bench ---------- */

static int
run_dump(const char *file)
{
	size_t		len;
	char	   *data = strcmp(file, "-") == 0 ? read_stream(stdin, &len) :
		read_file(file, &len);
	Result		r;

	if (data == NULL)
	{
		fprintf(stderr, "test_oai: cannot read %s\n", file);
		return 2;
	}
	parse_doc(data, len, 16384, &r);
	fputs(buf_str(&r.dump), stdout);
	if (r.status != OAI_OK)
		fprintf(stderr, "test_oai: %s: %s\n", oai_status_name(r.status), r.errmsg);
	oai_result_free(&r);
	free(data);
	return r.status == OAI_OK ? 0 : 1;
}

static int
bench_record(void *arg, const OaiRecord *rec)
{
	size_t	   *sum = arg;
	int			i;

	*sum += strlen(rec->title ? rec->title : "") +
		strlen(rec->abstract ? rec->abstract : "") +
		strlen(rec->authors ? rec->authors : "") + (size_t) rec->ncategories;
	for (i = 0; i < rec->nversions; i++)
		*sum += (size_t) rec->versions[i].date_unix;
	return 0;
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/*
 * Parse FILE REPEAT times with a fresh parser each time, fed in 16 KiB
 * pieces; report the best round and the process's peak RSS.
 */
static int
run_bench(const char *file, long repeat)
{
	size_t		len;
	char	   *data = read_file(file, &len);
	double		best = 1e9;
	double		total = 0;
	size_t		sum = 0;
	int			nrecords = 0;
	long		i;
	struct rusage ru;

	if (data == NULL || repeat < 1)
	{
		fprintf(stderr, "test_oai: cannot read %s\n", file);
		return 2;
	}
	for (i = 0; i < repeat; i++)
	{
		OaiParser  *p = oai_parser_create(bench_record, NULL, &sum);
		double		t0 = now_seconds();
		double		t;
		size_t		off;
		OaiStatus	st = OAI_OK;

		for (off = 0; off < len && st == OAI_OK; off += 16384)
			st = oai_parser_feed(p, data + off, len - off < 16384 ? len - off : 16384);
		if (st == OAI_OK)
			st = oai_parser_finish(p);
		if (st != OAI_OK)
		{
			fprintf(stderr, "test_oai: bench parse failed: %s\n", oai_parser_errmsg(p));
			return 1;
		}
		t = now_seconds() - t0;
		total += t;
		if (t < best)
			best = t;
		nrecords = oai_parser_info(p)->nrecords;
		oai_parser_free(p);
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("oai_parser: %s: %.2f MB, %d records; best of %ld: %.4f s = %.0f records/s, %.1f MB/s; "
		   "mean %.4f s; peak RSS %ld KiB (input buffer included); checksum %zu\n",
		   file, (double) len / 1e6, nrecords, repeat, best,
		   nrecords / best, (double) len / 1e6 / best, total / repeat,
		   ru.ru_maxrss, sum);
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
	printf("%s %-30s %6d checks\n",
		   nfailures == failures_before ? "ok  " : "FAIL",
		   name, nchecks - checks_before);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	int			i;

	if (argc >= 3 && strcmp(argv[1], "--dump") == 0)
		return run_dump(argv[2]);
	if (argc >= 4 && strcmp(argv[1], "--bench") == 0)
		return run_bench(argv[2], atol(argv[3]));
	if (argc < 3)
	{
		fprintf(stderr, "usage: test_oai FIXTURE_DIR EXPECTED_FILE [REGRESSION_DIR]\n"
				"       test_oai --dump FILE|-\n"
				"       test_oai --bench FILE REPEAT\n");
		return 2;
	}
	fixture_dir = argv[1];
	expected_file = argv[2];
	regression_dir = argc >= 4 ? argv[3] : NULL;
	if (!load_fixtures(fixture_dir))
	{
		fprintf(stderr, "test_oai: cannot read fixture directory \"%s\"\n", fixture_dir);
		return 2;
	}
	printf("fixtures: %s (%d files)\n", fixture_dir, nfixtures);

	run_group("all fixtures = lxml reading", test_all_fixtures_expected);
	run_group("fixture 04 (GetRecord raw)", test_fixture_04);
	run_group("fixture 05 (ListRecords)", test_fixture_05);
	run_group("fixtures 06-09 (errors)", test_fixture_errors);
	run_group("fixtures 20, 22 (Identify, sets)", test_fixture_identify_sets);
	run_group("fixture 30 (1000 records)", test_fixture_30);
	run_group("fixture 32 (new server)", test_fixture_32);
	run_group("chunking = one-shot", test_chunking);
	run_group("truncation fails", test_truncation);
	run_group("new server shapes", test_new_server_shapes);
	run_group("namespaces and text", test_namespaces_and_text);
	run_group("hostile input", test_hostile);
	run_group("limits", test_limits);
	run_group("callback and lifecycle", test_callback_and_lifecycle);
	run_group("allocation failures", test_allocation_failures);
	run_group("author strings", test_split_authors);
	run_group("author strings of fixture 30", test_split_authors_fixture);
	run_group("dates and identifiers", test_dates);
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
