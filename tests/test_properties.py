"""Properties that hold for any input (hypothesis)."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import unspin

WORDS = ["the", "focal", "bank", "brought", "up", "its", "premium", "rate", "police", "said", "speculate", "had",
         "fled", "Secretary", "of", "Express", "a", "inquiry", "profound", "learning", "analysts", "have", "faith",
         "😀", "naïve", "Zürich", "\n", "\n\n", ",", ".", "!", "\"", "3.5%", "é", "\u0301", "\u202e", "\t"]

prose = st.lists(st.sampled_from(WORDS), min_size=0, max_size=60).map(lambda ws: " ".join(ws))
anything = st.text(max_size=300)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(prose, anything))
def test_offsets_index_the_input_and_restore_changes_nothing_else(text):
    rep = unspin.check(text, fingerprints=False)
    prev_end = 0
    for f in rep.findings:
        assert 0 <= f.start < f.end <= len(text)
        assert text[f.start : f.end] == f.text
        assert f.start >= prev_end  # sorted, non-overlapping
        prev_end = f.end
        assert 0.0 <= f.confidence <= 1.0
    assert rep.spin_score is None or 0.0 <= rep.spin_score <= 1.0
    assert rep.spin_score is not None or rep.verdict == "uncertain"
    r = unspin.restore(text, fingerprints=False)
    assert unspin.apply_edits(text, r.edits) == r.text
    # outside the edits the text is byte-identical
    pos = 0
    out_pos = 0
    for e in r.edits:
        seg = text[pos : e.start]
        assert r.text[out_pos : out_pos + len(seg)] == seg
        out_pos += len(seg) + len(e.new)
        pos = e.end
    assert r.text[out_pos:] == text[pos:]


@settings(max_examples=25, deadline=None)
@given(prose)
def test_check_is_deterministic(text):
    a = unspin.check(text, fingerprints=False).to_dict()
    b = unspin.check(text, fingerprints=False).to_dict()
    assert a == b


_VARIANT_WORDS = ["irregular", "arbitrary", "Arbitrary", "woodland", "backwoods", "random", "forest", "profound",
                  "learning", "deep", "-", "–", ",", ".", "’", "'s", "\n", "😀", "naïve", "Woodland", "ARBITRARY"]
_VARIANT_LIST = [("irregular woodland", "random forest"), ("arbitrary backwoods", "random forest"),
                 ("profound learning", "deep learning")]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.lists(st.sampled_from(_VARIANT_WORDS), max_size=40).map(" ".join),
                 st.lists(st.sampled_from(_VARIANT_WORDS), max_size=40).map("".join), st.text(max_size=200)))
def test_listed_phrases_and_variants_index_the_input_and_never_overlap(text):
    from unspin.fingerprints import FingerprintSet

    fs = FingerprintSet.from_entries(_VARIANT_LIST, name="p")
    prev_end = 0
    for f in fs.find(text):
        assert 0 <= f.start < f.end <= len(text) and text[f.start : f.end] == f.text
        assert f.start >= prev_end and f.suggestions and f.suggestions[0].strip()
        assert f.level in ("finding", "suspect")
        prev_end = f.end
