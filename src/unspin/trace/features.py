"""What the trace index stores per paragraph: the spin-proof skeleton of a text and its MinHash.

A synonym spinner rewrites the words its thesaurus lists and leaves the rest alone (DSpin, NDSS 2014): names,
numbers, rare terms ("immutables") and the function words between them keep their order. The *skeleton* of
a paragraph is that sequence with every replaceable content word dropped; its k-grams survive spinning far
better than word n-grams of the text, so MinHash/LSH over them finds the source of a spun paragraph.

A token is *mutable* when the Moby index could replace it: it (or one of its lemmas) is a headword, or it
is listed as somebody's synonym (`th.n_originals(word) > 0`). Function words are kept in the skeleton even
though Moby lists some of them ("in", "to"): spinners rarely touch them and their order is the pattern.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from ..text import Token, paragraphs, sentences, tokenize

try:  # the project's closed-class list (shared with the spinner and the detector)
    from ..stopwords import is_function_word
except ImportError:  # pragma: no cover - older trees
    _FW = frozenset("a an the of in on at by for with to from and or but not is are was were be been".split())

    def is_function_word(lower: str) -> bool:
        return lower in _FW

SCHEME = "affine32"  # datasketch MinHash permutation scheme (uint32 hash values, stored as 4 bytes each)
SEED = 1
MIN_PARAGRAPH_WORDS = 25  # shorter paragraphs (headlines, sign-offs) are merged with the next one
MAX_PARAGRAPH_WORDS = 160  # longer ones are cut at sentence ends into pieces of about this size


@dataclass(frozen=True, slots=True)
class Segment:
    """A paragraph-sized piece of a document: text[start:end]."""

    start: int
    end: int


def segment(text: str) -> list[Segment]:
    """Paragraph-granularity pieces of `text`: blank-line paragraphs, short ones merged forward, long ones
    cut at sentence boundaries. Pieces are in order and do not overlap; whitespace-only text gives []."""
    raw: list[tuple[int, int, int]] = []  # start, end, words
    for off, para in paragraphs(text):
        if not para.strip():
            continue
        toks = tokenize(para, off)
        nwords = sum(1 for t in toks if t.kind != "punct")
        if nwords > MAX_PARAGRAPH_WORDS * 1.5:
            for piece in _cut(toks, para, off):
                raw.append(piece)
        else:
            raw.append((off, off + len(para.rstrip()), nwords))
    out: list[Segment] = []
    pend_start, pend_words = None, 0
    for start, end, nwords in raw:
        if pend_start is None:
            pend_start = start
        pend_words += nwords
        if pend_words >= MIN_PARAGRAPH_WORDS:
            out.append(Segment(pend_start, end))
            pend_start, pend_words = None, 0
    if pend_start is not None:
        last_end = raw[-1][1]
        if out and pend_words < MIN_PARAGRAPH_WORDS // 2:
            out[-1] = Segment(out[-1].start, last_end)  # a short tail joins the previous piece
        else:
            out.append(Segment(pend_start, last_end))
    return out


def _cut(toks: list[Token], para: str, off: int):
    cur_start = None
    cur_words = 0
    cur_end = off
    for sent in sentences(toks, para, off):
        if cur_start is None:
            cur_start = sent[0].start
        cur_words += sum(1 for t in sent if t.kind != "punct")
        cur_end = sent[-1].end
        if cur_words >= MAX_PARAGRAPH_WORDS:
            yield cur_start, cur_end, cur_words
            cur_start, cur_words = None, 0
    if cur_start is not None:
        yield cur_start, cur_end, cur_words


def windows(text: str, offset: int = 0, words: int = MIN_PARAGRAPH_WORDS) -> list[tuple[int, int]]:
    """Sentence-aligned stretches of `text` (offsets + `offset`) of about `words` words each, the last one joined
    to the one before when it is shorter than half that: the size of the smallest indexed pieces, for looking up a
    piece that holds several short source paragraphs run together (its own signature is too unlike any of theirs
    for the LSH tables to find them)."""
    toks = tokenize(text, offset)
    out: list[list] = []
    cur = None
    for sent in sentences(toks, text, offset):
        n = sum(1 for t in sent if t.kind != "punct")
        if cur is None:
            cur = [sent[0].start, sent[-1].end, 0]
        cur[1], cur[2] = sent[-1].end, cur[2] + n
        if cur[2] >= words:
            out.append(cur)
            cur = None
    if cur is not None:
        if out and cur[2] < words // 2:
            out[-1][1] = cur[1]
        else:
            out.append(cur)
    return [(a, b) for a, b, _ in out]


class Featurizer:
    """Turns text into skeletons, shingles and MinHash signatures. One per thesaurus; memoises word kinds."""

    def __init__(self, thesaurus=None, k: int = 3, num_perm: int = 64):
        if thesaurus is None:
            from ..knowledge import thesaurus as _th

            thesaurus = _th.load(("moby",), progress=False)
        self.th = thesaurus
        self.k = k
        self.num_perm = num_perm
        self._kind: dict[str, str] = {}
        from datasketch import MinHash

        self._template = MinHash(num_perm=num_perm, seed=SEED, scheme=SCHEME)

    # ---- word classes -------------------------------------------------------------------------------
    def kind(self, word: str) -> str:
        """'f' function word, 'm' mutable (a thesaurus could replace it), 'i' immutable."""
        k = self._kind.get(word)
        if k is None:
            if is_function_word(word):
                k = "f"
            elif word[0].isdigit():
                k = "i"
            elif self._mutable(word):
                k = "m"
            else:
                k = "i"
            self._kind[word] = k
        return k

    def _mutable(self, word: str) -> bool:
        th = self.th
        if th.is_headword(word) or th.n_originals(word) > 0:
            return True
        from ..knowledge.morph import lemmas

        return any(th.is_headword(lem) or th.n_originals(lem) > 0 for lem in lemmas(word) if lem != word)

    def words(self, text: str) -> list[str]:
        return [t.lower for t in tokenize(text) if t.kind != "punct"]

    def skeleton(self, text: str) -> list[str]:
        """Function words and immutables of `text`, in order (the spin-proof pattern)."""
        return [w for w in self.words(text) if self.kind(w) != "m"]

    # ---- shingles and signatures -----------------------------------------------------------------------
    def shingles(self, text: str, kind: str = "skeleton") -> set[bytes]:
        """k-gram shingles of the skeleton (kind="skeleton") or of all words (kind="restored", for the
        restored text). Short texts fall back to shorter grams so that every non-empty text has some."""
        seq = self.skeleton(text) if kind == "skeleton" else self.words(text)
        k = self.k
        if len(seq) < k:
            return {" ".join(seq).encode()} if seq else set()
        return {" ".join(seq[i : i + k]).encode() for i in range(len(seq) - k + 1)}

    def signature(self, shingles: set[bytes]) -> np.ndarray | None:
        """MinHash hash values (uint32[num_perm]) of a shingle set, or None for an empty set."""
        if not shingles:
            return None
        m = self._template.copy()
        m.update_batch(list(shingles))
        return np.asarray(m.hashvalues, dtype=np.uint32)


class Sig:
    """The minimum datasketch's MinHashLSH needs of a MinHash: hash values, length and scheme."""

    __slots__ = ("hashvalues", "scheme")

    def __init__(self, hashvalues: np.ndarray):
        self.hashvalues = hashvalues
        self.scheme = SCHEME

    def __len__(self) -> int:
        return len(self.hashvalues)


def sig_to_blob(sig: np.ndarray) -> bytes:
    return np.asarray(sig, dtype="<u4").tobytes()


def blob_to_sig(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<u4").astype(np.uint32)


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()
