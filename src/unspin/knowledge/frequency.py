"""wordfreq's English Zipf frequencies at run time without loading wordfreq's list.

`zipf(word)` is exactly `wordfreq.zipf_frequency(word, "en")`. Loading wordfreq's list costs ~0.5 s and ~35 MB
in every process (its module imports plus a 321k-entry Python dict), and a check meets a word the language
model lacks (a name, a term, a hyphenated compound) on nearly every page. So the list is kept in the cache dir
as a memory-mapped table (a sorted 64-bit hash of each token and its frequency: ~5 MB), and `zipf` does what
wordfreq does: its preprocessing (NFC, then case folding) and English tokenisation (cuts at hyphens and after
an elision such as "l'or") in a few lines for words in Latin, Greek or Cyrillic letters, wordfreq's own
tokeniser for anything else (other scripts, symbols, digits; imported on first need, its list never loaded),
then 0 when a token is not listed, digit sequences weighted as wordfreq weighs them, token frequencies
combined as 1/f = Σ 1/f_i, rounded to 3 significant digits, then to hundredths of a Zipf.
tests/test_knowledge.py checks that the two agree.
"""
from __future__ import annotations

import bisect
import hashlib
import json
import math
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import numpy as np

from .paths import build_lock, cache_dir, prune_orphan_locks

TABLE_VERSION = 5
_L = r"[^\W\d_]+"  # letters
_WORD = re.compile(rf"{_L}(?:'{_L})*(?:-{_L}(?:'{_L})*)*")  # tokens joined by hyphens
# wordfreq's tokeniser cuts a token that starts with 1–2 letters, an apostrophe and a vowel or h (French
# elisions: "l'or" → l, or; also "ne'er", "o'hare"), the apostrophe dropped; other inner apostrophes stay
# inside the token ("won't", "awb's")
_ELISION = re.compile(r"([^\W\d_]{1,2})'(?=[aehiouyáéíóúàèìòùâêîôûåïöœ])")
_MIN_FREQ = 10**0.0 / 1e9  # wordfreq.zipf_to_freq(0.0): zipf_frequency's default minimum


def _key(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


@lru_cache(maxsize=4096)
def _simple_letter(c: str) -> bool:
    return c.isascii() or unicodedata.name(c, "").startswith(("LATIN ", "GREEK ", "CYRILLIC "))


def _plain(word: str) -> bool:
    """Is `word` (as preprocessed) in Latin, Greek or Cyrillic letters, which wordfreq's tokeniser keeps
    together like ASCII ones, so that the table can answer for it?"""
    return word.isascii() or all(_simple_letter(c) for c in word)


def _preprocess(word: str) -> str:
    """wordfreq's English preprocessing: NFC, then case folding ("Straße" → "strasse", "ﬁrst" → "first")."""
    if word.isascii():
        return word.lower()  # ASCII case folding is lower-casing
    return unicodedata.normalize("NFC", word).casefold()


def _wordfreq_version() -> str:
    from importlib.metadata import version

    return version("wordfreq")


def _directory() -> Path:
    return cache_dir() / f"wordfreq-zipf-v{TABLE_VERSION}-{_wordfreq_version()}"


def build(directory: Path) -> None:
    from wordfreq import get_frequency_dict

    freqs = get_frequency_dict("en", "best")
    words = list(freqs)  # every token: other scripts are tokenised by wordfreq, then looked up here too
    keys = np.array([_key(w) for w in words], dtype=np.uint64)
    freq = np.array([freqs[w] for w in words], dtype=np.float64)
    order = np.argsort(keys, kind="stable")
    keys, freq = keys[order], freq[order]
    if len(keys) > 1 and bool((keys[1:] == keys[:-1]).any()):
        raise RuntimeError("64-bit hash collision in the wordfreq table")  # ~1e-9 for 300k words
    tmp = directory.with_name(directory.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    np.save(tmp / "keys.npy", keys)
    np.save(tmp / "freq.npy", freq)
    (tmp / "meta.json").write_text(json.dumps({"version": TABLE_VERSION, "words": len(words)}))
    directory.mkdir(parents=True, exist_ok=True)
    for f in tmp.iterdir():
        f.replace(directory / f.name)
    tmp.rmdir()


def _try_load(directory: Path):
    try:
        if json.loads((directory / "meta.json").read_text()).get("version") != TABLE_VERSION:
            return None
        keys = np.load(directory / "keys.npy", mmap_mode="r")
        freq = np.load(directory / "freq.npy", mmap_mode="r")
    except (OSError, ValueError):
        return None
    if len(keys) != len(freq):
        return None
    # bisect over a memoryview compares Python ints in C: ~1 µs a lookup, no numpy call overhead
    return (memoryview(np.ascontiguousarray(keys)).cast("B").cast("Q"),
            memoryview(np.ascontiguousarray(freq)).cast("B").cast("d"))


def _remove_older(current: Path) -> None:
    """Drop tables of older format versions (never read again; a newer one may belong to another installed
    unspin sharing the cache dir)."""
    import shutil

    for old in current.parent.glob("wordfreq-zipf-v*-*"):
        version = old.name.split("-")[2][1:]
        if old != current and old.is_dir() and version.isdigit() and int(version) < TABLE_VERSION:
            shutil.rmtree(old, ignore_errors=True)


@lru_cache(maxsize=1)
def table():
    """(sorted token keys, their frequencies) as memoryviews, built on first use."""
    from .lexicon import announce

    directory = _directory()
    got = _try_load(directory)
    if got is None:
        with build_lock(directory.name):
            got = _try_load(directory)
            if got is None:
                announce("a table of wordfreq's English frequencies (~5 s)")
                build(directory)
                got = _try_load(directory)
                _remove_older(directory)
                prune_orphan_locks()  # the removed tables' lock files
    return got


def _tokens(word: str) -> list[str]:
    """wordfreq's English tokens of a plain word: cut at hyphens and after elisions."""
    out = []
    for part in word.split("-"):
        while m := _ELISION.match(part):
            out.append(m.group(1))
            part = part[m.end() :]
        out.append(part)
    return out


def _wordfreq_tokens(word: str) -> list[str]:
    from wordfreq import lossy_tokenize  # its tokeniser only (~0.2 s, ~8 MB once), never its list

    return lossy_tokenize(word, "en")


def _combined(tokens: list[str]) -> float:
    """wordfreq's _word_frequency + zipf_frequency on tokens, with the table for its list."""
    one_over = 0.0
    for token in tokens:
        smashed = token
        if any(c.isdigit() for c in token):
            from wordfreq.numbers import smash_numbers

            smashed = smash_numbers(token)
        f = _token_freq(smashed)
        if f is None:
            return 0.0  # a token missing from the list gives the minimum, Zipf 0
        if smashed != token:
            from wordfreq.numbers import digit_freq

            f *= digit_freq(token)  # digits: wordfreq's distribution of digit sequences
        one_over += 1.0 / f
    if not tokens:
        return 0.0
    unrounded = max(1.0 / one_over, _MIN_FREQ)
    rounded = round(unrounded, math.floor(-math.log(unrounded, 10)) + 3)
    return round(math.log(rounded, 10) + 9, 2)


def _token_freq(token: str) -> float | None:
    keys, freq = table()
    k = _key(token)
    i = bisect.bisect_left(keys, k)
    return freq[i] if i < len(keys) and keys[i] == k else None


@lru_cache(maxsize=200_000)
def zipf(word: str) -> float:
    """wordfreq.zipf_frequency(word, "en"), exactly."""
    w = _preprocess(word)
    if _WORD.fullmatch(w) and _plain(w):
        return _combined(_tokens(w))
    return _combined(_wordfreq_tokens(word))
