"""Subcommands of the core engine: check, restore, knowledge, train, bench. Thin wrappers over the library."""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path

from .cli_args import add_encoding_option, installed_thesauri, probability, whole_number
from .inputs import DEFAULT_MAX_BYTES
from .types import LEVEL_FINDING, SCHEMA_VERSION, ExitCode


def _engine_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("engine options")
    g.add_argument("--threshold", type=probability, help="detector probability for a finding (default: the model's, "
                   "chosen for ≤ 1 false finding per 1,000 words of clean prose)")
    g.add_argument("--review", action="store_true", help="review mode: also show borderline spans (level "
                   "'suspect'; restore applies them too); for a person going through one text, expect false alarms")
    g.add_argument("--lm", dest="lm_path", metavar="FILE", help="KenLM ARPA/binary model instead of the built-in one")
    g.add_argument("--max-bytes", type=whole_number(0), default=DEFAULT_MAX_BYTES, metavar="N",
                   help=f"refuse inputs larger than this (default {DEFAULT_MAX_BYTES:,}: about 20-25 minutes of "
                   "checking fresh prose on one core; text in very short paragraphs, such as subtitles, takes "
                   "several times longer; 0 = no limit)")
    g.add_argument("--thesauri", metavar="NAMES", type=installed_thesauri, help="thesauri to draw candidate originals "
                   "from (comma-separated: moby, mythes, wordnet; default: every installed one)")
    g.add_argument("--model", dest="model_path", metavar="FILE", help="model weights file (default: the shipped one)")
    lists = g.add_mutually_exclusive_group()
    lists.add_argument("--no-fingerprints", action="store_true", help="do not match imported tortured-phrase lists")
    lists.add_argument("--lists", metavar="NAMES", help="comma-separated fingerprint lists to use (default: all)")
    g.add_argument("--no-variants", action="store_true", help="imported lists: their listed phrases only, no "
                   "variants of them (suspects, docs/fingerprints.md)")
    g.add_argument("--fingerprints-db", metavar="FILE", help="fingerprint database (default: user data dir)")
    g.add_argument("--index", metavar="DIR", help="trace index: restore exactly from an aligned source text")
    g.add_argument("--allow", metavar="FILE", help="words and phrases never to report, one per line (# comments): "
                   "your field's jargon; a single word covers its inflections")


def _options_from(args) -> dict:
    opts: dict = {}
    if args.threshold is not None:
        opts["threshold"] = args.threshold
    if args.lm_path:
        opts["lm_path"] = args.lm_path
    if getattr(args, "thesauri", None):
        opts["thesauri"] = args.thesauri  # checked when parsed (cli_args.installed_thesauri)
    if args.model_path:
        opts["model_path"] = args.model_path
    if getattr(args, "no_variants", False):
        opts["variants"] = False
    if args.no_fingerprints:  # wins over --lists: no list at all
        opts["fingerprints"] = False
    elif args.lists:
        opts["fingerprints"] = [x.strip() for x in args.lists.split(",") if x.strip()]
    if args.fingerprints_db:
        opts["fingerprints_db"] = args.fingerprints_db
    if args.index:
        opts["index"] = args.index
    if getattr(args, "allow", None):
        from .api import read_allow_file

        opts["allow"] = read_allow_file(args.allow)  # a ValueError naming the file: usage error (exit 2)
    return opts


def add_parser(sub) -> None:
    p = sub.add_parser("check", help="find spun words and phrases", description="Find spun words and phrases. "
                       "Exit code (flags, added up): 1 findings, 4 an input could not be read (5: both); 0 nothing "
                       "found; 2 usage error.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="text files or directories of them (.txt, .md, .rst); "
                   "- reads standard input")
    p.add_argument("--format", choices=("text", "json", "html"), default="text")
    p.add_argument("--output-dir", metavar="DIR", help="with --format html: write one page per input here")
    add_encoding_option(p)
    _engine_options(p)
    p.set_defaults(func=run_check)

    p = sub.add_parser("restore", help="the text with spun spans replaced by their originals",
                       description="Replace spun spans by their originals. One input: the restored text on stdout; "
                       "several inputs or directories: one restored file per input under --out-dir, in the "
                       "input's own encoding. Exit code (flags): 1 something was restored, 4 an input could not be "
                       "read or written (5: both); 0 nothing to restore; 2 usage error.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="text files or directories of them (.txt, .md, .rst); "
                   "- reads standard input")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--out-dir", metavar="DIR", help="write one restored file per input here (same name; a "
                   "directory's files keep their relative paths); needed for several inputs with --format text")
    p.add_argument("--min-confidence", type=probability, default=0.0,
                   help="only restore findings at least this sure (0-1)")
    add_encoding_option(p)
    _engine_options(p)
    p.set_defaults(func=run_restore)

    p = sub.add_parser("knowledge", help="build or describe the cached knowledge indexes")
    ks = p.add_subparsers(dest="knowledge_cmd", metavar="ACTION")
    b = ks.add_parser("build", help="parse thesauri into the cache (done automatically on first use)")
    b.add_argument("--sources", default=None, help="comma-separated: moby, mythes, wordnet (default: every "
                   "installed one)")
    b.set_defaults(func=run_knowledge_build)
    i = ks.add_parser("info", help="where the cache is and what it holds")
    i.set_defaults(func=run_knowledge_info)

    p = sub.add_parser("train", help="learn the engine's weights from spinner output (writes the model file)")
    p.add_argument("--corpus", metavar="DIR", help="clean corpus (default: ../shared/data when present)")
    p.add_argument("--words", type=int, default=40_000, help="train-split words per register")
    p.add_argument("--dev-words", type=int, default=25_000, help="dev-split words per register")
    p.add_argument("--calib-words", type=int, default=25_000,
                   help="clean train-split words per register for the document model and false-alarm calibration")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--out", metavar="FILE", help="model file to write (default: the package's model.json)")
    p.add_argument("--jobs", type=int, default=2, help="processes for spinning and feature extraction")
    p.add_argument("--cuts-only", "--screen-only", dest="cuts_only", action="store_true",
                   help="only choose the corpus screen's first-stage cut, the `clean` verdict's cut (on dev documents "
                   "spun under each spinner condition) and the short texts' `spun` cut (on honest short texts cut from "
                   "dev documents) again and write the model with them to --out (default: the "
                   "package's model file; the model read is --out's when that file exists, else the package's)")
    p.add_argument("--findings-pass-only", metavar="BASE", dest="findings_pass_only",
                   help="fit only the findings' second pass (with the local context) and choose the finding and "
                   "suspect thresholds again, on the first pass of the model file BASE, every other stage (the spin "
                   "score and its cuts included) kept as it is; written to --out (default: the package's model file)")
    p.set_defaults(func=run_train)

    p = sub.add_parser("bench", help="measure the engine on spinner output and clean text (see BENCHMARKS.md)")
    p.add_argument("--corpus", metavar="DIR", help="clean corpus (default: ../shared/data when present)")
    p.add_argument("--words", type=int, default=3_000, help="test-split words per register to spin, per condition")
    p.add_argument("--clean-words", type=int, default=20_000, help="test-split words per register checked unspun")
    p.add_argument("--rates", default="0.1,0.3", help="spinning rates, comma-separated (default 0.1,0.3)")
    p.add_argument("--styles", default="crude,rewriter,careful",
                   help="spinner styles, comma-separated (default crude,rewriter,careful)")
    p.add_argument("--pps", metavar="FILE", help="PPS-format list (JSON/CSV) for the tortured-phrase run")
    p.add_argument("--pps-limit", type=int, default=2000, help="phrases sampled from the PPS list")
    p.add_argument("--seed", type=int, default=101, help="spinner seed base (held out from training seeds)")
    p.add_argument("--out", metavar="FILE", help="JSON results file")
    p.add_argument("--quick", action="store_true", help="tiny run (harness check)")
    p.set_defaults(func=run_bench)


def _report_input_error(name: str, err: str, fmt: str) -> None:
    """An input that could not be processed: the message on stderr, and an error record in JSON output."""
    print(f"unspin: {err}", file=sys.stderr)
    if fmt == "json":
        print(json.dumps({"schema": SCHEMA_VERSION, "path": name, "error": err}, ensure_ascii=False), flush=True)


def _config_error(e: Exception) -> bool:
    """Errors that concern the command's options (a missing --index, an optional package missing), not one
    input: every further input would fail the same way. (Unknown lists and --lm/--model files that cannot be
    loaded are refused before any input: `_lists_problem`, `_model_files_problem`.)"""
    from .knowledge.paths import CacheDirError

    return isinstance(e, (FileNotFoundError, ImportError, CacheDirError))


def _lists_problem(opts: dict, command: str) -> int | None:
    """The exit code when the fingerprint lists asked for (`--lists`, or every list of the database by default)
    cannot be used, after saying why: an unknown name is a usage error (2), an unreadable database an input
    error (4). Checked once, before any input, so the message is not repeated per file; the set is cached for
    the run."""
    names = opts.get("fingerprints")
    if names is False:
        return None
    from . import fingerprints as fp

    given = opts.get("fingerprints_db")
    if given and os.path.isdir(given):
        print(f"unspin {command}: --fingerprints-db {given}: is a directory; name the database file in it (e.g. "
              f"{os.path.join(given, 'fingerprints.sqlite')})", file=sys.stderr)
        return int(ExitCode.USAGE)
    if given and not os.path.isfile(given):
        # a mistyped path would otherwise check with no list at all, and say nothing
        print(f"unspin {command}: --fingerprints-db {given}: no such file (lists are imported into a database "
              f"with `unspin fingerprints import LIST --db {given}`)", file=sys.stderr)
        return int(ExitCode.USAGE)

    try:  # also without --lists: a damaged database (or not a database) is said once, not per input
        fp.load(names=names if isinstance(names, list) else None, db_path=opts.get("fingerprints_db"))
    except fp.UnknownListError as e:
        print(f"unspin {command}: --lists: {e}", file=sys.stderr)
        return int(ExitCode.USAGE)
    except fp.StoreError as e:
        print(f"unspin {command}: {e}", file=sys.stderr)
        # a file named on the command line is a bad option, like --model's (2); the default database is an input
        return int(ExitCode.USAGE if given else ExitCode.INPUT)
    return None


def _model_files_problem(opts: dict, command: str) -> int | None:
    """Usage error (2) when `--lm` or `--model` cannot be loaded, said once and naming the file, before any
    input: every input would fail the same way, and the message must not blame an input. (Both loads are
    cached: checking then costs nothing more.)"""
    from . import model as model_mod
    from .knowledge import lm as lm_mod

    for flag, key, load in (("--lm", "lm_path", lm_mod.load), ("--model", "model_path", model_mod.load)):
        if opts.get(key):
            try:
                load(opts[key])
            except Exception as e:  # noqa: BLE001 - whatever is wrong with the file, it is this one error
                print(f"unspin {command}: {flag} {opts[key]}: cannot load it ({e})", file=sys.stderr)
                return int(ExitCode.USAGE)
    return None


def _index_problem(opts: dict, command: str) -> int | None:
    """Usage error (2) when `--index` is no trace index (missing, not a directory, not an index), said once
    before any input, as `unspin trace` says it: every input would fail the same way."""
    if not opts.get("index"):
        return None
    from .trace import TraceIndex, TraceIndexError
    from .trace.cli import warn_if_empty

    try:
        with TraceIndex(opts["index"]) as ix:
            warn_if_empty(ix, f"unspin {command}: --index")
    except (TraceIndexError, OSError) as e:
        print(f"unspin {command}: --index: {e}", file=sys.stderr)
        return int(ExitCode.USAGE)
    return None


def run_check(args) -> int:
    import unspin

    from . import render
    from .inputs import read_inputs

    try:
        opts = _options_from(args)
    except ValueError as e:  # an allow list that cannot be read
        print(f"unspin check: --allow: {e}", file=sys.stderr)
        return int(ExitCode.USAGE)
    if (code := _lists_problem(opts, "check")) is not None:
        return code
    if (code := _model_files_problem(opts, "check")) is not None:
        return code
    if (code := _index_problem(opts, "check")) is not None:
        return code
    if args.output_dir and args.format != "html":
        print("unspin check: --output-dir writes HTML pages: use it with --format html", file=sys.stderr)
        return int(ExitCode.USAGE)
    if args.output_dir and os.path.exists(args.output_dir) and not os.path.isdir(args.output_dir):
        print(f"unspin check: --output-dir {args.output_dir}: exists and is not a directory", file=sys.stderr)
        return int(ExitCode.USAGE)
    if args.format == "html" and not args.output_dir and (len(args.paths) > 1 or any(
            os.path.isdir(p) for p in args.paths)):
        print("unspin check: --format html with several inputs needs --output-dir", file=sys.stderr)
        return int(ExitCode.USAGE)
    status = ExitCode.OK
    pages: dict[str, str] = {}  # --output-dir pages written: path → input
    for name, inp, err in read_inputs(args.paths, args.encoding, args.max_bytes or None):
        if err is None:
            try:
                with _progress(name, len(inp.text)) as progress:
                    report = unspin.check(inp.text, path=name, progress=progress, **opts)
            except (OSError, ValueError, ImportError) as e:
                if _config_error(e):
                    print(f"unspin: {e}", file=sys.stderr)
                    return int(status | ExitCode.INPUT)
                err = f"{name}: cannot check: {e}"
        if err:
            status |= ExitCode.INPUT
            _report_input_error(name, err, args.format)
            continue
        report.encoding = inp.encoding
        if report.at_level(LEVEL_FINDING):
            status |= ExitCode.FINDINGS
        if args.format == "json":
            print(render.json_report(report), flush=True)
        elif args.format == "html":
            page = render.html_report(report)
            if args.output_dir:
                out = Path(args.output_dir)
                target = out / ((inp.rel or "stdin").replace("<", "").replace(">", "") + ".html")
                key = os.path.normcase(os.path.abspath(target))
                if key in pages:  # two inputs of one name (a/story.txt, b/story.txt): the first page must stay
                    status |= ExitCode.INPUT
                    _report_input_error(name, f"{name}: its page {target} would overwrite that of {pages[key]}; "
                                        "check them in separate runs or pass their directory", "text")
                    continue
                pages[key] = name
                try:
                    _write_atomic(target, page.encode("utf-8"))
                except OSError as e:
                    status |= ExitCode.INPUT
                    print(f"unspin: {target}: cannot write: {e.strerror or e}", file=sys.stderr)
                    continue
                print(f"{name}: {target}")
            else:
                sys.stdout.write(page)
        else:
            print(render.text_report(report, review=args.review), flush=True)
    return int(status)


PROGRESS_AFTER = 2.0  # seconds of checking after which a terminal shows a progress bar
PROGRESS_EVERY = 10.0  # seconds between progress lines when stderr is not a terminal (a log, CI)
PROGRESS_MIN_CHARS = 10_000  # shorter inputs take well under a second: no progress callback at all


def _clock() -> float:
    import time

    return time.monotonic()


@contextlib.contextmanager
def _progress(name: str, total: int):
    """A progress callback for inputs that take more than a few seconds, whatever their size (a 150 kB file can
    take 20 s on a busy machine): on a terminal a rich bar once checking has taken PROGRESS_AFTER seconds, else a
    line every PROGRESS_EVERY seconds, and "100% checked" at the end when a line was printed before. An input
    checked sooner prints nothing."""
    if total < PROGRESS_MIN_CHARS:
        yield None
        return
    start = _clock()
    if sys.stderr.isatty():
        state: dict = {}

        def update(done, _total):
            if "bar" not in state:
                if done >= total or _clock() - start < PROGRESS_AFTER:
                    return
                from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

                bar = Progress(TextColumn(f"checking {name}"), BarColumn(),
                               TextColumn("{task.percentage:>3.0f}%"), TimeRemainingColumn(), transient=True,
                               console=_stderr_console())
                bar.start()
                state["bar"], state["task"] = bar, bar.add_task("check", total=total)
            state["bar"].update(state["task"], completed=done)

        try:
            yield update
        finally:
            if "bar" in state:
                state["bar"].stop()
        return
    state = {"last": start, "said": False, "ended": False}

    def log(done, _total):
        now = _clock()
        end = done >= total
        if state["ended"] or not (now - state["last"] >= PROGRESS_EVERY or (end and state["said"])):
            return
        state.update(last=now, said=True, ended=end)
        print(f"unspin: {name}: {done / max(total, 1):.0%} checked", file=sys.stderr, flush=True)

    yield log


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def _write_atomic(target: Path, data: bytes) -> None:
    """Write via a temporary file and rename: a reader never sees half a file, an interrupted run leaves none."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _restore_target(out_dir: Path, inp, written: dict, inputs: set[str]) -> tuple[Path | None, str | None]:
    """Where the restored copy of `inp` goes, or an error: never over an input file of the run (`inputs`: their
    real paths), never twice to one place."""
    target = out_dir / (inp.rel or "stdin.txt")
    key = os.path.normcase(os.path.abspath(target))
    if inp.name != "<stdin>" and os.path.exists(target) and os.path.samefile(target, inp.name):
        return None, f"{inp.name}: --out-dir would overwrite the input itself; choose another directory"
    if os.path.realpath(target) in inputs:
        return None, (f"{inp.name}: its restored copy {target} would overwrite another input of this run; choose "
                      "another directory")
    if key in written:
        return None, (f"{inp.name}: its restored copy {target} would overwrite that of {written[key]}; restore "
                      "them in separate runs or pass their directory")
    written[key] = inp.name
    return target, None


def run_restore(args) -> int:
    import unspin

    from .inputs import expand, read_inputs

    try:
        opts = _options_from(args)
    except ValueError as e:  # an allow list that cannot be read
        print(f"unspin restore: --allow: {e}", file=sys.stderr)
        return int(ExitCode.USAGE)
    if (code := _lists_problem(opts, "restore")) is not None:
        return code
    if (code := _model_files_problem(opts, "restore")) is not None:
        return code
    if (code := _index_problem(opts, "restore")) is not None:
        return code
    several = len(args.paths) > 1 or any(os.path.isdir(p) for p in args.paths)
    if several and args.format == "text" and not args.out_dir:
        what = "a directory needs" if len(args.paths) == 1 else "several inputs need"
        print(f"unspin restore: {what} --out-dir (one restored file per input), or --format json",
              file=sys.stderr)
        return int(ExitCode.USAGE)
    out_dir = Path(args.out_dir) if args.out_dir else None
    written: dict[str, str] = {}
    inputs = {os.path.realpath(p) for p, _, e in expand(args.paths) if e is None and p != "-"} if out_dir else set()
    status = ExitCode.OK
    for name, inp, err in read_inputs(args.paths, args.encoding, args.max_bytes or None):
        if err is None:
            try:
                with _progress(name, len(inp.text)) as progress:
                    restored = unspin.restore(inp.text, path=name, min_confidence=args.min_confidence,
                                              include_suspects=args.review, progress=progress, **opts)
            except (OSError, ValueError, ImportError) as e:
                if _config_error(e):
                    print(f"unspin: {e}", file=sys.stderr)
                    return int(status | ExitCode.INPUT)
                err = f"{name}: cannot restore: {e}"
        target = None
        if err is None and out_dir is not None:
            target, err = _restore_target(out_dir, inp, written, inputs)
            if target is not None:
                try:
                    _write_atomic(target, inp.encode(restored.text))
                except UnicodeEncodeError as e:
                    err = (f"{name}: the restored text has {e.object[e.start:e.end]!r}, which {inp.encoding} cannot "
                           f"hold; restore it with --format json")
                except OSError as e:
                    err = f"{target}: cannot write: {e.strerror or e}"
        if err:
            status |= ExitCode.INPUT
            _report_input_error(name, err, args.format)
            continue
        restored.report.encoding = inp.encoding
        if restored.edits:
            status |= ExitCode.FINDINGS
        if args.format == "json":
            d = restored.to_dict()
            if target is not None:
                d["output"] = str(target)
            print(json.dumps(d, ensure_ascii=False), flush=True)
        elif target is not None:
            print(f"{name}: {target} ({len(restored.edits)} edit{'' if len(restored.edits) == 1 else 's'})",
                  flush=True)
        elif sys.stdout.isatty():  # for reading: the text, ending on a new line
            sys.stdout.write(restored.text)
            if not restored.text.endswith("\n"):
                sys.stdout.write("\n")
        else:  # redirected or piped: the input's own bytes (encoding, BOM, line ends, last byte) but for the edits
            try:
                data = inp.encode(restored.text)
            except UnicodeEncodeError as e:
                status |= ExitCode.INPUT
                _report_input_error(name, f"{name}: the restored text has {e.object[e.start:e.end]!r}, which "
                                    f"{inp.encoding} cannot hold; restore it with --format json", args.format)
                continue
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
    return int(status)


def run_knowledge_build(args) -> int:
    """Build every cache the engine reads (done automatically on first use; this does it up front)."""
    import time

    from .knowledge import frequency, lexicon, lm, thesaurus

    t = time.time()
    sources = tuple(s.strip() for s in (args.sources or "").split(",") if s.strip()) or thesaurus.available_sources()
    try:
        lex = lexicon.load(sources)
    except (FileNotFoundError, ValueError) as e:
        print(f"unspin: {e}", file=sys.stderr)
        return int(ExitCode.INPUT)
    model = lm.load()
    frequency.table()
    from .knowledge import ngram, paths
    from .knowledge.bundle import Knowledge

    store = Knowledge(sources).table_store()  # the candidate tables of everyday forms (knowledge/tables.py)

    from . import fingerprints

    pruned = ngram.prune_stale() if isinstance(model, ngram.ArrayLM) else []
    pruned_sets = fingerprints.prune_disk_cache()
    pruned_locks = paths.prune_orphan_locks()  # after the builds: those just removed leave theirs
    missing = [s for s in thesaurus.KNOWN_SOURCES if s not in sources]
    note = f" (not installed: {', '.join(missing)}; `make system-deps` adds them)" if missing else ""
    print(f"thesauri {'+'.join(sources)}{note}: {len(lex.th.terms):,} terms, {len(lex.th.fwd_ids):,} links, "
          f"{len(lex.forms):,} word forms, GloVe vectors for {int((lex.vec_row >= 0).sum()):,}; language model "
          f"{model.vocab_size if hasattr(model, 'vocab_size') else '?':,} words ({time.time() - t:.1f} s)")
    if store is not None:
        print(f"candidate tables of {int(store.covered.sum()):,} everyday word forms stored "
              f"({sum(f.stat().st_size for f in store.directory.iterdir()) / 1e6:.0f} MB)")
    if pruned:
        print(f"removed {len(pruned)} language-model build(s) nothing will read again (an earlier format, or a model file since deleted): "
              + ", ".join(p.name for p in pruned))
    if pruned_sets:
        print(f"removed {pruned_sets} compiled fingerprint set(s) of databases that no longer exist")
    if pruned_locks:
        print(f"removed {len(pruned_locks)} lock file(s) of builds that no longer exist: "
              + ", ".join(p.name for p in pruned_locks))
    return 0


def run_knowledge_info(args) -> int:
    from .knowledge import cache_dir

    d = cache_dir()
    print(f"cache dir: {d}")
    built = [sub for sub in sorted(d.iterdir()) if sub.is_dir() and not sub.name.startswith(".")]
    for sub in built:
        size = sum(f.stat().st_size for f in sub.iterdir())
        print(f"  {sub.name}: {size / 1e6:.1f} MB")
    if not built:
        print("  nothing built yet: the first check builds what it needs (~1 minute), or run `unspin knowledge build`")
    return 0


def run_train(args) -> int:
    from . import train

    try:
        if args.cuts_only:
            train.recalibrate_cuts(root=args.corpus, model_path=args.out, seed=args.seed)
        elif args.findings_pass_only:
            train.refit_findings_pass(args.findings_pass_only, root=args.corpus, words_per_register=args.words,
                                      dev_words_per_register=args.dev_words, calib_train_words=args.calib_words,
                                      seed=args.seed, out=args.out, jobs=args.jobs)
        else:
            train.train(root=args.corpus, words_per_register=args.words, dev_words_per_register=args.dev_words,
                        calib_train_words=args.calib_words, seed=args.seed, out=args.out, jobs=args.jobs)
    except (FileNotFoundError, ValueError) as e:
        print(f"unspin: {e}", file=sys.stderr)
        return int(ExitCode.INPUT)
    return 0


def run_bench(args) -> int:
    from . import bench

    args.argv = sys.argv[2:]
    try:
        return bench.main(args)
    except (FileNotFoundError, ValueError) as e:  # missing corpus, unreadable PPS list
        print(f"unspin: {e}", file=sys.stderr)
        return int(ExitCode.INPUT)
