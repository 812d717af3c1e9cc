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

from ..extract import Dataset, ParseResult, Recorder, Table, field, provenance
from ..extract.cells import number
from ..extract.text import Prose
from .base import Parser

SLUG = "aree-interne-2021-2027"

_AREA = re.compile(r"^\s*([1-9]\d?)\s{2,}(\S.*?)\s*$")
_CRITERION = re.compile(r"^\s*0(\d)\s+(\S.*?)\s*$")
_INDICATOR = re.compile(r"^\s*(\S.*?)\s*\((\d+)\s+indicatori\)\s*$", re.I)
_RESOURCE = re.compile(r"^\s*(\d+(?:,\d+)?)\s+mln\s*€\s+(.*[^\W\d_].*?)\s*$", re.I)
_NOTE = re.compile(r"^\s*\((.+)\)\s*$")
_PILLAR = re.compile(r"^\s*◉\s*(\S.*?)\s*$")
_KINDS = {"snai": "SNAI", "regionali": "regionale", "regionale": "regionale"}
MLN = Decimal(1_000_000)


def _int(d, group=1):
    return int(d.group(group)) if d else None


def _lines(d):
    return (d.line, d.line_end) if d else (None, None)


class AreeInterneParser(Parser):
    family = "aree_interne"
    version = "2"

    def parse(self, doc, ctx) -> ParseResult:
        return _Run(doc).parse()


class _Run:
    """One parse: the slides as one text (line breaks kept) and the recorder."""

    def __init__(self, doc):
        self.doc = doc          # no comune is named: the registry is not needed
        self.text = Prose(doc.lines, joiner="\n")
        self.rec = Recorder(doc)

    def find(self, pattern: str):
        return self.text.find(pattern, re.I)

    def parse(self) -> ParseResult:
        result = ParseResult()
        aree = self._aree()
        tables = [aree, self._criteri(), self._indicatori(), self._risorse(len(aree.rows)),
                  self._pilastri()]
        self._facts()
        result.datasets.append(Dataset(
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
        return self.rec.finish(result)

    # -- tables --------------------------------------------------------------------------
    def _lists(self) -> list[list[tuple[int, int, str]]]:
        """The numbered lists of areas (each restarts at 1)."""
        lists: list[list[tuple[int, int, str]]] = []
        for n, text in self.doc.numbered():
            m = _AREA.match(text)
            if m:
                self.rec.candidate("aree", [n])
                num = int(m.group(1))
                if num == 1 or not lists:
                    lists.append([])
                lists[-1].append((n, num, m.group(2)))
        return lists

    def _aree(self) -> Table:
        rec = self.rec
        lists = self._lists()
        legend = self.find(r"(\d+)\s+Aree\s+(\w+)\s+(\d+)\s+Aree\s+(\w+)")
        declared = [(int(legend.group(1)), legend.group(2)),
                    (int(legend.group(3)), legend.group(4))] if legend else []
        l0 = legend.line if legend else None
        rows = []
        for i, items in enumerate(lists):
            count, word = declared[i] if i < len(declared) else (None, None)
            kind = _KINDS.get((word or "").lower())
            if kind is None:
                for n, _, _ in items:
                    rec.reject("aree", n, "elenco numerato senza tipo di area nella legenda")
                continue
            rec.check(f"areas-kind:{kind}", f"Numero di aree {kind} (legenda della slide)",
                      count, len(items), lines=(l0, items[-1][0]),
                      explanation="l'elenco numerato ha un numero di voci diverso dalla legenda")
            nums = [num for _, num, _ in items]
            rec.sequence(f"areas-sequence:{kind}", f"Numerazione delle aree {kind}", nums,
                         (items[0][0], items[-1][0]), "numerazione non consecutiva")
            for n, num, name in items:
                rows.append({"id": f"{kind.lower()}-{num}", "tipo": kind, "n": num,
                             "nome": name,
                             "base_tipo": f"elenco {i + 1} ({len(items)} voci) = «{count} Aree "
                                          f"{word}» della legenda (riga {l0})",
                             **provenance(self.doc.id, n)})
        total = self.find(r"(\d+)\s+AREE\s+INTERNE\s*-\s*(\d+)\s+COMUNI")
        rec.check("areas-total", "Numero totale delle aree interne", _int(total), len(rows),
                  lines=_lines(total), explanation="le aree elencate non sono quante dichiarate")
        if declared:
            rec.check("areas-legend-sum", "Aree SNAI + aree regionali della legenda = totale",
                      _int(total), sum(c for c, _ in declared), lines=(l0, _lines(total)[1]),
                      explanation="la legenda non somma al totale dichiarato")
        strategies = self.find(r"delle\s+(\d+)\s+strategie\s+territoriali")
        rec.check("strategies-count", "Una strategia territoriale per area", _int(strategies),
                  len(rows), lines=_lines(strategies),
                  explanation="le strategie non sono una per area")
        workshops = self.find(r"(\d+)\s+workshop\s+strategici\s*-\s*(\d+)\s+per ogni\s+Area")
        if workshops:
            rec.check("workshops", "Workshop strategici = 2 per area × aree",
                      int(workshops.group(1)), int(workshops.group(2)) * len(rows),
                      lines=_lines(workshops),
                      explanation="il numero di workshop non corrisponde a quelli per area")
        return Table("aree", "Aree interne 2021-2027",
                     "Le aree interne nell'ordine delle slide: tipo (SNAI o regionale), numero "
                     "nell'elenco e nome come scritto.",
                     [field("id", "string", "Id area", required=True, unique=True),
                      field("tipo", "string", "Tipo",
                            "SNAI (Strategia nazionale aree interne) o regionale",
                            enum=["SNAI", "regionale"]),
                      field("n", "integer", "Numero nell'elenco"),
                      field("nome", "string", "Area"),
                      field("base_tipo", "string", "Base del tipo",
                            "Come il tipo è attribuito: elenco della slide e legenda")],
                     rows, primary_key=["id"])

    def _criteri(self) -> Table:
        rows: list[dict] = []
        current = None
        for n, text in self.doc.numbered():
            m = _CRITERION.match(text)
            if m:
                self.rec.candidate("criteri", [n])
                current = {"n": int(m.group(1)), "codice": f"0{m.group(1)}",
                           "testo": m.group(2), **provenance(self.doc.id, n)}
                rows.append(current)
            elif current and text.strip():     # wrapped text of the criterion above
                self.rec.candidate("criteri", [n])
                current["testo"] += " " + text.strip()
                current["line_end"] = n
            else:
                current = None
        declared = self.find(r"a\s+partire\s+da\s+(\d+)\s+criteri")
        self.rec.check("criteria-count", "Numero dei criteri", _int(declared), len(rows),
                       lines=(_lines(declared)[0], rows[-1]["line_end"] if rows
                              else _lines(declared)[1]),
                       explanation="criteri elencati diversi dai dichiarati")
        span = (rows[0]["line_start"], rows[-1]["line_end"]) if rows else None
        self.rec.sequence("criteria-sequence", "Numerazione dei criteri", [r["n"] for r in rows],
                          span, "numerazione non consecutiva")
        return Table("criteri", "Criteri di individuazione delle aree interne",
                     "I criteri con cui, a partire dall'indice di fragilità, sono state create le "
                     "aree interne.",
                     [field("n", "integer", "Numero", required=True, unique=True),
                      field("codice", "string", "Codice nella slide"),
                      field("testo", "string", "Criterio")],
                     rows, primary_key=["n"])

    def _indicatori(self) -> Table:
        rows = [{"famiglia": m.group(1), "indicatori": int(m.group(2)),
                 **provenance(self.doc.id, n)}
                for n, text in self.doc.numbered() if (m := _INDICATOR.match(text))]
        self.rec.candidate("indicatori", [r["line_start"] for r in rows])
        declared = self.find(r"composto\s+da\s+(\d+)\s+indicatori")
        d0, d1 = _lines(declared)
        self.rec.check("indicators-sum", "Somma degli indicatori per famiglia = indicatori "
                       "dell'indice di fragilità", _int(declared),
                       sum(r["indicatori"] for r in rows),
                       lines=(rows[0]["line_start"] if rows else d0, d1),
                       explanation="la somma per famiglia differisce dal totale dichiarato")
        self.rec.fact("Indicatori dell'indice di fragilità territoriale", _int(declared),
                      "indicatori", (d0, d1))
        return Table("indicatori", "Indicatori dell'indice di fragilità territoriale",
                     "Le famiglie di indicatori dell'indice e quanti indicatori ne fanno parte.",
                     [field("famiglia", "string", "Famiglia di indicatori", required=True,
                            unique=True),
                      field("indicatori", "integer", "Indicatori", minimum=0)],
                     rows, primary_key=["famiglia"])

    def _risorse(self, n_areas: int) -> Table:
        rows: list[dict] = []
        for n, text in self.doc.numbered():
            m = _RESOURCE.match(text)
            note = _NOTE.match(text)
            if m:
                self.rec.candidate("risorse", [n])
                try:
                    mln = number(m.group(1))
                except ValueError as e:
                    self.rec.reject("risorse", n, str(e))
                    continue
                rows.append({"fondo": m.group(2), "importo_mln": mln,
                             "importo": int(mln * MLN), "importo_come_scritto":
                             f"{m.group(1)} mln €", "nota": None,
                             **provenance(self.doc.id, n)})
            elif note and rows and rows[-1]["line_end"] == n - 1:
                self.rec.candidate("risorse", [n])
                rows[-1]["nota"] = note.group(1)
                rows[-1]["line_end"] = n
        self._check_risorse(rows, n_areas)
        return Table("risorse", "Risorse per fondo",
                     "Le risorse integrate della strategia, per fondo, come stampate nelle "
                     "slide (in milioni di euro) e in euro.",
                     [field("fondo", "string", "Fondo", required=True, unique=True),
                      field("importo_mln", "number", "Importo (mln €)"),
                      field("importo", "integer", "Importo (€)"),
                      field("importo_come_scritto", "string", "Importo come scritto"),
                      field("nota", "string", "Nota")],
                     rows, primary_key=["fondo"])

    def _check_risorse(self, rows: list[dict], n_areas: int) -> None:
        rec = self.rec
        total_eur = sum(r["importo"] for r in rows)
        first = rows[0]["line_start"] if rows else None
        total = self.find(r"TOTALE\s*\n\s*([\d.]+)\s*€")
        declared = int(number(total.group(1))) if total else None
        rec.check("resources-total", "Somma delle risorse per fondo = totale (euro)", declared,
                  total_eur, lines=(first, _lines(total)[1]),
                  explanation="la somma per fondo differisce dal totale")
        inv = self.find(r"(\d+(?:,\d+)?)\s*MLN\s*€\s*\n\s*investimento\s+complessivo")
        rec.check("resources-investment", "Somma delle risorse per fondo = investimento "
                  "complessivo (mln €)", int(number(inv.group(1)) * MLN) if inv else None,
                  total_eur, lines=(first, _lines(inv)[1]),
                  explanation="la somma per fondo differisce dall'investimento complessivo")
        per = self.find(r"(\d+(?:,\d+)?)\s*MLN\s*€\s*\n\s*PER\s+AREA")
        per_eur = int(number(per.group(1)) * MLN) if per else None
        share = Decimal(total_eur) / n_areas if n_areas else None
        if share is not None:
            share = int(share) if share == share.to_integral_value() else float(round(share, 2))
        rec.check("resources-per-area", "Risorse per area = totale / numero delle aree",
                  per_eur, share, lines=_lines(per),
                  explanation="il totale diviso per le aree non dà la cifra per area")
        rec.fact("Risorse totali", declared, "euro", _lines(total))
        rec.fact("Risorse per area", per_eur, "euro", _lines(per))

    def _pilastri(self) -> Table:
        rows = []
        for n, text in self.doc.numbered():
            m = _PILLAR.match(text)
            if m:
                rows.append({"n": len(rows) + 1, "nome": m.group(1),
                             **provenance(self.doc.id, n)})
        self.rec.candidate("pilastri", [r["line_start"] for r in rows])
        declared = self.find(r"\bI\s+(\d+)\s+Pilastri")
        self.rec.check("pillars-count", "Pilastri del Programma Regionale di Sviluppo Sostenibile",
                       _int(declared), len(rows),
                       lines=(rows[0]["line_start"] if rows else _lines(declared)[0],
                              _lines(declared)[1]),
                       explanation="pilastri elencati diversi dai dichiarati")
        return Table("pilastri", "Pilastri del Programma Regionale di Sviluppo Sostenibile",
                     "I pilastri del PRSS della XII legislatura, quadro della strategia.",
                     [field("n", "integer", "Numero (ordine)", required=True, unique=True),
                      field("nome", "string", "Pilastro")],
                     rows, primary_key=["n"])

    # -- programme-level facts -------------------------------------------------------------
    def _facts(self):
        rec = self.rec
        m = self.find(r"classificati\s+(\d+)\s+comuni")
        rec.fact("Comuni lombardi classificati con l'indice di fragilità", _int(m), "comuni",
                 _lines(m))
        m = self.find(r"(\d+)\s+AREE\s+INTERNE\s*-\s*(\d+)\s+COMUNI")
        rec.fact("Aree interne", _int(m), "aree", _lines(m))
        rec.fact("Comuni delle aree interne", _int(m, 2), "comuni", _lines(m))
        m = self.find(r"(\d+)\s+workshop\s+strategici")
        rec.fact("Workshop strategici", _int(m), "workshop", _lines(m))
        m = self.find(r"Approvazione\s+della\s+Strategia\s*\n\s*\((DGR[^)]*)\)")
        if m:
            rec.fact("Approvazione della Strategia", m.group(1), "atto", _lines(m))
        m = self.find(r"Accordo\s+con\s+ANCI\s+Lombardia\s*\n\s*\((DGR[^)]*)\)")
        if m:
            rec.fact("Accordo con ANCI Lombardia (centri di competenza)", m.group(1).strip(),
                     "atto", _lines(m))
