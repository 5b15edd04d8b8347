"""The check pipeline: text → sentences → spans → candidates → features → decisions → Report.

    tokens/sentences (text.py) ─► spans (words and thesaurus phrases) ─► candidates (candidates.py)
      ─► pair features (features.py, LM windows) ─► ranker ─► span features ─► detector ─► findings
      ─► merged with listed fingerprints and trace restorations ─► spin_score, verdict

`extract` (everything up to features) is shared with training (train.py), so the model is trained on exactly
what it sees at run time. Paragraphs are processed one at a time: memory stays bounded for large inputs.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from . import features as F
from .candidates import Candidate, CandidateGenerator
from .knowledge import morph
from .stopwords import is_function_word
from .text import Token, count_words, paragraphs, sentences, tokenize
from .types import Finding, Report

MIN_WORDS_FOR_VERDICT = 25
MAX_SPAN_WORDS = 3
CONTEXT_CANDIDATES = 24  # candidates per span that get the full window score and features


@dataclass
class Options:
    path: str | None = None
    threshold: float | None = None  # detector probability for a finding (default: the model's)
    sources: tuple[str, ...] = ("moby",)
    lm_path: str | None = None  # a KenLM ARPA/binary model instead of the pocketsphinx default
    model_path: str | None = None
    fingerprints: object = None  # None: lists in the local DB if any; False: none; list of names
    fingerprints_db: str | None = None
    learned_pairs: bool = True  # use word pairs learned from imported fingerprint lists as candidates
    index: str | None = None  # trace index dir: exact restorations from an aligned source
    max_findings_per_1000: float = 400.0  # density cap: beyond it the text is not English prose
    cascade: bool = True  # skip spans the cheap first-stage model rules out (see model.Model.gate)


class Knowledge:
    """Everything `check` needs, loaded once per process."""

    def __init__(self, sources=("moby",), lm_path=None, model_path=None, learned=None):
        from .knowledge import lm as lm_mod
        from .knowledge import thesaurus

        self.th = thesaurus.load(tuple(sources))
        self.lm = lm_mod.load(lm_path)
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


def knowledge(sources=("moby",), lm_path=None, model_path=None, learned_key=None, learned=None) -> Knowledge:
    key = (tuple(sources), lm_path, model_path, learned_key)
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
    zsum = 0.0
    n = 0
    for tok in tokenize(text):
        if tok.kind == "word":
            low = tok.lower
            if not is_function_word(low):
                counts[_lemma(low)] += 1
                zsum += morph.zipf(low)
                n += 1
    counts.mean_zipf = zsum / n if n else 4.0
    return counts


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
                                      i == first_word_idx, gate)
                if span is not None:
                    out.append(span)
    return out


def _span_features(text, base, words, low, lm_words, i, n, form, cands, lm, counts, sentence_initial, gate=None):
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
    cheap = (1.0, text_zipf, text_zipf * text_zipf, text_fit, text_oov, cap, in_name, echo_text, doc_zipf,
             text_zipf - doc_zipf, math.log(len(cands)), float(n))
    if gate is not None and not gate(cheap):
        return None
    cands = _prefilter(lm, left, right, cands)
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
        ))
    start, end = tok0.start, tokn.end
    return Span(start, end, text[start - base : end - base], form, n, cands, np.array(rows, dtype=np.float64),
                np.array(gains), text_zipf, text_oov, text_fit, cap, in_name, echo_text, np.array(arts),
                doc_zipf, extra={"cheap": cheap})


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
        s.extra["best_z"] = float(zz.max())
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
        ))
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(F.SPAN_FEATURES))


def detect(spans: list[Span], model) -> np.ndarray:
    if not spans:
        return np.zeros(0)
    rank(spans, model)
    return model.detector.predict(span_matrix(spans))


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


def _select(spans: list[Span], p: np.ndarray, threshold: float, th_sources, counts) -> list[Finding]:
    """Findings above threshold; overlapping spans keep the most confident one."""
    order = np.argsort(-p)
    taken: list[tuple[int, int]] = []
    out = []
    for idx in order:
        if p[idx] < threshold:
            break
        s = spans[idx]
        if any(s.start < e and b < s.end for b, e in taken):
            continue
        taken.append((s.start, s.end))
        order_c = np.argsort(-s.probs)
        sugg = tuple(s.candidates[j].form for j in order_c[:5])
        out.append(Finding(s.start, s.end, s.text, sugg, float(p[idx]), _evidence(s, int(order_c[0]), th_sources, counts)))
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


def _learned_pairs(opts: Options):
    if not opts.learned_pairs or opts.fingerprints is False:
        return None, None
    try:
        from . import fingerprints as fp
    except ImportError:
        return None, None
    try:
        pairs = fp.learned_pairs(db_path=opts.fingerprints_db, names=opts.fingerprints if isinstance(opts.fingerprints, (list, tuple)) else None)
    except Exception:
        return None, None
    if not pairs:
        return None, None
    key = (opts.fingerprints_db, tuple(opts.fingerprints) if isinstance(opts.fingerprints, (list, tuple)) else None, len(pairs))
    return pairs, key


def check(text: str, **options) -> Report:
    opts = Options(**options)
    if not isinstance(text, str):
        raise TypeError("check() needs a str; decode bytes first (see unspin.readers)")
    pairs, pairs_key = _learned_pairs(opts)
    k = knowledge(opts.sources, opts.lm_path, opts.model_path, pairs_key, pairs)
    model = k.model
    threshold = model.threshold if opts.threshold is None else float(opts.threshold)
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
    if words and english:
        counts = doc_lemma_counts(text)
        for base, para in paragraphs(text):
            spans = extract(para, k, counts, base, gate=model.gate_fn() if opts.cascade else None)
            if not spans:
                continue
            p = detect(spans, model)
            findings.extend(_select(spans, p, threshold, k.th.sources, counts))
    findings = _merge_external(text, findings, opts)
    findings.sort(key=lambda f: (f.start, f.end))
    strength = sum(f.confidence for f in findings) * 1000.0 / max(words, 1)
    if words and english and strength / 1000.0 * words > 0 and len(findings) * 1000.0 / max(words, 1) > opts.max_findings_per_1000:
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
    return Report(text=text, words=words, findings=findings, spin_score=score, verdict=verdict, path=opts.path,
                  notes=notes)


def _merge_external(text: str, findings: list[Finding], opts: Options) -> list[Finding]:
    """Listed fingerprints (unspin.fingerprints) and trace restorations (unspin.trace), when available."""
    if opts.fingerprints is not False:
        try:
            from . import fingerprints as fp
        except ImportError:
            fp = None
        if fp is not None:
            names = opts.fingerprints if isinstance(opts.fingerprints, (list, tuple)) else None
            fset = fp.load(names=names, db_path=opts.fingerprints_db)
            listed = fset.match(text)
            if listed:
                findings = fp.merge(findings, listed)
    if opts.index:
        from . import trace

        traced = trace.restorations(text, opts.index)
        if traced:
            keep = [f for f in findings if not any(f.start < t.end and t.start < f.end for t in traced)]
            findings = keep + list(traced)
    return findings
