"""The CLI contract of check/restore/spin (docs/json-schema.md): formats, exit codes, errors."""
import html
import json
import subprocess
import sys
from pathlib import Path

import pytest

from unspin.cli import main

EXAMPLE = Path(__file__).parents[1] / "examples" / "spun-news.txt"
# review mode: the default threshold is tuned for ≤ 1 false finding per 1,000 clean words and reports few
# findings on a short story; the CLI contract is tested with findings present
REVIEW = ("--review",)
CLEAN = "The committee met on Monday and agreed to publish its report next week. Members thanked the staff.\n"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_json_one_object_per_input_with_schema(capsys, tmp_path):
    clean = tmp_path / "clean.txt"
    clean.write_text(CLEAN)
    code, out, _ = run(capsys, "check", "--format", "json", "--no-fingerprints", *REVIEW, str(EXAMPLE), str(clean))
    lines = out.strip().splitlines()
    assert len(lines) == 2
    spun, ok = (json.loads(x) for x in lines)
    for obj in (spun, ok):
        assert obj["schema"] == 2
        assert set(obj) >= {"path", "words", "spin_score", "verdict", "findings"}
        assert obj["spin_score"] is None or 0.0 <= obj["spin_score"] <= 1.0
        assert obj["verdict"] in ("spun", "clean", "uncertain")
    assert spun["path"] == str(EXAMPLE) and spun["findings"], "the bundled spun example must produce findings"
    assert spun["spin_score"] > 0.5 and spun["verdict"] != "clean"
    # our one-line clean text is under 40 words: no score, no verdict either way
    assert ok["spin_score"] is None and ok["verdict"] == "uncertain"
    text = EXAMPLE.read_text()
    for f in spun["findings"]:
        assert set(f) == {"start", "end", "text", "suggestions", "confidence", "evidence", "source", "rule_id", "detail", "level"}
        assert text[f["start"] : f["end"]] == f["text"]
    # exit code 1 means findings at `finding` level (suspects, shown by --review, do not count)
    assert code == int(any(f["level"] == "finding" for f in spun["findings"]))


def test_check_text_format_is_linter_like(capsys):
    code, out, _ = run(capsys, "check", "--no-fingerprints", *REVIEW, str(EXAMPLE))
    first = out.splitlines()[0]
    assert first.startswith(f"{EXAMPLE}:") and "→" in first and ")" in first
    heads = [ln for ln in out.splitlines() if ln.startswith(f"{EXAMPLE}:") and "→" in ln]
    assert code == int(any("[suspect]" not in ln for ln in heads))


def test_default_mode_reports_findings_on_the_spun_example_and_none_on_the_original(capsys):
    code, out, _ = run(capsys, "check", "--format", "json", "--no-fingerprints", str(EXAMPLE),
                       str(EXAMPLE.with_name("original-news.txt")))
    spun, orig = (json.loads(x) for x in out.strip().splitlines())
    assert [f for f in spun["findings"] if f["level"] == "finding"], "default mode must show findings (issue 12)"
    assert not [f for f in orig["findings"] if f["level"] == "finding"]
    assert spun["verdict"] != "clean" and orig["verdict"] != "spun" and code == 1


def test_check_html_is_standalone_and_escaped(capsys, tmp_path):
    bad = tmp_path / "x.txt"
    bad.write_text("The <script>alert(1)</script> focal bank brought up its premium rate again this week.")
    code, out, _ = run(capsys, "check", "--format", "html", "--no-fingerprints", str(bad))
    assert out.startswith("<!doctype html>") and "<script>alert" not in out and "&lt;script&gt;" in out
    from unspin.types import VERDICT_MEANING

    verdict = json.loads(run(capsys, "check", "--format", "json", "--no-fingerprints", str(bad))[1])["verdict"]
    assert f"({html.escape(VERDICT_MEANING[verdict])})" in out  # what the verdict means, next to it


def test_exit_codes_and_input_errors(capsys, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "bin.dat"
    binary.write_bytes(b"\x00\x01\x02binary\x00")
    bom_only = tmp_path / "bom.txt"
    bom_only.write_bytes(b"\xef\xbb\xbf")
    clean = tmp_path / "clean.txt"
    clean.write_text(CLEAN)
    code, out, err = run(capsys, "check", "--format", "json", "--no-fingerprints", str(empty), str(binary),
                         str(bom_only), str(clean), str(tmp_path / "missing.txt"))
    assert code == 4
    assert f"{empty}: empty file" in err
    assert f"{binary}: binary file" in err
    assert f"{bom_only}: empty file (only a byte-order mark)" in err
    assert "missing.txt: no such file" in err
    objs = [json.loads(x) for x in out.strip().splitlines()]
    assert [o.get("error") is None for o in objs] == [False, False, False, True, False]  # the good file still ran
    code, _, _ = run(capsys, "check", "--no-fingerprints", str(clean))
    assert code == 0
    with pytest.raises(SystemExit) as e:
        main(["check", "--format", "yaml", str(clean)])
    assert e.value.code == 2


def test_restore_text_and_json_replay(capsys):
    import unspin

    code, out, _ = run(capsys, "restore", "--format", "json", "--no-fingerprints", *REVIEW, str(EXAMPLE))
    obj = json.loads(out)
    text = EXAMPLE.read_text()
    assert obj["schema"] == 2 and obj["edits"]
    assert unspin.apply_edits(text, obj["edits"]) == obj["text"]
    code2, out2, _ = run(capsys, "restore", "--no-fingerprints", *REVIEW, str(EXAMPLE))
    assert out2.rstrip("\n") == obj["text"].rstrip("\n")
    assert code == code2 == 1


def test_stdin_and_console_script(tmp_path):
    exe = Path(sys.executable).with_name("unspin")
    proc = subprocess.run([str(exe), "check", "--format", "json", "--no-fingerprints", "-"], input=CLEAN.encode(),
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["path"] == "<stdin>"


def test_python_dash_m_unspin_runs_the_cli(tmp_path):
    # `python -m unspin` is how a checkout without the console script (PYTHONPATH=src) runs the CLI
    proc = subprocess.run([sys.executable, "-m", "unspin", "check", "--format", "json", "--no-fingerprints", "-"],
                          input=CLEAN.encode(), capture_output=True, timeout=120,
                          env={**__import__("os").environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["path"] == "<stdin>"


def test_spin_cli_json_and_spintax(capsys, tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("The farmers harvested a large crop of wheat this season despite the dry weather.\n")
    code, out, _ = run(capsys, "spin", str(src), "--rate", "0.6", "--seed", "3", "--format", "json")
    obj = json.loads(out)
    assert code == 0 and obj["schema"] == 2 and obj["spans"]
    for s in obj["spans"]:
        assert obj["text"][s["start"] : s["end"]] == s["spun"]
    code, sx, _ = run(capsys, "spin", str(src), "--rate", "0.6", "--seed", "3", "--format", "spintax")
    f = tmp_path / "x.spintax"
    f.write_text(sx)
    code, out, _ = run(capsys, "spin", "--from-spintax", str(f), "--seed", "1")
    assert code == 0 and "{" not in out
    f.write_text("{broken|spintax")
    code, _, err = run(capsys, "spin", "--from-spintax", str(f))
    assert code == 4 and "unclosed" in err


def test_spin_cli_rewriter_style_and_prefer_common_switch(capsys, tmp_path):
    from unspin.spin import SpinOptions, spin

    src = tmp_path / "in.txt"
    text = "The farmers harvested a large crop of wheat this season despite the dry weather.\n"
    src.write_text(text)
    code, out, _ = run(capsys, "spin", str(src), "--style", "rewriter", "--rate", "0.8", "--seed", "2")
    assert code == 0 and out == spin(text, rate=0.8, seed=2, style="rewriter").text and out != text
    # the style's switch can be turned off like any other: then every synonym is as likely
    code, flat, _ = run(capsys, "spin", str(src), "--style", "rewriter", "--prefer-common", "no", "--rate", "0.8",
                        "--seed", "2")
    flat_opts = SpinOptions.for_style("rewriter", rate=0.8, prefer_common=False)
    assert code == 0 and flat == spin(text, seed=2, options=flat_opts).text
    with pytest.raises(SystemExit) as e:  # argparse: a usage error naming the styles there are
        main(["spin", str(src), "--style", "polished"])
    assert e.value.code == 2 and "rewriter" in capsys.readouterr().err


def test_max_bytes_refuses_big_inputs_naming_the_file(capsys, tmp_path):
    big = tmp_path / "big.txt"
    big.write_text(CLEAN * 50)
    code, out, err = run(capsys, "check", "--no-fingerprints", "--max-bytes", "1000", str(big))
    assert code == 4 and str(big) in err and "--max-bytes" in err and "1,000" in err


def test_an_input_that_takes_more_than_a_few_seconds_shows_progress_whatever_its_size(capsys, tmp_path,
                                                                                      monkeypatch):
    """The promise is about time, not size: a 150 kB file on a busy machine takes 10-25 s, and was silent because
    only inputs over 300,000 characters got progress. Each line once: the end was said twice ("100% checked")."""
    import unspin
    from unspin import cli_core

    clock = {"now": 0.0}
    monkeypatch.setattr(cli_core, "_clock", lambda: clock["now"], raising=False)
    real_check = unspin.check

    def slow_check(text, progress=None, **kw):  # 6 s a quarter of the text: 24 s in all
        for i in range(1, 5):
            clock["now"] += 6.0
            if progress is not None:
                progress(len(text) * i // 4, len(text))
        if progress is not None:
            progress(len(text), len(text))  # as engine.score_document ends
        return real_check("Short text.", **kw)

    monkeypatch.setattr(unspin, "check", slow_check)
    mid = tmp_path / "mid.txt"
    mid.write_text(CLEAN * 1500)  # ~150 kB
    code, out, err = run(capsys, "check", "--no-fingerprints", str(mid))
    lines = [ln for ln in err.splitlines() if "checked" in ln]
    assert lines == [f"unspin: {mid}: 50% checked", f"unspin: {mid}: 100% checked"], err

    clock["now"] = 0.0  # a quick one says nothing, however big

    def quick_check(text, progress=None, **kw):
        if progress is not None:
            progress(len(text) // 2, len(text))
            progress(len(text), len(text))
        return real_check("Short text.", **kw)

    monkeypatch.setattr(unspin, "check", quick_check)
    big = tmp_path / "big.txt"
    big.write_text(CLEAN * 5000)  # ~500 kB
    code, out, err = run(capsys, "check", "--no-fingerprints", str(big))
    assert "checked" not in err


def test_restore_of_a_big_input_shows_progress_as_check_does(capsys, tmp_path, monkeypatch):
    """`restore` checks the whole text first: a 3 MB file took minutes without a word on stderr."""
    from unspin import api, cli_core

    clock = {"now": 0.0}
    monkeypatch.setattr(cli_core, "_clock", lambda: clock["now"], raising=False)
    real_check = api.check

    def slow_check(text, progress=None, **kw):
        for i in range(1, 5):
            clock["now"] += 6.0
            if progress is not None:
                progress(len(text) * i // 4, len(text))
        return real_check(text, **kw)

    monkeypatch.setattr(api, "check", slow_check)
    mid = tmp_path / "mid.txt"
    mid.write_text(CLEAN * 150)
    code, out, err = run(capsys, "restore", "--no-fingerprints", str(mid))
    assert [ln for ln in err.splitlines() if "checked" in ln] == [f"unspin: {mid}: 50% checked",
                                                                 f"unspin: {mid}: 100% checked"], err
    assert out == mid.read_text()


def test_a_misspelt_or_missing_thesaurus_is_an_error_not_a_silent_empty_check(capsys, tmp_path):
    """`--thesauri mobi` used to leave the detector without candidates: no finding, spin score 1.00, exit 0."""
    doc = tmp_path / "a.txt"
    doc.write_text(CLEAN)
    for value, says in (("mobi", "unknown thesaurus 'mobi'"), (",", "no thesaurus named")):
        with pytest.raises(SystemExit) as e:
            main(["check", "--no-fingerprints", "--thesauri", value, str(doc)])
        err = capsys.readouterr().err
        assert e.value.code == 2 and says in err and "moby, mythes, wordnet" in err
    code, out, err = run(capsys, "check", "--no-fingerprints", "--thesauri", "moby,,", str(doc))
    assert code == 0 and "0 findings" in out
    import unspin
    from unspin.knowledge.thesaurus import available_sources

    with pytest.raises(ValueError, match="unknown thesaurus 'mobi'"):
        unspin.check(CLEAN, thesauri="mobi", fingerprints=False)
    with pytest.raises(ValueError, match="unknown thesaurus 'x'"):
        unspin.check(CLEAN, thesauri=("moby", "x"), fingerprints=False)
    assert unspin.check(CLEAN, thesauri="moby", fingerprints=False).to_dict() == \
        unspin.check(CLEAN, thesauri=("moby",), fingerprints=False).to_dict()
    missing = [s for s in ("mythes", "wordnet") if s not in available_sources()]
    if missing:
        with pytest.raises(ValueError, match="not installed"):
            unspin.check(CLEAN, thesauri=(missing[0],), fingerprints=False)
    for sub in (["new", "--seed", "1", "--out", str(tmp_path / "t.json")], ["learn", str(doc), "--out",
                                                                          str(tmp_path / "l.json")]):
        with pytest.raises(SystemExit) as e:
            main(["spinners", *sub, "--sources", "mobi"])
        assert e.value.code == 2 and "unknown thesaurus 'mobi'" in capsys.readouterr().err


def test_options_that_cannot_work_are_usage_errors_said_once(capsys, tmp_path):
    """`--output-dir` without `--format html`, an `--output-dir` that is a file, an `--index` that is no trace
    index: exit 2 with one line naming the option, before any input is read."""
    clean = tmp_path / "clean.txt"
    clean.write_text(CLEAN)
    code, out, err = run(capsys, "check", "--output-dir", str(tmp_path / "pages"), str(clean))
    assert code == 2 and "--format html" in err and not out and not (tmp_path / "pages").exists()
    code, _, err = run(capsys, "check", "--format", "html", "--output-dir", str(clean), str(clean))
    assert code == 2 and "exists and is not a directory" in err
    for command in ("check", "restore"):
        code, out, err = run(capsys, command, "--index", str(tmp_path / "no-index"), str(clean), str(EXAMPLE))
        assert code == 2 and not out and err.count("not a trace index") == 1, command


def test_text_format_keeps_a_finding_on_one_line():
    from unspin.render import text_report
    from unspin.types import Finding, Report

    text = "Local shops\nexpect more visitors."
    f = Finding(6, 18, text[6:18], ("businesses\nexpect",), 0.9, ("differs from the source here",), "trace",
                "UNSPIN_TRACE", "harbour")
    out = text_report(Report(text, 5, [f], 0.5, "uncertain", "a.txt")).splitlines()
    assert out[0] == "a.txt:1:7: 'shops\\nexpect' → businesses\\nexpect (0.90) [trace: harbour]"
    assert len(out) == 3  # the finding, its evidence, the summary


def test_knowledge_build_removes_builds_and_lists_nothing_reads_any_more(capsys):
    """A deleted venv's language-model arrays (114 MB) and a deleted database's compiled fingerprint list stay
    in the cache forever unless something removes them: `knowledge build` does, and says so."""
    import pickle

    from unspin.knowledge import cache_dir

    cache = cache_dir()
    dead_build = cache / "lm-arrays-v2-0000deadbeef"
    dead_build.mkdir(exist_ok=True)
    (dead_build / "meta.json").write_text(json.dumps(
        {"source": {"size": 1, "sample_sha1": "0000deadbeef"}, "source_path": "/nonexistent/venv/en-us.lm.bin"}))
    dead_set = cache / "fingerprints-00000000deadbeef.pkl"
    with open(dead_set, "wb") as fh:
        from unspin import fingerprints

        pickle.dump((fingerprints._DISK_CACHE_VERSION, ("/nonexistent/fp.sqlite", None, None)), fh)
        pickle.dump(None, fh)
    code, out, _ = run(capsys, "knowledge", "build")
    assert code == 0
    assert not dead_build.exists() and not dead_set.exists()
    assert "lm-arrays-v2-0000deadbeef" in out and "compiled fingerprint set" in out
    assert "language model 72,547 words" in out


def test_knowledge_build_removes_the_lock_files_of_builds_gone(capsys, tmp_path, monkeypatch):
    """Every build leaves an empty `.<build>.lock`; pruning a build left its lock behind (27 in a cache of
    months). A cache dir of its own, the real builds linked into it: nothing of the real cache is touched."""
    from unspin.knowledge import cache_dir, ngram

    real, current_lm = cache_dir(), ngram.cache_subdir(ngram.default_lm_path()).name
    cache = tmp_path / "cache"
    cache.mkdir()
    kept = []
    for d in real.iterdir():
        if d.is_dir() and not d.name.startswith(".") and (not d.name.startswith("lm-arrays-") or d.name == current_lm):
            (cache / d.name).symlink_to(d, target_is_directory=True)
            kept.append(f".{d.name}.lock")
            (cache / kept[-1]).touch()
    gone = [".lm-arrays-v1-0badc0ffee00.lock", ".thesaurus-v2-moby.lock"]  # builds pruned long ago
    for name in gone:
        (cache / name).touch()
    monkeypatch.setenv("UNSPIN_CACHE_DIR", str(cache))
    code, out, _ = run(capsys, "knowledge", "build")
    assert code == 0
    assert f"removed 2 lock file(s) of builds that no longer exist: {', '.join(gone)}" in out
    assert not any((cache / name).exists() for name in gone) and all((cache / name).exists() for name in kept)


def test_knowledge_info_says_when_nothing_is_built_yet(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("UNSPIN_CACHE_DIR", str(tmp_path / "fresh"))
    code, out, _ = run(capsys, "knowledge", "info")
    assert code == 0 and f"cache dir: {tmp_path / 'fresh'}" in out and "nothing built yet" in out
