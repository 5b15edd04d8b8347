"""Matching listed fingerprints: one Aho-Corasick pass (pyahocorasick) over a normalised copy of the text.

The text is lower-cased and hyphens/dashes/line breaks become spaces *without changing its length*, so the
automaton's offsets are code-point offsets into the original text. Keys are the normalised tortured phrases
plus their inflected variants (computed once at import with lemminflect and stored in the database):
the last word in every noun/verb form ("neural organization" → "neural organizations"), inner words in their
-ed/-ing/-s forms when they are verb forms, and hyphenated words also written solid. Word boundaries are
checked at both ends of each hit. Context conditions (AND / NOT) are checked against the whole text, lazily,
only for fingerprints that hit. Sloppy fingerprints (``"a b"~N``) are keyed on their rarest word and verified
in a window of words around it.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache

from ..text import restore_case
from ..types import Finding, SOURCE_LIST, list_rule_id
from .parse import Entry, Term, normalise

CONFIDENCE = 0.97  # a listed fingerprint with a known expected phrase
CONFIDENCE_RARE = 0.93  # listed, but PPS saw it in fewer than RARE_PAPERS papers
CONFIDENCE_UNCERTAIN = 0.85  # the expected phrase is marked "(?)"
CONFIDENCE_SLOPPY = 0.8  # "a b"~N matched with other words in between
RARE_PAPERS = 5
MAX_VARIANTS = 24

# same-length normalisation of the text: dashes, line breaks, curly apostrophes (str.replace runs in C;
# a str.translate table would be 10x slower)
_REPLACE = (("-", " "), ("\u2010", " "), ("\u2011", " "), ("\n", " "), ("\r", " "), ("\t", " "), ("\u00a0", " "),
            ("\u2019", "'"))
_WORD_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def normalise_text(text: str) -> str:
    """Lower-case + same-length replacements; offsets into the result are offsets into `text`."""
    low = text.lower()
    if len(low) != len(text):  # e.g. "İ" lower-cases to two code points: map one by one
        low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    for a, b in _REPLACE:
        if a in low:
            low = low.replace(a, b)
    return low


def _single_spaced(norm: str):
    """`norm` with runs of spaces cut to one (a CRLF, a line break after a space, or two spaces between the words
    of a listed phrase), and the index in `norm` of each character kept; (norm, None) when there is no run."""
    if "  " not in norm:
        return norm, None
    import numpy as np

    cp = np.frombuffer(norm.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    space = cp == 32
    keep = np.flatnonzero(~(space & np.concatenate([[False], space[:-1]])))
    return cp[keep].tobytes().decode("utf-32-le", "surrogatepass"), keep


# ---- variants (computed at import) ---------------------------------------------------------------------


@lru_cache(maxsize=100_000)
def _word_forms(word: str, last: bool) -> tuple[tuple[str, str], ...]:
    """(form, tag) alternatives of one word; tag is "NNS"/"NN" when the form changes the number of a noun
    (used to re-inflect the suggestion), else ""."""
    from lemminflect import getAllInflections, getAllLemmas

    if not word.isalpha():
        return ((word, ""),)
    out: dict[str, str] = {word: ""}
    lemmas = getAllLemmas(word)
    if last:
        for lem in lemmas.get("NOUN", ()):
            infl = getAllInflections(lem, upos="NOUN")
            word_plural = word in infl.get("NNS", ()) and word != lem
            for tag, forms in infl.items():
                for f in forms:
                    if f not in out:
                        if tag == "NNS" and not word_plural:
                            out[f] = "NNS"
                        elif tag == "NN" and word_plural:
                            out[f] = "NN"
                        else:
                            out[f] = ""
    for lem in lemmas.get("VERB", ()):
        if lem == word:
            continue  # a base form ("gain"): "data gained" is ordinary English, do not expand
        for tag, forms in getAllInflections(lem, upos="VERB").items():
            if tag in ("VBD", "VBN", "VBG", "VBZ"):
                for f in forms:
                    out.setdefault(f, "")
    return tuple(out.items())


def entry_keys(entry: Entry) -> list[tuple[str, str]]:
    """Automaton keys for one entry: (normalised key, tag). Tag "" = as listed; "=<suggestion>" = a variant
    that changes the number of the last noun, with the suggestion re-inflected to match; "~" = the anchor
    word of a sloppy entry (keyed on its rarest spun word)."""
    base = normalise(entry.tortured)
    words = base.split(" ")
    if entry.proximity is not None:
        from ..knowledge.morph import zipf

        # key on the spun word (one absent from the expected phrase), the rarest if several
        expected = set(normalise(entry.suggestion).split(" "))
        pool = [w for w in words if _WORD_RE.fullmatch(w) and w not in expected] or \
            [w for w in words if _WORD_RE.fullmatch(w)] or words
        anchor = min(pool, key=lambda w: (zipf(w), -len(w)))
        return [(f, "~") for f, _ in _word_forms(anchor, True)]
    keys: dict[str, str] = {base: ""}
    for i, w in enumerate(words):
        for form, tag in _word_forms(w, i == len(words) - 1):
            if form != w and len(keys) < MAX_VARIANTS:
                key = " ".join(words[:i] + [form] + words[i + 1 :])
                if key not in keys:
                    keys[key] = "=" + _renumber(entry.suggestion, tag) if tag in ("NNS", "NN") else ""
    if " " in base and "-" in entry.tortured:  # "bit-coin" is also written "bitcoin"
        solid = re.sub(r"(?<=\w)-(?=\w)", "", entry.tortured.lower())
        keys.setdefault(normalise(solid), "")
    return list(keys.items())


def _renumber(suggestion: str, tag: str) -> str:
    """The suggestion with its last word made plural (NNS) or singular (NN), like the matched variant."""
    from ..knowledge.morph import inflect, lemmas

    parts = suggestion.split(" ")
    last = parts[-1]
    if not last.islower() or not last.isalpha() or (tag == "NNS" and last.endswith("ing")):
        return suggestion  # acronyms, "k-means"; "learning" has no useful plural
    if tag == "NNS":
        # an expected phrase may already end in a plural ("wireless sensor networks" for a singular listed
        # phrase) or in a verb's -s form ("comes"): made plural again it would be "networkses", "comites"
        parts[-1] = last if _an_s_form(last) else inflect(last, "NNS")
    else:
        lem = lemmas(last)
        parts[-1] = lem[0] if lem else last
    return " ".join(parts)


def _an_s_form(word: str) -> bool:
    """Whether `word` is already a plural noun or a third-person verb form of another lemma ("networks", "comes")."""
    from ..knowledge.morph import analyses

    return any(tag in ("NNS", "VBZ") for _, tag in analyses(word))


# ---- the set -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Listed:
    """An entry of a named list, with its automaton keys."""

    list: str
    entry: Entry
    keys: tuple[tuple[str, str], ...]

    @property
    def detail(self) -> str:
        """The entry as findings name it: `<list>:<tortured phrase>`."""
        return f"{self.list}:{self.entry.tortured.lower()}"

    @property
    def rule_id(self) -> str:
        return list_rule_id(self.list)


@lru_cache(maxsize=20_000)
def _term_regex(term: Term) -> re.Pattern:
    # starts with a literal so that re can skip ahead fast; the left word boundary is checked by the caller
    words = [re.escape(w) for w in term.phrase.split(" ") if w]
    body = r"\s+".join(words)
    tail = r"\w*" if term.prefix else r"(?:s|es)?"
    return re.compile(body + tail + r"(?![^\W_])")


def _search_word_bounded(pattern: re.Pattern, norm: str) -> bool:
    for m in pattern.finditer(norm):
        if m.start() == 0 or not norm[m.start() - 1].isalnum():
            return True
    return False


class _Doc:
    """Lazily computed views of one normalised text (term presence, local word windows)."""

    WORD_CHARS = 24  # generous characters per word when cutting a local window around a hit

    def __init__(self, norm: str):
        self.norm = norm
        self._present: dict[Term, bool] = {}

    def has(self, term: Term) -> bool:
        v = self._present.get(term)
        if v is None:
            if term.proximity is not None:
                v = self._near_anywhere(term)
            else:
                first = term.phrase.split(" ", 1)[0]
                # plain substring search (fast) rules most absent terms out before the regex
                v = first in self.norm and _search_word_bounded(_term_regex(term), self.norm)
            self._present[term] = v
        return v

    def _near_anywhere(self, term: Term) -> bool:
        words = term.phrase.split(" ")
        pat = _term_regex(Term(words[0]))
        for m in pat.finditer(self.norm):
            if (m.start() == 0 or not self.norm[m.start() - 1].isalnum()) and \
                    self.near(m.start(), m.end(), words, term.proximity or 0) is not None:
                return True
        return False

    def near(self, start: int, end: int, words: list[str], slop: int) -> tuple[int, int, bool] | None:
        """Are all `words` within slop+len(words) word positions of the word at [start, end)?
        -> (start, end, contiguous) of the words found, else None."""
        span = slop + len(words)
        lo = max(0, start - span * self.WORD_CHARS)
        hi = min(len(self.norm), end + span * self.WORD_CHARS)
        # (a compiled pattern's finditer(s, pos, endpos) gives offsets into the whole of `s`, not from `pos`)
        ws = [(m.start(), m.end(), m.group()) for m in _WORD_RE.finditer(self.norm, lo, hi)]
        i = next((k for k, w in enumerate(ws) if w[0] <= start < w[1] or w[0] >= start), None)
        if i is None:
            return None
        a, b = max(0, i - span), min(len(ws), i + span + 1)
        found = []
        for target in words:
            best = None
            for j in range(a, b):
                if j not in found and _same(ws[j][2], target) and (best is None or abs(j - i) < abs(best - i)):
                    best = j
            if best is None:
                return None
            found.append(best)
        # next to each other and in the listed order: "network leftover" is not the phrase "leftover network"
        contiguous = found == list(range(found[0], found[0] + len(found)))
        return ws[min(found)][0], ws[max(found)][1], contiguous


_SUFFIX_RE = re.compile(r"(?:ies|es|s|ed|ing|'s)$")


def _stem(w: str) -> str:
    return _SUFFIX_RE.sub("", w) if len(w) > 4 else w


def _same(text_word: str, listed_word: str) -> bool:
    """Same word up to a regular inflection (cheap: this runs while matching)."""
    return text_word == listed_word or _stem(text_word) == _stem(listed_word)


def _suggestion(entry: Entry, tag: str, matched: str) -> str:
    s = tag[1:] if tag.startswith("=") else entry.suggestion  # "=..." : re-inflected at import time
    # the case restore writes: a capital or all-caps follow the text ("PROFOUND LEARNING" → "DEEP LEARNING", what
    # the edit inserts); acronyms of a lower-case text stay as listed ("passage effect" → "Hall effect")
    if matched.isupper() and any(c.isalpha() for c in matched):
        return restore_case(matched, s)
    if matched[:1].isupper() and s[:1].islower():
        s = restore_case(matched, s)
    return s


def _longest_first(cands: list[tuple[int, int, Finding]]) -> list[Finding]:
    """Non-overlapping subset, longer spans first (then earlier), sorted by start."""
    cands.sort(key=lambda c: (-(c[1] - c[0]), c[0]))
    starts: list[int] = []  # sorted starts of taken spans
    ends: dict[int, int] = {}
    out = []
    for s, e, f in cands:
        k = bisect.bisect_right(starts, s)
        if k > 0 and ends[starts[k - 1]] > s:  # the taken span starting before s reaches into it
            continue
        if k < len(starts) and starts[k] < e:  # a taken span starts inside [s, e)
            continue
        if s in ends:
            continue
        starts.insert(k, s)
        ends[s] = e
        out.append(f)
    out.sort(key=lambda f: f.start)
    return out


def drop_exploded_context_terms(listed: list[Listed]) -> tuple[list[Listed], list[Listed]]:
    """Copies of the PPS list that lost the query syntax list context terms as fingerprints of their own
    ("search engine" → machine learning comes from `"engine literacy" NOT "search engine"`). When another
    loaded entry with the same expected phrase uses the phrase as an AND/NOT term, such an unconditional entry
    is dropped; so is an unconditional copy of a conditional entry ("surface region" without its
    `AND "surface area"`). Returns (kept, dropped)."""
    terms: set[tuple[str, str]] = set()
    for x in listed:
        e = x.entry
        if e.require or e.exclude or e.proximity is not None:
            exp = normalise(e.suggestion)
            # the conditional entry itself: an unconditional copy of it has lost its conditions
            terms.add((normalise(e.tortured), exp))
            for t in [t for clause in e.require for t in clause] + list(e.exclude):
                terms.add((t.phrase, exp))
    if not terms:
        return listed, []
    phrases = {t for t, _ in terms}
    kept, dropped = [], []
    for x in listed:
        e = x.entry
        plain = not (e.require or e.exclude or e.proximity is not None)
        if plain and (t := normalise(e.tortured)) in phrases and (t, normalise(e.suggestion)) in terms:
            dropped.append(x)
        else:
            kept.append(x)
    return kept, dropped


class FingerprintSet:
    """Listed fingerprints compiled into one automaton. Build with `load()` or `from_entries`."""

    def __init__(self, listed: list[Listed], source: str = ""):
        listed, self.dropped = drop_exploded_context_terms(listed)
        # higher prior first: when one key belongs to several entries, the best-supported one wins
        self.listed = sorted(listed, key=lambda x: -(x.entry.num_papers or 0))
        self.source = source
        self._automaton = None
        self._variants = None
        self.find_variants = True  # `find` also reports variants of the listed phrases (suspects)

    @classmethod
    def from_entries(cls, entries, name: str = "custom") -> "FingerprintSet":
        """From `Entry` objects or (tortured, expected) pairs (keys computed here)."""
        out = []
        for i, e in enumerate(entries, 1):
            if not isinstance(e, Entry):
                e = Entry(str(e[0]), str(e[1]), line=i)
            out.append(Listed(name, e, tuple(entry_keys(e))))
        return cls(out, source=f"<{name}>")

    def __len__(self) -> int:
        return len(self.listed)

    def __bool__(self) -> bool:
        return bool(self.listed)

    @property
    def names(self) -> list[str]:
        return sorted({x.list for x in self.listed})

    @property
    def automaton(self):
        if self._automaton is None:
            import ahocorasick

            by_key: dict[str, list[tuple[int, str]]] = {}
            for idx, item in enumerate(self.listed):
                for key, tag in item.keys:
                    if key:
                        by_key.setdefault(key, []).append((idx, tag))
            a = ahocorasick.Automaton()
            for key, vals in by_key.items():
                a.add_word(key, (len(key), tuple(vals)))
            a.make_automaton()
            self._automaton = a
        return self._automaton

    @property
    def variants(self):
        """Variants of the listed phrases (variants.py), built on first use from the certain entries."""
        if self._variants is None:
            from .variants import ListedVariants

            self._variants = ListedVariants((x.list, x.entry.tortured, x.entry.expected) for x in self.listed
                                            if not x.entry.uncertain)
        return self._variants

    def find(self, text: str) -> list[Finding]:
        """The FindingSource protocol (unspin.types): the listed fingerprints in `text`, and (at `suspect`
        level) variants of them where no listed phrase was found."""
        listed = self.match(text)
        if not self.find_variants:
            return listed
        extra = [v for v in self.variants.find(text) if not any(v.start < f.end and f.start < v.end for f in listed)]
        return sorted(listed + extra, key=lambda f: (f.start, f.end)) if extra else listed

    def match(self, text: str) -> list[Finding]:
        """Listed fingerprints in `text`: non-overlapping findings (longest first), sorted by start."""
        if not self.listed or not text:
            return []
        norm = normalise_text(text)
        doc = _Doc(norm)
        scan, where = _single_spaced(norm)
        n = len(scan)
        cands: list[tuple[int, int, Finding]] = []
        for end, (klen, vals) in self.automaton.iter(scan):
            start = end - klen + 1
            end += 1
            if (start > 0 and scan[start - 1].isalnum()) or (end < n and scan[end].isalnum()):
                continue
            if where is not None:  # back to offsets into `text`
                start, end = int(where[start]), int(where[end - 1]) + 1
            f = self._resolve(text, doc, start, end, vals)
            if f is not None:
                cands.append((f.start, f.end, f))
        if not cands:
            return []
        return _longest_first(cands)

    def _resolve(self, text: str, doc: _Doc, start: int, end: int, vals) -> Finding | None:
        chosen = None
        others: list[str] = []
        for idx, tag in vals:
            item = self.listed[idx]
            e = item.entry
            s, t, sloppy = start, end, False
            if tag == "~":
                words = normalise(e.tortured).split(" ")
                hit = doc.near(start, end, words, e.proximity or 0)
                if hit is None:
                    continue
                if hit[2]:
                    s, t = hit[0], hit[1]
                else:
                    sloppy = True
            if any(not any(doc.has(term) for term in clause) for clause in e.require):
                continue
            if any(doc.has(term) for term in e.exclude):
                continue
            if chosen is None:
                chosen = (item, tag, s, t, sloppy)
            elif item.list != chosen[0].list and item.list not in others:
                others.append(item.list)
        if chosen is None:
            return None
        item, tag, s, t, sloppy = chosen
        e = item.entry
        matched = text[s:t]
        if e.uncertain:
            conf = CONFIDENCE_UNCERTAIN
        elif sloppy:
            conf = CONFIDENCE_SLOPPY
        elif e.num_papers is not None and e.num_papers < RARE_PAPERS:
            conf = CONFIDENCE_RARE
        else:
            conf = CONFIDENCE
        seen = f" (seen in {e.num_papers:,} papers)" if e.num_papers is not None else ""
        evidence = [f"listed in {item.list}{seen}: \"{e.tortured}\" → \"{e.expected}\""]
        if e.require:
            evidence.append("context condition met: " + " AND ".join(
                " OR ".join(str(t_) for t_ in clause) for clause in e.require))
        if e.exclude:
            evidence.append("exclusion absent: " + ", ".join(str(t_) for t_ in e.exclude))
        if e.proximity is not None:
            evidence.append(f"words of \"{e.tortured}\" within {e.proximity} positions")
        if e.uncertain:
            evidence.append("the list marks the expected phrase as uncertain")
        if others:
            evidence.append("also listed in " + ", ".join(others))
        if sloppy:
            # the listed words stand apart ("leftover deep network" for "leftover network"~2): the finding is the
            # word the list keys on, and the expected phrase cannot replace that word alone ("a residual network
            # deep network"), nor the whole window (the words between are the author's): no automatic edit; the
            # evidence says what the list expects
            evidence.append(f"the words stand apart in the text: no replacement offered for \"{matched}\" alone")
            suggestions: tuple[str, ...] = ()
        else:
            suggestions = (_suggestion(e, tag, matched),)
        return Finding(s, t, matched, suggestions, conf, tuple(evidence), source=SOURCE_LIST,
                       rule_id=item.rule_id, detail=item.detail)
