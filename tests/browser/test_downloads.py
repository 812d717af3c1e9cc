"""CSV downloads, fetched by the browser from the link a visitor would click."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By

FETCH = """
var href = arguments[0], done = arguments[arguments.length - 1];
fetch(href, {cache: 'no-store'}).then(function (r) {
  return r.arrayBuffer().then(function (buf) {
    var text = new TextDecoder('utf-8').decode(buf);
    done({status: r.status, type: r.headers.get('content-type'), size: buf.byteLength,
          bom: text.charCodeAt(0) === 0xFEFF, first: text.replace(/^\\uFEFF/, '').split(/\\r?\\n/)[0]});
  });
}).catch(function (e) { done({error: String(e)}); });
"""


@pytest.mark.parametrize(
    "page, selector",
    [
        ("/comuni/019035/", "a[href$='/index.csv']"),
        (
            "/programmi/fondo-0-6-riparto-2018/",
            "a[href='/data/fondo-0-6-riparto-2018/riparto.csv']",
        ),
    ],
)
def test_csv_link_downloads_csv(browser, server, site_root, page, selector):
    browser.get(server.url(page))
    link = browser.find_element(By.CSS_SELECTOR, selector)
    assert (
        "csv" in link.text.lower()
        or link.get_attribute("download") is not None
        or link.text.strip()
    ), "the link needs a visible name"
    href = link.get_attribute("href")
    res = browser.execute_async_script(FETCH, href)
    assert "error" not in res, res
    assert res["status"] == 200
    assert res["type"].split(";")[0].strip() == "text/csv", res["type"]
    assert res["size"] > 0
    on_disk = (site_root / urlsplit(href).path.lstrip("/")).read_text(encoding="utf-8-sig")
    assert res["first"] == on_disk.splitlines()[0]
    header = res["first"].split(",")
    assert len(header) >= 3 and all(h.strip() for h in header), res["first"]
    if page.startswith("/comuni/"):
        assert header[:3] == ["istat", "comune", "programma"]
