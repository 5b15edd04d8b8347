"""A synonym spinner that behaves like real ones, with exact ground-truth alignment.

It is the detector's training and measuring ground (unlimited labelled data from clean text) and a tool for
integrity teams to test their own screening. Each behaviour of real spinners is a switch in `SpinOptions`:

- sense- and part-of-speech-blind synonym choice ("she will attend" → "she bequest attend");
- a preference for unusual synonyms (free tools pick the odd entry as often as the apt one);
- only some occurrences of a repeated word replaced;
- word → phrase ("agreement" → "be in harmony") and phrase → word ("take part" → "participate") swaps;
- swaps inside capitalised names ("Secretary of State" → "Secretary of Express");
- capitalisation and inflection kept (or broken, as cheap tools do);
- function words, numbers, quoted speech, code, URLs and e-mail addresses left alone.

Three styles: ``crude`` (free word-swappers: any entry of the headword, unusual ones preferred), ``rewriter``
("article rewriter" sites: one of the few commonest synonyms of the same part of speech, senses ignored —
"neural system" for neural network, "irregular woodlands" for random forests) and ``careful`` (WordAi-like: fewer
swaps, single words, the synonym that best fits the context by the language model, no names touched).

Spintax (``{central|focal|key} bank``, nested allowed) is written by `to_spintax` and expanded by
`expand_spintax`.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace

from .knowledge import morph
from .stopwords import is_function_word
from .text import Token, literal_spans, match_case, sentences, tokenize
from .types import SCHEMA_VERSION

STYLES = ("crude", "rewriter", "careful")


@dataclass(frozen=True)
class SpinOptions:
    rate: float = 0.25  # share of eligible words (and phrases) replaced
    style: str = "crude"
    sources: tuple[str, ...] = ("moby",)
    pos_blind: bool = True  # any entry of the headword, whatever its part of speech
    prefer_rare: bool = True  # weight synonyms towards unusual ones
    prefer_common: bool = False  # weight synonyms towards common ones (rewriter sites); prefer_rare wins
    partial_occurrences: bool = True  # decide per occurrence (else a word is swapped everywhere or nowhere)
    consistent: bool = False  # a word swapped twice gets the same synonym both times (dictionary tools do;
    # `unspin spinners` draws whole tool dictionaries; training mixes both behaviours)
    word_to_phrase: bool = True
    phrase_to_word: bool = True
    names: bool = True  # swap words inside capitalised names
    keep_case: bool = True
    inflect: bool = True  # inflect the synonym like the word it replaces
    max_phrase_words: int = 3

    @classmethod
    def for_style(cls, style: str, **overrides) -> "SpinOptions":
        if style not in STYLES:
            raise ValueError(f"unknown style {style!r} (choose from {', '.join(STYLES)})")
        base = cls(style=style)
        if style == "careful":
            base = replace(base, pos_blind=False, prefer_rare=False, word_to_phrase=False, names=False)
        elif style == "rewriter":
            base = replace(base, pos_blind=False, prefer_rare=False, prefer_common=True)
        return replace(base, **{k: v for k, v in overrides.items() if v is not None})


@dataclass(frozen=True)
class SpinSpan:
    start: int  # in the spun text
    end: int
    orig_start: int  # in the original text
    orig_end: int
    original: str
    spun: str

    def to_dict(self) -> dict:
        return {
            "start": self.start,
            "end": self.end,
            "orig_start": self.orig_start,
            "orig_end": self.orig_end,
            "original": self.original,
            "spun": self.spun,
        }


@dataclass
class SpinResult:
    text: str
    original: str
    spans: list[SpinSpan] = field(default_factory=list)
    options: SpinOptions | None = None
    seed: int = 0
    alternatives: list[list[str]] = field(default_factory=list)  # per span: other synonyms (for spintax)

    def to_dict(self) -> dict:
        return {
            "schema": SCHEMA_VERSION,
            "text": self.text,
            "original": self.original,
            "spans": [s.to_dict() for s in self.spans],
            "seed": self.seed,
            "style": self.options.style if self.options else None,
        }


# ---- choosing what to replace ---------------------------------------------------------------------------


_OPENERS = "([{"  # a straight quote right after one of these (or a space, or the start) opens
_CLOSING_PUNCT = ".,;:!?)]}"
_SENTENCE_PUNCT = ".,;:!?"


def _break_before(tokens: list[Token], i: int, text: str) -> bool:
    return i > 0 and "\n" in text[tokens[i - 1].end : tokens[i].start]


def _inch_number(num: str) -> bool:
    """Whether a number can take an inch mark: a size (12, 1.5, 3/4), not a year or a count of four digits or
    more (2020, 1,500), a time (9:30), a date or a percentage: a mark after those is a quotation mark."""
    if "%" in num or ":" in num or num.count("/") > 1:
        return False
    return len(num.split(".")[0].split("/")[0].replace(",", "")) <= 3


def _inch_mark(tokens: list[Token], i: int) -> bool:
    """Whether the straight double quote tokens[i] may be an inch mark: right after a size (``a 12" pipe``)."""
    prev = tokens[i - 1] if i else None
    return prev is not None and prev.kind == "num" and prev.end == tokens[i].start and _inch_number(prev.text)


def _opening_position(tokens: list[Token], i: int) -> bool:
    """A straight quote at the start, after a space or after an opening bracket is placed to open."""
    prev = tokens[i - 1] if i else None
    return prev is None or prev.end < tokens[i].start or prev.text in _OPENERS


def _right_single_role(tokens: list[Token], i: int, text: str) -> str:
    """What a ’ is: "apostrophe" (before a word with a space before it, ’90s, or between two word characters,
    1990’s; inner apostrophes, don’t, are part of their word), "close" (after punctuation, or before
    punctuation or the end of its line: only a quotation ends there) or "maybe" (between a word and the next:
    the Smiths’ house, or ‘no’ and ...)."""
    t = tokens[i]
    prev = tokens[i - 1] if i else None
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    if prev is None or prev.end < t.start:
        return "apostrophe"
    if prev.kind == "punct" and prev.text not in _OPENERS:
        return "close"
    if nxt is not None and nxt.start == t.end and nxt.kind != "punct":
        return "apostrophe"
    if nxt is None or nxt.kind == "punct" or _break_before(tokens, i + 1, text):
        return "close"
    return "maybe"


def _double_quote_act(tokens: list[Token], i: int, inside: bool, next_straight: str | None) -> str | None:
    """What the double quote tokens[i] does: "open", "close" or None (an inch mark, part of the text)."""
    t = tokens[i]
    if t.text != '"':
        return "open" if t.text == "“" else "close"
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    if _inch_mark(tokens, i):
        ends = inside and (nxt is None or (nxt.start == t.end and nxt.text in _CLOSING_PUNCT)
                           or next_straight != "close")
        return "close" if ends else None
    if _opening_position(tokens, i):
        return "open"
    if not inside and tokens[i - 1].text in _SENTENCE_PUNCT and nxt is not None and nxt.start == t.end \
            and nxt.kind != "punct" and next_straight == "close":
        # no quotation open and glued to the next word: a quotation opened without its space ('burst."We ...')
        return "open"
    return "close"


def _quoted_mask(tokens: list[Token], text: str) -> list[bool]:
    """True for tokens of `text` inside quotation marks (quoted speech is left alone).

    Double quotes, curly or straight, and curly single quotes (‘…’, British style) delimit quoted speech; one
    kind may nest in the other, and closing a quotation closes what was opened inside it. Straight single quotes
    are apostrophes. A mark is never toggled blindly, since one stray mark would flip the rest of the text:

    - a straight quote opens at the start, after a space or an opening bracket, and closes after anything
      else (a word, a comma); glued between sentence punctuation and a word while no quotation is open
      (``burst."We``, a space missing) it opens when a mark placed to close follows in its line.
    - right after a size it is an inch mark (``a 12" pipe``), unless it ends a quotation: before closing
      punctuation or the end, or when the next mark of its line that is no inch mark is placed to open (or
      there is none): then nothing else is left to close the quotation (``"we need 12" and a 6" pipe``).
      After a year, a time or a count of four digits (``in 2020"``) it is a quotation mark like any other.
    - ’ is also the apostrophe (the Smiths’ house, ’90s): it closes ‘ only after punctuation, before
      punctuation or the end of its line, or, between two words, when no such surer ’ follows before the next
      ‘; a ‘ with no ’ that may close it in its line is an apostrophe too (‘90s).
    - a line break ends a quotation left open: a quote running on over paragraphs opens again with a mark of
      its own at each (news style), and a mark never closed (a typo) would otherwise cover the rest of the text.
    """
    n = len(tokens)
    breaks = [_break_before(tokens, i, text) for i in range(n)]
    roles = {i: _right_single_role(tokens, i, text) for i, t in enumerate(tokens) if t.text == "’"}
    # what each token has after it in its line, read in one backward pass (no rescans of a long line): the next
    # straight quote that is no inch mark (placed to open or to close), the next ‘, the next ’ that may close a
    # quotation and the next that surely does
    next_straight: list[str | None] = [None] * n
    next_left, next_any, next_close = [n] * n, [n] * n, [n] * n
    straight, left, any_close, sure_close = None, n, n, n
    for i in range(n - 1, -1, -1):
        next_straight[i], next_left[i], next_any[i], next_close[i] = straight, left, any_close, sure_close
        t = tokens[i]
        if t.text == '"' and not _inch_mark(tokens, i):
            straight = "open" if _opening_position(tokens, i) else "close"
        elif t.text == "‘":
            left = i
        elif t.text == "’" and roles[i] != "apostrophe":
            any_close = i
            if roles[i] == "close":
                sure_close = i
        if breaks[i]:
            straight, left, any_close, sure_close = None, n, n, n

    mask = []
    open_: list[str] = []  # quotations open, outermost first: '"' (double quotes) and "'" (‘…’)

    def close(kind: str) -> None:
        if kind in open_:
            del open_[open_.index(kind):]

    for i, t in enumerate(tokens):
        if breaks[i]:
            open_.clear()
        mark = False  # a quotation mark that opens or closes (an inch mark or an apostrophe is not)
        if t.text in '"“”':
            act = _double_quote_act(tokens, i, '"' in open_, next_straight[i])
            if act == "open" and '"' not in open_:
                open_.append('"')
            elif act == "close":
                close('"')
            mark = act is not None
        elif t.text == "‘":
            prev = tokens[i - 1] if i else None
            nxt = tokens[i + 1] if i + 1 < n else None
            inside_word = (prev is not None and prev.kind == "word" and prev.end == t.start and nxt is not None
                           and nxt.kind == "word" and nxt.start == t.end)  # don‘t, a mis-curled apostrophe
            if not inside_word and next_any[i] < next_left[i]:
                mark = True
                if "'" not in open_:
                    open_.append("'")
        elif t.text == "’" and "'" in open_:
            role = roles[i]
            # between two words it closes unless a surer closing mark follows ('‘The Smiths’ house,’ she said')
            if role == "close" or (role == "maybe" and not next_close[i] < next_left[i]):
                close("'")
                mark = True
        mask.append(mark or bool(open_))
    return mask


def _left_alone(tokens: list[Token], text: str) -> list[bool]:
    """True for tokens the spinner never touches: quoted speech (`_quoted_mask`) and tokens inside code, URLs,
    e-mail addresses and identifiers (`text.literal_spans`)."""
    mask = _quoted_mask(tokens, text)
    spans = literal_spans(text)
    j = 0
    for i, t in enumerate(tokens):
        while j < len(spans) and spans[j][1] <= t.start:
            j += 1
        if j < len(spans) and spans[j][0] < t.end:
            mask[i] = True
    return mask


def _eligible_word(tok: Token, sentence_initial: bool, opts: SpinOptions) -> bool:
    if tok.kind != "word" or len(tok.text) < 3:
        return False
    low = tok.lower
    if is_function_word(low) or "'" in low:
        return False
    if tok.text[0].isupper() and not sentence_initial:
        if not opts.names or tok.text.isupper():
            return False  # acronyms are never swapped
    return True


_DETERMINERS = frozenset({"the", "a", "an", "this", "that", "these", "those", "its", "their", "his", "her", "our",
                          "my", "your"})


def _synonym_pool(th, word: str, opts: SpinOptions) -> tuple[list[str], str]:
    """Synonyms for `word` (a lower-case text form) and the inflection tag to give them."""
    pool: list[str] = []
    tag = ""
    for lemma, t in morph.analyses(word):
        syns = th.synonyms(lemma)
        if syns:
            pool = syns
            tag = t
            break
    if not pool:
        pool = th.synonyms(word)
        tag = ""
    out = []
    for s in pool:
        if s == word or not s or any(ch.isdigit() for ch in s):
            continue
        n = s.count(" ") + 1
        if n > opts.max_phrase_words or (n > 1 and not opts.word_to_phrase):
            continue
        if is_function_word(s):
            continue
        if not opts.pos_blind and tag:
            # keep part of speech: the synonym must have a reading with the tag's part of speech
            head = s.split(" ")[0 if tag.startswith("VB") else -1]
            if morph.tag_upos(tag) not in morph.upos_of(head):
                continue
        out.append(s)
    return out, tag


REWRITER_CHOICES = 4  # how many of a word's synonyms a rewriter site's list holds (its commonest)


def _commonness(s: str) -> float:
    # a phrase counts as a little rarer than its words together: rewriter lists hold mostly single words
    return morph.zipf(s) - (1.0 if " " in s else 0.0)


def _rewriter_choices(pool: list[str]) -> set[int]:
    """Indexes of the few commonest entries of `pool`: the list a rewriter site keeps for the word."""
    return set(sorted(range(len(pool)), key=lambda i: (-_commonness(pool[i]), i))[:REWRITER_CHOICES])


def _rewriter(opts: SpinOptions) -> bool:
    return opts.prefer_common and not opts.prefer_rare


def _weights(pool: list[str], opts: SpinOptions) -> list[float]:
    if opts.prefer_rare:
        # rarer synonyms are likelier: free swappers do not rank entries by how common they are
        return [math.exp(-0.35 * morph.zipf(s)) + 0.02 for s in pool]
    if _rewriter(opts):
        # rewriter sites keep a short list of everyday synonyms per word and ignore its senses ("network" →
        # "system", "signal" → "flag", "random forests" → "irregular woodlands"): one of the few commonest
        chosen = _rewriter_choices(pool)
        return [1.0 if i in chosen else 0.0 for i in range(len(pool))]
    return [1.0] * len(pool)


def _offered(pool: list[str], opts: SpinOptions) -> list[str]:
    """The synonyms the spinner could have written (the spintax alternatives): the whole pool, or a rewriter's
    few commonest."""
    if not _rewriter(opts):
        return pool
    chosen = _rewriter_choices(pool)
    return [s for i, s in enumerate(pool) if i in chosen]


def _render(orig: str, syn: str, tag: str, opts: SpinOptions, rng: random.Random, in_name: bool = False) -> str:
    out = syn
    if opts.inflect and tag:
        # a synonym of another part of speech stays in its base form ("she bequest attend"): inflecting a
        # noun with a verb tag would invent words no spinner writes
        head = syn.split(" ")[0 if tag.startswith("VB") else -1]
        # inflect only base forms of the right part of speech, and no comparatives: "precipitantest" and
        # "constituteded" are artefacts, not spinner output
        if morph.is_base_for(head, morph.tag_upos(tag)) and tag not in ("JJR", "JJS", "RBR", "RBS"):
            out = morph.inflect(syn, tag)
    if opts.keep_case or rng.random() < 0.5:
        out = match_case(orig, out)
        if in_name and " " in out:
            out = " ".join(w[:1].upper() + w[1:] for w in out.split(" "))
    return out


def _careful_choice(lm, left: list[str], pool: list[str], right: list[str], tag, opts, rng) -> str | None:
    """The synonym that best fits its context (WordAi-like); None when none fits reasonably."""
    scored = []
    for s in pool[:60]:
        form = morph.inflect(s, tag) if tag else s
        words = form.split(" ")
        seq = left[-2:] + words + right[:2]
        base = len(left[-2:])
        lp = 0.0
        for i in range(base, len(seq)):
            lp += lm.logprob(seq[i], seq[max(0, i - 2) : i])
        scored.append((lp, s))
    if not scored:
        return None
    scored.sort(reverse=True)
    top = [s for _, s in scored[:3]]
    return rng.choice(top)


def spin(
    text: str,
    rate: float | None = None,
    seed: int = 0,
    style: str = "crude",
    sources: tuple[str, ...] | None = None,
    options: SpinOptions | None = None,
    thesaurus=None,
    lm=None,
) -> SpinResult:
    """Spin `text` deterministically for `seed`. Returns the spun text and where every swap went."""
    from .knowledge import thesaurus as thes

    opts = options or SpinOptions.for_style(style)
    if rate is not None:
        opts = replace(opts, rate=rate)
    if sources is not None:
        # "moby,wordnet" or ["moby"]; checked before any index is built for a name that is no thesaurus
        opts = replace(opts, sources=thes.checked_sources(sources))
    if not 0.0 <= opts.rate <= 1.0:
        raise ValueError(f"rate must be between 0 and 1, got {opts.rate}")
    th = thesaurus or thes.load(opts.sources)
    if opts.style == "careful" and lm is None:
        from .knowledge import lm as lm_mod

        lm = lm_mod.load()
    rng = random.Random(seed)
    tokens = tokenize(text)
    quoted = _left_alone(tokens, text)
    index_of = {id(t): i for i, t in enumerate(tokens)}
    per_word_decision: dict[str, bool] = {}
    chosen: dict[str, str] = {}  # word or phrase → the synonym it got (SpinOptions.consistent)
    plan: list[tuple[int, int, str, list[str]]] = []  # (start, end, replacement, alternatives) in original

    phrase_len = th.phrase_lengths if opts.phrase_to_word else {}
    for sent in sentences(tokens, text):
        words = [t for t in sent if t.kind == "word"]
        lowers = [t.lower for t in words]
        i = 0
        while i < len(words):
            tok = words[i]
            ti = index_of[id(tok)]
            if quoted[ti]:
                i += 1
                continue
            # phrase → word: a multi-word headword in the text, adjacent tokens only
            n_max = phrase_len.get(lowers[i], 0)
            done = False
            for n in range(min(n_max, opts.max_phrase_words, len(words) - i), 1, -1):
                span_toks = words[i : i + n]
                if any(index_of[id(span_toks[k + 1])] != index_of[id(span_toks[k])] + 1 for k in range(n - 1)):
                    continue
                phrase = " ".join(lowers[i : i + n])
                if not th.is_headword(phrase) or any(quoted[index_of[id(t)]] for t in span_toks):
                    continue
                if rng.random() >= opts.rate:
                    break
                pool = [s for s in th.synonyms(phrase) if " " not in s and not is_function_word(s)]
                if not pool:
                    break
                syn = chosen.get(phrase) if opts.consistent else None
                if syn is None:
                    syn = chosen[phrase] = rng.choices(pool, weights=_weights(pool, opts))[0]
                orig = text[span_toks[0].start : span_toks[-1].end]
                plan.append((span_toks[0].start, span_toks[-1].end, _render(orig, syn, "", opts, rng),
                             _offered(pool, opts)))
                i += n
                done = True
                break
            if done:
                continue
            if not _eligible_word(tok, i == 0, opts):
                i += 1
                continue
            low = lowers[i]
            # words inside names are swapped at half the rate: tools skip many capitalised words
            name_factor = 0.5 if (i > 0 and tok.text[0].isupper()) else 1.0
            if opts.partial_occurrences:
                go = rng.random() < opts.rate * name_factor
            else:
                if low not in per_word_decision:
                    per_word_decision[low] = rng.random() < opts.rate
                go = per_word_decision[low]
            if not go:
                i += 1
                continue
            pool, tag = _synonym_pool(th, low, opts)
            if not pool:
                i += 1
                continue
            syn = chosen.get(low) if opts.consistent else None
            if syn is None and opts.style == "careful":
                syn = _careful_choice(lm, lowers[:i], pool, lowers[i + 1 :], tag, opts, rng)
                if syn is None:
                    i += 1
                    continue
            elif syn is None:
                syn = rng.choices(pool, weights=_weights(pool, opts))[0]
            chosen[low] = syn
            shown = syn
            if i > 0 and lowers[i - 1] in _DETERMINERS and shown.split(" ", 1)[0] in ("the", "a", "an") \
                    and " " in shown:
                shown = shown.split(" ", 1)[1]  # "after the announcement" → "after the scoop", not "the the scoop"
            rendered = _render(tok.text, shown, tag, opts, rng, in_name=tok.text[0].isupper() and i > 0)
            if rendered.lower() != low:
                plan.append((tok.start, tok.end, rendered, _offered(pool, opts)))
            i += 1

    # assemble the spun text and the two-way alignment
    out: list[str] = []
    spans: list[SpinSpan] = []
    alts: list[list[str]] = []
    pos = 0
    shift = 0
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


# ---- spintax ---------------------------------------------------------------------------------------------


def _escape_spintax(s: str) -> str:
    return s.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}").replace("|", "\\|")


def to_spintax(result: SpinResult, max_alternatives: int = 5) -> str:
    """The original text with `{original|synonym|…}` at every swapped place (original first)."""
    out = []
    pos = 0
    text = result.original
    for span, pool in zip(result.spans, result.alternatives):
        out.append(_escape_spintax(text[pos : span.orig_start]))
        opts = [span.original, span.spun]
        for s in pool:
            if len(opts) >= max_alternatives:
                break
            s2 = match_case(span.original, s)
            if s2 not in opts:
                opts.append(s2)
        out.append("{" + "|".join(_escape_spintax(o) for o in opts) + "}")
        pos = span.orig_end
    out.append(_escape_spintax(text[pos:]))
    return "".join(out)


class SpintaxError(ValueError):
    pass


def _parse_spintax(s: str, i: int, depth: int, in_group: bool):
    """Parse from s[i]; returns (node, next index). A node is a str or ("alt", [sequences])."""
    seq: list = []
    buf: list[str] = []
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            buf.append(s[i + 1])
            i += 2
            continue
        if c == "{":
            if depth > 50:
                raise SpintaxError(f"spintax nested deeper than 50 levels at offset {i}")
            if buf:
                seq.append("".join(buf))
                buf = []
            options = []
            i += 1
            while True:
                node, i = _parse_spintax(s, i, depth + 1, True)
                options.append(node)
                if i >= len(s):
                    raise SpintaxError("unclosed '{' in spintax")
                if s[i] == "|":
                    i += 1
                    continue
                if s[i] == "}":
                    i += 1
                    break
            seq.append(("alt", options))
            continue
        if in_group and c in "|}":
            break
        if not in_group and c == "}":
            raise SpintaxError(f"unmatched '}}' at offset {i}")
        buf.append(c)
        i += 1
    if buf:
        seq.append("".join(buf))
    return seq, i


def expand_spintax(s: str, seed: int = 0) -> str:
    """One deterministic expansion of spintax `s` (nested groups allowed; `\\{` escapes)."""
    tree, i = _parse_spintax(s, 0, 0, False)
    if i < len(s):
        raise SpintaxError(f"unexpected '{s[i]}' at offset {i}")
    rng = random.Random(seed)

    def walk(seq) -> str:
        parts = []
        for node in seq:
            if isinstance(node, str):
                parts.append(node)
            else:
                parts.append(walk(rng.choice(node[1])))
        return "".join(parts)

    return walk(tree)
