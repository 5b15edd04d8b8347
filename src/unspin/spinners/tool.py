"""A spinning *tool*: a fixed dictionary drawn once, then applied the same way to every text.

Real spinners (SpinBot, WordAi's cheaper cousins, content-farm scripts) do not draw a fresh synonym per
occurrence: they carry one dictionary, so the same tool always turns "company" into "firm" and "guidance"
into "steerage". `new_dictionary` draws such a dictionary from a thesaurus the way these tools are built:

- every eligible headword (a content word or a thesaurus phrase of up to 3 words) gets one replacement, or
  a small fixed set of 2–3 (``multi_share``), chosen with a preference for rarer entries and blind to part of
  speech (all senses of the headword are in the pool);
- a share of headwords (``keep_share``) has no entry: the tool leaves them alone.

Each word's entry is drawn from its own seeded generator (seed and word), so a dictionary does not depend on
the order of the thesaurus and two seeds give two unrelated tools.

`apply_dictionary` spins a text with a tool: each eligible occurrence whose word (or lemma, re-inflected) has
an entry is replaced with probability ``rate``, deterministically for a seed; the result is the same
`SpinResult` (with exact two-way alignment) that `unspin.spin.spin` returns.
"""
from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..knowledge import morph
from ..spin import SpinOptions, SpinResult, SpinSpan, _eligible_word, _left_alone, _render
from ..stopwords import is_function_word
from ..text import sentences, tokenize
from .files import TOOL_FORMAT, VERSION, SpinnerFileError, read_json, write_json

MAX_PHRASE_WORDS = 3


@dataclass
class ToolDictionary:
    """A spinning tool's fixed dictionary: lower-case headword (lemma or phrase) → its replacements."""

    entries: dict[str, tuple[str, ...]]
    seed: int | None = None
    sources: tuple[str, ...] = ("moby",)
    params: dict = field(default_factory=dict)
    name: str = ""

    def __post_init__(self):
        self._phrase_len: dict[str, int] | None = None

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, word: str) -> tuple[str, ...]:
        return self.entries.get(word, ())

    @property
    def phrase_lengths(self) -> dict[str, int]:
        """First word → longest multi-word headword starting with it."""
        if self._phrase_len is None:
            d: dict[str, int] = {}
            for k in self.entries:
                if " " in k:
                    parts = k.split(" ")
                    d[parts[0]] = max(d.get(parts[0], 0), len(parts))
            self._phrase_len = d
        return self._phrase_len

    def to_json(self) -> dict:
        return {
            "format": TOOL_FORMAT,
            "version": VERSION,
            "name": self.name,
            "seed": self.seed,
            "sources": list(self.sources),
            "params": self.params,
            "entries": {k: list(v) for k, v in sorted(self.entries.items())},
        }

    @classmethod
    def from_json(cls, data: dict, path: str = "<dictionary>") -> "ToolDictionary":
        entries = data.get("entries")
        if not isinstance(entries, dict):
            raise SpinnerFileError(f"{path}: \"entries\" must be an object mapping words to lists of replacements")
        out: dict[str, tuple[str, ...]] = {}
        for k, v in entries.items():
            if isinstance(v, str):
                v = [v]
            if not isinstance(v, list) or not v or not all(isinstance(x, str) and x.strip() for x in v):
                raise SpinnerFileError(f"{path}: entry {k[:60]!r} must be a non-empty list of replacement strings")
            key = " ".join(k.lower().split())
            if not key:
                raise SpinnerFileError(f"{path}: an entry has an empty headword")
            out[key] = tuple(" ".join(x.lower().split()) for x in v)
        sources = data.get("sources") or ["moby"]
        if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
            raise SpinnerFileError(f"{path}: \"sources\" must be a list of thesaurus names")
        seed = data.get("seed")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise SpinnerFileError(f"{path}: \"seed\" must be an integer or null")
        params = data.get("params") or {}
        if not isinstance(params, dict):
            raise SpinnerFileError(f"{path}: \"params\" must be an object")
        return cls(out, seed, tuple(sources), params, str(data.get("name") or ""))

    def save(self, path: str | Path) -> None:
        write_json(path, self.to_json())


def load_tool(path: str | Path) -> ToolDictionary:
    """A tool file written by `unspin spinners new` (or by hand: {"format": "unspin-spinner-tool",
    "version": 1, "entries": {"company": ["firm"], …}})."""
    data = read_json(path, TOOL_FORMAT)
    tool = ToolDictionary.from_json(data, str(path))
    if not tool.name:
        tool.name = Path(path).stem
    return tool


# ---- drawing a tool --------------------------------------------------------------------------------------


_OUTPUT_RE = re.compile(r"^[a-z][a-z'-]*(?: [a-z][a-z'-]*){0,%d}$" % (MAX_PHRASE_WORDS - 1))
_MASKS: dict[int, tuple[object, np.ndarray, np.ndarray]] = {}


def _masks(th) -> tuple[np.ndarray, np.ndarray]:
    """Per term id of `th`: may a tool write it (letters, at most MAX_PHRASE_WORDS words, not a function word),
    and is it a single word. Computed once per thesaurus."""
    got = _MASKS.get(id(th))
    if got is None or got[0] is not th:
        ok = np.array([bool(_OUTPUT_RE.match(t)) and not is_function_word(t) for t in th.terms], dtype=bool)
        single = np.array([" " not in t for t in th.terms], dtype=bool)
        got = _MASKS[id(th)] = (th, ok, single)
    return got[1], got[2]


def _pool(th, head: str) -> list[tuple[str, float]]:
    """What a tool may write for `head`, with each entry's Zipf frequency: every listed synonym (all senses:
    part-of-speech blind), without numbers, function words, the headword itself, or phrases longer than
    MAX_PHRASE_WORDS; phrase headwords become single words (phrase → word), as in `unspin.spin`."""
    ok, single = _masks(th)
    ids = th.synonym_ids(head)
    keep = ok[ids] & (single[ids] if " " in head else True)
    hid = th.term_id.get(head, -1)
    zipf = th.zipf
    return [(th.terms[int(j)], float(zipf[int(j)]) if zipf is not None else morph.zipf(th.terms[int(j)]))
            for j in ids[keep] if int(j) != hid]


def _eligible_head(head: str) -> bool:
    if not head or is_function_word(head) or any(ch.isdigit() for ch in head):
        return False
    parts = head.split(" ")
    if len(parts) > MAX_PHRASE_WORDS or len(head) < 3:
        return False
    if not all(p.replace("-", "").replace("'", "").isalpha() for p in parts):
        return False
    if len(parts) > 1 and all(is_function_word(p) for p in parts):
        return False
    return True


# `rarity` for each kind of tool (`unspin spinners new --choice`): free spinners prefer rare synonyms, rewriter
# sites common ones; the same strength either way, as `unspin spin`'s crude style weighs rare ones
CHOICE_RARITY = {"rare": 0.35, "common": -0.35}


def new_dictionary(
    seed: int,
    sources: tuple[str, ...] = ("moby",),
    keep_share: float = 0.25,
    multi_share: float = 0.15,
    rarity: float = 0.35,
    min_zipf: float = 2.0,
    thesaurus=None,
    name: str = "",
) -> ToolDictionary:
    """Draw a tool's fixed dictionary from the thesauri `sources` (moby, mythes, wordnet).

    keep_share: share of eligible headwords left alone (no entry). multi_share: share of entries with a small
    fixed set (2 or 3) of replacements instead of one. rarity: strength of the preference for rare synonyms
    (weight exp(−rarity × Zipf), as in `unspin.spin`); a negative value prefers common ones, as rewriter sites do
    (CHOICE_RARITY). min_zipf: headwords rarer than this are not in the dictionary (tools are built from common
    vocabulary)."""
    from ..knowledge import thesaurus as thes

    if not 0.0 <= keep_share < 1.0:
        raise ValueError(f"keep_share must be in [0, 1), got {keep_share}")
    if not 0.0 <= multi_share <= 1.0:
        raise ValueError(f"multi_share must be in [0, 1], got {multi_share}")
    th = thesaurus or thes.load(tuple(sources))
    entries: dict[str, tuple[str, ...]] = {}
    zipf = th.zipf
    for tid, head in enumerate(th.terms):
        z = float(zipf[tid]) if zipf is not None else morph.zipf(head)
        if z < min_zipf or not th.n_synonyms(head) or not _eligible_head(head):
            continue
        rng = random.Random(f"{seed}:{head}")
        if rng.random() < keep_share:
            continue
        pool = _pool(th, head)
        if not pool:
            continue
        k = 1
        if rng.random() < multi_share:
            k = 2 if rng.random() < 0.7 else 3
        k = min(k, len(pool))
        words = [s for s, _ in pool]
        weights = [math.exp(-rarity * z) + 0.02 for _, z in pool]
        chosen: list[str] = []
        while len(chosen) < k:
            s = rng.choices(words, weights=weights)[0]
            if s not in chosen:
                chosen.append(s)
        entries[head] = tuple(chosen)
    params = {"keep_share": keep_share, "multi_share": multi_share, "rarity": rarity, "min_zipf": min_zipf}
    return ToolDictionary(entries, seed, tuple(sources), params, name or f"tool-{seed}")


# ---- applying a tool -------------------------------------------------------------------------------------


def _lookup(tool: ToolDictionary, low: str) -> tuple[tuple[str, ...], str]:
    """The entry for a lower-case word form and the inflection tag its replacement gets: the form itself
    first (tools key on what they see), then its lemmas."""
    got = tool.get(low)
    if got:
        return got, ""
    for lemma, tag in morph.analyses(low):
        got = tool.get(lemma)
        if got:
            return got, tag
    return (), ""


def apply_dictionary(text: str, dictionary: ToolDictionary, rate: float = 0.3, seed: int = 0) -> SpinResult:
    """Spin `text` with a fixed tool dictionary: each eligible occurrence with an entry is replaced with
    probability `rate` (words inside capitalised names at half the rate; quoted speech, code and URLs never), by its
    replacement (one of its fixed set, chosen per occurrence), inflected and capitalised like the original.
    Deterministic for a seed; returns the text and the exact alignment of every swap."""
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate must be between 0 and 1, got {rate}")
    opts = replace(SpinOptions(), rate=rate, style="dictionary", sources=tuple(dictionary.sources))
    rng = random.Random(seed)
    tokens = tokenize(text)
    quoted = _left_alone(tokens, text)  # quoted speech, code, URLs
    index_of = {id(t): i for i, t in enumerate(tokens)}
    plen = dictionary.phrase_lengths
    plan: list[tuple[int, int, str, list[str]]] = []
    for sent in sentences(tokens, text):
        words = [t for t in sent if t.kind == "word"]
        lowers = [t.lower for t in words]
        i = 0
        while i < len(words):
            tok = words[i]
            if quoted[index_of[id(tok)]]:
                i += 1
                continue
            done = False
            for n in range(min(plen.get(lowers[i], 0), MAX_PHRASE_WORDS, len(words) - i), 1, -1):
                span = words[i : i + n]
                if any(index_of[id(span[k + 1])] != index_of[id(span[k])] + 1 for k in range(n - 1)):
                    continue
                outs = dictionary.get(" ".join(lowers[i : i + n]))
                if not outs or any(quoted[index_of[id(t)]] for t in span):
                    continue
                if rng.random() >= rate:
                    break
                syn = outs[0] if len(outs) == 1 else rng.choice(outs)
                orig = text[span[0].start : span[-1].end]
                plan.append((span[0].start, span[-1].end, _render(orig, syn, "", opts, rng), list(outs)))
                i += n
                done = True
                break
            if done:
                continue
            if not _eligible_word(tok, i == 0, opts):
                i += 1
                continue
            outs, tag = _lookup(dictionary, lowers[i])
            if not outs:
                i += 1
                continue
            factor = 0.5 if (i > 0 and tok.text[0].isupper()) else 1.0
            if rng.random() >= rate * factor:
                i += 1
                continue
            syn = outs[0] if len(outs) == 1 else rng.choice(outs)
            rendered = _render(tok.text, syn, tag, opts, rng, in_name=tok.text[0].isupper() and i > 0)
            if rendered.lower() != lowers[i]:
                plan.append((tok.start, tok.end, rendered, list(outs)))
            i += 1
    out: list[str] = []
    spans: list[SpinSpan] = []
    alts: list[list[str]] = []
    pos = shift = 0
    for start, end, new, pool in plan:
        out.append(text[pos:start])
        s_start = start + shift
        out.append(new)
        spans.append(SpinSpan(s_start, s_start + len(new), start, end, text[start:end], new))
        alts.append(pool)
        shift += len(new) - (end - start)
        pos = end
    out.append(text[pos:])
    return SpinResult("".join(out), text, spans, opts, seed, alts)
