"""`unspin screen INPUT... --out DIR`: argparse wiring only (heavy imports happen inside `run`)."""
from __future__ import annotations

import argparse
import sys

from ..cli_args import seconds, whole_number

EPILOG = """\
outputs in DIR: results.parquet (one row per document), findings.parquet (one row per finding),
summary.html (counts, score histogram, top phrases, most suspicious documents), reports/*.html,
state.sqlite (the resume journal), .unspin-screen (marker and lock). Rerunning the same command skips
documents already done; one run at a time per DIR.

exit codes (flags that add up: test them bitwise, e.g. (( rc & 1 ))):
  0    every document screened, no findings
  1    findings in at least one document
  4    at least one document could not be screened (error rows; the others were); also when no document
       was found in the inputs, or the run could not start: Dask scheduler unreachable, the engine fails
       on a plain test sentence, another run is writing to DIR, DIR cannot be written (e.g. a full disk)
  5    1 + 4: findings and error rows
  2    bad command line, alone: nothing was screened (also a DIR that would mix outputs with documents:
       an input directory, one holding an input, one inside an input directory that already holds files;
       or a DIR written by another version of unspin)
  130  interrupted (Ctrl-C): the results committed so far are kept; run the same command again to resume
  141  whatever reads unspin's messages (stderr) closed the pipe before the run ended (as SIGPIPE)"""

_positive_int = whole_number(1)
_nonneg_int = whole_number(0)
_seconds = seconds


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "screen",
        help="screen a corpus (files, directories, JSONL/CSV/Parquet) into a resumable result set",
        description="Screen many documents for synonym spinning; resumable, crash-safe, local or Dask.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="files (.txt .md .html .pdf .docx .jsonl .csv .tsv .parquet), directories (recursive) "
                        "or - for stdin")
    p.add_argument("--out", "-o", required=True, metavar="DIR", help="output directory (created; reused to resume)")
    p.add_argument("--engine", choices=("local", "dask"), default="local",
                   help="local process pool (default) or a Dask cluster")
    p.add_argument("--jobs", "-j", type=_positive_int, default=None, metavar="N",
                   help="local worker processes (default: number of CPUs available)")
    p.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="Dask scheduler address, e.g. tcp://host:8786 (implies --engine dask)")
    p.add_argument("--workers", type=_positive_int, default=None, metavar="N",
                   help="start a local Dask cluster with N worker processes (implies --engine dask)")
    p.add_argument("--text-field", default="text", metavar="NAME",
                   help="field/column holding the text in JSONL/CSV/Parquet inputs (default: text)")
    p.add_argument("--id-field", default=None, metavar="NAME",
                   help="field/column holding a document id in JSONL/CSV/Parquet (default: path#row)")
    p.add_argument("--include", action="append", default=None, metavar="GLOB",
                   help="in directories, only files matching GLOB (repeatable; matched against the relative "
                        "path and the file name)")
    p.add_argument("--exclude", action="append", default=None, metavar="GLOB",
                   help="in directories, skip files/subdirectories matching GLOB (repeatable)")
    p.add_argument("--timeout", type=_seconds, default=300.0, metavar="SECONDS",
                   help="per-document time limit; a slower document becomes an error row (default 300; 0 = none)")
    p.add_argument("--batch-size", type=_positive_int, default=100, metavar="N",
                   help="commit results every N documents (and at least every 5 s; default 100)")
    p.add_argument("--report-top", type=_nonneg_int, default=50, metavar="N",
                   help="write per-document HTML reports for the N most suspicious documents (default 50)")
    p.add_argument("--retry-errors", action="store_true",
                   help="screen again the documents that ended as error rows in earlier runs (e.g. after "
                        "timeouts on a busy machine or an engine fix); otherwise they count as done")
    p.add_argument("--learn-spinners", action="store_true",
                   help="after the run, group the spun documents by the tool that made them, learn one dictionary "
                        "per group (DIR/spinners/cluster-N.json, importable as fingerprint lists) and list the "
                        "groups in summary.html")
    p.add_argument("--spinner-min-docs", type=_positive_int, default=5, metavar="N",
                   help="documents a group needs to count as a tool (default 5)")
    from ..cli_args import add_encoding_option

    add_encoding_option(p)
    p.add_argument("--quiet", "-q", action="store_true",
                   help="no progress bar; only the summary at the end: a line of counts and the path of summary.html (for logs and cron)")
    p.add_argument("--full", action="store_true",
                   help="analyse every span of every document (by default a cheap first stage clears documents "
                        "that show no trace of spinning; they are reported clean with stage 'screen')")
    p.set_defaults(func=run)
    return p


PROGRESS_EVERY = 10.0  # seconds between plain progress lines (stderr not a terminal)


def _rate(per_second: float) -> str:
    """A rate a person can read: 0.04, not 0.0, for a corpus of big documents."""
    return f"{per_second:,.1f}" if per_second >= 1 or per_second == 0 else f"{per_second:.2g}"


_PROGRESS_LOCK = None  # held while a progress line is written, and across a fork (see _PlainProgress)


def _progress_lock():
    """The lock of the plain progress lines. The local engine forks workers while the progress thread runs: the lock
    is taken before each fork and released after it on both sides, so no child starts with stderr's buffer lock
    held by a thread it does not have."""
    global _PROGRESS_LOCK
    if _PROGRESS_LOCK is None:
        import os
        import threading

        _PROGRESS_LOCK = threading.Lock()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(before=_PROGRESS_LOCK.acquire, after_in_parent=_PROGRESS_LOCK.release,
                                after_in_child=_PROGRESS_LOCK.release)
    return _PROGRESS_LOCK


class _PlainProgress:
    """Plain progress lines for a log or CI: one every PROGRESS_EVERY seconds while the run goes on, also while no
    document finishes (a big one can take minutes: the last line must not stay the news), and one at the end."""

    def __init__(self):
        import threading
        import time

        self._time = time.monotonic
        self._t0 = self._time()
        self._lock = _progress_lock()
        self._stop = threading.Event()
        self._state: tuple[int, int | None, int] | None = None  # (done, total, skipped) of the last callback
        self._last_line = 0.0
        self._last_done_at = self._t0
        self._thread = threading.Thread(target=self._beat, name="screen-progress", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        return False

    def _line(self, now: float) -> None:
        done, total, skipped = self._state
        rate = (done - skipped) / max(now - self._t0, 1e-9)
        eta = f", ETA {(total - done) / rate:.0f} s" if total and rate > 0 else ""
        idle = now - self._last_done_at
        wait = f"; no document finished for {idle:.0f} s" if idle >= PROGRESS_EVERY else ""
        self._last_line = now
        print(f"screen: {done}/{total if total is not None else '?'} documents ({skipped} already done), "
              f"{_rate(rate)} docs/s{eta}{wait}", file=sys.stderr, flush=True)

    def __call__(self, done: int, total: int | None, skipped: int) -> None:
        with self._lock:
            now = self._time()
            self._state = (done, total, skipped)
            self._last_done_at = now
            if now - self._last_line >= PROGRESS_EVERY or (total and done == total):
                self._line(now)

    def _beat(self) -> None:
        while not self._stop.wait(min(1.0, PROGRESS_EVERY / 5)):
            with self._lock:
                now = self._time()
                if now - max(self._last_line, self._t0) < PROGRESS_EVERY:
                    continue
                try:
                    if self._state is not None:
                        self._line(now)
                    else:  # a first document (or a cluster's first chunk) still running: say the run is alive
                        self._last_line = now
                        print(f"screen: no document finished yet ({now - self._t0:.0f} s)", file=sys.stderr,
                              flush=True)
                except (OSError, ValueError):  # stderr closed: the run itself says so (exit 141)
                    return


def _progress_ctx(quiet: bool):
    """(context manager, callback) showing docs/s and ETA with rich; plain log lines when not a terminal."""
    import contextlib

    if quiet:
        return contextlib.nullcontext(), None
    if not sys.stderr.isatty():
        plain = _PlainProgress()
        return plain, plain
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task):
            speed = task.finished_speed or task.speed
            return Text("… docs/s" if speed is None else f"{speed:,.1f} docs/s", style="progress.data.speed")

    prog = Progress(TextColumn("screening"), BarColumn(), MofNCompleteColumn(), Rate(), TextColumn("ETA"),
                    TimeRemainingColumn(), TextColumn("elapsed"), TimeElapsedColumn(),
                    console=Console(stderr=True), transient=False)
    task = prog.add_task("screen", total=None)

    def update(done, total, skipped):
        # documents done by an earlier run count neither towards the bar nor the rate
        prog.update(task, completed=done - skipped, total=(total - skipped) if total is not None else None)

    return prog, update


def run(args) -> int:
    from ..types import ExitCode
    from .run import screen
    from .work import EngineError

    engine = args.engine
    if args.scheduler or args.workers:
        engine = "dask"
    if args.scheduler and args.workers:
        print("unspin screen: use either --scheduler (an existing cluster) or --workers (a local one), not both",
              file=sys.stderr)
        return int(ExitCode.USAGE)
    if engine == "dask" and args.jobs:
        print("unspin screen: --jobs is for the local engine; with dask use --workers N or --scheduler",
              file=sys.stderr)
        return int(ExitCode.USAGE)
    if args.inputs.count("-") > 1:
        print("unspin screen: stdin (-) can be given only once", file=sys.stderr)
        return int(ExitCode.USAGE)
    import os
    import sqlite3

    from .run import OutIsInputError
    from .store import StoreBusyError, StoreVersionError

    missing = [i for i in args.inputs if i != "-" and not os.path.exists(i)]
    for m in missing:
        print(f"unspin screen: {m}: no such file or directory (recorded as an error row)", file=sys.stderr)
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        print(f"unspin screen: --out {args.out}: exists and is not a directory", file=sys.stderr)
        return int(ExitCode.USAGE)

    ctx, callback = _progress_ctx(args.quiet)
    try:
        with ctx:
            outcome = screen(
                args.inputs, args.out, engine=engine, jobs=args.jobs, scheduler=args.scheduler, workers=args.workers,
                text_field=args.text_field, id_field=args.id_field, include=args.include, exclude=args.exclude,
                timeout=args.timeout or None, batch_size=args.batch_size, report_top=args.report_top,
                progress=callback, retry_errors=args.retry_errors, encoding=args.encoding,
                full=args.full, learn_spinners=args.learn_spinners,
                spinner_min_docs=args.spinner_min_docs,
                warn=lambda msg: print(f"unspin screen: warning: {msg}", file=sys.stderr, flush=True),
            )
    except KeyboardInterrupt:
        print("unspin screen: interrupted; the results committed so far are kept - run the same command again to "
              "resume", file=sys.stderr)
        return 130
    except (ConnectionError, EngineError, StoreBusyError) as e:  # the run could not start
        print(f"unspin screen: {e}", file=sys.stderr)
        return int(ExitCode.INPUT)
    except (StoreVersionError, OutIsInputError) as e:
        print(f"unspin screen: {e}", file=sys.stderr)
        return int(ExitCode.USAGE)
    except (OSError, sqlite3.Error) as e:  # e.g. the output disk is full: committed results are kept
        print(f"unspin screen: cannot write to {args.out}: {getattr(e, 'strerror', None) or e}; results committed "
              "so far are kept - fix this (a full disk, a missing or read-only directory) and run the same "
              "command again to resume", file=sys.stderr)
        return int(ExitCode.INPUT)
    from ..render import plural

    took = outcome.screen_seconds or outcome.seconds  # the rate of screening, not of learning spinners after it
    rate = outcome.screened / took if took > 0 else 0.0
    print(
        f"screened {plural(outcome.screened, 'document')} in {took:.1f} s ({_rate(rate)} docs/s); "
        f"{outcome.skipped} already done; {outcome.total_documents} in {outcome.out_dir} "
        f"({outcome.with_findings} with findings, {plural(outcome.errors, 'error')})"
        + (f"; {plural(outcome.duplicates, 'duplicate id')} skipped" if outcome.duplicates else "")
        + (f"; {plural(outcome.replaced_errors, 'earlier error row')} replaced (the file reads differently now)"
           if outcome.replaced_errors else "")
        + (f"; {plural(outcome.replaced_rows, 'earlier row result')} replaced (the row's text changed)"
           if outcome.replaced_rows else ""),
        file=sys.stderr,
    )
    print(f"summary: {os.path.join(str(outcome.out_dir), 'summary.html')}", file=sys.stderr)
    if not (outcome.screened or outcome.skipped or outcome.duplicates or missing):
        # a mistyped glob or an empty directory must not read as a clean corpus
        print(f"unspin screen: no document found in {', '.join(args.inputs)}"
              + (" (check --include/--exclude)" if args.include or args.exclude else ""), file=sys.stderr)
        return outcome.exit_code | int(ExitCode.INPUT)
    return outcome.exit_code
