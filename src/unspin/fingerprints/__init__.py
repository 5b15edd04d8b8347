"""Known tortured-phrase lists ("fingerprints"): import, fast matching, density, learned word pairs, mining.

    >>> from unspin import fingerprints
    >>> fps = fingerprints.load()                    # every list in the local database (empty set if none)
    >>> fps.match("We train a profound neural organization.")
    [Finding(start=11, end=39, text='profound neural organization', suggestions=('deep neural network',), ...)]
    >>> fingerprints.merge(model_findings, listed_findings)
    >>> fingerprints.density(findings, words=4200)   # {"listed": 7, "distinct": 6, "risk": "high", ...}
    >>> fingerprints.learned_pairs()                 # {"irregular": {"random": 1.0}, "woodland": {"forest": ...}}

The database is SQLite at ``$UNSPIN_FINGERPRINTS_DB`` or ``platformdirs.user_data_dir("unspin")/fingerprints.sqlite``.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from .align import align, align_pairs
from .combine import DEFAULT_THRESHOLDS, density, is_listed, merge
from .match import FingerprintSet, Listed
from .mine import Candidate, candidates_csv, mine, mine_corpus, write_csv
from .parse import Entry, FingerprintFormatError, ParseResult, Skipped, Term, clean_expected, parse_file
from .store import ListInfo, Store, StoreError, UnknownListError, default_db_path, resolve_db

__all__ = [
    "load", "import_file", "learned_pairs", "align_pairs", "align", "merge", "density", "is_listed", "mine",
    "mine_corpus", "candidates_csv", "write_csv", "Candidate", "FingerprintSet", "Listed", "Entry", "Term",
    "Skipped", "ParseResult", "ListInfo", "Store", "StoreError", "UnknownListError", "FingerprintFormatError",
    "NoUsableRowsError", "parse_file",
    "clean_expected", "default_db_path", "DEFAULT_THRESHOLDS", "db_stamp",
]

_CACHE_MAX = 8  # compiled sets / pair tables kept in memory (keyed by database, its mtime and size, names)


def _stamp(path: Path) -> tuple[float, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def db_stamp(db_path=None) -> tuple[float, int] | None:
    """(mtime in ns, size) of the fingerprint database, None when there is none: what the caches here are keyed
    by, for callers that cache what they derive from the lists (the engine's learned candidate pairs)."""
    return _stamp(resolve_db(db_path).resolve())


def load(names=None, db_path=None) -> FingerprintSet:
    """The lists `names` (all lists when None) of the database as one compiled set; an empty set when the
    database does not exist. Cached per (db path, mtime, names): in memory (repeated calls are cheap) and
    as a pickle in UNSPIN_CACHE_DIR (a new process skips SQLite and the automaton build). Unknown list
    names raise `UnknownListError` (a `StoreError`)."""
    path = resolve_db(db_path).resolve()
    stamp = _stamp(path)
    if stamp is None:
        if names:
            raise UnknownListError(f"{path} (no fingerprint database)", list(names), [])
        return FingerprintSet([], source=str(path))
    return _compiled_set((str(path), stamp, tuple(names) if names is not None else None))


@lru_cache(maxsize=_CACHE_MAX)
def _compiled_set(key: tuple) -> FingerprintSet:
    """The set for (db path, stamp, names): from the pickle a previous process left, else built from SQLite.
    A changed database has another stamp, hence another key."""
    fs = _read_disk_cache(key)
    if fs is None:
        path, _, names = key
        with Store(Path(path), create=False) as st:
            rows = st.entries(list(names) if names is not None else None)
        fs = FingerprintSet([Listed(lst, e, keys) for lst, e, keys in rows], source=path)
        fs.automaton  # compile now, once, outside the matching path
        fs.variants  # and the variant index: both go into the pickle
        _write_disk_cache(key, fs)
    return fs


_DISK_CACHE_VERSION = 3  # 2: sets carry their variant index (variants.py); 3: a small header pickle first


def _disk_cache_file(key: tuple) -> Path | None:
    """One pickle per (db path, names) in UNSPIN_CACHE_DIR; its content is checked against the full key."""
    import hashlib

    try:
        from ..knowledge.paths import cache_dir

        d = cache_dir()
    except OSError:
        return None
    h = hashlib.sha1(repr((key[0], key[2])).encode()).hexdigest()[:16]
    return d / f"fingerprints-{h}.pkl"


def _read_disk_cache(key: tuple) -> FingerprintSet | None:
    """A compiled set from a previous process (unpickling beats re-reading SQLite and rebuilding by ~5x)."""
    import pickle

    f = _disk_cache_file(key)
    if f is None or not f.exists():
        return None
    try:
        with open(f, "rb") as fh:
            if _stored_key(fh) != key:
                return None
            fs = pickle.load(fh)
    except Exception:  # noqa: BLE001 - a stale or broken cache is rebuilt, never fatal
        return None
    return fs if isinstance(fs, FingerprintSet) else None


def _stored_key(fh) -> tuple | None:
    """The key in a compiled set's header (read without unpickling the set), None for another cache version.
    Raises what pickle raises on a broken file."""
    import pickle

    header = pickle.load(fh)
    if isinstance(header, tuple) and len(header) == 2 and header[0] == _DISK_CACHE_VERSION:
        return header[1]
    return None


def _write_disk_cache(key: tuple, fs: FingerprintSet) -> None:
    import pickle

    f = _disk_cache_file(key)
    if f is None:
        return
    tmp = f.with_suffix(f".{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            # the header alone can be read without unpickling the set (_prune_disk_cache)
            pickle.dump((_DISK_CACHE_VERSION, key), fh, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(fs, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, f)
    except Exception:  # noqa: BLE001 - caching is an optimisation only
        try:
            tmp.unlink()
        except OSError:
            pass
    _prune_disk_cache(f.parent, keep=f)


def prune_disk_cache() -> int:
    """Remove the stale compiled sets (see _prune_disk_cache) now; how many. `unspin knowledge build` calls it."""
    try:
        from ..knowledge.paths import cache_dir

        directory = cache_dir()
    except OSError:
        return 0
    return _prune_disk_cache(directory, keep=None)


def _prune_disk_cache(directory: Path, keep: Path | None) -> int:
    """Remove the compiled sets of databases that no longer exist (a deleted project, a test's temporary
    database) and of earlier cache versions: nothing would read them again, and each holds a whole list.
    Runs only when a set is written, i.e. when a database is new or has changed."""
    removed = 0
    for f in directory.glob("fingerprints-*.pkl"):
        if f == keep:
            continue
        try:
            with open(f, "rb") as fh:
                key = _stored_key(fh)
            stale = key is None or not Path(key[0]).exists()
        except Exception:  # noqa: BLE001 - an unreadable or earlier-version pickle is stale too
            stale = True
        if stale:
            try:
                f.unlink()
                removed += 1
            except OSError:
                pass
    return removed


def learned_pairs(db_path=None, names=None, normalize: bool = True) -> dict[str, dict[str, float]]:
    """Word pairs {spun: {original: weight}} aligned from the lists in the database (all lists when None);
    {} when there is no database. Cached like `load`; treat the result as read-only."""
    path = resolve_db(db_path).resolve()
    stamp = _stamp(path)
    if stamp is None:
        return {}
    return _learned_pairs(str(path), stamp, tuple(names) if names is not None else None, normalize)


@lru_cache(maxsize=_CACHE_MAX)
def _learned_pairs(path: str, stamp, names: tuple | None, normalize: bool) -> dict[str, dict[str, float]]:
    from .align import learned_pairs as _learned

    return _learned(Path(path), list(names) if names is not None else None, normalize)


class NoUsableRowsError(FingerprintFormatError):
    """A list file that parses but holds no usable fingerprint; `result` says which rows were skipped and why."""

    def __init__(self, message: str, result):
        super().__init__(message)
        self.result = result


def import_file(path, name: str | None = None, fmt: str = "auto", db_path=None, keep_uncertain: bool = False,
                encoding: str | None = None):
    """Parse `path` and store it as list `name` (default: the file's stem). Returns (ListInfo, ParseResult)."""
    from .store import check_name, name_from_path

    name = check_name(name if name is not None else name_from_path(path))
    result = parse_file(path, fmt, keep_uncertain=keep_uncertain, encoding=encoding)
    if not result.entries:  # refused before the store is touched: a list of that name stays as it was
        raise NoUsableRowsError(f"{path}: no usable fingerprint in the file ({len(result.skipped):,} rows skipped; "
                                "nothing imported, any list of that name is unchanged)", result)
    with Store(db_path) as st:
        info = st.save(name, result, source=os.path.abspath(str(path)))
    return info, result
