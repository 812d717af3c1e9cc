"""Contributi di protezione civile, D.d.s. 16766/2018: the commitments tied to the annexes.

The two annexes (enti locali, associazioni) and the commitments by *ruolo* (``impegni``) are
read by the table spec ``data/specs/protezione-civile-2018-allegati.yaml``, which also
checks the commitments against the decree's total. This step ties the three tables
together: per destinatari, the commitments against the annex's total contributo
finanziato; per capitolo, against the amount the text declares on it; and each ruolo
covers a contiguous run of PROG rows of its annex (cumulative sums hit every boundary).
"""

from __future__ import annotations

from decimal import Decimal

from ...extract import Recorder, Table, total
from ...extract.cells import amount
from ...extract.result import act_at
from ...extract.text import Prose

DATASET = "protezione-civile-contributi-2018"
ANNEXES = ("enti_locali", "associazioni")


def complete(doc, result, rec: Recorder) -> None:
    """Check the ``impegni`` table of the spec against the annexes, if all are there."""
    ds = result.dataset(DATASET)
    tables = {t.name: t for t in (ds.tables if ds else []) if t.rows}
    annexes = {name: tables[name] for name in ANNEXES if name in tables}
    if "impegni" not in tables or not annexes:
        return
    act = act_at(result.acts, next(iter(annexes.values())).rows[0]["line_start"])
    if act is None:
        return
    for who, annex in annexes.items():
        _check_annex(doc, rec, tables["impegni"].rows, who, annex, act)


def _check_annex(doc, rec: Recorder, rows, who: str, annex: Table, act) -> None:
    mine = [r for r in rows if r["destinatari"] == who]
    fin = total(annex.rows, "contributo_finanziato")
    tot_line = annex.declared.get("totale:contributo_finanziato", (None, None))[1]
    rec.equal(
        f"pc:impegni:{who}",
        f"Impegni per {who} = totale del contributo finanziato nell'allegato",
        fin,
        total(mine, "anno_2018"),
        (mine[0]["line_start"] if mine else rows[0]["line_start"], tot_line),
    )
    chapters = {
        d.group(2): (amount(d.group(1)), d.line)
        for d in Prose(doc.lines, act.line_start, act.line_end).find_all(
            r"importo di euro ([\d.,]+) che trova copertura al capitolo (\d+)"
        )
    }
    for cap in sorted({r["capitolo"].rsplit(".", 1)[-1] for r in mine} & chapters.keys()):
        v, line = chapters[cap]
        rec.equal(
            f"pc:capitolo:{cap}",
            f"Contributo finanziato ({who}) = importo dichiarato sul capitolo {cap}",
            v,
            fin,
            (line, line),
        )
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
        rec.equal(
            f"pc:impegni:ruolo:{r['codice']}",
            f"Il ruolo {r['codice']} ({r['ruolo']}) è la somma di righe PROG "
            f"consecutive dell'allegato {who}" + (f" (PROG {prev + 1}-{last})" if last else ""),
            r["anno_2018"],
            total(block, "contributo_finanziato") if last else None,
            (r["line_start"], r["line_end"]),
            "" if last else "la somma cumulata dei contributi non raggiunge il confine del ruolo",
        )
        prev = last or prev
