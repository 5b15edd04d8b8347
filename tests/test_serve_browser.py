"""The web page in headless Chromium (Debian chromium + chromium-driver, driven by selenium), fake engine.

Skipped with a reason naming `make system-deps` when Chromium is absent (conftest's `needs` marker); under
CI=true a missing Chromium fails instead. Screenshots go to tests/artifacts/ (git-ignored)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from test_serve import SPUN, FakeEngine, LiveServer  # noqa: E402

pytest.importorskip("selenium", reason="selenium not installed (pip install -e '.[test]')")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from unspin.serve import create_app  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.needs("chromium")]

ARTIFACTS = Path(__file__).parent / "artifacts"
ENGINE = FakeEngine()
# two findings around one borderline suspect ("quick ascent", level "suspect" in the fake engine)
WITH_SUSPECT = ("The focal bank saw a quick ascent in lending, and its premium rate rose again. Analysts said the "
                "central bank had no choice.")


@pytest.fixture(scope="module")
def server():
    with LiveServer(create_app(check_fn=ENGINE)) as srv:
        yield srv


@pytest.fixture(scope="module")
def driver(chromium_driver):
    return chromium_driver


def _wait(d, cond, timeout=10):
    return WebDriverWait(d, timeout).until(cond)


def _load(d, server, text):
    d.get(server.url + "/")
    box = _wait(d, EC.element_to_be_clickable((By.ID, "input")))
    # set the value as a paste would (send_keys types slowly and treats newlines as Enter)
    d.execute_script("arguments[0].value = arguments[1];", box, text)
    d.find_element(By.ID, "check").click()
    _wait(d, lambda d: d.find_element(By.ID, "results").is_displayed())


def test_page_paste_highlight_accept_restore(driver, server):
    d = driver
    _load(d, server, SPUN)
    assert d.title.startswith("unspin")
    assert "threshold" not in ENGINE.calls[-1]  # the engine's own levels: findings, and suspects below them
    marks = d.find_elements(By.CSS_SELECTOR, "#marked .finding")
    assert [m.text for m in marks] == ["focal bank", "premium rate"]
    assert "conf-high" in marks[0].get_attribute("class") and "conf-mid" in marks[1].get_attribute("class")
    summary = d.find_element(By.ID, "summary").text
    assert "Spin score 0.83 on a 0–1 scale (how strongly the whole text reads as spun)" in summary and "Verdict: spun" in summary
    assert "2 findings in 24 words" in summary
    restored = d.find_element(By.ID, "restored")
    assert restored.get_attribute("value") == SPUN  # nothing accepted yet

    # click the first finding: suggestions and evidence appear; accept it
    marks[0].click()
    details = d.find_element(By.ID, "details")
    assert "central bank" in details.text and "appears 2 times elsewhere" in details.text
    d.find_element(By.ID, "accept-one").click()
    assert restored.get_attribute("value") == SPUN.replace("focal bank", "central bank", 1)
    assert "accepted" in d.find_elements(By.CSS_SELECTOR, "#marked .finding")[0].get_attribute("class")

    # keyboard only: focus the second finding, choose the second suggestion, accept with "a"
    second = d.find_elements(By.CSS_SELECTOR, "#marked .finding")[1]
    second.send_keys(Keys.ENTER)  # a <button>: Enter opens it
    radios = d.find_elements(By.CSS_SELECTOR, "#details input[type=radio]")
    assert len(radios) == 2
    radios[1].send_keys(Keys.SPACE)
    second.send_keys("a")
    want = SPUN.replace("focal bank", "central bank", 1).replace("premium rate", "rate of interest", 1)
    assert restored.get_attribute("value") == want
    # "r" rejects it again; the restored text follows
    second.send_keys("r")
    assert restored.get_attribute("value") == SPUN.replace("focal bank", "central bank", 1)
    assert not d.find_element(By.ID, "key-row").is_displayed()  # no key needed on this server
    ARTIFACTS.mkdir(exist_ok=True)
    d.execute_script("window.scrollTo(0, 0)")
    assert d.save_screenshot(str(ARTIFACTS / "serve_page.png"))

    # accept all leaves the finding the user rejected rejected (their decision, not a default)
    d.find_element(By.ID, "accept-all").click()
    assert restored.get_attribute("value") == SPUN.replace("focal bank", "central bank", 1)
    assert "rejected" in d.find_elements(By.CSS_SELECTOR, "#marked .finding")[1].get_attribute("class")
    # "r" again undoes the rejection; accept all then takes it (the chosen suggestion kept), then copy
    second = d.find_elements(By.CSS_SELECTOR, "#marked .finding")[1]
    second.send_keys("r")
    d.find_element(By.ID, "accept-all").click()
    assert restored.get_attribute("value") == want
    assert "2 changes applied" in d.find_element(By.ID, "copy-status").text
    d.find_element(By.ID, "copy").click()
    _wait(d, lambda d: d.find_element(By.ID, "copy-status").text == "Copied.")


def test_accept_all_on_a_wrapped_phrase_gives_restores_text(driver, server):
    """A phrase wrapped across lines keeps its line break when accepted, as `unspin restore` writes it: the
    page's restored text is the server's /api/v1/restore text exactly (LF only: a text box holds no CR)."""
    import httpx

    text = "The focal\nbank raised its Premium\nRate again.\nThe central bank will meet in June."
    _load(driver, server, text)
    assert [m.text for m in _marks(driver)] == ["focal\nbank", "Premium\nRate"]
    driver.find_element(By.ID, "accept-all").click()
    want = httpx.post(server.url + "/api/v1/restore", json={"text": text}).json()["text"]
    assert want == "The central\nbank raised its Interest\nRate again.\nThe central bank will meet in June."
    assert driver.find_element(By.ID, "restored").get_attribute("value") == want
    # another suggestion keeps the break too, at the same word gap
    _marks(driver)[1].click()
    driver.find_elements(By.CSS_SELECTOR, "#details input[type=radio]")[1].click()
    assert driver.find_element(By.ID, "restored").get_attribute("value") == want.replace(
        "Interest\nRate", "Rate\nof Interest")


def test_emoji_before_findings_keeps_highlights_in_place(driver, server):
    text = "😀👍🏽 𝔘 — the focal bank 🏦 raised its premium rate."
    _load(driver, server, text)
    marks = driver.find_elements(By.CSS_SELECTOR, "#marked .finding")
    assert [m.text for m in marks] == ["focal bank", "premium rate"]
    driver.find_element(By.ID, "accept-all").click()
    assert driver.find_element(By.ID, "restored").get_attribute("value") == (
        "😀👍🏽 𝔘 — the central bank 🏦 raised its interest rate.")


def test_xss_payloads_render_as_text(driver, server, tmp_path):
    d = driver
    payload = ('<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">'
               '<b>bold?</b> The focal bank spoke.')
    _load(d, server, payload)
    marked = d.find_element(By.ID, "marked")
    assert marked.text == payload  # shown literally
    assert d.execute_script("return window.__xss") is None
    for tag in ("script", "img", "b"):
        assert d.find_elements(By.CSS_SELECTOR, f"#marked {tag}, #details {tag}") == []
    d.find_element(By.CSS_SELECTOR, "#marked .finding").click()
    d.find_element(By.ID, "accept-one").click()
    assert d.find_element(By.ID, "restored").get_attribute("value") == payload.replace("focal bank", "central bank")
    ARTIFACTS.mkdir(exist_ok=True)
    d.execute_script("window.scrollTo(0, 0)")
    assert d.save_screenshot(str(ARTIFACTS / "serve_xss.png"))

    # a file whose name and content are HTML: upload through the file input; both stay text
    f = tmp_path / '<img src=x onerror="window.__xss=3">.txt'
    f.write_text('<svg onload="window.__xss=4"></svg> The premium rate rose.', encoding="utf-8")
    inp = d.find_element(By.ID, "file")
    d.execute_script("arguments[0].hidden = false;", inp)
    inp.send_keys(str(f))
    _wait(d, lambda d: "premium rate" in d.find_element(By.ID, "marked").text)
    assert d.find_element(By.ID, "input").get_attribute("value").startswith("<svg onload")
    assert d.find_elements(By.CSS_SELECTOR, "#marked svg, #status img, #status svg") == []
    assert d.execute_script("return window.__xss") is None


def test_errors_are_shown(driver, server):
    d = driver
    d.get(server.url + "/")
    d.find_element(By.ID, "check").click()
    status = d.find_element(By.ID, "status")
    assert "Nothing to check" in status.text and "error" in status.get_attribute("class")
    f = Path(shutil.which("true") or "/bin/true")  # a binary with no supported suffix
    inp = d.find_element(By.ID, "file")
    d.execute_script("arguments[0].hidden = false;", inp)
    inp.send_keys(str(f))
    _wait(d, lambda d: "Could not read" in d.find_element(By.ID, "status").text)
    assert "unsupported file type" in d.find_element(By.ID, "status").text


def test_an_upload_says_how_it_was_read_and_a_failed_one_leaves_no_stale_results(driver, server, tmp_path):
    """The status line ends with how a file was read ("read as cp1252"), not only "Done"; a file that cannot be
    read hides the previous text's results (they are not this file's) and says why in the page's terms."""
    d = driver
    _load(d, server, SPUN)
    assert d.find_element(By.ID, "results").is_displayed()
    latin = tmp_path / "latin.txt"
    latin.write_bytes(("The café owner said the focal bank raised its premium rate again, and the "
                       "town's naïve hopes faded.").encode("cp1252"))
    inp = d.find_element(By.ID, "file")
    d.execute_script("arguments[0].hidden = false;", inp)
    inp.send_keys(str(latin))
    _wait(d, lambda d: "Done" in d.find_element(By.ID, "status").text)
    assert "latin.txt: read as cp1252" in d.find_element(By.ID, "status").text
    garbage = tmp_path / "garbage.txt"
    garbage.write_bytes(bytes(range(128, 256)) * 3)
    inp.send_keys(str(garbage))
    _wait(d, lambda d: "Could not read" in d.find_element(By.ID, "status").text)
    status = d.find_element(By.ID, "status").text
    assert "save the file as UTF-8" in status and "--encoding" not in status
    assert status.count("garbage.txt") == 1
    assert not d.find_element(By.ID, "results").is_displayed()


def _marks(d):
    return d.find_elements(By.CSS_SELECTOR, "#marked .finding")


def test_suspects_look_different_and_accept_all_takes_findings_only(driver, server):
    d = driver
    _load(d, server, WITH_SUSPECT)
    marks = _marks(d)
    assert [m.text for m in marks] == ["focal bank", "quick ascent", "premium rate"]
    suspect = marks[1]
    assert "suspect" in suspect.get_attribute("class").split()
    assert "suspect" not in marks[0].get_attribute("class").split()
    assert "borderline" in suspect.get_attribute("aria-label") and "borderline" in suspect.get_attribute("title")
    # dashed underline and no fill, unlike a finding
    assert d.execute_script("return getComputedStyle(arguments[0]).borderBottomStyle", suspect) == "dashed"
    assert d.execute_script("return getComputedStyle(arguments[0]).borderBottomStyle", marks[0]) == "solid"
    assert d.execute_script("return getComputedStyle(arguments[0]).backgroundColor", suspect) == "rgba(0, 0, 0, 0)"
    summary = d.find_element(By.ID, "summary").text
    assert "2 findings and 1 borderline suspect in 23 words" in summary
    suspect.click()
    details = d.find_element(By.ID, "details").text
    # counted among the suspects, as the summary line counts them ("1 borderline suspect")
    assert details.startswith("Borderline suspect 1 of 1") and "below the threshold for a finding" in details
    marks[2].click()
    assert d.find_element(By.ID, "details").text.startswith("Finding 2 of 2")

    d.find_element(By.ID, "accept-all").click()
    restored = d.find_element(By.ID, "restored").get_attribute("value")
    assert restored == WITH_SUSPECT.replace("focal bank", "central bank").replace("premium rate", "interest rate")
    assert "quick ascent" in restored  # the suspect was not accepted
    assert [m.get_attribute("class").split()[1] for m in _marks(d)] == ["accepted", "suspect", "accepted"]
    assert "2 changes applied" in d.find_element(By.ID, "copy-status").text

    # a suspect is accepted one by one
    _marks(d)[1].click()
    d.find_element(By.ID, "accept-one").click()
    assert d.find_element(By.ID, "restored").get_attribute("value") == restored.replace("quick ascent", "rapid rise")
    ARTIFACTS.mkdir(exist_ok=True)
    d.execute_script("window.scrollTo(0, 0)")
    assert d.save_screenshot(str(ARTIFACTS / "serve_suspects.png"))


def test_borderline_suspects_can_be_hidden(driver, server):
    d = driver
    _load(d, server, WITH_SUSPECT)
    toggle = d.find_element(By.ID, "show-suspects")
    assert toggle.is_selected()  # shown by default: the page is for a person reviewing one text
    _marks(d)[1].click()
    d.find_element(By.ID, "accept-one").click()
    with_suspect = d.find_element(By.ID, "restored").get_attribute("value")
    assert "rapid rise" in with_suspect
    toggle.click()
    assert [m.text for m in _marks(d)] == ["focal bank", "premium rate"]
    assert d.find_element(By.ID, "marked").text == WITH_SUSPECT  # the text itself is all still there
    assert d.find_element(By.ID, "restored").get_attribute("value") == WITH_SUSPECT  # hidden: not applied
    # keyboard navigation skips hidden suspects
    first = _marks(d)[0]
    first.send_keys(Keys.ENTER)
    first.send_keys("n")
    assert "premium rate" in d.find_element(By.ID, "details").text
    toggle.click()
    assert d.find_element(By.ID, "restored").get_attribute("value") == with_suspect  # its decision was kept
    assert "threshold" not in ENGINE.calls[-1]


def test_short_text_shows_why_there_is_no_score(driver, server):
    d = driver
    _load(d, server, "The focal bank spoke.")
    summary = d.find_element(By.ID, "summary").text
    assert summary.startswith("No spin score (too short for a score). Verdict: uncertain (no verdict: ")
    assert "1 finding in 4 words" in summary
    assert "0.5" not in summary and "NaN" not in summary and "?" not in summary
    assert d.find_element(By.ID, "status").text == "Done: 1 finding."


def test_uncertain_despite_a_high_score_says_why_next_to_the_verdict(driver, server):
    """A short text scoring 1.00 whose verdict is still uncertain: the reason (too few different findings) stands
    next to the verdict, not the general meaning of "uncertain", which reads as if the score were low."""
    reason = ("a short text (83 words) is called spun only when at least 4 different words are findings (honest "
              "paragraphs reach this spin score more often than documents do); this one has 3")
    other = "1 model finding dropped: the traced source has the same words there"

    def check(text, **options):
        from unspin.text import count_words
        from unspin.types import Finding, Report

        i = text.index("focal bank")
        return Report(text, count_words(text), [Finding(i, i + 10, "focal bank", ("central bank",), 0.9)], 1.0,
                      "uncertain", notes=[other, reason + "; verdict uncertain"])

    with LiveServer(create_app(check_fn=check)) as srv:
        _load(driver, srv, SPUN)
        summary = driver.find_element(By.ID, "summary").text
        assert "Spin score 1.00" in summary
        assert f"Verdict: uncertain, despite the score: {reason}. 1 finding in 24 words." in summary
        assert "cannot be ruled out" not in summary  # the general meaning is not what holds here
        assert summary.count(reason) == 1 and other in summary  # the other notes stay below, the reason once
    # a verdict the score itself leaves uncertain keeps the general meaning
    _load(driver, server, "The focal bank and the rest of the banks that lend money to the town will meet again in "
          "the spring to talk.")
    summary = driver.find_element(By.ID, "summary").text
    assert "Spin score 0.43" in summary and "Verdict: uncertain (no verdict: spinning with common synonyms cannot be ruled out" in summary


def test_no_console_errors_and_the_icon_loads(driver, server):
    d = driver
    d.get_log("browser")  # drop what earlier tests logged (their deliberate 4xx)
    d.get(server.url + "/")
    _wait(d, EC.element_to_be_clickable((By.ID, "input")))
    # what browsers ask for whatever the page declares, and the icon the page declares
    for url in ("/favicon.ico", "/static/favicon.svg"):
        status, ctype = d.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch(arguments[0]).then(r => done([r.status, r.headers.get('content-type')]));", url)
        assert (status, ctype.split(";")[0]) == (200, "image/svg+xml"), url
    errors = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], errors


def test_a_paste_while_checking_is_checked_next(driver):
    """A second paste while the first text is being checked: the page checks the newest text when the first
    check ends, and never leaves the first text's results looking current."""
    slow = FakeEngine(delay=1.0)
    other = "Nothing unusual here, only the premium rate of a small shop in town."
    with LiveServer(create_app(check_fn=slow)) as srv:
        d = driver
        d.get(srv.url + "/")
        box = _wait(d, EC.element_to_be_clickable((By.ID, "input")))
        d.execute_script("arguments[0].value = arguments[1];", box, SPUN)
        d.find_element(By.ID, "check").click()
        _wait(d, lambda d: "Checking" in d.find_element(By.ID, "status").text)
        d.execute_script("arguments[0].value = arguments[1];"
                         "arguments[0].dispatchEvent(new Event('paste'));", box, other)
        _wait(d, lambda d: [m.text for m in d.find_elements(By.CSS_SELECTOR, "#marked .finding")] == ["premium rate"]
              and "Done" in d.find_element(By.ID, "status").text, timeout=15)
        assert d.find_element(By.ID, "restored").get_attribute("value") == other
        # typed (no paste) while checking: no second check, but the page says the results are of the old text
        d.execute_script("arguments[0].value = arguments[1];", box, SPUN)
        d.find_element(By.ID, "check").click()
        _wait(d, lambda d: "Checking" in d.find_element(By.ID, "status").text)
        d.execute_script("arguments[0].value = arguments[1];", box, other + " More.")
        _wait(d, lambda d: "changed while it was being checked" in d.find_element(By.ID, "status").text, timeout=15)


def test_a_finding_without_suggestion_cannot_be_accepted_by_key(driver):
    def check(text, **options):
        from unspin.text import count_words
        from unspin.types import Finding, Report

        i = text.index("focal")
        return Report(text, count_words(text), [Finding(i, i + 5, "focal", (), 0.9)], None, "uncertain")

    with LiveServer(create_app(check_fn=check)) as srv:
        d = driver
        _load(d, srv, SPUN)
        mark = d.find_elements(By.CSS_SELECTOR, "#marked .finding")[0]
        mark.click()
        assert not d.find_element(By.ID, "accept-one").is_enabled()
        mark.send_keys("a")
        assert "accepted" not in mark.get_attribute("class")
        assert d.find_element(By.ID, "restored").get_attribute("value") == SPUN
        mark.send_keys("r")
        assert "rejected" in d.find_elements(By.CSS_SELECTOR, "#marked .finding")[0].get_attribute("class")
