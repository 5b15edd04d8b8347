"""The `unspin` command: a thin argparse wrapper over the library.

Each feature package contributes its subcommands through an `add_parser(subparsers)` function in its own
`cli` module (kept import-light so start-up stays fast); this file only wires them together and owns the
commands of the core engine (check, restore, knowledge).
"""
from __future__ import annotations

import argparse
import errno
import importlib
import os
import sys

from .types import ExitCode

EXIT_BROKEN_PIPE = 141  # the output was closed before unspin finished (128 + SIGPIPE, as `grep … | head` gives)

# subcommand modules: each defines add_parser(subparsers) and sets `func` (args -> int exit code)
PLUGIN_MODULES = (
    "unspin.cli_core",
    "unspin.spin_cli",
    "unspin.spinners_cli",
    "unspin.fingerprints.cli",
    "unspin.screen.cli",
    "unspin.serve.cli",
    "unspin.trace.cli",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors exit with ExitCode.USAGE (2), like argparse, but documented
        self.print_usage(sys.stderr)
        self.exit(int(ExitCode.USAGE), f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(prog="unspin", description="Find and undo synonym spinning in English text.")
    parser.add_argument("--version", action="version", version=f"unspin {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in PLUGIN_MODULES:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name and (e.name == name or name.startswith(e.name + ".")):
                continue  # feature not present in this build
            raise
        mod.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return int(ExitCode.USAGE)
    try:
        code = int(args.func(args))
        sys.stdout.flush()  # here, not at exit: a failed write (a full disk) must be said and counted
        return code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader closed the output early (`| head`): stop, as tools stopped by SIGPIPE do, with their exit
        # status (128 + 13) — not 0, which would say "nothing found" — and with stdout on /dev/null so that
        # Python's own flush at exit does not fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except OSError as e:
        from .knowledge.paths import CacheDirError

        if isinstance(e, CacheDirError):  # any command that needs the knowledge: said in one line, not a traceback
            print(f"unspin: {e}", file=sys.stderr)
            return int(ExitCode.INPUT)
        # the output could not be written (a full disk or quota, a failing device): what was written stays, and
        # the exit code says an output was lost, as for a file `--out-dir` cannot write
        if e.errno not in _OUTPUT_ERRNOS:
            raise
        print(f"unspin: cannot write the output: {e.strerror or e}", file=sys.stderr)
        return int(ExitCode.INPUT)


_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
