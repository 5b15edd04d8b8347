"""Tokens, sentences and paragraphs with code-point offsets. Pure functions, no knowledge needed."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Inside a word: combining marks (decomposed, NFD, accents: "café" as "cafe" + U+0301) and invisible format
# characters between letters (soft hyphen, zero-width space/joiners, word joiner). Without them a decomposed
# accent or a hidden soft hyphen would cut a word in two: "Stat|é" restored to "Staté", or a spun word hidden
# from the thesaurus by one invisible character.
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_LETTERS = rf"[^\W\d_]+(?:[{_MARKS}]+[^\W\d_]*|[{_INVISIBLE}]+[^\W\d_]+)*"
# A word: letters, with inner apostrophes or hyphens ("don't", "well-known"). Unicode letters count so that
# non-English text is tokenised (and then recognised as such) rather than ignored.
_WORD = rf"{_LETTERS}(?:['’]{_LETTERS})*(?:-{_LETTERS}(?:['’]{_LETTERS})*)*"
_TOKEN_RE = re.compile(
    rf"(?P<word>{_WORD})"
    r"|(?P<num>\d+(?:[.,:/]\d+)*%?)"
    r"|(?P<punct>[^\w\s])",
    re.UNICODE,
)
_DROP_INVISIBLE = dict.fromkeys(map(ord, _INVISIBLE))
# The words alone: the same matches as _TOKEN_RE's words (a word starts with a letter, which neither a number
# nor a punctuation token can hold, so skipping those tokens never shifts where a word is found)
_WORD_RE = re.compile(_WORD, re.UNICODE)


def lookup_form(word: str) -> str:
    """The form a word is looked up by: lower case, ’ as ', and (beyond ASCII) invisible characters dropped and
    accents composed (NFC), so "fo\u00adcal" is "focal" and a decomposed "café" is "café"."""
    low = word.lower().replace("’", "'")
    return low if low.isascii() else _fold(low)


def _fold(low: str) -> str:
    return unicodedata.normalize("NFC", low.translate(_DROP_INVISIBLE))


_SENT_END = {".", "!", "?", ";", ":", "…"}
# a blank line: LF or CRLF line ends, or CR alone (old Mac files; a CR before LF is part of a CRLF)
_PARA_RE = re.compile(r"\n[ \t\r\f\v]*\n\s*|\r[ \t\f\v]*\r(?!\n)\s*")


@dataclass(frozen=True, slots=True)
class Token:
    start: int
    end: int
    text: str
    kind: str  # "word" | "num" | "punct"

    @property
    def lower(self) -> str:
        return lookup_form(self.text)


def tokenize(text: str, offset: int = 0) -> list[Token]:
    """All tokens of `text`; offsets are shifted by `offset` (for paragraphs of a larger text)."""
    out = []
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup or "punct"
        out.append(Token(m.start() + offset, m.end() + offset, m.group(), kind))
    return out


# A line at least this long (code points up to its last token) that ends without end punctuation, followed by a
# line starting with a letter and not much longer, is prose wrapped at a fixed width (e-mail, plain-text files,
# text taken from a PDF): its line break is a space. A shorter line is a headline or a list item.
WRAPPED_LINE = 50
WRAP_SLACK = 12  # a wrapped line's next line may be this much longer (a long word did not fit on the first)
# A line ending in one of these (or a comma, or a hyphen) stops mid-sentence, however short it is
_LINE_GOES_ON = frozenset("a an the of in on at by for with to from into onto than and or nor but as that its their "
                          "his her our your my whose".split())


def line_break_ends_sentence(text: str, prev_end: int, next_start: int) -> bool:
    """Whether the line break(s) between the token ending at `prev_end` and the one starting at `next_start`
    end a sentence. Headlines and list items carry no full stop, so a line break ends one, but a line wrapped
    inside a sentence ("the Secretary of\nState") does not: cutting the sentence there cut the language model's
    context, and findings at line edges were missed. A blank line always ends one."""
    if text.count("\n", prev_end, next_start) > 1:
        return True
    last = text[prev_end - 1]
    if last in ",-":
        return False
    first = text[next_start]
    if first.islower():
        return False  # a line never starts a sentence in lower case
    if not first.isalpha():
        return True  # a bullet, a number, a quotation mark: a list or a new start
    line_start = text.rfind("\n", 0, prev_end) + 1
    if prev_end - line_start >= WRAPPED_LINE:
        # wrapped prose: the next line is no longer than this one (or is the paragraph's shorter last line); a
        # subtitle line above a long paragraph line ends there
        next_end = text.find("\n", next_start)
        next_len = (len(text) if next_end < 0 else next_end) - next_start
        return next_len > prev_end - line_start + WRAP_SLACK
    k = prev_end
    while k > line_start and (text[k - 1].isalpha() or text[k - 1] in "'’"):
        k -= 1
    return text[k:prev_end].lower() not in _LINE_GOES_ON


def sentences(tokens: list[Token], text: str, offset: int = 0) -> list[list[Token]]:
    """Split tokens into sentences at end punctuation and at line breaks that end a sentence (headlines, list
    items: line_break_ends_sentence)."""
    out: list[list[Token]] = []
    cur: list[Token] = []
    prev_end = offset
    for tok in tokens:
        if (cur and "\n" in text[prev_end - offset : tok.start - offset]
                and line_break_ends_sentence(text, prev_end - offset, tok.start - offset)):
            out.append(cur)
            cur = []
        cur.append(tok)
        prev_end = tok.end
        if tok.kind == "punct" and tok.text in _SENT_END:
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


def paragraphs(text: str) -> list[tuple[int, str]]:
    """(offset, paragraph) pairs split at blank lines; the pieces plus separators rebuild `text`."""
    out = []
    pos = 0
    for m in _PARA_RE.finditer(text):
        if m.start() > pos:
            out.append((pos, text[pos : m.start()]))
        pos = m.end()
    if pos < len(text):
        out.append((pos, text[pos:]))
    return out


def count_words(text: str) -> int:
    return sum(1 for _ in _WORD_RE.finditer(text))


def lookup_words(text: str, limit: int) -> list[str]:
    """The lookup forms (`lookup_form`) of the first `limit` words of `text`: `word_run(text).lower[:limit]`
    without the offsets and sentences a quick look at the vocabulary does not need."""
    out = []
    for m in _WORD_RE.finditer(text):
        out.append(lookup_form(m.group()))
        if len(out) >= limit:
            break
    return out


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a code-point offset (for linter-style output); LF, CRLF and CR alone end a
    line."""
    line = text.count("\n", 0, offset) + 1
    last = text.rfind("\n", 0, offset)
    if text.find("\r", 0, offset) >= 0:  # CR alone (old Mac files) ends a line too; CRLF counts once
        line += text.count("\r", 0, offset) - text.count("\r\n", 0, offset)
        last = max(last, text.rfind("\r", 0, offset))
    return line, offset - (last + 1) + 1


_TITLE_LOWER = frozenset("a an and as at by for from in of on or the to with".split())


def lone_surrogate(text: str) -> int | None:
    """Index of the first unpaired UTF-16 surrogate in `text` (a JSON body may escape one: "\\ud83d"), or None.
    Such a string cannot be encoded as UTF-8, so it is refused where it enters instead of failing an answer."""
    try:
        text.encode("utf-8")
        return None
    except UnicodeEncodeError as e:
        return e.start


def match_case(template: str, word: str) -> str:
    """Give `word` the capitalisation pattern of `template` (Title, UPPER or lower)."""
    if not template or not word:
        return word
    if template.isupper() and len(template) > 1:
        return word.upper()
    if template[0].isupper():
        return word[0].upper() + word[1:]
    return word


def restore_case(spun: str, original: str) -> str:
    """The capitalisation a replacement of `spun` by `original` takes: match_case's, and when `spun` is several
    words each capitalised ("Profound Learning", a title or a name) every word of `original` capitalised but
    short function words ("Deep Learning", "Rate of Interest"). (The spinner keeps match_case: what a tool
    writes is its own business; what unspin writes back should read like the text around it.)"""
    parts = spun.split()
    if len(parts) > 1 and not spun.isupper() and all(p[:1].isupper() for p in parts if p[:1].isalpha()):
        return " ".join(w[:1].upper() + w[1:] if w[:1].islower() and (i == 0 or w not in _TITLE_LOWER) else w
                        for i, w in enumerate(original.split(" ")))
    return match_case(spun, original)


def article_for(word: str) -> str:
    """'a' or 'an' by the sound of the next word's start (good enough for spotting "a inquiry")."""
    w = word.lower()
    if not w:
        return "a"
    if w.startswith(("uni", "use", "usu", "uti", "eu", "one", "once", "ubi", "uro", "euro")):
        return "a"
    if w.startswith(("hour", "honest", "honor", "honour", "heir")):
        return "an"
    return "an" if w[0] in "aeiou" else "a"


@dataclass(slots=True)
class WordRun:
    """The word tokens of a piece of text as parallel lists (the engine's fast path: no Token objects).

    `sent[k]` is the sentence number of word k: sentences end at end punctuation and at line breaks that end a
    sentence, as in `sentences`; `adjacent[k]` says word k follows word k−1 with only spaces or tabs between them (a phrase
    may span them)."""

    text: list[str]  # as written
    lower: list[str]
    start: list[int]
    end: list[int]
    sent: list[int]
    adjacent: list[bool]

    def shifted(self, offset: int) -> "WordRun":
        """The same words with offsets moved by `offset` (what word_run(text, offset) returns: the tokens of a
        text do not depend on where it sits)."""
        if not offset:
            return self
        return WordRun(self.text, self.lower, [a + offset for a in self.start], [b + offset for b in self.end],
                       self.sent, self.adjacent)


def word_run(text: str, offset: int = 0) -> WordRun:
    return _word_run(text).shifted(offset)


def _word_run(text: str) -> WordRun:
    texts, lowers, starts, ends, sents, adj = [], [], [], [], [], []
    s = 0
    pending_break = False
    prev_end = None
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup
        a = m.start()
        if prev_end is not None and "\n" in text[prev_end:a] and line_break_ends_sentence(text, prev_end, a):
            pending_break = True
        prev_end = m.end()
        if kind == "punct":
            if m.group() in _SENT_END:
                pending_break = True
            continue
        if kind != "word":
            continue  # numbers: not words for the language model either
        if pending_break and texts:
            s += 1
        gap_ok = bool(starts) and not pending_break and text[ends[-1] : a].strip(" \t") == ""
        pending_break = False
        w = m.group()
        texts.append(w)
        low = w.lower().replace("’", "'")
        lowers.append(low if low.isascii() else _fold(low))  # lookup_form, inline: this runs for every word
        starts.append(a)
        ends.append(m.end())
        sents.append(s)
        adj.append(gap_ok and sents[-1] == (sents[-2] if len(sents) > 1 else -1))
    return WordRun(texts, lowers, starts, ends, sents, adj)


# Stretches that are not prose although their parts look like words: code (fenced or `inline`), URLs, e-mail
# addresses, identifiers joined by underscores (raise_interest_rate) and dotted lower-case names (rates.py,
# example.com, numpy.linalg; "e.g." and "U.S." are not: each part needs two characters). Their words are no
# one's word choice: the spinner leaves them alone and `check` reports nothing inside them (rewriting one
# breaks a link or a program). Found chunk by chunk (runs of non-space characters), each pattern anchored, so
# the time is linear in the text whatever it holds (a 400,000-character "a-a-a-…" chain included).
_INLINE_CODE_RE = re.compile(r"`[^`\n]{1,500}`")
_CHUNK_RE = re.compile(r"\S+")
_CHUNK_EDGE = "\"'()[]{}<>.,;:!?“”‘’«»"
_MAX_CHUNK = 2048  # longer runs without a space are no URL or name anyone wrote
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DOTTED_RE = re.compile(r"[a-z0-9][a-z0-9-]*[a-z0-9](?:\.[a-z0-9][a-z0-9-]*[a-z0-9])+(?![\w.])")
_IDENT_RE = re.compile(r"\w+")


def _chunk_literals(text: str, a: int, b: int, out: list[tuple[int, int]]) -> None:
    """The literal stretches of the chunk text[a:b] (no whitespace in it)."""
    chunk = text[a:b]
    lead = len(chunk) - len(chunk.lstrip(_CHUNK_EDGE))
    core = chunk.strip(_CHUNK_EDGE)
    if not core:
        return
    start = a + lead
    i = core.find("://")
    if i > 0 and core[i - 1] in _SCHEME_CHARS:
        j = i
        while j > 0 and core[j - 1] in _SCHEME_CHARS:
            j -= 1
        while j < i and not core[j].isalpha():  # a scheme starts with a letter
            j += 1
        if j < i:
            out.append((start + j, start + len(core)))
            return
    low = core.lower()
    if low.startswith("www."):
        out.append((start, start + len(core)))
        return
    if "@" in core and (m := _EMAIL_RE.fullmatch(core)):
        out.append((start + m.start(), start + m.end()))
        return
    if "." in core and (m := _DOTTED_RE.match(core)):
        out.append((start, start + m.end()))
        return
    if "_" in core:
        for m in _IDENT_RE.finditer(core):
            w = m.group()
            if "_" in w and any(c.isalpha() for c in w):
                out.append((start + m.start(), start + m.end()))


def literal_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each stretch of `text` that is code, a URL, an e-mail address or an identifier, in order
    and not overlapping."""
    found: list[tuple[int, int]] = []
    # fenced code: each ``` closes the one before it
    fence = text.find("```")
    while fence >= 0:
        close = text.find("```", fence + 3)
        if close < 0:
            break
        found.append((fence, close + 3))
        fence = text.find("```", close + 3)
    found += [m.span() for m in _INLINE_CODE_RE.finditer(text)]
    for m in _CHUNK_RE.finditer(text):
        if m.end() - m.start() <= _MAX_CHUNK:
            _chunk_literals(text, m.start(), m.end(), found)
    found.sort()
    merged: list[tuple[int, int]] = []
    for a, b in found:
        if merged and a < merged[-1][1]:
            if b > merged[-1][1]:
                merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged
