"""Trigram LM query speed and exactness: pocketsphinx per call, our wrapper, ArrayLM batches, KenLM.

READS /work/shared/data/nltk-abc-news/rural.txt (never committed) for real text windows.

    .venv/bin/python benchmarks/lm_bench.py [--quick] [--runs 5] [--sizes 1000 100000 1000000] [--render]

Writes benchmarks/results/lm.json and benchmarks/results/lm.md. The ARPA file for KenLM goes to a temporary
directory and is deleted afterwards. Methods, each timed as the median of --runs runs per batch size:
  (a) ``NGramModel.prob`` called from Python, one call per query (query lists built beforehand)
  (b) ``unspin.knowledge.lm.PocketsphinxLM().logprob`` (its memo cleared before each run)
  (c) ``ArrayLM.logprob_ids`` on int32 id arrays (ids looked up beforehand), two orders: shuffled text
      windows and candidates, and 400 candidates per history (how the engine asks)
  (d) KenLM on an ARPA written from the arrays (the pip package has no build_binary, and a KenLM binary
      only loads faster: it is queried through the same in-memory structure): three ``BaseScore`` calls
      per query, one ``BaseScore`` from a memoised history state, and one ``model.score`` of the trigram.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
DATA = Path(os.environ.get("UNSPIN_SHARED_DATA", "/work/shared/data"))
CORPUS = DATA / "nltk-abc-news" / "rural.txt"
OOV = "qzxvbrelt"
CANDIDATES_PER_HISTORY = 400


# ---- helpers -----------------------------------------------------------------------------------------------


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "numpy": np.__version__, "loadavg_at_start": list(os.getloadavg())}


def rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def median_seconds(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


# ---- workloads ---------------------------------------------------------------------------------------------


def corpus_ids(lm) -> np.ndarray:
    """Lower-cased word ids of the corpus, each line wrapped in <s> … </s> (-1 for unknown words)."""
    text = CORPUS.read_text(encoding="utf-8", errors="replace").lower()
    start, end = lm.word_id("<s>"), lm.word_id("</s>")
    ids: list[int] = []
    for line in text.splitlines():
        toks = re.findall(r"[a-z0-9']+", line)
        if toks:
            ids += [start, *lm.ids(toks).tolist(), end]
    return np.array(ids, dtype=np.int64)


def speed_workloads(lm, ids: np.ndarray, n: int, rng) -> dict[str, np.ndarray]:
    """(n, 3) rows (h2, h1, w), all in the vocabulary: `mixed` = shuffled text windows and candidate words
    after real histories (half each); `grouped` = CANDIDATES_PER_HISTORY candidates after each history."""
    windows = np.stack([ids[:-2], ids[1:-1], ids[2:]], axis=1)
    windows = windows[(windows >= 0).all(axis=1)]
    known = ids[ids >= 0]
    mixed = windows[rng.integers(0, len(windows), n)].copy()
    half = rng.random(n) < 0.5
    mixed[half, 2] = rng.choice(known, int(half.sum()))  # corpus words: frequency-weighted candidates
    n_hist = -(-n // CANDIDATES_PER_HISTORY)
    hist = windows[rng.integers(0, len(windows), n_hist), :2]
    grouped = np.concatenate([np.repeat(hist, CANDIDATES_PER_HISTORY, axis=0),
                              rng.choice(known, (n_hist * CANDIDATES_PER_HISTORY, 1))], axis=1)[:n]
    return {"mixed": mixed, "grouped": grouped}


def exactness_queries(lm, ids: np.ndarray, n_random: int, rng) -> np.ndarray:
    """(h2, h1, w) rows meant to reach every branch: text windows (with unknown words as -1), random
    triples (back-off), candidates after real histories, stored trigrams and bigrams, the two trigrams
    pocketsphinx cannot reach, then cut histories and unknown predicted words on a slice of all of them."""
    from unspin.knowledge import ngram

    parts = [np.stack([ids[:-2], ids[1:-1], ids[2:]], axis=1)]
    parts.append(rng.integers(0, lm.vocab_size, (n_random, 3)))
    real = parts[0][rng.integers(0, len(parts[0]), n_random)].copy()
    real[:, 2] = ids[rng.integers(0, len(ids), n_random)]
    parts.append(real)
    trie = ngram.read_trie_file(ngram.default_lm_path())
    bigrams, trigrams = ngram._decode_levels(trie)
    pick = rng.integers(0, len(trigrams.word), n_random)
    parent = trigrams.parent[pick]
    parts.append(np.stack([trigrams.word[pick], bigrams.word[parent], bigrams.parent[parent]], axis=1))
    unreachable = np.flatnonzero(~ngram._reachable(trigrams, bigrams.child_begin, lm.vocab_size))
    parent = trigrams.parent[unreachable]
    parts.append(np.stack([trigrams.word[unreachable], bigrams.word[parent], bigrams.parent[parent]], axis=1))
    pick = rng.integers(0, len(bigrams.word), n_random // 2)
    parts.append(np.stack([rng.integers(0, lm.vocab_size, len(pick)), bigrams.word[pick],
                           bigrams.parent[pick]], axis=1))
    queries = np.concatenate(parts).astype(np.int64)
    u = rng.random(len(queries))
    queries[u < 0.05, 0] = -1  # bigram queries
    queries[(u >= 0.05) & (u < 0.08), 1] = -1  # unigram queries (whatever the oldest word)
    queries[(u >= 0.08) & (u < 0.09), 2] = -1  # unknown predicted word
    return queries


def as_strings(lm, rows: np.ndarray) -> list[list[str]]:
    """pocketsphinx argument lists: predicted word first, then history most recent first."""
    name = lambda i: lm.words[i] if i >= 0 else OOV  # noqa: E731
    return [[name(w), name(h1), name(h2)] for h2, h1, w in rows.tolist()]


# ---- measurements --------------------------------------------------------------------------------------------


def measure_exactness(lm, ps, ids, rng, n_random: int) -> dict:
    from unspin.knowledge import ngram
    from unspin.knowledge.lm import PocketsphinxLM

    queries = exactness_queries(lm, ids, n_random, rng)
    t = time.perf_counter()
    ref = np.fromiter((ps.prob(q) for q in as_strings(lm, queries)), dtype=np.int64, count=len(queries))
    ps_seconds = time.perf_counter() - t
    got = lm.logprob_ids(queries[:, :2].astype(np.int32), queries[:, 2].astype(np.int32))
    diff = np.abs(got - ref * ngram.LN_BASE)
    ints = lm.scores_ids(queries[:, :2], queries[:, 2])
    # the scalar API against the existing wrapper, on strings (unknown words included)
    wrapper = PocketsphinxLM()
    sample = queries[rng.integers(0, len(queries), 100_000)]
    strings = [(w, [h2, h1]) for w, h1, h2 in as_strings(lm, sample)]
    scalar_diff = max(abs(lm.logprob(w, h) - wrapper.logprob(w, h)) for w, h in strings)
    return {
        "queries": len(queries),
        "max_abs_diff_nats": float(diff.max()),
        "mean_abs_diff_nats": float(diff.mean()),
        "integer_scores_differing": int((ints != ref).sum()),
        "unknown_predicted_rows": int((queries[:, 2] < 0).sum()),
        "cut_history_rows": int(((queries[:, :2] < 0).any(axis=1) & (queries[:, 2] >= 0)).sum()),
        "scalar_vs_wrapper_queries": len(strings),
        "scalar_vs_wrapper_max_abs_diff": float(scalar_diff),
        "pocketsphinx_reference_seconds": round(ps_seconds, 2),
    }


def ken_full(model, kenlm):
    """P(w | h2 h1) from KenLM the way unspin.knowledge.lm.KenLM asks: three BaseScore calls."""
    empty, after_h2, after_h1, out = kenlm.State(), kenlm.State(), kenlm.State(), kenlm.State()

    def query(w, h1, h2):
        model.NullContextWrite(empty)
        model.BaseScore(empty, h2, after_h2)
        model.BaseScore(after_h2, h1, after_h1)
        return model.BaseScore(after_h1, w, out)

    return query


def ken_memo(model, kenlm):
    """P(w | h2 h1) with one BaseScore call from a memoised state of the history."""
    states: dict[tuple[str, str], object] = {}
    out = kenlm.State()

    def query(w, h1, h2):
        state = states.get((h2, h1))
        if state is None:
            s0, s1, state = kenlm.State(), kenlm.State(), kenlm.State()
            model.NullContextWrite(s0)
            model.BaseScore(s0, h2, s1)
            model.BaseScore(s1, h1, state)
            states[(h2, h1)] = state
        return model.BaseScore(state, w, out)

    return query, states


def load_kenlm(lm, tmp: Path):
    """KenLM loaded from an ARPA written from the arrays (in `tmp`), and facts about the conversion."""
    import kenlm

    from unspin.knowledge import ngram

    arpa = tmp / "en-us.arpa"
    t = time.perf_counter()
    info = ngram.write_arpa(lm, arpa)
    write_s = time.perf_counter() - t
    config = kenlm.Config()
    config.arpa_complain = kenlm.ARPALoadComplain.NONE  # it substitutes the <unk> the model lacks
    config.show_progress = False
    before = rss_mb()
    t = time.perf_counter()
    model = kenlm.Model(str(arpa), config)
    facts = {"arpa_mb": round(arpa.stat().st_size / 1e6, 1), "arpa_write_s": round(write_s, 2),
             "arpa_load_s": round(time.perf_counter() - t, 2), "rss_increase_mb": round(rss_mb() - before, 1),
             "arpa_info": info, "build_binary": "not shipped by the pip kenlm package (Python module only)"}
    return model, facts


def kenlm_exactness(model, strings: list[list[str]], ref: list[int]) -> dict:
    import kenlm

    from unspin.knowledge import ngram

    full = ken_full(model, kenlm)
    ken = np.array([full(w, h1, h2) for w, h1, h2 in strings]) * math.log(10)
    diff = np.abs(ken - np.array(ref) * ngram.LN_BASE)
    return {"queries": len(strings), "max_abs_diff_nats": float(diff.max()), "mean_abs_diff_nats": float(diff.mean())}


def runners(lm, ps, wrapper, ken, rows: list[list[str]], mixed: np.ndarray, grouped: np.ndarray) -> dict:
    """One zero-argument callable per method, each answering the same queries (`rows` / their ids)."""
    n = len(rows)
    hist_words = [(w, [h2, h1]) for w, h1, h2 in rows]
    words = [r[0] for r in rows]
    prob = ps.prob

    def wrapper_run():
        wrapper._cache.clear()
        for w, h in hist_words:
            wrapper.logprob(w, h)

    def scalar_run():
        lm._scalar_memo.clear()
        for w, h in hist_words:
            lm.logprob(w, h)

    out = {
        "a NGramModel.prob per call": lambda: [prob(q) for q in rows],
        "b PocketsphinxLM.logprob (wrapper)": wrapper_run,
        "c0 ArrayLM.logprob (scalar)": scalar_run,
    }
    for name, table in (("mixed", mixed), ("grouped", grouped)):
        h, w = table[:n, :2].astype(np.int32), table[:n, 2].astype(np.int32)
        out[f"c ArrayLM.logprob_ids ({name})"] = lambda h=h, w=w: lm.logprob_ids(h, w)
    out["c1 ArrayLM.ids (word -> id lookup)"] = lambda: lm.ids(words)
    if ken is not None:
        import kenlm

        full = ken_full(ken, kenlm)

        def memo_run():
            query, _ = ken_memo(ken, kenlm)  # a fresh memo per run: histories are computed in the run
            for w, h1, h2 in rows:
                query(w, h1, h2)

        sentences = [f"{h2} {h1} {w}" for w, h1, h2 in rows]
        score = ken.score
        out["d KenLM BaseScore x3 per query"] = lambda: [full(w, h1, h2) for w, h1, h2 in rows]
        out["d KenLM BaseScore from memoised history state"] = memo_run
        out["d KenLM model.score of the trigram (joint, one call)"] = lambda: [
            score(s, bos=False, eos=False) for s in sentences]
    return out


def interleaved_speeds(methods: dict, n: int, runs: int, base: str) -> dict:
    """Queries/s per method, the methods taking turns within each run so that all of them see the same
    load on a shared machine; the ratio to `base` is the median of the per-run ratios."""
    wall: dict[str, list[float]] = {name: [] for name in methods}
    cpu: dict[str, list[float]] = {name: [] for name in methods}
    for _ in range(runs):
        for name, fn in methods.items():
            t, c = time.perf_counter(), time.process_time()
            fn()
            wall[name].append(time.perf_counter() - t)
            cpu[name].append(max(time.process_time() - c, 1e-9))
    out = {}
    for name in methods:
        ratios = [b / t for t, b in zip(wall[name], wall[base])]
        out[name] = {"wall_qps": round(n / statistics.median(wall[name])),
                     "cpu_qps": round(n / statistics.median(cpu[name])),
                     "ratio_to_a": round(statistics.median(ratios), 2)}
    return out


def measure_lookup_structures(lm, rows: np.ndarray, runs: int) -> dict:
    """Why hash tables: the bigram (h1, w) lookups of the mixed workload, by linear probing and by
    np.searchsorted over the same keys sorted (queries in workload order, as the engine asks)."""
    from unspin.knowledge import ngram

    keys = rows[:, 1].astype(np.int64) * lm.vocab_size + rows[:, 2]
    sorted_keys = np.sort(lm._bi_keys[lm._bi_keys != ngram.EMPTY_KEY])
    probe_s = median_seconds(lambda: ngram._probe(lm._bi_keys, lm._bi_bits, keys), runs)
    search_s = median_seconds(lambda: np.searchsorted(sorted_keys, keys), runs)
    table_mb = {name: round(getattr(lm, f"_{name}").nbytes / 1e6, 1) for name in ngram.ARRAY_NAMES}
    return {"keys": len(keys), "hash_probe_ms": round(probe_s * 1000, 1),
            "searchsorted_ms": round(search_s * 1000, 1), "array_mb": table_mb}


def warm_load_ms(runs: int) -> list[float]:
    """ngram.load() in fresh processes that have already imported numpy and the module (cache built)."""
    code = ("import time, numpy\nfrom unspin.knowledge import ngram\nt = time.perf_counter()\nngram.load()\n"
            "print((time.perf_counter() - t) * 1000)")
    out = []
    for _ in range(runs):
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        out.append(float(res.stdout.strip()))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000, 1_000_000])
    ap.add_argument("--exact-random", type=int, default=300_000,
                    help="rows per random part of the exactness set (the whole set is ~4.7x this)")
    ap.add_argument("--quick", action="store_true", help="runs 3, sizes 1k/100k, a smaller exactness set")
    ap.add_argument("--skip-kenlm", action="store_true")
    ap.add_argument("--out", type=Path, default=RESULTS / "lm.json")
    ap.add_argument("--render", action="store_true", help="only rewrite lm.md from an existing lm.json")
    args = ap.parse_args()
    if args.render:
        args.out.with_suffix(".md").write_text(render_markdown(json.loads(args.out.read_text())))
        return
    if args.quick:
        args.runs, args.sizes, args.exact_random = 3, [1_000, 100_000], 30_000

    from pocketsphinx import NGramModel

    from unspin.knowledge import ngram
    from unspin.knowledge.lm import PocketsphinxLM

    started = time.time()
    report: dict = {"command": " ".join([".venv/bin/python benchmarks/lm_bench.py", *sys.argv[1:]]),
                    "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(),
                    "runs": args.runs, "sizes": args.sizes}
    t = time.perf_counter()
    directory = ngram.cache_subdir(ngram.default_lm_path())
    fresh = not (directory / "meta.json").exists()
    lm = ngram.load()
    report["arraylm"] = {"first_load_s": round(time.perf_counter() - t, 3), "built_now": fresh,
                         "build_seconds": lm.meta.get("build_seconds"), "array_mb": round(lm.memory_bytes() / 1e6, 1),
                         "dir_mb": round(sum(p.stat().st_size for p in directory.iterdir()) / 1e6, 1),
                         "counts": {k: lm.meta[k] for k in ("header_counts", "stored_counts", "reachable_counts")}}
    loads = warm_load_ms(args.runs)
    report["arraylm"]["warm_load_ms"] = {"median": round(statistics.median(loads), 1),
                                         "runs": [round(x, 1) for x in loads]}
    t = time.perf_counter()
    ps = NGramModel.readfile(str(ngram.default_lm_path()))
    report["pocketsphinx_load_s"] = round(time.perf_counter() - t, 3)

    rng = np.random.default_rng(2026)
    ids = corpus_ids(lm)
    report["corpus"] = {"file": str(CORPUS.relative_to(DATA)), "tokens_with_markers": int(len(ids)),
                        "unknown_share": round(float((ids < 0).mean()), 4)}
    report["exactness"] = measure_exactness(lm, ps, ids, rng, args.exact_random)

    n_max = max(args.sizes)
    workloads = speed_workloads(lm, ids, n_max, rng)
    mixed, grouped = workloads["mixed"], workloads["grouped"]
    ps_rows = as_strings(lm, mixed)
    report["lookup_structure"] = measure_lookup_structures(lm, mixed, args.runs)
    with tempfile.TemporaryDirectory(prefix="unspin-lm-bench-") as tmp:
        ken = None
        if not args.skip_kenlm:
            ken, report["kenlm"] = load_kenlm(lm, Path(tmp))
            strings = ps_rows[: min(200_000, n_max)]
            report["kenlm"]["exactness"] = kenlm_exactness(ken, strings, [ps.prob(q) for q in strings])
        wrapper = PocketsphinxLM()
        report["speed"] = {
            str(n): interleaved_speeds(runners(lm, ps, wrapper, ken, ps_rows[:n], mixed, grouped), n, args.runs,
                                       base="a NGramModel.prob per call")
            for n in args.sizes
        }
    report["wall_seconds"] = round(time.time() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    md = args.out.with_suffix(".md")
    md.write_text(render_markdown(report))
    print(md.read_text())


# ---- report ----------------------------------------------------------------------------------------------------


def _fmt(v: float) -> str:
    return f"{v / 1e6:.2f} M" if v >= 1e6 else f"{v / 1e3:.0f} k"


def render_markdown(r: dict) -> str:
    m, a, e = r["machine"], r["arraylm"], r["exactness"]
    sizes = [str(s) for s in r["sizes"]]
    speed = r["speed"]
    lines = [
        "## Trigram LM queries: pocketsphinx, the array replica, KenLM",
        "",
        f"- Command: `{r['command']}` (reads ../shared/data/{r['corpus']['file']}; nothing from it is stored)",
        f"- Date: {r['date']}; machine: {m['cpu']}, {m['nproc']} cores (shared with other jobs, load average "
        f"{m['loadavg_at_start'][0]:.1f} at start), Python {m['python']}, numpy {m['numpy']}",
        f"- Queries: P(w | h2 h1) with every word in the vocabulary. *mixed* = shuffled text windows and "
        f"candidate words after real histories (half each); *grouped* = {CANDIDATES_PER_HISTORY} candidates "
        "after each history, the engine's pattern. Per-call methods get their argument lists built beforehand; "
        "the wrappers' memos are cleared before each run (repeats inside a batch still hit them). "
        f"Queries per second (wall clock), median of {r['runs']} runs; in each run the methods take turns, and "
        "the last column is the median of the per-run ratios to (a), which holds steadier than the speeds "
        "themselves on this shared machine (CPU-time rates are in lm.json):",
        "",
        "| method | " + " | ".join(f"{int(s):,} queries" for s in sizes)
        + f" | {int(sizes[-1]):,}, per CPU second | × (a) at {int(sizes[-1]):,} |",
        "|---|" + "---:|" * (len(sizes) + 2),
    ]
    for name in speed[sizes[0]]:
        vals = " | ".join(_fmt(speed[s][name]["wall_qps"]) for s in sizes)
        cpu = _fmt(speed[sizes[-1]][name]["cpu_qps"])
        ratio = speed[sizes[-1]][name]["ratio_to_a"]
        shown = "—" if name.startswith("c1") else f"{ratio:.1f}"  # a word lookup, not an LM query
        lines.append(f"| {name} | {vals} | {cpu} | {shown} |")
    k = r.get("kenlm")
    lines += [
        "",
        f"**Exactness** (ArrayLM vs `NGramModel.prob` × ln 1.0001): {e['queries']:,} queries (text windows, random "
        f"triples, candidates, stored trigrams and bigrams, {e['cut_history_rows']:,} with cut histories, "
        f"{e['unknown_predicted_rows']:,} with unknown predicted words): max abs difference "
        f"**{e['max_abs_diff_nats']:.1e} nats**, mean {e['mean_abs_diff_nats']:.1e}; integer scores differing: "
        f"{e['integer_scores_differing']}. Scalar `ArrayLM.logprob` vs `PocketsphinxLM.logprob` on "
        f"{e['scalar_vs_wrapper_queries']:,} string queries (unknown words included): max difference "
        f"{e['scalar_vs_wrapper_max_abs_diff']:.1e}.",
    ]
    if k:
        ke = k["exactness"]
        lines.append(
            f"KenLM on the ARPA written from the arrays: max abs difference {ke['max_abs_diff_nats']:.1e} nats "
            f"(mean {ke['mean_abs_diff_nats']:.1e}) over {ke['queries']:,} queries — pocketsphinx truncates its "
            "float scores to integers in log base 1.0001 (up to 1e-4 nats), KenLM does not, and KenLM sums float32 "
            "log10 values (the rest).")
    lines += [
        "",
        f"**Memory and load.** ArrayLM arrays: {a['array_mb']} MB memory-mapped from the cache dir ({a['dir_mb']} MB "
        f"on disk with the vocabulary; hash tables at most half full); built once in {a['build_seconds']} s; "
        f"`ngram.load()` in a warm process: median **{a['warm_load_ms']['median']} ms** "
        f"(runs {a['warm_load_ms']['runs']}). pocketsphinx reads its 27 MB file in {r['pocketsphinx_load_s']} s."
    ]
    ls = r.get("lookup_structure")
    if ls:
        mb = ls["array_mb"]
        lines.append(
            f"Per table: bigrams {mb['bi_keys'] + mb['bi_prob'] + mb['bi_bo']:.0f} MB (int64 keys, float32 prob and "
            f"back-off), trigrams {mb['tri_keys'] + mb['tri_prob']:.0f} MB, unigrams "
            f"{mb['uni_prob'] + mb['uni_bo']:.1f} MB. Lookup structure: {ls['keys']:,} bigram lookups take "
            f"{ls['hash_probe_ms']} ms by linear probing vs {ls['searchsorted_ms']} ms by `np.searchsorted` on "
            "sorted keys (random access either way; the binary search makes ~21 dependent ones per key).")
    if k:
        lines.append(
            f"KenLM: ARPA {k['arpa_mb']} MB written in {k['arpa_write_s']} s, loaded in {k['arpa_load_s']} s "
            f"(+{k['rss_increase_mb']} MB RSS); `build_binary` is {k['build_binary']}, and a binary would only "
            "load faster — queries go through the same probing hash table either way.")
    for note in r.get("notes", []):  # added by hand to lm.json, e.g. a quieter run's figures
        lines += ["", note]
    c = a["counts"]
    lines += [
        "",
        f"Counts: header {c['header_counts']}, stored {c['stored_counts']}, reachable {c['reachable_counts']} "
        "(the header counts 6 allocated but unused bigram slots; 2 trigrams sit in unsorted sibling lists where "
        "pocketsphinx's interpolation search cannot find them, so it backs off — the replica does the same).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
