"""Security checks beyond tests/test_serve*.py:
- the HTML reports (`unspin check --format html`, screen's summary.html and per-document reports,
  `unspin trace --format html`) run no script from the input: rendered in headless Chromium, payloads in the
  text AND in file names must not set window.__pwned or document.title;
- file paths in requests are never opened server-side (an audit hook records every open() while requests run);
- the API key comparison goes through hmac.compare_digest for every way of sending a key, whatever its length;
- `unspin serve` really listens on loopback by default (the kernel's socket table), and says so when not."""
from __future__ import annotations

import importlib.util
import inspect
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bounded import UNSPIN

FIX = Path(__file__).parent / "fixtures"

PAYLOADS = [
    "<script>window.__pwned = 1; document.title = 'pwned'</script>",
    "<img src=x onerror=\"window.__pwned = 2; document.title = 'pwned'\">",
    "\"><svg onload=\"window.__pwned = 3\"></svg>",
    "'><iframe srcdoc=\"<script>parent.__pwned = 4</script>\"></iframe>",
    "<a href=\"javascript:window.__pwned=5\" id=\"jslink\">link</a>",
    "</textarea></title></style><script>window.__pwned = 6</script>",
    "<body onload=\"window.__pwned = 7\">",
]
HOSTILE_NAME = "<img src=x onerror=window.__pwned=8>"
PROSE = ("Researchers used profound learning to sort the photographs, and counterfeit consciousness was the theme "
         "of the evening lecture. The central bank raised its interest rate on Tuesday. ")


def hostile_text() -> str:
    return PROSE + " ".join(PAYLOADS) + " " + PROSE


# ------------------------------------------------------------------------------------------------ browser

@pytest.fixture(scope="module")
def driver(chromium_driver):
    """The session's headless Chromium (conftest); tests using it are marked needs("chromium")."""
    return chromium_driver


def assert_no_script_ran(d, page: Path) -> str:
    d.get(page.as_uri())
    time.sleep(0.3)  # let onload/onerror handlers fire if any were live
    assert d.execute_script("return window.__pwned") is None, page
    assert d.title != "pwned", page  # the payloads set document.title = 'pwned' (the escaped name may show it)
    live = "return document.querySelectorAll('iframe, svg[onload], img[onerror], #jslink').length"
    assert d.execute_script(live) == 0
    body = d.execute_script("return document.body.innerText")
    return body


@pytest.mark.slow
@pytest.mark.needs("chromium")
def test_check_html_report_runs_no_script_from_text_or_file_name(driver, tmp_path):
    src = tmp_path / f"{HOSTILE_NAME}.txt"
    src.write_text(hostile_text(), encoding="utf-8")
    out = tmp_path / "html"
    r = subprocess.run([UNSPIN, "check", "--format", "html", "--no-fingerprints", "--output-dir", str(out), str(src)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode in (0, 1), r.stderr
    pages = list(out.glob("*.html"))
    assert len(pages) == 1
    body = assert_no_script_ran(driver, pages[0])
    for p in PAYLOADS:
        assert p in body  # shown literally, as text
    # and the single-page form on stdout
    page = tmp_path / "stdout.html"
    r = subprocess.run([UNSPIN, "check", "--format", "html", "--no-fingerprints", str(src)], capture_output=True,
                       timeout=300)
    page.write_bytes(r.stdout)
    assert HOSTILE_NAME in assert_no_script_ran(driver, page)


@pytest.mark.slow
@pytest.mark.needs("chromium")
def test_screen_summary_and_reports_run_no_script(driver, tmp_path):
    sys.path.insert(0, str(FIX / "screen"))
    from fake_check import fake_check

    from unspin.screen.run import screen

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i, p in enumerate(PAYLOADS):
        (corpus / f"{HOSTILE_NAME}{i}.txt").write_text(f"{p} Profound learning and huge information. {p}",
                                                       encoding="utf-8")
    (corpus / f"{HOSTILE_NAME}.jsonl").write_text(
        '{"id": "<script>window.__pwned=9</script>", "text": "Counterfeit consciousness <b onmouseover=x>"}\n'
        '{"text": "<script>window.__pwned=10</script>", "id": 5}\n{not json <script>window.__pwned=11</script>\n',
        encoding="utf-8")
    screen([str(corpus)], tmp_path / "out", jobs=1, check_fn=fake_check, id_field="id")
    out = tmp_path / "out"
    body = assert_no_script_ran(driver, out / "summary.html")
    assert "<script>window.__pwned=9</script>" in body and HOSTILE_NAME in body  # ids shown as text
    reports = sorted((out / "reports").glob("*.html"))
    assert len(reports) >= len(PAYLOADS)
    for rep in reports:
        assert_no_script_ran(driver, rep)


@pytest.mark.slow
@pytest.mark.needs("chromium")
def test_trace_html_report_runs_no_script(driver, tmp_path, monkeypatch):
    monkeypatch.setenv("UNSPIN_CACHE_DIR", str(tmp_path / "cache"))
    spec = importlib.util.spec_from_file_location("trace_corpus", FIX / "trace" / "corpus.py")
    tc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tc)
    from unspin.cli import main
    from unspin.spin import spin

    docs = tc.make_corpus(12)
    src = tmp_path / "sources"
    src.mkdir()
    hostile = docs[3][1] + " " + " ".join(PAYLOADS)
    for i, (doc_id, text) in enumerate(docs):
        name = f"{HOSTILE_NAME}{doc_id}.txt" if i == 3 else f"{doc_id}.txt"
        (src / name).write_text(hostile if i == 3 else text, encoding="utf-8")
    ix = tmp_path / "ix"
    assert main(["index", "add", str(src), "--index", str(ix), "-q"]) == 0
    q = tmp_path / f"{HOSTILE_NAME}query.txt"
    q.write_text(spin(hostile, rate=0.3, seed=2).text, encoding="utf-8")
    page = tmp_path / "trace.html"
    assert main(["trace", str(q), "--index", str(ix), "--format", "html", "-o", str(page)]) == 1
    html = page.read_text(encoding="utf-8")
    assert "<mark" in html and HOSTILE_NAME not in html  # the source id appears, escaped
    body = assert_no_script_ran(driver, page)
    assert HOSTILE_NAME in body


# ----------------------------------------------------------------------------------- paths never opened

_OPENED: list[str] | None = None


def _audit(event, args):
    if _OPENED is not None and event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
        _OPENED.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)  # audit hooks cannot be removed; it records only while _OPENED is a list


def test_paths_in_requests_are_never_opened_server_side():
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    import unspin
    from unspin.serve import create_app

    global _OPENED
    unspin.check("Warm the engine up before recording file opens.", fingerprints=False)
    secret = Path("/etc/passwd")
    with TestClient(create_app()) as client:
        _OPENED = []
        try:
            r1 = client.post("/api/v1/check", json={"text": "/etc/passwd", "path": "/etc/passwd",
                                                    "include_text": True, "fingerprints": False})
            r2 = client.post("/api/v1/restore", json={"text": "/etc/shadow", "path": "/etc/shadow"})
            r3 = client.post("/v2/check", data={"language": "en-US", "text": "/etc/passwd"})
            r4 = client.post("/api/v1/extract", files={"file": ("/etc/passwd", b"only these words")})
            r5 = client.post("/api/v1/extract", files={"file": ("../../../../etc/passwd.txt", b"upload bytes")})
            r6 = client.post("/api/v1/check", json={"text": "x", "file": "/etc/passwd"})
            r7 = client.get("/static/../../../../etc/passwd")
            opened = list(_OPENED)
        finally:
            _OPENED = None
    assert r1.status_code == 200
    body = r1.json()
    assert body["text"] == "/etc/passwd" and body["path"] == "/etc/passwd" and body["words"] == 2
    assert r2.status_code == 200 and r2.json()["text"] == "/etc/shadow"
    assert r3.status_code == 200
    # an upload named like a system file: its bytes are read, never the file of that name
    if r4.status_code == 200:
        assert r4.json()["text"] == "only these words"
    else:
        assert r4.status_code == 415
    assert r5.status_code == 200 and r5.json()["text"] == "upload bytes"
    assert r6.status_code == 422  # unknown fields are rejected, not interpreted
    assert r7.status_code == 404
    sensitive = [p for p in opened if os.path.realpath(p) in (str(secret), "/etc/shadow")
                 or "passwd" in p or "shadow" in p]
    assert not sensitive, sensitive
    for resp in (r1, r2, r3, r4, r5, r7):
        assert "root:" not in resp.text


# ------------------------------------------------------------------------------------------------ API key

def test_every_key_channel_is_compared_with_hmac_compare_digest(monkeypatch):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    import unspin.serve.security as security
    from unspin.serve import Settings, create_app
    from unspin.types import Report

    def fake(text, **kw):
        return Report(text=text, words=len(text.split()), findings=[], spin_score=0.0, verdict="clean")

    key = "k3y-" + "x" * 28
    calls = []
    real = security.hmac.compare_digest
    monkeypatch.setattr(security.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    src = inspect.getsource(security)
    assert "compare_digest" in inspect.getsource(security.key_matches)
    assert not re.search(r"(==|!=)\s*key\b|\bkey\s*(==|!=)", src)  # no short-circuiting comparison anywhere

    with TestClient(create_app(check_fn=fake, settings=Settings(api_key=key))) as c:
        tries = [
            ({"Authorization": f"Bearer {key}"}, None, 200),
            ({"X-API-Key": key}, None, 200),
            ({"Authorization": "Bearer " + "k" * len(key)}, None, 401),  # same length, wrong
            ({"X-API-Key": "short"}, None, 401),  # different length: still compared, not short-circuited
            ({"X-API-Key": key + "extra"}, None, 401),
        ]
        for headers, _, status in tries:
            n = len(calls)
            assert c.post("/api/v1/check", json={"text": "hello"}, headers=headers).status_code == status
            assert len(calls) == n + 1 and calls[-1][1] == key.encode()
        n = len(calls)
        assert c.post("/v2/check", data={"language": "en-US", "text": "hi", "apiKey": key}).status_code == 200
        assert c.post("/v2/check", data={"language": "en-US", "text": "hi", "apiKey": "nope"}).status_code == 401
        assert len(calls) == n + 2


# ------------------------------------------------------------------------------------------------ binding

def _listening(port: int) -> list[str]:
    """Local addresses with a socket LISTENing on `port` (from /proc/net/tcp and tcp6)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            local, state = parts[1], parts[3]
            addr, p = local.rsplit(":", 1)
            if int(p, 16) == port and state == "0A":
                if len(addr) == 8:
                    found.append(socket.inet_ntop(socket.AF_INET, bytes.fromhex(addr)[::-1]))
                else:
                    b = bytes.fromhex(addr)
                    found.append(socket.inet_ntop(socket.AF_INET6, b"".join(b[i:i + 4][::-1] for i in range(0, 16, 4))))
    return found


def _serve(args: list[str], env: dict) -> tuple[subprocess.Popen, int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([UNSPIN, "serve", "--port", str(port), "--no-warmup", "--log-level", "warning", *args],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env)
    deadline = time.monotonic() + 60
    while not _listening(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"server did not listen: {proc.stderr.read()[-1000:]}")
        time.sleep(0.1)
    return proc, port


@pytest.mark.slow
def test_serve_listens_on_loopback_by_default_and_warns_otherwise():
    env = {k: v for k, v in os.environ.items() if k != "UNSPIN_API_KEY"}
    proc, port = _serve([], env)
    try:
        assert _listening(port) == ["127.0.0.1"]
    finally:
        proc.terminate()
        err = proc.communicate(timeout=20)[1]
    assert "WARNING" not in err and "http://127.0.0.1:" in err
    proc, port = _serve(["--host", "0.0.0.0", "--api-key", "a-long-enough-test-key"], env)
    try:
        assert _listening(port) == ["0.0.0.0"]
        import httpx

        r = httpx.post(f"http://127.0.0.1:{port}/api/v1/check", json={"text": "hello"}, timeout=30)
        assert r.status_code == 401  # off loopback a key is required
    finally:
        proc.terminate()
        err = proc.communicate(timeout=20)[1]
    assert "WARNING: listening on 0.0.0.0" in err
    assert "a-long-enough-test-key" not in err  # a key given by the user is never echoed


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
