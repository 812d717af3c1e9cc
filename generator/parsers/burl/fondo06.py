"""Allegato A of the Fondo nazionale 0-6 riparto: one row per comune.

The table (D.d.s. 14 novembre 2018 n. 16506 in BURL SO 47/2018) has 11 columns::

    Codice ISTAT | Denominazione Comune | POP. 0-6 ANNI | POSTI IN ESERCIZIO PRIMA INFANZIA
    | ISCRITTI SCUOLE PARITARIE | ISCRITTI SEZIONI PRIMAVERA | Riparto 30% su pop. 0-6 anni
    | Riparto 50% su posti prima infanzia | Riparto 15% su iscritti scuole paritarie
    | Riparto 5% su iscritti sezioni primavera | TOTALE RIPARTO

Its column header is printed as a block of fragments over ~36 lines and repeated after
some page breaks; running page headers may also interrupt it. Each data row is one line:
code, name, the counts, then four amounts and the total (``-`` for zero).

Hazard: some rows print fewer integers than there are count columns (a blank cell, whose
riparto is ``-``). The integers are placed with the amounts: each riparto is the count
times a constant amount per unit (share × fund / column total), so only one placement of
the printed integers reproduces the printed amounts. The constants are first estimated
from the complete rows, then recomputed exactly from the fund declared in the decree
(``pari complessivamente a € …``) and checked on every row.
"""
from __future__ import annotations

import itertools
import re
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

from ...quality import Check, Reject
from ..base import (COMUNE_FK, RESOLUTION_FIELDS, Dataset, ParseResult, Table,
                    parse_it_number, provenance, resolution_fields)
from . import act_for_line
from .acts import MONTHS, clean, is_page_header

DATASET = "fondo-0-6-riparto-2018"
TABLE = "riparto"
CENT = Decimal("0.01")

# The four count columns, in printed order, with a word that identifies each one in the
# header and in its "Riparto N% su …" label.
COUNT_COLUMNS = [
    ("pop_0_6", "Popolazione 0-6 anni", "pop", "POP. 0-6"),
    ("posti_prima_infanzia", "Posti in esercizio prima infanzia", "posti", "POSTI IN"),
    ("iscritti_paritarie", "Iscritti scuole paritarie", "paritarie", "ISCRITTI SCUOLE"),
    ("iscritti_primavera", "Iscritti sezioni primavera", "primavera", "SEZIONI"),
]
AMOUNT_NAMES = ["riparto_pop_0_6", "riparto_posti", "riparto_paritarie", "riparto_primavera"]

ROW_RE = re.compile(r"^\s*(?P<code>\d{6})\s+(?P<rest>\S.*)$")
INT_RE = re.compile(r"^\d{1,3}(?:\.\d{3})+$|^\d+$")
AMOUNT_RE = re.compile(r"^-$|^\d{1,3}(?:\.\d{3})*,\d{2}$")
HEADER_START_RE = re.compile(r"^\s*Codice(\s+ISTAT)?\s*$")
HEADER_END = "TOTALE RIPARTO"
RIPARTO_RE = re.compile(
    r"Riparto\s+(\d+)\s*%\s+su\s+(.*?)(?=\s+Riparto\s+\d+\s*%|\s+TOTALE RIPARTO)")
SEPARATOR_RE = re.compile(r"^\s*—+\s*•\s*—+\s*$")
DECLARED_TOTAL_RE = re.compile(r"complessivamente a €\s*(\d{1,3}(?:\.\d{3})*,\d{2})")
MAX_HEADER_LINES = 60
MONTH_NAMES = sorted(MONTHS, key=MONTHS.get)


def _round(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def _fmt(x: Decimal | int | None, decimals: int = 2) -> str:
    """Italian format for explanations: 40000464.11 -> '40.000.464,11'."""
    if x is None:
        return "—"
    s = f"{x:,.{decimals}f}"
    return s.replace(",", "_").replace(".", ",").replace("_", ".")


def header_block(lines: list[str], start: int) -> tuple[int, dict] | None:
    """If a column-header block of the table starts at line ``start`` (1-based), return
    ``(last_line, header)`` where header holds the shares and riparto labels."""
    if not HEADER_START_RE.match(lines[start - 1]):
        return None
    for end in range(start, min(len(lines), start + MAX_HEADER_LINES) + 1):
        if HEADER_END in lines[end - 1]:
            break
    else:
        return None
    text = clean(" ".join(lines[start - 1:end]))
    if "ISTAT" not in text or "Denominazione" not in text:
        return None
    if any(word not in text for _, _, _, word in COUNT_COLUMNS):
        return None
    ripartos = RIPARTO_RE.findall(text)
    if len(ripartos) != len(COUNT_COLUMNS):
        return None
    for (share, label), (_, _, key, _) in zip(ripartos, COUNT_COLUMNS):
        if key not in label.lower():
            return None
    return end, {"text": text, "shares": [Decimal(s) / 100 for s, _ in ripartos],
                 "labels": [f"Riparto {s}% su {lab}" for s, lab in ripartos]}


def split_row(rest: str) -> tuple[str, list[int], list[Decimal]] | None:
    """``'Azzate 228 20 105 16 5.587,42 … 22.267,68'`` -> (name, counts, 5 amounts).

    Amounts are read from the end (``-`` is zero), then the integer counts (1 to 4), and
    what remains is the name. None when the line does not have that shape.
    """
    tokens = rest.split()
    n_amounts = len(AMOUNT_NAMES) + 1
    if len(tokens) < n_amounts + 2 or not all(AMOUNT_RE.match(t) for t in tokens[-n_amounts:]):
        return None
    amounts = [parse_it_number(t) or Decimal("0.00") for t in tokens[-n_amounts:]]
    head = tokens[:-n_amounts]
    k = 0
    while k < min(len(COUNT_COLUMNS), len(head) - 1) and INT_RE.match(head[-1 - k]):
        k += 1
    if k == 0 or AMOUNT_RE.match(head[-1 - k]) or INT_RE.match(head[-1 - k]):
        return None
    counts = [int(parse_it_number(t)) for t in head[len(head) - k:]]
    name = " ".join(head[:len(head) - k])
    if not any(c.isalpha() for c in name):
        return None
    return name, counts, amounts


def placements(counts: list[int], amounts: list[Decimal], rates: list[Decimal],
               slack: list[Decimal]) -> list[list[int | None]]:
    """Every order-preserving placement of the printed counts into the count columns that
    reproduces the printed amounts (within rounding of the estimated ``rates``); columns
    left blank must have a zero amount."""
    n = len(COUNT_COLUMNS)
    out = []
    for cols in itertools.combinations(range(n), len(counts)):
        placed: list[int | None] = [None] * n
        for c, v in zip(cols, counts):
            placed[c] = v
        if all((abs(Decimal(v) * rates[j] - amounts[j]) <= CENT / 2 + v * slack[j])
               if v is not None else amounts[j] == 0 for j, v in enumerate(placed)):
            out.append(placed)
    return out


def find_table(lines: list[str]) -> tuple[int, dict] | None:
    """First line of the first column-header block of the table, and the header."""
    for n in range(1, len(lines) + 1):
        hb = header_block(lines, n)
        if hb:
            return n, hb[1]
    return None


def declared_total(lines: list[str], first: int, last: int) -> tuple[Decimal, int] | None:
    """The fund declared in the decree (``pari complessivamente a € 40.000.464,00``):
    the last mention between lines ``first`` and ``last`` (the operative part comes last)."""
    found = None
    offsets, text = [], ""
    for n in range(first, last + 1):
        offsets.append((len(text), n))
        text += clean(lines[n - 1]) + " "
    for m in DECLARED_TOTAL_RE.finditer(text):
        line = max(n for off, n in offsets if off <= m.start(1))
        found = (parse_it_number(m.group(1)), line)
    return found


def parse(doc, ctx, acts) -> ParseResult:
    """The Fondo 0-6 riparto table as the ``fondo-0-6-riparto-2018`` dataset, with checks."""
    lines = doc.lines
    result = ParseResult()
    found = find_table(lines)
    if not found:
        return result
    table_start, header = found
    act = act_for_line(acts, table_start)
    ncol = len(COUNT_COLUMNS)

    scan = _scan(doc, table_start, act.line_end if act else len(lines))
    rejects = scan["rejects"]
    est, slack = _estimate_rates(scan["rows"])
    placed_rows, by_convention, unplaced = _place_counts(doc, scan["rows"], est, slack, rejects)

    # Exact amounts per unit: share of the fund declared in the decree / column total.
    decl = declared_total(lines, act.line_start if act else 1, table_start - 1)
    sums = [sum(p[j] or 0 for _, p in placed_rows) for j in range(ncol)]
    fund, fund_line = decl if decl else (None, None)
    rates = ([header["shares"][j] * fund / sums[j] if sums[j] else Decimal(0)
              for j in range(ncol)] if fund is not None else est)

    prov_by_code = {p["code"]: s for s, p in ctx.registry.provinces.items()}
    rows = []
    for (line, code, name, _, amounts), placed in placed_rows:
        sigla = prov_by_code.get(code[:3])
        res = ctx.resolve(name, line, province=sigla)
        row_act = act_for_line(acts, line)
        row = {"codice_istat": code, "comune": name, "provincia": sigla}
        row.update({c[0]: v for c, v in zip(COUNT_COLUMNS, placed)})
        row.update(dict(zip(AMOUNT_NAMES, amounts[:ncol])))
        row["totale_riparto"] = amounts[ncol]
        row["conteggio_non_stampato"] = ", ".join(
            COUNT_COLUMNS[j][0] for j, v in enumerate(placed) if v is None) or None
        row.update(resolution_fields(res))
        row.update(provenance(doc.id, line, line, row_act.id if row_act else ""))
        rows.append(row)

    first, last = table_start, max([r["line_end"] for r in rows]
                                   + [x.line for x in rejects] + [table_start])
    result.checks = _checks(doc.id, rows, header, scan["header_blocks"], rates, sums, fund,
                            fund_line, sum(1 for r, _ in placed_rows if len(r[3]) < ncol),
                            by_convention, unplaced, first, last)
    result.checks.append(Check(
        "fondo06:rows-published", "Ogni riga candidata della tabella è pubblicata",
        len(rows) + len(rejects), len(rows), not rejects, doc.id, first, last,
        f"{len(rejects)} righe scartate; saltate {scan['header_lines']} righe di intestazione "
        f"di colonna ({len(scan['header_blocks'])} blocchi) e {scan['page_lines']} righe di "
        "intestazione di pagina"))
    result.rejects = rejects

    where = (f"{act.type} {_it_date(act.date)} n. {act.number}" if act
             else "il decreto di riparto")
    table = Table(
        name=TABLE, title="Riparto del Fondo nazionale 0-6 anni ai comuni",
        description=(
            f"Allegato A di {where}: per ogni comune ammesso, i dati di base (popolazione 0-6 "
            "anni, posti nei servizi per la prima infanzia, iscritti alle scuole dell'infanzia "
            "paritarie e alle sezioni primavera) e le quote del riparto. Ogni quota è il dato "
            "del comune per un importo unitario costante (quota del fondo / totale del dato), "
            "arrotondato al centesimo."),
        fields=_fields(header), rows=rows, primary_key=["codice_istat"],
        foreign_keys=[COMUNE_FK], lines_in=len(rows) + len(rejects))
    result.datasets.append(Dataset(
        name=DATASET, title="Fondo nazionale 0-6 anni: riparto ai comuni lombardi 2018",
        description=(
            "Riparto tra i comuni lombardi della quota 2018 del Fondo nazionale per il sistema "
            "integrato di educazione e di istruzione dalla nascita fino a sei anni (d.lgs. "
            f"65/2017), approvato con {where} ({doc.meta.get('official_reference', doc.id)}, "
            "Allegato A)."),
        tables=[table], programme=DATASET,
        keywords=["fondo 0-6", "sistema integrato 0-6", "prima infanzia", "scuole paritarie",
                  "sezioni primavera", "d.lgs. 65/2017", "riparto", "comuni"]))
    prov = {"source_id": doc.id, "act_id": act.id if act else ""}
    if fund is not None:
        result.facts.append({"label": "Fondo ripartito (dichiarato nel decreto)", "value": fund,
                             "unit": "EUR", "lines": [fund_line, fund_line], **prov})
    result.facts.append({"label": "Comuni ammessi al riparto", "value": len(rows),
                         "unit": "comuni", "lines": [first, last], **prov})
    return result


def _it_date(iso: str | None) -> str:
    """``'2018-11-14'`` -> ``'14 novembre 2018'``."""
    if not iso:
        return ""
    y, m, d = (int(x) for x in iso.split("-"))
    return f"{d} {MONTH_NAMES[m - 1]} {y}"


def _scan(doc, table_start: int, region_end: int) -> dict:
    """Classify every line from the first column header to the end of the act (or an
    annex separator): column-header blocks, page headers, data rows, rejects."""
    lines = doc.lines
    out = {"rows": [], "rejects": [], "header_blocks": [], "header_lines": 0, "page_lines": 0}
    n = table_start
    while n <= region_end:
        text = lines[n - 1]
        hb = header_block(lines, n)
        if hb:
            out["header_blocks"].append((n, hb[1]))
            out["header_lines"] += sum(1 for t in lines[n - 1:hb[0]] if t.strip())
            n = hb[0] + 1
            continue
        if SEPARATOR_RE.match(text):
            break
        if is_page_header(text):
            out["page_lines"] += 1
        elif text.strip():
            m = ROW_RE.match(text)
            parts = split_row(m.group("rest")) if m else None
            if parts:
                out["rows"].append((n, m.group("code"), *parts))
            else:
                out["rejects"].append(Reject(
                    doc.id, n, text.strip(), "riga non riconosciuta come riga della tabella "
                    "(codice, comune, conteggi, importi)", TABLE))
        n += 1
    return out


def _estimate_rates(raw_rows) -> tuple[list[Decimal], list[Decimal]]:
    """Amount per unit of each count column from the rows printing every count (sum of
    amounts / sum of counts), and its uncertainty from rounding the amounts to the cent."""
    full = [r for r in raw_rows if len(r[3]) == len(COUNT_COLUMNS)]
    est, slack = [], []
    for j in range(len(COUNT_COLUMNS)):
        pairs = [(r[3][j], r[4][j]) for r in full if r[3][j] > 0]
        units = sum(c for c, _ in pairs)
        est.append(sum(a for _, a in pairs) / units if units else Decimal(0))
        slack.append(CENT / 2 * len(pairs) / units if units else Decimal(0))
    return est, slack


def _place_counts(doc, raw_rows, est, slack, rejects):
    """Put each row's printed counts in their columns.

    Returns ``([(raw_row, placed_counts)], lines decided by convention, lines not placed)``;
    rows that cannot be placed are appended to ``rejects``.
    """
    ncol = len(COUNT_COLUMNS)
    placed_rows, ambiguous, unplaced = [], [], []
    blank_cols: Counter = Counter()
    for r in raw_rows:
        line, _, _, counts, amounts = r
        if len(counts) == ncol:
            placed_rows.append((r, list(counts)))
            continue
        options = placements(counts, amounts, est, slack)
        if len(options) == 1:
            blank_cols.update(j for j, v in enumerate(options[0]) if v is None)
            placed_rows.append((r, options[0]))
        elif options:
            ambiguous.append((r, options))
        else:
            unplaced.append(line)
            rejects.append(Reject(doc.id, line, doc.lines[line - 1].strip(),
                                  f"{len(counts)} conteggi stampati su {ncol}: nessuna "
                                  "collocazione riproduce gli importi stampati", TABLE))
    # Several placements give the same amounts only when a printed 0 could sit in either of
    # two columns whose riparto is "-": the table's own habit (the column left blank in the
    # rows placed without doubt) decides which cell is the blank one.
    convention = blank_cols.most_common(1)[0][0] if blank_cols else None
    by_convention = []
    for r, options in ambiguous:
        pick = [o for o in options if convention is not None and o[convention] is None]
        if len(pick) == 1:
            placed_rows.append((r, pick[0]))
            by_convention.append(r[0])
        else:
            unplaced.append(r[0])
            rejects.append(Reject(doc.id, r[0], doc.lines[r[0] - 1].strip(),
                                  "collocazione dei conteggi ambigua", TABLE))
    placed_rows.sort(key=lambda x: x[0][0])
    return placed_rows, by_convention, sorted(unplaced)


def _fields(header: dict) -> list[dict]:
    fields = [
        {"name": "codice_istat", "type": "string", "title": "Codice ISTAT (come stampato)",
         "description": "Codice ISTAT del comune come stampato nell'Allegato A (codici 2018)",
         "constraints": {"required": True, "unique": True, "pattern": "[0-9]{6}"}},
        {"name": "comune", "type": "string", "title": "Denominazione Comune",
         "description": "Nome del comune come stampato", "constraints": {"required": True}},
        {"name": "provincia", "type": "string", "title": "Provincia",
         "description": "Sigla della provincia, dalle prime tre cifre del codice stampato"},
    ]
    for fname, title, _, _ in COUNT_COLUMNS:
        fields.append({"name": fname, "type": "integer", "title": title,
                       "description": f"{title}, come stampato; vuoto se la cella non è "
                       "stampata (il relativo riparto è «-», cioè zero)",
                       "constraints": {"minimum": 0}})
    for fname, label in zip(AMOUNT_NAMES, header["labels"]):
        fields.append({"name": fname, "type": "number", "title": label,
                       "description": f"{label} (euro; «-» nel documento = 0)",
                       "constraints": {"required": True, "minimum": 0}})
    fields += [
        {"name": "totale_riparto", "type": "number", "title": "Totale riparto",
         "description": "Totale assegnato al comune (euro)",
         "constraints": {"required": True, "minimum": 0}},
        {"name": "conteggio_non_stampato", "type": "string", "title": "Conteggio non stampato",
         "description": "Colonna di conteggio lasciata vuota nel documento (collocata con gli "
                        "importi); vuoto se la riga stampa tutti i conteggi"},
    ]
    return fields + RESOLUTION_FIELDS


def _checks(doc_id, rows, header, header_blocks, rates, sums, fund, fund_line,
            n_short, by_convention, unplaced, first, last) -> list[Check]:
    out: list[Check] = []

    # Repeated column headers are identical to the first one (the columns never change).
    same = [n for n, h in header_blocks if h["text"] == header_blocks[0][1]["text"]]
    out.append(Check("fondo06:header-repeats", "Le intestazioni di colonna ripetute (cambi "
                     "pagina) sono identiche alla prima", len(header_blocks), len(same),
                     len(same) == len(header_blocks), doc_id, header_blocks[0][0],
                     header_blocks[-1][0],
                     "" if len(same) == len(header_blocks) else "intestazioni diverse alle "
                     f"righe {[n for n, _ in header_blocks if n not in same]}"))
    shares_total = sum(header["shares"])
    out.append(Check("fondo06:shares", "Le quote del riparto stampate nell'intestazione "
                     "sommano al 100%", "100%", f"{shares_total * 100:.0f}%", shares_total == 1,
                     doc_id, header_blocks[0][0], header_blocks[0][0]))

    # Placement of the rows printing fewer integers than count columns.
    out.append(Check(
        "fondo06:missing-counts", "Righe con meno conteggi stampati che colonne: i conteggi "
        "sono collocati con gli importi (importo = conteggio × importo unitario)",
        n_short + len(unplaced), n_short, not unplaced, doc_id, first, last,
        f"{n_short - len(by_convention)} collocate in modo univoco; {len(by_convention)} "
        "con due collocazioni equivalenti (uno 0 stampato e due riparti «-»), decise con la "
        "colonna vuota nelle altre righe della tabella"
        + (f" (righe {by_convention})" if by_convention else "")
        + (f"; non collocabili: righe {unplaced}" if unplaced else "")))

    # Declared fund and amounts per unit.
    total = sum((r["totale_riparto"] for r in rows), Decimal(0))
    tol_total = CENT / 2 * len(rows)
    out.append(Check(
        "fondo06:fund-total", "Somma dei totali di riga = fondo dichiarato nel decreto "
        "(«pari complessivamente a €»), a meno dell'arrotondamento al centesimo di ogni riga",
        fund, total, fund is not None and abs(total - fund) <= tol_total, doc_id,
        fund_line or first, fund_line or first,
        "fondo non trovato nel decreto" if fund is None else
        f"differenza {_fmt(total - fund)} € (massimo ammesso ±{_fmt(tol_total)} € per "
        f"{len(rows)} righe arrotondate al centesimo)"))
    for j, (fname, title, _, _) in enumerate(COUNT_COLUMNS):
        aname = AMOUNT_NAMES[j]
        nonzero = [r for r in rows if r[fname]]
        data_rate = (sum(r[aname] for r in rows) / sums[j]) if sums[j] else Decimal(0)
        bound = CENT / 2 * len(nonzero) / sums[j] if sums[j] else Decimal(0)
        if fund is not None:
            out.append(Check(
                f"fondo06:unit-amount:{fname}", f"Importo unitario di «{header['labels'][j]}»: "
                f"dal decreto ({header['shares'][j] * 100:.0f}% del fondo / totale della "
                "colonna) e dai dati (somma degli importi / somma dei conteggi)",
                float(round(rates[j], 8)), float(round(data_rate, 8)),
                abs(data_rate - rates[j]) <= bound, doc_id, first, last,
                f"{_fmt(fund * header['shares'][j])} € / {_fmt(sums[j], 0)} = "
                f"{_fmt(rates[j], 8)} € per unità; dai dati {_fmt(data_rate, 8)} € "
                f"(scarto ammesso ±{_fmt(bound, 8)} per {len(nonzero)} importi arrotondati)"))
            col_decl = _round(fund * header["shares"][j])
            col_sum = sum(r[aname] for r in rows)
            col_tol = CENT / 2 * len(nonzero)
            out.append(Check(
                f"fondo06:column-total:{fname}", f"Somma di «{header['labels'][j]}» = "
                f"{header['shares'][j] * 100:.0f}% del fondo dichiarato",
                col_decl, col_sum, abs(col_sum - col_decl) <= col_tol, doc_id, first, last,
                f"differenza {_fmt(col_sum - col_decl)} € (massimo ±{_fmt(col_tol)} € per "
                f"{len(nonzero)} importi arrotondati)"))
        bad = [r["line_start"] for r in rows
               if _round(Decimal(r[fname] or 0) * rates[j]) != r[aname]]
        out.append(Check(
            f"fondo06:unit-amount-rows:{fname}", f"Ogni riga: «{header['labels'][j]}» = "
            f"{title.lower()} × {_fmt(rates[j], 8)} €, arrotondato al centesimo",
            len(rows), len(rows) - len(bad), not bad, doc_id, first, last,
            "" if not bad else f"righe incoerenti: {bad[:30]}" + (" …" if len(bad) > 30 else "")))

    # Row totals.
    diffs = Counter()
    bad_sum, bad_exact = [], []
    for r in rows:
        parts = sum(r[a] for a in AMOUNT_NAMES)
        d = r["totale_riparto"] - parts
        diffs[d] += 1
        if abs(d) > CENT * 2:
            bad_sum.append(r["line_start"])
        exact = _round(sum(Decimal(r[c[0]] or 0) * rates[j] for j, c in enumerate(COUNT_COLUMNS)))
        if exact != r["totale_riparto"]:
            bad_exact.append(r["line_start"])
    spread = ", ".join(f"{_fmt(d)}: {k}" for d, k in sorted(diffs.items()))
    out.append(Check(
        "fondo06:row-sums", "Ogni riga: somma dei quattro riparti = totale riparto (±0,02 €: "
        "il totale arrotonda la somma dei riparti non arrotondati)", len(rows),
        len(rows) - len(bad_sum), not bad_sum, doc_id, first, last,
        f"differenze totale − somma (€: righe) {spread}"
        + (f"; fuori tolleranza: righe {bad_sum[:30]}" if bad_sum else "")))
    out.append(Check(
        "fondo06:row-totals-exact", "Ogni riga: totale riparto = somma dei conteggi per gli "
        "importi unitari, arrotondata al centesimo", len(rows), len(rows) - len(bad_exact),
        not bad_exact, doc_id, first, last,
        "" if not bad_exact else f"righe incoerenti: {bad_exact[:30]}"))

    # Codes: unique and ascending, and the code the registry gives for the name.
    codes = [r["codice_istat"] for r in rows]
    disorder = [rows[i]["line_start"] for i in range(1, len(rows)) if codes[i] <= codes[i - 1]]
    out.append(Check(
        "fondo06:istat-order", "Codici ISTAT stampati unici e in ordine crescente", len(rows),
        len(rows) - len(disorder), not disorder, doc_id, first, last,
        "" if not disorder else f"fuori ordine o ripetuti alle righe {disorder}"))
    mismatch = [r for r in rows if r["istat"] != r["codice_istat"]]
    out.append(Check(
        "fondo06:istat-registry", "Codice ISTAT stampato = codice che il registro dei comuni "
        "(ISTAT 2023 + comuni soppressi) dà per il nome", len(rows), len(rows) - len(mismatch),
        not mismatch, doc_id, first, last,
        "; ".join(f"riga {r['line_start']} {r['comune']}: stampato {r['codice_istat']}, "
                  f"registro {r['istat'] or 'non risolto'} ({r['resolution_method']})"
                  for r in mismatch[:30])))
    return out
