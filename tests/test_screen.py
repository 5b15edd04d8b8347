"""`unspin screen`: outputs, resume, error rows, timeouts, escaping, CLI. The engine is a deterministic fake
(tests/fixtures/screen/fake_check.py) so expected values are exact; tests against the real engine are in
test_screen_e2e.py. Slow tests (kill -9, Dask cluster) are in test_screen_slow.py."""
from __future__ import annotations

import html
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

FIX = Path(__file__).parent / "fixtures" / "screen"
sys.path.insert(0, str(FIX))
from fake_check import fake_check  # noqa: E402

from unspin.screen import store as store_mod  # noqa: E402
from unspin.screen.run import screen  # noqa: E402
from unspin.screen.summary import histogram_svg, safe_name  # noqa: E402
from unspin.screen.work import call_with_timeout, DocumentTimeout, screen_document, top_phrases  # noqa: E402
from unspin.readers import Document  # noqa: E402


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("UNSPIN_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def corpus(tmp_path):
    d = tmp_path / "corpus"
    shutil.copytree(FIX / "docs", d)
    return d


def run(inputs, out, **kw):
    kw.setdefault("check_fn", fake_check)
    kw.setdefault("jobs", 2)
    return screen([str(i) for i in inputs], out, **kw)


def test_outputs_on_fixture_corpus(corpus, tmp_path):
    out = tmp_path / "out"
    o = run([corpus, FIX / "rows.jsonl"], out, text_field="body", id_field="doc")
    assert (o.screened, o.skipped, o.errors, o.total_documents) == (14, 0, 3, 14)
    assert o.exit_code == 5  # flags: findings (1) and some error rows (4)
    r = pd.read_parquet(out / "results.parquet")
    assert list(r.columns) == ["id", "source", "words", "spin_score", "verdict", "n_findings", "n_suspects",
                               "listed_hits", "top_phrases", "error", "notes", "stage", "encoding"]
    assert r["id"].is_unique and len(r) == 14
    ai = r[r["id"].str.contains("spun-ai.txt@")].iloc[0]
    assert (ai["n_findings"], ai["listed_hits"], ai["verdict"]) == (4, 2, "spun")
    assert list(ai["top_phrases"]) == ["huge information", "irregular woodland", "counterfeit consciousness",
                                       "profound learning"]
    assert ai["words"] == len((corpus / "spun-ai.txt").read_text().split())
    clean = r[r["id"].str.contains("clean-harbour")].iloc[0]
    assert clean["n_findings"] == 0 and clean["verdict"] == "clean" and pd.isna(clean["error"])
    errs = r[r["verdict"] == "error"]
    assert sorted(errs["error"].str.extract(r"(line \d|row \d)")[0]) == ["line 3", "line 4", "row 5"]
    f = pd.read_parquet(out / "findings.parquet")
    assert list(f.columns) == ["doc_id", "start", "end", "text", "suggestions", "confidence", "evidence", "source", "rule_id", "detail", "level"]
    assert len(f) == 8 and set(f["doc_id"]) <= set(r["id"])
    text = (corpus / "spun-ai.txt").read_text()
    for row in f[f["doc_id"] == ai["id"]].itertuples():
        assert text[row.start:row.end] == row.text  # code-point offsets into the document text
    # ordering follows the input enumeration, whatever order workers finished in
    assert r["id"].iloc[0].endswith(r["id"].iloc[0].split("@")[1]) and "article.html" in r["id"].iloc[0]
    summary = (out / "summary.html").read_text()
    assert "<svg" in summary and "huge information" in summary and "big data" in summary
    from unspin.types import VERDICT_MEANING

    assert all(html.escape(m) in summary for m in VERDICT_MEANING.values())  # what each card's verdict means
    assert "http://" not in summary.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in summary
    reports = sorted((out / "reports").glob("*.html"))
    assert len(reports) == 3  # only documents with findings are "suspicious"
    for rep in reports:
        assert f'href="reports/{rep.name}"' in summary
    assert "deep learning" in (out / "reports" / f"{safe_name(ai['id'])}.html").read_text()


def test_resume_skips_done_and_rescreens_changed(corpus, tmp_path):
    out = tmp_path / "out"
    first = run([corpus], out)
    assert first.screened == 9 and first.skipped == 0
    before = pd.read_parquet(out / "results.parquet")
    again = run([corpus], out)
    assert (again.screened, again.skipped) == (0, 9)
    pd.testing.assert_frame_equal(before, pd.read_parquet(out / "results.parquet"))
    (corpus / "school-report.txt").write_text("The pupils studied counterfeit consciousness in class today.")
    (corpus / "new.txt").write_text("A brand new document about profound learning and crisis office work.")
    third = run([corpus], out)
    assert (third.screened, third.skipped) == (2, 8)
    r = pd.read_parquet(out / "results.parquet")
    assert len(r) == 11 and r["id"].is_unique  # the old version of the changed file stays, under its old id


def test_error_rows_timeout_crash_and_the_run_goes_on(tmp_path):
    d = tmp_path / "c"
    d.mkdir()
    (d / "a-good.txt").write_text("Counterfeit consciousness is everywhere in this short good document.")
    (d / "b-hang.txt").write_text("This document makes the engine hang: HANGFOREVER.")
    (d / "c-crash.txt").write_text("This one kills the worker process: CRASHWORKER.")
    (d / "d-explode.txt").write_text("This one makes the engine raise: EXPLODE.")
    (d / "e-binary.txt").write_bytes(b"\x00\x01\x02binary")
    (d / "f-latin1.txt").write_bytes("na\u00efve caf\u00e9".encode("latin-1"))
    (d / "g-empty.txt").write_text("")
    (d / "h-good.txt").write_text("Another fine document with profound learning inside it for the test.")
    # decoding f-latin1.txt weighs words by frequency: build that table (1-2 s, in this test's fresh cache) before the
    # workers fork, not inside the document's 1.5 s, or that document times out too on a busy machine
    from unspin.knowledge.frequency import zipf

    zipf("cafe")
    o = run([d], tmp_path / "out", timeout=1.5, jobs=2)
    assert o.screened == 8 and o.restarts == 2  # one for the timeout, one for the crash
    r = pd.read_parquet(tmp_path / "out" / "results.parquet").set_index("source")
    err = {Path(k).name: (None if pd.isna(v) else v) for k, v in r["error"].items()}
    assert err["a-good.txt"] is None and err["h-good.txt"] is None
    assert r.loc[str(d / "h-good.txt"), "n_findings"] == 1
    assert "timed out after 1.5 s" in err["b-hang.txt"] and "b-hang.txt" in err["b-hang.txt"]
    assert "worker process died (exit code 3)" in err["c-crash.txt"]
    assert "check failed: ValueError: fake engine exploded" in err["d-explode.txt"]
    assert "binary file" in err["e-binary.txt"]
    assert err["f-latin1.txt"] is None  # Latin-1 is decoded, and the results say so
    assert r.loc[str(d / "f-latin1.txt"), "encoding"] == "cp1252"
    assert "empty file" in err["g-empty.txt"]
    summary = (tmp_path / "out" / "summary.html").read_text()
    assert "Errors (5" in summary and "fake engine exploded" in summary


def test_everything_is_escaped(tmp_path):
    d = tmp_path / "c"
    d.mkdir()
    evil = d / "<img src=x onerror=alert(1)>.txt"
    evil.write_text('<script>alert("x")</script> counterfeit consciousness & "quotes" in a spun text.')
    o = run([d], tmp_path / "out", jobs=1)
    assert o.screened == 1
    summary = (tmp_path / "out" / "summary.html").read_text()
    (report,) = (tmp_path / "out" / "reports").glob("*.html")
    page = report.read_text()
    for html in (summary, page):
        assert "<img src=x" not in html and '<script>alert("x")' not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in summary
    assert "&lt;script&gt;" in page
    assert "/" not in report.name and "<" not in report.name


def test_duplicate_inputs_are_screened_once(corpus, tmp_path):
    o = run([corpus / "spun-ai.txt", corpus / "spun-ai.txt"], tmp_path / "out", jobs=1)
    assert (o.screened, o.duplicates, o.total_documents) == (1, 1, 1)


def test_screen_document_and_helpers():
    doc = Document(id="x@1", source="x.txt", text="Profound learning and profound learning, huge information.")
    row, frows = screen_document(doc, fake_check)
    assert row["n_findings"] == 3 and row["listed_hits"] == 1 and row["error"] is None
    assert row["top_phrases"] == ["huge information", "profound learning"]
    assert [f["doc_id"] for f in frows] == ["x@1"] * 3
    bad = screen_document(Document(id="y@1", source="y.txt", text="EXPLODE now"), fake_check)[0]
    assert bad["verdict"] == "error" and "y.txt: check failed" in bad["error"]
    pending = Document(id="z@1", source="z.pdf", meta={"format": "pdf"}, raw=b"not a pdf")
    assert "z.pdf: not a PDF" in screen_document(pending, fake_check)[0]["error"]
    with pytest.raises(DocumentTimeout):
        call_with_timeout(lambda: __import__("time").sleep(2), 0.2)
    assert call_with_timeout(lambda: 7, 1.0) == 7
    assert top_phrases([]) == []


def test_store_is_exactly_once(tmp_path):
    s = store_mod.Store(tmp_path)
    row = {"id": "a@1", "source": "a", "words": 3, "spin_score": 0.5, "verdict": "spun", "n_findings": 1,
           "n_suspects": 0, "listed_hits": 0, "top_phrases": ["p"], "error": None, "notes": [], "stage": "full",
           "encoding": None}
    f = {"doc_id": "a@1", "start": 0, "end": 1, "text": "P", "suggestions": ["q"], "confidence": 0.9,
         "evidence": [], "source": "model", "rule_id": "UNSPIN_MODEL", "detail": "", "level": "finding"}
    assert s.commit([(0, row, [f])]) == 1
    assert s.commit([(0, row, [f, f])]) == 0  # already there: row and findings ignored
    res, fin = s.export_parquet()
    assert len(pd.read_parquet(res)) == 1 and len(pd.read_parquet(fin)) == 1
    s.close()
    empty = store_mod.Store(tmp_path / "empty")
    res, fin = empty.export_parquet()
    assert len(pd.read_parquet(res)) == 0 and list(pd.read_parquet(fin).columns)[0] == "doc_id"


def test_store_escapes_surrogates_instead_of_losing_the_batch(tmp_path):
    """Regression: a surrogate escape (undecodable byte) in an error message raised UnicodeEncodeError in commit,
    which lost the whole batch and stopped the run."""
    s = store_mod.Store(tmp_path)
    row = {"id": "gz\udcff.csv@1", "source": "gz\udcff.csv", "words": 3, "spin_score": 0.5, "verdict": "spun",
           "n_findings": 1, "n_suspects": 0, "listed_hits": 0, "top_phrases": ["p\ud800"],
           "error": "gz.csv: columns \udc8b\x08", "notes": ["note \udc8b"], "stage": "full", "encoding": None}
    f = {"doc_id": "gz\udcff.csv@1", "start": 0, "end": 1, "text": "P\ud800", "suggestions": ["q\udc80"],
         "confidence": 0.9, "evidence": ["e\udc80"], "source": "model", "rule_id": "UNSPIN_MODEL", "detail": "",
         "level": "finding"}
    assert s.commit([(0, row, [f])]) == 1
    assert s.done_ids() == {"gz\\xff.csv@1"}
    res, fin = s.export_parquet()
    r, fr = pd.read_parquet(res).iloc[0], pd.read_parquet(fin).iloc[0]
    assert (r["id"], r["source"], r["error"]) == ("gz\\xff.csv@1", "gz\\xff.csv", "gz.csv: columns \\x8b\x08")
    assert list(r["notes"]) == ["note \\x8b"] and list(r["top_phrases"]) == ["p\\ud800"]
    assert (fr["doc_id"], fr["text"], list(fr["suggestions"])) == ("gz\\xff.csv@1", "P\\ud800", ["q\\x80"])
    s.close()


def test_bad_inputs_are_error_rows_and_the_batch_goes_on(tmp_path, monkeypatch, capsys):
    """Each of these used to crash the run (deep JSON, a gzipped .csv, a non-UTF-8 file name), vanish from the
    results (files without rows) or be refused line by line (UTF-16 JSONL)."""
    import gzip
    import os

    import pyarrow as pa
    import pyarrow.parquet as pq

    import unspin
    from unspin.cli import main

    monkeypatch.setattr(unspin, "check", fake_check)
    d = tmp_path / "in"
    d.mkdir()
    (d / "deep.jsonl").write_text('{"text": "A row before."}\n' + "[" * 100_000 + '\n{"text": "A row after."}\n')
    (d / "good.txt").write_text("A good document about huge information.")
    (d / "gz.csv").write_bytes(gzip.compress(b"id,text\n1,Some text.\n"))
    (d / "header.csv").write_text("id,text\n")
    (d / "empty.jsonl").write_bytes(b"")
    pq.write_table(pa.table({"text": pa.array([], pa.string())}), d / "zero.parquet")
    (d / "win.jsonl").write_text('{"text": "Written by PowerShell."}\n', encoding="utf-16")
    with open(os.path.join(os.fsencode(d), b"caf\xe9.txt"), "wb") as fh:
        fh.write(b"A file named in Latin-1.")
    out = tmp_path / "out"
    code = main(["screen", str(d), os.fsdecode(os.path.join(os.fsencode(d), b"caf\xe9.txt")), "--out", str(out),
                 "-q", "--jobs", "1"])
    err = capsys.readouterr().err
    assert code == 5 and "Traceback" not in err  # findings (1) and error rows (4)
    r = pd.read_parquet(out / "results.parquet").set_index("source")
    errors = {Path(k).name: v for k, v in r["error"].items() if isinstance(v, str)}
    assert errors == {
        "deep.jsonl": f"{d}/deep.jsonl: line 2: JSON nested too deeply",
        "gz.csv": f"{d}/gz.csv: the header is not valid UTF-8 (byte 0x8b); name the file's encoding with --encoding",
        "header.csv": f"{d}/header.csv: no documents: the file holds no rows",
        "empty.jsonl": f"{d}/empty.jsonl: no documents: the file holds no rows (0 bytes)",
        "zero.parquet": f"{d}/zero.parquet: no documents: the file holds no rows",
    }
    screened = sorted(Path(k).name for k, v in r["error"].items() if not isinstance(v, str))
    assert screened == ["caf\\xe9.txt", "deep.jsonl", "deep.jsonl", "good.txt", "win.jsonl"]
    assert r.loc[f"{d}/win.jsonl", "encoding"] == "utf-16"
    assert "caf\\xe9.txt" in (out / "summary.html").read_text()
    # ids are stable, the non-UTF-8 name's too: the second run has nothing left to do (the file named twice is
    # a duplicate id)
    again = run([d, os.fsdecode(os.path.join(os.fsencode(d), b"caf\xe9.txt"))], out)
    assert (again.screened, again.total_documents, again.errors) == (0, 10, 5)


def test_histogram_and_safe_names():
    svg = histogram_svg([0.0, 0.01, 0.5, 0.99, 1.0], bins=10)
    assert svg.count("<rect") == 10 and "2 documents" in svg  # 0.99 and 1.0 share the last bin
    assert safe_name("a/b") != safe_name("a_b") and safe_name("../../etc/passwd").startswith("etc_passwd")


def test_cli_in_process(corpus, tmp_path, monkeypatch, capsys):
    import unspin
    from unspin.cli import main

    monkeypatch.setattr(unspin, "check", fake_check)  # forked workers inherit the patched attribute
    out = tmp_path / "out"
    code = main(["screen", str(corpus), "--out", str(out), "--jobs", "2", "--exclude", "nested", "--quiet"])
    assert code == 1  # findings, no errors
    err = capsys.readouterr().err
    assert "screened 7 documents" in err and "summary:" in err
    assert len(pd.read_parquet(out / "results.parquet")) == 7
    code = main(["screen", str(corpus), "--out", str(out), "--exclude", "nested", "--quiet"])
    assert "screened 0 documents" in capsys.readouterr().err and code == 1
    # not a TTY and not quiet: plain log lines with docs/s
    code = main(["screen", str(corpus / "nested"), "--out", str(out), "--include", "*.txt"])
    assert "docs/s" in capsys.readouterr().err
    # a glob that matches nothing, an empty directory: said, and exit 4 — never "a clean corpus" (exit 0)
    empty = tmp_path / "empty"
    empty.mkdir()
    for argv in ([str(corpus), "--include", "nomatch*"], [str(empty)]):
        code = main(["screen", *argv, "--out", str(tmp_path / "out-none"), "--quiet"])
        err = capsys.readouterr().err
        assert code & 4 and "no document found in" in err, argv


@pytest.mark.parametrize("argv,msg", [
    (["--scheduler", "tcp://127.0.0.1:1", "--workers", "2"], "not both"),
    (["--engine", "dask", "--jobs", "2"], "--jobs is for the local engine"),
    (["--jobs", "0"], "must be at least 1"),
    (["--timeout", "soon"], "not a number of seconds"),
    (["--timeout", "nan"], "finite number of seconds"),  # was every document an error row with Dask
    (["--timeout", "inf"], "finite number of seconds"),
])
def test_cli_usage_errors(tmp_path, argv, msg, capsys):
    from unspin.cli import main

    with pytest.raises(SystemExit) as e:
        code = main(["screen", str(FIX / "docs"), "--out", str(tmp_path / "o"), *argv])
        raise SystemExit(code)
    assert e.value.code == 2
    assert msg in capsys.readouterr().err


def test_cli_input_errors_only(tmp_path, capsys, monkeypatch):
    import unspin
    from unspin.cli import main

    monkeypatch.setattr(unspin, "check", fake_check)

    (tmp_path / "bin.txt").write_bytes(b"\x00\x00")
    code = main(["screen", str(tmp_path / "bin.txt"), str(tmp_path / "missing.txt"), "--out",
                 str(tmp_path / "o"), "-q"])
    assert code == 4
    r = pd.read_parquet(tmp_path / "o" / "results.parquet")
    assert sorted(Path(s).name for s in r["source"]) == ["bin.txt", "missing.txt"]
    assert "missing.txt: no such file" in capsys.readouterr().err


def test_cli_unreachable_scheduler(tmp_path, capsys):
    import dask
    import distributed  # noqa: F401  (load its config defaults before overriding one of them)

    from unspin.cli import main

    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        code = main(["screen", str(FIX / "docs" / "spun-ai.txt"), "--out", str(tmp_path / "o"),
                     "--scheduler", "tcp://127.0.0.1:9", "-q"])
    assert code == 4
    assert "cannot connect to the Dask scheduler at tcp://127.0.0.1:9" in capsys.readouterr().err


def test_retry_errors(corpus, tmp_path, monkeypatch):
    out = tmp_path / "out"
    monkeypatch.setenv("FAKE_CHECK_FAIL", "tomatoes")  # school-report.txt fails this time
    first = run([corpus], out)
    assert first.errors == 1
    monkeypatch.delenv("FAKE_CHECK_FAIL")
    again = run([corpus], out)
    assert (again.screened, again.errors) == (0, 1)  # an error row counts as done...
    retry = run([corpus], out, retry_errors=True)
    assert (retry.retried, retry.screened, retry.errors) == (1, 1, 0)  # ...unless asked to retry
    r = pd.read_parquet(out / "results.parquet")
    assert len(r) == 9 and r["error"].isna().all()


def test_broken_engine_stops_the_run(corpus, tmp_path, monkeypatch, capsys):
    import unspin
    from unspin.cli import main
    from unspin.screen.work import EngineError

    def broken(text, **kw):
        raise ValueError("model and features disagree")

    with pytest.raises(EngineError, match="model and features disagree"):
        run([corpus], tmp_path / "o1", check_fn=broken)
    monkeypatch.setattr(unspin, "check", broken)
    assert main(["screen", str(corpus), "--out", str(tmp_path / "o2"), "-q"]) == 4
    assert "check engine fails on a plain test sentence" in capsys.readouterr().err


def test_rich_progress_bar_on_a_terminal(monkeypatch, capsys):
    from unspin.screen import cli as screen_cli

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    ctx, cb = screen_cli._progress_ctx(quiet=False)
    with ctx:
        for done in range(1, 6):
            cb(done + 2, 7, 2)  # 2 documents were done by an earlier run
    task = ctx.tasks[0]
    assert (task.completed, task.total) == (5, 5)
    assert "docs/s" in capsys.readouterr().err
    assert screen_cli._progress_ctx(quiet=True)[1] is None


def test_plain_progress_keeps_coming_while_a_long_document_is_screened(monkeypatch, capsys):
    """docs/screen.md: "a plain line every 10 s" when stderr is not a terminal. Lines came only when a document
    finished, so a corpus with one 3 MB file showed `1/5 documents ... ETA 8 s` and then nothing for minutes."""
    import time

    from unspin.screen import cli as screen_cli

    monkeypatch.setattr(screen_cli, "PROGRESS_EVERY", 0.05, raising=False)
    ctx, cb = screen_cli._progress_ctx(quiet=False)
    with ctx:
        cb(1, 5, 0)
        time.sleep(0.5)  # the second document takes long: no callback meanwhile
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("screen: 1/5 documents")]
    assert len(lines) >= 3, lines
    assert "no document finished for" in lines[-1]
    ctx, cb = screen_cli._progress_ctx(quiet=False)
    with ctx:
        time.sleep(0.3)  # the first document takes long (a Dask cluster's first chunk ran 58 s in silence)
    assert "screen: no document finished yet" in capsys.readouterr().err
    ctx, cb = screen_cli._progress_ctx(quiet=False)
    with ctx:
        pass  # nothing known yet (no callback): nothing said; and no line after the context ends
    time.sleep(0.2)
    assert capsys.readouterr().err == ""


def test_the_summarys_phrase_table_is_of_findings_in_the_most_documents(tmp_path):
    """The summary's counts are of findings: its phrase table leaves borderline suspects out, ranks phrases by
    the documents they are flagged in (then occurrences, then confidence, not the alphabet) and gives each the
    commonest first suggestion."""
    from unspin.screen.store import Store

    def row(i, found):
        r = {"id": f"d{i}", "source": f"d{i}.txt", "words": 100, "spin_score": 0.5, "verdict": "uncertain",
             "n_findings": len(found), "n_suspects": 0, "listed_hits": 0, "top_phrases": [], "error": None,
             "notes": [], "stage": "full", "encoding": None}
        fs = [{"doc_id": f"d{i}", "start": 0, "end": len(t), "text": t, "suggestions": [s], "confidence": c,
               "evidence": [], "source": "model", "rule_id": "UNSPIN_MODEL", "detail": "", "level": lv}
              for t, s, c, lv in found]
        return (i, r, fs)

    store = Store(tmp_path / "out")
    try:
        store.commit([
            row(0, [("decennary", "decade", 0.8, "finding"), ("coach", "manager", 0.34, "suspect")]),
            row(1, [("decennary", "decade", 0.7, "finding"), ("coach", "manager", 0.33, "suspect")]),
            row(2, [("decennary", "term", 0.9, "finding"), ("zenith", "peak", 0.95, "finding"),
                    ("ate", "took", 0.31, "suspect")]),
            row(3, [("acme", "top", 0.7, "finding")]),
        ])
        got = [(p["phrase"], p["suggestion"], p["documents"]) for p in store.top_phrases(10)]
    finally:
        store.close()
    assert got == [("decennary", "decade", 3), ("zenith", "peak", 1), ("acme", "top", 1)]


def test_a_killed_runs_half_written_files_are_swept_on_the_next_run(tmp_path):
    import os
    import subprocess
    import sys

    from unspin.screen.store import Store

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(gone.stdout)  # a process that has exited
    out = tmp_path / "out"
    out.mkdir()
    (out / "reports").mkdir()
    stale = [out / f"results.parquet.tmp{dead_pid}", out / "reports" / f"clusters.json.tmp{dead_pid}"]
    for p in stale:
        p.write_bytes(b"half")
    mine = out / f"findings.parquet.tmp{os.getpid()}"  # a live process's (this one): left alone
    mine.write_bytes(b"busy")
    keep = out / "notes.tmp"  # not ours
    keep.write_text("x")
    # nor files of a dead process's number that the run never writes: --out may hold other files
    (out / "notes").mkdir()
    others = [out / f"draft.tmp{dead_pid}", out / "notes" / f"draft.tmp{dead_pid}"]
    for p in others:
        p.write_text("someone's draft")
    Store(out).close()
    assert not any(p.exists() for p in stale) and mine.exists() and keep.exists()
    assert all(p.read_text() == "someone's draft" for p in others)


def test_the_library_screens_with_the_cascade_as_the_command_does(tmp_path):
    import pyarrow.parquet as pq

    doc = tmp_path / "in" / "a.txt"
    doc.parent.mkdir()
    doc.write_text("SHOWOPTIONS The council met on Monday and agreed to publish the report next week.")
    for full, want in ((False, "('screen', True)"), (True, "('screen', False)")):
        out = tmp_path / f"out-{full}"
        run([doc.parent], out, jobs=1, full=full)
        (row,) = pq.read_table(out / "results.parquet").to_pylist()
        assert want in str(row["notes"]), row["notes"]


def test_a_rerun_never_screens_its_own_output_inside_an_input_folder(tmp_path, monkeypatch, capsys):
    """Regression: with --out inside an input folder, the second run screened findings.parquet, results.parquet,
    summary.html and every report of the first (exit code 1 -> 5). No folder walk enters a screen's output."""
    import os

    from unspin.readers import count_documents, iter_documents

    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text("A short note on counterfeit consciousness for the weekly bulletin.")
    (src / "b.txt").write_text("The harbour reopened on Tuesday after the storm had passed.")
    out = src / "out"
    first = run([src], out)
    assert (first.screened, first.total_documents, first.exit_code) == (2, 2, 1)
    assert (out / "reports").is_dir()
    again = run([src], out)
    assert (again.screened, again.skipped, again.total_documents, again.exit_code) == (0, 2, 2, 1)
    assert (out / ".unspin-screen").is_file()  # the marker that tells every folder walk to keep out
    # the same directory spelt another way (a symlink to it) is skipped too
    os.symlink(out, tmp_path / "out-link")
    assert run([src], tmp_path / "out-link").total_documents == 2
    # another screen's output in the corpus, and one written before the marker file existed: not entered
    other = src / "old-screen"
    (other / "reports").mkdir(parents=True)
    (other / "state.sqlite").write_bytes(b"")
    (other / "results.parquet").write_bytes(b"")
    (other / "reports" / "x.html").write_text("<p>a report</p>")
    (other / "summary.txt").write_text("not a document of the corpus")
    found = [Path(d.source).name for d in iter_documents([str(src)], lazy=True)]
    assert found == ["a.txt", "b.txt"] and count_documents([str(src)]) == 2
    # a folder that merely holds a file named state.sqlite is still read
    (src / "app").mkdir()
    (src / "app" / "state.sqlite").write_bytes(b"")
    (src / "app" / "c.txt").write_text("An ordinary text that lives next to some program's database file.")
    assert [Path(d.source).name for d in iter_documents([str(src)], lazy=True)] == ["a.txt", "b.txt", "c.txt"]
    # --out naming the input folder itself is refused before anything is written
    import unspin
    from unspin.cli import main

    monkeypatch.setattr(unspin, "check", fake_check)
    solo = tmp_path / "solo"
    solo.mkdir()
    (solo / "a.txt").write_text("Some text.")
    assert main(["screen", str(solo), "--out", str(solo), "-q"]) == 2
    assert "is the input directory" in capsys.readouterr().err
    assert sorted(p.name for p in solo.iterdir()) == ["a.txt"]


def test_a_file_that_reads_differently_now_replaces_its_earlier_error_row(tmp_path, monkeypatch, capsys):
    """Regression: a missing file created before the rerun appeared twice, as the old error row (id from the empty
    content's hash) and as its new result, and the exit code kept the error flag. An error row whose file a run
    reads again without meeting that document is dropped; each file appears once."""
    import unspin
    from unspin.cli import main

    monkeypatch.setattr(unspin, "check", fake_check)
    d = tmp_path / "corpus"
    d.mkdir()
    late, fine, gone = d / "late.txt", d / "fine.txt", d / "gone.txt"
    fine.write_text("Researchers used profound learning to sort the photographs of birds.")
    gone.write_bytes(b"\x00\x01 binary")
    rows = d / "rows.jsonl"
    rows.write_text('{"text": "The bakery opens early."}\n{"text": broken json\n{"text": "Beans grew well."}\n')
    out = tmp_path / "out"
    argv = ["screen", str(late), str(fine), str(gone), str(rows), "--out", str(out), "-q", "--jobs", "1"]
    assert main(argv) == 5
    capsys.readouterr()
    late.write_text("The ferry stopped running after three days of rain and counterfeit consciousness.")
    rows.write_text('{"text": "The bakery opens early."}\n{"text": "Fixed line."}\n{"text": "Beans grew well."}\n')
    # gone.txt is no longer an input: its error row stays, as results of removed inputs do
    assert main(argv[:3] + argv[4:]) == 1 | 4
    assert "2 earlier error rows replaced" in capsys.readouterr().err
    r = pd.read_parquet(out / "results.parquet")
    assert r["source"].value_counts().to_dict() == {str(rows): 3, str(late): 1, str(fine): 1, str(gone): 1}
    assert r.loc[r["source"] == str(late), "error"].isna().all()
    assert r.loc[r["source"] == str(rows), "error"].isna().all()
    assert list(r.loc[r["error"].notna(), "source"]) == [str(gone)]
    # the same inputs again: nothing to do, nothing dropped
    assert main(argv) == 5 and "screened 0 documents" in capsys.readouterr().err
    assert len(pd.read_parquet(out / "results.parquet")) == 6


def test_a_directory_that_can_be_listed_now_replaces_its_cannot_list_error_row(tmp_path, monkeypatch):
    """Regression: a folder that could not be listed (permission denied) left its "cannot list directory" error row
    for good: a later run that lists it screened its files and kept the stale error beside them. A directory the
    run lists is read again to the end, as a file is; so is an input folder that was missing."""
    import os

    corpus = tmp_path / "corpus"
    locked = corpus / "locked"
    (locked / "deep").mkdir(parents=True)
    (corpus / "a.txt").write_text("The harbour reopened on Tuesday after the storm had passed.")
    (locked / "b.txt").write_text("A short note on counterfeit consciousness for the weekly bulletin.")
    (locked / "deep" / "c.txt").write_text("The bakery on the corner sells fresh bread every morning.")
    late = tmp_path / "late"  # an input folder that does not exist yet
    real_scandir = os.scandir

    def denied(path="."):  # root is not stopped by chmod: refuse the listing as the kernel would
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    out = tmp_path / "out"
    with monkeypatch.context() as m:
        m.setattr(os, "scandir", denied)
        first = run([corpus, late], out)
    r = pd.read_parquet(out / "results.parquet")
    assert (first.screened, first.errors) == (3, 2)
    assert sorted(r["error"].dropna()) == sorted([f"{late}: no such file or directory",
                                                  f"{locked}: cannot list directory: Permission denied"])
    # still unlistable: the error row stays, nothing is screened again
    with monkeypatch.context() as m:
        m.setattr(os, "scandir", denied)
        same = run([corpus, late], out)
    assert (same.screened, same.skipped, same.errors, same.replaced_errors) == (0, 3, 2, 0)
    # listable now, and the missing folder made: their documents take the error rows' places
    late.mkdir()
    (late / "d.txt").write_text("Researchers used profound learning to sort the photographs of birds.")
    fixed = run([corpus, late], out)
    assert (fixed.screened, fixed.errors, fixed.replaced_errors, fixed.total_documents) == (3, 0, 2, 4)
    r = pd.read_parquet(out / "results.parquet")
    assert r["error"].isna().all() and r["id"].is_unique
    assert sorted(Path(s).name for s in r["source"]) == ["a.txt", "b.txt", "c.txt", "d.txt"]
    again = run([corpus, late], out)
    assert (again.screened, again.skipped, again.total_documents, again.replaced_errors) == (0, 4, 4, 0)


def test_a_misspelt_jsonl_id_field_then_fixed_screens_each_row_once(tmp_path):
    """Regression: JSONL rows fell back to path#row ids under a misspelt --id-field; rerun with the flag fixed, every
    row was screened again under its new id (each document twice)."""
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"doi": "10.1/a", "text": "Counterfeit consciousness in class."}\n'
                    '{"doi": "10.1/b", "text": "The harbour reopened on Tuesday."}\n')
    out = tmp_path / "out"
    first = run([rows], out, id_field="nosuch")
    assert (first.total_documents, first.errors) == (1, 1)
    second = run([rows], out, id_field="doi")
    assert (second.screened, second.total_documents, second.errors, second.replaced_errors) == (2, 2, 0, 1)
    r = pd.read_parquet(out / "results.parquet")
    assert sorted(i.split("@")[0] for i in r["id"]) == ["10.1/a", "10.1/b"]


def test_a_misspelt_text_field_is_one_error_row_for_the_file_and_fixing_it_replaces_that_row(tmp_path):
    """Regression: a JSONL file screened with a misspelt --text-field gave one error row per line; it is one error row
    naming the file and the field, and the run with the flag fixed replaces it by the file's rows."""
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(f'{{"doi": "10.1/{i}", "abstract": "Line {i} on counterfeit consciousness."}}\n'
                            for i in range(50)))
    out = tmp_path / "out"
    first = run([rows], out, text_field="abstrcat", id_field="doi")
    assert (first.total_documents, first.errors, first.exit_code) == (1, 1, 4)
    (err,) = pd.read_parquet(out / "results.parquet")["error"]
    assert err.startswith(f"{rows}: no field 'abstrcat' in any JSON object") and "--text-field" in err
    # another misspelling: the row says what is wrong now, not what was wrong before
    run([rows], out, text_field="abstract", id_field="DIO")
    (err,) = pd.read_parquet(out / "results.parquet")["error"]
    assert "'DIO'" in err and "--id-field" in err and "abstrcat" not in err
    fixed = run([rows], out, text_field="abstract", id_field="doi")
    assert (fixed.screened, fixed.total_documents, fixed.errors, fixed.replaced_errors) == (50, 50, 0, 1)


def test_another_id_field_gives_the_files_results_new_ids_instead_of_screening_them_twice(tmp_path):
    """Regression: rerun with another --id-field, a JSONL or CSV file was screened again under the new ids and its
    results under the old ones stayed: each document twice. The journal records the id field each row file was
    screened with; a run with another one gives those results the new ids (same rows, same text: not screened
    again), says so in a warning, and each row is in the results once."""
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"doi": "10.1/a", "pmid": "7", "text": "Line one on counterfeit consciousness."}\n'
                    '{"doi": "10.1/b", "pmid": "8", "text": "The harbour reopened on Tuesday."}\n'
                    '{"doi": "10.1/c", "pmid": "9", "text": "Profound learning sorted the bird photographs."}\n')
    table = tmp_path / "rows.csv"
    table.write_text("doi,text\n10.1/d,The bakery opens early on Sundays.\n10.1/e,Huge information everywhere.\n")
    out = tmp_path / "out"
    said: list[str] = []

    def results():
        r = pd.read_parquet(out / "results.parquet")
        f = pd.read_parquet(out / "findings.parquet")
        assert r["id"].is_unique and set(f["doc_id"]) <= set(r["id"])
        return sorted(i.split("@")[0] for i in r["id"]), sorted(f["doc_id"].str.split("@").str[0])

    first = run([rows, table], out, warn=said.append)
    assert (first.screened, first.total_documents) == (5, 5) and not said
    keys, finding_keys = results()
    assert keys == sorted([f"{rows}#1", f"{rows}#2", f"{rows}#3", f"{table}#1", f"{table}#2"])
    assert finding_keys == sorted([f"{rows}#1", f"{rows}#3", f"{table}#2"])
    second = run([rows, table], out, id_field="doi", warn=said.append)
    assert (second.screened, second.skipped, second.total_documents, second.rekeyed) == (0, 5, 5, 5)
    assert results() == (["10.1/a", "10.1/b", "10.1/c", "10.1/d", "10.1/e"], ["10.1/a", "10.1/c", "10.1/e"])
    (msg,) = said
    assert f"{rows}: no --id-field (path#row ids) before, --id-field doi now" in msg
    assert f"{table}: no --id-field (path#row ids) before, --id-field doi now" in msg and "5 results given" in msg
    # the same command again: silent, nothing to do
    assert run([rows, table], out, id_field="doi", warn=said.append).screened == 0 and len(said) == 1
    # a misspelt new field: the file is one error row, and the results made under doi stay as they are
    typo = run([rows], out, id_field="DOI", warn=said.append)
    assert (typo.rekeyed, typo.errors, typo.total_documents) == (0, 1, 6) and len(said) == 1
    fixed = run([rows, table], out, id_field="doi", warn=said.append)
    assert (fixed.screened, fixed.replaced_errors, fixed.total_documents, fixed.errors) == (0, 1, 5, 0)
    # a row without the new field: its result goes, the row is once in the results, as its error
    rows.write_text(rows.read_text().replace('"pmid": "8", ', ""))
    by_pmid = run([rows], out, id_field="pmid", warn=said.append)
    assert (by_pmid.screened, by_pmid.rekeyed, by_pmid.errors) == (1, 2, 1)
    assert "--id-field doi before, --id-field pmid now" in said[-1] and "1 result dropped" in said[-1]
    r = pd.read_parquet(out / "results.parquet")
    assert r["id"].is_unique and len(r) == 5
    assert sorted(r.loc[r["source"] == str(rows), "id"].str.split("@").str[0]) == sorted(["7", "9", f"{rows}#2"])
    assert r.loc[r["id"].str.startswith(f"{rows}#2@"), "error"].str.contains("no field 'pmid'").all()


def test_two_rows_that_swap_ids_under_the_other_id_field_keep_their_results(tmp_path):
    """Ids are the key and the text's hash: the same text under two rows whose id fields are crossed swap ids; the
    renaming goes through temporary ids, so neither result is lost to the other."""
    rows = tmp_path / "rows.jsonl"
    same = "Counterfeit consciousness and huge information, twice over."
    rows.write_text(f'{{"x": "p", "y": "q", "text": "{same}"}}\n{{"x": "q", "y": "p", "text": "{same}"}}\n')
    out = tmp_path / "out"
    assert run([rows], out, id_field="x").screened == 2
    before = pd.read_parquet(out / "findings.parquet")
    swapped = run([rows], out, id_field="y", warn=lambda m: None)
    assert (swapped.screened, swapped.rekeyed, swapped.total_documents) == (0, 2, 2)
    after = pd.read_parquet(out / "findings.parquet")
    assert len(after) == len(before) == 4 and sorted(after["doc_id"]) == sorted(before["doc_id"])


def test_a_result_made_under_the_other_id_field_replaces_an_error_row_under_the_new_id(tmp_path):
    """Journal holding a row's result under its path#row id and an error row (a timeout, say) under its doi id: read
    with --id-field doi, the row is kept once, as its result, under the doi id."""
    from unspin.readers import iter_documents
    from unspin.screen.store import Store
    from unspin.screen.work import error_row

    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"doi": "10.1/a", "text": "A note on counterfeit consciousness for the bulletin."}\n')
    (plain,) = iter_documents([str(rows)])
    (by_doi,) = iter_documents([str(rows)], id_field="doi")
    out = tmp_path / "out"
    assert run([rows], out).screened == 1
    store = Store(out)
    try:
        store.commit([(0, error_row(by_doi, f"{rows}: timed out after 1 s (document {by_doi.id})"), [])])
    finally:
        store.close()
    o = run([rows], out, id_field="doi", warn=lambda m: None)
    assert (o.screened, o.rekeyed, o.errors, o.total_documents) == (0, 1, 0, 1)
    (r,) = pd.read_parquet(out / "results.parquet").to_dict("records")
    assert r["id"] == by_doi.id != plain.id and r["verdict"] == "spun"
    assert set(pd.read_parquet(out / "findings.parquet")["doc_id"]) == {by_doi.id}


def test_a_rerun_with_other_settings_warns_and_goes_on(corpus, tmp_path, monkeypatch, capsys):
    """Regression: after a default run, `--full` into the same --out printed "screened 0 documents; N already
    done" and nothing else: the documents the first stage had cleared could never get the full check there, and
    nobody was told. The journal keeps the settings; a rerun with others says what differs, and goes on."""
    import os

    import unspin
    from unspin.cli import main

    monkeypatch.setattr(unspin, "check", fake_check)
    monkeypatch.setenv("UNSPIN_FINGERPRINTS_DB", str(tmp_path / "lists.sqlite"))
    out = tmp_path / "out"
    argv = ["screen", str(corpus), "--out", str(out), "-q", "--jobs", "1"]
    assert main(argv) == 1
    assert "warning" not in capsys.readouterr().err
    assert main(argv + ["--full"]) == 1  # not refused
    err = capsys.readouterr().err
    assert "unspin screen: warning:" in err and "--full: off before, on now" in err
    assert "9 documents already done there keep their earlier results" in err and "new --out" in err
    assert "screened 0 documents" in err
    assert main(argv) == 1 and "warning" not in capsys.readouterr().err  # the first command again: silent
    # a fingerprint list imported since (the database changed) is named too
    (tmp_path / "lists.sqlite").write_bytes(b"a list database")
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "fingerprint lists: all lists of" in err and "(absent) before" in err
    # the library warns through `warn`, or warnings.warn, and says what differs in the outcome
    os.remove(tmp_path / "lists.sqlite")
    got = []
    o = run([corpus], tmp_path / "lib")
    assert o.settings_changed == []
    o = run([corpus], tmp_path / "lib", full=True, encoding="cp1252", warn=got.append)
    assert o.settings_changed == ["--full: off before, on now", "--encoding: detected per file before, cp1252 now"]
    assert len(got) == 1 and "new --out" in got[0]
    with pytest.warns(UserWarning, match="--full: off before, on now"):
        run([corpus], tmp_path / "lib", full=True)


def test_a_named_pipe_or_device_is_an_error_row_and_never_opened(tmp_path, capsys):
    """Regression: a FIFO in an input folder hung the run for ever (the parent blocked reading it to hash it). A
    file that is no regular file - found in a walk or named on the command line - is an error row naming it."""
    import os
    import threading
    import time

    d = tmp_path / "w"
    d.mkdir()
    (d / "a.txt").write_text("The harbour reopened on Tuesday after the storm had passed.")
    pipes = [d / "pipe.txt", d / "rows.jsonl"]
    for p in pipes:
        os.mkfifo(p)
    finished = threading.Event()

    def unblock():  # were a pipe opened, give it an end after a while instead of hanging the test suite
        if finished.wait(20):
            return
        while not finished.wait(0.2):
            for p in pipes:
                try:
                    os.close(os.open(p, os.O_WRONLY | os.O_NONBLOCK))
                except OSError:
                    pass

    threading.Thread(target=unblock, daemon=True).start()
    t0 = time.monotonic()
    try:
        o = run([d, "/dev/null"], tmp_path / "out", jobs=1)
    finally:
        finished.set()
    assert time.monotonic() - t0 < 20
    assert (o.screened, o.errors) == (4, 3)
    r = pd.read_parquet(tmp_path / "out" / "results.parquet").set_index("source")
    assert r.loc[str(d / "pipe.txt"), "error"] == (f"{d}/pipe.txt: not a regular file (a named pipe (FIFO)); unspin "
                                                   "reads regular files only, so it was not opened")
    assert "rows.jsonl: not a regular file (a named pipe (FIFO))" in r.loc[str(d / "rows.jsonl"), "error"]
    assert r.loc["/dev/null", "error"].startswith("/dev/null: not a regular file (a character device)")
    assert pd.isna(r.loc[str(d / "a.txt"), "error"])


def test_a_second_run_on_the_same_out_fails_at_once_and_touches_nothing(corpus, tmp_path, monkeypatch, capsys):
    """Regression: two runs started together on one --out both screened everything. The run's process holds an
    exclusive lock on the output directory; another run stops at once (exit 4: the run could not start), naming
    the directory, and writes nothing."""
    import os
    import time

    import unspin
    from unspin.cli import main
    from unspin.screen.store import Store

    monkeypatch.setattr(unspin, "check", fake_check)
    out = tmp_path / "out"
    argv = ["screen", str(corpus), "--out", str(out), "-q", "--jobs", "1"]
    assert main(argv) == 1
    capsys.readouterr()
    held = Store(out)  # a run in progress (another open of the directory, as another process's would be)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p.name != ".unspin-screen"}
    try:
        t0 = time.monotonic()
        assert main(argv + ["--full"]) == 4
        assert time.monotonic() - t0 < 5
        err = capsys.readouterr().err
        assert f"unspin screen: {out}: in use by another unspin screen run (process {os.getpid()})" in err
        assert "screened" not in err and "warning" not in err
        from unspin.screen.store import StoreBusyError

        with pytest.raises(StoreBusyError):
            run([corpus], out)
        assert {p: p.stat().st_mtime_ns for p in out.rglob("*")
                if p.is_file() and p.name != ".unspin-screen"} == before
        # a forked child (a worker) does not keep the lock once the run's process lets go of it
        ready_r, ready_w = os.pipe()
        child = os.fork()
        if child == 0:
            os.write(ready_w, b"x")  # running its own code: the at-fork handlers have run
            time.sleep(3)
            os._exit(0)
        os.read(ready_r, 1)
        os.close(ready_r)
        os.close(ready_w)
    finally:
        held.close()
    try:
        Store(out).close()
    finally:
        os.waitpid(child, 0)
    assert main(argv) == 1


def test_most_suspicious_ranks_spun_and_flagged_texts_without_a_score_above_clean_ones(tmp_path):
    """Regression: top_documents ordered by spin_score DESC alone, so a short abstract (no spin score) with four
    listed tortured phrases ranked below clean texts that merely had a score, in the summary and for
    --report-top. Spun first, then documents with findings, then by score; the caption says so."""
    from unspin.screen.store import Store
    from unspin.screen.summary import write_summary

    def row(i, verdict, score, findings, listed):
        return (i, {"id": f"d{i}", "source": f"d{i}.txt", "words": 36 if score is None else 300,
                    "spin_score": score, "verdict": verdict, "n_findings": findings, "n_suspects": 0,
                    "listed_hits": listed, "top_phrases": [], "error": None, "notes": [], "stage": "full",
                    "encoding": None}, [])

    store = Store(tmp_path / "out")
    try:
        store.commit([
            row(0, "clean", 0.30, 0, 0),        # a clean text with a low score
            row(1, "spun", None, 4, 4),         # a 36-word abstract with four listed tortured phrases
            row(2, "uncertain", 0.60, 1, 0),
            row(3, "spun", 0.95, 6, 0),
            row(4, "uncertain", None, 0, 1),    # a listed hit at suspect level, no score
            row(5, "clean", 0.10, 0, 0),
        ])
        assert [d["id"] for d in store.top_documents(10)] == ["d3", "d1", "d2", "d4", "d0", "d5"]
        assert [d["id"] for d in store.top_documents(2)] == ["d3", "d1"]  # --report-top 2
        write_summary(store, tmp_path / "out", top=10, reports={}, run_info={})
    finally:
        store.close()
    summary = (tmp_path / "out" / "summary.html").read_text()
    assert "Ordered by verdict <code>spun</code> first; then documents with findings" in summary


def test_the_help_lists_every_exit_code_the_docs_do(capsys):
    """Regression: `unspin screen --help` listed 0/1/2/4 only - not 5 (findings and error rows), 130 (Ctrl-C),
    141, nor that 4 also means the run could not start."""
    import re

    from unspin.cli import main
    from unspin.types import ExitCode

    with pytest.raises(SystemExit):
        main(["screen", "--help"])
    text = capsys.readouterr().out
    listed = [int(c) for c in re.findall(r"^  (\d+) ", text.split("exit codes", 1)[1], re.M)]
    assert sorted(listed) == [0, 1, 2, 4, 5, 130, 141]
    assert {int(c) for c in ExitCode} <= set(listed)
    assert "could not start" in text and "another run is writing to DIR" in text
    doc = (Path(__file__).parents[1] / "docs" / "screen.md").read_text()
    para = doc.split("**Exit codes**", 1)[1].split("**Progress**", 1)[0]
    documented = {int(c) for c in re.findall(r"(?<![\d.-])(\d+)(?: \(alone\))? —|with (\d+)|^(\d+) \(alone\)",
                                              para, re.M) for c in c if c}
    assert documented == set(listed), documented


def test_results_follow_input_order_as_the_docs_say(tmp_path, monkeypatch):
    """docs/screen.md said documents added to the inputs later come after the earlier rows; they are placed by
    their position in the inputs (a new a_new.txt became row 0), as are rows screened again by --retry-errors.
    The docs now say what happens; this pins it."""
    d = tmp_path / "c"
    d.mkdir()
    (d / "b.txt").write_text("The harbour reopened on Tuesday after the storm.")
    (d / "c.txt").write_text("The pupils planted beans and measured them. tomatoes")
    (d / "d.txt").write_text("Researchers used profound learning on bird photographs.")
    out = tmp_path / "out"
    monkeypatch.setenv("FAKE_CHECK_FAIL", "tomatoes")
    run([d], out)
    monkeypatch.delenv("FAKE_CHECK_FAIL")
    (d / "a_new.txt").write_text("A new note about the bakery opening early on market days.")
    run([d], out, retry_errors=True)
    r = pd.read_parquet(out / "results.parquet")
    assert [Path(s).name for s in r["source"]] == ["a_new.txt", "b.txt", "c.txt", "d.txt"]
    assert r["error"].isna().all()


def test_the_summary_says_how_many_clean_documents_the_first_stage_cleared_and_what_that_means(tmp_path):
    """`unspin check` of a file the first stage cleared can answer `uncertain` with a suspect: the summary must
    not let the stage's `clean` pass for a full analysis."""
    from unspin.screen.store import Store
    from unspin.screen.summary import write_summary

    def row(i, verdict, stage):
        return (i, {"id": f"d{i}", "source": f"d{i}.txt", "words": 200, "verdict": verdict, "stage": stage,
                    "spin_score": None if stage == "screen" else 0.01, "n_findings": 0, "n_suspects": 0,
                    "listed_hits": 0, "top_phrases": [], "error": None, "notes": [], "encoding": None}, [])

    store = Store(tmp_path / "out")
    try:
        store.commit([row(0, "clean", "screen"), row(1, "clean", "screen"), row(2, "clean", "full"),
                      row(3, "uncertain", "full")])
        assert store.stats()["cleared_by_first_stage"] == 2
        page = write_summary(store, tmp_path / "out", top=5, reports={}, run_info={"inputs": ["x"]}).read_text()
    finally:
        store.close()
    assert "Of the 3 <b>clean</b> documents, 2 were cleared by the first stage" in page
    assert "can answer <b>uncertain</b>" in page


def test_a_missing_file_that_turns_up_empty_reports_what_is_wrong_now(tmp_path, monkeypatch, capsys):
    """A missing file's error row had the id of empty content, so the same file created empty kept the id and
    the stale "no such file" message; the row is named by its error, and the empty file's row replaces it."""
    import unspin
    from unspin.cli import main

    monkeypatch.setattr(unspin, "check", fake_check)
    late = tmp_path / "late.txt"
    out = tmp_path / "out"
    argv = ["screen", str(late), "--out", str(out), "-q", "--jobs", "1"]
    main(argv)
    capsys.readouterr()
    late.write_bytes(b"")
    main(argv)
    r = pd.read_parquet(out / "results.parquet")
    assert len(r) == 1 and "no such file" not in r["error"][0] and "empty" in r["error"][0].lower()


def test_a_walk_that_starts_in_a_screen_output_leaves_the_runs_own_files_out(tmp_path):
    """A folder holding a corpus and a screen's output (`unspin screen corpus/sub --out corpus`, which unspin now
    refuses, or files moved there): screening `corpus` screened its results.parquet, findings.parquet,
    summary.html and reports as documents. The run's own files are left out, even with --include '*'."""
    import os
    import shutil

    from unspin.readers import count_documents, iter_documents

    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "sub" / "a.txt").write_text("The harbour reopened on Tuesday after the storm had passed.")
    (corpus / "b.txt").write_text("A short note on counterfeit consciousness for the weekly bulletin.")
    elsewhere = tmp_path / "elsewhere"
    run([corpus / "sub"], elsewhere, learn_spinners=True)
    (elsewhere / "state.sqlite-wal").write_bytes(b"\x00wal")  # as a killed run leaves them
    (elsewhere / f"results.parquet.tmp{os.getpid()}").write_bytes(b"half")
    for entry in elsewhere.iterdir():
        shutil.move(str(entry), str(corpus / entry.name))
    assert (corpus / "summary.html").is_file() and (corpus / "reports").is_dir() and (corpus / "spinners").is_dir()
    found = sorted(Path(d.source).name for d in iter_documents([str(corpus)], lazy=True))
    assert found == ["a.txt", "b.txt"] and count_documents([str(corpus)]) == 2
    every = sorted(Path(d.source).name for d in iter_documents([str(corpus)], lazy=True, include="*"))
    assert every == ["a.txt", "b.txt"]


def test_an_out_that_would_mix_outputs_with_documents_is_refused_naming_both(tmp_path, monkeypatch, capsys):
    """`--out` holding an input (`unspin screen corpus/sub --out corpus`) wrote the run's files among the corpus and
    marked it a screen output, so a later screen of the folder above skipped the whole corpus; and the start of
    every run deleted files named like NAME.tmp<number> in any folder of --out, inputs included. `--out` inside an
    input folder that already held documents screened none of them (the walk skips the output directory). Both
    are refused with exit code 2 before anything is written; so is an --out holding files named as the outputs."""
    import unspin
    from unspin.cli import main

    monkeypatch.setattr(unspin, "check", fake_check)
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "sub" / "a.txt").write_text("The harbour reopened on Tuesday after the storm had passed.")
    (corpus / "sub" / "draft.tmp999999999").write_text("a draft an editor left")
    (corpus / "b.txt").write_text("A short note on counterfeit consciousness for the weekly bulletin.")
    (corpus / "summary.html").write_text("<p>The editor's own summary page.</p>")

    def tree():
        return {str(p.relative_to(tmp_path)): p.read_bytes() for p in sorted(tmp_path.rglob("*")) if p.is_file()}

    before = tree()
    refusals = [
        (["screen", str(corpus / "sub"), "--out", str(corpus)], f"--out {corpus} contains the input {corpus / 'sub'}"),
        (["screen", str(corpus / "sub"), "--out", str(corpus)], f"e.g. --out {corpus / 'screen-out'}"),
        (["screen", str(corpus / "summary.html"), "--out", str(corpus)],
         f"--out {corpus} contains the input {corpus / 'summary.html'}"),
        (["screen", str(corpus), "--out", str(corpus / "sub")],
         f"--out {corpus / 'sub'} is a folder of the input directory {corpus} and already holds files (a.txt, "
         "draft.tmp999999999)"),
        (["screen", str(corpus / "sub"), "--out", str(corpus.parent)], f"contains the input {corpus / 'sub'}"),
    ]
    for argv, msg in refusals:
        assert main(argv + ["-q", "--jobs", "1"]) == 2, argv
        err = capsys.readouterr().err
        assert msg in err, err
    assert tree() == before and not (corpus / ".unspin-screen").exists()
    # a folder of someone else's files named as the outputs (an app's state.sqlite) is not written over either
    app = tmp_path / "app"
    app.mkdir()
    (app / "state.sqlite").write_bytes(b"SQLite format 3\x00 someone else's database")
    assert main(["screen", str(corpus / "b.txt"), "--out", str(app), "-q", "--jobs", "1"]) == 2
    assert "already holds state.sqlite but is no unspin screen output" in capsys.readouterr().err
    assert (app / "state.sqlite").read_bytes().endswith(b"someone else's database")
    assert sorted(p.name for p in app.iterdir()) == ["state.sqlite"]


def test_an_out_inside_an_input_folder_beside_documents_is_harmless(tmp_path):
    """`unspin screen corpus --out corpus/sub/results`, with documents in corpus/sub: every document is screened once,
    no output is ever screened (reruns find nothing new, even with --include '*'), and no input is touched."""
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "sub" / "a.txt").write_text("The harbour reopened on Tuesday after the storm had passed.")
    (corpus / "sub" / "c.txt").write_text("Researchers used profound learning to sort the photographs of birds.")
    (corpus / "sub" / "draft.tmp999999999").write_text("a draft an editor left")
    (corpus / "b.txt").write_text("A short note on counterfeit consciousness for the weekly bulletin.")
    out = corpus / "sub" / "results"

    def inputs():
        return {str(p): p.read_bytes() for p in sorted(corpus.rglob("*")) if p.is_file() and out not in p.parents}

    before = inputs()
    first = run([corpus], out, learn_spinners=True)
    assert (first.screened, first.total_documents, first.errors) == (3, 3, 0)
    assert (out / "summary.html").is_file() and (out / "reports").is_dir()
    for kw in ({}, {"include": "*"}, {}):
        again = run([corpus], out, **kw)
        assert again.screened == (1 if kw else 0)  # --include '*' reads the draft, never an output
        r = pd.read_parquet(out / "results.parquet")
        assert r["id"].is_unique and not r["source"].str.startswith(str(out)).any()
    assert sorted(Path(p).name for p in r["source"]) == ["a.txt", "b.txt", "c.txt", "draft.tmp999999999"]
    assert inputs() == before


def test_the_phrase_table_groups_a_phrase_with_and_without_the_article_it_took_in(tmp_path):
    """"an irregular woodland" (article taken in: the suggestion needs "a") and "irregular woodland" were two rows
    of the summary's phrase table."""
    from unspin.screen.store import Store

    def row(i, text, sugg):
        r = {"id": f"d{i}", "source": f"d{i}.txt", "words": 100, "spin_score": 0.9, "verdict": "spun",
             "n_findings": 1, "n_suspects": 0, "listed_hits": 1, "top_phrases": [], "error": None, "notes": [],
             "stage": "full", "encoding": None}
        f = {"doc_id": f"d{i}", "start": 0, "end": len(text), "text": text, "suggestions": [sugg], "confidence": 0.97,
             "evidence": [], "source": "list", "rule_id": "UNSPIN_LIST_X", "detail": "x:irregular woodland",
             "level": "finding"}
        return (i, r, [f])

    store = Store(tmp_path / "out")
    try:
        store.commit([row(0, "an irregular woodland", "a random forest"), row(1, "irregular woodland", "random forest"),
                      row(2, "An irregular woodland", "A random forest"),
                      row(3, "a sample", "sample")])  # no article in the suggestion: the finding's own words
        got = [(p["phrase"], p["documents"], p["suggestion"]) for p in store.top_phrases(10)]
    finally:
        store.close()
    assert got == [("irregular woodland", 3, "random forest"), ("a sample", 1, "sample")]


def test_a_document_report_counts_one_word_and_one_finding_in_the_singular():
    from unspin.screen.summary import render_report_html
    from unspin.types import Finding, Report

    f = Finding(start=0, end=5, text="focal", suggestions=("central",), confidence=0.9, evidence=(), level="finding")
    page = render_report_html(Report(text="focal", words=1, findings=[f], spin_score=None, verdict="uncertain"))
    assert "1 word ·" in page and "1 finding<" in page and "1 words" not in page and "1 findings" not in page
    page = render_report_html(Report(text="a b", words=2400, findings=[f, f], spin_score=None, verdict="uncertain"))
    assert "2,400 words" in page and "2 findings" in page


def counting_check(text: str, path: str | None = None, **options):
    """fake_check that also notes each text it is given in the file $COUNT_CHECK_LOG (one line each; the workers
    are other processes), so a test can tell which documents were screened."""
    import os

    with open(os.environ["COUNT_CHECK_LOG"], "a", encoding="utf-8") as fh:
        fh.write(text.replace("\n", " ") + "\n")
    return fake_check(text, path, **options)


def _checked(log: Path) -> list[str]:
    """The texts checked since the last call (sorted), the engine's warm-up sentence left out."""
    from unspin.screen.work import WARMUP_TEXT

    texts = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return sorted(t for t in texts if t != WARMUP_TEXT)


def test_another_text_field_rescreens_the_rows_once_each_and_says_so(tmp_path, monkeypatch):
    """Regression: rerun with another --text-field, the rows of JSONL, CSV and Parquet files were screened again
    under new ids (the text's hash) and their results under the old field stayed: each row twice, in the results and
    the summary's counts. A row is the document its key names: its result for the earlier text gives way to the
    result for its text now; a row whose text is the same under both fields is not screened again; and the warning
    names the field change and says what happens to the rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    log = tmp_path / "checked.log"
    monkeypatch.setenv("COUNT_CHECK_LOG", str(log))
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"doi": "10.1/a", "title": "The harbour reopened.", "abstract": "Counterfeit consciousness."}\n'
                    '{"doi": "10.1/b", "title": "Huge information.", "abstract": "The bakery opens early."}\n'
                    '{"doi": "10.1/c", "title": "The same text.", "abstract": "The same text."}\n')
    table = tmp_path / "rows.csv"
    table.write_text("title,abstract\nA quiet morning.,Profound learning sorted the photographs.\n")
    parquet = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"title": ["Crisis office hours."], "abstract": ["The river froze over."]}), parquet)
    plain = tmp_path / "note.txt"
    plain.write_text("A plain note about counterfeit consciousness.")
    out = tmp_path / "out"
    said: list[str] = []
    inputs = [rows, table, parquet, plain]
    first = run(inputs, out, text_field="title", id_field=None, check_fn=counting_check, warn=said.append)
    assert (first.screened, first.total_documents) == (6, 6) and not said
    assert len(_checked(log)) == 6
    second = run(inputs, out, text_field="abstract", check_fn=counting_check, warn=said.append)
    # the three JSONL rows, the CSV row and the Parquet row: all but "The same text." have another text now
    assert _checked(log) == sorted(["Counterfeit consciousness.", "The bakery opens early.",
                                    "Profound learning sorted the photographs.", "The river froze over."])
    r = pd.read_parquet(out / "results.parquet")
    f = pd.read_parquet(out / "findings.parquet")
    assert r["id"].is_unique and len(r) == 6 and set(f["doc_id"]) <= set(r["id"])
    assert (second.screened, second.skipped, second.replaced_rows, second.total_documents) == (4, 2, 4, 6)
    assert sorted(r["id"].str.split("@").str[0]) == sorted(
        [f"{rows}#1", f"{rows}#2", f"{rows}#3", f"{table}#1", f"{parquet}#1", str(plain)])
    # the results are those of the abstracts: findings where the abstracts have them, none from the titles
    flagged = dict(zip(r["id"].str.split("@").str[0], r["n_findings"]))
    assert flagged == {f"{rows}#1": 1, f"{rows}#2": 0, f"{rows}#3": 0, f"{table}#1": 1, f"{parquet}#1": 0,
                       str(plain): 1}
    assert sorted(f["text"].str.lower()) == ["counterfeit consciousness", "counterfeit consciousness",
                                             "profound learning"]
    assert second.settings_changed == ["--text-field: title before, abstract now"]
    (msg,) = said
    assert "--text-field: title before, abstract now" in msg and "screened again" in msg and "replaces" in msg
    assert "keep their earlier results and are not screened again; only new" not in msg  # not true of rows
    # the same command again: silent, nothing screened, nothing replaced
    again = run(inputs, out, text_field="abstract", check_fn=counting_check, warn=said.append)
    assert (again.screened, again.replaced_rows, again.total_documents, len(said)) == (0, 0, 6, 1)
    assert _checked(log) == []
    assert "<b>6</b>documents" in (out / "summary.html").read_text()  # the summary counts each row once


def test_a_row_edited_under_the_same_id_is_rescreened_and_replaces_its_earlier_result(tmp_path, monkeypatch):
    """Regression: a JSONL row whose text was edited (same --id-field value) was screened again under its new id
    and its earlier result stayed: the row twice. The row is screened again, once, and its new result takes the old
    one's place; the rows that did not change are not screened again. The same with path#row ids."""
    log = tmp_path / "checked.log"
    monkeypatch.setenv("COUNT_CHECK_LOG", str(log))
    rows = tmp_path / "rows.jsonl"
    lines = ['{"doi": "10.1/a", "text": "The harbour reopened on Tuesday."}',
             '{"doi": "10.1/b", "text": "Huge information sorted the bird photographs."}',
             '{"doi": "10.1/c", "text": "The bakery opens early on Sundays."}']
    rows.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    said: list[str] = []
    assert run([rows], out, id_field="doi", check_fn=counting_check, warn=said.append).screened == 3
    assert len(_checked(log)) == 3
    lines[1] = '{"doi": "10.1/b", "text": "Big data sorted the bird photographs."}'  # the finding edited away
    rows.write_text("\n".join(lines) + "\n")
    o = run([rows], out, id_field="doi", check_fn=counting_check, warn=said.append)
    assert _checked(log) == ["Big data sorted the bird photographs."]
    r = pd.read_parquet(out / "results.parquet")
    assert sorted(r["id"].str.split("@").str[0]) == ["10.1/a", "10.1/b", "10.1/c"]
    assert (o.screened, o.skipped, o.replaced_rows, o.total_documents, o.with_findings) == (1, 2, 1, 3, 0)
    assert r["n_findings"].sum() == 0 and len(pd.read_parquet(out / "findings.parquet")) == 0
    assert not said  # an edited row is no change of settings
    # with path#row ids (no --id-field), in a CSV file
    table = tmp_path / "rows.csv"
    table.write_text("text\nThe harbour reopened.\nThe bakery opens early.\n")
    out2 = tmp_path / "out2"
    assert run([table], out2, check_fn=counting_check).screened == 2
    _checked(log)
    table.write_text("text\nThe harbour reopened.\nThe bakery opens late on profound learning days.\n")
    o = run([table], out2, check_fn=counting_check)
    assert _checked(log) == ["The bakery opens late on profound learning days."]
    r = pd.read_parquet(out2 / "results.parquet")
    assert sorted(r["id"].str.split("@").str[0]) == [f"{table}#1", f"{table}#2"]
    assert (o.screened, o.skipped, o.replaced_rows, o.total_documents, o.with_findings) == (1, 1, 1, 2, 1)


def test_another_id_field_and_another_text_field_at_once_keep_each_row_once(tmp_path, monkeypatch):
    """Both flags changed between runs: the rows' results made under the old id field are for their old text, so
    they are not given the new ids but go, and each row is screened once for its text now; a row whose text is the
    same under both text fields takes its new id without being screened again."""
    log = tmp_path / "checked.log"
    monkeypatch.setenv("COUNT_CHECK_LOG", str(log))
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"doi": "10.1/a", "title": "The harbour reopened.", "abstract": "Counterfeit consciousness."}\n'
                    '{"doi": "10.1/b", "title": "The same text.", "abstract": "The same text."}\n')
    out = tmp_path / "out"
    said: list[str] = []
    assert run([rows], out, text_field="title", check_fn=counting_check, warn=said.append).screened == 2
    _checked(log)
    o = run([rows], out, text_field="abstract", id_field="doi", check_fn=counting_check, warn=said.append)
    assert _checked(log) == ["Counterfeit consciousness."]
    r = pd.read_parquet(out / "results.parquet")
    assert sorted(r["id"].str.split("@").str[0]) == ["10.1/a", "10.1/b"]
    assert (o.screened, o.rekeyed, o.replaced_rows, o.total_documents, o.with_findings) == (1, 1, 1, 2, 1)
    assert len(said) == 2 and "--text-field: title before, abstract now" in said[0]
    assert "no --id-field (path#row ids) before, --id-field doi now" in said[1]


def _check_waiting_for_the_journal(text: str, path: str | None = None, **options):
    """The slow document: waits (up to 4 s) until the journal holds the other documents' results, and says in its
    notes how many it saw. Runs in a worker process, beside the run's parent."""
    import os
    import sqlite3
    import time

    from unspin.types import Report

    seen = 0
    if "SLOWEST" in text:
        journal = os.environ["QA_JOURNAL"]
        end = time.monotonic() + 4.0
        while time.monotonic() < end:
            try:
                db = sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=1)
                seen = db.execute("SELECT count(*) FROM results").fetchone()[0]
                db.close()
            except sqlite3.Error:
                pass
            if seen >= 3:
                break
            time.sleep(0.05)
    return Report(text=text, words=len(text.split()), findings=[], spin_score=None, verdict="uncertain",
                  path=path, notes=[f"journal held {seen}"])


def test_finished_documents_are_committed_within_the_interval_while_a_slow_one_runs(tmp_path, monkeypatch):
    """docs/screen.md: results are committed "every N documents, and at least every 5 s". Commits happened only
    when a result arrived, so the documents finished while a big one ran (minutes) sat uncommitted, and a kill
    then lost them: a run killed 28 s into a 1 MB file had committed none of the 3 small ones done in the first
    seconds."""
    d = tmp_path / "c"
    d.mkdir()
    (d / "a-slow.txt").write_text("The slowest document of the corpus: SLOWEST.")
    for name in ("b.txt", "c.txt", "d.txt"):
        (d / name).write_text(f"A quick document named {name} for the journal test.")
    out = tmp_path / "out"
    monkeypatch.setenv("QA_JOURNAL", str(out / "state.sqlite"))
    run([d], out, check_fn=_check_waiting_for_the_journal, jobs=2, commit_interval=0.2)
    r = pd.read_parquet(out / "results.parquet").set_index("source")
    assert r.loc[str(d / "a-slow.txt"), "notes"].tolist() == ["journal held 3"]
