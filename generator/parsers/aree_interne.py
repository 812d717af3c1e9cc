"""Strategia regionale Aree interne 2021-2027: a slide presentation extracted as text.

Slides have no tables, so each table is read from the patterns the slides use, and
every figure the slides print about it is checked:

* **aree** — two numbered lists (``" 1   Valchiavenna"``: number, two or more spaces,
  name; each list restarts at 1). The slide's legend ``"6 Aree Snai 8 Aree regionali"``
  gives, in order, the kind and the length of each list; ``"14 AREE INTERNE - 488
  COMUNI"`` the total. The text names no comune of any area and gives no figure per
  area, so the 488 comuni are a programme-level fact only.
* **criteri** — ``"01 Priorità ..."`` (zero-padded numbers, text wrapping onto the next
  lines), checked against ``"a partire da 7 criteri"``.
* **indicatori** — ``"Demografia (7 indicatori)"``, summed against ``"composto da 35
  indicatori"``.
* **risorse** — ``"106 mln € FESR 21-27"`` (a line in parentheses below is a note),
  summed against ``"TOTALE 196.000.000 €"`` and ``"196 MLN € investimento complessivo"``;
  ``"14 MLN € PER AREA"`` is checked against total / areas.
* **pilastri** — ``"◉ Lombardia Connessa"``, against ``"I 7 Pilastri"``.
"""
from __future__ import annotations

import re
from decimal import Decimal

from ..quality import Check, Reject
from .base import Dataset, ParseResult, Parser, Table, parse_it_number, provenance

SLUG = "aree-interne-2021-2027"

_AREA = re.compile(r"^\s*([1-9]\d?)\s{2,}(\S.*?)\s*$")
_CRITERION = re.compile(r"^\s*0(\d)\s+(\S.*?)\s*$")
_INDICATOR = re.compile(r"^\s*(\S.*?)\s*\((\d+)\s+indicatori\)\s*$", re.I)
_RESOURCE = re.compile(r"^\s*(\d+(?:,\d+)?)\s+mln\s*€\s+(.*[^\W\d_].*?)\s*$", re.I)
_NOTE = re.compile(r"^\s*\((.+)\)\s*$")
_PILLAR = re.compile(r"^\s*◉\s*(\S.*?)\s*$")
_KINDS = {"snai": "SNAI", "regionali": "regionale", "regionale": "regionale"}
MLN = Decimal(1_000_000)


class _Text:
    """The document as one string, with matches mapped back to line numbers."""

    def __init__(self, lines: list[str]):
        self.text = "\n".join(lines)

    def line_of(self, pos: int) -> int:
        return self.text.count("\n", 0, pos) + 1

    def find(self, pattern: str, flags=re.I):
        """``(match, line_start, line_end)`` of the first match, or ``(None, None, None)``."""
        m = re.search(pattern, self.text, flags)
        if not m:
            return None, None, None
        return m, self.line_of(m.start()), self.line_of(m.end() - 1)


def _int(m, group=1):
    return int(m.group(group)) if m else None


class AreeInterneParser(Parser):
    family = "aree_interne"
    version = "1"

    def parse(self, doc, ctx) -> ParseResult:
        self.doc = doc          # no comune is named: ctx (registry) is not needed
        self.text = _Text(doc.lines)
        self.result = ParseResult()
        aree = self._aree()
        tables = [aree, self._criteri(), self._indicatori(), self._risorse(len(aree.rows)),
                  self._pilastri()]
        self._facts()
        self.result.datasets.append(Dataset(
            name=SLUG, title="Strategia regionale Aree interne 2021-2027",
            description=(
                "Le 14 aree interne della Lombardia per il ciclo 2021-2027 (aree SNAI e aree "
                "regionali), i criteri con cui sono state individuate, le famiglie di "
                "indicatori dell'indice di fragilità territoriale e le risorse per fondo, "
                "come riportati nella presentazione regionale «Territori protagonisti della "
                "Smart Region». Ogni cifra stampata nelle slide (totali, conteggi) è "
                "confrontata con le voci elencate. La presentazione non elenca i comuni delle "
                "aree: i 488 comuni sono solo un totale."),
            programme=SLUG, keywords=["aree interne", "SNAI", "coesione", "Lombardia"],
            tables=tables))
        return self.result

    # -- helpers -------------------------------------------------------------------------
    def _check(self, id_, description, declared, parsed, line_start, line_end, why="",
               ok: bool | None = None):
        """A check; passes when ``declared == parsed`` unless ``ok`` says otherwise."""
        ok = declared is not None and (declared == parsed if ok is None else ok)
        self.result.checks.append(Check(
            id_, description, declared, parsed, ok, self.doc.id, line_start, line_end,
            "" if ok else (why if declared is not None else "valore dichiarato non trovato")))

    def _fact(self, label, value, unit, line_start, line_end):
        if value is not None:
            self.result.facts.append({"label": label, "value": value, "unit": unit,
                                      "source_id": self.doc.id, "line_start": line_start,
                                      "line_end": line_end})

    def _reject(self, line, reason, table):
        self.result.rejects.append(Reject(self.doc.id, line, self.doc.line(line), reason, table))

    # -- tables --------------------------------------------------------------------------
    def _aree(self) -> Table:
        lists: list[list[tuple[int, int, str]]] = []
        candidates = 0
        for n, text in self.doc.numbered():
            m = _AREA.match(text)
            if not m:
                continue
            candidates += 1
            num = int(m.group(1))
            if num == 1 or not lists:
                lists.append([])
            lists[-1].append((n, num, m.group(2)))
        legend, l0, l1 = self.text.find(r"(\d+)\s+Aree\s+(\w+)\s+(\d+)\s+Aree\s+(\w+)")
        declared = [(int(legend.group(1)), legend.group(2)), (int(legend.group(3)),
                                                              legend.group(4))] if legend else []
        rows = []
        for i, items in enumerate(lists):
            count, word = declared[i] if i < len(declared) else (None, None)
            kind = _KINDS.get((word or "").lower())
            if kind is None:
                for n, _, _ in items:
                    self._reject(n, "elenco numerato senza tipo di area nella legenda", "aree")
                continue
            self._check(f"areas-kind:{kind}", f"Numero di aree {kind} (legenda della slide)",
                        count, len(items), l0, items[-1][0],
                        "l'elenco numerato ha un numero di voci diverso dalla legenda")
            nums = [num for _, num, _ in items]
            self._check(f"areas-sequence:{kind}", f"Numerazione delle aree {kind}",
                        f"1..{len(nums)}", nums, items[0][0], items[-1][0],
                        "numerazione non consecutiva", ok=nums == list(range(1, len(nums) + 1)))
            for n, num, name in items:
                rows.append({"area_id": f"{kind.lower()}-{num}", "kind": kind, "number": num,
                             "name": name,
                             "kind_basis": f"elenco {i + 1} ({len(items)} voci) = «{count} Aree "
                                           f"{word}» della legenda (riga {l0})",
                             **provenance(self.doc.id, n)})
        total, t0, t1 = self.text.find(r"(\d+)\s+AREE\s+INTERNE\s*-\s*(\d+)\s+COMUNI")
        self._check("areas-total", "Numero totale delle aree interne", _int(total), len(rows),
                    t0, t1, "le aree elencate non sono quante dichiarate")
        if declared:
            self._check("areas-legend-sum", "Aree SNAI + aree regionali della legenda = totale",
                        _int(total), sum(c for c, _ in declared), l0, t1,
                        "la legenda non somma al totale dichiarato")
        strategies, s0, s1 = self.text.find(r"delle\s+(\d+)\s+strategie\s+territoriali")
        self._check("strategies-count", "Una strategia territoriale per area",
                    _int(strategies), len(rows), s0, s1, "le strategie non sono una per area")
        workshops, w0, w1 = self.text.find(r"(\d+)\s+workshop\s+strategici\s*-\s*(\d+)\s+per "
                                           r"ogni\s+Area")
        if workshops:
            self._check("workshops", "Workshop strategici = 2 per area × aree",
                        int(workshops.group(1)), int(workshops.group(2)) * len(rows), w0, w1,
                        "il numero di workshop non corrisponde a quelli per area")
        return Table("aree", "Aree interne 2021-2027",
                     "Le aree interne nell'ordine delle slide: tipo (SNAI o regionale), numero "
                     "nell'elenco e nome come scritto.",
                     [{"name": "area_id", "type": "string", "title": "Id area",
                       "constraints": {"required": True, "unique": True}},
                      {"name": "kind", "type": "string", "title": "Tipo",
                       "description": "SNAI (Strategia nazionale aree interne) o regionale",
                       "constraints": {"enum": ["SNAI", "regionale"]}},
                      {"name": "number", "type": "integer", "title": "Numero nell'elenco"},
                      {"name": "name", "type": "string", "title": "Area"},
                      {"name": "kind_basis", "type": "string", "title": "Base del tipo",
                       "description": "Come il tipo è attribuito: elenco della slide e legenda"}],
                     rows, primary_key=["area_id"], lines_in=candidates)

    def _criteri(self) -> Table:
        rows, lines = [], 0
        current = None
        for n, text in self.doc.numbered():
            m = _CRITERION.match(text)
            if m:
                lines += 1
                current = {"number": int(m.group(1)), "code": f"0{m.group(1)}",
                           "text": m.group(2), **provenance(self.doc.id, n)}
                rows.append(current)
            elif current and text.strip():     # wrapped text of the criterion above
                lines += 1
                current["text"] += " " + text.strip()
                current["line_end"] = n
            else:
                current = None
        declared, d0, d1 = self.text.find(r"a\s+partire\s+da\s+(\d+)\s+criteri")
        self._check("criteria-count", "Numero dei criteri", _int(declared), len(rows), d0,
                    rows[-1]["line_end"] if rows else d1, "criteri elencati diversi dai dichiarati")
        nums = [r["number"] for r in rows]
        self._check("criteria-sequence", "Numerazione dei criteri", f"1..{len(nums)}", nums,
                    rows[0]["line_start"] if rows else None, rows[-1]["line_end"] if rows else None,
                    "numerazione non consecutiva", ok=nums == list(range(1, len(nums) + 1)))
        return Table("criteri", "Criteri di individuazione delle aree interne",
                     "I criteri con cui, a partire dall'indice di fragilità, sono state create le "
                     "aree interne.",
                     [{"name": "number", "type": "integer", "title": "Numero",
                       "constraints": {"required": True, "unique": True}},
                      {"name": "code", "type": "string", "title": "Codice nella slide"},
                      {"name": "text", "type": "string", "title": "Criterio"}],
                     rows, primary_key=["number"], lines_in=lines)

    def _indicatori(self) -> Table:
        rows = []
        for n, text in self.doc.numbered():
            m = _INDICATOR.match(text)
            if m:
                rows.append({"family": m.group(1), "indicators": int(m.group(2)),
                             **provenance(self.doc.id, n)})
        declared, d0, d1 = self.text.find(r"composto\s+da\s+(\d+)\s+indicatori")
        self._check("indicators-sum", "Somma degli indicatori per famiglia = indicatori "
                    "dell'indice di fragilità", _int(declared),
                    sum(r["indicators"] for r in rows), rows[0]["line_start"] if rows else d0,
                    d1, "la somma per famiglia differisce dal totale dichiarato")
        self._fact("Indicatori dell'indice di fragilità territoriale", _int(declared),
                   "indicatori", d0, d1)
        return Table("indicatori", "Indicatori dell'indice di fragilità territoriale",
                     "Le famiglie di indicatori dell'indice e quanti indicatori ne fanno parte.",
                     [{"name": "family", "type": "string", "title": "Famiglia di indicatori",
                       "constraints": {"required": True, "unique": True}},
                      {"name": "indicators", "type": "integer", "title": "Indicatori",
                       "constraints": {"minimum": 0}}],
                     rows, primary_key=["family"], lines_in=len(rows))

    def _risorse(self, n_areas: int) -> Table:
        rows, lines = [], 0
        for n, text in self.doc.numbered():
            m = _RESOURCE.match(text)
            note = _NOTE.match(text)
            if m:
                lines += 1
                try:
                    mln = parse_it_number(m.group(1))
                except ValueError as e:
                    self._reject(n, str(e), "risorse")
                    continue
                rows.append({"fund": m.group(2), "amount_mln": mln,
                             "amount_eur": int(mln * MLN), "amount_written": f"{m.group(1)} mln €",
                             "note": None, **provenance(self.doc.id, n)})
            elif note and rows and rows[-1]["line_end"] == n - 1:
                lines += 1
                rows[-1]["note"] = note.group(1)
                rows[-1]["line_end"] = n
        total_eur = sum(r["amount_eur"] for r in rows)
        first = rows[0]["line_start"] if rows else None
        total, t0, t1 = self.text.find(r"TOTALE\s*\n\s*([\d.]+)\s*€")
        declared = int(parse_it_number(total.group(1))) if total else None
        self._check("resources-total", "Somma delle risorse per fondo = totale (euro)",
                    declared, total_eur, first, t1, "la somma per fondo differisce dal totale")
        inv, i0, i1 = self.text.find(r"(\d+(?:,\d+)?)\s*MLN\s*€\s*\n\s*investimento\s+complessivo")
        inv_eur = int(parse_it_number(inv.group(1)) * MLN) if inv else None
        self._check("resources-investment", "Somma delle risorse per fondo = investimento "
                    "complessivo (mln €)", inv_eur, total_eur, first, i1,
                    "la somma per fondo differisce dall'investimento complessivo")
        per, p0, p1 = self.text.find(r"(\d+(?:,\d+)?)\s*MLN\s*€\s*\n\s*PER\s+AREA")
        per_eur = int(parse_it_number(per.group(1)) * MLN) if per else None
        share = Decimal(total_eur) / n_areas if n_areas else None
        if share is not None:
            share = int(share) if share == share.to_integral_value() else float(round(share, 2))
        self._check("resources-per-area", "Risorse per area = totale / numero delle aree",
                    per_eur, share, p0, p1, "il totale diviso per le aree non dà la cifra per area")
        self._fact("Risorse totali", declared, "euro", t0, t1)
        self._fact("Risorse per area", per_eur, "euro", p0, p1)
        return Table("risorse", "Risorse per fondo",
                     "Le risorse integrate della strategia, per fondo, come stampate nelle "
                     "slide (in milioni di euro) e in euro.",
                     [{"name": "fund", "type": "string", "title": "Fondo",
                       "constraints": {"required": True, "unique": True}},
                      {"name": "amount_mln", "type": "number", "title": "Importo (mln €)"},
                      {"name": "amount_eur", "type": "integer", "title": "Importo (€)"},
                      {"name": "amount_written", "type": "string", "title": "Importo come scritto"},
                      {"name": "note", "type": "string", "title": "Nota"}],
                     rows, primary_key=["fund"], lines_in=lines)

    def _pilastri(self) -> Table:
        rows = []
        for n, text in self.doc.numbered():
            m = _PILLAR.match(text)
            if m:
                rows.append({"number": len(rows) + 1, "name": m.group(1),
                             **provenance(self.doc.id, n)})
        declared, d0, d1 = self.text.find(r"\bI\s+(\d+)\s+Pilastri")
        self._check("pillars-count", "Pilastri del Programma Regionale di Sviluppo Sostenibile",
                    _int(declared), len(rows), rows[0]["line_start"] if rows else d0, d1,
                    "pilastri elencati diversi dai dichiarati")
        return Table("pilastri", "Pilastri del Programma Regionale di Sviluppo Sostenibile",
                     "I pilastri del PRSS della XII legislatura, quadro della strategia.",
                     [{"name": "number", "type": "integer", "title": "Numero (ordine)",
                       "constraints": {"required": True, "unique": True}},
                      {"name": "name", "type": "string", "title": "Pilastro"}],
                     rows, primary_key=["number"], lines_in=len(rows))

    # -- programme-level facts -------------------------------------------------------------
    def _facts(self):
        t = self.text
        m, a, b = t.find(r"classificati\s+(\d+)\s+comuni")
        self._fact("Comuni lombardi classificati con l'indice di fragilità", _int(m), "comuni",
                   a, b)
        m, a, b = t.find(r"(\d+)\s+AREE\s+INTERNE\s*-\s*(\d+)\s+COMUNI")
        self._fact("Aree interne", _int(m), "aree", a, b)
        self._fact("Comuni delle aree interne", _int(m, 2), "comuni", a, b)
        m, a, b = t.find(r"(\d+)\s+workshop\s+strategici")
        self._fact("Workshop strategici", _int(m), "workshop", a, b)
        m, a, b = t.find(r"Approvazione\s+della\s+Strategia\s*\n\s*\((DGR[^)]*)\)")
        if m:
            self._fact("Approvazione della Strategia", m.group(1), "atto", a, b)
        m, a, b = t.find(r"Accordo\s+con\s+ANCI\s+Lombardia\s*\n\s*\((DGR[^)]*)\)")
        if m:
            self._fact("Accordo con ANCI Lombardia (centri di competenza)", m.group(1).strip(),
                       "atto", a, b)
