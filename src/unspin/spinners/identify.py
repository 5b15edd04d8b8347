"""Which learned dictionary (which tool, which content farm) explains a document — or none.

For each dictionary *k* the document's log-likelihood ratio against clean English is

    LLR_k = Σ_entries  min(n_s, H) · ln(λ_k(s) / λ_0(s))  −  L · (λ_k(s) − λ_0(s))

where n_s is how often the entry's spun form *s* occurs in the document (capped at H: a topic word repeats),
L the document's words, λ_k(s) the rate of *s* in the tool's pile (count/words, at least λ_0) and λ_0(s) its rate
in clean English (wordfreq; the language model for phrases), floored so that one topical rare word is not
proof. The probabilities are a calibrated softmax, P(k) ∝ exp(a·LLR_k + b) against P(none) ∝ 1, with a and b
fitted on held-out tools and clean documents (`unspin spinners train`); "none" is answered when no dictionary
reaches `min_probability`, or when the document holds none of the best one's hallmarks (entries whose spun
form is rarer than one per million words of clean English).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from .learn import LearnedDictionary, load_model
from .pile import build_pile, clean_lograte

HALLMARK_LOGRATE = math.log(1e-6)  # rarer than one per million words of clean English (Zipf 3)


@dataclass
class Identification:
    best: str  # a dictionary's name, or "none"
    probability: float  # of `best`
    probabilities: dict[str, float] = field(default_factory=dict)  # every dictionary and "none"
    llr: dict[str, float] = field(default_factory=dict)
    hits: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)  # name → (spun, original, n)
    words: int = 0

    def to_dict(self) -> dict:
        return {
            "best": self.best,
            "probability": round(self.probability, 4),
            "probabilities": {k: round(v, 4) for k, v in self.probabilities.items()},
            "llr": {k: round(v, 3) for k, v in self.llr.items()},
            "hits": {k: [{"spun": s, "original": o, "count": n} for s, o, n in v] for k, v in self.hits.items()},
            "words": self.words,
        }


class Scorer:
    """A learned dictionary prepared for scoring documents (rates computed once)."""

    def __init__(self, d: LearnedDictionary, clean_floor: float, lm=None):
        self.name = d.name
        self.entries = []
        self.hallmarks: set[str] = set()
        self.strong = {e.spun for e in d.entries}  # above the learner's threshold (weak entries: evidence only)
        words = max(d.words, 1)
        for e in list(d.entries) + list(getattr(d, "weak", ())):
            lr = clean_lograte(e.spun, lm)
            if lr < HALLMARK_LOGRATE:
                self.hallmarks.add(e.spun)
            lam0 = max(math.exp(lr), clean_floor)
            lam1 = max((e.count + 0.5) / words, lam0)
            self.entries.append((e.spun, e.original, math.log(lam1 / lam0), lam1 - lam0))

    def llr(self, counts, n_words: int, max_hits: int) -> tuple[float, list[tuple[str, str, int]]]:
        total = 0.0
        hits = []
        for spun, orig, log_ratio, excess in self.entries:
            n = counts.get(spun, 0)
            if n:
                hits.append((spun, orig, n))
                total += min(n, max_hits) * log_ratio
            total -= n_words * excess
        return total, hits


def _softmax(named: dict[str, float], a: float, b: float) -> dict[str, float]:
    z = {k: a * v + b for k, v in named.items()}
    z["none"] = 0.0
    m = max(z.values())
    e = {k: math.exp(v - m) for k, v in z.items()}
    s = sum(e.values())
    return {k: v / s for k, v in e.items()}


def identify(text: str, dictionaries: list[LearnedDictionary] | list[Scorer], min_probability: float = 0.5,
             model_path=None, lm=None) -> Identification:
    """Which of `dictionaries` explains `text`, with a calibrated probability (or "none"). A document is
    attributed only when it holds at least one of the dictionary's hallmarks (an entry whose spun form is rare
    in clean English): ordinary words a tool also writes ("firm", "job") are never enough on their own."""
    cal = load_model(model_path)["identify"]
    scorers = [d if isinstance(d, Scorer) else Scorer(d, cal["clean_floor"], lm) for d in dictionaries]
    pile = build_pile([text], keep_occurrences=False)
    counts = pile.count
    llr, hits, hallmarks = {}, {}, {}
    for s in scorers:
        name = s.name
        k = 2
        while name in llr:  # two files with the same name stay apart
            name = f"{s.name}#{k}"
            k += 1
        llr[name], hits[name] = s.llr(counts, pile.words, cal["max_hits"])
        hallmarks[name] = s.hallmarks
    probs = _softmax(llr, cal["a"], cal["b"])
    tools = {k: v for k, v in probs.items() if k != "none"}
    best = max(tools, key=tools.get) if tools else "none"
    if best != "none" and (tools[best] < min_probability or not any(s in hallmarks[best] for s, _, _ in hits[best])):
        best = "none"
    return Identification(best, probs[best], probs, llr, hits, pile.words)
