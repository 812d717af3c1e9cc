"""Benchmark of generator/export.py (the build's "database" stage): the combined data
package, the SQLite database and the Parquet files made from the packages of a built site;
prints times (median of N runs, in this process) and sizes, and how long one frictionless
run takes to validate the combined package (keys across packages included).

With ``--copies N`` the export is made from the site's packages plus N-1 renamed copies of
each programme's package (the same CSV files, linked; ``<name>-c0002``...), which is what a
site of N times the documents hands to the database stage: its time per part (reading the
CSV files, SQLite, Parquet, the example queries) shows how each grows with the number of
tables (SQLite's schema work grows with their square: ``docs/scaling.md``).

Usage: python bench/export_bench.py [--site site/] [--runs 5] [--no-validate] [--copies N]
Build first: python -m generator build
"""

from __future__ import annotations

import argparse
import gzip
import copy
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator import export  # noqa: E402


def mb(n: float) -> str:
    return f"{n / 1e6:.2f} MB"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--site", default=str(ROOT / "site"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-validate", action="store_true")
    ap.add_argument("--copies", type=int, default=1, help="packages N times (see above)")
    args = ap.parse_args()
    if args.copies > 1:
        return scaled(Path(args.site) / "data", args.copies, args.runs)
    data = Path(args.site) / "data"
    combined = json.loads((data / export.PACKAGE).read_text(encoding="utf-8"))
    descriptors = [
        json.loads(p.read_text(encoding="utf-8")) for p in sorted(data.glob("*/datapackage.json"))
    ]
    cross = cross_keys(combined)
    programmes = {
        d["name"]: d["homepage"].split("/")[2] if d["homepage"].startswith("/programmi/") else None
        for d in descriptors
    }
    created = combined["created"][:10]  # the site's date (each package has its own)

    times, exp = [], None
    for _ in range(args.runs):
        t = time.perf_counter()
        exp = export.build(data, descriptors, cross, programmes, created)
        times.append(time.perf_counter() - t)
    same = all(exp.files[p] == (data / p).read_bytes() for p in exp.files)
    rows = sum(len(t.rows) for t in exp.tables)
    parquet = sum(len(b) for p, b in exp.files.items() if p.endswith(".parquet"))
    csv_bytes = sum((data / r["path"]).stat().st_size for r in combined["resources"])
    print(
        f"export: {len(exp.tables)} tables, {rows:,} rows; median {statistics.median(times):.2f} s "
        f"(min {min(times):.2f}, max {max(times):.2f}, {args.runs} runs); "
        f"identical to the published files: {same}"
    )
    print(f"  canonical CSV files      {mb(csv_bytes)}")
    for name in (export.SQLITE, export.SCHEMA_SQL, export.PACKAGE):
        b = exp.files[name]
        print(f"  {name:<24} {mb(len(b))}  (gzip {mb(len(gzip.compress(b, 6)))})")
    print(f"  parquet/*.parquet        {mb(parquet)}  ({len(exp.tables)} files, zstd)")
    if not args.no_validate:
        from frictionless import Package, system

        t = time.perf_counter()
        with system.use_context(trusted=True):
            report = Package(str(data / export.PACKAGE)).validate()
        print(
            f"frictionless validate data/datapackage.json: valid={report.valid}, "
            f"{len(report.tasks)} tables, {time.perf_counter() - t:.2f} s"
        )
    return 0


def cross_keys(combined: dict) -> dict:
    """The cross-package keys as the build passed them (read back from the combined
    package): package -> table -> keys to ``comuni``."""
    cross: dict = {}
    for res in combined["resources"]:
        pkg, table = res["path"].split("/")[0], res["path"].split("/")[1][:-4]
        for fk in res["schema"].get("foreignKeys", []):
            if fk["reference"]["resource"] == "comuni" and pkg != "comuni":
                cross.setdefault(pkg, {}).setdefault(table, []).append(
                    {
                        "fields": fk["fields"],
                        "reference": {"package": "comuni", "resource": "comuni", "fields": "istat"},
                    }
                )
    return cross


def scaled(data: Path, n: int, runs: int) -> int:
    """The export of the site's packages and n-1 copies of each programme's package, timed
    part by part."""
    combined = json.loads((data / export.PACKAGE).read_text(encoding="utf-8"))
    descriptors = [
        json.loads(p.read_text(encoding="utf-8")) for p in sorted(data.glob("*/datapackage.json"))
    ]
    cross = cross_keys(combined)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        out = []
        for d in descriptors:
            (root / d["name"]).symlink_to(data / d["name"])
            out.append(d)
            if d["name"] in ("comuni", "documenti"):
                continue
            for i in range(2, n + 1):
                c = copy.deepcopy(d)
                c["name"] = f"{d['name']}-c{i:04d}"
                (root / c["name"]).symlink_to(data / d["name"])
                out.append(c)
                if d["name"] in cross:
                    cross[c["name"]] = cross[d["name"]]
        programmes = {
            d["name"]: None if d["name"] in ("comuni", "documenti") else d["name"] for d in out
        }
        created = combined["created"][:10]
        parts: dict[str, list[float]] = {}

        def timed(name, f, *a):
            t = time.perf_counter()
            r = f(*a)
            parts.setdefault(name, []).append(time.perf_counter() - t)
            return r

        for _ in range(runs):
            _, tables = timed(
                "read the CSV files", export.combined, root, out, cross, programmes, created
            )
            db, _ = timed("SQLite", export.sqlite_bytes, tables)
            timed("Parquet", lambda: [export.parquet_bytes(t) for t in tables])
            timed("example queries", export.run_queries, db, export.load_queries())
        total = sum(statistics.median(v) for v in parts.values())
        print(
            f"export of {len(out)} packages ({n} copies of each programme's), {len(tables):,} "
            f"tables, {sum(len(t.rows) for t in tables):,} rows, SQLite {mb(len(db))}: "
            f"{total:.1f} s (medians of {runs} runs)"
        )
        for name, v in parts.items():
            print(f"  {name:<20} {statistics.median(v):7.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
