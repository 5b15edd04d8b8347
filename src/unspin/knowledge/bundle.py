"""Everything the pipeline needs, loaded once per process: the lexicon (thesauri), the candidate pool over the
thesauri a detector may use, the language model with the lexicon's words in its ids, and the model weights."""
from __future__ import annotations

import math
import os
import threading

from cachetools import LRUCache

import numpy as np

from ..candidates import BLOCK_COLUMNS, CandidatePool, default_sources
from . import lexicon as lexicon_mod
from .lm import floor_of_zipf
from .thesaurus import SOURCE_BITS, bits_of


CANDIDATE_MEMO_BYTES = 96_000_000  # memoised candidate tables (float32, ~64 B per candidate): repeated words are
# fast, RSS stays bounded on endless new vocabulary (a fresh 1 MB of prose holds ~14k distinct forms, ~210 MB of
# tables). Measured on a 1 MB check (peak RSS, words/s): 64 MB 578 MB, 6,700; 96 MB 608 MB, 7,200; 128 MB 639 MB,
# 7,300; 256 MB 732 MB, 7,700 (BENCHMARKS.md). UNSPIN_CANDIDATE_MEMO_MB overrides it.


TABLE_BATCH = 16  # new forms whose candidate tables are built in one numpy pass, then memoised: enough to amortise
# the per-call overhead that dominated one-form builds; small, because a batch's tables exist before the memo
# evicts room for them (a whole piece's new vocabulary at once added ~4 MB to the peak RSS of a 1 MB check)


def candidate_memo_bytes() -> int:
    """The memo budget: $UNSPIN_CANDIDATE_MEMO_MB (megabytes, ≥ 1) or CANDIDATE_MEMO_BYTES."""
    raw = os.environ.get("UNSPIN_CANDIDATE_MEMO_MB", "").strip()
    if not raw:
        return CANDIDATE_MEMO_BYTES
    try:
        mb = float(raw)
    except ValueError:
        mb = float("nan")
    if not math.isfinite(mb) or mb < 1:
        raise ValueError(f"UNSPIN_CANDIDATE_MEMO_MB={raw!r}: expected a number of megabytes, at least 1")
    return int(mb * 1_000_000)


def _table_bytes(table) -> int:
    return 64 if table is None else sum(a.nbytes for a in table[:3] if a is not None) + 200


class Knowledge:
    """Everything the pipeline needs, loaded once per process: the lexicon (thesauri), the candidate pool
    (over the thesauri in `sources`), the language model, the model weights."""

    def __init__(self, sources=None, lm_path=None, model_path=None, learned=None, neighbours: bool = True):
        from . import lm as lm_mod

        self.lex = lexicon_mod.load()
        self.sources = tuple(s for s in (sources or self.lex.th.sources) if s.partition(":")[0] in SOURCE_BITS)
        self.mask = bits_of(self.sources)
        self.pool = CandidatePool(self.lex, default_sources(self.lex, self.mask, learned, neighbours), self.mask)
        self.lm = lm_mod.load(lm_path)
        self.order = int(self.lm.order)
        # the lexicon's word table in the LM's ids (−1: unknown to the LM, scored by the wordfreq floor)
        self.word_lm = self.lm.ids(self.lex.word_strs).astype(np.int64)
        self.word_floor = floor_of_zipf(self.lex.word_zipf)
        self.bos = self.lm.word_id("<s>")
        self.eos = self.lm.word_id("</s>")
        # float32 holds every integer below 2**24 exactly; a (user's) language model or lexicon with more ids
        # gets float64 tables
        ids = max(len(self.lex.forms), len(self.lex.word_strs), int(self.word_lm.max(initial=0)) + 1)
        self.table_dtype = np.float32 if ids < 2**24 else np.float64
        self.model_path = model_path
        self._model = None
        # bounded in bytes, not entries: a table holds ~30 kB on average but up to a few MB for a hub word
        self._memo = LRUCache(maxsize=candidate_memo_bytes(), getsizeof=_table_bytes)
        self._memo_lock = threading.Lock()

    def score_sequence(self, ids: np.ndarray, floor: np.ndarray, sent: np.ndarray):
        """(ln P in context, ln P alone) of every position of a word-id sequence; history never crosses a
        sentence (`sent` numbers them); unknown words (id −1) score `floor` and cut the context."""
        n = len(ids)
        o = self.order
        hist = np.full((n, o - 1), -1, dtype=np.int64)
        for j in range(1, o):
            h = np.full(n, -1, dtype=np.int64)
            h[j:] = ids[:-j]
            same = np.zeros(n, dtype=bool)
            same[j:] = sent[j:] == sent[:-j]
            hist[:, o - 1 - j] = np.where(same, h, -1)
        known = ids >= 0
        w = np.where(known, ids, 0)
        ctx = np.where(known, self.lm.logprob_ids(hist, w), floor)
        uni = np.where(known, self.lm.logprob_ids(np.full((n, o - 1), -1, dtype=np.int64), w), floor)
        return ctx, uni

    # candidate originals with every static fact stage 1 needs, memoised per text form. Stored as float32, half
    # the bytes of float64, so the memo's budget holds twice the tables: every column is exact in float32 (flags,
    # counts, float32 sources, ids below 2**24 — checked in __init__), so the float64 values stage 1 computes
    # with are the same. The first word's wordfreq floor is float64: stage 1 looks it up by `first_word`.
    FACTS = BLOCK_COLUMNS + ("cand_zipf", "lemma", "n_words", "cand_oov", "first_lm", "first_word", "last_word")

    def candidates(self, forms: list[int], static=None) -> list[tuple | None]:
        """(candidate form ids as int32, FACTS matrix as float32, static scores or None) of each text form, None
        for a form without candidate. `static(facts, text_zipf)`: a float64 score per candidate that depends on
        the table alone (the pre-ranker's context-free part), memoised with the table for that function.
        Tables are memoised; the forms not yet seen are built TABLE_BATCH at a time."""
        missing = object()
        with self._memo_lock:
            got = {f: t for f in set(forms) if (t := self._memo.get(f, missing)) is not missing}
        stale = [f for f, t in got.items() if t is not None and static is not None and t[3] is not static]
        for f in stale:  # memoised under another scoring function (or none): score again, keep the new scores
            cand, facts = got[f][:2]
            got[f] = (cand, facts, static(facts, np.full(len(cand), float(self.lex.zipf[f]))), static)
        self._keep({f: got[f] for f in stale})
        new = sorted(set(forms) - got.keys())
        for i in range(0, len(new), TABLE_BATCH):
            chunk = new[i : i + TABLE_BATCH]
            built = dict(zip(chunk, self._tables(chunk, static)))
            got.update(built)
            self._keep(built)  # batch by batch: the memo makes room as the new tables arrive
        return [None if (t := got[f]) is None else t[:3] for f in forms]

    def _keep(self, tables: dict) -> None:
        with self._memo_lock:
            for f, t in tables.items():
                try:
                    self._memo[f] = t
                except ValueError:  # a table larger than the whole budget is used, not kept
                    pass

    def _tables(self, forms: list[int], static=None) -> list[tuple | None]:
        blocks = self.pool.for_forms(forms)
        lex = self.lex
        cand = blocks.cand.astype(np.int64)
        n_w = lex.n_words[cand].astype(np.int64)
        words = lex.words[cand]
        first = words[:, 0].astype(np.int64)
        last = words[np.arange(len(cand)), np.minimum(n_w, words.shape[1]) - 1].astype(np.int64)
        oov = ((self.word_lm[np.maximum(words, 0)] < 0) & (words >= 0)).any(axis=1)
        cols = ([blocks.cols[c] for c in BLOCK_COLUMNS]
                + [lex.zipf[cand], lex.lemma[cand], n_w, oov, self.word_lm[first], first, last])
        facts = np.empty((len(cand), len(cols)), dtype=self.table_dtype)  # (filled column by column: one copy)
        for j, c in enumerate(cols):
            facts[:, j] = c
        cand32 = blocks.cand.astype(np.int32)
        starts = blocks.starts.tolist()
        scores = None
        if static is not None and len(cand):
            text_zipf = np.repeat(lex.zipf[np.asarray(forms, dtype=np.int64)].astype(np.float64), np.diff(starts))
            scores = static(facts, text_zipf)
        # copies, not views: a memoised table must not keep the whole batch alive
        return [(cand32[a:b].copy(), facts[a:b].copy(), None if scores is None else scores[a:b].copy(), static)
                if b > a else None for a, b in zip(starts[:-1], starts[1:])]

    # word vectors: the two questions the engine asks of them
    def topic(self, forms: np.ndarray) -> np.ndarray | None:
        """The sum of the unit vectors of `forms` (a passage's content words), or None when none has one."""
        if not len(self.lex.vecs):
            return None
        rows = self.lex.vec_row[forms]
        rows = rows[rows >= 0]
        return self.vec_rows(rows).sum(axis=0) if len(rows) else None

    def fit(self, forms: np.ndarray, ctx: np.ndarray) -> np.ndarray:
        """Cosine of each form's vector with the matching row of `ctx` (unit rows); 0 where a form has none."""
        rows = self.lex.vec_row[forms]
        out = np.zeros(len(forms))
        ok = rows >= 0
        if ok.any():
            out[ok] = np.einsum("ij,ij->i", self.vec_rows(rows[ok]), ctx[ok])
        return out

    def vec_rows(self, rows) -> np.ndarray:
        """Rows of the lexicon's unit vectors as float32 (see CandidatePool.vec_rows)."""
        return self.pool.vec_rows(rows)

    @property
    def model(self):
        if self._model is None:
            from .. import model as model_mod

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


