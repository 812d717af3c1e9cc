"""The built site, read like a visitor and like an analyst would."""

import csv
import json

from generator import registry


def test_one_page_per_comune_with_registry_facts(built_site):
    site, _ = built_site
    reg = registry.load()
    dirs = {p.name for p in (site / "comuni").iterdir() if p.is_dir()}
    assert set(reg.current) <= dirs
    assert len(set(reg.current)) >= 7899
    for istat, c in reg.current.items():
        data = json.loads((site / "comuni" / istat / "index.json").read_text(encoding="utf-8"))
        assert (
            data["istat"],
            data["name"],
            data["cadastral_code"],
            data["province"]["sigla"],
            data["region"],
            data["population"],
            data["population_0_6"],
        ) == (
            c.istat,
            c.name,
            c.cadastral_code,
            c.province_sigla,
            c.region,
            c.population,
            c.population_0_6,
        )


def test_comune_page_shows_identity_in_italian(built_site):
    site, _ = built_site
    html = (site / "comuni/016024/index.html").read_text(encoding="utf-8")
    assert '<html lang="it">' in html
    assert "<h1>Bergamo</h1>" in html
    assert "016024" in html and "A794" in html
    pop = registry.load().current["016024"].population
    assert f"{pop:,}".replace(",", ".") in html  # it-IT thousands separator
    assert 'href="/province/BG/"' in html
    assert "Come citare" in html
    rows = list(csv.reader((site / "comuni/016024/index.csv").open(encoding="utf-8")))
    assert rows[0][:3] == ["istat", "comune", "programma"]


def test_province_and_index_pages(built_site):
    site, _ = built_site
    reg = registry.load()
    for sigla, p in reg.provinces.items():
        html = (site / "province" / sigla / "index.html").read_text(encoding="utf-8")
        assert html.count('href="/comuni/') >= len(p["comuni"])
    idx = (site / "comuni/index.html").read_text(encoding="utf-8")
    assert "Lombardia" in idx and 'href="/province/MI/"' in idx


def test_comuni_package_is_valid_and_complete(built_site):
    site, _ = built_site
    dp = json.loads((site / "data/comuni/datapackage.json").read_text())
    assert dp["licenses"][0]["name"] == "CC-BY-4.0"
    val = json.loads((site / "data/comuni/validation.json").read_text())
    assert val["valid"] is True
    rows = list(csv.DictReader((site / "data/comuni/comuni.csv").open(encoding="utf-8")))
    current = [r for r in rows if r["esistente"] == "true"]
    assert len(current) == len(registry.load().current)
    assert {"istat": "016024", "nome": "Bergamo"}.items() <= rows[
        [r["istat"] for r in rows].index("016024")
    ].items()
    excel = (site / "data/comuni/comuni.excel.csv").read_bytes()
    assert excel.startswith(b"\xef\xbb\xbf") and b";" in excel.splitlines()[0]


def test_site_files(built_site):
    site, _ = built_site
    for f in (
        "index.html",
        "404.html",
        "robots.txt",
        "sitemap.xml",
        "feed.xml",
        "dati/index.html",
        "dati/qualita/index.html",
        "dati/qualita/quality.json",
        "pagefind/pagefind.js",
    ):
        assert (site / f).is_file(), f
    sitemap = (site / "sitemap.xml").read_text()
    assert sitemap.count("<loc>") > 7899
    assert "/comuni/016024/</loc>" in sitemap
    assert "Sitemap:" in (site / "robots.txt").read_text()


def test_no_broken_internal_links_or_anchors(built_site):
    from generator.check import broken_links

    site, _ = built_site
    assert broken_links(site) == []


def test_link_checker_catches_breakage(tmp_path):
    from generator.check import broken_links

    (tmp_path / "a").mkdir()
    (tmp_path / "a/index.html").write_text(
        '<p id="x">ok</p><a href="#x">in</a><a href="/b/">missing</a><a href="/a/#nope">bad</a>'
    )
    assert broken_links(tmp_path) == ["a/index.html: /b/", "a/index.html: /a/#nope (anchor)"]


def test_programme_twin_mirrors_the_page_and_long_tables_have_their_own(built_site):
    """The programme page's JSON twin has what the page shows: for a long table the first
    PREVIEW_ROWS rows, its full count, and where the whole table is (its page, its data)."""
    from generator.render import PREVIEW_ROWS

    site, _ = built_site
    slug = "sovrimposta-fabbricati-1983"
    twin = json.loads((site / "programmi" / slug / "index.json").read_text(encoding="utf-8"))
    rates = next(t for t in twin["tables"] if t["name"] == "aliquote")
    assert rates["count"] == 7970 and len(rates["rows"]) == PREVIEW_ROWS == rates["preview"]
    assert {d["title"] for d in rates["downloads"]} == {"CSV", "CSV per Excel", "JSON"}
    full = (site / rates["url"].lstrip("/") / "index.html").read_text(encoding="utf-8")
    assert full.count("<tr") == 7970 + 1  # the header row + every data row
    data = json.loads((site / rates["downloads"][2]["url"].lstrip("/")).read_text(encoding="utf-8"))
    assert isinstance(data, list) and len(data) == 7970
