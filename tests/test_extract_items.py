"""Toolkit pieces for the items of a list printed in one cell (generator/extract): splitting
outside parentheses, and the " e " that separates two comuni but not the words of one name.
The SMART parser's tests run them on the real document; these pin each rule on its own."""

from __future__ import annotations

import pytest

from generator.extract.comuni import split_and
from generator.extract.rows import Piece, split_outside_parens
from support import _registry


def test_split_outside_parens_keeps_groups_with_their_item():
    items = split_outside_parens("Unione X (A, B), C (PV),D", ",")
    assert items == [
        ([Piece("text", "Unione X "), Piece("paren", "A, B")], ""),
        ([Piece("text", " C "), Piece("paren", "PV")], ","),
        ([Piece("text", "D")], ","),
    ]


def test_split_outside_parens_nested_unclosed_and_empty_items():
    items = split_outside_parens("(A (B, C), D), , E (F, G", ",")
    assert items == [
        ([Piece("paren", "A (B, C), D")], ""),  # a group at the cell start
        ([Piece("text", " E "), Piece("paren", "F, G", closed=False)], ","),
    ]  # ", ," leaves no item


def test_split_outside_parens_separator_is_a_regular_expression():
    # a full stop separates only after a word of three letters or more
    rx = r",|(?<=[^\W\d_]{3})\.(?= )"
    items = split_outside_parens("Pogliano. San Vittore, S. Stefano T., (X. Y) Z", rx)
    assert [("".join(p.text for p in pieces).strip(), sep) for pieces, sep in items] == [
        ("Pogliano", ""),
        ("San Vittore", "."),
        ("S. Stefano T.", ","),
        ("X. Y Z", ","),
    ]


def test_split_outside_parens_plain_text():
    assert split_outside_parens("  ", ",") == []
    assert split_outside_parens("Bergamo", ",") == [([Piece("text", "Bergamo")], "")]


@pytest.mark.parametrize(
    "name, parts",
    [
        ("Covo e Mapello", ["Covo", "Mapello"]),
        ("Santa Cristina e Bissone", ["Santa Cristina e Bissone"]),  # one comune
        ("Dazio e Buglio in Monte", ["Dazio", "Buglio in Monte"]),
        ("Comerio e Luvinate e Covo", ["Comerio", "Luvinate", "Covo"]),
        ("Covo e Nessunluogo", ["Covo e Nessunluogo"]),  # a part is not a comune: kept whole
        ("Lodi", ["Lodi"]),
    ],
)
def test_split_and_only_between_comuni(name, parts):
    reg = _registry()
    assert split_and(name, lambda n: reg.resolve(n, fuzzy=False).ok) == parts
