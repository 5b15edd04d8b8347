"""Spans that a spinner may have written, and the originals each could stand for.

A span is one word or a multi-word thesaurus term found in a sentence. Its candidates come from reverse
thesaurus links (headword *w* lists the span's lemma: the spinner replaced *w*), forward links (the span's
own entry lists *w*: thesauri are roughly symmetric, and other spinners' thesauri differ from ours), and
pairs learned from known tortured-phrase lists. Candidates get the span's inflection.

Static facts about a candidate (frequency, how many synonyms the spinner had to choose from, link kind)
depend only on the span's surface form, so they are memoised per form across documents.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .knowledge import morph
from .stopwords import is_function_word

# Candidate lists memoised per span form (up to MAX_CANDIDATES each, ~10 kB): the cap bounds the memo near
# 200 MB on endless new vocabulary; ordinary text reuses a few thousand forms.
MEMO_FORMS = 20_000
MAX_CANDIDATES = 120  # kept per span form by the static prior; the engine then keeps the best
# CONTEXT_CANDIDATES of these by a two-query language-model pre-score in context


@dataclass(frozen=True, slots=True)
class Candidate:
    form: str  # inflected original, lower case ("raised")
    lemma: str  # headword in the thesaurus ("raise")
    zipf: float  # wordfreq Zipf frequency of the inflected form
    log_nsyn: float  # ln(number of synonyms listed under the lemma): 1/n is the spinner's choice chance
    reverse: bool  # the lemma lists the span (what a spinner using our thesaurus would have done)
    forward: bool  # the span's entry lists the lemma
    learned: float  # weight from learned tortured→expected word pairs (0 when none)
    prior: float  # cheap ranking score used to keep the top MAX_CANDIDATES


class CandidateGenerator:
    """Originals for a span form, from one or more thesauri plus learned pairs; memoised."""

    def __init__(self, thesaurus, learned_pairs: dict[str, dict[str, float]] | None = None, max_candidates=MAX_CANDIDATES):
        self.th = thesaurus
        self.learned = learned_pairs or {}
        self.max_candidates = max_candidates
        self._memo: dict[str, tuple[Candidate, ...]] = {}
        self._attraction: dict[str, float] = {}
        self._log_nsyn = np.log(thesaurus.n_syn_array).astype(np.float32)  # ln |syn(o)| per term id

    def for_form(self, form: str) -> tuple[Candidate, ...]:
        got = self._memo.get(form)
        if got is None:
            got = self._build(form)
            if len(self._memo) > MEMO_FORMS:
                self._memo.clear()
            self._memo[form] = got
        return got

    def _build(self, form: str) -> tuple[Candidate, ...]:
        th = self.th
        readings = morph.analyses(form) if " " not in form else _phrase_readings(form)
        if form not in [lem for lem, _ in readings]:
            readings = readings + ((form, ""),)
        zipf_arr = th.zipf
        log_nsyn = self._log_nsyn
        # gather (term id, tag, reverse?, forward?) over readings, scored by a cheap prior, before any
        # inflection: common words have hundreds of thesaurus neighbours
        best: dict[int, tuple[float, str, bool, bool]] = {}
        for lemma, tag in readings:
            rev = th.original_ids(lemma)
            fwd = th.synonym_ids(lemma)
            for ids, is_rev in ((rev, True), (fwd, False)):
                if not len(ids):
                    continue
                prior = zipf_arr[ids] - 0.5 * log_nsyn[ids] + (1.0 if is_rev else 0.0)
                keep = np.argsort(-prior)[: self.max_candidates * 2]
                for j in keep:
                    tid = int(ids[j])
                    old = best.get(tid)
                    pr = float(prior[j])
                    if old is None:
                        best[tid] = (pr, tag, is_rev, not is_rev)
                    else:
                        best[tid] = (max(old[0], pr), old[1], old[2] or is_rev, old[3] or not is_rev)
        out: dict[str, Candidate] = {}
        lemma_set = {lem for lem, _ in readings}
        for lemma, tag in readings:
            for orig, weight in self.learned.get(lemma, {}).items():
                tid = th.term_id.get(orig, -1)
                z = morph.zipf(orig)
                ln = float(log_nsyn[tid]) if tid >= 0 else 0.0
                inflected = morph.inflect(orig, tag) if tag else orig
                if inflected != form and not is_function_word(orig):
                    out[inflected] = Candidate(inflected, orig, morph.zipf(inflected), ln, tid in best and best[tid][2],
                                               tid in best and best[tid][3], float(weight), z + 3.0)
        for tid, (prior, tag, is_rev, is_fwd) in sorted(best.items(), key=lambda kv: -kv[1][0]):
            if len(out) >= self.max_candidates:
                break
            orig = th.terms[tid]
            if orig in lemma_set or is_function_word(orig) or orig.count(" ") > 3 or any(c.isdigit() for c in orig):
                continue
            if orig.startswith(("the ", "a ", "an ")) or not morph.can_inflect(orig, tag):
                continue  # "the necessary", "big shottest": not what a writer would have had
            inflected = morph.inflect(orig, tag) if tag else orig
            if inflected == form or inflected in out:
                continue
            out[inflected] = Candidate(inflected, orig, morph.zipf(inflected) if tag else float(zipf_arr[tid]),
                                       float(log_nsyn[tid]), is_rev, is_fwd, 0.0, prior)
        return tuple(sorted(out.values(), key=lambda c: -c.prior))

    def attraction(self, form: str) -> float:
        """How much likelier `form` is as spinner output than as a writer's word: ln of Σ over its
        thesaurus originals o of P(o)/|syn(o)| (a uniform spinner's output rate) minus ln P(form)."""
        got = self._attraction.get(form)
        if got is not None:
            return got
        th = self.th
        readings = morph.analyses(form) if " " not in form else _phrase_readings(form)
        ids = [th.original_ids(lem) for lem, _ in readings] + [th.original_ids(form)]
        ids = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int32)
        if len(ids) == 0:
            val = -10.0
        else:
            a = th.zipf[ids].astype(np.float64) * math.log(10) - self._log_nsyn[ids]
            m = float(a.max())
            val = m + math.log(float(np.exp(a - m).sum())) - max(morph.zipf(form), 1.0) * math.log(10)
        if len(self._attraction) > 300_000:
            self._attraction.clear()
        self._attraction[form] = val
        return val


def _phrase_readings(phrase: str) -> tuple[tuple[str, str], ...]:
    """(lemma, tag) readings of a multi-word span: inflection sits on the first word (verbs: "brought up")
    or the last (nouns: "interest rates")."""
    parts = phrase.split(" ")
    out = [(phrase, "")]
    for lemma, tag in morph.analyses(parts[0]):
        if tag.startswith("VB"):
            out.append((" ".join([lemma] + parts[1:]), tag))
    for lemma, tag in morph.analyses(parts[-1]):
        if tag == "NNS":
            out.append((" ".join(parts[:-1] + [lemma]), tag))
    return tuple(out)
