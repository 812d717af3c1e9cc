"""PD Lombardia 2014 collegi: the real regolamento, and crafted fragments for each hazard."""

from __future__ import annotations

from collections import Counter

import pytest

from support import parse_real, parse_text

DOC = "pd-lombardia-regolamento-2014"
FAMILY = "pd_collegi"
DATE = {"date": "2014-01-17"}


def tables(result):
    (ds,) = result.datasets
    return {t.name: t for t in ds.tables}


def checks(result):
    return {c.id: c for c in result.checks}


def rows_of(result, collegio=None, group=None):
    rows = tables(result)["comuni_collegi"].rows
    return [
        r
        for r in rows
        if (collegio is None or r["collegio"] == collegio)
        and (group is None or r["elenco"] == group)
    ]


def one(rows, **kw):
    (row,) = [r for r in rows if all(r[k] == v for k, v in kw.items())]
    return row


def fragment(allegato: str, association: str, art6: int | None = None) -> str:
    """A minimal regolamento: optional art. 6 sentence, Allegato A, association section."""
    head = f"2. L'Assemblea regionale è composta **da {art6} componenti**.\n\n" if art6 else ""
    return (
        head
        + "ALLEGATO A: COLLEGI\n\n"
        + allegato.strip("\n")
        + "\n\n"
        + "Associazione Comuni/Collegi:\n\n"
        + association.strip("\n")
        + "\n"
    )


# -- the real document ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real():
    return parse_real(DOC)


def test_table_sizes(real):
    result, _, log = real
    t = tables(result)
    assert len(t["collegi"].rows) == 30
    assert len(t["regole"].rows) == 12
    # 1,544 comuni of Lombardy at 17 Jan 2014, Milan counted once per collegio (5 zone rows)
    assert len(t["comuni_collegi"].rows) == 1548
    # 778 names in counted lists + SAN COLOMBANO AL LAMBRO; 764 comuni from province rules + 5 zone rows
    assert Counter(r["origine"] for r in t["comuni_collegi"].rows) == {"list": 779, "rule": 769}
    assert not log.problems
    assert not result.rejects


def test_every_check_passes(real):
    result, _, _ = real
    c = checks(result)
    assert len(c) == len(result.checks) == 46
    assert [i for i, ch in c.items() if not ch.passed] == []
    assert (c["seats-total"].declared, c["seats-total"].parsed) == (316, 316)
    assert c["seats-total"].line_end == 173
    assert (c["seats-art6"].declared, c["seats-art6"].line_start) == (316, 59)
    assert c["collegi-numbering"].parsed == list(range(1, 31))
    assert c["collegi-associated"].parsed == list(range(1, 31))
    counted = {i: (ch.declared, ch.parsed) for i, ch in c.items() if i.startswith("list-count:")}
    assert len(counted) == 26
    assert counted["list-count:C02-L1"] == (120, 120)
    assert counted["list-count:C06-L2"] == (10, 10)
    assert counted["list-count:C30-L1"] == (62, 62)
    assert c["zones:015146"].parsed == list(range(1, 10))
    assert {i: ch.declared for i, ch in c.items() if i.startswith("coverage:")} == {
        "coverage:BG": 244,
        "coverage:BS": 206,
        "coverage:CO": 160,
        "coverage:CR": 115,
        "coverage:LC": 90,
        "coverage:LO": 61,
        "coverage:MB": 55,
        "coverage:MI": 134,
        "coverage:MN": 70,
        "coverage:PV": 190,
        "coverage:SO": 78,
        "coverage:VA": 141,
    }
    for i in ("double-assignment", "as-of-date", "outside-region"):
        assert (c[i].declared, c[i].parsed) == (0, 0)


def test_collegi_rows(real):
    result, _, _ = real
    collegi = {r["n"]: r for r in tables(result)["collegi"].rows}
    assert sum(r["seggi"] for r in collegi.values()) == 316
    six = collegi[6]
    assert six["nome"] == (
        "COLLEGIO SENATORIALE MATTARELLUM DI DESENZANO DEL GARDA + COMUNI DELLA "
        "PROVINCIA DI BRESCIA DEL COLLEGIO DI SUZZARA"
    )
    assert (six["seggi"], six["line_start"], six["comuni_dichiarati"], six["comuni"]) == (
        12,
        148,
        54,
        54,
    )
    assert (collegi[10]["province"], collegi[10]["comuni"], collegi[10]["regole"]) == (
        "LC, SO",
        168,
        2,
    )
    assert (collegi[11]["province"], collegi[11]["comuni"]) == ("LO, MI", 62)
    assert (collegi[17]["nome"], collegi[17]["seggi"], collegi[17]["comuni"]) == ("MILANO 5", 8, 1)
    assert collegi[24]["nome"] == "COLLEGIO MONZA EST (COME DA MODIFICA APPROVATA NEL 2009)"


def test_list_rows_keep_names_as_written_and_line_ranges(real):
    result, _, _ = real
    c1 = rows_of(result, group="C01-L1")
    assert len(c1) == 25
    ponte = one(c1, comune="PONTE SAN PIETRO")  # wrapped over lines 179-181
    assert (ponte["istat"], ponte["line_start"], ponte["line_end"], ponte["posizione"]) == (
        "016170",
        179,
        181,
        15,
    )
    assert one(c1, comune="VILLA DI SERIO")["line_start"] == 181
    cologne = one(rows_of(result, group="C05-L1"), comune="COLOGNE")  # first name after a wrap
    assert (cologne["line_start"], cologne["istat"]) == (199, "017059")
    suzzara = rows_of(result, group="C06-L2")
    assert [r["comune"] for r in suzzara][:2] == ["ALFIANELLO", "FIESSE"]
    assert {r["line_start"] for r in suzzara} == {205}


def test_misspellings_and_old_names(real):
    result, ctx, _ = real
    rows = rows_of(result)
    expected = {  # as written -> (istat at the date, method)
        "DESANO": ("012011", "alias"),  # Besano, by its place in the list
        "SANT'OMOBONO IMAGNA": ("016192", "alias"),  # name until 2004
        "LONATO": ("017092", "alias"),
        "TREMOSINE": ("017189", "alias"),
        "CORNATE": ("108053", "alias"),
        "ZELO SURREGONE": ("015246", "alias"),
        "COSTA DI SERINA": ("016247", "alias"),
        "NUVOLENTA": ("017119", "alias"),
        "TREVIOLLO": ("016220", "fuzzy"),
        "PALAZZOLO SULL'OGGIO": ("017133", "fuzzy"),
        "BRISSAGO.VALTRAVAGLIA": ("012022", "normalised"),
        "OLGiate OLONA": ("012108", "normalised"),
    }
    for name, (istat, method) in expected.items():
        r = one(rows, comune=name)
        assert (r["istat"], r["resolution_method"]) == (istat, method), name
    assert not [r for r in ctx if r.status != "resolved"]
    assert Counter(r.method for r in ctx) == {
        "normalised": 750,
        "fuzzy": 13,
        "historical": 13,
        "alias": 8,
    }


def test_merged_comuni_named_in_lists(real):
    result, _, _ = real
    rows = rows_of(result)
    for name, istat, today in [
        ("BREMBILLA", "016039", "016253"),
        ("GEROSA", "016112", "016253"),
        ("VALSECCA", "016228", "016252"),
        ("MACCAGNO", "012094", "012142"),
        ("VERMEZZO", "015235", "015251"),
        ("OSMATE", "012111", "012143"),
    ]:
        r = one(rows, comune=name)
        assert (r["istat"], r["resolution_method"], r["istat_oggi"]) == (istat, "historical", today)
        assert r["nota"].startswith("Fusione: ")
    bardello = one(rows, comune="BARDELLO")  # successor added in data/registry/new/
    assert (bardello["istat"], bardello["istat_oggi"]) == ("012009", "012144")
    assert "Bardello con Malgesso e Bregano" in bardello["nota"]
    bienno = one(rows, comune="BIENNO")
    assert bienno["nota"] == "Dopo la data del documento vi è stato incorporato: Prestine"


def test_province_rules_expanded_as_of_the_date(real):
    result, _, _ = real
    regole = {r["id"]: r for r in tables(result)["regole"].rows}
    como = regole["C08-R1"]
    assert (como["testo"], como["provincia"], como["comuni"], como["comuni_registro"]) == (
        "TUTTI I COMUNI DELLA PROVINCIA DI COMO",
        "CO",
        160,
        148,
    )
    assert como["istituiti_dopo"] == (
        "Alta Valle Intelvi, Bellagio, Centro Valle Intelvi, Colverde, "
        "Solbiate con Cagno, Tremezzina"
    )
    assert "Lenno" in como["soppressi_dopo"] and "Cavallasca" in como["soppressi_dopo"]
    c8 = rows_of(result, collegio=8)
    assert len(c8) == 160
    ids = {r["istat"] for r in c8}
    assert "013252" not in ids and "013250" not in ids  # Tremezzina, new Bellagio: after 2014
    lenno = one(c8, istat="013125")
    assert (lenno["comune"], lenno["istat_oggi"], lenno["comune_oggi"], lenno["regola"]) == (
        "Lenno",
        "013252",
        "Tremezzina",
        "C08-R1",
    )
    assert (lenno["line_start"], lenno["resolution_method"]) == (213, "rule")
    # Lecco + Sondrio: two rules on one line; Torre de' Busi was in Lecco in 2014
    assert (regole["C10-R1"]["provincia"], regole["C10-R2"]["provincia"]) == ("LC", "SO")
    assert {regole["C10-R1"]["line_start"], regole["C10-R2"]["line_start"]} == {221}
    torre = one(rows_of(result, collegio=10), istat="097080")
    assert (torre["istat_oggi"], torre["provincia"]) == ("016215", "LC")
    assert not [r for r in rows_of(result) if r["istat"] == "016215"]
    mantova = {r["comune"] for r in rows_of(result, group="C12-R1")}
    assert {"Borgoforte", "Virgilio", "Felonica", "Sermide e Felonica"} <= mantova
    assert "Borgo Virgilio" not in mantova
    assert len(rows_of(result, group="C27-R1")) == 190


def test_rule_with_extra_name_and_milan_zones(real):
    result, _, _ = real
    lodi = rows_of(result, collegio=11)
    assert Counter(r["elenco"] for r in lodi) == {"C11-R1": 61, "C11-L1": 1}
    sc = one(lodi, elenco="C11-L1")
    assert (sc["comune"], sc["istat"], sc["origine"], sc["line_start"]) == (
        "SAN COLOMBANO AL LAMBRO",
        "015191",
        "list",
        225,
    )
    milano = [r for r in rows_of(result) if r["istat"] == "015146"]
    assert [(r["collegio"], r["parte"], r["regola"]) for r in milano] == [
        (13, "zone 1, 9", "C13-R1"),
        (14, "zone 2, 3", "C14-R1"),
        (15, "zone 4, 5", "C15-R1"),
        (16, "zone 6, 7", "C16-R1"),
        (17, "zona 8", "C17-R1"),
    ]
    regole = {r["id"]: r for r in tables(result)["regole"].rows}
    assert (
        regole["C13-R1"]["tipo"],
        regole["C13-R1"]["zone"],
        regole["C13-R1"]["istat_citta"],
    ) == ("zone", "1, 9", "015146")


def test_line_accounting(real):
    result, _, _ = real
    t = tables(result)
    doc_lines = (
        open("data/sources/pd-lombardia-regolamento-2014.txt", encoding="utf-8").read().split("\n")
    )
    assoc = [
        n
        for n in range(176, len(doc_lines) + 1)
        if doc_lines[n - 1].strip() and not doc_lines[n - 1].startswith("Collegio ")
    ]
    covered = {
        n for r in t["comuni_collegi"].rows for n in range(r["line_start"], r["line_end"] + 1)
    }
    assert t["comuni_collegi"].lines_in == len(assoc) == 40
    assert set(assoc) <= covered
    assert t["collegi"].lines_in == 30 == len({r["line_start"] for r in t["collegi"].rows})
    assert t["regole"].lines_in == 11 == len({r["line_start"] for r in t["regole"].rows})
    for table in t.values():
        for r in table.rows:
            assert r["source_id"] == DOC and 1 <= r["line_start"] <= r["line_end"]


# -- crafted fragments -------------------------------------------------------------------------
def test_count_mismatch_is_reported_not_fixed():
    text = fragment("1\tPROVA\t5\n5", "Collegio 1\n\nBORMIO, LIVIGNO, SONDALO (4)")
    result, _, _ = parse_text(FAMILY, text, meta=DATE)
    c = checks(result)["list-count:C01-L1"]
    assert (c.declared, c.parsed, c.passed) == (4, 3, False)
    assert c.explanation
    assert len(rows_of(result)) == 3


def test_wrapped_list_with_blank_lines_and_split_name():
    text = fragment(
        "1\tPROVA\t5\n5", "Collegio 1\n\nBORMIO, PONTE IN\n\nVALTELLINA, SONDALO,\n\nLIVIGNO (4)"
    )
    result, _, _ = parse_text(FAMILY, text, meta=DATE)
    rows = rows_of(result)
    assert [r["comune"] for r in rows] == ["BORMIO", "PONTE IN VALTELLINA", "SONDALO", "LIVIGNO"]
    ponte = rows[1]
    assert (ponte["istat"], ponte["line_end"] - ponte["line_start"]) == ("014052", 2)
    assert checks(result)["list-count:C01-L1"].passed


def test_several_lists_in_one_collegio_each_with_its_count():
    text = fragment("1\tPROVA\t5\n5", "Collegio 1\n\nBORMIO, LIVIGNO (2)\nSONDALO (1)")
    result, _, _ = parse_text(FAMILY, text, meta=DATE)
    c = checks(result)
    assert c["list-count:C01-L1"].passed and c["list-count:C01-L2"].passed
    assert Counter(r["elenco"] for r in rows_of(result)) == {"C01-L1": 2, "C01-L2": 1}


def test_seats_against_total_and_art6():
    text = fragment(
        "1\tA\t5\n2\tB\t6\n10", "Collegio 1\n\nBORMIO (1)\n\nCollegio 2\n\nLIVIGNO (1)", art6=12
    )
    result, _, _ = parse_text(FAMILY, text, meta=DATE)
    c = checks(result)
    assert (c["seats-total"].declared, c["seats-total"].parsed, c["seats-total"].passed) == (
        10,
        11,
        False,
    )
    assert (c["seats-art6"].declared, c["seats-art6"].passed) == (12, False)
    assert c["collegi-numbering"].passed and c["collegi-associated"].passed


def test_compact_layout_without_blank_lines():
    text = (
        "ALLEGATO A: COLLEGI\n1\tA\t5\n2\tB\t6\n11\nAssociazione Comuni/Collegi:\n"
        "Collegio 1\nBORMIO (1)\nCollegio 2\nLIVIGNO (1)\n"
    )
    result, _, _ = parse_text(FAMILY, text, meta=DATE)
    assert [r["seggi"] for r in tables(result)["collegi"].rows] == [5, 6]
    assert checks(result)["seats-total"].passed
    assert [(r["collegio"], r["comune"]) for r in rows_of(result)] == [
        (1, "BORMIO"),
        (2, "LIVIGNO"),
    ]


def test_collegio_without_association_block_and_gap_in_numbering():
    text = fragment("1\tA\t5\n3\tB\t5\n10", "Collegio 1\n\nBORMIO (1)")
    result, _, _ = parse_text(FAMILY, text, meta=DATE)
    c = checks(result)
    assert not c["collegi-numbering"].passed
    assert (c["collegi-associated"].declared, c["collegi-associated"].parsed) == ([1, 3], [1])


def test_province_rule_with_exceptions():
    text = fragment(
        "1\tA\t5\n2\tB\t5\n10",
        "Collegio 1\n\nTUTTI I COMUNI DELLA PROVINCIA DI SONDRIO ESCLUSI: BORMIO, LIVIGNO\n\n"
        "Collegio 2\n\nBORMIO, LIVIGNO (2)",
    )
    result, _, _ = parse_text(FAMILY, text, meta=DATE)
    regola = one(tables(result)["regole"].rows, id="C01-R1")
    assert (regola["tipo"], regola["provincia"], regola["esclusi"], regola["comuni"]) == (
        "provincia-eccetto",
        "SO",
        "BORMIO, LIVIGNO",
        76,
    )
    c = checks(result)
    assert c["rule-exceptions:C01-R1"].passed
    assert c["coverage:SO"].passed and c["double-assignment"].passed


def test_exception_outside_the_province_fails():
    text = fragment(
        "1\tA\t5\n5", "Collegio 1\n\nTUTTI I COMUNI DELLA PROVINCIA DI SONDRIO TRANNE BERGAMO"
    )
    result, _, _ = parse_text(FAMILY, text, meta=DATE)
    c = checks(result)["rule-exceptions:C01-R1"]
    assert (c.declared, c.parsed, c.passed) == (1, 0, False)


def test_rule_expansion_depends_on_the_document_date():
    assoc = "Collegio 1\n\nTUTTI I COMUNI DELLA PROVINCIA DI MANTOVA"
    old, _, _ = parse_text(FAMILY, fragment("1\tA\t5\n5", assoc), meta=DATE)
    new, _, _ = parse_text(FAMILY, fragment("1\tA\t5\n5", assoc), meta={"date": "2020-06-01"})
    old_names = {r["comune"] for r in rows_of(old)}
    new_names = {r["comune"] for r in rows_of(new)}
    assert len(old_names) == 70 and len(new_names) == 64
    assert {"Borgoforte", "Virgilio", "Revere"} <= old_names - new_names
    assert {"Borgo Virgilio", "Borgo Mantovano"} <= new_names - old_names
    assert one(tables(new)["regole"].rows, id="C01-R1")["istituiti_dopo"] is None


def test_name_of_a_later_comune_fails_the_as_of_check():
    text = fragment("1\tA\t5\n5", "Collegio 1\n\nTREMEZZINA, CERNOBBIO (2)")
    result, _, _ = parse_text(FAMILY, text, meta=DATE)
    c = checks(result)["as-of-date"]
    assert (c.parsed, c.passed) == (1, False)
    assert "TREMEZZINA" in c.explanation


def test_milan_zones_duplicated_or_missing():
    text = fragment(
        "1\tA\t5\n2\tB\t5\n10",
        "Collegio 1\n\nMILANO CITTA': ZONE 1, 2 E 3\n\nCollegio 2\n\nMILANO CITTA': ZONA 3",
    )
    result, _, _ = parse_text(FAMILY, text, meta=DATE)
    c = checks(result)["zones:015146"]
    assert (c.declared, c.parsed, c.passed) == ([1, 2, 3], [1, 2, 3, 3], False)
    assert [r["parte"] for r in rows_of(result)] == ["zone 1, 2, 3", "zona 3"]


def test_double_assignment_and_missing_comuni():
    text = fragment(
        "1\tA\t5\n2\tB\t5\n10",
        "Collegio 1\n\nTUTTI I COMUNI DELLA PROVINCIA DI SONDRIO\n\nCollegio 2\n\nBORMIO (1)",
    )
    result, _, _ = parse_text(FAMILY, text, meta=DATE)
    c = checks(result)
    assert (c["double-assignment"].parsed, c["double-assignment"].passed) == (1, False)
    assert "Bormio" in c["double-assignment"].explanation
    assert c["coverage:SO"].passed
    assert (c["coverage:LO"].declared, c["coverage:LO"].parsed) == (61, 0)


def test_unknown_rules_and_stray_lines_are_rejected():
    text = fragment(
        "1\tA\t5\nNOTA SENZA NUMERI\n5",
        "testo vagante\n\nCollegio 1\n\nTUTTI I COMUNI DELLA PROVINCIA DI ATLANTIDE\n\n"
        "TUTTI I COMUNI DEL MONDO",
    )
    result, _, _ = parse_text(FAMILY, text, meta=DATE)
    reasons = Counter((r.table, r.reason.split(":")[0]) for r in result.rejects)
    assert reasons == {
        ("collegi", "riga della tabella collegi non riconosciuta (attesi numero, nome, seggi)"): 1,
        ("comuni_collegi", "testo prima del primo titolo 'Collegio N'"): 1,
        ("regole", "provincia sconosciuta nella regola"): 1,
        ("regole", "regola non riconosciuta"): 1,
    }
    assert tables(result)["collegi"].lines_in == 2


def test_list_without_count_is_kept_with_a_warning():
    text = fragment("1\tA\t5\n5", "Collegio 1\n\nBORMIO, LIVIGNO")
    result, _, log = parse_text(FAMILY, text, meta=DATE)
    assert [r["comune"] for r in rows_of(result)] == ["BORMIO", "LIVIGNO"]
    assert [p.code for p in log.problems] == ["list-without-count"]
    assert not [c for c in result.checks if c.id.startswith("list-count:")]


def test_unresolved_name_stays_empty():
    text = fragment("1\tA\t5\n5", "Collegio 1\n\nBORMIO, PAESE INVENTATO (2)")
    result, ctx, _ = parse_text(FAMILY, text, meta=DATE)
    r = one(rows_of(result), comune="PAESE INVENTATO")
    assert (r["istat"], r["resolution_method"], r["istat_oggi"]) == (None, "unresolved", None)
    assert [x.query for x in ctx if x.status == "unresolved"] == ["PAESE INVENTATO"]


def test_programme_facts(real):
    result, _, _ = real
    assert [(f["label"], f["value"]) for f in result.facts] == [
        ("Collegi", 30),
        ("Seggi dell'Assemblea regionale eletti nei collegi", 316),
        ("Comuni della Lombardia alla data del documento", 1544),
        ("Comuni assegnati a un collegio", 1544),
    ]
    assert all(f["source_id"] == DOC and f["line_start"] for f in result.facts)
