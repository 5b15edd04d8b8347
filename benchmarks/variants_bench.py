"""Variants of listed tortured phrases (unspin.fingerprints.variants): found on held-out PPS phrases, false on
clean prose.

    .venv/bin/python benchmarks/variants_bench.py

Reads ../shared/data at run time (nothing from it is stored): the PPS JSON list, shuffled (seed 0) and cut
80/20 as benchmarks/fingerprints_bench.py cuts it. The 80 % part is the imported list; each held-out phrase is
put in the neutral carrier sentence of `unspin bench` and counted as flagged when a finding covers it, restored
when its first suggestion is the expected phrase. False variants: every test-split document of every register
of the clean corpus (unspin.corpus), per 1,000 words. Writes benchmarks/results/variants.{md,json}.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
JSON_LIST = DATA / "pps-torturedcheck" / "tortured-phrases.json"
PAPERS = DATA / "tortured-papers-alexcla99" / "dataset_metadata.csv"
OUT = ROOT / "benchmarks" / "results"


def held_out(fs, held) -> dict:
    from unspin.bench import CARRIER

    n = flagged = restored = listed = 0
    for e in held:
        if not e.tortured or not e.expected or e.uncertain or e.tortured.lower() == e.expected.lower():
            continue
        n += 1
        text = CARRIER.format(e.tortured)
        a = text.index(e.tortured)
        b = a + len(e.tortured)
        hits = [f for f in fs.find(text) if f.start < b and a < f.end]
        if not hits:
            continue
        flagged += 1
        listed += any(f.level == "finding" for f in hits)
        from unspin.fingerprints.parse import clean_expected

        restored += any(f.suggestions and f.suggestions[0].lower() == clean_expected(e.expected).lower()
                        and (f.start, f.end) == (a, b) for f in hits)
    return {"phrases": n, "flagged": flagged / n, "restored": restored / n, "flagged as listed (exact)": listed / n}


def clean_false(fs) -> dict:
    from unspin import corpus
    from unspin.text import count_words

    docs = corpus.select(corpus.load_documents(), "test", seed=0)
    by_reg: dict[str, list[int]] = {}
    examples = []
    t = time.perf_counter()
    for d in docs:
        got = [f for f in fs.variants.find(d.text)]
        r = by_reg.setdefault(d.register, [0, 0])
        r[0] += count_words(d.text)
        r[1] += len(got)
        examples += [(d.register, f.text, f.suggestions[0]) for f in got[:1]]
    seconds = time.perf_counter() - t
    words = sum(w for w, _ in by_reg.values())
    return {"documents": len(docs), "words": words, "seconds": round(seconds, 1),
            "per_1000": {reg: round(1000 * v / w, 3) for reg, (w, v) in sorted(by_reg.items())},
            "all_per_1000": round(1000 * sum(v for _, v in by_reg.values()) / words, 3),
            "examples": examples[:12]}


def real_papers(entries) -> dict:
    """Tortured phrases seen in real flagged papers (tortured-papers-alexcla99, PPS assessments; no paper text)
    that the whole JSON list lacks verbatim, each in the carrier sentence: matched as listed (inflections),
    found as variants, or missed. There is no expected phrase to score restorations: the suggestions are listed
    for reading."""
    import csv

    from unspin.bench import CARRIER
    from unspin.fingerprints import FingerprintSet
    from unspin.fingerprints.align import phrase_words

    fs = FingerprintSet.from_entries(entries, name="pps")
    listed = {tuple(phrase_words(e.tortured)) for e in entries}
    seen = set()
    with open(PAPERS, encoding="utf-8", errors="replace", newline="") as fh:
        for row in csv.DictReader(fh):
            for p in row["Tortured Phrases"].split("•"):
                p = p.strip().lower()
                if p and not any(op in p for op in (" and ", " not ", "~")):  # PPS query syntax: not a phrase
                    seen.add(p)
    unlisted = sorted(p for p in seen if tuple(phrase_words(p)) not in listed)
    as_listed, variants = 0, []
    for p in unlisted:
        text = CARRIER.format(p)
        a = text.index(p)
        hits = [f for f in fs.find(text) if f.start < a + len(p) and a < f.end]
        if any(f.level == "finding" for f in hits):
            as_listed += 1
        elif hits:
            variants.append((p, hits[0].suggestions[0]))
    return {"phrases in papers": len(seen), "not in the list verbatim": len(unlisted),
            "matched as listed": as_listed, "found as variants": len(variants), "variants": variants}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if not JSON_LIST.exists():
        print(f"{JSON_LIST}: missing (this benchmark reads ../shared/data)", file=sys.stderr)
        return 4
    from unspin.fingerprints import FingerprintSet, parse_file

    entries = list(parse_file(JSON_LIST).entries)
    random.Random(args.seed).shuffle(entries)
    cut = int(len(entries) * 0.8)
    train, held = entries[:cut], entries[cut:]
    fs = FingerprintSet.from_entries(train, name="pps80")
    t = time.perf_counter()
    n_expected = len(fs.variants)
    build_s = time.perf_counter() - t
    r = {"command": "python benchmarks/variants_bench.py", "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
         "list": "pps-torturedcheck/tortured-phrases.json", "train (80%)": len(train), "held out (20%)": len(held),
         "expected phrases": n_expected, "build_s": round(build_s, 2), "held_out": held_out(fs, held)}
    fs.find_variants = False
    r["held_out_without_variants"] = held_out(fs, held)
    fs.find_variants = True
    r["clean"] = clean_false(fs)
    r["real_papers"] = real_papers(entries) if PAPERS.exists() else None
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "variants.json").write_text(json.dumps(r, indent=1))
    h, h0, c = r["held_out"], r["held_out_without_variants"], r["clean"]
    md = ["## Variants of listed tortured phrases (`benchmarks/variants_bench.py`)", "",
          f"- Command: `{r['command']}`; {r['date']}. Reads ../shared/data at run time (nothing stored).",
          f"- List: the PPS JSON list shuffled (seed {args.seed}) and cut 80/20 ({r['train (80%)']:,} imported, "
          f"{r['held out (20%)']:,} held out); {n_expected:,} expected phrases of 2–4 words; built in "
          f"{r['build_s']} s.", "",
          f"Held-out phrases in the carrier sentence of `unspin bench` ({h['phrases']:,} certain ones): "
          f"**{h['flagged']:.1%} flagged** (as variants at `suspect` level, or listed verbatim in the 80 %: "
          f"{h['flagged as listed (exact)']:.1%}), **{h['restored']:.1%} restored** to the expected phrase; "
          f"without variants {h0['flagged']:.1%} flagged, {h0['restored']:.1%} restored.", "",
          f"False variants on clean prose ({c['documents']:,} test-split documents, {c['words']:,} words, every "
          f"register; {c['seconds']} s): **{c['all_per_1000']} per 1,000 words** overall; by register: "
          + ", ".join(f"{k} {v}" for k, v in c["per_1000"].items()) + ".", "",
          "Examples of false variants: " + "; ".join(f"\"{t}\" → \"{s}\" ({reg})" for reg, t, s in c["examples"])
          + ".", ""]
    if r["real_papers"]:
        rp = r["real_papers"]
        md += [f"Real flagged papers (tortured-papers-alexcla99: the phrases PPS assessors found in 2,043 papers, no "
               f"paper text), with the whole JSON list imported: of {rp['phrases in papers']:,} distinct phrases, "
               f"{rp['not in the list verbatim']} are not in the list verbatim; {rp['matched as listed']} of these "
               f"match a listed phrase anyway (inflections, hyphens) and {rp['found as variants']} are found as "
               "variants: " + "; ".join(f"\"{p}\" → \"{s}\"" for p, s in rp["variants"]) + ".", ""]
    (OUT / "variants.md").write_text("\n".join(md))
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
