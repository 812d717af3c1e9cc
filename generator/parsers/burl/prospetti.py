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
from ...extract.text import clean, join_wrapped

TOTAL_ROW = re.compile(rf"^\s*TOTALE\s+(?P<amts>(?:{AMTE}\s*)+)$", re.IGNORECASE)
ATC_CF_HEADER = re.compile(r"^\s*ambito\s+c\.f\.", re.IGNORECASE)
ATC_CF_ROW = re.compile(rf"^\s*(?P<name>\S.*?)\s+(?P<cf>\d{{11}})\s+(?P<amt>{AMTE})\s*$")
ATC_NUMBER = re.compile(
    r"(?:\bATC|\bA\.T\.C\.|AMBITO TERRITORIALE DI CACCIA)\s*(?:n\.\s*|MN\s*)?(\d+)\b", re.I)
RUOLO_HEADER_WORDS = set("beneficiario beneficiario/ ruolo codice capitolo anno impegno imp. "
                         "perente da liquidare 2018 2019 2020 /".split())
RUOLO_DATA = re.compile(
    r"^(?P<label>.*?)\s*(?P<code>\d{5,6})\s+(?P<cap>\d{2}\.\d{2}\.\d{3}\.\d{5})\s+(?P<rest>.+)$")


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

    def close(self, total: list[Decimal], line: int) -> None:
        """Record the printed total line that ends the table."""
        self.total, self.total_line, self.end = total, line, line


def atc_cf_tables(doc, start: int, end: int) -> list[Prospetto]:
    """``Ambito C.F. IMPORTO`` tables: ``name cf amount`` rows, optional ``TOTALE`` line."""
    out = []
    n = start
    while n <= end:
        if not ATC_CF_HEADER.match(doc.line(n)):
            n += 1
            continue
        p = Prospetto([], None, None, n, n)
        k = n + 1
        while k <= end:
            t = clean(doc.line(k))
            if not t:
                k += 1
                continue
            if (m := TOTAL_ROW.match(t)):
                p.close(amounts_only(m.group("amts")) or [], k)
                k += 1
                break
            m = ATC_CF_ROW.match(t)
            if not m:
                break
            p.rows.append({"name": m.group("name"), "cf": m.group("cf"),
                           "amount": amount(m.group("amt")), "line": k})
            p.end = k
            k += 1
        out.append(p)
        n = k
    return out


def split_tables(doc, start: int, end: int) -> list[Prospetto]:
    """The per-capitolo table (``CAP. 11647 ... CAP. 12832 ... TOTALE``): label lines ending
    with two amounts (``0`` for zero), closed by ``TOTALE a b c``."""
    out = []
    n = start
    while n <= end:
        if not re.match(r"^\s*CAP\.\s*\d+", doc.line(n)):
            n += 1
            continue
        head, k = [], n
        while k <= end and not re.match(r"^\s*ATC\b", doc.line(k)):
            head.append(clean(doc.line(k)))
            k += 1
        cols = [w.lower() for w in re.findall(r"INDENNIZZO|PREVENZIONE", join_wrapped(head))]
        p = Prospetto([], None, None, n, n)
        k = _split_rows(doc, p, k, end, cols)
        out.append(p)
        n = k + 1
    return out


def _split_rows(doc, p: Prospetto, k: int, end: int, cols: list[str]) -> int:
    label, first = [], None
    while k <= end:
        t = clean(doc.line(k))
        if not t:
            k += 1
            continue
        if (m := TOTAL_ROW.match(t)):
            p.close(amounts_only(m.group("amts")) or [], k)
            break
        m = re.match(rf"^(?P<label>.*?)\s*(?P<a>{AMT}|0)\s+(?P<b>{AMT}|0)$", t)
        if re.search(r"[a-z]", t) and not m:
            break
        first = first or k
        if m:
            label.append(m.group("label"))
            p.rows.append({"name": join_wrapped(label), "line_start": first, "line": k,
                           cols[0] if cols else "a": amount(m.group("a")),
                           cols[1] if len(cols) > 1 else "b": amount(m.group("b"))})
            label, first = [], None
        else:
            label.append(t)
        k += 1
    return k


def riparto_tables(doc, start: int, end: int) -> list[Prospetto]:
    """``AMBITO IMPORTO A CARICO REGIONE | ATC | COMPLESSIVO`` tables: ``ATCn a b c`` rows and
    an unlabelled total line. Cells that are not numbers are kept as errors."""
    out = []
    n = start
    while n <= end:
        if not re.match(r"^\s*AMBITO\s+IMPORTO\s+A\b", doc.line(n)):
            n += 1
            continue
        p = Prospetto([], None, None, n, n)
        k = n + 1
        while k <= end:
            t = clean(doc.line(k))
            if not t or (not p.rows and not re.match(r"^ATC", t)):
                k += 1
                continue
            m = re.match(r"^(?P<atc>ATC\s*\d+)\s+(?P<a>\S+)\s+(?P<b>\S+)\s+(?P<c>\S+)$", t)
            if m:
                vals = [_amount_or_error(p, k, m.group(g)) for g in "abc"]
                p.rows.append({"name": m.group("atc"), "line": k, "regione": vals[0],
                               "atc": vals[1], "complessivo": vals[2]})
                p.end = k
            elif (tot := amounts_only(t)) is not None:
                p.close(tot, k)
                break
            else:
                break
            k += 1
        out.append(p)
        n = k + 1
    return out


def _amount_or_error(p: Prospetto, line: int, cell: str) -> Decimal | None:
    try:
        return amount(cell)
    except ValueError:
        p.errors.append(f"riga {line}: {cell!r} non è un importo")
        return None


def ruolo_tables(doc, start: int, end: int) -> list[Prospetto]:
    """Commitment / payment tables (``Beneficiario/Ruolo Codice Capitolo ...``): uppercase label
    lines, then ``code capitolo`` followed by ``2018 2019 2020`` amounts (commitments) or by
    ``impegno amount`` (payments). A table ends at prose (lowercase) or an amount-only total."""
    out = []
    n = start
    while n <= end:
        if not re.match(r"^\s*Beneficiario\b", doc.line(n)):
            n += 1
            continue
        k = n
        while k <= end and (not doc.line(k).strip() or
                            {w.lower() for w in clean(doc.line(k)).split()} <= RUOLO_HEADER_WORDS):
            k += 1
        p = Prospetto([], None, None, n, n)
        k = _ruolo_rows(doc, p, k, end)
        out.append(p)
        n = k + 1
    return out


def _ruolo_rows(doc, p: Prospetto, k: int, end: int) -> int:
    label, first = [], None
    while k <= end:
        t = clean(doc.line(k))
        if not t:
            k += 1
            continue
        if (tot := amounts_only(t)) is not None:
            p.close(tot, k)
            break
        m = RUOLO_DATA.match(t)
        if m and not re.search(r"[a-z]", m.group("label")):
            p.rows.append(_ruolo_row(p, m, label, first, k))
            p.end = k
            label, first = [], None
        elif re.search(r"[a-z]", t):
            break
        else:
            label.append(t)
            first = first or k
        k += 1
    return k


def _ruolo_row(p: Prospetto, m: re.Match, label: list[str], first: int | None, k: int) -> dict:
    cells = m.group("rest").split()
    row = {"name": join_wrapped(label + [m.group("label")]), "code": m.group("code"),
           "capitolo": m.group("cap"), "line_start": first or k, "line": k}
    try:
        if re.match(r"^\d{4}/\d+/\d+$", cells[0]):      # payment: impegno + amount
            row["impegno"], row["amount"] = cells[0], amount(cells[-1])
        else:                                          # commitment: one per year
            row["years"] = [amount(c) for c in cells]
            row["amount"] = row["years"][0]
    except ValueError as e:
        p.errors.append(f"riga {k}: {e}")
        row["amount"] = None
    return row


def anagrafica_tables(doc, start: int, end: int) -> list[dict]:
    """Beneficiary master data (``Cod.Ben. Ruolo Denominazione Cod.Fiscale Partita IVA
    Indirizzo``): a code line starting the name cell, then (after a blank) the codice fiscale,
    partita IVA and the address cell, wrapped line by line."""
    out = []
    n = start
    while n <= end:
        if not re.match(r"^\s*Cod\.\s*Ben\.", doc.line(n)):
            n += 1
            continue
        k = n + 1
        while k <= end and (not doc.line(k).strip() or re.search(r"[a-z]", doc.line(k))):
            k += 1
        found, k = _anagrafica_rows(doc, k, end)
        for c in found:
            c["name"] = join_wrapped(c["name"])
            c["address"] = join_wrapped(c["address"]) or None
        out += found
        n = k + 1
    return out


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
            cur = {"code": m.group(1), "name": [m.group(2)] if m.group(2) else [], "cf": None,
                   "piva": None, "address": [], "line_start": k, "line": k}
            out.append(cur)
            part = "name"
        elif cur and (mm := re.match(r"^(\d{11})\s+(\d{11})\s*(.*)$", t)) and \
                part in ("name", "after-name"):
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
