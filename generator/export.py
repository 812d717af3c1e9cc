"""All the published data in one place, for analysts: a combined data package, a SQLite
database and one Parquet file per table, all built from the Frictionless packages.

Input: the packages as written (``data/<name>/datapackage.json`` and the canonical CSV of
each table, read with the types of its Table Schema), plus the foreign keys the parsers
declare across packages (to ``comuni``; they cannot be written in a single package's
descriptor). Output, under ``/data/``:

* ``datapackage.json`` – one package whose resources are every table of every package
  (``<package>/<table>.csv``, the same files), with the foreign keys across packages
  declared: each ISTAT code a parser declared -> ``comuni.istat``, each ``source_id`` of a
  document-derived table -> ``documenti.id``. ``frictionless validate data/datapackage.json``
  checks the whole site's data, keys included, in one run.
* ``comuni-aperti.sqlite`` – a table per resource (same names, same rows; integers as
  INTEGER, numbers as REAL, booleans as 0/1, dates as ISO text), primary keys, NOT NULL
  and UNIQUE from the schemas, the foreign keys above plus ``(source_id, act_id)`` ->
  ``documenti__atti`` (SQLite skips a key with a NULL part: rows without an act), an
  index on every foreign key, and the views of :data:`VIEWS`. ``comuni-aperti.sql`` is
  its schema (tables, indexes, views), as SQLite prints it.
* ``parquet/<table>.parquet`` – one file per table (Arrow types from the Table Schema).

Table names: a table named like its package keeps the name (``comuni``, ``documenti``),
the others are ``<package>__<table>`` with ``-`` as ``_`` (``fondo_0_6_riparto_2018__riparto``).

The money columns that the views add up per comune are declared in :data:`MEASURES`
(one mapping, keyed by package and table; it moves to the dataset declarations of the
parser families when those exist). Everything is deterministic: same packages, same bytes.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import tempfile
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

SQLITE = "comuni-aperti.sqlite"
SCHEMA_SQL = "comuni-aperti.sql"
PACKAGE = "datapackage.json"
PARQUET_DIR = "parquet"
NAME = "comuni-aperti"

#: (package, table) -> (column, what it is): the euro amounts of a programme that go to a
#: comune or to a beneficiary based in it, added up per comune by ``comuni_programmi``.
MEASURES: dict[tuple[str, str], tuple[str, str]] = {
    ("fondo-0-6-riparto-2018", "riparto"): ("totale_riparto", "riparto del fondo al comune"),
    ("protezione-civile-contributi-2018", "enti_locali"): (
        "contributo_finanziato",
        "contributo finanziato all'ente locale",
    ),
    ("protezione-civile-contributi-2018", "associazioni"): (
        "contributo_finanziato",
        "contributo finanziato all'associazione con sede nel comune",
    ),
    ("danni-fauna-selvatica-2018", "prevenzione_brescia"): (
        "importo_ammesso",
        "contributo per opere di prevenzione, beneficiario con sede nel comune",
    ),
}

SQL_TYPES = {
    "string": "TEXT",
    "integer": "INTEGER",
    "number": "REAL",
    "boolean": "INTEGER",
    "date": "TEXT",
}


class ExportError(ValueError):
    """A package cannot be exported (unknown field type, value, key)."""


@dataclass
class Table:
    name: str  # SQL / combined-package name
    package: str
    table: str  # the table's name in its package
    resource: dict  # the resource of the combined package
    programme: str | None
    rows: list[tuple] = field(default_factory=list)

    @property
    def fields(self) -> list[dict]:
        return self.resource["schema"]["fields"]


def table_name(package: str, table: str) -> str:
    return (
        package.replace("-", "_")
        if table == package
        else f"{package.replace('-', '_')}__{table.replace('-', '_')}"
    )


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --------------------------------------------------------------------------- reading
def _cast(value: str, ftype: str, where: str):
    if value == "":
        return None
    try:
        if ftype == "integer":
            return int(value)
        if ftype == "number":
            return float(Decimal(value))
        if ftype == "boolean":
            if value not in ("true", "false"):
                raise ValueError(value)
            return value == "true"
        if ftype == "date":
            return date.fromisoformat(value).isoformat()
        if ftype == "string":
            return value
    except (ValueError, ArithmeticError):
        raise ExportError(f"{where}: {value!r} is not a valid {ftype}") from None
    raise ExportError(f"{where}: field type {ftype!r} cannot be exported")


def read_rows(path: Path, fields: list[dict], where: str) -> list[tuple]:
    """The rows of a canonical CSV, cast with the types of its Table Schema."""
    names = [f["name"] for f in fields]
    types = [f.get("type", "string") for f in fields]
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, [])
        if header != names:
            raise ExportError(f"{where}: header {header} is not the schema's {names}")
        return [
            tuple(_cast(v, t, f"{where} line {n}") for v, t in zip(row, types))
            for n, row in enumerate(reader, start=2)
        ]


# --------------------------------------------------------------------------- combined package
def combined(
    data_dir: Path,
    descriptors: list[dict],
    cross_keys: dict[str, dict[str, list]],
    programmes: dict[str, str | None],
    created: str,
) -> tuple[dict, list[Table]]:
    """The combined package and its tables (rows read from the CSV files).

    ``cross_keys``: package -> table -> the foreign keys its parser declared to other
    packages (``{"fields", "reference": {"package", "resource", "fields"}}``);
    ``programmes``: package -> programme slug (None for the registry and the documents).
    """
    tables: list[Table] = []
    names: dict[tuple[str, str], str] = {}
    for d in sorted(descriptors, key=lambda d: d["name"]):
        for res in d["resources"]:
            if res["name"].endswith("-excel"):
                continue
            names[(d["name"], res["name"])] = table_name(d["name"], res["name"])
    has_documents = ("documenti", "documenti") in names
    for d in sorted(descriptors, key=lambda d: d["name"]):
        pkg = d["name"]
        for res in d["resources"]:
            if res["name"].endswith("-excel"):
                continue
            name = names[(pkg, res["name"])]
            schema = json.loads(json.dumps(res["schema"]))
            keys = []
            for fk in schema.get("foreignKeys", []):  # within the package
                ref = dict(fk["reference"])
                ref["resource"] = names[(pkg, ref.get("resource") or res["name"])]
                keys.append({"fields": fk["fields"], "reference": ref})
            for fk in cross_keys.get(pkg, {}).get(res["name"], []):  # to other packages
                ref = fk["reference"]
                target = names.get((ref["package"], ref["resource"]))
                if target is None:
                    raise ExportError(
                        f"{pkg}/{res['name']}: foreign key to "
                        f"{ref['package']}/{ref['resource']}, not published"
                    )
                keys.append(
                    {
                        "fields": fk["fields"],
                        "reference": {"resource": target, "fields": ref["fields"]},
                    }
                )
            fnames = {f["name"] for f in schema["fields"]}
            if has_documents and pkg != "comuni" and "source_id" in fnames:
                keys.append(
                    {"fields": "source_id", "reference": {"resource": "documenti", "fields": "id"}}
                )
            if keys:
                schema["foreignKeys"] = keys
            resource = {k: v for k, v in res.items() if k != "schema"}
            resource.update(name=name, path=f"{pkg}/{res['path']}", schema=schema)
            rows = read_rows(
                data_dir / pkg / res["path"], schema["fields"], f"data/{pkg}/{res['path']}"
            )
            tables.append(Table(name, pkg, res["name"], resource, programmes.get(pkg), rows))
    sources, seen = [], set()
    for d in sorted(descriptors, key=lambda d: d["name"]):
        for s in d.get("sources") or []:
            key = (s.get("title"), s.get("path"))
            if key not in seen:
                seen.add(key)
                sources.append(s)
    descriptor = {
        "$schema": "https://datapackage.org/profiles/1.0/datapackage.json",
        "name": NAME,
        "title": "Comuni aperti: tutti i dati",
        "description": (
            "Tutte le tabelle di tutti i pacchetti del sito in un unico pacchetto, "
            "con le chiavi esterne tra pacchetti dichiarate (codici ISTAT verso "
            "comuni, documenti di provenienza verso documenti): un solo "
            "`frictionless validate` controlla tutti i dati. Gli stessi dati sono "
            "anche in un database SQLite e in file Parquet."
        ),
        "version": "1.0.0",
        "created": f"{created}T00:00:00Z",
        "keywords": ["comuni", "ISTAT", "dati aperti", "SQLite", "Parquet"],
        "homepage": "/dati/#banca-dati",
        "licenses": descriptors[0]["licenses"] if descriptors else [],
        "sources": sources,
        "contributors": descriptors[0]["contributors"] if descriptors else [],
        "resources": [t.resource for t in tables],
    }
    return descriptor, tables


# --------------------------------------------------------------------------- SQLite
def _columns(t: Table) -> list[str]:
    schema = t.resource["schema"]
    pk = schema.get("primaryKey") or []
    pk = [pk] if isinstance(pk, str) else pk
    out = []
    for f in t.fields:
        c = f.get("constraints") or {}
        col = f"{_q(f['name'])} {SQL_TYPES[f.get('type', 'string')]}"
        if c.get("required") or f["name"] in pk:
            col += " NOT NULL"
        if c.get("unique") and [f["name"]] != pk:
            col += " UNIQUE"
        if f.get("type") == "boolean":
            col += f" CHECK ({_q(f['name'])} IN (0, 1))"
        out.append(col)
    if pk:
        out.append(f"PRIMARY KEY ({', '.join(_q(k) for k in pk)})")
    return out


def _keys(t: Table, has_acts: bool) -> list[tuple[list[str], str, list[str]]]:
    keys = []
    for fk in t.resource["schema"].get("foreignKeys", []):
        fields = fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]
        ref = fk["reference"]["fields"]
        keys.append((fields, fk["reference"]["resource"], ref if isinstance(ref, list) else [ref]))
    names = {f["name"] for f in t.fields}
    if has_acts and t.package not in ("comuni", "documenti") and {"source_id", "act_id"} <= names:
        keys.append((["source_id", "act_id"], "documenti__atti", ["documento", "id"]))
    return keys


# SQLite's default limit on the terms of one compound SELECT (SQLITE_MAX_COMPOUND_SELECT);
# 300 bulletins give 600 tables with an ISTAT code
MAX_COMPOUND = 500


def _union_all(parts: list[str]) -> str:
    """``parts`` joined by UNION ALL, in nested compounds of at most :data:`MAX_COMPOUND`
    terms each (the same rows in the same order; unnested up to the limit)."""
    if len(parts) <= MAX_COMPOUND:
        return "\n  UNION ALL\n".join(parts)
    chunks = [
        f"  SELECT * FROM (\n{_union_all(parts[i : i + MAX_COMPOUND])}\n  )"
        for i in range(0, len(parts), MAX_COMPOUND)
    ]
    return _union_all(chunks)


def views(tables: list[Table]) -> dict[str, str]:
    """The views: facts joined to the comuni (per comune and programme), per programme."""
    parts = []
    for t in tables:
        if t.programme is None or not any(f["name"] == "istat" for f in t.fields):
            continue
        key = (t.package, t.table)
        measure = _q(MEASURES[key][0]) if key in MEASURES else "NULL"
        parts.append(
            f"  SELECT istat, '{t.programme}' AS programma, '{t.package}' AS pacchetto, "
            f"{measure} AS importo FROM {_q(t.name)} WHERE istat IS NOT NULL"
        )
    facts = _union_all(parts) or "  SELECT NULL, NULL, NULL, NULL WHERE 0"
    comuni_programmi = f"""SELECT f.istat AS istat, c.nome AS comune, c.provincia AS provincia,
       c.sigla_provincia AS sigla_provincia, c.regione AS regione, c.esistente AS esistente,
       c.popolazione AS popolazione, c.popolazione_0_6 AS popolazione_0_6,
       f.programma AS programma, COUNT(*) AS righe,
       ROUND(SUM(f.importo), 2) AS importo_euro,
       ROUND(SUM(f.importo) / NULLIF(c.popolazione, 0), 4) AS euro_per_abitante
FROM (
{facts}
) AS f JOIN comuni AS c ON c.istat = f.istat
GROUP BY f.istat, f.programma"""
    programmi = """SELECT programma, COUNT(*) AS comuni, SUM(righe) AS righe,
       ROUND(SUM(importo_euro), 2) AS importo_euro,
       SUM(popolazione) AS popolazione_dei_comuni
FROM comuni_programmi
GROUP BY programma"""
    return {"comuni_programmi": comuni_programmi, "programmi": programmi}


VIEW_DOCS = {
    "comuni_programmi": (
        "Una riga per comune e programma: righe dei dati del programma sul "
        "comune, importo in euro (le colonne di MEASURES), popolazione ISTAT "
        "2023 ed euro per abitante."
    ),
    "programmi": "Una riga per programma: comuni, righe, importo totale, popolazione dei comuni.",
}


def sqlite_bytes(tables: list[Table]) -> tuple[bytes, str]:
    """The database file and its schema (``sqlite_master``'s SQL, in creation order)."""
    order = sorted(
        tables,
        key=lambda t: (t.name not in ("comuni", "documenti"), t.name != "documenti__atti", t.name),
    )
    has_acts = any(t.name == "documenti__atti" for t in tables)
    fd, tmp = tempfile.mkstemp(suffix=".sqlite")
    os.close(fd)
    try:
        con = sqlite3.connect(tmp, isolation_level=None)
        # loaded with the keys off (tables refer to each other), then checked all at once
        con.execute("PRAGMA foreign_keys = OFF")
        con.execute("PRAGMA journal_mode = OFF")
        # SQLite scans its whole schema for every table and index it creates: with thousands
        # of tables the schema outgrows the default 2 MiB page cache and each scan read it
        # from the file again (CREATE INDEX on 6,626 tables: 40 s, 19.5 s with 64 MiB)
        con.execute("PRAGMA cache_size = -65536")
        con.execute("BEGIN")
        for t in order:
            cols = _columns(t)
            for fields, target, ref in _keys(t, has_acts):
                cols.append(
                    f"FOREIGN KEY ({', '.join(_q(f) for f in fields)}) "
                    f"REFERENCES {_q(target)} ({', '.join(_q(r) for r in ref)})"
                )
            con.execute(f"CREATE TABLE {_q(t.name)} (\n  " + ",\n  ".join(cols) + "\n)")
            marks = ", ".join("?" for _ in t.fields)
            con.executemany(f"INSERT INTO {_q(t.name)} VALUES ({marks})", t.rows)
        for t in order:
            for fields, target, _ in _keys(t, has_acts):
                idx = f"{t.name}__{'_'.join(fields)}"
                con.execute(
                    f"CREATE INDEX {_q(idx)} ON {_q(t.name)} ({', '.join(_q(f) for f in fields)})"
                )
        for name, sql in views(order).items():
            con.execute(f"CREATE VIEW {_q(name)} AS\n{sql}")
        bad = con.execute("PRAGMA foreign_key_check").fetchall()
        if bad:
            raise ExportError(f"foreign keys not satisfied: {bad[:5]}")
        con.execute("COMMIT")
        # No VACUUM: the file is written in one transaction that frees no page (the tables
        # filled before their indexes are made), so VACUUM gained 3 pages of 997 on the real
        # corpus, and it makes every table and index again: with 6,600 tables it took 44 s
        # of the 119 s export (SQLite re-reads its whole schema for each object it creates)
        schema = (
            ";\n\n".join(
                r[0]
                for r in con.execute(
                    "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid"
                )
            )
            + ";\n"
        )
        con.close()
        data = Path(tmp).read_bytes()
    finally:
        os.unlink(tmp)
    head = (
        "-- Comuni aperti: schema of comuni-aperti.sqlite (tables, indexes, views).\n"
        "-- Built from the Frictionless packages in /data/; see /dati/#banca-dati.\n\n"
    )
    return data, head + schema


# --------------------------------------------------------------------------- Parquet
def arrow_types() -> dict:
    """The Arrow type of each Table Schema field type the export knows."""
    import pyarrow as pa

    return {
        "string": pa.string(),
        "integer": pa.int64(),
        "number": pa.float64(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
    }


def parquet_bytes(t: Table) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = arrow_types()
    cols = [
        _arrow_array([r[i] for r in t.rows], f.get("type", "string"), types)
        for i, f in enumerate(t.fields)
    ]
    schema = pa.schema(
        [
            pa.field(
                f["name"],
                types[f.get("type", "string")],
                metadata={
                    "title": str(f.get("title") or ""),
                    "description": str(f.get("description") or ""),
                },
            )
            for f in t.fields
        ],
        metadata={"resource": t.name, "source": t.resource["path"]},
    )
    table = pa.Table.from_arrays(cols, schema=schema)
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd", write_statistics=True)
    return buf.getvalue()


_EPOCH = date(1970, 1, 1).toordinal()


def _arrow_array(values: list, ftype: str, types: dict):
    """The Arrow array of one column's cast values (``None`` is null), built from its
    buffers: what ``pyarrow.array(values, type)`` makes, without that call's first use in
    a process importing pandas (0.1-0.3 s of the add-one's database job, whose worker has
    not imported it; pyarrow checks whether the values are pandas objects, and ours are
    lists)."""
    import numpy as np
    import pyarrow as pa

    def bits(flags: list[bool]):  # an Arrow bitmap: least significant bit first
        return pa.py_buffer(np.packbits(np.array(flags, dtype=bool), bitorder="little"))

    valid = [v is not None for v in values]
    nulls = len(values) - sum(valid)
    mask = bits(valid) if nulls else None
    if ftype == "string":
        data = [v.encode() if v is not None else b"" for v in values]
        offsets = np.zeros(len(data) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in data], out=offsets[1:])
        if offsets[-1] >= 2**31:  # pyarrow.string()'s 32-bit offsets
            raise ExportError(f"a text column of {offsets[-1]} bytes is too large for Parquet")
        buffers = [mask, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(b"".join(data))]
    elif ftype == "boolean":
        buffers = [mask, bits([bool(v) for v in values])]
    else:
        numbers = {
            "integer": (np.int64, lambda v: v),
            "number": (np.float64, lambda v: v),
            "date": (np.int32, lambda v: date.fromisoformat(v).toordinal() - _EPOCH),
        }
        dtype, convert = numbers[ftype]
        column = np.array([0 if v is None else convert(v) for v in values], dtype=dtype)
        buffers = [mask, pa.py_buffer(column.tobytes())]
    return pa.Array.from_buffers(types[ftype], len(values), buffers, null_count=nulls)


# --------------------------------------------------------------------------- the whole export
@dataclass
class Export:
    descriptor: dict
    tables: list[Table]
    files: dict[str, bytes]  # path under /data/ -> bytes
    queries: list[dict] = field(default_factory=list)  # /dati/'s examples, with their rows


def build(
    data_dir: Path, descriptors: list[dict], cross_keys: dict, programmes: dict, created: str
) -> Export:
    """Every file of the export (paths relative to ``/data/``)."""
    descriptor, tables = combined(data_dir, descriptors, cross_keys, programmes, created)
    db, schema = sqlite_bytes(tables)
    files = {
        PACKAGE: (json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n").encode(),
        SQLITE: db,
        SCHEMA_SQL: schema.encode(),
    }
    for t in tables:
        files[f"{PARQUET_DIR}/{t.name}.parquet"] = parquet_bytes(t)
    return Export(descriptor, tables, files, run_queries(db, load_queries()))


def run_queries(db: bytes, queries: list[dict]) -> list[dict]:
    """The example ``queries`` with the rows they return on the database ``db``: what /dati/
    shows is computed from the published data at every build, never written by hand. A
    query on a table the database does not hold (its package is not published: left out as
    invalid, or a project without that document) is not shown (``skipped`` says why); one
    that fails otherwise, or returns other columns than the ones it names, is an
    ExportError."""
    fd, tmp = tempfile.mkstemp(suffix=".sqlite")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(db)
        con = sqlite3.connect(f"file:{tmp}?mode=ro", uri=True)
        try:
            out = []
            for q in queries:
                try:
                    cur = con.execute(q["sql"])
                except sqlite3.Error as e:
                    if str(e).startswith("no such table"):
                        out.append({**q, "rows": None, "skipped": str(e)})
                        continue
                    raise ExportError(f"content/{QUERIES_FILE}: query {q['id']!r}: {e}") from None
                columns = [d[0] for d in cur.description]
                if columns != q["columns"]:
                    raise ExportError(
                        f"content/{QUERIES_FILE}: query {q['id']!r} returns {columns}, "
                        f"the file names {q['columns']}"
                    )
                out.append({**q, "rows": [list(r) for r in cur.fetchall()]})
            return out
        finally:
            con.close()
    finally:
        os.unlink(tmp)


def catalogue_descriptor(export: Export, site_descriptor: dict) -> dict:
    """The export as one more dataset of the DCAT catalogue (``comuni-aperti``): the
    database, its schema, the combined package and each Parquet file as distributions."""
    import hashlib

    def res(name, path, title, description, mediatype, fmt, schema_url=None):
        data = export.files[path]
        out = {
            "name": name,
            "path": f"/data/{path}",
            "title": title,
            "description": description,
            "mediatype": mediatype,
            "format": fmt,
            "bytes": len(data),
            "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
        }
        if schema_url:
            out["schema_url"] = schema_url
        return out

    resources = [
        res(
            "sqlite",
            SQLITE,
            "Database SQLite",
            "Tutte le tabelle in un database SQLite, con chiavi primarie ed esterne, indici "
            "e viste (comuni per programma, programmi).",
            "application/vnd.sqlite3",
            "sqlite",
            f"/data/{SCHEMA_SQL}",
        ),
        res(
            "schema-sql",
            SCHEMA_SQL,
            "Schema del database (SQL)",
            "Le istruzioni CREATE delle tabelle, degli indici e delle viste del database.",
            "application/sql",
            "sql",
        ),
        res(
            "datapackage",
            PACKAGE,
            "Pacchetto unico (datapackage.json)",
            "Un solo Frictionless Data Package con tutte le tabelle e le chiavi esterne tra "
            "pacchetti.",
            "application/json",
            "json",
        ),
    ]
    for t in export.tables:
        resources.append(
            res(
                f"parquet-{t.name}",
                f"{PARQUET_DIR}/{t.name}.parquet",
                f"{t.resource.get('title') or t.name} (Parquet)",
                f"La tabella {t.name} in formato Apache Parquet.",
                "application/vnd.apache.parquet",
                "parquet",
                f"/data/{PACKAGE}",
            )
        )
    return {
        **{k: site_descriptor[k] for k in ("licenses", "contributors", "created")},
        "name": NAME,
        "title": export.descriptor["title"],
        "description": export.descriptor["description"],
        "version": export.descriptor["version"],
        "keywords": export.descriptor["keywords"],
        "homepage": export.descriptor["homepage"],
        "documentation": "/dati/#banca-dati",
        "sources": [],
        "resources": resources,
    }


def summary(export: Export, site_descriptor: dict) -> dict:
    """What the catalogue and the /dati/ page say about the export (plain data)."""
    import hashlib

    def file(path):
        data = export.files[path]
        return {
            "url": f"/data/{path}",
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }

    return {
        "sqlite": file(SQLITE),
        "schema": file(SCHEMA_SQL),
        "package": file(PACKAGE),
        "tables": [
            {
                "name": t.name,
                "package": t.package,
                "table": t.table,
                "title": t.resource.get("title") or t.name,
                "rows": len(t.rows),
                "columns": len(t.fields),
                "parquet": file(f"{PARQUET_DIR}/{t.name}.parquet"),
                "keys": [
                    k["reference"]["resource"] for k in t.resource["schema"].get("foreignKeys", [])
                ],
            }
            for t in export.tables
        ],
        "views": [{"name": n, "description": VIEW_DOCS[n]} for n in views(export.tables)],
        "measures": [
            {"package": p, "table": t, "column": c, "meaning": m}
            for (p, t), (c, m) in sorted(MEASURES.items())
        ],
        "catalogue": catalogue_descriptor(export, site_descriptor),
        "queries": [q for q in export.queries if q["rows"] is not None],
    }


QUERIES_FILE = "banca-dati.yaml"  # in content/


def load_queries(path: Path | None = None) -> list[dict]:
    """The example queries of /dati/ (``content/banca-dati.yaml``): id, title, description,
    sql and the columns they return (:func:`run_queries` adds their rows at build time)."""
    from . import paths

    path = path or paths.CONTENT / QUERIES_FILE
    if not path.exists():
        return []
    data = paths.load_yaml(path.read_text(encoding="utf-8")) or {}
    out = []
    for i, q in enumerate(data.get("queries") or [], start=1):
        missing = [k for k in ("id", "title", "sql", "columns") if k not in q]
        if missing:
            raise ExportError(f"content/{QUERIES_FILE}: query {i} has no {', '.join(missing)}")
        out.append(
            {
                "id": str(q["id"]),
                "title": str(q["title"]),
                "description": str(q.get("description") or ""),
                "sql": str(q["sql"]).strip(),
                "columns": [str(c) for c in q["columns"]],
            }
        )
    return out
