"""Grouping spun documents by the tool that made them, then learning one dictionary per group.

A tool writes the same odd replacements into everything it spins ("purlieus", "forenamed", "gives
acknowledgment"), so its documents share *markers*: units that are rare in clean English. Each document
becomes a vector of its markers (weighted by inverse document frequency, markers of a single document or
of most documents dropped); documents are grouped by cosine similarity to group centroids (one greedy pass,
then a few k-means-like rounds); groups smaller than `min_docs` are dissolved. A dictionary is learned per
group, every document is re-assigned by `identify` against those dictionaries (documents that none explains
stay unclustered), and the dictionaries are learned again from the final groups.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from .pile import build_pile, clean_lograte

MARKER_LOGRATE = math.log(1e-6)  # units rarer than one per million words of clean English


@dataclass
class Cluster:
    id: int
    documents: list[str]
    dictionary: object = None  # LearnedDictionary
    top_pairs: list[tuple[str, str, int]] = field(default_factory=list)  # (spun, original, documents)

    def to_dict(self) -> dict:
        return {"id": self.id, "documents": list(self.documents),
                "entries": len(self.dictionary) if self.dictionary is not None else 0,
                "top_pairs": [{"spun": s, "original": o, "documents": n} for s, o, n in self.top_pairs]}


@dataclass
class Clustering:
    clusters: list[Cluster]
    unclustered: list[str]

    @property
    def assignment(self) -> dict[str, int]:
        out = {d: -1 for d in self.unclustered}
        for c in self.clusters:
            out.update({d: c.id for d in c.documents})
        return out

    def to_dict(self) -> dict:
        return {"clusters": [c.to_dict() for c in self.clusters], "unclustered": list(self.unclustered)}


def markers(texts: list[str], lm=None) -> list[set[str]]:
    """Per document: its words that are rare in clean English (and not capitalised inside a sentence)."""
    memo: dict[str, bool] = {}
    out = []
    for t in texts:
        pile = build_pile([t], keep_occurrences=False)
        m = set()
        for u in pile.count:
            if " " in u:
                continue  # rare n-grams are mostly shared boilerplate, not a tool's output
            v = memo.get(u)
            if v is None:
                v = memo[u] = clean_lograte(u, lm) < MARKER_LOGRATE and not pile.capitalised.get(u)
            if v:
                m.add(u)
        out.append(m)
    return out


def _vectors(marks: list[set[str]], max_df_share: float = 0.5) -> list[dict[str, float]]:
    df = Counter(u for m in marks for u in m)
    n = len(marks)
    vecs = []
    for m in marks:
        v = {u: math.log(n / df[u]) for u in m if 2 <= df[u] <= max_df_share * n}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vecs.append({u: x / norm for u, x in v.items()})
    return vecs


def _cos(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(x * b.get(u, 0.0) for u, x in a.items())


def _centroid(vecs: list[dict[str, float]]) -> dict[str, float]:
    c: Counter = Counter()
    for v in vecs:
        c.update(v)
    norm = math.sqrt(sum(x * x for x in c.values())) or 1.0
    return {u: x / norm for u, x in c.items()}


def group(vecs: list[dict[str, float]], threshold: float = 0.1, rounds: int = 3) -> list[int]:
    """Group ids per vector (−1: none) by greedy leader clustering plus k-means-like refinement."""
    order = sorted(range(len(vecs)), key=lambda i: -len(vecs[i]))
    centroids: list[dict[str, float]] = []
    members: list[list[int]] = []
    label = [-1] * len(vecs)
    for i in order:
        if not vecs[i]:
            continue
        sims = [_cos(vecs[i], c) for c in centroids]
        k = max(range(len(sims)), key=sims.__getitem__) if sims else -1
        if k >= 0 and sims[k] >= threshold:
            members[k].append(i)
            centroids[k] = _centroid([vecs[j] for j in members[k]])
            label[i] = k
        else:
            centroids.append(dict(vecs[i]))
            members.append([i])
            label[i] = len(centroids) - 1
    for _ in range(rounds):
        new = []
        for i, v in enumerate(vecs):
            sims = [_cos(v, c) for c in centroids]
            k = max(range(len(sims)), key=sims.__getitem__) if sims else -1
            new.append(k if k >= 0 and sims[k] >= threshold else -1)
        if new == label:
            break
        label = new
        groups: dict[int, list[int]] = {}
        for i, k in enumerate(label):
            if k >= 0:
                groups.setdefault(k, []).append(i)
        keys = sorted(groups)
        centroids = [_centroid([vecs[j] for j in groups[k]]) for k in keys]
        remap = {k: n for n, k in enumerate(keys)}
        label = [remap.get(k, -1) for k in label]
    return label


def cluster(docs: list[tuple[str, str]], *, min_docs: int = 5, threshold: float = 0.1, learn_options=None,
            min_llr: float = 6.0, min_margin: float = 3.0, max_seeds: int = 20, rounds: int = 2, lm=None,
            progress=None) -> Clustering:
    """Cluster (id, text) documents by the tool that spun them and learn one dictionary per cluster.

    Seeds: small groups of documents that share rare markers (high `threshold`: pure rather than complete).
    Each seed's dictionary is learned; two groups whose dictionaries each explain most of the other's documents
    are merged (one tool that gave two seeds); every document is assigned to the dictionary that explains it
    (the largest likelihood ratio of `identify`, when it reaches `min_llr`; else none), and this repeats `rounds` times."""
    from .identify import Scorer, identify
    from .learn import learn, load_model

    learn_options = dict(learn_options or {})
    ids = [d for d, _ in docs]
    texts = [t for _, t in docs]
    labels = group(_vectors(markers(texts, lm)), threshold)
    sizes = Counter(k for k in labels if k >= 0)
    seed_size = max(3, min_docs - 1)
    seed_options = {**learn_options, "threshold": learn_options.get("threshold", 0.3)}
    seeds = sorted((k for k, n in sizes.items() if n >= seed_size), key=lambda k: -sizes[k])[:max_seeds]
    groups = {n: [i for i, k in enumerate(labels) if k == old] for n, old in enumerate(seeds)}
    cal = load_model(learn_options.get("model_path"))["identify"]
    step = [0]

    def learn_groups(gs: dict[int, list[int]], options=learn_options) -> dict[int, object]:
        out = {}
        for k, members in sorted(gs.items()):
            if progress:
                progress(step[0], None)
            step[0] += 1
            out[k] = learn([texts[i] for i in members], name=f"cluster-{k + 1}", lm=lm, **options)
        return out

    dicts = learn_groups(groups, seed_options) if groups else {}
    for r in range(rounds):
        dicts = {k: d for k, d in dicts.items() if len(d)}
        if not dicts:
            break
        keys = sorted(dicts)
        scorers = [Scorer(dicts[k], cal, lm) for k in keys]
        llr = []  # per document: {key: likelihood ratio}
        for t in texts:
            ident = identify(t, scorers, min_probability=0.0, lm=lm)
            llr.append({k: ident.llr[s.name] for k, s in zip(keys, scorers)})
        # merge groups whose dictionaries both explain most of one group's documents (one tool, two seeds)
        rep = {k: k for k in keys}

        def find(k):
            while rep[k] != k:
                k = rep[k]
            return k

        def explains(b, a) -> bool:  # b's dictionary explains most of a's documents
            members = groups.get(a, [])
            return bool(members) and sum(1 for i in members if llr[i][b] >= min_llr) >= 0.5 * len(members)

        for n, a in enumerate(keys):
            for b in keys[n + 1 :]:
                if explains(a, b) and explains(b, a):
                    rep[find(b)] = find(a)
        new: dict[int, list[int]] = {}
        for i, scores in enumerate(llr):
            merged: dict[int, float] = {}
            for k, v in scores.items():
                root = find(k)
                merged[root] = max(merged.get(root, -1e9), v)
            ranked = sorted(merged.values(), reverse=True)
            best = max(merged, key=merged.get)
            # a document two groups explain about equally well stays out: it would blur both dictionaries
            if merged[best] >= min_llr and (len(ranked) < 2 or ranked[0] - ranked[1] >= min_margin):
                new.setdefault(best, []).append(i)
        new = {k: v for k, v in new.items() if len(v) >= min_docs}
        ordered = sorted(new, key=lambda k: -len(new[k]))
        groups = {n: new[k] for n, k in enumerate(ordered)}
        dicts = learn_groups(groups, learn_options if r == rounds - 1 else seed_options)
    groups = {k: v for k, v in groups.items() if len(v) >= min_docs and k in dicts}
    clusters = []
    placed: set[int] = set()
    for n, k in enumerate(sorted(groups, key=lambda k: -len(groups[k]))):
        members = groups[k]
        placed.update(members)
        d = dicts[k]
        d.name = f"cluster-{n + 1}"
        units = {e.spun: e.original for e in d.entries}
        per_doc: Counter = Counter()
        for i in members:
            present = build_pile([texts[i]], keep_occurrences=False).count
            per_doc.update(u for u in units if present.get(u))
        top = [(u, units[u], c) for u, c in per_doc.most_common(10)]
        clusters.append(Cluster(n + 1, [ids[i] for i in members], d, top))
    return Clustering(clusters, [ids[i] for i in range(len(ids)) if i not in placed])
