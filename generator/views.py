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

Comune page, "In sintesi" (one plain-Italian sentence per comune the table names, with its
key figure in context; ``summary`` may also be a list, one sentence each)::

    summary:
      title: "Fondo 0-6 (2018)"          # short name, before the sentence
      table: riparto                      # rows with an ``istat`` column
      join: {table, on: {col: other_col}} # optional: columns of a row of another table
      when: <expression>                  # optional: only the rows where it is true
      value: totale_riparto               # the key figure: an expression over the comune's
                                          # rows (a column, or sum(), count() ...)
      format: euro                        # a FORMATS name
      per: abitante | bambino | {by: <expression>, label}   # the key figure per inhabitant
                                          # (ISTAT 2023), per child 0-5, or per any base
      label: riparto                      # the figure in words, for ranks and medians
      rank: per | value | false           # what ranks compare (default: per, else value)
      median: false                       # no comparison with similar comuni
      sentence: "{name} riceve {value} ... {per} per bambino."  # or [{when, text}, ...]:
                                          # the first whose placeholders all have a value
      each: "{associazione} ({contributo_finanziato|euro})"   # {each}: one per row
      coverage: province | region         # where the list is complete: a comune of a
      absent: "{name} non ..."            # covered area without a row gets this sentence
                                          # and the reason (see generator/glance.py)

Placeholders are ``{column}`` or ``{column|format}`` of the comune's (first) row or its
joined row, and ``{name}`` (the comune), ``{value}``, ``{per}``, ``{rows}``, ``{each}``,
``{province}``, ``{region}``, ``{rank_province}``, ``{rank_region}``, ``{band}``,
``{median_band}``, ``{median_province}``, ``{median_region}``; ``absent`` knows ``{name}``,
``{province}``, ``{region}`` and ``{listed}`` (comuni listed in the area). Unless the
sentence states them, the rank in province and region and the median of the comuni of the
same population class (:mod:`generator.compare`) follow it. Every figure links to where it
comes from: its source line, the province's ranking, the comparison on the page.
``technical: {table: [columns]}`` lists the columns shown only under "Dettagli tecnici".

With no declaration, a dataset still gets its programme page with the full table and its
rows on the pages of the comuni it names (``model.facts_from_dataset``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Callable

from . import formatting
from .extract.result import Dataset
from .specs.expr import ExprError, evaluate

if TYPE_CHECKING:  # for an annotation only
    from . import compare

# extras of a comune: {istat: {(table, line_start): [{"label", "value", "links", ...}]}}
Views = dict[str, dict[tuple[str, int], list[dict]]]

FORMATS: dict[str, Callable] = {
    "euro": lambda v: formatting.euro(v),
    "euro0": lambda v: formatting.euro(v, 0),
    "num": lambda v: formatting.num(v),
    "num1": lambda v: formatting.num(v, 1),
    "num2": lambda v: formatting.num(v, 2),
    "pct1": lambda v: formatting.num(v, 1) + "%",
    "pct2": lambda v: formatting.num(v, 2) + "%",
    "yes": lambda v: "sì",
    "date": lambda v: formatting.date_it(str(v)),
    "pct": lambda v: formatting.num(v) + "%",
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
                yield (
                    r["istat"],
                    key(r),
                    [
                        {
                            "label": decl["label"],
                            "value": f"{i}ª su {formatting.num(n)}",
                            "links": None,
                        }
                    ],
                )
    elif "members" in decl:
        groups: dict = defaultdict(list)
        for r in ds.table(decl["table"]).rows:
            groups[r.get(decl["members"])].append(r)
        for r in rows:
            others = [
                {
                    "name": m.get("comune") or m.get(decl.get("name", "nome")),
                    "url": _url(m["istat"]) if m.get("istat") else None,
                }
                for m in groups[r.get(decl["members"])]
                if m is not r
            ]
            yield (
                r["istat"],
                key(r),
                [{"label": decl["label"], "value": str(len(others)), "links": others}],
            )
    elif "join" in decl:
        yield from _joined(decl, ds, rows, key)
    else:
        fmt = _fmt(decl.get("format"))
        for r in rows:
            v = value_of(decl["value"], r)
            if v is not None:
                yield r["istat"], key(r), [{"label": decl["label"], "value": fmt(v), "links": None}]


def _joined(decl: dict, ds: Dataset, rows: list[dict], key):
    j = decl["join"]
    other = ds.table(j["table"])
    if other is None:
        return
    ((mine, theirs),) = j["on"].items()
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
            item = {
                "label": label,
                "value": _fmt(f.get("format"))(v) if not isinstance(v, str) else v,
                "links": None,
            }
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
    ((mine, theirs),) = j["on"].items()
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
    summary = decl.get("summary")  # the map's numbers as a table (WCAG alternative)
    table = (
        _summary_tables({"value": decl["value"], **summary}, rows, registry)[0]["table"]
        if summary
        else None
    )
    return [
        {
            "title": decl.get("title", ""),
            "table": table,
            "svg": maps.choropleth(
                values,
                _area(values, decl, registry),
                decl.get("map_title", decl.get("title", "")),
                decl.get("legend", ""),
                fmt=fmt,
                **kw,
            ),
        }
    ]


def _histogram(decl: dict, rows: list[dict], registry) -> list[dict]:
    from . import charts

    values = list(_per_comune(rows, decl["value"], None, registry).values())
    return (
        [
            {
                "title": decl.get("title", ""),
                "table": None,
                "svg": charts.histogram(
                    values,
                    decl.get("title", ""),
                    fmt=_fmt(decl.get("format")),
                    unit=decl.get("unit", "comuni"),
                ),
            }
        ]
        if values
        else []
    )


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
    return [
        {
            "title": decl.get("title", ""),
            "svg": charts.bar_chart(items, decl.get("title", ""), unit_fmt=fmt)
            if decl.get("format")
            else charts.bar_chart(items, decl.get("title", "")),
            "table": {
                "caption": decl.get("title", ""),
                "head": head,
                "rows": [[k, fmt(v)] for k, v in items],
            },
        }
    ]


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
    return [
        {
            "title": decl.get("title", ""),
            "svg": charts.bar_chart(
                [(k, float(v)) for k, v in items], decl.get("chart_title", decl.get("title", ""))
            ),
            "table": {
                "caption": decl.get("caption", decl.get("title", "")),
                "head": decl.get("head", ["Valore", "Righe"]),
                "rows": [[k, formatting.num(v)] for k, v in items] + extra,
            },
        }
    ]


def _sortable(label: str):
    try:
        return (0, float(label.rstrip("%").replace(".", "").replace(",", ".")), label)
    except ValueError:
        return (1, 0.0, label)


def _bar_chart(decl: dict, rows: list[dict], registry) -> list[dict]:
    from . import charts

    items = [
        (
            decl["label"].format(**{k: ("" if v is None else v) for k, v in r.items()}),
            float(value_of(decl["value"], r) or 0),
        )
        for r in rows
    ]
    return [
        {
            "title": decl.get("title", ""),
            "table": None,
            "svg": charts.bar_chart(items, decl.get("chart_title", decl.get("title", ""))),
        }
    ]


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
    return [
        {
            "title": decl.get("title", ""),
            "svg": "",
            "table": {
                "caption": decl.get("caption", decl.get("title", "")),
                "head": decl.get("head", ["Territorio", "Comuni", "Media", "Minima–massima"]),
                "rows": [
                    [
                        k,
                        formatting.num(len(v)),
                        fmt(sum(v) / len(v)),
                        span.format(min=rfmt(min(v)), max=rfmt(max(v))),
                    ]
                    for k, v in sorted(groups.items())
                ],
            },
        }
    ]


_FIGURES = {
    "map": _map,
    "histogram": _histogram,
    "province_chart": _province_chart,
    "counts_chart": _counts_chart,
    "bar_chart": _bar_chart,
    "summary_tables": _summary_tables,
}


# -- comune page: "In sintesi" -------------------------------------------------------------
# summary: {table, sentence, value, per, ...}: one plain-Italian sentence per comune named by
# the table, with its key figure in context. See the module docstring and
# docs/writing-a-spec.md (views).
SUMMARY_KEYS = {
    "table",
    "join",
    "when",
    "value",
    "format",
    "per",
    "label",
    "rank",
    "median",
    "sentence",
    "each",
    "coverage",
    "absent",
    "title",
}
PER_UNITS = {
    "abitante": ("popolazione", "per abitante"),
    "bambino": ("popolazione_0_6", "per bambino di 0-5 anni"),
}
REGISTRY_NAMES = {"popolazione": "population", "popolazione_0_6": "population_0_6"}
SPECIALS = {
    "name",
    "value",
    "per",
    "rows",
    "province",
    "region",
    "rank_province",
    "rank_region",
    "band",
    "median_band",
    "median_province",
    "median_region",
    "each",
}
_FIELD = re.compile(r"\{([a-z_][a-z0-9_]*)(?:\|([a-z0-9]+))?\}")


class _Missing(Exception):
    """A placeholder of a sentence has no value for this comune (try the next sentence)."""


def summary_decls(ds: Dataset) -> list[dict]:
    decl = ds.views.get("summary")
    return [] if not decl else (list(decl) if isinstance(decl, list) else [decl])


def check_summary(decl, where: str = "summary") -> list[str]:
    """What is wrong with a ``summary`` declaration (empty: nothing): unknown keys, missing
    table or sentence, expressions outside the spec language, unknown formats."""
    from .specs.expr import compile_expr

    if not isinstance(decl, dict):
        return [f"{where}: expected a mapping (table, sentence, value, ...)"]
    errs = [
        f"{where}: unknown key {k!r} (allowed: {', '.join(sorted(SUMMARY_KEYS))})"
        for k in decl
        if k not in SUMMARY_KEYS
    ]
    for k in ("table", "sentence"):
        if not decl.get(k):
            errs.append(f"{where}: {k!r} is required")
    exprs = [decl.get("value"), decl.get("when")]
    per = decl.get("per")
    if isinstance(per, dict):
        exprs.append(per.get("by"))
    elif per is not None and per not in PER_UNITS:
        errs.append(
            f"{where}: per: {per!r} is not one of {sorted(PER_UNITS)} nor "
            "{{by: expression, label: text}}"
        )
    sentences = decl.get("sentence")
    for s in sentences if isinstance(sentences, list) else [sentences]:
        if isinstance(s, dict):
            exprs.append(s.get("when"))
            s = s.get("text")
        for m in _FIELD.finditer(str(s or "")) if s else []:
            if m.group(2) and m.group(2) not in FORMATS:
                errs.append(
                    f"{where}: unknown format {m.group(2)!r} in {{{m.group(0)[1:-1]}}} "
                    f"(formats: {', '.join(sorted(FORMATS))})"
                )
    for k in ("format",):
        if decl.get(k) and decl[k] not in FORMATS:
            errs.append(f"{where}: unknown format {decl[k]!r}")
    if decl.get("rank") not in (None, False, "value", "per"):
        errs.append(f"{where}: rank: value | per | false")
    if decl.get("coverage") not in (None, "province", "region"):
        errs.append(f"{where}: coverage: province | region")
    for e in exprs:
        if e is None:
            continue
        try:
            compile_expr(str(e))
        except ExprError as x:
            errs.append(f"{where}: {x}")
    return errs


@dataclass
class Summary:
    """One ``summary`` declaration of a dataset, computed over its table: each comune's rows
    (with the joined row), its key figure and the figure per inhabitant or child, and the
    comparisons (:class:`generator.compare.Stats`) of the measure it is ranked by."""

    programme: str
    dataset: str
    key: str  # anchor: programme slug (+ "-2", "-3" ...)
    decl: dict
    rows: dict[str, list[tuple[dict, dict | None]]]  # istat -> [(row, joined row)]
    values: dict[str, Decimal] = field(default_factory=dict)
    per: dict[str, Decimal] = field(default_factory=dict)
    stats: dict[str, compare.Stats] = field(default_factory=dict)  # "value" / "per"
    covered: dict[str, int] = field(default_factory=dict)  # area (coverage) -> comuni listed

    @property
    def measure(self) -> str | None:
        """What ranks and medians use: ``per`` (when declared), else ``value``."""
        r = self.decl.get("rank")
        if r in ("value", "per"):
            return r if r in self.stats else None
        return "per" if "per" in self.stats else ("value" if "value" in self.stats else None)

    def fmt(self, which: str) -> Callable:
        if which == "per":
            return _fmt(self.decl.get("per_format") or self.decl.get("format"))
        return _fmt(self.decl.get("format"))

    @property
    def per_label(self) -> str:
        per = self.decl.get("per")
        if isinstance(per, dict):
            return per.get("label", "")
        return PER_UNITS[per][1] if per in PER_UNITS else ""

    @property
    def label(self) -> str:
        """The compared measure in words ("riparto per bambino di 0-6 anni")."""
        base = self.decl.get("label") or "valore"
        return f"{base} {self.per_label}" if self.measure == "per" else base


def summaries(ds: Dataset, registry) -> list[Summary]:
    """The dataset's ``summary`` declarations, each computed over its table."""
    from . import compare

    out = []
    slug = ds.programme or ds.name
    for i, decl in enumerate(summary_decls(ds)):
        t = ds.table(decl["table"])
        if t is None:
            continue
        other, on = None, None
        if decl.get("join"):
            other = ds.table(decl["join"]["table"])
            ((mine, theirs),) = decl["join"]["on"].items()
            on = (mine, {o.get(theirs): o for o in (other.rows if other else [])})
        rows: dict[str, list] = defaultdict(list)
        for r in t.rows:
            if not r.get("istat"):
                continue
            j = on[1].get(r.get(on[0])) if on else None
            if decl.get("when") and not _truthy(decl["when"], r, j, None, registry):
                continue
            rows[r["istat"]].append((r, j))
        s = Summary(slug, ds.name, slug if i == 0 else f"{slug}-{i + 1}", decl, dict(rows))
        for istat, rs in s.rows.items():
            if decl.get("value") is not None:
                v = _number(_eval(decl["value"], rs, registry.get(istat)))
                if v is not None:
                    s.values[istat] = v
                    d = (
                        _number(_eval(_per_by(decl), rs, registry.get(istat)))
                        if decl.get("per")
                        else None
                    )
                    if d:
                        s.per[istat] = v / d
        for which, vals in (("value", s.values), ("per", s.per)):
            current = {k: v for k, v in vals.items() if k in registry.current}
            if current:
                s.stats[which] = compare.Stats.of(current, registry)
        by = decl.get("coverage")
        for istat in s.rows:
            c = registry.current.get(istat)
            if c and by:
                area = c.province_sigla if by == "province" else c.region
                s.covered[area] = s.covered.get(area, 0) + 1
        out.append(s)
    return out


def _per_by(decl: dict) -> str:
    per = decl["per"]
    return per["by"] if isinstance(per, dict) else PER_UNITS[per][0]


def _lookup(row: dict, joined: dict | None, comune):
    def get(name):
        if name in row:
            return row[name]
        if joined is not None and name in joined:
            return joined[name]
        if comune is not None and name in REGISTRY_NAMES:
            return getattr(comune, REGISTRY_NAMES[name])
        return None

    return get


def _eval(expr, rs: list[tuple[dict, dict | None]], comune):
    """An expression over a comune's rows: names from its first row (then the joined row,
    then the registry: popolazione, popolazione_0_6); sum(), count() ... over all its rows."""
    row, joined = rs[0]
    merged = [{**(j or {}), **r} for r, j in rs]
    try:
        return evaluate(str(expr), _lookup(row, joined, comune), merged)
    except (ExprError, TypeError, ArithmeticError):
        return None


def _truthy(expr, row, joined, rs, registry) -> bool:
    try:
        return bool(
            evaluate(
                str(expr),
                _lookup(row, joined, registry.get(row.get("istat"))),
                [{**(j or {}), **r} for r, j in rs] if rs else None,
            )
        )
    except (ExprError, TypeError, ArithmeticError):
        return False


def _number(v) -> Decimal | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        return v if isinstance(v, Decimal) else Decimal(str(v))
    except ArithmeticError:
        return None


def _src(row: dict | None) -> str | None:
    if not row or not row.get("source_id"):
        return None
    return f"/documenti/{row['source_id']}/" + (
        f"#L{row['line_start']}" if row.get("line_start") else ""
    )


def sentence(s: Summary, istat: str, registry, context: bool = True) -> list[dict]:
    """The comune's sentence as segments ``[{text, url}]`` (url: where the figure comes
    from: its source line, its province's ranking, the comparison on the page), or [] when
    the comune has no row or no sentence fits."""
    rs = s.rows.get(istat)
    if not rs:
        return []
    comune = registry.get(istat)
    variants = s.decl["sentence"]
    for v in variants if isinstance(variants, list) else [variants]:
        text, when = (v.get("text", ""), v.get("when")) if isinstance(v, dict) else (v, None)
        if when and not _truthy(when, rs[0][0], rs[0][1], rs, registry):
            continue
        try:
            segs = _fill(str(text), s, istat, rs, comune, registry)
        except _Missing:
            continue
        if context and (s.decl.get("rank") is not False or s.decl.get("median") is not False):
            segs += _context(s, istat, comune, text)
        return _merge(segs)
    return []


def _merge(segs: list[dict]) -> list[dict]:
    out: list[dict] = []
    for x in segs:
        if out and x["url"] is None and out[-1]["url"] is None:
            out[-1] = {"text": out[-1]["text"] + x["text"], "url": None, "kind": None}
        elif x["text"]:
            out.append(x)
    return out


def _fill(text: str, s: Summary, istat: str, rs, comune, registry, row_pair=None) -> list[dict]:
    segs: list[dict] = []
    pos = 0
    for m in _FIELD.finditer(text):
        segs.append({"text": text[pos : m.start()], "url": None, "kind": None})
        segs += _field(m.group(1), m.group(2), s, istat, rs, comune, registry, row_pair)
        pos = m.end()
    segs.append({"text": text[pos:], "url": None, "kind": None})
    return segs


def _field(name, fmt_name, s: Summary, istat, rs, comune, registry, row_pair) -> list[dict]:
    row, joined = row_pair or rs[0]
    one = len(rs) == 1 or row_pair is not None
    here = None if one else f"#p-{s.programme}"  # a sum of rows: the rows on the page
    c = comune if comune is not None and not getattr(comune, "historical", False) else None
    if name in SPECIALS and not (row_pair and name in row):
        if name == "name":
            return [{"text": comune.name if comune else istat, "url": None, "kind": None}]
        if name in ("value", "per"):
            v = (s.values if name == "value" else s.per).get(istat)
            if v is None:
                raise _Missing(name)
            f = _fmt(fmt_name) if fmt_name else s.fmt(name)
            return [{"text": f(v), "url": _src(row) if one else here, "kind": name}]
        if name == "rows":
            return [{"text": formatting.num(len(rs)), "url": None, "kind": None}]
        if name == "each":
            parts: list[dict] = []
            for k, pair in enumerate(rs):
                if k:
                    parts.append(
                        {"text": " e " if k == len(rs) - 1 else ", ", "url": None, "kind": None}
                    )
                parts += _fill(str(s.decl.get("each", "")), s, istat, rs, comune, registry, pair)
            return parts
        if c is None:
            raise _Missing(name)
        if name == "province":
            return [{"text": c.province, "url": None, "kind": None}]
        if name == "region":
            return [{"text": c.region, "url": None, "kind": None}]
        m = s.measure
        st = s.stats.get(m) if m else None
        if name in ("rank_province", "rank_region"):
            ranks = (st.rank_province if name == "rank_province" else st.rank_region) if st else {}
            if istat not in ranks:
                raise _Missing(name)
            from .compare import ordinal

            where = "comuni della provincia" if name == "rank_province" else f"in {c.region}"
            return [
                {"text": ordinal(ranks[istat], where), "url": _rank_url(s, c, name), "kind": "rank"}
            ]
        from .compare import band, band_label

        if name == "band":
            b = band(c.population)
            if b is None:
                raise _Missing(name)
            return [{"text": band_label(b), "url": None, "kind": None}]
        if st is None:
            raise _Missing(name)
        key = {
            "median_band": band(c.population),
            "median_province": c.province_sigla,
            "median_region": c.region,
        }[name]
        table = {
            "median_band": st.median_band,
            "median_province": st.median_province,
            "median_region": st.median_region,
        }[name]
        if key not in table:
            raise _Missing(name)
        return [{"text": s.fmt(m)(table[key][0]), "url": f"#confronto-{s.key}", "kind": "median"}]
    v = _lookup(row, joined, None)(name)
    if v is None or v == "":
        raise _Missing(name)
    if fmt_name:
        text = _fmt(fmt_name)(v)
    elif isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
        text = formatting.num(v)
    else:
        text = str(v)
    src = row if name in row else joined
    return [
        {
            "text": text,
            "url": _src(src) if (one or src is joined) else here,
            "kind": "column" if (one or src is joined) else "rows",
        }
    ]


def _rank_url(s: Summary, c, name: str) -> str:
    if name == "rank_province":
        return f"/province/{c.province_sigla}/#classifica-{s.key}"
    return f"/programmi/{s.programme}/"


def _context(s: Summary, istat: str, comune, text: str) -> list[dict]:
    """The comparisons the sentence does not state itself: rank in province and region (by
    the compared measure) and the median of the comuni of the same population class."""
    from .compare import MIN_PEERS, band, band_label, ordinal

    m = s.measure
    st = s.stats.get(m) if m else None
    if st is None or comune is None or istat not in st.values:
        return []
    segs: list[dict] = []
    uses = {x.group(1) for x in _FIELD.finditer(text)}
    if (
        s.decl.get("rank") is not False
        and not uses & {"rank_province", "rank_region"}
        and istat in st.rank_province
    ):
        segs.append({"text": f" Per {s.label} è ", "url": None, "kind": None})
        segs.append(
            {
                "text": ordinal(st.rank_province[istat], "comuni della provincia"),
                "url": _rank_url(s, comune, "rank_province"),
                "kind": "rank",
            }
        )
        rr = st.rank_region.get(istat)
        if rr and rr[1] > st.rank_province[istat][1]:
            segs.append({"text": " e ", "url": None, "kind": None})
            segs.append(
                {
                    "text": ordinal(rr, f"in {comune.region}"),
                    "url": _rank_url(s, comune, "rank_region"),
                    "kind": "rank",
                }
            )
        segs.append({"text": ".", "url": None, "kind": None})
    b = band(comune.population)
    med = st.median_band.get(b) if b is not None else None
    if (
        s.decl.get("median") is not False
        and "median_band" not in uses
        and med
        and med[1] >= MIN_PEERS
    ):
        segs.append(
            {
                "text": f" Tra i {formatting.num(med[1])} comuni dell'elenco "
                f"{band_label(b)} la mediana è ",
                "url": None,
                "kind": None,
            }
        )
        segs.append({"text": s.fmt(m)(med[0]), "url": f"#confronto-{s.key}", "kind": "median"})
        segs.append({"text": ".", "url": None, "kind": None})
    return segs


def comparison(s: Summary, istat: str, registry) -> dict | None:
    """The comune against its province, its population class and its region: the rows of a
    small table (and chart) for the compared measure and, when it differs, the key figure."""
    from .compare import MIN_PEERS, band, band_label

    c = registry.current.get(istat)
    m = s.measure
    if c is None or m is None or istat not in s.stats[m].values:
        return None
    b = band(c.population)
    cols = [m] + (["value"] if m == "per" and "value" in s.stats else [])
    heads = {
        "per": f"{(s.decl.get('label') or 'Valore').capitalize()} {s.per_label}",
        "value": (s.decl.get("label") or "Valore").capitalize(),
    }
    rows = [[c.name, *[s.fmt(k)(s.stats[k].values.get(istat)) for k in cols]]]
    items = [(c.name, c.name, s.stats[m].values[istat])]  # (label, label on the chart, value)
    band_text = band_label(b) if b is not None else ""
    phrases = []  # "della provincia di Cremona"
    for label, short, phrase, key, attr in (
        (
            f"Mediana provincia di {c.province}",
            "Mediana provincia",
            f"della provincia di {c.province}",
            c.province_sigla,
            "median_province",
        ),
        (
            f"Mediana comuni {band_text}",
            "Mediana " + band_text.replace(" abitanti", " ab."),
            f"dei comuni {band_text}",
            b,
            "median_band",
        ),
        (
            f"Mediana {c.region}",
            f"Mediana {c.region}",
            f"della regione {c.region}",
            c.region,
            "median_region",
        ),
    ):
        cells = []
        for k in cols:
            med = getattr(s.stats[k], attr).get(key)
            cells.append(med if med and med[1] >= MIN_PEERS else None)
        if cells[0] is None:
            continue
        rows.append(
            [
                f"{label} ({formatting.num(cells[0][1])} comuni)",
                *[s.fmt(k)(x[0]) if x else "–" for k, x in zip(cols, cells)],
            ]
        )
        items.append((label, short, cells[0][0]))
        phrases.append(phrase)
    if len(items) < 2:
        return None
    return {
        "key": s.key,
        "head": ["", *[heads[k] for k in cols]],
        "rows": rows,
        "items": items,
        "label": s.label,
        "medians": ", ".join(phrases[:-1]) + (" e " if len(phrases) > 1 else "") + phrases[-1],
    }
