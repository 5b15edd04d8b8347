"""Document readers: turn files, directories, JSONL/CSV/Parquet rows and stdin into plain-text documents.

Shared by `unspin screen` and `unspin trace`. Public, stable API:

    iter_documents(inputs, *, text_field="text", id_field=None, include=None, exclude=None, lazy=False,
                   skip_ids=None, encoding=None, skip_dirs=None, walked=None) -> Iterator[Document]
        Every document of every input, in a deterministic order. Never raises for a bad document: a document
        that cannot be read is yielded with `error` set (a message naming the file and what is wrong) and
        `text=None` (decompression-bomb PDFs and .docx files, HTML nested more than HTML_MAX_DEPTH elements
        deep and JSON nested too deeply are refused this way rather than parsed; a JSONL/CSV/Parquet file without
        rows is one such document). Inputs may be
          - files: .txt .md .markdown .text .rst (UTF-8, UTF-16, other encodings detected: unspin.decoding), .html .htm .xhtml (main text via
            trafilatura, falling back to selectolax's lexbor parser), .pdf (pdfminer.six layout analysis;
            columns, line-end hyphens and line breaks inside paragraphs are repaired), .docx (zip + XML),
            .jsonl/.ndjson (one JSON object per line), .csv/.tsv and .parquet (one document per row).
            A file with another suffix named explicitly is read as plain text;
          - directories: walked recursively in sorted order, hidden entries (".name") skipped, only files of
            the formats above unless `include` names them; `include` / `exclude` are glob patterns (str or
            list) matched against the path relative to the directory and against the file name; output
            directories of `unspin screen` (is_screen_output) and `skip_dirs` are not entered;
          - "-": standard input, read as one plain-text document.
        `text_field` / `id_field` name the columns (keys) of row formats (JSONL, CSV, Parquet). A CSV or
        Parquet file without such a column, or a JSONL file none of whose objects has such a key, is one error
        document for the file (named by the file and the error); a JSONL object without a key other lines have
        is an error document for its line.
        `lazy=True` defers text extraction of whole-file documents (PDF, HTML, ...): they are yielded with
        `pending=True` and their raw bytes; call `doc.load()` (e.g. in a worker process) to extract.
        Ids do not depend on `lazy`. `skip_ids` (a container of ids) drops those documents before any
        extraction - used to resume a run cheaply.

    Document(id, source, text, error, meta)  - a dataclass; see its docstring for the id scheme.
    Document.load() -> Document               - the same document with text/error filled in (no-op if loaded).
    read_text_file(path) -> str               - the text of one file (any whole-file format above); raises
                                                ReadError (a ValueError) whose message names the file.
    count_documents(inputs, ...) -> int | None - a cheap count of what iter_documents would yield (None for
                                                stdin), for progress bars.
    is_screen_output(dir) -> bool             - whether a directory is an `unspin screen` output (SCREEN_MARKER).
    walk_enters(root, dir, exclude=None) -> bool - whether a walk of `root` would enter `dir` (not hidden, excluded
                                                or inside a screen output on the way).
    ReadError, FORMATS (suffix -> format name).
    safe_str(s) -> str                        - `s` with surrogates shown as \\xNN / \\uNNNN escapes (encodable
                                                as UTF-8; error messages and ids are kept this way).

Ids: "<key>@<hash>" where key is the file path as given (joined with the path inside a directory), or for a
row the value of `id_field`, else "<path>#<row>" (row numbers start at 1, header excluded), and hash is the
first 12 hex digits of the SHA-256 of the file's bytes (whole-file formats) or of the row's text. A changed
file therefore gets a new id, and two inputs with the same key and content share an id.
"""
from __future__ import annotations

import codecs
import csv
import fnmatch
import hashlib
import io
import json
import os
import re
import stat
import sys
import zipfile
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

__all__ = [
    "Document",
    "ReadError",
    "FORMATS",
    "iter_documents",
    "read_text_file",
    "count_documents",
    "extract_text",
    "safe_str",
    "is_screen_output",
    "walk_enters",
    "SCREEN_MARKER",
]

FORMATS: dict[str, str] = {
    ".txt": "text",
    ".text": "text",
    ".md": "text",
    ".markdown": "text",
    ".rst": "text",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".pdf": "pdf",
    ".docx": "docx",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
}
ROW_FORMATS = {"jsonl", "csv", "parquet"}
HASH_LEN = 12
MAX_FILE_BYTES = 512 * 1024 * 1024  # refuse absurd single documents rather than exhausting memory


class ReadError(ValueError):
    """A document could not be read; the message names the file and says what is wrong."""


_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_surrogate(m: re.Match) -> str:
    c = ord(m.group())
    return f"\\x{c - 0xDC00:02x}" if 0xDC80 <= c <= 0xDCFF else f"\\u{c:04x}"


def safe_str(s: str) -> str:
    """`s` with every surrogate written as an escape: a byte a codec could not decode (kept as a surrogate escape,
    e.g. in a non-UTF-8 file name or CSV header) as \\xNN, a lone surrogate (JSON "\\ud800") as \\uNNNN. Strings
    with surrogates cannot be encoded as UTF-8, so SQLite, Parquet, HTML files and the terminal would raise."""
    return _SURROGATE.sub(_escape_surrogate, s)


@dataclass(slots=True)
class Document:
    """One document to screen.

    id      stable id (see module docstring), unique per content.
    source  the file it came from ("-" for stdin).
            (id, source and error never hold surrogates: undecodable bytes of a file name are shown as \\xNN.)
    text    the extracted plain text, or None if it could not be read (then `error` says why) or if the
            document is still pending (lazy iteration, call `load()`).
    error   None, or a message naming the file and what is wrong (binary, not UTF-8 at byte N, empty,
            encrypted PDF, parser crash, ...).
    meta    format ("text", "html", "pdf", "docx", "jsonl", "csv", "parquet"), row number for row formats,
            pages for PDFs, extractor used for HTML, "encoding" when the bytes were not UTF-8, the encoding
            asked for ("forced_encoding", from --encoding), ...
    raw     the file's bytes while the document is pending (lazy iteration); None once loaded.
    """

    id: str
    source: str
    text: str | None = None
    error: str | None = None
    meta: dict = field(default_factory=dict)
    raw: bytes | None = field(default=None, repr=False, compare=False)  # pending documents only

    def __post_init__(self) -> None:
        # a non-UTF-8 file name or a binary file's "header" puts surrogate escapes into ids, paths and messages:
        # keep them printable and storable (safe_str) - source only names the file, it is never opened again
        self.id = safe_str(self.id)
        self.source = safe_str(self.source)
        if self.error is not None:
            self.error = safe_str(self.error)

    @property
    def pending(self) -> bool:
        return self.text is None and self.error is None and self.raw is not None

    @property
    def encoding(self) -> str | None:
        """The encoding the document was decoded from when it was not UTF-8 (e.g. "cp1252"), else None."""
        return self.meta.get("encoding")

    def load(self) -> "Document":
        """Extract the text of a pending document (returns a new Document); loaded documents are returned
        unchanged. Never raises: extraction failures become `error`."""
        if not self.pending:
            return self
        fmt = self.meta.get("format", "text")
        meta = dict(self.meta)
        try:
            text = extract_text(self.raw, fmt, self.source, meta, encoding=meta.get("forced_encoding"))
        except ReadError as e:
            return replace(self, raw=None, error=str(e), meta=meta)
        except Exception as e:  # a parser crash on one document must not stop a batch
            return replace(self, raw=None, error=f"{self.source}: {fmt} parser crashed: {type(e).__name__}: {e}",
                           meta=meta)
        if not text.strip():
            return replace(self, raw=None, error=f"{self.source}: empty document (no text after {fmt} extraction)",
                           meta=meta)
        return replace(self, raw=None, text=text, meta=meta)


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:HASH_LEN]


# ----------------------------------------------------------------------------------------------- plain text


def decode_text(data: bytes, name: str, encoding: str | None = None, meta: dict | None = None,
                declared: str | None = None) -> str:
    """Plain text of a text file's bytes with newlines normalised to "\\n" (the one decoding path,
    `unspin.decoding`: BOMs, UTF-16 without BOM, UTF-8, else detected; `encoding` forces one). The encoding
    used, when not UTF-8, goes to meta["encoding"]. Binary data, empty files and undecodable bytes raise
    ReadError naming the file."""
    from .decoding import DecodeError, decode_bytes

    try:
        decoded = decode_bytes(data, name, encoding=encoding, declared=declared)
    except DecodeError as e:
        raise ReadError(str(e)) from e
    if meta is not None and decoded.encoding:
        meta["encoding"] = decoded.encoding
    return decoded.text.replace("\r\n", "\n").replace("\r", "\n")


# --------------------------------------------------------------------------------------------------- HTML

_BLOCK_TAGS = frozenset(
    "address article aside blockquote body caption dd details dialog div dl dt fieldset figcaption figure footer "
    "form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody td tfoot th thead tr ul".split()
)
_DROP_TAGS = "script, style, noscript, template, nav, header, footer, aside, form, iframe, svg, button, select"
_WS_RE = re.compile(r"\s+")


_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE)


def _html_to_str(data: bytes, name: str, meta: dict, encoding: str | None = None) -> str:
    """The page's markup as text: the shared decoding path, with the page's own <meta charset> as the
    declared encoding (a BOM or --encoding still win, as in browsers)."""
    from .decoding import DecodeError

    m = _META_CHARSET.search(data[:4096])
    declared = m.group(1).decode("ascii") if m else None
    try:
        return decode_text(data, name, encoding=encoding, meta=meta, declared=declared)
    except ReadError as e:
        # (the text reader's advice, "extract it first: unspin screen reads HTML", makes no sense for HTML)
        cause = e.__cause__
        if isinstance(cause, DecodeError) and cause.nul_at is not None:
            raise ReadError(f"{name}: not a web page: binary data (NUL byte at byte offset {cause.nul_at}) in a file "
                            "named as HTML") from None
        raise


def _selectolax_text(html: str) -> str:
    """Visible text of the page with block elements as paragraphs (no regex over markup)."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    for node in tree.css(_DROP_TAGS):
        node.decompose()
    root = tree.body or tree.root
    if root is None:
        return ""
    parts: list[str] = []
    # iterative walk (an explicit stack, not recursion: deeply nested pages must not hit the recursion limit)
    stack: list[tuple[bool, object]] = [(False, root.child)]
    while stack:
        is_text, item = stack.pop()
        if is_text:
            parts.append(item)
            continue
        child = item
        if child is None:
            continue
        stack.append((False, child.next))
        tag = child.tag
        if tag == "-text":
            parts.append(_WS_RE.sub(" ", child.text_content or ""))
        elif tag == "br":
            parts.append("\n")
        elif tag in ("-comment", "head", "title", "meta", "link"):
            pass
        else:
            if tag in _BLOCK_TAGS:
                parts.append("\n\n")
                stack.append((True, "\n\n"))
            stack.append((False, child.child))
    return _tidy_paragraphs("".join(parts))


def _tidy_paragraphs(text: str) -> str:
    paras = []
    for block in re.split(r"\n\s*\n", text):
        lines = [" ".join(line.split()) for line in block.split("\n")]
        block = "\n".join(line for line in lines if line)
        if block:
            paras.append(block)
    return "\n\n".join(paras)


HTML_MAX_DEPTH = 10_000
_TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^<>]*?(/?)>")
# void elements and elements whose end tag may be omitted do not count towards the nesting estimate
_FLAT_TAGS = frozenset("area base br col embed hr img input link meta param source track wbr p li dt dd tr td th "
                       "option optgroup rb rt rp thead tbody tfoot colgroup caption html head body".split())


def _nesting_depth(html: str) -> int:
    """Largest element nesting depth, estimated in one linear pass over the tags."""
    depth = best = 0
    for m in _TAG_RE.finditer(html):
        if m.group(3) or m.group(2).lower() in _FLAT_TAGS:
            continue
        if m.group(1):
            depth = max(0, depth - 1)
        else:
            depth += 1
            best = max(best, depth)
    return best


def extract_html(data: bytes, name: str, meta: dict, encoding: str | None = None) -> str:
    html = _html_to_str(data, name, meta, encoding)
    text = None
    try:
        import trafilatura

        text = trafilatura.extract(html, include_comments=False, include_tables=False, favor_recall=True,
                                   deduplicate=False)
    except Exception as e:  # fall back to the plain DOM walk below
        meta["trafilatura_error"] = f"{type(e).__name__}: {e}"
    if text and text.strip():
        meta["extractor"] = "trafilatura"
        return "\n\n".join(line.strip() for line in text.split("\n") if line.strip())
    meta["extractor"] = "selectolax"
    depth = _nesting_depth(html)
    if depth > HTML_MAX_DEPTH:  # HTML5 tree building is quadratic in nesting depth
        raise ReadError(f"{name}: HTML nested about {depth} elements deep (limit {HTML_MAX_DEPTH}); refused as "
                        "too expensive to parse")
    return _selectolax_text(html)


# ---------------------------------------------------------------------------------------------------- PDF

_HYPHEN_END = re.compile(r"([^\W\d_]+)[-\u00ad\u2010]$")
_WORD_START = re.compile(r"^([^\W\d_]+)")


def _word_known(word: str) -> float:
    from .knowledge.frequency import zipf

    return zipf(word)


def _join_hyphenated(left: str, right: str) -> str:
    """Join a line ending in a hyphen with the next line: 'inter-' + 'national' -> 'international', but
    'well-' + 'known' -> 'well-known' when the compound is the commoner spelling (wordfreq decides)."""
    m1 = _HYPHEN_END.search(left)
    m2 = _WORD_START.match(right)
    if not m1 or not m2:
        return left + right
    if left.endswith("\u00ad"):  # soft hyphen: always a syllable break
        return left[:-1] + right
    a, b = m1.group(1), m2.group(1)
    if b[0].isupper():  # "Anglo-" + "Saxon", "COVID-" + "19"-like names keep their hyphen
        return left + right
    joined, compound = _word_known(a + b), _word_known(f"{a}-{b}")
    if compound > 0 and compound > joined:
        return left + right
    return left[:-1] + right


def _reflow_pdf_block(block: str) -> str:
    """Join the lines of one text box into a paragraph, repairing line-end hyphenation."""
    out = ""
    for line in block.split("\n"):
        line = " ".join(line.split())
        if not line:
            continue
        if not out:
            out = line
        elif _HYPHEN_END.search(out):
            out = _join_hyphenated(out, line)
        else:
            out = out + " " + line
    return out


# Decompression-bomb guard: pdfminer inflates every FlateDecode stream whole, in memory, and then parses it in
# pure Python, so a few kB of PDF could cost gigabytes and minutes. Non-image streams may inflate to
# PDF_MAX_STREAM_INFLATE bytes at any ratio, larger ones only to PDF_MAX_RATIO times their compressed size.
PDF_MAX_STREAM_INFLATE = 4 * 1024 * 1024
PDF_MAX_RATIO = 100
PDF_MAX_TOTAL_INFLATE = 256 * 1024 * 1024
_PDF_STREAM_RE = re.compile(rb"(?<!end)stream\r?\n")
_PDF_IMAGE_RE = re.compile(rb"/Subtype\s*/Image")


def _check_pdf_bomb(data: bytes, name: str) -> None:
    import zlib

    total = 0
    for m in _PDF_STREAM_RE.finditer(data):
        head = data[max(0, m.start() - 2048) : m.start()]
        k = head.rfind(b"obj")
        head = head[k:] if k >= 0 else head
        if b"FlateDecode" not in head or _PDF_IMAGE_RE.search(head):
            continue
        end = data.find(b"endstream", m.end())
        comp = data[m.end() : end if end >= 0 else len(data)]
        limit = max(PDF_MAX_STREAM_INFLATE, PDF_MAX_RATIO * len(comp))
        try:
            n = len(zlib.decompressobj().decompress(comp, limit + 1))
        except zlib.error:
            continue  # damaged stream: pdfminer decides what to do with it
        if n > limit:
            raise ReadError(f"{name}: refused: a {len(comp)}-byte compressed stream inflates to more than "
                            f"{limit} bytes (decompression bomb?)")
        total += n
        if total > PDF_MAX_TOTAL_INFLATE:
            raise ReadError(f"{name}: refused: compressed streams inflate to more than {PDF_MAX_TOTAL_INFLATE} bytes")


def extract_pdf(data: bytes, name: str, meta: dict) -> str:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTTextContainer
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFSyntaxError

    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise ReadError(f"{name}: not a PDF file (no %PDF header)")
    _check_pdf_bomb(data, name)
    # boxes_flow=0.5 orders text boxes column by column, so two-column pages read left column then right
    laparams = LAParams(line_margin=0.5, boxes_flow=0.5, detect_vertical=False)
    paragraphs: list[str] = []
    pages = 0
    try:
        for page in extract_pages(io.BytesIO(data), laparams=laparams):
            pages += 1
            boxes = [el for el in page if isinstance(el, LTTextContainer)]
            for box in boxes:
                para = _reflow_pdf_block(box.get_text())
                if para:
                    paragraphs.append(para)
    except (PDFPasswordIncorrect, PDFEncryptionError) as e:
        raise ReadError(f"{name}: encrypted PDF, cannot be read without its password ({type(e).__name__})") from None
    except PDFSyntaxError as e:
        raise ReadError(f"{name}: damaged PDF ({e})") from None
    meta["pages"] = pages
    # a paragraph split across a column or page break: join when the previous box ends mid-sentence
    merged: list[str] = []
    for para in paragraphs:
        if merged and _HYPHEN_END.search(merged[-1]) and para[:1].islower():
            merged[-1] = _join_hyphenated(merged[-1], para)
        elif merged and merged[-1][-1:].isalpha() and para[:1].islower():
            merged[-1] = merged[-1] + " " + para
        else:
            merged.append(para)
    return "\n\n".join(merged)


# --------------------------------------------------------------------------------------------------- DOCX

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# Decompression-bomb guard: word/document.xml is inflated whole and parsed into a tree (several times its size
# in memory), and a 1 MB .docx can hold gigabytes of XML. Refused before inflating when the zip declares more
# (the text of a long book is a few MB of XML, so the limit is generous); no more than the declared size is ever
# inflated, so an entry that lies about its size fails its CRC check instead.
DOCX_MAX_XML_BYTES = 200 * 1024 * 1024


def extract_docx(data: bytes, name: str, meta: dict) -> str:
    import xml.etree.ElementTree as ET

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            try:
                info = zf.getinfo("word/document.xml")
            except KeyError:
                raise ReadError(f"{name}: not a Word document (no word/document.xml inside the zip)") from None
            if info.file_size > DOCX_MAX_XML_BYTES:
                raise ReadError(f"{name}: refused: word/document.xml inflates to {info.file_size} bytes (limit "
                                f"{DOCX_MAX_XML_BYTES}; decompression bomb?)")
            with zf.open(info) as fh:
                xml = fh.read(info.file_size)  # zf.read() would inflate all the data, whatever the entry declares
    except zipfile.BadZipFile as e:
        raise ReadError(f"{name}: not a valid .docx (damaged zip archive: {e})") from None
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as e:
        raise ReadError(f"{name}: damaged .docx (word/document.xml: {e})") from None
    paras = []
    for p in root.iter(f"{_W}p"):
        chunks = []
        for el in p.iter():
            if el.tag == f"{_W}t" and el.text:
                chunks.append(el.text)
            elif el.tag == f"{_W}tab":
                chunks.append("\t")
            elif el.tag in (f"{_W}br", f"{_W}cr"):
                chunks.append("\n")
        para = "".join(chunks).strip()
        if para:
            paras.append(para)
    return "\n\n".join(paras)


def extract_text(data: bytes, fmt: str, name: str, meta: dict | None = None, encoding: str | None = None) -> str:
    """Plain text of one whole-file document of format `fmt` ("text", "html", "pdf", "docx"); `encoding` forces
    the encoding of text and HTML (default: detected, see unspin.decoding), meta["encoding"] records it when it
    was not UTF-8. Raises ReadError (message names `name`) for unreadable input; may raise other exceptions on
    parser bugs."""
    meta = {} if meta is None else meta
    if not data:
        from .decoding import empty_error

        raise ReadError(str(empty_error(name)))
    if fmt == "html":
        return extract_html(data, name, meta, encoding)
    if fmt == "pdf":
        return extract_pdf(data, name, meta)
    if fmt == "docx":
        return extract_docx(data, name, meta)
    return decode_text(data, name, encoding=encoding, meta=meta)


# ------------------------------------------------------------------------------------------- row formats


def _row_doc(path: str, row: int, fmt: str, value, rid, text_field: str, id_field: str | None,
             encoding: str | None = None) -> Document:
    key = f"{path}#{row}" if rid is None or rid == "" else str(rid)
    meta = {"format": fmt, "row": row}
    if encoding:
        meta["encoding"] = encoding
    if value is None:
        return Document(id=f"{key}@{_hash(b'')}", source=path, error=f"{path}: row {row}: field "
                        f"{text_field!r} is missing or null", meta=meta)
    if not isinstance(value, str):
        return Document(id=f"{key}@{_hash(repr(value).encode())}", source=path, meta=meta,
                        error=f"{path}: row {row}: field {text_field!r} is not text ({type(value).__name__})")
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    did = f"{key}@{_hash(text.encode('utf-8', 'surrogatepass'))}"
    # a lone surrogate (JSON "\\ud800") is no character and cannot be stored as UTF-8: U+FFFD, as a decoder would
    text = _SURROGATE.sub("\ufffd", text)
    if not text.strip():
        return Document(id=did, source=path, error=f"{path}: row {row}: empty text", meta=meta)
    return Document(id=did, source=path, text=text, meta=meta)


def _row_file_codec(fh, path: str, encoding: str | None) -> str:
    """The codec of a row file (see decoding.stream_encoding); the file position is left at the start."""
    from .decoding import stream_encoding

    head = fh.read(65536)
    fh.seek(0)
    return stream_encoding(head, path, encoding)


def _reported(codec: str) -> str | None:
    """The encoding to report for rows decoded with `codec` (None for UTF-8)."""
    return None if codec in ("utf-8", "utf-8-sig") else codec


def _json_message(e: json.JSONDecodeError) -> str:
    """json's message with its column ("Invalid control character at" already ends in "at": not "at at")."""
    msg = re.sub(r"\s+at$", "", e.msg)
    return f"{msg} at column {e.colno}"


_BLANK = " \t\n\r\x0b\x0c"  # a JSONL line of only these is skipped (what bytes.strip() strips)


def _wide_lines(fh, name: str) -> tuple[str, Iterator[bytes]]:
    """Lines (bytes, newline kept) of a UTF-16/32 file, and the codec that decodes one line.

    Windows PowerShell writes UTF-16: there "\\n" is 2 or 4 bytes and a 0x0A byte is often half of another
    character, so lines are split on the encoded newline at character boundaries. Only the first line carries the
    BOM, so single lines are decoded with the byte order it names."""
    from .decoding import bom_codec

    unit = 2 if name.startswith("utf-16") else 4
    if name in ("utf-16", "utf-32"):
        head = fh.read(4)
        fh.seek(0)
        native = "le" if sys.byteorder == "little" else "be"  # what Python's decoder assumes without a BOM
        name = bom_codec(head, name) or f"{name}-{native}"
    newline = "\n".encode(name)

    def lines() -> Iterator[bytes]:
        buf = bytearray()  # always starts at a line start, hence at a character boundary
        scan = 0
        while True:
            block = fh.read(1 << 20)
            buf += block
            start = 0
            while (i := buf.find(newline, scan)) >= 0:
                if i % unit:  # the bytes of two other characters
                    scan = i + 1
                    continue
                scan = i + unit
                yield bytes(buf[start:scan])
                start = scan
            if not block:
                break
            del buf[:start]
            scan = max(0, len(buf) - unit + 1)  # a newline may straddle the next block
        if start < len(buf):
            yield bytes(buf[start:])

    return name, lines()


def _jsonl_lines(fh, codec: str) -> Iterator[tuple[int, int, bytes, str | UnicodeDecodeError]]:
    """(line number, byte offset, bytes, text) of each line of a JSONL file, blank lines included; `text` is the
    decoded line (BOM dropped), or the UnicodeDecodeError when the line is not valid `codec`."""
    name = codecs.lookup(codec).name
    lines: Iterable[bytes] = fh
    if name.startswith(("utf-16", "utf-32")):
        codec, lines = _wide_lines(fh, name)
    offset = 0
    for lineno, raw in enumerate(lines, 1):
        try:
            text: str | UnicodeDecodeError = raw.decode(codec)
            if lineno == 1:
                text = text.removeprefix("\ufeff")
        except UnicodeDecodeError as e:
            text = e
        yield lineno, offset, raw, text
        offset += len(raw)


def _iter_jsonl(path: str, text_field: str, id_field: str | None, encoding: str | None = None) -> Iterator[Document]:
    try:
        fh = open(path, "rb")
        codec = _row_file_codec(fh, path, encoding)
    except OSError as e:
        yield Document(id=f"{path}@{_hash(b'')}", source=path, error=f"{path}: cannot open: {e.strerror}",
                       meta={"format": "jsonl"})
        return
    label = "UTF-8" if codec == "utf-8-sig" else codec
    wanted = [(text_field, "--text-field")] + ([(id_field, "--id-field")] if id_field else [])
    with fh:
        # a field no object of the file has is a misspelt flag: one error for the file, as a CSV header or a
        # Parquet schema without the column gives, not one per line
        missing, first_keys = _jsonl_missing_fields(fh, codec, [name for name, _ in wanted])
        if missing:
            lacking = [(name, opt) for name, opt in wanted if name in missing]
            yield _field_error(path, "jsonl", _missing_message(path, lacking, "field", first_keys,
                                                               " in any JSON object of the file",
                                                               "; the file was not read further"))
            return
        fh.seek(0)
        for lineno, start, line, text in _jsonl_lines(fh, codec):
            meta = {"format": "jsonl", "row": lineno}
            if isinstance(text, UnicodeDecodeError):
                yield Document(id=f"{path}#{lineno}@{_hash(line)}", source=path, meta=meta,
                               error=f"{path}: line {lineno}: not valid {label} at byte offset {start + text.start}")
                continue
            if not text.strip(_BLANK):
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as e:
                yield Document(id=f"{path}#{lineno}@{_hash(line)}", source=path, meta=meta,
                               error=f"{path}: line {lineno}: invalid JSON ({_json_message(e)})")
                continue
            except RecursionError:  # e.g. a line of 100,000 "[": json recurses once per level
                yield Document(id=f"{path}#{lineno}@{_hash(line)}", source=path, meta=meta,
                               error=f"{path}: line {lineno}: JSON nested too deeply")
                continue
            if not isinstance(obj, dict):
                yield Document(id=f"{path}#{lineno}@{_hash(line)}", source=path, meta=meta,
                               error=f"{path}: line {lineno}: expected a JSON object, got {_json_kind(obj)}")
                continue
            lacking = [(name, opt) for name, opt in wanted if name not in obj]
            if lacking:
                # other lines have these fields (else the file was refused above): this line alone is wrong. No
                # fallback to a path#row id: fixing the line would screen it again under a new id
                keys = ", ".join(list(obj)[:10])
                names = " nor ".join(f"{name!r} for {opt}" for name, opt in lacking)
                yield Document(id=f"{path}#{lineno}@{_hash(line)}", source=path, meta=meta,
                               error=f"{path}: line {lineno}: no field {names} (its fields: {keys}), though other "
                               f"lines of the file have {'it' if len(lacking) == 1 else 'them'}")
                continue
            rid = obj.get(id_field) if id_field else None
            yield _row_doc(path, lineno, "jsonl", obj[text_field], rid, text_field, id_field, _reported(codec))


def _jsonl_missing_fields(fh, codec: str, fields: list[str]) -> tuple[set[str], list[str]]:
    """The `fields` no JSON object of the file has, and the keys of its first object (lines that are no object are
    passed over). Reads only until every field was seen (usually line 1); a file without any object lacks
    nothing (its lines are errors of their own)."""
    missing, first_keys = set(fields), None
    for *_, text in _jsonl_lines(fh, codec):
        if not isinstance(text, str) or not text.strip(_BLANK):
            continue
        try:
            obj = json.loads(text)
        except (ValueError, RecursionError):
            continue
        if isinstance(obj, dict):
            if first_keys is None:
                first_keys = list(obj)
            missing -= obj.keys()
            if not missing:
                break
    return (missing if first_keys is not None else set()), first_keys or []


def _missing_message(path: str, lacking: list[tuple[str, str]], kind: str, have: list[str], where: str = "",
                     tail: str = "") -> str:
    """The file-level error for fields (`kind`: field, column) the file lacks: which flag names each, what the file
    has instead."""
    shown = ", ".join(have[:20])
    has = f"fields of its first object: {shown}" if kind == "field" else f"{kind}s: {shown}"
    if len(lacking) == 1:
        (name, opt), = lacking
        return f"{path}: no {kind} {name!r}{where} ({has}); use {opt}{tail}"
    names = " nor ".join(f"{name!r} for {opt}" for name, opt in lacking)
    return f"{path}: no {kind} {names}{where} ({has}){tail}"


def _field_error(path: str, fmt: str, message: str) -> Document:
    """A file-level error of a row file that depends on the flags (a missing field): named by the file and the
    error, so a rerun that meets another problem (another misspelt field) replaces the row instead of keeping a
    message that no longer holds."""
    return Document(id=f"{path}@{_hash((_file_hash(path) + chr(0) + message).encode('utf-8', 'surrogateescape'))}",
                    source=path, meta={"format": fmt}, error=message)


def _file_hash(path: str) -> str:
    """_hash of a file's bytes (b'' when it cannot be read): whole-file error rows get an id that changes when the
    file does, so a fixed file is screened again (the journal's rule for every document)."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError:
        pass
    return h.hexdigest()[:HASH_LEN]


def _undecodable(fields) -> str | None:
    """The first byte a row's fields could not decode (kept as a surrogate escape), as "0xNN", or None."""
    for v in fields:
        if isinstance(v, str):
            m = _ESCAPED.search(v)
            if m:
                return f"0x{ord(m.group()) - 0xDC00:02x}"
    return None


_ESCAPED = re.compile("[\udc80-\udcff]")


def _iter_csv(path: str, text_field: str, id_field: str | None, encoding: str | None = None) -> Iterator[Document]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    delimiter = "\t" if path.lower().endswith(".tsv") else ","
    try:
        with open(path, "rb") as raw:
            codec = _row_file_codec(raw, path, encoding)
        # bytes the codec cannot decode are kept as surrogate escapes and refused row by row below: one bad byte
        # costs its row, not the rest of the file
        fh = open(path, newline="", encoding=codec, errors="surrogateescape")
    except OSError as e:
        yield Document(id=f"{path}@{_hash(b'')}", source=path, error=f"{path}: cannot open: {e.strerror}",
                       meta={"format": "csv"})
        return
    label = "UTF-8" if codec == "utf-8-sig" else codec
    with fh:
        row = 0
        reader = csv.DictReader(fh, delimiter=delimiter)
        try:
            fields = reader.fieldnames or []
            # an undecodable header first: listing its columns would only show garbage (e.g. a gzipped file)
            if (bad := _undecodable(fields)) is not None:
                yield Document(id=f"{path}@{_file_hash(path)}", source=path, meta={"format": "csv"},
                               error=f"{path}: the header is not valid {label} (byte {bad}); name the file's "
                               "encoding with --encoding")
                return
            lacking = [(col, opt) for col, opt in ((text_field, "--text-field"), (id_field, "--id-field"))
                       if col and col not in fields]
            if lacking:
                yield _field_error(path, "csv", _missing_message(path, lacking, "column", fields))
                return
            for row, rec in enumerate(reader, 1):
                text, rid = rec.get(text_field), rec.get(id_field) if id_field else None
                if (bad := _undecodable((text, rid))) is not None:
                    raw_row = "\x1f".join(v if isinstance(v, str) else "" for v in (rid, text))
                    yield Document(id=f"{path}#{row}@{_hash(raw_row.encode('utf-8', 'surrogateescape'))}",
                                   source=path, meta={"format": "csv", "row": row},
                                   error=f"{path}: row {row} (ending on line {reader.line_num}): not valid {label} "
                                   f"(byte {bad}); name the file's encoding with --encoding")
                    continue
                yield _row_doc(path, row, "csv", text, rid, text_field, id_field, _reported(codec))
        except csv.Error as e:
            yield Document(id=f"{path}#{row + 1}@{_file_hash(path)}", source=path, meta={"format": "csv"},
                           error=f"{path}: malformed CSV after row {row} (line {reader.line_num}): {e}; rows after "
                           "this point were not read")
        except UnicodeError as e:  # surrogateescape keeps only bytes >= 0x80: UTF-16/32 errors end the file
            # (also "UTF-16 stream does not start with BOM" for --encoding utf-16: a UnicodeError, no position)
            yield Document(id=f"{path}#{row + 1}@{_file_hash(path)}", source=path, meta={"format": "csv"},
                           error=f"{path}: not valid {label} after row {row} ({getattr(e, 'reason', e)}); rows after "
                           "this point were not read")


def _iter_parquet(path: str, text_field: str, id_field: str | None) -> Iterator[Document]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as e:
        yield Document(id=f"{path}@{_file_hash(path)}", source=path, meta={"format": "parquet"},
                       error=f"{path}: not a readable Parquet file ({type(e).__name__}: {e})")
        return
    names = pf.schema_arrow.names
    lacking = [(col, opt) for col, opt in ((text_field, "--text-field"), (id_field, "--id-field"))
               if col and col not in names]
    if lacking:
        yield _field_error(path, "parquet", _missing_message(path, lacking, "column", names))
        return
    cols = [text_field] + ([id_field] if id_field and id_field != text_field else [])
    row = 0
    try:
        for batch in pf.iter_batches(columns=cols, batch_size=1024):
            texts = batch.column(text_field).to_pylist()
            ids = batch.column(id_field).to_pylist() if id_field else [None] * len(texts)
            for value, rid in zip(texts, ids):
                row += 1
                yield _row_doc(path, row, "parquet", value, rid, text_field, id_field)
    except Exception as e:
        yield Document(id=f"{path}#{row + 1}@{_file_hash(path)}", source=path, meta={"format": "parquet"},
                       error=f"{path}: Parquet read failed after row {row} ({type(e).__name__}: {e})")


# --------------------------------------------------------------------------------------------- traversal


def _as_patterns(p) -> list[str]:
    if p is None:
        return []
    if isinstance(p, str):
        return [p]
    return list(p)


def _matches(rel: str, patterns: list[str]) -> bool:
    name = rel.rsplit("/", 1)[-1]
    for pat in patterns:
        if fnmatch.fnmatchcase(rel, pat) or fnmatch.fnmatchcase(name, pat):
            return True
        if pat.startswith("**/") and fnmatch.fnmatchcase(rel, pat[3:]):
            return True
    return False


SCREEN_MARKER = ".unspin-screen"  # the file `unspin screen` keeps in its --out directory (and locks while it runs)
_SCREEN_JOURNAL = "state.sqlite"
# what a screen writes in its --out directory (screen/run.py): never documents
SCREEN_OUTPUT_NAMES = frozenset({"results.parquet", "findings.parquet", "summary.html", "reports", "spinners",
                                 _SCREEN_JOURNAL, _SCREEN_JOURNAL + "-wal", _SCREEN_JOURNAL + "-shm",
                                 _SCREEN_JOURNAL + "-journal", SCREEN_MARKER})
_OUTPUT_TEMP = re.compile(r"(.+)\.tmp\d*$")  # a half-written output (NAME.tmpPID) of a killed run


def _is_output_name(name: str) -> bool:
    m = _OUTPUT_TEMP.fullmatch(name)
    return name in SCREEN_OUTPUT_NAMES or (m is not None and m.group(1) in SCREEN_OUTPUT_NAMES)


def is_screen_output(path: str | os.PathLike) -> bool:
    """Whether the directory `path` is the output of `unspin screen`: it holds the marker file every run writes,
    or (written before the marker existed) the run's journal next to its results or summary."""
    p = os.fspath(path)
    if os.path.isfile(os.path.join(p, SCREEN_MARKER)):
        return True
    return os.path.isfile(os.path.join(p, _SCREEN_JOURNAL)) and any(
        os.path.exists(os.path.join(p, n)) for n in ("results.parquet", "summary.html"))


def _dir_identity(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _walk(root: str, include: list[str], exclude: list[str],
          skip: frozenset[tuple[int, int]] = frozenset(),
          walked: set[str] | None = None) -> Iterator[tuple[str, str | None]]:
    errors: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=errors.append):
        if walked is not None:  # listed now: an earlier "cannot list directory" no longer holds
            walked.add(dirpath)
        while errors:
            e = errors.pop(0)
            yield e.filename or root, f"{e.filename or root}: cannot list directory: {e.strerror or e}"
        # never into the output directory of a screen (the one being written: `skip`, compared as the same
        # directory, however spelt; or any other, by its marker): its results, reports and summary are not inputs
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")
                             and not (skip and _dir_identity(os.path.join(dirpath, d)) in skip)
                             and not is_screen_output(os.path.join(dirpath, d)))
        reldir = os.path.relpath(dirpath, root)
        reldir = "" if reldir == "." else reldir.replace(os.sep, "/") + "/"
        if not reldir and is_screen_output(dirpath):
            # the walk starts in a screen's output (an older unspin let `--out` hold the corpus; files moved there):
            # the run's own files are not documents, whatever else the folder holds
            dirnames[:] = [d for d in dirnames if not _is_output_name(d)]
            filenames = [f for f in filenames if not _is_output_name(f)]
        if exclude:
            dirnames[:] = [d for d in dirnames if not _matches(reldir + d, exclude)]
        for fn in sorted(filenames):
            if fn.startswith("."):
                continue
            rel = reldir + fn
            if include:
                if not _matches(rel, include):
                    continue
            elif Path(fn).suffix.lower() not in FORMATS:
                continue
            if exclude and _matches(rel, exclude):
                continue
            path = os.path.join(dirpath, fn)
            yield path, _not_regular(path)
    for e in errors:
        yield e.filename or root, f"{e.filename or root}: cannot list directory: {e.strerror or e}"


def walk_enters(root: str | os.PathLike, path: str | os.PathLike, exclude=None) -> bool:
    """Whether a walk of the directory `root` (iter_documents) would enter the directory `path` inside it: no
    hidden folder, `exclude` match or screen output on the way (compared after resolving symbolic links)."""
    root_real, real = os.path.realpath(root), os.path.realpath(path)
    if real == root_real or os.path.commonpath([root_real, real]) != root_real:
        return False
    exc = _as_patterns(exclude)
    rel = ""
    here = root_real
    for part in os.path.relpath(real, root_real).split(os.sep):
        rel += part
        here = os.path.join(here, part)
        if part.startswith(".") or (exc and _matches(rel, exc)) or (here != real and is_screen_output(here)):
            return False
        rel += "/"
    return True


_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def _not_regular(path: str) -> str | None:
    """The error for a path that is no regular file (after symlinks), None otherwise. Such a file is never opened:
    reading a named pipe blocks until some other process writes to it (a run would hang on it), a device may
    never end."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None  # gone, a dangling link, no permission: reading it says so
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    kind = next((name for test, name in _KINDS if test(mode)), "a special file")
    return f"{path}: not a regular file ({kind}); unspin reads regular files only, so it was not opened"


def _skip_set(skip_dirs) -> frozenset[tuple[int, int]]:
    if not skip_dirs:
        return frozenset()
    if isinstance(skip_dirs, (str, os.PathLike)):
        skip_dirs = [skip_dirs]
    return frozenset(i for i in (_dir_identity(os.fspath(d)) for d in skip_dirs) if i is not None)


def _iter_paths(inputs: Iterable[str], include: list[str], exclude: list[str],
                skip: frozenset[tuple[int, int]] = frozenset(),
                walked: set[str] | None = None) -> Iterator[tuple[str, str | None]]:
    """(path, error) for every file the inputs name."""
    for inp in inputs:
        if inp == "-":
            yield "-", None
        elif os.path.isdir(inp):
            yield from _walk(inp, include, exclude, skip, walked)
        elif os.path.exists(inp):
            yield inp, _not_regular(inp)
        else:
            yield inp, f"{inp}: no such file or directory"


def _no_rows(path: str, fmt: str) -> Document:
    try:
        empty = " (0 bytes)" if os.path.getsize(path) == 0 else ""
    except OSError:
        empty = ""
    return Document(id=f"{path}@{_file_hash(path)}", source=path, meta={"format": fmt},
                    error=f"{path}: no documents: the file holds no rows{empty}")


def _file_format(path: str) -> str:
    return FORMATS.get(Path(path).suffix.lower(), "text")


def _whole_file(path: str, fmt: str, encoding: str | None = None) -> Document:
    meta = {"format": fmt}
    if encoding:
        meta["forced_encoding"] = encoding
    try:
        if path == "-":
            data = sys.stdin.buffer.read()
            meta["format"] = fmt = "text"
        else:
            size = os.path.getsize(path)
            if size > MAX_FILE_BYTES:
                return Document(id=f"{path}@{_hash(str(size).encode())}", source=path, meta=meta,
                                error=f"{path}: file too large ({size} bytes; limit {MAX_FILE_BYTES})")
            with open(path, "rb") as fh:
                data = fh.read()
    except OSError as e:
        return Document(id=f"{path}@{_hash(b'')}", source=path, meta=meta,
                        error=f"{path}: cannot read: {e.strerror or e}")
    key = "<stdin>" if path == "-" else path
    return Document(id=f"{key}@{_hash(data)}", source=path, meta=meta, raw=data)


def iter_documents(
    inputs: list[str] | str,
    *,
    text_field: str = "text",
    id_field: str | None = None,
    include=None,
    exclude=None,
    lazy: bool = False,
    skip_ids: Container[str] | None = None,
    encoding: str | None = None,
    skip_dirs: Iterable[str | os.PathLike] | str | os.PathLike | None = None,
    walked: set[str] | None = None,
) -> Iterator[Document]:
    """Yield every document of `inputs` (see the module docstring). Never raises for bad documents.
    `encoding` forces the encoding of text, HTML, CSV and JSONL files (default: detected per file).
    `skip_dirs`: directories a folder walk does not enter (the same directory however spelt: compared by
    device and inode), besides the output directories of `unspin screen`, which no walk enters.
    `walked`: a set the folder walks add every directory they listed to, spelt as the sources of the documents
    in it start (the `source` of a "cannot list directory" error document, when listing it failed)."""
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    inc, exc = _as_patterns(include), _as_patterns(exclude)
    for path, err in _iter_paths([os.fspath(i) for i in inputs], inc, exc, _skip_set(skip_dirs), walked):
        if err:
            # named by the error, not by empty content: a missing file that turns up empty is another document
            # (its "0 bytes" row replaces the "no such file" one), as is any other change of what is wrong
            doc = Document(id=f"{path}@{_hash(err.encode('utf-8', 'surrogateescape'))}", source=path, error=err,
                           meta={"format": "unreadable"})
            if not (skip_ids and doc.id in skip_ids):
                yield doc
            continue
        fmt = "text" if path == "-" else _file_format(path)
        if fmt in ROW_FORMATS:
            reader = {"jsonl": _iter_jsonl, "csv": _iter_csv, "parquet": _iter_parquet}[fmt]
            args = (encoding,) if fmt != "parquet" else ()  # Parquet strings are UTF-8 by definition
            rows = 0
            for doc in reader(path, text_field, id_field, *args):
                rows += 1
                if skip_ids and doc.id in skip_ids:
                    continue
                yield doc
            if not rows:  # an empty JSONL/CSV/Parquet file is reported, as an empty .txt is, not silently dropped
                doc = _no_rows(path, fmt)
                if not (skip_ids and doc.id in skip_ids):
                    yield doc
            continue
        doc = _whole_file(path, fmt, encoding)
        if skip_ids and doc.id in skip_ids:
            continue
        yield doc if lazy else doc.load()


def count_documents(inputs: list[str] | str, *, text_field: str = "text", id_field: str | None = None,
                    include=None, exclude=None, skip_dirs=None) -> int | None:
    """How many documents iter_documents would yield (before skip_ids), without extracting any text.
    Row formats are counted by rows (JSONL: non-blank lines; Parquet: metadata), at least one per file (a file
    without rows is an error row). None if stdin is an input."""
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    inc, exc = _as_patterns(include), _as_patterns(exclude)
    total = 0
    for path, err in _iter_paths([os.fspath(i) for i in inputs], inc, exc, _skip_set(skip_dirs)):
        if path == "-":
            return None
        fmt = _file_format(path)
        if err or fmt not in ROW_FORMATS:
            total += 1
            continue
        try:
            if fmt == "jsonl":
                with open(path, "rb") as fh:
                    codec = _row_file_codec(fh, path, None)
                    fields = [text_field] + ([id_field] if id_field else [])
                    if _jsonl_missing_fields(fh, codec, fields)[0]:
                        n = 1  # one error row for the file, as _iter_jsonl yields it
                    else:
                        fh.seek(0)
                        lines = _jsonl_lines(fh, codec)
                        n = sum(1 for *_, text in lines if not isinstance(text, str) or text.strip(_BLANK))
            elif fmt == "parquet":
                import pyarrow.parquet as pq

                pf = pq.ParquetFile(path)
                names = set(pf.schema_arrow.names)
                # a file lacking the text (or id) column is one error row, as _iter_parquet yields it
                missing = text_field not in names or (id_field is not None and id_field not in names)
                n = 1 if missing else pf.metadata.num_rows
            else:
                n = sum(1 for _ in iter_documents([path], text_field=text_field, id_field=id_field))
            total += max(n, 1)  # a file without rows is one error row
        except Exception:
            total += 1
    return total


def read_text_file(path: str | os.PathLike, encoding: str | None = None) -> str:
    """The plain text of one document file (.txt/.md, .html, .pdf, .docx, other suffixes as text; "-" reads
    stdin; the encoding is detected unless given). Raises ReadError with a message naming the file (missing,
    unreadable, binary, not text in any encoding with the byte offset, empty, encrypted PDF, parser crash)."""
    path = os.fspath(path)
    if path != "-" and not os.path.exists(path):
        raise ReadError(f"{path}: no such file or directory")
    if path != "-" and os.path.isdir(path):
        raise ReadError(f"{path}: is a directory (expected a file)")
    fmt = "text" if path == "-" else _file_format(path)
    if fmt in ROW_FORMATS:
        raise ReadError(f"{path}: {fmt} holds many documents; use `unspin screen` for it")
    doc = _whole_file(path, fmt, encoding).load()
    if doc.error:
        raise ReadError(doc.error)
    return doc.text  # type: ignore[return-value]


def _json_kind(obj) -> str:
    """What a parsed JSON value is, in JSON's words (a user wrote JSON, not Python: `null`, not NoneType)."""
    if obj is None:
        return "null"
    if isinstance(obj, bool):
        return "a boolean"
    if isinstance(obj, (int, float)):
        return "a number"
    if isinstance(obj, str):
        return "a string"
    if isinstance(obj, list):
        return "an array"
    return type(obj).__name__
