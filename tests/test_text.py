from unspin.text import (article_for, count_words, line_col, lookup_words, match_case, paragraphs, restore_case,
                         sentences, tokenize, word_run)


def test_tokens_have_code_point_offsets():
    text = "Café 😀 owners said: prices rose 3.5% in Zürich."
    toks = tokenize(text)
    for t in toks:
        assert text[t.start : t.end] == t.text
    words = [t.text for t in toks if t.kind == "word"]
    assert words == ["Café", "owners", "said", "prices", "rose", "in", "Zürich"]
    assert [t.text for t in toks if t.kind == "num"] == ["3.5%"]


def test_inner_apostrophes_and_hyphens_stay_in_the_word():
    words = [t.text for t in tokenize("It's a well-known state-of-the-art idea, isn’t it?") if t.kind == "word"]
    assert words == ["It's", "a", "well-known", "state-of-the-art", "idea", "isn’t", "it"]


def test_sentences_split_at_end_punctuation_and_line_breaks():
    text = "Headline without stop\nFirst sentence. Second one? Third"
    sents = sentences(tokenize(text), text)
    assert [" ".join(t.text for t in s if t.kind == "word") for s in sents] == [
        "Headline without stop", "First sentence", "Second one", "Third"]


def test_a_line_wrapped_inside_a_sentence_does_not_end_it():
    """Hard-wrapped prose (e-mail, plain-text files, PDF text) breaks lines mid-sentence: cutting the sentence
    there cut the language model's context ("the Secretary of | Express"), and findings at line edges were
    missed. Headlines and list items still end at their line break."""
    def split(text):
        by_tokens = [" ".join(t.text for t in s if t.kind == "word") for s in sentences(tokenize(text), text)]
        run = word_run(text)
        by_run = [" ".join(w for w, k in zip(run.text, run.sent) if k == n) for n in sorted(set(run.sent))]
        assert by_run == [s for s in by_tokens if s]  # one rule in both
        return by_tokens

    wrapped = ("Officials said on Monday that the talks with the unions had gone on\nfor most of the night, and "
               "the Secretary of\nExpress said the focal\nbank would act.")
    assert len(split(wrapped)) == 1  # a long line, a line ending in "of", a line going on in lower case
    assert len(split(wrapped.replace("\n", "\r\n"))) == 1
    assert split("Prices,\nWages and rents rose.") == ["Prices Wages and rents rose"]
    assert split("Bank Raises Rates\nThe bank raised its rate.") == ["Bank Raises Rates", "The bank raised its rate"]
    assert split("Items\n- apples\n- pears") == ["Items", "apples", "pears"]
    subtitle = "Salt water mists ease the disease in children and young adults alone"  # 69 characters, no stop
    body = ("Inhaling the mists of salt water can reduce the infection that fills the airways of sufferers, "
            "although side effects include a coughing fit.")
    assert len(split(subtitle + "\n" + body)) == 2  # a long line above a longer one is no wrapped line
    assert split("A first paragraph that runs on without any stop at all at its\n\nEnd") == [
        "A first paragraph that runs on without any stop at all at its", "End"]  # a blank line always ends one


def test_paragraphs_keep_offsets():
    text = "One para.\n\n  \nTwo para\nstill two.\n\nThree."
    paras = paragraphs(text)
    assert [p for _, p in paras] == ["One para.", "Two para\nstill two.", "Three."]
    for off, p in paras:
        assert text[off : off + len(p)] == p


def test_helpers():
    assert count_words("Two words, 3 numbers!") == 3
    assert line_col("ab\ncd", 4) == (2, 2)
    assert match_case("Focal", "central") == "Central"
    assert match_case("UN", "un") == "UN"
    assert match_case("focal", "central") == "central"


def test_restore_case_title_cases_a_title_cased_phrase():
    assert restore_case("Profound Learning", "deep learning") == "Deep Learning"
    assert restore_case("Premium Rate", "rate of interest") == "Rate of Interest"
    assert restore_case("Focal bank", "central bank") == "Central bank"  # a sentence start, not a title
    assert restore_case("PROFOUND LEARNING", "deep learning") == "DEEP LEARNING"
    assert restore_case("Focal", "central") == "Central" and restore_case("focal", "central") == "central"
    assert restore_case("Irregular Woodland", "random forest") == "Random Forest"
    assert article_for("inquiry") == "an" and article_for("probe") == "a" and article_for("university") == "a"


def test_cr_alone_ends_lines_and_paragraphs_like_lf():
    """Old Mac files end lines with CR alone: they were one line and one paragraph (a finding at 1:741 instead
    of 9:34). CRLF is unchanged: its paragraphs still end before the LF."""
    from unspin.text import line_col, paragraphs

    for sep in ("\n", "\r\n", "\r"):
        t = f"a{sep}b{sep}the focal bank"
        assert line_col(t, t.index("focal")) == (3, 5)
    assert paragraphs("One.\r\rTwo.\r \rThree") == [(0, "One."), (6, "Two."), (13, "Three")]
    assert paragraphs("One.\r\n\r\nTwo.") == [(0, "One.\r"), (8, "Two.")]
    assert paragraphs("One\r\ntwo\r\n") == [(0, "One\r\ntwo\r\n")]


def test_a_cr_only_text_gets_the_findings_of_its_lf_twin():
    from pathlib import Path

    import unspin

    lf = (Path(__file__).resolve().parents[1] / "examples" / "spun-news.txt").read_text(encoding="utf-8")
    cr = lf.replace("\n", "\r")
    a, b = unspin.check(lf, fingerprints=False), unspin.check(cr, fingerprints=False)
    assert [(f.start, f.end, f.suggestions, f.level) for f in a.findings] == \
        [(f.start, f.end, f.suggestions, f.level) for f in b.findings]
    assert a.findings and a.verdict == b.verdict


def test_combining_marks_and_invisible_characters_stay_inside_words():
    import unicodedata

    nfd = unicodedata.normalize("NFD", "the café opened")
    toks = [t for t in tokenize(nfd) if t.kind == "word"]
    assert [t.text for t in toks] == ["the", "cafe\u0301", "opened"] and toks[1].lower == "café"
    hidden = "the fo\u00adcal bank and the cen\u200btral one\u200b"
    words = [t for t in tokenize(hidden) if t.kind == "word"]
    assert [t.lower for t in words] == ["the", "focal", "bank", "and", "the", "central", "one"]
    assert words[-1].text == "one"  # an invisible character after the last letter is not part of the word
    run = word_run(hidden)
    assert run.lower[1] == "focal" and hidden[run.start[1]:run.end[1]] == "fo\u00adcal"
    assert count_words(nfd) == 3


def test_lookup_words_and_count_words_read_the_word_runs_words():
    """english_share's quick look at a text's vocabulary reads the same words, in the same lookup forms, as
    the engine's tokens: apostrophes, hyphens, soft hyphens, decomposed accents, numbers and punctuation."""
    import random

    rng = random.Random(1)
    alphabet = list("abc DEF’'-\u00ad\u0301é.\n,;:!?0123 xyz–—\"()")
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80))) for _ in range(2000)]
    texts += ["The fo\u00adcal bank’s rate rose 3.5% in well-known Cafe\u0301s.", ""]
    for t in texts:
        for limit in (1, 3, 1000):
            assert lookup_words(t, limit) == word_run(t).lower[:limit], (t, limit)
        assert count_words(t) == len(word_run(t).text) == sum(tok.kind == "word" for tok in tokenize(t))
    assert lookup_words("The fo\u00adcal bank’s rate", 10) == ["the", "focal", "bank's", "rate"]


def test_literal_spans_take_linear_time_on_pathological_text():
    """A first regex for code, URLs and e-mail addresses re-scanned a 400,000-character "a-a-a-…" chain from every
    word boundary (quadratic: `check` ran for minutes); the chunk-by-chunk search is linear."""
    import time

    from unspin.text import literal_spans

    for text in ("a-a-" * 100_000, "a.b." * 100_000, "ab@" * 100_000, "x_" * 100_000, "`a " * 100_000,
                 "``` " * 100_000, ("a-b " * 500 + "\n") * 200, "http://" * 50_000):
        t = time.monotonic()
        literal_spans(text)
        assert time.monotonic() - t < 2.0, text[:20]
    assert literal_spans("mail me at a.b@c-d.org, see https://x.org/a_b.") == [(11, 22), (28, 45)]
