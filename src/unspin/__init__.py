"""unspin: find and undo synonym spinning.

Library first; the CLI (`unspin.cli`), the server (`unspin.serve`), screening (`unspin.screen`) and tracing
(`unspin.trace`) are thin wrappers around these functions:

    >>> import unspin
    >>> report = unspin.check("The focal bank raised its premium rate.")
    >>> [(f.text, f.suggestions[0]) for f in report.findings]
    >>> unspin.restore(text).text

Heavy knowledge (thesaurus index, language model) loads lazily on the first call and stays loaded.
"""
from __future__ import annotations

from . import restore as _restore_module  # noqa: F401  loaded first so the name `restore` below stays the
# function: importing a submodule later would otherwise rebind `unspin.restore` to the module
from .types import SCHEMA_VERSION, Edit, ExitCode, Finding, Report, Restored

__version__ = "0.1.0"
__all__ = [
    "check",
    "restore",
    "apply_edits",
    "Finding",
    "Report",
    "Restored",
    "Edit",
    "ExitCode",
    "SCHEMA_VERSION",
]


def check(text: str, **options) -> Report:
    """Find spun spans in `text`. Options: see `unspin.engine.Options` (e.g. path=, threshold=, lm_path=,
    fingerprints= (list names or a FingerprintSet), index= (a trace index dir)."""
    from .engine import check as _check

    return _check(text, **options)


def restore(text: str, **options) -> Restored:
    """`check` then replace each flagged span by its first suggestion; returns text + replayable edits."""
    from .restore import restore as _restore

    return _restore(text, **options)


def apply_edits(text: str, edits) -> str:
    from .restore import apply_edits as _apply

    return _apply(text, edits)
