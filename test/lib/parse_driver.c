/*-------------------------------------------------------------------------
 *
 * parse_driver.c
 *	  Buffers, piece-size schedules and the chunking rule shared by the
 *	  parser drivers (see parse_driver.h).
 *
 * IDENTIFICATION
 *	  test/lib/parse_driver.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse_driver.h"

static void
out_of_memory(void)
{
	fprintf(stderr, "parse driver: out of memory\n");
	exit(2);
}

void *
xmalloc(size_t n)
{
	void	   *p = malloc(n > 0 ? n : 1);

	if (p == NULL)
		out_of_memory();
	return p;
}

char *
xstrdup(const char *s)
{
	char	   *d;

	if (s == NULL)
		return NULL;
	d = xmalloc(strlen(s) + 1);
	strcpy(d, s);
	return d;
}

void
buf_append(Buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap)
	{
		size_t		newcap = b->cap ? b->cap : 256;

		while (newcap < b->len + n + 1)
			newcap *= 2;
		b->data = realloc(b->data, newcap);
		if (b->data == NULL)
			out_of_memory();
		b->cap = newcap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_puts(Buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void
buf_printf(Buf *b, const char *fmt,...)
{
	va_list		ap;
	char		small[512];
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t) n < sizeof(small))
	{
		buf_append(b, small, (size_t) n);
		return;
	}
	if (n >= 0)
	{
		char	   *big = xmalloc((size_t) n + 1);

		va_start(ap, fmt);
		vsnprintf(big, (size_t) n + 1, fmt, ap);
		va_end(ap);
		buf_append(b, big, (size_t) n);
		free(big);
	}
}

/*
 * Append " KEY SEP VAL\n" (without the inner blanks): one dump line,
 * without vsnprintf, which would dominate the fuzzers' time.
 */
void
buf_line(Buf *b, const char *key, const char *sep, const char *val)
{
	buf_append(b, " ", 1);
	buf_puts(b, key);
	buf_puts(b, sep);
	buf_puts(b, val);
	buf_append(b, "\n", 1);
}

void
buf_repeat(Buf *b, const char *s, size_t times)
{
	size_t		n = strlen(s);

	while (times-- > 0)
		buf_append(b, s, n);
}

const char *
buf_str(const Buf *b)
{
	return b->data ? b->data : "";
}

void
buf_free(Buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* xorshift32: piece sizes that are a pure function of the seed */
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
 * Size of the next piece to feed, 1 to "left" bytes (left > 0).  A random
 * size first draws a power-of-two ceiling, so that runs of tiny pieces
 * and large ones both occur.
 */
size_t
chunking_next(Chunking *c, size_t left)
{
	size_t		want = c->size;

	if (c->seed != 0)
	{
		size_t		max = (size_t) 1 << (next_random(&c->seed) % 13);

		want = 1 + next_random(&c->seed) % max;
	}
	return (want == 0 || want > left) ? left : want;
}

/* FNV-1a of the input, never 0: a fuzz input's own chunking seed. */
uint32_t
input_seed(const char *data, size_t len)
{
	uint32_t	seed = 2166136261u;
	size_t		i;

	for (i = 0; i < len; i++)
		seed = (seed ^ (unsigned char) data[i]) * 16777619u;
	return seed != 0 ? seed : 1;
}

static bool
contains(const char *data, size_t len, const char *s)
{
	size_t		n = strlen(s);
	size_t		i;

	for (i = 0; i + n <= len; i++)
		if (memcmp(data + i, s, n) == 0)
			return true;
	return false;
}

/*
 * Whether a one-piece parse and a chunked parse of one input agree.  A
 * document accepted by either must be accepted by both, with identical
 * dumps.  When both fail, the items delivered before the error may differ,
 * because libxml2's push parser does not always detect an error at the
 * same byte whatever the chunking; that is not ours to check.
 *
 * One known libxml2 (2.9.x) push-parser bug is tolerated: "]]>" in
 * character data is only flagged when the three bytes arrive in one
 * chunk, so a split one may be accepted.
 */
bool
outcomes_agree(const char *data, size_t len,
			   bool ok_a, const char *dump_a, bool ok_b, const char *dump_b)
{
	if (!ok_a && !ok_b)
		return true;
	if (ok_a != ok_b)
		return contains(data, len, "]]>");
	return strcmp(dump_a, dump_b) == 0;
}
