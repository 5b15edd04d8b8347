"""The one result type (`Finding`) and the documents built from it.

Offsets are Unicode code points into the text that was checked (Python string indices). They are converted
to UTF-16 only at the LanguageTool boundary (unspin.serve).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import IntEnum

SCHEMA_VERSION = 1


class ExitCode(IntEnum):
    """Process exit codes of the `unspin` command (documented in docs/json-schema.md)."""

    OK = 0  # ran, nothing found
    FINDINGS = 1  # ran, at least one finding
    USAGE = 2  # bad command line
    INPUT = 4  # at least one input could not be read (others were still processed)


@dataclass(frozen=True, slots=True)
class Finding:
    """One spun span: where it is, what it probably was, how sure we are and why."""

    start: int
    end: int
    text: str
    suggestions: tuple[str, ...]
    confidence: float
    evidence: tuple[str, ...] = ()
    rule: str = "model"

    def to_dict(self) -> dict:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "suggestions": list(self.suggestions),
            "confidence": round(float(self.confidence), 4),
            "evidence": list(self.evidence),
            "rule": self.rule,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Finding":
        return cls(
            start=int(d["start"]),
            end=int(d["end"]),
            text=str(d["text"]),
            suggestions=tuple(d.get("suggestions", ())),
            confidence=float(d.get("confidence", 0.0)),
            evidence=tuple(d.get("evidence", ())),
            rule=str(d.get("rule", "model")),
        )


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
    spin_score: float
    verdict: str  # "spun" | "clean" | "uncertain"
    path: str | None = None
    notes: list[str] = field(default_factory=list)  # e.g. why the verdict is uncertain

    def to_dict(self, include_text: bool = False) -> dict:
        d = {
            "schema": SCHEMA_VERSION,
            "path": self.path,
            "words": self.words,
            "spin_score": round(float(self.spin_score), 4),
            "verdict": self.verdict,
            "findings": [f.to_dict() for f in self.findings],
        }
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
        return {
            "schema": SCHEMA_VERSION,
            "path": self.report.path,
            "text": self.text,
            "edits": [e.to_dict() for e in self.edits],
        }
