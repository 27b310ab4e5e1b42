/*-------------------------------------------------------------------------
 *
 * atom_driver.c
 *	  Feeds documents to the Atom parser for the unit test and the fuzzer,
 *	  keeps owned copies and a canonical dump of what it delivered, and
 *	  checks the properties every input must have (see atom_check_input).
 *
 * IDENTIFICATION
 *	  test/lib/atom_driver.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atom_driver.h"

const char *
atom_status_name(AtomStatus s)
{
	switch (s)
	{
		case ATOM_OK:
			return "ATOM_OK";
		case ATOM_ERR_XML:
			return "ATOM_ERR_XML";
		case ATOM_ERR_NOT_ATOM:
			return "ATOM_ERR_NOT_ATOM";
		case ATOM_ERR_FORBIDDEN:
			return "ATOM_ERR_FORBIDDEN";
		case ATOM_ERR_LIMIT:
			return "ATOM_ERR_LIMIT";
		case ATOM_ERR_CALLBACK:
			return "ATOM_ERR_CALLBACK";
		case ATOM_ERR_OOM:
			return "ATOM_ERR_OOM";
	}
	return "?";
}

static void
dump_str(Buf *b, const char *key, const char *val)
{
	if (val == NULL)
		buf_line(b, key, "-", "");
	else
		buf_line(b, key, "=", val);
}

/*
 * The entry callback of atom_parse, arg being an AtomResult: copy the
 * entry and append it to the dump.  Reading every string lets ASan check
 * the pointers the parser handed out.
 */
int
atom_collect_entry(void *arg, const AtomEntry *e)
{
	AtomResult *r = arg;
	CopyEntry  *c;
	int			i;
	int			j;

	if (r->ncopied == r->maxcopied)
	{
		r->maxcopied = r->maxcopied ? r->maxcopied * 2 : 16;
		r->entries = realloc(r->entries, sizeof(CopyEntry) * (size_t) r->maxcopied);
		if (r->entries == NULL)
			exit(2);
	}
	c = &r->entries[r->ncopied++];
	memset(c, 0, sizeof(*c));
	c->id_url = xstrdup(e->id_url);
	c->title = xstrdup(e->title);
	c->summary = xstrdup(e->summary);
	c->published = xstrdup(e->published);
	c->updated = xstrdup(e->updated);
	c->comment = xstrdup(e->comment);
	c->journal_ref = xstrdup(e->journal_ref);
	c->doi = xstrdup(e->doi);
	c->primary_category = xstrdup(e->primary_category);
	c->abs_url = xstrdup(e->abs_url);
	c->pdf_url = xstrdup(e->pdf_url);
	c->nauthors = e->nauthors;
	c->authors = xmalloc(sizeof(CopyAuthor) * (size_t) e->nauthors);
	for (i = 0; i < e->nauthors; i++)
	{
		c->authors[i].name = xstrdup(e->authors[i].name);
		c->authors[i].naffs = e->authors[i].naffiliations;
		c->authors[i].affs = xmalloc(sizeof(char *) * (size_t) e->authors[i].naffiliations);
		for (j = 0; j < e->authors[i].naffiliations; j++)
			c->authors[i].affs[j] = xstrdup(e->authors[i].affiliations[j]);
	}
	c->ncats = e->ncategories;
	c->cats = xmalloc(sizeof(char *) * (size_t) e->ncategories);
	for (i = 0; i < e->ncategories; i++)
		c->cats[i] = xstrdup(e->categories[i]);

	buf_puts(&r->dump, "entry\n");
	dump_str(&r->dump, "id", e->id_url);
	dump_str(&r->dump, "title", e->title);
	dump_str(&r->dump, "summary", e->summary);
	dump_str(&r->dump, "published", e->published);
	dump_str(&r->dump, "updated", e->updated);
	dump_str(&r->dump, "comment", e->comment);
	dump_str(&r->dump, "journal_ref", e->journal_ref);
	dump_str(&r->dump, "doi", e->doi);
	dump_str(&r->dump, "primary_category", e->primary_category);
	dump_str(&r->dump, "abs_url", e->abs_url);
	dump_str(&r->dump, "pdf_url", e->pdf_url);
	for (i = 0; i < e->nauthors; i++)
	{
		dump_str(&r->dump, "author", e->authors[i].name);
		for (j = 0; j < e->authors[i].naffiliations; j++)
			dump_str(&r->dump, "  affiliation", e->authors[i].affiliations[j]);
	}
	for (i = 0; i < e->ncategories; i++)
		dump_str(&r->dump, "category", e->categories[i]);

	return (r->stop_after > 0 && r->ncopied >= r->stop_after) ? 1 : 0;
}

/*
 * Parse a document, fed in pieces as "chunking" says, and keep copies of
 * everything.  Feeding stops at the first error, as the backend does.
 */
void
atom_parse(const char *data, size_t len, Chunking chunking, int stop_after,
		   AtomResult *r)
{
	AtomParser *p;
	const AtomFeedInfo *info;
	size_t		off = 0;
	AtomStatus	st = ATOM_OK;

	memset(r, 0, sizeof(*r));
	r->stop_after = stop_after;
	p = atom_parser_create(atom_collect_entry, r);
	if (p == NULL)
	{
		fprintf(stderr, "atom driver: atom_parser_create failed\n");
		exit(2);
	}

	while (off < len && st == ATOM_OK)
	{
		size_t		n = chunking_next(&chunking, len - off);

		st = atom_parser_feed(p, data + off, n);
		off += n;
	}
	r->failed_in_feed = (st != ATOM_OK);
	if (st == ATOM_OK)
		st = atom_parser_finish(p);
	r->status = st;
	info = atom_parser_info(p);
	r->errmsg = xstrdup(atom_parser_errmsg(p));
	r->feed_title = xstrdup(info->title);
	r->total_results = info->total_results;
	r->start_index = info->start_index;
	r->items_per_page = info->items_per_page;
	r->nentries = info->nentries;
	r->is_error = info->is_error;
	r->error_message = xstrdup(info->error_message);

	buf_printf(&r->dump, "status=%s nentries=%d\n", atom_status_name(st), r->nentries);
	dump_str(&r->dump, "feed_title", info->title);
	buf_printf(&r->dump, " total=%ld start=%ld per_page=%ld is_error=%d\n",
			   r->total_results, r->start_index, r->items_per_page,
			   (int) r->is_error);
	dump_str(&r->dump, "error_message", info->error_message);
	/* the message may legitimately name a different line when chunked */
	buf_printf(&r->dump, " has_errmsg=%d\n", r->errmsg[0] != '\0');

	atom_parser_free(p);
}

void
atom_result_free(AtomResult *r)
{
	int			i;
	int			j;

	for (i = 0; i < r->ncopied; i++)
	{
		CopyEntry  *c = &r->entries[i];

		free(c->id_url);
		free(c->title);
		free(c->summary);
		free(c->published);
		free(c->updated);
		free(c->comment);
		free(c->journal_ref);
		free(c->doi);
		free(c->primary_category);
		free(c->abs_url);
		free(c->pdf_url);
		for (j = 0; j < c->nauthors; j++)
		{
			int			k;

			for (k = 0; k < c->authors[j].naffs; k++)
				free(c->authors[j].affs[k]);
			free(c->authors[j].affs);
			free(c->authors[j].name);
		}
		free(c->authors);
		for (j = 0; j < c->ncats; j++)
			free(c->cats[j]);
		free(c->cats);
	}
	free(r->entries);
	free(r->errmsg);
	free(r->feed_title);
	free(r->error_message);
	buf_free(&r->dump);
	memset(r, 0, sizeof(*r));
}

/*
 * Parse the input in one piece and as "chunking" says, and check what must
 * hold for any input: every failure comes with a message, and the two
 * parses agree (see outcomes_agree).  Returns false, having described the
 * difference on stderr, if not.
 */
bool
atom_check_input(const char *data, size_t len, Chunking chunking,
				 int stop_after)
{
	AtomResult	whole;
	AtomResult	pieces;
	bool		ok = true;

	atom_parse(data, len, CHUNK_WHOLE, stop_after, &whole);
	atom_parse(data, len, chunking, stop_after, &pieces);

	if ((whole.status != ATOM_OK && whole.errmsg[0] == '\0') ||
		(pieces.status != ATOM_OK && pieces.errmsg[0] == '\0'))
	{
		fprintf(stderr, "an error came without a message\n");
		ok = false;
	}
	if (!outcomes_agree(data, len,
						whole.status == ATOM_OK, buf_str(&whole.dump),
						pieces.status == ATOM_OK, buf_str(&pieces.dump)))
	{
		fprintf(stderr, "chunking changed the result:\n--- whole\n%s\n--- pieces\n%s\n",
				buf_str(&whole.dump), buf_str(&pieces.dump));
		ok = false;
	}
	atom_result_free(&whole);
	atom_result_free(&pieces);
	return ok;
}

/*
 * All the fuzzer checks for one input: atom_check_input with piece sizes
 * and a callback stop point drawn from the input itself, then a parse
 * abandoned halfway, after which free must release everything (ASan's
 * leak check is the judge of that).
 */
bool
atom_fuzz_input(const char *data, size_t len)
{
	uint32_t	seed = input_seed(data, len);
	Chunking	random_pieces = {0, seed};
	AtomParser *p;
	bool		ok;

	ok = atom_check_input(data, len, random_pieces, (int) (seed % 8));

	p = atom_parser_create(NULL, NULL);
	if (p == NULL)
		return false;
	(void) atom_parser_feed(p, data, len / 2);
	atom_parser_free(p);
	return ok;
}
