"""The decision helpers on hand-made numbers: selection, verdicts, document features, metrics' matching rule."""
from dataclasses import dataclass

import numpy as np
import pytest

from unspin import decide, features as F
from unspin.metrics import score_findings
from unspin.model import SHORT_TEXT_WORDS
from unspin.spans import overlaps, select_non_overlapping
from unspin.types import Finding


@dataclass
class S:
    start: int
    end: int
    score: float


def test_non_overlapping_selection_keeps_the_best_and_returns_text_order():
    items = [S(0, 5, 0.5), S(3, 8, 0.9), S(8, 10, 0.4), S(9, 12, 0.3), S(20, 20, 0.1)]
    kept = select_non_overlapping(items, key=lambda s: s.score)
    assert [(s.start, s.end) for s in kept] == [(3, 8), (8, 10), (20, 20)]
    assert overlaps(0, 5, 4, 6) and not overlaps(0, 5, 5, 6)


def test_metrics_match_the_first_overlapping_true_span():
    truth = [(0, 5, "central"), (6, 10, "bank")]
    f = [Finding(2, 8, "x", ("central",), 0.9)]  # overlaps both: counts for the first
    s = score_findings(f, truth)
    assert (s.tp, s.fp, s.fn, s.r1) == (1, 0, 1, 1)


class _Cuts:  # a stand-in model: only its verdict cut-offs matter here
    doc_spun = 0.9
    doc_clean = 0.4
    short_spun_findings = 3


M = _Cuts()
LONG = SHORT_TEXT_WORDS  # words: a document, not a short text


def test_verdicts_need_a_score_and_a_span_to_show():
    f = [Finding(0, 3, "abc", ("x",), 0.5, level="suspect")]
    assert decide.verdict_of(None, f, M, [], LONG) == "uncertain"
    assert decide.verdict_of(0.95, f, M, [], LONG) == "spun"
    notes = []
    assert decide.verdict_of(0.95, [], M, notes, LONG) == "uncertain" and "no span" in notes[0]
    assert decide.verdict_of(0.5, f, M, [], LONG) == "uncertain"
    assert decide.verdict_of(0.1, [], M, [], LONG) == "clean"


def test_a_short_text_needs_several_different_findings_to_be_spun():
    def found(*words, level="finding"):
        return [Finding(10 * i, 10 * i + len(w), w, ("x",), 0.8, level=level) for i, w in enumerate(words)]

    two = found("focal", "Focal", "ascending")  # "focal" twice: two different words
    three = found("focal", "ascending", "pointedly")
    assert decide.distinct_findings(two) == 2 and decide.distinct_findings(three) == 3
    assert decide.verdict_of(0.95, two, M, [], LONG) == "spun"  # a document: one span to show is enough
    notes = []
    assert decide.verdict_of(0.95, two, M, notes, LONG - 1) == "uncertain" and "at least 3 different" in notes[0]
    assert decide.verdict_of(0.95, three, M, [], 60) == "spun"
    assert decide.verdict_of(0.95, found("a", "b", "c", level="suspect"), M, [], 60) == "uncertain"  # suspects: no
    assert decide.verdict_of(0.5, three, M, [], 60) == "uncertain"  # the documents' cut still applies
    assert decide.verdict_of(0.1, [], M, [], 60) == "clean"
    older = _Cuts()
    older.short_spun_findings = None  # a model file from before the rule: as for documents
    assert decide.verdict_of(0.95, two, older, [], 60) == "spun"


def test_document_features_count_evidence_per_1000_words():
    agg = decide.Aggregates(spans=100, attraction_sum=50.0, rare=10, evidence=2.0, best_gain_sum=30.0, scored=10)
    from unspin.document import Register

    x = dict(zip(F.DOC_FEATURES, decide.doc_features(np.array([0.95, 0.7, 0.35, 0.1]), agg, 500, 1,
                                                    Register(zipf=4.5, function_share=0.4))))
    assert x["log_n90"] == pytest.approx(np.log1p(2 * 2.0))  # 0.95 and the listed hit (0.97), per 1,000 words
    # 0.35 counts three quarters at the 0.3 level (its ramp runs 0.2 → 0.4)
    assert x["log_n60"] == pytest.approx(np.log1p(3 * 2.0)) and x["log_n30"] == pytest.approx(np.log1p(3.75 * 2.0))
    assert x["rare_share"] == 0.1 and x["mean_attraction"] == 0.5 and x["mean_best_gain"] == 3.0
    assert x["register_zipf"] == 4.5 and x["function_share"] == 0.4
    assert x["log_evidence"] == pytest.approx(np.log1p((2.0 + decide.EXTERNAL_P) * 2.0))


def test_document_features_move_little_when_one_span_crosses_a_level():
    """A span's P moving 0.302 → 0.271 (a stray word appended to the text) moved a hard count by one: in a
    109-word text the spin score fell 0.98 → 0.55. The counts and the evidence are ramps around each level."""
    from unspin.document import Register

    agg = decide.Aggregates(spans=10, evidence=1.0, scored=3)
    feats = [dict(zip(F.DOC_FEATURES, decide.doc_features(np.array([p, 0.62, 0.91]), agg, 120, 0, Register())))
             for p in (0.302, 0.271)]
    for name in ("log_n30", "log_n60", "log_n90"):
        assert abs(feats[0][name] - feats[1][name]) < 0.1  # a hard count moved log_n30 by 0.39
    assert decide.ramp(np.array([0.1, 0.2, 0.3, 0.4, 0.5]), 0.2, 0.4) == pytest.approx([0.0, 0.0, 0.5, 1.0, 1.0])
    e = decide.evidence_of(np.array([0.05, 0.199, 0.201, 0.9]))
    assert e[0] == 0.0 and abs(e[1] - e[2]) < 0.01 and e[3] == pytest.approx(0.9)


def test_retained_spans_are_stored_compactly_and_read_back():
    r = decide.Retained()
    n_ev = len(decide.EVIDENCE_FIELDS)
    r.add([0, 10], [5, 15], [7, 8], [0.5, 0.9], np.ones((2, len(F.SPAN_FEATURES))), np.full((2, 5), 3),
          np.full((2, 5), 0.2), np.zeros((2, n_ev)))
    r.add([20], [25], [9], [0.3], np.ones((1, len(F.SPAN_FEATURES))), np.full((1, 5), 4), np.full((1, 5), 0.2),
          np.zeros((1, n_ev)))
    assert len(r) == 3 and list(r.start) == [0, 10, 20] and r.rows.dtype == np.float32
    assert decide.Retained().p1.shape == (0,)


def test_retained_spans_spill_to_a_temporary_file_and_read_back_identically():
    rng = np.random.default_rng(3)
    n_ev, n_f = len(decide.EVIDENCE_FIELDS), len(F.SPAN_FEATURES)
    blocks = []
    for b in range(6):
        n = int(rng.integers(1, 40))
        start = np.sort(rng.integers(0, 10_000, n)) + 10_000 * b
        blocks.append((start, start + 4, rng.integers(0, 99, n), rng.random(n), rng.random((n, n_f)),
                       rng.integers(-1, 99, (n, 5)), rng.random((n, 5)), rng.random((n, n_ev))))
    held, spilled = decide.Retained(), decide.Retained(spill_bytes=1_000)
    for blk in blocks:
        held.add(*blk)
        spilled.add(*blk)
    assert spilled.spilled and not held.spilled and len(spilled) == len(held)
    for (p_a, rows_a, st_a), (p_b, rows_b, st_b) in zip(held.batches(50), spilled.batches(50), strict=True):
        assert np.array_equal(p_a, p_b) and np.array_equal(rows_a, rows_b) and np.array_equal(st_a, st_b)
    idx = np.sort(rng.choice(len(held), 17, replace=False))
    for key in decide.Retained.KEYS:
        assert np.array_equal(held.take(key, idx), spilled.take(key, idx))
        assert np.array_equal(held.column(key)[idx], spilled.take(key, idx))
        assert np.array_equal(held.column(key), spilled.column(key))
    assert spilled.take("evidence", np.zeros(0, np.int64)).shape == (0, n_ev)


def test_retained_spans_stay_in_memory_when_no_temporary_file_can_be_written(monkeypatch):
    import tempfile

    def no_room(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tempfile, "TemporaryFile", no_room)
    n_ev, n_f = len(decide.EVIDENCE_FIELDS), len(F.SPAN_FEATURES)
    r = decide.Retained(spill_bytes=100)
    for b in range(3):
        r.add([b], [b + 1], [b], [0.5], np.full((1, n_f), b), np.full((1, 5), b), np.zeros((1, 5)), np.zeros((1, n_ev)))
    assert not r.spilled and list(r.start) == [0, 1, 2]
    assert [rows[:, 0].tolist() for _, rows, _ in r.batches(10)] == [[0.0, 1.0, 2.0]]


def test_two_distinct_listed_phrases_make_a_document_spun():
    def listed(start, phrase, level="finding"):
        return Finding(start, start + len(phrase), phrase, ("x",), 0.99, source="list", rule_id="UNSPIN_LIST_PPS",
                       detail=f"pps:{phrase}", level=level)

    one = [listed(0, "profound learning"), listed(40, "profound learning")]  # one phrase, twice
    two = one + [listed(80, "irregular woodland")]
    notes = []
    assert decide.verdict_of(0.5, one, M, [], LONG) == "uncertain"
    assert decide.verdict_of(0.5, two, M, notes, LONG) == "spun" and "2 distinct phrases" in notes[0]
    assert decide.verdict_of(0.1, two, M, [], LONG) == "spun"
    assert decide.verdict_of(0.95, two, M, [], 60) == "spun"  # a short text: the lists' rule needs no more findings
    assert decide.verdict_of(0.95, one, M, [], 60) == "spun"  # one listed phrase and the score: no chance finding
    assert decide.verdict_of(0.5, one, M, [], 60) == "uncertain"
    assert decide.verdict_of(None, two, M, [], LONG) == "uncertain"  # too short or not prose: never a verdict
    variants = one + [listed(80, "irregular woodland", level="suspect")]  # variants are suspects: not listed
    assert decide.verdict_of(0.5, variants, M, [], LONG) == "uncertain"
    # a variant merged into a model finding is at `finding` level, and still no listed phrase
    merged = Finding(80, 98, "arbitrary woodland", ("random forest",), 0.8, source="list",
                     rule_id="UNSPIN_LIST_PPS_VARIANT", detail="pps:~random forest", level="finding")
    assert decide.verdict_of(0.5, one + [merged], M, [], LONG) == "uncertain"
    assert decide.verdict_of(0.95, [merged], M, [], 60) == "uncertain"  # nor is it sure enough for a short text
    from unspin.fingerprints import density, is_listed

    assert not is_listed(merged) and is_listed(one[0])
    assert density([merged], 100)["listed"] == 0


def test_local_context_counts_the_evidence_around_a_span_not_the_whole_document():
    # 1,000 words of 6 characters: a cluster of sure spans near the start, one span far from them
    words, chars = 1000, 6000
    start = np.array([100, 130, 160, 190, 5000])
    p1 = np.array([0.9, 0.9, 0.9, 0.9, 0.9])
    where = decide.EvidenceMap(start, p1, words, chars)
    local = where.local_column(start, p1)
    doc = decide.context_column(p1, float(decide.evidence_of(p1).sum()), words)
    # near the cluster the rest of it (3 spans in a ~175-word stretch cut at the text's start) weighs far more than
    # in the whole document; the lone span far away has nothing around it
    assert local[0] > doc[0] + 1.2 and local[4] == 0.0
    assert local[0] == pytest.approx(np.log1p(3 * 0.9 * 1000 / ((100 + 150 * 6) / 6)))
    # a span not among the map's (own=False) keeps every span's evidence around it
    assert where.local_column(np.array([5000.0]), np.array([0.9]), own=False)[0] == pytest.approx(
        np.log1p(0.9 * 1000 / 300))
    # spans with no evidence (P below the evidence ramp) add nothing
    assert decide.EvidenceMap(start, np.full(5, 0.05), words, chars).local_column(start, np.full(5, 0.05)).max() == 0


def test_local_context_equals_the_document_context_in_a_short_text():
    # a text shorter than the window on either side: every span's stretch is the whole text
    rng = np.random.default_rng(3)
    words = decide.LOCAL_WORDS
    chars = words * 5
    start = np.sort(rng.integers(0, chars, 12))
    p1 = rng.random(12)
    where = decide.EvidenceMap(start, p1, words, chars)
    doc = decide.context_column(p1, float(decide.evidence_of(p1).sum()), words)
    mid = (start >= chars - decide.LOCAL_WORDS * 5) & (start <= decide.LOCAL_WORDS * 5)
    assert np.allclose(where.local_column(start, p1)[mid], doc[mid])
