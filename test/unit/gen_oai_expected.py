#!/usr/bin/python3
"""Write test/unit/oai_expected.txt: what test_oai must find in each OAI-PMH
fixture, read independently of src/oai.c with lxml's tree API.

    /usr/bin/python3 test/unit/gen_oai_expected.py [FIXTURE_DIR [OUTFILE]]

The format is the canonical dump that test/lib/oai_driver.c writes
(dump_record and friends there, for test_oai.c): one "key=value" per line; an absent field has no line.
Text is whitespace-collapsed on XML whitespace only (space, tab, CR, LF),
as the parser promises.  Values longer than 64 bytes are written as
"#<length>:<FNV-1a 64 hex>" of their UTF-8 bytes to keep this file small.
Run it again only when a fixture is added; review the diff.
"""
import calendar
import email.utils
import os
import re
import sys

try:
    from lxml import etree
except ImportError:             # the standard library's reading is as good here
    import xml.etree.ElementTree as etree

OAI = "http://www.openarchives.org/OAI/2.0/"
RAW = "http://arxiv.org/OAI/arXivRaw/"
ARX = "http://arxiv.org/OAI/arXiv/"
WS = re.compile(r"[ \t\r\n]+")
LONG = 64


def fnv(b):
    h = 0xcbf29ce484222325
    for c in b:
        h = ((h ^ c) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def collapse(s):
    return WS.sub(" ", s).strip(" \t\r\n")


def text(el):
    """All text inside el (children's too), collapsed; None if el is None."""
    if el is None:
        return None
    return collapse("".join(el.itertext()))


def val(v):
    if v is None:
        return None
    b = v.encode("utf-8")
    if len(b) > LONG:
        return "#%d:%016x" % (len(b), fnv(b))
    return v


def kv(out, key, v):
    v = val(v)
    if v is not None:
        out.append(" %s=%s" % (key, v))


def first(parent, ns, name):
    return parent.find("{%s}%s" % (ns, name)) if parent is not None else None


def version_unix(d):
    if d is None:
        return None
    t = email.utils.parsedate_tz(d)
    if t is None:
        return None
    return calendar.timegm(t[:9]) - (t[9] or 0)


def dump_record(out, header, metadata):
    out.append("record")
    kv(out, "identifier", text(first(header, OAI, "identifier")))
    kv(out, "datestamp", text(first(header, OAI, "datestamp")))
    out.append(" deleted=%d" % (header.get("status") == "deleted"))
    for s in header.findall("{%s}setSpec" % OAI):
        kv(out, "set", text(s))
    root = None
    fmt = "none"
    if metadata is not None:
        kids = [k for k in metadata if isinstance(k.tag, str)]
        if kids:
            root = kids[0]
            fmt = {"{%s}arXivRaw" % RAW: "arXivRaw",
                   "{%s}arXiv" % ARX: "arXiv"}.get(root.tag, "other")
    out.append(" format=%s" % fmt)
    if fmt not in ("arXivRaw", "arXiv"):
        return
    ns = RAW if fmt == "arXivRaw" else ARX
    names = ["id", "submitter", "title", "authors", "categories", "comments",
             "proxy", "report-no", "msc-class", "acm-class", "journal-ref",
             "doi", "license", "abstract", "created", "updated"]
    raw_only = {"submitter", "authors"}
    arxiv_only = {"created", "updated"}
    for n in names:
        if (n in raw_only and fmt != "arXivRaw") or (n in arxiv_only and fmt != "arXiv"):
            kv(out, n, None)
        else:
            kv(out, n, text(first(root, ns, n)))
    cats = text(first(root, ns, "categories"))
    for c in (cats.split(" ") if cats else []):
        kv(out, "category", c)
    if fmt != "arXivRaw":
        return
    for v in root.findall("{%s}version" % RAW):
        label = v.get("version")
        m = re.fullmatch(r"v([1-9][0-9]*)", label or "")
        date = text(first(v, RAW, "date"))
        size = text(first(v, RAW, "size"))
        m2 = re.fullmatch(r"([0-9]+)kb", size or "")
        unix = version_unix(date)
        out.append(" version")
        kv(out, "  label", label)
        out.append("  number=%d" % (int(m.group(1)) if m else 0))
        kv(out, "  date", date)
        out.append("  unix=%s" % ("-" if unix is None else unix))
        kv(out, "  size", size)
        out.append("  kb=%d" % (int(m2.group(1)) if m2 else -1))
        kv(out, "  source_type", text(first(v, RAW, "source_type")))


def dump_file(path):
    return dump_root(etree.parse(path).getroot())


def dump_bytes(data):
    return dump_root(etree.fromstring(data))


def dump_root(root):
    out = []
    verbs = ["Identify", "ListMetadataFormats", "ListSets", "ListIdentifiers",
             "ListRecords", "GetRecord"]
    verb_el = None
    for k in root:
        if isinstance(k.tag, str) and k.tag in ["{%s}%s" % (OAI, v) for v in verbs]:
            verb_el = k
            break
    verb = verb_el.tag.split("}")[1] if verb_el is not None else "none"
    items = []
    nrecords = nsets = 0
    if verb_el is not None:
        if verb in ("ListRecords", "GetRecord"):
            for r in verb_el.findall("{%s}record" % OAI):
                dump_record(items, first(r, OAI, "header"), first(r, OAI, "metadata"))
                nrecords += 1
        elif verb == "ListIdentifiers":
            for h in verb_el.findall("{%s}header" % OAI):
                dump_record(items, h, None)
                nrecords += 1
        elif verb == "ListSets":
            for s in verb_el.findall("{%s}set" % OAI):
                items.append("set")
                kv(items, "spec", text(first(s, OAI, "setSpec")))
                kv(items, "name", text(first(s, OAI, "setName")))
                nsets += 1
    out.append("verb=%s nrecords=%d nsets=%d" % (verb, nrecords, nsets))
    kv(out, "response_date", text(first(root, OAI, "responseDate")))
    req = first(root, OAI, "request")
    kv(out, "request_verb", req.get("verb") if req is not None else None)
    kv(out, "request_url", text(req))
    tok = first(verb_el, OAI, "resumptionToken") if verb in ("ListRecords", "ListIdentifiers", "ListSets") else None
    out.append(" has_token=%d" % (tok is not None))
    kv(out, "token", text(tok))

    def num(el, a):
        v = el.get(a) if el is not None else None
        return int(v) if v is not None and v.isdigit() else -1
    out.append(" cursor=%d size=%d" % (num(tok, "cursor"), num(tok, "completeListSize")))
    kv(out, "expiration", tok.get("expirationDate") if tok is not None else None)
    errs = root.findall("{%s}error" % OAI)
    out.append(" nerrors=%d" % len(errs))
    kv(out, "error_code", errs[0].get("code") if errs else None)
    kv(out, "error_message", text(errs[0]) if errs else None)
    ident = verb_el if verb == "Identify" else None
    for key, name in [("repository_name", "repositoryName"), ("base_url", "baseURL"),
                      ("earliest_datestamp", "earliestDatestamp"),
                      ("granularity", "granularity"), ("deleted_record", "deletedRecord")]:
        kv(out, key, text(first(ident, OAI, name)))
    return out + items


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    fixdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "fixtures", "oai-pmh")
    outfile = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "oai_expected.txt")
    lines = []
    for name in sorted(os.listdir(fixdir)):
        if not name.endswith(".xml") or name.startswith("."):
            continue
        lines.append("file %s" % name)
        lines.extend(dump_file(os.path.join(fixdir, name)))
    lines.append("end")
    with open(outfile, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
