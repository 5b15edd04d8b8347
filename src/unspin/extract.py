"""The extraction stages of the pipeline, each a function from data to data (see engine.py for the order).

    piece_spans     a piece of text → its words, the text's own LM scores, every candidate span, GATE columns
    score_pairs     spans → every candidate original in context: stage 1 (cheap PRE columns) for all of them,
                    the pre-ranker keeps `pool_k` per span, stage 2 the full PAIR_FEATURES
    rank            pairs → softmax per span (the ranker)
    span_table      spans + pairs + ranker → SPAN_FEATURES (the detector's input)

Everything is batched per piece with numpy: one LM call scores a whole column of candidates.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import features as F
from .knowledge.bundle import Knowledge
from .knowledge.lm import unigram_floor
from .stopwords import is_function_word
from .text import WordRun, word_run

if TYPE_CHECKING:
    from .document import DocStats

MAX_SPAN_WORDS = 3  # multi-word spans: thesaurus phrases of up to three words


@dataclass
class Spans:
    """Every candidate span of a piece (a word or a thesaurus phrase), as parallel arrays."""

    text: str  # the piece
    base: int  # its offset in the document
    start: np.ndarray  # code points, document offsets
    end: np.ndarray
    form: np.ndarray  # lexicon form id
    first: np.ndarray  # index of its first word in the piece's word list
    n_words: np.ndarray
    gate: dict  # GATE_FEATURES columns (plus facts the later stages read)
    # per word of the piece
    seq_pos: np.ndarray  # position of each word in the LM sequence
    seq_ids: np.ndarray  # LM ids of the piece's sentence sequences (<s> w … </s>), −1 unknown
    seq_floor: np.ndarray  # unigram floor where seq_ids is −1
    seq_sent: np.ndarray  # sentence number of each sequence position
    seq_score: np.ndarray  # ln P of each position given its history (0 at <s>)
    seq_uni: np.ndarray  # ln P of each position alone
    word_prev_article: np.ndarray  # 0 / 1 ("a") / 2 ("an") before each word
    word_wt: np.ndarray  # word-table id of each word (−1 when the lexicon lacks it)
    vec_cum: np.ndarray | None = None  # (words + 1, dim) running sum of content words' unit vectors

    def __len__(self) -> int:
        return len(self.start)


def _eligible(low: str) -> bool:
    return len(low) >= 2 and "'" not in low and not is_function_word(low)


def piece_spans(piece: str, base: int, k: Knowledge, stats: DocStats, run: WordRun | None = None) -> Spans:
    """The spans of one piece starting at `base` in its document (`run`: its words, if already tokenised)."""
    lex, fid = k.lex, k.lex.form_id
    run = run if run is not None else word_run(piece, base)
    nw = len(run.lower)
    # the LM sequence: <s> w1 … wn </s> per sentence. Built with list comprehensions and array arithmetic, not
    # word by word: word k of sentence group r (0-based) stands at k + 1 + 2r, its group's <s> just before the
    # group's first word and </s> just after its last.
    forms, word_wt = k.word_forms(run.lower)
    wid = k.lm.word_id
    lids = [wid(low) for low in run.lower]
    sent = np.array(run.sent, dtype=np.int64)
    new_sent = np.ones(nw, dtype=bool)
    new_sent[1:] = sent[1:] != sent[:-1]
    group = np.cumsum(new_sent) - 1
    seq_pos = np.arange(nw, dtype=np.int64) + 1 + 2 * group
    n_seq = nw + 2 * (int(group[-1]) + 1) if nw else 0
    ids = np.empty(n_seq, dtype=np.int64)
    sents = np.empty(n_seq, dtype=np.int64)
    floor = np.zeros(n_seq, dtype=np.float64)
    ids[seq_pos] = lids
    sents[seq_pos] = sent
    floor[seq_pos] = [unigram_floor(low) if lid < 0 else 0.0 for low, lid in zip(run.lower, lids)]
    starts = seq_pos[new_sent] - 1
    ids[starts] = k.bos
    sents[starts] = sent[new_sent]
    ends_of = np.append(new_sent[1:], True) if nw else new_sent
    ends = seq_pos[ends_of] + 1
    ids[ends] = k.eos
    sents[ends] = sent[ends_of]
    if len(ids):
        score, uni = k.score_sequence(ids, floor, sents)
        score[starts] = 0.0  # <s> itself is not scored
        uni[starts] = 0.0
    else:
        score = uni = np.zeros(0)
    # spans: single eligible words, and thesaurus phrases of adjacent words (longest first)
    first_word = new_sent
    lower, adjacent = run.lower, run.adjacent
    prev_article = np.zeros(nw, dtype=np.int64)
    articles = [(i + 1, 1 if low == "a" else 2) for i, low in enumerate(lower[:-1]) if low == "a" or low == "an"]
    if articles:
        at, kind = zip(*articles)
        prev_article[list(at)] = kind
    pf = lex.phrase_first
    sp_first, sp_n, sp_form = [], [], []
    for i, longest in enumerate([pf.get(low, 0) for low in lower]):
        if longest < 2:
            continue
        for n in range(min(longest, MAX_SPAN_WORDS, nw - i), 1, -1):
            if not all(adjacent[i + j] for j in range(1, n)):
                continue
            f = fid.get(" ".join(lower[i : i + n]), -1)
            if f >= 0 and not lex.function[f]:
                sp_first.append(i)
                sp_n.append(n)
                sp_form.append(f)
    forms_of = forms.tolist()
    singles = [i for i, low in enumerate(lower) if forms_of[i] >= 0 and _eligible(low)]
    sp_first += singles
    sp_n += [1] * len(singles)
    sp_form += [forms_of[i] for i in singles]
    first = np.array(sp_first, dtype=np.int64)
    nsp = np.array(sp_n, dtype=np.int64)
    form = np.array(sp_form, dtype=np.int64)
    order = np.lexsort((-nsp, first))  # each word's phrases, longest first, then the word itself
    first, nsp, form = first[order], nsp[order], form[order]
    last = first + nsp - 1
    start = np.array(run.start, dtype=np.int64)[first] if len(first) else np.zeros(0, dtype=np.int64)
    end = np.array(run.end, dtype=np.int64)[last] if len(first) else np.zeros(0, dtype=np.int64)
    gate = _gate_columns(run, first, last, nsp, form, seq_pos, ids, score, uni, first_word, k, stats)
    return Spans(piece, base, start, end, form, first, nsp, gate, seq_pos, ids, floor, sents, score, uni,
                 prev_article, word_wt, _vector_cumsum(forms, k))


def _vector_cumsum(forms: np.ndarray, k: Knowledge) -> np.ndarray | None:
    lex = k.lex
    if not len(lex.vecs):
        return None
    rows = np.where(forms >= 0, lex.vec_row[np.maximum(forms, 0)], -1)
    rows = np.where((forms >= 0) & ~lex.function[np.maximum(forms, 0)], rows, -1)
    V = np.zeros((len(forms) + 1, k.lex.vecs.shape[1]), dtype=np.float32)
    ok = np.nonzero(rows >= 0)[0]
    V[ok + 1] = k.vec_rows(rows[ok])
    return np.cumsum(V, axis=0)


LOCAL_WINDOW = 8  # words either side whose meaning the span should share


def local_context(spans: Spans, idx: np.ndarray) -> np.ndarray | None:
    """Unit vector of the content words within LOCAL_WINDOW words of each span (the span itself left out);
    zero rows where there is none."""
    if spans.vec_cum is None or not len(idx):
        return None
    c = spans.vec_cum
    nw = len(c) - 1
    first = spans.first[idx]
    last = first + spans.n_words[idx] - 1
    lo = np.maximum(first - LOCAL_WINDOW, 0)
    hi = np.minimum(last + 1 + LOCAL_WINDOW, nw)
    ctx = (c[hi] - c[lo]) - (c[last + 1] - c[first])
    norm = np.linalg.norm(ctx, axis=1)
    return np.where(norm[:, None] > 1e-6, ctx / np.maximum(norm, 1e-6)[:, None], 0.0)


def _gate_columns(run, first, last, nsp, form, seq_pos, ids, score, uni, first_word, k, stats) -> dict:
    """GATE_FEATURES of every span: facts of the span alone, before any candidate is scored."""
    lex = k.lex
    n = len(first)
    if n == 0:
        cols = {name: np.zeros(0) for name in F.GATE_FEATURES}
        cols.update(text_mid=np.zeros(0), text_uni=np.zeros(0), text_zipf=np.zeros(0))
        return cols
    # ln P of the span's words in context minus alone: how expected the span is here
    cs = np.concatenate([[0.0], np.cumsum(score)])
    cu = np.concatenate([[0.0], np.cumsum(uni)])
    a = seq_pos[first]
    b = seq_pos[last] + 1
    text_mid = cs[b] - cs[a]
    text_uni = cu[b] - cu[a]
    oov = np.concatenate([[0], np.cumsum(ids < 0)])
    text_oov = (oov[b] - oov[a] > 0).astype(np.float64)
    caps = np.array([t[:1].isupper() for t in run.text], dtype=bool)
    sentence_initial = first_word[first]
    cap_mid = (caps[first] & ~sentence_initial).astype(np.float64)
    nw = len(caps)
    prev_cap = np.zeros(n, dtype=bool)
    has_prev = (first > 0) & ~sentence_initial
    prev_cap[has_prev] = caps[first[has_prev] - 1] & ~first_word[first[has_prev] - 1]
    has_next = last + 1 < nw
    next_cap = np.zeros(n, dtype=bool)
    nx = last[has_next] + 1
    next_cap[has_next] = caps[nx] & ~first_word[nx]
    in_name = (prev_cap | next_cap).astype(np.float64)
    text_zipf = lex.zipf[form].astype(np.float64)
    lem = lex.lemma[form].astype(np.int64)
    text_echo = np.log1p(np.maximum(stats.lemma_count(lem) - 1, 0))
    attraction = k.pool.attractions(form)
    return {
        "bias": np.ones(n),
        "text_zipf": text_zipf,
        "text_zipf_sq": text_zipf ** 2,
        "text_fit": F.clip(text_mid - text_uni),
        "text_oov": text_oov,
        "cap_mid": cap_mid,
        "in_name": in_name,
        "sentence_initial": sentence_initial.astype(np.float64),
        "text_echo": text_echo,
        "register_zipf": np.full(n, stats.register.zipf),
        "relative_zipf": text_zipf - stats.register.zipf,
        "function_share": np.full(n, stats.register.function_share),
        "log_links": np.log1p(lex.link_count[form].astype(np.float64)),
        "span_words": nsp.astype(np.float64),
        "attraction": attraction,
        # not gate features, but facts the later stages read
        "text_mid": text_mid,
        "text_uni": text_uni,
    }


def gate_matrix(spans: Spans) -> np.ndarray:
    return F.matrix({k: spans.gate[k] for k in F.GATE_FEATURES}, F.GATE_FEATURES, len(spans))


@dataclass
class Pairs:
    """The candidates of a set of spans (`idx` into Spans), flattened: rows grouped by span, in `idx` order."""

    idx: np.ndarray  # span indexes with at least one candidate
    starts: np.ndarray  # first row of each span's group
    span_of: np.ndarray  # group number of each row
    cand: np.ndarray  # candidate form ids
    X: np.ndarray  # PAIR_FEATURES matrix
    cols: dict  # the named columns (for span features and evidence)
    pool_size: np.ndarray  # candidates each span had before the pre-ranker's cut

    @property
    def ends(self) -> np.ndarray:
        return np.append(self.starts[1:], len(self.cand))


def _empty_pairs() -> Pairs:
    z = np.zeros(0, np.int64)
    return Pairs(z, z, z, z, np.zeros((0, len(F.PAIR_FEATURES))), {}, z)


def candidate_rows(spans: Spans, idx: np.ndarray, k: Knowledge, stats: DocStats, pre=None, pool_k: int = 0):
    """Stage 1: every candidate of every span in `idx` with its cheap columns (PRE_FEATURES): static facts,
    the first word's fit with the left context, echo. Returns (idx with candidates, span group of each row,
    candidate ids, columns, candidates per span) or None.

    With a pre-ranker (`pre`, `pool_k`) only the rows it keeps (the `pool_k` best of each span) are returned.
    Its score is then its context-free part, memoised with each candidate table, plus the context part of
    every row; the other columns are made for the kept rows alone. Every returned value is the one the full
    columns give (each is computed row by row); the score is the same up to float rounding (a sum of two
    parts instead of one dot product), so the kept rows are the same unless two candidates tie within ~1e-15."""
    static = None if pre is None or not pool_k else _static_pre_score(pre)
    tab = k.table_rows(spans.form[idx].tolist(), static)
    if tab is None:
        return None
    idx = idx[tab.has]
    sizes = tab.sizes
    span_of = np.repeat(np.arange(len(idx)), sizes)
    cand = tab.cand
    # the context columns, for every row: the first word's fit after the left context, echo in the document
    ctx = k.fact_columns(tab, ("first_lm", "first_word", "last_word", "lemma"))
    ctx["first_floor"] = k.word_floor[ctx["first_word"].astype(np.int64)]
    sp = idx[span_of]
    first = spans.first[sp]
    last = first + spans.n_words[sp] - 1
    left = _left_context(spans, spans.seq_pos[spans.first[idx]], k.order)[span_of]  # per span, then per row
    c1_ids = ctx["first_lm"].astype(np.int64)
    lp1 = ctx["first_floor"].copy()
    kn = c1_ids >= 0
    if kn.any():
        lp1[kn] = k.lm.logprob_ids(left[kn], c1_ids[kn])
    t1 = spans.seq_score[spans.seq_pos[first]]
    ctx["first_lp"] = lp1
    ctx["left_gain1"] = F.clip(lp1 - t1)
    ctx["echo_n"] = stats.lemma_count(ctx["lemma"].astype(np.int64)).astype(np.float64)
    ctx["echo_bigram"] = np.log1p(_bigram_echo(spans, first, last, ctx, k, stats))
    pool_size = sizes
    if static is not None:
        score = tab.scores + pre.partial(PRE_CONTEXT, _pre_context_matrix(ctx))
        rows = top_per_group(score, span_of, pool_k)
        span_of, cand, sp = span_of[rows], cand[rows], sp[rows]
        ctx = {n: v[rows] for n, v in ctx.items()}
        tab = tab.take(rows)
    # the other facts for the rows kept alone (lexicon lookups by candidate id)
    cols = k.fact_columns(tab, [n for n in k.FACTS if n not in ctx])
    cols.update(ctx)
    cols.update(_static_pre_columns(cols, spans.gate["text_zipf"][sp]))
    return idx, span_of, cand, cols, pool_size


# The pre-ranker's features that depend on where the span stands (its left context, the document's echo); the
# others hold for a (text form, candidate) pair wherever it occurs.
PRE_CONTEXT = ("left_gain1", "echo_cand", "echo_bigram")
PRE_STATIC = tuple(n for n in F.PRE_FEATURES if n not in PRE_CONTEXT)


def _static_pre_columns(cols: dict, text_zipf: np.ndarray) -> dict:
    """The context-free PRE columns from a table's facts (`cols`: Knowledge.FACTS by name, float64)."""
    out = F.spinner_choice(cols["cand_zipf"], text_zipf, cols["log_nsyn"])
    out["cand_words"] = cols["n_words"]
    return out


def _pre_context_matrix(cols: dict) -> np.ndarray:
    return F.matrix({"left_gain1": cols["left_gain1"], "echo_cand": np.log1p(cols["echo_n"]),
                     "echo_bigram": cols["echo_bigram"]}, PRE_CONTEXT, len(cols["echo_n"]))


def _static_pre_score(pre):
    """The function (FACTS columns, text_zipf) → the pre-ranker's context-free part of each candidate's score,
    one per pre-ranker (Knowledge memoises the scores with each table under this function)."""
    fn = pre.__dict__.get("_static_score")
    if fn is None:

        def fn(columns: dict, text_zipf: np.ndarray) -> np.ndarray:
            cols = {**columns, **_static_pre_columns(columns, text_zipf)}
            return pre.partial(PRE_STATIC, F.matrix({n: cols[n] for n in PRE_STATIC}, PRE_STATIC, len(text_zipf)))

        pre.__dict__["_static_score"] = fn
    return fn


def _bigram_echo(spans: Spans, first: np.ndarray, last: np.ndarray, cols: dict, k: Knowledge,
                 stats: DocStats) -> np.ndarray:
    """Times the candidate occurs elsewhere next to the span's own left or right neighbour."""
    W = len(k.lex.word_strs)
    cw_first = cols["first_word"].astype(np.int64)
    cw_last = cols["last_word"].astype(np.int64)
    nwp = len(spans.word_wt)
    prev_w = np.where(first > 0, spans.word_wt[np.maximum(first - 1, 0)], -1)
    next_w = np.where(last + 1 < nwp, spans.word_wt[np.minimum(last + 1, nwp - 1)], -1)
    bg = np.zeros(len(cw_first), dtype=np.int64)
    firsts, seconds = stats.bigram_words(W)  # most candidates never occur in the document: no lookup for them
    ok = (prev_w >= 0) & (cw_first >= 0) & seconds[np.maximum(cw_first, 0)]
    bg[ok] += stats.bigram_count(prev_w[ok] * W + cw_first[ok])
    ok = (next_w >= 0) & (cw_last >= 0) & firsts[np.maximum(cw_last, 0)]
    bg[ok] += stats.bigram_count(cw_last[ok] * W + next_w[ok])
    return bg


def pre_matrix(cols: dict) -> np.ndarray:
    named = {"echo_cand": np.log1p(cols["echo_n"])}
    named.update({n: cols[n] for n in F.PRE_FEATURES if n not in named})
    return F.matrix(named, F.PRE_FEATURES, len(cols["cand_zipf"]))


def top_per_group(score: np.ndarray, group: np.ndarray, k: int) -> np.ndarray:
    """Rows (sorted) holding the k highest scores of each group (groups are contiguous runs, numbered from 0)."""
    # one float sort: the group number dominates the key, the (bounded) score orders rows within a group
    key = group * 1e4 - np.clip(score, -4e3, 4e3)
    order = np.argsort(key, kind="stable")
    g = group[order]
    starts = np.searchsorted(g, g, side="left")
    rank_in_group = np.arange(len(g)) - starts
    return np.sort(order[rank_in_group < k])


def score_pairs(spans: Spans, idx: np.ndarray, k: Knowledge, stats: DocStats, topic: np.ndarray | None,
                pre=None, pool_k: int = 0, rows: np.ndarray | None = None) -> Pairs:
    """Every candidate of the spans in `idx` scored in context: stage 1 (cheap columns) for all of them; the
    pre-ranker keeps the `pool_k` best per span (all of them without a pre-ranker); stage 2 adds the full
    language-model window, topic and the rest of PAIR_FEATURES. `rows` (training) picks stage-1 rows itself.

    Without `rows`, spans are scored PAIR_SPAN_CHUNK at a time: every column is computed per row or per span, so
    the result is the same, and a long piece's stage 1 (every candidate of every span, before the pre-ranker's
    cut) no longer needs a hundred MB at once."""
    if rows is None and len(idx) > PAIR_SPAN_CHUNK:
        parts = [score_pairs(spans, idx[a : a + PAIR_SPAN_CHUNK], k, stats, topic, pre, pool_k)
                 for a in range(0, len(idx), PAIR_SPAN_CHUNK)]
        return _concat_pairs([p for p in parts if len(p.idx)])
    lex = k.lex
    cut = rows is None and pre is not None and pool_k
    got = candidate_rows(spans, idx, k, stats, pre if cut else None, pool_k if cut else 0)
    if got is None:
        return _empty_pairs()
    idx, span_of, cand, cols, pool_size = got
    if rows is not None:
        span_of, cand = span_of[rows], cand[rows]
        cols = {n: v[rows] for n, v in cols.items()}
        present = np.unique(span_of)
        if len(present) < len(idx):  # spans that lost every row (training picks) drop out
            remap = np.full(len(idx), -1, dtype=np.int64)
            remap[present] = np.arange(len(present))
            idx, pool_size, span_of = idx[present], pool_size[present], remap[span_of]
    sizes = np.bincount(span_of, minlength=len(idx))
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    sp = idx[span_of]
    first = spans.first[sp]
    # the language-model window: the candidate in the span's place, with the span's left and right context
    cand_mid, cand_right, cand_uni = _candidate_windows(spans, idx, span_of, cand, k, cols["first_lp"])
    text_right = _right_text_score(spans, spans.seq_pos[spans.first[idx] + spans.n_words[idx] - 1] + 1,
                                   k.order)[span_of]  # per span, then per row
    cols.update(F.lm_gains(cand_mid, cand_right, spans.gate["text_mid"][sp], text_right, cand_uni,
                           spans.gate["text_uni"][sp]))
    cols.update(F.echo(cols["echo_n"], cols["gain"], np.expm1(cols["echo_bigram"])))
    cols.update(F.shape(cols["cand_words"], spans.n_words[sp].astype(np.float64), cols["cand_oov"]))
    cols["article_fix"] = F.article_fix(spans.word_prev_article[first], lex.an[spans.form[sp]], lex.an[cand])
    cols["cap_x_gain"] = F.names(spans.gate["cap_mid"][sp], cols["gain"])
    cols["topic_gain"] = _topic_gain(spans, idx, span_of, cand, k, topic)
    cols["pmi_gain"] = F.clip(cols["gain"] - cols["uni_gain"])
    loc = local_context(spans, idx)
    if loc is None:
        cols["local_gain"] = np.zeros(len(cand))
    else:
        cols["local_gain"] = k.fit(cand, loc[span_of]) - k.fit(spans.form[idx], loc)[span_of]  # (the span's once)
    X = F.matrix({n: cols[n] for n in F.PAIR_FEATURES}, F.PAIR_FEATURES, len(cand))
    return Pairs(idx, starts, span_of, cand, X, cols, pool_size)


PAIR_SPAN_CHUNK = 64  # spans whose candidates are scored together (see score_pairs)


def _concat_pairs(parts: list[Pairs]) -> Pairs:
    """The Pairs of consecutive groups of spans as one (row offsets and group numbers shifted)."""
    if not parts:
        return _empty_pairs()
    if len(parts) == 1:
        return parts[0]
    rows = np.cumsum([0] + [len(p.cand) for p in parts[:-1]])
    groups = np.cumsum([0] + [len(p.idx) for p in parts[:-1]])
    return Pairs(np.concatenate([p.idx for p in parts]),
                 np.concatenate([p.starts + r for p, r in zip(parts, rows)]),
                 np.concatenate([p.span_of + g for p, g in zip(parts, groups)]),
                 np.concatenate([p.cand for p in parts]),
                 np.vstack([p.X for p in parts]),
                 {n: np.concatenate([p.cols[n] for p in parts]) for n in parts[0].cols},
                 np.concatenate([p.pool_size for p in parts]))


def _left_context(spans: Spans, a: np.ndarray, order: int) -> np.ndarray:
    """The (order − 1) sequence ids before positions `a` (−1 before the sentence start), oldest first."""
    hlen = order - 1
    ids, sent = spans.seq_ids, spans.seq_sent
    left = np.full((len(a), hlen), -1, dtype=np.int64)
    for j in range(1, hlen + 1):
        pos = a - j
        ok = pos >= 0
        ok[ok] &= sent[pos[ok]] == sent[a[ok]]
        left[ok, hlen - j] = ids[pos[ok]]
    # an unknown word (−1) cuts the context: nothing before it counts either
    for c in range(hlen - 1, 0, -1):
        cut = left[:, c] < 0
        if cut.any():
            left[cut, :c] = -1
    return left


def _right_text_score(spans: Spans, b: np.ndarray, order: int) -> np.ndarray:
    """ln P of the (order − 1) words after each span, as the text has them (stopping at the sentence end):
    the positions whose history holds the span."""
    total = np.zeros(len(b))
    n = len(spans.seq_ids)
    sent = spans.seq_sent
    for j in range(order - 1):
        pos = b + j
        ok = pos < n
        ok[ok] &= sent[pos[ok]] == sent[b[ok] - 1]
        total[ok] += spans.seq_score[pos[ok]]
    return total


def _candidate_windows(spans: Spans, idx: np.ndarray, span_of: np.ndarray, cand: np.ndarray, k: Knowledge,
                       first_lp: np.ndarray):
    """For each (span, candidate) row — span `idx[span_of]` — ln P of the candidate's words given the span's left
    context (the first word's score comes from stage 1), ln P of the words after the span given the candidate,
    and the candidate's unigram ln P. Rows are grouped by candidate length so each LM call is one numpy batch."""
    lex = k.lex
    o = k.order
    hlen = o - 1
    n = len(cand)
    cand_mid = np.array(first_lp, dtype=np.float64)
    cand_right = np.zeros(n)
    cand_uni = np.zeros(n)
    # the contexts once per span, then per row
    first = spans.first[idx]
    last = first + spans.n_words[idx] - 1
    a = spans.seq_pos[first]
    b = spans.seq_pos[last] + 1
    ids, sent = spans.seq_ids, spans.seq_sent
    nseq = len(ids)
    left = _left_context(spans, a, o)[span_of]
    # right context: the hlen positions after the span (−2 = past the sentence end: not scored)
    right = np.full((len(idx), hlen), -2, dtype=np.int64)
    right_floor = np.zeros((len(idx), hlen))
    for j in range(hlen):
        pos = b + j
        ok = pos < nseq
        ok[ok] &= sent[pos[ok]] == sent[a[ok]]
        right[ok, j] = ids[pos[ok]]
        right_floor[ok, j] = spans.seq_floor[pos[ok]]
    right, right_floor = right[span_of], right_floor[span_of]
    n_c = lex.n_words[cand].astype(np.int64)
    cwords = lex.words[cand]  # (n, MAX_FORM_WORDS) word-table ids
    # every LM query of every candidate length is gathered first and asked in one call per kind (unigram,
    # window): a piece made ~20 small calls, whose fixed cost outweighed the lookups. Sums are then added in
    # the same order as before, so every number is the same.
    uni_q: list[tuple] = []  # (rows, uni matrix, r, c, ids)
    win_q: list[tuple] = []  # (rows, j, lp, known, hist, words)
    for m in np.unique(n_c).tolist():
        rows = np.nonzero(n_c == m)[0]
        wt = cwords[rows, :m].astype(np.int64)
        c_ids = k.word_lm[wt]  # −1: unknown to the LM
        c_floor = k.word_floor[wt]
        seq = np.concatenate([left[rows], c_ids, right[rows]], axis=1)
        fl = np.concatenate([np.zeros((len(rows), hlen)), c_floor, right_floor[rows]], axis=1)
        uni = np.where(c_ids >= 0, 0.0, c_floor)
        r, c = np.nonzero(c_ids >= 0)
        uni_q.append((rows, uni, r, c, c_ids[r, c]))
        for j in range(hlen + 1, hlen + m + hlen):  # the first word (position hlen) is scored already
            w = seq[:, j]
            present = w != -2
            if not present.any():
                continue
            hist = seq[:, j - hlen : j].copy()
            hist[hist == -2] = -1
            for c in range(hlen - 1, 0, -1):  # an unknown word cuts the context before it too
                cut = hist[:, c] < 0
                if cut.any():
                    hist[cut, :c] = -1
            known = present & (w >= 0)
            lp = np.where(w == -1, fl[:, j], 0.0)
            lp[~present] = 0.0  # (no score where nothing is present; known rows are filled below)
            win_q.append((rows, j < hlen + m, lp, known, hist[known], w[known]))
    uni_ids = np.concatenate([q[4] for q in uni_q])
    if len(uni_ids):
        got = k.lm.logprob_ids(np.full((len(uni_ids), hlen), -1, dtype=np.int64), uni_ids)
        at = 0
        for _, uni, r, c, ids in uni_q:
            uni[r, c] = got[at : at + len(ids)]
            at += len(ids)
    for rows, uni, _, _, _ in uni_q:
        cand_uni[rows] = uni.sum(axis=1)
    win_words = [q[5] for q in win_q]
    if win_q and sum(len(x) for x in win_words):
        got = k.lm.logprob_ids(np.concatenate([q[4] for q in win_q]), np.concatenate(win_words))
        at = 0
        for _, _, lp, known, _, words in win_q:
            lp[known] = got[at : at + len(words)]
            at += len(words)
    for rows, mid, lp, _, _, _ in win_q:
        if mid:
            cand_mid[rows] += lp
        else:
            cand_right[rows] += lp
    return cand_mid, cand_right, cand_uni


def _topic_context(k: Knowledge, forms: np.ndarray, topic: np.ndarray) -> np.ndarray:
    """Unit vectors of the piece's topic with each form's own vector taken out (a word does not vote for
    itself); zero rows where nothing is left."""
    rows = k.lex.vec_row[forms]
    own = np.where((rows >= 0)[:, None], k.vec_rows(np.maximum(rows, 0)), 0.0)
    ctx = topic[None, :] - own
    norm = np.linalg.norm(ctx, axis=1, keepdims=True)
    return np.where(norm > 1e-6, ctx / np.maximum(norm, 1e-6), 0.0)


def _topic_gain(spans: Spans, idx: np.ndarray, span_of: np.ndarray, cand: np.ndarray, k: Knowledge,
                topic: np.ndarray | None):
    """cos(candidate, the piece's topic without the span) − cos(span, same): spinners pick synonyms without
    regard to sense, so a spun word often fits its paragraph worse than the original. (Rows: span `idx[span_of]`
    and candidate `cand`; the span's side is computed once per span.)"""
    if topic is None:
        return np.zeros(len(cand))
    ctx = _topic_context(k, spans.form[idx], topic)
    own = k.fit(spans.form[idx], ctx)
    return np.where(k.lex.vec_row[cand] >= 0, k.fit(cand, ctx[span_of]) - own[span_of], 0.0)


def _text_local(spans: Spans, idx: np.ndarray, k: Knowledge) -> np.ndarray:
    loc = local_context(spans, idx)
    return np.zeros(len(idx)) if loc is None else k.fit(spans.form[idx], loc)


def piece_topic(spans: Spans, k: Knowledge) -> np.ndarray | None:
    """The piece's topic: the sum of its single-word spans' unit vectors."""
    return k.topic(spans.form[spans.n_words == 1]) if len(spans) else None


def text_topic(spans: Spans, idx: np.ndarray, k: Knowledge, topic: np.ndarray | None) -> np.ndarray:
    """cos(span, the piece's topic without it)."""
    if topic is None or not len(idx):
        return np.zeros(len(idx))
    return k.fit(spans.form[idx], _topic_context(k, spans.form[idx], topic))


def rank(pairs: Pairs, ranker) -> np.ndarray:
    """Softmax of the ranker's scores within each span's candidates."""
    if not len(pairs.cand):
        return np.zeros(0)
    z = ranker.decision(pairs.X)
    zmax = np.maximum.reduceat(z, pairs.starts)
    e = np.exp(z - zmax[pairs.span_of])
    return e / np.add.reduceat(e, pairs.starts)[pairs.span_of]


def best_rows(pairs: Pairs, probs: np.ndarray) -> np.ndarray:
    """Row of each span's most probable candidate (the first one on ties)."""
    pmax = np.maximum.reduceat(probs, pairs.starts)
    is_max = np.nonzero(probs >= pmax[pairs.span_of])[0]
    _, first = np.unique(pairs.span_of[is_max], return_index=True)
    return is_max[first]


def span_table(spans: Spans, pairs: Pairs, probs: np.ndarray, k: Knowledge, stats: DocStats,
               topic: np.ndarray | None, near: np.ndarray) -> np.ndarray:
    """SPAN_FEATURES of the spans in `pairs.idx`, seen through the ranker's probabilities."""
    idx = pairs.idx
    n = len(idx)
    if n == 0:
        return np.zeros((0, len(F.SPAN_FEATURES)))
    g = spans.gate
    best = best_rows(pairs, probs)
    pb = probs[best]
    second = np.maximum.reduceat(np.where(np.isin(np.arange(len(probs)), best), -1.0, probs), pairs.starts)
    second = np.maximum(second, 0.0)
    c = pairs.cols
    gain_b = c["gain"][best]
    text_zipf = g["text_zipf"][idx]
    cols = {
        "bias": np.ones(n),
        "best_gain": gain_b,
        "best_gain_pos": np.maximum(gain_b, 0.0),
        "best_gain_left": c["gain_left"][best],
        "best_gain_right": c["gain_right"][best],
        "max_gain": np.maximum.reduceat(c["gain"], pairs.starts),
        "exp_gain": np.add.reduceat(probs * c["gain"], pairs.starts),
        "best_prob": pb,
        "margin": pb - second,
        "text_zipf": text_zipf,
        "text_zipf_sq": text_zipf ** 2,
        "text_fit": g["text_fit"][idx],
        "text_oov": g["text_oov"][idx],
        **{f"best_{name}": c[name][best] for name in ("rarity_gap", "log_nsyn", "reverse", "forward", "n_sources",
                                                     "tag_match", "learned", "neighbour_only", "sim")},
        "best_echo": c["echo_cand"][best],
        "best_echo_bigram": c["echo_bigram"][best],
        "max_echo_bigram": np.maximum.reduceat(c["echo_bigram"], pairs.starts),
        "text_echo": g["text_echo"][idx],
        "log_n_cands": np.log(np.maximum(pairs.pool_size, 1).astype(np.float64)),
        "cap_mid": g["cap_mid"][idx],
        "in_name": g["in_name"][idx],
        "cap_x_gain": g["cap_mid"][idx] * gain_b,
        "best_article_fix": c["article_fix"][best],
        "span_words": g["span_words"][idx],
        "gain_x_rarity": np.maximum(gain_b, 0.0) * np.maximum(c["rarity_gap"][best], 0.0),
        "register_zipf": g["register_zipf"][idx],
        "relative_zipf": g["relative_zipf"][idx],
        "unlinked_share": np.full(n, stats.register.unlinked_share),
        "function_share": g["function_share"][idx],
        "sentence_len": np.full(n, stats.register.sentence_len),
        "near_rare": near[idx],
        "attraction": g["attraction"][idx],
        "best_topic_gain": c["topic_gain"][best],
        "text_topic": text_topic(spans, idx, k, topic),
        "best_pmi_gain": c["pmi_gain"][best],
        "max_pmi_gain": np.maximum.reduceat(c["pmi_gain"], pairs.starts),
        "best_uni_gain": c["uni_gain"][best],
        "best_local_gain": c["local_gain"][best],
        "text_local": _text_local(spans, idx, k),
    }
    cols.update(F.register(stats.register.zipf, gain_b, text_zipf, g["attraction"][idx]))
    return F.matrix(cols, F.SPAN_FEATURES, n)

