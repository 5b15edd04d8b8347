"""Faults in `unspin screen`: SIGKILL at random moments (start-up, screening, consolidation), and a full disk
under the output directory. Extends tests/test_screen_slow.py (which kills twice at commit boundaries) with
kills at seeded random times over the whole run, output-file integrity checks after every kill, and disk-full
runs (a real small tmpfs when we may mount one, else an injected ENOSPC)."""
from __future__ import annotations

import errno
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pandas as pd
import pytest

FIX = Path(__file__).parent / "fixtures" / "screen"
sys.path.insert(0, str(FIX))
from fake_check import SENTENCES, fake_check  # noqa: E402

from bounded import UNSPIN  # noqa: E402
from unspin.readers import iter_documents  # noqa: E402
from unspin.screen.run import screen  # noqa: E402

pytestmark = pytest.mark.slow


SCRIPT = """
import sys
sys.path.insert(0, {fix!r})
from fake_check import fake_check
from unspin.screen.run import screen
screen([{corpus!r}], {out!r}, jobs=2, check_fn=fake_check, batch_size=5, commit_interval=0.1, report_top=20)
"""


def make_corpus(d: Path, n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    d.mkdir(parents=True)
    for i in range(n):
        lines = [rng.choice(SENTENCES) for _ in range(1 + i % 5)]
        (d / f"doc{i:03d}.txt").write_text(f"Document number {i}.\n" + "\n".join(lines) + "\n")
    return [doc.id for doc in iter_documents([str(d)], lazy=True)]


def assert_outputs_intact(out: Path) -> None:
    """Whatever exists under its final name is complete: readable Parquet, whole HTML, a sound database."""
    db = out / "state.sqlite"
    if db.exists():
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            ids = [r[0] for r in con.execute("SELECT id FROM results")] if "results" in tables else []
            assert len(ids) == len(set(ids))
        finally:
            con.close()
    for name in ("results.parquet", "findings.parquet"):
        if (out / name).exists():
            pd.read_parquet(out / name)  # raises on a truncated file
    for page in [out / "summary.html", *sorted((out / "reports").glob("*.html"))] if (out / "reports").exists() \
            else [out / "summary.html"]:
        if page.exists():
            assert page.read_text(encoding="utf-8").rstrip().endswith("</html>"), page


def add_documents(d: Path, start: int, n: int, seed: int) -> None:
    rng = random.Random(seed)
    for i in range(start, start + n):
        lines = [rng.choice(SENTENCES) for _ in range(1 + i % 5)]
        (d / f"doc{i:03d}.txt").write_text(f"Document number {i}.\n" + "\n".join(lines) + "\n")


def test_sigkill_at_random_moments_then_resume_each_document_exactly_once(tmp_path):
    env = dict(os.environ, FAKE_CHECK_SLEEP="0.02", UNSPIN_CACHE_DIR=str(tmp_path / "cache"))
    # how long an uninterrupted run of 60 documents takes here, to spread the kills over start-up, screening
    # and consolidation (writing Parquet, reports and summary.html)
    probe = tmp_path / "probe"
    make_corpus(probe, 60, seed=1)
    t = time.monotonic()
    subprocess.run([sys.executable, "-c", SCRIPT.format(fix=str(FIX), corpus=str(probe), out=str(tmp_path / "p"))],
                   env=env, check=True, timeout=300)
    full = time.monotonic() - t
    corpus = tmp_path / "corpus"
    make_corpus(corpus, 60, seed=3)
    out = tmp_path / "out"
    script = SCRIPT.format(fix=str(FIX), corpus=str(corpus), out=str(out))
    rng = random.Random(20261129)
    moments = []
    for k in range(6):
        add_documents(corpus, 60 + 20 * k, 20, seed=k)  # always new work, so every run has something to lose
        proc = subprocess.Popen([sys.executable, "-c", script], env=env)
        delay = rng.uniform(0.05, 1.0) * full
        try:
            proc.wait(delay)
            moments.append((round(delay, 2), "finished before the kill"))
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
            moments.append((round(delay, 2), "killed"))
        time.sleep(0.3)  # orphaned workers notice the closed pipe and exit
        assert_outputs_intact(out)
    assert sum(m[1] == "killed" for m in moments) >= 3, moments
    env["FAKE_CHECK_SLEEP"] = "0"
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=300)
    assert_outputs_intact(out)
    ids = [doc.id for doc in iter_documents([str(corpus)], lazy=True)]
    assert len(ids) == 180
    r = pd.read_parquet(out / "results.parquet")
    assert len(r) == len(ids) and sorted(r["id"]) == sorted(ids)  # each document exactly once
    ref = tmp_path / "ref"
    screen([str(corpus)], ref, jobs=2, check_fn=fake_check, batch_size=5, report_top=20)
    pd.testing.assert_frame_equal(r, pd.read_parquet(ref / "results.parquet"))
    pd.testing.assert_frame_equal(pd.read_parquet(out / "findings.parquet"),
                                  pd.read_parquet(ref / "findings.parquet"))
    print("kill moments (s):", moments, "full run:", round(full, 2))


# ----------------------------------------------------------------------------------------------- disk full

def _try_tmpfs(mountpoint: Path, size: str) -> bool:
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    mountpoint.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mountpoint)],
                       capture_output=True, timeout=20)
    return r.returncode == 0


def _fill(path: Path, leave: int) -> Path:
    """Fill the file system of `path` leaving about `leave` bytes free; returns the filler file."""
    filler = path / "filler.bin"
    st = os.statvfs(path)
    free = st.f_bavail * st.f_frsize
    with open(filler, "wb") as fh:
        fh.write(b"\0" * max(0, free - leave))
    return filler


@pytest.fixture
def small_fs(tmp_path):
    mnt = tmp_path / f"tmpfs-{uuid.uuid4().hex[:6]}"
    if not _try_tmpfs(mnt, "2m"):
        pytest.skip("cannot mount a tmpfs here (not root); the injected-ENOSPC test covers disk full")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True, timeout=20)


def test_disk_full_on_a_real_tmpfs_is_a_clear_error_and_resumable(tmp_path, small_fs):
    corpus = tmp_path / "corpus"
    ids = make_corpus(corpus, 150, seed=5)
    out = small_fs / "out"
    filler = _fill(small_fs, leave=160_000)
    cmd = [UNSPIN, "screen", str(corpus), "--out", str(out), "--jobs", "1", "--batch-size", "10", "--quiet"]
    env = dict(os.environ)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 4, (r.returncode, r.stderr[-1500:])
    assert f"unspin screen: cannot write to {out}:" in r.stderr and "disk is full" in r.stderr
    assert "Traceback" not in r.stderr
    assert_outputs_intact(out)
    assert not [p for p in out.rglob("*") if ".tmp" in p.name], "partial files left behind"
    con = sqlite3.connect(out / "state.sqlite")
    committed = con.execute("SELECT count(*) FROM results").fetchone()[0]
    con.close()
    assert committed < len(ids)
    filler.unlink()  # space again: the same command resumes
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode in (0, 1), r.stderr[-1500:]
    assert f"{committed} already done" in r.stderr
    res = pd.read_parquet(out / "results.parquet")
    assert sorted(res["id"]) == sorted(ids) and res["error"].isna().all()
    assert_outputs_intact(out)


def test_injected_enospc_while_writing_outputs_leaves_no_partial_file_and_resumes(tmp_path, monkeypatch):
    """Disk full while exporting Parquet (injected OSError ENOSPC): clear error, no partial file, resumable."""
    import pyarrow.parquet as pq

    from unspin.cli import main

    corpus = tmp_path / "corpus"
    ids = make_corpus(corpus, 30, seed=9)
    out = tmp_path / "out"
    real_writer = pq.ParquetWriter

    class FullDiskWriter(real_writer):
        def write_table(self, *a, **k):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pq, "ParquetWriter", FullDiskWriter)
    import unspin.screen.run as run_mod

    monkeypatch.setattr(run_mod, "screen", _with_fake(run_mod.screen))
    code = main(["screen", str(corpus), "--out", str(out), "--jobs", "1", "--quiet"])
    assert code == 4
    assert not (out / "results.parquet").exists() and not [p for p in out.iterdir() if ".tmp" in p.name]
    assert_outputs_intact(out)
    monkeypatch.setattr(pq, "ParquetWriter", real_writer)
    code = main(["screen", str(corpus), "--out", str(out), "--jobs", "1", "--quiet"])
    assert code in (0, 1)
    res = pd.read_parquet(out / "results.parquet")
    assert sorted(res["id"]) == sorted(ids)


def test_injected_disk_full_at_commit_is_reported_and_resumable(tmp_path, monkeypatch, capsys):
    """SQLite reports SQLITE_FULL at COMMIT (and rolls back itself): the store must not mask it with a failed
    ROLLBACK, the CLI must say what happened, and a re-run must finish the job."""
    from unspin.cli import main
    from unspin.screen import store as store_mod

    corpus = tmp_path / "corpus"
    ids = make_corpus(corpus, 40, seed=11)
    out = tmp_path / "out"
    real_commit = store_mod.Store.commit
    calls = {"n": 0}

    def flaky_commit(self, items):
        calls["n"] += 1
        if calls["n"] >= 3 and items:
            raise sqlite3.OperationalError("database or disk is full")
        return real_commit(self, items)

    monkeypatch.setattr(store_mod.Store, "commit", flaky_commit)
    import unspin.screen.run as run_mod

    monkeypatch.setattr(run_mod, "screen", _with_fake(run_mod.screen, batch_size=5))
    code = main(["screen", str(corpus), "--out", str(out), "--jobs", "1", "--quiet"])
    err = capsys.readouterr().err
    assert code == 4 and "cannot write to" in err and "database or disk is full" in err
    monkeypatch.setattr(store_mod.Store, "commit", real_commit)
    code = main(["screen", str(corpus), "--out", str(out), "--jobs", "1", "--quiet"])
    assert code in (0, 1)
    assert sorted(pd.read_parquet(out / "results.parquet")["id"]) == sorted(ids)


def test_failed_commit_does_not_mask_the_error_with_a_rollback_error(tmp_path):
    """Regression: after SQLite auto-rolled back a failed COMMIT, Store.commit ran ROLLBACK and raised
    'cannot rollback - no transaction is active' instead of the real error."""
    from unspin.screen.store import Store

    st = Store(tmp_path / "o")
    pages = st.db.execute("PRAGMA page_count").fetchone()[0]
    st.db.execute(f"PRAGMA max_page_count={pages}")  # the database cannot grow: a big row fails as full
    row = {"id": "a@1", "source": "a", "words": 1, "spin_score": 0.0, "verdict": "clean", "n_findings": 0,
           "n_suspects": 0, "listed_hits": 0, "top_phrases": [], "error": None, "notes": ["x" * 200_000],
           "stage": "full", "encoding": None}
    with pytest.raises(sqlite3.OperationalError, match="full"):
        st.commit([(0, row, [])])
    assert not st.db.in_transaction
    st.close()


def _with_fake(real_screen, **overrides):
    def wrapped(*a, **k):
        k["check_fn"] = fake_check
        k.update(overrides)
        return real_screen(*a, **k)

    return wrapped
