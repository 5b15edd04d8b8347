"""argparse value types shared by the subcommands: a bad value is a usage error (exit 2) whose message names the
option and says what is allowed, before any input is read. Import-light (runs on every `unspin` start)."""
from __future__ import annotations

import argparse
import math


def probability(s: str) -> float:
    """A finite number from 0 to 1 (thresholds, confidences): `--threshold 2`, `nan` and `inf` are refused."""
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {s!r} (expected a number from 0 to 1)") from None
    if not math.isfinite(v) or not 0.0 <= v <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1, got {s}")
    return v


def whole_number(minimum: int):
    """An argparse type: a whole number (digits, '_' allowed) of at least `minimum` (`--jobs 0`, `--max-bytes -5`
    are usage errors)."""

    def parse(s: str) -> int:
        try:
            v = int(s.replace("_", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {s!r}") from None
        if v < minimum:
            raise argparse.ArgumentTypeError(f"must be {'0 or more' if minimum == 0 else f'at least {minimum}'}, "
                                             f"got {v}")
        return v

    parse.__name__ = "whole number"  # argparse names the type in its messages
    return parse


def _finite(s: str, what: str) -> float:
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a {what}: {s!r}") from None
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"must be a finite {what}, got {s}")
    return v


def seconds(s: str) -> float:
    """A finite number of seconds, 0 (no limit) or more: `nan` and `inf` are refused like negative numbers."""
    v = _finite(s, "number of seconds")
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be 0 (no limit) or more, got {s}")
    return v


def positive_number(s: str) -> float:
    """A finite number above 0 (a time limit that must exist)."""
    v = _finite(s, "number")
    if v <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {s}")
    return v


def installed_thesauri(s: str) -> tuple[str, ...]:
    """Comma-separated thesaurus names, each known and installed here (`--thesauri`, `spinners new --sources`)."""
    return _thesauri(s, installed=True)


def known_thesauri(s: str) -> tuple[str, ...]:
    """Comma-separated thesaurus names unspin knows, installed or not (`spinners learn --sources` leaves the
    missing ones out itself)."""
    return _thesauri(s, installed=False)


def _thesauri(s: str, installed: bool) -> tuple[str, ...]:
    from .knowledge.thesaurus import checked_sources

    try:
        return checked_sources(s, installed=installed)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def encoding_name(s: str) -> str:
    """A text encoding Python knows (utf-8, cp1252, latin-1, utf-16, …), returned as given."""
    from .decoding import codec_name

    try:
        codec_name(s)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return s


def add_encoding_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--encoding", type=encoding_name, metavar="NAME",
                        help="read inputs in this encoding (e.g. cp1252, latin-1, utf-16); default: UTF-8 with or "
                             "without BOM, UTF-16, else detected per file (the report says which)")
