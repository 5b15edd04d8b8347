"""`unspin bench`: the engine measured on held-out spinner output, clean prose of every register, and PPS
tortured phrases.

Conditions (stated in every output): the spinner draws from one thesaurus and the detector reads with others.
- *same* (moby → moby+mythes+wordnet): the spinner's thesaurus is among the detector's — flattering;
- *cross-mythes* (mythes → moby+wordnet) and *cross-wordnet* (wordnet → moby+mythes): the detector under
  test does not use the spinner's thesaurus — the honest conditions. Training never spins with MyThes; it
  spins with WordNet (and Moby), so cross-mythes is the cleanest of the two.
Documents come from the corpus's test split only (train.py never sees it); spinner seeds differ from training.

Metrics (unspin.metrics: one matching rule): span precision/recall/F1 at `finding` level, recall and precision
at `suspect` level, restore@1/@3 (over correctly found spans), candidate coverage (the original among the
candidates the engine scores in context, and among its whole candidate pool), document AUC of spin_score
(spun vs the same documents unspun), the share of spun documents (150+ words) called `spun`, false findings
and suspects per 1,000 words and the share of clean documents called `spun`, per register; words/s; and a
PPS run (each tortured phrase in a neutral carrier sentence, no fingerprint list loaded).
"""
from __future__ import annotations

import json
import platform
import resource
import time
from pathlib import Path

import numpy as np

from .metrics import SpanScore, auc, per_1000, score_findings

CARRIER = "The authors describe how {} was used in the experiments reported in this section."
CONDITIONS = (
    ("same", "moby", None),
    ("cross-mythes", "mythes", ("moby", "wordnet")),
    ("cross-wordnet", "wordnet", ("moby", "mythes")),
)
DOC_WORDS = 150  # documents shorter than this are not used for verdict rates


def machine() -> dict:
    import os

    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version()}


def machine_line() -> str:
    """`machine()` as one line for a benchmark page."""
    m = machine()
    return f"{m['cores']} cores, {m['cpu'] or 'unknown CPU'}, Python {m['python']}"


def _check(text: str, thesauri=None, threshold=None):
    from . import api

    return api.check(text, fingerprints=False, thesauri=thesauri, threshold=threshold)


def coverage(docs, source: str, style: str, rate: float, seed: int, thesauri) -> dict:
    """Share of spun spans whose original is among the candidates scored in context (after the pre-ranker's
    cut) and among the whole candidate pool (before it)."""
    from . import document, engine, extract
    from .spin import spin

    k = engine.knowledge(thesauri)
    model = k.model
    lex = k.lex
    scored = pooled = total = 0
    for n, d in enumerate(docs):
        res = spin(d.text, rate=rate, seed=seed + n, style=style, sources=(source,))
        truth = {(s.start, s.end): s.original.lower() for s in res.spans}
        total += len(truth)
        stats = document.doc_stats(res.text, k)
        for base, piece in document.pieces(res.text):
            spans = extract.piece_spans(piece, base, k, stats)
            idx = np.array([i for i in range(len(spans)) if (int(spans.start[i]), int(spans.end[i])) in truth],
                           dtype=np.int64)
            if not len(idx):
                continue
            for cut, counter in ((True, "scored"), (False, "pooled")):
                pairs = extract.score_pairs(spans, idx, k, stats, extract.piece_topic(spans, k),
                                           model.preranker if cut else None, model.pool_k if cut else 0)
                ends = pairs.ends
                hit = 0
                for j, i in enumerate(pairs.idx.tolist()):
                    orig = truth[(int(spans.start[i]), int(spans.end[i]))]
                    f = lex.form_id.get(orig, -1)
                    c = pairs.cand[pairs.starts[j] : ends[j]]
                    hit += int(f >= 0 and bool((c == f).any() or (lex.lemma[c] == lex.lemma[f]).any()))
                if counter == "scored":
                    scored += hit
                else:
                    pooled += hit
    return {"candidate_coverage": round(scored / max(total, 1), 4),
            "pool_coverage": round(pooled / max(total, 1), 4)}


def run_condition(docs, source: str, style: str, rate: float, seed: int, thesauri, clean_reports) -> dict:
    from .spin import spin

    finding = SpanScore()
    suspect = SpanScore()
    pos, neg = [], []
    called = []
    words = 0
    seconds = 0.0
    for n, d in enumerate(docs):
        res = spin(d.text, rate=rate, seed=seed + n, style=style, sources=(source,))
        t = time.perf_counter()
        rep = _check(res.text, thesauri)
        seconds += time.perf_counter() - t
        words += rep.words
        truth = [(s.start, s.end, s.original) for s in res.spans]
        finding.add(score_findings(rep.at_level("finding"), truth))
        suspect.add(score_findings(rep.findings, truth))
        clean = clean_reports[d.id]
        if rep.spin_score is not None and clean.spin_score is not None:
            pos.append(rep.spin_score)
            neg.append(clean.spin_score)
        if d.words >= DOC_WORDS:
            called.append(rep.verdict)
    out = finding.metrics()
    s = suspect.metrics()
    out.update({
        "suspect_precision": s["precision"],
        "suspect_recall": s["recall"],
        "doc_auc": round(auc(pos, neg), 4),
        "docs_called_spun": round(called.count("spun") / max(len(called), 1), 4),
        "docs_called_clean": round(called.count("clean") / max(len(called), 1), 4),
        "docs": len(docs),
        "words_per_s": round(words / max(seconds, 1e-9), 1),
    })
    return out


def clean_by_register(docs, reports) -> dict:
    """Per register: false findings and suspects per 1,000 words, and verdicts of documents of 150+ words."""
    out: dict = {}
    for d in docs:
        rep = reports[d.id]
        r = out.setdefault(d.register, {"docs": 0, "words": 0, "findings": 0, "suspects": 0, "long_docs": 0,
                                        "spun": 0, "uncertain": 0})
        r["docs"] += 1
        r["words"] += rep.words
        n_f = len(rep.at_level("finding"))
        r["findings"] += n_f
        r["suspects"] += len(rep.findings) - n_f
        if d.words >= DOC_WORDS:
            r["long_docs"] += 1
            r["spun"] += rep.verdict == "spun"
            r["uncertain"] += rep.verdict == "uncertain"
    for r in out.values():
        r["fp_per_1000"] = round(per_1000(r["findings"], r["words"]), 3)
        r["suspects_per_1000"] = round(per_1000(r["findings"] + r["suspects"], r["words"]), 3)
        r["called_spun"] = round(r["spun"] / max(r["long_docs"], 1), 4)
        r["called_uncertain"] = round(r["uncertain"] / max(r["long_docs"], 1), 4)
    return out


def load_pps(path: str | Path) -> list[tuple[str, str]]:
    """(tortured, expected) pairs from a PPS-format list (the parser of `unspin fingerprints`)."""
    from .fingerprints import parse_file

    return [(e.tortured, e.expected) for e in parse_file(path).entries]


def run_pps(pairs, limit: int, seed: int, check_fn=None) -> dict:
    import random

    from .edits import restore_report

    check_fn = check_fn or _check
    usable = [(t, e) for t, e in pairs if t and e and "(" not in e and "?" not in e and t.lower() != e.lower()]
    rng = random.Random(seed)
    rng.shuffle(usable)
    sample = usable[:limit]
    flagged = flagged_finding = restored = partly = 0
    for tortured, expected in sample:
        text = CARRIER.format(tortured)
        a = text.index(tortured)
        b = a + len(tortured)
        rep = check_fn(text)
        hits = [f for f in rep.findings if f.start < b and a < f.end]
        flagged += bool(hits)
        flagged_finding += any(f.level == "finding" for f in hits)
        new = restore_report(rep, include_suspects=True).text
        prefix, suffix = text[:a], text[b:]
        if new.startswith(prefix) and new.endswith(suffix):
            got = new[len(prefix) : len(new) - len(suffix)].lower()
            if got == expected.lower():
                restored += 1
            elif any(w in got.split() for w in expected.lower().split() if w not in tortured.lower().split()):
                partly += 1
    n = max(len(sample), 1)
    return {
        "phrases": len(sample),
        "flagged_share": round(flagged / n, 4),
        "flagged_finding_share": round(flagged_finding / n, 4),
        "restore@1": round(restored / n, 4),
        "some_word_restored_share": round((restored + partly) / n, 4),
    }


def operating_curve(docs, clean_reports, seed: int, thresholds=(0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)) -> list[dict]:
    """Precision/recall/false alarms at several thresholds (cross-mythes, crude, rate 0.3). Each document is
    checked once with every span reported (threshold = suspect threshold = the lowest); higher thresholds
    filter by confidence."""
    from .spin import spin

    low = min(thresholds)
    runs = []
    for n, d in enumerate(docs):
        try:
            res = spin(d.text, rate=0.3, seed=seed + 5000 + n, style="crude", sources=("mythes",))
        except FileNotFoundError:
            return []
        from . import api

        rep = api.check(res.text, fingerprints=False, thesauri=("moby", "wordnet"), threshold=low,
                        suspect_threshold=low)
        clean = api.check(d.text, fingerprints=False, threshold=low, suspect_threshold=low)
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
                    "restore@1": m["restore@1"], "clean_fp_per_1000": round(per_1000(fp, words), 3)})
    return out


def cold_start() -> float | None:
    """Median wall time of `unspin check` on one page in a fresh process (knowledge cache already built)."""
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
    Path(fh.name).unlink(missing_ok=True)
    return round(float(np.median(times)), 3)


def main(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from . import corpus as corpus_mod
    from . import engine
    from .knowledge.thesaurus import available_sources

    console = Console(stderr=True)
    rates = [float(r) for r in args.rates.split(",")]
    styles = [s.strip() for s in args.styles.split(",")]
    words = 800 if args.quick else args.words
    clean_words = 1500 if args.quick else args.clean_words
    docs = corpus_mod.load_documents(args.corpus)
    test_docs = corpus_mod.select(docs, "test", words, seed=args.seed, per_register=True)
    clean_docs = corpus_mod.select(docs, "test", clean_words, seed=args.seed + 1, per_register=True)
    if not test_docs:  # a tiny corpus may have no document in the test split: use all, and say so
        console.print("[yellow]no document falls in the test split: measuring on all documents[/]")
        test_docs = clean_docs = [d for d in docs]
    k = engine.knowledge()
    model = k.model
    available = available_sources()
    t0 = time.time()
    _check(test_docs[0].text)  # warm the knowledge: we measure steady state
    console.print(f"clean prose: {len(clean_docs)} documents of {len(corpus_mod.registers_of(clean_docs))} registers …")
    clean_reports = {d.id: _check(d.text) for d in {d.id: d for d in clean_docs + test_docs}.values()}
    registers = clean_by_register(clean_docs, clean_reports)
    conditions = []
    for name, source, thesauri in CONDITIONS:
        if source not in available or (thesauri and not set(thesauri) <= set(available)):
            console.print(f"  {name}: skipped ({source} or the detector's thesauri are not installed; make system-deps)")
            continue
        for style in styles:
            for rate in rates:
                console.print(f"[bold]{name}[/] spinner={source} detector={'+'.join(thesauri or available)} "
                              f"style={style} rate={rate} …")
                m = run_condition(test_docs, source, style, rate, args.seed, thesauri, clean_reports)
                m.update(coverage(test_docs[: max(10, len(test_docs) // 3)], source, style, rate, args.seed, thesauri))
                m.update({"condition": name, "spinner_source": source,
                          "detector_sources": "+".join(thesauri or available), "style": style, "rate": rate})
                conditions.append(m)
    curve = None if args.quick or "mythes" not in available else operating_curve(
        test_docs[: max(20, len(test_docs) // 2)], clean_reports, args.seed)
    pps = None
    if args.pps:
        pps = run_pps(load_pps(args.pps), 60 if args.quick else args.pps_limit, args.seed)
        pps["list"] = str(args.pps)
    cold = cold_start()
    result = {
        "schema": 2,
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "command": "unspin bench " + " ".join(getattr(args, "argv", []) or []),
        "machine": machine(),
        "detector_sources_default": list(available),
        "model_meta": model.meta,
        "model_thresholds": {"finding": model.threshold, "suspect": model.suspect_threshold,
                             "doc_spun": model.doc_spun, "doc_clean": model.doc_clean,
                             "short_spun_findings": model.short_spun_findings},
        "test_docs": len(test_docs),
        "clean_docs": len(clean_docs),
        "conditions": conditions,
        "clean_by_register": registers,
        "pps": pps,
        "operating_curve": curve,
        "cold_start_s": cold,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "seconds": round(time.time() - t0, 1),
    }
    table = Table(title="unspin bench (test split)")
    for col in ("condition", "style", "rate", "P", "R", "r@1", "r@3", "cov", "susp R", "docAUC", "called spun",
                "words/s"):
        table.add_column(col)
    for m in conditions:
        table.add_row(m["condition"], m["style"], str(m["rate"]), f"{m['precision']:.2f}", f"{m['recall']:.2f}",
                      f"{m['restore@1']:.2f}", f"{m['restore@3']:.2f}", f"{m['candidate_coverage']:.2f}",
                      f"{m['suspect_recall']:.2f}", f"{m['doc_auc']:.3f}", f"{m['docs_called_spun']:.2f}",
                      f"{m['words_per_s']:.0f}")
    Console().print(table)
    rt = Table(title="clean prose by register (test split)")
    for col in ("register", "docs", "words", "FP/1k", "suspects/1k", "150+ docs", "called spun", "uncertain"):
        rt.add_column(col)
    for reg, r in sorted(registers.items()):
        rt.add_row(reg, str(r["docs"]), str(r["words"]), f"{r['fp_per_1000']:.2f}", f"{r['suspects_per_1000']:.2f}",
                   str(r["long_docs"]), f"{r['called_spun']:.1%}", f"{r['called_uncertain']:.1%}")
    Console().print(rt)
    if pps:
        Console().print(f"PPS ({pps['phrases']} phrases, no list loaded): flagged {pps['flagged_share']:.1%} "
                        f"(finding level {pps['flagged_finding_share']:.1%}), restored {pps['restore@1']:.1%}")
    Console().print(f"cold start (one page, fresh process): {cold} s; peak RSS {result['peak_rss_mb']} MB")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=1))
    return 0
