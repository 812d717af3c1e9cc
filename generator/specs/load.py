"""Reading a table spec: YAML with line numbers, checked against the spec format.

A spec is data written by hand, often by someone who is not a programmer, so every
mistake is reported with the spec file and line and what to write instead: an unknown key
(a typo such as ``colums:``), a missing required key, a value of the wrong kind, a
regular expression that does not compile, an expression outside the spec language.
Anchors and aliases are refused (no YAML tricks in specs), and so are duplicate keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from .. import paths
from ..extract import cells
from .expr import ExprError, compile_expr

FORMAT_VERSION = 1


class SpecError(Exception):
    """A spec that cannot be used; ``where`` is ``file:line``."""

    def __init__(self, where: str, message: str):
        super().__init__(f"{where}: {message}")
        self.where, self.message = where, message


class Map(dict):
    line: int = 0


class Seq(list):
    line: int = 0


# libyaml's parser where PyYAML has it (about 10 times faster: the pure-Python parser was
# 12 % of a bulletin's parse, reading its four specs), the constructor below either way
_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _refuse_aliases(text: str) -> None:
    """Raise at the first alias of ``text`` (libyaml's composer, unlike PyYAML's, has no
    hook to refuse one while composing)."""
    for ev in yaml.parse(text, Loader=_BASE):
        if isinstance(ev, yaml.AliasEvent):
            raise yaml.constructor.ConstructorError(
                None, None, "anchors and aliases are not allowed in a spec", ev.start_mark
            )


class _Loader(_BASE):
    def construct_mapping(self, node, deep=False):
        seen = set()
        for k, _ in node.value:
            key = self.construct_object(k, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", k.start_mark
                )
            if isinstance(key, bool):  # YAML 1.1 reads a bare on/off/yes/no as a boolean
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f'key {k.value!r} is read as {key}: write it in quotes ("{k.value}":)',
                    k.start_mark,
                )
            seen.add(key)
        m = Map(super().construct_mapping(node, deep=True))
        m.line = node.start_mark.line + 1
        return m

    def construct_sequence(self, node, deep=False):
        s = Seq(super().construct_sequence(node, deep=True))
        s.line = node.start_mark.line + 1
        return s


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_sequence)

# -- the format: allowed keys per section ----------------------------------------------------
# key -> (kind, required); kind: str, int, bool, list, map, regex, expr, any
_DATASET = {
    "name": ("str", True),
    "title": ("str", False),
    "description": ("str", False),
    "programme": ("str", False),
    "keywords": ("list", False),
    "themes": ("list", False),
    "views": ("map", False),
}
_TABLE = {
    "name": ("str", True),
    "title": ("str", True),
    "description": ("str", True),
    "like": ("str", False),
    "region": ("map", False),
    "skip": ("list", False),
    "headings": ("map", False),
    "row": ("map", False),
    "columns": ("list", True),
    "parser": ("bool", False),
    "totals": ("map", False),
    "declared": ("map", False),
    "riparto": ("map", False),
    "checks": ("list", False),
    "facts": ("list", False),
    "privacy": ("map", False),
    "primary_key": ("list", False),
    "foreign_keys": ("list", False),
    "id_prefix": ("str", False),
    "note": ("str", False),
}
_FOREIGN_KEY = {"fields": ("any", True), "reference": ("map", True)}
_REFERENCE = {"fields": ("any", True), "resource": ("str", False), "package": ("str", False)}
_REGION = {
    "start": ("regex", False),
    "start_also": ("regex", False),
    "occurrence": ("any", False),
    "end": ("regex", False),
    "end_at": ("regex", False),
    "within": ("str", False),
    "header": ("map", False),
    "rows_only": ("bool", False),
    "max_lines": ("int", False),
    "first_row": ("regex", False),
    "start_near": ("map", False),
    "start_inclusive": ("bool", False),
    "header_words": ("list", False),
    "if_missing": ("str", False),
}
_HEADER = {
    "start": ("regex", True),
    "end": ("regex", True),
    "max_lines": ("int", False),
    "must_contain": ("list", False),
    "repeats": ("bool", False),
}
_ROW = {
    "cells": ("list", False),
    "pattern": ("regex", False),
    "start": ("regex", False),
    "label_above": ("map", False),
    "list": ("map", False),
    "fixed_width": ("map", False),
    "remove": ("regex", False),
    "continuation": ("regex", False),
}
_LIST = {
    "intro": ("regex", True),
    "end": ("regex", False),
    "separator": ("regex", False),
    "cell": ("str", False),
    "context": ("map", False),
}
_FIXED = {"columns": ("map", True), "separator": ("regex", True), "closed": ("bool", False)}
_COLUMN = {
    "name": ("str", False),
    "type": ("str", False),
    "title": ("str", False),
    "description": ("str", False),
    "from": ("str", False),
    "value": ("expr", False),
    "classify": ("map", False),
    "required": ("bool", False),
    "unique": ("bool", False),
    "minimum": ("any", False),
    "maximum": ("any", False),
    "enum": ("list", False),
    "pattern": ("str", False),
    "resolution": ("map", False),
    "header": ("str", False),
    "default": ("any", False),
    "split_comune": ("map", False),
    "index": ("int", False),
    "province_of_code": ("str", False),
    "counter": ("bool", False),
    "from_prose": ("map", False),
    "cell": ("str", False),
    "extract": ("regex", False),
}
_HEADINGS = {
    "match": ("regex", False),
    "province": ("bool", False),
    "column": ("str", False),
    "infer_missing": ("bool", False),
}
_TOTALS = {"match": ("regex", True), "columns": ("list", True), "required": ("bool", False)}
_DECLARED = {
    "find": ("regex", True),
    "in": ("str", False),
    "pick": ("str", False),
    "type": ("str", False),
    "group": ("int", False),
    "optional": ("bool", False),
    "scale": ("int", False),
}
_PRIVACY = {
    "name": ("str", True),
    "fiscal_code": ("str", True),
    "default": ("str", False),
    "clear": ("list", False),
    "kind_column": ("str", False),
}
_RIPARTO = {
    "fund": ("str", True),
    "total": ("str", True),
    "columns": ("list", True),
    "counts_cell": ("str", False),
    "blank_note": ("str", False),
    "tolerance_rows": ("any", False),
}
_RIPARTO_COLUMN = {
    "count": ("str", True),
    "amount": ("str", True),
    "share": ("str", True),
    "label": ("str", False),
}
_CHECK_KINDS = {
    "sequence",
    "declared_count",
    "rows",
    "equal",
    "sorted",
    "registry_code",
    "copies",
    "complete",
}
_CHECK = {
    "id": ("str", False),
    "description": ("str", False),
    "explanation": ("str", False),
    "column": ("str", False),
    "printed": ("regex", False),
    "declared": ("any", False),
    "parsed": ("expr", False),
    "tolerance": ("expr", False),
    "rule": ("expr", False),
    "what": ("str", False),
    "strict": ("bool", False),
    "printed_column": ("str", False),
    "of": ("str", False),
    "key": ("list", False),
    "where": ("expr", False),
    "by": ("str", False),
    "lines": ("str", False),
    "type": ("str", False),
}
_FACT = {
    "label": ("str", True),
    "value": ("str", True),
    "unit": ("str", False),
    "note": ("str", False),
}
SCOPES = {"document", "act", "before_table", "operative", "header", "table"}


@dataclass
class Spec:
    """A loaded, checked spec (``raw`` keeps the YAML, with lines)."""

    name: str
    path: Path
    raw: Map
    dataset: Map
    tables: list[Map] = field(default_factory=list)

    @cached_property
    def rel(self) -> str:
        """The spec's file as problems name it (resolved once: ``where`` is called for
        every key a spec is checked for)."""
        return _rel(self.path)

    def where(self, node=None) -> str:
        line = getattr(node, "line", 0) if node is not None else 0
        return f"{self.rel}:{line}" if line else self.rel


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(paths.ROOT))
    except ValueError:
        return str(path)


def spec_path(name: str) -> Path:
    return paths.SPECS / f"{name}.yaml"


def load(name_or_path: str | Path) -> Spec:
    """Load and check a spec by name (``data/specs/<name>.yaml``) or path."""
    path = (
        Path(name_or_path)
        if str(name_or_path).endswith((".yaml", ".yml"))
        else spec_path(str(name_or_path))
    )
    rel = _rel(path)
    if not path.is_file():
        raise SpecError(rel, f"spec file not found (looked for {rel})")
    try:
        text = path.read_text(encoding="utf-8")
        if "*" in text:  # an alias is written *name
            _refuse_aliases(text)
        raw = yaml.load(text, Loader=_Loader)
    except UnicodeDecodeError:
        raise SpecError(rel, "spec is not UTF-8 text") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        line = mark.line + 1 if mark else 0
        raise SpecError(
            f"{rel}:{line}" if line else rel, f"not valid YAML: {getattr(e, 'problem', e)}"
        ) from None
    if not isinstance(raw, Map):
        raise SpecError(rel, "a spec is a mapping with `spec`, `dataset` and `tables`")
    spec = Spec(path.stem, path, raw, raw.get("dataset"))
    _check_spec(spec)
    spec.tables = list(raw["tables"])
    return spec


def _check_spec(spec: Spec) -> None:
    raw = spec.raw
    _keys(
        spec,
        raw,
        {
            "spec": ("int", True),
            "title": ("str", False),
            "dataset": ("any", True),
            "tables": ("list", True),
            "note": ("str", False),
        },
        "spec",
    )
    if raw["spec"] != FORMAT_VERSION:
        raise SpecError(
            spec.where(raw), f"spec format {raw['spec']!r} unknown: write `spec: {FORMAT_VERSION}`"
        )
    ds = raw["dataset"]
    if isinstance(ds, str):
        spec.dataset = Map(name=ds)
        spec.dataset.line = raw.line
    else:
        _keys(spec, ds, _DATASET, "dataset")
        _check_views(spec, ds.get("views"))
    by_name: dict = {}
    for i, t in enumerate(raw["tables"]):
        if isinstance(t, Map) and t.get("like"):
            base = by_name.get(t["like"])
            if base is None:
                raise SpecError(spec.where(t), f"like: {t['like']!r} is not a table above this one")
            merged = Map({**base, **t})
            merged.line = t.line
            merged.pop("like")
            raw["tables"][i] = t = merged
        _check_table(spec, t)
        by_name[t["name"]] = t


def _check_views(spec: Spec, v) -> None:
    """The parts of ``dataset.views`` the comune page reads: ``summary`` (one declaration
    or a list) and ``technical`` (table -> columns); see generator/views.py."""
    from .. import views

    if not v:
        return
    summary = v.get("summary")
    for decl in summary if isinstance(summary, list) else [summary] if summary else []:
        errs = views.check_summary(decl, "views.summary")
        if errs:
            raise SpecError(spec.where(decl if isinstance(decl, Map) else v), errs[0])
    tech = v.get("technical")
    if tech is not None and not (
        isinstance(tech, dict)
        and all(
            isinstance(cols, list) and all(isinstance(c, str) for c in cols)
            for cols in tech.values()
        )
    ):
        raise SpecError(
            spec.where(tech if isinstance(tech, Map) else v),
            "views.technical: a mapping of table name -> list of column names",
        )


# what a table filled by the document's parser (``parser: true``) does not have: how to read
# it, and where a column's values come from (its columns are a schema)
_READING = ("region", "row", "skip", "headings", "totals", "riparto", "privacy")
_VALUES = (
    "from",
    "value",
    "classify",
    "split_comune",
    "index",
    "province_of_code",
    "counter",
    "from_prose",
    "cell",
    "extract",
    "default",
    "header",
)


def _check_table(spec: Spec, t) -> None:
    _keys(spec, t, _TABLE, "table")
    for fk in t.get("foreign_keys") or []:
        _keys(spec, fk, _FOREIGN_KEY, "foreign_keys")
        _keys(spec, fk["reference"], _REFERENCE, "foreign_keys.reference")
    if t.get("parser"):
        extra = [k for k in _READING if k in t] + sorted(
            {k for c in t["columns"] if isinstance(c, dict) for k in _VALUES if k in c}
        )
        if extra:
            raise SpecError(
                spec.where(t),
                f"table {t['name']!r} is filled by the parser "
                f"(`parser: true`): it cannot have {', '.join(extra)}",
            )
    else:
        for k in ("region", "row"):
            if k not in t:
                raise SpecError(spec.where(t), f"table needs `{k}`")
        _check_reading(spec, t)
    _check_content(spec, t)


def _check_reading(spec: Spec, t) -> None:
    """Where the table is and how its rows are read (every table but the parser's)."""
    _keys(spec, t["region"], _REGION, "region")
    if t["region"].get("header"):
        _keys(spec, t["region"]["header"], _HEADER, "region.header")
    if not (t["region"].get("start") or t["region"].get("header") or t["region"].get("rows_only")):
        raise SpecError(
            spec.where(t["region"]),
            "region needs `start`, `header` or `rows_only: true` to find the table",
        )
    if t["region"].get("within") not in (None, "act", "document"):
        raise SpecError(spec.where(t["region"]), "region.within is `act` or `document`")
    if t["region"].get("if_missing") not in (None, "warn", "empty"):
        raise SpecError(
            spec.where(t["region"]),
            "region.if_missing is `warn` (the default) "
            "or `empty` (publish the table empty and run its checks)",
        )
    _keys(spec, t["row"], _ROW, "row")
    shapes = [k for k in ("cells", "pattern", "list", "fixed_width") if t["row"].get(k)]
    if len(shapes) != 1:
        raise SpecError(
            spec.where(t["row"]),
            "row needs exactly one of `cells` (a list of "
            "cell types), `pattern` (a regular expression with named groups), "
            "`list` (comuni listed in running text) or `fixed_width` (records "
            "of fixed-width columns)",
        )
    if t["row"].get("list"):
        _keys(spec, t["row"]["list"], _LIST, "row.list")
    if t["row"].get("fixed_width"):
        _keys(spec, t["row"]["fixed_width"], _FIXED, "row.fixed_width")
    for c in t["row"].get("cells") or []:
        _check_cell(spec, c)


def _check_content(spec: Spec, t) -> None:
    """Columns, declared figures, checks and facts (every table)."""
    for c in t["columns"]:
        _check_column(spec, c)
        if "resolution" in c and not t.get("parser") and not (c["resolution"] or {}).get("name"):
            raise SpecError(
                spec.where(c), "resolution needs `name`: the column holding the comune's name"
            )
    for key, schema in (
        ("headings", _HEADINGS),
        ("totals", _TOTALS),
        ("privacy", _PRIVACY),
        ("riparto", _RIPARTO),
    ):
        if t.get(key):
            _keys(spec, t[key], schema, key)
    for rc in (t.get("riparto") or {}).get("columns", []):
        _keys(spec, rc, _RIPARTO_COLUMN, "riparto.columns")
    for name, d in (t.get("declared") or {}).items():
        _keys(spec, d, _DECLARED, f"declared.{name}")
        if d.get("in", "act") not in SCOPES:
            raise SpecError(
                spec.where(d), f"declared.{name}.in: one of {', '.join(sorted(SCOPES))}"
            )
    for c in t.get("checks") or []:
        kinds = [k for k in c if k in _CHECK_KINDS]
        if len(kinds) != 1:
            raise SpecError(spec.where(c), "a check is one of: " + ", ".join(sorted(_CHECK_KINDS)))
        body = c[kinds[0]]
        if isinstance(body, Map):
            _keys(spec, body, _CHECK, f"checks.{kinds[0]}")
            if body.get("lines") not in (None, "all") or body.get("type") not in (None, "integer"):
                raise SpecError(
                    spec.where(body),
                    f"checks.{kinds[0]}: `lines` can only be `all` and `type` only `integer`",
                )
        _keys(
            spec,
            Map(
                {k: v for k, v in c.items() if k != kinds[0]},
            ),
            _CHECK,
            "check",
        )
    for f in t.get("facts") or []:
        _keys(spec, f, _FACT, "facts")


def _check_column(spec: Spec, c) -> None:
    _keys(spec, c, _COLUMN, "column")
    if not c.get("name") and "resolution" not in c:
        raise SpecError(spec.where(c), "a column needs `name` (or is a `resolution:` placeholder)")
    if c.get("type") and c["type"] not in {"string", "integer", "number", "boolean", "date"}:
        raise SpecError(
            spec.where(c),
            f"column type {c['type']!r}: use string, integer, number, boolean or date",
        )


def _check_cell(spec: Spec, c) -> None:
    if isinstance(c, str):
        c = Map({c: "text"})
    if not isinstance(c, dict) or len(c) != 1:
        raise SpecError(spec.where(c), "a cell is `name: type` (e.g. `comune: text`)")
    ((name, body),) = c.items()
    typ = body if isinstance(body, str) else (body or {}).get("type", "text")
    if typ not in cells.TYPES and not (isinstance(body, dict) and body.get("pattern")):
        raise SpecError(
            spec.where(c), f"cell {name}: unknown type {typ!r}; known: {', '.join(cells.TYPES)}"
        )


def _keys(spec: Spec, node, schema: dict, what: str) -> None:
    if not isinstance(node, dict):
        raise SpecError(spec.where(node), f"{what} must be a mapping (key: value)")
    for k, v in node.items():
        if k not in schema:
            raise SpecError(
                spec.where(node),
                f"unknown key {k!r} in {what}; allowed: {', '.join(sorted(schema))}",
            )
        kind = schema[k][0]
        _value(spec, node, k, v, kind, what)
    for k, (_, required) in schema.items():
        if required and k not in node:
            raise SpecError(spec.where(node), f"{what} needs `{k}`")


def _value(spec: Spec, node, k: str, v: Any, kind: str, what: str) -> None:
    where = spec.where(node)
    types = {"str": str, "int": int, "bool": bool, "list": list, "map": dict}
    if kind in types and not isinstance(v, types[kind]):
        raise SpecError(where, f"{what}.{k} must be a {kind}")
    if kind == "regex":
        if not isinstance(v, str):
            raise SpecError(where, f"{what}.{k} must be a regular expression (text)")
        try:
            re.compile(v)
        except re.error as e:
            raise SpecError(
                where, f"{what}.{k}: regular expression does not compile: {e}"
            ) from None
    if kind == "expr":
        try:
            compile_expr(str(v))
        except ExprError as e:
            raise SpecError(where, f"{what}.{k}: {e}") from None
