"""Screenshots of the four page kinds (+ search results) at 1280 px and 375 px, saved to
artifacts/screenshots/<kind>-<width>.png (git-ignored) for a human to look at, plus the one
thing a machine can judge: nothing makes the page scroll sideways (WCAG 1.4.10 Reflow).
"""

from __future__ import annotations

import base64

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from browser_support import ARTIFACTS, DESKTOP, MOBILE, PAGES, SEARCH_PAGE, KnownIssue

OUT = ARTIFACTS / "screenshots"
MAX_HEIGHT = 4000  # px of page captured (long documents are cut)
ALL_PAGES = {**PAGES, "search": SEARCH_PAGE}
VIEWPORTS = {"1280": DESKTOP, "375": MOBILE}

# (kind, viewport) -> reported cause; such a case is an expected failure (strict).
KNOWN_OVERFLOW: dict[tuple[str, str], str] = {}


def _params():
    for kind in ALL_PAGES:
        for vp in VIEWPORTS:
            marks = []
            if (kind, vp) in KNOWN_OVERFLOW:
                marks.append(
                    pytest.mark.xfail(
                        raises=KnownIssue, strict=True, reason=KNOWN_OVERFLOW[(kind, vp)]
                    )
                )
            yield pytest.param(kind, vp, id=f"{kind}-{vp}", marks=marks)


def set_viewport(drv, width, height, mobile):
    drv.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
    )


def capture(drv, path):
    m = drv.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = m.get("cssContentSize") or m["contentSize"]
    width = m.get("cssLayoutViewport", m["layoutViewport"])["clientWidth"]
    height = min(MAX_HEIGHT, int(size["height"]))
    shot = drv.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "fromSurface": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
        },
    )
    path.write_bytes(base64.b64decode(shot["data"]))


@pytest.mark.parametrize("kind, vp", list(_params()))
def test_screenshot_and_no_horizontal_scroll(browser, server, kind, vp):
    OUT.mkdir(parents=True, exist_ok=True)
    width, height = VIEWPORTS[vp]
    set_viewport(browser, width, height, mobile=(vp == "375"))
    try:
        browser.get(server.url(ALL_PAGES[kind]))
        WebDriverWait(browser, 20).until(
            lambda d: d.execute_script("return document.readyState") == "complete"
        )
        if kind == "search":
            WebDriverWait(browser, 20).until(
                lambda d: d.execute_script(
                    "var s = document.getElementById('search-status');"
                    "return !!(s && s.textContent.trim()) && !document.querySelector('[aria-busy]');"
                )
            )
        browser.execute_async_script(
            "var done = arguments[0]; document.fonts.ready.then(function () { done(); });"
        )
        target = OUT / f"{kind}-{vp}.png"
        capture(browser, target)
        assert target.stat().st_size > 5000
        # With mobile emulation an overflowing page widens the layout viewport (the phone
        # zooms out): compare with the device width, not with clientWidth.
        overflow = browser.execute_script(
            """
            var vw = arguments[0], bad = [];
            function over(el) {
              var r = el.getBoundingClientRect();
              return r.width > 0 && r.right > vw + 1;
            }
            function name(el) {
              var c = typeof el.className === 'string' && el.className.trim() ?
                '.' + el.className.trim().split(/\\s+/).join('.') : '';
              return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + c;
            }
            /* innermost overflowing elements, outside the scroll containers meant for it */
            document.querySelectorAll('body *').forEach(function (el) {
              if (!over(el) || el.closest('.table-wrap, .doc-text')) return;
              if (Array.prototype.some.call(el.children, over)) return;
              bad.push(name(el) + ' (' + (el.textContent || '').trim().slice(0, 40) + ') right=' +
                       Math.round(el.getBoundingClientRect().right));
            });
            return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
                    vw: vw, bad: bad.slice(0, 10)};""",
            width,
        )
        ok = overflow["scroll"] <= width and overflow["inner"] == width
        if not ok and (kind, vp) in KNOWN_OVERFLOW:
            raise KnownIssue(f"{kind} at {vp} px scrolls sideways: {overflow}")
        assert ok, f"{kind} at {vp} px scrolls sideways (WCAG 1.4.10): {overflow}"
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
