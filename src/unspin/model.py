"""The learned combination of signals: small logistic models, one per decision.

- gate: which spans are worth scoring at all (cheap facts of the span alone; boosted trees); span_prior: P(spun)
  from the same facts, the corpus screen's per-span evidence;
- ranker: P(candidate is the original | span spun), softmax over a span's candidates (a conditional logit);
- detector: P(span was spun) from the span's features and its best candidate's; context: the same knowing
  how spun the rest of the document looks;
- doc: spin_score, a calibrated P(document spun) from the evidence of all its spans.

Weights are learned by `unspin train` (unspin/train.py) from spinner output and stored in
unspin/data/model.json (a few kB, readable, diffable). Logistic regression keeps every weight explainable.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MODEL_PATH = Path(__file__).parent / "data" / "model.json"


def standardise(X):
    """(Z, mean, scale, constant-column mask); constant columns (the bias) are left unscaled."""
    X = np.asarray(X, dtype=np.float64)
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    const = scale < 1e-9
    mean[const] = 0.0
    scale[const] = 1.0
    return (X - mean) / scale, mean, scale, const


@dataclass
class Logistic:
    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray

    def decision(self, X: np.ndarray) -> np.ndarray:
        Z = np.subtract(X, self.mean, dtype=np.float64)
        Z /= self.scale  # in place: the same numbers as ((X - mean) / scale), one temporary fewer
        return Z @ self.weights

    def predict(self, X: np.ndarray) -> np.ndarray:
        z = np.clip(self.decision(X), -35, 35)
        return 1.0 / (1.0 + np.exp(-z))

    def partial(self, names: tuple[str, ...], X: np.ndarray) -> np.ndarray:
        """The decision's terms for the features `names` alone (X's columns, in that order). Over a partition of
        the features the partials sum to the decision, up to float rounding: a part that holds for many rows can
        be computed once (the pre-ranker's context-free part is memoised with each candidate table)."""
        j = [self.names.index(n) for n in names]
        Z = np.subtract(X, self.mean[j], dtype=np.float64)
        Z /= self.scale[j]
        return Z @ self.weights[j]

    def to_dict(self) -> dict:
        return {
            "names": list(self.names),
            "mean": [round(float(x), 6) for x in self.mean],
            "scale": [round(float(x), 6) for x in self.scale],
            "weights": [round(float(x), 6) for x in self.weights],
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Logistic":
        return cls(tuple(d["names"]), np.array(d["mean"]), np.array(d["scale"]), np.array(d["weights"]))

    @classmethod
    def fit(cls, names, X: np.ndarray, y: np.ndarray, l2: float = 1.0, sample_weight=None, iters: int = 30):
        """Newton's method (IRLS) on standardised features; the bias column (constant 1) is not scaled."""
        y = np.asarray(y, dtype=np.float64)
        w_s = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        Z, mean, scale, const = standardise(X)
        w = np.zeros(X.shape[1])
        reg = np.full(X.shape[1], l2)
        reg[const] = 1e-6  # the bias is not shrunk

        def loss_of(w):
            z = np.clip(Z @ w, -35, 35)
            ll = w_s * (np.logaddexp(0, z) - y * z)
            return float(ll.sum() + 0.5 * (reg * w * w).sum()), 1.0 / (1.0 + np.exp(-z))

        def grad_hess(w, p):
            return (Z.T @ (w_s * (p - y)) + reg * w,
                    (Z * (w_s * p * (1 - p))[:, None]).T @ Z + np.diag(reg))

        return cls(tuple(names), mean, scale, damped_newton(loss_of, grad_hess, w, iters))


def fit_conditional_logit(names, X: np.ndarray, groups_start: np.ndarray, truth: np.ndarray, l2: float = 1.0,
                          iters: int = 40) -> Logistic:
    """Softmax over each span's candidates (a conditional logit), fitted by Newton's method: it optimises
    exactly what the ranker is used for — which candidate is the original — rather than each candidate's
    odds on its own. `groups_start`: first row of each span; `truth`: 1.0 on each span's original."""
    Z, mean, scale, _ = standardise(X)
    n, d = Z.shape
    gid = np.repeat(np.arange(len(groups_start)), np.diff(np.append(groups_start, n)))
    t_sum = Z[truth > 0].sum(axis=0)

    def loss_parts(w):
        z = Z @ w
        zmax = np.maximum.reduceat(z, groups_start)
        e = np.exp(z - zmax[gid])
        se = np.add.reduceat(e, groups_start)
        loss = float((np.log(se) + zmax).sum() - t_sum @ w + 0.5 * l2 * w @ w)
        return loss, e / se[gid]

    def grad_hess(w, p):
        pz = Z * p[:, None]
        xbar = np.add.reduceat(pz, groups_start, axis=0)
        return pz.sum(axis=0) - t_sum + l2 * w, pz.T @ Z - xbar.T @ xbar + l2 * np.eye(d)

    return Logistic(tuple(names), mean, scale, damped_newton(loss_parts, grad_hess, np.zeros(d), iters))


def damped_newton(loss_of, grad_hess, w: np.ndarray, iters: int) -> np.ndarray:
    """Minimise a convex objective by Newton's method, halving a step until the objective decreases (a full step
    can overshoot). `loss_of(w)` -> (loss, p); `grad_hess(w, p)` -> (gradient, Hessian)."""
    loss, p = loss_of(w)
    for _ in range(iters):
        g, h = grad_hess(w, p)
        step = np.linalg.solve(h, g)
        t = 1.0
        while True:
            w_new = w - t * step
            new_loss, new_p = loss_of(w_new)
            if new_loss <= loss or t < 1e-6:
                break
            t *= 0.5
        w, loss, p = w_new, new_loss, new_p
        if np.max(np.abs(t * step)) < 1e-7:
            break
    return w


@dataclass
class Trees:
    """Gradient-boosted decision trees (fitted with scikit-learn's HistGradientBoostingClassifier at training
    time, predicted here with numpy alone): all trees are walked at once, one level per step, so a batch of
    spans costs a few dozen array operations. Used where feature interactions matter (the detectors)."""

    names: tuple[str, ...]
    base: float  # raw score before any tree
    feature: np.ndarray  # int32 (trees, nodes): feature tested at each node
    threshold: np.ndarray  # float64 (trees, nodes): x ≤ threshold goes left
    left: np.ndarray  # int32 (trees, nodes)
    right: np.ndarray
    value: np.ndarray  # float64 (trees, nodes): leaf values (raw, learning rate applied)
    leaf: np.ndarray  # bool (trees, nodes)
    depth: int

    # (sample, tree) cells walked at once: the walk allocates a few arrays of this many cells, so a document with
    # hundreds of thousands of retained spans is predicted in blocks of rows (same numbers, bounded memory)
    BLOCK_CELLS = 500_000

    def decision(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        n = len(X)
        if n == 0:
            return np.zeros(0)
        rows = max(1, self.BLOCK_CELLS // max(self.feature.shape[0], 1))
        if n > rows:
            return np.concatenate([self._decision(X[i : i + rows]) for i in range(0, n, rows)])
        return self._decision(X)

    def _flat(self):
        """The nodes of all trees as one flat table, built once: global child indexes, and every leaf made a
        fixed point (it tests feature 0 against +inf and both its children are itself), so the walk needs no
        "still active?" test per level and a finished (sample, tree) cell simply stays where it is."""
        flat = self.__dict__.get("_flat_tables")
        if flat is None:
            T, width = self.feature.shape
            offs = np.repeat(np.arange(T, dtype=np.int64) * width, width)
            here = np.arange(T * width, dtype=np.int64)
            leaf = self.leaf.ravel()
            feature = np.where(leaf, 0, self.feature.ravel()).astype(np.int64)
            threshold = np.where(leaf, np.inf, self.threshold.ravel())
            left = np.where(leaf, here, self.left.ravel() + offs)
            right = np.where(leaf, here, self.right.ravel() + offs)
            # children[2i] is node i's left child, children[2i + 1] its right: one gather per level picks either
            children = np.empty(2 * len(left), dtype=np.int64)
            children[0::2] = left
            children[1::2] = right
            flat = self.__dict__["_flat_tables"] = (feature, threshold, children, self.value.ravel())
        return flat

    def _decision(self, X: np.ndarray) -> np.ndarray:
        n = len(X)
        T, width = self.feature.shape
        feature, threshold, children, value = self._flat()
        node = np.broadcast_to((np.arange(T, dtype=np.int64) * width)[None, :], (n, T)).copy()
        Xf = X.ravel()
        base_row = (np.arange(n, dtype=np.int64) * X.shape[1])[:, None]
        for _ in range(self.depth):
            # (NaN would go right; features are never NaN, and scikit-learn's missing-value side is not kept)
            go_left = Xf[base_row + feature[node]] <= threshold[node]
            node = children[2 * node + ~go_left]
        return self.base + value[node].sum(axis=1)

    def predict(self, X: np.ndarray) -> np.ndarray:
        z = np.clip(self.decision(X), -35, 35)
        return 1.0 / (1.0 + np.exp(-z))

    @classmethod
    def fit(cls, names, X: np.ndarray, y: np.ndarray, iters: int = 200, learning_rate: float = 0.1,
            max_leaf_nodes: int = 31, min_samples_leaf: int = 40, max_depth: int = 7, seed: int = 0,
            sample_weight=None) -> "Trees":
        from sklearn.ensemble import HistGradientBoostingClassifier  # training only (`pip install unspin[train]`)

        clf = HistGradientBoostingClassifier(max_iter=iters, learning_rate=learning_rate, max_depth=max_depth,
                                             max_leaf_nodes=max_leaf_nodes, min_samples_leaf=min_samples_leaf,
                                             l2_regularization=1.0, random_state=seed, early_stopping=False)
        clf.fit(np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.int64), sample_weight=sample_weight)
        trees = [p[0].nodes for p in clf._predictors]
        width = max(len(t) for t in trees)
        T = len(trees)
        arr = {k: np.zeros((T, width), dtype=dt) for k, dt in (("feature", np.int32), ("threshold", np.float64),
                                                             ("left", np.int32), ("right", np.int32),
                                                             ("value", np.float64), ("leaf", bool))}
        arr["leaf"][:] = True  # padding nodes are leaves of value 0 (never reached)
        for i, nodes in enumerate(trees):
            m = len(nodes)
            arr["feature"][i, :m] = nodes["feature_idx"]
            arr["threshold"][i, :m] = nodes["num_threshold"]
            arr["left"][i, :m] = nodes["left"]
            arr["right"][i, :m] = nodes["right"]
            arr["value"][i, :m] = np.where(nodes["is_leaf"], nodes["value"], 0.0)
            arr["leaf"][i, :m] = nodes["is_leaf"].astype(bool)
        depth = int(max(t["depth"].max() for t in trees)) + 1
        return cls(tuple(names), float(np.ravel(clf._baseline_prediction)[0]), depth=depth, **arr)

    def to_dict(self) -> dict:
        return {"kind": "trees", "names": list(self.names), "base": self.base, "depth": self.depth,
                "trees": [[[int(f), float(t), int(l), int(r), round(float(v), 7), bool(lf)]
                           for f, t, l, r, v, lf in zip(*(getattr(self, k)[i] for k in
                                                          ("feature", "threshold", "left", "right", "value", "leaf")))]
                          for i in range(self.feature.shape[0])]}

    @classmethod
    def from_dict(cls, d: dict) -> "Trees":
        rows = d["trees"]
        width = max(len(t) for t in rows)
        T = len(rows)
        feature = np.zeros((T, width), np.int32)
        threshold = np.zeros((T, width))
        left = np.zeros((T, width), np.int32)
        right = np.zeros((T, width), np.int32)
        value = np.zeros((T, width))
        leaf = np.ones((T, width), bool)
        for i, nodes in enumerate(rows):
            for j, (f, t, l, r, v, lf) in enumerate(nodes):
                feature[i, j], threshold[i, j], left[i, j], right[i, j], value[i, j], leaf[i, j] = f, t, l, r, v, lf
        return cls(tuple(d["names"]), float(d["base"]), feature, threshold, left, right, value, leaf, int(d["depth"]))


def learner_from_dict(d: dict):
    return Trees.from_dict(d) if d.get("kind") == "trees" else Logistic.from_dict(d)


MODEL_FORMAT = "unspin-model-2"
# texts shorter than this are "short" for the verdict (Model.short_spun_findings); the verdict targets' documents
# are longer
SHORT_TEXT_WORDS = 150


class ModelError(ValueError):
    """A model file this code cannot use (another format, or features other than the code's)."""


@dataclass
class Model:
    """The learned decisions, in the order the engine applies them (see engine.py)."""

    ranker: Logistic  # PAIR_FEATURES → which candidate is the original (softmax per span)
    detector: "Logistic | Trees"  # SPAN_FEATURES → P(span spun), first pass
    preranker: Logistic | None = None  # PRE_FEATURES → keeps the pool_k likeliest candidates per span
    pool_k: int = 0  # candidates per span that get the full window (0: all)
    gate: Trees | Logistic | None = None  # GATE_FEATURES: cheap first stage; spans below gate_threshold are skipped
    gate_threshold: float = -1e9  # on the gate's decision value
    # GATE_FEATURES → P(span spun) from the cheap facts alone: the corpus screen's per-span evidence. The gate is
    # taught what the detector will make of a span, which serves skipping work but tells the screen less (dev:
    # clean documents cleared 0.44 with this prior, 0.28 with the gate's probabilities). None: the gate (older files)
    span_prior: Logistic | None = None
    context: "Logistic | Trees | None" = None  # CONTEXT_FEATURES → P(span spun) knowing how spun the rest of the
    # document and the text around the span look: the findings' probability
    # DOC_CONTEXT_FEATURES → P(span spun) knowing the whole document's evidence only: what the spin score counts.
    # With the local context in the counts, chance clusters of odd words in honest documents made their scores' upper
    # tail heavier, the `spun` cut rose, and spun documents called spun fell by half (bench, 2026-12-01)
    doc_context: "Logistic | Trees | None" = None
    doc: Logistic | None = None  # DOC_FEATURES → spin_score
    screen: Logistic | None = None  # SCREEN_FEATURES → the corpus screen's first stage
    screen_threshold: float = -1e9  # decision value below which a document is cleared without span analysis
    threshold: float = 0.5  # span probability for a `finding` (≤ 1 false finding / 1,000 clean words)
    suspect_threshold: float = 0.3  # span probability for a `suspect` (≤ 5 false suspects / 1,000 clean words)
    doc_spun: float = 0.9  # spin_score at or above which the verdict is `spun` (≤ 1 % of clean documents)
    doc_clean: float = 0.5  # spin_score below which the verdict is `clean`; between: `uncertain`
    # how many different words at `finding` level a short text (under SHORT_TEXT_WORDS words: a pasted paragraph,
    # what an editor plug-in sends) needs, besides the documents' cut, to be `spun`. Chosen on honest short texts as
    # doc_spun is on documents (train.short_spun_findings): a few chance findings in 100 words give a spin score that
    # honest documents of 150+ words rarely reach (0.8 % of honest dev paragraphs reached doc_spun). None (older
    # files): one finding or suspect, as for documents
    short_spun_findings: int | None = None
    meta: dict = field(default_factory=dict)

    def gate_keep(self, X: np.ndarray) -> np.ndarray:
        """Which spans (rows of GATE_FEATURES) go on to candidate scoring."""
        if self.gate is None:
            return np.ones(len(X), dtype=bool)
        return self.gate.decision(X) >= self.gate_threshold

    def span_prior_p(self, X: np.ndarray) -> np.ndarray:
        """P(span spun) of rows of GATE_FEATURES from the cheap facts alone (the screen's per-span evidence)."""
        prior = self.span_prior if self.span_prior is not None else self.gate
        return prior.predict(X) if prior is not None and len(X) else np.zeros(len(X))

    def to_dict(self) -> dict:
        return {
            "format": MODEL_FORMAT,
            "ranker": self.ranker.to_dict(),
            "detector": self.detector.to_dict(),
            "preranker": self.preranker.to_dict() if self.preranker else None,
            "pool_k": self.pool_k,
            "gate": self.gate.to_dict() if self.gate else None,
            "gate_threshold": self.gate_threshold,
            "span_prior": self.span_prior.to_dict() if self.span_prior else None,
            "context": self.context.to_dict() if self.context else None,
            "doc_context": self.doc_context.to_dict() if self.doc_context else None,
            "doc": self.doc.to_dict() if self.doc else None,
            "screen": self.screen.to_dict() if self.screen else None,
            "screen_threshold": self.screen_threshold,
            "threshold": self.threshold,
            "suspect_threshold": self.suspect_threshold,
            "doc_spun": self.doc_spun,
            "doc_clean": self.doc_clean,
            "short_spun_findings": self.short_spun_findings,
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Model":
        if d.get("format") != MODEL_FORMAT:
            raise ModelError(f"not an unspin model of format {MODEL_FORMAT} (found {d.get('format')!r}); retrain "
                             "with `unspin train`")
        opt = lambda k: learner_from_dict(d[k]) if d.get(k) else None  # noqa: E731
        return cls(
            ranker=Logistic.from_dict(d["ranker"]),
            detector=learner_from_dict(d["detector"]),
            preranker=opt("preranker"),
            pool_k=int(d.get("pool_k", 0)),
            gate=opt("gate"),
            gate_threshold=float(d.get("gate_threshold", -1e9)),
            span_prior=opt("span_prior"),
            context=opt("context"),
            doc_context=opt("doc_context"),
            doc=opt("doc"),
            screen=opt("screen"),
            screen_threshold=float(d.get("screen_threshold", -1e9)),
            threshold=float(d["threshold"]),
            suspect_threshold=float(d["suspect_threshold"]),
            doc_spun=float(d["doc_spun"]),
            doc_clean=float(d["doc_clean"]),
            short_spun_findings=None if d.get("short_spun_findings") is None else int(d["short_spun_findings"]),
            meta=d.get("meta", {}),
        )

    def check_features(self, where: str) -> None:
        """Refuse weights learned for other feature columns than the code computes (they would be applied
        to the wrong signals without any error)."""
        from . import features as F

        want = {"ranker": F.PAIR_FEATURES, "preranker": F.PRE_FEATURES, "detector": F.SPAN_FEATURES,
                "gate": F.GATE_FEATURES, "span_prior": F.GATE_FEATURES, "screen": F.SCREEN_FEATURES,
                "context": F.CONTEXT_FEATURES, "doc_context": F.DOC_CONTEXT_FEATURES, "doc": F.DOC_FEATURES}
        for part, names in want.items():
            lg = getattr(self, part)
            if lg is not None and tuple(lg.names) != tuple(names):
                missing = [n for n in names if n not in lg.names]
                extra = [n for n in lg.names if n not in names]
                raise ModelError(f"{where}: the {part} was trained on other features than this unspin computes "
                                 f"(missing {missing}, unknown {extra}); retrain with `unspin train`")

    def save(self, path: str | Path = MODEL_PATH) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n")


_CACHE: dict[str, Model] = {}


def load(path: str | Path | None = None) -> Model:
    p = Path(path) if path else MODEL_PATH
    key = str(p)
    if key not in _CACHE:
        if not p.exists():
            raise FileNotFoundError(f"{p}: model file not found; run `unspin train` to create it")
        try:
            m = Model.from_dict(json.loads(p.read_text()))
        except ModelError as e:
            raise ModelError(f"{p}: {e}") from None
        except (ValueError, KeyError, TypeError) as e:
            raise ModelError(f"{p}: not a valid unspin model file ({e})") from e
        m.check_features(str(p))
        _CACHE[key] = m
    return _CACHE[key]
