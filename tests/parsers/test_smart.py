"""SMART polizia locale: the real list, and crafted fragments for each layout hazard."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml

from generator import paths
from support import parse_real, parse_text

DOC = "smart-polizia-locale-2025"
HEADER = "Progr.\tCAPOFILA SMART\tComuni aggregati\tTotale Comuni coinvolti"


def block(heading: str | None, *rows: str) -> str:
    head = f"{heading}\n\n" if heading is not None else "\n\n"
    return head + HEADER + "\n" + "\n".join(rows) + "\n\n"


def tables(result):
    (ds,) = result.datasets
    return {t.name: t for t in ds.tables}


def participants(result, gid):
    return [r for r in tables(result)["partecipanti"].rows if r["gruppo"] == gid]


def by_name(rows, name):
    (row,) = [r for r in rows if r["nome"] == name]
    return row


def checks(result):
    return {c.id: c for c in result.checks}


# -- the real document ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real():
    result, ctx, log = parse_real(DOC)
    return result, ctx, log


def test_groups_per_province(real):
    result, _, _ = real
    gruppi = tables(result)["gruppi"].rows
    assert len(gruppi) == 99
    assert Counter(g["provincia"] for g in gruppi) == {
        "BG": 6,
        "BS": 15,
        "CO": 4,
        "CR": 2,
        "LC": 3,
        "LO": 5,
        "MI": 28,
        "MB": 10,
        "MN": 9,
        "PV": 5,
        "SO": 2,
        "VA": 10,
    }


def test_participants_counts(real):
    result, _, _ = real
    rows = tables(result)["partecipanti"].rows
    assert len(rows) == 353
    assert Counter(r["ruolo"] for r in rows) == {"capofila": 99, "aggregato": 237, "membro": 17}
    assert Counter(r["tipo_ente"] for r in rows) == {
        "comune": 339,
        "unione di comuni": 7,
        "provincia": 4,
        "comunità montana": 1,
        "altro ente": 1,
        "non determinato": 1,
    }
    # no comune takes part in two groups
    ids = [r["istat"] for r in rows if r["istat"]]
    assert len(ids) == len(set(ids)) == 337  # 339 comuni, 2 missing from the registry


def test_every_line_accounted(real):
    result, _, _ = real
    t = tables(result)
    data_lines = {g["line_start"] for g in t["gruppi"].rows}
    assert t["gruppi"].lines_in == t["partecipanti"].lines_in == 99 == len(data_lines)
    assert not result.rejects
    assert {r["line_start"] for r in t["partecipanti"].rows} == data_lines
    for r in t["gruppi"].rows + t["partecipanti"].rows:
        assert r["source_id"] == DOC and r["line_start"] == r["line_end"]


def test_known_group_rows(real):
    result, _, _ = real
    g = {r["gruppo"]: r for r in tables(result)["gruppi"].rows}
    # line 8: 5	PROVINCIA DI BERGAMO	Grassobbio, ... Covo e Mapello	21
    assert g["BG-5"]["line_start"] == 8
    assert (g["BG-5"]["capofila"], g["BG-5"]["tipo_capofila"]) == (
        "PROVINCIA DI BERGAMO",
        "provincia",
    )
    assert (g["BG-5"]["totale_dichiarato"], g["BG-5"]["comuni_contati"]) == (21, 20)
    assert g["BG-5"]["totale_coincide"] is False
    # line 29: the repeated BRESCIA heading continues with progr 12
    assert (g["BS-12"]["capofila"], g["BS-12"]["line_start"]) == ("SIRMIONE", 29)
    # line 45: CREMA declares 29, names 27 aggregati
    assert (g["CR-1"]["istat"], g["CR-1"]["totale_dichiarato"], g["CR-1"]["comuni_contati"]) == (
        "019035",
        29,
        28,
    )
    # line 159: last row
    assert (g["VA-10"]["capofila"], g["VA-10"]["istat"], g["VA-10"]["line_start"]) == (
        "VERGIATE",
        "012138",
        159,
    )


def test_missing_heading_inferred_as_lodi(real):
    result, _, log = real
    g = {r["gruppo"]: r for r in tables(result)["gruppi"].rows}
    lodi = [r for r in g.values() if r["provincia"] == "LO"]
    assert [r["capofila"] for r in lodi] == [
        "CASALPUSTERLENGO",
        "CODOGNO",
        "LODI",
        "SANT'ANGELO LODIGIANO",
        "UNIONE NORD LODIGIANO",
    ]
    assert {r["fonte_provincia"] for r in lodi} == {"dedotta"}
    assert "12 nomi su 12" in lodi[0]["nota_provincia"]
    c = checks(result)["block-province:57"]
    assert (c.declared, c.parsed, c.passed) == ("intestazione mancante", "LO", True)
    assert ("missing-heading", 57) in {(p.code, p.line) for p in log.problems}
    # every other group has its heading
    assert {r["fonte_provincia"] for r in g.values() if r["provincia"] != "LO"} == {"intestazione"}


def test_split_header_with_junk(real):
    _, _, log = real
    (p,) = [p for p in log.problems if p.code == "header-split"]
    assert p.line == 149 and "а." in p.message


def test_hazard_rows(real):
    result, _, _ = real
    bg3 = participants(result, "BG-3")  # CM di SCALVE (Azzone, ...) con aggregato ...
    assert [(r["nome"], r["ruolo"], r["parte_di"]) for r in bg3] == [
        ("CM di SCALVE", "capofila", None),
        ("Azzone", "membro", "CM di SCALVE"),
        ("Colere", "membro", "CM di SCALVE"),
        ("Schilpario", "membro", "CM di SCALVE"),
        ("Vilminore di Scalve", "membro", "CM di SCALVE"),
        ("Castione della Presolana", "aggregato", None),
    ]
    bg5 = participants(result, "BG-5")  # "Curno,Paladina", "Covo e Mapello"
    assert [r["nome"] for r in bg5][6:8] == ["Curno", "Paladina"]
    assert [r["nome"] for r in bg5][-2:] == ["Covo", "Mapello"]
    bs14 = participants(result, "BS-14")  # union label naming two comuni
    assert len(bs14) == 7
    assert by_name(bs14, "Pontevico")["parte_di"].startswith("UNIONE LOMBARDA")
    assert [r["nome"] for r in bs14][-2:] == ["Bordolano", "Verolanuova"]
    bs15 = participants(result, "BS-15")  # "Berzo Inferiore UNIONE VALSAVIORE Berzo Demo"
    assert [r["nome"] for r in bs15][7:10] == ["Berzo Inferiore", "UNIONE VALSAVIORE", "Berzo Demo"]
    assert by_name(bs15, "UNIONE VALSAVIORE")["tipo_ente"] == "unione di comuni"
    lo3 = participants(result, "LO-3")  # Mulazzano (convenzione con Galgagnano)
    assert by_name(lo3, "Galgagnano")["istat"] == "098027"
    assert "convenzione con Mulazzano" in by_name(lo3, "Galgagnano")["nota"]
    assert by_name(lo3, "Provincia di Lodi")["tipo_ente"] == "provincia"
    mi12 = participants(result, "MI-12")  # "Pogliano. San Vittore Olona"
    assert by_name(mi12, "Pogliano")["istat"] == "015176"
    assert by_name(mi12, "San Vittore Olona")["nota"] == "separatore '.' al posto della virgola"
    mi13 = participants(result, "MI-13")  # "Settimo M., S. Stefano T."
    assert (by_name(mi13, "Settimo M.")["istat"], by_name(mi13, "S. Stefano T.")["istat"]) == (
        "015211",
        "015200",
    )
    mi25 = participants(result, "MI-25")  # unclosed parenthesis, (PV)/(LO) suffixes
    orio = by_name(mi25, "Orio Litta")
    assert (orio["provincia_indizio"], orio["istat"], orio["provincia_comune"]) == (
        "PV",
        "098042",
        "LO",
    )
    assert by_name(mi25, "Santa Cristina e Bissone")["istat"] == "018139"
    assert all(r["parte_di"] == 'Corpo intercomunale "Terra tra i Fiumi"' for r in mi25[2:])
    so1 = participants(result, "SO-1")  # "Dazio e Buglio in Monte" = two comuni
    assert [r["nome"] for r in so1][-2:] == ["Dazio", "Buglio in Monte"]
    va4 = participants(result, "VA-4")  # born 2023, added in data/registry/new/
    bardello = by_name(va4, "Bardello con Malgesso e Bregano")
    assert (bardello["tipo_ente"], bardello["istat"]) == ("comune", "012144")
    co4 = participants(result, "CO-4")
    assert (co4[0]["nome"], co4[0]["tipo_ente"]) == ("TERRE DI FRONTIERA", "non determinato")


def test_unresolved_names(real):
    _, ctx, _ = real
    assert {r.query for r in ctx if r.status != "resolved"} == {
        "TERRE DI FRONTIERA",
        "Uggiate con Ronago",
        "Campospinoso Albaredo",
    }


def test_checks_outcome(real):
    result, _, _ = real
    c = checks(result)
    assert len(c) == 99 + 12 + 1
    failed = {k: (v.declared, v.parsed) for k, v in c.items() if not v.passed}
    assert failed == {
        "group-total:BG:5": (21, 20),
        "group-total:BS:9": (1, 0),
        "group-total:BS:13": (1, 0),
        "group-total:CR:1": (29, 28),
        "group-total:MI:25": (11, 12),
    }
    assert "capofila (provincia)" in c["group-total:BG:5"].explanation
    assert "capofila (unione di comuni)" in c["group-total:BS:13"].explanation
    assert "escludere il comune capofila" in c["group-total:MI:25"].explanation
    assert "nessuna lettura" in c["group-total:CR:1"].explanation
    assert c["progr-sequence:BS"].parsed == list(range(1, 16))
    assert c["progr-sequence:MI"].parsed == list(range(1, 29))


def test_failed_checks_and_warnings_are_documented(real):
    result, ctx, log = real
    known = yaml.safe_load((paths.KNOWN_DEFECTS / f"{DOC}.yaml").read_text(encoding="utf-8"))
    assert {d["id"] for d in known["checks"]} == {c.id for c in result.checks if not c.passed}
    # the build turns each unresolved resolution into an "unresolved-name" warning
    unresolved = {"unresolved-name"} if any(not r.istat for r in ctx) else set()
    assert {d["code"] for d in known["problems"]} == {p.code for p in log.problems} | unresolved


# -- crafted fragments --------------------------------------------------------------------------
def test_e_separator_only_between_comuni():
    text = block("VARESE", "1\tGAVIRATE\tComerio e Luvinate, Bardello con Malgesso e Bregano\t4")
    rows = participants(parse_text("smart", text)[0], "VA-1")
    assert [r["nome"] for r in rows] == [
        "GAVIRATE",
        "Comerio",
        "Luvinate",
        "Bardello con Malgesso e Bregano",
    ]


def test_full_stop_separator_but_not_abbreviation():
    text = block("MILANO", "1\tMAGENTA\tOssona. Vanzago, S. Stefano T.,Cornaredo\t5")
    rows = participants(parse_text("smart", text)[0], "MI-1")
    assert [r["nome"] for r in rows] == [
        "MAGENTA",
        "Ossona",
        "Vanzago",
        "S. Stefano T.",
        "Cornaredo",
    ]
    assert rows[2]["nota"] == "separatore '.' al posto della virgola"


def test_embedded_union_and_label_members():
    text = block(
        "BRESCIA",
        "1\tUNIONE TRA I COMUNI DI BORNO E ESINE\tBorno, Niardo UNIONE VALSAVIORE Cevo\t4",
    )
    result = parse_text("smart", text)[0]
    rows = participants(result, "BS-1")
    assert [(r["nome"], r["ruolo"], r["tipo_ente"]) for r in rows] == [
        ("UNIONE TRA I COMUNI DI BORNO E ESINE", "capofila", "unione di comuni"),
        ("Borno", "aggregato", "comune"),
        ("Niardo", "aggregato", "comune"),
        ("UNIONE VALSAVIORE", "aggregato", "unione di comuni"),
        ("Cevo", "aggregato", "comune"),
        ("ESINE", "membro", "comune"),
    ]
    assert rows[1]["parte_di"] == rows[0]["nome"]  # named in the label and in the list
    assert checks(result)["group-total:BS:1"].passed  # Borno, Niardo, Cevo, Esine


def test_parentheses_members_convention_and_province_suffix():
    text = block(
        "MANTOVA",
        "1\tCM di PROVA\t(Medole, Solferino) con aggregato Goito\t3",
        "2\tRODIGO\tUnione Colli (Monzambano e Volta Mantovana), Ceresara (convenzione "
        "con Piubega), Siziano (PV)\t6",
    )
    result = parse_text("smart", text)[0]
    r1 = participants(result, "MN-1")
    assert [(r["nome"], r["ruolo"], r["parte_di"]) for r in r1] == [
        ("CM di PROVA", "capofila", None),
        ("Medole", "membro", "CM di PROVA"),
        ("Solferino", "membro", "CM di PROVA"),
        ("Goito", "aggregato", None),
    ]
    r2 = participants(result, "MN-2")
    assert [(r["nome"], r["ruolo"], r["parte_di"]) for r in r2] == [
        ("RODIGO", "capofila", None),
        ("Unione Colli", "aggregato", None),
        ("Monzambano", "membro", "Unione Colli"),
        ("Volta Mantovana", "membro", "Unione Colli"),
        ("Ceresara", "aggregato", None),
        ("Piubega", "aggregato", None),
        ("Siziano", "aggregato", None),
    ]
    assert (r2[-1]["provincia_indizio"], r2[-1]["istat"]) == ("PV", "018150")
    assert checks(result)["group-total:MN:2"].passed


def test_unclosed_parenthesis_runs_to_end_of_cell():
    text = block("MILANO", '1\tMELZO\tCorpo intercomunale "X" (Bussero, Carugate\t3')
    rows = participants(parse_text("smart", text)[0], "MI-1")
    assert [(r["nome"], r["tipo_ente"]) for r in rows] == [
        ("MELZO", "comune"),
        ('Corpo intercomunale "X"', "altro ente"),
        ("Bussero", "comune"),
        ("Carugate", "comune"),
    ]
    assert "mai chiusa" in rows[3]["nota"]


def test_missing_heading_new_province_from_members():
    text = (
        block("LECCO", "1\tLECCO\tCivate\t2")
        + block(None, "1\tCODOGNO\tLivraga\t2")
        + block("MILANO", "1\tMELZO\t\t1")
    )
    result, _, log = parse_text("smart", text)
    g = tables(result)["gruppi"].rows
    assert [(r["gruppo"], r["fonte_provincia"]) for r in g] == [
        ("LC-1", "intestazione"),
        ("LO-1", "dedotta"),
        ("MI-1", "intestazione"),
    ]
    c = [c for c in result.checks if c.id.startswith("block-province")][0]
    assert (c.parsed, c.passed) == ("LO", True)
    assert [p.code for p in log.problems] == ["missing-heading"]


def test_missing_heading_continuing_block():
    text = block("MILANO", "1\tMELZO\t\t1", "2\tRHO\t\t1") + block(None, "3\tPERO\t\t1")
    result = parse_text("smart", text)[0]
    assert [r["gruppo"] for r in tables(result)["gruppi"].rows] == ["MI-1", "MI-2", "MI-3"]
    assert checks(result)["progr-sequence:MI"].passed


def test_missing_heading_without_evidence_stays_undetermined():
    text = block("MILANO", "1\tMELZO\t\t1") + block(None, "1\tUNIONE X\t\t1")
    result = parse_text("smart", text)[0]
    g = tables(result)["gruppi"].rows[-1]
    assert (g["gruppo"], g["provincia"], g["fonte_provincia"]) == ("?8-1", None, "non determinata")
    assert not checks(result)["block-province:8"].passed


def test_repeated_heading_and_progr_gap():
    text = block("BRESCIA", "1\tLENO\t\t1") + block("BRESCIA", "3\tROVATO\t\t1")
    c = checks(parse_text("smart", text)[0])["progr-sequence:BS"]
    assert (c.declared, c.parsed, c.passed) == ("1..2", [1, 3], False)


def test_split_header_and_rejected_lines():
    text = (
        "VARESE\n\nProgr.\tCAPOFILA SMART\tComuni aggregati\tTotale Comuni\n"
        "а.\t\t\tcoinvolti\n1\tLUINO\t\t1\n2\tSARONNO\tUboldo\tdue\n"
        "3\tVARESE\t1\nnota a margine\n"
    )
    result, _, log = parse_text("smart", text)
    t = tables(result)
    assert [r["gruppo"] for r in t["gruppi"].rows] == ["VA-1"]
    assert [(r.line, r.reason.split(":")[0]) for r in result.rejects] == [
        (6, "totale comuni non numerico"),
        (7, "attese 4 colonne separate da tabulazione, trovate 3"),
        (8, "riga non riconosciuta (né intestazione né riga di gruppo)"),
    ]
    assert t["gruppi"].lines_in == 4
    assert [p.code for p in log.problems] == ["header-split"]


@pytest.mark.parametrize(
    "row, declared, why",
    [
        ("1\tPROVINCIA DI COMO\tDongo\t2", 2, "capofila (provincia)"),
        ("1\tDONGO\tMusso, Domaso\t2", 2, "escludere il comune capofila"),
        ("1\tDONGO\tMusso, Unione X\t3", 3, "ente/i non comunale/i aggregato/i"),
        ("1\tDONGO\tMusso\t5", 5, "nessuna lettura"),
    ],
)
def test_total_mismatch_explanations(row, declared, why):
    c = checks(parse_text("smart", block("COMO", row))[0])["group-total:CO:1"]
    assert c.declared == declared and not c.passed and why in c.explanation
