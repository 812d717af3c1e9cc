"""Rows that span several lines.

Printed tables wrap a long row over two or more lines, and text extraction sometimes
breaks a row anywhere. Two shapes cover the tables seen so far:

* :func:`collect_rows` -- a row **starts** on a recognisable line (an order number and a
  code, say) and takes the following lines until the joined text matches the row's
  grammar ("multi-line rows");
* :func:`label_above` -- a row's values sit on one line and its name on the lines just
  **above** it, often set apart by a blank line ("name cell printed above its values");
* :func:`comma_list` -- a list of names separated by commas, wrapped over lines anywhere
  (even inside a name, with blank lines between), each name with the lines it spans;
* :func:`labelled_rows` -- read downwards: a row's name on the lines before its values
  and/or at the start of the values line, the table ending at its totals line or at prose;
* :func:`split_outside_parens` -- a list in one cell whose items carry parentheses of
  their own (``"Unione X (A, B), C (PV)"``): split only where the separator is outside them.

Lines that belong to no row go to a callback that either accepts them as structure
(subtotals, repeated headers) or lets them be rejected; a row that never completes is
rejected line by line. Every line touched becomes a candidate of the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, NamedTuple

from .recorder import Recorder
from .text import clean, join_wrapped


@dataclass
class RawRow:
    start: int
    end: int
    lines: list[int]
    text: str
    match: re.Match | None = None


def collect_rows(
    doc,
    rec: Recorder,
    table: str,
    start: int,
    end: int,
    is_start: Callable[[str], bool],
    complete: Callable[[str], re.Match | None],
    on_other: Callable[[int, str], bool],
    on_start: Callable[[int], None] | None = None,
) -> list[RawRow]:
    """Group body lines ``start..end`` into rows: a row begins on a line ``is_start``
    accepts (``on_start(line)`` is told) and takes the following lines until
    ``complete(text)`` matches; other lines (between complete rows) go to
    ``on_other(line, text)``, which returns False to have them rejected."""
    rows: list[RawRow] = []
    cur: RawRow | None = None

    def give_up(row: RawRow | None):
        if row is not None and not row.match:
            for ln in row.lines:
                rec.reject(table, ln, "riga di tabella incompleta: colonne non riconosciute")

    for n in range(start, end + 1):
        t = clean(doc.line(n))
        if not t:
            continue
        if is_start(t):
            give_up(cur)
            cur = RawRow(n, n, [n], t)
            rec.candidate(table, [n])
            if on_start:
                on_start(n)
            rows.append(cur)
        elif cur and not cur.match:
            cur.lines.append(n)
            cur.end = n
            cur.text += " " + t
            rec.candidate(table, [n])
        elif not on_other(n, t):
            rec.reject(table, n, "riga non riconosciuta all'interno della tabella")
            continue
        if cur and not cur.match:
            cur.match = complete(cur.text)
    give_up(cur)
    return [r for r in rows if r.match]


def label_above(
    doc, values_line: int, stop: Callable[[str], bool], max_blank: int | None = 1
) -> int:
    """First line of the name printed above the values on ``values_line``: walk up over at
    most ``max_blank`` blank lines (None: any number), then over non-blank lines, stopping
    before a blank line or a line ``stop`` accepts (another row's values, the sentence
    introducing the table)."""
    k = values_line - 1
    blanks = 0
    while k >= 1 and not doc.line(k).strip() and (max_blank is None or blanks < max_blank):
        k -= 1
        blanks += 1
    top = k
    while top - 1 >= 1 and doc.line(top - 1).strip() and not stop(doc.line(top - 1)):
        top -= 1
    return top


def comma_list(
    lines: list[tuple[int, str]], on_empty: Callable[[int], None] | None = None
) -> list[tuple[str, int, int]]:
    """``[(name, first line, last line)]`` of comma-separated names over ``lines``
    (``(line, text)``, blank lines left out): a name broken across lines is joined with a
    space; an empty name between two commas is told to ``on_empty(line)``."""
    names: list[tuple[str, int, int]] = []
    buf: list[str] = []
    start = None
    for n, t in lines:
        parts = t.split(",")
        for j, part in enumerate(parts):
            if part.strip():
                start = n if start is None else start
                buf.append(part.strip())
            if j < len(parts) - 1:  # a comma closes the name
                if buf:
                    names.append((" ".join(buf), start, n))
                elif on_empty:
                    on_empty(n)
                buf, start = [], None
    if buf:
        names.append((" ".join(buf), start, lines[-1][0]))
    return names


@dataclass
class LabelledRow:
    label: str  # the name, its wrapped lines re-joined
    start: int  # its first line (a name line, or the values line)
    line: int  # the values line
    match: re.Match  # the values line, matched


def labelled_rows(
    doc, start: int, end: int, values: re.Pattern, total: Callable[[str], list | None]
) -> tuple[list[LabelledRow], tuple[list, int] | None, int]:
    """Rows whose name is printed on the lines before their values, or at the start of the
    values line, or both (``AMBITO`` / ``TERRITORIALE DI`` / ``CACCIA 1`` then ``959153
    16.01.104.11647 121.329,13 0 0``). ``values`` matches a values line (group ``label``: the
    name printed before the values, possibly empty); the other lines up to it are the name,
    wrapped (re-joined by :func:`~.text.join_wrapped`). Reading runs from line ``start`` and
    stops at the totals line (``total(text)`` returns its values, else None), at prose (a
    line with a lowercase letter that is not a values line) or after ``end``. Returns the
    rows, ``(totals, line)`` or None, and the line where reading stopped."""
    rows: list[LabelledRow] = []
    label: list[str] = []
    first = None
    for k in range(start, end + 1):
        t = clean(doc.line(k))
        if not t:
            continue
        if (tot := total(t)) is not None:
            return rows, (tot, k), k
        m = values.match(t)
        if not m and re.search(r"[a-z]", t):
            return rows, None, k
        first = first or k
        if m:
            rows.append(LabelledRow(join_wrapped(label + [m.group("label")]), first, k, m))
            label, first = [], None
        else:
            label.append(t)
    return rows, None, end + 1


class Piece(NamedTuple):
    """A piece of a list item: ``kind`` is ``"text"`` or ``"paren"`` (the text inside a
    pair of parentheses); ``closed`` is False for a parenthesis never closed."""

    kind: str
    text: str
    closed: bool = True


def split_outside_parens(text: str, separator: str) -> list[tuple[list[Piece], str]]:
    """Split a list cell at ``separator`` (a regular expression) where it is outside
    parentheses: ``[(pieces, sep), ...]``, ``sep`` being the separator printed before the
    item ('' for the first). The pieces of an item are its text and its parenthesised
    groups, in order (nested parentheses stay inside their group; one never closed runs
    to the end of the cell). Empty items are left out::

        "Unione X (A, B), C (PV)" -> [([text "Unione X ", paren "A, B"], ""),
                                      ([text " C ", paren "PV"], ",")]
    """
    sep = re.compile(separator)
    items: list[tuple[list[Piece], str]] = []
    pieces: list[Piece] = []
    buf, paren, depth, before, i = "", "", 0, "", 0
    while i < len(text):
        ch = text[i]
        m = None if depth or ch == "(" else sep.match(text, i)
        if depth:
            depth += (ch == "(") - (ch == ")")
            if depth:
                paren += ch
            else:
                pieces.append(Piece("paren", paren))
                paren = ""
        elif ch == "(" or (m and m.end() > i):
            if buf.strip():
                pieces.append(Piece("text", buf))
            buf = ""
            if ch == "(":
                depth = 1
            else:
                items.append((pieces, before))
                pieces, before = [], m.group(0)
                i = m.end()
                continue
        else:
            buf += ch
        i += 1
    if buf.strip():
        pieces.append(Piece("text", buf))
    if depth:
        pieces.append(Piece("paren", paren, closed=False))
    items.append((pieces, before))
    return [(p, s) for p, s in items if p]
