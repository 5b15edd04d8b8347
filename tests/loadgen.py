#!/usr/bin/env python3
"""Bounded load test of `unspin serve` on loopback (stops by itself).

    python tests/loadgen.py [--seconds 60] [--clients 100] [--seed 1] [--json OUT] [--rss-growth-mb 200]

Starts `unspin serve` as a subprocess on a free loopback port with its default limits (concurrency 2,
queue 64, timeout 30 s) and a 100 kB body cap, then runs --clients asyncio clients (httpx) for --seconds,
each sending a seeded random mix of valid, oversized and malformed requests, while a separate monitor polls
/health every 0.5 s and samples the server's RSS from /proc. Every request kind has an expected set of
status codes; the run FAILS (exit 1) on any 5xx other than 503, any unexpected status, any transport error,
any /health poll that is not a 200 within 10 s, or RSS growth beyond --rss-growth-mb after warm-up.
503 (queue full, `Retry-After: 1`) is the server's designed refusal under overload and is counted separately.
Prints a summary and writes it as JSON with --json."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UNSPIN = ROOT / ".venv" / "bin" / "unspin"
MAX_BODY = 100_000
HEALTH_TIMEOUT = 10.0  # a /health poll slower than this counts as a failure

SENTENCES = [
    "The central bank raised its interest rate on Tuesday, and analysts said the move surprised markets.",
    "Police said the suspect had fled the scene before officers arrived at the harbour.",
    "Researchers used profound learning to sort photographs of birds taken in the spring.",
    "The bakery now opens an hour earlier on market days, the owner told reporters.",
    "A report on huge information in hospitals was published by the ministry this week.",
    "Children planted beans in the school garden and measured them every morning.",
]

# kind -> (weight, expected statuses); 503 is allowed for engine-bound kinds (designed overload refusal)
KINDS = {
    "check": (30, {200}),
    "check_long": (5, {200}),
    "restore": (8, {200}),
    "lt_check": (8, {200}),
    "extract_txt": (3, {200}),
    "health": (4, {200}),
    "oversized_cl": (8, {413}),
    "oversized_chunked": (4, {413}),
    "malformed_json": (6, {400, 422}),
    "invalid_utf8": (4, {400, 422}),
    "wrong_types": (5, {422}),
    "unknown_field": (3, {422}),
    "missing_text": (3, {422}),
    "bad_threshold": (2, {422}),
    "lt_no_text": (3, {400}),
    "extract_bad_type": (2, {415}),
    "not_found": (1, {404}),
    "wrong_method": (1, {405}),
}
ENGINE_KINDS = {"check", "check_long", "restore", "lt_check", "extract_txt", "extract_bad_type"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def start_server(port: int, env: dict | None = None) -> subprocess.Popen:
    cmd = [str(UNSPIN), "serve", "--port", str(port), "--max-body", str(MAX_BODY), "--log-level", "warning"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env or dict(os.environ),
                            cwd=ROOT)


async def wait_ready(base: str, proc: subprocess.Popen, timeout: float = 180) -> None:
    import httpx

    t0 = time.monotonic()
    async with httpx.AsyncClient() as c:
        while time.monotonic() - t0 < timeout:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}: {proc.stderr.read().decode()[-2000:]}")
            try:
                if (await c.get(base + "/health", timeout=2)).status_code == 200:
                    return
            except Exception:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("server did not become ready")


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(SENTENCES) for _ in range(n))


async def one_request(c, base: str, kind: str, rng: random.Random):
    j = {"content-type": "application/json"}
    if kind == "check":
        return await c.post(base + "/api/v1/check", json={"text": _text(rng, rng.randint(1, 3)),
                                                          "fingerprints": False})
    if kind == "check_long":
        return await c.post(base + "/api/v1/check", json={"text": _text(rng, 25), "path": "/etc/passwd"})
    if kind == "restore":
        return await c.post(base + "/api/v1/restore", json={"text": _text(rng, 2), "min_confidence": 0.5})
    if kind == "lt_check":
        return await c.post(base + "/v2/check", data={"language": "en-US", "text": _text(rng, 2)})
    if kind == "extract_txt":
        return await c.post(base + "/api/v1/extract", files={"file": ("note.txt", _text(rng, 2).encode())})
    if kind == "health":
        return await c.get(base + "/health")
    if kind == "oversized_cl":
        return await c.post(base + "/api/v1/check", content=json.dumps({"text": "word " * (MAX_BODY // 4)}),
                            headers=j)
    if kind == "oversized_chunked":
        async def gen():
            yield b'{"text": "'
            for _ in range(MAX_BODY // 8192 + 3):
                yield b"a" * 8192
            yield b'"}'
        return await c.post(base + "/api/v1/check", content=gen(), headers=j)
    if kind == "malformed_json":
        body = rng.choice([b'{"text": "unterminated', b"[1, 2", b"{text: 1}", b"", b"\x00\x01", b"{" * 5000])
        return await c.post(base + "/api/v1/check", content=body, headers=j)
    if kind == "invalid_utf8":
        return await c.post(base + "/api/v1/check", content=b'{"text": "caf\xe9 \xff\xfe"}', headers=j)
    if kind == "wrong_types":
        body = rng.choice([{"text": 5}, {"text": ["a"]}, {"text": None}, {"text": "x", "fingerprints": "all"},
                           {"text": "x", "include_text": "maybe"}])
        return await c.post(base + "/api/v1/check", json=body)
    if kind == "unknown_field":
        return await c.post(base + "/api/v1/check", json={"text": "hello", "path_to_open": "/etc/passwd"})
    if kind == "missing_text":
        return await c.post(base + "/api/v1/restore", json={"min_confidence": 0.2})
    if kind == "bad_threshold":
        return await c.post(base + "/api/v1/restore", json={"text": "x", "min_confidence": 7})
    if kind == "lt_no_text":
        return await c.post(base + "/v2/check", data={"language": "en-US"})
    if kind == "extract_bad_type":
        return await c.post(base + "/api/v1/extract", files={"file": ("evil.exe", b"MZ\x90\x00binary")})
    if kind == "not_found":
        return await c.get(base + "/api/v1/../../etc/passwd")
    if kind == "wrong_method":
        return await c.delete(base + "/api/v1/check")
    raise ValueError(kind)


async def run_load(base: str, server_pid: int, seconds: float, clients: int, seed: int) -> dict:
    import httpx

    kinds = list(KINDS)
    weights = [KINDS[k][0] for k in kinds]
    lat: dict[str, list[float]] = defaultdict(list)
    status: Counter = Counter()
    by_kind: dict[str, Counter] = defaultdict(Counter)
    unexpected: list[tuple] = []
    errors: Counter = Counter()
    health = {"polls": 0, "ok": 0, "max_s": 0.0, "failures": []}
    health_lat: list[float] = []
    rss: list[tuple[float, float]] = []
    stop_at = time.monotonic() + seconds
    t_start = time.monotonic()

    async def client(i: int):
        rng = random.Random(seed * 1000 + i)
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(limits=limits, timeout=60) as c:
            while time.monotonic() < stop_at:
                kind = rng.choices(kinds, weights)[0]
                t = time.monotonic()
                try:
                    r = await one_request(c, base, kind, rng)
                except httpx.HTTPError as e:
                    errors[f"{kind}: {type(e).__name__}"] += 1
                    continue
                dt = time.monotonic() - t
                lat[kind].append(dt)
                status[r.status_code] += 1
                by_kind[kind][r.status_code] += 1
                ok = KINDS[kind][1] | ({503} if kind in ENGINE_KINDS else set())
                if r.status_code not in ok and len(unexpected) < 50:
                    unexpected.append((kind, r.status_code, r.text[:200]))
                elif r.status_code not in ok:
                    unexpected.append((kind, r.status_code, ""))
                if r.status_code == 503:
                    await asyncio.sleep(float(r.headers.get("retry-after", "1")))

    async def monitor():
        async with httpx.AsyncClient(timeout=HEALTH_TIMEOUT) as c:
            while time.monotonic() < stop_at:
                rss.append((time.monotonic() - t_start, rss_mb(server_pid)))
                t = time.monotonic()
                health["polls"] += 1
                try:
                    r = await c.get(base + "/health")
                    dt = time.monotonic() - t
                    health["max_s"] = max(health["max_s"], dt)
                    health_lat.append(dt)
                    if r.status_code == 200 and r.json().get("status") == "ok":
                        health["ok"] += 1
                    else:
                        health["failures"].append(f"{r.status_code}")
                except httpx.HTTPError as e:
                    health["failures"].append(type(e).__name__)
                await asyncio.sleep(0.5)

    await asyncio.gather(monitor(), *(client(i) for i in range(clients)))
    elapsed = time.monotonic() - t_start
    rss.append((elapsed, rss_mb(server_pid)))
    all_lat = sorted(x for v in lat.values() for x in v)

    def pct(xs, q):
        xs = sorted(xs)
        return round(xs[min(len(xs) - 1, int(q * len(xs)))] * 1000, 1) if xs else None

    health["p50_ms"], health["p99_ms"] = pct(health_lat, 0.5), pct(health_lat, 0.99)
    engine_ok = sorted(x for k in ("check", "check_long", "restore", "lt_check") for x in lat[k])
    warm = [m for t, m in rss if t >= min(5.0, seconds / 3)] or [m for _, m in rss]
    total = sum(status.values())
    return {
        "seconds": round(elapsed, 1),
        "clients": clients,
        "requests": total,
        "rps": round(total / elapsed, 1),
        "status": {str(k): v for k, v in sorted(status.items())},
        "by_kind": {k: {str(s): n for s, n in sorted(v.items())} for k, v in sorted(by_kind.items())},
        "server_errors_5xx_excl_503": sum(v for k, v in status.items() if 500 <= k < 600 and k != 503),
        "refused_503": status.get(503, 0),
        "unexpected": unexpected,
        "transport_errors": dict(errors),
        "latency_ms": {"p50": pct(all_lat, 0.5), "p99": pct(all_lat, 0.99), "max": pct(all_lat, 1.0)},
        "engine_latency_ms": {"p50": pct(engine_ok, 0.5), "p99": pct(engine_ok, 0.99)},
        "health": health,
        "rss_mb": {"start": round(rss[0][1], 1), "after_warmup": round(warm[0], 1),
                   "max": round(max(m for _, m in rss), 1), "end": round(rss[-1][1], 1)},
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rss-growth-mb", type=float, default=200,
                    help="fail if the server's RSS grows more than this after warm-up (default 200)")
    ap.add_argument("--json", metavar="OUT", help="write the summary here")
    args = ap.parse_args(argv)
    summary = load(args.seconds, args.clients, args.seed)
    growth = summary["rss_mb"]["max"] - summary["rss_mb"]["after_warmup"]
    summary["rss_growth_mb"] = round(growth, 1)
    summary["rss_growth_bound_mb"] = args.rss_growth_mb
    problems = verdict(summary, args.rss_growth_mb)
    summary["problems"] = problems
    print(json.dumps(summary, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1))
    print("LOAD TEST " + ("FAILED: " + "; ".join(problems) if problems else "PASSED"), file=sys.stderr)
    return 1 if problems else 0


def verdict(summary: dict, growth_bound_mb: float) -> list[str]:
    p = []
    if summary["server_errors_5xx_excl_503"]:
        p.append(f"{summary['server_errors_5xx_excl_503']} 5xx responses")
    if summary["unexpected"]:
        p.append(f"{len(summary['unexpected'])} unexpected statuses, e.g. {summary['unexpected'][:3]}")
    if summary["transport_errors"]:
        p.append(f"transport errors {summary['transport_errors']}")
    h = summary["health"]
    if h["failures"] or h["ok"] == 0:
        p.append(f"/health failed {len(h['failures'])} of {h['polls']} polls")
    growth = summary["rss_mb"]["max"] - summary["rss_mb"]["after_warmup"]
    if growth > growth_bound_mb:
        p.append(f"server RSS grew {growth:.0f} MB (bound {growth_bound_mb:.0f} MB)")
    return p


def load(seconds: float, clients: int, seed: int = 1, env: dict | None = None) -> dict:
    port = free_port()
    proc = start_server(port, env)
    base = f"http://127.0.0.1:{port}"
    try:
        asyncio.run(wait_ready(base, proc))
        summary = asyncio.run(run_load(base, proc.pid, seconds, clients, seed))
        summary["server_alive_after"] = proc.poll() is None
        return summary
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    sys.exit(main())
