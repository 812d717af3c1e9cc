"""The analysts' export of the built site: the combined data package (one frictionless run
checks all the data, keys across packages included), the SQLite database with its keys,
indexes and views, the documented example queries, the Parquet files."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from generator import export

SITE_URL = "https://comuni-aperti.netlify.app"


@pytest.fixture(scope="module")
def site(built_site):
    return built_site[0]


@pytest.fixture(scope="module")
def db(site):
    con = sqlite3.connect(f"file:{site / 'data' / export.SQLITE}?mode=ro", uri=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def combined(site):
    return json.loads((site / "data" / export.PACKAGE).read_text(encoding="utf-8"))


def test_database_opens_and_is_sound(site, db):
    assert (site / "data" / export.SQLITE).read_bytes()[:16] == b"SQLite format 3\x00"
    assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    # compact without a VACUUM (export.sqlite_bytes): no free page in the file
    assert db.execute("PRAGMA freelist_count").fetchone() == (0,)


def test_sqlite3_command_line_opens_it(site):
    """What an analyst types: the sqlite3 shell (Debian's, if installed) on the file."""
    shell = shutil.which("sqlite3")
    if shell is None:
        pytest.skip("no sqlite3 shell on this machine (the library is tested above)")
    out = subprocess.run(
        [
            shell,
            "-readonly",
            str(site / "data" / export.SQLITE),
            "SELECT nome FROM comuni WHERE istat = '016024';",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout.strip() == "Bergamo"


@pytest.mark.parametrize("query", export.load_queries(), ids=lambda q: q["id"])
def test_documented_queries_show_what_the_database_returns(db, site, query):
    """content/banca-dati.yaml: /dati/ shows each query with the rows the published database
    returns (computed at build time: a new document needs no edit there)."""
    import html
    import re

    cur = db.execute(query["sql"])
    assert [d[0] for d in cur.description] == query["columns"]
    rows = cur.fetchall()
    assert rows
    page = (site / "dati" / "index.html").read_text(encoding="utf-8")
    start = page.index(f'id="query-{query["id"]}"')
    body = page[start : page.index("</tbody>", start)].split("<tbody>", 1)[1]
    shown = [
        [html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", tr)]
        for tr in re.findall(r"<tr>(.*?)</tr>", body)
    ]
    assert len(shown) == len(rows)
    from generator.formatting import num

    expected = [
        ["–" if v is None else v if isinstance(v, str) else num(v) for v in r] for r in rows
    ]
    assert shown == expected  # text as is, numbers in it-IT, no value as a dash


def test_the_programme_query_lists_every_programme_with_data(db, combined):
    """The first example follows the data: one row per programme of the published packages
    (a document added with its spec shows up with no edit to the page)."""
    (q,) = [q for q in export.load_queries() if q["id"] == "programmi"]
    listed = {r[0] for r in db.execute(q["sql"])}
    programmes = {r[0] for r in db.execute("SELECT DISTINCT programma FROM comuni_programmi")}
    assert programmes and listed >= programmes


def test_a_query_that_returns_other_columns_fails_naming_the_file():
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE t (a INTEGER)")
    con.execute("INSERT INTO t VALUES (1)")
    fd_db = con.serialize()
    con.close()
    q = {"id": "x", "title": "X", "description": "", "sql": "SELECT a FROM t", "columns": ["b"]}
    with pytest.raises(export.ExportError, match=r"content/banca-dati.yaml: query 'x'"):
        export.run_queries(fd_db, [q])
    (ok,) = export.run_queries(fd_db, [{**q, "columns": ["a"]}])
    assert ok["rows"] == [[1]]
    with pytest.raises(export.ExportError, match="syntax error"):
        export.run_queries(fd_db, [{**q, "sql": "SELEC a FROM t", "columns": ["a"]}])
    # a table the database does not hold (its package is not published): not shown, and why
    (gone,) = export.run_queries(fd_db, [{**q, "sql": "SELECT a FROM missing"}])
    assert gone["rows"] is None and gone["skipped"] == "no such table: missing"


def test_three_example_queries_are_documented():
    qs = export.load_queries()
    assert len(qs) == 3 and all(q["sql"] and q["columns"] for q in qs)


def test_every_package_table_is_a_database_table_with_the_same_rows(site, db, combined):
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    seen = 0
    for dp in sorted((site / "data").glob("*/datapackage.json")):
        pkg = json.loads(dp.read_text(encoding="utf-8"))
        for res in pkg["resources"]:
            if res["name"].endswith("-excel"):
                continue
            name = export.table_name(pkg["name"], res["name"])
            assert name in tables, name
            with (dp.parent / res["path"]).open(encoding="utf-8", newline="") as f:
                rows = list(csv.reader(f))
            header, body = rows[0], rows[1:]
            cols = [r[1] for r in db.execute(f'PRAGMA table_info("{name}")')]
            assert cols == header, name
            assert db.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] == len(body), name
            seen += 1
    assert seen == len(tables) == len(combined["resources"]) >= 25


def test_values_keep_their_types(db):
    row = db.execute(
        "SELECT istat, nome, popolazione, esistente, soppresso_il FROM comuni "
        "WHERE istat = '016024'"
    ).fetchone()
    assert row[:2] == ("016024", "Bergamo") and isinstance(row[2], int) and row[3] == 1
    assert db.execute(
        "SELECT typeof(totale_riparto) FROM fondo_0_6_riparto_2018__riparto LIMIT 1"
    ).fetchone() == ("real",)
    assert (
        db.execute(
            "SELECT COUNT(*) FROM comuni WHERE esistente = 0 AND soppresso_il IS NOT NULL"
        ).fetchone()[0]
        > 0
    )


def _fks(db, table) -> set[tuple[str, str, str]]:
    out: dict[int, list] = {}
    for r in db.execute(f'PRAGMA foreign_key_list("{table}")'):
        out.setdefault(r[0], []).append((r[2], r[3], r[4]))
    return {(v[0][0], ",".join(x[1] for x in v), ",".join(x[2] for x in v)) for v in out.values()}


def test_foreign_keys_to_comuni_and_documenti_with_indexes(db):
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    to_comuni = to_documenti = to_acts = 0
    for t in tables:
        keys = _fks(db, t)
        cols = {r[1] for r in db.execute(f'PRAGMA table_info("{t}")')}
        indexed = {
            tuple(r[2] for r in db.execute(f'PRAGMA index_info("{i[1]}")'))
            for i in db.execute(f'PRAGMA index_list("{t}")')
        }
        for target, cols_from, _ in keys:
            assert tuple(cols_from.split(",")) in indexed, (t, cols_from)
        if "istat" in cols and t != "comuni" and not t.endswith("__fatti"):
            assert ("comuni", "istat", "istat") in keys, t
            to_comuni += 1
        if "source_id" in cols and t != "comuni":
            assert ("documenti", "source_id", "id") in keys, t
            to_documenti += 1
        if ("documenti__atti", "source_id,act_id", "documento,id") in keys:
            to_acts += 1
    assert to_comuni >= 8 and to_documenti >= 25 and to_acts >= 20


def test_a_broken_key_is_caught(site, tmp_path):
    """The keys are real: a row naming a comune that does not exist violates one."""
    copy = tmp_path / "db.sqlite"
    shutil.copy(site / "data" / export.SQLITE, copy)
    con = sqlite3.connect(copy)
    con.execute(
        "UPDATE fondo_0_6_riparto_2018__riparto SET istat = '999999' "
        "WHERE rowid = (SELECT MIN(rowid) FROM fondo_0_6_riparto_2018__riparto)"
    )
    con.commit()
    bad = con.execute("PRAGMA foreign_key_check").fetchall()
    con.close()
    assert [(b[0], b[2]) for b in bad] == [("fondo_0_6_riparto_2018__riparto", "comuni")]


def test_view_one_row_per_comune_and_programme(db):
    dupes = db.execute(
        "SELECT istat, programma, COUNT(*) FROM comuni_programmi "
        "GROUP BY istat, programma HAVING COUNT(*) > 1"
    ).fetchall()
    assert dupes == []
    n = db.execute("SELECT COUNT(*) FROM comuni_programmi").fetchone()[0]
    assert n > 10_000
    # population and per-capita come from the registry
    for istat, pop, imp, per in db.execute(
        "SELECT v.istat, v.popolazione, v.importo_euro, v.euro_per_abitante "
        "FROM comuni_programmi AS v WHERE v.programma = 'fondo-0-6-riparto-2018' LIMIT 50"
    ):
        assert (
            pop
            == db.execute("SELECT popolazione FROM comuni WHERE istat = ?", (istat,)).fetchone()[0]
        )
        if pop is None:  # a comune the 2023 registry has no population for
            assert per is None
            continue
        assert per == pytest.approx(imp / pop, abs=1e-4)
    # the fund's total, as the package's CSV adds it up (the view loses no row)
    total = db.execute(
        "SELECT ROUND(SUM(totale_riparto), 2) FROM fondo_0_6_riparto_2018__riparto "
        "WHERE istat IS NOT NULL"
    ).fetchone()[0]
    assert (
        db.execute(
            "SELECT importo_euro FROM programmi WHERE programma = 'fondo-0-6-riparto-2018'"
        ).fetchone()[0]
        == total
    )


def test_measures_name_real_columns(combined):
    by_name = {
        (r["path"].split("/")[0], r["path"].split("/")[1][:-4]): r for r in combined["resources"]
    }
    for (pkg, table), (col, _) in export.MEASURES.items():
        fields = {f["name"]: f["type"] for f in by_name[(pkg, table)]["schema"]["fields"]}
        assert fields[col] == "number", (pkg, table, col)


def test_parquet_files_are_the_tables(site, db, combined):
    for res in combined["resources"]:
        f = site / "data" / export.PARQUET_DIR / f"{res['name']}.parquet"
        t = pq.read_table(f)
        assert t.column_names == [x["name"] for x in res["schema"]["fields"]]
        assert t.num_rows == db.execute(f'SELECT COUNT(*) FROM "{res["name"]}"').fetchone()[0]
    comuni = pq.read_table(site / "data" / export.PARQUET_DIR / "comuni.parquet").to_pylist()
    bg = next(r for r in comuni if r["istat"] == "016024")
    assert bg["nome"] == "Bergamo" and isinstance(bg["popolazione"], int)


def test_combined_package_validates_in_one_frictionless_run(site, combined):
    """``frictionless validate data/datapackage.json``: every table, every key."""
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "frictionless",
            "validate",
            "--json",
            str(site / "data" / export.PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = json.loads(run.stdout)
    assert report["valid"] is True, [
        e.get("message") for t in report["tasks"] for e in t.get("errors", [])
    ][:10]
    assert len(report["tasks"]) == len(combined["resources"])
    keyed = [
        r["name"]
        for r in combined["resources"]
        if any(k["reference"]["resource"] == "comuni" for k in r["schema"].get("foreignKeys", []))
    ]
    assert len(keyed) >= 8


def test_combined_package_catches_a_key_across_packages(site, combined, tmp_path):
    """The cross-package keys are declared, so frictionless finds a broken one."""
    from frictionless import Package, system

    root = tmp_path / "data"
    shutil.copytree(site / "data", root, ignore=shutil.ignore_patterns("*.sqlite", "parquet"))
    f = root / "fondo-0-6-riparto-2018" / "riparto.csv"
    rows = f.read_text(encoding="utf-8").split("\n")
    header = rows[0].split(",")
    cells = next(csv.reader([rows[1]]))
    cells[header.index("istat")] = "999999"
    cells[header.index("source_id")] = "documento-inesistente"
    out = rows[:1] + [",".join(f'"{c}"' if "," in c else c for c in cells)] + rows[2:]
    f.write_text("\n".join(out), encoding="utf-8")
    with system.use_context(trusted=True):
        pkg = Package(str(root / export.PACKAGE))
        report = pkg.validate()
    notes = [e.note for t in report.tasks for e in t.errors if e.type == "foreign-key"]
    assert any("999999" in n for n in notes) and any("documento-inesistente" in n for n in notes)


def test_combined_package_points_at_the_published_files(site, combined):
    assert combined["name"] == "comuni-aperti"
    for res in combined["resources"]:
        assert (site / "data" / res["path"]).is_file(), res["path"]


def test_catalogue_lists_the_database_with_its_schema(site):
    from rdflib import Graph, URIRef
    from rdflib import namespace as ns

    g = Graph().parse(site / "dati" / "catalogo.ttl")
    ds = URIRef(f"{SITE_URL}/dati/{export.NAME}/#dataset")
    urls = {str(g.value(d, ns.DCAT.downloadURL)): d for d in g.objects(ds, ns.DCAT.distribution)}
    sqlite_dist = urls[f"{SITE_URL}/data/{export.SQLITE}"]
    assert str(g.value(sqlite_dist, ns.DCAT.mediaType)).endswith("/application/vnd.sqlite3")
    assert g.value(sqlite_dist, ns.DCTERMS.conformsTo) == URIRef(
        f"{SITE_URL}/data/{export.SCHEMA_SQL}"
    )
    assert f"{SITE_URL}/data/{export.PACKAGE}" in urls
    parquet = [u for u in urls if u.endswith(".parquet")]
    assert len(parquet) == len(list((site / "data" / export.PARQUET_DIR).glob("*.parquet")))
    size = int(g.value(sqlite_dist, ns.DCAT.byteSize))
    assert size == (site / "data" / export.SQLITE).stat().st_size


def test_the_views_hold_past_sqlites_compound_select_limit(tmp_path):
    """1,201 tables of facts (about 600 bulletins) join the views in nested UNION ALLs of
    at most export.MAX_COMPOUND terms: at 300 synthetic bulletins one compound of 600
    terms made the database fail ("too many terms in compound SELECT")."""
    comuni_fields = [
        {"name": n, "type": t}
        for n, t in (
            ("istat", "string"),
            ("nome", "string"),
            ("provincia", "string"),
            ("sigla_provincia", "string"),
            ("regione", "string"),
            ("esistente", "boolean"),
            ("popolazione", "integer"),
            ("popolazione_0_6", "integer"),
        )
    ]
    comuni = export.Table(
        "comuni",
        "comuni",
        "comuni",
        {"schema": {"fields": comuni_fields, "primaryKey": ["istat"]}},
        None,
        [("001001", "Agliè", "Torino", "TO", "Piemonte", 1, 2600, 120)],
    )
    n = 2 * export.MAX_COMPOUND + 201
    facts = [
        export.Table(
            f"p{i:04d}__righe",
            f"p{i:04d}",
            "righe",
            {"schema": {"fields": [{"name": "istat", "type": "string"}]}},
            f"programma-{i:04d}",
            [("001001",)],
        )
        for i in range(n)
    ]
    data, schema = export.sqlite_bytes([comuni, *facts])
    db = tmp_path / "x.sqlite"
    db.write_bytes(data)
    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT programma, righe FROM comuni_programmi ORDER BY programma"
    ).fetchall()
    assert rows == [(f"programma-{i:04d}", 1) for i in range(n)]
    assert con.execute("SELECT COUNT(*) FROM programmi").fetchone() == (n,)
    # up to the limit the view is one compound, as before
    few = export.views(facts[:3])["comuni_programmi"]
    assert few.count("UNION ALL") == 2 and "SELECT * FROM (" not in few


def _mixed_table(rows: list[tuple]) -> export.Table:
    fields = [
        {"name": "istat", "type": "string", "title": "Codice", "description": "ISTAT"},
        {"name": "n", "type": "integer"},
        {"name": "euro", "type": "number"},
        {"name": "ok", "type": "boolean"},
        {"name": "giorno", "type": "date"},
    ]
    return export.Table(
        "t__righe", "t", "righe", {"path": "righe.csv", "schema": {"fields": fields}}, None, rows
    )


MIXED_ROWS = [
    ("016024", 1, 1.5, True, "2018-11-23"),
    (None, None, None, None, None),
    ('Forlì-Cesena, "virgolette"\n', -(2**63), -0.0, False, "1970-01-01"),
    ("", 2**63 - 1, 1e300, True, "1969-12-31"),
    ("Città di Castello ✓", 0, 123456789.125, None, "2099-02-28"),
]


@pytest.mark.parametrize("rows", [MIXED_ROWS, [], [MIXED_ROWS[1]] * 3, MIXED_ROWS[2:3] * 9])
def test_parquet_columns_are_what_pyarrow_array_makes(rows):
    """export._arrow_array builds each column from its buffers (pyarrow.array imports
    pandas on its first use): the same arrays, so the same Parquet bytes."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from datetime import date

    t = _mixed_table(rows)
    types = export.arrow_types()
    for i, f in enumerate(t.fields):
        values = [r[i] for r in rows]
        ours = export._arrow_array(values, f["type"], types)
        ours.validate(full=True)
        if f["type"] == "date":
            values = [None if v is None else date.fromisoformat(v) for v in values]
        theirs = pa.array(values, type=types[f["type"]])
        assert ours.equals(theirs), f["name"]
        assert ours.null_count == theirs.null_count
    got = pq.read_table(pa.BufferReader(export.parquet_bytes(t)))
    assert got.to_pylist() == [
        {
            f["name"]: (date.fromisoformat(v) if f["type"] == "date" and v else v)
            for f, v in zip(t.fields, r)
        }
        for r in rows
    ]


def test_writing_parquet_does_not_import_pandas():
    """The database job of an add-one build runs in a process without pandas: writing the
    Parquet files must not import it (0.5 s)."""
    code = (
        "import sys\n"
        "from generator import export\n"
        "fields = [{'name': n, 'type': t} for n, t in (('a', 'string'), ('b', 'integer'),"
        " ('c', 'number'), ('d', 'boolean'), ('e', 'date'))]\n"
        "t = export.Table('t', 't', 't', {'path': 't.csv', 'schema': {'fields': fields}},"
        " None, [('x', 1, 1.5, True, '2018-11-23'), (None,) * 5])\n"
        "assert export.parquet_bytes(t)[:4] == b'PAR1'\n"
        "print(sorted(m for m in ('pandas', 'pyarrow') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['pyarrow']", out.stderr
