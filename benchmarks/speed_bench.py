"""Speed and memory of `check` and of `unspin screen`'s first stage (issue 13), on the corpus in ../shared/data.

    .venv/bin/python benchmarks/speed_bench.py [--docs 300] [--big-mb 20] [--out benchmarks/results/speed.json]

Measures (one process, after warm-up; the machine is shared, so medians and ratios are what to compare):
- `check` words/s on fresh prose: test-split documents of every register, each checked once, after a warm-up on
  other documents (steady state: knowledge loaded, candidate lists for the commonest words memoised);
- one-page latency, warm (in process) and cold (a fresh `unspin check` process, caches built and compiled modules
  kept as on a user's machine; the first run, which may write them, is not counted);
- peak RSS and wall time of `unspin check` on 1 MB and 20 MB inputs (the test split's documents, one line per
  paragraph, repeated to size once they run out: `distinct_prose_mb` says how much is distinct; repeated words
  are memoised, so words/s on the big input is higher than on fresh prose), and the verdict on a text of one
  genuine story repeated;
- the corpus screen: words per CPU-second with the first stage on and off (`--full`) on a corpus that is 95 %
  clean and 5 % spun (crude, rate 0.1–0.3), and the share of spun documents the first stage clears (recall lost).
Nothing from the corpus is written to the repository; temporary inputs live in a temporary directory.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UNSPIN = [sys.executable, "-m", "unspin.cli"]


def machine() -> dict:
    from unspin.bench import machine as m

    out = m()
    out["load_before"] = round(os.getloadavg()[0], 2)
    return out


def steady_words_per_s(docs, chunks: int = 5) -> dict:
    import unspin

    warm, measured = docs[:30], docs[30:]
    for d in warm:
        unspin.check(d.text, fingerprints=False)
    size = max(1, len(measured) // chunks)
    rates = []
    total_w = total_t = 0.0
    for c in range(0, len(measured), size):
        part = measured[c : c + size]
        t = time.perf_counter()
        words = sum(unspin.check(d.text, fingerprints=False).words for d in part)
        dt = time.perf_counter() - t
        rates.append(words / dt)
        total_w += words
        total_t += dt
    return {"docs": len(measured), "words": int(total_w), "seconds": round(total_t, 2),
            "words_per_s": round(total_w / total_t, 1), "chunk_median_words_per_s": round(statistics.median(rates), 1),
            "chunk_words_per_s": [round(r, 1) for r in rates]}


def _pages(docs) -> list[str]:
    return [d.text for d in docs if 250 <= d.words <= 450][:25]


def latency_warm(docs) -> dict:
    """One-page `check` in this process, after the steady-state measurement has loaded the knowledge: median
    and 90th percentile of 25 pages."""
    import unspin

    times = []
    for p in _pages(docs):
        t = time.perf_counter()
        unspin.check(p, fingerprints=False)
        times.append(time.perf_counter() - t)
    return {"pages": len(times), "warm_ms_median": round(1000 * statistics.median(times), 1),
            "warm_ms_p90": round(1000 * sorted(times)[int(0.9 * (len(times) - 1))], 1)}


def latency(docs) -> dict:
    warm = latency_warm(docs)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write(_pages(docs)[0])
    cold = []
    # as on a user's machine, Python keeps the compiled modules (the first run writes them if a developer's
    # shell sets PYTHONDONTWRITEBYTECODE): a cold start is a fresh process, not a fresh compile of unspin
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for _ in range(6):
        t = time.perf_counter()
        subprocess.run(UNSPIN + ["check", "--no-fingerprints", fh.name], capture_output=True, cwd=ROOT, env=env)
        cold.append(time.perf_counter() - t)
    Path(fh.name).unlink()
    return {**warm, "cold_s_median": round(statistics.median(cold[1:]), 3)}


# `unspin` in a child that reports its own peak RSS on exit. Not wait4's ru_maxrss: Linux carries the high-water
# mark of the address space a process had before exec into it, and a child forked from this (large) benchmark
# process would report our size, not its own. VmHWM is the high-water mark of the exec'd program's own memory.
# At exit it also reports how the resident memory splits: RssFile (mapped knowledge files and libraries, shared by
# every unspin process on the machine and reclaimable by the kernel) and RssAnon (this process's own).
_REPORTING_CLI = ("import atexit, sys\n"
                  "def _hwm():\n"
                  "    for line in open('/proc/self/status'):\n"
                  "        if line.startswith('VmHWM:'):\n"
                  "            sys.stderr.write('\\nPEAK_RSS_KB ' + line.split()[1] + '\\n')\n"
                  "        if line.startswith(('RssAnon:', 'RssFile:')):\n"
                  "            sys.stderr.write('\\nEXIT_' + line.split(':')[0].upper() + '_KB ' + line.split()[1] + '\\n')\n"
                  "atexit.register(_hwm)\n"
                  "from unspin.cli import main\n"
                  "sys.argv = ['unspin'] + sys.argv[1:]\n"
                  "sys.exit(main())\n")


def run_big(path: Path) -> dict:
    """`unspin check --format json` on one file in a child process: wall time, the child's own peak RSS
    (VmHWM), verdict and counts."""
    out_file = path.with_suffix(".json")
    err_file = path.with_suffix(".err")
    t = time.perf_counter()
    with open(out_file, "wb") as fh, open(err_file, "wb") as eh:
        proc = subprocess.Popen([sys.executable, "-c", _REPORTING_CLI, "check", "--format", "json",
                                 "--no-fingerprints", "--max-bytes", "0", str(path)], stdout=fh, stderr=eh, cwd=ROOT)
        _, status, _usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    err_lines = err_file.read_text(errors="replace").splitlines()
    peak = [ln.split()[1] for ln in err_lines if ln.startswith("PEAK_RSS_KB ")]
    at_exit = {ln.split()[0]: round(int(ln.split()[1]) / 1024, 1) for ln in err_lines if ln.startswith("EXIT_RSS")}
    lines = out_file.read_text().strip().splitlines()
    rep = json.loads(lines[-1]) if lines else {}
    levels = [f.get("level") for f in rep.get("findings", [])]
    return {"mb": round(path.stat().st_size / 1e6, 2), "words": rep.get("words"), "seconds": round(wall, 1),
            "words_per_s": round((rep.get("words") or 0) / wall, 1), "peak_rss_mb": round(int(peak[-1]) / 1024, 1) if peak else None,
            "exit_rss_private_mb": at_exit.get("EXIT_RSSANON_KB"), "exit_rss_file_mb": at_exit.get("EXIT_RSSFILE_KB"),
            "verdict": rep.get("verdict"), "spin_score": rep.get("spin_score"), "findings": levels.count("finding"),
            "suspects": levels.count("suspect"), "exit": os.waitstatus_to_exitcode(status)}


def big_inputs(docs, tmp: Path, big_mb: float) -> dict:
    text = "\n\n".join(d.text.replace("\n", " ") for d in docs)
    out = {"distinct_prose_mb": round(len(text.encode("utf-8")) / 1e6, 2)}
    for mb in (1, big_mb):
        target = int(mb * 1e6)
        body = (text * (target // max(len(text), 1) + 1))[:target]
        p = tmp / f"distinct-{mb}mb.txt"
        p.write_text(body, encoding="utf-8")
        out[f"{mb}mb"] = run_big(p)
    story = next(d.text for d in docs if 200 <= d.words <= 400 and d.register == "nltk-abc-news")
    p = tmp / "repeated-story.txt"
    p.write_text((story.replace("\n", " ") + " ") * 400, encoding="utf-8")
    out["repeated_story"] = run_big(p)
    return out


def screen_speed(docs, tmp: Path, n_docs: int, seed: int) -> dict:
    """95 % clean, 5 % spun; screen with and without the first stage; CPU seconds of the worker."""
    from unspin.spin import spin

    rng = random.Random(seed)
    pick = [d for d in docs if d.words >= 100][:n_docs]
    spun_ids = set(rng.sample(range(len(pick)), max(1, len(pick) // 20)))
    rows = []
    for i, d in enumerate(pick):
        text = d.text
        if i in spun_ids:
            text = spin(d.text, rate=rng.choice((0.1, 0.2, 0.3)), seed=seed + i, style="crude",
                        sources=("mythes",)).text
        rows.append({"id": f"{'spun' if i in spun_ids else 'clean'}-{i}", "text": text})
    corpus = tmp / "screen-corpus.jsonl"
    corpus.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    words = sum(len(r["text"].split()) for r in rows)
    out = {"docs": len(rows), "spun_docs": len(spun_ids), "words": words}
    import pandas as pd

    for label, extra in (("cascade", []), ("full", ["--full"])):
        od = tmp / f"screen-{label}"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(UNSPIN + ["screen", str(corpus), "--out", str(od), "--jobs", "1", "--quiet",
                                 "--id-field", "id", *extra], capture_output=True, cwd=ROOT)
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        res = pd.read_parquet(od / "results.parquet")
        spun = res[res["id"].str.startswith("spun")]
        clean = res[res["id"].str.startswith("clean")]
        out[label] = {
            "wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "words_per_cpu_s": round(words / max(cpu, 1e-9), 1),
            "clean_cleared_by_first_stage": round(float((clean["stage"] == "screen").mean()), 4),
            "spun_cleared_by_first_stage": round(float((spun["stage"] == "screen").mean()), 4),
            "spun_called_spun": round(float((spun["verdict"] == "spun").mean()), 4),
            "clean_called_spun": round(float((clean["verdict"] == "spun").mean()), 4),
        }
    out["speed_up"] = round(out["cascade"]["words_per_cpu_s"] / max(out["full"]["words_per_cpu_s"], 1e-9), 2)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=300, help="test documents for the steady-state measurement")
    ap.add_argument("--screen-docs", type=int, default=400)
    ap.add_argument("--big-mb", type=float, default=20)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--skip-big", action="store_true")
    ap.add_argument("--big-only", action="store_true",
                    help="re-measure only the big inputs, keeping the other numbers of --out (their date stays theirs)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "speed.json"))
    args = ap.parse_args()
    from unspin import corpus

    docs = corpus.select(corpus.load_documents(), "test", seed=args.seed)
    if args.big_only:
        result = json.loads(Path(args.out).read_text())
        with tempfile.TemporaryDirectory() as tmp:
            result["big"] = big_inputs(docs, Path(tmp), args.big_mb)
        result["big"]["command"] = "python benchmarks/speed_bench.py " + " ".join(sys.argv[1:])
        result["big"]["date"] = time.strftime("%Y-%m-%d %H:%M")
        Path(args.out).write_text(json.dumps(result, indent=1))
        print(json.dumps(result["big"], indent=1))
        return 0
    result = {"command": "python benchmarks/speed_bench.py " + " ".join(sys.argv[1:]),
              "date": time.strftime("%Y-%m-%d %H:%M"), "machine": machine()}
    result["steady"] = steady_words_per_s(docs[: args.docs + 30])
    result["latency"] = latency(docs[args.docs + 30 :])
    with tempfile.TemporaryDirectory() as tmp:
        result["screen"] = screen_speed(docs[args.docs + 60 :], Path(tmp), args.screen_docs, args.seed)
        if not args.skip_big:
            result["big"] = big_inputs(docs, Path(tmp), args.big_mb)
    result["machine"]["load_after"] = round(os.getloadavg()[0], 2)
    Path(args.out).write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
