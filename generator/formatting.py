"""it-IT formatting for pages (data files stay ISO / dot decimals)."""

from __future__ import annotations

from decimal import Decimal, ROUND_HALF_EVEN

from .extract.cells import MONTH_NAMES as MONTHS  # one list of Italian month names


_IT = str.maketrans({",": ".", ".": ","})


def num(v, decimals: int | None = None) -> str:
    """``1234567.5`` -> ``'1.234.567,5'``; ``None`` -> ``'–'``."""
    t = type(v)
    # the memo's key: the value itself where equal values print alike (an int, a float: -0.0
    # and 0.0 both print 0; a Decimal rounded to ``decimals``), else its repr (Decimal("1.0")
    # and Decimal("1.00") are equal and print apart)
    if t is int or t is float or (t is Decimal and decimals is not None):
        key = (t, v, decimals)
    elif v is None or v == "":
        return "–"
    elif isinstance(v, bool):
        return "sì" if v else "no"
    else:
        key = (t, repr(v), decimals)
    out = _NUM_MEMO.get(key)
    if out is None:
        out = _num(v, decimals)
        if len(_NUM_MEMO) < 200_000:
            _NUM_MEMO[key] = out
    return out


# a page shows the same few thousand amounts over and over (ranks, medians, comparisons)
_NUM_MEMO: dict[tuple, str] = {}


def _num(v, decimals: int | None) -> str:
    try:
        d = v if isinstance(v, Decimal) else Decimal(str(v))
    except ArithmeticError:  # not a number: show it as it is
        return str(v)
    if decimals is not None:
        d = d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN)
    return ("-" if d < 0 else "") + format(abs(d), ",f").translate(_IT)


def atom_date(value) -> str:
    """An RFC 3339 timestamp for Atom ``<updated>``: ``2025-11-01`` and
    ``2025-11-01T00:00:00Z`` both give ``2025-11-01T00:00:00Z`` (midnight UTC: the sources
    carry dates, not times). Anything that is not an ISO date raises ``ValueError``."""
    from datetime import date

    return date.fromisoformat(str(value)[:10]).isoformat() + "T00:00:00Z"


def euro(v, decimals: int = 2) -> str:
    return "–" if v is None or v == "" else "€\u00a0" + num(v, decimals)


def date_it(iso: str | None) -> str:
    """``'2018-11-22'`` -> ``'22 novembre 2018'``; the first of the month as an ordinal,
    ``'2025-11-01'`` -> ``'1º novembre 2025'``."""
    if not iso:
        return "–"
    try:
        y, m, d = (int(x) for x in str(iso)[:10].split("-"))
    except ValueError:
        return str(iso)
    return f"{'1º' if d == 1 else d} {MONTHS[m - 1]} {y}"


# a preposition with the article before a date: elided before a vowel sound, as in
# "all'8 maggio", "dall'11 giugno", "l'8 marzo" (otto, undici), else "al 22 novembre"
_ELIDED = {"al": "all'", "dal": "dall'", "del": "dell'", "il": "l'", "nel": "nell'"}


def date_with(prep: str, iso: str | None) -> str:
    """``date_with('al', '1992-05-08')`` -> ``"all'8 maggio 1992"``; ``'al 1º novembre
    2025'``; a missing date as :func:`date_it` gives it, after the preposition."""
    text = date_it(iso)
    if text.split(" ", 1)[0] in ("8", "11") and prep in _ELIDED:
        return _ELIDED[prep] + text
    return f"{prep} {text}"


def value(v, ftype: str = "string") -> str:
    """A cell for display, by its Table Schema type."""
    if v is None or v == "":
        return "–"
    if ftype in ("integer", "number"):
        return num(v)
    if ftype == "boolean":
        return "sì" if v in (True, "true") else "no"
    if ftype == "date":
        return date_it(v)
    return str(v)


METHODS_IT = {
    "exact": "esatto",
    "normalised": "normalizzato (maiuscole, accenti)",
    "folded": "abbreviazione sciolta",
    "alias": "alias verificato",
    "historical": "comune storico",
    "fuzzy": "approssimato",
    "rule": "da regola",
    "ambiguous": "ambiguo",
    "unresolved": "non risolto",
}


def method_it(method: str | None) -> str:
    """How a comune name was resolved, in Italian (for pages; data files keep the code)."""
    return METHODS_IT.get(method or "", method or "–")
