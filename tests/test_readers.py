"""Document readers (unspin.readers): formats, ids, filters, and bad documents as error rows."""
from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path

import pytest

from unspin import readers
from unspin.readers import Document, ReadError, count_documents, iter_documents, read_text_file

FIX = Path(__file__).parent / "fixtures" / "screen"
DOCS = FIX / "docs"


def by_name(docs):
    return {Path(d.source).name + (f"#{d.meta['row']}" if "row" in d.meta else ""): d for d in docs}


def test_directory_walk_formats_and_text():
    docs = by_name(iter_documents([str(DOCS)]))
    # notes.log is not a known format and hidden/unknown files are skipped
    assert set(docs) == {"article.html", "clean-harbour.txt", "memo.docx", "school-report.txt", "spun-ai.txt",
                         "spun-medicine.md", "two-column.pdf", "letter.txt", "draft.txt"}
    assert all(d.error is None and d.text for d in docs.values())
    html = docs["article.html"].text
    assert "two weeks ahead of schedule" in html and "bridge two weeks" in html
    assert "tracking" not in html and "Copyright" not in html and "Home" not in html
    assert "&amp;" not in html and "riverbank & a cake" in html
    assert docs["memo.docx"].text.split("\n\n") == ["The harbour master logged three ships before noon.",
                                                     "A storm warning was issued for the evening tide."]
    assert docs["spun-ai.txt"].text.startswith("Counterfeit consciousness")


def test_pdf_two_columns_hyphenation_and_paragraphs():
    text = read_text_file(DOCS / "two-column.pdf")
    paras = text.split("\n\n")
    assert paras[0].startswith("The committee reviewed the international survey of river birds and found")
    assert "nesting season started" in paras[0]
    # the right column comes after the left one, whole words, compound hyphen kept
    assert paras[1] == ("Funding for the second phase was approved after a long discussion about the well-known "
                        "problems of the old counting method and its bias.")
    assert "\n" not in paras[0]


def test_ids_are_stable_hash_content_and_independent_of_lazy(tmp_path):
    eager = [d.id for d in iter_documents([str(DOCS)])]
    lazy_docs = list(iter_documents([str(DOCS)], lazy=True))
    assert [d.id for d in lazy_docs] == eager
    assert all(d.pending for d in lazy_docs)
    loaded = [d.load() for d in lazy_docs]
    assert [d.text for d in loaded] == [d.text for d in iter_documents([str(DOCS)])]
    one = str(DOCS / "school-report.txt")
    (doc,) = iter_documents([one])
    key, digest = doc.id.rsplit("@", 1)
    assert key == one and len(digest) == readers.HASH_LEN
    # a changed file gets a new id
    p = tmp_path / "a.txt"
    p.write_text("First version of a sentence.")
    id1 = next(iter_documents([str(p)])).id
    p.write_text("Second version of a sentence.")
    assert next(iter_documents([str(p)])).id != id1


def test_include_exclude_globs():
    inc = by_name(iter_documents([str(DOCS)], include=["*.txt", "*.log"], exclude="skip"))
    assert set(inc) == {"clean-harbour.txt", "school-report.txt", "spun-ai.txt", "letter.txt", "notes.log"}
    exc = by_name(iter_documents([str(DOCS)], exclude=["nested/*", "*.pdf"]))
    assert "letter.txt" not in exc and "draft.txt" not in exc and "two-column.pdf" not in exc
    assert "memo.docx" in exc
    assert count_documents([str(DOCS)], exclude=["nested/*", "*.pdf"]) == len(exc)


def test_jsonl_rows_and_row_errors():
    docs = list(iter_documents([str(FIX / "rows.jsonl")], text_field="body", id_field="doc"))
    assert len(docs) == 5 == count_documents([str(FIX / "rows.jsonl")], text_field="body", id_field="doc")
    ok = [d for d in docs if not d.error]
    assert [d.id.split("@")[0] for d in ok] == ["r1", "r2"]
    errs = {d.meta["row"]: d.error for d in docs if d.error}
    assert "line 3: invalid JSON" in errs[3] and "rows.jsonl" in errs[3]
    assert "no field 'body'" in errs[4] and "--text-field" in errs[4]
    assert "row 5: empty text" in errs[5]
    # without id field: path#line
    first = next(iter_documents([str(FIX / "rows.jsonl")], text_field="body"))
    assert first.id.startswith(str(FIX / "rows.jsonl") + "#1@")


def test_a_jsonl_id_field_missing_is_an_error_as_for_csv_and_parquet(tmp_path):
    """Regression: with a misspelt --id-field, CSV and Parquet gave one error for the file while JSONL silently used
    path#row ids (and fixing the flag then screened every row again under new ids)."""
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"doi": "10.1/a", "text": "Rain fell all day."}\n'
                    '{"doi": "10.1/b", "text": "Snow fell all night."}\n'
                    '{"text": "A row that lost its id."}\n')
    typo = list(iter_documents([str(rows)], id_field="nosuch"))
    assert len(typo) == 1 == count_documents([str(rows)], id_field="nosuch")
    assert typo[0].error == (f"{rows}: no field 'nosuch' in any JSON object of the file (fields of its first "
                             "object: doi, text); use --id-field; the file was not read further")
    assert typo[0].id.startswith(f"{rows}@") and "row" not in typo[0].meta
    docs = list(iter_documents([str(rows)], id_field="doi"))
    assert [d.id.split("@")[0] for d in docs[:2]] == ["10.1/a", "10.1/b"] and not docs[0].error
    assert docs[2].error == (f"{rows}: line 3: no field 'doi' for --id-field (its fields: text), though other lines "
                             "of the file have it")
    assert count_documents([str(rows)], id_field="doi") == 3
    # the other formats, for comparison: one error for the file
    csv_file = tmp_path / "rows.csv"
    csv_file.write_text("doi,text\n10.1/a,Rain fell all day.\n")
    (bad,) = iter_documents([str(csv_file)], id_field="nosuch")
    assert "no column 'nosuch'" in bad.error and "--id-field" in bad.error


def test_a_misspelt_text_field_is_one_error_for_the_file_in_every_row_format(tmp_path):
    """Regression: a JSONL file read with a misspelt --text-field gave one error row per line (a 100,000-line file:
    100,000 identical errors), where CSV and Parquet give one for the file, as a misspelt --id-field does."""
    import pandas as pd

    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"doi": "10.1/a", "abstract": "Rain fell all day."}\n'
                    '{"doi": "10.1/b", "abstract": "Snow fell all night."}\n'
                    "\n"
                    '{"doi": "10.1/c", "abstract": "Wind blew at dawn."}\n')
    (bad,) = iter_documents([str(rows)], text_field="abstrcat")
    assert bad.error == (f"{rows}: no field 'abstrcat' in any JSON object of the file (fields of its first object: "
                         "doi, abstract); use --text-field; the file was not read further")
    assert "row" not in bad.meta and count_documents([str(rows)], text_field="abstrcat") == 1
    # both flags wrong: one error naming both
    (both,) = iter_documents([str(rows)], text_field="abstrcat", id_field="DOI")
    assert "'abstrcat' for --text-field nor 'DOI' for --id-field" in both.error
    assert count_documents([str(rows)], text_field="abstrcat", id_field="DOI") == 1
    # a file-level error is named by what is wrong: another misspelling is another error row
    assert both.id != bad.id and both.id.startswith(f"{rows}@")
    # a row that lacks the field while the others have it is an error for its line only, wherever it is
    rows.write_text('{"doi": "10.1/a", "title": "Only a title"}\n'
                    '{"doi": "10.1/b", "abstract": "Snow fell all night."}\n')
    docs = list(iter_documents([str(rows)], text_field="abstract", id_field="doi"))
    assert docs[0].error == (f"{rows}: line 1: no field 'abstract' for --text-field (its fields: doi, title), though "
                             "other lines of the file have it")
    assert docs[1].text == "Snow fell all night." and docs[1].id.startswith("10.1/b@")
    assert count_documents([str(rows)], text_field="abstract", id_field="doi") == 2
    # a file without a single object is no misspelt field: its lines are what is wrong
    rows.write_text("not json\n[1, 2]\n")
    assert [d.error.split(": ", 1)[1] for d in iter_documents([str(rows)], text_field="abstract")] == [
        "line 1: invalid JSON (Expecting value at column 1)", "line 2: expected a JSON object, got an array"]
    # CSV and Parquet: one error for the file as before, naming both flags when both are wrong
    table = tmp_path / "rows.csv"
    table.write_text("doi,abstract\n10.1/a,Rain fell all day.\n10.1/b,Snow fell all night.\n")
    pqt = tmp_path / "rows.parquet"
    pd.DataFrame({"doi": ["10.1/a", "10.1/b"], "abstract": ["Rain fell all day.", "Snow fell."]}).to_parquet(pqt)
    for f in (table, pqt):
        (one,) = iter_documents([str(f)], text_field="abstrcat")
        assert one.error == f"{f}: no column 'abstrcat' (columns: doi, abstract); use --text-field"
        assert count_documents([str(f)], text_field="abstrcat") == 1
        (two,) = iter_documents([str(f)], text_field="abstrcat", id_field="DOI")
        assert two.error == (f"{f}: no column 'abstrcat' for --text-field nor 'DOI' for --id-field (columns: doi, "
                             "abstract)")


def test_csv_and_parquet_rows(tmp_path):
    docs = list(iter_documents([str(FIX / "rows.csv")], text_field="content", id_field="key"))
    assert [d.id.split("@")[0] for d in docs] == ["c1", "c2"]
    assert '"quoted"' in docs[1].text
    bad = list(iter_documents([str(FIX / "rows.csv")], text_field="nope"))
    assert len(bad) == 1 and "no column 'nope'" in bad[0].error and "content" in bad[0].error

    import pandas as pd

    pq = tmp_path / "t.parquet"
    pd.DataFrame({"txt": ["One short sentence about rain.", None, "Another about snow."],
                  "n": [10, 11, 12]}).to_parquet(pq)
    pdocs = list(iter_documents([str(pq)], text_field="txt", id_field="n"))
    assert [d.id.split("@")[0] for d in pdocs] == ["10", "11", "12"]
    assert pdocs[1].error and "row 2" in pdocs[1].error and "missing or null" in pdocs[1].error
    assert count_documents([str(pq)], text_field="txt", id_field="n") == 3
    missing = list(iter_documents([str(pq)], text_field="body"))
    assert "no column 'body'" in missing[0].error and "txt" in missing[0].error
    # a file without the column is one error row, and the progress total counts it so
    assert count_documents([str(pq)], text_field="body") == 1 == len(missing)
    assert count_documents([str(pq)], text_field="txt", id_field="doi") == 1




def test_a_bad_byte_in_a_csv_costs_its_row_only(tmp_path):
    """One byte that is not UTF-8 used to end the file: every row after it, and the rows still buffered before it,
    were silently lost. Now that row is an error naming it, and every other row is read."""
    story = "A council opened an inquiry into the flooding of the low streets near the river, officials said. "
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["id", "text"])
    for i in range(60):
        w.writerow([f"r{i}", story * 12 + str(i)])  # the bad byte lies past the 64 kB the encoding is sniffed from
    w.writerow(["bad", "it_s bad"])
    for i in range(3):
        w.writerow([f"a{i}", story + str(i)])
    path = tmp_path / "late.csv"
    path.write_bytes(buf.getvalue().encode().replace(b"it_s", b"it\x92s"))
    docs = list(iter_documents([str(path)], text_field="text", id_field="id"))
    assert len(docs) == 64 and [d.id.split("@")[0] for d in docs[:3]] == ["r0", "r1", "r2"]
    errors = [d for d in docs if d.error]
    assert len(errors) == 1 and "row 61" in errors[0].error and "0x92" in errors[0].error
    assert "--encoding" in errors[0].error and docs[-1].text.endswith("2") and not docs[-1].error


def test_whole_file_errors_are_hashed_by_the_file(tmp_path):
    """A file-level error row gets the id of the file's bytes: fixed files are screened again (it used to be a
    hash of the column names or of nothing, the same for every broken file)."""
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("x,y\n1,one\n", encoding="utf-8")
    b.write_text("x,y\n2,two\n", encoding="utf-8")
    ea = list(iter_documents([str(a)], text_field="text"))[0]
    eb = list(iter_documents([str(b)], text_field="text"))[0]
    assert ea.error and eb.error and ea.id.split("@")[1] != eb.id.split("@")[1]
    p1, p2 = tmp_path / "p1.parquet", tmp_path / "p2.parquet"
    p1.write_bytes(b"not parquet 1")
    p2.write_bytes(b"not parquet 2")
    e1 = list(iter_documents([str(p1)], text_field="text"))[0]
    e2 = list(iter_documents([str(p2)], text_field="text"))[0]
    assert e1.error and e1.id.split("@")[1] != e2.id.split("@")[1]


def test_invalid_json_line_message_reads_well(tmp_path):
    path = tmp_path / "b.jsonl"
    path.write_bytes(b'{"text": "broken\n')
    err = list(iter_documents([str(path)]))[0].error
    assert "invalid JSON (" in err and "at at" not in err and "column" in err


def _encrypted_pdf(path: Path) -> None:
    import pypdf

    sys.path.insert(0, str(FIX))
    try:
        from make_fixtures import two_column_pdf
    finally:
        sys.path.pop(0)
    reader = pypdf.PdfReader(io.BytesIO(two_column_pdf()))
    writer = pypdf.PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-128")
    with open(path, "wb") as fh:
        writer.write(fh)


def test_bad_documents_become_error_documents(tmp_path):
    files = {
        "binary.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "empty.txt": b"",
        "blank.md": b"  \n\n\t\n",
        "broken.pdf": b"%PDF-1.4\nthis is not really a pdf\n%%EOF",
        "notpdf.pdf": b"hello there",
        "bad.docx": b"PK not a zip",
        "good.txt": b"A perfectly fine sentence about apples.",
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    _encrypted_pdf(tmp_path / "locked.pdf")
    docs = {Path(d.source).name: d for d in iter_documents([str(tmp_path), str(tmp_path / "missing.txt")])}
    assert docs["good.txt"].error is None
    err = {k: v.error for k, v in docs.items() if v.error}
    assert set(err) == set(files) - {"good.txt"} | {"locked.pdf", "missing.txt"}
    for name, msg in err.items():
        assert name in msg, msg  # every message names its file
    assert "binary file" in err["binary.txt"] and "byte offset 8" in err["binary.txt"]
    assert "empty file" in err["empty.txt"]
    assert "empty document" in err["blank.md"]
    assert "encrypted PDF" in err["locked.pdf"]
    assert "not a PDF" in err["notpdf.pdf"]
    assert "docx" in err["bad.docx"]
    assert "no such file" in err["missing.txt"]
    assert err["broken.pdf"]


def test_parser_crash_is_caught(tmp_path, monkeypatch):
    p = tmp_path / "x.html"
    p.write_text("<p>hello world</p>")

    def boom(*args, **kwargs):
        raise RuntimeError("extractor exploded")

    monkeypatch.setattr(readers, "extract_html", boom)
    (doc,) = iter_documents([str(p)])
    assert doc.text is None and "x.html" in doc.error and "parser crashed" in doc.error
    assert "extractor exploded" in doc.error


def test_html_fallback_to_selectolax(tmp_path, monkeypatch):
    import trafilatura

    monkeypatch.setattr(trafilatura, "extract", lambda *a, **k: None)
    text = read_text_file(DOCS / "article.html")
    assert "Bridge repairs finish early" in text
    assert "ahead of schedule" in text and "do not read me" not in text
    assert "stone bridge two weeks" in text  # inline <b> does not break the sentence


def test_html_non_utf8_charset(tmp_path):
    p = tmp_path / "old.html"
    p.write_bytes('<html><head><meta charset="iso-8859-1"></head><body><p>Un caf\u00e9 tr\u00e8s noir, '
                  's\'il vous pla\u00eet, avec une longue phrase pour le lecteur.</p></body></html>'.encode("latin-1"))
    assert "caf\u00e9 tr\u00e8s noir" in read_text_file(p)


def test_utf8_bom_and_crlf(tmp_path):
    p = tmp_path / "bom.txt"
    p.write_bytes(b"\xef\xbb\xbfLine one.\r\nLine two.\r\n")
    assert read_text_file(p) == "Line one.\nLine two.\n"
    bad = tmp_path / "bombad.txt"
    bad.write_bytes(b"\xef\xbb\xbfabc\xffdef")
    with pytest.raises(ReadError, match=r"bombad.txt: not valid UTF-8 at byte offset 6"):
        read_text_file(bad)


def test_read_text_file_errors(tmp_path):
    with pytest.raises(ReadError, match="nope.txt: no such file"):
        read_text_file(tmp_path / "nope.txt")
    with pytest.raises(ReadError, match="is a directory"):
        read_text_file(tmp_path)
    with pytest.raises(ReadError, match="use `unspin screen`"):
        read_text_file(FIX / "rows.jsonl")
    assert isinstance(ReadError("x"), ValueError)


def test_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"Text from a pipe.\n")))
    (doc,) = iter_documents(["-"])
    assert doc.text == "Text from a pipe.\n" and doc.id.startswith("<stdin>@") and doc.source == "-"
    assert count_documents(["-"]) is None


def test_skip_ids_avoids_extraction(monkeypatch):
    ids = [d.id for d in iter_documents([str(DOCS)], lazy=True)]

    def boom(*a, **k):
        raise AssertionError("extraction must not run for skipped documents")

    monkeypatch.setattr(readers, "extract_pdf", boom)
    monkeypatch.setattr(readers, "extract_html", boom)
    assert list(iter_documents([str(DOCS)], skip_ids=set(ids))) == []
    rest = list(iter_documents([str(DOCS)], skip_ids=set(ids[1:])))
    assert [d.id for d in rest] == ids[:1]


def test_unlistable_directory_is_an_error_document(tmp_path, monkeypatch):
    (tmp_path / "ok.txt").write_text("A readable file in a readable directory.")
    real_walk = readers.os.walk

    def walk(root, onerror=None, **kw):
        onerror(PermissionError(13, "Permission denied", str(tmp_path / "locked")))
        yield from real_walk(root, **kw)

    monkeypatch.setattr(readers.os, "walk", walk)
    docs = list(iter_documents([str(tmp_path)]))
    errs = [d.error for d in docs if d.error]
    assert errs == [f"{tmp_path / 'locked'}: cannot list directory: Permission denied"]
    assert [Path(d.source).name for d in docs if not d.error] == ["ok.txt"]


def test_walk_enters_says_which_folders_a_walk_reads(tmp_path):
    """What `unspin screen` asks before writing into a folder inside an input directory: would the walk read it?"""
    from unspin.readers import SCREEN_MARKER, walk_enters

    for d in ("a/b", ".hidden/c", "skip/d", "old-out/e"):
        (tmp_path / d).mkdir(parents=True)
    (tmp_path / "old-out" / SCREEN_MARKER).write_text("")
    assert walk_enters(tmp_path, tmp_path / "a" / "b") and walk_enters(tmp_path, tmp_path / "a")
    assert not walk_enters(tmp_path, tmp_path / ".hidden" / "c")
    assert walk_enters(tmp_path, tmp_path / "skip" / "d") and not walk_enters(tmp_path, tmp_path / "skip" / "d",
                                                                              exclude="skip")
    assert not walk_enters(tmp_path, tmp_path / "old-out" / "e")  # inside another screen's output
    assert not walk_enters(tmp_path, tmp_path) and not walk_enters(tmp_path / "a", tmp_path / "skip")
    # the walk it mirrors
    for d in ("a/b", ".hidden/c", "skip/d", "old-out/e"):
        (tmp_path / d / "x.txt").write_text("A file in the folder.")
    read = {str(Path(d.source).parent.relative_to(tmp_path)) for d in iter_documents([str(tmp_path)], exclude="skip")}
    assert read == {"a/b"}


def test_deeply_nested_json_is_an_error_row_not_a_recursion_crash(tmp_path):
    """Regression: a JSONL line of 100,000 "[" raised RecursionError out of the reader and stopped the batch."""
    p = tmp_path / "d.jsonl"
    p.write_text('{"text": "First row."}\n' + "[" * 100_000 + "\n"
                 + '{"text": ' + "[" * 100_000 + "]" * 100_000 + "}\n" + '{"text": "Last row."}\n')
    good = tmp_path / "good.txt"
    good.write_text("A file after the bad one.")
    docs = list(iter_documents([str(p), str(good)]))
    assert [d.text for d in docs] == ["First row.", None, None, "Last row.", "A file after the bad one."]
    assert docs[1].error == f"{p}: line 2: JSON nested too deeply"
    assert docs[2].error == f"{p}: line 3: JSON nested too deeply"
    assert count_documents([str(p), str(good)]) == 5


def test_surrogates_never_reach_ids_sources_messages_or_text(tmp_path):
    """Undecodable bytes kept as surrogate escapes (a gzipped .csv, a non-UTF-8 file name) and lone JSON
    surrogates could not be encoded as UTF-8, so the screen store and the trace index crashed on them."""
    import gzip

    gz = tmp_path / "gz.csv"
    gz.write_bytes(gzip.compress(b"id,text\n1,Some text in a row.\n"))
    (doc,) = iter_documents([str(gz)])
    assert doc.error.startswith(f"{gz}: the header is not valid UTF-8 (byte 0x8b)")
    name = os.path.join(os.fsencode(tmp_path), b"bad\xff.txt")
    with open(name, "wb") as fh:
        fh.write(b"A file whose name is not UTF-8.")
    j = tmp_path / "lone.jsonl"
    j.write_text('{"text": "half \\ud800 a pair"}\n{"text": "a \\ud83d\\ude00 pair"}\n')
    (named,) = iter_documents([os.fsdecode(name)])
    lone, pair = iter_documents([str(j)])
    assert named.text and named.source == f"{tmp_path}/bad\\xff.txt" and named.id.startswith(named.source + "@")
    assert lone.text == "half \ufffd a pair" and pair.text == "a \U0001F600 pair"
    for d in (doc, named, lone, pair):
        for value in (d.id, d.source, d.error or "", d.text or ""):
            value.encode("utf-8")  # would raise on a surrogate
    assert readers.safe_str("x\udc8by\ud800z") == "x\\x8by\\ud800z"
    missing = Document(id="m\udcff@1", source="m\udcff", error="m\udcff: no such file")
    assert (missing.id, missing.source, missing.error) == ("m\\xff@1", "m\\xff", "m\\xff: no such file")


def test_files_without_rows_are_one_error_row_each(tmp_path):
    """A 0-byte .jsonl, a header-only .csv and a zero-row .parquet used to vanish from the results, while an
    empty .txt/.csv/.html is an error row."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "blank.jsonl").write_text("\n  \n")
    (tmp_path / "header.csv").write_text("id,text\n")
    pq.write_table(pa.table({"text": pa.array([], pa.string())}), tmp_path / "zero.parquet")
    (tmp_path / "rows.jsonl").write_text('{"text": "One row."}\n')
    docs = {Path(d.source).name: d for d in iter_documents([str(tmp_path)])}
    assert docs["rows.jsonl"].text == "One row."
    for name in ("empty.jsonl", "blank.jsonl", "header.csv", "zero.parquet"):
        assert docs[name].text is None
        assert docs[name].error.startswith(f"{tmp_path / name}: no documents: the file holds no rows"), name
    assert docs["empty.jsonl"].error.endswith("(0 bytes)")
    assert count_documents([str(tmp_path)]) == 5
    # the error row is an ordinary document: it can be skipped on resume
    assert list(iter_documents([str(tmp_path / "zero.parquet")], skip_ids={docs["zero.parquet"].id})) == []


def _docx(path: Path, paragraph: str) -> None:
    import zipfile

    xml = (f'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
           f"<w:p><w:r><w:t>{paragraph}</w:t></w:r></w:p></w:body></w:document>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/document.xml", xml)


def test_docx_decompression_bomb_is_refused_before_inflating(tmp_path, monkeypatch):
    p = tmp_path / "bomb.docx"
    _docx(p, "A short paragraph. " * 200)
    assert read_text_file(p).startswith("A short paragraph.")
    monkeypatch.setattr(readers, "DOCX_MAX_XML_BYTES", 1000)

    def no_inflating(*a, **k):
        raise AssertionError("must be refused before inflating")

    monkeypatch.setattr(readers.zipfile.ZipFile, "open", no_inflating)
    monkeypatch.setattr(readers.zipfile.ZipFile, "read", no_inflating)
    (doc,) = iter_documents([str(p)])
    assert doc.text is None and doc.error.startswith(f"{p}: refused: word/document.xml inflates to ")
    assert "limit 1000" in doc.error


def test_utf16_and_utf32_jsonl_are_split_into_lines_after_decoding(tmp_path):
    """Regression: UTF-16 JSONL (Windows PowerShell's default) was split on the 0x0A byte before decoding, so every
    line was refused as "not valid utf-16". U+0A0A and U+010A put 0x0A bytes inside characters."""
    import codecs

    rows = '{"text": "caf\u00e9 \u0a0a \u010a one"}\r\n\r\n{"text": "two \U0001F600"}\r\n'
    for codec, bom in (("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE),
                       ("utf-32-le", codecs.BOM_UTF32_LE), ("utf-32-be", codecs.BOM_UTF32_BE)):
        p = tmp_path / f"{codec}.jsonl"
        p.write_bytes(bom + rows.encode(codec))
        docs = list(iter_documents([str(p)]))
        assert [(d.meta["row"], d.text, d.error) for d in docs] == [
            (1, "caf\u00e9 \u0a0a \u010a one", None), (3, "two \U0001F600", None)], codec
        assert docs[0].encoding == codec[:6] and count_documents([str(p)]) == 2
    # a bad code unit costs its line only, reported with its line number and byte offset
    le = lambda s: s.encode("utf-16-le")  # noqa: E731
    p = tmp_path / "bad.jsonl"
    p.write_bytes(codecs.BOM_UTF16_LE + le('{"text": "a"}\n{"text": "') + b"\x00\xd8" + le('"}\n{"text": "c"}\n'))
    docs = list(iter_documents([str(p)]))
    assert [d.text for d in docs] == ["a", None, "c"]
    assert docs[1].error == f"{p}: line 2: not valid utf-16 at byte offset {2 + 2 * 14 + 2 * 10}"
    # UTF-8 keeps its byte offsets
    u = tmp_path / "u8.jsonl"
    u.write_bytes(b'{"text": "a"}\n{"text": "b\xffc"}\n')
    bad = list(iter_documents([str(u)], encoding="utf-8"))[1].error
    assert bad == f"{u}: line 2: not valid UTF-8 at byte offset 25"


from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.binary(max_size=300), st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
                      st.binary(max_size=200).map(lambda b: b"%PDF-1.4\n" + b)),
       suffix=st.sampled_from([".txt", ".md", ".html", ".pdf", ".docx", ".jsonl", ".csv", ".parquet", ".bin"]))
def test_arbitrary_bytes_never_raise(tmp_path, data, suffix):
    p = tmp_path / f"fuzz{suffix}"
    p.write_bytes(data)
    for doc in iter_documents([str(p)]):
        assert (doc.text is None) != (doc.error is None)
        if doc.error:
            assert str(p) in doc.error
        assert doc.id.startswith(str(p))


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le"])
def test_row_files_in_utf16_or_32_without_a_bom_are_read(tmp_path, codec):
    rows = [{"id": f"r{i}", "text": f"Row {i}: the council approved the budget after a long debate."} for i in range(3)]
    (tmp_path / "rows.jsonl").write_bytes("".join(json.dumps(r) + "\n" for r in rows).encode(codec))
    (tmp_path / "rows.csv").write_bytes(("id,text\n" + "".join(f'{r["id"]},"{r["text"]}"\n' for r in rows))
                                        .encode(codec))
    for name in ("rows.jsonl", "rows.csv"):
        docs = list(iter_documents([str(tmp_path / name)]))
        assert [d.error for d in docs] == [None] * 3, name
        assert [d.text for d in docs] == [r["text"] for r in rows]


def test_a_csv_read_with_a_wrong_wide_encoding_is_an_error_row(tmp_path):
    p = tmp_path / "one.csv"
    p.write_text("text\nhello there\n", encoding="utf-8")
    for codec in ("utf-16", "utf-32"):
        docs = list(iter_documents([str(p)], encoding=codec))
        assert len(docs) == 1 and docs[0].text is None and f"not valid {codec}" in docs[0].error



def test_binary_data_named_as_html_is_said_in_htmls_terms(tmp_path):
    bad = tmp_path / "page.html"
    bad.write_bytes(b"<html>\x00\x01\x02 binary")
    (doc,) = list(iter_documents([str(bad)]))
    assert doc.error.endswith("page.html: not a web page: binary data (NUL byte at byte offset 6) in a file named as "
                              "HTML")
