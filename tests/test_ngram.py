"""The array replica of pocketsphinx's trigram LM gives pocketsphinx's own numbers."""
import json
import re
import shutil

import numpy as np
import pytest

from unspin.knowledge import ngram
from unspin.knowledge.lm import PocketsphinxLM, unigram_floor

SENTENCES = """
The central bank raised interest rates again on Tuesday, the third increase this year.
Farmers in the north say the drought has cut their wheat harvest by half.
The Secretary of State met the Prime Minister to discuss the trade agreement.
Scientists have found a new species of frog in the rain forest of Papua New Guinea.
Police say a man has been charged over the fire that destroyed the old school building.
The World Health Organization says the number of cases is still rising in some countries.
Shares fell sharply in early trade as investors worried about the cost of oil.
The government will spend two million dollars on new roads and bridges in rural areas.
She told the inquiry that she had never seen the letters before they were released.
Our team won the final after a long and difficult season with many injuries.
Whips and bullhorns were used to move the cattle through the yards at the show.
Researchers measured the temperature of the ocean at depths of more than a thousand metres.
""".strip().splitlines()

OOV = "qzxvbrelt"


def _tokens(sentence: str) -> list[str]:
    return ["<s>", *re.findall(r"[a-z']+", sentence.lower()), "</s>"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    directory = tmp_path_factory.mktemp("lm") / "arrays"
    ngram.build(ngram.default_lm_path(), directory)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)  # 118 MB: pytest would keep it with its last runs' tmp dirs


@pytest.fixture(scope="module")
def lm(built):
    return ngram.load_dir(built)


@pytest.fixture(scope="module")
def ps():
    from pocketsphinx import NGramModel

    return NGramModel.readfile(str(ngram.default_lm_path()))


def _reference(ps, lm, queries: np.ndarray) -> np.ndarray:
    """pocketsphinx's scores for (h2, h1, w) id rows; -1 becomes an out-of-vocabulary word."""
    name = lambda i: lm.words[i] if 0 <= i < lm.vocab_size else OOV  # noqa: E731
    return np.array([ps.prob([name(w), name(h1), name(h2)]) for h2, h1, w in queries.tolist()])


def _queries(lm) -> np.ndarray:
    """A few thousand (h2, h1, w) rows: text windows, candidate words after real histories, random triples."""
    rng = np.random.default_rng(7)
    ids = np.concatenate([lm.ids(_tokens(s)) for s in SENTENCES]).astype(np.int64)
    windows = np.stack([ids[:-2], ids[1:-1], ids[2:]], axis=1)
    windows = windows[(windows >= 0).all(axis=1)]
    n = 2000
    pick = rng.integers(0, len(windows), n)
    candidates = windows[pick].copy()
    candidates[:, 2] = rng.choice(ids[ids >= 0], n)  # words of the text in other places: bigram hits
    random_triples = rng.integers(0, lm.vocab_size, (n, 3))  # mostly full back-off
    mixed = np.concatenate([windows, candidates, random_triples])
    cut = mixed[rng.random(len(mixed)) < 0.2].copy()
    cut[: len(cut) // 2, 0] = -1  # no oldest word: a bigram query
    cut[len(cut) // 2 :, 1] = -1  # no recent word: a unigram query whatever the oldest
    return np.concatenate([mixed, cut])


def test_scores_equal_pocketsphinx_on_text_windows_candidates_and_random_triples(lm, ps):
    queries = _queries(lm)
    assert len(queries) > 4000
    got = lm.scores_ids(queries[:, :2], queries[:, 2])
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, _reference(ps, lm, queries))
    nats = lm.logprob_ids(queries[:, :2].astype(np.int32), queries[:, 2].astype(np.int32))
    np.testing.assert_allclose(nats, got * ngram.LN_BASE, rtol=0, atol=1e-12)


def _case(lm, h2: int, h1: int, w: int) -> str:
    """Which back-off branch pocketsphinx takes for a full-history query (read from the arrays)."""
    vocab = lm.vocab_size
    probe = lambda table, bits, key: ngram._probe(table, bits, np.array([key]))[0] >= 0  # noqa: E731
    if probe(lm._tri_keys, lm._tri_bits, (h2 * vocab + h1) * vocab + w):
        return "trigram"
    ctx = "ctx" if probe(lm._bi_keys, lm._bi_bits, h2 * vocab + h1) else "no-ctx"
    bigram = "bigram" if probe(lm._bi_keys, lm._bi_bits, h1 * vocab + w) else "unigram"
    return f"{bigram}+{ctx}"


def test_every_back_off_branch_is_exercised_and_exact(lm, ps):
    queries = _queries(lm)
    full = queries[(queries >= 0).all(axis=1)]
    cases = np.array([_case(lm, *row) for row in full[:2500].tolist()])
    for branch in ("trigram", "bigram+ctx", "bigram+no-ctx", "unigram+ctx", "unigram+no-ctx"):
        rows = full[:2500][cases == branch]
        assert len(rows) >= 5, branch
        np.testing.assert_array_equal(lm.scores_ids(rows[:, :2], rows[:, 2]), _reference(ps, lm, rows))


def test_sentence_markers_and_known_trigrams(lm, ps):
    for words in (["<s>", "the", "central"], ["bank", ".", "</s>"], ["secretary", "of", "state"],
                  ["<s>", "<s>", "the"], ["the", "end", "</s>"], ["world", "health", "organization"]):
        ids = lm.ids(words)
        if (ids < 0).any():
            continue
        got = lm.scores_ids(ids[None, :2], ids[2:])[0]
        assert got == ps.prob([words[2], words[1], words[0]]), words


def test_unreachable_trigram_backs_off_like_pocketsphinx(lm, ps):
    # the shipped model stores this trigram in an unsorted sibling list where pocketsphinx's search misses it
    assert lm.meta["reachable_counts"][2] == lm.meta["stored_counts"][2] - 2
    ids = lm.ids(["whips", "and", "bullhorns"])
    got = lm.scores_ids(ids[None, :2], ids[2:])[0]
    assert got == ps.prob(["bullhorns", "and", "whips"])
    assert _case(lm, *ids.tolist()) != "trigram"


def test_short_histories_and_cut_contexts(lm, ps):
    the, central, bank = lm.ids(["the", "central", "bank"]).tolist()
    w = np.array([bank])
    unigram, bigram = ps.prob(["bank"]), ps.prob(["bank", "central"])
    assert lm.scores_ids(np.zeros((1, 0), dtype=np.int32), w)[0] == unigram
    assert lm.scores_ids(np.array([[central]]), w)[0] == bigram
    assert lm.scores_ids(np.array([[-1, central]]), w)[0] == bigram
    assert lm.scores_ids(np.array([[the, -1]]), w)[0] == unigram  # a gap cuts everything older
    pseudo = lm.extend(OOV)
    assert lm.scores_ids(np.array([[pseudo, central]]), w)[0] == bigram  # pseudo ids cut like unknowns
    assert lm.scores_ids(np.array([[the, pseudo]]), w)[0] == unigram
    assert ps.prob(["bank", OOV, "the"]) == unigram  # pocketsphinx does the same with an unknown word


def test_empty_and_one_column_batches(lm, ps):
    assert lm.logprob_ids(np.zeros((0, 2), dtype=np.int32), np.zeros(0, dtype=np.int32)).shape == (0,)
    central, bank = lm.ids(["central", "bank"]).tolist()
    assert lm.scores_ids(np.array([central]), np.array([bank]))[0] == ps.prob(["bank", "central"])
    with pytest.raises(ValueError, match="hist must be"):
        lm.logprob_ids(np.zeros((3, 2), dtype=np.int32), np.zeros(2, dtype=np.int32))


def test_out_of_vocabulary_predicted_words(lm, ps):
    bank = lm.word_id("bank")
    assert lm.scores_ids(np.array([[bank, bank]]), np.array([-1]))[0] == ps.prob([OOV]) == ngram.LOG_ZERO_SCORE
    pid = lm.extend(OOV)
    assert pid >= lm.vocab_size and lm.extend(OOV) == pid and lm.extend("bank") == bank
    assert not lm.known(OOV) and lm.word_id(OOV) == -1
    got = lm.logprob_ids(np.array([[bank, bank], [-1, -1]]), np.array([pid, pid]))
    assert got.tolist() == [unigram_floor(OOV)] * 2
    assert lm.ids(["bank", OOV]).tolist() == [bank, -1]
    assert lm.ids(["bank", OOV], extend=True).tolist() == [bank, pid]


def test_pseudo_ids_are_bounded_and_stale_ones_are_refused(built, monkeypatch):
    lm = ngram.load_dir(built)
    monkeypatch.setattr(ngram, "PSEUDO_ID_CAP", 3)
    first = [lm.extend(w) for w in ("zzqa", "zzqb", "zzqc")]
    assert first == [lm.vocab_size, lm.vocab_size + 1, lm.vocab_size + 2]
    newer = lm.extend("zzqd")  # cap reached: a new generation, and ids are not reused
    assert newer == lm.vocab_size + 3 and len(lm._pseudo_ids) == 1
    assert lm.logprob_ids(np.full((1, 2), -1), np.array([newer]))[0] == unigram_floor("zzqd")
    with pytest.raises(ValueError, match="pseudo word id"):
        lm.logprob_ids(np.full((1, 2), -1), np.array([first[0]]))
    assert lm.extend("zzqa") == lm.vocab_size + 4  # a forgotten word gets a fresh id


def test_scalar_api_agrees_with_the_pocketsphinx_wrapper_and_the_batch_api(lm):
    wrapper = PocketsphinxLM()
    queries = []
    for s in SENTENCES:
        toks = [t for t in _tokens(s) if t not in ("<s>", "</s>")]
        toks[len(toks) // 2] = OOV  # an unknown word as history and as the predicted word
        queries += [(toks[i], toks[max(0, i - 2) : i]) for i in range(len(toks))]
    queries += [("state", ["secretary", "of"]), ("bank", ["the", "central"]), ("bank", []), ("the", ["<s>"]),
                ("zebra", ["secretary", "of"]), ("of", ["a", "b", "secretary"])]
    for word, history in queries:
        assert lm.logprob(word, history) == wrapper.logprob(word, history), (word, history)
    hist = np.full((len(queries), 2), -1, dtype=np.int32)
    for row, (_, history) in enumerate(queries):
        ids = [lm.extend(h) for h in history[-2:]]
        hist[row, 2 - len(ids) :] = ids
    words = lm.ids([w for w, _ in queries], extend=True)
    batch = lm.logprob_ids(hist, words)
    assert batch.tolist() == [lm.logprob(w, h) for w, h in queries]


@pytest.fixture
def cache_tmp(tmp_path):
    yield tmp_path
    shutil.rmtree(tmp_path, ignore_errors=True)  # built arrays: too big to leave in pytest's kept tmp dirs


def test_load_builds_once_then_rebuilds_when_meta_or_arrays_are_damaged(built, lm, cache_tmp, monkeypatch):
    tmp_path = cache_tmp
    monkeypatch.setenv("UNSPIN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(ngram, "_LOADED", {})
    target = ngram.cache_subdir(ngram.default_lm_path())
    assert target.parent == tmp_path and target.name.startswith(f"lm-arrays-v{ngram.FORMAT_VERSION}-")
    older = tmp_path / "lm-arrays-v0-0123456789ab"  # an earlier build of the same file: removed on rebuild
    older.mkdir()
    (older / "meta.json").write_text(json.dumps({"source": {"path": str(ngram.default_lm_path().resolve())}}))
    first = ngram.load()  # a real build into the cache dir
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [target.name]
    ids = first.ids(["secretary", "of", "state"])
    assert first.scores_ids(ids[None, :2], ids[2:])[0] == lm.scores_ids(ids[None, :2], ids[2:])[0]
    assert ngram.load() is first  # once per process
    builds = []

    def build_by_copy(lm_path, out_dir):  # stands in for further rebuilds (same result, no 3 s each)
        builds.append(out_dir)
        shutil.rmtree(out_dir, ignore_errors=True)
        shutil.copytree(built, out_dir)
        return out_dir

    monkeypatch.setattr(ngram, "build", build_by_copy)
    monkeypatch.setattr(ngram, "_LOADED", {})
    assert ngram.load().vocab_size == lm.vocab_size and builds == []  # a valid cache is not rebuilt

    damages = [
        lambda: (target / "meta.json").write_text("{not json"),
        lambda: (target / "meta.json").write_text("[]"),
        lambda: (target / "meta.json").write_text(json.dumps(
            {**json.loads((built / "meta.json").read_text()), "source": {"path": "x", "size": 1, "mtime_ns": 1}})),
        lambda: (target / "tri_prob.npy").write_bytes(b"truncated"),
        lambda: (target / "bi_keys.npy").unlink(),
    ]
    for damage in damages:
        damage()
        monkeypatch.setattr(ngram, "_LOADED", {})
        again = ngram.load()
        assert builds[-1] == target
        ids = again.ids(["secretary", "of", "state"])
        assert again.scores_ids(ids[None, :2], ids[2:])[0] == lm.scores_ids(ids[None, :2], ids[2:])[0]
    assert len(builds) == len(damages)


def test_build_writes_meta_last_and_leaves_no_temporary_dirs(built):
    meta = json.loads((built / "meta.json").read_text())
    assert meta["format_version"] == ngram.FORMAT_VERSION and meta["order"] == 3
    assert meta["header_counts"] == [72547, 2051547, 1669625]
    assert meta["source"]["size"] == ngram.default_lm_path().stat().st_size
    assert sorted(p.name for p in built.parent.iterdir()) == ["arrays"]
    assert (built / "vocab.txt").read_text(encoding="utf-8").count("\n") == meta["vocab_size"] - 1


def test_blocked_probing_finds_what_one_slot_at_a_time_finds():
    """_probe reads PROBE_BLOCK slots per round: on crowded tables (long runs, keys whose run reaches the table's
    end, absent keys past the last slot) it answers exactly as linear probing one slot at a time does."""
    rng = np.random.default_rng(3)

    def one_at_a_time(table, bits, key):
        slot = int(ngram._home_slots(np.array([key]), bits)[0])
        while True:
            if table[slot] == key:
                return slot
            if table[slot] == ngram.EMPTY_KEY:
                return -1
            slot += 1

    for n_keys, bits in ((50, 6), (3000, 12), (20000, 15)):  # up to ~80 % full: long runs, a tail past 2**bits
        keys = np.unique(rng.integers(0, 2**40, n_keys))
        table, slots = ngram._hash_layout(keys, bits)
        assert table[-1] == ngram.EMPTY_KEY
        absent = rng.integers(2**40, 2**41, 2000)
        queries = np.concatenate([keys, absent, keys[::7]])
        got = ngram._probe(table, bits, queries)
        want = np.array([one_at_a_time(table, bits, int(q)) for q in queries])
        assert np.array_equal(got, want)
        assert np.array_equal(got[: len(keys)], slots)


def test_copies_of_the_model_file_share_one_build_and_dead_builds_are_pruned(built, cache_tmp, monkeypatch):
    """Every venv and clone installs its own copy of the model file; keyed by path each built another 114 MB.
    The build is named by the file's content, and builds whose file is gone are removed on the next build."""
    monkeypatch.setenv("UNSPIN_CACHE_DIR", str(cache_tmp / "cache"))
    monkeypatch.setattr(ngram, "_LOADED", {})
    copy_a, copy_b = cache_tmp / "venv-a" / "en-us.lm.bin", cache_tmp / "venv-b" / "en-us.lm.bin"
    for copy in (copy_a, copy_b):
        copy.parent.mkdir()
        shutil.copyfile(ngram.default_lm_path(), copy)
    assert ngram.cache_subdir(copy_a) == ngram.cache_subdir(copy_b) == ngram.cache_subdir(ngram.default_lm_path())
    other = cache_tmp / "other.lm.bin"  # a different model file of the same size: another build
    data = bytearray(copy_a.read_bytes())
    data[-5] ^= 0xFF
    other.write_bytes(bytes(data))
    assert ngram.cache_subdir(other) != ngram.cache_subdir(copy_a)

    cache = cache_tmp / "cache"
    gone_venv = cache / "lm-arrays-v1-0123456789ab"  # the old path-keyed layout, its venv deleted
    same_file_older = cache / "lm-arrays-v1-ba9876543210"  # an earlier format's build of copy_a itself
    live_other = cache / "lm-arrays-v2-aaaaaaaaaaaa"  # another model file's build, still installed
    for d, src in ((gone_venv, cache_tmp / "deleted" / "en-us.lm.bin"), (same_file_older, copy_a),
                   (live_other, other)):
        d.mkdir(parents=True)
        (d / "meta.json").write_text(json.dumps({"source": {"path": str(src.resolve())}}))
    builds = []

    def build_by_copy(lm_path, out_dir):  # a real build costs seconds; the arrays are the same
        builds.append(out_dir)
        shutil.copytree(built, out_dir)
        meta = json.loads((out_dir / "meta.json").read_text())
        meta.update(source=ngram._source_stamp(lm_path), source_path=str(lm_path.resolve()))
        (out_dir / "meta.json").write_text(json.dumps(meta))
        return out_dir

    monkeypatch.setattr(ngram, "build", build_by_copy)
    first = ngram.load(copy_a)
    target = ngram.cache_subdir(copy_a)
    assert builds == [target]
    assert sorted(p.name for p in cache.iterdir() if p.is_dir()) == sorted([target.name, live_other.name])
    assert ngram.load(copy_b).vocab_size == first.vocab_size and builds == [target]  # b reads a's build

    shutil.rmtree(copy_a.parent)  # venv a deleted: the build now names b, which still uses it
    monkeypatch.setattr(ngram, "_LOADED", {})
    ngram.load(copy_b)
    assert json.loads((target / "meta.json").read_text())["source_path"] == str(copy_b.resolve())
    assert builds == [target]
