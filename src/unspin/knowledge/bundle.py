"""Everything the pipeline needs, loaded once per process: the lexicon (thesauri), the candidate pool over the
thesauri a detector may use, the language model with the lexicon's words in its ids, and the model weights."""
from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass
from typing import NamedTuple

from cachetools import LRUCache

import numpy as np

from ..candidates import BLOCK_COLUMNS, CandidatePool, default_sources
from . import lexicon as lexicon_mod
from .lm import floor_of_zipf
from .thesaurus import SOURCE_BITS, bits_of


CANDIDATE_MEMO_BYTES = 96_000_000  # memoised candidate tables (~17 B per candidate, ~1 kB per table around them):
# repeated words are fast, RSS stays bounded on endless new vocabulary. A fresh 1 MB of prose holds ~14k distinct
# forms, ~60 MB of compact tables. Measured on a 1 MB check (words/s, peak RSS; 2026-11-30): 32 MB 8,040, 425 MB;
# 96 MB 9,440, 460 MB; 256 MB 9,230, 461 MB (never filled). UNSPIN_CANDIDATE_MEMO_MB overrides it.


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


class Table(NamedTuple):
    """One form's memoised candidate table (see Knowledge.table_rows)."""

    cand: np.ndarray  # int32 form ids
    flags: np.ndarray  # uint8: Knowledge._FLAG_BITS and the source count
    sim: np.ndarray  # float32
    learned: np.ndarray | None  # float32, None when all 0
    scores: np.ndarray | None  # float64: the static scoring function's, None without one
    static: object  # that function


@dataclass
class TableRows:
    """Tables laid end to end: rows of the forms that have candidates (`has`), `sizes` rows each."""

    cand: np.ndarray  # int64
    flags: np.ndarray
    sim: np.ndarray
    learned: np.ndarray | None
    scores: np.ndarray | None
    sizes: np.ndarray | None = None
    has: np.ndarray | None = None

    @classmethod
    def of(cls, tables: list[Table]) -> "TableRows":
        learned = None
        if any(t.learned is not None for t in tables):
            learned = np.concatenate([t.learned if t.learned is not None else np.zeros(len(t.cand), np.float32)
                                      for t in tables])
        scores = None if any(t.scores is None for t in tables) else np.concatenate([t.scores for t in tables])
        return cls(np.concatenate([t.cand for t in tables]).astype(np.int64),
                   np.concatenate([t.flags for t in tables]), np.concatenate([t.sim for t in tables]), learned,
                   scores, np.array([len(t.cand) for t in tables], dtype=np.int64))

    def take(self, rows: np.ndarray) -> "TableRows":
        return TableRows(self.cand[rows], self.flags[rows], self.sim[rows],
                         None if self.learned is None else self.learned[rows],
                         None if self.scores is None else self.scores[rows])


_UNOPENED = object()


def tables_enabled() -> bool:
    """Whether stored candidate tables are used (UNSPIN_TABLE_STORE=0 turns them off: tables are then built as
    they are needed, with the same numbers)."""
    return os.environ.get("UNSPIN_TABLE_STORE", "1").strip().lower() not in ("0", "false", "no", "off")


def _table_bytes(table) -> int:
    # the arrays and ~1 kB of Python objects around them (array headers and allocations, the tuple, the memo's
    # entries: measured with tracemalloc)
    return 100 if table is None else sum(a.nbytes for a in table[:5] if a is not None) + 1000


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
        # the stored tables of everyday forms (knowledge/tables.py), opened on first use; they hold the tables
        # of this pool without learned pairs and with GloVe neighbours, built for every installed thesaurus
        self._store = _UNOPENED if neighbours and tables_enabled() else None
        self._learned_source = next((s for s in self.pool.sources if s.name == "learned"), None)
        self._store_lock = threading.Lock()

    def word_forms(self, lower: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(lexicon form id, −1 when none; word-table id of a single-word form, −1 otherwise) of each word."""
        lex = self.lex
        fid = lex.form_id
        forms = np.array([fid.get(low, -1) for low in lower], dtype=np.int64)
        fk = np.maximum(forms, 0)
        return forms, np.where((forms >= 0) & (lex.n_words[fk] == 1), lex.words[fk, 0], -1).astype(np.int64)

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

    # candidate originals with every static fact stage 1 needs (FACTS, by name), per text form. Stage 1 reads
    # them as float64; each is exact in float32 (flags, counts, float32 sources, ids below 2**24 — checked in
    # __init__), and the first word's wordfreq floor is float64, so stage 1 looks it up by `first_word`.
    FACTS = BLOCK_COLUMNS + ("cand_zipf", "lemma", "n_words", "cand_oov", "first_lm", "first_word", "last_word")
    # What the memo keeps of a table: the candidates (int32), the pool's merged facts of each pair that no
    # lexicon array holds — four 0/1 flags and the source count packed in one byte, the GloVe cosine (float32),
    # learned weights (float32, only when a list gave any) — and the pre-ranker's context-free scores (float64);
    # whether a candidate holds a word the language model lacks is one more flag.
    # Every other fact is a lexicon lookup of the candidate id, made when the rows are used (`fact_columns`):
    # ~17 bytes per candidate instead of ~72 for all of FACTS, so the same budget holds ~4x the tables (the
    # commonest cost of a page of new prose was rebuilding tables the memo had evicted).
    _FLAG_BITS = {"reverse": 0, "forward": 1, "tag_match": 2, "neighbour_only": 3, "cand_oov": 6}
    _SOURCES_SHIFT = 4  # n_sources (0–3) in bits 4–5

    def candidates(self, forms: list[int], static=None) -> list[tuple | None]:
        """(candidate form ids as int32, FACTS matrix (table_dtype), static scores or None) of each text form,
        None for a form without candidate. `static(columns, text_zipf)`: a float64 score per candidate from
        the table's FACTS columns (`fact_columns`, by name) and the text form's Zipf, so it depends on the table
        alone (the pre-ranker's context-free part), memoised with the table for that
        function. Tables are memoised; the forms not yet seen are built TABLE_BATCH at a time. (The engine
        reads `table_rows` and `fact_columns` instead: only the columns it needs, for the rows it keeps.)"""
        rows = self.table_rows(forms, static)
        out: list[tuple | None] = [None] * len(forms)
        if rows is None:
            return out
        facts = self._facts_matrix(rows)
        ends = np.cumsum(rows.sizes).tolist()
        for k, (i, b) in enumerate(zip(np.flatnonzero(rows.has).tolist(), ends)):
            a = b - int(rows.sizes[k])
            out[i] = (rows.cand[a:b].astype(np.int32), facts[a:b],
                      None if rows.scores is None else rows.scores[a:b])
        return out

    def table_rows(self, forms: list[int], static=None) -> "TableRows | None":
        """The memoised tables of `forms` (repeats allowed) laid end to end, in order; None when no form has a
        candidate. See `candidates` for `static`."""
        missing = object()
        with self._memo_lock:
            got = {f: t for f in set(forms) if (t := self._memo.get(f, missing)) is not missing}
        stale = [f for f, t in got.items() if t is not None and static is not None and t.static is not static]
        for f in stale:  # memoised under another scoring function (or none): score again, keep the new scores
            t = got[f]
            columns = self.fact_columns(TableRows.of([t]), self.FACTS)
            got[f] = t._replace(scores=static(columns, np.full(len(t.cand), float(self.lex.zipf[f]))), static=static)
        self._keep({f: got[f] for f in stale})
        new = sorted(set(forms) - got.keys())
        if new:
            stored = self._stored_tables(new, static)
            if stored:
                got.update(stored)
                self._keep(stored)
                new = [f for f in new if f not in stored]
        for i in range(0, len(new), TABLE_BATCH):
            chunk = new[i : i + TABLE_BATCH]
            built = dict(zip(chunk, self._tables(chunk, static)))
            got.update(built)
            self._keep(built)  # batch by batch: the memo makes room as the new tables arrive
        tables = [got[f] for f in forms]
        has = np.array([t is not None for t in tables], dtype=bool)
        if not has.any():
            return None
        rows = TableRows.of([t for t in tables if t is not None])
        rows.has = has
        return rows

    def table_store(self):
        """The stored tables (tables.TableStore) this pool may read, or None: opened on first use, and built
        then (once per machine) when the pool is the default one — every installed thesaurus, no learned pairs."""
        if self._store is _UNOPENED:
            with self._store_lock:
                if self._store is _UNOPENED:
                    from . import tables as tables_mod

                    create = self._learned_source is None and self.mask == bits_of(self.lex.th.sources)
                    try:
                        self._store = tables_mod.open_store(self, create=create)
                    except OSError:  # a read-only or full cache dir: build tables as they are needed
                        self._store = None
        return self._store

    def _stored_tables(self, forms: list[int], static=None) -> dict[int, "Table | None"]:
        """Tables of `forms` read from the store (those it holds and no learned pair touches), with what a
        stored table leaves out made for this pool: the LM-vocabulary flag and the static scores."""
        store = self.table_store()
        if store is None:
            return {}
        held = [(f, r) for f in forms if (r := store.rows(f)) is not None]
        if held and self._learned_source is not None:
            links = self._learned_source.links(np.array([f for f, _ in held], dtype=np.int64))
            if links is not None:
                touched = set(links.group.tolist())
                held = [h for i, h in enumerate(held) if i not in touched]
        out: dict[int, Table | None] = {f: None for f, (a, b) in held if b == a}
        full = [(f, a, b) for f, (a, b) in held if b > a]
        if not full:
            return out
        parts = [(store.read("cand", a, b), store.read("flags", a, b), store.read("sim", a, b)) for _, a, b in full]
        sizes = np.array([len(c) for c, _, _ in parts], dtype=np.int64)
        cand = np.concatenate([c for c, _, _ in parts])
        words = self.lex.words[cand]
        oov = ((self.word_lm[np.maximum(words, 0)] < 0) & (words >= 0)).any(axis=1)
        bit = np.uint8(self._FLAG_BITS["cand_oov"])
        flags = (np.concatenate([f for _, f, _ in parts]) & ~(np.uint8(1) << bit)) | (oov.astype(np.uint8) << bit)
        scores = None
        if static is not None:
            rows = TableRows(cand.astype(np.int64), flags, np.concatenate([x for _, _, x in parts]), None, None)
            text_zipf = np.repeat(self.lex.zipf[np.array([f for f, _, _ in full])].astype(np.float64), sizes)
            scores = static(self.fact_columns(rows, self.FACTS), text_zipf)
        b = 0
        for (f, _, _), (c, _, x), n in zip(full, parts, sizes.tolist()):
            a, b = b, b + n
            out[f] = Table(c, flags[a:b].copy(), x, None, None if scores is None else scores[a:b].copy(), static)
        return out

    def fact_columns(self, rows: "TableRows", names) -> dict[str, np.ndarray]:
        """FACTS columns by name for the rows, as float64: the packed flags unpacked, the rest looked up by
        candidate id. Every source is exact in the table dtype (checked in __init__), so these are the values a
        table holding every column would give."""
        lex = self.lex
        cand = rows.cand
        out: dict[str, np.ndarray] = {}
        n_w = None
        for name in names:
            if name in self._FLAG_BITS:
                v = (rows.flags >> self._FLAG_BITS[name]) & 1
            elif name == "n_sources":
                v = (rows.flags >> self._SOURCES_SHIFT) & 3
            elif name == "sim":
                v = rows.sim
            elif name == "learned":
                v = rows.learned if rows.learned is not None else np.zeros(len(cand), np.float32)
            elif name == "log_nsyn":
                terms = lex.lemma[cand]
                v = np.where(terms < lex.n_terms, self.pool.log_nsyn_term[np.minimum(terms, lex.n_terms - 1)],
                             np.float32(0.0))
            elif name == "cand_zipf":
                v = lex.zipf[cand]
            elif name == "lemma":
                v = lex.lemma[cand]
            elif name == "first_word":
                v = lex.words[cand, 0]
            elif name == "first_lm":
                v = self.word_lm[lex.words[cand, 0]]
            elif name in ("n_words", "last_word"):
                if n_w is None:
                    n_w = lex.n_words[cand].astype(np.int64)
                v = n_w if name == "n_words" else lex.words[cand, np.minimum(n_w, lex.words.shape[1]) - 1]
            else:
                raise KeyError(name)
            out[name] = v.astype(np.float64)
        return out

    def _facts_matrix(self, rows: "TableRows") -> np.ndarray:
        cols = self.fact_columns(rows, self.FACTS)
        facts = np.empty((len(rows.cand), len(self.FACTS)), dtype=self.table_dtype)
        for j, name in enumerate(self.FACTS):
            facts[:, j] = cols[name]
        return facts

    def _keep(self, tables: dict) -> None:
        with self._memo_lock:
            for f, t in tables.items():
                try:
                    self._memo[f] = t
                except ValueError:  # a table larger than the whole budget is used, not kept
                    pass

    def _tables(self, forms: list[int], static=None) -> list["Table | None"]:
        blocks = self.pool.for_forms(forms)
        lex = self.lex
        cols = blocks.cols
        words = lex.words[blocks.cand]
        cols = {**cols, "cand_oov": ((self.word_lm[np.maximum(words, 0)] < 0) & (words >= 0)).any(axis=1)}
        flags = np.zeros(len(blocks.cand), dtype=np.uint8)
        for name, bit in self._FLAG_BITS.items():
            flags |= (cols[name] > 0).astype(np.uint8) << np.uint8(bit)
        flags |= np.minimum(cols["n_sources"], 3).astype(np.uint8) << np.uint8(self._SOURCES_SHIFT)
        learned = cols["learned"] if (cols["learned"] != 0).any() else None
        rows = TableRows(blocks.cand.astype(np.int64), flags, cols["sim"].astype(np.float32),
                         None if learned is None else learned.astype(np.float32), None)
        scores = None
        starts = blocks.starts.tolist()
        if static is not None and len(blocks.cand):
            text_zipf = np.repeat(lex.zipf[np.asarray(forms, dtype=np.int64)].astype(np.float64), np.diff(starts))
            scores = static(self.fact_columns(rows, self.FACTS), text_zipf)
        cand32 = blocks.cand.astype(np.int32)
        # copies, not views: a memoised table must not keep the whole batch alive
        return [Table(cand32[a:b].copy(), flags[a:b].copy(), rows.sim[a:b].copy(),
                      None if learned is None or not rows.learned[a:b].any() else rows.learned[a:b].copy(),
                      None if scores is None else scores[a:b].copy(), static)
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


