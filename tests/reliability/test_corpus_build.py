"""The real build on every kind of bad input side by side (``corpus.all_kinds_sources``).

Two full builds of one corpus (``search=False``, build caches in a folder of their own): a
normal one, which must publish everything that is sound and list every problem on the
data-quality page; then a ``--strict`` one of the same inputs into the same folder, which
must fail with ``BuildError`` (even though the inputs did not change since the last build)
and leave the published site byte for byte as it was. The published pages must show every
payload of active content only as text.
"""

from __future__ import annotations

import csv
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from xml.etree import ElementTree

import pytest

from generator.formatting import method_it

from corpus import (
    AREE_ID,
    BASELINE_ID,
    BURL_ID,
    CLOSE_SCRIPT,
    FORMULA,
    GU_ID,
    IMG,
    KINDS,
    PAYLOADS,
    RAW_MARKERS,
    SCRIPT,
    SMART_ID,
    Expect,
    all_kinds_sources,
    file_names,
    find_reports,
    kind,
    kinds,
    locate,
    quiet_log,
    tree_digest,
    write_corpus,
)
from generator import build, paths
from support import parse_real


class _Rows(HTMLParser):
    """The text of every table cell, row by row."""

    def __init__(self):
        super().__init__()
        self.rows, self._row, self._cell = [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def table_rows(html: str) -> list[list[str]]:
    p = _Rows()
    p.feed(html)
    return p.rows


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus-build")
    src, site = root / "sources", root / "site"
    write_corpus(src, all_kinds_sources(KINDS))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(paths, "SOURCES", src)
        mp.setattr(paths, "MANIFEST", src / "sources.yaml")
        mp.setattr(paths, "CACHE", root / "cache")  # build caches: this corpus only
        log = quiet_log()
        report = build.build(site, strict=False, log=log, search=False)
        published = tree_digest(site)
        with pytest.raises(build.BuildError) as failure:
            build.build(site, strict=True, log=quiet_log(), search=False)
    quality = json.loads((site / "dati/qualita/quality.json").read_text(encoding="utf-8"))
    quality["resolutions_list"] = quality["resolutions"]["not_exact"]
    return SimpleNamespace(
        root=root,
        src=src,
        site=site,
        log=log,
        report=report,
        published=published,
        failure=str(failure.value),
        after=tree_digest(site),
        quality=quality,
        quality_rows=table_rows((site / "dati/qualita/index.html").read_text(encoding="utf-8")),
    )


def read(site: Path, rel: str) -> str:
    return (site / rel).read_text(encoding="utf-8")


# -- strict: fails, and the published site stays as it was ------------------------------------
def test_strict_build_fails_and_leaves_the_site_byte_for_byte(corpus):
    assert "--strict" in corpus.failure
    for code in ("[empty]", "[binary]", "[encoding]", "[manifest-id]", "[hash-mismatch]"):
        assert code in corpus.failure
    assert corpus.after == corpus.published
    assert [p.name for p in corpus.root.iterdir() if p.name.startswith(".site")] == []


# -- non-strict: publishes everything else --------------------------------------------------
def test_everything_sound_is_published(corpus):
    site = corpus.site
    result, _, _ = parse_real(BASELINE_ID)
    for ds in result.datasets:
        dp = json.loads(read(site, f"data/{ds.name}/datapackage.json"))
        assert dp["name"] == ds.name
        for t in ds.tables:
            assert len(_csv_rows(site, f"data/{ds.name}/{t.name}.csv")) == len(t.rows), t.name
    # the documents loaded with a warning or an error are published too, with their data
    for doc_id in (
        BASELINE_ID,
        SMART_ID,
        BURL_ID,
        AREE_ID,
        GU_ID,
        "prova-senza-parser",
        "prova-parser-ignoto",
        "prova-modificato",
        "prova-riga-lunga",
        "prova-payload",
        "prova-doppio-a",
        "prova-parser-lista",
    ):
        assert (site / "documenti" / doc_id / "index.html").is_file(), doc_id
    for package in (
        "aree-interne-2021-2027",
        "sovrimposta-fabbricati-1983",
        "smart-polizia-locale-2025",
        "fondo-0-6-riparto-2018",
    ):
        assert (site / "data" / package / "datapackage.json").is_file(), package
    # nothing from the refused inputs
    for doc_id in (
        "prova-vuoto",
        "prova-binario",
        "prova-latin1",
        "prova-cp1252",
        "prova-fantasma",
        "prova-link",
        "prova-cartella",
        "prova-doppio-b",
        "prova-data",
    ):
        assert not (site / "documenti" / doc_id).exists(), doc_id
    assert not any("etc" in p.name for p in (site / "documenti").iterdir())
    assert corpus.quality["summary"]["errors"] > 0


def _csv_rows(site: Path, rel: str) -> list[dict]:
    with (site / rel).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_crlf_and_bom_documents_give_the_same_data_as_the_clean_ones(corpus):
    aree, _, _ = parse_real(AREE_ID)
    (ds,) = aree.datasets
    for t in ds.tables:
        assert len(_csv_rows(corpus.site, f"data/{ds.name}/{t.name}.csv")) == len(t.rows)
    rows = _csv_rows(corpus.site, "data/sovrimposta-fabbricati-1983/aliquote.csv")
    assert [r["comune"] for r in rows] == ["Agliano", "Albugnano", "Alessano", "Alliste"]


def test_duplicate_codes_make_the_package_invalid_and_say_so(corpus):
    val = json.loads(read(corpus.site, "data/fondo-0-6-riparto-2018/validation.json"))
    assert val["valid"] is False
    assert [
        p["valid"] for p in corpus.quality["packages"] if p["name"] == "fondo-0-6-riparto-2018"
    ] == [False]
    assert any(
        p["code"] == "package-invalid" and "fondo-0-6-riparto-2018" in p["message"]
        for p in corpus.quality["problems"]
    )


def test_an_invalid_package_is_left_out_of_the_database_and_says_so(corpus):
    """The analysts' export takes the valid packages only (its keys would not hold)."""
    import sqlite3

    con = sqlite3.connect(corpus.site / "data" / "comuni-aperti.sqlite")
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "comuni" in tables and not [t for t in tables if t.startswith("fondo_0_6")]
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    con.close()
    combined = json.loads(read(corpus.site, "data/datapackage.json"))
    assert not [r for r in combined["resources"] if r["path"].startswith("fondo-0-6")]
    assert any(
        p["code"] == "database-skipped" and "fondo-0-6-riparto-2018" in p["message"]
        for p in corpus.quality["problems"]
    )


# -- every problem is on the data-quality page ------------------------------------------------
def _on_quality_page(corpus, e, line) -> bool:
    """``e`` is in a row of the HTML data-quality page."""
    names = file_names(e)
    for row in corpus.quality_rows:
        text = " | ".join(row)
        if (
            e.what in ("problem", "any")
            and len(row) == 4
            and row[2] == (e.code or row[2])
            and any(row[0].endswith(n + (f":{line}" if line else "")) for n in names)
        ):
            return True
        if e.what in ("check", "any") and f"[{e.code}]" in row[0] and "non superata" in text:
            return True
        if e.what in ("reject", "any") and row[0] == f"{e.doc}:{line}":
            return True
        if (
            e.what == "resolution"
            and len(row) == 7
            and row[5] == f"{e.doc}:{line}"
            and row[1] in (e.code, method_it(e.code))
        ):  # the page says it in Italian
            return True
    return False


@pytest.mark.parametrize("name", kinds({}))
def test_every_problem_is_on_the_data_quality_page(corpus, name):
    q = corpus.quality
    found = {
        "problems": q["problems"],
        "checks": q["checks"],
        "rejects": q["rejects"],
        "resolutions": q["resolutions_list"],
    }
    for e in kind(name).expect:
        line = locate(corpus.src, e)
        assert find_reports(e, line, file_names(e), found), (
            f"{name}: {e.what} {e.code!r} at {e.doc}:{line} not in quality.json"
        )
        assert _on_quality_page(corpus, e, line), (
            f"{name}: {e.what} {e.code!r} at {e.doc}:{line} not on /dati/qualita/"
        )


def test_ambiguous_name_is_a_problem_on_the_data_quality_page(corpus):
    line = locate(corpus.src, Expect("resolution", "ambiguous", SMART_ID, "Samone"))
    rows = [
        r
        for r in corpus.quality_rows
        if len(r) == 4 and r[2] == "unresolved-name" and "ambiguous comune name 'Samone'" in r[3]
    ]
    assert [r[0] for r in rows] == [f"data/sources/{SMART_ID}.txt:{line}"]


# -- documents nobody parses ------------------------------------------------------------------
def test_document_without_parser_or_spec_gets_its_page_and_no_problem(corpus):
    html = read(corpus.site, "documenti/prova-senza-parser/index.html")
    assert 'id="L1"' in html and 'id="L2"' in html and 'id="L3"' not in html
    assert ">1</a>Un documento\n" in html and ">2</a>senza parser\n" in html
    assert "i dati non ne sono ancora estratti" in html
    # a document nobody parses yet is a normal state: no problem, nothing blocks --strict
    assert not any(
        p["file"] and p["file"].endswith("prova-senza-parser.txt")
        for p in corpus.quality["problems"]
    )
    twin = json.loads(read(corpus.site, "documenti/prova-senza-parser/index.json"))
    assert twin["lines"] == ["Un documento", "senza parser"] and twin["parsed"] is False


# -- active content: shown as text, never run -------------------------------------------------
def _outputs(site: Path, suffixes: tuple[str, ...]):
    for p in sorted(site.rglob("*")):
        if p.suffix in suffixes and p.is_file():
            yield p


def test_no_active_content_in_any_html_or_xml_output(corpus):
    bad = [
        f"{p.relative_to(corpus.site)}: {m!r}"
        for p in _outputs(corpus.site, (".html", ".xml", ".rdf", ".svg"))
        for m in RAW_MARKERS
        if m in p.read_text(encoding="utf-8")
    ]
    assert bad == []


ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
ESCAPED_IMG = "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"


@pytest.mark.parametrize(
    "page, shown",
    [
        (
            "documenti/prova-payload/index.html",
            (ESCAPED_SCRIPT, ESCAPED_IMG, "javascript:alert(1)"),
        ),
        ("documenti/index.html", (ESCAPED_SCRIPT, ESCAPED_IMG)),  # the title
        ("index.html", (ESCAPED_SCRIPT,)),  # latest documents
        (f"documenti/{BURL_ID}/index.html", (ESCAPED_SCRIPT, ESCAPED_IMG)),  # act title, text
        (
            f"documenti/{BURL_ID}/atti/dgr-2018-11-19-xi-827/index.html",
            (ESCAPED_SCRIPT, ESCAPED_IMG),
        ),
        (f"documenti/{SMART_ID}/index.html", (ESCAPED_SCRIPT, ESCAPED_IMG)),
        ("programmi/smart-polizia-locale-2025/index.html", ("&lt;script&gt;alert",)),
        ("dati/qualita/index.html", ("&lt;script&gt;alert", "javascript:alert")),
        ("feed.xml", (ESCAPED_SCRIPT,)),
        # the decree's reference is in the package description: visible text and JSON-LD
        (
            "dati/fondo-0-6-riparto-2018/index.html",
            ("&lt;/script&gt;&lt;script&gt;alert(1)", "\\u003c/script\\u003e\\u003cscript\\u003e"),
        ),
    ],
)
def test_payload_is_shown_escaped(corpus, page, shown):
    text = read(corpus.site, page)
    for s in shown:
        assert s in text, f"{page}: {s!r} not shown"
    assert not [m for m in RAW_MARKERS if m in text]


def test_catalogues_and_feeds_stay_well_formed_and_keep_the_text(corpus):
    """The payload in a decree reference reaches the DCAT-AP_IT catalogue in three syntaxes
    and the Atom feed: each must still parse, with the text intact."""
    site = corpus.site
    for rel in ("feed.xml", "sitemap.xml", "dati/catalogo.rdf"):
        ElementTree.parse(site / rel)  # raises if not well-formed
    rdf = read(site, "dati/catalogo.rdf")
    assert "BURL &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in rdf
    ld = json.loads(read(site, "dati/catalogo.jsonld"))
    assert f"BURL {CLOSE_SCRIPT} {IMG}" in " ".join(_strings(ld))
    literals = [
        re.sub(r"\\(.)", lambda e: {"n": "\n", "t": "\t"}.get(e.group(1), e.group(1)), m)
        for m in re.findall(
            r'dct:description "((?:[^"\\\n]|\\.)*)"', read(site, "dati/catalogo.ttl")
        )
    ]
    assert any(f"BURL {CLOSE_SCRIPT} {IMG}" in lit for lit in literals)


def _json_twins(site: Path) -> list[Path]:
    return [
        site / "documenti/prova-payload/index.json",
        site / f"documenti/{BURL_ID}/atti/dgr-2018-11-19-xi-827/index.json",
        site / f"documenti/{SMART_ID}/index.json",
        site / "programmi/smart-polizia-locale-2025/index.json",
        site / "dati/qualita/quality.json",
        site / "data/smart-polizia-locale-2025/partecipanti.json",
    ]


def _strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v)


def test_json_twins_keep_the_payload_exactly(corpus):
    doc = json.loads(read(corpus.site, "documenti/prova-payload/index.json"))
    assert doc["lines"][1:4] == list(PAYLOADS)
    assert doc["meta"]["title"] == f"Titolo {SCRIPT} {IMG}"
    for p in _json_twins(corpus.site):
        text = " ".join(_strings(json.loads(p.read_text(encoding="utf-8"))))
        assert "<script>alert" in text, p


def test_json_outputs_carry_markup_only_escaped(corpus):
    bad = [
        str(p.relative_to(corpus.site))
        for p in _json_twins(corpus.site)
        if "<script" in p.read_text(encoding="utf-8")
    ]
    assert bad == []


def test_excel_csv_never_starts_a_text_cell_with_a_formula(corpus):
    path = corpus.site / "data/smart-polizia-locale-2025/partecipanti.excel.csv"
    with path.open(encoding="utf-8-sig") as f:
        cells = [c for row in csv.reader(f, delimiter=";") for c in row]
    assert any(FORMULA[1:] in c for c in cells)  # the text is published ...
    assert [c for c in cells if c[:1] in ("=", "+", "@")] == []  # ... but not as a formula


def test_no_csv_starts_a_text_cell_with_a_formula(corpus):
    """The canonical CSV too (not only the Excel one): the payload is published, inert;
    the JSON keeps the text as written; the parse stage flagged it."""
    name = "data/smart-polizia-locale-2025/partecipanti"
    with (corpus.site / f"{name}.csv").open(encoding="utf-8") as f:
        cells = [c for row in csv.reader(f) for c in row]
    assert "'" + FORMULA in cells
    assert [c for c in cells if c[:1] in ("=", "+", "@")] == []
    rows = json.loads(read(corpus.site, f"{name}.json"))
    assert any(FORMULA in json.dumps(r, ensure_ascii=False) for r in rows)
    assert any(
        p["code"] == "formula-like" and FORMULA in p["message"] for p in corpus.quality["problems"]
    )
