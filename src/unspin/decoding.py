"""Bytes → text: the one decoding path of every reader (`unspin check/restore` inputs, `unspin screen`, `unspin
index add`, `unspin trace`, uploads to `unspin serve`).

    decode_bytes(data, name, encoding=None, declared=None) -> Decoded(text, encoding, bom)

Order (the first that applies wins):
1. `encoding` given (`--encoding NAME`): decode strictly with it (a leading BOM of that encoding is dropped);
2. a byte-order mark: UTF-8, UTF-16 LE/BE, UTF-32 LE/BE;
3. UTF-32 and UTF-16 without a BOM (zero bytes at three of every four, or every other, position: ASCII-heavy
   text; a short start needs them in most code units), unless it decodes to controls;
4. a NUL byte in the first `SNIFF_BYTES` bytes: binary data, refused;
5. UTF-8;
6. `declared` (e.g. an HTML page's `<meta charset>`), when it decodes the bytes;
7. UTF-8 with a few stray bytes (more well-formed multi-byte sequences than other high bytes): refused, naming
   the first bad byte (any other encoding would garble every non-ASCII character);
8. charset-normalizer's candidates, re-ranked for English text (see `_english_fit`).
A file that is empty, or holds only a byte-order mark, is refused the same way. Text is returned exactly as
decoded (line endings untouched), so offsets and restored output stay byte-faithful; readers that want
normalised newlines do that themselves.
"""
from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

SNIFF_BYTES = 8192  # a NUL byte this early means binary data; a stray NUL later is just a character
MAX_SCORED = 2000  # non-ASCII characters looked at when ranking candidate encodings
MAX_CONTROL_SHARE = 0.01  # more control characters than this in decoded UTF-16: binary data after all

_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)

# Preference among equally plausible decodings: the Western code pages real corpora use most.
_PREFERRED = ("cp1252", "iso8859-1", "iso8859-15", "utf-16-le", "utf-16-be")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


class DecodeError(ValueError):
    """The bytes are not text (or not in the encoding asked for); the message names the file and says why.
    `nul_at`: the offset of the NUL byte when the bytes were refused as binary data (a reader of a given format
    can then say it in its own terms)."""

    def __init__(self, message: str, nul_at: int | None = None):
        super().__init__(message)
        self.nul_at = nul_at


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str | None  # None for UTF-8 (with or without BOM); else the codec used, e.g. "cp1252", "utf-16-le"
    bom: bytes = b""  # the byte-order mark the input started with (to write output back the same way)

    def encode(self, text: str) -> bytes:
        """`text` in the input's encoding and BOM (for output files that must match the input byte for byte
        where nothing changed). Characters the encoding cannot hold raise UnicodeEncodeError."""
        return self.bom + text.encode(self.encoding or "utf-8")


def codec_name(name: str) -> str:
    """The canonical name of a text encoding ("latin-1" → "iso8859-1", "UTF8" → "utf-8"); ValueError for
    unknown names and for codecs that do not turn bytes into text (base64, zlib, rot13)."""
    try:
        info = codecs.lookup(name)
    except (LookupError, TypeError):
        info = None
    # bytes-to-bytes and str-to-str codecs (base64, hex, rot13, punycode's odd cousins, "undefined") say so in
    # a private flag; decoding b"" raises for none of them
    if info is None or not getattr(info, "_is_text_encoding", True) or info.name in _NOT_TEXT:
        raise ValueError(f"unknown text encoding {name!r} (e.g. utf-8, cp1252, latin-1, utf-16)") from None
    return info.name


_NOT_TEXT = frozenset({"undefined", "punycode", "idna", "raw-unicode-escape", "unicode-escape"})


def bom_codec(head: bytes, family: str = "") -> str | None:
    """The codec whose byte-order mark `head` starts with ("utf-16-le", …), among those of `family` ("utf-16")
    when given, or None."""
    for mark, codec, _ in _BOMS:
        if codec.startswith(family) and head.startswith(mark):
            return codec
    return None


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _strict(data: bytes, codec: str, name: str, skip: int, why: str) -> str:
    try:
        return data[skip:].decode(codec)
    except UnicodeDecodeError as e:
        at = skip + e.start
        label = codec.upper() if codec.startswith("utf") else codec
        raise DecodeError(f"{name}: not valid {label} at byte offset {at} (line {_line_of(data, at)}, "
                          f"byte 0x{data[at]:02x}){why}") from None


# What to do about bytes that are not text, as the command line says it (the web page, which has no --encoding
# and reads HTML, PDF and DOCX itself, says its own for each: serve.extract)
REMEDY_BINARY = "unspin reads text: extract it first (unspin screen reads HTML, PDF and DOCX)"
REMEDY_STRAY_BYTE = "fix that byte, or name the file's encoding with --encoding"
REMEDY_NOT_TEXT = "convert it to UTF-8 or name its encoding with --encoding"


def empty_error(name: str, bom: bool = False) -> DecodeError:
    """The error for input `name` holding nothing (`bom`: nothing but a byte-order mark)."""
    what = "input" if name == "<stdin>" else "file"  # nothing piped in is no file to blame
    return DecodeError(f"{name}: empty {what}" + (" (only a byte-order mark)" if bom else " (0 bytes)"))


def _decode_as(data: bytes, name: str, encoding: str) -> Decoded:
    """Strictly in the encoding asked for; a BOM of that encoding family is honoured and dropped."""
    codec = codec_name(encoding)
    family = next((f for f in ("utf-8", "utf-16", "utf-32") if codec.startswith(f)), None)
    bom = b""
    if family:
        for mark, bom_codec, _ in _BOMS:
            if data.startswith(mark) and bom_codec.startswith(family) and codec in (family, "utf-8-sig", bom_codec):
                bom, codec = mark, bom_codec
                break
        else:
            if codec == "utf-8-sig":
                codec = "utf-8"
            elif codec in ("utf-16", "utf-32"):  # no BOM: the byte order the zero bytes show, else little-endian
                codec = ("utf-16-be" if _utf16_without_bom(data) == "utf-16-be" else "utf-16-le") \
                    if codec == "utf-16" else "utf-32-le"
    if family not in ("utf-16", "utf-32"):
        # an 8-bit encoding decodes any bytes at all: what the file's own start says still counts
        for mark, _, label in _BOMS:
            if data.startswith(mark) and not (family == "utf-8" and label == "UTF-8"):
                raise DecodeError(f"{name}: starts with a {label} byte-order mark, but --encoding {encoding} was "
                                  f"given: leave --encoding out, or give {label}")
        nul = data.find(b"\x00", 0, SNIFF_BYTES)
        if nul >= 0:
            raise DecodeError(f"{name}: binary file (NUL byte at byte offset {nul}), not {encoding} text; "
                              f"{REMEDY_BINARY}", nul_at=nul)
    if not data[len(bom):]:
        raise empty_error(name, bool(bom))
    text = _strict(data, codec, name, len(bom), f" (--encoding {encoding})")
    return Decoded(text, None if codec == "utf-8" else codec, bom)


UTF16_ENOUGH_NULS = 16  # zero bytes in one lane that are evidence of UTF-16 whatever the share they make


def _utf16_without_bom(data: bytes) -> str | None:
    """"utf-16-le" / "utf-16-be" when zero bytes sit at nearly every odd (LE) or even (BE) position of the
    start, as in ASCII-heavy UTF-16; else None. In a short start a share says little (one NUL in 7 bytes of
    binary data is a third of its 3 code units): there the zero bytes must fill most of the lane, or be
    UTF16_ENOUGH_NULS, so that a small binary file is called binary, not truncated UTF-16."""
    head = data[: SNIFF_BYTES & ~1]
    n = len(head) // 2
    if n < 2:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    enough = min(n // 2 + 1, UTF16_ENOUGH_NULS)  # (below 0.3 * n once n ≥ 54: long starts are judged as before)
    if odd >= 0.3 * n and odd >= enough and even <= 0.05 * n:
        return "utf-16-le"
    if even >= 0.3 * n and even >= enough and odd <= 0.05 * n:
        return "utf-16-be"
    return None


def _utf32_without_bom(data: bytes) -> str | None:
    """"utf-32-le" / "utf-32-be" when three of every four bytes of the start are zero, as in ASCII-heavy UTF-32
    (the zero at the fourth place, LE, or the first, BE); else None."""
    head = data[: SNIFF_BYTES & ~3]
    n = len(head) // 4
    if n < 2:
        return None
    lanes = [head[i::4].count(0) for i in range(4)]
    if min(lanes[1], lanes[2], lanes[3]) >= 0.9 * n and lanes[0] <= 0.05 * n:
        return "utf-32-le"
    if min(lanes[0], lanes[1], lanes[2]) >= 0.9 * n and lanes[3] <= 0.05 * n:
        return "utf-32-be"
    return None


def _control_share(text: str) -> float:
    """Share of control characters other than whitespace in the start of a decoded text (binary data decoded
    as UTF-16 is full of them)."""
    head = text[:SNIFF_BYTES]
    bad = sum(1 for c in head
              if (c < " " and c not in "\t\n\r\f\v") or unicodedata.category(c) in ("Cn", "Co", "Cs"))
    return bad / max(len(head), 1)


_EDGE = "\"'()[]{}<>.,;:!?“”‘’«»„…*–—-"
_JOINERS = re.compile(r"[’'‘—–‐…/-]+")
_NUMBERISH = re.compile(r"[£$€¥¢]?[\d.,]*[½¼¾]?[°%¢]?[a-z]{0,2}")


def _plausible_token(token: str, known_word) -> bool:
    """A whitespace-delimited token of English text: known words (wordfreq) joined by apostrophes, dashes or
    slashes, numbers with their symbols (460°C, ½¢, £5), quotes and punctuation around them."""
    for piece in _JOINERS.split(token.strip(_EDGE)):
        piece = piece.strip(_EDGE).lower()
        # (wordfreq splits a word at a symbol: "f³r", cp775's "für", would be the common "f" and "r")
        if not piece or (known_word(piece) and all(c.isalpha() or c.isascii() or unicodedata.category(c) == "Mn"
                                                   for c in piece)):
            continue
        if any(c.isdigit() or c in "½¼¾" for c in piece) and _NUMBERISH.fullmatch(piece):
            continue
        return False
    return True


def _english_fit(text: str) -> float:
    """How plausible a decoding is as English text: the share of its non-ASCII characters (at most MAX_SCORED,
    spaces not counted) that sit in plausible tokens (see `_plausible_token`), minus the share that do not. A
    wrong code page turns "man’s" into "maníªs", "peace—with" into "peace°Xwith", "café" into "cafĂ©"."""
    from .knowledge.frequency import zipf

    words: dict[str, bool] = {}
    tokens: dict[str, bool] = {}

    def known_word(w: str) -> bool:
        if w not in words:
            words[w] = zipf(w) > 0
        return words[w]

    score = n = 0
    for m in _NON_ASCII.finditer(text):
        if m.group().isspace():
            continue
        if n == MAX_SCORED:
            break
        n += 1
        i = m.start()
        a, b = i, i + 1
        while a > 0 and i - a < 60 and not text[a - 1].isspace():
            a -= 1
        while b < len(text) and b - i < 60 and not text[b].isspace():
            b += 1
        token = text[a:b]
        if token not in tokens:
            tokens[token] = _plausible_token(token, known_word)
        score += 1 if tokens[token] else -1
    return score / n if n else 1.0


# a well-formed multi-byte UTF-8 sequence (RFC 3629: no overlongs, no surrogates)
_UTF8_MULTI = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
                         rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
                         rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}")


_HIGH_BYTES = bytes(range(0x80, 0x100))


def _mostly_utf8(data: bytes) -> bool:
    """UTF-8 with a few stray bytes (a cp1252 dash pasted into a UTF-8 file): more well-formed multi-byte UTF-8
    sequences than bytes outside them. Text in a legacy code page almost never forms such sequences (its accented
    letters stand alone), so decoding it as cp1252 is right; decoding *this* as anything but UTF-8 garbles every
    non-ASCII character."""
    multi = _UTF8_MULTI.findall(data)
    if not multi:
        return False
    high = len(data) - len(data.translate(None, _HIGH_BYTES))  # bytes ≥ 0x80, counted in C
    stray = high - sum(len(m) for m in multi)
    return len(multi) > stray


def _detect(data: bytes) -> str | None:
    """The most plausible encoding of bytes that are not UTF-8: charset-normalizer's candidates (it rejects
    data that is not text in any encoding), re-ranked by how English-like their non-ASCII characters come
    out, ties going to the common Western code pages. None when charset-normalizer finds no candidate."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        return None
    candidates: list[str] = []
    for m in matches:
        try:
            c = codec_name(m.encoding)
        except ValueError:
            continue
        if c not in candidates and c not in ("utf-8", "ascii"):
            candidates.append(c)
    if not candidates:
        return None
    if "cp1252" not in candidates:
        candidates.append("cp1252")  # the usual suspect for English text that is not UTF-8

    best, best_key = None, None
    for rank, c in enumerate(candidates):
        try:
            text = data.decode(c)
        except UnicodeDecodeError:
            continue
        pref = _PREFERRED.index(c) if c in _PREFERRED else len(_PREFERRED)
        key = (_english_fit(text), -pref, -rank)
        if best_key is None or key > best_key:
            best, best_key = c, key
    return best


def decode_bytes(data: bytes, name: str, encoding: str | None = None, declared: str | None = None) -> Decoded:
    """Decode the bytes of the input `name` (see the module docstring); raises DecodeError with a message that
    names the input and says what is wrong (empty, binary with the offset of the NUL byte, not valid in the
    forced encoding with the byte offset, not text in any encoding)."""
    if not data:
        raise empty_error(name, False)
    if encoding:
        return _decode_as(data, name, encoding)
    for mark, codec, label in _BOMS:
        if data.startswith(mark):
            if len(data) == len(mark):
                raise empty_error(name, True)
            text = _strict(data, codec, name, len(mark), f" (the file starts with a {label} byte-order mark)")
            return Decoded(text, None if codec == "utf-8" else codec, mark)
    utf32 = _utf32_without_bom(data)
    if utf32 and len(data) % 4 == 0:
        try:
            text = data.decode(utf32)
        except UnicodeDecodeError:
            text = None
        if text is not None and _control_share(text) <= MAX_CONTROL_SHARE:
            return Decoded(text, utf32)
    utf16 = _utf16_without_bom(data)
    if utf16:
        if len(data) % 2:
            raise DecodeError(f"{name}: looks like UTF-16 without a byte-order mark, but has an odd number of "
                              f"bytes ({len(data)}): truncated?")
        text = _strict(data, utf16, name, 0, " (looks like UTF-16 without a byte-order mark)")
        if _control_share(text) <= MAX_CONTROL_SHARE:
            return Decoded(text, utf16)
    nul = data.find(b"\x00", 0, SNIFF_BYTES)
    if nul >= 0:
        raise DecodeError(f"{name}: binary file (NUL byte at byte offset {nul}), not text; {REMEDY_BINARY}",
                          nul_at=nul)
    try:
        return Decoded(data.decode("utf-8"), None)
    except UnicodeDecodeError as e:
        bad = e.start
    if declared:
        try:
            codec = codec_name(declared)
            return Decoded(data.decode(codec), None if codec == "utf-8" else codec)
        except (ValueError, UnicodeDecodeError):
            pass  # a wrong declaration: detect instead
    if _mostly_utf8(data):
        raise DecodeError(f"{name}: not valid UTF-8 at byte offset {bad} (line {_line_of(data, bad)}, byte "
                          f"0x{data[bad]:02x}), though the rest of it is UTF-8: read in any other encoding, every "
                          f"accented letter and curly quote would come out wrong; {REMEDY_STRAY_BYTE}")
    codec = _detect(data)
    if codec is None:
        raise DecodeError(f"{name}: not valid UTF-8 at byte offset {bad} (line {_line_of(data, bad)}, byte "
                          f"0x{data[bad]:02x}) and not text in any other encoding unspin recognises; "
                          f"{REMEDY_NOT_TEXT}")
    return Decoded(data.decode(codec), codec)


def stream_encoding(head: bytes, name: str, encoding: str | None = None) -> str:
    """The codec to stream a row file (CSV, JSONL) with, judged from its first bytes: `encoding` when given,
    the BOM's, UTF-8 when the head is UTF-8 (a character cut at the end of the head is fine), else what
    `decode_bytes` detects on the head. Always a name `open(..., encoding=)` accepts ("utf-8-sig" for UTF-8,
    so that a BOM is dropped)."""
    if encoding:
        codec = codec_name(encoding)
        return "utf-8-sig" if codec == "utf-8" else codec
    if codec := bom_codec(head):
        return "utf-8-sig" if codec == "utf-8" else codec[:-3]  # utf-16 / utf-32 read their own BOM
    if b"\x00" in head:
        # NUL bytes are valid UTF-8, so UTF-16/32 without a BOM (English text: every other byte NUL) would pass
        # the UTF-8 test below and be read as text full of NULs; judge whole code units instead
        try:
            found = decode_bytes(head[: len(head) - len(head) % 4], name).encoding
        except DecodeError:
            found = None
        if found and found.startswith("utf-"):
            return found
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    cut = head.rfind(b"\n")
    try:
        found = decode_bytes(head[: cut + 1] if cut > 0 else head, name).encoding
    except DecodeError:
        return "utf-8-sig"  # not text in any encoding: the strict UTF-8 reader reports where it breaks
    return found or "utf-8-sig"
