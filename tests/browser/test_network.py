"""Privacy and hygiene: pages talk only to their own origin and log no errors.

Requests are read from Chrome's performance log (CDP Network events, ``goog:loggingPrefs``);
console errors from the browser log (level SEVERE). The server sends netlify.toml's CSP, so a
CSP violation (inline script/style, foreign font, …) shows up here as a SEVERE entry.
"""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from browser_support import PAGES, SEARCH_PAGE, KnownIssue, foreign_requests, requested_urls

ALL_PAGES = {**PAGES, "search": SEARCH_PAGE}

# Console errors already reported for the templates/CSS, by name -> regex. While an entry
# matches, the console test of that page raises KnownIssue; mark the page's param with
# CONSOLE_XFAIL (strict) meanwhile, and drop both once fixed. None at the moment (fixed: the
# Bootstrap Italia VideoJS data: font blocked by the CSP; the missing favicon).
KNOWN_CONSOLE: dict[str, re.Pattern] = {}
CONSOLE_XFAIL: dict[str, pytest.MarkDecorator] = {}  # page id -> xfail marker


def load(drv, server, path):
    drv.get(server.url(path))
    WebDriverWait(drv, 20).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )
    if path.startswith("/cerca/"):
        WebDriverWait(drv, 20).until(
            lambda d: d.execute_script(
                "var s = document.getElementById('search-status');"
                "return !!(s && s.textContent.trim()) && !document.querySelector('[aria-busy]');"
            )
        )
    # let lazy images and late requests (fonts, maps) start
    drv.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    drv.execute_async_script("var done = arguments[0]; setTimeout(done, 300);")


@pytest.mark.parametrize("path", list(ALL_PAGES.values()), ids=list(ALL_PAGES))
def test_no_requests_to_other_hosts(browser, server, path):
    load(browser, server, path)
    urls = requested_urls(browser.get_log("performance"))
    assert any(u.startswith(server.url(path.split("?")[0])) for u in urls), urls[:5]
    assert foreign_requests(urls, server.base) == []


@pytest.mark.parametrize(
    "path", [pytest.param(p, id=k, marks=CONSOLE_XFAIL.get(k, ())) for k, p in ALL_PAGES.items()]
)
def test_no_console_errors(browser, server, path):
    load(browser, server, path)
    severe = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    unknown = [m for m in severe if not any(p.search(m) for p in KNOWN_CONSOLE.values())]
    assert unknown == [], "\n".join(m[:300] for m in unknown)
    known = sorted({k for k, p in KNOWN_CONSOLE.items() for m in severe if p.search(m)})
    if known:
        raise KnownIssue("known console errors: " + ", ".join(known))


def test_favicon(browser, server):
    """Browsers ask for an icon on every first visit: a missing one is a 404 console error."""
    browser.get(server.url("/"))
    href = browser.execute_script(
        "var l = document.querySelector('link[rel~=\"icon\"]'); return l ? l.href : null;"
    )
    assert href, "no <link rel=icon>: browsers fall back to /favicon.ico"
    assert foreign_requests([href], server.base) == []
    status = browser.execute_async_script(
        "var done = arguments[1]; fetch(arguments[0]).then(function (r) { done(r.status); },"
        " function () { done(0); });",
        href,
    )
    assert status == 200, f"{href}: HTTP {status}"
