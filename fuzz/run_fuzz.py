#!/usr/bin/env python3
"""Run unspin's atheris fuzz targets with a time budget, one target at a time on one core.

    python fuzz/run_fuzz.py [TARGET ...] [--seconds N] [--workdir DIR] [--keep DIR] [--no-keep]

TARGET: any of fuzz/targets.py's TARGETS (default: all). --seconds (default: env FUZZ_SECONDS, else 30) is the
budget per target; a target's weight in --weights multiplies it (cheap targets get more). The working corpus
(everything libFuzzer found) goes to --workdir (default: $FUZZ_WORKDIR or /tmp/unspin-fuzz); afterwards the
interesting inputs are merged (libFuzzer -merge=1: a minimal set with the same coverage) and the kept
regression corpus in --keep (default tests/fuzz_corpus/<target>/) is refreshed, capped at 50 files / 200 kB
per target (smallest first; regress-* files - crashes turned regression inputs - and seed-* files are always kept).
Crashes are written to <workdir>/crashes/ and make the exit code non-zero.
A summary (inputs executed per target, new coverage, crashes) is printed and written to <workdir>/stats.json.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

KEEP_FILES = 50
KEEP_BYTES = 200_000
# per-input size limits: text-like targets stay small, document readers get room for real files
MAX_LEN = {"check": 400, "read_pdf": 8192, "read_docx": 8192, "read_html": 8192}
# relative share of the time budget: cheap targets run most inputs
WEIGHTS = {"text": 2.0, "fingerprints": 2.0, "spintax": 2.0, "read_txt": 1.0, "read_jsonl": 1.0,
           "read_csv": 1.0, "read_html": 1.0, "read_pdf": 1.0, "read_docx": 1.0, "check": 1.0}


def _one(target: str, argv: list[str]) -> None:
    """Child process: instrument the target's modules and hand over to libFuzzer."""
    import atheris

    import targets as T

    with atheris.instrument_imports(include=T.INSTRUMENT[target]):
        import unspin  # noqa: F401
        import unspin.fingerprints.parse  # noqa: F401
        import unspin.readers  # noqa: F401
        import unspin.spin  # noqa: F401
        import unspin.text  # noqa: F401
        if target == "read_html":
            import selectolax.lexbor  # noqa: F401
            import trafilatura  # noqa: F401
        if target == "read_pdf":
            import pdfminer.high_level  # noqa: F401
    if target == "check":
        import unspin as U

        U.check("Warm the engine up once before fuzzing begins.", fingerprints=False)
    fn = T.TARGETS[target]
    atheris.Setup([sys.argv[0], *argv], fn)
    atheris.Fuzz()


def _stat(out: str, name: str) -> int:
    m = re.findall(rf"stat::{name}:\s+(\d+)", out)
    return int(m[-1]) if m else 0


def _cap(files: list[Path]) -> list[Path]:
    """Smallest first, at most KEEP_FILES files and KEEP_BYTES bytes."""
    keep, total = [], 0
    for f in sorted(files, key=lambda p: (p.stat().st_size, p.name)):
        size = f.stat().st_size
        if len(keep) >= KEEP_FILES or total + size > KEEP_BYTES:
            continue
        keep.append(f)
        total += size
    return keep


def run_target(target: str, seconds: float, workdir: Path, keep_root: Path | None, refresh: bool = True) -> dict:
    work = workdir / "corpus" / target
    work.mkdir(parents=True, exist_ok=True)
    crashes = workdir / "crashes"
    crashes.mkdir(parents=True, exist_ok=True)
    seeds = [str(keep_root / target)] if keep_root and (keep_root / target).is_dir() else []
    args = [str(work), *seeds, f"-max_total_time={int(seconds)}", "-timeout=20", "-rss_limit_mb=2048",
            f"-max_len={MAX_LEN.get(target, 2048)}", "-print_final_stats=1",
            f"-artifact_prefix={crashes}/{target}-"]
    env = dict(os.environ, PYTHONHASHSEED="0")
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, __file__, "--one", target, "--", *args], capture_output=True,
                          text=True, errors="replace", env=env, cwd=ROOT)
    elapsed = time.monotonic() - t0
    out = proc.stdout + proc.stderr
    (workdir / f"{target}.log").write_text(out[-200_000:])
    runs = _stat(out, "number_of_executed_units")
    if not runs:
        m = re.findall(r"Done (\d+) runs", out)
        runs = int(m[-1]) if m else 0
    crashed = proc.returncode != 0
    res = {"target": target, "inputs": runs, "seconds": round(elapsed, 1), "exit": proc.returncode,
           "crash": crashed, "corpus_found": len(list(work.iterdir()))}
    if crashed:
        tail = "\n".join(out.splitlines()[-40:])
        res["crash_log"] = tail
    if keep_root is not None and refresh and not crashed:
        merged = workdir / "merged" / target
        shutil.rmtree(merged, ignore_errors=True)
        merged.mkdir(parents=True)
        dirs = [str(merged), str(work), *seeds]
        m = subprocess.run([sys.executable, __file__, "--one", target, "--", "-merge=1", "-timeout=20",
                            f"-max_len={MAX_LEN.get(target, 2048)}", *dirs],
                           capture_output=True, text=True, errors="replace", env=env, cwd=ROOT)
        pool = list(merged.iterdir()) if m.returncode == 0 and any(merged.iterdir()) else list(work.iterdir())
        dest = keep_root / target
        # regress-* (crashes turned regression inputs) and seed-* (hand-made starting points) are always kept
        regress = {f.name: f.read_bytes() for f in [*dest.glob("regress-*"), *dest.glob("seed-*")]} \
            if dest.is_dir() else {}
        chosen = _cap([f for f in pool if not f.name.startswith(("regress-", "seed-"))])
        chosen = chosen[: max(0, KEEP_FILES - len(regress))]
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True)
        for name, data in regress.items():
            (dest / name).write_bytes(data)
        for f in chosen:
            data = f.read_bytes()
            (dest / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)
        res["kept"] = len(chosen)
        res["kept_bytes"] = sum(f.stat().st_size for f in dest.iterdir())
    return res


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--one"]:
        target = argv[1]
        rest = argv[3:] if argv[2:3] == ["--"] else argv[2:]
        _one(target, rest)
        return 0
    import targets as T

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("targets", nargs="*", help=f"targets (default all): {', '.join(T.TARGETS)}")
    ap.add_argument("--seconds", type=float, default=float(os.environ.get("FUZZ_SECONDS", "30")),
                    help="base time budget per target (env FUZZ_SECONDS); multiplied by the target's weight")
    ap.add_argument("--workdir", default=os.environ.get("FUZZ_WORKDIR", "/tmp/unspin-fuzz"))
    ap.add_argument("--keep", default=str(ROOT / "tests" / "fuzz_corpus"), help="kept regression corpus root")
    ap.add_argument("--no-keep", action="store_true", help="do not refresh the kept corpus")
    args = ap.parse_args(argv)
    names = args.targets or list(T.TARGETS)
    bad = [n for n in names if n not in T.TARGETS]
    if bad:
        ap.error(f"unknown target(s): {', '.join(bad)}")
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    keep_root = Path(args.keep)
    results = []
    for name in names:
        secs = max(1.0, args.seconds * WEIGHTS.get(name, 1.0))
        print(f"fuzz {name}: {secs:.0f} s ...", flush=True)
        r = run_target(name, secs, workdir, keep_root, refresh=not args.no_keep)
        results.append(r)
        print(f"  {r['inputs']:>10,} inputs in {r['seconds']} s, corpus {r['corpus_found']}, "
              f"kept {r.get('kept', '-')}" + ("  CRASH (see crash_log / " + str(workdir / 'crashes') + ")"
                                                 if r["crash"] else ""), flush=True)
        if r["crash"]:
            print(r["crash_log"], file=sys.stderr)
    total = sum(r["inputs"] for r in results)
    print(f"total: {total:,} inputs, {sum(r['crash'] for r in results)} target(s) crashed")
    stats = workdir / "stats.json"
    prev = json.loads(stats.read_text()) if stats.exists() else []
    stats.write_text(json.dumps(prev + [{"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                          "results": results}], indent=1))
    return 1 if any(r["crash"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
