"""What the corpus screen's first stage clears, by spinner condition (issue 13: at most 2 % of crude spun
documents, rate ≥ 0.1, may be cleared without span analysis).

    .venv/bin/python benchmarks/screen_cascade_bench.py [--docs 400] [--compare CUT ...]

Test-split documents of 40+ words (../shared/data, read at run time): every one clean (share cleared, per
register), and the first --docs of them spun crudely by each thesaurus at rates 0.1, 0.2 and 0.3, and by a
rewriter site (common synonyms) at 0.3 (share cleared per condition). MyThes is the held-out spinner: the cut
(`unspin train --cuts-only`) is chosen on dev documents spun by Moby and WordNet only. The first stage reads no candidate and no thesaurus the spinner used beyond its
span facts, so a detector's thesauri do not change these numbers. `--compare` adds other cut values (e.g. an
earlier model's) measured on the same documents. Writes benchmarks/results/screen_cascade.{json,md}.
"""
from __future__ import annotations

import argparse
import json
import random
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results"
SOURCES = ("moby", "wordnet", "mythes")
RATES = (0.1, 0.2, 0.3)
CONDITIONS = tuple((source, "crude", rate) for source in SOURCES for rate in RATES) + \
    tuple((source, "rewriter", 0.3) for source in SOURCES)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=400, help="test documents spun per condition")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--compare", type=float, nargs="*", default=[], help="other first-stage cuts to measure")
    args = ap.parse_args()
    from unspin import corpus, engine
    from unspin.bench import machine_line
    from unspin.spin import spin
    from unspin.train import screen_decisions

    t0 = time.time()
    k = engine.knowledge()
    model = k.model
    docs = [d for d in corpus.load_documents() if d.split == "test" and d.words >= 40]
    random.Random(args.seed).shuffle(docs)
    clean = screen_decisions([d.text for d in docs], k, model)
    registers = [d.register for d in docs]
    spun: dict[str, np.ndarray] = {}
    for source, style, rate in CONDITIONS:
        texts = [spin(d.text, rate=rate, seed=9000 + i, style=style, sources=(source,)).text
                 for i, d in enumerate(docs[: args.docs])]
        spun[f"{source}/{style}/{rate}"] = screen_decisions(texts, k, model)
    cuts = {"model": float(model.screen_threshold), **{f"compare {c:g}": float(c) for c in args.compare}}
    res = {"command": "python benchmarks/screen_cascade_bench.py" + (f" --docs {args.docs}" if args.docs != 400 else "")
           + (" --compare " + " ".join(f"{c:g}" for c in args.compare) if args.compare else ""),
           "machine": machine_line(), "date": time.strftime("%Y-%m-%d %H:%M"), "clean_documents": len(docs),
           "spun_documents_per_condition": min(args.docs, len(docs)), "cuts": {}}
    for name, cut in cuts.items():
        by_reg = defaultdict(list)
        for r, z in zip(registers, clean):
            by_reg[r].append(z < cut)
        res["cuts"][name] = {
            "cut": round(cut, 4),
            "clean_cleared": round(float(np.mean(clean < cut)), 4),
            "clean_cleared_by_register": {r: round(float(np.mean(v)), 3) for r, v in sorted(by_reg.items())},
            "spun_cleared": {c: round(float(np.mean(z < cut)), 4) for c, z in spun.items()},
        }
    res["seconds"] = round(time.time() - t0, 1)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "screen_cascade.json").write_text(json.dumps(res, indent=1) + "\n")
    (OUT / "screen_cascade.md").write_text("\n".join(markdown(res)) + "\n")
    print("\n".join(markdown(res)))
    return 0


def markdown(res: dict) -> list[str]:
    conds = list(next(iter(res["cuts"].values()))["spun_cleared"])
    lines = ["# What the screen's first stage clears, by spinner condition (issue 13)", "",
             f"- Command: `{res['command']}` ({res['date']}; {res['machine']}); test split, "
             f"{res['clean_documents']} clean documents of 40+ words, {res['spun_documents_per_condition']} spun "
             "per condition (source/style/rate). MyThes is the held-out spinner (the cut is chosen on dev documents "
             "spun by Moby and WordNet: `unspin train --cuts-only`).", "",
             "| cut | clean cleared | " + " | ".join(f"{c} cleared" for c in conds) + " |",
             "|---|---|" + "---|" * len(conds)]
    for name, r in res["cuts"].items():
        lines.append(f"| {name} ({r['cut']:.3f}) | {r['clean_cleared']:.3f} | "
                     + " | ".join(f"{r['spun_cleared'][c]:.3f}" for c in conds) + " |")
    lines += ["", "Clean documents cleared by register: " + "; ".join(
        f"{name}: " + ", ".join(f"{k} {v:.2f}" for k, v in r["clean_cleared_by_register"].items())
        for name, r in res["cuts"].items())]
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
