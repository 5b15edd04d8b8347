"""Variants of listed tortured phrases: the listed swaps in a combination no list holds yet.

Lists grow after the papers: a paper mill's tool writes "irregular woodland" for "random forest" in one
paper and "arbitrary woodland" in the next. The lists already say what both words stand for (align.py:
irregular→random, arbitrary→random, woodland→forest) and that "random forest" is a phrase tortured phrases
replace. So a run of 2–4 adjacent words is a *variant* when

- replacing some of its words by originals the lists give for them (the best-supported few per word) yields
  an expected phrase of the lists, and the run is not itself listed (the exact matcher finds those);
- the change is more than an inflection ("boundary layers" is not a variant of "boundary layer"), and the run
  begins and ends with a content word ("conveyance of" is no term);
- none of its adjacent word pairs is a bigram of the general-English language model (a pair people write,
  such as "economic growth" or "social networking", is not a tortured phrase, whatever the lists say
  its words can stand for).

Variants are findings at `suspect` level: for a person reviewing a paper, not counted as listed hits (the
PPS density flag counts only listed phrases) nor as certain evidence in the spin score.

Measured on the PPS list (benchmarks/variants_bench.py; lists built from 80 % of it, the other 20 %
held out): in a neutral sentence 25 % of the held-out tortured phrases are flagged (5 % listed verbatim in the
80 %, the rest as variants) and 15 % restored to their expected phrase, at 0.12 false variants per 1,000 words of
clean prose of every register (0.51 in science abstracts).
"""
from __future__ import annotations

import itertools
import re
from collections import deque
from dataclasses import dataclass

from ..stopwords import is_function_word
from ..types import LEVEL_SUSPECT, SOURCE_LIST, Finding, list_rule_id
from .align import align_pairs, phrase_words
from .parse import clean_expected

MIN_WORDS, MAX_WORDS = 2, 4
ORIGINALS_PER_WORD = 4  # learned originals tried for a word (its best-supported ones)
MAX_COMBINATIONS = 64  # restorations tried per run of words (bounds the work on long runs of listed words)
CONFIDENCE = 0.5  # suspect level: the lists vouch for each swap, not for this phrase
RULE_SUFFIX = "_VARIANT"

# words as the lists' matching form has them (parse.normalise): hyphens and dashes part words, ’ is '
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’]*")
_JOINER = re.compile(r"[\s\-\u2010\u2011]+")


@dataclass(frozen=True)
class Expected:
    list: str
    tortured: str
    expected: str


class ListedVariants:
    """Built from list entries: (list name, tortured phrase, expected phrase) triples."""

    def __init__(self, entries, lm=None):
        entries = [(name, t, e) for name, t, e in entries if t and e]
        self.originals = {w: tuple(d)[:ORIGINALS_PER_WORD]
                          for w, d in align_pairs(((t, e) for _, t, e in entries), lemmas=False).items()}
        self.expected: dict[tuple[str, ...], Expected] = {}
        self.listed: set[tuple[str, ...]] = set()
        for name, t, e in entries:
            words = tuple(phrase_words(clean_expected(e)))
            if MIN_WORDS <= len(words) <= MAX_WORDS:
                self.expected.setdefault(words, Expected(name, t, clean_expected(e)))
            self.listed.add(tuple(phrase_words(t)))
        self._lm = lm

    def __len__(self) -> int:
        return len(self.expected)

    def __getstate__(self):  # pickled with its FingerprintSet (fingerprints.load's disk cache): not the LM
        state = dict(self.__dict__)
        state["_lm"] = None
        return state

    @property
    def lm(self):
        if self._lm is None:
            from ..knowledge import lm as lm_mod

            self._lm = lm_mod.load()
        return self._lm

    def find(self, text: str) -> list[Finding]:
        """Variants in `text`, non-overlapping (longer runs first, then left to right), sorted by start. The
        words are read as a stream (the last MAX_WORDS of the current run): memory does not grow with the
        text, only with the variants found."""
        if not self.expected or not text:
            return []
        hits: list[tuple[int, int, Finding]] = []
        run: deque = deque(maxlen=MAX_WORDS)  # (start, end, word) of the last words of the current phrase run
        for m in _TOKEN.finditer(text):
            # only spaces or hyphens between two words keep a run going (other punctuation ends a phrase)
            if run and _JOINER.fullmatch(text, run[-1][1], m.start()) is None:
                run.clear()
            run.append((m.start(), m.end(), m.group().lower().replace("’", "'")))
            last = list(run)
            for k in range(MIN_WORDS, len(last) + 1):
                toks = last[-k:]
                words = tuple(t[2] for t in toks)
                if not any(w in self.originals for w in words) or words in self.listed or words in self.expected:
                    continue
                if is_function_word(words[0]) or is_function_word(words[-1]):
                    continue  # a phrase is its content words: "conveyance of" is no term
                f = self._variant(text, toks[0][0], toks[-1][1], words)
                if f is not None:
                    hits.append((k, toks[0][0], f))
        kept: list[Finding] = []
        for _, _, f in sorted(hits, key=lambda h: (-h[0], h[1])):
            if not any(f.start < g.end and g.start < f.end for g in kept):
                kept.append(f)
        return sorted(kept, key=lambda f: f.start)

    def _variant(self, text: str, a: int, b: int, words: tuple[str, ...]) -> Finding | None:
        options = [(w, *self.originals.get(w, ())) for w in words]
        n = 1
        for o in options:
            n *= len(o)
        if n > MAX_COMBINATIONS:
            return None
        hits = [c for c in itertools.product(*options) if c != words and c in self.expected]
        hits = [c for c in hits if not _inflection_only(words, c)]
        if not hits:
            return None
        lm = self.lm
        if any(lm.bigram_stored(x, y) for x, y in zip(words, words[1:])):
            return None
        # the restoration needing the fewest swaps, then the list's order of entries
        best = min(hits, key=lambda c: sum(x != y for x, y in zip(words, c)))
        exp = self.expected[best]
        phrase = " ".join(best)
        if text[a].isupper():
            phrase = phrase[0].upper() + phrase[1:]
        swaps = ", ".join(f"'{x}' → '{y}'" for x, y in zip(words, best) if x != y)
        evidence = (f"a variant of \"{exp.tortured}\" → \"{exp.expected}\" (listed in {exp.list}): the lists give "
                    f"{swaps}",
                    "the language model has seen none of its word pairs, as with tortured phrases")
        return Finding(a, b, text[a:b], (phrase,), CONFIDENCE, evidence, source=SOURCE_LIST,
                       rule_id=list_rule_id(exp.list) + RULE_SUFFIX, detail=f"{exp.list}:~{exp.expected.lower()}",
                       level=LEVEL_SUSPECT)


def _inflection_only(words: tuple[str, ...], restored: tuple[str, ...]) -> bool:
    """Every changed word is another form of the same lemma ("networks" → "network")."""
    from ..knowledge.morph import lemmas

    return all(x == y or set(lemmas(x)) & set(lemmas(y)) for x, y in zip(words, restored))
