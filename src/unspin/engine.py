"""The check pipeline: one function per stage, from data to data.

    text ─► document.pieces_in_sections: sections of ~800 words (one for a short text), each with its
            document.doc_stats (pass 1: lemma and bigram counts, register)                   DocStats
         ─► per piece (paragraph, long ones cut; document.pieces), first_pass_piece:
              extract.piece_spans   words, the text's LM scores, spans, gate facts           Spans
              model.gate_keep       the cheap first stage keeps spans worth scoring
              extract.score_pairs   every candidate of every kept span, in context           Pairs
              extract.rank          softmax per span over its candidates (model.ranker)
              extract.span_table    span features through the ranker; model.detector → p1   Retained (p1 ≥ KEEP)
         ─► decide.second_pass      p2 with the evidence of the document and of the text around each
                                    span (decide.EvidenceMap; model.context): the findings
            (decide.both_passes)    and the same with the document's evidence only (model.doc_context)
         ─► decide.doc_features     from those: spin_score (model.doc); decide.verdict_of
         ─► findings.model_findings suggestions, evidence, levels; merged with external findings ─► Report

`score_document` runs the stages and is what both `check` and `unspin train` call: training sees exactly what
checking sees. Memory stays bounded for large inputs: counts are per section, pieces are scored one at a time,
only spans that may matter (first-pass P ≥ KEEP) are kept for the second pass, and their bulky columns go to a
temporary file beyond decide.SPILL_BYTES.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import features as F
from .decide import (EVIDENCE_FIELDS, KEEP, MAX_DENSITY, MIN_WORDS_FOR_SCORE, SECOND_PASS_ROWS, TOP_K, Aggregates,
                     Retained, add_piece, both_passes, doc_features, first_pass, second_pass, verdict_of)
from .document import (LONG_DOCUMENT_WORDS, SECTION_WORDS, DocStats, PreparedText, Register, not_prose, pieces,
                       pieces_in_sections, pieces_numbered, screen_clears, sections)
from .extract import gate_matrix, piece_spans, piece_topic, rank, score_pairs, span_table
from .findings import merge_external, model_findings, not_allowed, outside_literals, refute
from .knowledge.bundle import Knowledge, knowledge
from .text import count_words
from .types import Finding, Report, is_sure_evidence

__all__ = ["Knowledge", "knowledge", "score_document", "check", "first_pass_piece", "DocumentScore", "sections",
           "SECTION_WORDS", "LONG_DOCUMENT_WORDS", "pieces"]

REUSE_WORDS = 20_000  # `screen`: the first stage's spans of a text up to this long (a few MB) are kept for its full
# check, which then skips making them again (the first stage's cost is not paid twice)


@dataclass
class DocumentScore:
    """What `score_document` computes: the retained spans with their second-pass probabilities, the
    document features and the spin score (None when no score can be given)."""

    words: int
    english: bool
    notes: list[str]
    retained: Retained
    p2: np.ndarray
    doc_x: np.ndarray | None
    spin_score: float | None
    register: Register | None = None  # the whole document's (the spin score's register features)
    sections: int = 1  # document.sections: parts scored with their own counts


def first_pass_piece(piece: str, base: int, k: Knowledge, stats: DocStats, model, gate: bool, agg: Aggregates,
                     out: Retained, keep: float = KEEP, run=None, spans=None):
    """Score one piece: gate, candidates, ranker, detector; append spans with P ≥ `keep` to `out`. Returns
    (Spans, kept indexes, pairs, probs, span matrix, p1) for callers that need them (training). `run`: the
    piece's words when already tokenised (document.pieces_in_sections); `spans`: its Spans when already made
    (the corpus screen's first stage)."""
    if spans is None:
        spans = piece_spans(piece, base, k, stats, run)
    n = len(spans)
    if n == 0:
        return spans, np.zeros(0, np.int64), None, None, None, np.zeros(0)
    G = gate_matrix(spans)
    kept = np.nonzero(model.gate_keep(G))[0] if gate else np.arange(n)
    pairs, probs, M, p1 = _score_spans(spans, kept, k, stats, model)
    add_piece(agg, G, M, p1)
    if not len(pairs.idx):
        return spans, pairs.idx, pairs, probs, M, p1
    _retain(spans, pairs, probs, M, p1, out, keep)
    return spans, kept, pairs, probs, M, p1


def _score_spans(spans, idx: np.ndarray, k: Knowledge, stats: DocStats, model):
    """(pairs, candidate probabilities, span matrix, p1) of the spans `idx`: every candidate in context, the
    ranker, the detector's first pass (empty arrays when none of them has a candidate)."""
    topic = piece_topic(spans, k)
    pairs = score_pairs(spans, idx, k, stats, topic, model.preranker, model.pool_k)
    if not len(pairs.idx):
        return pairs, np.zeros(0), np.zeros((0, len(F.SPAN_FEATURES))), np.zeros(0)
    probs = rank(pairs, model.ranker)
    near = F.near_rare(spans.first, spans.gate["text_zipf"])
    M = span_table(spans, pairs, probs, k, stats, topic, near)
    return pairs, probs, M, first_pass(M, model)


def _retain(spans, pairs, probs, M, p1, out: Retained, keep: float):
    """Append the scored spans with p1 ≥ `keep` to `out`, with their best suggestions and evidence facts."""
    sel = np.nonzero(p1 >= keep)[0]
    if len(sel):
        rows_of = pairs.starts[sel]
        ends = pairs.ends[sel]
        top_forms = np.full((len(sel), TOP_K), -1, dtype=np.int64)
        top_probs = np.zeros((len(sel), TOP_K))
        best = np.zeros(len(sel), dtype=np.int64)
        for r, (a, b) in enumerate(zip(rows_of.tolist(), ends.tolist())):
            order = np.argsort(-probs[a:b], kind="stable")[:TOP_K]
            top_forms[r, : len(order)] = pairs.cand[a + order]
            top_probs[r, : len(order)] = probs[a + order]
            best[r] = a + order[0]
        i = pairs.idx[sel]
        facts = {"text_zipf": spans.gate["text_zipf"][i], "cap_mid": spans.gate["cap_mid"][i],
                 "in_name": spans.gate["in_name"][i]}
        evidence = np.column_stack([facts[f] if f in facts else pairs.cols[f][best] for f in EVIDENCE_FIELDS])
        out.add(spans.start[i], spans.end[i], spans.form[i], p1[sel], M[sel], top_forms, top_probs, evidence)


def rescue_piece(spans, idx: np.ndarray, k: Knowledge, stats: DocStats, model, out: Retained, keep: float) -> None:
    """Score spans the gate skipped (`idx`) as the first pass scores kept ones, appending those with p1 ≥ `keep`
    to `out`; the document's aggregates are not touched (the spin score stays what the gated walk made it)."""
    pairs, probs, M, p1 = _score_spans(spans, idx, k, stats, model)
    if len(pairs.idx):
        _retain(spans, pairs, probs, M, p1, out, keep)


def _rescue_repeats(text, k, model, keep, prepared, retained: Retained, p2, agg, words, skipped, where) -> np.ndarray:
    """Other occurrences of a word found spun (at the model's `finding` threshold): the gate skips a word the
    document repeats (its echo looks like a writer's), so a spun word used twice was a finding once and passed
    over the other time, and `restore` mended one of the two. Those occurrences are scored like any span (the
    model decides each on its own), after the spin score is made (it does not change), and join the retained
    spans. Measured on 120 dev documents per condition (crude, rewriter, fixed-dictionary tools): at most a few
    more true findings per condition and no false finding added on 132k words of clean dev prose; it is for
    consistency (the demo story's second "focal"), not for the figures."""
    found = np.nonzero(p2 >= model.threshold)[0]
    if not len(found):
        return p2
    flagged = np.unique(retained.take("form", found))
    wanted = {n for n, forms in skipped if np.isin(forms, flagged, assume_unique=True).any()}
    if not wanted:
        return p2
    extra = Retained()
    if prepared is None:
        walk = ((n, (base, piece, stats, run, None)) for n, base, piece, stats, run in pieces_numbered(text, k, wanted))
    else:
        walk = ((n, p) for n, p in enumerate(prepared.pieces) if n in wanted)
    for _, (base, piece, stats, run, spans) in walk:
        if spans is None:
            spans = piece_spans(piece, base, k, stats, run)
        mask = np.isin(spans.form, flagged) & ~model.gate_keep(gate_matrix(spans))
        rescue_piece(spans, np.nonzero(mask)[0], k, stats, model, extra, keep)
    # (their evidence is in neither the document's sum nor `where`: own=False)
    parts = [p2] + [second_pass(p1, rows, agg, words, model, start, where, own=False)
                    for p1, rows, start in extra.batches(SECOND_PASS_ROWS)]
    retained.extend(extra)
    return np.concatenate(parts)


def score_document(text: str, k: Knowledge, model=None, gate: bool = True, n_external: int = 0,
                   keep: float = KEEP, progress=None, prepared: PreparedText | None = None,
                   prose_checked: bool = False) -> DocumentScore:
    """The whole decision path for one document. `unspin train` runs the same stages on its labelled documents
    (extract.* while extracting, decide.* on the cached features). `progress(chars_done, chars_total)` is
    called after each piece. `prepared`: the text's pieces and spans when the corpus screen's first stage has
    made them (the same values this walk would make). `prose_checked`: the caller found the text English prose
    (document.not_prose) and it is not asked again."""
    model = model or k.model
    words = count_words(text)
    notes: list[str] = []
    empty = DocumentScore(words, False, notes, Retained(), np.zeros(0), None, None)
    if not words:
        notes.append("no words")
        return empty
    if not prose_checked and (why := not_prose(text, k)) is not None:
        # the model does not judge it; but under MIN_WORDS_FOR_SCORE words the shares not_prose goes by say nothing
        # (a two-word "Bank statement." has no function word): such a text gets the too-short note (check), not
        # "not English prose"
        if words >= MIN_WORDS_FOR_SCORE:
            notes.append(why)
        return empty
    agg = Aggregates()
    retained = Retained()
    if prepared is None:
        n_sections, plain, total = pieces_in_sections(text, k)
        walk = ((base, piece, stats, run, None) for base, piece, stats, run in plain)
    else:
        n_sections, walk, total = prepared.sections, iter(prepared.pieces), prepared.total
    skipped: list[tuple[int, np.ndarray]] = []  # (piece number, forms of the spans the gate skipped there)
    for n_piece, (base, piece, section_stats, run, spans) in enumerate(walk):
        spans, kept, *_ = first_pass_piece(piece, base, k, section_stats, model, gate, agg, retained, keep, run,
                                           spans)
        if gate and len(spans) > len(kept):
            mask = np.ones(len(spans), dtype=bool)
            mask[kept] = False
            skipped.append((n_piece, np.unique(spans.form[mask]).astype(np.int32)))  # (int32: a 20 MB input
            # has ~40,000 pieces)
        if progress is not None:
            progress(base + len(piece), len(text))
    if progress is not None:  # the end, also when the text ends in blank lines no piece covers
        progress(len(text), len(text))
    where = retained.evidence_map(words, len(text))
    p2_parts, doc_parts = [np.zeros(0)], [np.zeros(0)]
    for p1, rows, start in retained.batches(SECOND_PASS_ROWS):
        p2, p2_doc = both_passes(p1, rows, agg, words, model, start, where)
        p2_parts.append(p2)
        doc_parts.append(p2_doc)
    p2 = np.concatenate(p2_parts)
    register = total.register()
    x = doc_features(np.concatenate(doc_parts), agg, words, n_external, register)
    score = None
    if words >= MIN_WORDS_FOR_SCORE and model.doc is not None:
        score = float(model.doc.predict(x[None, :])[0])
    if skipped and len(p2):
        p2 = _rescue_repeats(text, k, model, keep, prepared, retained, p2, agg, words, skipped, where)
    return DocumentScore(words, True, notes, retained, p2, x, score, register, n_sections)


def check(text: str, k: Knowledge, threshold: float | None = None, suspect_threshold: float | None = None,
          cascade: bool = True, external: list[Finding] = (), path: str | None = None,
          screen: bool = False, progress=None, confirmed: list[tuple[int, int]] = (), allow: frozenset = frozenset()
          ) -> Report:
    """Findings of the model merged with `external` ones (imported lists, trace), spin score and verdict.
    `screen` (corpus screening): a document the first stage clears, with no external finding, is reported
    `clean` with stage "screen" and no span analysis. `confirmed`: spans a traced source has word for word; the
    model's findings inside them are dropped (the verdict is then decided without them). `allow`: the user's allow
    list (findings.allow_keys); findings of those words are dropped, before the verdict too."""
    model = k.model
    prepared = None
    words = count_words(text) if screen and not external else 0
    prose_checked = False
    # text that is no English prose is never cleared: the full check says why it cannot judge it (German was once
    # cleared as clean)
    if words >= MIN_WORDS_FOR_SCORE and not_prose(text, k) is None:
        prose_checked = True  # (not asked again by score_document)
        # the first stage's pieces and spans are kept for the full check of a text it does not clear, unless the
        # text is long (then they are made again, piece by piece, in bounded memory)
        cleared, prepared = screen_clears(text, k, model, keep=words <= REUSE_WORDS)
        if cleared:
            return Report(text=text, words=words, findings=[], spin_score=None, verdict="clean", path=path,
                          notes=["cleared by the corpus screen's first stage (no span analysis)"], stage="screen")
    threshold = model.threshold if threshold is None else float(threshold)
    suspect_threshold = model.suspect_threshold if suspect_threshold is None else float(suspect_threshold)
    suspect_threshold = min(suspect_threshold, threshold)
    # the gate is calibrated to keep what the model's suspect threshold needs; a lower one needs every span
    gate = cascade and suspect_threshold >= model.suspect_threshold - 1e-9
    external = list(external)
    # certain evidence for the spin score: listed phrases and thesaurus-linked traced restorations (types.is_sure_evidence)
    n_ext = len({(f.start, f.end) for f in external if is_sure_evidence(f)})
    ds = score_document(text, k, model, gate=gate, n_external=n_ext, keep=min(KEEP, suspect_threshold),
                        progress=progress, prepared=prepared, prose_checked=prose_checked)
    notes = list(ds.notes)
    findings = model_findings(text, ds, k, threshold, suspect_threshold) if ds.english else []
    findings = outside_literals(merge_external(findings, external, text), text)
    if confirmed:
        kept = refute(findings, confirmed)
        if len(kept) < len(findings):
            n = len(findings) - len(kept)
            notes.append(f"{n} model finding{'s' if n > 1 else ''} dropped: the traced source has the same words "
                         "there")
        findings = kept
    if allow:
        kept = not_allowed(findings, allow, k)
        if len(kept) < len(findings):
            n = len(findings) - len(kept)
            notes.append(f"{n} finding{'s' if n > 1 else ''} of words on the allow list not shown (the spin score "
                         "still weighs every word)")
        findings = kept
    score = ds.spin_score
    # (a text too short for a score has no verdict to withhold: two suspects in a four-word sentence are no sign
    # that it is not prose)
    if ds.english and ds.words >= MIN_WORDS_FOR_SCORE and len(findings) * 1000.0 / ds.words > MAX_DENSITY:
        notes.append(f"implausibly many flagged spans for English prose ({len(findings)} findings and suspects in "
                     f"{ds.words} words); no verdict")
        score = None
    if 0 < ds.words < MIN_WORDS_FOR_SCORE:  # (English prose or not: too short to say, see score_document)
        word = "word" if ds.words == 1 else "words"
        notes.append(f"too short for a spin score ({ds.words} {word} < {MIN_WORDS_FOR_SCORE})")
    verdict = verdict_of(score, findings, model, notes, ds.words)
    return Report(text=text, words=ds.words, findings=findings, spin_score=score, verdict=verdict, path=path,
                  notes=notes)

