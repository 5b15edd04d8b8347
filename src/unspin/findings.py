"""Model findings from the retained spans (suggestions, evidence, "a/an" taken in) and their merge with
external findings (imported lists, trace restorations)."""
from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass, replace

import numpy as np
from typing import TYPE_CHECKING

from .candidates import LearnedPairs
from .decide import EVIDENCE_FIELDS
from .knowledge.bundle import Knowledge
from .spans import overlaps_any, select_non_overlapping
from .text import article_for, restore_case
from .types import LEVEL_FINDING, LEVEL_SUSPECT, SOURCE_LIST, SOURCE_MODEL, SOURCE_TRACE, Finding

if TYPE_CHECKING:
    from .engine import DocumentScore



_ARTICLE_BEFORE = re.compile(r"\b([Aa]n?|AN)[ \t]+$")  # "AN" too: all-caps text keeps its case


def _with_article(s, sugg: tuple[str, ...], text: str | None, base: int = 0):
    """When "a"/"an" right before the span would be wrong for the top suggestion ("an inquiry" → "a probe"),
    the finding takes the article in, and every suggestion carries its own article."""
    if text is None or not sugg:
        return s.start, s.text, sugg
    m = _ARTICLE_BEFORE.search(text, max(0, s.start - base - 8), s.start - base)
    if not m or article_for(sugg[0]) == m.group(1).lower():
        return s.start, s.text, sugg
    start = base + m.start(1)
    taken = text[m.start(1) : s.end - base]
    # the article takes the case restore gives it ("An inquiry" → "A probe", "AN ..." → "A ..."): a suggestion
    # reads as what the edit inserts
    fix = (lambda x: x) if taken.islower() else (lambda x: restore_case(taken, x))
    return start, taken, tuple(fix(f"{article_for(x)} {x}") for x in sugg)


@dataclass
class _Span:
    start: int
    end: int
    i: int  # index among the spans considered (model_findings: those at or above the suspect threshold)
    text: str = ""


def _evidence(form: str, cand: str, b: dict, k: Knowledge, where: str = "the document") -> tuple[str, ...]:
    ev = []
    src = "+".join(k.sources)
    if b.get("reverse"):
        ev.append(f"thesaurus ({src}): '{cand}' lists '{form}'")
    elif b.get("forward"):
        ev.append(f"thesaurus ({src}): '{form}' lists '{cand}'")
    if b.get("learned"):
        ev.append(f"learned from tortured-phrase lists: '{form}' ← '{cand}'")
    if b.get("neighbour_only"):
        ev.append(f"'{cand}' is a close neighbour of '{form}' in word-vector space (no thesaurus link)")
    g = b.get("gain", 0.0)
    if abs(g) >= 0.05:
        ev.append(f"context fits '{cand}' {'better' if g > 0 else 'worse'} by {abs(g):.1f} nats")
    if b.get("echo_bigram", 0.0) > 0:
        ev.append(f"'{cand}' appears elsewhere in {where} next to the same word")
    n_echo = int(round(math.expm1(b.get("echo_cand", 0.0))))
    if n_echo > 0:
        ev.append(f"'{cand}' (or a form of it) occurs {n_echo}× elsewhere in {where}")
    if b.get("article_fix", 0.0) > 0:
        ev.append(f"the article before it suits '{cand}', not '{form}'")
    cz = b.get("cand_zipf", 0.0)
    tz = b.get("text_zipf", 0.0)
    if cz - tz >= 1.0:
        ev.append(f"'{form}' is rarer than '{cand}' (Zipf {tz:.1f} vs {cz:.1f})")
    if b.get("cap_mid") and b.get("in_name"):
        ev.append("inside a capitalised name")
    return tuple(ev)


def model_findings(text: str, ds: "DocumentScore", k: Knowledge, threshold: float, suspect_threshold: float
                   ) -> list[Finding]:
    """Spans at or above the suspect threshold (level `finding` at `threshold`), the most confident first
    where they overlap."""
    r = ds.retained
    lex = k.lex
    p2 = ds.p2
    # a long document is scored in sections (document.sections): echoes are counted in the span's section
    where = "this section of the document" if ds.sections > 1 else "the document"
    idx = np.nonzero(p2 >= suspect_threshold)[0]
    # only these spans' rows are read (a long document's retained columns may be on disk: decide.Retained)
    cols = {key: r.take(key, idx) for key in ("start", "end", "form", "top_forms", "evidence")}
    above = [_Span(int(a), int(b), j) for j, (a, b) in enumerate(zip(cols["start"].tolist(), cols["end"].tolist()))]
    learned = next((src for src in k.pool.sources if isinstance(src, LearnedPairs)), None)
    out = []
    for s in select_non_overlapping(above, key=lambda s: p2[idx[s.i]]):
        j = s.i
        form = int(cols["form"][j])
        cands = [c for c in cols["top_forms"][j].tolist() if c >= 0]
        sugg = tuple(lex.forms[c] for c in cands)
        ev = _evidence(lex.forms[form], sugg[0] if sugg else "?",
                       dict(zip(EVIDENCE_FIELDS, cols["evidence"][j].tolist())), k, where)
        if learned is not None:
            cands, said = learned_first(form, cands, learned)
            if said:
                sugg, ev = tuple(lex.forms[c] for c in cands), ev + (said,)
        span = _Span(s.start, s.end, j, text[s.start : s.end])
        start, span_text, sugg = _with_article(span, sugg, text)
        p = float(p2[idx[j]])
        out.append(Finding(start, s.end, span_text, sugg, p, ev, level=LEVEL_FINDING if p >= threshold else LEVEL_SUSPECT))
    return out


def learned_first(form: int, cands: list[int], learned: LearnedPairs) -> tuple[list[int], str | None]:
    """`cands` (suggestions, best first) with the one the imported lists pair most strongly with the flagged `form`
    moved first, and the evidence saying so; unchanged (None) when the lists pair the form with none of them or
    already with the first. A learned tool dictionary (`unspin spinners learn`) names the original the tool
    replaced: its pair is surer than the ranker's context fit, which weighs it as one feature among many."""
    originals = learned.originals(form)
    if not originals or not cands:
        return cands, None
    lex = learned.lex

    weights = [max(originals.get(lex.forms[c], 0.0), originals.get(lex.forms[int(lex.lemma[c])], 0.0)) for c in cands]
    best = max(range(len(cands)), key=lambda i: (weights[i], -i))
    if best == 0 or weights[best] <= 0.0:
        return cands, None
    first = cands[best]
    said = (f"imported lists pair '{lex.forms[form]}' with '{lex.forms[int(lex.lemma[first])]}': "
            f"'{lex.forms[first]}' first")
    return [first] + cands[:best] + cands[best + 1 :], said


def merge_external(model_findings: list[Finding], external: list[Finding], text: str | None = None) -> list[Finding]:
    """One non-overlapping list sorted by start: trace restorations win their spans, then listed
    fingerprints (which keep the model's evidence for the same span, see fingerprints.merge), then the
    model's own findings. With `text`, a listed phrase whose expected phrase needs the other article takes the
    article in, as the model's findings do ("an irregular woodland" → "a random forest", not "an random
    forest"); a traced restoration is the source's own words and stays as it is."""
    from .fingerprints.combine import merge

    listed = [f for f in external if f.source == SOURCE_LIST]
    if text is not None:
        listed = [_listed_with_article(f, text) for f in listed]
    traced = [f for f in external if f.source == SOURCE_TRACE]
    out = merge(model_findings, listed) if listed else sorted(model_findings, key=lambda f: (f.start, f.end))
    if traced:
        traced = select_non_overlapping(traced, key=lambda f: f.confidence)
        out = [f for f in out if not overlaps_any(f, traced)] + traced
        out.sort(key=lambda f: (f.start, f.end))
    return out


def _listed_with_article(f: Finding, text: str) -> Finding:
    start, span_text, sugg = _with_article(f, f.suggestions, text)
    return f if start == f.start else replace(f, start=start, text=span_text, suggestions=sugg)


def outside_literals(findings: list[Finding], text: str) -> list[Finding]:
    """`findings` without those touching code, a URL, an e-mail address or an identifier (`text.literal_spans`):
    their words are nobody's word choice, and replacing one breaks a program or a link. Any source: a listed
    phrase in a URL's slug is no tortured phrase either."""
    from .text import literal_spans

    if not findings:
        return findings
    spans = literal_spans(text)
    if not spans:
        return findings
    ends = [b for _, b in spans]

    def touches(f: Finding) -> bool:
        i = bisect.bisect_right(ends, f.start)  # the first literal ending after the finding starts
        return i < len(spans) and spans[i][0] < f.end

    return [f for f in findings if not touches(f)]


def refute(findings: list[Finding], confirmed: list[tuple[int, int]]) -> list[Finding]:
    """`findings` without the model's ones lying inside a span that a traced source has word for word (the
    source shows those words were not swapped); list and trace findings stay."""
    spans = sorted(confirmed)
    starts = [a for a, _ in spans]

    def inside(f: Finding) -> bool:
        i = bisect.bisect_right(starts, f.start) - 1
        return i >= 0 and spans[i][0] <= f.start and f.end <= spans[i][1]

    return [f for f in findings if f.source != SOURCE_MODEL or not inside(f)]


def _allow_keys_of(words: str, k: Knowledge) -> set:
    """What identifies `words` for an allow list: its lookup form, and for one word the lexicon's lemma of it too
    ("parcel" and "parcels" share theirs)."""
    from .text import lookup_form

    form = " ".join(lookup_form(w) for w in words.split())
    if not form:
        return set()
    keys = {("form", form)}
    fid = k.lex.form_id.get(form)
    if fid is not None and " " not in form:
        keys.add(("lemma", int(k.lex.lemma[fid])))
    return keys


def allow_keys(entries, k: Knowledge) -> frozenset:
    """What an allow list matches (`not_allowed`): the keys of each entry (`_allow_keys_of`)."""
    return frozenset(key for e in entries for key in _allow_keys_of(str(e), k))


def not_allowed(findings: list[Finding], keys: frozenset, k: Knowledge) -> list[Finding]:
    """`findings` without those whose words are on the user's allow list (`allow_keys`; any source: a word the
    user has judged honest in their field is not reported, whoever proposes it)."""
    if not keys:
        return findings
    return [f for f in findings if keys.isdisjoint(_allow_keys_of(f.text, k))]
