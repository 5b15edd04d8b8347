"""Every surface form the engine can meet as a span or propose as an original, and what it needs about each.

Forms are the thesaurus terms (ids 0 … n_terms−1, the same ids as the `Thesaurus`) followed by their inflected
forms ("raised", "interest rates"), so a text word, a thesaurus term and a candidate share one id space and one
dictionary. Per form, flat numpy arrays: Zipf frequency, words (ids into a word table that the language model
maps to its own ids at load time), part-of-speech bits of its head, whether it is a function word, its echo
lemma, a unit GloVe vector row. Two tables connect forms and terms:

- `infl[tag, term]`: the form of `term` with inflection `tag` (−1 when the term does not take it cleanly:
  only base forms of the right part of speech inflect, never "big shottest" or "constituteded");
- readings (CSR `read_ptr` / `read_term` / `read_tag`): the (term, tag) pairs a form can be ("banks": bank+NNS,
  bank+VBZ) — what a spinner may have started from.

Built once from the thesaurus, lemminflect, wordfreq and GloVe (~20 s), saved as .npy in the cache dir and
memory-mapped afterwards, so checking needs no lemminflect call for any word the thesauri know.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from ..stopwords import is_function_word
from . import thesaurus as thesaurus_mod
from .paths import build_lock, cache_dir

LEXICON_VERSION = 3
# inflection tags (Penn), index 0 = the base form; lemminflect produces the others
TAGS = ("", "NNS", "VBD", "VBN", "VBG", "VBZ", "JJR", "JJS", "RBR", "RBS")
TAG_INDEX = {t: i for i, t in enumerate(TAGS)}
TAG_UPOS = {"NNS": "NOUN", "VBD": "VERB", "VBN": "VERB", "VBG": "VERB", "VBZ": "VERB", "JJR": "ADJ", "JJS": "ADJ",
            "RBR": "ADV", "RBS": "ADV"}
POS_BITS = {"NOUN": 1, "VERB": 2, "ADJ": 4, "ADV": 8, "PROPN": 1}
MAX_FORM_WORDS = 4
NEIGHBOURS = 12  # GloVe neighbours kept per single-word form
NEIGHBOUR_MIN_ZIPF = 3.2  # neighbours are everyday words (originals are): a ~14k-word search space
_ARRAYS = ("zipf", "n_words", "words", "infl", "read_ptr", "read_term", "read_tag", "lemma", "function", "pos",
           "vec_row", "vecs", "candidate_ok", "word_zipf", "an", "link_count", "neighbours")


def announce(what: str) -> None:
    """One line on stderr when a cache is built for the first time (it takes seconds, not milliseconds)."""
    print(f"unspin: first run, building {what} in {cache_dir()} (once) …", file=sys.stderr, flush=True)


@dataclass
class Lexicon:
    th: "thesaurus_mod.Thesaurus"
    forms: list[str]
    word_strs: list[str]
    zipf: np.ndarray  # float32 (n_forms,)
    n_words: np.ndarray  # uint8
    words: np.ndarray  # int32 (n_forms, MAX_FORM_WORDS): word-table ids, −1 padding
    infl: np.ndarray  # int32 (len(TAGS), n_terms)
    read_ptr: np.ndarray  # int64 (n_forms + 1,)
    read_term: np.ndarray  # int32
    read_tag: np.ndarray  # uint8
    lemma: np.ndarray  # int32: the echo lemma (a term id; the form itself when it is no inflection)
    function: np.ndarray  # bool: a function word (or a phrase of function words)
    pos: np.ndarray  # uint8 bits of POS_BITS of the head word (0 when lemminflect does not know it)
    vec_row: np.ndarray  # int32 row in `vecs`, −1 without a vector
    vecs: np.ndarray  # float16 (n_vecs, dim), unit length
    candidate_ok: np.ndarray  # bool per term: may be proposed as an original (no digits, no "the …", ≤ 4 words)
    word_zipf: np.ndarray  # float32 per word-table entry (the language model's floor for words it lacks)
    an: np.ndarray  # bool per form: takes "an" rather than "a"
    link_count: np.ndarray  # int32 per form: thesaurus links of all its readings (both directions, all sources)
    neighbours: np.ndarray  # int32 (n_forms, NEIGHBOURS): nearest everyday base words by GloVe cosine, −1 pad
    phrase_first: dict  # first word → most words of a multi-word form starting with it

    @cached_property
    def form_id(self) -> dict[str, int]:
        return {f: i for i, f in enumerate(self.forms)}

    @property
    def n_terms(self) -> int:
        return len(self.th.terms)

    def readings(self, form: int) -> tuple[np.ndarray, np.ndarray]:
        """(term ids, tag indexes) a form can be read as."""
        a, b = self.read_ptr[form], self.read_ptr[form + 1]
        return self.read_term[a:b], self.read_tag[a:b]


# ---- building --------------------------------------------------------------------------------------------


def _upos(word: str) -> frozenset[str]:
    from lemminflect import getAllLemmas

    return frozenset(getAllLemmas(word).keys())


def _inflections(head: str) -> dict[str, str]:
    """tag → form for a single word that is a base form (its own lemma); {} otherwise."""
    from lemminflect import getAllInflections, getAllLemmas

    lemmas = getAllLemmas(head)
    if not any(head in ls for ls in lemmas.values()):
        return {}  # "constituted" is not a base form: inflecting it invents words
    out = {}
    for tag, forms in getAllInflections(head).items():
        if tag in TAG_INDEX and tag and forms and TAG_UPOS[tag] in lemmas:
            out[tag] = forms[0]
    if "VBD" in out and "VBN" not in out:
        out["VBN"] = out["VBD"]  # lemminflect leaves out regular participles ("raised")
    return out


def build(th) -> dict:
    """The lexicon arrays for thesaurus `th` (terms keep their ids)."""
    from wordfreq import zipf_frequency

    terms = th.terms
    n_terms = len(terms)
    forms = list(terms)
    form_id = {f: i for i, f in enumerate(forms)}
    infl = np.full((len(TAGS), n_terms), -1, dtype=np.int32)
    infl[0] = np.arange(n_terms, dtype=np.int32)
    head_cache: dict[str, dict[str, str]] = {}
    pos_cache: dict[str, frozenset[str]] = {}

    def head_infl(w: str) -> dict[str, str]:
        got = head_cache.get(w)
        if got is None:
            got = head_cache[w] = _inflections(w)
        return got

    for t, term in enumerate(terms):
        parts = term.split(" ")
        if len(parts) > MAX_FORM_WORDS or any(ch.isdigit() for ch in term):
            continue
        if len(parts) == 1:
            for tag, form in head_infl(term).items():
                infl[TAG_INDEX[tag], t] = form_id[form] if form in form_id else _add(forms, form_id, form)
            continue
        # phrases inflect their first word when it is a verb ("bring up" → "brought up"), their last when it is
        # a noun ("interest rate" → "interest rates"); never comparatives
        for tag, form in head_infl(parts[0]).items():
            if TAG_UPOS[tag] == "VERB":
                ph = " ".join([form] + parts[1:])
                infl[TAG_INDEX[tag], t] = form_id[ph] if ph in form_id else _add(forms, form_id, ph)
        nns = head_infl(parts[-1]).get("NNS")
        if nns:
            ph = " ".join(parts[:-1] + [nns])
            infl[TAG_INDEX["NNS"], t] = form_id[ph] if ph in form_id else _add(forms, form_id, ph)
    n_forms = len(forms)
    # readings: every (term, tag) pair that produces each form
    rf, rt, rg = [], [], []
    for g in range(len(TAGS)):
        ok = np.nonzero(infl[g] >= 0)[0]
        rf.append(infl[g][ok])
        rt.append(ok.astype(np.int32))
        rg.append(np.full(len(ok), g, dtype=np.uint8))
    read_form = np.concatenate(rf)
    read_term = np.concatenate(rt)
    read_tag = np.concatenate(rg)
    order = np.lexsort((read_tag, read_form))
    read_form, read_term, read_tag = read_form[order], read_term[order], read_tag[order]
    read_ptr = np.zeros(n_forms + 1, dtype=np.int64)
    read_ptr[1:] = np.cumsum(np.bincount(read_form, minlength=n_forms))
    # frequencies, words, part of speech, function words
    zipf = np.zeros(n_forms, dtype=np.float32)
    zipf[:n_terms] = th.zipf
    for f in range(n_terms, n_forms):
        zipf[f] = zipf_frequency(forms[f], "en")
    word_id: dict[str, int] = {}
    word_strs: list[str] = []
    words = np.full((n_forms, MAX_FORM_WORDS), -1, dtype=np.int32)
    n_words = np.zeros(n_forms, dtype=np.uint8)
    function = np.zeros(n_forms, dtype=bool)
    pos = np.zeros(n_forms, dtype=np.uint8)
    for f, form in enumerate(forms):
        parts = form.split(" ")
        n_words[f] = min(len(parts), 255)
        for j, w in enumerate(parts[:MAX_FORM_WORDS]):
            i = word_id.get(w)
            if i is None:
                i = word_id[w] = len(word_strs)
                word_strs.append(w)
            words[f, j] = i
        function[f] = all(is_function_word(w) for w in parts)
        if len(parts) == 1:
            u = pos_cache.get(form)
            if u is None:
                u = pos_cache[form] = _upos(form)
            pos[f] = sum(POS_BITS.get(x, 0) for x in set(u)) & 15
    # echo lemma: the most frequent term the form inflects ("raised" → raise, "banks" → bank), else itself
    lemma = np.arange(n_forms, dtype=np.int32)
    for f in range(n_forms):
        a, b = read_ptr[f], read_ptr[f + 1]
        inflected = read_term[a:b][read_tag[a:b] > 0]
        if len(inflected):
            lemma[f] = int(inflected[np.argmax(zipf[inflected])])
    candidate_ok = np.ones(n_terms, dtype=bool)
    for t, term in enumerate(terms):
        parts = term.split(" ")
        if (len(parts) > MAX_FORM_WORDS or any(ch.isdigit() for ch in term) or parts[0] in ("the", "a", "an")
                or all(is_function_word(w) for w in parts)):
            candidate_ok[t] = False
    vec_row, vecs = _vectors(forms)
    word_zipf = np.array([zipf_frequency(w, "en") for w in word_strs], dtype=np.float32)
    from ..text import article_for

    an = np.array([article_for(f) == "an" for f in forms], dtype=bool)
    per_term = (np.diff(th.rev_ptr) + np.diff(th.fwd_ptr)).astype(np.int64)
    link_count = np.zeros(n_forms, dtype=np.int64)
    np.add.at(link_count, read_form, per_term[read_term])
    phrase_first: dict[str, int] = {}
    for f in np.nonzero(n_words >= 2)[0].tolist():
        first = forms[f].split(" ", 1)[0]
        phrase_first[first] = max(phrase_first.get(first, 0), min(int(n_words[f]), MAX_FORM_WORDS))
    return {"forms": forms, "word_strs": word_strs, "zipf": zipf, "n_words": n_words, "words": words, "infl": infl,
            "read_ptr": read_ptr, "read_term": read_term, "read_tag": read_tag, "lemma": lemma, "function": function,
            "pos": pos, "vec_row": vec_row, "vecs": vecs, "candidate_ok": candidate_ok, "word_zipf": word_zipf,
            "an": an, "link_count": link_count.astype(np.int32), "phrase_first": phrase_first,
            "neighbours": _neighbours(n_terms, zipf, n_words, function, lemma, vec_row, vecs)}


def _neighbours(n_terms, zipf, n_words, function, lemma, vec_row, vecs) -> np.ndarray:
    """For every single-word form with a vector: its NEIGHBOURS nearest everyday base words (term ids), by
    cosine, in chunks of matrix products (a few seconds at build time; a table lookup when checking)."""
    n = len(zipf)
    out = np.full((n, NEIGHBOURS), -1, dtype=np.int32)
    if not len(vecs):
        return out
    ids = np.arange(n)
    pool = np.nonzero((n_words == 1) & (vec_row >= 0) & (zipf >= NEIGHBOUR_MIN_ZIPF) & ~function & (lemma == ids)
                      & (ids < n_terms))[0]
    P = np.asarray(vecs[vec_row[pool]], dtype=np.float32)
    queries = np.nonzero((n_words == 1) & (vec_row >= 0))[0]
    k = min(NEIGHBOURS + 1, len(pool))
    for a in range(0, len(queries), 4096):
        q = queries[a : a + 4096]
        S = np.asarray(vecs[vec_row[q]], dtype=np.float32) @ P.T
        S[pool[None, :] == q[:, None]] = -2.0  # never the word itself
        top = np.argpartition(-S, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(S, top, axis=1), axis=1)
        best = pool[np.take_along_axis(top, order, axis=1)][:, :NEIGHBOURS]
        out[q, : best.shape[1]] = best
    return out


def _add(forms: list[str], form_id: dict[str, int], form: str) -> int:
    i = form_id[form] = len(forms)
    forms.append(form)
    return i


def _vectors(forms: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """A unit GloVe vector per form (phrases: the normalised mean of their words); float16."""
    from . import vectors as vectors_mod

    vec = vectors_mod.load()
    n = len(forms)
    vec_row = np.full(n, -1, dtype=np.int32)
    if vec is None:
        return vec_row, np.zeros((0, 50), dtype=np.float16)
    rows: list[np.ndarray] = []
    idx = vec.index
    single_rows = []
    single_forms = []
    for f, form in enumerate(forms):
        if " " not in form:
            j = idx.get(form)
            if j is not None:
                single_forms.append(f)
                single_rows.append(j)
    base = np.asarray(vec.matrix[np.array(single_rows, dtype=np.int64)], dtype=np.float16)
    vec_row[np.array(single_forms, dtype=np.int64)] = np.arange(len(single_forms), dtype=np.int32)
    extra = []
    for f, form in enumerate(forms):
        if " " in form:
            js = [idx[w] for w in form.split(" ") if w in idx and not is_function_word(w)]
            if js:
                v = vec.matrix[js].astype(np.float32).sum(axis=0)
                nv = float(np.linalg.norm(v))
                if nv > 0:
                    vec_row[f] = len(single_forms) + len(extra)
                    extra.append((v / nv).astype(np.float16))
    rows = [base] + ([np.stack(extra)] if extra else [])
    return vec_row, np.concatenate(rows)


# ---- the cache -------------------------------------------------------------------------------------------


def _key(spec: tuple[str, ...]) -> str:
    return "+".join(s.replace(":", "-") for s in spec)


def save(arrays: dict, directory: Path, spec: tuple[str, ...]) -> None:
    tmp = directory.with_name(directory.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "forms.txt").write_text("\n".join(arrays["forms"]), encoding="utf-8")
    (tmp / "words.txt").write_text("\n".join(arrays["word_strs"]), encoding="utf-8")
    (tmp / "phrase_first.json").write_text(json.dumps(arrays["phrase_first"]), encoding="utf-8")
    for name in _ARRAYS:
        np.save(tmp / f"{name}.npy", arrays[name])
    (tmp / "meta.json").write_text(json.dumps({"version": LEXICON_VERSION, "sources": list(spec),
                                               "forms": len(arrays["forms"])}))
    directory.mkdir(parents=True, exist_ok=True)
    for f in tmp.iterdir():
        f.replace(directory / f.name)
    tmp.rmdir()


def load_dir(directory: Path, th) -> Lexicon:
    meta = json.loads((directory / "meta.json").read_text())
    if meta.get("version") != LEXICON_VERSION or tuple(meta.get("sources", ())) != tuple(th.sources):
        raise ValueError("stale lexicon")
    forms = (directory / "forms.txt").read_text(encoding="utf-8").split("\n")
    word_strs = (directory / "words.txt").read_text(encoding="utf-8").split("\n")
    arrays = {n: np.load(directory / f"{n}.npy", mmap_mode="r").view(np.ndarray) for n in _ARRAYS}
    if len(forms) != len(arrays["zipf"]) or forms[: len(th.terms)] != th.terms:
        raise ValueError("lexicon does not match its thesaurus")
    forms[: len(th.terms)] = th.terms  # the same strings, held once (~13 MB of duplicates otherwise)
    phrase_first = json.loads((directory / "phrase_first.json").read_text(encoding="utf-8"))
    return Lexicon(th, forms, word_strs, phrase_first=phrase_first, **arrays)


def _try_load(directory: Path, th) -> Lexicon | None:
    if not (directory / "meta.json").exists():
        return None
    try:
        return load_dir(directory, th)
    except Exception:  # stale or damaged: rebuilt by the caller
        return None


_LOADED: dict[tuple[str, ...], Lexicon] = {}


def lexicon_dir(lex: Lexicon) -> Path | None:
    """The cache directory `lex` was loaded from (None when it was built elsewhere, e.g. by a test)."""
    spec = tuple(lex.th.sources)
    directory = cache_dir() / f"lexicon-v{LEXICON_VERSION}-{_key(spec)}"
    return directory if _LOADED.get(spec) is lex and (directory / "forms.txt").exists() else None


def load(spec: tuple[str, ...] | None = None) -> Lexicon:
    """The lexicon over the thesauri `spec` (default: every installed one), built once and cached."""
    spec = tuple(spec) if spec else thesaurus_mod.available_sources()
    got = _LOADED.get(spec)
    if got is not None:
        return got
    th = thesaurus_mod.load(spec, progress=False)
    directory = cache_dir() / f"lexicon-v{LEXICON_VERSION}-{_key(spec)}"
    lex = _try_load(directory, th)
    if lex is None:
        with build_lock(directory.name):
            lex = _try_load(directory, th)  # built by another process while we waited?
            if lex is None:
                announce(f"the word-form lexicon for {'+'.join(spec)} (~30 s)")
                save(build(th), directory, spec)
                lex = load_dir(directory, th)
    _LOADED[spec] = lex
    return lex
