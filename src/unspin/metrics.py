"""Quality measures shared by `unspin train`, `unspin bench` and the tests (one matching rule, one place).

A finding is correct when it overlaps a truly spun span; a second finding on the same spun span is neither
right nor wrong; restore@k counts correctly found spans whose original is among the first k suggestions.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class SpanScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    r1: int = 0
    r3: int = 0

    def add(self, other: "SpanScore") -> None:
        for k in ("tp", "fp", "fn", "r1", "r3"):
            setattr(self, k, getattr(self, k) + getattr(other, k))

    def metrics(self) -> dict:
        p = self.tp / max(self.tp + self.fp, 1)
        r = self.tp / max(self.tp + self.fn, 1)
        return {
            "precision": round(p, 4),
            "recall": round(r, 4),
            "f1": round(2 * p * r / max(p + r, 1e-9), 4),
            "restore@1": round(self.r1 / max(self.tp, 1), 4),
            "restore@3": round(self.r3 / max(self.tp, 1), 4),
            "true_spans": self.tp + self.fn,
            "findings": self.tp + self.fp,
        }


def score_findings(findings, truth_spans) -> SpanScore:
    """Match findings (objects with .start .end .suggestions) to the true spun spans, given as
    (start, end, original) in the checked text."""
    s = SpanScore()
    truth = sorted(truth_spans)
    starts = np.array([a for a, _, _ in truth], dtype=np.int64)
    hit: set[int] = set()
    for f in findings:
        k = _overlapping(truth, starts, f.start, f.end)
        if k is None:
            s.fp += 1
            continue
        if k in hit:
            continue
        hit.add(k)
        s.tp += 1
        orig = truth[k][2].lower()
        sugg = [x.lower() for x in f.suggestions]
        s.r1 += int(bool(sugg) and sugg[0] == orig)
        s.r3 += int(orig in sugg[:3])
    s.fn = len(truth) - len(hit)
    return s


def _overlapping(truth, starts: np.ndarray, a: int, b: int) -> int | None:
    """Index of the first true span overlapping [a, b) (true spans are sorted and do not overlap)."""
    if not len(truth):
        return None
    i = int(np.searchsorted(starts, b, side="left")) - 1  # last true span starting before b
    while i >= 0:
        ta, tb, _ = truth[i]
        if tb > a:
            if ta < b:
                best = i
                # an earlier one may overlap too: report the first
                j = i - 1
                while j >= 0 and truth[j][1] > a:
                    best = j
                    j -= 1
                return best
            return None
        return None
    return None


def auc(pos: list[float], neg: list[float]) -> float:
    """Area under the ROC curve (Mann-Whitney U with ties counted half)."""
    if not pos or not neg:
        return float("nan")
    allv = np.array(list(pos) + list(neg), dtype=np.float64)
    order = allv.argsort(kind="mergesort")
    sorted_v = allv[order]
    ranks = np.empty(len(allv))
    # average ranks over ties
    _, first, counts = np.unique(sorted_v, return_index=True, return_counts=True)
    avg = first + (counts - 1) / 2.0 + 1
    ranks[order] = np.repeat(avg, counts)
    r_pos = ranks[: len(pos)].sum()
    return float((r_pos - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def per_1000(count: int, words: int) -> float:
    return 1000.0 * count / max(words, 1)
