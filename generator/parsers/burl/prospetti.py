"""The small tables (prospetti) an act prints beside its main list, read to cross-check it.

A decree that commits and pays money prints the same beneficiaries several times: a
per-ambito table with codice fiscale (``Ambito C.F. IMPORTO``), a per-capitolo split
(``CAP. 11647 ... CAP. 12832``), the Region/ATC split (``AMBITO IMPORTO A CARICO REGIONE
| ATC | COMPLESSIVO``), commitments and payments by *ruolo* (``Beneficiario/Ruolo Codice
Capitolo ...``) and the beneficiaries' master data (``Cod.Ben. Ruolo Denominazione
Cod.Fiscale Partita IVA Indirizzo``). Each reader returns :class:`Prospetto` objects (rows
and printed total); cells that are not amounts are kept as errors, to be reported by the
check that uses them, never dropped silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from ...extract.cells import AMT, AMTE, amount, amounts_only
from ...extract.rows import labelled_rows
from ...extract.text import clean, join_wrapped

TOTAL_ROW = re.compile(rf"^\s*TOTALE\s+(?P<amts>(?:{AMTE}\s*)+)$", re.IGNORECASE)
ATC_CF_HEADER = re.compile(r"^\s*ambito\s+c\.f\.", re.IGNORECASE)
ATC_CF_ROW = re.compile(rf"^\s*(?P<name>\S.*?)\s+(?P<cf>\d{{11}})\s+(?P<amt>{AMTE})\s*$")
ATC_NUMBER = re.compile(
    r"(?:\bATC|\bA\.T\.C\.|AMBITO TERRITORIALE DI CACCIA)\s*(?:n\.\s*|MN\s*)?(\d+)\b", re.I
)
RUOLO_HEADER_WORDS = set(
    "beneficiario beneficiario/ ruolo codice capitolo anno impegno imp. "
    "perente da liquidare 2018 2019 2020 /".split()
)
RUOLO_DATA = re.compile(  # a name printed before the values is uppercase
    r"^(?P<label>[^a-z]*?)\s*(?P<code>\d{5,6})\s+(?P<cap>\d{2}\.\d{2}\.\d{3}\.\d{5})\s+(?P<rest>.+)$"
)
SPLIT_DATA = re.compile(rf"^(?P<label>.*?)\s*(?P<a>{AMT}|0)\s+(?P<b>{AMT}|0)$")


def atc_key(label: str) -> str | None:
    """``'Atc 1'``, ``'ATC1'``, ``'A.T.C. MN 1'`` -> ``'ATC 1'``; ``'"CA3" MEDIA...'`` -> ``'CA3'``;
    ``'AMBITO TERRITORIALE DI CACCIA UNICO'`` -> ``'ATC'``; else None."""
    m = ATC_NUMBER.search(label)
    if m:
        return f"ATC {int(m.group(1))}"
    m = re.search(r"\bCA\s*(\d+)\b", label)
    if m:
        return f"CA{m.group(1)}"
    if re.search(r"AMBITO TERRITORIALE DI CACCIA UNICO|^ATC$", label, re.I):
        return "ATC"
    return None


@dataclass
class Prospetto:
    """A small per-beneficiary table of an act: rows and its printed total."""

    rows: list[dict]
    total: list[Decimal] | None
    total_line: int | None
    start: int
    end: int
    errors: list[str] = field(default_factory=list)


def _each(doc, start: int, end: int, header: re.Pattern, read) -> list:
    """Every table of lines ``start..end`` whose first line matches ``header``: ``read(doc,
    n, end)`` reads the one starting at line ``n`` and returns it with the line to go on from."""
    out, n = [], start
    while n <= end:
        if header.match(doc.line(n)):
            found, n = read(doc, n, end)
            out.append(found)
        else:
            n += 1
    return out


def _labelled(doc, n: int, k: int, end: int, values: re.Pattern, total, row) -> Prospetto:
    """A prospetto whose names are printed before their values (:func:`labelled_rows`),
    starting at line ``n``, its rows from line ``k``; ``row(labelled, errors)`` is a row."""
    found, tot, _ = labelled_rows(doc, k, end, values, total)
    errors: list[str] = []
    rows = [row(r, errors) for r in found]
    last = tot[1] if tot else found[-1].line if found else n
    return Prospetto(rows, tot[0] if tot else None, tot[1] if tot else None, n, last, errors)


def _total_row(t: str) -> list[Decimal] | None:
    """The amounts of a ``TOTALE a b ...`` line."""
    m = TOTAL_ROW.match(t)
    return (amounts_only(m.group("amts")) or []) if m else None


def atc_cf_tables(doc, start: int, end: int) -> list[Prospetto]:
    """``Ambito C.F. IMPORTO`` tables: ``name cf amount`` rows, optional ``TOTALE`` line."""
    return _each(doc, start, end, ATC_CF_HEADER, _atc_cf)


def _atc_cf(doc, n: int, end: int) -> tuple[Prospetto, int]:
    p = Prospetto([], None, None, n, n)
    for k in range(n + 1, end + 1):
        t = clean(doc.line(k))
        if not t:
            continue
        if (tot := _total_row(t)) is not None:
            p.total, p.total_line, p.end = tot, k, k
            return p, k + 1
        if not (m := ATC_CF_ROW.match(t)):
            return p, k
        p.rows.append(
            {
                "name": m.group("name"),
                "cf": m.group("cf"),
                "amount": amount(m.group("amt")),
                "line": k,
            }
        )
        p.end = k
    return p, end + 1


def split_tables(doc, start: int, end: int) -> list[Prospetto]:
    """The per-capitolo table (``CAP. 11647 ... CAP. 12832 ... TOTALE``): names (``ATC 1`` /
    ``PIANURA MILANESE``) before two amounts (``0`` for zero), closed by ``TOTALE a b c``;
    the header says which amount is the indennizzo and which the prevenzione."""
    return _each(doc, start, end, re.compile(r"^\s*CAP\.\s*\d+"), _split)


def _split(doc, n: int, end: int) -> tuple[Prospetto, int]:
    head, k = [], n
    while k <= end and not re.match(r"^\s*ATC\b", doc.line(k)):
        head.append(clean(doc.line(k)))
        k += 1
    cols = [w.lower() for w in re.findall(r"INDENNIZZO|PREVENZIONE", join_wrapped(head))]
    a, b = cols[0] if cols else "a", cols[1] if len(cols) > 1 else "b"
    p = _labelled(
        doc,
        n,
        k,
        end,
        SPLIT_DATA,
        _total_row,
        lambda r, errors: {
            "name": r.label,
            "line_start": r.start,
            "line": r.line,
            a: amount(r.match.group("a")),
            b: amount(r.match.group("b")),
        },
    )
    return p, p.end + 1


def riparto_tables(doc, start: int, end: int) -> list[Prospetto]:
    """``AMBITO IMPORTO A CARICO REGIONE | ATC | COMPLESSIVO`` tables: ``ATCn a b c`` rows and
    an unlabelled total line. Cells that are not numbers are kept as errors."""
    return _each(doc, start, end, re.compile(r"^\s*AMBITO\s+IMPORTO\s+A\b"), _riparto)


def _riparto(doc, n: int, end: int) -> tuple[Prospetto, int]:
    p = Prospetto([], None, None, n, n)
    for k in range(n + 1, end + 1):
        t = clean(doc.line(k))
        if not t or (not p.rows and not re.match(r"^ATC", t)):
            continue
        m = re.match(r"^(?P<atc>ATC\s*\d+)\s+(?P<a>\S+)\s+(?P<b>\S+)\s+(?P<c>\S+)$", t)
        if not m:
            if (tot := amounts_only(t)) is not None:
                p.total, p.total_line, p.end = tot, k, k
            return p, k + 1
        vals = [_amount_or_error(p, k, m.group(g)) for g in "abc"]
        p.rows.append(
            {
                "name": m.group("atc"),
                "line": k,
                "regione": vals[0],
                "atc": vals[1],
                "complessivo": vals[2],
            }
        )
        p.end = k
    return p, end + 1


def _amount_or_error(p: Prospetto, line: int, cell: str) -> Decimal | None:
    try:
        return amount(cell)
    except ValueError:
        p.errors.append(f"riga {line}: {cell!r} non è un importo")
        return None


def ruolo_tables(doc, start: int, end: int) -> list[Prospetto]:
    """Commitment / payment tables (``Beneficiario/Ruolo Codice Capitolo ...``): uppercase
    names before ``code capitolo`` and the ``2018 2019 2020`` amounts (commitments) or
    ``impegno amount`` (payments). A table ends at prose or at an amount-only total."""
    return _each(doc, start, end, re.compile(r"^\s*Beneficiario\b"), _ruolo)


def _ruolo(doc, n: int, end: int) -> tuple[Prospetto, int]:
    k = n
    while k <= end and (
        not doc.line(k).strip()
        or {w.lower() for w in clean(doc.line(k)).split()} <= RUOLO_HEADER_WORDS
    ):
        k += 1
    p = _labelled(doc, n, k, end, RUOLO_DATA, amounts_only, _ruolo_row)
    return p, p.end + 1


def _ruolo_row(r, errors: list[str]) -> dict:
    cells = r.match.group("rest").split()
    row = {
        "name": r.label,
        "code": r.match.group("code"),
        "capitolo": r.match.group("cap"),
        "line_start": r.start,
        "line": r.line,
    }
    try:
        if re.match(r"^\d{4}/\d+/\d+$", cells[0]):  # payment: impegno + amount
            row["impegno"], row["amount"] = cells[0], amount(cells[-1])
        else:  # commitment: one per year
            row["years"] = [amount(c) for c in cells]
            row["amount"] = row["years"][0]
    except ValueError as e:
        errors.append(f"riga {r.line}: {e}")
        row["amount"] = None
    return row


def anagrafica_tables(doc, start: int, end: int) -> list[dict]:
    """Beneficiary master data (``Cod.Ben. Ruolo Denominazione Cod.Fiscale Partita IVA
    Indirizzo``): a code line starting the name cell, then (after a blank) the codice fiscale,
    partita IVA and the address cell, wrapped line by line."""
    tables = _each(doc, start, end, re.compile(r"^\s*Cod\.\s*Ben\."), _anagrafica)
    return [c for found in tables for c in found]


def _anagrafica(doc, n: int, end: int) -> tuple[list[dict], int]:
    k = n + 1
    while k <= end and (not doc.line(k).strip() or re.search(r"[a-z]", doc.line(k))):
        k += 1
    found, k = _anagrafica_rows(doc, k, end)
    for c in found:
        c["name"] = join_wrapped(c["name"])
        c["address"] = join_wrapped(c["address"]) or None
    return found, k + 1


def _anagrafica_rows(doc, k: int, end: int) -> tuple[list[dict], int]:
    out: list[dict] = []
    cur, part = None, "name"
    while k <= end:
        t = clean(doc.line(k))
        if re.search(r"[a-z]", t):
            break
        if not t:
            if cur and part == "name" and cur["name"]:
                part = "after-name"
            elif cur and part == "address":
                part = "done"
            k += 1
            continue
        m = re.match(r"^(\d{5,6})(?:\s+(.*))?$", t)
        if m and (cur is None or part in ("after-name", "done")) and not re.match(r"^\d{11}\s", t):
            cur = {
                "code": m.group(1),
                "name": [m.group(2)] if m.group(2) else [],
                "cf": None,
                "piva": None,
                "address": [],
                "line_start": k,
                "line": k,
            }
            out.append(cur)
            part = "name"
        elif (
            cur
            and (mm := re.match(r"^(\d{11})\s+(\d{11})\s*(.*)$", t))
            and part in ("name", "after-name")
        ):
            cur["cf"], cur["piva"] = mm.group(1), mm.group(2)
            cur["address"] = [mm.group(3)] if mm.group(3) else []
            part, cur["line"] = "address", k
        elif cur and part in ("name", "address"):
            cur["name" if part == "name" else "address"].append(t)
            cur["line"] = k
        else:
            break
        k += 1
    return out, k
