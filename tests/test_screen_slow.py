"""Slow screening tests: a real SIGKILL in the middle of a run, and a real Dask LocalCluster compared with
the local engine. Bounded to a few seconds each of actual work."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

FIX = Path(__file__).parent / "fixtures" / "screen"
sys.path.insert(0, str(FIX))
import fake_check as fake_check_module  # noqa: E402
from fake_check import SENTENCES, fake_check  # noqa: E402

from unspin.readers import iter_documents  # noqa: E402
from unspin.screen.run import screen  # noqa: E402

pytestmark = pytest.mark.slow



def make_corpus(d: Path, n: int) -> list[str]:
    d.mkdir(parents=True)
    for i in range(n):
        lines = [SENTENCES[(i + k) % len(SENTENCES)] for k in range(1 + i % 4)]
        (d / f"doc{i:03d}.txt").write_text(f"Document number {i}.\n" + "\n".join(lines) + "\n")
    return [doc.id for doc in iter_documents([str(d)], lazy=True)]


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(x) for x in fh.read().split()]
    except OSError:
        return []


def _committed(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return con.execute("SELECT count(*) FROM results").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


SCRIPT = """
import sys
sys.path.insert(0, {fix!r})
from fake_check import fake_check
from unspin.screen.run import screen
screen([{corpus!r}], {out!r}, jobs=2, check_fn=fake_check, batch_size=4, commit_interval=0.2)
"""


def test_sigkill_mid_run_then_resume_gives_each_document_exactly_once(tmp_path):
    corpus = tmp_path / "corpus"
    ids = make_corpus(corpus, 80)
    out = tmp_path / "out"
    env = dict(os.environ, FAKE_CHECK_SLEEP="0.05", UNSPIN_CACHE_DIR=str(tmp_path / "cache"))
    script = SCRIPT.format(fix=str(FIX), corpus=str(corpus), out=str(out))
    kills = 0
    for _ in range(2):  # kill twice at different points
        proc = subprocess.Popen([sys.executable, "-c", script], env=env)
        already = _committed(out / "state.sqlite")
        deadline = time.monotonic() + 60
        while _committed(out / "state.sqlite") < already + 8 and time.monotonic() < deadline:
            time.sleep(0.02)
        workers = _children(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)  # kill -9 the parent mid-run
        proc.wait(10)
        kills += 1
        n = _committed(out / "state.sqlite")
        assert already < n < len(ids), "the kill did not land mid-run"
        assert not (out / "results.parquet").exists()
        # orphaned workers notice the closed pipe and exit by themselves
        t = time.monotonic()
        while any(os.path.exists(f"/proc/{w}") and "Z" not in open(f"/proc/{w}/stat").read().split()[2]
                  for w in workers) and time.monotonic() - t < 10:
            time.sleep(0.05)
        assert not [w for w in workers if os.path.exists(f"/proc/{w}")
                    and open(f"/proc/{w}/stat").read().split()[2] != "Z"]
    assert kills == 2
    env["FAKE_CHECK_SLEEP"] = "0"
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=120)
    r = pd.read_parquet(out / "results.parquet")
    assert len(r) == len(ids) and sorted(r["id"]) == sorted(ids)  # every document exactly once
    f = pd.read_parquet(out / "findings.parquet")
    # identical to an uninterrupted run
    ref = tmp_path / "ref"
    screen([str(corpus)], ref, jobs=2, check_fn=fake_check)
    pd.testing.assert_frame_equal(r, pd.read_parquet(ref / "results.parquet"))
    pd.testing.assert_frame_equal(f, pd.read_parquet(ref / "findings.parquet"))


def test_dask_local_cluster_gives_the_same_results_as_the_local_engine(tmp_path, monkeypatch):
    import cloudpickle
    from distributed import Client, LocalCluster

    monkeypatch.setenv("UNSPIN_CACHE_DIR", str(tmp_path / "cache"))
    cloudpickle.register_pickle_by_value(fake_check_module)  # workers cannot import the tests directory
    corpus = tmp_path / "corpus"
    ids = make_corpus(corpus, 30)
    for name in ("article.html", "two-column.pdf", "memo.docx", "spun-medicine.md"):
        (corpus / name).write_bytes((FIX / "docs" / name).read_bytes())
    (corpus / "binary.txt").write_bytes(b"\x00\xff\x00")
    (corpus / "boom.txt").write_text("This one makes the engine raise: EXPLODE.")
    (corpus / "hang.txt").write_text("This one hangs: HANGFOREVER.")
    # (a 2 s limit failed on a busy machine: a Dask worker's first document, importing and loading in a fresh
    # process, took longer and became a second timeout row)
    local = screen([str(corpus)], tmp_path / "local", jobs=2, check_fn=fake_check, timeout=6)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            assert len(client.scheduler_info()["workers"]) == 2
            dask = screen([str(corpus)], tmp_path / "dask", engine="dask", scheduler=cluster.scheduler_address,
                          check_fn=fake_check, timeout=6, batch_size=5)
            pids = set(client.run(os.getpid).values())
    assert len(pids) == 2 and os.getpid() not in pids
    assert local.screened == dask.screened == len(ids) + 7
    for name in ("results.parquet", "findings.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "local" / name),
                                      pd.read_parquet(tmp_path / "dask" / name))
    r = pd.read_parquet(tmp_path / "dask" / "results.parquet").set_index("source")
    assert "timed out after 6 s" in r.loc[str(corpus / "hang.txt"), "error"]
    assert "binary file" in r.loc[str(corpus / "binary.txt"), "error"]
    assert r.loc[str(corpus / "two-column.pdf"), "words"] > 40  # extracted on the worker from shipped bytes


def test_dask_engine_starts_its_own_cluster(tmp_path, monkeypatch):
    import cloudpickle

    monkeypatch.setenv("UNSPIN_CACHE_DIR", str(tmp_path / "cache"))
    cloudpickle.register_pickle_by_value(fake_check_module)
    corpus = tmp_path / "corpus"
    ids = make_corpus(corpus, 12)
    o = screen([str(corpus)], tmp_path / "out", engine="dask", workers=2, check_fn=fake_check)
    assert o.screened == 12 and len(o.peak_rss_kb) == 2
    assert sorted(pd.read_parquet(tmp_path / "out" / "results.parquet")["id"]) == sorted(ids)
    again = screen([str(corpus)], tmp_path / "out", engine="dask", workers=2, check_fn=fake_check)
    assert (again.screened, again.skipped) == (0, 12)
    from unspin.screen.work import EngineError

    (corpus / "new.txt").write_text("A new document so that there is work to do.")
    with pytest.raises(EngineError, match="on a Dask worker.*model and features disagree"):
        screen([str(corpus)], tmp_path / "out", engine="dask", workers=1, check_fn=fake_check_module.broken_check)


@pytest.mark.needs("chromium")
def test_summary_table_sorts_in_a_real_browser(tmp_path, chromium_driver):
    """The inline JavaScript sorts the suspicious-documents table when a header is clicked."""
    from selenium.webdriver.common.by import By

    corpus = tmp_path / "c"
    corpus.mkdir()
    texts = ["Counterfeit consciousness and profound learning and huge information here.",
             "Only profound learning appears in this slightly longer clean looking sentence about rain.",
             "Crisis office staff met on Monday about the irregular woodland survey and profound learning."]
    for i, t in enumerate(texts):
        (corpus / f"d{i}.txt").write_text(t)
    screen([str(corpus)], tmp_path / "out", jobs=1, check_fn=fake_check)
    driver = chromium_driver
    driver.get((tmp_path / "out" / "summary.html").as_uri())
    tables = driver.find_elements(By.CSS_SELECTOR, "table.sortable")
    docs = next(t for t in tables if "spin score" in t.text)

    def scores():
        return [float(r.find_elements(By.TAG_NAME, "td")[2].text)
                for r in docs.find_elements(By.CSS_SELECTOR, "tbody tr")]

    initial = scores()
    assert initial == sorted(initial, reverse=True) and len(initial) == 3
    header = next(h for h in docs.find_elements(By.TAG_NAME, "th") if "spin" in h.text)
    header.click()
    assert scores() == sorted(initial)
    header.click()
    assert scores() == sorted(initial, reverse=True)
