"""End to end against the real engine: `unspin screen` as a subprocess must report, for every document,
exactly what `unspin.check` says about that document's text."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from unspin.readers import iter_documents

FIX = Path(__file__).parent / "fixtures" / "screen"
UNSPIN = Path(sys.executable).with_name("unspin")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("unspin-cache")


def test_cli_subprocess_matches_library_check(tmp_path, cache, monkeypatch):
    import unspin

    monkeypatch.setenv("UNSPIN_CACHE_DIR", str(cache))
    out = tmp_path / "out"
    inputs = [str(FIX / "docs"), str(FIX / "rows.csv")]
    cmd = [str(UNSPIN) if UNSPIN.exists() else sys.executable, *([] if UNSPIN.exists() else ["-m", "unspin.cli"]),
           "screen", *inputs, "--text-field", "content", "--id-field", "key", "--out", str(out), "--jobs", "2",
           "--quiet"]
    env = dict(os.environ, UNSPIN_CACHE_DIR=str(cache))
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode in (0, 1), p.stderr
    assert "screened 11 documents" in p.stderr
    r = pd.read_parquet(out / "results.parquet").set_index("id")
    f = pd.read_parquet(out / "findings.parquet")
    docs = list(iter_documents(inputs, text_field="content", id_field="key"))
    assert sorted(r.index) == sorted(d.id for d in docs)
    for d in docs:
        rep = unspin.check(d.text, path=d.id)
        row = r.loc[d.id]
        assert row["words"] == rep.words and row["verdict"] == rep.verdict
        assert (pd.isna(row["spin_score"]) and rep.spin_score is None) or row["spin_score"] == pytest.approx(
            rep.spin_score)
        assert row["n_findings"] == len(rep.at_level("finding"))
        assert row["n_suspects"] == len(rep.findings) - len(rep.at_level("finding"))
        got = f[f["doc_id"] == d.id][["start", "end", "text"]].itertuples(index=False)
        assert [tuple(x) for x in got] == [(x.start, x.end, x.text) for x in rep.findings]
    assert (out / "summary.html").stat().st_size > 1000
    # resume: nothing left to do
    p2 = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert "screened 0 documents" in p2.stderr and "11 already done" in p2.stderr
