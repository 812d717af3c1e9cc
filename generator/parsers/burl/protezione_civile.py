"""Contributi di protezione civile: D.d.s. 16766/2018 and its two annexes.

Allegato 1 lists the funded *enti locali* (comuni, comunità montane, unioni), Allegato 2
the funded *associazioni di volontariato*; both end with a ``TOTALE`` line. The act also
prints the commitments by *ruolo* (``Beneficiario/Ruolo Codice Capitolo Anno 2018 ...``).

Layout evidence used (see the inventory of the bulletin):

* In the annex rows, cells are separated by ordinary spaces while the words inside a
  cell are joined by NBSP (``COMUNITA'\\xa0MONTANA``, ``7.215,42\\xa0€``). The fixed cells at
  both ends are read with whitespace-tolerant patterns; the NBSP rule is used where only
  it can decide: the boundary between the association's name and its comune
  (``PROTEZIONE\\xa0CIVILE\\xa0SERLE SERLE BS``). When that boundary is not marked (NBSP lost),
  the comune is the longest tail of the words that names a comune of the row's province
  in the registry; if none does, the row is rejected.
* The header says which columns exist: the number of ``PUNTI ...`` sub-scores (6 for the
  enti, 5 for the associations), whether there is a ``COMUNE`` column, an optional
  ``P. IVA`` cell (present in 18 association rows, missing in the others).

Checks: every printed ``TOTALE`` column; ``PROG`` numbers 1..n; the counts of funded
applications stated in the decree (``n. 35 domande relative ad enti``); punteggio =
sum of sub-scores and ammesse − finanziato = quota, per row; the commitments per ruolo
against the annex totals, the chapter amounts and the decree's total; and that each
ruolo covers a contiguous run of PROG rows (cumulative sums).
"""
from __future__ import annotations

import re
from decimal import Decimal

from ..base import (COMUNE_FK, RESOLUTION_FIELDS, Dataset, ParseResult, Table, provenance,
                    resolution_fields)
from .other_tables import (AMT, NBSP, NO_COMUNE, PERSONA_FISICA, PERSONA_GIURIDICA, Checks,
                           Ledger, Pseudonyms, _euro, _f, act_id, clean, decreta_line, declared,
                           money, ruolo_tables, section_at, sections, subject_kind, total)

DATASET = "protezione-civile-contributi-2018"
TITLE = re.compile(r"DOMANDE\s+FINANZIATE\s*[-‐–]\s*(?P<who>ENTI\s+LOCALI|ASSOCIAZIONI)", re.I)
ROW_START = re.compile(r"^\s*\d+\s+\d+\s+\d{2}/\d{2}/\d{4}\b")
MONEY_CELL = rf"(?:€\s*)?{AMT}(?:\s*€)?"
ROW = re.compile(
    r"^\s*(?P<prog>\d+)\s+(?P<id_pratica>\d+)\s+(?P<data>\d{2}/\d{2}/\d{4})\s+"
    r"(?P<ora>\d{2}:\d{2}:\d{2})\s+(?P<protocollo>\S+)\s+(?P<middle>.+?)\s+"
    r"(?P<provincia>[A-Z]{2})\s+"
    r"(?P<cf>[A-Z0-9]{16}|\d{11})(?:\s+(?P<piva>\d{11}))?\s+(?P<scores>(?:\d+\s+)+)"
    r"(?P<esito>Ammesso\b.*?finanziato)\s+"
    rf"(?P<amounts>(?:{MONEY_CELL}\s+){{4}}{MONEY_CELL})\s*$")
AMOUNT_COLUMNS = ["spese_presentate", "spese_ammesse", "contributo_assegnato",
                  "contributo_finanziato", "quota_carico_richiedente"]
SCORE_NAMES = {  # header words after PUNTI -> field name and title
    "nr comuni": ("punti_nr_comuni", "Punti n. comuni"),
    "piano prot civile": ("punti_piano_protezione_civile", "Punti piano di protezione civile"),
    "popolazione": ("punti_popolazione", "Punti popolazione"),
    "n volontari": ("punti_n_volontari", "Punti n. volontari"),
    "rischio sismico": ("punti_rischio_sismico", "Punti rischio sismico"),
    "rischio idrogeologico": ("punti_rischio_idrogeologico", "Punti rischio idrogeologico"),
    "rischio incendi boschivi": ("punti_rischio_incendi_boschivi",
                                 "Punti rischio incendi boschivi"),
}
ENTE_TYPES = [(re.compile(r"^COMUNIT[AÀ]'?\s+MONTANA\b", re.I), "Comunità montana"),
              (re.compile(r"^UNIONE\b", re.I), "Unione di comuni")]


def _ente_type(name: str) -> str:
    """Comunità montana / Unione di comuni by the name's first words; otherwise a Comune."""
    for rx, kind in ENTE_TYPES:
        if rx.search(name):
            return kind
    return "Comune"


def _layout(header: str) -> dict:
    """Columns announced by the header block: sub-scores, comune column, optional P. IVA."""
    h = clean(header).upper()
    part = h.split("ESITO")[0]
    scores = []
    for seg in re.split(r"\bPUNTI\b", part)[1:]:
        key = " ".join(re.sub(r"[^A-Z ]", " ", seg).split()).lower()
        name, title = SCORE_NAMES.get(key, ("punti_" + key.replace(" ", "_"), "Punti " + key))
        scores.append((name, title))
    return {"scores": scores, "comune": bool(re.search(r"\bCOMUNE\b", h)),
            "piva": bool(re.search(r"\bP\.\s*IVA\b", h))}


def _split_comune(ctx, middle: str, province: str) -> tuple[str, str] | None:
    """Association name and comune from the middle cells of a row (module docstring)."""
    parts = [p for p in middle.split(" ") if p.strip(NBSP + " ")]
    if len(parts) == 2:
        return clean(parts[0]), clean(parts[1])
    words = clean(middle).split()
    for k in range(min(len(words) - 1, 6), 0, -1):
        cand = " ".join(words[-k:])
        r = ctx.registry.resolve(cand, province=province, fuzzy=False)
        if r.ok and ctx.registry.get(r.istat).province_sigla == province:
            return " ".join(words[:-k]), cand
    return None


def _annex(doc, ctx, acts, checks: Checks, title_line: int, who: str):
    """One annex: header block, rows, ``TOTALE`` line."""
    name = "enti_locali" if who == "enti" else "associazioni"
    cid = f"pc:{name}"
    ledger = Ledger(doc.id, name)
    end = len(doc.lines)
    first = next((n for n in range(title_line + 1, end + 1) if ROW_START.match(doc.line(n))), None)
    if first is None:
        return None, ledger, None
    layout = _layout(" ".join(doc.line(n) for n in range(title_line + 1, first)))
    n_scores = len(layout["scores"])
    rows, total_line, printed, progs_printed = [], None, None, []
    names = Pseudonyms()
    for n in range(first, end + 1):
        raw = doc.line(n)
        t = clean(raw)
        if not t:
            continue
        if re.match(r"^TOTALE\b", t):
            total_line = n
            printed = [money(c) for c in re.findall(MONEY_CELL, t)]
            break
        if TITLE.search(t) or (not ROW_START.match(raw) and rows and not re.search(r"\d", t)):
            break                                           # next annex or prose: table ended
        ledger.candidates.add(n)
        if ROW_START.match(raw):
            progs_printed.append(int(t.split()[0]))
        m = ROW.match(raw)
        if not m:
            ledger.reject(doc, n, "riga non riconosciuta: colonne fisse mancanti o malformate")
            continue
        scores = [int(x) for x in m.group("scores").split()]
        if len(scores) != n_scores + 1:
            ledger.reject(doc, n, f"{len(scores)} punteggi, attesi {n_scores + 1} "
                                  "(totale + sotto-punteggi dell'intestazione)")
            continue
        if m.group("piva") and not layout["piva"]:
            ledger.reject(doc, n, "partita IVA in una tabella senza colonna P. IVA")
            continue
        middle, prov = m.group("middle"), m.group("provincia")
        if prov not in ctx.registry.provinces:
            ledger.reject(doc, n, f"sigla di provincia sconosciuta: {prov}")
            continue
        if layout["comune"]:
            split = _split_comune(ctx, middle, prov)
            if split is None:
                ledger.reject(doc, n, "confine tra nome e comune non determinabile")
                continue
            subject, comune = split
        else:
            subject, comune = clean(middle), None
        d, mth, y = m.group("data").split("/")
        amounts = [money(c) for c in re.findall(MONEY_CELL, m.group("amounts"))]
        cf = m.group("cf")
        person = subject_kind(subject, cf, default=PERSONA_GIURIDICA) == PERSONA_FISICA
        row = {"prog": int(m.group("prog")), "id_pratica": m.group("id_pratica"),
               "data_protocollazione": f"{y}-{mth}-{d}", "ora_protocollazione": m.group("ora"),
               "numero_protocollo": m.group("protocollo")}
        label = names.label(cf) if person else subject
        if who == "enti":
            kind = None if person else _ente_type(subject)
            row.update({"ente": label, "tipo_ente": kind, "provincia": prov,
                        "codice_fiscale": None if person else cf})
            if kind == "Comune":
                row.update(resolution_fields(ctx.resolve(subject, n, province=prov)))
            else:
                row.update(NO_COMUNE)
        else:
            row.update({"associazione": label, "comune": comune, "provincia": prov,
                        "codice_fiscale": None if person else cf,
                        "partita_iva": None if person else m.group("piva"),
                        **resolution_fields(ctx.resolve(comune, n, province=prov))})
        row["punteggio_totale"] = scores[0]
        row.update({fname: v for (fname, _), v in zip(layout["scores"], scores[1:])})
        row["esito"] = clean(m.group("esito"))
        row.update(dict(zip(AMOUNT_COLUMNS, amounts)))
        row.update(provenance(doc.id, n, n, act_id(acts, n)))
        rows.append(row)
    _checks(checks, cid, rows, layout, total_line, printed, first, max(progs_printed, default=0))
    return (rows, layout), ledger, (total_line, printed)


def _checks(checks: Checks, cid, rows, layout, total_line, printed, first, last_prog):
    """The annex's own checks; ``last_prog``: the last PROG number printed (rows published or
    not)."""
    progs = [r["prog"] for r in rows]
    checks.add(f"{cid}:prog", "Righe pubblicate = PROG da 1 all'ultimo stampato, in ordine",
               last_prog, len(rows), progs == list(range(1, last_prog + 1)), first,
               total_line or first, "PROG mancanti, ripetuti, fuori ordine o righe scartate")
    if printed is None:
        checks.add(f"{cid}:totale", "Riga TOTALE stampata in calce all'allegato", 1, 0, False,
                   first, explanation="riga TOTALE non trovata")
    elif len(printed) != len(AMOUNT_COLUMNS):
        checks.add(f"{cid}:totale", "Riga TOTALE con un importo per colonna", len(AMOUNT_COLUMNS),
                   len(printed), False, total_line, explanation="numero di importi inatteso")
    else:
        for c, v in zip(AMOUNT_COLUMNS, printed):
            checks.equal(f"{cid}:totale:{c}", f"TOTALE stampato della colonna {c}", v,
                         total(rows, c), total_line)
    score_names = [s for s, _ in layout["scores"]]
    checks.rows(f"{cid}:punteggio", "Punteggio totale = somma dei sotto-punteggi, per ogni riga",
                rows, lambda r: r["punteggio_totale"] == sum(r[s] for s in score_names),
                "la somma")
    checks.rows(f"{cid}:quota", "Spese ammesse − contributo finanziato = quota a carico del "
                "richiedente, per ogni riga", rows,
                lambda r: r["spese_ammesse"] - r["contributo_finanziato"]
                == r["quota_carico_richiedente"], "la differenza")


def _impegni(doc, acts, checks: Checks, sec, annex_totals: dict):
    """The commitments by ruolo of the act, checked against the annexes and the decree."""
    tabs = [p for p in ruolo_tables(doc, sec.start, sec.end) if p.rows and "years" in p.rows[0]]
    ledger = Ledger(doc.id, "impegni")
    if not tabs:
        return [], ledger
    p = tabs[0]
    rows = []
    for i, r in enumerate(p.rows, start=1):
        for n in range(r["line_start"], r["line"] + 1):
            if doc.line(n).strip():
                ledger.candidates.add(n)
        if r["amount"] is None or len(r["years"]) != 3:
            ledger.reject(doc, r["line"], "importi per anno non leggibili")
            continue
        who = "enti_locali" if re.search(r"\bENTI\b", r["name"]) else \
            "associazioni" if re.search(r"\bASSOCIAZIONI\b", r["name"]) else None
        rows.append({"n": i, "ruolo": r["name"], "destinatari": who, "codice": r["code"],
                     "capitolo": r["capitolo"], "anno_2018": r["years"][0],
                     "anno_2019": r["years"][1], "anno_2020": r["years"][2],
                     **provenance(doc.id, r["line_start"], r["line"],
                                  act_id(acts, r["line_start"]))})
    dec = declared(doc, decreta_line(doc, sec), sec.end, r"somma complessiva di Euro ([\d.,]+)")
    if dec:
        m, line = dec[0]
        checks.equal("pc:impegni:decreto", "Somma degli impegni = somma complessiva impegnata dal "
                     "decreto", money(m.group(1)), total(rows, "anno_2018"), line)
    chapters = {m.group(2): (money(m.group(1)), line) for m, line in declared(
        doc, sec.start, sec.end,
        r"importo di euro ([\d.,]+) che trova copertura al capitolo (\d+)")}
    for who, (rows_annex, tot_line) in annex_totals.items():
        mine = [r for r in rows if r["destinatari"] == who]
        fin = total(rows_annex, "contributo_finanziato")
        checks.equal(f"pc:impegni:{who}", f"Impegni per {who} = totale del contributo finanziato "
                     "nell'allegato", fin, total(mine, "anno_2018"),
                     mine[0]["line_start"] if mine else p.start, tot_line)
        caps = {r["capitolo"].rsplit(".", 1)[-1] for r in mine}
        for cap in sorted(caps & chapters.keys()):
            v, line = chapters[cap]
            checks.equal(f"pc:capitolo:{cap}", f"Contributo finanziato ({who}) = importo "
                         f"dichiarato sul capitolo {cap}", v, fin, line)
        # each ruolo covers a contiguous run of PROG rows: cumulative sums hit every boundary
        ordered = sorted(rows_annex, key=lambda r: r["prog"])
        cum, bounds = Decimal("0.00"), {}
        for r in ordered:
            cum += r["contributo_finanziato"]
            bounds[cum] = r["prog"]
        acc, prev = Decimal("0.00"), 0
        for r in mine:
            acc += r["anno_2018"]
            last = bounds.get(acc)
            block = [a for a in ordered if prev < a["prog"] <= last] if last else []
            checks.equal(f"pc:impegni:ruolo:{r['codice']}",
                         f"Il ruolo {r['codice']} ({r['ruolo']}) è la somma di righe PROG "
                         f"consecutive dell'allegato {who}" +
                         (f" (PROG {prev + 1}-{last})" if last else ""),
                         r["anno_2018"], total(block, "contributo_finanziato") if last else None,
                         r["line_start"], r["line_end"],
                         "" if last else "la somma cumulata dei contributi non raggiunge il "
                         "confine del ruolo")
            prev = last or prev
    return rows, ledger


def parse(doc, ctx, acts) -> ParseResult:
    result = ParseResult()
    checks = Checks(doc.id)
    secs = sections(doc)
    annexes, ledgers, totals_by_sec = {}, [], {}
    for n, t in doc.numbered():
        m = TITLE.search(t.replace(NBSP, " "))
        if not m or not re.match(r"^\s*ALLEGATO\b", t):
            continue
        who = "enti" if m.group("who").upper().startswith("ENTI") else "associazioni"
        parsed, ledger, tot = _annex(doc, ctx, acts, checks, n, who)
        if parsed is None:
            continue
        name = "enti_locali" if who == "enti" else "associazioni"
        annexes[name] = (parsed, n)
        ledgers.append(ledger)
        sec = section_at(secs, n, doc)
        totals_by_sec.setdefault(sec.start, (sec, {}))[1][name] = (parsed[0], tot[0])
        count = declared(doc, sec.start, sec.end, rf"n\. ?(\d+) domande,? relative ad {who}")
        if count:
            mm, line = count[0]
            checks.add(f"pc:{name}:numero-domande", "Numero di righe dell'allegato = domande "
                       "finanziate dichiarate nel decreto", int(mm.group(1)), len(parsed[0]),
                       int(mm.group(1)) == len(parsed[0]), line,
                       explanation="il numero di righe non corrisponde a quello dichiarato")
    if not annexes:
        return result
    tables = []
    for name in ("enti_locali", "associazioni"):
        if name not in annexes:
            continue
        (rows, layout), _ = annexes[name]
        ledger = next(lg for lg in ledgers if lg.table == name)
        tables.append(_table(name, rows, layout, ledger))
    for sec, annex_totals in totals_by_sec.values():
        rows, ledger = _impegni(doc, acts, checks, sec, annex_totals)
        if rows:
            tables.append(Table(
                "impegni", "Impegni per ruolo",
                "Impegni di spesa del decreto per ruolo (gruppo di beneficiari), con codice, "
                "capitolo di bilancio e importo per anno. La colonna 'Destinatari' viene dalla "
                "parola ENTI o ASSOCIAZIONI del ruolo; ogni ruolo corrisponde a righe PROG "
                "consecutive del rispettivo allegato (verificato con le somme cumulate).",
                _IMPEGNI_FIELDS, rows, primary_key=["codice"], lines_in=len(ledger.candidates)))
            ledgers.append(ledger)
    for lg in ledgers:
        result.rejects += lg.rejects
    result.datasets.append(Dataset(
        DATASET, "Contributi regionali di protezione civile 2018",
        "Piano di assegnazione dei contributi regionali agli enti locali dotati di gruppi comunali "
        "e intercomunali di protezione civile e alle associazioni di volontariato di protezione "
        "civile per l'acquisto di beni di piccola entità (d.g.r. XI/356/2018, bando d.d.s. "
        "10356/2018): D.d.s. 16766 del 16 novembre 2018, BURL SO n. 47 del 22 novembre 2018.",
        tables, programme=DATASET,
        keywords=["protezione civile", "volontariato", "enti locali", "contributi"]))
    result.checks = checks.items
    return result


_COMMON_FIELDS = [
    _f("prog", "integer", "PROG", "Numero progressivo stampato (ordine di graduatoria)",
       required=True),
    _f("id_pratica", "string", "ID pratica"),
    _f("data_protocollazione", "date", "Data di protocollazione"),
    _f("ora_protocollazione", "string", "Ora di protocollazione", pattern=r"\d{2}:\d{2}:\d{2}"),
    _f("numero_protocollo", "string", "Numero di protocollo"),
]
_AMOUNT_FIELDS = [
    _euro("spese_presentate", "Spese presentate"),
    _euro("spese_ammesse", "Spese ammesse"),
    _euro("contributo_assegnato", "Contributo assegnato"),
    _euro("contributo_finanziato", "Contributo finanziato"),
    _euro("quota_carico_richiedente", "Quota a carico del richiedente"),
]
_IMPEGNI_FIELDS = [
    _f("n", "integer", "N.", "Ordine nella tabella degli impegni", required=True),
    _f("ruolo", "string", "Ruolo", "Beneficiario/ruolo come stampato", required=True),
    _f("destinatari", "string", "Destinatari", "enti_locali o associazioni",
       enum=["enti_locali", "associazioni"]),
    _f("codice", "string", "Codice", required=True),
    _f("capitolo", "string", "Capitolo di bilancio"),
    _euro("anno_2018", "Anno 2018"),
    _euro("anno_2019", "Anno 2019"),
    _euro("anno_2020", "Anno 2020"),
]


def _table(name, rows, layout, ledger) -> Table:
    scores = [_f("punteggio_totale", "integer", "Punteggio totale")] + \
        [_f(fname, "integer", title) for fname, title in layout["scores"]]
    tail = [_f("esito", "string", "Esito istruttoria")] + _AMOUNT_FIELDS
    rule = ("Richiedenti con codice fiscale personale (16 caratteri) sarebbero indicati come "
            "'Persona fisica n. k' senza codice fiscale; nell'allegato non ce ne sono: tutti hanno "
            "il codice fiscale numerico di 11 cifre di un ente o di un'associazione e sono "
            "pubblicati per nome.")
    if name == "enti_locali":
        fields = _COMMON_FIELDS + [
            _f("ente", "string", "Ente richiedente", "Come stampato (maiuscolo, senza accenti)",
               required=True),
            _f("tipo_ente", "string", "Tipo di ente",
               "Dal nome: Comunità montana, Unione di comuni, altrimenti Comune",
               enum=["Comune", "Comunità montana", "Unione di comuni"]),
            _f("provincia", "string", "Provincia", "Sigla come stampata"),
            _f("codice_fiscale", "string", "Codice fiscale"),
            *RESOLUTION_FIELDS] + scores + tail
        return Table(
            name, "Enti locali finanziati (Allegato 1)",
            "Allegato 1 del D.d.s. 16766/2018: domande finanziate di enti locali dotati di gruppo "
            "comunale o intercomunale di protezione civile, in ordine di punteggio. Il codice "
            "ISTAT è risolto per i comuni (non per comunità montane e unioni), con la provincia "
            "stampata come indizio. " + rule, fields, rows, primary_key=["prog"],
            foreign_keys=[COMUNE_FK], lines_in=len(ledger.candidates))
    fields = _COMMON_FIELDS + [
        _f("associazione", "string", "Associazione richiedente", "Come stampata", required=True),
        _f("comune", "string", "Comune", "Comune della sede, come stampato"),
        _f("provincia", "string", "Provincia", "Sigla come stampata"),
        _f("codice_fiscale", "string", "Codice fiscale"),
        _f("partita_iva", "string", "Partita IVA", "Stampata solo per alcune associazioni"),
        *RESOLUTION_FIELDS] + scores + tail
    return Table(
        name, "Associazioni di volontariato finanziate (Allegato 2)",
        "Allegato 2 del D.d.s. 16766/2018: domande finanziate di associazioni di volontariato di "
        "protezione civile, in ordine di punteggio, con il comune della sede risolto al codice "
        "ISTAT (provincia stampata come indizio). " + rule, fields, rows, primary_key=["prog"],
        foreign_keys=[COMUNE_FK], lines_in=len(ledger.candidates))
