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
TRAIN_SEEDS = tuple(range(201, 209))
DEV_SEEDS = (301, 302, 303, 304)


def condition(seed: int) -> tuple[bool, bool]:
    """(honest, engine) for a training tool: the learner's thesauri exclude the tool's own source in half of the
    piles (as for real tools, whose source is unknown), and the engine's findings are evidence in half."""
    return seed % 4 >= 2, seed % 2 == 1


def learner_sources(tool_sources: tuple[str, ...], honest: bool) -> tuple[str, ...]:
    if not honest:
        return ("moby", "mythes", "wordnet")
    return ("moby",) if tool_sources[0] in ("mythes", "wordnet") else ("mythes", "wordnet")


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
    from .learn import Links, engine_evidence, extract_pairs
    from .pile import build_pile

    tool, texts, used, _ = tool_pile(split, seed, n_docs, corpus_root=corpus_root)
    truth = {(s, o) for (o, s) in used}
    honest, engine = condition(seed)
    eng = engine_evidence(texts) if engine else None
    pairs = extract_pairs(build_pile(texts), links=Links(learner_sources(tool.sources, honest)), engine=eng)
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


def fit_identify(model_path, seeds=DEV_SEEDS, n_learn: int = 50, n_test: int = 50, n_clean: int = 150,
                 corpus_root=None, max_clean_share: float = 0.005) -> dict:
    """Calibrate identification (a, b of the softmax) on dev tools: dictionaries learned from `n_learn` documents
    of each, tested on `n_test` more and on `n_clean` clean dev documents. (a, b) maximise the likelihood of the
    right answers; b is then lowered until at most `max_clean_share` of the clean documents are attributed."""
    import math

    from .. import corpus
    from .identify import Scorer, _softmax, identify
    from .learn import learn, load_model

    floor = load_model(model_path)["identify"]["clean_floor"]
    dicts, tests = [], []
    for seed in seeds:
        _, texts, _, _ = tool_pile("dev", seed, n_learn + n_test, corpus_root=corpus_root)
        d = learn(texts[:n_learn], name=f"tool-{seed}", model_path=model_path)
        dicts.append(d)
        tests += [(t, d.name) for t in texts[n_learn:]]
    docs = corpus.select(corpus.load_documents(corpus_root), "dev", seed=11)
    tests += [(d.text, "none") for d in random.Random(7).sample(docs, min(n_clean, len(docs)))]
    scorers = [Scorer(d, floor) for d in dicts]
    rows = []
    for t, label in tests:
        ident = identify(t, scorers, min_probability=0.0, model_path=model_path)
        marks = {s.name: s.hallmarks for s in scorers}
        rows.append((ident.llr, {k: sum(1 for u, _, _ in v if u in marks[k]) for k, v in ident.hits.items()}, label))

    def evaluate(a, b):
        nll = acc = clean_att = n_clean_docs = 0
        for llr, n_hits, label in rows:
            p = _softmax(llr, a, b)
            nll -= math.log(max(p[label], 1e-12))
            tools = {k: v for k, v in p.items() if k != "none"}
            best = max(tools, key=tools.get)
            guess = best if tools[best] >= 0.5 and n_hits[best] >= 1 else "none"
            if label == "none":
                n_clean_docs += 1
                clean_att += guess != "none"
            else:
                acc += guess == label
        return nll, acc / max(len(rows) - n_clean_docs, 1), clean_att / max(n_clean_docs, 1)

    best = None
    for a in (0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5):
        for b in np.arange(-30.0, 5.01, 0.5):
            nll, acc, att = evaluate(a, float(b))
            if best is None or nll < best[0]:
                best = (nll, a, float(b), acc, att)
    _, a, b, acc, att = best
    while att > max_clean_share and b > -60:
        b -= 0.5
        _, acc, att = evaluate(a, b)
    return {"clean_floor": floor, "max_hits": 3, "a": a, "b": b,
            "dev": {"tools": list(seeds), "accuracy": round(acc, 4), "clean_attributed": round(att, 4),
                    "documents": len(rows)}}


def main(args) -> int:
    from .learn import MODEL_PATH, PairModel

    t0 = time.time()
    out = Path(args.out or MODEL_PATH)
    cache = Path(args.examples) if getattr(args, "examples", None) else None
    if cache is not None and cache.exists():
        import pickle

        with open(cache, "rb") as fh:
            train, dev = pickle.load(fh)
        print(f"examples from {cache}", flush=True)
    else:
        print(f"pair examples: train split, tools {list(TRAIN_SEEDS)} × {args.docs} documents", flush=True)
        train = examples("train", TRAIN_SEEDS, args.docs, args.jobs, args.corpus)
        print(f"dev split, tools {list(DEV_SEEDS)} ({time.time() - t0:.0f} s)", flush=True)
        dev = examples("dev", DEV_SEEDS, args.docs, args.jobs, args.corpus)
        if cache is not None:
            import pickle

            with open(cache, "wb") as fh:
                pickle.dump((train, dev), fh)
    X = np.array([r[2] for ex in train for r in ex["rows"]])
    y = np.array([r[5] for ex in train for r in ex["rows"]], dtype=float)
    model = PairModel.fit(X, y)
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
    out.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"pair model written; calibrating identification on dev tools ({time.time() - t0:.0f} s)", flush=True)
    import sys

    sys.modules[__package__ + ".learn"]._MODEL.clear()  # `spinners.learn` is the function; the module holds the cache
    data["identify"] = fit_identify(out, corpus_root=args.corpus)
    out.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}: threshold {th}, dev {report}", flush=True)
    return 0
