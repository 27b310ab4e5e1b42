"""The mock's OAI-PMH endpoint, /oai: arXiv's new server (oaipmh.arxiv.org/oai,
since March 2025) over the same corpus as the Atom API.

arxiv_mock.py routes every request whose path is /oai or starts with /oai/
to route() below, and its handler writes the responses (send_answer).
What is imitated, with the facts from arXiv's OAI-PMH help
(https://info.arxiv.org/help/oa/index.html), the OAI-PMH 2.0 specification
and the recorded responses in test/fixtures/oai-pmh/:

* Verbs Identify, ListMetadataFormats, ListSets, ListRecords, ListIdentifiers
  and GetRecord, by GET or POST (form body); metadataPrefix arXivRaw (all
  versions, raw text) and oai_dc.  The arXiv and arXivOld formats are not
  served: cannotDisseminateFormat, and ListMetadataFormats lists only the two.
* Datestamps are last-modification days (UTC).  A paper's modification time
  is its latest version's, or later for some papers with a DOI or journal
  reference (a metadata-only change, deterministic per id), or the time of a
  /oai/_mock/touch; anything before 2005-09-16 carries 2005-09-16.
* Lists are ordered by (modification time, id) and paged by offset:
  stateless tokens, the URL-encoded query plus skip=N, rewriting `from` to
  the last day on the page; expirationDate is the
  next UTC midnight and is not enforced; a resumed list ends with an empty
  <resumptionToken/>, a list that fits one page has none.  Records modified
  between pages move, so offsets can skip or repeat them, as on arXiv.
* Day granularity only; from before 2005-09-16, until after tomorrow, from
  after until, a time component: badArgument.  Sets group:archive:SUBJ (and
  the old group and archive specs) from ListSets; an unknown set is
  badArgument "Set does not exist"; alias categories are in both sets.
* Errors in HTTP 200 bodies, <error code='...'> with single quotes, the
  spec's sentence plus " Reason: ..."; duplicate parameters, a token with
  other arguments, a token on ListSets: badArgument.
* Content-Type "text/xml" with no charset; the request echo says
  http://oaipmh.arxiv.org/oai; quotes in text are numeric entities (Jinja).
* Faults of the control API (/_mock/fault) apply here too; match on the
  decoded query, e.g. "verb=ListRecords".  Kinds: status (status, retry_after,
  body, content_type; the default body is the CDN's "503 first byte timeout"
  page, with Via/X-Cache headers: {"kind": "status", "retry_after": 0} is
  what arXiv's CDN sends), reset, slow, truncated, non_xml, blank.

Control (JSON, POST; reset with /_mock/reset like everything else):
  /oai/_mock/config  {"records_limit": N, "identifiers_limit": M}
      page sizes (default 1300 and 20000, the observed production values)
  /oai/_mock/touch   {"id": "2301.00001", "doi": ..., "journal_ref": ...,
      "license": ..., "time": "2026-06-21T10:00:00Z"}: a metadata-only
      change; the paper's datestamp becomes that time (default: now)
  /oai/_mock/info    page sizes, touched papers, list-cache statistics
"""

import calendar
import hashlib
import json
import re
import socket
import sys
import time
import urllib.parse

# arxiv_mock, as loaded (it runs as __main__): set by route() from the
# handler's class, so that its helpers are shared rather than imported twice
M = None

BASE_ECHO = "http://oaipmh.arxiv.org/oai"
FLOOR_DAY = "2005-09-16"
FLOOR_TS = calendar.timegm((2005, 9, 16, 0, 0, 0))
DEFAULT_RECORDS_LIMIT = 1300
DEFAULT_IDENTIFIERS_LIMIT = 20000
CTYPE = "text/xml"

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
RAW_NS = "http://arxiv.org/OAI/arXivRaw/"
DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"

VERBS = ("Identify", "ListMetadataFormats", "ListSets", "ListIdentifiers",
         "ListRecords", "GetRecord")
ALLOWED = {
    "Identify": set(),
    "ListMetadataFormats": {"identifier"},
    "ListSets": {"resumptionToken"},
    "ListIdentifiers": {"metadataPrefix", "from", "until", "set", "resumptionToken"},
    "ListRecords": {"metadataPrefix", "from", "until", "set", "resumptionToken"},
    "GetRecord": {"identifier", "metadataPrefix"},
}
FORMATS = {
    "arXivRaw": (RAW_NS, "https://oaipmh.arxiv.org/OAI/arXivRaw.xsd"),
    "oai_dc": (DC_NS, "https://www.openarchives.org/OAI/2.0/oai_dc.xsd"),
}
SENTENCES = {
    "badArgument": "The request includes illegal arguments, is missing required "
                   "arguments, includes a repeated argument, or values for arguments "
                   "have an illegal syntax.",
    "badResumptionToken": "The value of the resumptionToken argument is invalid or expired.",
    "badVerb": "Value of the verb argument is not a legal OAI-PMH verb, the verb "
               "argument is missing, or the verb argument is repeated.",
    "cannotDisseminateFormat": "The metadata format identified by the value given for "
                               "the metadataPrefix argument is not supported by the "
                               "item or by the repository.",
    "idDoesNotExist": "The value of the identifier argument is unknown or illegal in "
                      "this repository.",
    "noRecordsMatch": "The combination of the values of the from, until, set and "
                      "metadataPrefix arguments results in an empty list.",
}

# ---------------------------------------------------------------------------
# the set hierarchy

GROUP_NAMES = {
    "cs": "Computer Science", "econ": "Economics",
    "eess": "Electrical Engineering and Systems Science", "math": "Mathematics",
    "physics": "Physics", "q-bio": "Quantitative Biology",
    "q-fin": "Quantitative Finance", "stat": "Statistics",
}
PHYSICS_ARCHIVES = {
    "astro-ph": "Astrophysics", "cond-mat": "Condensed Matter",
    "gr-qc": "General Relativity and Quantum Cosmology",
    "hep-ex": "High Energy Physics - Experiment", "hep-lat": "High Energy Physics - Lattice",
    "hep-ph": "High Energy Physics - Phenomenology", "hep-th": "High Energy Physics - Theory",
    "math-ph": "Mathematical Physics", "nlin": "Nonlinear Sciences",
    "nucl-ex": "Nuclear Experiment", "nucl-th": "Nuclear Theory",
    "physics": "Physics (Other)", "quant-ph": "Quantum Physics",
}
CATEGORY_NAMES = {
    "cs.AI": "Artificial Intelligence", "cs.AR": "Hardware Architecture",
    "cs.CC": "Computational Complexity", "cs.CL": "Computation and Language",
    "cs.CR": "Cryptography and Security", "cs.CV": "Computer Vision and Pattern Recognition",
    "cs.CY": "Computers and Society", "cs.DB": "Databases",
    "cs.DC": "Distributed, Parallel, and Cluster Computing", "cs.DM": "Discrete Mathematics",
    "cs.DS": "Data Structures and Algorithms", "cs.ET": "Emerging Technologies",
    "cs.HC": "Human-Computer Interaction", "cs.IR": "Information Retrieval",
    "cs.IT": "Information Theory", "cs.LG": "Machine Learning",
    "cs.LO": "Logic in Computer Science", "cs.MA": "Multiagent Systems",
    "cs.MS": "Mathematical Software", "cs.NA": "Numerical Analysis",
    "cs.NE": "Neural and Evolutionary Computing",
    "cs.NI": "Networking and Internet Architecture", "cs.OS": "Operating Systems",
    "cs.PF": "Performance", "cs.PL": "Programming Languages", "cs.RO": "Robotics",
    "cs.SE": "Software Engineering", "cs.SY": "Systems and Control",
    "econ.EM": "Econometrics",
    "eess.IV": "Image and Video Processing", "eess.SP": "Signal Processing",
    "eess.SY": "Systems and Control",
    "math.AC": "Commutative Algebra", "math.AG": "Algebraic Geometry",
    "math.AP": "Analysis of PDEs", "math.CO": "Combinatorics",
    "math.DG": "Differential Geometry", "math.IT": "Information Theory",
    "math.MG": "Metric Geometry", "math.MP": "Mathematical Physics",
    "math.NA": "Numerical Analysis", "math.NT": "Number Theory",
    "math.OC": "Optimization and Control", "math.PR": "Probability",
    "math.ST": "Statistics Theory",
    "astro-ph.CO": "Cosmology and Nongalactic Astrophysics",
    "astro-ph.EP": "Earth and Planetary Astrophysics",
    "astro-ph.GA": "Astrophysics of Galaxies",
    "astro-ph.HE": "High Energy Astrophysical Phenomena",
    "astro-ph.SR": "Solar and Stellar Astrophysics",
    "cond-mat.dis-nn": "Disordered Systems and Neural Networks",
    "cond-mat.mes-hall": "Mesoscale and Nanoscale Physics",
    "cond-mat.mtrl-sci": "Materials Science",
    "cond-mat.stat-mech": "Statistical Mechanics",
    "cond-mat.str-el": "Strongly Correlated Electrons",
    "cond-mat.supr-con": "Superconductivity",
    "nlin.CD": "Chaotic Dynamics",
    "physics.ao-ph": "Atmospheric and Oceanic Physics", "physics.app-ph": "Applied Physics",
    "physics.chem-ph": "Chemical Physics", "physics.comp-ph": "Computational Physics",
    "physics.flu-dyn": "Fluid Dynamics", "physics.ins-det": "Instrumentation and Detectors",
    "physics.optics": "Optics", "physics.atom-ph": "Atomic Physics",
    "q-bio.NC": "Neurons and Cognition", "q-bio.QM": "Quantitative Methods",
    "q-fin.ST": "Statistical Finance",
    "stat.AP": "Applications", "stat.ME": "Methodology", "stat.ML": "Machine Learning",
    "stat.TH": "Statistics Theory",
}
# alias pairs: a paper in one is in both sets
ALIASES = {"math-ph": "math.MP", "math.MP": "math-ph", "cs.IT": "math.IT",
           "math.IT": "cs.IT", "eess.SY": "cs.SY", "cs.SY": "eess.SY",
           "math.ST": "stat.TH", "stat.TH": "math.ST", "cs.NA": "math.NA",
           "math.NA": "cs.NA"}
CATEGORY_RE = re.compile(r"[a-z]+(?:-[a-z]+)?(?:\.[A-Za-z]+(?:-[a-z]+)?)?")
MSC_RE = re.compile(r"\d\d[A-Z-]\d\d")
ACM_RE = re.compile(r"[A-K]\.\d+(?:\.\d+)?")


def set_spec(cat):
    """'cs.OS' -> 'cs:cs:OS', 'hep-th' -> 'physics:hep-th',
    'astro-ph.HE' -> 'physics:astro-ph:HE'; None for a non-category."""
    archive, _, subj = cat.partition(".")
    if archive in PHYSICS_ARCHIVES:
        group = "physics"
    elif archive in GROUP_NAMES:
        group = archive
    else:
        return None
    if group == archive and not subj:
        return group
    return ":".join([group, archive] + ([subj] if subj else []))


def all_sets():
    """[(spec, name)] of ListSets: groups, physics archives, categories."""
    out = {}
    for g, n in GROUP_NAMES.items():
        out[g] = n
    for a, n in PHYSICS_ARCHIVES.items():
        out["physics:" + a] = n
    for c, n in CATEGORY_NAMES.items():
        s = set_spec(c)
        if s:
            out[s] = n
    return sorted(out.items())


SETS = all_sets()
SET_SPECS = {s for s, _ in SETS}

_SPECS_CACHE = {}


def paper_specs(cats):
    r = _SPECS_CACHE.get(cats)
    if r is None:
        specs = []
        for c in cats:
            for x in (c, ALIASES.get(c)):
                s = set_spec(x) if x else None
                if s and s not in specs:
                    specs.append(s)
        r = _SPECS_CACHE[cats] = tuple(specs)
    return r


def in_set(specs, want):
    pre = want + ":"
    for s in specs:
        if s == want or s.startswith(pre):
            return True
    return False


# ---------------------------------------------------------------------------
# text

_CTRL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def esc(s):
    """Jinja-style escaping: quotes become numeric entities."""
    s = (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
         .replace('"', "&#34;").replace("'", "&#39;"))
    return _CTRL_RE.sub("", s)


def day(t):
    return time.strftime("%Y-%m-%d", time.gmtime(t))


def rfc822(t):
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(t))


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def wrap(text, width, indent="  "):
    """Hard line breaks as old submissions have them."""
    lines, line, n = [], [], 0
    for w in text.split():
        if line and n + 1 + len(w) > width:
            lines.append(" ".join(line))
            line, n = [], 0
        line.append(w)
        n += len(w) + (1 if n else 0)
    if line:
        lines.append(" ".join(line))
    return ("\n" + indent).join(lines)


def h(pid, salt):
    """A stable number in [0, 2**32) per paper and purpose."""
    return int.from_bytes(hashlib.blake2b(("%s/%s" % (salt, pid)).encode(),
                                          digest_size=4).digest(), "big")


LICENSES = [
    (70, "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"),
    (18, "http://creativecommons.org/licenses/by/4.0/"),
    (4, "http://creativecommons.org/licenses/by-nc-sa/4.0/"),
    (3, "http://creativecommons.org/licenses/by-sa/4.0/"),
    (3, "http://creativecommons.org/publicdomain/zero/1.0/"),
    (2, "http://creativecommons.org/licenses/by-nc-nd/4.0/"),
]


def license_of(p):
    if p.published < calendar.timegm((2007, 4, 1, 0, 0, 0)) and h(p.id, "lic0") % 10:
        return None             # older papers mostly have none
    r = h(p.id, "lic") % 100
    for w, url in LICENSES:
        if r < w:
            return url
        r -= w
    return LICENSES[0][1]


# ---------------------------------------------------------------------------
# per-server state (kept on the mock's State; see oai_state)

class OaiState(object):
    def __init__(self, log_identity):
        self.log_identity = log_identity
        self.records_limit = DEFAULT_RECORDS_LIMIT
        self.identifiers_limit = DEFAULT_IDENTIFIERS_LIMIT
        self.touched = {}        # id -> (paper object, time, changes)
        self.touch_count = 0
        self.order_key = None
        self.order = None        # [(modtime, id, index)] sorted
        self.order_builds = 0


def oai_state(state):
    """This endpoint's state.  /_mock/reset gives the mock's State a new
    request log list; that identity tells that a reset happened, so the page
    sizes and touches go back to their defaults without a hook there."""
    o = getattr(state, "oai", None)
    if o is None or o.log_identity is not state.log:
        o = OaiState(state.log)
        state.oai = o
    return o


def modtime(o, p):
    """Last modification time: latest version, or a later metadata-only
    change (some papers with a DOI or journal reference), or a touch."""
    t = p.updated
    t_ = o.touched.get(p.id)
    if t_ is not None and t_[0] is p:
        return max(t, t_[1])
    if (p.doi or p.jr) and h(p.id, "meta") % 3 == 0:
        lag = 86400 * (1 + h(p.id, "lag") % 200)
        if t + lag <= M.CORPUS_END:
            t += lag
    return t


def ordered(state, o):
    """All papers as (effective modtime, id, index), sorted; cached until
    the corpus or a touch changes."""
    corpus = state.corpus
    key = (corpus.generation, len(corpus.papers), o.touch_count)
    if o.order_key != key:
        rows = []
        for i, p in enumerate(corpus.papers):
            rows.append((max(modtime(o, p), FLOOR_TS), p.id, i))
        rows.sort()
        o.order = rows
        o.order_key = key
        o.order_builds += 1
    return o.order


# ---------------------------------------------------------------------------
# rendering

def envelope(request_attrs, inner, now):
    attrs = "".join(' %s="%s"' % (k, esc(v)) for k, v in request_attrs)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" \n'
        '         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"\n'
        '         xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ '
        'http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">\n'
        "    <responseDate>%s</responseDate>\n"
        "    <request%s>%s</request>\n%s"
        "</OAI-PMH>\n" % (iso(now), attrs, BASE_ECHO, inner))


def error_body(code, reason, request_attrs, now):
    msg = SENTENCES[code] + (" Reason: " + reason if reason else "")
    return envelope(request_attrs, "    <error code='%s'>%s</error>\n" % (code, esc(msg)), now)


def header_xml(o, p, mt):
    specs = paper_specs(p.cats)
    return ("        <header>\n"
            "            <identifier>oai:arXiv.org:%s</identifier>\n"
            "            <datestamp>%s</datestamp>\n%s"
            "        </header>\n" % (
                p.id, max(day(mt), FLOOR_DAY),
                "".join("            <setSpec>%s</setSpec>\n" % s for s in specs)))


def split_cats(cats):
    arxiv, msc, acm = [], [], []
    for c in cats:
        if MSC_RE.fullmatch(c):
            msc.append(c)
        elif ACM_RE.fullmatch(c):
            acm.append(c)
        elif CATEGORY_RE.fullmatch(c):
            arxiv.append(c)
    return arxiv, msc, acm


def authors_string(p):
    parts = []
    for name, affs in p.authors:
        parts.append("%s (%s)" % (name, ", ".join(affs)) if affs else name)
    if len(parts) > 1:
        s = ", ".join(parts[:-1]) + " and " + parts[-1]
    else:
        s = parts[0] if parts else ""
    return wrap(s, 72) if p.wrap else s


def touched_changes(o, p):
    t_ = o.touched.get(p.id)
    return t_[2] if t_ is not None and t_[0] is p else {}


def raw_metadata(state, o, p):
    corpus = state.corpus
    ch = touched_changes(o, p)
    cats, msc, acm = split_cats(p.cats)
    out = ['            <arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'xsi:schemaLocation="http://arxiv.org/OAI/arXivRaw/ '
           'https://oaipmh.arxiv.org/OAI/arXivRaw.xsd">\n',
           "                <id>%s</id>\n" % p.id,
           "                <submitter>%s</submitter>\n" % esc(p.authors[0][0] if p.authors else "arXiv admin")]
    nv = len(p.versions)
    for k, (t, _) in enumerate(p.versions):
        r = h(p.id, "v%d" % k)
        size = 10 + r % 4000
        st = "D" if r % 10 == 0 else "S" if r % 37 == 0 else ""
        if k == nv - 1 and nv > 1 and h(p.id, "withdrawn") % 60 == 0:
            size, st = 1, "I"
        out.append('                <version version="v%d">\n'
                   "                    <date>%s</date>\n"
                   "                    <size>%dkb</size>\n%s"
                   "                </version>\n" % (
                       k + 1, rfc822(t), size,
                       "                    <source_type>%s</source_type>\n" % st if st else ""))
    title = wrap(p.title, 70) if p.wrap else p.title
    out.append("                <title>%s</title>\n" % esc(title))
    out.append("                <authors>%s</authors>\n" % esc(authors_string(p)))
    out.append("                <categories>%s</categories>\n" % " ".join(cats))
    if p.comment:
        out.append("                <comments>%s</comments>\n" % esc(p.comment))
    if h(p.id, "proxy") % 150 == 0:
        out.append("                <proxy>ccsd hal-%08d</proxy>\n" % (h(p.id, "hal") % 10 ** 8))
    if p.rn:
        out.append("                <report-no>%s</report-no>\n" % esc(p.rn))
    if acm:
        out.append("                <acm-class>%s</acm-class>\n" % "; ".join(acm))
    if msc:
        out.append("                <msc-class>%s</msc-class>\n" % ", ".join(msc))
    jr = ch.get("journal_ref", p.jr)
    if jr:
        out.append("                <journal-ref>%s</journal-ref>\n" % esc(jr))
    doi = ch.get("doi", p.doi)
    if doi:
        out.append("                <doi>%s</doi>\n" % esc(doi))
    lic = ch.get("license", license_of(p))
    if lic:
        out.append("                <license>%s</license>\n" % esc(lic))
    abstract = corpus.abstract(p)
    if p.wrap:
        abstract = "  " + wrap(abstract, 79, "") + "\n"
    out.append("                <abstract>%s</abstract>\n" % esc(abstract))
    out.append("            </arXivRaw>\n")
    return "".join(out)


def dc_metadata(state, o, p):
    corpus = state.corpus
    ch = touched_changes(o, p)
    cats, msc, acm = split_cats(p.cats)
    out = ['            <oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
           'xmlns:dc="http://purl.org/dc/elements/1.1/" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/oai_dc/ '
           'https://www.openarchives.org/OAI/2.0/oai_dc.xsd">\n',
           "                <dc:title>%s</dc:title>\n" % esc(p.title)]
    for name, _ in p.authors:
        first, _, last = name.rpartition(" ")
        out.append("                <dc:creator>%s</dc:creator>\n" %
                   esc("%s, %s" % (last, first) if first else last))
    for c in cats:
        out.append("                <dc:subject>%s</dc:subject>\n" % esc(CATEGORY_NAMES.get(c, c)))
    for c in msc + acm:
        out.append("                <dc:subject>%s</dc:subject>\n" % esc(c))
    out.append("                <dc:description>%s</dc:description>\n" % esc(corpus.abstract(p)))
    if p.comment:
        out.append("                <dc:description>Comment: %s</dc:description>\n" % esc(p.comment))
    out.append("                <dc:date>%s</dc:date>\n" % day(p.published))
    if len(p.versions) > 1:
        out.append("                <dc:date>%s</dc:date>\n" % day(p.updated))
    out.append("                <dc:type>text</dc:type>\n")
    out.append("                <dc:identifier>https://arxiv.org/abs/%s</dc:identifier>\n" % p.id)
    out.append("                <dc:identifier>http://arxiv.org/abs/%s</dc:identifier>\n" % p.id)
    jr = ch.get("journal_ref", p.jr)
    if jr:
        out.append("                <dc:identifier>%s</dc:identifier>\n" % esc(jr))
    doi = ch.get("doi", p.doi)
    if doi:
        out.append("                <dc:identifier>doi:%s</dc:identifier>\n" % esc(doi))
    out.append("            </oai_dc:dc>\n")
    return "".join(out)


def record_xml(state, o, p, mt, prefix):
    meta = raw_metadata(state, o, p) if prefix == "arXivRaw" else dc_metadata(state, o, p)
    return ("    <record>\n%s        <metadata>\n%s        </metadata>\n    </record>\n"
            % (header_xml(o, p, mt), meta))


IDENTIFY = """    <Identify>
        <repositoryName>arXiv</repositoryName>
        <baseURL>https://oaipmh.arxiv.org/oai</baseURL>
        <protocolVersion>2.0</protocolVersion>
        <adminEmail>help@arxiv.org</adminEmail>
        <earliestDatestamp>2005-09-16</earliestDatestamp>
        <deletedRecord>persistent</deletedRecord>
        <granularity>YYYY-MM-DD</granularity>
        <description>
            <eprints xmlns="http://www.openarchives.org/OAI/1.1/eprints" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.openarchives.org/OAI/1.1/eprints http://www.openarchives.org/OAI/1.1/eprints.xsd">
                <content>
                    <text>Author self-archived e-prints</text>
                </content>
                <metadataPolicy>
                    <text>Metadata harvesting permitted through OAI interface</text>
                    <URL>https://info.arxiv.org/help/oa/metadataPolicy.html</URL>
                </metadataPolicy>
                <dataPolicy>
                    <text>Full-content harvesting not permitted (except by special arrangement)</text>
                    <URL>https://info.arxiv.org/help/oa/dataPolicy.html</URL>
                </dataPolicy>
                <submissionPolicy>
                    <text>Author self-submission preferred, submissions screened for appropriateness.</text>
                    <URL>https://info.arxiv.org/help/submit/index.html</URL>
                </submissionPolicy>
            </eprints>
        </description>
    </Identify>
"""


def formats_xml():
    out = ["    <ListMetadataFormats>\n"]
    for prefix, (ns, schema) in FORMATS.items():
        out.append("        <metadataFormat>\n"
                   "            <metadataPrefix>%s</metadataPrefix>\n"
                   "            <schema>%s</schema>\n"
                   "            <metadataNamespace>%s</metadataNamespace>\n"
                   "        </metadataFormat>\n" % (prefix, schema, ns))
    out.append("    </ListMetadataFormats>\n")
    return "".join(out)


def sets_xml():
    out = ["    <ListSets>\n"]
    for spec, name in SETS:
        out.append("        <set>\n            <setSpec>%s</setSpec>\n"
                   "            <setName>%s</setName>\n        </set>\n" % (spec, esc(name)))
    out.append("    </ListSets>\n")
    return "".join(out)


# ---------------------------------------------------------------------------
# the protocol

class OaiError(Exception):
    def __init__(self, code, reason=None):
        Exception.__init__(self, code)
        self.code = code
        self.reason = reason


DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_day(s, which):
    if not DATE_RE.fullmatch(s):
        raise OaiError("badArgument", "%s date format must be YYYY-MM-DD" % which)
    try:
        return calendar.timegm(time.strptime(s, "%Y-%m-%d"))
    except ValueError:
        raise OaiError("badArgument", "%s date is not a valid date" % which)


def identifier_paper(state, ident):
    """The paper of an OAI identifier, or idDoesNotExist."""
    pre = "oai:arXiv.org:"
    if not ident.startswith(pre):
        raise OaiError("idDoesNotExist", "identifier must start with %s" % pre)
    try:
        pid, ver = M.parse_id(ident[len(pre):])
    except ValueError:
        raise OaiError("idDoesNotExist", "malformed identifier")
    if ver is not None:
        raise OaiError("idDoesNotExist", "versioned identifiers are not supported")
    i = state.corpus.by_id.get(pid)
    if i is None:
        raise OaiError("idDoesNotExist", "no such paper: %s" % pid)
    return state.corpus.papers[i]


def decode_token(token, verb):
    try:
        pairs = urllib.parse.parse_qsl(urllib.parse.unquote(token),
                                       keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise OaiError("badResumptionToken", "token cannot be decoded")
    q = dict(pairs)
    if len(q) != len(pairs) or "verb" not in q or "skip" not in q:
        raise OaiError("badResumptionToken", "token is missing verb or skip")
    if q["verb"] != verb:
        raise OaiError("badResumptionToken", "token is for another verb")
    if not q["skip"].isdigit():
        raise OaiError("badResumptionToken", "bad skip")
    if set(q) - {"verb", "skip", "metadataPrefix", "from", "until", "set"}:
        raise OaiError("badResumptionToken", "unexpected argument in token")
    return q


def make_token(q, skip):
    items = [("verb", q["verb"]), ("metadataPrefix", q["metadataPrefix"])]
    for k in ("from", "until", "set"):
        if q.get(k):
            items.append((k, q[k]))
    items.append(("skip", str(skip)))
    return urllib.parse.quote(urllib.parse.urlencode(items), safe="")


def list_verb(state, o, verb, params, now, info):
    resumed = "resumptionToken" in params
    if resumed:
        if len(params) > 2:
            raise OaiError("badArgument", "resumptionToken must be the only argument")
        q = decode_token(params["resumptionToken"], verb)
    else:
        q = dict(params)
        q["skip"] = "0"
        if "metadataPrefix" not in q:
            raise OaiError("badArgument", "metadataPrefix is required")
    prefix = q.get("metadataPrefix")
    if prefix not in FORMATS:
        raise OaiError("cannotDisseminateFormat", "unknown metadataPrefix %s" % prefix)
    lo = hi = None
    if q.get("from") is not None:
        lo = parse_day(q["from"], "from")
        if lo < FLOOR_TS:
            raise OaiError("badArgument", "start date too early")
    if q.get("until") is not None:
        hi = parse_day(q["until"], "until")
        if hi > calendar.timegm(time.gmtime(now)[:3] + (0, 0, 0)) + 86400:
            raise OaiError("badArgument", "until date too late")
        hi += 86399
    if lo is not None and hi is not None and lo > hi:
        raise OaiError("badArgument", "from date is after until date")
    want = q.get("set")
    if want is not None:
        if want.count(":") > 2:
            raise OaiError("badArgument", "Set has too many levels")
        if want not in SET_SPECS:
            raise OaiError("badArgument", "Set does not exist")
    skip = int(q["skip"])
    limit = o.records_limit if verb == "ListRecords" else o.identifiers_limit

    with state.lock:
        papers = state.corpus.papers
        sel = []
        for mt, pid, i in ordered(state, o):
            if lo is not None and mt < lo:
                continue
            if hi is not None and mt > hi:
                break
            if want is not None and not in_set(paper_specs(papers[i].cats), want):
                continue
            sel.append((mt, pid, i))
        page = sel[skip:skip + limit]
        if not page:
            raise OaiError("noRecordsMatch", "no records in the selection")
        # rendered in (day, id) order, as arXiv's server sorts the page
        page_sorted = sorted(page, key=lambda r: (day(r[0]), r[1]))
        parts = ["    <%s>\n" % verb]
        for mt, pid, i in page_sorted:
            p = papers[i]
            if verb == "ListRecords":
                parts.append(record_xml(state, o, p, mt, prefix))
            else:
                parts.append(header_xml(o, p, mt).replace("        <header>", "    <header>", 1))
        info["records"] = len(page)
        info["ids"] = [r[1] for r in page_sorted]
    end = skip + len(page)
    if end < len(sel):
        last_day = day(page[-1][0])
        new_from = calendar.timegm(time.strptime(last_day, "%Y-%m-%d"))
        shown = sum(1 for r in sel[:end] if r[0] >= new_from)
        nq = dict(q)
        nq["verb"] = verb
        if lo is None or new_from > lo:
            nq["from"] = last_day
            nskip = shown
        else:
            nskip = end
        token = make_token(nq, nskip)
        exp = time.strftime("%Y-%m-%dT00:00:00Z", time.gmtime(now + 86400))
        parts.append("        <resumptionToken expirationDate='%s'>%s</resumptionToken>\n"
                     % (exp, token))
        info["token"] = token
    elif resumed:
        parts.append("        <resumptionToken/>\n")
        info["token"] = ""
    parts.append("    </%s>\n" % verb)
    return "".join(parts)


def respond(state, params, now, info):
    """(body text) for a parsed request; errors come back as bodies too."""
    o = oai_state(state)
    verb = params.get("verb")
    echo = [(k, v) for k, v in params.items()]
    try:
        if verb not in VERBS:
            echo = []
            raise OaiError("badVerb", "missing or unknown verb")
        extra = set(params) - {"verb"} - ALLOWED[verb]
        if extra:
            echo = []
            raise OaiError("badArgument", "illegal argument %s" % sorted(extra)[0])
        if verb == "Identify":
            return envelope(echo, IDENTIFY, now)
        if verb == "ListMetadataFormats":
            if "identifier" in params:
                identifier_paper(state, params["identifier"])
            return envelope(echo, formats_xml(), now)
        if verb == "ListSets":
            if "resumptionToken" in params:
                raise OaiError("badArgument", "Invalid token")
            return envelope(echo, sets_xml(), now)
        if verb == "GetRecord":
            if "identifier" not in params or "metadataPrefix" not in params:
                raise OaiError("badArgument", "identifier and metadataPrefix are required")
            if params["metadataPrefix"] not in FORMATS:
                raise OaiError("cannotDisseminateFormat",
                               "unknown metadataPrefix %s" % params["metadataPrefix"])
            with state.lock:
                p = identifier_paper(state, params["identifier"])
                mt = max(modtime(o, p), FLOOR_TS)
                body = "    <GetRecord>\n%s    </GetRecord>\n" % record_xml(
                    state, o, p, mt, params["metadataPrefix"])
            info["records"] = 1
            return envelope(echo, body, now)
        return envelope(echo, list_verb(state, o, verb, params, now, info), now)
    except OaiError as e:
        info["error"] = e.code
        if e.code in ("badVerb", "badArgument"):
            echo = []
        return error_body(e.code, e.reason, echo, now)


# ---------------------------------------------------------------------------
# HTTP

CDN_503 = (b"<!DOCTYPE html>\n<html>\n  <head>\n    <title>503 first byte timeout</title>\n"
           b"  </head>\n  <body>\n    <h1>Error 503 first byte timeout</h1>\n"
           b"    <p>first byte timeout</p>\n    <h3>Error 54113</h3>\n"
           b"    <p>Details: cache-iad-kiad7000000-IAD 1789776000 1234567890</p>\n"
           b"    <hr>\n    <p>Varnish cache server</p>\n  </body>\n</html>\n")


def route(handler, method, path, qs, body):
    global M
    M = sys.modules[type(handler).__module__]
    if path in ("/oai", "/oai/"):
        if method not in ("GET", "POST"):
            return handler.send_answer(405, "text/plain", b"method not allowed\n")
        return handle(handler, method, qs, body)
    if path.startswith("/oai/_mock/"):
        return control(handler, method, path[len("/oai/_mock/"):], body)
    handler.send_answer(404, "text/plain; charset=utf-8", b"not found\n")


def control(handler, method, path, body):
    state = handler.state
    state.corpus.ready.wait()
    try:
        payload = json.loads(body.decode("utf-8")) if body else {}
    except ValueError as e:
        return handler.send_json({"error": "bad JSON: %s" % e}, 400)
    o = oai_state(state)
    if path == "config" and method == "POST":
        for k in ("records_limit", "identifiers_limit"):
            if k in payload:
                v = payload[k]
                if not isinstance(v, int) or v < 1:
                    return handler.send_json({"error": "%s must be a positive integer" % k}, 400)
                setattr(o, k, v)
        return handler.send_json({"records_limit": o.records_limit,
                                  "identifiers_limit": o.identifiers_limit})
    if path == "touch" and method == "POST":
        try:
            pid, _ = M.parse_id(str(payload.get("id", "")))
        except ValueError:
            return handler.send_json({"error": "bad id"}, 400)
        with state.lock:
            i = state.corpus.by_id.get(pid)
            if i is None:
                return handler.send_json({"error": "no such paper %s" % pid}, 404)
            p = state.corpus.papers[i]
            t = M.parse_iso(payload["time"]) if payload.get("time") else int(time.time())
            changes = {k: payload[k] for k in ("doi", "journal_ref", "license") if k in payload}
            prev = o.touched.get(pid)
            if prev is not None and prev[0] is p:
                merged = dict(prev[2])
                merged.update(changes)
                changes = merged
            o.touched[pid] = (p, t, changes)
            o.touch_count += 1
            mt = max(modtime(o, p), FLOOR_TS)
        return handler.send_json({"id": pid, "datestamp": day(mt), "modtime": iso(mt)})
    if path == "info" and method == "GET":
        return handler.send_json({
            "records_limit": o.records_limit, "identifiers_limit": o.identifiers_limit,
            "touched": sorted(o.touched), "order_builds": o.order_builds,
            "sets": len(SETS)})
    return handler.send_json({"error": "unknown control path %s" % path}, 404)


def handle(handler, method, qs, body):
    state = handler.state
    state.corpus.ready.wait()
    pairs = urllib.parse.parse_qsl(qs, keep_blank_values=True)
    if method == "POST" and body:
        pairs += urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    params = {}
    duplicate = False
    for k, v in pairs:
        if k in params:
            duplicate = True
        params[k] = v
    decoded = urllib.parse.unquote_plus(qs)
    if method == "POST" and body:
        decoded += "&" + urllib.parse.unquote_plus(body.decode("utf-8", "replace"))
    seq, t_start, gap, concurrent, violation = state.begin()
    rec = {"seq": seq, "t_start": t_start, "t_end": None, "method": method,
           "path": "/oai", "params": params, "verb": params.get("verb"),
           "status": None, "entries": 0, "total": None, "bytes": 0,
           "fault": None, "gap": gap, "concurrent": concurrent,
           "violation": violation, "user_agent": handler.headers.get("User-Agent"),
           "gzip": "gzip" in (handler.headers.get("Accept-Encoding") or "")}
    try:
        fault = state.take_fault(decoded)
        if fault:
            rec["fault"] = fault["kind"]
        serve(handler, params, duplicate, fault, rec)
    except (BrokenPipeError, ConnectionResetError, socket.timeout, OSError) as e:
        rec["client_error"] = type(e).__name__
        handler.close_connection = True
    finally:
        state.end(rec)


def serve(handler, params, duplicate, fault, rec):
    state = handler.state
    kind = fault["kind"] if fault else None
    if kind == "reset":
        return handler.send_reset(rec)
    if kind == "slow":
        if not handler.wait(float(fault.get("delay", 5)), rec):
            return
    extra = {}
    if kind == "status":
        status = int(fault.get("status", 503))
        ctype = fault.get("content_type", "text/html; charset=utf-8")
        data = fault["body"].encode() if "body" in fault else CDN_503
        if fault.get("retry_after") is not None:
            extra["Retry-After"] = str(fault["retry_after"])
        extra["Via"] = "1.1 google, 1.1 varnish"
        extra["X-Cache"] = "MISS, MISS"
    elif kind == "non_xml":
        status, ctype = 200, fault.get("content_type", "text/plain")
        data = fault.get("body", "first byte timeout\n").encode()
    elif kind == "blank":
        status, ctype, data = 200, CTYPE, b""
    else:
        now = time.time()
        info = {}
        if duplicate:
            text = error_body("badArgument", "Duplicate parameters not allowed", [], now)
            info["error"] = "badArgument"
        else:
            text = respond(state, params, now, info)
        status, ctype, data = 200, CTYPE, text.encode("utf-8")
        rec["entries"] = info.get("records", 0)
        if info.get("error"):
            rec["error"] = info["error"]
        if "token" in info:
            rec["token"] = info["token"]
    rec["status"] = status
    # never gzipped, and "truncated" is the one body fault here ("stall" is
    # the Atom API's only): this endpoint has always answered so
    handler.send_answer(status, ctype, data, extra, rec=rec,
                        fault=fault if kind == "truncated" else None)
