"""Reading the inputs of `unspin check`, `restore`, `spin` and `fingerprints match`: files, directories and stdin,
with errors that name the file and say what is wrong.

Bytes become text through the one decoding path of every reader (`unspin.decoding`); the text is kept exactly
as decoded (line endings too), so offsets index the file's own text and restored output can be written back
byte for byte where nothing changed (`Input.encode`).
"""
from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .decoding import Decoded, DecodeError, decode_bytes

# what a directory given to check/restore contributes: plain-text files (HTML, PDF, … need `unspin screen`)
TEXT_SUFFIXES = frozenset({".txt", ".text", ".md", ".markdown", ".rst"})
# documents whose text must be extracted first: read as they are, their markup (or bytes) would be checked as
# prose, and a restored file would lose it; `unspin screen` extracts their text
DOCUMENT_SUFFIXES = {".html": "an HTML page", ".htm": "an HTML page", ".xhtml": "an HTML page",
                     ".pdf": "a PDF file", ".docx": "a Word document"}
# `--max-bytes` default: checking runs at thousands of words a second, so 25 MB (~4 million words) is about
# a quarter of an hour on one core; bigger inputs are refused before any work unless the limit is raised
DEFAULT_MAX_BYTES = 25_000_000


class InputError(Exception):
    """An input that cannot be checked; the message names the file."""


@dataclass(frozen=True, slots=True)
class Input:
    """One decoded input."""

    name: str  # as given on the command line ("<stdin>" for -); used as the report's path
    text: str
    decoded: Decoded  # encoding and BOM, to write restored text back the same way
    rel: str | None = None  # the file's path relative to the output directory (None for stdin)

    @property
    def encoding(self) -> str | None:
        """The input's encoding when it was not UTF-8 (for Report.encoding), else None."""
        return self.decoded.encoding

    def encode(self, text: str) -> bytes:
        return self.decoded.encode(text)


def decode(data: bytes, name: str, encoding: str | None = None) -> str:
    """The text of an input's bytes (see unspin.decoding); raises InputError naming `name`."""
    try:
        return decode_bytes(data, name, encoding=encoding).text
    except DecodeError as e:
        raise InputError(str(e)) from None


def _too_big(name: str, size: int | None, max_bytes: int) -> InputError:
    what = f"{size:,} bytes" if size is not None else f"more than {max_bytes:,} bytes"
    return InputError(f"{name}: {what}, over the --max-bytes limit of {max_bytes:,} (checking takes about a minute "
                      "per 300,000 words: split the file, or raise --max-bytes)")


def _read(path: str, rel: str | None, encoding: str | None, max_bytes: int | None = None) -> Input:
    if path == "-":
        data = sys.stdin.buffer.read(max_bytes + 1) if max_bytes else sys.stdin.buffer.read()
        name = "<stdin>"
        if max_bytes and len(data) > max_bytes:
            raise _too_big(name, None, max_bytes)
    else:
        name = path
        p = Path(path)
        if (kind := DOCUMENT_SUFFIXES.get(p.suffix.lower())) and p.is_file():
            raise InputError(f"{path}: {kind}: this command reads plain text; `unspin screen {path} --out DIR` "
                             "extracts its text and checks it")
        try:  # a name too long, or a directory on the way without search permission, raise here
            if not p.exists():
                raise InputError(f"{path}: no such file")
            if p.is_dir():
                raise InputError(f"{path}: is a directory")
            if max_bytes and (size := p.stat().st_size) > max_bytes:
                raise _too_big(path, size, max_bytes)
            with open(p, "rb") as fh:
                # at most one byte over the limit: a device or a pipe (/dev/zero, <(…)) has no size to check first
                data = fh.read(max_bytes + 1) if max_bytes else fh.read()
        except OSError as e:
            raise InputError(f"{path}: cannot read ({e.strerror or e})") from None
        if max_bytes and len(data) > max_bytes:
            raise _too_big(path, None, max_bytes)
    try:
        decoded = decode_bytes(data, name, encoding=encoding)
    except DecodeError as e:
        raise InputError(str(e)) from None
    if not decoded.text.strip():  # as empty as an empty file: said the same way, not checked as "0 words"
        raise InputError(f"{name}: no text (only whitespace)")
    return Input(name, decoded.text, decoded, rel)


def read_input(path: str, encoding: str | None = None, max_bytes: int | None = None) -> Input:
    """One file or '-' (stdin). Raises InputError (missing, a directory, unreadable, over `max_bytes`, empty,
    binary, not text in any encoding — with the byte offset — or not valid in the `encoding` asked for)."""
    return _read(path, None if path == "-" else Path(path).name, encoding, max_bytes)


def _directory_errors(errors: list[OSError], path: str):
    for e in errors:
        where = e.filename or path
        yield where, None, f"{where}: cannot read directory ({e.strerror or e})"


def expand(paths: list[str]) -> Iterator[tuple[str, str | None, str | None]]:
    """(path, rel, error) for every input: files and '-' as given, directories walked recursively in sorted
    order for plain-text files (hidden entries skipped). `rel` is where the file's output goes under an output
    directory: the file name for a file, `<directory name>/<path inside it>` for a directory's files."""
    for path in paths:
        if path == "-" or not os.path.isdir(path):  # (False for a name too long: reading it says so)
            yield path, (None if path == "-" else Path(path).name), None
            continue
        root = Path(path)
        found = False
        unreadable: list[OSError] = []  # subdirectories that cannot be listed: errors of their own, not gaps
        for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable.append):
            yield from _directory_errors(unreadable, path)
            found = found or bool(unreadable)
            unreadable.clear()
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for fn in sorted(filenames):
                if fn.startswith(".") or Path(fn).suffix.lower() not in TEXT_SUFFIXES:
                    continue
                full = Path(dirpath) / fn
                found = True
                yield str(full), str(Path(root.resolve().name or "root") / full.relative_to(root)), None
        yield from _directory_errors(unreadable, path)
        if not found and not unreadable:
            yield path, None, (f"{path}: no text files in this directory ({', '.join(sorted(TEXT_SUFFIXES))}; "
                               "use `unspin screen` for HTML, PDF, DOCX and row files)")


def read_inputs(paths: list[str], encoding: str | None = None, max_bytes: int | None = None
                ) -> Iterator[tuple[str, Input | None, str | None]]:
    """(name, input, error) for every file the paths name (see `expand`), in order; exactly one of input and
    error is set. Never raises for a bad input: the batch goes on."""
    stdin_read = False
    for path, rel, err in expand(paths):
        name = "<stdin>" if path == "-" else path
        if path == "-" and stdin_read and not err:
            err = "<stdin>: standard input was already read (give - once)"
        stdin_read = stdin_read or path == "-"
        if err:
            yield name, None, err
            continue
        try:
            yield name, _read(path, rel, encoding, max_bytes), None
        except InputError as e:
            yield name, None, str(e)
