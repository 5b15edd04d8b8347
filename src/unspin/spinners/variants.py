"""Documents of a pile that are spun variants of one text: the same article run through a tool several times
and posted on several sites, a common way content farms multiply one story.

Such a pile misleads counting: every word of the story is over-represented against clean English, so the story's
own words ("officers", "governor") look like a tool's output. Aligned with each other, the variants show the tool's
substitutions exactly instead: at a place where one copy reads *o* and another *s*, one of them is the tool's
replacement of the other. Which one: where only one of the two thesaurus entries lists the other (a hypernym, a
one-way link), the tool went that way; else the rarer in clean English (tools prefer rare synonyms; counting copies
misleads with few of them: three copies at rate 0.4 show the replacement in most of them a third of the time), and
between readings about as common, the one fewer copies show. A word seen as such an original, or a word shown by
every copy of a group of three or more at the same place and never in a substitution, is the story's word, not the
tool's output (as a replacement at rate r it would, in some copy, give way to its original: all n copies keep it
with chance rⁿ, 0.2 % for five copies at rate 0.3). Rare words of the story matter most: over-represented in every
copy, they looked like the tool's output.

Variants are found by word-set overlap (MinHash LSH, then the exact Jaccard index) and aligned with
`unspin.trace.align` (difflib anchors, thesaurus-linked phrases in the gaps); only thesaurus-linked
differences are read as substitutions (two versions of one story also differ by an editor's changes, which
seldom are synonyms), and a copy whose alignment matches under 70 % of the words is no variant.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .pile import is_content

MIN_JACCARD = 0.5  # word sets of two variants of one text (a tool at rate 0.3–0.4 keeps ~80 % of the words)
NUM_PERM = 64
MIN_CONTRADICT_GROUP = 3  # variants a group needs before agreement of all of them contradicts a unit
MAX_UNIT = 3  # words in a unit (as the pile counts them)
MIN_ALIGNED = 0.7  # share of both texts' words an alignment must match for a variant (rate 0.4 keeps ~0.8)
ZIPF_MARGIN = 1.0  # readings this far apart in Zipf frequency: the rarer is the tool's (tools prefer rare synonyms;
# chosen on dev tools 301–306: pooled pair precision 0.886 at 0.25, 0.894 at 0.5, 0.900 at 1.0, 0.902 at 1.5)


@dataclass
class VariantEvidence:
    pairs: Counter = field(default_factory=Counter)  # (spun, original) → places aligned
    groups: list[list[int]] = field(default_factory=list)  # documents that are variants of one text
    # units that are no tool output: the original side of a pair, or shown by every variant of a group of ≥ 3
    # and never seen in a substitution; never the spun side of a pair
    not_spun: set[str] = field(default_factory=set)
    copies: dict = field(default_factory=dict)  # (spun, original) → copies in the largest group that showed it

    def confidence(self, pair: tuple[str, str]) -> float:
        """How often such a pair is right (PAIR_PRECISION), by the copies of the largest group that showed it
        and the places it was aligned at."""
        n = self.copies.get(pair, 2)
        row = next(r for c, r in PAIR_PRECISION if n >= c)
        return row[1] if self.pairs.get(pair, 0) >= 2 else row[0]

    @property
    def documents(self) -> int:
        return sum(len(g) for g in self.groups)


# Precision of a pair read off aligned copies, by the copies of one story in its group and the places aligned
# (1, 2 or more): dev tools 301–312, ten stories each spun 2, 3, 4, 5 or 8 times at rate 0.3 (2026-12-01).
# With two copies the direction of a substitution is a guess between two readings; more copies settle it.
PAIR_PRECISION = ((8, (0.90, 0.947)), (5, (0.892, 0.936)), (4, (0.875, 0.922)), (3, (0.86, 0.911)),
                  (2, (0.805, 0.865)))


def _words(text: str) -> set[str]:
    from ..text import tokenize

    return {t.lower for t in tokenize(text) if t.kind == "word"}


def groups_of(texts: list[str], min_jaccard: float = MIN_JACCARD) -> list[list[int]]:
    """Groups (of two or more) of texts whose word sets overlap by at least `min_jaccard`, joined transitively;
    candidates from MinHash LSH, each pair confirmed by the exact Jaccard index."""
    from datasketch import MinHash, MinHashLSH

    sets = [_words(t) for t in texts]
    lsh = MinHashLSH(threshold=min_jaccard, num_perm=NUM_PERM)
    hashes = []
    for n, s in enumerate(sets):
        m = MinHash(num_perm=NUM_PERM, seed=1)
        m.update_batch([w.encode("utf-8", "surrogatepass") for w in s])
        hashes.append(m)
        if s:
            lsh.insert(n, m)
    parent = list(range(len(texts)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for n, s in enumerate(sets):
        if not s:
            continue
        for k in lsh.query(hashes[n]):
            if k <= n:
                continue
            if len(s & sets[k]) / len(s | sets[k]) >= min_jaccard:
                parent[find(k)] = find(n)
    members: dict[int, list[int]] = defaultdict(list)
    for n in range(len(texts)):
        members[find(n)].append(n)
    return sorted((g for g in members.values() if len(g) > 1), key=lambda g: g[0])


def _phrase(tokens, lo: int, hi: int) -> str | None:
    """The lower-case words of tokens[lo:hi] as one unit, or None unless they are 1–MAX_UNIT words only."""
    part = tokens[lo:hi]
    if not 1 <= len(part) <= MAX_UNIT or any(t.kind != "word" for t in part):
        return None
    return " ".join(t.lower for t in part)


def _commonness(unit: str) -> float:
    """Zipf-like frequency of a word or phrase in clean English (for a phrase, the language model's rate of the
    whole phrase: "up and do" is rare though each of its words is common)."""
    from .pile import clean_lograte

    return clean_lograte(unit) / math.log(10) + 9.0


def _lists(links, original: str, unit: str) -> bool:
    """Does `original`'s thesaurus entry list `unit` (the direction a tool drawing from it replaces)?"""
    fx = links.facts(unit).get(original)
    return bool(fx is not None and fx.reverse)


def _direction(x: str, y: str, copies: Counter, links) -> tuple[str, str]:
    """(spun, original) for two readings of one place."""
    xy, yx = _lists(links, x, y), _lists(links, y, x)
    if xy != yx:  # only one entry lists the other (a hypernym, a one-way link): the tool went that way
        return (y, x) if xy else (x, y)
    zx, zy = _commonness(x), _commonness(y)
    if abs(zx - zy) >= ZIPF_MARGIN:
        return (y, x) if zx > zy else (x, y)
    return (y, x) if copies[x] >= copies[y] else (x, y)  # about as common: the reading more copies show


def variant_evidence(texts: list[str], linker=None, min_jaccard: float = MIN_JACCARD,
                     links=None) -> VariantEvidence:
    """Exact (spun, original) pairs read off groups of variants, and the units contradicted by them.
    `links`: the learner's `Links` (thesaurus directions; default every installed thesaurus)."""
    from ..text import tokenize
    from ..trace.align import Linker, align

    out = VariantEvidence()
    candidates = groups_of(texts, min_jaccard)
    if not candidates:
        return out
    if linker is None:
        from ..knowledge import lexicon

        linker = Linker(lexicon.load().th)
    places: Counter = Counter()  # frozenset({x, y}): places where copies read x or y
    largest: Counter = Counter()  # frozenset({x, y}): copies in the largest group that read x or y somewhere
    copies: Counter = Counter()  # unit → copies reading it at such places
    replacing: set[str] = set()  # units seen on either side of a substitution
    stable_seen: Counter = Counter()
    for candidate in candidates:
        tokens = {n: tokenize(texts[n]) for n in candidate}  # each document tokenised once
        # a copy posted twice is one variant: its agreement with itself is no evidence
        seen, distinct = set(), []
        for n in candidate:
            key = tuple(t.lower for t in tokens[n] if t.kind == "word")
            if key not in seen:
                seen.add(key)
                distinct.append(n)
        candidate = distinct
        pivot = tokens[candidate[0]]
        group = [candidate[0]]
        readings: dict[tuple[int, int], Counter] = defaultdict(Counter)
        agree = [1] * len(pivot)  # per pivot token: variants reading it unchanged (the pivot itself included)
        for n in candidate[1:]:
            al = align(texts[n], texts[group[0]], linker, spun_tokens=tokens[n], source_tokens=pivot)
            if al.score < MIN_ALIGNED:
                continue  # shared words in another order (or another text): not a variant
            group.append(n)
            for op in al.ops:
                if op.kind == "equal":
                    for j in range(op.j1, op.j2):
                        agree[j] += 1
                elif op.kind == "linked":  # thesaurus-linked: an editor's change between versions seldom is
                    a, b = _phrase(al.a, op.i1, op.i2), _phrase(pivot, op.j1, op.j2)
                    if a and b and a != b:
                        readings[(op.j1, op.j2)][a] += 1
                elif op.kind == "changed":
                    replacing.update(x for x in (_phrase(al.a, op.i1, op.i2), _phrase(pivot, op.j1, op.j2)) if x)
        if len(group) < 2:
            continue
        out.groups.append(group)
        for (j1, j2), alt in readings.items():
            here = _phrase(pivot, j1, j2)
            if not is_content(here.rsplit(" ", 1)[-1]):
                continue
            # the pivot's reading counts for every variant that kept these words
            alt[here] += min(agree[j1:j2])
            replacing.update(alt)
            if len(alt) != 2:
                continue  # more than two readings: not one fixed substitution
            places[frozenset(alt)] += 1
            largest[frozenset(alt)] = max(largest[frozenset(alt)], len(group))
            copies.update(alt)
        if len(group) >= MIN_CONTRADICT_GROUP:
            words = [t.lower if t.kind == "word" else None for t in pivot]
            for i in range(len(pivot)):
                for k in range(1, MAX_UNIT + 1):
                    span = words[i : i + k]
                    if len(span) < k or None in span or min(agree[i : i + k]) < len(group):
                        break
                    stable_seen[" ".join(span)] += 1
    if places and links is None:
        from .learn import Links

        links = Links(neighbours=False)
    for pair, c in places.items():
        sp = _direction(*sorted(pair), copies, links)
        out.pairs[sp] = c
        out.copies[sp] = largest[pair]
    spun = {s for s, _ in out.pairs}
    originals = {o for _, o in out.pairs}
    stable = {u for u in stable_seen if u not in replacing}
    out.not_spun = (stable | originals) - spun
    return out
