"""Replay the kept fuzzing corpus (tests/fuzz_corpus/<target>/, refreshed by `make fuzz`) through the fuzz
targets (fuzz/targets.py): every input that once found new coverage, plus every crash turned regression,
must still pass its target's invariants."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "fuzz"))
import targets  # noqa: E402

CORPUS = Path(__file__).parent / "fuzz_corpus"
CASES = sorted((t.name, f) for t in CORPUS.iterdir() if t.is_dir() for f in sorted(t.iterdir()) if f.is_file())


def test_corpus_is_kept_small_and_covers_every_target():
    names = {t for t, _ in CASES}
    assert names == set(targets.TARGETS), set(targets.TARGETS) ^ names
    for t in names:
        files = [f for n, f in CASES if n == t]
        assert len(files) <= 60 and sum(f.stat().st_size for f in files) <= 250_000, t


@pytest.mark.parametrize("target", sorted(targets.TARGETS))
def test_replay_corpus(target):
    files = [f for n, f in CASES if n == target]
    assert files, f"no corpus for {target}"
    fn = targets.TARGETS[target]
    for f in files:
        t = time.monotonic()
        try:
            fn(f.read_bytes())
        except Exception as e:  # name the input that broke
            raise AssertionError(f"{target}: {f.name}: {type(e).__name__}: {e}") from e
        # libFuzzer ran with -timeout=20; a kept input must stay far below (e.g. the PDF bomb took 35 s before
        # the decompression guard)
        assert time.monotonic() - t < 10, f"{target}: {f.name} took {time.monotonic() - t:.1f} s"


def test_a_third_party_crash_is_told_from_ours_whatever_the_checkout_is_named():
    """A clone in a directory named unspin holds its venv: pdfminer's frames sit under .../unspin/.venv/...
    and must not count as unspin's own (they did: the PDF corpus failed in such a checkout)."""
    import unspin.api

    fake = f"{ROOT.parent}/unspin/.venv/lib/python3.11/site-packages/pdfminer/psparser.py"
    try:
        exec(compile("raise EOFError('Unexpected EOF')", fake, "exec"))
    except EOFError as e:
        assert not targets._origin_is_unspin(e)
    try:
        unspin.api.Options(threshold=2)
    except ValueError as e:
        assert targets._origin_is_unspin(e)
