"""GU 24 ottobre 1983, sovrimposta comunale sul reddito dei fabbricati: the real document
and crafted fragments for each layout hazard (two columns side by side, tails, missing
headings, lost digits, footnotes, bilingual names, the Avvertenza)."""

from __future__ import annotations

import time

import pytest

from generator.extract.numbering import alpha_key
from generator.parsers.gu_sovrimposta import PROVINCES_1983, reading_order
from generator.quality import load_known_defects, mark_known_checks
from support import _documents, _registry, parse_real, parse_text

DOC = "gu-1983-sovrimposta-fabbricati"
FAMILY = "gu_sovrimposta"
H3 = "Numero d'ordine\tCOMUNI\tAliquota deliberata %"
H6 = H3 + "\t" + H3


@pytest.fixture(scope="module")
def real():
    result, ctx, log = parse_real(DOC)
    return result, ctx


def tables(result):
    ds = result.datasets[0]
    return {t.name: t for t in ds.tables}


def row(result, sigla, number):
    rows = [
        r
        for r in tables(result)["aliquote"].rows
        if r["sigla_provincia_1983"] == sigla and r["n"] == number
    ]
    assert len(rows) == 1, rows
    return rows[0]


def checks(result):
    return {c.id: c for c in result.checks}


def frag(*lines):
    return "\n".join(lines) + "\n"


# -- the real document ------------------------------------------------------------------
def test_dataset_shape(real):
    result, _ = real
    ds = result.datasets[0]
    assert ds.name == "sovrimposta-fabbricati-1983"
    assert ds.programme == "sovrimposta-fabbricati-1983"
    t = tables(result)
    assert [n for n in t] == ["aliquote", "note", "province"]
    assert len(t["aliquote"].rows) == 7970
    assert len(t["note"].rows) == 52
    assert len(t["province"].rows) == 95  # every province of the index
    assert {r["nome_provincia"] for r in t["province"].rows} == set(PROVINCES_1983)


def test_status_counts(real):
    result, _ = real
    rows = tables(result)["aliquote"].rows
    status = [r["stato"] for r in rows]
    assert status.count("non istituita") == 1081
    assert status.count("elenco integrativo") == 129  # Sondrio 78 + BS 9 + BZ 27 + TN 12 + CT 3
    assert status.count("istituita") == 7970 - 1081 - 129
    assert {r["aliquota"] for r in rows if r["stato"] == "istituita"} == {8, 12, 16, 20}
    assert all(r["aliquota"] is None for r in rows if r["stato"] != "istituita")


def test_known_rows_against_text(real):
    result, _ = real
    # line 144 "1.\tAgrigento . . . . .\tnon istituita"
    r = row(result, "AG", 1)
    assert (r["comune"], r["stato"], r["aliquota"], r["line_start"]) == (
        "Agrigento",
        "non istituita",
        None,
        144,
    )
    assert r["istat"] == "084001" and r["resolution_method"] == "exact"
    # line 180 "37.\tSanta Elisabetta . . . . .\t20 (A)": footnote (A) at the foot, line 269
    r = row(result, "AG", 37)
    assert (r["aliquota"], r["aliquota_stampata"], r["richiamo_nota"], r["nota"]) == (
        20,
        "20 (A)",
        "A",
        "n269",
    )
    # line 972: heading of Bergamo in the left column, "62. Cassiglio 20" in the right one
    r = row(result, "BG", 62)
    assert (r["comune"], r["provincia"], r["aliquota"], r["line_start"]) == (
        "Cassiglio",
        "BERGAMO",
        20,
        972,
    )
    # line 1019 right column "170. Piazzolo 12 (1)", note (1) at line 1047
    r = row(result, "BG", 170)
    assert (r["aliquota"], r["richiamo_nota"], r["nota"]) == (12, "1", "n1047")
    # line 3023 right column "62. Torriglia 16" (Genova); line 3030 Gorizia starts
    assert (row(result, "GE", 62)["comune"], row(result, "GE", 62)["aliquota"]) == ("Torriglia", 16)
    assert (row(result, "GO", 1)["comune"], row(result, "GO", 1)["line_start"]) == (
        "Capriva del Friuli",
        3030,
    )
    # line 2083: right column "14. Casalbordino 12" belongs to Chieti, whose heading and
    # 1..13 are printed below the two-column run (lines 2149-2162)
    r = row(result, "CH", 14)
    assert (r["comune"], r["provincia"], r["aliquota"], r["line_start"]) == (
        "Casalbordino",
        "CHIETI",
        12,
        2083,
    )
    # line 1222 "47. Malles Venosta - Mals in Vinschgau (*)": bilingual, deferred
    r = row(result, "BZ", 47)
    assert (r["stato"], r["richiamo_nota"], r["istat"]) == ("elenco integrativo", "*", "021046")
    # line 7155 right column "47. Grumolo delle Abbadesse 8 (1)", note (1) printed in the
    # right column of line 7186
    r = row(result, "VI", 47)
    assert (r["aliquota"], r["nota"]) == (8, "n7186")


def test_missing_heading_of_cremona_is_inferred(real):
    result, _ = real
    prov = {r["sigla_provincia_1983"]: r for r in tables(result)["province"].rows}
    cr = prov["CR"]
    assert (cr["intestazione"], cr["riga_intestazione"], cr["pagina_indice"]) == (
        "dedotta",
        None,
        26,
    )
    assert "indice tra Cosenza e Cuneo: Cremona" in cr["prove_deduzione"]
    assert (cr["comuni_da_numerazione"], cr["comuni_letti"], cr["numeri_mancanti"]) == (
        115,
        61,
        "1-54",
    )
    # line 2432 "55.\tMadignano . . . . .\t20"
    r = row(result, "CR", 55)
    assert (r["comune"], r["provincia"], r["line_start"], r["istat"]) == (
        "Madignano",
        "Cremona",
        2432,
        "019055",
    )
    # Cosenza stops at 90: its end (and Cremona 1-54) are not in the text
    cs = prov["CS"]
    assert (cs["comuni_da_numerazione"], cs["completa"]) == (90, False)


def test_lost_hundreds_digit_in_roma(real):
    result, _ = real
    # line 5525 "01.\tSanta Marinella": after 100. San Polo dei Cavalieri
    r = row(result, "RM", 101)
    assert (r["comune"], r["n_stampato"], r["line_start"]) == ("Santa Marinella", "01.", 5525)
    assert row(result, "RM", 118)["n_stampato"] == "18."
    c = checks(result)["number-printed:RM"]
    assert (c.passed, c.parsed) == (False, 18)


def test_province_table_counts(real):
    result, _ = real
    prov = {r["sigla_provincia_1983"]: r for r in tables(result)["province"].rows}
    assert (prov["TO"]["comuni_da_numerazione"], prov["TO"]["comuni_letti"]) == (315, 315)
    assert (prov["BZ"]["formato_intestazione"], prov["BZ"]["provincia"]) == (
        "markdown-h2",
        "BOLZANO/BOZEN",
    )
    assert (
        prov["TV"]["comuni_da_numerazione"],
        prov["TV"]["comuni_letti"],
        prov["TV"]["numeri_duplicati"],
    ) == (95, 96, "39")
    assert prov["CN"]["numeri_mancanti"] == "62" and prov["CN"]["numeri_duplicati"] == "92"
    assert sum(r["comuni_letti"] for r in prov.values()) == 7970
    incomplete = {s for s, r in prov.items() if not r["completa"]}
    assert incomplete == {"CS", "CR", "CN", "RI", "TP", "TV"}


# Every failed check of the real document; each is a verified defect of the text listed in
# data/known-defects/gu-1983-sovrimposta-fabbricati.yaml.
EXPECTED_FAILED = {
    "tail:CS",
    "heading:CR",
    "numbering:CR",
    "numbering:CN",
    "numbering:RI",
    "numbering:TP",
    "numbering:TV",
    "number-printed:RM",
    "alphabetical:AG",
    "alphabetical:AL",
    "alphabetical:AN",
    "alphabetical:BA",
    "alphabetical:BS",
    "alphabetical:CZ",
    "alphabetical:CO",
    "alphabetical:CN",
    "alphabetical:MI",
    "alphabetical:NA",
    "alphabetical:PV",
    "alphabetical:PC",
    "alphabetical:RE",
    "alphabetical:SA",
    "alphabetical:UD",
    "alphabetical:VT",
    "markers:CB",
    "footnote-used:1819",
    "footnote-used:1821",
    "avvertenza:TN",
    "column-unit",
    "istat-unique",
}


def test_every_check_outcome(real):
    result, _ = real
    by_id = checks(result)
    assert len(by_id) == len(result.checks)  # ids are unique
    failed = {c.id for c in result.checks if not c.passed}
    assert failed == EXPECTED_FAILED
    for sigla in ("AG", "TO", "BZ", "CH", "GE", "GO", "VT"):
        assert by_id[f"numbering:{sigla}"].passed
        assert by_id[f"heading:{sigla}"].passed
    for cid in (
        "index:provinces",
        "index:order",
        "avvertenza:BS",
        "avvertenza:BZ",
        "avvertenza:CT",
        "avvertenza:SO",
        "avvertenza:others",
        "rate-domain",
        "markers:EN",
        "markers:PA",
        "footnote-used:4338",
        "footnote-used:6530",
    ):
        assert by_id[cid].passed, cid
    assert by_id["index:provinces"].declared == 95


def test_failed_checks_are_documented(real):
    result, _ = real
    mark_known_checks(result.checks, load_known_defects())
    assert [c.id for c in result.checks if not c.passed and not c.known] == []


def test_every_candidate_line_is_accounted_for(real):
    result, _ = real
    t = tables(result)["aliquote"]
    covered = {r["line_start"] for r in t.rows} | {
        r.line for r in result.rejects if r.table == "aliquote"
    }
    assert len(covered) == t.lines_in
    # the insertion code, printed in the right column of an otherwise empty line
    assert [(r.line, r.part, r.text) for r in result.rejects] == [
        (7242, "(5447)", "\t\t\t(5447)\t\t")
    ]
    assert len({r["riga"] for r in t.rows}) == len(t.rows)
    notes = {n["id"] for n in tables(result)["note"].rows}
    assert {r["nota"] for r in t.rows if r["nota"]} <= notes


def test_avvertenza_spelling_variants(real):
    result, _ = real
    # line 87 writes "Pejo", the list (line 6467) "Peio": the registry knows only Peio, so
    # the two names cannot be proved to be one comune and the check reports both.
    c = checks(result)["avvertenza:TN"]
    assert c.explanation == "solo in Avvertenza: pejo; solo in elenco: peio"


def test_resolution_uses_the_curated_crosswalk(real):
    result, ctx = real
    # line 151 "8. Canasta": misprint of Camastra (alias with the alphabetical evidence)
    r = row(result, "AG", 8)
    assert (r["istat"], r["resolution_method"]) == ("084008", "alias")
    # line 236 "Castellania": renamed Castellania Coppi, same comune
    assert row(result, "AL", 45)["istat"] == "006045"
    # line 2763 "Figline Valdarno": merged in 2014 into Figline e Incisa Valdarno
    r = row(result, "FI", 16)
    assert (r["comune"], r["istat"], r["resolution_method"]) == (
        "Figline Valdarno",
        "048016",
        "historical",
    )
    assert _registry().get("048016").successor == "048052"


def test_matches_the_document_contradicts_are_dropped(real):
    result, ctx = real
    # line 7193 "12. Camino" in the Viterbo list: the only Camino is in Alessandria
    r = row(result, "VT", 12)
    assert (r["istat"], r["resolution_method"]) == (None, "unresolved")
    rec = [x for x in ctx if x.line == 7193 and x.query == "Camino"][0]
    assert rec.status == "unresolved" and "fuori dalla provincia" in rec.note
    # lines 3531-3532 "20. Gualdo", "21. Gualdo": one is misprinted, neither gets the code
    assert row(result, "MC", 20)["istat"] is None and row(result, "MC", 21)["istat"] is None
    # line 345 "8. Castellano" is not Castelplanio (fuzzy), which has its own row: the
    # alias from the alphabetical slot gives Castelbellino
    assert row(result, "AN", 8)["istat"] == "042008"
    codes = [r["istat"] for r in tables(result)["aliquote"].rows if r["istat"]]
    assert len(codes) == len(set(codes))


def test_parse_is_fast():
    doc = _documents()[DOC]
    from generator.parsers import get
    from generator.extract.result import ParseContext
    from generator.quality import Log
    import io

    reg = _registry()
    t0 = time.perf_counter()
    get(FAMILY).parse(doc, ParseContext(reg, Log(stream=io.StringIO(), quiet=True), DOC, "x"))
    assert time.perf_counter() - t0 < 5


# -- crafted fragments ------------------------------------------------------------------
def test_two_columns_of_different_provinces_are_read_column_by_column():
    text = frag(
        H3,
        "## PROVINCIA DI GENOVA",
        "1.\tArenzano . . . . .\t20",
        "2.\tAvegno . . . . .\t20",
        H6,
        "3.\tBargagli . . . . .\t20\t2.\tCormons . . . . .\t20",
        "4.\tBogliasco . . . . .\t16\t3.\tDoberdò del Lago . . . . .\t8",
        "<b>PROVINCIA DI GORIZIA</b>\t\t\t\t\t",
        "1.\tCapriva del Friuli . . . . .\t20\t\t\t",
    )
    result, _, _ = parse_text(FAMILY, text)
    got = [
        (r["sigla_provincia_1983"], r["n"], r["comune"]) for r in tables(result)["aliquote"].rows
    ]
    assert got == [
        ("GE", 1, "Arenzano"),
        ("GE", 2, "Avegno"),
        ("GE", 3, "Bargagli"),
        ("GE", 4, "Bogliasco"),
        ("GO", 1, "Capriva del Friuli"),
        ("GO", 2, "Cormons"),
        ("GO", 3, "Doberdò del Lago"),
    ]
    assert checks(result)["numbering:GO"].passed


def test_tail_after_a_run_goes_where_the_numbers_continue():
    # Chieti's heading and 1..2 are printed after the run but belong to the foot of the
    # left column: the right column goes on with 3.
    chieti = frag(
        H6,
        "114.\tSan Pietro Apostolo\t20\t3.\tCasalbordino\t12",
        "115.\tSan Sostene\t20\t4.\tCasalincontrada\t8",
        "",
        "PROVINCIA DI CHIETI\t\t",
        "1.\tAltino\t20",
        "2.\tArchi\t20",
    )
    items = reading_order(list(enumerate(chieti.split("\n"), 1)))
    assert [i.cells[1] for i in items if len(i.cells) > 1 and i.cells[0][:1].isdigit()] == [
        "San Pietro Apostolo",
        "San Sostene",
        "Altino",
        "Archi",
        "Casalbordino",
        "Casalincontrada",
    ]
    # ... whereas here the right column continues the left one, so the tail comes last.
    ancona = frag(
        H6,
        "138.\tPozzolo Formigaro\t20\t140.\tPredosa\t16",
        "139.\tPrasco\t20\t\t\t",
        "",
        "## PROVINCIA DI ANCONA",
        "1.\tAgugliano\t20",
    )
    items = reading_order(list(enumerate(ancona.split("\n"), 1)))
    assert [i.cells[1] for i in items if len(i.cells) > 1 and i.cells[0][:1].isdigit()] == [
        "Pozzolo Formigaro",
        "Prasco",
        "Predosa",
        "Agugliano",
    ]


INDEX = (
    "## INDICE ALFABETICO PER PROVINCIA",
    "",
    "Cosenza . . . . .\tPag. 25\t\t",
    "Cremona . . . . .\t26\t\t",
    "Cuneo . . . . .\t27\t\t",
    "",
)


def test_missing_heading_inferred_from_index_and_comuni():
    text = frag(
        *INDEX,
        H3,
        "## PROVINCIA DI COSENZA",
        "88.\tMottafollone\tnon istituita",
        "89.\tNocera\t20",
        "90.\tOriolo\t20",
        H3,
        "55.\tMadignano\t20",
        "56.\tMalagnino\t12",
        "57.\tMartignana di Po\t20",
        "<b>PROVINCIA DI CUNEO</b>\t\t",
        "1.\tAcceglio\t20",
    )
    result, _, _ = parse_text(FAMILY, text)
    c = checks(result)
    assert not c["heading:CR"].passed
    assert "indice tra Cosenza e Cuneo: Cremona" in c["heading:CR"].explanation
    assert "3/3" in c["heading:CR"].explanation
    assert not c["tail:CS"].passed and c["tail:CN"].passed
    assert c["numbering:CR"].explanation == "mancano i numeri 1-54"
    r = [x for x in tables(result)["aliquote"].rows if x["comune"] == "Malagnino"][0]
    assert (r["sigla_provincia_1983"], r["istat"]) == ("CR", "019056")


def test_headless_segment_without_evidence_stays_unknown():
    # The index has no province between Cosenza and Cremona: no guess.
    text = frag(
        *INDEX,
        H3,
        "## PROVINCIA DI COSENZA",
        "89.\tNocera\t20",
        "90.\tOriolo\t20",
        H3,
        "55.\tMadignano\t20",
        "56.\tMalagnino\t12",
        "## PROVINCIA DI CREMONA",
        "1.\tAcquanegra Cremonese\t20",
    )
    result, _, _ = parse_text(FAMILY, text)
    c = checks(result)
    assert not c["province:unknown"].passed and c["province:unknown"].parsed == 2
    rows = [r for r in tables(result)["aliquote"].rows if r["comune"] == "Madignano"]
    assert rows[0]["sigla_provincia_1983"] is None


def test_heading_markups():
    text = frag(
        H3,
        "#### PROVINCIA DI ASTI",
        "1.\tAgliano\t20",
        "**PROVINCIA DI LECCE.**",
        "1.\tAlessano\t20",
        "<b>PROVINCIA DI L'AQUILA</b>\t\t",
        "1.\tAcciano\t20",
        "PROVINCIA DI FORLÌ\t\t",
        "1.\tBagno di Romagna\t20",
    )
    result, _, _ = parse_text(FAMILY, text)
    prov = {
        r["sigla_provincia_1983"]: r["formato_intestazione"]
        for r in tables(result)["province"].rows
    }
    assert prov == {"AT": "markdown-h4", "LE": "bold", "AQ": "html-bold", "FO": "plain"}
    r = [x for x in tables(result)["aliquote"].rows if x["comune"] == "Bagno di Romagna"][0]
    assert r["istat"] == "040001"  # Forlì 1983 -> today's Forlì-Cesena


def test_footnotes_link_to_the_foot_of_the_page():
    text = frag(
        H3,
        "## PROVINCIA DI AGRIGENTO",
        "1.\tAgrigento\tnon istituita",
        "2.\tAlessandria della Rocca\t8 (A)",
        "3.\tAragona\t(\\*)",
        H3,
        "4.\tBivona\t12 (1)",
        "5.\tBurgio\t20 (Y)",
        "",
        "(A) La deliberazione istitutiva è pervenuta oltre il termine di legge.",
        "",
        "(1) La delibera istitutiva è stata annullata dall'Organo regionale di controllo.",
        "",
        "(1) La delibera istitutiva è stata annullata e il provvedimento impugnato al TAR.",
        "",
        "(\\*) Vedasi successivo elenco integrativo.",
        "",
        "(\\*) Vedasi successivo elenco integrativo.",
    )
    result, _, _ = parse_text(FAMILY, text)
    t = tables(result)
    by_name = {r["comune"]: r for r in t["aliquote"].rows}
    notes = {n["id"]: n for n in t["note"].rows}
    a = by_name["Alessandria della Rocca"]
    assert (a["aliquota"], a["richiamo_nota"], notes[a["nota"]]["richiamo"]) == (8, "A", "A")
    ar = by_name["Aragona"]
    assert (ar["stato"], ar["aliquota"], ar["richiamo_nota"]) == ("elenco integrativo", None, "*")
    stars = [n for n in t["note"].rows if n["richiamo"] == "*"]
    assert ar["nota"] == stars[0]["id"] and stars[1]["ristampa_di"] == stars[0]["id"]
    assert by_name["Bivona"]["nota"] is None  # two different (1) notes
    assert by_name["Burgio"]["nota"] is None  # no (Y) note on the page
    c = checks(result)
    assert "richiamo ambiguo" in c["markers:AG"].explanation
    assert "nessuna nota (Y)" in c["markers:AG"].explanation
    assert c[f"footnote-used:{stars[1]['line_start']}"].passed  # reprint
    assert not c[
        f"footnote-used:{[n for n in t['note'].rows if n['richiamo'] == '1'][0]['line_start']}"
    ].passed


def test_footnote_printed_in_the_right_column():
    text = frag(
        H6,
        "<b>PROVINCIA DI VICENZA</b>\t\t\t3.\tArsiero\t20",
        "1.\tAgugliaro\t20\t4.\tArzignano\t8 (1)",
        "2.\tAlbettone\tnon istituita\t(1) La delibera istitutiva è stata annullata.\t\t",
    )
    result, _, _ = parse_text(FAMILY, text)
    t = tables(result)
    r = [x for x in t["aliquote"].rows if x["comune"] == "Arzignano"][0]
    assert r["nota"] == "n4" and t["note"].rows[0]["testo"].startswith("La delibera")


def test_lost_leading_digit_and_out_of_sequence_numbers():
    text = frag(
        H3,
        "## PROVINCIA DI ROMA",
        "99.\tSan Gregorio da Sassola\t20",
        "100.\tSan Polo dei Cavalieri\t12",
        "01.\tSanta Marinella\t20",
        "02.\tSant'Angelo Romano\t8",
        "102.\tSant'Oreste\t20",
    )
    result, _, _ = parse_text(FAMILY, text)
    rows = tables(result)["aliquote"].rows
    assert [(r["n"], r["n_stampato"]) for r in rows] == [
        (99, "99."),
        (100, "100."),
        (101, "01."),
        (102, "02."),
        (102, "102."),
    ]
    c = checks(result)
    assert not c["number-printed:RM"].passed and c["number-printed:RM"].parsed == 2
    assert "numeri ripetuti 102" in c["numbering:RM"].explanation
    assert "mancano i numeri 1-98" in c["numbering:RM"].explanation


def test_alphabetical_order_flags_misprinted_names():
    text = frag(
        H3,
        "<b>PROVINCIA DI AGRIGENTO</b>",
        "7.\tCaltabellotta\t8",
        "8.\tCanasta\t20",
        "9.\tCammarata\t20",
    )
    result, _, _ = parse_text(FAMILY, text)
    c = checks(result)["alphabetical:AG"]
    assert (c.passed, c.parsed) == (False, 1)
    assert "8 Canasta > 9 Cammarata" in c.explanation
    assert alpha_key("Castel Rozzone") > alpha_key("Castelli Calepio")  # spaces ignored


def test_rejects_unreadable_rates_and_stops_at_the_insertion_code():
    text = frag(
        H3,
        "## PROVINCIA DI AGRIGENTO",
        "1.\tAgrigento\t2O",
        "2.\tAragona\t25",
        "\t\t\t(5447)\t\t",
        "",
        "ERNESTO LUPO, direttore",
        "**L. 2.500**",
    )
    result, _, _ = parse_text(FAMILY, text)
    assert [(r.line, r.reason.split(":")[0]) for r in result.rejects] == [
        (3, "aliquota non leggibile"),
        (5, "codice dell'inserzione che chiude l'atto (non è una riga dell'elenco)"),
    ]
    assert all("LUPO" not in r.text for r in result.rejects)
    c = checks(result)["rate-domain"]
    assert not c.passed and "Aragona 25" in c.explanation


def test_bilingual_names_resolve_by_their_italian_part():
    text = frag(
        H3,
        "## PROVINCIA DI BOLZANO/BOZEN",
        "1.\tAldino - Aldein . . . . .\t20",
        "2.\tAndriano - Andrian . . . . .\t20",
    )
    result, ctx, _ = parse_text(FAMILY, text)
    rows = tables(result)["aliquote"].rows
    assert [(r["comune"], r["istat"]) for r in rows] == [
        ("Aldino - Aldein", "021001"),
        ("Andriano - Andrian", "021002"),
    ]
    assert [r.query for r in ctx] == ["Aldino", "Andriano"]


def test_avvertenza_is_checked_against_the_deferred_comuni():
    text = frag(
        "i comuni di Belpasso, Nicolosi, Paternò in provincia di Catania.",
        "",
        H3,
        "### PROVINCIA DI CATANIA",
        "1.\tBelpasso\t(\\*)",
        "2.\tNicolosi\t(\\*)",
        "3.\tPaternò\t20",
        "",
        "(\\*) Vedasi elenco integrativo.",
    )
    result, _, _ = parse_text(FAMILY, text)
    c = checks(result)["avvertenza:CT"]
    assert (c.passed, c.declared, c.parsed) == (False, 3, 2)
    assert c.explanation == "solo in Avvertenza: paterno"
