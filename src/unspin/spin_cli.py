"""`unspin spin`: the spinner on the command line (text, JSON with alignment, or spintax)."""
from __future__ import annotations

import argparse
import json
import sys

from .cli_args import installed_thesauri
from .types import ExitCode


def _bool(v: str) -> bool:
    if v.lower() in ("1", "yes", "true", "on"):
        return True
    if v.lower() in ("0", "no", "false", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected yes/no, got {v!r}")


SWITCHES = (  # the spinner behaviours a user may switch (yes/no), each over its style's default
    ("pos-blind", "ignore part of speech when choosing a synonym"),
    ("prefer-rare", "weight choices towards unusual synonyms"),
    ("prefer-common", "weight choices towards common synonyms (when not preferring rare ones)"),
    ("partial-occurrences", "decide per occurrence (else a word is swapped everywhere or nowhere)"),
    ("consistent", "give a word the same synonym at every swapped occurrence, as dictionary tools do"),
    ("word-to-phrase", "allow single words to become phrases"),
    ("phrase-to-word", "allow thesaurus phrases to become single words"),
    ("names", "swap words inside capitalised names"),
    ("keep-case", "keep capitalisation (no: break it sometimes, like cheap tools)"),
    ("inflect", "inflect synonyms like the words they replace"),
)


def add_parser(sub) -> None:
    p = sub.add_parser("spin", help="spin text like a synonym spinner (with ground-truth alignment)",
                       description="Spin text deterministically (same seed, same output). Each behaviour of "
                       "real spinners can be switched with the yes/no options.")
    p.add_argument("path", nargs="?", default=None, metavar="PATH",
                   help="text file; - (or none) reads standard input")
    p.add_argument("--rate", type=float, default=None,
                   help="share of eligible words replaced (default 0.25; 0.3 with --dictionary)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--style", choices=("crude", "rewriter", "careful"), default=None,
                   help="crude: free word swapper (unusual synonyms, any part of speech); rewriter: article-rewriter "
                   "site (common synonyms of the same part of speech, senses ignored); careful: WordAi-like (the "
                   "synonym that fits the context, fewer swaps; default crude)")
    p.add_argument("--sources", type=installed_thesauri, default=None,
                   help="thesauri to draw from: moby, mythes, wordnet (comma-separated; default moby)")
    p.add_argument("--format", choices=("text", "json", "spintax"), default="text")
    p.add_argument("--from-spintax", metavar="FILE",
                   help="expand a spintax file instead of spinning (plain text out; no PATH)")
    p.add_argument("--dictionary", metavar="FILE",
                   help="spin with a fixed tool dictionary (from `unspin spinners new`) instead of free choice")
    for name, hlp in SWITCHES:
        p.add_argument(f"--{name}", type=_bool, default=None, metavar="yes|no", help=hlp + " (style default)")
    p.set_defaults(func=run)


def run(args) -> int:
    from .inputs import InputError, read_input
    from .spin import SpinOptions, SpintaxError, expand_spintax, spin

    if args.from_spintax:
        if args.path is not None or args.format != "text" or args.dictionary or args.rate is not None:
            # (the spintax file holds the choices already: a --rate would be silently ignored)
            print("unspin spin: --from-spintax expands its own file to plain text (--seed picks the alternatives): "
                  "give no PATH, --format, --rate or --dictionary with it", file=sys.stderr)
            return int(ExitCode.USAGE)
        try:
            src = read_input(args.from_spintax).text
            out = expand_spintax(src, seed=args.seed)
        except InputError as e:
            print(f"unspin: {e}", file=sys.stderr)
            return int(ExitCode.INPUT)
        except SpintaxError as e:
            print(f"unspin: {args.from_spintax}: {e}", file=sys.stderr)
            return int(ExitCode.INPUT)
        sys.stdout.write(out)
        return 0
    try:
        text = read_input(args.path or "-").text
    except InputError as e:
        print(f"unspin: {e}", file=sys.stderr)
        return int(ExitCode.INPUT)
    switches = [name.replace("-", "_") for name, _ in SWITCHES]
    if args.dictionary:
        # a tool's dictionary fixes every choice: options that would change them are refused, not ignored
        given = ([f"--{n}" for n in ("style", "sources") if getattr(args, n) is not None]
                 + [f"--{n.replace('_', '-')}" for n in switches if getattr(args, n) is not None])
        if given:
            print(f"unspin spin: --dictionary applies the tool's fixed choices; {', '.join(given)} "
                  f"{'does' if len(given) == 1 else 'do'} not apply to it", file=sys.stderr)
            return int(ExitCode.USAGE)
        from .spinners.files import SpinnerFileError
        from .spinners.tool import apply_dictionary, load_tool

        try:
            tool = load_tool(args.dictionary)
            result = apply_dictionary(text, tool, rate=0.3 if args.rate is None else args.rate, seed=args.seed)
        except SpinnerFileError as e:
            print(f"unspin: {e}", file=sys.stderr)
            return int(ExitCode.INPUT)
        except ValueError as e:
            print(f"unspin: {e}", file=sys.stderr)
            return int(ExitCode.USAGE)
        return _emit(result, args.format)
    overrides = {k: getattr(args, k) for k in switches}
    try:
        opts = SpinOptions.for_style(args.style or "crude", sources=args.sources or ("moby",), rate=args.rate,
                                     **overrides)
        result = spin(text, seed=args.seed, options=opts)
    except (ValueError, FileNotFoundError) as e:
        print(f"unspin: {e}", file=sys.stderr)
        return int(ExitCode.USAGE if isinstance(e, ValueError) else ExitCode.INPUT)
    return _emit(result, args.format)


def _emit(result, fmt: str) -> int:
    from .spin import to_spintax

    if fmt == "json":
        print(json.dumps(result.to_dict(), ensure_ascii=False))
    elif fmt == "spintax":
        sys.stdout.write(to_spintax(result))
    else:
        sys.stdout.write(result.text)
    return 0
