"""Stage 3: datasets become Frictionless data packages, validated.

For every :class:`~generator.extract.result.Dataset` this writes ``data/<name>/``:

* ``<table>.csv``        UTF-8, ``,``, dot decimals, ISO dates (the canonical resource)
* ``<table>.excel.csv``  Excel-friendly twin: ``;``, decimal comma, BOM (its own dialect
                         and schema say so)
* ``<table>.json``       the rows as a JSON array
* ``datapackage.json``   metadata (title, description, licences, sources, schemas, hashes)
* ``validation.json``    the frictionless validation report, published as is

Foreign keys to the ``comuni`` package cannot be validated by frictionless across
packages, so they are checked here against the registry and reported the same way.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from functools import lru_cache
from decimal import Decimal
from pathlib import Path

from .output import inert_json
from .extract.result import Dataset, Table

LICENCE = {
    "name": "CC-BY-4.0",
    "title": "Creative Commons Attribution 4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
}
SITE_NAME = "Comuni aperti"


@dataclass
class PackageInfo:
    name: str
    title: str
    description: str
    programme: str | None
    descriptor: dict
    resources: list[dict]  # name, title, rows, csv/json/excel paths
    valid: bool = True
    errors: list[dict] = field(default_factory=list)
    report: dict = field(default_factory=dict)
    descriptor_bytes: bytes = field(
        default=b"", repr=False
    )  # as written, for the validation cache key
    coverage: dict = field(default_factory=dict)  # spatial and temporal (coverage.of_dataset)
    themes: list = field(default_factory=list)  # EU data themes declared with the dataset


def cell(v) -> str:
    """A value as written in the canonical CSV (ISO, dot decimals)."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Decimal):
        s = format(v, "f")
        return s
    if isinstance(v, float):
        s = repr(v)
        return s[:-2] if s.endswith(".0") else s
    return str(v)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMULA_NOTE = (
    "Le celle di testo che un foglio di calcolo leggerebbe come formula (iniziano "
    "con =, +, -, @) sono precedute da un apostrofo; il JSON riporta il testo "
    "com'è."
)


def safe_text(s: str) -> str:
    """A text cell as written in every CSV: one that a spreadsheet would run as a formula
    (``=``, ``+``, ``-``, ``@``, tab, CR: CSV injection) gets a leading apostrophe."""
    return "'" + s if s.startswith(FORMULA_START) else s


def excel_cell(v, ftype: str) -> str:
    """A cell of the Excel dialect: decimal comma; formula-looking text made inert."""
    s = cell(v)
    if ftype == "number" and s:
        s = s.replace(".", ",")
    elif ftype == "string":
        s = safe_text(s)
    return s


def has_formula_text(table: Table) -> bool:
    types = {f["name"]: f.get("type", "string") for f in table.schema()["fields"]}
    return any(
        isinstance(v, str) and types.get(k) == "string" and v.startswith(FORMULA_START)
        for r in table.rows
        for k, v in r.items()
    )


def json_value(v):
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() and "." not in format(v, "f") else float(v)
    return v


def csv_bytes(table: Table, excel: bool = False) -> bytes:
    names = [f["name"] for f in table.schema()["fields"]]
    types = {f["name"]: f.get("type", "string") for f in table.schema()["fields"]}
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";" if excel else ",", lineterminator="\r\n" if excel else "\n")
    w.writerow(names)
    for r in table.rows:
        if excel:
            w.writerow([excel_cell(r.get(n), types[n]) for n in names])
        else:
            w.writerow(
                [
                    safe_text(cell(r.get(n))) if types[n] == "string" else cell(r.get(n))
                    for n in names
                ]
            )
    data = buf.getvalue().encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if excel else data


def json_bytes(table: Table) -> bytes:
    names = [f["name"] for f in table.schema()["fields"]]
    rows = [{n: json_value(r.get(n)) for n in names} for r in table.rows]
    return (inert_json(_rows_json(rows, names)) + "\n").encode("utf-8")


_encode_str = json.encoder.encode_basestring  # ensure_ascii=False's, in C where it exists


def _scalar_json(v) -> str | None:
    """``json.dumps(v, ensure_ascii=False)`` for a string, number, boolean or null; None
    for anything else."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    t = type(v)
    if t is str:
        return _encode_str(v)
    if t is int:
        return int.__repr__(v)
    if t is float:
        if v != v:
            return "NaN"
        if v in (float("inf"), float("-inf")):
            return "Infinity" if v > 0 else "-Infinity"
        return float.__repr__(v)
    return None


def _rows_json(rows: list[dict], names: list[str]) -> str:
    """``json.dumps(rows, ensure_ascii=False, indent=1)`` for rows (mappings with text
    keys, usually ``names``) whose values are scalars, written line by line: with
    ``indent`` the standard library encodes in Python, not in C (40 % of writing a
    package's files). Any other row: ``json.dumps`` itself."""
    if not rows:
        return "[]"
    keys = {n: f"  {_encode_str(n)}: " for n in names}
    out = []
    for r in rows:
        parts = []
        for n, v in r.items():
            k = keys.get(n)
            if k is None:
                if type(n) is not str:
                    return json.dumps(rows, ensure_ascii=False, indent=1)
                k = keys[n] = f"  {_encode_str(n)}: "
            text = _scalar_json(v)
            if text is None:
                return json.dumps(rows, ensure_ascii=False, indent=1)
            parts.append(k + text)
        out.append(" {\n" + ",\n".join(parts) + "\n }" if parts else " {}")
    return "[\n" + ",\n".join(out) + "\n]"


def _published_schema(table: Table, excel: bool = False) -> dict:
    """Table Schema as published: cross-package FKs moved to a documented custom property."""
    s = json.loads(json.dumps(table.schema()))
    cross = [fk for fk in s.get("foreignKeys", []) if "package" in fk.get("reference", {})]
    local = [fk for fk in s.get("foreignKeys", []) if "package" not in fk.get("reference", {})]
    if local:
        s["foreignKeys"] = local
    else:
        s.pop("foreignKeys", None)
    if cross:
        for fk in cross:
            for f in s["fields"]:
                if f["name"] == fk["fields"]:
                    f["description"] = (
                        f.get("description", "")
                        + " Riferimento: pacchetto `comuni`, campo `istat`."
                    ).strip()
    if excel:
        for f in s["fields"]:
            if f.get("type") == "number":
                f["decimalChar"] = ","
    return s


def build_descriptor(
    ds: Dataset, sources: list[dict], files: dict[str, bytes], created: str
) -> dict:
    resources = []
    for t in ds.tables:
        formulas = has_formula_text(t)
        for variant in ("csv", "excel"):
            path = f"{t.name}.csv" if variant == "csv" else f"{t.name}.excel.csv"
            data = files[path]
            res = {
                "name": t.name if variant == "csv" else f"{t.name}-excel",
                "title": t.title if variant == "csv" else f"{t.title} (CSV per Excel)",
                "description": t.description + (" " + FORMULA_NOTE if formulas else ""),
                "path": path,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8" if variant == "csv" else "utf-8-sig",
                "bytes": len(data),
                "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
                "schema": _published_schema(t, excel=variant == "excel"),
            }
            if variant == "excel":
                res["dialect"] = {"csv": {"delimiter": ";", "lineTerminator": "\r\n"}}
            resources.append(res)
    return {
        "$schema": "https://datapackage.org/profiles/1.0/datapackage.json",
        "name": ds.name,
        "title": ds.title,
        "description": ds.description,
        "version": "1.0.0",
        "created": f"{created}T00:00:00Z",
        "keywords": ds.keywords,
        "homepage": f"/programmi/{ds.programme}/" if ds.programme else f"/dati/{ds.name}/",
        "licenses": [LICENCE],
        "sources": sources,
        "contributors": [{"title": SITE_NAME, "role": "publisher"}],
        "resources": resources,
    }


def write_files(ds: Dataset, w, sources: list[dict], created: str) -> PackageInfo:
    """The package's CSV, Excel CSV, JSON and ``datapackage.json``, not yet validated: the
    build then runs :func:`cached_validation` (in a background process) and :func:`finish`."""
    files: dict[str, bytes] = {}
    resources = []
    for t in ds.tables:
        files[f"{t.name}.csv"] = csv_bytes(t)
        files[f"{t.name}.excel.csv"] = csv_bytes(t, excel=True)
        files[f"{t.name}.json"] = json_bytes(t)
        resources.append(
            {
                "name": t.name,
                "title": t.title,
                "description": t.description,
                "rows": len(t.rows),
                "csv": f"{t.name}.csv",
                "excel": f"{t.name}.excel.csv",
                "json": f"{t.name}.json",
                "schema": _published_schema(t),
                "bytes": len(files[f"{t.name}.csv"]),
            }
        )
    descriptor = build_descriptor(ds, sources, files, created)
    files["datapackage.json"] = (
        inert_json(json.dumps(descriptor, ensure_ascii=False, indent=2)) + "\n"
    ).encode()
    for name, data in files.items():
        w.write(f"/data/{ds.name}/{name}", data)
    info = PackageInfo(ds.name, ds.title, ds.description, ds.programme, descriptor, resources)
    info.descriptor_bytes = files["datapackage.json"]
    return info


# -- packages whose inputs did not change ---------------------------------------------
# A package's files are a function of its dataset, its sources and the date; the dataset
# is a function of the parse results of the documents that publish it (cached by their
# own keys, cache.parse_key) and of the code. The build gives each package a key over
# those (build._package_key); under an unchanged key the files of the last build are
# taken over and the PackageInfo (descriptor, resources, coverage) read from the cache,
# instead of writing ~2 MB of CSV and JSON again.
def _info_file(cache_dir: Path, name: str, key: str) -> Path:
    return Path(cache_dir) / "packages" / f"{name}-{key}.pickle"


def reuse_files(w, name: str, key: str, cache_dir: Path | None, previous: dict[str, list]):
    """The PackageInfo of package ``name`` under ``key``, its files taken over from the
    last build (``previous``: its manifest entries); None when anything is missing."""
    import pickle

    from . import cache

    if cache_dir is None:
        return None
    try:
        payload = cache.get(_info_file(cache_dir, name, key))
        if payload is None:
            return None
        info, files = pickle.loads(payload)
    except Exception:  # noqa: BLE001 - corrupt or of another version: written again
        cache.discard(_info_file(cache_dir, name, key))
        return None
    if not all(previous.get(rel, [None])[0] == sha for rel, sha, _ in files):
        return None
    return info if w.take_over(files) else None


def remember_files(w, info: PackageInfo, key: str, cache_dir: Path | None) -> None:
    """Keep ``info`` and the files just written for the package under ``key``."""
    import pickle

    from . import cache

    if cache_dir is None:
        return
    prefix = f"data/{info.name}/"
    files = sorted(
        (rel, sha, w.sizes[rel])
        for rel, sha in w.hashes.items()
        if rel.startswith(prefix) and "/" not in rel[len(prefix) :]
    )
    final = _info_file(cache_dir, info.name, key)
    cache.put(final, pickle.dumps((info, files), protocol=pickle.HIGHEST_PROTOCOL))
    for old in final.parent.glob(f"{info.name}-*.pickle"):
        if old != final:
            cache.discard(old)


def finish(
    info: PackageInfo, ds: Dataset, w, report: dict | None, comuni_ids: set[str] | None
) -> PackageInfo:
    """Join the frictionless ``report`` (None: not validated) and the foreign keys to
    the comuni registry into ``validation.json`` and ``info.valid``."""
    report = report if report is not None else {"valid": True, "stats": {}, "tasks": []}
    fks = fk_errors(ds, comuni_ids) if comuni_ids is not None else []
    errors = fks + [e for t in report.get("tasks", []) for e in t.get("errors", [])]
    info.report = {
        "valid": report.get("valid", False) and not errors,
        "package": ds.name,
        "frictionless": report,
        "foreign_key_errors": fks,
    }
    info.valid = info.report["valid"]
    info.errors = errors
    w.write(
        f"/data/{ds.name}/validation.json",
        json.dumps(info.report, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
    )
    return info


def cached_validation(path: Path, descriptor: bytes, cache_dir: Path | None) -> tuple[dict, str]:
    """``(report, note)``: the frictionless report of the package, from the cache when an
    entry for exactly these bytes is there and sound; ``note`` says when an entry was
    corrupt (it is discarded and the package validated again). frictionless itself (1.2 s
    of CPU to import in each of the two background processes) is imported only to
    validate: the key has its version from the installed distribution's metadata, as
    ``frictionless.__version__`` has it."""
    from . import cache

    if cache_dir is None:
        return validate_package(path), ""
    key = hashlib.sha256(descriptor + _frictionless_version().encode()).hexdigest()
    f = cache_dir / "validation" / f"{key}.json"
    note = ""
    try:
        payload = cache.get(f)
        if payload is not None:
            report = json.loads(payload)
            if _is_report(report):
                return report, ""
            cache.discard(f)
            raise cache.CorruptEntry(f"cache entry validation/{f.name} is not a validation report")
    except (cache.CorruptEntry, ValueError) as e:
        cache.discard(f)
        note = f"{e}: discarded, package validated again"
    report = validate_package(path)
    cache.put(f, json.dumps(report, sort_keys=True).encode())
    return report, note


@lru_cache(maxsize=1)
def _frictionless_version() -> str:
    from importlib.metadata import version

    return version("frictionless")


def _is_report(r) -> bool:
    """The shape :func:`validate_package` returns (what a cache entry must hold)."""
    return (
        isinstance(r, dict)
        and isinstance(r.get("valid"), bool)
        and isinstance(r.get("stats"), dict)
        and isinstance(r.get("tasks"), list)
        and all(isinstance(t, dict) and isinstance(t.get("errors", []), list) for t in r["tasks"])
        and (r["valid"] or any(t.get("errors") for t in r["tasks"]))
    )


def validate_package(descriptor_path: Path) -> dict:
    """Real frictionless validation of every resource; a trimmed, deterministic report."""
    from frictionless import Package, system

    with system.use_context(trusted=True):
        report = Package(str(descriptor_path)).validate()
    d = report.to_descriptor()
    out = {
        "valid": d["valid"],
        "stats": {k: d["stats"][k] for k in ("errors", "tasks")},
        "tasks": [],
    }
    for t in d.get("tasks", []):
        out["tasks"].append(
            {
                "name": t.get("name"),
                "valid": t.get("valid"),
                "stats": {
                    k: t.get("stats", {}).get(k) for k in ("rows", "fields", "errors", "bytes")
                },
                "errors": [
                    {
                        k: e.get(k)
                        for k in ("type", "title", "message", "rowNumber", "fieldName", "note")
                    }
                    for e in t.get("errors", [])
                ][:200],
            }
        )
    return out


def fk_errors(ds: Dataset, comuni_ids: set[str] | None) -> list[dict]:
    out = []
    if comuni_ids is None:
        return out
    for t in ds.tables:
        for fk in t.foreign_keys:
            if "package" not in fk.get("reference", {}):
                continue
            col = fk["fields"]
            for i, r in enumerate(t.rows, start=2):
                v = r.get(col)
                if v not in (None, "") and v not in comuni_ids:
                    out.append(
                        {
                            "type": "foreign-key",
                            "resource": t.name,
                            "rowNumber": i,
                            "fieldName": col,
                            "message": f"{v} is not in the comuni package",
                        }
                    )
    return out
