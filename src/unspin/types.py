"""The one result type (`Finding`), the documents built from it, and the wire-format version.

Offsets are Unicode code points into the text that was checked (Python string indices). They are converted
to UTF-16 only at the LanguageTool boundary (unspin.serve.lt).

Schema 2 (docs/json-schema.md has the changelog): a finding says where it came from (`source`: the model, an
imported list, a traced source), carries a stable `rule_id` (what LanguageTool clients enable and disable) and
a `detail` (the list entry or the source document), and a `level` (`finding` or the borderline `suspect`).
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from enum import IntFlag
from typing import Protocol

SCHEMA_VERSION = 2

# where a finding comes from
SOURCE_MODEL = "model"  # the learned detector
SOURCE_LIST = "list"  # an imported tortured-phrase list (unspin.fingerprints)
SOURCE_TRACE = "trace"  # an exact restoration from a traced source document (unspin.trace)
SOURCES = (SOURCE_MODEL, SOURCE_LIST, SOURCE_TRACE)

# how sure: `finding` holds the default false-alarm budget (≤ 1 per 1,000 words of clean prose); `suspect` is
# borderline, for a person reviewing one text
LEVEL_FINDING = "finding"
LEVEL_SUSPECT = "suspect"
LEVELS = (LEVEL_FINDING, LEVEL_SUSPECT)

# what each verdict tells a reader (the HTML report and the web page show it next to the verdict; the page's
# app.js holds the same sentences, tests/test_serve.py checks that they agree)
VERDICT_MEANING = {
    "spun": "strong evidence of spinning, shown by the highlighted spans",
    "uncertain": "no verdict: spinning with common synonyms cannot be ruled out from this text alone",
    "clean": "nearly every spun text looks more spun than this one",
}

RULE_MODEL = "UNSPIN_MODEL"
RULE_TRACE = "UNSPIN_TRACE"
RULE_LIST_PREFIX = "UNSPIN_LIST_"


def is_list_variant(f: "Finding") -> bool:
    """A variant of a listed phrase (fingerprints/variants.py: detail `<list>:~<expected>`), not a listed phrase:
    a suspect on its own, and even where it is merged into a model finding at `finding` level it is no certain
    evidence (no listed hit, no `spun` on the lists' word)."""
    return f.source == SOURCE_LIST and f.detail.split(":", 1)[-1].startswith("~")


TRACE_LINKED_CONFIDENCE = 0.99  # a traced substitution the thesaurus links (a swap); an unlinked difference: 0.9
TRACE_CHANGED_CONFIDENCE = 0.9


def is_sure_evidence(f: "Finding") -> bool:
    """An external finding that is certain evidence of spinning for the verdict and the spin score: a listed
    phrase (not a variant of one), or a traced substitution the thesaurus links. A traced difference the
    thesaurus does not link is restored but proves nothing: an honest editor's "shops and businesses" or "will"
    for "would" differs from the source as much as a swap does."""
    if f.level != LEVEL_FINDING:
        return False
    if f.source == SOURCE_TRACE:
        return f.confidence >= TRACE_LINKED_CONFIDENCE
    return is_listed_hit(f)


def is_listed_hit(f: "Finding") -> bool:
    """A listed phrase of an imported list found at `finding` level (not a variant of one)."""
    return f.source == SOURCE_LIST and f.level == LEVEL_FINDING and not is_list_variant(f)


def list_rule_id(list_name: str) -> str:
    """Stable rule id of an imported list: `UNSPIN_LIST_<NAME>` (upper case, other characters as `_`)."""
    return RULE_LIST_PREFIX + (re.sub(r"[^A-Z0-9]+", "_", list_name.upper()).strip("_") or "LIST")


class ExitCode(IntFlag):
    """Process exit codes of the `unspin` command, combinable (docs/json-schema.md): 1 | 4 = 5 means some
    inputs had findings and some could not be read."""

    OK = 0  # ran, nothing found
    FINDINGS = 1  # ran, at least one finding (at `finding` level)
    USAGE = 2  # bad command line (alone: nothing was processed)
    INPUT = 4  # at least one input could not be read (the others were still processed)


@dataclass(frozen=True, slots=True)
class Finding:
    """One spun span: where it is, what it probably was, how sure we are, why, and who says so."""

    start: int
    end: int
    text: str
    suggestions: tuple[str, ...]
    confidence: float
    evidence: tuple[str, ...] = ()
    source: str = SOURCE_MODEL
    rule_id: str = RULE_MODEL
    detail: str = ""  # the list entry ("<list>: <tortured phrase>") or the source document id
    level: str = LEVEL_FINDING

    def to_dict(self) -> dict:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "suggestions": list(self.suggestions),
            "confidence": round(float(self.confidence), 4),
            "evidence": list(self.evidence),
            "source": self.source,
            "rule_id": self.rule_id,
            "detail": self.detail,
            "level": self.level,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Finding":
        return cls(
            start=int(d["start"]),
            end=int(d["end"]),
            text=str(d["text"]),
            suggestions=_strings(d.get("suggestions", ())),
            confidence=float(d.get("confidence", 0.0)),
            evidence=_strings(d.get("evidence", ())),
            source=str(d.get("source", SOURCE_MODEL)),
            rule_id=str(d.get("rule_id", RULE_MODEL)),
            detail=str(d.get("detail", "")),
            level=str(d.get("level", LEVEL_FINDING)),
        )


def _strings(v) -> tuple[str, ...]:
    """A JSON list of strings as a tuple; one string alone is one item (not its characters)."""
    return (v,) if isinstance(v, str) else tuple(str(x) for x in v)


class FindingSource(Protocol):
    """Anything that finds spun spans by itself (an imported list, a trace index). `check` composes the
    engine's findings with those of every source it is given; a source never calls back into `check`."""

    def find(self, text: str) -> list[Finding]: ...


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace text[start:end] (which must equal `old`) by `new`. Offsets index the ORIGINAL text."""

    start: int
    end: int
    old: str
    new: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(slots=True)
class Report:
    """Everything `check` found in one document."""

    text: str
    words: int
    findings: list[Finding]
    spin_score: float | None  # None when no calibrated number can be given (too short, not English prose)
    verdict: str  # "spun" | "clean" | "uncertain"
    path: str | None = None
    notes: list[str] = field(default_factory=list)  # e.g. why the verdict is uncertain
    stage: str = "full"  # "full": every span analysed; "screen": cleared by the corpus first stage
    encoding: str | None = None  # the input's encoding when it was not UTF-8 (set by readers)

    def at_level(self, level: str = LEVEL_FINDING) -> list[Finding]:
        """Findings at `finding` level only (LEVEL_FINDING), or every finding including suspects."""
        if level == LEVEL_SUSPECT:
            return list(self.findings)
        return [f for f in self.findings if f.level == LEVEL_FINDING]

    def to_dict(self, include_text: bool = False) -> dict:
        d = {
            "schema": SCHEMA_VERSION,
            "path": self.path,
            "words": self.words,
            "spin_score": None if self.spin_score is None else round(float(self.spin_score), 4),
            "verdict": self.verdict,
            "stage": self.stage,
            "findings": [f.to_dict() for f in self.findings],
        }
        if self.encoding:
            d["encoding"] = self.encoding
        if self.notes:
            d["notes"] = list(self.notes)
        if include_text:
            d["text"] = self.text
        return d


@dataclass(slots=True)
class Restored:
    """The restored text and the edits that produce it from the input (replayable with apply_edits)."""

    text: str
    edits: list[Edit]
    report: Report

    def to_dict(self) -> dict:
        d = {
            "schema": SCHEMA_VERSION,
            "path": self.report.path,
            "text": self.text,
            "edits": [e.to_dict() for e in self.edits],
        }
        if self.report.encoding:
            d["encoding"] = self.report.encoding
        return d
