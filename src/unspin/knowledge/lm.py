"""Language-model scorers behind one small protocol (`LanguageModel`).

`logprob_ids(hist, word)` answers a numpy batch: ln P(word | history) for rows of word ids with their history
(oldest first, `order − 1` columns; −1 cuts the context); `logprob(word, history)` answers one query with
strings. Implementations: `ngram.ArrayLM`, an exact numpy replica of the general US-English trigram model
shipped inside PyPI pocketsphinx (the default; built once from the model file and memory-mapped), and `KenLM`
for a user's own ARPA or binary model of any order. `PocketsphinxLM` queries pocketsphinx itself, one call per
query: the reference the replica is tested against.

pocketsphinx quirk: ``NGramModel.prob(words)`` takes the predicted word FIRST and then the history most
recent first, and returns an integer in log base 1.0001. Out-of-vocabulary words score about -5e8; we
replace that by a unigram estimate from wordfreq so a rare-but-real word is "unlikely", not "impossible".
"""
from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from .paths import package_file

LN_BASE = math.log(1.0001)
OOV_SCORE = -100_000_000  # pocketsphinx returns about -536870912 for OOV
# ln P floor for a word neither the LM nor wordfreq knows (about one in 10^8.5 words).
UNKNOWN_LOGPROB = -19.5
# Memoised scores per process (LRU); ~150 bytes each, so the cap bounds the cache near 75 MB.
LM_CACHE_ENTRIES = 500_000


class LanguageModel(Protocol):
    order: int

    def logprob(self, word: str, history: Sequence[str]) -> float: ...

    def known(self, word: str) -> bool: ...

    def word_id(self, word: str) -> int: ...

    def ids(self, words: Sequence[str]) -> np.ndarray: ...

    def logprob_ids(self, hist: np.ndarray, word: np.ndarray) -> np.ndarray: ...


def floor_of_zipf(z):
    """ln P of a word the LM lacks from its wordfreq Zipf frequency (a number or an array of them)."""
    # zipf = log10(frequency per billion words); back off a little as the LM would
    return np.where(np.asarray(z) > 0, (np.asarray(z, dtype=np.float64) - 9.0) * math.log(10) - 1.0,
                    UNKNOWN_LOGPROB)


@lru_cache(maxsize=200_000)
def unigram_floor(word: str) -> float:
    """ln P(word) from wordfreq for words the LM lacks (names, technical terms)."""
    from .frequency import zipf

    return float(floor_of_zipf(zipf(word)))


class PocketsphinxLM:
    """The trigram LM inside pocketsphinx (`model/en-us/en-us.lm.bin`), lower-case, no punctuation."""

    order = 3

    def __init__(self, path: str | Path | None = None, cache_size: int = LM_CACHE_ENTRIES):
        from pocketsphinx import NGramModel

        self.path = str(path or package_file("pocketsphinx", "model", "en-us", "en-us.lm.bin"))
        if not Path(self.path).exists():
            raise FileNotFoundError(f"{self.path}: language model not found")
        self._m = NGramModel.readfile(self.path)
        # bounded memos (a long-running process meets endless new vocabulary)
        self.known = lru_cache(maxsize=200_000)(self._known)
        self._scored = lru_cache(maxsize=cache_size)(self._score)

    def _known(self, word: str) -> bool:
        return self._m.prob([word]) > OOV_SCORE

    def logprob(self, word: str, history: Sequence[str]) -> float:
        return self._scored(word, tuple(history[-2:]))

    def _score(self, word: str, history: tuple[str, ...]) -> float:
        if not self.known(word):
            return unigram_floor(word)
        # history is most-recent-first for pocketsphinx; an unknown history word cuts the context
        ctx: list[str] = []
        for h in reversed(history):
            if not self.known(h):
                break
            ctx.append(h)
        return self._m.prob([word, *ctx]) * LN_BASE


class KenLM:
    """A user's KenLM model (ARPA or binary), of any order. Words are lower-cased like the default model's.
    Batches are answered one query at a time through KenLM's state API (a user model is slower than the
    default one, not different)."""

    def __init__(self, path: str | Path):
        try:
            import kenlm
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("KenLM support needs the kenlm package: pip install kenlm") from e
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"{path}: language model not found")
        _looks_like_kenlm(path)
        self.path = str(path)
        self._kenlm = kenlm
        self._m = kenlm.Model(self.path)
        self.order = int(self._m.order)
        self._scored = lru_cache(maxsize=LM_CACHE_ENTRIES)(self._score)
        self._ids: dict[str, int] = {}
        self._words: list[str] = []
        for w in ("<s>", "</s>"):
            self.word_id(w)

    def known(self, word: str) -> bool:
        return word in self._m

    def word_id(self, word: str) -> int:
        """Ids of our own (KenLM's Python API exposes none): stable positions in a growing word list."""
        if word not in self._m:
            return -1
        i = self._ids.get(word)
        if i is None:
            i = self._ids[word] = len(self._words)
            self._words.append(word)
        return i

    def ids(self, words: Sequence[str]) -> np.ndarray:
        return np.fromiter((self.word_id(w) for w in words), dtype=np.int64, count=len(words))

    def logprob_ids(self, hist: np.ndarray, word: np.ndarray) -> np.ndarray:
        hist = np.asarray(hist).reshape(len(word), -1)
        out = np.empty(len(word))
        words = self._words
        for r, (h, w) in enumerate(zip(hist.tolist(), np.asarray(word).tolist())):
            ctx: list[str] = []
            for x in reversed(h):  # most recent first; an unknown word cuts the context
                if x < 0:
                    break
                ctx.append(words[x])
            out[r] = self.logprob(words[w], ctx[::-1])
        return out

    def logprob(self, word: str, history: Sequence[str]) -> float:
        hist = tuple(history[-(self.order - 1) :]) if self.order > 1 else ()
        return self._scored(word, hist)

    def _score(self, word: str, hist: tuple[str, ...]) -> float:
        if not self.known(word):
            return unigram_floor(word)
        kenlm = self._kenlm
        state, out = kenlm.State(), kenlm.State()
        self._m.NullContextWrite(state)
        for h in hist:
            self._m.BaseScore(state, h, out)
            state, out = out, state
        return self._m.BaseScore(state, word, out) * math.log(10)


_DEFAULT: dict[str, LanguageModel] = {}


def _looks_like_kenlm(path: Path) -> None:
    """A ValueError naming the file unless it starts like an ARPA file (blank lines, then \\data\\; or gzip,
    bzip2, xz data), or a KenLM binary (its "mmap lm " magic): KenLM itself would print a progress bar over any
    other file before failing."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError as e:
        raise ValueError(f"{path}: cannot read ({e.strerror or e})") from None
    compressed = head.startswith((b"\x1f\x8b", b"BZh", b"\xfd7zXZ"))  # an ARPA file KenLM reads compressed
    if not (head.lstrip().startswith(b"\\data\\") or head.startswith(b"mmap lm ") or compressed):
        raise ValueError(f"{path}: not a KenLM model (an ARPA file starts with \\data\\, a KenLM binary with "
                         "its own header)")


def load(path: str | Path | None = None) -> LanguageModel:
    """The default model (pocketsphinx's, as numpy arrays), or a user's KenLM model (ARPA or binary)."""
    key = str(path or "")
    if key in _DEFAULT:
        return _DEFAULT[key]
    if path is None:
        from . import ngram

        lm: LanguageModel = ngram.load()
    else:
        lm = KenLM(path)
    _DEFAULT[key] = lm
    return lm
