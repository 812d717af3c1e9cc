"""Provenance links: from a figure on a comune page to the exact line of the source document."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

CREMA = "/comuni/019035/"


@pytest.mark.parametrize(
    "document, line_text",
    [
        ("/documenti/smart-polizia-locale-2025/", "CREMA"),  # SMART polizia locale 2025
        ("/documenti/burl-2018-so47/", "019035 Crema"),  # Fondo 0-6, BURL 2018 SO 47
    ],
)
def test_provenance_link_lands_on_the_line(browser, server, document, line_text):
    browser.get(server.url(CREMA))
    link = browser.find_element(By.CSS_SELECTOR, f"p.provenance a[href^='{document}#L']")
    href = link.get_attribute("href")
    fragment = urlsplit(href).fragment
    assert re.fullmatch(r"L\d+", fragment), href
    link.click()
    WebDriverWait(browser, 20).until(
        lambda d: (
            urlsplit(d.current_url).path == document
            and d.execute_script("return document.readyState") == "complete"
        )
    )
    assert urlsplit(browser.current_url).fragment == fragment
    # the browser scrolls to the target after layout; give it a moment to settle
    WebDriverWait(browser, 5).until(
        lambda d: d.execute_script(
            "var el = document.getElementById(arguments[0]); if (!el) return false;"
            "var r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight;",
            fragment,
        )
    )
    state = browser.execute_script(
        """
        var el = document.getElementById(arguments[0]);
        var r = el.getBoundingClientRect();
        return {target: document.querySelector(':target') === el, matches: el.matches(':target'),
                top: r.top, bottom: r.bottom, height: window.innerHeight,
                text: el.textContent, bg: getComputedStyle(el).backgroundColor};""",
        fragment,
    )
    assert state["target"] and state["matches"]
    assert 0 <= state["top"] and state["bottom"] <= state["height"], state
    assert line_text in state["text"], state["text"][:200]
    # the :target line is highlighted (site.css: --ca-target)
    assert state["bg"] not in ("rgba(0, 0, 0, 0)", "transparent"), state["bg"]
