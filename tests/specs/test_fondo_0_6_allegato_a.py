"""Fondo 0-6 riparto 2018 (Allegato A of D.d.s. 16506 in BURL SO 47/2018), through its
table spec ``data/specs/fondo-0-6-allegato-a.yaml``.

Real document: row count, rows checked digit by digit against the text, every check's
outcome. Crafted fragments: a row printing fewer integers than columns, an ambiguous one,
a page header and a repeated column header inside the table, rows that cannot be read.
"""

from __future__ import annotations

from collections import Counter

import pytest

from support import parse_real, parse_text

DOC = "burl-2018-so47"
DATASET = "fondo-0-6-riparto-2018"
SPECS = ["fondo-0-6-allegato-a"]


def fondo(result):
    ds = [d for d in result.datasets if d.name == DATASET]
    assert len(ds) == 1
    (table,) = ds[0].tables
    return ds[0], table


def fondo_checks(result):
    return {c.id: c for c in result.checks if c.id.startswith("fondo06:")}


@pytest.fixture(scope="module")
def real():
    result, ctx, log = parse_real(DOC)
    return result


@pytest.fixture(scope="module")
def rows(real):
    return {r["codice_istat_stampato"]: r for r in fondo(real)[1].rows}


def test_dataset_and_row_count(real):
    ds, table = fondo(real)
    assert ds.programme == DATASET and table.name == "riparto"
    assert len(table.rows) == 1062
    assert table.lines_in == 1062
    assert [x for x in real.rejects if x.table == "riparto"] == []
    assert table.primary_key == ["codice_istat_stampato"]
    assert table.foreign_keys[0]["fields"] == "istat"
    names = [f["name"] for f in table.schema()["fields"]]
    assert {
        "istat",
        "resolution_method",
        "resolution_score",
        "source_id",
        "act_id",
        "line_start",
        "line_end",
    } <= set(names)
    assert Counter(r["provincia"] for r in table.rows) == {
        "VA": 111,
        "CO": 97,
        "SO": 35,
        "MI": 127,
        "BG": 180,
        "BS": 167,
        "PV": 76,
        "CR": 50,
        "MN": 55,
        "LC": 68,
        "LO": 42,
        "MB": 54,
    }


def row_values(r):
    return (
        r["comune"],
        r["pop_0_6"],
        r["posti_prima_infanzia"],
        r["iscritti_paritarie"],
        r["iscritti_primavera"],
        str(r["riparto_pop_0_6"]),
        str(r["riparto_posti"]),
        str(r["riparto_paritarie"]),
        str(r["riparto_primavera"]),
        str(r["totale_riparto"]),
    )


@pytest.mark.parametrize(
    "code, line, values",
    [
        # 1639: 012006 Azzate 228 20 105 16 5.587,42 6.297,40 4.648,03 5.734,83 22.267,68
        (
            "012006",
            1639,
            ("Azzate", 228, 20, 105, 16, "5587.42", "6297.40", "4648.03", "5734.83", "22267.68"),
        ),
        # 1657: thousands separators in the counts
        (
            "012026",
            1657,
            (
                "Busto Arsizio",
                4140,
                539,
                1340,
                57,
                "101455.81",
                "169714.97",
                "59317.66",
                "20430.34",
                "350918.78",
            ),
        ),
        # 2017: the largest row
        (
            "015146",
            2017,
            (
                "Milano",
                69382,
                13736,
                26459,
                952,
                "1700291.53",
                "4325055.29",
                "1171258.14",
                "341222.60",
                "7537827.55",
            ),
        ),
        # 2105: total = parts + 0,02 (rounding of the unrounded sum)
        (
            "016038",
            2105,
            (
                "Brembate di Sopra",
                387,
                60,
                183,
                19,
                "9483.91",
                "18892.20",
                "8100.84",
                "6810.11",
                "43287.08",
            ),
        ),
        # 1642: "012009 Bardello 84 50 0 2.058,52 - 2.213,35 - 4.271,87": posti not printed
        (
            "012009",
            1642,
            ("Bardello", 84, None, 50, 0, "2058.52", "0.00", "2213.35", "0.00", "4271.87"),
        ),
        # 2191: "016165 Piazzatorre 6 8 0 147,04 - 354,14 - 501,17": the smallest total
        (
            "016165",
            2191,
            ("Piazzatorre", 6, None, 8, 0, "147.04", "0.00", "354.14", "0.00", "501.17"),
        ),
        # 2423: "017206 Piancogno 229 0 10 5.611,93 - - 3.584,27 9.196,20": the 0 fits posti or
        # paritarie; the table's convention (blank posti) decides
        (
            "017206",
            2423,
            ("Piancogno", 229, None, 0, 10, "5611.93", "0.00", "0.00", "3584.27", "9196.20"),
        ),
        # 1817: name truncated in the cell
        (
            "012142",
            1817,
            (
                "Maccagno con Pino e Vedda",
                104,
                17,
                0,
                0,
                "2548.65",
                "5352.79",
                "0.00",
                "0.00",
                "7901.44",
            ),
        ),
        # 2804: last row, right before the p.49 page header
        (
            "108055",
            2804,
            ("Roncello", 435, 41, 158, 0, "10660.21", "12909.67", "6994.17", "0.00", "30564.06"),
        ),
    ],
)
def test_rows_against_text(rows, code, line, values):
    r = rows[code]
    assert row_values(r) == values
    assert (r["line_start"], r["line_end"]) == (line, line)
    assert r["source_id"] == DOC and r["act_id"] == "dds-2018-11-14-16506"
    assert r["conteggio_non_stampato"] == ("posti_prima_infanzia" if values[2] is None else None)


def test_rows_missing_a_count(real):
    short = [r for r in fondo(real)[1].rows if r["conteggio_non_stampato"]]
    assert len(short) == 245
    assert {r["conteggio_non_stampato"] for r in short} == {"posti_prima_infanzia"}
    assert all(r["riparto_posti"] == 0 for r in short)


def test_resolution_against_printed_codes(rows):
    assert all(r["istat"] == code for code, r in rows.items())
    methods = Counter(r["resolution_method"] for r in rows.values())
    assert methods == {"exact": 1049, "historical": 10, "alias": 3}
    assert rows["015235"]["resolution_method"] == "historical"  # Vermezzo (2019 merger)
    assert rows["020057"]["resolution_method"] == "alias"  # San Giorgio di Mantova
    assert rows["016203"]["resolution_method"] == "alias"  # "... Giovanni XXII"


def test_every_check(real):
    checks = fondo_checks(real)
    cols = ["pop_0_6", "posti_prima_infanzia", "iscritti_paritarie", "iscritti_primavera"]
    expected = {
        "fondo06:header-repeats",
        "fondo06:shares",
        "fondo06:missing-counts",
        "fondo06:fund-total",
        "fondo06:row-sums",
        "fondo06:row-totals-exact",
        "fondo06:istat-order",
        "fondo06:istat-registry",
        "fondo06:rows-published",
    }
    for c in cols:
        expected |= {
            f"fondo06:unit-amount:{c}",
            f"fondo06:column-total:{c}",
            f"fondo06:unit-amount-rows:{c}",
        }
    assert set(checks) == expected
    assert [c.id for c in checks.values() if not c.passed] == []

    assert (checks["fondo06:header-repeats"].declared, checks["fondo06:header-repeats"].parsed) == (
        4,
        4,
    )
    fund = checks["fondo06:fund-total"]
    assert (fund.declared, fund.parsed, fund.line_start) == (40000464.00, 40000464.11, 1520)
    assert checks["fondo06:missing-counts"].parsed == 245
    assert "[2423, 2673, 2692]" in checks["fondo06:missing-counts"].explanation
    rates = {c: checks[f"fondo06:unit-amount:{c}"].declared for c in cols}
    assert rates == {
        "pop_0_6": 24.50623411,
        "posti_prima_infanzia": 314.87007037,
        "iscritti_paritarie": 44.26690866,
        "iscritti_primavera": 358.42709677,
    }
    totals = {
        c: (
            checks[f"fondo06:column-total:{c}"].declared,
            checks[f"fondo06:column-total:{c}"].parsed,
        )
        for c in cols
    }
    assert totals == {  # check values are JSON numbers (the recorder converts Decimals)
        "pop_0_6": (12000139.20, 12000139.32),
        "posti_prima_infanzia": (20000232.00, 20000230.91),
        "iscritti_paritarie": (6000069.60, 6000069.70),
        "iscritti_primavera": (2000023.20, 2000023.09),
    }
    for c in cols:
        assert checks[f"fondo06:unit-amount-rows:{c}"].parsed == 1062
    assert checks["fondo06:row-sums"].explanation.startswith(
        "differenze totale − somma (€: righe) -0,01: 89, 0,00: 777, 0,01: 194, 0,02: 2"
    )
    assert checks["fondo06:istat-registry"].parsed == 1062
    assert (
        "96 righe di intestazione di colonna (4 blocchi)"
        in checks["fondo06:rows-published"].explanation
    )


# -- crafted fragments ------------------------------------------------------------------

HEADER = """\
Codice 
ISTAT Denominazione Comune

POP. 0-6 
ANNI

POSTI IN 
ESERCIZIO 

PRIMA 
INFANZIA

ISCRITTI SCUOLE 
PARITARIE

ISCRITTI 
SEZIONI 

PRIMAVERA
Riparto 30% su 
pop. 0-6 anni

Riparto 50% su 
posti prima 

infanzia

Riparto 15% su 
iscritti scuole 

paritarie

Riparto 5% su 
iscritti sezioni 

primavera TOTALE RIPARTO
"""

# Fund 1.000,00; column totals 100 / 50 / 30 / 10, so the amounts per unit are
# 3,00 / 10,00 / 5,00 / 5,00. Barasso prints 3 integers (posti blank); Besano's "5 0 2"
# fits either posti or paritarie as the blank cell.
FRAGMENT = f"""\
 D.d.s. 14 novembre 2018 - n. 100
Riparto di prova del fondo

IL DIRIGENTE DELLA U.O. PROVA

DECRETA
1. di approvare il riparto -pari complessivamente a € 
1.000,00- come da Allegato A;
Il dirigente
Maria Rossi

——— • ———
 Allegato A - Riparto di prova

{HEADER}012006 Azzate 35 20 10 3 105,00        200,00     50,00     15,00     370,00
012007 Azzio 30 30 0 5 90,00 300,00                 -            25,00       415,00



Serie Ordinaria n. 1 - Lunedì 12 novembre 2018

– 4 – Bollettino Ufficiale

 {HEADER} 012008 Barasso 30 20 0 90,00          -             100,00      -      190,00
012011 Besano 5 0 2 15,00 - - 10,00 25,00
"""


def test_fragment_layout_hazards():
    result, ctx, log = parse_text("burl", FRAGMENT, specs=SPECS)
    _, table = fondo(result)
    by = {r["comune"]: r for r in table.rows}
    assert list(by) == ["Azzate", "Azzio", "Barasso", "Besano"]
    assert row_values(by["Barasso"]) == (
        "Barasso",
        30,
        None,
        20,
        0,
        "90.00",
        "0.00",
        "100.00",
        "0.00",
        "190.00",
    )
    assert by["Barasso"]["conteggio_non_stampato"] == "posti_prima_infanzia"
    assert row_values(by["Besano"]) == (
        "Besano",
        5,
        None,
        0,
        2,
        "15.00",
        "0.00",
        "0.00",
        "10.00",
        "25.00",
    )
    assert (
        by["Barasso"]["line_start"]
        == FRAGMENT.split("\n").index(
            " 012008 Barasso 30 20 0 90,00          -             100,00      -      190,00"
        )
        + 1
    )
    assert all(r["istat"] == r["codice_istat_stampato"] for r in table.rows)
    assert all(r["act_id"] == "dds-2018-11-14-100" for r in table.rows)
    # page header and repeated column header: skipped, accounted, not rejected
    assert table.lines_in == 4 and [x for x in result.rejects if x.table == "riparto"] == []
    checks = fondo_checks(result)
    assert [c.id for c in checks.values() if not c.passed] == []
    assert checks["fondo06:header-repeats"].parsed == 2
    assert "2 righe di intestazione di pagina" in checks["fondo06:rows-published"].explanation
    assert checks["fondo06:unit-amount:pop_0_6"].declared == 3.0
    assert checks["fondo06:unit-amount:posti_prima_infanzia"].declared == 10.0
    assert checks["fondo06:fund-total"].parsed == 1000.00
    assert "2 collocate in modo univoco" not in checks["fondo06:missing-counts"].explanation
    assert (
        "1 collocate in modo univoco; 1 con due collocazioni"
        in checks["fondo06:missing-counts"].explanation
    )


def test_fragment_rows_that_cannot_be_read_are_rejected():
    text = FRAGMENT + (
        "012012 Besnate 291 30 117 0 7.131,31 9.446,10\n"  # amounts cut off
        "012013 Besozzo 10 10 10 30,00 100,00 50,00 50,00 230,00\n"
    )  # no blank column
    result, _, _ = parse_text("burl", text, specs=SPECS)
    _, table = fondo(result)
    assert len(table.rows) == 4 and table.lines_in == 6
    reasons = {x.line: x.reason for x in result.rejects if x.table == "riparto"}
    n = len(text.split("\n")) - 1
    assert reasons[n - 1].startswith("riga non riconosciuta")
    assert reasons[n].startswith("3 conteggi stampati su 4")
    checks = fondo_checks(result)
    assert not checks["fondo06:rows-published"].passed
    assert not checks["fondo06:missing-counts"].passed


def test_fragment_declared_fund_disagrees():
    text = FRAGMENT.replace("1.000,00- come", "1.100,00- come")
    result, _, _ = parse_text("burl", text, specs=SPECS)
    checks = fondo_checks(result)
    assert not checks["fondo06:fund-total"].passed
    assert not checks["fondo06:unit-amount-rows:pop_0_6"].passed
    assert not checks["fondo06:column-total:pop_0_6"].passed
    assert checks["fondo06:row-sums"].passed  # rows still add up


def test_fragment_codes_out_of_order_and_wrong_code():
    text = FRAGMENT.replace("012007 Azzio", "012005 Azzio")
    result, _, _ = parse_text("burl", text, specs=SPECS)
    checks = fondo_checks(result)
    assert not checks["fondo06:istat-order"].passed
    reg = checks["fondo06:istat-registry"]
    assert not reg.passed and "stampato 012005, registro 012007" in reg.explanation


def test_no_table_no_dataset():
    result, _, _ = parse_text(
        "burl", specs=SPECS, text=" D.g.r. 19 novembre 2018 - n. XI/1\nTitolo\n"
    )
    assert not [d for d in result.datasets if d.name == DATASET]
    assert not fondo_checks(result)
