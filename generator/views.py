"""Programme-specific additions to a comune's facts, computed once per dataset.

The generic fact (one row of a package naming the comune, every field with its
title) is always shown; a view adds what a reader asks next: the other members of
a SMART group, the amount per child and the rank of a 0-6 grant in its province
and region, the seats of a PD collegio, the footnote of a 1983 rate. Each view
reads only the published tables of its dataset.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Callable

from . import formatting
from .extract.result import Dataset

# view(dataset, registry) -> {istat: {(table, line_start): [extra rows]}}
# an extra row is {"label": str, "value": str, "links": [{"name", "url"}] | None}
Views = dict[str, dict[tuple[str, int], list[dict]]]


def _url(istat: str) -> str:
    return f"/comuni/{istat}/"


def _table(ds: Dataset, name: str):
    return next((t for t in ds.tables if t.name == name), None)


def smart(ds: Dataset, registry) -> Views:
    t = _table(ds, "partecipanti")
    groups = _table(ds, "gruppi")
    out: Views = defaultdict(dict)
    if not t:
        return out
    members: dict[str, list[dict]] = defaultdict(list)
    for r in t.rows:
        members[r["gruppo"]].append(r)
    capofila = {g["gruppo"]: g for g in (groups.rows if groups else [])}
    for r in t.rows:
        if not r.get("istat"):
            continue
        others = [{"name": m.get("comune") or m["nome"], "url": _url(m["istat"]) if m.get("istat") else None}
                  for m in members[r["gruppo"]] if m is not r]
        g = capofila.get(r["gruppo"], {})
        extra = [{"label": "Capofila del gruppo", "value": g.get("capofila", "–"), "links": None},
                 {"label": "Altri partecipanti", "value": str(len(others)), "links": others}]
        out[r["istat"]][("partecipanti", r["line_start"])] = extra
    return out


def fondo06(ds: Dataset, registry) -> Views:
    t = _table(ds, "riparto")
    out: Views = defaultdict(dict)
    if not t:
        return out
    rows = [r for r in t.rows if r.get("istat") and r.get("totale_riparto") is not None]
    per_child = {}
    for r in rows:
        pop = r.get("pop_0_6")
        if pop:
            per_child[id(r)] = Decimal(str(r["totale_riparto"])) / Decimal(pop)

    def ranks(key: Callable, group: Callable) -> dict[int, tuple[int, int]]:
        by: dict[str, list[dict]] = defaultdict(list)
        for r in rows:
            if key(r) is not None:
                by[group(r)].append(r)
        res = {}
        for members in by.values():
            members.sort(key=lambda r: (-key(r), r["istat"]))
            for i, r in enumerate(members, start=1):
                res[id(r)] = (i, len(members))
        return res

    total = lambda r: Decimal(str(r["totale_riparto"]))  # noqa: E731
    pc = lambda r: per_child.get(id(r))  # noqa: E731
    prov = lambda r: r.get("provincia") or ""  # noqa: E731
    rank_prov, rank_reg = ranks(total, prov), ranks(total, lambda r: "")
    rank_pc_prov, rank_pc_reg = ranks(pc, prov), ranks(pc, lambda r: "")
    for r in rows:
        extra = []
        if id(r) in per_child:
            extra.append({"label": "Riparto per bambino 0-6 anni",
                          "value": formatting.euro(per_child[id(r)]), "links": None})
        for label, rk in (("Posizione in provincia per importo", rank_prov),
                          ("Posizione in Lombardia per importo", rank_reg),
                          ("Posizione in provincia per importo per bambino", rank_pc_prov),
                          ("Posizione in Lombardia per importo per bambino", rank_pc_reg)):
            if id(r) in rk:
                i, n = rk[id(r)]
                extra.append({"label": label, "value": f"{i}ª su {formatting.num(n)}", "links": None})
        out[r["istat"]][("riparto", r["line_start"])] = extra
    return out


def collegi(ds: Dataset, registry) -> Views:
    t = _table(ds, "comuni_collegi")
    c = _table(ds, "collegi")
    out: Views = defaultdict(dict)
    if not t or not c:
        return out
    by_number = {r["number"]: r for r in c.rows}
    for r in t.rows:
        col = by_number.get(r.get("collegio"))
        if not r.get("istat") or not col:
            continue
        extra = [{"label": "Nome del collegio", "value": col["name"], "links": None},
                 {"label": "Seggi del collegio", "value": formatting.num(col.get("seats")), "links": None},
                 {"label": "Comuni del collegio", "value": formatting.num(col.get("comuni")), "links": None}]
        out[r["istat"]][("comuni_collegi", r["line_start"])] = extra
    return out


def sovrimposta(ds: Dataset, registry) -> Views:
    t = _table(ds, "aliquote")
    notes = _table(ds, "note")
    out: Views = defaultdict(dict)
    if not t:
        return out
    text = {n["id"]: n for n in (notes.rows if notes else [])}
    for r in t.rows:
        if not r.get("istat"):
            continue
        extra = []
        n = text.get(r.get("footnote_id"))
        if n:
            extra.append({"label": f"Nota ({n.get('marker') or ''})", "value": n["text"], "links": None,
                          "source_line": n["line_start"]})
        out[r["istat"]][("aliquote", r["line_start"])] = extra
    return out


VIEWS: dict[str, Callable[[Dataset, object], Views]] = {
    "smart-polizia-locale-2025": smart,
    "fondo-0-6-riparto-2018": fondo06,
    "collegi-pd-lombardia-2014": collegi,
    "sovrimposta-fabbricati-1983": sovrimposta,
}


def extras(ds: Dataset, registry) -> Views:
    view = VIEWS.get(ds.name)
    return view(ds, registry) if view else {}


# -- programme figures: maps and charts, each with its table alternative ---------------------
def _province_totals(rows, value, province) -> list[tuple[str, float]]:
    tot: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows:
        v = value(r)
        if v is not None:
            tot[province(r)] += Decimal(str(v))
    return sorted(((k, float(v)) for k, v in tot.items()), key=lambda kv: (-kv[1], kv[0]))


def figures(ds: Dataset, registry) -> list[dict]:
    """Maps and charts of a programme's dataset: ``[{title, svg, table: {caption, head, rows}}]``.

    Every figure comes with the table that carries the same numbers (WCAG: a text
    alternative for each chart and map)."""
    from . import charts, maps

    out: list[dict] = []
    if ds.name == "fondo-0-6-riparto-2018":
        t = _table(ds, "riparto")
        rows = [r for r in t.rows if r.get("istat") and r.get("pop_0_6")]
        per_child = {r["istat"]: float(Decimal(str(r["totale_riparto"])) / r["pop_0_6"]) for r in rows}
        out.append({"title": "Riparto per bambino 0-6 anni, per comune",
                    "svg": maps.choropleth(per_child, "region:Lombardia",
                                           "Riparto del Fondo 0-6 per bambino", "€ per bambino",
                                           fmt=lambda v: formatting.euro(v, 0)),
                    "table": None})
        out.append({"title": "Distribuzione del riparto per bambino",
                    "svg": charts.histogram(list(per_child.values()), "Comuni per riparto per bambino",
                                            fmt=lambda v: formatting.euro(v, 0), unit="comuni"),
                    "table": None})
        totals = _province_totals(t.rows, lambda r: r.get("totale_riparto"), lambda r: r.get("provincia") or "?")
        out.append({"title": "Riparto totale per provincia",
                    "svg": charts.bar_chart(totals, "Riparto totale per provincia", unit_fmt=formatting.euro),
                    "table": {"caption": "Riparto totale per provincia", "head": ["Provincia", "Totale riparto"],
                              "rows": [[k, formatting.euro(v)] for k, v in totals]}})
    elif ds.name == "sovrimposta-fabbricati-1983":
        t = _table(ds, "aliquote")
        rates = {r["istat"]: float(r["rate_percent"]) for r in t.rows
                 if r.get("istat") and r.get("rate_percent") is not None and r["istat"] in registry.current}
        by_region: dict[str, list[float]] = defaultdict(list)
        by_prov: dict[str, list[float]] = defaultdict(list)
        for istat, v in rates.items():
            c = registry.current[istat]
            by_region[c.region].append(v)
            by_prov[f"{c.province} ({c.province_sigla})"].append(v)

        def summary(groups):
            return [[k, formatting.num(len(v)), formatting.num(sum(v) / len(v), 2) + "%",
                     formatting.num(min(v)) + "–" + formatting.num(max(v)) + "%"]
                    for k, v in sorted(groups.items())]
        head = ["Territorio (confini di oggi)", "Comuni con aliquota", "Aliquota media",
                "Minima–massima"]
        out.append({"title": "Aliquota media deliberata per provincia (1983)",
                    "svg": maps.choropleth(rates, "italy", "Sovrimposta fabbricati 1983: aliquota media",
                                           "aliquota %", aggregate="mean",
                                           fmt=lambda v: formatting.num(v, 1) + "%"),
                    "table": {"caption": "Aliquota per regione (comuni risolti ai codici ISTAT di oggi)",
                              "head": head, "rows": summary(by_region)}})
        out.append({"title": "Aliquota per provincia",
                    "svg": "",
                    "table": {"caption": "Aliquota per provincia (confini di oggi)",
                              "head": head, "rows": summary(by_prov)}})
        counts: dict[str, int] = defaultdict(int)
        for r in t.rows:
            counts[r.get("status") or "?"] += 1
        by_rate: dict[str, int] = defaultdict(int)
        for r in t.rows:
            if r.get("rate_percent") is not None:
                by_rate[f"{r['rate_percent']}%"] += 1
        items = sorted(by_rate.items(), key=lambda kv: float(kv[0][:-1]))
        out.append({"title": "Comuni per aliquota deliberata",
                    "svg": charts.bar_chart([(k, float(v)) for k, v in items], "Comuni per aliquota"),
                    "table": {"caption": "Comuni per aliquota e stato", "head": ["Aliquota o stato", "Comuni"],
                              "rows": [[k, formatting.num(v)] for k, v in items]
                              + [[k, formatting.num(v)] for k, v in sorted(counts.items())]}})
    elif ds.name == "smart-polizia-locale-2025":
        t = _table(ds, "partecipanti")
        groups: dict[str, int] = {}
        for r in t.rows:
            if r.get("istat"):
                groups[r["istat"]] = 1
        out.append({"title": "Comuni che partecipano a un gruppo SMART",
                    "svg": maps.choropleth({c: 1.0 for c in groups}, "region:Lombardia",
                                           "Comuni nei gruppi SMART 2025", "partecipa", classes=1,
                                           fmt=lambda v: "sì"),
                    "table": None})
        g = _table(ds, "gruppi")
        per_prov: dict[str, int] = defaultdict(int)
        for r in g.rows:
            per_prov[r.get("provincia") or "?"] += 1
        items = sorted(per_prov.items(), key=lambda kv: (-kv[1], kv[0]))
        out.append({"title": "Gruppi per provincia",
                    "svg": charts.bar_chart([(k, float(v)) for k, v in items], "Gruppi SMART per provincia"),
                    "table": {"caption": "Gruppi SMART per provincia", "head": ["Provincia", "Gruppi"],
                              "rows": [[k, str(v)] for k, v in items]}})
    elif ds.name == "collegi-pd-lombardia-2014":
        c = _table(ds, "collegi")
        items = [(f"{r['number']}. {r['name'][:40]}", float(r["seats"])) for r in c.rows]
        out.append({"title": "Seggi per collegio",
                    "svg": charts.bar_chart(items, "Seggi dell'Assemblea regionale per collegio"),
                    "table": None})
        t = _table(ds, "comuni_collegi")
        seats = {r["number"]: r["seats"] for r in c.rows}
        vals = {r["istat"]: float(seats[r["collegio"]]) for r in t.rows
                if r.get("istat") in registry.current and r.get("collegio") in seats}
        out.append({"title": "Seggi del collegio di ogni comune",
                    "svg": maps.choropleth(vals, "region:Lombardia", "Seggi del collegio PD 2014",
                                           "seggi del collegio"),
                    "table": None})
    return out
