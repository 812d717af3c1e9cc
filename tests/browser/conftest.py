"""Real-browser tests: the built site served on 127.0.0.1 and driven by Debian Chromium.

Fixtures
- ``site_root``: the site built once per session (``built_site`` from tests/conftest.py), or
  an already built directory named by ``COMUNI_APERTI_SITE`` (must contain ``pagefind/``;
  handy while iterating: ``COMUNI_APERTI_SITE=site pytest tests/browser``).
- ``server``: a threaded ``http.server`` on a random free port of 127.0.0.1 serving
  ``site_root`` with the response headers declared in netlify.toml (so the browser enforces
  the production CSP during the tests) and Netlify's 404 page.
- ``driver``: one headless Chromium for the session, with ``goog:loggingPrefs`` performance +
  browser logs; ``browser`` hands it to a test on about:blank, 1280 px wide, logs drained.

Every test here gets the ``browser`` marker; all are skipped, with the reason, if selenium,
chromium or chromedriver is missing.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from browser_support import (
    CHROMEDRIVER_CANDIDATES,
    CHROMIUM_CANDIDATES,
    DESKTOP,
    ROOT,
    StaticServer,
    chrome_options,
    drain_logs,
    which,
)

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def site_root(request) -> Path:
    env = os.environ.get("COMUNI_APERTI_SITE")
    if env:
        p = Path(env)
        if not p.is_absolute():
            p = ROOT / p
        if not (p / "index.html").is_file() or not (p / "pagefind" / "pagefind.js").is_file():
            pytest.fail(f"COMUNI_APERTI_SITE={env}: not a built site with a Pagefind index")
        return p
    site, summary = request.getfixturevalue("built_site")
    if not (site / "pagefind" / "pagefind.js").is_file():
        pytest.fail("the build wrote no pagefind/ index: " + "; ".join(summary["problems"][:5]))
    return site


@pytest.fixture(scope="session")
def server(site_root):
    with StaticServer(site_root) as s:
        yield s


@pytest.fixture(scope="session")
def driver(tmp_path_factory):
    pytest.importorskip("selenium", reason="selenium is not installed (pip install -e '.[dev]')")
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    chromium = which(CHROMIUM_CANDIDATES)
    chromedriver = which(CHROMEDRIVER_CANDIDATES)
    if not chromium or not chromedriver:
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(
                f"REQUIRE_BROWSER is set but chromium ({chromium}) or chromedriver "
                f"({chromedriver}) is missing"
            )
        pytest.skip(
            "browser tests need Debian chromium and chromium-driver "
            f"(chromium: {chromium or 'missing'}, chromedriver: {chromedriver or 'missing'});"
            " install them with `make system-deps`"
        )
    os.environ.setdefault("SE_AVOID_STATS", "true")
    profile = tempfile.mkdtemp(prefix="chromium-", dir=tmp_path_factory.getbasetemp())
    try:
        drv = webdriver.Chrome(service=Service(chromedriver), options=chrome_options(profile))
    except WebDriverException as e:
        shutil.rmtree(profile, ignore_errors=True)
        pytest.skip(f"could not start {chromium} through {chromedriver}: {e.msg or e}")
    drv.set_page_load_timeout(30)
    drv.set_script_timeout(30)
    try:
        yield drv
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture()
def browser(driver):
    """The session browser on about:blank, desktop viewport, reduced motion, empty logs.

    prefers-reduced-motion: reduce turns off Bootstrap's smooth scrolling, which would make
    chromedriver click where an element was before the scroll animation ended."""
    driver.get("about:blank")
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-reduced-motion", "value": "reduce"}]},
    )
    driver.set_window_size(*DESKTOP)
    drain_logs(driver)
    return driver
