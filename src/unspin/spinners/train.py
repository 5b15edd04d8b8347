"""`unspin spinners train`: the learner's pair model and the identification calibration, from drawn tools.

Tools are drawn with training seeds (201…, dev 301…; the benchmark uses other seeds) from Moby, mythes and
WordNet in turn, each spins a sample of documents of the corpus's train split (dev split for thresholds), and
every candidate pair of the pile is labelled by the spinner's alignment. Writes src/unspin/data/spinners.json.
"""
from __future__ import annotations

import json
import math
import random
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

SOURCES_CYCLE = (("moby",), ("mythes",), ("wordnet",))
TRAIN_SEEDS = tuple(range(201, 237))
# the learner's thresholds and the identification calibration use twelve dev tools: at one threshold, precision
# per tool ranges 0.84–0.95 over them, so four tools' ~200 entries leave the pooled precision, and the threshold,
# to chance; and an identification threshold set on four tools named 7.5 % of eight other tools' documents
# where it allowed 5 %
DEV_SEEDS = tuple(range(301, 313))


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


TRAIN_RATES = (0.2, 0.3, 0.4)  # training tools spin at different rates (the learner must not assume one)


def rate_of(split: str, seed: int) -> float:
    return TRAIN_RATES[(seed // 3) % 3] if split == "train" else 0.3


def _examples(args):
    split, seed, n_docs, corpus_root, cond = args
    from .learn import Links, engine_evidence, extract_pairs
    from .pile import build_pile

    tool, texts, used, _ = tool_pile(split, seed, n_docs, rate_of(split, seed), corpus_root=corpus_root)
    truth = {(s, o) for (o, s) in used}
    honest, engine = cond if cond is not None else condition(seed)
    src = learner_sources(tool.sources, honest)
    eng = engine_evidence(texts, **({"thesauri": src} if honest else {})) if engine else None
    pairs = extract_pairs(build_pile(texts), links=Links(src), engine=eng)
    return {"seed": seed, "used": used,
            "rows": [(p.unit, p.original, p.x, p.count, p.docs, (p.unit, p.original) in truth) for p in pairs]}


def examples(split: str, seeds, n_docs: int = 50, jobs: int = 1, corpus_root=None, cond=None) -> list[dict]:
    """Labelled candidate pairs of one pile per seed; `cond` = (honest, engine) for every pile, default
    `condition(seed)` (training mixes both)."""
    work = [(split, s, n_docs, corpus_root, cond) for s in seeds]
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


def choose_unexplained_threshold(dev_honest: list[dict], model, base: float, target_precision: float = 0.9) -> float:
    """The threshold for a pile whose confident pairs include some no thesaurus of the learner links
    (`learn.unexplained`): the lowest one, not below `base`, whose pooled precision reaches the target on the dev
    piles learned without the tool's own thesaurus where that happens."""
    from .learn import neighbour_only, unexplained

    flagged = [ex for ex in dev_honest
               if unexplained([(u, o) for c, u, o, _ in dictionary_scores(ex, model) if c >= base],
                              neighbour_only(ex["rows"]))]
    return max(base, choose_threshold(flagged, model, target_precision)) if flagged else base


IDENTIFY_GRID = {"beta": (0.5, 1.0), "g0": (0.0, 2.0, 4.0), "gamma": (0.0, 0.5, 1.0), "q_single": (0.0, 0.03, 0.1),
                 "max_hits": (1, 2), "q_min": (0.0, 0.05, 0.2), "ratio_cap": (1e2, 1e3, 1e6)}


def identify_rows(dicts, tests, lm=None, cal=None) -> list[tuple]:
    """Parameter-free evidence of every test document: (hits per dictionary, words, label)."""
    from .identify import DEFAULT_CAL, Scorer, evidence

    cal = {**DEFAULT_CAL, **(cal or {})}
    scorers = [Scorer(d, cal, lm) for d in dicts]
    rows = []
    for text, label in tests:
        ev, words = evidence(text, scorers, lm)
        rows.append(([ev[k] for k in range(len(scorers))], words, label, None))
    # each profile's rates stay split (known confidences, singletons): the singleton prior is a grid parameter
    return rows, [s.rates for s in scorers], [s.name for s in scorers]


COMPARED = 5  # dictionaries a document is compared with in calibration's accuracy (a handful, as users compare)
TAIL_KEEP = (600, 100)  # largest chance LLRs kept in the calibration file (foreign tools', clean documents')


class HitTable:
    """The calibration documents' hits against every dev dictionary (`identify.evidence`) as flat arrays, so
    the LLR and the proof of every (document, dictionary) under one grid point are a few numpy passes (the
    same numbers as `identify.llr_of` and `identify.has_proof`)."""

    def __init__(self, rows, rates):
        cols = {k: [] for k in ("cell", "n", "q", "single", "ratio", "g", "rare")}
        n_dicts = len(rates)
        for r, (hits, _words, _label, _) in enumerate(rows):
            for k, hs in enumerate(hits):
                for _u, n, q, ratio, g, _o, rare in hs:
                    cols["cell"].append(r * n_dicts + k)
                    cols["n"].append(n)
                    cols["q"].append(0.0 if q is None else q)
                    cols["single"].append(q is None)
                    cols["ratio"].append(ratio)
                    cols["g"].append(g)
                    cols["rare"].append(rare)
        self.cell = np.array(cols["cell"], dtype=np.int64)
        self.n = np.array(cols["n"], dtype=float)
        self.q = np.array(cols["q"], dtype=float)
        self.single = np.array(cols["single"], dtype=bool)
        self.ratio = np.array(cols["ratio"], dtype=float)
        self.g = np.array(cols["g"], dtype=float)
        self.rare = np.array(cols["rare"], dtype=bool)
        self.words = np.array([w for _, w, _, _ in rows], dtype=float)
        self.rates = np.array(rates, dtype=float).reshape(n_dicts, 2)
        self.shape = (len(rows), n_dicts)

    def llr(self, cal: dict) -> tuple[np.ndarray, np.ndarray]:
        """(LLR, proof): documents × dictionaries under `cal`."""
        from .identify import expected_rate

        size = self.shape[0] * self.shape[1]
        q = np.where(self.single, cal["q_single"], self.q)
        lr = np.exp(np.clip(cal["beta"] * (self.g - cal["g0"]), -cal["clip"], cal["clip"]))
        term = np.minimum(self.n, cal["max_hits"]) * np.log1p(q * np.minimum(self.ratio, cal["ratio_cap"]) * lr)
        term = np.where(q < cal["q_min"], 0.0, term)
        L = np.bincount(self.cell, weights=term, minlength=size).reshape(self.shape)
        expected = expected_rate((self.rates[:, 0], self.rates[:, 1]), cal)  # per dictionary, as identify does
        L -= cal["gamma"] * self.words[:, None] * expected[None, :]
        proof = self.rare & (q >= max(cal["q_min"], 0.05)) & (self.g >= cal["g0"] - 2.0)
        P = np.bincount(self.cell[proof], minlength=size).reshape(self.shape) > 0
        return L, P


def chance_tails(L: np.ndarray, P: np.ndarray, own: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The LLRs by which documents could be attributed by chance, largest first: a dev tool's document against
    every *other* tool's dictionary (a tool nobody has learned), and a clean document against every dictionary.
    Without proof a document is never attributed, so those cells count as −∞."""
    V = np.where(P, L, -np.inf)
    foreign = np.ones(L.shape, dtype=bool)
    tool = own >= 0
    foreign[np.nonzero(tool)[0], own[tool]] = False
    f = np.sort(V[tool][foreign[tool]])[::-1]
    c = np.sort(V[~tool].ravel())[::-1]
    return f, c


def _subsets(n_dicts: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """For dictionary i: i with the next k−1 (cyclically), and the next k without i (a tool nobody learned)."""
    k = min(k, n_dicts)
    idx = np.arange(n_dicts)[:, None]
    with_own = (idx + np.arange(k)[None, :]) % n_dicts
    without = (idx + 1 + np.arange(min(k, n_dicts - 1))[None, :]) % n_dicts
    return with_own, without


def measured_thresholds(L: np.ndarray, P: np.ndarray, own: np.ndarray, ks, max_clean_share: float,
                        max_unknown_share: float, draws: int = 10, seed: int = 0) -> list[float]:
    """τ(K) for each K in `ks` as measured: the largest attributable LLR among K dictionaries drawn at random
    (`draws` per document) — other tools' for a dev tool's document (a tool nobody learned), any for a clean one
    — may reach τ(K) for at most the allowed shares of them. Non-decreasing in K, never below 0."""
    from .identify import tail_threshold

    def top_share(values: np.ndarray, share: float) -> float:
        return tail_threshold(np.sort(values)[::-1].tolist(), len(values), share)

    rng = np.random.default_rng(seed)
    V = np.where(P, L, -np.inf)
    n_dicts = L.shape[1]
    tool = np.nonzero(own >= 0)[0]
    clean = np.nonzero(own < 0)[0]
    # per tool document, its foreign dictionaries in random orders (own one moved last, never drawn)
    order_t = np.argsort(rng.random((len(tool), draws, n_dicts)) + (np.arange(n_dicts)[None, None, :]
                                                                     == own[tool][:, None, None]), axis=2)
    order_c = np.argsort(rng.random((len(clean), draws, n_dicts)), axis=2)
    out, prev = [], 0.0
    for k in ks:
        got = prev
        if k < n_dicts and len(tool):
            m = np.take_along_axis(V[tool][:, None, :].repeat(draws, 1), order_t[:, :, :k], axis=2).max(axis=2)
            got = max(got, top_share(m.ravel(), max_unknown_share))
        if len(clean):
            m = np.take_along_axis(V[clean][:, None, :].repeat(draws, 1), order_c[:, :, : min(k, n_dicts)],
                                   axis=2).max(axis=2)
            got = max(got, top_share(m.ravel(), max_clean_share))
        out.append(got)
        prev = got
    return out


def evaluate_identify(L: np.ndarray, P: np.ndarray, own: np.ndarray, max_clean_share: float = 0.005,
                      max_unknown_share: float = 0.05, compared: int = COMPARED) -> dict:
    """Identification under one calibration's LLRs (`L`, proofs `P`: documents × dictionaries; `own`: each
    document's tool index, −1 for clean ones) when a document is compared with `compared` dictionaries, at the
    threshold measured for that many (`measured_thresholds`): accuracy among tools (own dictionary among the
    compared, named), the largest LLR being the right one, and the shares of clean documents and of unlearned
    tools' documents (compared only with others' dictionaries) that are attributed. `tail` holds what
    `identify.attribution_threshold` needs for any number of dictionaries."""
    n_dicts = L.shape[1]
    f, c = chance_tails(L, P, own)
    k = min(compared, n_dicts)
    measured = measured_thresholds(L, P, own, range(1, n_dicts), max_clean_share, max_unknown_share)
    tail = {"foreign": f[np.isfinite(f)].tolist(), "foreign_n": int(len(f)), "clean": c[np.isfinite(c)].tolist(),
            "clean_n": int(len(c)), "unknown_share": max_unknown_share, "clean_share": max_clean_share,
            "measured": measured}
    from .identify import attribution_threshold

    tau = attribution_threshold(tail, k)
    with_own, without = _subsets(n_dicts, k)

    def named(rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per row: the dictionary with the largest LLR among its columns, and whether it is attributed."""
        best = cols[np.arange(len(rows)), np.argmax(L[rows[:, None], cols], axis=1)]
        return best, P[rows, best] & (L[rows, best] >= tau)

    tool = np.nonzero(own >= 0)[0]
    best, named_ok = named(tool, with_own[own[tool]])
    right = best == own[tool]
    _, unknown = named(tool, without[own[tool]])
    clean = np.nonzero(own < 0)[0]
    _, att = named(clean, with_own[np.arange(len(clean)) % n_dicts])
    n_tool = max(len(tool), 1)
    return {"tau": tau, "tail": tail, "compared": k, "accuracy": float((right & named_ok).sum()) / n_tool,
            "argmax_accuracy": float(right.sum()) / n_tool, "clean_attributed": float(att.sum()) / max(len(clean), 1),
            "unknown_attributed": float(unknown.sum()) / n_tool}


def fit_identify(model_path, seeds=DEV_SEEDS, n_learn: int = 50, n_test: int = 50, n_clean: int = 400,
                 corpus_root=None, max_clean_share: float = 0.005, max_unknown_share: float = 0.05,
                 lm=None, rows_cache=None) -> dict:
    """Calibrate identification on dev tools: dictionaries learned from `n_learn` documents of each, tested on
    `n_test` more and on `n_clean` clean dev documents (none of them spun by a dev tool). A tool's documents
    scored against the *other* tools' dictionaries stand for a tool nobody has learned (the right answer is then
    "none": a content farm's tool is often one nobody has a dictionary for). The attribution threshold depends
    on how many dictionaries K a document is compared with (`measured_thresholds`: at most `max_unknown_share`
    of unlearned tools' documents and `max_clean_share` of clean ones reach it among K dictionaries; beyond the
    dev tools' number, `identify.attribution_threshold`'s union bound). The grid parameters (context check β,
    g0; absence weight γ; singleton prior; hits per unit; q floor; ratio cap) maximise the accuracy among tools
    when each document is compared with COMPARED dictionaries; then a is fitted by likelihood with b = −a·τ(K),
    so P(tool) > P(none) exactly above τ(K). `rows_cache`: a pickle of the documents' evidence, written on the
    first run and read on the next (a refit of the calibration then takes seconds)."""
    import itertools

    from .. import corpus
    from .identify import DEFAULT_CAL, _softmax
    from .learn import learn

    if rows_cache is not None and Path(rows_cache).exists():
        import pickle

        with open(rows_cache, "rb") as fh:
            rows, rates, names = pickle.load(fh)
    else:
        dicts, tests, used_docs = [], [], set()
        for seed in seeds:
            _, texts, _, originals = tool_pile("dev", seed, n_learn + n_test, corpus_root=corpus_root)
            used_docs.update(originals)
            d = learn(texts[:n_learn], name=f"tool-{seed}", model_path=model_path, lm=lm)
            dicts.append(d)
            tests += [(t, d.name) for t in texts[n_learn:]]
        docs = [d for d in corpus.select(corpus.load_documents(corpus_root), "dev", seed=11)
                if d.text not in used_docs]
        tests += [(d.text, "none") for d in random.Random(7).sample(docs, min(n_clean, len(docs)))]
        rows, rates, names = identify_rows(dicts, tests, lm)
        if rows_cache is not None:
            import pickle

            with open(rows_cache, "wb") as fh:
                pickle.dump((rows, rates, names), fh)
    own = np.array([names.index(label) if label in names else -1 for _, _, label, _ in rows])
    table = HitTable(rows, rates)
    best = None
    keys = sorted(IDENTIFY_GRID)
    for values in itertools.product(*(IDENTIFY_GRID[k] for k in keys)):
        cal = {**DEFAULT_CAL, **dict(zip(keys, values))}
        L, P = table.llr(cal)
        ev = evaluate_identify(L, P, own, max_clean_share, max_unknown_share)
        score = (ev["accuracy"], ev["argmax_accuracy"])
        if best is None or score > best[0]:
            best = (score, cal, ev)
    _, cal, ev = best
    tau, k = ev["tau"], ev["compared"]
    L, _ = table.llr(cal)
    with_own, without = _subsets(len(names), k)
    best_a, best_nll = 1.0, None
    for a in (0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0):
        nll = 0.0
        for r in np.nonzero(own >= 0)[0]:  # the tool among COMPARED dictionaries, and unknown among others
            i = own[r]
            p = _softmax({names[j]: L[r, j] for j in with_own[i]}, a, -a * tau)
            nll -= math.log(max(p[names[i]], 1e-12))
            p = _softmax({names[j]: L[r, j] for j in without[i]}, a, -a * tau)
            nll -= math.log(max(p["none"], 1e-12))
        if best_nll is None or nll < best_nll:
            best_a, best_nll = a, nll
    tail = ev["tail"]
    out = {k2: cal[k2] for k2 in DEFAULT_CAL}
    out.update({"a": best_a, "b": round(-best_a * tau, 4),
                "tail": {"foreign": [round(v, 4) for v in tail["foreign"][: TAIL_KEEP[0]]],
                         "foreign_n": tail["foreign_n"],
                         "clean": [round(v, 4) for v in tail["clean"][: TAIL_KEEP[1]]], "clean_n": tail["clean_n"],
                         "measured": [round(v, 4) for v in tail["measured"]],
                         "unknown_share": max_unknown_share, "clean_share": max_clean_share},
                "dev": {"tools": list(seeds), "compared": k, "accuracy": round(ev["accuracy"], 4),
                        "argmax_accuracy": round(ev["argmax_accuracy"], 4),
                        "clean_attributed": round(ev["clean_attributed"], 4),
                        "unknown_tool_attributed": round(ev["unknown_attributed"], 4), "tau": round(tau, 4),
                        "max_unknown_share": max_unknown_share,
                        "documents": int((own >= 0).sum()), "clean_documents": int((own < 0).sum())}})
    return out


def _unexplained_only(args, out: Path) -> int:
    """`unspin spinners train --unexplained-only`: choose `threshold_unexplained` for an existing model file (read
    from --out when it exists, else the package's) on the dev tools learned without their own thesaurus, and write
    the file with nothing else changed."""
    from .learn import MODEL_PATH, load_model

    src = out if out.exists() else MODEL_PATH
    data = json.loads(src.read_text(encoding="utf-8"))
    model = load_model(src)
    dev_honest = examples("dev", DEV_SEEDS, args.docs, args.jobs, args.corpus, cond=(True, True))
    data["threshold_unexplained"] = choose_unexplained_threshold(dev_honest, model["pair"], float(data["threshold"]),
                                                                 args.precision)
    data.setdefault("meta", {})["threshold_unexplained_chosen"] = {
        "command": "unspin spinners train --unexplained-only", "dev_seeds": list(DEV_SEEDS),
        "docs_per_tool": args.docs, "target_precision": args.precision, "date": time.strftime("%Y-%m-%d")}
    out.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}: threshold_unexplained {data['threshold_unexplained']} (threshold {data['threshold']})",
          flush=True)
    return 0


def main(args) -> int:
    from .learn import MODEL_PATH, TreePairModel

    t0 = time.time()
    out = Path(args.out or MODEL_PATH)
    cache = Path(args.examples) if getattr(args, "examples", None) else None
    if getattr(args, "unexplained_only", False):
        return _unexplained_only(args, out)
    dev_honest = None
    if cache is not None and cache.exists():
        import pickle

        with open(cache, "rb") as fh:
            cached = pickle.load(fh)
        train, dev, dev_plain = cached[:3]
        dev_honest = cached[3] if len(cached) > 3 else None
        print(f"examples from {cache}", flush=True)
    else:
        print(f"pair examples: train split, tools {list(TRAIN_SEEDS)} × {args.docs} documents", flush=True)
        train = examples("train", TRAIN_SEEDS, args.docs, args.jobs, args.corpus)
        print(f"dev split, tools {list(DEV_SEEDS)} ({time.time() - t0:.0f} s)", flush=True)
        # thresholds are chosen for the main condition (all installed thesauri), with the engine's evidence (the
        # default) and without it (--no-engine); piles of the honest condition (the tool's thesaurus missing) that
        # show it (`learn.unexplained`) get threshold_unexplained, chosen on them below
        dev = examples("dev", DEV_SEEDS, args.docs, args.jobs, args.corpus, cond=(False, True))
        dev_plain = examples("dev", DEV_SEEDS, args.docs, args.jobs, args.corpus, cond=(False, False))
    if dev_honest is None:  # the same dev tools learned without their own thesaurus (`learn.unexplained`)
        dev_honest = examples("dev", DEV_SEEDS, args.docs, args.jobs, args.corpus, cond=(True, True))
        if cache is not None:
            import pickle

            with open(cache, "wb") as fh:
                pickle.dump((train, dev, dev_plain, dev_honest), fh)
    X = np.array([r[2] for ex in train for r in ex["rows"]])
    y = np.array([r[5] for ex in train for r in ex["rows"]], dtype=float)
    model = TreePairModel.fit(X, y)
    th = choose_threshold(dev, model, args.precision)
    th_plain = choose_threshold(dev_plain, model, args.precision)
    report = []
    for name, exs, t in (("engine", dev, th), ("no_engine", dev_plain, th_plain)):
        for ex in exs:
            sc = dictionary_scores(ex, model)
            p, r = precision_recall(ex, [(u, o) for c, u, o, _ in sc if c >= t])
            report.append({"seed": ex["seed"], "evidence": name, "precision": round(p, 3), "recall_ge3": round(r, 3)})
    th_unexplained = choose_unexplained_threshold(dev_honest, model, th, args.precision)
    data = {"format": "unspin-spinners-model", "version": 1, "pair": model.to_dict(), "threshold": th,
            "threshold_no_engine": th_plain, "threshold_unexplained": th_unexplained, "identify": {},
            "meta": {"train_seeds": list(TRAIN_SEEDS), "dev_seeds": list(DEV_SEEDS),
                     "identify_seeds": list(DEV_SEEDS), "docs_per_tool": args.docs,
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
