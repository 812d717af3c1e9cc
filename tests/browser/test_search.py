"""/cerca/: Pagefind search with our own UI (static/js/search.js), in a real browser."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait
from support import _documents

FENEGRO = "/comuni/013100/"
SPELLINGS = ["Fenegrò", "fenegro", "FENEGRO'"]


def wait_results(drv, timeout: float = 20) -> list[dict]:
    """Wait until the search UI has answered; return the rendered results."""
    WebDriverWait(drv, timeout).until(
        lambda d: d.execute_script(
            "var r = document.querySelector('[data-search]');"
            "var s = document.getElementById('search-status');"
            "return !!(r && s && !r.hasAttribute('aria-busy') && s.textContent.trim());"
        )
    )
    return drv.execute_script("""
        return Array.from(document.querySelectorAll('#search-results > li')).map(function (li) {
          var a = li.querySelector('h2 a'), ex = li.querySelector('.search-result-excerpt');
          return {href: a.getAttribute('href'), title: a.textContent,
                  excerpt: ex ? ex.textContent : '', marks: li.querySelectorAll('mark').length};
        });""")


def status_text(drv) -> str:
    return drv.find_element(By.ID, "search-status").text


def test_search_ui_is_accessible_markup(browser, server):
    browser.get(server.url("/cerca/"))
    inp = browser.find_element(By.ID, "search-q")
    label = browser.find_element(By.CSS_SELECTOR, "label[for='search-q']")
    assert label.text.strip()
    assert inp.get_attribute("type") == "search"
    status = browser.find_element(By.ID, "search-status")
    assert status.get_attribute("role") == "status"
    assert status.get_attribute("aria-live") == "polite"
    assert browser.find_element(By.CSS_SELECTOR, "form[role='search']")


@pytest.mark.parametrize("query", SPELLINGS)
def test_query_param_finds_fenegro_whatever_the_spelling(browser, server, query):
    browser.get(server.url("/cerca/?" + urlencode({"q": query})))
    results = wait_results(browser)
    hrefs = [r["href"] for r in results]
    assert hrefs[0] == FENEGRO, f"{query!r}: Fenegrò is not the first result: {hrefs[:5]}"
    top = results[0]
    assert top["title"] == "Fenegrò"
    assert top["marks"] >= 1 and "Fenegr" in top["excerpt"]
    assert browser.find_element(By.ID, "search-q").get_attribute("value") == query
    status = status_text(browser)
    assert "risultat" in status and query in status


def test_home_form_to_results_to_comune(browser, server):
    browser.get(server.url("/"))
    box = browser.find_element(By.ID, "q")
    box.send_keys("FENEGRO'")
    box.send_keys(Keys.ENTER)
    WebDriverWait(browser, 10).until(lambda d: urlsplit(d.current_url).path == "/cerca/")
    assert parse_qs(urlsplit(browser.current_url).query)["q"] == ["FENEGRO'"]
    results = wait_results(browser)
    assert results[0]["href"] == FENEGRO
    browser.find_element(By.CSS_SELECTOR, f"#search-results a[href='{FENEGRO}']").click()
    WebDriverWait(browser, 10).until(lambda d: urlsplit(d.current_url).path == FENEGRO)
    assert browser.find_element(By.TAG_NAME, "h1").text == "Fenegrò"


def test_typing_searches_and_updates_the_url(browser, server):
    browser.get(server.url("/cerca/"))
    box = browser.find_element(By.ID, "search-q")
    box.send_keys("fenegro")
    WebDriverWait(browser, 20).until(
        lambda d: parse_qs(urlsplit(d.current_url).query).get("q") == ["fenegro"]
    )
    results = wait_results(browser)
    assert results[0]["href"] == FENEGRO


@pytest.mark.parametrize(
    "query, first",
    [
        ("crema", "/comuni/019035/"),  # not Cremasco, Cremia, Cremona
        ("Milano", "/comuni/015146/"),  # not Milo, Milanese
        ("bergamo", "/comuni/016024/"),
        ("fondo 0-6", "/programmi/fondo-0-6-riparto-2018/"),
    ],
)
def test_exact_title_comes_first(browser, server, query, first):
    browser.get(server.url("/cerca/?" + urlencode({"q": query})))
    hrefs = [r["href"] for r in wait_results(browser)]
    assert hrefs[0] == first, hrefs[:5]


def test_more_results_on_demand(browser, server):
    browser.get(server.url("/cerca/?q=crema"))
    first = wait_results(browser)
    assert len(first) == 10
    more = browser.find_element(By.CSS_SELECTOR, ".search-more")
    assert more.is_displayed()
    more.click()
    WebDriverWait(browser, 10).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "#search-results > li")) == 20
    )
    # focus moves to the first new result, so keyboard users continue from there
    focused = browser.switch_to.active_element
    assert focused.tag_name == "a"
    items = browser.find_elements(By.CSS_SELECTOR, "#search-results > li")
    assert items[10].find_element(By.TAG_NAME, "a") == focused


def test_no_results_is_announced(browser, server):
    browser.get(server.url("/cerca/?q=zzxqjw"))
    assert wait_results(browser) == []
    assert status_text(browser).startswith("Nessun risultato")


def test_excerpt_is_built_as_text_and_mark_only(browser, server):
    browser.get(server.url("/cerca/"))
    out = browser.execute_script("""
        var f = window.comuniApertiSearch.excerptNodes(
          'a <img src=x onerror="window.__pwned=1"><mark>b</mark> &lt;c&gt; &amp; d&#39;e <script>x</script>');
        var div = document.createElement('div'); div.appendChild(f);
        return {text: div.textContent, tags: Array.from(div.querySelectorAll('*')).map(function (e) {
                  return e.tagName; }), pwned: !!window.__pwned};""")
    assert out["tags"] == ["MARK"]
    assert out["text"] == "a b <c> & d'e x"
    assert not out["pwned"]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Fenegrò", "fenegrò"),
        ("FENEGRO'", "fenegro"),
        ("fenegro’", "fenegro"),
        ("Sant'Angelo Lodigiano", "sant angelo lodigiano"),
        ("  Cassano   d’Adda ", "cassano d adda"),
        ("Città", "città"),  # Pagefind folds accents itself
    ],
)
def test_query_normalisation(browser, server, raw, expected):
    browser.get(server.url("/cerca/"))
    assert (
        browser.execute_script("return window.comuniApertiSearch.normaliseQuery(arguments[0])", raw)
        == expected
    )


def test_rerank_key_ignores_accents_apostrophes_and_province(browser, server):
    browser.get(server.url("/cerca/"))
    keys = browser.execute_script(
        "return arguments[0].map(window.comuniApertiSearch.foldKey)",
        ["Fenegrò (CO)", "FENEGRO'", "Sant’Angelo Lodigiano"],
    )
    assert keys == ["fenegro", "fenegro", "sant angelo lodigiano"]


def _kinds(drv) -> list[tuple[str, str]]:
    return drv.execute_script("""
        return Array.from(document.querySelectorAll('#search-results > li')).map(function (li) {
          var k = li.querySelector('.search-result-kind');
          return [li.querySelector('h2 a').getAttribute('href'), k ? k.textContent : ''];
        });""")


@pytest.mark.parametrize("doc_id", sorted(_documents()))
def test_every_document_is_found_with_its_kind(browser, server, doc_id):
    """Every document of the manifest (a new one with no spec included) is found by words
    of its title, and the result says it is a document."""
    title = _documents()[doc_id].meta["title"]
    words = [w for w in re.split(r"[\s'’,:()]+", title) if len(w) > 6][:5]
    browser.get(server.url("/cerca/?" + urlencode({"q": " ".join(words)})))
    wait_results(browser)
    url = f"/documenti/{doc_id}/"
    for _ in range(4):  # "more results" until the document shows
        kinds = dict(_kinds(browser))
        more = browser.find_elements(By.CSS_SELECTOR, ".search-more")
        if url in kinds or not more or not more[0].is_displayed():
            break
        more[0].click()
        WebDriverWait(browser, 10).until(lambda d: len(_kinds(d)) > len(kinds))
    assert kinds.get(url) == "Documento", (words, kinds)


def test_an_act_is_found_by_its_number_with_its_kind(browser, server):
    browser.get(server.url("/cerca/?" + urlencode({"q": "16506"})))
    wait_results(browser)
    acts = {h: k for h, k in _kinds(browser) if "/atti/" in h}
    assert "/documenti/burl-2018-so47/atti/dds-2018-11-14-16506/" in acts, _kinds(browser)
    assert set(acts.values()) == {"Atto"}


# The index is built in bundles (comune pages by province, the rest apart) and merged into
# one (generator/search.py): a comune of seven provinces from Piemonte to Sicilia is found
# first by its name (each of the 107 province bundles is checked page for page by
# tests/reliability/test_search_bundles.py), and the filters list the values of every
# bundle.
ONE_COMUNE_PER_BUNDLE = {
    "provincia-01-001": ("Ivrea", "/comuni/001125/"),
    "provincia-03-013": ("Fenegrò", FENEGRO),
    "provincia-03-020": ("Sabbioneta", "/comuni/020054/"),
    "provincia-05-024": ("Bassano del Grappa", "/comuni/024012/"),
    "provincia-10-054": ("Gubbio", "/comuni/054024/"),
    "provincia-13-066": ("Sulmona", "/comuni/066098/"),
    "provincia-19-082": ("Cefalù", "/comuni/082027/"),
}


def test_a_comune_of_every_bundle_is_found_first(browser, server, reg):
    from generator import search

    provinces = search.page_provinces(reg)
    for bundle, (name, url) in ONE_COMUNE_PER_BUNDLE.items():
        assert search.bundle_of(url.strip("/") + "/index.html", provinces) == bundle, name
        browser.get(server.url("/cerca/?" + urlencode({"q": name})))
        hrefs = [r["href"] for r in wait_results(browser)]
        assert hrefs and hrefs[0] == url, (bundle, name, hrefs[:5])


def _options(drv, name: str) -> dict[str, str]:
    return drv.execute_script(
        "return Array.from(document.getElementById('filtro-' + arguments[0]).options)"
        ".slice(1).map(function (o) { return [o.value, o.textContent]; });",
        name,
    )


def test_the_filters_list_the_values_of_every_bundle(browser, server, reg):
    browser.get(server.url("/cerca/"))
    browser.find_element(By.ID, "search-q").click()  # the focus loads the filters
    WebDriverWait(browser, 20).until(lambda d: len(_options(d, "regione")) > 0)
    regions = dict(_options(browser, "regione"))
    assert set(regions) == {c.region for c in reg.current.values()}
    provinces = dict(_options(browser, "provincia"))
    assert {"Como", "Lecce", "Palermo", "Torino"} <= set(provinces)
    # the counts add up across the bundles: every comune page, of whatever region
    kinds = {k: int(re.sub(r"\D", "", v)) for k, v in _options(browser, "tipo")}
    assert kinds["Comune"] == len(reg.current)
    assert kinds["Comune storico"] == len(reg.historical)
    assert {"Atto", "Programma", "Provincia"} <= set(kinds), kinds


def test_a_filter_keeps_the_pages_of_its_region(browser, server):
    browser.get(server.url("/cerca/?" + urlencode({"q": "cefalu", "regione": "Sicilia"})))
    hrefs = [r["href"] for r in wait_results(browser)]
    assert hrefs and hrefs[0] == "/comuni/082027/"
    browser.get(server.url("/cerca/?" + urlencode({"q": "cefalu", "regione": "Lombardia"})))
    assert "/comuni/082027/" not in [r["href"] for r in wait_results(browser)]


def _all_result_urls(drv, query: str) -> list[str]:
    """Every page Pagefind finds for ``query`` (not only the ten the UI shows first)."""
    drv.set_script_timeout(60)
    urls = drv.execute_async_script(
        """
        var q = arguments[0], done = arguments[arguments.length - 1];
        import('/pagefind/pagefind.js')
          .then(function (pf) { return pf.search(q); })
          .then(function (s) { return Promise.all(s.results.map(function (r) { return r.data(); })); })
          .then(function (ds) { done(ds.map(function (d) { return d.url; })); })
          .catch(function (e) { done('error: ' + e); });
        """,
        query,
    )
    assert isinstance(urls, list), urls
    return urls


def test_a_programme_is_found_on_its_comuni_not_on_the_rest_of_its_region(
    browser, server, site_root
):
    """A comune page says which programmes of its area leave it out ("Dove non compare"),
    but that list is not indexed: a search for the SMART groups finds the comuni in them,
    not the 1,100 other Lombard comuni the list names it on."""
    import json

    slug = "smart-polizia-locale-2025"
    browser.get(server.url("/cerca/"))
    urls = _all_result_urls(browser, "SMART")
    comuni = {u.split("/")[2] for u in urls if re.fullmatch(r"/comuni/\d{6}/", u)}
    assert f"/programmi/{slug}/" in urls
    inside, left_out = set(), set()
    for twin in (site_root / "comuni").glob("*/index.json"):
        d = json.loads(twin.read_text(encoding="utf-8"))
        if any(p.get("programme") == slug for p in d["summary"]):
            inside.add(d["istat"])
        elif any(g["programme"] == slug for g in d["gaps"]):
            left_out.add(d["istat"])
    assert len(inside) > 300 and len(left_out) > 1000, (len(inside), len(left_out))
    assert not comuni & left_out, sorted(comuni & left_out)[:5]
    assert comuni <= inside, sorted(comuni - inside)[:5]
    assert len(comuni) > 0.9 * len(inside), (len(comuni), len(inside))
