"""Whole long documents: false findings on honest long texts and findings on a long spun text.

    .venv/bin/python benchmarks/long_docs_bench.py [--label after] [--fiction-docs 40]
    PYTHONPATH=/path/to/older/checkout/src .venv/bin/python benchmarks/long_docs_bench.py --label before

`unspin bench` scores test documents of at most ~1,200 words (the corpus cuts longer texts into ~800-word
parts), but users check whole papers, chapters and speeches. This measures, with the engine on the Python path:
- the 59 inaugural addresses of ../shared/data/nltk-pd-speeches, each checked whole (135–8,428 words);
- fiction excerpts of ~3,000 consecutive words from ../shared/data/fiction-gutenberg (paragraphs of one book);
- one ~30,000-word text made of test-split documents of every register, spun by `unspin.spin` (crude, Moby,
  rate 0.2, seed 3): finding-level precision and recall against the spinner's alignment, spin score, verdict.
Results are added under `--label` to benchmarks/results/long_docs.json; long_docs.md shows every label.
Nothing from the corpus is written to the repository.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
OUT_JSON = ROOT / "benchmarks" / "results" / "long_docs.json"
OUT_MD = ROOT / "benchmarks" / "results" / "long_docs.md"


def honest(texts: list[str]) -> dict:
    import unspin

    verdicts: Counter = Counter()
    words = findings = suspects = 0
    for t in texts:
        r = unspin.check(t, fingerprints=False)
        verdicts[r.verdict] += 1
        words += r.words
        n = len(r.at_level("finding"))
        findings += n
        suspects += len(r.findings) - n
    return {"docs": len(texts), "words": words, "verdicts": dict(verdicts),
            "findings_per_1000": round(1000 * findings / max(words, 1), 2),
            "suspects_per_1000": round(1000 * suspects / max(words, 1), 2)}


def inaugural() -> list[str]:
    from unspin.decoding import decode_bytes

    return [decode_bytes(p.read_bytes(), str(p)).text for p in sorted((DATA / "nltk-pd-speeches" / "inaugural").glob("*.txt"))]


def fiction(n_docs: int, target: int = 3000) -> list[str]:
    books: dict[str, list] = defaultdict(list)
    with open(DATA / "fiction-gutenberg" / "corpus.jsonl", encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            book, _, para = d["id"].rpartition("/p")
            books[book].append((int(para) if para.isdigit() else 0, d["text"]))
    docs = []
    for paras in books.values():
        paras.sort()
        cur, n = [], 0
        for _, t in paras:
            cur.append(t)
            n += len(t.split())
            if n >= target:
                docs.append("\n\n".join(cur))
                cur, n = [], 0
    return docs[:n_docs]


def spun_long(target_words: int = 30000) -> dict:
    import unspin
    from unspin import corpus
    from unspin.spin import spin

    docs = corpus.select(corpus.load_documents(), "test", seed=7)
    parts, n = [], 0
    for d in docs:
        parts.append(d.text)
        n += d.words
        if n >= target_words:
            break
    res = spin("\n\n".join(parts), rate=0.2, seed=3)
    truth = [(s.start, s.end) for s in res.spans]
    r = unspin.check(res.text, fingerprints=False)
    found = r.at_level("finding")
    tp = sum(any(f.start < e and s < f.end for s, e in truth) for f in found)
    hit = sum(any(f.start < e and s < f.end for f in found) for s, e in truth)
    return {"words": r.words, "spun_spans": len(truth), "findings": len(found),
            "precision": round(tp / max(len(found), 1), 3), "recall": round(hit / max(len(truth), 1), 3),
            "spin_score": None if r.spin_score is None else round(r.spin_score, 4), "verdict": r.verdict}


def write_md(results: dict) -> None:
    lines = ["# Whole long documents (`benchmarks/long_docs_bench.py`)", "",
             "`unspin bench` scores documents of at most ~1,200 words; these are checked whole (reads "
             "../shared/data at run time). Labels: the engine measured (see `commit`).", "",
             "| label | commit | date | inaugural addresses: findings / suspects per 1,000 words, verdicts | fiction "
             "~3,000-word excerpts: findings / suspects per 1,000, verdicts | ~30k-word spun text: precision / "
             "recall / spin score / verdict |", "|---|---|---|---|---|---|"]
    for label in sorted(results, key=lambda name: (name != "before", name)):
        r = results[label]
        a, f, s = r["inaugural"], r["fiction"], r["spun"]
        lines.append(f"| {label} | {r.get('commit', '')} | {r['date']} | {a['findings_per_1000']} / "
                     f"{a['suspects_per_1000']} ({a['docs']} docs, {a['words']} words; {a['verdicts']}) | "
                     f"{f['findings_per_1000']} / {f['suspects_per_1000']} ({f['docs']} docs, {f['words']} words; "
                     f"{f['verdicts']}) | {s['precision']} / {s['recall']} / {s['spin_score']} / {s['verdict']} "
                     f"({s['spun_spans']} spun spans, {s['words']} words) |")
    OUT_MD.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--label", default="after")
    ap.add_argument("--fiction-docs", type=int, default=40)
    args = ap.parse_args()
    import unspin

    src = Path(unspin.__file__).resolve().parents[1]
    commit = subprocess.run(["git", "-C", str(src), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    t0 = time.time()
    r = {"commit": commit, "date": time.strftime("%Y-%m-%d %H:%M"), "engine_src": str(src),
         "inaugural": honest(inaugural()), "fiction": honest(fiction(args.fiction_docs)), "spun": spun_long()}
    r["seconds"] = round(time.time() - t0, 1)
    results = json.loads(OUT_JSON.read_text()) if OUT_JSON.exists() else {}
    results[args.label] = r
    OUT_JSON.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    write_md(results)
    print(json.dumps(r, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
