"""Build-time SVG charts: structure, accessibility, escaping, determinism."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from generator import charts, formatting
from generator.maps import contrast

NS = {"s": "http://www.w3.org/2000/svg"}
SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script> & <b>'


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def check_accessible(root: ET.Element, title: str) -> None:
    assert root.tag == SVG + "svg"
    assert root.get("role") == "img"
    assert root.find("s:title", NS).text == title
    assert root.find("s:desc", NS).text
    ids = root.get("aria-labelledby").split()
    assert ids == [root.find("s:title", NS).get("id"), root.find("s:desc", NS).get("id")]
    assert re.fullmatch(r"0 0 \d+ \d+", root.get("viewBox"))
    assert root.get("width") is None and root.get("height") is None  # scales with CSS


def test_bar_chart():
    items = [(f"Comune {i}", 1000.5 * (40 - i)) for i in range(40)]
    svg = charts.bar_chart(items, "Importi per comune", max_items=30)
    root = parse(svg)
    check_accessible(root, "Importi per comune")
    bars = root.findall(".//s:rect[@class='bar']", NS)
    assert len(bars) == 30
    widths = [float(b.get("width")) for b in bars]
    assert widths == sorted(widths, reverse=True)
    assert "le prime 30 di 40" in root.find("s:desc", NS).text
    values = [t.text for t in root.iterfind(".//s:text[@class='value']", NS)]
    assert values[0] == formatting.num(40020.0) == "40.020,0"
    titles = [t.text for t in root.iterfind(".//s:g[@class='item']/s:title", NS)]
    assert titles[1] == "Comune 1: 39.019,5"
    for b in bars:
        assert contrast(b.get("fill"), "#ffffff") >= 3


def test_bar_chart_formatter_negative_and_missing():
    svg = charts.bar_chart(
        [("A", 12.5), ("B", -3.25), ("C", None)], "Saldo", unit_fmt=formatting.euro
    )
    root = parse(svg)
    values = [t.text for t in root.iterfind(".//s:text[@class='value']", NS)]
    assert values == ["€\u00a012,50", "€\u00a0-3,25", "dato non disponibile"]
    bars = root.findall(".//s:rect[@class='bar']", NS)
    assert len(bars) == 2 and all(contrast(b.get("fill"), "#ffffff") >= 3 for b in bars)
    assert float(bars[1].get("x")) < float(bars[0].get("x"))  # negative bar left of zero


def test_bar_chart_escapes_and_truncates():
    long = "Un nome molto lungo " * 6
    svg = charts.bar_chart([(HOSTILE, 1), (long, 2)], HOSTILE)
    assert "<script" not in svg and "<b>" not in svg
    root = parse(svg)
    assert root.find("s:title", NS).text == HOSTILE
    labels = [t.text for t in root.iterfind(".//s:text[@class='label']", NS)]
    assert labels[0] == HOSTILE
    assert labels[1].endswith("…") and len(labels[1]) < len(long)
    titles = [t.text for t in root.iterfind(".//s:g[@class='item']/s:title", NS)]
    assert titles[1] == f"{long}: 2"  # full label on hover


def test_bar_chart_empty_and_deterministic():
    parse(charts.bar_chart([], "Vuoto"))
    items = [("a", 1), ("b", 2.5)]
    assert charts.bar_chart(items, "X") == charts.bar_chart(list(items), "X")


def test_histogram():
    values = list(range(0, 100)) + [None, float("nan")]
    svg = charts.histogram(values, "Distribuzione", bins=10, unit="comuni", x_label="Valore")
    root = parse(svg)
    check_accessible(root, "Distribuzione")
    bars = root.findall(".//s:rect[@class='bar']", NS)
    assert len(bars) == 10
    counts = [int(b.find("s:title", NS).text.rsplit(": ", 1)[1].split()[0]) for b in bars]
    assert sum(counts) == 100 and counts == [10] * 10
    assert bars[0].find("s:title", NS).text == "da 0 a meno di 10: 10 comuni"
    assert bars[-1].find("s:title", NS).text == "da 90 a 100: 10 comuni"
    desc = root.find("s:desc", NS).text
    assert "Valori mancanti, esclusi: 2." in desc and "100 comuni" in desc
    assert all(contrast(b.get("fill"), "#ffffff") >= 3 for b in bars)


def test_histogram_exact_bins_and_formatter():
    svg = charts.histogram(
        [0.013, 0.5, 0.77, 0.9], "Quote", bins=4, nice=False, fmt=lambda v: f"{v * 100:.0f}%"
    )
    root = parse(svg)
    bars = root.findall(".//s:rect[@class='bar']", NS)
    assert len(bars) == 4
    assert bars[0].find("s:title", NS).text.startswith("da 1% a meno di ")
    assert (
        bars[-1].find("s:title", NS).text.startswith("da ")
        and " a 90%:" in bars[-1].find("s:title", NS).text
    )


def test_histogram_edge_cases_escaping_determinism():
    parse(charts.histogram([], "Vuoto"))
    one = parse(charts.histogram([5, 5, 5], "Costante"))
    assert len(one.findall(".//s:rect[@class='bar']", NS)) == 1
    svg = charts.histogram([1, 2, 3], HOSTILE, unit=HOSTILE, x_label=HOSTILE)
    assert "<script" not in svg and "<b>" not in svg
    assert parse(svg).find("s:title", NS).text == HOSTILE
    vals = [i * 0.37 for i in range(300)]
    assert charts.histogram(vals, "D") == charts.histogram(list(vals), "D")


def test_nice_ticks():
    assert charts.nice_ticks(0, 238, 4) == [0, 100, 200, 300]
    assert charts.nice_ticks(-3.25, 12.5, 4) == [-5, 0, 5, 10, 15]
    assert charts.nice_ticks(71, 119534, 10)[:3] == [0, 10000, 20000]
