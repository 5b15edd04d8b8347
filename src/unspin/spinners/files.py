"""JSON files of the spinners package: a drawn tool (``unspin-spinner-tool``) and a learned dictionary
(``unspin-learned-dictionary``, which is also a fingerprint list that `unspin fingerprints import` reads).

Every file carries ``"format"`` and ``"version"``; a file that is not what a command expects raises
`SpinnerFileError` naming the file and the problem.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

TOOL_FORMAT = "unspin-spinner-tool"
LEARNED_FORMAT = "unspin-learned-dictionary"
VERSION = 1
MAX_BYTES = 200 * 1024 * 1024  # a dictionary file larger than this is refused, not parsed


class SpinnerFileError(ValueError):
    """A tool or learned-dictionary file that cannot be used (names the file and what is wrong)."""


def read_json(path: str | os.PathLike, expect: str | tuple[str, ...]) -> dict:
    """The JSON object in `path`, checked to carry format `expect` (one of them) and a supported version."""
    expect = (expect,) if isinstance(expect, str) else tuple(expect)
    p = Path(path)
    if p.is_dir():
        raise SpinnerFileError(f"{p}: is a directory, expected a {' or '.join(expect)} JSON file")
    try:
        size = p.stat().st_size
    except OSError as e:
        raise SpinnerFileError(f"{p}: cannot read: {e.strerror or e}") from None
    if size > MAX_BYTES:
        raise SpinnerFileError(f"{p}: {size:,} bytes is too large for a dictionary file (limit {MAX_BYTES:,})")
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise SpinnerFileError(f"{p}: cannot read: {e.strerror or e}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise SpinnerFileError(f"{p}: not UTF-8 text (byte {e.start})") from None
    if not text.strip():
        raise SpinnerFileError(f"{p}: file is empty")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise SpinnerFileError(f"{p}: invalid JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
    except RecursionError:
        raise SpinnerFileError(f"{p}: JSON nested too deeply") from None
    if not isinstance(data, dict):
        raise SpinnerFileError(f"{p}: expected a JSON object with \"format\": {' or '.join(map(repr, expect))}")
    fmt = data.get("format")
    if fmt not in expect:
        what = f"format {fmt!r}" if fmt is not None else "no \"format\" field"
        raise SpinnerFileError(f"{p}: {what}, expected {' or '.join(map(repr, expect))}"
                               + (" (a tool file from `unspin spinners new`?)" if TOOL_FORMAT in expect else
                                  " (a file from `unspin spinners learn`?)"))
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SpinnerFileError(f"{p}: \"version\" must be a positive integer, got {version!r}")
    if version > VERSION:
        raise SpinnerFileError(f"{p}: version {version} is newer than this unspin reads ({VERSION}): upgrade unspin")
    return data


def write_json(path: str | os.PathLike, data: dict) -> None:
    """Write atomically (temporary file + rename)."""
    p = Path(path)
    tmp = p.with_name(p.name + f".tmp{os.getpid()}")
    try:
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=False) + "\n", encoding="utf-8")
        os.replace(tmp, p)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
