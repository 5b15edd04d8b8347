"""Reading user inputs for the CLI with errors that name the file and say what is wrong."""
from __future__ import annotations

import sys
from pathlib import Path


class InputError(Exception):
    """An input that cannot be checked; the message names the file."""


def decode(data: bytes, name: str) -> str:
    if not data:
        raise InputError(f"{name}: empty file")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as e:
            raise InputError(f"{name}: invalid UTF-16 at byte {e.start}") from None
    if b"\x00" in data[:8192]:
        raise InputError(f"{name}: binary file (NUL bytes); unspin checks text — extract it first "
                         "(unspin screen reads HTML and PDF)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise InputError(f"{name}: invalid UTF-8 at byte {e.start} (line {line}): "
                         f"{data[e.start:e.start + 4]!r}") from None


def read_input(path: str) -> tuple[str, str]:
    """(display name, text) for a path or '-' (stdin)."""
    if path == "-":
        return "<stdin>", decode(sys.stdin.buffer.read(), "<stdin>")
    p = Path(path)
    if not p.exists():
        raise InputError(f"{path}: no such file")
    if p.is_dir():
        raise InputError(f"{path}: is a directory (use `unspin screen` for folders)")
    try:
        data = p.read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror})") from None
    return path, decode(data, path)
