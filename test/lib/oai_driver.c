/*-------------------------------------------------------------------------
 *
 * oai_driver.c
 *	  Feeds documents to the OAI-PMH parser for the unit test and the
 *	  fuzzer, keeps a canonical dump and a few owned copies of what it
 *	  delivered, and checks the properties every input must have: the
 *	  chunking rule (oai_check_input) and the promises of the arXivRaw
 *	  helpers on every record (record_problem).
 *
 * IDENTIFICATION
 *	  test/lib/oai_driver.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oai_driver.h"

const char *
oai_status_name(OaiStatus s)
{
	switch (s)
	{
		case OAI_OK:
			return "OAI_OK";
		case OAI_ERR_XML:
			return "OAI_ERR_XML";
		case OAI_ERR_NOT_OAI:
			return "OAI_ERR_NOT_OAI";
		case OAI_ERR_FORBIDDEN:
			return "OAI_ERR_FORBIDDEN";
		case OAI_ERR_LIMIT:
			return "OAI_ERR_LIMIT";
		case OAI_ERR_CALLBACK:
			return "OAI_ERR_CALLBACK";
		case OAI_ERR_OOM:
			return "OAI_ERR_OOM";
	}
	return "?";
}

/* FNV-1a 64, as gen_oai_expected.py computes it */
static uint64_t
fnv1a(const char *s)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char) *s) * 0x100000001b3ULL;
	return h;
}

#define DUMP_LONG 64

static void
dump_kv(Buf *b, const char *key, const char *val)
{
	size_t		len;

	if (val == NULL)
		return;
	len = strlen(val);
	if (len > DUMP_LONG)
		buf_printf(b, " %s=#%zu:%016llx\n", key, len,
				   (unsigned long long) fnv1a(val));
	else
		buf_line(b, key, "=", val);
}

static const char *
format_name(OaiFormat f)
{
	switch (f)
	{
		case OAI_FORMAT_NONE:
			return "none";
		case OAI_FORMAT_ARXIV_RAW:
			return "arXivRaw";
		case OAI_FORMAT_ARXIV:
			return "arXiv";
		case OAI_FORMAT_OTHER:
			return "other";
	}
	return "?";
}

static const char *
verb_name(OaiVerb v)
{
	switch (v)
	{
		case OAI_VERB_NONE:
			return "none";
		case OAI_VERB_IDENTIFY:
			return "Identify";
		case OAI_VERB_LIST_METADATA_FORMATS:
			return "ListMetadataFormats";
		case OAI_VERB_LIST_SETS:
			return "ListSets";
		case OAI_VERB_LIST_IDENTIFIERS:
			return "ListIdentifiers";
		case OAI_VERB_LIST_RECORDS:
			return "ListRecords";
		case OAI_VERB_GET_RECORD:
			return "GetRecord";
	}
	return "?";
}

static void
dump_record(Buf *b, const OaiRecord *r)
{
	int			i;

	buf_puts(b, "record\n");
	dump_kv(b, "identifier", r->identifier);
	dump_kv(b, "datestamp", r->datestamp);
	buf_printf(b, " deleted=%d\n", (int) r->deleted);
	for (i = 0; i < r->nset_specs; i++)
		dump_kv(b, "set", r->set_specs[i]);
	buf_printf(b, " format=%s\n", format_name(r->format));
	if (r->format != OAI_FORMAT_ARXIV_RAW && r->format != OAI_FORMAT_ARXIV)
		return;
	dump_kv(b, "id", r->id);
	dump_kv(b, "submitter", r->submitter);
	dump_kv(b, "title", r->title);
	dump_kv(b, "authors", r->authors);
	dump_kv(b, "categories", r->categories);
	dump_kv(b, "comments", r->comments);
	dump_kv(b, "proxy", r->proxy);
	dump_kv(b, "report-no", r->report_no);
	dump_kv(b, "msc-class", r->msc_class);
	dump_kv(b, "acm-class", r->acm_class);
	dump_kv(b, "journal-ref", r->journal_ref);
	dump_kv(b, "doi", r->doi);
	dump_kv(b, "license", r->license);
	dump_kv(b, "abstract", r->abstract);
	dump_kv(b, "created", r->created);
	dump_kv(b, "updated", r->updated);
	for (i = 0; i < r->ncategories; i++)
		dump_kv(b, "category", r->category_list[i]);
	for (i = 0; i < r->nversions; i++)
	{
		const OaiVersion *v = &r->versions[i];

		buf_puts(b, " version\n");
		dump_kv(b, "  label", v->label);
		buf_printf(b, "  number=%d\n", v->number);
		dump_kv(b, "  date", v->date);
		if (v->date_valid)
			buf_printf(b, "  unix=%lld\n", (long long) v->date_unix);
		else
			buf_puts(b, "  unix=-\n");
		dump_kv(b, "  size", v->size);
		buf_printf(b, "  kb=%ld\n", v->size_kb);
		dump_kv(b, "  source_type", v->source_type);
	}
}

static void
dump_info(Buf *b, const OaiResponseInfo *i)
{
	buf_printf(b, "verb=%s nrecords=%d nsets=%d\n", verb_name(i->verb),
			   i->nrecords, i->nsets);
	dump_kv(b, "response_date", i->response_date);
	dump_kv(b, "request_verb", i->request_verb);
	dump_kv(b, "request_url", i->request_url);
	buf_printf(b, " has_token=%d\n", (int) i->has_token);
	dump_kv(b, "token", i->token);
	buf_printf(b, " cursor=%ld size=%ld\n", i->token_cursor,
			   i->token_complete_list_size);
	dump_kv(b, "expiration", i->token_expiration);
	buf_printf(b, " nerrors=%d\n", i->nerrors);
	dump_kv(b, "error_code", i->error_code);
	dump_kv(b, "error_message", i->error_message);
	dump_kv(b, "repository_name", i->repository_name);
	dump_kv(b, "base_url", i->base_url);
	dump_kv(b, "earliest_datestamp", i->earliest_datestamp);
	dump_kv(b, "granularity", i->granularity);
	dump_kv(b, "deleted_record", i->deleted_record);
}

/*
 * Split an author string and check the splitter's promises: names
 * non-empty and inside the buffer, count within bounds, and one byte less
 * than the documented buffer size refused, never overrun.
 */
static const char *
authors_problem(const char *raw, size_t len)
{
	size_t		bufsz = 2 * len + 2;
	char	   *buf = xmalloc(bufsz);
	OaiAuthorName names[16];
	const char *problem = NULL;
	int			n;
	int			i;

	n = oai_split_authors(raw, buf, bufsz, names, 16);
	if (n < 0 || (size_t) n > len)
		problem = "oai_split_authors: count out of bounds";
	for (i = 0; problem == NULL && i < n && i < 16; i++)
	{
		size_t		l = strlen(names[i].name);

		if (l == 0 || names[i].name < buf || names[i].name + l >= buf + bufsz)
			problem = "oai_split_authors: name empty or outside the buffer";
		else if (names[i].affiliation != NULL &&
				 (names[i].affiliation < buf ||
				  names[i].affiliation + strlen(names[i].affiliation) >= buf + bufsz))
			problem = "oai_split_authors: affiliation outside the buffer";
	}
	if (problem == NULL &&
		oai_split_authors(raw, buf, bufsz - 1, names, 16) != -1)
		problem = "oai_split_authors: accepted a buffer below the documented size";
	free(buf);
	return problem;
}

/*
 * What every delivered record must satisfy, whatever the input.  Every
 * string is read (its length added to *text_bytes) so that ASan checks
 * the pointers, including fields the dump leaves out.
 */
static const char *
record_problem(const OaiRecord *rec, size_t *text_bytes)
{
	const char *const fields[] = {
		rec->identifier, rec->datestamp, rec->id, rec->submitter, rec->title,
		rec->authors, rec->categories, rec->comments, rec->proxy,
		rec->report_no, rec->msc_class, rec->acm_class, rec->journal_ref,
		rec->doi, rec->license, rec->abstract, rec->created, rec->updated
	};
	size_t		i;
	int			j;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i] != NULL)
			*text_bytes += strlen(fields[i]);
	for (j = 0; j < rec->nset_specs; j++)
		*text_bytes += strlen(rec->set_specs[j]);
	for (j = 0; j < rec->ncategories; j++)
	{
		if (rec->category_list[j][0] == '\0' ||
			strchr(rec->category_list[j], ' ') != NULL)
			return "category_list: empty or blank-containing category";
	}
	for (j = 0; j < rec->nversions; j++)
	{
		const OaiVersion *v = &rec->versions[j];
		int64_t		t;

		if (v->label != NULL)
			*text_bytes += strlen(v->label);
		if (v->size != NULL)
			*text_bytes += strlen(v->size);
		if (v->source_type != NULL)
			*text_bytes += strlen(v->source_type);
		if (v->date != NULL &&
			oai_parse_version_date(v->date, &t) != v->date_valid)
			return "version date_valid disagrees with oai_parse_version_date";
	}
	if (rec->datestamp != NULL)
		(void) oai_parse_datestamp(rec->datestamp, NULL);
	(void) oai_identifier_to_id(rec->identifier);
	return rec->authors != NULL ?
		authors_problem(rec->authors, strlen(rec->authors)) : NULL;
}

static int
on_record(void *arg, const OaiRecord *rec)
{
	OaiResult  *r = arg;
	const char *problem = record_problem(rec, &r->text_bytes);

	if (problem != NULL && r->broken == NULL)
		r->broken = problem;

	if (r->nrecords < OAI_MAX_KEPT)
	{
		r->ids[r->nrecords] = xstrdup(rec->id ? rec->id : rec->identifier);
		r->authors[r->nrecords] = xstrdup(rec->authors);
		r->nversions[r->nrecords] = rec->nversions;
	}
	if (r->nrecords == 0)
	{
		r->first.deleted = rec->deleted;
		r->first.format = rec->format;
		r->first.nset_specs = rec->nset_specs;
		r->first.ncategories = rec->ncategories;
		r->first.nversions = rec->nversions;
	}
	r->nrecords++;
	dump_record(&r->items, rec);
	r->seen++;
	return (r->stop_after > 0 && r->seen >= r->stop_after) ? 1 : 0;
}

static int
on_set(void *arg, const OaiSet *set)
{
	OaiResult  *r = arg;

	if (r->nsets < OAI_MAX_KEPT)
		r->set_names[r->nsets] = xstrdup(set->name);
	r->nsets++;
	buf_puts(&r->items, "set\n");
	dump_kv(&r->items, "spec", set->spec);
	dump_kv(&r->items, "name", set->name);
	r->seen++;
	return (r->stop_after > 0 && r->seen >= r->stop_after) ? 1 : 0;
}

static void
copy_info(OaiResponseInfo *d, const OaiResponseInfo *s)
{
	*d = *s;
	d->response_date = xstrdup(s->response_date);
	d->request_url = xstrdup(s->request_url);
	d->request_verb = xstrdup(s->request_verb);
	d->token = xstrdup(s->token);
	d->token_expiration = xstrdup(s->token_expiration);
	d->error_code = xstrdup(s->error_code);
	d->error_message = xstrdup(s->error_message);
	d->repository_name = xstrdup(s->repository_name);
	d->base_url = xstrdup(s->base_url);
	d->earliest_datestamp = xstrdup(s->earliest_datestamp);
	d->granularity = xstrdup(s->granularity);
	d->deleted_record = xstrdup(s->deleted_record);
}

/*
 * Parse a document, fed in pieces as "chunking" says, into a canonical
 * dump (the format of gen_oai_expected.py) and a few owned copies.
 * Feeding stops at the first error, as the backend does.
 */
void
oai_parse(const char *data, size_t len, Chunking chunking, int stop_after,
		  OaiResult *r)
{
	OaiParser  *p;
	size_t		off = 0;
	OaiStatus	st = OAI_OK;

	memset(r, 0, sizeof(*r));
	r->stop_after = stop_after;
	p = oai_parser_create(on_record, on_set, r);
	if (p == NULL)
	{
		fprintf(stderr, "oai driver: oai_parser_create failed\n");
		exit(2);
	}
	while (off < len && st == OAI_OK)
	{
		size_t		n = chunking_next(&chunking, len - off);

		st = oai_parser_feed(p, data + off, n);
		off += n;
	}
	if (st == OAI_OK)
		st = oai_parser_finish(p);
	r->status = st;
	r->errmsg = xstrdup(oai_parser_errmsg(p));
	copy_info(&r->info, oai_parser_info(p));
	if (st == OAI_OK && r->info.has_token != (r->info.token != NULL) &&
		r->broken == NULL)
		r->broken = "has_token disagrees with token";
	if (st == OAI_OK)
	{
		dump_info(&r->dump, &r->info);
		buf_append(&r->dump, buf_str(&r->items), r->items.len);
	}
	else
		buf_printf(&r->dump, "status=%s records=%d\n", oai_status_name(st),
				   r->nrecords);
	oai_parser_free(p);
}

void
oai_result_free(OaiResult *r)
{
	int			i;
	OaiResponseInfo *d = &r->info;

	for (i = 0; i < OAI_MAX_KEPT; i++)
	{
		free(r->ids[i]);
		free(r->authors[i]);
		free(r->set_names[i]);
	}
	free(r->errmsg);
	free(d->response_date);
	free(d->request_url);
	free(d->request_verb);
	free(d->token);
	free(d->token_expiration);
	free(d->error_code);
	free(d->error_message);
	free(d->repository_name);
	free(d->base_url);
	free(d->earliest_datestamp);
	free(d->granularity);
	free(d->deleted_record);
	buf_free(&r->items);
	buf_free(&r->dump);
	memset(r, 0, sizeof(*r));
}

/* Why a parse result breaks what must hold for any input, or NULL. */
static const char *
result_problem(const OaiResult *r)
{
	if (r->status != OAI_OK && r->errmsg[0] == '\0')
		return "an error came without a message";
	return r->broken;
}

/*
 * Parse the input in one piece and as "chunking" says, and check what must
 * hold for any input: every failure comes with a message, every record
 * keeps the helpers' promises, and the two parses agree (see
 * outcomes_agree).  Returns false, having said why on stderr, if not.
 */
bool
oai_check_input(const char *data, size_t len, Chunking chunking,
				int stop_after)
{
	OaiResult	whole;
	OaiResult	pieces;
	const char *problem;
	bool		ok = true;

	oai_parse(data, len, CHUNK_WHOLE, stop_after, &whole);
	oai_parse(data, len, chunking, stop_after, &pieces);

	problem = result_problem(&whole);
	if (problem == NULL)
		problem = result_problem(&pieces);
	if (problem != NULL)
	{
		fprintf(stderr, "%s\n", problem);
		ok = false;
	}
	if (!outcomes_agree(data, len,
						whole.status == OAI_OK, buf_str(&whole.dump),
						pieces.status == OAI_OK, buf_str(&pieces.dump)))
	{
		fprintf(stderr, "chunking changed the result:\n--- whole\n%s\n--- pieces\n%s\n",
				buf_str(&whole.dump), buf_str(&pieces.dump));
		ok = false;
	}
	oai_result_free(&whole);
	oai_result_free(&pieces);
	return ok;
}

/*
 * All the fuzzer checks for one input: oai_check_input with piece sizes
 * and a callback stop point drawn from the input itself; the input itself
 * as an author string and as a date; then a parse abandoned halfway, after
 * which free must release everything (ASan's leak check is the judge).
 */
bool
oai_fuzz_input(const char *data, size_t len)
{
	uint32_t	seed = input_seed(data, len);
	Chunking	random_pieces = {0, seed};
	OaiParser  *p;
	bool		ok;

	ok = oai_check_input(data, len, random_pieces, (int) (seed % 8));

	/* a NUL-terminated copy; huge inputs only slow the splitter down */
	if (len <= 65536)
	{
		char	   *s = xmalloc(len + 1);
		const char *problem;
		int64_t		t;

		memcpy(s, data, len);
		s[len] = '\0';
		problem = authors_problem(s, strlen(s));
		if (problem != NULL)
		{
			fprintf(stderr, "%s\n", problem);
			ok = false;
		}
		(void) oai_parse_version_date(s, &t);
		(void) oai_parse_datestamp(s, &t);
		free(s);
	}

	p = oai_parser_create(NULL, NULL, NULL);
	if (p == NULL)
		return false;
	(void) oai_parser_feed(p, data, len / 2);
	oai_parser_free(p);
	return ok;
}
