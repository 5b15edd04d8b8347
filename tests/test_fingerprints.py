"""Fingerprint lists: parsing, store, matching, merge, density, learned pairs, CLI (fixtures are our own)."""
from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from unspin.edits import apply_edits, edits_from_findings

from unspin import fingerprints as fp
from unspin.fingerprints.parse import (QueryError, Term, clean_expected, detect_format, parse_count, parse_file,
                                       parse_query)
from unspin.types import Finding

FIX = Path(__file__).parent / "fixtures" / "fingerprints"
JSON_LIST = FIX / "list.json"
PPS_CSV = FIX / "pps.csv"
TSV_LIST = FIX / "list.tsv"


@pytest.fixture(autouse=True)
def _db_env(tmp_path, monkeypatch):
    monkeypatch.setenv("UNSPIN_FINGERPRINTS_DB", str(tmp_path / "fp.sqlite"))
    monkeypatch.setenv("UNSPIN_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "fp.sqlite"


def _reasons(res):
    return [s.reason.split(":")[0] for s in res.skipped]


# ---- parsing --------------------------------------------------------------------------------------------


def test_json_list_entries_and_skips():
    res = parse_file(JSON_LIST)
    assert res.format == "json"
    tortured = [e.tortured for e in res.entries]
    assert tortured == ["profound learning", "irregular woodland", "profound neural organization", "sign to clamor",
                        "colossal information", "bit-coin mining"]
    assert res.entries[-1].num_papers == 1204
    by_line = {s.line: s.reason for s in res.skipped}
    assert by_line[6].startswith("uncertain")  # "(?)"
    assert by_line[7].startswith("uncertain")  # "???"
    assert by_line[8].startswith("not a fingerprint")  # the context term itself
    for line in (9, 10, 11, 12):
        assert by_line[line].startswith("malformed"), (line, by_line[line])
    assert by_line[13].startswith("duplicate")  # same phrase, other case
    assert res.skipped_by_reason() == {"malformed": 4, "uncertain": 2, "not a fingerprint": 1, "duplicate": 1}


def test_keep_uncertain_imports_question_marked_rows_but_not_unknown_ones():
    res = parse_file(JSON_LIST, keep_uncertain=True)
    cadence = [e for e in res.entries if e.tortured == "cadence sketch"]
    assert cadence and cadence[0].uncertain and cadence[0].suggestion == "rhythm pattern"
    assert not any(e.tortured == "mysterious state" for e in res.entries)


def test_pps_csv_query_syntax():
    res = parse_file(PPS_CSV)
    assert res.format == "pps-csv"
    by = {e.tortured: e for e in res.entries}
    assert by["counterfeit consciousness"].num_papers == 12345
    assert by["counterfeit consciousness"].suggestion == "artificial intelligence"
    assert by["bosom"].require == ((Term("breast"),),)
    assert by["surface locale"].require == ((Term("surface area"),),)
    assert by["attractive cell partition"].exclude == (Term("with macx"),)
    assert by["groups bunching"].proximity == 5
    assert by["streamlining calculation"].require == ((Term("optimiz", None, True),),)
    assert by["passage effect"].require == ((Term("magnetic"), Term("voltage")),)
    assert by["fit record"].expected == by["fit document"].expected == "fit index"
    assert "haphazard woods" not in by
    reasons = {s.line: s.reason for s in res.skipped}
    assert reasons[10].startswith("uncertain")
    assert "ADN" in reasons[11] and reasons[11].startswith("malformed query")
    assert "quote" in reasons[12]
    assert "not a number" in reasons[13]
    assert "column" in reasons[14]
    assert reasons[16].startswith("duplicate")
    assert reasons[17].startswith("not a fingerprint")
    assert len(res.entries) == 10


def test_tsv_list_with_header_comments_and_bad_rows():
    res = parse_file(TSV_LIST)
    assert res.format == "tsv"
    assert [(e.tortured, e.expected, e.num_papers) for e in res.entries] == [
        ("profound learning", "deep learning", 99), ("irregular woodland", "random forest", None),
        ("least squares relapse", "least squares regression", 7)]
    reasons = [s.reason for s in res.skipped]
    assert any("1 column" in r for r in reasons)
    assert any(r.startswith("uncertain") for r in reasons)
    assert any("not a number" in r for r in reasons)


def test_a_list_saved_as_utf16_or_with_a_bom_reads_like_every_other_input(tmp_path):
    """Lists are read like every other input (unspin.decoding): a spreadsheet's UTF-16 export or a BOM is no
    reason to refuse them; a binary file still is, naming it."""
    rows = "profound learning\tdeep learning\nirregular woodland\trandom forest\n"
    for name, data in (("u16.tsv", rows.encode("utf-16")), ("bom.tsv", b"\xef\xbb\xbf" + rows.encode()),
                       ("u16le.tsv", rows.encode("utf-16-le"))):
        p = tmp_path / name
        p.write_bytes(data)
        assert [(e.tortured, e.expected) for e in parse_file(p).entries] == [
            ("profound learning", "deep learning"), ("irregular woodland", "random forest")], name
    binary = tmp_path / "list.tsv"
    binary.write_bytes(b"\x00\x01\x02binary\x00")
    with pytest.raises(fp.FingerprintFormatError, match="list.tsv"):
        parse_file(binary)


def test_comma_list_without_header(tmp_path):
    p = tmp_path / "mine.csv"
    p.write_text("profound learning,deep learning\n\"odd, quoted phrase\",plain phrase\n", encoding="utf-8")
    res = parse_file(p)
    assert res.format == "tsv"
    assert [e.tortured for e in res.entries] == ["profound learning", "odd, quoted phrase"]


@pytest.mark.parametrize("query,expected", [
    ('"a b"', [("a b", None, (), ())]),
    ('"a b"~3 NOT c', [("a b", 3, (), (Term("c"),))]),
    ('"x" AND ("y" OR z*) AND NOT "w"', [("x", None, ((Term("y"), Term("z", None, True)),), (Term("w"),))]),
    ('"a" OR "b" AND "c"', [("a", None, (), ()), ("b", None, ((Term("c"),),), ())]),
    ('("a" OR "b") AND "c"', [("a", None, ((Term("c"),),), ()), ("b", None, ((Term("c"),),), ())]),
    ("plain words AND more words", [("plain words", None, ((Term("more words"),),), ())]),
])
def test_parse_query(query, expected):
    got = [(t.phrase, t.proximity, req, exc) for _, t, req, exc in parse_query(query)]
    assert got == expected


@pytest.mark.parametrize("query", ['"a" ADN "b"', '"a', '"a" AND', '("a" AND "b") OR "c" AND ("d" AND "e")',
                                   'NOT "a"', 'word* AND "b"', '""', '"a" "b"', '("a"'])
def test_parse_query_rejects(query):
    with pytest.raises(QueryError):
        parse_query(query)


@pytest.mark.parametrize("raw,clean", [
    ("artificial intelligence (AI)", "artificial intelligence"),
    ("rythm pattern (?)", "rythm pattern"),
    ("extracting [...] features", "extracting features"),
    ("social influence, see https://example.org/wiki/x", "social influence"),
    ("crow search algorithm ?", "crow search algorithm"),
    ('\\"information technology (it)\\"', "information technology"),
    ("machine learning\u00a0(in this context)", "machine learning"),
])
def test_clean_expected(raw, clean):
    assert clean_expected(raw) == clean


def test_parse_count():
    assert parse_count("42,682") == 42682
    assert parse_count(" 7 ") == 7 and parse_count("") is None
    with pytest.raises(ValueError):
        parse_count("4.2k")
    # whole floats (pandas exports) are counts; separators only between groups of three digits
    assert parse_count(3.0) == 3 and parse_count("3.0") == 3 and parse_count(None) is None
    assert parse_count("1,234,567") == 1234567 and parse_count("1 204") == 1204 and parse_count(0) == 0
    for bad in (3.5, -1, True, False, float("nan"), "1,2", "12,34", "1.000", "-3", "1,234_567", [3],
                "9" * 5000, 10**30):
        with pytest.raises(ValueError):
            parse_count(bad)


def test_detect_format(tmp_path):
    assert detect_format(Path("x.txt"), '{"phrases": []}') == "json"
    assert detect_format(Path("x.csv"), "tortured_phrase,expected_phrase,num_papers\n") == "pps-csv"
    assert detect_format(Path("x.csv"), '"""a b""",c,1\n') == "pps-csv"
    assert detect_format(Path("x.tsv"), "a b\tc\n") == "tsv"


def test_unreadable_files_name_the_file(tmp_path):
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"phrases": [', encoding="utf-8")
    binary = tmp_path / "binary.tsv"
    binary.write_bytes(b"caf\x00\x01\x02\tcoffee\x00\n")
    empty = tmp_path / "empty.tsv"
    empty.write_text("", encoding="utf-8")
    wrong_shape = tmp_path / "shape.json"
    wrong_shape.write_text('{"items": 3}', encoding="utf-8")
    latin = tmp_path / "latin.tsv"  # a legacy code page is read as every other input is (unspin.decoding)
    latin.write_bytes(b"caf\xe9 cr\xe8me\tcoffee\n")
    assert [(e.tortured, e.expected) for e in parse_file(latin).entries] == [("café crème", "coffee")]
    for p, words in [(bad_json, "invalid JSON"), (binary, "binary"), (empty, "empty"),
                     (tmp_path / "missing.tsv", "cannot read"), (wrong_shape, "phrases")]:
        with pytest.raises(fp.FingerprintFormatError) as ei:
            parse_file(p)
        assert str(p) in str(ei.value) and words in str(ei.value)


def test_counts_in_json_lists_float_whole_others_skipped(tmp_path):
    """pandas writes counts as floats ("num_papers": 3.0): that crashed the import (AttributeError)."""
    p = tmp_path / "x.json"
    rows = [("profound learning", "deep learning", 3.0), ("irregular woodland", "random forest", True),
            ("colossal information", "big data", 1.5), ("sign to clamor", "signal to noise", -2),
            ("bosom peril", "breast cancer", "1,2"), ("counterfeit consciousness", "artificial intelligence", "42,682"),
            ("arbitrary woodland", "random forest", None), ("fluffy rationale", "fuzzy logic", 1e30),
            ("choice tree", "decision tree", {"n": 1})]
    p.write_text(json.dumps([{"tortured": t, "correct": c, "num_papers": n} for t, c, n in rows]), encoding="utf-8")
    res = parse_file(p)
    assert [(e.tortured, e.num_papers) for e in res.entries] == [
        ("profound learning", 3), ("counterfeit consciousness", 42682), ("arbitrary woodland", None)]
    assert isinstance(res.entries[0].num_papers, int)
    by_item = {s.line: s.reason for s in res.skipped}
    assert sorted(by_item) == [2, 3, 4, 5, 8, 9]
    assert all(r.startswith("malformed: papers count") for r in by_item.values())
    assert "not a number" in by_item[2] and "whole" in by_item[3] and "negative" in by_item[4]
    assert "groups of three" in by_item[5] and "too large" in by_item[8]


def test_counts_in_tsv_and_pps_csv_follow_the_same_rule(tmp_path):
    tsv = tmp_path / "l.tsv"
    tsv.write_text("profound learning\tdeep learning\t3.0\nirregular woodland\trandom forest\t1,2\n"
                   "colossal information\tbig data\t-4\nsign to clamor\tsignal to noise\t1,204\n", encoding="utf-8")
    res = parse_file(tsv)
    assert [(e.tortured, e.num_papers) for e in res.entries] == [("profound learning", 3), ("sign to clamor", 1204)]
    assert {s.line: s.reason.split(":")[0] for s in res.skipped} == {2: "malformed", 3: "malformed"}
    pps = tmp_path / "p.csv"
    pps.write_text('tortured_phrase,expected_phrase,num_papers\n"""profound learning""",deep learning,5.0\n'
                   '"""irregular woodland""",random forest,"1,2"\n"""bosom peril""",breast cancer,"12,345"\n',
                   encoding="utf-8")
    res = parse_file(pps)
    assert [(e.tortured, e.num_papers) for e in res.entries] == [("profound learning", 5), ("bosom peril", 12345)]
    assert [(s.line, "groups of three" in s.reason) for s in res.skipped] == [(3, True)]


def test_deeply_nested_json_is_an_invalid_file_not_a_recursion_error(tmp_path, capsys):
    from unspin.cli import main

    p = tmp_path / "deep.json"
    p.write_text("[" * 100000, encoding="utf-8")
    with pytest.raises(fp.FingerprintFormatError) as ei:
        parse_file(p)
    assert str(p) in str(ei.value) and "nested too deeply" in str(ei.value)
    huge = tmp_path / "huge.json"
    huge.write_text('[{"tortured": "a b", "correct": "c", "num_papers": ' + "9" * 5000 + "}]", encoding="utf-8")
    with pytest.raises(fp.FingerprintFormatError):
        parse_file(huge)
    assert main(["fingerprints", "import", str(p), "--db", str(tmp_path / "d.sqlite")]) == 4
    err = capsys.readouterr().err
    assert str(p) in err and "nested too deeply" in err and "Traceback" not in err


@pytest.mark.parametrize("delim,name", [("\t", "l.tsv"), (",", "l.csv")])
def test_a_stray_quote_costs_only_its_own_row(tmp_path, delim, name):
    """A field opened with '"' and not closed used to swallow the rest of the file into one malformed row."""
    p = tmp_path / name
    rows = [("profound learning", "deep learning"), ('"irregular woodland', "random forest"),
            ("colossal information", "big data"), ("sign to clamor", "signal to noise"),
            ("bosom peril", "breast cancer"), ('"counterfeit, consciousness"', "artificial intelligence")]
    p.write_text("tortured{0}expected\n".format(delim) + "".join(f"{t}{delim}{x}\n" for t, x in rows), encoding="utf-8")
    res = parse_file(p)
    assert [e.tortured for e in res.entries] == ["profound learning", "colossal information", "sign to clamor",
                                                 "bosom peril", "counterfeit, consciousness"]
    assert [s.line for s in res.skipped] == [3] and "unbalanced double quote" in res.skipped[0].reason
    assert res.skipped[0].raw.startswith('"irregular woodland')


def test_a_stray_quote_in_a_pps_export_costs_only_its_own_row(tmp_path):
    p = tmp_path / "pps.csv"
    p.write_text('tortured_phrase,expected_phrase,num_papers\n"""profound learning""",deep learning,3\n'
                 '"""irregular woodland,random forest,4\n"""colossal information""",big data,5\n'
                 '"""sign to clamor""",signal to noise,6\n', encoding="utf-8")
    res = parse_file(p)
    assert [e.tortured for e in res.entries] == ["profound learning", "colossal information", "sign to clamor"]
    assert [s.line for s in res.skipped] == [3]


def test_cli_match_thresholds_are_checked(tmp_path, capsys):
    from unspin.cli import main

    doc = tmp_path / "doc.txt"
    doc.write_text("nothing listed here", encoding="utf-8")
    db = str(tmp_path / "cli.sqlite")
    for bad in (["--high", "-1", "--medium", "100"], ["--high", "0"], ["--medium", "0"], ["--high", "x"]):
        with pytest.raises(SystemExit) as ei:
            main(["fingerprints", "match", str(doc), "--db", db, *bad])
        assert ei.value.code == 2
    capsys.readouterr()
    assert main(["fingerprints", "match", str(doc), "--db", db, "--high", "2", "--medium", "3"]) == 2
    assert "--high (2) must be at least --medium (3)" in capsys.readouterr().err
    assert main(["fingerprints", "match", str(doc), "--db", db, "--high", "3", "--medium", "3"]) == 0


# ---- store and load -------------------------------------------------------------------------------------


def test_import_list_remove_and_default_db(_db_env):
    info, res = fp.import_file(PPS_CSV, name="pps")
    assert _db_env.exists()
    assert info.entries == len(res.entries) == 10 and info.skipped == len(res.skipped)
    fp.import_file(JSON_LIST, name="mine")
    with fp.Store() as st:
        assert [i.name for i in st.lists()] == ["mine", "pps"]
        assert st.lists()[1].skipped_by_reason["malformed query"] == 2
        assert st.remove("mine") and not st.remove("mine")
        assert [i.name for i in st.lists()] == ["pps"]


def test_reimport_replaces_and_db_option_overrides_env(tmp_path, _db_env):
    other = tmp_path / "other.sqlite"
    fp.import_file(JSON_LIST, name="x", db_path=other)
    assert other.exists() and not _db_env.exists()
    fp.import_file(TSV_LIST, name="x", db_path=other)
    with fp.Store(other) as st:
        (info,) = st.lists()
        assert info.format == "tsv" and info.entries == 3
        assert len(st.entries(["x"])) == 3


def test_invalid_list_name():
    with pytest.raises(fp.StoreError):
        fp.import_file(JSON_LIST, name="pps:bad")


def test_load_without_db_is_empty_and_cached():
    s = fp.load()
    assert len(s) == 0 and s.match("profound learning") == []
    fp.import_file(JSON_LIST, name="mine")
    a = fp.load()
    assert len(a) == 6 and fp.load() is a
    assert fp.load(names=["mine"]) is not a
    fp.import_file(TSV_LIST, name="tsv")
    b = fp.load()
    assert b is not a and len(b) == 9
    with pytest.raises(fp.StoreError):
        fp.load(names=["nope"])


# ---- matching ------------------------------------------------------------------------------------------


@pytest.fixture()
def fset():
    fp.import_file(PPS_CSV, name="pps")
    fp.import_file(JSON_LIST, name="mine")
    return fp.load()


def _hits(fs, text):
    return [(f.text, f.suggestions[0], f.detail) for f in fs.match(text)]


def test_match_basic_rule_offsets_and_evidence(fset):
    text = "😀 Our counterfeit consciousness system."
    (f,) = fset.match(text)
    assert (f.start, f.end) == (6, 31) and text[f.start:f.end] == f.text == "counterfeit consciousness"
    assert f.detail == "pps:counterfeit consciousness"
    assert f.suggestions == ("artificial intelligence",)
    assert f.confidence >= 0.95
    assert "listed in pps (seen in 12,345 papers)" in f.evidence[0]


def test_match_case_inflection_hyphen_and_boundaries(fset):
    assert _hits(fset, "Profound learning works.") == [("Profound learning", "Deep learning", "mine:profound learning")]
    assert _hits(fset, "PROFOUND LEARNING") == [("PROFOUND LEARNING", "DEEP LEARNING", "mine:profound learning")]
    assert _hits(fset, "three profound neural organizations")[0][:2] == ("profound neural organizations",
                                                                         "deep neural networks")
    assert _hits(fset, "a profound-learning\nmodel")[0][0] == "profound-learning"
    assert _hits(fset, "profound\nlearning")[0][0] == "profound\nlearning"
    assert _hits(fset, "bitcoin mining and bit-coin mining")[0][0] == "bitcoin mining"
    assert len(fset.match("bitcoin mining and bit-coin mining")) == 2
    assert fset.match("unprofound learningx, profound learner") == []


def test_context_conditions(fset):
    assert fset.match("The bosom was examined.") == []
    assert _hits(fset, "The bosom was examined for breast cancer.")[0][1] == "breast"
    assert _hits(fset, "attractive cell partition of samples")[0][1] == "magnetic cell separation"
    assert fset.match("attractive cell partition (done with MACX beads)") == []
    assert fset.match("a streamlining calculation") == []
    assert _hits(fset, "a streamlining calculation for Optimizing costs")[0][1] == "optimization algorithm"
    assert fset.match("the passage effect") == []
    assert _hits(fset, "the passage effect in a Voltage sensor")[0][1] == "Hall effect"
    assert [h[0] for h in _hits(fset, "fit record and fit documents")] == ["fit record", "fit documents"]


def test_proximity(fset, tmp_path):
    near = "The groups were formed and then bunching followed."
    (f,) = fset.match(near)
    assert f.detail == "pps:groups bunching" and f.confidence < 0.97
    # the words stand apart: "clustering" cannot replace "bunching" alone ("The groups were formed and then
    # bunching followed") nor the words between: flagged with the list's phrase as evidence, no automatic edit
    assert f.text == "bunching" and f.suggestions == () and any('"clustering"' in e for e in f.evidence)
    prox = tmp_path / "prox.csv"  # the raw PPS export's query syntax
    prox.write_text('tortured_phrase,expected_phrase,num_papers\n"""leftover network""~2",residual network,4\n',
                    encoding="utf-8")
    fp.import_file(prox, name="prox")
    text = ("We trained a leftover deep network. A leftover network was kept. Groups then bunching occurred. "
            "The network leftover from last year was reused.")
    found = fp.load().find(text)
    # next to each other but in the other order is not the listed phrase either: flagged, no replacement
    assert [(f.text, f.suggestions) for f in found] == [
        ("leftover", ()), ("leftover network", ("residual network",)), ("bunching", ()), ("leftover", ())]
    edits = edits_from_findings(text, found)
    assert apply_edits(text, edits) == (
        "We trained a leftover deep network. A residual network was kept. Groups then bunching occurred. "
        "The network leftover from last year was reused.")
    assert fset.match("groups " + "word " * 20 + "bunching") == []
    (g,) = fset.match("groups bunching")
    assert g.text == "groups bunching" and g.confidence >= 0.95
    # anywhere in a document, not only near its start (a window's word offsets were once shifted by its start)
    filler = "An unrelated sentence fills the page here. " * 40
    (late,) = fset.match(filler + near)
    assert (late.start - len(filler), late.text) == (f.start, f.text)
    (late,) = fset.match(filler + "groups bunching")
    assert late.text == "groups bunching"


def test_same_phrase_in_two_lists_gives_one_finding():
    fp.import_file(JSON_LIST, name="a")
    fp.import_file(TSV_LIST, name="b")
    (f,) = fp.load().match("profound learning")
    assert f.detail == "b:profound learning"  # the TSV gives a prior (99 papers), which wins
    assert any("also listed in a" in e for e in f.evidence)


def test_uncertain_entries_have_lower_confidence(tmp_path):
    fp.import_file(JSON_LIST, name="u", keep_uncertain=True)
    (f,) = fp.load().match("a cadence sketch")
    assert f.suggestions == ("rhythm pattern",) and f.confidence < 0.9
    assert any("uncertain" in e for e in f.evidence)


def test_longest_match_wins_and_from_entries():
    fs = fp.FingerprintSet.from_entries([("neural organization", "neural network"),
                                         ("profound neural organization", "deep neural network")])
    (f,) = fs.match("a profound neural organization")
    assert f.suggestions == ("deep neural network",)


# ---- merge and density ---------------------------------------------------------------------------------


def _model(start, end, text, sugg=("x",), conf=0.7, ev=("lm: odd",)):
    return Finding(start, end, text, tuple(sugg), conf, tuple(ev), "model")


def test_merge_same_span_keeps_model_evidence_and_suggestions(fset):
    text = "We use profound learning and a huge dog."
    listed = fset.match(text)
    model = [_model(7, 24, "profound learning", ("deep learning", "intense learning"), 0.8, ("lm: unusual pair",)),
             _model(31, 35, "huge", ("big",), 0.6)]
    out = fp.merge(model, listed)
    assert [(f.start, f.end) for f in out] == [(7, 24), (31, 35)]
    m = out[0]
    assert m.suggestions == ("deep learning", "intense learning")
    assert m.detail == "mine:profound learning" and m.confidence >= 0.97
    assert "lm: unusual pair" in m.evidence and m.evidence[0].startswith("listed in mine")
    assert out[1].source == "model"


def test_merge_partial_overlap_drops_model_span_but_keeps_evidence(fset):
    text = "a profound learning calculation"
    listed = fset.match(text)
    model = [_model(11, 31, "learning calculation", ("learning algorithm",), 0.9, ("lm: calc",))]
    (m,) = fp.merge(model, listed)
    assert (m.start, m.end) == (2, 19) and m.suggestions == ("deep learning",)
    assert "lm: calc" in m.evidence


def test_merge_output_never_overlaps():
    listed = [Finding(0, 10, "a" * 10, ("b",), 0.97, ("listed in l",), "list", "UNSPIN_LIST_L", "l:a"),
              Finding(5, 8, "a" * 3, ("c",), 0.97, ("listed in l",), "list", "UNSPIN_LIST_L", "l:b")]
    model = [_model(9, 12, "zzz"), _model(12, 15, "yyy"), _model(13, 14, "y")]
    out = fp.merge(model, listed)
    spans = [(f.start, f.end) for f in out]
    assert spans == sorted(spans)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    assert (0, 10) in spans and (12, 15) in spans


def test_density_levels_and_thresholds():
    listed = [Finding(i * 10, i * 10 + 5, "w", ("x",), 0.97, ("listed in pps (seen in 3 papers)",), "list",
                      "UNSPIN_LIST_PPS", f"pps:p{i}")
              for i in range(5)]
    model = [_model(100, 105, "zz")]
    d = fp.density(listed + model, words=1000)
    assert d["listed"] == 5 and d["distinct"] == 5 and d["risk"] == "high" and d["per_1000_words"] == 5.0
    assert d["by_list"] == {"pps": 5}
    assert fp.density(listed[:4] + [listed[0]], 1000)["risk"] == "medium"  # 4 distinct
    assert fp.density(listed[:1], 1000)["risk"] == "low"
    assert fp.density(model, 1000)["risk"] == "none"
    assert fp.density(listed[:3], 500, {"high": 3})["risk"] == "high"
    assert fp.density(listed[:1], 100, {"high_per_1000": 10})["risk"] == "high"
    assert fp.density([], 0)["per_1000_words"] == 0.0


# ---- learned pairs -------------------------------------------------------------------------------------


def test_align_pairs():
    pairs = fp.align_pairs([("irregular woodland", "random forest"),
                            ("profound neural organization", "deep neural network (dnn)"),
                            ("least squares relapse", "least squares regression"),
                            ("number crunching machine", "computer"),
                            ("irregular variable", "random variable"),
                            ("irregular number", "arbitrary number"),
                            ("profound neural organizations", "deep neural networks")])
    assert fp.align("irregular woodland", "random forest") == [("irregular", "random"), ("woodland", "forest")]
    assert fp.align("number crunching machine", "computer") == []
    assert pairs["irregular"] == pytest.approx({"random": 2 / 3, "arbitrary": 1 / 3})
    assert list(pairs["irregular"]) == ["random", "arbitrary"]
    assert pairs["relapse"] == {"regression": 1.0}
    assert "neural" not in pairs and "least" not in pairs
    assert pairs["organizations"] == {"networks": 1.0}
    assert pairs["organization"] == {"network": 1.0}  # twice: surface and lemma of the plural
    raw = fp.align_pairs([("irregular woodland", "random forest")] * 2, normalize=False)
    assert raw["woodland"] == {"forest": 2.0}


def test_learned_pairs_from_db():
    assert fp.learned_pairs() == {}
    fp.import_file(TSV_LIST, name="t")
    fp.import_file(JSON_LIST, name="j")
    pairs = fp.learned_pairs()
    assert pairs["woodland"] == {"forest": 1.0} and pairs["profound"] == {"deep": 1.0}
    assert fp.learned_pairs(names=["t"])["relapse"] == {"regression": 1.0}
    assert "clamor" in pairs and "clamor" not in fp.learned_pairs(names=["t"])


# ---- CLI -----------------------------------------------------------------------------------------------


def test_cli_import_list_export_remove(tmp_path, capsys):
    from unspin.cli import main

    db = str(tmp_path / "cli.sqlite")
    assert main(["fingerprints", "import", str(PPS_CSV), "--name", "pps", "--db", db]) == 0
    out, err = capsys.readouterr()
    assert "imported 10 fingerprints as 'pps'" in out and "malformed query" in out
    assert f"{PPS_CSV}:11: skipped (malformed query" in err
    assert main(["fingerprints", "list", "--db", db, "--json"]) == 0
    lists = json.loads(capsys.readouterr().out)["lists"]
    assert lists[0]["name"] == "pps" and lists[0]["entries"] == 10
    out_json = tmp_path / "pps.json"
    assert main(["fingerprints", "export", "pps", "--format", "json", "--out", str(out_json), "--db", db]) == 0
    capsys.readouterr()
    assert main(["fingerprints", "import", str(out_json), "--name", "again", "--db", db]) == 0
    capsys.readouterr()
    with fp.Store(db) as st:
        a = sorted((e.tortured, e.require, e.exclude, e.proximity, e.num_papers) for _, e, _ in st.entries(["pps"]))
        b = sorted((e.tortured, e.require, e.exclude, e.proximity, e.num_papers) for _, e, _ in st.entries(["again"]))
    assert a == b
    assert main(["fingerprints", "export", "pps", "--db", db]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == "tortured\texpected\tnum_papers"
    assert "counterfeit consciousness\tartificial intelligence (AI)\t12345" in out
    assert "conditions" in err
    assert main(["fingerprints", "remove", "again", "--db", db]) == 0
    capsys.readouterr()
    assert main(["fingerprints", "remove", "again", "--db", db]) == 2
    assert "no list named 'again' (known: pps)" in capsys.readouterr().err  # as export says it
    assert main(["fingerprints", "export", "nope", "--db", db]) == 2


def test_cli_errors(tmp_path, capsys):
    from unspin.cli import main

    db = str(tmp_path / "cli.sqlite")
    assert main(["fingerprints", "import", str(tmp_path / "missing.json"), "--db", db]) == 4
    assert "missing.json" in capsys.readouterr().err
    assert main(["fingerprints", "import", str(JSON_LIST), "--name", "a:b", "--db", db]) == 2
    bad = tmp_path / "all-bad.tsv"
    bad.write_text("one column only\n", encoding="utf-8")
    assert main(["fingerprints", "import", str(bad), "--db", db]) == 4
    assert "no usable fingerprint" in capsys.readouterr().err
    assert main(["fingerprints", "import", str(bad), "--db", db, "--json"]) == 4  # --json answers on stdout too
    out = json.loads(capsys.readouterr().out)
    assert out["entries"] == 0 and "no usable fingerprint" in out["error"] and len(out["skipped_rows"]) == 1
    assert main(["fingerprints", "import", str(JSON_LIST), "--name", "", "--db", db]) == 2
    assert "invalid list name ''" in capsys.readouterr().err


def test_skipped_json_items_are_numbered_as_items_not_lines(tmp_path, capsys):
    """A JSON list's skipped rows used to be shown as FILE:N with N the item's number, not its line."""
    from unspin.cli import main

    src = tmp_path / "l.json"
    src.write_text(json.dumps([{"tortured": "profound learning", "correct": "deep learning"},
                               {"tortured": "x"}, {"tortured": "cadence design", "correct": "rythm pattern (?)"}],
                              indent=2), encoding="utf-8")
    assert main(["fingerprints", "import", str(src), "--db", str(tmp_path / "d.sqlite")]) == 0
    err = capsys.readouterr().err
    assert f"{src}: item 2: skipped (malformed" in err and f"{src}: item 3: skipped (uncertain" in err
    assert main(["fingerprints", "import", str(src), "--json", "--db", str(tmp_path / "d.sqlite")]) == 0
    rows = json.loads(capsys.readouterr().out)["skipped_rows"]
    assert [r.get("item") for r in rows] == [2, 3] and all("line" not in r for r in rows)


def test_a_failed_import_leaves_the_list_it_would_replace(tmp_path, capsys):
    """A file with no usable row is refused before the store is touched: the list of that name keeps its
    fingerprints (it used to be replaced by an empty one), and no empty list is created under a new name."""
    from unspin import fingerprints as fp
    from unspin.cli import main

    db = str(tmp_path / "keep.sqlite")
    assert main(["fingerprints", "import", str(JSON_LIST), "--name", "pps", "--db", db]) == 0
    before = {i.name: i.entries for i in fp.Store(db).lists()}
    bad = tmp_path / "bad.csv"
    bad.write_text("tortured,expected\n,\n,\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["fingerprints", "import", str(bad), "--name", "pps", "--db", db]) == 4
    err = capsys.readouterr().err
    assert "no usable fingerprint" in err and "unchanged" in err and "skipped" in err
    assert main(["fingerprints", "import", str(bad), "--name", "fresh", "--db", db]) == 4
    assert {i.name: i.entries for i in fp.Store(db).lists()} == before and before["pps"] > 0
    with pytest.raises(fp.NoUsableRowsError):
        fp.import_file(bad, name="pps", db_path=db)


def test_cli_match(tmp_path, capsys):
    from unspin.cli import main

    db = str(tmp_path / "cli.sqlite")
    main(["fingerprints", "import", str(JSON_LIST), "--name", "mine", "--db", db])
    doc = tmp_path / "doc.txt"
    doc.write_text("Intro.\nWe apply profound learning and an irregular woodland.\n", encoding="utf-8")
    clean = tmp_path / "clean.txt"
    clean.write_text("We apply deep learning.\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["fingerprints", "match", str(doc), "--db", db]) == 1
    out = capsys.readouterr().out
    assert f"{doc}:2:10: 'profound learning' -> 'deep learning' [mine:profound learning]" in out
    assert "2 listed fingerprints (2 distinct)" in out and "risk medium" in out
    assert main(["fingerprints", "match", str(clean), "--json", "--db", db]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["findings"] == [] and d["density"]["risk"] == "none" and d["schema"] == 2
    # an unreadable file is an object too (every input accounted for, as check --format json does)
    assert main(["fingerprints", "match", str(tmp_path / "nope.txt"), str(clean), "--json", "--db", db]) == 4
    objs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [o["path"] for o in objs] == [str(tmp_path / "nope.txt"), str(clean)] and "error" in objs[0]
    assert main(["fingerprints", "list", "--json", "--db", db]) == 0
    assert json.loads(capsys.readouterr().out)["schema"] == 2
    # exit code flags: a missing file (4) and listed hits in the other (1)
    assert main(["fingerprints", "match", str(tmp_path / "nope.txt"), str(doc), "--db", db]) == 5
    assert main(["fingerprints", "match", str(tmp_path / "nope.txt"), str(clean), "--db", db]) == 4


def test_cli_subprocess(tmp_path):
    exe = Path(sys.executable).parent / "unspin"
    if not exe.exists():
        pytest.skip("unspin console script not installed in this environment")
    env = dict(os.environ, UNSPIN_FINGERPRINTS_DB=str(tmp_path / "sub.sqlite"))
    r = subprocess.run([str(exe), "fingerprints", "import", str(TSV_LIST), "--name", "t"], env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([str(exe), "fingerprints", "list"], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "t " in r.stdout and str(tmp_path / "sub.sqlite") in r.stdout


@pytest.mark.slow
def test_engine_merges_listed_fingerprints():
    """End to end with unspin.check / unspin.restore (builds the engine's knowledge once: a few seconds)."""
    import unspin

    fp.import_file(JSON_LIST, name="mine")
    text = ("In this paper we apply profound learning to satellite images of farms, and compare it with an "
            "irregular woodland trained on the same labelled pixels from three regions over two years.")
    report = unspin.check(text)
    listed = {f.text: f for f in report.findings if f.detail.startswith("mine:")}
    assert set(listed) == {"profound learning", "an irregular woodland"}  # (the article taken in: "a random …")
    assert listed["profound learning"].suggestions[0] == "deep learning"
    assert listed["an irregular woodland"].confidence >= 0.95
    spans = [(f.start, f.end) for f in report.findings]
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    from unspin import restore

    restored = restore(text).text
    assert "apply deep learning to" in restored and "with a random forest trained" in restored
    assert not any(f.detail.startswith("mine:") for f in unspin.check(text, fingerprints=False).findings)


def _spans_strategy():
    from hypothesis import strategies as st

    return st.lists(st.tuples(st.integers(0, 60), st.integers(1, 8)), max_size=12)


def test_merge_properties():
    from hypothesis import given, settings

    @settings(max_examples=200, deadline=None)
    @given(_spans_strategy(), _spans_strategy())
    def check(listed_spans, model_spans):
        listed = [Finding(s, s + n, "x" * n, (f"l{i}",), 0.97, ("listed in l",), "list", "UNSPIN_LIST_L", f"l:p{i}")
                  for i, (s, n) in enumerate(listed_spans)]
        model = [_model(s, s + n, "y" * n, (f"m{i}",)) for i, (s, n) in enumerate(model_spans)]
        out = fp.merge(model, listed)
        spans = [(f.start, f.end) for f in out]
        assert spans == sorted(spans)
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
        # every listed span that overlaps no other listed span survives, with its suggestion first
        for f in listed:
            if not any(g is not f and g.start < f.end and f.start < g.end for g in listed):
                (m,) = [o for o in out if (o.start, o.end) == (f.start, f.end) and o.detail == f.detail]
                assert m.suggestions[0] == f.suggestions[0]
        # model findings survive unless a listed finding overlaps them
        for m in model:
            if not any(f.start < m.end and m.start < f.end for f in listed):
                covered = any(o.start < m.end and m.start < o.end for o in out)
                assert covered

    check()


def test_context_terms_exploded_into_fingerprints_are_dropped_when_the_query_is_known(tmp_path):
    raw = tmp_path / "raw.csv"
    raw.write_text('tortured_phrase,expected_phrase,num_papers\n'
                   '"""motor proficiency"" NOT ""query motor""",machine learning,"1,016"\n', encoding="utf-8")
    flat = tmp_path / "flat.json"
    flat.write_text(json.dumps({"phrases": [{"tortured": "motor proficiency", "correct": "machine learning"},
                                            {"tortured": "query motor", "correct": "machine learning"}]}),
                    encoding="utf-8")
    other = tmp_path / "other.tsv"
    other.write_text("query motor\tsearch engine\n", encoding="utf-8")
    fp.import_file(flat, name="flat")
    assert len(fp.load().match("the query motor ranks pages")) == 1  # alone, the flat list cannot know
    fp.import_file(raw, name="raw")
    fs = fp.load()
    assert [(x.list, x.entry.tortured) for x in fs.dropped] == [("flat", "motor proficiency"), ("flat", "query motor")]
    assert fs.match("the query motor ranks pages") == []
    fp.import_file(other, name="other")  # same phrase, another expected phrase: a real fingerprint, kept
    assert [f.detail for f in fp.load().match("the query motor ranks pages")] == ["other:query motor"]
    assert fs.match("motor proficiency without the exclusion")[0].detail == "raw:motor proficiency"
    assert fs.match("motor proficiency of a query motor") == []


def test_disk_cache_skips_sqlite_and_survives_corruption(monkeypatch):
    fp.import_file(JSON_LIST, name="mine")
    first = fp.load()
    fp._compiled_set.cache_clear()  # as in a new process

    def boom(*a, **k):
        raise AssertionError("SQLite was read although the disk cache is fresh")

    real = fp.Store.entries
    monkeypatch.setattr(fp.Store, "entries", boom)
    again = fp.load()
    assert again is not first and len(again) == len(first)
    assert again.match("profound learning")[0].detail == "mine:profound learning"
    monkeypatch.setattr(fp.Store, "entries", real)
    cache_files = list(Path(os.environ["UNSPIN_CACHE_DIR"]).glob("fingerprints-*.pkl"))
    assert len(cache_files) == 1
    cache_files[0].write_bytes(b"not a pickle")
    fp._compiled_set.cache_clear()
    assert len(fp.load()) == len(first)  # rebuilt from SQLite
    fp.import_file(TSV_LIST, name="tsv")  # the DB changed: the old pickle must not be used
    fp._compiled_set.cache_clear()
    assert len(fp.load()) == len(first) + 3


def test_compiled_sets_of_deleted_databases_are_pruned_when_a_set_is_written(_db_env, tmp_path, monkeypatch):
    """Each database leaves a pickle of its compiled set in the cache dir; a deleted project's (or a test's
    temporary) database would leave it there forever."""
    cache = tmp_path / "cache"
    kept_db, gone_db = tmp_path / "kept.sqlite", tmp_path / "gone.sqlite"
    for db in (kept_db, gone_db):
        monkeypatch.setenv("UNSPIN_FINGERPRINTS_DB", str(db))
        fp.import_file(JSON_LIST, name="mine")
        assert len(fp.load()) > 0
    assert len(list(cache.glob("fingerprints-*.pkl"))) == 2
    old_version = cache / "fingerprints-0000000000000000.pkl"  # an earlier cache version's single pickle
    old_version.write_bytes(pickle.dumps((2, (str(kept_db), None, None), None)))
    gone_db.unlink()
    monkeypatch.setenv("UNSPIN_FINGERPRINTS_DB", str(_db_env))
    fp.import_file(TSV_LIST, name="tsv")
    fs = fp.load()  # a new set is written: the stale ones go
    assert len(fs) == 3 and len(list(cache.glob("fingerprints-*.pkl"))) == 2
    fp._compiled_set.cache_clear()
    monkeypatch.setenv("UNSPIN_FINGERPRINTS_DB", str(kept_db))

    def boom(*a, **k):
        raise AssertionError("the living database's pickle was pruned")

    monkeypatch.setattr(fp.Store, "entries", boom)
    assert fp.load().match("profound learning")[0].detail == "mine:profound learning"


# ---- variants of listed phrases (fingerprints/variants.py) ----------------------------------------------------

VARIANT_LIST = [("irregular woodland", "random forest"), ("arbitrary backwoods", "random forest"),
                ("profound learning", "deep learning"), ("colossal advancement", "economic growth"),
                ("financial emergency", "economic crisis"), ("limit layers", "boundary layer")]


class _NoBigrams:
    """A language model that has seen no pair: isolates the list rule from the pair filter."""

    def bigram_stored(self, a, b):
        return False


def test_a_new_combination_of_listed_swaps_is_a_suspect_restored_to_the_listed_phrase():
    fs = fp.FingerprintSet.from_entries(VARIANT_LIST, name="demo")
    text = "We trained an Arbitrary woodland on the data. The irregular woodland baseline was weaker."
    got = fs.find(text)
    assert [(f.text, f.level, f.suggestions[0]) for f in got] == [
        ("Arbitrary woodland", "suspect", "Random forest"), ("irregular woodland", "finding", "random forest")]
    v = got[0]
    assert v.rule_id == "UNSPIN_LIST_DEMO_VARIANT" and v.detail == "demo:~random forest"
    assert "'arbitrary' → 'random'" in v.evidence[0] and "irregular woodland" in v.evidence[0]
    assert fs.match(text) == [got[1]]  # `match` is the listed phrases only
    assert not fp.is_listed(v) and fp.is_listed(got[1])
    assert fp.density(got, 100)["listed"] == 1  # the PPS flag counts listed phrases, not variants
    fs.find_variants = False
    assert fs.find(text) == [got[1]]
    fs.find_variants = True
    # words parted by a hyphen are words of the phrase (the lists' matching form); other punctuation ends it
    assert [(f.text, f.suggestions[0]) for f in fs.find("An arbitrary-woodland model.")] == [
        ("arbitrary-woodland", "random forest")]
    assert fs.find("Arbitrary, woodland models.") == []


def test_pairs_people_write_and_inflections_are_not_variants():
    fs = fp.FingerprintSet.from_entries(VARIANT_LIST, name="demo")
    # financial→economic is a listed swap and "economic crisis" a listed phrase, but people write "financial
    # crisis": the language model has the pair. "economic growth" is itself a listed phrase: nothing to restore
    honest = "Financial crisis and economic growth were in the news. The boundary layers thickened."
    assert fs.find(honest) == []
    fs.variants._lm = _NoBigrams()
    assert [f.text for f in fs.find(honest)] == ["Financial crisis"]  # only the pair filter kept it out
    # "boundary layers" → "boundary layer" changes an inflection only: never a variant
    assert all("boundary" not in f.text for f in fs.find(honest))


def test_a_variant_is_a_suspect_in_check_and_not_certain_evidence_for_the_spin_score():
    import unspin

    fs = fp.FingerprintSet.from_entries(VARIANT_LIST, name="demo")
    text = ("The authors describe how an arbitrary woodland was used in the experiments reported in this section, "
            "and they compare it with two older methods on the same public data set of hospital records.")
    with_list = unspin.check(text, sources=[fs])
    alone = unspin.check(text, sources=[])
    hits = [f for f in with_list.findings if f.text == "an arbitrary woodland"]  # the article taken in
    assert len(hits) == 1 and hits[0].level == "suspect" and hits[0].suggestions[0] == "a random forest"
    assert with_list.spin_score == alone.spin_score
    from unspin.edits import restore_report

    assert "random forest" in restore_report(with_list, include_suspects=True).text
    assert "arbitrary woodland" in restore_report(with_list).text  # default restore: findings only


def test_a_listed_phrase_that_needs_the_other_article_takes_it_in():
    """"an irregular woodland" restores to "a random forest", not "an random forest": like the model's findings, a
    listed (or variant) finding takes in an article that would become wrong, with the case of the text kept."""
    import unspin
    from unspin.edits import restore_report

    fs = fp.FingerprintSet.from_entries(VARIANT_LIST, name="demo")
    text = ("We trained an irregular woodland on the data. An irregular woodland was the baseline, and "
            "an arbitrary woodland came second; a profound learning model came last.")
    rep = unspin.check(text, sources=[fs])
    assert [(f.text, f.suggestions[0], f.level) for f in rep.findings if f.source == "list"] == [
        ("an irregular woodland", "a random forest", "finding"), ("An irregular woodland", "A random forest", "finding"),
        ("an arbitrary woodland", "a random forest", "suspect"),  # a variant
        ("profound learning", "deep learning", "finding")]  # "a" suits both: nothing taken in
    restored = restore_report(rep, include_suspects=True).text
    assert restored == ("We trained a random forest on the data. A random forest was the baseline, and "
                        "a random forest came second; a deep learning model came last.")


def test_an_imported_list_finds_variants_also_from_the_disk_cache(_db_env, tmp_path):
    import unspin.fingerprints as fpm

    src = tmp_path / "demo.json"
    src.write_text(json.dumps([{"tortured": t, "expected": e} for t, e in VARIANT_LIST]))
    fpm.import_file(src, name="demo")
    text = "They fitted an arbitrary woodland to the scores."
    first = fpm.load().find(text)
    assert [(f.text, f.level) for f in first] == [("arbitrary woodland", "suspect")]
    fpm._compiled_set.cache_clear()  # a new process: the set comes from the pickle in the cache dir
    again = fpm.load()
    assert again.variants._lm is None and again.find(text) == first


def test_cli_match_variants(tmp_path, capsys):
    from unspin.cli import main

    db = str(tmp_path / "cli.sqlite")
    src = tmp_path / "demo.json"
    src.write_text(json.dumps([{"tortured": t, "expected": e} for t, e in VARIANT_LIST]))
    main(["fingerprints", "import", str(src), "--name", "demo", "--db", db])
    doc = tmp_path / "doc.txt"
    doc.write_text("We fitted an arbitrary woodland.\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["fingerprints", "match", str(doc), "--db", db]) == 0  # listed phrases only
    assert "0 listed fingerprints" in capsys.readouterr().out
    assert main(["fingerprints", "match", str(doc), "--variants", "--db", db]) == 0  # a suspect sets no code
    out = capsys.readouterr().out
    assert "'arbitrary woodland' -> 'random forest' [demo:~random forest] (variant) 0.50" in out
    assert "0 listed fingerprints (0 distinct)" in out and "risk none; 1 variant of listed phrases" in out
    assert main(["fingerprints", "match", str(doc), "--variants", "--json", "--db", db]) == 0
    d = json.loads(capsys.readouterr().out)
    assert [f["level"] for f in d["findings"]] == ["suspect"] and d["density"]["listed"] == 0


def test_variants_can_be_turned_off_in_check_and_on_the_command_line(_db_env, tmp_path, capsys):
    import unspin
    import unspin.fingerprints as fpm
    from unspin.cli import main

    src = tmp_path / "demo.json"
    src.write_text(json.dumps([{"tortured": t, "expected": e} for t, e in VARIANT_LIST]))
    fpm.import_file(src, name="demo")
    text = ("The authors describe how an arbitrary woodland was used in the experiments reported in this section, "
            "and they compare it with two older methods on the same public data set of hospital records.")
    assert [f.text for f in unspin.check(text).findings if f.rule_id.endswith("_VARIANT")] == ["an arbitrary woodland"]
    assert not [f for f in unspin.check(text, variants=False).findings if f.rule_id.endswith("_VARIANT")]
    assert fpm.load().find_variants  # the shared, cached set is not changed by variants=False
    doc = tmp_path / "doc.txt"
    doc.write_text(text)
    capsys.readouterr()
    main(["check", "--review", str(doc)])
    assert "random forest" in capsys.readouterr().out
    main(["check", "--review", "--no-variants", str(doc)])
    assert "random forest" not in capsys.readouterr().out


def test_a_document_with_two_distinct_listed_phrases_is_called_spun():
    import unspin
    from unspin.fingerprints import FingerprintSet

    fs = FingerprintSet.from_entries([("profound learning", "deep learning"), ("irregular woodland", "random forest"),
                                      ("counterfeit consciousness", "artificial intelligence")])
    body = ("We compare several methods for sorting satellite photographs of farmland by crop type. The images "
            "come from three seasons and two regions, and every label was checked by hand before training. ") * 3
    two = body + "Profound learning and an irregular woodland model are trained on the same features. " + body
    rep = unspin.check(two, sources=[fs])
    assert len({f.detail for f in rep.findings if f.source == "list"}) == 2
    assert rep.verdict == "spun" and rep.spin_score is not None
    one = body + "A profound learning model is trained on the same features. " + body
    rep1 = unspin.check(one, sources=[fs])
    assert not any("distinct phrases of imported" in n for n in rep1.notes)
    if rep.spin_score < unspin.engine.knowledge().model.doc_spun:  # the lists' rule decided, and says so
        assert any("2 distinct phrases of imported tortured-phrase lists" in n for n in rep.notes)


@pytest.mark.parametrize("gap", ["\r\n", "  ", " \n", "\n\n", " \t "])
def test_listed_phrases_match_across_any_run_of_spaces(gap):
    fs = fp.FingerprintSet.from_entries([("profound learning", "deep learning")])
    text = f"We train profound{gap}learning models on photographs."
    got = fs.match(text)
    assert [(f.text, f.suggestions[0]) for f in got] == [(f"profound{gap}learning", "deep learning")]
    assert text[got[0].start : got[0].end] == got[0].text


def test_a_plural_expected_phrase_is_not_made_plural_again(_db_env, tmp_path):
    """A list may pair a singular phrase with a plural expected one ("remote sensor organization" → "wireless
    sensor networks"), or a verb with an -s form ("rise" → "comes"): the plural variant in the text restores to
    "networks" and "comes", never "networkses" or "comites". A database whose keys an older unspin made is
    brought up to date when it is opened, without importing the list again."""
    import sqlite3

    import unspin
    from unspin.edits import restore_report
    from unspin.fingerprints import store as store_mod

    src = tmp_path / "infl.tsv"
    src.write_text("remote sensor organization\twireless sensor networks\nrise\tcomes\nirregular woodland\t"
                   "random forest\n", encoding="utf-8")
    fp.import_file(src, name="infl")
    text = "We deployed remote sensor organizations and irregular woodlands, and the river rises."
    rep = unspin.check(text)
    assert [(f.text, f.suggestions[0]) for f in rep.findings if f.source == "list"] == [
        ("remote sensor organizations", "wireless sensor networks"), ("irregular woodlands", "random forests"),
        ("rises", "comes")]
    restored = restore_report(rep).text
    assert restored == "We deployed wireless sensor networks and random forests, and the river comes."
    # an older database: its keys made the suggestion "networkses" and it says no keys version
    con = sqlite3.connect(_db_env)
    con.execute("UPDATE entries SET keys = replace(keys, 'sensor networks\"', 'sensor networkses\"')")
    con.execute("DELETE FROM meta WHERE key = 'keys'")
    con.commit()
    assert "networkses" in con.execute("SELECT group_concat(keys) FROM entries").fetchone()[0]
    con.close()
    with store_mod.Store(_db_env) as s:
        assert not any("networkses" in json.dumps(keys) for _, _, keys in s.entries())
    assert "networkses" not in restore_report(unspin.check(text)).text


def test_importing_single_common_words_warns(tmp_path, capsys):
    """A single common word listed with no condition (an unreviewed `mine` candidate: "count" → "numbers") is a
    finding in every honest text that uses it: the import keeps it and warns, naming it; rare words and phrases
    pass silently."""
    from unspin.cli import main

    db = str(tmp_path / "fp.sqlite")
    src = tmp_path / "mined.tsv"
    src.write_text("count\tnumbers\nbuilt\tmade\nirregular woodland\trandom forest\nvisitant\tcompany\n")
    assert main(["fingerprints", "import", str(src), "--name", "mined", "--db", db]) == 0
    err = capsys.readouterr().err
    assert "2 single common words with no condition ('built', 'count')" in err and "visitant" not in err
    # a hyphenated compound is matched as the phrase of its words ("top to base"), not as one common word, however
    # common wordfreq makes its parts look (the PPS export lists "end-to-cease", "cross-approval", …)
    src.write_text("irregular woodland\trandom forest\nvisitant\tcompany\ntop-to-base\ttop-to-bottom\n"
                   "start-to-cease\tstart-to-finish\n")
    assert main(["fingerprints", "import", str(src), "--name", "mined", "--db", db]) == 0
    assert "warning" not in capsys.readouterr().err


def test_an_or_row_partly_imported_is_not_counted_as_a_skipped_row(tmp_path, capsys):
    from unspin.cli import main

    src = tmp_path / "pps.csv"
    src.write_text('"Fingerprint - tortured phrase","Correct phrase","Papers"\n'
                   '"""fit record"" OR ""fit file""",fit file,3\n'
                   '"""deep learning""",deep learning,4\n')
    assert main(["fingerprints", "import", str(src), "--name", "t", "--db", str(tmp_path / "db.sqlite")]) == 0
    out, err = capsys.readouterr()
    assert "imported 1 fingerprint" in out and "skipped 1 row and 1 alternative of OR queries" in out
    assert 'pps.csv:2: skipped (alternative dropped: "fit file" of an OR query' in err
    assert "pps.csv:3: skipped (not a fingerprint" in err


def test_a_json_item_may_give_only_a_query(tmp_path):
    src = tmp_path / "list.json"
    src.write_text(json.dumps([{"query": '"gatherings clustering"~3', "correct": "clustering ensembles"},
                               {"correct": "no phrase at all"}]))
    res = fp.parse_file(src)
    assert [(e.tortured, e.proximity) for e in res.entries] == [("gatherings clustering", 3)]
    assert [s.reason for s in res.skipped] == ['malformed: needs string fields "tortured" (or "query") and "correct"']


def test_import_reads_a_named_encoding_as_its_error_message_suggests(tmp_path, capsys):
    """An undecodable list file is told to "name its encoding with --encoding": import has that option."""
    from unspin.cli import main

    src = tmp_path / "legacy.tsv"  # UTF-8 but for one row added in cp1252: a stray byte, the rest UTF-8
    src.write_bytes(("caf\u00e9 leftover\tresidual network\n" * 30).encode("utf-8")
                    + "r\u00e9seau leftover\tresidual network\n".encode("cp1252"))
    assert main(["fingerprints", "import", str(src), "--db", str(tmp_path / "db.sqlite")]) == 4
    err = capsys.readouterr().err
    assert "legacy.tsv" in err and "line 31" in err and "--encoding" in err
    src.write_bytes("r\u00e9seau leftover\tresidual network\n".encode("cp1252") * 2)
    assert main(["fingerprints", "import", str(src), "--db", str(tmp_path / "db.sqlite"), "--encoding", "cp1252"]) == 0
    assert "imported 1 fingerprint" in capsys.readouterr().out
    fs = fp.load(db_path=tmp_path / "db.sqlite")
    assert fs.match("a r\u00e9seau leftover here")[0].suggestions == ("residual network",)


def test_a_named_database_in_a_missing_folder_is_refused_not_created(tmp_path, capsys):
    """`--db /typo/dir/x.sqlite` quietly made the folders and a new database; a named database's folder must exist
    (the default one's is made)."""
    from unspin.cli import main

    db = tmp_path / "typo" / "dir" / "x.sqlite"
    assert main(["fingerprints", "import", str(JSON_LIST), "--db", str(db)]) in (2, 4)
    assert "no such directory" in capsys.readouterr().err and not (tmp_path / "typo").exists()
    assert main(["fingerprints", "import", str(JSON_LIST), "--db", str(tmp_path / "x.sqlite")]) == 0


def test_a_headerless_row_of_more_than_three_columns_is_malformed(tmp_path):
    """"foo<TAB>bar<TAB>3<TAB>junk" was imported as foo → bar, the rest dropped in silence: without a header a fourth
    column means the file is not a tortured<TAB>expected[<TAB>papers] list. With a header, other columns are
    named and ignored."""
    from unspin.fingerprints.parse import parse_file

    plain = tmp_path / "plain.tsv"
    plain.write_text("profound learning\tdeep learning\nfoo bar\tbaz qux\t3\tjunk\n", encoding="utf-8")
    res = parse_file(plain)
    assert [e.tortured for e in res.entries] == ["profound learning"]
    assert len(res.skipped) == 1 and "4 column(s)" in res.skipped[0].reason
    headed = tmp_path / "headed.tsv"
    headed.write_text("tortured\texpected\tpapers\tnote\nfoo bar\tbaz qux\t3\tjunk\n", encoding="utf-8")
    assert [e.tortured for e in parse_file(headed).entries] == ["foo bar"]
