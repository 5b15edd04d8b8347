"""Stored candidate tables (knowledge/tables.py): the same tables, and the same reports, as tables built on the fly."""
import numpy as np
import pytest

from unspin import api
from unspin.extract import _static_pre_score
from unspin.knowledge import tables as T
from unspin.knowledge.bundle import Knowledge

WORDS = ["focal", "express", "speculate", "central", "bank", "markets", "running", "quickly", "the", "zzzqx",
         "columnists", "laborers", "declaration", "have faith", "secretary of state"]


@pytest.fixture(scope="module")
def plain():
    """A pool that never reads a store: every table is built when asked for."""
    mp = pytest.MonkeyPatch()
    mp.setenv("UNSPIN_TABLE_STORE", "0")
    k = Knowledge()
    mp.undo()
    assert k.table_store() is None
    return k


def _forms(k, words):
    return [k.lex.form_id[w] for w in words if w in k.lex.form_id]


def _with_store(tmp_path, forms, **kw):
    k = Knowledge(**kw)
    T.build(k, tmp_path / "store", forms=np.array(forms))
    k._store = T.TableStore(tmp_path / "store")
    return k


def _same_tables(a, b):
    for x, y in zip(a, b):
        assert (x is None) == (y is None)
        if x is not None:
            assert np.array_equal(x[0], y[0]) and np.array_equal(x[1], y[1])
            assert (x[2] is None) == (y[2] is None)
            if x[2] is not None:  # sums in another batch: float noise only
                np.testing.assert_allclose(x[2], y[2], rtol=0, atol=1e-9)


def test_stored_tables_are_the_tables_built_on_the_fly(tmp_path, plain):
    forms = _forms(plain, WORDS)
    k = _with_store(tmp_path, forms[: len(forms) // 2 + 3])  # some forms stored, the rest built as needed
    static = _static_pre_score(k.model.preranker)
    _same_tables(k.candidates(forms, static), plain.candidates(forms, static))
    _same_tables(k.candidates(forms), plain.candidates(forms))
    store = k.table_store()
    assert store.rows(forms[0]) is not None and store.rows(forms[-1]) is None


def test_a_form_with_learned_pairs_is_built_with_them(tmp_path):
    learned = {"focal": {"central": 1.0}}
    forms = _forms(Knowledge(), ["focal", "express"])
    k = _with_store(tmp_path, forms, learned=learned)
    k0 = Knowledge(learned=learned)
    k0._store = None
    got, want = k.candidates(forms), k0.candidates(forms)
    _same_tables(got, want)
    central = k.lex.form_id["central"]
    row = list(got[0][0]).index(central)
    assert got[0][1][row, list(k.FACTS).index("learned")] == 1.0  # the list's pair, not the stored table


def test_reports_are_the_same_with_and_without_the_store(tmp_path, monkeypatch, plain):
    text = ("The focal bank raised loan costs again on Tuesday, saying that expansion remains excessively high. "
            "The Secretary of Express told columnists that the administration would not mediate.")
    monkeypatch.setenv("UNSPIN_TABLE_STORE", "0")
    off = api.check(text, fingerprints=False, threshold=0.05, suspect_threshold=0.05)
    monkeypatch.setenv("UNSPIN_TABLE_STORE", "1")
    from unspin.knowledge import bundle

    monkeypatch.setattr(bundle, "_KNOWLEDGE", {})
    on = api.check(text, fingerprints=False, threshold=0.05, suspect_threshold=0.05)
    assert bundle._KNOWLEDGE and all(k.table_store() is not None for k in bundle._KNOWLEDGE.values())
    assert [(f.start, f.end, f.level, f.suggestions) for f in on.findings] == \
        [(f.start, f.end, f.level, f.suggestions) for f in off.findings]
    assert [round(f.confidence, 9) for f in on.findings] == [round(f.confidence, 9) for f in off.findings]
    assert on.spin_score == pytest.approx(off.spin_score, abs=1e-9) if off.spin_score is not None else True


def test_store_name_follows_the_code_the_lexicon_and_the_mask(tmp_path):
    lex_dir = tmp_path / "lexicon-v3-moby"
    lex_dir.mkdir()
    (lex_dir / "forms.txt").write_text("a\nb")
    one = T.store_key(lex_dir, 1)
    assert one == T.store_key(lex_dir, 1) and one != T.store_key(lex_dir, 3)
    (lex_dir / "forms.txt").write_text("a\nb\nc")  # the lexicon was rebuilt
    assert T.store_key(lex_dir, 1) != one


def test_prune_keeps_other_masks_and_removes_older_builds(tmp_path):
    names = ["tables-v1-lexicon-v3-moby-m1-aaaa", "tables-v1-lexicon-v3-moby-m1-bbbb",
             "tables-v1-lexicon-v3-moby-m1-cccc.tmp", "tables-v1-lexicon-v3-moby-m3-dddd",
             "tables-v1-lexicon-v3-moby+wordnet-m1-eeee"]
    for n in names:
        (tmp_path / n).mkdir()
    removed = T.prune_stale(tmp_path / names[1])
    assert sorted(p.name for p in removed) == sorted([names[0], names[2]])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([names[1], names[3], names[4]])


def test_only_the_default_pool_builds_a_store(monkeypatch):
    """Other thesaurus masks (the bench's held-out conditions, training) and pools with learned pairs read a
    store when one exists but never build one."""
    calls = []
    monkeypatch.setattr(T, "open_store", lambda k, create=True: calls.append(create))
    sources = Knowledge().lex.th.sources
    Knowledge().table_store()
    Knowledge(learned={"focal": {"central": 1.0}}).table_store()
    want = [True, False]
    if len(sources) > 1:
        Knowledge(sources=sources[:1]).table_store()
        want.append(False)
    assert calls == want
    monkeypatch.setenv("UNSPIN_TABLE_STORE", "off")
    assert Knowledge().table_store() is None and len(calls) == len(want)


def test_a_damaged_store_is_not_read(tmp_path):
    d = tmp_path / "tables-v1-x-m1-0000"
    d.mkdir()
    (d / "meta.json").write_text("{not json")
    assert T._try_open(d) is None
    (d / "meta.json").write_text('{"version": 1}')  # arrays missing
    assert T._try_open(d) is None
