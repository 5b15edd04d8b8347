from pathlib import Path

import pytest

from unspin.edits import apply_edits, edits_from_findings
from unspin.types import Edit, Finding


def F(start, end, text, sugg, conf=0.9):
    return Finding(start, end, text, tuple(sugg), conf)


def test_edits_replay_exactly_and_keep_case():
    text = "Focal banks and the focal point."
    findings = [F(0, 5, "Focal", ["central"]), F(20, 25, "focal", ["central"], 0.8)]
    edits = edits_from_findings(text, findings)
    assert [e.new for e in edits] == ["Central", "central"]
    assert apply_edits(text, edits) == "Central banks and the central point."
    assert apply_edits(text, [e.to_dict() for e in edits]) == "Central banks and the central point."


def test_overlapping_findings_keep_the_most_confident():
    text = "have faith in it"
    edits = edits_from_findings(text, [F(0, 4, "have", ["hold"], 0.6), F(0, 10, "have faith", ["believe"], 0.9)])
    assert apply_edits(text, edits) == "believe in it"


def test_findings_without_suggestions_or_below_confidence_are_not_applied():
    text = "alpha beta"
    edits = edits_from_findings(text, [F(0, 5, "alpha", []), F(6, 10, "beta", ["gamma"], 0.3)], min_confidence=0.5)
    assert edits == []


def test_apply_edits_refuses_mismatched_or_overlapping_edits():
    with pytest.raises(ValueError, match="expects"):
        apply_edits("abc def", [Edit(0, 3, "xyz", "q")])
    with pytest.raises(ValueError, match="overlaps"):
        apply_edits("abc def", [Edit(0, 3, "abc", "q"), Edit(2, 5, "c d", "r")])
    with pytest.raises(ValueError):
        apply_edits("abc", [Edit(2, 9, "c", "q")])


def test_apply_edits_does_not_depend_on_the_order_given_and_names_bad_types():
    import pytest

    from unspin import Edit, apply_edits
    from unspin.types import Finding

    text = "The focal bank"
    edits = [Edit(4, 9, "focal", "central"), Edit(4, 4, "", "very ")]
    assert apply_edits(text, edits) == apply_edits(text, edits[::-1]) == "The very central bank"
    for args in ((None, []), (b"The", []), (text, None), (text, [Edit(4, "9", "focal", "x")])):
        with pytest.raises(TypeError):
            apply_edits(*args)
    assert Finding.from_dict({"start": 0, "end": 1, "text": "T", "suggestions": "central"}).suggestions == ("central",)


def test_a_phrase_wrapped_across_lines_is_restored_without_reflowing_the_lines():
    """A spun phrase broken across lines (a wrapped text file, CRLF or not) keeps its line break at the same
    word gap; everything outside the span stays byte-identical."""
    from unspin.edits import apply_edits, edits_from_findings
    from unspin.types import Finding

    text = "We trained the irregular\nwoodlands on it.\r\nAn irregular\r\nwoodland was\nused."
    a = text.index("irregular\nwoodlands")
    b = text.index("An irregular\r\n")
    findings = [Finding(a, a + len("irregular\nwoodlands"), "irregular\nwoodlands", ("random forests",), 0.97),
                Finding(b, b + len("An irregular\r\nwoodland"), "An irregular\r\nwoodland", ("a random forest",), 0.97)]
    out = apply_edits(text, edits_from_findings(text, findings))
    assert out == "We trained the random\nforests on it.\r\nA random\r\nforest was\nused."
    # a one-word suggestion for a wrapped phrase: nothing to break, one word
    one = [Finding(a, a + len("irregular\nwoodlands"), "irregular\nwoodlands", ("forests",), 0.97)]
    assert apply_edits(text, edits_from_findings(text, one)).startswith("We trained the forests on it.\r\n")


def test_the_package_docstring_example_is_true(monkeypatch):
    """The first example a library user reads (`help(unspin)`) runs as written and shows what it says."""
    import doctest

    import unspin

    monkeypatch.chdir(Path(__file__).resolve().parent.parent)  # the example opens examples/spun-news.txt
    result = doctest.testmod(unspin, raise_on_error=False)
    assert result.attempted >= 4 and result.failed == 0


def test_code_urls_and_e_mail_addresses_are_never_flagged_nor_rewritten():
    """`restore --review` once rewrote `git commit --amend` to `run commit --better` and the identifier
    focal_rate_ascending() to focal_rate_rise(): their words are nobody's word choice, and rewriting them breaks
    a program or a link."""
    import unspin
    from unspin.text import literal_spans

    text = ("The central bank raised its premium rate on Tuesday. The guide is at "
            "https://www.focal-bank.example/premium-rate/ascending-costs and at focal.example for now.\n"
            "Mail governor@focal.example for details. Run `git commit --amend` to fix the message, then call "
            "focal_rate_ascending() again.\nThe governor told journalists that the decision was troublesome but "
            "essential to safeguard the reserve funds of common families.\n")
    literals = literal_spans(text)
    assert len(literals) == 5
    report = unspin.check(text, fingerprints=False, threshold=0.05)
    assert report.findings, "the prose around them is still checked"
    for f in report.findings:
        assert not any(a < f.end and f.start < b for a, b in literals), f
    restored = unspin.restore(text, fingerprints=False, include_suspects=True).text
    for a, b in literals:
        assert text[a:b] in restored


def test_a_hyphenated_spelling_keeps_its_hyphens_when_restored():
    """A list matches "profound-learning" as its phrase "profound learning"; restore wrote "deep learning", dropping
    the text's spelling. Each part keeps its case; a replacement of another length is written as suggested."""
    from unspin.edits import replacement

    assert replacement("profound-learning", "deep learning") == "deep-learning"
    assert replacement("Profound-Learning", "deep learning") == "Deep-Learning"
    assert replacement("PROFOUND-LEARNING", "deep learning") == "DEEP-LEARNING"
    assert replacement("profound learning", "deep learning") == "deep learning"
    assert replacement("well-known", "famous") == "famous"  # one word for a compound: as suggested
    assert replacement("state-of-the-art", "modern methods") == "modern methods"
    assert replacement("profound\nlearning", "deep learning") == "deep\nlearning"
