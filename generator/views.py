"""How a dataset is shown: maps, charts and comune-page extras, declared with the dataset.

A dataset declares its views in ``Dataset.views`` -- the ``views:`` block of its table spec
(``data/specs/*.yaml``) or the dict its parser family sets -- and this module interprets
the declarations; nothing here knows a dataset by name. Every value is an expression of
the spec language (``generator/specs/expr.py``) over a row of the named table.

Programme page (each figure with a table carrying the same numbers, WCAG; ``join: {table,
on: {column: other column}}`` completes each row with the row of another table)::

    map:            {table, value, title, legend, format, aggregate, area, classes,
                     summary: {by, caption, head, format, range, range_format}}  # + its table
    histogram:      {table, value, title, format}
    province_chart: {table, value | aggregate: count, title, format}
    counts_chart:   {table, column, title, chart_title}    # rows per value of a column
    bar_chart:      {table, label, value, title, chart_title}  # one bar per row ("{n}. {nome}")
    summary_tables: [{table, value, by: region | province, title, format,
                      range: "{min}–{max}", range_format}]

Comune page: ``comune: [...]``, extras shown under the comune's row of ``table``::

    - {table, label, value, format}                     # a value computed from the row
    - {table, rank: <value>, within: province | region, label}
    - {table, members: <group column>, label, name}     # the others of the row's group
    - {table, join: {table, on: {col: other_col}}, fields: [{label, value, format}]}

With no declaration, a dataset still gets its programme page with the full table and its
rows on the pages of the comuni it names (``model.facts_from_dataset``).
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Callable

from . import formatting
from .extract.result import Dataset
from .specs.expr import ExprError, evaluate

# extras of a comune: {istat: {(table, line_start): [{"label", "value", "links", ...}]}}
Views = dict[str, dict[tuple[str, int], list[dict]]]

FORMATS: dict[str, Callable] = {
    "euro": lambda v: formatting.euro(v), "euro0": lambda v: formatting.euro(v, 0),
    "num": lambda v: formatting.num(v), "num1": lambda v: formatting.num(v, 1),
    "num2": lambda v: formatting.num(v, 2), "pct1": lambda v: formatting.num(v, 1) + "%",
    "pct2": lambda v: formatting.num(v, 2) + "%",
    "yes": lambda v: "sì",
}


def _fmt(name: str | None) -> Callable:
    return FORMATS.get(name or "num", FORMATS["num"])


def _url(istat: str) -> str:
    return f"/comuni/{istat}/"


def value_of(expr, row: dict):
    """An expression (or column name) of a row; None when it cannot be computed."""
    try:
        v = evaluate(str(expr), lambda k: row.get(k))
    except (ExprError, TypeError, ArithmeticError):
        return None
    return None if isinstance(v, bool) else v


# -- comune page -------------------------------------------------------------------------
def extras(ds: Dataset, registry) -> Views:
    out: Views = defaultdict(dict)
    for decl in ds.views.get("comune") or []:
        t = ds.table(decl["table"])
        if t is None:
            continue
        rows = [r for r in t.rows if r.get("istat")]
        for istat, key, extra in _extra(decl, ds, rows):
            out[istat].setdefault(key, []).extend(extra)
    return out


def _extra(decl: dict, ds: Dataset, rows: list[dict]):
    key = lambda r: (decl["table"], r["line_start"])  # noqa: E731
    if "rank" in decl:
        ranks = _ranks(rows, decl["rank"], decl.get("within", "region"))
        for r in rows:
            if id(r) in ranks:
                i, n = ranks[id(r)]
                yield r["istat"], key(r), [{"label": decl["label"],
                                             "value": f"{i}ª su {formatting.num(n)}",
                                             "links": None}]
    elif "members" in decl:
        groups: dict = defaultdict(list)
        for r in ds.table(decl["table"]).rows:
            groups[r.get(decl["members"])].append(r)
        for r in rows:
            others = [{"name": m.get("comune") or m.get(decl.get("name", "nome")),
                       "url": _url(m["istat"]) if m.get("istat") else None}
                      for m in groups[r.get(decl["members"])] if m is not r]
            yield r["istat"], key(r), [{"label": decl["label"], "value": str(len(others)),
                                        "links": others}]
    elif "join" in decl:
        yield from _joined(decl, ds, rows, key)
    else:
        fmt = _fmt(decl.get("format"))
        for r in rows:
            v = value_of(decl["value"], r)
            if v is not None:
                yield r["istat"], key(r), [{"label": decl["label"], "value": fmt(v),
                                            "links": None}]


def _joined(decl: dict, ds: Dataset, rows: list[dict], key):
    j = decl["join"]
    other = ds.table(j["table"])
    if other is None:
        return
    (mine, theirs), = j["on"].items()
    index = {o.get(theirs): o for o in other.rows}
    for r in rows:
        o = index.get(r.get(mine))
        if o is None:
            continue
        items = []
        for f in decl["fields"]:
            v = value_of(f["value"], o)
            if v is None or v == "":
                continue
            label = f["label"].format(**{k: (o.get(k) or "") for k in o})
            item = {"label": label, "value": _fmt(f.get("format"))(v) if not isinstance(v, str)
                    else v, "links": None}
            if f.get("line"):
                item["source_line"] = o.get(f["line"])
            items.append(item)
        yield r["istat"], key(r), items


def _ranks(rows: list[dict], expr, within: str) -> dict[int, tuple[int, int]]:
    """``{id(row): (rank, out of)}`` by the value of ``expr``, highest first, in the row's
    province (its ``provincia`` column) or the whole table."""
    by: dict[str, list] = defaultdict(list)
    for r in rows:
        v = value_of(expr, r)
        if v is not None:
            by[(r.get("provincia") or "") if within == "province" else ""].append((v, r))
    out = {}
    for members in by.values():
        members.sort(key=lambda vr: (-vr[0], vr[1]["istat"]))
        for i, (_, r) in enumerate(members, start=1):
            out[id(r)] = (i, len(members))
    return out


# -- programme page ------------------------------------------------------------------------
def figures(ds: Dataset, registry) -> list[dict]:
    """Maps and charts of a programme's dataset: ``[{title, svg, table: {caption, head, rows}}]``
    in the order the views are declared. Every figure comes with the table that carries the
    same numbers (WCAG: a text alternative for each chart and map)."""
    out: list[dict] = []
    for kind, decl in ds.views.items():
        make = _FIGURES.get(kind)
        if make is None:
            continue
        for d in decl if isinstance(decl, list) else [decl]:
            t = ds.table(d["table"])
            if t is not None and t.rows:
                out += make(d, _joined_rows(ds, d), registry)
    return out


def _joined_rows(ds: Dataset, decl: dict) -> list[dict]:
    """The rows of ``decl["table"]``, each completed with the columns of the row of
    ``decl["join"]["table"]`` it points to (``on: {column: other column}``)."""
    rows = ds.table(decl["table"]).rows
    j = decl.get("join")
    other = ds.table(j["table"]) if j else None
    if other is None:
        return rows
    (mine, theirs), = j["on"].items()
    index = {o.get(theirs): o for o in other.rows}
    return [{**index.get(r.get(mine), {}), **r} for r in rows]


def _per_comune(rows: list[dict], expr, aggregate: str | None, registry) -> dict[str, float]:
    vals: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        if r.get("istat") in registry.current:
            v = value_of(expr, r)
            if v is not None:
                vals[r["istat"]].append(float(v))
    if aggregate == "count":
        return {k: float(len(v)) for k, v in vals.items()}
    if aggregate == "sum":
        return {k: sum(v) for k, v in vals.items()}
    return {k: sum(v) / len(v) for k, v in vals.items()}


def _area(values: dict[str, float], decl: dict, registry) -> str:
    if decl.get("area"):
        return decl["area"]
    regions = {registry.current[k].region for k in values}
    return f"region:{regions.pop()}" if len(regions) == 1 else "italy"


def _map(decl: dict, rows: list[dict], registry) -> list[dict]:
    from . import maps

    values = _per_comune(rows, decl["value"], decl.get("aggregate"), registry)
    if not values:
        return []
    kw = {"classes": decl["classes"]} if decl.get("classes") else {}
    if decl.get("map_aggregate"):
        kw["aggregate"] = decl["map_aggregate"]
    fmt = _fmt(decl.get("format"))
    summary = decl.get("summary")          # the map's numbers as a table (WCAG alternative)
    table = _summary_tables({"value": decl["value"], **summary}, rows, registry)[0]["table"] \
        if summary else None
    return [{"title": decl.get("title", ""), "table": table,
             "svg": maps.choropleth(values, _area(values, decl, registry),
                                    decl.get("map_title", decl.get("title", "")),
                                    decl.get("legend", ""), fmt=fmt, **kw)}]


def _histogram(decl: dict, rows: list[dict], registry) -> list[dict]:
    from . import charts

    values = list(_per_comune(rows, decl["value"], None, registry).values())
    return [{"title": decl.get("title", ""), "table": None,
             "svg": charts.histogram(values, decl.get("title", ""),
                                     fmt=_fmt(decl.get("format")),
                                     unit=decl.get("unit", "comuni"))}] if values else []


def _province_chart(decl: dict, rows: list[dict], registry) -> list[dict]:
    from . import charts

    tot: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows:
        prov = r.get(decl.get("province_column", "provincia")) or "?"
        if decl.get("aggregate") == "count":
            tot[prov] += 1
        else:
            v = value_of(decl["value"], r)
            if v is not None:
                tot[prov] += Decimal(str(v))
    items = sorted(((k, float(v)) for k, v in tot.items()), key=lambda kv: (-kv[1], kv[0]))
    fmt = _fmt(decl.get("format"))
    head = decl.get("head") or ["Provincia", decl.get("value_title", "Valore")]
    return [{"title": decl.get("title", ""),
             "svg": charts.bar_chart(items, decl.get("title", ""), unit_fmt=fmt)
             if decl.get("format") else charts.bar_chart(items, decl.get("title", "")),
             "table": {"caption": decl.get("title", ""), "head": head,
                       "rows": [[k, fmt(v)] for k, v in items]}}]


def _counts_chart(decl: dict, rows: list[dict], registry) -> list[dict]:
    from . import charts

    counts: dict[str, int] = defaultdict(int)
    for r in rows:
        v = r.get(decl["column"])
        if v is not None:
            counts[f"{formatting.num(v)}{decl.get('suffix', '')}"] += 1
    items = sorted(counts.items(), key=lambda kv: _sortable(kv[0]))
    extra = []
    if decl.get("also"):
        by: dict[str, int] = defaultdict(int)
        for r in rows:
            by[r.get(decl["also"]) or "?"] += 1
        extra = [[k, formatting.num(v)] for k, v in sorted(by.items())]
    return [{"title": decl.get("title", ""),
             "svg": charts.bar_chart([(k, float(v)) for k, v in items],
                                     decl.get("chart_title", decl.get("title", ""))),
             "table": {"caption": decl.get("caption", decl.get("title", "")),
                       "head": decl.get("head", ["Valore", "Righe"]),
                       "rows": [[k, formatting.num(v)] for k, v in items] + extra}}]


def _sortable(label: str):
    try:
        return (0, float(label.rstrip("%").replace(".", "").replace(",", ".")), label)
    except ValueError:
        return (1, 0.0, label)


def _bar_chart(decl: dict, rows: list[dict], registry) -> list[dict]:
    from . import charts

    items = [(decl["label"].format(**{k: ("" if v is None else v) for k, v in r.items()}),
              float(value_of(decl["value"], r) or 0)) for r in rows]
    return [{"title": decl.get("title", ""), "table": None,
             "svg": charts.bar_chart(items, decl.get("chart_title", decl.get("title", "")))}]


def _summary_tables(decl: dict, rows: list[dict], registry) -> list[dict]:
    """Mean, min and max of a value per region or province (of today's boundaries)."""
    groups: dict[str, list[float]] = defaultdict(list)
    for istat, v in _per_comune(rows, decl["value"], None, registry).items():
        c = registry.current[istat]
        key = c.region if decl.get("by") == "region" else f"{c.province} ({c.province_sigla})"
        groups[key].append(v)
    fmt = _fmt(decl.get("format"))
    rfmt = _fmt(decl.get("range_format", decl.get("format")))
    span = decl.get("range", "{min}–{max}")
    return [{"title": decl.get("title", ""), "svg": "",
             "table": {"caption": decl.get("caption", decl.get("title", "")),
                       "head": decl.get("head", ["Territorio", "Comuni", "Media",
                                                 "Minima–massima"]),
                       "rows": [[k, formatting.num(len(v)), fmt(sum(v) / len(v)),
                                 span.format(min=rfmt(min(v)), max=rfmt(max(v)))]
                                for k, v in sorted(groups.items())]}}]


_FIGURES = {"map": _map, "histogram": _histogram, "province_chart": _province_chart,
            "counts_chart": _counts_chart, "bar_chart": _bar_chart,
            "summary_tables": _summary_tables}
