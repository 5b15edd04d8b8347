"""Facts about a whole document: pass 1 of the pipeline (lemma and bigram counts, register), its pieces, the
language check, and the corpus screen's first stage (document statistics that need no candidate scoring)."""
from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from . import features as F
from .knowledge.bundle import Knowledge
from .knowledge.frequency import zipf
from .stopwords import is_function_word
from .text import WordRun, count_words, lookup_words, paragraphs, word_run

MAX_PIECE_CHARS = 20_000


FULL_SENTENCE = 3  # words a sentence needs to count in the register's sentence length


@dataclass(frozen=True)
class Register:
    """What kind of prose a document is, read from what spinners leave alone, so that spinning cannot move it
    (a register estimate from all words would make spun text look like "rare-word prose" and excuse it): the
    frequency and share of its content words that no thesaurus links (names, technical terms — a spinner's
    output is always a linked word), its share of function words, its sentence length (the mean over sentences of
    FULL_SENTENCE words or more: a stray word, a title or a closing "Thanks." is no sentence; with them counted,
    one word appended to a three-sentence text moved it 53 → 36)."""

    zipf: float = 4.0  # mean Zipf frequency of unlinked content words
    unlinked_share: float = 0.0
    function_share: float = 0.5
    sentence_len: float = 20.0


# The longest mean sentence of any training document was 247 words (a learner essay with hardly a full stop). Text
# without sentence punctuation (a speech-to-text transcript, prose with its punctuation stripped) has "sentences" of
# thousands of words, and the document model, linear in this feature, read 3,494 as certain spinning (an honest
# text: spin score 1.00, `spun`). Capped just above the training range, which no training document reaches.
SENTENCE_LEN_CAP = 250.0


@dataclass
class RegisterCounts:
    """The sums behind a Register. A long document's whole-document register is summed section by section
    (`doc_stats(..., total=)`) in the same word order as one pass over the whole text would sum it."""

    words: int = 0
    sentences: int = 0
    full_sentences: int = 0  # sentences of FULL_SENTENCE words or more
    full_sentence_words: int = 0  # the words in them
    n_function: int = 0
    n_content: int = 0
    n_unlinked: int = 0
    unlinked_zipf: float = 0.0

    def register(self) -> Register:
        return Register(zipf=self.unlinked_zipf / self.n_unlinked if self.n_unlinked else 4.0,
                        unlinked_share=self.n_unlinked / self.n_content if self.n_content else 0.0,
                        function_share=self.n_function / self.words if self.words else 0.5,
                        sentence_len=min(self.full_sentence_words / self.full_sentences if self.full_sentences
                                         else 20.0, SENTENCE_LEN_CAP))


@dataclass
class DocStats:
    """What every span's features may know about the whole document."""

    words: int
    register: Register
    lemma_keys: np.ndarray  # sorted echo-lemma ids (lexicon form ids) of the document's words
    lemma_counts: np.ndarray
    bigram_keys: np.ndarray  # sorted word-table bigram keys (w1 * W + w2) of adjacent words
    bigram_counts: np.ndarray

    def lemma_count(self, lemmas: np.ndarray) -> np.ndarray:
        # a presence mask first (made once per DocStats): most asked lemmas (candidates) are not in the document
        mask = self.__dict__.get("_lemma_mask")
        if mask is None:
            mask = self.__dict__["_lemma_mask"] = np.zeros(int(self.lemma_keys[-1]) + 1 if len(self.lemma_keys)
                                                           else 0, dtype=bool)
            mask[self.lemma_keys] = True
        out = np.zeros(len(lemmas), dtype=np.int64)
        present = (lemmas >= 0) & (lemmas < len(mask))
        present[present] = mask[lemmas[present]]
        out[present] = _lookup(self.lemma_keys, self.lemma_counts, lemmas[present])
        return out

    def bigram_count(self, keys: np.ndarray) -> np.ndarray:
        return _lookup(self.bigram_keys, self.bigram_counts, keys)

    def bigram_words(self, W: int) -> tuple[np.ndarray, np.ndarray]:
        """Which word-table ids (of W) occur first, and which second, in some bigram of the document: a key
        whose word is in neither cannot be found, so most lookups can be skipped (made once per DocStats)."""
        got = self.__dict__.get("_bigram_words")
        if got is None or len(got[0]) != W:
            firsts = np.zeros(W, dtype=bool)
            seconds = np.zeros(W, dtype=bool)
            firsts[self.bigram_keys // W] = True
            seconds[self.bigram_keys % W] = True
            got = self.__dict__["_bigram_words"] = (firsts, seconds)
        return got


def _lookup(keys: np.ndarray, counts: np.ndarray, q: np.ndarray) -> np.ndarray:
    if not len(keys) or not len(q):
        return np.zeros(len(q), dtype=np.int64)
    i = np.minimum(np.searchsorted(keys, q), len(keys) - 1)
    return np.where(keys[i] == q, counts[i], 0)


def doc_stats(text: str, k: Knowledge, total: RegisterCounts | None = None) -> DocStats:
    """Echo counts and register of `text`; `total`, when given, also gets this text's register sums added (a
    whole document's, section after section)."""
    return stats_of_runs([word_run(piece) for _, piece in pieces(text)], k, total)


def stats_of_runs(runs: list[WordRun], k: Knowledge, total: RegisterCounts | None = None) -> DocStats:
    """doc_stats of a text from the word runs of its pieces (document.pieces), in order."""
    lex = k.lex
    W = len(lex.word_strs)
    lem: list[int] = []
    bigr: list[int] = []
    c = RegisterCounts()
    run_zipf = total.unlinked_zipf if total is not None else 0.0  # continued word by word: the same float sum
    seen: set[tuple[str, ...]] = set()
    for run in runs:
        c.words += len(run.lower)
        lengths = np.unique(np.asarray(run.sent, dtype=np.int64), return_counts=True)[1]
        c.sentences += len(lengths)
        full = lengths[lengths >= FULL_SENTENCE]
        c.full_sentences += len(full)
        c.full_sentence_words += int(full.sum())
        if not run.lower:
            continue
        # per word, as arrays: form, word-table id (single-word forms), function word, sentence
        f, w = k.word_forms(run.lower)
        known = f >= 0
        fk = np.maximum(f, 0)
        s = np.array(run.sent, dtype=np.int64)
        fresh = _first_seen_sentences(run.lower, s, seen)
        pair = (w[:-1] >= 0) & (w[1:] >= 0) & (s[1:] == s[:-1]) & fresh[1:]  # neighbours in one sentence, both
        bigr.extend((w[:-1][pair] * W + w[1:][pair]).tolist())  # single words
        func = np.array([is_function_word(low) for low in run.lower], dtype=bool) | (known & lex.function[fk])
        content = ~func
        c.n_function += int(func.sum())
        c.n_content += int(content.sum())
        lem.extend(lex.lemma[f[content & known & fresh]].tolist())
        # unlinked content words: their Zipf summed one by one in word order (the same float sums as a word loop)
        for i in np.flatnonzero(content & (~known | (lex.link_count[fk] == 0))).tolist():
            z = float(lex.zipf[f[i]]) if f[i] >= 0 else zipf(run.lower[i])
            c.n_unlinked += 1
            c.unlinked_zipf += z
            run_zipf += z
    if total is not None:
        for name in ("words", "sentences", "full_sentences", "full_sentence_words", "n_function", "n_content",
                     "n_unlinked"):
            setattr(total, name, getattr(total, name) + getattr(c, name))
        total.unlinked_zipf = run_zipf
    lk, lc = np.unique(np.array(lem, dtype=np.int64), return_counts=True)
    bk, bc = np.unique(np.array(bigr, dtype=np.int64), return_counts=True)
    return DocStats(c.words, c.register(), lk, lc, bk, bc)


REPEAT_MIN_WORDS = 4  # a sentence this long repeated word for word is a copy, not a new use of its words


def _first_seen_sentences(lower: list[str], sent: np.ndarray, seen: set) -> np.ndarray:
    """Which words belong to a sentence whose words (lower case) the section has not had before; `seen` is
    updated. A sentence repeated word for word is one piece of evidence, not two: echo counts read each distinct
    sentence once, so a text pasted twice (or a paragraph repeated as a summary) gets the counts of one copy —
    spun words do not look echoed, and honest ones no more echoed than in one copy. Sentences shorter than
    REPEAT_MIN_WORDS ("Thank you.", a name called out, "Figure") are ordinary repeated use and always count."""
    fresh = np.ones(len(lower), dtype=bool)
    bounds = np.flatnonzero(np.diff(sent)) + 1
    for a, b in zip([0, *bounds.tolist()], [*bounds.tolist(), len(lower)]):
        if b - a < REPEAT_MIN_WORDS:
            continue
        key = tuple(lower[a:b])
        if key in seen:
            fresh[a:b] = False
        else:
            seen.add(key)
    return fresh


def pieces(text: str):
    """Paragraphs, with very long ones cut at a sentence end (or a space) so memory stays bounded."""
    for base, para in paragraphs(text):
        if len(para) <= MAX_PIECE_CHARS:
            yield base, para
            continue
        pos = 0
        while pos < len(para):
            end = min(pos + MAX_PIECE_CHARS, len(para))
            if end < len(para):
                cut = max(para.rfind(". ", pos, end), para.rfind("\n", pos, end))
                if cut <= pos:
                    cut = para.rfind(" ", pos, end)
                end = cut + 1 if cut > pos else end
            yield base + pos, para[pos:end]
            pos = end


# Training documents are at most ~900 words (unspin.corpus cuts longer texts into parts of ~800 at paragraph
# breaks), and span facts that count the document — how often a candidate occurs elsewhere, the register — were
# learned at that length: over a whole 2,000-word speech they grow and a checked text got 15× the false findings
# of its two halves. A longer document is therefore scored section by section with each section's own counts;
# the second pass and the spin score still weigh the whole document's evidence (densities per 1,000 words).
SECTION_WORDS = 800  # unspin.corpus.CHUNK_WORDS
LONG_DOCUMENT_WORDS = 900  # unspin.corpus.LONG_WORDS: up to this length a document is one section


class SectionPieces(Sequence):
    """The (base, piece) pairs of one section, sliced from the text when read: a long input's pieces are not
    held as a second copy of the text."""

    def __init__(self, text: str, bounds: list[tuple[int, int]]):
        self._text = text
        self._bounds = bounds

    def __len__(self) -> int:
        return len(self._bounds)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        a, b = self._bounds[i]
        return a, self._text[a:b]


def sections(text: str) -> list[tuple[int, int, SectionPieces]]:
    """(start, end, pieces) of consecutive pieces (document.pieces) of about SECTION_WORDS words each; a short
    remainder joins the section before it. One section when the text has at most LONG_DOCUMENT_WORDS words."""
    bounds: list[tuple[int, int]] = []
    counts: list[int] = []
    for base, piece in pieces(text):
        bounds.append((base, base + len(piece)))
        counts.append(count_words(piece))
    if not bounds:
        return []
    if sum(counts) <= LONG_DOCUMENT_WORDS:
        return [(0, len(text), SectionPieces(text, bounds))]
    groups: list[list[int]] = [[]]
    n = 0
    for i, c in enumerate(counts):
        groups[-1].append(i)
        n += c
        if n >= SECTION_WORDS:
            groups.append([])
            n = 0
    if not groups[-1]:
        groups.pop()
    elif len(groups) > 1 and n < SECTION_WORDS // 2:
        groups[-2].extend(groups.pop())
    return [(bounds[g[0]][0], bounds[g[-1]][1], SectionPieces(text, bounds[g[0] : g[-1] + 1])) for g in groups]


def pieces_in_sections(text: str, k: Knowledge
                       ) -> tuple[int, Iterator[tuple[int, str, DocStats, WordRun]], RegisterCounts]:
    """(number of sections, (base, piece, the counts its spans see, its words) of every piece of `text`, the
    whole document's register sums): a text of one section sees its own counts, each section of a long one its
    own (span facts that count the document — echoes, register — see the section, as training saw its
    documents). Counts are computed as the walk reaches each section, so a long input never holds a
    whole-document count of every word; the register sums are complete once the walk is done. Each piece is
    tokenised once, for its section's counts and for its spans."""
    parts = sections(text)
    total = RegisterCounts()
    walk = ((base, piece, stats, run) for _, base, piece, stats, run in _walk_sections(parts, k, total))
    return len(parts), walk, total


def _walk_sections(parts, k: Knowledge, total: RegisterCounts, wanted: set[int] | None = None
                   ) -> Iterator[tuple[int, int, str, DocStats, WordRun]]:
    """(piece number, base, piece, its section's counts, its words) of every piece of the sections `parts`, or of
    those numbered in `wanted` (then only the sections holding one are tokenised and counted)."""
    n = 0
    for _, _, section_pieces in parts:
        numbers = range(n, n + len(section_pieces))
        n += len(section_pieces)
        if wanted is not None and not any(i in wanted for i in numbers):
            continue
        runs = [word_run(piece) for _, piece in section_pieces]
        section_stats = stats_of_runs(runs, k, total)
        for i, (base, piece), run in zip(numbers, section_pieces, runs):
            if wanted is None or i in wanted:
                yield i, base, piece, section_stats, run.shifted(base)


def pieces_numbered(text: str, k: Knowledge, wanted: set[int]) -> Iterator[tuple[int, int, str, DocStats, WordRun]]:
    """(piece number, base, piece, its section's counts, its words) of the pieces numbered in `wanted`, numbered
    as pieces_in_sections walks them; only the sections holding one are tokenised and counted again."""
    return _walk_sections(sections(text), k, RegisterCounts(), wanted)


# Program code passes the English-prose test (its keywords are English function words: if, for, in, and, not,
# return…). Measured 2026-12-01 on the 12,700 documents of the eleven clean registers: no document has both a
# third of its lines indented and code tokens at 1 % of its words (the largest with indented lines, old speeches,
# have 0.6 %; honest prose reaching 10 % — formulas in abstracts, URLs in web text — has no indented lines),
# while every Python and JavaScript file of this project has both above 60 % and 14 %.
_CODE_TOKEN = re.compile(r"[A-Za-z_]\w*\(|\w\.[A-Za-z_]\w*|\b\w+_\w+\b|[{};]|==|!=|->|=>|\+=|:=|</?\w+[ >]")
_INDENTED_LINE = re.compile(r"^(?: {2,}|\t)\S", re.M)
_LETTERS = re.compile(r"[A-Za-z]+")
CODE_INDENTED_SHARE = 0.3
CODE_TOKEN_SHARE = 0.1


def code_like(text: str, sample: int = 16_000) -> tuple[float, float] | None:
    """(share of indented lines, code tokens per word) of the text's start when both say program code, else
    None. A text of fewer than 8 lines is never called code (a quoted snippet in prose stays prose)."""
    head = text[:sample]
    lines = sum(1 for ln in head.splitlines() if ln.strip())
    if lines < 8:
        return None
    indented = len(_INDENTED_LINE.findall(head)) / lines
    tokens = len(_CODE_TOKEN.findall(head)) / max(len(_LETTERS.findall(head)), 1)
    return (indented, tokens) if indented >= CODE_INDENTED_SHARE and tokens >= CODE_TOKEN_SHARE else None


def not_prose(text: str, k: Knowledge) -> str | None:
    """Why `text` is no English prose the model can judge (a note for the report), or None when it is."""
    known, func = english_share(text, k)
    if known < 0.6 or func < 0.12:
        return (f"text does not look like English prose (known words {known:.0%}, function words {func:.0%}); no "
                "model findings")
    if (code := code_like(text)) is not None:
        return (f"text looks like program code, not English prose ({code[0]:.0%} of its lines indented, "
                f"{code[1]:.2f} code tokens per word); no model findings")
    return None


def english_share(text: str, k: Knowledge, sample: int = 4000) -> tuple[float, float]:
    """(share of word tokens the LM or the lexicon knows, share that are English function words)."""
    words = lookup_words(text[: sample * 8], sample)
    n = len(words)
    if n == 0:
        return 0.0, 0.0
    known = func = 0
    fid = k.lex.form_id
    for low in words:
        if is_function_word(low):
            func += 1
            known += 1
        elif k.lm.known(low) or low in fid:
            known += 1
    return known / n, func / n


HIGH_ATTRACTION = 2.0  # ln-odds above which a word is much likelier spinner output than a writer's choice


def screen_features_from(G: np.ndarray, gate_p: np.ndarray, words: int, register: Register) -> np.ndarray:
    """SCREEN_FEATURES from the GATE_FEATURES of every span of a document and `gate_p`, P(spun) of each from
    those cheap facts (Model.span_prior_p; the "gate" in the feature names is that first look): how many spans
    look spun per 1,000 words, against the document's register."""
    per = 1000.0 / max(words, 1)
    gi = F.GATE_FEATURES.index
    n = len(G)
    gate_sum = math.log1p(float(gate_p.sum()) * per)
    cols = {
        "bias": 1.0,
        "log_words": math.log(min(max(words, 1), F.DOC_WORDS_SEEN)),
        "log_gate_sum": gate_sum,
        "log_gate_50": math.log1p(float((gate_p >= 0.5).sum()) * per),
        "log_gate_80": math.log1p(float((gate_p >= 0.8).sum()) * per),
        "high_attraction_share": float((G[:, gi("attraction")] > HIGH_ATTRACTION).mean()) if n else 0.0,
        "rare_share": float((G[:, gi("text_zipf")] < 3.0).mean()) if n else 0.0,
        "register_zipf": register.zipf,
        "function_share": register.function_share,
        "gate_x_register": gate_sum * (register.zipf - 4.0),
    }
    return F.matrix({k: np.array([v]) for k, v in cols.items()}, F.SCREEN_FEATURES, 1)[0]


@dataclass
class PreparedText:
    """A text walked once (pieces_in_sections) with every piece's spans (extract.piece_spans): what the corpus
    screen's first stage computes, kept so that the full check of a document it does not clear reuses it."""

    sections: int
    pieces: list  # (base, piece, the counts its spans see, its words, its Spans)
    total: RegisterCounts


def screen_features(text: str, k: Knowledge, model, keep: bool = False):
    """SCREEN_FEATURES of a document: its spans and their gate facts (no candidate scoring at all). With `keep`,
    (features, PreparedText) — the pieces and their spans held for the full check; without, pieces are dropped
    as the walk goes (bounded memory for long texts)."""
    from .extract import gate_matrix, piece_spans

    Gs = []
    kept = []
    n_sections, walk, total = pieces_in_sections(text, k)  # as in check (engine.score_document)
    for base, piece, section_stats, run in walk:
        spans = piece_spans(piece, base, k, section_stats, run)
        if keep:
            kept.append((base, piece, section_stats, run, spans))
        if len(spans):
            Gs.append(gate_matrix(spans))
    G = np.concatenate(Gs) if Gs else np.zeros((0, len(F.GATE_FEATURES)))
    x = screen_features_from(G, model.span_prior_p(G), total.words, total.register())
    return (x, PreparedText(n_sections, kept, total)) if keep else x


def screen_clears(text: str, k: Knowledge, model, keep: bool = False) -> tuple[bool, PreparedText | None]:
    """(True when the first stage is sure enough the document is clean to skip span analysis, and — with
    `keep` — what it computed, for the full check to reuse; else None). The caller has made sure the text is
    English prose (not_prose): anything else is never cleared, the full check says why it cannot judge it."""
    if model.screen is None:
        return False, None
    x, prepared = screen_features(text, k, model, keep=True) if keep else (screen_features(text, k, model), None)
    return bool(model.screen.decision(x[None, :])[0] < model.screen_threshold), prepared
