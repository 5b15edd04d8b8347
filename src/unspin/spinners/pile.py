"""A pile of documents as counts and occurrences: what the learner, identification and clustering read.

Words are lower-case forms of the tokenizer's words; a *unit* is a word or an n-gram of up to 3 adjacent words
inside a sentence (spinning tools also write phrases: "says" → "gives acknowledgment"). Quoted speech is
skipped (tools leave it alone, and so do we).
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from ..knowledge import morph
from ..spin import _quoted_mask
from ..stopwords import is_function_word
from ..text import sentences, tokenize

MAX_N = 3


def is_content(word: str) -> bool:
    """A word a tool may have written or replaced: letters (inner hyphen/apostrophe), not a function word."""
    return len(word) >= 2 and word.replace("-", "").replace("'", "").isalpha() and not is_function_word(word)


@dataclass
class Sentence:
    words: list[str]  # lower-case word forms
    doc: int
    caps: list[bool] = field(default_factory=list)  # capitalised and not sentence-initial (inside a name)


@dataclass
class Pile:
    """Sentences of a set of documents with unit counts (tokens), document frequencies and occurrences."""

    sentences: list[Sentence] = field(default_factory=list)
    doc_words: list[int] = field(default_factory=list)
    count: Counter = field(default_factory=Counter)  # unit → occurrences
    df: Counter = field(default_factory=Counter)  # unit → documents containing it
    occ: dict = field(default_factory=lambda: defaultdict(list))  # unit → [(sentence index, position)]
    doc_units: list[Counter] = field(default_factory=list)  # per document: unit → count
    capitalised: Counter = field(default_factory=Counter)  # unit → occurrences capitalised inside a sentence
    bigrams: Counter = field(default_factory=Counter)  # (w1, w2) of all adjacent words, function words too

    @property
    def documents(self) -> int:
        return len(self.doc_words)

    @property
    def words(self) -> int:
        return sum(self.doc_words)


def doc_sentences(text: str) -> list[tuple[list[str], list[bool]]]:
    """Lower-case word sequences of `text` with, per word, whether it is capitalised inside its sentence (a
    name); one sequence per stretch of words: quoted speech, numbers and punctuation cut the sentence so no
    n-gram spans them."""
    tokens = tokenize(text)
    quoted = _quoted_mask(tokens, text)
    idx = {id(t): i for i, t in enumerate(tokens)}
    out: list[tuple[list[str], list[bool]]] = []
    for sent in sentences(tokens, text):
        cur: list[str] = []
        caps: list[bool] = []
        first = True
        for t in sent:
            if t.kind != "word" or quoted[idx[id(t)]]:
                if cur:
                    out.append((cur, caps))
                    cur, caps = [], []
                if t.kind == "word":
                    first = False
                continue
            cur.append(t.lower)
            caps.append(not first and t.text[:1].isupper())
            first = False
        if cur:
            out.append((cur, caps))
    return out


def unit_ok(words: tuple[str, ...]) -> bool:
    """An n-gram is a unit when it holds a content word and does not start or end with a function word
    other than a particle-like one (tools write "down the drain", "by vote")."""
    if not any(is_content(w) for w in words):
        return False
    return all(w.replace("-", "").replace("'", "").isalpha() for w in words)


def build_pile(texts, max_n: int = MAX_N, keep_occurrences: bool = True) -> Pile:
    pile = Pile()
    for d, text in enumerate(texts):
        units: Counter = Counter()
        n_words = 0
        for words, caps in doc_sentences(text):
            si = len(pile.sentences)
            pile.sentences.append(Sentence(words, d, caps))
            n_words += len(words)
            pile.bigrams.update(zip(words, words[1:]))
            for i in range(len(words)):
                for n in range(1, max_n + 1):
                    if i + n > len(words):
                        break
                    u = words[i : i + n]
                    if n == 1:
                        if not is_content(u[0]):
                            continue
                        key = u[0]
                    else:
                        t = tuple(u)
                        if not unit_ok(t):
                            continue
                        key = " ".join(t)
                    units[key] += 1
                    if caps[i]:
                        pile.capitalised[key] += 1
                    if keep_occurrences:
                        pile.occ[key].append((si, i))
        pile.doc_words.append(n_words)
        pile.doc_units.append(units)
        pile.count.update(units)
        pile.df.update(units.keys())
    return pile


# ---- how often a unit occurs in clean English -------------------------------------------------------------


def clean_lograte(unit: str, lm=None) -> float:
    """ln of the expected rate of `unit` per word of clean English: wordfreq for a word (Zipf), the first word's
    wordfreq rate times the language model's conditional probabilities for the rest of an n-gram."""
    parts = unit.split(" ")
    z = morph.zipf(parts[0])
    lr = (z - 9.0) * math.log(10) if z > 0 else -22.0
    if len(parts) > 1:
        if lm is None:
            from ..knowledge import lm as lm_mod

            lm = lm_mod.load()
        for k in range(1, len(parts)):
            lr += lm.logprob(parts[k], parts[max(0, k - 2) : k])
    return max(lr, -23.0)
