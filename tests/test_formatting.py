"""Dates on pages read as Italian writes them: the first of the month as an ordinal
("1º novembre 2025") and the preposition elided before a vowel sound ("all'8 maggio
1992", "l'11 giugno"), on the real site's footers too."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from generator import render
from generator.formatting import _num, date_it, date_with, num


@pytest.mark.parametrize(
    "iso,expected",
    [
        ("2018-11-22", "22 novembre 2018"),
        ("2025-11-01", "1º novembre 2025"),
        ("1992-05-08", "8 maggio 1992"),
        ("2010-12-31", "31 dicembre 2010"),
        (None, "–"),
        ("ieri", "ieri"),
    ],
)
def test_date_it(iso, expected):
    assert date_it(iso) == expected


@pytest.mark.parametrize(
    "prep,iso,expected",
    [
        ("al", "2018-11-22", "al 22 novembre 2018"),
        ("al", "2025-11-01", "al 1º novembre 2025"),
        ("al", "1992-05-08", "all'8 maggio 1992"),
        ("al", "2003-06-11", "all'11 giugno 2003"),
        ("al", "2003-06-18", "al 18 giugno 2003"),  # diciotto: no elision
        ("al", "1983-10-28", "al 28 ottobre 1983"),
        ("il", "2016-01-08", "l'8 gennaio 2016"),
        ("il", "2016-01-01", "il 1º gennaio 2016"),
        ("dal", "2016-01-11", "dall'11 gennaio 2016"),
    ],
)
def test_date_with_a_preposition(prep, iso, expected):
    assert date_with(prep, iso) == expected


def test_the_filter_escapes_nothing_it_should_not():
    env = render.environment()
    out = env.from_string('{{ d|date_with("al") }}').render(d="1992-05-08")
    assert out == "all&#39;8 maggio 1992"  # autoescaped apostrophe, read as "all'8"


def test_footers_of_the_real_site_read_as_italian(built_site):
    site, _ = built_site
    page = (site / "documenti/gu-1992-eccezionalita-calamita-piemonte/index.html").read_text()
    assert "Dati di questa pagina aggiornati all&#39;8 maggio 1992" in page
    home = (site / "index.html").read_text()
    footer = re.search(r"Dati aggiornati (al[^<]*)\.<", home)
    assert footer and not re.match(r"al (8|11) ", footer.group(1)), footer
    assert not re.search(r"\bal 1 [a-z]", home)  # "al 1º novembre", not "al 1 novembre"


# -- numbers: the memo keyed by value prints what the formatter prints --------------------
_NUMBERS = [
    0, 7, -7, 1234567, -1234567, 10**20,
    0.0, -0.0, 0.5, -0.5, 1234.565, 2.675, 1e20, 1e-7,
    Decimal("0"), Decimal("-0"), Decimal("1.0"), Decimal("1.00"), Decimal("1.005"),
    Decimal("-1234.5678"), Decimal("1E+3"),
    True, False, None, "", "n.d.", "12,5",
]  # fmt: skip


@pytest.mark.parametrize("decimals", [None, 0, 1, 2])
def test_num_prints_what_the_formatter_prints_twice_over(decimals):
    """``num`` memoises by value where equal values print alike: each value, asked twice
    and after an equal value of another form (``Decimal("1.0")`` then ``("1.00")``, 0.0
    then -0.0, 1 then 1.0), prints exactly what the unmemoised formatter prints."""
    for _ in range(2):
        for v in _NUMBERS:
            if v is None or v == "":
                expected = "–"
            elif isinstance(v, bool):
                expected = "sì" if v else "no"
            else:
                expected = _num(v, decimals)
            assert num(v, decimals) == expected, (v, decimals)
    assert num(Decimal("1.0")) == "1,0" and num(Decimal("1.00")) == "1,00"
    assert num(1) == "1" and num(1.0) == "1,0"
    assert num(-0.0, 1) == num(0.0, 1) == "0,0"
    assert num(1234567) == "1.234.567" and num(-1234.5, 2) == "-1.234,50"
