"""Data-driven engine tests: JSON case files of our own sentences (ftfy style).

- cases/spun.json: every listed span is flagged and its first suggestion is the original;
- cases/clean.json: honest prose that must produce no finding;
- cases/known_failures.json: spun cases we do not get right yet; they must still fail (a fix moves them).
"""
import json
from pathlib import Path

import pytest

import unspin
from unspin import engine as engine_mod
from unspin.text import count_words

CASES = Path(__file__).parent / "cases"


def _load(name):
    return json.loads((CASES / name).read_text())["cases"]


def _span_result(case):
    """(report, [(spun, original, first suggestion or None)]): in "default" mode only `finding`-level findings
    count; in "review" mode suspects count too (what `--review` shows)."""
    rep = unspin.check(case["text"], fingerprints=False)
    shown = rep.findings if case.get("mode", "default") == "review" else rep.at_level("finding")
    out = []
    for spun, original in case["spans"]:
        start = case["text"].index(spun)
        end = start + len(spun)
        hit = [f for f in shown if f.start < end and start < f.end]
        out.append((spun, original, hit[0].suggestions[0] if hit else None))
    return rep, out


def _known(kind: str):
    """Known failures as strict xfails: when one starts passing the test fails, so the case is moved."""
    cases = json.loads((CASES / "known_failures.json").read_text()).get(kind, [])
    return [pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=c.get("why", "known failure")))
            for c in cases]


@pytest.mark.parametrize("case", _load("spun.json") + _known("cases"), ids=lambda c: c["text"][:40])
def test_spun_cases(case):
    rep, results = _span_result(case)
    for spun, original, got in results:
        assert got is not None, f"{spun!r} not flagged in {case['text']!r}"
        assert got.lower() == original.lower(), f"{spun!r}: expected {original!r}, got {got!r}"


@pytest.mark.parametrize("case", [{"text": t} for t in _load("clean.json")] + _known("clean_cases"),
                         ids=lambda c: c["text"][:40])
def test_clean_prose_has_no_findings(case):
    rep = unspin.check(case["text"], fingerprints=False)
    found = rep.at_level("finding")
    assert found == [], [(f.text, f.suggestions[:2], round(f.confidence, 2)) for f in found]


def test_report_fields_offsets_and_levels_on_the_bundled_example():
    text = (Path(__file__).parents[1] / "examples" / "spun-news.txt").read_text()
    rep = unspin.check(text, path="x", fingerprints=False)
    assert rep.path == "x" and rep.words == 145 and rep.stage == "full"
    assert rep.findings and rep.spin_score is not None
    for f in rep.findings:
        assert text[f.start : f.end] == f.text and f.level in ("finding", "suspect")
        assert 0.0 <= f.confidence <= 1.0 and f.suggestions and f.evidence and f.source == "model"
        assert (f.level == "finding") == (f.confidence >= engine_mod.knowledge().model.threshold)
    lower = unspin.check(text, path="x", fingerprints=False, threshold=0.2, suspect_threshold=0.1)
    assert len(lower.at_level("finding")) >= len(rep.at_level("finding"))
    original = (Path(__file__).parents[1] / "examples" / "original-news.txt").read_text()
    clean = unspin.check(original, fingerprints=False)
    assert clean.spin_score < rep.spin_score and clean.verdict != "spun" and not clean.at_level("finding")


def test_every_occurrence_of_a_word_found_spun_is_judged(monkeypatch):
    """The gate skips a word the document repeats (its echo looks like a writer's): the story's second "focal" was
    passed over while the first was a finding, and `restore` mended one of the two. Such occurrences are scored
    once a word is a finding, each judged on its own, after the spin score (which they do not change)."""
    text = (Path(__file__).parents[1] / "examples" / "spun-news.txt").read_text()
    rep = unspin.check(text, fingerprints=False)
    focal = [f for f in rep.at_level("finding") if f.text.lower() == "focal"]
    assert len(focal) == 2 and all(f.suggestions[0] == "central" for f in focal)
    assert "focal" not in unspin.restore(text, fingerprints=False).text.lower()
    # without the rescue the same spin score, and only the first "focal"
    monkeypatch.setattr(engine_mod, "_rescue_repeats", lambda text, k, model, keep, prepared, retained, p2, *a: p2)
    plain = unspin.check(text, fingerprints=False)
    assert plain.spin_score == rep.spin_score and plain.verdict == rep.verdict
    assert [f.start for f in plain.findings if f.text.lower() == "focal"] == [focal[0].start]
    assert {(f.start, f.end) for f in plain.findings} < {(f.start, f.end) for f in rep.findings}


def test_the_rescue_walk_meets_the_pieces_the_check_walked():
    from unspin.document import pieces_in_sections, pieces_numbered

    k = engine_mod.knowledge()
    # our own text, long enough for several sections
    text = "\n\n".join(f"Story {i}: the council met and agreed to publish the report next week. " * 25
                       for i in range(50))
    n_sections, walk, _ = pieces_in_sections(text, k)
    everything = list(walk)
    assert n_sections > 3
    wanted = {0, 7, len(everything) - 1}
    for i, base, piece, stats, run in pieces_numbered(text, k, wanted):
        base0, piece0, stats0, run0 = everything[i]
        assert (base, piece, run.start, run.lower) == (base0, piece0, run0.start, run0.lower)
        assert stats.words == stats0.words and (stats.lemma_counts == stats0.lemma_counts).all()
    assert [n for n, *_ in pieces_numbered(text, k, wanted)] == sorted(wanted)


def test_an_imported_lists_word_pair_puts_its_original_first(tmp_path):
    """A list teaches word pairs ("focal city" → "capital city": focal → capital); a span the model flags that the
    pairs cover gets the paired original first, and the evidence says so (a learned tool dictionary restores as
    the tool swapped, whatever the ranker's context fit preferred)."""
    from unspin import fingerprints

    text = (Path(__file__).parents[1] / "examples" / "spun-news.txt").read_text()
    alone = unspin.check(text, fingerprints=False).findings[0]
    assert alone.text == "Focal" and alone.suggestions[0] == "central" and "capital" in alone.suggestions
    listed = tmp_path / "mine.tsv"
    listed.write_text("focal city\tcapital city\n")  # our own entry; the text has no "focal city"
    db = tmp_path / "fp.sqlite"
    fingerprints.import_file(listed, name="mine", db_path=db)
    f = unspin.check(text, fingerprints_db=str(db)).findings[0]
    assert (f.text, f.source, f.start, f.end) == ("Focal", "model", alone.start, alone.end)
    assert f.suggestions[0] == "capital" and "central" in f.suggestions
    assert f.evidence[-1] == "imported lists pair 'focal' with 'capital': 'capital' first"


def test_empty_short_and_non_english_inputs_are_uncertain():
    assert unspin.check("").verdict == "uncertain"
    short = unspin.check("The focal bank.", fingerprints=False)
    assert short.verdict == "uncertain"
    german = ("Die Zentralbank hat den Leitzins zum dritten Mal in diesem Jahr erhöht, weil die Preise "
              "weiterhin schneller steigen als die Löhne und die Regierung keine Einigung erzielt hat. ") * 3
    rep = unspin.check(german, fingerprints=False)
    assert rep.verdict == "uncertain" and rep.findings == [] and rep.notes and rep.spin_score is None
    # nor does the corpus screen's first stage call it clean
    assert engine_mod.check(german, engine_mod.knowledge(), screen=True).verdict == "uncertain"


def test_program_code_is_no_prose_to_judge():
    """Code passes the English-words test (if, for, in, not, return…): it gets no score and no verdict."""
    code = "\n".join([
        "def restore(text, findings):",
        "    # replace each flagged span by its first suggestion",
        "    out = []",
        "    last = 0",
        "    for f in sorted(findings, key=lambda f: f.start):",
        "        if f.start < last:",
        "            continue",
        "        out.append(text[last:f.start])",
        "        out.append(f.suggestions[0] if f.suggestions else f.text)",
        "        last = f.end",
        "    out.append(text[last:])",
        "    return ''.join(out)",
    ] * 6)
    for screen in (False, True):
        rep = engine_mod.check(code, engine_mod.knowledge(), screen=screen)
        assert rep.verdict == "uncertain" and rep.spin_score is None and not rep.findings
        assert any("program code" in n for n in rep.notes)
    # prose with a few indented lines (a quoted poem, a list) stays prose
    from unspin.document import code_like

    prose = "\n".join(["The council met on Monday and agreed to publish the report.",
                       "  It named three members:", "  the chair, the treasurer and the clerk."] * 5)
    assert code_like(prose) is None


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

    from unspin.findings import _with_article

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
    # all-caps text: "AN" is an article too, and the restoration keeps the case ("AN RANDOM FOREST" once)
    from unspin.edits import apply_edits, edits_from_findings
    from unspin.types import Finding

    caps = "AN IRREGULAR WOODLAND WAS TRAINED."
    w = SimpleNamespace(start=3, end=21, text="IRREGULAR WOODLAND")
    start, text, sugg = _with_article(w, ("random forest",), caps, 0)
    assert (start, text, sugg) == (0, "AN IRREGULAR WOODLAND", ("A RANDOM FOREST",))  # as restore writes it
    f = Finding(start, w.end, text, sugg, 0.99, ())
    assert apply_edits(caps, edits_from_findings(caps, [f])) == "A RANDOM FOREST WAS TRAINED."


STORY = (
    "The regional council met on Tuesday evening to discuss the new bus timetable. Several residents said "
    "the early service from the northern villages had been cut without warning, leaving workers and students "
    "stranded at the market square. The transport officer explained that the company running the route had "
    "lost two drivers in the spring and could not fill the shifts. Councillors agreed to ask the company for a "
    "written plan and to report back to residents at the next meeting in June. "
)


def test_a_long_text_of_one_repeated_genuine_story_is_not_called_spun():
    """Echo counts, density and the document model must not mistake repetition for spinning (issue 13)."""
    text = "\n\n".join([STORY] * 60)
    seen = []
    rep = unspin.check(text, fingerprints=False, progress=lambda done, total: seen.append((done, total)))
    assert rep.words == 60 * count_words(STORY)
    assert rep.verdict != "spun" and not rep.at_level("finding")
    assert seen and seen[-1][0] <= len(text) and all(a <= b for (a, _), (b, _) in zip(seen, seen[1:]))
    seen.clear()
    unspin.check(STORY + "\n\n\n", fingerprints=False, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (len(STORY) + 3, len(STORY) + 3)  # a progress bar ends at 100 %, blank lines after or not


def test_short_texts_get_no_score_and_non_english_none_either():
    short = unspin.check("The focal bank raised its premium rate on Tuesday.", fingerprints=False)
    assert short.spin_score is None and short.verdict == "uncertain" and any("too short" in n for n in short.notes)


def test_a_short_text_is_too_short_to_judge_not_called_non_english():
    # two words have no function word to count ("Bank statement."): below MIN_WORDS_FOR_SCORE the text was called
    # no English prose; it is too short to say, and the note says that. A paragraph long enough to judge still
    # gets the not-English note.
    for short in ("The bank.", "Bank statement.", "Quarterly results"):
        rep = unspin.check(short, fingerprints=False)
        assert rep.notes == [f"too short for a spin score ({rep.words} words < 40)"], (short, rep.notes)
        assert rep.verdict == "uncertain" and rep.spin_score is None and not rep.findings
    german = ("Der Gemeinderat hat am Dienstag nach einer langen Debatte den neuen Haushalt beschlossen. Die "
              "Anwohner sagten, der Plan werde die Straßen im Ort verbessern und den Verkehr in der Innenstadt "
              "deutlich verringern. Die Bürgermeisterin erklärte, sie sei mit dem Ergebnis sehr zufrieden. Der "
              "Haushalt sieht zwölf Millionen Euro für die Schulen vor, und der Rat will ihn im nächsten Jahr noch "
              "einmal prüfen, bevor die Arbeiten an den Brücken und Radwegen im Frühling beginnen.")
    rep = unspin.check(german, fingerprints=False)
    assert rep.words >= 60 and rep.verdict == "uncertain" and rep.spin_score is None and not rep.findings
    assert len(rep.notes) == 1 and rep.notes[0].startswith("text does not look like English prose"), rep.notes


def test_sections_cover_the_text_in_order_and_short_texts_are_one_section():
    assert engine_mod.sections("") == []
    short = "\n\n".join([STORY] * 2)
    assert [(a, b) for a, b, _ in engine_mod.sections(short)] == [(0, len(short))]
    long_text = "\n\n".join([STORY] * 40)
    parts = engine_mod.sections(long_text)
    assert len(parts) > 1
    flat = [p for _, _, ps in parts for p in ps]
    assert flat == list(engine_mod.pieces(long_text))  # every piece once, in order
    for start, end, ps in parts:
        assert start == ps[0][0] and end == ps[-1][0] + len(ps[-1][1])
        assert count_words(long_text[start:end]) >= engine_mod.SECTION_WORDS // 2
    assert all(count_words(long_text[a:b]) >= engine_mod.SECTION_WORDS for a, b, _ in parts[:-1])


def test_a_long_document_is_scored_section_by_section_as_training_saw_documents():
    """Span facts that count the document (echoes, register) come from the span's own section: the first pass
    over a long text equals the first passes over its sections, offsets shifted (issue 12/13: a whole 2,000-word
    speech got 15x the false findings of its two halves)."""
    here = Path(__file__).resolve().parents[1] / "examples"
    paras = [p for name in ("original-news.txt", "spun-news.txt")
             for p in (here / name).read_text(encoding="utf-8").split("\n\n") if p.strip()]
    text = "\n\n".join(paras * 4 + [STORY] * 6)
    parts = engine_mod.sections(text)
    assert len(parts) >= 2
    k = engine_mod.knowledge()
    # (every span scored: with the gate, the other occurrences of a word found spun are scored after the second
    # pass, engine._rescue_repeats, and a word found in one section has occurrences in the others)
    whole = engine_mod.score_document(text, k, gate=False)
    starts, p1 = [], []
    for a, b, _ in parts:
        part = engine_mod.score_document(text[a:b], k, gate=False)
        starts.append(part.retained.start + a)
        p1.append(part.retained.p1)
    import numpy as np

    assert np.array_equal(whole.retained.start, np.concatenate(starts))
    assert np.allclose(whole.retained.p1, np.concatenate(p1))
    # the whole document's register (the spin score's) is summed section by section as the walk goes, exactly
    # as one pass over the whole text sums it, without holding a whole-document count of every word
    from unspin import document

    assert whole.register == document.doc_stats(text, k).register
    n_sections, walk, total = document.pieces_in_sections(text, k)
    assert n_sections == len(parts) and total.words == 0
    assert [base for base, _, _, _ in walk] == [base for _, _, ps in parts for base, _ in ps]
    assert total.register() == whole.register and total.words == document.doc_stats(text, k).words
    # a spilled document (decide.Retained's temporary file) reports the same as one held in memory
    from unspin import decide

    held = unspin.check(text, fingerprints=False)
    spill, decide.SPILL_BYTES = decide.SPILL_BYTES, 1_000
    try:
        assert unspin.check(text, fingerprints=False).to_dict() == held.to_dict()
    finally:
        decide.SPILL_BYTES = spill
    # the evidence says where echoes were counted
    rep = unspin.check(text, fingerprints=False)
    evidence = [e for f in rep.findings for e in f.evidence if "elsewhere" in e]
    assert evidence and all("elsewhere in this section of the document" in e for e in evidence)


def test_the_pre_rankers_cut_keeps_the_rows_the_full_stage_one_keeps():
    """Stage 1 with the pre-ranker (its context-free part memoised with each candidate table, other columns made
    for the kept rows only) keeps the rows, and gives the columns, that scoring every row in full gives (issue
    13: the same numbers, less work). Also: echo lookups behind presence masks count what a plain lookup does."""
    import numpy as np

    from unspin import document, extract

    here = Path(__file__).resolve().parents[1] / "examples"
    text = (here / "spun-news.txt").read_text(encoding="utf-8") + "\n\n" + STORY
    k = engine_mod.knowledge()
    pre, pool_k = k.model.preranker, k.model.pool_k
    stats = document.doc_stats(text, k)
    checked = 0
    for base, piece in document.pieces(text):
        spans = extract.piece_spans(piece, base, k, stats)
        idx = np.arange(len(spans))
        full = extract.candidate_rows(spans, idx, k, stats)
        cut = extract.candidate_rows(spans, idx, k, stats, pre, pool_k)
        if full is None:
            assert cut is None
            continue
        f_idx, f_span, f_cand, f_cols, f_size = full
        score = pre.decision(extract.pre_matrix(f_cols))
        rows = extract.top_per_group(score, f_span, pool_k)
        c_idx, c_span, c_cand, c_cols, c_size = cut
        assert np.array_equal(f_idx, c_idx) and np.array_equal(f_size, c_size)
        assert np.array_equal(f_span[rows], c_span) and np.array_equal(f_cand[rows], c_cand)
        assert f_cols.keys() == c_cols.keys()
        for name in f_cols:
            assert np.array_equal(f_cols[name][rows], c_cols[name]), name
        # the two scores differ by float rounding at most
        assert np.allclose(score[rows], pre.decision(extract.pre_matrix(c_cols)), rtol=0, atol=1e-9)
        assert (f_size > pool_k).any() or len(rows) == len(f_cand)
        checked += int((f_size > pool_k).sum())
        lem = f_cols["lemma"].astype(np.int64)
        assert np.array_equal(stats.lemma_count(lem),
                              document._lookup(stats.lemma_keys, stats.lemma_counts, lem))
    assert checked > 10  # spans whose candidates were really cut
    W = len(k.lex.word_strs)
    firsts, seconds = stats.bigram_words(W)
    assert len(stats.bigram_keys) and set(np.flatnonzero(firsts)) == set((stats.bigram_keys // W).tolist())
    assert set(np.flatnonzero(seconds)) == set((stats.bigram_keys % W).tolist())


def test_invisible_characters_inside_words_do_not_hide_them():
    """A soft hyphen or zero-width space inside a word (a trick to slip spun words past a checker) changes
    nothing but the offsets: the same words are flagged, with the same suggestions."""
    text = (Path(__file__).parents[1] / "examples" / "spun-news.txt").read_text(encoding="utf-8")
    plain = unspin.check(text, fingerprints=False)
    hidden_text = text
    for f in plain.findings:
        w = f.text
        hidden_text = hidden_text.replace(w, w[:2] + "\u00ad" + w[2:] if len(w) > 3 else w)
    hidden = unspin.check(hidden_text, fingerprints=False)
    assert [(f.text.replace("\u00ad", ""), f.suggestions, f.level) for f in hidden.findings] == \
        [(f.text, f.suggestions, f.level) for f in plain.findings]
    assert hidden.verdict == plain.verdict


def test_screen_mode_reuses_the_first_stages_spans_and_reports_what_check_reports(monkeypatch):
    """A document the corpus screen's first stage does not clear gets the full check from the pieces and spans the
    first stage made (not made twice), and the same report as `check` itself; a long text's are made again
    (bounded memory), with the same report too."""
    k = engine_mod.knowledge()
    text = (Path(__file__).parent.parent / "examples" / "spun-news.txt").read_text()
    made = []
    real = engine_mod.piece_spans
    monkeypatch.setattr(engine_mod, "piece_spans", lambda *a, **kw: made.append(1) or real(*a, **kw))
    plain = engine_mod.check(text, k)
    n_pieces = len(made)
    assert n_pieces > 1
    made.clear()
    screened = engine_mod.check(text, k, screen=True)
    assert screened.stage == "full" and not made  # the full check made no spans of its own
    assert json.dumps(screened.to_dict(), sort_keys=True) == json.dumps(plain.to_dict(), sort_keys=True)
    monkeypatch.setattr(engine_mod, "REUSE_WORDS", 50)  # "long": nothing kept, the walk is made again
    made.clear()
    again = engine_mod.check(text, k, screen=True)
    assert len(made) == n_pieces
    assert json.dumps(again.to_dict(), sort_keys=True) == json.dumps(plain.to_dict(), sort_keys=True)


def test_a_text_pasted_twice_is_judged_as_one_copy():
    """A sentence repeated word for word is one piece of evidence: echo counts read it once, so a spun story
    pasted twice (or a paragraph repeated as a summary) keeps every finding of one copy, in both copies, instead
    of its spun words looking echoed and the whole text passing as clean."""
    text = (Path(__file__).parent.parent / "examples" / "spun-news.txt").read_text()
    one = unspin.check(text, fingerprints=False)
    sep = "\n\n"
    two = unspin.check(text + sep + text, fingerprints=False)
    shift = len(text) + len(sep)
    spans_one = [(f.start, f.end, f.suggestions[:1]) for f in one.at_level("finding")]
    assert spans_one and one.verdict == "spun"
    assert [(f.start, f.end, f.suggestions[:1]) for f in two.at_level("finding")] == spans_one + [
        (a + shift, b + shift, s) for a, b, s in spans_one]
    # every suspect too, in both copies (a borderline span may be shown in one copy more: each copy's second pass
    # also weighs the ~300 words around it, and the first copy's end sits next to the second's start)
    shown = {(f.start, f.end) for f in two.findings}
    assert all((f.start, f.end) in shown and (f.start + shift, f.end + shift) in shown for f in one.findings)
    assert two.verdict == "spun"
    # a repeated paragraph on top ("Summary:") takes nothing away from the findings below it
    paragraphs = text.split("\n\n")
    summary = unspin.check("Summary: " + paragraphs[1] + "\n\n" + text, fingerprints=False)
    assert len(summary.at_level("finding")) >= len(one.at_level("finding"))


def test_the_implausible_density_note_only_where_a_verdict_is_withheld(monkeypatch):
    """Two suspects in a four-word sentence are no sign that a text is not prose: a text too short for a score
    gets no "implausibly many" note; a scored text over the density (findings and suspects per 1,000 words) gets
    it, says what it counted, and no spin score."""
    short = unspin.check("The focal bank rose.", fingerprints=False)
    assert short.spin_score is None and not any("implausibly" in n for n in short.notes)
    text = (Path(__file__).parent.parent / "examples" / "spun-news.txt").read_text()
    monkeypatch.setattr(engine_mod, "MAX_DENSITY", 0.0)
    k = engine_mod.knowledge()
    rep = engine_mod.check(text, k)
    note = [n for n in rep.notes if "implausibly" in n]
    assert rep.spin_score is None and rep.verdict == "uncertain"
    assert note and f"{len(rep.findings)} findings and suspects in {rep.words} words" in note[0]


# Edits a user makes that change nothing the text says: a signature word, a closing line, a title, two spaces
# after full stops. (benchmarks/stability_bench.py measures them on real documents.)
_NEUTRAL_EDITS = (lambda t: t.rstrip() + " x", lambda t: t.rstrip() + "\n\nThanks.", lambda t: "Notes\n\n" + t,
                  lambda t: t.replace(". ", ".  "))


@pytest.mark.parametrize("name", ["spun-news.txt", "original-news.txt"])
def test_edits_that_change_nothing_said_keep_the_judgement(name):
    """A stray word appended to a text moved its spin score 0.98 → 0.55 and changed its findings: a hard count
    of spans at each level of certainty, a mean sentence length that a one-word line halves, and a window of
    characters that two spaces shift."""
    text = (Path(__file__).parent.parent / "examples" / name).read_text()
    base = unspin.check(text, fingerprints=False)
    words = sorted(f.text.lower() for f in base.at_level("finding"))
    for edit in _NEUTRAL_EDITS:
        r = unspin.check(edit(text), fingerprints=False)
        assert r.verdict == base.verdict
        assert abs(r.spin_score - base.spin_score) < 0.05
        assert sorted(f.text.lower() for f in r.at_level("finding")) == words


def test_register_sentence_length_ignores_a_one_word_line():
    from unspin.document import doc_stats

    k = engine_mod.knowledge()
    text = "The bank raised its rate on Monday. Prices have risen for a year, the governor said in a speech."
    a, b = doc_stats(text, k).register, doc_stats(text + "\nx", k).register
    assert a.sentence_len == b.sentence_len  # a plain mean over sentences moved 33 %


def test_wrapped_lines_find_what_the_unwrapped_text_finds():
    """Prose hard-wrapped at 72 columns (e-mail, plain-text files) is judged as the same prose on long lines."""
    import textwrap

    text = (Path(__file__).parent.parent / "examples" / "spun-news.txt").read_text()
    wrapped = "\n\n".join(textwrap.fill(p, 72) for p in text.split("\n\n"))
    a, b = unspin.check(text, fingerprints=False), unspin.check(wrapped, fingerprints=False)
    assert sorted(f.text.lower() for f in b.at_level("finding")) == sorted(f.text.lower() for f in a.at_level("finding"))
    assert b.verdict == a.verdict == "spun"


def test_text_without_sentence_punctuation_is_not_read_as_certain_spinning(monkeypatch):
    """A transcript or prose stripped of its punctuation is one "sentence" of thousands of words; the document
    model, linear in the mean sentence length, read it as certain spinning (an honest text: spin score 1.00).
    The length is capped just above the longest of any training document, which no training document reaches."""
    import math
    import re
    from pathlib import Path

    import unspin
    from unspin import document

    story = (Path(__file__).parents[1] / "examples" / "original-news.txt").read_text(encoding="utf-8")
    words = " ".join(re.sub(r"[^A-Za-z\s]", " ", story).split())
    text = " ".join([words] * 8)
    report = unspin.check(text, fingerprints=False)
    assert report.spin_score is not None and report.spin_score < 0.5 and report.verdict != "spun"
    assert document.doc_stats(text, unspin.engine.knowledge()).register.sentence_len == document.SENTENCE_LEN_CAP
    monkeypatch.setattr(document, "SENTENCE_LEN_CAP", math.inf)  # the uncapped feature, as before
    assert unspin.check(text, fingerprints=False).spin_score > 0.9
