"""Every other table of beneficiaries and amounts in a BURL issue.

The tables are found by their own structure (header words, row shapes, printed totals),
not by line numbers, and each is proved against what the bulletin declares: printed
totals and subtotals, order numbers, row arithmetic, the amounts stated in the act's
text and the sibling tables of the same act (commitments, payments, per-ATC splits).

Programmes published (one data package each):

* ``associazioni-piscatorie-2018`` — contributions to qualified angling associations
  (l.r. 31/2008 art. 143): the allocation table printed, without headers, in the act.
* ``danni-fauna-selvatica-2018`` — compensation for wildlife damage to farms and
  contributions for prevention works (l.r. 26/1993 art. 47), one table per annex
  (``prevenzione_brescia``, ``indennizzi_brescia``, ``indennizzi_mantova``,
  ``indennizzi_cremona``) plus ``trasferimenti``: what the Region commits and pays to
  each hunting district (ATC/CA) or collective *ruolo*.

Privacy rule (:func:`subject_kind`, also used by ``protezione_civile``): a beneficiary
whose codice fiscale / CUAA is a 16-character personal code is a natural person (this
includes sole proprietorships, "Azienda Agricola <name>"); one whose codice fiscale is
an 11-digit number is a legal entity (società, associazione, ente). Only when no codice
fiscale is printed do legal-form tokens in the name decide (S.S., S.R.L., SOCIETA',
ASSOCIAZIONE, COMUNE...), else the table's default applies. Natural persons are
published as "Persona fisica n. k" (k by first appearance of their code in the table)
with their amounts and comune, and without name, codice fiscale, partita IVA or aid
registry code.

Line accounting: ``Table.lines_in`` counts the non-blank body lines of the tables the
rows are built from (header blocks, repeated page titles and printed totals are
structure, not candidates). Each candidate line is inside a published row's
``line_start..line_end`` or in ``rejects`` with a reason. Sibling tables used only to
verify or enrich (e.g. the payment table repeating the commitment table) are not
candidates: what they disagree on becomes a failed check.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from decimal import Decimal

from ..base import (COMUNE_FK, RESOLUTION_FIELDS, Dataset, ParseResult, Table,
                    parse_it_number, provenance, resolution_fields)
from ...quality import Check, Reject
from . import act_for_line

NBSP = "\u00a0"
AMT = r"\d+(?:\.\d{3})*,\d{2}"                 # Italian amount, cents required
AMTE = rf"(?:€ ?)?{AMT}(?: ?€)?"               # with an optional € before or after
CF_PERSONAL = re.compile(
    r"^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$")
CF_NUMERIC = re.compile(r"^\d{11}$")
LEGAL_FORM = re.compile(
    r"(?<![A-Za-z])(S\.\s?S\.?|SS|S\.\s?R\.\s?L\.?|SRL|S\.\s?P\.\s?A\.?|SPA|S\.\s?N\.\s?C\.?|SNC|"
    r"S\.\s?A\.\s?S\.?|SAS|SOC\.|SOCIET[AÀ]'?|COOPERATIVA|COOP\.?|CONSORZIO|ASSOCIAZIONE|"
    r"FONDAZIONE|ONLUS|COMUNE|COMUNIT[AÀ]'?|UNIONE|ENTE)(?![A-Za-z])", re.IGNORECASE)
PERSONA_FISICA = "persona fisica"
PERSONA_GIURIDICA = "persona giuridica"
ACT_HEADER = re.compile(
    r"^\s*(D\.g\.r\.|D\.d\.s\.|D\.d\.u\.o\.)\s+\d{1,2}\s+[a-z]+\s+\d{4}\s+-\s+"
    r"n\.\s*((?:[IVXL]+/)?\d+)\s*$")
ANNEX_SEPARATOR = re.compile(r"^\s*—+\s*•\s*—+\s*$")
NUMBER_WORDS = {"uno": 1, "due": 2, "tre": 3, "quattro": 4, "cinque": 5, "sei": 6, "sette": 7,
                "otto": 8, "nove": 9, "dieci": 10, "venti": 20, "trenta": 30, "quaranta": 40,
                "cinquanta": 50, "sessanta": 60, "settanta": 70, "ottanta": 80, "novanta": 90,
                "cento": 100}
CENT = Decimal("0.01")


# -- text helpers -----------------------------------------------------------------------
def clean(s: str) -> str:
    """Cell text as published: NBSP and U+2010 hyphens normalised, spaces collapsed."""
    return " ".join(s.replace(NBSP, " ").replace("\u2010", "-").split())


def join_label(parts: list[str]) -> str:
    """Join wrapped label lines: ``AMBITO TER-`` + ``RITORIALE`` -> ``AMBITO TERRITORIALE``;
    letter-spaced words (``C O M P R E N S O R I O``) are closed up."""
    out = ""
    for p in (clean(x) for x in parts):
        if not p:
            continue
        if re.search(r"[A-Za-zÀ-ÿ]-$", out) and re.match(r"[A-Za-zÀ-ÿ]", p):
            out = out[:-1] + p
        else:
            out = f"{out} {p}" if out else p
    return re.sub(r"\b(?:[A-Z] ){2,}[A-Z]\b", lambda m: m.group(0).replace(" ", ""), out)


def money(s: str) -> Decimal:
    """An amount cell (``'7.215,42 €'``, ``'€ 3.592,39'``, ``'0'``) as a Decimal in cents;
    ValueError if it is not one."""
    v = parse_it_number(s.replace("€", "").replace(NBSP, " "))
    if v is None:
        raise ValueError(f"empty amount: {s!r}")
    return v.quantize(CENT)


def amounts_only(line: str) -> list[Decimal] | None:
    """The amounts of a line made only of amounts (a printed total), else None."""
    t = clean(line)
    if not t:
        return None
    cells = re.findall(AMTE, t)
    if not cells or re.sub(AMTE, "", t).strip(" €"):
        return None
    return [money(c) for c in cells]


def number_word(token: str) -> int | None:
    """``'10'`` -> 10; ``'trenta'`` -> 30; ``'diceci'`` (misspelt) -> 10; else None."""
    t = token.strip().lower()
    if t.isdigit():
        return int(t)
    best = difflib.get_close_matches(t, NUMBER_WORDS, n=1, cutoff=0.8)
    return NUMBER_WORDS[best[0]] if best else None


def as_number(d: Decimal | None):
    """A Decimal for a Check value (JSON-friendly)."""
    return None if d is None else float(d)


# -- sections and prose -------------------------------------------------------------------
@dataclass
class Section:
    """The lines of one act, bounded by act headers (used to find the act's own text)."""
    start: int
    end: int
    kind: str
    number: str

    @property
    def label(self) -> str:
        return f"{self.kind} n. {self.number}"


def sections(doc) -> list[Section]:
    heads = [(n, m) for n, t in doc.numbered() if (m := ACT_HEADER.match(t))]
    out = []
    for i, (n, m) in enumerate(heads):
        end = heads[i + 1][0] - 1 if i + 1 < len(heads) else len(doc.lines)
        out.append(Section(n, end, m.group(1), m.group(2)))
    return out


def section_at(secs: list[Section], line: int, doc) -> Section:
    for s in secs:
        if s.start <= line <= s.end:
            return s
    return Section(1, len(doc.lines), "", "")


def prose(doc, start: int, end: int) -> tuple[str, list[tuple[int, int]]]:
    """Lines ``start..end`` as one string (words split at line ends re-joined) and the
    ``(offset, line)`` where each line begins in it."""
    text, marks = "", []
    for n in range(start, end + 1):
        t = clean(doc.line(n))
        if not t:
            continue
        if re.search(r"[a-zà-ÿ]-$", text) and re.match(r"[a-zà-ÿ]", t):
            text = text[:-1]
        elif text:
            text += " "
        marks.append((len(text), n))
        text += t
    return text, marks


def declared(doc, start: int, end: int, pattern: str) -> list[tuple[re.Match, int]]:
    """Matches of ``pattern`` in the prose of lines ``start..end``, with the line of each."""
    text, marks = prose(doc, start, end)
    out = []
    for m in re.finditer(pattern, text):
        line = max((n for off, n in marks if off <= m.start()), default=start)
        out.append((m, line))
    return out


def decreta_line(doc, sec: Section) -> int:
    """First line of the operative part (``DECRETA`` / ``DELIBERA``) of an act, else its start."""
    for n in range(sec.start, sec.end + 1):
        if re.match(r"^\s*(DECRETA|DELIBERA)\s*$", doc.line(n)):
            return n
    return sec.start


def section_end(doc, start: int) -> int:
    """Last line before the next act header or annex separator after ``start``."""
    for n in range(start + 1, len(doc.lines) + 1):
        t = doc.line(n)
        if ACT_HEADER.match(t) or ANNEX_SEPARATOR.match(t):
            return n - 1
    return len(doc.lines)


# -- privacy ------------------------------------------------------------------------------
def subject_kind(name: str, codice_fiscale: str | None,
                 default: str = PERSONA_FISICA) -> str:
    """Natural person or legal entity, from the evidence the row carries (module docstring)."""
    cf = (codice_fiscale or "").strip().upper()
    if CF_PERSONAL.match(cf):
        return PERSONA_FISICA
    if CF_NUMERIC.match(cf):
        return PERSONA_GIURIDICA
    if LEGAL_FORM.search(name or ""):
        return PERSONA_GIURIDICA
    return default


class Pseudonyms:
    """Neutral labels for natural persons, stable within one table: same code, same label."""

    def __init__(self):
        self.seen: dict[str, str] = {}

    def label(self, key: str) -> str:
        if key not in self.seen:
            self.seen[key] = f"Persona fisica n. {len(self.seen) + 1}"
        return self.seen[key]


# -- accounting and checks ----------------------------------------------------------------
@dataclass
class Ledger:
    """Candidate lines and rejects of one published table."""
    doc_id: str
    table: str
    candidates: set[int] = field(default_factory=set)
    rejects: list[Reject] = field(default_factory=list)

    def reject(self, doc, line: int, reason: str):
        """Reject a line; its text is withheld when it carries a personal codice fiscale."""
        self.candidates.add(line)
        text = doc.line(line)
        if any(CF_PERSONAL.match(w) for w in re.findall(r"[A-Z0-9]{16}", text)):
            text = "[testo omesso: la riga contiene dati di una persona fisica]"
        self.rejects.append(Reject(self.doc_id, line, text, reason, self.table))


class Checks:
    """Collects :class:`Check` results for one document."""

    def __init__(self, doc_id: str):
        self.doc_id = doc_id
        self.items: list[Check] = []

    def add(self, cid: str, description: str, declared_value, parsed_value, passed: bool,
            line_start=None, line_end=None, explanation: str = ""):
        self.items.append(Check(cid, description, declared_value, parsed_value, bool(passed),
                                self.doc_id, line_start, line_end or line_start,
                                "" if passed else explanation))

    def equal(self, cid: str, description: str, declared_value: Decimal | None,
              parsed_value: Decimal | None, line_start=None, line_end=None,
              explanation: str = ""):
        ok = declared_value is not None and parsed_value is not None and \
            declared_value == parsed_value
        if not ok and not explanation and declared_value is not None and parsed_value is not None:
            explanation = f"differenza {as_number(parsed_value - declared_value):+.2f}"
        self.add(cid, description, as_number(declared_value), as_number(parsed_value), ok,
                 line_start, line_end, explanation)

    def rows(self, cid: str, description: str, rows: list[dict], holds, what: str):
        """How many rows satisfy ``holds(row)``; the failures are listed by line."""
        bad = [r for r in rows if not holds(r)]
        lines = ", ".join(str(r["line_start"]) for r in bad)
        self.add(cid, description, len(rows), len(rows) - len(bad), not bad,
                 rows[0]["line_start"] if rows else None, rows[-1]["line_end"] if rows else None,
                 f"{len(bad)} righe non rispettano {what} (righe {lines})")


def total(rows: list[dict], column: str) -> Decimal:
    """Sum of a column, empty cells left out."""
    return sum((r[column] for r in rows if r[column] is not None), Decimal("0.00"))


def act_id(acts, line: int) -> str:
    a = act_for_line(acts, line)
    return a.id if a else ""


def _f(name, type_, title, description="", **constraints) -> dict:
    d = {"name": name, "type": type_, "title": title}
    if description:
        d["description"] = description
    if constraints:
        d["constraints"] = constraints
    return d


def _euro(name, title, description="") -> dict:
    return _f(name, "number", title, description or f"{title}, in euro")


NO_COMUNE = {"istat": None, "resolution_method": None, "resolution_score": None}


# == 1. Associazioni piscatorie (D.g.r. XI/827) ===========================================
PISCATORIE_ROW = re.compile(
    rf"^\s*Euro\s+(?P<programma>{AMT})\s+Euro\s+(?P<richiesto>{AMT})\s+n\.\s*(?P<iscritti>\d[\d.]*)"
    rf"\s+Euro\s+(?P<assegnato>{AMT})\s*$")


def _piscatorie(doc, ctx, acts, checks: Checks) -> tuple[Dataset | None, list[Reject]]:
    """The allocation table without headers: name lines, blank, ``Euro a Euro b n. c Euro d``.

    The act prints it twice (premise and operative part); the last copy is published and
    every earlier copy must be identical.
    """
    hits = [n for n, t in doc.numbered() if PISCATORIE_ROW.match(t.replace(NBSP, " "))]
    if not hits:
        return None, []
    copies: list[list[dict]] = []
    for n in hits:
        # name lines: walk up over one blank, then over non-blank lines, stopping at a blank,
        # another value line or the line introducing the list (ending with ':').
        k = n - 1
        while k >= 1 and not doc.line(k).strip():
            k -= 1
        top = k
        while top - 1 >= 1 and doc.line(top - 1).strip() and \
                not PISCATORIE_ROW.match(doc.line(top - 1).replace(NBSP, " ")) and \
                not doc.line(top - 1).rstrip().endswith(":"):
            top -= 1
        m = PISCATORIE_ROW.match(doc.line(n).replace(NBSP, " "))
        row = {"name": join_label([doc.line(i) for i in range(top, k + 1)]),
               "start": top, "end": n, **m.groupdict()}
        prev = copies[-1][-1] if copies else None
        gap = range(prev["end"] + 1, top) if prev else range(0)
        if prev and all(not doc.line(i).strip() for i in gap):
            copies[-1].append(row)
        else:
            copies.append([row])
    published = copies[-1]
    sec = section_at(sections(doc), published[0]["start"], doc)
    ledger = Ledger(doc.id, "contributi")
    rows = []
    for i, r in enumerate(published, start=1):
        for n in range(r["start"], r["end"] + 1):
            if doc.line(n).strip():
                ledger.candidates.add(n)
        rows.append({
            "n": i, "associazione": r["name"],
            "importo_programma": money(r["programma"]),
            "contributo_richiesto": money(r["richiesto"]),
            "iscritti": int(parse_it_number(r["iscritti"])),
            "contributo_assegnato": money(r["assegnato"]),
            **provenance(doc.id, r["start"], r["end"], act_id(acts, r["start"]))})
    first, last = published[0]["start"], published[-1]["end"]
    for j, other in enumerate(copies[:-1], start=1):
        same = [(o["name"], o["programma"], o["richiesto"], o["iscritti"], o["assegnato"])
                for o in other] == [(p["name"], p["programma"], p["richiesto"], p["iscritti"],
                                     p["assegnato"]) for p in published]
        checks.add(f"piscatorie:copia:{j}",
                   f"La tabella alle righe {other[0]['start']}-{other[-1]['end']} è identica a "
                   f"quella del dispositivo (righe {first}-{last})",
                   len(other), len(published) if same else 0, same,
                   other[0]["start"], other[-1]["end"],
                   "le due copie della tabella differiscono")
    total = sum(r["contributo_assegnato"] for r in rows)
    dec = declared(doc, decreta_line(doc, sec), sec.end,
                   r"somma complessiva pari a € ?(" + AMT + ")")
    if dec:
        m, line = dec[0]
        checks.equal("piscatorie:totale-delibera",
                     "Somma dei contributi assegnati = somma complessiva dichiarata nella delibera",
                     money(m.group(1)), total, line)
    cnt = declared(doc, sec.start, sec.end, r"pervenuti i seguenti (\w+) programmi")
    if cnt:
        m, line = cnt[0]
        checks.add("piscatorie:numero-programmi",
                   "Numero di associazioni in tabella = numero di programmi pervenuti dichiarato",
                   number_word(m.group(1)), len(rows), number_word(m.group(1)) == len(rows), line,
                   explanation="il numero di righe non corrisponde ai programmi dichiarati")
    checks.rows("piscatorie:righe-coerenti",
                "Contributo assegnato ≤ contributo richiesto ≤ importo del programma, "
                "per ogni riga",
                rows, lambda r: r["contributo_assegnato"] <= r["contributo_richiesto"]
                <= r["importo_programma"], "la disuguaglianza")
    fields = [
        _f("n", "integer", "N.", "Ordine di stampa nella tabella", required=True),
        _f("associazione", "string", "Associazione",
           "Associazione piscatoria dilettantistica qualificata (nome come stampato)",
           required=True),
        _euro("importo_programma", "Importo del programma",
              "Importo del programma di intervento presentato, in euro (intestazione non "
              "stampata)"),
        _euro("contributo_richiesto", "Contributo richiesto e ammissibile",
              "Contributo richiesto e ammissibile, in euro (intestazione non stampata)"),
        _f("iscritti", "integer", "Iscritti", "Numero di iscritti (tesserati) dell'associazione"),
        _euro("contributo_assegnato", "Contributo assegnato"),
    ]
    table = Table(
        "contributi", "Contributi alle associazioni piscatorie qualificate",
        "Schema di ripartizione del contributo di compartecipazione ai programmi di intervento a "
        "tutela della fauna ittica (D.g.r. XI/827 del 19 novembre 2018). La tabella è stampata "
        "senza intestazioni: il significato delle colonne è ricavato dal testo della delibera "
        "(contributo ripartito in proporzione agli iscritti, sulla base del contributo richiesto "
        "ed ammissibile). La delibera stampa la tabella due volte (premessa e dispositivo): si "
        "pubblica quella del dispositivo, verificata identica all'altra. I beneficiari sono "
        "associazioni (enti), quindi pubblicati per nome.",
        fields, rows, primary_key=["n"], lines_in=len(ledger.candidates))
    ds = Dataset(
        "associazioni-piscatorie-2018",
        "Contributi alle associazioni piscatorie dilettantistiche qualificate 2018",
        "Contributi di Regione Lombardia alle associazioni piscatorie dilettantistiche "
        "qualificate per programmi di intervento a tutela della fauna ittica (art. 143 l.r. "
        "31/2008), D.g.r. XI/827 del 19 novembre 2018, BURL SO n. 47 del 22 novembre 2018.",
        [table], programme="associazioni-piscatorie-2018",
        keywords=["pesca", "fauna ittica", "associazioni", "contributi"])
    return ds, ledger.rejects


# == 2. Tables of the wildlife-damage acts (l.r. 26/1993 art. 47) ==========================
# -- 2a. "Ambito  C.F.  importo" tables and the other per-ATC prospetti ---------------------
ATC_CF_HEADER = re.compile(r"^\s*ambito\s+c\.f\.", re.IGNORECASE)
ATC_CF_ROW = re.compile(rf"^\s*(?P<name>\S.*?)\s+(?P<cf>\d{{11}})\s+(?P<amt>{AMTE})\s*$")
TOTAL_ROW = re.compile(rf"^\s*TOTALE\s+(?P<amts>(?:{AMTE}\s*)+)$", re.IGNORECASE)
ATC_NUMBER = re.compile(
    r"(?:\bATC|\bA\.T\.C\.|AMBITO TERRITORIALE DI CACCIA)\s*(?:n\.\s*|MN\s*)?(\d+)\b", re.I)


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
                           "amount": money(m.group("amt")), "line": k})
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
        cols = [w.lower() for w in re.findall(r"INDENNIZZO|PREVENZIONE", join_label(head))]
        p = Prospetto([], None, None, n, n)
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
                p.rows.append({"name": join_label(label), "line_start": first, "line": k,
                               cols[0] if cols else "a": money(m.group("a")),
                               cols[1] if len(cols) > 1 else "b": money(m.group("b"))})
                label, first = [], None
            else:
                label.append(t)
            k += 1
        out.append(p)
        n = k + 1
    return out


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
                vals = []
                for cell in (m.group("a"), m.group("b"), m.group("c")):
                    try:
                        vals.append(money(cell))
                    except ValueError:
                        vals.append(None)
                        p.errors.append(f"riga {k}: {cell!r} non è un importo")
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


RUOLO_HEADER_WORDS = {"beneficiario", "beneficiario/", "ruolo", "codice", "capitolo", "anno",
                      "impegno", "imp.", "perente", "da", "liquidare", "2018", "2019", "2020", "/"}
RUOLO_DATA = re.compile(
    r"^(?P<label>.*?)\s*(?P<code>\d{5,6})\s+(?P<cap>\d{2}\.\d{2}\.\d{3}\.\d{5})\s+(?P<rest>.+)$")


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
                cells = m.group("rest").split()
                row = {"name": join_label(label + [m.group("label")]), "code": m.group("code"),
                       "capitolo": m.group("cap"), "line_start": first or k, "line": k}
                try:
                    if re.match(r"^\d{4}/\d+/\d+$", cells[0]):      # payment: impegno + amount
                        row["impegno"], row["amount"] = cells[0], money(cells[-1])
                    else:                                          # commitment: one per year
                        row["years"] = [money(c) for c in cells]
                        row["amount"] = row["years"][0]
                except ValueError as e:
                    p.errors.append(f"riga {k}: {e}")
                    row["amount"] = None
                p.rows.append(row)
                p.end = k
                label, first = [], None
            elif re.search(r"[a-z]", t):
                break
            else:
                label.append(t)
                first = first or k
            k += 1
        out.append(p)
        n = k + 1
    return out


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
        cur = None
        part = "name"
        while k <= end:
            raw = doc.line(k)
            t = clean(raw)
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
            if m and (cur is None or part in ("after-name", "done")) and \
                    not re.match(r"^\d{11}\s", t):
                cur = {"code": m.group(1), "name": [m.group(2)] if m.group(2) else [],
                       "cf": None, "piva": None, "address": [], "line_start": k, "line": k}
                out.append(cur)
                part = "name"
            elif cur and (mm := re.match(r"^(\d{11})\s+(\d{11})\s*(.*)$", t)) and \
                    part in ("name", "after-name"):
                cur["cf"], cur["piva"] = mm.group(1), mm.group(2)
                cur["address"] = [mm.group(3)] if mm.group(3) else []
                part = "address"
                cur["line"] = k
            elif cur and part == "name":
                cur["name"].append(t)
                cur["line"] = k
            elif cur and part == "address":
                cur["address"].append(t)
                cur["line"] = k
            else:
                break
            k += 1
        for c in out:
            c["name"] = join_label(c["name"])
            c["address"] = join_label(c["address"]) or None
        n = k + 1
    return out


# -- 2b. Numbered annexes of UTR Brescia (ATC/CA, CUAA, territory type) -------------------
BS_ROW_START = re.compile(r"^\s*(?P<n>\d{1,4})\s+(?P<atc>ATC|CA\d+)\s+\S")
BS_ROW = re.compile(
    rf"^(?P<n>\d+) (?P<atc>ATC|CA\d+) (?P<name>.+?) "
    rf"(?:(?P<vdm>\d{{7}}) (?P<va>\d{{7}}) (?P<cor>R-\d+) )?"
    rf"(?P<cuaa>(?=[A-Z]*\d)[A-Z0-9]{{16}}|\d{{11}}) (?:(?P<piva>\d{{11}}) )?"
    rf"(?:(?P<az>[sS][iI]|[nN][oO]) )?(?P<tipo>[^\d].*?) "
    rf"(?P<a1>{AMT}) (?P<a2>{AMT}) (?:(?P<pct>[A-Za-z]+|\d{{1,3}}) (?P<quota_atc>{AMT}) )?"
    rf"(?P<quota_regione>{AMT})$")


@dataclass
class RawRow:
    start: int
    end: int
    lines: list[int]
    text: str
    match: re.Match | None = None


def collect_rows(doc, ledger: Ledger, start: int, end: int, is_start, complete, on_other,
                 on_start=None) -> list[RawRow]:
    """Group body lines ``start..end`` into rows: a row begins on a line ``is_start`` accepts
    (``on_start(line)`` is told) and takes the following lines until ``complete(text)``
    matches; other lines (between complete rows) go to ``on_other(line, text)``, which
    returns False to reject them. Rows that never complete are rejected line by line."""
    rows: list[RawRow] = []
    cur: RawRow | None = None
    for n in range(start, end + 1):
        t = clean(doc.line(n))
        if not t:
            continue
        if is_start(t):
            if cur and not cur.match:
                for ln in cur.lines:
                    ledger.reject(doc, ln, "riga di tabella incompleta: colonne non riconosciute")
            cur = RawRow(n, n, [n], t)
            ledger.candidates.add(n)
            if on_start:
                on_start(n)
            rows.append(cur)
        elif cur and not cur.match:
            cur.lines.append(n)
            cur.end = n
            cur.text += " " + t
            ledger.candidates.add(n)
        elif not on_other(n, t):
            ledger.reject(doc, n, "riga non riconosciuta all'interno della tabella")
            continue
        if cur and not cur.match:
            cur.match = complete(cur.text)
    if cur and not cur.match:
        for ln in cur.lines:
            ledger.reject(doc, ln, "riga di tabella incompleta: colonne non riconosciute")
    return [r for r in rows if r.match]


def sede_by_code(doc, sec: Section) -> dict[str, tuple[str, str, int]]:
    """``{11-digit code: (comune, sigla, line)}`` from the act's prose ("... con sede in
    Predore - BG C.F. e P.I. 04254190160 ...")."""
    out = {}
    for m, line in declared(doc, sec.start, sec.end,
                            r"con sede in (?P<comune>[A-ZÀ-Ý][\w'À-ÿ ]*?) ?[-–] ?"
                            r"(?P<prov>[A-Z]{2})\b"
                            r"[^€;]*?(?P<code>\d{11})"):
        out.setdefault(m.group("code"), (m.group("comune").strip(), m.group("prov"), line))
    return out


def _brescia_annex(doc, ctx, acts, checks: Checks, header_line: int, layout: str, name: str):
    """Allegato 1 of the UTR Brescia decrees: numbered rows ``n ATC/CA name [visure SIAN-COR]
    CUAA CF/PI [si|no] tipologia amounts``; an unlabelled total line closes it.

    ``layout``: ``prevenzione`` (contributo ammissibile, importo ammesso, % numeric) or
    ``indennizzi`` (importo periziato, netto di franchigia, % in words or absent for
    oasi/zrc)."""
    end = section_end(doc, header_line)
    ledger = Ledger(doc.id, name)
    first_row = next((n for n in range(header_line, end + 1)
                      if BS_ROW_START.match(clean(doc.line(n)))), None)
    if first_row is None:
        return None, ledger, {}
    totals: list[tuple[int, list[Decimal]]] = []

    def other(n, t):
        tot = amounts_only(t)
        if tot is not None:
            totals.append((n, tot))
            return True
        return False

    raws = collect_rows(doc, ledger, first_row, end, lambda t: bool(BS_ROW_START.match(t)),
                        BS_ROW.match, other)
    sec = section_at(sections(doc), header_line, doc)
    sedi = sede_by_code(doc, sec) if layout == "prevenzione" else {}
    a1, a2 = ("contributo_ammissibile", "importo_ammesso") if layout == "prevenzione" else \
        ("importo_periziato", "importo_netto")
    names = Pseudonyms()
    rows = []
    for r in raws:
        g = r.match.groupdict()
        person = subject_kind(g["name"], g["cuaa"]) == PERSONA_FISICA
        pct = number_word(g["pct"]) if g["pct"] else None
        row = {"n": int(g["n"]), "ambito": g["atc"],
               "beneficiario": names.label(g["cuaa"]) if person else g["name"],
               "soggetto": PERSONA_FISICA if person else PERSONA_GIURIDICA,
               "cuaa": None if person else g["cuaa"],
               "partita_iva": None if person else g["piva"],
               "codice_sian_cor": None if person else g["cor"]}
        if layout == "indennizzi":
            row["azienda_agricola"] = g["az"].lower() == "si" if g["az"] else None
        if layout == "prevenzione":
            sede = sedi.get(g["cuaa"]) or sedi.get(g["piva"] or "")
            if sede:
                res = ctx.resolve(sede[0], sede[2], province=sede[1])
                row.update({"comune": sede[0], "provincia": sede[1], **resolution_fields(res)})
            else:
                row.update({"comune": None, "provincia": None, **NO_COMUNE})
        row.update({"tipologia_territorio": g["tipo"], a1: money(g["a1"]), a2: money(g["a2"]),
                    "percentuale_atc": pct,
                    "quota_atc": money(g["quota_atc"]) if g["quota_atc"] else None,
                    "quota_regione": money(g["quota_regione"]),
                    **provenance(doc.id, r.start, r.end, act_id(acts, r.start))})
        if g["pct"] and pct is None:
            for ln in r.lines:
                ledger.reject(doc, ln, f"percentuale non interpretabile: {g['pct']!r}")
            continue
        rows.append(row)
    cid = name
    order = [r["n"] for r in rows]
    last_n = max((int(m.group("n")) for n in ledger.candidates
                  if (m := BS_ROW_START.match(clean(doc.line(n))))), default=0)
    checks.add(f"{cid}:numerazione", "Righe pubblicate = numeri d'ordine da 1 all'ultimo stampato",
               last_n, len(rows), order == list(range(1, last_n + 1)), first_row,
               totals[-1][0] if totals else end,
               "numeri d'ordine mancanti, ripetuti, fuori sequenza o righe scartate")
    cols = [a1, a2, "quota_atc", "quota_regione"]
    titles = {"contributo_ammissibile": "contributi ammissibili", "importo_ammesso":
              "importo ammesso", "importo_periziato": "importo periziato", "importo_netto":
              "importo netto di franchigia", "quota_atc": "quota ATC/CA",
              "quota_regione": "quota Regione"}
    printed: dict[str, tuple[Decimal, int]] = {}
    if totals:
        line, tot = totals[-1]
        if len(tot) == len(cols):
            for c, v in zip(cols, tot):
                printed[c] = (v, line)
                checks.equal(f"{cid}:totale:{c}", f"Totale stampato della colonna {titles[c]}",
                             v, total(rows, c), line)
        else:
            checks.add(f"{cid}:totale", "Riga dei totali con una cifra per colonna", len(cols),
                       len(tot), False, line, explanation="numero di cifre inatteso")
        for extra_line, _ in totals[:-1]:
            ledger.reject(doc, extra_line, "riga di soli importi prima della riga dei totali")
    else:
        checks.add(f"{cid}:totale", "Riga dei totali stampata in calce", 1, 0, False, first_row,
                   end, "nessuna riga di totali trovata")
    checks.rows(f"{cid}:quote", f"Quota ATC/CA + quota Regione = {titles[a2]}, per ogni riga "
                "(quota ATC/CA assente = 0)", rows,
                lambda r: (r["quota_atc"] or 0) + r["quota_regione"] == r[a2], "l'uguaglianza")
    with_pct = [r for r in rows if r["percentuale_atc"] is not None]
    checks.rows(f"{cid}:percentuale",
                "Quota ATC/CA = percentuale dichiarata dell'importo, al centesimo", with_pct,
                lambda r: abs(r[a2] * r["percentuale_atc"] / 100 - r["quota_atc"]) <= CENT,
                "la percentuale")
    dec_from = decreta_line(doc, sec)
    if layout == "indennizzi":
        fr = declared(doc, sec.start, sec.end, r"applicata una franchigia di € ?(" + AMT + ")")
        if fr:
            m, line = fr[0]
            f = money(m.group(1))
            checks.rows(f"{cid}:franchigia",
                        f"Importo periziato − franchigia dichiarata ({m.group(1)} €) = "
                        "importo netto",
                        rows, lambda r: r[a1] - f == r[a2], "la franchigia")
    for pattern, col, what in (
            (r"importo complessivo di € ?(" + AMT + ")", a2, titles[a2]),
            (r"(?:la somma di|per un totale di) € ?(" + AMT + ")", "quota_regione",
             "quota Regione")):
        dec = declared(doc, dec_from, sec.end, pattern)
        if dec:
            m, line = dec[0]
            checks.equal(f"{cid}:decreto:{col}", f"Somma della colonna {what} = importo dichiarato "
                         f"nel dispositivo del decreto", money(m.group(1)), total(rows, col), line)
    return rows, ledger, printed


def _brescia_tables(doc, ctx, acts, checks):
    """Both UTR Brescia annexes, told apart by their headers."""
    out = {}
    for n, t in doc.numbered():
        if not re.match(r"^\s*ATC/CA\b", t):
            continue
        head = " ".join(clean(doc.line(k)) for k in range(n, min(n + 40, len(doc.lines)) + 1))
        if re.search(r"periziato", head, re.I):
            layout, name = "indennizzi", "indennizzi_brescia"
        elif re.search(r"ammissibili", head, re.I):
            layout, name = "prevenzione", "prevenzione_brescia"
        else:
            continue
        rows, ledger, printed = _brescia_annex(doc, ctx, acts, checks, n, layout, name)
        if rows is not None:
            out[name] = (rows, ledger, n, printed)
    return out


# -- 2c. Val Padana lists (SIAN-COR, VERCOR, CUAA, P.IVA, de minimis) ----------------------
VP_TITLE = re.compile(r"^\s*UTR\b.*\bSede di\s+(?P<sede>[A-Za-z]+)", re.IGNORECASE)
VP_ROW_START = re.compile(
    r"^(?P<car>.*?)\s*(?P<cor>R-\d{5,7}) (?P<v1>\S+) (?P<d1>\d{2}/\d{2}/\d{2}(?:\d{2})?) "
    r"(?P<v2>\S+) (?P<d2>\d{2}/\d{2}/\d{2}(?:\d{2})?)(?: (?P<rest>.*))?$")
VP_TAIL = re.compile(
    rf"^(?P<name>.+?) (?P<c1>(?=[A-Z]*\d)[A-Z0-9]{{10,16}}) (?P<c2>(?=[A-Z]*\d)[A-Z0-9]{{10,16}}) "
    rf"(?P<indennizzo>{AMTE}) (?P<riduzione>[sS][iI]|[nN][oO]) (?P<liquidare>{AMTE}) "
    rf"(?P<regione>{AMTE}) (?P<atc>{AMTE})$")
VP_COLS = ["indennizzo", "importo_da_liquidare", "quota_regione", "quota_atc"]


def _next_text(doc, n: int, end: int) -> str:
    """The next non-blank line after ``n`` (cleaned), or ''."""
    for k in range(n + 1, end + 1):
        t = clean(doc.line(k))
        if t:
            return t
    return ""


def _val_padana(doc, ctx, acts, checks: Checks, title_line: int, sede: str, atc_amounts):
    """The UTR Val Padana list of one seat: rows in groups per ATC, each group closed by an
    unlabelled subtotal line, then a grand-total block (``IMPORTO COMPLESSIVO ...``).

    ``atc_amounts``: ``{ATC key: (importo a carico Regione, line)}`` from the act's per-ATC
    table; it names the groups whose header does not (``A.T.C. ...`` labels them when
    printed) and verifies every group subtotal."""
    name = f"indennizzi_{sede.lower()}"
    cid = name
    ledger = Ledger(doc.id, name)
    end = section_end(doc, title_line)
    first_row = next((n for n in range(title_line, end + 1)
                      if VP_ROW_START.match(clean(doc.line(n)))), None)
    if first_row is None:
        return None, ledger
    last = next((n for n in range(first_row, end + 1)
                 if re.match(rf"^COMPLESSIV\w*\s*{AMTE}$", clean(doc.line(n)))), end)
    head = join_label([doc.line(k) for k in range(title_line, first_row)])
    cuaa_at, iva_at = re.search(r"\bCUAA\b", head), re.search(r"\bIVA\b", head)
    cuaa_first = not (cuaa_at and iva_at and iva_at.start() < cuaa_at.start())
    groups: list[dict] = [{"label": None, "starts": 0, "subtotal": None, "line": None}]
    row_group: dict[int, int] = {}
    grand: dict[str, tuple[Decimal, int]] = {}
    state = {"grand": False, "labels": ""}

    def label_group(label):
        if groups[-1]["starts"] or groups[-1]["subtotal"] is not None:
            groups.append({"label": label, "starts": 0, "subtotal": None, "line": None})
        else:
            groups[-1]["label"] = label

    for k in range(title_line, first_row):
        if (m := re.search(r"A\.T\.C\.\s*(.+?)\s*$", clean(doc.line(k)))):
            label_group(m.group(1))

    def is_start(t):
        return bool(VP_ROW_START.match(t))

    def on_start(n):
        row_group[n] = len(groups) - 1
        groups[-1]["starts"] += 1

    def complete(text):
        m = VP_ROW_START.match(text)
        return VP_TAIL.match(m.group("rest") or "") if m else None

    def other(n, t):
        if state["grand"]:
            tot = amounts_only(re.sub(r"^COMPLESSIV\w*", "", t))
            if tot is None:
                state["labels"] += " " + t
                return bool(re.fullmatch(r"[A-Z'.\s]+", t))
            mentions = re.findall(r"REGIONE|A\.T\.C\.", state["labels"])
            if len(mentions) == len(tot):
                keys = ["quota_regione" if x == "REGIONE" else "quota_atc" for x in mentions]
            else:
                keys = ["importo_da_liquidare"] if len(tot) == 1 else []
            for key, v in zip(keys, tot):
                grand[key] = (v, n)
            state["labels"] = ""
            return bool(keys)
        tot = amounts_only(t)
        if tot is not None:
            g = groups[-1]
            if g["subtotal"] is not None or not g["starts"]:
                return False
            g["subtotal"], g["line"] = tot, n
            groups.append({"label": None, "starts": 0, "subtotal": None, "line": None})
            return True
        if (m := re.search(r"A\.T\.C\.\s*(.+?)\s*$", t)):
            label_group(m.group(1))
            return True
        if re.match(r"^IMPORTO\b", t) and re.match(r"^COMPLESSIV", _next_text(doc, n, last)):
            state["grand"], state["labels"] = True, t
            return True
        # repeated header blocks and page titles: no lowercase, no amounts, no SIAN-COR codes
        return bool(re.fullmatch(r"[^a-z€]+", t)) and not re.search(AMT, t) and \
            not re.search(r"R-\d{5}", t)

    parsed = collect_rows(doc, ledger, first_row, last, is_start, complete, other, on_start)
    names = Pseudonyms()
    rows = []
    for g in groups:
        key = atc_key("A.T.C. " + g["label"]) if g["label"] else None
        g["method"] = "intestazione" if key else None
        reg_sub = g["subtotal"][-2] if g["subtotal"] and len(g["subtotal"]) >= 2 else None
        matches = [a for a, (v, _) in atc_amounts.items() if v == reg_sub]
        if key is None and len(matches) == 1:
            key, g["method"] = matches[0], "subtotale"
        g["key"], g["rows"] = key, []
    for r in parsed:
        g = groups[row_group[r.start]]
        s = VP_ROW_START.match(r.text)
        m = VP_TAIL.match(s.group("rest"))
        c1, c2 = m.group("c1"), m.group("c2")
        cuaa, piva = (c1, c2) if cuaa_first else (c2, c1)
        personal = next((c for c in (cuaa, piva) if CF_PERSONAL.match(c)), cuaa)
        person = subject_kind(m.group("name"), personal) == PERSONA_FISICA
        row = {"n": len(rows) + 1, "ambito": g["key"], "ambito_metodo": g["method"],
               "beneficiario": names.label(personal) if person else m.group("name"),
               "soggetto": PERSONA_FISICA if person else PERSONA_GIURIDICA,
               "cuaa": None if person else cuaa, "partita_iva": None if person else piva,
               "codice_sian_cor": None if person else s.group("cor"),
               "indennizzo": money(m.group("indennizzo")),
               "riduzione_de_minimis": m.group("riduzione").upper() == "SI",
               "importo_da_liquidare": money(m.group("liquidare")),
               "quota_regione": money(m.group("regione")), "quota_atc": money(m.group("atc")),
               **provenance(doc.id, r.start, r.end, act_id(acts, r.start))}
        rows.append(row)
        g["rows"].append(row)
    groups = [g for g in groups if g["rows"] or g["subtotal"] is not None]
    # -- checks
    for gi, g in enumerate(groups, start=1):
        grow = g["rows"]
        if g["subtotal"] is None:
            checks.add(f"{cid}:gruppo:{gi}:subtotale", f"Subtotale stampato del gruppo {gi}", 1, 0,
                       False, grow[0]["line_start"] if grow else None,
                       explanation="il gruppo non è chiuso da una riga di subtotale")
            continue
        cols = VP_COLS[-len(g["subtotal"]):]
        for c, v in zip(cols, g["subtotal"]):
            checks.equal(f"{cid}:gruppo:{gi}:{c}",
                         f"Subtotale stampato del gruppo {gi} ({g['key'] or '?'}), colonna {c}",
                         v, total(grow, c), g["line"])
        reg_sub = g["subtotal"][-2] if len(g["subtotal"]) >= 2 else None
        ref = atc_amounts.get(g["key"]) if g["key"] else None
        checks.add(f"{cid}:gruppo:{gi}:ambito",
                   f"Il gruppo {gi} è attribuito a un ambito "
                   f"({g['method'] or 'nessun metodo'}) il "
                   "cui importo a carico Regione nel prospetto per ambito del decreto è il "
                   "subtotale a carico Regione del gruppo",
                   as_number(ref[0]) if ref else None, as_number(reg_sub),
                   bool(ref) and ref[0] == reg_sub, g["line"],
                   explanation="nessun ambito del prospetto con questo importo" if not ref else
                   "importo diverso dal prospetto per ambito")
    for c in ("importo_da_liquidare", "quota_regione", "quota_atc"):
        if c not in grand:
            checks.add(f"{cid}:totale:{c}", f"Totale complessivo stampato, colonna {c}", 1, 0,
                       False, last, explanation="totale non trovato")
            continue
        v, line = grand[c]
        checks.equal(f"{cid}:totale:{c}", f"Totale complessivo stampato, colonna {c}", v,
                     total(rows, c), line)
        subs = [g["subtotal"][VP_COLS[-len(g["subtotal"]):].index(c)] for g in groups
                if g["subtotal"] and c in VP_COLS[-len(g["subtotal"]):]]
        checks.equal(f"{cid}:totale-subtotali:{c}",
                     f"Totale complessivo stampato = somma dei subtotali stampati, colonna {c}",
                     v, sum(subs), line)
    checks.rows(f"{cid}:quote", "Quota Regione + quota ATC = importo da liquidare, per ogni riga",
                rows, lambda r: r["quota_regione"] + r["quota_atc"] == r["importo_da_liquidare"],
                "l'uguaglianza")
    checks.rows(f"{cid}:riduzione", "Importo da liquidare = indennizzo senza riduzione de minimis, "
                "non superiore con la riduzione", rows,
                lambda r: r["importo_da_liquidare"] <= r["indennizzo"] if r["riduzione_de_minimis"]
                else r["importo_da_liquidare"] == r["indennizzo"], "la regola")
    sec = section_at(sections(doc), title_line, doc)
    dec_from = decreta_line(doc, sec)
    for pattern, c in ((r"importo complessivo di € ?(" + AMT + ")", "importo_da_liquidare"),
                       (r"€ ?(" + AMT + r") a carico (?:della )?Regione", "quota_regione"),
                       (r"€ ?(" + AMT + r") a carico degli ATC", "quota_atc")):
        dec = declared(doc, dec_from, sec.end, pattern)
        if dec:
            m, line = dec[0]
            checks.equal(f"{cid}:decreto:{c}", f"Somma della colonna {c} = importo dichiarato nel "
                         "dispositivo del decreto", money(m.group(1)), total(rows, c), line)
    return rows, ledger


# -- 2d. Transfers to hunting districts / ruoli --------------------------------------------
def _transfers(doc, ctx, acts, checks: Checks, sec: Section, annex):
    """The per-beneficiary transfer of one act: rows from the ``Ambito C.F.`` table when the
    act has one, else from the commitment table; the act's other prospetti enrich and verify.

    ``annex``: ``(rows, printed totals)`` of the act's numbered annex (UTR Brescia), whose
    Regione share must equal the transfers, in total and per ambito.
    Returns (rows, ledger, ``{ambito: (importo a carico Regione, line)}``)."""
    ledger = Ledger(doc.id, "trasferimenti")
    cf_tabs = atc_cf_tables(doc, sec.start, sec.end)
    splits = split_tables(doc, sec.start, sec.end)
    riparti = riparto_tables(doc, sec.start, sec.end)
    ruoli = ruolo_tables(doc, sec.start, sec.end)
    anag = {a["code"]: a for a in anagrafica_tables(doc, sec.start, sec.end)}
    commitments = [p for p in ruoli if p.rows and "years" in p.rows[0]]
    payments = [p for p in ruoli if p.rows and "impegno" in p.rows[0]]
    tag = f"trasferimenti:{sec.number}"
    rows: list[dict] = []
    if cf_tabs:
        primary = cf_tabs[0]
        for r in primary.rows:
            ledger.candidates.add(r["line"])
            rows.append({"beneficiario": r["name"], "ambito": atc_key(r["name"]),
                         "codice_fiscale": r["cf"], "importo_regione": r["amount"],
                         "_line": r["line"], "_end": r["line"]})
        tot = sum(r["importo_regione"] for r in rows)
        if primary.total_line:
            checks.equal(f"{tag}:totale", "Totale stampato del prospetto per ambito",
                         primary.total[0] if primary.total else None, tot, primary.total_line)
        else:
            dec = declared(doc, decreta_line(doc, sec), sec.end,
                           r"somma complessiva di € ?(" + AMT + ")")
            if dec:
                m, line = dec[0]
                checks.equal(f"{tag}:totale", "Somma del prospetto per ambito (senza riga di "
                             "totale) = somma complessiva dichiarata nel dispositivo",
                             money(m.group(1)), tot, line)
    elif commitments:
        primary = commitments[0]
        for r in primary.rows:
            lines = [n for n in range(r["line_start"], r["line"] + 1) if doc.line(n).strip()]
            ledger.candidates.update(lines)
            if r["amount"] is None:
                for n in lines:
                    ledger.reject(doc, n, "importo dell'impegno non leggibile")
                continue
            a = anag.get(r["code"], {})
            rows.append({"beneficiario": a.get("name") or r["name"],
                         "ambito": atc_key(r["name"]), "codice_beneficiario": r["code"],
                         "codice_fiscale": a.get("cf"), "partita_iva": a.get("piva"),
                         "indirizzo": a.get("address"), "capitolo": r["capitolo"],
                         "importo_regione": r["amount"], "_line": r["line_start"],
                         "_end": r["line"]})
    else:
        return [], ledger, {}
    # commitments / payments as enrichment and verification
    for kind, tabs in (("impegni", commitments), ("liquidazioni", payments)):
        for ti, p in enumerate(tabs, start=1):
            if cf_tabs or kind == "liquidazioni" or ti > 1:
                pairs = _pair(rows, p.rows)
                same = all(x is not None and y is not None and x["importo_regione"] == y["amount"]
                           for x, y in pairs) and len(p.rows) == len(rows)
                checks.add(f"{tag}:{kind}:{ti}",
                           f"La tabella degli {kind} (righe {p.start}-{p.end}) riporta gli stessi "
                           "beneficiari e importi", len(rows),
                           sum(1 for x, y in pairs
                               if x and y and x["importo_regione"] == y["amount"]),
                           same, p.start, p.end, "; ".join(p.errors) or
                           "beneficiari o importi diversi")
                for x, y in pairs:
                    if x is not None and y is not None:
                        x.setdefault("codice_beneficiario", y["code"])
                        x.setdefault("capitolo", y["capitolo"])
            if p.total_line:
                checks.equal(f"{tag}:{kind}:{ti}:totale",
                             f"Totale stampato della tabella degli {kind}",
                             p.total[0], sum(y["amount"] or 0 for y in p.rows), p.total_line)
    for si, p in enumerate(splits, start=1):
        pairs = _pair(rows, p.rows)
        for x, y in pairs:
            if x is not None and y is not None:
                x["importo_indennizzi"] = y.get("indennizzo")
                x["importo_prevenzione"] = y.get("prevenzione")
                x["ambito"] = x["ambito"] or atc_key(y["name"])
        ok = [x is not None and y is not None and
              y.get("indennizzo", 0) + y.get("prevenzione", 0) == x["importo_regione"]
              for x, y in pairs]
        checks.add(f"{tag}:capitoli:{si}", "Per ogni ambito, indennizzi + prevenzione "
                   "(prospetto per capitolo) = importo del prospetto per ambito", len(rows),
                   sum(ok),
                   all(ok) and len(p.rows) == len(rows), p.start, p.end,
                   "ambiti o importi diversi tra i due prospetti")
        if p.total_line and p.total:
            cols = ["indennizzo", "prevenzione", "totale"]
            for c, v in zip(cols, p.total):
                got = sum(y.get(c, 0) for y in p.rows) if c != "totale" else \
                    sum(y.get("indennizzo", 0) + y.get("prevenzione", 0) for y in p.rows)
                checks.equal(f"{tag}:capitoli:{si}:totale:{c}",
                             f"Totale stampato del prospetto per capitolo, colonna {c}", v, got,
                             p.total_line)
    for ri, p in enumerate(riparti, start=1):
        if ri == 1:
            pairs = _pair(rows, p.rows)
            for x, y in pairs:
                if x is not None and y is not None:
                    x["importo_atc"], x["importo_complessivo"] = y["atc"], y["complessivo"]
            same = len(p.rows) == len(rows) and all(
                x is not None and y is not None and y["regione"] == x["importo_regione"]
                for x, y in pairs)
            checks.add(f"{tag}:riparto", f"Il riparto Regione/ATC (righe {p.start}-{p.end}) "
                       "riporta gli stessi importi a carico Regione del prospetto per ambito",
                       len(rows),
                       sum(1 for x, y in pairs if x and y and y["regione"] == x["importo_regione"]),
                       same, p.start, p.end, "; ".join(p.errors) or "importi diversi")
        else:
            ref = riparti[0]
            mine, theirs = _riparto_cells(p), _riparto_cells(ref)
            checks.add(f"{tag}:riparto:copia:{ri}", f"La copia del riparto alle righe "
                       f"{p.start}-{p.end} è identica a quella alle righe {ref.start}-{ref.end}",
                       len(ref.rows), sum(1 for a, b in zip(mine, theirs) if a == b),
                       mine == theirs, p.start, p.end,
                       "; ".join(p.errors) or "le copie differiscono")
            continue
        good = [y for y in p.rows if None not in (y["regione"], y["atc"], y["complessivo"])]
        bad = [y["line"] for y in good if y["regione"] + y["atc"] != y["complessivo"]]
        checks.add(f"{tag}:riparto:righe", "Regione + ATC = importo complessivo, per ogni "
                   "ambito del riparto", len(p.rows), len(good) - len(bad),
                   not bad and len(good) == len(p.rows), p.start, p.end,
                   f"righe {', '.join(map(str, bad))}: la somma non torna" if bad
                   else "; ".join(p.errors))
        if p.total_line and p.total and len(p.total) == 3:
            for c, v in zip(("regione", "atc", "complessivo"), p.total):
                vals = [y[c] for y in p.rows]
                got = sum(vals) if None not in vals else None
                checks.equal(f"{tag}:riparto:totale:{c}",
                             f"Totale stampato del riparto Regione/ATC, colonna {c}", v, got,
                             p.total_line, explanation="" if got is not None else
                             "importi illeggibili nel prospetto")
    if annex is not None:
        annex_rows, printed = annex
        if "quota_regione" in printed:
            value, line = printed["quota_regione"]
            checks.equal(f"{tag}:allegato", "Trasferimenti a carico Regione = totale a carico "
                         "Regione stampato nell'allegato dei beneficiari", value,
                         sum(r["importo_regione"] for r in rows), line)
        for r in rows:
            if r.get("ambito"):
                mine = [a for a in annex_rows if a["ambito"] == r["ambito"]]
                checks.equal(f"{tag}:allegato:{r['ambito']}",
                             f"Trasferimento a {r['ambito']} = somma delle quote Regione delle "
                             f"righe dell'allegato di {r['ambito']}", r["importo_regione"],
                             total(mine, "quota_regione"), r["_line"], r["_end"])
    out = []
    for i, r in enumerate(rows, start=1):
        comune, prov = _comune_from_address(r.get("indirizzo"))
        if comune:
            res = ctx.resolve(comune, r["_line"], province=prov)
            loc = {"comune_sede": comune, "provincia_sede": prov, **resolution_fields(res)}
        else:
            loc = {"comune_sede": None, "provincia_sede": None, **NO_COMUNE}
        out.append({
            "atto": sec.label, "n": i, "beneficiario": r["beneficiario"], "ambito": r.get("ambito"),
            "codice_beneficiario": r.get("codice_beneficiario"),
            "codice_fiscale": r.get("codice_fiscale"), "partita_iva": r.get("partita_iva"),
            "indirizzo": r.get("indirizzo"), **loc, "capitolo": r.get("capitolo"),
            "importo_regione": r["importo_regione"],
            "importo_indennizzi": r.get("importo_indennizzi"),
            "importo_prevenzione": r.get("importo_prevenzione"),
            "importo_atc": r.get("importo_atc"),
            "importo_complessivo": r.get("importo_complessivo"),
            **provenance(doc.id, r["_line"], r["_end"], act_id(acts, r["_line"]))})
    atc_amounts = {r["ambito"]: (r["importo_regione"], r["line_start"]) for r in out if r["ambito"]}
    return out, ledger, atc_amounts


def _riparto_cells(p: Prospetto) -> list[tuple]:
    return [(y["name"], y["regione"], y["atc"], y["complessivo"]) for y in p.rows]


def _pair(rows: list[dict], others: list[dict]) -> list[tuple[dict | None, dict | None]]:
    """Pair rows of two prospetti of the same act: by ATC key when both carry one, else by
    position (the prospetti list the ambiti in the same order)."""
    keys = [r.get("ambito") for r in rows]
    okeys = [atc_key(o["name"]) for o in others]
    if all(keys) and all(okeys) and len(set(keys)) == len(keys):
        idx = {k: o for k, o in zip(okeys, others)}
        pairs = [(r, idx.get(k)) for r, k in zip(rows, keys)]
        pairs += [(None, o) for k, o in zip(okeys, others) if k not in keys]
        return pairs
    n = max(len(rows), len(others))
    return [(rows[i] if i < len(rows) else None, others[i] if i < len(others) else None)
            for i in range(n)]


def _comune_from_address(address: str | None) -> tuple[str | None, str | None]:
    """``'VIA ROMA N. 41 25057 SALE MARASINO (BS)'`` -> ``('SALE MARASINO', 'BS')``."""
    if not address:
        return None, None
    m = re.search(r"\b\d{5}\s+(?P<comune>[A-ZÀ-Ý][A-ZÀ-Ý' .-]*?)\s*\((?P<prov>[A-Z]{2})\)\s*$",
                  address)
    return (m.group("comune"), m.group("prov")) if m else (None, None)


# -- schemas ------------------------------------------------------------------------------
_SUBJECT_FIELDS = [
    _f("beneficiario", "string", "Beneficiario",
       "Ragione sociale per le persone giuridiche; 'Persona fisica n. k' per le persone fisiche "
       "(stessa etichetta per lo stesso codice fiscale nella tabella)", required=True),
    _f("soggetto", "string", "Tipo di soggetto",
       "persona giuridica (codice fiscale numerico di 11 cifre) o persona fisica (codice fiscale "
       "personale di 16 caratteri)", required=True, enum=[PERSONA_FISICA, PERSONA_GIURIDICA]),
    _f("cuaa", "string", "CUAA", "Codice fiscale dell'azienda (solo persone giuridiche)"),
    _f("partita_iva", "string", "Partita IVA", "Solo persone giuridiche, come stampata"),
    _f("codice_sian_cor", "string", "Codice SIAN-COR",
       "Codice di concessione nel registro aiuti (solo persone giuridiche)"),
]
_PRIVACY_NOTE = (
    " Le persone fisiche (comprese le ditte individuali, riconoscibili dal codice fiscale "
    "personale di 16 caratteri nella colonna CUAA) non sono pubblicate per nome: sono indicate "
    "come 'Persona fisica n. k' e se ne omettono codice fiscale, partita IVA e codici dei "
    "registri aiuti; importi e ambito restano. Le persone giuridiche (CUAA numerico di 11 cifre: "
    "società, anche semplici) sono pubblicate. I numeri delle visure VERCOR e le loro date non "
    "sono ripresi.")


def _fields_brescia(layout: str) -> list[dict]:
    a1, a2 = (("contributo_ammissibile", "Contributo ammissibile",
               "Contributi ammissibili secondo il decreto 10855/2018, in euro"),
              ("importo_ammesso", "Importo ammesso", "Importo rendicontato ammesso a contributo, "
               "in euro")) if layout == "prevenzione" else \
        (("importo_periziato", "Importo periziato", "Danno periziato, in euro"),
         ("importo_netto", "Importo netto", "Danno periziato al netto della franchigia, in euro"))
    fields = [_f("n", "integer", "N.", "Numero d'ordine stampato", required=True),
              _f("ambito", "string", "ATC/CA",
                 "Ambito territoriale o comprensorio alpino di caccia"),
              *_SUBJECT_FIELDS]
    if layout == "indennizzi":
        fields.append(_f("azienda_agricola", "boolean", "Azienda agricola",
                         "Colonna 'Azienda agricola' (si/no)"))
    else:
        fields += [_f("comune", "string", "Comune della sede",
                      "Dal testo del decreto ('con sede in ...'), abbinato per codice "
                      "fiscale/partita IVA"),
                   _f("provincia", "string", "Provincia"), *RESOLUTION_FIELDS]
    return fields + [
        _f("tipologia_territorio", "string", "Tipologia del territorio"),
        _euro(*a1), _euro(*a2),
        _f("percentuale_atc", "integer", "% a carico ATC/CA",
           "Percentuale di partecipazione dell'ATC/CA (stampata in cifre o in lettere: 'diceci' "
           "[sic] = 10, 'trenta' = 30); vuota per oasi e zrc"),
        _euro("quota_atc", "Quota ATC/CA", "Importo a carico dell'ATC/CA, in euro"),
        _euro("quota_regione", "Quota Regione", "Importo a carico di Regione Lombardia, in euro")]


_FIELDS_VAL_PADANA = [
    _f("n", "integer", "N.", "Ordine della riga nell'elenco", required=True),
    _f("ambito", "string", "ATC", "Ambito territoriale di caccia del gruppo"),
    _f("ambito_metodo", "string", "Attribuzione dell'ATC",
       "intestazione (il gruppo è intitolato 'A.T.C. ...') o subtotale (il subtotale a carico "
       "Regione del gruppo coincide con un solo importo del prospetto per ambito del decreto)",
       enum=["intestazione", "subtotale"]),
    *_SUBJECT_FIELDS,
    _euro("indennizzo", "Indennizzo", "Indennizzo concesso, in euro"),
    _f("riduzione_de_minimis", "boolean", "Riduzione de minimis",
       "Riduzione applicata per il rispetto del limite de minimis (SI/NO)"),
    _euro("importo_da_liquidare", "Importo da liquidare"),
    _euro("quota_regione", "Quota Regione", "Importo a carico di Regione Lombardia, in euro"),
    _euro("quota_atc", "Quota ATC", "Importo a carico dell'ATC, in euro"),
]

_FIELDS_TRANSFERS = [
    _f("atto", "string", "Atto", "Decreto che impegna e liquida", required=True),
    _f("n", "integer", "N.", "Ordine della riga nel prospetto dell'atto", required=True),
    _f("beneficiario", "string", "Beneficiario",
       "Ambito/comprensorio di caccia o ruolo di beneficiari diversi, come stampato",
       required=True),
    _f("ambito", "string", "Ambito", "Chiave dell'ambito (ATC n, CAn, ATC) se riconoscibile"),
    _f("codice_beneficiario", "string", "Codice beneficiario/ruolo"),
    _f("codice_fiscale", "string", "Codice fiscale"),
    _f("partita_iva", "string", "Partita IVA"),
    _f("indirizzo", "string", "Indirizzo"),
    _f("comune_sede", "string", "Comune della sede", "Dall'indirizzo, quando stampato"),
    _f("provincia_sede", "string", "Provincia della sede"),
    *RESOLUTION_FIELDS,
    _f("capitolo", "string", "Capitolo di bilancio"),
    _euro("importo_regione", "Importo a carico Regione",
          "Importo impegnato/liquidato dalla Regione, in euro"),
    _euro("importo_indennizzi", "di cui indennizzi",
          "Quota per indennizzo danni (cap. 11647), in euro"),
    _euro("importo_prevenzione", "di cui prevenzione",
          "Quota per prevenzione danni (cap. 12832), in euro"),
    _euro("importo_atc", "Importo a carico ATC",
          "Quota a carico dell'ATC secondo il riparto, in euro"),
    _euro("importo_complessivo", "Importo complessivo",
          "Regione + ATC secondo il riparto, in euro"),
]


def _fauna(doc, ctx, acts, checks: Checks):
    """All tables of the wildlife-damage acts: the Brescia annexes, each act's transfers to
    hunting districts, then the Val Padana lists (whose groups need the per-ATC amounts)."""
    secs = sections(doc)
    brescia = _brescia_tables(doc, ctx, acts, checks)
    annexes = {section_at(secs, line, doc).start: (rows, printed)
               for _, (rows, _, line, printed) in brescia.items()}
    tables: list[Table] = []
    rejects: list[Reject] = []
    transfers: list[dict] = []
    t_ledger = Ledger(doc.id, "trasferimenti")
    atc_by_sec: dict[int, dict] = {}
    for sec in secs:
        if sec.start not in annexes and \
                not any(p.rows for p in atc_cf_tables(doc, sec.start, sec.end)):
            continue
        rows, ledger, atc_amounts = _transfers(doc, ctx, acts, checks, sec,
                                               annexes.get(sec.start))
        transfers += rows
        t_ledger.candidates |= ledger.candidates
        t_ledger.rejects += ledger.rejects
        atc_by_sec[sec.start] = atc_amounts
    for name, layout in (("prevenzione_brescia", "prevenzione"),
                         ("indennizzi_brescia", "indennizzi")):
        if name not in brescia:
            continue
        rows, ledger, line, _ = brescia[name]
        sec = section_at(secs, line, doc)
        if layout == "prevenzione":
            title = "Contributi per la prevenzione dei danni - UTR Brescia"
            desc = (f"Allegato 1 del {sec.label}/2018 (UTR Brescia): contributi per opere di "
                    "prevenzione dei danni da fauna selvatica. Il comune della sede viene dal "
                    "testo del decreto ('con sede in ...'), abbinato per codice fiscale/partita "
                    "IVA.")
        else:
            title = "Indennizzi danni da fauna selvatica - UTR Brescia"
            desc = (f"Allegato 1 del {sec.label}/2018 (UTR Brescia): indennizzi dei danni da "
                    "fauna selvatica alle produzioni agricole, periodo 1 ottobre 2017 - 30 "
                    "settembre 2018, al netto della franchigia per stima. Per oasi e zrc la "
                    "Regione paga il 100% (nessuna quota ATC/CA: cella vuota).")
        tables.append(Table(name, title, desc + _PRIVACY_NOTE, _fields_brescia(layout), rows,
                            primary_key=["n"],
                            foreign_keys=[COMUNE_FK] if layout == "prevenzione" else [],
                            lines_in=len(ledger.candidates)))
        rejects += ledger.rejects
    for n, t in doc.numbered():
        if not (m := VP_TITLE.match(t)):
            continue
        sede = m.group("sede")
        sec = section_at(secs, n, doc)
        rows, ledger = _val_padana(doc, ctx, acts, checks, n, sede, atc_by_sec.get(sec.start, {}))
        if rows is None:
            continue
        tables.append(Table(
            f"indennizzi_{sede.lower()}",
            f"Indennizzi danni da fauna selvatica - UTR Val Padana, sede di {sede.capitalize()}",
            f"Allegato del {sec.label}/2018 (UTR Val Padana - sede di {sede.capitalize()}): "
            "elenco dei beneficiari degli indennizzi dei danni da fauna selvatica, periodo 1 "
            "ottobre 2017 - 30 settembre 2018, per ambito territoriale di caccia. Ogni gruppo è "
            "chiuso da un subtotale stampato; dove il gruppo non è intitolato, l'ATC è quello "
            "del "
            "prospetto per ambito del decreto con lo stesso importo a carico Regione (colonna "
            "'Attribuzione dell'ATC')." + _PRIVACY_NOTE, _FIELDS_VAL_PADANA, rows,
            primary_key=["n"], lines_in=len(ledger.candidates)))
        rejects += ledger.rejects
    if transfers:
        tables.append(Table(
            "trasferimenti", "Trasferimenti della Regione agli ambiti di caccia",
            "Per ogni decreto, quanto la Regione impegna e liquida a ciascun ambito territoriale o "
            "comprensorio alpino di caccia (che paga poi le aziende) o al ruolo 'beneficiari "
            "diversi'. Le righe vengono dal prospetto per ambito con codice fiscale o, in sua "
            "assenza, dalla tabella degli impegni; le altre tabelle dello stesso decreto "
            "(liquidazioni, anagrafica, riparto per capitolo o tra Regione e ATC) completano le "
            "colonne e sono verificate riga per riga. Gli ambiti sono enti (codice fiscale "
            "numerico) e sono pubblicati per nome.",
            _FIELDS_TRANSFERS, transfers, primary_key=["atto", "n"], foreign_keys=[COMUNE_FK],
            lines_in=len(t_ledger.candidates)))
        rejects += t_ledger.rejects
    if not tables:
        return None, rejects
    ds = Dataset(
        "danni-fauna-selvatica-2018",
        "Indennizzi e contributi per danni da fauna selvatica 2018",
        "Indennizzi dei danni arrecati dalla fauna selvatica alle produzioni agricole e contributi "
        "per le opere di prevenzione (l. 157/1992, l.r. 26/1993 art. 47, d.g.r. X/5841/2016), "
        "periodo 1 ottobre 2017 - 30 settembre 2018: decreti degli Uffici territoriali regionali "
        "pubblicati nel BURL SO n. 47 del 22 novembre 2018.",
        tables, programme="danni-fauna-selvatica-2018",
        keywords=["fauna selvatica", "agricoltura", "indennizzi", "caccia", "ATC"])
    return ds, rejects


# == entry point ==========================================================================
def parse(doc, ctx, acts) -> ParseResult:
    """Every table of beneficiaries and amounts other than Fondo 0-6 and protezione civile."""
    result = ParseResult()
    checks = Checks(doc.id)
    for part in (_piscatorie, _fauna):
        ds, rejects = part(doc, ctx, acts, checks)
        if ds is not None:
            result.datasets.append(ds)
        result.rejects += rejects
    result.checks = checks.items
    result.private = sorted({(r["line_start"], r["line_end"]) for ds in result.datasets
                             for t in ds.tables for r in t.rows
                             if r.get("soggetto") == PERSONA_FISICA})
    return result
