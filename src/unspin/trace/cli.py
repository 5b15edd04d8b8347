"""`unspin index add|info|remove` and `unspin trace` (import-light: heavy modules load inside run)."""
from __future__ import annotations

import argparse
import json
import sys

from ..cli_args import add_encoding_option, probability
from ..types import SCHEMA_VERSION, ExitCode


def add_parser(subparsers) -> None:
    ix = subparsers.add_parser(
        "index", help="build and manage a trace index of source documents",
        description="Build and manage a trace index (SQLite file + LSH tables) of source documents that "
                    "`unspin trace` and `unspin check --index` search.")
    ixsub = ix.add_subparsers(dest="index_command", metavar="ACTION")

    def common(p):
        p.add_argument("--index", required=True, metavar="DIR", help="index directory (created by `index add`)")
        p.add_argument("--lsh-storage", metavar="URL", default=None,
                       help="keep the LSH tables in Redis: redis://host:port[/db] (default: in memory, rebuilt "
                            "from the SQLite file; once set at creation it is remembered)")

    add = ixsub.add_parser("add", help="add documents (files, directories, JSONL/CSV/Parquet rows, -)",
                           description="Add documents to a trace index, creating it if needed. A document "
                                       "whose id is already indexed is replaced if its text changed.")
    add.add_argument("paths", nargs="+", metavar="PATH")
    common(add)
    add.add_argument("--text-field", default="text", help="text column/key of JSONL, CSV, Parquet (default text)")
    add.add_argument("--id-field", default=None, help="id column/key of JSONL, CSV, Parquet (default: file#row)")
    add.add_argument("--features", default=None, metavar="LIST",
                     help="feature kinds for a NEW index, comma-separated: skeleton (default; names, numbers, "
                          "rare words and function words in order) and/or restored (word shingles of "
                          "unspin.restore(text); slow to build)")
    add.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    add_encoding_option(add)
    add.set_defaults(func=run_add)

    info = ixsub.add_parser("info", help="show what an index holds")
    common(info)
    info.add_argument("--format", choices=("text", "json"), default="text")
    info.set_defaults(func=run_info)

    rm = ixsub.add_parser("remove", help="remove documents by id")
    rm.add_argument("ids", nargs="+", metavar="ID")
    common(rm)
    rm.set_defaults(func=run_remove)
    ix.set_defaults(func=lambda args: _usage(ix))

    tr = subparsers.add_parser(
        "trace", help="find the indexed sources of a (spun) text and align it with them",
        description="Rank the indexed sources of each document in FILE, show the best one side by side with "
                    "every substitution marked, and list the substitutions as exact restorations (each paragraph "
                    "restored from the source it was taken from). Exit code (flags, added up): 1 a source "
                    "matches, 4 an input could not be read (5: both), 0 no source matches; 2 usage errors "
                    "(including a missing index and an --output that cannot be written).")
    tr.add_argument("files", nargs="+", metavar="FILE", help="file(s), directory, JSONL/CSV/Parquet, or - (stdin)")
    common(tr)
    tr.add_argument("--format", choices=("text", "json", "html"), default="text",
                    help="text (default), json (one object per document, one per line), html (one page)")
    tr.add_argument("--top", type=int, default=5, metavar="K", help="show the K best sources (default 5)")
    tr.add_argument("--threshold", type=probability, default=None, metavar="T",
                    help="alignment score a paragraph needs to count as copied (0-1, default 0.5)")
    tr.add_argument("--text-field", default="text")
    tr.add_argument("--id-field", default=None)
    tr.add_argument("--output", "-o", default=None, metavar="PATH", help="write the report here (default stdout)")
    tr.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="text format colours")
    add_encoding_option(tr)
    tr.set_defaults(func=run_trace)


def _usage(parser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _err(msg: str) -> None:
    print(f"unspin: {msg}", file=sys.stderr)


def _open(args, create=False, features=None):
    from . import TraceIndex

    import unspin

    return TraceIndex(args.index, create=create, lsh_storage=args.lsh_storage, features=features,
                      restore_fn=lambda t: unspin.restore(t, fingerprints=False).text)


def warn_if_empty(ix, prefix: str = "unspin") -> None:
    """A line on standard error when the index holds no documents: then "no source matches" says nothing."""
    if not ix.document_count():
        print(f"{prefix}: {ix.dir}: the index holds no documents, so no source can match (add some with "
              f"`unspin index add FILES --index {ix.dir}`)", file=sys.stderr)


def run_add(args) -> int:
    import time

    from . import TraceIndexError, read_documents

    features = [f.strip() for f in args.features.split(",") if f.strip()] if args.features else None
    try:
        ix = _open(args, create=True, features=features)
    except TraceIndexError as e:
        _err(str(e))
        return 2
    t0 = time.time()

    def on_error(doc):
        _err(doc.error or f"{doc.source}: no text")

    def progress(stats):
        if not args.quiet and sys.stderr.isatty():
            print(f"\r{stats.added + stats.replaced + stats.unchanged} documents, {stats.paragraphs} paragraphs",
                  end="", file=sys.stderr)

    try:
        with ix:
            docs = read_documents(args.paths, text_field=args.text_field, id_field=args.id_field,
                                  encoding=args.encoding)
            stats = ix.add(docs, on_error=on_error, progress=progress)
            info = ix.info()
    except TraceIndexError as e:
        _err(str(e))
        return 2
    for new_id, old_id in stats.same_text:
        _err(f"{new_id}: not added: the index holds the same text as {old_id} (remove that id first to rename it)")
    if not args.quiet:
        if sys.stderr.isatty():
            print(file=sys.stderr)
        dt = time.time() - t0
        same = len(stats.same_text)
        print(f"{args.index}: added {stats.added}, replaced {stats.replaced}, unchanged {stats.unchanged}"
              + (f", not added (same text as an indexed id) {same}" if same else "")
              + f" document(s) ({stats.paragraphs} paragraphs) in {dt:.1f}s; {len(stats.errors)} error(s); "
              f"index now holds {info['documents']} documents")
    return int(ExitCode.INPUT if stats.errors else ExitCode.OK)


def run_info(args) -> int:
    from . import TraceIndexError

    try:
        with _open(args) as ix:
            info = ix.info()
    except TraceIndexError as e:
        _err(str(e))
        return 2
    if args.format == "json":
        print(json.dumps({"schema": SCHEMA_VERSION, **info}))
    else:
        for k, v in info.items():
            if k == "bytes":
                v = f"{v} ({v / 1e6:.1f} MB)"
            elif k == "created" and isinstance(v, (int, float)):  # (the JSON keeps the epoch seconds)
                from datetime import datetime, timezone

                v = datetime.fromtimestamp(v, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
            print(f"{k:14} {v}")
    return 0


def run_remove(args) -> int:
    from . import TraceIndexError

    try:
        with _open(args) as ix:
            missing = [i for i in args.ids if not ix.remove(i)]
    except TraceIndexError as e:
        _err(str(e))
        return 2
    for i in missing:
        _err(f"{args.index}: no document with id {i!r}")
    removed = len(args.ids) - len(missing)
    print(f"{args.index}: removed {removed} document(s)")
    return 4 if missing else 0


def run_trace(args) -> int:
    from . import DEFAULT_THRESHOLD, TraceIndexError, read_documents, trace
    from .render import to_html, to_json, to_text

    threshold = DEFAULT_THRESHOLD if args.threshold is None else args.threshold
    if args.top < 1:
        _err(f"--top must be at least 1, got {args.top}")
        return 2
    try:
        ix = _open(args)
    except TraceIndexError as e:
        _err(str(e))
        return 2
    warn_if_empty(ix)
    try:
        out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
    except OSError as e:
        # before any input is read, nothing processed: a bad command line (2, alone), named as the option and
        # path, as `check --output-dir` and `fingerprints mine --out` say theirs; not 4, which says inputs were
        # processed and one could not be read
        print(f"unspin trace: --output {args.output}: cannot write: {e.strerror or e}", file=sys.stderr)
        ix.close()
        return int(ExitCode.USAGE)
    color = args.color == "always" or (args.color == "auto" and not args.output and sys.stdout.isatty())
    found = False
    bad = False
    results = []
    try:
        # (a text file as written, CRLF kept: offsets in every format index the file's text as `check` reads it)
        for doc in read_documents(args.files, text_field=args.text_field, id_field=args.id_field,
                                  encoding=args.encoding, as_written=True):
            if doc.error or doc.text is None:
                msg = doc.error or f"{doc.source}: no text"
                _err(msg)
                if args.format == "json":  # one line per input, as `check --format json` writes it
                    out.write(json.dumps({"schema": SCHEMA_VERSION, "path": doc.id or doc.source, "error": msg},
                                         ensure_ascii=False) + "\n")
                bad = True
                continue
            try:
                r = trace(doc.text, ix, top=args.top, threshold=threshold, path=doc.id)
            except TraceIndexError as e:
                _err(str(e))
                return 2
            r.encoding = doc.encoding
            found = found or bool(r.sources)
            if args.format == "json":
                out.write(to_json(r) + "\n")
            elif args.format == "text":
                out.write(to_text(r, color=color))
            else:
                results.append(r)
        if args.format == "html":
            out.write(to_html(results))
    finally:
        if out is not sys.stdout:
            out.close()
        ix.close()
    code = ExitCode.OK
    if bad:
        code |= ExitCode.INPUT
    if found:
        code |= ExitCode.FINDINGS
    return int(code)


def main(argv=None) -> int:  # pragma: no cover - convenience for `python -m unspin.trace.cli`
    p = argparse.ArgumentParser(prog="unspin")
    add_parser(p.add_subparsers(dest="command"))
    args = p.parse_args(argv)
    return args.func(args) if getattr(args, "func", None) else 2
