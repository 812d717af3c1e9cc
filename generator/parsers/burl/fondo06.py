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
from .acts import clean, is_page_header

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
RIPARTO_RE = re.compile(r"Riparto\s+(\d+)\s*%\s+su\s+(.*?)(?=\s+Riparto\s+\d+\s*%|\s+TOTALE RIPARTO)")
SEPARATOR_RE = re.compile(r"^\s*—+\s*•\s*—+\s*$")
DECLARED_TOTAL_RE = re.compile(r"complessivamente a €\s*(\d{1,3}(?:\.\d{3})*,\d{2})")
MAX_HEADER_LINES = 60


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
    region_end = act.line_end if act else len(lines)
    decree_start = act.line_start if act else 1

    # -- 1. classify every line of the table region ------------------------------------
    raw_rows, rejects = [], []
    header_blocks, header_lines, page_lines = [], 0, 0
    n = table_start
    while n <= region_end:
        text = lines[n - 1]
        hb = header_block(lines, n)
        if hb:
            header_blocks.append((n, hb[1]))
            header_lines += sum(1 for t in lines[n - 1:hb[0]] if t.strip())
            n = hb[0] + 1
            continue
        if n > table_start and SEPARATOR_RE.match(text):
            region_end = n - 1
            break
        if not text.strip():
            pass
        elif is_page_header(text):
            page_lines += 1
        else:
            m = ROW_RE.match(text)
            parts = split_row(m.group("rest")) if m else None
            if parts:
                raw_rows.append((n, m.group("code"), *parts))
            else:
                rejects.append(Reject(doc.id, n, text.strip(), "riga non riconosciuta come "
                                      "riga della tabella (codice, comune, conteggi, importi)",
                                      TABLE))
        n += 1

    # -- 2. amounts per unit estimated from the complete rows --------------------------
    ncol = len(COUNT_COLUMNS)
    full = [r for r in raw_rows if len(r[3]) == ncol]
    est, slack = [], []
    for j in range(ncol):
        pairs = [(r[3][j], r[4][j]) for r in full if r[3][j] > 0]
        units = sum(c for c, _ in pairs)
        est.append(sum(a for _, a in pairs) / units if units else Decimal(0))
        slack.append(CENT / 2 * len(pairs) / units if units else Decimal(0))

    # -- 3. place the counts of the rows that print fewer integers ----------------------
    placed_rows, ambiguous, unplaced = [], [], []
    blank_cols: Counter = Counter()
    for r in raw_rows:
        line, code, name, counts, amounts = r
        if len(counts) == ncol:
            placed_rows.append((r, list(counts), None))
            continue
        options = placements(counts, amounts, est, slack)
        if len(options) == 1:
            blank = [j for j, v in enumerate(options[0]) if v is None]
            blank_cols.update(blank)
            placed_rows.append((r, options[0], "unique"))
        elif options:
            ambiguous.append((r, options))
        else:
            unplaced.append(line)
            rejects.append(Reject(doc.id, line, lines[line - 1].strip(),
                                  f"{len(counts)} conteggi stampati su {ncol}: nessuna "
                                  "collocazione riproduce gli importi stampati", TABLE))
    # Several placements give the same amounts only when a printed 0 could sit in either of
    # two columns whose riparto is "-": the table's own habit decides which cell is blank.
    convention = blank_cols.most_common(1)[0][0] if blank_cols else None
    resolved_by_convention = []
    for r, options in ambiguous:
        pick = [o for o in options if convention is not None and o[convention] is None]
        if len(pick) == 1:
            placed_rows.append((r, pick[0], "convention"))
            resolved_by_convention.append(r[0])
        else:
            unplaced.append(r[0])
            rejects.append(Reject(doc.id, r[0], lines[r[0] - 1].strip(),
                                  "collocazione dei conteggi ambigua", TABLE))
    placed_rows.sort(key=lambda x: x[0][0])

    # -- 4. exact amounts per unit from the declared fund -----------------------------
    checks: list[Check] = []
    decl = declared_total(lines, decree_start, table_start - 1)
    sums = [sum(p[j] or 0 for _, p, _ in placed_rows) for j in range(ncol)]
    if decl:
        fund, fund_line = decl
        rates = [header["shares"][j] * fund / sums[j] if sums[j] else Decimal(0)
                 for j in range(ncol)]
    else:
        fund, fund_line = None, None
        rates = est

    # -- 5. rows -------------------------------------------------------------------------
    prov_by_code = {p["code"]: s for s, p in ctx.registry.provinces.items()}
    rows = []
    for (line, code, name, counts, amounts), placed, how in placed_rows:
        sigla = prov_by_code.get(code[:3])
        res = ctx.resolve(name, line, province=sigla)
        a = act_for_line(acts, line)
        row = {"codice_istat": code, "comune": name, "provincia": sigla}
        for (fname, _, _, _), v in zip(COUNT_COLUMNS, placed):
            row[fname] = v
        for fname, v in zip(AMOUNT_NAMES, amounts[:ncol]):
            row[fname] = v
        row["totale_riparto"] = amounts[ncol]
        row["conteggio_non_stampato"] = ", ".join(
            COUNT_COLUMNS[j][0] for j, v in enumerate(placed) if v is None) or None
        row.update(resolution_fields(res))
        row.update(provenance(doc.id, line, line, a.id if a else ""))
        rows.append(row)

    first_line = table_start
    last_line = max([r["line_end"] for r in rows] + [x.line for x in rejects] + [table_start])
    checks += _checks(doc.id, rows, header, header_blocks, rates, sums, fund, fund_line,
                      placed_rows, resolved_by_convention, unplaced, first_line, last_line)
    checks.append(Check(
        "fondo06:rows-published", "Ogni riga candidata della tabella è pubblicata",
        len(rows) + len(rejects), len(rows), not rejects, doc.id, first_line, last_line,
        f"{len(rejects)} righe scartate; saltate {header_lines} righe di intestazione di "
        f"colonna ({len(header_blocks)} blocchi) e {page_lines} righe di intestazione di pagina"))

    table = Table(
        name=TABLE, title="Riparto del Fondo nazionale 0-6 anni ai comuni lombardi, 2018",
        description=(
            "Allegato A del d.d.s. 14 novembre 2018 n. 16506 (BURL SO 47/2018): per ogni comune "
            "ammesso, i dati di base (popolazione 0-6 anni, posti nei servizi per la prima "
            "infanzia, iscritti alle scuole dell'infanzia paritarie e alle sezioni primavera) "
            "e le quote del riparto. Ogni quota è il dato del comune per un importo unitario "
            "costante (quota del fondo / totale regionale del dato), arrotondato al centesimo."),
        fields=_fields(header), rows=rows, primary_key=["codice_istat"],
        foreign_keys=[COMUNE_FK], lines_in=len(rows) + len(rejects))
    result.datasets.append(Dataset(
        name=DATASET, title="Fondo nazionale 0-6 anni: riparto ai comuni lombardi 2018",
        description=(
            "Riparto tra i comuni lombardi della quota 2018 del Fondo nazionale per il sistema "
            "integrato di educazione e di istruzione dalla nascita fino a sei anni (d.lgs. "
            "65/2017), approvato con d.d.s. 14 novembre 2018 n. 16506 (BURL Serie Ordinaria "
            "n. 47 del 22 novembre 2018, Allegato A)."),
        tables=[table], programme=DATASET,
        keywords=["fondo 0-6", "sistema integrato 0-6", "prima infanzia", "scuole paritarie",
                  "sezioni primavera", "d.lgs. 65/2017", "riparto", "comuni"]))
    result.checks = checks
    result.rejects = rejects
    if fund is not None:
        result.facts.append({"label": "Quota lombarda del Fondo nazionale 0-6 anni 2018",
                             "value": fund, "unit": "EUR", "source_id": doc.id,
                             "act_id": act.id if act else "", "line_start": fund_line,
                             "line_end": fund_line})
    result.facts.append({"label": "Comuni ammessi al riparto", "value": len(rows),
                         "unit": "comuni", "source_id": doc.id,
                         "act_id": act.id if act else "", "line_start": first_line,
                         "line_end": last_line})
    return result


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
            placed_rows, by_convention, unplaced, first, last) -> list[Check]:
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
    short = [p for p in placed_rows if p[2] is not None]
    out.append(Check(
        "fondo06:missing-counts", "Righe con meno conteggi stampati che colonne: i conteggi "
        "sono collocati con gli importi (importo = conteggio × importo unitario)",
        len(short) + len(unplaced), len(short), not unplaced, doc_id, first, last,
        f"{len(short) - len(by_convention)} collocate in modo univoco; {len(by_convention)} "
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
