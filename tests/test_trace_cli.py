"""`unspin index add|info|remove` and `unspin trace` through unspin.cli.main and once as a subprocess."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from unspin.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "trace"
_spec = importlib.util.spec_from_file_location("trace_corpus", FIXTURES / "corpus.py")
tc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tc)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("unspin-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("UNSPIN_CACHE_DIR", str(path))
        yield path


@pytest.fixture(scope="module")
def corpus_files(tmp_path_factory, cache_dir):
    """30 documents as .txt files plus 20 more as JSONL rows (with a custom id field and one bad row)."""
    d = tmp_path_factory.mktemp("corpus")
    docs = tc.make_corpus(50)
    for doc_id, text in docs[:30]:
        (d / f"{doc_id}.txt").write_text(text, encoding="utf-8")
    with open(d / "rows.jsonl", "w", encoding="utf-8") as fh:
        for doc_id, text in docs[30:]:
            fh.write(json.dumps({"key": doc_id, "body": text}) + "\n")
        fh.write("{not json\n")
    return d, docs


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory, corpus_files):
    d, _ = corpus_files
    ix = tmp_path_factory.mktemp("ix") / "index"
    rc = main(["index", "add", str(d), "--index", str(ix), "--text-field", "body", "--id-field", "key", "-q"])
    assert rc == 4  # the bad JSONL row is reported, the rest is indexed
    return ix


def test_index_add_reports_bad_rows_and_info(index_dir, capsys):
    assert main(["index", "info", "--index", str(index_dir), "--format", "json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["documents"] == 50 and info["schema"] == 2
    assert info["lsh_storage"] == "memory" and info["features"] == ["skeleton"]
    assert main(["index", "info", "--index", str(index_dir)]) == 0
    assert "documents      50" in capsys.readouterr().out


def test_index_add_error_names_the_file(tmp_path, cache_dir, capsys):
    bad = tmp_path / "broken.jsonl"
    bad.write_text('{"text": 5}\n', encoding="utf-8")
    rc = main(["index", "add", str(bad), "--index", str(tmp_path / "ix")])
    err = capsys.readouterr().err
    assert rc == 4 and "broken.jsonl" in err


def test_trace_json_text_html(index_dir, corpus_files, tmp_path, capsys):
    from unspin.spin import spin

    _, docs = corpus_files
    spun = spin(docs[35][1], rate=0.3, seed=1).text  # a JSONL row: id comes from --id-field
    q = tmp_path / "spun.txt"
    q.write_text(spun, encoding="utf-8")
    assert main(["trace", str(q), "--index", str(index_dir), "--format", "json"]) == 1
    d = json.loads(capsys.readouterr().out)
    assert d["sources"][0]["id"] == docs[35][0]
    assert d["restorations"] and d["restorations"][0]["detail"] == docs[35][0]
    assert main(["trace", str(q), "--index", str(index_dir), "--top", "1"]) == 1
    out = capsys.readouterr().out
    assert docs[35][0] in out and "side-by-side" in out and "restorations (spun → source)" in out
    page = tmp_path / "out.html"
    assert main(["trace", str(q), "--index", str(index_dir), "--format", "html", "-o", str(page)]) == 1
    assert '<mark class="spun sub"' in page.read_text(encoding="utf-8")
    # an unrelated document: nothing found, exit 0
    u = tmp_path / "unrelated.txt"
    u.write_text(tc.UNRELATED, encoding="utf-8")
    assert main(["trace", str(u), "--index", str(index_dir), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["sources"] == []


def test_trace_offsets_index_a_crlf_file_as_written(index_dir, corpus_files, tmp_path, capsys):
    """`trace` counted offsets in the text with CRLF turned into LF, so on a Windows file every offset after the
    first line break was off by the number of breaks before it (`check --index` reads the file as written and
    was right). Every offset of every format indexes the file's own text now."""
    import html as html_mod
    import re

    from unspin.spin import spin

    _, docs = corpus_files
    spun = spin(docs[35][1], rate=0.3, seed=1).text
    assert spun.count("\n") >= 2
    q = tmp_path / "spun_crlf.txt"
    q.write_bytes(spun.replace("\n", "\r\n").encode("utf-8"))
    text = q.read_bytes().decode("utf-8")  # as written: CRLF kept
    assert main(["trace", str(q), "--index", str(index_dir), "--format", "json"]) == 1
    d = json.loads(capsys.readouterr().out)
    rs = d["restorations"]
    assert rs and any(f["start"] > text.index("\r\n") for f in rs)
    assert all(text[f["start"] : f["end"]] == f["text"] for f in rs)
    for p in d["alignment"]["paragraphs"] + d["restored_from"]:  # pieces from word to word
        a, b = p["query_start"], p["query_end"]
        assert (a == 0 or text[a - 1].isspace()) and text[a].isalnum() and not text[b - 1].isspace()
        assert b == len(text) or not text[b].isalnum()
    segs = [s for p in d["alignment"]["paragraphs"] for s in p["segments"] if s["spun"]]
    assert segs and all(text[s["start"] : s["end"]] == s["spun"] for s in segs)
    # the text report's "start-end  'spun' → 'source'" lines
    assert main(["trace", str(q), "--index", str(index_dir), "--color", "never"]) == 1
    lines = re.findall(r"^  (\d+)-(\d+)  '([^']*)' →", capsys.readouterr().out, re.M)
    assert len(lines) == len(rs) and all(text[int(a) : int(b)] == w for a, b, w in lines)
    # the HTML page: each paragraph exactly as written, the marks at the restorations' words
    page = tmp_path / "crlf.html"
    assert main(["trace", str(q), "--index", str(index_dir), "--format", "html", "-o", str(page)]) == 1
    cells = re.findall(r'<td class="copy">(.*?)</td>', page.read_bytes().decode("utf-8"), re.S)
    assert [html_mod.unescape(re.sub(r"<[^>]+>", "", c)) for c in cells] == [
        text[p["query_start"] : p["query_end"]] for p in d["restored_from"]]
    marks = re.findall(r'<mark class="spun sub"[^>]*>(.*?)</mark>', " ".join(cells))
    assert [html_mod.unescape(m) for m in marks] == [f["text"] for f in rs]


def test_text_made_from_two_sources_is_restored_from_each(index_dir, corpus_files, tmp_path, capsys):
    """Issue 14: `trace` lists both sources, says what its threshold means, and restores each paragraph from
    the source it came from; `check --index` applies the same restorations."""
    from unspin.edits import apply_edits, edits_from_findings
    from unspin.spin import spin

    d, docs = corpus_files
    (_, a), (idb, b) = docs[3], docs[40]  # a .txt file (its id is its path) and a JSONL row (--id-field)
    ida = str(d / f"{docs[3][0]}.txt")
    pa, pb = a.split("\n\n"), b.split("\n\n")
    original = pa[0] + "\n\n" + pb[1] + "\n\n" + pa[1] + "\n"
    spun = spin(original, rate=0.3, seed=8).text
    q = tmp_path / "mixed.txt"
    q.write_text(spun, encoding="utf-8")
    assert main(["trace", str(q), "--index", str(index_dir), "--format", "json"]) == 1
    res = json.loads(capsys.readouterr().out)
    assert {s["id"] for s in res["sources"]} >= {ida, idb}
    assert [(x["query_paragraph"], x["source"]) for x in res["restored_from"]] == [(1, ida), (2, idb), (3, ida)]
    fs = [unspin_finding(f) for f in res["restorations"]]
    assert {f.detail for f in fs} == {ida, idb}
    assert apply_edits(spun, edits_from_findings(spun, fs)) == original
    assert main(["trace", str(q), "--index", str(index_dir)]) == 1
    out = capsys.readouterr().out
    n = len(res["sources"])
    flat = " ".join(out.split())  # rich wraps long lines
    assert flat.startswith(f"{q}: {n} sources with at least one paragraph aligned at score ≥ 0.5 (a source's "
                           "score is the share of the text it explains, weighted by alignment)")
    assert sum(1 for line in out.splitlines() if line.startswith(("  1. ", "  2. ", "  3. ", "  4. ", "  5. "))) == n
    assert "each paragraph with the source it was taken from" in flat
    # unspin check --index: the trace restorations, from both sources, are among the findings
    assert main(["check", str(q), "--index", str(index_dir), "--no-fingerprints", "--format", "json"]) == 1
    rep = json.loads(capsys.readouterr().out)
    assert {f["detail"] for f in rep["findings"] if f["source"] == "trace"} == {ida, idb}


def unspin_finding(d):
    from unspin.types import Finding

    return Finding.from_dict(d)


def test_trace_usage_and_input_errors(index_dir, tmp_path, capsys):
    assert main(["trace", str(tmp_path / "none.txt"), "--index", str(index_dir)]) == 4
    assert "none.txt" in capsys.readouterr().err
    q = tmp_path / "q.txt"
    q.write_text("hello", encoding="utf-8")
    assert main(["trace", str(q), "--index", str(tmp_path / "no-index")]) == 2
    assert "not a trace index" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:  # a usage error from argparse, before anything is read
        main(["trace", str(q), "--index", str(index_dir), "--threshold", "2"])
    assert e.value.code == 2 and "argument --threshold: must be a number from 0 to 1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["trace", str(q), "--index", str(index_dir), "--format", "pdf"])
    assert e.value.code == 2


def _not_an_index(d, kind):
    import sqlite3

    d.mkdir()
    db_path = d / "trace.sqlite"
    if kind == "empty":
        db_path.write_bytes(b"")
    elif kind in ("foreign", "no tables"):
        db = sqlite3.connect(db_path)
        if kind == "foreign":
            db.execute("create table x(a)")
            db.execute("insert into x values (1)")
        else:
            db.execute("vacuum")
        db.commit()
        db.close()
    return db_path


@pytest.mark.parametrize("kind,said", [("empty", "the file is empty"),
                                       ("foreign", "an SQLite database of something else (tables x)"),
                                       ("no tables", "an SQLite database without tables"),
                                       ("other format", "index format 99 is not supported")])
def test_a_read_only_command_refuses_what_is_not_an_index_and_leaves_it_alone(tmp_path, cache_dir, capsys, kind,
                                                                              said):
    """`trace` (and `check/restore --index`, `index info`) on an empty trace.sqlite, or another application's SQLite
    database, said "no indexed source matches" with exit 0 and wrote unspin's tables into the file. They refuse it
    now (2, naming the file and what is wrong) and change nothing; only `index add` makes an index."""
    import hashlib
    import sqlite3

    q = tmp_path / "q.txt"
    q.write_text(tc.UNRELATED, encoding="utf-8")
    d = tmp_path / "ix"
    if kind == "other format":  # an index of a format this unspin does not read
        assert main(["index", "add", str(q), "--index", str(d), "-q"]) == 0
        db = sqlite3.connect(d / "trace.sqlite")
        db.execute("UPDATE meta SET value='99' WHERE key='version'")
        db.commit()
        db.close()
        db_path = d / "trace.sqlite"
    else:
        db_path = _not_an_index(d, kind)

    def state():
        return sorted((p.name, hashlib.sha256(p.read_bytes()).hexdigest()) for p in d.iterdir())

    before = state()
    for argv in (["trace", str(q), "--index", str(d)], ["trace", str(q), "--index", str(d), "--format", "json"],
                 ["check", str(q), "--index", str(d)], ["restore", str(q), "--index", str(d)],
                 ["index", "info", "--index", str(d)], ["index", "remove", "x", "--index", str(d)]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert str(db_path) in err and said in err, (argv, err)
        assert state() == before, argv
    if kind == "foreign":  # nor does index add build an index into somebody else's database
        assert main(["index", "add", str(q), "--index", str(d), "-q"]) == 2
        assert said in capsys.readouterr().err and state() == before
    elif kind in ("empty", "no tables"):  # an empty file is where index add may build one
        assert main(["index", "add", str(q), "--index", str(d), "-q"]) == 0
        assert main(["trace", str(q), "--index", str(d), "--format", "json"]) == 1


def test_an_index_without_documents_says_so(tmp_path, cache_dir, capsys):
    q = tmp_path / "q.txt"
    q.write_text(tc.UNRELATED, encoding="utf-8")
    d = tmp_path / "ix"
    assert main(["index", "add", str(tmp_path / "missing.txt"), "--index", str(d), "-q"]) == 4
    capsys.readouterr()
    assert main(["trace", str(q), "--index", str(d)]) == 0
    assert f"{d}: the index holds no documents" in capsys.readouterr().err
    assert main(["check", str(q), "--index", str(d), "--no-fingerprints"]) == 0
    assert f"{d}: the index holds no documents" in capsys.readouterr().err


def test_an_index_path_that_is_a_file_is_said_so(tmp_path, cache_dir, capsys):
    """`trace --index somefile` advised `unspin index add FILES --index somefile`, which then refused it ("exists
    and is not a directory"). Every command says the path is a file, not an index directory, and advises no
    command that would fail."""
    q = tmp_path / "q.txt"
    q.write_text(tc.UNRELATED, encoding="utf-8")
    f = tmp_path / "somefile"
    f.write_text("notes\n", encoding="utf-8")
    for argv in (["trace", str(q)], ["check", str(q)], ["restore", str(q)], ["index", "info"],
                 ["index", "add", str(q)]):
        assert main(argv + ["--index", str(f)]) == 2, argv
        err = capsys.readouterr().err
        assert f"{f}: not a trace index: it is a file, and an index is a directory" in err, (argv, err)
        assert f"--index {f}`" not in err
    assert f.read_text(encoding="utf-8") == "notes\n"


def test_index_remove(tmp_path, corpus_files, capsys):
    d, docs = corpus_files
    ix = tmp_path / "ix"
    assert main(["index", "add", str(d / "doc-000.txt"), str(d / "doc-001.txt"), "--index", str(ix), "-q"]) == 0
    assert main(["index", "info", "--index", str(ix), "--format", "json"]) == 0
    ids = json.loads(capsys.readouterr().out)
    assert ids["documents"] == 2
    from unspin.trace import TraceIndex

    with TraceIndex(ix) as t:
        doc_ids = list(t.ids())
    assert main(["index", "remove", doc_ids[0], "missing-id", "--index", str(ix)]) == 4
    cap = capsys.readouterr()
    assert "missing-id" in cap.err and "removed 1" in cap.out
    with TraceIndex(ix) as t:
        assert list(t.ids()) == doc_ids[1:]


def test_installed_command_end_to_end(tmp_path, corpus_files, cache_dir):
    from unspin.spin import spin

    d, docs = corpus_files
    exe = Path(sys.executable).with_name("unspin")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "unspin.cli"]
    env = dict(os.environ, UNSPIN_CACHE_DIR=str(cache_dir))
    ix = tmp_path / "ix"
    r = subprocess.run(cmd + ["index", "add", *[str(d / f"doc-{i:03d}.txt") for i in range(10)], "--index", str(ix)],
                       capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "added 10" in r.stdout
    spun = spin(docs[4][1], rate=0.5, seed=3).text
    r = subprocess.run(cmd + ["trace", "-", "--index", str(ix), "--format", "json"], input=spun,
                       capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 1, r.stderr
    assert json.loads(r.stdout)["sources"][0]["source"].endswith("doc-004.txt")


def test_readding_a_changed_file_replaces_it(tmp_path, cache_dir, capsys):
    src = tmp_path / "story.txt"
    src.write_text(tc.make_document(1), encoding="utf-8")
    ix = tmp_path / "ix"
    assert main(["index", "add", str(src), "--index", str(ix)]) == 0
    assert "added 1, replaced 0, unchanged 0" in capsys.readouterr().out
    assert main(["index", "add", str(src), "--index", str(ix)]) == 0
    assert "added 0, replaced 0, unchanged 1" in capsys.readouterr().out
    src.write_text(tc.make_document(2), encoding="utf-8")
    assert main(["index", "add", str(src), "--index", str(ix)]) == 0
    assert "added 0, replaced 1, unchanged 0" in capsys.readouterr().out
    from unspin.trace import TraceIndex

    with TraceIndex(ix) as t:
        assert list(t.ids()) == [str(src)]
        assert t.document(str(src))[2] == tc.make_document(2)


def test_index_add_with_unreachable_redis_is_a_clear_error_and_keeps_the_documents(tmp_path, cache_dir,
                                                                                     corpus_files, capsys):
    pytest.importorskip("redis")
    d, _ = corpus_files
    ix = tmp_path / "ix"
    # port 1 on loopback: nothing listens there, the connection is refused at once
    rc = main(["index", "add", str(d / "doc-000.txt"), "--index", str(ix), "--lsh-storage", "redis://127.0.0.1:1/0",
               "-q"])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err
    assert str(ix.name) in err and "cannot be reached" in err and "stored" in err
    assert main(["index", "info", "--index", str(ix), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["documents"] == 1


def test_trace_output_that_cannot_be_written_is_a_usage_error(tmp_path, cache_dir, capsys, monkeypatch):
    """`trace -o PATH` where PATH cannot be written stops before reading any input: exit 2 (it said 4, which
    means inputs were processed and one could not be read), a one-line error naming --output and the path, as
    `fingerprints mine --out` says its own."""
    import unspin.trace

    src = tmp_path / "dam.txt"
    src.write_text("Residents of Tamrik were asked to stay away from the dam while crews repaired the damage "
                   "after the storm on Friday night.\n", encoding="utf-8")
    ix = tmp_path / "ix"
    assert main(["index", "add", str(src), "--index", str(ix), "-q"]) == 0
    capsys.readouterr()
    monkeypatch.setattr(unspin.trace, "read_documents", lambda *a, **k: pytest.fail("read an input first"))
    for out in (tmp_path / "no" / "such" / "report.html", tmp_path, src / "inside-a-file.html"):
        assert main(["trace", str(src), "--index", str(ix), "--format", "html", "-o", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"unspin trace: --output {out}: cannot write: ") and err.count("\n") == 1, err
        assert "Traceback" not in err
    # the same exit code as another command's output file that cannot be written
    assert main(["fingerprints", "mine", str(src), "--out", str(tmp_path / "no" / "such" / "c.csv")]) == 2
