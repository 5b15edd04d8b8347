"""`unspin screen`: screen a corpus (files, directories, JSONL/CSV/Parquet rows) for synonym spinning, on one
machine (process pool) or on a Dask cluster, into a resumable result set and a readable summary.

    from unspin.screen import screen
    outcome = screen(["papers/"], "out/", jobs=2)      # -> ScreenOutcome; out/results.parquet, ...

Modules: run (orchestration), work (one document -> rows; what workers run), local (process pool with hard
per-document deadlines), dask_engine (distributed), store (SQLite journal + Parquet export), summary (HTML),
cli (argparse wiring).
"""
from __future__ import annotations

__all__ = ["screen", "ScreenOutcome"]


def __getattr__(name):  # keep `import unspin.screen.cli` light
    if name in ("screen", "ScreenOutcome"):
        from . import run

        return getattr(run, name)
    raise AttributeError(name)
