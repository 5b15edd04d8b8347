"""LSH tables in Redis (`--lsh-storage redis://…`), against a real redis-server started here on loopback.

Skipped with a reason naming `make system-deps` when redis-server is not installed (conftest's `needs` marker);
under CI=true a missing server fails.
"""
from __future__ import annotations

import importlib.util
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from unspin.readers import Document

FIXTURES = Path(__file__).parent / "fixtures" / "trace"
_spec = importlib.util.spec_from_file_location("trace_corpus", FIXTURES / "corpus.py")
tc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tc)

REDIS = shutil.which("redis-server")
pytestmark = pytest.mark.needs("redis")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    import redis

    port = _free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(workdir), "--protected-mode", "yes"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        for _ in range(100):
            try:
                if client.ping():
                    break
            except redis.ConnectionError:
                time.sleep(0.05)
        else:
            raise RuntimeError("redis-server did not start")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module", autouse=True)
def _cache_dir(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("UNSPIN_CACHE_DIR", str(tmp_path_factory.mktemp("unspin-cache")))
        yield


def _redis_keys(url: str, index_uuid: str) -> list[bytes]:
    import redis

    from unspin.trace.store import parse_redis_url

    client = redis.Redis(**parse_redis_url(url))
    try:
        return list(client.scan_iter(match=f"unspin:{index_uuid}:*".encode() + b"*"))
    finally:
        client.close()


def test_redis_lsh_add_query_remove_and_repair(tmp_path, redis_url):
    from unspin.spin import spin
    from unspin.trace import TraceIndex, trace

    corpus = tc.make_corpus(40)
    d = tmp_path / "ix"
    ix = TraceIndex(d, create=True, lsh_storage=redis_url)
    ix.add(Document(id=i, source="synthetic", text=t) for i, t in corpus)
    info = ix.info()
    assert info["lsh_storage"] == redis_url
    assert _redis_keys(redis_url, ix.meta["uuid"])  # the bands live in Redis
    ix.close()

    # a new process-like reader: the storage URL is remembered in the index, tables are NOT rebuilt
    reader = TraceIndex(d)
    assert reader.meta["lsh_storage"] == redis_url
    lsh = reader._ensure_lsh()["skeleton"]
    assert lsh.keys.size() == info["paragraphs"]
    spun = spin(corpus[17][1], rate=0.5, seed=2).text
    result = trace(spun, reader)
    assert result.best is not None and result.best.id == corpus[17][0]

    # removal reaches Redis
    assert reader.remove(corpus[17][0])
    assert trace(spun, reader).best is None
    n_after = reader.info()["paragraphs"]
    assert reader._ensure_lsh()["skeleton"].keys.size() == n_after

    # an interrupted write (SQLite committed, Redis not updated) is repaired when the index is opened
    import pickle

    key = next(iter(reader.db.execute("SELECT para_key FROM signatures LIMIT 1")))[0]
    lsh = reader._ensure_lsh()["skeleton"]
    lsh.remove(key)
    assert pickle.dumps(key) not in lsh.keys
    reader.close()
    fresh = TraceIndex(d)
    assert fresh._ensure_lsh()["skeleton"].keys.size() == n_after
    fresh.close()


def test_cli_with_redis_storage(tmp_path, redis_url, capsys):
    import json

    from unspin.cli import main
    from unspin.spin import spin

    corpus = tc.make_corpus(12)
    files = []
    for doc_id, text in corpus:
        p = tmp_path / f"{doc_id}.txt"
        p.write_text(text, encoding="utf-8")
        files.append(str(p))
    ix = tmp_path / "ix"
    assert main(["index", "add", *files, "--index", str(ix), "--lsh-storage", redis_url, "-q"]) == 0
    q = tmp_path / "q.txt"
    q.write_text(spin(corpus[5][1], rate=0.3, seed=1).text, encoding="utf-8")
    assert main(["trace", str(q), "--index", str(ix), "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["sources"][0]["id"].endswith("doc-005.txt")
    # unreachable storage: a clear error, usage exit code
    assert main(["trace", str(q), "--index", str(ix), "--lsh-storage", "redis://127.0.0.1:1/0"]) == 2
    assert "LSH storage" in capsys.readouterr().err
    assert main(["index", "info", "--index", str(ix), "--lsh-storage", "http://x"]) == 2
