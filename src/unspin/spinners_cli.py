"""`unspin spinners new|learn|identify|train`: argparse wiring only (heavy imports happen inside the commands)."""
from __future__ import annotations

import argparse
import json
import os
import sys

from .cli_args import installed_thesauri, known_thesauri
from .types import SCHEMA_VERSION, ExitCode


def _rate(s: str) -> float:
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {s!r}") from None
    if not 0.0 <= v <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1: {v}")
    return v


def add_parser(sub) -> None:
    p = sub.add_parser("spinners", help="spinning tools: draw one, learn one from its output, identify the tool",
                       description="Spinning tools apply a fixed dictionary (the same tool always writes 'firm' for "
                       "'company'). Draw such a tool, learn a tool's dictionary from a pile of its output (no "
                       "originals needed), and find which learned dictionary explains a document.")
    s = p.add_subparsers(dest="spinners_command", metavar="COMMAND")

    n = s.add_parser("new", help="draw a tool's fixed dictionary", description="Draw a fixed dictionary like a real "
                     "spinning tool: one replacement (or a small fixed set) per eligible word or phrase, preferring "
                     "rare synonyms (free tools) or common ones (rewriter sites), blind to part of speech; a share of "
                     "words is left alone.")
    n.add_argument("--seed", type=int, required=True)
    n.add_argument("--out", "-o", required=True, metavar="FILE", help="tool file to write (JSON)")
    n.add_argument("--sources", default=("moby",), type=installed_thesauri,
                   help="thesauri to draw from: moby, mythes, wordnet (comma-separated)")
    n.add_argument("--keep-share", type=_rate, default=0.25, help="share of eligible words the tool leaves alone")
    n.add_argument("--multi-share", type=_rate, default=0.15,
                   help="share of entries with a small fixed set (2-3) of replacements")
    n.add_argument("--choice", choices=("rare", "common"), default="rare",
                   help="which synonyms the tool prefers: rare ones (free spinners: 'nisus' for effort) or common "
                   "ones (rewriter sites: 'system' for network); default rare")
    n.add_argument("--name", default="", help="a name stored in the file (default tool-SEED)")
    n.set_defaults(func=run_new)

    lr = s.add_parser("learn", help="learn a tool's dictionary from a pile of its output",
                      description="Estimate a spinning tool's dictionary from documents it produced, without the "
                      "originals. Writes a learned-dictionary file that is also a fingerprint list "
                      "(unspin fingerprints import FILE) so check, screen and serve use it.")
    lr.add_argument("inputs", nargs="+", metavar="DOC", help="files or directories (txt/md/html/pdf/docx/jsonl/csv/"
                    "parquet, like unspin screen)")
    lr.add_argument("--out", "-o", required=True, metavar="FILE")
    lr.add_argument("--name", default=None, help="dictionary name (default: the output file's stem)")
    lr.add_argument("--index", metavar="DIR", help="trace index: documents that align with a source give exact pairs")
    lr.add_argument("--engine", dest="engine", action="store_true", default=True,
                    help="use unspin check's findings as evidence (the default)")
    lr.add_argument("--no-engine", dest="engine", action="store_false",
                    help="leave the engine's findings out (faster, lower recall at the same precision)")
    lr.add_argument("--no-variants", dest="variants", action="store_false", default=True,
                    help="do not align documents that are spun variants of one text with each other")
    lr.add_argument("--sources", default=("moby", "mythes", "wordnet"), type=known_thesauri,
                    help="thesauri the learner may link pairs with (the tool's own source is unknown; those not "
                    "installed are left out)")
    lr.add_argument("--threshold", type=_rate, default=None,
                    help="confidence an entry needs (default: the model's, chosen for precision ≥ 0.9 on held-out tools)")
    lr.add_argument("--min-count", type=int, default=2, help="occurrences a spun form needs (default 2)")
    lr.add_argument("--text-field", default="text", metavar="NAME", help="text field of JSONL/CSV/Parquet inputs")
    lr.add_argument("--format", choices=("text", "json"), default="text", help="summary on standard output")
    lr.set_defaults(func=run_learn)

    idf = s.add_parser("identify", help="which learned dictionary (tool) explains a document",
                       description="Likelihood of the document under each learned dictionary against clean English, "
                       "as calibrated probabilities; 'none' when no dictionary explains it. The bar for naming "
                       "one rises with the number of dictionaries given: each is one more chance of a chance match.")
    idf.add_argument("paths", nargs="*", metavar="DOC", help="text files or directories of them (.txt, .md, .rst); - "
                     "reads standard input (put them before --spinners, or end the --spinners list with --)")
    idf.add_argument("--spinners", nargs="+", required=True, metavar="FILE", help="learned-dictionary files")
    idf.add_argument("--min-probability", type=_rate, default=0.5)
    idf.add_argument("--together", action="store_true",
                     help="the documents come from one source (a site, an author): pool their evidence and answer once")
    idf.add_argument("--format", choices=("text", "json"), default="text")
    idf.set_defaults(func=run_identify)

    tr = s.add_parser("train", help="retrain the learner's model from drawn tools (developers)",
                      description="Draw tools with training seeds, spin corpus documents (train split; dev split for "
                      "the threshold), label candidate pairs by the alignment and fit the pair model.")
    tr.add_argument("--docs", type=int, default=50, help="documents per tool (default 50)")
    tr.add_argument("--jobs", type=int, default=1)
    tr.add_argument("--precision", type=float, default=0.9, help="dev precision the threshold is chosen for")
    tr.add_argument("--corpus", default=None, metavar="DIR")
    tr.add_argument("--out", default=None, metavar="FILE", help="default: src/unspin/data/spinners.json")
    tr.add_argument("--examples", default=None, metavar="FILE",
                    help="pickle cache of the featurised examples (written once, reused: refits take seconds)")
    tr.add_argument("--unexplained-only", action="store_true",
                    help="only choose the threshold for piles whose confident pairs include some no thesaurus of the "
                    "learner links (dev tools learned without their own thesaurus) for the model file at --out "
                    "(default: the package's) and rewrite it")
    tr.set_defaults(func=run_train)
    p.set_defaults(func=lambda args: (p.print_help(sys.stderr), int(ExitCode.USAGE))[1])


def _err(msg: str, code: ExitCode = ExitCode.INPUT) -> int:
    print(f"unspin spinners: {msg}", file=sys.stderr)
    return int(code)


def run_new(args) -> int:
    from .spinners.tool import CHOICE_RARITY, new_dictionary

    sources = args.sources
    try:
        tool = new_dictionary(args.seed, sources, keep_share=args.keep_share, multi_share=args.multi_share,
                              rarity=CHOICE_RARITY[args.choice], name=args.name)
    except FileNotFoundError as e:
        return _err(str(e))
    except ValueError as e:
        return _err(str(e), ExitCode.USAGE)
    try:
        tool.save(args.out)
    except OSError as e:
        return _err(f"cannot write {args.out}: {e.strerror or e}")
    print(f"{args.out}: {len(tool):,} entries drawn from {', '.join(sources)} (seed {args.seed})", file=sys.stderr)
    return 0


def run_learn(args) -> int:
    from pathlib import Path

    from .readers import iter_documents
    from .spinners.learn import learn, save

    # where the result goes is checked before the learning (minutes on a large pile) is done; like every
    # output option refused before any work (check --output-dir, trace --output, mine --out), a usage error
    parent = Path(args.out).resolve().parent
    if not parent.is_dir():
        return _err(f"--out {args.out}: cannot write: the directory {parent} does not exist", ExitCode.USAGE)
    if not os.access(parent, os.W_OK):
        return _err(f"--out {args.out}: cannot write: the directory {parent} is not writable", ExitCode.USAGE)
    if Path(args.out).is_dir():
        return _err(f"--out {args.out}: cannot write: it is a directory", ExitCode.USAGE)
    texts, errors = [], 0
    for doc in iter_documents(args.inputs, text_field=args.text_field):
        if doc.error:
            errors += 1
            # (an error names its file already; a row of a JSONL/CSV file is named by its id)
            where = "" if doc.error.startswith(f"{doc.source}:") and doc.meta.get("row") is None else f"{doc.id}: "
            print(f"unspin spinners: {where}{doc.error} (skipped)", file=sys.stderr)
            continue
        texts.append(doc.text)
    if not texts:
        return _err("no readable documents to learn from")
    sources = args.sources
    name = args.name or Path(args.out).stem
    try:
        d = learn(texts, sources=sources, index=args.index, engine=args.engine, min_count=args.min_count,
                  threshold=args.threshold, name=name, variants=args.variants)
    except (ValueError, FileNotFoundError) as e:
        return _err(str(e))
    try:
        save(d, args.out)
    except OSError as e:
        return _err(f"cannot write {args.out}: {e.strerror or e}")
    if args.format == "json":
        print(json.dumps({"schema": SCHEMA_VERSION, "out": args.out, "documents": d.documents, "words": d.words,
                          "entries": len(d),
                          "variant_groups": d.meta.get("variant_groups", 0),
                          "top": [{"spun": e.spun, "original": e.original, "count": e.count,
                                   "confidence": e.confidence} for e in d.entries[:20]]}, ensure_ascii=False))
    else:
        print(f"{args.out}: {len(d)} {'entry' if len(d) == 1 else 'entries'} learned from {d.documents} "
              f"{'document' if d.documents == 1 else 'documents'} ({d.words:,} {'word' if d.words == 1 else 'words'} "
              "outside quoted speech, which tools leave alone)")
        if d.meta.get("variant_groups"):
            n_texts = d.meta["variant_groups"]
            print(f"  {d.meta['variant_documents']} documents are spun variants of {n_texts} "
                  f"text{'' if n_texts == 1 else 's'}: their differences were aligned (entries marked variants, "
                  "confidence by the copies that showed them), and the stories' own words are not taken for the "
                  "tool's")
        for e in sorted(d.entries, key=lambda e: (-e.count, e.spun))[:15]:
            print(f"  {e.spun} → {e.original}  ×{e.count} in {e.docs} {'doc' if e.docs == 1 else 'docs'}  "
                  f"confidence {e.confidence:.2f}"
                  + (f"  ({e.source})" if e.source != "pile" else ""))
        if len(d):
            print(f"use it: unspin fingerprints import {args.out}")
        else:
            print("  no entry reached the confidence an entry needs: a larger pile of the tool's output shows more "
                  "(the file holds no entries to import)")
    return int(ExitCode.INPUT) if errors else 0


def run_identify(args) -> int:
    from .inputs import read_inputs
    from .spinners.files import SpinnerFileError
    from .spinners.identify import Scorer, identify
    from .spinners.learn import load_learned, load_model

    if not args.paths:
        # (argparse gives every word after --spinners to that list, so `--spinners a.json doc.txt` leaves no DOC)
        return _err("no document to identify: put the documents before --spinners, or end the --spinners list "
                    "with -- (unspin spinners identify --spinners a.json b.json -- doc.txt)", ExitCode.USAGE)
    try:
        dicts = [load_learned(p) for p in args.spinners]
    except SpinnerFileError as e:
        return _err(str(e))
    cal = load_model()["identify"]
    scorers = [Scorer(d, cal) for d in dicts]
    code = 0

    def answer(label: str, where: dict, texts: list[str]) -> None:
        res = identify(texts, scorers, min_probability=args.min_probability)
        if args.format == "json":
            print(json.dumps({"schema": SCHEMA_VERSION, **where, **res.to_dict()}, ensure_ascii=False), flush=True)
        else:
            hits = res.hits.get(res.best, [])
            shown = ", ".join(f"{s}→{o}" if o else s for s, o, _ in hits[:6])
            tools = sorted(((k, v) for k, v in res.probabilities.items() if k != "none"), key=lambda kv: -kv[1])
            if res.best == "none" and len(tools) > 1 and sum(v for _, v in tools) >= args.min_probability:
                # no one dictionary reaches the bar, yet together they are likely: say so, not a bare "none"
                close = ", ".join(f"{k} {v:.3f}" for k, v in tools[:3])
                print(f"{label}: none alone (probability of none {res.probability:.3f}; {res.words} words outside quotations): "
                      f"the evidence fits several dictionaries about as well ({close}) — dictionaries of one tool, "
                      "or tools that share a thesaurus", flush=True)
                return
            what = "probability of none" if res.best == "none" else "probability"
            print(f"{label}: {res.best} ({what} {res.probability:.3f}; {res.words} words outside quotations"
                  + (f"; evidence: {shown}" if hits else "") + ")", flush=True)

    pooled: list[tuple[str, str]] = []  # --together: the documents that could be read, answered once at the end
    # inputs as `check` reads them: directories walked for text files, '-' (stdin, once) named <stdin>
    for path, inp, error in read_inputs(args.paths):
        if error:
            print(f"unspin: {error}", file=sys.stderr)
            if args.format == "json":  # a batch reader sees every input answered, as `check --format json` does
                print(json.dumps({"schema": SCHEMA_VERSION, "path": path, "error": error}, ensure_ascii=False),
                      flush=True)
            code = int(ExitCode.INPUT)
            continue
        text = inp.text
        if args.together:
            pooled.append((path, text))
        else:
            answer(path, {"path": path}, [text])
    if pooled:
        n = len(pooled)
        answer(f"{n} document{'s' if n != 1 else ''} together", {"paths": [p for p, _ in pooled]},
               [t for _, t in pooled])
    return code


def run_train(args) -> int:
    from .spinners.train import main

    return main(args)
