"""Typed cells: the values Italian public documents print, read exactly.

Every cell type has a reader (printed text -> Python value, or :class:`CellError` with a
message a maintainer can act on) and a regular-expression fragment, so that a row
grammar can be composed from cell types (``cells:`` in a table spec) and a cell is
matched by the same rule that reads it. The types (``TYPES``):

=================  ===============================  =========================================
type               printed as                        value
=================  ===============================  =========================================
``integer``        ``56.311``, ``5878``              int (``.`` groups thousands)
``number``         ``1.234,5``, ``-3``, ``0,25``     Decimal (Italian separators)
``amount``         ``7.215,42``, ``€ 3.592,39``      Decimal, to the cent (``€`` before/after)
``euro``           same as amount                    same as amount
``percent``        ``30%``, ``12,5 %``               Decimal (the number before ``%``)
``date``           ``14/11/2018``, ``14.11.2018``,   ISO date string
                   ``14 novembre 2018``
``time``           ``09:15:02``                      string
``istat``          ``016024``                        string of 6 digits
``sigla``          ``BG``                            province sigla (2 capitals)
``codice_fiscale`` 16 characters or 11 digits        string
``partita_iva``    11 digits                         string
``word_number``    ``10``, ``dieci``, ``trenta``     int (a misspelt word within one letter)
``token``          one word without spaces           string
``text``           anything (shortest match)         string, spaces collapsed
=================  ===============================  =========================================

Only ASCII digits are numbers (``re.ASCII``): a superscript or an Arabic-Indic digit
is an error, not a value.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

NBSP = "\u00a0"
CENT = Decimal("0.01")
MONTHS = {
    m: i
    for i, m in enumerate(
        (
            "gennaio",
            "febbraio",
            "marzo",
            "aprile",
            "maggio",
            "giugno",
            "luglio",
            "agosto",
            "settembre",
            "ottobre",
            "novembre",
            "dicembre",
        ),
        start=1,
    )
}
MONTH_NAMES = sorted(MONTHS, key=MONTHS.get)
NUMBER_WORDS = {
    "uno": 1,
    "due": 2,
    "tre": 3,
    "quattro": 4,
    "cinque": 5,
    "sei": 6,
    "sette": 7,
    "otto": 8,
    "nove": 9,
    "dieci": 10,
    "undici": 11,
    "dodici": 12,
    "tredici": 13,
    "quattordici": 14,
    "quindici": 15,
    "venti": 20,
    "trenta": 30,
    "quaranta": 40,
    "cinquanta": 50,
    "sessanta": 60,
    "settanta": 70,
    "ottanta": 80,
    "novanta": 90,
    "cento": 100,
}

# Regular-expression fragments (no capturing groups: callers add their own).
INT = r"\d{1,3}(?:\.\d{3})+|\d+"
NUM = r"-?\d{1,3}(?:\.\d{3})*(?:,\d+)?|-?\d+(?:,\d+)?"
AMT = r"\d+(?:\.\d{3})*,\d{2}"  # Italian amount, cents required
AMTE = rf"(?:€[ \xa0]?)?{AMT}(?:[ \xa0]?€)?"  # with an optional € before or after
_NUM_RE = re.compile(r"^-?\d{1,3}(\.\d{3})*(,\d+)?$|^-?\d+(,\d+)?$", re.ASCII)
_DATE_NUM = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})$", re.ASCII)
_DATE_WORDS = re.compile(r"^(\d{1,2})[°º]?\s+([a-z]+)\s+(\d{4})$", re.I | re.ASCII)


class CellError(ValueError):
    """A printed cell that is not a value of its type (the message says what was printed)."""


def _plain(s: str) -> str:
    return s.replace(NBSP, " ").strip()


def number(s: str) -> Decimal | None:
    """``'1.234,56'`` -> Decimal('1234.56'); ``'€ 3.000'`` -> 3000; ``'-'`` / ``''`` -> None.

    Raises :class:`CellError` for anything else.
    """
    t = _plain(s).replace("€", "").replace(" ", "")
    if t in ("", "-", "—", "–"):
        return None
    if not _NUM_RE.match(t):
        raise CellError(f"not an Italian-format number: {s!r}")
    try:
        return Decimal(t.replace(".", "").replace(",", "."))
    except InvalidOperation as e:  # pragma: no cover - the regex guards it
        raise CellError(f"not a number: {s!r}") from e


def amount(s: str) -> Decimal:
    """An amount in euro (``'7.215,42 €'``, ``'€ 3.592,39'``, ``'0'``), to the cent."""
    v = number(s)
    if v is None:
        raise CellError(f"empty amount: {s!r}")
    return v.quantize(CENT)


def amount_or_zero(s: str) -> Decimal:
    """An amount where ``-`` (or an empty cell) means zero, as in riparto tables."""
    v = number(s)  # read once (it was read again by amount())
    return Decimal("0.00") if v is None else v.quantize(CENT)


def integer(s: str) -> int:
    v = number(s)
    if v is None or v != v.to_integral_value():
        raise CellError(f"not a whole number: {s!r}")
    return int(v)


def percent(s: str) -> Decimal:
    t = _plain(s)
    if not t.endswith("%"):
        raise CellError(f"not a percentage: {s!r}")
    v = number(t[:-1])
    if v is None:
        raise CellError(f"empty percentage: {s!r}")
    return v


def iso_date(s: str) -> str:
    """``'14/11/2018'``, ``'14.11.2018'``, ``'14 novembre 2018'`` -> ``'2018-11-14'``; a
    two-digit year is read 2000-2049 or 1950-1999 (``'28/03/03'`` -> ``'2003-03-28'``)."""
    t = " ".join(_plain(s).split())
    m = _DATE_NUM.match(t)
    if m:
        d, mo, y = (int(x) for x in m.groups())
        if len(m.group(3)) == 2:  # two-digit year: 00-49 -> 2000s, 50-99 -> 1900s
            y += 2000 if y < 50 else 1900
    else:
        m = _DATE_WORDS.match(t)
        if not m or m.group(2).lower() not in MONTHS:
            raise CellError(f"not a date: {s!r}")
        d, mo, y = int(m.group(1)), MONTHS[m.group(2).lower()], int(m.group(3))
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        raise CellError(f"not a date: {s!r}")
    return f"{y:04d}-{mo:02d}-{d:02d}"


def italian_date(iso: str | None) -> str:
    """``'2018-11-14'`` -> ``'14 novembre 2018'`` (for descriptions)."""
    if not iso:
        return ""
    y, m, d = (int(x) for x in iso.split("-"))
    return f"{d} {MONTH_NAMES[m - 1]} {y}"


def word_number(token: str) -> int:
    """``'10'`` -> 10; ``'trenta'`` -> 30; ``'diceci'`` (misspelt) -> 10."""
    t = token.strip().lower()
    if t.isdigit():
        return int(t)
    best = difflib.get_close_matches(t, NUMBER_WORDS, n=1, cutoff=0.8)
    if not best:
        raise CellError(f"not a number in words: {token!r}")
    return NUMBER_WORDS[best[0]]


def text(s: str) -> str:
    """Cell text as published: NBSP and U+2010 hyphens normalised, spaces collapsed."""
    return " ".join(s.replace(NBSP, " ").replace("\u2010", "-").split())


def _matching(pattern: str, what: str) -> Callable[[str], str]:
    rx = re.compile(rf"^(?:{pattern})$", re.ASCII)

    def read(s: str) -> str:
        t = _plain(s)
        if not rx.match(t):
            raise CellError(f"not {what}: {s!r}")
        return t

    return read


@dataclass(frozen=True)
class CellType:
    name: str
    pattern: str  # regex fragment, no capturing groups
    read: Callable[[str], Any]
    schema_type: str  # Table Schema type of the published value
    description: str


TYPES: dict[str, CellType] = {
    t.name: t
    for t in (
        CellType("integer", INT, integer, "integer", "numero intero (punto per le migliaia)"),
        CellType("number", NUM, number, "number", "numero con la virgola decimale"),
        CellType("amount", AMTE, amount, "number", "importo in euro con i centesimi"),
        CellType("euro", AMTE, amount, "number", "importo in euro con i centesimi"),
        CellType(
            "amount_or_dash",
            rf"{AMTE}|-",
            amount_or_zero,
            "number",
            "importo in euro, «-» per zero",
        ),
        CellType("percent", rf"{NUM} ?%", percent, "number", "percentuale"),
        CellType(
            "date",
            r"\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})",
            iso_date,
            "date",
            "data gg/mm/aaaa (o gg/mm/aa)",
        ),
        CellType(
            "time",
            r"\d{2}:\d{2}(?::\d{2})?",
            _matching(r"\d{2}:\d{2}(?::\d{2})?", "a time"),
            "string",
            "ora hh:mm:ss",
        ),
        CellType(
            "istat",
            r"\d{6}",
            _matching(r"\d{6}", "an ISTAT code (6 digits)"),
            "string",
            "codice ISTAT del comune (6 cifre)",
        ),
        CellType(
            "sigla",
            r"[A-Z]{2}",
            _matching(r"[A-Z]{2}", "a province sigla"),
            "string",
            "sigla della provincia",
        ),
        CellType(
            "codice_fiscale",
            r"[A-Z0-9]{16}|\d{11}",
            _matching(r"[A-Z0-9]{16}|\d{11}", "a codice fiscale"),
            "string",
            "codice fiscale (16 caratteri o 11 cifre)",
        ),
        CellType(
            "partita_iva",
            r"\d{11}",
            _matching(r"\d{11}", "a partita IVA"),
            "string",
            "partita IVA (11 cifre)",
        ),
        CellType(
            "word_number",
            r"\d{1,3}|[A-Za-z]+",
            word_number,
            "integer",
            "numero in cifre o in lettere",
        ),
        CellType("token", r"\S+", lambda s: _plain(s), "string", "una parola senza spazi"),
        CellType("text", r".+?", text, "string", "testo libero"),
    )
}


def read(type_name: str, printed: str) -> Any:
    """Read ``printed`` as a cell of ``type_name`` (:data:`TYPES`)."""
    try:
        t = TYPES[type_name]
    except KeyError:
        raise CellError(f"unknown cell type {type_name!r} (known: {', '.join(TYPES)})") from None
    return t.read(printed)


def amounts_only(line: str) -> list[Decimal] | None:
    """The amounts of a line made only of amounts (a printed total), else None."""
    t = text(line)
    if not t:
        return None
    cells = re.findall(AMTE, t)
    if not cells or re.sub(AMTE, "", t).strip(" €"):
        return None
    return [amount(c) for c in cells]


def as_json_number(d: Decimal | None):
    """A Decimal for a check value (JSON-friendly float), None stays None."""
    return None if d is None else float(d)
