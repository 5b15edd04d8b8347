"""Which learned dictionary (which tool, which content farm) explains a document — or none.

A learned dictionary carries a *profile* of its pile: every unit the tool may have written, with its rate in the
pile, the probability q that it is the tool's output (the learner's confidence; a small prior for rare words
seen once) and its likeliest originals. A document is scored against each dictionary *k* by a likelihood ratio
against clean English, one term per profile unit *u* the document contains:

    ln(1 + q · λ_k(u)/λ_0(u) · exp(clip(β·(g − g0))))

λ_k(u) is the unit's rate in the tool's pile, λ_0(u) its clean-English rate (wordfreq; the language model for
phrases; floored so one rare topical word is not proof), and g the context check: how much better the
dictionary's original for *u* (or, for a unit without one, the best thesaurus link) fits the document's own
sentence than *u* does (trigram window, ln units). A tool's replacement fits its place worse than the word it
replaced; the same word written by a person usually fits. Units written by tools share across dictionaries and
with clean text, so the context check is what separates "the document uses *organise*" from "this tool wrote
*organise* for *arrange* here". Finally the expected number of the tool's outputs in a document of L words,
γ·L·Σ q·λ_k(u), is subtracted (a tool that writes many rare words but left none here is unlikely).

Probabilities: a softmax of a·LLR_k + b against "none" (P(none) ∝ 1); β, g0, γ, the singleton prior and a are
fitted on dev tools and clean dev documents (`unspin spinners train`, stored in data/spinners.json), and
b = −a·τ(K) depends on the number K of dictionaries compared: each is one more chance of a chance match, so
τ(K) is set from the dev LLRs of tools' documents against K *other* tools' dictionaries and of clean documents
against K dictionaries, which may reach it in at most 5 % and 0.5 % of cases (`attribution_threshold`).
"none" is the answer when no dictionary reaches `min_probability`, or when the document holds no hit rarer
than one in 100,000 words of clean English (Zipf 4) that the dictionary likely wrote: ordinary words a tool
also writes ("firm", "job") are never proof on their own.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from .learn import LearnedDictionary, load_model
from .pile import build_pile, clean_lograte, is_content

HALLMARK_LOGRATE = math.log(1e-6)  # rarer than one per million words of clean English (Zipf 3)
PROOF_LOGRATE = math.log(1e-5)  # a document is attributed only with a hit rarer than this (Zipf 4): ordinary words
# a tool also writes ("firm", "job") are never proof on their own
MAX_OCC = 2  # occurrences of a unit checked in context per document
GENERIC_CANDIDATES = 60  # thesaurus links tried for a unit without a learned original
GENERIC_MIN_ZIPF = 3.5  # originals are everyday words

DEFAULT_CAL = {"clean_floor": 1e-7, "ratio_cap": 1e6, "beta": 1.0, "g0": 2.0, "clip": 4.0, "gamma": 1.0,
               "q_single": 0.1, "max_hits": 1, "q_min": 0.0, "a": 1.0, "b": -12.0}


@dataclass
class Identification:
    best: str  # a dictionary's name, or "none"
    probability: float  # of `best`
    probabilities: dict[str, float] = field(default_factory=dict)  # every dictionary and "none"
    llr: dict[str, float] = field(default_factory=dict)
    hits: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)  # name → (spun, original, n)
    words: int = 0
    documents: int = 1  # pooled as one source
    threshold: float = 0.0  # the LLR a dictionary needs to be named with this many dictionaries compared

    def to_dict(self) -> dict:
        return {
            "best": self.best,
            "probability": round(self.probability, 4),
            "probabilities": {k: round(v, 4) for k, v in self.probabilities.items()},
            "llr": {k: round(v, 3) for k, v in self.llr.items()},
            "hits": {k: [{"spun": s, "original": o, "count": n} for s, o, n in v] for k, v in self.hits.items()},
            "words": self.words,
            "documents": self.documents,
            "threshold": round(self.threshold, 3),
        }


@dataclass
class Unit:
    ratio: float  # λ_k / λ_0, capped
    q: float | None  # probability that the tool wrote it; None: a rare word seen once (the singleton prior,
    # `q_single` of the calibration, resolved where the score is computed so calibration can vary it)
    originals: tuple[str, ...]
    rate: float  # λ_k
    strong: bool  # an exported entry (above the learner's threshold)
    rare: bool  # rarer than PROOF_RATE in clean English: may be proof on its own


class Scorer:
    """A learned dictionary prepared for scoring documents (rates computed once)."""

    def __init__(self, d: LearnedDictionary, cal: dict | float | None = None, lm=None):
        if not isinstance(cal, dict):  # older callers pass the clean floor
            cal = {**DEFAULT_CAL, **({"clean_floor": cal} if cal is not None else {})}
        cal = {**DEFAULT_CAL, **cal}
        self.name = d.name
        self.units: dict[str, Unit] = {}
        self.hallmarks: set[str] = set()
        self.strong = {e.spun for e in d.entries}
        words = max(d.words, 1)
        floor = cal["clean_floor"]
        items = list(getattr(d, "profile", None) or ())
        if not items:  # a file without a profile: its entries and weak entries
            items = [(e.spun, e.count, e.docs, e.confidence, (e.original,))
                     for e in list(d.entries) + list(getattr(d, "weak", ()))]
        rate_known = rate_single = 0.0
        for u, count, _docs, q, originals in items:
            lr = clean_lograte(u, lm)
            if lr < HALLMARK_LOGRATE and u in self.strong:
                self.hallmarks.add(u)
            lam0 = max(math.exp(lr), floor)
            lam = count / words
            q = None if q is None else float(q)
            self.units[u] = Unit(lam / lam0, q, tuple(originals), lam, u in self.strong, lr < PROOF_LOGRATE)
            if q is None:
                rate_single += lam
            else:
                rate_known += q * lam
        # expected tool outputs per word, Σ q·λ: the units with a confidence, and the singletons' λ, whose q is
        # the calibration's prior
        self.rates = (rate_known, rate_single)
        self.rate_sum = expected_rate(self.rates, cal)


def expected_rate(rates: tuple[float, float], cal: dict) -> float:
    """Σ q·λ over a profile from its (known-confidence part, singletons' Σ λ) under the calibration `cal`."""
    return rates[0] + cal["q_single"] * rates[1]


def _q(q: float | None, cal: dict) -> float:
    return cal["q_single"] if q is None else q


def tail_threshold(desc: list[float], total: int, share: float) -> float:
    """The smallest LLR that at most `share` of `total` chance values reach, from the largest of them (`desc`,
    descending); when the list is too short to say, its last value (stricter than needed)."""
    allowed = int(share * total)
    if not desc:
        return 0.0
    return float(desc[min(allowed, len(desc) - 1)]) + 1e-6


def attribution_threshold(tail: dict, n_dicts: int) -> float:
    """τ(K): the LLR a document needs before one of K dictionaries may be named. Each dictionary compared is one
    more chance of a chance match, so the threshold rises with K. Up to the number of dev tools it is measured
    (`tail["measured"][K − 1]`: the largest LLR among K dictionaries of documents of tools nobody learned and
    of clean documents, at the allowed shares); beyond, each dictionary may be reached by at most 1/K of those
    shares (the union bound on the per-dictionary chance LLRs)."""
    k = max(int(n_dicts), 1)
    measured = tail.get("measured") or []
    if k <= len(measured):
        return float(measured[k - 1])
    union = max(tail_threshold(tail["foreign"], tail["foreign_n"], tail["unknown_share"] / k),
                tail_threshold(tail["clean"], tail["clean_n"], tail["clean_share"] / k), 0.0)
    return max(union, float(measured[-1])) if measured else union


def _softmax(named: dict[str, float], a: float, b: float) -> dict[str, float]:
    z = {k: a * v + b for k, v in named.items()}
    z["none"] = 0.0
    m = max(z.values())
    e = {k: math.exp(v - m) for k, v in z.items()}
    s = sum(e.values())
    return {k: v / s for k, v in e.items()}


_LINKS: list = []


def _generic(unit: str) -> tuple[str, ...]:
    """Everyday words any installed thesaurus links to `unit` (both directions), commonest first."""
    if not _LINKS:
        from .learn import Links

        _LINKS.append(Links(neighbours=False))
    facts = _LINKS[0].facts(unit)
    cands = [(fx.zipf, o) for o, fx in facts.items() if fx.zipf >= GENERIC_MIN_ZIPF]
    cands.sort(key=lambda x: (-x[0], x[1]))
    return tuple(o for _, o in cands[:GENERIC_CANDIDATES])


def evidence(text_or_pile, scorers: list[Scorer], lm=None) -> tuple[dict[str, list[tuple]], int]:
    """Per scorer (by position): [(unit, n, q, ratio, g, original)] for every profile unit the document holds
    (outside names), g the best context gain of the scorer's originals for it (or of generic links); and the
    document's words."""
    from .slots import window_scores

    if lm is None:
        from ..knowledge import lm as lm_mod

        lm = lm_mod.load()
    pile = text_or_pile if not isinstance(text_or_pile, str) else build_pile([text_or_pile])
    out: list[list[tuple]] = [[] for _ in scorers]
    for u, n in pile.count.items():
        having = [(k, s.units[u]) for k, s in enumerate(scorers) if u in s.units]
        if not having or pile.capitalised.get(u, 0) >= n:
            continue
        cands: set[str] = set()
        generic: tuple[str, ...] = ()
        for _, x in having:
            if x.originals:
                cands.update(x.originals)
            elif not generic:
                generic = _generic(u)
        cands.update(generic)
        cands.discard(u)
        names = sorted(c for c in cands if is_content(c.rsplit(" ", 1)[-1]))
        fillers = [u.split(" ")] + [c.split(" ") for c in names]
        # the fillers' own log-probabilities: the context check is net of how common each word is (a rare topical
        # word loses to "people" in any window; what matters is whether its neighbours want it)
        alone = window_scores(lm, [], fillers, [])
        prior = alone[1:] - alone[0]
        best = {c: -99.0 for c in names}
        k = u.count(" ") + 1
        for si, i in pile.occ.get(u, ())[:MAX_OCC]:
            words = pile.sentences[si].words
            left, right = words[max(0, i - 2) : i], words[i + k : i + k + 2]
            got = window_scores(lm, left, fillers, right)
            for c, v in zip(names, got[1:] - got[0] - prior):
                if v > best[c]:
                    best[c] = float(v)
        gen_best = max((best[c] for c in generic if c in best), default=-99.0)
        for idx, x in having:
            if x.originals:
                g, o = max(((best.get(c, -99.0), c) for c in x.originals), default=(-99.0, ""))
            else:
                g, o = gen_best, ""
            out[idx].append((u, n, x.q, x.ratio, g, o, x.rare))
    return {k: v for k, v in enumerate(out)}, pile.words


def llr_of(hits: list[tuple], words: int, rate_sum: float, cal: dict) -> float:
    """The document's log-likelihood ratio for one dictionary from its hits (see the module docstring)."""
    beta, g0, clip, gamma, H = cal["beta"], cal["g0"], cal["clip"], cal["gamma"], cal["max_hits"]
    q_min, cap = cal["q_min"], cal["ratio_cap"]
    total = 0.0
    for _u, n, q, ratio, g, _o, _rare in hits:
        q = _q(q, cal)
        if q < q_min:
            continue
        lr = math.exp(max(-clip, min(clip, beta * (g - g0))))
        total += min(n, H) * math.log1p(q * min(ratio, cap) * lr)
    return total - gamma * words * rate_sum


def has_proof(hits: list[tuple], cal: dict) -> bool:
    """Does the document hold a hit that may count as proof: a unit rare in clean English that the dictionary
    likely wrote, in a place where its original fits about as well as expected of a swap?"""
    q_min = max(cal["q_min"], 0.05)
    return any(rare and _q(q, cal) >= q_min and g >= cal["g0"] - 2.0 for _u, _n, q, _r, g, _o, rare in hits)


def identify(text: str | Sequence[str], dictionaries: list[LearnedDictionary] | list[Scorer],
             min_probability: float = 0.5, model_path=None, lm=None) -> Identification:
    """Which of `dictionaries` explains `text`, with a calibrated probability (or "none").

    `text` may be several documents believed to come from one source (one site, one author): their evidence is
    pooled as one pile, which is how a few short articles that each hold one or two of a tool's outputs are
    attributed together (the likelihood ratio adds up; the absence term grows with the words)."""
    cal = {**DEFAULT_CAL, **load_model(model_path)["identify"]}
    scorers = [d if isinstance(d, Scorer) else Scorer(d, cal, lm) for d in dictionaries]
    texts = [text] if isinstance(text, str) else list(text)
    if not texts:
        raise ValueError("identify needs at least one document")
    ev, words = evidence(build_pile(texts), scorers, lm)
    llr, hits, proof = {}, {}, {}
    for k, s in enumerate(scorers):
        name = s.name
        j = 2
        while name in llr:  # two files with the same name stay apart
            name = f"{s.name}#{j}"
            j += 1
        llr[name] = llr_of(ev[k], words, s.rate_sum, cal)
        proof[name] = has_proof(ev[k], cal)
        shown = [(u, o or "", n) for u, n, q, ratio, g, o, _ in ev[k]
                 if u in s.strong or (_q(q, cal) >= 0.3 and g > cal["g0"])]
        hits[name] = sorted(shown, key=lambda h: (-(h[0] in s.strong), h[0]))
    tail = cal.get("tail")
    tau = attribution_threshold(tail, len(scorers)) if tail else -cal["b"] / cal["a"]
    probs = _softmax(llr, cal["a"], -cal["a"] * tau)
    tools = {k: v for k, v in probs.items() if k != "none"}
    best = max(tools, key=tools.get) if tools else "none"
    if best != "none" and (tools[best] < min_probability or not proof[best]):
        best = "none"
    return Identification(best, probs[best], probs, llr, hits, words, len(texts), tau)
