"""Candidate originals from the installed knowledge (Moby always; MyThes/WordNet when installed)."""
import pytest

from unspin import candidates as C
from unspin.knowledge import lexicon
from unspin.knowledge.thesaurus import available_sources


@pytest.fixture(scope="module")
def lex():
    return lexicon.load()


@pytest.fixture(scope="module")
def pool(lex):
    return C.pool(lex)


def _forms(pool, lex, word):
    b = pool.for_form(lex.form_id[word])
    return b, [lex.forms[c] for c in b.cand]


def test_reverse_links_propose_the_original(pool, lex):
    b, forms = _forms(pool, lex, "focal")
    assert "central" in forms
    i = forms.index("central")
    assert b.reverse[i] == 1.0  # Moby's "central" lists "focal"
    assert b.log_nsyn[i] > 0 and -1 <= b.sim[i] <= 1


def test_candidates_take_the_text_words_inflection(pool, lex):
    _, forms = _forms(pool, lex, "raised")
    assert "lifted" in forms or "elevated" in forms
    assert "raise" not in forms and "raises" not in forms  # never the word's own lemma
    b, forms = _forms(pool, lex, "banks")
    assert all(" " in f or f not in ("bank", "banks") for f in forms)


def test_no_function_words_and_unique_candidates(pool, lex):
    b, forms = _forms(pool, lex, "good")
    assert len(forms) == len(set(forms)) and len(forms) <= C.MAX_POOL
    assert not any(lex.function[c] for c in b.cand)


def test_a_batch_builds_each_form_as_if_alone(lex):
    """for_forms merges a piece's forms in one pass; every form's block is the one it gets alone."""
    import numpy as np

    p = C.pool(lex, learned={"woodland": {"forest": 1.0}})
    words = ("good", "set", "focal", "raised", "run", "banks", "woodland", "analyzers", "interest rates")
    forms = [lex.form_id[w] for w in words]
    batch = p.for_forms(forms)
    for i, f in enumerate(forms):
        alone, together = p.for_form(f), batch[i]
        assert together.form == f and len(together) == len(alone)
        for col in ("cand",) + C.BLOCK_COLUMNS:
            a, b = getattr(alone, col), getattr(together, col)
            assert a.dtype == b.dtype and np.array_equal(a, b), (lex.forms[f], col)
    assert len(batch[1]) == len(batch[4]) == C.MAX_POOL  # "set", "run": capped per form within a batch


def test_a_source_mask_leaves_that_thesaurus_out(lex):
    if "mythes" not in available_sources():
        pytest.skip("Debian mythes-en-us is not installed (make system-deps)")
    full = C.pool(lex, sources=("moby", "mythes", "wordnet") if "wordnet" in available_sources() else ("moby", "mythes"))
    moby = C.pool(lex, sources=("moby",))
    f = lex.form_id["ascending"]
    assert set(moby.for_form(f).cand.tolist()) < set(full.for_form(f).cand.tolist())
    assert moby.for_form(f).n_sources.max() <= 1


def test_vector_neighbours_add_unlinked_candidates(lex):
    with_n = C.pool(lex, neighbours=True)
    without = C.pool(lex, neighbours=False)
    f = lex.form_id["analyzers"]
    a, b = with_n.for_form(f), without.for_form(f)
    assert len(a) > len(b) and a.neighbour_only.sum() > 0


def test_learned_pairs_are_a_candidate_source(lex):
    p = C.pool(lex, learned={"woodland": {"forest": 1.0}})
    b = p.for_form(lex.form_id["woodland"])
    forms = [lex.forms[c] for c in b.cand]
    assert b.learned[forms.index("forest")] == 1.0


def test_a_learned_pair_puts_its_original_first_among_a_findings_suggestions(lex):
    from unspin.findings import learned_first

    learned = C.LearnedPairs(lex, {"utter": {"say": 0.4, "speak": 0.9}})
    fid = lex.form_id
    ranked = [fid["raises"], fid["says"], fid["speaks"], fid["gives"]]
    cands, said = learned_first(fid["utters"], ranked, learned)
    # the strongest pair among the suggestions first, the ranker's order for the rest; the evidence says why
    assert [lex.forms[c] for c in cands] == ["speaks", "raises", "says", "gives"]
    assert said == "imported lists pair 'utters' with 'speak': 'speaks' first"
    assert learned.originals(fid["utters"]) == {"say": 0.4, "speak": 0.9}
    # nothing to move: no pair for the form, none among the suggestions, or the first is already paired
    assert learned_first(fid["walks"], ranked, learned) == (ranked, None)
    assert learned_first(fid["utters"], [fid["raises"], fid["gives"]], learned)[1] is None
    assert learned_first(fid["utters"], [fid["speaks"], fid["raises"]], learned)[1] is None


def test_attraction_prefers_spinner_output(pool, lex):
    # "focal" is far likelier as a thesaurus pick than as a writer's word; "the"… is not even a span
    assert pool.attraction(lex.form_id["focal"]) > pool.attraction(lex.form_id["government"])


def test_attractions_are_memoised_per_form_and_equal_the_scalar_answer(lex):
    """attractions() of a piece's forms (repeats, an unlinked form) are _attraction_of's values, computed once."""
    import numpy as np

    p = C.pool(lex)
    words = ["focal", "government", "focal", "speculate", "zzzq", "express"]
    forms = np.array([lex.form_id.get(w, -1) for w in words if w in lex.form_id], dtype=np.int64)
    got = p.attractions(forms)
    assert got.dtype == np.float64 and list(got) == [p._attraction_of(int(f)) for f in forms]
    assert np.isnan(p._attraction_memo).sum() == len(lex.forms) - len(set(forms.tolist()))
    assert p.attraction(int(forms[0])) == got[0] and len(p.attractions(forms[:0])) == 0
