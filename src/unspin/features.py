"""Every signal the model sees, by name. One small function per signal (or per family of signals); each
returns named numpy columns, and `matrix(columns, NAMES)` orders them by the tuples below — the column
names stored with the model (unspin/data/model.json), which `model.load` checks against these.

Four tables, one per decision:
- GATE_FEATURES (span alone, known before any candidate is scored): the cheap first stage;
- PAIR_FEATURES (span × candidate original): the *ranker* — which original is it?
- SPAN_FEATURES (span + its candidates, seen through the ranker): the *detector* — was it spun at all?
  (CONTEXT_FEATURES add how spun the rest of the document, and the text around the span, look: the second pass);
- DOC_FEATURES (the whole document): the calibrated spin score and verdict.
"""
from __future__ import annotations

import numpy as np

GAIN_CLIP = 25.0

GATE_FEATURES = (
    "bias",
    "text_zipf",
    "text_zipf_sq",
    "text_fit",
    "text_oov",
    "cap_mid",
    "in_name",
    "sentence_initial",
    "text_echo",
    "register_zipf",
    "relative_zipf",
    "function_share",
    "log_links",
    "span_words",
    "attraction",
)

# Stage 1 of candidate scoring, for every candidate of a span: what is cheap to know (no full LM window). The
# pre-ranker keeps the best `pool_k` of them for the full PAIR_FEATURES.
PRE_FEATURES = (
    "left_gain1",
    "cand_zipf",
    "rarity_gap",
    "log_nsyn",
    "reverse",
    "forward",
    "n_sources",
    "tag_match",
    "learned",
    "neighbour_only",
    "sim",
    "echo_cand",
    "echo_bigram",
    "cand_words",
    "cand_oov",
)

PAIR_FEATURES = (
    "gain",
    "gain_pos",
    "gain_left",
    "gain_right",
    "uni_gain",
    "cand_zipf",
    "rarity_gap",
    "log_nsyn",
    "reverse",
    "forward",
    "n_sources",
    "tag_match",
    "learned",
    "neighbour_only",
    "sim",
    "echo_cand",
    "echo_x_gain",
    "echo_bigram",
    "cand_words",
    "words_diff",
    "article_fix",
    "cap_x_gain",
    "cand_oov",
    "topic_gain",
    "pmi_gain",
    "local_gain",
)

SPAN_FEATURES = (
    "bias",
    "best_gain",
    "best_gain_pos",
    "best_gain_left",
    "best_gain_right",
    "max_gain",
    "exp_gain",
    "best_prob",
    "margin",
    "text_zipf",
    "text_zipf_sq",
    "text_fit",
    "text_oov",
    "best_rarity_gap",
    "best_log_nsyn",
    "best_reverse",
    "best_forward",
    "best_n_sources",
    "best_tag_match",
    "best_learned",
    "best_neighbour_only",
    "best_sim",
    "best_echo",
    "best_echo_bigram",
    "max_echo_bigram",
    "text_echo",
    "log_n_cands",
    "cap_mid",
    "in_name",
    "cap_x_gain",
    "best_article_fix",
    "span_words",
    "gain_x_rarity",
    "register_zipf",
    "relative_zipf",
    "unlinked_share",
    "function_share",
    "sentence_len",
    "near_rare",
    "attraction",
    "best_topic_gain",
    "text_topic",
    "register_x_gain",
    "register_x_text_zipf",
    "register_x_attraction",
    "best_pmi_gain",
    "max_pmi_gain",
    "best_uni_gain",
    "best_local_gain",
    "text_local",
)

# The second pass: a span's P(spun) knowing how spun the whole document looks (DOC_CONTEXT_FEATURES: the counts
# behind the spin score) and also how spun the ~300 words around it look (CONTEXT_FEATURES: findings and suspects)
DOC_CONTEXT_FEATURES = SPAN_FEATURES + ("doc_context",)
CONTEXT_FEATURES = DOC_CONTEXT_FEATURES + ("local_context",)

# The corpus screen's first stage (`unspin screen`): statistics of a whole document that need no candidate
# scoring. Documents it clears are reported `clean` with stage "screen".
SCREEN_FEATURES = (
    "bias",
    "log_words",
    "log_gate_sum",
    "log_gate_50",
    "log_gate_80",
    "high_attraction_share",
    "rare_share",
    "register_zipf",
    "function_share",
    "gate_x_register",
)

# The document and screen models are trained on documents of 40 to ~900 words (unspin.corpus cuts longer ones
# into ~800-word parts). Their other features are densities and shares; only `log_words` would extrapolate beyond
# that range — a 30,000-word text with 46 findings per 1,000 words scored 0.90 instead of ~1, and the screen would
# clear long documents more readily — so a longer document counts as this long (its densities are, if anything,
# steadier than a short one's).
DOC_WORDS_SEEN = 1000

DOC_FEATURES = (
    "bias",
    "log_words",
    "log_evidence",
    "log_n30",
    "log_n60",
    "log_n90",
    "log_external",
    "mean_attraction",
    "rare_share",
    "register_zipf",
    "unlinked_share",
    "function_share",
    "sentence_len",
    "mean_best_gain",
    "register_x_n60",
    "rare_x_n60",
)


def matrix(columns: dict[str, np.ndarray], names: tuple[str, ...], n: int | None = None) -> np.ndarray:
    """Columns ordered by `names` as a float64 matrix; a missing or surplus name is a programming error."""
    missing = [k for k in names if k not in columns]
    extra = [k for k in columns if k not in names]
    if missing or extra:
        raise KeyError(f"feature columns do not match the names (missing {missing}, unexpected {extra})")
    if n is None:
        n = len(next(iter(columns.values()))) if columns else 0
    out = np.empty((n, len(names)), dtype=np.float64)
    for j, k in enumerate(names):
        out[:, j] = columns[k]
    return out


def clip(x: np.ndarray, lim: float = GAIN_CLIP) -> np.ndarray:
    return np.clip(x, -lim, lim)


# ---- context fit (language model) ----------------------------------------------------------------------


def lm_gains(cand_mid: np.ndarray, cand_right: np.ndarray, text_mid: np.ndarray, text_right: np.ndarray,
             cand_uni: np.ndarray, text_uni: np.ndarray) -> dict[str, np.ndarray]:
    """How much better (nats) each candidate makes its window than the text does: overall, with the words
    before it, with the words after it; and how much likelier it is on its own (unigram)."""
    gain = clip((cand_mid + cand_right) - (text_mid + text_right))
    return {
        "gain": gain,
        "gain_pos": np.maximum(gain, 0.0),
        "gain_left": clip(cand_mid - text_mid),
        "gain_right": clip(cand_right - text_right),
        "uni_gain": clip(cand_uni - text_uni),
    }


# ---- how spinners choose -------------------------------------------------------------------------------


def spinner_choice(cand_zipf: np.ndarray, text_zipf: np.ndarray, log_nsyn: np.ndarray) -> dict[str, np.ndarray]:
    """Spinners write rarer words than the ones they replace, picking one of the original's n synonyms."""
    return {"cand_zipf": cand_zipf, "rarity_gap": cand_zipf - text_zipf, "log_nsyn": log_nsyn}


def links(block_cols: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """What links the pair: thesaurus direction and agreement, inflection, learned pairs, GloVe."""
    return {k: block_cols[k] for k in ("reverse", "forward", "n_sources", "tag_match", "learned", "neighbour_only",
                                       "sim")}


# ---- the document echoes its originals --------------------------------------------------------------------


def echo(count_elsewhere: np.ndarray, gain: np.ndarray, bigram_count: np.ndarray) -> dict[str, np.ndarray]:
    """ln(1 + times the candidate's lemma occurs in the document), and next to the span's own neighbours: a
    story that says "interest rate" three times and "premium rate" once gives "premium" away."""
    e = np.log1p(np.maximum(count_elsewhere, 0))
    return {"echo_cand": e, "echo_x_gain": e * np.maximum(gain, 0.0), "echo_bigram": np.log1p(bigram_count)}


# ---- form and surroundings ----------------------------------------------------------------------------


def shape(cand_words: np.ndarray, span_words: np.ndarray, cand_oov: np.ndarray) -> dict[str, np.ndarray]:
    return {"cand_words": cand_words, "words_diff": cand_words - span_words, "cand_oov": cand_oov}


def article_fix(prev_article: np.ndarray, text_an: np.ndarray, cand_an: np.ndarray) -> np.ndarray:
    """+1 when "a"/"an" right before the span suits the candidate but not the text ("an inquiry" → "a probe"),
    −1 the other way round; prev_article is 0 (none), 1 ("a") or 2 ("an")."""
    has = prev_article > 0
    wants_an = prev_article == 2
    t_ok = text_an == wants_an
    c_ok = cand_an == wants_an
    return np.where(has, c_ok.astype(np.float64) - t_ok.astype(np.float64), 0.0)


def names(cap_mid: np.ndarray, gain: np.ndarray) -> np.ndarray:
    """A capitalised word mid-sentence may be a name ("Secretary of Express"): its gain counts differently."""
    return cap_mid * gain


# ---- span level -----------------------------------------------------------------------------------------


def near_rare(starts: np.ndarray, zipfs: np.ndarray, window: int = 11, rare: float = 3.0) -> np.ndarray:
    """Share of the other spans starting fewer than `window` words away (`starts`: word indexes) whose text is
    rare: spinners swap several words per sentence. Computed over every span of the piece (before the gate), in
    checking and in training. Counted in words, not characters: two spaces after a full stop moved a
    character window's edge, and one honest text's spin score by 0.22."""
    n = len(starts)
    out = np.zeros(n)
    if n < 2:
        return out
    order = np.argsort(starts, kind="stable")
    s = starts[order]
    r = (zipfs[order] < rare).astype(np.float64)
    cr = np.concatenate([[0.0], np.cumsum(r)])
    lo = np.searchsorted(s, s - window + 1, side="left")
    hi = np.searchsorted(s, s + window, side="left")
    cnt = hi - lo - 1
    rares = cr[hi] - cr[lo] - r
    res = np.where(cnt > 0, rares / np.maximum(cnt, 1), 0.0)
    out[order] = res
    return out


def register(register_zipf: float, gain: np.ndarray, text_zipf: np.ndarray, attraction: np.ndarray) -> dict:
    """Old or formal prose is full of rare words that fit their context well: interactions with the
    document's register (document.Register: read from words spinners leave alone)."""
    d = register_zipf - 4.0
    return {"register_x_gain": d * gain, "register_x_text_zipf": d * text_zipf, "register_x_attraction": d * attraction}
