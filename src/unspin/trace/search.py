"""Tracing a (possibly spun) text to its sources in a trace index, and reading restorations off the match.

1. The text is cut into paragraph-sized pieces like the indexed documents.
2. Each piece's MinHash signature (per feature kind) is looked up in the LSH tables: candidate source
   paragraphs. When a piece has very many candidates, the MinHash Jaccard estimate keeps the best.
3. Each (piece, candidate) pair is aligned token by token (`align.align`, thesaurus-aware) and scored.
4. Sources are ranked by coverage: the share of the text's words lying in pieces that match one of their
   paragraphs with an alignment score ≥ threshold, weighted by that score.
5. Each piece is restored from the source that explains it best (its owner: the highest alignment score; a
   text made from several sources is restored paragraph by paragraph from each): the owners' matches are
   re-aligned with their neighbouring source paragraphs, shown side by side, and every substitution becomes
   a restoration: a `Finding` whose suggestion is the source's exact words and whose detail is the source id.
"""
from __future__ import annotations

import re

import threading
from dataclasses import dataclass, field

from cachetools import LRUCache, cached

from ..stopwords import is_fact_word, is_function_word
from ..text import tokenize
from ..types import RULE_TRACE, SOURCE_TRACE, TRACE_CHANGED_CONFIDENCE, TRACE_LINKED_CONFIDENCE, Finding
from .align import MAX_PHRASE, Alignment, Linker, Op, align, trim_context
from .features import MIN_PARAGRAPH_WORDS, segment, windows
from .store import TraceIndex

DEFAULT_THRESHOLD = 0.5  # alignment score a piece needs to count as copied from a source paragraph
MAX_CANDIDATES = 30  # per piece, after the MinHash estimate


@dataclass(slots=True)
class ParagraphMatch:
    query_paragraph: int  # 1-based piece number in the traced text
    query_start: int
    query_end: int
    source_paragraph: int  # 1-based paragraph number in the source document
    source_start: int
    source_end: int
    score: float  # alignment score
    jaccard: float  # MinHash estimate of the skeleton similarity
    alignment: Alignment | None = field(default=None, repr=False)
    source_text: str = field(default="", repr=False)
    source_base: int | None = field(default=None, repr=False)  # document offset of source_text[0]
    # a piece that holds several paragraphs of the source (a copy whose paragraphs were merged): the last of
    # them (source_paragraph is the first; source_start/source_end span them all)
    source_last_paragraph: int | None = None

    @property
    def base(self) -> int:
        return self.source_start if self.source_base is None else self.source_base

    @property
    def source_label(self) -> str:
        """"3", or "1–3" for a piece that holds source paragraphs 1 to 3."""
        last = self.source_last_paragraph
        return f"{self.source_paragraph}–{last}" if last else str(self.source_paragraph)

    def to_dict(self) -> dict:
        d = {"query_paragraph": self.query_paragraph, "query_start": self.query_start,
             "query_end": self.query_end, "source_paragraph": self.source_paragraph,
             "source_start": self.source_start, "source_end": self.source_end,
             "score": round(self.score, 4), "jaccard": round(self.jaccard, 4)}
        if self.source_last_paragraph:
            d["source_last_paragraph"] = self.source_last_paragraph
        return d


@dataclass(slots=True)
class SourceMatch:
    id: str
    source: str | None
    score: float  # coverage-weighted score in [0, 1]
    coverage: float  # share of the traced text's words in matched pieces
    matches: list[ParagraphMatch]

    def to_dict(self) -> dict:
        return {"id": self.id, "source": self.source, "score": round(self.score, 4),
                "coverage": round(self.coverage, 4), "paragraphs": [m.to_dict() for m in self.matches]}


@dataclass(slots=True)
class TraceResult:
    text: str
    sources: list[SourceMatch]  # ranked, best first; only sources with a match above threshold
    pieces: int
    candidates: int  # source paragraphs aligned
    threshold: float
    path: str | None = None
    restorations: list[Finding] = field(default_factory=list)
    encoding: str | None = None  # the traced file's encoding when it was not UTF-8 (set by the CLI)
    # (start, end) of each restoration in the text → (start, end) of the words it restores in the source_text of
    # its piece's match: the HTML marks the same words on both sides
    restoration_sources: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict, repr=False)

    @property
    def best(self) -> SourceMatch | None:
        return self.sources[0] if self.sources else None

    def owners(self) -> list[tuple[SourceMatch, ParagraphMatch]]:
        """(source, match) for every matched piece, in text order: the source each piece is restored from."""
        return piece_owners(self.sources)

    def segments(self, match: ParagraphMatch) -> list[dict]:
        """The alignment of one matched piece as display segments (equal / substitution runs)."""
        return alignment_segments(self.text, match)

    def to_dict(self) -> dict:
        from ..types import SCHEMA_VERSION

        d = {
            "schema": SCHEMA_VERSION,
            "path": self.path,
            "threshold": self.threshold,
            "pieces": self.pieces,
            "candidates": self.candidates,
            "sources": [s.to_dict() for s in self.sources],
            "alignment": None,
            "restored_from": [dict(m.to_dict(), source=s.id) for s, m in self.owners()],
            "restorations": [f.to_dict() for f in self.restorations],
        }
        if self.encoding:
            d["encoding"] = self.encoding
        if self.best:
            d["alignment"] = {
                "source": self.best.id,
                "paragraphs": [dict(m.to_dict(), segments=self.segments(m)) for m in self.best.matches],
            }
        return d


def _words(tokens) -> int:
    return sum(1 for t in tokens if t.kind != "punct")


def trace(text: str, index: TraceIndex, top: int = 5, threshold: float = DEFAULT_THRESHOLD,
          path: str | None = None, linker: Linker | None = None) -> TraceResult:
    """Rank the indexed sources of `text` (see module docstring)."""
    linker = linker or _linker_for(index)
    pieces = segment(text)
    per_piece: list[tuple[int, int, int, list]] = []  # (start, end, words, [(score, jac, Paragraph, Alignment)])
    aligned = 0
    for seg in pieces:
        ptext = text[seg.start : seg.end]
        ptoks = tokenize(ptext, seg.start)
        sigs = index.signatures_of(ptext)
        keys = index.candidates(sigs) if sigs else set()
        jac = index.estimated_jaccard(sigs, keys) if keys else {}
        if not keys and _words(ptoks) >= 2 * MIN_PARAGRAPH_WORDS:
            # several short source paragraphs run together (a reflowed copy): looked up a window at a time
            for a, b in windows(ptext):
                wsigs = index.signatures_of(ptext[a:b])
                wkeys = index.candidates(wsigs) if wsigs else set()
                for key, v in (index.estimated_jaccard(wsigs, wkeys) if wkeys else {}).items():
                    jac[key] = max(jac.get(key, 0.0), v)
                keys |= wkeys
        if len(keys) > MAX_CANDIDATES:
            keys = set(sorted(keys, key=lambda k: -jac[k])[:MAX_CANDIDATES])
        paras = index.paragraphs(keys)
        scored = []
        for key, para in paras.items():
            al = align(ptext, para.text, linker, seg.start, para.start, spun_tokens=ptoks)
            aligned += 1
            scored.append((al.score, jac.get(key, 0.0), para, al))
        per_piece.append((seg.start, seg.end, _words(ptoks), scored))

    total_words = sum(p[2] for p in per_piece) or 1
    by_source: dict[str, list[ParagraphMatch]] = {}
    source_path: dict[str, str | None] = {}
    for n, (start, end, _, scored) in enumerate(per_piece, 1):
        best_per_doc: dict[str, tuple] = {}
        for score, jac, para, al in scored:
            if score < threshold:
                continue
            cur = best_per_doc.get(para.doc_id)
            if cur is None or score > cur[0]:
                best_per_doc[para.doc_id] = (score, jac, para, al)
        for doc_id, (score, jac, para, al) in best_per_doc.items():
            by_source.setdefault(doc_id, []).append(ParagraphMatch(
                n, start, end, para.ordinal, para.start, para.end, score, jac, al, para.text))
            source_path[doc_id] = para.source
    piece_words = {n: w for n, (_, _, w, _) in enumerate(per_piece, 1)}
    sources = []
    for doc_id, matches in by_source.items():
        covered = sum(piece_words[m.query_paragraph] for m in matches)
        weighted = sum(piece_words[m.query_paragraph] * m.score for m in matches)
        sources.append(SourceMatch(doc_id, source_path[doc_id], weighted / total_words, covered / total_words,
                                   matches))
    sources.sort(key=lambda s: (-s.score, s.id))
    sources = sources[:top] if top else sources
    owning = {id(src) for src, _ in piece_owners(sources)}
    for src in sources:  # best first: the pieces the best source explains are settled before the others'
        if id(src) in owning:
            _realign_with_context(text, src, index, linker, per_piece, threshold, total_words)
    sources.sort(key=lambda s: (-s.score, s.id))  # (realigning may have raised a score)
    result = TraceResult(text, sources, len(pieces), aligned, threshold, path)
    rows = _restorations(result)
    result.restorations = [f for f, _ in rows]
    result.restoration_sources = {(f.start, f.end): span for f, span in rows}
    return result


def piece_owners(sources: list[SourceMatch]) -> list[tuple[SourceMatch, ParagraphMatch]]:
    """For each matched piece of the traced text, the source whose paragraph aligns with it best (the higher
    alignment score; on a tie the better-ranked source), in text order."""
    best: dict[int, tuple[SourceMatch, ParagraphMatch]] = {}
    for src in sources:  # ranked best first, so a tie keeps the better-ranked source
        for m in src.matches:
            cur = best.get(m.query_paragraph)
            if cur is None or m.score > cur[1].score:
                best[m.query_paragraph] = (src, m)
    return [best[n] for n in sorted(best)]


def _realign_with_context(text: str, best: SourceMatch, index: TraceIndex, linker: Linker, per_piece,
                          threshold: float, total_words: int) -> None:
    """Align each matched piece of the best source against its source paragraph and both neighbours: when the
    spun text was cut into pieces at other sentences than the source (spinning changes word counts, and long
    paragraphs are cut by length), the sentences at a cut still find their source words. A piece longer than its
    paragraph (a copy whose paragraphs were merged) gets as many more paragraphs as it could hold (`_window`),
    and is scored against the source stretch it holds. A piece that missed the threshold against every single
    paragraph of the best source gets a window too, and joins the matches when the window explains enough of
    it: around its best candidate paragraph of the source, or, with no candidate of its own (a short tail cut
    off a long paragraph, a stretch of merged paragraphs that shares too few shingles with any one of them),
    the source between the stretches its matched neighbours hold."""
    row = index.document(best.id)
    if row is None:
        return
    doc_text = row[2]
    spans = index.paragraph_spans(best.id)
    words = {n: w for n, (_, _, w, _) in enumerate(per_piece, 1)}
    para_words = [len(doc_text[a:b].split()) for a, b in spans]

    def realign(m: ParagraphMatch, first: int, last: int) -> None:
        lo, hi = spans[first][0], spans[last][1]
        if (lo, hi) == (m.source_start, m.source_end) and m.alignment is not None:
            return  # a one-paragraph source: the window is the paragraph already aligned
        al = align(text[m.query_start : m.query_end], doc_text[lo:hi], linker, m.query_start, lo)
        m.alignment = trim_context(al, linker)
        m.source_text = doc_text
        m.source_base = 0

    rescored = False
    held: dict[int, tuple[int, int]] = {}  # piece → first and last source paragraph (0-based) its alignment holds
    for m in best.matches:
        k = m.source_paragraph - 1
        realign(m, *_window(k, para_words, words[m.query_paragraph]))
        held[m.query_paragraph] = _held_paragraphs(m.alignment, spans) or (k, k)
        if _merged(words[m.query_paragraph], para_words, held[m.query_paragraph], k):
            # a piece made of several source paragraphs: its score against its best single paragraph counted the
            # other paragraphs' words as unexplained
            score = _held_score(m.alignment)
            if score > m.score:
                m.score = score
                rescored = True
                _name_paragraphs(m, spans, held[m.query_paragraph])
    extra = []
    gap: set[int] = set()  # pieces with no candidate of their own, placed between their neighbours
    for n, (start, end, _, scored) in enumerate(per_piece, 1):
        if n in held:
            continue
        mine = [x for x in scored if x[2].doc_id == best.id]
        if mine:
            score, jac, para, _ = max(mine, key=lambda x: x[0])
            m = ParagraphMatch(n, start, end, para.ordinal, para.start, para.end, score, jac, None, para.text)
            window = _window(para.ordinal - 1, para_words, words[n])
        else:
            window = _gap_window(n, held, para_words, words[n])
            if window is None:
                continue
            a, b = spans[window[0]]
            m = ParagraphMatch(n, start, end, window[0] + 1, a, b, 0.0, 0.0, None, doc_text[a:b])
            gap.add(n)
        realign(m, *window)
        extra.append(m)
    added = [m for m in extra if m.alignment is not None and m.alignment.query_score >= threshold]
    for m in added:
        m.score = m.alignment.query_score
        span = _held_paragraphs(m.alignment, spans)
        if span is None:
            continue
        # (a piece with no candidate of its own is named by the paragraph holding most of its words, not its window)
        k = _main_paragraph(m.alignment, spans) if m.query_paragraph in gap else m.source_paragraph - 1
        if _merged(words[m.query_paragraph], para_words, span, k):
            _name_paragraphs(m, spans, span)
        elif m.query_paragraph in gap:
            _name_paragraphs(m, spans, (k, k))
    if added or rescored:
        best.matches = sorted(best.matches + added, key=lambda m: m.query_paragraph)
        best.coverage = sum(words[m.query_paragraph] for m in best.matches) / total_words
        best.score = sum(words[m.query_paragraph] * m.score for m in best.matches) / total_words


MERGED_RATIO = 1.25  # a piece this much longer than its source paragraph may hold several of them


def _merged(piece_words: int, para_words: list[int], span: tuple[int, int], k: int) -> bool:
    """Whether a piece holds several source paragraphs (a copy whose paragraphs were merged): its alignment holds
    words of more than one paragraph (`span`, 0-based), and it is much longer than paragraph k, the one it was
    matched to."""
    return span[1] > span[0] and piece_words > MERGED_RATIO * para_words[k]


def _gap_window(n: int, held: dict[int, tuple[int, int]], para_words: list[int], piece_words: int
                ) -> tuple[int, int] | None:
    """The source window of piece n, which has no candidate paragraph of its own: between the last paragraph
    the matched piece before it holds and the first one the matched piece after it holds, or next to a matched
    neighbour on one side. None when no matched piece is near, or the stretch between is far wider than the
    piece (the copy left much of the source out, or reordered it)."""
    before = [q for q in held if q < n]
    after = [q for q in held if q > n]
    if before and after:
        first, last = held[max(before)][1], held[min(after)][0]
        if first <= last and sum(para_words[first : last + 1]) <= 3 * piece_words + 2 * max(para_words):
            return first, last
    if n - 1 in held:
        k = held[n - 1][1]
        return _window(k, para_words, piece_words)
    if n + 1 in held:
        k = held[n + 1][0]
        return _window(k, para_words, piece_words)
    return None


def _window(k: int, para_words: list[int], piece_words: int) -> tuple[int, int]:
    """First and last paragraph index (0-based) of the source window a piece matched to paragraph k is aligned
    against: k and both neighbours, and as many more paragraphs on each side as a piece longer than paragraph k
    could take in (a copy whose paragraphs were merged: one piece holds several of the source's paragraphs)."""
    first, last = max(0, k - 1), min(len(para_words) - 1, k + 1)
    need = piece_words - para_words[k]  # words of the piece that paragraph k cannot hold
    while first > 0 and sum(para_words[first:k]) < need:
        first -= 1
    while last < len(para_words) - 1 and sum(para_words[k + 1 : last + 1]) < need:
        last += 1
    return first, last


def _held_paragraphs(al: Alignment | None, spans: list[tuple[int, int]]) -> tuple[int, int] | None:
    """First and last source paragraph (0-based) holding the source words a piece is aligned with (its first to
    its last aligned source word); None when nothing is aligned."""
    from bisect import bisect_right

    held = [o for o in al.ops if o.j2 > o.j1] if al is not None else []
    if not held:
        return None
    starts = [a for a, _ in spans]
    first = bisect_right(starts, al.b[held[0].j1].start) - 1
    last = bisect_right(starts, al.b[held[-1].j2 - 1].start) - 1
    return max(first, 0), max(last, 0)


def _main_paragraph(al: Alignment, spans: list[tuple[int, int]]) -> int:
    """The source paragraph (0-based) holding most of the source words a piece is aligned with."""
    from bisect import bisect_right

    starts = [a for a, _ in spans]
    count: dict[int, int] = {}
    for o in al.ops:
        if o.kind in ("equal", "linked"):
            for t in al.b[o.j1 : o.j2]:
                p = bisect_right(starts, t.start) - 1
                count[p] = count.get(p, 0) + 1
    return max(count, key=lambda p: (count[p], -p)) if count else 0


def _name_paragraphs(m: ParagraphMatch, spans: list[tuple[int, int]], span: tuple[int, int]) -> None:
    """The source paragraphs `span` (0-based, first and last) a piece holds: one, or several (shown as ¶1↔¶1–3,
    source_start/source_end spanning them all, cited by its restorations)."""
    first, last = span
    m.source_paragraph, m.source_last_paragraph = first + 1, (last + 1 if last > first else None)
    m.source_start, m.source_end = spans[first][0], spans[last][1]


def _held_score(al: Alignment) -> float:
    """The alignment score over the stretch of the source the piece was aligned with (from its first to its last
    aligned source word), not the whole window."""
    held = [o for o in al.ops if o.j2 > o.j1]
    if not held:
        return 0.0
    na = _words(al.a)
    nb = _words(al.b[held[0].j1 : held[-1].j2])
    matched = sum(_words(al.a[o.i1 : o.i2]) + _words(al.b[o.j1 : o.j2]) for o in al.ops if o.kind in ("equal", "linked"))
    return matched / (na + nb) if na + nb else 0.0


# One Linker (and its memo of linked word pairs) per thesaurus, keyed by the thesaurus' id: the cached Linker
# holds its thesaurus, so the id cannot pass to another object while the entry lives.
@cached(cache=LRUCache(maxsize=4), key=id, lock=threading.Lock())
def _linker(th) -> Linker:
    return Linker(th)


def _linker_for(index: TraceIndex) -> Linker:
    return _linker(index.featurizer.th)


def _span(tokens, i1, i2) -> tuple[int, int]:
    return tokens[i1].start, tokens[i2 - 1].end


def _widen(al: Alignment, text: str, source: str, base: int, i1, i2, j1, j2):
    """A one-sided difference (a dropped or an inserted word) becomes a replacement that takes in a neighbouring
    word, so that it can be applied as an edit: "the dog" vs "the big dog" → ("the" → "the big"). The word before
    goes first: an inserted word is then removed with the space before it ("found out." → "found."), not with
    the punctuation after it ("found ."). A neighbour across a line break is never taken (the edit would join
    two lines), and punctuation is no neighbour to take; None when no neighbour will do."""
    if i1 != i2 and j1 != j2:
        return i1, i2, j1, j2

    def one_line(a1, a2, b1, b2) -> bool:
        old = text[al.a[a1].start : al.a[a2 - 1].end]
        new = source[al.b[b1].start - base : al.b[b2 - 1].end - base]
        return "\n" not in old and "\r" not in old and "\n" not in new and "\r" not in new

    # (a word before, not punctuation: after a full stop the word after carries the sentence's capital —
    # "winter. Automotive engineers" → "winter. Engineers", not "winter. engineers")
    if i1 > 0 and j1 > 0 and al.a[i1 - 1].kind != "punct" and al.a[i1 - 1].lower == al.b[j1 - 1].lower \
            and one_line(i1 - 1, i2, j1 - 1, j2):
        return i1 - 1, i2, j1 - 1, j2
    if i2 < len(al.a) and j2 < len(al.b) and al.a[i2].lower == al.b[j2].lower and al.a[i2].kind != "punct" \
            and one_line(i1, i2 + 1, j1, j2 + 1):
        return i1, i2 + 1, j1, j2 + 1
    return None


def _echoes_nearby(al: Alignment, i1: int, i2: int, j1: int, j2: int, reach: int = 2) -> bool:
    """Whether a restoration that writes more words than it replaces would write a content word of the source that
    the traced text has within `reach` words of the edit: the alignment took a word for dropped that the copy kept
    right after ("matter thousands of" → "event thousands thousands of"), and restoring it would say it twice. (A
    replacement of no more words than it removes adds nothing to say twice: "Give Birth To" → "Institute" stands,
    though the copy names the Institute again a few words on.)"""
    if _words(al.b[j1:j2]) <= _words(al.a[i1:i2]):
        return False
    near = {t.lower for t in al.a[max(0, i1 - reach) : i1] + al.a[i2 : i2 + reach]}
    old = {t.lower for t in al.a[i1:i2]}
    return any(t.kind == "word" and not is_function_word(t.lower) and t.lower in near and t.lower not in old
               for t in al.b[j1:j2])


def alignment_segments(text: str, m: ParagraphMatch) -> list[dict]:
    """Display segments of one matched piece: runs of equal text and each substitution (spun ↔ source)."""
    al = m.alignment
    src = m.source_text
    out = []
    for op in al.ops:
        a_txt = text[al.a[op.i1].start : al.a[op.i2 - 1].end] if op.i2 > op.i1 else ""
        b_txt = src[al.b[op.j1].start - m.base : al.b[op.j2 - 1].end - m.base] if op.j2 > op.j1 else ""
        seg = {"op": "equal" if op.kind == "equal" else op.kind, "spun": a_txt, "source": b_txt}
        if op.i2 > op.i1:
            seg["start"], seg["end"] = _span(al.a, op.i1, op.i2)
        elif al.a:  # words of the source the traced text dropped: an empty span where they would stand
            seg["start"] = seg["end"] = al.a[op.i1].start if op.i1 < len(al.a) else al.a[-1].end
        out.append(seg)
    return out


def _solid(al: Alignment, op: Op) -> bool:
    """An identical run that holds an edit in place: a content word, or three words (a lone function word is no
    anchor: "is wanting to know" and "is asking the state government for emergency support to help" share "is"
    and "to" by chance)."""
    words = [t for t in al.a[op.i1 : op.i2] if t.kind != "punct"]
    return op.kind == "equal" and (len(words) >= 3 or any(not is_function_word(t.lower) for t in words))


_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\r?\n")


def _jumps_paragraphs(al: Alignment, text: str, source: str, base: int, i1: int, i2: int, j1: int, j2: int,
                      merged: bool = False) -> bool:
    """Between the solid runs around an edit, the source crosses a paragraph break that the
    copy does not: the alignment ran on into a neighbouring paragraph of its window ("most to the front?" paired
    with "... important?\n\nThese questions have risen to the fore"), and the source's words there are not the
    ones the copy's stand for. In a piece that holds several source paragraphs (`merged`: the copy joined them)
    the source's breaks are expected where the copy has none: there only an edit with no solid run on one side
    (at the piece's edge, where the window runs on) is suspect."""
    if i2 <= i1 or j2 <= j1:
        return False
    ops = al.ops
    before = [o for o in ops if o.i2 <= i1 and o.j2 <= j1 and _solid(al, o)]
    after = [o for o in ops if o.i1 >= i2 and o.j1 >= j2 and _solid(al, o)]
    if merged and before and after:
        return False
    # (with no solid run on a side, from the edit itself: the window's tokens reach into its neighbours)
    a_lo = al.a[before[-1].i2 - 1].end if before else al.a[i1].start
    a_hi = al.a[after[0].i1].start if after else al.a[i2 - 1].end
    b_lo = al.b[before[-1].j2 - 1].end if before else al.b[j1].start
    b_hi = al.b[after[0].j1].start if after else al.b[j2 - 1].end
    in_source = len(_PARAGRAPH_BREAK.findall(source[b_lo - base : b_hi - base]))
    return in_source > len(_PARAGRAPH_BREAK.findall(text[a_lo:a_hi]))


def _edit_groups(al: Alignment, text: str = "", source: str = "", base: int = 0
                 ) -> list[tuple[str, int, int, int, int, bool, int]]:
    """Substitutions as edit spans (kind, i1, i2, j1, j2, anchored, run). A one-sided piece (an inserted or dropped word) joins the substitution
    right next to it ("went down lords of creation" → "lost power": "down" goes with "lords of creation"),
    so that neighbouring edits never overlap; not across a line break ("report\nCritics" spun as "inform
    against\nArt critics": "Art" starts the next line and goes with "critics", not with "inform against").
    `run` numbers the differing stretches: the groups (and wide different blocks) between two identical runs
    share it ("half an hour" against "thirty minutes": "half an" ↔ "thirty" and "hour" ↔ "minutes")."""
    def line_break_between(g, op) -> bool:
        if g[2] > g[1] and op.i2 > op.i1 and "\n" in text[al.a[g[2] - 1].end : al.a[op.i1].start]:
            return True
        return g[4] > g[3] and op.j2 > op.j1 and "\n" in source[al.b[g[4] - 1].end - base : al.b[op.j1].start - base]

    groups: list[list] = []
    prev_sub = False
    ops = al.ops
    for n, op in enumerate(ops):
        if op.kind not in ("linked", "changed"):
            prev_sub = False
            continue
        one_sided = op.i1 == op.i2 or op.j1 == op.j2
        if prev_sub and (one_sided or groups[-1][5]) and not line_break_between(groups[-1], op):
            g = groups[-1]
            g[0] = "linked" if (g[0] == "linked" or op.kind == "linked") else "changed"
            g[2], g[4] = op.i2, op.j2
            g[5] = False
            g[7] = n
        else:
            groups.append([op.kind, op.i1, op.i2, op.j1, op.j2, one_sided, n, n])
        prev_sub = True
    # anchored: the ops on both sides are words both texts share, so replacing the copy's stretch by the source's
    # gives the source's words there whatever the alignment did inside it; at a piece's edge, or next to another
    # substitution or a wide different block, it is not. A lone function word is no anchor: "is wanting to know"
    # and "is asking the state government for emergency support to help" share "is" and "to" by chance
    def anchored(first: int, last: int) -> bool:
        return first > 0 and last + 1 < len(ops) and _solid(al, ops[first - 1]) and _solid(al, ops[last + 1])

    run_of = _run_ids(ops)
    return [(*g[:5], anchored(g[6], g[7]), run_of[g[6]]) for g in groups]


def _run_ids(ops: list[Op]) -> list[int]:
    """For each op, the number of its differing stretch: ops with no identical run between them share it."""
    out = []
    run = 0
    for op in ops:
        run += op.kind == "equal"
        out.append(run)
    return out


def confirmed_spans(result: TraceResult) -> list[tuple[int, int]]:
    """Stretches of the traced text that the source each piece was taken from has word for word ("equal" runs
    of the alignment): the source says these words were not swapped, so a model finding inside one is refuted."""
    out = []
    for _src, m in result.owners():
        al = m.alignment
        if al is None:
            continue
        for op in al.ops:
            if op.kind == "equal" and op.i2 > op.i1:
                out.append(_span(al.a, op.i1, op.i2))
    out.sort()
    return out


def _factual(tokens, i1: int, i2: int) -> bool:
    """Whether tokens i1:i2 hold a number (digits or a number word) or a day or month name (stopwords.FACT_WORDS:
    "2019" against "2017" is a fact someone changed, not a swap)."""
    return any(any(ch.isdigit() for ch in t.text) or is_fact_word(t.lower) for t in tokens[i1:i2])


def _restorations(result: TraceResult) -> list[tuple[Finding, tuple[int, int]]]:
    """Each substitution as an exact restoration (the source's words), every piece read off the alignment with
    the source it was taken from (`piece_owners`); with each, where its words stand in the match's source_text.
    A differing stretch (the substitutions between two identical runs) is restored whole or not at all: where
    one of its substitutions is left alone (a number, a wide unexplained block, an unanchored phrase, …),
    restoring its neighbours would leave a phrase that is half the copy's and half the source's ("half an hour"
    against "thirty minutes" would become "half an minutes")."""
    out: list[tuple[Finding, tuple[int, int], tuple[int, int]]] = []  # (finding, source span, (piece, run))
    broken: set[tuple[int, int]] = set()  # stretches with a substitution left alone
    for n, (src, m) in enumerate(result.owners()):
        al = m.alignment
        if al is None:
            continue
        for op, run in zip(al.ops, _run_ids(al.ops)):
            if op.kind == "different":  # never restored: nothing next to it in its stretch is either
                broken.add((n, run))
        for kind, i1, i2, j1, j2, anchored, run in _edit_groups(al, result.text, m.source_text, m.base):
            row = _restoration(result, src, m, kind, i1, i2, j1, j2, anchored)
            if row is None:
                broken.add((n, run))
            elif row is not _SAME:
                out.append((*row, (n, run)))
    out = [row for row in out if row[2] not in broken]
    out.sort(key=lambda row: row[0].start)
    # widened one-sided edits may touch a neighbour: keep the first of any overlapping pair (and then none of the
    # dropped one's stretch)
    kept: list[tuple] = []
    for row in out:
        if kept and row[0].start < kept[-1][0].end:
            broken.add(row[2])
            continue
        kept.append(row)
    return [(f, span) for f, span, stretch in kept if stretch not in broken]


_SAME = object()  # a substitution whose restoration would write the copy's own text: nothing to do, nothing left alone


def _restoration(result: TraceResult, src: SourceMatch, m: ParagraphMatch, kind: str, i1: int, i2: int, j1: int,
                 j2: int, anchored: bool):
    """(Finding, source span) restoring one substitution, `_SAME` when the source's words are the copy's, or None
    when it is left alone."""
    al = m.alignment
    if kind == "changed" and max(i2 - i1, j2 - j1) > MAX_PHRASE:
        return None  # an unexplained difference wider than a spinner's phrase: misplaced, not a swap
    if not anchored and max(_words(al.a[i1:i2]), _words(al.b[j1:j2])) > MAX_PHRASE + 1:
        return None  # a linked phrase that took in one-sided words beyond one, with no shared words holding
        # it in place: the alignment lost its way, and restoring would delete or repeat words
    if kind == "changed" and (_factual(al.a, i1, i2) or _factual(al.b, j1, j2)):
        return None  # a number or a date that differs is a fact someone changed, not a swap to undo
    if kind == "linked" and all(is_function_word(t.lower) for t in al.a[i1:i2] + al.b[j1:j2]
                                if t.kind == "word"):
        kind = "changed"  # "will" / "would": linked through a lemma, but no spinner swaps function words
    w = _widen(al, result.text, m.source_text, m.base, i1, i2, j1, j2)
    if w is None:
        return None
    i1, i2, j1, j2 = w
    start, end = _span(al.a, i1, i2)
    s_start = al.b[j1].start - m.base
    s_end = al.b[j2 - 1].end - m.base
    old = result.text[start:end]
    new = m.source_text[s_start:s_end]
    if old == new:
        return _SAME
    breaks = old.count("\n") + old.count("\r"), new.count("\n") + new.count("\r")
    if breaks != (0, 0) and (not anchored or breaks[0] != breaks[1]):
        return None  # the copy's lines stay its own, unless shared words on both sides hold the same breaks
    if not anchored and _echoes_nearby(al, i1, i2, j1, j2):
        return None
    if not anchored and _jumps_paragraphs(al, result.text, m.source_text, m.base, i1, i2, j1, j2,
                                          merged=m.source_last_paragraph is not None):
        return None
    linked = kind == "linked"
    return (Finding(
        start=start, end=end, text=old, suggestions=(new,),
        confidence=TRACE_LINKED_CONFIDENCE if linked else TRACE_CHANGED_CONFIDENCE,
        evidence=(f"aligned with {src.id} paragraph{'s' if m.source_last_paragraph else ''} {m.source_label}",
                  "thesaurus-linked substitution" if linked else "differs from the source here"),
        source=SOURCE_TRACE, rule_id=RULE_TRACE, detail=src.id,
    ), (s_start, s_end))
