/*-------------------------------------------------------------------------
 *
 * query.c
 *	  Building arXiv search_query strings safely (see query.h).
 *
 * arXiv's parser gives AND, OR and ANDNOT equal precedence and groups them
 * to the right, so every compound operand is parenthesised when rendered.
 * Simplification happens while building: FALSE and TRUE are absorbed, so a
 * serialized query never contains them; the caller asks aq_serialize only
 * for trees whose root is neither.
 *
 *-------------------------------------------------------------------------
 */
#include "query.h"
#include "arxiv_id.h"

#include <string.h>

#define AQ_BLOCK_SIZE 8192

typedef struct AqBlock
{
	struct AqBlock *next;
	size_t		used;
	size_t		size;
	/* data follows, maximally aligned */
} AqBlock;

struct AqArena
{
	AqAllocFn	alloc;
	AqFreeFn	free_fn;
	void	   *arg;
	AqBlock    *blocks;
};

#define AQ_ALIGN(n) (((n) + 15) & ~((size_t) 15))
#define AQ_HDR AQ_ALIGN(sizeof(AqBlock))

AqArena *
aq_arena_create(AqAllocFn alloc, AqFreeFn free_fn, void *arg)
{
	AqArena    *arena = alloc(arg, sizeof(AqArena));

	if (arena == NULL)
		return NULL;
	arena->alloc = alloc;
	arena->free_fn = free_fn;
	arena->arg = arg;
	arena->blocks = NULL;
	return arena;
}

void
aq_arena_destroy(AqArena *arena)
{
	AqBlock    *block;

	if (arena == NULL)
		return;
	block = arena->blocks;
	while (block != NULL)
	{
		AqBlock    *next = block->next;

		arena->free_fn(arena->arg, block);
		block = next;
	}
	arena->free_fn(arena->arg, arena);
}

void *
aq_alloc(AqArena *arena, size_t size)
{
	AqBlock    *block = arena->blocks;
	void	   *result;

	size = AQ_ALIGN(size);
	if (block == NULL || block->size - block->used < size)
	{
		size_t		bsize = size > AQ_BLOCK_SIZE ? size : AQ_BLOCK_SIZE;

		block = arena->alloc(arena->arg, AQ_HDR + bsize);
		if (block == NULL)
			return NULL;
		block->size = bsize;
		block->used = 0;
		block->next = arena->blocks;
		arena->blocks = block;
	}
	result = (char *) block + AQ_HDR + block->used;
	block->used += size;
	memset(result, 0, size);
	return result;
}

static AqNode *
make_node(AqArena *arena, AqKind kind, bool exact)
{
	AqNode	   *node = aq_alloc(arena, sizeof(AqNode));

	if (node != NULL)
	{
		node->kind = kind;
		node->exact = exact;
	}
	return node;
}

AqNode *
aq_true(AqArena *arena, bool exact)
{
	return make_node(arena, AQ_TRUE, exact);
}

AqNode *
aq_false(AqArena *arena)
{
	return make_node(arena, AQ_FALSE, true);
}

/* a leaf whose value is only known at execution (see query.h) */
AqNode *
aq_placeholder(AqArena *arena, bool exact, bool may_be_true)
{
	AqNode	   *node = make_node(arena, AQ_PLACEHOLDER, exact);

	if (node != NULL)
		node->may_be_true = may_be_true;
	return node;
}

/*
 * A word byte is an ASCII letter or digit, or any byte of a multi-byte UTF-8
 * sequence: arXiv tokenises on Unicode word boundaries, and no byte >= 0x80
 * is part of its query syntax.
 */
static inline bool
is_word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c >= 0x80;
}

/*
 * The length of a Unicode space or invisible separator starting at p (NEL,
 * NBSP, U+1680, U+2000-U+200D, U+2028, U+2029, U+202F, U+205F, U+2060,
 * U+3000, U+FEFF), or 0.  Search engines split words there, so such a code
 * point must separate our words too: left inside a term it would let a value
 * add operators ("Kaiser<NBSP>OR<NBSP>Hall").
 */
static int
unicode_space_len(const unsigned char *p)
{
	if (p[0] == 0xC2 && (p[1] == 0x85 || p[1] == 0xA0))
		return 2;
	if (p[0] == 0xE1 && p[1] == 0x9A && p[2] == 0x80)
		return 3;
	if (p[0] == 0xE2 && p[1] == 0x80 &&
		((p[2] >= 0x80 && p[2] <= 0x8D) || p[2] == 0xA8 || p[2] == 0xA9 ||
		 p[2] == 0xAF))
		return 3;
	if (p[0] == 0xE2 && p[1] == 0x81 && (p[2] == 0x9F || p[2] == 0xA0))
		return 3;
	if (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80)
		return 3;
	if (p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
		return 3;
	return 0;
}

/* The length of the word character at p, or 0 for a separator. */
static int
word_char_len(const unsigned char *p)
{
	if (*p < 0x80)
		return is_word_byte(*p) ? 1 : 0;
	if (unicode_space_len(p) > 0)
		return 0;
	return 1;					/* one byte of a multi-byte letter */
}

static int
separator_len(const unsigned char *p)
{
	int			n = unicode_space_len(p);

	return n > 0 ? n : 1;
}

int
aq_count_words(const char *value)
{
	int			n = 0;
	bool		in_word = false;

	for (const unsigned char *p = (const unsigned char *) value; *p;)
	{
		bool		w = word_char_len(p) > 0;

		if (w && !in_word)
			n++;
		in_word = w;
		p += w ? 1 : separator_len(p);
	}
	return n;
}

static bool
is_operator_word(const char *w, size_t len)
{
	return (len == 3 && strncmp(w, "AND", 3) == 0) ||
		(len == 2 && strncmp(w, "OR", 2) == 0) ||
		(len == 6 && strncmp(w, "ANDNOT", 6) == 0) ||
		(len == 2 && strncmp(w, "TO", 2) == 0);
}

/*
 * field:word, or field:"w1 w2 ..." when there are several words, or the only
 * word could be read as an operator or holds non-ASCII characters (whatever
 * a search engine makes of those, inside quotes they cannot be syntax).
 * Punctuation and Unicode spaces only separate words.  With no words at all
 * the condition cannot be pushed: inexact TRUE.
 */
AqNode *
aq_words(AqArena *arena, const char *field, const char *value, bool exact)
{
	size_t		flen = strlen(field);
	size_t		vlen = strlen(value);
	char	   *out;
	char	   *o;
	int			nwords = 0;
	bool		non_ascii = false;
	const char *first = NULL;
	size_t		firstlen = 0;
	AqNode	   *node;

	/* worst case: field ':' '"' value '"' NUL */
	out = aq_alloc(arena, flen + vlen + 4);
	if (out == NULL)
		return NULL;
	memcpy(out, field, flen);
	o = out + flen;
	*o++ = ':';
	*o++ = '"';
	for (const char *p = value; *p;)
	{
		const char *start;

		while (*p && word_char_len((const unsigned char *) p) == 0)
			p += separator_len((const unsigned char *) p);
		if (!*p)
			break;
		start = p;
		while (*p && word_char_len((const unsigned char *) p) > 0)
		{
			non_ascii |= (unsigned char) *p >= 0x80;
			p++;
		}
		if (nwords++ > 0)
			*o++ = ' ';
		else
		{
			first = start;
			firstlen = p - start;
		}
		memcpy(o, start, p - start);
		o += p - start;
	}
	if (nwords == 0)
		return aq_true(arena, false);
	if (nwords == 1 && !is_operator_word(first, firstlen) && !non_ascii)
	{
		/* drop the opening quote: field:word */
		memmove(out + flen + 1, out + flen + 2, o - (out + flen + 2));
		o--;
	}
	else
		*o++ = '"';
	*o = '\0';

	node = make_node(arena, AQ_TERM, exact);
	if (node != NULL)
		node->text = out;
	return node;
}

static bool
is_category_part(const char **pp)
{
	const char *p = *pp;

	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return false;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '-')
		p++;
	*pp = p;
	return true;
}

/*
 * archive or archive.subject, e.g. hep-th, cs.OS, cond-mat.str-el.  Archive
 * names are lowercase, which also keeps operator words (OR, AND, TO) out.
 */
bool
aq_valid_category(const char *value)
{
	const char *p = value;

	if (!(*p >= 'a' && *p <= 'z') || !is_category_part(&p))
		return false;
	if (*p == '.')
	{
		p++;
		if (!is_category_part(&p))
			return false;
	}
	return *p == '\0' && p - value <= 64;
}

/*
 * cat:value.  With prefix, value is an archive followed by a dot ("cs.") and
 * the term is the wildcard cat:cs.*.  A value outside the category grammar
 * names no arXiv category: FALSE, which is exact.
 */
AqNode *
aq_category(AqArena *arena, const char *value, bool prefix)
{
	size_t		len = strlen(value);
	char	   *text;
	AqNode	   *node;

	if (prefix)
	{
		char		archive[65];

		if (len < 2 || len > 64 || value[len - 1] != '.')
			return aq_true(arena, false);
		memcpy(archive, value, len - 1);
		archive[len - 1] = '\0';
		if (strchr(archive, '.') != NULL || !aq_valid_category(archive))
			return aq_true(arena, false);
	}
	else if (!aq_valid_category(value))
		return aq_false(arena);

	text = aq_alloc(arena, len + 7);
	if (text == NULL)
		return NULL;
	memcpy(text, "cat:", 4);
	memcpy(text + 4, value, len);
	if (prefix)
		text[4 + len++] = '*';
	text[4 + len] = '\0';

	node = make_node(arena, AQ_TERM, true);
	if (node != NULL)
		node->text = text;
	return node;
}

static bool
is_digits(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* submittedDate:[lo TO hi]; both bounds must be YYYYMMDDHHMM */
AqNode *
aq_date_range(AqArena *arena, const char *lo12, const char *hi12, bool exact)
{
	char	   *text;
	AqNode	   *node;

	if (!is_digits(lo12, 12) || !is_digits(hi12, 12))
		return aq_true(arena, false);
	if (strcmp(lo12, hi12) > 0)
		return aq_false(arena);
	text = aq_alloc(arena, 48);
	if (text == NULL)
		return NULL;
	memcpy(text, "submittedDate:[", 15);
	memcpy(text + 15, lo12, 12);
	memcpy(text + 27, " TO ", 4);
	memcpy(text + 31, hi12, 12);
	memcpy(text + 43, "]", 2);

	node = make_node(arena, AQ_DATE, exact);
	if (node != NULL)
		node->text = text;
	return node;
}

/*
 * A raw arXiv query supplied by the user.  It may use the whole query
 * language, but must be one balanced expression: otherwise a ")" in it could
 * close our parenthesis and attach the rest to the surrounding query.
 */
AqNode *
aq_raw(AqArena *arena, const char *query, const char **errmsg)
{
	int			depth = 0;
	bool		quoted = false;
	bool		nonblank = false;
	size_t		len;
	char	   *text;
	AqNode	   *node;

	for (const unsigned char *p = (const unsigned char *) query; *p; p++)
	{
		if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
		{
			*errmsg = "control characters are not allowed";
			return NULL;
		}
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			nonblank = true;
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && *p == '(')
			depth++;
		else if (!quoted && *p == ')' && --depth < 0)
		{
			*errmsg = "unbalanced parentheses";
			return NULL;
		}
	}
	if (quoted)
	{
		*errmsg = "unterminated double quote";
		return NULL;
	}
	if (depth != 0)
	{
		*errmsg = "unbalanced parentheses";
		return NULL;
	}
	if (!nonblank)
	{
		*errmsg = "the query is empty";
		return NULL;
	}

	len = strlen(query);
	text = aq_alloc(arena, len + 3);
	if (text == NULL)
		return NULL;
	text[0] = '(';
	memcpy(text + 1, query, len);
	text[len + 1] = ')';
	text[len + 2] = '\0';
	/* newlines and tabs would only be separators: make them spaces */
	for (char *p = text; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';

	node = make_node(arena, AQ_RAW, true);
	if (node != NULL)
		node->text = text;
	*errmsg = NULL;
	return node;
}

static AqNode *
make_binary(AqArena *arena, AqKind kind, AqNode *a, AqNode *b)
{
	AqNode	   *node = make_node(arena, kind, a->exact && b->exact);

	if (node != NULL)
	{
		node->left = a;
		node->right = b;
		node->may_be_true = kind == AQ_AND ? a->may_be_true && b->may_be_true :
			kind == AQ_OR ? a->may_be_true || b->may_be_true : a->may_be_true;
	}
	return node;
}

/* the same condition, marked inexact (a shallow copy; nodes are shared) */
static AqNode *
as_inexact(AqArena *arena, AqNode *node)
{
	AqNode	   *copy;

	if (!node->exact)
		return node;
	copy = aq_alloc(arena, sizeof(AqNode));
	if (copy != NULL)
	{
		*copy = *node;
		copy->exact = false;
	}
	return copy;
}

AqNode *
aq_and(AqArena *arena, AqNode *a, AqNode *b)
{
	if (a == NULL || b == NULL)
		return NULL;
	if (a->kind == AQ_FALSE)
		return a;
	if (b->kind == AQ_FALSE)
		return b;
	if (a->kind == AQ_TRUE)
		return a->exact ? b : as_inexact(arena, b);
	if (b->kind == AQ_TRUE)
		return b->exact ? a : as_inexact(arena, a);
	return make_binary(arena, AQ_AND, a, b);
}

AqNode *
aq_or(AqArena *arena, AqNode *a, AqNode *b)
{
	if (a == NULL || b == NULL)
		return NULL;
	/* an unpushable disjunct makes the whole disjunction unrestricted */
	if (a->kind == AQ_TRUE)
		return a;
	if (b->kind == AQ_TRUE)
		return b;
	if (a->kind == AQ_FALSE)
		return b;
	if (b->kind == AQ_FALSE)
		return a;
	return make_binary(arena, AQ_OR, a, b);
}

/*
 * a ANDNOT b.  arXiv has no unary NOT, so when a is unrestricted the whole
 * condition cannot be pushed.  An inexact b cannot be subtracted either: a
 * superset of b would remove rows that SQL keeps.  When a is a placeholder
 * combination that may turn out TRUE, the result may turn out an inexact
 * TRUE: judged inexact now.
 */
AqNode *
aq_andnot(AqArena *arena, AqNode *a, AqNode *b)
{
	AqNode	   *node;

	if (a == NULL || b == NULL)
		return NULL;
	if (a->kind == AQ_FALSE)
		return a;
	if (b->kind == AQ_FALSE)
		return b->exact ? a : as_inexact(arena, a);
	if (!b->exact)
		return as_inexact(arena, a);
	if (b->kind == AQ_TRUE)
		return aq_false(arena);
	if (a->kind == AQ_TRUE)
		return aq_true(arena, false);
	node = make_binary(arena, AQ_ANDNOT, a, b);
	if (node != NULL && a->may_be_true)
		node->exact = false;
	return node;
}

/* growable output buffer inside the arena */
typedef struct AqBuf
{
	AqArena    *arena;
	char	   *data;
	size_t		len;
	size_t		cap;
	bool		oom;
} AqBuf;

static void
buf_append(AqBuf *buf, const char *s, size_t n)
{
	if (buf->oom)
		return;
	if (buf->len + n + 1 > buf->cap)
	{
		size_t		cap = buf->cap ? buf->cap * 2 : 256;
		char	   *data;

		while (cap < buf->len + n + 1)
			cap *= 2;
		data = aq_alloc(buf->arena, cap);
		if (data == NULL)
		{
			buf->oom = true;
			return;
		}
		if (buf->len > 0)
			memcpy(data, buf->data, buf->len);
		buf->data = data;
		buf->cap = cap;
	}
	memcpy(buf->data + buf->len, s, n);
	buf->len += n;
	buf->data[buf->len] = '\0';
}

static void
buf_puts(AqBuf *buf, const char *s)
{
	buf_append(buf, s, strlen(s));
}

static bool
is_compound(const AqNode *node)
{
	return node->kind == AQ_AND || node->kind == AQ_OR ||
		node->kind == AQ_ANDNOT;
}

static void serialize_node(AqBuf *buf, const AqNode *node);

static void
serialize_operand(AqBuf *buf, const AqNode *node)
{
	if (is_compound(node))
	{
		buf_puts(buf, "(");
		serialize_node(buf, node);
		buf_puts(buf, ")");
	}
	else
		serialize_node(buf, node);
}

static void
serialize_node(AqBuf *buf, const AqNode *node)
{
	switch (node->kind)
	{
		case AQ_TERM:
		case AQ_DATE:
		case AQ_RAW:
			buf_puts(buf, node->text);
			break;
		case AQ_AND:
		case AQ_OR:
		case AQ_ANDNOT:
			serialize_operand(buf, node->left);
			buf_puts(buf, node->kind == AQ_AND ? " AND " :
					 node->kind == AQ_OR ? " OR " : " ANDNOT ");
			serialize_operand(buf, node->right);
			break;
		case AQ_TRUE:
		case AQ_FALSE:
		case AQ_PLACEHOLDER:
			/* absorbed while building; only a bare root can be one */
			/* placeholders exist only at plan time, never serialized */
			break;
	}
}

/*
 * The search_query text of a tree.  Returns "" for TRUE and FALSE roots:
 * the caller must not send those.  NULL when out of memory.
 */
char *
aq_serialize(AqArena *arena, const AqNode *node)
{
	AqBuf		buf = {arena, NULL, 0, 0, false};

	buf_append(&buf, "", 0);
	serialize_node(&buf, node);
	return buf.oom ? NULL : buf.data;
}

/*
 * Percent-encode for a query-string value (application/x-www-form-urlencoded
 * as arXiv reads it): unreserved characters stay, space becomes '+'.
 */
char *
aq_urlencode(AqArena *arena, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t		len = strlen(s);
	char	   *out = aq_alloc(arena, len * 3 + 1);
	char	   *o = out;

	if (out == NULL)
		return NULL;
	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
	{
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			(*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
			*p == '.' || *p == '~')
			*o++ = *p;
		else if (*p == ' ')
			*o++ = '+';
		else
		{
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

/*
 * An arXiv identifier (arxiv_id.h's grammar), followed by a version when
 * allow_version.
 */
bool
aq_valid_id(const char *id, bool allow_version)
{
	size_t		n = arxiv_id_scan(id);

	if (n == 0)
		return false;
	if (id[n] == 'v' && allow_version)
	{
		size_t		vlen = arxiv_id_scan_version(id + n, NULL);

		if (vlen == 0)
			return false;
		n += vlen;
	}
	return id[n] == '\0';
}
