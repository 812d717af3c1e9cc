"""The toolkit pieces for lists of comuni (generator/extract): order numbers, page footnotes,
a list's resolutions, the registry at a date, comma lists, two-column indexes, and the
recorder's summary tables and partial rejects. The
parsers' tests (gu_sovrimposta, pd_collegi) run them on the real documents; these pin
each rule on its own."""

from __future__ import annotations

import io

import pytest

from generator.extract import Dataset, ParseResult, Recorder, Table, accounting_errors
from generator.extract.asof import AsOf
from generator.extract.blocks import province_votes, unclosed_markup
from generator.extract.columns import index_entries, numbers_continue, reading_order
from generator.extract.comuni import Named, resolve_list
from generator.extract.footnotes import Footnote, note_for, page_groups
from generator.extract.numbering import alpha_key, audit, read_number, restarts
from generator.extract.recorder import WITHHELD_TEXT, only_in
from generator.extract.result import ParseContext
from generator.extract.rows import comma_list
from generator.extract.text import strip_leaders
from generator.quality import Log, Reject
from generator.sources import Document
from support import _registry


def doc(*lines: str) -> Document:
    from generator import paths

    return Document(
        id="prova",
        path=paths.SOURCES / "prova.txt",
        meta={"id": "prova"},
        text="\n".join(lines),
        sha256="",
        lines=list(lines),
    )


def ctx() -> ParseContext:
    return ParseContext(_registry(), Log(stream=io.StringIO(), quiet=True), "prova", "x")


# -- numbering ------------------------------------------------------------------------------
def test_a_number_that_lost_its_leading_digit_is_read_from_its_predecessor():
    assert read_number("01.", 100) == 101 and read_number("10.", 109) == 110
    assert read_number("7.", 100) == 7  # not the tail of 101: read as printed
    assert read_number("102.", 101) == 102


def test_a_restart_needs_both_a_lower_number_and_an_earlier_name():
    assert restarts(55, "Madignano", 90, "Oriolo")
    assert not restarts(39, "Maserada", 39, "Mareno di Piave")  # a repeat, not a restart
    assert not restarts(8, "Zagarolo", 9, "Roma")  # a misprint, names go on
    assert alpha_key("Castel Rozzone") > alpha_key("Castelli Calepio")


def test_audit_lists_gaps_repeats_and_disorder():
    a = audit([1, 2, 4, 4, 3])
    assert (a.top, a.missing, a.repeated, a.disorder, a.ok) == (4, [], [4], [4, 3], False)
    assert a.explain(str) == "numeri ripetuti 4; fuori sequenza: 4, 3"
    b = audit([55, 56, 57])
    assert b.explain(str) == "mancano i numeri 1-54" and audit([1, 2, 3]).ok and audit([]).ok


# -- footnotes ------------------------------------------------------------------------------
def test_notes_of_a_page_reprints_and_ambiguous_markers():
    notes = [
        Footnote(10, "A", "Delibera tardiva.", 5),
        Footnote(11, "*", "Vedasi elenco.", 6),
        Footnote(12, "*", "Vedasi  elenco.", 7),
        Footnote(13, "1", "Annullata.", 8),
        Footnote(14, "1", "Annullata e impugnata.", 9),
        Footnote(400, "B", "Altra.", 30),
    ]
    groups = page_groups(notes)
    assert [len(g) for g in groups] == [5, 1] and notes[2].reprint_of == "n11"
    assert note_for(groups, "*", 2, 3, 140) == (notes[1], "")
    assert note_for(groups, "A", 2, 3, 140)[0] is notes[0]
    assert "richiamo ambiguo" in note_for(groups, "1", 2, 3, 140)[1]
    assert note_for(groups, "Y", 2, 3, 140) == (None, "nessuna nota (Y) in calce alla pagina")
    # the next group of notes is too far below: not the foot of the marker's page
    assert note_for(groups, "B", 20, 200, 140)[0] is None


# -- a list's resolutions -------------------------------------------------------------------
def test_resolve_list_drops_what_the_list_contradicts():
    c = ctx()
    rows = [
        Named("Camino", 1, "VT", ("VT",), "12 Camino"),
        Named("Bormio", 2, "SO", ("SO",), "5 Bormio"),
        Named("Bormioo", 3, "SO", ("SO",), "6 Bormioo"),
        Named("Livigno", 4, "SO", ("SO",), "7 Livigno"),
        Named("Livigno", 5, "SO", ("SO",), "8 Livigno"),
        Named("Sondalo", 6, "SO", ("SO",), "9 Sondalo"),
    ]
    resolved, duplicates = resolve_list(c, rows)
    assert [r.istat for r in resolved] == [None, "014009", None, None, None, "014060"]
    assert "fuori dalla provincia dell'elenco (VT)" in resolved[0].note
    assert resolved[2].note == "scartato: Bormio ha già la sua riga (5 Bormio, riga 2)"
    assert duplicates == {"014037": [3, 4]} and "anche alla riga 5" in resolved[3].note
    log = {x.line: x for x in c.resolutions}  # the log keeps the drop and its reason
    assert (log[1].status, log[1].candidates) == ("unresolved", ["006027"])
    assert log[6].status == "resolved" and len(c.resolutions) == 6


# -- the registry at a date -----------------------------------------------------------------
def test_registry_as_of_a_date():
    reg = _registry()
    then, later, today = AsOf(reg, "2014-01-17"), AsOf(reg, "2020-06-01"), AsOf(reg, None)
    assert len(then.comuni_of_province("MN")) == 70
    assert len(later.comuni_of_province("MN")) == len(today.comuni_of_province("MN")) == 64
    assert then.today("013125").name == "Tremezzina"  # Lenno, merged in 2014
    bienno = reg.get(reg.resolve("Bienno").istat)
    assert then.change_note(bienno) == "Dopo la data del documento vi è stato incorporato: Prestine"
    assert not then.existed(reg.get("013252")) and today.existed(reg.get("013252"))


def test_province_votes_within_given_provinces():
    votes, resolved = province_votes(
        ["Bormio", "Livigno", "Nessunluogo"], _registry(), province=("SO", "BG")
    )
    assert (dict(votes), resolved) == ({"SO": 2}, 2)


# -- layout pieces --------------------------------------------------------------------------
def test_comma_list_over_wrapped_lines():
    empty = []
    names = comma_list(
        [(1, "BORMIO, PONTE IN"), (3, "VALTELLINA, , SONDALO,"), (5, "LIVIGNO")], empty.append
    )
    assert names == [
        ("BORMIO", 1, 1),
        ("PONTE IN VALTELLINA", 1, 3),
        ("SONDALO", 3, 3),
        ("LIVIGNO", 5, 5),
    ]
    assert empty == [3]


def test_two_column_index_and_numbered_columns():
    assert index_entries(
        [
            (1, "Agrigento . . . . .\tPag. 5\tMessina . . . . .\tPag. 38"),
            (2, "Alessandria . . . . .\t5\t\t"),
        ]
    ) == [("Agrigento", 5, 1), ("Alessandria", 5, 2), ("Messina", 38, 1)]
    number = lambda c: int(c[:-1]) if c[:-1].isdigit() and c.endswith(".") else None  # noqa: E731
    joins = numbers_continue(number, lambda c: c.startswith("PROVINCIA"))
    lines = [
        (1, "H\tH\tH\tH\tH\tH"),
        (2, "8.\tA\t20\t11.\tD\t20"),
        (3, "9.\tB\t20\t\t\t"),
        (4, "10.\tC\t20"),
    ]
    items = reading_order(lines, 3, lambda c: c[0] == "H", lambda c: False, joins)
    assert [it.cells[1] for it in items if it.column != "header"] == ["A", "B", "C", "D"]
    assert strip_leaders("Agrigento . . . . .") == "Agrigento"
    assert unclosed_markup("**PROVINCIA DI X") and not unclosed_markup("<b>PROVINCIA</b>")


# -- recorder additions ---------------------------------------------------------------------
def test_summary_table_candidates_and_partial_rejects():
    d = doc("PROVINCIA DI A", "1.\tX\t20\t1.\tRSSMRA80A01H501U\t??", "2.\tY\t20")
    rec = Recorder(d)
    rows = [
        {"n": 1, "source_id": "prova", "act_id": "", "line_start": 2, "line_end": 2},
        {"n": 2, "source_id": "prova", "act_id": "", "line_start": 3, "line_end": 3},
    ]
    # line 2: the left column is published, the right one rejected (a part of the line)
    rec.reject("righe", 2, "colonna destra illeggibile", part="1.\tRSSMRA80A01H501U\t??")
    summary = [{"p": "A", "source_id": "prova", "act_id": "", "line_start": 1, "line_end": 3}]
    rec.summary("province", [1])
    rec.candidate("righe", [])
    result = rec.finish(
        ParseResult(
            datasets=[
                Dataset(
                    "p",
                    "P",
                    "",
                    [Table("righe", "", "", [], rows), Table("province", "", "", [], summary)],
                )
            ]
        )
    )
    righe, province = result.datasets[0].tables
    assert (result.rejects[0].text, result.rejects[0].part) == (WITHHELD_TEXT, WITHHELD_TEXT)
    assert province.candidates == {1} and righe.candidates == {2, 3}
    assert accounting_errors(d, result) == []
    result.rejects.append(Reject("prova", 3, d.line(3), "tutta la riga", "righe"))
    assert "both published and rejected: [3]" in accounting_errors(d, result)[0]


@pytest.mark.parametrize(
    "a, b, want",
    [
        (["Cremona", "Cuneo"], ["Cuneo", "Lodi"], "solo in indice: Cremona; solo in elenco: Lodi"),
        (["a"], ["a"], ""),
    ],
)
def test_only_in(a, b, want):
    assert only_in("indice", a, "elenco", b) == want


def test_absent_lists_what_must_not_occur():
    rec = Recorder(doc("x"))
    ok = rec.absent("dup", "Nessun doppione", [], str, (1, 1), " (why)")
    bad = rec.absent(
        "dup2",
        "Nessun doppione",
        [("Gualdo", 20), ("Gualdo", 21)],
        lambda x: f"{x[0]} riga {x[1]}",
        (1, 1),
        ": un nome stampato due volte",
    )
    assert (ok.passed, ok.declared, ok.parsed, ok.explanation) == (True, 0, 0, "")
    assert (bad.passed, bad.declared, bad.parsed) == (False, 0, 2)
    assert bad.explanation == "Gualdo riga 20; Gualdo riga 21: un nome stampato due volte"
