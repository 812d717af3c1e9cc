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

# Console errors already reported (see the report / tests/browser/README.md), matched by regex.
# They turn the console test into an expected failure (strict): fix them, then drop the entry.
KNOWN_CONSOLE = {
    "videojs-data-font": re.compile(
        r"Loading the font 'data:application/font-woff.*violates the following Content "
        r"Security Policy directive: \"font-src 'self'\""),
}
# The browser asks for /favicon.ico once per origin, on whichever page comes first: covered
# deterministically by test_favicon below, ignored by the per-page console check.
FAVICON_404 = re.compile(r"/favicon\.ico - Failed to load resource")

CONSOLE_XFAIL = pytest.mark.xfail(
    raises=KnownIssue, strict=True,
    reason="Bootstrap Italia CSS declares @font-face VideoJS with a data: URL; the CSP "
           "font-src 'self' blocks it and Chrome logs a SEVERE error on every page")


def load(drv, server, path):
    drv.get(server.url(path))
    WebDriverWait(drv, 20).until(lambda d: d.execute_script("return document.readyState") == "complete")
    if path.startswith("/cerca/"):
        WebDriverWait(drv, 20).until(lambda d: d.execute_script(
            "var s = document.getElementById('search-status');"
            "return !!(s && s.textContent.trim()) && !document.querySelector('[aria-busy]');"))
    # let lazy images and late requests (fonts, maps) start
    drv.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    drv.execute_async_script("var done = arguments[0]; setTimeout(done, 300);")


@pytest.mark.parametrize("path", list(ALL_PAGES.values()), ids=list(ALL_PAGES))
def test_no_requests_to_other_hosts(browser, server, path):
    load(browser, server, path)
    urls = requested_urls(browser.get_log("performance"))
    assert any(u.startswith(server.url(path.split("?")[0])) for u in urls), urls[:5]
    assert foreign_requests(urls, server.base) == []


@pytest.mark.parametrize("path", [pytest.param(p, id=k, marks=CONSOLE_XFAIL)
                                  for k, p in ALL_PAGES.items()])
def test_no_console_errors(browser, server, path):
    load(browser, server, path)
    severe = [e["message"] for e in browser.get_log("browser")
              if e["level"] == "SEVERE" and not FAVICON_404.search(e["message"])]
    unknown = [m for m in severe if not any(p.search(m) for p in KNOWN_CONSOLE.values())]
    assert unknown == [], "\n".join(m[:300] for m in unknown)
    known = sorted({k for k, p in KNOWN_CONSOLE.items() for m in severe if p.search(m)})
    if known:
        raise KnownIssue("known console errors: " + ", ".join(known))


@pytest.mark.xfail(raises=KnownIssue, strict=True,
                   reason="no favicon: every first visit logs GET /favicon.ico 404 as a console "
                          "error (add static/favicon.svg + <link rel=\"icon\"> in base.html)")
def test_favicon(browser, server):
    browser.get(server.url("/"))
    href = browser.execute_script(
        "var l = document.querySelector('link[rel~=\"icon\"]'); return l ? l.href : '/favicon.ico';")
    status = browser.execute_async_script(
        "var done = arguments[1]; fetch(arguments[0]).then(function (r) { done(r.status); },"
        " function () { done(0); });", href)
    if status != 200 and href.endswith("/favicon.ico"):
        raise KnownIssue(f"{href}: HTTP {status}")
    assert status == 200, f"{href}: HTTP {status}"
    assert foreign_requests([href], server.base) == []
