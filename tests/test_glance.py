"""The comune page at a glance, read against the published data: the "In sintesi" sentences
of five comuni (Bergamo, Milano, Crema, Castione della Presolana, Torino), the programmes
that leave a comune out and why, the comparisons, the province rankings, the comparison
pages of neighbouring comuni, the feeds (RSS compatible with AlboPOP, Atom) and the
standalone SVG of every figure. Expected numbers are recomputed here from the CSV files of
the packages and the registry, not taken from the code that writes the pages."""

from __future__ import annotations

import csv
import html
import json
import re
import xml.etree.ElementTree as ET
from decimal import ROUND_HALF_EVEN, Decimal

import pytest

from generator import registry

FIVE = {
    "016024": "Bergamo",
    "015146": "Milano",
    "019035": "Crema",
    "016064": "Castione della Presolana",
    "001272": "Torino",
}
FONDO = "fondo-0-6-riparto-2018"
SMART = "smart-polizia-locale-2025"
BANDS = (1_000, 5_000, 10_000, 20_000, 50_000, 100_000, 250_000)


def rows(site, package, table):
    with (site / "data" / package / f"{table}.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def twin(site, istat):
    return json.loads((site / "comuni" / istat / "index.json").read_text(encoding="utf-8"))


def page_text(site, url):
    raw = (site / url.strip("/") / "index.html").read_text(encoding="utf-8")
    return html.unescape(re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", "", raw)))


def it(v: Decimal, places: int | None = 2) -> str:
    """it-IT number, written independently of generator.formatting."""
    if places is not None:
        v = v.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    whole, _, frac = f"{abs(v):f}".partition(".")
    whole = f"{int(whole):,}".replace(",", ".")
    return ("-" if v < 0 else "") + whole + ("," + frac if frac else "")


def euro(v: Decimal) -> str:
    return "€\u00a0" + it(v)


def band(pop):
    return next((i for i, top in enumerate(BANDS) if pop <= top), len(BANDS))


def median(vals):
    s = sorted(vals)
    m = len(s) // 2
    return s[m] if len(s) % 2 else (s[m - 1] + s[m]) / 2


def rank(values: dict, code: str, members) -> tuple[int, int]:
    """Competition rank (1 + how many are higher) among ``members``, and how many."""
    mine = values[code]
    return 1 + sum(1 for m in members if values[m] > mine), len(members)


def summary_item(site, istat, programme):
    items = [
        s for s in twin(site, istat)["summary"] if s["programme"] == programme and not s.get("via")
    ]
    return items[0] if items else None


# -- "In sintesi" -----------------------------------------------------------------------------
def test_fondo_sentences_state_the_published_figures_ranks_and_medians(built_site):
    site, _ = built_site
    reg = registry.load()
    per = {
        r["istat"]: Decimal(r["totale_riparto"]) / Decimal(r["pop_0_6"])
        for r in rows(site, FONDO, "riparto")
        if r["istat"] in reg.current and r["pop_0_6"] not in ("", "0")
    }
    total = {r["istat"]: Decimal(r["totale_riparto"]) for r in rows(site, FONDO, "riparto")}
    seen = 0
    for istat in FIVE:
        item = summary_item(site, istat, FONDO)
        c = reg.current[istat]
        if istat not in total:
            assert item is None, istat
            continue
        seen += 1
        text = item["text"]
        assert euro(total[istat]) in text and euro(per[istat]) in text, text
        prov = [k for k in per if reg.current[k].province_sigla == c.province_sigla]
        i, n = rank(per, istat, prov)
        assert f"{it(Decimal(i), None)}º su {it(Decimal(n), None)} comuni della provincia" in text
        i, n = rank(per, istat, [k for k in per if reg.current[k].region == c.region])
        assert f"{it(Decimal(i), None)}º su {it(Decimal(n), None)} in Lombardia" in text
        peers = [per[k] for k in per if band(reg.current[k].population) == band(c.population)]
        if len(peers) >= 3:
            assert f"Tra i {it(Decimal(len(peers)), None)} comuni dell'elenco" in text
            assert euro(median(peers)) in text
        else:
            assert "mediana" not in text
        # the page says the same, at the top
        assert text in page_text(site, f"/comuni/{istat}/")
    assert seen == 4  # Torino is not in the Lombard fund
    crema = summary_item(site, "019035", FONDO)["text"]
    # the figures the issue quotes for Crema
    assert "€\u00a0137.498,50" in crema and "€\u00a087,63" in crema and "16º su" in crema


def test_smart_sentences_name_the_group_and_its_size(built_site):
    site, _ = built_site
    groups = {g["gruppo"]: g for g in rows(site, SMART, "gruppi")}
    for istat in FIVE:
        mine = [p for p in rows(site, SMART, "partecipanti") if p["istat"] == istat]
        item = summary_item(site, istat, SMART)
        if not mine:
            assert item is None
            continue
        g = groups[mine[0]["gruppo"]]
        if mine[0]["ruolo"] == "capofila" and g["comuni_contati"] != "1":
            assert (
                f"capofila di un gruppo SMART di polizia locale che riunisce "
                f"{g['comuni_contati']} comuni" in item["text"]
            )
        elif mine[0]["ruolo"] != "capofila":
            assert f"guidato da {g['capofila']}" in item["text"]
    assert "riunisce 28 comuni" in summary_item(site, "019035", SMART)["text"]


def test_sovrimposta_and_collegi_sentences(built_site):
    site, _ = built_site
    rates = {r["istat"]: r for r in rows(site, "sovrimposta-fabbricati-1983", "aliquote")}
    collegi = {c["n"]: c for c in rows(site, "collegi-pd-lombardia-2014", "collegi")}
    members = {}
    for r in rows(site, "collegi-pd-lombardia-2014", "comuni_collegi"):
        members.setdefault(r["istat"], []).append(r)
    for istat in FIVE:
        item = summary_item(site, istat, "sovrimposta-fabbricati-1983")
        r = rates.get(istat)
        if r is None:
            assert item is None
        elif r["stato"] == "istituita":
            assert f"con l'aliquota del {r['aliquota']}% (n. {r['n']} dell'elenco" in item["text"]
        item = summary_item(site, istat, "collegi-pd-lombardia-2014")
        mine = members.get(istat, [])
        if len(mine) == 1:
            c = collegi[mine[0]["collegio"]]
            assert (
                f"è nel collegio {c['n']}, «{c['nome']}», che elegge {c['seggi']} "
                f"componenti e comprende {c['comuni']} comuni" in item["text"]
            )
        elif mine:
            assert f"è divisa tra {len(mine)} collegi: " in item["text"]
            for m in mine:
                assert (
                    f"{m['collegio']} ({m['parte']}, {collegi[m['collegio']]['seggi']} seggi)"
                    in item["text"]
                )
    assert "aliquota del 20%" in summary_item(site, "001272", "sovrimposta-fabbricati-1983")["text"]
    assert (
        "divisa tra 5 collegi" in summary_item(site, "015146", "collegi-pd-lombardia-2014")["text"]
    )


def test_crema_says_why_it_has_no_1983_rate(built_site):
    """The Gazzetta page with Cremona 1-54 is missing from the source (a documented defect):
    Crema's page says so, and links to the defect on the quality page."""
    site, _ = built_site
    assert "019035" not in {
        r["istat"] for r in rows(site, "sovrimposta-fabbricati-1983", "aliquote")
    }
    gap = next(
        g for g in twin(site, "019035")["gaps"] if g["programme"] == "sovrimposta-fabbricati-1983"
    )
    assert gap["reason"] == "fonte incompleta" and "pagina 26" in gap["explanation"]
    anchor = gap["link"].split("#")[1]
    assert f'id="{anchor}"' in (site / "dati/qualita/index.html").read_text(encoding="utf-8")
    assert "pagina 26" in page_text(site, "/comuni/019035/")
    # a Cremona comune after the gap (n. 55 Madignano onwards) has its rate, and no such gap
    assert "019055" in {r["istat"] for r in rows(site, "sovrimposta-fabbricati-1983", "aliquote")}


def test_linked_figures_lead_to_the_line_that_prints_them(built_site):
    """A key figure read from a row links to the row's line, and that line prints it."""
    from generator import paths

    site, _ = built_site
    for istat in FIVE:
        item = summary_item(site, istat, FONDO)
        if not item:
            continue
        (seg,) = [s for s in item["sentence"] if s["kind"] == "value"]
        doc, line = re.fullmatch(r"/documenti/([^/]+)/#L(\d+)", seg["url"]).groups()
        text = (paths.SOURCES / f"{doc}.txt").read_text(encoding="utf-8").split("\n")
        printed = seg["text"].replace("€\u00a0", "")
        assert printed in text[int(line) - 1], (istat, printed, text[int(line) - 1])
        assert (site / "documenti" / doc / "index.html").is_file()
    for istat in FIVE:
        for s in twin(site, istat)["summary"]:
            for seg in s["sentence"]:
                if seg["url"] and seg["url"].startswith("/"):
                    path = seg["url"].split("#")[0].strip("/")
                    assert (site / path / "index.html").is_file(), seg


def test_gaps_say_why_a_comune_of_the_area_is_not_listed(built_site):
    site, _ = built_site
    reg = registry.load()
    listed = {r["istat"] for r in rows(site, FONDO, "riparto")}
    lombard = sorted(c for c, x in reg.current.items() if x.region == "Lombardia")
    missing = next(
        c
        for c in lombard
        if c not in listed and not any(h for h, x in reg.historical.items() if x.successor == c)
    )
    gaps = {g["programme"]: g for g in twin(site, missing)["gaps"]}
    assert "non è tra i comuni ammessi al riparto 2018" in gaps[FONDO]["text"]
    assert gaps[FONDO]["reason"] == "non elencato"
    # Torino is outside the Lombard programmes: no gap for them
    assert not {g["programme"] for g in twin(site, "001272")["gaps"]} & {FONDO, SMART}


# -- comparisons ------------------------------------------------------------------------------
def test_comparison_with_province_class_and_region(built_site):
    site, _ = built_site
    reg = registry.load()
    per = {
        r["istat"]: Decimal(r["totale_riparto"]) / Decimal(r["pop_0_6"])
        for r in rows(site, FONDO, "riparto")
        if r["istat"] in reg.current and r["pop_0_6"] not in ("", "0")
    }
    cmp = next(c for c in twin(site, "019035")["compare"] if c["programme"] == FONDO)
    table = {r[0]: r[1] for r in cmp["rows"]}
    cr = [per[k] for k in per if reg.current[k].province_sigla == "CR"]
    assert table["Crema"] == euro(per["019035"])
    assert table[f"Mediana provincia di Cremona ({len(cr)} comuni)"] == euro(median(cr))
    # the chart is a file of its own, beside the page, described by its alt text
    svg = site / cmp["svg"].lstrip("/")
    root = ET.fromstring(svg.read_text(encoding="utf-8"))
    assert root.tag.endswith("svg") and root.get("width") and root.get("height")
    assert euro(median(cr)) in cmp["alt"]
    page = (site / "comuni/019035/index.html").read_text(encoding="utf-8")
    assert f'id="confronto-{cmp["key"]}"' in page and f'src="{cmp["svg"]}"' in page
    # where every bar would have the same length there is no chart, a sentence says so
    rates = next(
        c
        for c in twin(site, "015146")["compare"]
        if c["programme"] == "sovrimposta-fabbricati-1983"
    )
    assert rates["svg"] is None and len({r[1] for r in rates["rows"]}) == 1
    assert rates["same"].startswith("Milano: 20%, come la mediana della provincia di Milano")
    assert not list((site / "comuni/015146").glob("confronto-sovrimposta*.svg"))


def test_province_pages_rank_their_comuni_per_programme(built_site):
    site, _ = built_site
    page = page_text(site, "/province/CR/")
    raw = (site / "province/CR/index.html").read_text(encoding="utf-8")
    assert f'id="classifica-{FONDO}"' in raw
    crema = summary_item(site, "019035", FONDO)
    pos = re.search(r"(\d+)º su \d+ comuni della provincia", crema["text"]).group(1)
    assert re.search(
        rf'<tr><td class="num">{pos}</td><th scope="row">'
        rf'<a href="/comuni/019035/">Crema</a>',
        raw,
    )
    assert "Classifica: Fondo 0-6 (2018)" in page


def test_neighbours_have_a_comparison_page_that_needs_no_script(built_site):
    site, _ = built_site
    t = twin(site, "019035")
    assert len(t["neighbours"]) >= 5
    # the two longest borders of each comune have a built page (and so at least those two)
    assert [n["page"] for n in t["neighbours"][:2]] == [True, True]
    page = (site / "comuni/019035/index.html").read_text(encoding="utf-8")
    for n in t["neighbours"]:
        pair = site / n["compare"].strip("/") / "index.html"
        assert pair.is_file() == n["page"], n
        assert (f'href="{n["compare"]}"' in page) == n["page"]  # only links that need no JS
    first = t["neighbours"][0]
    text = page_text(site, first["compare"])
    assert f"Crema e {first['name']} a confronto" in text
    assert "33.786" in text  # Crema's population, in the table
    comuni = json.loads((site / "confronta/comuni.json").read_text(encoding="utf-8"))
    assert ["019035", "Crema", "CR"] in comuni and len(comuni) == len(registry.load().current)
    assert (site / "confronta/index.html").is_file()


# -- feeds ----------------------------------------------------------------------------------
def test_comune_rss_is_albopop_compatible_and_atom_is_valid(built_site):
    feedparser = pytest.importorskip("feedparser")
    site, _ = built_site
    reg = registry.load()
    for istat in FIVE:
        rss = feedparser.parse((site / "comuni" / istat / "rss.xml").read_bytes())
        assert not rss.bozo, rss.get("bozo_exception")
        cats = {(t.get("scheme"), t.get("term")) for t in rss.feed.tags}
        base = "http://albopop.it/specs#channel-category-"
        c = reg.current[istat]
        assert (base + "uid", f"istat:{istat}") in cats
        assert (base + "province", c.province) in cats and (base + "region", c.region) in cats
        assert (base + "type", "Comune") in cats
        assert rss.entries, istat
        for e in rss.entries:
            assert e.published_parsed and e.link.startswith("http") and e.id
        atom = feedparser.parse((site / "comuni" / istat / "feed.xml").read_bytes())
        assert not atom.bozo, atom.get("bozo_exception")
    crema = feedparser.parse((site / "comuni/019035/rss.xml").read_bytes())
    fondo = next(e for e in crema.entries if "Fondo 0-6" in e.title)
    assert ("http://albopop.it/specs#item-category-amount", "137498.50") in {
        (t.get("scheme"), t.get("term")) for t in fondo.tags
    }
    assert fondo.published_parsed[:3] == (2018, 11, 22)
    page = (site / "comuni/019035/index.html").read_text(encoding="utf-8")
    assert 'type="application/rss+xml"' in page and "compatibile AlboPOP" in page


# -- figures, budgets, search filters ---------------------------------------------------------
def test_every_programme_figure_is_a_standalone_svg_with_permalink_and_embed(built_site):
    site, _ = built_site
    for prog in (site / "programmi").iterdir():
        if not (prog / "index.html").is_file():
            continue
        raw = (prog / "index.html").read_text(encoding="utf-8")
        figures = re.findall(r'<figure class="chart".*?</figure>', raw, re.S)
        drawn = [f for f in figures if "<svg" in f]  # a table-only figure has no file
        files = sorted((prog / "grafici").glob("*.svg")) if (prog / "grafici").is_dir() else []
        assert len(files) == len(drawn), prog.name
        for f in drawn:
            fid = re.search(r'id="(grafico-\d+)"', f).group(1)
            svg = prog / "grafici" / (fid.split("-")[1] + ".svg")
            root = ET.fromstring(svg.read_text(encoding="utf-8"))
            assert root.get("width") and root.get("viewBox"), svg
            assert f'href="#{fid}"' in f and f'href="/programmi/{prog.name}/grafici/' in f
            assert "&lt;img src=" in f  # the embedding snippet, as text


def test_comune_pages_keep_the_weight_budget(built_site):
    site, _ = built_site
    sizes = {p.parent.name: p.stat().st_size for p in (site / "comuni").glob("*/index.html")}
    heaviest = max(sizes, key=sizes.get)
    # the performance issue's goal for a comune page (60 KB, with 1,000 bulletins); today's
    # nine documents take about half of it (Milano, the heaviest: 30.8 KB)
    assert sizes[heaviest] <= 60_000, (heaviest, sizes[heaviest])


def test_indexed_pages_declare_their_search_filters(built_site):
    site, _ = built_site
    raw = (site / "comuni/019035/index.html").read_text(encoding="utf-8")
    facets = dict.fromkeys(re.findall(r'data-pagefind-filter="(\w+)"', raw))
    assert list(facets) == ["tipo", "regione", "provincia", "programma"]
    assert '<span data-pagefind-filter="regione">Lombardia</span>' in raw
    for url in ("/programmi/fondo-0-6-riparto-2018/", "/province/CR/"):
        assert 'data-pagefind-filter="tipo"' in (site / url.strip("/") / "index.html").read_text(
            encoding="utf-8"
        )
