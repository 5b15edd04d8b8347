"""The learned combination of signals: two small logistic models and a document calibration.

- ranker: P(candidate is the original | span spun), softmax-normalised over a span's candidates;
- detector: P(span was spun) from the span's features and its best candidate's;
- document: spin_score = sigmoid(a + b·ln(1 + finding strength per 1,000 words)).

Weights are learned by `unspin train` (unspin/train.py) from spinner output and stored in
unspin/data/model.json (a few kB, readable, diffable). Logistic regression keeps every weight explainable.
"""
from __future__ import annotations

import json
import math
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
        return ((X - self.mean) / self.scale) @ self.weights

    def predict(self, X: np.ndarray) -> np.ndarray:
        z = np.clip(self.decision(X), -35, 35)
        return 1.0 / (1.0 + np.exp(-z))

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
        for _ in range(iters):
            z = np.clip(Z @ w, -35, 35)
            p = 1.0 / (1.0 + np.exp(-z))
            g = Z.T @ (w_s * (p - y)) + reg * w
            h = (Z * (w_s * p * (1 - p))[:, None]).T @ Z + np.diag(reg)
            step = np.linalg.solve(h, g)
            w -= step
            if np.max(np.abs(step)) < 1e-7:
                break
        return cls(tuple(names), mean, scale, w)


def fit_conditional_logit(names, X: np.ndarray, groups_start: np.ndarray, truth: np.ndarray, l2: float = 1.0,
                          iters: int = 40) -> Logistic:
    """Softmax over each span's candidates (a conditional logit), fitted by Newton's method: it optimises
    exactly what the ranker is used for — which candidate is the original — rather than each candidate's
    odds on its own. `groups_start`: first row of each span; `truth`: 1.0 on each span's original."""
    Z, mean, scale, _ = standardise(X)
    n, d = Z.shape
    gid = np.repeat(np.arange(len(groups_start)), np.diff(np.append(groups_start, n)))
    w = np.zeros(d)
    t_sum = Z[truth > 0].sum(axis=0)
    for _ in range(iters):
        z = Z @ w
        zmax = np.maximum.reduceat(z, groups_start)
        e = np.exp(z - zmax[gid])
        p = e / np.add.reduceat(e, groups_start)[gid]
        pz = Z * p[:, None]
        xbar = np.add.reduceat(pz, groups_start, axis=0)
        g = pz.sum(axis=0) - t_sum + l2 * w
        h = pz.T @ Z - xbar.T @ xbar + l2 * np.eye(d)
        step = np.linalg.solve(h, g)
        w -= step
        if np.max(np.abs(step)) < 1e-7:
            break
    return Logistic(tuple(names), mean, scale, w)


@dataclass
class Model:
    ranker: Logistic
    detector: Logistic
    doc_a: float = -3.0
    doc_b: float = 1.5
    threshold: float = 0.5  # detector probability at which a span becomes a finding
    meta: dict = field(default_factory=dict)
    gate: Logistic | None = None  # cascade: cheap first-stage model
    gate_threshold: float = 0.0  # decision value below which a span is skipped
    context: Logistic | None = None  # second pass: detector features + how spun the rest of the doc looks
    threshold_spun: float | None = None  # finding threshold inside documents whose spin score is ≥ 0.5

    def effective_threshold(self, doc_score: float) -> float:
        if self.threshold_spun is not None and doc_score >= 0.5:
            return min(self.threshold_spun, self.threshold)
        return self.threshold

    def gate_fn(self):
        """A fast predicate over CHEAP_FEATURES (pure Python: called once per span)."""
        if self.gate is None:
            return None
        w = [float(x) / float(sc) for x, sc in zip(self.gate.weights, self.gate.scale)]
        off = -sum(m * wi for m, wi in zip(self.gate.mean, w))
        t = self.gate_threshold - off

        def gate(x) -> bool:
            return sum(a * b for a, b in zip(x, w)) >= t

        return gate

    def doc_score(self, strength_per_1000: float) -> float:
        z = self.doc_a + self.doc_b * math.log1p(max(strength_per_1000, 0.0))
        return 1.0 / (1.0 + math.exp(-max(min(z, 35), -35)))

    def to_dict(self) -> dict:
        return {
            "format": "unspin-model-1",
            "ranker": self.ranker.to_dict(),
            "detector": self.detector.to_dict(),
            "doc": {"a": self.doc_a, "b": self.doc_b},
            "threshold": self.threshold,
            "gate": self.gate.to_dict() if self.gate else None,
            "gate_threshold": self.gate_threshold,
            "context": self.context.to_dict() if self.context else None,
            "threshold_spun": self.threshold_spun,
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Model":
        if d.get("format") != "unspin-model-1":
            raise ValueError("not an unspin model file (format unspin-model-1)")
        return cls(
            Logistic.from_dict(d["ranker"]),
            Logistic.from_dict(d["detector"]),
            float(d["doc"]["a"]),
            float(d["doc"]["b"]),
            float(d["threshold"]),
            d.get("meta", {}),
            Logistic.from_dict(d["gate"]) if d.get("gate") else None,
            float(d.get("gate_threshold", 0.0)),
            Logistic.from_dict(d["context"]) if d.get("context") else None,
            d.get("threshold_spun"),
        )

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
            _CACHE[key] = Model.from_dict(json.loads(p.read_text()))
        except (ValueError, KeyError) as e:
            raise ValueError(f"{p}: not a valid unspin model file ({e})") from e
    return _CACHE[key]
