"""Strategia regionale Aree interne 2021-2027: a slide presentation extracted as text.

Slides have no tables, so each table is read from the patterns the slides use, and
every figure the slides print about it is checked. Four tables are one pattern per
line and a figure printed elsewhere: the table spec ``data/specs/aree-interne-2021-2027.yaml``
reads them (criteri, indicatori, risorse, pilastri). This parser reads the one a spec
cannot (declared in the same spec, ``parser: true``, with the dataset), and ties the tables
together:

* **aree** — two numbered lists (``" 1   Valchiavenna"``: number, two or more spaces,
  name; each list restarts at 1). The slide's legend ``"6 Aree Snai 8 Aree regionali"``
  gives, in order, the kind and the length of each list; ``"14 AREE INTERNE - 488
  COMUNI"`` the total. The text names no comune of any area and gives no figure per
  area, so the 488 comuni are a programme-level fact only.
* after the spec (:meth:`AreeInterneParser.complete`): ``"14 MLN € PER AREA"`` against
  the resources' total divided by the areas, and the programme-level facts.
"""

from __future__ import annotations

import re
from decimal import Decimal

from .. import specs
from ..extract import ParseResult, Recorder, provenance
from ..extract.cells import number
from ..extract.text import Prose
from .base import Parser

SLUG = "aree-interne-2021-2027"  # the dataset, and the spec that declares it

_AREA = re.compile(r"^\s*([1-9]\d?)\s{2,}(\S.*?)\s*$")
_KINDS = {"snai": "SNAI", "regionali": "regionale", "regionale": "regionale"}
_TOTAL = r"(\d+)\s+AREE\s+INTERNE\s*-\s*(\d+)\s+COMUNI"
MLN = Decimal(1_000_000)


def _int(d, group=1):
    return int(d.group(group)) if d else None


def _lines(d):
    return (d.line, d.line_end) if d else (None, None)


class AreeInterneParser(Parser):
    family = "aree_interne"
    version = "4"

    def parse(self, doc, ctx) -> ParseResult:
        rec = Recorder(doc)  # no comune is named: the registry is not needed
        text = Prose(doc.lines, joiner="\n")
        result = ParseResult()
        specs.declared_dataset(SLUG, doc, result).tables.append(
            specs.parser_table(SLUG, "aree", doc, ctx, [], rec, _aree(doc, text, rec))
        )
        return rec.finish(result)

    def complete(self, doc, ctx, result: ParseResult) -> None:
        """After the spec: resources per area, then the programme-level facts."""
        ds = result.dataset(SLUG)
        if ds is None:
            return
        rec = Recorder(doc)
        text = Prose(doc.lines, joiner="\n")
        risorse = ds.table("risorse")
        _check_per_area(rec, text, risorse.rows if risorse else [], len(ds.table("aree").rows))
        _facts(rec, text)
        rec.finish(result)


# -- the areas --------------------------------------------------------------------------------
def _lists(doc, rec: Recorder) -> list[list[tuple[int, int, str]]]:
    """The numbered lists of areas (each restarts at 1)."""
    lists: list[list[tuple[int, int, str]]] = []
    for n, text in doc.numbered():
        m = _AREA.match(text)
        if m:
            rec.candidate("aree", [n])
            num = int(m.group(1))
            if num == 1 or not lists:
                lists.append([])
            lists[-1].append((n, num, m.group(2)))
    return lists


def _aree(doc, text: Prose, rec: Recorder) -> list[dict]:
    lists = _lists(doc, rec)
    legend = text.find(r"(\d+)\s+Aree\s+(\w+)\s+(\d+)\s+Aree\s+(\w+)", re.I)
    declared = (
        [(int(legend.group(1)), legend.group(2)), (int(legend.group(3)), legend.group(4))]
        if legend
        else []
    )
    l0 = legend.line if legend else None
    rows = []
    for i, items in enumerate(lists):
        count, word = declared[i] if i < len(declared) else (None, None)
        kind = _KINDS.get((word or "").lower())
        if kind is None:
            for n, _, _ in items:
                rec.reject("aree", n, "elenco numerato senza tipo di area nella legenda")
            continue
        rec.check(
            f"areas-kind:{kind}",
            f"Numero di aree {kind} (legenda della slide)",
            count,
            len(items),
            lines=(l0, items[-1][0]),
            explanation="l'elenco numerato ha un numero di voci diverso dalla legenda",
        )
        rec.sequence(
            f"areas-sequence:{kind}",
            f"Numerazione delle aree {kind}",
            [num for _, num, _ in items],
            (items[0][0], items[-1][0]),
            "numerazione non consecutiva",
        )
        rows += [
            {
                "id": f"{kind.lower()}-{num}",
                "tipo": kind,
                "n": num,
                "nome": name,
                "base_tipo": f"elenco {i + 1} ({len(items)} voci) = «{count} Aree {word}» "
                f"della legenda (riga {l0})",
                **provenance(doc.id, n),
            }
            for n, num, name in items
        ]
    _check_areas(rec, text, len(rows), declared, l0)
    return rows


def _check_areas(rec: Recorder, text: Prose, n_areas: int, declared: list, l0) -> None:
    """The areas against the total, the legend, the strategies and the workshops."""
    total = text.find(_TOTAL, re.I)
    rec.check(
        "areas-total",
        "Numero totale delle aree interne",
        _int(total),
        n_areas,
        lines=_lines(total),
        explanation="le aree elencate non sono quante dichiarate",
    )
    if declared:
        rec.check(
            "areas-legend-sum",
            "Aree SNAI + aree regionali della legenda = totale",
            _int(total),
            sum(c for c, _ in declared),
            lines=(l0, _lines(total)[1]),
            explanation="la legenda non somma al totale dichiarato",
        )
    strategies = text.find(r"delle\s+(\d+)\s+strategie\s+territoriali", re.I)
    rec.check(
        "strategies-count",
        "Una strategia territoriale per area",
        _int(strategies),
        n_areas,
        lines=_lines(strategies),
        explanation="le strategie non sono una per area",
    )
    workshops = text.find(r"(\d+)\s+workshop\s+strategici\s*-\s*(\d+)\s+per ogni\s+Area", re.I)
    if workshops:
        rec.check(
            "workshops",
            "Workshop strategici = 2 per area × aree",
            int(workshops.group(1)),
            int(workshops.group(2)) * n_areas,
            lines=_lines(workshops),
            explanation="il numero di workshop non corrisponde a quelli per area",
        )


# -- after the spec -----------------------------------------------------------------------------
def _check_per_area(rec: Recorder, text: Prose, risorse: list[dict], n_areas: int) -> None:
    """``"14 MLN € / PER AREA"`` = the resources' total (table ``risorse``) / the areas."""
    per = text.find(r"(\d+(?:,\d+)?)\s*MLN\s*€\s*\n\s*PER\s+AREA", re.I)
    per_eur = int(number(per.group(1)) * MLN) if per else None
    share = Decimal(sum(r["importo"] for r in risorse)) / n_areas if n_areas else None
    if share is not None:
        share = int(share) if share == share.to_integral_value() else float(round(share, 2))
    rec.check(
        "resources-per-area",
        "Risorse per area = totale / numero delle aree",
        per_eur,
        share,
        lines=_lines(per),
        explanation="il totale diviso per le aree non dà la cifra per area",
    )
    rec.fact("Risorse per area", per_eur, "euro", _lines(per))


def _facts(rec: Recorder, text: Prose) -> None:
    m = text.find(r"classificati\s+(\d+)\s+comuni", re.I)
    rec.fact("Comuni lombardi classificati con l'indice di fragilità", _int(m), "comuni", _lines(m))
    m = text.find(_TOTAL, re.I)
    rec.fact("Aree interne", _int(m), "aree", _lines(m))
    rec.fact("Comuni delle aree interne", _int(m, 2), "comuni", _lines(m))
    m = text.find(r"(\d+)\s+workshop\s+strategici", re.I)
    rec.fact("Workshop strategici", _int(m), "workshop", _lines(m))
    m = text.find(r"Approvazione\s+della\s+Strategia\s*\n\s*\((DGR[^)]*)\)", re.I)
    if m:
        rec.fact("Approvazione della Strategia", m.group(1), "atto", _lines(m))
    m = text.find(r"Accordo\s+con\s+ANCI\s+Lombardia\s*\n\s*\((DGR[^)]*)\)", re.I)
    if m:
        rec.fact(
            "Accordo con ANCI Lombardia (centri di competenza)",
            m.group(1).strip(),
            "atto",
            _lines(m),
        )
