"""Screening one document: the pure function every engine runs (local process pool or Dask worker).

`screen_document(doc, check_fn, options)` loads a (lazily read) document, calls `check`, and turns the
`Report` into one results row and its finding rows. It never raises: unreadable documents and check
failures become error rows. `call_with_timeout` is the thread-based per-document deadline used where a
process cannot be killed (Dask worker threads).
"""
from __future__ import annotations

import threading
from collections.abc import Callable

from ..readers import Document
from ..fingerprints.combine import is_listed
from ..types import LEVEL_FINDING

TOP_PHRASES = 5
WARMUP_TEXT = "The committee met on Monday to discuss the budget for the new school library."

RESULT_COLUMNS = ("id", "source", "words", "spin_score", "verdict", "n_findings", "n_suspects", "listed_hits",
                  "top_phrases", "error", "notes", "stage", "encoding")
FINDING_COLUMNS = ("doc_id", "start", "end", "text", "suggestions", "confidence", "evidence", "source", "rule_id",
                   "detail", "level")


class DocumentTimeout(Exception):
    pass


class EngineError(RuntimeError):
    """The check engine cannot work at all (fails on a warm-up sentence): stop instead of filling the results
    with identical error rows."""


def resolve_check(check_fn: Callable | None) -> Callable:
    if check_fn is not None:
        return check_fn
    import unspin

    return unspin.check


def error_row(doc: Document, message: str) -> dict:
    return {
        "id": doc.id,
        "source": doc.source,
        "words": None,
        "spin_score": None,
        "verdict": "error",
        "n_findings": 0,
        "n_suspects": 0,
        "listed_hits": 0,
        "top_phrases": [],
        "error": message,
        "notes": [],
        "stage": None,
        "encoding": getattr(doc, "encoding", None),
    }


def timeout_message(doc: Document, seconds: float) -> str:
    return f"{doc.source}: timed out after {seconds:g} s (document {doc.id}); raise --timeout or split it"


def top_phrases(findings) -> list[str]:
    """Distinct flagged phrases (lower case): findings, most confident first, then borderline suspects when the
    findings are fewer than TOP_PHRASES."""
    out: list[str] = []
    for f in sorted(findings, key=lambda f: (f.level != LEVEL_FINDING, -f.confidence, f.start)):
        p = f.text.lower()
        if p not in out:
            out.append(p)
            if len(out) == TOP_PHRASES:
                break
    return out


def report_rows(doc: Document, report) -> tuple[dict, list[dict]]:
    findings = list(report.findings)
    row = {
        "id": doc.id,
        "source": doc.source,
        "words": int(report.words),
        "spin_score": None if report.spin_score is None else float(report.spin_score),
        "verdict": str(report.verdict),
        "n_findings": sum(1 for f in findings if f.level == LEVEL_FINDING),
        "n_suspects": sum(1 for f in findings if f.level != LEVEL_FINDING),
        "listed_hits": sum(1 for f in findings if is_listed(f)),
        "top_phrases": top_phrases(findings),
        "error": None,
        "notes": [str(n) for n in (report.notes or [])],
        "stage": getattr(report, "stage", "full"),
        "encoding": getattr(report, "encoding", None) or getattr(doc, "encoding", None),
    }
    frows = []
    for f in findings:
        d = f.to_dict()
        frows.append({"doc_id": doc.id, "start": d["start"], "end": d["end"], "text": d["text"],
                      "suggestions": d["suggestions"], "confidence": d["confidence"], "evidence": d["evidence"],
                      "source": d["source"], "rule_id": d["rule_id"], "detail": d["detail"], "level": d["level"]})
    return row, frows


def screen_document(doc: Document, check_fn: Callable | None = None, options: dict | None = None
                    ) -> tuple[dict, list[dict]]:
    """(results row, finding rows) for one document. Never raises."""
    try:
        doc = doc.load()
    except Exception as e:  # load() already catches parser errors; belt and braces
        return error_row(doc, f"{doc.source}: could not be read: {type(e).__name__}: {e}"), []
    if doc.error:
        return error_row(doc, doc.error), []
    try:
        fn = resolve_check(check_fn)
        report = fn(doc.text, path=doc.id, **(options or {}))
        return report_rows(doc, report)
    except MemoryError:
        return error_row(doc, f"{doc.source}: out of memory while checking (document {doc.id})"), []
    except Exception as e:
        return error_row(doc, f"{doc.source}: check failed: {type(e).__name__}: {e}"), []


def call_with_timeout(fn: Callable, timeout: float | None):
    """Run fn() in a helper thread and wait at most `timeout` seconds (None: no limit). On timeout raise
    DocumentTimeout; the thread cannot be killed and finishes in the background (daemon)."""
    if not timeout:
        return fn()
    box: dict = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as e:  # pragma: no cover - screen_document does not raise
            box["error"] = e

    t = threading.Thread(target=target, daemon=True, name="unspin-screen-doc")
    t.start()
    t.join(timeout)
    if t.is_alive():
        raise DocumentTimeout
    if "error" in box:
        raise box["error"]
    return box["value"]


_WARM: set = set()


def warm_up(check_fn: Callable | None, options: dict | None) -> str | None:
    """Load the knowledge once per process, outside any per-document deadline. Returns None, or the error
    of the warm-up call (the documents then report their own failures one by one)."""
    key = (getattr(check_fn, "__module__", None), getattr(check_fn, "__qualname__", repr(check_fn)),
           repr(sorted((options or {}).items())))
    if key in _WARM:
        return None
    try:
        resolve_check(check_fn)(WARMUP_TEXT, **(options or {}))
    except Exception as e:
        return f"{type(e).__name__}: {e}"
    _WARM.add(key)
    return None


def screen_chunk(items: list[tuple[int, Document]], check_fn: Callable | None, options: dict | None,
                 timeout: float | None) -> list[tuple[int, dict, list[dict]]]:
    """A batch of (seq, document) -> [(seq, row, findings)]; what one Dask task runs."""
    warm_up(check_fn, options)
    out = []
    for seq, doc in items:
        try:
            row, frows = call_with_timeout(lambda d=doc: screen_document(d, check_fn, options), timeout)
        except DocumentTimeout:
            row, frows = error_row(doc, timeout_message(doc, timeout)), []
        out.append((seq, row, frows))
    return out
