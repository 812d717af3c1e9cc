"""The comune page at a glance in a real browser: comparing two comuni (a built page for
neighbours, with JavaScript off; any pair with it), the search filters, and the five comuni
the issue names at phone width (no sideways scroll, axe clean)."""

from __future__ import annotations

import json

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from browser_support import MOBILE
from test_a11y import describe, run_axe

FIVE = ["016024", "015146", "019035", "016064", "001272"]


def wait_search(drv):
    WebDriverWait(drv, 20).until(
        lambda d: d.execute_script(
            "var s = document.getElementById('search-status');"
            "return !!(s && s.textContent.trim()) && !document.querySelector('[aria-busy]');"
        )
    )


def test_compare_neighbours_without_javascript(browser, server, site_root):
    twin = json.loads((site_root / "comuni/019035/index.json").read_text(encoding="utf-8"))
    n = twin["neighbours"][0]
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        browser.get(server.url("/comuni/019035/"))
        link = browser.find_element(By.CSS_SELECTOR, f'.compare-links a[href="{n["compare"]}"]')
        link.click()
        WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith(n["compare"]))
        h1 = browser.find_element(By.TAG_NAME, "h1").text
        assert h1 == f"Crema e {n['name']} a confronto"
        cells = [c.text for c in browser.find_elements(By.CSS_SELECTOR, "table.data td")]
        assert "33.786" in cells  # Crema's population
        assert not browser.find_elements(By.CSS_SELECTOR, "form.compare-form")  # no script ran
    finally:
        browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})


def test_compare_any_pair_with_javascript(browser, server):
    # Crema and Bergamo do not border each other: no page of their own, netlify.toml
    # rewrites the address to /confronta/ and the script draws the comparison
    browser.get(server.url("/confronta/019035-016024/"))
    WebDriverWait(browser, 20).until(
        lambda d: d.execute_script(
            "return !!document.querySelector('[data-compare-result] table') && "
            "!document.querySelector('[aria-busy]');"
        )
    )
    assert browser.find_element(By.TAG_NAME, "h1").text == "Crema e Bergamo a confronto"
    rows = {
        r.find_element(By.TAG_NAME, "th").text: [c.text for c in r.find_elements(By.TAG_NAME, "td")]
        for r in browser.find_elements(By.CSS_SELECTOR, "[data-compare-result] tbody tr")
    }
    assert rows["Popolazione (ISTAT 2023)"] == ["33.786", "119.534"]
    assert rows["Fondo 0-6 (2018): riparto"] == [
        "€ 137.498,50",
        "€ 543.871,79",
    ]  # .text: nbsp -> " "
    # the form: choose another pair from the A-Z list
    a = browser.find_element(By.ID, "compare-a")
    b = browser.find_element(By.ID, "compare-b")
    a.clear()
    a.send_keys("Torino (TO)")
    b.clear()
    b.send_keys("Milano (MI)")
    WebDriverWait(browser, 20).until(
        lambda d: d.execute_script(
            "return document.querySelectorAll('#compare-comuni option').length > 7000;"
        )
    )
    browser.find_element(By.CSS_SELECTOR, "form.compare-form button[type=submit]").click()
    WebDriverWait(browser, 20).until(
        lambda d: "Torino e Milano" in d.find_element(By.TAG_NAME, "h1").text
    )
    assert browser.current_url.endswith("/confronta/?a=001272&b=015146")
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def test_search_filters_by_kind_region_province_and_programme(browser, server):
    browser.get(server.url("/cerca/"))
    box = browser.find_element(By.ID, "search-q")
    box.click()  # loads Pagefind and its filters
    WebDriverWait(browser, 20).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "#filtro-regione option")) > 10
    )
    Select(browser.find_element(By.ID, "filtro-tipo")).select_by_value("Provincia")
    wait_search(browser)
    Select(browser.find_element(By.ID, "filtro-regione")).select_by_value("Lombardia")
    WebDriverWait(browser, 20).until(
        lambda d: "Lombardia" in d.find_element(By.ID, "search-status").text
    )
    wait_search(browser)
    assert browser.find_element(By.ID, "search-status").text.startswith("12 risultati")
    kinds = {k.text for k in browser.find_elements(By.CSS_SELECTOR, ".search-result-kind")}
    assert kinds == {"Provincia"}
    # words and a programme: the comuni of that programme only, each result says its kind
    browser.get(
        server.url("/cerca/?q=crema&tipo=Comune&programma=" + "SMART polizia locale (2025)")
    )
    wait_search(browser)
    titles = [t.text for t in browser.find_elements(By.CSS_SELECTOR, ".search-result-title")]
    assert titles[0] == "Crema"
    assert {k.text for k in browser.find_elements(By.CSS_SELECTOR, ".search-result-kind")} == {
        "Comune"
    }
    browser.get(server.url("/cerca/?provincia=Cremona&tipo=Comune"))
    wait_search(browser)
    assert browser.find_element(By.ID, "search-status").text.startswith("113 risultati")


@pytest.mark.parametrize("istat", FIVE)
def test_five_comuni_at_phone_width(browser, server, axe_source, istat):
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": MOBILE[0], "height": MOBILE[1], "deviceScaleFactor": 1, "mobile": True},
    )
    browser.get(server.url(f"/comuni/{istat}/"))
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= MOBILE[0], f"{istat} scrolls sideways: {width} px"
    # "In sintesi" comes first, within the first screen of a phone
    top = browser.execute_script(
        "var s = document.getElementById('in-sintesi'); return s ? s.getBoundingClientRect().top : null;"
    )
    if istat != "001272" or top is not None:
        assert top is not None and top < MOBILE[1]
    res = run_axe(browser, axe_source)
    assert res["violations"] == [], describe(res["violations"])


@pytest.fixture(scope="module")
def axe_source():
    from browser_support import VENDOR

    return (VENDOR / "axe.min.js").read_text(encoding="utf-8")
