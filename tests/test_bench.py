"""The benchmark and training harnesses: metrics on hand-checked examples, and tiny end-to-end runs on a
corpus of our own sentences (no ../shared/data)."""
import json
from argparse import Namespace
from pathlib import Path

import pytest

from unspin.metrics import SpanScore, auc, score_findings
from unspin.types import Finding

SENTENCES = [
    "The council approved the new budget after a long debate about roads and schools.",
    "Farmers in the northern district say the rain came too late for this year's wheat crop.",
    "The hospital opened a new ward for children with breathing problems last month.",
    "Police arrested two men after a car was stolen from a parking lot near the station.",
    "The company reported higher profits as sales of its electric bikes rose sharply.",
    "Scientists found that the small fish can survive in very warm water for several days.",
    "The minister said the government would build more houses for young families.",
    "Students protested outside the university against the rise in tuition fees.",
]


def F(start, end, sugg, conf=0.9):
    return Finding(start, end, "x", tuple(sugg), conf)


def test_auc_hand_checked():
    # pairs (pos > neg): 0.9 beats both, 0.8 beats both, 0.3 beats 0.1 only → 5 of 6
    assert auc([0.9, 0.8, 0.3], [0.1, 0.4]) == pytest.approx(5 / 6)
    assert auc([0.5], [0.5]) == 0.5  # ties count half
    assert auc([1.0, 0.9], [0.1]) == 1.0


def test_span_scoring_hand_checked():
    truth = [(0, 5, "central"), (10, 15, "State"), (20, 30, "suspect")]
    findings = [
        F(0, 5, ["central", "key"]),  # found, restore@1
        F(11, 14, ["nation", "state"]),  # overlaps the 2nd: found, restore@3 only
        F(12, 15, ["state"]),  # second finding on the same span: ignored
        F(40, 45, ["x"]),  # false positive
    ]
    s = score_findings(findings, truth)
    assert (s.tp, s.fp, s.fn, s.r1, s.r3) == (2, 1, 1, 1, 2)
    m = s.metrics()
    assert m["precision"] == pytest.approx(2 / 3, abs=1e-4) and m["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert m["restore@1"] == 0.5 and m["restore@3"] == 1.0
    total = SpanScore()
    total.add(s)
    total.add(s)
    assert total.metrics()["true_spans"] == 6


@pytest.fixture
def tiny_corpus(tmp_path):
    root = tmp_path / "corpus"
    root.mkdir()
    for i in range(40):  # 40 documents of 5 sentences each, all our own sentences
        body = " ".join(SENTENCES[(i + k) % len(SENTENCES)] for k in range(5))
        (root / f"doc{i:02d}.txt").write_text(body + "\n")
    return root


def test_bench_quick_end_to_end(tiny_corpus, tmp_path):
    from unspin import bench
    from unspin.knowledge.thesaurus import available_sources

    out = tmp_path / "bench.json"
    args = Namespace(corpus=str(tiny_corpus), words=400, clean_words=400, rates="0.3", styles="crude", pps=None,
                     pps_limit=10, seed=5, out=str(out), quick=True)
    assert bench.main(args) == 0
    res = json.loads(out.read_text())
    # same (Moby) always; the cross conditions need Debian's mythes-en-us and wordnet-base
    expect = 1 + (set(available_sources()) >= {"moby", "mythes", "wordnet"}) * 2
    assert res["schema"] == 2 and len(res["conditions"]) == expect
    for m in res["conditions"]:
        assert 0.0 <= m["precision"] <= 1.0 and 0.0 <= m["recall"] <= 1.0 and m["true_spans"] > 0
        assert 0.0 <= m["candidate_coverage"] <= m["pool_coverage"] <= 1.0
        assert m["words_per_s"] > 0
    assert res["clean_by_register"]["txt"]["docs"] > 0


@pytest.mark.slow
@pytest.mark.needs("wordnet")  # training spins part of its data with WordNet (train.TRAIN_CONDITIONS)
def test_train_on_a_tiny_corpus_writes_a_loadable_model(tiny_corpus, tmp_path):
    from unspin import model as model_mod
    from unspin.train import train

    out = tmp_path / "model.json"
    logs = []
    m = train(root=tiny_corpus, words_per_register=6000, dev_words_per_register=2500, seed=3, out=out,
              log=logs.append, jobs=1, extract_cache=tmp_path / "extracted")
    loaded = model_mod.load(out)
    assert loaded.to_dict()["detector"] == m.to_dict()["detector"]
    assert 0.05 <= loaded.suspect_threshold <= loaded.threshold <= 0.999
    assert loaded.gate is not None and loaded.context is not None and loaded.doc is not None
    assert loaded.preranker is not None and loaded.pool_k > 0 and loaded.screen is not None
    assert any("dev metrics" in line for line in logs)
    assert len(list((tmp_path / "extracted").glob("*.pkl"))) == 4  # its caches in its own folder, none left behind


def test_screen_cut_is_the_hardest_conditions_quantile(tiny_corpus):
    """The first stage's cut: per spinner condition, the `lose` quantile of the decision values of the documents
    spun that way (recomputed here from the documented parts), and the smallest of them: no condition may lose
    more than its share because another one is easy."""
    import numpy as np

    from unspin import corpus, engine
    from unspin.spin import spin
    from unspin.train import screen_decisions, screen_threshold

    k = engine.knowledge()
    docs = corpus.load_documents(tiny_corpus)[:8]
    conditions = (("moby", "crude", 0.1), ("moby", "crude", 0.4), ("moby", "rewriter", 0.4))
    cut, calib = screen_threshold(docs, k.model, k, lose=0.25, conditions=conditions, n_docs=8, seed=7)
    assert set(calib["quantiles"]) == {"moby/crude/0.1", "moby/crude/0.4", "moby/rewriter/0.4"}
    for source, style, rate in conditions:
        z = screen_decisions([spin(d.text, rate=rate, seed=7 + i, style=style, sources=(source,)).text
                              for i, d in enumerate(docs)], k, k.model)
        q = calib["quantiles"][f"{source}/{style}/{rate}"]
        assert q == pytest.approx(float(np.quantile(z, 0.25)), abs=1e-4)
        assert cut <= q + 1e-9 and np.mean(z < cut) <= 0.25
    assert cut == min(calib["quantiles"].values()) == calib["threshold"]
    assert calib["documents_per_condition"] == 8
    assert screen_threshold([], k.model, k) == (-1e9, {})  # nothing to calibrate on: nothing is cleared


def test_clean_cut_is_the_hardest_conditions_quantile_of_spin_scores(tiny_corpus):
    """The `clean` verdict's cut over documents spun on the fly: per condition the `lose` quantile of their spin
    scores (what `check` computes), the smallest deciding; no document long enough leaves the caller's cut."""
    import numpy as np

    from unspin import corpus, engine
    from unspin.spin import spin
    from unspin.train import clean_cut

    k = engine.knowledge()
    docs = corpus.load_documents(tiny_corpus)[:6]
    conditions = (("moby", "rewriter", 0.3), ("moby", "rewriter", 0.6))
    cut, calib = clean_cut(docs, k.model, k, lose=0.25, conditions=conditions, n_docs=6, seed=3, min_words=40)
    for source, style, rate in conditions:
        scores = [engine.score_document(spin(d.text, rate=rate, seed=3 + i, style=style, sources=(source,)).text,
                                        k, k.model).spin_score for i, d in enumerate(docs)]
        q = calib["quantiles"][f"{source}/{style}/{rate}"]
        assert q == pytest.approx(float(np.quantile(scores, 0.25, method="lower")), abs=1e-4)
        assert np.mean(np.array(scores) < q - 1e-4) <= 0.25 and cut <= q
    assert cut == min(calib["quantiles"].values()) == calib["threshold"]
    assert clean_cut(docs, k.model, k, min_words=10_000) == (1.0, {})


@pytest.mark.needs("wordnet")  # the cut is chosen over Moby- and WordNet-spun documents (train.SCREEN_CONDITIONS)
def test_train_cuts_only_changes_nothing_but_the_three_cuts(tiny_corpus, tmp_path, capsys):
    from unspin import model as model_mod
    from unspin import train
    from unspin.cli import main

    out = tmp_path / "m.json"
    assert main(["train", "--cuts-only", "--corpus", str(tiny_corpus), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "screen first-stage cut" in said and "clean verdict cut" in said and "a short text needs" in said
    shipped = json.loads(json.dumps(model_mod.load().to_dict()))  # a copy: the loaded model is shared
    new = json.loads(out.read_text())
    calib = new["meta"].pop("screen_calibration")
    assert new["screen_threshold"] == calib["threshold"] == min(calib["quantiles"].values())
    assert set(calib["quantiles"]) == {f"{s}/{st}/{r}" for s, st, r in train.SCREEN_CONDITIONS}
    clean = new["meta"].pop("clean_calibration")
    # the tiny corpus has no document of 150+ words: the clean cut stays as it was
    assert new["doc_clean"] == shipped["doc_clean"] and clean["crude_cut"] <= 1.0
    short = new["meta"].pop("short_calibration")
    # honest short texts cut from the tiny corpus's dev documents: the findings they need, chosen on them
    assert short["texts"] > 0 and new["short_spun_findings"] == short["findings"]
    assert 1 <= short["findings"] <= train.SHORT_MAX_FINDINGS
    for key in ("screen_calibration", "clean_calibration", "short_calibration"):
        shipped["meta"].pop(key, None)
    changed = ("screen_threshold", "doc_clean", "short_spun_findings")
    assert {k: v for k, v in new.items() if k not in changed} == {k: v for k, v in shipped.items() if k not in changed}
    assert model_mod.load(out).screen_threshold == new["screen_threshold"]  # a loadable model
    # the old name of the option still works
    assert main(["train", "--screen-only", "--corpus", str(tiny_corpus), "--out", str(tmp_path / "o.json")]) == 0
    # a corpus without dev documents is refused with the reason, and nothing is written
    bare = tmp_path / "bare"
    bare.mkdir()
    assert main(["train", "--cuts-only", "--corpus", str(bare), "--out", str(tmp_path / "n.json")]) == 4
    assert "unspin:" in capsys.readouterr().err and not (tmp_path / "n.json").exists()


@pytest.mark.slow
@pytest.mark.needs("wordnet")  # the extra partly spun documents come from training's conditions (WordNet among them)
def test_train_findings_pass_only_keeps_every_other_stage(tiny_corpus, tmp_path, capsys):
    from unspin import engine
    from unspin import features as Fe
    from unspin import model as model_mod
    from unspin import train
    from unspin.cli import main

    shipped = json.loads(json.dumps(model_mod.load().to_dict()))  # a copy: the loaded model is shared
    # a model file from before the local context: its one second pass read the document's evidence only
    old = dict(shipped)
    old["context"] = old.pop("doc_context")
    base = tmp_path / "old.json"
    base.write_text(json.dumps(old))
    out = tmp_path / "m.json"
    train.refit_findings_pass(base, root=tiny_corpus, words_per_register=6000, dev_words_per_register=2500, seed=3,
                              out=out, log=lambda line: None, jobs=1, extract_cache=tmp_path / "extracted")
    new = json.loads(out.read_text())
    assert new["doc_context"] == shipped["doc_context"]  # the old second pass now makes the spin score's counts
    assert tuple(new["context"]["names"]) == Fe.CONTEXT_FEATURES and new["context"] != shipped["context"]
    assert new["meta"]["findings_pass"]["train_docs"] > 0 and "dev_metrics" in new["meta"]["findings_pass"]
    changed = ("context", "threshold", "suspect_threshold", "short_spun_findings", "meta")
    assert {k: v for k, v in new.items() if k not in changed} == {k: v for k, v in shipped.items() if k not in changed}
    # so spin scores are the same as with the base model
    k = engine.knowledge()
    text = (Path(__file__).parents[1] / "examples" / "spun-news.txt").read_text(encoding="utf-8")
    refit = model_mod.load(out)
    assert engine.score_document(text, k, refit).spin_score == engine.score_document(text, k).spin_score
    # a base whose second pass reads other features is refused with the reason, and nothing is written
    bad = dict(old)
    bad["context"] = dict(old["context"], names=["bias"])
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    assert main(["train", "--findings-pass-only", str(tmp_path / "bad.json"), "--corpus", str(tiny_corpus),
                 "--out", str(tmp_path / "n.json")]) == 4
    assert "bad.json" in capsys.readouterr().err and not (tmp_path / "n.json").exists()


def test_model_file_round_trip_with_a_str_path(tmp_path):
    """`unspin train --out FILE` passes a str: saving must accept it."""
    from unspin import model as model_mod

    m = model_mod.load()
    target = str(tmp_path / "sub" / "m.json")
    m.save(target)
    assert model_mod.Model.from_dict(json.loads(open(target).read())).to_dict() == m.to_dict()
