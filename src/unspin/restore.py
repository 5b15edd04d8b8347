"""Restore: turn findings into edits, and replay edits exactly (the ftfy plan/apply_plan idea)."""
from __future__ import annotations

from .text import match_case
from .types import Edit, Finding, Report, Restored


def edits_from_findings(text: str, findings: list[Finding], min_confidence: float = 0.0) -> list[Edit]:
    """One edit per finding with a suggestion, in text order, overlapping findings dropped (higher
    confidence wins). The replacement keeps the capitalisation of the spun text."""
    chosen: list[Finding] = []
    for f in sorted(findings, key=lambda f: -f.confidence):
        if not f.suggestions or f.confidence < min_confidence:
            continue
        if any(f.start < g.end and g.start < f.end for g in chosen):
            continue
        chosen.append(f)
    chosen.sort(key=lambda f: f.start)
    edits = []
    for f in chosen:
        old = text[f.start : f.end]
        new = match_case(old, f.suggestions[0])
        if new != old:
            edits.append(Edit(f.start, f.end, old, new))
    return edits


def apply_edits(text: str, edits: list[Edit] | list[dict]) -> str:
    """Apply non-overlapping edits whose offsets index `text`. Raises ValueError when an edit does not match
    the text (wrong file, or edits already applied) rather than corrupting it."""
    norm = [e if isinstance(e, Edit) else Edit(**e) for e in edits]
    norm.sort(key=lambda e: e.start)
    out = []
    pos = 0
    for e in norm:
        if e.start < pos or e.end < e.start or e.end > len(text):
            raise ValueError(f"edit {e.start}:{e.end} overlaps another edit or lies outside the text")
        if text[e.start : e.end] != e.old:
            raise ValueError(f"edit {e.start}:{e.end} expects {e.old!r} but the text has {text[e.start:e.end]!r}")
        out.append(text[pos : e.start])
        out.append(e.new)
        pos = e.end
    out.append(text[pos:])
    return "".join(out)


def restore_report(report: Report, min_confidence: float = 0.0) -> Restored:
    edits = edits_from_findings(report.text, report.findings, min_confidence)
    return Restored(apply_edits(report.text, edits), edits, report)


def restore(text: str, min_confidence: float = 0.0, **options) -> Restored:
    from .engine import check

    return restore_report(check(text, **options), min_confidence)
