"""Two-column pages printed side by side on one line, put back in reading order.

When a page set in two columns is extracted as text, each line may carry a cell group of
the left column and one of the right column (``1.\\tAgrigento\\t16\\t2.\\tAlessandria\\t12``).
:func:`reading_order` restores the order a reader follows: per run of two-column lines,
the whole left column, then the whole right column. One-column lines printed right after
a run (a *tail*) sit at the foot of one of the two columns: ``joins`` (a callback that
knows the table, e.g. order numbers that must continue: :func:`numbers_continue`) decides
which. Footnotes go to the end of their block (the foot of the page), so that they follow
every row of the page.

An index printed in two columns (``Agrigento . . . . .  Pag. 5  Messina . . . . .  38``)
is read by :func:`index_entries`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from .text import strip_leaders


@dataclass
class Item:
    """One column's cells of one line, in reading order."""

    line: int
    column: str  # "left", "right", "single" or "header"
    cells: tuple[str, ...]


def split_cells(text: str) -> list[str]:
    return [c.strip() for c in text.split("\t")]


def reading_order(
    lines: list[tuple[int, str]],
    width: int,
    is_header: Callable[[list[str]], bool],
    is_note: Callable[[list[str]], bool],
    joins: Callable[[list[Item], list[Item]], int],
) -> list[Item]:
    """Cell groups of a two-column region in reading order.

    ``width``: cells per column. A line with more than ``width`` cells holds two columns;
    a header line (``is_header``) closes the block before it; ``is_note`` marks footnote
    lines; ``joins(a, b)`` is 1 when ``b`` continues ``a`` (used to place a tail).
    """
    items: list[Item] = []
    pieces: list = []  # ("run", left, right) | ("single", item), current block
    notes: list[Item] = []
    run: list[tuple[int, list[str]]] = []

    def close_run():
        if run:
            left = [Item(n, "left", tuple(c[:width])) for n, c in run if any(c[:width])]
            right = [
                Item(n, "right", tuple(c[width : 2 * width]))
                for n, c in run
                if any(c[width : 2 * width])
            ]
            pieces.append(("run", left, right))
            run.clear()

    def close_block():
        close_run()
        i = 0
        while i < len(pieces):
            if pieces[i][0] == "run":
                j = i + 1
                while j < len(pieces) and pieces[j][0] == "single":
                    j += 1
                tail = [p[1] for p in pieces[i + 1 : j]]
                items.extend(place_tail(pieces[i][1], pieces[i][2], tail, joins))
                i = j
            else:
                items.append(pieces[i][1])
                i += 1
        items.extend(notes)
        pieces.clear()
        notes.clear()

    for n, text in lines:
        cells = split_cells(text)
        if not any(cells):
            continue
        if is_header(cells):
            close_block()
            items.append(Item(n, "header", tuple(cells)))
        elif len(cells) > width:
            run.append((n, cells + [""] * (2 * width - len(cells))))
        else:
            close_run()
            item = Item(n, "single", tuple(cells))
            if is_note(cells):
                notes.append(item)
            else:
                pieces.append(("single", item))
    close_block()
    return items


def place_tail(
    left: list[Item],
    right: list[Item],
    tail: list[Item],
    joins: Callable[[list[Item], list[Item]], int],
) -> list[Item]:
    """Order a two-column run and the one-column lines printed after it: the tail goes at
    the foot of the left column (``left, tail, right``) when that makes more pieces
    continue one another than the text order (``left, right, tail``)."""
    if not tail or not right:
        return left + right + tail
    as_printed = joins(left, right) + joins(right, tail)
    tail_left = joins(left, tail) + joins(tail, right)
    return left + tail + right if tail_left > as_printed else left + right + tail


def numbers_continue(
    number: Callable[[str], int | None], opens: Callable[[str], bool]
) -> Callable[[list[Item], list[Item]], int]:
    """A ``joins`` for numbered lists: ``b`` continues ``a`` (1) when its first cell opens
    a block (``opens``: a heading) or holds the number after the last number of ``a``
    (``number(cell)``: the order number of a first cell, or None). A left column ending
    at 157, a tail "PROVINCIA DI CHIETI, 1..13" and a right column starting at 14: the
    tail is the foot of the left column."""

    def joins(a: list[Item], b: list[Item]) -> int:
        first = next((it for it in b if it.cells and it.cells[0]), None)
        if first is None or opens(first.cells[0]):
            return 1
        nb = number(first.cells[0])
        na = next(
            (number(it.cells[0]) for it in reversed(a) if number(it.cells[0]) is not None), None
        )
        return int(nb is not None and na is not None and nb == na + 1)

    return joins


def index_entries(lines: list[tuple[int, str]]) -> list[tuple[str, int | None, int]]:
    """An index printed in two columns of ``name<TAB>page`` (dot leaders after the name,
    ``Pag.`` before the first page): ``[(name, page, line)]``, the left column first."""
    left, right = [], []
    for n, text in lines:
        cells = split_cells(text)
        for side, lo in ((left, 0), (right, 2)):
            if len(cells) > lo and cells[lo]:
                page = re.search(r"\d+", cells[lo + 1]) if len(cells) > lo + 1 else None
                side.append((strip_leaders(cells[lo]), int(page.group()) if page else None, n))
    return left + right
