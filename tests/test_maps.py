"""Maps on real ISTAT 2023 boundaries: province locators, overlays, choropleths.

The geometry store is built once per session into a temporary cache directory (cold,
a few seconds), then reloaded from it to check the cache.
"""

from __future__ import annotations

import re
import statistics
import xml.etree.ElementTree as ET

import pytest

from generator import maps

NS = {"s": "http://www.w3.org/2000/svg"}
SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script> & Co\'s <b>'


@pytest.fixture(scope="module")
def geo(tmp_path_factory):
    cache = tmp_path_factory.mktemp("maps-cache")
    built = maps.Geometry.load(cache)
    assert built.meta["from_cache"] is False
    loaded = maps.Geometry.load(cache)  # warm: from the pickle
    assert loaded.meta["from_cache"] is True
    assert loaded.key == built.key and set(loaded.layers) == set(built.layers)
    for k in ("province:BG", "region:03", "italy", "italy:province"):
        assert loaded.layer(k).to_dict() == built.layer(k).to_dict()
    maps.use_geometry(loaded)
    yield loaded
    maps.use_geometry(None)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_cache_file_keyed_by_inputs(geo, tmp_path):
    assert re.fullmatch(r"[0-9a-f]{20}", geo.key)
    assert geo.key == maps.Geometry.cache_key()  # same inputs, same key


@pytest.mark.parametrize("sigla", ["BG", "CR"])
def test_province_svg(geo, reg, sigla):
    svg = maps.province_svg(sigla)
    root = parse(svg)
    assert root.tag == SVG + "svg" and root.get("role") == "img"
    assert re.fullmatch(r"0 0 \d+ \d+", root.get("viewBox"))
    assert max(int(x) for x in root.get("viewBox").split()[2:]) <= 1000
    name = reg.provinces[sigla]["name"]
    assert root.find("s:title", NS).text == f"Comuni della provincia di {name}"
    assert root.find("s:desc", NS).text
    paths = {p.get("id"): p for p in root.iter(SVG + "path") if p.get("class") == "comune"}
    assert set(paths) == {f"c{c}" for c in reg.provinces[sigla]["comuni"]}
    for p in paths.values():
        assert re.fullmatch(r"[mMhvlz0-9 \-]+", p.get("d")), p.get("d")[:80]
    assert len(svg.encode()) < 100_000


@pytest.mark.parametrize(
    "istat,name,sigla",
    [
        ("016024", "Bergamo", "BG"),
        ("019035", "Crema", "CR"),
        ("016064", "Castione della Presolana", "BG"),
    ],
)
def test_overlay_matches_province_svg(geo, reg, istat, name, sigla):
    prov = parse(maps.province_svg(sigla))
    ov_svg = maps.locator_overlay(istat)
    ov = parse(ov_svg)
    assert ov.get("viewBox") == prov.get("viewBox")
    assert ov.get("role") == "img"
    assert (
        ov.find("s:title", NS).text
        == f"Posizione di {name} nella provincia di {reg.provinces[sigla]['name']}"
    )
    assert ov.find("s:desc", NS).text
    sel = [p for p in ov.iter(SVG + "path") if "selected" in p.get("class", "").split()]
    assert len(sel) == 1
    same = next(p for p in prov.iter(SVG + "path") if p.get("id") == f"c{istat}")
    assert sel[0].get("d") == same.get("d")  # the very same shape, on top
    assert len(ov_svg.encode()) < 3072


def test_locator_html(geo):
    html = maps.locator_html("016024", "Bergamo", "Bergamo")
    fig = parse(html)  # well-formed (XHTML-compatible)
    assert fig.tag == "figure" and fig.get("class") == "map locator"
    stack = fig.find("div")
    assert stack.get("class") == "map-stack"
    img = stack.find("img")
    assert img.get("alt") == "" and img.get("src") == "/static/maps/province/BG.svg"
    lay = geo.layer("province:BG")
    assert (img.get("width"), img.get("height")) == (str(lay.width), str(lay.height))
    svg = stack.find(SVG + "svg")
    assert svg.get("role") == "img"
    assert svg.find("s:title", NS).text == "Posizione di Bergamo nella provincia di Bergamo"
    assert fig.find("figcaption").text.startswith("Bergamo nella provincia di Bergamo")


def test_hostile_names_are_escaped(geo):
    html = maps.locator_html("019035", HOSTILE, HOSTILE)
    assert "<script" not in html and "<b>" not in html
    fig = parse(html)
    title = fig.find(f"div/{SVG}svg/{SVG}title")
    assert title.text == f"Posizione di {HOSTILE} nella provincia di {HOSTILE}"
    svg = maps.choropleth({"019035": 1.0, "019036": 2.0}, "province:CR", HOSTILE, HOSTILE)
    assert "<script" not in svg
    root = parse(svg)
    assert root.find("s:title", NS).text == HOSTILE
    assert root.find(".//s:g[@class='legend']/s:text", NS).text == HOSTILE


def test_every_comune_is_drawn(geo, reg):
    assert geo.meta.get("without_boundaries", []) == []
    assert all(maps.has_boundary(c) for c in reg.current)
    # a comune newer than the boundaries file is the union of its predecessors
    for code, preds in geo.meta.get("from_previous_boundaries", {}).items():
        assert code in reg.current and preds


def test_overlay_sizes(geo, reg):
    sizes = sorted(len(maps.locator_overlay(c).encode()) for c in reg.current)
    assert statistics.median(sizes) < 1500
    assert sizes[-1] < 3072


def test_determinism(geo, reg):
    pop = {c.istat: c.population for c in reg.current.values()}
    a = (
        maps.province_svg("BG"),
        maps.locator_html("016064", "Castione", "Bergamo"),
        maps.choropleth(pop, "region:Lombardia", "Popolazione", "Abitanti"),
    )
    b = (
        maps.province_svg("BG"),
        maps.locator_html("016064", "Castione", "Bergamo"),
        maps.choropleth(
            dict(reversed(list(pop.items()))), "region:Lombardia", "Popolazione", "Abitanti"
        ),
    )
    assert a == b


@pytest.mark.parametrize("classes", [3, 5, 7])
def test_choropleth_legend_and_paths(geo, reg, classes):
    lomb = sorted(c.istat for c in reg.current.values() if c.region == "Lombardia")
    values = {c: (None if i % 10 == 0 else reg.current[c].population) for i, c in enumerate(lomb)}
    svg = maps.choropleth(
        values, "region:Lombardia", "Popolazione residente", "Abitanti", classes=classes
    )
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.find("s:title", NS).text == "Popolazione residente"
    assert "Lombardia" in root.find("s:desc", NS).text
    keys = root.findall(".//s:g[@class='legend']/s:g", NS)
    expected = [f"key q{i}" for i in range(1, classes + 1)] + ["key nd"]
    assert [k.get("class") for k in keys] == expected
    nd = keys[-1].find("s:text", NS).text
    assert nd == f"Dato non disponibile ({sum(1 for v in values.values() if v is None)} comuni)"
    areas = root.find("s:g[@class='areas']", NS)
    paths = list(areas.iter(SVG + "path"))
    assert len(paths) == len(lomb)
    titles = {p.find("s:title", NS).text for p in paths}
    assert "Bergamo: 119.534" in titles
    assert "Crema: dato non disponibile" in titles or any(t.startswith("Crema: ") for t in titles)
    # colours: one fill per class, the no-data group uses the hatch pattern
    fills = [g.get("fill") for g in areas.findall("s:g", NS)]
    assert len(set(fills)) == classes + 1 and fills[-1].startswith("url(#")
    assert len(svg.encode()) < 400_000


def test_choropleth_natural_breaks_and_formatter(geo, reg):
    cr = reg.provinces["CR"]["comuni"]
    values = {c: (1.5 if i < 40 else 100.25) for i, c in enumerate(sorted(cr))}
    svg = maps.choropleth(
        values,
        "province:CR",
        "Prova",
        "Valore",
        classes=2,
        method="natural",
        fmt=lambda v: f"{v:.2f} €".replace(".", ","),
    )
    texts = [t.text for t in parse(svg).iterfind(".//s:g[@class='legend']//s:text", NS)]
    assert texts[1] == "1,50 € (40 comuni)"
    assert texts[2] == f"100,25 € ({len(cr) - 40} comuni)"
    assert texts[3] == "Dato non disponibile (0 comuni)"


def test_italy_falls_back_to_provinces_over_budget(geo, reg):
    pop = {c.istat: c.population for c in reg.current.values()}
    auto = maps.choropleth(pop, "italy", "Popolazione", "Abitanti")
    full = maps.choropleth(pop, "italy", "Popolazione", "Abitanti", level="comuni")
    n_auto = len(list(parse(auto).find("s:g[@class='areas']", NS).iter(SVG + "path")))
    n_full = len(list(parse(full).find("s:g[@class='areas']", NS).iter(SVG + "path")))
    assert n_full == len(reg.current)
    if len(full.encode()) > maps.ITALY_MAX_BYTES:
        assert n_auto == len(reg.provinces) and "somma dei comuni" in auto
    else:
        assert auto == full
    assert len(auto.encode()) <= maps.ITALY_MAX_BYTES
    by_sigla = maps.choropleth({"BG": 1, "MI": 2, "RM": 3}, "italy", "Prova", "Valore")
    assert "Dato non disponibile (104 province)" in by_sigla


def test_scopes(geo):
    assert maps._scope("region:Lombardia")[0] == "region:03"
    assert maps._scope("region:03")[0] == "region:03"
    assert maps._scope("region:Trentino-Alto Adige")[0] == "region:04"
    assert maps._scope("region:Valle d'Aosta")[0] == "region:02"
    assert maps._scope("regione:emilia romagna")[0] == "region:08"
    assert maps._scope("province:Bergamo")[0] == "province:BG"
    with pytest.raises(KeyError):
        maps._scope("region:Atlantide")


def test_breaks():
    assert maps.natural_breaks([1, 1, 2, 2, 10, 10, 11], 2) == [2.0, 11.0]
    assert maps.natural_breaks([5, 5, 5], 4) == [5.0]
    assert maps.quantile_breaks(list(range(1, 11)), 5) == [2, 4, 6, 8, 10]
    assert maps.quantile_breaks([0] * 8 + [1, 2], 4) == [0, 2]  # ties merge classes


def test_palette_is_accessible():
    for n in (3, 5, 7):
        p = maps.palette(n)
        lum = [maps.relative_luminance(c) for c in p]
        assert lum == sorted(lum, reverse=True)  # light -> dark
        assert min(maps.contrast(a, b) for a, b in zip(p, p[1:])) >= 1.3
        assert maps.contrast(p[-1], "#ffffff") >= 7
    assert maps.contrast(maps.HIGHLIGHT, "#ffffff") >= 3
    assert maps.contrast(maps.HIGHLIGHT, maps.BASE_FILL) >= 3
    assert maps.contrast(maps.OUTLINE, "#ffffff") >= 3
    assert maps.contrast(maps.NODATA_LINE, "#ffffff") >= 3
