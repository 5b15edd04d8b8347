"""The learned parts on synthetic data: fits recover what the data says, feature names are checked, thresholds
are chosen as documented."""
import json

import numpy as np
import pytest

from unspin import features as F
from unspin.model import Logistic, Model, ModelError, fit_conditional_logit, load


def test_logistic_fit_recovers_a_separating_direction():
    rng = np.random.default_rng(0)
    X = np.column_stack([np.ones(2000), rng.normal(size=2000), rng.normal(size=2000)])
    y = (X[:, 1] - 0.5 * X[:, 2] + rng.normal(scale=0.3, size=2000) > 0).astype(float)
    m = Logistic.fit(("bias", "a", "b"), X, y)
    w = m.weights / m.scale
    assert w[1] > 0 > w[2] and abs(w[1] / w[2]) == pytest.approx(2.0, rel=0.3)
    p = m.predict(X)
    assert ((p > 0.5) == (y > 0.5)).mean() > 0.9


def test_conditional_logit_prefers_the_candidate_the_data_prefers():
    """Groups of 30 candidates; the original has a higher 'gain' and a lower 'noise' on average. Damped
    Newton must converge (an undamped step diverged on real data and ranked the original last)."""
    rng = np.random.default_rng(1)
    rows, starts = [], []
    for g in range(400):
        starts.append(sum(len(r) for r in rows))
        x = rng.normal(size=(30, 2)) * [3.0, 1.0]
        x[0, 0] += 4.0  # the original first
        x[0, 1] -= 1.0
        rows.append(x)
    X = np.concatenate(rows)
    y = np.zeros(len(X))
    y[starts] = 1
    m = fit_conditional_logit(("gain", "noise"), X, np.array(starts), y)

    def top1(z):
        return np.mean([np.argmax(z[s : s + 30]) == 0 for s in starts])

    # the generating rule's own log-likelihood ratio: 4/9 per unit of gain, −1 per unit of noise
    oracle = top1(X[:, 0] * 4 / 9 - X[:, 1])
    assert top1(m.decision(X)) >= oracle - 0.02 and oracle > 0.25
    assert m.weights[0] > 0 > m.weights[1]


def _model(names=F.SPAN_FEATURES) -> Model:
    def lg(ns):
        n = len(ns)
        return Logistic(tuple(ns), np.zeros(n), np.ones(n), np.zeros(n))

    return Model(ranker=lg(F.PAIR_FEATURES), detector=lg(names), preranker=lg(F.PRE_FEATURES), pool_k=32,
                 gate=lg(F.GATE_FEATURES), context=lg(F.CONTEXT_FEATURES), doc=lg(F.DOC_FEATURES))


def test_model_round_trip_and_feature_name_check(tmp_path):
    path = tmp_path / "m.json"
    _model().save(path)
    m = load(path)
    assert m.pool_k == 32 and m.detector.names == F.SPAN_FEATURES
    stale = tmp_path / "stale.json"
    _model(F.SPAN_FEATURES[:-1] + ("an_old_feature",)).save(stale)
    with pytest.raises(ModelError, match=r"detector was trained on other features.*retrain"):
        load(stale)
    other = tmp_path / "other.json"
    d = json.loads(path.read_text())
    d["format"] = "unspin-model-1"
    other.write_text(json.dumps(d))
    with pytest.raises(ModelError, match="unspin-model-2"):
        load(other)


def test_feature_matrix_is_ordered_by_name_and_refuses_missing_columns():
    cols = {n: np.full(3, float(i)) for i, n in enumerate(F.GATE_FEATURES)}
    M = F.matrix(dict(reversed(list(cols.items()))), F.GATE_FEATURES)
    assert M.shape == (3, len(F.GATE_FEATURES)) and list(M[0]) == [float(i) for i in range(len(F.GATE_FEATURES))]
    del cols["attraction"]
    with pytest.raises(KeyError, match="attraction"):
        F.matrix(cols, F.GATE_FEATURES)


def test_near_rare_counts_other_rare_spans_within_the_window():
    starts = np.array([0, 3, 6, 40])  # word indexes
    zipf = np.array([5.0, 2.0, 2.5, 2.0])
    out = F.near_rare(starts, zipf)
    assert list(out) == [1.0, 0.5, 0.5, 0.0]  # the last one has no neighbour within 10 words
    assert list(F.near_rare(starts, zipf, window=3)) == [0.0, 0.0, 0.0, 0.0]  # neighbours 3 words apart are out


def test_article_fix_signs():
    # "an inquiry" → "probe": the article suits the candidate only after the swap back
    assert F.article_fix(np.array([2]), np.array([True]), np.array([False]))[0] == -1.0
    assert F.article_fix(np.array([1]), np.array([True]), np.array([False]))[0] == 1.0  # "a inquiry" → "a probe"
    assert F.article_fix(np.array([0]), np.array([True]), np.array([False]))[0] == 0.0


def test_span_threshold_choice_holds_every_register():
    from unspin import train

    # two registers of 1,000 clean words each; spans with known probabilities
    def doc(register, probs, condition="clean"):
        n = len(probs)
        d = train.DocData(id=register, register=register, condition=condition, words=1000, n_true=0,
                          G=np.zeros((n, len(F.GATE_FEATURES))), spun_all=np.zeros(n, bool), scored=np.arange(n),
                          M=np.zeros((n, len(F.SPAN_FEATURES)), np.float32), start=np.arange(n) * 10,
                          end=np.arange(n) * 10 + 5, top1=np.zeros(n, np.int64), top3=np.zeros((n, 3), np.int64),
                          truth_form=np.full(n, -1), in_pool=np.zeros(n, bool))
        return d, train.Decided(np.array(probs), np.array(probs), np.zeros(len(F.DOC_FEATURES)), 0.1)

    dev = [doc("news", [0.95, 0.6, 0.3]), doc("fiction", [0.7, 0.65, 0.2])]
    # budget 1 per 1,000 words: news needs t > 0.6, fiction needs t > 0.65 → 0.7 passes news? no: 0.95 ≥ 0.7
    assert train.choose_span_threshold(dev, 1.0) == pytest.approx(0.66)
    assert train.fp_by_register(dev, 0.66) == {"news": 1.0, "fiction": 1.0}
    assert train.choose_span_threshold(dev, 0.0) == pytest.approx(0.96)
    # a joined long document counts apart: its many quiet words do not dilute the short documents' false alarms
    long_d, long_dec = doc("fiction", [0.1] * 3)
    long_d.id, long_d.words = train.JOIN_PREFIX + "a+b", 9000
    long_dev = dev + [(long_d, long_dec)]
    assert train.fp_by_register(long_dev, 0.66) == {"news": 1.0, "fiction": 1.0, "fiction/long": 0.0}
    assert train.choose_span_threshold(long_dev, 1.0) == pytest.approx(0.66)  # pooled with fiction's: 0.61
    long_d.id = "fiction"
    assert train.choose_span_threshold(long_dev, 1.0) == pytest.approx(0.61)


def test_boosted_trees_predict_large_inputs_in_blocks_with_the_same_numbers():
    import numpy as np

    from unspin import model as M

    rng = np.random.default_rng(1)
    X = rng.normal(size=(2000, 4))
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(float)
    trees = M.Trees.fit(["a", "b", "c", "d"], X, y, iters=30)
    whole = trees.decision(X)
    trees.BLOCK_CELLS = 30 * 7  # blocks of 7 rows
    assert np.array_equal(trees.decision(X), whole)


def test_logistic_partials_over_a_partition_sum_to_the_decision():
    rng = np.random.default_rng(1)
    names = ("a", "b", "c", "d")
    m = Logistic(names, rng.normal(size=4), rng.uniform(0.5, 2, size=4), rng.normal(size=4))
    X = rng.normal(size=(50, 4))
    first, rest = ("c", "a"), ("d", "b")
    cols = {n: X[:, j] for j, n in enumerate(names)}
    total = (m.partial(first, np.column_stack([cols[n] for n in first]))
             + m.partial(rest, np.column_stack([cols[n] for n in rest])))
    assert np.allclose(total, m.decision(X), rtol=0, atol=1e-12)
    assert not np.allclose(m.partial(first, np.column_stack([cols[n] for n in first])), m.decision(X))


def test_gate_trees_and_span_prior_round_trip_and_roles(tmp_path):
    """The gate may be boosted trees (it decides which spans are scored); the span prior, P(spun) from the same
    cheap facts, feeds the corpus screen. Older files have no span prior: the gate's probabilities serve."""
    from unspin.model import Trees

    rng = np.random.default_rng(3)
    X = rng.normal(size=(600, len(F.GATE_FEATURES)))
    y = X[:, 1] + 0.5 * X[:, 2] > 0.3
    m = _model()
    m.gate = Trees.fit(F.GATE_FEATURES, X, y, iters=20)
    m.gate_threshold = 0.0
    m.span_prior = Logistic(F.GATE_FEATURES, np.zeros(len(F.GATE_FEATURES)), np.ones(len(F.GATE_FEATURES)),
                            np.r_[1.0, np.zeros(len(F.GATE_FEATURES) - 1)])
    path = tmp_path / "m.json"
    m.save(path)
    back = load(path)
    assert isinstance(back.gate, Trees) and np.array_equal(back.gate_keep(X), m.gate_keep(X))
    assert 0.5 < back.gate_keep(X)[y].mean() and back.gate_keep(X)[~y].mean() < 0.5
    assert np.allclose(back.span_prior_p(X), m.span_prior.predict(X))
    assert not np.allclose(back.span_prior_p(X), back.gate.predict(X))
    back.span_prior = None  # an older model file
    assert np.allclose(back.span_prior_p(X), back.gate.predict(X))
    assert back.span_prior_p(X[:0]).shape == (0,)


def test_gate_labels_are_what_the_detector_makes_of_each_span():
    from unspin.train import GATE_FLOOR, _gate_labels

    class D:
        G = np.zeros((5, 2))
        M = np.array([[GATE_FLOOR / 2], [0.9], [GATE_FLOOR]])
        scored = np.array([0, 2, 4])

    class Det:
        def predict(self, X):
            return X[:, 0]

    assert _gate_labels(D, Det()).tolist() == [False, False, True, False, True]


def test_doc_cut_extrapolates_the_clean_tail_beyond_the_largest_dev_score():
    """The largest of n clean dev scores is passed by about 1 in n+1 new clean documents, so a register of ~100
    test documents would get a `spun` verdict by construction: the cut is also where the pooled clean tail
    falls to a tenth of the allowed share."""
    from unspin import train

    rng = np.random.default_rng(5)
    logits = rng.logistic(-2.0, 0.6, 200_000)  # log-odds with an exponential upper tail, as the model assumes
    scores = 1 / (1 + np.exp(-logits))
    dev_part, new = scores[:800], scores[800:]
    cut = train.tail_cut(dev_part, 0.0005)
    assert cut > dev_part.max()  # beyond what dev showed
    assert 0.0001 <= (new >= cut).mean() <= 0.0015  # near the asked rate on documents it never saw
    cuts = [train.tail_cut(dev_part, sh) for sh in (0.05, 0.01, 0.001)]
    assert cuts == sorted(cuts) and cuts[0] < np.quantile(dev_part, 0.99)
    assert train.tail_cut([], 0.01) == 0.5 and 0 < train.tail_cut([0.3], 0.01) < 1

    class Dec:
        def __init__(self, s):
            self.score = s

    class D:
        def __init__(self, reg, cond="clean"):
            self.register, self.condition, self.words = reg, cond, 300

    dev = [(D("news" if i % 2 else "fiction"), Dec(float(s))) for i, s in enumerate(dev_part)]
    dev += [(D("news", "moby/crude/0.3"), Dec(0.99))]
    spun_cut, clean_cut = train.choose_doc_thresholds(dev)
    assert spun_cut >= max(train.tail_cut(dev_part, 0.001), dev_part.max()) - 1e-9 and clean_cut <= spun_cut


def test_short_texts_are_runs_of_whole_consecutive_sentences():
    from unspin import train
    from unspin.corpus import Doc
    from unspin.model import SHORT_TEXT_WORDS
    from unspin.text import count_words

    def sentence(i, n):
        return " ".join(["Word"] + [f"w{i}x{j}" for j in range(n - 1)]) + "."

    long_one = sentence(99, 200)  # longer than any short text: skipped, never cut
    body = " ".join(sentence(i, 7 + i % 13) for i in range(60))
    docs = [Doc("a", body + " " + long_one + " " + body, "news"), Doc("b", body, "fiction"), Doc("c", body, "news")]
    out = train.short_texts(docs, per_register=5, seed=1)
    assert [r for r, _ in out].count("news") == 5 and [r for r, _ in out].count("fiction") == 5
    for _, text in out:
        assert 40 <= count_words(text) < SHORT_TEXT_WORDS
        assert text.startswith("Word ") and text.endswith(".") and "w99x" not in text
        assert text in body  # consecutive sentences, as written
    assert out == train.short_texts(docs, per_register=5, seed=1)  # seeded


def test_short_texts_need_the_fewest_findings_that_keep_honest_ones_within_the_share():
    from unspin import train

    total = {"news": 1000, "fiction": 1000}
    # (register, different findings) of honest short texts the spin score alone would call spun
    rows = [("news", 1)] * 30 + [("news", 2)] * 6 + [("fiction", 3)] * 3 + [("fiction", 4)]
    need, called = train.findings_needed(rows, total, share=0.01)
    # 1 finding: 40 spun (2 %); 2: 10 in all, news 6 ≤ 10 but 10 > 2 (0.1 % of 2,000); 3: 4 > 2; 4: 1 — the answer
    assert need == 4 and called[4] == 1 and called[3] == 4 and 2 not in called
    assert train.findings_needed([], total)[0] == 1  # nothing reaches the cut: one finding, as for documents
    many = [("news", train.SHORT_MAX_FINDINGS)] * 50
    assert train.findings_needed(many, total)[0] == train.SHORT_MAX_FINDINGS  # the most it asks for


def test_boosted_trees_walk_gives_scikit_learns_own_decisions():
    """Trees.decision (numpy walk over the exported nodes, one child gather per level) equals the fitted
    HistGradientBoostingClassifier's decision_function on finite inputs (features are never NaN: the walk sends
    NaN right, and scikit-learn's learned direction for missing values is not exported)."""
    from unspin.model import Trees

    sklearn_ensemble = pytest.importorskip("sklearn.ensemble")
    rng = np.random.default_rng(8)
    X = rng.normal(size=(3000, 5))
    y = ((X[:, 0] + 0.5 * X[:, 1] * X[:, 2] - np.abs(X[:, 3])) > 0).astype(int)
    trees = Trees.fit(list("abcde"), X, y, iters=25, seed=3)
    clf = sklearn_ensemble.HistGradientBoostingClassifier(
        max_iter=25, learning_rate=0.1, max_depth=7, max_leaf_nodes=31, min_samples_leaf=40, l2_regularization=1.0,
        random_state=3, early_stopping=False).fit(X, y)
    X2 = rng.normal(size=(500, 5)) * 2
    assert np.allclose(trees.decision(X2), clf.decision_function(X2), rtol=0, atol=1e-9)


def test_training_caches_keep_the_newest_two_generations_of_each_kind(tmp_path, monkeypatch):
    """Each change to the extraction code keys a new cache of 100-300 MB; older ones must not pile up."""
    import os

    from unspin import train

    monkeypatch.setenv("UNSPIN_CACHE_DIR", str(tmp_path))
    names = ["dev-spans@c1-a", "dev-spans@c1-b", "dev-spans@c1-c", "train-spans@c1-x", "dev-spans@c2-a", "dev-spans@c2-b",
             "dev-spans@c2-c"]
    for i, name in enumerate(names):
        (tmp_path / f"{name}.pkl").write_bytes(b"old")
        os.utime(tmp_path / f"{name}.pkl", (1000 + i, 1000 + i))
    built = []
    out = train._cached("dev-spans", ["a new extraction code"], lambda: built.append(1) or {"rows": 3}, log=lambda m: None,
                        scope="c1")
    assert out == {"rows": 3} and built == [1]
    left = sorted(p.name for p in tmp_path.glob("*.pkl"))
    # the new one and the newest before it; another kind, and another corpus's caches, untouched
    assert len(left) == 6 and "dev-spans@c1-c.pkl" in left and "train-spans@c1-x.pkl" in left
    assert {"dev-spans@c2-a.pkl", "dev-spans@c2-b.pkl", "dev-spans@c2-c.pkl"} <= set(left)
    again = train._cached("dev-spans", ["a new extraction code"], lambda: built.append(2), log=lambda m: None, scope="c1")
    assert again == {"rows": 3} and built == [1]  # read from the cache, nothing pruned
    assert len(list(tmp_path.glob("*.pkl"))) == 6
    # another corpus's caches of the same code are its own: built again, not read
    train._cached("dev-spans", ["a new extraction code"], lambda: built.append(3) or {}, log=lambda m: None, scope="c2")
    assert built == [1, 3]


def test_corpus_scope_names_the_corpus_folder(tmp_path):
    from unspin import train

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert train.corpus_scope(tmp_path / "a") == train.corpus_scope(str(tmp_path / "b" / ".." / "a"))
    assert train.corpus_scope(tmp_path / "a") != train.corpus_scope(tmp_path / "b")


def test_a_partly_spun_training_document_keeps_its_other_sentences_byte_identical():
    from unspin import corpus, train

    text = " ".join(f"The council said on Monday that the {w} plan would change the way the city pays its workers."
                    for w in ("new", "old", "first", "second", "third", "last", "main", "other", "final", "big"))
    doc = corpus.Doc("x", text + " " + text, "news", "g")
    shares = []
    for seed in range(6):
        task = train.Task(doc, "moby", "crude", 0.3, seed, False, True, part=True)
        assert task.partial and task.condition == "moby/crude/0.3/part"
        a, b = train.part_bounds(doc.text, seed)
        assert 0 < a or b < len(doc.text)  # never the whole text
        out, res = train._spin(task)
        assert out.startswith(doc.text[:a]) and out.endswith(doc.text[b:])
        assert res.spans and all(a <= s.start and s.end <= len(out) - (len(doc.text) - b) for s in res.spans)
        shares.append(len(doc.text[a:b].split()) / len(doc.text.split()))
        assert doc.text[a - 1 : a] in ("", " ") and doc.text[b - 1] == "."  # whole sentences
    assert min(shares) >= train.PART_SPAN[0] - 0.06 and max(shares) <= train.PART_SPAN[1] + 0.06
    short = corpus.Doc("y", "Too short to keep part of it as written.", "news", "g")
    assert not train.Task(short, "moby", "crude", 0.3, 1, False, True, part=True).partial
    assert not train.Task(doc, None, None, 0.0, 1, False, True, part=True).partial  # clean stays clean
    # the extra partly spun tasks: about PART_SHARE of the spun tasks of long documents, with seeds of their own
    tasks = [train.Task(d, s, "crude", 0.2, seed, False, True) for seed in range(200)
             for d, s in ((doc, "moby"), (short, "moby"), (doc, None))]
    extra = train.partial_tasks(tasks)
    assert all(t.partial and t.doc is doc and t.source == "moby" for t in extra)
    assert abs(len(extra) / 200 - train.PART_SHARE) < 0.12
    whole = {t.seed for t in tasks if t.source and t.doc is doc}
    assert {t.seed - 1 for t in extra} <= whole  # spun again with a seed of its own


def test_joined_long_training_documents_keep_their_members_whole_and_stay_out_of_document_stages():
    from types import SimpleNamespace

    from unspin import corpus, train

    def doc(i: int, register: str) -> corpus.Doc:
        sents = " ".join(f"Story {i} says the {w} plan of the council would change how the city pays staff."
                         for w in ("new", "old", "first", "second", "third", "last", "main", "other", "final", "big"))
        return corpus.Doc(f"{register}-{i}", " ".join([sents] * 4), register, f"g{i}")  # ~640 words

    docs = [doc(i, r) for r in ("news", "fiction") for i in range(40)]
    tasks = [train.Task(d, None, None, 0.0, i, False, True) for i, d in enumerate(docs)]
    tasks.append(train.Task(corpus.Doc("news-0@1+2", "A cut snippet of news.", "news", "g0"), None, None, 0.0, 99,
                            False, True))
    joined = train.joined_tasks(tasks, seed=5)
    assert joined and [t.doc.id for t in train.joined_tasks(tasks, seed=5)] == [t.doc.id for t in joined]
    by_id = {d.id: d for d in docs}
    used: dict[str, int] = {}
    for t in joined:
        assert t.doc.id.startswith(train.JOIN_PREFIX) and "@" not in t.doc.id  # never a snippet
        members = [by_id[i] for i in t.doc.id[len(train.JOIN_PREFIX):].split("+")]
        assert {m.register for m in members} == {t.doc.register}
        assert t.doc.text == "\n\n".join(m.text for m in members)  # each member byte-identical
        assert train.JOIN_WORDS[0] <= t.doc.words <= train.JOIN_WORDS[1] + max(m.words for m in members)
        assert len(set(m.id for m in members)) == len(members)
        used[t.doc.register] = used.get(t.doc.register, 0) + t.doc.words
        assert t.part and t.stretch == train.JOIN_SPAN
        assert t.condition == "clean" if t.source is None else t.condition.endswith("/part")
    for register in ("news", "fiction"):  # about JOIN_SHARE of the register's words again
        share = used[register] / sum(d.words for d in docs if d.register == register)
        assert train.JOIN_SHARE - 0.01 <= share <= train.JOIN_SHARE + train.JOIN_WORDS[1] / 25_600 + 0.05
    assert {t.source is None for t in joined} == {True, False}  # clean and spun ones
    spun = next(t for t in joined if t.source is not None)
    out, res = train._spin(spun)
    a, b = train.part_bounds(spun.doc.text, spun.seed, train.JOIN_SPAN)
    assert out.startswith(spun.doc.text[:a]) and out.endswith(spun.doc.text[b:]) and res.spans
    share = len(spun.doc.text[a:b].split()) / spun.doc.words
    assert train.JOIN_SPAN[0] - 0.03 <= share <= train.JOIN_SPAN[1] + 0.03
    # every stage but the findings' second pass leaves joined and partly spun documents out
    assert not train._whole(SimpleNamespace(id=joined[0].doc.id, condition="clean"))
    assert not train._whole(SimpleNamespace(id="news-1", condition="moby/crude/0.3/part"))
    assert train._whole(SimpleNamespace(id="news-1", condition="clean"))
