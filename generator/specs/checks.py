"""The checks a spec declares, run through the recorder's library of named checks.

==================  ==========================================================================
spec                what it proves
==================  ==========================================================================
``totals:``         every column of the printed totals line equals the sum of its column
``sequence``        the order numbers run 1..N (``printed``: a pattern reading the number of
                    every printed row, published or not, so a rejected row shows as a gap)
``declared_count``  the rows are as many as a count the text declares (``declared: name``)
``rows``            a rule holds on every row (``rule: "a + b == c"``); failures by line
``equal``           a declared figure equals an expression over the rows
                    (``parsed: "sum(importo)"``), within an optional ``tolerance``
``sorted``          a column is in ascending order (``strict``: no repeats)
``registry_code``   the ISTAT code printed in ``printed_column`` is the one the registry
                    gives for the row's comune name
``copies``          ``of: header``: repeated column headers are identical; ``of:
                    occurrences``: a table printed several times is the same every time
``complete``        every candidate row of the table is published (no rejected line)
==================  ==========================================================================

Each check gets the id ``<id_prefix>:<kind>[:<column>]`` unless the spec gives ``id``.
"""

from __future__ import annotations

import re
from decimal import Decimal

from ..extract.result import act_at
from .expr import evaluate, names


def run_checks(run, rows, regions, chosen, raws) -> None:
    _totals(run, rows)
    for c in run.t.get("checks") or []:
        kind = next(k for k in c if k in _KINDS)
        body = (
            c[kind]
            if isinstance(c[kind], dict)
            else {"column": c[kind]}
            if isinstance(c[kind], str)
            else {}
        )
        body = {**{k: v for k, v in c.items() if k != kind}, **body}
        if _optional_and_absent(run, body):
            continue
        _KINDS[kind](run, rows, body, regions, chosen)
    _facts(run, rows)


def _optional_and_absent(run, body: dict) -> bool:
    """A check on a figure declared ``optional`` that the text does not print is skipped."""
    used = {body["declared"]} if isinstance(body.get("declared"), str) else set()
    for key in ("rule", "parsed", "tolerance", "where"):
        if body.get(key):
            used |= names(str(body[key]))
    declared = run.t.get("declared") or {}
    return any(
        declared[n].get("optional") and run.declared.get(n, (None,))[0] is None
        for n in used
        if n in declared
    )


def _id(run, body: dict, *parts: str) -> str:
    """``<id_prefix>:<parts>``; a spec's ``id`` replaces the parts (``id_prefix: ""``: the
    ids are the parts alone)."""
    given = body.get("id")
    return ":".join(p for p in [run.prefix, *([given] if given else parts)] if p)


def _span(rows) -> tuple:
    return (rows[0]["line_start"], rows[-1]["line_end"]) if rows else (None, None)


def _lines(run, body: dict, rows, figure, default: tuple) -> tuple:
    """The lines a check points at: ``default``, or with ``lines: all`` from the first to
    the last line of the rows and of the declared figure together."""
    if body.get("lines") != "all":
        return default
    spans = [s for s in (_span(rows), run.declared_lines.get(figure)) if s and s[0]]
    return (min(a for a, _ in spans), max(b for _, b in spans)) if spans else (None, None)


def _totals(run, rows) -> None:
    tot = run.t.get("totals")
    if not tot:
        return
    cols = list(tot["columns"])
    rec, cid = run.rec, f"{run.prefix}:totale"
    first = rows[0]["line_start"] if rows else run.region.start
    if run.totals is None:
        if tot.get("required", True):
            rec.check(
                cid,
                "Riga dei totali stampata in calce alla tabella",
                1,
                0,
                False,
                (first, run.region.end),
                "riga dei totali non trovata",
            )
        return
    line, printed = run.totals
    if len(printed) != len(cols):
        rec.check(
            cid,
            "Riga dei totali con un importo per colonna",
            len(cols),
            len(printed),
            False,
            (line, line),
            "numero di importi inatteso",
        )
        return
    for col, v in zip(cols, printed):
        rec.column_total(f"{cid}:{col}", f"Totale stampato della colonna {col}", rows, col, v, line)


def _sequence(run, rows, body, regions, chosen) -> None:
    col = body.get("column", "n")
    if body.get("by"):  # numbering restarts in each block (e.g. province)
        groups: dict = {}
        for r in rows:
            groups.setdefault(r.get(body["by"]), []).append(r)
        for key, members in groups.items():
            nums = [r[col] for r in members]
            # one check per block, its id naming the block (a spec's ``id`` too: ids are
            # unique within a document, the quality page links each)
            run.rec.sequence(
                f"{_id(run, body, col)}:{key}",
                body.get("description", f"Numeri d'ordine ({col}) da 1 a N")
                + f" ({body['by']} {key})",
                nums,
                _span(members),
                body.get("explanation", ""),
            )
        return
    nums = [r[col] for r in rows]
    last = None
    if body.get("printed"):
        rx = re.compile(body["printed"])
        printed = [int(m.group(1)) for n in run.row_starts if (m := rx.match(run.doc.line(n)))]
        last = max(printed, default=0)
    first = rows[0]["line_start"] if rows else chosen.start
    end = run.totals[0] if run.totals else (rows[-1]["line_end"] if rows else chosen.end)
    run.rec.sequence(
        _id(run, body, col),
        body.get(
            "description",
            f"Righe pubblicate = numeri d'ordine ({col}) da 1 all'ultimo stampato, in ordine",
        ),
        nums,
        (first, end),
        body.get(
            "explanation", "numeri d'ordine mancanti, ripetuti, fuori ordine o righe scartate"
        ),
        declared_last=last,
    )


def _declared_count(run, rows, body, regions, chosen) -> None:
    name = body["declared"]
    value, line = run.declared.get(name, (None, None))
    run.rec.declared_count(
        _id(run, body, "numero", name),
        body.get("description", "Numero di righe della tabella = numero dichiarato nel testo"),
        int(value) if value is not None else None,
        len(rows),
        _lines(run, body, rows, name, (line, line)),
        body.get("explanation", ""),
    )


def _rows(run, rows, body, regions, chosen) -> None:
    rule = body["rule"]
    if body.get("where"):
        rows = [r for r in rows if evaluate(body["where"], lambda k, r=r: _row_value(run, r, k))]
    run.rec.rows(
        _id(run, body, "righe"),
        body.get("description", f"Per ogni riga: {rule}"),
        rows,
        lambda r: bool(evaluate(rule, lambda k: _row_value(run, r, k))),
        body.get("what", "la regola"),
    )


def _row_value(run, row: dict, name: str):
    if name in row:
        return row[name]
    if name in run.declared:
        return run.declared[name][0]
    return None


def _table_value(run, rows, name: str):
    if name in run.declared:
        return run.declared[name][0]
    raise KeyError(name)


def _equal(run, rows, body, regions, chosen) -> None:
    decl = body["declared"]
    if isinstance(decl, str):
        declared, line = run.declared.get(decl, (None, None))
    else:
        declared, line = Decimal(str(decl)), None
    lookup = lambda k: _table_value(run, rows, k)  # noqa: E731
    parsed = evaluate(body["parsed"], lookup, rows)
    tol = evaluate(body["tolerance"], lookup, rows) if body.get("tolerance") else 0
    if body.get("type") == "integer":  # counts: a whole number is published as one
        declared, parsed = (
            int(v) if v is not None and v == int(v) else v for v in (declared, parsed)
        )
    lines = _lines(run, body, rows, decl, (line, line) if line else _span(rows))
    run.rec.equal(
        _id(run, body, "dichiarato", decl if isinstance(decl, str) else ""),
        body.get("description", f"{body['parsed']} = valore dichiarato"),
        declared,
        parsed,
        lines,
        body.get("explanation", ""),
        tolerance=tol,
    )


def _sorted(run, rows, body, regions, chosen) -> None:
    col = body.get("column")
    run.rec.sorted(
        _id(run, body, "ordine", col),
        body.get("description", f"Colonna {col} in ordine crescente"),
        rows,
        lambda r: r[col],
        strict=body.get("strict", True),
    )


def _registry_code(run, rows, body, regions, chosen) -> None:
    col = body["printed_column"]
    bad = [r for r in rows if r.get("istat") != r.get(col)]
    run.rec.check(
        _id(run, body, "istat-registro"),
        body.get(
            "description",
            "Codice ISTAT stampato = codice che il registro dei comuni dà per il nome",
        ),
        len(rows),
        len(rows) - len(bad),
        not bad,
        _span(rows),
        "; ".join(
            f"riga {r['line_start']} {r.get('comune')}: stampato {r.get(col)}, registro "
            f"{r.get('istat') or 'non risolto'} ({r.get('resolution_method')})"
            for r in bad[:30]
        ),
    )


def _copies(run, rows, body, regions, chosen) -> None:
    if body.get("of") == "header":
        blocks = run.header_blocks
        if not blocks:
            return
        ref = blocks[0][2]
        run.rec.copies(
            _id(run, body, "intestazioni"),
            body.get(
                "description", "Le intestazioni di colonna ripetute sono identiche alla prima"
            ),
            [b[2] for b in blocks],
            [ref] * len(blocks),
            (blocks[0][0], blocks[-1][0]),
            "intestazioni diverse alle righe " + str([b[0] for b in blocks if b[2] != ref]),
        )
        return
    key = list(body.get("key") or [])
    mine = [tuple(r.get(k) for k in key) for r in rows]
    for j, reg in enumerate([r for r in regions if r is not chosen], start=1):
        other = run.__class__(run.spec, run.t, run.doc, run.ctx, run.acts, _Scratch(run.doc))
        theirs = [tuple(r.get(k) for k in key) for r in other.build(other.read(reg))]
        run.rec.copies(
            _id(run, body, "copia", str(j)),
            body.get(
                "description",
                f"La tabella alle righe {reg.start}-{reg.end} è identica a quella "
                f"pubblicata (righe {chosen.start}-{chosen.end})",
            ),
            theirs,
            mine,
            (reg.start, reg.end),
            "le copie della tabella differiscono",
        )


class _Scratch:
    """A recorder that forgets: reading another printing of a table only to compare it."""

    def __init__(self, doc):
        from ..extract.recorder import Recorder

        self._rec = Recorder(doc)

    def __getattr__(self, name):
        return getattr(self._rec, name)


def _complete(run, rows, body, regions, chosen) -> None:
    rejected = [x for x in run.rec.rejects if x.table == run.name]
    run.rec.check(
        _id(run, body, "rows-published"),
        body.get("description", "Ogni riga candidata della tabella è pubblicata"),
        len(rows) + len(rejected),
        len(rows),
        not rejected,
        _span(rows),
        note=f"{len(rejected)} righe scartate; " + _skipped(run),
    )


def _skipped(run) -> str:
    """What the table's region held besides rows: e.g. '96 righe di intestazione di colonna
    (4 blocchi), 2 righe di intestazione di pagina'."""
    parts = []
    if run.skipped.get("intestazione di colonna"):
        parts.append(
            f"{run.skipped['intestazione di colonna']} righe di intestazione di "
            f"colonna ({len(run.header_blocks)} blocchi)"
        )
    names = {
        "skip": "righe di intestazione di pagina o di separazione",
        "heading": "intestazioni di blocco",
        "totals": "riga dei totali",
    }
    parts += [f"{run.skipped[k]} {v}" for k, v in names.items() if run.skipped.get(k)]
    return "saltate " + (", ".join(parts) if parts else "nessuna riga")


def _facts(run, rows) -> None:
    for f in run.t.get("facts") or []:
        v = f["value"]
        if v in run.declared:
            value, line = run.declared[v]
            lines = run.declared_lines.get(v, (line, line))
        else:
            value = evaluate(v, lambda k: _table_value(run, rows, k), rows)
            rejected = [x.line for x in run.rec.rejects if x.table == run.name]
            lines = (
                run.region.start,
                max([r["line_end"] for r in rows] + rejected + [run.region.start]),
            )
        if (
            isinstance(value, Decimal)
            and value == value.to_integral_value()
            and f.get("unit") != "EUR"
        ):
            value = int(value)
        act = act_at(run.acts, lines[0]) if lines[0] else None
        run.rec.fact(
            f["label"],
            value,
            f.get("unit"),
            lines,
            dataset=run.spec.dataset["name"],
            act_id=act.id if act else "",
            note=f.get("note"),
        )


_KINDS = {
    "sequence": _sequence,
    "declared_count": _declared_count,
    "rows": _rows,
    "equal": _equal,
    "sorted": _sorted,
    "registry_code": _registry_code,
    "copies": _copies,
    "complete": _complete,
}
