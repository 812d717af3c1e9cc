"""The toolkit's reader of rows named before their values (``generator/extract/rows.py``,
:func:`labelled_rows`), one rule at a time on crafted fragments. The BURL tests run it on
the real commitments, payments and per-capitolo tables."""

from __future__ import annotations

import re

from generator import paths
from generator.extract.cells import amounts_only
from generator.extract.rows import labelled_rows
from generator.sources import Document

VALUES = re.compile(r"^(?P<label>[^a-z]*?)\s*(?P<code>\d{5,6})\s+(?P<amount>\d[\d.]*,\d{2})$")


def doc(text: str) -> Document:
    lines = text.split("\n")
    return Document(
        id="prova",
        path=paths.SOURCES / "prova.txt",
        meta={"id": "prova"},
        text=text,
        sha256="",
        lines=lines,
    )


def read(text: str, start: int = 1, end: int | None = None):
    d = doc(text)
    return labelled_rows(d, start, end or len(d.lines), VALUES, amounts_only)


def test_names_above_beside_and_wrapped_with_hyphens_and_spaced_letters():
    rows, total, stop = read(
        "AMBITO TER-\nRITORIALE DI CACCIA 1\n\n959153 121,00\n"
        "C O M P R E N S O R I O\nALPINO CA3 959026 2.250,00\n"
        "RUOLO 2 ENTI 55545 54,00\n"
    )
    assert [(r.label, r.start, r.line, r.match.group("code")) for r in rows] == [
        ("AMBITO TERRITORIALE DI CACCIA 1", 1, 4, "959153"),
        ("COMPRENSORIO ALPINO CA3", 5, 6, "959026"),
        ("RUOLO 2 ENTI", 7, 7, "55545"),
    ]
    assert total is None and stop == 9  # the last line (blank) + 1


def test_a_totals_line_ends_the_table_with_its_values():
    rows, total, stop = read("UNO\n11111 1,00\nDUE 22222 2,00\n\n3,00\nTRE 33333 3,00\n")
    assert [r.label for r in rows] == ["UNO", "DUE"]
    assert total == ([3], 5) and stop == 5


def test_prose_ends_the_table_and_a_values_line_needs_an_uppercase_name():
    # "di liquidare" is prose; a values line whose name has lowercase letters is not a row
    rows, total, stop = read("UNO\n11111 1,00\n6. di liquidare:\nDUE 22222 2,00\n")
    assert [r.label for r in rows] == ["UNO"] and (total, stop) == (None, 3)
    rows, _, stop = read("UNO\n11111 1,00\nAtc uno 22222 2,00\n")
    assert len(rows) == 1 and stop == 3


def test_reading_stops_after_end_and_a_name_without_values_is_no_row():
    rows, total, stop = read("UNO\n11111 1,00\nDUE\nSENZA VALORI\n", end=4)
    assert [r.label for r in rows] == ["UNO"] and (total, stop) == (None, 5)
    rows, _, stop = read("X\nUNO\n11111 1,00\n", start=2)
    assert [(r.label, r.start) for r in rows] == [("UNO", 2)] and stop == 5
