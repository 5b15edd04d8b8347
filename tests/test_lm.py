"""Both language-model scorers behind the same protocol."""
import math
from pathlib import Path

import pytest

from unspin.knowledge.lm import KenLM, PocketsphinxLM, load

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


def test_check_runs_on_a_user_kenlm_model():
    import unspin

    rep = unspin.check("The focal bank raised rates.", lm_path=str(ARPA), fingerprints=False)
    assert rep.words == 5
    assert load(str(ARPA)).order == 2
