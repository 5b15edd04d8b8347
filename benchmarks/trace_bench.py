"""Benchmark of `unspin index` / `unspin trace` (issue 7). Reads ../shared/data (NOT shipped; never committed).

Corpus: the NLTK ABC news files (rural.txt, science.txt) split into documents at blank lines (a story's
sections, headline lines included; pieces under 40 words dropped) and the NLTK presidential speeches (one
document per file). Measured:

1. index build rate (documents/s, paragraphs/s) and index size per 1,000 documents;
2. top-1 accuracy: sampled documents spun with unspin.spin at rate 0.1 / 0.3 / 0.5 (crude) and 0.3 (careful),
   traced against the index; also the share whose restorations rebuild the source exactly;
3. query latency p50/p99 (whole-document `trace` calls, spun at 0.3) after filling the index to 10k and 100k
   documents with SYNTHETIC filler: each filler document is 4–9 sentences drawn at random from the ABC
   sentences (so its vocabulary and skeleton statistics are real, its sentence mix is not), fully featurised
   like any added document. Accuracy is re-measured at each size. The time to open the index and rebuild the
   in-memory LSH tables from SQLite is reported too.

Usage:
    .venv/bin/python benchmarks/trace_bench.py [--data ../shared/data] [--queries 100] [--fill 10000,100000]
        [--workdir DIR] [--redis]

The machine is shared (2 cores, other jobs running): numbers are medians of one run, noisy; compare ratios.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_corpus(data: Path) -> list[tuple[str, str]]:
    docs: list[tuple[str, str]] = []
    for name in ("rural", "science"):
        path = data / "nltk-abc-news" / f"{name}.txt"
        text = path.read_text(encoding="utf-8", errors="replace")
        for n, chunk in enumerate(re.split(r"\n\s*\n", text)):
            chunk = chunk.strip()
            if len(chunk.split()) >= 40:
                docs.append((f"abc-{name}-{n:05d}", chunk + "\n"))
    for sub in ("inaugural", "state_union"):
        for path in sorted((data / "nltk-pd-speeches" / sub).glob("*.txt")):
            docs.append((f"{sub}/{path.name}", path.read_text(encoding="utf-8", errors="replace")))
    return docs


def filler(docs: list[tuple[str, str]], n: int, seed: int = 0):
    from unspin.readers import Document

    sents = []
    for _, text in docs:
        if len(text) < 20_000:  # ABC pieces, not whole speeches
            sents.extend(s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) >= 6)
    rng = random.Random(seed)
    for i in range(n):
        k = rng.randint(4, 9)
        yield Document(id=f"fill-{seed}-{i:07d}", source="synthetic", text=" ".join(rng.sample(sents, k)) + "\n")


def pct(values, q):
    values = sorted(values)
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, int(round(q / 100 * (len(values) - 1)))))
    return values[k]


def accuracy(ix, docs, picks, rate, style, linker=None):
    from unspin.edits import apply_edits, edits_from_findings
    from unspin.spin import spin
    from unspin.trace import trace

    ok = exact = 0
    lat = []
    for i in picks:
        doc_id, text = docs[i]
        spun = spin(text, rate=rate, seed=i, style=style).text
        t0 = time.perf_counter()
        r = trace(spun, ix, top=5, linker=linker)
        lat.append(time.perf_counter() - t0)
        if r.best is not None and r.best.id == doc_id:
            ok += 1
            exact += apply_edits(spun, edits_from_findings(spun, r.restorations)) == text
    return ok / len(picks), exact / len(picks), lat


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--queries", type=int, default=100, help="documents sampled per accuracy setting")
    ap.add_argument("--latency-queries", type=int, default=100)
    ap.add_argument("--fill", default="10000,100000", help="index sizes for the latency runs ('' = none)")
    ap.add_argument("--workdir", default=None, help="where the index is built (default: a temp dir, removed)")
    ap.add_argument("--redis", action="store_true", help="also measure latency with LSH tables in a local "
                    "redis-server (started on a free loopback port) at the first fill size")
    args = ap.parse_args(argv)

    data = Path(args.data)
    if not (data / "nltk-abc-news").exists():
        print(f"{data}: shared data not found (this benchmark needs ../shared/data)", file=sys.stderr)
        return 2
    os.environ.setdefault("UNSPIN_CACHE_DIR", str(Path(tempfile.gettempdir()) / "unspin-bench-cache"))
    from unspin.readers import Document
    from unspin.trace import TraceIndex
    from unspin.trace.search import _linker_for

    docs = load_corpus(data)
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="trace-bench-"))
    ixdir = work / "index"
    if ixdir.exists():
        import shutil

        shutil.rmtree(ixdir)
    print(f"corpus: {len(docs)} documents ({sum(len(t.split()) for _, t in docs):,} words) from {data}")

    # warm the knowledge (thesaurus, lemmatiser) so the build rate measures indexing, not first loads
    ix = TraceIndex(ixdir, create=True)
    ix.featurizer.skeleton(docs[0][1])
    t0 = time.perf_counter()
    stats = ix.add(Document(id=i, source="shared", text=t) for i, t in docs)
    dt = time.perf_counter() - t0
    info = ix.info()
    lines = []

    def out(s=""):
        print(s, flush=True)
        lines.append(s)

    out(f"## Index build (real corpus: {len(docs)} documents, {stats.paragraphs} paragraphs)")
    out(f"- build: {dt:.1f} s = **{len(docs) / dt:.0f} documents/s**, {stats.paragraphs / dt:.0f} paragraphs/s "
        "(cold process, knowledge already cached)")
    out(f"- index size: {info['bytes'] / 1e6:.1f} MB = **{info['bytes'] / len(docs) * 1000 / 1e6:.2f} MB per 1,000 "
        f"documents** (texts {sum(len(t.encode()) for _, t in docs) / 1e6:.1f} MB are stored in it)")

    rng = random.Random(7)
    picks = rng.sample(range(len(docs)), min(args.queries, len(docs)))
    linker = _linker_for(ix)
    out("")
    out(f"## Top-1 accuracy ({len(picks)} sampled documents per setting, index of {len(docs)})")
    out("| spin | top-1 | exact restoration | latency p50 | p99 |")
    out("|---|---|---|---|---|")
    settings = [(0.1, "crude"), (0.3, "crude"), (0.5, "crude"), (0.3, "careful")]
    for rate, style in settings if picks else []:
        acc, ex, lat = accuracy(ix, docs, picks, rate, style, linker)
        out(f"| {style} {rate} | **{acc:.1%}** | {ex:.1%} | {statistics.median(lat) * 1000:.0f} ms | "
            f"{pct(lat, 99) * 1000:.0f} ms |")

    sizes = [int(s) for s in args.fill.split(",") if s.strip()]
    if sizes:
        out("")
        out("## Query latency with synthetic fill (whole-document trace, crude spin 0.3)")
        out("| indexed documents | paragraphs | fill time | open + LSH rebuild | p50 | p99 | top-1 | size |")
        out("|---|---|---|---|---|---|---|---|")
    have = len(docs)
    lat_picks = rng.sample(range(len(docs)), min(args.latency_queries, len(docs)))
    for size in sizes:
        n = size - have
        t0 = time.perf_counter()
        if n > 0:
            ix.add(filler(docs, n, seed=size), batch=1000)
        fill_s = time.perf_counter() - t0
        have = max(have, size)
        ix.close()
        t0 = time.perf_counter()
        ix = TraceIndex(ixdir)
        ix._ensure_lsh()
        open_s = time.perf_counter() - t0
        acc, _, lat = accuracy(ix, docs, lat_picks, 0.3, "crude", linker)
        info = ix.info()
        out(f"| {info['documents']:,} | {info['paragraphs']:,} | {fill_s:.0f} s | {open_s:.1f} s | "
            f"{statistics.median(lat) * 1000:.0f} ms | {pct(lat, 99) * 1000:.0f} ms | {acc:.1%} | "
            f"{info['bytes'] / 1e6:.0f} MB |")
        if args.redis and size == sizes[0]:
            out(redis_latency(ixdir, docs, lat_picks, linker))
    ix.close()
    if not args.workdir:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    return 0


def redis_latency(ixdir, docs, picks, linker) -> str:
    import shutil
    import socket
    import subprocess

    from unspin.trace import TraceIndex

    exe = shutil.which("redis-server")
    if not exe:
        return "(redis-server not installed: Redis latency not measured)"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        url = f"redis://127.0.0.1:{port}/0"
        t0 = time.perf_counter()
        ix = TraceIndex(ixdir, lsh_storage=url)
        ix._ensure_lsh()  # first open: loads every signature into Redis
        load_s = time.perf_counter() - t0
        acc, _, lat = accuracy(ix, docs, picks, 0.3, "crude", linker)
        n = ix.info()["documents"]
        ix.close()
        return (f"| {n:,} (Redis LSH, loopback) | | | {load_s:.0f} s (initial load into Redis) | "
                f"{statistics.median(lat) * 1000:.0f} ms | {pct(lat, 99) * 1000:.0f} ms | {acc:.1%} | |")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
