import json

import pytest

from unspin.spin import SpinOptions, SpintaxError, expand_spintax, spin, to_spintax

TEXT = (
    "The council approved the new budget on Monday after a long debate. "
    "Residents said the plan would improve local roads and reduce traffic. "
    "\"We are happy with the result,\" said the mayor. The budget includes 12 million dollars for schools, "
    "and the council will review the budget again next year."
)


def test_alignment_is_exact_both_ways():
    r = spin(TEXT, rate=0.5, seed=3)
    assert r.spans, "a rate of 0.5 must replace something"
    for s in r.spans:
        assert r.text[s.start : s.end] == s.spun
        assert TEXT[s.orig_start : s.orig_end] == s.original
        assert s.spun.lower() != s.original.lower()
    # everything outside the spans is unchanged
    pos_o = pos_s = 0
    for s in r.spans:
        assert TEXT[pos_o : s.orig_start] == r.text[pos_s : s.start]
        pos_o, pos_s = s.orig_end, s.end
    assert TEXT[pos_o:] == r.text[pos_s:]


def test_deterministic_for_a_seed_and_different_across_seeds():
    a = spin(TEXT, rate=0.4, seed=7)
    b = spin(TEXT, rate=0.4, seed=7)
    c = spin(TEXT, rate=0.4, seed=8)
    assert a.text == b.text and a.spans == b.spans
    assert a.text != c.text


def test_function_words_numbers_and_quotes_are_left_alone():
    for seed in range(5):
        r = spin(TEXT, rate=1.0, seed=seed)
        for s in r.spans:
            assert s.original.lower() not in {"the", "on", "after", "and", "would", "we", "are", "with"}
            assert not any(ch.isdigit() for ch in s.original)
            quote_a = TEXT.index("\"We")
            quote_b = TEXT.index("result,\"") + len("result,\"")
            assert not (quote_a <= s.orig_start < quote_b), s


def test_rate_zero_changes_nothing_and_bad_rate_is_refused():
    assert spin(TEXT, rate=0.0, seed=1).text == TEXT
    with pytest.raises(ValueError):
        spin(TEXT, rate=1.5)


def test_careful_style_swaps_fewer_words_and_never_names():
    text = "Secretary of State Anna Berg met the Prime Minister of Norway to discuss fishing rights. " * 3
    crude = sum(len(spin(text, rate=0.5, seed=s, style="crude").spans) for s in range(4))
    careful_runs = [spin(text, rate=0.5, seed=s, style="careful") for s in range(4)]
    for r in careful_runs:
        for s in r.spans:
            assert not s.original[0].isupper() or s.orig_start == 0 or text[s.orig_start - 2] in ".!?"
            assert " " not in s.spun  # careful: single words only
    assert crude > 0


def test_names_can_be_swapped_by_crude_style_keeping_capitals():
    text = "The Secretary of State arrived. " * 30
    spans = [s for seed in range(3) for s in spin(text, rate=0.9, seed=seed).spans if s.original == "State"]
    assert spans, "crude style swaps words inside names"
    assert all(s.spun[0].isupper() for s in spans)


def test_partial_occurrences_switch():
    text = "The report said the report was late. Another report came. " * 4
    r = spin(text, rate=0.5, seed=2, options=SpinOptions(partial_occurrences=False, word_to_phrase=False))
    swapped = {s.spun.lower() for s in r.spans if s.original.lower() == "report"}
    kept = text.lower().count("report") - sum(1 for s in r.spans if s.original.lower() == "report")
    # all-or-nothing per word: either every "report" is swapped or none
    assert (kept == 0) or not swapped


def test_inflection_is_kept():
    text = "The farmers planted seeds and the workers painted the walls while the children played games."
    r = spin(text, rate=1.0, seed=4, options=SpinOptions(pos_blind=False, word_to_phrase=False))
    for s in r.spans:
        if s.original.endswith("ed") and s.spun.isalpha():
            # a verb in the past stays past (or an irregular past form)
            assert s.spun.endswith(("ed", "t", "d")) or s.spun != s.spun.rstrip("ed"), s


def test_spintax_round_trip_and_nesting():
    r = spin(TEXT, rate=0.4, seed=5)
    sx = to_spintax(r)
    assert sx.count("{") == len(r.spans)
    assert expand_spintax(sx, seed=1).count(" ") >= TEXT.count(" ") - 5
    assert expand_spintax("{a|b} {c|{d|e}}", seed=0) in {"a c", "a d", "a e", "b c", "b d", "b e"}
    seen = {expand_spintax("{x|y|z}", seed=s) for s in range(40)}
    assert seen == {"x", "y", "z"}
    assert expand_spintax(r"literal \{brace\} \| bar") == "literal {brace} | bar"
    for bad in ("{a|b", "a}b", "{a|{b}"):
        with pytest.raises(SpintaxError):
            expand_spintax(bad)


def test_json_shape():
    d = spin(TEXT, rate=0.3, seed=1).to_dict()
    assert d["schema"] == 2 and set(d) >= {"text", "original", "spans"}
    json.dumps(d)
    assert set(d["spans"][0]) == {"start", "end", "orig_start", "orig_end", "original", "spun"}


def test_cross_source_needs_its_debian_package():
    from pathlib import Path

    if not Path("/usr/share/mythes/th_en_US_v2.dat").exists():
        with pytest.raises(FileNotFoundError, match="mythes"):
            spin(TEXT, rate=0.3, seed=1, sources=("mythes",))
    else:
        r = spin(TEXT, rate=0.5, seed=1, sources=("mythes",))
        assert r.spans


class _TinyThesaurus:
    """Just enough of knowledge.thesaurus.Thesaurus for `spin`: one headword and its synonyms."""

    phrase_lengths: dict = {}

    def __init__(self, entries: dict[str, list[str]]):
        self.entries = entries

    def synonyms(self, word: str) -> list[str]:
        return list(self.entries.get(word, []))

    def is_headword(self, term: str) -> bool:
        return term in self.entries


def test_a_phrase_starting_with_an_article_drops_it_after_a_determiner():
    th = _TinyThesaurus({"announcement": ["the scoop"]})
    text = "Prices fell after the announcement. An announcement came later."
    for seed in range(5):
        r = spin(text, rate=1.0, seed=seed, thesaurus=th)
        assert "the the" not in r.text.lower() and "an the" not in r.text.lower() and "after the scoop" in r.text


def test_only_base_forms_of_the_tags_part_of_speech_are_inflected():
    import random

    from unspin.spin import _render

    opts = SpinOptions()
    rng = random.Random(0)
    assert _render("climbed", "taking off", "VBD", opts, rng) == "taking off"  # a noun's base form, not a verb's
    assert _render("climbed", "take off", "VBD", opts, rng) == "took off"


def test_sources_may_be_one_comma_separated_string_and_are_checked():
    assert spin(TEXT, rate=0.5, seed=3, sources="moby").text == spin(TEXT, rate=0.5, seed=3, sources=("moby",)).text
    with pytest.raises(ValueError, match="mobby"):
        spin(TEXT, sources="mobby")


def test_rewriter_style_prefers_common_synonyms_of_the_same_part_of_speech():
    from statistics import median

    from unspin.knowledge import morph

    def swapped_zipf(style):
        return [morph.zipf(s.spun.lower()) for seed in range(6)
                for s in spin(TEXT, rate=0.6, seed=seed, style=style).spans if " " not in s.spun]

    crude, rewriter = swapped_zipf("crude"), swapped_zipf("rewriter")
    assert crude and rewriter
    # article-rewriter sites write everyday synonyms; free swappers the odd entry
    assert median(rewriter) > median(crude) + 0.5
    opts = SpinOptions.for_style("rewriter")
    assert opts.prefer_common and not opts.prefer_rare and not opts.pos_blind
    r = spin(TEXT, rate=0.6, seed=1, style="rewriter")
    for s in r.spans:
        assert TEXT[s.orig_start : s.orig_end] == s.original and r.text[s.start : s.end] == s.spun


def test_rewriter_spintax_offers_only_the_synonyms_it_draws_from():
    import re

    from unspin.spin import REWRITER_CHOICES

    r = spin(TEXT, rate=0.6, seed=1, style="rewriter")
    assert r.spans and all(1 <= len(a) <= REWRITER_CHOICES for a in r.alternatives)
    groups = re.findall(r"\{([^{}]*)\}", to_spintax(r))
    for g, s, alts in zip(groups, r.spans, r.alternatives):
        offered = {a.lower() for a in alts} | {s.original.lower(), s.spun.lower()}
        assert {o.lower() for o in g.split("|")} <= offered
    crude = spin(TEXT, rate=0.6, seed=1, style="crude")
    assert max(len(a) for a in crude.alternatives) > REWRITER_CHOICES  # crude offers the whole pool


def test_rewriter_draws_from_its_few_commonest_synonyms_and_prefer_rare_wins():
    from unspin.spin import REWRITER_CHOICES, _weights

    pool = ["nisus", "endeavour", "effort", "work", "try", "attempt", "conatus"]
    common = _weights(pool, SpinOptions(prefer_rare=False, prefer_common=True))
    assert sum(w > 0 for w in common) == REWRITER_CHOICES
    assert common[pool.index("work")] > 0 and common[pool.index("nisus")] == 0 and common[pool.index("conatus")] == 0
    both = _weights(pool, SpinOptions(prefer_rare=True, prefer_common=True))
    assert both[pool.index("nisus")] > both[pool.index("work")]
    assert _weights(pool, SpinOptions(prefer_rare=False)) == [1.0] * len(pool)


def test_an_inch_mark_does_not_flip_the_quoted_speech_mask():
    # a `"` right after a number is an inch mark: before the fix it opened a "quote" that the real opening
    # quote then closed, so the quoted sentence was spun and the words after it were left alone
    from unspin.spin import _quoted_mask
    from unspin.text import tokenize

    text = 'We fitted a 12" pipe. "Keep the valve shut," the plumber said. The garden looked beautiful.'
    tokens = tokenize(text)
    mask = dict(zip((t.start for t in tokens), _quoted_mask(tokens, text)))
    quote_a, quote_b = text.index('"Keep'), text.index('shut,"') + len('shut,"')
    for t in tokens:
        assert mask[t.start] == (quote_a <= t.start < quote_b), (t.text, t.start)
    # curly quotes and a closing quote right after a number still delimit quoted speech
    text2 = "He said “the garden is 3 feet” and then \"we need 12\". The garden looked beautiful."
    tokens2 = tokenize(text2)
    inside = [t.text for t, q in zip(tokens2, _quoted_mask(tokens2, text2)) if q and t.kind != "punct"]
    assert inside == ["the", "garden", "is", "3", "feet", "we", "need", "12"]
    # a quotation left open ends with its paragraph: news style reopens a quote running on at each paragraph,
    # and a mark never closed (a typo) must not cover the rest of the text
    text3 = ('He said: "The rains came late.\n"We lost the crop," he added.\n'
             'Spending on "other activities rose.\nThe garden looked beautiful.')
    tokens3 = tokenize(text3)
    inside3 = [t.text for t, q in zip(tokens3, _quoted_mask(tokens3, text3)) if q and t.kind != "punct"]
    assert inside3 == ["The", "rains", "came", "late", "We", "lost", "the", "crop", "other", "activities", "rose"]
    # a quotation that ends on a number closes there when no other mark is left to close it
    text4 = 'He said "we opened the factory in 2020" and the workers celebrated.\nA 3" pipe "burst" today.'
    tokens4 = tokenize(text4)
    inside4 = [t.text for t, q in zip(tokens4, _quoted_mask(tokens4, text4)) if q and t.kind != "punct"]
    assert inside4 == ["we", "opened", "the", "factory", "in", "2020", "burst"]
    # and the spinner acts on it: nothing inside the quotation is swapped, words after it can be
    spun_after = False
    for seed in range(4):
        r = spin(text, rate=1.0, seed=seed)
        for s in r.spans:
            assert not (quote_a <= s.orig_start < quote_b), s
            spun_after |= s.orig_start >= quote_b
    assert spun_after


def _inside(text):
    from unspin.spin import _quoted_mask
    from unspin.text import tokenize

    tokens = tokenize(text)
    return [t.text for t, q in zip(tokens, _quoted_mask(tokens, text)) if q and t.kind != "punct"]


def test_curly_single_quotes_delimit_quoted_speech_and_the_apostrophe_does_not():
    # British style: ‘…’ around speech; ’ is also the apostrophe (the Fletchers’ barn, ’80s, shouldn’t)
    assert _inside("The warden told us, ‘the ferry will not sail today’. The Fletchers’ barn burned in the "
                   "’80s and nobody shouldn’t care.") == ["the", "ferry", "will", "not", "sail", "today"]
    # a possessive inside the quotation does not end it while a surer closing mark (after a comma) follows
    assert _inside("‘The Fletchers’ barn is empty,’ she whispered, and the orchard stayed quiet.") == [
        "The", "Fletchers", "barn", "is", "empty"]
    # between two words ’ closes when no surer mark follows before the next ‘
    assert _inside("The keeper said ‘maybe’ and the porter said ‘tomorrow’ before the Fletchers’ dog "
                   "howled.") == ["maybe", "tomorrow"]
    # a ‘ that nothing closes in its paragraph (a mis-curled apostrophe) masks nothing
    assert _inside("Back in the ‘80s the harbour thrived, and the fleet sailed daily.\n‘Tis a grand evening.") == []
    # straight single quotes stay apostrophes, as README says
    assert _inside("The mill's owner wrote 'closed for repairs' on the gate.") == []
    # one kind nests in the other; closing the outer quotation closes the inner one with it
    assert _inside("“The clerk said ‘wait here’ twice,” she recalled, and the queue grew.") == [
        "The", "clerk", "said", "wait", "here", "twice"]
    assert _inside("‘The clerk said “wait here” twice,’ she recalled, and the queue grew.") == [
        "The", "clerk", "said", "wait", "here", "twice"]


def test_inch_marks_and_a_real_quotation_in_one_paragraph():
    # the inch mark before the quotation, and a quotation ending on a figure before an inch mark: the
    # quotation is masked and the narrative after it is not (the second had "and the crews ..." masked)
    assert _inside('The 12" main split. "We will mend it soon," the mayor said, and the crews toiled all '
                   'night.') == ["We", "will", "mend", "it", "soon"]
    assert _inside('The mayor said "we ordered 12" and the crews toiled all night. The 6" valve held.') == [
        "we", "ordered", "12"]
    # the next mark placed to open starts another quotation, so the figure's mark closed this one
    assert _inside('He said "we ordered 12" and later "we ordered 6." The crews left.') == [
        "we", "ordered", "12", "we", "ordered", "6"]
    # an inch mark inside a quotation stays part of it when a later mark closes it
    assert _inside('"We laid the 12" main in 2019" and the street reopened.') == [
        "We", "laid", "the", "12", "main", "in", "2019"]
    # a space missing after a full stop does not turn the quotation inside out
    assert _inside('The 12" main split."We will mend it soon," the mayor said, and the crews toiled.') == [
        "We", "will", "mend", "it", "soon"]


def test_the_spinner_leaves_single_quoted_speech_alone_with_exact_alignment():
    text = ("The harbour master warned, ‘the eastern channel remains dangerous after the storm’. Fishermen "
            "ignored the warning and the Fletchers’ trawler returned with a heavy catch. The 12\" cable snapped. "
            "\"We expected worse damage,\" the engineer admitted, and the council approved urgent repairs.")
    quotes = [(text.index("‘the"), text.index("storm’") + 6),
              (text.index('"We'), text.index('damage,"') + len('damage,"'))]
    spun_after = set()
    for seed in range(6):
        r = spin(text, rate=1.0, seed=seed)
        pos_o = pos_s = 0
        for s in r.spans:
            assert not any(a <= s.orig_start < b for a, b in quotes), s
            spun_after.update(i for i, (a, b) in enumerate(quotes) if s.orig_start >= b)
            assert r.text[s.start : s.end] == s.spun and text[s.orig_start : s.orig_end] == s.original
            assert text[pos_o : s.orig_start] == r.text[pos_s : s.start]
            pos_o, pos_s = s.orig_end, s.end
        assert text[pos_o:] == r.text[pos_s:]
    assert spun_after == {0, 1}  # the words after each quotation are spun


LITERALS = ("Read the guide at https://example.com/central/bank-rates?year=2024 and www.example.org/people/help, "
            "write to the.governor@central-bank.example, run `pip install --upgrade numpy` and call "
            "raise_interest_rate() from rates.py before the meeting.")


@pytest.mark.parametrize("style", ["crude", "rewriter"])
def test_urls_e_mail_addresses_and_code_are_left_alone(style):
    """A spinner that rewrote 'example' inside a URL ('https://name.com/…') or `pip install` inside code broke
    them: they are not prose, and their words are left as they are, like quoted speech."""
    from unspin.text import literal_spans

    spans = literal_spans(LITERALS)
    assert [LITERALS[a:b] for a, b in spans] == [
        "https://example.com/central/bank-rates?year=2024", "www.example.org/people/help",
        "the.governor@central-bank.example", "`pip install --upgrade numpy`", "raise_interest_rate", "rates.py"]
    for seed in range(6):
        r = spin(LITERALS, rate=1.0, seed=seed, style=style)
        assert r.spans, "the prose around them is still spun"
        for s in r.spans:
            assert not any(a < s.orig_end and s.orig_start < b for a, b in spans), (s, r.text)


def test_tool_dictionaries_leave_urls_and_code_alone():
    from unspin.spinners.tool import ToolDictionary, apply_dictionary
    from unspin.text import literal_spans

    tool = ToolDictionary({w: ("visitant",) for w in ("example", "install", "interest", "guide", "meeting", "rate",
                                                         "governor", "people", "help", "rates", "bank")})
    r = apply_dictionary(LITERALS, tool, rate=1.0, seed=1)
    assert {s.original.lower() for s in r.spans} == {"guide", "meeting"}
    assert not any(a < s.orig_end and s.orig_start < b for a, b in literal_spans(LITERALS) for s in r.spans)
