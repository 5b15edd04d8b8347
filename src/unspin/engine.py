"""The check pipeline: text → sentences → spans → candidates → features → decisions → Report.

    tokens/sentences (text.py) ─► spans (words and thesaurus phrases) ─► candidates (candidates.py)
      ─► pair features (features.py, LM windows) ─► ranker ─► span features ─► detector ─► findings
      ─► merged with listed fingerprints and trace restorations ─► spin_score, verdict

`extract` (everything up to features) is shared with training (train.py), so the model is trained on exactly
what it sees at run time. Paragraphs are processed one at a time: memory stays bounded for large inputs.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from . import features as F
from .candidates import Candidate, CandidateGenerator
from .knowledge import morph
from .stopwords import is_function_word
from .text import Token, article_for, count_words, paragraphs, sentences, tokenize
from .spans import overlaps_any, select_non_overlapping
from .types import LEVEL_FINDING, LEVEL_SUSPECT, SOURCE_LIST, SOURCE_MODEL, SOURCE_TRACE, Finding, Report

MIN_WORDS_FOR_VERDICT = 25
MAX_SPAN_WORDS = 3
CONTEXT_CANDIDATES = 24  # candidates per span that get the full window score and features


class Knowledge:
    """Everything `check` needs, loaded once per process."""

    def __init__(self, sources=("moby",), lm_path=None, model_path=None, learned=None):
        from .knowledge import lm as lm_mod
        from .knowledge import thesaurus

        from .knowledge import vectors

        self.th = thesaurus.load(tuple(sources))
        self.lm = lm_mod.load(lm_path)
        self.vectors = vectors.load()
        self.gen = CandidateGenerator(self.th, learned)
        self.model_path = model_path
        self._model = None

    @property
    def model(self):
        if self._model is None:
            from . import model as model_mod

            self._model = model_mod.load(self.model_path)
        return self._model


_KNOWLEDGE: dict[tuple, Knowledge] = {}


def knowledge(sources=None, lm_path=None, model_path=None, learned_key=None, learned=None) -> Knowledge:
    sources = tuple(sources) if sources else ("moby",)
    key = (sources, lm_path, model_path, learned_key)
    k = _KNOWLEDGE.get(key)
    if k is None:
        k = _KNOWLEDGE[key] = Knowledge(sources, lm_path, model_path, learned)
    return k


# ---- spans and their features ------------------------------------------------------------------------------


@dataclass
class Span:
    start: int
    end: int
    text: str
    form: str  # lower case
    n_words: int
    candidates: tuple[Candidate, ...]
    pair_X: np.ndarray  # (n_candidates, len(PAIR_FEATURES))
    gains: np.ndarray  # raw LM gain per candidate (for evidence)
    text_zipf: float
    text_oov: float
    text_fit: float  # ln P(span | left context) − ln P(span) : how expected the span is here
    cap_mid: float
    in_name: float
    echo_text: float
    article: np.ndarray  # per candidate
    doc_zipf: float  # the document's mean content-word Zipf frequency
    probs: np.ndarray | None = None  # ranker softmax, filled by `rank`
    extra: dict = field(default_factory=dict)


def _lemma(word: str) -> str:
    return morph.lemmas(word)[0]


class DocCounts(Counter):
    """Lemma counts of a document (for the echo signal) plus its mean content-word Zipf frequency (its
    register: a 1790 speech is full of words that would look odd in a news story)."""

    mean_zipf: float = 4.0


def doc_lemma_counts(text: str) -> DocCounts:
    counts = DocCounts()
    bigrams: Counter = Counter()
    zsum = 0.0
    n = 0
    prev = None
    for tok in tokenize(text):
        if tok.kind == "word":
            low = tok.lower
            if prev is not None:
                bigrams[(prev, low)] += 1
            prev = low
            if not is_function_word(low):
                counts[_lemma(low)] += 1
                zsum += morph.zipf(low)
                n += 1
        else:
            prev = None
    counts.mean_zipf = zsum / n if n else 4.0
    counts.bigrams = bigrams
    return counts


def bigram_echo(counts, prev_word: str, words: list[str], next_word: str) -> float:
    """ln(1 + times the candidate occurs elsewhere in the document next to the same neighbour): a story
    that says "interest rate" three times and "premium rate" once gives "premium" away."""
    bg = getattr(counts, "bigrams", None)
    if not bg:
        return 0.0
    n = 0
    if prev_word:
        n += bg.get((prev_word, words[0]), 0)
    if next_word:
        n += bg.get((words[-1], next_word), 0)
    return math.log1p(n)


def _eligible(low: str) -> bool:
    return len(low) >= 2 and not is_function_word(low) and "'" not in low


def _adjacent(text: str, a: Token, b: Token, base: int) -> bool:
    gap = text[a.end - base : b.start - base]
    return gap.isspace() and "\n" not in gap


def _window(lm, left: list[str], middle: list[str], right: list[str]) -> tuple[float, float]:
    """ln P of the middle words and of the (up to) two right words, given two words of left context."""
    seq = left + middle + right
    lp_mid = 0.0
    lp_right = 0.0
    nl, nm = len(left), len(middle)
    for i in range(nl, len(seq)):
        lp = lm.logprob(seq[i], seq[max(0, i - 2) : i])
        if i < nl + nm:
            lp_mid += lp
        else:
            lp_right += lp
    return lp_mid, lp_right


def extract(text: str, k: Knowledge, counts: Counter | None = None, base: int = 0, gate=None) -> list[Span]:
    """All candidate spans of `text` (a paragraph starting at `base` in the document) with features.

    `gate(cheap_features) -> bool` (the model's cascade) drops spans that cannot become findings before the
    expensive candidate scoring; training extracts with no gate."""
    th, lm, gen = k.th, k.lm, k.gen
    counts = counts if counts is not None else doc_lemma_counts(text)
    phrase_len = th.phrase_lengths
    toks = tokenize(text, base)
    out: list[Span] = []
    topic = _topic_sum(k.vectors, toks)
    for sent in sentences(toks, text, base):
        words = [t for t in sent if t.kind == "word"]
        if not words:
            continue
        low = [t.lower for t in words]
        lm_words = ["<s>"] + low + ["</s>"]
        first_word_idx = 0
        for i, tok in enumerate(words):
            # candidate spans starting here: longest thesaurus phrase first, then the single word
            lengths = []
            n_max = min(phrase_len.get(low[i], 0), MAX_SPAN_WORDS, len(words) - i)
            for n in range(n_max, 1, -1):
                if all(_adjacent(text, words[i + j], words[i + j + 1], base) for j in range(n - 1)):
                    lengths.append(n)
            if _eligible(low[i]):
                lengths.append(1)
            for n in lengths:
                form = " ".join(low[i : i + n])
                if n > 1 and (all(is_function_word(w) for w in low[i : i + n]) or th.n_originals(form) == 0
                              and not th.is_headword(form)):
                    continue
                cands = gen.for_form(form)
                if not cands:
                    continue
                span = _span_features(text, base, words, low, lm_words, i, n, form, cands, lm, counts,
                                      i == first_word_idx, gate, gen, k.vectors, topic)
                if span is not None:
                    out.append(span)
    return out


def _span_features(text, base, words, low, lm_words, i, n, form, cands, lm, counts, sentence_initial, gate=None,
                   gen=None, vectors=None, topic=None):
    # lm_words has "<s>" at 0, so word i sits at i + 1
    left = lm_words[max(0, i - 1) : i + 1]
    right = lm_words[i + 1 + n : i + 3 + n]
    span_words = low[i : i + n]
    t_mid, t_right = _window(lm, left, span_words, right)
    uni = sum(lm.logprob(w, ()) for w in span_words)
    text_fit = F.clip(t_mid - uni)
    tok0, tokn = words[i], words[i + n - 1]
    prev_tok = words[i - 1].text if i > 0 else None
    next_tok = words[i + n].text if i + n < len(words) else None
    cap = F.capitalised_mid_sentence(tok0.text, sentence_initial)
    in_name = F.next_to_capitalised(prev_tok if not sentence_initial or i > 0 else None, next_tok)
    text_lemma = _lemma(form) if n == 1 else form
    echo_text = F.echo(counts.get(text_lemma, 0) - 1)
    prev_word = low[i - 1] if i > 0 else ""
    text_zipf = morph.zipf(form)
    text_oov = 0.0 if all(lm.known(w) for w in span_words) else 1.0
    doc_zipf = getattr(counts, "mean_zipf", 4.0)
    attraction = gen.attraction(form)
    cheap = (1.0, text_zipf, text_zipf * text_zipf, text_fit, text_oov, cap, in_name, echo_text, doc_zipf,
             text_zipf - doc_zipf, math.log(len(cands)), float(n), attraction)
    if gate is not None and not gate(cheap):
        return None
    cands = _prefilter(lm, left, right, cands)
    topic_gain, text_topic = _topic_fit(vectors, topic, form, cands)
    next_word = low[i + n] if i + n < len(low) else ""
    echo_bg_max = 0.0
    rows = []
    gains = []
    arts = []
    for c in cands:
        c_words = c.form.split(" ")
        c_mid, c_right = _window(lm, left, c_words, right)
        gain = F.lm_gain(c_mid, c_right, t_mid, t_right)
        gains.append(gain)
        c_lemma = c.lemma if " " in c.lemma else _lemma(c.form)
        echo_c = F.echo(counts.get(c_lemma, 0))
        echo_bg = bigram_echo(counts, prev_word, c_words, next_word)
        echo_bg_max = max(echo_bg_max, echo_bg)
        art = F.article_fix(prev_word, span_words[0], c_words[0])
        arts.append(art)
        rows.append((
            1.0,
            gain,
            max(gain, 0.0),
            F.lm_gain_left(c_mid, t_mid),
            F.lm_gain_right(c_right, t_right),
            c.zipf,
            F.rarity_gap(c.zipf, text_zipf),
            F.choice_chance(c.log_nsyn),
            float(c.reverse),
            float(c.forward),
            c.learned,
            echo_c,
            echo_c * max(gain, 0.0),
            float(len(c_words)),
            float(n),
            art,
            cap * gain,
            0.0 if all(lm.known(w) for w in c_words) else 1.0,
            echo_bg,
            topic_gain[len(rows)],
        ))
    start, end = tok0.start, tokn.end
    return Span(start, end, text[start - base : end - base], form, n, cands, np.array(rows, dtype=np.float64),
                np.array(gains), text_zipf, text_oov, text_fit, cap, in_name, echo_text, np.array(arts),
                doc_zipf, extra={"cheap": cheap, "echo_bigram_max": echo_bg_max, "text_topic": text_topic})


def _topic_sum(vectors, toks) -> np.ndarray | None:
    """Sum of the unit vectors of the paragraph's content words (the topic the words should fit)."""
    if vectors is None:
        return None
    total = np.zeros(vectors.dim, dtype=np.float32)
    for t in toks:
        if t.kind == "word":
            low = t.lower
            if not is_function_word(low):
                j = vectors.index.get(low)
                if j is not None:
                    total += vectors.matrix[j]
    return total


def _topic_fit(vectors, topic, form, cands) -> tuple[list[float], float]:
    """Per candidate: cosine(candidate, paragraph topic) − cosine(span, topic); and the span's own cosine.
    The span's vector is taken out of the topic so a word does not vote for itself."""
    zeros = [0.0] * len(cands)
    if vectors is None or topic is None:
        return zeros, 0.0
    v_s = vectors.vec(form)
    ctx = topic - v_s if v_s is not None else topic
    norm = float(np.linalg.norm(ctx))
    if norm < 1e-6:
        return zeros, 0.0
    ctx = ctx / norm
    s_cos = float(v_s @ ctx) if v_s is not None else 0.0
    out = []
    for c in cands:
        v = vectors.vec(c.form)
        out.append(float(v @ ctx) - s_cos if v is not None else 0.0)
    return out, s_cos


def _prefilter(lm, left, right, cands):
    """Keep the CONTEXT_CANDIDATES candidates that best fit the words next to the span (two LM queries each):
    common words list hundreds of thesaurus neighbours, and a static prior cannot know the context."""
    if len(cands) <= CONTEXT_CANDIDATES:
        return cands
    r0 = right[0] if right else "</s>"
    scored = []
    for c in cands:
        ws = c.form.split(" ")
        if len(ws) > 1:
            hist = ws[-2:]
        else:
            hist = [left[-1], ws[0]] if left else [ws[0]]
        q = lm.logprob(ws[0], left) + lm.logprob(r0, hist)
        scored.append((q + 0.5 * (c.reverse + c.forward) + (2.0 if c.learned else 0.0), c))
    scored.sort(key=lambda t: -t[0])
    return tuple(c for _, c in scored[:CONTEXT_CANDIDATES])


def rank(spans: list[Span], model) -> None:
    """Fill span.probs: the ranker's softmax over each span's candidates (one matrix product per doc)."""
    if not spans:
        return
    X = np.concatenate([s.pair_X for s in spans])
    z = model.ranker.decision(X)
    pos = 0
    for s in spans:
        m = len(s.candidates)
        zz = z[pos : pos + m]
        e = np.exp(zz - zz.max())
        s.probs = e / e.sum()
        pos += m


def span_matrix(spans: list[Span]) -> np.ndarray:
    rows = []
    starts = np.array([s.start for s in spans])
    zipfs = np.array([s.text_zipf for s in spans])
    for k, s in enumerate(spans):
        # other rare words nearby: spinners swap several words per sentence
        near = np.abs(starts - s.start) < 60
        near[k] = False
        nz = zipfs[near]
        near_low = float((nz < 3.0).mean()) if len(nz) else 0.0
        b = int(np.argmax(s.probs))
        sp = np.sort(s.probs)
        margin = float(sp[-1] - (sp[-2] if len(sp) > 1 else 0.0))
        x = s.pair_X[b]
        g = x[1]
        rows.append((
            1.0,
            g,
            max(g, 0.0),
            x[3],
            x[4],
            float(s.probs[b]),
            margin,
            s.text_zipf,
            s.text_zipf ** 2,
            x[6],
            x[7],
            x[8],
            x[9],
            x[10],
            x[11],
            s.echo_text,
            math.log(len(s.candidates)),
            s.cap_mid,
            s.in_name,
            s.cap_mid * g,
            x[15],
            float(s.n_words),
            s.text_oov,
            s.text_fit,
            max(g, 0.0) * max(x[6], 0.0),
            s.doc_zipf,
            s.text_zipf - s.doc_zipf,
            near_low,
            s.extra["cheap"][12],
            x[18],
            s.extra.get("echo_bigram_max", 0.0),
            x[19],
            s.extra.get("text_topic", 0.0),
            # register interactions: old or formal prose is full of rare words that fit their context well
            (s.doc_zipf - 4.0) * g,
            (s.doc_zipf - 4.0) * s.text_zipf,
            (s.doc_zipf - 4.0) * s.extra["cheap"][12],
        ))
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(F.SPAN_FEATURES))


def detect(spans: list[Span], model, return_matrix: bool = False):
    """First-pass P(spun) per span (and the span feature matrix, for the second pass)."""
    if not spans:
        return (np.zeros(0), np.zeros((0, len(F.SPAN_FEATURES)))) if return_matrix else np.zeros(0)
    rank(spans, model)
    M = span_matrix(spans)
    p = model.detector.predict(M)
    return (p, M) if return_matrix else p


def context_column(p1: np.ndarray, doc_soft: float, words: int) -> np.ndarray:
    """ln(1 + evidence of spinning elsewhere in the document per 1,000 words), excluding the span's own
    share: in a document that is clearly spun, a borderline span is likelier spun too."""
    own = np.where(p1 >= SOFT_FLOOR, p1, 0.0)
    return np.log1p(np.maximum(doc_soft - own, 0.0) * 1000.0 / max(words, 1))


def refine(p1: np.ndarray, M: np.ndarray, doc_soft: float, words: int, model) -> np.ndarray:
    """Second pass: the detector again, knowing how spun the rest of the document looks."""
    if model.context is None or not len(p1):
        return p1
    X = np.hstack([M, context_column(p1, doc_soft, words)[:, None]])
    return model.context.predict(X)


def _evidence(s: Span, b: int, th_sources: tuple[str, ...], counts: Counter) -> tuple[str, ...]:
    c = s.candidates[b]
    src = "+".join(th_sources)
    ev = []
    if c.reverse:
        ev.append(f"thesaurus ({src}): '{c.lemma}' lists '{s.form}'")
    elif c.forward:
        ev.append(f"thesaurus ({src}): '{s.form}' lists '{c.lemma}'")
    if c.learned:
        ev.append(f"learned from tortured-phrase lists: '{s.form}' ← '{c.lemma}'")
    g = float(s.gains[b])
    if abs(g) >= 0.05:
        ev.append(f"context fits '{c.form}' {'better' if g > 0 else 'worse'} by {abs(g):.1f} nats")
    if s.pair_X[b][18] > 0:
        ev.append(f"'{c.form}' appears elsewhere in the document next to the same word")
    n_echo = counts.get(c.lemma if " " in c.lemma else _lemma(c.form), 0)
    if n_echo:
        ev.append(f"'{c.lemma}' occurs {n_echo}× elsewhere in the document")
    if s.article[b] > 0:
        ev.append(f"the article before it suits '{c.form}', not '{s.form}'")
    if c.zipf - s.text_zipf >= 1.0:
        ev.append(f"'{s.form}' is rarer than '{c.form}' (Zipf {s.text_zipf:.1f} vs {c.zipf:.1f})")
    if s.cap_mid and s.in_name:
        ev.append("inside a capitalised name")
    return tuple(ev)


_ARTICLE_BEFORE = re.compile(r"\b([Aa]n?)[ \t]+$")


def _with_article(s: Span, sugg: tuple[str, ...], para: str | None, base: int):
    """When "a"/"an" right before the span would be wrong for the top suggestion ("an inquiry" → "a probe"),
    the finding takes the article in, and every suggestion carries its own article."""
    if para is None or not sugg:
        return s.start, s.text, sugg
    m = _ARTICLE_BEFORE.search(para, max(0, s.start - base - 8), s.start - base)
    if not m or article_for(sugg[0]) == m.group(1).lower():
        return s.start, s.text, sugg
    start = base + m.start(1)
    return start, para[m.start(1) : s.end - base], tuple(f"{article_for(x)} {x}" for x in sugg)


def _select(spans: list[Span], p: np.ndarray, suspect_threshold: float, threshold: float, th_sources, counts,
            text: str | None = None) -> list[Finding]:
    """Findings above the suspect threshold (level `suspect` below `threshold`); overlapping spans keep the most
    confident one."""
    order = np.argsort(-p)
    taken: list[tuple[int, int]] = []
    out = []
    for idx in order:
        if p[idx] < suspect_threshold:
            break
        s = spans[idx]
        if any(s.start < e and b < s.end for b, e in taken):
            continue
        taken.append((s.start, s.end))
        order_c = np.argsort(-s.probs)
        sugg = tuple(s.candidates[j].form for j in order_c[:5])
        start, span_text, sugg = _with_article(s, sugg, text, 0)
        level = LEVEL_FINDING if p[idx] >= threshold else LEVEL_SUSPECT
        out.append(Finding(start, s.end, span_text, sugg, float(p[idx]), _evidence(s, int(order_c[0]), th_sources, counts),
                           level=level))
    return out


# ---- language check -----------------------------------------------------------------------------------------


def english_share(text: str, k: Knowledge, sample: int = 4000) -> tuple[float, float]:
    """(share of word tokens the LM knows, share that are English function words) over a sample."""
    n = known = func = 0
    for tok in tokenize(text[: sample * 8]):
        if tok.kind != "word":
            continue
        n += 1
        low = tok.lower
        if is_function_word(low):
            func += 1
            known += 1
        elif k.lm.known(low):
            known += 1
        if n >= sample:
            break
    if n == 0:
        return 0.0, 0.0
    return known / n, func / n


# ---- public entry point --------------------------------------------------------------------------------------


SUSPECT_THRESHOLD = 0.3


def check(text: str, k: Knowledge, threshold: float | None = None, suspect_threshold: float | None = None,
          cascade: bool = True, external: list[Finding] = (), path: str | None = None,
          max_findings_per_1000: float = 400.0) -> Report:
    model = k.model
    user_threshold = threshold is not None
    threshold = model.threshold if threshold is None else float(threshold)
    suspect_threshold = min(SUSPECT_THRESHOLD if suspect_threshold is None else float(suspect_threshold), threshold)
    words = count_words(text)
    notes: list[str] = []
    findings: list[Finding] = []
    english = True
    if words:
        known, func = english_share(text, k)
        if known < 0.6 or func < 0.12:
            english = False
            notes.append(f"text does not look like English prose (known words {known:.0%}, function words {func:.0%}); "
                         "no model findings")
    soft = 0.0
    if words and english:
        counts = doc_lemma_counts(text)
        # the cascade gate is calibrated for the model's threshold; a lower user threshold needs every span
        gate = model.gate_fn() if cascade and suspect_threshold >= model.threshold - 0.05 else None
        kept = []  # first pass: only spans that may matter are kept, so memory stays bounded
        for base, para in _pieces(text):
            spans = extract(para, k, counts, base, gate=gate)
            if not spans:
                continue
            p1, M = detect(spans, model, return_matrix=True)
            soft += soft_count(p1)
            keep = np.nonzero(p1 >= KEEP_FOR_SECOND_PASS)[0]
            if len(keep):
                kept.append(([spans[i] for i in keep], p1[keep], M[keep]))
        if not user_threshold:
            # in a document that is clearly spun, borderline spans are reported too (threshold_spun)
            threshold = model.effective_threshold(model.doc_score(soft * 1000.0 / max(words, 1)))
        for spans, p1, M in kept:
            p = refine(p1, M, soft, words, model)
            findings.extend(_select(spans, p, suspect_threshold, threshold, k.th.sources, counts, text))
    findings = merge_external(findings, list(external))
    # listed fingerprints and trace restorations count fully; model spans count by their probability
    soft += sum(1.0 for f in findings if f.source != SOURCE_MODEL)
    strength = soft * 1000.0 / max(words, 1)
    if words and english and len(findings) * 1000.0 / max(words, 1) > max_findings_per_1000:
        notes.append("implausibly many findings for English prose; verdict uncertain")
        english = False
    score = model.doc_score(strength) if words else 0.0
    if not words:
        verdict = "uncertain"
        notes.append("no words")
    elif not english:
        verdict = "uncertain"
    elif words < MIN_WORDS_FOR_VERDICT:
        verdict = "uncertain"
        notes.append(f"too short for a verdict ({words} words < {MIN_WORDS_FOR_VERDICT})")
    else:
        verdict = "spun" if score >= 0.5 else "clean"
    return Report(text=text, words=words, findings=findings, spin_score=score, verdict=verdict, path=path,
                  notes=notes)


SOFT_FLOOR = 0.2
KEEP_FOR_SECOND_PASS = 0.02


def soft_count(p: np.ndarray) -> float:
    """Evidence of spinning in a document: the summed probability of its suspicious spans (p ≥ 0.2), so
    the document score sees many weak signals and not only the findings above the threshold."""
    return float(p[p >= SOFT_FLOOR].sum()) if len(p) else 0.0


MAX_PIECE_CHARS = 20_000


def _pieces(text: str):
    """Paragraphs, with very long ones cut at a sentence end (or space) so memory stays bounded."""
    for base, para in paragraphs(text):
        if len(para) <= MAX_PIECE_CHARS:
            yield base, para
            continue
        pos = 0
        while pos < len(para):
            end = min(pos + MAX_PIECE_CHARS, len(para))
            if end < len(para):
                cut = max(para.rfind(". ", pos, end), para.rfind("\n", pos, end))
                if cut <= pos:
                    cut = para.rfind(" ", pos, end)
                end = cut + 1 if cut > pos else end
            yield base + pos, para[pos:end]
            pos = end


def merge_external(model_findings: list[Finding], external: list[Finding]) -> list[Finding]:
    """One non-overlapping list sorted by start: trace restorations win their spans, then listed
    fingerprints (which keep the model's evidence for the same span, see fingerprints.merge), then the
    model's own findings."""
    from .fingerprints.combine import merge

    listed = [f for f in external if f.source == SOURCE_LIST]
    traced = [f for f in external if f.source == SOURCE_TRACE]
    out = merge(model_findings, listed) if listed else sorted(model_findings, key=lambda f: (f.start, f.end))
    if traced:
        traced = select_non_overlapping(traced, key=lambda f: f.confidence)
        out = [f for f in out if not overlaps_any(f, traced)] + traced
        out.sort(key=lambda f: (f.start, f.end))
    return out
