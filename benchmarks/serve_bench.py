"""Benchmark `unspin serve` on loopback: requests/s and p50/p99 latency of a one-page check at 1 and 16
concurrent clients, and the server's RSS after start and after 10,000 requests.

    .venv/bin/python benchmarks/serve_bench.py [--out benchmarks/results/serve.md]

Starts `unspin serve` as a subprocess on a free 127.0.0.1 port (real engine, warmed up at start) and drives it
with a bounded asyncio + httpx load generator. Every phase is bounded in request count AND wall time, and
traffic goes to 127.0.0.1 only. Text: the first ~500 words of /work/shared/data/nltk-abc-news/rural.txt
(ABC rural news, read only here, never committed), spun with unspin.spin (rate 0.25, seed 0); without the
shared data a built-in paragraph is repeated instead (and the result says so).
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
SHARED = Path("/work/shared/data/nltk-abc-news/rural.txt")
FALLBACK = (
    "The council said the new bridge would open in March after months of delays caused by heavy rain and a "
    "shortage of workers. Residents who had waited years for the crossing welcomed the news, although some "
    "farmers warned that the detour had already cost them a season of sales at the regional market. "
)
SHORT = (
    "The focal bank raised its premium rate again on Tuesday, saying that inflation remained too high, and "
    "analysts said the decision had been widely expected."
)


def one_page(words: int = 500) -> tuple[str, str]:
    if SHARED.exists():
        src = SHARED.read_text(encoding="utf-8", errors="replace")
        origin = f"{SHARED} (first ~{words} words)"
    else:
        src = FALLBACK * 12
        origin = "built-in paragraph repeated (shared data absent)"
    out, n = [], 0
    for line in src.splitlines():
        out.append(line)
        n += len(line.split())
        if n >= words:
            break
    text = "\n".join(out)
    from unspin.spin import spin

    return spin(text, rate=0.25, seed=0).text, origin


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(q * (len(s) - 1))))
    return s[k]


async def load(url: str, body: dict, clients: int, count: int, time_limit: float) -> dict:
    """`clients` concurrent workers send at most `count` requests in total, stopping at `time_limit` s."""
    lat: list[float] = []
    codes: dict[int, int] = {}
    sent = 0
    t_end = time.perf_counter() + time_limit
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=300) as client:

        async def worker():
            nonlocal sent
            while sent < count and time.perf_counter() < t_end:
                sent += 1
                t0 = time.perf_counter()
                r = await client.post(url, json=body)
                lat.append(time.perf_counter() - t0)
                codes[r.status_code] = codes.get(r.status_code, 0) + 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        wall = time.perf_counter() - t0
    ok = codes.get(200, 0)
    return {
        "clients": clients,
        "requests": len(lat),
        "ok": ok,
        "codes": codes,
        "wall_s": wall,
        "rps": ok / wall if wall else float("nan"),
        "p50_ms": pct(lat, 0.50) * 1000,
        "p99_ms": pct(lat, 0.99) * 1000,
    }


def machine() -> str:
    from unspin.bench import machine_line

    return machine_line()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests-1", type=int, default=30, help="one-page requests at 1 client (default 30)")
    ap.add_argument("--requests-16", type=int, default=96, help="one-page requests at 16 clients (default 96)")
    ap.add_argument("--soak", type=int, default=10_000, help="short requests before the second RSS reading")
    ap.add_argument("--time-limit", type=float, default=240, help="wall-time cap per phase in seconds")
    ap.add_argument("--concurrency", type=int, default=2, help="the server's --concurrency (default 2)")
    ap.add_argument("--out", type=Path, help="write the markdown result here")
    args = ap.parse_args(argv)

    page, origin = one_page()
    import unspin

    t0 = time.perf_counter()
    unspin.check("Warm the library up once before timing it.")
    lib_times = []
    for _ in range(3):
        t0 = time.perf_counter()
        rep = unspin.check(page)
        lib_times.append(time.perf_counter() - t0)
    lib_ms = statistics.median(lib_times) * 1000

    port = free_port()
    exe = REPO / ".venv" / "bin" / "unspin"
    cmd = [str(exe) if exe.exists() else "unspin", "serve", "--port", str(port), "--concurrency",
           str(args.concurrency), "--queue", "64", "--timeout", "300", "--log-level", "warning"]
    t_start = time.perf_counter()
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                httpx.get(base + "/health", timeout=1)
                break
            except httpx.HTTPError:
                if proc.poll() is not None or time.perf_counter() - t_start > 180:
                    err = proc.stderr.read() if proc.poll() is not None else ""
                    raise SystemExit("server did not start: " + err) from None
                time.sleep(0.2)
        startup_s = time.perf_counter() - t_start
        rss_start = rss_mib(proc.pid)
        url = base + "/api/v1/check"
        body = {"text": page}
        r1 = asyncio.run(load(url, body, 1, args.requests_1, args.time_limit))
        r16 = asyncio.run(load(url, body, 16, args.requests_16, args.time_limit))
        # LanguageTool endpoint, form-encoded like real clients, 1 client
        async def lt_phase():
            lat, t_end = [], time.perf_counter() + args.time_limit
            async with httpx.AsyncClient(timeout=300) as c:
                for _ in range(max(3, args.requests_1 // 2)):
                    if time.perf_counter() > t_end:
                        break
                    t0 = time.perf_counter()
                    r = await c.post(base + "/v2/check", data={"language": "en-US", "text": page})
                    r.raise_for_status()
                    lat.append(time.perf_counter() - t0)
            return {"requests": len(lat), "p50_ms": pct(lat, 0.5) * 1000}

        lt1 = asyncio.run(lt_phase())
        rss_pages = rss_mib(proc.pid)
        soak = asyncio.run(load(url, {"text": SHORT}, 16, args.soak, max(args.time_limit, 900)))
        rss_soak = rss_mib(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()

    words = rep.words
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cmdline = "python benchmarks/serve_bench.py " + " ".join(argv if argv is not None else sys.argv[1:])
    lines = [
        "# `unspin serve` benchmark",
        "",
        f"- Date: {now}",
        f"- Command: `{cmdline.strip()}` (server: `{' '.join(cmd[1:])}`)",
        f"- Machine: {machine()}; shared with other jobs, so numbers are noisy (medians reported).",
        f"- Page: {origin}, spun with unspin.spin (rate 0.25, seed 0): {words} words, "
        f"{len(rep.findings)} findings.",
        "- Load generator: asyncio + httpx on 127.0.0.1, keep-alive connections, bounded count and time.",
        "",
        f"Server start (process start → engine warmed → /health answers): {startup_s:.1f} s.",
        f"Library `unspin.check` on the same page in-process: median {lib_ms:.0f} ms (3 runs).",
        "",
        "| one-page check, POST /api/v1/check | requests | ok | req/s | p50 ms | p99 ms | p50 / library |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in (r1, r16):
        lines.append(
            f"| {r['clients']} client{'s' if r['clients'] > 1 else ''} | {r['requests']} | {r['ok']} | "
            f"{r['rps']:.2f} | {r['p50_ms']:.0f} | {r['p99_ms']:.0f} | {r['p50_ms'] / lib_ms:.2f} |"
        )
    lines += [
        "",
        f"LanguageTool endpoint (POST /v2/check, form data, 1 client): p50 {lt1['p50_ms']:.0f} ms over "
        f"{lt1['requests']} requests ({lt1['p50_ms'] / lib_ms:.2f} × library).",
        "",
        "| server RSS | MiB |",
        "|---|---|",
        f"| after start (engine loaded) | {rss_start:.0f} |",
        f"| after the one-page runs | {rss_pages:.0f} |",
        f"| after {soak['requests']:,} more requests (short text, 16 clients; {soak['rps']:.0f} req/s, "
        f"p50 {soak['p50_ms']:.0f} ms, p99 {soak['p99_ms']:.0f} ms) | {rss_soak:.0f} |",
        "",
        f"Status codes: 1 client {r1['codes']}, 16 clients {r16['codes']}, soak {soak['codes']}.",
        f"The server runs at most {args.concurrency} checks at once (`--concurrency`); the engine is pure Python, "
        f"so one process is bound by about one core (GIL): 16 clients raise throughput "
        f"{r16['rps'] / r1['rps']:.2f}× over 1 client while p50 latency grows {r16['p50_ms'] / r1['p50_ms']:.1f}× "
        "(requests queue for a check slot).",
        "The RSS soak uses a two-sentence text to keep the run short on a shared machine; at the one-page rate "
        f"10,000 requests would take about {10_000 / max(r16['rps'], 1e-9) / 60:.0f} min.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
