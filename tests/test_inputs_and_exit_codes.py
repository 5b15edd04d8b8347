"""Issue 14, as a user meets it: inputs in any common encoding (CLI, library, screen, index), exit codes as
combinable flags, bad option values refused early, `unspin restore` over several files and directories.

Deterministic findings come from a tiny imported fingerprint list ("profound learning" → "deep learning"), so
these tests do not depend on how the model judges a text. All files are made here; nothing from /work/shared.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import unspin
from unspin.cli import main
from unspin.decoding import DecodeError, decode_bytes
from unspin.readers import iter_documents, read_text_file

FIX = Path(__file__).parent / "fixtures"
PROSE = ("Researchers used profound learning to sort the photographs of the harbour. The café owner, a naïve "
         "but careful man, said the results were “good enough” — and cheaper than a survey.\n")
LISTED = "profound learning"


def run(capsys, *argv) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        code = main(list(argv))
    except SystemExit as e:  # argparse usage errors
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def fp_db(tmp_path_factory):
    """A fingerprint database holding tests/fixtures/fingerprints/list.json (has 'profound learning')."""
    db = tmp_path_factory.mktemp("fp") / "fp.sqlite"
    assert main(["fingerprints", "import", str(FIX / "fingerprints" / "list.json"), "--name", "t",
                 "--db", str(db)]) == 0
    return str(db)


def json_lines(out: str) -> list[dict]:
    return [json.loads(x) for x in out.splitlines() if x.strip()]


# ------------------------------------------------------------------------------------------- decoding

ENCODED = [  # (name, bytes, reported encoding)
    ("utf8.txt", PROSE.encode("utf-8"), None),
    ("utf8-bom.txt", b"\xef\xbb\xbf" + PROSE.encode("utf-8"), None),
    ("cp1252.txt", PROSE.encode("cp1252"), "cp1252"),
    ("utf16le-bom.txt", b"\xff\xfe" + PROSE.encode("utf-16-le"), "utf-16-le"),
    ("utf16be-bom.txt", b"\xfe\xff" + PROSE.encode("utf-16-be"), "utf-16-be"),
    ("utf16le.txt", PROSE.encode("utf-16-le"), "utf-16-le"),  # no BOM: decoded, not called binary
    ("utf16be.txt", PROSE.encode("utf-16-be"), "utf-16-be"),
    ("utf32le.txt", PROSE.encode("utf-32-le"), "utf-32-le"),  # no BOM: was refused as binary
    ("utf32be.txt", PROSE.encode("utf-32-be"), "utf-32-be"),
]


@pytest.mark.parametrize("name, data, encoding", ENCODED)
def test_decode_bytes_every_common_encoding(name, data, encoding):
    d = decode_bytes(data, name)
    assert d.text == PROSE and d.encoding == encoding
    assert d.encode(d.text) == data  # written back byte for byte, BOM included


def test_decode_latin1_and_the_english_fit_of_candidates():
    text = "Le garçon a mangé une crêpe à Zürich; it cost £5 at 10°C, ½ price."
    assert decode_bytes(text.encode("latin-1"), "x").text == text
    # in Big5, A1 A6 is a right quote and A1 58 a dash (a real corpus quirk); a Western code page would give
    # "man¡¦s" or "maníªs": unknown words, so the decoding that yields English words wins
    data = (b"It is every man\xa1\xa6s duty, said the President\xa1Xand the nation\xa1\xa6s too. We know that "
            b"America\xa1\xa6s strength\xa1Xour people\xa1Xis the world\xa1\xa6s hope.\n")
    assert decode_bytes(data, "x").text == ("It is every man’s duty, said the President—and the nation’s too. We "
                                            "know that America’s strength—our people—is the world’s hope.\n")



def test_a_symbol_inside_a_word_is_no_known_word_of_a_decoding():
    """Latin-1 German was read as cp775, 'für' as 'f³r': wordfreq splits a word at a symbol, so 'f³r' scored as the
    common 'f' and 'r' and cp775 looked the most English decoding."""
    text = ("Die Gewerkschaft fordert mehr Lohn für alle Beschäftigten der Bahn, und die Verhandlungen über die Züge "
            "sollen nächste Woche weitergehen.\n")
    assert decode_bytes(text.encode("latin-1"), "x").text == text

@pytest.mark.parametrize("data, message", [
    (b"", "empty.txt: empty file (0 bytes)"),
    (b"\xef\xbb\xbf", "empty.txt: empty file (only a byte-order mark)"),
    (b"\xff\xfe", "empty.txt: empty file (only a byte-order mark)"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "empty.txt: binary file (NUL byte at byte offset 8)"),
    (bytes(range(256)) * 8, "empty.txt: binary file (NUL byte at byte offset 0)"),
])
def test_decode_refuses_empty_and_binary_data_naming_the_file(data, message):
    with pytest.raises(DecodeError) as e:
        decode_bytes(data, "empty.txt")
    assert str(e.value).startswith(message)


def test_a_short_binary_file_with_a_nul_is_binary_not_truncated_utf16(tmp_path, capsys):
    """7 bytes with one NUL: a third of its 3 code units was enough to call it UTF-16, and its odd length then
    said "truncated?"; it is binary data, said as for larger binary files. Text that is UTF-16 (a NUL in most
    code units) of an odd length is still called truncated UTF-16."""
    with pytest.raises(DecodeError) as e:
        decode_bytes(b"ab\x00cdef", "tiny.bin")
    assert str(e.value).startswith("tiny.bin: binary file (NUL byte at byte offset 2), not text")
    assert "UTF-16" not in str(e.value)
    (tmp_path / "tiny.bin").write_bytes(b"ab\x00cdef")
    assert main(["check", str(tmp_path / "tiny.bin")]) == 4
    assert f"{tmp_path / 'tiny.bin'}: binary file (NUL byte at byte offset 2)" in capsys.readouterr().err
    for cut in ("Hi there.\n".encode("utf-16-le")[:-1], "Hi there.\n".encode("utf-16-be")[1:],
                PROSE.encode("utf-16-le")[:-1]):
        with pytest.raises(DecodeError, match=r"^cut.txt: looks like UTF-16 without a byte-order mark, but has an "
                                              rf"odd number of bytes \({len(cut)}\): truncated\?$"):
            decode_bytes(cut, "cut.txt")
    assert decode_bytes("Hi".encode("utf-16-le"), "f").text == "Hi"  # a short UTF-16 text is still read


def test_utf8_with_a_stray_byte_is_refused_not_garbled():
    """One cp1252 byte in a UTF-8 file: read as a legacy code page every accented letter and curly quote came out
    wrong (“ → ŌĆ£ as cp775); now it is the documented "not valid UTF-8" error naming the byte, and --encoding
    still decides. A real cp1252 file is still read as cp1252."""
    data = PROSE.encode() + b"A stray \x96 dash.\n"
    with pytest.raises(DecodeError) as e:
        decode_bytes(data, "mixed.txt")
    assert f"mixed.txt: not valid UTF-8 at byte offset {len(PROSE.encode()) + 8}" in str(e.value)
    assert "0x96" in str(e.value) and "--encoding" in str(e.value)
    assert decode_bytes(PROSE.encode("cp1252"), "legacy.txt").encoding == "cp1252"
    assert decode_bytes(b"plain: A stray \x96 dash.", "m.txt", encoding="cp1252").text == "plain: A stray – dash."


def test_forced_encoding_and_its_errors():
    data = "Café".encode("cp1252")
    assert decode_bytes(data, "f", encoding="latin-1").encoding == "iso8859-1"
    assert decode_bytes(b"\xff\xfeh\x00i\x00", "f", encoding="utf-16").text == "hi"
    with pytest.raises(DecodeError, match=r"^f: not valid UTF-8 at byte offset 3 \(line 1, byte 0xe9\) "
                                          r"\(--encoding utf-8\)$"):
        decode_bytes(data, "f", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown text encoding 'klingon'"):
        decode_bytes(data, "f", encoding="klingon")
    # an 8-bit encoding decodes any bytes: binary data and a contradicting byte-order mark are still refused
    with pytest.raises(DecodeError, match=r"^f: binary file \(NUL byte at byte offset 4\), not latin-1 text"):
        decode_bytes(b"Caf\xe9\x00\x01 data", "f", encoding="latin-1")
    with pytest.raises(DecodeError, match="starts with a UTF-16 byte-order mark, but --encoding cp1252 was given"):
        decode_bytes("The bank".encode("utf-16"), "f", encoding="cp1252")
    assert decode_bytes(b"\xef\xbb\xbfhi", "f", encoding="utf-8").text == "hi"  # its own mark is fine


def test_library_readers_report_the_encoding(tmp_path):
    for name, data, encoding in ENCODED:
        (tmp_path / name).write_bytes(data)
        assert read_text_file(tmp_path / name) == PROSE
    docs = {Path(d.source).name: d for d in iter_documents([str(tmp_path)])}
    assert {n: d.encoding for n, d in docs.items()} == {n: e for n, _, e in ENCODED}
    assert all(d.text == PROSE for d in docs.values())
    forced = next(iter(iter_documents([str(tmp_path / "cp1252.txt")], encoding="utf-8")))
    assert forced.text is None and "not valid UTF-8 at byte offset" in forced.error
    # row files too: a cp1252 CSV
    (tmp_path / "rows.csv").write_bytes("id,text\n1,Un café crème\n".encode("cp1252"))
    (row,) = iter_documents([str(tmp_path / "rows.csv")])
    assert row.text == "Un café crème" and row.encoding == "cp1252"


def test_check_cli_reads_every_encoding_and_reports_it(tmp_path, capsys):
    paths = []
    for name, data, _ in ENCODED:
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    code, out, err = run(capsys, "check", "--format", "json", "--no-fingerprints", *paths)
    objs = json_lines(out)
    assert code in (0, 1), err
    assert [o.get("encoding") for o in objs] == [e for _, _, e in ENCODED]
    assert len({(o["words"], json.dumps(o["findings"]), o["spin_score"]) for o in objs}) == 1  # same text, same report
    code, out, _ = run(capsys, "check", "--format", "json", "--no-fingerprints", "--encoding", "cp1252",
                       str(tmp_path / "cp1252.txt"))
    assert json_lines(out)[0]["encoding"] == "cp1252"


def test_bom_only_and_empty_files_behave_the_same(tmp_path, capsys):
    for name, data in (("empty.txt", b""), ("bom.txt", b"\xef\xbb\xbf"), ("bom16.txt", b"\xfe\xff")):
        p = tmp_path / name
        p.write_bytes(data)
        code, out, err = run(capsys, "check", "--format", "json", "--no-fingerprints", str(p))
        assert code == 4, name
        assert json_lines(out)[0]["error"].startswith(f"{p}: empty file") and f"{p}: empty file" in err
        code, _, err = run(capsys, "restore", "--no-fingerprints", str(p))
        assert code == 4 and "empty file" in err


def test_a_file_of_only_whitespace_is_as_empty_as_an_empty_one_and_stdin_is_read_once(tmp_path, capsys,
                                                                                      monkeypatch):
    import io

    p = tmp_path / "blank.txt"
    p.write_bytes(b"  \r\n\n\t ")
    for command in ("check", "restore"):
        code, out, err = run(capsys, command, "--no-fingerprints", str(p))
        assert code == 4 and f"{p}: no text (only whitespace)" in err and not out, command
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"The committee met on Monday.\n")))
    code, out, err = run(capsys, "check", "--no-fingerprints", "-", "-")
    assert code == 4 and out.count("<stdin>:") == 1 and "standard input was already read" in err
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))  # nothing piped: no "file" to blame
    code, out, err = run(capsys, "check", "--no-fingerprints", "-")
    assert code == 4 and "<stdin>: empty input (0 bytes)" in err


def test_documents_whose_text_needs_extracting_are_refused_with_the_way_to_check_them(tmp_path, capsys):
    """An HTML page read as it is would have its markup checked as prose (and `restore` would write text where
    markup was): check and restore name what the file is and point at `unspin screen`, which extracts it."""
    page = tmp_path / "page.html"
    page.write_text("<html><body><p>The committee met on Monday and agreed.</p></body></html>")
    for command in ("check", "restore"):
        code, out, err = run(capsys, command, "--no-fingerprints", str(page))
        assert code == 4 and not out and f"{page}: an HTML page" in err and "unspin screen" in err, command


def test_binary_is_still_refused(tmp_path, capsys):
    p = tmp_path / "photo.txt"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    code, out, err = run(capsys, "check", "--format", "json", "--no-fingerprints", str(p))
    assert code == 4 and json_lines(out)[0]["error"].startswith(f"{p}: binary file (NUL byte at byte offset 8)")


@pytest.mark.parametrize("argv", [["check"], ["restore"], ["screen", "--out", "o"], ["index", "add", "--index", "i"],
                                  ["trace", "--index", "i"], ["fingerprints", "match"]])
def test_unknown_encoding_is_a_usage_error(capsys, argv):
    code, _, err = run(capsys, *argv, "--encoding", "klingon", "x.txt")
    assert code == 2 and "argument --encoding: unknown text encoding 'klingon'" in err


def test_screen_results_record_the_encoding(tmp_path, capsys, monkeypatch):
    import pandas as pd

    sys.path.insert(0, str(FIX / "screen"))
    from fake_check import fake_check

    monkeypatch.setattr(unspin, "check", fake_check)  # forked workers inherit the patched attribute
    corpus = tmp_path / "c"
    corpus.mkdir()
    for name, data, _ in ENCODED:
        (corpus / name).write_bytes(data)
    code = main(["screen", str(corpus), "--out", str(tmp_path / "out"), "--jobs", "1", "-q"])
    assert code == 1  # fake_check flags "profound learning"
    r = pd.read_parquet(tmp_path / "out" / "results.parquet")
    got = {Path(s).name: (e if isinstance(e, str) else None) for s, e in zip(r["source"], r["encoding"])}
    assert got == {n: e for n, _, e in ENCODED}
    assert set(r["error"].dropna()) == set()


def test_index_add_and_trace_read_other_encodings(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("UNSPIN_CACHE_DIR", str(tmp_path / "cache"))
    src = tmp_path / "sources"
    src.mkdir()
    story = ("Kalomir Venrik said the Selnex Trust would repair its harbour plan before the end of 1987. "
             "The café owner in Dravelo told reporters that the harbour was difficult and needed urgent work.\n\n"
             "More than 4,200 people gathered in Dravelo on Tuesday to see the modern bridge, and Zürich sent "
             "three engineers to examine it before the winter storms.\n")
    (src / "latin.txt").write_bytes(story.encode("latin-1"))
    (src / "wide.txt").write_bytes(story.replace("Kalomir", "Tovquin").encode("utf-16-le"))
    ix = tmp_path / "ix"
    code, out, err = run(capsys, "index", "add", str(src), "--index", str(ix))
    assert code == 0, err
    assert "added 2" in out and "0 errors" in out.replace("0 error(s)", "0 errors")
    q = tmp_path / "q.txt"
    q.write_bytes(story.encode("cp1252"))
    code, out, err = run(capsys, "trace", str(q), "--index", str(ix), "--format", "json")
    d = json_lines(out)[0]
    assert code == 1 and d["encoding"] == "cp1252" and d["sources"][0]["id"].endswith("latin.txt")


# ------------------------------------------------------------------------------------------- exit codes

def test_check_exit_flags_findings_plus_unreadable_is_5(tmp_path, capsys, fp_db):
    good = tmp_path / "good.txt"
    good.write_text(PROSE, encoding="utf-8")
    missing = tmp_path / "missing.txt"
    opts = ["--fingerprints-db", fp_db]
    assert run(capsys, "check", *opts, str(good))[0] == 1
    code, out, err = run(capsys, "check", *opts, str(good), str(missing))
    assert code == 5  # 1 findings | 4 an input could not be read
    assert f"'{LISTED}' → deep learning" in out and f"{missing}: no such file" in err
    code, out, _ = run(capsys, "check", *opts, "--format", "json", str(missing), str(good))
    objs = json_lines(out)
    assert code == 5 and "error" in objs[0] and objs[1]["findings"]  # order kept, nothing lost
    assert run(capsys, "check", "--no-fingerprints", str(missing))[0] == 4


@pytest.mark.parametrize("command", ["check", "restore"])
def test_unknown_list_name_is_a_usage_error_said_once(tmp_path, capsys, fp_db, command):
    good = tmp_path / "good.txt"
    good.write_text(PROSE, encoding="utf-8")
    code, out, err = run(capsys, command, "--fingerprints-db", fp_db, "--lists", "t,nosuchlist", str(good), str(good))
    assert code == 2 and not out
    assert err.count("no list named nosuchlist") == 1 and "known: t" in err and "Traceback" not in err
    # a database file that is not there is a usage error naming it (a typo must not check with no list)
    none = tmp_path / "none.sqlite"
    for extra in (("--lists", "pps"), ()):
        code, out, err = run(capsys, command, "--fingerprints-db", str(none), *extra, str(good))
        assert code == 2 and not out and f"--fingerprints-db {none}: no such file" in err
    # a directory (the data dir rather than the file in it) is said to be one, not "no such file"
    code, out, err = run(capsys, command, "--fingerprints-db", str(tmp_path), str(good))
    assert code == 2 and not out and f"--fingerprints-db {tmp_path}: is a directory" in err and "no such" not in err
    # a file that is no database: a usage error too, like a bad --model
    junk = tmp_path / "junk.sqlite"
    junk.write_text("not a database at all\n" * 50)
    code, out, err = run(capsys, command, "--fingerprints-db", str(junk), str(good))
    assert code == 2 and not out and "junk.sqlite" in err
    code, out, err = run(capsys, command, "--fingerprints-db", fp_db, "--lists", "t", str(good))
    assert code in (0, 1) and "deep learning" in out and not err  # a known name works as before


def test_a_fingerprint_database_path_that_is_a_directory_is_said_to_be_one(tmp_path, capsys):
    for argv in (("list",), ("import", str(FIX / "fingerprints" / "list.json"), "--name", "t"), ("remove", "t"),
                 ("match", str(FIX / "fingerprints" / "list.json"))):
        code, _, err = run(capsys, "fingerprints", *argv, "--db", str(tmp_path))
        assert code in (2, 4) and f"{tmp_path}: is a directory" in err and "unable to open" not in err, (argv, err)


def test_restore_and_match_exit_flags(tmp_path, capsys, fp_db):
    good = tmp_path / "good.txt"
    good.write_text(PROSE, encoding="utf-8")
    missing = str(tmp_path / "missing.txt")
    out_dir = tmp_path / "restored"
    code, _, _ = run(capsys, "restore", "--fingerprints-db", fp_db, str(good), missing, "--out-dir", str(out_dir))
    assert code == 5 and "deep learning" in (out_dir / "good.txt").read_text()
    assert run(capsys, "fingerprints", "match", "--db", fp_db, str(good), missing)[0] == 5


def test_screen_exit_flags(tmp_path, capsys, monkeypatch):
    sys.path.insert(0, str(FIX / "screen"))
    from fake_check import fake_check

    monkeypatch.setattr(unspin, "check", fake_check)
    (tmp_path / "a.txt").write_text(PROSE)
    code = main(["screen", str(tmp_path / "a.txt"), str(tmp_path / "missing.txt"), "--out", str(tmp_path / "o"),
                 "--jobs", "1", "-q"])
    assert code == 5


def test_trace_exit_flags(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("UNSPIN_CACHE_DIR", str(tmp_path / "cache"))
    story = ("Pralomir Osh said the Gorven Union would replace its dam plan before the end of 1974. Residents "
             "of Tamrik were asked to stay away from the dam while crews repaired the damage on Friday.\n")
    (tmp_path / "src.txt").write_text(story)
    ix = str(tmp_path / "ix")
    assert run(capsys, "index", "add", str(tmp_path / "src.txt"), "--index", ix, "-q")[0] == 0
    (tmp_path / "copy.txt").write_text(story)
    code, _, _ = run(capsys, "trace", str(tmp_path / "copy.txt"), str(tmp_path / "missing.txt"), "--index", ix)
    assert code == 5
    code, out, _ = run(capsys, "trace", str(tmp_path / "copy.txt"), str(tmp_path / "missing.txt"), "--index", ix,
                       "--format", "json")
    rows = json_lines(out)  # one line per input, the unreadable one as an error record (as check writes it)
    assert code == 5 and len(rows) == 2 and rows[0]["sources"] and "missing.txt" in rows[1]["error"]


def test_bad_index_and_output_paths_are_one_line_errors_and_leave_nothing(tmp_path, capsys, monkeypatch):
    """A trace report that cannot be written, an index path that cannot be a directory, a refused new index:
    a one-line error naming the path (no traceback), and nothing half-made left behind."""
    monkeypatch.setenv("UNSPIN_CACHE_DIR", str(tmp_path / "cache"))
    story = "Residents of Tamrik were asked to stay away from the dam while crews repaired the damage on Friday.\n"
    (tmp_path / "src.txt").write_text(story)
    ix = str(tmp_path / "ix")
    assert run(capsys, "index", "add", str(tmp_path / "src.txt"), "--index", ix, "-q")[0] == 0
    for out in (tmp_path / "no" / "such" / "dir.html", tmp_path):  # a missing directory, a directory
        code, _, err = run(capsys, "trace", str(tmp_path / "src.txt"), "--index", ix, "--format", "html",
                           "-o", str(out))
        assert code == 2 and f"--output {out}: cannot write" in err and "Traceback" not in err
    for bad in (tmp_path / "src.txt" / "sub", ):  # inside a file
        code, _, err = run(capsys, "index", "add", str(tmp_path / "src.txt"), "--index", str(bad))
        assert code == 2 and str(bad) in err and "cannot create" in err
    refused = tmp_path / "refused"
    code, _, err = run(capsys, "index", "add", str(tmp_path / "src.txt"), "--index", str(refused),
                       "--features", "bogus")
    assert code == 2 and "unknown feature kind" in err and not refused.exists()


def test_a_reader_that_closes_the_output_early_gets_the_sigpipe_status_not_0(tmp_path):
    """`unspin check … | true`: the output is gone before anything is written. The exit status is 141 (128 +
    SIGPIPE, as other tools stopped that way give) — never 0, which would tell a `pipefail` script "nothing
    found" — and there is no traceback."""
    import os
    import subprocess

    (tmp_path / "t.txt").write_text("The weather was mild on Sunday and the market opened as usual.\n")
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before unspin writes
    exe = str(Path(sys.executable).with_name("unspin"))
    proc = subprocess.run([exe, "check", str(tmp_path / "t.txt")], stdout=write_end, stderr=subprocess.PIPE,
                          text=True, timeout=120)
    os.close(write_end)
    assert proc.returncode == 141 and "Traceback" not in proc.stderr


# ------------------------------------------------------------------------------------------- option values

@pytest.mark.parametrize("argv, option", [
    (["check", "--threshold", "2"], "--threshold"),
    (["check", "--threshold", "-0.5"], "--threshold"),
    (["check", "--threshold", "nan"], "--threshold"),
    (["check", "--threshold", "inf"], "--threshold"),
    (["check", "--threshold", "high"], "--threshold"),
    (["restore", "--threshold", "NaN"], "--threshold"),
    (["restore", "--min-confidence", "1.5"], "--min-confidence"),
    (["trace", "--index", "i", "--threshold", "2"], "--threshold"),
])
def test_bad_numbers_are_usage_errors_naming_the_option(capsys, argv, option):
    code, out, err = run(capsys, *argv, "x.txt")
    assert code == 2 and out == ""
    assert f"argument {option}: " in err and ("from 0 to 1" in err or "not a number" in err)


@pytest.mark.parametrize("argv, option, message", [
    (["check", "--max-bytes", "-5"], "--max-bytes", "must be 0 or more"),  # was accepted, then every input refused
    (["restore", "--max-bytes", "ten"], "--max-bytes", "not a whole number"),
    (["check", "--no-fingerprints", "--lists", "pps"], "--lists", "not allowed with"),  # --lists used to win
])
def test_bad_option_values_are_usage_errors(capsys, argv, option, message):
    code, out, err = run(capsys, *argv, "x.txt")
    assert code == 2 and out == "" and option in err and message in err


def test_no_variants_keeps_the_lists_asked_for():
    from unspin.cli import build_parser
    from unspin.cli_core import _options_from

    args = build_parser().parse_args(["check", "--lists", "a,b", "--no-variants", "x.txt"])
    assert _options_from(args) == {"fingerprints": ["a", "b"], "variants": False}  # --lists was dropped
    args = build_parser().parse_args(["check", "--no-fingerprints", "x.txt"])
    assert _options_from(args)["fingerprints"] is False


@pytest.mark.parametrize("value", [2, -0.1, float("nan"), float("inf")])
def test_library_refuses_bad_thresholds(value):
    with pytest.raises(ValueError, match="threshold must be a number between 0 and 1"):
        unspin.check("The bank raised its rate.", threshold=value)
    with pytest.raises(ValueError, match="min_confidence must be a number between 0 and 1"):
        unspin.restore("The bank raised its rate.", min_confidence=value)  # used to restore nothing, silently


# ------------------------------------------------------------------------------------------- restore

def test_restore_several_files_and_directories_into_out_dir(tmp_path, capsys, fp_db):
    a = tmp_path / "a.txt"
    a.write_text("Intro.\r\n" + PROSE, encoding="utf-8")  # CRLF kept
    d = tmp_path / "folder"
    (d / "sub").mkdir(parents=True)
    (d / "one.md").write_bytes(PROSE.encode("cp1252"))
    (d / "sub" / "two.txt").write_bytes(b"\xff\xfe" + PROSE.encode("utf-16-le"))
    (d / "skip.html").write_text("<p>not plain text</p>")
    (d / ".hidden.txt").write_text(PROSE)
    (d / "empty.txt").write_bytes(b"")
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "restore", "--fingerprints-db", fp_db, "--format", "json", str(a), str(d),
                            "--out-dir", str(out))
    objs = json_lines(stdout)
    assert code == 5 and f"{d / 'empty.txt'}: empty file" in err  # restored files, and one unreadable input
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert written == ["a.txt", "folder/one.md", "folder/sub/two.txt"]
    by_path = {o["path"]: o for o in objs}
    for src, rel, data in [(a, "a.txt", a.read_bytes()), (d / "one.md", "folder/one.md", (d / "one.md").read_bytes()),
                           (d / "sub" / "two.txt", "folder/sub/two.txt", (d / "sub" / "two.txt").read_bytes())]:
        o = by_path[str(src)]
        assert o["output"] == str(out / rel)
        dec = decode_bytes(data, str(src))
        assert unspin.apply_edits(dec.text, o["edits"]) == o["text"]
        assert LISTED in dec.text and "deep learning" in o["text"]
        # the restored file is in the input's encoding and BOM; what was not edited is byte-identical
        assert (out / rel).read_bytes() == dec.encode(o["text"])
    assert by_path[str(d / "one.md")]["encoding"] == "cp1252"
    assert (out / "a.txt").read_bytes().startswith(b"Intro.\r\n")


def test_restore_refuses_to_overwrite_inputs_or_collide(tmp_path, capsys, fp_db):
    a = tmp_path / "x" / "doc.txt"
    b = tmp_path / "y" / "doc.txt"
    for p in (a, b):
        p.parent.mkdir()
        p.write_text(PROSE)
    code, _, err = run(capsys, "restore", "--fingerprints-db", fp_db, str(a), str(b), "--out-dir", str(tmp_path / "o"))
    assert code == 5 and "would overwrite that of" in err and (tmp_path / "o" / "doc.txt").exists()
    before = a.read_bytes()
    code, _, err = run(capsys, "restore", "--fingerprints-db", fp_db, str(a), "--out-dir", str(a.parent))
    assert code == 4 and "would overwrite the input itself" in err and a.read_bytes() == before


def test_restore_usage_and_stdin(tmp_path, capsys, monkeypatch, fp_db):
    a = tmp_path / "a.txt"
    a.write_text(PROSE)
    code, _, err = run(capsys, "restore", "--no-fingerprints", str(a), str(a))
    assert code == 2 and "several inputs need --out-dir" in err
    code, _, err = run(capsys, "restore", "--no-fingerprints", str(tmp_path))
    assert code == 2 and "a directory needs --out-dir" in err
    import io

    class Stdin:
        buffer = io.BytesIO(PROSE.encode("cp1252"))

    monkeypatch.setattr(sys, "stdin", Stdin)
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")  # redirected: not a terminal
    monkeypatch.setattr(sys, "stdout", out)
    assert main(["restore", "--fingerprints-db", fp_db, "-"]) == 1
    out.flush()
    # the input's own bytes (cp1252, no newline added) with only the listed phrase replaced
    assert out.buffer.getvalue() == PROSE.replace(LISTED, "deep learning").encode("cp1252")


def test_restore_to_a_pipe_keeps_the_inputs_bytes(tmp_path, monkeypatch, fp_db):
    """`unspin restore FILE > out`: what is not restored stays byte-identical — BOM, line ends and the missing
    final newline included (a newline used to be added and a BOM dropped)."""
    import io

    for name, data in (("nonl.txt", PROSE.rstrip("\n").encode()), ("bom.txt", b"\xef\xbb\xbf" + PROSE.encode()),
                       ("cr.txt", PROSE.replace("\n", "\r").encode()),
                       ("utf16.txt", PROSE.encode("utf-16"))):
        path = tmp_path / name
        path.write_bytes(data)
        out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
        monkeypatch.setattr(sys, "stdout", out)
        assert main(["restore", "--no-fingerprints", "--threshold", "1", str(path)]) == 0  # nothing restored
        out.flush()
        assert out.buffer.getvalue() == data, name


def test_missing_system_package_skips_naming_make_system_deps(pytester, monkeypatch):
    """conftest's needs() marker: a missing Debian package skips (CI=true: fails) with a reason naming
    `make system-deps`."""
    conftest = (Path(__file__).parent / "conftest.py").read_text()
    pytester.makeconftest(conftest + "\nSYSTEM_PACKAGES['wordnet'] = SystemPackage('wordnet-base', "
                          "('/nonexistent/wordnet/data.noun',))\n")
    pytester.makepyfile(test_needs="""
        import pytest

        @pytest.mark.needs("wordnet")
        def test_uses_wordnet():
            raise AssertionError("must not run")

        @pytest.mark.needs("redis")
        def test_present_or_skipped():
            pass
    """)
    monkeypatch.delenv("CI", raising=False)
    r = pytester.runpytest_subprocess("-rs")
    r.stdout.fnmatch_lines(["*needs the Debian package wordnet-base (missing /nonexistent/wordnet/data.noun): "
                            "run `make system-deps`*"])
    assert r.parseoutcomes()["skipped"] >= 1 and "failed" not in r.parseoutcomes()
    monkeypatch.setenv("CI", "true")
    r = pytester.runpytest_subprocess()
    assert r.parseoutcomes().get("errors", 0) >= 1  # a setup failure: the run fails


# ------------------------------------------------------------------------------------------- audit of 2026-11-30


@pytest.mark.parametrize("codec", ["rot13", "hex", "base64", "undefined", "punycode"])
def test_codecs_that_are_not_text_encodings_are_usage_errors(capsys, codec):
    code, _, err = run(capsys, "check", "--encoding", codec, "x.txt")
    assert code == 2 and f"unknown text encoding '{codec}'" in err and "Traceback" not in err


def test_a_path_that_cannot_even_be_looked_at_is_one_bad_input(tmp_path, capsys, fp_db):
    good = tmp_path / "good.txt"
    good.write_text(PROSE)
    too_long = str(tmp_path / ("a" * 300 + ".txt"))  # ENAMETOOLONG from the first stat
    code, out, err = run(capsys, "check", "--format", "json", "--fingerprints-db", fp_db, too_long, str(good))
    rows = json_lines(out)
    assert code == 5 and "cannot read" in rows[0]["error"] and rows[1]["path"] == str(good)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_max_bytes_holds_for_inputs_without_a_size(capsys):
    code, _, err = run(capsys, "check", "--no-fingerprints", "--max-bytes", "1000", "/dev/zero")
    assert code == 4 and "/dev/zero: more than 1,000 bytes, over the --max-bytes limit" in err


def test_a_subdirectory_that_cannot_be_listed_is_reported(tmp_path, capsys, monkeypatch, fp_db):
    import os

    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "a.txt").write_text(PROSE)
    (tmp_path / "d" / "sub" / "b.txt").write_text(PROSE)
    real = os.scandir

    def scandir(path="."):
        if str(path).endswith("sub"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    code, out, err = run(capsys, "check", "--format", "json", "--fingerprints-db", fp_db, str(tmp_path / "d"))
    rows = json_lines(out)
    assert code == 5 and any(r.get("error", "").endswith("sub: cannot read directory (Permission denied)")
                             for r in rows)
    assert any(r.get("path", "").endswith("a.txt") and "error" not in r for r in rows)


@pytest.mark.parametrize("command", ["check", "restore"])
def test_a_damaged_fingerprint_database_is_said_once(tmp_path, capsys, monkeypatch, command):
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_text("this is not a database\n" * 50)
    good = tmp_path / "good.txt"
    good.write_text(PROSE)
    monkeypatch.setenv("UNSPIN_FINGERPRINTS_DB", str(garbage))
    code, out, err = run(capsys, command, "--format", "json", str(good), str(good))
    assert code == 4 and "Traceback" not in err and err.count("garbage.sqlite") == 1 and out == ""


@pytest.mark.parametrize("flag,content,message", [
    ("--lm", "just some words\n", "--lm"), ("--model", '{"format": 1}', "--model")])
def test_a_model_file_that_cannot_be_loaded_is_a_usage_error_said_once(tmp_path, capsys, flag, content, message):
    bad = tmp_path / "bad.file"
    bad.write_text(content)
    good = tmp_path / "good.txt"
    good.write_text(PROSE)
    code, _, err = run(capsys, "check", "--no-fingerprints", flag, str(bad), str(good), str(good))
    assert code == 2 and err.count(f"{message} {bad}: cannot load it") == 1 and "good.txt" not in err
    if flag == "--lm":  # refused before KenLM reads it: no KenLM progress bar over a file that is no model
        assert "not a KenLM model" in err and "----5---10" not in err


def test_restore_never_writes_over_another_input_of_the_run(tmp_path, capsys, fp_db):
    keep = tmp_path / "keep"
    keep.mkdir()
    other = keep / "story.txt"
    other.write_text("An untouched story about the harbour.\n")
    spun = tmp_path / "story.txt"
    spun.write_text(PROSE)
    before = other.read_bytes()
    code, _, err = run(capsys, "restore", "--fingerprints-db", fp_db, str(spun), str(other), "--out-dir", str(keep))
    assert code & 4 and "would overwrite another input of this run" in err and other.read_bytes() == before


def test_check_html_pages_of_two_inputs_of_one_name_do_not_overwrite(tmp_path, capsys, fp_db):
    a = tmp_path / "x" / "doc.txt"
    b = tmp_path / "y" / "doc.txt"
    for p, t in ((a, PROSE), (b, "Another honest text about the harbour and its boats.\n")):
        p.parent.mkdir()
        p.write_text(t)
    out_dir = tmp_path / "pages"
    code, _, err = run(capsys, "check", "--format", "html", "--output-dir", str(out_dir), "--fingerprints-db", fp_db,
                       str(a), str(b))
    assert code & 4 and "would overwrite that of" in err
    assert "profound learning" in (out_dir / "doc.txt.html").read_text()  # the first page stays


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_an_output_that_cannot_be_written_exits_4(tmp_path):
    import subprocess

    p = tmp_path / "a.txt"
    p.write_text(PROSE)
    with open("/dev/full", "w") as full:
        r = subprocess.run([sys.executable, "-c", "import sys; from unspin.cli import main; sys.exit(main())", "spin",
                            str(p), "--seed", "1"], stdout=full,
                           stderr=subprocess.PIPE, text=True, timeout=120)
    assert r.returncode == 4 and "cannot write the output: No space left on device" in r.stderr
    assert "Traceback" not in r.stderr


def test_spin_refuses_unknown_sources_and_a_path_with_from_spintax(tmp_path, capsys):
    code, _, err = run(capsys, "spin", "--sources", "foo", "x.txt")
    assert code == 2 and "unknown thesaurus 'foo'" in err
    sp = tmp_path / "s.spintax"
    sp.write_text("{a|b} c")
    code, _, err = run(capsys, "spin", str(tmp_path / "x.txt"), "--from-spintax", str(sp))
    assert code == 2 and "give no PATH" in err
    code, _, err = run(capsys, "spin", "--from-spintax", str(sp), "--rate", "0.9")  # not silently ignored
    assert code == 2 and "--rate" in err
    code, out, _ = run(capsys, "spin", "--from-spintax", str(sp), "--seed", "1")
    assert code == 0 and out.endswith(" c")


@pytest.mark.parametrize("kwargs,message", [
    ({"fingerprints": 0}, "fingerprints must be None"),
    ({"cascade": "false"}, "cascade must be True or False"),
    ({"variants": 1}, "variants must be True or False"),
    ({"thesauri": 5}, "thesauri must be names"),
    ({"fingerprints_db": 5}, "fingerprints_db must be a path"),
    ({"index": 3.0}, "index must be a path"),
])
def test_library_options_of_the_wrong_type_are_named(kwargs, message):
    with pytest.raises(TypeError, match=message):
        unspin.check("The bank raised its rate.", **kwargs)


def test_library_options_accept_numpy_numbers_and_one_list_name(tmp_path, fp_db):
    import numpy as np

    assert unspin.check("The bank raised its rate.", threshold=np.float32(0.7), fingerprints=np.False_).findings == []
    text = "Researchers used profound learning to sort the photographs."
    got = unspin.check(text, fingerprints="t", fingerprints_db=fp_db)  # one name: that list, not its letters
    assert any(f.source == "list" for f in got.findings)
    with pytest.raises(TypeError, match="include_suspects must be True or False"):
        unspin.restore(text, include_suspects="False")  # a non-empty string is true: it would apply the suspects


def test_a_finding_source_with_wrong_offsets_is_refused():
    from unspin.types import Finding

    class Shifted:  # reports offsets one character off, as a UTF-16 or byte-offset bug would
        def find(self, text):
            i = text.index("bank")
            return [Finding(i + 1, i + 5, "bank", ("lender",), 0.9, source="list", rule_id="UNSPIN_LIST_X",
                            detail="x:bank")]

    with pytest.raises(ValueError, match="finding source Shifted returned a finding at"):
        unspin.check("The focal bank raised its rate.", sources=[Shifted()])


def test_learned_pairs_follow_a_list_replaced_by_one_of_the_same_size(tmp_path):
    import os
    import time

    from unspin.api import Options, _learned_pairs

    db = str(tmp_path / "fp.sqlite")
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps([{"tortured": "profound learning", "expected": "deep learning"}]))
    b.write_text(json.dumps([{"tortured": "irregular learning", "expected": "random learning"}]))
    assert main(["fingerprints", "import", str(a), "--name", "l", "--db", db]) == 0
    pairs1, key1 = _learned_pairs(Options(fingerprints_db=db))
    time.sleep(0.01)
    assert main(["fingerprints", "import", str(b), "--name", "l", "--db", db]) == 0
    os.utime(db, ns=(time.time_ns(), time.time_ns() + 10**9))  # a coarse clock must not hide the change
    pairs2, key2 = _learned_pairs(Options(fingerprints_db=db))
    assert len(pairs1) == len(pairs2) and pairs1 != pairs2 and key1 != key2
