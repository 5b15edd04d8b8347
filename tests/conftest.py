"""Test isolation and system packages.

- No user fingerprint lists, no shared corpora; the knowledge cache is the normal one (built once on first use,
  as for a user) unless UNSPIN_CACHE_DIR is set.
- Tests that need a Debian package mark it: `@pytest.mark.needs("wordnet")` (or "mythes", "chromium", "redis").
  When the package is missing they are skipped with a reason naming `make system-deps` (which installs them as
  root with apt-get, and which `make install`/`make test` run when they can); under CI=true a missing package
  fails instead, since .ci/run installs them.
- `chromium_driver`: one headless Chromium (selenium) per session for the browser tests.
"""
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]  # tests of the needs() marker run pytest on generated test files


@dataclass(frozen=True)
class SystemPackage:
    debian: str  # the Debian package(s) `make system-deps` installs
    paths: tuple[str, ...]  # files that must exist
    programs: tuple[str, ...] = ()  # programs that must be on PATH

    def missing(self) -> list[str]:
        return ([p for p in self.paths if not Path(p).exists()]
                + [p for p in self.programs if shutil.which(p) is None])


# Paths as the Debian packages install them (the same ones unspin.knowledge and the tests read).
SYSTEM_PACKAGES = {
    "wordnet": SystemPackage("wordnet-base", ("/usr/share/wordnet/data.noun",)),
    "mythes": SystemPackage("mythes-en-us", ("/usr/share/mythes/th_en_US_v2.dat",)),
    "chromium": SystemPackage("chromium chromium-driver", ("/usr/bin/chromium", "/usr/bin/chromedriver")),
    "redis": SystemPackage("redis-server", (), ("redis-server",)),
}


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "needs(*names): the test needs Debian packages (" + ", ".join(SYSTEM_PACKAGES) + "); skipped "
        "with a reason naming `make system-deps` when they are missing (a failure under CI=true)")


def missing_system_packages(names) -> list[str]:
    """Why each named system package is unusable here, e.g. 'wordnet-base (/usr/share/wordnet/data.noun)'."""
    out = []
    for name in names:
        if name not in SYSTEM_PACKAGES:
            raise pytest.UsageError(f"unknown system package {name!r} in a needs() marker; "
                                    f"known: {', '.join(SYSTEM_PACKAGES)}")
        pkg = SYSTEM_PACKAGES[name]
        gone = pkg.missing()
        if gone:
            out.append(f"{pkg.debian} (missing {', '.join(gone)})")
    return out


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    names = [n for mark in item.iter_markers("needs") for n in mark.args]
    missing = missing_system_packages(names)
    if missing:
        why = (f"needs the Debian package {'; '.join(missing)}: run `make system-deps` (as root, with apt-get) "
               "to install it")
        if os.environ.get("CI"):
            pytest.fail(why, pytrace=False)
        pytest.skip(why)


@pytest.fixture(scope="session")
def chromium_driver():
    """Headless Debian Chromium driven by selenium; use with @pytest.mark.needs("chromium")."""
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager reach the network
    os.environ.setdefault("SE_AVOID_STATS", "true")
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--disable-background-networking", "--window-size=1280,1300"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # console errors, for the page tests
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    d.set_page_load_timeout(30)
    yield d
    d.quit()


@pytest.fixture(autouse=True, scope="session")
def _isolated_user_state(tmp_path_factory):
    base = tmp_path_factory.mktemp("unspin-user")
    old = {k: os.environ.get(k) for k in ("UNSPIN_FINGERPRINTS_DB", "UNSPIN_DATA_DIR", "UNSPIN_CORPUS_DIR")}
    os.environ["UNSPIN_FINGERPRINTS_DB"] = str(base / "fingerprints.sqlite")
    os.environ["UNSPIN_DATA_DIR"] = str(base / "data")
    os.environ["UNSPIN_CORPUS_DIR"] = str(base / "no-corpus")
    yield
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
