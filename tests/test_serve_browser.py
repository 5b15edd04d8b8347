"""The web page in headless Chromium (Debian chromium + chromium-driver, driven by selenium), fake engine.

Skipped with a reason only when Chromium is absent and CI is not set; under CI=true these tests must run.
Screenshots go to tests/artifacts/ (git-ignored)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from test_serve import SPUN, FakeEngine, LiveServer  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
DRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).parent / "artifacts"

_have_browser = Path(CHROMIUM).exists() and Path(DRIVER).exists()
if not _have_browser and not os.environ.get("CI"):
    pytest.skip(
        "Chromium not installed (apt-get install -y chromium chromium-driver, or `make system-deps`); "
        "browser tests run whenever it is, and always under CI",
        allow_module_level=True,
    )

if not os.environ.get("CI"):
    pytest.importorskip("selenium", reason="selenium not installed (pip install -e '.[test]')")
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from unspin.serve import create_app  # noqa: E402

pytestmark = pytest.mark.slow


ENGINE = FakeEngine()


@pytest.fixture(scope="module")
def server():
    with LiveServer(create_app(check_fn=ENGINE)) as srv:
        yield srv


@pytest.fixture(scope="module")
def driver():
    assert _have_browser, f"CI=true but {CHROMIUM} / {DRIVER} are missing: run `make system-deps`"
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager reach the network
    os.environ.setdefault("SE_AVOID_STATS", "true")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--disable-background-networking", "--window-size=1280,1300"):
        opts.add_argument(a)
    d = webdriver.Chrome(service=Service(DRIVER), options=opts)
    d.set_page_load_timeout(30)
    yield d
    d.quit()


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
    assert ENGINE.calls[-1].get("threshold") == 0.3  # review mode is on by default on the page
    marks = d.find_elements(By.CSS_SELECTOR, "#marked .finding")
    assert [m.text for m in marks] == ["focal bank", "premium rate"]
    assert "conf-high" in marks[0].get_attribute("class") and "conf-mid" in marks[1].get_attribute("class")
    summary = d.find_element(By.ID, "summary").text
    assert "Spin score 0.83" in summary and "Verdict: spun" in summary and "2 findings in 24 words" in summary
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

    # accept all (the chosen suggestion of the second finding is kept), then copy
    d.find_element(By.ID, "accept-all").click()
    assert restored.get_attribute("value") == want
    assert "2 changes applied" in d.find_element(By.ID, "copy-status").text
    d.find_element(By.ID, "copy").click()
    _wait(d, lambda d: d.find_element(By.ID, "copy-status").text == "Copied.")


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


def test_review_mode_can_be_switched_off(driver, server):
    d = driver
    d.get(server.url + "/")
    box = _wait(d, EC.element_to_be_clickable((By.ID, "input")))
    d.find_element(By.ID, "review").click()  # uncheck
    d.execute_script("arguments[0].value = arguments[1];", box, SPUN)
    d.find_element(By.ID, "check").click()
    _wait(d, lambda d: d.find_element(By.ID, "results").is_displayed())
    assert "threshold" not in ENGINE.calls[-1]
