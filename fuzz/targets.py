"""Fuzz targets for unspin: one function per target, `target(data: bytes) -> None`.

Each target raises only on a real bug: an exception that is not the entry point's documented error, or a
broken invariant (offsets that do not index the text, a document that is neither text nor error, ...).
The same functions are driven by atheris (fuzz/run_fuzz.py) and replayed by pytest over the kept corpus
(tests/test_fuzz_corpus.py), so they must not depend on atheris: bytes are turned into text by `as_text`.
"""
from __future__ import annotations

import os
import tempfile
import traceback
from pathlib import Path

CHECK_MAX_CHARS = 300  # the check target fuzzes short inputs: the engine costs ~ms per word


def as_text(data: bytes) -> str:
    """Bytes -> str, deterministically, reaching all of Unicode including lone surrogates.
    The first byte picks the decoding: UTF-8 (errors replaced), UTF-16-LE (lone surrogates kept) or Latin-1."""
    if not data:
        return ""
    mode, rest = data[0] % 3, data[1:]
    if mode == 0:
        return rest.decode("utf-8", "replace")
    if mode == 1:
        return rest[: len(rest) // 2 * 2].decode("utf-16-le", "surrogatepass")
    return rest.decode("latin-1")


# ------------------------------------------------------------------------------------------------ tokenizer

def fuzz_text(data: bytes) -> None:
    from unspin import text as T

    s = as_text(data)
    toks = T.tokenize(s)
    prev = 0
    for t in toks:
        assert prev <= t.start < t.end <= len(s), (t, len(s))
        assert s[t.start : t.end] == t.text
        assert t.kind in ("word", "num", "punct")
        prev = t.end
    assert T.count_words(s) == sum(t.kind == "word" for t in toks)
    sents = T.sentences(toks, s)
    assert [t for sent in sents for t in sent] == toks
    paras = T.paragraphs(s)
    for off, p in paras:
        assert s[off : off + len(p)] == p
    for off in (0, len(s) // 2, len(s)):
        line, col = T.line_col(s, off)
        assert line >= 1 and col >= 1
    for t in toks[:20]:
        T.match_case(t.text, "word")
        T.article_for(t.text)


# ------------------------------------------------------------------------------------------ check pipeline

def fuzz_check(data: bytes) -> None:
    import unspin

    s = as_text(data)[:CHECK_MAX_CHARS]
    try:
        rep = unspin.check(s, fingerprints=False)
    except ValueError as e:  # the engine's documented refusal (e.g. text it cannot take); must say why
        assert str(e), "ValueError without a message"
        return
    prev = 0
    for f in rep.findings:
        assert prev <= f.start < f.end <= len(s)
        assert s[f.start : f.end] == f.text
        assert 0.0 <= f.confidence <= 1.0
        prev = f.end
    assert rep.spin_score is None or 0.0 <= rep.spin_score <= 1.0
    assert rep.verdict in ("spun", "clean", "uncertain")
    assert rep.spin_score is not None or rep.verdict == "uncertain"
    assert all(f.level in ("finding", "suspect") for f in rep.findings)
    d = rep.to_dict()
    assert d["schema"] == unspin.SCHEMA_VERSION and d["words"] >= 0


# ---------------------------------------------------------------------------------- fingerprint-list parsers

def fuzz_fingerprints(data: bytes) -> None:
    from unspin.fingerprints import parse as P

    s = as_text(data)
    path = Path("fuzz-list")
    for fn in (P.parse_json, P.parse_pps_csv, P.parse_tsv):
        for keep in (False, True):
            try:
                res = fn(path, s, keep_uncertain=keep)
            except P.FingerprintFormatError as e:
                assert str(e)
                continue
            for e in res.entries:
                assert isinstance(e.tortured, str) and e.tortured.strip()
    try:
        P.parse_query(s[:400])
    except P.QueryError:
        pass
    try:
        P.parse_count(s[:40])
    except ValueError:
        pass
    P.detect_format(path, s)
    P.normalise(s)
    P.clean_expected(s)


# -------------------------------------------------------------------------------------------------- spintax

def fuzz_spintax(data: bytes) -> None:
    from unspin.spin import SpintaxError, expand_spintax

    s = as_text(data)
    seed = data[0] if data else 0
    try:
        out = expand_spintax(s, seed=seed)
    except SpintaxError as e:
        assert str(e)
        return
    assert isinstance(out, str)
    assert expand_spintax(s, seed=seed) == out  # deterministic


# -------------------------------------------------------------------------------------------------- readers

_TMP = None


def _tmpdir() -> str:
    global _TMP
    if _TMP is None:
        _TMP = tempfile.mkdtemp(prefix="unspin-fuzz-")
    return _TMP


class ThirdPartyCrash(Exception):
    """Not a bug of ours: a parser library raised; readers turn it into a 'parser crashed' error document."""


def _origin_is_unspin(exc: BaseException) -> bool:
    """Was the exception raised in unspin's own code? Judged by the package's directory, not by a path
    containing "/unspin/": a checkout named unspin holds its venv too, and pdfminer's frames would count."""
    import unspin

    package = os.path.dirname(os.path.abspath(unspin.__file__)) + os.sep
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and os.path.abspath(frames[-1].filename).startswith(package)


def _read(data: bytes, suffix: str) -> None:
    from unspin.readers import ReadError, extract_text, iter_documents

    path = os.path.join(_tmpdir(), "doc" + suffix)
    with open(path, "wb") as fh:
        fh.write(data)
    docs = list(iter_documents([path]))  # documented: never raises
    assert docs or suffix in (".jsonl", ".csv"), "a file produced no document at all"  # rows: may be none
    for d in docs:
        assert (d.text is None) != (d.error is None), d
        if d.error is not None:
            assert path in d.error, d.error  # the message names the file
            assert not d.pending
        else:
            assert isinstance(d.text, str) and d.text.strip()
    if suffix in (".jsonl", ".csv"):
        return
    # whole-file formats: call the extractor itself so a crash in OUR code is not hidden by Document.load's
    # catch-all (a crash inside a third-party parser is reported by the reader as "parser crashed")
    fmt = {".txt": "text", ".html": "html", ".pdf": "pdf", ".docx": "docx"}[suffix]
    try:
        extract_text(data, fmt, path, {})
    except ReadError as e:
        assert path in str(e)
    except RecursionError:
        raise
    except Exception as e:
        if _origin_is_unspin(e):
            raise
        raise ThirdPartyCrash(f"{type(e).__name__}") from e


def _reader_target(suffix: str):
    def target(data: bytes) -> None:
        try:
            _read(data, suffix)
        except ThirdPartyCrash:
            pass  # handled by the reader as an error document (asserted in _read via iter_documents)

    target.__name__ = f"fuzz_read_{suffix[1:]}"
    return target


fuzz_read_txt = _reader_target(".txt")
fuzz_read_html = _reader_target(".html")
fuzz_read_pdf = _reader_target(".pdf")
fuzz_read_docx = _reader_target(".docx")
fuzz_read_jsonl = _reader_target(".jsonl")
fuzz_read_csv = _reader_target(".csv")

TARGETS = {
    "text": fuzz_text,
    "check": fuzz_check,
    "fingerprints": fuzz_fingerprints,
    "spintax": fuzz_spintax,
    "read_txt": fuzz_read_txt,
    "read_html": fuzz_read_html,
    "read_pdf": fuzz_read_pdf,
    "read_docx": fuzz_read_docx,
    "read_jsonl": fuzz_read_jsonl,
    "read_csv": fuzz_read_csv,
}

# modules whose code atheris instruments for coverage feedback, per target
INSTRUMENT = {
    "text": ["unspin.text"],
    "check": ["unspin"],
    "fingerprints": ["unspin.fingerprints.parse"],
    "spintax": ["unspin.spin"],
    "read_txt": ["unspin.readers"],
    "read_html": ["unspin.readers", "trafilatura", "selectolax"],
    "read_pdf": ["unspin.readers", "pdfminer"],
    "read_docx": ["unspin.readers"],
    "read_jsonl": ["unspin.readers"],
    "read_csv": ["unspin.readers"],
}
