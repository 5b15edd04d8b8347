"""Both language-model scorers behind the same protocol."""
import math
from pathlib import Path

import pytest

from unspin.knowledge.lm import KenLM, PocketsphinxLM

ARPA = Path(__file__).parent / "fixtures" / "tiny.arpa"


def test_kenlm_reads_a_tiny_arpa_and_uses_history_in_reading_order():
    lm = KenLM(ARPA)
    assert lm.order == 2
    assert lm.known("bank") and not lm.known("zebra")
    # log10 0.1 bigram "central bank" vs "focal bank" (-0.9) → ln
    assert lm.logprob("bank", ["the", "central"]) == pytest.approx(-0.1 * math.log(10))
    assert lm.logprob("bank", ["focal"]) == pytest.approx(-0.9 * math.log(10))
    assert lm.logprob("central", ["the"]) > lm.logprob("focal", ["the"])
    assert lm.logprob("zebra", ["the"]) < -5  # unknown words get a unigram floor, not -inf


def test_kenlm_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="language model not found"):
        KenLM(tmp_path / "nope.arpa")


def test_pocketsphinx_history_order_quirk_is_handled():
    lm = PocketsphinxLM()
    # history oldest-first: "secretary of" → "state" is far likelier than "express"
    assert lm.logprob("state", ["secretary", "of"]) > lm.logprob("express", ["secretary", "of"]) + 3
    assert lm.logprob("bank", ["the", "central"]) > lm.logprob("bank", ["the", "focal"])
    assert -30 < lm.logprob("qzxv", []) < -10  # OOV: floor instead of -5e8


def _gains(lm_path, word="focal", cand="central"):
    """(gain, gain_left, gain_right) of `cand` replacing `word` in our sentence, as the engine scores it."""
    import numpy as np

    from unspin import document, engine, extract

    text = "The focal bank raised rates."
    k = engine.knowledge(lm_path=lm_path)
    stats = document.doc_stats(text, k)
    spans = extract.piece_spans(text, 0, k, stats)
    i = [j for j in range(len(spans)) if text[spans.start[j] : spans.end[j]] == word][0]
    pairs = extract.score_pairs(spans, np.array([i]), k, stats, None)
    row = [r for r, c in enumerate(pairs.cand) if k.lex.forms[c] == cand][0]
    return tuple(float(pairs.cols[n][row]) for n in ("gain", "gain_left", "gain_right")), k


def test_check_runs_on_a_user_kenlm_model_with_its_own_order():
    """`--lm` really replaces the language model: the engine scores the window with the user's bigram model
    (order 2: one word of history each side) and gets exactly that model's numbers."""
    import unspin

    (gain, left, right), k = _gains(str(ARPA))
    assert k.order == 2 and isinstance(k.lm, KenLM)
    ln10 = math.log(10)
    assert left == pytest.approx((-0.4 + 1.8) * ln10, abs=1e-4)  # P(central | the) vs P(focal | the)
    assert right == pytest.approx((-0.1 + 0.9) * ln10, abs=1e-4)  # P(bank | central) vs P(bank | focal)
    assert gain == pytest.approx(left + right, abs=1e-4)
    (default_gain, _, _), k2 = _gains(None)
    assert k2.order == 3 and abs(default_gain - gain) > 0.5  # the default trigram model scores it differently
    rep = unspin.check("The focal bank raised rates.", lm_path=str(ARPA), fingerprints=False)
    assert rep.words == 5 and rep.spin_score is None
