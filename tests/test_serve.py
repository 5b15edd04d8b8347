"""unspin serve: native API, LanguageTool compatibility, limits, CLI — unit tests with a fake engine.

The fake engine flags a fixed phrase table (our own sentences), so every offset and field is known exactly.
The real engine is exercised in tests/test_serve_e2e.py and the page in tests/test_serve_browser.py.
"""
from __future__ import annotations

import json
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from unspin.text import count_words
from unspin.types import Finding, Report

fastapi = pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from unspin.serve import Settings, create_app  # noqa: E402
from unspin.serve import lt  # noqa: E402

GOLDEN = Path(__file__).parent / "golden" / "serve"
REPO = Path(__file__).resolve().parents[1]

# phrase -> (suggestions, confidence, evidence[, level]); the level defaults to "finding"
PHRASES = {
    "focal bank": (("central bank",), 0.93, ("'central bank' appears 2 times elsewhere in the text",)),
    "premium rate": (("interest rate", "rate of interest"), 0.71, ("language model prefers 'interest rate'",)),
    "counterfeit consciousness": (("artificial intelligence",), 0.88, ("known tortured phrase",)),
    "huge information": (("big data",), 0.42, ()),
    "quick ascent": (("rapid rise",), 0.36, ("borderline: the context fits 'rapid rise' a little better",), "suspect"),
}
FAKE_MIN_WORDS_FOR_SCORE = 8  # like the real engine (40 words), shorter texts get spin_score None
# a phrase is found across any white space, as the engine finds one wrapped across lines ("focal\nbank")
_PHRASE_RE = re.compile(r"\b(" + "|".join(r"\s+".join(map(re.escape, p.split())) for p in PHRASES) + r")\b",
                        re.IGNORECASE)


class FakeEngine:
    """A stand-in for unspin.check: flags PHRASES; records the options it was called with."""

    def __init__(self, delay: float = 0.0):
        self.delay = delay
        self.calls: list[dict] = []
        self.lock = threading.Lock()
        self.running = 0
        self.max_running = 0

    def __call__(self, text: str, **options) -> Report:
        with self.lock:
            self.calls.append(options)
            self.running += 1
            self.max_running = max(self.max_running, self.running)
        try:
            if self.delay:
                time.sleep(self.delay)
            if "RAISE_VALUE_ERROR" in text:
                raise ValueError("the text is not English")
            if "RAISE_CRASH" in text:
                raise RuntimeError("secret words RAISE_CRASH inside")
            findings = []
            for m in _PHRASE_RE.finditer(text):
                sugg, conf, ev, *level = PHRASES[" ".join(m.group().lower().split())]
                findings.append(Finding(m.start(), m.end(), m.group(), sugg, conf, ev, "model",
                                        level=level[0] if level else "finding"))
            words = count_words(text)
            if words < FAKE_MIN_WORDS_FOR_SCORE:
                return Report(text, words, findings, None, "uncertain", options.get("path"),
                              notes=[f"too short for a verdict ({words} words)"])
            score = min(1.0, 10 * len(findings) / max(words, 1))
            verdict = "spun" if score >= 0.5 else "clean" if not findings else "uncertain"
            return Report(text, words, findings, score, verdict, options.get("path"))
        finally:
            with self.lock:
                self.running -= 1


SPUN = (
    "The focal bank raised its premium rate again. Analysts said the central bank had no choice, "
    "and the central bank will meet in June."
)


@pytest.fixture
def engine():
    return FakeEngine()


@pytest.fixture
def client(engine):
    with TestClient(create_app(check_fn=engine)) as c:
        yield c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """uvicorn serving `app` on a free loopback port in a background thread."""

    def __init__(self, app):
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False)
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=10)


# ---------------------------------------------------------------------------------------------- native API


def test_check_returns_the_cli_report_schema(client, engine):
    r = client.post("/api/v1/check", json={"text": SPUN})
    assert r.status_code == 200
    assert r.json() == engine(SPUN).to_dict()
    body = r.json()
    assert body["schema"] == 2 and body["verdict"] == "spun" and "text" not in body
    assert [(f["start"], f["end"], f["text"]) for f in body["findings"]] == [(4, 14, "focal bank"), (26, 38, "premium rate")]


def test_check_passes_options_and_echoes_text(client, engine):
    r = client.post(
        "/api/v1/check",
        json={"text": SPUN, "path": "story.txt", "threshold": 0.6, "fingerprints": False, "include_text": True},
    )
    assert r.status_code == 200
    assert engine.calls[-1] == {"path": "story.txt", "threshold": 0.6, "fingerprints": False}
    assert r.json()["path"] == "story.txt" and r.json()["text"] == SPUN
    client.post("/api/v1/check", json={"text": "plain", "fingerprints": ["pps"]})
    assert engine.calls[-1] == {"fingerprints": ["pps"]}


def test_restore_returns_text_and_replayable_edits(client):
    from unspin.edits import apply_edits

    r = client.post("/api/v1/restore", json={"text": SPUN})
    assert r.status_code == 200
    body = r.json()
    assert body["text"].startswith("The central bank raised its interest rate again.")
    assert apply_edits(SPUN, body["edits"]) == body["text"]
    sure = client.post("/api/v1/restore", json={"text": SPUN, "min_confidence": 0.8}).json()
    assert [e["old"] for e in sure["edits"]] == ["focal bank"]


# "focal bank" wrapped across a line (CRLF too) and title-cased: restore keeps the break and the case
WRAPPED = "The focal\nbank raised its Premium\r\nRate again, and the central bank will meet in June."
WRAPPED_RESTORED = "The central\nbank raised its Interest\r\nRate again, and the central bank will meet in June."


def test_check_replacements_are_what_restore_writes(client):
    """include_replacements: each suggestion as restore writes it in the finding's place (line breaks and case
    kept), so the page applies them as sent; without it the answer is the CLI's JSON, unchanged."""
    from unspin.edits import apply_edits

    plain = client.post("/api/v1/check", json={"text": WRAPPED}).json()
    assert all("replacements" not in f for f in plain["findings"])
    body = client.post("/api/v1/check", json={"text": WRAPPED, "include_replacements": True}).json()
    assert [(f["text"], f["replacements"]) for f in body["findings"]] == [
        ("focal\nbank", ["central\nbank"]), ("Premium\r\nRate", ["Interest\r\nRate", "Rate\r\nof Interest"])]
    restored = client.post("/api/v1/restore", json={"text": WRAPPED}).json()
    assert restored["text"] == WRAPPED_RESTORED
    # the first replacements, put in place, are restore's text exactly
    edits = [{"start": f["start"], "end": f["end"], "old": f["text"], "new": f["replacements"][0]}
             for f in body["findings"]]
    assert apply_edits(WRAPPED, edits) == restored["text"]
    r = client.post("/api/v1/check", json={"text": "x", "include_replacements": "yes"})
    assert r.status_code == 422 and "include_replacements" in r.json()["error"]["message"]


def test_v2_replacements_keep_a_wrapped_phrase_wrapped(client):
    """LanguageTool clients insert a replacement as sent: a phrase wrapped across lines stays wrapped, as
    `unspin restore` writes it, so correcting every match gives restore's text."""
    body = client.post("/v2/check", data={"language": "en-US", "text": WRAPPED}).json()
    got = [(_utf16_slice(WRAPPED, m["offset"], m["length"]), [x["value"] for x in m["replacements"]])
           for m in body["matches"]]
    assert got == [("focal\nbank", ["central\nbank"]),
                   ("Premium\r\nRate", ["Interest\r\nRate", "Rate\r\nof Interest"])]
    out = WRAPPED
    for m in sorted(body["matches"], key=lambda m: -m["offset"]):  # (no astral characters: UTF-16 = code points)
        out = out[: m["offset"]] + m["replacements"][0]["value"] + out[m["offset"] + m["length"] :]
    assert out == client.post("/api/v1/restore", json={"text": WRAPPED}).json()["text"] == WRAPPED_RESTORED


@pytest.mark.parametrize(
    "payload, status, needle",
    [
        ({"txt": "x"}, 422, "text: Field required"),
        ({"text": "x", "colour": 1}, 422, "colour: Extra inputs are not permitted"),
        ({"text": 5}, 422, "text:"),
        ({"text": "x", "min_confidence": 2}, 422, "min_confidence"),
    ],
)
def test_bad_requests_are_json_errors(client, payload, status, needle):
    url = "/api/v1/restore" if "min_confidence" in payload else "/api/v1/check"
    r = client.post(url, json=payload)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/json")
    assert needle in r.json()["error"]["message"]


@pytest.mark.parametrize("url, body, field", [
    ("/api/v1/check", b'{"text": "x", "threshold": 5}', "threshold"),
    ("/api/v1/check", b'{"text": "x", "threshold": -0.1}', "threshold"),
    ("/api/v1/check", b'{"text": "x", "threshold": NaN}', "threshold"),
    ("/api/v1/check", b'{"text": "x", "threshold": Infinity}', "threshold"),
    ("/api/v1/restore", b'{"text": "x", "min_confidence": NaN}', "min_confidence"),
    ("/api/v1/restore", b'{"text": "x", "threshold": 1.5}', "threshold"),
])
def test_out_of_range_and_non_finite_numbers_are_422_naming_the_field(client, engine, url, body, field):
    r = client.post(url, content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    msg = r.json()["error"]["message"]
    assert msg.startswith(f"invalid request: {field}:"), msg
    assert engine.calls == []  # refused before the engine runs


def test_threshold_bounds_are_accepted(client, engine):
    for t in (0, 1, 0.5):
        assert client.post("/api/v1/check", json={"text": "plain", "threshold": t}).status_code == 200
    assert [c["threshold"] for c in engine.calls] == [0, 1, 0.5]


def test_non_utf8_json_body_is_400_saying_so(client, engine):
    r = client.post("/api/v1/check", content=b'{"text": "caf\xe9"}', headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.json()["error"]["message"] == ("the request body is not valid UTF-8 (byte 13, 0xe9): send JSON "
                                            "encoded as UTF-8")
    r = client.post("/api/v1/restore", content=b'{"text": "\xff"}', headers={"content-type": "application/json"})
    assert r.status_code == 400 and "not valid UTF-8" in r.json()["error"]["message"]
    assert engine.calls == []


def test_favicon_is_served_not_404(client):
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert r.content.startswith(b"<svg")
    assert client.get("/static/favicon.svg").status_code == 200
    assert 'rel="icon" href="/static/favicon.svg"' in client.get("/").text


def test_key_is_a_security_scheme_in_the_openapi_docs(keyed):
    spec = keyed.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["APIKeyHeader"] == {"type": "apiKey", "in": "header", "name": "X-API-Key",
                                       "description": "the server's API key"}
    assert schemes["HTTPBearer"]["scheme"] == "bearer"
    assert spec["paths"]["/api/v1/check"]["post"]["security"]


def test_malformed_json_is_400(client):
    r = client.post("/api/v1/check", content=b'{"text": ', headers={"content-type": "application/json"})
    assert r.status_code == 400 and "not valid JSON" in r.json()["error"]["message"]


def test_engine_errors_map_to_400_and_500(client):
    r = client.post("/api/v1/check", json={"text": "RAISE_VALUE_ERROR"})
    assert r.status_code == 400 and "not English" in r.json()["error"]["message"]
    r = client.post("/api/v1/check", json={"text": "RAISE_CRASH"})
    assert r.status_code == 500 and "RAISE_CRASH" not in r.text


def test_unknown_fingerprint_list_is_422_naming_it(tmp_path):
    """A list name the server does not hold is the client's mistake: 422 with the name and the known lists,
    never a 500 or the server's database path."""
    from unspin import fingerprints as fp

    db = tmp_path / "fp.sqlite"
    src = tmp_path / "mine.json"
    src.write_text(json.dumps([{"tortured": "profound learning", "correct": "deep learning"}]), encoding="utf-8")
    fp.import_file(src, name="mine", db_path=db)

    def check(text, **options):
        fp.load(names=options.get("fingerprints"), db_path=db)  # as api.finding_sources does
        return Report(text, count_words(text), [], None, "uncertain")

    with TestClient(create_app(check_fn=check)) as c:
        r = c.post("/api/v1/check", json={"text": "some text", "fingerprints": ["nosuchlist"]})
        assert r.status_code == 422
        msg = r.json()["error"]["message"]
        assert "nosuchlist" in msg and "known: mine" in msg and str(tmp_path) not in msg
        r = c.post("/api/v1/restore", json={"text": "some text", "fingerprints": ["mine", "other"]})
        assert r.status_code == 422 and "other" in r.json()["error"]["message"]
        assert c.post("/api/v1/check", json={"text": "some text", "fingerprints": ["mine"]}).status_code == 200


@pytest.mark.parametrize("url", ["/api/v1/check", "/api/v1/restore"])
def test_lone_surrogate_is_422_not_a_crash(client, engine, url):
    # JSON can escape half of a UTF-16 pair; the answer (which may quote the text) could not be encoded
    body = '{"text": "\\ud83d The focal bank raised its premium rate.", "include_text": true}'
    r = client.post(url, content=body.encode(), headers={"content-type": "application/json"})
    assert r.status_code == 422 and "surrogate" in r.json()["error"]["message"]
    assert not engine.calls
    body = '{"text": "fine", "path": "a\\udc00b"}'
    r = client.post(url, content=body.encode(), headers={"content-type": "application/json"})
    assert r.status_code == 422 and "path" in r.json()["error"]["message"]


def test_v2_lone_surrogate_is_400(client, engine):
    body = '{"language": "en-US", "text": "\\ud83d The focal bank raised its premium rate."}'
    r = client.post("/v2/check", content=body.encode(), headers={"content-type": "application/json"})
    assert r.status_code == 400 and "surrogate" in r.text and not engine.calls


def test_unknown_route_and_method_are_json(client):
    assert client.get("/api/v1/nothing").json()["error"]["status"] == 404
    r = client.get("/api/v1/check")
    assert r.status_code == 405 and r.json()["error"]["status"] == 405


def test_health_and_openapi(client):
    h = client.get("/health").json()
    assert h["status"] == "ok" and h["auth_required"] is False and h["limits"]["max_body"] == 1_000_000
    spec = client.get("/openapi.json").json()
    assert {"/api/v1/check", "/api/v1/restore", "/v2/check", "/v2/languages", "/health"} <= set(spec["paths"])
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/static-docs/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text.lower()  # works offline
    assert client.get("/static-docs/swagger-ui-bundle.js").status_code == 200


# ---------------------------------------------------------------------------------------------- limits


def test_body_cap_413_declared_length(engine):
    with TestClient(create_app(check_fn=engine, settings=Settings(max_body=2_000))) as c:
        big = {"text": "word " * 1_000}
        r = c.post("/api/v1/check", json=big)
        assert r.status_code == 413
        assert "2,000 bytes" in r.json()["error"]["message"]
        r = c.post("/v2/check", data={"language": "en-US", "text": "word " * 1_000})
        assert r.status_code == 413 and r.headers["content-type"].startswith("text/plain")
        assert "too large" in r.text
        assert c.post("/api/v1/check", json={"text": "word " * 100}).status_code == 200
    assert len(engine.calls) == 1  # refused bodies never reach the engine


def test_body_cap_413_chunked_without_length(engine):
    app = create_app(check_fn=engine, settings=Settings(max_body=1_000))
    with LiveServer(app) as srv:

        def gen():
            for _ in range(50):
                yield b"x" * 100

        r = httpx.post(srv.url + "/api/v1/check", content=gen(), headers={"content-type": "application/json"})
        assert r.status_code == 413
        assert "1,000 bytes" in r.json()["error"]["message"]
    assert engine.calls == []


def test_time_limit_504():
    slow = FakeEngine(delay=0.6)
    with TestClient(create_app(check_fn=slow, settings=Settings(timeout=0.1))) as c:
        r = c.post("/api/v1/check", json={"text": SPUN})
        assert r.status_code == 504 and "0.1 s" in r.json()["error"]["message"]
        r = c.post("/v2/check", data={"language": "en", "text": SPUN})
        assert r.status_code == 504 and r.headers["content-type"].startswith("text/plain")


def test_bounded_concurrency_and_503_when_saturated():
    slow = FakeEngine(delay=0.8)
    app = create_app(check_fn=slow, settings=Settings(concurrency=2, queue=1, timeout=10))
    with LiveServer(app) as srv:
        results = []

        def hit():
            results.append(httpx.post(srv.url + "/api/v1/check", json={"text": SPUN}, timeout=20))

        threads = [threading.Thread(target=hit) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        codes = sorted(r.status_code for r in results)
        assert codes.count(200) == 3  # 2 running + 1 waiting
        busy = [r for r in results if r.status_code == 503]
        assert len(busy) == 3
        assert busy[0].headers["retry-after"] == "1" and "busy" in busy[0].json()["error"]["message"]
        assert slow.max_running == 2
        # once the burst is over the server serves again
        assert httpx.post(srv.url + "/api/v1/check", json={"text": SPUN}).status_code == 200


def test_timed_out_check_keeps_its_slot_until_it_finishes():
    import asyncio

    from unspin.serve.limits import CheckRunner, Saturated, TimedOut

    runner = CheckRunner(concurrency=1, queue=0, timeout=0.05)
    done = threading.Event()

    def slow():
        time.sleep(0.3)
        done.set()
        return 1

    async def scenario():
        with pytest.raises(TimedOut):
            await runner.run(slow)
        assert runner.in_flight == 1  # still running in its thread
        with pytest.raises(Saturated):
            await runner.run(lambda: 2)
        while not done.is_set():
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.05)
        assert runner.in_flight == 0
        runner.timeout = 5
        assert await runner.run(lambda: 3) == 3

    asyncio.run(scenario())
    runner.shutdown()


# ---------------------------------------------------------------------------------------------- API key


@pytest.fixture
def keyed(engine):
    with TestClient(create_app(check_fn=engine, settings=Settings(api_key="s3cret-key"))) as c:
        yield c


def test_api_key_required_when_set(keyed, monkeypatch):
    import unspin.serve.security as security

    compared = []
    real = security.hmac.compare_digest
    monkeypatch.setattr(security.hmac, "compare_digest", lambda a, b: compared.append(1) or real(a, b))
    r = keyed.post("/api/v1/check", json={"text": SPUN})
    assert r.status_code == 401 and "API key" in r.json()["error"]["message"]
    assert r.headers["www-authenticate"] == "Bearer"
    assert keyed.post("/api/v1/check", json={"text": SPUN}, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert keyed.post("/api/v1/check", json={"text": SPUN}, headers={"Authorization": "Bearer s3cret-key"}).status_code == 200
    assert keyed.post("/api/v1/restore", json={"text": SPUN}, headers={"X-API-Key": "s3cret-key"}).status_code == 200
    assert compared, "the key must be compared with hmac.compare_digest"
    # LanguageTool clients send the key as a form field
    r = keyed.post("/v2/check", data={"language": "en-US", "text": SPUN})
    assert r.status_code == 401 and r.headers["content-type"].startswith("text/plain")
    assert keyed.post("/v2/check", data={"language": "en-US", "text": SPUN, "apiKey": "s3cret-key"}).status_code == 200
    # public: health, languages, the page
    assert keyed.get("/health").json()["auth_required"] is True
    assert keyed.get("/v2/languages").status_code == 200
    assert keyed.get("/").status_code == 200
    files = {"file": ("a.txt", b"The focal bank.", "text/plain")}
    assert keyed.post("/api/v1/extract", files=files).status_code == 401


# ---------------------------------------------------------------------------------------------- logging


def test_submitted_text_is_never_logged(client, caplog):
    marker = "zqxjmarker"
    caplog.set_level(logging.DEBUG)
    text = f"The focal bank {marker} rose."
    assert client.post("/api/v1/check", json={"text": text}).status_code == 200
    assert client.post("/api/v1/restore", json={"text": text}).status_code == 200
    assert client.get("/v2/check", params={"language": "en-US", "text": text}).status_code == 200
    assert client.post("/v2/check", data={"language": "en-US", "text": text}).status_code == 200
    assert client.post("/api/v1/check", json={"text": f"RAISE_CRASH {marker}"}).status_code == 500
    assert client.post("/api/v1/check", json={"text": f"RAISE_VALUE_ERROR {marker}"}).status_code == 400
    server_log = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore")))
    assert "POST /api/v1/check 200" in server_log  # the access log is on...
    assert "GET /v2/check 200" in server_log
    assert marker not in server_log  # ...and holds no text
    assert "RuntimeError" in server_log


# ---------------------------------------------------------------------------------------------- LanguageTool /v2


def _utf16_slice(text: str, offset: int, length: int) -> str:
    b = text.encode("utf-16-le")
    return b[offset * 2 : (offset + length) * 2].decode("utf-16-le")


def test_v2_languages(client):
    langs = client.get("/v2/languages").json()
    assert all({"name", "code", "longCode"} <= set(x) for x in langs)
    assert {"en", "en-US", "en-GB"} <= {x["longCode"] for x in langs}


def test_v2_check_fields_and_utf16_offsets(client):
    text = "👍🏽 Ｆull-width, 𝔘nicode 😀: the focal bank raised its premium rate."
    r = client.post("/v2/check", data={"language": "en-US", "text": text})
    assert r.status_code == 200
    body = r.json()
    assert body["software"]["name"] == "unspin" and body["software"]["apiVersion"] == 1
    assert body["warnings"] == {"incompleteResults": False}
    assert body["language"]["code"] == "en-US" and body["language"]["detectedLanguage"]["code"] == "en-US"
    assert len(body["matches"]) == 2
    for m, want in zip(body["matches"], ["focal bank", "premium rate"], strict=True):
        assert _utf16_slice(text, m["offset"], m["length"]) == want
        assert m["offset"] != text.index(want)  # astral characters before it: UTF-16 differs from code points
        ctx = m["context"]
        assert _utf16_slice(ctx["text"], ctx["offset"], ctx["length"]) == want
        assert want in m["sentence"]
        assert m["shortMessage"] and want in m["message"]
        assert m["type"] == {"typeName": "Other"}
        rule = m["rule"]
        assert rule["id"] == "UNSPIN_MODEL" and rule["issueType"] and rule["description"]
        assert rule["category"] == {"id": "UNSPIN_MODEL", "name": "Possibly spun text"}
        assert m["ignoreForIncompleteSentence"] is False and m["contextForSureMatch"] == 0
    assert [x["value"] for x in body["matches"][1]["replacements"]] == ["interest rate", "rate of interest"]


def test_v2_replacements_are_cased_like_the_flagged_text(client):
    """LanguageTool clients insert a replacement exactly as sent: a capitalised span gets a capitalised one,
    as `restore` writes it (duplicates after casing are sent once)."""
    text = "Focal bank news. PREMIUM RATE rises. The focal bank waits."
    body = client.post("/v2/check", data={"language": "en-US", "text": text}).json()
    got = [(_utf16_slice(text, m["offset"], m["length"]), [x["value"] for x in m["replacements"]])
           for m in body["matches"]]
    assert got == [("Focal bank", ["Central bank"]), ("PREMIUM RATE", ["INTEREST RATE", "RATE OF INTEREST"]),
                   ("focal bank", ["central bank"])]
    assert lt.replacements("Focal", ["central", "Central"]) == [{"value": "Central"}]


def test_v2_text_the_engine_finds_no_english_is_not_detected_as_english():
    """language=auto (or a given English) on text the engine calls no English prose: detectedLanguage is
    LanguageTool's answer for a language it cannot detect (its fallback, English, at confidence 0), not English
    at 0.9; the engine's findings are sent as they are."""
    notes = {"german": "text does not look like English prose (known words 31%, function words 2%); no model findings",
             "code": "text looks like program code, not English prose (40% of its lines indented, 0.20 code tokens "
                     "per word); no model findings",
             "dense": "implausibly many flagged spans for English prose (30 findings and suspects in 60 words); "
                      "no verdict"}

    def check(text, **options):
        i = text.index("focal bank")
        return Report(text, 60, [Finding(i, i + 10, "focal bank", ("central bank",), 0.97, source="list",
                                         rule_id="UNSPIN_LIST_MINE")], None, "uncertain", notes=[notes[text.split()[0]]])

    with TestClient(create_app(check_fn=check)) as c:
        for kind, lang, want in (("german", "auto", 0.0), ("german", "en-GB", 0.0), ("code", "auto", 0.0),
                                 ("dense", "auto", 0.9), ("dense", "en-GB", 1.0)):
            body = c.post("/v2/check", data={"language": lang, "text": kind + " text: the focal bank"}).json()
            detected = body["language"]["detectedLanguage"]
            assert detected["confidence"] == want, (kind, lang, detected)
            assert detected["code"] == ("en-US" if lang == "auto" else "en-GB")
            assert [m["rule"]["id"] for m in body["matches"]] == ["UNSPIN_LIST_MINE"]


def test_v2_form_body_labelled_json_and_query_merge(client):
    # LTeX sends form data with Content-Type application/json
    body = httpx.QueryParams({"language": "en-US", "text": SPUN}).__str__().encode()
    r = client.post("/v2/check", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 200 and len(r.json()["matches"]) == 2
    # language in the query string, text in the body
    r = client.post("/v2/check?language=en-GB", content=httpx.QueryParams({"text": SPUN}).__str__().encode(),
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200 and r.json()["language"]["code"] == "en-GB"
    # a real JSON object is accepted too
    r = client.post("/v2/check", json={"language": "auto", "text": SPUN})
    assert r.status_code == 200 and r.json()["language"]["detectedLanguage"]["code"] == "en-US"
    # GET with query parameters, like the real server
    r = client.get("/v2/check", params={"language": "en", "text": SPUN})
    assert r.status_code == 200 and len(r.json()["matches"]) == 2
    # multipart form data
    r = client.post("/v2/check", files={"language": (None, "en-US"), "text": (None, SPUN)})
    assert r.status_code == 200 and len(r.json()["matches"]) == 2


def test_v2_annotated_data_offsets_point_into_the_original(client, engine):
    data = {
        "annotation": [
            {"markup": "<p>"},
            {"text": "Bank 🏦 news: the "},
            {"markup": "<b class=\"x\">"},
            {"text": "focal bank"},
            {"markup": "</b>"},
            {"text": " cut its premium rate."},
            {"markup": "<br/>", "interpretAs": "\n"},
            {"text": "The focal bank spoke."},
            {"markup": "</p>", "interpretAs": "\n\n"},
        ]
    }
    original = "".join(x.get("text", x.get("markup")) for x in data["annotation"])
    r = client.post("/v2/check", data={"language": "en-US", "data": json.dumps(data)})
    assert r.status_code == 200
    checked = engine.calls and engine.calls[-1] == {}
    assert checked is not None
    got = [_utf16_slice(original, m["offset"], m["length"]) for m in r.json()["matches"]]
    assert got == ["focal bank", "premium rate", "focal bank"]
    # the context shows plain text (no markup)
    assert all("<" not in m["context"]["text"] for m in r.json()["matches"])


@pytest.mark.parametrize(
    "params, needle",
    [
        ({"text": SPUN}, "Missing 'language'"),
        ({"language": "de-DE", "text": SPUN}, "English only"),
        ({"language": "en-US"}, "Missing 'text' or 'data'"),
        ({"language": "en-US", "data": "{not json"}, "not valid JSON"),
        ({"language": "en-US", "data": '{"annotation": [{"text": 1}]}'}, "must be a string"),
        ({"language": "en-US", "data": '{"annotation": [{"text": "a", "markup": "b"}]}'}, "exactly one"),
        ({"language": "en-US", "data": '{"items": []}'}, "'annotation' list"),
    ],
)
def test_v2_errors_are_plain_text_400(client, params, needle):
    r = client.post("/v2/check", data=params)
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("text/plain")
    assert needle in r.text


def test_v2_non_utf8_body_is_400(client):
    r = client.post("/v2/check", content=b"language=en&text=\xff\xfe", headers={"content-type": "text/plain"})
    assert r.status_code == 400 and "UTF-8" in r.text


def test_v2_disabled_rules_and_categories(client):
    r = client.post("/v2/check", data={"language": "en-US", "text": SPUN, "disabledRules": "UNSPIN_MODEL,X"})
    assert r.json()["matches"] == []
    r = client.post("/v2/check", data={"language": "en-US", "text": SPUN, "disabledCategories": "UNSPIN_MODEL"})
    assert r.json()["matches"] == []
    r = client.post("/v2/check", data={"language": "en-US", "text": SPUN, "enabledOnly": "true", "enabledRules": "OTHER"})
    assert r.json()["matches"] == []
    r = client.post("/v2/check", data={"language": "en-US", "text": SPUN, "disabledRules": "OTHER_RULE"})
    assert len(r.json()["matches"]) == 2


def test_cors(client):
    r = client.options(
        "/v2/check",
        headers={"Origin": "chrome-extension://abc", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"},
    )
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] in ("*", "chrome-extension://abc")
    r = client.get("/v2/languages", headers={"Origin": "moz-extension://x"})
    assert r.headers["access-control-allow-origin"] == "*"


def test_lt_helpers():
    assert lt.utf16_offsets("a😀b") == [0, 1, 3, 4]
    doc = lt.annotated_document('{"annotation":[{"markup":"<i>","interpretAs":"xy"},{"text":"ab"}]}')
    assert doc.plain == "xyab" and doc.original == "<i>ab"
    assert doc.map_span(2, 4) == (3, 5) and doc.map_span(0, 2) == (0, 3)  # interpretAs covers its whole markup
    assert doc.map_span(1, 3) == (0, 4)
    assert lt.sentence_around("One. Two focal bank here! Three.", 9, 19) == "Two focal bank here!"
    ctx = lt.context_around("x" * 100 + "focal" + "y" * 100, 100, 105)
    assert ctx["text"].startswith("...") and ctx["text"].endswith("...") and ctx["offset"] == 43
    assert lt.resolve_language("en_US") == ("English (US)", "en-US")
    assert lt.resolve_language("en-IE")[1] == "en-IE"
    assert lt.parse_params(b"", None, [("a", "1")]) == {"a": "1"}


# ---------------------------------------------------------------------------------------------- golden files


def _golden(name: str, got) -> None:
    path = GOLDEN / name
    text = json.dumps(got, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if os.environ.get("UNSPIN_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if not path.exists():  # a missing golden file is a failure, never a silent pass
        pytest.fail(f"golden file {path} is missing (UNSPIN_UPDATE_GOLDEN=1 writes it; review the diff)")
    assert json.loads(path.read_text(encoding="utf-8")) == got, f"{path} differs (UNSPIN_UPDATE_GOLDEN=1 rewrites)"


GOLDEN_TEXT = (
    "😀 Breaking: the focal bank raised its premium rate.\n"
    "Experts in counterfeit consciousness and huge information were not surprised."
)


def test_golden_v2_check(client):
    r = client.post("/v2/check", data={"language": "en-US", "text": GOLDEN_TEXT})
    body = r.json()
    body["software"]["version"] = "VERSION"
    _golden("v2_check.json", body)


def test_golden_v2_check_annotated(client):
    data = {"annotation": [{"markup": "<h1>"}, {"text": "The focal bank"}, {"markup": "</h1>", "interpretAs": "\n\n"},
                           {"text": "🎉 It cut the "}, {"markup": "<em>"}, {"text": "premium rate"}, {"markup": "</em>"},
                           {"text": "."}]}
    body = client.post("/v2/check", data={"language": "en-GB", "data": json.dumps(data)}).json()
    body["software"]["version"] = "VERSION"
    _golden("v2_check_annotated.json", body)


def test_golden_native(client):
    _golden("api_check.json", client.post("/api/v1/check", json={"text": GOLDEN_TEXT, "path": "golden.txt"}).json())
    _golden("api_restore.json", client.post("/api/v1/restore", json={"text": GOLDEN_TEXT}).json())
    _golden("v2_languages.json", client.get("/v2/languages").json())


# ---------------------------------------------------------------------------------------------- real LT client


def test_language_tool_python_client(engine):
    ltp = pytest.importorskip("language_tool_python")
    with LiveServer(create_app(check_fn=engine)) as srv:
        tool = ltp.LanguageTool("en-US", remote_server=srv.url)
        try:
            text = "Emoji first 😀👍🏽 then 𝔘: the focal bank raised its premium rate. Huge information too."
            matches = tool.check(text)
            # the client converts UTF-16 offsets back to Python string indices
            got = [(text[m.offset : m.offset + m.error_length], m.replacements, m.rule_id) for m in matches]
            assert got == [
                ("focal bank", ["central bank"], "UNSPIN_MODEL"),
                ("premium rate", ["interest rate", "rate of interest"], "UNSPIN_MODEL"),
                ("Huge information", ["Big data"], "UNSPIN_MODEL"),  # cased like the span
            ]
            assert matches[0].category == "UNSPIN_MODEL" and "focal bank" in matches[0].message
            fixed = ltp.utils.correct(text, matches)
            assert "the central bank raised its interest rate" in fixed
            assert tool.check("A perfectly ordinary sentence.") == []
        finally:
            tool.close()


# ---------------------------------------------------------------------------------------------- extraction


def _tiny_pdf(text: str) -> bytes:
    """A one-page PDF whose text layer is `text` (ASCII), built by hand with correct xref offsets."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + o + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def test_extract_txt_html_pdf(client):
    up = lambda name, data: client.post("/api/v1/extract", files={"file": (name, data)})  # noqa: E731
    r = up("note.txt", "\ufeffThe focal bank — café.\r\n".encode())
    assert r.status_code == 200 and r.json() == {"filename": "note.txt", "kind": "text",
                                                 "text": "The focal bank — café.\n", "notes": []}
    html = (b"<html><head><title>t</title><script>var secret=1;</script></head><body><nav>Menu</nav>"
            b"<article><h1>Rates</h1><p>The focal bank raised its premium rate on Tuesday, said officials who "
            b"asked not to be named because the decision was not yet public.</p></article></body></html>")
    r = up("page.html", html)
    assert r.status_code == 200 and r.json()["kind"] == "html"
    assert "focal bank raised its premium rate" in r.json()["text"] and "secret" not in r.json()["text"]
    r = up("paper.pdf", _tiny_pdf("The focal bank raised its premium rate."))
    assert r.status_code == 200 and r.json()["kind"] == "pdf"
    assert "The focal bank raised its premium rate." in r.json()["text"]
    r = up("../../etc/passwd.txt", b"hello")
    assert r.json()["filename"] == "passwd.txt"  # a name only, never a path


@pytest.mark.parametrize(
    "name, data, status, needle",
    [
        ("table.xlsx", b"PK\x03\x04zip", 415, "table.xlsx: unsupported file type"),
        ("rows.jsonl", b'{"text": "a"}', 415, "rows.jsonl: unsupported file type"),
        ("empty.txt", b"", 400, "empty.txt: the file is empty"),
        ("blob.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 400, "blob.txt: binary file (NUL byte at byte offset 8)"),
        ("bom-only.txt", b"\xef\xbb\xbf", 400, "bom-only.txt: empty file (only a byte-order mark)"),
        ("broken.pdf", b"%PDF-1.4 garbage", 400, "broken.pdf"),
        ("fake.pdf", b"hello", 400, "fake.pdf: not a PDF"),
    ],
)
def test_extract_errors_name_the_file(client, name, data, status, needle):
    r = client.post("/api/v1/extract", files={"file": (name, data)})
    assert r.status_code == status
    message = r.json()["error"]["message"]
    assert needle in message
    # the page has no command line: no --encoding, no "unspin screen" remedy for a file it reads itself
    assert "--encoding" not in message and "unspin screen" not in message


def test_extract_errors_give_the_pages_remedy_not_the_command_lines(client):
    garbage = bytes(range(128, 256)) * 3  # no encoding makes text of it
    message = client.post("/api/v1/extract", files={"file": ("garbage.txt", garbage)}).json()["error"]["message"]
    assert message.startswith("garbage.txt: not valid UTF-8")
    assert message.endswith("save the file as UTF-8 and drop it again")
    blob = client.post("/api/v1/extract", files={"file": ("blob.txt", b"\x89PNG\r\n\x1a\n\x00\x00")}).json()
    assert blob["error"]["message"].endswith("the page reads text, HTML, PDF and Word (.docx) files")


@pytest.mark.parametrize("name, data, encoding", [
    ("latin.txt", "Le café était très bon, naïve Zoë.".encode("latin-1"), "cp1252"),
    ("utf16.txt", "The café — “quoted”.".encode("utf-16-le"), "utf-16-le"),  # no BOM
    ("page.html", b'<html><head><meta charset="windows-1252"></head><body><article><p>The caf\xe9 opened its '
                  b'doors on Tuesday and the mayor said the decision to renovate the old building had been a '
                  b'difficult one for the town council.</p></article></body></html>', "cp1252"),
])
def test_extract_decodes_other_encodings_and_says_which(client, name, data, encoding):
    r = client.post("/api/v1/extract", files={"file": (name, data)})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["encoding"] == encoding and f"read as {encoding}" in " ".join(body["notes"])
    assert "café" in body["text"]


def test_extract_upload_cap(engine):
    with TestClient(create_app(check_fn=engine, settings=Settings(max_body=100, max_upload=5_000))) as c:
        assert c.post("/api/v1/extract", files={"file": ("a.txt", b"a" * 2_000)}).status_code == 200
        r = c.post("/api/v1/extract", files={"file": ("a.txt", b"a" * 6_000)})
        assert r.status_code == 413 and "5,000 bytes for uploaded files" in r.json()["error"]["message"]


# ---------------------------------------------------------------------------------------------- page & CLI


def test_page_and_static_assets(client):
    r = client.get("/")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    head = client.head("/")  # uptime checks and link probes ask HEAD
    assert head.status_code == 200 and not head.content and "script-src 'self'" in head.headers["content-security-policy"]
    assert "script-src 'self'" in r.headers["content-security-policy"]
    for asset in ("/static/app.js", "/static/style.css"):
        assert client.get(asset).status_code == 200
    js = client.get("/static/app.js").text
    assert "innerHTML" not in js and "insertAdjacentHTML" not in js and "document.write" not in js
    assert "http://" not in r.text and "https://" not in r.text  # no CDN
    from unspin.types import VERDICT_MEANING

    for verdict, meaning in VERDICT_MEANING.items():  # the page says what a verdict means, as the report does
        assert f'{verdict}: "{meaning}"' in js


def test_the_pages_uncertain_despite_the_score_rule_matches_the_engines_notes():
    """The page shows the engine's reason next to an `uncertain` verdict that has a high score: the note of
    decide.verdict_of that ends "; verdict uncertain" (app.js UNCERTAIN_DESPITE_SCORE). Both such notes still end
    so, and a verdict the score itself leaves uncertain gives none (the general meaning applies)."""
    from unspin import decide
    from unspin.model import SHORT_TEXT_WORDS

    class Cuts:
        doc_spun, doc_clean, short_spun_findings = 0.9, 0.4, 4

    rule = re.compile(r";\s*verdict uncertain$")  # the page's own pattern, copied from app.js below
    assert "const UNCERTAIN_DESPITE_SCORE = /;\\s*verdict uncertain$/;" in (
        REPO / "src/unspin/serve/static/app.js").read_text()
    three = [Finding(10 * i, 10 * i + 4, w, ("x",), 0.8) for i, w in enumerate(("ab", "cd", "ef"))]
    for findings, words in ((three, SHORT_TEXT_WORDS - 1), ([], SHORT_TEXT_WORDS)):
        notes: list[str] = []
        assert decide.verdict_of(0.99, findings, Cuts, notes, words) == "uncertain"
        assert [n for n in notes if rule.search(n)] == notes and notes, notes
    notes = []
    assert decide.verdict_of(0.6, three, Cuts, notes, SHORT_TEXT_WORDS) == "uncertain" and notes == []


def test_cli_is_loopback():
    from unspin.serve.cli import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1") and is_loopback("[::1]")
    assert is_loopback("127.8.9.1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.4") and not is_loopback("example.org")


def test_cli_usage_errors(capsys):
    from unspin.cli import main

    with pytest.raises(SystemExit) as e:
        main(["serve", "--concurrency", "0"])
    assert e.value.code == 2 and "must be at least 1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["serve", "--timeout", "-1"])
    assert e.value.code == 2
    for port in ("70000", "-1"):
        with pytest.raises(SystemExit) as e:
            main(["serve", "--port", port])
        assert e.value.code == 2 and "port" in capsys.readouterr().err


def test_cli_port_in_use_and_public_bind_warning(capsys, monkeypatch):
    from unspin.cli import main

    monkeypatch.delenv("UNSPIN_API_KEY", raising=False)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert main(["serve", "--port", str(port), "--no-warmup"]) == 2
        assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
    # a public address: loud warning and a generated key (the bind to a port in use then fails fast)
    with socket.socket() as s:
        s.bind(("0.0.0.0", 0))
        s.listen()
        port = s.getsockname()[1]
        assert main(["serve", "--host", "0.0.0.0", "--port", str(port), "--no-warmup"]) == 2
    err = capsys.readouterr().err
    assert "WARNING: listening on 0.0.0.0" in err and "one was generated" in err


@pytest.mark.slow
def test_cli_subprocess_serves(tmp_path):
    port = free_port()
    exe = REPO / ".venv" / "bin" / "unspin"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "unspin.cli"]
    env = dict(os.environ, UNSPIN_CACHE_DIR=str(tmp_path / "cache"), UNSPIN_API_KEY="k-123")
    proc = subprocess.Popen(cmd + ["serve", "--port", str(port), "--no-warmup", "--max-body", "500"],
                            env=env, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                h = httpx.get(url + "/health", timeout=1).json()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError("server did not start") from None
                time.sleep(0.2)
        assert h["auth_required"] is True and h["limits"]["max_body"] == 500
        assert httpx.get(url + "/v2/languages").status_code == 200
        assert httpx.post(url + "/api/v1/check", json={"text": "x" * 600}).status_code == 413
        assert httpx.post(url + "/api/v1/check", json={"text": "hi"}).status_code == 401
    finally:
        proc.terminate()
        try:
            err = proc.communicate(timeout=15)[1]
        except subprocess.TimeoutExpired:
            proc.kill()
            err = proc.communicate()[1]
    assert "unspin serve: http://127.0.0.1:" in err


def test_v2_levels_and_categories_per_source():
    """Suspects only with level=picky, in their own category; one category per source with stable rule ids, so
    disabledRules / disabledCategories switch them the way LanguageTool users expect (issue 11, 12)."""
    text = "The focal bank said profound learning helps."
    model_f = Finding(4, 9, "focal", ("central",), 0.9)
    suspect = Finding(15, 19, "said", ("stated",), 0.4, level="suspect")
    listed = Finding(20, 37, "profound learning", ("deep learning",), 0.97, ("listed in pps",), "list",
                     "UNSPIN_LIST_PPS", "pps:profound learning")
    rep = Report(text, 7, [model_f, suspect, listed], 0.9, "spun")
    doc = lt.plain_document(text)

    def ids(params):
        body = lt.build_response(doc, rep, ("English (US)", "en-US"), params, "test")
        return [(m["rule"]["id"], m["rule"]["category"]["id"]) for m in body["matches"]]

    assert ids({}) == [("UNSPIN_MODEL", "UNSPIN_MODEL"), ("UNSPIN_LIST_PPS", "UNSPIN_LIST")]
    assert ids({"level": "picky"}) == [("UNSPIN_MODEL", "UNSPIN_MODEL"), ("UNSPIN_MODEL", "UNSPIN_SUSPECT"),
                                      ("UNSPIN_LIST_PPS", "UNSPIN_LIST")]
    assert ids({"level": "picky", "disabledCategories": "UNSPIN_SUSPECT,UNSPIN_LIST"}) == [
        ("UNSPIN_MODEL", "UNSPIN_MODEL")]
    assert ids({"disabledRules": "UNSPIN_LIST_PPS"}) == [("UNSPIN_MODEL", "UNSPIN_MODEL")]
    assert ids({"enabledOnly": "true", "enabledCategories": "UNSPIN_LIST"}) == [("UNSPIN_LIST_PPS", "UNSPIN_LIST")]


# ------------------------------------------------------------------ found by trying the server as a client would


def test_get_v2_check_body_is_capped_like_a_post(engine):
    # LanguageTool reads form data from a GET body too: the cap must hold for every method
    with TestClient(create_app(check_fn=engine, settings=Settings(max_body=2_000))) as c:
        body = ("language=en-US&text=" + "word+" * 1_000).encode()
        r = c.request("GET", "/v2/check", content=body,
                      headers={"content-type": "application/x-www-form-urlencoded"})
        assert r.status_code == 413 and "too large" in r.text
        r = c.request("GET", "/v2/check", params={"language": "en-US", "text": SPUN})
        assert r.status_code == 200
    assert len(engine.calls) == 1


def test_v2_flagged_word_standing_for_a_markup_covers_the_whole_markup(client):
    data = {"annotation": [{"text": "The "}, {"markup": "&focal;", "interpretAs": "focal"},
                           {"text": " bank raised its premium rate."}]}
    original = "".join(x.get("text", x.get("markup")) for x in data["annotation"])
    r = client.post("/v2/check", data={"language": "en-US", "data": json.dumps(data)})
    got = [_utf16_slice(original, m["offset"], m["length"]) for m in r.json()["matches"]]
    assert got == ["&focal; bank", "premium rate"]


def test_lone_surrogates_anywhere_are_client_errors_not_500(client, engine, caplog):
    caplog.set_level(logging.DEBUG)
    r = client.post("/api/v1/check", content=b'{"text": "hi", "fingerprints": ["\\ud83d"]}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 422 and "surrogate" in r.json()["error"]["message"]
    r = client.post("/v2/check", content=b'{"language": "\\ud83d", "text": "hi"}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 400 and "not a language code" in r.text and "\\ud83d" in r.text
    data = '{"annotation": [{"text": "\\ud83d The focal bank."}]}'
    r = client.post("/v2/check", data={"language": "en-US", "data": data})
    assert r.status_code == 400 and "surrogate" in r.text
    assert not engine.calls
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("headers", [{}, {"content-type": "application/x-www-form-urlencoded"},
                                     {"content-type": "text/plain"}])
def test_json_body_without_a_json_content_type_is_415_saying_so(client, engine, headers):
    r = client.post("/api/v1/check", content=b'{"text": "hello there"}', headers=headers)
    assert r.status_code == 415
    assert "Content-Type: application/json" in r.json()["error"]["message"]
    assert not engine.calls


@pytest.mark.parametrize("body, field", [
    (b'{"text": "x", "threshold": "0.5"}', "threshold"),
    (b'{"text": "x", "threshold": true}', "threshold"),
    (b'{"text": "x", "include_text": "yes"}', "include_text"),
])
def test_numbers_and_booleans_are_not_coerced(client, engine, body, field):
    r = client.post("/api/v1/check", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["message"].startswith(f"invalid request: {field}:")
    assert client.post("/api/v1/check", json={"text": "x", "threshold": 1}).status_code == 200


def test_deeply_nested_json_is_called_invalid_json(client):
    body = b'{"text": "x", "path": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    r = client.post("/api/v1/check", content=body, headers={"content-type": "application/json"})
    assert r.status_code in (400, 422)
    if r.status_code == 400:
        assert "not valid JSON" in r.json()["error"]["message"]


def test_head_health_and_no_page_that_needs_a_cdn(client):
    assert client.head("/health").status_code == 200
    assert client.get("/redoc").status_code == 404


def test_a_waiting_check_whose_client_left_never_runs():
    import asyncio

    from unspin.serve.limits import CheckRunner, ClientGone

    runner = CheckRunner(concurrency=1, queue=4, timeout=5)
    started = threading.Event()
    release = threading.Event()
    ran = []

    def busy():
        started.set()
        release.wait(5)
        return "first"

    async def gone():
        return True

    async def scenario():
        first = asyncio.ensure_future(runner.run(busy))
        while not started.is_set():
            await asyncio.sleep(0.01)
        with pytest.raises(ClientGone):  # queued behind `busy`, its client gone: dropped, slot freed
            await runner.run(lambda: ran.append(1), gone=gone)
        assert runner.in_flight == 1
        release.set()
        assert await first == "first"
        # a client that stays gets its answer; a running check is not abandoned
        assert await runner.run(lambda: 2, gone=lambda: asyncio.sleep(0, result=False)) == 2

    asyncio.run(scenario())
    runner.shutdown()
    assert ran == []


def test_abandoned_requests_do_not_queue_up_on_a_live_server():
    # an editor plug-in gives up on a request at each edit: those still waiting must not run after it
    slow = FakeEngine(delay=2.5)
    app = create_app(check_fn=slow, settings=Settings(concurrency=1, queue=8, timeout=10))
    with LiveServer(app) as srv:
        first = []
        t = threading.Thread(target=lambda: first.append(
            httpx.post(srv.url + "/api/v1/check", json={"text": SPUN}, timeout=10)))
        t.start()
        time.sleep(0.2)
        for _ in range(3):
            with pytest.raises(httpx.TimeoutException):
                httpx.post(srv.url + "/v2/check", data={"language": "en", "text": SPUN}, timeout=0.2)
        time.sleep(0.6)  # a few polls of the waiting requests
        assert httpx.get(srv.url + "/health").json()["in_flight"] == 1
        t.join()
        assert first[0].status_code == 200
    assert len(slow.calls) == 1


def test_v2_broken_json_body_is_called_broken_json(client, engine):
    for body in (b'{"language": "en", "text": "hi",}', b'{"language": "en", "text": "hi", "apiKey": "k"'):
        r = client.post("/v2/check", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 400 and "not valid JSON" in r.text
    assert not engine.calls


@pytest.mark.parametrize("body, ctype, needle", [
    (b"[1, 2]", "application/json", "not a JSON array"),
    (b' [{"language": "en", "text": "hi"}]', "application/x-www-form-urlencoded", "not a JSON array"),
    (b'"language=en&text=hi"', "application/json; charset=utf-8", "not a JSON string"),
    (b"42", "application/json", "not a JSON number"),
    (b"null", "application/json", "not a JSON null"),
    (b"[1, 2", "application/json", "not valid JSON"),
])
def test_v2_json_body_that_is_no_object_is_400_saying_what_to_send(client, engine, body, ctype, needle):
    """A JSON body with no field names (an array, a bare value) is answered with what the body must be, not with
    "Missing 'language' parameter" (the form-field reading of it)."""
    r = client.post("/v2/check", content=body, headers={"content-type": ctype})
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/plain"), r.text
    assert needle in r.text and "Missing" not in r.text, r.text
    if needle != "not valid JSON":
        assert "must be form fields (language=en-US&text=…) or a JSON object" in r.text
    assert not engine.calls
    # form data labelled JSON (LTeX) is still read as form data
    form = httpx.QueryParams({"language": "en-US", "text": SPUN}).__str__().encode()
    assert client.post("/v2/check", content=form, headers={"content-type": ctype}).status_code == 200
