"""The decisions after the first pass, shared by `check` and `unspin train`: the second pass with the
document's evidence, the document features behind spin_score, and the verdict."""
from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass

import numpy as np

from . import features as F
from .model import SHORT_TEXT_WORDS
from .types import LEVEL_FINDING, Finding, is_listed_hit, is_sure_evidence

MIN_WORDS_FOR_SCORE = 40  # shorter texts get no spin score (never a confident number on a sentence)


KEEP = 0.02  # first-pass probability below which a span is dropped before the second pass


# A span's weight as evidence for the document rises from 0 at P = EVIDENCE_RAMP[0] to 1 at EVIDENCE_RAMP[1]; the
# document's counts of spans "at least 0.3 / 0.6 / 0.9 sure" (doc_features) count each span by such a ramp around
# the level. A hard cut made the score jump: in a 109-word text one span's P moving 0.302 → 0.271 (a stray word
# appended) moved a count by one, and the spin score 0.98 → 0.55.
EVIDENCE_RAMP = (0.1, 0.3)
LEVEL_RAMPS = {"log_n30": (0.2, 0.4), "log_n60": (0.5, 0.7), "log_n90": (0.85, 0.95)}


def ramp(p: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """0 below `lo`, 1 above `hi`, linear between: a soft "p is at least (lo + hi) / 2"."""
    return np.clip((np.asarray(p, dtype=np.float64) - lo) / (hi - lo), 0.0, 1.0)


def evidence_of(p1: np.ndarray) -> np.ndarray:
    """Each span's contribution to the document's evidence: its P, weighted by EVIDENCE_RAMP."""
    p1 = np.asarray(p1, dtype=np.float64)
    return p1 * ramp(p1, *EVIDENCE_RAMP)




EXTERNAL_P = 0.97  # a listed fingerprint or a trace restoration counts as a span this sure


MAX_DENSITY = 400.0  # findings and suspects per 1,000 words beyond which the text is not English prose


EVIDENCE_FIELDS = ("reverse", "forward", "learned", "neighbour_only", "gain", "echo_bigram", "echo_cand",
                   "article_fix", "cand_zipf", "text_zipf", "cap_mid", "in_name")
TOP_K = 5  # suggestions kept per retained span


SPILL_BYTES = 8 << 20  # retained columns held in memory before they go to a temporary file (Retained)


class Retained:
    """Spans that survived the first pass (P ≥ KEEP) with what the second pass and the findings need, stored
    as compact numpy blocks per piece. The second pass reads them in batches (`batches`) and the findings
    gather only their own rows (`take`). A 20 MB input retains hundreds of thousands of spans (~320 bytes
    each): once the columns of the blocks held exceed `spill_bytes`, they are written to
    an anonymous temporary file (unlinked at once, gone with the process) and read back block by block, so a
    document of any length is checked in bounded memory with exactly the same numbers (only p1, 8 bytes a span,
    stays in memory)."""

    KEYS = ("start", "end", "form", "p1", "rows", "top_forms", "top_probs", "evidence")
    BULKY = tuple(k for k in KEYS if k != "p1")  # spilled; p1 stays in memory for the second pass

    def __init__(self, spill_bytes: int | None = None):
        self._blocks: list[dict] = []
        self._joined: dict[str, np.ndarray] = {}
        self._spill_bytes = SPILL_BYTES if spill_bytes is None else spill_bytes
        self._held = 0  # bytes of bulky columns in memory
        self._file = None  # the temporary file, once anything was spilled

    def add(self, start, end, form, p1, rows, top_forms, top_probs, evidence):
        if len(p1):
            block = {"start": np.asarray(start, np.int64), "end": np.asarray(end, np.int64),
                     "form": np.asarray(form, np.int32), "p1": np.asarray(p1, np.float64),
                     "rows": np.asarray(rows, np.float32), "top_forms": np.asarray(top_forms, np.int32),
                     "top_probs": np.asarray(top_probs, np.float32),
                     "evidence": np.asarray(evidence, np.float32)}
            self._blocks.append(block)
            self._joined.clear()
            self._held += sum(block[key].nbytes for key in Retained.BULKY)
            if self._held > self._spill_bytes:
                self._spill()

    def extend(self, other: "Retained") -> None:
        """Append `other`'s spans after these (in its order)."""
        for block in other._blocks:
            self.add(*(other._get(block, key) for key in Retained.KEYS))

    @property
    def spilled(self) -> bool:
        return self._file is not None

    def _spill(self):
        try:
            if self._file is None:
                self._file = tempfile.TemporaryFile(prefix="unspin-spans-")
            f = self._file
            for block in self._blocks:
                for key in Retained.BULKY:
                    a = block[key]
                    if isinstance(a, np.ndarray):
                        f.seek(0, 2)
                        offset = f.tell()
                        f.write(memoryview(np.ascontiguousarray(a)))
                        f.flush()  # a full disk fails here, before the block points at the file
                        block[key] = (offset, a.dtype, a.shape)
        except OSError:
            # no temporary file to be had (full disk, read-only TMPDIR): keep the rest in memory, as before
            # spilling existed; a check never fails for want of one
            self._spill_bytes = float("inf")
            return
        self._held = 0

    def _get(self, block: dict, key: str) -> np.ndarray:
        a = block[key]
        if isinstance(a, tuple):
            offset, dtype, shape = a
            self._file.seek(offset)
            nbytes = int(np.prod(shape)) * dtype.itemsize
            a = np.frombuffer(self._file.read(nbytes), dtype=dtype).reshape(shape)
        return a

    def batches(self, max_rows: int):
        """(p1, rows, start) of consecutive blocks joined, at most `max_rows` spans at a time (a block is one
        piece's: never more than that), so the second pass predicts a document in one call and a 20 MB input in
        bounded memory."""
        group: list[dict] = []
        n = 0
        for b in self._blocks + [None]:
            if group and (b is None or n + len(b["p1"]) > max_rows):
                yield (np.concatenate([x["p1"] for x in group]),
                       np.concatenate([self._get(x, "rows") for x in group]),
                       np.concatenate([self._get(x, "start") for x in group]))
                group, n = [], 0
            if b is not None:
                group.append(b)
                n += len(b["p1"])

    def evidence_map(self, words: int, chars: int) -> "EvidenceMap":
        """Where the retained spans' first-pass evidence lies (reads the start offsets of only the spans with
        evidence)."""
        # (joined for the moment, not kept as column() keeps it: a 20 MB input retains ~500k spans)
        p1 = np.concatenate([b["p1"] for b in self._blocks]) if self._blocks else np.zeros(0)
        has = np.nonzero(evidence_of(p1) > 0)[0]
        return EvidenceMap(self.take("start", has), p1[has], words, chars)

    def take(self, key: str, idx: np.ndarray) -> np.ndarray:
        """Column `key` at the span indexes `idx` (ascending), reading only the blocks that hold them."""
        idx = np.asarray(idx, dtype=np.int64)
        parts = []
        lo = 0
        for b in self._blocks:
            hi = lo + len(b["p1"])
            a, z = np.searchsorted(idx, [lo, hi])
            if z > a:
                parts.append(self._get(b, key)[idx[a:z] - lo])
            lo = hi
        return np.concatenate(parts) if parts else Retained._empty(key)

    @staticmethod
    def _empty(key: str) -> np.ndarray:
        widths = {"rows": len(F.SPAN_FEATURES), "top_forms": TOP_K, "top_probs": TOP_K,
                  "evidence": len(EVIDENCE_FIELDS)}
        return np.zeros((0, widths[key]) if key in widths else 0, dtype=np.float32 if key == "rows" else np.float64)

    def column(self, key: str) -> np.ndarray:
        """The whole column (joined once and kept; for training and tests; `check` uses batches and take)."""
        got = self._joined.get(key)
        if got is None:
            got = np.concatenate([self._get(b, key) for b in self._blocks]) if self._blocks else Retained._empty(key)
            self._joined[key] = got
        return got

    def __len__(self) -> int:
        return sum(len(b["p1"]) for b in self._blocks)

    def __getattr__(self, name):
        if name in Retained.KEYS:
            return self.column(name)
        raise AttributeError(name)


@dataclass
class Aggregates:
    """Document-level sums over every span (before the gate), for the document model."""

    spans: int = 0
    attraction_sum: float = 0.0
    rare: int = 0
    evidence: float = 0.0  # Σ evidence_of(first-pass P)
    best_gain_sum: float = 0.0
    scored: int = 0


def first_pass(M: np.ndarray, model) -> np.ndarray:
    """P(spun) of each scored span from its SPAN_FEATURES (the detector)."""
    return model.detector.predict(M) if len(M) else np.zeros(0)


def add_piece(agg: Aggregates, G: np.ndarray, M: np.ndarray, p1: np.ndarray) -> None:
    """Add a piece to the document aggregates: `G` the GATE_FEATURES of all its spans, `M` and `p1` those of the
    spans the gate kept and that had candidates. (Sums: a document may be added whole or piece by piece.)"""
    gi = F.GATE_FEATURES.index
    agg.spans += len(G)
    if len(G):
        agg.attraction_sum += float(G[:, gi("attraction")].sum())
        agg.rare += int((G[:, gi("text_zipf")] < 3.0).sum())
    if len(p1):
        agg.evidence += float(evidence_of(p1).sum())
        agg.best_gain_sum += float(np.maximum(M[:, F.SPAN_FEATURES.index("best_gain")], 0.0).sum())
        agg.scored += len(p1)


SECOND_PASS_ROWS = 20_000  # retained spans predicted at a time (Retained.batches; ~8 MB of float64 features):
# each span's p2 is its own, and one float64 copy of a long document's spans at once cost hundreds of MB


def context_column(p1: np.ndarray, evidence: float, words: int, own: bool = True) -> np.ndarray:
    """ln(1 + the rest of the document's evidence per 1,000 words) for each span (its own share removed when
    `own`: the span is one of those summed): in a document that is clearly spun, a borderline span is likelier
    spun too."""
    rest = evidence - evidence_of(p1) if own else np.full(len(p1), float(evidence))
    return np.log1p(np.maximum(rest, 0.0) * 1000.0 / max(words, 1))


# Half the width, in words, of the stretch around a span whose evidence `local_context` counts. A spun passage
# inside a longer honest text was judged with the whole document's evidence only, diluted by the honest words around
# it (examples/spun-news.txt alone: 5 findings; with 322 honest words added: none). A text of up to this many words
# has the same local and document context.
LOCAL_WORDS = 150


class EvidenceMap:
    """Where in the text the first pass's evidence lies (positions of the spans with evidence, sorted, and the
    running sum of their evidence), to give each span the evidence of the text around it. Made once per
    document from the retained spans (every span with evidence is retained: KEEP < EVIDENCE_RAMP[0])."""

    def __init__(self, start: np.ndarray, p1: np.ndarray, words: int, chars: int):
        ev = evidence_of(p1)
        has = ev > 0
        pos = np.asarray(start, dtype=np.float64)[has]
        order = np.argsort(pos, kind="stable")
        self.pos = pos[order]
        self.cum = np.concatenate([[0.0], np.cumsum(ev[has][order])])
        self.chars = max(int(chars), 1)
        self.chars_per_word = self.chars / max(words, 1)

    def local_column(self, start: np.ndarray, p1: np.ndarray, own: bool = True) -> np.ndarray:
        """ln(1 + the evidence within LOCAL_WORDS words either side of each span per 1,000 words of that stretch),
        its own share removed when `own` (the span is one of the map's). The stretch is measured in characters at
        the document's mean word length, cut at the text's ends."""
        start = np.asarray(start, dtype=np.float64)
        half = LOCAL_WORDS * self.chars_per_word
        lo = np.maximum(start - half, 0.0)
        hi = np.minimum(start + half, float(self.chars))
        total = self.cum[np.searchsorted(self.pos, hi, side="right")] - self.cum[np.searchsorted(self.pos, lo)]
        if own:
            total = total - evidence_of(p1)
        window_words = np.maximum((hi - lo) / self.chars_per_word, 1.0)
        return np.log1p(np.maximum(total, 0.0) * 1000.0 / window_words)


def second_pass(p1: np.ndarray, M: np.ndarray, agg: Aggregates, words: int, model, start: np.ndarray,
                where: EvidenceMap, own: bool = True) -> np.ndarray:
    """P(spun) of the retained spans (first-pass `p1`, SPAN_FEATURES `M`, character offsets `start`) knowing the
    evidence of the document and of the text around each (`where`; `own`: the spans are among the map's)."""
    if not len(p1) or model.context is None:
        return np.asarray(p1, dtype=np.float64)
    return model.context.predict(context_matrix(p1, M, agg.evidence, words, start, where, own))


def both_passes(p1: np.ndarray, M: np.ndarray, agg: Aggregates, words: int, model, start: np.ndarray,
                where: EvidenceMap) -> tuple[np.ndarray, np.ndarray]:
    """(second_pass, the document pass) of the retained spans, their shared columns built once. The document pass
    is P(spun) knowing the whole document's evidence only (model.doc_context): what the spin score counts
    (doc_features); without that model (older files), the first pass's."""
    first = np.asarray(p1, dtype=np.float64)
    if not len(p1):
        return first, first
    D = doc_context_matrix(p1, M, agg.evidence, words)
    p2 = model.context.predict(with_local(D, p1, start, where)) if model.context is not None else first
    return p2, (model.doc_context.predict(D) if model.doc_context is not None else first)


def doc_context_matrix(p1, M, evidence: float, words: int, own: bool = True) -> np.ndarray:
    """DOC_CONTEXT_FEATURES of retained spans: their SPAN_FEATURES and the document's context."""
    return np.hstack([np.asarray(M, dtype=np.float64), context_column(p1, evidence, words, own)[:, None]])


def context_matrix(p1, M, evidence: float, words: int, start, where: EvidenceMap, own: bool = True) -> np.ndarray:
    """CONTEXT_FEATURES of retained spans: DOC_CONTEXT_FEATURES, then the local context."""
    return with_local(doc_context_matrix(p1, M, evidence, words, own), p1, start, where, own)


def with_local(D: np.ndarray, p1, start, where: EvidenceMap, own: bool = True) -> np.ndarray:
    """DOC_CONTEXT_FEATURES rows `D` with the local context appended: CONTEXT_FEATURES."""
    return np.hstack([D, where.local_column(start, p1, own)[:, None]])


def doc_features(p2: np.ndarray, agg: Aggregates, words: int, n_external: int, register) -> np.ndarray:
    """DOC_FEATURES from `p2`, the retained spans' document-pass probabilities (both_passes): how much evidence of
    spinning the document holds per 1,000 words (at several levels of certainty, listed fingerprints and trace restorations counting as certain spans), against what its
    vocabulary makes likely anyway (register, rare words)."""
    per = 1000.0 / max(words, 1)
    p = np.concatenate([p2, np.full(n_external, EXTERNAL_P)])
    n = {name: math.log1p(float(ramp(p, lo, hi).sum()) * per) for name, (lo, hi) in LEVEL_RAMPS.items()}
    n60 = n["log_n60"]
    rare_share = agg.rare / agg.spans if agg.spans else 0.0
    cols = {
        "bias": 1.0,
        "log_words": math.log(min(max(words, 1), F.DOC_WORDS_SEEN)),
        "log_evidence": math.log1p((agg.evidence + EXTERNAL_P * n_external) * per),
        **n,
        "log_external": math.log1p(n_external * per),
        "mean_attraction": agg.attraction_sum / agg.spans if agg.spans else 0.0,
        "rare_share": rare_share,
        "register_zipf": register.zipf,
        "unlinked_share": register.unlinked_share,
        "function_share": register.function_share,
        "sentence_len": register.sentence_len,
        "mean_best_gain": agg.best_gain_sum / agg.scored if agg.scored else 0.0,
        "register_x_n60": (register.zipf - 4.0) * n60,
        "rare_x_n60": rare_share * n60,
    }
    return F.matrix({k: np.array([v]) for k, v in cols.items()}, F.DOC_FEATURES, 1)[0]


# Distinct phrases of imported tortured-phrase lists that make a document `spun` whatever its spin score. The
# document model never saw list hits in training (it weighs them only as sure spans), and an abstract holding two or
# three listed phrases stayed `uncertain` (benchmarks/abstracts_bench.py: 83 of 200 spun abstracts with 80 % of the
# PPS list imported). Honest prose almost never holds one: 2 hits in 4 MB of news (fingerprints benchmark), none in
# those 200 abstracts' originals; two distinct ones in one document is what the lists' `medium` risk level counts.
LISTED_SPUN = 2


def distinct_findings(findings: list[Finding]) -> int:
    """Different words (or phrases, case folded) flagged at `finding` level: what a short text's verdict counts."""
    return len({f.text.lower() for f in findings if f.level == LEVEL_FINDING})


def verdict_of(score: float | None, findings: list[Finding], model, notes: list[str], words: int) -> str:
    """The verdict of a text of `words` words from its spin score (None: no score) and findings."""
    if score is None:
        return "uncertain"
    listed = {f.detail for f in findings if is_listed_hit(f)}
    if len(listed) >= LISTED_SPUN:  # whatever the score and the text's length
        if score < model.doc_spun:
            notes.append(f"{len(listed)} distinct phrases of imported tortured-phrase lists: spun on the lists' "
                         "evidence (the spin score weighs them as sure spans among all others)")
        return "spun"
    if score >= model.doc_spun:
        # chance model findings are what the short texts' rule guards against; a listed phrase or a traced
        # restoration at `finding` level is no chance, and one is enough with the score
        sure = any(is_sure_evidence(f) for f in findings)
        need = model.short_spun_findings if words < SHORT_TEXT_WORDS and not sure else None
        if need and (found := distinct_findings(findings)) < need:
            notes.append(f"a short text ({words} words) is called spun only when at least {need} different words "
                         f"are findings (honest paragraphs reach this spin score more often than documents do); "
                         f"this one has {found}; verdict uncertain")
            return "uncertain"
        if findings:
            return "spun"
        notes.append("the document scores as spun but no span stands out enough to show; verdict uncertain")
        return "uncertain"
    if score < model.doc_clean:
        return "clean"
    return "uncertain"
