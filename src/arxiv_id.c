/*-------------------------------------------------------------------------
 *
 * arxiv_id.c
 *	  The grammar of arXiv identifiers; see arxiv_id.h.
 *
 *-------------------------------------------------------------------------
 */
#include "arxiv_id.h"

/* the first month with five-digit new-style numbers */
#define FIVE_DIGIT_YYMM 1501
#define OLD_STYLE_DIGITS 7

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_letter(char c, bool allow_upper)
{
	return (c >= 'a' && c <= 'z') || (allow_upper && c >= 'A' && c <= 'Z');
}

/* YYMM with a month 01-12 at s: its value, or -1 */
static int
scan_yymm(const char *s)
{
	int			yymm = 0;

	for (int i = 0; i < 4; i++)
	{
		if (!is_digit(s[i]))
			return -1;
		yymm = yymm * 10 + (s[i] - '0');
	}
	if (yymm % 100 < 1 || yymm % 100 > 12)
		return -1;
	return yymm;
}

/* Number of digits at s, up to max + 1 (enough to tell "too many"). */
static size_t
count_digits(const char *s, size_t max)
{
	size_t		n = 0;

	while (n <= max && is_digit(s[n]))
		n++;
	return n;
}

static size_t
scan_new_style(const char *s)
{
	int			yymm = scan_yymm(s);
	size_t		want;

	if (yymm < 0 || s[4] != '.')
		return 0;
	want = yymm >= FIVE_DIGIT_YYMM ? 5 : 4;
	return count_digits(s + 5, want) == want ? 5 + want : 0;
}

/*
 * Length of a run of letters (uppercase too if allow_upper) with inner
 * hyphens, such as "cond-mat" or "str-el", at s; 0 if there is none.
 */
static size_t
scan_word(const char *s, bool allow_upper)
{
	size_t		i = 0;

	for (;;)
	{
		size_t		start = i;

		while (is_letter(s[i], allow_upper))
			i++;
		if (i == start)
			return 0;			/* empty word, or a hyphen at an edge */
		if (s[i] != '-')
			return i;
		i++;
	}
}

static size_t
scan_old_style(const char *s)
{
	size_t		i = scan_word(s, false);	/* archive */
	size_t		n;

	if (i == 0)
		return 0;
	if (s[i] == '.')
	{
		n = scan_word(s + i + 1, true); /* subject class */
		if (n == 0)
			return 0;
		i += 1 + n;
	}
	if (s[i] != '/' || scan_yymm(s + i + 1) < 0 ||
		count_digits(s + i + 1, OLD_STYLE_DIGITS) != OLD_STYLE_DIGITS)
		return 0;
	return i + 1 + OLD_STYLE_DIGITS;
}

size_t
arxiv_id_scan(const char *s)
{
	size_t		n;

	if (s == NULL)
		return 0;
	n = scan_new_style(s);
	return n > 0 ? n : scan_old_style(s);
}

size_t
arxiv_id_scan_version(const char *s, int *version)
{
	size_t		n;
	int			v = 0;

	if (s == NULL || s[0] != 'v' || s[1] < '1' || s[1] > '9')
		return 0;				/* no digits, a leading zero, or v0 */
	n = count_digits(s + 1, ARXIV_ID_MAX_VERSION_DIGITS);
	if (n > ARXIV_ID_MAX_VERSION_DIGITS)
		return 0;
	for (size_t i = 1; i <= n; i++)
		v = v * 10 + (s[i] - '0');
	if (version != NULL)
		*version = v;
	return 1 + n;
}
