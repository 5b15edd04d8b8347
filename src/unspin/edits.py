"""Findings → edits, and edits replayed exactly (the ftfy plan/apply_plan idea). Pure functions: `unspin.restore`
(in api.py) runs `check` and then these."""
from __future__ import annotations

import re

from .text import restore_case
from .spans import select_non_overlapping
from .types import LEVEL_FINDING, Edit, Finding, Report, Restored


def edits_from_findings(text: str, findings: list[Finding], min_confidence: float = 0.0,
                        include_suspects: bool = False) -> list[Edit]:
    """One edit per finding with a suggestion, in text order, overlapping findings dropped (higher
    confidence wins). Suspects (borderline spans) are only restored when asked for. The replacement keeps the
    capitalisation of the spun text."""
    usable = [f for f in findings if f.suggestions and f.confidence >= min_confidence
              and (include_suspects or f.level == LEVEL_FINDING)]
    chosen = select_non_overlapping(usable, key=lambda f: f.confidence)
    edits = []
    for f in chosen:
        old = text[f.start : f.end]
        new = replacement(old, f.suggestions[0])
        if new != old:
            edits.append(Edit(f.start, f.end, old, new))
    return edits


def replacement(old: str, suggestion: str) -> str:
    """What `restore` writes in place of `old` for `suggestion`: cased like `old`, with `old`'s line breaks kept.
    The server sends it as is (LanguageTool replacements, the web page's), so every client writes what restore
    writes without a rule of its own."""
    if (hyphenated := _hyphenated(old, suggestion)) is not None:
        return hyphenated
    return _keep_line_breaks(old, restore_case(old, suggestion))


def _hyphenated(old: str, suggestion: str) -> str | None:
    """`suggestion` joined by hyphens, each part cased like its own, where `old` is a hyphenated compound of as many
    words ("profound-learning" → "deep-learning", "Profound-Learning" → "Deep-Learning"): lists match a hyphenated
    spelling of their phrase, and the restored text keeps that spelling. None otherwise."""
    if "-" not in old or any(c.isspace() for c in old):
        return None
    parts, words = old.split("-"), suggestion.split()
    if not (len(words) == len(parts) > 1 and all(parts)):
        return None
    return "-".join(restore_case(p, w) for p, w in zip(parts, words))


def _keep_line_breaks(old: str, new: str) -> str:
    """`new` with the line breaks `old` has between its words, at the same word gaps ("irregular\nwoodlands" →
    "random\nforests"): a phrase wrapped across lines in a text file is restored without reflowing the file's
    lines (a break past `new`'s last gap goes to that gap)."""
    gaps = re.findall(r"\s+", old)
    if not any("\n" in g or "\r" in g for g in gaps):
        return new
    words = new.split(" ")
    if len(words) < 2:
        return new
    seps = [" "] * (len(words) - 1)
    for i, g in enumerate(gaps):
        if "\n" in g or "\r" in g:
            seps[min(i, len(seps) - 1)] = g
    return "".join(w + sep for w, sep in zip(words, seps + [""]))


def apply_edits(text: str, edits: list[Edit] | list[dict]) -> str:
    """Apply non-overlapping edits whose offsets index `text`. Raises ValueError when an edit does not match
    the text (wrong file, or edits already applied) rather than corrupting it."""
    if not isinstance(text, str):
        raise TypeError(f"apply_edits needs the text as a str, got {type(text).__name__}")
    if isinstance(edits, (str, bytes)) or not hasattr(edits, "__iter__"):
        raise TypeError(f"apply_edits needs a list of edits, got {type(edits).__name__}")
    norm = [e if isinstance(e, Edit) else Edit(**e) for e in edits]
    for e in norm:
        if not all(type(v) is int for v in (e.start, e.end)) or not all(isinstance(v, str) for v in (e.old, e.new)):
            raise TypeError(f"an edit needs int start and end and str old and new, got {e!r}")
    # (start, end): an insertion at a position goes before a replacement that starts there, in whatever order
    # the edits were given
    norm.sort(key=lambda e: (e.start, e.end))
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


def restore_report(report: Report, min_confidence: float = 0.0, include_suspects: bool = False) -> Restored:
    """The report's text with its findings' first suggestions applied (as replayable edits)."""
    edits = edits_from_findings(report.text, report.findings, min_confidence, include_suspects)
    return Restored(apply_edits(report.text, edits), edits, report)
