"""Token alignment of a spun paragraph with its source, and the substitutions read off it.

Two stages: difflib's SequenceMatcher anchors the identical runs (the words the spinner left alone); each
gap between anchors is then aligned by a small dynamic programme in which a spun word or phrase (up to
MAX_PHRASE words) pairs cheaply with a source word or phrase when the thesaurus links them (directly or
through their lemmas, so "rapidly" ↔ "quickly" and "purchased" ↔ "bought" pair up). Gaps wider than
MAX_GAP tokens are different content, not a substitution, and are never turned into restorations.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache

from ..text import Token, tokenize

MAX_PHRASE = 3
MAX_GAP = 8  # a gap wider than this (either side) is not a synonym substitution
LINK_COST = 0.25
SUB_COST = 1.0
GAP_COST = 0.75


@dataclass(frozen=True, slots=True)
class Op:
    """One aligned piece: spun tokens a[i1:i2] against source tokens b[j1:j2].

    kind: "equal" (same words), "linked" (thesaurus-linked substitution), "changed" (other small
    substitution, insertion or deletion), "different" (a wide gap: different content)."""

    kind: str
    i1: int
    i2: int
    j1: int
    j2: int


@dataclass(slots=True)
class Alignment:
    a: list[Token]  # spun tokens (offsets into the spun text)
    b: list[Token]  # source tokens (offsets into the source text)
    ops: list[Op] = field(default_factory=list)

    @property
    def score(self) -> float:
        """Share of the words of both sides that are matched (equal or thesaurus-linked), in [0, 1]."""
        na = sum(1 for t in self.a if t.kind != "punct")
        nb = sum(1 for t in self.b if t.kind != "punct")
        if na + nb == 0:
            return 0.0
        matched = 0
        for op in self.ops:
            if op.kind in ("equal", "linked"):
                matched += sum(1 for t in self.a[op.i1 : op.i2] if t.kind != "punct")
                matched += sum(1 for t in self.b[op.j1 : op.j2] if t.kind != "punct")
        return matched / (na + nb)

    @property
    def query_score(self) -> float:
        """Share of the spun side's words that are matched (for windows with extra source context)."""
        na = sum(1 for t in self.a if t.kind != "punct")
        if na == 0:
            return 0.0
        matched = sum(1 for op in self.ops if op.kind in ("equal", "linked")
                      for t in self.a[op.i1 : op.i2] if t.kind != "punct")
        return matched / na

    def substitutions(self) -> list[Op]:
        """The small differences (linked or changed) — what a spinner did to this paragraph."""
        return [op for op in self.ops if op.kind in ("linked", "changed")]


class Linker:
    """Thesaurus links between words or phrases, memoised (directly or via lemmas)."""

    def __init__(self, thesaurus):
        self.th = thesaurus
        self.linked = lru_cache(maxsize=500_000)(self._linked)

    def _linked(self, a: str, b: str) -> bool:
        if a == b:
            return True
        th = self.th
        if th.linked(a, b):
            return True
        from ..knowledge.morph import lemmas

        la = lemmas(a) if " " not in a else (a,)
        lb = lemmas(b) if " " not in b else (b,)
        for x in la:
            for y in lb:
                if (x, y) != (a, b) and (x == y or th.linked(x, y)):
                    return True
        return False


def _key(tok: Token) -> str:
    return tok.lower


def align(spun: str, source: str, linker: Linker, spun_offset: int = 0, source_offset: int = 0,
          spun_tokens: list[Token] | None = None, source_tokens: list[Token] | None = None) -> Alignment:
    """Align `spun` against `source`. Token offsets are shifted by the given offsets (paragraph starts)."""
    a = spun_tokens if spun_tokens is not None else tokenize(spun, spun_offset)
    b = source_tokens if source_tokens is not None else tokenize(source, source_offset)
    ka = [_key(t) for t in a]
    kb = [_key(t) for t in b]
    return Alignment(a, b, _merge(_ops(ka, kb, 0, len(kb), linker)))


def _ops(ka, kb, jlo: int, jhi: int, linker: Linker, ilo: int = 0, ihi: int | None = None) -> list[Op]:
    """Opcodes of ka[ilo:ihi] against kb[jlo:jhi] (offsets into ka and kb), gaps refined by `_align_gap`."""
    ihi = len(ka) if ihi is None else ihi
    sm = SequenceMatcher(None, ka[ilo:ihi], kb[jlo:jhi], autojunk=False)
    ops: list[Op] = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        i1 += ilo
        i2 += ilo
        j1 += jlo
        j2 += jlo
        if tag == "equal":
            ops.append(Op("equal", i1, i2, j1, j2))
        elif i2 - i1 > MAX_GAP or j2 - j1 > MAX_GAP:
            ops.append(Op("different", i1, i2, j1, j2))
        else:
            ops.extend(_align_gap(ka, kb, i1, i2, j1, j2, linker))
    return ops


def trim_context(al: Alignment, linker: Linker) -> Alignment:
    """For an alignment against a window (source paragraph plus neighbours): realign within the stretch the
    spun words come from, then drop the source-only context and any untrusted pairing at both ends."""
    ka = [_key(t) for t in al.a]
    kb = [_key(t) for t in al.b]
    ops = list(al.ops)
    # the stretch of the window that the spun words come from, placed by the longest identical run (short
    # runs such as ". The council of" recur in formulaic text); spinning changes lengths, hence the slack
    longest = max((o for o in ops if o.kind == "equal"), key=lambda o: o.i2 - o.i1, default=None)
    if longest is not None:
        slack = MAX_GAP + len(ka) // 3
        jlo = max(0, longest.j1 - longest.i1 - slack)
        jhi = min(len(kb), longest.j2 + (len(ka) - longest.i2) + slack)
        ops = _ops(ka, kb, jlo, jhi, linker)
    # the words before the first (after the last) solid run come from right before (after) it: realign them
    # against that stretch only, or a repeated name or phrase earlier in the window would capture them
    solid = [o for o in ops if o.kind == "equal" and o.i2 - o.i1 >= 4]
    if solid:
        first, last = solid[0], solid[-1]
        middle = ops[ops.index(first) : ops.index(last) + 1]
        head: list[Op] = []
        if first.i1 > 0:
            n = first.i1
            head = _ops(ka, kb, max(0, first.j1 - n - n // 2 - MAX_PHRASE), first.j1, linker, 0, n)
        tail: list[Op] = []
        if last.i2 < len(ka):
            n = len(ka) - last.i2
            tail = _ops(ka, kb, last.j2, min(len(kb), last.j2 + n + n // 2 + MAX_PHRASE), linker, last.i2, len(ka))
        ops = head + middle + tail
    # a first (last) spun word in a wide block against the window's context: pair it with the source words
    # right before (after) the next identical run instead
    if ops and ops[0].kind == "different" and ops[0].i2 - ops[0].i1 <= MAX_PHRASE:
        o = ops.pop(0)
        ops[:0] = _align_gap(ka, kb, o.i1, o.i2, max(o.j1, o.j2 - (o.i2 - o.i1) - MAX_PHRASE), o.j2, linker)
    if ops and ops[-1].kind == "different" and ops[-1].i2 - ops[-1].i1 <= MAX_PHRASE:
        o = ops.pop()
        ops.extend(_align_gap(ka, kb, o.i1, o.i2, o.j1, min(o.j2, o.j1 + (o.i2 - o.i1) + MAX_PHRASE), linker))
    # at both ends, one-sided pieces are the window's context and wide differences are not swaps
    def edge(o: Op) -> bool:
        return o.i1 == o.i2 or o.j1 == o.j2 or o.kind == "different" or (
            o.kind == "changed" and max(o.i2 - o.i1, o.j2 - o.j1) > MAX_PHRASE)

    while ops and edge(ops[0]):
        ops.pop(0)
    while ops and edge(ops[-1]):
        ops.pop()
    return Alignment(al.a, al.b, _merge(ops))


def _align_gap(ka, kb, i1, i2, j1, j2, linker: Linker) -> list[Op]:
    """Minimum-cost alignment of a small gap: pairs of phrases (linked or substituted) and one-sided runs."""
    m, n = i2 - i1, j2 - j1
    INF = float("inf")
    cost = [[INF] * (n + 1) for _ in range(m + 1)]
    back: list[list[tuple | None]] = [[None] * (n + 1) for _ in range(m + 1)]
    cost[0][0] = 0.0
    for x in range(m + 1):
        for y in range(n + 1):
            c = cost[x][y]
            if c == INF:
                continue
            # one-sided: spun word with no source counterpart, or a dropped source word
            if x < m and c + GAP_COST < cost[x + 1][y]:
                cost[x + 1][y] = c + GAP_COST
                back[x + 1][y] = (x, y, "changed")
            if y < n and c + GAP_COST < cost[x][y + 1]:
                cost[x][y + 1] = c + GAP_COST
                back[x][y + 1] = (x, y, "changed")
            for p in range(1, min(MAX_PHRASE, m - x) + 1):
                pa = " ".join(ka[i1 + x : i1 + x + p])
                for q in range(1, min(MAX_PHRASE, n - y) + 1):
                    pb = " ".join(kb[j1 + y : j1 + y + q])
                    if linker.linked(pa, pb):
                        step, kind = LINK_COST, "linked"
                    elif p == 1 and q == 1:
                        step, kind = SUB_COST, "changed"
                    else:
                        continue
                    if c + step < cost[x + p][y + q]:
                        cost[x + p][y + q] = c + step
                        back[x + p][y + q] = (x, y, kind)
    out: list[Op] = []
    x, y = m, n
    while (x, y) != (0, 0):
        px, py, kind = back[x][y]
        out.append(Op(kind, i1 + px, i1 + x, j1 + py, j1 + y))
        x, y = px, py
    out.reverse()
    return out


def _merge(ops: list[Op]) -> list[Op]:
    """Join neighbouring 'changed' pieces (and one-sided pieces) into single substitutions."""
    out: list[Op] = []
    for op in ops:
        if out and op.kind == "changed" and out[-1].kind == "changed":
            prev = out[-1]
            out[-1] = Op("changed", prev.i1, op.i2, prev.j1, op.j2)
        elif out and op.kind == out[-1].kind == "equal":
            prev = out[-1]
            out[-1] = Op("equal", prev.i1, op.i2, prev.j1, op.j2)
        else:
            out.append(op)
    return out
