"""Inflection and frequency helpers (lemminflect, wordfreq), memoised: text vocabulary repeats.

The LRU caps keep a long-running process bounded (about 100 MB in all) on endless new vocabulary."""
from __future__ import annotations

from functools import lru_cache

from .frequency import zipf as frequency_zipf

# Penn tags lemminflect can produce, grouped so a candidate gets the text word's form.
_TAGS = ("NNS", "VBD", "VBN", "VBG", "VBZ", "JJR", "JJS", "RBR", "RBS")


@lru_cache(maxsize=50_000)
def analyses(word: str) -> tuple[tuple[str, str], ...]:
    """(lemma, tag) readings of a lower-case word form; base forms get tag '' ."""
    from lemminflect import getAllInflections, getAllLemmas

    out: list[tuple[str, str]] = []
    lemmas = getAllLemmas(word)
    for upos, lems in lemmas.items():
        for lem in lems:
            if lem == word:
                if (lem, "") not in out:
                    out.append((lem, ""))
                continue
            for tag, forms in getAllInflections(lem, upos=upos).items():
                if tag in _TAGS and word in forms and (lem, tag) not in out:
                    out.append((lem, tag))
    if not out:
        out.append((word, ""))
    return tuple(out)


@lru_cache(maxsize=50_000)
def lemmas(word: str) -> tuple[str, ...]:
    seen: list[str] = []
    for lem, _ in analyses(word):
        if lem not in seen:
            seen.append(lem)
    return tuple(seen)


@lru_cache(maxsize=50_000)
def is_base_for(word: str, upos: str) -> bool:
    """Whether `word` is a base form (lemma) of part of speech `upos`: "taking" is a noun's base form but not a
    verb's, so it must not get a verb's ending ("takinged")."""
    from lemminflect import getAllLemmas

    return word in getAllLemmas(word).get(upos, ())


@lru_cache(maxsize=100_000)
def inflect(lemma: str, tag: str) -> str:
    """`lemma` in the form `tag` ('' = unchanged). Phrases inflect their first word ("bring up" → "brought up")
    when it is a verb tag, else their last word ("interest rate" → "interest rates")."""
    if not tag:
        return lemma
    from lemminflect import getInflection

    parts = lemma.split(" ")
    idx = 0 if tag.startswith("VB") and len(parts) > 1 else len(parts) - 1
    forms = getInflection(parts[idx], tag=tag)
    if not forms:
        return lemma
    parts[idx] = forms[0]
    return " ".join(parts)


zipf = frequency_zipf  # wordfreq's Zipf frequency (knowledge.frequency: exact, memoised, without wordfreq's list)


_TAG_UPOS = {"NNS": "NOUN", "VBD": "VERB", "VBN": "VERB", "VBG": "VERB", "VBZ": "VERB", "JJR": "ADJ",
             "JJS": "ADJ", "RBR": "ADV", "RBS": "ADV"}


def tag_upos(tag: str) -> str:
    return _TAG_UPOS.get(tag, "")


@lru_cache(maxsize=50_000)
def upos_of(word: str) -> frozenset[str]:
    """Parts of speech a lower-case word can have (from lemminflect's lexicon; empty when unknown)."""
    from lemminflect import getAllLemmas

    return frozenset(getAllLemmas(word).keys())


def can_inflect(term: str, tag: str) -> bool:
    """True when `term` (a word or phrase) takes the form `tag` cleanly: its head (first word for verbs,
    else last) is a base form of that part of speech. Comparatives of phrases ("big shottest") and
    re-inflected forms ("constituteded") are refused."""
    if not tag:
        return True
    parts = term.split(" ")
    head = parts[0 if tag.startswith("VB") and len(parts) > 1 else -1]
    if len(parts) > 1 and tag in ("JJR", "JJS", "RBR", "RBS"):
        return False
    return tag_upos(tag) in upos_of(head) and head in lemmas(head)
