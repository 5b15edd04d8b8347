"""Stability — does the spin score hold still when a text changes in ways that change nothing it says?

    .venv/bin/python benchmarks/stability_bench.py [--per-register 40] [--name stability]

A user who appends a signature, pastes a title above a paragraph or double-spaces sentences must not see the
verdict move: a number that jumps on such edits does not mean what its label says. Reads ../shared/data at run
time (nothing from it is stored). Texts: test-split documents of every register, 60–600 words (`unspin.corpus`;
training never sees the test split), up to --per-register each, checked as they are and spun (`unspin spin`, crude
0.1, Moby; seeds apart from training's and the bench's). Each is checked again after each edit below, and the
change of its spin score, its verdict and its `finding`-level words is counted. Writes
benchmarks/results/<name>.{md,json}.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results"
SEED = 90_000  # spinner seeds: apart from training's, the bench's and the short-texts bench's

# (name, what a user did, the edit); none changes a word of what the text says
EDITS = (
    ("stray word", "a stray word after the last sentence", lambda t: t.rstrip() + " x"),
    ("closing line", "a closing line ('Thanks.') after a blank line", lambda t: t.rstrip() + "\n\nThanks."),
    ("title line", "a title line ('Notes') and a blank line before the text", lambda t: "Notes\n\n" + t),
    ("double spaces", "two spaces after each full stop", lambda t: t.replace(". ", ".  ")),
)


def finding_words(rep) -> Counter:
    """The text's `finding`-level words (case folded) with their counts: what a reader sees flagged."""
    return Counter(f.text.lower() for f in rep.at_level("finding"))


def summary(deltas: list[float], verdicts: list[tuple[str, str]], changed_findings: int) -> dict:
    d = sorted(deltas)
    n = len(d)
    return {
        "texts": n,
        "median_abs_change": round(statistics.median(d), 4) if d else None,
        "p90_abs_change": round(d[int(0.9 * (n - 1))], 4) if d else None,
        "max_abs_change": round(d[-1], 4) if d else None,
        "share_over_0.1": round(sum(x > 0.1 for x in d) / n, 4) if n else None,
        "share_over_0.2": round(sum(x > 0.2 for x in d) / n, 4) if n else None,
        "verdict_changed": sum(a != b for a, b in verdicts),
        "spun_verdict_changed": sum((a == "spun") != (b == "spun") for a, b in verdicts),
        "findings_changed": changed_findings,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-register", type=int, default=40, help="documents per register")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--name", default="stability", help="result file name (stability_before for a baseline)")
    args = ap.parse_args()
    import unspin
    from unspin import corpus
    from unspin.spin import spin

    try:
        docs = [d for d in corpus.load_documents() if d.split == "test" and 60 <= d.words <= 600]
    except FileNotFoundError as e:
        print(f"{e} (this benchmark reads ../shared/data)", file=sys.stderr)
        return 4
    random.Random(args.seed).shuffle(docs)
    per = Counter()
    chosen = []
    for d in docs:
        if per[d.register] < args.per_register:
            per[d.register] += 1
            chosen.append(d)
    t0 = time.time()
    kinds = {"honest": [d.text for d in chosen]}
    kinds["spun (crude 0.1, Moby)"] = [spin(d.text, rate=0.1, seed=SEED + i, style="crude", sources=("moby",)).text
                                       for i, d in enumerate(chosen)]
    results = {}
    for kind, texts in kinds.items():
        base = [unspin.check(t, fingerprints=False) for t in texts]
        for name, _, edit in EDITS:
            deltas, verdicts, changed = [], [], 0
            for t, b in zip(texts, base):
                r = unspin.check(edit(t), fingerprints=False)
                if b.spin_score is not None and r.spin_score is not None:
                    deltas.append(abs(r.spin_score - b.spin_score))
                verdicts.append((b.verdict, r.verdict))
                changed += finding_words(b) != finding_words(r)
            results[f"{kind} / {name}"] = {"kind": kind, "edit": name, **summary(deltas, verdicts, changed)}
        print(f"{kind}: {len(texts)} texts, {time.time() - t0:.0f} s", file=sys.stderr)
    r = {"command": "python benchmarks/stability_bench.py"
                    + (f" --per-register {args.per_register}" if args.per_register != 40 else "")
                    + (f" --name {args.name}" if args.name != "stability" else ""),
         "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "seconds": round(time.time() - t0, 1),
         "texts": len(chosen), "registers": sorted(per), "results": results}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{args.name}.json").write_text(json.dumps(r, indent=1))
    before = OUT / "stability_before.json"  # the same command run on an earlier revision (--name stability_before)
    before = json.loads(before.read_text()) if args.name == "stability" and before.exists() else None
    (OUT / f"{args.name}.md").write_text("\n".join(markdown(r, before)) + "\n")
    print("\n".join(markdown(r, before)))
    return 0


def markdown(r: dict, before: dict | None = None) -> list[str]:
    lines = [
        "## Stability of the spin score under edits that change nothing said (`benchmarks/stability_bench.py`)",
        "",
        f"- Command: `{r['command']}` ({r['date']}; {r['seconds']} s); {r['texts']} test-split documents of "
        f"60–600 words from {len(r['registers'])} registers, honest and spun. Edits: "
        + "; ".join(f"*{n}*: {what}" for n, what, _ in EDITS) + ".",
        "- |Δ score| is the change of spin_score; verdicts changed counts any change (clean ↔ uncertain included), "
        "spun ↔ not the costly ones; findings changed: texts whose `finding`-level words differ after the edit.",
        "",
        "| texts / edit | texts | median abs change | p90 | max | share > 0.1 | share > 0.2 | verdicts changed | spun ↔ not | findings changed |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, m in r["results"].items():
        lines.append(_row(key, m))
    if before:
        lines += ["", f"Before, the same texts and edits (`{before['command']}`, {before['date']}; "
                  f"{before.get('revision', 'an earlier revision')}):", "",
                  lines[5], lines[6]] + [_row(key, m) for key, m in before["results"].items()]
    return lines


def _row(key: str, m: dict) -> str:
    return (f"| {key} | {m['texts']} | {m['median_abs_change']} | {m['p90_abs_change']} | {m['max_abs_change']} | "
            f"{m['share_over_0.1']} | {m['share_over_0.2']} | {m['verdict_changed']} | {m['spun_verdict_changed']} | "
            f"{m['findings_changed']} |")


if __name__ == "__main__":
    sys.exit(main())
