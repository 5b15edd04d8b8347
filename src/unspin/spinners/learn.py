"""Learning a spinning tool's dictionary from a pile of its output, without the originals.

A tool that replaces *o* by *s* at rate *r* leaves a trace in everything it writes:

- *s* is over-represented against clean English (wordfreq; the language model for phrases), often wildly so
  because tools prefer rare synonyms ("gives acknowledgment" in 14 of 50 news stories);
- in the places where *s* occurs, the language model keeps preferring the same *o* (slots.py), and *o*
  itself still occurs elsewhere in the pile (the tool leaves a share (1 − r) of its occurrences, and a share of
  words alone entirely), often in the same documents;
- *o* and *s* are often linked in some thesaurus (any of the installed ones; the tool's source is unknown);
- the engine (`unspin.check`) flags some occurrences of *s* with *o* as first suggestion;
- with a trace index, an aligned source gives exact (o, s) pairs.

Every candidate pair (unit *s*, word *o*) gets these signals as features; a logistic model trained on the
output of drawn tools (`unspin spinners train`, train split; thresholds on the dev split) turns them into a
calibrated confidence that the pair is in the tool's dictionary. Each spun unit keeps its best original;
overlapping units (a phrase and its words) keep the better explained one.
"""
from __future__ import annotations

import math
import time
from functools import lru_cache
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np

from ..knowledge import morph
from .pile import Pile, build_pile, clean_lograte, is_content
from .slots import SlotScorer, SlotStats

DEFAULT_SOURCES = ("moby", "mythes", "wordnet")
MAX_OCCURRENCES = 8  # occurrences of a unit scored in context (spread over documents)
MAX_VOCAB = 3000  # pile words tried as originals
MAX_CANDIDATES = 12  # originals kept per unit for the model
GAIN_CLIP = 15.0

FEATURES = (
    "bias", "gain_mean", "win_share", "top1_share", "top3_share", "logrank_mean", "occ_scored", "u_count", "u_df",
    "u_surprise", "u_zipf", "u_nwords", "u_oov", "o_zipf", "o_count", "o_ratio", "cooc", "linked", "link_rev",
    "zipf_drop", "gain_margin", "o_in_unit", "gain_sum", "gain_min", "tag_agree", "tag_clash", "u_caps", "o_caps",
    "ctx_share", "cooc_lift", "render_ok", "engine_share", "engine_any",
)


@dataclass
class Pair:
    unit: str  # spun form (lower case), as the tool writes it
    original: str  # candidate original form (lower case)
    x: np.ndarray  # features (FEATURES)
    count: int  # occurrences of the unit in the pile
    docs: int  # documents containing the unit
    evidence: dict = field(default_factory=dict)


# ---- thesaurus links (any installed source: the tool's own source is unknown) ------------------------------


class Links:
    """Lemma-level links between a unit and candidate originals in the learner's thesauri, inflected like the
    unit."""

    def __init__(self, sources=DEFAULT_SOURCES):
        from ..knowledge import thesaurus as thes

        self.sources = []
        self.th = []
        for s in sources:
            try:
                self.th.append(thes.load((s,), progress=False))
                self.sources.append(s)
            except FileNotFoundError:
                continue  # e.g. the Debian thesaurus is not installed: use the others
        self._memo: dict[str, tuple[frozenset, frozenset]] = {}

    def originals(self, unit: str) -> tuple[frozenset, frozenset]:
        """(forms whose lemma lists the unit's lemma — the tool's direction, forms linked either way). Each
        linked lemma comes inflected like the unit and in all its own forms: a tool that is blind to part of
        speech writes its replacement uninflected ("says" → "announcement")."""
        got = self._memo.get(unit)
        if got is not None:
            return got
        rev: set[str] = set()
        both: set[str] = set()
        readings = morph.analyses(unit) if " " not in unit else ((unit, ""),)
        for lemma, tag in readings:
            for th in self.th:
                for o in th.originals(lemma):
                    if " " not in o and is_content(o):
                        forms = _forms(o, tag)
                        rev.update(forms)
                        both.update(forms)
                for o in th.synonyms(lemma):
                    if " " not in o and is_content(o):
                        both.update(_forms(o, tag))
        rev.discard(unit)
        both.discard(unit)
        got = (frozenset(rev), frozenset(both))
        if len(self._memo) > 200_000:
            self._memo.clear()
        self._memo[unit] = got
        return got


@lru_cache(maxsize=100_000)
def _tags(form: str) -> frozenset:
    """Inflection tags a word form can carry (empty for base forms); a phrase carries a verb tag on its first
    word and other tags on its last (as `morph.inflect` puts them)."""
    if " " in form:
        parts = form.split(" ")
        return frozenset(t for t in _tags(parts[0]) if t.startswith("VB")) | \
            frozenset(t for t in _tags(parts[-1]) if not t.startswith("VB"))
    return frozenset(t for _, t in morph.analyses(form) if t)


@lru_cache(maxsize=200_000)
def _render_ok(unit: str, original: str) -> bool:
    """Could a tool that inflects its replacement like the original (when the replacement is a base form of
    the right part of speech) have written `unit` for `original`? An inflected unit needs an original with
    the same inflection; a base-form unit needs an uninflected original, or one whose inflection the unit
    cannot take (part-of-speech-blind tools leave those in the base form)."""
    u_tags = _tags(unit)
    head = unit.split(" ")
    for _, tag in morph.analyses(original) if " " not in original else ((original, ""),):
        if not tag:
            if not u_tags or unit in morph.lemmas(unit):
                return True
            continue
        if tag in u_tags:
            return True
        h = head[0 if tag.startswith("VB") and len(head) > 1 else -1]
        takes = (morph.tag_upos(tag) in morph.upos_of(h) and h in morph.lemmas(h)
                 and tag not in ("JJR", "JJS", "RBR", "RBS"))
        if not takes and (not u_tags or unit in morph.lemmas(unit)):
            return True
    return False


@lru_cache(maxsize=100_000)
def _forms(lemma: str, tag: str) -> tuple[str, ...]:
    """`lemma` inflected like the unit (`tag`) plus every form lemminflect knows for it."""
    from lemminflect import getAllInflections

    out = {lemma}
    if tag and morph.can_inflect(lemma, tag):
        out.add(morph.inflect(lemma, tag))
    for forms in getAllInflections(lemma).values():
        out.update(forms)
    return tuple(out)


# ---- candidate units ---------------------------------------------------------------------------------------


def _surprise(count: int, expected: float) -> float:
    """−ln P(X ≥ count) under Poisson(expected), approximated for small expected values; large when a unit
    occurs far more often than clean English would have it."""
    expected = max(expected, 1e-9)
    if count <= expected:
        return 0.0
    # log of the first term of the upper tail dominates for count ≫ expected
    return -(count * math.log(expected) - expected - math.lgamma(count + 1))


def candidate_units(pile: Pile, lm, min_count: int = 2, min_surprise: float = 3.0) -> dict[str, dict]:
    """Units that occur at least `min_count` times and more often than clean English predicts."""
    W = max(pile.words, 1)
    out = {}
    for u, c in pile.count.items():
        if c < min_count:
            continue
        lr = clean_lograte(u, lm)
        expected = W * math.exp(lr)
        s = _surprise(c, expected)
        if s < min_surprise:
            continue
        out[u] = {"count": c, "df": pile.df[u], "expected": expected, "surprise": s, "lograte": lr}
    return out


def _vocabulary(pile: Pile, max_vocab: int = MAX_VOCAB, min_count: int = 2, min_zipf: float = 3.0) -> list[str]:
    """Pile words that can be originals found by search: content words, common in English, seen unreplaced."""
    words = [(c, w) for w, c in pile.count.items()
             if " " not in w and c >= min_count and morph.zipf(w) >= min_zipf]
    words.sort(key=lambda x: (-x[0], x[1]))
    return [w for _, w in words[:max_vocab]]


def _spread(occurrences: list[tuple[int, int]], pile: Pile, k: int) -> list[tuple[int, int]]:
    """Up to k occurrences, one per document first."""
    seen_docs: set[int] = set()
    first, rest = [], []
    for si, i in occurrences:
        d = pile.sentences[si].doc
        (rest if d in seen_docs else first).append((si, i))
        seen_docs.add(d)
    return (first + rest)[:k]


# ---- features ---------------------------------------------------------------------------------------------


def extract_pairs(pile: Pile, lm=None, links: Links | None = None, engine: dict | None = None,
                  min_count: int = 2, min_surprise: float = 3.0, progress=None) -> list[Pair]:
    """Candidate (unit, original) pairs of a pile with their features."""
    if lm is None:
        from ..knowledge import lm as lm_mod

        lm = lm_mod.load()
    links = links or Links()
    engine = engine or {}
    units = candidate_units(pile, lm, min_count, min_surprise)
    vocab = _vocabulary(pile)
    scorer = SlotScorer(lm, vocab)
    W = max(pile.words, 1)
    doc_sets: dict[str, set[int]] = {}

    def docs_of(w: str) -> set[int]:
        s = doc_sets.get(w)
        if s is None:
            s = doc_sets[w] = {pile.sentences[si].doc for si, _ in pile.occ.get(w, ())}
        return s

    pairs: list[Pair] = []
    for n_done, (u, info) in enumerate(sorted(units.items())):
        if progress:
            progress(n_done, len(units))
        rev, both = links.originals(u)
        u_words = u.split(" ")
        stats: dict[str, SlotStats] = defaultdict(SlotStats)
        occs = _spread(pile.occ[u], pile, MAX_OCCURRENCES)
        contexts = []
        for si, i in occs:
            words = pile.sentences[si].words
            contexts.append((words[i - 1] if i > 0 else None,
                             words[i + len(u_words)] if i + len(u_words) < len(words) else None))
            extra = [w for w in both if w in scorer.index or pile.count.get(w, 0) > 0]
            base, scores, ranks = scorer.score_occurrence(words, i, len(u_words), extra)
            for c, sc in scores.items():
                st = stats[c]
                g = max(-GAIN_CLIP, min(GAIN_CLIP, sc - base))
                st.n += 1
                st.gain += g
                st.gmin = min(st.gmin, g)
                st.wins += sc > base
                r = ranks[c]
                st.top1 += r == 0
                st.top3 += r < 3
                st.logrank += math.log1p(r)
        n_occ = len(occs)
        if not n_occ:
            continue
        # candidates: best by mean gain among those that were top-3 somewhere, or linked
        cands = []
        for c, st in stats.items():
            if not is_content(c.split(" ")[-1]):
                continue
            if st.top3 == 0 and c not in both:
                continue
            # occurrences where the candidate was not scored count as a loss (rank beyond the list)
            missing = n_occ - st.n
            mean_gain = (st.gain - GAIN_CLIP * missing) / n_occ
            cands.append((mean_gain, c, st, missing))
        cands.sort(key=lambda x: -x[0])
        cands = cands[:MAX_CANDIDATES]
        if not cands:
            continue
        u_docs = docs_of(u)
        u_zipf = morph.zipf(u)
        u_oov = float(any(not lm.known(w) for w in u_words))
        u_tags = _tags(u)
        gains = [g for g, *_ in cands]
        eng = engine.get(u, {})
        for rank, (mean_gain, c, st, missing) in enumerate(cands):
            o_count = pile.count.get(c, 0)
            o_zipf = morph.zipf(c)
            o_expected = W * 10 ** (o_zipf - 9.0) if o_zipf > 0 else 0.0
            other = max((g for k, g in enumerate(gains) if k != rank), default=-GAIN_CLIP)
            e_hits = eng.get(c, 0)
            c_first, c_last = c.split(" ")[0], c.split(" ")[-1]
            shared = sum(1 for l1, r1 in contexts
                         if (l1 is not None and pile.bigrams.get((l1, c_first), 0) > 0)
                         or (r1 is not None and pile.bigrams.get((c_last, r1), 0) > 0))
            o_df = len(docs_of(c))
            cooc = len(u_docs & docs_of(c)) / max(len(u_docs), 1)
            e_total = eng.get("", 0)
            x = np.array([
                1.0,
                mean_gain,
                st.wins / n_occ,
                st.top1 / n_occ,
                st.top3 / n_occ,
                (st.logrank + missing * math.log1p(scorer.top)) / n_occ,
                math.log1p(n_occ),
                math.log(info["count"]),
                math.log(info["df"]),
                min(info["surprise"], 200.0) / 10.0,
                u_zipf,
                float(len(u_words)),
                u_oov,
                o_zipf,
                math.log1p(o_count),
                math.log((o_count + 0.5) / (o_expected + 0.5)),
                cooc,
                float(c in both),
                float(c in rev),
                o_zipf - u_zipf,
                mean_gain - other,
                float(c in u_words),
                (st.gain - GAIN_CLIP * missing) / 10.0,
                st.gmin if not missing else -GAIN_CLIP,
                float(bool(u_tags & _tags(c))),
                float(bool(u_tags) and not (u_tags & _tags(c))),
                pile.capitalised.get(u, 0) / info["count"],
                pile.capitalised.get(c, 0) / max(o_count, 1),
                shared / n_occ,
                math.log((cooc + 0.05) / (o_df / max(pile.documents, 1) + 0.05)),
                float(_render_ok(u, c)),
                e_hits / max(info["count"], 1),
                float(e_total > 0),
            ], dtype=np.float64)
            pairs.append(Pair(u, c, x, info["count"], info["df"],
                              {"gain": round(mean_gain, 2), "top1": st.top1, "scored": n_occ,
                               "linked": c in both}))
    return pairs


def engine_evidence(texts, **check_options) -> dict[str, dict[str, int]]:
    """{spun form: {suggested original: findings, "": all findings}} from `unspin.check` over the pile."""
    import unspin

    out: dict[str, Counter] = defaultdict(Counter)
    for t in texts:
        rep = unspin.check(t, **check_options)
        for f in rep.findings:
            if not f.suggestions:
                continue
            u = " ".join(f.text.lower().split())
            out[u][f.suggestions[0].lower()] += 1
            out[u][""] += 1
    return {k: dict(v) for k, v in out.items()}
