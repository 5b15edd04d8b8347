"""The thesaurus index: parsing, two-way links, save/load round trip, stale-cache clean-up."""
import numpy as np
import pytest

from unspin.knowledge import thesaurus as T


def _tiny(monkeypatch):
    def fake():
        yield "central", ["focal", "key", "main"]
        yield "state", ["express", "nation"]
        yield "believe", ["have faith", "trust"]
    monkeypatch.setitem(T.PARSERS, "moby", fake)


def test_two_way_links_and_phrases(monkeypatch, tmp_path):
    _tiny(monkeypatch)
    th = T.build(("moby",), progress=False)
    assert th.synonyms("central") == ["focal", "key", "main"]
    assert th.originals("focal") == ["central"] and th.originals("have faith") == ["believe"]
    assert th.n_synonyms("state") == 2 and th.n_originals("nation") == 1 and th.originals("zebra") == []
    assert th.linked("express", "state") and not th.linked("focal", "nation")
    assert th.phrase_lengths == {"have": 2}
    T.save(th, tmp_path / "idx")
    back = T.load_dir(tmp_path / "idx")
    assert back.terms == th.terms and np.array_equal(back.rev_ids, th.rev_ids)
    assert back.zipf is not None and back.zipf[back.term_id["central"]] > back.zipf[back.term_id["focal"]]


def test_half_split_is_deterministic_and_disjoint(monkeypatch):
    _tiny(monkeypatch)
    even = T.build(("moby:even",), progress=False)
    odd = T.build(("moby:odd",), progress=False)
    heads_even = {t for t in even.terms if even.is_headword(t)}
    heads_odd = {t for t in odd.terms if odd.is_headword(t)}
    assert heads_even.isdisjoint(heads_odd) and heads_even | heads_odd == {"central", "state", "believe"}


def test_unknown_source_and_stale_cache(tmp_path):
    import pytest

    with pytest.raises(ValueError, match="unknown thesaurus source"):
        T.build(("nope",), progress=False)
    for name in ("thesaurus-v1-moby", "thesaurus-v9-moby", "thesaurus-v1-mythes"):
        (tmp_path / name).mkdir()
    T._remove_stale(tmp_path / "thesaurus-v9-moby")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thesaurus-v1-mythes", "thesaurus-v9-moby"]


def test_a_first_build_says_in_one_line_what_it_builds(monkeypatch, tmp_path, capsys):
    """An empty cache is not a silent pause: the build announces itself once on stderr (issue 13)."""
    _tiny(monkeypatch)
    monkeypatch.setenv("UNSPIN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(T, "_LOADED", {})
    th = T.load(("moby",), progress=False)
    err = capsys.readouterr().err
    assert th.synonyms("central") == ["focal", "key", "main"]
    assert err.count("\n") == 1 and "building the thesaurus index for moby" in err and str(tmp_path) in err
    monkeypatch.setattr(T, "_LOADED", {})
    T.load(("moby",), progress=False)  # built: silent
    assert capsys.readouterr().err == ""


def test_candidate_memo_budget_from_the_environment(monkeypatch):
    from unspin.knowledge import bundle

    monkeypatch.delenv("UNSPIN_CANDIDATE_MEMO_MB", raising=False)
    assert bundle.candidate_memo_bytes() == bundle.CANDIDATE_MEMO_BYTES
    monkeypatch.setenv("UNSPIN_CANDIDATE_MEMO_MB", "64")
    assert bundle.candidate_memo_bytes() == 64_000_000
    for bad in ("abc", "0", "nan", "-5"):
        monkeypatch.setenv("UNSPIN_CANDIDATE_MEMO_MB", bad)
        with pytest.raises(ValueError, match="UNSPIN_CANDIDATE_MEMO_MB"):
            bundle.candidate_memo_bytes()


def test_candidate_tables_stay_within_the_memo_budget_and_do_not_change(monkeypatch):
    """Evicted tables are rebuilt identically; the memo never holds more bytes than its budget."""
    import numpy as np

    from unspin.knowledge import bundle

    monkeypatch.setenv("UNSPIN_CANDIDATE_MEMO_MB", "1")
    k = bundle.Knowledge(("moby",))
    forms = [k.lex.form_id[w] for w in ("bank", "focal", "speculate", "express", "rising", "house", "large")
             if w in k.lex.form_id]
    first = k.candidates(forms)
    for _ in range(3):
        for f in forms:
            k.candidates([f])
    assert k._memo.currsize <= k._memo.maxsize == 1_000_000
    k._memo.clear()
    again = k.candidates(forms)
    for a, b in zip(first, again):
        assert (a is None) == (b is None)
        if a is not None:
            assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_candidate_tables_are_compact_and_exact():
    """The memo keeps ~17 bytes per candidate (ids, packed flags, the cosine; scores only with a scoring
    function), and every FACTS column read back is exactly what the candidate pool and the lexicon say, as
    float64: the numbers stage 1 computes with do not depend on how a table was stored."""
    import numpy as np

    from unspin.candidates import BLOCK_COLUMNS
    from unspin.knowledge import bundle

    k = bundle.knowledge(("moby",))
    forms = [k.lex.form_id[w] for w in ("bank", "focal", "house") if w in k.lex.form_id]
    blocks = k.pool.for_forms(forms)
    for i, (form, table) in enumerate(zip(forms, k._tables(forms))):
        assert table.scores is None and table.static is None  # no pre-ranker asked for: no scores memoised
        assert table.cand.dtype == np.int32 and table.flags.dtype == np.uint8 and table.sim.dtype == np.float32
        assert bundle._table_bytes(table) == 9 * len(table.cand) + 1000  # (learned weights: none without a list)
        rows = bundle.TableRows.of([table])
        cols = k.fact_columns(rows, k.FACTS)
        assert all(v.dtype == np.float64 for v in cols.values())
        block = blocks[i]
        assert np.array_equal(block.cand, table.cand)
        for name in BLOCK_COLUMNS:
            assert np.array_equal(cols[name], getattr(block, name).astype(np.float32).astype(np.float64)), name
        c = table.cand.astype(np.int64)
        assert np.array_equal(cols["lemma"], k.lex.lemma[c]) and np.array_equal(cols["cand_zipf"], k.lex.zipf[c])
        first = k.lex.words[c][:, 0]
        assert np.array_equal(cols["first_word"], first) and np.array_equal(cols["first_lm"], k.word_lm[first])
        assert np.array_equal(cols["n_words"], k.lex.n_words[c])
        words = k.lex.words[c]
        last = words[np.arange(len(c)), np.minimum(k.lex.n_words[c].astype(np.int64), words.shape[1]) - 1]
        assert np.array_equal(cols["last_word"], last)
        assert np.array_equal(cols["cand_oov"], ((k.word_lm[np.maximum(words, 0)] < 0) & (words >= 0)).any(axis=1))
        assert "first_floor" not in k.FACTS  # float64: looked up by first_word when used
    # the table API the engine reads agrees with the per-form one
    per_form = k.candidates(forms + forms[:1])
    rows = k.table_rows(forms + forms[:1])
    assert rows.has.all() and rows.sizes.tolist() == [len(t[0]) for t in per_form]
    assert np.array_equal(rows.cand, np.concatenate([t[0] for t in per_form]))


def test_learned_weights_survive_the_compact_table():
    """A learned pair's weight (a float, not a flag) is kept with its table and read back exactly."""
    import numpy as np

    from unspin.knowledge import bundle

    k = bundle.Knowledge(("moby",), learned={"focal": {"central": 0.75}})
    f, other = k.lex.form_id["focal"], k.lex.form_id["house"]
    (cand, facts, _), (cand2, facts2, _) = k.candidates([f, other])  # one table with weights, one without
    learned = dict(zip(cand.tolist(), facts[:, k.FACTS.index("learned")].tolist()))
    assert learned[k.lex.form_id["central"]] == np.float32(0.75)
    assert sum(v > 0 for v in learned.values()) >= 1
    assert not facts2[:, k.FACTS.index("learned")].any()
    assert k._memo[other].learned is None and k._memo[f].learned is not None


def test_zipf_frequencies_from_the_table_are_wordfreqs_own():
    """knowledge.frequency answers without loading wordfreq's list, exactly as wordfreq would: plain and
    accented words, hyphenated runs, apostrophes (listed or split by wordfreq), unlisted tokens, and what it
    leaves to wordfreq (ligatures, capitals, other scripts)."""
    import random

    from wordfreq import get_frequency_dict, zipf_frequency

    from unspin.knowledge import frequency

    listed = sorted(get_frequency_dict("en", "best"))
    plain = [w for w in listed if w.isascii() and w.isalpha()]
    rng = random.Random(5)
    words = rng.sample(listed, 3000) + ["-".join(rng.sample(plain, rng.randint(2, 4))) for _ in range(1000)]
    words += [rng.choice(plain) + "'s" for _ in range(300)] + [rng.choice(plain) + "-qzx" + rng.choice(plain)
                                                             for _ in range(200)]
    accented = [w for w in listed if not w.isascii()]
    words += rng.sample(accented, 500) + ["-".join(rng.sample(accented, 2)) for _ in range(200)]
    words += ["temüjin", "bartók's", "dvořák", "β-catenin", "tgfβ", "ﬁrst", "straße", "l'été", "naïve", "क", "ῥῆνος",
              "крыловидные", "Straße", "ÉCOLE-Normale", "ˈkɔχ", "km²", "正", "simon-rené"]
    words += ["l'or", "o'hare", "l'o'hare", "l'hôpital", "e'er-long", "l'homme's", "awb's", "zz'ab", "qu'un", "xyzzy'h",
              "bank", "focal", "well-known", "state-of-the-art", "don't", "ne'er", "o'er", "o'brien", "zorblax",
              "qqqx-bank", "café", "1990s", "covid-19", "Bank", "ÉCOLE", "a", "i", "x-"]
    mismatched = [(w, frequency.zipf(w), zipf_frequency(w, "en")) for w in words
                  if frequency.zipf(w) != zipf_frequency(w, "en")]
    assert mismatched == []
    assert frequency.zipf("the") > 7 and frequency.zipf("zorblax") == 0.0


def test_the_frequency_table_is_built_once_said_in_one_line_and_older_ones_dropped(monkeypatch, tmp_path, capsys):
    from unspin.knowledge import frequency

    monkeypatch.setenv("UNSPIN_CACHE_DIR", str(tmp_path))
    (tmp_path / "wordfreq-zipf-v0-1.0").mkdir()
    frequency.table.cache_clear()
    frequency.zipf.cache_clear()
    try:
        assert frequency.zipf("focal") > 0
        built = [d.name for d in tmp_path.iterdir() if d.name.startswith("wordfreq-zipf-")]
        assert built == [frequency._directory().name]  # the v0 table is gone
        assert capsys.readouterr().err.count("building a table of wordfreq") == 1
        frequency.table.cache_clear()
        assert frequency.zipf("central") > 0 and capsys.readouterr().err == ""  # loaded, not rebuilt
    finally:
        frequency.table.cache_clear()
        frequency.zipf.cache_clear()


def test_context_free_scores_are_memoised_with_each_table_under_their_function():
    """Knowledge.candidates(forms, static): the scores are computed once per table and function; asked with
    another function, a memoised table is scored again (tables and facts unchanged)."""
    from unspin.knowledge import bundle

    k = bundle.knowledge(("moby",))
    forms = [k.lex.form_id[w] for w in ("bank", "focal", "house", "bank") if w in k.lex.form_id]
    calls = []

    def ones(columns, text_zipf):
        assert set(columns) == set(k.FACTS) and all(len(v) == len(text_zipf) for v in columns.values())
        calls.append(len(text_zipf))
        return np.ones(len(text_zipf))

    def zipf_of_form(columns, text_zipf):
        return text_zipf.copy()

    first = k.candidates(forms, ones)
    assert all(t is None or np.array_equal(t[2], np.ones(len(t[0]))) for t in first)
    assert all((t := k._memo[f]) is None or (t.static is ones and t.scores is not None) for f in forms)
    n_calls = len(calls)
    assert n_calls >= 1
    again = k.candidates(forms, ones)
    assert len(calls) == n_calls  # memoised
    other = k.candidates(forms, zipf_of_form)
    for f, a, b in zip(forms, first, other):
        if a is None:
            assert b is None
            continue
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
        assert np.array_equal(b[2], np.full(len(b[0]), float(k.lex.zipf[f])))
    assert all(a is b or np.array_equal(a[0], b[0]) for a, b in zip(first, again))


def test_pruning_removes_lock_files_of_builds_gone_unless_held(monkeypatch, tmp_path):
    """Each build leaves `.<build>.lock`; pruned builds left theirs forever (dozens of lm-arrays-v1 locks)."""
    import subprocess
    import sys

    from unspin.knowledge import paths

    monkeypatch.setenv("UNSPIN_CACHE_DIR", str(tmp_path))
    (tmp_path / "thesaurus-v5-moby").mkdir()  # a build that is there: its lock stays
    (tmp_path / "wordfreq-table-v1").write_bytes(b"x")  # a build that is a file
    for name in ("lm-arrays-v1-0badc0ffee00", "lm-arrays-v1-0ddba11fee00", "thesaurus-v5-moby",
                 "wordfreq-table-v1", "lm-arrays-v2-5ca1ab1e0000"):
        (tmp_path / f".{name}.lock").touch()
    (tmp_path / ".notes.lock").write_text("someone else's")  # not empty: no lock of ours
    # another process builds lm-arrays-v2-5ca1ab1e0000 right now: it holds that lock
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys\nfh = open(sys.argv[1], 'a+')\nfcntl.flock(fh, fcntl.LOCK_EX)\n"
         "print('held', flush=True)\nsys.stdin.read()", str(tmp_path / ".lm-arrays-v2-5ca1ab1e0000.lock")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        with paths.build_lock("lm-arrays-v1-0ddba11fee00"):  # and this process builds another
            removed = paths.prune_orphan_locks()
    finally:
        holder.communicate("")
    assert [p.name for p in removed] == [".lm-arrays-v1-0badc0ffee00.lock"]
    assert sorted(p.name for p in tmp_path.glob(".*.lock")) == [
        ".lm-arrays-v1-0ddba11fee00.lock", ".lm-arrays-v2-5ca1ab1e0000.lock", ".notes.lock",
        ".thesaurus-v5-moby.lock", ".wordfreq-table-v1.lock"]
    # released, with their builds never made (a crash): orphans too
    assert sorted(p.name for p in paths.prune_orphan_locks()) == [
        ".lm-arrays-v1-0ddba11fee00.lock", ".lm-arrays-v2-5ca1ab1e0000.lock"]
    # a stale thesaurus index pruned after a new build takes its lock file with it
    _tiny(monkeypatch)
    monkeypatch.setattr(T, "_LOADED", {})
    (tmp_path / "thesaurus-v1-moby").mkdir()
    (tmp_path / ".thesaurus-v1-moby.lock").touch()
    T.load(("moby",), progress=False)
    assert not (tmp_path / ".thesaurus-v1-moby.lock").exists()
    assert (tmp_path / f".thesaurus-v{T.INDEX_VERSION}-moby.lock").exists()


def test_a_builder_waiting_on_a_lock_file_pruned_meanwhile_locks_the_new_one(monkeypatch, tmp_path):
    """The pruner removes a lock file while holding it; a builder that was waiting on it then held a lock on a
    removed file, and a third process locking the path anew would have built beside it."""
    import fcntl
    import threading
    import time

    from unspin.knowledge import paths

    monkeypatch.setenv("UNSPIN_CACHE_DIR", str(tmp_path))
    lock = tmp_path / ".lexicon-v9-moby.lock"
    pruner = open(lock, "a+")
    fcntl.flock(pruner, fcntl.LOCK_EX)
    inside, leave = threading.Event(), threading.Event()

    def builder():
        with paths.build_lock("lexicon-v9-moby"):
            inside.set()
            leave.wait(10)

    t = threading.Thread(target=builder)
    t.start()
    time.sleep(0.3)  # the builder has opened the file and waits for its lock
    lock.unlink()
    pruner.close()
    assert inside.wait(10)
    try:
        with open(lock, "a+") as other:  # a process arriving now: the builder holds the file at the path
            with pytest.raises(BlockingIOError):
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        leave.set()
        t.join(10)


def test_a_cache_dir_that_cannot_be_made_is_said_once_naming_it_not_blamed_on_each_input(tmp_path):
    """UNSPIN_CACHE_DIR naming a file (or a path under one) gave `a.txt: cannot check: [Errno 17] File exists:
    '…'` for every input: the input blamed, the variable not named."""
    import os
    import subprocess
    import sys

    blocker = tmp_path / "cache"
    blocker.write_text("not a directory")
    texts = []
    for name in ("a.txt", "b.txt"):
        p = tmp_path / name
        p.write_text("The committee met on Monday and agreed to publish its report next week.\n")
        texts.append(str(p))
    for cache in (blocker, blocker / "sub"):
        env = {**os.environ, "UNSPIN_CACHE_DIR": str(cache)}
        proc = subprocess.run([sys.executable, "-c", "import sys; from unspin.cli import main; sys.exit(main())",
                               "check", "--no-fingerprints", *texts], env=env, capture_output=True, text=True,
                              timeout=120)
        err = proc.stderr
        assert proc.returncode == 4, err
        assert err.count("UNSPIN_CACHE_DIR") == 1 and str(cache) in err, err
        assert "cannot check" not in err and "a.txt" not in err, err
    proc = subprocess.run([sys.executable, "-c", "import sys; from unspin.cli import main; sys.exit(main())",
                           "knowledge", "info"], env={**os.environ, "UNSPIN_CACHE_DIR": str(blocker)},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 4 and "Traceback" not in proc.stderr and "UNSPIN_CACHE_DIR" in proc.stderr, proc.stderr
