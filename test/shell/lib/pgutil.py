"""Small helpers shared by the Python parts of the shell tests and the fault
campaign.  Run them with Debian's /usr/bin/python3 (it has psycopg2)."""
import json
import os
import time
import urllib.request

import psycopg2
import psycopg2.extensions

MOCK = "http://127.0.0.1:%s" % os.environ.get("MOCK_PORT", "18089")


def connect(dbname, autocommit=True, **kw):
    conn = psycopg2.connect(host=os.environ["PGHOST"], port=os.environ["PGPORT"],
                            user=os.environ.get("PGUSER", "postgres"), dbname=dbname,
                            application_name=kw.pop("application_name", "arxiv_fdw_test"),
                            **kw)
    conn.autocommit = autocommit
    return conn


def mock(path, body=None, method=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(MOCK + path, data=data,
                                 method=method or ("GET" if data is None else "POST"))
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=60) as resp:
        text = resp.read().decode()
    return json.loads(text) if text.strip() else None


def mock_reset(corpus=False):
    mock("/_mock/reset", {"corpus": corpus})


def mock_fault(spec):
    mock("/_mock/fault", spec)


def mock_clear_faults():
    mock("/_mock/fault", {"clear": True})


def mock_log():
    return mock("/_mock/log")


def mock_stats():
    return mock("/_mock/stats")


def mock_config(**kw):
    return mock("/_mock/config", kw)


def corpus_tsv(fields=None):
    """The corpus as a list of dicts of strings (None for \\N)."""
    url = MOCK + "/_mock/corpus.tsv"
    if fields:
        url += "?fields=" + ",".join(fields)
    else:
        fields = ["id", "version", "title", "abstract", "authors", "author_details",
                  "primary_category", "categories", "published", "updated", "comment",
                  "journal_ref", "doi", "abs_url", "pdf_url"]
    with urllib.request.urlopen(url, timeout=120) as resp:
        text = resp.read().decode()
    rows = []
    for line in text.split("\n"):
        if not line:
            continue
        vals = line.split("\t")
        rows.append({f: (None if v == "\\N" else v) for f, v in zip(fields, vals)})
    return rows


def pg_array(text):
    """Elements of the corpus dump's {"a","b"} arrays."""
    if text is None:
        return None
    out, cur, inq, esc = [], "", False, False
    for ch in text[1:-1]:
        if esc:
            cur += ch
            esc = False
        elif ch == "\\":
            esc = True
        elif ch == '"':
            inq = not inq
        elif ch == "," and not inq:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    if text[1:-1]:
        out.append(cur)
    return out


class Timer(object):
    def __enter__(self):
        self.t0 = time.monotonic()
        return self

    def __exit__(self, *a):
        self.elapsed = time.monotonic() - self.t0
