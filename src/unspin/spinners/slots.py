"""Which words fit the places where a unit occurs: the distributional evidence of the learner.

A tool wrote its replacement *s* where the author wrote *o*, so across the occurrences of *s* the language
model keeps preferring the same *o* — a word that also occurs (unreplaced) elsewhere in the pile. For every
occurrence of a candidate unit we score each word of the pile's vocabulary in the unit's place:

1. a cheap bigram pre-score, ln P(v | left word) + ln P(right word | v), from per-context-word vectors over the
   vocabulary (cached: context words repeat, so each costs one pass over the vocabulary once);
2. the full trigram window (two words of left context, the filler, two words of right context) for the best
   pre-scored words and for thesaurus-linked words.

The result per (unit, word) is how often and by how much the word beats the unit in its own places.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

NEG = -30.0  # ln-probability floor for words the language model does not know


def _batched(lm) -> bool:
    """Does `lm` answer batches of id queries (the default numpy LM does; a user's KenLM model does not)?"""
    return hasattr(lm, "logprob_ids") and hasattr(lm, "extend")


def window_scores(lm, left: list[str], fillers: list[list[str]], right: list[str]) -> np.ndarray:
    """`window_score` of every filler in one place, as one batch of language-model queries per filler length
    (the same numbers as the scalar path)."""
    out = np.zeros(len(fillers))
    if not fillers:
        return out
    if not _batched(lm):
        for g, f in enumerate(fillers):
            out[g] = window_score(lm, left, f, right)
        return out
    ext = lm.extend
    L = np.array([ext(w) for w in left[-2:]], dtype=np.int64)
    R = np.array([ext(w) for w in right[:2]], dtype=np.int64)
    by_len: dict[int, list[int]] = {}
    for g, f in enumerate(fillers):
        by_len.setdefault(len(f), []).append(g)
    b = len(L)
    for n, gs in by_len.items():
        m = len(gs)
        F = np.array([[ext(w) for w in fillers[g]] for g in gs], dtype=np.int64).reshape(m, n)
        seq = np.hstack([np.broadcast_to(L, (m, b)), F, np.broadcast_to(R, (m, len(R)))])
        pad = np.hstack([np.full((m, 2), -1, dtype=np.int64), seq])
        tot = np.zeros(m)
        for k in range(b, seq.shape[1]):
            tot += lm.logprob_ids(pad[:, k : k + 2], seq[:, k])
        out[gs] = tot
    return out


def window_score(lm, left: list[str], filler: list[str], right: list[str]) -> float:
    """ln P(filler + two right words | two left words) under `lm` (history oldest first)."""
    seq = left[-2:] + filler + right[:2]
    base = len(left[-2:])
    total = 0.0
    for k in range(base, len(seq)):
        total += lm.logprob(seq[k], seq[max(0, k - 2) : k])
    return total


@dataclass
class SlotStats:
    """Aggregates for one (unit, candidate) pair over the unit's scored occurrences."""

    n: int = 0  # occurrences scored
    gain: float = 0.0  # sum of clipped window gains (candidate − unit)
    gmin: float = 99.0  # smallest clipped gain
    wins: int = 0  # occurrences where the candidate beats the unit
    top1: int = 0  # occurrences where the candidate is the best filler of the vocabulary
    top3: int = 0
    logrank: float = 0.0  # sum of ln(1 + rank) among fillers


@dataclass
class SlotScorer:
    lm: object
    vocab: list[str]
    top: int = 30  # pre-scored words that get the full window
    _left: dict = field(default_factory=dict)
    _right: dict = field(default_factory=dict)

    def __post_init__(self):
        self.index = {w: i for i, w in enumerate(self.vocab)}
        self.known = np.array([bool(self.lm.known(w)) for w in self.vocab], dtype=bool)
        # ids for batched queries (unknown words get 0 and are masked by `known`)
        self._ids = (np.where(self.known, np.asarray(self.lm.ids(self.vocab), dtype=np.int64), 0)
                     if _batched(self.lm) and len(self.vocab) else None)

    def _left_vec(self, l1: str | None) -> np.ndarray:
        """ln P(v | l1) for every vocabulary word (unigram when there is no left word)."""
        key = l1 or ""
        v = self._left.get(key)
        if v is None:
            if self._ids is not None:
                h = np.full((len(self.vocab), 2), -1, dtype=np.int64)
                if l1:
                    h[:, 1] = self.lm.extend(l1)
                v = np.where(self.known, self.lm.logprob_ids(h, self._ids), NEG).astype(np.float32)
            else:
                hist = [l1] if l1 else []
                v = np.array([self.lm.logprob(w, hist) if k else NEG for w, k in zip(self.vocab, self.known)],
                             dtype=np.float32)
            self._left[key] = v
        return v

    def _right_vec(self, r1: str | None) -> np.ndarray:
        """ln P(r1 | v) for every vocabulary word (zeros when there is no right word)."""
        if not r1:
            return np.zeros(len(self.vocab), dtype=np.float32)
        v = self._right.get(r1)
        if v is None:
            if self._ids is not None:
                h = np.full((len(self.vocab), 2), -1, dtype=np.int64)
                h[:, 1] = self._ids
                w = np.full(len(self.vocab), self.lm.extend(r1), dtype=np.int64)
                v = np.where(self.known, self.lm.logprob_ids(h, w), NEG).astype(np.float32)
            else:
                v = np.array([self.lm.logprob(r1, [w]) if k else NEG for w, k in zip(self.vocab, self.known)],
                             dtype=np.float32)
            self._right[r1] = v
        return v

    def score_occurrence(self, words: list[str], i: int, n: int, extra: list[str]) -> tuple[float, dict[str, float],
                                                                                            dict[str, int]]:
        """For the unit words[i:i+n]: (its window score, {candidate: window score}, {candidate: rank}).
        Candidates are the best pre-scored vocabulary words plus `extra` (e.g. thesaurus links)."""
        left = words[max(0, i - 2) : i]
        right = words[i + n : i + n + 2]
        unit = words[i : i + n]
        pre = self._left_vec(left[-1] if left else None) + self._right_vec(right[0] if right else None)
        k = min(self.top, len(pre))
        best = np.argpartition(-pre, k - 1)[:k] if k < len(pre) else np.arange(len(pre))
        cands = {self.vocab[j] for j in best}
        cands.update(w for w in extra if w)
        unit_str = " ".join(unit)
        cands.discard(unit_str)
        names = sorted(cands)
        got = window_scores(self.lm, left, [unit] + [c.split(" ") for c in names], right)
        base = float(got[0])
        scores = {c: float(v) for c, v in zip(names, got[1:])}
        order = sorted(scores, key=lambda c: -scores[c])
        ranks = {c: r for r, c in enumerate(order)}
        return base, scores, ranks
