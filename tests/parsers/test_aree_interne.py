"""Aree interne 2021-2027: the real presentation, and crafted slides for each pattern."""

from __future__ import annotations

from decimal import Decimal

import pytest

from support import parse_real, parse_text

DOC = "aree-interne-2021-2027"


def tables(result):
    (ds,) = result.datasets
    return {t.name: t for t in ds.tables}


def checks(result):
    return {c.id: c for c in result.checks}


@pytest.fixture(scope="module")
def real():
    return parse_real(DOC)[0]


def test_table_sizes(real):
    t = tables(real)
    assert {k: len(v.rows) for k, v in t.items()} == {
        "aree": 14,
        "criteri": 7,
        "indicatori": 6,
        "risorse": 4,
        "pilastri": 7,
    }
    assert not real.rejects


def test_areas(real):
    rows = tables(real)["aree"].rows
    assert [(r["tipo"], r["n"]) for r in rows].count(("SNAI", 1)) == 1
    assert sum(r["tipo"] == "SNAI" for r in rows) == 6
    assert sum(r["tipo"] == "regionale" for r in rows) == 8
    first, last = rows[0], rows[-1]
    assert (first["id"], first["nome"], first["line_start"]) == ("snai-1", "Valchiavenna", 71)
    assert (rows[5]["nome"], rows[5]["line_start"]) == ("Val trompia", 76)  # as written
    assert (last["id"], last["nome"], last["line_start"]) == (
        "regionale-8",
        "Lario Orientale - Valle S. Martino e Valle Imagna",
        85,
    )
    assert "«6 Aree Snai»" in first["base_tipo"] and "riga 87" in first["base_tipo"]


def test_criteria_wrap_onto_next_line(real):
    rows = tables(real)["criteri"].rows
    assert [r["codice"] for r in rows] == ["01", "02", "03", "04", "05", "06", "07"]
    c4 = rows[3]
    assert c4["testo"] == (
        "Adeguatezza e capacità di attuare strategie territoriali e progetti integrati d’area"
    )
    assert (c4["line_start"], c4["line_end"]) == (60, 61)
    assert tables(real)["criteri"].lines_in == 8


def test_indicators_and_resources(real):
    t = tables(real)
    assert [(r["famiglia"], r["indicatori"]) for r in t["indicatori"].rows] == [
        ("Demografia", 7),
        ("Sviluppo sociale", 8),
        ("Sviluppo economico e povertà", 11),
        ("Sviluppo ambientale", 2),
        ("Patrimonio culturale e turismo", 5),
        ("Sicurezza", 2),
    ]
    res = t["risorse"].rows
    assert [(r["fondo"], r["importo_mln"], r["importo"]) for r in res] == [
        ("FESR 21-27", Decimal(106), 106_000_000),
        ("FSE+ 21-27", Decimal(14), 14_000_000),
        ("RISORSE NAZIONALI", Decimal("12.9"), 12_900_000),
        ("RISORSE REGIONALI", Decimal("63.1"), 63_100_000),
    ]
    assert (res[2]["nota"], res[2]["line_start"], res[2]["line_end"]) == (
        "Legge di Stabilità",
        96,
        97,
    )


def test_every_check_passes(real):
    c = checks(real)
    assert {k: (v.declared, v.parsed) for k, v in c.items()} == {
        "areas-kind:SNAI": (6, 6),
        "areas-sequence:SNAI": ("1..6", [1, 2, 3, 4, 5, 6]),
        "areas-kind:regionale": (8, 8),
        "areas-sequence:regionale": ("1..8", [1, 2, 3, 4, 5, 6, 7, 8]),
        "areas-total": (14, 14),
        "areas-legend-sum": (14, 14),
        "strategies-count": (14, 14),
        "workshops": (28, 28),
        "criteria-count": (7, 7),
        "criteria-sequence": ("1..7", [1, 2, 3, 4, 5, 6, 7]),
        "indicators-sum": (35, 35),
        "resources-total": (196_000_000, 196_000_000),
        "resources-investment": (196_000_000, 196_000_000),
        "resources-per-area": (14_000_000, 14_000_000),
        "pillars-count": (7, 7),
    }
    assert all(v.passed for v in c.values())
    assert (c["indicators-sum"].line_start, c["indicators-sum"].line_end) == (44, 53)
    assert (c["resources-total"].line_start, c["resources-total"].line_end) == (94, 101)


def test_facts(real):
    facts = {f["label"]: (f["value"], f["line_start"]) for f in real.facts}
    assert facts["Comuni delle aree interne"] == (488, 89)
    assert facts["Comuni lombardi classificati con l'indice di fragilità"] == (1350, 52)
    assert facts["Approvazione della Strategia"] == ("DGR XI 5587/2021", 90)
    assert facts["Accordo con ANCI Lombardia (centri di competenza)"] == (
        "DGR XII n. 448 del 12/06/2023",
        131,
    )


def test_rows_carry_provenance(real):
    for t in tables(real).values():
        for r in t.rows:
            assert r["source_id"] == DOC and 1 <= r["line_start"] <= r["line_end"] <= 143


# -- crafted slides -----------------------------------------------------------------------------
SLIDE = """\
Demografia (3 indicatori)
Sicurezza (2 indicatori)
composto da 6 indicatori aggregati, a partire da 2 criteri:
 01 Primo criterio
su due righe

02 Secondo

 1   Area Uno
 2   Area Due

 1   Area Tre
 3   Area Quattro

1 Aree Snai 2 Aree regionali

4 AREE INTERNE - 40 COMUNI
 10 mln € FESR
 2,5 mln € RISORSE NAZIONALI
  (Legge)

TOTALE
13.000.000 €

3 MLN €
PER AREA
"""


@pytest.fixture(scope="module")
def slide():
    return parse_text("aree_interne", SLIDE)[0]


def test_fragment_tables(slide):
    t = tables(slide)
    assert [r["testo"] for r in t["criteri"].rows] == ["Primo criterio su due righe", "Secondo"]
    assert [(r["id"], r["nome"]) for r in t["aree"].rows] == [
        ("snai-1", "Area Uno"),
        ("snai-2", "Area Due"),
        ("regionale-1", "Area Tre"),
        ("regionale-3", "Area Quattro"),
    ]
    assert [(r["fondo"], r["importo"], r["nota"]) for r in t["risorse"].rows] == [
        ("FESR", 10_000_000, None),
        ("RISORSE NAZIONALI", 2_500_000, "Legge"),
    ]


def test_fragment_mismatches_are_reported(slide):
    c = checks(slide)
    failed = {k: (v.declared, v.parsed) for k, v in c.items() if not v.passed}
    assert failed == {
        "indicators-sum": (6, 5),
        "areas-kind:SNAI": (1, 2),
        "areas-sequence:regionale": ("1..2", [1, 3]),
        "areas-legend-sum": (4, 3),
        "resources-total": (13_000_000, 12_500_000),
        "resources-per-area": (3_000_000, 3_125_000),
        "resources-investment": (None, 12_500_000),
        "strategies-count": (None, 4),
        "pillars-count": (None, 0),
    }
    assert c["resources-investment"].explanation == "valore dichiarato non trovato"
    assert c["areas-kind:SNAI"].explanation


def test_fragment_list_without_legend_is_rejected():
    result = parse_text("aree_interne", " 1   Area Uno\n 2   Area Due\n")[0]
    assert tables(result)["aree"].rows == []
    assert [(r.line, r.table) for r in result.rejects] == [(1, "aree"), (2, "aree")]
    assert tables(result)["aree"].lines_in == 2
