"""`unspin bench`: the engine measured on held-out spinner output, clean text and PPS tortured phrases.

Conditions (stated in every output):
- *same*: the spinner draws from Moby, the thesaurus the detector indexes (flatters us);
- *cross*: the spinner draws from Debian mythes-en-us, which the detector never uses and the model never saw
  in training — the honest condition for real spinners.
Documents come from the corpus's test split only (train.py never sees it); spinner seeds differ from training.

Metrics: span precision/recall/F1 (a finding is correct when it overlaps a spun span), restore@1/@3 (top
suggestion(s) equal the original, over correctly found spans), paragraph- and document-level AUC of
spin_score (spun vs the same texts unspun), false findings per 1,000 words on the unspun text, words/s,
peak RSS; and a PPS run (each tortured phrase in a neutral carrier sentence, no fingerprint list loaded).
"""
from __future__ import annotations

import json
import platform
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

CARRIER = "The authors describe how {} was used in the experiments reported in this section."


def auc(pos: list[float], neg: list[float]) -> float:
    """Area under the ROC curve (Mann-Whitney U with ties counted half)."""
    if not pos or not neg:
        return float("nan")
    allv = np.array(pos + neg)
    order = allv.argsort(kind="mergesort")
    ranks = np.empty(len(allv))
    sorted_v = allv[order]
    i = 0
    while i < len(allv):
        j = i
        while j + 1 < len(allv) and sorted_v[j + 1] == sorted_v[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1
        i = j + 1
    r_pos = ranks[: len(pos)].sum()
    return float((r_pos - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


@dataclass
class SpanScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    r1: int = 0
    r3: int = 0

    def add(self, other: "SpanScore"):
        for k in ("tp", "fp", "fn", "r1", "r3"):
            setattr(self, k, getattr(self, k) + getattr(other, k))

    def metrics(self) -> dict:
        p = self.tp / max(self.tp + self.fp, 1)
        r = self.tp / max(self.tp + self.fn, 1)
        return {
            "precision": round(p, 4),
            "recall": round(r, 4),
            "f1": round(2 * p * r / max(p + r, 1e-9), 4),
            "restore@1": round(self.r1 / max(self.tp, 1), 4),
            "restore@3": round(self.r3 / max(self.tp, 1), 4),
            "true_spans": self.tp + self.fn,
            "findings": self.tp + self.fp,
        }


def score_findings(findings, truth_spans) -> SpanScore:
    """Match findings to true spun spans by overlap. truth_spans: (start, end, original) in the checked text."""
    s = SpanScore()
    hit = set()
    for f in findings:
        match = None
        for k, (a, b, orig) in enumerate(truth_spans):
            if f.start < b and a < f.end:
                match = k
                break
        if match is None:
            s.fp += 1
            continue
        if match in hit:
            continue  # a second finding on the same spun span is neither right nor wrong
        hit.add(match)
        s.tp += 1
        orig = truth_spans[match][2].lower()
        sugg = [x.lower() for x in f.suggestions]
        s.r1 += int(bool(sugg) and sugg[0] == orig)
        s.r3 += int(orig in sugg[:3])
    s.fn = len(truth_spans) - len(hit)
    return s


def _paragraph_scores(report, model) -> list[float]:
    from .text import paragraphs

    out = []
    text = report.text
    pieces = paragraphs(text)
    if len(pieces) == 1:  # one block: use line groups of about five lines as "paragraphs"
        lines = text.split("\n")
        pieces, pos = [], 0
        for i in range(0, len(lines), 5):
            chunk = "\n".join(lines[i : i + 5])
            pieces.append((pos, chunk))
            pos += len(chunk) + 1
    for base, para in pieces:
        words = len(para.split())
        if words < 25:
            continue
        strength = sum(f.confidence for f in report.findings if base <= f.start < base + len(para))
        out.append(model.doc_score(strength * 1000.0 / words))
    return out


def run_condition(docs, source, style, rate, seed, check_fn, model) -> dict:
    from .spin import spin

    total = SpanScore()
    doc_pos, doc_neg, par_pos, par_neg = [], [], [], []
    clean_fp = clean_words = 0
    words = 0
    seconds = 0.0
    for n, d in enumerate(docs):
        res = spin(d.text, rate=rate, seed=seed + n, style=style, sources=source)
        t = time.perf_counter()
        rep = check_fn(res.text)
        rep_clean = check_fn(d.text)
        seconds += time.perf_counter() - t
        words += rep.words + rep_clean.words
        total.add(score_findings(rep.findings, [(s.start, s.end, s.original) for s in res.spans]))
        doc_pos.append(rep.spin_score)
        doc_neg.append(rep_clean.spin_score)
        par_pos.extend(_paragraph_scores(rep, model))
        par_neg.extend(_paragraph_scores(rep_clean, model))
        clean_fp += len(rep_clean.findings)
        clean_words += rep_clean.words
    out = total.metrics()
    out.update({
        "doc_auc": round(auc(doc_pos, doc_neg), 4),
        "paragraph_auc": round(auc(par_pos, par_neg), 4),
        "clean_fp_per_1000": round(1000.0 * clean_fp / max(clean_words, 1), 3),
        "words_per_s": round(words / max(seconds, 1e-9), 1),
        "docs": len(docs),
        "spun_words": sum(len(d.text.split()) for d in docs),
    })
    return out


def load_pps(path: str | Path) -> list[tuple[str, str]]:
    """(tortured, expected) pairs from a PPS-format list: the JSON {"phrases":[…]} or the raw CSV export."""
    from .fingerprints import parse_file  # the list parser (query syntax, skipped rows) of `unspin fingerprints`

    return [(e.tortured, e.expected) for e in parse_file(path).entries]


def run_pps(pairs, check_fn, limit: int, seed: int) -> dict:
    import random

    from .edits import restore_report

    clean = [(t, e) for t, e in pairs if t and e and "(" not in e and "?" not in e and t.lower() != e.lower()]
    rng = random.Random(seed)
    rng.shuffle(clean)
    sample = clean[:limit]
    flagged = restored = partly = 0
    for tortured, expected in sample:
        text = CARRIER.format(tortured)
        a = text.index(tortured)
        b = a + len(tortured)
        rep = check_fn(text)
        hits = [f for f in rep.findings if f.start < b and a < f.end]
        if hits:
            flagged += 1
        r = restore_report(rep)
        new = r.text
        # the phrase's restored form: the text between the unchanged carrier prefix and suffix
        prefix, suffix = text[:a], text[b:]
        if new.startswith(prefix) and new.endswith(suffix):
            got = new[len(prefix) : len(new) - len(suffix)]
            if got.lower() == expected.lower():
                restored += 1
            elif any(w in got.lower().split() for w in expected.lower().split() if w not in tortured.lower().split()):
                partly += 1
    n = max(len(sample), 1)
    return {
        "phrases": len(sample),
        "flagged_share": round(flagged / n, 4),
        "restore@1": round(restored / n, 4),
        "some_word_restored_share": round((restored + partly) / n, 4),
    }


def main(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from . import corpus as corpus_mod
    from . import api, model as model_mod

    console = Console(stderr=True)
    rates = [float(r) for r in args.rates.split(",")]
    styles = [s.strip() for s in args.styles.split(",")]
    words = 1500 if args.quick else args.words
    docs = corpus_mod.load_documents(args.corpus)
    test_docs = corpus_mod.select(docs, "test", words, seed=args.seed)
    if not test_docs:  # a tiny corpus may have no document in the test split: use all, and say so
        console.print("[yellow]no document falls in the test split: measuring on all documents[/]")
        test_docs = corpus_mod.select(docs, "train", words, seed=args.seed) + corpus_mod.select(docs, "dev", words)
    model = model_mod.load()

    def check_fn(text):
        return api.check(text, fingerprints=False)

    t0 = time.time()
    check_fn(test_docs[0].text)  # warm the knowledge caches: we measure steady state
    conditions = []
    for cond, source in (("same", ("moby",)), ("cross", ("mythes",))):
        for style in styles:
            for rate in rates:
                console.print(f"[bold]{cond}[/] spinner={'+'.join(source)} style={style} rate={rate} …")
                try:
                    m = run_condition(test_docs, source, style, rate, args.seed, check_fn, model)
                except FileNotFoundError as e:
                    console.print(f"  skipped: {e}")
                    continue
                m.update({"condition": cond, "spinner_source": "+".join(source), "style": style, "rate": rate})
                conditions.append(m)
    curve = operating_curve(test_docs, args.seed) if not args.quick else None
    pps = None
    if args.pps:
        pairs = load_pps(args.pps)
        pps = run_pps(pairs, check_fn, 60 if args.quick else args.pps_limit, args.seed)
        pps["list"] = str(args.pps)
    cold = cold_start()
    result = {
        "schema": 1,
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": machine(),
        "detector_sources": ["moby"],
        "model_meta": model.meta,
        "test_docs": len(test_docs),
        "conditions": conditions,
        "pps": pps,
        "operating_curve": curve,
        "cold_start_s": cold,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "seconds": round(time.time() - t0, 1),
    }
    table = Table(title="unspin bench (test split; same = spinner uses Moby like the detector, cross = mythes)")
    for col in ("cond", "style", "rate", "P", "R", "F1", "r@1", "r@3", "docAUC", "parAUC", "FP/1k clean", "words/s"):
        table.add_column(col)
    for m in conditions:
        table.add_row(m["condition"], m["style"], str(m["rate"]), f"{m['precision']:.2f}", f"{m['recall']:.2f}",
                      f"{m['f1']:.2f}", f"{m['restore@1']:.2f}", f"{m['restore@3']:.2f}", f"{m['doc_auc']:.3f}",
                      f"{m['paragraph_auc']:.3f}", f"{m['clean_fp_per_1000']:.2f}", f"{m['words_per_s']:.0f}")
    Console().print(table)
    if pps:
        Console().print(f"PPS ({pps['phrases']} phrases, no list loaded): flagged {pps['flagged_share']:.2%}, "
                        f"restore@1 {pps['restore@1']:.2%}")
    if curve:
        Console().print("operating curve (cross, crude, 0.3): " + "; ".join(
            f"t={c['threshold']}: P {c['precision']:.2f} R {c['recall']:.2f} FP/1k {c['clean_fp_per_1000']:.2f}"
            for c in curve))
    Console().print(f"cold start (one page, fresh process): {cold} s; peak RSS {result['peak_rss_mb']} MB")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=1))
    return 0


def operating_curve(docs, seed: int, thresholds=(0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)) -> list[dict]:
    """Precision/recall/false alarms at several thresholds (cross condition, crude, rate 0.3), so users can
    pick their own trade-off. Checked once at the lowest threshold; higher ones filter by confidence."""
    from . import engine
    from .spin import spin

    low = min(thresholds)
    runs = []
    for n, d in enumerate(docs):
        try:
            res = spin(d.text, rate=0.3, seed=seed + 5000 + n, style="crude", sources=("mythes",))
        except FileNotFoundError:
            return []
        rep = api.check(res.text, fingerprints=False, threshold=low)
        clean = api.check(d.text, fingerprints=False, threshold=low)
        runs.append((rep, clean, [(s.start, s.end, s.original) for s in res.spans]))
    out = []
    for t in thresholds:
        total = SpanScore()
        fp = words = 0
        for rep, clean, truth in runs:
            total.add(score_findings([f for f in rep.findings if f.confidence >= t], truth))
            fp += sum(1 for f in clean.findings if f.confidence >= t)
            words += clean.words
        m = total.metrics()
        out.append({"threshold": t, "precision": m["precision"], "recall": m["recall"], "f1": m["f1"],
                    "restore@1": m["restore@1"], "clean_fp_per_1000": round(1000.0 * fp / max(words, 1), 3)})
    return out


def machine_line() -> str:
    """One line naming the machine, for benchmark reports."""
    m = machine()
    return f"{m['cores']} cores (nproc), {m['cpu'] or '?'}, Python {m['python']}, {platform.system()}"


def machine() -> dict:
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version()}


def cold_start() -> float | None:
    """Wall time of `unspin check` on one page in a fresh process (knowledge cache already built)."""
    import subprocess
    import sys
    import tempfile

    page = ("The central bank raised its interest rate for the third time this year, and analysts believe "
            "the government will reach an agreement with the unions before the end of the month. ") * 12
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write(page)
    times = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "unspin.cli", "check", "--no-fingerprints", fh.name],
                       capture_output=True)
        times.append(time.perf_counter() - t)
    return round(float(np.median(times)), 3)
