"""Spinning tools: drawing and applying fixed dictionaries, learning them back, identification, clustering,
files, CLI and the screen integration. Our own sentences only."""
import json
import random
import sys

import numpy as np
import pytest

from unspin.cli import main
from unspin.spinners import (LearnedDictionary, LearnedEntry, SpinnerFileError, ToolDictionary, apply_dictionary,
                             identify, load_learned, load_tool, new_dictionary, to_json)
from unspin.spinners.learn import resolve

TEXT = ("The company said on Monday that its guidance for the year was unchanged. Analysts said the company "
        "had a difficult year, but the guidance surprised them. \"The company is strong,\" the chief said.")

# a hand-made tool: the same replacement every time
HAND = ToolDictionary({"company": ("visitant",), "say": ("voiceful",), "guidance": ("steerage",),
                       "year": ("twelvemonth",), "difficult": ("knotty", "thorny"), "chief executive": ("honcho",)},
                      seed=None, sources=("hand",), name="hand")

SENTENCES = [
    "The company said its guidance for the year was unchanged after a long meeting on Monday.",
    "Officials said the company would publish new guidance before the end of the year.",
    "Farmers said the dry year had been difficult for the company and its workers.",
    "The council said the guidance on water use would change next year.",
    "A spokesman said the company had seen a difficult start to the year.",
    "Researchers said the guidance was based on data collected over the year.",
    "The minister said the company must follow the new guidance this year.",
    "Growers said prices were difficult to predict this year, the company said.",
    "The report said the company had met its guidance for the third year in a row.",
    "Teachers said the new guidance had made the school year more difficult.",
    "The union said the company ignored the safety guidance last year.",
    "Doctors said the guidance would help patients through a difficult year.",
]


def _docs(tool, n=24, rate=0.5, seed=0):
    rng = random.Random(seed)
    out = []
    for i in range(n):
        text = " ".join(rng.sample(SENTENCES, 5))
        out.append(apply_dictionary(text, tool, rate=rate, seed=seed * 100 + i))
    return out


# ---- drawing and applying ------------------------------------------------------------------------------


def test_apply_is_a_fixed_dictionary_with_exact_alignment():
    r = apply_dictionary(TEXT, HAND, rate=1.0, seed=3)
    assert r.spans
    for s in r.spans:
        assert r.text[s.start : s.end] == s.spun
        assert TEXT[s.orig_start : s.orig_end] == s.original
    pos_o = pos_s = 0
    for s in r.spans:
        assert TEXT[pos_o : s.orig_start] == r.text[pos_s : s.start]
        pos_o, pos_s = s.orig_end, s.end
    assert TEXT[pos_o:] == r.text[pos_s:]
    # the same word always becomes the same replacement; inflection follows the original ("said" → base form
    # of an adjective stays as is); quoted speech is left alone
    swaps = {(s.original.lower(), s.spun.lower()) for s in r.spans}
    assert ("company", "visitant") in swaps and ("guidance", "steerage") in swaps and ("said", "voiceful") in swaps
    assert "The company is strong" in r.text
    assert r.to_dict()["style"] == "dictionary"


def test_apply_is_deterministic_and_rate_controls_the_share():
    a = apply_dictionary(TEXT, HAND, rate=0.5, seed=7)
    b = apply_dictionary(TEXT, HAND, rate=0.5, seed=7)
    assert a.text == b.text and a.spans == b.spans
    assert apply_dictionary(TEXT, HAND, rate=0.0, seed=1).text == TEXT
    with pytest.raises(ValueError):
        apply_dictionary(TEXT, HAND, rate=1.5)


def test_tools_and_the_learner_leave_single_quoted_speech_alone():
    """‘…’ is quoted speech for the dictionary tool as for the spinner, and the learner's pile leaves the same
    words out of its n-grams in the tool's output: what the tool could not touch is not evidence of it."""
    from unspin.spinners.pile import doc_sentences

    text = ("The chief told reporters, ‘the company had a difficult year’. Analysts said the company "
            "raised its guidance, and the Fletchers’ company had a difficult year too.")
    quote_a, quote_b = text.index("‘the"), text.index("year’") + 5
    r = apply_dictionary(text, HAND, rate=1.0, seed=2)
    assert r.spans and all(not (quote_a <= s.orig_start < quote_b) for s in r.spans)
    assert {s.original.lower() for s in r.spans} >= {"company", "difficult", "year", "said", "guidance"}
    for doc in (text, r.text):
        words = [w for seq, _ in doc_sentences(doc) for w in seq]
        assert "reporters" in words and "fletchers" in words
        assert words.count("had") == 1  # the quotation's "had" is left out, the narrative's kept


def test_small_fixed_sets_and_phrases():
    text = "It was difficult. It was difficult. It was difficult. It was difficult. The chief executive left."
    outs = set()
    for seed in range(6):
        r = apply_dictionary(text, HAND, rate=1.0, seed=seed)
        outs.update(s.spun.lower() for s in r.spans if s.original == "difficult")
        assert any(s.original == "chief executive" and s.spun == "honcho" for s in r.spans)
    assert outs == {"knotty", "thorny"}


def test_new_dictionary_is_seeded_rare_leaning_and_leaves_words_alone():
    a = new_dictionary(11)
    b = new_dictionary(11)
    c = new_dictionary(12)
    assert a.entries == b.entries
    assert a.entries != c.entries
    common = ["company", "said", "year", "government", "people", "water", "report", "price"]
    assert not {"the", "of", "and", "which"} & set(a.entries)  # function words never get entries
    # about keep_share of eligible headwords are left alone: compare with a tool that leaves nothing alone
    full = new_dictionary(11, keep_share=0.0)
    assert 0.6 < len(a) / len(full) < 0.9
    # each entry has one replacement or a small fixed set, never the word itself
    assert all(1 <= len(v) <= 3 and k not in v for k, v in a.entries.items())
    assert sum(1 for v in a.entries.values() if len(v) > 1) > 0.05 * len(a)
    # rare-leaning: replacements are on average rarer than the words they replace
    from unspin.knowledge import morph

    drop = [morph.zipf(k) - morph.zipf(v[0]) for k, v in a.entries.items() if k in common]
    assert drop and sum(drop) / len(drop) > 0.5


def test_tool_file_round_trip_and_clear_errors(tmp_path):
    p = tmp_path / "t.json"
    HAND.save(p)
    t = load_tool(p)
    assert t.entries == HAND.entries and t.name == "hand"
    cases = {
        "empty.json": "",
        "notjson.json": "{",
        "list.json": "[]",
        "noformat.json": json.dumps({"entries": {}}),
        "learned.json": json.dumps({"format": "unspin-learned-dictionary", "version": 1}),
        "future.json": json.dumps({"format": "unspin-spinner-tool", "version": 99, "entries": {}}),
        "badentry.json": json.dumps({"format": "unspin-spinner-tool", "version": 1, "entries": {"a": [3]}}),
    }
    for name, body in cases.items():
        f = tmp_path / name
        f.write_text(body)
        with pytest.raises(SpinnerFileError) as e:
            load_tool(f)
        assert name in str(e.value)
    with pytest.raises(SpinnerFileError, match="cannot read"):
        load_tool(tmp_path / "missing.json")


def test_cli_new_and_spin_with_dictionary(tmp_path, capsys):
    tool = tmp_path / "tool.json"
    assert main(["spinners", "new", "--seed", "4", "--out", str(tool)]) == 0
    data = json.loads(tool.read_text())
    assert data["format"] == "unspin-spinner-tool" and data["seed"] == 4 and len(data["entries"]) > 1000
    doc = tmp_path / "doc.txt"
    doc.write_text(" ".join(SENTENCES))
    capsys.readouterr()
    assert main(["spin", str(doc), "--dictionary", str(tool), "--rate", "0.5", "--seed", "2", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["spans"] and out["style"] == "dictionary"
    for s in out["spans"]:
        assert out["text"][s["start"] : s["end"]] == s["spun"]
        assert out["original"][s["orig_start"] : s["orig_end"]] == s["original"]
        assert data["entries"]  # every swap comes from the file
    # a rewriter site's tool: common synonyms instead of rare ones, the rest the same
    common = tmp_path / "common.json"
    assert main(["spinners", "new", "--seed", "4", "--choice", "common", "--out", str(common)]) == 0
    cdata = json.loads(common.read_text())
    assert cdata["params"]["rarity"] == -0.35 and data["params"]["rarity"] == 0.35
    assert set(cdata["entries"]) == set(data["entries"])  # the same words get entries (the same seed)
    from statistics import median

    from unspin.knowledge import morph

    def replacement_zipf(entries):
        return median(morph.zipf(v[0]) for v in entries.values() if " " not in v[0])

    assert replacement_zipf(cdata["entries"]) > replacement_zipf(data["entries"]) + 0.5
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something-else", "version": 1}')
    assert main(["spin", str(doc), "--dictionary", str(bad)]) == 4
    assert "bad.json" in capsys.readouterr().err
    # options that would change a tool's fixed choices are refused, not silently ignored
    assert main(["spin", str(doc), "--dictionary", str(tool), "--style", "careful", "--pos-blind", "no"]) == 2
    err = capsys.readouterr().err
    assert "--style, --pos-blind do not apply" in err


# ---- learning -----------------------------------------------------------------------------------------------


def test_resolve_keeps_the_best_original_and_drops_covered_units():
    scored = [(0.9, "horse latitudes", "climate", 3, 2, {}), (0.6, "latitudes", "climate", 3, 2, {}),
              (0.8, "voiceful", "said", 9, 6, {}), (0.7, "voiceful", "says", 9, 6, {}),
              (0.2, "nation", "country", 5, 3, {})]
    got = {(e.spun, e.original) for e in resolve(scored, 0.5)}
    assert got == {("horse latitudes", "climate"), ("voiceful", "said")}


def test_resolve_drops_a_phrase_around_an_entry_with_the_same_original():
    # "voiceful the company" occurs far less often than "voiceful", and gives the same original: the entry
    # voiceful → said already explains it (it used to become a second, wrong entry)
    scored = [(0.99, "voiceful", "said", 70, 24, {}), (0.9, "voiceful the company", "said", 14, 12, {}),
              (0.9, "voiceful tone", "voice", 14, 12, {})]
    got = {(e.spun, e.original) for e in resolve(scored, 0.5)}
    assert got == {("voiceful", "said"), ("voiceful tone", "voice")}


def test_learn_finds_a_hand_made_tools_frequent_entries_without_originals(tmp_path, capsys):
    docs = _docs(HAND, n=24, rate=0.5)
    pile = tmp_path / "pile"
    pile.mkdir()
    for i, r in enumerate(docs):
        (pile / f"{i}.txt").write_text(r.text)
    out = tmp_path / "farm.json"
    assert main(["spinners", "learn", str(pile), "--out", str(out)]) == 0
    assert "farm.json" in capsys.readouterr().out
    d = load_learned(out)
    assert d.documents == 24 and d.name == "farm"
    pairs = d.pairs()
    used = {}
    for r in docs:
        for s in r.spans:
            used[(s.spun.lower(), s.original.lower())] = used.get((s.spun.lower(), s.original.lower()), 0) + 1
    expected = {"steerage": "guidance", "visitant": "company", "voiceful": "said", "twelvemonth": "year"}
    found = [s for s, o in expected.items() if pairs.get(s) == o]
    assert len(found) >= 3, pairs
    wrong = [(s, o) for s, o in pairs.items() if (s, o) not in used]
    assert len(wrong) <= 1, wrong
    assert all(0.0 < e.confidence <= 1.0 and e.count >= 2 for e in d.entries)
    capsys.readouterr()
    assert main(["spinners", "learn", str(pile), "--out", str(tmp_path / "quick.json"), "--no-engine",
                 "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["schema"] == 2 and summary["documents"] == 24 and summary["out"].endswith("quick.json")
    # the file is a fingerprint list as it is
    assert main(["fingerprints", "import", str(out), "--db", str(tmp_path / "fp.sqlite")]) == 0


def _learned(name, pairs, words=20000):
    return LearnedDictionary([LearnedEntry(s, o, c, max(1, c // 2), 0.95) for s, o, c in pairs], 50, words, name)


A = _learned("farm-a", [("steerage", "guidance", 30), ("visitant", "company", 25), ("voiceful", "said", 60),
                        ("twelvemonth", "year", 20), ("firm", "company", 12)])
B = _learned("farm-b", [("counselling", "guidance", 30), ("troupe", "company", 25), ("forenamed", "said", 60),
                        ("luster", "year", 20)])


def test_learned_file_round_trip_and_fingerprint_export(tmp_path):
    from unspin.spinners import save

    p = tmp_path / "farm-a.json"
    save(A, p)
    data = json.loads(p.read_text())
    assert data["format"] == "unspin-learned-dictionary" and data["version"] == 1
    back = load_learned(p)
    assert back.pairs() == A.pairs() and back.words == A.words
    # a common word the tool writes ("firm") needs another hallmark of the tool in the document
    firm = next(x for x in data["phrases"] if x["tortured"] == "firm")
    assert firm["query"].startswith('"firm" AND (') and '"steerage"' in firm["query"]
    assert "firm" not in data["hallmarks"]
    for name, body in {"x.json": "[1]", "y.json": json.dumps({"format": "unspin-learned-dictionary", "version": 1,
                                                                "words": 5, "documents": 1,
                                                                "phrases": [{"tortured": "a"}]})}.items():
        f = tmp_path / name
        f.write_text(body)
        with pytest.raises(SpinnerFileError) as e:
            load_learned(f)
        assert name in str(e.value)


def test_imported_learned_list_flags_the_tools_text_but_not_honest_text(tmp_path):
    from unspin import fingerprints
    from unspin.spinners import save

    p = tmp_path / "farm-a.json"
    save(A, p)
    db = tmp_path / "fp.sqlite"
    info, res = fingerprints.import_file(p, db_path=db)
    assert len(res.entries) == len(A.entries)
    fs = fingerprints.load(db_path=db)
    spun = "The visitant voiceful its steerage for the twelvemonth was unchanged, and the firm agreed."
    got = {(f.text.lower(), f.suggestions[0].lower()) for f in fs.match(spun)}
    assert {("visitant", "company"), ("steerage", "guidance"), ("firm", "company")} <= got
    honest = "The firm said its advice for the year was unchanged."
    assert fs.match(honest) == []


def test_identify_names_the_tool_and_answers_none_for_honest_text():
    spun_a = ("The visitant voiceful its steerage for the twelvemonth was unchanged. Analysts voiceful the "
              "visitant had a hard twelvemonth.")
    spun_b = ("The troupe forenamed its counselling for the luster was unchanged. Analysts forenamed the troupe "
              "had a hard luster.")
    honest = ("The company said its guidance for the year was unchanged. Analysts said the company had a hard "
              "year, and the firm agreed.")
    ra, rb, rh = identify(spun_a, [A, B]), identify(spun_b, [A, B]), identify(honest, [A, B])
    assert ra.best == "farm-a" and ra.probability > 0.8
    assert rb.best == "farm-b" and rb.probability > 0.8
    assert rh.best == "none"
    assert identify("The firm said the firm was a firm.", [A, B]).best == "none"  # ordinary words: never proof
    assert abs(sum(ra.probabilities.values()) - 1.0) < 1e-9
    assert {s for s, _, _ in ra.hits["farm-a"]} >= {"visitant", "voiceful", "steerage", "twelvemonth"}
    # each dictionary compared is one more chance of a chance match: the bar rises with their number
    alone = identify(spun_a, [A])
    assert alone.best == "farm-a" and alone.threshold < ra.threshold
    assert ra.to_dict()["threshold"] == round(ra.threshold, 3)
    assert ra.llr["farm-a"] >= ra.threshold


def test_identify_pools_documents_of_one_source():
    one = "The visitant opened a new office in the north of the city on Monday."
    two = "Analysts voiceful the results were better than they had expected."
    alone = [identify(t, [A, B]) for t in (one, two)]
    pooled = identify([one, two], [A, B])
    assert pooled.documents == 2 and pooled.words == sum(r.words for r in alone)
    # each document holds one output of farm-a; together they hold two, so the evidence adds up
    assert pooled.llr["farm-a"] > max(r.llr["farm-a"] for r in alone)
    assert pooled.best == "farm-a" and pooled.probability > max(r.probabilities["farm-a"] for r in alone)
    assert {s for s, _, _ in pooled.hits["farm-a"]} >= {"visitant", "voiceful"}
    honest = ["The company opened a new office in the north of the city on Monday.",
              "Analysts said the results were better than they had expected."]
    assert identify(honest, [A, B]).best == "none"
    with pytest.raises(ValueError):
        identify([], [A, B])


def test_cli_identify(tmp_path, capsys):
    from unspin.spinners import save

    save(A, tmp_path / "a.json")
    save(B, tmp_path / "b.json")
    doc = tmp_path / "d.txt"
    doc.write_text("The troupe forenamed its counselling for the luster. The troupe forenamed it again.")
    capsys.readouterr()
    rc = main(["spinners", "identify", str(doc), "--spinners", str(tmp_path / "a.json"), str(tmp_path / "b.json"),
               "--format", "json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert out["best"] == "farm-b" and out["probability"] > 0.8 and out["schema"] == 2
    doc2 = tmp_path / "e.txt"
    doc2.write_text("Analysts forenamed the luster had been hard.")
    rc = main(["spinners", "identify", str(doc), str(doc2), str(tmp_path / "missing.txt"), "--together",
               "--spinners", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--format", "json"])
    assert rc == 4  # the missing file is named; the two that could be read are answered together
    got = capsys.readouterr()
    error, out = [json.loads(line) for line in got.out.splitlines()]
    assert error["path"].endswith("missing.txt") and "no such file" in error["error"] and error["schema"] == 2
    assert out["paths"] == [str(doc), str(doc2)] and out["documents"] == 2 and out["best"] == "farm-b"
    assert "missing.txt" in got.err
    assert main(["spinners", "identify", str(doc), str(doc2), "--together", "--spinners", str(tmp_path / "a.json"),
                 str(tmp_path / "b.json")]) == 0
    assert capsys.readouterr().out.startswith("2 documents together: farm-b (probability")
    # two copies of one dictionary: neither alone reaches the bar, together they are sure — said, not a bare "none"
    assert main(["spinners", "identify", str(doc), "--spinners", str(tmp_path / "b.json"),
                 str(tmp_path / "b.json")]) == 0
    said = capsys.readouterr().out
    assert said.startswith(f"{doc}: none alone (probability of none") and "farm-b 0." in said
    clean = tmp_path / "clean.txt"
    clean.write_text("The committee met on Monday and agreed to publish its report next week.")
    assert main(["spinners", "identify", str(clean), "--spinners", str(tmp_path / "b.json")]) == 0
    assert f"{clean}: none (probability of none" in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert main(["spinners", "identify", str(doc), "--spinners", str(bad)]) == 4
    assert "bad.json" in capsys.readouterr().err
    # the natural order swallows the document into the --spinners list: say how to write it
    assert main(["spinners", "identify", "--spinners", str(tmp_path / "b.json"), str(clean)]) == 2
    assert "put the documents before --spinners" in capsys.readouterr().err
    assert main(["spinners", "identify", "--spinners", str(tmp_path / "b.json"), "--", str(clean)]) == 0


def test_cli_identify_reads_directories_and_stdin_as_check_does(tmp_path, capsys, monkeypatch):
    """`identify site/` said 'site: is a directory' (learn, check and restore walk directories) and stdin was
    labelled '-' (check says '<stdin>')."""
    import io

    from unspin.spinners import save

    save(B, tmp_path / "b.json")
    site = tmp_path / "site"
    (site / "sub").mkdir(parents=True)
    (site / "a.txt").write_text("The troupe forenamed its counselling for the luster. The troupe forenamed it again.")
    (site / "sub" / "b.md").write_text("Analysts forenamed the luster had been hard.")
    (site / "skip.csv").write_text("not,a,text,file\n")
    capsys.readouterr()
    assert main(["spinners", "identify", str(site), "--spinners", str(tmp_path / "b.json"), "--format", "json"]) == 0
    got = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o["path"] for o in got] == [str(site / "a.txt"), str(site / "sub" / "b.md")]
    assert main(["spinners", "identify", str(site), "--together", "--spinners", str(tmp_path / "b.json")]) == 0
    assert capsys.readouterr().out.startswith("2 documents together: farm-b")
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO((site / "a.txt").read_bytes())))
    assert main(["spinners", "identify", "-", "--spinners", str(tmp_path / "b.json")]) == 0
    assert capsys.readouterr().out.startswith("<stdin>: farm-b")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["spinners", "identify", str(empty), "--spinners", str(tmp_path / "b.json")]) == 4
    assert "no text files in this directory" in capsys.readouterr().err


def test_learn_refuses_an_unwritable_out_before_learning(tmp_path, capsys, monkeypatch):
    import importlib

    learn_module = importlib.import_module("unspin.spinners.learn")  # (the package exports a function of that name)

    pile = tmp_path / "pile"
    pile.mkdir()
    (pile / "a.txt").write_text("The firm said its income rose.")
    monkeypatch.setattr(learn_module, "learn", lambda *a, **k: pytest.fail("learned before checking --out"))
    assert main(["spinners", "learn", str(pile), "--out", str(tmp_path / "no" / "such" / "farm.json")]) == 2  # usage: refused before any work
    assert "--out" in (err := capsys.readouterr().err) and "does not exist" in err
    assert main(["spinners", "learn", str(pile), "--out", str(pile)]) == 2
    assert "is a directory" in capsys.readouterr().err


# ---- clustering and screen -------------------------------------------------------------------------------

HAND2 = ToolDictionary({"company": ("troupe",), "say": ("forenamed",), "guidance": ("counselling",),
                        "year": ("luster",), "difficult": ("arduous",)}, seed=None, sources=("hand",), name="hand2")


def test_cluster_separates_two_tools():
    from unspin.spinners import cluster

    docs = [(f"a{i}", r.text) for i, r in enumerate(_docs(HAND, 12, 0.6, seed=1))]
    docs += [(f"b{i}", r.text) for i, r in enumerate(_docs(HAND2, 12, 0.6, seed=2))]
    res = cluster(docs, min_docs=4)
    assert res.clusters
    for c in res.clusters:
        kinds = {d[0] for d in c.documents}
        assert len(kinds) == 1, c.documents  # pure
    # the tool with very rare outputs is found whole; the other (commoner outputs: "troupe", "luster") may stay
    # unclustered, but is never mixed in
    assert max(len(c.documents) for c in res.clusters) >= 10


def test_screen_learn_spinners_writes_clusters_and_escapes_them(tmp_path):
    from unspin.screen import screen

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i, r in enumerate(_docs(HAND, 10, 0.6, seed=3)):
        (corpus / f"a{i}.txt").write_text(r.text)
    for i, r in enumerate(_docs(HAND2, 10, 0.6, seed=4)):
        (corpus / f"b{i}<img src=x onerror=alert(1)>.txt").write_text(r.text)
    out = tmp_path / "out"
    screen([str(corpus)], out, jobs=1, learn_spinners=True, spinner_min_docs=3,
           check_fn=lambda text, **kw: __import__("unspin").check(text, fingerprints=False))
    rec = json.loads((out / "spinners" / "clusters.json").read_text())
    page = (out / "summary.html").read_text()
    assert "Spinning tools" in page
    assert "<img src=x" not in page
    if rec["clusters"]:
        assert (out / rec["clusters"][0]["file"]).exists()
    assert "From an earlier run" not in page
    # more documents screened later without the option: the old clusters are shown as what they are
    (corpus / "late.txt").write_text(_docs(HAND, 1, 0.6, seed=9)[0].text)
    screen([str(corpus)], out, jobs=1, check_fn=lambda text, **kw: __import__("unspin").check(text, fingerprints=False))
    page = (out / "summary.html").read_text()
    assert "Spinning tools" in page and "From an earlier run, when this output held 20 documents" in page


def test_learn_aligns_spun_variants_of_one_text():
    """One story spun six times (a farm posting it on six sites): the copies aligned with each other give the
    tool's pairs exactly, the rarer reading as the tool's; the story's own words are not taken for its output,
    so the honest original is not attributed to the learned tool while a copy is."""
    from unspin.spinners import learn
    from unspin.spinners.variants import variant_evidence

    story = " ".join(random.Random(4).sample(SENTENCES, 7))
    copies = [apply_dictionary(story, HAND, 0.5, seed).text for seed in range(6)]
    v = variant_evidence(copies)
    assert v.groups == [list(range(6))]
    assert {("voiceful", "said"), ("twelvemonth", "year"), ("visitant", "company"), ("steerage", "guidance")} <= \
        set(v.pairs)
    assert all(o in HAND.entries or o in ("said",) for _, o in v.pairs)  # never the reverse direction
    assert {"company", "guidance", "council"} <= v.not_spun and not {"visitant", "steerage"} & v.not_spun
    # one copy posted three times more is no evidence that its words are the story's
    again = variant_evidence([copies[0]] * 4 + copies[1:2])
    assert again.groups == [[0, 4]] and not {"visitant", "steerage", "twelvemonth"} & again.not_spun
    d = learn(copies, name="farm")
    got = {e.spun: (e.original, e.source) for e in d.entries}
    assert got["visitant"] == ("company", "variants") and got["steerage"] == ("guidance", "variants")
    # the confidence is what such pairs measured on dev tools: six copies settle a direction better than two
    six = v.confidence(("visitant", "company"))
    two = variant_evidence(copies[:2])
    pair = next(iter(two.pairs))
    assert v.copies[("visitant", "company")] == 6 and six >= 0.89
    assert two.copies[pair] == 2 and two.confidence(pair) <= 0.87 < six
    assert {e.confidence for e in d.entries if e.spun == "visitant"} == {six}
    assert d.meta["variant_groups"] == 1 and d.meta["variant_documents"] == 6
    assert identify(copies[0], [d]).best == "farm" and identify(story, [d]).best == "none"


def test_cli_learn_says_when_documents_are_variants(tmp_path, capsys):
    story = " ".join(random.Random(4).sample(SENTENCES, 7))
    pile = tmp_path / "copies"
    pile.mkdir()
    for seed in range(4):
        (pile / f"{seed}.txt").write_text(apply_dictionary(story, HAND, 0.5, seed).text)
    out = tmp_path / "l.json"
    assert main(["spinners", "learn", str(pile), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "4 documents are spun variants of 1 text:" in text and "(variants)" in text
    assert {"variants"} <= {p["source"] for p in json.loads(out.read_text())["phrases"]}
    assert main(["spinners", "learn", str(pile), "--out", str(out), "--no-variants"]) == 0
    assert "variants" not in capsys.readouterr().out
    assert "variants" not in {p["source"] for p in json.loads(out.read_text())["phrases"]}


def test_documents_sharing_sentences_in_another_order_are_not_variants():
    """Word sets overlap, but the alignment matches too little: no group, no pairs, the learner as without."""
    from unspin.spinners.variants import variant_evidence

    rng = random.Random(2)
    texts = [" ".join(rng.sample(SENTENCES, 8)) for _ in range(5)]
    v = variant_evidence(texts)
    assert not v.groups and not v.pairs and not v.not_spun


def test_learn_with_a_trace_index_takes_exact_pairs_and_drops_contradicted_ones(tmp_path, capsys):
    rng = random.Random(3)
    src, spun = tmp_path / "src", tmp_path / "spun"
    src.mkdir()
    spun.mkdir()
    for i in range(8):
        text = " ".join(rng.sample(SENTENCES, 6))
        (src / f"{i}.txt").write_text(text)
        (spun / f"{i}.txt").write_text(apply_dictionary(text, HAND, 0.5, i).text)
    idx = tmp_path / "idx"
    assert main(["index", "add", str(src), "--index", str(idx)]) == 0
    out = tmp_path / "l.json"
    assert main(["spinners", "learn", str(spun), "--index", str(idx), "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    got = {(p["tortured"], p["correct"]) for p in data["phrases"]}
    assert {("twelvemonth", "year"), ("voiceful", "said"), ("steerage", "guidance"), ("visitant", "company")} <= got
    assert all(p["source"] == "trace" for p in data["phrases"]), data["phrases"]
    assert all(p["confidence"] == 0.99 for p in data["phrases"])


def test_identification_threshold_keeps_unlearned_tools_from_being_named_and_rises_with_dictionaries():
    """Calibration (spinners train): a dev tool's documents against the *other* tools' dictionaries stand for a
    tool nobody learned; per dictionary at most share/K of those chance LLRs (and of clean documents') may reach
    the threshold for K dictionaries, so the threshold rises with K."""
    from unspin.spinners import train as sp_train
    from unspin.spinners.identify import attribution_threshold

    # 3 dictionaries; rows: documents (LLR per dictionary); own: the document's tool (−1: clean)
    L = np.array([[9.0, 1.0, 0.5], [2.0, 8.0, 0.0], [4.0, 1.0, 4.5], [1.0, 6.5, 0.0], [0.0, 0.0, 7.0],
                  [0.5, 0.2, 0.1], [0.3, 0.6, 0.0]])
    P = np.ones(L.shape, dtype=bool)
    own = np.array([0, 1, 0, 1, 2, -1, -1])
    ev = sp_train.evaluate_identify(L, P, own, max_clean_share=0.0, max_unknown_share=0.0, compared=2)
    # the largest chance LLR is document 2's 4.5 against dictionary 2: nothing below it may be named
    assert 4.5 < ev["tau"] < 4.6
    assert ev["unknown_attributed"] == 0.0 and ev["clean_attributed"] == 0.0
    assert ev["accuracy"] == 0.8  # document 2 is its tool's (4.0 vs 1.0) but below the threshold: "none"
    assert ev["argmax_accuracy"] == 1.0
    # without proof (no rare hit) a document is never attributed, and its chance LLRs do not count
    P2 = P.copy()
    P2[2, 2] = False
    assert sp_train.evaluate_identify(L, P2, own, 0.0, 0.0, compared=2)["tau"] < 2.1
    tail = {"foreign": [6.0, 5.0, 4.0, 3.0, 2.0, 1.0], "foreign_n": 100, "clean": [0.5], "clean_n": 100,
            "unknown_share": 0.05, "clean_share": 0.01}
    taus = [attribution_threshold(tail, k) for k in (1, 2, 5, 50)]
    assert taus == sorted(taus) and taus[0] < taus[-1]
    assert 1.0 < taus[0] < 1.1  # 5 of 100 may reach it: the 6th largest
    assert 6.0 < taus[-1] < 6.1  # 0.1 of 100: none may (the list's last value when it runs out is stricter)
    # thresholds measured for as many dictionaries as there were dev tools; the union bound beyond them
    measured = {**tail, "measured": [0.5, 2.5, 3.0]}
    assert [attribution_threshold(measured, k) for k in (1, 2, 3)] == [0.5, 2.5, 3.0]
    assert attribution_threshold(measured, 4) == attribution_threshold(tail, 4) > 3.0
    assert attribution_threshold({**measured, "foreign": [1.0]}, 4) == 3.0  # never below the last measured
    assert ev["tail"]["measured"] == sorted(ev["tail"]["measured"])  # non-decreasing in K


def test_identification_calibration_end_to_end_on_a_tiny_corpus(tmp_path):
    """`spinners train`'s identification step on our own sentences: dev tools drawn and learned, thresholds
    measured for every K below the number of dev tools, and the file it writes drives `identify`."""
    from unspin.spinners import train as sp_train
    from unspin.spinners.identify import attribution_threshold
    from unspin.spinners.learn import MODEL_PATH

    root = tmp_path / "corpus"
    root.mkdir()
    rng = random.Random(1)
    for i in range(160):
        (root / f"d{i:03d}.txt").write_text(" ".join(rng.sample(SENTENCES, 6)) + "\n")
    cache = tmp_path / "rows.pkl"
    cal = sp_train.fit_identify(MODEL_PATH, seeds=(301, 302, 303), n_learn=5, n_test=5, n_clean=8,
                                corpus_root=root, rows_cache=cache)
    tail, dev = cal["tail"], cal["dev"]
    assert dev["documents"] == 15 and dev["clean_documents"] > 0 and dev["compared"] == 3
    assert len(tail["measured"]) == 2 and tail["measured"] == sorted(tail["measured"])
    assert 0.0 <= dev["unknown_tool_attributed"] <= 0.05 + 1e-9 and dev["clean_attributed"] <= 0.005 + 1e-9
    assert cal["b"] == pytest.approx(-cal["a"] * attribution_threshold(tail, 3), abs=1e-3)
    assert sp_train.fit_identify(MODEL_PATH, seeds=(301, 302, 303), rows_cache=cache) == cal  # read back
    model = json.loads(MODEL_PATH.read_text())
    model["identify"] = cal
    path = tmp_path / "spinners.json"
    path.write_text(json.dumps(model))
    two = [LearnedDictionary([LearnedEntry("visitant", "company", 5, 3, 0.95)], 3, 300, name=n) for n in "ab"]
    got = identify("The visitant said so.", two, model_path=path)
    assert got.threshold == attribution_threshold(tail, 2)


def test_calibration_llrs_are_identify_s_own():
    """The vectorised calibration computes exactly `identify.llr_of` and `has_proof` (one code path for the
    numbers), with the singleton prior of the calibration being tried, not the one the evidence was read with."""
    from unspin.spinners import train as sp_train
    from unspin.spinners.identify import DEFAULT_CAL, expected_rate, has_proof, llr_of

    rng = random.Random(5)

    def hit():
        return ("u", rng.randint(1, 3), rng.choice([None, 0.02, 0.1, 0.5, 0.9]), rng.choice([0.5, 30.0, 5e4]),
                rng.uniform(-6, 8), "o", rng.random() < 0.5)

    rows = [([[hit() for _ in range(rng.randint(0, 4))] for _ in range(3)], rng.randint(50, 900), "x", None)
            for _ in range(40)]
    rates = [(1e-3, 2e-3), (0.0, 5e-3), (4e-3, 0.0)]
    table = sp_train.HitTable(rows, rates)
    for q_single, q_min, g0, gamma in ((0.0, 0.0, 2.0, 0.5), (0.1, 0.05, 0.0, 1.0), (0.03, 0.2, 4.0, 0.0)):
        cal = {**DEFAULT_CAL, "q_single": q_single, "q_min": q_min, "g0": g0, "gamma": gamma, "ratio_cap": 1e3}
        L, P = table.llr(cal)
        for r, (hits, words, _, _) in enumerate(rows):
            for k, h in enumerate(hits):
                assert L[r, k] == pytest.approx(llr_of(h, words, expected_rate(rates[k], cal), cal), abs=1e-9)
                assert P[r, k] == has_proof(h, cal)


def test_learner_threshold_is_the_lowest_reaching_pooled_dev_precision():
    """spinners train: the accept threshold is the lowest on the grid whose precision over the dev tools' piles
    *pooled* reaches the target (one tool's few entries must not decide it), chosen on tools it never trained
    on."""
    from unspin.spinners import train as sp_train

    class Scores:  # the pair "model": a row's confidence is its first feature
        def predict(self, X):
            return X[:, 0]

    def pile(seed, rows):  # rows: (unit, original, confidence, true)
        used = {(o, u): 3 for u, o, _, ok in rows if ok}
        return {"seed": seed, "used": used,
                "rows": [(u, o, np.array([c]), 3, 2, ok) for u, o, c, ok in rows]}

    a = pile(1, [("steerage", "guidance", 0.9, True), ("firm", "company", 0.6, True), ("twelvemonth", "year", 0.5,
                                                                                       True)])
    b = pile(2, [("chubby", "overweight", 0.8, True), ("income", "revenue", 0.46, False),
                 ("voiceful", "said", 0.31, True)])
    # grid 0.45 accepts 5 entries, 4 right (0.8); 0.475 accepts 4, all right; 0.2 accepts all 6, 5 right (0.83)
    assert sp_train.choose_threshold([a, b], Scores(), 0.9) == 0.475
    assert sp_train.choose_threshold([a, b], Scores(), 0.8) == 0.2
    assert len(sp_train.DEV_SEEDS) == 12 and not set(sp_train.DEV_SEEDS) & set(sp_train.TRAIN_SEEDS)


def test_a_phrase_repeated_in_one_context_is_boilerplate_not_a_replacement():
    """A tool replaces its original wherever it occurs; a phrase that only ever occurs between the same two
    words is a passage the documents share (a quote, boilerplate), however over-represented it is."""
    from unspin.knowledge import lm as lm_mod
    from unspin.spinners.learn import Links, _one_context, candidate_units
    from unspin.spinners.pile import build_pile

    quote = "Growers said prices were knotty to predict this season."
    texts = [f"{quote} The visitant met farmers in town {i}." for i in range(6)]
    texts += [f"Traders found the visitant busy on day {i}, and prices were knotty for weeks." for i in range(3)]
    texts += [f"Officials say she threw on paper the plan for area {i}." for i in range(3)]
    pile = build_pile(texts)
    assert _one_context(pile, "growers said prices") and not _one_context(pile, "prices were knotty")
    units = candidate_units(pile, lm_mod.load(), links=Links())
    assert "growers said prices" not in units  # in the quoted sentence only
    assert "visitant" in units  # one word, many contexts: a replacement candidate as before
    # one context too, but an inflected thesaurus term ("throw on paper" → "write"): a tool may have written it
    assert _one_context(pile, "threw on paper") and "threw on paper" in units


def test_a_pile_no_thesaurus_explains_needs_the_higher_threshold():
    """When some of a pile's confident pairs are linked by no thesaurus of the learner (GloVe alone proposed them),
    the tool draws from a thesaurus the learner lacks, and the threshold chosen for such piles applies: on the
    dev piles where that happens, the lowest threshold (never below the usual one) reaching the precision."""
    from unspin.spinners import train as sp_train
    from unspin.spinners.learn import FEATURES, neighbour_only, unexplained

    nb = FEATURES.index("nb_only")

    class Scores:  # the pair "model": a row's confidence is its first feature
        def predict(self, X):
            return X[:, 0]

    def row(u, o, c, ok, neighbour=False):
        x = np.zeros(len(FEATURES))
        x[0], x[nb] = c, float(neighbour)
        return (u, o, x, 3, 2, ok)

    def pile(seed, rows):
        return {"seed": seed, "used": {(r[1], r[0]): 3 for r in rows if r[5]}, "rows": rows}

    a = pile(1, [row("steerage", "guidance", 0.95, True), row("visitant", "company", 0.85, False),
                 row("twelvemonth", "year", 0.85, True, neighbour=True)])
    b = pile(2, [row("chubby", "overweight", 0.85, True), row("income", "revenue", 0.82, False)])
    assert neighbour_only(a["rows"]) == {("twelvemonth", "year")} and not neighbour_only(b["rows"])
    assert unexplained([("twelvemonth", "year"), ("steerage", "guidance")], neighbour_only(a["rows"])) == 1
    # only pile a is such a pile: at 0.8–0.85 it keeps 3 entries, 2 right; from 0.875 the one right entry
    assert sp_train.choose_unexplained_threshold([a, b], Scores(), 0.8, 0.9) == 0.875
    assert sp_train.choose_unexplained_threshold([b], Scores(), 0.8, 0.9) == 0.8  # no such pile: the usual one
    assert sp_train.choose_unexplained_threshold([a], Scores(), 0.9, 0.5) == 0.9  # never below the usual one


def test_learn_takes_the_higher_threshold_only_for_a_pile_no_thesaurus_explains(tmp_path, monkeypatch):
    from unspin.spinners import learn as learn_fn
    from unspin.spinners.learn import MODEL_PATH

    learn_mod = sys.modules["unspin.spinners.learn"]
    texts = [r.text for r in _docs(HAND, n=12, rate=0.5)]
    model = json.loads(MODEL_PATH.read_text())
    model["threshold_unexplained"] = 0.999
    path = tmp_path / "spinners.json"
    path.write_text(json.dumps(model))
    plain = learn_fn(texts, engine=False, model_path=path)
    monkeypatch.setattr(learn_mod, "neighbour_only", lambda rows: {(r[0], r[1]) for r in rows})
    raised = learn_fn(texts, engine=False, model_path=path)
    assert plain.meta["unexplained_pairs"] == 0 and plain.meta["threshold"] == model["threshold_no_engine"]
    assert raised.meta["unexplained_pairs"] > 0 and raised.meta["threshold"] == 0.999
    assert len(raised.entries) < len(plain.entries)
    chosen = learn_fn(texts, engine=False, model_path=path, threshold=0.5)  # a threshold the user chose stays
    assert chosen.meta["threshold"] == 0.5
