"""Wildlife-damage acts (l.r. 26/1993 art. 47): transfers to hunting districts, Val Padana lists.

The UTR Brescia annexes are read by the table spec ``data/specs/danni-fauna-brescia-2018.yaml``;
this step, which runs after it, reads what no spec can describe and ties the tables together
(the spec declares these tables too, ``parser: true``: their columns, and the checks it can
state on their rows):

* ``trasferimenti`` -- for every decree, what the Region commits and pays to each hunting
  district (ATC/CA) or collective *ruolo*. Rows come from the ``Ambito C.F.`` table when the
  act has one, else from the commitment table; the act's other prospetti (payments, master
  data, per-capitolo split, Region/ATC split) enrich the rows and are verified against
  them, pairing by ATC key or by position (:mod:`.prospetti`); a UTR Brescia annex must
  pay, per ambito and in total, what the transfers say.
* ``indennizzi_<sede>`` -- the UTR Val Padana list of each seat (Mantova, Cremona): rows in
  groups per ATC, each group closed by an unlabelled subtotal line, then a grand-total block
  (``IMPORTO COMPLESSIVO ...``). A group whose header does not name its ATC is attributed
  to the one ambito of the decree's per-ATC table with the same Region subtotal, and the
  attribution is published (``ambito_metodo``).

Privacy: natural persons (16-character CUAA) become "Persona fisica n. k" (see
``generator/extract/persons.py``); their rows' lines are withheld from the document page.
"""

from __future__ import annotations

import re

from ... import specs
from ...extract import NO_RESOLUTION, Recorder, Table, provenance, resolution_fields, total
from ...extract.cells import AMT, amount
from ...extract.result import act_at
from ...extract.text import Prose, operative_start
from ...specs.engine import table_private
from .prospetti import (
    Prospetto,
    anagrafica_tables,
    atc_cf_tables,
    atc_key,
    riparto_tables,
    ruolo_tables,
    split_tables,
)
from .val_padana import VP_TITLE, ValPadana

DATASET = "danni-fauna-selvatica-2018"
SPEC = "danni-fauna-brescia-2018"
BRESCIA = ("prevenzione_brescia", "indennizzi_brescia")


def complete(doc, ctx, result, rec: Recorder) -> None:
    """Transfers of every wildlife-damage decree, then the Val Padana lists (whose groups
    need the per-ATC amounts of their decree); their columns and row checks are declared in
    the spec (``parser: true`` tables)."""

    def table(name: str, rows: list[dict], lines: tuple[int, int], **fill: str) -> Table:
        return specs.parser_table(SPEC, name, doc, ctx, result.acts, rec, rows, lines, **fill)

    ds = result.dataset(DATASET)
    annexes = {}
    for t in ds.tables if ds else []:
        if t.name in BRESCIA and t.rows:
            a = act_at(result.acts, t.rows[0]["line_start"])
            annexes[a.line_start if a else 0] = t
    transfers, atc_by_act = [], {}
    for act in result.acts:
        if act.line_start not in annexes and not any(
            p.rows for p in atc_cf_tables(doc, act.line_start, act.line_end)
        ):
            continue
        rows, atc_amounts = _transfers(doc, ctx, result.acts, rec, act, annexes.get(act.line_start))
        transfers += rows
        atc_by_act[act.line_start] = atc_amounts
    tables = []
    for n, t in doc.numbered():
        if VP_TITLE.match(t):
            vp = ValPadana(doc, result.acts, rec, n, atc_by_act)
            if (rows := vp.rows()) is not None:
                tables.append(
                    table(
                        "indennizzi_{sede}",
                        rows,
                        (n, vp.last),
                        sede=vp.sede.lower(),
                        sede_nome=vp.sede.capitalize(),
                    )
                )
    if transfers:
        tables.append(
            table(
                "trasferimenti", transfers, (transfers[0]["line_start"], transfers[-1]["line_end"])
            )
        )
    if not tables:
        return
    if ds is None:
        ds = specs.declared_dataset(SPEC, doc, result)
    ds.tables += tables
    result.private += [lines for t in tables for lines in table_private(t)]


# -- transfers to hunting districts --------------------------------------------------------
def _transfers(doc, ctx, acts, rec: Recorder, act, annex: Table | None):
    """The per-beneficiary transfer of one act (module docstring). Returns (rows, ``{ambito:
    (importo a carico Regione, line)}``)."""
    tag = f"trasferimenti:{act.number}"
    cf_tabs = atc_cf_tables(doc, act.line_start, act.line_end)
    ruoli = ruolo_tables(doc, act.line_start, act.line_end)
    commitments = [p for p in ruoli if p.rows and "years" in p.rows[0]]
    payments = [p for p in ruoli if p.rows and "impegno" in p.rows[0]]
    if cf_tabs:
        rows = _rows_from_cf_table(doc, rec, act, cf_tabs[0], tag)
    elif commitments:
        anag = {a["code"]: a for a in anagrafica_tables(doc, act.line_start, act.line_end)}
        rows = _rows_from_commitments(doc, rec, commitments[0], anag)
    else:
        return [], {}
    _check_ruoli(rec, tag, rows, commitments, payments, bool(cf_tabs))
    _check_splits(rec, tag, rows, split_tables(doc, act.line_start, act.line_end))
    _check_riparti(rec, tag, rows, riparto_tables(doc, act.line_start, act.line_end))
    if annex is not None:
        _check_annex(rec, tag, rows, annex)
    out = [_transfer_row(doc, ctx, acts, act, i, r) for i, r in enumerate(rows, start=1)]
    return out, {r["ambito"]: (r["importo_regione"], r["line_start"]) for r in out if r["ambito"]}


def _rows_from_cf_table(doc, rec: Recorder, act, primary: Prospetto, tag: str) -> list[dict]:
    rows = []
    for r in primary.rows:
        rec.candidate("trasferimenti", [r["line"]])
        rows.append(
            {
                "beneficiario": r["name"],
                "ambito": atc_key(r["name"]),
                "codice_fiscale": r["cf"],
                "importo_regione": r["amount"],
                "_line": r["line"],
                "_end": r["line"],
            }
        )
    tot = sum(r["importo_regione"] for r in rows)
    if primary.total_line:
        rec.equal(
            f"{tag}:totale",
            "Totale stampato del prospetto per ambito",
            primary.total[0] if primary.total else None,
            tot,
            (primary.total_line,) * 2,
        )
    else:
        d = Prose(
            doc.lines, operative_start(doc.lines, act.line_start, act.line_end), act.line_end
        ).find(r"somma complessiva di € ?(" + AMT + ")")
        if d:
            rec.equal(
                f"{tag}:totale",
                "Somma del prospetto per ambito (senza riga di totale) = "
                "somma complessiva dichiarata nel dispositivo",
                amount(d.group(1)),
                tot,
                (d.line, d.line),
            )
    return rows


def _rows_from_commitments(doc, rec: Recorder, primary: Prospetto, anag: dict) -> list[dict]:
    rows = []
    for r in primary.rows:
        lines = range(r["line_start"], r["line"] + 1)
        rec.candidate("trasferimenti", lines)
        if r["amount"] is None:
            for n in lines:
                if doc.line(n).strip():
                    rec.reject("trasferimenti", n, "importo dell'impegno non leggibile")
            continue
        a = anag.get(r["code"], {})
        rows.append(
            {
                "beneficiario": a.get("name") or r["name"],
                "ambito": atc_key(r["name"]),
                "codice_beneficiario": r["code"],
                "codice_fiscale": a.get("cf"),
                "partita_iva": a.get("piva"),
                "indirizzo": a.get("address"),
                "capitolo": r["capitolo"],
                "importo_regione": r["amount"],
                "_line": r["line_start"],
                "_end": r["line"],
            }
        )
    return rows


def _check_ruoli(rec, tag, rows, commitments, payments, from_cf: bool) -> None:
    """Commitments and payments repeat the beneficiaries and amounts (and give codes)."""
    for kind, tabs in (("impegni", commitments), ("liquidazioni", payments)):
        for ti, p in enumerate(tabs, start=1):
            if from_cf or kind == "liquidazioni" or ti > 1:
                pairs = pair(rows, p.rows)
                good = sum(1 for x, y in pairs if x and y and x["importo_regione"] == y["amount"])
                rec.check(
                    f"{tag}:{kind}:{ti}",
                    f"La tabella degli {kind} (righe {p.start}-"
                    f"{p.end}) riporta gli stessi beneficiari e importi",
                    len(rows),
                    good,
                    good == len(pairs) and len(p.rows) == len(rows),
                    (p.start, p.end),
                    "; ".join(p.errors) or "beneficiari o importi diversi",
                )
                for x, y in pairs:
                    if x is not None and y is not None:
                        x.setdefault("codice_beneficiario", y["code"])
                        x.setdefault("capitolo", y["capitolo"])
            if p.total_line:
                rec.equal(
                    f"{tag}:{kind}:{ti}:totale",
                    f"Totale stampato della tabella degli {kind}",
                    p.total[0],
                    sum(y["amount"] or 0 for y in p.rows),
                    (p.total_line,) * 2,
                )


def _check_splits(rec, tag, rows, splits: list[Prospetto]) -> None:
    """The per-capitolo prospetto: indennizzi + prevenzione = the ambito's amount."""
    for si, p in enumerate(splits, start=1):
        pairs = pair(rows, p.rows)
        for x, y in pairs:
            if x is not None and y is not None:
                x["importo_indennizzi"] = y.get("indennizzo")
                x["importo_prevenzione"] = y.get("prevenzione")
                x["ambito"] = x["ambito"] or atc_key(y["name"])
        ok = [
            x is not None
            and y is not None
            and y.get("indennizzo", 0) + y.get("prevenzione", 0) == x["importo_regione"]
            for x, y in pairs
        ]
        rec.check(
            f"{tag}:capitoli:{si}",
            "Per ogni ambito, indennizzi + prevenzione (prospetto "
            "per capitolo) = importo del prospetto per ambito",
            len(rows),
            sum(ok),
            all(ok) and len(p.rows) == len(rows),
            (p.start, p.end),
            "ambiti o importi diversi tra i due prospetti",
        )
        if p.total_line and p.total:
            for c, v in zip(["indennizzo", "prevenzione", "totale"], p.total):
                got = (
                    sum(y.get(c, 0) for y in p.rows)
                    if c != "totale"
                    else sum(y.get("indennizzo", 0) + y.get("prevenzione", 0) for y in p.rows)
                )
                rec.equal(
                    f"{tag}:capitoli:{si}:totale:{c}",
                    f"Totale stampato del prospetto per capitolo, colonna {c}",
                    v,
                    got,
                    (p.total_line,) * 2,
                )


def _check_riparti(rec, tag, rows, riparti: list[Prospetto]) -> None:
    """The Region/ATC split (and its reprints): same Region amounts, rows that add up."""
    for ri, p in enumerate(riparti, start=1):
        if ri > 1:
            ref = riparti[0]
            rec.copies(
                f"{tag}:riparto:copia:{ri}",
                f"La copia del riparto alle righe {p.start}-"
                f"{p.end} è identica a quella alle righe {ref.start}-{ref.end}",
                _riparto_cells(p),
                _riparto_cells(ref),
                (p.start, p.end),
                "; ".join(p.errors) or "le copie differiscono",
            )
            continue
        pairs = pair(rows, p.rows)
        for x, y in pairs:
            if x is not None and y is not None:
                x["importo_atc"], x["importo_complessivo"] = y["atc"], y["complessivo"]
        good = sum(1 for x, y in pairs if x and y and y["regione"] == x["importo_regione"])
        rec.check(
            f"{tag}:riparto",
            f"Il riparto Regione/ATC (righe {p.start}-{p.end}) riporta "
            "gli stessi importi a carico Regione del prospetto per ambito",
            len(rows),
            good,
            len(p.rows) == len(rows) and good == len(pairs),
            (p.start, p.end),
            "; ".join(p.errors) or "importi diversi",
        )
        full = [y for y in p.rows if None not in (y["regione"], y["atc"], y["complessivo"])]
        bad = [y["line"] for y in full if y["regione"] + y["atc"] != y["complessivo"]]
        rec.check(
            f"{tag}:riparto:righe",
            "Regione + ATC = importo complessivo, per ogni ambito del riparto",
            len(p.rows),
            len(full) - len(bad),
            not bad and len(full) == len(p.rows),
            (p.start, p.end),
            f"righe {', '.join(map(str, bad))}: la somma non torna" if bad else "; ".join(p.errors),
        )
        if p.total_line and p.total and len(p.total) == 3:
            for c, v in zip(("regione", "atc", "complessivo"), p.total):
                vals = [y[c] for y in p.rows]
                got = sum(vals) if None not in vals else None
                rec.equal(
                    f"{tag}:riparto:totale:{c}",
                    f"Totale stampato del riparto Regione/ATC, colonna {c}",
                    v,
                    got,
                    (p.total_line,) * 2,
                    "" if got is not None else "importi illeggibili nel prospetto",
                )


def _check_annex(rec, tag, rows, annex: Table) -> None:
    """The act's UTR Brescia annex pays, in total and per ambito, what the transfers say."""
    if "totale:quota_regione" in annex.declared:
        value, line = annex.declared["totale:quota_regione"]
        rec.equal(
            f"{tag}:allegato",
            "Trasferimenti a carico Regione = totale a carico Regione "
            "stampato nell'allegato dei beneficiari",
            value,
            sum(r["importo_regione"] for r in rows),
            (line, line),
        )
    for r in rows:
        if r.get("ambito"):
            mine = [a for a in annex.rows if a["ambito"] == r["ambito"]]
            rec.equal(
                f"{tag}:allegato:{r['ambito']}",
                f"Trasferimento a {r['ambito']} = somma "
                f"delle quote Regione delle righe dell'allegato di {r['ambito']}",
                r["importo_regione"],
                total(mine, "quota_regione"),
                (r["_line"], r["_end"]),
            )


def _transfer_row(doc, ctx, acts, act, i: int, r: dict) -> dict:
    """A published row: the act, the order, the columns read (the spec's columns the row
    lacks stay empty) and the comune of the beneficiary's address, resolved."""
    row = {"atto": f"{act.type} n. {act.number}", "n": i}
    row.update((k, v) for k, v in r.items() if not k.startswith("_"))
    comune, prov = comune_from_address(r.get("indirizzo"))
    res = ctx.resolve(comune, r["_line"], province=prov) if comune else None
    row.update(
        comune_sede=comune,
        provincia_sede=prov,
        **(resolution_fields(res) if res else NO_RESOLUTION),
    )
    a = act_at(acts, r["_line"])
    return row | provenance(doc.id, r["_line"], r["_end"], a.id if a else "")


def _riparto_cells(p: Prospetto) -> list[tuple]:
    return [(y["name"], y["regione"], y["atc"], y["complessivo"]) for y in p.rows]


def pair(rows: list[dict], others: list[dict]) -> list[tuple[dict | None, dict | None]]:
    """Pair rows of two prospetti of the same act: by ATC key when both carry one, else by
    position (the prospetti list the ambiti in the same order)."""
    keys = [r.get("ambito") for r in rows]
    okeys = [atc_key(o["name"]) for o in others]
    if all(keys) and all(okeys) and len(set(keys)) == len(keys):
        idx = dict(zip(okeys, others))
        pairs = [(r, idx.get(k)) for r, k in zip(rows, keys)]
        return pairs + [(None, o) for k, o in zip(okeys, others) if k not in keys]
    n = max(len(rows), len(others))
    return [
        (rows[i] if i < len(rows) else None, others[i] if i < len(others) else None)
        for i in range(n)
    ]


def comune_from_address(address: str | None) -> tuple[str | None, str | None]:
    """``'VIA ROMA N. 41 25057 SALE MARASINO (BS)'`` -> ``('SALE MARASINO', 'BS')``."""
    if not address:
        return None, None
    m = re.search(
        r"\b\d{5}\s+(?P<comune>[A-ZÀ-Ý][A-ZÀ-Ý' .-]*?)\s*\((?P<prov>[A-Z]{2})\)\s*$", address
    )
    return (m.group("comune"), m.group("prov")) if m else (None, None)
