"""``riparto:``, a fund shared among rows by counts: the amounts prove the counts.

Many allocation tables (``riparto``) give each row some counts (children, places,
pupils...) and, for each count column, an amount equal to the count times one constant
amount per unit: that column's share of the fund divided by the column's total. The
spec names the fund (a figure the act declares), each count column with its amount column
and share (figures of the header or the text), and the total column::

    riparto:
      fund: fondo
      total: totale_riparto
      counts_cell: conteggi          # the printed counts of a row (some rows print fewer)
      blank_note: conteggio_non_stampato
      columns:
        - {count: pop_0_6, amount: riparto_pop_0_6, share: quota_pop}

**Short rows.** A row may print fewer counts than there are columns (a blank cell, whose
amount is ``-``). The counts are placed in order so that each placed count times its unit
amount reproduces the printed amount (unit amounts first estimated from the complete
rows); when two placements fit (a printed 0 beside two ``-`` amounts) the column the table
leaves blank elsewhere decides; a row no placement fits is rejected.

**Checks** (ids ``<prefix>:...``): shares sum to 100%; the short rows placed; the row
totals sum to the fund (within half a cent per row); per column, the unit amount from the
decree equals the one from the data, the column sums to its share of the fund, and every
row's amount is its count times the unit amount rounded to the cent; every row's total is
the sum of its amounts (within 0.02) and the exact sum of counts times unit amounts.
"""

from __future__ import annotations

import itertools
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

from ..extract.cells import CENT
from ..extract.recorder import fmt_it


def _round(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def run(tr, rows: list[dict], raws) -> None:
    cfg = tr.t["riparto"]
    cols = cfg["columns"]
    counts_of = {raw.start: tr.cell(raw, cfg.get("counts_cell", "conteggi")) for raw in raws}
    amounts = [c["amount"] for c in cols]
    est, slack = _estimate(rows, counts_of, cols)
    by_convention, unplaced, n_short = _place(tr, rows, counts_of, cols, est, slack, cfg)
    fund = tr.figure(cfg["fund"])
    fund_line = tr.declared[cfg["fund"]][1]
    shares = [Decimal(tr.figure(c["share"]) or 0) / 100 for c in cols]
    sums = [sum(r[c["count"]] or 0 for r in rows) for c in cols]
    rates = (
        [shares[j] * fund / sums[j] if sums[j] else Decimal(0) for j in range(len(cols))]
        if fund is not None
        else est
    )
    tr.riparto_rates = rates
    first = rows[0]["line_start"] if rows else tr.region.start
    last = max(
        [r["line_end"] for r in rows]
        + [x.line for x in tr.rec.rejects if x.table == tr.name]
        + [first]
    )
    span = (first, last)
    p = tr.prefix
    rec = tr.rec
    total_shares = sum(shares)
    rec.check(
        f"{p}:shares",
        "Le quote del riparto stampate nell'intestazione sommano al 100%",
        "100%",
        f"{total_shares * 100:.0f}%",
        total_shares == 1,
        span[:1] * 2,
    )
    rec.check(
        f"{p}:missing-counts",
        "Righe con meno conteggi stampati che colonne: i conteggi "
        "sono collocati con gli importi (importo = conteggio × importo unitario)",
        n_short + len(unplaced),
        n_short,
        not unplaced,
        span,
        note=f"{n_short - len(by_convention)} collocate in modo univoco; {len(by_convention)} "
        "con due collocazioni equivalenti (uno 0 stampato e due riparti «-»), decise con "
        "la colonna vuota nelle altre righe della tabella"
        + (f" (righe {by_convention})" if by_convention else "")
        + (f"; non collocabili: righe {unplaced}" if unplaced else ""),
    )
    _fund_checks(tr, rows, cols, amounts, cfg, fund, fund_line, shares, sums, rates, span)
    _row_checks(tr, rows, cols, amounts, cfg, rates, span)


def _estimate(rows, counts_of, cols) -> tuple[list[Decimal], list[Decimal]]:
    """Amount per unit of each count column from the rows printing every count (sum of
    amounts / sum of counts), and its uncertainty from rounding the amounts to the cent."""
    full = [r for r in rows if len(counts_of[r["line_start"]]) == len(cols)]
    est, slack = [], []
    for j, c in enumerate(cols):
        pairs = [
            (counts_of[r["line_start"]][j], r[c["amount"]])
            for r in full
            if counts_of[r["line_start"]][j] > 0
        ]
        units = sum(n for n, _ in pairs)
        est.append(sum(a for _, a in pairs) / units if units else Decimal(0))
        slack.append(CENT / 2 * len(pairs) / units if units else Decimal(0))
    return est, slack


def placements(
    counts: list[int], amounts: list[Decimal], rates: list[Decimal], slack: list[Decimal]
) -> list[list[int | None]]:
    """Every order-preserving placement of the printed counts into the count columns that
    reproduces the printed amounts (within rounding of the estimated ``rates``); columns
    left blank must have a zero amount."""
    n = len(amounts)
    out = []
    for chosen in itertools.combinations(range(n), len(counts)):
        placed: list[int | None] = [None] * n
        for c, v in zip(chosen, counts):
            placed[c] = v
        if all(
            (abs(Decimal(v) * rates[j] - amounts[j]) <= CENT / 2 + v * slack[j])
            if v is not None
            else amounts[j] == 0
            for j, v in enumerate(placed)
        ):
            out.append(placed)
    return out


def _place(tr, rows, counts_of, cols, est, slack, cfg) -> tuple[list[int], list[int], int]:
    """Fill the count columns of every row; reject rows no placement fits."""
    ncol = len(cols)
    ambiguous, unplaced, blank_cols = [], [], Counter()
    n_short = 0
    for r in list(rows):
        counts = counts_of[r["line_start"]]
        if len(counts) == ncol:
            _fill(r, cols, counts, cfg)
            continue
        options = placements(counts, [r[c["amount"]] for c in cols], est, slack)
        if len(options) == 1:
            blank_cols.update(j for j, v in enumerate(options[0]) if v is None)
            _fill(r, cols, options[0], cfg)
            n_short += 1
        elif options:
            ambiguous.append((r, options))
        else:
            unplaced.append(
                _drop(
                    tr,
                    rows,
                    r,
                    f"{len(counts)} conteggi stampati su {ncol}: "
                    "nessuna collocazione riproduce gli importi stampati",
                )
            )
    # several placements give the same amounts only when a printed 0 could sit in either of
    # two columns whose amount is "-": the column left blank in the rows placed without
    # doubt decides which cell is the blank one.
    convention = blank_cols.most_common(1)[0][0] if blank_cols else None
    by_convention = []
    for r, options in ambiguous:
        pick = [o for o in options if convention is not None and o[convention] is None]
        if len(pick) == 1:
            _fill(r, cols, pick[0], cfg)
            by_convention.append(r["line_start"])
            n_short += 1
        else:
            unplaced.append(_drop(tr, rows, r, "collocazione dei conteggi ambigua"))
    return by_convention, sorted(unplaced), n_short


def _fill(row: dict, cols, placed, cfg) -> None:
    for c, v in zip(cols, placed):
        row[c["count"]] = v
    if cfg.get("blank_note"):
        row[cfg["blank_note"]] = (
            ", ".join(c["count"] for c, v in zip(cols, placed) if v is None) or None
        )


def _drop(tr, rows, row, reason) -> int:
    rows.remove(row)
    tr.rec.reject(tr.name, row["line_start"], reason)
    return row["line_start"]


def _fund_checks(tr, rows, cols, amounts, cfg, fund, fund_line, shares, sums, rates, span):
    rec, p = tr.rec, tr.prefix
    total = sum((r[cfg["total"]] for r in rows), Decimal(0))
    tol = CENT / 2 * len(rows)
    rec.check(
        f"{p}:fund-total",
        "Somma dei totali di riga = fondo dichiarato nel decreto "
        "(«pari complessivamente a €»), a meno dell'arrotondamento al centesimo di ogni "
        "riga",
        fund,
        total,
        fund is not None and abs(total - fund) <= tol,
        (fund_line or span[0],) * 2,
        note="fondo non trovato nel decreto"
        if fund is None
        else f"differenza {fmt_it(total - fund)} € (massimo ammesso ±{fmt_it(tol)} € per "
        f"{len(rows)} righe arrotondate al centesimo)",
    )
    if fund is None:
        return
    for j, c in enumerate(cols):
        label = c.get("label", c["amount"])
        nonzero = [r for r in rows if r[c["count"]]]
        data_rate = (sum(r[c["amount"]] for r in rows) / sums[j]) if sums[j] else Decimal(0)
        bound = CENT / 2 * len(nonzero) / sums[j] if sums[j] else Decimal(0)
        rec.check(
            f"{p}:unit-amount:{c['count']}",
            f"Importo unitario di «{label}»: dal "
            f"decreto ({shares[j] * 100:.0f}% del fondo / totale della colonna) e dai "
            "dati (somma degli importi / somma dei conteggi)",
            float(round(rates[j], 8)),
            float(round(data_rate, 8)),
            abs(data_rate - rates[j]) <= bound,
            span,
            note=f"{fmt_it(fund * shares[j])} € / {fmt_it(sums[j], 0)} = "
            f"{fmt_it(rates[j], 8)} € per unità; dai dati {fmt_it(data_rate, 8)} € "
            f"(scarto ammesso ±{fmt_it(bound, 8)} per {len(nonzero)} importi arrotondati)",
        )
        col_decl = _round(fund * shares[j])
        col_sum = sum(r[c["amount"]] for r in rows)
        col_tol = CENT / 2 * len(nonzero)
        rec.check(
            f"{p}:column-total:{c['count']}",
            f"Somma di «{label}» = {shares[j] * 100:.0f}% del fondo dichiarato",
            col_decl,
            col_sum,
            abs(col_sum - col_decl) <= col_tol,
            span,
            note=f"differenza {fmt_it(col_sum - col_decl)} € (massimo ±{fmt_it(col_tol)} € "
            f"per {len(nonzero)} importi arrotondati)",
        )


def _row_checks(tr, rows, cols, amounts, cfg, rates, span) -> None:
    rec, p = tr.rec, tr.prefix
    for j, c in enumerate(cols):
        label = c.get("label", c["amount"])
        rec.unit_amount(
            f"{p}:unit-amount-rows:{c['count']}",
            f"Ogni riga: «{label}» = "
            f"{c['count']} × {fmt_it(rates[j], 8)} €, arrotondato al centesimo",
            rows,
            c["count"],
            c["amount"],
            rates[j],
            span,
        )
    diffs, bad_sum, bad_exact = Counter(), [], []
    for r in rows:
        d = r[cfg["total"]] - sum(r[a] for a in amounts)
        diffs[d] += 1
        if abs(d) > CENT * 2:
            bad_sum.append(r["line_start"])
        exact = _round(sum(Decimal(r[c["count"]] or 0) * rates[j] for j, c in enumerate(cols)))
        if exact != r[cfg["total"]]:
            bad_exact.append(r["line_start"])
    spread = ", ".join(f"{fmt_it(d)}: {k}" for d, k in sorted(diffs.items()))
    rec.check(
        f"{p}:row-sums",
        "Ogni riga: somma dei riparti = totale (±0,02 €: il totale "
        "arrotonda la somma dei riparti non arrotondati)",
        len(rows),
        len(rows) - len(bad_sum),
        not bad_sum,
        span,
        note=f"differenze totale − somma (€: righe) {spread}"
        + (f"; fuori tolleranza: righe {bad_sum[:30]}" if bad_sum else ""),
    )
    rec.check(
        f"{p}:row-totals-exact",
        "Ogni riga: totale = somma dei conteggi per gli importi unitari, arrotondata al centesimo",
        len(rows),
        len(rows) - len(bad_exact),
        not bad_exact,
        span,
        f"righe incoerenti: {bad_exact[:30]}",
    )
