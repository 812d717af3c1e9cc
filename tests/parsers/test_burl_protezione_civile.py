"""Contributi protezione civile 2018 (D.d.s. 16766 in BURL SO 47/2018).

Real document: rows of both annexes and of the commitments table checked value by value
against the text, resolutions, every check's outcome, line accounting. Crafted fragments:
the NBSP cell rule and its loss, the optional P.IVA cell, a wrong printed total, rows that
cannot be read, a natural person's codice fiscale.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from support import covered, parse_real, parse_text

DOC = "burl-2018-so47"
DATASET = "protezione-civile-contributi-2018"


def tables(result):
    ds = [d for d in result.datasets if d.name == DATASET]
    assert len(ds) == 1
    return {t.name: t for t in ds[0].tables}


def pc_checks(result):
    return {c.id: c for c in result.checks if c.id.startswith("pc:")}


@pytest.fixture(scope="module")
def real():
    result, ctx, log = parse_real(DOC)
    return result, ctx


@pytest.fixture(scope="module")
def t(real):
    return tables(real[0])


def test_tables_and_counts(real, t):
    ds = [d for d in real[0].datasets if d.name == DATASET][0]
    assert ds.programme == DATASET
    assert [x.name for x in ds.tables] == ["enti_locali", "associazioni", "impegni"]
    assert len(t["enti_locali"].rows) == 35
    assert len(t["associazioni"].rows) == 80
    assert len(t["impegni"].rows) == 5
    assert [r["n"] for r in t["associazioni"].rows] == list(range(1, 81))
    assert Counter(r["provincia"] for r in t["enti_locali"].rows) == {
        "SO": 10,
        "BG": 7,
        "BS": 7,
        "CO": 4,
        "PV": 3,
        "LC": 2,
        "VA": 2,
    }
    assert Counter(r["provincia"] for r in t["associazioni"].rows) == {
        "BS": 32,
        "BG": 13,
        "CR": 7,
        "MI": 7,
        "MN": 4,
        "CO": 3,
        "MB": 3,
        "SO": 3,
        "LC": 2,
        "LO": 2,
        "PV": 2,
        "VA": 2,
    }
    for name in ("enti_locali", "associazioni"):
        assert t[name].foreign_keys[0]["fields"] == "istat"
        assert t[name].primary_key == ["n"]


def test_line_accounting(real, t):
    rejects = [x for x in real[0].rejects if x.table in t]
    assert rejects == []
    assert t["enti_locali"].lines_in == 35 and t["associazioni"].lines_in == 80
    assert t["impegni"].lines_in == 12  # label lines + data lines of the 5 ruoli
    for table in t.values():
        assert len(covered(table)) >= table.lines_in
    # every row is a single line of the annexes, at the documented places
    assert t["enti_locali"].rows[0]["line_start"] == 8450
    assert t["enti_locali"].rows[-1]["line_start"] == 8486
    assert t["associazioni"].rows[0]["line_start"] == 8526
    assert t["associazioni"].rows[-1]["line_start"] == 8607


def test_ente_rows_against_text(t):
    rows = {r["n"]: r for r in t["enti_locali"].rows}
    # 8450: 1 966884 07/09/2018 12:32:28 Z1.2018.0020702 COMUNITA' MONTANA VALTELLINA DI SONDRIO SO
    #       93001950141 20 3 3 4 2 3 5 Ammesso e finanziato 7.215,42 € 7.215,42 € 5.000,00 € ...
    r = rows[1]
    assert (
        r["id_pratica"],
        r["data_protocollazione"],
        r["ora_protocollazione"],
        r["numero_protocollo"],
    ) == ("966884", "2018-09-07", "12:32:28", "Z1.2018.0020702")
    assert r["ente"] == "COMUNITA' MONTANA VALTELLINA DI SONDRIO"
    assert r["tipo_ente"] == "Comunità montana" and r["istat"] is None
    assert (r["provincia"], r["codice_fiscale"]) == ("SO", "93001950141")
    assert [
        r[k]
        for k in (
            "punteggio_totale",
            "punti_nr_comuni",
            "punti_piano_protezione_civile",
            "punti_popolazione",
            "punti_rischio_sismico",
            "punti_rischio_idrogeologico",
            "punti_rischio_incendi_boschivi",
        )
    ] == [20, 3, 3, 4, 2, 3, 5]
    assert r["esito"] == "Ammesso e finanziato"
    assert [
        r[k]
        for k in (
            "spese_presentate",
            "spese_ammesse",
            "contributo_assegnato",
            "contributo_finanziato",
            "quota_carico_richiedente",
        )
    ] == [
        Decimal("7215.42"),
        Decimal("7215.42"),
        Decimal("5000.00"),
        Decimal("5000.00"),
        Decimal("2215.42"),
    ]
    # 8455: 6 ... CASTELLO DELL'ACQUA SO 80001970146 ... 4.448,29 €
    assert (rows[6]["ente"], rows[6]["tipo_ente"], rows[6]["istat"]) == (
        "CASTELLO DELL'ACQUA",
        "Comune",
        "014014",
    )
    # 8461: VIGANO SAN MARTINO (Viganò San Martino) resolves without the accent
    assert rows[12]["istat"] == "016236"
    # 8462: TORRE DE' BUSI printed in LC, ISTAT 2023 puts it in BG: resolved, with a note
    assert rows[13]["istat"] == "016215" and rows[13]["provincia"] == "LC"
    # 8486: 35 ... COSTA DE' NOBILI PV ... Ammesso parz. finanziato 4.970,09 € ... 829,61 € 4.140,48 €
    r = rows[35]
    assert r["esito"] == "Ammesso parz. finanziato"
    assert (r["contributo_finanziato"], r["quota_carico_richiedente"]) == (
        Decimal("829.61"),
        Decimal("4140.48"),
    )
    kinds = [r["tipo_ente"] for r in rows.values()]
    assert kinds.count("Comune") == 25 and kinds.count("Comunità montana") == 8
    assert kinds.count("Unione di comuni") == 2
    assert all(r["istat"] for r in rows.values() if r["tipo_ente"] == "Comune")


def test_association_rows_against_text(t):
    rows = {r["n"]: r for r in t["associazioni"].rows}
    # 8538: 13 ... GRUPPO VOLONTARI PER LA PROTEZIONE CIVILE E L'ANTINCENDIO BOSCHIVO DI SONDRIO
    #       SONDRIO SO 93004080144 00664000148 15 1 5 2 3 4 ...
    r = rows[13]
    assert r["associazione"] == (
        "GRUPPO VOLONTARI PER LA PROTEZIONE CIVILE E L'ANTINCENDIO BOSCHIVO DI SONDRIO"
    )
    assert (r["comune"], r["provincia"], r["istat"]) == ("SONDRIO", "SO", "014061")
    assert (r["codice_fiscale"], r["partita_iva"]) == ("93004080144", "00664000148")
    assert [
        r[k]
        for k in (
            "punteggio_totale",
            "punti_popolazione",
            "punti_n_volontari",
            "punti_rischio_sismico",
            "punti_rischio_idrogeologico",
            "punti_rischio_incendi_boschivi",
        )
    ] == [15, 1, 5, 2, 3, 4]
    # 8573: 46 ... IL NIBBIO ONLUS SPINADESCO CR ... 4.540,00 € 4.510,00 € 30,00 €
    r = rows[46]
    assert (r["associazione"], r["comune"], r["istat"]) == (
        "IL NIBBIO ONLUS",
        "SPINADESCO",
        "019100",
    )
    assert (
        r["contributo_assegnato"],
        r["contributo_finanziato"],
        r["quota_carico_richiedente"],
    ) == (Decimal("4540.00"), Decimal("4510.00"), Decimal("30.00"))
    # 8575: TOSCOLANO‐MADERNO with U+2010 hyphen
    assert (rows[48]["comune"], rows[48]["istat"]) == ("TOSCOLANO-MADERNO", "017187")
    # aliases with evidence: COLLIO VAL TROMPIA, CASALBUTTANO, CASATENOVO BRIANZA
    assert (rows[3]["comune"], rows[3]["istat"], rows[3]["resolution_method"]) == (
        "COLLIO VAL TROMPIA",
        "017058",
        "alias",
    )
    assert (rows[80]["comune"], rows[80]["istat"]) == ("CASALBUTTANO", "019016")
    assert rows[71]["istat"] == "097016"
    # 8579: CASTELLI CALEPIO with a trailing NBSP
    assert rows[52]["comune"] == "CASTELLI CALEPIO" and rows[52]["istat"] == "016062"
    assert sum(1 for r in rows.values() if r["partita_iva"]) == 18
    assert all(r["istat"] for r in rows.values())


def test_impegni(t):
    rows = t["impegni"].rows
    assert [(r["codice"], r["destinatari"], r["anno_2018"]) for r in rows] == [
        ("55519", "associazioni", Decimal("137577.31")),
        ("55523", "associazioni", Decimal("127928.90")),
        ("55542", "associazioni", Decimal("84493.79")),
        ("55544", "enti_locali", Decimal("95838.06")),
        ("55545", "enti_locali", Decimal("54161.94")),
    ]
    assert rows[0]["ruolo"] == "RUOLO 1 ASSOCIAZIONI BANDO 2018"
    assert rows[3]["capitolo"] == "11.01.203.13214"


def test_every_check_passes(real):
    checks = pc_checks(real[0])
    failed = {k: (c.declared, c.parsed) for k, c in checks.items() if not c.passed}
    assert failed == {}
    expected = {
        "pc:enti_locali:totale:spese_presentate": 167517.03,
        "pc:enti_locali:totale:contributo_finanziato": 150000.0,
        "pc:enti_locali:totale:quota_carico_richiedente": 16685.29,
        "pc:associazioni:totale:spese_presentate": 370701.47,
        "pc:associazioni:totale:contributo_assegnato": 352977.54,
        "pc:associazioni:totale:contributo_finanziato": 350000.0,
        "pc:enti_locali:numero-domande": 35,
        "pc:associazioni:numero-domande": 80,
        "pc:impegni:decreto": 500000.0,
        "pc:capitolo:13214": 150000.0,
        "pc:capitolo:13215": 350000.0,
    }
    for cid, value in expected.items():
        assert checks[cid].declared == value, cid
    for code, block in (
        ("55544", "PROG 1-20"),
        ("55545", "PROG 21-35"),
        ("55519", "PROG 1-30"),
        ("55523", "PROG 31-60"),
        ("55542", "PROG 61-80"),
    ):
        assert block in checks[f"pc:impegni:ruolo:{code}"].description
    assert len(checks) == 28


# -- crafted fragments ---------------------------------------------------------------------
HEADER_ASSOC = """\
 ALLEGATO·2· DOMANDE·FINANZIATE·‐·ASSOCIAZIONI·DI·VOLONTARIATO·DI·PROTEZIONE CIVILE ·
PROG ID·PRATICA DATA·PROTOCOLLAZIONE NUMERO·PROTOCOLLO ASSOCIAZIONE·RICHIEDENTE COMUNE PROVINCIA CF P.·IVA
PUNTEGGIO·
TOTALE

PUNTI
POPOLAZIONE

PUNTI
N.·VOLONTARI

PUNTI·RISCHIO
SISMICO

PUNTI·RISCHIO
IDROGEOLOGICO

PUNTI·RISCHIO
INCENDI·BOSCHIVI

ESITO·ISTRUTTORIA
SPESE
PRESENTATE
QUOTA·CARICO·
RICHIEDENTE
"""
ROW_SERLE = (
    "1 972477 10/09/2018·14:41:43 Z1.2018.0020851 PROTEZIONE·CIVILE·SERLE SERLE BS "
    "98191510175 14 3 4 3 0 4 Ammesso·e·finanziato 4.646,00·€ 4.646,00·€ 4.646,00·€ "
    "4.646,00·€ 0,00·€"
)
ROW_PIVA = (
    "2 973241 11/09/2018·18:08:41 Z1.2018.0021024 TIGNALE·SOCCORSO TIGNALE BS 01701770982 "
    "01701770982 14 4 2 3 1 4 Ammesso·e·finanziato 4.400,00·€ 4.400,00·€ 4.400,00·€ "
    "4.400,00·€ 0,00·€"
)
TOTAL = "TOTALE 9.046,00·€ 9.046,00·€ 9.046,00·€ 9.046,00·€ 0,00·€"


def nbsp(text: str) -> str:
    return text.replace("·", "\u00a0")


def crafted(*rows, total=TOTAL, header=HEADER_ASSOC):
    result, ctx, log = parse_text("burl", nbsp(header + "\n".join(rows) + "\n" + total + "\n"))
    return result, tables(result).get("associazioni")


def test_nbsp_rule_splits_name_and_comune():
    result, table = crafted(ROW_SERLE, ROW_PIVA)
    a, b = table.rows
    assert (a["associazione"], a["comune"], a["istat"]) == (
        "PROTEZIONE CIVILE SERLE",
        "SERLE",
        "017178",
    )
    assert (a["codice_fiscale"], a["partita_iva"]) == ("98191510175", None)
    assert (b["codice_fiscale"], b["partita_iva"]) == ("01701770982", "01701770982")
    assert b["line_start"] == b["line_end"] == len(HEADER_ASSOC.splitlines()) + 2
    checks = pc_checks(result)
    assert all(c.passed for c in checks.values())
    assert checks["pc:associazioni:totale:spese_presentate"].declared == 9046.0


def test_lost_nbsp_comune_found_from_the_registry():
    # every NBSP replaced by a plain space: the comune is the longest tail naming a comune of BS
    row = ROW_SERLE.replace("·", " ").replace("PROTEZIONE CIVILE SERLE", "GRUPPO DI SAN ZENO")
    row = row.replace("SERLE BS", "SAN ZENO NAVIGLIO BS")
    _, table = crafted(row, total="TOTALE 4.646,00 € 4.646,00 € 4.646,00 € 4.646,00 € 0,00 €")
    (r,) = table.rows
    assert (r["associazione"], r["comune"], r["istat"]) == (
        "GRUPPO DI SAN ZENO",
        "SAN ZENO NAVIGLIO",
        "017173",
    )


def test_wrong_printed_total_fails_its_check():
    wrong = "TOTALE 9.046,00·€ 9.046,00·€ 9.046,00·€ 9.000,00·€ €·0,00"
    result, _ = crafted(ROW_SERLE, ROW_PIVA, total=wrong)
    c = pc_checks(result)["pc:associazioni:totale:contributo_finanziato"]
    assert not c.passed and (c.declared, c.parsed) == (9000.0, 9046.0)
    assert "differenza" in c.explanation


def test_unreadable_rows_are_rejected_with_reasons():
    bad_scores = ROW_PIVA.replace(" 14 4 2 3 1 4 ", " 14 4 2 3 ")
    bad_prov = ROW_SERLE.replace(" SERLE BS ", " SERLE XX ").replace("1 972477", "3 972477")
    garbled = "4 9x 10/09/2018 qualcosa di illeggibile 12"
    result, table = crafted(ROW_SERLE, bad_scores, bad_prov, garbled)
    assert len(table.rows) == 1
    assert table.lines_in == 4
    rejects = [x for x in result.rejects if x.table == "associazioni"]
    reasons = sorted(x.reason for x in rejects)
    assert len(rejects) == 3
    assert any("punteggi" in r for r in reasons)
    assert any("provincia sconosciuta" in r for r in reasons)
    assert any("non riconosciuta" in r for r in reasons)
    assert {x.line for x in rejects} | covered(table) == {
        n for n in range(len(HEADER_ASSOC.splitlines()) + 1, len(HEADER_ASSOC.splitlines()) + 5)
    }
    checks = pc_checks(result)
    assert (
        checks["pc:associazioni:prog"].declared,
        checks["pc:associazioni:prog"].parsed,
        checks["pc:associazioni:prog"].passed,
    ) == (3, 1, False)
    assert not checks["pc:associazioni:totale:spese_presentate"].passed


def test_enti_layout_and_natural_person_masked():
    header = """\
 ALLEGATO·DOMANDE·FINANZIATE·‐·ENTI·LOCALI··DOTATI·DI·GRUPPO·COMUNALE
PROG ID·PRATICA DATA·PROTOCOLLAZIONE NUMERO·PROTOCOLLO ENTE·RICHIEDENTE PROVINCIA
CODICE·
FISCALE
PUNTEGGIO
TOTALE
PUNTI·NR.·
COMUNI
PUNTI·PIANO·PROT.·
CIVILE
PUNTI·
POPOLAZIONE
PUNTI·RISCHIO·
SISMICO
PUNTI·RISCHIO·
IDROGEOLOGICO
PUNTI·RISCHIO
INCENDI·BOSCHIVI
ESITO·ISTRUTTORIA
"""
    rows = [
        "1 967414 11/09/2018·17:16:18 Z1.2018.0021016 COMUNITA'·MONTANA·VALLE·BREMBANA BG "
        "02756440166 19 3 3 4 2 2 5 Ammesso·e·finanziato 4.335,15·€ 4.335,15·€ 4.335,15·€ "
        "4.335,15·€ 0,00·€",
        "2 971727 07/09/2018·16:33:18 Z1.2018.0020732 LUZZANA BG 00728650169 17 0 3 5 2 2 5 "
        "Ammesso·e·finanziato 3.775,00·€ 3.775,00·€ 3.775,00·€ 3.775,00·€ 0,00·€",
        "3 971728 07/09/2018·16:33:19 Z1.2018.0020733 ROSSI·MARIO BG RSSMRA80A01H501U 17 0 3 5 2 "
        "2 5 Ammesso·e·finanziato 1.000,00·€ 1.000,00·€ 1.000,00·€ 1.000,00·€ 0,00·€",
    ]
    result, ctx, log = parse_text(
        "burl",
        nbsp(
            header + "\n".join(rows) + "\nTOTALE 9.110,15·€ 9.110,15·€ 9.110,15·€ "
            "9.110,15·€ €·0,00\n"
        ),
    )
    table = tables(result)["enti_locali"]
    cm, luzzana, person = table.rows
    assert (cm["tipo_ente"], cm["istat"], cm["punti_nr_comuni"]) == ("Comunità montana", None, 3)
    assert (luzzana["tipo_ente"], luzzana["istat"]) == ("Comune", "016130")
    assert (person["ente"], person["codice_fiscale"], person["tipo_ente"]) == (
        "Persona fisica n. 1",
        None,
        None,
    )
    assert "ROSSI" not in str(table.rows)
    assert not any("ROSSI" in r.query for r in ctx)  # never sent to resolution
    assert all(c.passed for c in pc_checks(result).values())
