"""Source tracing: find the documents a (spun) text was made from, and undo the spinning exactly.

    >>> from unspin.trace import TraceIndex, trace, restorations
    >>> with TraceIndex("idx", create=True) as ix:
    ...     ix.add(unspin.readers.iter_documents(["corpus/"]))
    >>> result = trace(spun_text, TraceIndex("idx"))      # ranked sources, alignment, restorations
    >>> restorations(spun_text, "idx")                      # list[Finding], rule "trace:<source id>"

See docs/trace.md. Modules: features (skeleton shingles, MinHash, paragraph pieces), store (SQLite + LSH),
align (thesaurus-aware token alignment), search (ranking, restorations), render (text/json/html), cli.
"""
from __future__ import annotations

import re
import threading
from pathlib import Path

from typing import TYPE_CHECKING

from ..types import Finding

if TYPE_CHECKING:  # imported lazily below: `unspin --help` must not pay for numpy/datasketch
    from .store import TraceIndex

_LAZY = {
    "DEFAULT_THRESHOLD": ("search", "DEFAULT_THRESHOLD"),
    "ParagraphMatch": ("search", "ParagraphMatch"),
    "SourceMatch": ("search", "SourceMatch"),
    "TraceResult": ("search", "TraceResult"),
    "trace": ("search", "trace"),
    "TraceIndexError": ("store", "IndexError_"),
    "TraceIndex": ("store", "TraceIndex"),
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        mod, attr = _LAZY[name]
        value = getattr(importlib.import_module(f".{mod}", __name__), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["read_documents", "TraceIndex", "TraceIndexError", "trace", "restorations", "open_index", "TraceResult", "SourceMatch",
           "ParagraphMatch", "DEFAULT_THRESHOLD"]

_OPEN: dict[str, TraceIndex] = {}
_HASH_SUFFIX = re.compile(r"@[0-9a-f]{8,64}$")


def read_documents(inputs, text_field: str = "text", id_field: str | None = None, encoding: str | None = None,
                   as_written: bool = False):
    """Documents of `inputs` via unspin.readers, with index ids: the readers' id without its content-hash
    suffix ("notes/a.txt", "rows.jsonl#3", or the --id-field value), so that re-adding a changed file replaces
    it and `index remove` takes the name a user knows. `encoding` forces the inputs' encoding (default:
    detected per file). `as_written`: a plain-text file's text exactly as decoded, its line endings kept
    (CRLF, CR), as `unspin check` reads it, so that offsets into it are offsets into the file's own text
    (`trace`); otherwise, and for other formats, newlines are normalised to "\n" as the readers give them."""
    from dataclasses import replace

    from ..readers import iter_documents

    for doc in iter_documents(inputs, text_field=text_field, id_field=id_field, encoding=encoding,
                              lazy=as_written):
        if doc.pending:
            doc = _loaded_as_written(doc)
        yield replace(doc, id=_HASH_SUFFIX.sub("", doc.id))


def _loaded_as_written(doc):
    """A pending document loaded; a plain-text one with the text exactly as decoded (line endings untouched)."""
    from dataclasses import replace

    from ..decoding import decode_bytes

    raw = doc.raw
    doc = doc.load()  # every check and message of the readers (empty, binary, undecodable, the encoding)
    if doc.text is None or doc.meta.get("format") != "text":
        return doc
    text = decode_bytes(raw, doc.source, encoding=doc.meta.get("forced_encoding")).text
    return replace(doc, text=text)


_LOCK = threading.Lock()


def open_index(index_dir, lsh_storage: str | None = None, restore_fn=None) -> "TraceIndex":
    """A shared, already-open TraceIndex for `index_dir` (kept open for repeated queries; it notices when
    another process adds or removes documents and refreshes itself)."""
    from .store import TraceIndex

    key = f"{Path(index_dir).resolve()}|{lsh_storage or ''}"
    with _LOCK:
        ix = _OPEN.get(key)
        if ix is None:
            ix = _OPEN[key] = TraceIndex(index_dir, lsh_storage=lsh_storage)
        if restore_fn is not None and ix._restore_fn is None:
            ix._restore_fn = restore_fn
        return ix


class TraceSource:
    """The FindingSource protocol (unspin.types) over a trace index: exact restorations from the source a
    text was spun from. `restore_fn(text) -> text` is what indexes with a "restored" feature kind need (the
    caller passes `unspin.restore`; trace never imports the engine)."""

    def __init__(self, index_dir, threshold: float | None = None, lsh_storage: str | None = None,
                 restore_fn=None):
        self.index_dir = index_dir
        self.threshold = threshold
        self.lsh_storage = lsh_storage
        self.restore_fn = restore_fn
        self._last: tuple | None = None  # (text, TraceResult) of the last text: find and confirmed share it

    def _result(self, text: str):
        if self._last is None or self._last[0] != text:
            self._last = (text, trace_result(text, self.index_dir, self.threshold, self.lsh_storage,
                                             self.restore_fn))
        return self._last[1]

    def find(self, text: str) -> list[Finding]:
        return self._result(text).restorations

    def confirmed(self, text: str) -> list[tuple[int, int]]:
        """Spans of `text` its traced source has word for word: model findings inside them are refuted."""
        from .search import confirmed_spans

        return confirmed_spans(self._result(text))


def restorations(text: str, index_dir, threshold: float | None = None, lsh_storage: str | None = None,
                 restore_fn=None) -> list[Finding]:
    """Exact restorations for `text` from the trace index at `index_dir`, each paragraph read off the source it
    was taken from (a text made from several sources is restored from each): one Finding per substitution
    (source "trace", detail = the source id, suggestion = the source's words, evidence "aligned with <source
    id> paragraph N"). Paragraphs that match no source above `threshold` get none."""
    return trace_result(text, index_dir, threshold, lsh_storage, restore_fn).restorations


def trace_result(text: str, index_dir, threshold: float | None = None, lsh_storage: str | None = None,
                 restore_fn=None):
    """The TraceResult of `text` against every source of the index (each owns the paragraphs it matches best)."""
    from .search import DEFAULT_THRESHOLD, trace

    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    ix = open_index(index_dir, lsh_storage, restore_fn)
    with ix.lock:  # one SQLite connection and LSH per index, shared by the threads of a server
        return trace(text, ix, top=0, threshold=threshold)
