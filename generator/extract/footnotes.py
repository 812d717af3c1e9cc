"""Footnotes printed at the foot of a page, and the markers in the rows that refer to them.

A row carries a marker (``(A)``, ``(1)``, ``(*)``) in one of its cells, and the note with
that marker is printed at the foot of the same page. Text extracted from a paginated
print has lost the page breaks, so a marker refers to the first group of notes printed
after it in reading order (consecutive note lines: the foot of its page), and only within
``page_span`` lines. Hazards (:func:`note_for` says which one occurred):

* a note printed twice in one group (once per column of a two-column page): same marker,
  same text -- one note and its reprint, rows link to the first (:func:`page_groups`);
* two notes with the same marker and different texts on one page: the marker is
  ambiguous and stays unlinked;
* no note with the marker on the page (or none near enough): unlinked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..registry import normalise


@dataclass
class Footnote:
    line: int
    marker: str  # as printed: A, Y, 1, *
    text: str
    pos: int  # position in reading order
    users: list = field(default_factory=list)  # the rows that refer to it
    reprint_of: str | None = None  # id of the same note printed earlier on the same page

    @property
    def id(self) -> str:
        return f"n{self.line}"


def page_groups(notes: list[Footnote]) -> list[list[Footnote]]:
    """Notes in groups of consecutive reading positions (one foot of page each); a note
    repeated within its group (same marker, same text) is marked as a reprint."""
    groups: list[list[Footnote]] = []
    for f in notes:
        if groups and f.pos == groups[-1][-1].pos + 1:
            groups[-1].append(f)
        else:
            groups.append([f])
    for g in groups:
        for i, f in enumerate(g):
            f.reprint_of = next(
                (
                    x.id
                    for x in g[:i]
                    if x.marker == f.marker and normalise(x.text) == normalise(f.text)
                ),
                None,
            )
    return groups


def note_for(
    groups: list[list[Footnote]], marker: str, pos: int, line: int, page_span: int
) -> tuple[Footnote | None, str]:
    """The note that a marker at reading position ``pos`` (input ``line``) refers to, or
    None and why (no such note on the page, or an ambiguous marker)."""
    group = next((g for g in groups if g[0].pos > pos), None)
    same = (
        []
        if group is None or group[0].line - line > page_span
        else [f for f in group if f.marker == marker and f.reprint_of is None]
    )
    if len(same) == 1:
        return same[0], ""
    if not same:
        return None, f"nessuna nota ({marker}) in calce alla pagina"
    return None, (
        f"richiamo ambiguo: la pagina stampa {len(same)} note ({marker}) con testi "
        f"diversi (righe {', '.join(str(f.line) for f in same)})"
    )
