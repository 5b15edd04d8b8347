"""Hardening properties (hypothesis), complementing tests/test_properties.py:
- `unspin check --format json` output always validates against docs/schema/check-v2.json (reports and
  input-error objects alike);
- fingerprint-list and PPS-query parsers raise nothing but their documented errors;
- the spintax parser raises nothing but SpintaxError;
- document readers never raise (iter_documents) or raise only ReadError (read_text_file)."""
from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

jsonschema = pytest.importorskip("jsonschema")

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "docs" / "schema" / "check-v2.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

WORDS = ["the", "focal", "bank", "brought", "up", "its", "premium", "rate", "profound", "learning", "counterfeit",
         "consciousness", "huge", "information", "said", "police", "fled", "a", "inquiry", "😀", "naïve", "\u202e",
         "\u0301", "\n", "\n\n", ",", ".", "\"", "<script>", "&amp;", "3.5%", "\t", "\r\n"]
prose = st.lists(st.sampled_from(WORDS), min_size=1, max_size=50).map(" ".join)
raw_bytes = st.one_of(
    prose.map(lambda s: s.encode("utf-8")),
    st.binary(max_size=200),
    st.text(max_size=120).map(lambda s: s.encode("utf-8", "surrogatepass")),
    prose.map(lambda s: b"\xff\xfe" + s.encode("utf-16-le")),
)

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _cli_json(paths: list[str]) -> tuple[int, list[dict]]:
    from unspin.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["check", "--format", "json", "--no-fingerprints", *paths])
    return code, [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


def test_schema_file_is_a_valid_json_schema_and_rejects_wrong_objects():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    good = {"schema": 2, "path": "a.txt", "words": 3, "spin_score": 0.5, "verdict": "clean", "stage": "full",
            "findings": []}
    VALIDATOR.validate(good)
    VALIDATOR.validate({"schema": 2, "path": "a.txt", "error": "a.txt: empty file"})
    for bad in ({**good, "schema": 1}, {**good, "verdict": "maybe"}, {**good, "spin_score": 1.5},
                {**good, "findings": [{"start": 0, "end": 1, "text": "x"}]}, {k: v for k, v in good.items()
                                                                              if k != "words"}):
        assert not VALIDATOR.is_valid(bad), bad


@settings(max_examples=40, **SETTINGS)
@given(st.lists(raw_bytes, min_size=1, max_size=3))
def test_cli_json_always_validates_against_the_documented_schema(blobs):
    with tempfile.TemporaryDirectory() as d:
        paths = []
        for i, b in enumerate(blobs):
            p = Path(d) / f"in{i}.txt"
            p.write_bytes(b)
            paths.append(str(p))
        code, objs = _cli_json(paths)
        assert len(objs) == len(paths)  # one object per input, in order, even for bad inputs
        for p, obj, b in zip(paths, objs, blobs):
            VALIDATOR.validate(obj)
            assert obj["path"] == p
            if "error" in obj:
                assert p in obj["error"]
                continue
            text = Path(p).read_bytes()
            from unspin.inputs import decode

            text = decode(text, p)
            prev = 0
            for f in obj["findings"]:
                assert prev <= f["start"] < f["end"] <= len(text) and text[f["start"]:f["end"]] == f["text"]
                prev = f["end"]
        # exit code flags: 4 when an input could not be read, plus 1 when another had findings
        unreadable = 4 if any("error" in o for o in objs) else 0
        found = 1 if any(f["level"] == "finding" for o in objs for f in o.get("findings", ())) else 0
        assert code == unreadable | found


def test_cli_json_from_a_subprocess_validates(tmp_path):
    doc = tmp_path / "spun.txt"
    doc.write_text((ROOT / "examples" / "spun-news.txt").read_text(encoding="utf-8"), encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe")  # a UTF-16 byte-order mark and nothing else
    r = subprocess.run([str(ROOT / ".venv" / "bin" / "unspin"), "check", "--format", "json", "--no-fingerprints",
                        str(doc), str(bad)], capture_output=True, text=True, timeout=300,
                       env=dict(os.environ))
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    has_findings = any(f["level"] == "finding" for f in lines[0]["findings"])
    assert r.returncode == 4 | int(has_findings) and len(lines) == 2  # exit codes are flags
    for obj in lines:
        VALIDATOR.validate(obj)
    assert lines[0]["words"] > 50 and lines[1]["error"] == f"{bad}: empty file (only a byte-order mark)"


# ------------------------------------------------------------------------------------------------- parsers

list_text = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(['"', ",", "\t", "\n", "AND", "OR", "NOT", "(", ")", "~", "*", "3", "profound",
                              "learning", "deep", "{", "}", "[", "]", ":", "tortured_phrase", "expected", "(?)",
                              "#", "42,682", "\\", " "]), max_size=60).map("".join),
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                 lambda c: st.lists(c, max_size=4) | st.dictionaries(
                     st.sampled_from(["tortured", "correct", "expected", "query", "papers", "num_papers",
                                      "phrases", "x"]), c, max_size=4), max_leaves=12).map(json.dumps),
)


@settings(max_examples=200, **SETTINGS)
@given(list_text, st.sampled_from(["json", "pps-csv", "tsv", "auto"]), st.booleans())
def test_fingerprint_parsers_raise_only_format_errors(text, fmt, keep):
    from unspin.fingerprints.parse import FingerprintFormatError, parse_file

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "list.txt"
        p.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            res = parse_file(p, fmt=fmt, keep_uncertain=keep)
        except FingerprintFormatError as e:
            assert str(p) in str(e)  # names the file
            return
        lines = sorted(s.line for s in res.skipped)
        assert lines == [s.line for s in res.skipped]
        for e in res.entries:
            assert e.tortured.strip() and e.expected.strip()


@settings(max_examples=300, **SETTINGS)
@given(list_text)
def test_pps_query_parser_raises_only_query_error(q):
    from unspin.fingerprints.parse import QueryError, parse_query

    try:
        out = parse_query(q)
    except QueryError as e:
        assert str(e)
        return
    assert out and all(isinstance(display, str) and display for display, *_ in out)


@settings(max_examples=300, **SETTINGS)
@given(st.one_of(st.text(max_size=200),
                 st.lists(st.sampled_from(["{", "}", "|", "\\", "a", "b c", "é"]), max_size=80).map("".join)),
       st.integers(0, 2**32))
def test_spintax_raises_only_spintax_error(s, seed):
    from unspin.spin import SpintaxError, expand_spintax

    try:
        out = expand_spintax(s, seed=seed)
    except SpintaxError as e:
        assert str(e)
        return
    assert out == expand_spintax(s, seed=seed)
    if not any(c in s for c in "{}|\\"):
        assert out == s


# ------------------------------------------------------------------------------------------------- readers

SUFFIXES = [".txt", ".md", ".html", ".pdf", ".docx", ".jsonl", ".csv", ".tsv", ".weird"]
doc_bytes = st.one_of(
    raw_bytes,
    st.sampled_from([b"%PDF-1.4\n", b"PK\x03\x04", b"<html><body><p>", b'{"text": 1}\n', b"text\n\"a\n"])
    .flatmap(lambda head: st.binary(max_size=150).map(lambda tail: head + tail)),
)


@settings(max_examples=150, **SETTINGS)
@given(doc_bytes, st.sampled_from(SUFFIXES))
def test_readers_never_raise(data, suffix):
    from unspin.readers import ReadError, iter_documents, read_text_file

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"doc{suffix}"
        p.write_bytes(data)
        docs = list(iter_documents([str(p)]))
        for doc in docs:
            assert (doc.text is None) != (doc.error is None)
            if doc.error:
                assert str(p) in doc.error
        lazy = [x.load() for x in iter_documents([str(p)], lazy=True)]
        assert [(x.id, x.text, x.error) for x in lazy] == [(x.id, x.text, x.error) for x in docs]
        try:
            text = read_text_file(p)
            assert isinstance(text, str)
        except ReadError as e:
            assert str(p) in str(e)


RESTORE_SCHEMA = json.loads((ROOT / "docs" / "schema" / "restore-v2.json").read_text())


def test_restore_json_validates_against_its_schema(tmp_path):
    from unspin.cli import main

    jsonschema.Draft202012Validator.check_schema(RESTORE_SCHEMA)
    validator = jsonschema.Draft202012Validator(RESTORE_SCHEMA)
    spun = ROOT / "examples" / "spun-news.txt"
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        main(["restore", "--format", "json", "--no-fingerprints", str(spun), str(tmp_path / "missing.txt")])
    objs = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    assert len(objs) == 2 and objs[0]["edits"] and "error" in objs[1]
    for obj in objs:
        validator.validate(obj)
    assert not validator.is_valid({**objs[0], "edits": [{"start": 0, "end": 5, "old": "Focal"}]})
    assert not validator.is_valid({**objs[0], "schema": 1})
