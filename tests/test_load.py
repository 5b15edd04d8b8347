"""`unspin serve` under a short load (5 s, 100 concurrent clients, valid + oversized + malformed requests).
The 60 s version is `make load` (tests/loadgen.py); figures in RELIABILITY.md."""
from __future__ import annotations

import pytest

pytest.importorskip("httpx")
pytest.importorskip("fastapi")

import loadgen  # noqa: E402

pytestmark = pytest.mark.slow


def test_serve_holds_100_clients_for_5_seconds(capsys):
    s = loadgen.load(seconds=5, clients=100, seed=2)
    s["rss_growth_mb"] = s["rss_mb"]["max"] - s["rss_mb"]["after_warmup"]
    problems = loadgen.verdict(s, growth_bound_mb=200)
    with capsys.disabled():
        print(f"\nload 5 s: {s['requests']} requests ({s['rps']}/s), status {s['status']}, "
              f"p50 {s['latency_ms']['p50']} ms, p99 {s['latency_ms']['p99']} ms, 503 {s['refused_503']}, "
              f"rss {s['rss_mb']}")
    assert not problems, problems
    assert s["server_alive_after"]
    assert s["server_errors_5xx_excl_503"] == 0
    # every request kind was exercised, and the refusals were the designed ones
    assert {"check", "oversized_cl", "oversized_chunked", "malformed_json", "wrong_types"} <= set(s["by_kind"])
    assert set(s["by_kind"]["oversized_cl"]) == {"413"} and set(s["by_kind"]["malformed_json"]) <= {"400", "422"}
    # /health answered every poll (each within the monitor's 10 s timeout) while the load ran
    assert s["health"]["ok"] >= 1 and s["health"]["ok"] == s["health"]["polls"] and not s["health"]["failures"]
    assert s["status"].get("200", 0) > 20


def test_oversized_chunked_body_is_drained_before_the_413():
    """Regression (found by the 60 s load test): the 413 for a chunked body was sent while the client was
    still uploading; closing the socket with unread data reset the connection, so some clients saw a
    connection error instead of the 413. The middleware now drains up to another `limit` bytes first."""
    import asyncio

    from unspin.serve.limits import BodyLimitMiddleware

    async def app(scope, receive, send):  # pragma: no cover - must not be reached
        raise AssertionError("the app must not see an oversized body")

    def run(n_chunks: int):
        mw = BodyLimitMiddleware(app, max_body=1000, max_upload=1000)
        msgs = [{"type": "http.request", "body": b"x" * 300, "more_body": i < n_chunks - 1} for i in range(n_chunks)]
        received, sent = [], []

        async def receive():
            received.append(1)
            return msgs[len(received) - 1]

        async def send(m):
            sent.append(m)

        asyncio.run(mw({"type": "http", "method": "POST", "path": "/api/v1/check", "headers": []}, receive, send))
        return len(received), sent[0]["status"]

    assert run(6) == (6, 413)  # 1800 bytes: all read, then 413
    n, status = run(100)  # 30 kB: drained only up to about another limit, then refused anyway
    assert status == 413 and n <= 1000 // 300 + 1 + 1000 // 300 + 2
