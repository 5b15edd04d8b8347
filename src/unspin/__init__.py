"""unspin: find and undo synonym spinning.

Library first; the CLI (`unspin.cli`), the server (`unspin.serve`), screening (`unspin.screen`) and tracing
(`unspin.trace`) are thin wrappers around these functions:

    >>> import unspin
    >>> text = open("examples/spun-news.txt", encoding="utf-8").read()  # our own spun story, 145 words
    >>> report = unspin.check(text)
    >>> report.verdict, [(f.text, f.suggestions[0]) for f in report.findings if f.level == "finding"][:2]
    ('spun', [('Focal', 'central'), ('focal', 'central')])
    >>> unspin.restore(text).text[:30]
    'Central bank lifts rates again'

(A single sentence is too short for a verdict: texts under 40 words are `uncertain` with no spin score.)

Heavy knowledge (thesaurus index, language model) loads lazily on the first call and stays loaded.
"""
from __future__ import annotations

from .types import (LEVEL_FINDING, LEVEL_SUSPECT, SCHEMA_VERSION, Edit, ExitCode, Finding, FindingSource, Report,
                    Restored)

__version__ = "0.2.0"
__all__ = [
    "check",
    "restore",
    "apply_edits",
    "Finding",
    "FindingSource",
    "Report",
    "Restored",
    "Edit",
    "ExitCode",
    "SCHEMA_VERSION",
    "LEVEL_FINDING",
    "LEVEL_SUSPECT",
]


def check(text: str, **options) -> Report:
    """Find spun spans in `text`; every finding has a `level` (`finding` or the borderline `suspect`).
    Options: see `unspin.api.Options` (path=, threshold=, lm_path=, fingerprints=, index=, …)."""
    from .api import check as _check

    return _check(text, **options)


def restore(text: str, **options) -> Restored:
    """`check`, then replace each finding (not suspects, unless include_suspects=True) by its first
    suggestion; returns the text and replayable edits."""
    from .api import restore as _restore

    return _restore(text, **options)


def apply_edits(text: str, edits) -> str:
    """Replay edits (from `restore`) on the text they were made for; refuses edits that do not match."""
    from .edits import apply_edits as _apply

    return _apply(text, edits)
