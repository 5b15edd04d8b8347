"""Learning a spinning tool's dictionary from a pile of its output, without the originals.

A tool that replaces *o* by *s* at rate *r* leaves a trace in everything it writes:

- *s* is over-represented against clean English (wordfreq; the language model for phrases), often wildly so
  because tools prefer rare synonyms ("gives acknowledgment" in 14 of 50 news stories);
- in the places where *s* occurs, the language model keeps preferring the same *o* (slots.py), and *o*
  itself still occurs elsewhere in the pile (the tool leaves a share (1 − r) of its occurrences, and a share of
  words alone entirely), often in the same documents;
- *o* and *s* are often linked in some thesaurus (any of the installed ones; the tool's source is unknown);
- the engine (`unspin.check`) flags some occurrences of *s* with *o* as first suggestion;
- with a trace index, an aligned source gives exact (o, s) pairs.

Every candidate pair (unit *s*, word *o*) gets these signals as features; a logistic model trained on the
output of drawn tools (`unspin spinners train`, train split; thresholds on the dev split) turns them into a
calibrated confidence that the pair is in the tool's dictionary. Each spun unit keeps its best original;
overlapping units (a phrase and its words) keep the better explained one.
"""
from __future__ import annotations

import hashlib
import math
import time
from functools import lru_cache
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np

from ..knowledge import morph
from .pile import Pile, build_pile, clean_lograte, is_content
from .slots import SlotScorer, SlotStats

DEFAULT_SOURCES = ("moby", "mythes", "wordnet")
MAX_OCCURRENCES = 8  # occurrences of a unit scored in context (spread over documents)
MAX_VOCAB = 3000  # pile words tried as originals
MAX_CANDIDATES = 24  # originals kept per unit for the model
COMMON_ZIPF = 4.0  # linked words this common are tried as originals even when the pile never shows them
FREQUENT_SURPRISE = 1.0  # units seen at least 3 times need only this much over-representation
GAIN_CLIP = 15.0

FEATURES = (
    "bias", "gain_mean", "win_share", "top1_share", "top3_share", "logrank_mean", "occ_scored", "u_count", "u_df",
    "u_surprise", "u_zipf", "u_nwords", "u_oov", "o_zipf", "o_count", "o_ratio", "cooc", "linked", "link_rev",
    "zipf_drop", "gain_margin", "o_in_unit", "gain_sum", "gain_min", "tag_agree", "tag_clash", "u_caps", "o_caps",
    "ctx_share", "cooc_lift", "render_ok", "ctx_cos", "ctx_cos_margin", "engine_share", "engine_any",
    "link_fwd", "n_sources", "nb_only", "log_nsyn", "glove_sim", "share", "gain_rank", "gain_soft", "u_attraction",
    "o_is_unit", "o_absent", "u_nlinks", "o_zipf_rank", "engine_used",
)


@dataclass
class Pair:
    unit: str  # spun form (lower case), as the tool writes it
    original: str  # candidate original form (lower case)
    x: np.ndarray  # features (FEATURES)
    count: int  # occurrences of the unit in the pile
    docs: int  # documents containing the unit
    evidence: dict = field(default_factory=dict)


# ---- thesaurus links (any installed source: the tool's own source is unknown) ------------------------------


@dataclass(frozen=True)
class LinkFacts:
    """Static facts of a candidate original for a unit (from `unspin.candidates`, the engine's candidate pool)."""

    reverse: bool = False  # the original's entry lists the unit (the direction a tool drawing from it took)
    forward: bool = False  # the unit's entry lists the original
    n_sources: float = 0.0  # learner thesauri that link the pair
    neighbour_only: bool = False  # proposed by GloVe alone (no thesaurus link)
    log_nsyn: float = 0.0  # ln(synonyms the original lists): a tool picks one of them
    sim: float = 0.0  # GloVe cosine of unit and original
    zipf: float = 0.0  # the original's Zipf frequency


_NO_FACTS = LinkFacts()


class Links:
    """Candidate originals of a unit with static facts: every thesaurus link in the learner's thesauri (both
    directions, inflected like the unit; base-form units take every form of their originals, as POS-blind
    tools write them) and the unit's nearest GloVe neighbours among everyday words — the engine's candidate
    pool (`unspin.candidates`), restricted to the thesauri `sources`."""

    def __init__(self, sources=DEFAULT_SOURCES, neighbours: bool = True):
        from .. import candidates
        from ..knowledge import lexicon, thesaurus as thes

        avail = thes.available_sources()
        self.sources = [s for s in sources if s in avail]
        self.lex = lexicon.load()
        mask = thes.bits_of(self.sources)
        self.mask = mask
        self.pool = candidates.CandidatePool(self.lex, candidates.default_sources(self.lex, mask,
                                                                                    neighbours=neighbours), mask)
        self.th = self.lex.th
        self._memo: dict[str, dict[str, LinkFacts]] = {}

    def is_term(self, unit: str) -> bool:
        i = self.th.term_id.get(unit)
        if i is None:
            return False
        ptr = self.th.fwd_ptr
        a, b = int(ptr[i]), int(ptr[i + 1])
        if a < b and (self.th.fwd_src[a:b] & self.mask).any():
            return True
        ptr = self.th.rev_ptr
        a, b = int(ptr[i]), int(ptr[i + 1])
        return bool(a < b and (self.th.rev_src[a:b] & self.mask).any())

    def facts(self, unit: str) -> dict[str, LinkFacts]:
        """{candidate original form: LinkFacts} (content words and phrases of up to 3 words)."""
        got = self._memo.get(unit)
        if got is not None:
            return got
        out: dict[str, LinkFacts] = {}
        fid = self.lex.form_id.get(unit)
        if fid is not None:
            blk = self.pool.for_form(fid)
            forms = self.lex.forms
            cols = zip(blk.cand.tolist(), blk.reverse.tolist(), blk.forward.tolist(), blk.n_sources.tolist(),
                       blk.neighbour_only.tolist(), blk.log_nsyn.tolist(), blk.sim.tolist(),
                       self.lex.zipf[blk.cand].tolist())
            for c, rv, fw, ns, nb, ln, sm, z in cols:
                o = forms[c]
                if o == unit or o.count(" ") >= 3 or not is_content(o.rsplit(" ", 1)[-1]):
                    continue
                out[o] = LinkFacts(rv > 0, fw > 0, ns, nb > 0, ln, sm, z)
        if len(self._memo) > 200_000:
            self._memo.clear()
        self._memo[unit] = out
        return out

    def originals(self, unit: str) -> tuple[frozenset, frozenset]:
        """(forms in the tool's direction — their entry lists the unit, forms linked either way)."""
        f = self.facts(unit)
        return (frozenset(o for o, x in f.items() if x.reverse),
                frozenset(o for o, x in f.items() if not x.neighbour_only))


@lru_cache(maxsize=100_000)
def _tags(form: str) -> frozenset:
    """Inflection tags a word form can carry (empty for base forms); a phrase carries a verb tag on its first
    word and other tags on its last (as `morph.inflect` puts them)."""
    if " " in form:
        parts = form.split(" ")
        return frozenset(t for t in _tags(parts[0]) if t.startswith("VB")) | \
            frozenset(t for t in _tags(parts[-1]) if not t.startswith("VB"))
    return frozenset(t for _, t in morph.analyses(form) if t)


@lru_cache(maxsize=200_000)
def _render_ok(unit: str, original: str) -> bool:
    """Could a tool that inflects its replacement like the original (when the replacement is a base form of
    the right part of speech) have written `unit` for `original`? An inflected unit needs an original with
    the same inflection; a base-form unit needs an uninflected original, or one whose inflection the unit
    cannot take (part-of-speech-blind tools leave those in the base form)."""
    u_tags = _tags(unit)
    head = unit.split(" ")
    for _, tag in morph.analyses(original) if " " not in original else ((original, ""),):
        if not tag:
            if not u_tags or unit in morph.lemmas(unit):
                return True
            continue
        if tag in u_tags:
            return True
        h = head[0 if tag.startswith("VB") and len(head) > 1 else -1]
        takes = (morph.tag_upos(tag) in morph.upos_of(h) and h in morph.lemmas(h)
                 and tag not in ("JJR", "JJS", "RBR", "RBS"))
        if not takes and (not u_tags or unit in morph.lemmas(unit)):
            return True
    return False


@lru_cache(maxsize=100_000)
def _forms(lemma: str, tag: str) -> tuple[str, ...]:
    """`lemma` inflected like the unit (`tag`) plus every form lemminflect knows for it."""
    from lemminflect import getAllInflections

    out = {lemma}
    if tag and morph.can_inflect(lemma, tag):
        out.add(morph.inflect(lemma, tag))
    for forms in getAllInflections(lemma).values():
        out.update(forms)
    return tuple(out)


# ---- candidate units ---------------------------------------------------------------------------------------


def _surprise(count: int, expected: float) -> float:
    """−ln P(X ≥ count) under Poisson(expected), approximated for small expected values; large when a unit
    occurs far more often than clean English would have it."""
    expected = max(expected, 1e-9)
    if count <= expected:
        return 0.0
    # log of the first term of the upper tail dominates for count ≫ expected
    return -(count * math.log(expected) - expected - math.lgamma(count + 1))


def candidate_units(pile: Pile, lm, min_count: int = 2, min_surprise: float = 3.0, links=None) -> dict[str, dict]:
    """Units that occur at least `min_count` times and more often than clean English predicts. A phrase must be
    a term of one of the learner's thesauri, or start and end with content words and (unless it has thesaurus
    links) occur in more than one context: repeated boilerplate ("had met", "would publish", a sentence quoted
    in every copy) is not a tool's output."""
    from ..stopwords import is_function_word

    W = max(pile.words, 1)
    out = {}
    for u, c in pile.count.items():
        if c < min_count:
            continue
        if " " in u and not (links and links.is_term(u)):
            parts = u.split(" ")
            if is_function_word(parts[0]) or is_function_word(parts[-1]):
                continue
            # an inflected thesaurus term ("threw on paper") has links where is_term only knows base forms
            if _one_context(pile, u) and not (links and links.originals(u)[1]):
                continue
        lr = clean_lograte(u, lm)
        expected = W * math.exp(lr)
        s = _surprise(c, expected)
        if s < (min(min_surprise, FREQUENT_SURPRISE) if c >= 3 else min_surprise):
            continue
        out[u] = {"count": c, "df": pile.df[u], "expected": expected, "surprise": s, "lograte": lr}
    return out


def _one_context(pile: Pile, unit: str) -> bool:
    """Every occurrence of the unit between the same two words: a passage repeated across the pile (a quote,
    boilerplate), not a replacement, which a tool makes wherever its original occurs. Measured on dev tools'
    piles: of 38 multi-word replacements that are no thesaurus term, seen twice or more, one sits in a single
    context. Phrases with thesaurus links are exempt: an inflected term is no `is_term` ("threw on paper" ←
    "wrote", a true entry seen three times in one context, was lost without the exemption)."""
    n = unit.count(" ") + 1
    seen = None
    for si, i in pile.occ.get(unit, ()):
        words = pile.sentences[si].words
        ctx = (words[i - 1] if i > 0 else "", words[i + n] if i + n < len(words) else "")
        if seen is not None and ctx != seen:
            return False
        seen = ctx
    return True


def _vocabulary(pile: Pile, max_vocab: int = MAX_VOCAB, min_count: int = 2, min_zipf: float = 3.0) -> list[str]:
    """Pile words that can be originals found by search: content words, common in English, seen unreplaced."""
    words = [(c, w) for w, c in pile.count.items()
             if " " not in w and c >= min_count and morph.zipf(w) >= min_zipf]
    words.sort(key=lambda x: (-x[0], x[1]))
    return [w for _, w in words[:max_vocab]]


def _spread(occurrences: list[tuple[int, int]], pile: Pile, k: int) -> list[tuple[int, int]]:
    """Up to k occurrences, one per document first."""
    seen_docs: set[int] = set()
    first, rest = [], []
    for si, i in occurrences:
        d = pile.sentences[si].doc
        (rest if d in seen_docs else first).append((si, i))
        seen_docs.add(d)
    return (first + rest)[:k]


# ---- features ---------------------------------------------------------------------------------------------


class _Contexts:
    """Topic of the places a unit occurs in the pile: the normalised sum of the GloVe vectors of the content
    words within `width` words of its occurrences. A tool's replacement occurs in the places its original
    occurs (the tool replaced at random), so the two context vectors point the same way."""

    def __init__(self, pile: Pile, width: int = 4, max_occ: int = 30):
        from ..knowledge import vectors

        self.pile, self.width, self.max_occ = pile, width, max_occ
        self.vectors = vectors.load()
        self._memo: dict[str, np.ndarray | None] = {}

    def of(self, unit: str) -> np.ndarray | None:
        if self.vectors is None:
            return None
        if unit in self._memo:
            return self._memo[unit]
        n = unit.count(" ") + 1
        acc = None
        for si, i in self.pile.occ.get(unit, ())[: self.max_occ]:
            words = self.pile.sentences[si].words
            for w in words[max(0, i - self.width) : i] + words[i + n : i + n + self.width]:
                if is_content(w):
                    v = self.vectors.vec(w)
                    if v is not None:
                        acc = v.astype(np.float64) if acc is None else acc + v
        if acc is not None:
            norm = float(np.linalg.norm(acc))
            acc = acc / norm if norm > 0 else None
        self._memo[unit] = acc
        return acc

    def cos(self, a: str, b: str) -> float:
        va, vb = self.of(a), self.of(b)
        return float(va @ vb) if va is not None and vb is not None else 0.0


def extract_pairs(pile: Pile, lm=None, links: Links | None = None, engine: dict | None = None,
                  min_count: int = 2, min_surprise: float = 3.0, progress=None) -> list[Pair]:
    """Candidate (unit, original) pairs of a pile with their features."""
    if lm is None:
        from ..knowledge import lm as lm_mod

        lm = lm_mod.load()
    links = links or Links()
    engine_used = float(engine is not None)  # (the engine's silence means something only when it was asked)
    engine = engine or {}
    units = candidate_units(pile, lm, min_count, min_surprise, links)
    vocab = _vocabulary(pile)
    scorer = SlotScorer(lm, vocab)
    ctxv = _Contexts(pile)
    W = max(pile.words, 1)
    doc_sets: dict[str, set[int]] = {}

    def docs_of(w: str) -> set[int]:
        s = doc_sets.get(w)
        if s is None:
            s = doc_sets[w] = {pile.sentences[si].doc for si, _ in pile.occ.get(w, ())}
        return s

    pairs: list[Pair] = []
    for n_done, (u, info) in enumerate(sorted(units.items())):
        if progress:
            progress(n_done, len(units))
        facts = links.facts(u)
        rev, both = links.originals(u)
        u_words = u.split(" ")
        stats: dict[str, SlotStats] = defaultdict(SlotStats)
        occs = _spread(pile.occ[u], pile, MAX_OCCURRENCES)
        contexts = []
        # every linked candidate the pile shows (the tool left some occurrences of its original alone)
        extra = [w for w, fx in facts.items()
                 if fx.zipf >= COMMON_ZIPF or w in scorer.index or pile.count.get(w, 0) > 0]
        for si, i in occs:
            words = pile.sentences[si].words
            contexts.append((words[i - 1] if i > 0 else None,
                             words[i + len(u_words)] if i + len(u_words) < len(words) else None))
            base, scores, ranks = scorer.score_occurrence(words, i, len(u_words), extra)
            for c, sc in scores.items():
                st = stats[c]
                g = max(-GAIN_CLIP, min(GAIN_CLIP, sc - base))
                st.n += 1
                st.gain += g
                st.gmin = min(st.gmin, g)
                st.wins += sc > base
                r = ranks[c]
                st.top1 += r == 0
                st.top3 += r < 3
                st.logrank += math.log1p(r)
        n_occ = len(occs)
        if not n_occ:
            continue
        # candidates: best by mean gain among those that were top-3 somewhere, or linked
        cands = []
        for c, st in stats.items():
            if not is_content(c.split(" ")[-1]):
                continue
            if st.top3 == 0 and c not in facts:
                continue
            if c not in facts and _contains(u, c):  # "prices were difficult" for "difficult": a tool's phrase
                continue  # keeps its original only when a thesaurus lists it so ("common year" for "year")
            # occurrences where the candidate was not scored count as a loss (rank beyond the list)
            missing = n_occ - st.n
            mean_gain = (st.gain - GAIN_CLIP * missing) / n_occ
            cands.append((mean_gain, c, st, missing))
        cands.sort(key=lambda x: -x[0])
        cands = cands[:MAX_CANDIDATES]
        if not cands:
            continue
        u_docs = docs_of(u)
        u_zipf = morph.zipf(u)
        u_oov = float(any(not lm.known(w) for w in u_words))
        u_tags = _tags(u)
        gains = [g for g, *_ in cands]
        soft = np.exp(np.array(gains) - max(gains))
        soft = soft / soft.sum()
        zs = np.array([-morph.zipf(c) for _, c, _, _ in cands])
        zranks = np.argsort(np.argsort(zs, kind="stable"), kind="stable")
        coss = [ctxv.cos(u, c) for _, c, _, _ in cands]
        eng = engine.get(u, {})
        fid = links.lex.form_id.get(u)
        attraction = links.pool.attraction(fid) if fid is not None else -10.0
        for rank, (mean_gain, c, st, missing) in enumerate(cands):
            o_count = pile.count.get(c, 0)
            fx = facts.get(c, _NO_FACTS)
            o_zipf = morph.zipf(c)
            o_expected = W * 10 ** (o_zipf - 9.0) if o_zipf > 0 else 0.0
            other = max((g for k, g in enumerate(gains) if k != rank), default=-GAIN_CLIP)
            e_hits = eng.get(c, 0)
            c_first, c_last = c.split(" ")[0], c.split(" ")[-1]
            shared = sum(1 for l1, r1 in contexts
                         if (l1 is not None and pile.bigrams.get((l1, c_first), 0) > 0)
                         or (r1 is not None and pile.bigrams.get((c_last, r1), 0) > 0))
            o_df = len(docs_of(c))
            cooc = len(u_docs & docs_of(c)) / max(len(u_docs), 1)
            e_total = eng.get("", 0)
            x = np.array([
                1.0,
                mean_gain,
                st.wins / n_occ,
                st.top1 / n_occ,
                st.top3 / n_occ,
                (st.logrank + missing * math.log1p(scorer.top)) / n_occ,
                math.log1p(n_occ),
                math.log(info["count"]),
                math.log(info["df"]),
                min(info["surprise"], 200.0) / 10.0,
                u_zipf,
                float(len(u_words)),
                u_oov,
                o_zipf,
                math.log1p(o_count),
                math.log((o_count + 0.5) / (o_expected + 0.5)),
                cooc,
                float(c in both),
                float(c in rev),
                o_zipf - u_zipf,
                mean_gain - other,
                float(c in u_words),
                (st.gain - GAIN_CLIP * missing) / 10.0,
                st.gmin if not missing else -GAIN_CLIP,
                float(bool(u_tags & _tags(c))),
                float(bool(u_tags) and not (u_tags & _tags(c))),
                pile.capitalised.get(u, 0) / info["count"],
                pile.capitalised.get(c, 0) / max(o_count, 1),
                shared / n_occ,
                math.log((cooc + 0.05) / (o_df / max(pile.documents, 1) + 0.05)),
                float(_render_ok(u, c)),
                coss[rank],
                coss[rank] - max((x for k, x in enumerate(coss) if k != rank), default=0.0),
                e_hits / max(info["count"], 1),
                float(e_total > 0),
                float(fx.forward),
                fx.n_sources,
                float(fx.neighbour_only or c not in facts),
                fx.log_nsyn,
                fx.sim,
                info["count"] / (info["count"] + o_count),
                float(rank),
                float(soft[rank]),
                max(attraction, -10.0),
                float(c in units),
                float(o_count == 0),
                math.log1p(len(facts)),
                float(zranks[rank]),
                engine_used,
            ], dtype=np.float64)
            pairs.append(Pair(u, c, x, info["count"], info["df"],
                              {"gain": round(mean_gain, 2), "top1": st.top1, "scored": n_occ,
                               "linked": c in both}))
    return pairs


def _installed() -> tuple[str, ...]:
    from ..knowledge import thesaurus as thes

    return thes.available_sources()


def engine_evidence(texts, **check_options) -> dict[str, dict[str, int]]:
    """{spun form: {suggested original: findings, "": all findings}} from `unspin.check` over the pile."""
    import unspin

    out: dict[str, Counter] = defaultdict(Counter)
    check_options = {"fingerprints": False, **check_options}  # imported lists (perhaps this tool's) stay out
    opt_key = repr(sorted(check_options.items()))
    for t in texts:
        key = (hashlib.blake2b(t.encode("utf-8", "surrogatepass"), digest_size=16).digest(), opt_key)
        found = _ENGINE_MEMO.get(key)
        if found is None:
            rep = unspin.check(t, **check_options)
            found = [(" ".join(f.text.lower().split()), f.suggestions[0].lower()) for f in rep.findings
                     if f.suggestions]
            if len(_ENGINE_MEMO) >= ENGINE_MEMO_DOCS:
                _ENGINE_MEMO.pop(next(iter(_ENGINE_MEMO)))
            _ENGINE_MEMO[key] = found
        for u, o in found:
            out[u][o] += 1
            out[u][""] += 1
    return {k: dict(v) for k, v in out.items()}


ENGINE_MEMO_DOCS = 20_000  # documents whose findings are remembered (clustering learns from the same ones again)
_ENGINE_MEMO: dict = {}


# ---- the model --------------------------------------------------------------------------------------------


@dataclass
class Logistic:
    """A small logistic model on standardised features (weights learned by `unspin spinners train`)."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray

    def predict(self, X: np.ndarray) -> np.ndarray:
        z = np.clip(((X - self.mean) / self.scale) @ self.weights, -35, 35)
        return 1.0 / (1.0 + np.exp(-z))

    def to_dict(self) -> dict:
        r = lambda a: [round(float(v), 6) for v in a]  # noqa: E731
        return {"names": list(self.names), "mean": r(self.mean), "scale": r(self.scale), "weights": r(self.weights)}

    @classmethod
    def from_dict(cls, d: dict) -> "Logistic":
        return cls(tuple(d["names"]), np.array(d["mean"], dtype=float), np.array(d["scale"], dtype=float),
                   np.array(d["weights"], dtype=float))

    @classmethod
    def fit(cls, names, X: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 50) -> "Logistic":
        """Newton's method with an L2 penalty (the bias column, constant 1, is not shrunk)."""
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        mean, scale = X.mean(axis=0), X.std(axis=0)
        const = scale < 1e-9
        mean[const], scale[const] = 0.0, 1.0
        Z = (X - mean) / scale
        w = np.zeros(X.shape[1])
        reg = np.full(X.shape[1], l2)
        reg[const] = 1e-6
        for _ in range(iters):
            p = 1.0 / (1.0 + np.exp(-np.clip(Z @ w, -35, 35)))
            g = Z.T @ (p - y) + reg * w
            h = (Z * (p * (1 - p))[:, None]).T @ Z + np.diag(reg)
            step = np.linalg.solve(h, g)
            w -= step
            if np.max(np.abs(step)) < 1e-7:
                break
        return cls(tuple(names), mean, scale, w)


QUAD_EXCLUDE = ("bias", "engine_share", "engine_any")


@dataclass
class PairModel:
    """Logistic regression on the standardised features and their pairwise products (interactions such as
    "large gain *and* linked" matter; a plain linear model missed a tenth of the recall on the dev tools)."""

    idx: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    logistic: Logistic

    @staticmethod
    def base_index() -> np.ndarray:
        return np.array([i for i, n in enumerate(FEATURES) if n not in QUAD_EXCLUDE])

    def expand(self, X: np.ndarray) -> np.ndarray:
        return _expand(X, self.idx, self.mean, self.scale)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.logistic.predict(self.expand(np.asarray(X, dtype=float)))

    @classmethod
    def fit(cls, X: np.ndarray, y: np.ndarray, l2: float = 30.0) -> "PairModel":
        X = np.asarray(X, dtype=float)
        idx = cls.base_index()
        mean = X[:, idx].mean(axis=0)
        scale = X[:, idx].std(axis=0) + 1e-9
        E = _expand(X, idx, mean, scale)
        names = _expanded_names(idx)
        return cls(idx, mean, scale, Logistic.fit(names, E, y, l2=l2))

    def to_dict(self) -> dict:
        return {"kind": "quadratic", "features": list(FEATURES), "idx": [int(i) for i in self.idx],
                "mean": [round(float(v), 6) for v in self.mean], "scale": [round(float(v), 6) for v in self.scale],
                "logistic": self.logistic.to_dict()}

    @classmethod
    def from_dict(cls, d: dict) -> "PairModel":
        return cls(np.array(d["idx"], dtype=int), np.array(d["mean"], dtype=float), np.array(d["scale"], dtype=float),
                   Logistic.from_dict(d["logistic"]))


@dataclass
class TreePairModel:
    """Gradient-boosted trees (`unspin.model.Trees`, predicted with numpy) on the pair features; the learner's
    default since they separate the right original from a close synonym better than the quadratic logistic."""

    cols: np.ndarray  # indexes into FEATURES the trees read
    trees: object

    @staticmethod
    def columns() -> np.ndarray:
        return np.array([i for i, n in enumerate(FEATURES) if n != "bias"])

    def predict(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        if not len(X):
            return np.zeros(0)
        return self.trees.predict(X[:, self.cols])

    @classmethod
    def fit(cls, X: np.ndarray, y: np.ndarray, **kw) -> "TreePairModel":
        from ..model import Trees

        cols = cls.columns()
        kw = {"iters": 300, "learning_rate": 0.05, "max_leaf_nodes": 31, "min_samples_leaf": 40, **kw}
        return cls(cols, Trees.fit([FEATURES[i] for i in cols], np.asarray(X, dtype=float)[:, cols], y, **kw))

    def to_dict(self) -> dict:
        return {"kind": "trees", "features": list(FEATURES), "cols": [int(i) for i in self.cols],
                "trees": self.trees.to_dict()}

    @classmethod
    def from_dict(cls, d: dict) -> "TreePairModel":
        from ..model import Trees

        return cls(np.array(d["cols"], dtype=int), Trees.from_dict(d["trees"]))


Z_CLIP = 3.0  # standardised features are clipped before the products: a pile unlike the training piles (say,
# boilerplate repeated in every document) must not push a squared term to extremes


def _expand(X: np.ndarray, idx, mean, scale) -> np.ndarray:
    Z = np.clip((X[:, idx] - mean) / scale, -Z_CLIP, Z_CLIP)
    iu = np.triu_indices(Z.shape[1])
    Q = (Z[:, :, None] * Z[:, None, :])[:, iu[0], iu[1]]
    engine = X[:, [FEATURES.index("engine_share"), FEATURES.index("engine_any")]]
    return np.hstack([np.ones((len(Z), 1)), Z, Q, engine])


def _expanded_names(idx) -> tuple[str, ...]:
    base = [FEATURES[i] for i in idx]
    iu = np.triu_indices(len(base))
    return tuple(["bias"] + base + [f"{base[a]}*{base[b]}" for a, b in zip(*iu)] + ["engine_share", "engine_any"])


MODEL_PATH = __import__("pathlib").Path(__file__).resolve().parent.parent / "data" / "spinners.json"
_MODEL: dict = {}


def load_model(path=None) -> dict:
    """{"pair": Logistic, "threshold": float, "identify": {...}, "meta": {...}} from data/spinners.json."""
    import json

    key = str(path or MODEL_PATH)
    got = _MODEL.get(key)
    if got is None:
        data = json.loads(open(key, encoding="utf-8").read())
        if list(data["pair"].get("features", ())) != list(FEATURES):
            raise ValueError(f"{key}: the pair model's features do not match this unspin; run `unspin spinners train`")
        got = dict(data)
        got["pair"] = (TreePairModel.from_dict(data["pair"]) if data["pair"].get("kind") == "trees"
                       else PairModel.from_dict(data["pair"]))
        _MODEL[key] = got
    return got


# ---- learning -----------------------------------------------------------------------------------------------


@dataclass
class LearnedEntry:
    spun: str  # what the tool writes (lower case)
    original: str  # what it replaced (lower case)
    count: int  # occurrences of `spun` in the pile
    docs: int  # documents of the pile containing `spun`
    confidence: float  # calibrated probability that the pair is in the tool's dictionary
    source: str = "pile"  # "pile" (learned from the pile), "variants" (aligned variants of one text) or "trace"
    # (aligned with a source in a trace index)
    evidence: dict = field(default_factory=dict)


@dataclass
class LearnedDictionary:
    entries: list[LearnedEntry]
    documents: int
    words: int
    name: str = "learned"
    meta: dict = field(default_factory=dict)
    weak: list[LearnedEntry] = field(default_factory=list)  # below the threshold: identification evidence only
    # every unit the tool may have written (identification evidence): (unit, count, documents, q, originals),
    # q the learner's confidence that the tool wrote it (None: a rare word seen once, the identifier's prior)
    profile: list[tuple] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.entries)

    def pairs(self) -> dict[str, str]:
        return {e.spun: e.original for e in self.entries}


def _contains(longer: str, shorter: str) -> bool:
    a, b = longer.split(" "), shorter.split(" ")
    return len(a) > len(b) and any(a[i : i + len(b)] == b for i in range(len(a) - len(b) + 1))


WEAK_THRESHOLD = 0.3  # entries between this and the threshold help identification but are not exported


def neighbour_only(rows) -> set[tuple[str, str]]:
    """The (unit, original) pairs that no thesaurus of the learner links, proposed by GloVe alone, of rows
    (unit, original, FEATURES vector, …) — as `unspin spinners train` keeps its examples."""
    j = FEATURES.index("nb_only")
    return {(r[0], r[1]) for r in rows if r[2][j] > 0}


def unexplained(confident: list[tuple[str, str]], nb_only: set[tuple[str, str]]) -> int:
    """How many of a pile's confident pairs no thesaurus of the learner explains. Any at all means the tool draws
    from a thesaurus the learner lacks (on the twelve dev tools: never with the tool's own thesaurus among the
    learner's, always without it), and then a link in the learner's thesauri is weaker evidence — it is often
    another thesaurus's synonym, not the tool's original (dev precision at the usual threshold 0.83 instead of
    0.90) — so the entries need the model's `threshold_unexplained`."""
    return sum(1 for pair in confident if pair in nb_only)


def resolve(scored: list[tuple[float, str, str, int, int, dict]], threshold: float) -> list[LearnedEntry]:
    """Best original per unit, above `threshold`; a unit inside (or around) a more confident accepted unit that
    explains most of its occurrences is dropped ("horse latitudes" vs "latitudes"), and so is a phrase around an
    accepted unit that gives the same original (it adds nothing the entry does not say)."""
    best: dict[str, tuple] = {}
    for item in scored:
        conf, unit = item[0], item[1]
        if unit not in best or conf > best[unit][0]:
            best[unit] = item
    accepted: list[LearnedEntry] = []
    for conf, unit, orig, count, docs, ev in sorted(best.values(), key=lambda t: (-t[0], t[1])):
        if conf < threshold:
            break
        clash = False
        for e in accepted:
            if (_contains(e.spun, unit) and e.count * 2 >= count) or (_contains(unit, e.spun) and count * 2 >= e.count):
                clash = True
                break
            if _contains(unit, e.spun) and orig == e.original:  # "voiceful the company" for "said": the entry
                clash = True  # voiceful → said already explains it
                break
        if not clash:
            accepted.append(LearnedEntry(unit, orig, count, docs, round(float(conf), 4), "pile", ev))
    return accepted


def trace_pairs(texts, index) -> tuple[Counter, list[int]]:
    """Exact (spun, original) pairs from the trace index (each text aligned with its best source), and the
    indexes of the texts that aligned."""
    from ..trace import restorations

    out: Counter = Counter()
    aligned = []
    for n, t in enumerate(texts):
        found = restorations(t, index)
        if found:
            aligned.append(n)
        for f in found:
            if f.suggestions:
                out[(" ".join(f.text.lower().split()), f.suggestions[0].lower())] += 1
    return out, aligned


def learn(texts, *, sources=DEFAULT_SOURCES, index=None, engine: bool = True, min_count: int = 2,
          threshold: float | None = None, model_path=None, name: str = "learned", lm=None, progress=None,
          check_options: dict | None = None, variants: bool = True) -> LearnedDictionary:
    """Estimate a tool's dictionary from `texts` (its output; no originals needed).

    sources: thesauri the learner may link pairs with (the tool's own source is unknown; default all installed).
    index: a trace index directory; texts that align with a source there give exact pairs.
    engine: also run `unspin.check` over the pile (with the same thesauri) and use its findings as evidence
        (default; about 0.1 s per document; off: faster, lower recall at the same precision).
    threshold: confidence an entry needs (default: the model's, chosen on held-out tools for precision; a model
        trained by the current `unspin spinners train` also holds one for learning without the engine's evidence,
        and a higher one for a pile whose confident pairs include some no thesaurus of the learner links —
        `unexplained`).
    variants: documents that are spun variants of one text (`spinners.variants`) are aligned with each other:
        their differences are exact pairs, and words of the story itself are not taken for the tool's output.
    """
    t0 = time.time()
    texts = [t for t in texts if t and t.strip()]
    model = load_model(model_path)
    chosen = threshold is not None
    if threshold is None:
        threshold = model["threshold"] if engine else model.get("threshold_no_engine", model["threshold"])
    pile = build_pile(texts)
    links = Links(sources)
    eng = None
    if engine:
        opts = dict(check_options or {})
        if set(links.sources) != set(_installed()):
            opts.setdefault("thesauri", tuple(links.sources))  # the engine may not see thesauri the learner may not
        eng = engine_evidence(texts, **opts)
    pairs = extract_pairs(pile, lm, links, eng, min_count=min_count, progress=progress)
    scored = []
    if pairs:
        p = model["pair"].predict(np.array([q.x for q in pairs]))
        scored = [(float(pp), q.unit, q.original, q.count, q.docs, q.evidence) for q, pp in zip(pairs, p)]
    var = None
    if variants and len(texts) > 1:
        from .variants import variant_evidence

        var = variant_evidence(texts, links=links)
        if var.not_spun:  # the story's own words, not the tool's: out of the entries and the profile
            scored = [x for x in scored if x[1] not in var.not_spun]
    resolved = resolve(scored, min(threshold, WEAK_THRESHOLD))
    n_unexplained = unexplained([(e.spun, e.original) for e in resolved if e.confidence >= threshold],
                                neighbour_only((q.unit, q.original, q.x) for q in pairs))
    if n_unexplained and not chosen and model.get("threshold_unexplained") is not None:
        threshold = max(threshold, float(model["threshold_unexplained"]))
    entries = [e for e in resolved if e.confidence >= threshold]
    weak = [e for e in resolved if e.confidence < threshold]
    if var is not None and var.pairs:
        _take_exact(entries, var.pairs, pile, "variants", var.confidence, {"variants": True})
    if index:
        exact, aligned = trace_pairs(texts, index)
        # a unit that occurs in aligned texts but was never aligned as a substitution is contradicted there
        seen_aligned = Counter()
        for n in aligned:
            seen_aligned.update(pile.doc_units[n].keys())
        exact_units = {u for u, _ in exact}
        entries = [e for e in entries if e.spun in exact_units or not seen_aligned.get(e.spun)]
        weak = [e for e in weak if e.spun in exact_units or not seen_aligned.get(e.spun)]
        _take_exact(entries, exact, pile, "trace", lambda _pair: TRACE_CONFIDENCE)
    entries.sort(key=lambda e: (-e.confidence, -e.count, e.spun))
    profile = build_profile(pile, scored, entries)
    share, tool_sources = source_fit(entries, sources)
    meta = {"sources": list(sources), "engine": bool(engine), "index": bool(index), "threshold": threshold,
            "unexplained_pairs": n_unexplained,
            "min_count": min_count, "candidates": len(pairs), "source_share": share, "tool_sources": tool_sources,
            "variant_groups": len(var.groups) if var else 0, "variant_documents": var.documents if var else 0,
            "seconds": round(time.time() - t0, 2)}
    by_spun = {e.spun for e in entries}
    weak = [e for e in weak if e.spun not in by_spun]
    return LearnedDictionary(entries, pile.documents, pile.words, name, meta, weak, profile)


TRACE_CONFIDENCE = 0.99  # a pair aligned with the source document itself


def _take_exact(entries: list[LearnedEntry], exact: Counter, pile: Pile, source: str, confidence,
                evidence: dict | None = None) -> None:
    """Add exactly aligned (spun, original) pairs to `entries` (in place), the most often aligned first: a new
    unit becomes an entry; an entry from weaker evidence (EXACT_RANK) takes the aligned original; an entry
    from the same evidence keeps the original aligned most often. `confidence(pair)`: how often such a pair is
    right (aligned variants: `VariantEvidence.confidence`, by the copies that showed it)."""
    by_unit = {e.spun: e for e in entries}
    for (u, o), c in exact.most_common():
        conf = confidence((u, o))
        e = by_unit.get(u)
        if e is None:
            e = by_unit[u] = LearnedEntry(u, o, pile.count.get(u, c), pile.df.get(u, 1), conf, source,
                                          {**(evidence or {}), "aligned": c})
            entries.append(e)
        elif EXACT_RANK.get(e.source, 0) < EXACT_RANK[source] or (e.source == source and e.original == o):
            e.original, e.confidence, e.source = o, conf, source
            e.evidence = {**e.evidence, **(evidence or {}), "aligned": c}


EXACT_RANK = {"pile": 0, "variants": 1, "trace": 2}  # a source document beats variants of each other


SOURCE_MIN_SHARE = 0.8  # a thesaurus is named as the tool's source when it lists this share of the entries …
SOURCE_NEAR = 0.9  # … (or nearly as many as the best one: mythes and WordNet share most links)
SOURCE_MIN_ENTRIES = 10


def source_fit(entries: list[LearnedEntry], sources=DEFAULT_SOURCES) -> tuple[dict[str, float], list[str]]:
    """Which installed thesaurus the tool drew its dictionary from: per learner thesaurus, the share of learned
    entries whose original lists the spun form there (the direction a tool drawing from it took), and the
    thesauri that explain nearly all of them ([] when none does, or too few entries were learned). Restricting
    `check` to those thesauri (`--thesauri`) ranks the tool's other swaps better (benchmarks/results/spinners.md)."""
    from ..knowledge import thesaurus as thes

    avail = [x for x in sources if x in thes.available_sources()]
    if not entries or not avail:
        return {}, []
    share = {}
    for src in avail:
        links = Links((src,), neighbours=False)
        share[src] = round(sum(1 for e in entries if e.original in links.originals(e.spun)[0]) / len(entries), 3)
    top = max(share.values())
    if len(entries) < SOURCE_MIN_ENTRIES or top < SOURCE_MIN_SHARE:
        return share, []
    return share, [x for x in avail if share[x] >= SOURCE_NEAR * top]


MAX_PROFILE = 6000  # units kept in a dictionary's profile
PROFILE_ORIGINALS = 3  # likeliest originals kept per profile unit
SINGLE_ZIPF = 3.5  # a word seen once joins the profile when it is rarer than this in clean English


def build_profile(pile: Pile, scored: list[tuple], entries: list[LearnedEntry]) -> list[tuple]:
    """The units the tool may have written, for identification: every candidate unit with the learner's best
    confidence and likeliest originals (an exported entry's original first), then rare words seen once
    (outside names), which carry only the identifier's prior."""
    by_unit: dict[str, list[tuple[float, str]]] = defaultdict(list)
    info: dict[str, tuple[int, int]] = {}
    for conf, unit, orig, count, docs, _ in scored:
        by_unit[unit].append((conf, orig))
        info[unit] = (count, docs)
    fixed = {e.spun: e for e in entries}
    out = []
    for unit, cands in by_unit.items():
        cands.sort(key=lambda x: (-x[0], x[1]))
        origs = [o for _, o in cands[:PROFILE_ORIGINALS]]
        q = cands[0][0]
        e = fixed.get(unit)
        if e is not None:
            origs = [e.original] + [o for o in origs if o != e.original][: PROFILE_ORIGINALS - 1]
            q = max(q, e.confidence)
        out.append((unit, info[unit][0], info[unit][1], round(float(q), 4), tuple(origs)))
    for unit, e in fixed.items():  # trace pairs the pile model never saw
        if unit not in by_unit:
            out.append((unit, e.count, e.docs, round(float(e.confidence), 4), (e.original,)))
    out.sort(key=lambda x: (-x[3], -x[1], x[0]))
    singles = []
    for unit, c in pile.count.items():
        if c != 1 or " " in unit or unit in by_unit or unit in fixed or pile.capitalised.get(unit, 0):
            continue
        z = morph.zipf(unit)
        if z < SINGLE_ZIPF and is_content(unit):
            singles.append((unit, 1, 1, None, ()))
    singles.sort(key=lambda x: x[0])
    return (out + singles)[:MAX_PROFILE]


# ---- the learned-dictionary file (also a fingerprint list) ---------------------------------------------------

HALLMARK_ZIPF = 3.0  # spun forms rarer than this in clean English mark the tool's output
MAX_HALLMARKS = 40


def _hallmarks(entries: list[LearnedEntry]) -> list[str]:
    """Single-word spun forms that are rare in clean English, most frequent in the pile first."""
    cands = [e for e in entries if morph.zipf(e.spun) < HALLMARK_ZIPF and '"' not in e.spun]
    cands.sort(key=lambda e: (-e.docs, -e.count, e.spun))
    return [e.spun for e in cands[:MAX_HALLMARKS]]


def to_json(d: LearnedDictionary) -> dict:
    """The file `unspin spinners learn` writes. Its "phrases" list is a fingerprint list that
    `unspin fingerprints import` reads: each entry's query requires another of the tool's hallmarks (its rare
    outputs) in the same document, so a word the tool writes that honest text also uses ("firm", "job") is
    flagged only in text that carries the tool's fingerprint."""
    from .files import LEARNED_FORMAT, VERSION

    hall = _hallmarks(d.entries)
    phrases = []
    for e in d.entries:
        others = [h for h in hall if h != e.spun]
        item = {"tortured": e.spun, "correct": e.original, "num_papers": e.docs, "count": e.count,
                "confidence": e.confidence, "source": e.source}
        if others:
            item["query"] = f'"{e.spun}" AND (' + " OR ".join(f'"{h}"' for h in others) + ")"
        phrases.append(item)
    weak = [{"spun": e.spun, "original": e.original, "count": e.count, "docs": e.docs, "confidence": e.confidence}
            for e in d.weak]
    profile = [[u, c, n, q, list(o)] for u, c, n, q, o in d.profile]
    return {"format": LEARNED_FORMAT, "version": VERSION, "name": d.name, "documents": d.documents,
            "words": d.words, "hallmarks": hall, "meta": d.meta, "phrases": phrases, "weak_entries": weak,
            "profile": profile}


def save(d: LearnedDictionary, path) -> None:
    from .files import write_json

    write_json(path, to_json(d))


def load_learned(path) -> LearnedDictionary:
    """A file written by `unspin spinners learn` (checked: format, version, every entry)."""
    from pathlib import Path

    from .files import LEARNED_FORMAT, SpinnerFileError, read_json

    data = read_json(path, LEARNED_FORMAT)
    phrases = data.get("phrases")
    if not isinstance(phrases, list):
        raise SpinnerFileError(f"{path}: \"phrases\" must be a list of entries")
    words, docs = data.get("words"), data.get("documents")
    for key, v in (("words", words), ("documents", docs)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise SpinnerFileError(f"{path}: \"{key}\" must be a non-negative integer, got {v!r}")
    entries = []
    for i, item in enumerate(phrases, 1):
        if not isinstance(item, dict):
            raise SpinnerFileError(f"{path}: phrase {i} is not an object")
        spun, orig = item.get("tortured"), item.get("correct")
        if not isinstance(spun, str) or not spun.strip() or not isinstance(orig, str) or not orig.strip():
            raise SpinnerFileError(f"{path}: phrase {i} needs non-empty strings \"tortured\" and \"correct\"")
        count, conf = item.get("count", 1), item.get("confidence", 0.5)
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise SpinnerFileError(f"{path}: phrase {i}: \"count\" must be a non-negative integer")
        if not isinstance(conf, (int, float)) or isinstance(conf, bool) or not 0.0 <= conf <= 1.0:
            raise SpinnerFileError(f"{path}: phrase {i}: \"confidence\" must be a number between 0 and 1")
        n_docs = item.get("num_papers", 1)
        entries.append(LearnedEntry(" ".join(spun.lower().split()), " ".join(orig.lower().split()), count,
                                    n_docs if isinstance(n_docs, int) else 1, float(conf),
                                    str(item.get("source", "pile"))))
    weak = []
    raw_weak = data.get("weak_entries", [])
    if not isinstance(raw_weak, list):
        raise SpinnerFileError(f"{path}: \"weak_entries\" must be a list")
    for i, item in enumerate(raw_weak, 1):
        try:
            weak.append(LearnedEntry(str(item["spun"]).lower(), str(item["original"]).lower(), int(item["count"]),
                                     int(item.get("docs", 1)), float(item["confidence"])))
        except (KeyError, TypeError, ValueError, AttributeError):
            raise SpinnerFileError(f"{path}: weak entry {i} needs \"spun\", \"original\", \"count\" and "
                                   "\"confidence\"") from None
    profile = []
    raw_profile = data.get("profile", [])
    if not isinstance(raw_profile, list):
        raise SpinnerFileError(f"{path}: \"profile\" must be a list")
    for i, item in enumerate(raw_profile, 1):
        try:
            u, c, n, q, origs = item
            ok = (isinstance(u, str) and u.strip() and isinstance(c, int) and not isinstance(c, bool) and c >= 0
                  and isinstance(n, int) and not isinstance(n, bool) and n >= 0
                  and (q is None or (isinstance(q, (int, float)) and not isinstance(q, bool) and 0.0 <= q <= 1.0))
                  and isinstance(origs, list) and all(isinstance(o, str) for o in origs))
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise SpinnerFileError(f"{path}: profile item {i} must be [unit, count, documents, confidence or null, "
                                   "[originals]]")
        profile.append((" ".join(u.lower().split()), c, n, None if q is None else float(q),
                        tuple(" ".join(o.lower().split()) for o in origs if o.strip())))
    meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
    return LearnedDictionary(entries, docs, words, str(data.get("name") or Path(path).stem), meta, weak, profile)
