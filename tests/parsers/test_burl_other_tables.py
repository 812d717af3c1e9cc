"""Other tables of beneficiaries in BURL SO 47/2018: associazioni piscatorie (D.g.r. XI/827)
and the wildlife-damage acts (D.d.u.o. 16552, D.d.s. 16556, D.d.u.o. 16669, D.d.s. 16661,
D.d.s. 16684).

Real document: row counts, rows checked against the text, every check's outcome (the
failures are exactly the documented defects), privacy, line accounting. Crafted fragments:
a table printed twice, rows wrapped over lines and blank lines, cells omitted (oasi rows,
private individuals), percentages in words, page titles and repeated headers inside a
table, groups without a label, both € styles, P.IVA/CUAA column order.
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from support import covered, parse_real, parse_text
from generator.extract.persons import LEGAL_FORM, PERSONA_FISICA, PERSONA_GIURIDICA, subject_kind
from generator.privacy import CF_PERSONAL

DOC = "burl-2018-so47"
ROOT = Path(__file__).resolve().parents[2]
KNOWN = ROOT / "data" / "known-defects" / "burl-2018-so47-tables.yaml"
PREFIXES = ("piscatorie:", "prevenzione_brescia:", "indennizzi_", "trasferimenti:")


def tables(result, dataset):
    ds = [d for d in result.datasets if d.name == dataset]
    return {t.name: t for t in ds[0].tables} if ds else {}


def my_checks(result):
    return {c.id: c for c in result.checks if c.id.startswith(PREFIXES)}


@pytest.fixture(scope="module")
def real():
    result, ctx, log = parse_real(DOC)
    return result, ctx


@pytest.fixture(scope="module")
def fauna(real):
    return tables(real[0], "danni-fauna-selvatica-2018")


@pytest.fixture(scope="module")
def doc_lines():
    return (ROOT / "data" / "sources" / f"{DOC}.txt").read_text(encoding="utf-8").split("\n")


# -- real document -------------------------------------------------------------------------
def test_datasets_tables_and_counts(real, fauna):
    pisc = tables(real[0], "associazioni-piscatorie-2018")
    assert {k: len(v.rows) for k, v in pisc.items()} == {"contributi": 3}
    assert {k: len(v.rows) for k, v in fauna.items()} == {
        "prevenzione_brescia": 3,
        "indennizzi_brescia": 133,
        "indennizzi_mantova": 101,
        "indennizzi_cremona": 50,
        "trasferimenti": 19,
    }
    progs = {d.name: d.programme for d in real[0].datasets}
    assert progs["danni-fauna-selvatica-2018"] == "danni-fauna-selvatica-2018"
    assert progs["associazioni-piscatorie-2018"] == "associazioni-piscatorie-2018"


def test_line_accounting(real, fauna, doc_lines):
    mine = dict(fauna, contributi=tables(real[0], "associazioni-piscatorie-2018")["contributi"])
    rejects = [x for x in real[0].rejects if x.table in mine]
    assert rejects == []
    assert {k: t.lines_in for k, t in mine.items()} == {
        "contributi": 15,
        "prevenzione_brescia": 11,
        "indennizzi_brescia": 184,
        "indennizzi_mantova": 115,
        "indennizzi_cremona": 72,
        "trasferimenti": 31,
    }
    for name, t in mine.items():
        nonblank = {n for n in covered(t) if doc_lines[n - 1].strip()}
        assert len(nonblank) == t.lines_in, name  # every candidate is inside a row
        ranges = sorted((r["line_start"], r["line_end"]) for r in t.rows)
        if name != "trasferimenti":  # rows never overlap
            assert all(a[1] < b[0] for a, b in zip(ranges, ranges[1:])), name


def test_piscatorie_rows(real):
    rows = tables(real[0], "associazioni-piscatorie-2018")["contributi"].rows
    # the operative copy (147-166) is published:
    # "Euro 102.981,42 Euro 64.329,17 n. 56.311 Euro 64.329,17"
    assert [
        (
            r["associazione"],
            r["importo_programma"],
            r["contributo_richiesto"],
            r["iscritti"],
            r["contributo_assegnato"],
            r["line_start"],
            r["line_end"],
        )
        for r in rows
    ] == [
        (
            "FIPSAS Comitato Regione Lombardia",
            Decimal("102981.42"),
            Decimal("64329.17"),
            56311,
            Decimal("64329.17"),
            147,
            152,
        ),
        (
            "Unione Pesca Sportiva Provincia di Sondrio",
            Decimal("113549.00"),
            Decimal("17549.00"),
            5878,
            Decimal("17549.00"),
            154,
            160,
        ),
        (
            "Unione Pescatori Bresciani",
            Decimal("26879.77"),
            Decimal("23829.77"),
            2331,
            Decimal("18121.83"),
            162,
            166,
        ),
    ]


def test_brescia_rows(fauna):
    prev = {r["n"]: r for r in fauna["prevenzione_brescia"].rows}
    # 5415-5421: 3 CA5 Monerbe Società Agricola Srl ... 04254190160 ...
    #            883,14 746,39 30 223,92 522,47
    r = prev[3]
    assert (r["beneficiario"], r["soggetto"], r["cuaa"], r["codice_sian_cor"]) == (
        "Monerbe Società Agricola Srl",
        PERSONA_GIURIDICA,
        "04254190160",
        "R-388677",
    )
    # the comune comes from the decree text (5213-5214), joined on the codice fiscale
    assert (r["comune"], r["provincia"], r["istat"]) == ("Predore", "BG", "016174")
    assert (
        r["contributo_ammissibile"],
        r["importo_ammesso"],
        r["percentuale_atc"],
        r["quota_atc"],
        r["quota_regione"],
    ) == (Decimal("883.14"), Decimal("746.39"), 30, Decimal("223.92"), Decimal("522.47"))
    assert (r["line_start"], r["line_end"]) == (5415, 5421)
    # 5410-5413: a sole proprietorship with a personal CUAA: masked, comune kept (Ceto, 5216-5217)
    r = prev[2]
    assert (r["beneficiario"], r["soggetto"], r["cuaa"], r["partita_iva"]) == (
        "Persona fisica n. 1",
        PERSONA_FISICA,
        None,
        None,
    )
    assert (r["comune"], r["istat"], r["quota_regione"]) == ("Ceto", "017050", Decimal("2250.00"))
    ind = {r["n"]: r for r in fauna["indennizzi_brescia"].rows}
    # 5833: 1 CA4 <private individual> <CF> no caccia programmata 397,00 297,00 diceci 29,70 267,30
    r = ind[1]
    assert (r["ambito"], r["beneficiario"], r["azienda_agricola"], r["percentuale_atc"]) == (
        "CA4",
        "Persona fisica n. 1",
        False,
        10,
    )
    assert (r["importo_periziato"], r["importo_netto"], r["quota_atc"], r["quota_regione"]) == (
        Decimal("397.00"),
        Decimal("297.00"),
        Decimal("29.70"),
        Decimal("267.30"),
    )
    # 5853: oasi row, no % and no ATC cell
    r = ind[10]
    assert (
        r["tipologia_territorio"],
        r["percentuale_atc"],
        r["quota_atc"],
        r["quota_regione"],
    ) == ("oasi", None, None, Decimal("1332.26"))
    # 5937-5940: legal entity over two lines and a blank
    r = ind[45]
    assert (r["beneficiario"], r["cuaa"], r["partita_iva"]) == (
        "Azienda Agricola Belvedere di Colosio Oscar e Dorotea S.S.",
        "02113830174",
        "00686560988",
    )
    assert (r["tipologia_territorio"], r["percentuale_atc"], r["line_end"]) == (
        "terreni in aree di cui comma 3 art. 5 L.R. 19/2017",
        30,
        5940,
    )
    # rows 3-7: the same person five times, one label
    assert {ind[k]["beneficiario"] for k in range(3, 8)} == {ind[3]["beneficiario"]}
    persons = [r for r in ind.values() if r["soggetto"] == PERSONA_FISICA]
    assert len(persons) == 110 and len({r["beneficiario"] for r in persons}) == 95


def test_val_padana_rows(fauna):
    mn = {r["n"]: r for r in fauna["indennizzi_mantova"].rows}
    assert (mn[1]["beneficiario"], mn[1]["cuaa"], mn[1]["ambito"], mn[1]["ambito_metodo"]) == (
        "FONDO BOZZOLE SOCIETA' AGRICOLA S.S.",
        "02301660201",
        "ATC 1",
        "intestazione",
    )
    # 6976: the only row of group 2, named by its subtotal (8.233,34 = Atc 2 at 6845)
    r = mn[23]
    assert (r["beneficiario"], r["ambito"], r["ambito_metodo"], r["quota_regione"]) == (
        "SOCIETA AGRICOLA MAIA S.S.",
        "ATC 2",
        "subtotale",
        Decimal("8233.34"),
    )
    assert Counter(r["ambito"] for r in mn.values()) == {
        "ATC 1": 22,
        "ATC 2": 1,
        "ATC 3": 30,
        "ATC 4": 6,
        "ATC 5": 11,
        "ATC 6": 31,
    }
    assert sum(r["soggetto"] == PERSONA_FISICA for r in mn.values()) == 67
    cr = {r["n"]: r for r in fauna["indennizzi_cremona"].rows}
    # 7629-7630: P.IVA before CUAA in Cremona; 10-digit P.IVA printed as is; SI = riduzione
    r = cr[3]
    assert (r["beneficiario"], r["cuaa"], r["partita_iva"], r["riduzione_de_minimis"]) == (
        "AGRICOLA IMMOBILIARE RIO ZANCARA S.P.A.",
        "01654880127",
        "1654880127",
        True,
    )
    # 7672-7677: row broken right after the dates, name over three lines, page title before it
    r = cr[19]
    assert (r["beneficiario"], r["line_start"], r["line_end"], r["quota_regione"]) == (
        "LAMBO SOCIETA SEMPLICE AGRICOLA DI BOZZETTI G. E LAPPONI M",
        7672,
        7677,
        Decimal("14348.00"),
    )
    assert Counter(r["ambito"] for r in cr.values()) == {
        "ATC 1": 27,
        "ATC 2": 12,
        "ATC 3": 1,
        "ATC 4": 7,
        "ATC 7": 3,
    }
    assert {r["ambito_metodo"] for r in cr.values()} == {"intestazione"}


def test_transfers(fauna):
    rows = fauna["trasferimenti"].rows
    by = {(r["atto"], r["n"]): r for r in rows}
    r = by[("D.d.u.o. n. 16552", 2)]
    assert (r["beneficiario"], r["ambito"], r["codice_beneficiario"], r["codice_fiscale"]) == (
        'COMPRENSORIO ALPINO DI CACCIA "CA3" MEDIA VALLE CAMONICA',
        "CA3",
        "959026",
        "90006140173",
    )
    assert (r["indirizzo"], r["comune_sede"], r["istat"], r["importo_regione"]) == (
        "VIA PELABROCCO N. 15 - CASELLA POSTALE 83 25043 BRENO (BS)",
        "BRENO",
        "017028",
        Decimal("2250.00"),
    )
    r = by[("D.d.s. n. 16556", 1)]
    assert (r["beneficiario"], r["codice_beneficiario"], r["importo_regione"]) == (
        "BENEFICIARI DIVERSI INDENNIZZO DANNI",
        "55458",
        Decimal("72631.29"),
    )
    r = by[("D.d.u.o. n. 16669", 1)]
    assert (
        r["beneficiario"],
        r["ambito"],
        r["importo_regione"],
        r["importo_indennizzi"],
        r["importo_prevenzione"],
    ) == (
        "Atc della Pianura Milanese",
        "ATC 1",
        Decimal("84535.59"),
        Decimal("77620.00"),
        Decimal("6915.59"),
    )
    assert by[("D.d.u.o. n. 16669", 4)]["importo_regione"] == Decimal("2326.00")  # '2326,00'
    r = by[("D.d.s. n. 16684", 4)]
    assert (
        r["beneficiario"],
        r["codice_beneficiario"],
        r["codice_fiscale"],
        r["importo_regione"],
        r["importo_atc"],
        r["importo_complessivo"],
    ) == (
        "ATC4",
        "959157",
        "93026590195",
        Decimal("37682.86"),
        Decimal("623.32"),
        Decimal("38306.17"),
    )
    assert sum(r["importo_regione"] for r in rows if r["atto"] == "D.d.s. n. 16661") == Decimal(
        "256209.65"
    )


def test_checks_fail_exactly_on_documented_defects(real):
    checks = my_checks(real[0])
    known = {d["id"] for d in yaml.safe_load(KNOWN.read_text(encoding="utf-8"))["checks"]}
    failed = {k for k, c in checks.items() if not c.passed}
    assert failed == known
    assert len(checks) == 116
    expected = {  # declared, parsed
        "piscatorie:totale-delibera": (100000.0, 100000.0),
        "piscatorie:copia:1": (3, 3),
        "indennizzi_brescia:totale:importo_netto": (85731.42, 85731.42),
        "indennizzi_brescia:totale:quota_regione": (72631.29, 72631.33),
        "indennizzi_brescia:franchigia": (133, 133),
        "indennizzi_mantova:gruppo:3:quota_regione": (51874.46, 51874.5),
        "indennizzi_mantova:totale:importo_da_liquidare": (267909.51, 267909.51),
        "indennizzi_cremona:gruppo:4:quota_atc": (623.32, 623.32),
        "indennizzi_cremona:totale:quota_atc": (7861.35, 7861.36),
        "trasferimenti:16669:capitoli:1:totale:prevenzione": (7227.67, 7227.67),
        "trasferimenti:16684:riparto:copia:2": (5, 4),
        "trasferimenti:16552:allegato:CA5": (522.47, 522.47),
    }
    for cid, (dec, par) in expected.items():
        assert (checks[cid].declared, checks[cid].parsed) == (dec, par), cid
    assert "1.885.46" in checks["trasferimenti:16684:riparto:copia:2"].explanation


def test_no_natural_person_is_published(real, fauna, doc_lines):
    values = [str(v) for t in fauna.values() for r in t.rows for v in r.values() if v is not None]
    values += [
        str(v)
        for t in tables(real[0], "associazioni-piscatorie-2018").values()
        for r in t.rows
        for v in r.values()
    ]
    assert not [
        v for v in values if CF_PERSONAL.search(v) or any(CF_PERSONAL.match(w) for w in v.split())
    ]
    # the two words printed before every personal codice fiscale of the annexes (a surname
    # and a first name) never appear in a published value
    names = set()
    for n in (
        list(range(5405, 5424))
        + list(range(5833, 6151))
        + list(range(6935, 7093))
        + list(range(7625, 7877))
    ):
        for m in re.finditer(
            r"([A-Za-zÀ-ÿ']+ [A-Za-zÀ-ÿ']+) (?:[0-9]{7} [0-9]{7} R-\d+ |"
            r"\d{10,11} )?([A-Z0-9]{16})\b",
            doc_lines[n - 1],
        ):
            if CF_PERSONAL.match(m.group(2)):
                names.add(m.group(1).upper())
    assert len(names) > 150
    blob = "\n".join(values).upper()
    assert [x for x in names if x in blob] == []
    for t in fauna.values():
        for r in t.rows:
            if r.get("soggetto") == PERSONA_FISICA:
                assert re.fullmatch(r"Persona fisica n\. \d+", r["beneficiario"])
                assert r["cuaa"] is r["partita_iva"] is r["codice_sian_cor"] is None


def test_privacy_rule_agrees_with_legal_form_tokens(fauna):
    """Evidence for the rule: on every real row, the codice fiscale rule and the presence of a
    legal-form token in the printed name give the same answer."""
    for name in (
        "prevenzione_brescia",
        "indennizzi_brescia",
        "indennizzi_mantova",
        "indennizzi_cremona",
    ):
        for r in fauna[name].rows:
            if r["soggetto"] == PERSONA_GIURIDICA:
                assert LEGAL_FORM.search(r["beneficiario"]), r["beneficiario"]


def test_subject_kind_rule():
    assert subject_kind("Azienda Agricola Rossi Mario", "RSSMRA80A01H501U") == PERSONA_FISICA
    assert subject_kind("Rossi S.S.", "RSSMRA80A01H501U") == PERSONA_FISICA  # the code wins
    assert subject_kind("Bianchi Luigi e Carlo", "01234567890") == PERSONA_GIURIDICA
    assert subject_kind("Agricola Verdi S.R.L.", None) == PERSONA_GIURIDICA
    assert subject_kind("Verdi Anna", None) == PERSONA_FISICA
    assert subject_kind("FIPSAS Comitato", None, default=PERSONA_GIURIDICA) == PERSONA_GIURIDICA


# -- crafted fragments ---------------------------------------------------------------------
def nbsp(text: str) -> str:
    return text.replace("·", "\u00a0")


PISCATORIE = """\
 D.g.r. 19 novembre 2018 - n. XI/999
Contributi di prova
sono pervenuti i seguenti due programmi:
considerato idonei i seguenti interventi:
 Associazione
Pesca
Alta

Euro 1.000,00 Euro 800,00 n.·1.200 Euro 600,00

Lega
Pescatori

Euro 500,00 Euro 500,00 n.·300 Euro 400,00

DELIBERA
in base al seguente schema di ripartizione:
 Associazione
Pesca
Alta

Euro 1.000,00 Euro 800,00 n.·1.200 Euro 600,00

Lega
Pescatori

Euro 500,00 Euro 500,00 n.·300 Euro {last}

4. di stabilire che la somma complessiva pari a € 1.000,00 trova copertura;
"""


def test_piscatorie_last_copy_published_and_copies_compared():
    result, ctx, log = parse_text("burl", nbsp(PISCATORIE.format(last="400,00")))
    t = tables(result, "associazioni-piscatorie-2018")["contributi"]
    assert [(r["associazione"], r["iscritti"], r["contributo_assegnato"]) for r in t.rows] == [
        ("Associazione Pesca Alta", 1200, Decimal("600.00")),
        ("Lega Pescatori", 300, Decimal("400.00")),
    ]
    assert t.rows[0]["line_start"] == 18 and t.rows[1]["line_end"] == 27
    c = my_checks(result)
    assert all(x.passed for x in c.values())
    assert c["piscatorie:numero-programmi"].declared == 2
    result, ctx, log = parse_text("burl", nbsp(PISCATORIE.format(last="450,00")))
    c = my_checks(result)
    assert not c["piscatorie:copia:1"].passed
    assert (c["piscatorie:totale-delibera"].declared, c["piscatorie:totale-delibera"].parsed) == (
        1000.0,
        1050.0,
    )


BRESCIA = """\
 D.d.s. 14 novembre 2018 - n. 99998
Indennizzi di prova
• ad ogni stima dell’indennizzo è stata applicata una franchi-
gia di € 100,00
DECRETA
1. di approvare il prospetto per un importo complessivo di € 1.819,45=;
2. di assegnare la somma di € 1.452,25 come da prospetto
——— • ———
 ATC/CA Ragione sociale azienda beneficiaria Visura
deminimis
CUAA
azienda beneficiaria CF/PI Azienda
agricola Tipologia del territorio Importo
periziato
1 CA4 Rossi Carlo RSSCRL71H08B149K no caccia programmata 397,00 297,00 diceci 29,70 267,30

2 ATC Società Agricola Verdi Anna e
Luigi S.S. 1634191 1732844 R-386753 02997760984 02997760984 si terreni in aree  di cui comma 3

art. 5 L.R. 19/2017 1.225,00 1.125,00 trenta 337,50 787,50
 3 CA7 Azienda Agricola Bianchi Andrea 1640693 1732816 R-386852 BGANDR81A24D940B 02096170986 si oasi 497,45 397,45 397,45
4 ATC Azienda Agricola Neri Ugo 1634043 1732452 R-386731 illeggibile
5 CA3 Azienda Agricola Rossi Carlo 1 2 R-1 RSSCRL71H08B149K 01955340987 si zrc 200,00 100,00 quasi 10,00 90,00
2.119,45 1.819,45 367,20 1.452,25
"""


def test_brescia_layout_hazards():
    result, ctx, log = parse_text("burl", BRESCIA)
    t = tables(result, "danni-fauna-selvatica-2018")["indennizzi_brescia"]
    a, b, c = t.rows
    assert (a["beneficiario"], a["soggetto"], a["azienda_agricola"], a["percentuale_atc"]) == (
        "Persona fisica n. 1",
        PERSONA_FISICA,
        False,
        10,
    )
    assert (b["beneficiario"], b["cuaa"], b["percentuale_atc"], b["quota_atc"]) == (
        "Società Agricola Verdi Anna e Luigi S.S.",
        "02997760984",
        30,
        Decimal("337.50"),
    )
    assert (b["line_start"], b["line_end"]) == (17, 20)
    assert (c["tipologia_territorio"], c["quota_atc"], c["quota_regione"]) == (
        "oasi",
        None,
        Decimal("397.45"),
    )
    rejects = sorted((x.line, x.reason) for x in result.rejects if x.table == "indennizzi_brescia")
    assert [ln for ln, _ in rejects] == [22, 23]
    assert "incompleta" in rejects[0][1] and "percentuale" in rejects[1][1]
    # the rejected line with a personal codice fiscale is not republished
    texts = [x.text for x in result.rejects if x.line == 23]
    assert texts and "RSSCRL71H08B149K" not in texts[0]
    assert t.lines_in == len({n for n in covered(t) if BRESCIA.split("\n")[n - 1].strip()}) + 2
    ch = my_checks(result)
    # rows 4 and 5 are rejected: the numbering check says so, the three rows reconcile
    assert {k for k, x in ch.items() if not x.passed} == {"indennizzi_brescia:numerazione"}
    assert (
        ch["indennizzi_brescia:numerazione"].declared,
        ch["indennizzi_brescia:numerazione"].parsed,
    ) == (5, 3)
    assert ch["indennizzi_brescia:franchigia"].declared == 3
    assert ch["indennizzi_brescia:percentuale"].declared == 2  # the oasi row has none
    assert ch["indennizzi_brescia:decreto:quota_regione"].declared == 1452.25
    assert ch["indennizzi_brescia:totale:quota_atc"].declared == 367.20


VAL_PADANA = """\
 D.d.s. 15 novembre 2018 - n. 99997
Indennizzi di prova
DECRETA
1. di approvare l'allegato per un importo complessivo di € 2.700,00, così ripartiti:
€ 2.520,00 a carico della Regione Lombardia;
€ 180,00 a carico degli ATC di Mantova.
Ambito C.F./P.IVA IMPORTO DA LIQUIDARE
Atc 1 93041290201 1.620,00 €
Atc 2 91007040206    900,00 €
Totale  2.520,00 €
——— • ———
 UTR VAL PADANA - Sede di Mantova
DATA VISURA
DE MINIMIS DENOMINAZIONE AZIENDA AGRICOLA CUAA PARTITA IVA INDENNIZZO
IMPORTO A
A.T.C. MN 1
I - 6690 R-388973 1731199 06/11/2018 1734120 07/11/2018 FONDO ALTO SOCIETA' AGRICOLA S.S. 02301660201 02301660201 1.000,00 € NO 1.000,00 € 1.000,00 € 0,00 €
I - 6690 R-388982 1731024 06/11/2018 1722370 05/11/2018 AZIENDA AGRICOLA GIALLI MARCO GLLMRC74E25F257A 02457690200 800,00 € NO 800,00 € 620,00 € 180,00 €
1.800,00 € 1.620,00 € 180,00 €
L.157/92 ART. 2 E L.R. 26/93 ART. 47 -  ELENCO BENEFICIARI AVENTI DIRITTO
 I - 6690 R-389021 1731072 06/11/2018 1733154 07/11/2018
SOCIETA AGRICOLA MAIA
S.S. 02432940209 02432940209 900,00 € NO 900,00 € 900,00 € 0,00 €
900,00 € 900,00 € 0,00 €
IMPORTO
COMPLESSIVO
A CARICO DI
REGIONE
LOMBARDIA
IMPORTO
COMPLESSIVO
A CARICO
DEGLI A.T.C.
2.520,00 € 180,00 €
IMPORTO
COMPLESSIVO 2.700,00 €
"""


def test_val_padana_groups_page_titles_and_grand_totals():
    result, ctx, log = parse_text("burl", VAL_PADANA)
    fauna = tables(result, "danni-fauna-selvatica-2018")
    t = fauna["indennizzi_mantova"]
    a, b, c = t.rows
    assert (a["ambito"], a["ambito_metodo"], a["beneficiario"], a["cuaa"]) == (
        "ATC 1",
        "intestazione",
        "FONDO ALTO SOCIETA' AGRICOLA S.S.",
        "02301660201",
    )
    assert (b["beneficiario"], b["cuaa"], b["partita_iva"], b["quota_atc"]) == (
        "Persona fisica n. 1",
        None,
        None,
        Decimal("180.00"),
    )
    assert (c["ambito"], c["ambito_metodo"], c["beneficiario"], c["line_start"], c["line_end"]) == (
        "ATC 2",
        "subtotale",
        "SOCIETA AGRICOLA MAIA S.S.",
        21,
        23,
    )
    assert [x for x in result.rejects if x.table == "indennizzi_mantova"] == []
    assert t.lines_in == 5
    ch = my_checks(result)
    failed = {k for k, x in ch.items() if not x.passed}
    assert failed == set()
    assert ch["indennizzi_mantova:totale:importo_da_liquidare"].declared == 2700.0
    assert ch["indennizzi_mantova:decreto:quota_atc"].declared == 180.0
    assert ch["trasferimenti:99997:totale"].declared == 2520.0
    tr = fauna["trasferimenti"]
    assert [(r["beneficiario"], r["ambito"], r["importo_regione"]) for r in tr.rows] == [
        ("Atc 1", "ATC 1", Decimal("1620.00")),
        ("Atc 2", "ATC 2", Decimal("900.00")),
    ]


def test_val_padana_group_without_a_matching_atc_is_reported():
    text = VAL_PADANA.replace("Atc 2 91007040206    900,00 €", "Atc 2 91007040206    950,00 €")
    text = text.replace("Totale  2.520,00 €", "Totale  2.570,00 €")
    result, ctx, log = parse_text("burl", text)
    t = tables(result, "danni-fauna-selvatica-2018")["indennizzi_mantova"]
    assert t.rows[2]["ambito"] is None and t.rows[2]["ambito_metodo"] is None
    c = my_checks(result)["indennizzi_mantova:gruppo:2:ambito"]
    assert not c.passed and c.parsed == 900.0


def test_cremona_style_euro_prefix_and_piva_first():
    text = """\
 D.d.s. 15 novembre 2018 - n. 99996
 UTR VAL PADANA - Sede di Cremona
DATA DENOMINAZIONE AZIENDA
AGRICOLA P. IVA CUAA INDENNIZZO
A.T.C. 3
669000% R-388862 1730065 06/11/18 1693638 26/10/18 BANDERA ROMANO E FIGLI SOCIETA'
SEMPLICE AGRICOLA 01628080192 01628080192 € 3.494,94 NO € 3.494,94 € 3.325,43 € 169,51
I -6690 R-387046 1726495 06/11/18 1693031 26/10/18 AGRI4 DI M.Z. 01439050194 ZGNMTT73M26D150C € 100,00 no € 100,00 € 90,00 € 10,00
€ 3.594,94 € 3.594,94 € 3.415,43 € 179,51
IMPORTO
COMPLESSIVO
A CARICO DI
REGIONE
LOMBARDIA
IMPORTO
COMPLESSIV
O A CARICO
DEGLI A.T.C.
€ 3.415,43 € 179,51
IMPORTO
COMPLESSIVO € 3.594,94
D.G. Territorio e protezione civile
"""
    result, ctx, log = parse_text("burl", text)
    t = tables(result, "danni-fauna-selvatica-2018")["indennizzi_cremona"]
    a, b = t.rows
    assert (a["ambito"], a["cuaa"], a["partita_iva"], a["indennizzo"]) == (
        "ATC 3",
        "01628080192",
        "01628080192",
        Decimal("3494.94"),
    )
    assert (b["beneficiario"], b["cuaa"], b["riduzione_de_minimis"]) == (
        "Persona fisica n. 1",
        None,
        False,
    )
    ch = my_checks(result)
    assert ch["indennizzi_cremona:gruppo:1:indennizzo"].passed
    assert ch["indennizzi_cremona:totale:quota_atc"].declared == 179.51
    assert {k for k, x in ch.items() if not x.passed} == {"indennizzi_cremona:gruppo:1:ambito"}
    assert [x for x in result.rejects if x.table == "indennizzi_cremona"] == []
