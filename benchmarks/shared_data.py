"""The corpus's test split for the benchmarks that read ../shared/data at run time (nothing from it is stored)."""
from __future__ import annotations

import sys


def load_test_split(seed: int) -> list | None:
    """Test-split documents of every register in a seeded order (unspin.corpus.select); None, with the reason on
    stderr, when ../shared/data is not there."""
    from unspin import corpus

    try:
        return corpus.select(corpus.load_documents(), "test", seed=seed)
    except FileNotFoundError as e:
        print(f"{e} (this benchmark reads ../shared/data)", file=sys.stderr)
        return None
