"""Benchmark of `unspin spinners`: learning a tool's dictionary, restoring with it, identifying the tool,
clustering a mixed corpus, learning curve. Writes benchmarks/results/spinners.json (updated after each
stage) and benchmarks/results/spinners.md.

Data: documents of the corpus's *test* split (unspin.corpus: ABC news + speeches) plus the test split of
../shared/data/news-modern (same split function), read at run time and never stored. Five tools (seeds
901–905; sources moby, moby, mythes, mythes, wordnet) each spin their own 200 documents at rate 0.3; 200 more
documents stay clean. No document is used by two tools.

    python benchmarks/spinners_bench.py [--stages learn,learn_no_engine,restore,identify,identify_groups,identify_curve,cluster,variants,curve] [--restore-docs 60]
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT_JSON = HERE / "results" / "spinners.json"
OUT_MD = HERE / "results" / "spinners.md"
TOOLS = ((901, ("moby",)), (902, ("moby",)), (903, ("mythes",)), (904, ("mythes",)), (905, ("wordnet",)))
ALL_SOURCES = ("moby", "mythes", "wordnet")
RATE = 0.3


def pool(n: int) -> list:
    from unspin import corpus

    docs = [d for d in corpus.load_documents() if d.split == "test"]
    root = corpus.default_root()
    extra = root / "news-modern" / "corpus.jsonl" if root else None
    if extra and extra.exists():
        for line in extra.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            d = corpus.Doc("news-modern/" + row["id"], row["text"])
            if d.split == "test" and len(d.text.split()) >= 40:
                docs.append(d)
    docs.sort(key=lambda d: d.id)
    random.Random(2026).shuffle(docs)
    if len(docs) < n:
        raise SystemExit(f"only {len(docs)} test documents, need {n}")
    return docs[:n]


def spin_sets():
    from unspin.spinners import apply_dictionary, new_dictionary

    docs = pool(200 * len(TOOLS) + 200)
    sets = []
    for k, (seed, sources) in enumerate(TOOLS):
        tool = new_dictionary(seed, sources, name=f"tool-{seed}")
        mine = docs[200 * k : 200 * (k + 1)]
        spun = [apply_dictionary(d.text, tool, RATE, seed * 10_000 + i) for i, d in enumerate(mine)]
        sets.append({"seed": seed, "sources": sources, "tool": tool, "docs": mine, "spun": spun})
    clean = docs[200 * len(TOOLS) :]
    return sets, clean


def used_pairs(results) -> Counter:
    c: Counter = Counter()
    for r in results:
        for s in r.spans:
            c[(s.spun.lower(), s.original.lower())] += 1
    return c


def pr(learned, used: Counter, min_uses: int = 3) -> dict:
    acc = set(learned.pairs().items())
    truth = set(used)
    freq = {p for p, c in used.items() if c >= min_uses}
    tp = len(acc & truth)
    return {"entries": len(acc), "correct": tp, "precision": round(tp / max(len(acc), 1), 4),
            "frequent_entries": len(freq), "recall_ge3": round(len(acc & freq) / max(len(freq), 1), 4)}


BANDS = ("under 100 words", "100-199 words", "200-399 words", "400 words or more")


def length_band(words: int) -> str:
    return BANDS[0] if words < 100 else BANDS[1] if words < 200 else BANDS[2] if words < 400 else BANDS[3]


def reachable_share(sets, dicts: dict, start: int, stop: int) -> float:
    """Share of the held-out spun documents holding at least one of their tool's real swaps among the units of
    the tool's learned profile: the evidence a learned dictionary can give at all (the rest of a document's
    swaps are of words its pile never showed)."""
    ok = n = 0
    for s in sets:
        units = {u[0] for u in dicts[s["seed"]].profile}
        for r in s["spun"][start:stop]:
            ok += any(x.spun.lower() in units for x in r.spans)
            n += 1
    return round(ok / max(n, 1), 4)


GROUP_SIZES = (1, 2, 3, 5, 10)
EXTRA_CLEAN = 1500  # more clean documents (test split, used by no tool) for groups: 300 groups even of five
# tools with no learned dictionary, one per thesaurus (each shares its source with one or two of the five),
# spinning documents used by no other tool
UNKNOWN_TOOLS, UNKNOWN_DOCS = ((906, ("moby",)), (907, ("mythes",)), (908, ("wordnet",))), 510


def identify_groups(sets, dicts: dict, results: dict) -> None:
    """`identify --together`: held-out documents of one tool pooled in disjoint groups of GROUP_SIZES (a few
    articles of one site), against disjoint groups of clean documents that no tool spun."""
    from unspin.spinners import Scorer, apply_dictionary, identify, new_dictionary
    from unspin.spinners.learn import load_model

    def answers(docs: list[str], g: int) -> list[str]:  # one answer per disjoint group of g documents
        return [identify(docs[i : i + g], scorers).best for i in range(0, len(docs) - g + 1, g)]

    n_used = 200 * len(TOOLS) + 200
    more = pool(n_used + EXTRA_CLEAN + UNKNOWN_DOCS)[n_used:]
    extra = [d.text for d in more[:EXTRA_CLEAN]]
    cal = load_model()["identify"]
    scorers = [Scorer(dicts[s["seed"]], cal) for s in sets]
    # tools none of the dictionaries was learned from: their documents must be answered "none", not pinned on a
    # tool that happens to share some outputs
    unknown = []
    per_tool = UNKNOWN_DOCS // len(UNKNOWN_TOOLS)
    for j, (seed, sources) in enumerate(UNKNOWN_TOOLS):
        tool = new_dictionary(seed, sources, name=f"unknown-{seed}")
        mine = more[EXTRA_CLEAN + j * per_tool : EXTRA_CLEAN + (j + 1) * per_tool]
        # grouped per tool: a group holds documents of one unknown tool, as a site's articles would
        unknown.append([apply_dictionary(d.text, tool, RATE, seed * 10_000 + i).text for i, d in enumerate(mine)])
    rows = []
    for g in GROUP_SIZES:
        t = time.time()
        spun = [got == f"tool-{s['seed']}" for s in sets for got in answers([r.text for r in s["spun"][50:]], g)]
        clean_got = answers(extra, g)
        unknown_got = [got for docs in unknown for got in answers(docs, g)]
        rows.append({"documents_per_group": g, "spun_groups": len(spun),
                     "accuracy_among_tools": round(sum(spun) / len(spun), 4), "clean_groups": len(clean_got),
                     "clean_attributed_share": round(sum(x != "none" for x in clean_got) / len(clean_got), 4),
                     "unknown_tool_groups": len(unknown_got),
                     "unknown_tool_attributed_share": round(sum(x != "none" for x in unknown_got)
                                                            / max(len(unknown_got), 1), 4),
                     "seconds": round(time.time() - t, 1)})
        print("identify groups", rows[-1], flush=True)
        results["identify_groups"] = rows
        save(results)


def identify_curve(sets, clean, results: dict, test_from: int = 150) -> None:
    """Identification as the learned piles grow: dictionaries from the first 50 and the first 150 documents of
    each tool, tested on the same held-out documents (150–199 of each tool) and the clean documents."""
    from unspin.spinners import Scorer, identify, learn
    from unspin.spinners.learn import load_model

    cal = load_model()["identify"]
    rows = []
    for n_learn in (50, 150):
        t = time.time()
        dicts = {s["seed"]: learn([r.text for r in s["spun"][:n_learn]], name=f"tool-{s['seed']}") for s in sets}
        learn_s = time.time() - t
        scorers = [Scorer(dicts[s["seed"]], cal) for s in sets]
        correct = total = argmax_ok = 0
        for s in sets:
            for r in s["spun"][test_from:]:
                res = identify(r.text, scorers)
                correct += res.best == f"tool-{s['seed']}"
                argmax_ok += max(res.llr, key=res.llr.get) == f"tool-{s['seed']}"
                total += 1
        attributed = sum(identify(c.text, scorers).best != "none" for c in clean)
        rows.append({"learned_from_documents": n_learn, "spun_documents": total,
                     "accuracy_among_tools": round(correct / max(total, 1), 4),
                     "largest_llr_is_the_right_tool": round(argmax_ok / max(total, 1), 4),
                     "clean_attributed_share": round(attributed / max(len(clean), 1), 4),
                     "reachable": reachable_share(sets, dicts, test_from, 200),
                     "profile_units": round(sum(len(d.profile) for d in dicts.values()) / len(dicts)),
                     "learn_seconds": round(learn_s, 1)})
        print("identify curve", rows[-1], flush=True)
        results["identify_curve"] = rows
        save(results)


def _seed_range(seeds) -> str:
    seeds = list(seeds)
    if seeds and seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]}-{seeds[-1]}"
    return ", ".join(map(str, seeds)) or "?"


VARIANT_STORIES, VARIANT_COPIES = 10, 5


def variants_stage(sets, results: dict) -> None:
    """A farm posting each story spun several times: per tool, VARIANT_STORIES held-out stories (documents
    160–169 of its set) spun VARIANT_COPIES times each (other seeds than the set's own). The dictionary learned
    from the 50 copies with the copies aligned with each other (the default) and without (`variants=False`):
    precision and recall as for `learn_50`, and how often each story's honest original is attributed to it."""
    from unspin.spinners import apply_dictionary, identify, learn

    rows = []
    for s in sets:
        stories = s["docs"][160 : 160 + VARIANT_STORIES]
        copies = [apply_dictionary(d.text, s["tool"], RATE, 7_000_000 + s["seed"] * 100 + 10 * i + c)
                  for i, d in enumerate(stories) for c in range(VARIANT_COPIES)]
        used = used_pairs(copies)
        row = {"seed": s["seed"], "stories": len(stories), "copies": len(copies)}
        for key, on in (("aligned", True), ("counted_only", False)):
            t = time.time()
            d = learn([r.text for r in copies], name=f"tool-{s['seed']}", variants=on)
            named = sum(identify(x.text, [d]).best != "none" for x in stories)
            row[key] = {**pr(d, used), "originals_attributed": round(named / max(len(stories), 1), 3),
                        "variant_groups": d.meta.get("variant_groups", 0), "seconds": round(time.time() - t, 1)}
        rows.append(row)
        print("variants", row, flush=True)
        results["variants"] = rows
        save(results)


# Tools that prefer common synonyms, as rewriter sites do (`unspin spinners new --choice common`): their output is
# what the engine alone finds least (BENCHMARKS "why" 7), so what a learned dictionary adds is measured on them too.
COMMON_TOOLS = ((911, ("moby",)), (912, ("wordnet",)), (913, ("mythes",)))


def common_stage(results: dict, held_out: int = 40) -> None:
    """Learn each common-leaning tool from 50 of its documents; on `held_out` more, the engine's findings with
    the learned list imported against the engine alone."""
    import tempfile

    import unspin
    from unspin import fingerprints
    from unspin.bench import SpanScore, score_findings
    from unspin.spinners import apply_dictionary, learn, new_dictionary
    from unspin.spinners import save as save_learned
    from unspin.spinners.tool import CHOICE_RARITY

    docs = pool(200 * len(TOOLS) + 200)
    tmp = Path(tempfile.mkdtemp(prefix="spinners-common-"))
    rows = []
    for k, (seed, sources) in enumerate(COMMON_TOOLS):
        tool = new_dictionary(seed, sources, rarity=CHOICE_RARITY["common"], name=f"tool-{seed}")
        mine = docs[200 * k : 200 * k + 50 + held_out]
        spun = [apply_dictionary(d.text, tool, RATE, seed * 10_000 + i) for i, d in enumerate(mine)]
        t = time.time()
        learned = learn([r.text for r in spun[:50]], name=f"tool-{seed}")
        row = {"seed": seed, "tool_sources": list(sources), **pr(learned, used_pairs(spun[:50])),
               "seconds": round(time.time() - t, 1)}
        f = tmp / f"tool-{seed}.json"
        save_learned(learned, f)
        db = tmp / f"fp-{seed}.sqlite"
        fingerprints.import_file(f, name="learned", db_path=db)
        with_list, alone = SpanScore(), SpanScore()
        for r in spun[50:]:
            truth = [(x.start, x.end, x.original) for x in r.spans]
            with_list.add(score_findings(unspin.check(r.text, fingerprints=["learned"], fingerprints_db=str(db))
                                         .at_level("finding"), truth))
            alone.add(score_findings(unspin.check(r.text, fingerprints=False).at_level("finding"), truth))
        row.update({"held_out_docs": held_out, "with_learned_list": with_list.metrics(),
                    "engine_alone": alone.metrics()})
        rows.append(row)
        print("common", row, flush=True)
    results["common_tools"] = rows
    save(results)


def save(results: dict) -> None:
    OUT_JSON.parent.mkdir(parents=True, exist_ok=True)
    OUT_JSON.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stages", default="learn,learn_no_engine,restore,identify,identify_groups,identify_curve,cluster,"
                    "variants,curve,common")
    ap.add_argument("--restore-docs", type=int, default=60, help="held-out documents per tool checked by the engine")
    ap.add_argument("--identify-docs", type=int, default=150)
    ap.add_argument("--cluster-docs", type=int, default=200, help="documents per tool in the clustering corpus")
    args = ap.parse_args()
    stages = set(args.stages.split(","))
    from unspin.spinners import learn

    t0 = time.time()
    results = json.loads(OUT_JSON.read_text()) if OUT_JSON.exists() else {}
    results["setup"] = {"tools": [{"seed": s, "sources": list(src)} for s, src in TOOLS], "rate": RATE,
                        "documents_per_tool": 200, "clean_documents": 200,
                        "data": "test split of unspin.corpus (ABC news, speeches) + news-modern test split",
                        "learner_sources_main": list(ALL_SOURCES),
                        "learner_sources_honest": "all installed thesauri except the tool's own source "
                                                  "(mythes and wordnet are treated as one family)"}
    sets, clean = spin_sets()
    print(f"spun {len(sets)} tools × 200 documents ({time.time() - t0:.0f} s)", flush=True)
    learned50 = {}
    if stages & {"learn", "restore", "identify", "identify_groups"}:
        rows = []
        for s in sets:
            spun50 = s["spun"][:50]
            used = used_pairs(spun50)
            t = time.time()
            d = learn([r.text for r in spun50], name=f"tool-{s['seed']}")
            main_row = {"seed": s["seed"], "tool_sources": list(s["sources"]), **pr(d, used),
                        "threshold": d.meta["threshold"], "seconds": round(time.time() - t, 1)}
            learned50[s["seed"]] = d
            honest_src = ("moby",) if s["sources"][0] in ("mythes", "wordnet") else ("mythes", "wordnet")
            if "learn" in stages:
                t = time.time()
                h = learn([r.text for r in spun50], sources=honest_src, name="honest")
                main_row["honest"] = {"learner_sources": list(honest_src), **pr(h, used),
                                      "threshold": h.meta["threshold"], "seconds": round(time.time() - t, 1)}
            rows.append(main_row)
            print("learn", main_row, flush=True)
        if "learn" in stages:
            results["learn_50"] = rows
            save(results)
    if "learn_no_engine" in stages:  # the same 50 documents without the engine's findings (learn --no-engine)
        rows = []
        for s in sets:
            spun50 = s["spun"][:50]
            t = time.time()
            d = learn([r.text for r in spun50], engine=False, name=f"tool-{s['seed']}")
            rows.append({"seed": s["seed"], **pr(d, used_pairs(spun50)), "seconds": round(time.time() - t, 1)})
            print("learn --no-engine", rows[-1], flush=True)
        results["learn_50_no_engine"] = rows
        results.pop("learn_50_engine", None)  # (engine evidence is the default now: that is learn_50)
        save(results)
    if "restore" in stages:
        import tempfile

        import unspin
        from unspin import fingerprints
        from unspin.bench import SpanScore, score_findings
        from unspin.spinners import save as save_learned

        rows = []
        tmp = Path(tempfile.mkdtemp(prefix="spinners-bench-"))
        for s in sets:
            d = learned50[s["seed"]]
            f = tmp / f"tool-{s['seed']}.json"
            save_learned(d, f)
            db = tmp / f"fp-{s['seed']}.sqlite"
            fingerprints.import_file(f, name="learned", db_path=db)
            with_list, alone, with_src = SpanScore(), SpanScore(), SpanScore()
            strict_with = strict_alone = strict_src = spans = covered = covered_ok = covered_fired = 0
            pairs = d.pairs()
            tool_src = tuple(d.meta.get("tool_sources") or ())
            src_opts = {"thesauri": tool_src} if tool_src else {}
            for r in s["spun"][50 : 50 + args.restore_docs]:
                truth = [(x.start, x.end, x.original) for x in r.spans]
                spans += len(truth)
                findings = unspin.check(r.text, fingerprints=["learned"], fingerprints_db=str(db)).at_level("finding")
                for x in r.spans:
                    if pairs.get(x.spun.lower()) == x.original.lower():
                        covered += 1
                        hit = [f for f in findings if f.start < x.end and x.start < f.end]
                        covered_ok += bool(hit and hit[0].suggestions
                                           and hit[0].suggestions[0].lower() == x.original.lower())
                        covered_fired += bool(hit and hit[0].source == "list")
                a = score_findings(findings, truth)
                b = score_findings(unspin.check(r.text, fingerprints=False).at_level("finding"), truth)
                c3 = score_findings(unspin.check(r.text, fingerprints=["learned"], fingerprints_db=str(db),
                                                 **src_opts).at_level("finding"), truth) if src_opts else a
                with_list.add(a)
                alone.add(b)
                with_src.add(c3)
                strict_with += a.r1
                strict_alone += b.r1
                strict_src += c3.r1
            clean_with = clean_alone = clean_src = words = 0
            for c in clean[: args.restore_docs]:
                rw = unspin.check(c.text, fingerprints=["learned"], fingerprints_db=str(db))
                clean_with += len(rw.at_level("finding"))
                clean_alone += len(unspin.check(c.text, fingerprints=False).at_level("finding"))
                clean_src += len(unspin.check(c.text, fingerprints=["learned"], fingerprints_db=str(db),
                                              **src_opts).at_level("finding")) if src_opts else len(rw.at_level("finding"))
                words += rw.words
            row = {"seed": s["seed"], "held_out_docs": args.restore_docs, "true_spans": spans,
                   "spans_with_a_correct_learned_entry": covered,
                   "of_those_restored_at_1": round(covered_ok / max(covered, 1), 4),
                   "of_those_restored_by_the_list": round(covered_fired / max(covered, 1), 4),
                   "tool_thesauri": list(tool_src), "source_share": d.meta.get("source_share", {}),
                   "with_list_and_tool_thesauri": {**with_src.metrics(), "restored_share_of_all_spans":
                                                   round(strict_src / max(spans, 1), 4),
                                                   "clean_false_findings_per_1000":
                                                   round(1000 * clean_src / max(words, 1), 3)},
                   "with_learned_list": {**with_list.metrics(), "restored_share_of_all_spans":
                                         round(strict_with / max(spans, 1), 4),
                                         "clean_false_findings_per_1000": round(1000 * clean_with / max(words, 1), 3)},
                   "engine_alone": {**alone.metrics(), "restored_share_of_all_spans":
                                    round(strict_alone / max(spans, 1), 4),
                                    "clean_false_findings_per_1000": round(1000 * clean_alone / max(words, 1), 3)}}
            rows.append(row)
            print("restore", row, flush=True)
            results["restore"] = rows
            save(results)
    if "identify" in stages:
        from unspin.spinners import Scorer, identify
        from unspin.spinners.learn import load_model

        cal = load_model()["identify"]
        scorers = [Scorer(learned50[s["seed"]], cal) for s in sets]
        correct = total = argmax_ok = 0
        confusion: Counter = Counter()
        by_length: dict[str, list[int]] = {}
        t = time.time()
        for s in sets:
            for r in s["spun"][50 : 50 + args.identify_docs]:
                res = identify(r.text, scorers)
                got = res.best
                confusion[(f"tool-{s['seed']}", got)] += 1
                correct += got == f"tool-{s['seed']}"
                argmax_ok += max(res.llr, key=res.llr.get) == f"tool-{s['seed']}"
                total += 1
                cell = by_length.setdefault(length_band(res.words), [0, 0])
                cell[0] += got == f"tool-{s['seed']}"
                cell[1] += 1
        attributed = 0
        for c in clean:
            got = identify(c.text, scorers).best
            attributed += got != "none"
            confusion[("clean", got)] += 1
        dev = cal.get("dev", {})
        results["identify"] = {"accuracy_among_tools": round(correct / max(total, 1), 4), "spun_documents": total,
                               "largest_llr_is_the_right_tool": round(argmax_ok / max(total, 1), 4),
                               "clean_documents": len(clean),
                               "clean_attributed_share": round(attributed / max(len(clean), 1), 4),
                               "seconds_per_document": round((time.time() - t) / max(total + len(clean), 1), 3),
                               "confusion": {f"{a} -> {b}": n for (a, b), n in sorted(confusion.items())},
                               "accuracy_by_length": {b: {"documents": n, "accuracy": round(ok / max(n, 1), 4)}
                                                      for b, (ok, n) in sorted(by_length.items(), key=lambda x: BANDS.index(x[0]))},
                               "reachable": reachable_share(sets, learned50, 50, 50 + args.identify_docs),
                               "dev": dev,
                               "calibration": "beta={beta}, g0={g0}, gamma={gamma}, q_single={q_single}, "
                                              "q_min={q_min}, ratio_cap={ratio_cap}, a={a}, "
                                              "threshold for 5 dictionaries {tau5:.2f}, "
                                              "min probability 0.5, a rare hit needed (fitted on dev tools {tools} and "
                                              "dev clean documents by `unspin spinners train`, not on this test "
                                              "set)".format(**cal, tau5=-cal["b"] / cal["a"],
                                                            tools=_seed_range(cal.get("dev", {}).get("tools", [])))}
        print("identify", results["identify"], flush=True)
        save(results)
    if "identify_groups" in stages:
        identify_groups(sets, learned50, results)
    if "identify_curve" in stages:
        identify_curve(sets, clean, results)
    if "cluster" in stages:
        from unspin.spinners import cluster

        docs, truth = [], {}
        for s in sets:
            for i, r in enumerate(s["spun"][: args.cluster_docs]):
                docs.append((f"{s['seed']}-{i}", r.text))
                truth[f"{s['seed']}-{i}"] = f"tool-{s['seed']}"
        for i, c in enumerate(clean):
            docs.append((f"clean-{i}", c.text))
            truth[f"clean-{i}"] = "clean"
        t = time.time()
        res = cluster(docs)
        clustered = sum(len(c.documents) for c in res.clusters)
        majority = sum(Counter(truth[d] for d in c.documents).most_common(1)[0][1] for c in res.clusters)
        per_tool = Counter()
        for c in res.clusters:
            label = Counter(truth[d] for d in c.documents).most_common(1)[0][0]
            per_tool[label] += 1
        results["cluster"] = {
            "documents": len(docs), "clusters": len(res.clusters), "clustered_documents": clustered,
            "purity": round(majority / max(clustered, 1), 4),
            "clean_documents_clustered": sum(1 for c in res.clusters for d in c.documents if truth[d] == "clean"),
            "clusters_per_majority_label": dict(per_tool),
            "composition": [dict(Counter(truth[d] for d in c.documents)) for c in res.clusters],
            "seconds": round(time.time() - t, 1),
            "note": "spinners.cluster on every document (screen --learn-spinners runs it on the documents the engine "
                    "calls spun); clean documents included as distractors"}
        print("cluster", results["cluster"], flush=True)
        save(results)
    if "variants" in stages:
        variants_stage(sets, results)
    if "common" in stages:
        common_stage(results)
    if "curve" in stages:
        s = sets[0]
        rows = []
        for n in (10, 20, 50, 200):
            sub = s["spun"][:n]
            t = time.time()
            d = learn([r.text for r in sub], name="curve")
            rows.append({"documents": n, **pr(d, used_pairs(sub)), "seconds": round(time.time() - t, 1)})
            print("curve", rows[-1], flush=True)
            results["learning_curve"] = {"seed": s["seed"], "rows": rows}
            save(results)
    results["seconds_total"] = round(time.time() - t0, 1)
    save(results)
    write_md(results)
    return 0


def _table_section(title: str, intro: str, header: tuple[str, ...], rows: list[str]) -> list[str]:
    """A markdown section: title, an introducing paragraph, and a table of already formatted rows."""
    return [title, "", intro, "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header), *rows, ""]


def write_md(r: dict) -> None:
    lines = ["## Spinning tools: learning a tool's dictionary, restoring, identifying (issue 15)", ""]
    setup = r.get("setup", {})
    lines.append(f"Five tools drawn with seeds 901–905 (sources: "
                 f"{', '.join('/'.join(t['sources']) for t in setup.get('tools', []))}), each spinning its own 200 "
                 f"test-split documents at rate {setup.get('rate')}; 200 clean documents. The learner links pairs "
                 "with moby+mythes+wordnet (main) or with the thesauri other than the tool's own (honest). "
                 "Produced by `python benchmarks/spinners_bench.py`; numbers in benchmarks/results/spinners.json.")
    lines.append("")
    if "learn_50" in r:
        lines += ["### Learning from 50 documents of one tool (targets: precision ≥ 0.90, recall ≥ 0.60 of entries used ≥ 3×)",
                  "", "| tool | source | entries | precision | recall (≥3) | honest: precision | honest: recall | s |",
                  "|---|---|---|---|---|---|---|---|"]
        for x in r["learn_50"]:
            h = x.get("honest", {})
            lines.append(f"| {x['seed']} | {'/'.join(x['tool_sources'])} | {x['entries']} | {x['precision']:.3f} | "
                         f"{x['recall_ge3']:.3f} ({x['frequent_entries']} entries) | {h.get('precision', float('nan')):.3f} | "
                         f"{h.get('recall_ge3', float('nan')):.3f} | {x['seconds']} |")
        lines.append("")
    if "learn_50_no_engine" in r:
        lines += ["Without the engine's findings as evidence (`learn --no-engine`), same documents:", "",
                  "| tool | entries | precision | recall (≥3) | s |", "|---|---|---|---|---|"]
        for x in r["learn_50_no_engine"]:
            lines.append(f"| {x['seed']} | {x['entries']} | {x['precision']:.3f} | {x['recall_ge3']:.3f} | "
                         f"{x['seconds']} |")
        lines.append("")
    if "common_tools" in r:
        rows = []
        for x in r["common_tools"]:
            w, a = x["with_learned_list"], x["engine_alone"]
            rows.append(f"| {x['seed']} | {'/'.join(x['tool_sources'])} | {x['entries']} | {x['precision']:.3f} | "
                        f"{x['recall_ge3']:.3f} ({x['frequent_entries']} entries) | {w['recall']:.3f} / "
                        f"{w['restore@1']:.3f} | {a['recall']:.3f} / {a['restore@1']:.3f} |")
        lines += _table_section(
            "### Tools that prefer common synonyms (rewriter sites: `spinners new --choice common`)",
            "Three more tools (seeds 911–913) drawn like the five above but preferring common synonyms, each spinning "
            "50 + 40 test-split documents at rate 0.3: the dictionary learned from 50, and the engine on the 40 "
            "held-out ones with that list imported and alone (`finding` level).",
            ("tool", "source", "entries", "precision", "recall (≥3)", "with list: recall / restore@1",
             "engine alone: recall / restore@1"), rows)
    if "restore" in r:
        lines += ["### Restoring held-out documents with the learned list loaded (target restore@1 ≥ 0.85)", "",
                  "Findings at `finding` level; \"restored of all\" = spans whose first suggestion is the original / all "
                  "spun spans; clean FP = false findings per 1,000 words on 60 clean documents.", "",
                  "| tool | spans | with list: recall / restore@1 / restored of all / clean FP per 1k | with list and `--thesauri` = the learned tool source | engine alone |",
                  "|---|---|---|---|---|"]
        notes = []
        for x in r["restore"]:
            cells = []
            for key in ("with_learned_list", "with_list_and_tool_thesauri", "engine_alone"):
                m = x.get(key) or x["with_learned_list"]
                cells.append(f"{m['recall']:.3f} / {m['restore@1']:.3f} / {m['restored_share_of_all_spans']:.3f} / "
                             f"{m['clean_false_findings_per_1000']}")
            src = "/".join(x.get("tool_thesauri") or []) or "none named"
            lines.append(f"| {x['seed']} | {x['true_spans']} | {cells[0]} | ({src}) {cells[1]} | {cells[2]} |")
            if "spans_with_a_correct_learned_entry" in x:
                notes.append(f"{x['seed']}: {x['spans_with_a_correct_learned_entry']} spans covered by a correct "
                             f"learned entry, {x['of_those_restored_at_1']:.3f} of them restored at 1")
        lines.append("")
        if notes:
            lines += ["Coverage: " + "; ".join(notes) + ".", ""]
    if "identify" in r:
        i = r["identify"]
        lines += ["### Identification (targets: accuracy ≥ 95 % among the five tools, ≤ 1 % of clean documents attributed)",
                  "", f"Accuracy {i['accuracy_among_tools']:.3f} on {i['spun_documents']} held-out spun documents; "
                  f"{i['clean_attributed_share']:.3f} of {i['clean_documents']} clean documents attributed to a tool. "
                  f"Calibration: {i['calibration']}.", ""]
        if "accuracy_by_length" in i:
            lines += ["By document length: " + "; ".join(f"{b}: {x['accuracy']:.3f} ({x['documents']} documents)"
                                                      for b, x in i["accuracy_by_length"].items())
                      + f". Held-out documents holding at least one of their tool's real swaps among the learned "
                        f"profile's units (all a dictionary can recognise): {i['reachable']:.3f}.", ""]
    if "identify_groups" in r:
        lines += ["Several documents of one source identified together (`identify --together`; dictionaries from 50 "
                  "documents; disjoint groups of the held-out documents, and of 1,500 more clean test-split documents):",
                  "", "| documents per group | accuracy among tools | spun groups | clean attributed | clean groups | "
                  "unknown tools' attributed | unknown tools' groups |",
                  "|---|---|---|---|---|---|---|"]
        for x in r["identify_groups"]:
            lines.append(f"| {x['documents_per_group']} | {x['accuracy_among_tools']:.3f} | {x['spun_groups']} | "
                         f"{x['clean_attributed_share']:.3f} | {x['clean_groups']} | "
                         f"{x.get('unknown_tool_attributed_share', float('nan')):.3f} | {x.get('unknown_tool_groups', 0)} |")
        lines += ["", "\"Unknown tools\": documents spun by three more tools (seeds 906–908: Moby, MyThes, WordNet, "
                  "each sharing its thesaurus with one or two of the five) that no dictionary was learned from, 170 "
                  "documents each, grouped within one tool; any answer but \"none\" is wrong."]
        lines.append("")
    if "identify_curve" in r:
        lines += ["Identification as the learned pile grows (same held-out documents 150–199 of each tool, same "
                  "clean documents):", "",
                  "| dictionaries learned from | accuracy among tools | largest LLR right | clean attributed | reachable | profile units |",
                  "|---|---|---|---|---|---|"]
        for x in r["identify_curve"]:
            lines.append(f"| {x['learned_from_documents']} documents | {x['accuracy_among_tools']:.3f} | "
                         f"{x['largest_llr_is_the_right_tool']:.3f} | {x['clean_attributed_share']:.3f} | "
                         f"{x['reachable']:.3f} | {x['profile_units']} |")
        lines.append("")
    if "cluster" in r:
        c = r["cluster"]
        lines += ["### Clustering the mixed corpus", "",
                  f"{c['documents']} documents → {c['clusters']} clusters holding {c['clustered_documents']} documents; "
                  f"purity {c['purity']:.3f}; clean documents clustered: {c['clean_documents_clustered']}; clusters "
                  f"per majority label {c['clusters_per_majority_label']}; {c['seconds']} s.", ""]
    if "variants" in r:
        rows = []
        for x in r["variants"]:
            a, c = x["aligned"], x["counted_only"]
            rows.append(f"| {x['seed']} | {a['entries']} / {a['precision']:.3f} / {a['recall_ge3']:.3f} "
                        f"({a['frequent_entries']}) / {a['originals_attributed']:.2f} | {c['entries']} / "
                        f"{c['precision']:.3f} / {c['recall_ge3']:.3f} / {c['originals_attributed']:.2f} |")
        lines += _table_section(
            f"### Variants of one text ({VARIANT_STORIES} stories per tool, each spun {VARIANT_COPIES} times)",
            "The copies aligned with each other (the default) and counted only (`variants=False`); originals "
            "attributed = the stories' honest originals that `identify` gives the learned dictionary's name.",
            ("tool", "aligned: entries / precision / recall (≥3) / originals attributed",
             "counted only: entries / precision / recall (≥3) / originals attributed"), rows)
    if "learning_curve" in r:
        lines += ["### Learning curve (tool 901)", "", "| documents | entries | precision | recall (≥3) | s |",
                  "|---|---|---|---|---|"]
        for x in r["learning_curve"]["rows"]:
            lines.append(f"| {x['documents']} | {x['entries']} | {x['precision']:.3f} | {x['recall_ge3']:.3f} "
                         f"({x['frequent_entries']}) | {x['seconds']} |")
        lines.append("")
    lines += summary_lines(r)
    OUT_MD.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _span(xs) -> str:
    return f"{min(xs)}" if min(xs) == max(xs) else f"{min(xs)}–{max(xs)}"


def _pooled(rows) -> str:
    """Pooled precision of the honest-condition dictionaries (entries right / entries) and per tool."""
    h = [x["honest"] for x in rows if "honest" in x]
    ok, n = sum(x.get("correct", 0) for x in h), sum(x["entries"] for x in h)
    return f"{ok / max(n, 1):.3f} ({ok} of {n} entries; per tool " + ", ".join(f"{x['precision']:.2f}" for x in h) + ")"


def _raised(rows, honest: bool) -> str:
    """How many of the learned dictionaries took a threshold above the model's usual one (`learn.unexplained`)."""
    from unspin.spinners.learn import load_model

    base = load_model()["threshold"]
    known = [x["honest"] if honest else x for x in rows if (not honest or "honest" in x)]
    known = [x for x in known if "threshold" in x]
    return f"{sum(x['threshold'] > base for x in known)} of {len(known)}" if known else "not recorded"


def summary_lines(r: dict) -> list[str]:
    """Targets met or not, and why (numbers from this run)."""
    out = ["### Targets: met or not, and why", ""]
    if "learn_50" in r:
        ps = [x["precision"] for x in r["learn_50"]]
        rs = [x["recall_ge3"] for x in r["learn_50"]]
        hs = [x["honest"]["recall_ge3"] for x in r["learn_50"] if "honest" in x]
        out.append(f"- **Dictionary precision ≥ 0.90**: mean {sum(ps) / len(ps):.3f} (per tool {min(ps):.2f}–{max(ps):.2f}); "
                   f"{'met for every tool' if min(ps) >= 0.9 else 'met on average, not for every tool'}. "
                   f"**Recall ≥ 0.60** of entries used ≥ 3×: {'met' if min(rs) >= 0.6 else 'not met'}, "
                   f"{min(rs):.2f}–{max(rs):.2f}. The threshold is chosen on twelve dev tools for pooled precision 0.9 "
                   "(trust first); of the frequent entries of the dev tools' piles, about a fifth score below it and "
                   "an eighth lose to another original of the same form (often another inflection: \"pregnant\" "
                   "← \"large\" where the tool replaced \"largest\"); some never become candidates (the tool wrote an ordinary word, "
                   "e.g. \"nation\" for \"country\", that is not over-represented), and for entries seen 3–5 "
                   "times the trigram language model's evidence is often too weak to pass the threshold. "
                   f"When the learner's thesauri do not contain the tool's own source (honest condition) recall is "
                   f"{min(hs):.2f}–{max(hs):.2f}: the model still leans on thesaurus links. There a link in the "
                   "learner's thesauri is often another thesaurus's synonym rather than the tool's original, so a "
                   "pile whose confident pairs include any that no learner thesaurus links (the sign of a tool "
                   "drawing from a thesaurus the learner lacks; on the twelve dev tools never with the tool's "
                   "thesaurus among the learner's, always without it) needs the higher `threshold_unexplained` "
                   "(0.9, chosen on those dev piles for pooled precision 0.9; dev honest precision 0.83 → 0.91): "
                   f"pooled honest precision here {_pooled(r['learn_50'])}; 0.814 (70 of 86) with one threshold "
                   "for every pile (2026-12-01, same documents). Piles that took the higher threshold: honest "
                   f"{_raised(r['learn_50'], True)}, main {_raised(r['learn_50'], False)} (none on dev).")
    if "learn_50_no_engine" in r:
        rs = [x["recall_ge3"] for x in r["learn_50_no_engine"]]
        ps = [x["precision"] for x in r["learn_50_no_engine"]]
        out.append(f"- Without the engine's findings (`--no-engine`, faster) recall is {min(rs):.2f}–{max(rs):.2f} at "
                   f"precision {min(ps):.2f}–{max(ps):.2f}.")
    if "restore" in r:
        w = [x["with_learned_list"]["restore@1"] for x in r["restore"]]
        a = [x["engine_alone"]["restore@1"] for x in r["restore"]]
        cov = [x.get("spans_with_a_correct_learned_entry", 0) / max(x["true_spans"], 1) for x in r["restore"]]
        ok = [x.get("of_those_restored_at_1", 0) for x in r["restore"]]
        ts = [x["with_list_and_tool_thesauri"]["restore@1"] for x in r["restore"] if "with_list_and_tool_thesauri" in x]
        fw = [x["with_learned_list"]["clean_false_findings_per_1000"] for x in r["restore"]]
        fa = [x["engine_alone"]["clean_false_findings_per_1000"] for x in r["restore"]]
        out.append(f"- **restore@1 ≥ 0.85** with the learned list: {'met' if min(w) >= 0.85 else 'not met'}, "
                   f"{min(w):.2f}–{max(w):.2f} (engine alone {min(a):.2f}–{max(a):.2f}"
                   + (f"; with `--thesauri` set to the tool source the learner names {min(ts):.2f}–{max(ts):.2f}"
                      if ts else "") + f"). A correct learned entry covers only {min(cov):.0%}–{max(cov):.0%} of "
                   "the held-out spun spans (a tool has tens of thousands of entries and 50 short documents reveal a "
                   f"few dozen); those spans are restored at {min(ok):.2f}–{max(ok):.2f} (an entry fires only when the "
                   "document holds another hallmark of the tool, and short documents often hold none). The rest is "
                   f"the engine's work. False findings on clean text: {_span(fw)} per 1,000 words with the list, "
                   f"{_span(fa)} without it (entries need another hallmark of the tool in the document).")
    if "identify" in r:
        i = r["identify"]
        conf = i.get("confusion", {})
        wrong = sum(n for k, n in conf.items() if not k.startswith("clean") and not k.endswith("none")
                    and k.split(" -> ")[0] != k.split(" -> ")[1])
        said_none = sum(n for k, n in conf.items() if not k.startswith("clean") and k.endswith("none"))
        dev = i.get("dev") or {}
        out.append(f"- **Identification ≥ 95 %** among the five tools: "
                   f"{'met' if i['accuracy_among_tools'] >= 0.95 else 'not met'}, {i['accuracy_among_tools']:.3f}; "
                   f"**≤ 1 % of clean documents attributed**: {'met' if i['clean_attributed_share'] <= 0.01 else 'not met'}, "
                   f"{i['clean_attributed_share']:.3f}. Of {i['spun_documents']} spun documents {wrong} were attributed "
                   f"to the wrong tool and {said_none} answered \"none\" (no rare hit of their tool, or too little "
                   "evidence for the calibrated probability)"
                   + (f"; the largest likelihood ratio points to the right tool for {i['largest_llr_is_the_right_tool']:.3f}"
                      if "largest_llr_is_the_right_tool" in i else "")
                   + (f". On the dev tools ({len(dev.get('tools', []))} of them, each document compared with "
                      f"{dev.get('compared', 'all other')} dictionaries): accuracy {dev.get('accuracy')} with "
                      f"{dev.get('clean_attributed')} of clean documents and {dev.get('unknown_tool_attributed')} of "
                      "unlearned tools' documents attributed (the calibration's trust-first end; the attribution "
                      "threshold rises with the number of dictionaries compared)." if dev else "."))
        if "accuracy_by_length" in i:
            bands = i["accuracy_by_length"]
            out.append(f"- Why identification falls short: the evidence is not in the documents. The held-out documents "
                       f"are short (accuracy {bands[BANDS[0]]['accuracy']:.2f} under 100 words, "
                       f"{bands[BANDS[-1]]['accuracy']:.2f} at 400 words or more), and a dictionary learned from 50 of them "
                       f"knows only the part of the tool's tens of thousands of entries that its pile showed: only {i['reachable']:.0%} of the "
                       "held-out documents hold even one real swap among the units the learned profile knows (most of "
                       "them low-confidence units that honest text uses too), so single-document accuracy cannot "
                       "reach 95 % under this protocol, whatever the scoring rule.")
    if "identify_groups" in r:
        g = {x["documents_per_group"]: x for x in r["identify_groups"]}
        cells = ", ".join(f"{n}: {x['accuracy_among_tools']:.2f} ({x['clean_attributed_share']:.3f} of "
                          f"{x['clean_groups']} clean groups attributed)" for n, x in sorted(g.items()))
        best = max(g.values(), key=lambda x: x["documents_per_group"])
        out.append(f"- **Several documents of one source** (`identify --together`), accuracy by documents per group — "
                   f"{cells}. With {best['documents_per_group']} short articles of one site pooled the 95 % / ≤ 1 % bar is "
                   f"{'reached' if best['accuracy_among_tools'] >= 0.95 and best['clean_attributed_share'] <= 0.01 else 'not reached'}"
                   " (the target itself is for single documents, and stays missed)."
                   + (" Documents of tools no dictionary was learned from were attributed to one of the five "
                      "in " + ", ".join(f"{x['unknown_tool_attributed_share']:.1%} (groups of {n})" for n, x in sorted(g.items())
                                         if "unknown_tool_attributed_share" in x) + " of cases (a tool drawing "
                      "from the same thesaurus with a taste for rare words picks many of the same rare synonyms; a "
                      "wrong name is worse than \"none\")."
                      if any("unknown_tool_attributed_share" in x for x in g.values()) else ""))
    if "identify_curve" in r:
        c = r["identify_curve"]
        out.append("- **Larger learned piles**: " + "; ".join(
            f"dictionaries from {x['learned_from_documents']} documents: accuracy {x['accuracy_among_tools']:.2f}, "
            f"clean attributed {x['clean_attributed_share']:.3f}, reachable {x['reachable']:.2f}" for x in c)
                   + " (same held-out documents 150–199 of each tool).")
    if "cluster" in r:
        c = r["cluster"]
        out.append(f"- **Clustering purity** (no target): {c['purity']:.3f} over {c['clustered_documents']} of "
                   f"{c['documents']} documents in {c['clusters']} clusters for 5 tools (tools split into several "
                   f"clusters; {c['clean_documents_clustered']} clean documents clustered).")
    if "variants" in r:
        v = r["variants"]
        out.append("- **Variants of one text** (a story posted spun several times): aligning the copies gives "
                   f"precision {_span([x['aligned']['precision'] for x in v])} and recall (≥3) "
                   f"{_span([x['aligned']['recall_ge3'] for x in v])}, against "
                   f"{_span([x['counted_only']['precision'] for x in v])} and "
                   f"{_span([x['counted_only']['recall_ge3'] for x in v])} from counting alone; the stories' honest "
                   f"originals were attributed to the learned dictionary in "
                   f"{_span([x['aligned']['originals_attributed'] for x in v])} of cases (counting alone: "
                   f"{_span([x['counted_only']['originals_attributed'] for x in v])}): an honest original still "
                   "holds the story's own uses of words the tool also writes for others (\"barrier\" in a story, "
                   "and \"barrier\" for \"fence\" in its copies), which the context check does not always reject.")
    if "learning_curve" in r:
        rows = r["learning_curve"]["rows"]
        out.append("- **Learning curve**: precision " + ", ".join(f"{x['precision']:.2f}" for x in rows)
                   + " and recall (≥3) " + ", ".join(f"{x['recall_ge3']:.2f}" for x in rows)
                   + f" at {', '.join(str(x['documents']) for x in rows)} documents; entries learned "
                   + ", ".join(str(x["entries"]) for x in rows) + "."
                   + (" The fall at the largest pile is this tool's: on seven dev tools' 200-document piles (seeds "
                      "301–307, 2026-11-30) the shipped model at its threshold gave pooled precision 0.917 and "
                      "recall 0.48–0.63, as on 50-document piles, so the threshold holds for larger piles."
                      if len(rows) > 1 and rows[-1]["recall_ge3"] < max(x["recall_ge3"] for x in rows) else ""))
    out.append("")
    return out


if __name__ == "__main__":
    sys.exit(main())
