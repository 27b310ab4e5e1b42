#!/usr/bin/python3
"""Differential test of pushdown (see README.md in this directory).

Builds random WHERE conditions (deterministic seed) from every pushable
shape, runs each one on the foreign table `papers` against the mock arXiv
server and on a local copy of the same rows (`corpus`), as a literal query,
as count(*), and as a prepared statement under force_generic_plan and
force_custom_plan, and requires the same rows everywhere.

  pushdown_diff.py [--seed S] [-n N] [--repro K] [--only REMOTE [--local LOCAL]]
                   [--no-shrink] [-v]

Run with Debian's /usr/bin/python3 (psycopg2); needs the environment of
test/lib/env.sh (PGHOST, PGPORT, PGUSER, MOCK_PORT) and a running mock.
Exit status 1 if any condition gives a difference or an error."""
import argparse
import datetime
import io
import os
import random
import re
import sys
import time
import urllib.parse
import urllib.request

import psycopg2
import psycopg2.extras

from diffconn import Conn

DB = "arxiv_diff"
MOCK = "http://127.0.0.1:%s" % os.environ.get("MOCK_PORT", "18089")
MOCK_URL = os.environ.get("ARXIV_MOCK_URL", MOCK + "/api/query")
# refusals: documented errors for conditions that cannot be sent to arXiv
REFUSALS = {"HV007", "HV000"}
REFUSAL_RE = re.compile(r"cannot be sent to arXiv|would fetch all of arXiv")
TIMEZONES = ["UTC", "UTC", "UTC", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"]

# categories a condition may be restricted to (each well under 10000 papers)
RESTRICT_CATS = ["cs.OS", "cs.AR", "cs.PF", "cs.DB", "cs.PL", "cs.LO", "math.AP", "cs.CR",
                 "cs.DS", "cs.MA", "hep-lat"]
# categories used inside conditions
OTHER_CATS = ["cs.DC", "cs.CR", "cs.LG", "cs.AI", "cs.NI", "cs.OS", "cs.AR", "cs.PF", "cs.DB",
              "I.2.6", "D.4.1", "C.4", "68T05", "astro-ph", "hep-th", "math.AP", "cs.XX",
              "CS.OS", "cs.OS) OR (cat:math.AP", "cs.OS OR cat:cs.LG", ""]
CAT_PATTERNS = ["cs.%", "cs.O%", "cs._S", "D.4.%", "math%", "%.OS", "cs.OS", "hep-%", "cs.%S",
                "cs\\.O%", "%"]
SEARCHES = ["ti:kernel", "abs:scheduler", 'ti:"virtual memory"', "au:kaiser", "cat:cs.AR",
            "ti:memory ANDNOT ti:cache", "ti:(memory OR cache)", "all:latency",
            'abs:"tail latency"', "ti:kernel OR abs:kernel", "co:pages", "jr:proceedings",
            "cat:cs.PF AND ti:performance", "ti:storage", "abs:consensus"]
STOP = ["the", "of", "for", "and", "a", "in", "on", "with", "to"]
FIXED_TS = ["2026-05-31 23:59:30+00", "2026-05-31 23:59:00+00", "2026-06-01 00:00:00+00",
            "2026-04-30 23:59:59+00", "2025-12-31 23:59:59+00", "2026-01-01 00:00:00+00"]


# ---------------------------------------------------------------------------
# constants and their SQL


def quote(s):
    return "'" + s.replace("'", "''") + "'"


class Const:
    """A constant of a condition: value (str, int, None or list), SQL type,
    and how it is written as a literal ('plain': '...' whose type comes from
    the context, 'cast': '...'::type, 'kw': date '...')."""

    def __init__(self, value, typ="text", style="plain"):
        self.value, self.typ, self.style = value, typ, style

    def literal(self, force_cast=False):
        v, t = self.value, self.typ
        if isinstance(v, list):
            if not v:
                return "'{}'::%s" % t
            return "ARRAY[%s]%s" % (", ".join("NULL" if e is None else quote(e) for e in v),
                                    "::" + t if force_cast or None in v else "")
        if v is None:
            return "NULL::%s" % t if force_cast or self.style != "plain" else "NULL"
        s = str(v) if isinstance(v, int) else quote(v)
        if isinstance(v, int) and not force_cast:
            return s
        if force_cast or self.style == "cast":
            return "%s::%s" % (s, t)
        if self.style == "kw":
            return "%s %s" % (t, s)
        return s


class Leaf:
    """tmpl: the condition on papers with {0}, {1} for the constants; local:
    a function of the literals giving the same condition on corpus (None:
    the same text)."""

    def __init__(self, tmpl, consts, local=None, kind="", keep=False):
        self.tmpl, self.consts, self.local, self.kind = tmpl, consts, local, kind
        self.keep = keep            # the restricting conjunct: shrinking keeps it

    def remote(self, params):
        if params is None:
            return self.tmpl.format(*[c.literal() for c in self.consts])
        refs = []
        for c in self.consts:
            params.append(c)
            refs.append("$%d" % len(params))
        return self.tmpl.format(*refs)

    def local_sql(self):
        if self.local is None:
            return self.remote(None)
        return self.local(*self.consts)

    def leaves(self):
        return [self]


class Op:
    def __init__(self, op, kids):
        self.op, self.kids = op, kids

    def remote(self, params):
        if self.op == "NOT":
            return "NOT (%s)" % self.kids[0].remote(params)
        return "(" + (" %s " % self.op).join(k.remote(params) for k in self.kids) + ")"

    def local_sql(self):
        if self.op == "NOT":
            return "NOT (%s)" % self.kids[0].local_sql()
        return "(" + (" %s " % self.op).join(k.local_sql() for k in self.kids) + ")"

    def leaves(self):
        return [x for k in self.kids for x in k.leaves()]


def top_remote(node, params):
    s = node.remote(params)
    return s[1:-1] if isinstance(node, Op) and node.op != "NOT" else s


def top_local(node):
    s = node.local_sql()
    s = s[1:-1] if isinstance(node, Op) and node.op != "NOT" else s
    if contradictory(node):
        return "false AND " + s
    return s


# The planner's equivalence classes: a conjunct `col = const` at the top
# level of the WHERE clause (after AND flattening and NOT push-down, as
# eval_const_expressions does) puts col and const in one class, and two
# distinct constants in one class make the clause constant false (a
# One-Time Filter: false), whatever col's "listed in" meaning is.
# `col IN (x)` with one value is `col = x`; `NOT (col <> x)` is `col = x`;
# `col = ANY (ARRAY[x])` is not an equality.  NULL constants are left out:
# `col = NULL` is NULL anyway.

EQ_COLS = ("category", "author", "search")


def top_equalities(node, neg=False):
    """[(column, value)] of the filter-column equalities the planner sees at
    the top level of the condition node."""
    if isinstance(node, Op):
        if node.op == "NOT":
            return top_equalities(node.kids[0], not neg)
        if (node.op == "AND") != neg:      # AND, or NOT (OR) = AND of the NOTs
            return [e for k in node.kids for e in top_equalities(k, neg)]
        return []
    if len(node.consts) != 1 or node.consts[0].value is None or isinstance(node.consts[0].value, list):
        return []
    for col in EQ_COLS:
        eq, ne = ([col + " = {0}", col + " IN ({0})"], [col + " <> {0}", col + " NOT IN ({0})"])
        if node.tmpl in (ne if neg else eq):
            return [(col, node.consts[0].value)]
    return []


def contradictory(node):
    """Two distinct constants equal to one filter column at the top level."""
    vals = {}
    for col, v in top_equalities(node):
        vals.setdefault(col, set()).add(v)
    return any(len(vs) > 1 for vs in vals.values())


# local meaning of the filter columns, one value at a time (NULL stays NULL)

def cat_pred(c):
    if c.value is None:
        return "NULL::boolean"
    # = x = ANY (categories) (no NULL elements), but can use the GIN index
    return "(categories @> ARRAY[%s])" % quote(c.value)


def fm_pred(col):
    def pred(c):
        if c.value is None:
            return "NULL::boolean"
        return "(id IN (SELECT m.id FROM fmatch m WHERE m.col = %s AND m.val = %s))" % (
            quote(col), quote(c.value))
    return pred


def catlike_pred(c):
    if c.value is None:
        return "NULL::boolean"
    return "EXISTS (SELECT FROM unnest(categories) c WHERE c LIKE %s)" % quote(c.value)


def any_of(pred, consts):
    return "(" + " OR ".join(pred(c) for c in consts) + ")" if consts else "false"


def elems(arr):
    return [Const(e) for e in arr.value]


# ---------------------------------------------------------------------------
# the generator


class Pools:
    """Values taken from the local corpus (deterministic for a given corpus)."""

    def __init__(self, cur):
        cur.execute("""SELECT title FROM corpus WHERE categories && %s ORDER BY id""",
                    (RESTRICT_CATS[:6],))
        titles = [r[0] for r in cur.fetchall()]
        self.titles = titles[::max(1, len(titles) // 400)]
        cur.execute("""SELECT w FROM corpus, regexp_split_to_table(lower(title), '[^a-z0-9]+') w
                        WHERE categories && %s AND length(w) >= 4
                        GROUP BY w ORDER BY count(*) DESC, w LIMIT 120""", (RESTRICT_CATS[:6],))
        self.words = [r[0] for r in cur.fetchall()]
        cur.execute("""SELECT w FROM corpus, regexp_split_to_table(lower(abstract), '[^a-z0-9]+') w
                        WHERE 'cs.AR' = ANY (categories) AND length(w) >= 5
                        GROUP BY w ORDER BY count(*) DESC, w LIMIT 60""")
        self.abs_words = [r[0] for r in cur.fetchall()]
        cur.execute("""SELECT id FROM corpus WHERE categories && %s ORDER BY id""", (RESTRICT_CATS[:6],))
        ids = [r[0] for r in cur.fetchall()]
        self.ids = ids[::max(1, len(ids) // 300)]
        # old-style ids, without and with a subject class (math.AP/0301001,
        # cond-mat.mes-hall/0101001)
        cur.execute("SELECT id FROM corpus WHERE id ~ '^[a-z-]+/' ORDER BY id LIMIT 40")
        self.ids += [r[0] for r in cur.fetchall()][::4]
        cur.execute("SELECT id FROM corpus WHERE id ~ '^[a-z-]+[.][A-Za-z-]+/' ORDER BY id")
        sub = [r[0] for r in cur.fetchall()]
        self.ids += sub[::max(1, len(sub) // 10)]
        self.bad_ids = ["2601.99999", "0704.0001", "hep-th/9999999", "abc", "2301.1", "",
                        "2605.09735,2603.11438", "2605.09735v0", "1234.12345"]
        cur.execute("""SELECT a FROM corpus, unnest(authors) a WHERE categories && %s
                        GROUP BY a ORDER BY a""", (RESTRICT_CATS[:6],))
        names = [r[0] for r in cur.fetchall()]
        self.base_names = names[::max(1, len(names) // 60)]
        self.names = self.base_names + [
            "Łukasz Kaiser", "Lukasz Kaiser", "kaiser", "Kaiser", "Adrian Del Maestro",
            "Del Maestro", "Peter Hall", "Garcia-Perez", "Garcia Perez",
            "Jan Kaiser-Nowak", "Søren", "Wiśniewski", "O'Brien", ""]
        self.surnames = sorted({n.split()[-1] for n in names if n.split()})[::40]
        self.cats = OTHER_CATS
        # versions: multi-version papers that are not seed papers (whose old
        # versions have other titles)
        cur.execute("""SELECT id, version FROM corpus WHERE version > 1 AND categories && %s
                        AND published < '2026-01-01' ORDER BY id""", (RESTRICT_CATS[:6],))
        mv = cur.fetchall()
        self.multi = mv[::max(1, len(mv) // 60)]


class Gen:
    def __init__(self, rng, pools):
        self.r, self.p = rng, pools

    def pick(self, seq):
        return seq[self.r.randrange(len(seq))]

    def maybe_null(self, v, p=0.08):
        return None if self.r.random() < p else v

    # --- leaves -----------------------------------------------------------

    def filter_leaf(self, col, values, pred, null_style="plain"):
        r = self.r
        k = r.random()
        if k < 0.35:
            c = Const(self.maybe_null(self.pick(values)), style=null_style if r.random() < 0.5 else "plain")
            return Leaf(col + " = {0}", [c], lambda c: pred(c), "%s =" % col)
        if k < 0.5:
            c = Const(self.maybe_null(self.pick(values), 0.15), style=r.choice(["plain", "cast"]))
            return Leaf(col + " <> {0}", [c], lambda c: "NOT " + pred(c), "%s <>" % col)
        n = r.randint(1, 3)
        vals = [self.maybe_null(self.pick(values), 0.12) for _ in range(n)]
        if k < 0.68:
            cs = [Const(v) for v in vals]
            neg = r.random() < 0.4
            tm = col + (" NOT IN (" if neg else " IN (") + ", ".join("{%d}" % i for i in range(n)) + ")"
            return Leaf(tm, cs, lambda *cs: ("NOT " if neg else "") + any_of(pred, cs),
                        "%s %sIN" % (col, "NOT " if neg else ""))
        if k < 0.85:
            a = Const(vals if r.random() < 0.9 else [], "text[]")
            return Leaf(col + " = ANY ({0})", [a], lambda a: any_of(pred, elems(a)), "%s = ANY" % col)
        a = Const(vals, "text[]")
        return Leaf(col + " <> ALL ({0})", [a],
                    lambda a: "(" + " AND ".join("NOT " + pred(c) for c in elems(a)) + ")" if a.value else "true",
                    "%s <> ALL" % col)

    def category_leaf(self):
        if self.r.random() < 0.15:
            c = Const(self.maybe_null(self.pick(CAT_PATTERNS), 0.05))
            neg = self.r.random() < 0.3
            return Leaf("category %sLIKE {0}" % ("NOT " if neg else ""), [c],
                        lambda c: ("NOT " if neg else "") + catlike_pred(c), "category LIKE")
        return self.filter_leaf("category", self.p.cats, cat_pred, "cast")

    def author_leaf(self):
        return self.filter_leaf("author", self.p.names, fm_pred("author"), "cast")

    def search_leaf(self):
        return self.filter_leaf("search", SEARCHES, fm_pred("search"), "cast")

    def categories_leaf(self):
        r = self.r
        k = r.random()
        c = self.pick(self.p.cats[:13])
        if k < 0.4:
            return Leaf("{0} = ANY (categories)", [Const(self.maybe_null(c))], kind="= ANY(categories)")
        if k < 0.55:
            return Leaf("primary_category = {0}", [Const(self.maybe_null(c))], kind="primary_category")
        if k < 0.65:
            return Leaf("primary_category IN ({0}, {1})", [Const(c), Const(self.maybe_null(self.pick(self.p.cats[:13])))],
                        kind="primary_category IN")
        arr = Const([self.maybe_null(self.pick(self.p.cats[:13]), 0.05) for _ in range(r.randint(1, 2))], "text[]")
        op = r.choice(["@>", "&&", "<@"])
        return Leaf("categories %s {0}" % op, [arr], kind="categories " + op)

    def authors_leaf(self):
        n = self.pick(self.p.base_names)
        if self.r.random() < 0.6:
            return Leaf("{0} = ANY (authors)", [Const(self.maybe_null(n, 0.05))], kind="= ANY(authors)")
        return Leaf("authors %s {0}" % self.r.choice(["@>", "&&"]), [Const([n], "text[]")],
                    kind="authors @>/&&")

    def phrase(self):
        """1-3 adjacent words of a real title, in its case."""
        words = re.findall(r"[A-Za-z0-9]+", self.pick(self.p.titles))
        if not words:
            return "memory"
        n = min(len(words), self.r.choice([1, 1, 1, 2, 2, 3]))
        i = self.r.randrange(len(words) - n + 1)
        return " ".join(words[i:i + n])

    def word(self):
        r = self.r.random()
        if r < 0.1:
            return self.pick(STOP)
        if r < 0.3:
            return self.pick(self.p.abs_words)
        if r < 0.6:
            return self.phrase()
        return self.pick(self.p.words)

    def like_pattern(self):
        w = self.word()
        r = self.r
        shapes = ["%{w}%", "% {w} %", "{w}%", "%{w}", "% {w}%", "%{w} %", "% {w} % {v} %",
                  "%{w}%{v}%", "{W}%", "%{W}%", "% {W} %", "% {x} %", "%{w}\\%%", "%", "",
                  "{w}", "% {w}-%", "%({w})%", "% {w}, %"]
        s = self.pick(shapes)
        x = w[:-1] + "_" if len(w) > 2 else w
        return s.format(w=w, v=self.word(), W=w.upper() if r.random() < 0.5 else w.capitalize(), x=x)

    def regex(self):
        w, v = self.word(), self.word()
        shapes = ["{w}", "\\m{w}\\M", "{w}| {v} ", "{w}|{v}", "({w}|{v})", "^{w}", "{w}$",
                  "{w}.*{v}", " {w} ", "\\y{w}\\y", "{W}", "[{c}{C}]{rest}", "{w}s?", "({w})+",
                  "{w}|", "^({w}|{v})$", "(?:{w}) {v}", "{w}\\s+{v}", "\\m{w}", "{w} ?{v}",
                  "{w}{{1,2}}", ".", "{w}[.]", "(^| ){w}( |$)"]
        s = self.pick(shapes)
        return s.format(w=w, v=v, W=w.upper(), c=w[:1].lower(), C=w[:1].upper(), rest=w[1:])

    def text_leaf(self):
        r = self.r
        col = self.pick(["title", "title", "title", "abstract", "abstract", "comment", "journal_ref"])
        k = r.random()
        if k < 0.5:
            op = self.pick(["LIKE", "ILIKE", "ILIKE", "NOT LIKE", "NOT ILIKE"])
            pat = self.like_pattern()
            if col in ("comment", "journal_ref") and r.random() < 0.5:
                pat = self.pick(["% pages%", "%Proceedings%", "%IEEE%", "%accepted%", "% figures%",
                                 "%Journal%", "%20%", "% to appear %"])
            return Leaf("%s %s {0}" % (col, op), [Const(self.maybe_null(pat, 0.04))], kind=col + " " + op)
        if k < 0.9:
            op = self.pick(["~", "~*", "~*", "!~", "!~*"])
            return Leaf("%s %s {0}" % (col, op), [Const(self.maybe_null(self.regex(), 0.04))],
                        kind=col + " " + op)
        if k < 0.95:
            return Leaf("%s = {0}" % col, [Const(self.pick(self.p.titles))], kind=col + " =")
        return Leaf("%s IS %sNULL" % (col, self.pick(["", "NOT "])), [], kind=col + " IS NULL")

    def timestamp(self):
        r = self.r
        k = r.random()
        if k < 0.25:
            return self.pick(FIXED_TS)
        if k < 0.4:
            y = r.randint(1991, 2007)
        else:
            y = r.choice([2026, 2026, 2026, 2025, 2024, 2020, 2015, 2010])
        d = datetime.datetime(y, 1, 1) + datetime.timedelta(seconds=r.randrange(365 * 86400))
        if y == 2026 and d > datetime.datetime(2026, 6, 21):
            d = d.replace(month=r.randint(1, 6))
        fmt = self.pick(["%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S+00",
                         "%Y-%m-%d %H:%M:%S+05:30", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d 23:59:59",
                         "%Y-%m-%d 00:00:00-08"])
        return d.strftime(fmt)

    def date_const(self, col):
        r = self.r
        t = self.timestamp()
        k = r.random()
        if k < 0.6:
            return Const(self.maybe_null(t, 0.04), "timestamptz")
        if k < 0.8:
            return Const(t[:10], "date", "kw")
        if k < 0.95:
            return Const(re.sub(r"(?<=:\d\d)(Z|[+-]\d\d(:\d\d)?)$", "", t).replace("T", " "), "timestamp", "kw")
        return Const(self.pick(["infinity", "-infinity"]), "timestamptz")

    def date_leaf(self, col=None):
        r = self.r
        col = col or ("published" if r.random() < 0.85 else "updated")
        if r.random() < 0.3:
            a, b = self.date_const(col), self.date_const(col)
            if r.random() < 0.8 and a.value and b.value and a.value > b.value:
                a, b = b, a
            neg = r.random() < 0.1
            return Leaf("%s %sBETWEEN {0} AND {1}" % (col, "NOT " if neg else ""), [a, b],
                        kind=col + " BETWEEN")
        op = self.pick(["<", "<=", "=", ">=", ">", ">=", "<", "<>"])
        return Leaf("%s %s {0}" % (col, op), [self.date_const(col)], kind="%s %s" % (col, op))

    def id_leaf(self):
        r = self.r
        pool = self.p.ids + self.p.bad_ids[:4]
        k = r.random()
        if k < 0.3:
            return Leaf("id = {0}", [Const(self.maybe_null(self.pick(pool), 0.05))], kind="id =")
        if k < 0.4:
            return Leaf("id <> {0}", [Const(self.pick(pool))], kind="id <>")
        ids = [self.maybe_null(self.pick(pool), 0.05) for _ in range(r.randint(1, 6))]
        if k < 0.7:
            neg = r.random() < 0.2
            return Leaf("id %sIN (%s)" % ("NOT " if neg else "", ", ".join("{%d}" % i for i in range(len(ids)))),
                        [Const(i) for i in ids], kind="id IN")
        return Leaf("id = ANY ({0})", [Const(ids, "text[]")], kind="id = ANY")

    def other_leaf(self):
        k = self.r.random()
        if k < 0.5:
            return Leaf("version %s {0}" % self.pick(["=", ">=", "<", "<>"]), [Const(self.r.randint(1, 3), "int4")],
                        kind="version")
        if k < 0.75:
            return Leaf("doi IS %sNULL" % self.pick(["", "NOT "]), [], kind="doi IS NULL")
        return Leaf("cardinality(authors) > {0}", [Const(self.r.randint(1, 5), "int4")], kind="cardinality")

    def leaf(self, with_ids):
        k = self.r.random()
        table = [(0.24, self.category_leaf), (0.32, self.author_leaf), (0.37, self.search_leaf),
                 (0.47, self.categories_leaf), (0.52, self.authors_leaf), (0.74, self.text_leaf),
                 (0.90, self.date_leaf), (0.96, self.id_leaf if with_ids else self.date_leaf),
                 (1.01, self.other_leaf if not with_ids else self.text_leaf)]
        for p, f in table:
            if k < p:
                return f()

    def tree(self, depth, with_ids):
        r = self.r
        if depth <= 0 or r.random() < 0.35:
            return self.leaf(with_ids)
        k = r.random()
        if k < 0.15:
            return Op("NOT", [self.tree(depth - 1, with_ids)])
        op = "AND" if k < 0.55 else "OR"
        return Op(op, [self.tree(depth - 1, with_ids) for _ in range(r.choice([2, 2, 2, 3]))])

    def restrictor(self):
        """A conjunct that keeps the request small."""
        r = self.r
        k = r.random()
        if k < 0.5:
            return Leaf("category = {0}", [Const(self.pick(RESTRICT_CATS))], cat_pred, "category =")
        if k < 0.58:
            cs = [Const(self.pick(RESTRICT_CATS[:5])), Const(self.pick(RESTRICT_CATS[:5]))]
            return Leaf("category IN ({0}, {1})", cs, lambda *cs: any_of(cat_pred, cs), "category IN")
        if k < 0.68:
            ids = [self.pick(self.p.ids + self.p.bad_ids[:2]) for _ in range(r.randint(1, 30))]
            if r.random() < 0.5:
                return Leaf("id = ANY ({0})", [Const(ids, "text[]")], kind="id = ANY")
            return Leaf("id IN (%s)" % ", ".join("{%d}" % i for i in range(len(ids))),
                        [Const(i) for i in ids], kind="id IN")
        if k < 0.76:
            return Leaf("{0} = ANY (categories)", [Const(self.pick(RESTRICT_CATS))], cat_pred, "= ANY(categories)")
        if k < 0.82:
            return Leaf("author = {0}", [Const(self.pick(self.p.base_names))], fm_pred("author"), "author =")
        if k < 0.88:
            return Leaf("search = {0}", [Const(self.pick(["ti:kernel", "cat:cs.AR", "abs:scheduler",
                                                            "ti:storage", "cat:cs.PF AND ti:performance"]))],
                        fm_pred("search"), "search =")
        # a few days of submissions
        d = datetime.date(2026, 1, 1) + datetime.timedelta(days=r.randrange(165))
        if r.random() < 0.3:
            d = datetime.date(r.randint(1992, 2006), r.randint(1, 12), r.randint(1, 28))
            e = d + datetime.timedelta(days=r.randint(30, 900))
        else:
            e = d + datetime.timedelta(days=r.randint(0, 3))
        return Leaf("published BETWEEN {0} AND {1}", [Const(str(d), "timestamptz"), Const(str(e) + " 23:59:59", "timestamptz")],
                    kind="published BETWEEN")

    def join_case(self, num, tz):
        r = self.r
        rest = self.tree(r.choice([0, 1, 1, 2]), False)
        sel = r.choice([None, None, 1, 2])
        if r.random() < 0.6:
            items, seen = [], set()
            for _ in range(r.randint(1, 6)):
                k = r.random()
                if k < 0.5:
                    pid, latest = self.pick(self.p.multi)
                    v = r.choice([1, latest - 1, latest + 1]) if r.random() < 0.9 else 0
                    item = "%sv%d" % (pid, max(v, 0))
                    if v == 0 or v >= latest:
                        item = "%sv%d" % (pid, latest + 1)  # beyond the latest: absent
                else:
                    pid, item = None, self.pick(self.p.ids)
                base = item.split("v")[0] if re.match(r"^\d{4}\.\d+v\d+$", item) else item
                if base in seen:
                    continue
                seen.add(base)
                items.append(item)
            if r.random() < 0.15:
                items.append(None)
            return JoinCase(num, "ids", items, None, rest, tz, sel)
        items = list(dict.fromkeys(self.pick(self.p.cats[:13]) for _ in range(r.randint(1, 4))))
        if r.random() < 0.2:
            items.append(None)
        res = self.restrictor() if r.random() < 0.3 else Leaf(
            "category = {0}", [Const(self.pick(RESTRICT_CATS[:5]))], cat_pred, "category =")
        res.keep = True
        return JoinCase(num, "cats", items, res, rest, tz, sel)

    def condition(self):
        r = self.r
        res = self.restrictor()
        res.keep = True
        with_ids = not res.kind.startswith("id") and r.random() < 0.5
        rest = self.tree(r.choice([1, 2, 2, 3]), with_ids)
        if r.random() < 0.5:
            return Op("AND", [res, rest])
        return Op("AND", [rest, res])


# ---------------------------------------------------------------------------
# the known cases of issue 11, run first


def known_cases():
    C = Const
    cases = []

    def add(node, tz="UTC"):
        cases.append((node, tz))
    catL = lambda c: Leaf("category = {0}", [C(c)], cat_pred, "category =", keep=True)  # noqa: E731
    add(Op("AND", [catL("cs.OS"), Op("OR", [catL("cs.CR"), Leaf("category <> {0}", [C("cs.DC")],
                                                               lambda c: "NOT " + cat_pred(c), "category <>")])]))
    add(Op("AND", [catL("cs.OS"), Leaf("category NOT IN ({0}, {1})", [C("cs.DC"), C(None)],
                                       lambda *cs: "NOT " + any_of(cat_pred, cs), "category NOT IN")]))
    add(Op("AND", [catL("cs.OS"), Leaf("title ~* {0}", [C("memory| cache ")], kind="title ~*")]))
    add(Op("AND", [catL("cs.AR"), Leaf("abstract ~* {0}", [C("design| power ")], kind="abstract ~*")]))
    add(Leaf("published BETWEEN {0} AND {1}", [C("1995-01-01", "timestamptz"), C("1998-01-01", "timestamptz")],
             kind="published BETWEEN"))
    add(Op("AND", [catL("cs.AR"), Leaf("author <> {0}", [C(None, "text", "cast")],
                                       lambda c: "NOT " + fm_pred("author")(c), "author <>")]))
    add(Op("AND", [catL("cs.AR"), Leaf("category <> {0}", [C(None, "text", "cast")],
                                       lambda c: "NOT " + cat_pred(c), "category <>")]))
    add(Op("AND", [catL("cs.PF"), Leaf("category = {0}", [C(None)], cat_pred, "category =")]))
    add(Op("AND", [catL("cs.PF"), Leaf("published >= {0}", [C(None, "timestamptz")], kind="published >=")]))
    add(Op("AND", [catL("cs.PF"), Leaf("category = ANY ({0})", [C(["cs.AR", None], "text[]")],
                                       lambda a: any_of(cat_pred, elems(a)), "category = ANY")]))
    since = Leaf("published >= {0}", [C("1990-01-01", "timestamptz")], kind="published >=")
    add(("ids", ["2603.18030v1", "2603.11438", "2605.09735", None], None, since, None))
    add(("ids", ["2603.18030v1", "2603.11438"], None, since, 1))
    add(("cats", ["cs.CR", "cs.DC", None], catL("cs.OS"), since, None))
    add(("cats", ["cs.CR", "cs.DC"], catL("cs.OS"), since, 1))
    return cases


# ---------------------------------------------------------------------------
# running


class JoinCase:
    """A join of papers with a small local table jt, against the same join
    of corpus, and (ids) the same query with the ids as literals.

    kind 'ids': jt(k, xid) holds ids, some with a version ('2603.18030v1'
    means that version, as in a literal id list); rows are compared as
    id || 'v' || version.  kind 'cats': jt(k, cat) holds categories and the
    join is p.category = jt.cat (= listed in jt.cat), compared with
    duplicates.  sel: only the jt rows with k <= sel join (a selective
    outer side, which favours a parameterized scan)."""

    def __init__(self, num, kind, items, res, rest, tz, sel=None):
        self.num, self.kind, self.items, self.res, self.rest, self.tz, self.sel = \
            num, kind, items, res, rest, tz, sel
        self.node = Op("AND", [res, rest]) if res is not None else rest
        conds = ["(%s)" % top_remote(self.node, None)]
        if sel:
            conds.append("jt.k <= %d" % sel)
        self.where = " AND ".join(conds)
        self.params = []
        pconds = ["(%s)" % top_remote(self.node, self.params)] + conds[1:]
        self.pwhere = " AND ".join(pconds)
        col = "xid" if kind == "ids" else "cat"
        self.table = ["DROP TABLE IF EXISTS jt",
                      "CREATE TEMP TABLE jt (k int, %s text)" % col,
                      "INSERT INTO jt VALUES %s" % ", ".join(
                          "(%d, %s)" % (i + 1, "NULL" if v is None else quote(v)) for i, v in enumerate(items)),
                      "ANALYZE jt"]
        used = items[:sel] if sel else items
        if kind == "ids":
            self.what = "p.id || 'v' || p.version"
            self.join = "jt JOIN papers p ON p.id = jt.xid"
            vals = []
            for v in used:
                if v is None:
                    continue
                m = re.match(r"^(.*?)(?:v(\d+))?$", v)
                vals.append("(%s, %s)" % (quote(m.group(1)), m.group(2) or "NULL::int"))
            self.local = ("SELECT c.id || 'v' || coalesce(v.vver, c.version) FROM corpus c "
                          "JOIN (VALUES %s) v(vid, vver) ON c.id = v.vid "
                          "WHERE (v.vver IS NULL OR v.vver <= c.version) AND (%s)" % (
                              ", ".join(vals) or "(NULL, NULL::int)", top_local(self.node)))
            lits = [v for v in used]
            self.literal_where = "id = ANY (%s) AND (%s)" % (Const(lits, "text[]").literal(True),
                                                           top_remote(self.node, None))
        else:
            self.what = "p.id"
            self.join = "jt JOIN papers p ON p.category = jt.cat"
            # jt.cat joins the class of p.category: with a constant c there,
            # the planner applies jt.cat = c (and papers' category = c) and
            # drops the join clause
            consts = [v for col, v in top_equalities(self.node) if col == "category"]
            on = "jt.cat = %s" % quote(consts[0]) if consts else "jt.cat = ANY (c.categories)"
            self.local = ("SELECT c.id FROM jt JOIN corpus c ON %s WHERE (%s)%s" % (
                on, top_local(self.node), " AND jt.k <= %d" % sel if sel else ""))
            self.literal_where = None
        self.remote = "SELECT %s FROM %s WHERE %s" % (self.what, self.join, self.where)

    def statements(self):
        tz = "SET timezone = %s" % quote(self.tz)
        base = ["RESET ALL", "SET statement_timeout = '120s'", tz] + self.table
        out = {"local": base + [self.local], "join": base + [self.remote]}
        out["join, nested loop"] = base + ["SET enable_hashjoin = off", "SET enable_mergejoin = off",
                                           self.remote]
        if self.literal_where:
            out["literal ids"] = base + ["SELECT id || 'v' || version FROM papers WHERE " + self.literal_where]
        if self.params:
            types = ", ".join(c.typ for c in self.params)
            args = ", ".join(c.literal(force_cast=True) for c in self.params)
            for mode in ("generic", "custom"):
                out["join, " + mode] = base + [
                    "DEALLOCATE ALL", "SET enable_hashjoin = off", "SET enable_mergejoin = off",
                    "SET plan_cache_mode = force_%s_plan" % mode,
                    "PREPARE diff_j(%s) AS SELECT %s FROM %s WHERE %s" % (types, self.what, self.join, self.pwhere),
                    "EXECUTE diff_j(%s)" % args]
        return out

    def repro(self, labels=None):
        st = self.statements()
        lines = []
        for lab in (labels or st):
            lines.append("-- %s" % lab)
            lines += [s + ";" for s in st[lab] if s not in ("DEALLOCATE ALL", "SET statement_timeout = '120s'")]
        return "\n".join(lines)


def remote_select(where, what="id"):
    return "SELECT %s FROM papers WHERE %s" % (what, where)


class Case:
    def __init__(self, num, node, tz):
        self.num, self.node, self.tz = num, node, tz
        self.remote = top_remote(node, None)
        self.local = top_local(node)
        self.params = []
        self.premote = top_remote(node, self.params)

    def statements(self):
        """label -> list of SQL statements, the last one's result counts."""
        tz = "SET timezone = %s" % quote(self.tz)
        out = {
            "local": ["RESET ALL", "SET statement_timeout = '120s'", tz,
                      "SELECT id FROM corpus WHERE %s" % self.local],
            "literal": [tz, remote_select(self.remote)],
            "count": [tz, remote_select(self.remote, "count(*)")],
        }
        if self.params:
            types = ", ".join(c.typ for c in self.params)
            args = ", ".join(c.literal(force_cast=True) for c in self.params)
            for mode in ("generic", "custom"):
                name = "diff_%s" % mode
                prep = ["DEALLOCATE ALL", tz, "SET plan_cache_mode = force_%s_plan" % mode,
                        "PREPARE %s(%s) AS %s" % (name, types, remote_select(self.premote))]
                out[mode] = prep + ["EXECUTE %s(%s)" % (name, args)]
            out["generic count"] = ["DEALLOCATE ALL", tz, "SET plan_cache_mode = force_generic_plan",
                                    "PREPARE diff_c(%s) AS %s" % (types, remote_select(self.premote, "count(*)")),
                                    "EXECUTE diff_c(%s)" % args]
        return out

    def repro(self, labels=None):
        st = self.statements()
        lines = []
        for lab in (labels or st):
            lines.append("-- %s" % lab)
            for s in st[lab]:
                if s in ("DEALLOCATE ALL", "RESET ALL", "SET statement_timeout = '120s'"):
                    continue
                lines.append(s + ";")
        lines.append("RESET plan_cache_mode;")
        return "\n".join(lines)


def describe(outcome):
    if outcome[0] == "rows":
        return "%d rows" % len(outcome[1])
    if outcome[0] == "count":
        return "count %d" % outcome[1]
    if outcome[0] == "crash":
        return "CRASH (%s)" % outcome[1]
    return "ERROR %s: %s" % (outcome[1], outcome[2])


def is_refusal(o):
    return o[0] == "error" and o[1] in REFUSALS and REFUSAL_RE.search(o[2] or "")


# README "Joins": a join on "id" compared after the scan cannot find a
# versioned id; the FDW refuses it (same refusal in every plan shape)
VERSIONED_JOIN = ("HV000", 'versioned arXiv ids cannot be joined with the "id" column')


def is_versioned_join_refusal(results):
    """Every join form refuses with exactly the documented versioned-id error."""
    joins = [lab for lab in results if lab.startswith("join")]
    return bool(joins) and all(results[lab][0] == "error" and
                               (results[lab][1],
                                re.sub(r"^ERROR:\s+", "", results[lab][2] or "")) == VERSIONED_JOIN
                               for lab in joins)


def versioned_join_refusals(results):
    """The join forms that refuse with exactly the documented versioned-id error."""
    return [lab for lab in results if lab.startswith("join") and results[lab][0] == "error" and
            (results[lab][1], re.sub(r"^ERROR:\s+", "", results[lab][2] or "")) == VERSIONED_JOIN]


def judge(results):
    """(verdict, details): verdict ok | refused | plan_refused | difference | error.

    plan_refused: the limitation of README "Joins": a versioned id reaching
    papers through a join is refused by the plans that compare "id" after
    the scan (p.id has no version), while a plan that passes it as a join
    parameter (a parameterized nested loop) returns the literal query's rows.
    Only when every form that did not refuse so agrees with the local rows;
    counted and listed, not hidden.
    """
    local = results["local"]
    if local[0] != "rows":
        return "error", ["the local query failed: %s" % describe(local)]
    want = local[1]
    bad, crashes, refused, others = [], [], [], []
    versioned = is_versioned_join_refusal(results)
    partial = [] if versioned else versioned_join_refusals(results)
    for lab, o in results.items():
        if lab == "local" or (versioned and lab.startswith("join")) or lab in partial:
            continue
        if o[0] == "crash":
            crashes.append(lab)
        elif o[0] == "error":
            (refused if is_refusal(o) else others).append(lab)
        elif o[0] == "count":
            if o[1] != len(want):
                bad.append(lab)
        elif o[1] != want:
            bad.append(lab)
    det = []
    for lab in bad:
        o = results[lab]
        if o[0] == "rows":
            got = set(o[1])
            miss, extra = sorted(set(want) - got), sorted(got - set(want))
            det.append("%s: %d rows, %d expected (missing %d%s, extra %d%s)" % (
                lab, len(o[1]), len(want), len(miss), (" e.g. " + ", ".join(miss[:3])) if miss else "",
                len(extra), (" e.g. " + ", ".join(extra[:3])) if extra else ""))
        else:
            det.append("%s: count %d, %d expected" % (lab, o[1], len(want)))
    for lab in crashes + others:
        det.append("%s: %s" % (lab, describe(results[lab])))
    if crashes or others:
        return "error", det
    # forms judged: all but the local one and the versioned-id refusals
    judged = len(results) - 1 - (len(partial) if not versioned else
                                 sum(1 for lab in results if lab.startswith("join")))
    if refused and len(refused) < judged:
        det += ["%s: %s" % (lab, describe(results[lab])) for lab in refused]
        det.append("refused in some forms, rows in others")
        return "difference", det
    if bad:
        return "difference", det
    if refused:
        return "refused", ["%s: %s" % (lab, describe(results[lab])) for lab in refused[:1]]
    if versioned:
        return "refused", ["join: %s" % describe(results["join"])]
    if partial:
        return "plan_refused", ["%s: %s" % (lab, describe(results[lab])) for lab in partial]
    return "ok", []


TIMES = {}


def run_case(conn, case):
    results = {}
    for lab, sqls in case.statements().items():
        t = time.time()
        results[lab] = conn.run(sqls)
        TIMES[lab] = TIMES.get(lab, 0.0) + time.time() - t
    return results


def shrink(conn, case, verdict, budget=25, deadline=None):
    """Greedy: drop parts of the condition while the verdict stays."""
    node = case.node
    tries = 0

    def candidates(n):
        if isinstance(n, Op):
            if n.op == "NOT":
                yield n.kids[0]
            for i, k in enumerate(n.kids):
                if getattr(k, "keep", False):
                    continue
                if n.op != "NOT" and len(n.kids) > 2:
                    yield Op(n.op, n.kids[:i] + n.kids[i + 1:])
                elif n.op != "NOT":
                    yield n.kids[1 - i]
            for i, k in enumerate(n.kids):
                for c in candidates(k):
                    yield Op(n.op, n.kids[:i] + [c] + n.kids[i + 1:])

    changed = True
    while changed and tries < budget and time.time() < deadline:
        changed = False
        for cand in candidates(node):
            tries += 1
            if tries > budget or time.time() > deadline:
                break
            c = Case(case.num, cand, case.tz)
            v, _ = judge(run_case(conn, c))
            if v == verdict:
                node = cand
                changed = True
                break
    return Case(case.num, node, case.tz)


def mock_get(path):
    with urllib.request.urlopen(MOCK + path, timeout=120) as resp:
        return resp.read().decode()


def setup(seed_tables=True):
    admin = Conn(os.environ.get("PGDATABASE", "postgres"), "pushdown_diff")
    with admin.conn.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % DB)
        cur.execute("CREATE DATABASE %s" % DB)
    admin.conn.close()
    req = urllib.request.Request(MOCK + "/_mock/reset", data=b"{}", method="POST")
    req.add_header("Content-Type", "application/json")
    urllib.request.urlopen(req, timeout=60).read()
    c = Conn(DB, "pushdown_diff")
    with c.conn.cursor() as cur:
        cur.execute("CREATE EXTENSION arxiv_fdw")
        cur.execute("CREATE SERVER arxiv FOREIGN DATA WRAPPER arxiv_fdw OPTIONS (base_url %s, "
                    "request_interval '0', cache_ttl '0')" % quote(MOCK_URL))
        cur.execute("IMPORT FOREIGN SCHEMA arxiv FROM SERVER arxiv INTO public")
        cur.execute("""CREATE TABLE corpus (id text PRIMARY KEY, version int, title text, abstract text,
          authors text[], author_details jsonb, primary_category text, categories text[],
          published timestamptz, updated timestamptz, comment text, journal_ref text,
          doi text, abs_url text, pdf_url text)""")

        cur.copy_expert("COPY corpus FROM STDIN", io.StringIO(mock_get("/_mock/corpus.tsv")))
        cur.execute("CREATE INDEX ON corpus USING gin (categories)")
        cur.execute("CREATE INDEX ON corpus (published)")
        cur.execute("CREATE TABLE fmatch (col text, val text, id text)")
        cur.execute("ANALYZE corpus")
    return c


def fill_fmatch(conn, pools):
    """What the mock makes of author = x and search = q: the ids its query
    au:"words of x" / q matches."""
    rows = []
    for name in pools.names:
        words = re.findall(r"[^\W_]+", name)
        if words:
            q = 'au:"%s"' % " ".join(words)
            ids = mock_get("/_mock/corpus.tsv?fields=id&search_query=" + urllib.parse.quote(q)).split()
            rows += [("author", name, i) for i in ids]
    for s in SEARCHES:
        ids = mock_get("/_mock/corpus.tsv?fields=id&search_query=" + urllib.parse.quote(s)).split()
        rows += [("search", s, i) for i in ids]
    with conn.conn.cursor() as cur:
        cur.execute("TRUNCATE fmatch")
        psycopg2.extras.execute_values(cur, "INSERT INTO fmatch VALUES %s", rows, page_size=5000)
        cur.execute("CREATE INDEX ON fmatch (col, val)")
        cur.execute("ANALYZE fmatch")


def generate(seed, n, pools):
    cases = []
    for i, (node, tz) in enumerate(known_cases()):
        if isinstance(node, tuple):
            kind, items, res, rest, sel = node
            cases.append(JoinCase(i, kind, items, res, rest, tz, sel))
        else:
            cases.append(Case(i, node, tz))
    rng = random.Random(seed)
    g = Gen(rng, pools)
    while len(cases) < n:
        if rng.random() < 0.08:
            cases.append(g.join_case(len(cases), rng.choice(TIMEZONES)))
            continue
        node = g.condition()
        cases.append(Case(len(cases), node, rng.choice(TIMEZONES)))
    return cases


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=int(os.environ.get("DIFF_SEED", "11")))
    ap.add_argument("-n", type=int, default=int(os.environ.get("DIFF_N", "500")), help="conditions")
    ap.add_argument("--repro", type=int, help="run condition number K only and print all of it")
    ap.add_argument("--only", help="run this WHERE clause on papers only")
    ap.add_argument("--local", help="with --only: the same WHERE on corpus (default: the same text)")
    ap.add_argument("--list", action="store_true", help="print the conditions, run nothing")
    ap.add_argument("--no-shrink", action="store_true", help="do not shrink the differences")
    ap.add_argument("--shrink-seconds", type=float, default=60,
                    help="time for shrinking differences, from the first one on (default 60)")
    ap.add_argument("--no-setup", action="store_true", help="reuse the database %s" % DB)
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()

    t0 = time.time()
    conn = Conn(DB, "pushdown_diff") if a.no_setup else setup()
    with conn.conn.cursor() as cur:
        pools = Pools(cur)
    if not a.no_setup:
        fill_fmatch(conn, pools)
    print("seed %d, database %s ready in %.1f s" % (a.seed, DB, time.time() - t0), flush=True)

    if a.only:
        node = Leaf(a.only.replace("{", "{{").replace("}", "}}"), [],
                    (lambda: a.local) if a.local else None, "only")
        cases = [Case(0, node, "UTC")]
    else:
        cases = generate(a.seed, max(a.n, 1), pools)
        if a.repro is not None:
            cases = [c for c in cases if c.num == a.repro]
    if a.list:
        for c in cases:
            print("%d: %s" % (c.num, c.remote))
        return 0

    counts = {"ok": 0, "refused": 0, "plan_refused": 0, "difference": 0, "error": 0}
    plan_refused = []
    shrink_deadline = None          # set at the first difference
    kinds = {}
    reports = []
    for c in cases:
        res = run_case(conn, c)
        verdict, det = judge(res)
        counts[verdict] += 1
        for lf in c.node.leaves():
            kinds[lf.kind] = kinds.get(lf.kind, 0) + 1
        if a.verbose or a.repro is not None or a.only:
            print("#%d %s: %s" % (c.num, verdict, c.remote))
            for lab, o in res.items():
                print("    %-13s %s" % (lab, describe(o)))
        if verdict == "plan_refused":
            plan_refused.append("%d (%s)" % (c.num, det[0]))
        if verdict in ("difference", "error"):
            small = c
            if shrink_deadline is None:
                shrink_deadline = time.time() + a.shrink_seconds
            if not a.no_shrink and not a.only and verdict == "difference" and isinstance(c, Case):
                small = shrink(conn, c, verdict, deadline=shrink_deadline)
                det = judge(run_case(conn, small))[1] or det
            reports.append((c, small, verdict, det))
    if (a.repro is not None or a.only) and cases:
        st = cases[0].statements()
        for lab in ("literal", "generic", "join", "join, nested loop", "join, generic"):
            if lab not in st:
                continue
            print("-- plan of %s:" % lab)
            try:
                with conn.conn.cursor() as cur:
                    for q in st[lab][:-1]:
                        cur.execute(q)
                    cur.execute("EXPLAIN (VERBOSE, COSTS OFF) " + st[lab][-1])
                    print("\n".join(r[0] for r in cur.fetchall()))
            except psycopg2.Error as e:
                print("EXPLAIN failed: %s" % str(e).strip())
                if conn.conn.closed:
                    conn.connect()

    for c, small, verdict, det in reports:
        print()
        print("== condition %d (seed %d): %s" % (c.num, a.seed, verdict.upper()))
        w = "" if isinstance(c, JoinCase) else "WHERE "
        print("   %s%s" % (w, c.remote))
        if small is not c:
            print("   shrunk to: WHERE %s" % small.remote)
        print("   local: %s%s" % (w, small.local))
        for d in det:
            print("   " + d)
        if a.only:
            print("   reproduce (psql -d %s):" % DB)
        else:
            print("   reproduce (psql -d %s; or test/diff/run.sh --seed %d --repro %d):" % (DB, a.seed, c.num))
        print("\n".join("     " + l for l in small.repro().splitlines()))
    print()
    print("shapes: " + ", ".join("%s %d" % kv for kv in sorted(kinds.items())))
    print("seconds per form: " + ", ".join("%s %.0f" % kv for kv in sorted(TIMES.items())))
    if plan_refused:
        print("refused by some plans (versioned ids compared after the scan, README \"Joins\"): " +
              "; ".join(plan_refused))
    print("conditions: %d  differences: %d  errors: %d  refused: %d  refused by some plans: %d  (%.0f s)" % (
        len(cases), counts["difference"], counts["error"], counts["refused"],
        counts["plan_refused"], time.time() - t0))
    return 1 if counts["difference"] or counts["error"] else 0


if __name__ == "__main__":
    sys.exit(main())
