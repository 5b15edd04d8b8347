"""Assemble BENCHMARKS.md from the latest result files.

    python benchmarks/make_benchmarks_md.py

Inputs: benchmarks/results/bench.json (written by `unspin bench … --out`), and the per-feature reports
benchmarks/results/{fingerprints,screen,serve,trace}.md written by the scripts next to this file.
"""
from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

TARGETS = {"precision": 0.90, "recall": 0.90, "restore@1": 0.70, "clean_fp_per_1000": 1.0, "words_per_s": 50_000}


def engine_section(b: dict) -> str:
    meta = b.get("model_meta", {})
    lines = [
        "## Core engine (`unspin bench`)",
        "",
        f"- Command: `unspin bench --pps ../shared/data/pps-torturedcheck/tortured-phrases.json --words 20000 "
        f"--pps-limit 1500 --out benchmarks/results/bench.json` (reads ../shared/data; nothing from it is stored)",
        f"- Date: {b['date']} UTC; machine: {b['machine']['cpu']}, {b['machine']['cores']} cores, Python "
        f"{b['machine']['python']}; shared with other jobs, so speeds are noisy.",
        f"- Test split only ({b['test_docs']} documents; split by document id, 60/15/25 % train/dev/test, "
        "`unspin.corpus.split_of`); spinner seeds differ from training's. The model was trained by "
        f"`{meta.get('command', 'unspin train')}` on {meta.get('train_docs')} train documents "
        f"({meta.get('train_words')} words) with dev metrics {meta.get('dev_metrics')}.",
        "- **same** = the spinner draws from Moby, the thesaurus the detector indexes (flatters us). "
        "**cross** = the spinner draws from Debian mythes-en-us, which the detector never uses and training never "
        "saw — the condition that counts.",
        "- A finding is correct when it overlaps a spun span; restore@k is over correctly found spans; AUCs "
        "compare spun texts with the same texts unspun (documents: spin_score; paragraphs: the calibrated score "
        "of the findings' confidence inside each paragraph of 25+ words); FP/1k = findings per 1,000 words of the "
        "unspun texts; words/s = single process, steady state (caches warm, spun and clean texts).",
        "",
        "| condition | style | rate | precision | recall | F1 | restore@1 | restore@3 | doc AUC | para AUC | FP/1k clean | words/s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for m in b["conditions"]:
        lines.append(
            f"| {m['condition']} ({m['spinner_source']}) | {m['style']} | {m['rate']} | {m['precision']:.2f} | "
            f"{m['recall']:.2f} | {m['f1']:.2f} | {m['restore@1']:.2f} | {m['restore@3']:.2f} | {m['doc_auc']:.3f} | "
            f"{m['paragraph_auc']:.3f} | {m['clean_fp_per_1000']:.2f} | {m['words_per_s']:.0f} |"
        )
    lines += ["", f"Cold start (`unspin check` of one page in a fresh process, cache built): median "
              f"**{b['cold_start_s']} s**. Peak RSS of the bench process: {b['peak_rss_mb']} MB.", ""]
    curve = b.get("operating_curve") or []
    if curve:
        lines += ["Operating curve (cross, crude, rate 0.3; one check at threshold 0.3, higher thresholds filter by "
                  f"confidence; the shipped default threshold is {meta.get('dev_metrics', {}).get('threshold')}, `--review` is 0.3):", "",
                  "| threshold | precision | recall | F1 | restore@1 | FP/1k clean |", "|---|---|---|---|---|---|"]
        for c in curve:
            lines.append(f"| {c['threshold']} | {c['precision']:.2f} | {c['recall']:.2f} | {c['f1']:.2f} | "
                         f"{c['restore@1']:.2f} | {c['clean_fp_per_1000']:.2f} |")
        lines.append("")
    pps = b.get("pps")
    if pps:
        lines += [f"PPS run ({pps['phrases']} tortured phrases sampled from `{pps['list']}`, each in the neutral "
                  "carrier sentence \"The authors describe how … was used in the experiments reported in this "
                  "section.\", **no fingerprint list loaded**): flagged "
                  f"**{pps['flagged_share']:.1%}**, restore@1 of the expected phrase **{pps['restore@1']:.1%}**, "
                  f"at least one word restored {pps['some_word_restored_share']:.1%}. (With the list imported, "
                  "`unspin fingerprints` matches all of them: see the fingerprints section.)", ""]
    return "\n".join(lines)


def main() -> None:
    parts = [Path(ROOT / "benchmarks" / "HEADER.md").read_text()]
    bench = RESULTS / "bench.json"
    if bench.exists():
        parts.append(engine_section(json.loads(bench.read_text())))
    for name in ("fingerprints", "screen", "serve", "trace"):
        f = RESULTS / f"{name}.md"
        if f.exists():
            text = f.read_text().strip()
            # demote the file's own title one level under this page
            text = "\n".join(("#" + ln if ln.startswith("#") else ln) for ln in text.splitlines())
            parts.append(text)
    (ROOT / "BENCHMARKS.md").write_text("\n\n".join(parts) + "\n")


if __name__ == "__main__":
    main()
