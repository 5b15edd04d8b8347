"""The originals a span could stand for: every candidate from every source, before any context is seen.

A spinner replaced an original *o* by a synonym *s*; the detector sees *s*. Candidate sources (the
`CandidateSource` protocol: `links(forms) -> Links`, the rows of many text forms at once, each row naming its
form by `group`):

- `ThesaurusLinks`: reverse links (headword *o* lists *s*: what a spinner using that thesaurus did) and forward
  links (*s*'s entry lists *o*: thesauri are roughly symmetric, and a spinner's thesaurus is not ours), from
  every thesaurus the detector may use (a link mask leaves one out), inflected like the text word. A base-form
  text word may stand for an inflected original of another part of speech (POS-blind spinners write "she
  bequest attend"), so base readings take every inflection of their originals.
- `LearnedPairs`: word pairs aligned from imported tortured-phrase lists (unspin.fingerprints).
- `VectorNeighbours`: the nearest GloVe neighbours of the span among frequent words — originals no thesaurus
  links.

`CandidatePool.for_forms` merges the sources for a batch of text forms (a piece's new vocabulary) into
`Blocks`: flat arrays of candidate form ids and their static facts, one run per form, each run a `Block`.
Batching matters: a form's table is a few dozen numpy operations, so per form they cost more in call overhead
than in work. No static top-k decides: every candidate is scored in context by the engine (a safety cap of
MAX_POOL only bounds pathological forms).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .knowledge import lexicon as lexicon_mod

MAX_POOL = 1500  # candidates per form; only the commonest words reach it (then the static prior keeps the best)


@dataclass(frozen=True)
class Links:
    """Candidates from one source for a batch of text forms; columns align with `cand`."""

    group: np.ndarray  # int64: which of the batch's forms the row belongs to
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

    def links(self, forms: np.ndarray) -> Links | None: ...


def _expand(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The runs a[i]:b[i] of a CSR array laid end to end: (i of each position, the position)."""
    counts = (b - a).astype(np.int64)
    owner = np.repeat(np.arange(len(a)), counts)
    ends = np.cumsum(counts)
    return owner, np.arange(int(ends[-1]) if len(ends) else 0) - (ends - counts)[owner] + a[owner]


def _readings(lex, forms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (term, tag) reading of every form: (index into forms, term id, tag index)."""
    group, at = _expand(lex.read_ptr[forms], lex.read_ptr[forms + 1])
    return group, lex.read_term[at].astype(np.int64), lex.read_tag[at]


class ThesaurusLinks:
    """Reverse and forward thesaurus links of every reading of a form, restricted to the sources in `mask`."""

    name = "thesaurus"

    def __init__(self, lex, mask: int):
        self.lex = lex
        self.th = lex.th
        self.mask = np.uint8(mask)

    def links(self, forms: np.ndarray) -> Links | None:
        lex, th, m = self.lex, self.th, self.mask
        r_group, r_term, r_tag = _readings(lex, forms)
        parts = []
        for ptr, ids, src, is_rev in ((th.rev_ptr, th.rev_ids, th.rev_src, True),
                                      (th.fwd_ptr, th.fwd_ids, th.fwd_src, False)):
            r, at = _expand(ptr[r_term], ptr[r_term + 1])
            bits = src[at] & m
            keep = bits > 0
            r, o, bits = r[keep], ids[at[keep]], bits[keep]
            tag = r_tag[r]
            group = r_group[r]
            # a base-form word may stand for any form of its original (POS-blind swaps keep base forms)
            base = tag == 0
            forms_b = lex.infl[:, o[base]]  # (tags, n)
            ok = forms_b >= 0
            tag_b = np.broadcast_to(np.arange(forms_b.shape[0])[:, None], forms_b.shape)[ok]
            c_b = forms_b[ok]
            group_b = np.broadcast_to(group[base], forms_b.shape)[ok]
            bits_b = np.broadcast_to(bits[base], forms_b.shape)[ok]
            c_i = lex.infl[tag[~base], o[~base]]
            ok = c_i >= 0
            c = np.concatenate([c_b, c_i[ok]])
            n = len(c)
            parts.append(_links(n, group=np.concatenate([group_b, group[~base][ok]]), cand=c.astype(np.int32),
                                reverse=np.full(n, is_rev), forward=np.full(n, not is_rev),
                                bits=np.concatenate([bits_b, bits[~base][ok]]).astype(np.uint8),
                                tag_match=np.concatenate([tag_b == 0, np.ones(int(ok.sum()), bool)])))
        return _concat(parts)


class LearnedPairs:
    """Word pairs {spun lemma: {original lemma: weight}} aligned from imported tortured-phrase lists."""

    name = "learned"

    def __init__(self, lex, pairs: dict[str, dict[str, float]]):
        self.lex = lex
        self.pairs = pairs

    def _keys(self, form: int, terms: np.ndarray) -> set[str]:
        """The form and the thesaurus terms it may be a reading of (`terms`, from lex.readings): the pairs' keys."""
        return {self.lex.forms[form]} | {self.lex.th.terms[t] for t in terms.tolist()}

    def originals(self, form: int) -> dict[str, float]:
        """{original lemma: weight} the lists pair with a text form (the strongest weight of each)."""
        out: dict[str, float] = {}
        for key in self._keys(form, self.lex.readings(form)[0]):
            for orig, weight in self.pairs.get(key, {}).items():
                out[orig] = max(out.get(orig, 0.0), float(weight))
        return out

    def links(self, forms: np.ndarray) -> Links | None:
        lex = self.lex
        fid = lex.form_id
        g, c, w = [], [], []
        for i, form in enumerate(forms.tolist()):
            terms, tags = lex.readings(form)
            for key in self._keys(form, terms):
                for orig, weight in self.pairs.get(key, {}).items():
                    o = fid.get(orig)
                    if o is None or o >= lex.n_terms:
                        continue
                    for t in set(tags.tolist()) | {0}:
                        f = int(lex.infl[t, o])
                        if f >= 0:
                            g.append(i)
                            c.append(f)
                            w.append(float(weight))
        if not c:
            return None
        return _links(len(c), group=np.array(g, np.int64), cand=np.array(c, np.int32),
                      learned=np.array(w, np.float32))


class VectorNeighbours:
    """The nearest GloVe neighbours of a form among everyday base words (originals no thesaurus lists),
    inflected like the text word; precomputed per form in the lexicon (lexicon.NEIGHBOURS)."""

    name = "vectors"

    def __init__(self, lex):
        self.lex = lex

    def links(self, forms: np.ndarray) -> Links | None:
        lex = self.lex
        r_group, _, r_tag = _readings(lex, forms)
        # each form's inflections: the tags of its readings and the base form (duplicate rows are harmless:
        # the pool merges rows per candidate)
        group = np.concatenate([r_group, np.arange(len(forms))])
        tag = np.concatenate([r_tag, np.zeros(len(forms), np.uint8)])
        top = lex.neighbours[forms[group]]  # (rows, NEIGHBOURS), −1 padded
        c = lex.infl[tag[:, None], np.maximum(top, 0)]
        ok = (top >= 0) & (c >= 0) & (c != forms[group][:, None])
        n = int(ok.sum())
        if not n:
            return None
        return _links(n, group=np.broadcast_to(group[:, None], c.shape)[ok], cand=c[ok].astype(np.int32),
                      neighbour=np.ones(n, bool))


def _concat(parts: list[Links]) -> Links:
    return Links(*(np.concatenate([getattr(p, f) for p in parts]) for f in Links.__dataclass_fields__))


BLOCK_COLUMNS = ("reverse", "forward", "n_sources", "tag_match", "learned", "neighbour_only", "log_nsyn", "sim")


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


@dataclass(frozen=True)
class Blocks:
    """The Blocks of a batch of forms laid end to end: rows starts[i]:starts[i+1] are forms[i]'s, sorted by
    candidate id; `cols` holds BLOCK_COLUMNS."""

    forms: np.ndarray
    starts: np.ndarray  # int64 (len(forms) + 1,)
    cand: np.ndarray  # int32
    cols: dict[str, np.ndarray]

    def __getitem__(self, i: int) -> Block:
        a, b = int(self.starts[i]), int(self.starts[i + 1])
        return Block(int(self.forms[i]), self.cand[a:b], *(self.cols[c][a:b] for c in BLOCK_COLUMNS))


_EMPTY_I = np.zeros(0, np.int32)


class CandidatePool:
    """Candidates for text forms from several sources, merged."""

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
        # every form's attraction, computed when first asked (NaN: not yet): one float per form, ~2.8 MB, read
        # with one gather per piece (a per-span memo call cost more than the lookup)
        self._attraction_memo: np.ndarray | None = None

    def for_form(self, form: int) -> Block:
        return self.for_forms(np.array([form]))[0]

    def for_forms(self, forms) -> Blocks:
        """The Block of every form in `forms` (distinct form ids), built in one pass. Not memoised here: the
        engine's caller (Knowledge.candidates) memoises what it derives from the blocks."""
        lex = self.lex
        forms = np.asarray(forms, dtype=np.int64)
        n_forms = np.int64(len(lex.forms))
        parts = [l for src in self.sources if (l := src.links(forms)) is not None and len(l.cand)]
        L = _concat(parts) if parts else _links(0, group=np.zeros(0, np.int64), cand=_EMPTY_I)
        cand = L.cand.astype(np.int64)
        # never the text word itself or another inflection of its own lemma, never a function word
        r_group, r_term, _ = _readings(lex, forms)
        own = np.unique(np.concatenate([r_group * n_forms + r_term, np.arange(len(forms)) * n_forms + forms]))
        base = lex.lemma[cand].astype(np.int64)
        keep = (~lex.function[cand] & ~_member(own, L.group * n_forms + base)
                & ~_member(own, L.group * n_forms + cand))
        keep &= lex.candidate_ok[np.minimum(base, lex.n_terms - 1)] | (base >= lex.n_terms)
        # one row per (form, candidate), sorted: the rows of each form are contiguous, by candidate id
        key = L.group[keep] * n_forms + cand[keep]
        order = np.argsort(key, kind="stable")
        key = key[order]
        first = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]])) if len(key) else np.zeros(0, np.int64)

        def merged(x, how):
            return how.reduceat(x[keep][order], first) if len(first) else x[:0]

        group = key[first] // n_forms
        uniq = key[first] % n_forms
        bits = merged(L.bits, np.bitwise_or)
        n_src = np.unpackbits(bits[:, None], axis=1)[:, -3:].sum(axis=1).astype(np.float32)
        cols = {"reverse": merged(L.reverse, np.logical_or).astype(np.float32),
                "forward": merged(L.forward, np.logical_or).astype(np.float32),
                "n_sources": n_src,
                "tag_match": merged(L.tag_match, np.logical_or).astype(np.float32),
                "learned": np.maximum(merged(L.learned.astype(np.float32), np.maximum), 0.0),
                "neighbour_only": (~merged(~L.neighbour, np.logical_or)).astype(np.float32)}
        terms = lex.lemma[uniq]
        in_th = terms < lex.n_terms
        cols["log_nsyn"] = np.where(in_th, self.log_nsyn_term[np.minimum(terms, lex.n_terms - 1)],
                                    0.0).astype(np.float32)
        starts = np.searchsorted(group, np.arange(len(forms) + 1))
        cols["sim"] = _cosines(lex, self.vec_rows, forms, starts, uniq)
        sizes = np.diff(starts)
        if (sizes > MAX_POOL).any():  # pathological forms only: keep the likeliest by a static prior
            row_kept = np.ones(len(uniq), bool)
            for i in np.flatnonzero(sizes > MAX_POOL).tolist():
                a, b = int(starts[i]), int(starts[i + 1])
                prior = (lex.zipf[uniq[a:b]] - 0.5 * cols["log_nsyn"][a:b] + cols["reverse"][a:b]
                         + 2 * cols["learned"][a:b] + cols["n_sources"][a:b])
                row_kept[a:b] = False
                row_kept[a + np.argpartition(-prior, MAX_POOL - 1)[:MAX_POOL]] = True
            uniq, group = uniq[row_kept], group[row_kept]
            cols = {c: v[row_kept] for c, v in cols.items()}
            starts = np.searchsorted(group, np.arange(len(forms) + 1))
        return Blocks(forms, starts.astype(np.int64), uniq.astype(np.int32), cols)

    def vec_rows(self, rows) -> np.ndarray:
        """Rows of the lexicon's unit vectors as float32 (float16 in memory; arithmetic is faster in float32).
        Converted per use, not once for the whole table: a float32 copy of every vector would hold ~80 MB for
        the life of the process, and the conversion is exact, so every number is the same."""
        return self.lex.vecs[rows].astype(np.float32)

    def attraction(self, form: int) -> float:
        return float(self.attractions(np.array([form], dtype=np.int64))[0])

    def attractions(self, forms: np.ndarray) -> np.ndarray:
        """`_attraction_of` of each form (float64), memoised per form."""
        memo = self._attraction_memo
        if memo is None:
            memo = self._attraction_memo = np.full(len(self.lex.forms), np.nan)
        out = memo[forms]
        missing = np.isnan(out)
        if missing.any():
            for f in np.unique(forms[missing]).tolist():
                memo[f] = self._attraction_of(f)
            out = memo[forms]
        return out

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


def _cosines(lex, vec_rows, forms: np.ndarray, starts: np.ndarray, cands: np.ndarray) -> np.ndarray:
    """GloVe cosine of each form and each of its candidates (rows starts[i]:starts[i+1]), 0 without vectors.
    One matrix-vector product per form: the sums are those of the form alone, whatever the batch."""
    out = np.zeros(len(cands), dtype=np.float32)
    rows = lex.vec_row[cands]
    has = rows >= 0
    form_rows = lex.vec_row[forms]
    if not len(cands) or not has.any() or (form_rows < 0).all():
        return out
    # every vector converted in one call (the conversion is exact, so each product sees the same numbers)
    cand_vecs = np.zeros((len(cands), lex.vecs.shape[1]), dtype=np.float32)
    cand_vecs[has] = vec_rows(rows[has])
    form_vecs = vec_rows(np.maximum(form_rows, 0))
    for i, r in enumerate(form_rows.tolist()):
        a, b = int(starts[i]), int(starts[i + 1])
        if r < 0 or a == b:
            continue
        ok = has[a:b]
        if ok.any():
            out[a:b][ok] = cand_vecs[a:b][ok] @ form_vecs[i]
    return out


def _member(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Whether each of `keys` is in `sorted_keys`."""
    at = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return sorted_keys[at] == keys if len(sorted_keys) else np.zeros(len(keys), bool)


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
