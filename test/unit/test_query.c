/*
 * test_query.c
 *	  Unit tests of the arXiv query builder (src/query.c), built standalone
 *	  with AddressSanitizer and UndefinedBehaviorSanitizer.
 *
 * The property that matters most: no value, however hostile, changes the
 * structure of the query.  Checked by rendering hostile values and parsing
 * the result with a tiny tokenizer that counts operators and parentheses.
 */
#include "query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int	failures = 0;
static int	checks = 0;

static void *
test_alloc(void *arg __attribute__((unused)), size_t size)
{
	return malloc(size);
}

static void
test_free(void *arg __attribute__((unused)), void *ptr)
{
	free(ptr);
}

#define CHECK_STR(got, want) check_str(__LINE__, (got), (want))
#define CHECK(cond) check_true(__LINE__, (cond), #cond)

static void
check_str(int line, const char *got, const char *want)
{
	checks++;
	if (got == NULL || strcmp(got, want) != 0)
	{
		fprintf(stderr, "line %d: got [%s], want [%s]\n", line,
				got ? got : "(null)", want);
		failures++;
	}
}

static void
check_true(int line, int cond, const char *text)
{
	checks++;
	if (!cond)
	{
		fprintf(stderr, "line %d: failed: %s\n", line, text);
		failures++;
	}
}

static const char *
render(AqArena *a, AqNode *n)
{
	if (n->kind == AQ_TRUE)
		return n->exact ? "TRUE" : "TRUE?";
	if (n->kind == AQ_FALSE)
		return "FALSE";
	return aq_serialize(a, n);
}

/*
 * Structure of a rendered query outside quotes: operators and parentheses
 * only.  A hostile value must add none of them.
 */
static void
structure(const char *q, char *out, size_t outsz)
{
	size_t		o = 0;
	int			quoted = 0;

	for (const char *p = q; *p && o + 8 < outsz; p++)
	{
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && (*p == '(' || *p == ')' || *p == '[' || *p == ']'))
			out[o++] = *p;
		else if (!quoted && (p == q || p[-1] == ' ') &&
				 (strncmp(p, "AND ", 4) == 0 || strncmp(p, "OR ", 3) == 0 ||
				  strncmp(p, "ANDNOT ", 7) == 0))
		{
			size_t		n = strcspn(p, " ");

			memcpy(out + o, p, n);
			o += n;
			out[o++] = ' ';
			p += n - 1;
		}
	}
	out[o] = '\0';
}

static void
test_words(AqArena *a)
{
	CHECK_STR(render(a, aq_words(a, "ti", "memory", false)), "ti:memory");
	CHECK_STR(render(a, aq_words(a, "au", "Peter Hall", true)), "au:\"Peter Hall\"");
	CHECK_STR(render(a, aq_words(a, "au", "del_maestro", true)), "au:\"del maestro\"");
	CHECK_STR(render(a, aq_words(a, "au", "Łukasz Kaiser", true)), "au:\"Łukasz Kaiser\"");
	/* Unicode spaces separate words and non-ASCII terms are always quoted */
	CHECK_STR(render(a, aq_words(a, "au", "Kaiser\xC2\xA0" "OR\xC2\xA0" "Hall", true)),
			  "au:\"Kaiser OR Hall\"");
	CHECK_STR(render(a, aq_words(a, "au", "a\xE3\x80\x80" "ANDNOT\xE2\x80\xA8" "b", true)),
			  "au:\"a ANDNOT b\"");
	CHECK_STR(render(a, aq_words(a, "au", "\xE3\x80\x80", true)), "TRUE?");
	CHECK_STR(render(a, aq_words(a, "ti", "\xC2\xA0" "kernel\xC2\x85", false)), "ti:kernel");
	CHECK_STR(render(a, aq_words(a, "au", "Müller", true)), "au:\"Müller\"");
	CHECK(aq_count_words("\xE2\x80\x83" "x\xEF\xBB\xBF" "y") == 2);
	CHECK_STR(render(a, aq_words(a, "ti", "AND", false)), "ti:\"AND\"");
	CHECK_STR(render(a, aq_words(a, "ti", "  ", false)), "TRUE?");
	CHECK_STR(render(a, aq_words(a, "ti", "\")(:", false)), "TRUE?");
	CHECK_STR(render(a, aq_words(a, "au", "O'Brien", true)), "au:\"O Brien\"");
	CHECK_STR(render(a, aq_words(a, "ti", "x\") OR (cat:math", false)), "ti:\"x OR cat math\"");
	CHECK(aq_count_words("a-b c") == 3);
	CHECK(aq_count_words("--") == 0);
}

static void
test_category(AqArena *a)
{
	CHECK_STR(render(a, aq_category(a, "cs.OS", false)), "cat:cs.OS");
	CHECK_STR(render(a, aq_category(a, "cond-mat.str-el", false)), "cat:cond-mat.str-el");
	CHECK_STR(render(a, aq_category(a, "hep-th", false)), "cat:hep-th");
	CHECK_STR(render(a, aq_category(a, "cs.", true)), "cat:cs.*");
	CHECK_STR(render(a, aq_category(a, "cs.OS) OR (cat:math", false)), "FALSE");
	CHECK_STR(render(a, aq_category(a, "", false)), "FALSE");
	CHECK_STR(render(a, aq_category(a, "cs.OS.x", false)), "FALSE");
	CHECK_STR(render(a, aq_category(a, "cs*", false)), "FALSE");
	CHECK_STR(render(a, aq_category(a, "c(.", true)), "TRUE?");
	CHECK(aq_valid_category("math.AP"));
	CHECK(!aq_valid_category(".AP"));
}

static void
test_raw_and_dates(AqArena *a)
{
	const char *why = NULL;

	CHECK_STR(render(a, aq_raw(a, "au:del_maestro ANDNOT ti:checkerboard", &why)),
			  "(au:del_maestro ANDNOT ti:checkerboard)");
	CHECK(aq_raw(a, "x) OR (y", &why) == NULL && strstr(why, "parenthes"));
	CHECK(aq_raw(a, "ti:\"x", &why) == NULL && strstr(why, "quote"));
	CHECK(aq_raw(a, "", &why) == NULL);
	CHECK(aq_raw(a, "a\001b", &why) == NULL);
	CHECK_STR(render(a, aq_raw(a, "ti:\"a ) b\"", &why)), "(ti:\"a ) b\")");
	CHECK_STR(render(a, aq_raw(a, "a\nAND b", &why)), "(a AND b)");
	CHECK_STR(render(a, aq_date_range(a, "202605010000", "202606010001", false)),
			  "submittedDate:[202605010000 TO 202606010001]");
	CHECK_STR(render(a, aq_date_range(a, "202606010000", "202605010000", false)), "FALSE");
	CHECK_STR(render(a, aq_date_range(a, "2026", "202605010000", false)), "TRUE?");
}

static void
test_combinations(AqArena *a)
{
	AqNode	   *os = aq_category(a, "cs.OS", false);
	AqNode	   *dc = aq_category(a, "cs.DC", false);
	AqNode	   *ti = aq_words(a, "ti", "kernel", false);
	AqNode	   *unk = aq_true(a, false);
	AqNode	   *n;

	n = aq_and(a, os, aq_or(a, dc, ti));
	CHECK_STR(render(a, n), "cat:cs.OS AND (cat:cs.DC OR ti:kernel)");
	CHECK(!n->exact);
	n = aq_or(a, aq_and(a, os, dc), aq_and(a, os, ti));
	CHECK_STR(render(a, n), "(cat:cs.OS AND cat:cs.DC) OR (cat:cs.OS AND ti:kernel)");
	n = aq_and(a, os, dc);
	CHECK(n->exact);
	n = aq_and(a, os, unk);
	CHECK_STR(render(a, n), "cat:cs.OS");
	CHECK(!n->exact);
	CHECK_STR(render(a, aq_or(a, os, unk)), "TRUE?");
	CHECK_STR(render(a, aq_or(a, os, aq_false(a))), "cat:cs.OS");
	CHECK_STR(render(a, aq_and(a, os, aq_false(a))), "FALSE");
	CHECK_STR(render(a, aq_andnot(a, os, dc)), "cat:cs.OS ANDNOT cat:cs.DC");
	CHECK_STR(render(a, aq_andnot(a, os, aq_or(a, dc, os))),
			  "cat:cs.OS ANDNOT (cat:cs.DC OR cat:cs.OS)");
	CHECK_STR(render(a, aq_andnot(a, aq_true(a, true), dc)), "TRUE?");
	/* an inexact negand cannot be subtracted: keep the positive, inexact */
	n = aq_andnot(a, os, ti);
	CHECK_STR(render(a, n), "cat:cs.OS");
	CHECK(!n->exact);
	CHECK_STR(render(a, aq_andnot(a, os, aq_true(a, true))), "FALSE");
}

static void
test_hostile(AqArena *a)
{
	static const char *values[] = {
		"\") OR (all:*", "x AND y", "a ANDNOT b", "((((", "))))", "cat:cs.OS",
		"\"", "\\\"", "[2001 TO 2002]", "a%20OR%20b", "&id_list=1", "#frag",
		"line\nbreak", "tab\there", "\xff\xfe junk \x80", "OR", "ANDNOT", "TO",
		"submittedDate:[0 TO 9]", "au:x OR au:y", NULL
	};
	AqNode	   *base = aq_category(a, "cs.OS", false);
	char		want[256];
	char		got[256];

	structure(render(a, aq_and(a, base, aq_words(a, "ti", "z", false))), want, sizeof(want));
	for (int i = 0; values[i]; i++)
	{
		AqNode	   *n = aq_and(a, base, aq_words(a, "ti", values[i], false));
		const char *q = render(a, n);

		if (n->kind == AQ_AND)
		{
			structure(q, got, sizeof(got));
			check_str(__LINE__, got, want);
		}
		n = aq_and(a, base, aq_category(a, values[i], false));
		check_true(__LINE__, n->kind == AQ_FALSE, values[i]);
	}
}

static void
test_urlencode_and_ids(AqArena *a)
{
	CHECK_STR(aq_urlencode(a, "cat:cs.OS AND ti:\"a b\""),
			  "cat%3Acs.OS+AND+ti%3A%22a+b%22");
	CHECK_STR(aq_urlencode(a, "&=+#%/?"), "%26%3D%2B%23%25%2F%3F");
	CHECK_STR(aq_urlencode(a, "Ł"), "%C5%81");
	CHECK(aq_valid_id("2605.09735", false));
	CHECK(aq_valid_id("0704.0001", false));
	CHECK(aq_valid_id("2605.09735v12", true));
	CHECK(!aq_valid_id("2605.09735v12", false));
	CHECK(aq_valid_id("hep-th/9901001", true));
	CHECK(aq_valid_id("math.AP/0301001v2", true));
	CHECK(aq_valid_id("cond-mat.str-el/0101001", true));
	CHECK(!aq_valid_id("abc", true));
	CHECK(!aq_valid_id("2605.0973", true));	/* 4 digits only until 1412 */
	CHECK(aq_valid_id("1412.9999", true));
	CHECK(!aq_valid_id("1412.99999", true));
	CHECK(!aq_valid_id("0000.00000", true));
	CHECK(!aq_valid_id("2613.00001", true));
	CHECK(!aq_valid_id("2605.09735v0", true));
	CHECK(!aq_valid_id("hep-th/9913001", true));
	CHECK(!aq_valid_id("2605.097355", true));
	CHECK(!aq_valid_id("2605.09735,2605.00001", true));
	CHECK(!aq_valid_id("hep-th/990100", true));
	CHECK(!aq_valid_id("2605.09735v", true));
	CHECK(!aq_valid_id("", true));
	/* the grammar the Atom parser shares (arxiv_id.h) */
	CHECK(!aq_valid_id("0704.00001", true));
	CHECK(!aq_valid_id("1501.0001", true));
	CHECK(!aq_valid_id("hep-/9901001", true));
	CHECK(!aq_valid_id("Hep-th/9901001", true));
	CHECK(aq_valid_id("2605.09735v123456789", true));
	CHECK(!aq_valid_id("2605.09735v1234567890", true));
}

/*
 * Placeholders stand for values known only at execution.  The exactness of
 * a combination of placeholders must hold for every value a placeholder
 * can turn into: a term, FALSE, or (when may_be_true) an exact TRUE.
 */
typedef AqNode *(*Shape) (AqArena *a, AqNode *x);

static AqNode *
shape_andnot_pos(AqArena *a, AqNode *x)
{
	return aq_andnot(a, x, aq_category(a, "cs.DC", false));
}

static AqNode *
shape_andnot_neg(AqArena *a, AqNode *x)
{
	return aq_andnot(a, aq_category(a, "cs.OS", false), x);
}

static AqNode *
shape_nested(AqArena *a, AqNode *x)
{
	return aq_andnot(a, aq_or(a, x, aq_and(a, x, aq_words(a, "au", "Hall", true))),
					 aq_category(a, "cs.DC", false));
}

static AqNode *
shape_and_or(AqArena *a, AqNode *x)
{
	return aq_andnot(a, aq_category(a, "cs.OS", false),
					 aq_or(a, aq_category(a, "cs.CR", false), aq_and(a, x, x)));
}

static void
test_placeholders(AqArena *a)
{
	Shape		shapes[] = {shape_andnot_pos, shape_andnot_neg, shape_nested,
	shape_and_or};
	AqNode	   *p = aq_placeholder(a, true, false);
	AqNode	   *pt = aq_placeholder(a, true, true);

	CHECK(aq_andnot(a, p, aq_category(a, "cs.DC", false))->exact);
	CHECK(!aq_andnot(a, pt, aq_category(a, "cs.DC", false))->exact);
	CHECK(aq_and(a, pt, pt)->may_be_true);
	CHECK(!aq_and(a, pt, aq_category(a, "cs.OS", false))->may_be_true);
	CHECK(aq_or(a, pt, aq_category(a, "cs.OS", false))->may_be_true);
	CHECK(!aq_and(a, aq_placeholder(a, false, false), p)->exact);

	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
	{
		for (int mt = 0; mt < 2; mt++)
		{
			bool		planned = shapes[i] (a, aq_placeholder(a, true, mt))->exact;
			AqNode	   *values[3] = {aq_category(a, "cs.LG", false), aq_false(a),
			aq_true(a, true)};

			for (int v = 0; v < (mt ? 3 : 2); v++)
				CHECK(!planned || shapes[i] (a, values[v])->exact);
		}
	}
}

int
main(void)
{
	AqArena    *a = aq_arena_create(test_alloc, test_free, NULL);

	test_words(a);
	printf("words: ok so far (%d failures)\n", failures);
	test_category(a);
	printf("category: %d failures so far\n", failures);
	test_raw_and_dates(a);
	printf("raw and dates: %d failures so far\n", failures);
	test_combinations(a);
	printf("combinations: %d failures so far\n", failures);
	test_hostile(a);
	printf("hostile values: %d failures so far\n", failures);
	test_urlencode_and_ids(a);
	printf("urlencode and ids: %d failures so far\n", failures);
	test_placeholders(a);
	printf("placeholders: %d failures so far\n", failures);
	aq_arena_destroy(a);
	printf("test_query: %d checks, %d failures\n", checks, failures);
	return failures == 0 ? 0 : 1;
}
