"""A spun passage inside honest text — someone else's spun paragraph pasted into one's own writing: are its swaps
still found, and does the honest text around it stay clean?

    .venv/bin/python benchmarks/mixed_bench.py [--texts 150] [--label NAME]

Reads ../shared/data at run time (nothing from it is stored). Hosts: test-split documents of 300+ words of every
register (unspin.corpus; training never sees the test split). Passages: other test-split documents of 80–250 words,
spun (`unspin spin`, seeds apart from training and `unspin bench`) crude at rate 0.2 under the bench's conditions
*same* (Moby → Moby+MyThes+WordNet) and the honest *cross-mythes* (MyThes → Moby+WordNet), and put into the host as a
paragraph of its own at a sentence end near its middle. Measured at `finding` and `suspect` level: the passage's swaps
found when it is checked alone and when it is inside the host; false findings in the host's words; the verdicts. The
honest condition: the same hosts with the passage unspun (false findings per 1,000 words, verdicts), and the hosts
alone. Results of each run are kept in benchmarks/results/mixed.json under `--label` (so a model can be compared with
the one before it, run from the older checkout), and benchmarks/results/mixed.md shows every label.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

from shared_data import load_test_split  # benchmarks/ (the script's folder is on the path)

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results"
SEED = 90_000  # spinner seeds: apart from training's and the bench's
CONDITIONS = (("same", "moby", None), ("cross-mythes", "mythes", ("moby", "wordnet")))
RATE = 0.2


def split_point(text: str) -> int:
    """Offset of the sentence end nearest the middle of `text` (the end of a sentence's last token)."""
    from unspin.text import sentences, tokenize

    ends = [s[-1].end for s in sentences(tokenize(text), text) if s][:-1]
    if not ends:
        return len(text)
    return min(ends, key=lambda e: abs(e - len(text) / 2))


def insert(host: str, passage: str) -> tuple[str, int]:
    """The host with the passage as a paragraph of its own after the sentence nearest its middle; (text, offset of
    the passage)."""
    at = split_point(host)
    head, tail = host[:at], host[at:].lstrip()
    text = head + "\n\n" + passage + ("\n\n" + tail if tail else "")
    return text, len(head) + 2


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--texts", type=int, default=150, help="hosts (each with one passage)")
    ap.add_argument("--label", default="current", help="name of this run in mixed.json (e.g. the model's date)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    import unspin
    from unspin.metrics import SpanScore, score_findings
    from unspin.spin import spin
    from unspin.text import count_words

    docs = load_test_split(args.seed)
    if docs is None:
        return 4
    hosts = [d for d in docs if d.words >= 300][: args.texts]
    used = {d.id for d in hosts}
    passages = [d for d in docs if 80 <= d.words <= 250 and d.id not in used][: len(hosts)]
    pairs = list(zip(hosts, passages))
    t0 = time.time()

    def counts(rep, lo: int, hi: int) -> tuple[int, int]:
        """(findings, suspects) of a report outside the passage [lo, hi)."""
        out = [f for f in rep.findings if f.end <= lo or f.start >= hi]
        n_f = sum(f.level == "finding" for f in out)
        return n_f, len(out) - n_f

    honest = Counter()
    honest_verdicts, host_verdicts = Counter(), Counter()
    by_register: dict[str, Counter] = {}
    for host, passage in pairs:
        alone = unspin.check(host.text, fingerprints=False)
        n_f, n_s = counts(alone, 0, 0)
        honest["host_words"] += alone.words
        honest["host_findings"] += n_f
        honest["host_suspects"] += n_s
        host_verdicts[alone.verdict] += 1
        text, _ = insert(host.text, passage.text)
        rep = unspin.check(text, fingerprints=False)
        n_f, n_s = counts(rep, 0, 0)
        honest["mixed_words"] += rep.words
        honest["mixed_findings"] += n_f
        honest["mixed_suspects"] += n_s
        honest_verdicts[rep.verdict] += 1
        r = by_register.setdefault(host.register, Counter())
        r["words"] += rep.words
        r["findings"] += n_f
    conditions = []
    for name, source, thesauri in CONDITIONS:
        alone_f, alone_s, in_f, in_s = SpanScore(), SpanScore(), SpanScore(), SpanScore()
        host_fp = Counter()
        verdicts = Counter()
        for i, (host, passage) in enumerate(pairs):
            res = spin(passage.text, rate=RATE, seed=SEED + i, style="crude", sources=(source,))
            if not res.spans:
                continue
            truth = [(s.start, s.end, s.original) for s in res.spans]
            rep = unspin.check(res.text, fingerprints=False, thesauri=thesauri)
            alone_f.add(score_findings(rep.at_level("finding"), truth))
            alone_s.add(score_findings(rep.findings, truth))
            text, at = insert(host.text, res.text)
            shifted = [(a + at, b + at, o) for a, b, o in truth]
            rep = unspin.check(text, fingerprints=False, thesauri=thesauri)
            inside = [f for f in rep.findings if at <= f.start and f.end <= at + len(res.text)]
            in_f.add(score_findings([f for f in inside if f.level == "finding"], shifted))
            in_s.add(score_findings(inside, shifted))
            n_f, n_s = counts(rep, at, at + len(res.text))
            host_fp["words"] += rep.words - count_words(res.text)
            host_fp["findings"] += n_f
            host_fp["suspects"] += n_s
            verdicts[rep.verdict] += 1
        m = {k: v.metrics() for k, v in (("alone", alone_f), ("alone_suspect", alone_s), ("inside", in_f),
                                           ("inside_suspect", in_s))}
        conditions.append({
            "condition": name, "spinner": source, "detector": "+".join(thesauri) if thesauri else "all installed",
            "passages": sum(verdicts.values()), "swaps": m["alone"]["true_spans"],
            "alone": {"recall": m["alone"]["recall"], "precision": m["alone"]["precision"],
                      "suspect_recall": m["alone_suspect"]["recall"]},
            "inside": {"recall": m["inside"]["recall"], "precision": m["inside"]["precision"],
                       "suspect_recall": m["inside_suspect"]["recall"]},
            "host_fp_per_1000": round(1000 * host_fp["findings"] / max(host_fp["words"], 1), 3),
            "host_suspects_per_1000": round(1000 * (host_fp["findings"] + host_fp["suspects"])
                                            / max(host_fp["words"], 1), 3),
            "verdicts": dict(verdicts)})
        print(f"{name}: {time.time() - t0:.0f} s", file=sys.stderr)
    per_1000 = lambda n, w: round(1000 * n / max(w, 1), 3)  # noqa: E731
    result = {
        "command": "python benchmarks/mixed_bench.py" + (f" --texts {args.texts}" if args.texts != 150 else "")
                   + f" --label {args.label}",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "seconds": round(time.time() - t0, 1),
        "hosts": len(pairs), "rate": RATE,
        "honest": {"hosts_alone_fp_per_1000": per_1000(honest["host_findings"], honest["host_words"]),
                   "hosts_alone_suspects_per_1000": per_1000(honest["host_findings"] + honest["host_suspects"],
                                                             honest["host_words"]),
                   "hosts_alone_verdicts": dict(host_verdicts),
                   "with_passage_fp_per_1000": per_1000(honest["mixed_findings"], honest["mixed_words"]),
                   "with_passage_suspects_per_1000": per_1000(honest["mixed_findings"] + honest["mixed_suspects"],
                                                              honest["mixed_words"]),
                   "with_passage_verdicts": dict(honest_verdicts),
                   "fp_per_1000_by_register": {r: per_1000(c["findings"], c["words"])
                                               for r, c in sorted(by_register.items())}},
        "conditions": conditions}
    path = OUT / "mixed.json"
    runs = json.loads(path.read_text()) if path.exists() else {}
    runs[args.label] = result
    path.write_text(json.dumps(runs, indent=1) + "\n")
    (OUT / "mixed.md").write_text(render(runs))
    print(json.dumps(result, indent=1))
    return 0


def render(runs: dict) -> str:
    lines = ["## A spun passage inside honest text", "",
             "Hosts: test-split documents of 300+ words of every register; passages: other test-split documents "
             "of 80–250 words spun crude at rate 0.2, each put into its host as a paragraph at a sentence end near "
             "the middle. Recall of the passage's swaps checked alone and inside its host, at `finding` level "
             "(suspect level in brackets); false findings per 1,000 host words. Produced by "
             "`python benchmarks/mixed_bench.py --label NAME` (one line per label, each from its own checkout); "
             "numbers in benchmarks/results/mixed.json.", "",
             "| run | condition | passages (swaps) | alone: recall (suspect) | inside: recall (suspect) | inside: "
             "precision | host false findings / 1k | verdicts |",
             "|---|---|---|---|---|---|---|---|"]
    for label, r in runs.items():
        for c in r["conditions"]:
            lines.append(
                f"| {label} ({r['date']}) | {c['condition']} | {c['passages']} ({c['swaps']}) | "
                f"{c['alone']['recall']:.3f} ({c['alone']['suspect_recall']:.3f}) | "
                f"{c['inside']['recall']:.3f} ({c['inside']['suspect_recall']:.3f}) | {c['inside']['precision']:.3f} | "
                f"{c['host_fp_per_1000']:.2f} | {', '.join(f'{k} {v}' for k, v in sorted(c['verdicts'].items()))} |")
    lines += ["", "Honest condition (the same hosts, the passage unspun):", "",
              "| run | hosts | alone: false findings / 1k (suspects) | with the passage: false findings / 1k "
              "(suspects) | verdicts alone | verdicts with the passage |", "|---|---|---|---|---|---|"]
    for label, r in runs.items():
        h = r["honest"]
        lines.append(f"| {label} | {r['hosts']} | {h['hosts_alone_fp_per_1000']:.2f} "
                     f"({h['hosts_alone_suspects_per_1000']:.2f}) | {h['with_passage_fp_per_1000']:.2f} "
                     f"({h['with_passage_suspects_per_1000']:.2f}) | "
                     f"{', '.join(f'{k} {v}' for k, v in sorted(h['hosts_alone_verdicts'].items()))} | "
                     f"{', '.join(f'{k} {v}' for k, v in sorted(h['with_passage_verdicts'].items()))} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
