"""Mining new fingerprints from a corpus: grouping, ranking, CSV export; with a fake check and the real engine."""
from __future__ import annotations

import csv
import io
import re

import pytest

from unspin import fingerprints as fp
from unspin.types import Finding, Report

# A hand-spun corpus (our own sentences): "irregular woodland" (for "random forest") recurs in three
# documents, "murky pool" in two, "profound learning" (already listed) in three.
DOCS = {
    "a.txt": "We fit an irregular woodland to the survey answers. Profound learning did no better on this task.",
    "b.txt": "An irregular woodland with 200 trees beat the baseline. The murky pool of samples was small.",
    "c.txt": "Irregular woodlands are easy to tune; profound learning needs more data than we had here.",
    "d.txt": "Profound learning was tried first. A murky pool of labels made every model look weak.",
    "e.txt": "The weather was mild and the harvest was good this year, said the farmers' union.",
}
SPUN = {"irregular woodland": ["random forest", "random wood"], "irregular woodlands": ["random forests"],
        "murky pool": ["dark pool"], "profound learning": ["deep learning"]}


def fake_check(text: str) -> Report:
    """Stands in for unspin.check: flags the spun phrases above (and knows nothing else)."""
    findings = []
    for phrase, sugg in SPUN.items():
        for m in re.finditer(r"\b" + phrase + r"\b", text, re.I):
            findings.append(Finding(m.start(), m.end(), m.group(), tuple(sugg), 0.8 if "pool" in phrase else 0.9,
                                    ("fake",), "model"))
    findings.sort(key=lambda f: f.start)
    return Report(text, len(text.split()), findings, 0.0, "uncertain")


@pytest.fixture(autouse=True)
def _env(tmp_path, monkeypatch):
    monkeypatch.setenv("UNSPIN_FINGERPRINTS_DB", str(tmp_path / "fp.sqlite"))
    monkeypatch.setenv("UNSPIN_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture()
def corpus(tmp_path):
    d = tmp_path / "corpus"
    d.mkdir()
    for name, text in DOCS.items():
        (d / name).write_text(text, encoding="utf-8")
    return d


def test_mine_groups_ranks_and_filters_by_docs(corpus):
    cands = fp.mine([corpus], min_docs=3, check_fn=fake_check)
    assert [c.phrase for c in cands] == ["irregular woodland", "profound learning"]
    top = cands[0]
    assert top.docs == 3 and top.occurrences == 3
    assert top.expected == "random forest"
    assert top.mean_confidence == pytest.approx(0.9)
    assert set(top.forms) == {"irregular woodland", "Irregular woodlands"}
    assert len(top.examples) == 3 and "[irregular woodland]" in top.examples[0][1]
    assert top.examples[0][0].endswith("a.txt")
    two = fp.mine([corpus], min_docs=2, check_fn=fake_check)
    assert [c.phrase for c in two] == ["irregular woodland", "profound learning", "murky pool"]


def test_mine_skips_listed_phrases(corpus, tmp_path):
    lst = tmp_path / "l.tsv"
    lst.write_text("profound learning\tdeep learning\n", encoding="utf-8")
    fp.import_file(lst, name="mine")
    cands = fp.mine([corpus], min_docs=3, check_fn=fake_check)
    assert [c.phrase for c in cands] == ["irregular woodland"]
    every = fp.mine([corpus], min_docs=3, check_fn=fake_check, include_listed=True)
    assert {c.phrase: c.listed for c in every} == {"irregular woodland": "", "profound learning": "mine:profound learning"}


def test_mine_texts_and_bad_documents(corpus):
    (corpus / "latin1.txt").write_bytes(b"caf\xe9 irregular woodland")  # read: Latin-1 is decoded
    (corpus / "blob.txt").write_bytes(b"\x00\x01binary irregular woodland")
    errors: list[str] = []

    def flaky(text):
        if "harvest" in text:
            raise RuntimeError("boom")
        return fake_check(text)

    res = fp.mine_corpus([corpus, "irregular woodland in a plain text"], min_docs=3, check_fn=flaky, errors=errors)
    assert res.documents == 7  # six files read (one failed) + one text
    assert any("blob.txt: binary file" in e for e in errors)
    assert not any("latin1.txt" in e for e in errors)
    assert any("e.txt" in e and "boom" in e for e in errors)
    assert res.candidates[0].phrase == "irregular woodland" and res.candidates[0].docs == 5


def test_candidates_csv_is_reviewable_and_importable(corpus, tmp_path):
    cands = fp.mine([corpus], min_docs=2, check_fn=fake_check)
    text = fp.candidates_csv(cands)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["tortured"] == "irregular woodland" and rows[0]["expected"] == "random forest"
    assert rows[0]["docs"] == "3" and rows[0]["other_suggestions"] == "random wood; random forests"
    assert "[irregular woodland]" in rows[0]["example_1"]
    out = tmp_path / "cands.csv"
    fp.write_csv(cands, out)
    info, res = fp.import_file(out, name="reviewed")
    assert info.entries == 3 and res.entries[0].num_papers == 3  # the docs column is read as the prior


def test_cli_mine(corpus, tmp_path, capsys, monkeypatch):
    from unspin.cli import main
    import unspin.fingerprints as pkg

    real = pkg.mine_corpus  # the CLI looks it up in the package at call time
    monkeypatch.setattr(pkg, "mine_corpus", lambda *a, **k: real(*a, **{**k, "check_fn": fake_check}))
    out = tmp_path / "c.csv"
    assert main(["fingerprints", "mine", str(corpus), "--out", str(out)]) == 0
    assert "2 candidates from 5 documents" in capsys.readouterr().out
    assert out.read_text(encoding="utf-8").splitlines()[1].startswith("irregular woodland,random forest,3")
    assert main(["fingerprints", "mine", str(corpus), "--min-docs", "2"]) == 0
    assert "'murky pool' -> 'dark pool'" in capsys.readouterr().out
    assert main(["fingerprints", "mine", str(corpus), str(tmp_path / "nope")]) == 4
    assert "nope: no such file or directory" in capsys.readouterr().err
    assert main(["fingerprints", "mine", str(corpus), "--min-docs", "0"]) == 2


def test_cli_mine_checks_out_and_top_before_mining(corpus, tmp_path, capsys, monkeypatch):
    """`--out` that cannot be written used to fail only after the whole corpus was mined; `--top -3` dropped
    the last 3 rows."""
    from unspin.cli import main
    import unspin.fingerprints as pkg

    mined = []
    real = pkg.mine_corpus
    monkeypatch.setattr(pkg, "mine_corpus",
                        lambda *a, **k: mined.append(1) or real(*a, **{**k, "check_fn": fake_check}))
    for out, words in [(tmp_path, "is a directory"), (tmp_path / "missing" / "c.csv", "does not exist")]:
        assert main(["fingerprints", "mine", str(corpus), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert str(out) in err and words in err
    assert not mined and not (tmp_path / "missing").exists()
    for top in ("-3", "0", "x"):
        with pytest.raises(SystemExit) as ei:
            main(["fingerprints", "mine", str(corpus), "--top", top])
        assert ei.value.code == 2
    assert not mined
    from unspin.fingerprints.cli import _unwritable

    kept = tmp_path / "old.csv"
    kept.write_text("previous\n", encoding="utf-8")
    assert _unwritable(str(kept)) is None  # the probe changes nothing
    assert kept.read_text(encoding="utf-8") == "previous\n"
    assert _unwritable(str(tmp_path / "fresh.csv")) is None and not (tmp_path / "fresh.csv").exists()
    new = tmp_path / "new.csv"
    assert main(["fingerprints", "mine", str(corpus), "--min-docs", "1", "--out", str(new), "--top", "1"]) == 0
    assert new.read_text(encoding="utf-8").startswith("tortured,expected")
    assert main(["fingerprints", "mine", str(corpus), "--min-docs", "1", "--top", "1"]) == 0
    assert len([ln for ln in capsys.readouterr().out.splitlines() if " docs " in ln]) == 1


def test_cli_mine_with_a_damaged_database_stops_before_mining(corpus, tmp_path, capsys, monkeypatch):
    """A --db that is no database was said once, then every document failed its check with the same StoreError
    and the run reported '0 candidates': it is said once and nothing is mined, as `check` does."""
    from unspin.cli import main
    import unspin.fingerprints as pkg

    mined = []
    monkeypatch.setattr(pkg, "mine_corpus", lambda *a, **k: mined.append(1))
    junk = tmp_path / "junk.sqlite"
    junk.write_text("not a database\n" * 50)
    assert main(["fingerprints", "mine", str(corpus), "--db", str(junk)]) == 2
    err = capsys.readouterr().err
    assert err.count("junk.sqlite") == 1 and "not a usable fingerprint database" in err and not mined


@pytest.mark.slow
def test_mine_with_real_engine(tmp_path):
    """End to end with unspin.check: a recurring hand-made swap ("studies"/"study" -> "woolgathering") in
    three of four documents is mined as one candidate."""
    import unspin

    docs = [
        "Recent woolgathering shows that sleep helps memory. The team asked forty volunteers to learn word lists "
        "before bed and tested them the next morning, finding better recall after a full night.",
        "Scientists at the university said their woolgathering of river fish found high levels of plastic. They "
        "sampled six rivers over two summers and counted particles in the gut of each fish.",
        "The woolgathering was published on Monday. It followed farmers in three regions for ten years and "
        "measured how crop yields changed as rainfall patterns shifted across the seasons.",
        "Doctors warned that the new drug should be used with care. In a small trial, patients who took it "
        "reported fewer headaches, but some felt dizzy during the first week of treatment.",
    ]
    cands = fp.mine([(f"doc{i}", d) for i, d in enumerate(docs)], min_docs=3, check_fn=unspin.check)
    assert cands, "the engine flagged no recurring phrase"
    top = cands[0]
    assert top.phrase == "woolgathering" and top.docs == 3
    assert top.expected and top.expected != "woolgathering"
    assert all("[woolgathering]" in ctx for _, ctx in top.examples)
