"""Candidate tables of the everyday word forms, built once per machine and memory-mapped by every process.

A check of fresh prose spent ~30 % of its time building the candidate tables of forms it had not met yet
(`Knowledge._tables`: thesaurus links, GloVe neighbours, merged and packed), a dozen forms per piece, where numpy
call overhead outweighs the work. Each table depends only on the lexicon, the thesauri a detector uses and the
candidate code, never on the text, so the tables of every form with Zipf ≥ STORE_MIN_ZIPF (~250k forms, ~99 % of
the tables a check builds) are built once (~15–25 s), in batches of thousands, and stored as three flat arrays
(candidate ids, packed flags, GloVe cosines; ~9 bytes per candidate, ~115 MB) that every process reads (through
the page cache, shared): a new process, a screen worker or a server starts with the tables a long-running one
would have memoised.

What a stored table leaves out is recomputed when it is read, because it depends on something else:
- whether a candidate holds a word the language model lacks (`cand_oov`: a user's `--lm`);
- the pre-ranker's context-free scores (the model file).
Lists' learned pairs add candidates: a form that has some is built as before (`Knowledge.table_rows`).

The store is keyed by what its tables depend on — the lexicon directory (name, size and time of its form list),
the thesaurus link mask, the bytes of the code that builds and packs tables (candidates.py, bundle.py) and this
module's STORE_VERSION and STORE_MIN_ZIPF — so an edit of that code or a rebuilt lexicon makes a new store (the
old one is removed), and a stale one is never read.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np

from .paths import build_lock, cache_dir

STORE_VERSION = 1  # bump when Knowledge's table packing (_FLAG_BITS, _SOURCES_SHIFT, _tables) changes
STORE_MIN_ZIPF = 2.0  # forms at least this common (Zipf: log10 per billion words) are stored: ~250k of the
# lexicon's 353k forms, ~99 % of the tables a check of fresh prose built (Zipf ≥ 3: 90 %, 84 MB; all: 135 MB)
BUILD_BATCH = 2048  # forms per numpy pass when building (one pass of thousands amortises the call overhead)
STORE_PREFIX = "tables-v"


def store_key(lex_dir: Path, mask: int) -> str:
    """The name of the store for a lexicon directory and a thesaurus mask (see the module docstring)."""
    from .. import candidates
    from . import bundle

    h = hashlib.sha256()
    for module in (candidates, bundle):  # the code that builds and packs tables
        h.update(Path(module.__file__).read_bytes())
    forms = lex_dir / "forms.txt"
    st = forms.stat()
    h.update(json.dumps([lex_dir.name, st.st_size, st.st_mtime_ns, int(mask), STORE_MIN_ZIPF]).encode())
    return f"{STORE_PREFIX}{STORE_VERSION}-{lex_dir.name}-m{int(mask)}-{h.hexdigest()[:16]}"


class TableStore:
    """The stored tables: `covered[f]` says whether form f is stored, its rows are start[f]:start[f + 1] of the
    three row files. Rows are read with positional reads (os.pread), not memory-mapped: the page cache holds the
    files once for every process, and a process owns only the tables it reads, in its memo's budget (a mapping
    would count every page a long run touched in its resident memory, ~115 MB more for a 20 MB input)."""

    ROWS = (("cand", np.int32), ("flags", np.uint8), ("sim", np.float32))

    def __init__(self, directory: Path):
        self.directory = directory
        self.covered = np.load(directory / "covered.npy")
        self.start = np.load(directory / "start.npy")
        self._files = {}
        for name, dtype in self.ROWS:
            path = directory / f"{name}.npy"
            arr = np.load(path, mmap_mode="r")  # (only to read the header: its offset, dtype and length)
            if arr.dtype != dtype or len(arr) != int(self.start[-1]):
                raise ValueError(f"{path}: not a table store row file")
            self._files[name] = (os.open(path, os.O_RDONLY), arr.offset, np.dtype(dtype))
            del arr

    def rows(self, form: int) -> tuple[int, int] | None:
        """The stored rows of `form` (a, b); None when the store does not hold the form."""
        if form >= len(self.covered) or not self.covered[form]:
            return None
        return int(self.start[form]), int(self.start[form + 1])

    def read(self, name: str, a: int, b: int) -> np.ndarray:
        """Rows a:b of the row file `name` ("cand", "flags" or "sim"), as a new array."""
        fd, offset, dtype = self._files[name]
        size = dtype.itemsize
        data = os.pread(fd, (b - a) * size, offset + a * size)
        if len(data) != (b - a) * size:
            raise OSError(f"{self.directory}: table store ends early")
        return np.frombuffer(bytearray(data), dtype=dtype)

    def close(self) -> None:
        for fd, _, _ in self._files.values():
            os.close(fd)
        self._files = {}


def build(knowledge, directory: Path, forms: np.ndarray | None = None) -> Path:
    """Build the store of `knowledge`'s tables for `forms` (default: every form with Zipf ≥ STORE_MIN_ZIPF) into
    `directory` (written beside it, then renamed into place: a reader never sees half a store)."""
    lex = knowledge.lex
    n = len(lex.forms)
    if forms is None:
        forms = np.flatnonzero(np.asarray(lex.zipf) >= STORE_MIN_ZIPF)
    forms = np.unique(np.asarray(forms, dtype=np.int64))
    covered = np.zeros(n, dtype=np.uint8)
    covered[forms] = 1
    sizes = np.zeros(n, dtype=np.int64)
    cand, flags, sim = [], [], []
    for i in range(0, len(forms), BUILD_BATCH):
        chunk = forms[i : i + BUILD_BATCH].tolist()
        for f, t in zip(chunk, knowledge._tables(chunk, None)):
            if t is None:
                continue
            sizes[f] = len(t.cand)
            cand.append(t.cand)
            flags.append(t.flags)
            sim.append(t.sim)
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(sizes, out=start[1:])
    tmp = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    cat = lambda parts, dtype: np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)  # noqa: E731
    np.save(tmp / "covered.npy", covered)
    np.save(tmp / "start.npy", start)
    np.save(tmp / "cand.npy", cat(cand, np.int32))
    np.save(tmp / "flags.npy", cat(flags, np.uint8))
    np.save(tmp / "sim.npy", cat(sim, np.float32))
    (tmp / "meta.json").write_text(json.dumps({"version": STORE_VERSION, "forms": int(len(forms)),
                                               "candidates": int(start[-1])}))
    shutil.rmtree(directory, ignore_errors=True)
    tmp.replace(directory)
    return directory


def open_store(knowledge, create: bool = True) -> TableStore | None:
    """The store of `knowledge`'s lexicon and thesaurus mask: loaded, or built first (once per machine, under
    a lock, with one line on stderr) when `create`; None when it cannot be had."""
    from .lexicon import announce, lexicon_dir

    lex_dir = lexicon_dir(knowledge.lex)
    if lex_dir is None:
        return None
    directory = cache_dir() / store_key(lex_dir, knowledge.mask)
    store = _try_open(directory)
    if store is not None or not create:
        return store
    with build_lock(directory.name):
        store = _try_open(directory)
        if store is None:
            announce("the candidate tables of everyday words (~20 s)")
            build(knowledge, directory)
            prune_stale(directory)
            store = _try_open(directory)
    return store


def _try_open(directory: Path) -> TableStore | None:
    if not (directory / "meta.json").exists():
        return None
    try:
        meta = json.loads((directory / "meta.json").read_text())
        if meta.get("version") != STORE_VERSION:
            return None
        return TableStore(directory)
    except Exception:  # damaged: built again by the caller
        return None


def _stem(name: str) -> str:
    """"tables-vN-<lexicon dir>-m<mask>-<hash>[.tmp]" → "<lexicon dir>-m<mask>"."""
    name = name.removesuffix(".tmp").rsplit("-", 1)[0]
    return name.split("-", 2)[2] if name.count("-") >= 2 else name


def prune_stale(current: Path) -> list[Path]:
    """Remove other stores of the same lexicon and mask (an older candidate code or lexicon build: nothing reads
    them again) and half-written ones; stores of other masks or lexicons may still be used."""
    removed = []
    for old in current.parent.glob(f"{STORE_PREFIX}*"):
        if old != current and old.is_dir() and _stem(old.name) == _stem(current.name):
            shutil.rmtree(old, ignore_errors=True)
            removed.append(old)
    return removed
