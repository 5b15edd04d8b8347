"""Mining new fingerprints: run `check` over a corpus, group findings by normalised phrase, rank by the
number of distinct documents and mean confidence, and export candidates for a person to review."""
from __future__ import annotations

import csv
import io
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from .combine import is_listed
from .parse import normalise

TEXT_SUFFIXES = {".txt", ".md", ".text", ""}
CONTEXT_CHARS = 60


@dataclass(slots=True)
class Candidate:
    phrase: str  # normalised (lower-case, single spaces, hyphens as spaces)
    docs: int
    occurrences: int
    mean_confidence: float
    suggestions: list[tuple[str, float]]  # (suggestion, score: sum of 1/rank over findings), best first
    examples: list[tuple[str, str]]  # (document, context with the phrase in [brackets])
    forms: list[str] = field(default_factory=list)  # surface forms seen
    listed: str = ""  # rule of a list that already has it ("" = new)

    @property
    def expected(self) -> str:
        return self.suggestions[0][0] if self.suggestions else ""

    def to_dict(self) -> dict:
        return {"tortured": self.phrase, "expected": self.expected, "docs": self.docs,
                "occurrences": self.occurrences, "mean_confidence": round(self.mean_confidence, 4),
                "suggestions": [s for s, _ in self.suggestions], "forms": self.forms,
                "examples": [{"doc": d, "context": c} for d, c in self.examples], "listed": self.listed}


@dataclass(slots=True)
class MineResult:
    candidates: list[Candidate]
    documents: int
    errors: list[str]  # one line per document that could not be read or checked


def _iter_docs(paths_or_texts: Iterable, errors: list[str]):
    from ..inputs import InputError, decode

    """(doc id, text) for texts, files and directories (walked for .txt/.md files, sorted)."""
    for i, item in enumerate(paths_or_texts):
        if isinstance(item, tuple) and len(item) == 2:
            yield str(item[0]), str(item[1])
            continue
        if isinstance(item, os.PathLike) or (isinstance(item, str) and "\n" not in item and len(item) < 4096
                                             and Path(item).exists()):
            p = Path(item)
            files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in TEXT_SUFFIXES
                           and not f.name.startswith(".")) if p.is_dir() else [p]
            for f in files:
                try:
                    yield str(f), decode(f.read_bytes(), str(f))  # the shared decoding path (any encoding)
                except InputError as e:
                    errors.append(f"{e}; skipped")
                except OSError as e:
                    errors.append(f"{f}: cannot read: {e.strerror or e}; skipped")
            continue
        if isinstance(item, os.PathLike) or (isinstance(item, str) and "\n" not in item and len(item) < 300
                                             and ("/" in item or item.endswith((".txt", ".md")))):
            errors.append(f"{item}: no such file or directory; skipped")
            continue
        yield f"text[{i}]", str(item)


def _context(text: str, start: int, end: int) -> str:
    a = max(0, start - CONTEXT_CHARS)
    b = min(len(text), end + CONTEXT_CHARS)
    s = ("…" if a > 0 else "") + text[a:start] + "[" + text[start:end] + "]" + text[end:b] + ("…" if b < len(text) else "")
    return " ".join(s.split())


def _key(phrase: str) -> str:
    """Group key: normalised words, a plural last word made singular (organizations ~ organization). Only a word
    ending in -s: lemminflect's noun rules would also turn a verb form into a string the corpus never holds
    ("divided" → "divide")."""
    words = normalise(phrase).split(" ")
    if words and words[-1].isalpha() and words[-1].endswith("s"):
        from lemminflect import getLemma

        lem = getLemma(words[-1], upos="NOUN")
        if lem:
            words[-1] = lem[0]
    return " ".join(words)




def mine(paths_or_texts, min_docs: int = 3, check_fn: Callable | None = None, include_listed: bool = False,
         max_examples: int = 3, known=None, errors: list[str] | None = None) -> list[Candidate]:
    """Candidates seen in at least `min_docs` distinct documents, best first (docs desc, mean confidence desc).

    `paths_or_texts`: texts, (doc id, text) pairs, file paths or directories. `check_fn(text) -> Report`
    is required (the CLI passes `unspin.check`; suspects count too). Findings from imported lists are left out unless `include_listed`; `known` (a
    FingerprintSet, default: the local database) marks candidates that a list already has. Documents that
    cannot be read or checked are reported in `errors` (a list you pass) and do not stop the run."""
    return mine_corpus(paths_or_texts, min_docs, check_fn, include_listed, max_examples, known, errors).candidates


def mine_corpus(paths_or_texts, min_docs: int = 3, check_fn: Callable | None = None, include_listed: bool = False,
                max_examples: int = 3, known=None, errors: list[str] | None = None) -> MineResult:
    if check_fn is None:
        raise TypeError("mine needs check_fn(text) -> Report (the CLI passes unspin.check; mining reads every "
                        "finding, suspects included: recurrence across documents filters their noise)")
    if known is None:
        from . import load

        try:
            known = load()
        except Exception:  # noqa: BLE001 - a broken DB must not stop mining; it only marks known phrases
            known = None
    errs = errors if errors is not None else []
    groups: dict[str, dict] = {}
    ndocs = 0
    for doc, text in _iter_docs(paths_or_texts if not isinstance(paths_or_texts, (str, os.PathLike))
                                else [paths_or_texts], errs):
        ndocs += 1
        try:
            report = check_fn(text)
        except Exception as e:  # noqa: BLE001 - one bad document never stops a batch
            errs.append(f"{doc}: check failed: {type(e).__name__}: {e}")
            continue
        for f in report.findings:
            if is_listed(f) and not include_listed:
                continue
            key = _key(f.text)
            if not key:
                continue
            g = groups.setdefault(key, {"docs": set(), "n": 0, "conf": 0.0, "sugg": Counter(), "ex": [],
                                        "forms": Counter(), "rules": Counter()})
            g["n"] += 1
            g["conf"] += float(f.confidence)
            g["forms"][f.text] += 1
            for rank, sug in enumerate(f.suggestions[:5]):  # the first suggestion counts most
                g["sugg"][sug.lower()] += 1.0 / (rank + 1)
            if is_listed(f):
                g["rules"][f.detail] += 1
            if doc not in g["docs"] and len(g["ex"]) < max_examples:
                g["ex"].append((doc, _context(text, f.start, f.end)))
            g["docs"].add(doc)
    out = []
    for key, g in groups.items():
        if len(g["docs"]) < min_docs:
            continue
        listed = g["rules"].most_common(1)[0][0] if g["rules"] else ""
        if not listed and known:
            hits = known.match(key)
            if hits and hits[0].start == 0 and hits[0].end == len(key):
                listed = hits[0].detail
        if listed and not include_listed:
            continue
        out.append(Candidate(key, len(g["docs"]), g["n"], g["conf"] / g["n"], g["sugg"].most_common(5), g["ex"],
                             [s for s, _ in g["forms"].most_common(5)], listed))
    out.sort(key=lambda c: (-c.docs, -c.mean_confidence, -c.occurrences, c.phrase))
    return MineResult(out, ndocs, errs)


CSV_FIELDS = ["tortured", "expected", "docs", "occurrences", "mean_confidence", "other_suggestions", "forms",
              "listed", "example_1", "example_2", "example_3"]


def candidates_csv(candidates: list[Candidate]) -> str:
    """CSV text; the first two columns make it importable (`unspin fingerprints import FILE --format tsv`)
    once reviewed."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_FIELDS)
    for c in candidates:
        ex = [f"{d}: {ctx}" for d, ctx in c.examples[:3]]
        ex += [""] * (3 - len(ex))
        w.writerow([c.phrase, c.expected, c.docs, c.occurrences, f"{c.mean_confidence:.3f}",
                    "; ".join(s for s, _ in c.suggestions[1:]), "; ".join(c.forms), c.listed, *ex])
    return buf.getvalue()


def write_csv(candidates: list[Candidate], path: str | Path) -> None:
    Path(path).write_text(candidates_csv(candidates), encoding="utf-8")
