"""Contributi di protezione civile, D.d.s. 16766/2018: the commitments by *ruolo*.

The two annexes (enti locali, associazioni) are read by the table spec
``data/specs/protezione-civile-2018-allegati.yaml``. The act also prints the commitments
by ruolo (``Beneficiario/Ruolo Codice Capitolo Anno 2018 ...``): this step reads them once
the annexes exist and ties the three tables together. Checks: the commitments against
the decree's total (``somma complessiva di Euro``); per destinatari, against the annex's
total contributo finanziato; per capitolo, against the amount the text declares on it;
and that each ruolo covers a contiguous run of PROG rows of its annex (cumulative sums
hit every boundary).
"""
from __future__ import annotations

import re
from decimal import Decimal

from ...extract import Recorder, Table, euro, field, provenance, total
from ...extract.cells import amount
from ...extract.result import act_at
from ...extract.text import Prose, operative_start
from .prospetti import ruolo_tables

DATASET = "protezione-civile-contributi-2018"
ANNEXES = ("enti_locali", "associazioni")

_IMPEGNI_FIELDS = [
    field("n", "integer", "N.", "Ordine nella tabella degli impegni", required=True),
    field("ruolo", "string", "Ruolo", "Beneficiario/ruolo come stampato", required=True),
    field("destinatari", "string", "Destinatari", "enti_locali o associazioni",
          enum=list(ANNEXES)),
    field("codice", "string", "Codice", required=True),
    field("capitolo", "string", "Capitolo di bilancio"),
    euro("anno_2018", "Anno 2018"),
    euro("anno_2019", "Anno 2019"),
    euro("anno_2020", "Anno 2020"),
]


def complete(doc, result, rec: Recorder) -> None:
    """Add the ``impegni`` table and its checks to the dataset of the annexes, if any."""
    ds = result.dataset(DATASET)
    annexes = {t.name: t for t in (ds.tables if ds else []) if t.name in ANNEXES and t.rows}
    if not annexes:
        return
    act = act_at(result.acts, next(iter(annexes.values())).rows[0]["line_start"])
    if act is None:
        return
    rows = _impegni(doc, result, rec, act.line_start, act.line_end)
    if not rows:
        return
    _check_decree(doc, rec, rows, act)
    for who, annex in annexes.items():
        _check_annex(doc, rec, rows, who, annex, act)
    ds.tables.append(Table(
        "impegni", "Impegni per ruolo",
        "Impegni di spesa del decreto per ruolo (gruppo di beneficiari), con codice, capitolo "
        "di bilancio e importo per anno. La colonna 'Destinatari' viene dalla parola ENTI o "
        "ASSOCIAZIONI del ruolo; ogni ruolo corrisponde a righe PROG consecutive del rispettivo "
        "allegato (verificato con le somme cumulate).",
        _IMPEGNI_FIELDS, rows, primary_key=["codice"]))


def _impegni(doc, result, rec: Recorder, start: int, end: int) -> list[dict]:
    tabs = [p for p in ruolo_tables(doc, start, end) if p.rows and "years" in p.rows[0]]
    rec.candidate("impegni", [])
    if not tabs:
        return []
    rows = []
    for i, r in enumerate(tabs[0].rows, start=1):
        rec.candidate("impegni", range(r["line_start"], r["line"] + 1))
        if r["amount"] is None or len(r["years"]) != 3:
            rec.reject("impegni", r["line"], "importi per anno non leggibili")
            continue
        who = "enti_locali" if re.search(r"\bENTI\b", r["name"]) else \
            "associazioni" if re.search(r"\bASSOCIAZIONI\b", r["name"]) else None
        a = act_at(result.acts, r["line_start"])
        rows.append({"n": i, "ruolo": r["name"], "destinatari": who, "codice": r["code"],
                     "capitolo": r["capitolo"], "anno_2018": r["years"][0],
                     "anno_2019": r["years"][1], "anno_2020": r["years"][2],
                     **provenance(doc.id, r["line_start"], r["line"], a.id if a else "")})
    return rows


def _check_decree(doc, rec: Recorder, rows: list[dict], act) -> None:
    prose = Prose(doc.lines, operative_start(doc.lines, act.line_start, act.line_end),
                  act.line_end)
    d = prose.find(r"somma complessiva di Euro ([\d.,]+)")
    if d:
        rec.equal("pc:impegni:decreto", "Somma degli impegni = somma complessiva impegnata dal "
                  "decreto", amount(d.group(1)), total(rows, "anno_2018"), (d.line, d.line))


def _check_annex(doc, rec: Recorder, rows, who: str, annex: Table, act) -> None:
    mine = [r for r in rows if r["destinatari"] == who]
    fin = total(annex.rows, "contributo_finanziato")
    tot_line = annex.declared.get("totale:contributo_finanziato", (None, None))[1]
    rec.equal(f"pc:impegni:{who}", f"Impegni per {who} = totale del contributo finanziato "
              "nell'allegato", fin, total(mine, "anno_2018"),
              (mine[0]["line_start"] if mine else rows[0]["line_start"], tot_line))
    chapters = {d.group(2): (amount(d.group(1)), d.line) for d in Prose(
        doc.lines, act.line_start, act.line_end).find_all(
        r"importo di euro ([\d.,]+) che trova copertura al capitolo (\d+)")}
    for cap in sorted({r["capitolo"].rsplit(".", 1)[-1] for r in mine} & chapters.keys()):
        v, line = chapters[cap]
        rec.equal(f"pc:capitolo:{cap}", f"Contributo finanziato ({who}) = importo dichiarato "
                  f"sul capitolo {cap}", v, fin, (line, line))
    _check_ruolo_runs(rec, mine, who, annex)


def _check_ruolo_runs(rec: Recorder, mine: list[dict], who: str, annex: Table) -> None:
    """Each ruolo covers a contiguous run of PROG rows: cumulative sums hit every boundary."""
    ordered = sorted(annex.rows, key=lambda r: r["n"])
    cum, bounds = Decimal("0.00"), {}
    for r in ordered:
        cum += r["contributo_finanziato"]
        bounds[cum] = r["n"]
    acc, prev = Decimal("0.00"), 0
    for r in mine:
        acc += r["anno_2018"]
        last = bounds.get(acc)
        block = [a for a in ordered if prev < a["n"] <= last] if last else []
        rec.equal(f"pc:impegni:ruolo:{r['codice']}",
                  f"Il ruolo {r['codice']} ({r['ruolo']}) è la somma di righe PROG "
                  f"consecutive dell'allegato {who}" +
                  (f" (PROG {prev + 1}-{last})" if last else ""),
                  r["anno_2018"], total(block, "contributo_finanziato") if last else None,
                  (r["line_start"], r["line_end"]),
                  "" if last else "la somma cumulata dei contributi non raggiunge il "
                  "confine del ruolo")
        prev = last or prev
