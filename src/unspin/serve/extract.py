"""Text from uploaded file bytes (.txt, .html, .pdf, .docx) for the web page.

Never takes a path: only the uploaded bytes and the file's name (used for its type and in messages). The
extraction itself is `unspin.readers.extract_text`, shared with `unspin screen` and `unspin trace`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .. import decoding, readers

UPLOAD_FORMATS = ("text", "html", "pdf", "docx")  # whole-file formats (row formats make no sense here)


class ExtractError(ValueError):
    """The upload cannot be turned into text; the message names the file and what is wrong."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass
class Extracted:
    filename: str
    kind: str
    text: str
    notes: list[str] = field(default_factory=list)
    encoding: str | None = None  # the file's encoding when it was not UTF-8

    def to_dict(self) -> dict:
        d = {"filename": self.filename, "kind": self.kind, "text": self.text, "notes": self.notes}
        if self.encoding:
            d["encoding"] = self.encoding
        return d


def safe_name(filename: str | None) -> str:
    """The base name only (a browser may send a path); bounded length."""
    name = (filename or "upload").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return (name or "upload")[:200]


def kind_of(filename: str, data: bytes) -> str:
    dot = filename.rfind(".")
    fmt = readers.FORMATS.get(filename[dot:].lower()) if dot >= 0 else None
    if fmt is None:  # no or unknown suffix: sniff the common cases
        head = data[:1024].lstrip().lower()
        if data.startswith(b"%PDF-"):
            fmt = "pdf"
        elif head.startswith((b"<!doctype html", b"<html")):
            fmt = "html"
    if fmt not in UPLOAD_FORMATS:
        raise ExtractError(
            f"{filename}: unsupported file type; send a .txt, .md, .html, .pdf or .docx file", status=415
        )
    return fmt


# The decoder's messages end with what to do on the command line; the page has no --encoding and reads HTML, PDF
# and DOCX itself, so it says its own remedy for each
_PAGE_REMEDIES = {
    decoding.REMEDY_BINARY: "the page reads text, HTML, PDF and Word (.docx) files",
    decoding.REMEDY_STRAY_BYTE: "fix that byte, or save the file as UTF-8",
    decoding.REMEDY_NOT_TEXT: "save the file as UTF-8 and drop it again",
}


def for_the_page(message: str) -> str:
    """A reader's message with the command line's remedy replaced by the page's (_PAGE_REMEDIES)."""
    for cli, page in _PAGE_REMEDIES.items():
        message = message.replace(cli, page)
    return message


def extract(filename: str | None, data: bytes) -> Extracted:
    """Text of an uploaded file; raises ExtractError with a message naming the file."""
    name = safe_name(filename)
    if not data:
        raise ExtractError(f"{name}: the file is empty")
    kind = kind_of(name, data)
    meta: dict = {}
    try:
        text = readers.extract_text(data, kind, name, meta)
    except readers.ReadError as e:
        raise ExtractError(for_the_page(str(e))) from None
    except Exception as e:  # noqa: BLE001 - a parser crash on a hostile file is the file's problem
        raise ExtractError(f"{name}: the {kind} parser could not read this file ({type(e).__name__})") from None
    notes = []
    if not text.strip():
        notes.append("no text found in the file" + (" (scanned pages without a text layer?)" if kind == "pdf" else ""))
    if meta.get("pages"):
        notes.append(f"{meta['pages']} page(s) read")
    if meta.get("encoding"):
        notes.append(f"read as {meta['encoding']} (not UTF-8)")
    return Extracted(name, kind, text, notes, meta.get("encoding"))
