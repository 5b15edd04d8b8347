"""Tortured phrases inside real scientific abstracts: what `unspin check` finds with no list, with most of the
PPS list imported, and which verdicts the abstracts get.

    .venv/bin/python benchmarks/abstracts_bench.py

Reads ../shared/data at run time (nothing from it is stored). Abstracts: the test split of `sci-abstracts`
(unspin.corpus; training never sees it). Phrases: the PPS JSON list (pps-torturedcheck), shuffled (seed 0)
and cut 80/20 as benchmarks/variants_bench.py cuts it. In every abstract that holds at least two expected
phrases of the list (word-boundary, case-insensitive), each occurrence is replaced by its tortured phrase,
as a paper mill's tool does. Each abstract is then checked

- with no list (the engine alone),
- with the 80 % part imported (a temporary database: listed phrases, their variants, and the word pairs the
  list teaches the engine), scored separately on the phrases of the 80 % (listed: found by construction) and
  on those of the held-out 20 % (what a list that lags behind the paper mills still catches),

and so is its unspun original (false findings, verdicts). A phrase counts as flagged when a finding of either
level overlaps it. Writes benchmarks/results/abstracts.{md,json}.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import random
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
JSON_LIST = DATA / "pps-torturedcheck" / "tortured-phrases.json"
OUT = ROOT / "benchmarks" / "results"
MIN_PHRASES = 2  # a paper-mill abstract holds several; one alone is the carrier-sentence case of `unspin bench`


def substitute(text: str, pattern: re.Pattern, by_expected: dict) -> tuple[str, list[tuple[int, int, str]]]:
    """`text` with every expected phrase replaced by its tortured one, and (start, end, expected) of each."""
    out, spans, pos, length = [], [], 0, 0
    for m in pattern.finditer(text):
        out.append(text[pos : m.start()])
        length += m.start() - pos
        tortured = by_expected[m.group().lower()][0]
        spans.append((length, length + len(tortured), m.group().lower()))
        out.append(tortured)
        length += len(tortured)
        pos = m.end()
    out.append(text[pos:])
    return "".join(out), spans


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--docs", type=int, default=200, help="abstracts with tortured phrases to check")
    args = ap.parse_args()
    if not JSON_LIST.exists():
        print(f"{JSON_LIST}: missing (this benchmark reads ../shared/data)", file=sys.stderr)
        return 4
    import unspin
    from unspin import corpus
    from unspin.fingerprints import parse_file
    from unspin.fingerprints.parse import clean_expected
    from unspin.fingerprints.store import Store

    parsed = parse_file(JSON_LIST)
    entries = list(parsed.entries)
    random.Random(args.seed).shuffle(entries)
    cut = int(len(entries) * 0.8)
    imported = {id(e) for e in entries[:cut]}
    by_expected: dict[str, tuple[str, bool]] = {}  # expected → (tortured, in the imported 80 %)
    for e in entries:
        if not e.tortured or not e.expected or e.uncertain or e.tortured.lower() == e.expected.lower():
            continue
        exp = clean_expected(e.expected).lower()
        if len(exp.split()) >= 2 and "(" not in exp:
            by_expected.setdefault(exp, (e.tortured, id(e) in imported))
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, by_expected), key=len, reverse=True)) + r")\b",
                         re.IGNORECASE)
    docs = [d for d in corpus.load_documents() if d.register == "sci-abstracts" and d.split == "test"]
    random.Random(args.seed).shuffle(docs)
    chosen = []
    for d in docs:
        text, spans = substitute(d.text, pattern, by_expected)
        if len(spans) >= MIN_PHRASES:
            chosen.append((d, text, spans))
        if len(chosen) >= args.docs:
            break
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "fp.sqlite")
        with Store(db) as store:
            store.save("pps80", dataclasses.replace(parsed, entries=entries[:cut]), source=str(JSON_LIST))
        conditions = {"no list": {"fingerprints": False}, "80 % of the list imported": {"fingerprints_db": db}}
        results = {}
        t0 = time.time()
        for name, opts in conditions.items():
            c: Counter = Counter()
            verdicts: Counter = Counter()
            clean_verdicts: Counter = Counter()
            for d, text, spans in chosen:
                rep = unspin.check(text, **opts)
                clean = unspin.check(d.text, **opts)
                for a, b, exp in spans:
                    part = "listed" if by_expected[exp][1] else "held out"
                    hits = [f for f in rep.findings if f.start < b and a < f.end]
                    c[f"{part} phrases"] += 1
                    c[f"{part} flagged"] += bool(hits)
                    c[f"{part} findings"] += any(f.level == "finding" for f in hits)
                    c[f"{part} restored"] += any(f.start == a and f.end == b and f.suggestions
                                                 and f.suggestions[0].lower() == exp for f in hits)
                verdicts[rep.verdict] += 1
                clean_verdicts[clean.verdict] += 1
                c["clean words"] += clean.words
                c["clean false findings"] += len(clean.at_level("finding"))
                c["clean false suspects"] += len(clean.findings) - len(clean.at_level("finding"))
            results[name] = {"counts": dict(c), "verdicts of spun abstracts": dict(verdicts),
                             "verdicts of their originals": dict(clean_verdicts)}
    r = {"command": "python benchmarks/abstracts_bench.py", "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
         "abstracts": len(chosen), "phrases": sum(len(s) for _, _, s in chosen),
         "words": sum(d.words for d, _, _ in chosen), "seconds": round(time.time() - t0, 1), "results": results}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "abstracts.json").write_text(json.dumps(r, indent=1))
    (OUT / "abstracts.md").write_text("\n".join(markdown(r)) + "\n")
    print("\n".join(markdown(r)))
    return 0


def _share(c: dict, part: str, what: str) -> str:
    n = c.get(f"{part} phrases", 0)
    return f"{c.get(f'{part} {what}', 0) / n:.1%}" if n else "–"


def markdown(r: dict) -> list[str]:
    lines = ["## Tortured phrases in real abstracts (`benchmarks/abstracts_bench.py`)", "",
             f"- Command: `{r['command']}`; {r['date']}. Reads ../shared/data at run time (nothing stored).",
             f"- {r['abstracts']} test-split abstracts of `sci-abstracts` ({r['words']:,} words) holding at least "
             f"{MIN_PHRASES} expected phrases of the PPS list, each replaced by its tortured phrase as a paper mill's "
             f"tool does: {r['phrases']} phrases. The list is cut 80/20 (seed 0, as in the variants benchmark).", "",
             "| condition | phrases of the imported 80 %: flagged / at finding level / restored | held-out 20 %: "
             "flagged / finding / restored | spun abstracts' verdicts | their originals' verdicts | originals: false "
             "findings, suspects per 1,000 words |",
             "|---|---|---|---|---|---|"]
    for name, v in r["results"].items():
        c = v["counts"]
        listed = " / ".join(_share(c, "listed", w) for w in ("flagged", "findings", "restored"))
        held = " / ".join(_share(c, "held out", w) for w in ("flagged", "findings", "restored"))
        words = max(c.get("clean words", 0), 1)
        lines.append(f"| {name} | {listed} ({c.get('listed phrases', 0)}) | {held} ({c.get('held out phrases', 0)}) "
                     f"| {_verdicts(v['verdicts of spun abstracts'])} | {_verdicts(v['verdicts of their originals'])} "
                     f"| {1000 * c.get('clean false findings', 0) / words:.2f}, "
                     f"{1000 * c.get('clean false suspects', 0) / words:.2f} |")
    return lines


def _verdicts(v: dict) -> str:
    return ", ".join(f"{k} {v.get(k, 0)}" for k in ("spun", "uncertain", "clean"))


if __name__ == "__main__":
    sys.exit(main())
