"""Where built indexes live: $UNSPIN_CACHE_DIR, else the platform's user cache dir."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path


class CacheDirError(OSError):
    """The knowledge cache directory cannot be made: a setting of the run, not a fault of any input."""


def cache_dir() -> Path:
    env = os.environ.get("UNSPIN_CACHE_DIR")
    if env:
        path = Path(env)
    else:
        import platformdirs

        path = Path(platformdirs.user_cache_dir("unspin"))
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:  # a file in the way, a parent that is a file, no permission, a read-only file system
        where = "UNSPIN_CACHE_DIR" if env else "the platform's user cache directory; set UNSPIN_CACHE_DIR to use another"
        why = "a file of that name is in the way" if isinstance(e, FileExistsError) else e.strerror or str(e)
        raise CacheDirError(f"knowledge cache directory {path} ({where}) cannot be created: {why}") from None
    return path


def package_file(package: str, *parts: str) -> Path:
    """Path of a data file inside an installed package, without importing the package itself."""
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {package!r} is not installed (pip install {package})")
    return Path(list(spec.submodule_search_locations)[0], *parts)


@contextmanager
def build_lock(name: str):
    """An exclusive lock around building one cache entry, so that processes starting together (a pool, a
    Dask cluster on one node) build it once: the second waits, then finds it built."""
    import fcntl

    path = cache_dir() / f".{name}.lock"
    while True:
        fh = open(path, "a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX)
        except BaseException:
            fh.close()
            raise
        # prune_orphan_locks may have removed the file while we waited for it: a lock on a removed file excludes
        # nobody who opens the path now, so take the lock again on the file the path names
        if _same_file(fh, path):
            break
        fh.close()
    try:
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


def _same_file(fh, path: Path) -> bool:
    try:
        a, b = os.fstat(fh.fileno()), os.stat(path)
    except FileNotFoundError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def prune_orphan_locks(directory: Path | None = None) -> list[Path]:
    """Remove the lock files (`.<build>.lock`, empty) of builds that no longer exist — pruned as stale, or
    never finished — and that no process holds; the removed files. Pruning a build leaves its lock behind,
    and one is left per build ever made (a format version, a venv's model file)."""
    import fcntl

    directory = directory or cache_dir()
    removed = []
    for path in sorted(directory.glob(".*.lock")):
        build = directory / path.name[1 : -len(".lock")]
        try:
            if build.exists() or not path.is_file() or path.stat().st_size:
                continue  # its build is there (or it is no lock of build_lock's, which never writes one)
            fh = open(path, "rb")
        except OSError:
            continue
        with fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # held: that build is under way
            # looked at again under the lock: a builder may have finished between the first look and the lock
            if build.exists() or not _same_file(fh, path):
                continue
            try:
                path.unlink()  # while still holding it: a waiter then finds the path gone (build_lock)
            except OSError:
                continue
            removed.append(path)
    return removed


def process_alive(pid: int) -> bool:
    """Whether process `pid` runs (another user's counts): whose leftovers a sweep may remove."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # (exists, but another user's)
        return True
    return True
