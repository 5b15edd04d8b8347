"""The public entry points `check` and `restore`: the engine composed with the finding sources.

    options ─► knowledge (thesauri, LM, vectors, learned pairs) ─┐
            ─► finding sources (imported lists, a trace index) ──┼─► engine.check ─► Report
                                                                 ┘    (model findings + external ones)

This is the only module that knows every layer: the engine never imports fingerprints or trace, and they never
call back into `check` (a trace index that needs restored text gets `restore` passed in from here).
"""
from __future__ import annotations

import math
import numbers
import os
from dataclasses import dataclass, fields

from .edits import restore_report
from .types import FindingSource, Report, Restored


@dataclass
class Options:
    """Everything a caller may set (CLI flags, API fields, `check(**options)`)."""

    path: str | None = None  # a label for the report (never opened here)
    threshold: float | None = None  # model probability for a `finding` (default: the model's)
    suspect_threshold: float | None = None  # model probability for a `suspect` (default: the model's)
    thesauri: tuple[str, ...] | None = None  # candidate sources (default: every installed thesaurus)
    lm_path: str | None = None  # a KenLM ARPA/binary model instead of the pocketsphinx default
    model_path: str | None = None
    fingerprints: object = None  # None: lists in the local DB if any; False: none; a list of list names
    fingerprints_db: str | None = None
    learned_pairs: bool = True  # word pairs learned from imported lists as extra candidates
    variants: bool = True  # variants of listed phrases (suspects; fingerprints/variants.py)
    index: str | None = None  # trace index dir: exact restorations from an aligned source
    cascade: bool = True  # skip spans the cheap first stage rules out
    screen: bool = False  # corpus screening: documents the first stage clears get no span analysis (stage "screen")
    allow: tuple[str, ...] = ()  # words and phrases never reported (a field's jargon; one word covers its inflections)

    def __post_init__(self):
        # a wrong type is said here, naming the option, not deep inside (a string "False" is true, 0 is not False)
        for name in ("learned_pairs", "variants", "cascade", "screen"):
            setattr(self, name, _flag(name, getattr(self, name)))
        for name in ("path", "lm_path", "model_path", "fingerprints_db", "index"):
            v = getattr(self, name)
            if v is not None and not isinstance(v, (str, os.PathLike)):
                raise TypeError(f"{name} must be a path (str), got {type(v).__name__}")
        self.fingerprints = _list_names(self.fingerprints)
        if isinstance(self.allow, str) or not _is_names(self.allow or ()):
            raise TypeError(f"allow must be a list of words or phrases, got {self.allow!r}")
        self.allow = tuple(sorted({" ".join(w.split()) for w in (self.allow or ()) if w.strip()}))
        if self.thesauri is not None:
            from .knowledge.thesaurus import checked_sources

            names = self.thesauri
            if not (isinstance(names, str) or _is_names(names)):
                raise TypeError(f"thesauri must be names such as 'moby,wordnet' or ['moby'], got {self.thesauri!r}")
            self.thesauri = checked_sources(self.thesauri)
        for name in ("threshold", "suspect_threshold"):
            if getattr(self, name) is not None:
                check_probability(name, getattr(self, name))


def _is_bool(v) -> bool:
    return type(v).__name__ in ("bool", "bool_")  # Python's or numpy's


def _is_names(v) -> bool:
    """A list, tuple or set of strings (thesaurus or list names)."""
    return isinstance(v, (list, tuple, set, frozenset)) and all(isinstance(n, str) for n in v)


def _flag(name: str, v) -> bool:
    if not _is_bool(v):
        raise TypeError(f"{name} must be True or False, got {v!r}")
    return bool(v)


def _list_names(v):
    """`fingerprints`: None (every imported list), False (none), or list names (one name as a str is one list)."""
    if v is None:
        return None
    if _is_bool(v):
        return None if v else False
    if isinstance(v, str):
        return [v]
    if _is_names(v):
        return sorted(v) if isinstance(v, (set, frozenset)) else list(v)
    raise TypeError(f"fingerprints must be None (every imported list), False (none) or list names, got {v!r}")


def check_probability(name: str, v) -> None:
    """A library argument that must be a finite number from 0 to 1 (ValueError naming it otherwise); numpy
    numbers count."""
    if _is_bool(v) or not isinstance(v, numbers.Real) or not math.isfinite(v) or not 0 <= v <= 1:
        raise ValueError(f"{name} must be a number between 0 and 1, got {v!r}")


OPTION_NAMES = tuple(f.name for f in fields(Options))


def finding_sources(opts: Options) -> list[FindingSource]:
    """The sources the options ask for: imported fingerprint lists (all of the local DB by default) and a
    trace index. An absent fingerprint DB is no source at all."""
    out: list[FindingSource] = []
    if opts.fingerprints is not False:
        from . import fingerprints as fp

        names = opts.fingerprints if isinstance(opts.fingerprints, (list, tuple)) else None
        fset = fp.load(names=names, db_path=opts.fingerprints_db)
        if len(fset):
            out.append(fset if opts.variants else _ListedOnly(fset))
    if opts.index:
        from . import trace

        out.append(trace.TraceSource(opts.index, restore_fn=lambda t: restore(t, fingerprints=False).text))
    return out


class _ListedOnly:
    """An imported set as a source of listed phrases only (`variants=False`); the set itself is shared and
    cached, so it is wrapped, not changed."""

    def __init__(self, fset):
        self.fset = fset

    def find(self, text: str):
        return self.fset.match(text)


def _learned_pairs(opts: Options):
    """(pairs, cache key) of word pairs aligned from the imported lists, or (None, None)."""
    if not opts.learned_pairs or opts.fingerprints is False:
        return None, None
    from . import fingerprints as fp

    names = opts.fingerprints if isinstance(opts.fingerprints, (list, tuple)) else None
    try:
        pairs = fp.learned_pairs(db_path=opts.fingerprints_db, names=names)
    except fp.StoreError:
        return None, None
    if not pairs:
        return None, None
    # keyed by the database's stamp, as fp.learned_pairs caches them: a list replaced by another of the same size
    # must not leave the old pairs in a long-running process (serve)
    return pairs, (opts.fingerprints_db, tuple(names) if names else None, fp.db_stamp(opts.fingerprints_db))


def _checked(src, found, text: str) -> list:
    """A finding source's findings, each held to the Report's promise `text[start:end] == finding.text`: a source
    that breaks it (wrong offsets, UTF-16 units, another text) is a programming error said here, not an edit that
    fails later in `restore` or corrupts a user's file."""
    found = list(found)
    for f in found:
        if not (0 <= f.start < f.end <= len(text)) or text[f.start : f.end] != f.text:
            raise ValueError(f"finding source {type(src).__name__} returned a finding at {f.start}:{f.end} whose text "
                             f"{f.text!r} is not the input's there (offsets are code points into the checked text)")
    return found


def check(text: str, sources: list[FindingSource] | None = None, progress=None, **options) -> Report:
    """Find spun spans in `text`. `sources` overrides the finding sources the options would open (pass [] for
    the model alone); `progress(chars_done, chars_total)` is called as the text is worked through. Options: see
    `Options`."""
    from . import engine

    if not isinstance(text, str):
        raise TypeError("check() needs a str; decode bytes first (see unspin.readers)")
    opts = Options(**options)
    pairs, pairs_key = _learned_pairs(opts)
    k = engine.knowledge(opts.thesauri, opts.lm_path, opts.model_path, pairs_key, pairs)
    if sources is None:
        sources = finding_sources(opts)
    external = [f for src in sources for f in _checked(src, src.find(text), text)]
    # stretches a traced source has word for word: the model's findings there are refuted
    confirmed = [span for src in sources if hasattr(src, "confirmed") for span in src.confirmed(text)]
    return engine.check(text, k, threshold=opts.threshold, suspect_threshold=opts.suspect_threshold,
                        cascade=opts.cascade, external=external, path=opts.path, screen=opts.screen,
                        progress=progress, confirmed=confirmed, allow=_allow_keys(opts.allow, k))


_ALLOW_KEYS: dict = {}


def _allow_keys(entries: tuple[str, ...], k) -> frozenset:
    """The allow list's match keys (findings.allow_keys), memoised per list and lexicon: a batch passes the same
    list with every document."""
    if not entries:
        return frozenset()
    key = (entries, id(k.lex))  # the keys depend on the lexicon alone, loaded once per process
    got = _ALLOW_KEYS.get(key)
    if got is None:
        from .findings import allow_keys

        if len(_ALLOW_KEYS) > 16:
            _ALLOW_KEYS.clear()
        got = _ALLOW_KEYS[key] = allow_keys(entries, k)
    return got


ALLOW_FILE_MAX_BYTES = 10_000_000  # a field's word list is kilobytes; anything this big is the wrong file


def read_allow_file(path) -> tuple[str, ...]:
    """An allow list file: one word or phrase per line; blank lines and lines starting with # are skipped. Errors
    (ValueError) name the file and what is wrong."""
    from pathlib import Path

    p = Path(path)
    try:
        if p.is_dir():
            raise IsADirectoryError
        if (size := p.stat().st_size) > ALLOW_FILE_MAX_BYTES:
            raise ValueError(f"{path}: {size:,} bytes is too large for an allow list (limit "
                             f"{ALLOW_FILE_MAX_BYTES:,}: one word or phrase per line)")
        raw = p.read_bytes()
    except IsADirectoryError:
        raise ValueError(f"{path}: is a directory, not an allow list file") from None
    except OSError as e:
        raise ValueError(f"{path}: cannot read the allow list ({e.strerror or e})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ValueError(f"{path}: the allow list is not UTF-8 text (byte {e.start})") from None
    entries = []
    for line in text.splitlines():
        line = " ".join(line.split())
        if line and not line.startswith("#"):
            entries.append(line)
    return tuple(entries)


def restore(text: str, min_confidence: float = 0.0, include_suspects: bool = False, progress=None,
            **options) -> Restored:
    """`check`, then each finding's first suggestion applied; returns the text and replayable edits.
    `progress`: as for `check`."""
    check_probability("min_confidence", min_confidence)
    include_suspects = _flag("include_suspects", include_suspects)
    return restore_report(check(text, progress=progress, **options), min_confidence, include_suspects)
