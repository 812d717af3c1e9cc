"""The ``summary`` views (generator/views.py): sentences declared with the data, over crafted
tables, and the statistics they cite (generator/compare.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from generator import compare, views
from generator.extract.result import Dataset, Table
from generator.registry import Comune, Registry
from generator.specs.load import SpecError, load

COMUNI = [
    Comune("019035", "Crema", "D142", "Cremona", "CR", "019", "Lombardia", "03", 33786, 1359),
    Comune("019036", "Cremona", "D150", "Cremona", "CR", "019", "Lombardia", "03", 71000, 2600),
    Comune("019037", "Cremosano", "D151", "Cremona", "CR", "019", "Lombardia", "03", 1700, 80),
    Comune("016024", "Bergamo", "A794", "Bergamo", "BG", "016", "Lombardia", "03", 119534, 5043),
]


@pytest.fixture(scope="module")
def reg():
    return Registry(COMUNI)


def dataset(rows, decl, table="t", other=None):
    fields = [
        {"name": k, "type": "number" if isinstance(v, (int, Decimal)) else "string"}
        for k, v in rows[0].items()
    ]
    tables = [Table(table, "T", "", fields, rows)] + (other or [])
    return Dataset("ds", "DS", "", tables, programme="prog", views={"summary": decl})


def row(istat, line, **kw):
    return {"istat": istat, "source_id": "doc", "line_start": line, "line_end": line, **kw}


def text(segs):
    return "".join(s["text"] for s in segs)


def test_sentence_with_figure_per_child_rank_and_median(reg):
    rows = [
        row("019035", 10, importo=Decimal("1000"), bimbi=10),
        row("019036", 11, importo=Decimal("3000"), bimbi=20),
        row("019037", 12, importo=Decimal("100"), bimbi=2),
        row("016024", 13, importo=Decimal("500"), bimbi=10),
    ]
    (s,) = views.summaries(
        dataset(
            rows,
            {
                "table": "t",
                "value": "importo",
                "format": "euro",
                "label": "importo",
                "per": {"by": "bimbi", "label": "per bambino"},
                "sentence": "{name} riceve {value} ({per} per bambino).",
            },
        ),
        reg,
    )
    segs = views.sentence(s, "019035", reg)
    assert text(segs).startswith("Crema riceve €\u00a01.000,00 (€\u00a0100,00 per bambino).")
    # by the figure per child: Cremona 150, Crema 100 and Cremosano 50 in the province
    assert (
        "Per importo per bambino è 2º su 3 comuni della provincia e 2º su 4 in Lombardia."
        in text(segs)
    )
    value = next(x for x in segs if x["kind"] == "value")
    assert value["url"] == "/documenti/doc/#L10"
    rank = next(x for x in segs if x["kind"] == "rank")
    assert rank["url"] == "/province/CR/#classifica-prog"
    assert views.sentence(s, "099999", reg) == []


def test_variants_placeholders_rows_and_each(reg):
    rows = [
        row("019035", 1, nome="A", importo=Decimal(5)),
        row("019035", 2, nome="B", importo=Decimal(7)),
        row("019036", 3, nome="C", importo=None),
    ]
    (s,) = views.summaries(
        dataset(
            rows,
            {
                "table": "t",
                "value": "sum(importo)",
                "format": "euro",
                "rank": False,
                "median": False,
                "sentence": [
                    {"when": "count() > 1", "text": "{rows} enti a {name}: {each}."},
                    {"text": "{nome} riceve {importo|euro}."},
                    {"text": "{nome} è a {name}."},
                ],
                "each": "{nome} ({importo|euro})",
            },
        ),
        reg,
    )
    assert (
        text(views.sentence(s, "019035", reg))
        == "2 enti a Crema: A (€\u00a05,00) e B (€\u00a07,00)."
    )
    # Cremona's only row has no amount: the second text cannot be filled, the third can
    assert text(views.sentence(s, "019036", reg)) == "C è a Cremona."


def test_join_and_row_filter(reg):
    groups = Table(
        "g",
        "G",
        "",
        [{"name": "gruppo"}, {"name": "capofila"}],
        [{"gruppo": "X", "capofila": "CREMA", "source_id": "doc", "line_start": 9}],
    )
    rows = [
        row("019035", 1, gruppo="X", ruolo="capofila"),
        row("019037", 2, gruppo="X", ruolo="aggregato"),
    ]
    (s,) = views.summaries(
        dataset(
            rows,
            {
                "table": "t",
                "join": {"table": "g", "on": {"gruppo": "gruppo"}},
                "when": "ruolo != 'capofila'",
                "sentence": "{name} è nel gruppo di {capofila}.",
            },
            other=[groups],
        ),
        reg,
    )
    segs = views.sentence(s, "019037", reg)
    assert text(segs) == "Cremosano è nel gruppo di CREMA."
    assert next(x for x in segs if x["kind"] == "column")["url"] == "/documenti/doc/#L9"
    assert views.sentence(s, "019035", reg) == []  # filtered out by `when`


def test_ranks_share_ties_and_bands():
    ranks = compare._ranks(["a", "b", "c", "d"], {"a": 5, "b": 7, "c": 5, "d": 1})
    assert ranks == {"b": (1, 4, 0), "a": (2, 4, 1), "c": (2, 4, 1), "d": (4, 4, 0)}
    assert (
        compare.ordinal(ranks["a"], "in provincia")
        == "2º su 4 in provincia (a pari merito con un altro)"
    )
    assert [compare.band(p) for p in (1000, 1001, 250_000, 250_001)] == [0, 1, 6, 7]
    assert compare.band_label(0) == "fino a 1.000 abitanti"
    assert compare.band_label(4) == "da 20.001 a 50.000 abitanti"
    assert compare.band_label(7) == "oltre 250.000 abitanti"
    assert compare.median([Decimal(1), Decimal(3), Decimal(2), Decimal(10)]) == Decimal("2.5")


def test_declaration_errors_are_named():
    errs = views.check_summary(
        {
            "table": "t",
            "sentence": "{value|eur}",
            "per": "persona",
            "rank": "sì",
            "coverage": "comune",
            "value": "open(1)",
            "titolo": "x",
        }
    )
    joined = " | ".join(errs)
    for bit in (
        "unknown key 'titolo'",
        "unknown format 'eur'",
        "per: 'persona'",
        "rank: value | per | false",
        "coverage: province | region",
        "unknown function",
    ):
        assert bit in joined, bit
    assert views.check_summary({"table": "t", "sentence": "{name}"}) == []


def test_a_spec_with_a_bad_summary_fails_with_file_and_line(tmp_path):
    from generator import paths

    src = (paths.SPECS / "fondo-0-6-allegato-a.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(src.replace("coverage: region", "coverage: regione"), encoding="utf-8")
    with pytest.raises(SpecError) as e:
        load(bad)
    line = next(i for i, t in enumerate(src.split("\n"), start=1) if t.strip() == "summary:")
    assert e.value.where.endswith(f"bad.yaml:{line + 1}") and "coverage" in e.value.message


def test_every_declared_summary_is_valid():
    """Specs are checked when loaded; the parser families' VIEWS dicts are checked here."""
    import importlib
    import pkgutil

    from generator import parsers

    for m in pkgutil.walk_packages(parsers.__path__, "generator.parsers."):
        views_ = getattr(importlib.import_module(m.name), "VIEWS", None)
        if views_ and views_.get("summary"):
            for decl in views.summary_decls(Dataset("x", "", "", [], views=views_)):
                assert views.check_summary(decl, m.name) == []
