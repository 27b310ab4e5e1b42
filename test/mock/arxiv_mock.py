#!/usr/bin/env python3
"""Mock arXiv API server for arxiv_fdw's tests (Python 3 standard library only).

    python3 test/mock/arxiv_mock.py --port P [--host 127.0.0.1]
        [--corpus-size N] [--seed 42] [--log FILE.jsonl] [--min-interval S]
        [--window 10000] [--pidfile F] [--seed-corpus seed_corpus.json]

Serves GET/POST /api/query like export.arxiv.org (2026 Atom format), over a
deterministic corpus: the entries of seed_corpus.json plus generated ones.
A JSON control API under /_mock/ injects faults, edits the corpus, dumps it
for PostgreSQL's COPY and reports the request log and a rate detector.
See README.md next to this file.

    python3 test/mock/arxiv_mock.py --port P --replay DIR [--pidfile F]

answers only from responses saved in DIR, instantly, for benchmarks
(class Replay below, test/bench).
"""

import argparse
import base64
import bisect
import calendar
import collections
import gc
import gzip
import hashlib
import json
import os
import random
import re
import select
import signal
import socket
import struct
import sys
import threading
import time
import unicodedata
import urllib.parse
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SEED_CORPUS = os.path.join(HERE, "seed_corpus.json")

# The generated corpus ends here (the seeds were taken on 2026-06-21), so
# that it does not depend on the clock.  Papers added through the control
# API are dated with the real current time.
CORPUS_END = calendar.timegm((2026, 6, 20, 20, 0, 0))
CORPUS_START = calendar.timegm((2007, 4, 1, 0, 0, 0))   # new-style ids start
OLD_START = calendar.timegm((1991, 8, 1, 0, 0, 0))

MAX_PAGE = 2000                 # larger max_results are capped (README)
ATOM_CTYPE = "application/atom+xml; charset=utf-8"
SCHEME = "http://arxiv.org/schemas/atom"


# ---------------------------------------------------------------------------
# text helpers

TOKEN_RE = re.compile(r"[^\W_]+")
_FOLD_MAP = str.maketrans({"ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "đ": "d",
                           "Đ": "d", "ı": "i", "ß": "ss", "æ": "ae", "Æ": "ae",
                           "œ": "oe", "Œ": "oe", "þ": "th", "ð": "d"})
_FOLD_CACHE = {}


def fold(tok):
    """Case- and accent-insensitive form of one word."""
    r = _FOLD_CACHE.get(tok)
    if r is None:
        t = tok.lower().translate(_FOLD_MAP)
        if not t.isascii():
            t = "".join(c for c in unicodedata.normalize("NFKD", t)
                        if not unicodedata.combining(c))
        if len(_FOLD_CACHE) < 500000:
            _FOLD_CACHE[tok] = t
        r = t
    return r


def words(text):
    """The words of a text (letters/digits, Unicode), folded, in order."""
    if not text:
        return []
    return [fold(t) for t in TOKEN_RE.findall(text)]


def has_phrase(seq, phrase):
    n = len(phrase)
    first = phrase[0]
    for i in range(len(seq) - n + 1):
        if seq[i] == first and seq[i:i + n] == phrase:
            return True
    return False


_CTRL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(s):
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if _CTRL_RE.search(s):
        s = _CTRL_RE.sub("", s)
    return s


def xml_attr(s):
    return xml_text(s).replace('"', "&quot;")


def collapse(s):
    return " ".join(s.split()) if s is not None else None


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def pg_ts(t):
    return time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime(t))


def parse_iso(s):
    s = s.strip()
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d))?)?"
                     r"(?:Z|[+-]00(?::?00)?)?", s)
    if not m:
        raise ValueError("bad timestamp %r (want YYYY-MM-DDTHH:MM:SSZ)" % s)
    y, mo, d, hh, mm, ss = (int(x) if x else 0 for x in m.groups())
    return calendar.timegm((y, mo, d, hh, mm, ss))


def wrap_lines(text, width):
    """Greedy wrapping: words joined by one space, lines of at most width
    characters unless one word is longer."""
    out, line, n = [], [], 0
    for w in text.split():
        k = len(w)
        if not line:
            line, n = [w], k
        elif n + 1 + k > width:
            out.append(" ".join(line))
            line, n = [w], k
        else:
            line.append(w)
            n += 1 + k
    if line:
        out.append(" ".join(line))
    return out


# ---------------------------------------------------------------------------
# vocabulary for generated entries

GROUPS = {
    "sys": ["cs.OS", "cs.DC", "cs.PF", "cs.AR", "cs.NI", "cs.CR", "cs.SE",
            "cs.DB", "cs.PL"],
    "ml": ["cs.LG", "cs.AI", "cs.CL", "cs.CV", "stat.ML", "cs.IR", "cs.RO",
           "cs.HC"],
    "theory": ["cs.DS", "cs.IT", "cs.CC", "math.CO", "math.OC"],
    "math": ["math.AP", "math.PR", "math.NA", "math.AG", "math.DG", "stat.ME"],
    "hep": ["hep-th", "hep-ph", "hep-ex", "hep-lat", "gr-qc", "nucl-th"],
    "astro": ["astro-ph.GA", "astro-ph.CO", "astro-ph.SR", "astro-ph.HE",
              "astro-ph.EP"],
    "cond": ["cond-mat.str-el", "cond-mat.mes-hall", "cond-mat.stat-mech",
             "cond-mat.mtrl-sci", "cond-mat.supr-con", "quant-ph",
             "physics.comp-ph", "physics.optics", "physics.flu-dyn"],
    "eess": ["eess.SY", "eess.SP", "eess.IV", "q-bio.NC", "q-bio.QM",
             "econ.EM", "q-fin.ST"],
}
GROUP_OF = {c: g for g, cs in GROUPS.items() for c in cs}

# primary-category weights (percent-ish)
PRIMARY_WEIGHTS = {
    "cs.LG": 19, "cs.CV": 6, "cs.CL": 6, "cs.AI": 4, "stat.ML": 2.5,
    "cs.IR": 1, "cs.RO": 2, "cs.HC": 1,
    "cs.OS": 0.9, "cs.DC": 2.5, "cs.PF": 0.4, "cs.AR": 0.7, "cs.NI": 1.5,
    "cs.CR": 3, "cs.SE": 2, "cs.DB": 0.8, "cs.PL": 0.6,
    "cs.DS": 1, "cs.IT": 1.2, "cs.CC": 0.4, "math.CO": 1.5, "math.OC": 1.2,
    "math.AP": 2, "math.PR": 1.5, "math.NA": 1.2, "math.AG": 1,
    "math.DG": 0.8, "stat.ME": 1,
    "hep-th": 3, "hep-ph": 3.5, "hep-ex": 1, "hep-lat": 0.5, "gr-qc": 1.5,
    "nucl-th": 0.6,
    "astro-ph.GA": 2, "astro-ph.CO": 1.5, "astro-ph.SR": 1.3,
    "astro-ph.HE": 1.2, "astro-ph.EP": 0.7,
    "cond-mat.str-el": 1.5, "cond-mat.mes-hall": 2, "cond-mat.stat-mech": 1.2,
    "cond-mat.mtrl-sci": 2, "cond-mat.supr-con": 0.7, "quant-ph": 5,
    "physics.comp-ph": 0.8, "physics.optics": 1.2, "physics.flu-dyn": 1,
    "eess.SY": 1.5, "eess.SP": 1.5, "eess.IV": 0.8, "q-bio.NC": 0.6,
    "q-bio.QM": 0.4, "econ.EM": 0.4, "q-fin.ST": 0.3,
}

CROSS = {
    "cs.OS": ["cs.DC", "cs.PF", "cs.AR", "cs.CR", "cs.LG", "cs.NI", "cs.SE", "eess.SY"],
    "cs.DC": ["cs.OS", "cs.PF", "cs.NI", "cs.LG", "cs.AR", "cs.DB"],
    "cs.PF": ["cs.OS", "cs.DC", "cs.AR", "cs.NI"],
    "cs.AR": ["cs.OS", "cs.PF", "cs.DC", "cs.LG", "cs.ET"],
    "cs.NI": ["cs.DC", "eess.SP", "cs.IT", "cs.CR"],
    "cs.CR": ["cs.OS", "cs.LG", "cs.SE", "cs.NI", "cs.AI"],
    "cs.SE": ["cs.PL", "cs.LG", "cs.AI", "cs.CR"],
    "cs.DB": ["cs.DC", "cs.IR", "cs.LG", "cs.OS"],
    "cs.PL": ["cs.SE", "cs.LO", "cs.OS"],
    "cs.LG": ["stat.ML", "cs.AI", "cs.CV", "cs.CL", "math.OC", "cs.DC"],
    "cs.AI": ["cs.LG", "cs.CL", "cs.MA", "cs.LO"],
    "cs.CL": ["cs.AI", "cs.LG", "cs.IR"],
    "cs.CV": ["cs.LG", "cs.AI", "eess.IV"],
    "stat.ML": ["cs.LG", "stat.ME", "math.ST"],
    "cs.IR": ["cs.LG", "cs.CL", "cs.DB"],
    "cs.RO": ["cs.LG", "cs.AI", "eess.SY", "cs.CV"],
    "cs.HC": ["cs.AI", "cs.CY", "cs.LG"],
    "cs.DS": ["cs.CC", "math.CO", "cs.DM"],
    "cs.IT": ["math.IT", "eess.SP", "cs.NI"],
    "cs.CC": ["cs.DS", "cs.LO", "quant-ph"],
    "math.CO": ["cs.DM", "math.PR"],
    "math.OC": ["cs.LG", "eess.SY", "math.NA"],
    "math.AP": ["math-ph", "math.MP", "math.DG", "math.NA"],
    "math.PR": ["math.ST", "stat.TH", "math.CO", "cond-mat.stat-mech"],
    "math.NA": ["cs.NA", "math.AP", "physics.comp-ph"],
    "math.AG": ["math.NT", "math.AC"],
    "math.DG": ["math.AP", "gr-qc", "math.MG"],
    "stat.ME": ["stat.AP", "stat.ML", "math.ST"],
    "hep-th": ["gr-qc", "hep-ph", "math-ph", "cond-mat.str-el"],
    "hep-ph": ["hep-ex", "hep-th", "astro-ph.CO", "nucl-th"],
    "hep-ex": ["hep-ph", "physics.ins-det"],
    "hep-lat": ["hep-ph", "hep-th", "nucl-th"],
    "gr-qc": ["hep-th", "astro-ph.CO", "astro-ph.HE"],
    "nucl-th": ["hep-ph", "nucl-ex"],
    "astro-ph.GA": ["astro-ph.CO", "astro-ph.SR"],
    "astro-ph.CO": ["gr-qc", "hep-ph", "astro-ph.GA"],
    "astro-ph.SR": ["astro-ph.EP", "astro-ph.GA"],
    "astro-ph.HE": ["astro-ph.GA", "gr-qc", "hep-ph"],
    "astro-ph.EP": ["astro-ph.SR", "physics.ao-ph"],
    "cond-mat.str-el": ["cond-mat.supr-con", "cond-mat.mes-hall", "hep-th", "quant-ph"],
    "cond-mat.mes-hall": ["cond-mat.mtrl-sci", "quant-ph", "cond-mat.str-el"],
    "cond-mat.stat-mech": ["cond-mat.dis-nn", "math-ph", "physics.comp-ph"],
    "cond-mat.mtrl-sci": ["cond-mat.mes-hall", "physics.comp-ph", "physics.chem-ph"],
    "cond-mat.supr-con": ["cond-mat.str-el"],
    "quant-ph": ["cond-mat.mes-hall", "cs.ET", "physics.optics", "cs.IT", "cs.LG"],
    "physics.comp-ph": ["cs.DC", "cond-mat.mtrl-sci", "cs.PF", "physics.flu-dyn", "cs.MS"],
    "physics.optics": ["quant-ph", "physics.app-ph"],
    "physics.flu-dyn": ["physics.comp-ph", "math.AP", "nlin.CD"],
    "eess.SY": ["cs.SY", "math.OC", "cs.RO", "cs.OS"],
    "eess.SP": ["cs.IT", "math.IT", "cs.LG"],
    "eess.IV": ["cs.CV", "cs.LG"],
    "q-bio.NC": ["cs.NE", "cs.LG"],
    "q-bio.QM": ["cs.LG", "stat.AP"],
    "econ.EM": ["stat.ME", "q-fin.ST"],
    "q-fin.ST": ["stat.AP", "econ.EM"],
}
ACM_CLASSES = ["D.4.1", "D.4.2", "D.4.7", "C.2.4", "C.4", "I.2.6", "I.2.7",
               "F.2.2", "H.3.3", "D.2.5", "I.5.1"]
MSC_CLASSES = ["68T05", "35Q30", "60J10", "05C80", "46E35", "65M60", "81T13",
               "82B20", "68Q25", "35K55"]

NOUNS = {  # comma-separated noun phrases
    "sys": """scheduler, kernel, memory allocator, page cache, page table,
        hypervisor, container runtime, file system, storage stack, runtime,
        interrupt handler, tail latency, throughput, performance isolation,
        enclave, device driver, network stack, lock manager, thread pool,
        virtual machine, checkpoint, snapshot, write-ahead log, journal,
        compaction, replication, consensus protocol, buffer pool,
        scheduling policy, eBPF program, microkernel, unikernel,
        serverless function, cold start, GPU kernel, KV cache, prefetcher,
        tiered memory, CXL device, SSD firmware, I/O path, system call
        interface, page migration, garbage collector, workload trace,
        resource manager, control plane, data plane, sandbox, capability,
        memory, memory hierarchy, virtual memory""",
    "ml": """transformer, language model, embedding, attention mechanism,
        policy, reward model, benchmark, dataset, classifier, representation,
        encoder, decoder, diffusion model, agent, planner, retrieval pipeline,
        tokenizer, fine-tuning objective, gradient estimator, optimizer,
        loss landscape, generalization gap, feature extractor, graph neural
        network, prompt, reasoning chain, vision backbone, segmentation mask,
        object detector, contrastive objective, knowledge graph, recommender,
        memory, neural network""",
    "theory": """lower bound, approximation ratio, graph, matroid, code,
        channel capacity, hypergraph coloring, sparsifier, oracle, reduction,
        complexity class, sorting network, hash function, sketch, streaming
        algorithm, convex relaxation, polytope, equilibrium, memory""",
    "math": """boundary value problem, elliptic operator, Sobolev space,
        weak solution, martingale, random walk, Brownian motion, heat kernel,
        Navier-Stokes equation, variety, moduli space, curvature flow,
        manifold, estimator, regression model, eigenvalue, spectrum,
        semigroup, finite element scheme, stochastic process, Markov chain""",
    "hep": """gauge theory, string compactification, black hole entropy,
        scattering amplitude, dark matter candidate, Higgs boson,
        neutrino mass, lattice QCD, holographic dual, supersymmetry breaking,
        effective field theory, gravitational wave signal,
        cosmological constant, inflaton potential, jet substructure,
        cross section""",
    "astro": """galaxy cluster, star formation rate, exoplanet atmosphere,
        accretion disk, supernova remnant, dark energy survey,
        redshift distribution, stellar population, magnetar burst,
        pulsar timing array, interstellar medium, cosmic microwave background,
        light curve, radial velocity, transit survey""",
    "cond": """spin liquid, Hubbard model, topological insulator, quantum dot,
        superconducting qubit, phase transition, order parameter,
        Kagome lattice, magnon spectrum, band structure, electron correlation,
        entanglement entropy, quantum circuit, error correction code,
        optical cavity, turbulent flow, density functional, memory effect""",
    "eess": """controller, observer, power grid, signal estimator, filter bank,
        channel estimation, image reconstruction, neural population,
        spike train, portfolio, volatility, market model, feedback loop,
        sensor network, state estimator""",
}
ADJS = {
    "sys": """efficient scalable secure lightweight transparent fault-tolerant
        low-latency high-throughput adaptive verified disaggregated
        heterogeneous energy-aware confidential lock-free persistent
        memory-efficient real-time distributed practical""".split(),
    "ml": """robust scalable efficient interpretable self-supervised
        multimodal few-shot contrastive generative probabilistic sparse
        federated causal hierarchical adversarial memory-efficient""".split(),
    "theory": """optimal near-linear deterministic randomized tight
        approximate sublinear memoryless online parameterized""".split(),
    "math": """nonlinear semilinear stochastic regular singular asymptotic
        memoryless ergodic compact smooth degenerate fractional""".split(),
    "hep": """non-perturbative supersymmetric holographic one-loop
        effective anomalous conformal chiral massive relativistic""".split(),
    "astro": """massive high-redshift magnetized dusty young metal-poor
        compact luminous rotating binary""".split(),
    "cond": """topological frustrated strongly correlated quantum disordered
        chiral nonequilibrium many-body fractional memoryless""".split(),
    "eess": """distributed robust optimal adaptive model-predictive
        nonlinear stochastic data-driven resilient""".split(),
}
LATEX = ["$O(n \\log n)$", "$O(n)$", "$O(1)$", "$\\epsilon < 10^{-3}$",
         "$\\ell^2(V)\\otimes \\mathbb{R}^d$", "$T_c \\approx 4.2$ K",
         "$\\mathcal{N}=4$", "$p < 0.05$", "$\\sqrt{s} = 13$ TeV",
         "$z \\sim 2$", "$H^1(\\Omega)$", "$d \\geq 3$", "$k$-means",
         "$10^{6}$", "$\\alpha > 1/2$", "$L^p$", "$SU(N)$", "$n<64$"]
TITLE_LATEX = ["$O(n)$", "$SU(N)$", "$\\mathcal{N}=4$", "$L^p$", "$k$",
               "$d \\geq 3$", "$n<64$", "$\\ell_1$"]
NAME_PARTS1 = ["Flex", "Turbo", "Hyper", "Nano", "Quick", "Deep", "Meta",
               "Omni", "Zen", "Aero", "Swift", "Kite", "Lumen", "Orca", "Pico",
               "Rune", "Vega", "Atlas", "Helix", "Nimbus", "Tide", "Forge"]
NAME_PARTS2 = ["KV", "OS", "Sched", "Cache", "Net", "Store", "FS", "RT",
               "Bench", "Flow", "Mem", "Guard", "Lite", "X", "Serve", "Grad"]

SENTENCE_TEMPLATES = [
    "We present {M}, a {a} {n} for {a2} {n2}.",
    "Existing approaches to {n} suffer from {a} {n2} and limited {n3}.",
    "Our approach reduces {n} by {P}% while preserving {a} {n2}.",
    "We prove that the {n} admits a {a} bound of {X}.",
    "Experiments on {K} benchmarks show that {M} outperforms the {a} baseline by {P}%.",
    "The key insight is that {n} and {n2} can be decoupled through {a} {n3}.",
    "In particular, we show that {X} holds whenever the {n} is {a}.",
    "This trade-off between {n} & {n2} is often overlooked in {a} settings.",
    "When fewer than {K} units are available (latency < {K} ms), the {n} dominates.",
    "We evaluate {M} on {a} {n} workloads and observe a {P}% improvement in {n2}.",
    "Finally, we discuss implications for {a} {n} and {n2}.",
    "Our results suggest that {a} {n} is a practical foundation for {n2}.",
    "We further characterise the {n} of {a} {n2} under {n3} constraints.",
    "Numerical simulations confirm the {a} behaviour of the {n} for {X}.",
    "Unlike prior work, {M} requires no changes to the {n}.",
    "We identify three sources of {a} {n}: {n2}, {n3}, and {n4}.",
    "The resulting {n} runs in {X} time and uses {a} {n2}.",
    "A prototype implementation demonstrates {a} {n} with an overhead below {P}%.",
    "These findings open a path towards {a} {n} at scale.",
    "Simple {n} models fail to capture the {a} {n2}.",
]
TITLE_TEMPLATES = [
    "{M}: {A} {N} for {A2} {N2}",
    "{A} {N} in {A2} {N2}",
    "On the {N} of {A} {N2}",
    "Towards {A} {N} with {N2}",
    "{N} and {N2}: A {A} Perspective",
    "A Note on {A} {N}",
    "{A} {N} via {N2}",
    "Bounds on {N} for {X}",
    "{N} & {N2} in {A} {N3}",
    "Learning {A} {N} from {N2}",
    "{M}: Rethinking {N} for {A} {N2}",
    "Revisiting {N} and {A} {N2}",
    "{A} {N} under {X} Constraints",
]
SMALL_WORDS = {"a", "an", "and", "of", "for", "in", "on", "with", "via", "the",
               "from", "under", "to"}

GIVEN = """James Mary John Patricia Robert Jennifer Michael Linda David Elizabeth
William Barbara Richard Susan Joseph Jessica Thomas Sarah Daniel Karen Matthew
Nancy Anthony Lisa Mark Emily Andrew Sophie Paul Laura Steven Anna Kevin Maria
Brian Julia Peter Clara Adrian Lena Wei Jing Li Hao Yu Xin Ming Yan Lei Jun Tao
Hui Yang Zhen Kai Qiang Yifan Haoran Zhiyuan Xiaoming Takashi Yuki Hiroshi Kenji
Akiko Satoshi Haruka Min-jun Seo-yeon Ji-woo Jae-hyun Rahul Priya Arjun Ananya
Vikram Deepak Sanjay Lakshmi Mohammad Ahmed Fatima Ali Omar Layla Hamed Navid
Reza Mehdi Łukasz Paweł Małgorzata Krzysztof Agnieszka Jiří Tomáš Zoë Søren
Jürgen Björn Håkan Åsa François Sébastien Hélène Gaël Zoé Renée José María Jesús
Ramón Inés Sofía João Gonçalo Ngọc Thảo Minh Đức Ömer Çağrı Şule Gülşen Dmitrii
Sergey Olga Natalia Yevgeny Ioannis Eleni Giorgos Giulia Marco Francesca
Alessandro Chiara Luca Nikolaj Mikael Aino Eero Olumide Chinedu Ngozi Kwame
Amara Seun Jean-Pierre Marie-Claire Hans-Peter Anne-Sophie Karl-Heinz Carlos
Diego Lucía Mateo Valentina""".split()
SURNAMES = """Smith Johnson Williams Brown Jones Garcia Miller Davis Wilson
Anderson Taylor Thomas Moore Martin Jackson Thompson White Harris Clark Lewis
Walker Allen Young King Wright Scott Green Baker Adams Nelson Hill Campbell
Mitchell Roberts Carter Phillips Evans Turner Parker Collins Edwards Stewart
Morris Murphy Cook Rogers Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun
Ma Zhu Hu Guo He Lin Gao Luo Zheng Liang Xie Tang Han Feng Deng Cao Peng Zeng
Tanaka Suzuki Takahashi Watanabe Ito Yamamoto Nakamura Kobayashi Kato Sato Kim
Lee Park Choi Jung Kang Cho Yoon Jang Lim Sharma Patel Gupta Singh Kumar Reddy
Iyer Nair Banerjee Chatterjee Mukherjee Das Hosseini Ahmadi Rahimi Karimi Nowak
Kowalski Wiśniewski Wójcik Kamiński Lewandowski Zieliński Szymański Dvořák
Novák Svoboda Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz
Hoffmann Schäfer Koch Bauer Richter Klein Wolf Schröder Neumann Schwarz
Zimmermann Braun Krüger Hofmann Hartmann Lange Schmitt Werner Krause Meier
Lehmann Dubois Durand Lefèvre Moreau Laurent Simon Michel Leroy Roux Fournier
Girard Bonnet Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino
Greco Bruno Gallo Conti Costa Giordano Mancini Rizzo Lombardi Moretti García
Fernández González Rodríguez López Martínez Sánchez Pérez Gómez Jiménez Ruiz
Hernández Díaz Moreno Álvarez Muñoz Romero Alonso Gutiérrez Navarro Torres
Domínguez Vázquez Ramos Gil Ramírez Serrano Blanco Suárez Molina Morales Ortega
Delgado Castro Ortiz Rubio Marín Sanz Iglesias Núñez Medina Garrido Silva
Santos Oliveira Pereira Rodrigues Almeida Nascimento Lima Araújo Fernandes
Carvalho Gomes Martins Rocha Ribeiro Alves Monteiro Nguyen Tran Le Pham Hoang
Phan Vu Dang Bui Do Ho Ngo Duong Ly Yılmaz Kaya Demir Şahin Çelik Yıldız
Yıldırım Öztürk Aydın Özdemir Ivanov Smirnov Kuznetsov Popov Vasiliev Petrov
Sokolov Mikhailov Novikov Fedorov Papadopoulos Nikolaidis Georgiou Andersson
Johansson Karlsson Nilsson Eriksson Larsson Olsson Persson Jensen Nielsen
Hansen Pedersen Andersen Christensen Larsen Sørensen Virtanen Korhonen Mäkinen
Nieminen O'Brien O'Connor McDonald MacLeod Okafor Adeyemi Mensah Osei
Abubakar""".split() + [
    "De Luca", "Ó Conaill", "Van der Berg", "van der Waals", "De Vries",
    "Van Dijk", "Da Silva", "Dos Santos", "de la Cruz", "Del Rio",
    "Garcia-Perez", "Smith-Jones", "Lloyd-Webber", "Abu-Rub", "Ben-David",
    "Al-Hashimi", "El-Sayed", "Müller-Lüdenscheid", "Lévy-Leblond"]
# authors the tests rely on: name -> (groups, probability per paper)
SPECIAL_AUTHORS = {
    "Łukasz Kaiser": (["ml"], 0.004),
    "Anna Kaiser": (["sys"], 0.01),
    "Jan Kaiser-Nowak": (["sys", "theory"], 0.004),
    "Marcus Kaiser": (["hep"], 0.004),
    "Gerhard Kaiser": (["math"], 0.004),
    "Sophie Kaiser": (["astro", "cond"], 0.003),
    "Adrian Del Maestro": (["cond"], 0.006),
    "Peter Hall": (["math", "eess"], 0.004),
}
INSTITUTIONS = [
    "Massachusetts Institute of Technology", "Stanford University",
    "University of Cambridge", "ETH Zürich", "EPFL", "Tsinghua University",
    "Peking University", "University of Tokyo", "KAIST",
    "Seoul National University", "IIT Bombay", "Max-Planck-Institut für Physik",
    "Université Paris-Saclay", "Sorbonne Université", "TU München",
    "Universität Wien", "Politecnico di Milano", "Universidad de Buenos Aires",
    "Universidade de São Paulo", "CERN", "Fermilab", "Perimeter Institute",
    "Weizmann Institute of Science", "Technion", "University of Toronto",
    "McGill University", "UC Berkeley", "Carnegie Mellon University",
    "Google DeepMind", "Microsoft Research", "AT&T Labs", "IBM Research",
    "NVIDIA", "Jagiellonian University", "Charles University",
    "KTH Royal Institute of Technology", "University of Oxford",
    "Imperial College London", "Ohio State", "CfA",
    "Instituto de Física Teórica UAM/CSIC", "Niels Bohr Institute", "RIKEN",
    "Kyoto University", "National University of Singapore",
    "University of Melbourne", "Universidad Nacional Autónoma de México",
]
VENUES = {
    "sys": ["OSDI", "SOSP", "EuroSys", "ATC", "ASPLOS", "FAST", "NSDI",
            "HotOS", "SIGCOMM", "CCS", "USENIX Security", "ICSE"],
    "ml": ["NeurIPS", "ICML", "ICLR", "ACL", "EMNLP", "CVPR", "ICCV", "AAAI",
           "IJCAI", "CoRL"],
    "theory": ["STOC", "FOCS", "SODA", "ICALP", "ISIT"],
}
JOURNALS = {
    "sys": ["ACM Trans. Comput. Syst.", "IEEE Trans. Comput.",
            "IEEE Trans. Parallel Distrib. Syst.", "Proc. ACM Meas. Anal. Comput. Syst."],
    "ml": ["J. Mach. Learn. Res.", "Trans. Mach. Learn. Res.", "Neural Computation"],
    "theory": ["SIAM J. Comput.", "J. ACM", "IEEE Trans. Inf. Theory"],
    "math": ["J. Math. Anal. Appl.", "Ann. Probab.", "Comm. Math. Phys.",
             "Arch. Ration. Mech. Anal."],
    "hep": ["JHEP", "Phys. Rev. D", "Nucl. Phys. B", "Phys. Lett. B"],
    "astro": ["Astrophys. J.", "Mon. Not. R. Astron. Soc.", "Astron. Astrophys."],
    "cond": ["Phys. Rev. B", "Phys. Rev. Lett.", "Nature Physics", "Phys. Rev. X"],
    "eess": ["IEEE Trans. Autom. Control", "Automatica", "IEEE Trans. Signal Process."],
}
DOI_PREFIX = {"sys": "10.1145", "ml": "10.1109", "theory": "10.1137",
              "math": "10.1016", "hep": "10.1007", "astro": "10.3847",
              "cond": "10.1103", "eess": "10.1109"}
OLD_ARCHIVES = [  # (id prefix, primary category, group, first year)
    ("hep-th", "hep-th", "hep", 1991), ("hep-ph", "hep-ph", "hep", 1992),
    ("hep-lat", "hep-lat", "hep", 1992), ("gr-qc", "gr-qc", "hep", 1992),
    ("astro-ph", "astro-ph", "astro", 1992), ("cond-mat", "cond-mat.str-el", "cond", 1992),
    ("cond-mat.str-el", "cond-mat.str-el", "cond", 1998),
    ("cond-mat.mes-hall", "cond-mat.mes-hall", "cond", 1998),
    ("quant-ph", "quant-ph", "cond", 1994), ("math.AP", "math.AP", "math", 1998),
    ("math.PR", "math.PR", "math", 1998), ("math.CO", "math.CO", "theory", 1998),
    ("math", "math.AG", "math", 1996), ("nucl-th", "nucl-th", "hep", 1992),
    ("cs", "cs.OS", "sys", 1998), ("cs.DC", "cs.DC", "sys", 1998),
    ("physics", "physics.comp-ph", "cond", 1996),
]
# fixed timestamps given to some generated papers, for date-bound tests
EDGE_TIMES = ["2026-05-31T23:59:30Z", "2026-05-31T23:59:00Z",
              "2026-06-01T00:00:00Z", "2026-04-30T23:59:59Z",
              "2025-12-31T23:59:59Z", "2026-01-01T00:00:00Z",
              "2007-04-02T00:00:30Z"]


def title_case(s):
    out = []
    for i, w in enumerate(s.split(" ")):
        if i and w in SMALL_WORDS:
            out.append(w)
        elif w[:1].islower() and not w.startswith("$") and not re.match(r"[a-z]+[A-Z]", w):
            out.append(w[0].upper() + w[1:])
        else:
            out.append(w)
    return " ".join(out)


def _compile_templates(tmpls):
    import string
    fmt = string.Formatter()
    return [(t, [f for _, f, _, _ in fmt.parse(t) if f]) for t in tmpls]


SENT_T = _compile_templates(SENTENCE_TEMPLATES)
TITLE_T = _compile_templates(TITLE_TEMPLATES)


# ---------------------------------------------------------------------------
# the corpus

class Paper(object):
    """One arXiv paper.  versions: list of [timestamp, overrides-or-None];
    overrides hold the fields of that (older) version that differ from the
    latest one.  The abstract is either text or a tuple of sentence ids.
    xml caches the rendered <entry> elements (UTF-8) by version; whoever
    changes a paper that may have been rendered empties it (Corpus._touch)."""
    __slots__ = ("id", "versions", "title", "abs_text", "abs_sents", "authors",
                 "cats", "comment", "jr", "doi", "rn", "wrap", "group", "xml")

    def __init__(self):
        self.xml = None
        self.abs_text = None
        self.abs_sents = None
        self.comment = self.jr = self.doi = self.rn = None
        self.wrap = False
        self.group = "sys"

    @property
    def published(self):
        return self.versions[0][0]

    @property
    def updated(self):
        return self.versions[-1][0]

    @property
    def version(self):
        return len(self.versions)

    @property
    def primary(self):
        return self.cats[0]

    def copy(self):
        p = Paper()
        for k in Paper.__slots__:
            if k == "xml":
                continue
            v = getattr(self, k)
            if k == "versions":
                v = [[t, dict(o) if o else None] for t, o in v]
            setattr(p, k, v)
        return p


class QueryError(Exception):
    pass


NEW_ID_RE = re.compile(r"(\d{4})\.(\d{4,5})(?:v(\d+))?")
OLD_ID_RE = re.compile(r"([a-z]+(?:-[a-z]+)*(?:\.[A-Za-z]{2,}(?:-[a-z]+)?)?)/(\d{7})(?:v(\d+))?")


def parse_id(s):
    """'2301.00001v2' -> ('2301.00001', 2); version None if absent.
    Raises ValueError for a malformed id."""
    m = NEW_ID_RE.fullmatch(s)
    if m:
        yymm, num, v = m.groups()
        if len(num) == 5 and int(yymm) < 1501:
            raise ValueError(s)
        ver = int(v) if v else None
        if ver == 0:
            raise ValueError(s)
        return "%s.%s" % (yymm, num), ver
    m = OLD_ID_RE.fullmatch(s)
    if m:
        ver = int(m.group(3)) if m.group(3) else None
        if ver == 0:
            raise ValueError(s)
        return "%s/%s" % (m.group(1), m.group(2)), ver
    raise ValueError(s)


class Corpus(object):
    def __init__(self, size, seed, seed_path, index=True):
        self.ready = threading.Event()
        self.size = size
        self.seed = seed
        self.rng = random.Random(seed)
        self.papers = []
        self.by_id = {}
        self.sentences = []          # sentence texts
        self.sent_words = []         # folded word lists per sentence
        self.word_sents = {}         # word -> sentence ids
        self.sent_papers = []        # sentence id -> paper indices
        self.idx = {f: {} for f in ("ti", "au", "co", "jr", "rn", "absx")}
        self.cat_idx = {}
        self.dirty = set()           # modified or added since start
        self.backup = {}             # index -> original Paper (for reset)
        self.generation = 0          # bumps on every change (cache key)
        self.add_counter = 0
        self.sent_xml = {}           # sentence id -> its text escaped for XML
        self.xml_bytes = 0           # size of the rendered entries cached
        self._orders = {}            # (sort field, generation) -> all indices in order
        self._name_words = {}
        self.name_pairs = {}
        seeds = self._load_seeds(seed_path)
        self._build_vocab(seeds)
        self._build_authors()
        self._generate(seeds)
        self.base_n = len(self.papers)
        if index:
            self.build_index()

    def build_index(self):
        """Build the word indexes (main() runs this in a background thread
        so that the port opens sooner; queries wait for self.ready)."""
        self._build_index()
        self.ready.set()

    # -- generation ---------------------------------------------------------

    def _load_seeds(self, path):
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
        by_id = {}
        for e in doc["entries"]:
            by_id.setdefault(e["id"], []).append(e)
        seeds = []
        for pid in sorted(by_id):
            recs = sorted(by_id[pid], key=lambda e: e["version"])
            seeds.append(self._paper_from_records(recs))
        return seeds

    def _paper_from_records(self, recs):
        """A Paper from one or more records of the same id (several versions)."""
        last = recs[-1]
        p = Paper()
        p.id = last["id"]
        p.title = last["title"]
        p.abs_text = last.get("summary", last.get("abstract", ""))
        p.authors = tuple((a["name"], tuple(a.get("affiliations") or ()))
                          if isinstance(a, dict) else (a, ())
                          for a in last.get("authors", []))
        cats = list(last.get("categories") or [])
        prim = last.get("primary_category") or (cats[0] if cats else "cs.OS")
        p.cats = tuple([prim] + [c for c in cats if c != prim])
        p.comment = last.get("comment") or None
        p.jr = last.get("journal_ref") or None
        p.doi = last.get("doi") or None
        p.rn = last.get("report_no") or None
        p.group = GROUP_OF.get(prim, "sys")
        published = parse_iso(last["published"]) if last.get("published") else int(time.time())
        nver = int(last.get("version") or 1)
        updated = parse_iso(last["updated"]) if last.get("updated") else published
        if updated < published:
            updated = published
        known = {int(r["version"]): r for r in recs}
        vers = []
        for v in range(1, nver + 1):
            if v == 1:
                t = published
            elif v == nver:
                t = updated
            elif v in known and known[v].get("updated"):
                t = parse_iso(known[v]["updated"])
            else:
                # unobserved intermediate version: spread between the two
                frac = (v - 1) / float(nver - 1)
                t = published + int((updated - published) * frac)
                t -= zlib.crc32(("%s%d" % (p.id, v)).encode()) % 3600
                t = max(t, vers[-1][0] + 1)
            ov = None
            if v in known and v != nver:
                r = known[v]
                ov = {}
                for key, attr in (("title", "title"), ("summary", "abstract"),
                                  ("comment", "comment"), ("journal_ref", "journal_ref"),
                                  ("doi", "doi")):
                    old = r.get(key) or None
                    new = last.get(key) or None
                    if old != new:
                        ov[attr] = old
                ov = ov or None
            vers.append([t, ov])
        p.versions = vers
        p.wrap = zlib.crc32(p.id.encode()) % 7 == 0
        return p

    def _build_vocab(self, seeds):
        rng = self.rng
        seed_sents = []
        for p in seeds:
            for s in re.split(r"(?<=[.!?])\s+(?=[A-Z(])", p.abs_text):
                s = s.strip()
                if 40 <= len(s) <= 400:
                    seed_sents.append(s)
        # technical terms from seed titles ("KV-Cache", "eBPF", "CXL"...)
        terms = set()
        for p in seeds:
            for w in re.findall(r"[A-Za-z][\w\-]*", p.title):
                if (re.search(r"[A-Z].*[A-Z]", w) or "-" in w) and len(w) <= 14:
                    terms.add(w)
        self.seed_terms = sorted(terms)
        nouns = {g: [" ".join(x.split()) for x in txt.split(",")]
                 for g, txt in NOUNS.items()}
        nouns["sys"] += self.seed_terms
        nouns["ml"] += [t for t in self.seed_terms if "LLM" in t or "KV" in t]
        self.nouns = nouns
        self.nouns_t = {g: [title_case(n) for n in lst] for g, lst in nouns.items()}
        self.adjs_t = {g: [title_case(a) for a in lst] for g, lst in ADJS.items()}
        # sentence pools per group
        self.group_sents = {}
        for g in GROUPS:
            ids = []
            for _ in range(300 if g not in ("sys", "ml") else 400):
                ids.append(self._add_sentence(self._make_sentence(g)))
            if g == "sys":
                ids += [self._add_sentence(s) for s in seed_sents]
            elif g == "ml":
                ids += [self._add_sentence(s) for s in seed_sents
                        if re.search(r"\b(LLM|model|learning|training|inference)", s)]
            self.group_sents[g] = ids
        rng.shuffle(self.group_sents["sys"])

    def _add_sentence(self, s):
        sid = len(self.sentences)
        self.sentences.append(s)
        ws = words(s)
        self.sent_words.append(ws)
        for w in set(ws):
            self.word_sents.setdefault(w, []).append(sid)
        self.sent_papers.append([])
        return sid

    def _method_name(self):
        rnd = self.rng.random
        if rnd() < 0.3:
            letters = "ABCDEFGHIKLMNPRSTVXZ"
            return "".join(letters[int(rnd() * 20)] for _ in range(3 + int(rnd() * 3)))
        return NAME_PARTS1[int(rnd() * len(NAME_PARTS1))] + NAME_PARTS2[int(rnd() * len(NAME_PARTS2))]

    def _fill(self, tmpl, g, title=False):
        """Fill a compiled template (text, slot names)."""
        rnd = self.rng.random
        text, slots = tmpl
        if title:
            nn, aa, xx = self.nouns_t[g], self.adjs_t[g], TITLE_LATEX
        else:
            nn, aa, xx = self.nouns[g], ADJS[g], LATEX
        vals = {}
        for k in slots:
            c = k[0]
            if c in "nN":
                vals[k] = nn[int(rnd() * len(nn))]
            elif c in "aA":
                vals[k] = aa[int(rnd() * len(aa))]
            elif c == "M":
                vals[k] = self._method_name()
            elif c == "P":
                vals[k] = str(2 + int(rnd() * 94))
            elif c == "K":
                vals[k] = str((4, 8, 16, 32, 64, 128, 1000)[int(rnd() * 7)])
            elif c == "X":
                vals[k] = xx[int(rnd() * len(xx))]
        return text.format(**vals)

    def _make_sentence(self, g):
        return self._fill(SENT_T[int(self.rng.random() * len(SENT_T))], g)

    def _build_authors(self):
        rng = self.rng
        pool = {g: [] for g in GROUPS}
        gl = list(GROUPS)
        seen = set()
        target = 3000
        while len(seen) < target:
            name = rng.choice(GIVEN)
            r = rng.random()
            if r < 0.15:
                name += " " + rng.choice("ABCDEFGHJKLMNPRSTW") + "."
            elif r < 0.18:
                name += " " + rng.choice("ABCDEHJKLMNPRSTW") + ". " + rng.choice("ABCDEHJKLMNPRSTW") + "."
            name += " " + rng.choice(SURNAMES)
            if name in seen or "Kaiser" in name:
                continue
            seen.add(name)
            pool[gl[len(seen) % len(gl)]].append(name)
        self.author_pool = pool
        self.special = {}
        for n, (gs, pr) in SPECIAL_AUTHORS.items():
            for g in gs:
                self.special.setdefault(g, []).append((n, pr))
        self.special_p = {g: sum(pr for _, pr in lst) for g, lst in self.special.items()}
        self.group_list = list(GROUPS)

    def _pick_authors(self, g):
        rnd = self.rng.random
        r = rnd()
        k = 1 if r < 0.15 else 2 if r < 0.35 else 3 if r < 0.55 else 4 if r < 0.7 \
            else 5 if r < 0.8 else 6 + int(rnd() * 7)
        pool = self.author_pool[g]
        npool = len(pool)
        names = []
        for _ in range(k):
            if rnd() < 0.08:
                other = self.author_pool[self.group_list[int(rnd() * len(self.group_list))]]
                names.append(other[int(rnd() * len(other))])
            else:
                names.append(pool[int(rnd() * npool)])
        r = rnd()
        if r < self.special_p.get(g, 0):
            for n, pr in self.special[g]:
                if r < pr:
                    names.insert(int(rnd() * (len(names) + 1)), n)
                    break
                r -= pr
        if len(names) > 1:
            names = list(dict.fromkeys(names))
        if rnd() < 0.12:
            ni = len(INSTITUTIONS)
            insts = [INSTITUTIONS[int(rnd() * ni)] for _ in range(3)]
            out = []
            for n in names:
                r = rnd()
                affs = () if r < 0.1 else (insts[int(rnd() * 3)],) if r < 0.85 \
                    else (insts[0], insts[1])
                out.append((n, affs))
            return tuple(out)
        pairs = self.name_pairs
        return tuple([pairs.get(n) or pairs.setdefault(n, (n, ())) for n in names])

    def _pick_cats(self, prim):
        rng = self.rng
        r = rng.random()
        k = 1 if r < 0.40 else 2 if r < 0.75 else 3 if r < 0.92 else 4
        cats = [prim]
        nb = CROSS.get(prim, [])
        if k > 1 and nb:
            rnd = rng.random
            for _ in range(k - 1):
                c = nb[int(rnd() * len(nb))]
                if c not in cats:
                    cats.append(c)
        if rng.random() < 0.03:
            g = GROUP_OF.get(prim, "sys")
            extra = MSC_CLASSES if g in ("math", "theory") else ACM_CLASSES
            cats.append(extra[int(rng.random() * len(extra))])
        return tuple(cats)

    def _extras(self, p, year):
        """comment, journal_ref, doi, report number (~30/15/20/3 %)."""
        rnd = self.rng.random

        def ri(a, b):
            return a + int(rnd() * (b - a + 1))

        def ch(seq):
            return seq[int(rnd() * len(seq))]
        g = p.group
        if rnd() < 0.30:
            r = rnd()
            pages = ri(4, 60)
            if r < 0.35:
                p.comment = "%d pages, %d figures" % (pages, ri(1, 20))
            elif r < 0.5:
                p.comment = "%d pages, %d figures & %d tables" % (pages, ri(1, 12), ri(1, 8))
            elif r < 0.65:
                vs = VENUES.get(g) or ["a workshop"]
                p.comment = "Accepted at %s %d" % (ch(vs), min(year + ri(0, 1), 2026))
            elif r < 0.75:
                p.comment = "Submitted to %s" % ch(JOURNALS[g])
            elif r < 0.85:
                p.comment = "%d pages; code available at https://github.com/%s/%s" % (
                    pages, ch(["kaist-os", "mlsys", "qgroup", "hepgen", "astrolab"]),
                    self._method_name().lower())
            elif r < 0.93:
                p.comment = "v%d: minor corrections, references added" % ri(2, 4)
            else:
                p.comment = "This version supersedes the conference version; proofs of Lemma %d < Lemma %d fixed" % (
                    ri(1, 4), ri(5, 9))
        jy = min(year + ri(0, 2), 2026)
        if rnd() < 0.15:
            j = ch(JOURNALS[g])
            r = rnd()
            if r < 0.5:
                p.jr = "%s %d, %d (%d)" % (j, ri(10, 140), ri(1, 250000), jy)
            elif r < 0.8:
                a = ri(1, 900)
                p.jr = "%s %d(%d):%d-%d, %d" % (j, ri(1, 80), ri(1, 12), a, a + ri(5, 40), jy)
            else:
                vs = VENUES.get(g) or ["Conf."]
                p.jr = "Proceedings of %s '%02d, pp. %d-%d" % (ch(vs), jy % 100, ri(1, 300), ri(301, 600))
        if rnd() < (0.7 if p.jr else 0.11):
            pre = DOI_PREFIX[g]
            if pre == "10.1103":
                p.doi = "%s/PhysRevB.%d.%06d" % (pre, ri(60, 110), ri(1, 250000))
            elif pre == "10.1145":
                p.doi = "%s/%07d.%07d" % (pre, ri(3000000, 3900000), ri(3000000, 3900000))
            elif pre == "10.3847":
                p.doi = "%s/1538-4357/%x" % (pre, ri(0x10000, 0xfffff))
            else:
                p.doi = "%s/s%05d-%03d-%05d-%d" % (pre, ri(10000, 99999), ri(0, 999), ri(0, 99999), ri(0, 9))
        if g in ("hep", "astro") and rnd() < 0.05:
            p.rn = ch(["CERN-TH-%d-%03d" % (jy, ri(1, 300)),
                               "SLAC-PUB-%d" % ri(10000, 18000),
                               "MIT-CTP/%d" % ri(3000, 5800),
                               "KEK-TH-%d" % ri(1000, 2600),
                               "FERMILAB-PUB-%02d-%03d-T" % (jy % 100, ri(1, 600))])

    def _versions(self, published, end):
        rng = self.rng
        r = rng.random()
        n = 1 if r < 0.65 else 2 if r < 0.87 else 3 if r < 0.96 else 4
        vers = [[published, None]]
        t = published
        for _ in range(n - 1):
            t += int(3600 + rng.random() ** 2 * 300 * 86400)
            if t > end:
                break
            vers.append([t, None])
        return vers

    def _gen_paper(self, pid, published, prim, end):
        rng = self.rng
        p = Paper()
        p.id = pid
        g = GROUP_OF.get(prim, "sys")
        p.group = g
        p.cats = self._pick_cats(prim)
        p.title = self._fill(TITLE_T[int(rng.random() * len(TITLE_T))], g, title=True)
        pool = self.group_sents[g]
        rnd = rng.random
        npool = len(pool)
        p.abs_sents = tuple([pool[int(rnd() * npool)] for _ in range(3 + int(rnd() * 6))])
        p.authors = self._pick_authors(g)
        p.versions = self._versions(published, end)
        self._extras(p, time.gmtime(published).tm_year)
        p.wrap = rng.random() < 0.15
        return p

    def _generate(self, seeds):
        rng = self.rng
        n_total = self.size
        seeds = seeds[:n_total]
        n_gen = max(0, n_total - len(seeds))
        n_old = min(300, n_gen // 200)
        n_new = n_gen - n_old
        taken = {p.id for p in seeds}
        cats = list(PRIMARY_WEIGHTS)
        cum = []
        acc = 0.0
        for c in cats:
            acc += PRIMARY_WEIGHTS[c]
            cum.append(acc)
        # months 2007-04 .. 2026-06 weighted toward recent years
        months = []
        mweights = []
        y, m = 2007, 4
        while (y, m) <= (2026, 6):
            months.append((y, m))
            mweights.append(1.14 ** (y - 2007))
            m += 1
            if m > 12:
                y, m = y + 1, 1
        counts = {}
        for ym in rng.choices(months, weights=mweights, k=n_new):
            counts[ym] = counts.get(ym, 0) + 1
        edge = {}
        for s in EDGE_TIMES:
            t = parse_iso(s)
            tm = time.gmtime(t)
            edge.setdefault((tm.tm_year, tm.tm_mon), []).append(t)
        generated = []
        for (y, m) in months:
            k = counts.get((y, m), 0)
            if not k:
                continue
            start = calendar.timegm((y, m, 1, 0, 0, 0))
            nxt = calendar.timegm((y + (m == 12), m % 12 + 1, 1, 0, 0, 0))
            end = min(nxt, CORPUS_END)
            times = sorted(start + int(rng.random() * (end - start)) for _ in range(k))
            for j, t in enumerate(edge.get((y, m), [])):
                if j < len(times):
                    times[j] = t
            times.sort()
            yymm = "%02d%02d" % (y % 100, m)
            five = (y, m) >= (2015, 1)
            cap = 25000 if five else 9000
            step = max(1, cap // (k + 1))
            num = rng.randint(1, min(40, step))
            primes = rng.choices(cats, cum_weights=cum, k=k)
            for t, prim in zip(times, primes):
                while True:
                    pid = ("%s.%05d" if five else "%s.%04d") % (yymm, num)
                    num += 1 + int(rng.random() * step * 1.6)
                    if pid not in taken:
                        break
                taken.add(pid)
                generated.append(self._gen_paper(pid, t, prim, CORPUS_END))
        # old-style ids, 1991-2007
        old_counter = {}
        for _ in range(n_old):
            prefix, prim, g, first = rng.choice(OLD_ARCHIVES)
            lo = max(OLD_START, calendar.timegm((first, 1, 1, 0, 0, 0)))
            t = lo + int(rng.random() * (CORPUS_START - lo))
            tm = time.gmtime(t)
            key = (prefix, tm.tm_year, tm.tm_mon)
            old_counter[key] = old_counter.get(key, 0) + 1
            pid = "%s/%02d%02d%03d" % (prefix, tm.tm_year % 100, tm.tm_mon, old_counter[key])
            if pid in taken:
                continue
            taken.add(pid)
            p = self._gen_paper(pid, t, prim, CORPUS_END)
            generated.append(p)
        self.papers = seeds + generated
        for i, p in enumerate(self.papers):
            self.by_id[p.id] = i
            if p.abs_sents:
                for s in set(p.abs_sents):
                    self.sent_papers[s].append(i)

    # -- indexing -----------------------------------------------------------

    def name_words(self, name):
        r = self._name_words.get(name)
        if r is None:
            r = self._name_words[name] = words(name)
        return r

    def _build_index(self):
        ti, au, co, jr, rn, absx = (self.idx[f] for f in ("ti", "au", "co", "jr", "rn", "absx"))
        cat = self.cat_idx
        findall = TOKEN_RE.findall
        cache = _FOLD_CACHE
        name_words = self._name_words
        for i, p in enumerate(self.papers):
            for t in set(findall(p.title)):
                w = cache.get(t) or fold(t)
                lst = ti.get(w)
                if lst is None:
                    ti[w] = [i]
                elif lst[-1] != i:
                    lst.append(i)
            for n, _ in p.authors:
                nw = name_words.get(n)
                if nw is None:
                    nw = name_words[n] = words(n)
                for w in nw:
                    lst = au.get(w)
                    if lst is None:
                        au[w] = [i]
                    elif lst[-1] != i:
                        lst.append(i)
            for c in p.cats:
                lst = cat.get(c)
                if lst is None:
                    cat[c] = [i]
                elif lst[-1] != i:
                    lst.append(i)
            if p.comment:
                for w in set(words(p.comment)):
                    co.setdefault(w, []).append(i)
            if p.jr:
                for w in set(words(p.jr)):
                    jr.setdefault(w, []).append(i)
            if p.rn:
                for w in set(words(p.rn)):
                    rn.setdefault(w, []).append(i)
            if p.abs_text is not None:
                for w in set(words(p.abs_text)):
                    absx.setdefault(w, []).append(i)
        self.pub_sorted = sorted((p.versions[0][0], i) for i, p in enumerate(self.papers))
        self.pub_keys = [t for t, _ in self.pub_sorted]
        self.pub_idx = [i for _, i in self.pub_sorted]

    # -- field access -------------------------------------------------------

    def abstract(self, p):
        if p.abs_text is not None:
            return p.abs_text
        return " ".join(self.sentences[s] for s in p.abs_sents)

    def field_seqs(self, p, field):
        """Word sequences of a field (several for authors: one per name)."""
        if field == "ti":
            return [words(p.title)]
        if field == "au":
            return [self.name_words(n) for n, _ in p.authors]
        if field == "abs":
            if p.abs_sents is not None:
                sw = self.sent_words
                return [[w for s in p.abs_sents for w in sw[s]]]
            return [words(p.abs_text)]
        if field == "co":
            return [words(p.comment)]
        if field == "jr":
            return [words(p.jr)]
        if field == "rn":
            return [words(p.rn)]
        return []

    def _postings(self, field, w):
        """Base-corpus papers whose field contains word w (a set)."""
        if field == "abs":
            out = set(self.idx["absx"].get(w, ()))
            sp = self.sent_papers
            for s in self.word_sents.get(w, ()):
                out.update(sp[s])
            return out
        return set(self.idx[field].get(w, ()))

    # -- query evaluation ---------------------------------------------------

    def eval_words(self, field, ws):
        """Papers whose field contains the word sequence ws (a phrase when
        len(ws) > 1)."""
        if not ws:
            return set()
        cand = None
        for w in sorted(set(ws), key=lambda w: len(self.idx.get(field, {}).get(w, ())) if field != "abs" else 0):
            s = self._postings(field, w)
            cand = s if cand is None else cand & s
            if not cand:
                break
        if self.dirty:
            cand -= self.dirty
        if len(ws) > 1:
            cand = {i for i in cand if any(has_phrase(seq, ws) for seq in self.field_seqs(self.papers[i], field))}
        for i in self.dirty:
            p = self.papers[i]
            if p is None:
                continue
            for seq in self.field_seqs(p, field):
                if (len(ws) == 1 and ws[0] in seq) or (len(ws) > 1 and has_phrase(seq, ws)):
                    cand.add(i)
                    break
        return cand

    def eval_cat(self, value):
        out = set()
        if value.endswith("*"):
            prefix = value[:-1]
            if "*" in prefix or "?" in prefix:
                return out
            for c, lst in self.cat_idx.items():
                if c.startswith(prefix):
                    out.update(lst)
            match = lambda c: c.startswith(prefix)  # noqa: E731
        else:
            if "*" in value or "?" in value:
                return out
            out.update(self.cat_idx.get(value, ()))
            match = lambda c: c == value  # noqa: E731
        if self.dirty:
            out -= self.dirty
            for i in self.dirty:
                if any(match(c) for c in self.papers[i].cats):
                    out.add(i)
        return out

    def eval_id(self, value):
        try:
            pid, _ = parse_id(value)
        except ValueError:
            return set()
        i = self.by_id.get(pid)
        return {i} if i is not None else set()

    def eval_date(self, lo, hi):
        if lo > hi:
            return set()
        a = bisect.bisect_left(self.pub_keys, lo)
        b = bisect.bisect_right(self.pub_keys, hi)
        out = set(self.pub_idx[a:b])
        if self.dirty:
            out -= self.dirty
            for i in self.dirty:
                if lo <= self.papers[i].published <= hi:
                    out.add(i)
        return out

    def eval_term(self, field, value):
        if field == "cat":
            return self.eval_cat(value)
        if field == "id":
            return self.eval_id(value)
        if "*" in value or "?" in value:
            return set()           # no wildcards outside cat: (au:P* fails)
        ws = words(value)
        if field == "all":
            out = set()
            for f in ("ti", "au", "abs", "co", "jr", "rn"):
                out |= self.eval_words(f, ws)
            out |= self.eval_cat(value)
            out |= self.eval_id(value)
            return out
        return self.eval_words(field, ws)

    def evaluate(self, node):
        kind = node[0]
        if kind == "term":
            return self.eval_term(node[1], node[2])
        if kind == "date":
            return self.eval_date(node[1], node[2])
        a = self.evaluate(node[1])
        if kind == "AND":
            return a & self.evaluate(node[2]) if a else set()
        if kind == "OR":
            return a | self.evaluate(node[2])
        if kind == "ANDNOT":
            return a - self.evaluate(node[2]) if a else set()
        raise QueryError("bad node")

    def sort(self, idxs, sort_by, order):
        """The papers idxs (a set of indices) as a list in the order asked
        for.  A large set is taken from the order of the whole corpus, which
        is sorted once per generation; the keys are unique (ids are), so
        descending is exactly ascending reversed."""
        P = self.papers
        desc = order != "ascending"
        if sort_by == "lastUpdatedDate":
            field = "updated"
            key = lambda i: (P[i].versions[-1][0], P[i].id)  # noqa: E731
        else:  # relevance and submittedDate: newest submission first
            field = "published"
            key = lambda i: (P[i].versions[0][0], P[i].id)  # noqa: E731
        if len(idxs) * 16 < len(P):
            return sorted(idxs, key=key, reverse=desc)
        okey = (field, self.generation)
        full = self._orders.get(okey)
        if full is None:
            full = sorted(range(len(P)), key=key)
            self._orders = {k: v for k, v in self._orders.items() if k[1] == self.generation}
            self._orders[okey] = full
        out = [i for i in full if i in idxs]
        if desc:
            out.reverse()
        return out

    # -- rendered entries ---------------------------------------------------

    XML_CACHE_LIMIT = 256 << 20

    def sentence_xml(self, sid):
        r = self.sent_xml.get(sid)
        if r is None:
            r = self.sent_xml[sid] = xml_text(self.sentences[sid])
        return r

    def note_xml(self, nbytes):
        """Account for a rendered entry just cached; past the limit, forget
        them all (they are rendered again when asked for)."""
        self.xml_bytes += nbytes
        if self.xml_bytes > self.XML_CACHE_LIMIT:
            for p in self.papers:
                p.xml = None
            self.xml_bytes = 0

    # -- modification -------------------------------------------------------

    def _touch(self, i):
        if i < self.base_n and i not in self.backup:
            self.backup[i] = self.papers[i].copy()
        self.papers[i].xml = None
        self.dirty.add(i)
        self.generation += 1

    def reset(self):
        for i, p in self.backup.items():
            self.papers[i] = p
        self.backup.clear()
        for p in self.papers[self.base_n:]:
            self.by_id.pop(p.id, None)
        del self.papers[self.base_n:]
        self.dirty.clear()
        self.generation += 1

    def _new_id(self, t):
        tm = time.gmtime(t)
        yymm = "%02d%02d" % (tm.tm_year % 100, tm.tm_mon)
        hi = 0
        for pid in self.by_id:
            if pid.startswith(yymm + "."):
                hi = max(hi, int(pid[5:]))
        return "%s.%05d" % (yymm, hi + 1)

    def add_new(self, n, categories=None, title=None):
        now = int(time.time())
        rng = random.Random("%d-add-%d" % (self.seed, self.add_counter))
        self.add_counter += 1
        saved, self.rng = self.rng, rng
        ids = []
        try:
            for k in range(n):
                t = now - (n - 1 - k)
                pid = self._new_id(t)
                cats = list(categories or ["cs.OS"])
                p = self._gen_paper(pid, t, cats[0], now)
                p.cats = tuple(dict.fromkeys(cats))
                p.versions = [[t, None]]
                if title:
                    p.title = title if n == 1 else "%s (%d)" % (title, k + 1)
                # materialise the abstract: sentence postings are base-only
                p.abs_text = self.abstract(p)
                p.abs_sents = None
                self._append(p)
                ids.append(pid)
        finally:
            self.rng = saved
        return ids

    def _append(self, p):
        i = len(self.papers)
        self.papers.append(p)
        self.by_id[p.id] = i
        self.dirty.add(i)
        self.generation += 1
        return i

    def new_version(self, spec, default_title=None):
        if isinstance(spec, dict):
            pid = spec.get("id")
            changes = spec
        else:
            pid, changes = spec, {}
        if not isinstance(pid, str):
            raise ValueError("new_version: id missing")
        pid, _ = parse_id(pid)
        i = self.by_id.get(pid)
        if i is None:
            raise KeyError(pid)
        self._touch(i)
        p = self.papers[i]
        if p.abs_sents is not None:
            p.abs_text = self.abstract(p)
            p.abs_sents = None
        now = max(int(time.time()), p.updated + 1)
        old = {}
        title = changes.get("title", default_title)
        for attr, key in (("title", "title"), ("abs_text", "abstract"),
                          ("comment", "comment"), ("jr", "journal_ref"), ("doi", "doi")):
            val = title if key == "title" else changes.get(key, changes.get("summary") if key == "abstract" else None)
            if val is not None and val != getattr(p, attr):
                old[key] = getattr(p, attr)
                setattr(p, attr, val)
        prev = p.versions[-1]
        ov = dict(prev[1] or {})
        for k, v in old.items():
            ov.setdefault(k, v)
        # overrides of older versions must also keep their (old) values
        for v in p.versions[:-1]:
            if v[1] is None:
                v[1] = {}
            for k, val in old.items():
                v[1].setdefault(k, val)
            if not v[1]:
                v[1] = None
        prev[1] = ov or None
        p.versions.append([now, None])
        return {"id": p.id, "version": len(p.versions)}

    def add_entry(self, d):
        if not isinstance(d, dict):
            raise ValueError("add: entries must be objects")
        d = dict(d)
        now = int(time.time())
        if not d.get("id"):
            d["id"] = self._new_id(parse_iso(d["published"]) if d.get("published") else now)
        pid, ver = parse_id(d["id"])
        d["id"] = pid
        if ver and not d.get("version"):
            d["version"] = ver
        d.setdefault("version", 1)
        d.setdefault("title", "Untitled")
        if "abstract" in d and "summary" not in d:
            d["summary"] = d["abstract"]
        d.setdefault("summary", "")
        if not d.get("published"):
            d["published"] = iso(now)
        if not d.get("updated"):
            d["updated"] = d["published"]
        d.setdefault("categories", [d.get("primary_category") or "cs.OS"])
        p = self._paper_from_records([d])
        i = self.by_id.get(pid)
        if i is not None:
            self._touch(i)
            self.papers[i] = p
        else:
            self._append(p)
        return pid

    # -- statistics ---------------------------------------------------------

    def info(self):
        counts = {}
        old = 0
        for p in self.papers:
            for c in p.cats:
                counts[c] = counts.get(c, 0) + 1
            if "/" in p.id:
                old += 1
        pubs = [p.published for p in self.papers]
        return {
            "papers": len(self.papers),
            "base_papers": self.base_n,
            "old_style_ids": old,
            "versions_total": sum(len(p.versions) for p in self.papers),
            "multi_version_papers": sum(1 for p in self.papers if len(p.versions) > 1),
            "published_min": iso(min(pubs)) if pubs else None,
            "published_max": iso(max(pubs)) if pubs else None,
            "with_comment": sum(1 for p in self.papers if p.comment),
            "with_journal_ref": sum(1 for p in self.papers if p.jr),
            "with_doi": sum(1 for p in self.papers if p.doi),
            "with_affiliations": sum(1 for p in self.papers if any(a for _, a in p.authors)),
            "category_counts": dict(sorted(counts.items(), key=lambda kv: -kv[1])),
        }


# ---------------------------------------------------------------------------
# the query language

FIELD_NAMES = {"ti", "au", "abs", "co", "jr", "cat", "rn", "id", "all"}
DATE_FIELDS = {"submitteddate": "submittedDate", "lastupdateddate": "lastUpdatedDate"}
OPERATORS = {"AND", "OR", "ANDNOT"}


def parse_date_bound(s, upper):
    if not re.fullmatch(r"\d{4}(\d\d){0,4}", s):
        raise QueryError("bad date %r" % s)
    y = int(s[0:4])
    mo = int(s[4:6]) if len(s) >= 6 else (12 if upper else 1)
    if not 1 <= mo <= 12:
        raise QueryError("bad month")
    last_day = calendar.monthrange(y, mo)[1]
    d = int(s[6:8]) if len(s) >= 8 else (last_day if upper else 1)
    if not 1 <= d <= last_day:
        raise QueryError("bad day")
    hh = int(s[8:10]) if len(s) >= 10 else (23 if upper else 0)
    mm = int(s[10:12]) if len(s) >= 12 else (59 if upper else 0)
    if hh > 23 or mm > 59:
        raise QueryError("bad time")
    # compared at minute precision against HH:MM:00
    return calendar.timegm((y, mo, d, hh, mm, 0))


def tokenize_query(q):
    """Tokens: ('(',), (')',), ('op', NAME), ('term', field|None, value,
    quoted, span), ('date', field, lo, hi), ('group', field)."""
    toks = []
    i, n = 0, len(q)
    while i < n:
        c = q[i]
        if c.isspace():
            i += 1
            continue
        if c in "()":
            toks.append((c,))
            i += 1
            continue
        if c == '"':
            j = q.find('"', i + 1)
            if j < 0:
                raise QueryError("unterminated quote")
            toks.append(("term", None, q[i + 1:j], True, (i, j + 1)))
            i = j + 1
            continue
        j = i
        while j < n and not q[j].isspace() and q[j] not in '()"[':
            j += 1
        chunk = q[i:j]
        if ":" in chunk:
            field, value = chunk.split(":", 1)
            lf = field.lower()
            if lf in DATE_FIELDS:
                if value or j >= n or q[j] != "[":
                    raise QueryError("date range expected")
                k = q.find("]", j)
                if k < 0:
                    raise QueryError("unterminated date range")
                parts = q[j + 1:k].split()
                if len(parts) != 3 or parts[1] != "TO":
                    raise QueryError("bad date range")
                lo = parse_date_bound(parts[0], False)
                hi = parse_date_bound(parts[2], True)
                toks.append(("date", DATE_FIELDS[lf], lo, hi))
                i = k + 1
                continue
            if lf not in FIELD_NAMES:
                raise QueryError("unknown field %r" % field)
            if value == "":
                if j < n and q[j] == '"':
                    k = q.find('"', j + 1)
                    if k < 0:
                        raise QueryError("unterminated quote")
                    toks.append(("term", lf, q[j + 1:k], True, (i, k + 1)))
                    i = k + 1
                    continue
                if j < n and q[j] == "(":
                    toks.append(("group", lf))
                    i = j
                    continue
                raise QueryError("empty value")
            toks.append(("term", lf, value, False, (i, j)))
            i = j
            continue
        if j < n and q[j] == "[":
            raise QueryError("unexpected [")
        if chunk in OPERATORS:
            toks.append(("op", chunk))
        else:
            toks.append(("term", None, chunk, False, (i, j)))
        i = j
    return toks


class Parser(object):
    def __init__(self, toks, lenient):
        self.toks = toks
        self.pos = 0
        self.lenient = lenient

    def peek(self):
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def parse(self):
        if not self.toks:
            raise QueryError("empty query")
        node = self.expr(None)
        if self.pos != len(self.toks):
            raise QueryError("trailing tokens")
        return node

    def expr(self, field):
        left = self.unit(field)
        t = self.peek()
        if t is None or t[0] == ")":
            return left
        if t[0] == "op":
            self.pos += 1
            if self.peek() is None or self.peek()[0] in (")", "op"):
                raise QueryError("operand expected")
            return (t[1], left, self.expr(field))
        # juxtaposition: the lenient (non-raw) parser reads it as AND
        if not self.lenient:
            raise QueryError("operator expected")
        return ("AND", left, self.expr(field))

    def unit(self, field):
        t = self.peek()
        if t is None:
            raise QueryError("operand expected")
        self.pos += 1
        kind = t[0]
        if kind == "(":
            node = self.expr(field)
            if self.peek() is None or self.peek()[0] != ")":
                raise QueryError("unbalanced parenthesis")
            self.pos += 1
            return node
        if kind == "group":
            if self.peek() is None or self.peek()[0] != "(":
                raise QueryError("( expected")
            return self.unit(t[1])
        if kind == "term":
            f = t[1] or field or "all"
            return ("term", f, t[2])
        if kind == "date":
            return ("date", t[2], t[3])
        raise QueryError("unexpected %r" % (t,))


def parse_query(q, lenient=True):
    """Returns (ast, echo) where echo is the query as arXiv shows it in the
    feed title: bare words become all:word."""
    toks = tokenize_query(q)
    ast = Parser(toks, lenient).parse()
    echo = q
    # rewrite bare terms outside field groups, right to left to keep spans
    rewrites = []
    gdepth = 0
    stack = []
    for t in toks:
        if t[0] == "group":
            stack.append("g")
        elif t[0] == "(":
            if stack and stack[-1] == "g":
                stack[-1] = "G"
                gdepth += 1
            else:
                stack.append("p")
        elif t[0] == ")":
            if stack:
                if stack.pop() == "G":
                    gdepth -= 1
        elif t[0] == "term" and t[1] is None and gdepth == 0:
            rewrites.append(t[4])
    for (a, b) in reversed(rewrites):
        echo = echo[:a] + "all:" + echo[a:b] + echo[b:]
    return ast, " ".join(echo.split())


# ---------------------------------------------------------------------------
# Atom rendering

FEED_HEAD = ("<?xml version='1.0' encoding='UTF-8'?>\n"
             '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
             'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">\n')


def feed_id(s):
    return "https://arxiv.org/api/" + base64.b64encode(
        hashlib.sha1(s.encode("utf-8")).digest()).decode().rstrip("=")


def render_error_feed(message, fragment=True):
    now = iso(int(time.time()))
    eid = "https://arxiv.org/api/errors"
    if fragment:
        eid += "#" + re.sub(r"\s+", "_", message)
    return "".join([
        FEED_HEAD,
        "  <id>https://arxiv.org/</id>\n",
        "  <title>arXiv Search Results</title>\n",
        "  <updated>%s</updated>\n" % now,
        "  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>\n",
        "  <opensearch:totalResults>1</opensearch:totalResults>\n",
        "  <opensearch:startIndex>0</opensearch:startIndex>\n",
        "  <entry>\n",
        "    <id>%s</id>\n" % xml_text(eid),
        "    <title>Error</title>\n",
        "    <updated>%s</updated>\n" % now,
        '    <link href="%s" rel="alternate" type="text/html"/>\n' % xml_attr(eid),
        "    <summary>%s</summary>\n" % xml_text(message),
        "    <author>\n",
        "      <name>arXiv api core</name>\n",
        "    </author>\n",
        "  </entry>\n",
        "</feed>\n",
    ]).encode("utf-8")


_AUTHOR_XML = {}
_CATS_XML = {}


def _author_xml(author):
    """The <author> element of one (name, affiliations) pair (cached: the
    generated corpus draws its names from a pool)."""
    r = _AUTHOR_XML.get(author)
    if r is None:
        name, affs = author
        parts = ["    <author>\n      <name>%s</name>\n" % xml_text(name)]
        for a in affs:
            parts.append("      <arxiv:affiliation>%s</arxiv:affiliation>\n" % xml_text(a))
        parts.append("    </author>\n")
        r = "".join(parts)
        if len(_AUTHOR_XML) > 200000:
            _AUTHOR_XML.clear()
        _AUTHOR_XML[author] = r
    return r


def _cats_xml(cats):
    r = _CATS_XML.get(cats)
    if r is None:
        r = "".join('    <category term="%s" scheme="%s"/>\n' % (xml_attr(c), SCHEME) for c in cats)
        if len(_CATS_XML) > 20000:
            _CATS_XML.clear()
        _CATS_XML[cats] = r
    return r


def render_entry(corpus, p, v):
    """The <entry> element of version v of a paper, as text."""
    ts, ov = p.versions[v - 1]
    ov = ov or {}
    title = ov.get("title", p.title)
    comment = ov.get("comment", p.comment)
    jr = ov.get("journal_ref", p.jr)
    doi = ov.get("doi", p.doi)
    if p.wrap:
        title = "\n  ".join(wrap_lines(title, 70))
    if "abstract" not in ov and not p.wrap and p.abs_sents is not None:
        # escaping maps characters one by one, so the escaped abstract is
        # the escaped sentences joined
        sx = corpus.sentence_xml
        summary = " ".join([sx(i) for i in p.abs_sents])
    else:
        summary = ov.get("abstract", corpus.abstract(p))
        if p.wrap:
            summary = "  " + "\n".join(wrap_lines(summary, 79)) + "\n"
        summary = xml_text(summary)
    vid = "%sv%d" % (p.id, v)
    out = [
        "  <entry>\n    <id>http://arxiv.org/abs/", vid,
        "</id>\n    <title>", xml_text(title),
        "</title>\n    <updated>", iso(ts),
        '</updated>\n    <link href="https://arxiv.org/abs/', vid,
        '" rel="alternate" type="text/html"/>\n    <link href="https://arxiv.org/pdf/', vid,
        '" rel="related" type="application/pdf" title="pdf"/>\n    <summary>', summary,
        "</summary>\n", _cats_xml(p.cats),
        "    <published>", iso(p.published), "</published>\n",
    ]
    if comment:
        out.append("    <arxiv:comment>%s</arxiv:comment>\n" % xml_text(comment))
    out.append('    <arxiv:primary_category term="%s"/>\n' % xml_attr(p.primary))
    if jr:
        out.append("    <arxiv:journal_ref>%s</arxiv:journal_ref>\n" % xml_text(jr))
    for a in p.authors:
        out.append(_author_xml(a))
    if doi:
        out.append("    <arxiv:doi>%s</arxiv:doi>\n" % xml_text(doi))
        out.append('    <link rel="related" href="https://doi.org/%s" title="doi"/>\n' % xml_attr(doi))
    out.append("  </entry>\n")
    return "".join(out)


def entry_xml(corpus, p, version):
    """The <entry> element of a paper (version None: the latest) in UTF-8,
    rendered once per paper and version and kept in p.xml.  Call with the
    state lock held."""
    v = version or len(p.versions)
    cache = p.xml
    if cache is None:
        cache = p.xml = {}
    else:
        b = cache.get(v)
        if b is not None:
            return b
    b = render_entry(corpus, p, v).encode("utf-8")
    cache[v] = b
    corpus.note_xml(len(b))
    return b


def render_feed(corpus, echo_query, id_list, start, max_results, total, items):
    title = "arXiv Query: search_query=%s&id_list=%s&start=%d&max_results=%d" % (
        echo_query, id_list, start, max_results)
    link = "https://arxiv.org/api/query?search_query=%s&start=%d&max_results=%d&id_list=%s" % (
        urllib.parse.quote(echo_query, safe=":/,*()[]\"'"), start, max_results,
        urllib.parse.quote(id_list, safe=":/,"))
    head = "".join([
        FEED_HEAD,
        "  <id>%s</id>\n" % feed_id(title),
        "  <title>%s</title>\n" % xml_text(title),
        "  <updated>%s</updated>\n" % iso(int(time.time())),
        '  <link href="%s" type="application/atom+xml"/>\n' % xml_attr(link),
        "  <opensearch:itemsPerPage>%d</opensearch:itemsPerPage>\n" % max_results,
        "  <opensearch:totalResults>%d</opensearch:totalResults>\n" % total,
        "  <opensearch:startIndex>%d</opensearch:startIndex>\n" % start,
    ])
    out = [head.encode("utf-8")]
    out.extend([entry_xml(corpus, p, v) for p, v in items])
    out.append(b"</feed>\n")
    return b"".join(out)


# ---------------------------------------------------------------------------
# COPY dump

TSV_COLUMNS = ["id", "version", "title", "abstract", "authors", "author_details",
               "primary_category", "categories", "published", "updated",
               "comment", "journal_ref", "doi", "abs_url", "pdf_url"]


def copy_escape(s):
    if s is None:
        return "\\N"
    return (s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r"))


def pg_array(items):
    return "{" + ",".join('"' + x.replace("\\", "\\\\").replace('"', '\\"') + '"'
                          for x in items) + "}"


def tsv_row(corpus, p, fields):
    vals = []
    vid = "%sv%d" % (p.id, len(p.versions))
    for f in fields:
        if f == "id":
            v = p.id
        elif f == "version":
            v = str(len(p.versions))
        elif f == "title":
            v = collapse(p.title)
        elif f == "abstract":
            v = collapse(corpus.abstract(p))
        elif f == "authors":
            v = pg_array([collapse(n) for n, _ in p.authors])
        elif f == "author_details":
            v = json.dumps([{"name": collapse(n), "affiliations": [collapse(a) for a in affs]}
                            for n, affs in p.authors], ensure_ascii=False)
        elif f == "primary_category":
            v = p.primary
        elif f == "categories":
            v = pg_array(list(p.cats))
        elif f == "published":
            v = pg_ts(p.published)
        elif f == "updated":
            v = pg_ts(p.updated)
        elif f == "comment":
            v = collapse(p.comment)
        elif f == "journal_ref":
            v = collapse(p.jr)
        elif f == "doi":
            v = collapse(p.doi)
        elif f == "abs_url":
            v = "https://arxiv.org/abs/" + vid
        elif f == "pdf_url":
            v = "https://arxiv.org/pdf/" + vid
        else:
            raise ValueError(f)
        vals.append(copy_escape(v))
    return "\t".join(vals) + "\n"


# ---------------------------------------------------------------------------
# server state: faults, log, detector

FAULT_KINDS = {"status", "empty_page", "slow", "stall", "truncated", "non_xml",
               "blank", "rate_exceeded", "html_denied", "error_feed_200", "reset"}


class LRU(object):
    """A small least-recently-used map (values are never None)."""

    def __init__(self, size):
        self.size = size
        self.d = collections.OrderedDict()

    def get(self, key):
        v = self.d.get(key)
        if v is not None:
            self.d.move_to_end(key)
        return v

    def put(self, key, value):
        self.d[key] = value
        self.d.move_to_end(key)
        while len(self.d) > self.size:
            self.d.popitem(last=False)

    def clear(self):
        self.d.clear()


class State(object):
    def __init__(self, args, corpus):
        self.args = args
        self.corpus = corpus
        self.lock = threading.RLock()
        self.log_lock = threading.Lock()
        self.logfile = open(args.log, "a", encoding="utf-8") if args.log else None
        self.cache = LRU(64)     # query results and orders, see api_query
        self.prefetch = None if getattr(args, "no_prefetch", False) else Prefetcher(self)
        self.reset()

    def reset(self, corpus_too=True):
        with self.lock:
            self.faults = []
            self.log = []
            self.seq = 0
            self.requests = 0
            self.violations = 0
            self.active = {}
            self.max_concurrent = 0
            self.last_end = None
            self.last_start = None
            self.min_gap = None
            self.min_interval = self.args.min_interval
            self.window = self.args.window
            if corpus_too:
                self.corpus.reset()
                self.cache.clear()
            if getattr(self, "prefetch", None):
                self.prefetch.clear()

    # detector
    #
    # arXiv's limit is one request every request_interval seconds, one
    # connection at a time: a violation is a request that starts while
    # another is in progress, or less than min_interval after the previous
    # request started.
    #
    # A request ends (t_end) when the server starts handing the last chunk
    # of its response to the socket (or closes it): the client cannot have
    # the whole response before that, so a sequential client is never seen
    # as concurrent, and measured gaps are never shorter than the client's.
    def begin(self):
        with self.lock:
            t = time.time()
            self.seq += 1
            seq = self.seq
            self.requests += 1
            unfinished = sum(1 for v in self.active.values() if v is None)
            concurrent = unfinished > 0
            self.active[seq] = None
            self.max_concurrent = max(self.max_concurrent, unfinished + 1)
            gap = None
            if concurrent:
                gap = 0.0
            elif self.last_start is not None:
                gap = t - self.last_start
            self.last_start = t
            if gap is not None:
                self.min_gap = gap if self.min_gap is None else min(self.min_gap, gap)
            violation = concurrent or (self.min_interval > 0 and gap is not None
                                       and gap < self.min_interval)
            if violation:
                self.violations += 1
            return seq, t, gap, concurrent, violation

    def mark_end(self, rec):
        # the record joins the log before the client can have the whole
        # response, so a client that reads the log right after a response
        # (or resets it) always sees (or clears) that request
        with self.lock:
            if rec.get("t_end") is None:
                t = time.time()
                rec["t_end"] = t
                self.log.append(rec)
                if rec["seq"] in self.active:
                    self.active[rec["seq"]] = t
                if self.last_end is None or t > self.last_end:
                    self.last_end = t

    def end(self, rec):
        self.mark_end(rec)
        with self.lock:
            self.active.pop(rec["seq"], None)
        if self.logfile:
            line = json.dumps(rec, ensure_ascii=False)
            with self.log_lock:
                self.logfile.write(line + "\n")
                self.logfile.flush()

    def take_fault(self, text):
        with self.lock:
            for f in self.faults:
                m = f.get("match")
                if m and m not in text:
                    continue
                if f["skip"] > 0:
                    f["skip"] -= 1
                    continue
                if f["count"] > 0:
                    f["count"] -= 1
                    if f["count"] == 0:
                        self.faults.remove(f)
                return dict(f)
            return None

    def stats(self):
        with self.lock:
            return {
                "requests": self.requests,
                "min_interval": self.min_interval,
                "interval_violations": self.violations,
                "max_concurrent": self.max_concurrent,
                "min_gap_seen": self.min_gap,
                "in_progress": len(self.active),
                "window": self.window,
                "pending_faults": len(self.faults),
            }


# ---------------------------------------------------------------------------
# /api/query

def first(params, key, default=None):
    v = params.get(key)
    return v if v is not None else default


def api_query(state, params, items_only=False):
    """(status, content_type, body, info) for a query, without faults.
    info: entries, total, error, echo; plus 'empty_render' to re-render a
    page with no entries (empty_page fault).  With items_only, a valid
    query gives just the list of (Paper, version) of the page instead."""
    corpus = state.corpus
    sq = first(params, "search_query", "")
    id_list = first(params, "id_list", "")
    sort_by = first(params, "sortBy", "relevance") or "relevance"
    sort_order = first(params, "sortOrder", "descending") or "descending"
    raw = first(params, "raw", "") in ("1", "true", "True", "yes")
    atom = "application/atom+xml; charset=utf-8"
    html = "text/html; charset=utf-8"
    info = {"entries": 0, "total": None, "error": None}

    def error(msg, status=400, fragment=True):
        info["error"] = msg
        return status, atom, render_error_feed(msg, fragment), info

    try:
        start = int(first(params, "start", "0") or "0")
    except ValueError:
        return error("start must be an integer")
    try:
        max_results = int(first(params, "max_results", "10") or "10")
    except ValueError:
        return error("max_results must be an integer")
    if start < 0:
        return error("start must be non-negative")
    if max_results < 0:
        return error("max_results must be non-negative")
    if max_results == 0:
        info["error"] = "max_results=0"
        return 500, html, b"<html><body><h1>500 Internal Server Error</h1></body></html>\n", info
    window = state.window
    if start + max_results > window:
        info["error"] = "start + max_results > %d" % window
        if window <= 10000:
            return 500, html, b"<html><body><h1>500 Internal Server Error</h1></body></html>\n", info
        return error("start + max_results must not exceed %d" % window, 400, False)
    if sort_by not in ("relevance", "lastUpdatedDate", "submittedDate"):
        return error("sortBy must be in: relevance, lastUpdatedDate, submittedDate", 400, False)
    if sort_order not in ("ascending", "descending"):
        return error("sortOrder must be in: ascending, descending", 400, False)
    page = min(max_results, MAX_PAGE)

    ids = []
    if id_list.strip():
        seen = set()
        for raw_id in id_list.split(","):
            s = raw_id.strip()
            if not s or s in seen:
                continue
            seen.add(s)
            try:
                ids.append(parse_id(s))
            except ValueError:
                return error("incorrect id format for %s" % s)
    echo = ""
    with state.lock:
        gen = corpus.generation
        matched = None
        ast = None
        if sq.strip():
            try:
                ast, echo = parse_query(sq, lenient=not raw)
            except QueryError:
                return error("Invalid query string: '%s'" % sq, 400, False)
            # the parse tree is the normalised query: the papers it matches
            # and their orders are kept per tree and corpus generation
            key = ("matched", ast, gen)
            matched = state.cache.get(key)
            if matched is None:
                matched = corpus.evaluate(ast)
                state.cache.put(key, matched)
        if ids:
            results = []
            for pid, ver in ids:
                i = corpus.by_id.get(pid)
                if i is None:
                    continue
                p = corpus.papers[i]
                if ver is not None and ver > len(p.versions):
                    continue
                if matched is not None and i not in matched:
                    continue
                results.append((i, ver))
            total = len(results)
            sel = results[start:start + page]
        elif matched is not None:
            skey = ("sorted", ast, sort_by, sort_order, gen)
            order = state.cache.get(skey)
            if order is None:
                order = corpus.sort(matched, sort_by, sort_order)
                state.cache.put(skey, order)
            total = len(order)
            sel = [(i, None) for i in order[start:start + page]]
        else:
            total = 0
            sel = []
        items = [(corpus.papers[i], v) for i, v in sel]
        if items_only:
            return items
        body = render_feed(corpus, echo, id_list, start, max_results, total, items)
    info["entries"] = len(items)
    info["total"] = total
    info["echo"] = echo
    info["empty_render"] = lambda: render_feed(corpus, echo, id_list, start, max_results, total, [])
    return 200, atom, body, info


DENIED_HTML = b"""<!DOCTYPE html>
<html><head><title>Access Denied</title></head>
<body>
<h1>Access Denied</h1>
<p>Sadly, you do not currently appear to have permission to access
https://export.arxiv.org/api/query</p>
<p>If you believe this is an error, please contact help@arxiv.org; automated
clients must identify themselves with a descriptive User-Agent and respect the
API rate limits.</p>
<p>Reference #18.5c3e1302.1700000000.1a2b3c4d</p>
</body></html>
"""


def status_body(code):
    texts = {503: "Service Unavailable", 429: "Too Many Requests",
             500: "Internal Server Error", 502: "Bad Gateway", 504: "Gateway Timeout"}
    t = texts.get(code, "Error")
    return ("<html><head><title>%d %s</title></head><body><h1>%s</h1>"
            "<p>The server is temporarily unable to service your request. "
            "Please try again later.</p></body></html>\n" % (code, t, t)).encode()


class Prefetcher(object):
    """Speculative rendering of the pages a paging client will ask for next.

    After a full page of a large answer, a worker thread renders (and
    gzips, if the client asked for gzip) the next DEPTH pages, while the
    client is busy with the page it has.  A prepared answer is used only
    when it is exactly what api_query would produce at that moment: same
    parameters, same corpus generation, same window, and the same second
    (the feed's <updated>); otherwise the request is answered as usual.
    Faults, the request log and the rate detector see every request as
    before.  --no-prefetch turns this off."""

    MIN_BYTES = 256 << 10        # smaller pages are cheap enough to render
    DEPTH = 2                    # pages prepared ahead of the client
    KEEP = 4                     # prepared answers kept

    def __init__(self, state):
        self.state = state
        self.cond = threading.Condition()
        self.pending = []            # [(key, params, gzip)] for the worker, in order
        self.running = None          # the key being rendered
        self.done = collections.OrderedDict()   # key -> (second, gen, window, answer)
        threading.Thread(target=self._run, name="prefetch", daemon=True).start()

    @staticmethod
    def key(params, gz):
        return (tuple(sorted(params.items())), gz)

    def clear(self):
        with self.cond:
            self.pending = []
            self.done.clear()

    def after(self, params, status, info, nbytes, gz):
        """Called after answering params: queue the pages that follow (the
        latest client's pages replace what was queued before)."""
        if status != 200 or nbytes < self.MIN_BYTES:
            return
        try:
            start = int(first(params, "start", "0") or "0")
            max_results = int(first(params, "max_results", "10") or "10")
        except ValueError:
            return
        entries, total = info["entries"], info["total"]
        page = min(max_results, MAX_PAGE)
        if not entries or entries < page or total is None:
            return
        jobs = []
        nxt = start + entries
        for _ in range(self.DEPTH):
            if nxt >= total or nxt + max_results > self.state.window:
                break
            following = dict(params)
            following["start"] = str(nxt)
            jobs.append((self.key(following, gz), following, gz))
            nxt += page
        with self.cond:
            self.pending = [j for j in jobs if j[0] != self.running and j[0] not in self.done]
            if self.pending:
                self.cond.notify_all()

    def take(self, params, gz):
        """The prepared answer (status, ctype, body, info, gzipped body or
        None) for params if it is valid now, else None."""
        key = self.key(params, gz)
        with self.cond:
            for j in self.pending:
                if j[0] == key:       # not started: answer it directly
                    self.pending.remove(j)
                    return None
            deadline = time.time() + 30
            while self.running == key and time.time() < deadline:
                self.cond.wait(0.5)
            res = self.done.pop(key, None)
        if res is None:
            return None
        second, gen, window, answer = res
        state = self.state
        with state.lock:
            if gen != state.corpus.generation or window != state.window:
                return None
            if second != int(time.time()):
                return None
        return answer

    def _run(self):
        while True:
            with self.cond:
                while not self.pending:
                    self.cond.wait()
                key, params, gz = self.pending.pop(0)
                self.running = key
            try:
                res = self._render(params, gz)
            except Exception:        # the request will be answered directly
                res = None
            with self.cond:
                self.running = None
                if res is not None:
                    self.done[key] = res
                    while len(self.done) > self.KEEP:
                        self.done.popitem(last=False)
                self.cond.notify_all()

    def _render(self, params, gz):
        state = self.state
        corpus = state.corpus
        with state.lock:
            gen = corpus.generation
            items = api_query(state, params, items_only=True)
        if not isinstance(items, list):
            return None
        # entries not rendered yet are rendered a few at a time, so that a
        # request (its start, for the rate detector) never waits long for
        # the lock
        for k in range(0, len(items), 50):
            with state.lock:
                if corpus.generation != gen:
                    return None
                for p, v in items[k:k + 50]:
                    entry_xml(corpus, p, v)
        with state.lock:
            gen = corpus.generation
            window = state.window
            second = int(time.time())
            status, ctype, body, info = api_query(state, params)
            if int(time.time()) != second or status != 200:
                return None
        zbody = gzip.compress(body, 6, mtime=0) if gz and body else None
        return second, gen, window, (status, ctype, body, info, zbody)


# ---------------------------------------------------------------------------
# replay mode

class Replay(object):
    """--replay DIR: answer from responses saved in advance, so that a
    benchmark (test/bench) times its client without the time the mock
    takes to generate answers.

    DIR/index.json: [{"method": ..., "params": {...}, "file": "page-000.xml"}].
    A request (query string and form body, on any path) whose decoded
    parameters equal an entry's params is answered with that file, anything
    else with a 404.  The files are read and gzipped once, at start-up:
    nothing is computed per request but the lookup, so that the figures do
    not depend on the mock's speed.  No corpus, faults or request log;
    GET /_replay/stats gives {"hits", "misses"}."""

    def __init__(self, directory):
        with open(os.path.join(directory, "index.json")) as f:
            index = json.load(f)
        self.answers = {}            # key -> (body, body gzipped)
        for e in index:
            with open(os.path.join(directory, e["file"]), "rb") as f:
                raw = f.read()
            self.answers[self.key(e["params"])] = (raw, gzip.compress(raw, 6, mtime=0))
        self.lock = threading.Lock()
        self.stats = {"hits": 0, "misses": 0}

    @staticmethod
    def key(params):
        return tuple(sorted((k, str(v)) for k, v in params.items()))

    def serve(self, handler, url, body):
        if url.path == "/_replay/stats":
            with self.lock:
                stats = dict(self.stats)
            return handler.send_json(stats)
        params = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        params.update(urllib.parse.parse_qsl(body.decode("utf-8", "replace"),
                                             keep_blank_values=True))
        answer = self.answers.get(self.key(params))
        with self.lock:
            self.stats["hits" if answer else "misses"] += 1
        if answer is None:
            return handler.send_answer(404, "text/plain", b"not in the replay set\n")
        raw, zipped = answer
        handler.send_answer(200, ATOM_CTYPE, raw, gzip_ok=True, zbody=zipped)


# ---------------------------------------------------------------------------
# HTTP

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "arxiv-mock/1.0"
    sys_version = ""
    state = None  # set in main
    replay = None  # a Replay in --replay mode (set in main)

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("%s - %s\n" % (self.address_string(), fmt % args))

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_DELETE(self):
        self.route("DELETE")

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                line = self.rfile.readline()
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def route(self, method):
        try:
            url = urllib.parse.urlsplit(self.path)
            body = self.read_body() if method in ("POST", "DELETE") else b""
            if self.replay is not None:
                return self.replay.serve(self, url, body)
            if url.path in ("/api/query", "/api/query/"):
                if method == "DELETE":
                    return self.send_answer(405, "text/plain", b"method not allowed\n")
                return self.handle_query(method, url.query, body)
            if url.path.startswith("/_mock/"):
                return self.handle_control(method, url.path[len("/_mock/"):], url.query, body)
            if url.path == "/oai" or url.path.startswith("/oai/"):
                import oai_mock     # the OAI-PMH endpoint (oai_mock.py)
                return oai_mock.route(self, method, url.path, url.query, body)
            self.send_answer(404, "text/plain; charset=utf-8", b"not found\n")
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            self.close_connection = True

    # -- writing responses --------------------------------------------------
    # Every response of the mock goes out through send_answer: the Atom API,
    # the OAI-PMH endpoint (oai_mock.py), the control API and --replay.

    def accepts_gzip(self):
        return bool(re.search(r"\bgzip\b", self.headers.get("Accept-Encoding") or ""))

    def send_answer(self, status, ctype, body, extra=None, gzip_ok=False, zbody=None,
                    rec=None, fault=None):
        """Status line, Content-Type, Content-Length, the extra headers (a
        dict, in its order), then the body.

        gzip_ok: the encoding is negotiated (the Atom API, --replay): a
        non-empty body is sent gzipped (zbody: gzipped in advance) if the
        client accepts gzip, and Vary: Accept-Encoding is sent either way.
        rec: the log record of an API request: the body goes out in chunks
        and the request ends (mark_end) as the last one is handed to the
        socket, so that the log is complete once the client has the answer
        (README, "Rate detector").  Without rec the body is one write.
        fault: a "truncated" or "stall" fault (with rec) is applied to the
        body; other kinds were dealt with by the caller."""
        headers = list((extra or {}).items())
        if gzip_ok:
            if body and self.accepts_gzip():
                body = zbody if zbody is not None else gzip.compress(body, 6, mtime=0)
                headers.append(("Content-Encoding", "gzip"))
            headers.append(("Vary", "Accept-Encoding"))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        if rec is None:
            self.end_headers()
            self.wfile.write(body)
            return
        if not body:
            self.state.mark_end(rec)     # the headers are the whole answer
        self.end_headers()
        kind = fault["kind"] if fault else None
        if kind == "truncated":
            self.send_truncated(body, fault, rec)
        elif kind == "stall":
            self.send_stalled(body, fault, rec)
        else:
            self.write_body(body, rec)

    def send_truncated(self, body, fault, rec):
        """Fault "truncated": the first bytes of the body (never all of it,
        so that the Content-Length is short), then the connection is shut
        down, as when the network drops a response."""
        cut = int(fault.get("bytes", len(body) // 2))
        cut = max(0, min(cut, max(len(body) - 1, 0)))
        self.write_body(body[:cut], rec)
        self.state.mark_end(rec)
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def send_stalled(self, body, fault, rec):
        """Fault "stall": part of the body, a pause of "delay" seconds, then
        the rest, unless the client gives up (closes) during the pause."""
        cut = int(fault.get("bytes", len(body) // 2))
        cut = max(0, min(cut, len(body)))
        self.write_body(body[:cut], rec, final=False)
        if not self.wait(float(fault.get("delay", 30)), rec):
            self.state.mark_end(rec)
            return
        self.write_body(body[cut:], rec)

    def send_reset(self, rec):
        """Fault "reset": no answer, the connection closed with a TCP RST
        (SO_LINGER 0) rather than a FIN."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.state.mark_end(rec)
        self.connection.close()

    def send_json(self, obj, status=200):
        body = (json.dumps(obj, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
        self.send_answer(status, "application/json; charset=utf-8", body)

    # -- the API ------------------------------------------------------------

    def handle_query(self, method, qs, body):
        state = self.state
        state.corpus.ready.wait()
        pairs = urllib.parse.parse_qsl(qs, keep_blank_values=True)
        if method == "POST" and body:
            pairs += urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        params = {}
        for k, v in pairs:
            params[k] = v          # later (body) values win
        decoded = urllib.parse.unquote_plus(qs)
        if method == "POST" and body:
            decoded += "&" + urllib.parse.unquote_plus(body.decode("utf-8", "replace"))
        seq, t_start, gap, concurrent, violation = state.begin()
        rec = {"seq": seq, "t_start": t_start, "t_end": None, "method": method,
               "params": params, "status": None, "entries": 0, "total": None,
               "bytes": 0, "fault": None, "gap": gap, "concurrent": concurrent,
               "violation": violation,
               "user_agent": self.headers.get("User-Agent"),
               "gzip": "gzip" in (self.headers.get("Accept-Encoding") or "")}
        try:
            fault = state.take_fault(decoded)
            if fault:
                rec["fault"] = fault["kind"]
            self.serve_query(params, fault, rec)
        except (BrokenPipeError, ConnectionResetError, socket.timeout, OSError) as e:
            rec["client_error"] = type(e).__name__
            self.close_connection = True
        finally:
            state.end(rec)

    def wait(self, delay, rec):
        """Sleep, but stop early (False) when the client closes the connection."""
        end = time.time() + delay
        while True:
            left = end - time.time()
            if left <= 0:
                return True
            r, _, _ = select.select([self.connection], [], [], min(left, 0.1))
            if r:
                try:
                    data = self.connection.recv(1, socket.MSG_PEEK)
                except OSError:
                    data = b""
                if not data:
                    rec["client_closed"] = True
                    self.close_connection = True
                    return False
                time.sleep(min(left, 0.1))   # a pipelined request: keep it

    def write_body(self, data, rec, final=True):
        """Write in chunks; the request ends as the last chunk goes out."""
        n = len(data)
        view = memoryview(data)
        pos = 0
        while pos < n:
            end = min(n, pos + 65536)
            if final and end == n:
                self.state.mark_end(rec)
            self.wfile.write(view[pos:end])
            rec["bytes"] += end - pos
            pos = end
        self.wfile.flush()

    def serve_query(self, params, fault, rec):
        state = self.state
        kind = fault["kind"] if fault else None
        if kind == "reset":
            return self.send_reset(rec)
        if kind == "slow":
            if not self.wait(float(fault.get("delay", 5)), rec):
                return
        extra = {}
        atom = ATOM_CTYPE
        want_gzip = self.accepts_gzip()
        zbody = None                 # the body gzipped in advance, if it was
        if kind == "status":
            code = int(fault.get("status", 503))
            ctype = fault.get("content_type", "text/html; charset=utf-8")
            body = fault["body"].encode() if "body" in fault else status_body(code)
            if fault.get("retry_after") is not None:
                extra["Retry-After"] = str(fault["retry_after"])
            status = code
        elif kind == "non_xml":
            status, ctype = 200, fault.get("content_type", "text/plain; charset=utf-8")
            body = fault.get("body", "Service temporarily unavailable; please retry later.\n").encode()
        elif kind == "blank":
            status, ctype, body = 200, atom, b""
        elif kind == "rate_exceeded":
            status, ctype, body = 200, "text/plain", b"Rate exceeded."
        elif kind == "html_denied":
            status, ctype, body = int(fault.get("status", 403)), "text/html; charset=utf-8", DENIED_HTML
        elif kind == "error_feed_200":
            msg = fault.get("message") or "Invalid query string: '%s'" % params.get("search_query", "")
            status, ctype, body = 200, atom, render_error_feed(msg, fragment=False)
            rec["error"] = msg
        else:
            answer = state.prefetch.take(params, want_gzip) if state.prefetch else None
            if answer is not None:
                status, ctype, body, info, zbody = answer
            else:
                status, ctype, body, info = api_query(state, params)
            rec["entries"] = info["entries"]
            rec["total"] = info["total"]
            if info.get("error"):
                rec["error"] = info["error"]
            if kind == "empty_page" and status == 200:
                body = info["empty_render"]()
                zbody = None
                rec["entries"] = 0
            if state.prefetch and kind is None:
                state.prefetch.after(params, status, info, len(body), want_gzip)
        rec["status"] = status
        self.send_answer(status, ctype, body, extra, gzip_ok=True, zbody=zbody,
                         rec=rec, fault=fault)

    # -- control ------------------------------------------------------------

    def handle_control(self, method, path, qs, body):
        state = self.state
        if path != "health":
            state.corpus.ready.wait()
        q = dict(urllib.parse.parse_qsl(qs, keep_blank_values=True))
        try:
            payload = json.loads(body.decode("utf-8")) if body.strip() else {}
        except ValueError as e:
            return self.send_json({"error": "bad JSON: %s" % e}, 400)
        if path == "log" and method == "GET":
            since = int(q.get("since", 0))
            with state.lock:
                recs = sorted((r for r in state.log if r["seq"] > since), key=lambda r: r["seq"])
            return self.send_json(recs)
        if path == "reset" and method == "POST":
            state.reset(corpus_too=payload.get("corpus", True) if isinstance(payload, dict) else True)
            return self.send_json({"ok": True, "papers": len(state.corpus.papers)})
        if path == "stats" and method == "GET":
            return self.send_json(state.stats())
        if path == "health" and method == "GET":
            return self.send_json({"ok": True, "ready": state.corpus.ready.is_set(),
                                   "papers": len(state.corpus.papers)})
        if path == "info" and method == "GET":
            with state.lock:
                return self.send_json(state.corpus.info())
        if path == "config" and method == "POST":
            with state.lock:
                if "min_interval" in payload:
                    state.min_interval = float(payload["min_interval"])
                if "window" in payload:
                    state.window = int(payload["window"])
                return self.send_json({"min_interval": state.min_interval, "window": state.window})
        if path == "fault":
            if method == "GET":
                with state.lock:
                    return self.send_json(state.faults)
            if method == "DELETE" or (isinstance(payload, dict) and payload.get("clear")):
                with state.lock:
                    state.faults = []
                return self.send_json({"ok": True, "pending": 0})
            specs = payload if isinstance(payload, list) else [payload]
            new = []
            for spec in specs:
                if not isinstance(spec, dict) or spec.get("kind") not in FAULT_KINDS:
                    return self.send_json({"error": "kind must be one of %s" % sorted(FAULT_KINDS)}, 400)
                f = dict(spec)
                f["count"] = int(f.get("count", 1))
                f["skip"] = int(f.get("skip", 0))
                new.append(f)
            with state.lock:
                state.faults.extend(new)
                pending = len(state.faults)
            return self.send_json({"ok": True, "faults": new, "pending": pending})
        if path == "corpus" and method == "POST":
            return self.corpus_edit(payload)
        if path in ("corpus.tsv", "corpus.json") and method == "GET":
            return self.corpus_dump(path, q)
        return self.send_json({"error": "unknown control endpoint %s %s" % (method, path)}, 404)

    def corpus_edit(self, payload):
        state = self.state
        corpus = state.corpus
        if not isinstance(payload, dict):
            return self.send_json({"error": "object expected"}, 400)
        out = {"ids": []}
        try:
            with state.lock:
                if payload.get("add_new"):
                    cats = payload.get("categories")
                    if isinstance(cats, str):
                        cats = [cats]
                    ids = corpus.add_new(int(payload["add_new"]), cats, payload.get("title"))
                    out["added"] = ids
                    out["ids"] += ids
                if payload.get("new_version"):
                    specs = payload["new_version"]
                    if not isinstance(specs, list):
                        specs = [specs]
                    res = [corpus.new_version(s, payload.get("title")) for s in specs]
                    out["new_versions"] = res
                    out["ids"] += [r["id"] for r in res]
                if payload.get("add"):
                    ents = payload["add"]
                    if isinstance(ents, dict):
                        ents = [ents]
                    ids = [corpus.add_entry(e) for e in ents]
                    out["ids"] += ids
                state.cache.clear()
                out["papers"] = len(corpus.papers)
        except KeyError as e:
            return self.send_json({"error": "unknown id %s" % e}, 404)
        except (ValueError, TypeError) as e:
            return self.send_json({"error": str(e)}, 400)
        return self.send_json(out)

    def corpus_dump(self, path, q):
        state = self.state
        corpus = state.corpus
        fields = [f.strip() for f in q.get("fields", ",".join(TSV_COLUMNS)).split(",") if f.strip()]
        bad = [f for f in fields if f not in TSV_COLUMNS]
        if bad:
            return self.send_json({"error": "unknown fields %s; known: %s" % (bad, TSV_COLUMNS)}, 400)
        with state.lock:
            if q.get("search_query"):
                try:
                    ast, _ = parse_query(q["search_query"])
                except QueryError:
                    return self.send_json({"error": "Invalid query string"}, 400)
                idxs = corpus.evaluate(ast)
            else:
                idxs = range(len(corpus.papers))
            if q.get("id_list"):
                want = set()
                for s in q["id_list"].split(","):
                    try:
                        want.add(parse_id(s.strip())[0])
                    except ValueError:
                        pass
                idxs = [i for i in idxs if corpus.papers[i].id in want]
            papers = sorted((corpus.papers[i] for i in idxs), key=lambda p: p.id)
            if path == "corpus.json":
                rows = []
                for p in papers:
                    rows.append({
                        "id": p.id, "version": len(p.versions), "title": collapse(p.title),
                        "abstract": collapse(corpus.abstract(p)),
                        "authors": [n for n, _ in p.authors],
                        "author_details": [{"name": n, "affiliations": list(a)} for n, a in p.authors],
                        "primary_category": p.primary, "categories": list(p.cats),
                        "published": iso(p.published), "updated": iso(p.updated),
                        "comment": collapse(p.comment), "journal_ref": collapse(p.jr),
                        "doi": p.doi,
                        "abs_url": "https://arxiv.org/abs/%sv%d" % (p.id, len(p.versions)),
                        "pdf_url": "https://arxiv.org/pdf/%sv%d" % (p.id, len(p.versions)),
                    })
                return self.send_json(rows)
            parts = []
            if q.get("header") in ("1", "true"):
                parts.append("\t".join(fields) + "\n")
            parts.extend(tsv_row(corpus, p, fields) for p in papers)
        body = "".join(parts).encode("utf-8")
        self.send_answer(200, "text/tab-separated-values; charset=utf-8", body)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def main(argv=None):
    ap = argparse.ArgumentParser(description="Mock arXiv API server for arxiv_fdw tests")
    ap.add_argument("--port", type=int, default=0, help="0: pick a free port (printed)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--corpus-size", type=int, default=60000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--seed-corpus", default=DEFAULT_SEED_CORPUS)
    ap.add_argument("--log", help="append request records (JSON lines) to this file")
    ap.add_argument("--min-interval", type=float, default=0.0,
                    help="rate detector threshold in seconds (0: off)")
    ap.add_argument("--window", type=int, default=10000,
                    help="start+max_results limit: <=10000 answers HTTP 500 past it, "
                         "larger (30000) an HTTP 400 error feed")
    ap.add_argument("--pidfile")
    ap.add_argument("--no-prefetch", action="store_true",
                    help="do not render the next page of a large answer in advance")
    ap.add_argument("--replay", metavar="DIR",
                    help="serve only the responses saved in DIR (DIR/index.json), "
                         "for benchmarks; see class Replay")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)

    t0 = time.time()
    corpus = state = None
    if args.replay:
        Handler.replay = Replay(args.replay)
        # headers and body go out in separate writes: without TCP_NODELAY the
        # body can wait for the client's delayed ACK (up to 40 ms a response).
        # Only here: the generating mock keeps the timing it has always had.
        Handler.disable_nagle_algorithm = True
    else:
        gc.disable()            # the build allocates millions of small objects
        corpus = Corpus(args.corpus_size, args.seed, args.seed_corpus, index=False)
        state = State(args, corpus)
        Handler.state = state
    server = Server((args.host, args.port), Handler)
    server.verbose = args.verbose
    port = server.server_address[1]
    if args.pidfile:
        with open(args.pidfile, "w") as fh:
            fh.write("%d\n" % os.getpid())

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def index():
        corpus.build_index()
        gc.freeze()
        gc.enable()
        if args.verbose:
            sys.stderr.write("arxiv_mock: index ready after %.2fs\n" % (time.time() - t0))

    if args.replay:
        sys.stdout.write("arxiv_mock replaying on http://%s:%d/api/query (%d responses from %s)\n"
                         % (args.host, port, len(Handler.replay.answers), args.replay))
    else:
        threading.Thread(target=index, name="index", daemon=True).start()
        sys.stdout.write("arxiv_mock listening on http://%s:%d/api/query (%d papers, %.2fs)\n"
                         % (args.host, port, len(corpus.papers), time.time() - t0))
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        if args.pidfile:
            try:
                os.unlink(args.pidfile)
            except OSError:
                pass
        if state and state.logfile:
            state.logfile.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
