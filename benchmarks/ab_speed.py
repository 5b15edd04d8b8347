"""Speed of this tree against an earlier revision, measured back to back (issue 13): the machine is shared, so
absolute words/s move between runs; the ratio of runs taken in turns does not.

    .venv/bin/python benchmarks/ab_speed.py --base REV [--rounds 3] [--docs 300]

Each round runs, in a fresh child process per tree (base first, then this tree), the steady-state `check`
measurement of speed_bench.py (fresh test-split prose after a warm-up) and the warm one-page latency, on the
same documents. The base revision is checked out into a temporary git worktree. Writes
benchmarks/results/ab_speed.json: every round's numbers, the medians and the ratio of medians. Reports must be
the same across revisions that claim identical output; that is checked by comparing a hash of the reports.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "results" / "ab_speed.json"

# run inside the child: the tree's own unspin (PYTHONPATH first), this file's copy of speed_bench
_CHILD = """
import hashlib, json, sys
sys.path.insert(0, {bench!r})
import speed_bench, unspin
from unspin import corpus
docs = corpus.select(corpus.load_documents(), "test", seed={seed})
steady = speed_bench.steady_words_per_s(docs[: {docs} + 30])
lat = speed_bench.latency_warm(docs[{docs} + 30 :])
h = hashlib.sha256()
for d in docs[: 40]:
    h.update(json.dumps(unspin.check(d.text, fingerprints=False).to_dict(), sort_keys=True).encode())
print("RESULT " + json.dumps({{"words_per_s": steady["words_per_s"], "chunk_median": steady["chunk_median_words_per_s"],
                              "warm_ms": lat["warm_ms_median"], "reports_sha256": h.hexdigest(),
                              "unspin": unspin.__file__}}))
"""


def run(tree: Path, docs: int, seed: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    code = _CHILD.format(bench=str(HERE), docs=docs, seed=seed)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
    if out.returncode or not line:
        raise SystemExit(f"child for {tree} failed:\n{out.stderr[-2000:]}")
    got = json.loads(line[-1][len("RESULT "):])
    if not got["unspin"].startswith(str(tree)):
        raise SystemExit(f"the child imported {got['unspin']}, not the tree {tree}")
    return got


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", required=True, help="git revision to compare against")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--docs", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    base_rev = subprocess.run(["git", "rev-parse", "--short", args.base], capture_output=True, text=True,
                              cwd=ROOT, check=True).stdout.strip()
    head_rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT,
                              check=True).stdout.strip()
    dirty = bool(subprocess.run(["git", "status", "--porcelain", "src"], capture_output=True, text=True,
                                cwd=ROOT).stdout.strip())
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", str(base), args.base], cwd=ROOT, check=True,
                       capture_output=True)
        try:
            for r in range(args.rounds):
                for name, tree in (("base", base), ("head", ROOT)):
                    got = run(tree, args.docs, args.seed)
                    rows.append({"round": r + 1, "tree": name, **{k: v for k, v in got.items() if k != "unspin"}})
                    print(rows[-1], flush=True)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT, capture_output=True)

    def med(tree: str, key: str) -> float:
        return statistics.median(x[key] for x in rows if x["tree"] == tree)

    result = {"command": "python benchmarks/ab_speed.py " + " ".join(sys.argv[1:]),
              "date": time.strftime("%Y-%m-%d %H:%M"), "base": base_rev,
              "head": head_rev + (" (with uncommitted changes)" if dirty else ""), "rounds": rows,
              "median": {t: {"words_per_s": med(t, "words_per_s"), "warm_ms": med(t, "warm_ms")}
                         for t in ("base", "head")},
              "same_reports": len({x["reports_sha256"] for x in rows}) == 1}
    result["speed_ratio"] = round(result["median"]["head"]["words_per_s"] / result["median"]["base"]["words_per_s"], 3)
    result["warm_latency_ratio"] = round(result["median"]["head"]["warm_ms"] / result["median"]["base"]["warm_ms"], 3)
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "rounds"}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
