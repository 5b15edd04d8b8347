"""Assemble BENCHMARKS.md from the latest result files.

    python benchmarks/make_benchmarks_md.py

Inputs: benchmarks/HEADER.md (targets at a glance, written by hand from the numbers below),
benchmarks/results/bench.json (`unspin bench … --out`), speed.json (benchmarks/speed_bench.py), and the
per-feature reports benchmarks/results/{long_docs,mixed,short_texts,stability,lm,spinners,fingerprints,variants,abstracts,screen,
screen_cascade,serve,trace}.md written by the scripts next to this file. Before/after comparisons keep the older file as bench-before.json.
"""
from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def _pct(x) -> str:
    return "—" if x is None else f"{x:.0%}"


def _short_rule(th: dict, meta: dict) -> str:
    """The findings a short text needs, from the thresholds (newer bench files) or the model's calibration meta."""
    short = th.get("short_spun_findings", meta.get("short_calibration", {}).get("findings"))
    return f" (a text under 150 words also with {short} different findings)" if short else ""


def engine_section(b: dict, before: dict | None) -> str:
    meta = b.get("model_meta", {})
    th = b.get("model_thresholds", {})
    lines = [
        "## Core engine (`unspin bench`)",
        "",
        f"- Command: `{b.get('command', 'unspin bench')}` (reads ../shared/data at run time; nothing from it is stored)",
        f"- Date: {b['date']} UTC; machine: {b['machine']['cpu']}, {b['machine']['cores']} cores, Python "
        f"{b['machine']['python']}; shared with other jobs, so speeds are noisy.",
        f"- Test split only ({b['test_docs']} spun documents, {b['clean_docs']} clean ones; split by article, "
        "60/15/25 % train/dev/test, `unspin.corpus`); spinner seeds differ from training's. Model: "
        f"`{meta.get('command', 'unspin train')}` ({meta.get('train_docs')} train documents, "
        f"{meta.get('train_words')} words, {len(meta.get('registers', []))} registers); thresholds: finding "
        f"{th.get('finding')}, suspect {th.get('suspect')}; verdict spun ≥ {th.get('doc_spun')}"
        f"{_short_rule(th, meta)}, clean < {th.get('doc_clean')}.",
        "- **same**: the spinner draws from Moby, one of the detector's thesauri (flatters us). **cross-mythes**: "
        "the spinner draws from Debian MyThes, the detector reads with Moby + WordNet, and training never spins "
        "with MyThes — the honest condition. **cross-wordnet**: spinner WordNet, detector Moby + MyThes "
        "(training does spin with WordNet).",
        "- Finding level: precision/recall/F1 of `finding`-level spans (a finding is right when it overlaps a "
        "spun span); suspect level: every reported span. restore@k over correctly found spans. coverage: the "
        "original among the candidates scored in context (pool: among all candidates before the pre-ranker's "
        "cut). doc AUC: spin_score of spun vs the same documents unspun. called spun / called clean: verdict "
        "`spun` / `clean` among spun documents of 150+ words. words/s: one process, steady state. Styles: crude "
        "(free word swapper, unusual synonyms), rewriter (article-rewriter site: common synonyms of the same part of "
        "speech), careful (WordAi-like).",
        "",
        "| condition | style | rate | P | R | F1 | suspect P | suspect R | restore@1 | restore@3 | coverage | pool | doc AUC | called spun | called clean | words/s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for m in b["conditions"]:
        lines.append(
            f"| {m['condition']} ({m['spinner_source']} → {m['detector_sources']}) | {m['style']} | {m['rate']} | "
            f"{m['precision']:.2f} | {m['recall']:.2f} | {m['f1']:.2f} | {m['suspect_precision']:.2f} | "
            f"{m['suspect_recall']:.2f} | {m['restore@1']:.2f} | {m['restore@3']:.2f} | "
            f"{m['candidate_coverage']:.2f} | {m['pool_coverage']:.2f} | {m['doc_auc']:.3f} | "
            f"{m['docs_called_spun']:.2f} | {m['docs_called_clean']:.2f} | {m['words_per_s']:.0f} |")
    lines += ["", "Clean prose of every register (test split, unspun):", "",
              "| register | documents | words | false findings / 1,000 words | findings + suspects / 1,000 | 150+ word documents | called spun | uncertain |",
              "|---|---|---|---|---|---|---|---|"]
    for reg, r in sorted(b["clean_by_register"].items()):
        lines.append(f"| {reg} | {r['docs']} | {r['words']} | {r['fp_per_1000']:.2f} | {r['suspects_per_1000']:.2f} | "
                     f"{r['long_docs']} | {r['called_spun']:.1%} | {r['called_uncertain']:.1%} |")
    lines += ["", f"Cold start (`unspin check` of one page in a fresh process, caches built): median "
              f"**{b['cold_start_s']} s**. Peak RSS of the bench process: {b['peak_rss_mb']} MB.", ""]
    curve = b.get("operating_curve") or []
    if curve:
        lines += ["Operating curve (cross-mythes, crude, rate 0.3; every span checked once at threshold 0.3, higher "
                  "thresholds filter by confidence; clean = the same documents unspun):", "",
                  "| threshold | precision | recall | F1 | restore@1 | FP/1k clean |", "|---|---|---|---|---|---|"]
        for c in curve:
            lines.append(f"| {c['threshold']} | {c['precision']:.2f} | {c['recall']:.2f} | {c['f1']:.2f} | "
                         f"{c['restore@1']:.2f} | {c['clean_fp_per_1000']:.2f} |")
        lines.append("")
    pps = b.get("pps")
    if pps:
        lines += [f"PPS run ({pps['phrases']} tortured phrases sampled from `{pps['list']}`, each in the neutral "
                  "carrier sentence \"The authors describe how … was used in the experiments reported in this "
                  "section.\", **no fingerprint list loaded**): flagged (finding or suspect) "
                  f"**{pps['flagged_share']:.1%}** ({pps['flagged_finding_share']:.1%} at finding level), the "
                  f"expected phrase restored exactly **{pps['restore@1']:.1%}**, at least one word restored "
                  f"{pps['some_word_restored_share']:.1%}. (With the list imported, `unspin fingerprints` matches "
                  "all of them: see the fingerprints section.)", ""]
    if before:
        lines += before_section(before)
    return "\n".join(lines)


def before_section(b: dict) -> list[str]:
    """The previous engine's run of the same bench (issue 11 asks for before and after)."""
    lines = ["### Before: the engine of the previous release, same command family",
             "", f"- Date: {b['date']}; {b.get('test_docs')} test documents (ABC news and speeches only); the "
             "*cross* condition there spun with MyThes and read with Moby only; findings were one level (default "
             "threshold), no suspects.", "",
             "| condition | style | rate | precision | recall | restore@1 | restore@3 | doc AUC | FP/1k clean | words/s |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for m in b.get("conditions", []):
        lines.append(f"| {m['condition']} ({m['spinner_source']}) | {m['style']} | {m['rate']} | {m['precision']:.2f} | "
                     f"{m['recall']:.2f} | {m['restore@1']:.2f} | {m['restore@3']:.2f} | {m['doc_auc']:.3f} | "
                     f"{m['clean_fp_per_1000']:.2f} | {m['words_per_s']:.0f} |")
    pps = b.get("pps") or {}
    if pps:
        lines += ["", f"PPS (no list): flagged {pps['flagged_share']:.1%}, restored {pps['restore@1']:.1%}. Cold start "
                  f"{b.get('cold_start_s')} s."]
    lines.append("")
    return lines


def speed_section(s: dict) -> str:
    m = s["machine"]
    st, lat, sc = s["steady"], s["latency"], s["screen"]
    lines = ["## Speed and memory (`benchmarks/speed_bench.py`)", "",
             f"- Command: `{s['command']}`; date {s['date']}; machine {m['cpu']}, {m['cores']} cores, Python "
             f"{m['python']}; load average {m.get('load_before')} before, {m.get('load_after')} after (shared: "
             "compare ratios).", "",
             f"- `check` on fresh prose (test documents of every register, each checked once, after a warm-up on "
             f"30 others): **{st['words_per_s']:.0f} words/s** overall, median of {len(st['chunk_words_per_s'])} "
             f"chunks {st['chunk_median_words_per_s']:.0f} ({st['docs']} documents, {st['words']} words).",
             f"- One page (250–450 words): warm median **{lat['warm_ms_median']} ms** (p90 {lat['warm_ms_p90']} ms); "
             f"cold (a fresh `unspin check` process, caches built, compiled modules kept) median **{lat['cold_s_median']} s**.",
             f"- `unspin screen` on {sc['docs']} documents ({sc['spun_docs']} spun, crude, rate 0.1–0.3, MyThes), one "
             f"worker: with the first stage **{sc['cascade']['words_per_cpu_s']:.0f} words per CPU second**, "
             f"with `--full` {sc['full']['words_per_cpu_s']:.0f} (speed-up ×{sc['speed_up']}); the first stage "
             f"cleared {_pct(sc['cascade']['clean_cleared_by_first_stage'])} of the clean documents and "
             f"{_pct(sc['cascade']['spun_cleared_by_first_stage'])} of the spun ones (the recall it costs); spun "
             f"documents called spun {_pct(sc['cascade']['spun_called_spun'])} (with `--full` "
             f"{_pct(sc['full']['spun_called_spun'])}), clean called spun {_pct(sc['cascade']['clean_called_spun'])}."]
    big = s.get("big")
    if big:
        if "date" in big:
            lines += ["", f"The big inputs were re-measured on {big['date']} (`{big['command']}`), after the rest of "
                      "this section."]
        if "distinct_prose_mb" in big:
            lines += ["", f"Big inputs: the test split's documents ({big['distinct_prose_mb']} MB of distinct prose), "
                      "repeated to size; words seen before are memoised, so the 20 MB rate is not a fresh-prose rate."]
        lines += ["", "| input | MB | words | seconds | words/s | peak RSS MB | at exit: own / mapped files MB | verdict | findings | suspects |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for name, r in big.items():
            if not isinstance(r, dict):
                continue
            split = (f"{r['exit_rss_private_mb']} / {r['exit_rss_file_mb']}" if r.get("exit_rss_private_mb") is not None
                     else "–")
            lines.append(f"| {name} | {r['mb']} | {r['words']} | {r['seconds']} | {r['words_per_s']:.0f} | "
                         f"{r['peak_rss_mb']} | {split} | {r['verdict']} | {r['findings']} | {r['suspects']} |")
        lines += ["", "\"Own\" is the process's private memory; \"mapped files\" are the knowledge caches and libraries "
                  "it maps, shared by every unspin process on the machine and reclaimable by the kernel. Peak RSS "
                  "counts both."]
    return "\n".join(lines) + "\n"


def ab_section(a: dict) -> str:
    """benchmarks/ab_speed.py: this tree against an earlier revision, back to back."""
    lines = ["### Against an earlier revision, back to back (`benchmarks/ab_speed.py`)", "",
             f"Command `{a['command']}`, {a['date']}: revision {a['base']} and {a['head']} measured in turns, "
             f"{len(a['rounds']) // 2} rounds, each in a fresh process on the same documents (absolute speeds move "
             "with the shared machine's load; the ratio of turns taken together does not).", "",
             "| round | tree | words/s (fresh prose) | warm page ms |", "|---|---|---|---|"]
    for r in a["rounds"]:
        lines.append(f"| {r['round']} | {a[r['tree']]} | {r['words_per_s']:.0f} | {r['warm_ms']} |")
    lines += ["", f"Medians: {a['base']} {a['median']['base']['words_per_s']:.0f} words/s, "
              f"{a['median']['base']['warm_ms']} ms; {a['head']} {a['median']['head']['words_per_s']:.0f} words/s, "
              f"{a['median']['head']['warm_ms']} ms — **×{a['speed_ratio']} words/s**, warm latency ×"
              f"{a['warm_latency_ratio']}. Reports on 40 documents "
              + ("identical in every run." if a["same_reports"] else "**differ between the revisions**.")]
    return "\n".join(lines) + "\n"


def main() -> None:
    parts = [Path(ROOT / "benchmarks" / "HEADER.md").read_text()]
    bench = RESULTS / "bench.json"
    before = RESULTS / "bench-before.json"
    if bench.exists():
        parts.append(engine_section(json.loads(bench.read_text()),
                                    json.loads(before.read_text()) if before.exists() else None))
    speed = RESULTS / "speed.json"
    if speed.exists():
        parts.append(speed_section(json.loads(speed.read_text())))
    ab = RESULTS / "ab_speed.json"
    if ab.exists():
        parts.append(ab_section(json.loads(ab.read_text())))
    for name in ("long_docs", "mixed", "short_texts", "stability", "lm", "spinners", "fingerprints", "variants", "abstracts", "screen",
                 "screen_cascade", "serve", "trace"):
        f = RESULTS / f"{name}.md"
        if f.exists():
            text = f.read_text().strip()
            # demote the file's own title one level under this page
            text = "\n".join(("#" + ln if ln.startswith("#") else ln) for ln in text.splitlines())
            parts.append(text)
    (ROOT / "BENCHMARKS.md").write_text("\n\n".join(parts) + "\n")


if __name__ == "__main__":
    main()
