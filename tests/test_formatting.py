"""Dates on pages read as Italian writes them: the first of the month as an ordinal
("1º novembre 2025") and the preposition elided before a vowel sound ("all'8 maggio
1992", "l'11 giugno"), on the real site's footers too."""

from __future__ import annotations

import re

import pytest

from generator import render
from generator.formatting import date_it, date_with


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
