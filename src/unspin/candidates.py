"""The originals a span could stand for: every candidate from every source, before any context is seen.

A spinner replaced an original *o* by a synonym *s*; the detector sees *s*. Candidate sources (the
`CandidateSource` protocol: `links(form) -> Links`):

- `ThesaurusLinks`: reverse links (headword *o* lists *s*: what a spinner using that thesaurus did) and forward
  links (*s*'s entry lists *o*: thesauri are roughly symmetric, and a spinner's thesaurus is not ours), from
  every thesaurus the detector may use (a link mask leaves one out), inflected like the text word. A base-form
  text word may stand for an inflected original of another part of speech (POS-blind spinners write "she
  bequest attend"), so base readings take every inflection of their originals.
- `LearnedPairs`: word pairs aligned from imported tortured-phrase lists (unspin.fingerprints).
- `VectorNeighbours`: the nearest GloVe neighbours of the span among frequent words — originals no thesaurus
  links.

`CandidatePool.for_form` merges the sources for one text form into a `Block` of flat arrays (candidate form
ids and their static facts), memoised per form: text vocabulary repeats. No static top-k decides: every
candidate is scored in context by the engine (a safety cap of MAX_POOL only bounds pathological forms).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import numpy as np

from .knowledge import lexicon as lexicon_mod

MAX_POOL = 1500  # candidates per form; only the commonest words reach it (then the static prior keeps the best)
ATTRACTION_MEMO = 240_000  # memoised attraction values (a float per form): bounded on endless new vocabulary


@dataclass(frozen=True)
class Links:
    """Candidates from one source for one text form; columns align with `cand`."""

    cand: np.ndarray  # int32 form ids
    reverse: np.ndarray  # bool: the original's entry lists the text word
    forward: np.ndarray  # bool: the text word's entry lists the original
    bits: np.ndarray  # uint8 thesaurus source bits of the link(s)
    tag_match: np.ndarray  # bool: the candidate has the text word's inflection (not a cross-POS reading)
    learned: np.ndarray  # float32: weight from learned tortured-phrase pairs
    neighbour: np.ndarray  # bool: a distributional (GloVe) neighbour


def _links(n: int, **cols) -> Links:
    base = {"reverse": np.zeros(n, bool), "forward": np.zeros(n, bool), "bits": np.zeros(n, np.uint8),
            "tag_match": np.ones(n, bool), "learned": np.zeros(n, np.float32), "neighbour": np.zeros(n, bool)}
    base.update(cols)
    return Links(**base)


class CandidateSource(Protocol):
    name: str

    def links(self, form: int) -> Links | None: ...


class ThesaurusLinks:
    """Reverse and forward thesaurus links of every reading of a form, restricted to the sources in `mask`."""

    name = "thesaurus"

    def __init__(self, lex, mask: int):
        self.lex = lex
        self.th = lex.th
        self.mask = np.uint8(mask)

    def links(self, form: int) -> Links | None:
        lex, th, m = self.lex, self.th, self.mask
        terms, tags = lex.readings(form)
        if not len(terms):
            return None
        parts = []
        for t, g in zip(terms.tolist(), tags.tolist()):
            for ptr, ids, src, is_rev in ((th.rev_ptr, th.rev_ids, th.rev_src, True),
                                          (th.fwd_ptr, th.fwd_ids, th.fwd_src, False)):
                a, b = int(ptr[t]), int(ptr[t + 1])
                if a == b:
                    continue
                o = ids[a:b]
                bits = src[a:b] & m
                keep = bits > 0
                o, bits = o[keep], bits[keep]
                if not len(o):
                    continue
                if g == 0:
                    # a base-form word may stand for any form of its original (POS-blind swaps keep base forms)
                    forms = lex.infl[:, o]  # (tags, n)
                    ok = forms >= 0
                    tg = np.broadcast_to(np.arange(forms.shape[0])[:, None], forms.shape)[ok]
                    c = forms[ok]
                    bb = np.broadcast_to(bits, forms.shape)[ok]
                    tm = tg == 0
                else:
                    c = lex.infl[g, o]
                    ok = c >= 0
                    c, bb = c[ok], bits[ok]
                    tm = np.ones(len(c), bool)
                n = len(c)
                parts.append(_links(n, cand=c.astype(np.int32), reverse=np.full(n, is_rev), forward=np.full(n, not is_rev),
                                    bits=bb.astype(np.uint8), tag_match=tm))
        return _concat(parts) if parts else None


class LearnedPairs:
    """Word pairs {spun lemma: {original lemma: weight}} aligned from imported tortured-phrase lists."""

    name = "learned"

    def __init__(self, lex, pairs: dict[str, dict[str, float]]):
        self.lex = lex
        self.pairs = pairs

    def links(self, form: int) -> Links | None:
        lex = self.lex
        terms, tags = lex.readings(form)
        keys = {lex.forms[form]} | {lex.th.terms[t] for t in terms.tolist()}
        fid = lex.form_id
        c, w = [], []
        for key in keys:
            for orig, weight in self.pairs.get(key, {}).items():
                o = fid.get(orig)
                if o is None or o >= lex.n_terms:
                    continue
                for g in set(tags.tolist()) | {0}:
                    f = int(lex.infl[g, o])
                    if f >= 0:
                        c.append(f)
                        w.append(float(weight))
        if not c:
            return None
        return _links(len(c), cand=np.array(c, np.int32), learned=np.array(w, np.float32))


class VectorNeighbours:
    """The nearest GloVe neighbours of a form among everyday base words (originals no thesaurus lists),
    inflected like the text word; precomputed per form in the lexicon (lexicon.NEIGHBOURS)."""

    name = "vectors"

    def __init__(self, lex):
        self.lex = lex

    def links(self, form: int) -> Links | None:
        lex = self.lex
        top = lex.neighbours[form]
        top = top[top >= 0]
        if not len(top):
            return None
        _, tags = lex.readings(form)
        c = [lex.infl[g, top] for g in sorted(set(tags.tolist()) | {0})]
        c = np.concatenate(c)
        c = np.unique(c[(c >= 0) & (c != form)])
        return _links(len(c), cand=c.astype(np.int32), neighbour=np.ones(len(c), bool))


def _concat(parts: list[Links]) -> Links:
    return Links(*(np.concatenate([getattr(p, f) for p in parts]) for f in Links.__dataclass_fields__))


@dataclass(frozen=True)
class Block:
    """Every candidate of one text form, deduplicated, with static facts (columns align with `cand`)."""

    form: int
    cand: np.ndarray  # int32 form ids
    reverse: np.ndarray  # float32 0/1
    forward: np.ndarray
    n_sources: np.ndarray  # float32: thesauri (within the mask) that link the pair
    tag_match: np.ndarray  # float32 0/1
    learned: np.ndarray  # float32
    neighbour_only: np.ndarray  # float32 0/1: proposed by GloVe alone
    log_nsyn: np.ndarray  # float32: ln(synonyms the original lists, within the mask) — 1/n is a spinner's choice
    sim: np.ndarray  # float32: GloVe cosine of the text form and the candidate (0 when either lacks a vector)

    def __len__(self) -> int:
        return len(self.cand)


_EMPTY_I = np.zeros(0, np.int32)
_EMPTY_F = np.zeros(0, np.float32)


class CandidatePool:
    """Candidates for text forms from several sources, merged and memoised."""

    def __init__(self, lex, sources: list[CandidateSource], mask: int):
        self.lex = lex
        self.sources = sources
        self.mask = mask
        th = lex.th
        # synonyms each term lists under the mask: a uniform spinner picks one of them
        fb = ((th.fwd_src & np.uint8(mask)) > 0).astype(np.int64)
        cs = np.concatenate([[0], np.cumsum(fb)])
        self.n_syn = np.maximum(cs[th.fwd_ptr[1:]] - cs[th.fwd_ptr[:-1]], 1).astype(np.float32)
        self.log_nsyn_term = np.log(self.n_syn)
        self._attraction = lru_cache(maxsize=ATTRACTION_MEMO)(self._attraction_of)
        self._vecs32 = None

    def for_form(self, form: int) -> Block:
        # not memoised here: the one caller (Knowledge.candidates) memoises what it derives from the block
        return self._build(form)

    def _build(self, form: int) -> Block:
        lex = self.lex
        parts = [l for src in self.sources if (l := src.links(form)) is not None and len(l.cand)]
        if not parts:
            return Block(form, _EMPTY_I, *([_EMPTY_F] * 8))
        L = _concat(parts)
        # never the text word itself or another inflection of its own lemma, never a function word
        own = np.array(sorted({int(t) for t in lex.readings(form)[0]} | {form}))
        base = lex.lemma[L.cand]
        # (a handful of own ids: comparing against each is cheaper than np.isin's sort)
        keep = (~lex.function[L.cand] & (L.cand != form) & ~(base[:, None] == own).any(axis=1)
                & ~(L.cand[:, None] == own).any(axis=1))
        term_of = base
        keep &= lex.candidate_ok[np.minimum(term_of, lex.n_terms - 1)] | (term_of >= lex.n_terms)
        if not keep.any():
            return Block(form, _EMPTY_I, *([_EMPTY_F] * 8))
        cand = L.cand[keep]
        uniq, inv = np.unique(cand, return_inverse=True)
        n = len(uniq)

        def agg_or(x):
            out = np.zeros(n, dtype=bool)
            np.logical_or.at(out, inv, x[keep])
            return out

        def agg_max(x):
            out = np.full(n, -np.inf, dtype=np.float32)
            np.maximum.at(out, inv, x[keep].astype(np.float32))
            return out

        bits = np.zeros(n, dtype=np.uint8)
        np.bitwise_or.at(bits, inv, L.bits[keep])
        n_src = np.unpackbits(bits[:, None], axis=1)[:, -3:].sum(axis=1).astype(np.float32)
        reverse = agg_or(L.reverse).astype(np.float32)
        forward = agg_or(L.forward).astype(np.float32)
        tag_match = agg_or(L.tag_match).astype(np.float32)
        learned = np.maximum(agg_max(L.learned), 0.0)
        linked = agg_or(~L.neighbour)
        neighbour_only = (~linked).astype(np.float32)
        terms = lex.lemma[uniq]
        in_th = terms < lex.n_terms
        log_nsyn = np.where(in_th, self.log_nsyn_term[np.minimum(terms, lex.n_terms - 1)], 0.0).astype(np.float32)
        sim = _cosines(lex, self.vecs32, form, uniq)
        if n > MAX_POOL:  # pathological forms only: keep the likeliest by a static prior
            prior = lex.zipf[uniq] - 0.5 * log_nsyn + reverse + 2 * learned + n_src
            top = np.sort(np.argpartition(-prior, MAX_POOL - 1)[:MAX_POOL])
            uniq, reverse, forward, n_src, tag_match, learned, neighbour_only, log_nsyn, sim = (
                x[top] for x in (uniq, reverse, forward, n_src, tag_match, learned, neighbour_only, log_nsyn, sim))
        return Block(form, uniq.astype(np.int32), reverse, forward, n_src, tag_match, learned, neighbour_only,
                     log_nsyn, sim)

    @property
    def vecs32(self) -> np.ndarray:
        """The lexicon's unit vectors as float32 (float16 on disk; converted once, not per candidate table)."""
        if self._vecs32 is None:
            self._vecs32 = np.asarray(self.lex.vecs, dtype=np.float32)
        return self._vecs32

    def attraction(self, form: int) -> float:
        return self._attraction(form)

    def _attraction_of(self, form: int) -> float:
        """How much likelier the form is as spinner output than as a writer's word: ln Σ over its reverse-linked
        originals o of P(o)/|syn(o)| (a uniform spinner's output rate) − ln P(form)."""
        lex, th, m = self.lex, self.lex.th, np.uint8(self.mask)
        terms, _ = lex.readings(form)
        ids = []
        for t in terms.tolist():
            a, b = int(th.rev_ptr[t]), int(th.rev_ptr[t + 1])
            o = th.rev_ids[a:b]
            ids.append(o[(th.rev_src[a:b] & m) > 0])
        ids = np.concatenate(ids) if ids else _EMPTY_I
        if not len(ids):
            return -10.0
        a = th.zipf[ids].astype(np.float64) * math.log(10) - self.log_nsyn_term[ids]
        mx = float(a.max())
        return mx + math.log(float(np.exp(a - mx).sum())) - max(float(lex.zipf[form]), 1.0) * math.log(10)


def _cosines(lex, vecs32: np.ndarray, form: int, cands: np.ndarray) -> np.ndarray:
    r = lex.vec_row[form]
    out = np.zeros(len(cands), dtype=np.float32)
    if r < 0:
        return out
    rows = lex.vec_row[cands]
    ok = rows >= 0
    if ok.any():
        out[ok] = vecs32[rows[ok]] @ vecs32[r]
    return out


def default_sources(lex, mask: int, learned: dict | None = None, neighbours: bool = True) -> list[CandidateSource]:
    out: list[CandidateSource] = [ThesaurusLinks(lex, mask)]
    if learned:
        out.append(LearnedPairs(lex, learned))
    if neighbours and len(lex.vecs):  # (the lexicon holds each form's nearest neighbours)
        out.append(VectorNeighbours(lex))
    return out


def pool(lex=None, sources: tuple[str, ...] | None = None, learned: dict | None = None,
         neighbours: bool = True) -> CandidatePool:
    """A pool over `lex` (default: every installed thesaurus) using the thesauri `sources` (default: all of
    the lexicon's)."""
    lex = lex or lexicon_mod.load()
    from .knowledge.thesaurus import bits_of

    mask = bits_of(sources or lex.th.sources)
    return CandidatePool(lex, default_sources(lex, mask, learned, neighbours), mask)
