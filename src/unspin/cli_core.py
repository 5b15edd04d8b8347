"""Subcommands of the core engine: check, restore, knowledge, train, bench. Thin wrappers over the library."""
from __future__ import annotations

import argparse
import json
import sys

from .types import LEVEL_FINDING, SCHEMA_VERSION, ExitCode

def _engine_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("engine options")
    g.add_argument("--threshold", type=float, help="detector probability for a finding (default: the model's, "
                   "chosen for ≤ 1 false finding per 1,000 words of clean prose)")
    g.add_argument("--review", action="store_true", help="review mode: also show borderline spans (level "
                   "'suspect'; restore applies them too); for a person going through one text, expect false alarms")
    g.add_argument("--lm", dest="lm_path", metavar="FILE", help="KenLM ARPA/binary model instead of the built-in one")
    g.add_argument("--thesauri", metavar="NAMES", help="thesauri to draw candidate originals from (comma-separated: "
                   "moby, mythes, wordnet; default: every installed one)")
    g.add_argument("--model", dest="model_path", metavar="FILE", help="model weights file (default: the shipped one)")
    g.add_argument("--no-fingerprints", action="store_true", help="do not match imported tortured-phrase lists")
    g.add_argument("--lists", metavar="NAMES", help="comma-separated fingerprint lists to use (default: all)")
    g.add_argument("--fingerprints-db", metavar="FILE", help="fingerprint database (default: user data dir)")
    g.add_argument("--index", metavar="DIR", help="trace index: restore exactly from an aligned source text")


def _options_from(args) -> dict:
    opts: dict = {}
    if args.threshold is not None:
        opts["threshold"] = args.threshold
    if args.lm_path:
        opts["lm_path"] = args.lm_path
    if getattr(args, "thesauri", None):
        opts["thesauri"] = tuple(x.strip() for x in args.thesauri.split(",") if x.strip())
    if args.model_path:
        opts["model_path"] = args.model_path
    if args.no_fingerprints:
        opts["fingerprints"] = False
    elif args.lists:
        opts["fingerprints"] = [x.strip() for x in args.lists.split(",") if x.strip()]
    if args.fingerprints_db:
        opts["fingerprints_db"] = args.fingerprints_db
    if args.index:
        opts["index"] = args.index
    return opts


def add_parser(sub) -> None:
    p = sub.add_parser("check", help="find spun words and phrases", description="Find spun words and phrases; "
                       "exit 0 when nothing is found, 1 with findings, 2 on usage errors, 4 when an input is bad.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="text files; - reads standard input")
    p.add_argument("--format", choices=("text", "json", "html"), default="text")
    p.add_argument("--output-dir", metavar="DIR", help="with --format html: write one page per input here")
    _engine_options(p)
    p.set_defaults(func=run_check)

    p = sub.add_parser("restore", help="print the text with spun spans replaced by their originals")
    p.add_argument("path", metavar="PATH", help="a text file; - reads standard input")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--min-confidence", type=float, default=0.0, help="only restore findings at least this sure")
    _engine_options(p)
    p.set_defaults(func=run_restore)

    p = sub.add_parser("knowledge", help="build or describe the cached knowledge indexes")
    ks = p.add_subparsers(dest="knowledge_cmd", metavar="ACTION")
    b = ks.add_parser("build", help="parse thesauri into the cache (done automatically on first use)")
    b.add_argument("--sources", default=None, help="comma-separated: moby, mythes, wordnet (default: every "
                   "installed one)")
    b.set_defaults(func=run_knowledge_build)
    i = ks.add_parser("info", help="where the cache is and what it holds")
    i.set_defaults(func=run_knowledge_info)

    p = sub.add_parser("train", help="learn the engine's weights from spinner output (writes the model file)")
    p.add_argument("--corpus", metavar="DIR", help="clean corpus (default: ../shared/data when present)")
    p.add_argument("--words", type=int, default=40_000, help="train-split words per register")
    p.add_argument("--dev-words", type=int, default=25_000, help="dev-split words per register")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--out", metavar="FILE", help="model file to write (default: the package's model.json)")
    p.add_argument("--jobs", type=int, default=2, help="processes for spinning and feature extraction")
    p.set_defaults(func=run_train)

    p = sub.add_parser("bench", help="measure the engine on spinner output and clean text (see BENCHMARKS.md)")
    p.add_argument("--corpus", metavar="DIR", help="clean corpus (default: ../shared/data when present)")
    p.add_argument("--words", type=int, default=3_000, help="test-split words per register to spin, per condition")
    p.add_argument("--clean-words", type=int, default=20_000, help="test-split words per register checked unspun")
    p.add_argument("--rates", default="0.1,0.3")
    p.add_argument("--styles", default="crude,careful")
    p.add_argument("--pps", metavar="FILE", help="PPS-format list (JSON/CSV) for the tortured-phrase run")
    p.add_argument("--pps-limit", type=int, default=2000, help="phrases sampled from the PPS list")
    p.add_argument("--seed", type=int, default=101, help="spinner seed base (held out from training seeds)")
    p.add_argument("--out", metavar="FILE", help="JSON results file")
    p.add_argument("--quick", action="store_true", help="tiny run (harness check)")
    p.set_defaults(func=run_bench)


def _read_all(paths):
    from .inputs import InputError, read_input

    for path in paths:
        try:
            name, text = read_input(path)
            yield name, text, None
        except InputError as e:
            yield path, None, str(e)


def run_check(args) -> int:
    import unspin

    from . import render

    opts = _options_from(args)
    if args.format == "html" and len(args.paths) > 1 and not args.output_dir:
        print("unspin check: --format html with several inputs needs --output-dir", file=sys.stderr)
        return int(ExitCode.USAGE)
    any_findings = False
    any_error = False
    for name, text, err in _read_all(args.paths):
        if err:
            any_error = True
            print(f"unspin: {err}", file=sys.stderr)
            if args.format == "json":
                print(json.dumps({"schema": SCHEMA_VERSION, "path": name, "error": err}, ensure_ascii=False))
            continue
        try:
            report = unspin.check(text, path=name, **opts)
        except (FileNotFoundError, ValueError, ImportError) as e:
            print(f"unspin: {name}: {e}", file=sys.stderr)
            return int(ExitCode.INPUT)
        any_findings |= bool(report.at_level(LEVEL_FINDING))
        if args.format == "json":
            print(render.json_report(report), flush=True)
        elif args.format == "html":
            page = render.html_report(report)
            if args.output_dir:
                from pathlib import Path

                out = Path(args.output_dir)
                out.mkdir(parents=True, exist_ok=True)
                target = out / (Path(name).name.replace("<", "").replace(">", "") + ".html")
                target.write_text(page, encoding="utf-8")
                print(f"{name}: {target}")
            else:
                sys.stdout.write(page)
        else:
            print(render.text_report(report, review=args.review), flush=True)
    if any_error:
        return int(ExitCode.INPUT)
    return int(ExitCode.FINDINGS if any_findings else ExitCode.OK)


def run_restore(args) -> int:
    import unspin

    from . import render

    opts = _options_from(args)
    [(name, text, err)] = list(_read_all([args.path]))
    if err:
        print(f"unspin: {err}", file=sys.stderr)
        return int(ExitCode.INPUT)
    restored = unspin.restore(text, path=name, min_confidence=args.min_confidence, include_suspects=args.review,
                              **opts)
    if args.format == "json":
        print(render.json_restored(restored))
    else:
        sys.stdout.write(restored.text)
        if not restored.text.endswith("\n"):
            sys.stdout.write("\n")
    return int(ExitCode.FINDINGS if restored.edits else ExitCode.OK)


def run_knowledge_build(args) -> int:
    """Build every cache the engine reads (done automatically on first use; this does it up front)."""
    import time

    from .knowledge import lexicon, lm, thesaurus

    t = time.time()
    sources = tuple(s.strip() for s in (args.sources or "").split(",") if s.strip()) or thesaurus.available_sources()
    try:
        lex = lexicon.load(sources)
    except (FileNotFoundError, ValueError) as e:
        print(f"unspin: {e}", file=sys.stderr)
        return int(ExitCode.INPUT)
    model = lm.load()
    missing = [s for s in thesaurus.KNOWN_SOURCES if s not in sources]
    note = f" (not installed: {', '.join(missing)}; `make system-deps` adds them)" if missing else ""
    print(f"thesauri {'+'.join(sources)}{note}: {len(lex.th.terms):,} terms, {len(lex.th.fwd_ids):,} links, "
          f"{len(lex.forms):,} word forms, GloVe vectors for {int((lex.vec_row >= 0).sum()):,}; language model "
          f"{model.vocab_size if hasattr(model, 'vocab_size') else '?':,} words ({time.time() - t:.1f} s)")
    return 0


def run_knowledge_info(args) -> int:
    from .knowledge import cache_dir

    d = cache_dir()
    print(f"cache dir: {d}")
    for sub in sorted(d.iterdir()):
        if sub.is_dir():
            size = sum(f.stat().st_size for f in sub.iterdir())
            print(f"  {sub.name}: {size / 1e6:.1f} MB")
    return 0


def run_train(args) -> int:
    from . import train

    try:
        train.train(root=args.corpus, words_per_register=args.words, dev_words_per_register=args.dev_words,
                    seed=args.seed, out=args.out, jobs=args.jobs)
    except FileNotFoundError as e:
        print(f"unspin: {e}", file=sys.stderr)
        return int(ExitCode.INPUT)
    return 0


def run_bench(args) -> int:
    from . import bench

    args.argv = sys.argv[2:]
    try:
        return bench.main(args)
    except (FileNotFoundError, ValueError) as e:  # missing corpus, unreadable PPS list
        print(f"unspin: {e}", file=sys.stderr)
        return int(ExitCode.INPUT)
