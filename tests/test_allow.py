"""The allow list: words and phrases a user has judged honest in their field are never reported (API, CLI, server)."""
import pytest

import unspin
from unspin.cli import main

SPUN = ("The focal bank raised loan costs again on Tuesday, saying that expansion remains excessively high and that "
        "the work market is still tight. The Secretary of Express told columnists that the administration would "
        "not mediate. Shares fell pointedly after the declaration, with bank stocks driving the decay.\n")
LOW = dict(threshold=0.3, suspect_threshold=0.3, fingerprints=False)


def _words(report):
    return {f.text.lower() for f in report.findings}


def test_allowed_words_are_not_reported_and_the_rest_are():
    plain = unspin.check(SPUN, **LOW)
    assert {"focal", "columnists"} <= _words(plain)
    allowed = unspin.check(SPUN, allow=["Focal", "columnist"], **LOW)  # any case; one word covers its inflections
    assert not {"focal", "columnists"} & _words(allowed)
    assert _words(allowed) == _words(plain) - {"focal", "columnists"}
    assert any("2 findings of words on the allow list not shown" in n for n in allowed.notes)
    assert allowed.spin_score == plain.spin_score  # the score still weighs every word, as the note says
    assert allowed.verdict != "spun" or allowed.findings  # a `spun` verdict always shows its spans


def test_a_phrase_entry_matches_the_phrase_only():
    text = "Secretary of Express " + SPUN
    got = unspin.check(text, allow=["secretary of express"], **LOW)
    assert "express" in _words(got)  # a finding of the word alone is not the phrase
    with pytest.raises(TypeError, match="allow must be a list"):
        unspin.check(SPUN, allow="focal")


def test_cli_allow_file(tmp_path, capsys):
    doc = tmp_path / "doc.txt"
    doc.write_text(SPUN)
    allow = tmp_path / "jargon.txt"
    allow.write_text("# our field's words\n\nfocal\n  columnists  \n")
    code = main(["check", "--review", "--format", "json", "--allow", str(allow), str(doc)])
    out = capsys.readouterr().out
    assert code in (0, 1) and '"focal"' not in out.lower() and "allow list" in out
    for bad, why in ((tmp_path / "missing.txt", "cannot read the allow list"), (tmp_path, "is a directory")):
        assert main(["check", "--allow", str(bad), str(doc)]) == 2
        err = capsys.readouterr().err
        assert str(bad) in err and why in err
    big = tmp_path / "big.txt"
    with open(big, "wb") as fh:
        fh.truncate(10_000_001)
    assert main(["check", "--allow", str(big), str(doc)]) == 2
    assert "too large for an allow list" in capsys.readouterr().err
    latin = tmp_path / "latin.txt"
    latin.write_bytes("caf\xe9\n".encode("latin-1"))
    assert main(["restore", "--allow", str(latin), str(doc)]) == 2
    assert "not UTF-8" in capsys.readouterr().err


def test_server_passes_the_allow_list_and_refuses_bad_entries():
    from fastapi.testclient import TestClient

    from unspin.serve.app import create_app

    seen = {}

    def check(text, **options):
        seen.update(options)
        return unspin.check(text, fingerprints=False, **{k: v for k, v in options.items() if k == "allow"})

    with TestClient(create_app(check_fn=check)) as c:
        r = c.post("/api/v1/check", json={"text": SPUN, "allow": ["focal"]})
        assert r.status_code == 200 and seen["allow"] == ("focal",)
        assert all(f["text"].lower() != "focal" for f in r.json()["findings"])
        assert c.post("/api/v1/check", json={"text": SPUN, "allow": ["x" * 201]}).status_code == 422
        assert c.post("/api/v1/check", json={"text": SPUN, "allow": "focal"}).status_code == 422
