"""Learning a "spinner thesaurus" from lists: word-level alignment of tortured and expected phrases.

"irregular woodland" → "random forest" gives irregular→random and woodland→forest. Words are aligned with
identical words as anchors (difflib), then each differing block is paired position by position when both
sides have the same number of words ("profound neural organization" → "deep neural network": profound→deep,
organization→network). Blocks of unequal length are skipped ("degree of displacement" → "shift" says
nothing word-level). Identical words are never pairs. Each pair is also counted at lemma level when both
words carry the same inflection ("organizations"→"networks" also gives organization→network), so a
generator can re-inflect.

Result: {spun word: {original word: weight}}; weights are relative frequencies per spun word (they sum to 1)
or raw counts with ``normalize=False``.
"""
from __future__ import annotations

import difflib
import re
from collections import defaultdict

from .parse import clean_expected, normalise

_WORD_RE = re.compile(r"^[a-z][a-z']*$")
_PAREN_RE = re.compile(r"\s*\([^()]*\)")


def phrase_words(s: str) -> list[str]:
    return [w for w in normalise(_PAREN_RE.sub("", s)).split(" ") if w]


def align(tortured: str, expected: str) -> list[tuple[str, str]]:
    """Word pairs (spun, original) for one list entry; [] when nothing aligns word-by-word."""
    t = phrase_words(tortured)
    e = phrase_words(clean_expected(expected))
    if not t or not e or t == e:
        return []
    pairs = []
    sm = difflib.SequenceMatcher(a=t, b=e, autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "replace" and i2 - i1 == j2 - j1:
            for a, b in zip(t[i1:i2], e[j1:j2]):
                if a != b and _WORD_RE.match(a) and _WORD_RE.match(b):
                    pairs.append((a, b))
    return pairs


def _lemma_pair(a: str, b: str) -> tuple[str, str] | None:
    from ..knowledge.morph import analyses

    for la, ta in analyses(a):
        if not ta:
            continue
        for lb, tb in analyses(b):
            if tb == ta and la != lb:
                return la, lb
    return None


def align_pairs(pairs, normalize: bool = True, lemmas: bool = True) -> dict[str, dict[str, float]]:
    """{spun: {original: weight}} from an iterable of (tortured, expected) pairs."""
    counts: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for tortured, expected in pairs:
        for a, b in align(tortured, expected):
            counts[a][b] += 1.0
            if lemmas and (lp := _lemma_pair(a, b)):
                counts[lp[0]][lp[1]] += 1.0
    out: dict[str, dict[str, float]] = {}
    for a, d in counts.items():
        total = sum(d.values())
        items = sorted(d.items(), key=lambda kv: (-kv[1], kv[0]))
        out[a] = {b: (c / total if normalize else c) for b, c in items}
    return out


def learned_pairs(db_path=None, names=None, normalize: bool = True) -> dict[str, dict[str, float]]:
    """`align_pairs` over the lists in the fingerprint database (all lists when `names` is None); {} when
    there is no database."""
    from .store import Store, resolve_db

    path = resolve_db(db_path)
    if not path.exists():
        return {}
    with Store(path, create=False) as st:
        rows = st.entries(list(names) if names is not None else None)
    return align_pairs(((e.tortured, e.expected) for _, e, _ in rows), normalize=normalize)
