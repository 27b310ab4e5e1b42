#!/usr/bin/python3
"""The same ingest as the extension's INSERT ... SELECT, done the way Python
users do it: urllib for each page, feedparser to parse, psycopg2's
execute_values to insert.  Run with Debian's /usr/bin/python3 (that is where
python3-feedparser and python3-psycopg2 are installed).

  py_ingest.py --requests REQS.json (--base-url URL [--gzip] | --from-dir DIR)
               --dsn DSN --table TABLE

REQS.json: [{"method": "GET"|"POST", "params": {...}, "file": "page-000.xml"}, ...]
(the requests the extension made, in order, taken from the mock's log).
--base-url fetches each page over HTTP (GET, or POST for long id lists);
--from-dir reads the pre-fetched bodies instead (no HTTP at all).

Prints one JSON object: rows, pages, and the seconds spent fetching,
parsing, inserting and in total (interpreter start-up and imports are not
counted), with this process's CPU time and its backend's (from /proc, when
the server is local)."""
import argparse
import gzip
import json
import os
import re
import time

T_IMPORT0 = time.perf_counter()
import urllib.parse  # noqa: E402
import urllib.request  # noqa: E402

import feedparser  # noqa: E402
import psycopg2  # noqa: E402
import psycopg2.extras  # noqa: E402
T_IMPORT = time.perf_counter() - T_IMPORT0

COLUMNS = ("id, version, title, abstract, authors, author_details, primary_category, "
           "categories, published, updated, comment, journal_ref, doi, abs_url, pdf_url")
ID_RE = re.compile(r"^https?://arxiv\.org/abs/(.+?)(?:v(\d+))?$")


def fetch(base_url, req, use_gzip):
    data = urllib.parse.urlencode(req["params"])
    headers = {"Accept-Encoding": "gzip"} if use_gzip else {}
    if req.get("method") == "POST":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        r = urllib.request.Request(base_url, data=data.encode(), headers=headers)
    else:
        r = urllib.request.Request(base_url + "?" + data, headers=headers)
    with urllib.request.urlopen(r, timeout=300) as resp:
        body = resp.read()
        if resp.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        return body


def backend_cpu(pid):
    """utime + stime of a local backend (None if /proc cannot tell)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            rest = f.read().rsplit(")", 1)[1].split()
        return (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def clean(s):
    return " ".join(s.split()) if s is not None else None


def entry_row(e):
    m = ID_RE.match(e.get("id", ""))
    if not m:
        return None
    abs_url = pdf_url = None
    for link in e.get("links", []):
        if link.get("rel") == "alternate":
            abs_url = link.get("href")
        elif link.get("title") == "pdf":
            pdf_url = link.get("href")
    names = [a.get("name") for a in e.get("authors", [])]
    primary = e.get("arxiv_primary_category")
    return (m.group(1), int(m.group(2)) if m.group(2) else None,
            clean(e.get("title")), clean(e.get("summary")), names,
            # feedparser keeps only the last arxiv:affiliation of an entry,
            # not per author: the usual scripts store names only
            psycopg2.extras.Json([{"name": n, "affiliations": []} for n in names]),
            primary.get("term") if primary else None,
            [t.get("term") for t in e.get("tags", [])],
            e.get("published"), e.get("updated"),
            e.get("arxiv_comment"), e.get("arxiv_journal_ref"), e.get("arxiv_doi"),
            abs_url, pdf_url)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", required=True)
    ap.add_argument("--base-url")
    ap.add_argument("--from-dir")
    ap.add_argument("--gzip", action="store_true", help="ask for gzip, as the extension does")
    ap.add_argument("--dsn", required=True)
    ap.add_argument("--table", required=True)
    args = ap.parse_args()
    with open(args.requests) as f:
        reqs = json.load(f)

    conn = psycopg2.connect(args.dsn)
    cur = conn.cursor()
    cur.execute("TRUNCATE %s" % args.table)
    cur.execute("SELECT pg_backend_pid()")
    backend = cur.fetchone()[0]
    conn.commit()
    backend_cpu0 = backend_cpu(backend)
    cpu0 = time.process_time()

    t_fetch = t_parse = t_insert = 0.0
    rows = 0
    seen = set()
    t0 = time.perf_counter()
    for req in reqs:
        t = time.perf_counter()
        if args.from_dir:
            with open(os.path.join(args.from_dir, req["file"]), "rb") as f:
                body = f.read()
        else:
            body = fetch(args.base_url, req, args.gzip)
        t_fetch += time.perf_counter() - t

        t = time.perf_counter()
        feed = feedparser.parse(body)
        page = []
        for e in feed.entries:
            row = entry_row(e)
            # the pages of consecutive date windows overlap by a few entries
            if row is not None and row[0] not in seen:
                seen.add(row[0])
                page.append(row)
        t_parse += time.perf_counter() - t

        t = time.perf_counter()
        psycopg2.extras.execute_values(
            cur, "INSERT INTO %s (%s) VALUES %%s" % (args.table, COLUMNS), page,
            page_size=1000)
        t_insert += time.perf_counter() - t
        rows += len(page)
    t = time.perf_counter()
    conn.commit()
    t_insert += time.perf_counter() - t
    total = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    backend_cpu_s = backend_cpu(backend) - backend_cpu0
    conn.close()
    print(json.dumps({"rows": rows, "pages": len(reqs), "fetch_s": t_fetch,
                      "parse_s": t_parse, "insert_s": t_insert, "total_s": total,
                      "cpu_s": cpu, "backend_cpu_s": backend_cpu_s,
                      "import_s": T_IMPORT, "feedparser": feedparser.__version__,
                      "psycopg2": psycopg2.__version__.split()[0]}))


if __name__ == "__main__":
    main()
