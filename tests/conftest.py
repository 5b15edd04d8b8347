"""Test isolation: no user fingerprint lists, no shared corpora; the knowledge cache is the normal one
(built once on first use, as for a user) unless UNSPIN_CACHE_DIR is set."""
import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _isolated_user_state(tmp_path_factory):
    base = tmp_path_factory.mktemp("unspin-user")
    old = {k: os.environ.get(k) for k in ("UNSPIN_FINGERPRINTS_DB", "UNSPIN_DATA_DIR", "UNSPIN_CORPUS_DIR")}
    os.environ["UNSPIN_FINGERPRINTS_DB"] = str(base / "fingerprints.sqlite")
    os.environ["UNSPIN_DATA_DIR"] = str(base / "data")
    os.environ["UNSPIN_CORPUS_DIR"] = str(base / "no-corpus")
    yield
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
