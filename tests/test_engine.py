"""Data-driven engine tests: JSON case files of our own sentences (ftfy style).

- cases/spun.json: every listed span is flagged and its first suggestion is the original;
- cases/clean.json: honest prose that must produce no finding;
- cases/known_failures.json: spun cases we do not get right yet; they must still fail (a fix moves them).
"""
import json
from pathlib import Path

import pytest

import unspin

CASES = Path(__file__).parent / "cases"


def _load(name):
    return json.loads((CASES / name).read_text())["cases"]


MODES = {"default": None, "review": 0.3}


def _span_result(case):
    rep = unspin.check(case["text"], fingerprints=False, threshold=MODES[case.get("mode", "default")])
    out = []
    for spun, original in case["spans"]:
        start = case["text"].index(spun)
        end = start + len(spun)
        hit = [f for f in rep.findings if f.start < end and start < f.end]
        out.append((spun, original, hit[0].suggestions[0] if hit else None))
    return rep, out


@pytest.mark.parametrize("case", _load("spun.json"), ids=lambda c: c["text"][:40])
def test_spun_cases(case):
    rep, results = _span_result(case)
    for spun, original, got in results:
        assert got is not None, f"{spun!r} not flagged in {case['text']!r}"
        assert got.lower() == original.lower(), f"{spun!r}: expected {original!r}, got {got!r}"


@pytest.mark.parametrize("text", _load("clean.json"), ids=lambda t: t[:40])
def test_clean_prose_has_no_findings(text):
    rep = unspin.check(text, fingerprints=False)
    assert rep.findings == [], [(f.text, f.suggestions[:2], round(f.confidence, 2)) for f in rep.findings]


@pytest.mark.parametrize("case", _load("known_failures.json") or [None], ids=lambda c: (c or {}).get("text", "none")[:40])
def test_known_failures_still_fail(case):
    if case is None:
        pytest.skip("no known failures listed")
    rep, results = _span_result(case)
    assert any(got is None or got.lower() != orig.lower() for _, orig, got in results), (
        "this known failure now passes: move it to spun.json")


def _known_clean_failures():
    return json.loads((CASES / "known_failures.json").read_text()).get("clean_cases", [])


@pytest.mark.parametrize("case", _known_clean_failures() or [None], ids=lambda c: (c or {}).get("text", "none")[:40])
def test_known_false_alarms_still_happen(case):
    if case is None:
        pytest.skip("no known false alarms listed")
    rep = unspin.check(case["text"], fingerprints=False)
    assert rep.findings, "this known false alarm is gone: move the text to clean.json"


def test_report_fields_offsets_and_verdict_on_the_bundled_example():
    text = (Path(__file__).parents[1] / "examples" / "spun-news.txt").read_text()
    default = unspin.check(text, path="x", fingerprints=False)
    assert default.path == "x" and default.words == 145
    assert default.verdict == "spun" and default.spin_score >= 0.5
    rep = unspin.check(text, path="x", fingerprints=False, threshold=0.3)  # review mode
    assert rep.findings and len(rep.findings) >= len(default.findings)
    for f in rep.findings:
        assert text[f.start : f.end] == f.text
        assert 0.0 <= f.confidence <= 1.0 and f.suggestions and f.evidence and f.rule == "model"
    original = (Path(__file__).parents[1] / "examples" / "original-news.txt").read_text()
    clean = unspin.check(original, fingerprints=False, threshold=0.3)
    assert clean.spin_score < 0.5 <= rep.spin_score and clean.verdict == "clean"
    assert len(clean.findings) < len(rep.findings)


def test_empty_short_and_non_english_inputs_are_uncertain():
    assert unspin.check("").verdict == "uncertain"
    short = unspin.check("The focal bank.", fingerprints=False)
    assert short.verdict == "uncertain"
    german = ("Die Zentralbank hat den Leitzins zum dritten Mal in diesem Jahr erhöht, weil die Preise "
              "weiterhin schneller steigen als die Löhne und die Regierung keine Einigung erzielt hat. ") * 3
    rep = unspin.check(german, fingerprints=False)
    assert rep.verdict == "uncertain" and rep.findings == [] and rep.notes


def test_restore_replaces_only_flagged_spans():
    text = (Path(__file__).parents[1] / "examples" / "spun-news.txt").read_text()
    r = unspin.restore(text, fingerprints=False, threshold=0.3)
    assert r.edits and unspin.apply_edits(text, r.edits) == r.text
    flagged = [(f.start, f.end) for f in r.report.findings]
    for e in r.edits:
        assert (e.start, e.end) in flagged


def test_long_paragraphs_and_large_inputs_are_processed():
    para = "The council approved the budget after a long debate about roads and schools. " * 400
    rep = unspin.check(para + "\n\n" + para, fingerprints=False)
    assert rep.words == 2 * 400 * 13


def test_a_finding_takes_in_an_article_that_would_become_wrong():
    from types import SimpleNamespace

    from unspin.engine import _with_article

    para = "The council opened an inquiry into it. They asked a question."
    s = SimpleNamespace(start=para.index("inquiry"), end=para.index("inquiry") + 7, text="inquiry")
    start, text, sugg = _with_article(s, ("probe", "investigation"), para, 0)
    assert text == "an inquiry" and para[start : s.end] == text
    assert sugg == ("a probe", "an investigation")
    # the article already fits the top suggestion: the finding stays on the word
    assert _with_article(s, ("investigation",), para, 0) == (s.start, "inquiry", ("investigation",))
    q = SimpleNamespace(start=para.index("question"), end=para.index("question") + 8, text="question")
    assert _with_article(q, ("query",), para, 0)[1] == "question"
    # offsets of a paragraph inside a larger document
    start, text, _ = _with_article(SimpleNamespace(start=s.start + 100, end=s.end + 100, text="inquiry"),
                                   ("probe",), para, 100)
    assert (start, text) == (100 + para.index("an inquiry"), "an inquiry")
