"""Real documents nobody here wrote, published through table specs alone (no Python):

* ``gu-2019-dl32-allegato1-comuni-sisma`` -- a Gazzetta Ufficiale annex, comuni numbered per
  province, with the Gazzetta's ``(( ))`` change marks (spec ``gu-allegato-comuni-per-provincia``);
* ``gu-1990-...-lombardia`` and ``gu-1992-...-piemonte`` -- communiqués listing comuni in
  running text, one spec for both (``gu-comunicato-eccezionalita-calamita``);
* ``gu-2003-mef-regolamenti-tributi-elenco17`` -- a fixed-width table whose cells wrap
  independently (``mef-elenco-regolamenti-tributi``);
* ``dpcm-2001-emergenza-campania-maltempo`` -- a decree of state of emergency, the whole
  text on one line, its comuni listed per province in a recital, with short and misprinted
  names (``dpcm-stato-emergenza-comuni``; added through the new-document path of issue 12:
  first published with no spec, then with one).

Each is an excerpt of the stored page (the first 2,000 bytes): the truncations are part of
the test.
"""

from __future__ import annotations

from collections import Counter

import pytest

from generator.parsers import families
from generator.specs.inspect import candidates
from support import _documents, _registry, parse_real, parse_text

SISMA = "gu-2019-dl32-allegato1-comuni-sisma"
PAVIA = "gu-1990-eccezionalita-calamita-lombardia"
PIEMONTE = "gu-1992-eccezionalita-calamita-piemonte"
MEF = "gu-2003-mef-regolamenti-tributi-elenco17"
DPCM = "dpcm-2001-emergenza-campania-maltempo"
NEW = [SISMA, PAVIA, PIEMONTE, MEF, DPCM]


def table(doc_id):
    result, resolutions, log = parse_real(doc_id)
    (ds,) = result.datasets
    (t,) = ds.tables
    return result, t, resolutions, log


@pytest.mark.parametrize("doc_id", NEW)
def test_published_by_a_spec_alone(doc_id):
    doc = _documents()[doc_id]
    assert doc.parser is None and doc.meta["specs"]
    assert doc.meta["source_url"].startswith("http")
    result, t, _, log = table(doc_id)
    assert t.rows and t.candidates
    assert [p for p in log.problems if p.level == "error"] == []
    for r in t.rows:
        assert r["source_id"] == doc_id and 1 <= r["line_start"] <= r["line_end"] <= len(doc.lines)


def test_numbered_list_per_province():
    result, t, res, _ = table(SISMA)
    assert Counter(r["provincia"] for r in t.rows) == {"CB": 21, "CT": 9}
    by = {(r["provincia"], r["n"]): r for r in t.rows}
    assert by[("CB", 5)]["comune"] == "Guardialfiera"  # "(( Guardialfiera ))": mark removed
    assert by[("CT", 1)]["comune"] == "Aci Bonaccorsi"  # under "(( Citta' metropolitana ... ))"
    assert all(r["istat"] for r in t.rows)
    fuzzy = {x.query: x.name for x in res if x.method == "fuzzy"}
    assert fuzzy == {"Montefalcone del Sannio": "Montefalcone nel Sannio"}
    checks = {(c.id, c.declared): c.passed for c in result.checks}
    assert checks == {
        ("allegato:numerazione:CB", "1..21"): True,
        ("allegato:numerazione:CT", "1..9"): True,
        ("allegato:rows-published", 30): True,
    }


def test_comuni_listed_per_province_in_a_recital():
    result, t, res, _ = table(DPCM)
    assert Counter(r["provincia"] for r in t.rows) == {"NA": 23, "SA": 3, "AV": 3}
    by = {r["comune"]: r for r in t.rows}
    assert [t.rows[0]["comune"], t.rows[-1]["comune"]] == ["Napoli", "Lauro"]
    assert all(r["istat"] and r["line_start"] == 1 for r in t.rows)  # one line: the whole text
    # comuni named in the other recitals are not in a "comuni di:" list: not rows
    assert "Santa Maria a Vico" not in by and by["Calvanico"]["provincia"] == "SA"
    # customary short names: curated aliases with evidence; a lost initial: fuzzy, reported
    method = {x.query: (x.name, x.method) for x in res if x.method != "exact"}
    assert method == {
        "Marano": ("Marano di Napoli", "alias"),
        "Giugliano": ("Giugliano in Campania", "alias"),
        "Casamicciola": ("Casamicciola Terme", "alias"),
        "Castellammare": ("Castellammare di Stabia", "alias"),
        "S. Maria la Carita'": ("Santa Maria la Carità", "folded"),
        "Alma Campania": ("Palma Campania", "fuzzy"),
    }
    assert {(c.id, c.passed) for c in result.checks} == {("comuni:rows-published", True)}
    assert result.rejects == []


def test_comuni_listed_in_running_text():
    result, t, res, _ = table(PAVIA)
    events = Counter(r["evento"] for r in t.rows)
    assert events == {
        "piogge persistenti del periodo dal 14 aprile 1989 al 27 aprile 1989": 58,
        "grandinata del 14 maggio 1989": 9,
    }
    assert {r["provincia"] for r in t.rows} == {"PV"}
    names = [r["comune"] for r in t.rows]
    assert "" not in names and "Robecco Pavese" in names  # "Robecco Pavese,," read once
    assert names.count("Rivanazzano") == 2  # hit by both events: two rows
    by = {r["comune"]: r for r in t.rows}
    # names broken across lines by the justified text are joined, with the lines they span
    assert (by["Vellezzo Lomellina"]["line_start"], by["Vellezzo Lomellina"]["line_end"]) == (
        20,
        21,
    )
    # misprints settled by curated aliases with evidence; close variants by fuzzy in the province
    assert by["Codiasco"]["istat"] == "018073" and by["Codiasco"]["resolution_method"] == "alias"
    assert by["Rea po"]["istat"] == "018119"  # Rea, not Arena Po
    assert (
        by["Cliva Gessi"]["istat"] == "018104" or by["Cliva Gessi"]["resolution_method"] == "fuzzy"
    )
    assert [x for x in res if x.status != "resolved"] == []
    # the third event is cut by the end of the excerpt before its list: nothing invented
    assert not any("2 giugno" in r["evento"] for r in t.rows)


def test_a_list_cut_by_the_end_of_the_text_loses_only_its_last_item():
    result, t, _, _ = table(PIEMONTE)
    assert Counter(r["provincia"] for r in t.rows) == {"AL": 62, "AT": 15}
    (rej,) = result.rejects
    assert rej.line == 36 and rej.part == "Castello di Anno" and "troncata" in rej.reason
    assert "Castello di Anno" not in [r["comune"] for r in t.rows]


def test_one_spec_feeds_one_dataset_from_two_documents(built_site):
    import csv

    site, _ = built_site
    with (site / "data/calamita-agricole-eccezionalita/comuni_eventi.csv").open(
        encoding="utf-8"
    ) as f:
        rows = list(csv.DictReader(f))
    assert Counter(r["source_id"] for r in rows) == {PAVIA: 67, PIEMONTE: 77}


def test_fixed_width_records():
    result, t, _, _ = table(MEF)
    assert [
        (r["n"], r["comune"], r["provincia"], r["data_delibera"], r["numero_delibera"])
        for r in t.rows
    ] == [
        (1, "ACATE", "RG", "2003-03-28", "18"),
        (2, "ACQUALAGNA", "PU", "2003-02-28", "5"),
        (3, "ALBANO SANT'ALESSANDRO", "BG", "2003-03-20", "18"),  # name wrapped in its cell
        (4, "ALBEROBELLO", "BA", "2003-03-29", "28"),
    ]
    assert t.rows[3]["oggetto"] == (
        "TASSA SMALTIMENTO RIFIUTI SOLIDI URBANI: Modifica di precedente regolamento."
    )
    assert [r["istat"] for r in t.rows] == ["088001", "041001", "016003", "072003"]
    # the fifth record is cut by the end of the excerpt: rejected, and the check says so
    assert [(x.line, x.reason[:24]) for x in result.rejects] == [(38, "record interrotto dalla ")]
    checks = {c.id: c for c in result.checks}
    assert checks["elenco:numerazione"].passed
    assert not checks["elenco:rows-published"].passed  # a documented defect of the excerpt


@pytest.mark.parametrize(
    "doc_id, kind, lines, rows",
    [
        (SISMA, "numbered", (8, 38), 30),
        (PAVIA, "list", (20, 32), 13),
        (MEF, "fixed_width", (15, 37), 4),
        (DPCM, "list", (1, 1), 1),
    ],
)
def test_inspect_finds_the_table(doc_id, kind, lines, rows):
    found = candidates(_documents()[doc_id], _registry())
    best = found[0]
    assert (best.kind, (best.start, best.end), len(best.rows)) == (kind, lines, rows)
    assert "spec: 1" in best.spec and "resolution" in best.spec


def test_no_new_python_for_the_new_documents():
    assert set(families()) == {"aree_interne", "burl", "gu_sovrimposta", "pd_collegi", "smart"}


@pytest.mark.parametrize("doc_id", sorted(_documents()))
def test_every_starter_spec_reads_its_table_as_printed(doc_id, tmp_path):
    """What `inspect` prints is a spec that runs: unedited, the starter spec of each of
    the three best candidate tables reads its rows from the document (a table on the
    document's first line included: the region then starts on it; a title line printed
    twice: the region names its occurrence)."""
    doc = _documents()[doc_id]
    found = candidates(doc, _registry())[:3]
    for i, c in enumerate(found):
        spec = tmp_path / f"starter-{i}.yaml"
        spec.write_text(c.spec, encoding="utf-8")
        result, _, log = parse_text(
            None, doc.text, doc_id=doc_id, meta={"kind": doc.meta["kind"]}, specs=[str(spec)]
        )
        read = [r for ds in result.datasets for t in ds.tables for r in t.rows]
        # every row the candidate found is read by its spec, published or rejected (with
        # its reason): the draft may need edits, never a hunt for lines it silently skipped
        assert len(read) + len(result.rejects) >= len(c.rows), (
            doc_id,
            c.start,
            c.kind,
            log.problems[:3],
        )
        assert not [p for p in log.problems if p.code == "spec-table-empty"], (doc_id, c.start)
