"""The check pipeline: one function per stage, from data to data.

    text ─► doc_stats (pass 1: lemma and bigram counts, register)            DocStats
         ─► per piece (paragraph, long ones cut):
              piece_spans   words, LM scores of the text, spans, gate facts   Spans
              gate          model.gate keeps spans worth scoring
              score_pairs   every candidate of every kept span, in context    Pairs   (candidates.py, features.py)
              rank          softmax per span over its candidates              probs   (model.ranker)
              span_table    span features through the ranker                  SPAN_FEATURES matrix
              detector      first-pass P(spun); spans above KEEP are kept     Retained
         ─► decide          second pass with the document's evidence, levels, spin score and verdict
         ─► findings        suggestions, evidence, "a/an" taken in; merged with external findings ─► Report

`score_document` runs the stages and is what both `check` and `unspin train` call: training sees exactly what
checking sees. Memory stays bounded for large inputs: pieces are scored one at a time and only spans that may
matter (first-pass P ≥ KEEP) are kept for the second pass.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from . import features as F
from .candidates import Block, CandidatePool, default_sources
from .knowledge import lexicon as lexicon_mod
from .knowledge.thesaurus import SOURCE_BITS, bits_of
from .spans import overlaps_any, select_non_overlapping
from .stopwords import is_function_word
from .text import article_for, count_words, paragraphs, word_run
from .types import LEVEL_FINDING, LEVEL_SUSPECT, SOURCE_LIST, SOURCE_MODEL, SOURCE_TRACE, Finding, Report

MIN_WORDS_FOR_SCORE = 40  # shorter texts get no spin score (never a confident number on a sentence)
MAX_SPAN_WORDS = 3  # multi-word spans: thesaurus phrases of up to three words
KEEP = 0.02  # first-pass probability below which a span is dropped before the second pass
SOFT_FLOOR = 0.2  # spans at least this suspicious count as evidence for the document
STRONG = 0.5  # second-pass probability of a "strong" span (a document-level feature)
EXTERNAL_P = 0.97  # a listed fingerprint or a trace restoration counts as a span this sure
TOP_K = 5  # suggestions per finding
MAX_PIECE_CHARS = 20_000
MAX_DENSITY = 400.0  # findings per 1,000 words beyond which the text is not English prose
UNKNOWN_LOGPROB = -19.5  # ln P of a word neither the LM nor wordfreq knows


# ---- knowledge ------------------------------------------------------------------------------------------


class Knowledge:
    """Everything the pipeline needs, loaded once per process: the lexicon (thesauri), the candidate pool
    (over the thesauri in `sources`), the language model, the model weights."""

    def __init__(self, sources=None, lm_path=None, model_path=None, learned=None, neighbours: bool = True):
        from .knowledge import lm as lm_mod

        self.lex = lexicon_mod.load()
        self.sources = tuple(s for s in (sources or self.lex.th.sources) if s.partition(":")[0] in SOURCE_BITS)
        self.mask = bits_of(self.sources)
        self.pool = CandidatePool(self.lex, default_sources(self.lex, self.mask, learned, neighbours), self.mask)
        self.lm = lm_mod.load(lm_path)
        self.order = int(self.lm.order)
        # the lexicon's word table in the LM's ids (−1: unknown to the LM, scored by the wordfreq floor)
        self.word_lm = self.lm.ids(self.lex.word_strs).astype(np.int64)
        z = self.lex.word_zipf.astype(np.float64)
        self.word_floor = np.where(z > 0, (z - 9.0) * math.log(10) - 1.0, UNKNOWN_LOGPROB)
        self.bos = self.lm.word_id("<s>")
        self.eos = self.lm.word_id("</s>")
        self.model_path = model_path
        self._model = None
        self._vecs32 = None

    @property
    def vecs32(self) -> np.ndarray:
        """The lexicon's unit vectors as float32 (float16 on disk; arithmetic is faster in float32)."""
        if self._vecs32 is None:
            self._vecs32 = np.asarray(self.lex.vecs, dtype=np.float32)
        return self._vecs32

    @property
    def model(self):
        if self._model is None:
            from . import model as model_mod

            self._model = model_mod.load(self.model_path)
        return self._model


_KNOWLEDGE: dict[tuple, Knowledge] = {}


def knowledge(sources=None, lm_path=None, model_path=None, learned_key=None, learned=None) -> Knowledge:
    key = (tuple(sources) if sources else None, lm_path, model_path, learned_key)
    k = _KNOWLEDGE.get(key)
    if k is None:
        if len(_KNOWLEDGE) >= 8:
            _KNOWLEDGE.pop(next(iter(_KNOWLEDGE)))
        k = _KNOWLEDGE[key] = Knowledge(sources, lm_path, model_path, learned)
    return k


@lru_cache(maxsize=200_000)
def _floor(word: str) -> float:
    from wordfreq import zipf_frequency

    z = zipf_frequency(word, "en")
    return (z - 9.0) * math.log(10) - 1.0 if z > 0 else UNKNOWN_LOGPROB


# ---- pass 1: the document ------------------------------------------------------------------------------


@dataclass
class DocStats:
    """What every span's features may know about the whole document."""

    words: int
    mean_zipf: float  # register: mean Zipf frequency of content words (old or formal prose is rarer)
    lemma_keys: np.ndarray  # sorted echo-lemma ids (lexicon form ids) of the document's words
    lemma_counts: np.ndarray
    bigram_keys: np.ndarray  # sorted word-table bigram keys (w1 * W + w2) of adjacent words
    bigram_counts: np.ndarray

    def lemma_count(self, lemmas: np.ndarray) -> np.ndarray:
        return _lookup(self.lemma_keys, self.lemma_counts, lemmas)

    def bigram_count(self, keys: np.ndarray) -> np.ndarray:
        return _lookup(self.bigram_keys, self.bigram_counts, keys)


def _lookup(keys: np.ndarray, counts: np.ndarray, q: np.ndarray) -> np.ndarray:
    if not len(keys) or not len(q):
        return np.zeros(len(q), dtype=np.int64)
    i = np.minimum(np.searchsorted(keys, q), len(keys) - 1)
    return np.where(keys[i] == q, counts[i], 0)


def doc_stats(text: str, k: Knowledge) -> DocStats:
    lex = k.lex
    fid = lex.form_id
    W = len(lex.word_strs)
    lem: list[int] = []
    bigr: list[int] = []
    zsum = 0.0
    nz = 0
    words = 0
    for _, piece in _pieces(text):
        run = word_run(piece)
        words += len(run.lower)
        prev_w = -1
        prev_s = -1
        for low, s in zip(run.lower, run.sent):
            f = fid.get(low, -1)
            w = int(lex.words[f, 0]) if f >= 0 and lex.n_words[f] == 1 else -1
            if prev_w >= 0 and w >= 0 and s == prev_s:
                bigr.append(prev_w * W + w)
            prev_w, prev_s = w, s
            if f >= 0 and not lex.function[f]:
                lem.append(int(lex.lemma[f]))
                zsum += float(lex.zipf[f])
                nz += 1
            elif f < 0 and not is_function_word(low):
                zsum += 1.5  # a word no thesaurus knows: rare
                nz += 1
    lk, lc = np.unique(np.array(lem, dtype=np.int64), return_counts=True)
    bk, bc = np.unique(np.array(bigr, dtype=np.int64), return_counts=True)
    return DocStats(words, zsum / nz if nz else 4.0, lk, lc, bk, bc)


def _pieces(text: str):
    """Paragraphs, with very long ones cut at a sentence end (or a space) so memory stays bounded."""
    for base, para in paragraphs(text):
        if len(para) <= MAX_PIECE_CHARS:
            yield base, para
            continue
        pos = 0
        while pos < len(para):
            end = min(pos + MAX_PIECE_CHARS, len(para))
            if end < len(para):
                cut = max(para.rfind(". ", pos, end), para.rfind("\n", pos, end))
                if cut <= pos:
                    cut = para.rfind(" ", pos, end)
                end = cut + 1 if cut > pos else end
            yield base + pos, para[pos:end]
            pos = end


# ---- a piece: words, the text's own LM scores, spans, gate facts ---------------------------------------------


@dataclass
class Spans:
    """Every candidate span of a piece (a word or a thesaurus phrase), as parallel arrays."""

    text: str  # the piece
    base: int  # its offset in the document
    start: np.ndarray  # code points, document offsets
    end: np.ndarray
    form: np.ndarray  # lexicon form id
    first: np.ndarray  # index of its first word in the piece's word list
    n_words: np.ndarray
    gate: dict  # GATE_FEATURES columns (plus facts the later stages read)
    # per word of the piece
    seq_pos: np.ndarray  # position of each word in the LM sequence
    seq_ids: np.ndarray  # LM ids of the piece's sentence sequences (<s> w … </s>), −1 unknown
    seq_floor: np.ndarray  # unigram floor where seq_ids is −1
    seq_sent: np.ndarray  # sentence number of each sequence position
    seq_score: np.ndarray  # ln P of each position given its history (0 at <s>)
    seq_uni: np.ndarray  # ln P of each position alone
    word_prev_article: np.ndarray  # 0 / 1 ("a") / 2 ("an") before each word
    word_wt: np.ndarray  # word-table id of each word (−1 when the lexicon lacks it)

    def __len__(self) -> int:
        return len(self.start)


def _eligible(low: str) -> bool:
    return len(low) >= 2 and "'" not in low and not is_function_word(low)


def _lm_score_sequence(k: Knowledge, ids: np.ndarray, floor: np.ndarray, sent: np.ndarray):
    """(ln P in context, ln P alone) of every sequence position; history never crosses a sentence start."""
    n = len(ids)
    o = k.order
    hist = np.full((n, o - 1), -1, dtype=np.int64)
    for j in range(1, o):
        h = np.full(n, -1, dtype=np.int64)
        h[j:] = ids[:-j]
        same = np.zeros(n, dtype=bool)
        same[j:] = sent[j:] == sent[:-j]
        hist[:, o - 1 - j] = np.where(same, h, -1)
    known = ids >= 0
    w = np.where(known, ids, 0)
    ctx = np.where(known, k.lm.logprob_ids(hist, w), floor)
    uni = np.where(known, k.lm.logprob_ids(np.full((n, o - 1), -1, dtype=np.int64), w), floor)
    return ctx, uni


def piece_spans(piece: str, base: int, k: Knowledge, stats: DocStats) -> Spans:
    lex, fid = k.lex, k.lex.form_id
    run = word_run(piece, base)
    nw = len(run.lower)
    # the LM sequence: <s> w1 … wn </s> per sentence
    seq_ids: list[int] = []
    seq_floor: list[float] = []
    seq_sent: list[int] = []
    seq_pos = np.zeros(nw, dtype=np.int64)
    forms = np.full(nw, -1, dtype=np.int64)
    word_wt = np.full(nw, -1, dtype=np.int64)
    wid = k.lm.word_id
    prev_s = None
    for i, (low, s) in enumerate(zip(run.lower, run.sent)):
        if s != prev_s:
            if prev_s is not None:
                seq_ids.append(k.eos)
                seq_floor.append(0.0)
                seq_sent.append(prev_s)
            seq_ids.append(k.bos)
            seq_floor.append(0.0)
            seq_sent.append(s)
            prev_s = s
        f = fid.get(low, -1)
        forms[i] = f
        if f >= 0 and lex.n_words[f] == 1:
            word_wt[i] = lex.words[f, 0]
        lid = wid(low)
        seq_pos[i] = len(seq_ids)
        seq_ids.append(lid)
        seq_floor.append(_floor(low) if lid < 0 else 0.0)
        seq_sent.append(s)
    if prev_s is not None:
        seq_ids.append(k.eos)
        seq_floor.append(0.0)
        seq_sent.append(prev_s)
    ids = np.array(seq_ids, dtype=np.int64)
    sents = np.array(seq_sent, dtype=np.int64)
    floor = np.array(seq_floor, dtype=np.float64)
    if len(ids):
        score, uni = _lm_score_sequence(k, ids, floor, sents)
        is_bos = np.zeros(len(ids), dtype=bool)
        is_bos[0] = True
        is_bos[1:] = sents[1:] != sents[:-1]
        score[is_bos] = 0.0
        uni[is_bos] = 0.0
    else:
        score = uni = np.zeros(0)
    # spans: single eligible words, and thesaurus phrases of adjacent words (longest first)
    sp_first, sp_n, sp_form = [], [], []
    first_word = np.ones(nw, dtype=bool)
    if nw:
        first_word[1:] = np.array(run.sent[1:]) != np.array(run.sent[:-1])
    prev_article = np.zeros(nw, dtype=np.int64)
    pf = lex.phrase_first
    for i, low in enumerate(run.lower):
        if i + 1 < nw and low in ("a", "an"):
            prev_article[i + 1] = 1 if low == "a" else 2
        n_max = min(pf.get(low, 0), MAX_SPAN_WORDS, nw - i)
        for n in range(n_max, 1, -1):
            if not all(run.adjacent[i + j] for j in range(1, n)):
                continue
            f = fid.get(" ".join(run.lower[i : i + n]), -1)
            if f >= 0 and not lex.function[f]:
                sp_first.append(i)
                sp_n.append(n)
                sp_form.append(f)
        f = forms[i]
        if f >= 0 and _eligible(low):
            sp_first.append(i)
            sp_n.append(1)
            sp_form.append(int(f))
    first = np.array(sp_first, dtype=np.int64)
    nsp = np.array(sp_n, dtype=np.int64)
    form = np.array(sp_form, dtype=np.int64)
    last = first + nsp - 1
    start = np.array(run.start, dtype=np.int64)[first] if len(first) else np.zeros(0, dtype=np.int64)
    end = np.array(run.end, dtype=np.int64)[last] if len(first) else np.zeros(0, dtype=np.int64)
    gate = _gate_columns(run, first, last, nsp, form, seq_pos, ids, score, uni, first_word, k, stats)
    return Spans(piece, base, start, end, form, first, nsp, gate, seq_pos, ids, floor, sents, score, uni,
                 prev_article, word_wt)


def _gate_columns(run, first, last, nsp, form, seq_pos, ids, score, uni, first_word, k, stats) -> dict:
    """GATE_FEATURES of every span: facts of the span alone, before any candidate is scored."""
    lex = k.lex
    n = len(first)
    if n == 0:
        cols = {name: np.zeros(0) for name in F.GATE_FEATURES}
        cols.update(text_mid=np.zeros(0), text_uni=np.zeros(0), text_zipf=np.zeros(0))
        return cols
    # ln P of the span's words in context minus alone: how expected the span is here
    cs = np.concatenate([[0.0], np.cumsum(score)])
    cu = np.concatenate([[0.0], np.cumsum(uni)])
    a = seq_pos[first]
    b = seq_pos[last] + 1
    text_mid = cs[b] - cs[a]
    text_uni = cu[b] - cu[a]
    oov = np.concatenate([[0], np.cumsum(ids < 0)])
    text_oov = (oov[b] - oov[a] > 0).astype(np.float64)
    caps = np.array([t[:1].isupper() for t in run.text], dtype=bool)
    sentence_initial = first_word[first]
    cap_mid = (caps[first] & ~sentence_initial).astype(np.float64)
    nw = len(caps)
    prev_cap = np.zeros(n, dtype=bool)
    has_prev = (first > 0) & ~sentence_initial
    prev_cap[has_prev] = caps[first[has_prev] - 1] & ~first_word[first[has_prev] - 1]
    has_next = last + 1 < nw
    next_cap = np.zeros(n, dtype=bool)
    nx = last[has_next] + 1
    next_cap[has_next] = caps[nx] & ~first_word[nx]
    in_name = (prev_cap | next_cap).astype(np.float64)
    text_zipf = lex.zipf[form].astype(np.float64)
    lem = lex.lemma[form].astype(np.int64)
    text_echo = np.log1p(np.maximum(stats.lemma_count(lem) - 1, 0))
    attraction = np.array([k.pool.attraction(int(f)) for f in form], dtype=np.float64)
    return {
        "bias": np.ones(n),
        "text_zipf": text_zipf,
        "text_zipf_sq": text_zipf ** 2,
        "text_fit": F.clip(text_mid - text_uni),
        "text_oov": text_oov,
        "cap_mid": cap_mid,
        "in_name": in_name,
        "sentence_initial": sentence_initial.astype(np.float64),
        "text_echo": text_echo,
        "doc_zipf": np.full(n, stats.mean_zipf),
        "relative_zipf": text_zipf - stats.mean_zipf,
        "log_links": np.log1p(lex.link_count[form].astype(np.float64)),
        "span_words": nsp.astype(np.float64),
        "attraction": attraction,
        # not gate features, but facts the later stages read
        "text_mid": text_mid,
        "text_uni": text_uni,
    }


def gate_matrix(spans: Spans) -> np.ndarray:
    return F.matrix({k: spans.gate[k] for k in F.GATE_FEATURES}, F.GATE_FEATURES, len(spans))


# ---- stage B: every candidate of the kept spans, in context -------------------------------------------------


@dataclass
class Pairs:
    """The candidates of a set of spans (`idx` into Spans), flattened: rows grouped by span, in `idx` order."""

    idx: np.ndarray  # span indexes with at least one candidate
    starts: np.ndarray  # first row of each span's group
    span_of: np.ndarray  # group number of each row
    cand: np.ndarray  # candidate form ids
    X: np.ndarray  # PAIR_FEATURES matrix
    cols: dict  # the named columns (for span features and evidence)
    pool_size: np.ndarray  # candidates each span had before the pre-ranker's cut

    @property
    def ends(self) -> np.ndarray:
        return np.append(self.starts[1:], len(self.cand))


def _empty_pairs() -> Pairs:
    z = np.zeros(0, np.int64)
    return Pairs(z, z, z, z, np.zeros((0, len(F.PAIR_FEATURES))), {}, z)


def candidate_rows(spans: Spans, idx: np.ndarray, k: Knowledge, stats: DocStats):
    """Stage 1: every candidate of every span in `idx` with its cheap columns (PRE_FEATURES): static facts,
    the first word's fit with the left context, echo. Returns (idx with candidates, span group of each row,
    candidate ids, columns) or None."""
    lex, pool = k.lex, k.pool
    blocks: list[Block] = []
    keep_idx = []
    for i in idx.tolist():
        b = pool.for_form(int(spans.form[i]))
        if len(b):
            blocks.append(b)
            keep_idx.append(i)
    if not keep_idx:
        return None
    idx = np.array(keep_idx, dtype=np.int64)
    sizes = np.array([len(b) for b in blocks], dtype=np.int64)
    span_of = np.repeat(np.arange(len(idx)), sizes)
    cand = np.concatenate([b.cand for b in blocks]).astype(np.int64)
    cols = {name: np.concatenate([getattr(b, name) for b in blocks]).astype(np.float64)
            for name in ("reverse", "forward", "n_sources", "tag_match", "learned", "neighbour_only", "log_nsyn",
                         "sim")}
    sp = idx[span_of]
    first = spans.first[sp]
    last = first + spans.n_words[sp] - 1
    left = _left_context(spans, spans.seq_pos[first], k.order)
    c1 = lex.words[cand, 0].astype(np.int64)
    c1_ids = k.word_lm[c1]
    lp1 = np.array(k.word_floor[c1])
    kn = c1_ids >= 0
    if kn.any():
        lp1[kn] = k.lm.logprob_ids(left[kn], c1_ids[kn])
    t1 = spans.seq_score[spans.seq_pos[first]]
    text_zipf = spans.gate["text_zipf"][sp]
    cand_zipf = lex.zipf[cand].astype(np.float64)
    cols["first_lp"] = lp1
    cols["left_gain1"] = F.clip(lp1 - t1)
    cols.update(F.spinner_choice(cand_zipf, text_zipf, cols["log_nsyn"]))
    cols["echo_n"] = stats.lemma_count(lex.lemma[cand].astype(np.int64)).astype(np.float64)
    cols["echo_bigram"] = np.log1p(_bigram_echo(spans, first, last, cand, k, stats))
    n_c = lex.n_words[cand].astype(np.float64)
    cols["cand_words"] = n_c
    cwords = lex.words[cand]
    cols["cand_oov"] = ((k.word_lm[np.maximum(cwords, 0)] < 0) & (cwords >= 0)).any(axis=1).astype(np.float64)
    return idx, span_of, cand, cols


def _bigram_echo(spans: Spans, first: np.ndarray, last: np.ndarray, cand: np.ndarray, k: Knowledge,
                 stats: DocStats) -> np.ndarray:
    """Times the candidate occurs elsewhere next to the span's own left or right neighbour."""
    lex = k.lex
    W = len(lex.word_strs)
    cw_first = lex.words[cand, 0].astype(np.int64)
    n_c = lex.n_words[cand].astype(np.int64)
    cw_last = lex.words[cand, np.minimum(n_c, lexicon_mod.MAX_FORM_WORDS) - 1].astype(np.int64)
    nwp = len(spans.word_wt)
    prev_w = np.where(first > 0, spans.word_wt[np.maximum(first - 1, 0)], -1)
    next_w = np.where(last + 1 < nwp, spans.word_wt[np.minimum(last + 1, nwp - 1)], -1)
    bg = np.zeros(len(cand), dtype=np.int64)
    ok = (prev_w >= 0) & (cw_first >= 0)
    bg[ok] += stats.bigram_count(prev_w[ok] * W + cw_first[ok])
    ok = (next_w >= 0) & (cw_last >= 0)
    bg[ok] += stats.bigram_count(cw_last[ok] * W + next_w[ok])
    return bg


def pre_matrix(cols: dict) -> np.ndarray:
    named = {"left_gain1": cols["left_gain1"], "cand_zipf": cols["cand_zipf"], "rarity_gap": cols["rarity_gap"],
             "echo_cand": np.log1p(cols["echo_n"])}
    named.update({n: cols[n] for n in F.PRE_FEATURES if n not in named})
    return F.matrix(named, F.PRE_FEATURES, len(cols["cand_zipf"]))


def top_per_group(score: np.ndarray, group: np.ndarray, k: int) -> np.ndarray:
    """Rows (sorted) holding the k highest scores of each group (groups are contiguous runs)."""
    order = np.lexsort((-score, group))
    g = group[order]
    first = np.concatenate([[True], g[1:] != g[:-1]])
    start_pos = np.maximum.accumulate(np.where(first, np.arange(len(g)), 0))
    rank_in_group = np.arange(len(g)) - start_pos
    return np.sort(order[rank_in_group < k])


def score_pairs(spans: Spans, idx: np.ndarray, k: Knowledge, stats: DocStats, topic: np.ndarray | None,
                pre=None, pool_k: int = 0, rows: np.ndarray | None = None) -> Pairs:
    """Every candidate of the spans in `idx` scored in context: stage 1 (cheap columns) for all of them; the
    pre-ranker keeps the `pool_k` best per span (all of them without a pre-ranker); stage 2 adds the full
    language-model window, topic and the rest of PAIR_FEATURES. `rows` (training) picks stage-1 rows itself."""
    lex = k.lex
    got = candidate_rows(spans, idx, k, stats)
    if got is None:
        return _empty_pairs()
    idx, span_of, cand, cols = got
    pool_size = np.bincount(span_of, minlength=len(idx))
    if rows is None and pre is not None and pool_k:
        rows = top_per_group(pre.decision(pre_matrix(cols)), span_of, pool_k)
    if rows is not None:
        span_of, cand = span_of[rows], cand[rows]
        cols = {n: v[rows] for n, v in cols.items()}
        present = np.unique(span_of)
        if len(present) < len(idx):  # spans that lost every row (training picks) drop out
            remap = np.full(len(idx), -1, dtype=np.int64)
            remap[present] = np.arange(len(present))
            idx, pool_size, span_of = idx[present], pool_size[present], remap[span_of]
    sizes = np.bincount(span_of, minlength=len(idx))
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    sp = idx[span_of]
    first = spans.first[sp]
    last = first + spans.n_words[sp] - 1
    b = spans.seq_pos[last] + 1
    # the language-model window: the candidate in the span's place, with the span's left and right context
    cand_mid, cand_right, cand_uni = _candidate_windows(spans, sp, cand, k, cols["first_lp"])
    text_right = _right_text_score(spans, b, k.order)
    cols.update(F.lm_gains(cand_mid, cand_right, spans.gate["text_mid"][sp], text_right, cand_uni,
                           spans.gate["text_uni"][sp]))
    cols.update(F.echo(cols["echo_n"], cols["gain"], np.expm1(cols["echo_bigram"])))
    cols.update(F.shape(cols["cand_words"], spans.n_words[sp].astype(np.float64), cols["cand_oov"]))
    cols["article_fix"] = F.article_fix(spans.word_prev_article[first], lex.an[spans.form[sp]], lex.an[cand])
    cols["cap_x_gain"] = F.names(spans.gate["cap_mid"][sp], cols["gain"])
    cols["topic_gain"] = _topic_gain(spans, sp, cand, k, topic)
    X = F.matrix({n: cols[n] for n in F.PAIR_FEATURES}, F.PAIR_FEATURES, len(cand))
    return Pairs(idx, starts, span_of, cand, X, cols, pool_size)


def _left_context(spans: Spans, a: np.ndarray, order: int) -> np.ndarray:
    """The (order − 1) sequence ids before positions `a` (−1 before the sentence start), oldest first."""
    hlen = order - 1
    ids, sent = spans.seq_ids, spans.seq_sent
    left = np.full((len(a), hlen), -1, dtype=np.int64)
    for j in range(1, hlen + 1):
        pos = a - j
        ok = pos >= 0
        ok[ok] &= sent[pos[ok]] == sent[a[ok]]
        left[ok, hlen - j] = ids[pos[ok]]
    # an unknown word (−1) cuts the context: nothing before it counts either
    for c in range(hlen - 1, 0, -1):
        cut = left[:, c] < 0
        if cut.any():
            left[cut, :c] = -1
    return left


def _right_text_score(spans: Spans, b: np.ndarray, order: int) -> np.ndarray:
    """ln P of the (order − 1) words after each span, as the text has them (stopping at the sentence end):
    the positions whose history holds the span."""
    total = np.zeros(len(b))
    n = len(spans.seq_ids)
    sent = spans.seq_sent
    for j in range(order - 1):
        pos = b + j
        ok = pos < n
        ok[ok] &= sent[pos[ok]] == sent[b[ok] - 1]
        total[ok] += spans.seq_score[pos[ok]]
    return total


def _candidate_windows(spans: Spans, sp: np.ndarray, cand: np.ndarray, k: Knowledge, first_lp: np.ndarray):
    """For each (span, candidate) row: ln P of the candidate's words given the span's left context (the first
    word's score comes from stage 1), ln P of the words after the span given the candidate, and the
    candidate's unigram ln P. Rows are grouped by candidate length so each LM call is one numpy batch."""
    lex = k.lex
    o = k.order
    hlen = o - 1
    n = len(cand)
    cand_mid = np.array(first_lp, dtype=np.float64)
    cand_right = np.zeros(n)
    cand_uni = np.zeros(n)
    first = spans.first[sp]
    last = first + spans.n_words[sp] - 1
    a = spans.seq_pos[first]
    b = spans.seq_pos[last] + 1
    ids, sent = spans.seq_ids, spans.seq_sent
    nseq = len(ids)
    left = _left_context(spans, a, o)
    # right context: the hlen positions after the span (−2 = past the sentence end: not scored)
    right = np.full((n, hlen), -2, dtype=np.int64)
    right_floor = np.zeros((n, hlen))
    for j in range(hlen):
        pos = b + j
        ok = pos < nseq
        ok[ok] &= sent[pos[ok]] == sent[a[ok]]
        right[ok, j] = ids[pos[ok]]
        right_floor[ok, j] = spans.seq_floor[pos[ok]]
    n_c = lex.n_words[cand].astype(np.int64)
    cwords = lex.words[cand]  # (n, MAX_FORM_WORDS) word-table ids
    for m in np.unique(n_c).tolist():
        rows = np.nonzero(n_c == m)[0]
        wt = cwords[rows, :m].astype(np.int64)
        c_ids = k.word_lm[wt]  # −1: unknown to the LM
        c_floor = k.word_floor[wt]
        seq = np.concatenate([left[rows], c_ids, right[rows]], axis=1)
        fl = np.concatenate([np.zeros((len(rows), hlen)), c_floor, right_floor[rows]], axis=1)
        uni = np.where(c_ids >= 0, 0.0, c_floor)
        kn = c_ids >= 0
        if kn.any():
            r, c = np.nonzero(kn)
            uni[r, c] = k.lm.logprob_ids(np.full((len(r), hlen), -1, dtype=np.int64), c_ids[r, c])
        cand_uni[rows] = uni.sum(axis=1)
        for j in range(hlen + 1, hlen + m + hlen):  # the first word (position hlen) is scored already
            w = seq[:, j]
            present = w != -2
            if not present.any():
                continue
            hist = seq[:, j - hlen : j].copy()
            hist[hist == -2] = -1
            for c in range(hlen - 1, 0, -1):  # an unknown word cuts the context before it too
                cut = hist[:, c] < 0
                if cut.any():
                    hist[cut, :c] = -1
            known = present & (w >= 0)
            lp = np.where(w == -1, fl[:, j], 0.0)
            if known.any():
                lp[known] = k.lm.logprob_ids(hist[known], w[known])
            lp[~present] = 0.0
            if j < hlen + m:
                cand_mid[rows] += lp
            else:
                cand_right[rows] += lp
    return cand_mid, cand_right, cand_uni


def _topic_gain(spans: Spans, sp: np.ndarray, cand: np.ndarray, k: Knowledge, topic: np.ndarray | None):
    """cos(candidate, the piece's topic without the span) − cos(span, same): spinners pick synonyms without
    regard to sense, so a spun word often fits its paragraph worse than the original."""
    lex = k.lex
    out = np.zeros(len(cand))
    if topic is None or not len(lex.vecs):
        return out
    vecs = k.vecs32
    srow = lex.vec_row[spans.form[sp]]
    crow = lex.vec_row[cand]
    sv = np.where((srow >= 0)[:, None], vecs[np.maximum(srow, 0)], 0.0)
    ctx = topic[None, :] - sv
    norm = np.linalg.norm(ctx, axis=1)
    ok = (norm > 1e-6) & (crow >= 0)
    if not ok.any():
        return out
    ctx = ctx[ok] / norm[ok, None]
    out[ok] = np.einsum("ij,ij->i", vecs[crow[ok]], ctx) - np.einsum("ij,ij->i", sv[ok], ctx)
    return out


def piece_topic(spans: Spans, k: Knowledge) -> np.ndarray | None:
    """Sum of the unit vectors of the piece's content words."""
    lex = k.lex
    if not len(lex.vecs) or not len(spans):
        return None
    single = spans.n_words == 1
    rows = lex.vec_row[spans.form[single]]
    rows = rows[rows >= 0]
    if not len(rows):
        return None
    return k.vecs32[rows].sum(axis=0)


def text_topic(spans: Spans, idx: np.ndarray, k: Knowledge, topic: np.ndarray | None) -> np.ndarray:
    lex = k.lex
    out = np.zeros(len(idx))
    if topic is None or not len(idx):
        return out
    srow = lex.vec_row[spans.form[idx]]
    sv = np.where((srow >= 0)[:, None], k.vecs32[np.maximum(srow, 0)], 0.0)
    ctx = topic[None, :] - sv
    norm = np.linalg.norm(ctx, axis=1)
    ok = (norm > 1e-6) & (srow >= 0)
    out[ok] = np.einsum("ij,ij->i", sv[ok], ctx[ok] / norm[ok, None])
    return out


# ---- ranking and the span table ------------------------------------------------------------------------------


def rank(pairs: Pairs, ranker) -> np.ndarray:
    """Softmax of the ranker's scores within each span's candidates."""
    if not len(pairs.cand):
        return np.zeros(0)
    z = ranker.decision(pairs.X)
    zmax = np.maximum.reduceat(z, pairs.starts)
    e = np.exp(z - zmax[pairs.span_of])
    return e / np.add.reduceat(e, pairs.starts)[pairs.span_of]


def best_rows(pairs: Pairs, probs: np.ndarray) -> np.ndarray:
    """Row of each span's most probable candidate (the first one on ties)."""
    pmax = np.maximum.reduceat(probs, pairs.starts)
    is_max = np.nonzero(probs >= pmax[pairs.span_of])[0]
    _, first = np.unique(pairs.span_of[is_max], return_index=True)
    return is_max[first]


def span_table(spans: Spans, pairs: Pairs, probs: np.ndarray, k: Knowledge, stats: DocStats,
               topic: np.ndarray | None, near: np.ndarray) -> np.ndarray:
    """SPAN_FEATURES of the spans in `pairs.idx`, seen through the ranker's probabilities."""
    idx = pairs.idx
    n = len(idx)
    if n == 0:
        return np.zeros((0, len(F.SPAN_FEATURES)))
    g = spans.gate
    best = best_rows(pairs, probs)
    pb = probs[best]
    second = np.maximum.reduceat(np.where(np.isin(np.arange(len(probs)), best), -1.0, probs), pairs.starts)
    second = np.maximum(second, 0.0)
    c = pairs.cols
    gain_b = c["gain"][best]
    text_zipf = g["text_zipf"][idx]
    cols = {
        "bias": np.ones(n),
        "best_gain": gain_b,
        "best_gain_pos": np.maximum(gain_b, 0.0),
        "best_gain_left": c["gain_left"][best],
        "best_gain_right": c["gain_right"][best],
        "max_gain": np.maximum.reduceat(c["gain"], pairs.starts),
        "exp_gain": np.add.reduceat(probs * c["gain"], pairs.starts),
        "best_prob": pb,
        "margin": pb - second,
        "text_zipf": text_zipf,
        "text_zipf_sq": text_zipf ** 2,
        "text_fit": g["text_fit"][idx],
        "text_oov": g["text_oov"][idx],
        "best_rarity_gap": c["rarity_gap"][best],
        "best_log_nsyn": c["log_nsyn"][best],
        "best_reverse": c["reverse"][best],
        "best_forward": c["forward"][best],
        "best_n_sources": c["n_sources"][best],
        "best_tag_match": c["tag_match"][best],
        "best_learned": c["learned"][best],
        "best_neighbour_only": c["neighbour_only"][best],
        "best_sim": c["sim"][best],
        "best_echo": c["echo_cand"][best],
        "best_echo_bigram": c["echo_bigram"][best],
        "max_echo_bigram": np.maximum.reduceat(c["echo_bigram"], pairs.starts),
        "text_echo": g["text_echo"][idx],
        "log_n_cands": np.log(np.maximum(pairs.pool_size, 1).astype(np.float64)),
        "cap_mid": g["cap_mid"][idx],
        "in_name": g["in_name"][idx],
        "cap_x_gain": g["cap_mid"][idx] * gain_b,
        "best_article_fix": c["article_fix"][best],
        "span_words": g["span_words"][idx],
        "gain_x_rarity": np.maximum(gain_b, 0.0) * np.maximum(c["rarity_gap"][best], 0.0),
        "doc_zipf": g["doc_zipf"][idx],
        "relative_zipf": g["relative_zipf"][idx],
        "near_rare": near[idx],
        "attraction": g["attraction"][idx],
        "best_topic_gain": c["topic_gain"][best],
        "text_topic": text_topic(spans, idx, k, topic),
    }
    cols.update(F.register(stats.mean_zipf, gain_b, text_zipf, g["attraction"][idx]))
    return F.matrix(cols, F.SPAN_FEATURES, n)


# ---- a whole document ------------------------------------------------------------------------------------------


@dataclass
class Retained:
    """Spans that survived the first pass (P ≥ KEEP), with what the second pass and the findings need."""

    start: list[int] = field(default_factory=list)
    end: list[int] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    form: list[int] = field(default_factory=list)
    p1: list[float] = field(default_factory=list)
    rows: list[np.ndarray] = field(default_factory=list)  # SPAN_FEATURES rows
    top: list[list[tuple[int, float]]] = field(default_factory=list)  # best candidates (form id, prob)
    best: list[dict] = field(default_factory=list)  # the best candidate's pair features (evidence)
    prev_article: list[int] = field(default_factory=list)
    span_index: list[int] = field(default_factory=list)  # index within the document's spans (training)

    def __len__(self) -> int:
        return len(self.p1)


@dataclass
class Aggregates:
    """Document-level sums over every span (before the gate), for the document model."""

    spans: int = 0
    attraction_sum: float = 0.0
    rare: int = 0
    evidence: float = 0.0  # Σ first-pass P over spans with P ≥ SOFT_FLOOR
    best_gain_sum: float = 0.0
    scored: int = 0


@dataclass
class DocumentScore:
    """What `score_document` computes: the retained spans with their second-pass probabilities, the
    document features and the spin score (None when no score can be given)."""

    words: int
    english: bool
    notes: list[str]
    retained: Retained
    p2: np.ndarray
    doc_x: np.ndarray | None
    spin_score: float | None
    stats: DocStats | None = None


def english_share(text: str, k: Knowledge, sample: int = 4000) -> tuple[float, float]:
    """(share of word tokens the LM or the lexicon knows, share that are English function words)."""
    run = word_run(text[: sample * 8])
    n = min(len(run.lower), sample)
    if n == 0:
        return 0.0, 0.0
    known = func = 0
    fid = k.lex.form_id
    for low in run.lower[:n]:
        if is_function_word(low):
            func += 1
            known += 1
        elif k.lm.known(low) or low in fid:
            known += 1
    return known / n, func / n


def first_pass_piece(piece: str, base: int, k: Knowledge, stats: DocStats, model, gate: bool, agg: Aggregates,
                     out: Retained, span_offset: int = 0, keep: float = KEEP):
    """Score one piece: gate, candidates, ranker, detector; append spans with P ≥ `keep` to `out`. Returns
    (Spans, kept indexes, pairs, probs, span matrix, p1) for callers that need them (training)."""
    spans = piece_spans(piece, base, k, stats)
    n = len(spans)
    if n == 0:
        return spans, np.zeros(0, np.int64), None, None, None, np.zeros(0)
    agg.spans += n
    agg.attraction_sum += float(spans.gate["attraction"].sum())
    agg.rare += int((spans.gate["text_zipf"] < 3.0).sum())
    G = gate_matrix(spans)
    kept = np.nonzero(model.gate_keep(G))[0] if gate else np.arange(n)
    topic = piece_topic(spans, k)
    pairs = score_pairs(spans, kept, k, stats, topic, model.preranker, model.pool_k)
    if not len(pairs.idx):
        return spans, pairs.idx, pairs, np.zeros(0), np.zeros((0, len(F.SPAN_FEATURES))), np.zeros(0)
    probs = rank(pairs, model.ranker)
    near = F.near_rare(spans.start, spans.gate["text_zipf"])
    M = span_table(spans, pairs, probs, k, stats, topic, near)
    p1 = model.detector.predict(M)
    agg.evidence += float(p1[p1 >= SOFT_FLOOR].sum())
    agg.best_gain_sum += float(np.maximum(M[:, F.SPAN_FEATURES.index("best_gain")], 0.0).sum())
    agg.scored += len(p1)
    sel = np.nonzero(p1 >= keep)[0]
    if len(sel):
        ends = np.append(pairs.starts, len(probs))
        for j in sel.tolist():
            i = int(pairs.idx[j])
            a, b = int(ends[j]), int(ends[j + 1])
            pr = probs[a:b]
            order = np.argsort(-pr, kind="stable")[:TOP_K]
            s0, e0 = int(spans.start[i]), int(spans.end[i])
            out.start.append(s0)
            out.end.append(e0)
            out.text.append(piece[s0 - base : e0 - base])
            out.form.append(int(spans.form[i]))
            out.p1.append(float(p1[j]))
            out.rows.append(M[j])
            out.top.append([(int(pairs.cand[a + r]), float(pr[r])) for r in order.tolist()])
            br = a + int(order[0])
            out.best.append({name: float(v[br]) for name, v in pairs.cols.items()}
                            | {"text_zipf": float(spans.gate["text_zipf"][i]),
                               "cap_mid": float(spans.gate["cap_mid"][i]),
                               "in_name": float(spans.gate["in_name"][i])})
            out.prev_article.append(int(spans.word_prev_article[spans.first[i]]))
            out.span_index.append(span_offset + i)
    return spans, kept, pairs, probs, M, p1


def context_column(p1: np.ndarray, evidence: float, words: int) -> np.ndarray:
    """ln(1 + the rest of the document's evidence per 1,000 words) for each span (its own share removed):
    in a document that is clearly spun, a borderline span is likelier spun too."""
    own = np.where(p1 >= SOFT_FLOOR, p1, 0.0)
    return np.log1p(np.maximum(evidence - own, 0.0) * 1000.0 / max(words, 1))


def second_pass(retained: Retained, agg: Aggregates, words: int, model) -> np.ndarray:
    p1 = np.array(retained.p1)
    if not len(p1) or model.context is None:
        return p1
    M = np.vstack(retained.rows)
    X = np.hstack([M, context_column(p1, agg.evidence, words)[:, None]])
    return model.context.predict(X)


def doc_features(p2: np.ndarray, agg: Aggregates, words: int, n_external: int, mean_zipf: float) -> np.ndarray:
    per = 1000.0 / max(words, 1)
    evidence = agg.evidence + EXTERNAL_P * n_external
    strong = float((p2 >= STRONG).sum()) + n_external
    top = np.sort(np.concatenate([p2, np.full(n_external, EXTERNAL_P)]))[::-1][:5]
    top = np.pad(top, (0, 5 - len(top)))
    cols = {
        "bias": 1.0,
        "log_words": math.log(max(words, 1)),
        "log_evidence": math.log1p(evidence * per),
        "log_strong": math.log1p(strong * per),
        "log_external": math.log1p(n_external * per),
        "top_mean": float(top.mean()),
        "mean_attraction": agg.attraction_sum / agg.spans if agg.spans else 0.0,
        "rare_share": agg.rare / agg.spans if agg.spans else 0.0,
        "doc_zipf": mean_zipf,
        "mean_best_gain": agg.best_gain_sum / agg.scored if agg.scored else 0.0,
    }
    return F.matrix({k: np.array([v]) for k, v in cols.items()}, F.DOC_FEATURES, 1)[0]


def score_document(text: str, k: Knowledge, model=None, gate: bool = True, n_external: int = 0,
                   keep: float = KEEP) -> DocumentScore:
    """The whole decision path for one document (used by `check` and by `unspin train`)."""
    model = model or k.model
    words = count_words(text)
    notes: list[str] = []
    empty = DocumentScore(words, False, notes, Retained(), np.zeros(0), None, None)
    if not words:
        notes.append("no words")
        return empty
    known, func = english_share(text, k)
    if known < 0.6 or func < 0.12:
        notes.append(f"text does not look like English prose (known words {known:.0%}, function words "
                     f"{func:.0%}); no model findings")
        return empty
    stats = doc_stats(text, k)
    agg = Aggregates()
    retained = Retained()
    offset = 0
    for base, piece in _pieces(text):
        spans = first_pass_piece(piece, base, k, stats, model, gate, agg, retained, offset, keep)[0]
        offset += len(spans)
    p2 = second_pass(retained, agg, words, model)
    x = doc_features(p2, agg, words, n_external, stats.mean_zipf)
    score = None
    if words >= MIN_WORDS_FOR_SCORE and model.doc is not None:
        score = float(model.doc.predict(x[None, :])[0])
    return DocumentScore(words, True, notes, retained, p2, x, score, stats)


# ---- the corpus screen's first stage ----------------------------------------------------------------------------

HIGH_ATTRACTION = 2.0  # ln-odds above which a word is much likelier spinner output than a writer's choice
LOW_FIT = -4.0  # nats: a word far less expected in its context than on its own


def screen_features(text: str, k: Knowledge) -> np.ndarray:
    """SCREEN_FEATURES of a document: one pass over its words (dictionary lookups, one batched LM call), no
    candidate scoring. Spinning leaves traces a document-level statistic sees: more words that thesauri
    propose and writers rarely use, words that fit their context worse, fewer repeated lemmas."""
    lex = k.lex
    fid = lex.form_id
    cols = {"bias": 1.0}
    ids, floor, sents, content_form = [], [], [], []
    wid = k.lm.word_id
    words = 0
    for s_no, (_, piece) in enumerate(_pieces(text)):
        run = word_run(piece)
        words += len(run.lower)
        prev = None
        for low, s in zip(run.lower, run.sent):
            if s != prev:
                ids.append(k.bos)
                floor.append(0.0)
                sents.append((s_no, s))
                content_form.append(-2)
                prev = s
            f = fid.get(low, -1)
            lid = wid(low)
            ids.append(lid)
            floor.append(_floor(low) if lid < 0 else 0.0)
            sents.append((s_no, s))
            content_form.append(f if f >= 0 and not lex.function[f] else (-1 if not is_function_word(low) else -2))
    cf = np.array(content_form, dtype=np.int64)
    content = cf >= 0
    unknown = cf == -1
    n_content = int(content.sum() + unknown.sum())
    cols["log_words"] = math.log(max(words, 1))
    if n_content == 0:
        for name in F.SCREEN_FEATURES[2:]:
            cols[name] = 0.0
        return F.matrix({n: np.array([v]) for n, v in cols.items()}, F.SCREEN_FEATURES, 1)[0]
    forms = cf[content]
    attr = np.array([k.pool.attraction(int(f)) for f in forms.tolist()])
    cols["mean_attraction"] = float(attr.mean()) if len(attr) else 0.0
    cols["high_attraction_share"] = float((attr > HIGH_ATTRACTION).sum() / n_content)
    z = lex.zipf[forms]
    cols["rare_share"] = float(((z < 3.0).sum() + unknown.sum()) / n_content)
    cols["mean_zipf"] = float(z.mean()) if len(z) else 0.0
    seq = np.array(ids, dtype=np.int64)
    sent_key = np.array([a * 1_000_000 + b for a, b in sents], dtype=np.int64)
    ctx, uni = _lm_score_sequence(k, seq, np.array(floor), sent_key)
    fit = (ctx - uni)[content]
    cols["mean_fit"] = float(np.clip(fit, -25, 25).mean()) if len(fit) else 0.0
    cols["low_fit_share"] = float((fit < LOW_FIT).sum() / n_content)
    cols["unknown_share"] = float(unknown.sum() / n_content)
    lem = lex.lemma[forms]
    _, counts = np.unique(lem, return_counts=True)
    cols["echo_share"] = float((counts > 1).sum() / max(len(counts), 1))
    return F.matrix({n: np.array([v]) for n, v in cols.items()}, F.SCREEN_FEATURES, 1)[0]


def screen_clears(text: str, k: Knowledge, model) -> bool:
    """True when the first stage is sure enough the document is clean to skip span analysis."""
    if model.screen is None:
        return False
    x = screen_features(text, k)
    return bool(model.screen.decision(x[None, :])[0] < model.screen_threshold)


# ---- findings ------------------------------------------------------------------------------------------------


_ARTICLE_BEFORE = re.compile(r"\b([Aa]n?)[ \t]+$")


def _with_article(s, sugg: tuple[str, ...], text: str | None, base: int = 0):
    """When "a"/"an" right before the span would be wrong for the top suggestion ("an inquiry" → "a probe"),
    the finding takes the article in, and every suggestion carries its own article."""
    if text is None or not sugg:
        return s.start, s.text, sugg
    m = _ARTICLE_BEFORE.search(text, max(0, s.start - base - 8), s.start - base)
    if not m or article_for(sugg[0]) == m.group(1).lower():
        return s.start, s.text, sugg
    start = base + m.start(1)
    return start, text[m.start(1) : s.end - base], tuple(f"{article_for(x)} {x}" for x in sugg)


@dataclass
class _Span:
    start: int
    end: int
    text: str


def _evidence(form: str, cand: str, b: dict, k: Knowledge, stats: DocStats) -> tuple[str, ...]:
    ev = []
    src = "+".join(k.sources)
    if b.get("reverse"):
        ev.append(f"thesaurus ({src}): '{cand}' lists '{form}'")
    elif b.get("forward"):
        ev.append(f"thesaurus ({src}): '{form}' lists '{cand}'")
    if b.get("learned"):
        ev.append(f"learned from tortured-phrase lists: '{form}' ← '{cand}'")
    if b.get("neighbour_only"):
        ev.append(f"'{cand}' is a close neighbour of '{form}' in word-vector space (no thesaurus link)")
    g = b.get("gain", 0.0)
    if abs(g) >= 0.05:
        ev.append(f"context fits '{cand}' {'better' if g > 0 else 'worse'} by {abs(g):.1f} nats")
    if b.get("echo_bigram", 0.0) > 0:
        ev.append(f"'{cand}' appears elsewhere in the document next to the same word")
    n_echo = int(round(math.expm1(b.get("echo_cand", 0.0))))
    if n_echo > 0:
        ev.append(f"'{cand}' (or a form of it) occurs {n_echo}× elsewhere in the document")
    if b.get("article_fix", 0.0) > 0:
        ev.append(f"the article before it suits '{cand}', not '{form}'")
    cz = b.get("cand_zipf", 0.0)
    tz = b.get("text_zipf", 0.0)
    if cz - tz >= 1.0:
        ev.append(f"'{form}' is rarer than '{cand}' (Zipf {tz:.1f} vs {cz:.1f})")
    if b.get("cap_mid") and b.get("in_name"):
        ev.append("inside a capitalised name")
    return tuple(ev)


def model_findings(text: str, ds: DocumentScore, k: Knowledge, threshold: float, suspect_threshold: float
                   ) -> list[Finding]:
    """Spans at or above the suspect threshold (level `finding` at `threshold`), most confident first when
    they overlap."""
    r = ds.retained
    lex = k.lex
    above = [_Span(r.start[i], r.end[i], r.text[i]) for i in range(len(r)) if ds.p2[i] >= suspect_threshold]
    index = {(s.start, s.end): i for i, s in enumerate(
        _Span(r.start[i], r.end[i], r.text[i]) for i in range(len(r)))}
    out = []
    for s in select_non_overlapping(above, key=lambda s: ds.p2[index[(s.start, s.end)]]):
        i = index[(s.start, s.end)]
        sugg = tuple(lex.forms[c] for c, _ in r.top[i])
        form = lex.forms[r.form[i]]
        ev = _evidence(form, sugg[0] if sugg else "?", r.best[i], k, ds.stats)
        start, span_text, sugg = _with_article(s, sugg, text)
        p = float(ds.p2[i])
        level = LEVEL_FINDING if p >= threshold else LEVEL_SUSPECT
        out.append(Finding(start, s.end, span_text, sugg, p, ev, level=level))
    return out


def merge_external(model_findings: list[Finding], external: list[Finding]) -> list[Finding]:
    """One non-overlapping list sorted by start: trace restorations win their spans, then listed
    fingerprints (which keep the model's evidence for the same span, see fingerprints.merge), then the
    model's own findings."""
    from .fingerprints.combine import merge

    listed = [f for f in external if f.source == SOURCE_LIST]
    traced = [f for f in external if f.source == SOURCE_TRACE]
    out = merge(model_findings, listed) if listed else sorted(model_findings, key=lambda f: (f.start, f.end))
    if traced:
        traced = select_non_overlapping(traced, key=lambda f: f.confidence)
        out = [f for f in out if not overlaps_any(f, traced)] + traced
        out.sort(key=lambda f: (f.start, f.end))
    return out


def verdict_of(score: float | None, findings: list[Finding], model, notes: list[str]) -> str:
    if score is None:
        return "uncertain"
    if score >= model.doc_spun:
        if findings:
            return "spun"
        notes.append("the document scores as spun but no span stands out enough to show; verdict uncertain")
        return "uncertain"
    if score < model.doc_clean:
        return "clean"
    return "uncertain"


def check(text: str, k: Knowledge, threshold: float | None = None, suspect_threshold: float | None = None,
          cascade: bool = True, external: list[Finding] = (), path: str | None = None,
          screen: bool = False) -> Report:
    """Findings of the model merged with `external` ones (imported lists, trace), spin score and verdict.
    `screen` (corpus screening): a document the first stage clears, with no external finding, is reported
    `clean` with stage "screen" and no span analysis."""
    model = k.model
    if screen and not external and count_words(text) >= MIN_WORDS_FOR_SCORE and screen_clears(text, k, model):
        return Report(text=text, words=count_words(text), findings=[], spin_score=None, verdict="clean",
                      path=path, notes=["cleared by the corpus screen's first stage (no span analysis)"],
                      stage="screen")
    threshold = model.threshold if threshold is None else float(threshold)
    suspect_threshold = model.suspect_threshold if suspect_threshold is None else float(suspect_threshold)
    suspect_threshold = min(suspect_threshold, threshold)
    # the gate is calibrated to keep what the model's suspect threshold needs; a lower one needs every span
    gate = cascade and suspect_threshold >= model.suspect_threshold - 1e-9
    external = list(external)
    n_ext = len({(f.start, f.end) for f in external})
    ds = score_document(text, k, model, gate=gate, n_external=n_ext, keep=min(KEEP, suspect_threshold))
    notes = list(ds.notes)
    findings = model_findings(text, ds, k, threshold, suspect_threshold) if ds.english else []
    findings = merge_external(findings, external)
    score = ds.spin_score
    if ds.english and ds.words and len(findings) * 1000.0 / ds.words > MAX_DENSITY:
        notes.append("implausibly many findings for English prose; no verdict")
        score = None
    if ds.english and 0 < ds.words < MIN_WORDS_FOR_SCORE:
        notes.append(f"too short for a spin score ({ds.words} words < {MIN_WORDS_FOR_SCORE})")
    verdict = verdict_of(score, findings, model, notes)
    return Report(text=text, words=ds.words, findings=findings, spin_score=score, verdict=verdict, path=path,
                  notes=notes)
