"""unspin serve end to end with the real engine (the knowledge cache is the normal one, see conftest.py)."""
from __future__ import annotations

import json

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

import unspin  # noqa: E402
from unspin import restore  # noqa: E402
from unspin.serve import create_app  # noqa: E402
from unspin.text import restore_case  # noqa: E402

from test_serve import LiveServer, _utf16_slice  # noqa: E402

pytestmark = pytest.mark.slow

# Our own news-style paragraph, spun by unspin.spin (rate 0.3, seed 1), so it has words a reader trips over.
SPUN = (
    "The supereminent bank held up its interest rate again on Tuesday, address that inflation remained too "
    "high. Land agents said the understanding was difficult, but most analyzers had expected the increase. "
    "The bank will express firsthand forecasts next decennary, and the jailer is awaited to speak to reporters "
    "about the waterscape for growth and fait accompli."
)


@pytest.fixture(scope="module")
def report():
    r = unspin.check(SPUN)
    assert r.findings, "the real engine should flag this spun paragraph"
    return r


@pytest.fixture(scope="module")
def client(report):
    with TestClient(create_app()) as c:
        yield c


def test_native_api_matches_the_library(client, report):
    r = client.post("/api/v1/check", json={"text": SPUN, "path": "spun.txt"})
    assert r.status_code == 200
    assert r.json() == unspin.check(SPUN, path="spun.txt").to_dict()
    r = client.post("/api/v1/restore", json={"text": SPUN})
    assert r.status_code == 200
    assert r.json() == restore(SPUN).to_dict()
    assert unspin.apply_edits(SPUN, r.json()["edits"]) == r.json()["text"] != SPUN


def test_v2_annotated_with_real_findings(client, report):
    # wrap each sentence in markup and put an emoji in front: offsets must land on the same words
    sentences = SPUN.split(". ")
    ann = [{"text": "🧪 "}]
    for s in sentences:
        ann += [{"markup": "<p data-x='1'>"}, {"text": s + ". "}, {"markup": "</p>", "interpretAs": "\n\n"}]
    original = "".join(a.get("text", a.get("markup")) for a in ann)
    body = client.post("/v2/check", data={"language": "en-US", "data": json.dumps({"annotation": ann})}).json()
    flagged = {f.text for f in report.findings}
    got = [_utf16_slice(original, m["offset"], m["length"]) for m in body["matches"]]
    assert got and set(got) <= flagged | {t.capitalize() for t in flagged}
    assert all(m["replacements"] for m in body["matches"])


def test_language_tool_python_with_real_engine(report):
    ltp = pytest.importorskip("language_tool_python")
    text = "😀👍🏽 " + SPUN
    with LiveServer(create_app()) as srv:
        tool = ltp.LanguageTool("en-US", remote_server=srv.url)
        try:
            matches = tool.check(text)
        finally:
            tool.close()
    # replacements are cased like the flagged text, as restore writes them (clients insert them verbatim)
    want = [(f.text, restore_case(f.text, f.suggestions[0]))
            for f in sorted(unspin.check(text).at_level("finding"), key=lambda f: f.start)]
    got = [(text[m.offset : m.offset + m.error_length], m.replacements[0]) for m in matches]
    assert got == want and got


def test_v2_auto_on_german_is_not_detected_as_english(client):
    """The engine's not-English note is what /v2 reads (lt.NOT_ENGLISH_NOTE): German prose long enough to judge
    is reported at confidence 0, as LanguageTool reports a language it cannot detect; English at 0.9."""
    german = ("Am Montag hat die Stadtverwaltung einen neuen Plan für den Busverkehr vorgestellt. Nach den Worten "
              "des Sprechers sollen die Linien im Norden der Stadt öfter fahren, und die Haltestellen werden bis "
              "zum Herbst erneuert. Viele Bürger haben sich schon lange über die vollen Busse beschwert, weil sie "
              "morgens oft zu spät zur Arbeit kommen. Die Kosten des Plans trägt zum größten Teil das Land.")
    body = client.post("/v2/check", data={"language": "auto", "text": german}).json()
    assert body["language"]["detectedLanguage"]["confidence"] == 0.0 and body["matches"] == []
    body = client.post("/v2/check", data={"language": "auto", "text": SPUN}).json()
    assert body["language"]["detectedLanguage"] == {"name": "English (US)", "code": "en-US", "confidence": 0.9,
                                                    "source": "unspin"}


def test_a_one_word_text_is_one_word_in_the_note_and_the_summaries(client):
    """"1 word", not "1 words": the engine's too-short note (what the page and the native API show) and the CLI's
    text and HTML summaries."""
    from unspin.render import html_report, text_report

    body = client.post("/api/v1/check", json={"text": "hi"}).json()
    assert body["words"] == 1 and body["notes"] == ["too short for a spin score (1 word < 40)"]
    two = client.post("/api/v1/check", json={"text": "hi there"}).json()
    assert two["notes"] == ["too short for a spin score (2 words < 40)"]
    one = unspin.check("hi")
    assert ": 1 word, 0 findings, 0 suspects" in text_report(one)
    assert "1 word ·" in html_report(one) and "1 words" not in html_report(one) + text_report(one)
