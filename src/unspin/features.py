"""One small function per signal. Each turns facts about a span and one candidate original into numbers.

Pair features (span × candidate) feed the *ranker* (which original is it?); span features feed the *detector*
(was this span spun at all?). Names here are the columns of the learned model (unspin/data/model.json).
"""
from __future__ import annotations

import math


def clip(x: float, lo: float = -25.0, hi: float = 25.0) -> float:
    return lo if x < lo else hi if x > hi else x


# ---- context fit (language model) -------------------------------------------------------------------------


def lm_gain(cand_mid: float, cand_right: float, text_mid: float, text_right: float) -> float:
    """How much better (nats) the candidate makes the window: the span and the two words after it."""
    return clip((cand_mid + cand_right) - (text_mid + text_right))


def lm_gain_left(cand_mid: float, text_mid: float) -> float:
    """Fit with the words before the span only."""
    return clip(cand_mid - text_mid)


def lm_gain_right(cand_right: float, text_right: float) -> float:
    """Fit with the words after the span only (trigram: the next two words)."""
    return clip(cand_right - text_right)


# ---- how spinners choose -------------------------------------------------------------------------------


def rarity_gap(cand_zipf: float, text_zipf: float) -> float:
    """Spinners write rarer words than the ones they replace (Zipf units)."""
    return cand_zipf - text_zipf


def choice_chance(log_nsyn: float) -> float:
    """-ln(number of synonyms of the original): the chance a uniform spinner picked this one."""
    return -log_nsyn


def article_fix(prev_word: str, text_form: str, cand_form: str) -> float:
    """+1 when "a/an" before the span suits the candidate but not the text ("a inquiry" → "a probe")."""
    from .text import article_for

    if prev_word not in ("a", "an"):
        return 0.0
    t_ok = article_for(text_form) == prev_word
    c_ok = article_for(cand_form) == prev_word
    return float(c_ok) - float(t_ok)


# ---- the document echoes its originals ---------------------------------------------------------------------


def echo(count_elsewhere: int) -> float:
    """ln(1 + occurrences of this lemma elsewhere in the document)."""
    return math.log1p(max(count_elsewhere, 0))


# ---- names -----------------------------------------------------------------------------------------------


def capitalised_mid_sentence(token_text: str, sentence_initial: bool) -> float:
    return float(bool(token_text[:1].isupper()) and not sentence_initial)


def next_to_capitalised(prev_text: str | None, next_text: str | None) -> float:
    """Inside a multi-word name ("Secretary of Express", "United Countries")."""
    return float(bool(prev_text and prev_text[:1].isupper()) or bool(next_text and next_text[:1].isupper()))


PAIR_FEATURES = (
    "bias",
    "gain",
    "gain_pos",
    "gain_left",
    "gain_right",
    "cand_zipf",
    "rarity_gap",
    "choice_chance",
    "reverse",
    "forward",
    "learned",
    "echo_cand",
    "echo_x_gain",
    "cand_words",
    "span_words",
    "article_fix",
    "cap_x_gain",
    "cand_oov",
    "echo_bigram",
    "topic_gain",
)

SPAN_FEATURES = (
    "bias",
    "best_gain",
    "best_gain_pos",
    "best_gain_left",
    "best_gain_right",
    "best_prob",
    "margin",
    "text_zipf",
    "text_zipf_sq",
    "best_rarity_gap",
    "best_choice_chance",
    "best_reverse",
    "best_forward",
    "best_learned",
    "best_echo",
    "text_echo",
    "n_cands",
    "cap_mid",
    "in_name",
    "cap_x_gain",
    "article_fix",
    "span_words",
    "text_oov",
    "text_fit",
    "gain_x_rarity",
    "doc_zipf",
    "relative_zipf",
    "near_rare",
    "attraction",
    "best_echo_bigram",
    "max_echo_bigram",
    "best_topic_gain",
    "text_topic",
    "register_x_gain",
    "register_x_text_zipf",
    "register_x_attraction",
)

# First stage of the cascade: facts about the span alone, known before any candidate is scored.
CHEAP_FEATURES = (
    "bias",
    "text_zipf",
    "text_zipf_sq",
    "text_fit",
    "text_oov",
    "cap_mid",
    "in_name",
    "text_echo",
    "doc_zipf",
    "relative_zipf",
    "log_n_static_cands",
    "span_words",
    "attraction",
)
