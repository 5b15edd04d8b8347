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

    def _left_vec(self, l1: str | None) -> np.ndarray:
        """ln P(v | l1) for every vocabulary word (unigram when there is no left word)."""
        key = l1 or ""
        v = self._left.get(key)
        if v is None:
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
        base = window_score(self.lm, left, unit, right)
        scores = {c: window_score(self.lm, left, c.split(" "), right) for c in cands}
        order = sorted(scores, key=lambda c: -scores[c])
        ranks = {c: r for r, c in enumerate(order)}
        return base, scores, ranks
