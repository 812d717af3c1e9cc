"""BURL acts: the real SO 47/2018 issue and crafted fragments for each layout hazard."""

from __future__ import annotations

import pytest

from generator.extract.result import act_at as act_for_line
from generator.extract.acts import is_page_header, join_lines, parse_header
from support import parse_real, parse_text

DOC = "burl-2018-so47"


@pytest.fixture(scope="module")
def real():
    result, ctx, log = parse_real(DOC)
    return result


def acts_by_number(result):
    return {a.number: a for a in result.acts}


def test_fifteen_acts_by_type(real):
    types = [a.type for a in real.acts]
    assert len(real.acts) == 15
    assert types.count("D.g.r.") == 3
    assert types.count("D.d.s.") == 8
    assert types.count("D.d.u.o.") == 4
    assert len({a.id for a in real.acts}) == 15


def test_first_dgr_against_text(real):
    # line 1 " D.g.r. 19 novembre 2018 - n. XI/827", title on lines 2-5, organ on line 7
    a = acts_by_number(real)["XI/827"]
    assert (a.id, a.type, a.date, a.number) == (
        "dgr-2018-11-19-xi-827",
        "D.g.r.",
        "2018-11-19",
        "XI/827",
    )
    assert a.title == (
        "Approvazione e concessione contributi ai sensi dell’art. 143 della "
        "l.r. 31/2008 alle associazioni piscatorie dilettantistiche qualificate "
        "(art. 136, l.r. 31/2008) per la realizzazione di programmi di "
        "intervento a tutela della fauna ittica"
    )
    assert a.office == "LA GIUNTA REGIONALE"
    assert (a.line_start, a.line_end) == (1, 410)


def test_fondo06_decree_against_text(real):
    a = acts_by_number(real)["16506"]
    assert (a.id, a.type, a.date) == ("dds-2018-11-14-16506", "D.d.s.", "2018-11-14")
    assert a.title.startswith(
        "Programmazione regionale degli interventi relativi al sistema "
        "integrato di educazione e di istruzione dalla nascita fino a "
        "sei anni l’annualità 2018, in attuazione del d.lgs. 65/2017."
    )
    assert a.title.endswith("comuni ammissibili al finanziamento del fondo nazionale")
    # organ printed over two lines (1153-1154)
    assert a.office == "IL DIRIGENTE DELLA U.O. SISTEMA EDUCATIVO E DIRITTO ALLO STUDIO"
    # decree + Allegato A up to the last row (2804); the p.49 header 2808-2812 is outside
    assert (a.line_start, a.line_end) == (1146, 2804)


def test_office_headings(real):
    by = acts_by_number(real)
    # "Presidenza" (line 1031) is printed right above D.d.s. 16757 ...
    assert by["16757"].office == (
        "Presidenza – IL DIRIGENTE DELLA STRUTTURA SEMPLIFICAZIONE E TRASFORMAZIONE DIGITALE"
    )
    # ... but not carried to the next act, issued by another organ
    assert not by["16506"].office.startswith("Presidenza")
    # "D.G. Territorio e protezione civile" (7902) heads 16765 and 16766 (same organ)
    for n in ("16765", "16766"):
        assert by[n].office == (
            "D.G. Territorio e protezione civile – IL DIRIGENTE DELLA "
            "STRUTTURA PIANIFICAZIONE E VOLONTARIATO DI PROTEZIONE CIVILE"
        )
    # a Direttore, not a Dirigente (6159-6160)
    assert by["16669"].office == (
        "IL DIRETTORE DELL’U.O. UFFICIO TERRITORIALE REGIONALE CITTA’ METROPOLITANA"
    )
    # organ over three lines with a blank one inside (7122-7125)
    assert by["16684"].office == (
        "IL DIRIGENTE DELLA STRUTTURA AGRICOLTURA, FORESTE, CACCIA "
        "E PESCA DELL’UFFICIO TERRITORIALE VAL PADANA"
    )


def test_headers_after_page_headers_and_citations(real):
    by = acts_by_number(real)
    # 2814 and 7910 have no leading space and follow a page header
    assert by["16688"].line_start == 2814 and by["16765"].line_start == 7910
    assert by["16684"].line_end == 7898 and by["16766"].line_end == 8609
    # the title of 16844 starts with a citation that looks like a header
    assert by["16844"].title.startswith("Regolamento regionale 27 ottobre 2015, n. 9 «disciplina")
    starts = {a.line_start for a in real.acts}
    for citation in (3649, 3653, 3660, 4870, 6634):
        assert citation not in starts
    # lines outside every act: section headings and page headers only
    for n in (1029, 1030, 1031, 2808, 2810, 2812, 7902, 7904, 7906, 7908):
        assert act_for_line(real.acts, n) is None
    assert act_for_line(real.acts, 1525).number == "16506"  # page header inside an act


def test_act_ranges_do_not_overlap(real):
    for a, b in zip(real.acts, real.acts[1:]):
        assert a.line_start <= a.line_end < b.line_start


def test_titles_are_dehyphenated(real):
    by = acts_by_number(real)
    assert "triennio 2016-2018. Definizione" in by["16765"].title  # "2016-" / "2018."
    assert "(ruolo n. 55437)" in by["16684"].title  # NBSP normalised


def test_every_act_check(real):
    checks = {c.id: c for c in real.checks if c.id.startswith("act")}
    ids = {a.id for a in real.acts}
    assert {f"act-signature:{i}" for i in ids} <= checks.keys()
    assert {f"act-organ:{i}" for i in ids} <= checks.keys()
    assert {f"act-date:{i}" for i in ids} <= checks.keys()
    assert checks["acts-coverage"].parsed == 0
    failed = [c.id for c in checks.values() if not c.passed]
    assert failed == []
    # no summary in this excerpt: no summary checks
    assert not any(c.id.startswith("summary") for c in real.checks)


# -- crafted fragments ------------------------------------------------------------------


def test_header_parsing():
    assert parse_header(" D.d.u.o. 15 novembre 2018 - n. 16657") == {
        "type": "D.d.u.o.",
        "prefix": "dduo",
        "date": "2018-11-15",
        "number": "16657",
    }
    assert parse_header("Comunicato regionale 20 novembre 2018 - n. 143")["type"] == "Comunicato"
    assert (
        parse_header("Decreto dirigente struttura 16 novembre 2018 - n. 16757")["type"] == "D.d.s."
    )
    # citations: text after the number, lowercase type, unknown month
    assert parse_header("Regolamento regionale 27 ottobre 2015, n. 9 «disciplina della") is None
    assert parse_header("d.g.r. 19 novembre 2018 - n. XI/827") is None
    assert parse_header("D.g.r. 19 brumaio 2018 - n. XI/827") is None
    assert parse_header("D.d.s. 16 novembre 2018") is None


def test_page_header_lines():
    assert is_page_header("Serie Ordinaria n. 47 - Giovedì 22 novembre 2018")
    assert is_page_header("– 20 – Bollettino Ufficiale")
    assert is_page_header("– 49 –")
    assert not is_page_header("sul Bollettino Ufficiale della Regione Lombardia")
    assert not is_page_header("")


def test_join_lines():
    assert join_lines(["pro-", "gramma 2016-", "2018 e", "altro"]) == "programma 2016-2018 e altro"


FRAGMENT = """\
SOMMARIO
D.g.r. 5 novembre 2018 - n. XI/700
Primo atto di prova . . . . . . . . . . . . . 3
D.d.s. 6 novembre 2018 - n. 1234
Secondo atto di prova con titolo su due ri-
ghe . . . . . . . . . . . . . 4
 D.g.r. 5 novembre 2018 - n. XI/700
Primo atto di prova

LA GIUNTA REGIONALE
VISTI:
gli atti;
DELIBERA
1. di approvare.
 Il segretario: Mario Bianchi



Bollettino Ufficiale

Serie Ordinaria n. 1 - Lunedì 12 novembre 2018

– 4 –

D.G. Welfare
D.d.s. 6 novembre 2018 - n. 1234
Secondo atto di prova con titolo su due ri-
ghe

IL DIRIGENTE DELLA STRUTTURA 
PROVA E CONTROLLO

Visto il d.d.s. 16 novembre 2018 - n. 16757 citato;
Decreto Ministeriale 18 dicembre 1975 “Norme tecniche
DECRETA
1. di approvare.
Il dirigente
Maria Rossi
"""


def test_fragment_with_summary_and_page_header():
    result, ctx, log = parse_text("burl", FRAGMENT, meta={"date": "2018-11-12"})
    assert [(a.id, a.line_start, a.line_end) for a in result.acts] == [
        ("dgr-2018-11-05-xi-700", 7, 15),
        ("dds-2018-11-06-1234", 26, 38),
    ]
    first, second = result.acts
    assert first.office == "LA GIUNTA REGIONALE"
    assert second.title == "Secondo atto di prova con titolo su due righe"
    assert second.office == "D.G. Welfare – IL DIRIGENTE DELLA STRUTTURA PROVA E CONTROLLO"
    checks = {c.id: c for c in result.checks}
    assert checks["summary-count"].passed and checks["summary-count"].declared == 2
    assert checks["summary-acts"].passed
    assert checks["acts-coverage"].passed
    own = [c for c in result.checks if c.id.startswith(("act", "summary"))]
    assert [c.id for c in own if not c.passed] == []


def test_fragment_summary_entry_missing_from_body():
    text = FRAGMENT.replace(
        "D.d.s. 6 novembre 2018 - n. 1234\nSecondo atto di prova con titolo su due ri-\nghe . . .",
        "D.d.s. 7 novembre 2018 - n. 9999\nAtto assente . . .",
    )
    result, _, _ = parse_text("burl", text, meta={"date": "2018-11-12"})
    checks = {c.id: c for c in result.checks}
    assert not checks["summary-acts"].passed
    assert "righe [4]" in checks["summary-acts"].explanation
    assert checks["summary-count"].passed  # two entries, two acts


def test_fragment_act_checks_can_fail():
    # a second act's header lost: its text (and signature) falls into the first act; its
    # date is after the issue
    text = FRAGMENT.replace(
        "D.d.s. 6 novembre 2018 - n. 1234\nSecondo atto di prova con titolo su due ri-\nghe\n\n", ""
    )
    result, _, _ = parse_text("burl", text, meta={"date": "2018-11-01"})
    checks = {c.id: c for c in result.checks}
    assert len(result.acts) == 1
    sig = checks["act-signature:dgr-2018-11-05-xi-700"]
    assert (sig.passed, sig.parsed) == (False, 2)
    assert not checks["act-date:dgr-2018-11-05-xi-700"].passed
    assert not checks["summary-acts"].passed
