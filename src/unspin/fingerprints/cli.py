"""`unspin fingerprints ...`: import/list/remove/export tortured-phrase lists, scan texts with them, mine new
candidates. Thin wrapper over `unspin.fingerprints`; heavy imports happen inside the handlers."""
from __future__ import annotations

import argparse
import sys

from ..types import SCHEMA_VERSION
from .parse import ALTERNATIVE_DROPPED

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INPUT = 0, 1, 2, 4  # = unspin.types.ExitCode (flags: 1 | 4 = 5)


def add_parser(subparsers) -> None:
    from ..cli_args import add_encoding_option  # import and match read files as every input is
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument("--db", metavar="PATH", help="fingerprint database (default: $UNSPIN_FINGERPRINTS_DB, else "
                    "fingerprints.sqlite in the user data dir)")
    p = subparsers.add_parser("fingerprints", help="known tortured-phrase lists: import, list, match, mine",
                              description="Manage lists of known tortured phrases (e.g. the PPS fingerprint list) "
                              "and mine new candidates from a corpus.")
    sub = p.add_subparsers(dest="fp_command", metavar="SUBCOMMAND")
    p.set_defaults(func=lambda args: (p.print_help(sys.stderr), EXIT_USAGE)[1])

    imp = sub.add_parser("import", parents=[db], help="import a list file (JSON, PPS CSV export, TSV/CSV)",
                         description="Import a list; a list with the same name is replaced.")
    imp.add_argument("file", metavar="FILE")
    imp.add_argument("--name", help="list name (default: the file name without extension)")
    imp.add_argument("--format", dest="fmt", default="auto", choices=["auto", "json", "pps-csv", "tsv"])
    imp.add_argument("--keep-uncertain", action="store_true",
                     help="import rows whose expected phrase is marked '(?)' (lower confidence) instead of skipping")
    add_encoding_option(imp)
    imp.add_argument("--show-skipped", action="store_true", help="print every skipped row (default: first 10)")
    imp.add_argument("--json", action="store_true", help="print the import summary as JSON")
    imp.set_defaults(func=run_import)

    ls = sub.add_parser("list", parents=[db], help="show the imported lists")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=run_list)

    rm = sub.add_parser("remove", parents=[db], help="delete a list")
    rm.add_argument("name", metavar="NAME")
    rm.set_defaults(func=run_remove)

    ex = sub.add_parser("export", parents=[db], help="write a list as TSV or JSON (to stdout or --out)")
    ex.add_argument("name", metavar="NAME")
    ex.add_argument("--format", dest="fmt", default="tsv", choices=["tsv", "json"])
    ex.add_argument("--out", metavar="FILE", help="write here instead of stdout")
    ex.set_defaults(func=run_export)

    from ..cli_args import whole_number

    mt = sub.add_parser("match", parents=[db], help="scan files with the listed fingerprints only (no model)",
                        description="Scan files with the listed fingerprints only (no model). Exit code (flags): "
                                    "1 listed hits, 4 a file could not be read (5: both), 0 none, 2 usage error.")
    mt.add_argument("files", nargs="+", metavar="FILE", help="text files ('-' = stdin)")
    mt.add_argument("--lists", help="comma-separated list names (default: all)")
    mt.add_argument("--high", type=whole_number(1), default=5, metavar="N",
                    help="distinct listed fingerprints for risk 'high' (default 5; at least --medium)")
    mt.add_argument("--medium", type=whole_number(1), default=2, metavar="N",
                    help="... for risk 'medium' (default 2; at least 1)")
    mt.add_argument("--json", action="store_true", help="one JSON object per file (JSON Lines)")
    mt.add_argument("--variants", action="store_true", help="also report variants of listed phrases (suspects: the "
                    "lists' word swaps giving a listed expected phrase; they set no exit code, nor the risk)")
    add_encoding_option(mt)
    mt.set_defaults(func=run_match)

    mn = sub.add_parser("mine", parents=[db], help="find candidate new fingerprints in a corpus",
                        description="Run `check` over a corpus, group findings by normalised phrase, keep those "
                        "seen in at least --min-docs documents, rank by documents and mean confidence.")
    mn.add_argument("corpus", nargs="+", metavar="CORPUS", help="text files or directories (*.txt, *.md)")
    mn.add_argument("--min-docs", type=int, default=3, help="minimum number of distinct documents (default 3)")
    mn.add_argument("--out", metavar="FILE.csv", help="write candidates as CSV (default: a table on stdout)")
    mn.add_argument("--include-listed", action="store_true", help="keep phrases that a list already has")
    mn.add_argument("--top", type=whole_number(1), default=50, metavar="N",
                    help="rows to print when no --out (default 50)")
    mn.add_argument("--json", action="store_true", help="print candidates as JSON")
    mn.set_defaults(func=run_mine)


def _err(msg: str) -> None:
    print(f"unspin fingerprints: {msg}", file=sys.stderr)


def run_import(args) -> int:
    import json

    from . import FingerprintFormatError, NoUsableRowsError, StoreError, import_file

    try:
        info, result = import_file(args.file, args.name, args.fmt, args.db, keep_uncertain=args.keep_uncertain,
                                   encoding=args.encoding)
    except NoUsableRowsError as e:
        _show_skipped(args, e.result)  # why every row was refused
        _err(str(e))
        if args.json:  # a reader of --json gets an answer for the file too, not an empty stdout
            print(json.dumps({"schema": SCHEMA_VERSION, "file": str(args.file), "entries": 0, "error": str(e),
                              "skipped_rows": [{e.result.unit: s.line, "reason": s.reason, "raw": s.raw}
                                               for s in e.result.skipped]}, ensure_ascii=False, indent=2))
        return EXIT_INPUT
    except FingerprintFormatError as e:
        _err(str(e))
        return EXIT_INPUT
    except StoreError as e:
        _err(str(e))
        return EXIT_USAGE if "invalid list name" in str(e) else EXIT_INPUT
    if args.json:
        d = {"schema": SCHEMA_VERSION, **info.to_dict()}
        d["skipped_rows"] = [{result.unit: s.line, "reason": s.reason, "raw": s.raw} for s in result.skipped]
        print(json.dumps(d, ensure_ascii=False, indent=2))
    else:
        dropped = sum(s.reason.startswith(ALTERNATIVE_DROPPED) for s in result.skipped)
        rows = info.skipped - dropped
        print(f"imported {info.entries:,} fingerprint{'' if info.entries == 1 else 's'} as '{info.name}' from "
              f"{args.file} ({info.format}); skipped {rows:,} row{'' if rows == 1 else 's'}"
              + (f" and {dropped:,} alternative{'' if dropped == 1 else 's'} of OR queries whose other alternatives "
                 "were imported" if dropped else ""))
        for reason, n in info.skipped_by_reason.items():
            print(f"  {n:>6,}  {reason}")
        _show_skipped(args, result)
    _warn_common_words(args.name, result.entries)
    return EXIT_OK


COMMON_ZIPF = 4.0  # a single word this common (Zipf) is in most honest texts: listed alone it flags them


def _warn_common_words(name: str, entries) -> None:
    """A listed single common word with no condition ("count", "built": a `mine` candidate not reviewed) is a
    finding in every honest text that uses it; the import keeps it (the user may mean it) and says so."""
    from ..knowledge.morph import zipf
    from .parse import normalise

    # one word as the matcher reads it: a hyphenated compound ("end-to-cease") is the phrase of its words, and
    # wordfreq's estimate for it (from its parts) says nothing about how often honest text writes it
    common = sorted({e.tortured.lower() for e in entries if " " not in normalise(e.tortured) and not e.require
                     and e.proximity is None and zipf(e.tortured.lower()) >= COMMON_ZIPF})
    if common:
        shown = ", ".join(repr(w) for w in common[:8]) + (" …" if len(common) > 8 else "")
        _err(f"warning: list '{name}' has {len(common)} single common word{'s' if len(common) > 1 else ''} with no "
             f"condition ({shown}): each will be a finding wherever honest text uses it; remove "
             "them, or give them a condition (docs/fingerprints.md)")


def _show_skipped(args, result) -> None:
    skipped = result.skipped
    show = skipped if args.show_skipped else skipped[:10]
    for s in show:
        print(f"{result.where(s, args.file)}: skipped ({s.reason}): {s.raw}", file=sys.stderr)
    if len(show) < len(skipped):
        print(f"... {len(skipped) - len(show)} more skipped rows (use --show-skipped)", file=sys.stderr)


def _store(args, create=False):
    from .store import Store

    return Store(args.db, create=create)


def run_list(args) -> int:
    import json

    from .store import StoreError, resolve_db

    path = resolve_db(args.db)
    if not path.exists():
        infos = []
    else:
        try:
            with _store(args) as st:
                infos = st.lists()
        except StoreError as e:
            _err(str(e))
            return EXIT_INPUT
    if args.json:
        print(json.dumps({"schema": SCHEMA_VERSION, "db": str(path), "lists": [i.to_dict() for i in infos]},
                         indent=2))
        return EXIT_OK
    print(f"database: {path}")
    if not infos:
        print("no lists (import one with: unspin fingerprints import FILE --name NAME)")
    for i in infos:
        print(f"{i.name:<20} {i.entries:>7,} fingerprints  {i.skipped:>5,} skipped  {i.format:<8} {i.imported_at}  "
              f"{i.source}")
    return EXIT_OK


def run_remove(args) -> int:
    from .store import StoreError

    try:
        with _store(args) as st:
            ok = st.remove(args.name)
            known = [i.name for i in st.lists()]
    except StoreError as e:
        _err(str(e))
        return EXIT_INPUT
    if not ok:  # said as `export` and `--lists` say it
        _err(f"no list named {args.name!r} (known: {', '.join(known) or 'none'})")
        return EXIT_USAGE
    print(f"removed list '{args.name}'")
    return EXIT_OK


def run_export(args) -> int:
    import csv
    import io
    import json

    from .store import StoreError, UnknownListError

    try:
        with _store(args) as st:
            rows = st.entries([args.name])
    except StoreError as e:
        _err(str(e))
        return EXIT_USAGE if isinstance(e, UnknownListError) else EXIT_INPUT
    buf = io.StringIO()
    lossy = 0
    if args.fmt == "json":
        phrases = []
        for _, e, _ in rows:
            item = {"tortured": e.tortured, "correct": e.expected}
            if e.num_papers is not None:
                item["num_papers"] = e.num_papers
            if e.require or e.exclude or e.proximity is not None:
                item["query"] = e.query()
            phrases.append(item)
        json.dump({"name": args.name, "totalPhrases": len(phrases), "phrases": phrases}, buf, ensure_ascii=False,
                  indent=1)
        buf.write("\n")
    else:
        w = csv.writer(buf, delimiter="\t", lineterminator="\n")
        w.writerow(["tortured", "expected", "num_papers"])
        for _, e, _ in rows:
            lossy += bool(e.require or e.exclude or e.proximity is not None)
            w.writerow([e.tortured, e.expected, "" if e.num_papers is None else e.num_papers])
    if lossy:
        _err(f"{lossy} entries have context/proximity conditions that TSV cannot hold (use --format json)")
    if args.out:
        try:
            with open(args.out, "w", encoding="utf-8", newline="") as fh:
                fh.write(buf.getvalue())
        except OSError as e:
            _err(f"{args.out}: cannot write: {e.strerror or e}")
            return EXIT_INPUT
    else:
        sys.stdout.write(buf.getvalue())
    return EXIT_OK


def run_match(args) -> int:
    import json

    from . import StoreError, UnknownListError, density, is_listed, load
    from ..text import count_words, line_col

    if args.high < args.medium:  # the levels rise with the count: high can never be reached below medium
        _err(f"--high ({args.high}) must be at least --medium ({args.medium})")
        return EXIT_USAGE
    names = [n.strip() for n in args.lists.split(",") if n.strip()] if args.lists else None
    try:
        fs = load(names, args.db)
    except StoreError as e:
        _err(str(e))
        return EXIT_USAGE if isinstance(e, UnknownListError) else EXIT_INPUT
    if not fs:
        _err("no fingerprints loaded (import a list first: unspin fingerprints import FILE)")
    from ..inputs import read_inputs

    status = EXIT_OK
    for path, inp, err in read_inputs(args.files, args.encoding):
        if err:
            _err(err)
            status |= EXIT_INPUT
            if args.json:  # one object per file, as `check --format json` does: a reader sees every input
                print(json.dumps({"schema": SCHEMA_VERSION, "path": path, "error": err}, ensure_ascii=False))
            continue
        text = inp.text
        hits = fs.find(text) if args.variants else fs.match(text)
        if any(is_listed(f) for f in hits):
            status |= EXIT_FINDINGS
        dens = density(hits, count_words(text), {"high": args.high, "medium": args.medium})
        if args.json:
            print(json.dumps({"schema": SCHEMA_VERSION, "path": path, "density": dens,
                              "findings": [f.to_dict() for f in hits]},
                             ensure_ascii=False))
            continue
        for f in hits:
            ln, col = line_col(text, f.start)
            kind = "" if is_listed(f) else " (variant)"
            print(f"{path}:{ln}:{col}: {f.text!r} -> {f.suggestions[0] if f.suggestions else '(no replacement: words apart)'!r} [{f.detail}]{kind} {f.confidence:.2f}")
        n_var = sum(1 for f in hits if not is_listed(f))
        print(f"{path}: {dens['listed']} listed fingerprints ({dens['distinct']} distinct), "
              f"{dens['per_1000_words']:.2f} per 1,000 words, risk {dens['risk']}"
              + (f"; {n_var} variant{'s' if n_var != 1 else ''} of listed phrases" if args.variants else ""))
    return status


def _unwritable(path: str) -> str | None:
    """Why `path` cannot be written as an output file, or None: tried by opening it for appending (an existing
    file is not changed), and a file made for the test is removed again."""
    import os

    if os.path.isdir(path):
        return "is a directory, expected a file name"
    parent = os.path.dirname(path) or "."
    if not os.path.isdir(parent):
        return f"directory {parent} does not exist"
    existed = os.path.lexists(path)
    try:
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as e:
        return f"cannot write: {e.strerror or e}"
    if not existed:
        try:
            os.remove(path)
        except OSError:
            pass
    return None


def run_mine(args) -> int:
    import json
    from pathlib import Path

    from . import StoreError, candidates_csv, load, mine_corpus

    if args.min_docs < 1:
        _err("--min-docs must be at least 1")
        return EXIT_USAGE
    if args.out and (why := _unwritable(args.out)):  # before mining, which can take long
        _err(f"--out {args.out}: {why}")
        return EXIT_USAGE
    errors: list[str] = []
    paths = []
    for c in args.corpus:
        if Path(c).exists():
            paths.append(Path(c))
        else:
            errors.append(f"{c}: no such file or directory")
    try:
        known = load(None, args.db)
    except StoreError as e:
        # every document's check would fail the same way: said once, nothing mined (a --db named on the command
        # line is a bad option, as for check; the default database is an input)
        _err(str(e))
        return EXIT_USAGE if args.db else EXIT_INPUT
    import unspin

    def check_fn(text):  # every finding counts, suspects included: recurrence filters their noise
        return unspin.check(text, fingerprints_db=args.db)

    result = mine_corpus(paths, min_docs=args.min_docs, check_fn=check_fn, include_listed=args.include_listed,
                         known=known, errors=errors)
    for e in result.errors:
        _err(e)
    cands = result.candidates
    if args.out:
        try:
            Path(args.out).write_text(candidates_csv(cands), encoding="utf-8")
        except OSError as e:  # it could be written when checked: keep the mined candidates on stdout
            _err(f"{args.out}: cannot write: {e.strerror or e}; the candidates follow on stdout")
            sys.stdout.write(candidates_csv(cands))
            return EXIT_INPUT
        print(f"{len(cands)} candidates from {result.documents} documents written to {args.out}")
    elif args.json:
        print(json.dumps({"schema": SCHEMA_VERSION, "documents": result.documents,
                          "candidates": [c.to_dict() for c in cands]},
                         ensure_ascii=False, indent=1))
    else:
        print(f"{len(cands)} candidates (≥ {args.min_docs} documents) from {result.documents} documents")
        for c in cands[: args.top]:
            print(f"{c.docs:>4} docs {c.occurrences:>5}x  conf {c.mean_confidence:.2f}  {c.phrase!r} -> "
                  f"{c.expected!r}" + (f"  [{c.listed}]" if c.listed else ""))
    return EXIT_INPUT if result.errors else EXIT_OK
