"""Source tracing (unspin.trace): features, alignment, the SQLite/LSH store, ranking and restorations.

Corpus: 200 synthetic documents from our own templates (tests/fixtures/trace/corpus.py), spun by
unspin.spin at several rates and styles, plus hand-made substitutions for the alignment unit tests.
"""
from __future__ import annotations

import importlib.util
import sqlite3
from pathlib import Path

import pytest

from unspin.readers import Document
from unspin.edits import apply_edits, edits_from_findings

FIXTURES = Path(__file__).parent / "fixtures" / "trace"


def _corpus_module():
    spec = importlib.util.spec_from_file_location("trace_corpus", FIXTURES / "corpus.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


tc = _corpus_module()


@pytest.fixture(scope="module", autouse=True)
def _cache_dir(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("UNSPIN_CACHE_DIR", str(tmp_path_factory.mktemp("unspin-cache")))
        yield


@pytest.fixture(scope="module")
def th(_cache_dir):
    from unspin.knowledge import thesaurus

    return thesaurus.load(("moby",), progress=False)


@pytest.fixture(scope="module")
def corpus():
    return tc.make_corpus(200)


@pytest.fixture(scope="module")
def index(tmp_path_factory, corpus, th):
    from unspin.trace import TraceIndex

    d = tmp_path_factory.mktemp("trace-index")
    ix = TraceIndex(d, create=True)
    stats = ix.add(Document(id=i, source="synthetic", text=t) for i, t in corpus)
    assert stats.added == 200 and not stats.errors
    yield ix
    ix.close()


def _docs(pairs):
    return [Document(id=i, source="test", text=t) for i, t in pairs]


# ---- features -------------------------------------------------------------------------------------------


def test_segment_merges_short_and_cuts_long_paragraphs():
    from unspin.trace.features import MAX_PARAGRAPH_WORDS, segment

    long_para = " ".join(f"Sentence number {i} talks about the river near Oslovar." for i in range(60))
    text = "Short headline\n\n" + "Word " * 30 + "\n\n" + long_para + "\n\nTail."
    segs = segment(text)
    assert segs[0].start == 0  # the headline joined the next paragraph
    assert "Short headline" in text[segs[0].start : segs[0].end] and "Word" in text[segs[0].start : segs[0].end]
    assert len(segs) >= 3  # the long paragraph was cut
    for a, b in zip(segs, segs[1:]):
        assert a.end <= b.start
    for s in segs[1:]:
        assert len(text[s.start : s.end].split()) <= MAX_PARAGRAPH_WORDS * 1.6
    assert text[segs[-1].start : segs[-1].end].endswith("Tail.")  # short tail joins the last piece
    assert segment("  \n\n ") == []


def test_word_kinds(th):
    from unspin.trace.features import Featurizer

    f = Featurizer(th)
    assert f.kind("the") == "f" and f.kind("of") == "f"
    assert f.kind("big") == "m" and f.kind("quickly") == "m"
    assert f.kind("houses") == "m"  # an inflected form of a headword is mutable too
    assert f.kind("2019") == "i" and f.kind("oslovar") == "i"
    assert f.skeleton("The big dog of Oslovar ran 12 miles.") == ["the", "of", "oslovar", "12"]


def test_skeleton_shingles_survive_hand_made_substitutions(th):
    from unspin.trace.features import Featurizer

    f = Featurizer(th)
    src = ("Mayor Ilsa Varnok said the council of Pelotra would repair the old bridge before March 2021, "
           "and that 4,500 residents had signed the petition.")
    spun = ("Mayor Ilsa Varnok stated the assembly of Pelotra would mend the ancient span before March 2021, "
            "and that 4,500 inhabitants had autographed the request.")
    other = ("A recipe for bread needs flour, water and salt, and the dough should rest for an hour or two "
             "before it goes into a hot oven.")
    a, b, c = f.shingles(src), f.shingles(spun), f.shingles(other)
    assert len(a & b) / len(a | b) > 0.8
    assert len(a & c) / len(a | c) < 0.1
    sa, sb = f.signature(a), f.signature(b)
    assert sa.dtype.name == "uint32" and len(sa) == f.num_perm
    assert (sa == sb).mean() > 0.6
    assert f.signature(set()) is None


# ---- alignment ------------------------------------------------------------------------------------------


def test_alignment_marks_each_hand_made_substitution(th):
    from unspin.trace.align import Linker, align

    src = "The big dog ran quickly to the old house near the river."
    spun = "The large dog ran rapidly to the ancient house near the river."
    al = align(spun, src, Linker(th))
    subs = [(" ".join(t.text for t in al.a[o.i1 : o.i2]), " ".join(t.text for t in al.b[o.j1 : o.j2]), o.kind)
            for o in al.substitutions()]
    assert subs == [("large", "big", "linked"), ("rapidly", "quickly", "linked"), ("ancient", "old", "linked")]
    assert al.score == 1.0


def test_alignment_pairs_phrases_and_one_sided_changes(th):
    from unspin.trace.align import Linker, align

    lk = Linker(th)
    al = align("and 92 homes went down lords of creation for 7 hours.", "and 92 homes lost power for 7 hours.", lk)
    kinds = [(o.kind, o.i2 - o.i1, o.j2 - o.j1) for o in al.ops]
    assert ("linked", 3, 1) in kinds  # "lords of creation" ↔ "power"
    unrelated = align("A recipe for bread needs flour, water and salt.", "The council voted to repair the bridge.", lk)
    assert unrelated.score < 0.4


# ---- store ----------------------------------------------------------------------------------------------


def test_index_add_replace_remove_and_info(tmp_path, th):
    from unspin.trace import TraceIndex, TraceIndexError

    with pytest.raises(TraceIndexError, match="not a trace index"):
        TraceIndex(tmp_path / "missing")
    d = tmp_path / "ix"
    ix = TraceIndex(d, create=True)
    texts = tc.make_corpus(5)
    st = ix.add(_docs(texts) + [Document(id="bad", source="bad.txt", error="bad.txt: not UTF-8")])
    assert (st.added, st.unchanged, len(st.errors)) == (5, 0, 1)
    assert st.errors[0]["error"] == "bad.txt: not UTF-8"
    info = ix.info()
    assert info["documents"] == 5 and info["paragraphs"] >= 10 and info["bytes"] > 0
    assert ix.add(_docs(texts[:2])).unchanged == 2  # same text: skipped
    st = ix.add(_docs([(texts[0][0], tc.make_document(500))]))
    assert st.replaced == 1 and ix.info()["documents"] == 5
    assert ix.document(texts[0][0])[2] == tc.make_document(500)
    assert ix.remove(texts[1][0]) is True and ix.remove("nope") is False
    assert ix.info()["documents"] == 4
    # removing cascades to paragraphs and signatures
    n_sig = ix.db.execute("SELECT COUNT(*) FROM signatures").fetchone()[0]
    assert n_sig == ix.info()["paragraphs"]
    assert ix.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    ix.close()
    # settings are fixed at creation
    with pytest.raises(TraceIndexError, match="cannot switch"):
        TraceIndex(d, features=["restored"])


def test_query_while_another_connection_is_adding(tmp_path, th, corpus):
    from unspin.spin import spin
    from unspin.trace import TraceIndex, trace

    d = tmp_path / "ix"
    writer = TraceIndex(d, create=True)
    writer.add(_docs(corpus[:20]))
    reader = TraceIndex(d)
    spun = spin(corpus[30][1], rate=0.3, seed=1).text
    assert trace(spun, reader).best is None  # doc-030 not indexed yet
    # an open write transaction does not block the reader (WAL), and its rows are invisible until commit
    writer.db.execute("BEGIN IMMEDIATE")
    writer.db.execute("INSERT INTO documents (id, source, text, sha1, words, added) VALUES ('x', 's', 't', 'h', 1, 0)")
    assert reader.info()["documents"] == 20
    writer.db.execute("ROLLBACK")
    writer.add(_docs(corpus[20:40]))
    result = trace(spun, reader)  # the reader notices the new generation and reloads its LSH tables
    assert result.best is not None and result.best.id == corpus[30][0]
    writer.remove(corpus[30][0])
    assert trace(spun, reader).best is None
    writer.close()
    reader.close()


def test_not_an_index_file(tmp_path):
    from unspin.trace import TraceIndex, TraceIndexError

    d = tmp_path / "ix"
    d.mkdir()
    (d / "trace.sqlite").write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(TraceIndexError, match="trace.sqlite"):
        TraceIndex(d)


# ---- tracing the spun corpus ----------------------------------------------------------------------------


@pytest.mark.parametrize("style,rate", [("crude", 0.1), ("crude", 0.3), ("crude", 0.5), ("careful", 0.3)])
def test_spun_documents_trace_to_their_source_and_restore_exactly(index, corpus, style, rate):
    from unspin.spin import spin
    from unspin.trace import trace

    exact = 0
    picks = list(range(7, 200, 40))
    for i in picks:
        doc_id, original = corpus[i]
        spun = spin(original, rate=rate, seed=i, style=style)
        assert spun.text != original
        result = trace(spun.text, index)
        assert result.best is not None, f"{doc_id} ({style} {rate}) not found"
        assert result.best.id == doc_id
        assert result.best.coverage > 0.9
        # every paragraph of the spun document is matched to the same-numbered source paragraph
        assert [m.query_paragraph for m in result.best.matches] == [m.source_paragraph for m in result.best.matches]
        fs = result.restorations
        assert fs and all(f.source == "trace" and f.detail == doc_id and f.confidence >= 0.9 for f in fs)
        assert all(f.evidence[0].startswith(f"aligned with {doc_id} paragraph ") for f in fs)
        assert all(spun.text[f.start : f.end] == f.text for f in fs)
        restored = apply_edits(spun.text, edits_from_findings(spun.text, fs))
        exact += restored == original
        # each spinner swap is touched by a restoration ("Police" → "Police up" only needs "up" undone)
        for sp in spun.spans:
            assert any(f.start < sp.end and sp.start < f.end for f in fs), (sp, doc_id)
    assert exact >= len(picks) - 1


@pytest.mark.xfail(strict=True, reason="known failure: with a spinner that reuses its choice for a repeated word "
                   "(a dictionary tool), the gap alignment sometimes pairs a swap with source words from another "
                   "sentence and the restoration inserts them; tracing still finds the right source")
def test_consistent_spinner_documents_restore_exactly(index, corpus):
    from unspin.spin import SpinOptions, spin
    from unspin.trace import trace

    exact = 0
    picks = list(range(7, 200, 40))
    for i in picks:
        doc_id, original = corpus[i]
        spun = spin(original, seed=i, options=SpinOptions.for_style("crude", rate=0.3, consistent=True))
        result = trace(spun.text, index)
        assert result.best is not None and result.best.id == doc_id
        restored = apply_edits(spun.text, edits_from_findings(spun.text, result.restorations))
        exact += restored == original
    assert exact >= len(picks) - 1


def test_document_from_two_sources_finds_both(index, corpus):
    from unspin.spin import spin
    from unspin.trace import trace

    a = corpus[11][1].split("\n\n")
    b = corpus[150][1].split("\n\n")
    mixed = spin(a[0] + "\n\n" + b[1] + "\n\n" + a[1] + "\n", rate=0.3, seed=4).text
    result = trace(mixed, index)
    ids = [s.id for s in result.sources]
    assert set(ids[:2]) == {corpus[11][0], corpus[150][0]}
    by_id = {s.id: s for s in result.sources}
    assert [m.query_paragraph for m in by_id[corpus[150][0]].matches] == [2]
    assert [m.source_paragraph for m in by_id[corpus[150][0]].matches] == [2]
    assert sorted(m.query_paragraph for m in by_id[corpus[11][0]].matches) == [1, 3]
    assert 0.99 < sum(s.coverage for s in result.sources[:2]) <= 1.0 + 1e-9


def test_document_from_two_sources_is_restored_paragraph_by_paragraph_from_each(index, corpus):
    """Issue 14: each paragraph is restored from the source it was taken from, not all from the best one."""
    from unspin.spin import spin
    from unspin.trace import restorations, trace

    a, b = corpus[11], corpus[150]
    pa, pb = a[1].split("\n\n"), b[1].split("\n\n")
    original = pa[0] + "\n\n" + pb[1] + "\n\n" + pa[1] + "\n"
    spun = spin(original, rate=0.3, seed=4)
    result = trace(spun.text, index)
    owners = [(m.query_paragraph, src.id) for src, m in result.owners()]
    assert owners == [(1, a[0]), (2, b[0]), (3, a[0])]
    fs = result.restorations
    pieces = {m.query_paragraph: (m.query_start, m.query_end) for _, m in result.owners()}
    for f in fs:
        para = next(n for n, (s, e) in pieces.items() if s <= f.start and f.end <= e)
        assert f.detail == (b[0] if para == 2 else a[0]), (f, para)
        assert f.evidence[0].startswith(f"aligned with {f.detail} paragraph ")
    assert {f.detail for f in fs} == {a[0], b[0]}
    restored = apply_edits(spun.text, edits_from_findings(spun.text, fs))
    assert restored == original
    # every spinner swap, in both sources' paragraphs, is touched by a restoration
    for sp in spun.spans:
        assert any(f.start < sp.end and sp.start < f.end for f in fs), sp
    # the FindingSource used by `check --index` restores the same way
    assert restorations(spun.text, index.dir) == fs
    d = result.to_dict()
    assert [(x["query_paragraph"], x["source"]) for x in d["restored_from"]] == owners


def test_unrelated_documents_find_nothing(index):
    from unspin.trace import trace

    assert trace(tc.UNRELATED, index).sources == []
    assert trace(tc.UNRELATED, index).restorations == []
    # same templates, other people and places: still no source above threshold
    fresh = tc.make_document(10_000)
    result = trace(fresh, index, threshold=0.5)
    assert result.sources == []
    assert trace("", index).sources == []


def test_restorations_api_and_json(index, corpus, tmp_path):
    import json

    from unspin.spin import spin
    from unspin.trace import restorations, trace
    from unspin.trace.render import to_html, to_json, to_text

    spun = spin(corpus[42][1], rate=0.3, seed=2).text
    fs = restorations(spun, index.dir)
    assert fs and {f.detail for f in fs} == {corpus[42][0]}
    assert restorations(tc.UNRELATED, index.dir) == []
    result = trace(spun, index)
    d = json.loads(to_json(result))
    assert d["schema"] == 2 and d["sources"][0]["id"] == corpus[42][0]
    segs = [s for p in d["alignment"]["paragraphs"] for s in p["segments"]]
    assert {s["op"] for s in segs} >= {"equal", "linked"}
    subs = [s for s in segs if s["op"] != "equal"]
    assert all(spun[s["start"] : s["end"]] == s["spun"] for s in subs)  # (empty where a word was dropped)
    assert all("start" in s and "end" in s for s in segs)
    assert len(d["restorations"]) == len(fs)
    txt = to_text(result)
    assert corpus[42][0] in txt and "[" in txt and "restorations (spun → source)" in txt
    page = to_html([result])
    # one mark per restoration (a raw alignment difference that is not restored is no mark)
    assert page.startswith("<!doctype html>") and page.count('<mark class="spun') == len(result.restorations)


def test_restored_feature_kind_uses_the_restore_function(tmp_path, th, corpus):
    from unspin.trace import TraceIndex, trace

    calls = []

    def fake_restore(text):  # stands in for unspin.restore: maps our hand-made swaps back
        calls.append(text)
        return text.replace("assembly", "council").replace("mend", "repair")

    ix = TraceIndex(tmp_path / "ix", create=True, features=["skeleton", "restored"], restore_fn=fake_restore)
    ix.add(_docs([("src", "Mayor Ilsa Varnok said the council would repair the bridge and the road before the "
                          "winter, and the people of the town were glad to hear it after so many years.")]))
    assert calls and ix.info()["features"] == ["skeleton", "restored"]
    n = ix.db.execute("SELECT COUNT(*) FROM signatures WHERE kind='restored'").fetchone()[0]
    assert n == 1
    spun = ("Mayor Ilsa Varnok said the assembly would mend the bridge and the road before the winter, and the "
            "people of the town were glad to hear it after so many years.")
    result = trace(spun, ix)
    assert result.best and result.best.id == "src"
    ix.close()


def test_engine_check_uses_the_trace_index(index, corpus):
    import unspin
    from unspin.spin import spin

    spun = spin(corpus[77][1], rate=0.3, seed=9).text
    report = unspin.check(spun, index=str(index.dir))
    traced = [f for f in report.findings if f.source == "trace" and f.detail == corpus[77][0]]
    assert traced
    assert all(f.suggestions for f in traced)


def test_a_traced_source_refutes_model_findings_on_its_own_words(index, corpus):
    """Words the traced source has word for word were not swapped: the model's findings there are dropped (a
    note says how many), the trace's restorations stay."""
    import unspin
    from unspin.findings import refute
    from unspin.spin import spin
    from unspin.trace import TraceSource
    from unspin.types import Finding

    r = spin(corpus[77][1], rate=0.3, seed=9)
    src = TraceSource(str(index.dir))
    spans = src.confirmed(r.text)
    assert spans and src._last[0] == r.text  # the trace is run once for find and confirmed
    swapped = [(s.start, s.end) for s in r.spans]
    # no swapped word lies inside a confirmed stretch, and the unchanged words are covered
    assert not any(a <= s and e <= b for s, e in swapped for a, b in spans)
    covered = sum(b - a for a, b in spans)
    assert covered > 0.5 * len(r.text)
    # refute: a model finding inside a confirmed stretch goes, a finding outside and a trace finding stay
    a, b = spans[0]
    inside = Finding(a, min(b, a + 3), r.text[a : min(b, a + 3)], ("x",), 0.9)
    traced = Finding(a, min(b, a + 3), r.text[a : min(b, a + 3)], ("x",), 0.99, source="trace")
    s0, e0 = swapped[0]
    outside = Finding(s0, e0, r.text[s0:e0], ("y",), 0.9)
    assert refute([inside, traced, outside], spans) == [traced, outside]
    # through check: model findings never sit on words the source has
    report = unspin.check(r.text, index=str(index.dir))
    model = [f for f in report.findings if f.source == "model"]
    assert not any(x <= f.start and f.end <= y for f in model for x, y in spans)
    plain = unspin.check(r.text, fingerprints=False)
    n_refuted = sum(1 for f in plain.findings if any(x <= f.start and f.end <= y for x, y in spans))
    if n_refuted:
        assert any("dropped: the traced source has the same words" in n for n in report.notes)


def test_sqlite_file_is_plain_sqlite(index):
    con = sqlite3.connect(index.db_path)
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"meta", "documents", "paragraphs", "signatures"} <= tables
    con.close()


def test_long_paragraphs_cut_differently_still_restore_exactly(tmp_path, th):
    """A 600-word paragraph is cut by length; spinning changes word counts, so the spun text is cut at other
    sentences than the source. The context window around each matched paragraph still restores every word."""
    from unspin.spin import spin
    from unspin.trace import TraceIndex, trace
    from unspin.trace.features import segment

    body = " ".join(tc.make_document(300 + k).split("\n", 1)[1].replace("\n\n", " ").strip() for k in range(4))
    source = "A long report\n" + body + "\n"
    assert len(source.split()) > 500
    ix = TraceIndex(tmp_path / "ix", create=True)
    ix.add(_docs([("long", source)]))
    hits = 0
    for seed in range(4):
        spun = spin(source, rate=0.5, seed=seed).text
        q_cuts = [s.end for s in segment(spun)]
        result = trace(spun, ix)
        assert result.best is not None and result.best.id == "long"
        assert result.best.coverage == 1.0
        hits += apply_edits(spun, edits_from_findings(spun, result.restorations)) == source
        assert len(q_cuts) >= 3
    assert hits >= 3
    ix.close()


def test_a_number_or_date_that_differs_from_the_source_is_not_restored(tmp_path, th):
    """Spinners leave numbers and dates alone: where a copy says "twice" or "2017" and its source "three times"
    or "2019", someone changed a fact. Restoring it would write the source's fact into the text as if undoing a
    swap, so such differences are not restorations; the spinner's swaps around them still are."""
    from unspin.trace import TraceIndex, trace

    source = ("The river near the old mill flooded three times in 2019, and the council said the damage to the "
              "bridge was severe. Residents asked for a new wall before the spring rains of April.\n")
    copy = ("The river near the old mill flooded twice in 2017, and the council said the harm to the "
            "bridge was severe. Residents asked for a new wall before the spring rains of June.\n")
    ix = TraceIndex(tmp_path / "ix", create=True)
    ix.add(_docs([("river", source)]))
    got = [(f.text, f.suggestions[0]) for f in trace(copy, ix).restorations]
    ix.close()
    assert got == [("harm", "damage")]


FERRY = ("The ferry to the island was cancelled on Saturday after strong winds damaged the landing stage. "
         "Passengers waited for thirty minutes before the captain explained the problem, and many of them "
         "asked for their money back. The company said repairs would take eighteen months.\n")


@pytest.mark.parametrize("edit,reworded", [
    (("thirty minutes", "half an hour"), "half an hour"),  # "half an" ↔ "thirty" (a number), "hour" ↔ "minutes"
    (("eighteen months", "a year and a half"), "a year and a half"),
    # not a number: "violent" ↔ "strong" and "harmed" ↔ "damaged" are links, "gale that nobody expected" ↔
    # "winds" is too wide to restore
    (("strong winds damaged", "a violent gale that nobody expected harmed"), "a violent gale that nobody expected harmed"),
])
def test_a_differing_stretch_is_restored_whole_or_not_at_all(tmp_path, th, edit, reworded):
    """The substitutions between two identical runs are one stretch: where one of them is left alone (a number
    someone reworded, a difference too wide to be a swap), restoring its neighbours wrote a phrase half the
    copy's and half the source's: "half an minutes", "a months", "strong gale that nobody expected damaged". The
    stretch stays as the copy has it; a swap elsewhere is still restored."""
    from unspin.trace import TraceIndex, trace

    copy = FERRY.replace(*edit).replace("the captain explained", "the skipper explained")
    ix = TraceIndex(tmp_path / "ix", create=True)
    ix.add(_docs([("ferry", FERRY)]))
    result = trace(copy, ix)
    ix.close()
    restored = apply_edits(copy, edits_from_findings(copy, result.restorations))
    assert restored == FERRY.replace(*edit), [(f.text, f.suggestions) for f in result.restorations]
    assert reworded in restored
    assert [(f.text, f.suggestions[0]) for f in result.restorations] == [("skipper", "captain")]


def test_a_reworded_number_phrase_is_no_evidence_of_spinning(tmp_path, th):
    """`check --index` counted the half-restoration "hour" → "minutes" as a sure (0.99) sign of spinning and
    called an honest edit ("thirty minutes" → "half an hour") `spun`."""
    import unspin
    from unspin.trace import TraceIndex

    ix = TraceIndex(tmp_path / "ix", create=True)
    ix.add(_docs([("ferry", FERRY)]))
    ix.close()
    report = unspin.check(FERRY.replace("thirty minutes", "half an hour"), index=str(tmp_path / "ix"),
                          fingerprints=False)
    assert not [f for f in report.findings if f.source == "trace"]
    assert report.verdict != "spun"


def _merged(text: str) -> str:
    """The text with its paragraphs run together (copy-paste, a CMS that reflows paragraphs)."""
    import re

    return re.sub(r"\s*\n\s*\n\s*", " ", text.strip()) + "\n"


def test_a_copy_whose_paragraphs_were_merged_traces_and_restores_like_the_copy(index, corpus):
    """A spun copy with its paragraphs merged into one was matched to a single source paragraph: scored ~0.5-0.8
    (the other paragraphs' words counted as unexplained) and the swaps outside that paragraph's window were
    not restored. A piece longer than its paragraph is aligned against as many paragraphs as it can hold."""
    from unspin.spin import spin
    from unspin.trace import trace

    multi = [(i, t) for i, t in corpus if t.count("\n\n") >= 2][:20]
    assert len(multi) == 20
    exact = 0
    for n, (doc_id, text) in enumerate(multi):
        copy = _merged(spin(text, rate=0.3, seed=n).text)
        result = trace(copy, index)
        assert result.best is not None and result.best.id == doc_id
        assert result.best.score >= 0.9, (doc_id, result.best.score)
        exact += apply_edits(copy, edits_from_findings(copy, result.restorations)) == _merged(text)
    assert exact >= 18, exact


def test_a_merged_paragraph_is_shown_with_the_source_paragraphs_it_holds(tmp_path, th):
    from unspin.trace import TraceIndex, trace

    src = ("The ferry to the island was cancelled on Saturday after strong winds damaged the landing stage. "
           "Passengers waited on the quay for most of the morning.\n\n"
           "The captain explained the problem to the crowd, and many of them asked for their money back. The "
           "company said the repairs would take several weeks and cost a great deal.\n\n"
           "Shop owners on the island worry that visitors will stay away during the busy summer season. The council "
           "has promised to help them with a small fund, and it will discuss the matter again next month with the "
           "ferry company and the harbour board.\n")
    copy = src
    for a, b in [("damaged", "harmed"), ("captain", "skipper"), ("repairs", "mends"), ("busy", "hectic"),
                 ("promised", "pledged")]:
        copy = copy.replace(a, b, 1)
    copy = _merged(copy)
    ix = TraceIndex(tmp_path / "ix", create=True)
    ix.add(_docs([("ferry", src)]))
    result = trace(copy, ix)
    ix.close()
    (m,) = result.best.matches
    assert (m.source_paragraph, m.source_last_paragraph, m.source_label) == (1, 3, "1–3")
    assert m.to_dict()["source_last_paragraph"] == 3 and (m.source_start, m.source_end) == (0, len(src) - 1)
    assert result.best.score > 0.95
    assert [(f.text, f.suggestions[0]) for f in result.restorations] == [
        ("harmed", "damaged"), ("skipper", "captain"), ("mends", "repairs"), ("hectic", "busy"),
        ("pledged", "promised")]
    assert result.restorations[1].evidence[0] == "aligned with ferry paragraphs 1–3"


def test_a_copy_of_short_paragraphs_run_together_is_found_and_restored(tmp_path, th):
    """Five one-sentence source paragraphs (indexed as two pieces of ~30 words) spun and run together into one
    79-word piece: its signature was too unlike either indexed piece for the LSH tables, so nothing was found.
    Such a piece is now looked up a sentence window at a time."""
    import re

    from unspin.spin import spin
    from unspin.trace import TraceIndex, trace
    from unspin.trace.features import windows

    src = ("The ferry to the island was cancelled on Saturday after strong winds damaged the landing stage.\n\n"
           "Passengers waited on the quay for most of the morning without any news.\n\n"
           "The captain explained the problem to the crowd, and many asked for their money back.\n\n"
           "The company said the repairs would take several weeks and cost a great deal.\n\n"
           "Shop owners on the island worry that visitors will stay away during the busy summer.\n")
    other = ("A new library opened in the town centre on Monday with a large collection of local history books. "
             "The mayor cut the ribbon and thanked the volunteers who had raised the money over three years.\n")
    ix = TraceIndex(tmp_path / "ix", create=True)
    ix.add(_docs([("ferry", src), ("library", other)]))
    run_together = lambda t: re.sub(r"\s*\n\s*\n\s*", " ", t.strip()) + "\n"  # noqa: E731
    found = exact = 0
    for seed in (5, 8, 11, 12):  # 5 and 8 were not found before
        copy = run_together(spin(src, rate=0.3, seed=seed).text)
        result = trace(copy, ix)
        found += bool(result.best and result.best.id == "ferry" and result.best.score >= 0.9)
        exact += apply_edits(copy, edits_from_findings(copy, result.restorations)) == run_together(src)
    ix.close()
    assert (found, exact) == (4, 4)
    text = "One two three four five six seven eight nine ten. " * 7
    got = windows(text, 100)
    assert len(got) == 2 and got[0][0] == 100 and got[-1][1] == 100 + len(text.rstrip())  # a short tail joins


def test_the_same_text_under_another_id_is_not_indexed_twice(tmp_path, capsys):
    """Ids are paths as given: `index add src` then `index add ./src/a.txt` would index one text twice and every
    trace would list it twice. The second is not added, and both ids are named."""
    from unspin.cli import main
    from unspin.trace import TraceIndex

    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("Residents of Tamrik were asked to stay away from the dam while crews repaired the "
                               "damage on Friday, the council said.\n")
    ix = str(tmp_path / "ix")
    assert main(["index", "add", str(src), "--index", ix, "-q"]) == 0
    capsys.readouterr()
    again = str(src) + "/./a.txt"
    assert main(["index", "add", again, "--index", ix, "-q"]) == 0
    err = capsys.readouterr().err
    assert f"{again}: not added: the index holds the same text as {src / 'a.txt'}" in err
    with TraceIndex(ix) as t:
        assert t.info()["documents"] == 1
    assert main(["index", "add", again, "--index", ix]) == 0  # the summary counts it
    out = capsys.readouterr().out
    assert "added 0, replaced 0, unchanged 0, not added (same text as an indexed id) 1 document(s)" in out


# Our own short stories (headline line, then sentences), for the copy edits a spinner or an editor makes.
OWN_SOURCES = {
    "harbour": ("Harbour plan approved\n"
                "The council approved the new harbour plan on Tuesday after a long debate. Fishermen said the work "
                "would start in spring and finish before the summer. \"We can finally land our boats safely,\" one of "
                "them said.\nLocal businesses expect more visitors once the work is done. The inspectors found "
                "nothing wrong with the old pier, but the council wants a new one.\n"),
    "orchard": ("Orchard growers ask for help\n"
                "Apple growers in the valley are asking the state government for emergency support after a hail "
                "storm damaged most of the crop. The growers said the storm lasted only twenty minutes but "
                "destroyed a year of work. Critics say the support scheme is too slow to help families in time.\n"),
}


@pytest.fixture(scope="module")
def own_index(tmp_path_factory, th):
    from unspin.trace import TraceIndex

    ix = TraceIndex(tmp_path_factory.mktemp("own-index"), create=True)
    ix.add(Document(id=k, source=k, text=v) for k, v in OWN_SOURCES.items())
    yield ix
    ix.close()


def _restored(text, index):
    from unspin.trace import trace

    fs = trace(text, index).restorations
    return apply_edits(text, edits_from_findings(text, fs)), fs


def test_restorations_keep_the_copys_lines_and_spacing(own_index):
    src = OWN_SOURCES["orchard"]
    # a word inserted at the start of a line, and one before a full stop
    spun = src.replace("Critics say", "Art critics say").replace("in time.", "in time out.")
    restored, fs = _restored(spun, own_index)
    assert restored == src, [(f.text, f.suggestions) for f in fs]
    assert all("\n" not in f.text and "\n" not in f.suggestions[0] for f in fs)


def test_an_honest_edit_of_a_source_is_restored_but_not_called_spun(own_index):
    import unspin

    src = OWN_SOURCES["harbour"]
    edited = src.replace("the work would start", "the work will start").replace(
        "Local businesses", "Local shops and businesses")
    report = unspin.check(edited, index=str(own_index.dir), fingerprints=False)
    traced = [f for f in report.findings if f.source == "trace"]
    assert traced and all(f.confidence < 0.99 for f in traced)  # unlinked differences, not swaps
    assert report.verdict != "spun", (report.spin_score, [(f.text, f.suggestions) for f in report.findings])
    # a thesaurus-linked swap is sure evidence: the same copy with swaps is scored higher
    spun = edited.replace("approved the new", "sanctioned the new").replace("damaged", "harmed")
    swapped = unspin.check(spun, index=str(own_index.dir), fingerprints=False)
    assert any(f.source == "trace" and f.confidence >= 0.99 for f in swapped.findings)
    assert swapped.spin_score > report.spin_score


def test_an_index_on_read_only_media_is_still_searched(tmp_path, th, monkeypatch):
    import os

    from unspin.trace import TraceIndex, trace
    from unspin.trace.store import IndexError_

    d = tmp_path / "ro-index"
    ix = TraceIndex(d, create=True)
    ix.add(Document(id=k, source=k, text=v) for k, v in OWN_SOURCES.items())
    ix.close()
    real_access = os.access
    # (a read-only mount; chmod would not stop root, who runs CI)
    monkeypatch.setattr(os, "access", lambda p, mode: False if (mode & os.W_OK and str(p) == str(d))
                        else real_access(p, mode))
    ro = TraceIndex(d)
    assert ro.read_only
    result = trace(OWN_SOURCES["orchard"].replace("damaged", "harmed"), ro)
    assert result.best is not None and result.best.id == "orchard"
    with pytest.raises(IndexError_, match="not writable"):
        ro.add([Document(id="x", source="x", text="The council met on Monday and agreed on the plan.")])
    with pytest.raises(IndexError_, match="not writable"):
        ro.remove("orchard")
    ro.close()



def test_html_reproduces_the_copy_exactly_and_marks_what_the_restorations_change(tmp_path, th):
    # before, the page re-joined the alignment's pieces with spaces of its own ("( output)", "&quot; racket
    # &quot;" around a swap next to punctuation) and marked every raw alignment difference, a changed day that
    # is never restored included
    import html as html_mod
    import re

    from unspin.trace import TraceIndex, trace
    from unspin.trace.render import to_html

    src = ("Factory report\nThe (production) line stopped twice on Monday.  Workers said the \"noise\" was "
           "terrible, and the manager promised a quick repair before the weekend. The plant employs many people "
           "and makes parts for bicycles and small boats in the old harbour district.\n")
    spun = (src.replace("(production)", "(output)").replace('"noise"', '"racket"').replace("terrible,", "awful,")
            .replace("quick repair", "speedy repair").replace("Monday", "Friday"))
    ix = TraceIndex(tmp_path / "ix", create=True)
    ix.add(_docs([("factory", src)]))
    result = trace(spun, ix)
    ix.close()
    fs = result.restorations
    assert [f.text for f in fs] == ["output", "racket", "awful", "speedy"]  # (a changed day is a fact)
    page = to_html([result])

    def plain(cell: str) -> str:
        return html_mod.unescape(re.sub(r"<[^>]+>", "", cell))

    rows = re.findall(r'<td class="n">[^<]*</td><td class="n">[^<]*</td><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td></tr>',
                      page, re.S)
    assert len(rows) == len(result.owners()) == 1
    copy, source = rows[0]
    assert plain(copy) == spun.rstrip("\n")  # byte for byte: the line break, both spaces, the quotes
    assert plain(source) == src.rstrip("\n")
    marks = re.findall(r'<mark class="spun sub" title="([^"]*)">(.*?)</mark>', copy)
    assert [(html_mod.unescape(t), w) for t, w in marks] == [(f.suggestions[0], f.text) for f in fs]
    assert re.findall(r'<mark class="src sub" title="[^"]*">(.*?)</mark>', source) == ["production", "noise",
                                                                                        "terrible", "quick"]


def test_a_restoration_never_takes_words_from_the_next_paragraph_of_the_source(tmp_path):
    """A paragraph's last words are aligned against a window of the source (the paragraph and its neighbours);
    "most to the front?" (spun from "most important?") was paired with "to the fore" from the start of the next
    source paragraph and restored to "most to the fore?", which the source never says."""
    from unspin.trace import TraceIndex, trace

    src = ("When you see the word Amazon, what is the first thing that springs to mind, the biggest forest, the "
           "longest river or the largest retailer, and which do you consider most important?\n\n"
           "These questions have risen to the fore in an arcane but hugely important debate about how to redraw "
           "the boundaries of the internet, and several governments have lodged objections to the bid.\n")
    spun = (src.replace("most important?", "most to the front?").replace("first thing", "initially")
            .replace("boundaries", "finishes"))
    ix = TraceIndex(tmp_path / "ix", create=True)
    ix.add(_docs([("amazon", src)]))
    result = trace(spun, ix)
    ix.close()
    restored = {f.text: f.suggestions[0] for f in result.restorations}
    assert not any("fore" in original for original in restored.values()), restored
    assert restored.get("finishes") == "boundaries"
