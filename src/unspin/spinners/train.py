"""`unspin spinners train`: the learner's pair model and the identification calibration, from drawn tools.

Tools are drawn with training seeds (201…, dev 301…; the benchmark uses other seeds) from Moby, mythes and
WordNet in turn, each spins a sample of documents of the corpus's train split (dev split for thresholds), and
every candidate pair of the pile is labelled by the spinner's alignment. Writes src/unspin/data/spinners.json.
"""
from __future__ import annotations

import json
import random
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

SOURCES_CYCLE = (("moby",), ("mythes",), ("wordnet",))
TRAIN_SEEDS = tuple(range(201, 207))
DEV_SEEDS = (301, 302, 303)


def tool_pile(split: str, seed: int, n_docs: int, rate: float = 0.3, corpus_root=None, offset: int = 0):
    """(tool, spun texts, used pairs Counter{(original, spun)}, clean originals) for one drawn tool."""
    from .. import corpus
    from .tool import apply_dictionary, new_dictionary

    docs = corpus.select(corpus.load_documents(corpus_root), split, seed=11)
    tool = new_dictionary(seed, SOURCES_CYCLE[seed % 3])
    chosen = random.Random(seed).sample(docs, min(n_docs + offset, len(docs)))[offset:]
    texts, used = [], Counter()
    for i, d in enumerate(chosen):
        r = apply_dictionary(d.text, tool, rate, seed * 1000 + i + offset)
        texts.append(r.text)
        for s in r.spans:
            used[(s.original.lower(), s.spun.lower())] += 1
    return tool, texts, used, [d.text for d in chosen]


def _examples(args):
    split, seed, n_docs, corpus_root = args
    from .learn import Links, extract_pairs
    from .pile import build_pile

    _, texts, used, _ = tool_pile(split, seed, n_docs, corpus_root=corpus_root)
    truth = {(s, o) for (o, s) in used}
    pairs = extract_pairs(build_pile(texts), links=Links())
    return {"seed": seed, "used": used,
            "rows": [(p.unit, p.original, p.x, p.count, p.docs, (p.unit, p.original) in truth) for p in pairs]}


def examples(split: str, seeds, n_docs: int = 50, jobs: int = 1, corpus_root=None) -> list[dict]:
    work = [(split, s, n_docs, corpus_root) for s in seeds]
    if jobs <= 1:
        return [_examples(w) for w in work]
    with ProcessPoolExecutor(jobs) as ex:
        return list(ex.map(_examples, work))


def dictionary_scores(ex: dict, model, min_count: int = 1) -> list[tuple[float, str, str, int]]:
    """Best (confidence, unit, original, count) per unit of one pile."""
    from .learn import resolve

    if not ex["rows"]:
        return []
    p = model.predict(np.array([r[2] for r in ex["rows"]]))
    scored = [(float(pp), r[0], r[1], r[3], r[4], {}) for r, pp in zip(ex["rows"], p) if r[3] >= min_count]
    return [(e.confidence, e.spun, e.original, e.count) for e in resolve(scored, 0.0)]


def precision_recall(ex: dict, accepted: list[tuple[str, str]], min_uses: int = 3) -> tuple[float, float]:
    used = ex["used"]
    truth = {(s, o) for (o, s) in used}
    frequent = {(s, o) for (o, s), c in used.items() if c >= min_uses}
    acc = set(accepted)
    p = len(acc & truth) / max(len(acc), 1)
    r = len(acc & frequent) / max(len(frequent), 1)
    return p, r


def choose_threshold(dev: list[dict], model, target_precision: float = 0.9) -> float:
    """The lowest threshold whose pooled dev precision reaches the target."""
    scored = [dictionary_scores(ex, model) for ex in dev]
    for th in np.arange(0.2, 0.96, 0.025):
        acc_all, ok = 0, 0
        for ex, sc in zip(dev, scored):
            truth = {(s, o) for (o, s) in ex["used"]}
            acc = [(u, o) for c, u, o, _ in sc if c >= th]
            acc_all += len(acc)
            ok += sum(1 for a in acc if a in truth)
        if acc_all and ok / acc_all >= target_precision:
            return round(float(th), 3)
    return 0.95


def main(args) -> int:
    from .learn import FEATURES, MODEL_PATH, Logistic

    t0 = time.time()
    out = Path(args.out or MODEL_PATH)
    print(f"pair examples: train split, tools {list(TRAIN_SEEDS)} × {args.docs} documents", flush=True)
    train = examples("train", TRAIN_SEEDS, args.docs, args.jobs, args.corpus)
    print(f"dev split, tools {list(DEV_SEEDS)} ({time.time() - t0:.0f} s)", flush=True)
    dev = examples("dev", DEV_SEEDS, args.docs, args.jobs, args.corpus)
    X = np.array([r[2] for ex in train for r in ex["rows"]])
    y = np.array([r[5] for ex in train for r in ex["rows"]], dtype=float)
    model = Logistic.fit(FEATURES, X, y, l2=1.0)
    th = choose_threshold(dev, model, args.precision)
    report = []
    for ex in dev:
        sc = dictionary_scores(ex, model)
        p, r = precision_recall(ex, [(u, o) for c, u, o, _ in sc if c >= th])
        report.append({"seed": ex["seed"], "precision": round(p, 3), "recall_ge3": round(r, 3)})
    data = {"format": "unspin-spinners-model", "version": 1, "pair": model.to_dict(), "threshold": th,
            "identify": {"clean_floor": 1e-7, "max_hits": 3, "a": 1.0, "b": -12.0},
            "meta": {"train_seeds": list(TRAIN_SEEDS), "dev_seeds": list(DEV_SEEDS), "docs_per_tool": args.docs,
                     "examples": int(len(y)), "positives": int(y.sum()), "dev": report,
                     "target_precision": args.precision, "seconds": round(time.time() - t0, 1)}}
    if out.exists():
        old = json.loads(out.read_text(encoding="utf-8"))
        data["identify"] = old.get("identify", data["identify"])
    out.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}: threshold {th}, dev {report}", flush=True)
    return 0
