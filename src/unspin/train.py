"""`unspin train`: learn the engine's weights from spinner output over clean prose of many registers.

Reproducible (fixed seeds), trains on the corpus's train split only, chooses thresholds on the dev split, and
writes unspin/data/model.json. Every number is computed by the engine's own stages (extract.piece_spans,
score_pairs, span_table, second_pass, doc_features, the same gate): training sees what checking sees.

Conditions: each training document gets one spinner condition drawn by seed — Moby or WordNet synonyms, crude
or careful style, several rates — or stays clean. Half of the spun documents are read by a detector that does
not have the spinner's thesaurus (real spinners use thesauri we do not have). Debian mythes-en-us never spins
here: it is the benchmark's held-out spinner for the *cross* condition.

Stages: (1) the ranker (conditional logit over each spun span's candidates); (2) the detector, on every span
with candidates seen through the ranker; (3) the gate, boosted trees on facts of the span alone taught which spans
the detector finds suspicious (its threshold keeps 97 % of those on dev); (4) the second pass with the document's
evidence; (5) the document model; (6) thresholds on dev: `finding` at ≤ 1 false finding per 1,000 words and
`suspect` at ≤ 5 in every register, the `spun` verdict at ≤ 1 % of clean documents in every register.
"""
from __future__ import annotations

import json
import random
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import corpus as corpus_mod
from . import decide, document, engine, extract
from . import features as F
from .metrics import per_1000
from .model import SHORT_TEXT_WORDS, Logistic, Model, Trees, fit_conditional_logit

# (spinner thesaurus, style, rate, weight); None = clean
TRAIN_CONDITIONS = (
    ("moby", "crude", 0.1, 2),
    ("moby", "crude", 0.25, 2),
    ("moby", "careful", 0.2, 1),
    ("moby", "careful", 0.35, 1),
    ("wordnet", "crude", 0.15, 2),
    ("wordnet", "careful", 0.3, 1),
    (None, None, 0.0, 9),  # half the documents stay clean: false alarms are what users pay for
)
LEAVE_OUT_SHARE = 0.5  # spun documents read by a detector without the spinner's thesaurus
CONSISTENT_SHARE = 0.5  # spun documents whose spinner reuses its choice for a repeated word
SNIPPET_SHARE = 0.2  # documents cut to 1–4 lines: users paste a sentence or two
# extra documents: a spun document of PART_MIN_WORDS+ words again (PART_SHARE of them), spun only in a stretch of
# whole sentences (PART_SPAN of the words), the rest left as written: someone else's spun text pasted into one's own.
# Only the findings' second pass learns from them that the text around a span (decide.EvidenceMap) can say more than
# the whole document; every other stage learns from the whole documents alone, as before
PART_SHARE = 0.5
PART_MIN_WORDS = 200
PART_SPAN = (0.2, 0.5)
# extra long documents: whole documents of one register joined into texts of JOIN_WORDS words (JOIN_SHARE of each
# register's words again), half left as written, half spun in a stretch of JOIN_SPAN of their words. Users check whole
# papers and speeches, while corpus documents stop at ~900 words: in a long honest text some stretch always holds a
# chance cluster of rare-but-right words, and the local context (decide.EvidenceMap) must learn what chance gives
# there (2026-12-01: whole inaugural addresses 3.8 -> 5.4 false suspects per 1,000 words with the local context
# learned from short documents only). Only the findings' second pass learns from them and the span thresholds count
# their false alarms; every document-level stage ignores them (_joined). Measured 2026-12-02 (a findings-pass refit
# of the shipped model, not shipped): whole inaugural addresses 5.4 -> 4.9 false suspects per 1,000 words, fiction
# excerpts 1.2 -> 0.9, a spun passage in an honest host 33 -> 35 % found; but texts whose findings change under a
# neutral edit rose 33-39 -> 48-55 of 391 spun ones: the second pass leans on the document's evidence more, and that
# evidence jumps when the document's register columns (function_share, unlinked_share, sentence_len, register_zipf:
# the detector's most used splits, the same for every span of a document) cross a split. Fix that first
# (BENCHMARKS.md, 2026-12-02 night: two full retrains without those columns or with them coarse)
JOIN_WORDS = (1500, 5000)
JOIN_SHARE = 1.0
JOIN_SPAN = (0.05, 0.3)
JOIN_PREFIX = "join:"
# registers whose honest vocabulary looks most like spinner output (archaic, literary): extra clean training
# documents teach the detector what rare-but-right words look like there
HARD_REGISTERS = ("fiction-gutenberg", "nltk-pd-speeches", "multigenre-gum", "multigenre-masc")
PRE_NEGATIVES = 200  # sampled wrong candidates per spun span for the pre-ranker's conditional logit
POOL_K = 48  # candidates per span the pre-ranker keeps for the full window (chosen for ≥ 98 % of originals)
FINDING_FP = 1.0  # false findings per 1,000 clean words allowed in every register (with a dev margin)
SUSPECT_FP = 5.0
MARGIN = 0.75  # dev is small: thresholds aim at this share of the budget
DOC_SPUN_FP = 0.01  # share of clean documents (150+ words) allowed a `spun` verdict in every register
# The gate keeps GATE_KEEP of the spans the detector puts at GATE_FLOOR or more: low enough that the spans whose
# evidence the document score weighs stay (dev, 2026-11-30: as many of the spans at 0.1+ as the earlier logistic gate
# kept, more of those at 0.3+: 97.4 % against 97.0 %), with 16 % fewer spans scored
GATE_KEEP = 0.95
GATE_FLOOR = 0.1
SUSPECT_MIN = 0.3  # the lowest span probability shown to a person as a suspect (the dev budget may allow lower: the
# test split's old speeches then passed 5 false suspects per 1,000 words)


@dataclass
class Task:
    doc: corpus_mod.Doc
    source: str | None
    style: str | None
    rate: float
    seed: int
    leave_out: bool
    consistent: bool = True  # the spinner reuses its choice for a repeated word (dictionary tools do)
    part: bool = False  # only a stretch of the document is spun (PART_SHARE), when it is long enough
    stretch: tuple = PART_SPAN  # the share of the words that stretch holds (JOIN_SPAN for joined documents)

    @property
    def partial(self) -> bool:
        return self.part and self.source is not None and len(self.doc.text.split()) >= PART_MIN_WORDS

    @property
    def condition(self) -> str:
        if self.source is None:
            return "clean"
        return (f"{self.source}/{self.style}/{self.rate}" + ("/unseen" if self.leave_out else "")
                + ("/part" if self.partial else ""))


@dataclass
class DocData:
    """One labelled document as the engine sees it."""

    id: str
    register: str
    condition: str
    words: int
    n_true: int  # spun spans the spinner made
    G: np.ndarray  # GATE_FEATURES of every span
    spun_all: np.ndarray  # bool per span: the spinner made exactly this span
    scored: np.ndarray  # indexes (into all spans) of spans with candidates
    M: np.ndarray  # SPAN_FEATURES of the scored spans (through the ranker used at extraction)
    start: np.ndarray  # of the scored spans
    end: np.ndarray
    top1: np.ndarray  # best candidate form id of each scored span
    top3: np.ndarray  # (n, 3) best three
    truth_form: np.ndarray  # lower-cased original's form id per scored span (−1 not spun / unknown form)
    in_pool: np.ndarray  # bool: the original is among the scored span's candidates
    rank_X: list = field(default_factory=list)  # ranker rows of spun spans (truth first), when collected
    doc_register: document.Register = field(default_factory=document.Register)  # DocStats.register
    chars: int = 0  # length of the (spun) text: where a span lies in it (decide.EvidenceMap)


def _detector_sources(task: Task, available: tuple[str, ...]) -> tuple[str, ...]:
    if task.source is None or not task.leave_out:
        return available
    rest = tuple(s for s in available if s != task.source)
    return rest or available


def _spin(task: Task):
    from .spin import SpinOptions, spin

    if task.source is None:
        return task.doc.text, None
    opts = SpinOptions.for_style(task.style, sources=(task.source,), rate=task.rate, consistent=task.consistent)
    if task.partial:
        return _spin_part(task.doc.text, task.seed, opts, task.stretch)
    res = spin(task.doc.text, seed=task.seed, options=opts)
    return res.text, res


def part_bounds(text: str, seed: int, share: tuple = PART_SPAN) -> tuple[int, int]:
    """(start, end) of a stretch of whole sentences holding `share` (a range) of the words of `text` (drawn by
    `seed`); (0, len(text)) when the text has too few sentences to keep some as written."""
    from .text import sentences, tokenize

    sents = [(s[0].start, s[-1].end) for s in sentences(tokenize(text), text) if s]
    if len(sents) < 3:
        return 0, len(text)
    rng = random.Random(seed ^ 0x5EED)
    sizes = np.array([len(text[a:b].split()) for a, b in sents], dtype=np.float64)
    want = rng.uniform(*share) * sizes.sum()
    i = rng.randrange(len(sents))
    j = i + 1
    while j < len(sents) and sizes[i:j].sum() < want:
        j += 1
    while i > 0 and sizes[i:j].sum() < want:
        i -= 1
    if i == 0 and j == len(sents):
        return 0, len(text)
    return sents[i][0], sents[j - 1][1]


def _spin_part(text: str, seed: int, opts, share: tuple = PART_SPAN):
    """Spin only the stretch `part_bounds` picks; the words before and after it stay byte-identical."""
    from types import SimpleNamespace

    from .spin import spin

    a, b = part_bounds(text, seed, share)
    res = spin(text[a:b], seed=seed, options=opts)
    spans = [SimpleNamespace(start=s.start + a, end=s.end + a, original=s.original) for s in res.spans]
    out = text[:a] + res.text + text[b:]
    return out, SimpleNamespace(text=out, spans=spans)


def _truth_rows(pairs_cand, ends, sp_idx, sp_truth, lex) -> tuple[np.ndarray, np.ndarray]:
    """(original's form id, row of the original among the span's candidates or −1) per span group."""
    m = len(sp_idx)
    tform = np.full(m, -1, dtype=np.int64)
    tpos = np.full(m, -1, dtype=np.int64)
    for j, i in enumerate(sp_idx.tolist()):
        orig = sp_truth[i]
        if orig is None:
            continue
        f = lex.form_id.get(orig, -1)
        tform[j] = f
        a, b = ends[j], ends[j + 1]
        c = pairs_cand[a:b]
        hit = np.nonzero(c == f)[0] if f >= 0 else np.zeros(0, dtype=np.int64)
        if not len(hit) and f >= 0:
            hit = np.nonzero(lex.lemma[c] == lex.lemma[f])[0]  # another form of the original: still right
        if len(hit):
            tpos[j] = a + int(hit[0])
    return tform, tpos


def extract_doc(task: Task, model: Model | None = None, mode: str = "spans", rng_seed: int = 0) -> DocData:
    """Spin the task's document and run the engine's stages on it, with no gate (every span is scored).

    mode "pre": stage-1 rows (PRE_FEATURES) of the spun spans' candidates, the original first, for the
    pre-ranker; "rank": the full PAIR_FEATURES of the candidates the pre-ranker keeps for the spun spans, for
    the ranker; "spans": every span through the pre-ranker and ranker of `model`, for everything else."""
    from .knowledge.thesaurus import available_sources

    text, res = _spin(task)
    k = engine.knowledge(_detector_sources(task, available_sources()))
    lex = k.lex
    truth = {(s.start, s.end): s.original.lower() for s in res.spans} if res else {}
    stats = document.doc_stats(text, k)
    G_all, spun_all, scored_all, M_all, st_all, en_all, t1_all, t3_all, tf_all, ip_all = ([] for _ in range(10))
    rank_X: list[np.ndarray] = []
    rng = np.random.default_rng(rng_seed)
    offset = 0
    for base, piece in document.pieces(text):
        spans = extract.piece_spans(piece, base, k, stats)
        n = len(spans)
        if n == 0:
            continue
        G_all.append(extract.gate_matrix(spans))
        sp_truth = [truth.get((int(a), int(b))) for a, b in zip(spans.start, spans.end)]
        spun = np.array([t is not None for t in sp_truth], dtype=bool)
        spun_all.append(spun)
        topic = extract.piece_topic(spans, k)
        if mode == "pre":
            got = extract.candidate_rows(spans, np.nonzero(spun)[0], k, stats)
            if got is not None:
                idx, span_of, cand, cols, _ = got
                P = extract.pre_matrix(cols)
                ends = np.append(np.searchsorted(span_of, np.arange(len(idx))), len(cand))
                tform, tpos = _truth_rows(cand, ends, idx, sp_truth, lex)
                ip_all.append(tpos >= 0)
                for j in np.nonzero(tpos >= 0)[0].tolist():
                    a, b = int(ends[j]), int(ends[j + 1])
                    others = np.setdiff1d(np.arange(a, b), [tpos[j]])
                    if len(others) > PRE_NEGATIVES:
                        others = rng.choice(others, PRE_NEGATIVES, replace=False)
                    rank_X.append(np.vstack([P[tpos[j]], P[others]]).astype(np.float32))
                    # the original's rank among all the span's candidates by the pre-ranker is measured later
            offset += n
            continue
        idx = np.nonzero(spun)[0] if mode == "rank" else np.arange(n)
        pairs = extract.score_pairs(spans, idx, k, stats, topic, model.preranker, model.pool_k)
        m = len(pairs.idx)
        if m:
            ends = np.append(pairs.starts, len(pairs.cand))
            tform, tpos = _truth_rows(pairs.cand, ends, pairs.idx, sp_truth, lex)
            ip_all.append(tpos >= 0)
            tf_all.append(tform)
            if mode == "rank":
                for j in np.nonzero(tpos >= 0)[0].tolist():
                    a, b = int(ends[j]), int(ends[j + 1])
                    order = np.concatenate([[tpos[j]], np.setdiff1d(np.arange(a, b), [tpos[j]])])
                    rank_X.append(pairs.X[order].astype(np.float32))
            else:
                probs = extract.rank(pairs, model.ranker)
                near = F.near_rare(spans.first, spans.gate["text_zipf"])
                M_all.append(extract.span_table(spans, pairs, probs, k, stats, topic, near).astype(np.float32))
                best3 = np.full((m, 3), -1, dtype=np.int64)
                for j in range(m):
                    a, b = int(ends[j]), int(ends[j + 1])
                    o = np.argsort(-probs[a:b], kind="stable")[:3]
                    best3[j, : len(o)] = pairs.cand[a + o]
                t3_all.append(best3)
                t1_all.append(best3[:, 0])
            scored_all.append(offset + pairs.idx)
            st_all.append(spans.start[pairs.idx])
            en_all.append(spans.end[pairs.idx])
        offset += n

    def cat(xs, dtype, shape=(0,)):
        return np.concatenate(xs) if xs else np.zeros(shape, dtype=dtype)

    return DocData(
        id=task.doc.id, register=task.doc.register, condition=task.condition, words=stats.words,
        doc_register=stats.register, chars=len(text),
        n_true=len(res.spans) if res else 0,
        G=cat(G_all, np.float64, (0, len(F.GATE_FEATURES))), spun_all=cat(spun_all, bool),
        scored=cat(scored_all, np.int64), M=cat(M_all, np.float32, (0, len(F.SPAN_FEATURES))),
        start=cat(st_all, np.int64), end=cat(en_all, np.int64), top1=cat(t1_all, np.int64),
        top3=cat(t3_all, np.int64, (0, 3)), truth_form=cat(tf_all, np.int64), in_pool=cat(ip_all, bool),
        rank_X=rank_X)


# ---- tasks ---------------------------------------------------------------------------------------------------


def _snippet(doc: corpus_mod.Doc, rng: random.Random) -> corpus_mod.Doc:
    lines = [ln for ln in re.split(r"(?<=[.!?])\s+|\n+", doc.text) if len(ln.split()) >= 6]
    if len(lines) < 2:
        return doc
    n = rng.randint(1, 4)
    i = rng.randrange(0, max(len(lines) - n, 1))
    return corpus_mod.Doc(doc.id + f"@{i}+{n}", " ".join(lines[i : i + n]), doc.register, doc.group)



def make_tasks(docs, seed: int, conditions=TRAIN_CONDITIONS, snippets: bool = True, clean_only: bool = False
               ) -> list[Task]:
    rng = random.Random(seed)
    conds = [c for c in conditions for _ in range(c[3])]
    out = []
    for doc in docs:
        source, style, rate, _ = (None, None, 0.0, 0) if clean_only else rng.choice(conds)
        if snippets and rng.random() < SNIPPET_SHARE:
            doc = _snippet(doc, rng)
        out.append(Task(doc, source, style, rate, rng.randrange(1 << 30), rng.random() < LEAVE_OUT_SHARE,
                        rng.random() < CONSISTENT_SHARE))
    return out


def partial_tasks(tasks: list[Task]) -> list[Task]:
    """Extra tasks: PART_SHARE of the spun tasks whose document is long enough, spun again (another seed) in a
    stretch only (Task.partial). Drawn from each task's own seed."""
    out = []
    for t in tasks:
        if t.source is not None and random.Random(t.seed * 31 + 7).random() < PART_SHARE:
            part = Task(t.doc, t.source, t.style, t.rate, t.seed + 1, t.leave_out, t.consistent, part=True)
            if part.partial:
                out.append(part)
    return out


def joined_tasks(tasks: list[Task], seed: int) -> list[Task]:
    """Extra long documents (JOIN_WORDS): the tasks' whole documents (no snippets) of each register, shuffled and
    joined paragraph-wise into texts of JOIN_WORDS words until JOIN_SHARE of the register's words are used again;
    half stay clean, half are spun in a stretch (JOIN_SPAN) under a spun training condition."""
    rng = random.Random(seed)
    spun_conds = [c for c in TRAIN_CONDITIONS if c[0] is not None for _ in range(c[3])]
    by_register: dict[str, list] = {}
    for t in tasks:
        if "@" not in t.doc.id:  # snippets are cut from documents (_snippet)
            by_register.setdefault(t.doc.register, {})[t.doc.id] = t.doc
    out = []
    for register, docs in sorted(by_register.items()):
        docs = sorted(docs.values(), key=lambda d: d.id)
        rng.shuffle(docs)
        budget = JOIN_SHARE * sum(d.words for d in docs)
        i = 0
        while budget > 0:
            want = rng.uniform(*JOIN_WORDS)
            parts: list = []
            while i < len(docs) and sum(d.words for d in parts) < want:
                parts.append(docs[i])
                i += 1
            words = sum(d.words for d in parts)
            if words < JOIN_WORDS[0]:
                break
            doc = corpus_mod.Doc(JOIN_PREFIX + "+".join(d.id for d in parts), "\n\n".join(d.text for d in parts),
                                 register, parts[0].group)
            source, style, rate, _ = (None, None, 0.0, 0) if rng.random() < 0.5 else rng.choice(spun_conds)
            out.append(Task(doc, source, style, rate, rng.randrange(1 << 30), rng.random() < LEAVE_OUT_SHARE,
                            rng.random() < CONSISTENT_SHARE, part=True, stretch=JOIN_SPAN))
            budget -= words
    return out


def _run(tasks: list[Task], fn, jobs: int, log, label: str) -> list:
    out = []
    t0 = time.time()
    words = 0
    if jobs > 1:
        import multiprocessing as mp

        with mp.get_context("fork").Pool(jobs) as pool:
            for n, r in enumerate(pool.imap(fn, tasks, chunksize=2)):
                out.append(r)
                words += r.words
                if log and (n + 1) % 200 == 0:
                    log(f"  {label}: {n + 1}/{len(tasks)} documents, {words / (time.time() - t0):.0f} words/s")
    else:
        for n, t in enumerate(tasks):
            out.append(fn(t))
            words += out[-1].words
            if log and (n + 1) % 200 == 0:
                log(f"  {label}: {n + 1}/{len(tasks)} documents, {words / (time.time() - t0):.0f} words/s")
    return out


_MODEL: Model | None = None  # the partly trained model handed to forked extraction workers


def _extract_pre(task: Task) -> DocData:
    return extract_doc(task, None, "pre", rng_seed=task.seed)


def _extract_rank(task: Task) -> DocData:
    return extract_doc(task, _MODEL, "rank")


def _extract_spans(task: Task) -> DocData:
    return extract_doc(task, _MODEL, "spans")


# ---- fitting ---------------------------------------------------------------------------------------------------


def fit_ranker(data: list[DocData], names=F.PAIR_FEATURES, l2: float = 1.0) -> Logistic:
    """Conditional logit over groups of rows whose first row is the original."""
    rows = [x for d in data for x in d.rank_X]
    if not rows:
        raise ValueError("no spun span had its original among its candidates: cannot train the ranker")
    sizes = np.array([len(x) for x in rows])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    X = np.concatenate(rows).astype(np.float64)
    y = np.zeros(len(X))
    y[starts] = 1.0
    return fit_conditional_logit(names, X, starts, y, l2=l2)


def choose_pool_k(data: list[DocData], pre: Logistic, want: float = 0.98, options=(24, 32, 48, 64, 96)) -> int:
    """The smallest pool size whose kept candidates hold the original for `want` of the spans (measured on
    the sampled rows: a lower bound on the rank the original has among all candidates)."""
    ranks = []
    for d in data:
        for x in d.rank_X:
            z = pre.decision(x.astype(np.float64))
            ranks.append(int((z[1:] > z[0]).sum()))
    ranks = np.array(ranks)
    for k in options:
        if (ranks < k).mean() >= want:
            return k
    return options[-1]


def _labels(d: DocData) -> np.ndarray:
    return d.spun_all[d.scored]


def _detector_rows(d: DocData) -> np.ndarray:
    """Spans the detector learns from: every clean span, and the spun spans whose original is among the
    scored candidates (a swap with no trace in our knowledge teaches it only to fire without evidence)."""
    return ~_labels(d) | d.in_pool


def fit_detector(data: list[DocData]) -> Trees:
    X = np.concatenate([d.M[_detector_rows(d)] for d in data if len(d.M)]).astype(np.float64)
    y = np.concatenate([_labels(d)[_detector_rows(d)] for d in data if len(d.M)]).astype(np.float64)
    return Trees.fit(F.SPAN_FEATURES, X, y)


GATE_TREES = {"iters": 100, "max_leaf_nodes": 31, "max_depth": 7}  # ~7 µs per span to predict


def fit_gate(data: list[DocData], detector) -> Trees:
    """Boosted trees on the span's cheap facts, taught *what the detector will make of the span* (its p1 at
    GATE_FLOOR or more), not whether it was spun: the gate exists to skip the work whose answer the detector
    would not use. On the dev spans of 2026-11-30 it passed 46 % of all spans against 55 % for a logistic gate
    taught "spun", keeping as many of the spans the detector puts at 0.1 or more and more of those at 0.3+."""
    X = np.concatenate([d.G for d in data if len(d.G)])
    y = np.concatenate([_gate_labels(d, detector) for d in data if len(d.G)])
    return Trees.fit(F.GATE_FEATURES, X, y, **GATE_TREES)


def fit_span_prior(data: list[DocData], l2: float = 1.0) -> Logistic:
    """P(span spun) from the span's cheap facts: the corpus screen's per-span evidence (Model.span_prior)."""
    X = np.concatenate([d.G for d in data if len(d.G)])
    y = np.concatenate([d.spun_all for d in data if len(d.G)]).astype(np.float64)
    return Logistic.fit(F.GATE_FEATURES, X, y, l2=l2)


def span_p1(d: DocData, detector) -> np.ndarray:
    """The detector's P(spun) of every span of `d` (0 for spans without candidates, which it never scores)."""
    p = np.zeros(len(d.G))
    if len(d.M):
        p[d.scored] = detector.predict(d.M.astype(np.float64))
    return p


def _gate_labels(d: DocData, detector) -> np.ndarray:
    """Per span of `d`: the detector puts it at GATE_FLOOR or more (spans without candidates never)."""
    return span_p1(d, detector) >= GATE_FLOOR


def gate_coverage(data: list[DocData], model: Model, floor: float, p1: list[np.ndarray] | None = None) -> float:
    """Share of the spans the detector puts at `floor` or more that the gate keeps (`p1`: span_p1 of each
    document, when already computed)."""
    kept = total = 0
    for d, p in zip(data, p1 or [span_p1(d, model.detector) for d in data]):
        sel = np.flatnonzero(p >= floor)
        kept += int(model.gate_keep(d.G[sel]).sum())
        total += len(sel)
    return kept / max(total, 1)


def gate_threshold(data: list[DocData], model: Model, floor: float, keep: float = GATE_KEEP,
                   p1: list[np.ndarray] | None = None) -> float:
    """The gate decision value that keeps `keep` of the spans the detector finds at least `floor` suspicious
    (`p1`: span_p1 of each document, when already computed)."""
    vals = []
    for d, p in zip(data, p1 or [span_p1(d, model.detector) for d in data]):
        sel = np.flatnonzero(p >= floor)
        if len(sel):
            vals.append(model.gate.decision(d.G[sel]))
    if not vals:
        return -1e9
    return float(np.quantile(np.concatenate(vals), 1.0 - keep))


@dataclass
class Decided:
    """The decision path applied to one DocData: what `engine.check` would compute."""

    p1: np.ndarray  # per scored span (0 where the gate drops it)
    p2: np.ndarray  # per scored span (0 below KEEP)
    doc_x: np.ndarray
    score: float | None


def decide_doc(d: DocData, model: Model, gate: bool = True) -> Decided:
    """engine.score_document's arithmetic on pre-extracted features (the same functions, the same order)."""
    n = len(d.M)
    p1 = np.zeros(n)
    agg = decide.Aggregates()
    M = d.M.astype(np.float64)
    keep = model.gate_keep(d.G[d.scored]) if gate and n else np.ones(n, dtype=bool)
    p1[keep] = decide.first_pass(M[keep], model)
    decide.add_piece(agg, d.G, M[keep], p1[keep])
    ret = np.nonzero(p1 >= decide.KEEP)[0]
    p2 = np.zeros(n)
    p2_doc = np.zeros(len(ret))
    if len(ret):
        where = decide.EvidenceMap(d.start[ret], p1[ret], d.words, d.chars)
        p2[ret], p2_doc = decide.both_passes(p1[ret], M[ret], agg, d.words, model, d.start[ret], where)
    x = decide.doc_features(p2_doc, agg, d.words, 0, d.doc_register)
    score = None
    if d.words >= decide.MIN_WORDS_FOR_SCORE and model.doc is not None:
        score = float(model.doc.predict(x[None, :])[0])
    return Decided(p1, p2, x, score)


def _context_rows(data: list[DocData], model: Model, local: bool, partial: bool):
    """(X, y) of the second pass: the retained spans of `data` (partly spun documents too when `partial`) with their
    CONTEXT_FEATURES (`local`) or DOC_CONTEXT_FEATURES, from the first pass of `model`."""
    X, y = [], []
    first = Model(model.ranker, model.detector, gate=model.gate, gate_threshold=model.gate_threshold)
    for d in data:
        if not len(d.M) or (not _whole(d) and not partial):
            continue
        dec = decide_doc(d, first)
        ret = np.nonzero(dec.p1 >= decide.KEEP)[0]
        if not len(ret):
            continue
        ev = float(decide.evidence_of(dec.p1).sum())
        use = _detector_rows(d)[ret]
        if local:
            where = decide.EvidenceMap(d.start[ret], dec.p1[ret], d.words, d.chars)
            rows = decide.context_matrix(dec.p1[ret], d.M[ret], ev, d.words, d.start[ret], where)
        else:
            rows = decide.doc_context_matrix(dec.p1[ret], d.M[ret], ev, d.words)
        X.append(rows[use])
        y.append(_labels(d)[ret].astype(np.float64)[use])
    return np.concatenate(X), np.concatenate(y)


def fit_context(data: list[DocData], model: Model) -> Trees:
    """The findings' second pass (CONTEXT_FEATURES), on every document, partly spun ones included."""
    return Trees.fit(F.CONTEXT_FEATURES, *_context_rows(data, model, local=True, partial=True))


def fit_doc_context(data: list[DocData], model: Model) -> Trees:
    """The spin score's second pass (DOC_CONTEXT_FEATURES), on whole spun and clean documents, as the document
    model is."""
    return Trees.fit(F.DOC_CONTEXT_FEATURES, *_context_rows(data, model, local=False, partial=False))


def fit_doc(data: list[DocData], model: Model, l2: float = 1.0) -> Logistic:
    X, y = [], []
    for d in data:
        if d.words < decide.MIN_WORDS_FOR_SCORE:
            continue
        if not _whole(d):
            continue  # the document model learns whole spun documents against clean ones, as before
        X.append(decide_doc(d, model).doc_x)
        y.append(0.0 if d.condition == "clean" else 1.0)
    return Logistic.fit(F.DOC_FEATURES, np.array(X), np.array(y), l2=l2)


def _partial(d: DocData) -> bool:
    """Only a stretch of the document was spun (Task.partial)."""
    return d.condition.endswith("/part")


def _joined(d: DocData) -> bool:
    """A long document joined from several (joined_tasks)."""
    return d.id.startswith(JOIN_PREFIX)


def _whole(d: DocData) -> bool:
    """A corpus document as written or spun whole: what every stage but the findings' second pass learns from."""
    return not _partial(d) and not _joined(d)


def _crude_spun(d: DocData, min_rate: float = 0.1) -> bool:
    """The whole document was spun crudely at `min_rate` or more."""
    parts = d.condition.split("/")
    return len(parts) >= 3 and parts[1] == "crude" and float(parts[2]) >= min_rate and not _partial(d)


def screen_x(d: DocData, model: Model) -> np.ndarray:
    """The corpus screen's first-stage features of a document, from its cached gate facts (document.py's
    function, the one `unspin screen` runs)."""
    return document.screen_features_from(d.G, model.span_prior_p(d.G), d.words, d.doc_register)


def fit_screen(data: list[DocData], model: Model, l2: float = 1.0) -> Logistic:
    """The first stage learns crude spinning against clean prose (careful swaps leave no cheap trace)."""
    X, y = [], []
    for d in data:
        if d.words >= decide.MIN_WORDS_FOR_SCORE and (d.condition == "clean" or _crude_spun(d, 0.05)):
            X.append(screen_x(d, model))
            y.append(0.0 if d.condition == "clean" else 1.0)
    return Logistic.fit(F.SCREEN_FEATURES, np.array(X), np.array(y), l2=l2)


# The corpus screen's first stage may clear at most 2 % of spun documents (rate ≥ 0.1) in *every* spinner
# condition, as the false-alarm budgets hold in every register: pooled over conditions, the cut had let through
# 8.7 % of WordNet-spun dev documents at rate 0.1 (8–11 % of WordNet- and MyThes-spun test ones) while Moby-spun ones
# kept it near 2 %. The cut is chosen on dev documents spun on the fly with each condition below, at SCREEN_LOSE
# (the 2 % target with the dev margin). Rewriter-site spinning (common synonyms) is a condition too: the crude
# conditions alone let the cut clear 12 % of Moby-rewritten dev documents (2026-12-01). MyThes never spins here: it
# stays the benchmark's held-out spinner (benchmarks/screen_cascade_bench.py).
SCREEN_CONDITIONS = (("moby", "crude", 0.1), ("moby", "crude", 0.2), ("moby", "crude", 0.3),
                     ("wordnet", "crude", 0.1), ("wordnet", "crude", 0.2), ("wordnet", "crude", 0.3),
                     ("moby", "rewriter", 0.3), ("wordnet", "rewriter", 0.3))
SCREEN_LOSE = 0.02 * MARGIN
SCREEN_DOCS = 1200  # dev documents (40+ words) spun per condition (a 1.5 % quantile of 400 rests on 6)
SCREEN_SEED = 5000
# The `clean` verdict: below the spin score that 98 % of spun dev documents (150+ words) exceed, in every condition.
# The crude ones come from the training run's dev documents (choose_doc_thresholds); rewriter sites write common
# synonyms densely, which the document model weighs less, so their documents are spun on the fly here (the model
# never saw them): with the crude cut alone 12–15 % of Moby- and MyThes-rewritten dev documents were called `clean`
# (2026-12-01). Rates 0.3 and 0.5: such sites rewrite most words they have a synonym for.
CLEAN_CONDITIONS = (("moby", "rewriter", 0.3), ("moby", "rewriter", 0.5),
                    ("wordnet", "rewriter", 0.3), ("wordnet", "rewriter", 0.5))
CLEAN_LOSE = 0.02
CLEAN_DOCS = 500
CLEAN_SEED = 6000


def _spun_texts(docs, source: str, style: str, rate: float, seed: int) -> list[str]:
    from .spin import spin

    return [spin(d.text, rate=rate, seed=seed + i, style=style, sources=(source,)).text for i, d in enumerate(docs)]


def screen_decisions(texts, k, model) -> np.ndarray:
    """The first stage's decision value of each text (document.screen_features: what `unspin screen` runs)."""
    return np.array([float(model.screen.decision(document.screen_features(t, k, model)[None, :])[0])
                     for t in texts])


def screen_threshold(docs, model: Model, k=None, lose: float = SCREEN_LOSE, conditions=SCREEN_CONDITIONS,
                     n_docs: int = SCREEN_DOCS, seed: int = SCREEN_SEED) -> tuple[float, dict]:
    """The first-stage decision value below which a document is cleared, and the measurements it rests on: the
    `lose` quantile of the decision values of `docs` (dev, 40+ words) spun under each (source, style, rate) of
    `conditions`, the smallest over the conditions (the hardest condition decides)."""
    k = k or engine.knowledge()
    pick = [d for d in docs if d.words >= decide.MIN_WORDS_FOR_SCORE][:n_docs]
    if not pick:
        return -1e9, {}
    per: dict[str, float] = {}
    for source, style, rate in conditions:
        spun = _spun_texts(pick, source, style, rate, seed)
        per[f"{source}/{style}/{rate}"] = round(float(np.quantile(screen_decisions(spun, k, model), lose)), 4)
    cut = min(per.values())
    return cut, {"lose": lose, "documents_per_condition": len(pick), "seed": seed, "quantiles": per,
                 "threshold": cut}


def clean_cut(docs, model: Model, k=None, lose: float = CLEAN_LOSE, conditions=CLEAN_CONDITIONS,
              n_docs: int = CLEAN_DOCS, seed: int = CLEAN_SEED, min_words: int = 150) -> tuple[float, dict]:
    """The spin score below which no more than `lose` of `docs` (dev, `min_words`+ words: the verdict targets'
    documents) spun under each (source, style, rate) of `conditions` fall (the hardest condition decides), and the
    measurements it rests on; (1.0, {}) when no document is long enough (the caller keeps its own cut)."""
    k = k or engine.knowledge()
    pick = [d for d in docs if d.words >= min_words][:n_docs]
    if not pick:
        return 1.0, {}
    per: dict[str, float] = {}
    for source, style, rate in conditions:
        scores = [engine.score_document(t, k, model).spin_score for t in _spun_texts(pick, source, style, rate, seed)]
        # the lower order statistic: at most `lose` of the documents fall below the cut, even for few of them
        valid = [s for s in scores if s is not None]
        per[f"{source}/{style}/{rate}"] = round(float(np.quantile(valid, lose, method="lower")), 4)
    cut = min(per.values())
    return cut, {"lose": lose, "documents_per_condition": len(pick), "seed": seed, "quantiles": per,
                 "threshold": cut}


SHORT_PER_REGISTER = 300  # honest short texts per register for the findings a short text needs to be `spun`
SHORT_SEED = 7000


def short_texts(docs, per_register: int = SHORT_PER_REGISTER, seed: int = SHORT_SEED) -> list[tuple[str, str]]:
    """(register, text) of honest short texts: runs of whole consecutive sentences of `docs`, each of a length drawn
    from MIN_WORDS_FOR_SCORE to SHORT_TEXT_WORDS − 1 words (what a pasted paragraph or an editor plug-in sends),
    at most `per_register` per register; a sentence longer than that is skipped."""
    from .text import sentences, tokenize

    rng = random.Random(seed)
    out: list[tuple[str, str]] = []
    count: dict[str, int] = {}
    lo, hi = decide.MIN_WORDS_FOR_SCORE, SHORT_TEXT_WORDS - 1
    for d in docs:
        start, n, want = None, 0, rng.randint(lo, hi)
        for sent in sentences(tokenize(d.text), d.text):
            if count.get(d.register, 0) >= per_register:
                break
            w = sum(1 for t in sent if t.kind == "word")
            if n + w > hi:  # the run cannot take this sentence: it starts again with it (or after it, if too long)
                start, n = None, 0
                if w > hi:
                    continue
            start = sent[0].start if start is None else start
            n += w
            if n >= want:
                out.append((d.register, d.text[start : sent[-1].end]))
                count[d.register] = count.get(d.register, 0) + 1
                start, n, want = None, 0, rng.randint(lo, hi)
    return out


SHORT_MAX_FINDINGS = 8  # the most different findings the short texts' rule may ask for


def findings_needed(rows: list[tuple[str, int]], total: dict[str, int], share: float = DOC_SPUN_FP
                    ) -> tuple[int, dict[int, int]]:
    """The fewest different findings (1 … SHORT_MAX_FINDINGS) that leave at most `share` of each register's honest
    texts (`total` by register) `spun` and at most share/10 of all; `rows`: (register, different findings) of the
    texts the spin score alone would call spun. Also how many would be spun at each number tried."""
    called: dict[int, int] = {}
    need = SHORT_MAX_FINDINGS
    for n in range(SHORT_MAX_FINDINGS, 0, -1):  # fewer findings asked, more texts spun: stop at the first too many
        by: dict[str, int] = {}
        for register, m in rows:
            by[register] = by.get(register, 0) + int(m >= n)
        called[n] = sum(by.values())
        if (any(c > int(np.floor(share * total[r])) for r, c in by.items())
                or called[n] > int(np.floor(share / 10 * sum(total.values())))):
            break
        need = n
    return need, called


def short_spun_findings(docs, model: Model, k=None, share: float = DOC_SPUN_FP,
                        per_register: int = SHORT_PER_REGISTER, seed: int = SHORT_SEED) -> tuple[int | None, dict]:
    """Model.short_spun_findings chosen on honest short texts cut from `docs` (dev): the fewest different words at
    `finding` level that, with the documents' cut, leave at most `share` of each register's short texts `spun`
    (rounded down, as choose_doc_thresholds counts documents) and at most share/10 of all of them (the documents'
    cut reaches that by extrapolating their tail; counts have none, so it is counted); the measurements it rests
    on. (None, {}) without any short text."""
    from .findings import model_findings

    k = k or engine.knowledge()
    rows: list[tuple[str, int]] = []  # (register, different findings) of the texts at or above the documents' cut
    total: dict[str, int] = {}
    for register, text in short_texts(docs, per_register, seed):
        ds = engine.score_document(text, k, model)
        if ds.spin_score is None:
            continue
        total[register] = total.get(register, 0) + 1
        if ds.spin_score >= model.doc_spun:
            found = model_findings(text, ds, k, model.threshold, model.suspect_threshold)
            rows.append((register, decide.distinct_findings(found)))
    if not total:
        return None, {}
    need, called = findings_needed(rows, total, share)
    return need, {"share": share, "seed": seed, "texts": sum(total.values()), "texts_per_register": dict(sorted(
        total.items())), "at_documents_cut": len(rows), "spun_with_n_findings": {str(n): called[n] for n in sorted(
        called)}, "findings": need}


def recalibrate_cuts(root=None, model_path=None, seed: int = 13, log=print) -> Model:
    """Choose the corpus screen's first-stage cut, the `clean` verdict's cut and the findings a short text needs to
    be `spun` of an existing model again (`unspin train --cuts-only`) on dev documents (spun on the fly, or cut into
    short texts): the model at `model_path` (the package's when that file does not exist yet) is written to
    `model_path` (default: the package's model file) with nothing else changed but these three and their meta
    ("screen_calibration", "clean_calibration", "short_calibration"). The `clean` cut only falls: it is the lower of
    the training run's (crude spinning) and the rewriter conditions'."""
    from . import model as model_mod

    path = Path(model_path) if model_path and Path(model_path).exists() else model_mod.MODEL_PATH
    model = model_mod.load(path)
    model = Model.from_dict(model.to_dict())  # a copy: the loaded one may be in use (model.load memoises)
    if model.screen is None:
        raise ValueError("the model has no corpus-screen first stage to calibrate")
    docs = corpus_mod.load_documents(root)
    dev = [d for d in docs if d.split == "dev"]
    random.Random(seed).shuffle(dev)
    if not dev:
        raise FileNotFoundError("corpus too small: no dev-split documents (documents are split 60/15/25 by article)")
    today = {"trained_at": time.strftime("%Y-%m-%d"), "command": "unspin train --cuts-only"}
    before = model.screen_threshold
    model.screen_threshold, calib = screen_threshold(dev, model)
    log(f"screen first-stage cut {before:.3f} → {model.screen_threshold:.3f} "
        f"(per condition: {json.dumps(calib.get('quantiles', {}))})")
    meta = dict(model.meta or {})
    crude_cut = meta.get("clean_calibration", {}).get("crude_cut", model.doc_clean)
    before = model.doc_clean
    cut, clean_calib = clean_cut(dev, model)
    if clean_calib:  # else no dev document is long enough: the cut stays as it is
        model.doc_clean = min(crude_cut, cut)
    log(f"clean verdict cut {before:.4f} → {model.doc_clean:.4f} (crude {crude_cut:.4f}; per rewriter condition: "
        f"{json.dumps(clean_calib.get('quantiles', {}))})")
    before = model.short_spun_findings
    need, short_calib = short_spun_findings(dev, model)
    if short_calib:  # else no dev text could be cut short: short texts keep the rule they had
        model.short_spun_findings = need
    log(f"findings a short text needs to be spun {before} → {model.short_spun_findings} "
        f"({short_calib.get('texts', 0)} honest short texts, {short_calib.get('at_documents_cut', 0)} at or above "
        f"the documents' cut; spun with n findings: {json.dumps(short_calib.get('spun_with_n_findings', {}))})")
    meta["screen_calibration"] = {**calib, **today}
    meta["clean_calibration"] = {**clean_calib, "crude_cut": crude_cut, **today}
    meta["short_calibration"] = {**short_calib, **today}
    model.meta = meta
    model.save(model_path or model_mod.MODEL_PATH)
    return model


# ---- thresholds ----------------------------------------------------------------------------------------------


def _selected(d: DocData, p: np.ndarray, t: float) -> np.ndarray:
    """Indexes of the scored spans `check` would report at threshold t (greedy non-overlapping by p)."""
    from .spans import select_non_overlapping

    @dataclass
    class S:
        start: int
        end: int
        i: int

    cand = [S(int(d.start[i]), int(d.end[i]), i) for i in np.nonzero(p >= t)[0].tolist()]
    return np.array([s.i for s in select_non_overlapping(cand, key=lambda s: p[s.i])], dtype=np.int64)


def fp_by_register(dev: list[tuple[DocData, Decided]], t: float) -> dict[str, float]:
    """False findings per 1,000 clean words at threshold `t`, by register; joined long documents (joined_tasks) count
    apart, as REGISTER/long: a budget holds for short and long texts alike, and long texts' words must not dilute
    short ones' false alarms."""
    fp: dict[str, int] = {}
    words: dict[str, int] = {}
    for d, dec in dev:
        if d.condition != "clean":
            continue
        key = d.register + ("/long" if _joined(d) else "")
        fp[key] = fp.get(key, 0) + len(_selected(d, dec.p2, t))
        words[key] = words.get(key, 0) + d.words
    return {r: per_1000(fp[r], words[r]) for r in fp}


def choose_span_threshold(dev, budget: float, lo: float = 0.1) -> float:
    """The lowest threshold whose false findings per 1,000 clean words stay within `budget` in every register."""
    for t in np.round(np.arange(lo, 0.99, 0.01), 2):
        worst = max(fp_by_register(dev, float(t)).values(), default=0.0)
        if worst <= budget:
            return float(t)
    return 0.99


def tail_cut(scores, share: float, top_share: float = 0.05, min_top: int = 10) -> float:
    """The probability that a share `share` of new clean documents would exceed, from `scores` of clean ones:
    the top `top_share` of their log-odds taken as an exponential tail (its mean excess by maximum likelihood),
    extrapolated beyond the largest seen when `share` is below 1/n."""
    z = np.log(np.clip(np.asarray(scores, float), 1e-9, 1 - 1e-9))
    z = np.sort(z - np.log1p(-np.exp(z)))[::-1]  # log-odds, largest first
    n = len(z)
    k = min(n, max(min_top, int(top_share * n)))
    if k < 2:
        return float(1 / (1 + np.exp(-z[0]))) if n else 0.5
    u = z[k - 1]
    mean_excess = max(float(np.mean(z[: k - 1] - u)), 1e-3)
    t = mean_excess * max(np.log(k / (n * share)), 0.0)
    return float(1 / (1 + np.exp(-(u + t))))


def choose_doc_thresholds(dev, share: float = DOC_SPUN_FP) -> tuple[float, float]:
    """(spun, clean) cut-offs of the spin score: `spun` for at most `share` of clean documents of 150+ words
    in every register (rounded up: no clean dev document of a small register may be called spun), and no lower
    than where the pooled clean tail falls to share/10 (`tail_cut`); `clean`
    below the score that 98 % of crude spun documents (rate ≥ 0.1) exceed."""
    clean = {}
    spun = []
    for d, dec in dev:
        if dec.score is None or d.words < 150:
            continue
        if d.condition == "clean":
            clean.setdefault(d.register, []).append(dec.score)
        elif _crude_spun(d):
            spun.append(dec.score)
    cut = 0.5
    for scores in clean.values():
        s = np.sort(scores)[::-1]
        allowed = int(np.floor(share * len(s)))  # documents of this register that may pass
        top = s[allowed] if allowed < len(s) else 0.0
        cut = max(cut, float(top) + 1e-4)
    # the largest of n dev scores is passed by about 1 in n+1 new documents: a register of 100 test documents
    # would get one `spun` verdict by construction. So the cut is also where the pooled clean scores' upper tail
    # (exponential in log-odds, fitted to the top 5 %) falls to a tenth of the allowed share.
    pooled = [v for scores in clean.values() for v in scores]
    if pooled:
        cut = max(cut, tail_cut(pooled, share / 10))
    cut = min(cut, 0.999)
    low = float(np.quantile(spun, 0.02)) if spun else 0.5
    return cut, min(low, cut)


def evaluate(dev, model: Model, lex, held=None) -> dict:
    """Dev metrics at the model's thresholds (the bench has the full picture on the test split); document-level
    figures on `held` (documents no model was fitted on)."""
    held = dev if held is None else held
    from .metrics import auc

    out: dict = {}
    tp = fp_sp = fn = r1 = 0
    s_tp = s_fn = 0
    in_pool = spun_total = 0
    part_tp = part_n = long_tp = long_n = 0
    for d, dec in dev:
        if d.condition == "clean":
            continue
        truth = _labels(d)
        if _joined(d):  # apart: the figures above stay those of corpus documents
            long_tp += int(truth[_selected(d, dec.p2, model.threshold)].sum())
            long_n += d.n_true
            continue
        if _partial(d):
            part_tp += int(truth[_selected(d, dec.p2, model.threshold)].sum())
            part_n += d.n_true
            continue
        in_pool += int(d.in_pool.sum())
        spun_total += int(truth.sum())
        sel = _selected(d, dec.p2, model.threshold)
        hit = truth[sel]
        tp += int(hit.sum())
        fp_sp += int((~hit).sum())
        fn += d.n_true - int(hit.sum())
        r1 += int((d.top1[sel][hit] == d.truth_form[sel][hit]).sum())
        ssel = _selected(d, dec.p2, model.suspect_threshold)
        s_tp += int(truth[ssel].sum())
        s_fn += d.n_true - int(truth[ssel].sum())
    out["precision"] = round(tp / max(tp + fp_sp, 1), 4)
    out["recall"] = round(tp / max(tp + fn, 1), 4)
    out["restore@1"] = round(r1 / max(tp, 1), 4)
    out["suspect_recall"] = round(s_tp / max(s_tp + s_fn, 1), 4)
    out["partly_spun_recall"] = round(part_tp / max(part_n, 1), 4)  # documents spun in a stretch only
    out["long_partly_spun_recall"] = round(long_tp / max(long_n, 1), 4)  # joined documents spun in a stretch
    out["candidate_coverage"] = round(in_pool / max(spun_total, 1), 4)
    out["fp_per_1000_by_register"] = {r: round(v, 3) for r, v in fp_by_register(dev, model.threshold).items()}
    out["suspect_fp_per_1000_by_register"] = {r: round(v, 3) for r, v in
                                              fp_by_register(dev, model.suspect_threshold).items()}
    held = [(d, dec) for d, dec in held if _whole(d)]
    pos = [dec.score for d, dec in held if dec.score is not None and d.condition != "clean" and d.words >= 150]
    neg = [dec.score for d, dec in held if dec.score is not None and d.condition == "clean" and d.words >= 150]
    out["doc_auc"] = round(auc(pos, neg), 4)
    out["clean_docs_called_spun"] = round(float(np.mean([s >= model.doc_spun for s in neg])) if neg else 0.0, 4)
    out["spun_docs_called_spun"] = round(float(np.mean([s >= model.doc_spun for s in pos])) if pos else 0.0, 4)
    if model.screen is not None:
        cleared = [(d, float(model.screen.decision(screen_x(d, model)[None, :])[0]) < model.screen_threshold)
                   for d, _ in held if d.words >= decide.MIN_WORDS_FOR_SCORE]
        clean = [c for d, c in cleared if d.condition == "clean"]
        crude = [c for d, c in cleared if _crude_spun(d)]
        out["screen_clears_clean"] = round(float(np.mean(clean)) if clean else 0.0, 4)
        out["screen_clears_crude_spun"] = round(float(np.mean(crude)) if crude else 0.0, 4)
    return out


# ---- the command -----------------------------------------------------------------------------------------------


def corpus_scope(root) -> str:
    """A short name for the training corpus at `root` (None: the default one) that its extracted-data caches carry,
    so that training on another corpus (a test's tiny one) neither reads nor prunes them."""
    import hashlib

    path = Path(root) if root else corpus_mod.default_root()
    return hashlib.sha256(str(path.resolve() if path else "none").encode()).hexdigest()[:8]


def _cached(kind: str, key_parts: list, build, log, scope: str = "any", where: Path | None = None):
    """`build()`'s result, pickled in `where` (default: the cache dir) under a hash of `key_parts` (source code or
    strings); `scope` (corpus_scope) is part of the file name, and pruning keeps CACHED_GENERATIONS per kind and
    scope."""
    import hashlib
    import inspect
    import pickle

    from .knowledge.paths import cache_dir

    h = hashlib.sha256()
    for part in key_parts:
        h.update((part if isinstance(part, str) else inspect.getsource(part)).encode())
    if where is not None:
        Path(where).mkdir(parents=True, exist_ok=True)
    path = Path(where or cache_dir()) / f"{kind}@{scope}-{h.hexdigest()[:16]}.pkl"
    if path.exists():
        try:
            with open(path, "rb") as fh:
                out = pickle.load(fh)
            log(f"using cached {kind} ({path.name})")
            return out
        except Exception:  # noqa: BLE001 - a damaged cache is rebuilt
            pass
    out = build()
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        pickle.dump(out, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)
    _prune_cached(f"{kind}@{scope}", keep=path)
    return out


# Extracted training data of each kind (and corpus) kept: every change to the extraction code makes a new key, and
# each of these files holds 100-300 MB (14 generations of four kinds filled 4 GB); the one before the newest stays
# so that going back one change does not extract again. Each corpus keeps its own: a test's training on a tiny
# corpus pruned the real corpus's hour of extraction.
CACHED_GENERATIONS = 2


def _prune_cached(kind: str, keep: Path, generations: int = CACHED_GENERATIONS) -> list[Path]:
    """Remove all but the `generations` most recently written caches of `kind`; the removed files."""
    older = sorted((p for p in keep.parent.glob(f"{kind}-*.pkl") if p != keep),
                   key=lambda p: p.stat().st_mtime, reverse=True)
    removed = []
    for p in older[generations - 1:]:
        try:
            p.unlink()
            removed.append(p)
        except OSError:
            pass
    return removed


def _code_key():
    """What extracted training data depends on (its cache key): the extraction stages, not the decisions."""
    from . import candidates, features, spin, text
    from .knowledge import bundle, lexicon

    return [extract, document, features, candidates, lexicon, bundle, spin, text, extract_doc, make_tasks, _snippet,
            _spin_part, part_bounds, partial_tasks]


@dataclass
class TaskSets:
    """The documents and tasks of a training run (train: `train`, and `refit_findings_pass` on the same ones)."""

    docs: list
    scope: str
    train_docs: list  # spun or clean training documents, hard registers' clean ones included
    dev_docs: list
    doc_fit_ids: set  # clean train-split documents among the dev tasks that the document model learns from
    tr_tasks: list  # partly spun extras included (partial_tasks)
    dv_tasks: list
    spun_tasks: list  # the whole spun training tasks: the pre-ranker's and ranker's data
    tr_joined: list = field(default_factory=list)  # long documents joined from the training tasks' (joined_tasks)
    dv_joined: list = field(default_factory=list)  # and from the dev tasks'


def _task_sets(root, words_per_register: int, dev_words_per_register: int, seed: int, calib_train_words: int,
               log) -> TaskSets:
    docs = corpus_mod.load_documents(root)
    scope = corpus_scope(root)
    train_docs = corpus_mod.select(docs, "train", words_per_register, seed, per_register=True)
    dev_docs = corpus_mod.select(docs, "dev", dev_words_per_register, seed + 1, per_register=True)
    if not train_docs or not dev_docs:
        raise FileNotFoundError(f"corpus too small: {len(train_docs)} train and {len(dev_docs)} dev documents "
                                "(documents are split 60/15/25 by article; give it more documents)")
    # extra clean documents of the hard registers (see HARD_REGISTERS)
    hard = corpus_mod.select([d for d in docs if d.id not in {x.id for x in train_docs}
                              and d.register in HARD_REGISTERS], "train", words_per_register // 2, seed + 4,
                             per_register=True)
    # more clean prose for the false-alarm budgets: the rest of the dev split, and train documents training
    # does not use (the model never sees them), unspun — the budgets hold in every register, so the rarest
    # register's estimate decides and must not rest on a few documents
    used = {d.id for d in dev_docs} | {d.id for d in train_docs} | {d.id for d in hard}
    calib_docs = corpus_mod.select([d for d in docs if d.id not in used], "dev", int(dev_words_per_register * 1.5),
                                   seed + 2, per_register=True)
    # clean train-split documents training does not spin: the document model and the corpus screen learn
    # from them (what clean prose of each register scores), the span thresholds count their false alarms
    doc_fit_docs = corpus_mod.select([d for d in docs if d.id not in used], "train", calib_train_words, seed + 3,
                                     per_register=True)
    calib_docs += doc_fit_docs
    doc_fit_ids = {d.id for d in doc_fit_docs}
    log(f"corpus: {len(docs)} documents in {len(corpus_mod.registers_of(docs))} registers; train {len(train_docs)} "
        f"(+{len(hard)} clean documents of hard registers), dev {len(dev_docs)} (+{len(calib_docs)} clean "
        "calibration documents)")
    tr_tasks = make_tasks(train_docs, seed) + make_tasks(hard, seed + 5, snippets=False, clean_only=True)
    train_docs = train_docs + hard
    dv_tasks = make_tasks(dev_docs, seed + 7) + make_tasks(calib_docs, seed + 8, snippets=False, clean_only=True)
    spun_tasks = [t for t in tr_tasks if t.source is not None]
    tr_joined, dv_joined = joined_tasks(tr_tasks, seed + 9), joined_tasks(dv_tasks, seed + 10)
    tr_tasks += partial_tasks(tr_tasks)
    dv_tasks += partial_tasks(dv_tasks)
    log(f"joined long documents: {len(tr_joined)} train ({sum(t.doc.words for t in tr_joined)} words), "
        f"{len(dv_joined)} dev ({sum(t.doc.words for t in dv_joined)} words)")
    return TaskSets(docs, scope, train_docs, dev_docs, doc_fit_ids, tr_tasks, dv_tasks, spun_tasks, tr_joined,
                    dv_joined)


def _run_key(seed: int, tr_tasks) -> list:
    """What the extracted training data depends on besides the code (_code_key)."""
    return _code_key() + [repr((seed, TRAIN_CONDITIONS, LEAVE_OUT_SHARE, CONSISTENT_SHARE, SNIPPET_SHARE, PRE_NEGATIVES,
                                PART_SHARE, PART_MIN_WORDS, PART_SPAN, [t.doc.id for t in tr_tasks]))]


def _rank_key(key: list, preranker, pool_k: int) -> list:
    """The ranker data's cache key: the run's (_run_key) and the pre-ranker that chose the candidates."""
    return key + [repr(preranker.weights.round(6).tolist()), str(pool_k)]


def _span_data(sets: TaskSets, key: list, preranker, pool_k: int, ranker, jobs: int, log, extract_cache):
    """(train, dev) DocData: every span of the run's tasks, joined long documents last, through the pre-ranker and
    the ranker (cached; the joined documents apart, so that changing them keeps the rest)."""
    global _MODEL
    _MODEL = Model(ranker, ranker, preranker=preranker, pool_k=pool_k)
    rkey = _rank_key(key, preranker, pool_k) + [repr(ranker.weights.round(6).tolist())]
    tr = _cached("train-spans", rkey, lambda: _run(sets.tr_tasks, _extract_spans, jobs, log, "train spans"), log,
                 sets.scope, extract_cache)
    dv = _cached("dev-spans", rkey + [repr([t.doc.id for t in sets.dv_tasks])],
                 lambda: _run(sets.dv_tasks, _extract_spans, jobs, log, "dev spans"), log, sets.scope, extract_cache)
    jkey = rkey + [joined_tasks, repr((JOIN_WORDS, JOIN_SHARE, JOIN_SPAN))]
    tr_j = _cached("train-joined", jkey + [repr([t.doc.id for t in sets.tr_joined])],
                   lambda: _run(sets.tr_joined, _extract_spans, jobs, log, "joined train spans"), log, sets.scope,
                   extract_cache) if sets.tr_joined else []
    dv_j = _cached("dev-joined", jkey + [repr([t.doc.id for t in sets.dv_joined])],
                   lambda: _run(sets.dv_joined, _extract_spans, jobs, log, "joined dev spans"), log, sets.scope,
                   extract_cache) if sets.dv_joined else []
    return tr + tr_j, dv + dv_j


def span_thresholds(dev) -> tuple[float, float]:
    """(`finding`, `suspect`) thresholds on the dev decisions: each within its false-alarm budget in every register
    (with the dev margin); the suspect one never below SUSPECT_MIN nor above the finding one."""
    finding = choose_span_threshold(dev, FINDING_FP * MARGIN)
    return finding, min(max(choose_span_threshold(dev, SUSPECT_FP * MARGIN), SUSPECT_MIN), finding)


def _cut_docs(dev_docs, seed: int) -> list:
    """The dev documents the cuts are chosen on (spun on the fly or cut into short texts), in the run's order."""
    out = list(dev_docs)
    random.Random(seed + 5).shuffle(out)
    return out


def train(root=None, words_per_register: int = 40_000, dev_words_per_register: int = 25_000, seed: int = 13,
          out=None, log=print, jobs: int = 2, calib_train_words: int = 25_000, extract_cache=None) -> Model:
    """Fit every model on spinner output of the corpus at `root` and save it to `out` (False: not saved). Extracted
    features are cached (`_cached`) in `extract_cache` (default: the knowledge cache dir; a test's throw-away
    corpus passes its own folder, or every run would leave its caches behind)."""
    sets = _task_sets(root, words_per_register, dev_words_per_register, seed, calib_train_words, log)
    t0 = time.time()
    key = _run_key(seed, sets.tr_tasks)
    # (1) the pre-ranker: every candidate of the spun spans, cheap columns
    pre_data = _cached("train-pre", key, lambda: _run(sets.spun_tasks, _extract_pre, jobs, log, "pre-ranker data"), log,
                       sets.scope, extract_cache)
    preranker = fit_ranker(pre_data, F.PRE_FEATURES)
    pool_k = choose_pool_k(pre_data, preranker)
    coverage = sum(int(d.in_pool.sum()) for d in pre_data) / max(sum(int(d.spun_all.sum()) for d in pre_data), 1)
    log(f"pre-ranker fitted on {sum(len(d.rank_X) for d in pre_data)} spun spans; candidate coverage (train) "
        f"{coverage:.3f}; pool of {pool_k} per span")
    del pre_data
    # (2) the ranker: the full window for the candidates the pre-ranker keeps
    global _MODEL
    _MODEL = Model(preranker, preranker, preranker=preranker, pool_k=pool_k)
    pkey = _rank_key(key, preranker, pool_k)
    rk_data = _cached("train-rank", pkey, lambda: _run(sets.spun_tasks, _extract_rank, jobs, log, "ranker data"), log,
                      sets.scope, extract_cache)
    ranker = fit_ranker(rk_data)
    log(f"ranker fitted on {sum(len(d.rank_X) for d in rk_data)} spun spans")
    del rk_data
    # (3) every span, through both
    tr, dv = _span_data(sets, key, preranker, pool_k, ranker, jobs, log, extract_cache)
    tr_all, tr = tr, [d for d in tr if _whole(d)]  # partly spun and joined documents teach the findings' second pass
    dv_whole = [d for d in dv if _whole(d)]
    model = Model(ranker, fit_detector(tr), preranker=preranker, pool_k=pool_k)
    model.gate = fit_gate(tr, model.detector)
    model.span_prior = fit_span_prior(tr)
    dv_p1 = [span_p1(d, model.detector) for d in dv_whole]  # once: the gate's threshold and its coverage read them
    model.gate_threshold = gate_threshold(dv_whole, model, floor=GATE_FLOOR, p1=dv_p1)
    kept = sum(int(model.gate_keep(d.G).sum()) for d in dv_whole)
    total = sum(len(d.G) for d in dv_whole)
    log(f"gate keeps {kept}/{total} spans ({kept / max(total, 1):.0%}) on dev; of the spans the detector puts at "
        + ", ".join(f"{f}+: {gate_coverage(dv_whole, model, f, dv_p1):.3f}" for f in (GATE_FLOOR, SUSPECT_MIN)))
    model.context = fit_context(tr_all, model)
    model.doc_context = fit_doc_context(tr, model)
    doc_fit = [d for d in dv if d.id in sets.doc_fit_ids]
    dv_held = [d for d in dv_whole if d.id not in sets.doc_fit_ids]  # the documents the verdict cut-offs are chosen on
    model.doc = fit_doc(tr + doc_fit, model)
    dev = [(d, decide_doc(d, model)) for d in dv]
    model.threshold, model.suspect_threshold = span_thresholds(dev)
    held = set(map(id, dv_held))
    model.doc_spun, crude_clean = choose_doc_thresholds([(d, x) for d, x in dev if id(d) in held])
    model.screen = fit_screen(tr + doc_fit, model)
    screen_dev = _cut_docs(sets.dev_docs, seed)
    model.screen_threshold, screen_calib = screen_threshold(screen_dev, model)
    rewriter_clean, clean_calib = clean_cut(screen_dev, model)
    model.doc_clean = min(crude_clean, rewriter_clean)
    clean_calib["crude_cut"] = crude_clean
    model.short_spun_findings, short_calib = short_spun_findings(screen_dev, model)
    log(f"thresholds: finding {model.threshold:.2f}, suspect {model.suspect_threshold:.2f}; verdict spun ≥ "
        f"{model.doc_spun:.3f} (a short text also with {model.short_spun_findings} different findings), clean < "
        f"{model.doc_clean:.3f}")
    metrics = evaluate(dev, model, engine.knowledge().lex, [(d, x) for d, x in dev if id(d) in held])
    model.meta = {
        "command": "unspin train " + " ".join(sys.argv[2:]) if sys.argv[1:2] == ["train"] else "unspin.train.train()",
        "seed": seed,
        "corpus": "../shared/data (all registers), train split" if root is None else str(root),
        "registers": corpus_mod.registers_of(sets.train_docs),
        "train_docs": len(sets.train_docs),
        "train_words": int(sum(d.words for d in tr)),
        "dev_docs": len(dv),
        "dev_metrics": metrics,
        "gate_keeps_share_of_spans": round(kept / max(total, 1), 4),
        "pool_k": pool_k,
        "conditions": [[c[0] or "clean", c[1], c[2], c[3]] for c in TRAIN_CONDITIONS],
        "leave_out_share": LEAVE_OUT_SHARE,
        "trained_at": time.strftime("%Y-%m-%d"),
        "seconds": round(time.time() - t0, 1),
        "screen_calibration": screen_calib,
        "clean_calibration": clean_calib,
        "short_calibration": short_calib,
    }
    log("dev metrics: " + json.dumps(metrics))
    if out is not False:
        model.save(out) if out else model.save()
    return model


def refit_findings_pass(base_path, root=None, words_per_register: int = 40_000, dev_words_per_register: int = 25_000,
                        seed: int = 13, out=None, log=print, jobs: int = 2, calib_train_words: int = 25_000,
                        extract_cache=None) -> Model:
    """Fit only the findings' second pass (model.context, with the local context) and choose the `finding` and
    `suspect` thresholds and the findings a short text needs again, on the first pass of the model at `base_path`,
    every other stage kept as it is (`unspin train --findings-pass-only FILE`). A model file from before the local
    context (its `context` read the document's evidence only) keeps that model as its spin score's second pass
    (`doc_context`), so its spin scores and verdict cuts stay exactly as they were: a full retrain moves the `spun`
    cut, which rests on the upper tail of honest dev documents' scores, by itself (2026-12-01: 0.980 → 0.987 with
    the same code). The same documents and tasks as `train` with the same arguments."""
    from . import model as model_mod

    raw = json.loads(Path(base_path).read_text())
    if raw.get("format") != model_mod.MODEL_FORMAT:
        raise ValueError(f"{base_path}: not an unspin model of format {model_mod.MODEL_FORMAT}")
    if not raw.get("doc_context"):
        ctx = raw.get("context") or {}
        if tuple(ctx.get("names", ())) != F.DOC_CONTEXT_FEATURES:
            raise ValueError(f"{base_path}: its second pass reads other features than the document's context; "
                             "retrain it whole with `unspin train`")
        raw["doc_context"], raw["context"] = ctx, None
    model = Model.from_dict(raw)
    model.check_features(str(base_path))
    sets = _task_sets(root, words_per_register, dev_words_per_register, seed, calib_train_words, log)
    t0 = time.time()
    tr, dv = _span_data(sets, _run_key(seed, sets.tr_tasks), model.preranker, model.pool_k, model.ranker, jobs, log,
                        extract_cache)
    model.context = fit_context(tr, model)
    dev = [(d, decide_doc(d, model)) for d in dv]
    model.threshold, model.suspect_threshold = span_thresholds(dev)
    model.short_spun_findings, short_calib = short_spun_findings(_cut_docs(sets.dev_docs, seed), model)
    held = [(d, x) for d, x in dev if d.id not in sets.doc_fit_ids and _whole(d)]
    metrics = evaluate(dev, model, engine.knowledge().lex, held)
    log(f"findings' second pass refitted on {len(tr)} training documents: finding {model.threshold:.2f}, suspect "
        f"{model.suspect_threshold:.2f}, a short text needs {model.short_spun_findings} different findings")
    model.meta = dict(model.meta)
    model.meta["findings_pass"] = {
        "command": ("unspin train " + " ".join(sys.argv[2:]) if sys.argv[1:2] == ["train"]
                    else "unspin.train.refit_findings_pass()"),
        "trained_at": time.strftime("%Y-%m-%d %H:%M"), "seconds": round(time.time() - t0, 1),
        "train_docs": len(tr), "dev_docs": len(dv), "dev_metrics": metrics, "short_calibration": short_calib,
        "other_stages_from": str(model.meta.get("trained_at", "the base model"))}
    log("dev metrics: " + json.dumps(metrics))
    if out is not False:
        model.save(out) if out else model.save()
    return model
