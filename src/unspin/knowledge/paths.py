"""Where built indexes live: $UNSPIN_CACHE_DIR, else the platform's user cache dir."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path


def cache_dir() -> Path:
    env = os.environ.get("UNSPIN_CACHE_DIR")
    if env:
        path = Path(env)
    else:
        import platformdirs

        path = Path(platformdirs.user_cache_dir("unspin"))
    path.mkdir(parents=True, exist_ok=True)
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
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def process_alive(pid: int) -> bool:
    """Whether process `pid` runs (another user's counts): whose leftovers a sweep may remove."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # (exists, but another user's)
        return True
    return True
