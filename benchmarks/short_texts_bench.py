"""Short texts — what an editor plug-in or a pasted paragraph sends: findings and verdicts on texts of 20–150 words,
spun and honest, and on texts with a single swap.

    .venv/bin/python benchmarks/short_texts_bench.py [--texts 300]

Reads ../shared/data at run time (nothing from it is stored). Texts: the leading whole sentences of test-split
documents of every register (unspin.corpus; training never sees the test split), one text per document and length
band (20–39, 40–79, 80–150 words; a document whose first sentence overshoots a band gives none for it). Each is
checked unspun (false findings and suspects per 1,000 words, verdicts) and spun (`unspin spin`, seeds apart from
training and `unspin bench`) under the bench's conditions: *same* (Moby → Moby+MyThes+WordNet) with crude spinning
at 0.1 and 0.3, rewriter and careful at 0.3, and the honest *cross* conditions (MyThes → Moby+WordNet, WordNet →
Moby+MyThes) with crude spinning at 0.1. *One swap*: the crude 0.3 output with every swap but one (drawn at random)
put back, so the text differs from its original in one place — the case the second pass, which weighs the rest of
the document's evidence, finds hardest. Metrics match `unspin bench` (unspin.metrics: one matching rule). Writes
benchmarks/results/short_texts.{md,json}.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

from shared_data import load_test_split  # benchmarks/ (the script's folder is on the path)

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results"
BANDS = ((20, 39), (40, 79), (80, 150))
SEED = 70_000  # spinner seeds: apart from training's and the bench's
# (name, spinner thesaurus, detector thesauri or None for every installed one, style, rate, one swap only)
CONDITIONS = (
    ("same", "moby", None, "crude", 0.1, False),
    ("same", "moby", None, "crude", 0.3, False),
    ("same", "moby", None, "rewriter", 0.3, False),
    ("same", "moby", None, "careful", 0.3, False),
    ("same", "moby", None, "crude", 0.3, True),
    ("cross-mythes", "mythes", ("moby", "wordnet"), "crude", 0.1, False),
    ("cross-mythes", "mythes", ("moby", "wordnet"), "crude", 0.3, True),
    ("cross-wordnet", "wordnet", ("moby", "mythes"), "crude", 0.1, False),
)


def leading_text(text: str, lo: int, hi: int) -> str | None:
    """The document's first whole sentences, `lo` to `hi` words in all (None when no prefix fits)."""
    from unspin.text import sentences, tokenize

    toks = tokenize(text)
    n, end = 0, None
    for s in sentences(toks, text):
        n += sum(1 for t in s if t.kind == "word")
        if n > hi:
            break
        end = s[-1].end
        if n >= lo:
            return text[:end]
    return None


def one_swap(res, rng: random.Random):
    """(text, truth) with only one of the spinner's swaps kept, drawn at random; None when it made none."""
    if not res.spans:
        return None
    s = rng.choice(res.spans)
    text = res.original[: s.orig_start] + s.spun + res.original[s.orig_end :]
    return text, [(s.orig_start, s.orig_start + len(s.spun), s.original)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--texts", type=int, default=300, help="texts per length band")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    import unspin
    from unspin.knowledge.thesaurus import available_sources
    from unspin.metrics import SpanScore, score_findings
    from unspin.spin import spin

    docs = load_test_split(args.seed)
    if docs is None:
        return 4
    available = set(available_sources())
    t0 = time.time()
    bands = {}
    for lo, hi in BANDS:
        texts = []
        for d in docs:
            t = leading_text(d.text, lo, hi)
            if t:
                texts.append((d.register, t))
            if len(texts) >= args.texts:
                break
        name = f"{lo}–{hi} words"
        clean = Counter()
        verdicts = Counter()
        for _, t in texts:
            rep = unspin.check(t, fingerprints=False)
            clean["words"] += rep.words
            clean["findings"] += len(rep.at_level("finding"))
            clean["suspects"] += len(rep.findings) - len(rep.at_level("finding"))
            verdicts[rep.verdict] += 1
        band = {"texts": len(texts), "registers": len({r for r, _ in texts}), "clean": dict(clean),
                "clean_verdicts": dict(verdicts), "conditions": []}
        for cname, source, thesauri, style, rate, single in CONDITIONS:
            if source not in available or (thesauri and not set(thesauri) <= available):
                continue
            rng = random.Random(args.seed + 1)
            finding, suspect = SpanScore(), SpanScore()
            called = Counter()
            for i, (_, t) in enumerate(texts):
                res = spin(t, rate=rate, seed=SEED + i, style=style, sources=(source,))
                if single:
                    got = one_swap(res, rng)
                    if got is None:
                        continue
                    text, truth = got
                else:
                    if not res.spans:
                        continue
                    text, truth = res.text, [(s.start, s.end, s.original) for s in res.spans]
                rep = unspin.check(text, fingerprints=False, thesauri=thesauri)
                finding.add(score_findings(rep.at_level("finding"), truth))
                suspect.add(score_findings(rep.findings, truth))
                called[rep.verdict] += 1
            m, s = finding.metrics(), suspect.metrics()
            band["conditions"].append({
                "condition": cname, "spinner": source, "detector": "+".join(thesauri or sorted(available)),
                "style": style, "rate": rate, "one_swap": single, "texts": sum(called.values()),
                "swaps": m["true_spans"], "precision": m["precision"], "recall": m["recall"],
                "restore@1": m["restore@1"], "suspect_precision": s["precision"], "suspect_recall": s["recall"],
                "verdicts": dict(called)})
        bands[name] = band
        print(f"{name}: {len(texts)} texts, {time.time() - t0:.0f} s", file=sys.stderr)
    r = {"command": "python benchmarks/short_texts_bench.py" + (f" --texts {args.texts}" if args.texts != 300 else ""),
         "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "seconds": round(time.time() - t0, 1),
         "bands": bands}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "short_texts.json").write_text(json.dumps(r, indent=1))
    (OUT / "short_texts.md").write_text("\n".join(markdown(r)) + "\n")
    print("\n".join(markdown(r)))
    return 0


def _verdicts(v: dict) -> str:
    n = max(sum(v.values()), 1)
    return " / ".join(f"{v.get(k, 0) / n:.0%}" for k in ("spun", "uncertain", "clean"))


def markdown(r: dict) -> list[str]:
    lines = ["## Short texts (`benchmarks/short_texts_bench.py`)", "",
             f"- Command: `{r['command']}`; {r['date']}; {r['seconds']:.0f} s. Reads ../shared/data at run time "
             "(nothing stored).",
             "- What an editor plug-in or a pasted paragraph sends: the leading whole sentences of test-split "
             "documents of every register, one text per document and length band. Texts under 40 words get no spin "
             "score (verdict `uncertain` by design). *One swap*: the crude 0.3 output with every swap but one put "
             "back. Verdicts are shares of spun / uncertain / clean.", "",
             "| length | honest texts: false findings, suspects per 1,000 words | honest texts' verdicts |",
             "|---|---|---|"]
    for name, b in r["bands"].items():
        c = b["clean"]
        w = max(c.get("words", 0), 1)
        lines.append(f"| {name} ({b['texts']} texts, {b['registers']} registers) | "
                     f"{1000 * c.get('findings', 0) / w:.2f}, {1000 * c.get('suspects', 0) / w:.2f} | "
                     f"{_verdicts(b['clean_verdicts'])} |")
    lines += ["", "| length | condition | spinning | swaps | precision | recall | restore@1 | suspect precision "
              "| suspect recall | verdicts |", "|---|---|---|---|---|---|---|---|---|---|"]
    for name, b in r["bands"].items():
        for m in b["conditions"]:
            how = "one swap" if m["one_swap"] else f"{m['style']} {m['rate']}"
            lines.append(f"| {name} | {m['condition']} | {how} | {m['swaps']} | {m['precision']:.2f} | "
                         f"{m['recall']:.2f} | {m['restore@1']:.2f} | {m['suspect_precision']:.2f} | "
                         f"{m['suspect_recall']:.2f} | {_verdicts(m['verdicts'])} |")
    return lines


if __name__ == "__main__":
    sys.exit(main())
